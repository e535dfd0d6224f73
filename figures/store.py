"""The document store: every document and figure kept in one SQLite file, traceable, never lost.

- One database file: ``--db PATH``, else ``$FIGURES_DB``, else ``data/figures.db`` in the project.
- WAL mode and a generous busy timeout, so a command-line ingest and the dashboard work at once.
- The schema is versioned with ``PRAGMA user_version`` and migrated in code (``MIGRATIONS``).
- A document's identity is the SHA-256 of its text: adding the same content twice stores one.
- One transaction per document: a process killed mid-ingest leaves every earlier document intact.
- Reviews are keyed by document and text span, not by figure row, so they survive re-extraction;
  a review whose figure disappears is kept and reported (``orphan_reviews``).
"""
from __future__ import annotations

import contextlib
import functools
import inspect
import json
import os
import shutil
import sqlite3
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path

from . import dedup
from .extract import EXTRACTOR_VERSION, extract
from .formats import SUPPORTED, LoadedDocument, load_file
from .reading import UnreadableDocument
from .schema import CATEGORIES, CORRECTABLE, FIELDS, REVIEW_STATUSES, Figure
# where the store lives and which state it is in: also read by the dashboard's server before
# its heavy imports, and by the driver's child
from .store_file import (DATA_VERSION_SQL, DEFAULT_DB, PROJECT_DATA, db_path,  # noqa: F401
                         version_of_row)

BUSY_TIMEOUT_S = 30.0


class StoreError(Exception):
    """The database cannot be used; the message says why and what to do."""


_ELSEWHERE = "choose another file with --db or FIGURES_DB"


def _disk_full(path: Path) -> bool:
    try:
        return shutil.disk_usage(path.parent).free < 1024 * 1024
    except OSError:
        return False


def explain(path: Path, e: sqlite3.Error, opening: bool = False) -> StoreError | None:
    """The StoreError, in words a user can act on, for an SQLite error that comes from the file or
    the disk (damaged, locked, unreadable, read-only, full); None for errors in the program itself
    (constraint violations, bad SQL), which are left as they are. ``opening``: nothing has been
    written yet, so the message can say the file was not changed."""
    unchanged = " It was not changed." if opening else ""
    if type(e) not in (sqlite3.DatabaseError, sqlite3.OperationalError):
        return None
    code = (getattr(e, "sqlite_errorcode", None) or 0) & 0xFF
    text = str(e).lower()
    if code == 13 or "disk is full" in text or (code in (10, 14) and _disk_full(path)):
        return StoreError(
            f"the disk holding {path} is full ({e}): what was being written was not stored, and "
            "everything stored before is intact. Free some space on that disk, or "
            f"{_ELSEWHERE}, and run the command again.")
    if code in (5, 6) or "locked" in text or "busy" in text:
        return StoreError(
            f"{path} is locked by another program ({e}; waited {BUSY_TIMEOUT_S:g} s). Close the "
            "program that holds it, or wait for it to finish, and try again"
            + (". It was not changed." if opening else "; what was being written was not stored."))
    if code in (11, 26) or "malformed" in text or "not a database" in text \
            or "encrypted" in text:
        return StoreError(
            f"{path} is not a Humanitarian Figures database or is damaged ({e}).{unchanged} "
            f"Move it aside (or restore it from a backup), or {_ELSEWHERE}.")
    if code == 8 or "readonly" in text or "read-only" in text:
        return StoreError(
            f"cannot write to the database {path}: the file or its folder is read-only ({e}). "
            f"Make both writable for this user, or {_ELSEWHERE}.{unchanged}")
    if code in (3, 10, 14, 23) or "unable to open" in text or "i/o error" in text:
        return StoreError(
            f"cannot open the database {path} ({e}). Check that this user may read and write the "
            f"file and its folder, or {_ELSEWHERE}.{unchanged}")
    return None


def as_store_error(path: str | os.PathLike, exc: BaseException) -> StoreError | None:
    """``exc`` as a StoreError: itself if it is one, else the explained SQLite error found in its
    chain of causes (pandas and other libraries wrap them); None when it is not about the file."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, StoreError):
            return exc
        if isinstance(exc, sqlite3.Error):
            return explain(Path(path), exc)
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return None


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _q(name: str) -> str:
    """A column name quoted for SQL ("start" and "end" are keywords)."""
    return '"' + name.replace('"', '""') + '"'


# ---------------------------------------------------------------------------------------------
# Schema, versioned. Never edit a migration that has shipped: add the next one.

_FIGURE_COLUMNS_V1 = """
    doc_id TEXT NOT NULL, article INTEGER NOT NULL, category TEXT NOT NULL, value REAL NOT NULL,
    value_low REAL, value_high REAL, qualifier TEXT NOT NULL, number_text TEXT NOT NULL,
    unit TEXT NOT NULL, who TEXT NOT NULL, combatant INTEGER NOT NULL, term TEXT NOT NULL,
    location TEXT NOT NULL, country TEXT NOT NULL, source TEXT NOT NULL,
    reported_date TEXT NOT NULL, quote TEXT NOT NULL, "start" INTEGER NOT NULL,
    "end" INTEGER NOT NULL
"""

_V1 = f"""
CREATE TABLE documents (
    id INTEGER PRIMARY KEY,
    sha256 TEXT NOT NULL UNIQUE,
    doc_id TEXT NOT NULL,
    title TEXT NOT NULL DEFAULT '',
    outlet TEXT NOT NULL DEFAULT '',
    url TEXT NOT NULL DEFAULT '',
    published TEXT NOT NULL DEFAULT '',
    added_at TEXT NOT NULL,
    file_name TEXT NOT NULL DEFAULT '',
    format TEXT NOT NULL,
    text TEXT NOT NULL,
    extractor_version TEXT NOT NULL
);
CREATE TABLE figures (
    id INTEGER PRIMARY KEY,
    document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    {_FIGURE_COLUMNS_V1},
    extractor_version TEXT NOT NULL
);
CREATE INDEX figures_by_document ON figures(document_id);
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

