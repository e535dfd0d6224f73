"""Many files through the extractor in constant memory, on one process or several.

``ordered_map(func, items, jobs)`` is an ordered, lazy map: results come back in the order of the
items, and only a bounded window of items is ever in flight (``jobs * WINDOW_PER_JOB`` chunks of
``CHUNKSIZE`` items, more for items that take little time: see ``ordered_map``), so a folder of millions of files is never listed, read or extracted
ahead of what the caller has written. With ``jobs == 1`` it is a plain loop in this process.

With several jobs the workers are forked after the engine has been warmed up here (its word lists,
patterns and gazetteer built once, then shared copy-on-write; ``gc.freeze`` keeps the collector
from touching those pages); where fork is not available they are spawned and warm up themselves.
Workers ignore Ctrl-C: the main process gets it, terminates them and re-raises. A worker killed by
the system (out of memory...) is detected and reported instead of hanging the run.

``extract_file`` and ``prepare_file`` are the per-file work of ``extract`` and ``ingest``: they
never raise for a bad file, they return its error message, so one file never stops a batch.
"""
from __future__ import annotations

import csv
import gc
import io
import json
import multiprocessing
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

from .extract import extract
from .formats import LoadedDocument, load_file
from .reading import MAX_BYTES, UnreadableDocument
from .schema import FIELDS, Figure, to_csv_row

CHUNKSIZE = 4          # files per task sent to a worker, at first and at least
CHUNK_MAX = 256        # ... and at most: a chunk done in under CHUNK_SECONDS is doubled next time,
CHUNK_SECONDS = 0.05   # one that took four times as long is halved (texts of a few hundred bytes
                       # cost more to send to a worker and back than to read, four at a time)
WINDOW_PER_JOB = 4     # chunks in flight per worker: enough to keep it busy while we write
POLL_S = 0.5           # how often a wait checks that the workers are alive

# Read once before forking, so that every lazily built table of the engine exists in the parent.
_WARM_UP = ("GENEVA, Sept 20 (Reuters) - Fighting in Aleppo has killed at least 1,200 civilians "
            "and displaced tens of thousands of people since March, according to the United "
            "Nations. The Syrian Observatory for Human Rights said 35 children were wounded in "
            "Idlib province on Tuesday, and up to 25,000 are believed to be still trapped.")


class WorkerDied(RuntimeError):
    """A worker process ended without returning its results (killed by the system?)."""


def warm_up() -> None:
    """Build the engine's compiled word lists and gazetteer in this process (a few seconds once)."""
    extract(_WARM_UP, doc_id="warm-up")


def _context(method: str | None = None):
    if method is None:
        method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    return multiprocessing.get_context(method)


def _worker_init(warm: bool) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)   # Ctrl-C is the main process's business
    if warm:                                        # spawned workers build their own tables
        warm_up()


def _run_chunk(func: Callable, chunk: list) -> tuple[list, float]:
    """func over the chunk, and the seconds that took (to size the next chunks)."""
    t = time.perf_counter()
    return [func(item) for item in chunk], time.perf_counter() - t


def _chunks(items: Iterable, size: int) -> Iterator[list]:
    chunk = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


