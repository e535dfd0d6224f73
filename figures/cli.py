"""Command line: ``python -m figures COMMAND``.

    extract PATH...      figures of files or folders, printed as CSV or JSON lines (no store)
    ingest PATH...       add documents to the store, with a progress bar and a summary
    export               stored figures as CSV, HXL-tagged CSV or JSON lines, with filters
    stats                what the store holds
    reextract            recompute figures after the rules changed, keeping reviews
    review FIGURE_ID     accept, reject or correct a stored figure
    fetch URL...         download pages or PDFs and add them to the store
    reliefweb            add ReliefWeb reports (API v2) to the store
    feed URL...          read RSS/Atom feeds and store each item's page not taken before
    watch CONFIG.toml    feeds and ReliefWeb queries on an interval, until stopped

Commands that use the store take ``--db PATH`` (else $FIGURES_DB, else data/figures.db).
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import time
from collections.abc import Iterator
from functools import partial
from pathlib import Path

from .extract import EXTRACTOR_VERSION
from .formats import SUPPORTED, load_pasted
from .reading import MAX_BYTES, UnreadableDocument
from .schema import CATEGORIES, CORRECTABLE, FIELDS, REVIEW_STATUSES


def _documents(paths: list[str]) -> Iterator[tuple[Path, str | None]]:
    """(path, problem) for every document named: files as given, folders walked lazily in name
    order (hidden files and files of unsupported formats inside folders are passed over)."""
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            for f in _walk(p):
                yield f, None
        elif p.is_file():
            yield p, None
        else:
            yield p, f"{p}: no such file or folder"


def _walk(folder: Path) -> Iterator[Path]:
    # os.scandir: the kind of each entry comes with the listing, one system call a file fewer
    try:
        with os.scandir(folder) as listing:
            entries = sorted(listing, key=lambda e: e.name)
    except OSError:
        return
    for e in entries:
        if e.name.startswith("."):
            continue
        if e.is_dir():
            yield from _walk(Path(e.path))
        elif e.is_file() and os.path.splitext(e.name)[1].lower() in SUPPORTED:
            yield Path(e.path)


def _open_output(path: str | None):
    return open(path, "w", newline="", encoding="utf-8") if path else sys.stdout


def _count_documents(paths: list[str]):
    """For the progress bar's total: a second lazy walk over the same paths."""
    return lambda: _documents(paths)


FLUSH_S = 0.1      # with --jobs N > 1, extract's output is flushed at least this often


def _cmd_extract(args) -> int:
    if args.dask and args.format != "parquet":
        print("error: --dask writes a Parquet dataset: add --format parquet -o DIR", file=sys.stderr)
        return 2
    if args.format == "parquet":
        from .distributed import cmd_extract
        return cmd_extract(args)
    from .batch import ExtractTask, Progress, extract_file, ordered_map
    task = ExtractTask(format=args.format, max_bytes=args.max_bytes, date=args.date or None)
    failed = files = figures = 0
    progress = Progress("extract", _count_documents(args.paths))
    out = _open_output(args.output)
    flushed, pending = time.monotonic(), []

    def flush() -> None:
        nonlocal flushed
        if pending:
            out.write("".join(pending))
            pending.clear()
        out.flush()
        flushed = time.monotonic()
    try:
        if args.format == "csv":
            csv.DictWriter(out, fieldnames=FIELDS, lineterminator="\n").writeheader()
            out.flush()
        # rows leave as soon as each file is done; with workers, whose short files come back by
        # the hundred, at most FLUSH_S later, or half a second while a slow file keeps us waiting
        # (ordered_map's idle)
        every = 0.0 if args.jobs == 1 else FLUSH_S
        with ordered_map(partial(extract_file, task), _documents(args.paths),
                         jobs=args.jobs, idle=flush) as results:
            progress.start()                 # after the workers are forked
            for result in results:
                if result.error is not None:
                    progress.write(f"error: {result.error}")
                    failed += 1
                else:
                    files, figures = files + 1, figures + result.figures
                    if result.text:
                        pending.append(result.text)
                        if time.monotonic() - flushed >= every:
                            flush()
                progress.update(figures=figures, failed=failed)
        flush()
    except KeyboardInterrupt:
        progress.close()
        if pending:
            flush()                          # the rows of the files done are written
        print(f"interrupted: {files} file(s) done, {figures} figure(s) written", file=sys.stderr)
        return 130
    finally:
        progress.close()
        if pending:          # an error stopped the run: the rows of the files done still leave
            try:
                flush()
            except OSError:
                pass
        if out is not sys.stdout:
            out.close()
    if failed:
        print(f"{failed} file(s) could not be read", file=sys.stderr)
    return 1 if failed else 0


