"""Dates in the text: the date a figure is given for (an article's own date is read with its
structure, in document.py: its dateline or its date line).

A figure is usually as of the article's date. When the text gives it a date of its own ("since
1 March", "as of Tuesday", "killed on 12 October", "in 2013"), the figure keeps that date as
written and as an ISO date: a full date when the text or the article's date gives the year,
"--03-01" when no year is known, "2023-03" or "2013" when the text names only a month or a year.
A weekday ("as of Tuesday") or "yesterday" is read against the article's date, and stays written
only when that date is unknown.
"""
from __future__ import annotations

import re
from datetime import date as Date, timedelta
from functools import cache

from .document import MONTHS

_WEEKDAYS = {"monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4,
             "saturday": 5, "sunday": 6}
_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
_DAY = r"(?P<{}>[0-3]?\d)(?:st|nd|rd|th)?"


@cache
def _pattern() -> re.Pattern:
    day_month = rf"{_DAY.format('d1')}\s+(?:of\s+)?(?P<m1>{_MONTH})\.?"
    month_day = rf"(?P<m2>{_MONTH})\.?\s+{_DAY.format('d2')}(?![\d,]\d)"
    year = r"(?:,?\s+(?P<y>(?:19|20)\d\d))?"
    month_year = rf"(?P<m3>{_MONTH})\.?\s+(?P<y3>(?:19|20)\d\d)"
    weekday = r"(?P<wd>monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
    return re.compile(
        rf"\b(?P<prep>since|as\s+of|as\s+at|as\s+on|by|on|until|till|through|up\s+to|from|in|"
        rf"during|between)?\s*(?:the\s+)?"
        rf"(?:(?:{day_month}|{month_day}){year}(?!\w)|{month_year}\b|"
        rf"(?P<y4>(?:19|20)\d\d)\b(?![,.]?\d)(?!\s*(?:people|persons|civilians|families|"
        rf"households|residents|refugees))|"
        rf"(?:(?:late|early)\s+(?:on\s+)?)?{weekday}\b|(?P<yd>yesterday))", re.IGNORECASE)


_ABBREVIATED_MONTHS = frozenset(m for m in MONTHS if len(m) <= 4 and m != "june" and m != "july")
_DATE_WORDS = frozenset([*MONTHS, *_WEEKDAYS, "yesterday"])
_YEAR = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")


# a figure of long ago, told beside a date of today: an anniversary
_LONG_AGO = re.compile(r"\b(?:\w+[ \t-]+(?:years?|decades?)[ \t]+(?:after|since|ago)"
                       r"|anniversary[ \t]+of)\b", re.I)


def figure_date(text: str, lo: int, hi: int, pos: int, article_date: str,
                words: set[str] | None = None) -> tuple[str, str]:
    """The date text[lo:hi] (the part of a sentence a figure belongs to) gives for the figure
    at ``pos``, as (ISO date, phrase as written); ("", "") when it gives none or the same date as
    the article (``article_date``: ISO, "--MM-DD", or ""). ``words``: the lower-cased words of
    the sentence, when the caller has them (a sentence with no month, weekday or year is skipped
    at once)."""
    if words is not None and words.isdisjoint(_DATE_WORDS) and not _YEAR.search(text, lo, hi):
        return "", ""
    if _LONG_AGO.search(text, max(lo, pos - 120), pos):
        return "", ""      # "Ten years after the typhoon killed 6,300, survivors met on Sunday"
    best = None
    for m in _pattern().finditer(text, lo, hi):
        prep = (m["prep"] or "").lower()
        if m["y4"] and prep not in ("since", "in", "by", "until", "during", "from", "as of"):
            continue     # a bare four-digit number is a count as often as a year
        if m["wd"] and prep not in ("", "on", "since", "as of", "as at", "by", "until", "from"):
            continue
        # a date after the number first ("14 died on 2 October, and 9 on Saturday"), then the
        # nearest before it ("As of Tuesday, 61 ...")
        distance = (0, m.start() - pos) if m.start() >= pos else (1, pos - m.end())
        if best is None or distance < best[0]:
            best = (distance, m)
    if best is None:
        return "", ""
    m = best[1]
    iso = _iso(m, article_date)
    if iso and iso == article_date[:len(iso)] and len(iso) == len(article_date):
        return "", ""        # the article's own date: nothing to add
    phrase = " ".join(m.group().split())
    if phrase.endswith(".") and phrase[:-1].split()[-1].lower() not in _ABBREVIATED_MONTHS:
        phrase = phrase[:-1]        # the sentence's full stop after "since 10 August."
    return iso, phrase


def _iso(m: re.Match, article_date: str) -> str:
    ref = _full(article_date)
    if m["yd"]:
        return (ref - timedelta(days=1)).isoformat() if ref else ""
    if m["wd"]:
        if ref is None:
            return ""
        back = (ref.weekday() - _WEEKDAYS[m["wd"].lower()]) % 7
        return (ref - timedelta(days=back)).isoformat()
    if m["y4"]:
        return m["y4"]
    if m["m3"]:
        return f"{int(m['y3']):04d}-{MONTHS[m['m3'].lower().rstrip('.')]:02d}"
    month = MONTHS[(m["m1"] or m["m2"]).lower().rstrip(".")]
    day = int(m["d1"] or m["d2"])
    if not 1 <= day <= 31:
        return ""
    if m["y"]:
        year = int(m["y"])
    elif ref is not None:
        # a date after the article's day is last year's ("since 20 December", in January)
        year = ref.year if (month, day) <= (ref.month, ref.day) else ref.year - 1
    else:
        return f"--{month:02d}-{day:02d}"
    try:
        return Date(year, month, day).isoformat()
    except ValueError:
        return ""


def _full(iso: str) -> Date | None:
    try:
        return Date.fromisoformat(iso[:10]) if len(iso) >= 10 and not iso.startswith("--") else None
    except ValueError:
        return None
