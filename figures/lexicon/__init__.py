"""Word lists as data: TOML files beside this module, read once.

An analyst adds a term by editing the TOML file named for what it holds (``triggers.toml`` for the
words that decide a category, ``groups.toml`` for victim and combatant nouns, ``attribution.toml`` for
the words that credit a source, ``numbers.toml`` for number words and qualifiers, ``places.toml``
for place cues and aliases, ``boilerplate.toml`` for web-page clutter).
"""
from __future__ import annotations

import re
import tomllib
from functools import cache, lru_cache
from pathlib import Path

HERE = Path(__file__).parent


@cache
def load(name: str) -> dict:
    """The parsed contents of ``<name>.toml`` in this folder."""
    with open(HERE / f"{name}.toml", "rb") as f:
        return tomllib.load(f)


@cache
def bodies_of_kind(kind: str) -> frozenset[str]:
    """The known bodies of attribution.toml whose heads mark them as ``kind``: "armed" (armed
    groups) or "outlet" (news outlets), by ``<kind>_heads``; names as written."""
    data = load("attribution")
    heads = set(data[f"{kind}_heads"])
    return frozenset(name for name, own in data["bodies"].items() if heads & set(own))


# Pre-filters compare the words of a sentence with the first word of each listed phrase: a phrase
# can only match where its first run of letters stands as a word of its own.
LETTERS = re.compile(r"[^\W\d_]+")
# Letters that case-insensitive patterns read as an ASCII letter but lower() does not turn into
# it; the only others (the Kelvin sign) lower() handles. A word holding one is also listed with
# it replaced, so a pre-filter never says no to a word a pattern would match.
_ODD_CASE = re.compile("[\u0130\u0131\u017f]")
_ODD_CASE_TABLE = str.maketrans({"\u0130": "i", "\u0131": "i", "\u017f": "s"})


def word_forms(word: str) -> tuple[str, ...]:
    """A run of letters as the word lists spell it: lower-cased, and also with a dotted or
    dotless i or a long s read as i or s (as case-insensitive patterns read them)."""
    low = word.lower()
    return (low, word.translate(_ODD_CASE_TABLE).lower()) if _ODD_CASE.search(word) else (low,)


def words_in(text: str, start: int = 0, end: int | None = None) -> set[str]:
    """The lower-cased runs of letters in text[start:end]."""
    end = len(text) if end is None else end
    if _ODD_CASE.search(text, start, end):
        return {f for w in LETTERS.findall(text, start, end) for f in word_forms(w)}
    # lower() turns every other letter into one letter and no other character into a letter, so
    # the runs of the lower-cased text are the lower-cased runs (Greek final sigma aside, which
    # no word list holds)
    return set(LETTERS.findall(text[start:end].lower()))


@lru_cache(maxsize=4096)
def _whole_word(word: str) -> re.Pattern:
    return re.compile(rf"(?<![^\W\d_]){re.escape(word)}(?![^\W\d_])", re.IGNORECASE)


def word_positions(word: str, text: str, start: int = 0, end: int | None = None) -> list[int]:
    """Where ``word`` (lower case) stands as a whole run of letters in text[start:end], in any
    case: the only places a phrase starting with it can match."""
    return [m.start() for m in
            _whole_word(word).finditer(text, start, len(text) if end is None else end)]


def where_words(words, text: str) -> list[int]:
    """``word_positions`` of any of ``words`` in ``text``, in order."""
    return sorted(p for w in words for p in word_positions(w, text))


def first_words(phrases) -> frozenset[str]:
    """The first run of letters of each phrase, lower-cased ("according to" -> "according")."""
    out = set()
    for p in phrases:
        m = LETTERS.search(p)
        if m:
            out.add(m.group().lower())
    return frozenset(out)