def _store(args):
    from .store import Store
    return Store(args.db)


BATCH_DOCUMENTS = 100       # documents per transaction in ingest ...
BATCH_SECONDS = 1.0         # ... or fewer, once the oldest waiting document is this old
BATCH_CHARS = 16_000_000    # ... or once this much text is waiting


def _cmd_ingest(args) -> int:
    from .batch import IngestTask, Progress, ordered_map, prepare_file
    from .distributed import cmd_ingest, is_dataset
    datasets = [p for p in args.paths if p != "-" and is_dataset(p)]
    if datasets:
        if len(datasets) < len(args.paths):
            print("error: ingest Parquet datasets on their own, not with other files",
                  file=sys.stderr)
            return 2
        return cmd_ingest(args, datasets)
    from .store import StoreError, db_path
    added = present = copies = 0
    failures: list[str] = []
    paths = [p for p in args.paths if p != "-"]
    task = IngestTask(db=str(db_path(args.db)), max_bytes=args.max_bytes)
    with _store(args):
        pass            # the file is created and migrated once, before any worker looks at it
    progress = Progress("ingest", _count_documents(paths))
    docs, figs, chars, since = [], [], 0, 0.0

    def flush(store) -> None:
        """One transaction for the waiting documents: each with all its figures, or none."""
        nonlocal added, present, copies, docs, figs, chars
        if docs:
            for r in store.add_many(docs, figs):
                added, present = added + (r.status == "added"), present + (r.status == "present")
                copies += r.copy_of is not None
        docs, figs, chars = [], [], 0

    store = None

    def waiting() -> None:
        """While a slow document holds back the results, commit those already in hand."""
        if docs and store is not None and time.monotonic() - since >= BATCH_SECONDS:
            flush(store)

    workers = None
    try:
        # several jobs: the workers are forked here, before this process opens the database
        workers = ordered_map(partial(prepare_file, task), _documents(paths),
                              jobs=args.jobs, idle=waiting) if args.jobs > 1 and paths else None
        with _store(args) as store, workers or ordered_map(
                partial(prepare_file, task, store=store), _documents(paths)) as results:
            if "-" in args.paths:      # pasted text on standard input, with its optional metadata
                try:
                    result = store.add(load_pasted(sys.stdin.read(), title=args.title or "",
                                                   url=args.url or "", published=args.date or "",
                                                   max_bytes=args.max_bytes))
                    added, present = added + (result.status == "added"), present + (
                        result.status == "present")
                    copies += result.copy_of is not None
                except UnreadableDocument as e:
                    failures.append(f"standard input: {e}")
            progress.start()                   # after the workers are forked
            for prepared in results:
                if prepared.error is not None:
                    failures.append(prepared.error)
                elif prepared.present:
                    present += 1
                else:
                    if not docs:
                        since = time.monotonic()
                    docs.append(prepared.doc)
                    figs.append(prepared.figures)
                    chars += len(prepared.doc.text)
                    if (len(docs) >= BATCH_DOCUMENTS or chars >= BATCH_CHARS
                            or time.monotonic() - since >= BATCH_SECONDS):
                        flush(store)
                progress.update(added=added, present=present, failed=len(failures))
            flush(store)
            progress.close(added=added, present=present, failed=len(failures))
    except KeyboardInterrupt:
        progress.close()
        print(f"interrupted: added {added}, already present {present}, failed {len(failures)}; "
              "documents waiting for their transaction were not stored", file=sys.stderr)
        return 130
    except StoreError as e:    # a full disk, a damaged file: say so, then what was done before
        progress.close()
        print(f"error: {e}", file=sys.stderr)
        print(f"stopped: added {added}, already present {present}, failed {len(failures)} before "
              "the error; documents waiting for their transaction were not stored", file=sys.stderr)
        return 1
    finally:
        progress.close()
        if workers is not None:
            workers.close()
    print(f"added {added}, already present {present}, failed {len(failures)}", file=sys.stderr)
    if copies:
        print(f"  {copies} of those added are near copies of a stored story: their figures count "
              "once (see `export --copies`)", file=sys.stderr)
    for reason in failures:
        print(f"  failed: {reason}", file=sys.stderr)
    return 1 if failures else 0


