"""Repair of text broken by PDF extraction, with a map back to the original offsets.

PDF text often loses a space ("Ten people werekilled", "Nearly2,000 people fledtheir homes",
"2,000people", "killed12 people") or keeps a word broken at a line end ("in- jured",
"dis-\\nplaced"). ``repair(text)`` returns the text with those fixed, or None when nothing needed
fixing (the common case: one scan of the text, no copy), and a ``Repaired`` maps every position
of the fixed text back into the original, so the engine's offsets and quotes still point there.

The repair is conservative: a run of letters is cut only into words the engine knows (triggers,
group nouns, number words, the words of ``lexicon/repair.toml``), one of them of four letters or
more a trigger, a noun, a number word or a qualifier ("werekilled", "thepeople"; not "inthe"),
and never when the run is itself a word: a real word or place name that such pieces happen to
spell ("overall", "afternoon", "Togo") is listed in ``lexicon/repair_keep.toml``. A number is
parted from a trigger or a qualifier before it ("killed12") or from words after it
("2,000people"); a broken word is joined only into such a known word. Documents that need no
repair pay one pass of three cheap patterns and one over their distinct words.
"""
from __future__ import annotations

import bisect
import dataclasses
import re
from dataclasses import dataclass
from functools import cache

from .lexicon import load, words_in

MIN_PART = 2        # shortest piece a run of letters is cut into
MIN_QUALIFYING = 4  # a run is cut only when a piece of this length or more is a trigger, a noun
                    # or a qualifier, or a piece is a number word ("wasdead", "sixdead"; not
                    # "antono", "Fedor")
MIN_DIGIT_SIDE = 3  # shortest word parted from a number it is glued to ("killed12", not "at5pm")
MAX_PARTS = 3
MAX_ALTERNATION = 50  # more distinct runs to cut than this are found by a pass over every word


@cache
def _words():
    """(parts, qualifying, joinable, keep, phrases, numbers): the words a run may be cut into,
    those of them that make a cut worth making (triggers, group nouns, number words and the
    `figure` words), the words a broken word may be joined into, the real words never cut, the
    trigger phrases run together ("deathtoll" -> ("death", "toll")), and the number words."""
    trig = load("triggers")
    rep = load("repair")
    qualifying = set(rep["figure"])
    for cat, table in trig.items():
        for side in ("terms", "before", "after"):
            qualifying.update(table.get(side, []))
    nouns = {n for key, g in load("groups").items() if key != "not_people"
             for n in g.get("nouns", [])}
    nums = load("numbers")
    number_words = set()
    for table in ("units", "tens", "scales", "phrases", "vague"):
        number_words.update(nums.get(table, {}))
    number_words.update(w + "s" for w in nums.get("scales", {})
                        if len(w) > 2 and not w.endswith("s"))
    qualifying |= nouns | number_words

    def single(words):
        return {w.lower() for w in words if w.isalpha() and len(w) >= MIN_PART}

    qualifying = single(qualifying)
    # the words of the triggers' and numbers' phrases are pieces too ("expectedto", "tens of")
    phrase_words = {w for table in trig.values() for side in ("terms", "before", "after")
                    for phrase in table.get(side, []) for w in phrase.split()}
    phrase_words |= {w for w in number_words for w in w.split()}
    parts = qualifying | single(rep["function"]) | single(phrase_words)
    # a trigger phrase run together is cut into its words ("expectedto", "deathtoll")
    phrases = {}
    for table in trig.values():
        for side in ("terms", "before", "after"):
            for phrase in table.get(side, []):
                ws = phrase.lower().split()
                if 1 < len(ws) <= MAX_PARTS and all(w.isalpha() for w in ws):
                    phrases["".join(ws)] = tuple(ws)
    joinable = parts | single(rep.get("join", []))
    try:
        keep = frozenset(w.lower() for w in load("repair_keep").get("keep", []))
    except FileNotFoundError:
        keep = frozenset()
    # number words of three letters make a cut too ("sixfollowing", "tenpeople")
    numbers = frozenset(w for w in single(number_words) if len(w) >= 3)
    return frozenset(parts), frozenset(qualifying), frozenset(joinable), keep, phrases, numbers


@cache
def _lead_words() -> frozenset[str]:
    """The words that may stand right before a number they are glued to: triggers, the `figure`
    words and function words of three letters or more, not nouns nor number words ("killed12",
    "Nearly2,000", "were18,000"; not "man3", "day2")."""
    trig = load("triggers")
    rep = load("repair")
    words = set(rep["figure"]) | {w for w in rep["function"] if len(w) >= MIN_DIGIT_SIDE}
    for table in trig.values():
        for side in ("terms", "before", "after"):
            words.update(table.get(side, []))
    return frozenset(w.lower() for w in words if w.isalpha())


