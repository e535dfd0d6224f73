"""Near-duplicate detection (figures/dedup.py): its thresholds and its cost per document.

    # the similarity of texts to their copies and to each other (folders of .txt files)
    .venv/bin/python bench/dedup.py thresholds FOLDER...
    # what finding a document's story costs with N documents stored
    .venv/bin/python bench/dedup.py cost --documents 3000

``thresholds`` makes four copies of each text of 60 words or more (other boilerplate around it,
a new headline, the last paragraph cut, all three at once) and prints, per shape, the Jaccard
similarity of the copy's 4-shingles to the text and the Simhash Hamming distance; then the same
for every pair of different texts. ``dedup.MIN_JACCARD`` and ``dedup.MAX_HAMMING`` come from it.

``cost`` builds a synthetic store of N documents (bench/make_store.py's texts: a small pool of
sentences, so different documents are more alike than real ones, a hard case), links their
stories (the backfill an upgraded store runs once), then adds new documents one transaction
each, half of them near copies of stored ones, and prints the time per document: the dedup part
alone (fingerprint, reading the fingerprints, checking the candidates) and the whole ``add``.
"""
from __future__ import annotations

import argparse
import itertools
import statistics
import sys
import tempfile
import time
from pathlib import Path

import common  # noqa: F401,I001  (first: puts the project on the import path)

from figures import dedup  # noqa: E402
from figures.formats import load_pasted  # noqa: E402
from figures.store import Store  # noqa: E402

BOILER_TOP = "Skip to main content\nHome | World | Africa | Business | Sport\nAdvertisement\n"
BOILER_END = ("\nShare this article by email or on social media.\nReporting by our "
              "correspondents; editing by the desk.\nCopyright 2026 Example Media Group. All "
              "rights reserved.\nMost read: stories you may have missed this week\n")


def shapes(text: str) -> dict[str, str]:
    paras = [p for p in text.split("\n\n") if p.strip()]
    out = {"boilerplate": BOILER_TOP + text + BOILER_END,
           "headline": "Officials give a new account of the events\n\n" + "\n\n".join(paras[1:])}
    if len(paras) > 3:
        out["trimmed"] = "\n\n".join(paras[:-1])
        out["all three"] = (BOILER_TOP + "Officials give a new account\n\n"
                            + "\n\n".join(paras[1:-1]) + BOILER_END)
    return out


def _quantiles(values: list[float]) -> str:
    v = sorted(values)
    return (f"min {v[0]:.3f}  p5 {v[len(v) // 20]:.3f}  median {v[len(v) // 2]:.3f}  "
            f"max {v[-1]:.3f}")


def thresholds(folders: list[str]) -> None:
    texts = [p.read_text(encoding="utf-8", errors="replace")
             for folder in folders for p in sorted(Path(folder).glob("*.txt"))]
    texts = [t for t in texts if len(t.split()) >= 60]
    print(f"{len(texts)} texts of 60+ words")
    prints = [dedup.Fingerprinted.of(t) for t in texts]
    for shape in ("boilerplate", "headline", "trimmed", "all three"):
        js, hs = [], []
        for text, fp in zip(texts, prints):
            copy = shapes(text).get(shape)
            if copy is None:
                continue
            js.append(dedup.jaccard(fp.shingles, dedup.shingles(copy)))
            hs.append(int(dedup.hamming([fp.simhash], dedup.fingerprint(copy))[0]))
        print(f"{shape:12} n={len(js):3}  jaccard {_quantiles(js)}  "
              f">= {dedup.MIN_JACCARD}: {sum(j >= dedup.MIN_JACCARD for j in js)}")
        print(f"{'':12} {'':5}  hamming max {max(hs)}  median {statistics.median(hs):g}  "
              f"<= {dedup.MAX_HAMMING}: {sum(h <= dedup.MAX_HAMMING for h in hs)}")
    js, hs = [], []
    for a, b in itertools.combinations(prints, 2):
        js.append(dedup.jaccard(a.shingles, b.shingles))
        hs.append(int(dedup.hamming([a.simhash], b.simhash)[0]))
    print(f"different    n={len(js)}  jaccard max {max(js):.3f}  "
          f"p99.9 {sorted(js)[int(len(js) * 0.999)]:.3f}")
    print(f"{'':12} {'':5}  hamming min {min(hs)}  median {statistics.median(hs):g}  "
          f"share <= {dedup.MAX_HAMMING}: {sum(h <= dedup.MAX_HAMMING for h in hs) / len(hs):.3f}")