def _print_outcome(outcome) -> None:
    """One line per address as it is done (standard error)."""
    if outcome.status == "failed":
        print(f"failed: {outcome.reason}", file=sys.stderr)
    else:
        what = "added" if outcome.status == "added" else "already present"
        print(f"{what}: {outcome.url} ({outcome.figures} figure(s))", file=sys.stderr)


def _print_summary(summary) -> int:
    print(summary.line(), file=sys.stderr)
    for reason in summary.failures:
        print(f"  failed: {reason}", file=sys.stderr)
    return 1 if summary.failures else 0


def _cmd_fetch(args) -> int:
    from .fetch import ingest_urls
    with _store(args) as store:
        # the operator runs the command line: private addresses (an intranet) are allowed
        summary = ingest_urls(store, args.urls, allow_private=True, max_bytes=args.max_bytes,
                              timeout=args.timeout, progress=_print_outcome)
    return _print_summary(summary)


def _cmd_reliefweb(args) -> int:
    from .reliefweb import appname_or_env, ingest_reports, reports
    appname = appname_or_env(args.appname)
    if not appname:
        print("error: ReliefWeb needs an appname (request one from ReliefWeb): --appname NAME "
              "or $RELIEFWEB_APPNAME", file=sys.stderr)
        return 2
    found = reports(appname=appname, countries=args.country or (), query=args.query or "",
                    since=args.since or "", limit=args.limit, api=args.api,
                    timeout=args.timeout)
    with _store(args) as store:
        summary = ingest_reports(store, found, attachments=args.attachments, allow_private=True,
                                 max_bytes=args.max_bytes, timeout=args.timeout,
                                 progress=_print_outcome)
    return _print_summary(summary)


def _filters(args):
    from .store import Filters
    statuses = tuple(args.status) if args.status else Filters().statuses
    return Filters(categories=tuple(args.category or ()), countries=tuple(args.country or ()),
                   places=tuple(args.place or ()), sources=tuple(args.source or ()),
                   date_from=args.since or "", date_to=args.until or "",
                   include_combatants=args.include_combatants, statuses=statuses,
                   search=args.search or "", copies=args.copies)


def _cmd_export(args) -> int:
    from .export import write
    filters = _filters(args)
    filters.where()   # bad dates fail here, before any output
    if args.format == "xlsx":
        return _export_xlsx(args, filters)
    with _store(args) as store:
        out = _open_output(args.output)
        try:
            n = write(store.iter_figures(filters), out, args.format)
        finally:
            if out is not sys.stdout:
                out.close()
    if args.output:
        print(f"{n} figure(s) written to {args.output}", file=sys.stderr)
    return 0


def _export_xlsx(args, filters) -> int:
    from .extract import EXTRACTOR_VERSION
    from .views import describe_filters
    from .xlsx import about_export, write_xlsx
    if not args.output:
        print("figures: error: an Excel workbook is a file: give it with -o FILE.xlsx",
              file=sys.stderr)
        return 2
    with _store(args) as store:
        n = write_xlsx(store.iter_figures(filters), args.output,
                       about=about_export(describe_filters(filters), EXTRACTOR_VERSION),
                       pinned=store.pinned_ids())
    print(f"{n} figure(s) written to {args.output}", file=sys.stderr)
    return 0


