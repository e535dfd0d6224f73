"""Measure the dashboard at scale: cold start, warm load and filter changes, with the real server.

    .venv/bin/python bench/dashboard.py                     # 100,000 figures in a temporary store
    .venv/bin/python bench/dashboard.py --figures 20000
    .venv/bin/python bench/dashboard.py --db /tmp/big.db    # reuse a store made by make_store.py

Steps:
  1. make (or reuse) a store with bench/make_store.py;
  2. ``--cold-runs`` times (default 3): start ``streamlit run app.py`` on a free port with
     FIGURES_DB set and load the Overview in a new headless Chromium context (Playwright): the
     first load after the server starts (cold caches; the median run is reported). After the last
     one: a second fresh page (warm server cache), then five filter changes in the sidebar. The
     server's resident memory (now and peak, /proc VmRSS and VmHWM) is read after each cold
     load and after the filter changes. With ``--fresh-cache`` each server gets a new, empty
     FIGURES_CACHE_DIR (the first start after a change of the store); without it the servers
     share the usual cache folder, and a cold load finds the frame and views that earlier loads
     of the same store left there (a restart);
  3. the same on a trivial app (five metrics, one small Plotly chart, no data): the floor this
     machine's Streamlit + Chromium cost anyway;
  4. with the server stopped, time the script alone with Streamlit's AppTest (no browser) and
     profile a filter rerun and a data-cache-cold run with cProfile;
  5. in a new process, time the dashboard's building blocks directly (DataFrame load, pickling
     by st.cache_data, sidebar options, filtering, cards, each chart and its JSON), each called
     twice: first call (one-time costs, as on a cold start) and again (what each rerun pays).

"Finished" means what a user sees: the app root's ``data-test-script-state`` is ``notRunning``,
the status widget's running icon is gone, the five metric cards and the first Plotly chart are
visible (and drawn). A filter change is timed in the page from the click on the option (or on a
value's "×") until the script state has changed and is back to ``notRunning`` with no stale
element left, the Overview's caption ("N figures · …") has changed, and the cards and chart (or the
"no figures match" notice) are shown. Nothing is asserted; the numbers are printed.
"""
from __future__ import annotations

import argparse
import atexit
import cProfile
import io
import json
import os
import platform
import pstats
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from common import ROOT, in_work_folder  # noqa: I001  (first: puts the project on the import path)

import make_store  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--headless"]
TARGET_COLD_S = 3.0
TARGET_RERUN_S = 0.3
TARGET_RSS_MB = 2048         # the server's peak resident memory
FILTER_WAIT_MS = 60_000     # a filter change that has not rerun by then is reported, not waited for
LONG_MS = 900_000            # Playwright timeouts: the slow path can take minutes, wait for it


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


# ---------------------------------------------------------------------------------------------
# Machine


def machine_info() -> dict:
    info = {"nproc": os.cpu_count(), "usable_cpus": len(os.sched_getaffinity(0)),
            "cpu": "?", "ram_gb": None, "python": platform.python_version(),
            "platform": platform.platform()}
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                info["ram_gb"] = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    try:   # cgroup limits, when a container has fewer CPUs or less memory than the host
        quota = Path("/sys/fs/cgroup/cpu.max").read_text().split()
        if quota[0] != "max":
            info["cgroup_cpus"] = round(int(quota[0]) / int(quota[1]), 2)
        mem = Path("/sys/fs/cgroup/memory.max").read_text().strip()
        if mem != "max":
            info["cgroup_ram_gb"] = round(int(mem) / 1024 ** 3, 1)
    except (OSError, ValueError, IndexError):
        pass
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, text=True,
                                capture_output=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=ROOT, text=True, capture_output=True, timeout=10).stdout.strip()
        info["commit"] = commit + (" + uncommitted changes" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        info["commit"] = "?"
    info["loadavg_at_start"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    from importlib.metadata import version   # not imported: AppTest's cold run imports them
    info["versions"] = ", ".join(f"{m} {version(m)}" for m in ("streamlit", "pandas", "plotly",
                                                                "pyarrow"))
    return info


# ---------------------------------------------------------------------------------------------
# The server: our own process group, always stopped


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """``streamlit run app.py`` in its own session (process group); stopped on exit and errors."""

    def __init__(self, db: Path, logfile: Path, script: Path | str = "app.py",
                 cache_dir: Path | None = None):
        self.db, self.logfile, self.script = db, logfile, str(script)
        self.cache_dir = cache_dir
        self.port = free_port()
        self.url = f"http://localhost:{self.port}"
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 120) -> float:
        env = dict(os.environ, FIGURES_DB=str(self.db))
        if self.cache_dir is not None:
            env["FIGURES_CACHE_DIR"] = str(self.cache_dir)
        # the app starts as ./run starts it (scripts/serve.py); the baseline with plain streamlit
        launcher = (["scripts/serve.py"] if Path(self.script).resolve() == ROOT / "app.py"
                    else ["-m", "streamlit", "run", self.script])
        cmd = [sys.executable, *launcher,
               "--server.port", str(self.port), "--server.headless", "true",
               "--browser.gatherUsageStats", "false",
               # others edit app files while we measure: a file change must not rerun the app
               "--server.fileWatcherType", "none"]
        t0 = time.perf_counter()
        self._log = open(self.logfile, "wb")
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=self._log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        atexit.register(self.stop)
        while time.perf_counter() - t0 < timeout:
            if self.proc.poll() is not None:
                raise RuntimeError(f"streamlit exited with {self.proc.returncode}:\n"
                                   + self.logfile.read_text(errors="replace")[-3000:])
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        return time.perf_counter() - t0
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"streamlit not healthy after {timeout} s:\n"
                           + self.logfile.read_text(errors="replace")[-3000:])

    def memory_mb(self) -> dict:
        """The server's resident memory now and at its peak (VmRSS, VmHWM), in MB; it is one
        process (scripts/serve.py runs Streamlit in itself)."""
        out = {}
        try:
            for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
                key, _, value = line.partition(":")
                if key in ("VmRSS", "VmHWM"):
                    out[{"VmRSS": "rss_mb", "VmHWM": "peak_rss_mb"}[key]] = (
                        int(value.split()[0]) / 1024)
        except (OSError, AttributeError, ValueError, IndexError):
            pass
        return out

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        try:   # the group we created with start_new_session: the server and only its children
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=15)
        except ProcessLookupError:
            pass
        finally:
            self._log.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def _on_signal(signum, frame):
    raise SystemExit(128 + signum)     # unwinds through the finally blocks that stop the server


