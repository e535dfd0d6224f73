"""Extraction speed and memory, side by side on the same text. Prints tables; asserts nothing.

    .venv/bin/python bench/extract.py                 # 50 MB corpus: several minutes per mode
    .venv/bin/python bench/extract.py --quick         # 3 MB, small adversarial inputs
    .venv/bin/python bench/extract.py --size 10 --no-quantulum --json /tmp/extract.json
    .venv/bin/python bench/extract.py --profile 5     # only: cProfile of the engine on 5 MB
    .venv/bin/python bench/extract.py --stages 5      # only: each stage of the engine alone

Every measurement runs in a child process of its own, and its peak resident memory is that
child's (``os.wait4``; for ``--jobs 2`` the largest single process of the tree), so modes do not
pollute each other. Modes:

- ``engine``: ``figures.extract`` in one process over every file (load, then extract); speed is
  the time spent in ``extract`` after a warm-up (the gazetteer and word lists are built once,
  a few seconds, reported apart);
- ``cli --jobs N``: ``python -m figures extract CORPUS --jobs N -o FILE`` for N = 1, 2, wall
  clock, with and without its start-up (measured on a one-file folder); the outputs of all N are
  compared byte for byte;
- ``naive``: two floors over the same files, CPU time: one regex (a number, then within four
  words a word of harm or flight), and a naive keyword extractor (sentences with a number and any
  of the engine's trigger words);
- ``cli --jobs N`` on many short files (``--short-files``, briefs of a few hundred bytes): the
  speed-up of handing many small files to the workers;
- ``quantulum3``: its ``parser.parse`` on a sample of the same files, our engine on the same
  sample in the same process, and the ratio (needs ``bench/requirements.txt``);
- memory at two corpus sizes (the corpus and a fifth of it, same seed: a prefix);
- adversarial text, one child each: a run of digits and commas, a 200,000-word sentence with no
  full stop, thousands of qualifiers in a row; seconds per MB against the corpus's.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

from common import ROOT, Timeout, in_work_folder, log, machine, machine_line, mb, run_child, table  # noqa: I001

import corpus as corpus_mod

PY = sys.executable


# ---------------------------------------------------------------------------------------------
# Children: each prints one JSON object on its last line of standard output


def _files(folder: Path, limit_bytes: int | None = None):
    """The corpus's files in name order (lazily, folder by folder), up to limit_bytes."""
    total = 0
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames.sort()
        for name in sorted(filenames):
            if not name.endswith(".txt"):
                continue
            path = Path(dirpath) / name
            size = path.stat().st_size
            if limit_bytes is not None and total >= limit_bytes:
                return
            total += size
            yield path


def _rss_kb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def child_engine(folder: Path, limit_mb: float | None) -> dict:
    from figures.batch import warm_up
    from figures.extract import extract
    from figures.formats import load_file
    t = time.perf_counter()
    warm_up()
    warm = time.perf_counter() - t
    docs = nbytes = chars = figures = 0
    load_s = extract_s = 0.0
    limit = None if limit_mb is None else int(limit_mb * 1e6)
    extract_cpu = 0.0
    for path in _files(folder, limit):
        t0 = time.perf_counter()
        doc = load_file(path)
        t1, c1 = time.perf_counter(), time.thread_time()
        figs = extract(doc.text, doc_id=path.stem, date=doc.published or None)
        t2, c2 = time.perf_counter(), time.thread_time()
        load_s, extract_s = load_s + t1 - t0, extract_s + t2 - t1
        extract_cpu += c2 - c1
        docs, nbytes, chars, figures = docs + 1, nbytes + path.stat().st_size, \
            chars + len(doc.text), figures + len(figs)
    return {"docs": docs, "bytes": nbytes, "chars": chars, "figures": figures,
            "warm_up_s": warm, "load_s": load_s, "extract_s": extract_s,
            "extract_cpu_s": extract_cpu}


