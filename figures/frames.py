"""The dashboard's frame of every stored figure: read from SQLite once, kept on disk per state of
the store, and brought up to date after a change by reading again only the stories that changed.

- ``all_figures_table``: the rows of the ``figure_rows`` view as an Arrow table, fetched in
  chunks (a million figures without a DataFrame of Python objects in between).
- ``load_all_figures``: that table as a DataFrame, from the cache folder when it holds this state
  of the store. Files, in ``$FIGURES_CACHE_DIR/frames``:
  - ``figures-DB-STATE.arrow``, a *base*: every row of one state, written in a thread while the
    page is drawn (a million figures are 900 MB);
  - ``patch-DB-STATE.arrow``, a *patch*: the rows of the stories changed since a base (named in
    it), for a state a few stories away from it. A review or an ingest writes a patch of a few
    rows, not the whole frame again; past ``PATCH_MAX_ROWS`` a new base is written.
  The store's log of changed stories (``Store.stories_changed_since``, kept by triggers) says
  which rows to read again. Every file is named by the database (path and inode) and its
  state, and records the log it belongs to, so another database or another version of this
  code never reads it; anything unreadable is rebuilt.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import threading
import uuid
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pyarrow import feather

from . import narrow, sqlite_arrow
# how a column of figure_rows is typed in Arrow: also read by the driver's child, which imports
# nothing of this package
from .arrow_types import NUMBER_COLUMNS, alike, common_type as _common_type, \
    concat as _concat, typed_as_read  # noqa: F401
from .cache import write_atomically
from .store import SCHEMA_VERSION, Filters, Store

logger = logging.getLogger(__name__)

def figures_frame(store: Store, filters: Filters) -> pd.DataFrame:
    """The filtered figures as a DataFrame, newest report first (one SQL query)."""
    where, params = filters.where()
    df = pd.read_sql_query(
        f"SELECT * FROM figure_rows WHERE {where} ORDER BY reported_date DESC, figure_id DESC",
        store.conn, params=params)
    for col in ("value", "value_low", "value_high", "extracted_value"):
        df[col] = pd.to_numeric(df[col], errors="coerce")
    return df


def all_figures_frame(store: Store) -> pd.DataFrame:
    """Every stored figure (combatants and rejected ones too): the dashboard loads this once per
    change of the store and filters it in memory, so a filter change needs no query."""
    return figures_frame(store, Filters(include_combatants=True, statuses=(), copies=True))


FRAME_FORMAT = 5     # bump when all_figures_frame's columns or types change (5: stories, points)


def _db_tag(store: Store) -> str | None:
    """The database file's identity for cache names (``narrow.db_tag``)."""
    return narrow.db_tag(store.path)


def _state_tag(*parts) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:12]


def frame_cache_file(store: Store) -> Path | None:
    """Where the frame of the store's current state is cached: named by the database file (its
    path and inode) and its data version, so any commit, by any process, names a new file."""
    folder, db = narrow.frames_folder(), _db_tag(store)
    if folder is None or db is None:
        return None
    state = _state_tag(FRAME_FORMAT, SCHEMA_VERSION, pd.__version__, pa.__version__,
                       store.data_version())
    return folder / f"figures-{db}-{state}.arrow"



#: Rows fetched from SQLite and turned into Arrow at a time when the frame is built: the Python
#: objects of one chunk only are alive at once (1,000,000 figures fetched at once took 2 GB more).
LOAD_CHUNK_ROWS = 50_000


