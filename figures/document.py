"""A document's structure: articles, paragraphs, sentences, titles and datelines, as character spans.

Web pages hold several articles and a lot of clutter ("Latest news", "Leave a Reply", teasers of
other stories). This module finds where each article starts and ends, which lines are clutter, and
where each sentence lies, without ever changing the text: every span is an offset into the
original, so a figure's quote and offsets point at what the document says.
"""
from __future__ import annotations

import contextvars
import time

import re as std_re    # the standard module, for the small patterns on one line or sentence
import regex as re     # the regex module, for its timeout (see structure)
from dataclasses import dataclass, field
from functools import cache

from .lexicon import load

MAX_LINE = 20_000  # a "line" longer than this is cut into pieces: keeps every pattern linear


@dataclass(slots=True)
class Sentence:
    start: int
    end: int
    paragraph: int          # index of its paragraph in the article
    first_in_paragraph: bool
    paragraph_sentences: int  # how many sentences its paragraph holds


@dataclass(slots=True)
class Dateline:
    place_start: int
    place_end: int
    month: int | None
    day: int | None
    year: int | None
    end: int                # where the dateline stops and the story starts


@dataclass(slots=True)
class Article:
    index: int
    start: int
    end: int
    title: tuple[int, int] | None = None
    dateline: Dateline | None = None
    sentences: list[Sentence] = field(default_factory=list)
    # (month, day, year or None) of a line that is only a date near the top ("Thursday,
    # January 24, 2019"): the day the story was published, when it has no dateline
    date_line: tuple[int, int, int | None] | None = None


MONTHS = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4, "apr": 4,
    "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8, "september": 9,
    "sep": 9, "sept": 9, "october": 10, "oct": 10, "november": 11, "nov": 11, "december": 12,
    "dec": 12,
}
_MONTH = r"(?i:" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"

# "London, 14 Jun –", "AMMAN, July 4 (Reuters) -", "Daraa (Syria) : –", "Vienna, July 5 (IANS)",
# "GENEVA, 3 March 2024 -". Bounded everywhere: no part can run away on a long line.
DATELINE = std_re.compile(     # read on at most 160 characters
    rf"(?:[A-Z][\w&.' ]{{0,30}}:\s+)?"                       # "Iran Focus: " (outlet prefix)
    rf"(?P<place>[A-Z][A-Za-z'.\-]{{1,25}}(?:[ \-][A-Z][A-Za-z'.\-]{{1,25}}){{0,3}})"
    rf"(?:\s*\((?P<paren>[A-Za-z .]{{2,30}})\))?"
    rf"(?:,\s*(?!{_MONTH}\b)(?P<country>[A-Z][A-Za-z.]{{1,25}}(?:\s[A-Z][A-Za-z.]{{1,25}}){{0,2}}))?"
    rf"(?:,?\s*(?:(?P<d1>\d{{1,2}})\s+(?P<m1>{_MONTH})|(?P<m2>{_MONTH})\s+(?P<d2>\d{{1,2}}))"
    rf"(?:,?\s+(?P<year>(?:19|20)\d\d))?)?"
    rf"(?:\s*\((?P<agency>[A-Za-z .]{{2,30}})\))?"
    rf"\s*(?P<sep>(?:[:\-–—]\s*){{1,3}})?",
)


# Patterns used on one line or one sentence at a time, compiled once: the regex module looks a
# pattern given as a string up at every call, which costs more than the match itself here.
_NOT_KEY = std_re.compile(r"[^a-z0-9 ]+")
_DASH = std_re.compile(r"[\-–—]")
_HEADING_END = std_re.compile(r"[.!?:;\"”]$")
_WRAPS_END = std_re.compile(r"[.!?:;\"”’)]$")
_ENDS_SENTENCE = std_re.compile(r"[.!?…\"”’)]$")
_LINE = re.compile(r"[^\n]*")


@cache
def _boilerplate():
    data = load("boilerplate")
    norm = lambda s: _NOT_KEY.sub("", s.lower()).strip()  # noqa: E731
    return (
        {norm(x) for x in data["article_end"]},
        {norm(x) for x in data["teasers"]},
        tuple(x.lower() for x in data["line_starts"]),
        {norm(x) for x in data["section_labels"]},
        norm,
    )


def _lines(text: str):
    """(start, end) of every line, long lines cut into MAX_LINE pieces."""
    for m in _LINE.finditer(text, timeout=_time_left()):
        if m.start() == m.end() and m.start() > 0 and text[m.start() - 1] != "\n":
            continue    # the empty match right after a line's text; a real blank line (an empty
                        # match at a line's start) still yields one
        s, e = m.start(), m.end()
        while e - s > MAX_LINE:
            yield s, s + MAX_LINE
            s += MAX_LINE
        yield s, e