# The floors: what reading the text at all costs in Python, the bar the engine is held to.
# "scan": one regex, a number (digits or a number word) followed within four words by a word of
# harm or flight. "keywords": a naive extractor, each sentence (split at . ! ? and line ends) that
# holds a number and any of the engine's own trigger words (one case-insensitive alternation).
_NUMBER = (r"\b(?:\d[\d,.]{0,12}|one|two|three|four|five|six|seven|eight|nine|ten|dozens|"
           r"hundreds|thousands|millions?)\b")
_NAIVE = (rf"(?i){_NUMBER}(?:\W{{1,3}}\w{{1,20}}){{0,4}}?\W{{1,3}}(?:killed|dead|died|"
          r"deaths?|injured|wounded|hurt|missing|trapped|displaced|fled|homeless|evacuated)\b")


def child_naive(folder: Path, limit_mb: float | None) -> dict:
    import importlib
    import re
    engine = importlib.import_module("figures.extract")
    words = sorted(set().union(*engine._lexicon()["words_of_trigger"]), key=len, reverse=True)
    scan = re.compile(_NAIVE)
    number = re.compile(_NUMBER, re.I)
    keyword = re.compile(r"\b(?:" + "|".join(map(re.escape, words)) + r")\b", re.I)
    sentence = re.compile(r"[^.!?\n]{1,5000}")
    limit = None if limit_mb is None else int(limit_mb * 1e6)
    texts = [p.read_text(encoding="utf-8") for p in _files(folder, limit)]
    c = time.thread_time()
    scanned = sum(1 for text in texts for _ in scan.finditer(text))
    scan_s = time.thread_time() - c
    c = time.thread_time()
    kept = sum(1 for text in texts for m in sentence.finditer(text)
               if number.search(m.group()) and keyword.search(m.group()))
    return {"docs": len(texts), "bytes": sum(len(t.encode()) for t in texts),
            "scan_cpu_s": scan_s, "scan_found": scanned, "keywords": len(words),
            "keywords_cpu_s": time.thread_time() - c, "keywords_found": kept}


def child_quantulum(folder: Path, limit_mb: float) -> dict:
    import warnings
    warnings.filterwarnings("ignore")       # "classifier dependencies not installed"
    from quantulum3 import parser
    from figures.batch import warm_up
    from figures.extract import extract
    texts = [p.read_text(encoding="utf-8") for p in _files(folder, int(limit_mb * 1e6))]
    warm_up()
    parser.parse("Floods displaced 3,000 people in Sindh, officials said.")   # its load, once
    t, c = time.perf_counter(), time.thread_time()
    ours = sum(len(extract(text)) for text in texts)
    ours_s, ours_cpu = time.perf_counter() - t, time.thread_time() - c
    t, c = time.perf_counter(), time.thread_time()
    quantities = sum(len(parser.parse(text)) for text in texts)
    q_s, q_cpu = time.perf_counter() - t, time.thread_time() - c
    return {"docs": len(texts), "bytes": sum(len(t.encode()) for t in texts),
            "ours_s": ours_s, "ours_cpu_s": ours_cpu, "ours_figures": ours, "quantulum_s": q_s,
            "quantulum_cpu_s": q_cpu, "quantulum_quantities": quantities}


def child_adversarial(kind: str, size: int) -> dict:
    from figures.batch import warm_up
    from figures.extract import extract
    text = corpus_mod.adversarial(kind, size)
    warm_up()
    t, c = time.perf_counter(), time.thread_time()
    error = ""
    try:
        figs = len(extract(text))
    except Exception as e:   # noqa: BLE001 - e.g. the engine's own time limit
        figs, error = 0, f"{type(e).__name__}: {e}"[:200]
    return {"kind": kind, "bytes": len(text.encode()), "s": time.perf_counter() - t,
            "extract_cpu_s": time.thread_time() - c, "figures": figs, "error_in_engine": error}