def all_figures_table(store: Store, chunk_rows: int = LOAD_CHUNK_ROWS,
                      stories: list[int] | None = None, ids: list[int] | None = None
                      ) -> pa.Table:
    """The rows of ``all_figures_frame`` as an Arrow table, fetched ``chunk_rows`` at a time and
    converted column by column (no DataFrame of Python objects in between); with ``stories``,
    only the rows of these stories (``story_id``); with ``ids``, of these figures. Raises
    ``pa.ArrowException`` when a column holds values Arrow cannot type alike (text in a number
    column, say); ``all_figures_frame`` reads such a store."""
    where, params = Filters(include_combatants=True, statuses=(), copies=True).where()
    if stories is not None:
        # by document (indexed), not by the view's story_id (an expression SQLite cannot index)
        where += (" AND document_id IN (SELECT id FROM documents WHERE id IN"
                  " (SELECT value FROM json_each(?)) OR copy_of IN"
                  " (SELECT value FROM json_each(?)))")
        params = [*params, json.dumps(stories), json.dumps(stories)]
    if ids is not None:
        where += " AND figure_id IN (SELECT value FROM json_each(?))"
        params = [*params, json.dumps(ids)]
    cur = store.conn.execute(
        f"SELECT * FROM figure_rows WHERE {where} ORDER BY reported_date DESC, figure_id DESC",
        params)
    names = [d[0] for d in cur.description]
    chunks: list[list[pa.Array]] = [[] for _ in names]
    text: list[bool] = [False] * len(names)     # a column seen holding text: no need to infer
    while rows := cur.fetchmany(chunk_rows):
        for i, (arrays, values) in enumerate(zip(chunks, zip(*rows))):
            array = None
            if text[i]:
                try:      # a third faster than inferring the type; a number fails (a BLOB, which
                    # the store never writes into a text column, would read as its text)
                    array = pa.array(values, pa.large_string())
                except (pa.ArrowTypeError, pa.ArrowInvalid):
                    pass
            if array is None:
                array = pa.array(values)
                text[i] = array.type == pa.string()
                if text[i]:
                    array = array.cast(pa.large_string())
            arrays.append(array)
        del rows
    # one array per column (taking rows from one array is faster than from many chunks), made
    # column by column so that only one column is in memory twice
    columns = []
    for name, arrays in zip(names, chunks):
        columns.append(_concat(name, arrays))
        arrays.clear()
    return pa.table(columns, names=names)


#: A state whose changed stories hold more rows than this since the base gets a base of its own
#: (reading them from SQLite costs about 17 µs a row; writing a base, 0.9 µs a byte)
PATCH_MAX_ROWS = 20_000
_TAG, _LOG, _SEQ = b"figures_frame", b"figures_frame_log", b"figures_frame_seq"
_BASE, _STORIES = b"figures_frame_base", b"figures_frame_stories"


def _frame_tag() -> bytes:
    """What a cached file must have been made by to be used at all."""
    return _state_tag(FRAME_FORMAT, SCHEMA_VERSION, pd.__version__, pa.__version__).encode()


def _with_state(table: pa.Table, log: tuple[str, int], **extra: bytes) -> pa.Table:
    meta = dict(table.schema.metadata or {})
    meta.update({_TAG: _frame_tag(), _LOG: log[0].encode(), _SEQ: str(log[1]).encode()})
    meta.update({k.encode(): v for k, v in extra.items()})
    return table.replace_schema_metadata(meta)


def _state_of(table: pa.Table, log_id: str) -> int | None:
    """The sequence number of the state ``table`` holds, if made by this code from this log."""
    meta = table.schema.metadata or {}
    if meta.get(_TAG) != _frame_tag() or meta.get(_LOG) != log_id.encode():
        return None
    try:
        return int(meta.get(_SEQ, b""))
    except ValueError:
        return None


def patch_file(path: Path) -> Path:
    """The patch file of the state whose base file would be ``path``."""
    return path.with_name("patch-" + path.name.split("-", 1)[1])


def _read(path: Path) -> pa.Table | None:
    try:
        return feather.read_table(path, memory_map=True)
    except (OSError, pa.ArrowException):
        return None


def merged(base: pa.Table, stories: list[int], fresh: pa.Table) -> pa.Table:
    """``base`` without the rows of ``stories`` and with the rows of ``fresh``, newest report
    first, as the query orders them: each column is put together from slices of the two tables'
    columns (no sort of the rows, only of their keys)."""
    ids = base["story_id"]
    kept = pc.indices_nonzero(pc.invert(pc.is_in(
        ids, value_set=pa.array(stories, ids.type if ids.type != pa.null() else pa.int64()))))
    if fresh.num_rows == 0 and len(kept) == base.num_rows:
        return base                  # nothing removed, nothing added
    if fresh.column_names != base.column_names:
        raise pa.ArrowInvalid("the fresh rows have other columns than the cached frame")
    pieces = _merge_pieces(base, kept, fresh)
    columns = []
    for name in base.column_names:
        parts, kind = alike(name, [base[name], fresh[name]])
        chunks = [c for which, start, stop in pieces
                  for c in parts[which].slice(start, stop - start).chunks]
        column = pa.chunked_array(chunks, kind)
        if column.null_count == len(column):     # no value left: typed as a fresh read types it
            column = pa.chunked_array([pa.nulls(len(column), _common_type(name, [pa.nulls(1)]))])
        columns.append(column)
    # made one array per column: pandas filters pieces slowly (a million rows in 7 pieces: 2.2 s
    # for the first filter against 0.3 s to join them and 0.5 s to filter the whole), and the
    # frame no longer holds the base file's pages
    return pa.table(columns, names=base.column_names).combine_chunks()