# ---------------------------------------------------------------------------------------------
# The browser

# Runs in every page before Streamlit's own scripts: polls every 10 ms and records, in
# performance.now() milliseconds since navigation, when each milestone was first reached.
INIT_JS = r"""
(() => {
  const b = window.__bench = {t: {}, changes: 0, armed: null};
  const visible = el => {
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && getComputedStyle(el).visibility !== 'hidden';
  };
  const state = () => {
    const app = document.querySelector('[data-testid="stApp"]');
    return app ? app.getAttribute('data-test-script-state') : null;
  };
  const metrics = () => [...document.querySelectorAll('[data-testid="stMetric"]')].filter(visible);
  // a chart of the page (not the notice shown while the figures are read: common.reading_notice)
  const plotDrawn = () => [...document.querySelectorAll('.js-plotly-plot')]
      .some(p => visible(p) && p.querySelector('.main-svg') && !p.closest('.st-key-figures_reading'));
  const idle = () => state() === 'notRunning'
      && !document.querySelector('[data-testid="stStatusWidgetRunningIcon"]')
      && !document.querySelector('[data-stale="true"]');
  const caption = () => {
    const c = document.querySelector('[data-testid="stMain"] [data-testid="stCaptionContainer"]');
    return c ? c.innerText : null;
  };
  b.ready = () => idle() && metrics().length >= 5 && plotDrawn();
  b.caption = caption;
  b.state = state;
  let observed = false;
  const tick = () => {
    const now = performance.now();
    const app = document.querySelector('[data-testid="stApp"]');
    if (app && !observed) {
      observed = true;
      new MutationObserver(recs => { b.changes += recs.length; })
        .observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
    }
    const st = state();
    if (b.t.app === undefined && app) b.t.app = now;                  // the frontend has booted
    if (b.t.running === undefined && st === 'running') b.t.running = now;   // script started
    if (b.t.running !== undefined && b.t.finished === undefined && st === 'notRunning')
      b.t.finished = now;                                             // script finished
    if (b.t.metrics === undefined && metrics().length >= 5) b.t.metrics = now;
    if (b.t.plot === undefined && plotDrawn()) b.t.plot = now;
    if (b.t.done === undefined && b.ready()) b.t.done = now;
    const a = b.armed;
    if (a && a.done === undefined && a.action !== undefined && b.changes > a.changes
        && idle() && caption() !== a.caption
        && ((metrics().length >= 5 && plotDrawn())
            || document.querySelector('[data-testid="stMain"] [data-testid="stAlert"]'))) {
      a.done = now;
      a.captionAfter = caption();
    }
  };
  setInterval(tick, 10);
  // the user's action that starts a filter change: the first click or key press once armed
  const onAction = ev => {
    const a = b.armed;
    if (a && a.action === undefined) a.action = performance.now();
  };
  document.addEventListener('click', onAction, true);
  document.addEventListener('keydown', onAction, true);
  b.arm = () => { b.armed = {changes: b.changes, caption: caption()}; };
})();
"""


def _load(page, url: str) -> dict:
    """Navigate and wait until the Overview is fully rendered; returns seconds."""
    t0 = time.perf_counter()
    page.goto(url, wait_until="commit", timeout=LONG_MS)
    page.wait_for_function("() => window.__bench && window.__bench.t.done !== undefined",
                           timeout=LONG_MS, polling=20)
    wall = time.perf_counter() - t0
    t = page.evaluate("() => window.__bench.t")
    ms = lambda k: t[k] / 1000 if t.get(k) is not None else float("nan")  # noqa: E731
    return {"wall_s": wall, "app_s": ms("app"), "running_s": ms("running"),
            "finished_s": ms("finished"), "metrics_s": ms("metrics"), "plot_s": ms("plot"),
            "done_s": ms("done")}


def _multiselect(page, label: str):
    lab = page.locator('[data-testid="stWidgetLabel"]',          # relative to the multiselect
                       has_text=re.compile(rf"^\s*{re.escape(label)}\s*$"))
    return page.locator('[data-testid="stSidebar"] [data-testid="stMultiSelect"]',
                        has=lab).first


class UnexpectedSelection(RuntimeError):
    """The multiselect chose values nobody clicked: the measurement would be of another filter."""