def cost(n_documents: int, n_new: int, seed: int, keep: Path | None) -> None:
    import make_store
    folder = Path(tempfile.mkdtemp(prefix="bench-dedup-")) if keep is None else keep
    path = folder / "dedup.db"
    per_doc = 10
    t = time.perf_counter()
    make_store.build(path, n_documents * per_doc, seed, per_doc, 0, quiet=True)
    print(f"synthetic store: {time.perf_counter() - t:.1f} s", file=sys.stderr)
    with Store(path) as s:
        stored = s.conn.execute("SELECT count(*) FROM documents").fetchone()[0]
        t = time.perf_counter()
        s._link_stories()
        backfill = time.perf_counter() - t
        linked = s.conn.execute("SELECT count(*) FROM documents WHERE copy_of IS NOT NULL"
                                ).fetchone()[0]
        print(f"{stored:,} documents stored; linking their stories once (an upgrade's backfill): "
              f"{backfill:.1f} s, {1000 * backfill / stored:.2f} ms per document; {linked} "
              "linked as near copies of another")
        texts = [r[0] for r in s.conn.execute("SELECT text FROM documents ORDER BY random() "
                                              f"LIMIT {n_new}")]
        # new documents: texts of another synthetic store (another seed)
        others = [d[10] for d in make_store.generate(n_new * per_doc, seed + 1, per_doc, 0)[0]]
        dedup_ms, add_ms, copies, checked = [], [], 0, []
        for k, text in enumerate(texts):
            if k % 2:      # a near copy: other boilerplate, the last paragraph cut
                new = shapes(text).get("all three") or shapes(text)["boilerplate"]
            else:          # a new document, written from the same pool of sentences
                new = others[k % len(others)]
            fp_t = time.perf_counter()
            fp = dedup.Fingerprinted.of(new)
            index = s._story_index()
            index.match(fp)
            dedup_ms.append(1000 * (time.perf_counter() - fp_t))
            checked.append(index.checked)
            t = time.perf_counter()
            r = s.add(load_pasted(new))
            add_ms.append(1000 * (time.perf_counter() - t))
            copies += (r.copy_of is not None) == bool(k % 2)
        print(f"{len(texts)} documents added one at a time at {stored:,} stored: dedup "
              f"median {statistics.median(dedup_ms):.1f} ms, max {max(dedup_ms):.1f} ms "
              f"(candidates checked: median {statistics.median(checked):g}, max {max(checked)}); "
              f"whole add (extraction included) median {statistics.median(add_ms):.1f} ms; "
              f"{copies}/{len(texts)} linked as expected")
    if keep is None:
        import shutil
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="command", required=True)
    th = sub.add_parser("thresholds", help="similarity of texts to their copies and each other")
    th.add_argument("folders", nargs="+")
    co = sub.add_parser("cost", help="time per document with N documents stored")
    co.add_argument("--documents", type=int, default=3000)
    co.add_argument("--new", type=int, default=40, help="documents added and timed")
    co.add_argument("--seed", type=int, default=1)
    co.add_argument("--keep", type=Path, help="build the store in this folder and keep it")
    args = ap.parse_args()
    if args.command == "thresholds":
        thresholds(args.folders)
    else:
        cost(args.documents, args.new, args.seed, args.keep)


if __name__ == "__main__":
    main()