_V2 = """
ALTER TABLE documents ADD COLUMN pages TEXT NOT NULL DEFAULT '[]';
ALTER TABLE figures ADD COLUMN page INTEGER;
CREATE INDEX figures_by_span ON figures(document_id, "start", "end");
CREATE INDEX figures_by_date ON figures(reported_date);
CREATE TABLE reviews (
    id INTEGER PRIMARY KEY,
    document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    span_start INTEGER NOT NULL,
    span_end INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('accepted', 'corrected', 'rejected')),
    value REAL, category TEXT, location TEXT, country TEXT, source TEXT,
    note TEXT NOT NULL DEFAULT '',
    reviewer TEXT NOT NULL DEFAULT '',
    reviewed_at TEXT NOT NULL,
    UNIQUE (document_id, span_start, span_end)
);
CREATE TABLE review_history (
    id INTEGER PRIMARY KEY,
    document_id INTEGER NOT NULL,
    span_start INTEGER NOT NULL,
    span_end INTEGER NOT NULL,
    status TEXT NOT NULL,
    value REAL, category TEXT, location TEXT, country TEXT, source TEXT,
    note TEXT NOT NULL DEFAULT '',
    reviewer TEXT NOT NULL DEFAULT '',
    reviewed_at TEXT NOT NULL
);
-- Every figure as the dashboard and the exports see it: a reviewer's corrections applied, the
-- extracted values kept beside them, and its document's title and address.
CREATE VIEW figure_rows AS
SELECT
    f.id AS figure_id, f.document_id, f.doc_id, f.article,
    COALESCE(r.category, f.category) AS category,
    COALESCE(r.value, f.value) AS value,
    CASE WHEN r.value IS NULL THEN f.value_low
         WHEN f.qualifier = 'at_most' THEN NULL ELSE r.value END AS value_low,
    CASE WHEN r.value IS NULL THEN f.value_high
         WHEN f.qualifier = 'at_least' THEN NULL ELSE r.value END AS value_high,
    CASE WHEN r.value IS NOT NULL AND f.qualifier IN ('range', 'vague') THEN 'exact'
         ELSE f.qualifier END AS qualifier,
    f.number_text, f.unit, f.who, f.combatant, f.term,
    COALESCE(r.location, f.location) AS location,
    COALESCE(r.country, f.country) AS country,
    COALESCE(r.source, f.source) AS source,
    f.reported_date, f.quote, f."start", f."end", f.page, f.extractor_version,
    d.title AS document_title, d.url AS document_url, d.outlet AS document_outlet,
    d.file_name AS document_file, d.added_at AS document_added_at,
    COALESCE(r.status, 'unreviewed') AS review_status,
    COALESCE(r.note, '') AS review_note, r.reviewer, r.reviewed_at,
    f.value AS extracted_value, f.category AS extracted_category,
    f.location AS extracted_location, f.country AS extracted_country,
    f.source AS extracted_source
FROM figures f
JOIN documents d ON d.id = f.document_id
LEFT JOIN reviews r
    ON r.document_id = f.document_id AND r.span_start = f."start" AND r.span_end = f."end";
"""

_V3 = """
ALTER TABLE figures ADD COLUMN location_level TEXT NOT NULL DEFAULT '';
ALTER TABLE figures ADD COLUMN speaker TEXT NOT NULL DEFAULT '';
ALTER TABLE figures ADD COLUMN figure_date TEXT NOT NULL DEFAULT '';
ALTER TABLE figures ADD COLUMN figure_date_text TEXT NOT NULL DEFAULT '';
ALTER TABLE reviews ADD COLUMN speaker TEXT;
ALTER TABLE review_history ADD COLUMN speaker TEXT;
-- the rule of Store.review for verdicts given before speakers were read: a corrected source
-- names no speaker, so the speaker the engine reads on re-extraction is not shown beside it
UPDATE reviews SET speaker = '' WHERE source IS NOT NULL;
UPDATE review_history SET speaker = '' WHERE source IS NOT NULL;
DROP VIEW figure_rows;
-- As in version 2, plus the place's level, the person speaking for the source (correctable, the
-- extracted one kept as extracted_speaker) and the date the text gives for the figure. A
-- corrected place has no known level: the extracted level described the extracted place.
CREATE VIEW figure_rows AS
SELECT
    f.id AS figure_id, f.document_id, f.doc_id, f.article,
    COALESCE(r.category, f.category) AS category,
    COALESCE(r.value, f.value) AS value,
    CASE WHEN r.value IS NULL THEN f.value_low
         WHEN f.qualifier = 'at_most' THEN NULL ELSE r.value END AS value_low,
    CASE WHEN r.value IS NULL THEN f.value_high
         WHEN f.qualifier = 'at_least' THEN NULL ELSE r.value END AS value_high,
    CASE WHEN r.value IS NOT NULL AND f.qualifier IN ('range', 'vague') THEN 'exact'
         ELSE f.qualifier END AS qualifier,
    f.number_text, f.unit, f.who, f.combatant, f.term,
    COALESCE(r.location, f.location) AS location,
    CASE WHEN r.location IS NULL THEN f.location_level ELSE '' END AS location_level,
    COALESCE(r.country, f.country) AS country,
    COALESCE(r.source, f.source) AS source,
    COALESCE(r.speaker, f.speaker) AS speaker,
    f.reported_date, f.figure_date, f.figure_date_text,
    f.quote, f."start", f."end", f.page, f.extractor_version,
    d.title AS document_title, d.url AS document_url, d.outlet AS document_outlet,
    d.file_name AS document_file, d.added_at AS document_added_at,
    COALESCE(r.status, 'unreviewed') AS review_status,
    COALESCE(r.note, '') AS review_note, r.reviewer, r.reviewed_at,
    f.value AS extracted_value, f.category AS extracted_category,
    f.location AS extracted_location, f.country AS extracted_country,
    f.source AS extracted_source, f.speaker AS extracted_speaker,
    f.location_level AS extracted_location_level
FROM figures f
JOIN documents d ON d.id = f.document_id
LEFT JOIN reviews r
    ON r.document_id = f.document_id AND r.span_start = f."start" AND r.span_end = f."end";
"""

_V4 = """
ALTER TABLE figures ADD COLUMN part_of INTEGER;
CREATE INDEX figures_by_start ON figures(document_id, "start");
DROP VIEW figure_rows;
-- As in version 3, plus the link of a part of a breakdown to its total: ``part_of`` is the start
-- offset of the total (same document, article and category), ``part_of_figure_id`` that total's
-- row. Both are NULL for a figure that stands alone; sums and timelines leave parts out.
CREATE VIEW figure_rows AS
SELECT
    f.id AS figure_id, f.document_id, f.doc_id, f.article,
    COALESCE(r.category, f.category) AS category,
    COALESCE(r.value, f.value) AS value,
    CASE WHEN r.value IS NULL THEN f.value_low
         WHEN f.qualifier = 'at_most' THEN NULL ELSE r.value END AS value_low,
    CASE WHEN r.value IS NULL THEN f.value_high
         WHEN f.qualifier = 'at_least' THEN NULL ELSE r.value END AS value_high,
    CASE WHEN r.value IS NOT NULL AND f.qualifier IN ('range', 'vague') THEN 'exact'
         ELSE f.qualifier END AS qualifier,
    f.number_text, f.unit, f.who, f.combatant, f.term,
    COALESCE(r.location, f.location) AS location,
    CASE WHEN r.location IS NULL THEN f.location_level ELSE '' END AS location_level,
    COALESCE(r.country, f.country) AS country,
    COALESCE(r.source, f.source) AS source,
    COALESCE(r.speaker, f.speaker) AS speaker,
    f.reported_date, f.figure_date, f.figure_date_text,
    f.quote, f."start", f."end", f.page, f.part_of,
    (SELECT t.id FROM figures t WHERE f.part_of IS NOT NULL AND t.document_id = f.document_id
        AND t."start" = f.part_of AND t.article = f.article AND t.category = f.category
        AND t.part_of IS NULL ORDER BY t.id LIMIT 1) AS part_of_figure_id,
    f.extractor_version,
    d.title AS document_title, d.url AS document_url, d.outlet AS document_outlet,
    d.file_name AS document_file, d.added_at AS document_added_at,
    COALESCE(r.status, 'unreviewed') AS review_status,
    COALESCE(r.note, '') AS review_note, r.reviewer, r.reviewed_at,
    f.value AS extracted_value, f.category AS extracted_category,
    f.location AS extracted_location, f.country AS extracted_country,
    f.source AS extracted_source, f.speaker AS extracted_speaker,
    f.location_level AS extracted_location_level
FROM figures f
JOIN documents d ON d.id = f.document_id
LEFT JOIN reviews r
    ON r.document_id = f.document_id AND r.span_start = f."start" AND r.span_end = f."end";
"""

