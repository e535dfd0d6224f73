"""Number phrases: "up to 25,000", "tens of thousands", "between 3,000 and 5,000", "six lakh".

One compiled pattern finds every number phrase in a text; ``parse_phrase`` turns one phrase into a
value with its bounds and qualifier (see ``figures.schema.QUALIFIERS``). The words live in
``lexicon/numbers.toml``. General-purpose number parsers lose the qualifier, so this is our own.
"""
from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from functools import cache, lru_cache

from .lexicon import first_words, load, word_positions, words_in


@dataclass(slots=True, frozen=True)
class NumberPhrase:
    """A number phrase as found in a text."""

    start: int
    end: int
    text: str
    value: float
    value_low: float | None
    value_high: float | None
    qualifier: str
    core_start: int      # where the number itself starts, after any qualifier
    is_vague: bool
    is_word: bool        # written in words ("six"), not digits
    bare_digits: bool    # plain digits with no separator or scale ("2014", "28")


def _alternation(words) -> str:
    """A regex alternation of literal phrases, longest first so "tens of thousands" beats "thousands"."""
    ordered = sorted(set(words), key=len, reverse=True)
    return "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in ordered)


@cache
def _tables() -> dict:
    data = load("numbers")
    qualifier_of = {}
    for qualifier, words in data["qualifiers"].items():
        for w in words:
            qualifier_of[w] = qualifier
    return {
        "units": data["units"],
        "tens": data["tens"],
        "scales": data["scales"],
        "phrases": data["phrases"],
        "vague": {k: tuple(v) for k, v in data["vague"].items()},
        "qualifier_of": qualifier_of,
        "joiners": data["ranges"]["joiners"],
    }


# Scale words that may follow digits with a space ("1.2 million"); the one-letter ones must touch
# the digits ("1.6m", "3bn") so that "10 m" (metres) is not read as ten million.
_SPACED_SCALES = ("thousand", "million", "millions", "billion", "lakh", "lakhs", "lac", "lacs",
                  "crore", "crores")
_TOUCHING_SCALES = ("m", "mn", "bn", "k")


@cache
def pattern() -> re.Pattern:
    """The compiled pattern for one number phrase, qualifier and range included."""
    t = _tables()
    word = _alternation(list(t["units"]) + list(t["tens"]) + ["hundred", "thousand", "million",
                                                              "billion", "lakh", "crore", "dozen"])
    first_word = _alternation(list(t["units"]) + list(t["tens"]))
    words = rf"(?:{first_word})(?:(?:\s*-\s*|\s+(?:and\s+)?)(?:{word}))*"
    half = r"(?:(?:\s*-\s*|\s+)and(?:\s*-\s*|\s+)a(?:\s*-\s*|\s+)half)"   # "three-and-a-half million"
    scale = rf"(?:\s*(?:{_alternation(_SPACED_SCALES)})|(?:{_alternation(_TOUCHING_SCALES)}))\b"
    digits = (
        # Indian grouping: "8,10,896", "1,20,000", "1,00,00,000"
        r"\d{1,2},(?:\d{2},){1,5}\d{3}(?![\d,.]\d)"
        # thousands: "25,000", "14 000"; after a comma and a space only a group that starts with 0
        # ("61, 000"): "May 12, 300 people" and "310, 120 of them" are two numbers
        r"|\d{1,3}(?:(?:,|[ \u00a0\u202f]|,\s(?=0))\d{3})+(?![\d,.]\d)"
        # a decimal comma, as translated reports write it, only before a scale word: "1,4 million",
        # "1,2 to 1,5 million" (a comma and exactly three digits is a thousands separator)
        rf"|\d{{1,3}},\d{{1,2}}(?=(?:\s*(?:-|–|—|to|and)\s*\d{{1,3}}(?:[.,]\d{{1,2}})?)?{scale})"
        # a dot between groups of three, as translated reports write thousands: "1.200.000",
        # "12.500 people" (a count is whole); before a scale word the dot is a decimal point
        r"|\d{1,3}(?:\.\d{3}){2,4}(?![\d,.]\d)"
        rf"|\d{{1,3}}\.\d{{3}}(?![\d,.]\d)(?!{scale})"
        r"|\d+(?:\.\d+)?")
    number = (rf"(?:(?:{_alternation(t['phrases'])})\b"
              rf"|(?:{digits})(?:{scale})?"
              rf"|(?:{words})\b(?:{half}?\s+(?:{_alternation(_SPACED_SCALES)})\b)?)")
    quals = _alternation(t["qualifier_of"])
    joiner = "|".join(re.escape(j) for j in t["joiners"] if j != "to")
    at_most = _alternation(w for w, q in t["qualifier_of"].items() if q == "at_most")
    # "at least 30, and as many as 40": a floor and a ceiling, one range (see _mention)
    upto = rf"(?P<upto>,?\s+(?:and|but|or)\s+(?:possibly\s+|perhaps\s+|maybe\s+)?)(?=(?:{at_most})\s)"
    return re.compile(
        rf"(?<![\w.,$£€])(?:(?P<qual>{quals})\s+)?"
        rf"(?:(?P<vague>{_alternation(t['vague'])})\b"
        rf"|(?P<between>between\s+)?(?P<n1>{number})"
        rf"(?:(?P<join>{upto}|\s*(?:{joiner})\s*|\s+to\s+|\s+and\s+)(?:(?:{quals})\s+)?"
        rf"(?P<n2>{number}))?)"
        rf"(?![\w%])",
        re.IGNORECASE,
    )


