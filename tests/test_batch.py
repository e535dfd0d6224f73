"""Many files at once: `extract` and `ingest` with --jobs, streaming output, failures in a batch,
Ctrl-C, and the ordered process map under them (figures/batch.py)."""
import csv
import fcntl
import io
import json
import os
import pty
import re
import select
import signal
import sqlite3
import time
import struct
import subprocess
import sys
import termios
from functools import partial
from pathlib import Path

import pytest

from conftest import ROOT
from figures import FIELDS, batch
from figures.batch import ExtractTask, extract_file, ordered_map
from figures.cli import _documents
from figures.formats import load_file
from figures import store as store_module
from figures.store import Store

PLACES = ["Aleppo", "Mosul", "Sanaa", "Kabul", "Goma", "Maiduguri", "Kharkiv", "Juba"]
SOURCES = ["the UN", "officials", "the Red Cross", "OCHA"]
TEMPLATES = [
    "{n:,} civilians were killed in {p} on Monday, {s} said.",
    "Floods have displaced {n:,} people in {p}, according to {s}.",
    "At least {n:,} people were injured in {p}, {s} said.",
    "Up to {n:,} residents remain trapped in {p}, {s} said.",
    "{n:,} people are missing after the attack on {p}, {s} said.",
]


def sentences(seed: int, count: int) -> str:
    """`count` paragraphs, one figure each, different for every seed."""
    return "\n\n".join(TEMPLATES[(seed + i) % 5].format(
        n=1000 + 37 * seed + 11 * i, p=PLACES[(seed * 3 + i) % 8], s=SOURCES[(seed + i) % 4])
        for i in range(count)) + "\n"