class ordered_map:
    """func(item) for each item, in order, computed by ``jobs`` processes; lazy on both sides.

        with ordered_map(partial(extract_file, task), items, jobs=2) as results:
            for result in results: ...

    The workers start when the object is made (so a caller can fork them before it opens files
    or databases of its own) and stop when it is closed: at the end of the ``with`` block, also
    on an exception or Ctrl-C, in which case they are terminated at once. ``func`` must be
    picklable (a module-level function or a functools.partial of one) when jobs > 1.
    ``start_method`` forces "fork" or "spawn" (default: fork where the system has it).
    ``idle``: called in this process while a slow item holds back the results (every POLL_S),
    so the caller can finish work on the results it already has (ingest commits them)."""

    def __init__(self, func: Callable, items: Iterable, jobs: int = 1,
                 chunksize: int = CHUNKSIZE, window: int | None = None,
                 start_method: str | None = None, idle: Callable[[], None] | None = None):
        self.func, self.items, self.jobs = func, items, max(1, jobs)
        self.idle = idle      # called every POLL_S while the next result is not ready
        self.chunksize = max(1, chunksize)
        self.window = window or self.jobs * WINDOW_PER_JOB
        self.pool, self.workers, self.done, self.forked = None, [], False, False
        self.sizes: list[int] = []   # the size of each chunk sent to the workers, in order
        if self.jobs > 1:
            ctx = _context(start_method)
            self.forked = ctx.get_start_method() == "fork"
            if self.forked:
                warm_up()
                gc.freeze()   # the shared tables stay shared: the collector will not write to them
            before = set(multiprocessing.active_children())
            self.pool = ctx.Pool(self.jobs, initializer=_worker_init, initargs=(not self.forked,))
            self.workers = [p for p in multiprocessing.active_children() if p not in before]

    def __iter__(self) -> Iterator:
        if self.pool is None:
            return (self.func(item) for item in self.items)
        return self._parallel()

    def _parallel(self) -> Iterator:
        pool, pending = self.pool, deque()
        items, size = iter(self.items), self.chunksize

        def submit() -> bool:
            chunk = list(islice(items, size))
            if chunk:
                pending.append(pool.apply_async(_run_chunk, (self.func, chunk)))
                self.sizes.append(len(chunk))
            return bool(chunk)

        while len(pending) < self.window and submit():
            pass
        while pending:
            result = pending.popleft()
            while not result.ready():
                result.wait(POLL_S)
                if self.idle is not None and not result.ready():
                    self.idle()
                dead = [p for p in self.workers if p.exitcode is not None]
                if dead and not result.ready():
                    raise WorkerDied(f"a worker process stopped unexpectedly (exit code "
                                     f"{dead[0].exitcode}); the system may have run out of memory")
            values, seconds = result.get()
            if seconds < CHUNK_SECONDS and len(values) >= size:
                size = min(CHUNK_MAX, size * 2)
            elif seconds > 4 * CHUNK_SECONDS:
                size = max(self.chunksize, size // 2)
            submit()                          # refill before handing results out: workers go on
            yield from values
        self.done = True

    def close(self) -> None:
        """Stop the workers: let them exit after a complete run, terminate them otherwise."""
        pool, self.pool = self.pool, None
        if pool is None:
            return
        if self.done:
            pool.close()
        else:
            pool.terminate()
        pool.join()
        if self.forked:
            gc.unfreeze()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


# ---------------------------------------------------------------------------------------------
# The per-file work. Items are (path, problem) pairs as cli._documents yields them.


@dataclass(frozen=True)
class ExtractTask:
    format: str = "csv"               # "csv" or "jsonl"
    max_bytes: int = MAX_BYTES
    date: str | None = None           # the documents' date when their dateline has none


@dataclass
class Extracted:
    text: str = ""          # the output lines for this file (CSV rows without header, or JSONL)
    figures: int = 0
    chars: int = 0          # characters of text read
    error: str | None = None


def extract_file(task: ExtractTask, item: tuple[Path, str | None]) -> Extracted:
    """Load one file and extract its figures, already formatted as output lines."""
    path, problem = item
    if problem is not None:
        return Extracted(error=problem)
    try:
        doc = load_file(path, max_bytes=task.max_bytes)
        figs = _figures(doc, path.stem, task.date or doc.published or None)
    except UnreadableDocument as e:
        return Extracted(error=str(e))
    except Exception as e:   # noqa: BLE001 - a bug on one odd file must not stop the batch
        return Extracted(error=f"{path.name}: could not be processed ({type(e).__name__}: {e})")
    out = io.StringIO()
    if task.format == "csv":
        writer = csv.DictWriter(out, fieldnames=FIELDS, lineterminator="\n")
        writer.writerows(to_csv_row(f) for f in figs)
    else:
        for f in figs:
            out.write(json.dumps(f.to_row(), ensure_ascii=False) + "\n")
    return Extracted(out.getvalue(), len(figs), len(doc.text))


def _figures(doc: LoadedDocument, doc_id: str, date: str | None) -> list[Figure]:
    figs = extract(doc.text, doc_id=doc_id, date=date)
    if doc.pages:
        for f in figs:
            f.page = doc.page_at(f.start)
    return figs


@dataclass(frozen=True)
class IngestTask:
    db: str | None = None             # the store, to skip documents it already has
    max_bytes: int = MAX_BYTES


@dataclass
class Prepared:
    doc: LoadedDocument | None = None      # None when present or failed
    figures: list[Figure] | None = None
    present: bool = False                  # the store already had this text
    error: str | None = None


_stores: dict = {}   # per process: the store a worker checks for documents it already has


def prepare_file(task: IngestTask, item: tuple[Path, str | None], store=None) -> Prepared:
    """Load one file and extract its figures for the store; skip a text the store already has.

    ``store`` is the caller's open Store (in-process); workers open their own, once."""
    from .store import Store, StoreError, _first_line, doc_id_for, figures_for
    path, problem = item
    if problem is not None:
        return Prepared(error=problem)
    try:
        doc = load_file(path, max_bytes=task.max_bytes)
    except UnreadableDocument as e:
        return Prepared(error=str(e))
    except Exception as e:   # noqa: BLE001
        return Prepared(error=f"{path.name}: could not be read ({type(e).__name__}: {e})")
    try:
        if store is None:
            if task.db not in _stores:
                _stores[task.db] = Store(task.db)
            store = _stores[task.db]
        if store.has(doc.sha256) is not None:
            return Prepared(present=True)
    except StoreError:
        pass   # cannot look: extract it, the main process's store decides
    try:
        figs = figures_for(doc, doc_id_for(doc))
        # the title the store gives an untitled document, worked out here and not in the one
        # process that writes (it reads the document's structure: most of a write's time)
        doc.title = doc.title or _first_line(doc.text)
        return Prepared(doc=doc, figures=figs)
    except UnreadableDocument as e:     # e.g. the engine's time limit for one document
        return Prepared(error=str(e))
    except Exception as e:   # noqa: BLE001 - a bug on one odd file must not stop the batch
        return Prepared(error=f"{path.name}: could not be processed ({type(e).__name__}: {e})")


# ---------------------------------------------------------------------------------------------
# Progress on a terminal


class Progress:
    """A tqdm bar on standard error with rate and ETA when it is a terminal, else nothing.

    Start it after the workers exist (``start()``, or the first ``update()``): no thread of ours
    runs while they are forked. The total is counted by a background thread (a second lazy walk
    over the same paths), so the bar shows at once and gains its ETA when the count is done."""

    def __init__(self, what: str, count: Callable[[], Iterable] | None = None,
                 enabled: bool | None = None):
        self.what, self.count, self.bar = what, count, None
        self.enabled = sys.stderr.isatty() if enabled is None else enabled

    def start(self) -> None:
        if not self.enabled or self.bar is not None:
            return
        from tqdm import tqdm
        self.bar = tqdm(unit=" doc", desc=self.what, file=sys.stderr, dynamic_ncols=True,
                        smoothing=0.1)
        if self.count is not None:
            threading.Thread(target=self._count, args=(self.bar,), daemon=True).start()

    def _count(self, bar) -> None:
        n = sum(1 for _ in self.count())
        if bar.total is None:
            bar.total = n

    def update(self, **postfix) -> None:
        if not self.enabled:
            return
        self.start()
        if postfix:
            self.bar.set_postfix(postfix, refresh=False)
        self.bar.update(1)

    def write(self, message: str) -> None:
        """A line on standard error that does not break the bar."""
        if self.bar is not None:
            self.bar.write(message, file=sys.stderr)
        else:
            print(message, file=sys.stderr)

    def close(self, **postfix) -> None:
        """End the bar, with the final counts if given."""
        bar, self.bar, self.enabled = self.bar, None, False
        if bar is not None:
            if bar.total is None or bar.total < bar.n:
                bar.total = bar.n      # the count had not finished: the end is here
            if postfix:
                bar.set_postfix(postfix, refresh=False)
            bar.refresh()
            bar.close()
