"""Load test: 20 browser sessions on one dashboard server while a CLI ingest writes to its store.

    .venv/bin/python bench/load.py                            # 20 sessions, 60 s, 1,000 documents
    .venv/bin/python bench/load.py --sessions 5 --duration 20 --docs 200 --json /tmp/load.json

What it does:
  1. a temporary store; the server (``streamlit run app.py`` on a free 127.0.0.1 port) adds the
     sample articles on its first start, which one page load triggers before the clock starts;
  2. one headless Chromium, one browser context per session (``--sessions``, default 20), all in
     one asyncio loop. Each session, until ``--duration`` seconds have passed, repeats: the
     Overview with a filter in the address bar (chosen by a seeded RNG among a few: none, a
     category, two categories, a country, combatants included), the Figures page with the same
     filter, the Documents page;
  3. ``--ingest-after`` seconds in, ``python -m figures ingest`` of ``--docs`` generated Markdown
     documents (dated 2024, so they take over the Overview's cards as they arrive) into the same
     store.

What it reports:
  - errors: Streamlit exception boxes (``stException``), console errors and page errors in any
    session, page loads that timed out, and "Traceback"/"Error" lines in the server's log;
  - consistency: the sidebar's "N figures stored" of a session never goes down; every count a page
    showed is a state the store really passed through (documents are committed whole, so the
    states are the prefixes of the documents in id order); in that state the page's caption
    ("N figures · …") and its five cards are what the dashboard's own functions give for the
    filter;
    the Documents page's newest document shows all its figures (label and marks);
  - page-load times (median, p95, max) per page, from ``goto`` until Streamlit has finished the
    script and the page's content is drawn;
  - the ingest: documents per second and whether it completed.

Loopback only; every wait has a time limit and the run stops by itself. Nothing is asserted.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

from common import ROOT  # noqa: I001  (first: puts the project on the import path)

if str(ROOT / "tests") not in sys.path:
    sys.path.insert(0, str(ROOT / "tests"))     # the browser helpers the tests use

from browser_helpers import CHROMIUM, CHROMIUM_ARGS, StreamlitServer  # noqa: E402
from figures import views  # noqa: E402
from figures.schema import CATEGORIES  # noqa: E402
from figures.store import Filters, Store  # noqa: E402

FILTERS = [Filters(), Filters(categories=("killed",)), Filters(categories=("displaced", "trapped")),
           Filters(countries=("SYR",)), Filters(include_combatants=True)]

PLACES = [("Aleppo", "SYR"), ("Raqqa", "SYR"), ("Idlib", "SYR"), ("Homs", "SYR"),
          ("Mosul", "IRQ"), ("Fallujah", "IRQ"), ("Kharkiv", "UKR"), ("Mariupol", "UKR"),
          ("Sanaa", "YEM"), ("Taiz", "YEM"), ("Goma", "COD"), ("Kabul", "AFG")]
SOURCES = ["the UN", "OCHA", "the Red Crescent", "local officials", "the health ministry", "MSF"]
SENTENCES = {
    "killed": "At least {n} civilians were killed in {place} on {day}, {source} said.",
    "injured": "Shelling injured {n} people in {place}, according to {source}.",
    "missing": "{n} people are missing in {place} after the strikes, {source} said.",
    "trapped": "Up to {n} civilians are trapped in {place}, according to {source}.",
    "displaced": "The fighting has displaced {n} people around {place}, {source} said.",
}
FILLER = ("Aid agencies said access to the area remained difficult. Roads were blocked and "
          "hospitals were short of fuel.")

# In the page: has Streamlit finished and drawn what this page must show?
READY_JS = """(page) => {
  const app = document.querySelector('[data-testid="stApp"]');
  if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
  if (document.querySelector('[data-testid="stStatusWidgetRunningIcon"], [data-stale="true"]'))
    return false;
  const main = document.querySelector('[data-testid="stMain"]');
  if (!main || !main.querySelector('h1')) return false;
  if (main.querySelector('[data-testid="stException"], [data-testid="stAlert"]')) return true;
  if (page === 'overview')
    return main.querySelectorAll('[data-testid="stMetric"]').length >= 5
        && !!main.querySelector('.js-plotly-plot .main-svg');
  if (page === 'figures') return !!main.querySelector('[data-testid="stDataFrame"] canvas');
  // the document's label in its select box, and its text
  const text = main.querySelector('.st-key-document_text [data-testid="stHtml"]');
  return !!text && text.innerText.length > 0 && [...main.querySelectorAll(
      '[data-testid="stSelectbox"] input')].some(i => i.value.includes(' figures · added'));
}"""

# What the page shows, read once it is ready.
READ_JS = """() => {
  const t = sel => { const e = document.querySelector(sel); return e ? e.innerText : null; };
  return {
    stored: t('[data-testid="stSidebar"] [data-testid="stCaptionContainer"]'),
    caption: t('[data-testid="stMain"] [data-testid="stCaptionContainer"]'),
    metrics: [...document.querySelectorAll('[data-testid="stMetric"]')].map(m => [
      (m.querySelector('[data-testid="stMetricLabel"]') || m).innerText.trim(),
      (m.querySelector('[data-testid="stMetricValue"]') || m).innerText.trim()]),
    exceptions: [...document.querySelectorAll('[data-testid="stException"]')]
      .map(e => e.innerText.slice(0, 300)),
    marks: document.querySelectorAll('.st-key-document_text mark').length,
    selects: [...document.querySelectorAll('[data-testid="stSelectbox"] input')].map(i => i.value),
  };
}"""


@dataclass
class Load:
    session: int
    page: str
    url: str
    started: float               # seconds since the clock started
    seconds: float | None        # None: timed out or failed
    shown: dict = field(default_factory=dict)
    error: str = ""


@dataclass
class Session:
    index: int
    loads: list[Load] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    http_errors: list[str] = field(default_factory=list)     # "404 /documents/_stcore/health"
    outside: list[str] = field(default_factory=list)         # requests not to 127.0.0.1:port


def make_corpus(folder: Path, n: int, seed: int) -> None:
    """n Markdown documents with front matter (title, date in 2024), 2 to 5 figures each."""
    rng = random.Random(seed)
    folder.mkdir(parents=True)
    for i in range(n):
        day = 1 + i * 365 // max(n, 1)
        date = time.strftime("%Y-%m-%d", time.gmtime(1704067200 + (day - 1) * 86400))
        sentences = []
        for _ in range(rng.randint(2, 5)):
            cat = rng.choice(CATEGORIES)
            place, _ = rng.choice(PLACES)
            scale = {"killed": 300, "injured": 800, "missing": 100, "trapped": 20000,
                     "displaced": 200000}[cat]
            sentences.append(SENTENCES[cat].format(
                n=f"{rng.randint(2, scale):,}", place=place, source=rng.choice(SOURCES),
                day=rng.choice(["Monday", "Tuesday", "Friday"])))
        body = " ".join(sentences)
        (folder / f"load{i:05}.md").write_text(
            f"---\ntitle: Load test report {i}\ndate: {date}\n---\n\n{body}\n\n{FILLER}\n",
            encoding="utf-8")


def query(f: Filters) -> str:
    return urlencode(views.filters_to_params(f), doseq=True)


async def load_page(page, sess: Session, name: str, url: str, t0: float, timeout_s: float):
    start = time.monotonic()
    rec = Load(sess.index, name, url, round(start - t0, 3), None)
    try:
        await page.goto(url, timeout=timeout_s * 1000)
        await page.wait_for_function(READY_JS, arg=name, timeout=timeout_s * 1000, polling=100)
        rec.seconds = round(time.monotonic() - start, 3)
        rec.shown = await page.evaluate(READ_JS)
        rec.shown["url"] = page.url
        if rec.shown["exceptions"]:
            rec.error = "exception box: " + " | ".join(rec.shown["exceptions"])
    except Exception as e:       # a timeout or a closed page: counted, the session goes on
        rec.error = f"{type(e).__name__}: {str(e).splitlines()[0][:200]}"
    sess.loads.append(rec)


async def run_session(browser, sess: Session, base: str, t0: float, deadline: float,
                      seed: int, timeout_s: float) -> None:
    rng = random.Random(seed * 1000 + sess.index)
    ctx = await browser.new_context(viewport={"width": 1400, "height": 1000})
    page = await ctx.new_page()
    page.on("console", lambda m: sess.console_errors.append(m.text[:300])
            if m.type == "error" else None)
    page.on("pageerror", lambda e: sess.page_errors.append(str(e)[:300]))
    page.on("response", lambda r: sess.http_errors.append(f"{r.status} {urlsplit(r.url).path}")
            if r.status >= 400 else None)
    origin = urlsplit(base).netloc
    page.on("request", lambda r: sess.outside.append(r.url)
            if urlsplit(r.url).scheme in ("http", "https", "ws", "wss")
            and urlsplit(r.url).netloc != origin else None)
    try:
        await asyncio.sleep(rng.uniform(0, 2))       # not all twenty at the same instant
        while time.monotonic() < deadline:
            q = query(rng.choice(FILTERS))
            for name, path in (("overview", f"/?{q}"), ("figures", f"/figures?{q}"),
                               ("documents", "/documents")):
                if time.monotonic() >= deadline:
                    break
                await load_page(page, sess, name, base + path, t0, timeout_s)
    finally:
        await ctx.close()


async def drive(base: str, sessions: list[Session], duration: float, ingest_after: float,
                ingest_cmd: list[str], ingest_log: Path, seed: int, timeout_s: float,
                server_pid: int) -> dict:
    from playwright.async_api import async_playwright
    ingest = {"started": None, "seconds": None, "returncode": None, "stderr": ""}
    skip = {server_pid}
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            t0 = time.monotonic()
            deadline = t0 + duration

            async def run_ingest():
                await asyncio.sleep(ingest_after)
                ingest["started"] = round(time.monotonic() - t0, 3)
                with open(ingest_log, "w") as log:
                    proc = await asyncio.create_subprocess_exec(
                        *ingest_cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=log,
                        start_new_session=True)
                    try:
                        ingest["returncode"] = await asyncio.wait_for(
                            proc.wait(), timeout=duration + timeout_s + 120)
                    except asyncio.TimeoutError:
                        os.killpg(proc.pid, signal.SIGKILL)
                        await proc.wait()
                        ingest["returncode"] = "killed after the time limit"
                ingest["seconds"] = round(time.monotonic() - t0 - ingest["started"], 3)
                ingest["stderr"] = ingest_log.read_text(errors="replace")[-2000:]

            tasks = [run_session(browser, s, base, t0, deadline, seed, timeout_s)
                     for s in sessions]
            browser_cpu0 = tree_cpu_seconds(os.getpid(), skip)
            await asyncio.wait_for(asyncio.gather(run_ingest(), *tasks),
                                   timeout=duration + timeout_s + 180)
            ingest["browser_cpu_seconds"] = round(tree_cpu_seconds(os.getpid(), skip)
                                                  - browser_cpu0, 1)
        finally:
            await browser.close()
    return ingest


# ---------------------------------------------------------------------------------------------
# Checking what the sessions saw against the store


def number(text: str | None, pattern: str) -> int | None:
    m = re.search(pattern, text or "")
    return int(m.group(1).replace(",", "")) if m else None


def filters_of(url: str) -> Filters:
    qs = parse_qs(urlsplit(url).query)
    for f in FILTERS:
        if parse_qs(query(f)) == {k: v for k, v in qs.items() if k not in ("doc", "figure")}:
            return f
    raise ValueError(f"unknown filter in {url}")


def check(db: Path, sessions: list[Session]) -> dict:
    with Store(db) as s:
        frame = views.all_figures_frame(s)
        per_doc = s.conn.execute("SELECT d.id, (SELECT count(*) FROM figures f WHERE"
                                 " f.document_id = d.id) FROM documents d ORDER BY d.id").fetchall()
    prefix, total = {}, 0               # figures stored -> the last document id of that state
    for doc_id, n in per_doc:
        total += n
        prefix[total] = doc_id
    doc_figures = dict(per_doc)
    problems: list[str] = []
    checked = {"overview": 0, "figures": 0, "documents": 0}
    expected_cache: dict = {}

    def expected(upto: int, f: Filters):
        key = (upto, query(f))
        if key not in expected_cache:
            df = views.apply_filters(frame[frame["document_id"] <= upto], f)
            cards = views.latest_cards(df)
            shown = {c.capitalize(): cards[c].number if cards[c] else "—" for c in CATEGORIES}
            expected_cache[key] = (len(df), shown)
        return expected_cache[key]

    for sess in sessions:
        last_stored = -1
        for ld in sess.loads:
            if ld.seconds is None or not ld.shown:
                continue
            where = f"session {sess.index} {ld.page} at {ld.started:.1f} s"
            stored = number(ld.shown.get("stored"), r"([\d,]+) figures stored")
            if stored is None:
                problems.append(f"{where}: no 'figures stored' in the sidebar")
                continue
            if stored < last_stored:
                problems.append(f"{where}: figures stored went down, {last_stored} -> {stored}")
            last_stored = max(last_stored, stored)
            if stored not in prefix:
                problems.append(f"{where}: {stored} figures stored is not a committed state")
                continue
            if ld.page in ("overview", "figures"):
                f = filters_of(ld.shown["url"])
                n_expected, cards_expected = expected(prefix[stored], f)
                n_shown = number(ld.shown.get("caption"), r"^([\d,]+) figures")
                if n_shown != n_expected:
                    problems.append(f"{where}: caption says {n_shown} figures, the store at "
                                    f"{stored} stored gives {n_expected} for "
                                    f"{query(f) or 'no filter'}")
                if ld.page == "overview" and n_expected:
                    shown_cards = dict(ld.shown["metrics"])
                    if shown_cards != cards_expected:
                        problems.append(f"{where}: cards {shown_cards} != {cards_expected}")
                checked[ld.page] += 1
            else:
                doc = parse_qs(urlsplit(ld.shown["url"]).query).get("doc", [None])[0]
                label = next((v for v in ld.shown["selects"] if " figures · added" in v), "")
                k = number(label, r"· (\d+) figures · added")
                if doc is None or k is None:
                    problems.append(f"{where}: no document shown ({ld.shown['url']}, {label!r})")
                    continue
                want = doc_figures.get(int(doc))
                if not (k == want == ld.shown["marks"]):
                    problems.append(f"{where}: document {doc} shows {k} figures and "
                                    f"{ld.shown['marks']} marks, the store has {want}")
                checked["documents"] += 1
    return {"problems": problems, "checked": checked, "final_figures": total,
            "final_documents": len(per_doc)}


def quantiles(xs: list[float]) -> dict:
    if not xs:
        return {"n": 0}
    xs = sorted(xs)
    p95 = xs[min(len(xs) - 1, max(0, round(0.95 * len(xs)) - 1))]
    return {"n": len(xs), "median": round(statistics.median(xs), 2), "p95": round(p95, 2),
            "max": round(xs[-1], 2)}


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc), 0 when unknown."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def tree_cpu_seconds(root: int, skip: set[int]) -> float:
    """CPU time of the live processes under ``root`` (not ``root`` itself, not the subtrees of
    ``skip``): here, Chromium's processes."""
    parent = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                parent[int(d.name)] = int(
                    (d / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                pass
    total = 0.0
    for pid in parent:
        up, seen = pid, set()
        while up in parent and up not in seen and up not in skip and up != root:
            seen.add(up)
            up = parent[up]
        if up == root and pid != root:
            total += cpu_seconds(pid)
    return total


def server_errors(log: str) -> list[str]:
    return [line for line in log.splitlines() if re.search(r"Traceback|Error", line)]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sessions", type=int, default=20)
    ap.add_argument("--duration", type=float, default=60, help="seconds of page loads")
    ap.add_argument("--docs", type=int, default=1000, help="documents the ingest adds")
    ap.add_argument("--ingest-after", type=float, default=10,
                    help="seconds into the run when the ingest starts")
    ap.add_argument("--timeout", type=float, default=120, help="seconds one page load may take")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json", help="write every number and every load here")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = ap.parse_args(argv)

    tmp = Path(tempfile.mkdtemp(prefix="figures-load-"))
    db, corpus = tmp / "figures.db", tmp / "corpus"
    # a cache folder of its own (the server's frames, the gazetteer), built before the clock starts
    os.environ["FIGURES_CACHE_DIR"] = str(tmp / "cache")
    subprocess.run([sys.executable, "-c", "from figures import extract; "
                    "extract('Shelling killed 3 people in Aleppo, medics said.')"],
                   cwd=ROOT, check=True, timeout=300)
    make_corpus(corpus, args.docs, args.seed)
    server = StreamlitServer(db, tmp / "streamlit.log")
    sessions = [Session(i) for i in range(args.sessions)]
    print(f"store {db}; {args.docs} documents in {corpus}; {args.sessions} sessions for "
          f"{args.duration:.0f} s; ingest after {args.ingest_after:.0f} s", flush=True)
    t_start = time.monotonic()
    try:
        server.start()
        first = Session(-1)                # the first start adds the sample articles

        async def first_load():
            from playwright.async_api import async_playwright
            async with async_playwright() as p:
                b = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                try:
                    page = await b.new_page()
                    await load_page(page, first, "overview", server.url + "/", time.monotonic(),
                                    args.timeout)
                finally:
                    await b.close()
        asyncio.run(first_load())
        with Store(db) as s:
            seeded = s.stats()
        cpu0 = cpu_seconds(server.proc.pid)
        t_run = time.monotonic()
        ingest = asyncio.run(drive(
            server.url, sessions, args.duration, args.ingest_after,
            [sys.executable, "-m", "figures", "ingest", str(corpus), "--db", str(db)],
            tmp / "ingest.log", args.seed, args.timeout, server.proc.pid))
        server_cpu = (cpu_seconds(server.proc.pid) - cpu0, time.monotonic() - t_run)
    finally:
        server.stop()
    wall = time.monotonic() - t_start

    log = server.log()
    consistency = check(db, sessions)
    loads = [ld for s in sessions for ld in s.loads]
    failed = [ld for ld in loads if ld.error]
    added = number(ingest["stderr"], r"added ([\d,]+)")
    report = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "load_average_after": os.getloadavg()},
        "settings": vars(args),
        "first_start_seconds": first.loads[0].seconds if first.loads else None,
        "sample_documents": seeded["documents"], "sample_figures": seeded["figures"],
        "page_loads": {name: quantiles([ld.seconds for ld in loads
                                        if ld.page == name and ld.seconds is not None])
                       for name in ("overview", "figures", "documents")},
        "loads_total": len(loads), "loads_failed": len(failed),
        "failures": [f"session {ld.session} {ld.page}: {ld.error}" for ld in failed][:20],
        "console_errors": sum(len(s.console_errors) for s in sessions),
        "console_error_examples": sorted({e for s in sessions for e in s.console_errors})[:10],
        "http_errors": sum(len(s.http_errors) for s in sessions),
        "http_error_kinds": sorted({e for s in sessions for e in s.http_errors})[:10],
        "requests_outside_loopback": sorted({u for s in sessions for u in s.outside})[:10],
        "page_errors": sum(len(s.page_errors) for s in sessions),
        "page_error_examples": sorted({e for s in sessions for e in s.page_errors})[:10],
        "server_log_errors": server_errors(log)[:20],
        "ingest": {**ingest, "documents_added": added,
                   "documents_per_second": round(added / ingest["seconds"], 1)
                   if added and ingest["seconds"] else None,
                   "completed": ingest["returncode"] == 0 and added == args.docs},
        "consistency": consistency,
        "server_cpu_seconds": round(server_cpu[0], 1),
        "browser_cpu_seconds": ingest.pop("browser_cpu_seconds", None),
        "run_seconds": round(server_cpu[1], 1),
        "wall_seconds": round(wall, 1),
    }
    print_report(report)
    if args.json:
        Path(args.json).write_text(json.dumps(
            {**report, "loads": [asdict(ld) for ld in loads]}, indent=2, default=str))
    if args.keep:
        print(f"kept {tmp}")
    else:
        import shutil
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