def child_profile(folder: Path, limit_mb: float, out: Path) -> dict:
    import cProfile
    import pstats
    from figures.batch import warm_up
    from figures.extract import extract
    texts = [p.read_text(encoding="utf-8") for p in _files(folder, int(limit_mb * 1e6))]
    warm_up()
    prof = cProfile.Profile()
    t = time.perf_counter()
    prof.enable()
    for text in texts:
        extract(text)
    prof.disable()
    wall = time.perf_counter() - t
    stats = pstats.Stats(prof)
    total = stats.total_tt
    rows = []
    for (file, line, func), (cc, nc, tt, ct, callers) in stats.stats.items():
        where = os.path.relpath(file, ROOT) if file.startswith(str(ROOT)) else file
        rows.append({"function": f"{where}:{line}({func})", "calls": nc, "own_s": tt,
                     "cum_s": ct})
    rows.sort(key=lambda r: r["own_s"], reverse=True)
    by_cum = sorted((r for r in rows if r["function"].startswith("figures/")),
                    key=lambda r: r["cum_s"], reverse=True)
    stats.dump_stats(out)
    return {"bytes": sum(len(t.encode()) for t in texts), "docs": len(texts), "wall_s": wall,
            "profiled_s": total, "top_own": rows[:15], "top_cum": by_cum[:15]}


def child_stages(folder: Path, limit_mb: float) -> dict:
    """CPU seconds of each stage of the engine run alone over the same text, in the engine's
    order, with the inputs a stage needs computed by the stages before it (outside its time)."""
    import importlib
    from figures.batch import warm_up
    from figures.document import structure
    from figures.lexicon import words_in
    from figures.numbers import find_numbers
    from figures.places import demonym_countries, find_places
    from figures.sources import find_attributions
    engine = importlib.import_module("figures.extract")   # the module: the package exports its function
    texts = [p.read_text(encoding="utf-8") for p in _files(folder, int(limit_mb * 1e6))]
    warm_up()
    seconds: dict[str, float] = {}

    def timed(name: str, work) -> list:
        c = time.process_time()
        out = work()
        seconds[name] = time.process_time() - c
        return out

    docs = timed("articles and sentences (structure)", lambda: [structure(t) for t in texts])
    # every sentence as (text, sentence): what the stages below loop over
    sentences = [(t, s) for t, arts in zip(texts, docs) for a in arts for s in a.sentences]
    words = timed("words of each sentence", lambda: [words_in(t, s.start, s.end) for t, s in sentences])
    cand = timed("pre-filter", lambda: [engine._may_state_figure(t, s.start, s.end, w)
                                        for (t, s), w in zip(sentences, words)])
    timed("places of every sentence", lambda: [
        (find_places(t, s.start, s.end, w), demonym_countries(t, s.start, s.end))
        for (t, s), w in zip(sentences, words)])
    timed("attributions of every sentence", lambda: [
        find_attributions(t, s.start, s.end, w) for (t, s), w in zip(sentences, words)])
    picked = [(t, s, w) for (t, s), w, c in zip(sentences, words, cand) if c]
    timed("numbers of candidate sentences", lambda: [find_numbers(t[s.start:s.end], w)
                                                      for t, s, w in picked])
    timed("rules of candidate sentences (numbers included)", lambda: [
        list(engine._sentence_figures(t, s, w)) for t, s, w in picked])
    timed("whole engine", lambda: [engine.extract(t) for t in texts])
    return {"bytes": sum(len(t.encode()) for t in texts), "docs": len(texts),
            "sentences": len(sentences), "candidates": len(picked), "seconds": seconds}


# ---------------------------------------------------------------------------------------------
# Running children with their own peak memory


def child_cmd(mode: str, *extra) -> list[str]:
    return [PY, str(Path(__file__).resolve()), "--child", mode, *map(str, extra)]


# ---------------------------------------------------------------------------------------------
# The benchmark


