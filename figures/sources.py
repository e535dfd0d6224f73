"""Attribution: who a sentence credits ("according to the UN", "the Observatory said",
"U.N. Humanitarian Coordinator Lise Grande told Reuters"). The words are in lexicon/attribution.toml.

A source is only ever taken from the text. Short references ("the Observatory", "he", "the
monitoring group") are resolved to the fuller name the same article gave earlier; when there is
none, the reference is kept as written, never guessed.
"""
from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from functools import cache, lru_cache

from .lexicon import first_words, load, where_words, words_in


@dataclass(slots=True)
class Attribution:
    start: int
    end: int
    source: str          # as it should be shown: "Syrian Observatory for Human Rights"
    kind: str            # "according", "speaker", "pronoun", "descriptor"


def _alt(words) -> str:
    return "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in sorted(set(words), key=len, reverse=True))


_INVERTED = ("said", "says", "added", "adds", "noted", "stated", "explained", "wrote", "reported")


@cache
def _patterns():
    data = load("attribution")
    verbs = _alt(data["speech_verbs"])
    # what a source phrase may be made of: up to ten words, no sentence punctuation
    phrase = r"[A-Za-z\u00c0-\u024f][\w.'’\-&]*(?:\s+(?:[\w.'’\-&]+)){0,9}?"
    return {
        "according": re.compile(
            rf"\b(?:{_alt(data['before_source'])})\s+(?P<src>{phrase})"
            rf"(?=\s*(?:[,.;:)\"”]|$|\s+(?:on|in|at|as|which|who|that|and|while|since|after|"
            rf"last|this|earlier|from|with|for)\b))", re.IGNORECASE),
        # a speech verb right after a word; the words before it are checked by _has_subject_tail
        "speaker": re.compile(rf"(?<=[\w.'’\-&])\s+(?P<verb>{verbs})\b", re.IGNORECASE),
        "inverted": re.compile(
            rf"(?:[,\"”’]|^)\s*(?:{'|'.join(_INVERTED)})\s+"
            rf"(?P<src>{phrase})\s*(?=[.,;]|$)", re.IGNORECASE),
        # the pre-filter: a sentence with none of these words credits nobody
        "cue_words": first_words([*data["before_source"], *data["speech_verbs"], *_INVERTED]),
        "according_words": first_words(data["before_source"]),
        "speaker_words": first_words(data["speech_verbs"]),
        "inverted_words": first_words(_INVERTED),
        "descriptors": {d.lower() for d in data["descriptors"]},
        "pronouns": {p.lower() for p in data["pronouns"]},
        "not_sources": {n.lower() for n in data["not_sources"]},
        "times": {t.lower() for t in load("times")["words"]},
    }


# up to ten words (the first starting with a letter) ending right before a speech verb: the text
# before the verb is read backwards, so the pattern is tried once instead of at every character
_SUBJECT_TAIL_REVERSED = re.compile(r"\s+(?:[\w.'’\-&]+\s+){0,9}[\w.'’\-&]*[A-Za-z\u00c0-\u024f]")
_SUBJECT_REACH = 400


def _has_subject_tail(sentence: str, lo: int, verb_start: int) -> bool:
    """Does sentence[lo:verb_start] end with up to ten words, the first starting with a letter,
    and the space before the verb?"""
    return _SUBJECT_TAIL_REVERSED.match(sentence[lo:verb_start][::-1]) is not None
_PASSIVE = re.compile(r"\b(?:is|are|was|were|been|be)\s+$", re.I)
_TO = re.compile(r"\s+to\b")
_LEADING = re.compile(r"^(?:the|a|an)\s+", re.I)
_CLAUSE_MARKS = "[,;:“”\"(—–]"
_CLAUSE_WORDS = ("that", "and", "but", "while", "as", "after", "because", "when", "which", "who",
                 "where", "if", "though", "although", "since", "so")
_CLAUSE = re.compile(rf"{_CLAUSE_MARKS}|\b(?:{'|'.join(_CLAUSE_WORDS)})\b", re.I)
# the same pattern for the text read backwards (each word spelt backwards): the last boundary
# before a verb is then the first match, found without reading the whole clause
_CLAUSE_REVERSED = re.compile(rf"{_CLAUSE_MARKS}|\b(?:{'|'.join(w[::-1] for w in _CLAUSE_WORDS)})\b",
                              re.I)
_STOP = re.compile(r"\d|%", re.I)


@lru_cache(maxsize=16384)
def clean_source(text: str) -> str:
    """ "the Britain-based Syrian Observatory for Human Rights war monitor" ->
    "Syrian Observatory for Human Rights"."""
    t = " ".join(text.split()).strip(" ,.;:'\"“”’‘")
    t = re.sub(r"^(?:the|a|an)\s+", "", t, flags=re.I)
    t = re.sub(r"^(?:[A-Z][\w.]*-based|[a-z]+-based)\s+", "", t)
    t = re.sub(r"\s+(?:war\s+)?monitor(?:ing group)?$", "", t) if re.search(r"[A-Z]\w+\s+\w", t) else t
    t = re.sub(r"['’]s$", "", t)
    return t