def _filter_change(page, label: str, option: str | None) -> dict:
    """Add ``option`` to the multiselect ``label`` (or, with None, remove its last choice with
    its "×") and wait for the rerun to finish with the caption changed."""
    # settle (not timed): a click right after the previous rerun finished now and then lost the
    # open list and what was typed into it
    page.wait_for_timeout(500)
    box = _multiselect(page, label)
    inp = box.locator("input").first
    if option is None:           # the "×" on the last chosen value
        remove = box.locator('[data-tag] button[aria-label^="Remove "]').last
        remove.wait_for(state="visible", timeout=30_000)
        page.evaluate("() => window.__bench.arm()")
        t0 = time.perf_counter()
        remove.click()
    else:
        chosen = box.locator("[data-tag]").count()
        inp.click()
        # typed key by key, not fill(): fill() selects the input's text first, and with
        # Streamlit 1.67's list open (it starts with "Select all") that chose every value now
        # and then (nearly always once the list was waited for)
        page.locator('[role="listbox"]').first.wait_for(state="visible", timeout=30_000)
        inp.press_sequentially(option)
        opt = page.locator('[role="option"]', has_text=re.compile(rf"^\s*{re.escape(option)}\s*$"))
        opt.first.wait_for(state="visible", timeout=30_000)
        if box.locator("[data-tag]").count() != chosen:
            raise UnexpectedSelection(f"{label}: the list chose values by itself before "
                                      f"{option!r} was clicked")
        page.evaluate("() => window.__bench.arm()")
        t0 = time.perf_counter()
        opt.first.click()
    page.wait_for_function("() => window.__bench.armed && window.__bench.armed.done !== undefined",
                           timeout=FILTER_WAIT_MS, polling=20)
    wall = time.perf_counter() - t0
    a = page.evaluate("() => window.__bench.armed")
    page.keyboard.press("Escape")                 # close the dropdown (not timed)
    return {"action": f"{label} {'+ ' + option if option else '- last'}",
            "rerun_s": (a["done"] - a["action"]) / 1000, "wall_s": wall,
            "caption": a.get("captionAfter", "")}


#: A report an analyst adds between two starts (``--change-between-runs``): my own wording.
CHANGE_TEXT = ("Heavy shelling of the northern suburbs killed at least 17 civilians and injured "
               "45 others on {day}, the regional health office said; about 2,000 families fled "
               "towards the coast. Bulletin {n}.")


def change_store(db: Path, run: int, cli: bool = False, folder: Path | None = None) -> str:
    """Commit a change to the store between two cold starts, as an analyst's work does: a review
    of a figure (odd runs) or a new report (even runs). With ``cli``, through the command line
    (``review``, ``ingest``), which also brings the dashboard's cache up to date; else through
    ``Store`` directly. Returns what was done."""
    from figures.formats import load_pasted
    from figures.store import Store
    accept = run % 4 == 1
    report = CHANGE_TEXT.format(day=f"{run} May", n=f"{run}-{time.time()}")
    with Store(db) as store:
        total = store.conn.execute("SELECT count(*) FROM figures").fetchone()[0]
        fid = store.conn.execute("SELECT id FROM figures ORDER BY id LIMIT 1 OFFSET ?",
                                 (run * 7919 % max(total, 1),)).fetchone()[0]
        if not cli and run % 2:
            store.review(fid, "accepted" if accept else "rejected", note="benchmark")
            return f"review of figure {fid}"
        if not cli:
            r = store.add(load_pasted(report, title=f"Bulletin {run}", published="2024-05-20"))
            return f"document {r.document_id} added"
    if run % 2:
        args = ["review", str(fid), "--accept" if accept else "--reject"]
    else:
        path = (folder or Path(tempfile.gettempdir())) / f"bulletin-{run}-{time.time()}.txt"
        path.write_text(report, encoding="utf-8")
        args = ["ingest", str(path)]
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "figures", *args, "--db", str(db)], cwd=ROOT,
                   check=True, capture_output=True)
    return f"python -m figures {args[0]} ({time.perf_counter() - t:.1f} s)"