def bench(args, work: Path) -> dict:
    results: dict = {"machine": machine(), "size_mb": args.size}
    if args.corpus:
        big = Path(args.corpus)
        results["corpus"] = {"folder": str(big)}
    else:
        big = work / "corpus"
        log(f"making a {args.size} MB corpus in {big} ...")
        results["corpus"] = corpus_mod.write_corpus(big, args.size, seed=args.seed)
    small = work / "small"
    small_mb = args.size / 5
    corpus_mod.write_corpus(small, small_mb, seed=args.seed)
    tiny = work / "tiny"
    corpus_mod.write_corpus(tiny, None, docs=1, seed=args.seed, kinds={"brief": 1})
    T = args.timeout

    log("engine, one process ...")
    eng = run_child(child_cmd("engine", big), T)
    results["engine"] = eng
    log("naive keyword regex on the same files ...")
    results["naive"] = run_child(child_cmd("naive", big), T)

    cli = {}
    outputs = {}
    for n in args.jobs:
        log(f"cli --jobs {n} ...")
        start = run_child([PY, "-m", "figures", "extract", str(tiny), "--jobs", str(n), "-o",
                           str(work / f"tiny{n}.csv")], T)
        out = work / f"out{n}.csv"
        r = run_child([PY, "-m", "figures", "extract", str(big), "--jobs", str(n), "-o",
                       str(out)], T)
        r["startup_s"] = start["wall_s"]
        with open(out, "rb") as f:
            r["rows"] = sum(1 for _ in f) - 1
        outputs[n] = out
        cli[n] = r
    if len(outputs) > 1:
        first = outputs[args.jobs[0]].read_bytes()
        results["outputs_identical"] = all(o.read_bytes() == first for o in outputs.values())
    results["cli"] = cli

    if args.short_files:
        # many short texts, as conflict databases hold event descriptions: what --jobs gains when
        # each file is a few hundred bytes and the cost is in handing files to the workers
        short = work / "short"
        results["short"] = {"corpus": corpus_mod.write_corpus(short, None, docs=args.short_files,
                                                              seed=args.seed,
                                                              kinds={"brief": 1}),
                            "cli": {}}
        short_out = {}
        for n in args.jobs:
            log(f"cli --jobs {n} on {args.short_files} short files ...")
            short_out[n] = work / f"short{n}.csv"
            results["short"]["cli"][n] = run_child(
                [PY, "-m", "figures", "extract", str(short), "--jobs", str(n), "-o",
                 str(short_out[n])], T)
        first = short_out[args.jobs[0]].read_bytes()
        results["short"]["outputs_identical"] = all(o.read_bytes() == first
                                                    for o in short_out.values())

    log("memory at a fifth of the corpus ...")
    results["small"] = {"size_mb": small_mb,
                        "engine": run_child(child_cmd("engine", small), T),
                        "cli": {n: run_child([PY, "-m", "figures", "extract", str(small),
                                              "--jobs", str(n), "-o", str(work / "s.csv")], T)
                                for n in args.jobs}}

    if not args.no_quantulum:
        log(f"quantulum3 on {args.q_size} MB ...")
        try:
            results["quantulum"] = run_child(child_cmd("quantulum", big, args.q_size), T)
        except (RuntimeError, Timeout) as e:
            results["quantulum"] = {"error": str(e)[-300:]}

    if not args.no_adversarial:
        adv = {}
        for kind in corpus_mod.ADVERSARIAL:
            log(f"adversarial: {kind} ...")
            try:
                adv[kind] = run_child(child_cmd("adversarial", kind, args.adv_size), T)
            except Timeout as e:
                adv[kind] = {"error": str(e)}
        results["adversarial"] = adv
    results["work"] = str(work)
    return results