_SUBJECT_WINDOW = 600    # a source is at most nine words: its clause boundary is never further back


def _last_boundary(sentence: str, end: int) -> int | None:
    """Where the clause ending at ``end`` starts (after the last boundary before it); 0 when the
    sentence has none; None when there is none in the last _SUBJECT_WINDOW characters (then the
    clause is far too long to be a source's name)."""
    lo = max(0, end - _SUBJECT_WINDOW)
    # one character more on the left, so a word starting at lo sees what stands before it
    ext = max(0, lo - 1)
    m = _CLAUSE_REVERSED.search(sentence[ext:end][::-1])
    if m is None or end - m.end() < lo:
        return 0 if lo == 0 else None
    return end - m.start()


def _subject_before(sentence: str, verb_start: int) -> tuple[int, str] | None:
    """The noun phrase right before a speech verb, back to the clause boundary."""
    cut = _last_boundary(sentence, verb_start)
    if cut is None:
        return None
    src = sentence[cut:verb_start].strip()
    if src[:1].islower() and sentence[:cut].rstrip().endswith(","):
        # "Ahmed Saleh, director of the main hospital, told Reuters": the name before the aside
        before_end = len(sentence[:cut].rstrip()) - 1
        start = _last_boundary(sentence, before_end) if before_end > 0 else None
        prev = sentence[start:before_end].strip() if start is not None else ""
        m = re.search(r"(?:[A-Z][\w.'’\-]+\s+){0,4}[A-Z][\w.'’\-]+$", prev)
        if m and m.group() == prev and prev.split()[-1].lower() not in _patterns()["times"]:
            return before_end - len(prev), prev
    # auxiliaries stay with the verb: "the office is calling", "officials have said"
    src = re.sub(r"\s+(?:is|are|was|were|has|have|had|also|later|previously|earlier|had\s+earlier)$",
                 "", src, flags=re.I)
    if not src or len(src.split()) > 9 or _STOP.search(src):
        return None
    return cut + (verb_start - cut - len(sentence[cut:verb_start].lstrip())), src


def find_attributions(text: str, start: int, end: int,
                      words: set[str] | None = None) -> list[Attribution]:
    """Every attribution in the sentence text[start:end]. ``words``: ``words_in(text, start, end)``
    when the caller has it already."""
    p = _patterns()
    if words is None:
        words = words_in(text, start, end)
    if words.isdisjoint(p["cue_words"]):
        return []
    sentence = text[start:end]
    found: list[Attribution] = []
    # each pattern runs only when the first word of one of its phrases is in the sentence
    for m in (p["according"].finditer(sentence)
              if not words.isdisjoint(p["according_words"]) else ()):
        src = clean_source(m["src"])
        if src and src.lower() not in p["not_sources"]:
            found.append(Attribution(start + m.start(), start + m.end(), src, _kind(src)))
    for m in (p["inverted"].finditer(sentence)
              if not words.isdisjoint(p["inverted_words"]) else ()):
        src = clean_source(m["src"])
        if src and src[0].isupper() and src.lower() not in p["not_sources"] and len(src.split()) <= 9:
            found.append(Attribution(start + m.start("src"), start + m.end("src"), src, _kind(src)))
    taken = 0     # a subject starts after the previous speech verb
    for m in _speech_verbs(sentence, words & p["speaker_words"]):
        verb_start = m.start("verb")
        if m.start() < taken or not _has_subject_tail(
                sentence, max(taken, verb_start - _SUBJECT_REACH), verb_start):
            continue
        taken = m.end()
        if _PASSIVE.search(sentence, max(0, verb_start - 12), verb_start) \
                and _TO.match(sentence, m.end("verb")):
            continue    # "Raqqa is said to be hosting": passive, nobody is credited
        sub = _subject_before(sentence, m.start("verb"))
        if sub is None:
            continue
        offset, raw = sub
        src = clean_source(raw)
        low = src.lower()
        if not src or low in p["not_sources"] or low.split()[0] in p["not_sources"] - p["pronouns"]:
            continue
        if any(a.start <= start + offset < a.end for a in found):
            continue
        kind = _kind(src)
        if kind == "speaker" and not (src[0].isupper() or _generic_source(low)):
            continue   # "the fighting reported" is not a source; "officials said" is
        found.append(Attribution(start + offset, start + m.end("verb"), src, kind))
    return sorted(found, key=lambda a: a.start)


def _speech_verbs(sentence: str, firsts: set[str]):
    """What ``_patterns()["speaker"].finditer(sentence)`` finds, tried only at the words in
    ``firsts`` (the sentence's words that open a speech verb): a match starts where the spaces
    before such a word start."""
    speaker = _patterns()["speaker"]
    end = 0
    for p in where_words(firsts, sentence):
        q = p
        while q > 0 and sentence[q - 1].isspace():
            q -= 1
        if q == p or q < end:
            continue
        m = speaker.match(sentence, q)
        if m:
            end = m.end()
            yield m


