"""Where the store lives and which state it is in, without the store's imports (the engine, the
deduplication: 0.4 s): the dashboard's server reads them as its very first step
(``figures.narrow``), and the driver's child reads the state with its own SQLite
(``sqlite_arrow``)."""
from __future__ import annotations

import os
import sqlite3
from pathlib import Path

PROJECT_DATA = Path(__file__).resolve().parent.parent / "data"
DEFAULT_DB = PROJECT_DATA / "figures.db"


def db_path(explicit: str | os.PathLike | None = None) -> Path:
    """Where the database lives: the explicit path, else $FIGURES_DB, else data/figures.db."""
    if explicit:
        return Path(explicit)
    env = os.environ.get("FIGURES_DB", "").strip()
    return Path(env) if env else DEFAULT_DB


#: ``Store.data_version`` as one query (one snapshot), for any connection to a store's file
DATA_VERSION_SQL = ("SELECT (SELECT value FROM meta WHERE key = 'frame_log'),"
                    " (SELECT max(seq) FROM frame_changes), (SELECT max(id) FROM figures),"
                    " (SELECT max(id) FROM documents)")


def version_of_row(row) -> tuple:
    """``Store.data_version`` from the row of ``DATA_VERSION_SQL``."""
    log, seq, figure, document = row
    return (log or "", seq or 0, figure, document)


def read_version(path: Path) -> tuple | None:
    """``Store.data_version`` of the store at ``path``, read without opening it as ``Store``
    does (nothing created, migrated or written); None when there is no such store or it cannot
    be read (the dashboard then opens it and says what is wrong)."""
    if not path.is_file():
        return None
    try:
        # a short wait: a store being committed to is read by the page instead
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=1)
    except sqlite3.Error:
        return None
    try:
        return version_of_row(conn.execute(DATA_VERSION_SQL).fetchone())
    except (sqlite3.Error, ValueError, TypeError):
        return None
    finally:
        conn.close()
