"""Ingest speed into a fresh store. Prints tables; asserts nothing.

    .venv/bin/python bench/ingest.py                  # 20,000 documents (wire stories, briefs)
    .venv/bin/python bench/ingest.py --quick          # 2,000
    .venv/bin/python bench/ingest.py --docs 5000 --kinds wire,brief,sample --json /tmp/i.json

Each run is a child process with its own peak memory (see common.run_child), on a store in a
temporary folder:

- ``ingest``: ``python -m figures ingest CORPUS --db FRESH.db`` (one process, batched
  transactions), then ``--jobs 2`` into another fresh store; documents/s, database size, and
  whether both stores hold the same documents and figures;
- ``again``: the same command a second time on the ``--jobs 2`` store: every document is already
  present (hashed and skipped, nothing extracted);
- ``store only``: the store's side alone, figures extracted beforehand (not timed), written with
  ``Store.add_many(docs, figures)`` in batches of 100 documents, and one transaction per document
  (``Store.add``, what ingest did before batching) for comparison.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import sqlite3
import sys
import time
from pathlib import Path

from common import in_work_folder, log, machine, machine_line, mb, run_child, table  # noqa: I001  (first)

import corpus as corpus_mod

PY = sys.executable


def child_store_only(folder: Path, docs: int, db_batch: Path, db_single: Path) -> dict:
    """Write already extracted documents: batches of 100, then one transaction each."""
    from functools import partial

    from figures.batch import IngestTask, ordered_map, prepare_file
    from figures.cli import _documents
    from figures.store import Store
    Store(db_batch).close()      # made before the workers look into it (all new: none present)
    items = []
    task = IngestTask(db=str(db_batch))
    with ordered_map(partial(prepare_file, task), _documents([str(folder)]), jobs=2) as results:
        for prepared in results:      # as `ingest` gets them: figures and title worked out
            if prepared.doc is not None:
                items.append((prepared.doc, prepared.figures))
            if len(items) >= docs:
                break
    out = {"docs": len(items), "figures": sum(len(f) for _, f in items)}
    with Store(db_batch) as store:
        t = time.perf_counter()
        for i in range(0, len(items), 100):
            chunk = items[i:i + 100]
            store.add_many([d for d, _ in chunk], [f for _, f in chunk])
        out["batched_s"] = time.perf_counter() - t
    with Store(db_single) as store:
        t = time.perf_counter()
        for doc, figs in items:
            store.add_many([doc], [figs])
        out["single_s"] = time.perf_counter() - t
    return out


def fingerprint(db: Path) -> tuple[int, int, str]:
    """(documents, figures, hash of every figure row keyed by its document's text hash)."""
    from figures.schema import FIELDS
    conn = sqlite3.connect(db)
    cols = ", ".join(f'f."{c}"' for c in FIELDS)
    h = hashlib.sha256()
    n = 0
    for row in conn.execute(f"SELECT d.sha256, {cols} FROM figures f JOIN documents d"
                            " ON d.id = f.document_id ORDER BY d.sha256, f.id"):
        h.update(repr(row).encode())
        n += 1
    docs = conn.execute("SELECT count(*) FROM documents").fetchone()[0]
    conn.close()
    return docs, n, h.hexdigest()[:16]


def db_size(db: Path) -> int:
    return sum(p.stat().st_size for p in db.parent.glob(db.name + "*"))


def bench(args, work: Path) -> dict:
    kinds = {k: corpus_mod.KINDS[k] for k in args.kinds.split(",")}
    folder = Path(args.corpus) if args.corpus else work / "corpus"
    res: dict = {"machine": machine()}
    if not args.corpus:
        log(f"making {args.docs} documents in {folder} ...")
        res["corpus"] = corpus_mod.write_corpus(folder, None, docs=args.docs, seed=args.seed,
                                                kinds=kinds)
    runs = {}
    for jobs in args.jobs:
        db = work / f"jobs{jobs}" / "figures.db"
        db.parent.mkdir()
        log(f"ingest --jobs {jobs} ...")
        r = run_child([PY, "-m", "figures", "ingest", str(folder), "--db", str(db),
                       "--jobs", str(jobs)], args.timeout)
        r["db_bytes"] = db_size(db)
        r["fingerprint"] = fingerprint(db)
        runs[jobs] = r
    res["ingest"] = runs
    last = args.jobs[-1]
    log(f"again, everything present (--jobs {last}) ...")
    res["again"] = run_child([PY, "-m", "figures", "ingest", str(folder), "--db",
                              str(work / f"jobs{last}" / "figures.db"), "--jobs", str(last)],
                             args.timeout)
    if not args.no_store_only:
        log(f"store only, {args.store_docs} documents ...")
        res["store_only"] = run_child(
            [PY, str(Path(__file__).resolve()), "--child", str(folder), str(args.store_docs),
             str(work / "batched.db"), str(work / "single.db")], args.timeout)
    res["work"] = str(work)
    return res


def report(r: dict) -> str:
    out = []
    out.append(machine_line(r["machine"]))
    c = r.get("corpus")
    if c:
        out.append(f"corpus: {c['documents']} documents, {mb(c['bytes']):.1f} MB "
                   f"({', '.join(f'{k} {v}' for k, v in sorted(c['by_kind'].items()))})")
    rows = []
    for jobs, x in r["ingest"].items():
        docs, figs, _ = x["fingerprint"]
        rows.append([f"ingest --jobs {jobs}", docs, figs, f"{x['wall_s']:.1f}",
                     f"{x['cpu_s']:.1f}", f"{docs / x['wall_s']:.0f}",
                     f"{mb(x['db_bytes']):.1f}", f"{x['peak_rss_mb']:.0f}"])
    a = r["again"]
    n = next(iter(r["ingest"].values()))["fingerprint"][0]
    rows.append(["again (all present)", n, "", f"{a['wall_s']:.1f}", f"{a['cpu_s']:.1f}",
                 f"{n / a['wall_s']:.0f}", "", f"{a['peak_rss_mb']:.0f}"])
    s = r.get("store_only")
    if s:
        rows.append(["store only, batches of 100", s["docs"], s["figures"],
                     f"{s['batched_s']:.2f}", "", f"{s['docs'] / s['batched_s']:.0f}", "", ""])
        rows.append(["store only, 1 transaction per doc", s["docs"], s["figures"],
                     f"{s['single_s']:.2f}", "", f"{s['docs'] / s['single_s']:.0f}", "", ""])
    out.append("\n" + table(["run", "documents", "figures", "wall s", "CPU s", "docs/s",
                             "database MB", "peak RSS MB"], rows))
    prints = {x["fingerprint"] for x in r["ingest"].values()}
    out.append(f"\nsame documents and figures in every store: {len(prints) == 1}")
    return "\n".join(out)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--docs", type=int, default=20_000)
    p.add_argument("--quick", action="store_true", help="2,000 documents")
    p.add_argument("--kinds", default="wire,brief",
                   help="document kinds from bench/corpus.py (default wire,brief: news items)")
    p.add_argument("--corpus", help="ingest this folder instead of making one")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--jobs", default="1,2")
    p.add_argument("--store-docs", type=int, default=2000,
                   help="documents for the store-only measure (default 2,000)")
    p.add_argument("--no-store-only", action="store_true")
    p.add_argument("--timeout", type=float, default=3600)
    p.add_argument("--json")
    p.add_argument("--keep", action="store_true", help="keep the temporary folder (corpus, stores)")
    p.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        folder, n, a, b = args.child
        print(json.dumps(child_store_only(Path(folder), int(n), Path(a), Path(b))))
        return 0
    if args.quick:
        args.docs = 2000 if args.docs == 20_000 else args.docs
        args.store_docs = min(args.store_docs, 1000)
    args.jobs = [int(j) for j in args.jobs.split(",")]
    return in_work_folder(args, "figures-ingest-", bench, report)


if __name__ == "__main__":
    sys.exit(main())