_V5 = """
-- One story, counted once. ``copy_of``: NULL for a document that is the head (first document)
-- of its story, else the head's id (a near copy of a stored text: see figures/dedup.py).
ALTER TABLE documents ADD COLUMN copy_of INTEGER;
CREATE INDEX documents_by_story ON documents(copy_of);
-- what finds a document's copies without reading the texts: its Simhash fingerprint
CREATE TABLE fingerprints (
    document_id INTEGER PRIMARY KEY REFERENCES documents(id) ON DELETE CASCADE,
    simhash INTEGER NOT NULL,
    shingles INTEGER NOT NULL
);
DROP VIEW figure_rows;
-- As in version 4, plus the story: ``story_id`` (its head's id), ``copy_of_document`` (NULL for
-- a head) and ``copy_of_figure``: for a figure of a copy, the figure of an earlier document of
-- the same story that gives the same category, value and combatant flag (extracted values),
-- the one it repeats; NULL for a figure of a head and for a figure that only this version of the
-- story gives (an updated toll), which counts on its own.
CREATE VIEW figure_rows AS
SELECT
    f.id AS figure_id, f.document_id, f.doc_id, f.article,
    COALESCE(r.category, f.category) AS category,
    COALESCE(r.value, f.value) AS value,
    CASE WHEN r.value IS NULL THEN f.value_low
         WHEN f.qualifier = 'at_most' THEN NULL ELSE r.value END AS value_low,
    CASE WHEN r.value IS NULL THEN f.value_high
         WHEN f.qualifier = 'at_least' THEN NULL ELSE r.value END AS value_high,
    CASE WHEN r.value IS NOT NULL AND f.qualifier IN ('range', 'vague') THEN 'exact'
         ELSE f.qualifier END AS qualifier,
    f.number_text, f.unit, f.who, f.combatant, f.term,
    COALESCE(r.location, f.location) AS location,
    CASE WHEN r.location IS NULL THEN f.location_level ELSE '' END AS location_level,
    COALESCE(r.country, f.country) AS country,
    COALESCE(r.source, f.source) AS source,
    COALESCE(r.speaker, f.speaker) AS speaker,
    f.reported_date, f.figure_date, f.figure_date_text,
    f.quote, f."start", f."end", f.page, f.part_of,
    (SELECT t.id FROM figures t WHERE f.part_of IS NOT NULL AND t.document_id = f.document_id
        AND t."start" = f.part_of AND t.article = f.article AND t.category = f.category
        AND t.part_of IS NULL ORDER BY t.id LIMIT 1) AS part_of_figure_id,
    f.extractor_version,
    d.title AS document_title, d.url AS document_url, d.outlet AS document_outlet,
    d.file_name AS document_file, d.added_at AS document_added_at,
    COALESCE(d.copy_of, d.id) AS story_id, d.copy_of AS copy_of_document,
    CASE WHEN d.copy_of IS NULL THEN NULL ELSE
        (SELECT g.id FROM documents e JOIN figures g ON g.document_id = e.id
         WHERE (e.id = d.copy_of OR e.copy_of = d.copy_of) AND e.id < d.id
           AND g.category = f.category AND g.value = f.value AND g.combatant = f.combatant
         ORDER BY e.id, g.id LIMIT 1) END AS copy_of_figure,
    COALESCE(r.status, 'unreviewed') AS review_status,
    COALESCE(r.note, '') AS review_note, r.reviewer, r.reviewed_at,
    f.value AS extracted_value, f.category AS extracted_category,
    f.location AS extracted_location, f.country AS extracted_country,
    f.source AS extracted_source, f.speaker AS extracted_speaker,
    f.location_level AS extracted_location_level
FROM figures f
JOIN documents d ON d.id = f.document_id
LEFT JOIN reviews r
    ON r.document_id = f.document_id AND r.span_start = f."start" AND r.span_end = f."end";
"""

_V6 = """
-- An analyst's pin: the accepted figure that is its place's key figure (figures/keyfigures.py),
-- attached like a review to the document and the text span, so it survives re-extraction.
CREATE TABLE pins (
    document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    span_start INTEGER NOT NULL,
    span_end INTEGER NOT NULL,
    pinned_at TEXT NOT NULL,
    PRIMARY KEY (document_id, span_start, span_end)
);
"""

_V7 = """
-- What ``feed`` and ``watch`` have already taken from each source, so that a restart fetches
-- nothing twice: ``source`` is the feed's address (or a ReliefWeb query), ``item_key`` the item's
-- link (or a report's id). A row is written only once the item is stored (or found present).
CREATE TABLE seen_items (
    source TEXT NOT NULL,
    item_key TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    document_id INTEGER REFERENCES documents(id) ON DELETE SET NULL,
    PRIMARY KEY (source, item_key)
);
CREATE INDEX seen_items_by_key ON seen_items(item_key);
CREATE INDEX documents_by_url ON documents(url);
"""

_V8 = """
-- The country a document is about according to where it came from (ReliefWeb's primary
-- country), not its text: figures that name no place of their own get it (see figures_for).
ALTER TABLE documents ADD COLUMN country_hint TEXT NOT NULL DEFAULT '';
"""

_V9 = """
ALTER TABLE figures ADD COLUMN lat REAL;
ALTER TABLE figures ADD COLUMN lon REAL;
DROP VIEW figure_rows;
-- As in version 5, plus where the figure's place is drawn on a map (places.point). Figures stored
-- before this version have none until re-extracted (``reextract``); the map places them by name
-- meanwhile. A corrected place or country has no stored point: the extracted one was the
-- extracted place's (the map places the corrected name).
CREATE VIEW figure_rows AS
SELECT
    f.id AS figure_id, f.document_id, f.doc_id, f.article,
    COALESCE(r.category, f.category) AS category,
    COALESCE(r.value, f.value) AS value,
    CASE WHEN r.value IS NULL THEN f.value_low
         WHEN f.qualifier = 'at_most' THEN NULL ELSE r.value END AS value_low,
    CASE WHEN r.value IS NULL THEN f.value_high
         WHEN f.qualifier = 'at_least' THEN NULL ELSE r.value END AS value_high,
    CASE WHEN r.value IS NOT NULL AND f.qualifier IN ('range', 'vague') THEN 'exact'
         ELSE f.qualifier END AS qualifier,
    f.number_text, f.unit, f.who, f.combatant, f.term,
    COALESCE(r.location, f.location) AS location,
    CASE WHEN r.location IS NULL THEN f.location_level ELSE '' END AS location_level,
    COALESCE(r.country, f.country) AS country,
    CASE WHEN r.location IS NULL AND r.country IS NULL THEN f.lat END AS lat,
    CASE WHEN r.location IS NULL AND r.country IS NULL THEN f.lon END AS lon,
    COALESCE(r.source, f.source) AS source,
    COALESCE(r.speaker, f.speaker) AS speaker,
    f.reported_date, f.figure_date, f.figure_date_text,
    f.quote, f."start", f."end", f.page, f.part_of,
    (SELECT t.id FROM figures t WHERE f.part_of IS NOT NULL AND t.document_id = f.document_id
        AND t."start" = f.part_of AND t.article = f.article AND t.category = f.category
        AND t.part_of IS NULL ORDER BY t.id LIMIT 1) AS part_of_figure_id,
    f.extractor_version,
    d.title AS document_title, d.url AS document_url, d.outlet AS document_outlet,
    d.file_name AS document_file, d.added_at AS document_added_at,
    COALESCE(d.copy_of, d.id) AS story_id, d.copy_of AS copy_of_document,
    CASE WHEN d.copy_of IS NULL THEN NULL ELSE
        (SELECT g.id FROM documents e JOIN figures g ON g.document_id = e.id
         WHERE (e.id = d.copy_of OR e.copy_of = d.copy_of) AND e.id < d.id
           AND g.category = f.category AND g.value = f.value AND g.combatant = f.combatant
         ORDER BY e.id, g.id LIMIT 1) END AS copy_of_figure,
    COALESCE(r.status, 'unreviewed') AS review_status,
    COALESCE(r.note, '') AS review_note, r.reviewer, r.reviewed_at,
    f.value AS extracted_value, f.category AS extracted_category,
    f.location AS extracted_location, f.country AS extracted_country,
    f.source AS extracted_source, f.speaker AS extracted_speaker,
    f.location_level AS extracted_location_level
FROM figures f
JOIN documents d ON d.id = f.document_id
LEFT JOIN reviews r
    ON r.document_id = f.document_id AND r.span_start = f."start" AND r.span_end = f."end";
"""

