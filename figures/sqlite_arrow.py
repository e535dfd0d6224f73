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
    job = json.dumps({"db": str(db), "sql": sql, "expect": list(expect), "out": str(out),
                      "metadata": metadata})
    try:
        done = subprocess.run([sys.executable, "-m", "figures.sqlite_arrow"], input=job,
                              capture_output=True, text=True, timeout=timeout,
                              cwd=Path(__file__).resolve().parent.parent)
    except (OSError, subprocess.SubprocessError) as e:
        out.unlink(missing_ok=True)
        return f"failed: {e}"
    if done.returncode == _WRITTEN:
        return "written"
    out.unlink(missing_ok=True)
    if done.returncode == _CHANGED:
        return "changed"
    return "failed: " + (done.stderr.strip().splitlines() or [f"exit {done.returncode}"])[-1]


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
