"""Faults in the store's file and disk: a damaged, foreign, unreadable or locked database, and a full
disk. Each gives a message that says what is wrong and what to do, in the command line (non-zero
exit, no traceback) and in the dashboard (Streamlit's AppTest), and a bad file is never written to.
A full disk loses nothing that was committed before it filled up.

The full disk is simulated (an SQLite "database or disk is full" error at the write and at the
commit) on every run, and made real with a 2 MB tmpfs when the tests run as root and may mount.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import streamlit as st
from conftest import ROOT
from streamlit.testing.v1 import AppTest

import figures.store as store_module
from figures.cli import main as cli_main
from figures.formats import load_pasted
from figures.store import Store, StoreError

APP = str(ROOT / "app.py")
FILLER = " ".join(["Aid convoys waited at the crossing while families queued for bread."] * 60)


def report(i: int, size: int = 1) -> str:
    """A document with one civilian figure, distinct for each i."""
    return (f"Report {i}\n\nShelling killed {i + 3} people in Aleppo on Monday, medics said.\n\n"
            + "\n\n".join([FILLER] * size) + f" ({i})\n")


def cli(*args, env=None, prefix=(), code=None) -> subprocess.CompletedProcess:
    """``python -m figures ARGS`` as a user runs it (``code``: run this instead, e.g. with a
    shorter busy timeout)."""
    cmd = [*prefix, sys.executable]
    cmd += ["-c", code, *args] if code else ["-m", "figures", *args]
    return subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=env, timeout=300)


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def stored(db: Path) -> tuple:
    """(documents, figures, digest of both tables, integrity) of a store, read directly."""
    conn = sqlite3.connect(db)
    try:
        docs = conn.execute("SELECT * FROM documents ORDER BY id").fetchall()
        figs = conn.execute("SELECT * FROM figures ORDER BY id").fetchall()
        ok = conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()
    return len(docs), len(figs), hashlib.sha256(repr((docs, figs)).encode()).hexdigest(), ok


def unescape(markdown: str) -> str:
    """The dashboard escapes messages for Markdown ("\\." for "."): the words as written."""
    return markdown.replace("\\", "")


def dashboard(db: Path, monkeypatch) -> AppTest:
    monkeypatch.setenv("FIGURES_DB", str(db))
    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    st.cache_data.clear()
    st.cache_resource.clear()
    return at


def make_store(path: Path, n: int = 40) -> Path:
    """A real store with n documents, as the dashboard leaves it (samples offered once)."""
    with Store(path) as s:
        s.conn.execute("INSERT INTO meta (key, value) VALUES ('sample_offered', 'test')")
        s.add_many([load_pasted(report(i, size=3)) for i in range(n)])
    assert not Path(f"{path}-wal").exists()      # all in the main file
    return path


# --- damaged, foreign, unreadable, locked ---------------------------------------------------------

def _random_bytes(folder: Path) -> Path:
    p = folder / "random.db"
    p.write_bytes(os.urandom(64 * 1024))
    return p


def _truncated(folder: Path) -> Path:
    data = make_store(folder / "whole.db").read_bytes()
    p = folder / "truncated.db"
    p.write_bytes(data[:len(data) // 2])       # an interrupted copy
    return p


def _garbage_pages(folder: Path) -> Path:
    """Pages in the second half overwritten: the damage is only met when a query reads them."""
    p = make_store(folder / "garbage.db")
    data = bytearray(p.read_bytes())
    half = len(data) // 2 // 4096 * 4096
    data[half:] = os.urandom(len(data) - half)
    p.write_bytes(bytes(data))
    return p


def _foreign(folder: Path) -> Path:
    p = folder / "notes.db"
    conn = sqlite3.connect(p)
    conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    conn.execute("INSERT INTO notes (body) VALUES ('buy bread')")
    conn.commit()
    conn.close()
    return p


def _folder(folder: Path) -> Path:
    p = folder / "a-folder.db"
    p.mkdir()
    (p / "inside.txt").write_text("keep me", encoding="utf-8")
    return p


BAD_DATABASES = {
    "random-bytes": (_random_bytes, ("not a Humanitarian Figures database or is damaged",
                                     "Move it aside", "--db or FIGURES_DB")),
    "truncated": (_truncated, ("is damaged", "malformed", "Move it aside")),
    "garbage-pages": (_garbage_pages, ("is damaged", "Move it aside", "restore it from a backup")),
    "foreign-sqlite": (_foreign, ("another program", "not a Humanitarian Figures database",
                                  "It was not changed")),
    "a-folder": (_folder, ("is a folder", "--db needs a file name")),
}


def fingerprint(path: Path) -> str:
    if path.is_dir():
        return repr(sorted((p.name, sha(p)) for p in path.iterdir()))
    return sha(path)


@pytest.mark.parametrize("kind", list(BAD_DATABASES))
def test_bad_database_in_the_command_line(kind, tmp_path):
    make, words = BAD_DATABASES[kind]
    bad = make(tmp_path)
    before = fingerprint(bad)
    for args in (["stats"], ["ingest", "-"]):
        r = subprocess.run([sys.executable, "-m", "figures", *args, "--db", str(bad)],
                           input=report(99), capture_output=True, text=True, cwd=ROOT)
        assert r.returncode != 0, (args, r.stdout[-300:])
        assert "Traceback" not in r.stderr, r.stderr
        assert r.stderr.startswith("error: ") and str(bad) in r.stderr, r.stderr
        for w in words:
            assert w in r.stderr, (args, r.stderr)
        assert fingerprint(bad) == before, f"{args} changed the file"


@pytest.mark.parametrize("kind", list(BAD_DATABASES))
def test_bad_database_in_the_dashboard(kind, tmp_path, monkeypatch):
    make, words = BAD_DATABASES[kind]
    bad = make(tmp_path)
    before = fingerprint(bad)
    at = dashboard(bad, monkeypatch)
    assert not at.exception, [e.value for e in at.exception]
    (error,) = [unescape(e.value) for e in at.error]
    assert error.startswith("The figures database ")
    for w in words:
        assert w in error, error
    assert fingerprint(bad) == before


def _unprivileged_prefix(probe: Path) -> list[str]:
    """A command prefix under which file permissions apply: nothing for a normal user; for root,
    setpriv without the capabilities that let root read any file. Skips when neither works."""
    if os.geteuid() != 0:
        return []
    if not shutil.which("setpriv"):
        pytest.skip("running as root without setpriv: root reads a file whatever its mode")
    prefix = ["setpriv", "--inh-caps=-all",
              "--bounding-set=-dac_override,-dac_read_search"]
    r = subprocess.run([*prefix, sys.executable, "-c", f"open({str(probe)!r}, 'rb')"],
                       capture_output=True, text=True)
    if r.returncode == 0 or "PermissionError" not in r.stderr:
        pytest.skip(f"cannot drop root's file-permission override here ({r.stderr[-200:]})")
    return prefix


DASHBOARD_IN_A_PROCESS = textwrap.dedent("""
    import json, sys
    from streamlit.testing.v1 import AppTest
    at = AppTest.from_file(sys.argv[1], default_timeout=60)
    at.run()
    print(json.dumps({"errors": [e.value for e in at.error],
                      "exceptions": [str(e.value) for e in at.exception]}))