def browser_bench(db: Path, logdir: Path, actions: list[tuple[str, str | None]],
                  cold_runs: int = 3, script: Path | str = "app.py",
                  fresh_cache: bool = False, change_between: bool = False,
                  change_cli: bool = False, change_running: bool = False) -> dict:
    """``cold_runs`` times: start a new server and load the Overview in a new browser context
    (empty HTTP cache). After the last cold load: a second page (warm server cache), then the
    filter changes on it. The server is stopped after each round, also on errors. With
    ``fresh_cache`` each server gets a new, empty FIGURES_CACHE_DIR (no frame or view on disk:
    the first start after a change of the store). With ``change_between``, a review or a new
    report is committed before each start after the first (``change_store``): each start is the
    first after a change, with the earlier state's frame on disk. With ``change_running``, after
    the filter changes a report is added while the last server runs, and a new tab loads the
    Overview once the server's watcher has prepared it (``wait_prepared``). The server's memory
    (now and peak) is read after each cold load and after the filter changes."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout, sync_playwright
    out = {"cold_runs": [], "server_start_s": [], "memory": []}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        out["chromium"] = browser.version
        errors: list[str] = []
        try:
            for i in range(cold_runs):
                last = i == cold_runs - 1
                cache = logdir / f"cache-{Path(script).stem}-{i}" if fresh_cache else None
                if change_between and i:
                    log(f"changing the store: {change_store(db, i, change_cli, logdir)}")
                with Server(db, logdir / f"streamlit-{Path(script).stem}-{i}.log",
                            script, cache) as server:
                    up = server.start()
                    out["server_start_s"].append(up)
                    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
                    ctx.add_init_script(INIT_JS)
                    ctx.set_default_timeout(LONG_MS)
                    page = ctx.new_page()
                    page.on("pageerror", lambda e: errors.append(str(e)))
                    log(f"browser: cold load {i + 1}/{cold_runs} (new server, healthy after "
                        f"{up:.2f} s; empty caches)…")
                    r = _load(page, server.url + "/")
                    r["memory"] = server.memory_mb()
                    r["after_change"] = bool(change_between and i)
                    out["cold_runs"].append(r)
                    log(f"  cold: {r['wall_s']:.2f} s  server {r['memory']}")
                    if not last:
                        ctx.close()
                        continue
                    page.close()
                    page = ctx.new_page()   # a new tab: a new Streamlit session, warm caches
                    page.on("pageerror", lambda e: errors.append(str(e)))
                    log("browser: second fresh page (warm server cache)…")
                    out["warm"] = _load(page, server.url + "/")
                    log(f"  warm: {out['warm']['wall_s']:.2f} s")
                    out["filters"] = []
                    for label, option in actions:
                        try:
                            r = _filter_change(page, label, option)
                        except PlaywrightTimeout as e:
                            shot = logdir / f"filter-timeout-{len(out['filters'])}.png"
                            page.screenshot(path=str(shot), full_page=True)
                            log(f"  filter {label} {option}: no rerun within "
                                f"{FILTER_WAIT_MS // 1000} s ({str(e).splitlines()[0]}; the page:"
                                f" {shot}); the filter measurements stop here")
                            break
                        except UnexpectedSelection as e:
                            log(f"  {e}; the filter measurements stop here")
                            break
                        out["filters"].append(r)
                        log(f"  filter {r['action']}: {r['rerun_s']:.2f} s  ({r['caption'][:60]})")
                    out["memory_after_filters"] = server.memory_mb()
                    log(f"  server memory after the filter changes: "
                        f"{out['memory_after_filters']}")
                    if change_running:
                        out["running_change"] = _change_while_running(
                            db, server, ctx, page, cold_runs, errors)
                    ctx.close()
                log("server stopped")
        finally:
            browser.close()
        out["page_errors"] = errors
    # the median run (by wall time) stands for "cold"; every run is kept in cold_runs
    out["cold"] = sorted(out["cold_runs"], key=lambda r: r["wall_s"])[len(out["cold_runs"]) // 2]
    return out


def wait_prepared(since: float, timeout: float = 60) -> float | None:
    """Seconds from ``since`` until the server's watcher has prepared the Overview of a new state:
    its cards and its chart by place written to the cache folder's views (``views.cached_view``)
    after ``since``. None when that did not happen within ``timeout`` (no watcher:
    FIGURES_WATCH_SECONDS=0)."""
    from figures.cache import cache_dir
    folder = (cache_dir() or Path("/nonexistent")) / "views"
    while time.time() - since < timeout:
        new = [f for f in folder.glob("view-*.pickle") if f.stat().st_mtime >= since]
        if len(new) >= 2:
            return max(f.stat().st_mtime for f in new) - since
        time.sleep(0.1)
    return None


def _change_while_running(db: Path, server, ctx, page, run: int, errors: list) -> dict:
    """A report added by another program while the server runs, then the Overview in a new tab
    (a new visitor) once the watcher has prepared it, or after 10 s without a watcher."""
    since = time.time()
    what = change_store(db, 2 * (run // 2 + 1))         # an even run: a new report
    watcher = os.environ.get("FIGURES_WATCH_SECONDS", "").strip() not in ("0", "0.0")
    ready = wait_prepared(since) if watcher else None
    if not watcher:
        time.sleep(max(0.0, since + 10 - time.time()))
    log(f"while the server runs: {what}; "
        + (f"the watcher prepared the Overview {ready:.1f} s after the commit" if ready
           else "no watcher (FIGURES_WATCH_SECONDS=0): loaded 10 s after the commit"))
    page.close()
    page = ctx.new_page()
    page.on("pageerror", lambda e: errors.append(str(e)))
    r = _load(page, server.url + "/")
    r["prepared_after_s"] = ready
    r["memory"] = server.memory_mb()
    log(f"  next visitor's Overview: {r['wall_s']:.2f} s  server {r['memory']}")
    return r


# The floor: the same stack (server, frontend, a Plotly chart) with no data work at all, so the
# numbers above can be split into what Streamlit and the browser cost on this machine anyway and
# what the dashboard adds.
BASELINE_APP = """
import plotly.graph_objects as go
import streamlit as st

st.set_page_config(page_title="baseline", layout="wide")
with st.sidebar:
    st.subheader("Filters")
    cats = st.multiselect("Category", ["killed", "injured", "missing", "trapped", "displaced"],
                          key="f_cat", placeholder="All categories")
st.title("Baseline")
st.caption(f"{len(cats)} categories: {', '.join(cats) or 'all'}")
for col, name in zip(st.columns(5), ["Killed", "Injured", "Missing", "Trapped", "Displaced"]):
    with col.container(border=True):
        st.metric(name, f"{len(name) * 1234:,}")
        st.caption("a place · a source")
fig = go.Figure(go.Bar(x=[(i * 37) % 100 + 1 for i in range(15)],
                       y=[f"place {i}" for i in range(15)], orientation="h"))
st.plotly_chart(fig, key="chart")
"""
BASELINE_ACTIONS = [("Category", "killed"), ("Category", "displaced"), ("Category", None),
                    ("Category", "injured"), ("Category", None)]


def baseline_bench(tmp: Path) -> dict:
    script = tmp / "baseline_app.py"
    script.write_text(BASELINE_APP)
    return browser_bench(tmp / "unused.db", tmp, BASELINE_ACTIONS, cold_runs=1, script=script)


# ---------------------------------------------------------------------------------------------
# The script alone: Streamlit's AppTest, and cProfile of the slow runs

class _ThreadProfile:
    """AppTest runs the script in a thread of its own; cProfile only sees the thread that enabled
    it, so the script thread's entry point is wrapped while this is active."""

    def __init__(self):
        from streamlit.testing.v1.local_script_runner import LocalScriptRunner
        self.cls = LocalScriptRunner
        self.profile = cProfile.Profile()

    def __enter__(self):
        orig = self.orig = self.cls._run_script_thread
        prof = self.profile

        def wrapped(runner, *a, **k):
            prof.enable()
            try:
                return orig(runner, *a, **k)
            finally:
                prof.disable()
        self.cls._run_script_thread = wrapped
        return self.profile

    def __exit__(self, *exc):
        self.cls._run_script_thread = self.orig


