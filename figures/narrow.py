"""A big store's narrow frame read in child processes, started as early as the dashboard's server
can: before its own imports of pandas, pyarrow and the store (0.6 s), on a core that is idle
while Streamlit starts. ``frames.load_narrow`` takes the read up; this module imports neither.

The narrow frame holds ``NARROW_COLUMNS`` of every figure: what the filters, the sidebar and the
choice of the rows shown on the Overview's first page read, an eighth of the frame's bytes. It is
read by SQLite's ADBC driver (``sqlite_arrow``) in ``NARROW_PARTS`` children at once, each of a
range of figure ids, into temporary files, in the state the caller names: a child that finds the
store in another state writes nothing.
"""
from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import threading
import time
from pathlib import Path

from . import sqlite_arrow
from .cache import cache_dir
from .store_file import read_version

#: The columns of ``frames.all_figures_frame`` that the filters (``views.filter_mask``; a search
#: of the quotes excepted), the sidebar's choices and the choice of the rows the Overview's first
#: page reads (``views.Selection.digest``) read: an eighth of the frame's bytes.
NARROW_COLUMNS = ("figure_id", "document_id", "category", "location", "country", "source",
                  "review_status", "reported_date", "combatant", "part_of", "copy_of_figure")

#: The narrow frame is read in this many parts at once, by figure id (two cores read a million
#: figures in 1.0-1.1 s where one takes 1.6-1.7 s)
NARROW_PARTS = 2

#: A narrow frame's file older than this was left by a server that was killed while reading it
#: (a read ends within ``sqlite_arrow.TIMEOUT_S``)
ABANDONED_AFTER_S = 2 * sqlite_arrow.TIMEOUT_S

#: A part being read: its child and its file
Part = tuple[sqlite_arrow.Job, Path]

#: Narrow frames being read, by store file and state
_READS: dict[tuple[str, tuple], list[Part]] = {}
_LOCK = threading.Lock()


def driver_min_rows(default: int = 50_000) -> int:
    """The number of figures from which a store is read by the driver, and a narrow frame read
    first (``frames.DRIVER_MIN_ROWS``): ``$FIGURES_DRIVER_MIN_ROWS`` when it is a whole number
    (0 and up: the tests show a small store the way a big one is shown), else ``default``."""
    try:
        value = int(os.environ.get("FIGURES_DRIVER_MIN_ROWS", ""))
    except ValueError:
        return default
    return value if value >= 0 else default


def db_tag(path: Path) -> str | None:
    """The database file's identity for cache names: its path and inode (a new file at the same
    path is another store)."""
    path = path.resolve()
    try:
        inode = path.stat().st_ino
    except OSError:
        return None
    return hashlib.sha256(f"{path}|{inode}".encode()).hexdigest()[:12]


def frames_folder() -> Path | None:
    """Where the frames of every store are cached (``frames``), or None when caching is off."""
    folder = cache_dir()
    return None if folder is None else folder / "frames"


def has_base_file(db: Path) -> bool:
    """Whether the cache folder holds any frame of every figure of this database (of whatever
    state and version of this code: ``frames`` decides whether it can be brought up to date)."""
    folder, tag = frames_folder(), db_tag(db)
    if folder is None or tag is None or not folder.is_dir():
        return False
    return next(folder.glob(f"figures-{tag}-*.arrow"), None) is not None


def start_early(db: Path) -> bool:
    """Start reading the narrow frame of the store at ``db`` if its first page will want one:
    it is big (``driver_min_rows``), the driver is installed and no frame of it is cached at
    all. The dashboard's server calls this first; a read not started here is started, if
    wanted, when the first page asks (``frames.load_narrow``). True when started."""
    version = read_version(db)
    if (version is None or (version[2] or 0) < driver_min_rows()
            or not sqlite_arrow.available() or has_base_file(db)):
        return False
    return start(db, version)


def start(db: Path, version: tuple) -> bool:
    """Start reading the narrow frame of the store at ``db`` in the state ``version`` (its
    ``data_version``), unless it is being read already. True when it is being read."""
    key = (str(db), version)
    with _LOCK:
        if key in _READS:
            return True
    remove_abandoned()
    top, parts = version[2] or 0, []
    # by figure id: the first part from the lowest (another tool may have written ids below 1),
    # the last to the highest
    bounds = [None] + [top * k // NARROW_PARTS for k in range(1, NARROW_PARTS)] + [None]
    for low, high in zip(bounds, bounds[1:]):
        fd, name = tempfile.mkstemp(prefix="figures-narrow-", suffix=".arrow")
        os.close(fd)
        # every figure (the frame's rows: ``figure_rows`` unfiltered), in the store's order, not
        # the frame's: sorting costs SQLite 0.6 s of 1.8 s at a million figures, and what is read
        # of it does not depend on the rows' order
        ids = " AND ".join(([] if low is None else [f"figure_id > {int(low)}"])
                           + ([] if high is None else [f"figure_id <= {int(high)}"])) or "1"
        parts.append((sqlite_arrow.start_frame(
            db, f"SELECT {', '.join(NARROW_COLUMNS)} FROM figure_rows WHERE {ids}", version,
            Path(name), {}), Path(name)))
    with _LOCK:
        if key not in _READS:
            _READS[key] = parts
            return True
    discard(parts)                       # another thread started the same read meanwhile
    return True


def take(db: Path, version: tuple) -> tuple[list[Part] | None, list[list[Part]]]:
    """(the parts of the read of this state, if one was started; the reads of the same store's
    other states, which the caller discards), each taken out of this module's hands."""
    with _LOCK:
        started = _READS.pop((str(db), version), None)
        stale = [_READS.pop(k) for k in list(_READS) if k[0] == str(db)]
    return started, stale


def discard(parts: list[Part]) -> None:
    """Wait for the parts' children and remove their files."""
    for job, path in parts:
        job.result()
        with contextlib.suppress(OSError):
            path.unlink(missing_ok=True)


def remove_abandoned() -> None:
    """Remove the narrow frames' files that killed servers left in the temporary folder."""
    too_old = time.time() - ABANDONED_AFTER_S
    for path in Path(tempfile.gettempdir()).glob("figures-narrow-*.arrow"):
        with contextlib.suppress(OSError):
            if path.stat().st_mtime < too_old:
                path.unlink()