def _merge_pieces(old: pa.Table, kept: pa.Array, fresh: pa.Table) -> list[tuple[int, int, int]]:
    """The merged frame as pieces ``(0 = old, 1 = fresh, start, stop)``: the rows ``kept`` of
    ``old`` and every row of ``fresh``, newest report first. Only the two key columns are sorted
    (0.07 s for a million rows); the pieces are runs of consecutive rows of one table."""
    n_kept = len(kept)

    def column(name, kind):
        return pa.concat_arrays([old[name].take(kept).combine_chunks().cast(kind),
                                 fresh[name].combine_chunks().cast(kind)])
    keys = pa.table({"date": column("reported_date", pa.large_string()),
                     "id": column("figure_id", pa.int64())})
    order = pc.sort_indices(keys, sort_keys=[("date", "descending"), ("id", "descending")])
    order = order.to_numpy().astype(np.int64)
    if not len(order):
        return []
    which = order >= n_kept
    row = np.where(which, order - n_kept,
                   kept.to_numpy().astype(np.int64)[np.minimum(order, max(n_kept - 1, 0))]
                   if n_kept else order - n_kept)
    starts = np.flatnonzero(np.concatenate(
        ([True], (which[1:] != which[:-1]) | (np.diff(row) != 1))))
    stops = np.append(starts[1:], len(order))
    return [(int(which[a]), int(row[a]), int(row[b - 1]) + 1) for a, b in zip(starts, stops)]


def _cached_state(path: Path, log_id: str) -> pa.Table | None:
    """The frame of the state named by ``path`` from its files: its base, or its patch and the
    base the patch names."""
    table = _read(path) if path.is_file() else None
    if table is not None and _state_of(table, log_id) is not None:
        return table
    patch = _read(patch_file(path)) if patch_file(path).is_file() else None
    if patch is None or _state_of(patch, log_id) is None:
        return None
    meta = patch.schema.metadata
    name = meta.get(_BASE, b"").decode(errors="replace")
    # a base of the same database, in the same folder (never a path read from a file as is)
    base = (_read(path.parent / name)
            if name == Path(name).name and name.startswith(path.name.rsplit("-", 1)[0] + "-")
            else None)
    if base is None or _state_of(base, log_id) is None:
        return None
    try:
        return merged(base, json.loads(meta[_STORIES]), patch)
    except (KeyError, ValueError, pa.ArrowException):
        return None


def _latest_base(path: Path, log: tuple[str, int]) -> tuple[Path, pa.Table, int] | None:
    """The newest base file of the same database as ``path`` that an update can start from
    (none for a store without a log id: its numbers could be another database's)."""
    if not log[0]:
        return None
    prefix = path.name.rsplit("-", 1)[0]
    for older in sorted(path.parent.glob(f"{prefix}-*.arrow"), key=_mtime, reverse=True):
        table = _read(older)
        seq = None if table is None else _state_of(table, log[0])
        if seq is not None and seq <= log[1]:
            return older, table, seq
    return None


def has_cached_frame(store: Store) -> bool:
    """Whether the cache folder holds a frame of this database that this state's frame can be
    made from by reading the changed stories only (not everything again)."""
    path = frame_cache_file(store)
    return path is not None and path.parent.is_dir() and (
        _latest_base(path, store.frame_log()) is not None)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def load_all_figures(store: Store) -> pd.DataFrame:
    """``all_figures_frame``, from the cache folder when it holds this state of the store (by
    any process: a restarted dashboard starts fast); else from the newest base there, updated
    with the rows of the stories changed since (a patch file is written for this state); else
    read whole, by SQLite's ADBC driver in a child process for a big store
    (``_built_by_driver``), else here in chunks (``all_figures_table``), and written as a
    base."""
    # one read transaction: the file's name and the frame come from the same state of the store
    store.conn.execute("BEGIN")
    try:
        path = frame_cache_file(store)
        log = store.frame_log()
        if path is not None and (table := _cached_state(path, log[0])) is not None:
            return table.to_pandas()
        table, df = _updated(store, path, log) if path is not None else None, None
        if table is None and path is not None:
            table = _built_by_driver(store, path, log)
        if table is None:
            try:
                table = _with_state(all_figures_table(store), log)
            except pa.ArrowException:     # values Arrow cannot type alike: the pandas way
                df = all_figures_frame(store)
                try:
                    table = _with_state(pa.Table.from_pandas(df, preserve_index=False), log)
                except pa.ArrowException:  # text and numbers in one column: not cached
                    table = None
            if path is not None and table is not None:
                _write_in_background(path, table)
    finally:
        if store.conn.in_transaction:    # SQLite has already ended it after some errors
            store.conn.execute("COMMIT")
    # the text columns of the frame share the table's Arrow buffers (no copy)
    return df if df is not None else table.to_pandas()