def print_report(r: dict) -> None:
    print()
    print(f"machine: {r['machine']['cpus']} CPUs, Python {r['machine']['python']}, load average "
          f"after {', '.join(f'{x:.1f}' for x in r['machine']['load_average_after'])}")
    print(f"first start (adds the sample): {r['first_start_seconds']} s, "
          f"{r['sample_documents']} documents, {r['sample_figures']} figures")
    print(f"page loads: {r['loads_total']} in {r['settings']['sessions']} sessions, "
          f"{r['loads_failed']} failed")
    for name, q in r["page_loads"].items():
        if q["n"]:
            print(f"  {name:<10} n={q['n']:<4} median {q['median']:.2f} s  p95 {q['p95']:.2f} s  "
                  f"max {q['max']:.2f} s")
    for f in r["failures"]:
        print(f"  failed: {f}")
    print(f"console errors: {r['console_errors']}  page errors: {r['page_errors']}  "
          f"HTTP errors: {r['http_errors']}  requests outside 127.0.0.1:port: "
          f"{len(r['requests_outside_loopback'])}")
    for e in (r["console_error_examples"] + r["page_error_examples"] + r["http_error_kinds"]
              + r["requests_outside_loopback"]):
        print(f"  {e}")
    print(f"server log lines with Traceback/Error: {len(r['server_log_errors'])}")
    for line in r["server_log_errors"][:10]:
        print(f"  {line}")
    ing = r["ingest"]
    print(f"ingest: started at {ing['started']} s, took {ing['seconds']} s, "
          f"{ing['documents_added']} added, {ing['documents_per_second']} documents/s, "
          f"exit {ing['returncode']}, completed: {ing['completed']}")
    c = r["consistency"]
    print(f"consistency: {c['checked']} page views checked against the store "
          f"(final: {c['final_documents']} documents, {c['final_figures']} figures); "
          f"{len(c['problems'])} problems")
    for p in c["problems"][:20]:
        print(f"  {p}")
    print(f"server process: {r['server_cpu_seconds']} CPU s in {r['run_seconds']} s of run "
          f"({r['server_cpu_seconds'] / max(r['run_seconds'], 1e-9):.0%} of one core); "
          f"Chromium: {r['browser_cpu_seconds']} CPU s")
    print(f"wall time {r['wall_seconds']} s")


if __name__ == "__main__":
    sys.exit(main())