def _cmd_stats(args) -> int:
    with _store(args) as store:
        s = store.stats()
    if args.json:
        print(json.dumps(s, indent=2))
        return 0
    print(f"database        {s['database']} ({s['bytes'] / 1e6:.1f} MB, schema v{s['schema_version']})")
    print(f"documents       {s['documents']} ({s['copies']} near copies of another document's "
          f"story; {s['stories']} stories)")
    if s["copied_figures"]:
        print(f"                {s['copied_figures']} figure(s) repeat an earlier copy of their "
              "story: counted once (export --copies shows them)")
    print(f"figures         {s['figures']} ({s['combatant_figures']} about combatants)")
    for cat, n in s["civilian_figures_by_category"].items():
        print(f"  {cat:<13} {n}")
    print("reviews         " + ", ".join(f"{k} {v}" for k, v in s["reviews"].items()))
    if s["orphan_reviews"]:
        print(f"orphan reviews  {s['orphan_reviews']} (their figure is gone after re-extraction;"
              " see `reextract`)")
    if s["outdated_documents"]:
        print(f"outdated        {s['outdated_documents']} document(s) extracted by an older version:"
              " run `python -m figures reextract`")
    return 0


def _cmd_reextract(args) -> int:
    with _store(args) as store:
        report = store.reextract(everything=args.all)
    print(f"re-extracted {report.documents} document(s) with version {EXTRACTOR_VERSION}: "
          f"{report.figures_before} figure(s) before, {report.figures_after} after", file=sys.stderr)
    if report.orphans:
        print(f"{len(report.orphans)} review(s) no longer match a figure; they are kept:",
              file=sys.stderr)
        for r in report.orphans:
            print(f"  {r['doc_id']} [{r['span_start']}:{r['span_end']}] {r['text_at_span']!r}: "
                  f"{r['status']} {r['note']!r}", file=sys.stderr)
    return 0


def _cmd_review(args) -> int:
    corrections = {k: getattr(args, k) for k in CORRECTABLE}
    status = "accepted" if args.accept else "rejected" if args.reject else None
    verdict = status or any(v is not None for v in corrections.values())
    with _store(args) as store:
        try:
            if verdict or not (args.pin or args.unpin):
                store.review(args.figure_id, status, note=args.note or "",
                             reviewer=args.reviewer or "", **corrections)
            if args.pin or args.unpin:
                store.pin(args.figure_id, pinned=args.pin)
            fig = store.figure(args.figure_id)
        except ValueError as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
    credit = fig["source"] or "no source"
    if fig["speaker"]:
        credit += f", speaker {fig['speaker']}"
    pinned = ", pinned as the key figure" if args.pin else ", unpinned" if args.unpin else ""
    print(f"figure {args.figure_id}: {fig['review_status']}{pinned} — {fig['category']} "
          f"{fig['value']:g} at {fig['location'] or '?'} ({credit})")
    return 0


def _cmd_feed(args) -> int:
    from . import feeds
    fetchers = feeds.default_fetchers()
    report = feeds.Report()
    with _store(args) as store:
        try:
            for url in args.urls:
                report.merge(feeds.ingest_feed(store, url, fetchers))
        except KeyboardInterrupt:
            print(f"interrupted: {report.summary()}", file=sys.stderr)
            return 130
    print(report.summary(), file=sys.stderr)
    for reason in report.failures:
        print(f"  failed: {reason}", file=sys.stderr)
    return 1 if report.failures else 0


def _cmd_watch(args) -> int:
    from . import feeds
    try:
        config = feeds.load_config(args.config)
    except feeds.ConfigError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    with _store(args) as store:
        watcher = feeds.Watcher(store, config, feeds.default_fetchers())
        watcher.install_signals()
        try:
            total = watcher.run(once=args.once)
        except KeyboardInterrupt:
            print("interrupted: what was stored is kept", file=sys.stderr)
            return 130
    if not args.once:
        print(f"stopped after {watcher.rounds} round(s): {total.summary()}", file=sys.stderr)
    return 1 if args.once and total.failures else 0


def _add_db(p):
    p.add_argument("--db", metavar="PATH",
                   help="the database file (default: $FIGURES_DB, else data/figures.db)")


def _max_bytes(value: str) -> int:
    mb = float(value)
    if mb <= 0:
        raise argparse.ArgumentTypeError("the size limit must be positive")
    return int(mb * 1024 * 1024)


def _jobs(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"needs a whole number of processes (1 or more), "
                                         f"not {value!r}")
    return n