def _log_story(story: str) -> str:
    """The statement a trigger runs to note that the rows of ``figure_rows`` of a story may have
    changed: the story's row of ``frame_changes`` gets the next sequence number."""
    return (f"INSERT INTO frame_changes (story_id, seq) VALUES ({story}, "
            f"(SELECT COALESCE(max(seq), 0) + 1 FROM frame_changes)) "
            f"ON CONFLICT (story_id) DO UPDATE SET seq = excluded.seq;")


def _story_of(document_id: str) -> str:
    return (f"COALESCE((SELECT COALESCE(copy_of, id) FROM documents WHERE id = {document_id}), "
            f"{document_id})")


def _story_triggers(table: str, story) -> str:
    """The triggers that log the story of a row of ``table`` added, removed or changed (a changed
    row: its story before and after); ``story("NEW")`` is the SQL of a row's story."""
    return "\n".join(
        f"CREATE TRIGGER frame_{table}_{what} AFTER {event} ON {table} BEGIN\n"
        + "".join(f"    {_log_story(story(row))}\n" for row in rows) + "END;"
        for what, event, rows in (("added", "INSERT", ("NEW",)), ("removed", "DELETE", ("OLD",)),
                                  ("changed", "UPDATE", ("OLD", "NEW"))))


_V10 = f"""
-- What changed since the dashboard cached its frame of figure_rows (figures/views.py): the
-- stories whose rows may have changed, each with the sequence number of its latest change, so
-- that a dashboard holding the frame of sequence number N reads again only the stories changed
-- after N instead of every figure. A figure's row depends on its figure, its document, its review
-- and the earlier documents of its story (copy_of_figure), so a change to any of these notes the
-- story. One row per story: the table never holds more rows than there are documents.
CREATE TABLE frame_changes (
    story_id INTEGER PRIMARY KEY,
    seq INTEGER NOT NULL
);
CREATE INDEX frame_changes_by_seq ON frame_changes(seq);
-- which log this is: a cached frame records it, so that a new database (a file replaced at the
-- same path, whose numbers start again) is never taken for the one the frame was read from
INSERT OR REPLACE INTO meta (key, value) VALUES ('frame_log', lower(hex(randomblob(16))));
{_story_triggers("figures", lambda row: _story_of(f"{row}.document_id"))}
{_story_triggers("documents", lambda row: f"COALESCE({row}.copy_of, {row}.id)")}
{_story_triggers("reviews", lambda row: _story_of(f"{row}.document_id"))}
"""

#: MIGRATIONS[i] takes a database from user_version i to i + 1.
MIGRATIONS: tuple[str, ...] = (_V1, _V2, _V3, _V4, _V5, _V6, _V7, _V8, _V9, _V10)
#: the version from which documents are grouped into stories (the migration adding them)
STORY_VERSION = MIGRATIONS.index(_V5) + 1
SCHEMA_VERSION = len(MIGRATIONS)


def _use_wal(conn: sqlite3.Connection) -> None:
    """Switch the database to write-ahead logging. SQLite answers "locked" at once, without
    waiting, while another connection is switching a new file too (two programs creating the
    store together): tried again until ``BUSY_TIMEOUT_S``."""
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    while True:
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as e:
            if "locked" not in str(e) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def _statements(script: str):
    """The SQL statements of ``script`` one by one (a trigger's body holds semicolons of its own:
    a statement ends where SQLite says it is complete)."""
    statement = ""
    for piece in script.split(";"):
        statement += piece + ";"
        if sqlite3.complete_statement(statement):
            if statement.strip(" \t\r\n;"):
                yield statement
            statement = ""


def _too_new(version: int) -> StoreError:
    return StoreError(
        f"this database has schema version {version}, newer than this program knows "
        f"({SCHEMA_VERSION}): update Humanitarian Figures; the file was not changed")


def migrate(conn: sqlite3.Connection, upto: int = SCHEMA_VERSION) -> int:
    """Bring the database to schema version ``upto``, one transaction per step. Returns the version.
    Each step reads the version again under the write lock, so two programs opening a new or an
    older store at once (the dashboard's first page and its server's watcher, two commands) do
    not run a step twice: the second finds it done."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise _too_new(version)
    if conn.in_transaction:
        conn.commit()
    while version < upto:
        with _Transaction(conn):
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise _too_new(version)
            if version < upto:
                for statement in _statements(MIGRATIONS[version]):
                    conn.execute(statement)
                version += 1
                conn.execute(f"PRAGMA user_version = {version}")
    return version


# ---------------------------------------------------------------------------------------------
# What the store's commands return


@dataclass
class AddResult:
    status: str                 # "added" or "present"
    document_id: int
    figures: int
    title: str = ""
    copy_of: int | None = None  # the head of the story this document is a near copy of


@dataclass
class ReextractReport:
    documents: int = 0
    figures_before: int = 0
    figures_after: int = 0
    orphans: list[dict] = field(default_factory=list)   # reviews that lost their figure


@dataclass
class Filters:
    """What the dashboard's filters and ``export``'s options select. Empty means no restriction."""

    categories: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    places: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    date_from: str = ""                 # ISO dates, inclusive, on the reported date
    date_to: str = ""
    include_combatants: bool = False
    statuses: tuple[str, ...] = ("unreviewed", "accepted", "corrected")   # rejected left out
    search: str = ""                    # words in the quote, case-insensitive
    document_id: int | None = None
    copies: bool = False                # also figures that repeat an earlier copy of the story

    def where(self) -> tuple[str, list]:
        """The SQL condition on ``figure_rows`` and its parameters (always parameters, never text)."""
        clauses, params = [], []

        def one_of(column, values):
            values = [v for v in values if v is not None]
            if values:
                clauses.append(f"{column} IN ({', '.join('?' * len(values))})")
                params.extend(values)

        one_of("category", self.categories)
        one_of("country", self.countries)
        one_of("location", self.places)
        one_of("source", self.sources)
        one_of("review_status", self.statuses)
        for bound, op in ((self.date_from, ">="), (self.date_to, "<=")):
            if bound:
                _check_date(bound)
                # partial dates ("--06-14", no year) cannot be placed in a range
                clauses.append(f"reported_date {op} ? AND reported_date NOT LIKE '--%'")
                params.append(bound)
        if not self.include_combatants:
            clauses.append("combatant = 0")
        if self.search.strip():
            clauses.append("instr(lower(quote), lower(?)) > 0")
            params.append(self.search.strip())
        if self.document_id is not None:
            clauses.append("document_id = ?")
            params.append(self.document_id)
        elif not self.copies:
            # one document's figures are all shown; elsewhere each figure counts once per story
            clauses.append("copy_of_figure IS NULL")
        return (" AND ".join(clauses) or "1"), params


def _check_date(value: str) -> None:
    try:
        date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"dates must be YYYY-MM-DD, not {value!r}") from None


#: The format of a document stored from an archive without its text (``Store.add_archived``).
ARCHIVE_FORMAT = "archive"


def doc_id_for(doc: LoadedDocument) -> str:
    """The short name a figure row carries: the file's name without extension, or 'pasted-…'."""
    if doc.file_name:
        return Path(doc.file_name).stem or doc.file_name
    return f"pasted-{doc.sha256[:8]}"