#: A store with fewer figures is read here: starting the driver's process costs more (~0.8 s);
#: nor is a narrow frame read first for it (``narrow_wanted``)
DRIVER_MIN_ROWS = narrow.driver_min_rows()


def _built_by_driver(store: Store, path: Path, log: tuple[str, int]) -> pa.Table | None:
    """This state's base file written by SQLite's ADBC driver in a process of its own
    (``sqlite_arrow``: 8 s for 1,000,000 figures where reading them here takes 19 s, and this
    process never holds them twice), then read memory-mapped. None when the store is small, the
    driver is missing or cannot read it, or the store is no longer in this state: the caller
    then reads the rows itself."""
    where, params = Filters(include_combatants=True, statuses=(), copies=True).where()
    version = store.data_version()
    if params or (version[2] or 0) < DRIVER_MIN_ROWS or not sqlite_arrow.available():
        return None
    tmp = path.with_name(f".{path.name}-{uuid.uuid4().hex[:8]}.building")
    meta = {k.decode(): v.decode()
            for k, v in _with_state(pa.table({}), log).schema.metadata.items()}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # at a lower priority: 8-10 s of work that pages drawn meanwhile (from a narrow frame)
        # and the browser must not wait for
        done = sqlite_arrow.write_frame(
            store.path, f"SELECT * FROM figure_rows WHERE {where}"
                        " ORDER BY reported_date DESC, figure_id DESC", version, tmp, meta,
            background=True)
        if done != "written":
            logger.info("the driver did not read %s (%s); reading it here", store.path, done)
            return None
        tmp.replace(path)
    except OSError:
        tmp.unlink(missing_ok=True)
        return None
    table = _read(path)
    if table is None or _state_of(table, log[0]) != log[1]:
        return None
    _remove_others(path)
    return table


def _updated(store: Store, path: Path, log: tuple[str, int]) -> pa.Table | None:
    """This state's frame made from the newest base of the database and the rows of the stories
    changed since, which are written as this state's patch (or, when they are many, the frame as
    a new base). None when there is no base to start from or it does not add up."""
    found = _latest_base(path, log)
    if found is None:
        return None
    base_path, base, seq = found
    stories = store.stories_changed_since(seq)
    try:
        fresh = all_figures_table(store, stories=stories)
        table = merged(base, stories, fresh)
    except pa.ArrowException:
        return None
    if table.num_rows != store.conn.execute("SELECT count(*) FROM figures").fetchone()[0]:
        return None                  # not the rows the store holds: read everything again
    if fresh.num_rows > PATCH_MAX_ROWS:
        table = _with_state(table, log)
        _write_in_background(path, table)
        return table
    patch = _with_state(fresh, log, figures_frame_base=base_path.name.encode(),
                        figures_frame_stories=json.dumps(stories).encode())
    if write_atomically(patch_file(path), lambda f: feather.write_feather(
            patch, f, compression="uncompressed")):
        _remove_others(patch_file(path), keep=base_path)
    return _with_state(table, log)


def _remove_others(path: Path, keep: Path | None = None) -> None:
    """Remove the same database's files of other states: other patches, and for a base also the
    other bases (``keep`` excepted)."""
    db = path.name.split("-")[1]
    kinds = ("patch", "figures") if path.name.startswith("figures-") else ("patch",)
    for kind in kinds:
        for old in path.parent.glob(f"{kind}-{db}-*.arrow"):
            if old not in (path, keep):
                with contextlib.suppress(OSError):     # still open elsewhere (Windows)
                    old.unlink(missing_ok=True)


_WRITERS: list[threading.Thread] = []
_WRITERS_LOCK = threading.Lock()


def _write_in_background(path: Path, table: pa.Table) -> None:
    """Write ``table`` as the base at ``path`` while the page is drawn; a process that ends
    first leaves the older files, which the next start updates again."""
    writer = threading.Thread(target=_write_base, args=(path, table), name="figures-frame-cache")
    with _WRITERS_LOCK:
        _WRITERS.append(writer)
    writer.start()