def word_value(text: str) -> float | None:
    """ "twenty-five" -> 25, "one hundred and fifty" -> 150, "two million" -> 2e6, "a dozen" -> 12."""
    t = _tables()
    key = " ".join(text.lower().split())
    if key in t["phrases"]:
        return float(t["phrases"][key])
    key = re.sub(r"[\s-]+and[\s-]+a[\s-]+half\b", " half", key)
    total, current = 0, 0
    seen = False
    for w in re.split(r"[\s-]+", key):
        if w == "and":
            continue
        if w in t["units"]:
            current += t["units"][w]
        elif w in t["tens"]:
            current += t["tens"][w]
        elif w == "half" and seen:
            current += 0.5            # "two and a half million"
        elif w == "hundred":
            current = (current or 1) * 100
        elif w in t["scales"]:
            total += (current or 1) * t["scales"][w]
            current = 0
        else:
            return None
        seen = True
    return float(total + current) if seen else None


_SCALE_SUFFIX = re.compile(r"^(?P<num>[\d.,\s\u00a0\u202f]+?)\s*(?P<scale>[a-z]+)?$", re.I)


@lru_cache(maxsize=16384)
def number_value(text: str) -> tuple[float, bool] | None:
    """The value of one number (no qualifier, no range) and whether it carried a scale word."""
    raw = text.strip()
    if not raw:
        return None
    if not raw[0].isdigit():
        value = word_value(raw)
        if value is None:
            return None
        return value, bool(re.search(r"hundred|thousand|million|billion|lakh|crore|dozen", raw, re.I))
    m = _SCALE_SUFFIX.match(raw)
    if not m:
        return None
    num = m["num"].strip()
    if re.fullmatch(r"\d{1,3},\d{1,2}", num):
        num = num.replace(",", ".")   # a decimal comma: the pattern finds one only before a scale
    elif re.fullmatch(r"\d{1,3}(?:\.\d{3}){2,4}", num) or (
            not m["scale"] and re.fullmatch(r"\d{1,3}\.\d{3}", num)):
        num = num.replace(".", "")    # dots between thousands: the pattern finds these only so
    num = re.sub(r"[,\s\u00a0\u202f]", "", num)
    try:
        value = float(num)
    except ValueError:
        return None
    scale = (m["scale"] or "").lower()
    if scale:
        factor = _tables()["scales"].get(scale)
        if factor is None:
            return None
        value *= factor
    return round(value, 6), bool(scale)