def _rel(filename: str) -> str:
    for base, label in ((str(ROOT) + os.sep, ""), (sys.prefix, "<venv>"),
                        (os.path.dirname(os.__file__), "<stdlib>")):
        if filename.startswith(base):
            return label + filename[len(base):].replace(os.sep + "lib" + os.sep + "python", "")
    return filename


def top_entries(profile: cProfile.Profile, n: int = 15, project_only: bool = False,
                key: str = "cumulative") -> list[dict]:
    stats = pstats.Stats(profile, stream=io.StringIO())
    rows = []
    for (filename, line, func), (cc, nc, tt, ct, callers) in stats.stats.items():
        if project_only and not (filename.startswith(str(ROOT) + os.sep)
                                 and os.sep + ".venv" + os.sep not in filename
                                 and os.sep + "bench" + os.sep not in filename):
            continue
        rows.append({"where": f"{_rel(filename)}:{line}({func})", "calls": nc,
                     "tottime": tt, "cumtime": ct})
    rows.sort(key=lambda r: r["cumtime" if key == "cumulative" else "tottime"], reverse=True)
    return rows[:n]


def print_entries(title: str, rows: list[dict]) -> None:
    print(f"\n{title}")
    print(f"  {'cumtime s':>9}  {'tottime s':>9}  {'calls':>9}  function")
    for r in rows:
        print(f"  {r['cumtime']:9.3f}  {r['tottime']:9.3f}  {r['calls']:9d}  {r['where']}")


def _check_run(at, what: str) -> None:
    if at.exception:
        raise RuntimeError(f"{what}: the app raised {[e.value for e in at.exception]}")


def apptest_bench(db: Path, category_runs: list[list[str]], places: list[str],
                  profile: bool = True, timeout: float = 1800) -> dict:
    os.environ["FIGURES_DB"] = str(db)
    os.chdir(ROOT)
    import streamlit as st
    from streamlit.testing.v1 import AppTest
    app = str(ROOT / "app.py")
    st.cache_data.clear()
    st.cache_resource.clear()
    out: dict = {}

    def fresh_session(what: str):
        t0 = time.perf_counter()
        session = AppTest.from_file(app, default_timeout=timeout)
        session.run()
        seconds = time.perf_counter() - t0
        _check_run(session, what)
        return session, seconds

    log("AppTest: cold run (empty caches, first import of the app's modules)…")
    at, out["cold_s"] = fresh_session("cold run")
    out["metrics"] = {m.label: m.value for m in at.metric}
    log(f"  cold: {out['cold_s']:.2f} s  metrics {out['metrics']}")

    log("AppTest: a fresh session with a warm cache…")
    at2, out["warm_s"] = fresh_session("warm run")
    log(f"  warm: {out['warm_s']:.2f} s")

    out["reruns"] = []
    changes = [("f_cat", c) for c in category_runs] + [("f_place", [p]) for p in places]
    for key, value in changes:
        at.sidebar.multiselect(key=key).set_value(value)
        t0 = time.perf_counter()
        at.run()
        dt = time.perf_counter() - t0
        _check_run(at, f"rerun {key}={value}")
        caption = at.caption[0].value if len(at.caption) else ""
        out["reruns"].append({"change": f"{key}={value}", "s": dt, "caption": caption})
        log(f"  rerun {key}={value}: {dt:.2f} s  ({caption[:60]})")
        if key == "f_place":
            at.sidebar.multiselect(key="f_place").set_value([])
            at.run()

    if profile:
        at.sidebar.multiselect(key="f_cat").set_value([])
        at.run()
        log("AppTest: profiling a filter rerun (cProfile)…")
        with _ThreadProfile() as prof:
            at.sidebar.multiselect(key="f_cat").set_value(["killed"])
            t0 = time.perf_counter()
            at.run()
            out["profiled_rerun_s"] = time.perf_counter() - t0
        out["profile_rerun"] = {"all": top_entries(prof), "project": top_entries(prof, 25, True),
                                "self": top_entries(prof, 15, key="tottime")}
        log("AppTest: profiling a run with the data cache cleared (cProfile)…")
        st.cache_data.clear()
        with _ThreadProfile() as prof:
            t0 = time.perf_counter()
            at3 = AppTest.from_file(app, default_timeout=timeout)
            at3.run()
            out["profiled_cold_s"] = time.perf_counter() - t0
        out["profile_cold"] = {"all": top_entries(prof), "project": top_entries(prof, 25, True),
                               "self": top_entries(prof, 15, key="tottime")}
    return out


# ---------------------------------------------------------------------------------------------
# The building blocks, called directly: where a run's time goes


IMPORT_SNIPPET = ("import time; t = time.perf_counter(); import pandas, plotly.graph_objects; "
                  "import figures.charts, figures.views, figures.store, figures.export; "
                  "print(time.perf_counter() - t)")

# When a step runs: on a cold start only, on every run (first load and each filter change), or
# only when the user picks another chart view ("Over time", "Sources side by side").
COLD, EVERY, VIEW = "cold", "every run", "other view"