def _write_base(path: Path, table: pa.Table) -> None:
    try:
        # one record batch per piece: the columns read back memory-mapped are one array each
        # for a frame built whole (rows are taken from one array faster than from many chunks)
        if write_atomically(path, lambda f: feather.write_feather(
                table, f, compression="uncompressed", chunksize=max(table.num_rows, 1))):
            _remove_others(path)
    finally:
        with _WRITERS_LOCK:
            with contextlib.suppress(ValueError):
                _WRITERS.remove(threading.current_thread())


def frames_written() -> None:
    """Wait until the base files being written are on disk (tests, benchmarks, a command that
    ends right after loading)."""
    with _WRITERS_LOCK:
        writers = list(_WRITERS)
    for writer in writers:
        writer.join()


# ---------------------------------------------------------------------------------------------
# A narrow frame, while a big store's frame is read whole

#: The columns of the narrow frame (``narrow``)
NARROW_COLUMNS = narrow.NARROW_COLUMNS


class StateChanged(Exception):
    """The store is no longer in the state a narrow frame was read in."""


def narrow_wanted(store: Store) -> bool:
    """Whether the frame of the store's current state can only be made by reading every figure
    (no frame of the store cached to start from) and the store is big enough for that to take
    seconds (``_built_by_driver``), so that a narrow frame (``load_narrow``) shows the first
    page sooner."""
    if (store.data_version()[2] or 0) < DRIVER_MIN_ROWS or not sqlite_arrow.available():
        return False
    return frame_cache_file(store) is None or not has_cached_frame(store)


def start_narrow(store: Store) -> bool:
    """Start reading the store's narrow frame in child processes (``narrow.start``), when one
    is wanted (``narrow_wanted``), for ``load_narrow`` to take up. True when it is being read."""
    return narrow_wanted(store) and narrow.start(store.path, store.data_version())


def load_narrow(store: Store) -> tuple[tuple, pd.DataFrame] | None:
    """(the store's state, the ``NARROW_COLUMNS`` of every figure in that state, typed as the
    frame types them, in the order of the store's table, not the frame's), read by SQLite's ADBC
    driver in child processes (about 1.1 s for a million figures on two cores, where the whole
    frame takes 8-10 s), or taken from the read ``start_narrow`` or the server
    (``narrow.start_early``) started. None when the driver is missing or cannot read the store,
    or the store changed meanwhile."""
    if not sqlite_arrow.available():
        return None
    version = store.data_version()
    started, stale = narrow.take(store.path, version)
    for parts in stale:                  # of an earlier state: waited for and removed
        narrow.discard(parts)
    if started is None and narrow.start(store.path, version):
        started, _ = narrow.take(store.path, version)
    table = _narrow_table(started) if started is not None else None
    return None if table is None else (version, table.to_pandas())


def _narrow_table(parts: list[narrow.Part]) -> pa.Table | None:
    """The parts' tables as one (each column typed as one read of every row types it), once
    every child has written its part in the expected state; every part's file removed."""
    try:
        done = [job.result() for job, _ in parts]
        if any(d != "written" for d in done):
            logger.info("the driver did not read a narrow frame (%s)", "; ".join(done))
            return None
        # mapped (0.02 s where reading them takes 0.4 s), and removed at once: the mapping keeps
        # the files' pages until the frame is let go
        tables = [feather.read_table(path, memory_map=True) for _, path in parts]
        names = tables[0].column_names
        columns = []
        for name in names:
            chunks, kind = alike(name, [c for t in tables for c in t[name].chunks])
            columns.append(pa.chunked_array(chunks, kind))
        return pa.table(columns, names=names)
    except (OSError, KeyError, pa.ArrowException):
        return None
    finally:
        for _, path in parts:
            with contextlib.suppress(OSError):      # a mapped file cannot go on Windows
                path.unlink(missing_ok=True)


def rows_by_id(store: Store, version: tuple, ids: list[int]) -> pd.DataFrame:
    """The rows of ``all_figures_frame`` of these figure ids, in its order and typed as it
    types them, read in the state ``version`` (a narrow frame's); raises ``StateChanged`` when
    the store is in another."""
    store.conn.execute("BEGIN")
    try:
        if store.data_version() != version:
            raise StateChanged(f"{store.path} changed since its figures were counted")
        table = all_figures_table(store, ids=ids)
    finally:
        if store.conn.in_transaction:
            store.conn.execute("COMMIT")
    # a column without a value among these rows is typed as it is among all of them
    return pa.table([c.cast(pa.float64() if name in NUMBER_COLUMNS else pa.large_string())
                     if c.type == pa.null() else c for name, c in zip(table.column_names,
                                                                      table.columns)],
                    names=table.column_names).to_pandas()