def _trie(words) -> str:
    """A regex matching any of ``words`` (plain letters), as a trie so each position tries each
    next letter once."""
    root: dict = {}
    for w in words:
        node = root
        for ch in w:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node) -> str:
        ends = "" in node
        alts = [re.escape(ch) + build(child) for ch, child in sorted(node.items()) if ch]
        if not alts:
            return ""
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        if ends:
            body = f"(?:{body})?"
        return body

    return build(root)


@cache
def _glue_pattern() -> re.Pattern:
    """A lower-cased run of letters made of two or three known words, on a line of its own: it
    is matched against the document's distinct words, one a line (far fewer than its words)."""
    more = f"(?:{_trie(sorted(_words()[0]))})"
    return re.compile(rf"^{more}{{2,{MAX_PARTS}}}$", re.MULTILINE)


# A digit with a letter after or before it: "2,000people", "killed12" (a plain digit first, so the
# scan skips in C from one digit to the next)
_DIGIT_LETTER = re.compile(r"[0-9](?:(?=[^\W\d_])|(?<=[^\W\d_][0-9]))")
# A full stop or a comma with no space after it, between words: "attacks.The", "Samos,two" (not
# "www.un.org", "e.g.", "1,000")
_PUNCT = re.compile(r"[.,](?<=[a-z]{2}[.,])(?:(?<=\.)(?=[A-Z][a-z])|(?<=,)(?=[a-z]{2}))")
_TOKEN_BEFORE = re.compile(r"\S{0,40}$")
_TOKEN_AFTER = re.compile(r"\S{0,40}")
# A capitalised word glued after a lower-case one: "eightMexicans", "inAugust" (a capital first, so
# the scan skips in C between capitals)
_LOWER_PREFIX = re.compile(r"[a-z]{1,30}(?=[A-Z][a-z])")
_CODE_MARKS = "/@\\_={}<>[]()'\".:"      # "receive.denyCurrentBranch" is code
_LOWER_UPPER = re.compile(r"[A-Z](?<=[a-z][A-Z])(?=[a-z]{2})")
# A word broken at a line end: a hyphen then a line break or spaces, or a soft hyphen
_BREAK = re.compile(r"[-\u2010\u2011\u00ad](?<=[^\W\d_].)"
                    r"(?:(?<=\u00ad)[ \t]{0,3}(?:\r?\n[ \t]{0,3})?"
                    r"|[ \t]{1,3}|[ \t]{0,3}\r?\n[ \t]{0,3})"
                    r"(?=[^\W\d_])")
_LETTERS = re.compile(r"[^\W\d_]+")
_WORD_BEFORE = re.compile(r"(?<![^\W\d_])[^\W\d_]{1,30}$")
_WORD_AFTER = re.compile(r"[^\W\d_]{1,30}(?![^\W\d_])")
# the whole number glued to a word: "2,000" before "people", "12" after "killed"
_NUMBER_BEFORE = re.compile(r"(?<![\d,.])\d[\d,.]{0,20}$")
_NUMBER_AFTER = re.compile(r"\d[\d,.]{0,20}(?![\d,.])")


def _cased(token: str) -> bool:
    """Lower case or capitalised: other shapes (acronyms, "iPhone", codes) are never cut."""
    return token.islower() or (token[:1].isupper() and (len(token) == 1 or token[1:].islower()))


def split_run(token: str, whole: bool = True) -> list[str] | None:
    """The known words a run of letters is made of, or None. ``whole``: the run stands alone,
    so it must be two words or more and not itself a word."""
    if len(token) < MIN_PART or not _cased(token):
        return None
    parts, qualifying, _, keep, phrases, numbers = _words()
    low = token.lower()
    if whole and (low in parts or low in keep):
        return None
    if not whole and low in parts:
        return [token]
    if low in keep:
        return None
    if low in phrases:
        pieces, i = [], 0
        for w in phrases[low]:
            pieces.append(token[i:i + len(w)])
            i += len(w)
        return pieces
    n = len(low)

    def cut(i: int, left: int) -> list[int] | None:
        # the ends of the pieces of low[i:], longest first piece first
        for j in range(n, i + MIN_PART - 1, -1):
            if low[i:j] in parts:
                if j == n:
                    return [j]
                if left > 1:
                    rest = cut(j, left - 1)
                    if rest is not None:
                        return [j] + rest
        return None

    ends = cut(0, MAX_PARTS)
    if ends is None or len(ends) < 2:
        return None
    pieces, i = [], 0
    for j in ends:
        pieces.append(token[i:j])
        i = j
    if not any(len(p) >= MIN_QUALIFYING and p.lower() in qualifying for p in pieces) and (
            token[0].isupper() or not any(p.lower() in numbers for p in pieces)):
        return None     # a short number word makes a cut in lower case only (not "Sixto")
    # a capitalised run (a name?) is cut after a first word of two letters only when the rest
    # are triggers or qualifiers of three letters or more ("Atleast"; not "Noor", "Beman")
    if token[0].isupper() and len(pieces[0]) < 3 and not all(
            len(p) >= 3 and p.lower() in _lead_words() for p in pieces[1:]):
        return None
    return pieces