def report(r: dict) -> str:
    out = []
    out.append(machine_line(r["machine"]))
    c = r.get("corpus", {})
    if "documents" in c:
        out.append(f"corpus: {c['documents']} documents, {mb(c['bytes']):.1f} MB "
                   f"({', '.join(f'{k} {v}' for k, v in sorted(c['by_kind'].items()))})")
    e = r["engine"]
    size = mb(e["bytes"])
    rows = [["engine, 1 process (extract only)", f"{size:.1f}", f"{e['extract_s']:.1f}",
             f"{e['extract_cpu_s']:.1f}", f"{size / e['extract_s']:.2f}",
             f"{size / e['extract_cpu_s']:.2f}", f"{e['docs'] / e['extract_s']:.0f}",
             f"{e['figures'] / e['extract_s']:.0f}", f"{e['peak_rss_mb']:.0f}",
             f"warm-up {e['warm_up_s']:.1f} s, loading {e['load_s']:.1f} s"]]
    base = None
    for n, c in r["cli"].items():
        net = max(1e-9, c["wall_s"] - c["startup_s"])
        base = base or net
        rows.append([f"cli extract --jobs {n}", f"{size:.1f}", f"{c['wall_s']:.1f}",
                     f"{c['cpu_s']:.1f}", f"{size / c['wall_s']:.2f}",
                     f"{size / c['cpu_s']:.2f}", f"{e['docs'] / c['wall_s']:.0f}",
                     f"{c['rows'] / c['wall_s']:.0f}", f"{c['peak_rss_mb']:.0f}",
                     f"start-up {c['startup_s']:.1f} s; net {size / net:.2f} MB/s, "
                     f"speed-up {base / net:.2f}"])
    out.append("\n" + table(["mode", "MB", "wall s", "CPU s", "MB/s", "MB per CPU s", "docs/s",
                             "figures/s", "peak RSS MB", "notes"], rows))
    if "outputs_identical" in r:
        out.append(f"\noutputs of --jobs {', '.join(map(str, r['cli']))} identical: "
                   f"{r['outputs_identical']}")
    nv = r.get("naive")
    if nv:
        ours = size / e["extract_cpu_s"]
        scan, kw = mb(nv["bytes"]) / nv["scan_cpu_s"], mb(nv["bytes"]) / nv["keywords_cpu_s"]
        out.append("\nnaive floors on the same files, MB per CPU s (the engine: "
                   f"{ours:.2f})\n\n" + table(
                       ["floor", "MB per CPU s", "found", "engine / floor"],
                       [["one regex: a number, then a word of harm or flight", f"{scan:.2f}",
                         f"{nv['scan_found']:,} matches", f"{ours / scan:.2f}"],
                        [f"sentences with a number and one of the {nv['keywords']} trigger words",
                         f"{kw:.2f}", f"{nv['keywords_found']:,} sentences",
                         f"{ours / kw:.2f}"]]))
    sh = r.get("short")
    if sh:
        sc = sh["corpus"]
        srows, base = [], None
        for n, c in sh["cli"].items():
            base = base or c["wall_s"]
            srows.append([f"cli extract --jobs {n}", f"{c['wall_s']:.1f}", f"{c['cpu_s']:.1f}",
                          f"{sc['documents'] / c['wall_s']:.0f}", f"{base / c['wall_s']:.2f}"])
        out.append(f"\n{sc['documents']:,} short files ({mb(sc['bytes']):.1f} MB, "
                   f"{sc['bytes'] / sc['documents']:.0f} bytes each on average); outputs "
                   f"identical: {sh['outputs_identical']}\n\n"
                   + table(["mode", "wall s", "CPU s", "files/s", "speed-up"], srows))

    s = r["small"]
    mrows = [["engine, 1 process", f"{s['engine']['peak_rss_mb']:.0f}", f"{e['peak_rss_mb']:.0f}"]]
    for n in r["cli"]:
        mrows.append([f"cli extract --jobs {n}", f"{s['cli'][n]['peak_rss_mb']:.0f}",
                      f"{r['cli'][n]['peak_rss_mb']:.0f}"])
    out.append("\npeak RSS (MB) at two corpus sizes\n\n" + table(
        ["mode", f"{mb(s['engine']['bytes']):.1f} MB", f"{size:.1f} MB"], mrows))

    q = r.get("quantulum")
    if q and "error" not in q:
        ours, theirs = mb(q["bytes"]) / q["ours_s"], mb(q["bytes"]) / q["quantulum_s"]
        out.append("\nquantulum3 on the same sample\n\n" + table(
            ["on the same text", "MB", "docs", "wall s", "CPU s", "MB/s", "found"],
            [["figures.extract", f"{mb(q['bytes']):.2f}", q["docs"], f"{q['ours_s']:.2f}",
              f"{q['ours_cpu_s']:.2f}", f"{ours:.3f}", f"{q['ours_figures']} figures"],
             ["quantulum3 parser.parse", f"{mb(q['bytes']):.2f}", q["docs"],
              f"{q['quantulum_s']:.2f}", f"{q['quantulum_cpu_s']:.2f}", f"{theirs:.4f}",
              f"{q['quantulum_quantities']} quantities"]]))
        out.append(f"ours / quantulum3 speed: {ours / theirs:.0f}x wall, "
                   f"{q['quantulum_cpu_s'] / q['ours_cpu_s']:.0f}x CPU")
    elif q:
        out.append(f"\nquantulum3: {q['error']}")

    adv = r.get("adversarial")
    if adv:
        normal = e["extract_cpu_s"] / size
        arows = [["normal text (the corpus, engine row)", f"{size:.2f}", f"{e['extract_s']:.2f}",
                  f"{e['extract_cpu_s']:.2f}", f"{normal:.2f}", "1.0", ""]]
        for kind, a in adv.items():
            if "error" in a:
                arows.append([kind, "", "timeout", "", "", "", a["error"]])
                continue
            per = a["extract_cpu_s"] / mb(a["bytes"])
            arows.append([kind, f"{mb(a['bytes']):.2f}", f"{a['s']:.2f}",
                          f"{a['extract_cpu_s']:.2f}",
                          f"{per:.2f}", f"{per / normal:.1f}",
                          f"{a['figures']} figures {a['error_in_engine']}".strip()])
        out.append("\nadversarial text (target: within 3x of normal, in CPU s per MB)\n\n" + table(
            ["text", "MB", "wall s", "CPU s", "CPU s per MB", "x normal", "result"], arows))
    return "\n".join(out)


