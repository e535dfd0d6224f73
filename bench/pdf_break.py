"""Break text as a bad PDF extraction does, to measure figures/repair.py: drop 15% of the spaces
between words and break 10% of the words of seven letters or more with a hyphen and a space or a
line break. Deterministic.

usage: .venv/bin/python bench/pdf_break.py DOCS_DIR OUT_DIR   (every *.txt of DOCS_DIR)
then extract OUT_DIR and score it against the gold of DOCS_DIR."""
import random
import re
import sys
from pathlib import Path


def main(src: Path, dst: Path) -> None:
    dst.mkdir(parents=True, exist_ok=True)
    rng = random.Random(3)

    def hyphenate(m):
        w = m.group(0)
        if rng.random() < 0.1:
            k = rng.randint(2, len(w) - 3)
            return w[:k] + rng.choice(["- ", "-\n"]) + w[k:]
        return w

    for f in sorted(src.glob("*.txt")):
        x = f.read_text(encoding="utf-8", errors="replace")
        x = re.sub(r"(\S) (?=\S)", lambda m: m.group(1) if rng.random() < 0.15 else m.group(0), x)
        x = re.sub(r"[a-z]{7,30}", hyphenate, x)
        (dst / f.name).write_text(x, encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
