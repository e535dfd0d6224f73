"""SIGKILL at random moments never loses what was committed.

1. ``python -m figures ingest`` over a folder of generated documents, killed (its whole process
   group, workers included) at a random moment, 20 times in a row on the same store, then run to
   the end. After every kill: ``PRAGMA integrity_check`` is ok; every document another connection
   saw committed just before the kill is still there with the same figures; every stored document
   has all the figures its text yields (never half a document); nothing stored before the trial
   went missing. At the end every document is there exactly once.
2. The dashboard's server, killed while reviews are being written: by a process using the store
   API and by the app itself (Accept clicked in Chromium an instant before the kill), while the
   app is reading. Afterwards the documents and figures are those of before, every review the
   writer reported committed is in the history, each reviewed span's current verdict is the last
   one in its history (the two tables were written together or not at all), and a restarted
   server shows the same counts as the store.

Delays come from a seeded RNG; documents are small so the file runs in well under a minute."""
import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time

import pytest

from browser_helpers import StreamlitServer, chromium, have_chromium, wait_idle
from conftest import ROOT
from figures.formats import load_file, load_pasted
from figures.store import Store, doc_id_for, figures_for

SEED = 20170920
PLACES = ("Aleppo", "Mosul", "Kharkiv", "Raqqa", "Sanaa", "Goma", "Idlib", "Kabul")


def make_corpus(folder, n: int, rng: random.Random) -> dict[str, int]:
    """n small documents of 1 to 6 sentences, each sentence one figure; {file name: figures}."""
    folder.mkdir()
    expected = {}
    for i in range(n):
        k = rng.randint(1, 6)
        body = " ".join(
            f"Shelling killed {rng.randint(2, 900)} people in {rng.choice(PLACES)} on day {j} of "
            f"report {i}, medics said." for j in range(k))
        (folder / f"r{i:05}.txt").write_text(f"Report {i}\n\n{body}\n", encoding="utf-8")
        expected[f"r{i:05}.txt"] = k
    return expected


def snapshot(db) -> dict[str, int]:
    """{file name: figures} of every committed document, read in one statement (one snapshot)
    by a connection of this process, as any reader would see the store."""
    conn = sqlite3.connect(db, timeout=10)
    try:
        return dict(conn.execute(
            "SELECT d.file_name, count(f.id) FROM documents d"
            " LEFT JOIN figures f ON f.document_id = d.id GROUP BY d.id"))
    finally:
        conn.close()


def integrity(db) -> str:
    conn = sqlite3.connect(db, timeout=10)
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()


def kill_group(proc: subprocess.Popen) -> int:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass                        # it had already finished
    return proc.wait()


N_DOCS = 3500
TRIALS = 20