def _mention(m: re.Match, offset: int = 0) -> NumberPhrase | None:
    t = _tables()
    qual_text = (m["qual"] or "").lower()
    qualifier = t["qualifier_of"].get(" ".join(qual_text.split()), "exact") if qual_text else "exact"
    core_start = m.start("vague") if m["vague"] else m.start("n1")
    if m["vague"]:
        low, high = t["vague"][" ".join(m["vague"].lower().split())]
        low, high = float(low), float(high)
        return NumberPhrase(m.start() + offset, m.end() + offset, m.group(), low, low, high, "vague",
                            core_start + offset, True, False, False)
    first = number_value(m["n1"])
    if first is None:
        return None
    n1, scaled1 = first
    is_word = not m["n1"][0].isdigit()
    bare = not is_word and m["n1"].isdecimal()      # what \d+ matches, in full
    if m["n2"]:
        second = number_value(m["n2"])
        join = m["join"].strip().lower()
        if m["upto"] is not None:
            # "at least 30, and as many as 40" is one range; "killed 30 and up to 40 ..." is two
            if qualifier not in ("at_least", "approx"):
                return None
        elif second is None or (join == "and" and not m["between"]):
            return None  # caller retries on the first number alone
        if second is None:
            return None
        n2, scaled2 = second
        if scaled2 and not scaled1 and n1 < n2:
            # "1 to 2 million": the first number borrows the scale of the second
            for factor in (1_000_000_000, 10_000_000, 1_000_000, 100_000, 1_000):
                if n2 >= factor and n1 * factor <= n2:
                    n1 *= factor
                    break
        if n2 <= n1:
            return None
        return NumberPhrase(m.start() + offset, m.end() + offset, m.group(), n1, n1, n2, "range",
                            core_start + offset, False, is_word, False)
    if m["between"]:
        return None
    if qualifier == "at_least":
        low, high = n1, None
    elif qualifier == "at_most":
        low, high = None, n1
    else:
        low = high = n1
    return NumberPhrase(m.start() + offset, m.end() + offset, m.group(), n1, low, high, qualifier,
                        core_start + offset, False, is_word, bare)


@cache
def _first_words() -> frozenset[str]:
    """The words a number phrase can start with ("up", "tens", "seven", "between"): every phrase
    starts with one of them or with a digit."""
    t = _tables()
    return first_words([*t["qualifier_of"], *t["vague"], *t["phrases"], *t["units"], *t["tens"],
                        "between"])


_DIGIT_START = re.compile(r"(?<![\w.,$£€])\d")


def _starts(text: str, words: set[str] | None) -> list[int]:
    """Where a number phrase may start in ``text``: a digit, or a word that opens one. The full
    pattern is then tried at these places alone instead of at every character."""
    starts = [m.start() for m in _DIGIT_START.finditer(text)]
    for w in (words_in(text) if words is None else words) & _first_words():
        starts.extend(word_positions(w, text))
    starts.sort()
    return starts


def find_numbers(text: str, words: set[str] | None = None) -> list[NumberPhrase]:
    """Every number phrase in ``text``, left to right, without overlaps. ``words``:
    ``words_in(text)`` when the caller has it already."""
    pat = pattern()
    starts = _starts(text, words)

    def search(pos: int) -> re.Match | None:
        """What pat.search(text, pos) finds: the first start from pos where the pattern matches."""
        for p in starts[bisect.bisect_left(starts, pos):]:
            m = pat.match(text, p)
            if m:
                return m
        return None

    return _read_numbers(text, search)


def _read_numbers(text: str, search) -> list[NumberPhrase]:
    """The number phrases that ``search(pos)`` (the next match of ``pattern()`` from pos) finds,
    read left to right without overlaps."""
    found = []
    pat = pattern()
    pos = 0
    while (m := search(pos)) is not None:
        mention = _mention(m)
        if mention is None and m["n2"]:
            # Not a range after all ("12 and 40", "between 5 and"): keep the first number alone.
            short = pat.match(text, m.start(), m.end("n1"))
            mention = _mention(short) if short and not short["n2"] else None
            if mention is not None and m["between"]:
                mention = None
            pos = m.end("n1")
        else:
            pos = m.end()
        if mention is not None:
            found.append(mention)
    return found


def parse_phrase(text: str) -> NumberPhrase | None:
    """The one number phrase that makes up all of ``text`` ("up to 25,000"), or None."""
    phrase = re.sub(r"\s+of$", "", text.strip())     # "tens of thousands of"
    m = pattern().fullmatch(phrase)
    return _mention(m) if m else None
