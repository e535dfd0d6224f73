"""Every figure of a store read straight into Arrow by SQLite's ADBC driver (``adbc-driver-sqlite``),
in a process of its own, and written as the dashboard's frame file.

The standard ``sqlite3`` module makes each of the 50 million values of a million figures a Python
object before Arrow takes it (19 s and 1.5 GB at the peak); the driver reads them in C (5 s and
0.9 GB). It does so in a child process because the driver carries its own copy of SQLite: two
copies of SQLite in one process do not see each other's POSIX locks, and closing the file in one
releases the other's (https://www.sqlite.org/howtocorrupt.html, 2.2.1). The server's own
connections stay with ``sqlite3``; the child only reads.

    write_frame(db, sql, expect, out, metadata) -> "written" | "changed" | "failed: ..."

The child reads the store's ``data_version`` and the rows in one transaction and says which
state it read; its file is kept only when that is ``expect`` (the state its caller reads and
names the file by). It runs this file alone, importing pyarrow and the driver only
(``arrow_types`` beside it loaded by path), not the package with pandas and the engine.
"""
from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

#: The longest a child may take (a million figures take 5-10 s)
TIMEOUT_S = 600

_WRITTEN = 0


def available() -> bool:
    """Whether the driver is installed (a requirement; an install without it reads the other
    way). Looked up, not imported: its SQLite is only ever loaded by the child."""
    return importlib.util.find_spec("adbc_driver_sqlite") is not None


#: The niceness a ``background`` child adds to its own (Unix): under load, the pages being
#: drawn and the browser go first
BACKGROUND_NICE = 10


def write_frame(db: Path, sql: str, expect: tuple, out: Path, metadata: dict[str, str],
                timeout: float = TIMEOUT_S, background: bool = False) -> str:
    """Run the child: the rows of ``sql`` in the store ``db`` written to ``out`` as an Arrow file
    (one record batch, uncompressed, ``metadata`` in its schema), typed as
    ``frames.all_figures_table`` types them, if the store's ``data_version`` is still
    ``expect``. Returns "written", "changed" (another state: nothing written) or "failed: why"
    (the driver cannot type a column alike, a damaged file, a timeout: nothing written).
    ``background``: the child runs at a lower priority (``BACKGROUND_NICE``)."""
    return start_frame(db, sql, expect, out, metadata, background).result(timeout)


class Job:
    """A child started by ``start_frame``; ``result`` waits for it."""

    def __init__(self, out: Path, proc: subprocess.Popen | None, expect: tuple = (),
                 error: str = ""):
        self.out, self.proc, self.expect, self.error = out, proc, expect, error

    def result(self, timeout: float = TIMEOUT_S) -> str:
        """As ``write_frame`` returns."""
        from .store_file import version_of_row
        if self.proc is None:
            self.out.unlink(missing_ok=True)
            return f"failed: {self.error}"
        try:
            said, err = self.proc.communicate(timeout=timeout)
        except subprocess.SubprocessError as e:
            self.proc.kill()
            self.proc.communicate()
            self.out.unlink(missing_ok=True)
            return f"failed: {e}"
        if self.proc.returncode == _WRITTEN:
            try:        # the state the child read the rows in
                if list(version_of_row(json.loads(said))) == list(self.expect):
                    return "written"
            except (ValueError, TypeError):
                pass
            self.out.unlink(missing_ok=True)
            return "changed"
        self.out.unlink(missing_ok=True)
        return "failed: " + (err.strip().splitlines() or [f"exit {self.proc.returncode}"])[-1]


def start_frame(db: Path, sql: str, expect: tuple, out: Path, metadata: dict[str, str],
                background: bool = False) -> Job:
    """``write_frame`` started, not waited for: the child reads while the caller goes on."""
    from .store_file import DATA_VERSION_SQL
    # one batch: each column's type is read from all its values (the driver types a column by
    # its first batch and fails on a later one that differs); the largest figure id is at
    # least the number of rows
    job = json.dumps({"db": str(db), "sql": sql, "version_sql": DATA_VERSION_SQL,
                      "rows": (expect[2] or 0) + 1, "out": str(out), "metadata": metadata,
                      "nice": BACKGROUND_NICE if background else 0})
    try:
        # this file run alone (-P: its folder not on the path), not as a module of the package:
        # the child imports pyarrow and the driver only
        proc = subprocess.Popen([sys.executable, "-P", str(Path(__file__).resolve())],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
    except OSError as e:
        return Job(out, None, expect, str(e))
    try:            # a few hundred bytes: the pipe takes them at once
        proc.stdin.write(job)
        proc.stdin.close()
    except (OSError, ValueError):
        pass        # the child ended before reading them: ``result`` says how
    proc.stdin = None                   # closed: ``communicate`` only reads
    return Job(out, proc, expect)


def _child(job: dict, typed_as_read) -> int:
    """Read ``job["sql"]`` and the store's state (``job["version_sql"]``) in one snapshot, write
    the rows to ``job["out"]`` and the state's row on stdout: the parent keeps the file only if
    that is the state it expected."""
    if job.get("nice") and hasattr(os, "nice"):
        os.nice(int(job["nice"]))
    import adbc_driver_sqlite.dbapi as adbc
    import pyarrow as pa
    from pyarrow import feather

    with adbc.connect(job["db"]) as conn, conn.cursor() as cur:
        cur.adbc_statement.set_options(**{"adbc.sqlite.query.batch_rows": str(job["rows"])})
        cur.execute(job["version_sql"])          # begins the transaction: one snapshot
        state = list(cur.fetchone())
        cur.execute(job["sql"])
        table = cur.fetch_arrow_table()
    table = typed_as_read(table)
    if table is None:
        raise pa.ArrowTypeError("a column the driver reads with a type the frame never has")
    table = table.replace_schema_metadata({k.encode(): v.encode()
                                           for k, v in job["metadata"].items()})
    feather.write_feather(table, job["out"], compression="uncompressed",
                          chunksize=max(table.num_rows, 1))
    print(json.dumps(state))
    return _WRITTEN


if __name__ == "__main__":
    # arrow_types, beside this file, loaded alone: importing the package would load pandas and
    # the extraction engine (0.2 s)
    spec = importlib.util.spec_from_file_location(
        "_figures_arrow_types", Path(__file__).resolve().parent / "arrow_types.py")
    types = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(types)
    sys.exit(_child(json.loads(sys.stdin.read()), types.typed_as_read))