def test_ingest_killed_twenty_times_loses_nothing_committed(tmp_path):
    rng = random.Random(SEED)
    corpus, db = tmp_path / "corpus", tmp_path / "f.db"
    expected = make_corpus(corpus, N_DOCS, rng)
    for name in rng.sample(sorted(expected), 20):     # the rules read one figure per sentence
        doc = load_file(corpus / name)
        assert len(figures_for(doc, doc_id_for(doc))) == expected[name], name
    Store(db).close()               # an empty store at the current schema
    log = open(tmp_path / "ingest.log", "w")

    before: dict[str, int] = {}
    outcomes = []
    for trial in range(TRIALS):
        proc = subprocess.Popen(
            [sys.executable, "-m", "figures", "ingest", str(corpus), "--db", str(db)],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=log, start_new_session=True)
        if rng.random() < 0.3:
            time.sleep(rng.uniform(0, 1.2))       # any moment: start-up, reading, writing
            mode = "any"
        else:                                     # once it has added some documents
            target = len(before) + rng.randint(1, 120)
            deadline = time.monotonic() + 30
            while (len(snapshot(db)) < target and proc.poll() is None
                   and time.monotonic() < deadline):
                time.sleep(0.01)
            time.sleep(rng.uniform(0, 0.1))
            mode = "adding"
        seen = snapshot(db)
        code = kill_group(proc)
        after = snapshot(db)
        assert integrity(db) == "ok", trial
        # committed before the kill, still there with every figure
        assert seen.items() <= after.items(), trial
        assert before.items() <= after.items(), trial
        # no half documents: each has all its figures
        wrong = {name: n for name, n in after.items() if n != expected[name]}
        assert wrong == {}, (trial, wrong)
        outcomes.append((mode, code, len(after) - len(before)))
        before = after
    log.close()

    killed_while_adding = [o for o in outcomes if o[1] == -signal.SIGKILL and o[2] > 0]
    print(f"\n{TRIALS} kills (mode, exit status, documents added): {outcomes}; "
          f"{len(before)} of {N_DOCS} documents stored before the last run")
    assert len(killed_while_adding) >= TRIALS // 2, outcomes

    # the same command, not killed, takes up where the last one stopped
    done = subprocess.run([sys.executable, "-m", "figures", "ingest", str(corpus), "--db",
                           str(db)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert f"added {N_DOCS - len(before)}, already present {len(before)}, failed 0" in done.stderr
    assert snapshot(db) == expected
    assert integrity(db) == "ok"


# ---------------------------------------------------------------------------------------------
# The app server killed while reviews are written

REVIEWER = textwrap.dedent("""
    import random, sys, time
    from figures.store import Store
    rng = random.Random(int(sys.argv[2]))
    s = Store(sys.argv[1])
    # every other figure: the rest stays in the app's review queue, whatever the timing
    ids = [r[0] for r in s.conn.execute("SELECT id FROM figures ORDER BY id")][::2]
    for seq in range(1_000_000):
        fid, note = rng.choice(ids), f"kill-test {seq}"
        verdict = rng.choice(["accepted", "rejected", "corrected"])
        if verdict == "corrected":
            s.review(fid, value=rng.randint(1, 5000), note=note, reviewer="kill-test")
        else:
            s.review(fid, verdict, note=note, reviewer="kill-test")
        print(seq, fid, verdict, flush=True)     # only after the commit
        time.sleep(rng.uniform(0, 0.01))
""")


def review_state(db):
    conn = sqlite3.connect(db, timeout=10)
    try:
        docs = dict(conn.execute("SELECT d.id, (SELECT count(*) FROM figures f"
                                 " WHERE f.document_id = d.id) FROM documents d"))
        figures = {r[0]: r[1:] for r in conn.execute(
            'SELECT id, document_id, "start", "end", value, category FROM figures')}
        history = conn.execute("SELECT id, document_id, span_start, span_end, status, value, note"
                               " FROM review_history ORDER BY id").fetchall()
        current = {r[:3]: r[3:] for r in conn.execute(
            "SELECT document_id, span_start, span_end, status, value, note FROM reviews")}
        return docs, figures, history, current
    finally:
        conn.close()


def check_reviews(db, reported_notes):
    docs, figures, history, current = review_state(db)
    notes = {h[6] for h in history}
    missing = [n for n in reported_notes if n not in notes]
    assert missing == [], f"reviews reported committed but lost: {missing[:5]}"
    last = {}
    for h in history:
        last[h[1:4]] = h[4:]
    assert current == last     # each span's verdict is its latest history row, nothing else
    return docs, figures


@pytest.mark.skipif(not have_chromium(), reason="needs chromium (apt-get install chromium)")
def test_server_killed_while_reviews_are_written_loses_nothing(tmp_path):
    rng = random.Random(SEED + 1)
    db = tmp_path / "f.db"
    with Store(db) as s:
        for i in range(30):
            s.add(load_pasted(f"Report {i}\n\n" + " ".join(
                f"Shelling killed {rng.randint(2, 900)} people in {rng.choice(PLACES)} on day {k}"
                f" of report {i}, medics said." for k in range(rng.randint(1, 5)))))
    docs0, figures0, _, _ = review_state(db)
    assert len(docs0) == 30 and len(figures0) >= 30

    server = StreamlitServer(db, tmp_path / "streamlit.log").start()
    reviewer = subprocess.Popen([sys.executable, "-c", REVIEWER, str(db), str(SEED)], cwd=ROOT,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                start_new_session=True)
    app_clicks = 0
    try:
        with chromium() as browser:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            end = time.monotonic() + rng.uniform(3, 5)
            while time.monotonic() < end:            # the app reads while reviews are written
                page.goto(server.url + "/review")
                page.wait_for_selector("text=unreviewed figures", timeout=60_000)
                wait_idle(page)
                # the review's button, in the main area (the sidebar's status filter has a
                # "Remove accepted" button that the name would also match)
                page.get_by_test_id("stMain").get_by_role("button", name="Accept").click()
                app_clicks += 1
                wait_idle(page)
                page.goto(server.url + "/figures?status=accepted&status=corrected")
                page.wait_for_selector("[data-testid='stDataFrame']", timeout=60_000)
            page.goto(server.url + "/review")
            page.wait_for_selector("text=unreviewed figures", timeout=60_000)
            wait_idle(page)
            page.get_by_test_id("stMain").get_by_role("button", name="Accept").click()   # the app starts writing ...
            time.sleep(rng.uniform(0, 0.15))
            assert server.kill() == -signal.SIGKILL              # ... and is killed
            time.sleep(rng.uniform(0, 0.2))
            assert kill_group(reviewer) == -signal.SIGKILL       # the writer too, mid-stream
    finally:
        server.stop()
        kill_group(reviewer)
    out = reviewer.stdout.read()
    assert reviewer.stderr.read() == ""
    reported = [f"kill-test {line.split()[0]}" for line in out.splitlines()
                if re.fullmatch(r"\d+ \d+ \w+", line)]
    assert len(reported) >= 20, out[-500:]        # it was writing all along
    print(f"\n{len(reported)} reviews reported committed by the writer, {app_clicks + 1} Accept "
          "clicks in the app, then both killed")

    assert integrity(db) == "ok"
    docs, figures = check_reviews(db, reported)
    assert docs == docs0 and figures == figures0        # every document and figure is intact

    # a new server on the same file shows what the store holds
    with Store(db) as s:
        stats = s.stats()
    with StreamlitServer(db, tmp_path / "streamlit2.log") as again, chromium() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(again.url + "/review")
        page.wait_for_selector("text=unreviewed figures", timeout=60_000)
        wait_idle(page)
        text = page.inner_text("body")
        assert f"{stats['figures']:,} figures stored" in text
        assert f"{stats['reviews']['accepted']:,} accepted" in text
        assert f"{stats['reviews']['rejected']:,} rejected" in text
        assert page.locator("[data-testid='stException']").count() == 0