def make_corpus(folder: Path, n: int = 24) -> Path:
    """n documents of uneven length (so workers finish out of order), some in a subfolder, one
    Markdown file, and a file of another format that the walk passes over."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sub").mkdir(exist_ok=True)
    for i in range(n):
        where = folder / "sub" if i % 5 == 4 else folder
        ext = ".md" if i == 7 else ".txt"
        body = sentences(i, 1 + (i * 7) % 12)
        if ext == ".md":
            body = f"# Report {i}\n\n**{body}**"
        (where / f"doc{i:03d}{ext}").write_text(body, encoding="utf-8")
    (folder / "notes.csv").write_text("not,a,document\n", encoding="utf-8")
    return folder


def run(*args, **kw):
    return subprocess.run([sys.executable, "-m", "figures", *args], capture_output=True,
                          text=True, cwd=ROOT, **kw)


def csv_rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


# ---------------------------------------------------------------------------------------------
# extract --jobs


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_jobs_2_writes_the_same_rows_in_the_same_order_as_jobs_1(tmp_path, fmt):
    corpus = make_corpus(tmp_path / "corpus")
    one = run("extract", str(corpus), "--format", fmt)
    two = run("extract", str(corpus), "--format", fmt, "--jobs", "2")
    assert one.returncode == 0 and two.returncode == 0, one.stderr + two.stderr
    assert one.stderr == "" and two.stderr == ""       # no progress bar when not on a terminal
    assert two.stdout == one.stdout
    if fmt == "csv":
        ids = [r["doc_id"] for r in csv_rows(one.stdout)]
    else:
        ids = [json.loads(line)["doc_id"] for line in one.stdout.splitlines()]
    # one row per sentence, grouped by file, files in the order of the walk (folder by name)
    expected = []
    for i in range(24):
        expected += [f"doc{i:03d}"] * (1 + (i * 7) % 12)
    walk = sorted(expected, key=lambda d: (int(d[3:]) % 5 == 4, d))   # "doc..." before "sub"
    assert ids == walk


def test_a_bad_file_in_a_jobs_2_batch_is_reported_and_the_rest_goes_on(tmp_path):
    corpus = make_corpus(tmp_path / "corpus", n=12)
    good = run("extract", str(corpus), "--jobs", "2")
    assert good.returncode == 0
    (corpus / "doc003b.txt").write_bytes(b"")                             # empty
    (corpus / "doc006b.txt").write_bytes(b"\x00\x01PK\x03\x04" * 100)     # binary
    r = run("extract", str(corpus), str(tmp_path / "nowhere.txt"), "--jobs", "2")
    assert r.returncode == 1
    assert "doc003b.txt: the file is empty" in r.stderr
    assert "doc006b.txt: this is a binary file" in r.stderr
    assert "nowhere.txt: no such file" in r.stderr
    assert "3 file(s) could not be read" in r.stderr
    assert r.stdout == good.stdout          # every good file's rows, in order


def _boom_extract(text, doc_id="", date=None, real=batch.extract):
    if "BOOM" in text:
        raise ValueError("the engine choked")
    return real(text, doc_id=doc_id, date=date)


def test_an_engine_error_on_one_file_is_reported_by_the_worker_and_the_rest_goes_on(
        tmp_path, monkeypatch):
    corpus = make_corpus(tmp_path / "corpus", n=10)
    (corpus / "doc004.txt").write_text("BOOM " + sentences(4, 2), encoding="utf-8")
    items = [(p, None) for p in sorted(corpus.glob("*.txt"))]
    monkeypatch.setattr(batch, "extract", _boom_extract)   # forked workers inherit it
    with ordered_map(partial(extract_file, ExtractTask()), items, jobs=2, chunksize=2) as m:
        results = list(m)
    assert [r.error for r in results].count(None) == len(items) - 1
    bad = results[[p.name for p, _ in items].index("doc004.txt")]
    assert bad.error == "doc004.txt: could not be processed (ValueError: the engine choked)"
    assert all(r.figures > 0 for r in results if r.error is None)


def _default_sigint() -> None:
    # Ctrl-C as a terminal's shell leaves it: a test run started in the background (nohup, a
    # CI step without job control) ignores SIGINT, and its children would inherit that
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _run_until_first_row(args: list[str], stderr: Path):
    """Start the CLI with its output on a pipe we stop reading after the header and first row:
    once the pipe is full the process blocks in its next write."""
    with open(stderr, "w") as err:
        proc = subprocess.Popen([sys.executable, "-m", "figures", *args], cwd=ROOT,
                                stdout=subprocess.PIPE, stderr=err, text=True,
                                start_new_session=True, preexec_fn=_default_sigint)
    header, first = proc.stdout.readline(), proc.stdout.readline()
    assert header.startswith("doc_id,") and first.startswith("a000,"), (header, first)
    return proc, header + first


def _finish(proc, stderr: Path) -> tuple[str, str]:
    rest = proc.stdout.read()
    proc.wait()
    return rest, stderr.read_text()


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_rows_are_written_before_later_files_are_even_listed(tmp_path, jobs):
    # 100 files of 40 figures: ~1 MB of CSV. The pipe holds 64 KB and the workers get at most
    # WINDOW_PER_JOB * CHUNKSIZE files per job ahead of the writer, so when the first row
    # arrives the process cannot have reached the second folder yet, however slow we are.
    first_dir, later_dir = tmp_path / "first", tmp_path / "later"
    first_dir.mkdir()
    later_dir.mkdir()
    for i in range(100):
        (first_dir / f"a{i:03d}.txt").write_text(sentences(i, 40), encoding="utf-8")
    (later_dir / "b.txt").write_text("Floods have displaced 1,000 people in Juba, officials said.")
    proc, head = _run_until_first_row(["extract", str(first_dir), str(later_dir), "-j", jobs],
                                      tmp_path / "err")
    # now change the later folder: a streaming run sees the new content and the new file
    (later_dir / "b.txt").write_text("Floods have displaced 99,999 people in Juba, officials said.")
    (later_dir / "c.txt").write_text("Fighting has killed 4,321 civilians in Mosul, the UN said.")
    rest, err = _finish(proc, tmp_path / "err")
    assert proc.returncode == 0, err
    rows = csv_rows(head + rest)
    files = list(dict.fromkeys(r["doc_id"] for r in rows))
    assert files == [f"a{i:03d}" for i in range(100)] + ["b", "c"]
    assert [(r["doc_id"], r["value"]) for r in rows[-2:]] == [("b", "99999"), ("c", "4321")]
    # the premise: what the process may have done ahead of us (files in flight, the pipe and
    # our read buffer) is far less than the first folder's output
    per_file = len((head + rest).encode()) / 100
    # chunks of files this long (several ms each) grow once at most (batch.CHUNK_SECONDS)
    ahead = 2 * (int(jobs) * batch.WINDOW_PER_JOB * batch.CHUNKSIZE + batch.CHUNKSIZE)
    assert ahead * per_file + 128 * 1024 < 100 * per_file


def _children(pid: int) -> list[int]:
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.parent.name))
    return out


def _gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return True
    return state in ("Z", "X")


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
def test_ctrl_c_stops_the_workers_and_says_so(tmp_path):
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(100):
        (folder / f"a{i:03d}.txt").write_text(sentences(i, 40), encoding="utf-8")
    proc, head = _run_until_first_row(["extract", str(folder), "--jobs", "2"], tmp_path / "err")
    workers = _children(proc.pid)        # the process is blocked on the full pipe
    assert len(workers) >= 2
    os.killpg(proc.pid, signal.SIGINT)   # as a terminal does: the whole process group
    rest, err = _finish(proc, tmp_path / "err")
    assert proc.returncode == 130
    assert "interrupted:" in err and "Traceback" not in err
    assert len(csv_rows(head + rest)) < 100 * 40
    assert all(_gone(pid) for pid in workers)


def test_progress_bar_with_rate_on_a_terminal(tmp_path):
    corpus = make_corpus(tmp_path / "corpus", n=6)
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 120, 0, 0))
    proc = subprocess.Popen([sys.executable, "-m", "figures", "extract", str(corpus)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=follower)
    os.close(follower)
    shown = b""
    while True:        # read the terminal until the process has closed it
        ready, _, _ = select.select([leader], [], [], 60)
        if not ready:
            break
        try:
            data = os.read(leader, 4096)
        except OSError:   # EIO: no writer left
            break
        if not data:
            break
        shown += data
    proc.stdout.read()
    assert proc.wait() == 0
    os.close(leader)
    text = shown.decode("utf-8", "replace")
    assert "extract" in text and "6/6" in text and re.search(r"doc/s|s/ doc", text)


# ---------------------------------------------------------------------------------------------
# ingest --jobs


def stored(db: Path) -> tuple[list, list]:
    conn = sqlite3.connect(db)
    docs = conn.execute("SELECT sha256, doc_id, title, format, text, extractor_version"
                        " FROM documents ORDER BY sha256").fetchall()
    cols = ", ".join(f'f."{c}"' for c in FIELDS)
    figs = conn.execute(f"SELECT d.sha256, {cols} FROM figures f JOIN documents d"
                        " ON d.id = f.document_id ORDER BY d.sha256, f.id").fetchall()
    conn.close()
    return docs, figs


def test_ingest_jobs_2_stores_the_same_documents_and_figures_as_jobs_1(tmp_path):
    corpus = make_corpus(tmp_path / "corpus")
    (corpus / "copy.txt").write_bytes((corpus / "doc001.txt").read_bytes())   # same text twice
    (corpus / "empty.txt").write_bytes(b"")
    one, two = tmp_path / "one.db", tmp_path / "two.db"
    r1 = run("ingest", str(corpus), "--db", str(one))
    r2 = run("ingest", str(corpus), "--db", str(two), "--jobs", "2")
    for r in (r1, r2):
        assert r.returncode == 1       # the empty file
        assert "added 24, already present 1, failed 1" in r.stderr
        assert "empty.txt: the file is empty" in r.stderr
    docs, figs = stored(one)
    assert len(docs) == 24 and len(figs) == sum(1 + (i * 7) % 12 for i in range(24))
    assert stored(two) == (docs, figs)
    # and the same as the store extracting them itself, one document at a time
    reference = tmp_path / "reference.db"
    with Store(reference) as store:
        for path, _ in _documents([str(corpus)]):
            if path.name != "empty.txt":
                store.add(load_file(path))
    assert stored(reference) == (docs, figs)
    again = run("ingest", str(corpus), "--db", str(two), "--jobs", "2")
    assert "added 0, already present 25, failed 1" in again.stderr
    assert stored(two) == (docs, figs)


def test_ingest_jobs_2_with_pasted_text_from_standard_input(tmp_path):
    corpus = make_corpus(tmp_path / "corpus", n=3)
    db = tmp_path / "s.db"
    r = run("ingest", "-", str(corpus), "--db", str(db), "-j", "2", "--title", "Pasted",
            input="Floods have displaced 3,000 people in Sindh, officials said.\n")
    assert r.returncode == 0, r.stderr
    assert "added 4, already present 0, failed 0" in r.stderr
    docs, figs = stored(db)
    assert "Pasted" in [d[2] for d in docs]
    assert len(figs) == 1 + sum(1 + (i * 7) % 12 for i in range(3))


def test_jobs_must_be_a_positive_whole_number(tmp_path):
    for bad in ("0", "-2", "two"):
        r = run("extract", str(tmp_path), "--jobs", bad)
        assert r.returncode == 2 and "--jobs" in r.stderr


# ---------------------------------------------------------------------------------------------
# the ordered map itself


def _square_and_pid(x):
    return x * x, os.getpid()


def _kill_self_on(x, victim=7):
    if x == victim:
        os.kill(os.getpid(), signal.SIGKILL)
    return x


def test_ordered_map_keeps_order_runs_in_other_processes_and_stops_them():
    with ordered_map(_square_and_pid, range(50), jobs=2, chunksize=3) as m:
        out = list(m)
        workers = list(m.workers)
    assert [v for v, _ in out] == [x * x for x in range(50)]
    assert os.getpid() not in {pid for _, pid in out}
    assert len(workers) == 2 and all(p.exitcode is not None for p in workers)


def test_ordered_map_closed_early_terminates_its_workers():
    m = ordered_map(_square_and_pid, iter(range(10_000)), jobs=2, chunksize=1, window=4)
    with m:
        for v, _ in m:
            if v >= 9:
                break
    assert all(p.exitcode is not None for p in m.workers)


def test_ordered_map_reads_its_input_lazily():
    taken = []

    def items():
        for i in range(1000):
            taken.append(i)
            yield i

    with ordered_map(_square_and_pid, items(), jobs=2, chunksize=2, window=3) as m:
        it = iter(m)
        next(it)
        # the first chunk returned (quickly: the next may be twice as big), the window refilled:
        # at most 3 chunks of 2 and one of 4 were taken
        assert len(taken) <= 3 * 2 + 4
        assert m.sizes[:3] == [2, 2, 2] and len(m.sizes) == 4


def _sleep_and_return(x):
    time.sleep(0.1)
    return x


def test_chunks_grow_for_quick_items_and_stay_small_for_slow_ones():
    with ordered_map(_square_and_pid, range(5000), jobs=2, chunksize=4) as m:
        assert [v for v, _ in m] == [x * x for x in range(5000)]
        quick = m.sizes
    assert quick[0] == 4 and max(quick) > 4 * 8 and max(quick) <= batch.CHUNK_MAX
    assert sum(quick) == 5000
    with ordered_map(_sleep_and_return, range(24), jobs=2, chunksize=2) as m:
        assert list(m) == list(range(24))
        slow = m.sizes
    assert set(slow) == {2}


def test_a_worker_killed_by_the_system_is_an_error_not_a_hang():
    with pytest.raises(batch.WorkerDied, match="stopped unexpectedly"):
        with ordered_map(_kill_self_on, range(20), jobs=2, chunksize=1) as m:
            list(m)


def test_spawned_workers_give_the_same_results(tmp_path):
    corpus = make_corpus(tmp_path / "corpus", n=6)
    items = [(p, None) for p in sorted(corpus.glob("*.txt"))]
    task = ExtractTask(format="jsonl")
    here = [extract_file(task, item) for item in items]
    with ordered_map(partial(extract_file, task), items, jobs=2,
                     start_method="spawn") as m:
        spawned = list(m)
    assert spawned == here and all(r.figures for r in here)


def _slow_extract(text, doc_id="", date=None, real=store_module.extract):
    if "SLOW" in text:
        import time
        time.sleep(3)
    return real(text, doc_id=doc_id, date=date)


def test_ingest_jobs_2_commits_what_it_has_while_a_slow_document_holds_back_the_rest(
        tmp_path, monkeypatch):
    """The documents before a slow one are committed while it is being read (after
    BATCH_SECONDS), not held until it is done: a kill then loses only the documents in flight."""
    from figures import cli
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for i in range(8):
        body = sentences(i, 2) + ("SLOW\n" if i == 4 else "")
        (corpus / f"d{i}.txt").write_text(body, encoding="utf-8")
    monkeypatch.setattr(store_module, "extract", _slow_extract)   # forked workers inherit it
    monkeypatch.setattr(cli, "BATCH_SECONDS", 0.2)
    commits = []
    real_add_many = Store.add_many

    def add_many(self, docs, figures=None):
        docs = list(docs)
        commits.append(sorted(d.file_name for d in docs))
        return real_add_many(self, docs, figures)

    monkeypatch.setattr(Store, "add_many", add_many)
    db = tmp_path / "f.db"
    assert cli.main(["ingest", str(corpus), "--db", str(db), "--jobs", "2"]) == 0
    # chunks of 4 in order: d0-d3 come back at once, then d4 takes 3 s
    assert commits[0] == ["d0.txt", "d1.txt", "d2.txt", "d3.txt"], commits
    assert sorted(sum(commits, [])) == [f"d{i}.txt" for i in range(8)]
    with Store(db) as s:
        assert s.stats()["documents"] == 8


def test_ordered_map_calls_idle_while_a_slow_item_holds_back_the_results():
    calls = []
    with ordered_map(_sleepy, [0, 1, 0, 0], jobs=2, chunksize=1, idle=lambda: calls.append(1)) as m:
        assert list(m) == [0, 1, 0, 0]
    assert len(calls) >= 2      # 1.2 s of waiting, checked every POLL_S


def _sleepy(x):
    import time
    time.sleep(1.2 * x)
    return x


def test_ingest_reads_a_documents_structure_once_for_its_figures_and_its_title(
        tmp_path, monkeypatch):
    """An untitled document gets its headline as title; the structure the engine read is reused
    for it, not read a second time (most of a title's cost)."""
    from figures import document
    from figures.batch import IngestTask, prepare_file
    calls = []
    real = document._structure
    monkeypatch.setattr(document, "_structure", lambda text: calls.append(1) or real(text))
    path = tmp_path / "untitled.txt"
    path.write_text("Floods in Sindh\n\n" + sentences(3, 3), encoding="utf-8")
    with Store(tmp_path / "f.db") as store:
        prepared = prepare_file(IngestTask(db=str(tmp_path / "f.db")), (path, None), store=store)
    assert prepared.error is None and prepared.figures
    assert prepared.doc.title == "Floods in Sindh"
    assert len(calls) == 1