def _first_line(text: str, limit: int = 160) -> str:
    """A title for a document that has none: its first article's headline, else its first
    non-empty line, shortened."""
    from .document import structure
    arts = structure(text[:20_000])
    if arts and arts[0].title:
        a, b = arts[0].title
        text = text[a:b]
    for line in text.splitlines():
        line = " ".join(line.split())
        if line:
            return line if len(line) <= limit else line[:limit - 1].rstrip() + "…"
    return ""


def figures_for(doc: LoadedDocument, doc_id: str) -> list[Figure]:
    """Run the extractor on a loaded document and put PDF page numbers into the provenance."""
    figs = extract(doc.text, doc_id=doc_id, date=doc.published or None)
    if doc.pages:
        for f in figs:
            f.page = doc.page_at(f.start)
    if doc.country_hint:
        # the document's country from outside its text (ReliefWeb's primary country): only for
        # figures whose text names no place and no country at all
        for f in figs:
            if not f.country and not f.location:
                f.country = doc.country_hint
    return figs


# ---------------------------------------------------------------------------------------------


class Store:
    """One open database. Cheap to create; use as a context manager or call ``close()``."""

    def __init__(self, path: str | os.PathLike | None = None):
        self.path = db_path(path)
        if self.path.is_dir():
            raise StoreError(f"{self.path} is a folder; --db needs a file name")
        if self.path.exists():
            try:
                with open(self.path, "rb"):   # SQLite only says "unable to open"
                    pass
            except OSError as e:
                raise StoreError(
                    f"cannot read the database {self.path} ({e.strerror or e}). Check that this "
                    f"user may read and write it, or {_ELSEWHERE}. The file was not changed."
                ) from None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None,
                                        check_same_thread=False)
        except (OSError, sqlite3.Error) as e:
            raise ((explain(self.path, e, opening=True) if isinstance(e, sqlite3.Error) else None)
                   or StoreError(f"cannot open the database {self.path}: {e}")) from None
        self.conn.row_factory = sqlite3.Row
        try:
            # read before anything is written: a file that is not ours is left as it is
            # one statement, one snapshot: another program may be creating the tables meanwhile
            version, tables = self.conn.execute(
                "SELECT (SELECT user_version FROM pragma_user_version),"
                " (SELECT count(*) FROM sqlite_master)").fetchone()
            if version == 0 and tables:
                raise StoreError(
                    f"{self.path} is an SQLite database of another program, not a Humanitarian "
                    f"Figures database. It was not changed: {_ELSEWHERE}.")
            _use_wal(self.conn)
            self.conn.execute("PRAGMA foreign_keys = ON")
            self.conn.execute("PRAGMA synchronous = NORMAL")
            if migrate(self.conn) >= STORY_VERSION > version:
                self._link_stories()        # stories of the documents stored before
        except sqlite3.DatabaseError as e:
            self.conn.close()
            raise (explain(self.path, e, opening=True) or StoreError(
                f"{self.path} is not a Humanitarian Figures database or is damaged ({e}). "
                f"It was not changed: move it aside, or {_ELSEWHERE}.")) from None
        except StoreError:
            self.conn.close()
            raise

    def close(self) -> None:
        self.conn.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- writing -------------------------------------------------------------------------------

    def _transaction(self):
        return _Transaction(self.conn)

    def has(self, sha256: str) -> int | None:
        row = self.conn.execute("SELECT id FROM documents WHERE sha256 = ?", (sha256,)).fetchone()
        return row[0] if row else None

    def seen(self, item_key: str) -> bool:
        """Whether an item (a feed item's link, a report's id) was taken before, from any source,
        or a stored document already has this address."""
        return self.conn.execute(
            "SELECT 1 FROM seen_items WHERE item_key = ? UNION ALL "
            "SELECT 1 FROM documents WHERE url = ? AND url != '' LIMIT 1",
            (item_key, item_key)).fetchone() is not None

    def mark_seen(self, source: str, item_key: str, document_id: int | None = None) -> None:
        """Remember that ``item_key`` from ``source`` is done (its document stored or present)."""
        with self._transaction():
            self.conn.execute(
                "INSERT OR IGNORE INTO seen_items (source, item_key, first_seen, document_id)"
                " VALUES (?, ?, ?, ?)", (source, item_key, _now(), document_id))

    def add(self, doc: LoadedDocument) -> AddResult:
        """Store a document and its figures in one transaction; the same text twice is one document."""
        return self.add_many([doc])[0]

    def add_many(self, docs: Iterable[LoadedDocument],
                 figures: Iterable[list[Figure] | None] | None = None) -> list[AddResult]:
        """Store several documents in one transaction (faster); each is all-or-nothing with it.

        ``figures``, one entry per document, holds figures already extracted by
        ``figures_for(doc, doc_id_for(doc))`` (e.g. in worker processes); None extracts here."""
        prepared = []
        given = iter(figures) if figures is not None else None
        for doc in docs:
            figs = next(given, None) if given is not None else None
            existing = self.has(doc.sha256)
            if existing is not None:
                prepared.append((doc, existing, None))
            else:
                doc_id = doc_id_for(doc)
                prepared.append((doc, None, (doc_id, figs if figs is not None
                                             else figures_for(doc, doc_id),
                                             dedup.Fingerprinted.of(doc.text))))
        results = []
        if any(existing is None for _, existing, _ in prepared):
            self._link_stories()        # documents written without a fingerprint, if any
        index = None
        with self._transaction():
            for doc, existing, extracted in prepared:
                if existing is None:   # another process may have added it since we looked
                    existing = self.has(doc.sha256)
                    if existing is None:
                        doc_id, figs, fp = extracted
                        if index is None:   # read in the transaction: no writer in between
                            index = self._story_index()
                        match = index.match(fp)
                        story = match[1] if match else None
                        title = doc.title or _first_line(doc.text)
                        cur = self.conn.execute(
                            "INSERT INTO documents (sha256, doc_id, title, outlet, url, published,"
                            " added_at, file_name, format, text, extractor_version, pages,"
                            " copy_of, country_hint) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                            (doc.sha256, doc_id, title, doc.outlet, doc.url, doc.published,
                             _now(), doc.file_name, doc.format, doc.text, EXTRACTOR_VERSION,
                             json.dumps(list(doc.pages)), story, doc.country_hint))
                        new_id = cur.lastrowid
                        self._insert_figures(new_id, figs)
                        self._insert_fingerprint(new_id, fp)
                        index.add(new_id, story or new_id, fp)
                        results.append(AddResult("added", new_id, len(figs), title, story))
                        continue
                n = self.conn.execute("SELECT count(*) FROM figures WHERE document_id = ?",
                                      (existing,)).fetchone()[0]
                results.append(AddResult("present", existing, n, doc.title))
        return results

    def add_archived(self, records: Iterable[dict]) -> list[AddResult]:
        """Store documents read from an archive (a Parquet dataset of ``extract --format
        parquet``) without their text, with their figures as read, in one transaction.

        Each record: sha256, doc_id, title, url, published, outlet, file_name and figures (a list
        of Figure). Such a document's format is ``ARCHIVE_FORMAT`` and its text is empty: the
        dashboard shows it as such, ``reextract`` leaves it alone, and it is never a near copy
        of another (no text to compare). A sha256 already stored is "present"."""
        results = []
        empty = dedup.Fingerprinted.of("")
        with self._transaction():
            for r in records:
                existing = self.has(r["sha256"])
                if existing is not None:
                    n = self.conn.execute("SELECT count(*) FROM figures WHERE document_id = ?",
                                          (existing,)).fetchone()[0]
                    results.append(AddResult("present", existing, n, r.get("title") or ""))
                    continue
                title = r.get("title") or r.get("file_name") or r["doc_id"]
                cur = self.conn.execute(
                    "INSERT INTO documents (sha256, doc_id, title, outlet, url, published,"
                    " added_at, file_name, format, text, extractor_version, pages, copy_of,"
                    " country_hint) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, '', ?, '[]', NULL, '')",
                    (r["sha256"], r["doc_id"], title, r.get("outlet") or "", r.get("url") or "",
                     r.get("published") or "", _now(), r.get("file_name") or "",
                     ARCHIVE_FORMAT, EXTRACTOR_VERSION))
                self._insert_figures(cur.lastrowid, r["figures"])
                self._insert_fingerprint(cur.lastrowid, empty)
                results.append(AddResult("added", cur.lastrowid, len(r["figures"]), title))
        return results

    def _story_index(self) -> dedup.Index:
        rows = self.conn.execute(
            "SELECT f.document_id, COALESCE(d.copy_of, d.id), f.simhash FROM fingerprints f"
            " JOIN documents d ON d.id = f.document_id")

        def texts(ids):
            marks = ", ".join("?" * len(ids))
            return self.conn.execute(f"SELECT id, text FROM documents WHERE id IN ({marks})", ids)
        return dedup.Index(rows, texts)

    def _insert_fingerprint(self, document_id: int, fp: dedup.Fingerprinted) -> None:
        self.conn.execute("INSERT OR REPLACE INTO fingerprints (document_id, simhash, shingles)"
                          " VALUES (?, ?, ?)", (document_id, fp.simhash, len(fp.shingles)))

    def _link_stories(self, batch: int = 200) -> int:
        """Fingerprint the documents that have none (stored before stories existed, or written
        by another tool) in the order they were added, and make each a copy of an earlier
        document's story when it is a near copy of it. Returns how many were fingerprinted."""
        one = lambda sql: self.conn.execute(sql).fetchone()[0]  # noqa: E731
        if one("SELECT count(*) FROM documents") == one("SELECT count(*) FROM fingerprints"):
            return 0
        done = 0
        while True:
            with self._transaction():
                todo = [r[0] for r in self.conn.execute(
                    "SELECT d.id FROM documents d WHERE NOT EXISTS (SELECT 1 FROM fingerprints f"
                    " WHERE f.document_id = d.id) ORDER BY d.id LIMIT ?", (batch,))]
                if not todo:
                    return done
                index = self._story_index()
                for document_id in todo:
                    text, copy_of = self.conn.execute(
                        "SELECT text, copy_of FROM documents WHERE id = ?",
                        (document_id,)).fetchone()
                    fp = dedup.Fingerprinted.of(text)
                    if copy_of is None:
                        match = index.match(fp, before=document_id)
                        if match is not None:
                            copy_of = match[1]
                            self.conn.execute("UPDATE documents SET copy_of = ? WHERE id = ?",
                                              (copy_of, document_id))
                    self._insert_fingerprint(document_id, fp)
                    index.add(document_id, copy_of or document_id, fp)
                    done += 1

    _INSERT_FIGURE = (f"INSERT INTO figures (document_id, {', '.join(map(_q, FIELDS))}, "
                      f"extractor_version) VALUES (?, {', '.join('?' * len(FIELDS))}, ?)")

    def _insert_figures(self, document_id: int, figs: list[Figure]) -> None:
        self.conn.executemany(self._INSERT_FIGURE, [
            (document_id, *(getattr(f, name) for name in FIELDS), EXTRACTOR_VERSION)
            for f in figs])

    def reextract(self, everything: bool = False) -> ReextractReport:
        """Recompute the figures of documents extracted by another version (all with everything).

        Reviews stay attached by (document, span); those left without a figure are reported."""
        report = ReextractReport()
        # documents from an archive have no text to read again: their figures stay as read
        where = "WHERE format != 'archive'" + ("" if everything else " AND extractor_version != ?")
        params = () if everything else (EXTRACTOR_VERSION,)
        ids = [r[0] for r in self.conn.execute(f"SELECT id FROM documents {where} ORDER BY id",
                                               params)]
        for document_id in ids:
            row = self.conn.execute("SELECT * FROM documents WHERE id = ?", (document_id,)).fetchone()
            doc = LoadedDocument(text=row["text"], format=row["format"], title=row["title"],
                                 url=row["url"], published=row["published"], outlet=row["outlet"],
                                 file_name=row["file_name"], pages=tuple(json.loads(row["pages"])),
                                 country_hint=row["country_hint"])
            figs = figures_for(doc, row["doc_id"])
            with self._transaction():
                report.figures_before += self.conn.execute(
                    "DELETE FROM figures WHERE document_id = ?", (document_id,)).rowcount
                self._insert_figures(document_id, figs)
                self.conn.execute("UPDATE documents SET extractor_version = ? WHERE id = ?",
                                  (EXTRACTOR_VERSION, document_id))
            report.documents += 1
            report.figures_after += len(figs)
        report.orphans = self.orphan_reviews()
        return report

    def review(self, figure_id: int, status: str | None = None, *, note: str = "",
               reviewer: str = "", **corrections) -> dict:
        """Accept, reject or correct one figure. Corrections (value, category, location, country,
        source, speaker) make the status "corrected". Returns the figure as it now reads.

        None or "" leaves a field as extracted, except ``speaker=""``: no person is named. A
        corrected source without a speaker clears the speaker, since the person extracted spoke
        for the source extracted; pass ``speaker`` too to keep or set one."""
        unknown = set(corrections) - set(CORRECTABLE)
        if unknown:
            raise ValueError(f"cannot correct {', '.join(sorted(unknown))}; only {CORRECTABLE}")
        corrections = {k: v.strip() if isinstance(v, str) else v
                       for k, v in corrections.items()}
        corrections = {k: v for k, v in corrections.items()
                       if v is not None and (v != "" or k == "speaker")}
        if "source" in corrections:
            corrections.setdefault("speaker", "")
        if "category" in corrections and corrections["category"] not in CATEGORIES:
            raise ValueError(f"category must be one of {', '.join(CATEGORIES)}")
        if "value" in corrections:
            corrections["value"] = float(corrections["value"])
            if corrections["value"] < 0:
                raise ValueError("a corrected value cannot be negative")
        status = status or ("corrected" if corrections else None)
        if status not in REVIEW_STATUSES[1:]:
            raise ValueError(f"status must be accepted, corrected or rejected, not {status!r}")
        if status == "corrected" and not corrections:
            raise ValueError("a correction needs a new value, category, place, source or speaker")
        if status != "corrected" and corrections:
            raise ValueError(f"a figure marked {status} cannot also be corrected")
        fig = self.conn.execute('SELECT document_id, "start", "end" FROM figures WHERE id = ?',
                                (figure_id,)).fetchone()
        if fig is None:
            raise ValueError(f"no figure with id {figure_id}")
        values = (fig["document_id"], fig["start"], fig["end"], status,
                  *(corrections.get(k) for k in CORRECTABLE), note, reviewer, _now())
        names = ("document_id", "span_start", "span_end", "status", *CORRECTABLE, "note",
                 "reviewer", "reviewed_at")
        cols, marks = ", ".join(names), ", ".join("?" * len(names))
        # a new verdict replaces the whole previous one (corrections it does not repeat go)
        update = ", ".join(f"{n} = excluded.{n}" for n in names[3:])
        with self._transaction():
            self.conn.execute(f"INSERT INTO review_history ({cols}) VALUES ({marks})", values)
            self.conn.execute(
                f"INSERT INTO reviews ({cols}) VALUES ({marks}) "
                f"ON CONFLICT (document_id, span_start, span_end) DO UPDATE SET {update}", values)
        return self.figure(figure_id)

    def pin(self, figure_id: int, pinned: bool = True) -> None:
        """Pin an accepted (or corrected) figure as its place's key figure, or unpin it. A pin on
        a figure no longer accepted stays stored but does not count (``pinned_ids``)."""
        row = self.figure(figure_id)
        if row is None:
            raise ValueError(f"no figure with id {figure_id}")
        if pinned and row["review_status"] not in ("accepted", "corrected"):
            raise ValueError(f"figure {figure_id} is {row['review_status']}: accept it before "
                             "pinning it as the key figure")
        with self._transaction():
            if pinned:
                self.conn.execute(
                    'INSERT OR REPLACE INTO pins SELECT document_id, "start", "end", ? '
                    "FROM figures WHERE id = ?", (_now(), figure_id))
            else:
                self.conn.execute(
                    'DELETE FROM pins WHERE (document_id, span_start, span_end) = '
                    '(SELECT document_id, "start", "end" FROM figures WHERE id = ?)', (figure_id,))

    def pinned_ids(self) -> set[int]:
        """The ids of the pinned figures that are accepted or corrected."""
        # what ``figure_rows`` gives for the pinned spans (its review_status is the review's), read
        # from the pins (CROSS JOIN: SQLite keeps this order, pins first): through the view, or
        # with the order left to SQLite, every figure was scanned (0.2-0.3 s at 1,000,000)
        return {r[0] for r in self.conn.execute(
            "SELECT f.id FROM pins p"
            ' CROSS JOIN figures f ON f.document_id = p.document_id AND f."start" = p.span_start'
            ' AND f."end" = p.span_end'
            " JOIN documents d ON d.id = f.document_id"
            " JOIN reviews r ON r.document_id = f.document_id AND r.span_start = f.\"start\""
            ' AND r.span_end = f."end"'
            " WHERE r.status IN ('accepted', 'corrected')")}

    def clear_review(self, figure_id: int) -> None:
        """Take a figure back to unreviewed (the history keeps what was said)."""
        with self._transaction():
            self.conn.execute(
                'DELETE FROM reviews WHERE (document_id, span_start, span_end) = '
                '(SELECT document_id, "start", "end" FROM figures WHERE id = ?)', (figure_id,))

    def seed_sample(self, folder: Path = PROJECT_DATA) -> int:
        """On the very first start of an empty store, add the shipped sample corpus. Once only:
        a user who deletes the samples does not get them back. Returns how many were added."""
        with self._transaction():
            offered = self.conn.execute(
                "SELECT 1 FROM meta WHERE key = 'sample_offered'").fetchone()
            empty = self.conn.execute("SELECT count(*) FROM documents").fetchone()[0] == 0
            self.conn.execute(
                "INSERT OR IGNORE INTO meta (key, value) VALUES ('sample_offered', ?)", (_now(),))
        if offered or not empty or not folder.is_dir():
            return 0
        known = {}
        if (folder / "sample.toml").is_file():
            import tomllib
            known = tomllib.loads((folder / "sample.toml").read_text(encoding="utf-8"))
        docs = []
        for path in sorted(folder.iterdir()):
            if path.suffix.lower() in SUPPORTED and path.is_file():
                try:
                    doc = load_file(path)
                except UnreadableDocument:
                    continue
                for key, value in known.get(path.name, {}).items():
                    if key in ("title", "outlet", "url", "published") and not getattr(doc, key):
                        setattr(doc, key, str(value))
                docs.append(doc)
        return sum(r.status == "added" for r in self.add_many(docs))

    # -- reading -------------------------------------------------------------------------------

    def figure(self, figure_id: int) -> dict | None:
        row = self.conn.execute("SELECT * FROM figure_rows WHERE figure_id = ?",
                                (figure_id,)).fetchone()
        return dict(row) if row else None

    def iter_figures(self, filters: Filters | None = None, order: str = "reported_date DESC, "
                     "figure_id DESC") -> Iterator[dict]:
        """Figures matching the filters, corrections applied, newest report first; streamed."""
        where, params = (filters or Filters()).where()
        cur = self.conn.execute(f"SELECT * FROM figure_rows WHERE {where} ORDER BY {order}", params)
        for row in cur:
            yield dict(row)

    def figures(self, filters: Filters | None = None) -> list[dict]:
        return list(self.iter_figures(filters))

    def total_of(self, figure_id: int) -> dict | None:
        """The total that figure ``figure_id`` is a part of (a breakdown), or None."""
        row = self.conn.execute("SELECT part_of_figure_id FROM figure_rows WHERE figure_id = ?",
                                (figure_id,)).fetchone()
        return self.figure(row[0]) if row is not None and row[0] is not None else None

    def parts_of(self, figure_id: int) -> list[dict]:
        """The parts of the breakdown whose total is figure ``figure_id``, in text order."""
        row = self.conn.execute(
            'SELECT document_id, article, category, "start", part_of FROM figures WHERE id = ?',
            (figure_id,)).fetchone()
        if row is None or row["part_of"] is not None:
            return []
        return [dict(r) for r in self.conn.execute(
            'SELECT * FROM figure_rows WHERE document_id = ? AND part_of = ? AND article = ?'
            ' AND extracted_category = ? ORDER BY "start", figure_id',
            (row["document_id"], row["start"], row["article"], row["category"]))]

    def documents(self) -> list[dict]:
        """Every document without its text, newest first, with its number of figures."""
        return [dict(r) for r in self.conn.execute(
            "SELECT d.id, d.doc_id, d.title, d.outlet, d.url, d.published, d.added_at,"
            " d.file_name, d.format, d.extractor_version, length(d.text) AS characters,"
            " d.copy_of,"
            " (SELECT count(*) FROM figures f WHERE f.document_id = d.id) AS figures"
            " FROM documents d ORDER BY d.id DESC")]

    def document(self, document_id: int) -> dict | None:
        row = self.conn.execute("SELECT * FROM documents WHERE id = ?", (document_id,)).fetchone()
        if row is None:
            return None
        out = dict(row)
        out["pages"] = tuple(json.loads(out["pages"]))
        return out

    def story_documents(self, document_id: int) -> list[dict]:
        """The other documents of this document's story (its head and its copies), first added
        first, without their text: id, title, outlet, url, added_at, copy_of."""
        return [dict(r) for r in self.conn.execute(
            "SELECT d.id, d.title, d.outlet, d.url, d.added_at, d.copy_of FROM documents d,"
            " (SELECT COALESCE(copy_of, id) AS story FROM documents WHERE id = ?) s"
            " WHERE (d.id = s.story OR d.copy_of = s.story) AND d.id != ? ORDER BY d.id",
            (document_id, document_id))]

    def orphan_reviews(self) -> list[dict]:
        """Reviews whose figure no longer exists (after re-extraction changed its span)."""
        return [dict(r) for r in self.conn.execute(
            "SELECT r.*, d.doc_id, d.title, substr(d.text, r.span_start + 1,"
            " r.span_end - r.span_start) AS text_at_span FROM reviews r"
            " JOIN documents d ON d.id = r.document_id"
            ' WHERE NOT EXISTS (SELECT 1 FROM figures f WHERE f.document_id = r.document_id'
            ' AND f."start" = r.span_start AND f."end" = r.span_end) ORDER BY r.id')]

    def stats(self) -> dict:
        one = lambda sql, *p: self.conn.execute(sql, p).fetchone()[0]  # noqa: E731
        by_cat = {c: 0 for c in CATEGORIES}
        for cat, n in self.conn.execute(
                "SELECT category, count(*) FROM figure_rows WHERE combatant = 0 GROUP BY category"):
            by_cat[cat] = n
        by_status = {s: 0 for s in REVIEW_STATUSES}
        for status, n in self.conn.execute(
                "SELECT review_status, count(*) FROM figure_rows GROUP BY review_status"):
            by_status[status] = n
        return {
            "database": str(self.path),
            "bytes": self.path.stat().st_size if self.path.exists() else 0,
            "schema_version": one("PRAGMA user_version"),
            "documents": one("SELECT count(*) FROM documents"),
            "copies": one("SELECT count(*) FROM documents WHERE copy_of IS NOT NULL"),
            "stories": one("SELECT count(*) FROM documents WHERE copy_of IS NULL"),
            "copied_figures": one(
                "SELECT count(*) FROM figure_rows WHERE copy_of_figure IS NOT NULL"),
            "figures": one("SELECT count(*) FROM figures"),
            "civilian_figures_by_category": by_cat,
            "combatant_figures": one("SELECT count(*) FROM figures WHERE combatant = 1"),
            "reviews": by_status,
            "orphan_reviews": len(self.orphan_reviews()),
            "outdated_documents": one("SELECT count(*) FROM documents WHERE extractor_version != ?",
                                      EXTRACTOR_VERSION),
            "extractor_version": EXTRACTOR_VERSION,
        }

    def frame_log(self) -> tuple[str, int]:
        """Which log of changes this database keeps (an id made when it was created) and the
        sequence number of its latest change to the rows of ``figure_rows``: the state a frame
        of those rows read now is of (see ``stories_changed_since``)."""
        log = self.conn.execute("SELECT value FROM meta WHERE key = 'frame_log'").fetchone()
        seq = self.conn.execute("SELECT max(seq) FROM frame_changes").fetchone()[0]
        return (log[0] if log else ""), (seq or 0)

    def stories_changed_since(self, seq: int) -> list[int]:
        """The stories (``story_id`` of ``figure_rows``) whose rows may have changed after the
        change numbered ``seq``: a figure added, changed or removed, its document changed or
        moved to another story, a review given, changed or cleared."""
        return [r[0] for r in self.conn.execute(
            "SELECT story_id FROM frame_changes WHERE seq > ? ORDER BY story_id", (seq,))]

    def data_version(self) -> tuple:
        """Changes whenever any process commits a change to the rows of ``figure_rows``: a cache
        key for the dashboard. The triggers of ``frame_changes`` number every change to a figure,
        a document or a review (a verdict cleared too), so this reads two rows of indexes, not a
        count of every figure (0.05-0.2 s at 1,000,000 figures, on every run of a page)."""
        return version_of_row(self.conn.execute(DATA_VERSION_SQL).fetchone())


