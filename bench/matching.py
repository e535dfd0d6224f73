"""What compiled multi-pattern matching could save the engine: the engine's own lookups of the
gazetteer and of the word lists, timed apart, beside an Aho-Corasick automaton (pyahocorasick,
``bench/requirements.txt``) doing the same searches in one pass. Prints a table; asserts nothing.

    .venv/bin/python bench/matching.py --corpus /tmp/corpus3

On every sentence of the corpus (as ``figures.document.structure`` splits it), CPU time of:

- the whole engine (``figures.extract``), for scale;
- the gazetteer as the engine reads it: capitalised runs (``places.NAME``) and their readings
  (``_name_reading``, cached like the engine's), and the cue patterns ("the town of X", "X
  province", "in X");
- an automaton of every gazetteer key run over each document once (lower-cased, keys matched
  as whole words, longest first). Not the same search: the engine compares *folded* names
  ("Ar Raqqah", "Al-Raqqa" and "Raqqa" are one key), which no automaton over the raw text can;
  its time is what one pass costs, a lower bound for replacing the lookups;
- the word lists as the engine reads them: each sentence's words (``words_in``) and, for every
  first word of a trigger, number or speech-verb phrase present, where it stands
  (``word_positions``);
- an automaton of those first words run once over each sentence (keys with a space each side,
  the sentence with every non-letter made a space: whole words only), giving the same positions.

The table gives each search's share of the engine's time, the engine's speed if that search cost
nothing at all, and its speed with the automaton's time instead.
"""
from __future__ import annotations

import argparse
import importlib
import re
import sys
import time
from pathlib import Path

from common import machine, machine_line, mb, table  # noqa: I001

import corpus as corpus_mod


def _cpu(work) -> tuple[float, object]:
    c = time.process_time()
    out = work()
    return time.process_time() - c, out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--corpus", help="folder of .txt files (default: make 3 MB, seed 1)")
    p.add_argument("--size", type=float, default=3)
    args = p.parse_args(argv)
    try:
        import ahocorasick
    except ImportError:
        print("needs pyahocorasick: .venv/bin/pip install -r bench/requirements.txt")
        return 2
    from figures.batch import warm_up
    from figures.document import structure
    from figures.lexicon import _ODD_CASE, word_positions, words_in
    from figures import places
    engine = importlib.import_module("figures.extract")
    numbers = importlib.import_module("figures.numbers")
    sources = importlib.import_module("figures.sources")

    if args.corpus:
        folder = Path(args.corpus)
    else:
        folder = Path("/tmp/figures-bench-matching")
        corpus_mod.write_corpus(folder, args.size, seed=1)
    texts = [f.read_text(encoding="utf-8") for f in sorted(folder.rglob("*.txt"))]
    warm_up()
    size = mb(sum(len(t.encode()) for t in texts))
    whole, _ = _cpu(lambda: [engine.extract(t) for t in texts])
    sentences = [(t, s) for t in texts for a in structure(t) for s in a.sentences]

    # the gazetteer, as the engine reads it
    kind_pat, suffix_pat, prep_pat = places._cue_patterns()

    def gazetteer_engine():
        n = 0
        for t, s in sentences:
            for m in places.NAME.finditer(t, s.start, s.end):
                n += places._name_reading(m.group()) is not None
            for pat in (kind_pat, suffix_pat, prep_pat):
                n += sum(1 for _ in pat.finditer(t, s.start, s.end))
        return n
    places._name_reading.cache_clear()
    gaz_s, gaz_n = _cpu(gazetteer_engine)

    gaz = places.gazetteer()
    build = time.process_time()
    auto = ahocorasick.Automaton()
    for key in gaz:
        auto.add_word(key, len(key))
    auto.make_automaton()
    build = time.process_time() - build

    def whole_word(low: str, end: int, n: int) -> bool:
        a = end - n + 1
        return (a == 0 or not low[a - 1].isalnum()) and (end + 1 == len(low) or not low[end + 1].isalnum())

    def gazetteer_automaton():
        n = 0
        for t in texts:
            low = t.lower()
            for end, length in auto.iter_long(low):
                n += whole_word(low, end, length)
        return n
    gaz_ac_s, gaz_ac_n = _cpu(gazetteer_automaton)

    # the word lists, as the engine reads them
    lex = engine._lexicon()
    firsts = set().union(*lex["words_of_trigger"], lex["negative_words"], numbers._first_words(),
                         sources._patterns()["speaker_words"])

    def words_engine():
        out = []
        for t, s in sentences:
            ws = words_in(t, s.start, s.end)
            out.append({w: word_positions(w, t, s.start, s.end) for w in ws & firsts})
        return out
    words_s, words_found = _cpu(words_engine)

    # keys with a space each side, run over the sentence with every non-letter made a space
    # (same length): only whole words match, at the engine's positions
    wauto = ahocorasick.Automaton()
    for w in firsts:
        wauto.add_word(f" {w} ", w)
    wauto.make_automaton()
    non_letter = re.compile(r"[\W\d_]")

    def words_automaton():
        out = []
        for t, s in sentences:
            ws = words_in(t, s.start, s.end)        # the sentence's words are needed anyway
            wanted = ws & firsts
            found = {w: [] for w in wanted}
            before = t[s.start - 1] if s.start else " "
            edge = "x" if before.isalnum() and not before.isdecimal() else " "
            for last, w in wauto.iter(edge + non_letter.sub(" ", t[s.start:s.end].lower()) + " "):
                if w in found:
                    found[w].append(s.start + last - len(w) - 1)
            out.append(found)
        return out
    words_ac_s, words_ac_found = _cpu(words_automaton)
    odd = sum(1 for t, s in sentences if _ODD_CASE.search(t, s.start, s.end))
    same = words_ac_found == words_found

    def row(name, ours, auto, found, note):
        return [name, f"{ours:.2f}", f"{100 * ours / whole:.0f}%", f"{auto:.2f}",
                f"{size / (whole - ours):.2f}", f"{size / (whole - ours + auto):.2f}", found, note]

    print(f"{len(texts)} documents, {size:.1f} MB, {len(sentences):,} sentences\n"
          f"{machine_line(machine())}\n")
    print(f"whole engine: {whole:.2f} CPU s, {size / whole:.2f} MB/s\n")
    print(table(["search", "engine CPU s", "of the engine", "automaton CPU s",
                 "engine MB/s if the search cost nothing", "engine MB/s with the automaton",
                 "found (engine / automaton)", "note"], [
        row("gazetteer: capitalised runs and their readings, cue patterns", gaz_s, gaz_ac_s,
            f"{gaz_n:,} / {gaz_ac_n:,}",
            f"automaton of {len(gaz):,} keys built in {build:.1f} s, one pass per document over "
            "the raw text: not the engine's folded names"),
        row("word lists: each sentence's words, where their first words stand", words_s,
            words_ac_s, f"{sum(len(p) for d in words_found for p in d.values()):,} / "
                        f"{sum(len(p) for d in words_ac_found for p in d.values()):,}",
            f"automaton of {len(firsts)} first words, one pass per sentence; same positions: "
            f"{same}"),
    ]))
    if odd:
        print(f"\n{odd} sentences hold a dotted or dotless i or a long s: the automaton would "
              "need the engine's search there")
    return 0


if __name__ == "__main__":
    sys.exit(main())