def _generic_source(low: str) -> bool:
    """Uncapitalised sources an analyst still records: "officials", "rebel sources", "state media"."""
    return bool(re.search(r"\b(?:officials?|sources|media|authorities|activists|residents|"
                          r"witnesses|monitors?|groups?|agenc(?:y|ies)|ministry|police|army|"
                          r"military|government|spokes(?:man|woman|person)|doctors|medics|rescuers|"
                          r"workers|officers|commanders?|council|statement|report|organisations?|"
                          r"organizations?|charity|charities|ngos?|responders)$", low))


def _kind(src: str) -> str:
    p = _patterns()
    low = src.lower()
    if low in p["pronouns"]:
        return "pronoun"
    if low in p["descriptors"] or (low.split()[-1] in p["descriptors"] and not src[0].isupper()):
        return "descriptor"
    return "speaker"


_NAME_RUN = re.compile(r"(?:[A-Z][\w.'’\-]*)(?:\s+(?:(?:of|for|the|and|de|al|el)\s+){0,3}[A-Z][\w.'’\-]*){0,7}")


class NameRuns:
    """The runs of capitalised words ("Syrian Observatory for Human Rights") in text[start:end],
    found once, then asked for those before a position: what ``earlier`` text names, in linear time
    however long the article. Each name is listed once, where it first appears."""

    def __init__(self, text: str, start: int, end: int):
        self.text = text
        self.matches = list(_NAME_RUN.finditer(text, start, end))
        self.ends = [m.end() for m in self.matches]
        self._unique: list[str] = []
        self._seen: set[str] = set()
        self._unique_after: list[int] = [0]    # len(_unique) after the first i matches

    def before(self, pos: int) -> list[str]:
        """The distinct cleaned runs of text[start:pos], as a search of that slice alone finds them."""
        i = bisect.bisect_right(self.ends, pos)
        while len(self._unique_after) <= i:
            run = clean_source(self.matches[len(self._unique_after) - 1].group())
            if run not in self._seen:
                self._seen.add(run)
                self._unique.append(run)
            self._unique_after.append(len(self._unique))
        runs = self._unique[:self._unique_after[i]]
        if i < len(self.matches) and self.matches[i].start() < pos:
            # a run that goes on past pos: the part before pos, as a search of the slice finds it
            runs.append(clean_source(_NAME_RUN.match(self.text, self.matches[i].start(), pos).group()))
        return runs


def expand_name(short: str, earlier: list[str], head_noun: bool = False) -> str:
    """The fullest name among the ``earlier`` runs (see ``NameRuns``) that contains ``short``
    ("Abdel Rahman" -> "Rami Abdel Rahman", "Observatory" -> "Syrian Observatory for Human Rights")."""
    if not short or not short[0].isupper():
        return short
    best = short
    for run in earlier:
        if short in run and len(run) > len(best) and len(run.split()) <= 8:
            if head_noun and not re.search(rf"{re.escape(short)}(?:\s+(?:of|for|on)\s+.*)?$", run):
                continue    # "Observatory chief Rami Abdel Rahman" is a person, not the Observatory
            best = run
    return best


def resolve(attribution: Attribution, earlier_sources: list[str], earlier_runs) -> str:
    """The source to record for an attribution, given what the article said before it: the
    sources credited so far and a callable giving the name runs of the earlier text (called only
    when a short name needs its fuller form)."""
    src = attribution.source
    if attribution.kind == "pronoun":
        people = [s for s in reversed(earlier_sources) if _looks_like_person(s)]
        return people[0] if people else ""
    if attribution.kind == "descriptor":
        head = src.split()[-1]
        # an organisation named earlier whose head noun this is: "the Observatory" ->
        # "Syrian Observatory for Human Rights"
        named = expand_name(head[0].upper() + head[1:], earlier_runs(), head_noun=True)
        if named.lower() != head.lower():
            return named
        for s in reversed(earlier_sources):
            if head.lower() in s.lower():
                return s
        return src
    if len(src.split()) > 3:
        return src
    full = expand_name(src, earlier_runs())
    # only a fuller form of the same name: "Abdel Rahman" -> "Rami Abdel Rahman", never
    # "United Nations" -> "United Nations Security Council"
    return full if full.endswith(src) else src


def _looks_like_person(src: str) -> bool:
    words = src.split()
    return 2 <= len(words) <= 6 and all(w[0].isupper() for w in words[-2:]) and not re.search(
        r"\b(?:Observatory|Ministry|Nations|Office|Council|Agency|Forces|Committee|Organi[sz]ation|"
        r"Network|Watch|Group|Media|UN|U\.N\.)\b", src)