def profile(args, work: Path) -> None:
    folder = Path(args.corpus) if args.corpus else work / "corpus"
    if not args.corpus:
        corpus_mod.write_corpus(folder, args.profile, seed=args.seed)
    r = run_child(child_cmd("profile", folder, args.profile, work / "extract.prof"), args.timeout)
    print(f"cProfile of figures.extract on {mb(r['bytes']):.1f} MB ({r['docs']} documents): "
          f"{r['wall_s']:.1f} s wall under the profiler, {r['profiled_s']:.1f} s profiled"
          + (f"; stats in {work / 'extract.prof'}" if args.keep else "") + "\n")
    total = r["profiled_s"]
    for title, key, rows in (("own time", "own_s", r["top_own"]),
                             ("cumulative time (figures/ only)", "cum_s", r["top_cum"])):
        print(f"top 15 by {title}\n")
        print(table(["function", "calls", "own s", "cum s", "% of total"],
                    [[x["function"], x["calls"], f"{x['own_s']:.2f}", f"{x['cum_s']:.2f}",
                      f"{100 * x[key] / total:.1f}"] for x in rows]))
        print()


def stages(args, work: Path) -> None:
    folder = Path(args.corpus) if args.corpus else work / "corpus"
    if not args.corpus:
        corpus_mod.write_corpus(folder, args.stages, seed=args.seed)
    r = run_child(child_cmd("stages", folder, args.stages), args.timeout)
    size = mb(r["bytes"])
    print(f"Each stage of figures.extract alone, CPU seconds on {size:.1f} MB ({r['docs']} "
          f"documents, {r['sentences']:,} sentences, {r['candidates']:,} past the pre-filter)\n"
          f"{machine_line(machine())}\n")
    secs = r["seconds"]
    whole = secs["whole engine"]
    rows = [[name, f"{s:.2f}", f"{100 * s / whole:.0f}", f"{size / s:.1f}" if s else "-"]
            for name, s in secs.items()]
    # what every sentence costs, whatever it says: the engine cannot be faster than this part
    shared = [n for n in secs if n.startswith(("articles", "words", "pre-filter", "places",
                                               "attributions"))]
    floor = sum(secs[n] for n in shared)
    rows.append(["work every sentence needs (the five rows above the numbers)", f"{floor:.2f}",
                 f"{100 * floor / whole:.0f}", f"{size / floor:.1f}"])
    print(table(["stage", "CPU s", "% of whole", "MB/s if alone"], rows))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--size", type=float, default=50, help="corpus size in MB (default 50)")
    p.add_argument("--quick", action="store_true",
                   help="3 MB corpus, 0.2 MB adversarial inputs and quantulum3 sample")
    p.add_argument("--corpus", help="use this folder of .txt files instead of making one")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--jobs", default="1,2", help="--jobs values for the CLI (default 1,2)")
    p.add_argument("--q-size", type=float, default=0.5,
                   help="MB of the corpus given to quantulum3 (default 0.5: it reads ~3 KB/s)")
    p.add_argument("--adv-size", type=int, default=1_000_000,
                   help="bytes of each adversarial input (default 1,000,000)")
    p.add_argument("--short-files", type=int, default=20000, metavar="N",
                   help="also time --jobs on N short texts (default 20000; 0: skip)")
    p.add_argument("--no-quantulum", action="store_true")
    p.add_argument("--no-adversarial", action="store_true")
    p.add_argument("--timeout", type=float, default=3600, help="per child, seconds")
    p.add_argument("--profile", type=float, metavar="MB",
                   help="only profile the engine (cProfile) on a corpus of this size")
    p.add_argument("--stages", type=float, metavar="MB",
                   help="only time each stage of the engine alone on a corpus of this size")
    p.add_argument("--json", help="write every number here")
    p.add_argument("--keep", action="store_true",
                   help="keep the temporary folder (corpus, outputs, profile stats)")
    p.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = p.parse_args(argv)

    if args.child:
        mode, *rest = args.child
        if mode == "engine":
            res = child_engine(Path(rest[0]), float(rest[1]) if len(rest) > 1 else None)
        elif mode == "naive":
            res = child_naive(Path(rest[0]), float(rest[1]) if len(rest) > 1 else None)
        elif mode == "quantulum":
            res = child_quantulum(Path(rest[0]), float(rest[1]))
        elif mode == "adversarial":
            res = child_adversarial(rest[0], int(rest[1]))
        elif mode == "profile":
            res = child_profile(Path(rest[0]), float(rest[1]), Path(rest[2]))
        elif mode == "stages":
            res = child_stages(Path(rest[0]), float(rest[1]))
        else:
            raise SystemExit(f"unknown child mode {mode}")
        res["self_rss_mb"] = _rss_kb() / 1024
        print(json.dumps(res))
        return 0

    if args.quick:
        args.size = 3 if args.size == 50 else args.size
        args.q_size = min(args.q_size, 0.2)
        args.adv_size = min(args.adv_size, 200_000)
        args.short_files = min(args.short_files, 2000)
    args.jobs = [int(j) for j in args.jobs.split(",")]
    if args.profile:
        return in_work_folder(args, "figures-bench-", profile, None)
    if args.stages:
        return in_work_folder(args, "figures-bench-", stages, None)
    return in_work_folder(args, "figures-bench-", bench, report)


if __name__ == "__main__":
    sys.exit(main())
