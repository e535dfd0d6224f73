"""Every figure of a store read straight into Arrow by SQLite's ADBC driver (``adbc-driver-sqlite``),
in a process of its own, and written as the dashboard's frame file.

The standard ``sqlite3`` module makes each of the 50 million values of a million figures a Python
object before Arrow takes it (19 s and 1.5 GB at the peak); the driver reads them in C (5 s and
0.9 GB). It does so in a child process because the driver carries its own copy of SQLite: two
copies of SQLite in one process do not see each other's POSIX locks, and closing the file in one
releases the other's (https://www.sqlite.org/howtocorrupt.html, 2.2.1). The server's own
connections stay with ``sqlite3``; the child only reads.

    write_frame(db, sql, expect, out, metadata) -> "written" | "changed" | "failed: ..."

The child reads the store's ``data_version`` and the rows in one transaction and writes nothing
unless that version is ``expect`` (the state its caller reads and names the file by).
"""
from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

#: The longest a child may take (a million figures take 5-10 s)
TIMEOUT_S = 600

_WRITTEN, _CHANGED = 0, 3


def available() -> bool:
    """Whether the driver is installed (a requirement; an install without it reads the other
    way). Looked up, not imported: its SQLite is only ever loaded by the child."""
    return importlib.util.find_spec("adbc_driver_sqlite") is not None


def write_frame(db: Path, sql: str, expect: tuple, out: Path, metadata: dict[str, str],
                timeout: float = TIMEOUT_S) -> str:
    """Run the child: the rows of ``sql`` in the store ``db`` written to ``out`` as an Arrow file
    (one record batch, uncompressed, ``metadata`` in its schema), typed as
    ``frames.all_figures_table`` types them, if the store's ``data_version`` is still
    ``expect``. Returns "written", "changed" (another state: nothing written) or "failed: why"
    (the driver cannot type a column alike, a damaged file, a timeout: nothing written)."""
    return start_frame(db, sql, expect, out, metadata).result(timeout)


class Job:
    """A child started by ``start_frame``; ``result`` waits for it."""

    def __init__(self, out: Path, proc: subprocess.Popen | None, error: str = ""):
        self.out, self.proc, self.error = out, proc, error

    def result(self, timeout: float = TIMEOUT_S) -> str:
        """As ``write_frame`` returns."""
        if self.proc is None:
            self.out.unlink(missing_ok=True)
            return f"failed: {self.error}"
        try:
            _, err = self.proc.communicate(timeout=timeout)
        except subprocess.SubprocessError as e:
            self.proc.kill()
            self.proc.communicate()
            self.out.unlink(missing_ok=True)
            return f"failed: {e}"
        if self.proc.returncode == _WRITTEN:
            return "written"
        self.out.unlink(missing_ok=True)
        if self.proc.returncode == _CHANGED:
            return "changed"
        return "failed: " + (err.strip().splitlines() or [f"exit {self.proc.returncode}"])[-1]


def start_frame(db: Path, sql: str, expect: tuple, out: Path, metadata: dict[str, str]) -> Job:
    """``write_frame`` started, not waited for: the child reads while the caller goes on."""
    job = json.dumps({"db": str(db), "sql": sql, "expect": list(expect), "out": str(out),
                      "metadata": metadata})
    try:
        proc = subprocess.Popen([sys.executable, "-m", "figures.sqlite_arrow"],
                                stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True,
                                cwd=Path(__file__).resolve().parent.parent)
    except OSError as e:
        return Job(out, None, str(e))
    try:            # a few hundred bytes: the pipe takes them at once
        proc.stdin.write(job)
        proc.stdin.close()
    except (OSError, ValueError):
        pass        # the child ended before reading them: ``result`` says how
    proc.stdin = None                   # closed: ``communicate`` only reads
    return Job(out, proc)


def _child(job: dict) -> int:
    import adbc_driver_sqlite.dbapi as adbc
    import pyarrow as pa
    from pyarrow import feather

    from .frames import typed_as_read
    from .store import DATA_VERSION_SQL, version_of_row
    # one batch: each column's type is read from all its values (the driver types a column by
    # its first batch and fails on a later one that differs)
    rows = (job["expect"][2] or 0) + 1         # the largest figure id: at least every row
    with adbc.connect(job["db"]) as conn, conn.cursor() as cur:
        cur.adbc_statement.set_options(**{"adbc.sqlite.query.batch_rows": str(rows)})
        cur.execute(DATA_VERSION_SQL)            # begins the transaction: one snapshot
        if list(version_of_row(cur.fetchone())) != job["expect"]:
            return _CHANGED
        cur.execute(job["sql"])
        table = cur.fetch_arrow_table()
    table = typed_as_read(table)
    if table is None:
        raise pa.ArrowTypeError("a column the driver reads with a type the frame never has")
    table = table.replace_schema_metadata({k.encode(): v.encode()
                                           for k, v in job["metadata"].items()})
    feather.write_feather(table, job["out"], compression="uncompressed",
                          chunksize=max(table.num_rows, 1))
    return _WRITTEN


if __name__ == "__main__":
    sys.exit(_child(json.loads(sys.stdin.read())))