def components_bench(db: Path, categories: list[str]) -> list[dict]:
    """Time each step of an Overview run outside Streamlit, for the default filter and for one
    category. Returns rows of filter, step, seconds, when (COLD/EVERY/VIEW/"part"), note."""
    import pickle
    import sqlite3

    import plotly.io as pio

    from figures import charts, views
    from figures.schema import CATEGORIES
    from figures.store import Filters, Store
    rows = []

    def timed(flt, step, when, fn, note=""):
        """Twice: the first call pays one-time costs (lazy imports, lookup tables), as a cold
        start does; the second is what each later run pays."""
        t0 = time.perf_counter()
        fn()
        first = time.perf_counter() - t0
        t0 = time.perf_counter()
        r = fn()
        rows.append({"filter": flt, "step": step, "when": when, "first_s": first,
                     "s": time.perf_counter() - t0, "note": note})
        return r

    out = subprocess.run([sys.executable, "-c", IMPORT_SNIPPET], cwd=ROOT, text=True,
                         capture_output=True, timeout=300)
    try:
        t = float(out.stdout.strip().splitlines()[-1])
        rows.append({"filter": "-", "step": "import pandas, plotly, figures (new process)",
                     "when": COLD, "first_s": t, "s": t, "note": ""})
    except (ValueError, IndexError):
        pass
    with Store(db) as s:
        timed("-", "store.data_version()", EVERY, s.data_version)
        where, params = Filters(include_combatants=True, statuses=()).where()
        conn = sqlite3.connect(db)
        timed("-", "  of the load: SQL fetchall from figure_rows", "part", lambda: conn.execute(
            f"SELECT * FROM figure_rows WHERE {where} ORDER BY reported_date DESC,"
            " figure_id DESC", params).fetchall())
        conn.close()
        df = timed("-", "views.all_figures_frame (SQL -> DataFrame)", COLD,
                   lambda: views.all_figures_frame(s))
        rows[-1]["note"] = f"{len(df):,} rows, {df.memory_usage(deep=True).sum() / 1e6:.0f} MB"
    blob = timed("-", "st.cache_data store: pickle the frame", COLD,
                 lambda: pickle.dumps(df, protocol=pickle.HIGHEST_PROTOCOL))
    rows[-1]["note"] = f"{len(blob) / 1e6:.0f} MB"
    timed("-", "st.cache_data hit: unpickle the frame", EVERY, lambda: pickle.loads(blob))
    timed("-", "sidebar options (country, place, source)", EVERY, lambda: [
        sorted(set(df[c].dropna()) - {""}) for c in ("country", "location", "source")])
    for label, f in (("default", Filters()), (categories[0], Filters(categories=(categories[0],)))):
        d = timed(label, "views.apply_filters", EVERY, lambda: views.apply_filters(df, f))
        rows[-1]["note"] = f"{len(d):,} rows"
        timed(label, "views.latest_cards", EVERY, lambda: views.latest_cards(d))
        for name, kind, when in (("by_place", "by-place", EVERY), ("timeline", "timeline", VIEW)):
            fig = timed(label, f"charts.{name}", when, lambda: getattr(charts, name)(d))
            spec = timed(label, f"  plotly.io.to_json({name})", when,
                         lambda: pio.to_json(fig, validate=False))
            rows[-1]["note"] = f"{len(spec) / 1e6:.2f} MB to the browser"
            timed(label, f"  charts.chart_filename({kind!r})", when,
                  lambda: charts.chart_filename(kind, d))
        places = timed(label, "places value_counts (Sources view)", VIEW, lambda: d[
            "location"].replace("", None).dropna().value_counts().index.tolist())
        if places:
            cat = next(c for c in CATEGORIES if ((d["location"] == places[0])
                                                  & (d["category"] == c)).any())
            sub = d[(d["location"] == places[0]) & (d["category"] == cat)]
            fig = timed(label, "charts.sources_compare", VIEW,
                        lambda: charts.sources_compare(sub, places[0], cat),
                        note=f"{places[0]}, {cat}: {len(sub):,} rows")
            spec = timed(label, "  plotly.io.to_json(sources_compare)", VIEW,
                         lambda: pio.to_json(fig, validate=False))
            rows[-1]["note"] = f"{len(spec) / 1e6:.2f} MB to the browser"
    return rows


# ---------------------------------------------------------------------------------------------
# Report


def _med(xs):
    return statistics.median(xs) if xs else float("nan")


def _flag(value: float, target: float) -> str:
    return "ok" if value < target else "MISSED"