def join_break(left: str, right: str) -> bool:
    """Whether a word broken as ``left``-``right`` is joined: the joined form is a known word and
    the two pieces are not both words themselves."""
    if not (_cased(left + right.lower()) and right.islower()):
        return False
    joinable = _words()[2]
    low = (left + right).lower()
    if low not in joinable:
        return False
    return not (left.lower() in joinable and right in joinable)


@dataclass(frozen=True)
class Repaired:
    """The fixed text and the map of its positions back into the original."""

    text: str
    original: str
    _at: tuple[int, ...]       # positions of the fixed text where the shift changes
    _shift: tuple[int, ...]    # original position minus fixed position from there on

    def to_original(self, pos: int) -> int:
        """The position in the original text of position ``pos`` of the fixed text (an inserted
        space maps to the character after it, so a start or an end maps alike)."""
        i = bisect.bisect_right(self._at, pos) - 1
        return pos + (self._shift[i] if i >= 0 else 0)

    def span(self, start: int, end: int) -> tuple[int, int]:
        """A span of the fixed text as a span of the original."""
        a = self.to_original(start)
        # the end is just after the last character: after a joined break it stays on the word
        b = self.to_original(end - 1) + 1 if end > start else a
        return a, b

    def slice(self, start: int, end: int) -> str:
        """The original text of a span of the fixed text."""
        a, b = self.span(start, end)
        return self.original[a:b]

    def figure(self, fig):
        """A figure read from the fixed text, with its offsets, quote and number as written in
        the original."""
        start, end = self.span(fig.start, fig.end)
        changes = {"start": start, "end": end}
        q = fig.quote
        if q:
            # the quote is the slice of the fixed text that holds the figure
            qs = self.text.rfind(q, max(0, fig.end - len(q)), fig.start + len(q))
            if qs >= 0:
                changes["quote"] = self.slice(qs, qs + len(q))
        if fig.number_text:
            ns = self.text.find(fig.number_text, fig.start, fig.end)
            if ns >= 0:
                changes["number_text"] = self.slice(ns, ns + len(fig.number_text))
        return dataclasses.replace(fig, **changes)


def _cut(edits: list, start: int, pieces: list[str]) -> None:
    i = start
    for p in pieces[:-1]:
        i += len(p)
        edits.append((i, i, " "))


def _in_address(text: str, pos: int, marks: str = "/@\\_={}<>[]()'\"") -> bool:
    """Whether ``pos`` is inside an address, a file name or code (no prose to mend there): its
    run of non-spaces holds one of ``marks`` or "www", or is very long."""
    before = _TOKEN_BEFORE.search(text, max(0, pos - 40), pos).group()
    token = before + _TOKEN_AFTER.match(text, pos).group()
    return len(before) >= 40 or any(c in token for c in marks) or "www" in token.lower()


def _number_side(text: str, pos: int, step: int) -> bool:
    """A number glued to a word is a number, not a code ("a3f9be12"), when on its other side
    (before ``pos`` for step -1, at ``pos`` for step 1) there is no letter, or known words."""
    if step < 0:
        if not text[pos - 1:pos].isalpha():
            return True
        w = _WORD_BEFORE.search(text, max(0, pos - 30), pos)
    else:
        if not text[pos:pos + 1].isalpha():
            return True
        w = _WORD_AFTER.match(text, pos)
    return w is not None and split_run(w.group(), whole=False) is not None