def parse_dateline(text: str, start: int, end: int) -> Dateline | None:
    """The dateline that opens the paragraph text[start:end], if it has one."""
    m = DATELINE.match(text, start, min(end, start + 160))
    if not m:
        return None
    has_date = bool(m["m1"] or m["m2"])
    if not m["sep"] and not (has_date and m["agency"]):
        return None
    if not (has_date or m["paren"] or m["agency"]) and not (
            m["place"].isupper() and len(m["place"]) > 2 and _DASH.search(m["sep"])):
        # "Daraa (Syria) : –" has no date but a country in brackets, "KABUL, Afghanistan —" a
        # place in capitals and a dash; a bare "Word:" does not count
        return None
    if m["place"].isupper() is False and len(m["place"].split()) > 3:
        return None
    month = MONTHS.get((m["m1"] or m["m2"] or "").lower().rstrip("."))
    day = int(m["d1"] or m["d2"]) if has_date else None
    year = int(m["year"]) if m["year"] else None
    if day is not None and not 1 <= day <= 31:
        return None
    return Dateline(m.start("place"), m.end("place"), month, day, year, m.end())


_DATE_LINE = std_re.compile(
    rf"(?:(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday),?\s+)?"
    rf"(?:(?P<d1>[0-3]?\d)(?:st|nd|rd|th)?\s+(?P<m1>{_MONTH})|(?P<m2>{_MONTH})\s+"
    rf"(?P<d2>[0-3]?\d)(?:st|nd|rd|th)?)(?:,?\s+(?P<y>(?:19|20)\d\d))?\s*", std_re.IGNORECASE)


def date_line(line: str) -> tuple[int, int, int | None] | None:
    """(month, day, year) when ``line`` is only a date ("Thursday, January 24, 2019", "24 Jan"),
    as web pages print the day a story was published on a line of its own; else None."""
    if len(line) > 40:
        return None
    m = _DATE_LINE.fullmatch(line.strip())
    if not m:
        return None
    day = int(m["d1"] or m["d2"])
    if not 1 <= day <= 31:
        return None
    return MONTHS[(m["m1"] or m["m2"]).lower().rstrip(".")], day, int(m["y"]) if m["y"] else None


_ABBREVIATIONS = std_re.compile(     # read on the 12 characters before a full stop
    r"(?:\b(?:[A-Z]\.){1,3}|\b(?:Mr|Mrs|Ms|Dr|Gen|Col|Lt|Sgt|Capt|Maj|Gov|Sen|Rep|St|No|Nos|Jan|Feb|"
    r"Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec|Prof|Rev|Brig|Cpl|Pte|vs|etc|approx|est|Inc|Ltd|Co|"
    r"a\.m|p\.m|e\.g|i\.e|U\.S|U\.N|U\.K)\.)$"
)
# a run of end marks is tried once, from its start, and never given back: a page of 100,000 dots
# costs one pass, not one pass per dot (tests/test_regex_safety.py)
_SENTENCE_END = re.compile(r"(?<![.!?…])(?:[.!?…]++[\"'”’)\]]*+(?=\s+[\"'“‘(\[]?[A-Z0-9])"
                           r"|[.!?]++[\"'”’)\]]*+\s*$)")


