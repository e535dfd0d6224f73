"""What the benchmark scripts share: the machine, child processes with their own peak memory,
and Markdown tables."""
from __future__ import annotations

import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Every script here imports this module first (bench/ is on the path of a script run from it), so
# this one line makes the project's own packages importable for all of them.
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


class Timeout(Exception):
    pass


def run_child(args: list[str], timeout: float, cwd=ROOT) -> dict:
    """Run a command in a new process group and reap it with wait4: its wall time, CPU time (with
    the processes it started), its own peak RSS in MB (the largest single process of its tree)
    and the JSON object on its last output line."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        t = time.perf_counter()
        proc = subprocess.Popen(args, cwd=cwd, stdout=out, stderr=err, start_new_session=True)
        deadline = t + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid == proc.pid:
                break
            if time.perf_counter() > deadline:
                os.killpg(proc.pid, signal.SIGKILL)
                os.wait4(proc.pid, 0)
                proc.returncode = -9
                raise Timeout(f"{' '.join(map(str, args[1:5]))} ... over {timeout:.0f} s")
            time.sleep(0.02)
        wall = time.perf_counter() - t
        proc.returncode = os.waitstatus_to_exitcode(status)   # reaped here, not by Popen
        out.seek(0)
        err.seek(0)
        text, errors = out.read().strip(), err.read()
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"{args} failed ({proc.returncode}): {errors[-2000:]}")
    result = {}
    if text:
        try:
            result = json.loads(text.splitlines()[-1])
        except json.JSONDecodeError:
            pass
    result.update(wall_s=wall, cpu_s=usage.ru_utime + usage.ru_stime,
                  peak_rss_mb=usage.ru_maxrss / 1024, returncode=proc.returncode,
                  stderr=errors[-500:])
    return result


def machine_line(m: dict) -> str:
    """The report's first line: the machine of ``machine()`` and its load when measured."""
    return (f"machine: {m['cpu']}, {m['cores']} cores, {m['ram']} RAM, Python {m['python']},"
            f" load {', '.join(f'{x:.2f}' for x in m['load'])}")


def machine() -> dict:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{kb / 1024 / 1024:.1f} GB"
    except (OSError, ValueError, IndexError):
        pass
    return {"cpu": model or platform.processor(), "cores": os.cpu_count(), "ram": mem,
            "python": platform.python_version(), "load": os.getloadavg()}


def mb(n: float) -> float:
    return n / 1e6


def table(headers: list[str], rows: list[list]) -> str:
    cells = [[str(c) for c in r] for r in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) if cells else len(h)
              for i, h in enumerate(headers)]
    line = lambda r: "| " + " | ".join(c.rjust(w) if i else c.ljust(w)  # noqa: E731
                                       for i, (c, w) in enumerate(zip(r, widths))) + " |"
    sep = "|" + "|".join(("-" * (w + 1) + ":") if i else ("-" * (w + 2))
                         for i, w in enumerate(widths)) + "|"
    return "\n".join([line(headers), sep, *(line(r) for r in cells)])


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)




def in_work_folder(args, prefix: str, measure, report) -> int:
    """``measure(args, folder)`` in a new temporary folder, its ``report`` printed and its numbers
    written to ``args.json``; the folder (corpora of hundreds of MB) removed unless ``args.keep``."""
    import shutil
    work = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        results = measure(args, work)
        text = report(results) if report is not None else None
        if text is not None:      # a report may also print as it goes and return None
            print(text)
        if args.json and results is not None:
            Path(args.json).write_text(json.dumps(results, indent=2, default=str))
    finally:
        if args.keep:
            log(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0
