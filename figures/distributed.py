"""An archive beyond one machine: extraction on a Dask cluster, written as a Parquet dataset.

``python -m figures extract PATH... --dask ADDRESS --format parquet -o DIR``

The client only lists the files (local folders or any fsspec URL: ``s3://``, ``gs://``,
``https://``...) and sends their names to the workers in batches (``BATCH_FILES`` names per task,
not one task per small file). Each worker reads its files itself, extracts them with the same code
as the single-process ``extract`` (``formats.load_bytes`` / ``load_file``, ``batch._figures``) and
writes one Parquet file per batch into DIR. The client never gathers the figures: it streams the
small summary of each batch (counts and the names of the files that failed) as batches complete,
and keeps at most ``WINDOW_PER_WORKER`` batches per worker in flight, so its memory stays flat
however large the archive.

A worker that dies mid-run: the scheduler gives its batches to another worker; a batch's file is
written under a temporary name and renamed when complete, and a batch always writes the same file,
so the dataset is the same as in a run without failures.

Without ``--dask`` the same batches run in this process (``--format parquet`` alone).

The dataset's columns: the schema's (``schema.FIELDS``), then ``DOCUMENT_COLUMNS`` (the
document's sha256, title, address, date, outlet and file name). ``read_dataset`` reads it back;
``python -m figures ingest DIR`` stores it (documents without their text: see store.py).
"""
from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, fields
from pathlib import Path, PurePosixPath

from .batch import _chunks, _figures
from .formats import SUPPORTED, load_bytes, load_file
from .reading import MAX_BYTES, UnreadableDocument, too_big
from .schema import FIELDS, Figure

BATCH_FILES = 32          # files per task
WINDOW_PER_WORKER = 4     # batches in flight per worker
DOCUMENT_COLUMNS = ("document_sha256", "document_title", "document_url", "document_published",
                    "document_outlet", "document_file")
COLUMNS = FIELDS + DOCUMENT_COLUMNS


def _arrow_schema():
    import pyarrow as pa
    types = {"str": pa.string(), "int": pa.int64(), "float": pa.float64(), "bool": pa.bool_()}
    cols = []
    for f in fields(Figure):
        name = str(f.type).replace(" | None", "").strip()
        cols.append(pa.field(f.name, types[name]))
    cols += [pa.field(c, pa.string()) for c in DOCUMENT_COLUMNS]
    return pa.schema(cols)


# ---------------------------------------------------------------------------------------------
# Listing (on the client)


def _is_url(name: str) -> bool:
    return "://" in name


def list_documents(paths: Iterable[str]) -> Iterator[tuple[str, str | None]]:
    """(name, problem) for every document named, in the single-process CLI's order: local paths
    through its own lazy walk, URLs through fsspec (a folder listed once, sorted)."""
    from .cli import _documents
    for raw in paths:
        if not _is_url(raw):
            for p, problem in _documents([raw]):
                yield str(p), problem
            continue
        import fsspec
        try:
            fs, root = fsspec.core.url_to_fs(raw)
            if fs.isdir(root):
                found = sorted(fs.find(root))
                for p in found:
                    rel = PurePosixPath(p[len(root):].lstrip("/")) if p.startswith(root) \
                        else PurePosixPath(p)
                    if any(part.startswith(".") for part in rel.parts):
                        continue
                    if rel.suffix.lower() in SUPPORTED:
                        yield fs.unstrip_protocol(p), None
            elif fs.isfile(root):
                yield raw, None
            else:
                yield raw, f"{raw}: no such file or folder"
        except Exception as e:   # noqa: BLE001 - an unreachable address is one failure
            yield raw, f"{raw}: cannot list it ({type(e).__name__}: {e})"


def batches(items: Iterable, size: int = BATCH_FILES) -> Iterator[list]:
    """The items in lists of ``size`` (the last shorter), as ``--jobs`` sends them to processes."""
    return _chunks(items, size)


# ---------------------------------------------------------------------------------------------
# The work of one batch (on a worker)


@dataclass(frozen=True)
class ParquetTask:
    out_dir: str
    max_bytes: int = MAX_BYTES
    date: str | None = None