def split_sentences(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Sentence spans inside text[start:end]."""
    spans = []
    s = start
    for m in _SENTENCE_END.finditer(text, start, end, timeout=_time_left()):
        head = text[max(s, m.start() - 12):m.end()].rstrip("\"'”’)] \t")
        if _ABBREVIATIONS.search(head) and not text[m.start():m.end()].startswith(("!", "?")):
            # "U.N. Humanitarian Coordinator", "Gen. Smith": not a sentence end
            # (unless the abbreviation closes the paragraph)
            if m.end() < end and text[m.end():end].strip():
                continue
        e = m.end()
        if text[s:e].strip():
            spans.append((s, e))
        s = e
    if text[s:end].strip():
        spans.append((s, end))
    # trim whitespace inside each span
    out = []
    for a, b in spans:
        while a < b and text[a].isspace():
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
        if a < b:
            out.append((a, b))
    return out


_STORY_MIN = 150        # a related story's first paragraph under its headline is this long at least
_STORY_ALONE_MIN = 400  # and without a headline, this long


def _is_story_text(line: str, under_headline: bool) -> bool:
    """Is this line (in a list of teasers) the text of a story of its own, not a snippet?"""
    return (len(line) > (_STORY_MIN if under_headline else _STORY_ALONE_MIN)
            and bool(_ENDS_SENTENCE.search(line)) and not line.endswith(("...", "…"))
            and len(split_sentences(line, 0, len(line))) >= 2)


def _is_heading(line: str) -> bool:
    """A short line with no sentence punctuation at its end: a headline or a section label."""
    stripped = line.strip()
    return len(stripped) < 160 and not _HEADING_END.search(stripped)


_DEADLINE: contextvars.ContextVar[float | None] = contextvars.ContextVar("deadline", default=None)


def _time_left() -> float | None:
    """Seconds left before the caller's deadline, for the patterns that run over a whole document."""
    deadline = _DEADLINE.get()
    return None if deadline is None else max(deadline - time.monotonic(), 0.001)


def structure(text: str, deadline: float | None = None) -> list[Article]:
    """The articles of a document, with their paragraphs and sentences.

    ``deadline`` (a ``time.monotonic()`` value): the patterns that read the whole document stop
    there with ``TimeoutError`` (the regex module's timeout), a backstop behind the bounded
    patterns, so no text can hold the engine for ever."""
    global _last
    last = _last
    if last is not None and last[0] is text:
        return last[1]      # the same text again (ingest asks for a title after extracting)
    token = _DEADLINE.set(deadline)
    try:
        articles = _structure(text)
    finally:
        _DEADLINE.reset(token)
    _last = (text, articles)
    return articles


# the last text structured and its articles (nobody changes an Article once it is made)
_last: tuple[str, list[Article]] | None = None


def _structure(text: str) -> list[Article]:
    """Split a document into articles of paragraphs and sentences, leaving out the clutter."""
    ends, teasers, starts, labels, norm = _boilerplate()
    articles: list[Article] = []
    paragraphs: list[list[tuple[int, int]]] = []  # per current article: list of line spans
    current: Article | None = None
    mode = "article"          # "article", "between" (after an end marker), "teasers"
    pending_title: tuple[int, int] | None = None
    prev_line_wraps = False

    def close():
        nonlocal current, paragraphs
        if current is not None:
            _fill(text, current, paragraphs)
            if current.sentences or current.title:
                articles.append(current)
        current, paragraphs = None, []

    for s, e in _lines(text):
        raw = text[s:e]
        stripped = raw.strip()
        if not stripped:
            prev_line_wraps = False
            if paragraphs and paragraphs[-1]:
                paragraphs.append([])
            continue
        key = norm(stripped)
        low = stripped.lower()
        if key in teasers:
            close()
            mode = "teasers"
            pending_title = None
            continue
        if key in ends:
            close()
            mode = "between"
            pending_title = None
            continue
        if low.startswith(starts) or (key in labels and len(stripped) < 40):
            continue
        if mode == "teasers":
            # Skip headlines and snippets until a real story: a long paragraph with a dateline,
            # or a headline over a paragraph of whole sentences (a related story with its own
            # text; a teaser's snippet is short or breaks off with "...")
            if len(stripped) > 60 and parse_dateline(text, s + raw.index(stripped[0]), e) \
                    or _is_story_text(stripped, pending_title is not None):
                mode = "article"
                current = Article(len(articles), pending_title[0] if pending_title else s, e,
                                  title=pending_title)
                paragraphs = [[]]
            else:
                pending_title = (s, e) if _is_heading(stripped) else None
                continue
        if mode == "between" or current is None:
            mode = "article"
            current = Article(len(articles), s, e)
            paragraphs = [[]]
        if stripped.endswith(("...", "…")) and len(stripped) < 300 and current.title:
            continue  # a teaser snippet inside the page
        a = s + (len(raw) - len(raw.lstrip()))
        b = s + len(raw.rstrip())
        if not paragraphs or not paragraphs[-1]:
            paragraphs.append([]) if not paragraphs else None
            paragraphs[-1].append((a, b))
        elif prev_line_wraps and stripped[:1].islower():
            paragraphs[-1].append((a, b))   # a wrapped line continues its paragraph
        elif prev_line_wraps and not _is_heading(text[paragraphs[-1][-1][0]:paragraphs[-1][-1][1]]):
            paragraphs[-1].append((a, b))
        else:
            paragraphs.append([(a, b)])
        prev_line_wraps = not _WRAPS_END.search(stripped)
        current.end = b
    close()
    return articles


def _fill(text: str, article: Article, paragraphs: list[list[tuple[int, int]]]) -> None:
    """Sentences, title and dateline of one article from its paragraphs."""
    paras = [p for p in paragraphs if p]
    if not paras:
        return
    first_s, first_e = paras[0][0][0], paras[0][-1][1]
    if article.title is None and _is_heading(text[first_s:first_e]):
        article.title = (first_s, first_e)
    for idx, lines in enumerate(paras):
        pieces = []
        for a, b in lines:
            pieces.extend(split_sentences(text, a, b))
        # a line that does not end a sentence runs on into the next one: join them
        merged: list[tuple[int, int]] = []
        for a, b in pieces:
            if merged and not _ENDS_SENTENCE.search(text, merged[-1][0], merged[-1][1]) \
                    and text[a:a + 1].islower():
                merged[-1] = (merged[-1][0], b)
            else:
                merged.append((a, b))
        if article.dateline is None and idx < 6:
            d = parse_dateline(text, lines[0][0], lines[-1][1])
            if d is not None and len(text[lines[0][0]:lines[-1][1]]) > 60:
                article.dateline = d
        if article.date_line is None and idx < 4 and len(lines) == 1:
            article.date_line = date_line(text[lines[0][0]:lines[0][1]])
        for j, (a, b) in enumerate(merged):
            article.sentences.append(Sentence(a, b, idx, j == 0, len(merged)))