def _positive(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"needs a whole number (1 or more), not {value!r}")
    return n


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m figures",
                                     description="Humanitarian figures with their provenance.")
    parser.add_argument("--version", action="version", version=f"figures {EXTRACTOR_VERSION}")
    sub = parser.add_subparsers(dest="command", required=True)
    formats = ", ".join(sorted(SUPPORTED))
    jobs = dict(type=_jobs, default=1, metavar="N",
                help="extract with N processes (default 1: in this process); output order is kept")
    limit = dict(type=_max_bytes, default=MAX_BYTES, dest="max_bytes", metavar="MB",
                 help=f"refuse files larger than this (default {MAX_BYTES // 2**20} MB)")

    ex = sub.add_parser("extract", help=f"extract figures from files or folders ({formats})")
    ex.add_argument("paths", nargs="+", metavar="PATH")
    ex.add_argument("--format", choices=("csv", "jsonl", "parquet"), default="csv",
                    help="parquet: a Parquet dataset written into the folder -o DIR")
    ex.add_argument("-o", "--output", metavar="FILE", help="write here instead of standard output")
    ex.add_argument("--dask", metavar="ADDRESS",
                    help="extract on a Dask cluster: a scheduler (tcp://host:8786) or 'local' "
                         "(two worker processes here); needs --format parquet -o DIR")
    ex.add_argument("--date", metavar="YYYY-MM-DD",
                    help="the documents' date, for articles whose dateline has none")
    ex.add_argument("--max-size", **limit)
    ex.add_argument("--jobs", "-j", **jobs)
    ex.set_defaults(run=_cmd_extract)

    ing = sub.add_parser("ingest", help="add files or folders of documents to the store")
    ing.add_argument("paths", nargs="+", metavar="PATH",
                     help="files or folders; '-' reads one pasted document from standard input")
    ing.add_argument("--max-size", **limit)
    ing.add_argument("--jobs", "-j", **jobs)
    ing.add_argument("--title", help="title of the text read from standard input")
    ing.add_argument("--url", help="address of the text read from standard input")
    ing.add_argument("--date", metavar="YYYY-MM-DD",
                     help="publication date of the text read from standard input")
    _add_db(ing)
    ing.set_defaults(run=_cmd_ingest)

    exp = sub.add_parser("export", help="write stored figures as csv, hxl or jsonl")
    exp.add_argument("--format", choices=("csv", "hxl", "jsonl", "xlsx"), default="csv",
                     help="xlsx: an Excel workbook (figures, documents, read me); needs -o FILE")
    exp.add_argument("-o", "--output", metavar="FILE", help="write here instead of standard output")
    exp.add_argument("--category", action="append", choices=CATEGORIES)
    exp.add_argument("--country", action="append", metavar="ISO3")
    exp.add_argument("--place", action="append", metavar="NAME")
    exp.add_argument("--source", action="append", metavar="NAME")
    exp.add_argument("--since", metavar="YYYY-MM-DD", help="reported on or after this date")
    exp.add_argument("--until", metavar="YYYY-MM-DD", help="reported on or before this date")
    exp.add_argument("--include-combatants", action="store_true",
                     help="also figures about fighters, soldiers and other combatants")
    exp.add_argument("--status", action="append", choices=REVIEW_STATUSES,
                     help="review status to include (default: all but rejected)")
    exp.add_argument("--search", metavar="WORDS", help="only figures whose quote contains these")
    exp.add_argument("--copies", action="store_true",
                     help="every copy of a story, each with its outlet (default: a figure that "
                          "an earlier copy of the same story gives is left out)")
    _add_db(exp)
    exp.set_defaults(run=_cmd_export)

    st = sub.add_parser("stats", help="what the store holds")
    st.add_argument("--json", action="store_true")
    _add_db(st)
    st.set_defaults(run=_cmd_stats)

    re_ = sub.add_parser("reextract", help="recompute figures with this version's rules")
    re_.add_argument("--all", action="store_true",
                     help="every document, not only those extracted by another version")
    _add_db(re_)
    re_.set_defaults(run=_cmd_reextract)

    net = dict(type=float, default=20.0, metavar="SECONDS",
               help="give up on a server silent for this long (default 20)")
    fe = sub.add_parser("fetch", help="download web pages or PDFs and add them to the store")
    fe.add_argument("urls", nargs="+", metavar="URL", help="http or https addresses")
    fe.add_argument("--max-size", **limit)
    fe.add_argument("--timeout", **net)
    _add_db(fe)
    fe.set_defaults(run=_cmd_fetch)

    rw = sub.add_parser("reliefweb", help="add ReliefWeb reports to the store (API v2)")
    rw.add_argument("--country", action="append", metavar="ISO3",
                    help="reports about this country (repeat for several)")
    rw.add_argument("--query", metavar="WORDS", help="reports with all these words")
    rw.add_argument("--since", metavar="YYYY-MM-DD", help="reports posted on or after this date")
    rw.add_argument("--limit", type=_positive, default=20, metavar="N",
                    help="at most N reports, newest first (default 20)")
    rw.add_argument("--appname", metavar="NAME",
                    help="your ReliefWeb appname (default: $RELIEFWEB_APPNAME)")
    rw.add_argument("--api", metavar="BASE", default="https://api.reliefweb.int",
                    help="the API's base address (default https://api.reliefweb.int)")
    rw.add_argument("--attachments", action="store_true",
                    help="also read each report's PDF attachments")
    rw.add_argument("--max-size", **limit)
    rw.add_argument("--timeout", **net)
    _add_db(rw)
    rw.set_defaults(run=_cmd_reliefweb)

    rv = sub.add_parser("review", help="accept, reject or correct a stored figure")
    rv.add_argument("figure_id", type=int)
    verdict = rv.add_mutually_exclusive_group()
    verdict.add_argument("--accept", action="store_true")
    verdict.add_argument("--reject", action="store_true")
    rv.add_argument("--value", type=float, help="the correct number")
    rv.add_argument("--category", choices=CATEGORIES)
    rv.add_argument("--location", "--place", dest="location", metavar="PLACE")
    rv.add_argument("--country", metavar="ISO3")
    rv.add_argument("--source", help="the body the figure comes from; without --speaker, the "
                    "speaker is cleared (the person extracted spoke for the source extracted)")
    rv.add_argument("--speaker", metavar="NAME",
                    help="the person speaking for the source; --speaker '' when none is named")
    rv.add_argument("--note")
    rv.add_argument("--reviewer")
    pin = rv.add_mutually_exclusive_group()
    pin.add_argument("--pin", action="store_true",
                     help="make this accepted figure its place's key figure")
    pin.add_argument("--unpin", action="store_true")
    _add_db(rv)
    rv.set_defaults(run=_cmd_review)

    fd = sub.add_parser("feed", help="read RSS/Atom feeds and store each new item's page")
    fd.add_argument("urls", nargs="+", metavar="URL")
    _add_db(fd)
    fd.set_defaults(run=_cmd_feed)

    wa = sub.add_parser("watch", help="feeds and ReliefWeb queries on an interval, until stopped")
    wa.add_argument("config", metavar="CONFIG.toml",
                    help="feeds, [[reliefweb]] queries and interval_minutes (see the README)")
    wa.add_argument("--once", action="store_true", help="one round, then stop")
    _add_db(wa)
    wa.set_defaults(run=_cmd_watch)
    return parser