def report(info: dict, store: dict, b: dict | None, a: dict | None, comps: list[dict] | None,
           base: dict | None = None) -> None:
    print("\n" + "=" * 78)
    print("Machine: {cpu}; nproc {nproc} (usable {usable_cpus}{cg}); RAM {ram_gb} GB{cgram}"
          .format(**info, cg=f", cgroup {info['cgroup_cpus']}" if "cgroup_cpus" in info else "",
                  cgram=f" (cgroup {info['cgroup_ram_gb']} GB)" if "cgroup_ram_gb" in info else ""))
    print(f"         load average at start {info['loadavg_at_start']}, at end "
          + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    print(f"         Python {info['python']}; {info['versions']}"
          + (f"; Chromium {b['chromium']}" if b else ""))
    print(f"Code:    commit {info['commit']} of {ROOT}")
    print(f"Store:   {store['figures']:,} figures in {store['documents']:,} documents, "
          f"{store['reviews']:,} reviews, {store['bytes'] / 1e6:.1f} MB"
          + (f" (built in {store['total_s']:.1f} s)" if "total_s" in store else " (reused)"))
    print(f"\n{'measure':52s} {'seconds':>9}  target")
    line = lambda name, v, tgt="": print(f"{name:52s} {v:9.2f}  {tgt}")  # noqa: E731

    def spread(what: str, xs: list[float], target: float | None = None) -> None:
        """The median of several timings (against its target) and their maximum."""
        line(f"  {what}, median of {len(xs)}", _med(xs),
             f"< {target:g}  {_flag(_med(xs), target)}" if target is not None else "")
        line(f"  {what}, max of {len(xs)}", max(xs) if xs else float("nan"))
    if b:
        print("Browser: real server + headless Chromium")
        c, w = b["cold"], b["warm"]
        runs = ", ".join(f"{r['wall_s']:.2f}" for r in b["cold_runs"])
        line(f"  cold start -> Overview rendered (median of {len(b['cold_runs'])})", c["wall_s"],
             f"< {TARGET_COLD_S:g}  {_flag(c['wall_s'], TARGET_COLD_S)}  (runs: {runs})")

        def milestones(r):
            line("    frontend booted (app root present)", r["app_s"])
            line("    script started (state running)", r["running_s"])
            line("    script finished (state notRunning)", r["finished_s"])
            line("    five metric cards visible", r["metrics_s"])
            line("    first Plotly chart drawn", r["plot_s"])
        milestones(c)
        for r in b["cold_runs"]:
            if r.get("memory"):
                line("    server RSS after this cold load, MB (peak)", r["memory"]["rss_mb"],
                     f"peak {r['memory']['peak_rss_mb']:.0f} MB")
        line("  second fresh page (warm server cache)", w["wall_s"],
             f"< {TARGET_COLD_S:g}  {_flag(w['wall_s'], TARGET_COLD_S)}")
        milestones(w)
        fl = [r["rerun_s"] for r in b["filters"]]
        for r in b["filters"]:
            line(f"    filter {r['action'][:40]}", r["rerun_s"])
        spread("filter change", fl, TARGET_RERUN_S)
        m = b.get("memory_after_filters") or {}
        if m:
            line("  server RSS after the filter changes, MB", m["rss_mb"],
                 f"peak {m['peak_rss_mb']:.0f} MB (target < {TARGET_RSS_MB:g} MB)  "
                 f"{_flag(m['peak_rss_mb'], TARGET_RSS_MB)}")
        rc = b.get("running_change")
        if rc:
            ready = rc.get("prepared_after_s")
            line("  a report added while the server runs: next visitor's Overview", rc["wall_s"],
                 f"peak {rc['memory']['peak_rss_mb']:.0f} MB; " + (
                     f"prepared by the watcher {ready:.1f} s after the commit" if ready
                     else "no watcher: computed by the page"))
            milestones(rc)
        if b.get("page_errors"):
            print(f"  page errors: {b['page_errors'][:3]}")
    if base:
        print("Baseline: a trivial app (5 metrics, one 15-bar chart, no data) on the same stack")
        line("  cold start -> rendered", base["cold"]["wall_s"])
        line("    script finished (state notRunning)", base["cold"]["finished_s"])
        line("    first Plotly chart drawn", base["cold"]["plot_s"])
        line("  second fresh page", base["warm"]["wall_s"])
        line("    script finished (state notRunning)", base["warm"]["finished_s"])
        line("    first Plotly chart drawn", base["warm"]["plot_s"])
        bl = [r["rerun_s"] for r in base["filters"]]
        spread("filter change", bl)
    if a:
        print("AppTest: the script alone, no browser")
        line("  cold run (empty caches, first imports)", a["cold_s"])
        line("  fresh session, warm cache", a["warm_s"])
        rr = [r["s"] for r in a["reruns"]]
        for r in a["reruns"]:
            line(f"    rerun {r['change'][:44]}", r["s"])
        spread("filter rerun", rr, TARGET_RERUN_S)
        if "profiled_rerun_s" in a:
            line("  (profiled filter rerun, cProfile overhead)", a["profiled_rerun_s"])
            line("  (profiled run with data cache cleared)", a["profiled_cold_s"])
    if comps:
        print("\nBuilding blocks, called directly (no Streamlit):")
        print("  (each step called twice in a new process: 'first' pays one-time costs as a cold "
              "start does, 'again' is what later runs pay)")
        print(f"  {'filter':9s} {'step':46s} {'first s':>8} {'again s':>8}  {'runs on':10s}  note")
        for r in comps:
            print(f"  {r['filter'][:9]:9s} {r['step'][:46]:46s} {r['first_s']:8.3f} {r['s']:8.3f}"
                  f"  {r['when']:10s}  {r['note']}")

    # what is slow
    missed = []
    if b and b["cold"]["wall_s"] >= TARGET_COLD_S:
        missed.append(f"cold start {b['cold']['wall_s']:.2f} s >= {TARGET_COLD_S:g} s")
    if b and b["filters"] and _med([r["rerun_s"] for r in b["filters"]]) >= TARGET_RERUN_S:
        missed.append(f"filter change {_med([r['rerun_s'] for r in b['filters']]):.2f} s "
                      f">= {TARGET_RERUN_S:g} s")
    if a and a["reruns"] and _med([r["s"] for r in a["reruns"]]) >= TARGET_RERUN_S:
        missed.append(f"script rerun alone {_med([r['s'] for r in a['reruns']]):.2f} s "
                      f">= {TARGET_RERUN_S:g} s")
    if not missed:
        print("\nAll targets met.")
        return
    print("\nTargets missed: " + "; ".join(missed))
    if comps:
        default = [r for r in comps if r["filter"] in ("-", "default")]
        for title, whens, key in (("a cold start", (COLD, EVERY), "first_s"),
                                  ("every later run (a filter change)", (EVERY,), "s")):
            steps = [r for r in default if r["when"] in whens]
            total = sum(r[key] for r in steps)
            print(f"Where {title} goes, unfiltered Overview (sum of its building blocks "
                  f"{total:.2f} s):")
            for r in sorted(steps, key=lambda r: -r[key])[:8]:
                print(f"  {r[key]:8.3f} s  {100 * r[key] / total:5.1f} %  {r['step'].strip()}"
                      + (f"  ({r['note']})" if r["note"] else ""))
    if b:
        for name, r in (("cold", b["cold"]), ("warm", b["warm"])):
            print(f"Browser, {name} page load {r['wall_s']:.2f} s = navigation + frontend boot "
                  f"{r['app_s']:.2f} s, then until the script starts "
                  f"{r['running_s'] - r['app_s']:.2f} s, script running "
                  f"{r['finished_s'] - r['running_s']:.2f} s, chart drawn "
                  f"{r['plot_s'] - r['finished_s']:+.2f} s after the script finished.")
        if a:
            print(f"  (the same script under AppTest, no browser: cold {a['cold_s']:.2f} s, "
                  f"warm {a['warm_s']:.2f} s)")
    if a and "profile_rerun" in a:
        print_entries(f"cProfile of one filter rerun (f_cat=['killed']), "
                      f"top 15 by cumulative time, all code:", a["profile_rerun"]["all"])
        print_entries("the same rerun, project code only (figures/, app_pages/, app.py):",
                      a["profile_rerun"]["project"][:15])
        print_entries("the same rerun, top 15 by own time (where the CPU actually is):",
                      a["profile_rerun"]["self"])
        print_entries("cProfile of a run with the data cache cleared, project code only:",
                      a["profile_cold"]["project"][:15])


# ---------------------------------------------------------------------------------------------


def busiest_places(db: Path, n: int = 2) -> list[str]:
    import sqlite3
    conn = sqlite3.connect(db)
    try:
        return [r[0] for r in conn.execute(
            "SELECT location FROM figures WHERE location != '' AND combatant = 0"
            " GROUP BY location ORDER BY count(*) DESC, location LIMIT ?", (n,))]
    finally:
        conn.close()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--figures", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--db", type=Path, help="reuse this store (made by bench/make_store.py); "
                    "made there first if it does not exist")
    ap.add_argument("--cold-runs", type=int, default=3,
                    help="cold starts, each on a new server and browser context (median shown)")
    ap.add_argument("--fresh-cache", action="store_true",
                    help="each server gets a new, empty FIGURES_CACHE_DIR (no frame or view "
                    "cached on disk, as after a change of the store)")
    ap.add_argument("--change-between-runs", action="store_true",
                    help="commit a review or a new report to the store (--db: it is changed) "
                    "before each cold start after the first")
    ap.add_argument("--with-cli", action="store_true",
                    help="with --change-between-runs: make the changes with the command line "
                    "(review, ingest), which prepares the dashboard's cache")
    ap.add_argument("--change-while-running", action="store_true",
                    help="after the filter changes, add a report (--db: it is changed) while the "
                    "last server runs, and load the Overview in a new tab once its watcher has "
                    "prepared it (FIGURES_WATCH_SECONDS=0: 10 s later, computed by the page)")
    ap.add_argument("--no-browser", action="store_true", help="skip the server and Chromium")
    ap.add_argument("--no-baseline", action="store_true",
                    help="skip the trivial app that shows what the stack costs anyway")
    ap.add_argument("--no-apptest", action="store_true", help="skip the AppTest timings")
    ap.add_argument("--no-profile", action="store_true", help="skip cProfile")
    ap.add_argument("--no-components", action="store_true", help="skip the building blocks")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder")
    ap.add_argument("--json", type=Path, help="also write every number to this JSON file")
    ap.add_argument("--components-to", type=Path, help=argparse.SUPPRESS)   # internal
    a = ap.parse_args(argv)
    if a.components_to:      # the building blocks, in a process of their own
        a.components_to.write_text(json.dumps(components_bench(a.db, ["killed"])))
        return 0
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGHUP, _on_signal)

    return in_work_folder(a, "figures-bench-", _measure, _report)