def _edits(text: str, words=None) -> list[tuple[int, int, str]]:
    """The edits, as (start, end, replacement) in the original text, in order and disjoint.
    ``words``: ``lexicon.words_in(text)`` when the caller has it already."""
    edits: list[tuple[int, int, str]] = []
    if words is None:
        words = words_in(text)
    glued = [w for w in _glue_pattern().findall("\n".join(words)) if split_run(w)]
    if glued:
        if len(glued) <= MAX_ALTERNATION:
            glued.sort(key=len, reverse=True)
            found = re.compile(rf"(?<![^\W\d_])(?:{'|'.join(map(re.escape, glued))})"
                               r"(?![^\W\d_])", re.IGNORECASE).finditer(text)
        else:      # many: one pass over the runs of letters (a long pattern would be slow)
            wanted = set(glued)
            found = (m for m in _LETTERS.finditer(text) if m.group().lower() in wanted)
        for m in found:
            if text[m.start() - 1:m.start()] == "_" or text[m.end():m.end() + 1] == "_":
                continue       # a name in code ("_Noreturn")
            pieces = split_run(m.group())
            if pieces:
                _cut(edits, m.start(), pieces)
    for m in _DIGIT_LETTER.finditer(text):
        d = m.start()
        if _in_address(text, d):
            continue
        if text[d + 1:d + 2].isalpha():             # "2,000people": the number, then words
            w = _WORD_AFTER.match(text, d + 1)
            num = _NUMBER_BEFORE.search(text, max(0, d - 21), d + 1)
            if w is None or num is None or not _number_side(text, num.start(), -1):
                continue
            # words glued on with a capital ("villagersinBihar") are read up to the capital
            lower = _LOWER_PREFIX.match(w.group())
            pieces = split_run(lower.group() if lower else w.group(), whole=False)
            if pieces and len(pieces[0]) >= MIN_DIGIT_SIDE:
                edits.append((d + 1, d + 1, " "))
                _cut(edits, d + 1, pieces)
        else:                                        # "killed12": words, then the number
            w = _WORD_BEFORE.search(text, max(0, d - 30), d)
            num = _NUMBER_AFTER.match(text, d)
            if w is None or num is None or not _number_side(text, num.end(), 1):
                continue
            pieces = split_run(w.group(), whole=False)
            # the word before a number leads to it: a trigger or a qualifier
            if pieces and len(pieces[-1]) >= MIN_DIGIT_SIDE and pieces[-1].lower() in _lead_words():
                edits.append((d, d, " "))
                _cut(edits, w.start(), pieces)
    for m in _PUNCT.finditer(text):
        if _in_address(text, m.start()):
            continue
        if text[m.start()] == "." and \
                _WORD_AFTER.match(text, m.end()).group().lower() not in _words()[0]:
            continue        # "Xiph.Org"; a sentence goes on with a listed word ("attacks.The")
        edits.append((m.end(), m.end(), " "))
    for m in _LOWER_UPPER.finditer(text):
        c = m.start()
        w = _WORD_BEFORE.search(text, max(0, c - 30), c)
        if w is None or not w.group().islower() or _in_address(text, c, _CODE_MARKS):
            continue
        pieces = split_run(w.group(), whole=False)
        if pieces and pieces[-1].lower() in _words()[0]:
            edits.append((c, c, " "))
            if len(pieces) > 1:
                _cut(edits, w.start(), pieces)
    for m in _BREAK.finditer(text):
        a, b = m.span()
        lw = _WORD_BEFORE.search(text, max(0, a - 30), a)
        rw = _WORD_AFTER.match(text, b)
        if not (lw and rw):
            continue
        left, right = lw.group(), rw.group()
        if join_break(left, right):
            edits.append((a, b, ""))
        elif right.islower():
            # joined, the pieces are known words run together ("ki-\nllingat", "beendispla- ced")
            pieces = split_run(left + right)
            if pieces is None:
                continue
            ends = [sum(map(len, pieces[:k + 1])) for k in range(len(pieces) - 1)]
            if len(left) in ends:
                continue                     # the break is between two words: a real hyphen
            edits.append((a, b, ""))
            for k in ends:
                pos = lw.start() + k if k < len(left) else b + k - len(left)
                edits.append((pos, pos, " "))
    if not edits:
        return edits
    edits.sort()
    out = []
    for e in edits:     # the same cut found twice, or a cut inside a joined break: keep the first
        if out and (e[0] < out[-1][1] or e[:2] == out[-1][:2]):
            continue
        out.append(e)
    return out


def repair(text: str, words=None) -> Repaired | None:
    """The text with words run together or broken by PDF extraction repaired, or None when it
    needs no repair. ``words``: ``lexicon.words_in(text)`` when the caller has it already (the
    distinct words are what is searched for words run together)."""
    edits = _edits(text, words)
    if not edits:
        return None
    pieces, at, shift = [], [], []
    pos = 0          # in the original
    fixed_len = 0
    delta = 0        # original minus fixed
    for a, b, rep in edits:
        pieces.append(text[pos:a])
        fixed_len += a - pos
        pieces.append(rep)
        fixed_len += len(rep)
        pos = b
        delta += (b - a) - len(rep)
        # from the character after the edit on, positions shift by delta; an inserted space maps
        # to the character after it
        at.append(fixed_len)
        shift.append(delta)
    pieces.append(text[pos:])
    return Repaired("".join(pieces), text, tuple(at), tuple(shift))