#: The commands that change the store
_CHANGING = (_cmd_ingest, _cmd_fetch, _cmd_reliefweb, _cmd_reextract, _cmd_review, _cmd_feed,
             _cmd_watch)


def _prepare_dashboard(args) -> None:
    """After a command that changed the store: the dashboard's cache of it brought up to date, if
    the dashboard has shown this store (``views.prepare_overview``), so that its next start does
    not compute what changed. A failure here costs the dashboard time, never the command."""
    from .store import db_path
    if not db_path(getattr(args, "db", None)).exists():
        return
    try:
        from . import views
        with _store(args) as store:
            views.prepare_overview(store)
    except Exception as e:  # noqa: BLE001 - the store is committed; only the cache is behind
        print(f"note: the dashboard's cache was not updated ({type(e).__name__}: {e}); "
              "its next start reads the changes itself", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    for name in ("date", "since", "until"):
        value = getattr(args, name, None)
        if value:
            from datetime import date
            try:
                date.fromisoformat(value)
            except ValueError:
                print(f"error: --{name} must be YYYY-MM-DD, not {value!r}", file=sys.stderr)
                return 2
    from .store import StoreError
    try:
        code = args.run(args)
        if args.run in _CHANGING:
            _prepare_dashboard(args)
        return code
    except StoreError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    except BrokenPipeError:     # `... | head` closed the pipe: not an error
        return 0