""")


def test_database_without_read_permission(tmp_path):
    db = make_store(tmp_path / "locked-out.db", n=3)
    before = sha(db)
    db.chmod(0)
    try:
        prefix = _unprivileged_prefix(db)
        r = cli("stats", "--db", str(db), prefix=prefix)
        assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr
        assert f"cannot read the database {db} (Permission denied)" in r.stderr, r.stderr
        assert "may read and write it" in r.stderr and "--db or FIGURES_DB" in r.stderr
        # the dashboard, in a process of its own under the same restriction
        env = {**os.environ, "FIGURES_DB": str(db)}
        r = cli(APP, prefix=prefix, env=env, code=DASHBOARD_IN_A_PROCESS)
        assert r.returncode == 0, r.stderr[-2000:]
        shown = json.loads(r.stdout.strip().splitlines()[-1])
        assert shown["exceptions"] == []
        (error,) = map(unescape, shown["errors"])
        assert "cannot be opened" in error and "Permission denied" in error, error
    finally:
        db.chmod(0o644)
    assert sha(db) == before


def test_database_locked_by_another_program(tmp_path, monkeypatch):
    db = make_store(tmp_path / "busy.db", n=3)
    before = sha(db)
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("PRAGMA locking_mode = EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")        # as a program that keeps the file to itself
    try:
        code = ("import sys, figures.store as s; s.BUSY_TIMEOUT_S = 0.5\n"
                "from figures.cli import main; sys.exit(main(sys.argv[1:]))")
        r = cli("stats", "--db", str(db), code=code)
        assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr
        assert "is locked by another program" in r.stderr and "try again" in r.stderr
        assert "damaged" not in r.stderr           # not mistaken for a broken file
        monkeypatch.setattr(store_module, "BUSY_TIMEOUT_S", 0.5)
        at = dashboard(db, monkeypatch)
        assert not at.exception, [e.value for e in at.exception]
        (error,) = [unescape(e.value) for e in at.error]
        assert "is locked by another program" in error and "try again" in error
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert sha(db) == before
    with Store(db) as s:                          # and once it is free, all is there
        assert s.stats()["documents"] == 3


# --- a full disk, simulated -----------------------------------------------------------------------

DISK_FULL = sqlite3.OperationalError("database or disk is full")


def _assert_disk_full_message(text: str, db: Path) -> None:
    assert f"the disk holding {db} is full" in text, text
    assert "everything stored before is intact" in text and "Free some space" in text, text


class _FullAtCommit:
    """The store's connection, except that COMMIT fails as on a full disk."""

    def __init__(self, conn):
        self._conn = conn

    def execute(self, sql, *args):
        if sql == "COMMIT":
            raise DISK_FULL
        return self._conn.execute(sql, *args)

    def __getattr__(self, name):
        return getattr(self._conn, name)