def _measure(a, tmp: Path) -> dict:
    """Every measure the options ask for, with the store in ``tmp`` unless --db names one."""
    info = machine_info()
    db = a.db or tmp / "figures.db"
    if db.exists():
        import sqlite3
        conn = sqlite3.connect(db)
        store = {"path": str(db), "bytes": db.stat().st_size,
                 "documents": conn.execute("SELECT count(*) FROM documents").fetchone()[0],
                 "figures": conn.execute("SELECT count(*) FROM figures").fetchone()[0],
                 "reviews": conn.execute("SELECT count(*) FROM reviews").fetchone()[0]}
        conn.close()
        log(f"reusing {db}: {store['figures']:,} figures")
    else:
        log(f"building a store with {a.figures:,} figures in {db}…")
        store = make_store.build(db, a.figures, a.seed)
    places = busiest_places(db)
    actions = [("Category", "killed"), ("Category", "displaced"), ("Place", places[0]),
               ("Category", None), ("Place", places[1])]

    b = base = None
    if not a.no_browser:
        b = browser_bench(db, tmp, actions, a.cold_runs, fresh_cache=a.fresh_cache,
                          change_between=a.change_between_runs, change_cli=a.with_cli,
                          change_running=a.change_while_running)
        if not a.no_baseline:
            log("baseline: a trivial app with five metrics and one small chart…")
            base = baseline_bench(tmp)
    at = None
    if not a.no_apptest:
        at = apptest_bench(db, [["killed"], ["displaced"], ["killed", "displaced"],
                                ["injured"], ["trapped"], []], places,
                           profile=not a.no_profile)
    comps = None
    if not a.no_components:
        log("timing the building blocks directly, in a new process…")
        res = tmp / "components.json"
        subprocess.run([sys.executable, __file__, "--db", str(db), "--components-to",
                        str(res)], cwd=ROOT, check=True, timeout=3600)
        comps = json.loads(res.read_text())
    return {"machine": info, "store": store, "browser": b, "baseline": base, "apptest": at,
            "components": comps}


def _report(r: dict) -> None:
    report(r["machine"], r["store"], r["browser"], r["apptest"], r["components"], r["baseline"])


if __name__ == "__main__":
    sys.exit(main())