@dataclass
class BatchResult:
    index: int
    files: int = 0            # files read and extracted
    figures: int = 0
    errors: list[str] = field(default_factory=list)
    path: str | None = None   # the Parquet file written, None when the batch had no figures


def _load(name: str, max_bytes: int):
    if not _is_url(name):
        return load_file(Path(name), max_bytes=max_bytes)
    import fsspec
    label = PurePosixPath(name.split("?", 1)[0]).name or name
    try:
        with fsspec.open(name, "rb") as f:
            data = f.read(max_bytes + 1)
    except Exception as e:   # noqa: BLE001
        raise UnreadableDocument(f"{label}: cannot read it ({type(e).__name__}: {e})") from None
    if len(data) > max_bytes:
        raise too_big(label, len(data), max_bytes)
    return load_bytes(data, label, max_bytes)


def _stem(name: str) -> str:
    return PurePosixPath(name.split("?", 1)[0]).stem if _is_url(name) else Path(name).stem


def extract_batch(task: ParquetTask, index: int, items: list[tuple[str, str | None]]) -> BatchResult:
    """Read, extract and write one batch of files as ``part-INDEX.parquet``; never raises for a
    bad file (its error is in the result)."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    result = BatchResult(index)
    rows: dict[str, list] = {c: [] for c in COLUMNS}
    for name, problem in items:
        if problem is not None:
            result.errors.append(problem)
            continue
        try:
            doc = _load(name, task.max_bytes)
            figs = _figures(doc, _stem(name), task.date or doc.published or None)
        except UnreadableDocument as e:
            result.errors.append(str(e))
            continue
        except Exception as e:   # noqa: BLE001 - a bug on one odd file must not stop the batch
            result.errors.append(f"{_stem(name)}: could not be processed "
                                 f"({type(e).__name__}: {e})")
            continue
        result.files += 1
        result.figures += len(figs)
        meta = (doc.sha256, doc.title, doc.url, doc.published, doc.outlet, doc.file_name)
        for f in figs:
            for k, v in f.to_row().items():
                rows[k].append(v)
            for k, v in zip(DOCUMENT_COLUMNS, meta):
                rows[k].append(v)
    if result.figures:
        os.makedirs(task.out_dir, exist_ok=True)
        final = os.path.join(task.out_dir, f"part-{index:06d}.parquet")
        tmp = os.path.join(task.out_dir, f".part-{index:06d}.{uuid.uuid4().hex}.tmp")
        pq.write_table(pa.table(rows, schema=_arrow_schema()), tmp)
        os.replace(tmp, final)     # a killed worker never leaves half a file under the real name
        result.path = final
    return result


# ---------------------------------------------------------------------------------------------
# Running the batches


def _client(address: str):
    from dask.distributed import Client, LocalCluster
    if address == "local":
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                               dashboard_address=None)
        return Client(cluster), cluster
    return Client(address), None


def run(paths: list[str], task: ParquetTask, address: str | None = None, client=None,
        func: Callable = extract_batch, batch_files: int = BATCH_FILES,
        on_result: Callable[[BatchResult], None] | None = None) -> tuple[int, int, list[str]]:
    """Extract every document named into ``task.out_dir``; (files, figures, errors).

    ``client``: an open dask Client to use; else ``address`` ("local" or a scheduler's address);
    else the batches run in this process. ``func`` is the per-batch work (tests wrap it)."""
    os.makedirs(task.out_dir, exist_ok=True)
    work = ((i, b) for i, b in enumerate(batches(list_documents(paths), batch_files)))
    files = figures = 0
    errors: list[str] = []

    def take(r: BatchResult) -> None:
        nonlocal files, figures
        files, figures = files + r.files, figures + r.figures
        errors.extend(r.errors)
        if on_result is not None:
            on_result(r)

    if client is None and address is None:
        for i, b in work:
            take(func(task, i, b))
        return files, figures, errors
    own, cluster = (None, None)
    if client is None:
        own, cluster = _client(address)
        client = own
    try:
        from dask.distributed import as_completed
        n = max(1, len(client.scheduler_info().get("workers", {})))
        window = n * WINDOW_PER_WORKER
        pending = as_completed()
        for i, b in work:
            pending.add(client.submit(func, task, i, b, key=f"figures-batch-{i}-{uuid.uuid4().hex}"))
            if pending.count() >= window:
                break
        for fut in pending:
            r = fut.result()
            fut.release()
            nxt = next(work, None)
            if nxt is not None:
                i, b = nxt
                pending.add(client.submit(func, task, i, b,
                                          key=f"figures-batch-{i}-{uuid.uuid4().hex}"))
            take(r)
    finally:
        if own is not None:
            own.close()
        if cluster is not None:
            cluster.close()
    return files, figures, errors


def read_dataset(folder: str | Path):
    """The dataset as a pyarrow Table (every ``*.parquet`` file of the folder, in name order)."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    parts = sorted(p for p in Path(folder).glob("*.parquet") if not p.name.startswith("."))
    if not parts:
        return _arrow_schema().empty_table()
    return pa.concat_tables(pq.read_table(p) for p in parts)


def is_dataset(path: str | Path) -> bool:
    """A folder holding a Parquet dataset (``*.parquet`` files at its top)."""
    p = Path(path)
    return p.is_dir() and any(q.suffix == ".parquet" and not q.name.startswith(".")
                              for q in p.iterdir())


def archived_records(folder: str | Path) -> Iterator[list[dict]]:
    """The documents of a dataset for ``Store.add_archived``: one list per Parquet file (a
    document's figures are all in the file of its batch), so memory holds one file at a time."""
    import pyarrow.parquet as pq
    for part in sorted(p for p in Path(folder).glob("*.parquet") if not p.name.startswith(".")):
        docs: list[dict] = []
        for row in pq.read_table(part).to_pylist():
            sha = row["document_sha256"]
            if not docs or (docs[-1]["sha256"], docs[-1]["doc_id"]) != (sha, row["doc_id"]):
                # a document's rows are consecutive (the same text in two files: two documents
                # here, one in the store)
                docs.append({"sha256": sha, "doc_id": row["doc_id"],
                             "title": row.get("document_title") or "",
                             "url": row.get("document_url") or "",
                             "published": row.get("document_published") or "",
                             "outlet": row.get("document_outlet") or "",
                             "file_name": row.get("document_file") or "", "figures": []})
            docs[-1]["figures"].append(Figure(**{k: row[k] for k in FIELDS}))
        yield docs


def cmd_ingest(args, folders: list[str]) -> int:
    """``ingest DIR``: the documents of Parquet datasets, stored without their text."""
    from .store import Store, StoreError
    added = present = figures = 0
    try:
        with Store(args.db) as store:
            for folder in folders:
                for records in archived_records(folder):
                    for r in store.add_archived(records):
                        added += r.status == "added"
                        present += r.status == "present"
                        figures += r.figures if r.status == "added" else 0
    except (StoreError, OSError, KeyError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        print(f"stopped: added {added}, already present {present}", file=sys.stderr)
        return 1
    print(f"added {added}, already present {present}, failed 0 ({figures} figure(s); "
          "documents from an archive: their text was not kept)", file=sys.stderr)
    return 0


# ---------------------------------------------------------------------------------------------
# Command line


def cmd_extract(args) -> int:
    """``extract --format parquet -o DIR [--dask ADDRESS]``."""
    if not args.output:
        print("error: --format parquet writes a folder: give it with -o DIR", file=sys.stderr)
        return 2
    task = ParquetTask(out_dir=args.output, max_bytes=args.max_bytes, date=args.date or None)
    bar = None
    if sys.stderr.isatty():
        from tqdm import tqdm
        bar = tqdm(unit=" doc", desc="extract", file=sys.stderr, dynamic_ncols=True)

    def shown(r: BatchResult) -> None:
        for e in r.errors:
            (bar.write if bar is not None else lambda m: print(m, file=sys.stderr))(f"error: {e}")
        if bar is not None:
            bar.update(r.files + len(r.errors))

    try:
        files, figures, errors = run(args.paths, task, address=args.dask, on_result=shown)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    finally:
        if bar is not None:
            bar.close()
    print(f"{files} file(s), {figures} figure(s) written to {args.output}", file=sys.stderr)
    if errors:
        print(f"{len(errors)} file(s) could not be read", file=sys.stderr)
    return 1 if errors else 0