@pytest.mark.parametrize("where", ["insert", "commit"])
def test_disk_full_simulated_in_the_store(where, tmp_path, monkeypatch):
    db = tmp_path / "f.db"
    with Store(db) as s:
        for i in range(3):
            s.add(load_pasted(report(i)))
        before = stored(db)
        doc = load_pasted(report(3))
        with monkeypatch.context() as m:
            if where == "insert":   # the document's row is written, then its figures fail
                def full(self, document_id, figs):
                    raise DISK_FULL
                m.setattr(Store, "_insert_figures", full)
            else:
                s.conn = _FullAtCommit(s.conn)
            with pytest.raises(StoreError) as e:
                s.add(doc)
            if where == "commit":
                s.conn = s.conn._conn
        _assert_disk_full_message(str(e.value), db)
        assert not s.conn.in_transaction
        assert s.has(doc.sha256) is None                 # nothing of the failed document
        assert stored(db) == before                      # nothing committed before is lost
        assert before[3] == "ok"
        assert s.add(doc).status == "added"              # space again: it goes in
    after = stored(db)
    assert (after[0], after[1], after[3]) == (before[0] + 1, before[1] + 1, "ok")


def test_disk_full_simulated_in_the_command_line(tmp_path, monkeypatch, capsys):
    db = tmp_path / "f.db"
    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(4):
        (folder / f"r{i}.txt").write_text(report(i), encoding="utf-8")
    assert cli_main(["ingest", str(folder / "r0.txt"), str(folder / "r1.txt"),
                     "--db", str(db)]) == 0
    before = stored(db)
    capsys.readouterr()
    calls = []

    def fills_up(self, document_id, figs):
        calls.append(document_id)
        raise DISK_FULL
    monkeypatch.setattr(Store, "_insert_figures", fills_up)
    assert cli_main(["ingest", str(folder), "--db", str(db)]) == 1
    err = capsys.readouterr().err
    assert calls, "the write was never reached"
    assert err.startswith("error: ") and "Traceback" not in err
    _assert_disk_full_message(err, db)
    assert "stopped: added 0, already present 2, failed 0 before the error" in err, err
    assert stored(db) == before


# --- a full disk, for real ------------------------------------------------------------------------

@pytest.fixture
def small_disk(tmp_path):
    """A 2 MB file system (tmpfs), or a skip saying why there is none."""
    mount = tmp_path / "small"
    mount.mkdir()
    if os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("a size-limited file system needs root and mount(8); the simulated "
                    "full-disk tests cover the same paths")
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)],
                       capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({r.stderr.strip()}); the simulated "
                    "full-disk tests cover the same paths")
    try:
        yield mount
    finally:
        if subprocess.run(["umount", str(mount)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(mount)], capture_output=True)


def test_disk_full_for_real(small_disk, tmp_path):
    db = small_disk / "figures.db"
    committed = None
    with Store(db) as s:
        for i in range(500):
            doc = load_pasted(report(i, size=4))
            try:
                s.add(doc)
            except StoreError as e:
                message = str(e)
                break
            committed = stored(db)
        else:
            pytest.fail("2 MB never filled up")
        assert committed is not None and committed[0] >= 5, committed
        _assert_disk_full_message(message, db)
        assert s.has(doc.sha256) is None
        assert stored(db) == committed               # same counts, same rows, integrity ok
    assert stored(db) == committed                   # and after closing on a full disk
    # the command line on the full disk: a clear message, no traceback, nothing lost
    more = tmp_path / "more.txt"
    more.write_text(report(1000, size=4), encoding="utf-8")
    r = cli("ingest", str(more), "--db", str(db))
    assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr
    _assert_disk_full_message(r.stderr, db)
    assert stored(db) == committed
    # what the message says to do works: with space again the same command adds it
    subprocess.run(["mount", "-o", "remount,size=8m", str(small_disk)], check=True)
    r = cli("ingest", str(more), "--db", str(db))
    assert r.returncode == 0 and "added 1" in r.stderr, r.stderr
    after = stored(db)
    assert (after[0], after[3]) == (committed[0] + 1, "ok")