class _Transaction:
    """BEGIN IMMEDIATE … COMMIT, ROLLBACK on any error: a writer takes the lock up front, so two
    writers queue on the busy timeout instead of failing half-way."""

    def __init__(self, conn):
        self.conn = conn

    def __enter__(self):
        self.conn.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            try:
                self.conn.execute("COMMIT")
            except BaseException:
                self._rollback()          # e.g. the disk filled up while committing
                raise
            return False
        self._rollback()
        return False

    def _rollback(self) -> None:
        # SQLite may have rolled back already (a full disk does that): the first error is the
        # one to report, not "cannot rollback - no transaction is active"
        if self.conn.in_transaction:
            try:
                self.conn.execute("ROLLBACK")
            except sqlite3.Error:
                pass


@contextlib.contextmanager
def _explaining(path: Path):
    """SQLite errors about the file or the disk, raised inside, become StoreError."""
    try:
        yield
    except sqlite3.DatabaseError as e:
        err = explain(path, e)
        if err is None:
            raise
        raise err from e


def _explained(method):
    """The method with SQLite errors about the file or the disk turned into StoreError."""
    if inspect.isgeneratorfunction(method):
        @functools.wraps(method)
        def generator(self, *args, **kwargs):
            with _explaining(self.path):
                yield from method(self, *args, **kwargs)
        return generator

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        with _explaining(self.path):
            return method(self, *args, **kwargs)
    return wrapper


for _name in ("has", "seen", "mark_seen", "add", "add_many", "reextract", "review", "clear_review",
              "seed_sample",
              "figure", "total_of", "parts_of", "iter_figures", "figures", "documents", "document",
              "story_documents",
              "orphan_reviews",
              "stats", "data_version"):
    setattr(Store, _name, _explained(getattr(Store, _name)))
