"""The extraction engine: one document's text in, its humanitarian figures with provenance out.

For every number phrase in a sentence the engine asks, in this order:
1. is it a count of people at all (not a date, a percentage, money, a distance, houses)?
2. which words decide its category: a trigger inside its noun phrase ("displaced civilians"),
   the predicate that follows it ("were killed", "believed to be still trapped"), the word that
   governs it ("killing 12", "the evacuation of 2,000"), else the nearest trigger in its clause;
3. is that statement hypothetical or denied ("could displace", "no one was killed")?
4. who are they, where, who says so, and when?
The word lists live in ``lexicon/``; this module holds only the rules that use them.
"""
from __future__ import annotations

import bisect
import dataclasses
import re
import time
from collections import Counter
from dataclasses import dataclass, replace
from datetime import date as Date
from functools import cache, lru_cache

from . import places as gz
from .dates import figure_date
from .document import Article, Sentence, structure
from .lexicon import (LETTERS, bodies_of_kind, first_words, load, word_forms,
                      word_positions, words_in)
from .numbers import NumberPhrase, find_numbers
from .reading import UnreadableDocument
from .schema import Figure
from .sources import (BULLET_MARKS, NO_CREDIT, ArticleSources, Attribution, Credit, credit_for,
                      find_attributions, parse_credit)

EXTRACTOR_VERSION = "0.8.0"

# The backstop against a pathological document: every pattern is bounded (tests/test_regex_safety.py
# checks it), and the engine also gives up on a document that takes longer than this, with an error
# for that document alone. Normal text runs at about a second per MB on one core.
TIME_LIMIT_S = 30.0          # per document, plus TIME_LIMIT_PER_MB_S for each MB of text
TIME_LIMIT_PER_MB_S = 30.0

WINDOW_WORDS = 14          # how far a trigger may stand from its number
MAX_SENTENCE = 5_000       # longer "sentences" (tables, run-on text) are read in pieces of this size
                           # (see _in_pieces)


# ---------------------------------------------------------------------------------------------
# Word lists compiled into patterns, once per process


def _phrase_regex(phrase: str) -> str:
    parts = [re.escape(p.strip()).replace(r"\ ", r"\s+") for p in phrase.split("...")]
    return r"(?:\s+[\w'’\-]+){0,4}?\s+".join(parts)


def _alternation(phrases) -> str:
    return "|".join(_phrase_regex(p) for p in sorted(set(phrases), key=len, reverse=True))


def _by_first_word(phrases) -> dict[str, re.Pattern]:
    """The pattern of a word list split by the first word of its phrases: at a place where a
    given word stands, only the phrases that start with it can match, in the same order."""
    groups: dict[str, list[str]] = {}
    for p in phrases:
        m = LETTERS.search(p)
        if m:
            groups.setdefault(m.group().lower(), []).append(p)
    return {w: re.compile(rf"\b(?:{_alternation(ps)})\b", re.I) for w, ps in groups.items()}


@dataclass(frozen=True)
class _Group:
    who: str
    unit: str
    combatant: bool


@cache
def _lexicon():
    trig = load("triggers")
    groups = load("groups")
    triggers = []   # (category, side, regex)
    every_trigger = set()
    trigger_words = []     # for each of triggers, the first words of its phrases
    trigger_index = []     # for each of triggers, its pattern split by first word
    for cat in ("killed", "injured", "missing", "trapped", "displaced"):
        for side in ("terms", "before", "after", "movement"):
            words = trig[cat].get(side, [])
            if words:
                kind = "after" if side == "movement" else side    # movement: after the number only
                triggers.append((cat, kind, re.compile(rf"\b(?:{_alternation(words)})\b", re.I)))
                trigger_words.append(first_words(words))
                trigger_index.append(_by_first_word(words))
                every_trigger.update(words)
    noun_of = {}
    for key, g in groups.items():
        if key in ("not_people", "one_person"):
            continue
        grp = _Group(g.get("who", key), g["unit"], g["combatant"])
        for n in g["nouns"]:
            noun_of[n.lower()] = grp
    nouns = sorted(noun_of, key=len, reverse=True)
    adjective = {k.lower(): v for k, v in groups["not_people"].get("adjective_before", {}).items()}

    def noun(n: str) -> str:    # "minor", unless it is "minor injuries"
        after = adjective.get(n)
        return _phrase_regex(n) + (rf"(?!\s+(?:{_alternation(after)})\b)" if after else "")
    return {
        "triggers": triggers,
        # the pre-filter: a sentence without the first word of any trigger states no figure
        "trigger_words": first_words(every_trigger),
        "words_of_trigger": trigger_words,
        "trigger_index": trigger_index,
        "negative_words": first_words(trig["not_a_figure"]["terms"]),
        "negative_index": _by_first_word(trig["not_a_figure"]["terms"]),
        "negative": re.compile(rf"\b(?:{_alternation(trig['not_a_figure']['terms'])})\b", re.I),
        "undo": frozenset(w.lower() for w in trig["not_a_figure"].get("undo", [])),
        "hypothetical": re.compile(rf"\b(?:{_alternation(trig['hypothetical']['terms'])})\b", re.I),
        "unreal": re.compile(rf"\b(?:{_alternation(trig['hypothetical']['sentence'])})\b"
                             r"(?!\s+not\b)", re.I),
        "negation": re.compile(rf"\b(?:{_alternation(trig['negation']['terms'])})\b", re.I),
        # intentions and denials a few words before the number ("aims to resettle 40,000")
        "not_stated": re.compile(
            rf"\b(?:{_alternation(trig['hypothetical'].get('before_number', []) + trig['negation'].get('before_number', []))})"
            rf"\s+(?:[\w\-]+\s+){{0,3}}$", re.I),
        # a move that is displacement unless fighters or travellers make it ("arrived in")
        "movement": re.compile(rf"(?:{_alternation(trig['displaced'].get('movement', []))})",
                               re.I),
        "not_movers": frozenset(w.lower() for w in trig["displaced"].get("not_movers", [])),
        "needs_people": frozenset(w.lower() for w in trig["killed"].get("needs_people", [])),
        "care": re.compile(rf"\b(?:{_alternation(trig['injured'].get('care', []))})\s+$", re.I),
        # what follows the cared-for: "for gunshot wounds", "with severe burns"
        "care_for": re.compile(rf"\s*(?:for|with)\s+(?:[\w'’\-]+\s+){{0,3}}?"
                               rf"(?:{_alternation(trig['injured'].get('care_for', []))})\b",
                               re.I),
        "forced_way": frozenset(w.lower() for w in trig["displaced"].get("forced_way", [])),
        "forcing": re.compile(rf"\b(?:{_alternation(trig['displaced'].get('forcing', []))})"
                              rf"\s+(?:(?:the|some|another|a\s+further)\s+)?$", re.I),
        "forced_out": re.compile(rf"(?:\s*\([^()]{{0,120}}\))?\s+"
                                 rf"(?P<out>{_alternation(trig['displaced'].get('forced_out', []))})\b",
                                 re.I),
        "noun_of": noun_of,
        "noun": re.compile(rf"(?:{'|'.join(noun(n) for n in nouns)})\b", re.I),
        "not_people": re.compile(rf"(?:{_alternation(groups['not_people']['nouns'])})\b", re.I),
        "shelters": re.compile(rf"(?:{_alternation(groups['not_people'].get('shelters', []))})\b",
                               re.I),
        "one_person_words": frozenset(w.lower() for n in groups["one_person"]["nouns"]
                                     for w in n.split()) | {"another", "more"},
        # "a journalist", "an aid worker", "another": one person (see _single_victims)
        "one_person": re.compile(
            r"\b(?P<article>an?|another|one\s+more)\b(?:\s+[\w'’\-]{1,30}){0,3}?\s+"
            rf"(?P<noun>{_alternation(groups['one_person']['nouns'])})\b(?!['’\-])"
            r"|\b(?P<alone>another|one\s+more)\b(?=\s+(?:was|is|has|had|died|remains)\b)", re.I),
    }


_MONTHS = (r"(?:January|February|March|April|May|June|July|August|September|October|November|"
           r"December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\.?")
_DATE_BEFORE = re.compile(rf"{_MONTHS}\s*$")
_DATE_AFTER = re.compile(rf"^\s*(?:{_MONTHS}|(?:st|nd|rd|th)\b)")
_UNIT_AFTER = re.compile(r"^(?:\s*(?:%|per\s*cent|percent|pc\b|°|degrees?\b|:\d|[ap]\.?m\b\.?|h\b|"
                         r"hrs?\b|GMT|UTC|BST|EST|km|kg|mm|cm|m\b|sq\b|square\b)|[-–](?=[A-Za-z]))",
                         re.I)
_MONEY_BEFORE = re.compile(r"(?:[$£€¥₹]|\b(?:US\$|USD|EUR|GBP|Rs\.?|CHF|dollars?|euros?))\s*$", re.I)
_MONEY_AFTER = re.compile(r"^\s*(?:dollars|euros|pounds|francs|rupees|USD|EUR|GBP)\b", re.I)
_COMPOUND_BEFORE = re.compile(r"[A-Za-z][-‐]$|\b(?:No|no|Number|number|Resolution|resolution|"
                              r"Article|article|Chapter|chapter|page|Page|flight|Flight|Route|route|"
                              r"COVID|Covid|covid|MH|Su|F|Mi|Boeing|Airbus|aged|age|ages|Category|"
                              r"category|level|Level|Phase|phase|IPC)\s*[-.]?\s*$")
_NEGATED_NUMBER = re.compile(r"\b(?:no|none\s+of\s+the|none\s+of|not\s+a\s+single|zero)\s*$", re.I)
_AUX = re.compile(
    r"^(?:\s|,(?=\s{0,10}(?:who|which|that|all|both|most|mostly|mainly|many|some)\b))*"
    r"(?:(?:were|was|are|is|be|been|being|have|has|had|reportedly|still|now|also|all|both|believed|"
    r"thought|said|estimated|to|who|which|that|later|already|allegedly|remain|remained|remains|"
    r"left|rendered|made|became|become|got|get|subsequently|so far|confirmed|reported|presumably|"
    r"officially|safely|currently|further|in total|altogether|either|mostly|mainly|newly|"
    r"temporarily|permanently|forcibly|recently|forced|obliged|compelled|feared|more|others|"
    r"being|live|living|lives|of them|of whom|of which|among them|in all|overall|as a result|"
    r"each|apparently|likely|understood|known|found|now|again|have since|since|[a-z]{1,20}ly)\b\s{0,20})*")
_FUNCTION = re.compile(
    r"^\s*(?:$|[,.;:()\[\]\"“”'’‘—–-]|(?:were|was|are|is|be|been|have|has|had|who|which|that|of|in|"
    r"from|to|and|or|on|at|by|with|across|since|after|during|as|but|while|for|into|near|inside|"
    r"including|among|more|still|all|so|this|last|reportedly|remain|remained|according|this|"
    r"there|here|had|will|would|could|may|might|need|needed|now|due|because|following|amid|"
    r"over|under|between|out|up|about|around|alone|altogether|each|people|others|died|"
    r"believed|thought|estimated|said|reported|"
    # a time after the number: "rose to 45 overnight"
    r"overnight|yesterday|today|tonight|already|earlier|later|again|also)\b)")
_MODIFIER = re.compile(
    r"^\s*(?:(?:more|other|additional|innocent|local|young|elderly|foreign|unarmed|internally|"
    r"newly|displaced|wounded|injured|dead|missing|trapped|stranded|besieged|homeless|"
    r"vulnerable|ordinary|fellow|armed|suspected|alleged|pro-government|government|rebel|"
    r"militia|opposition|regime|army|military|[A-Z][\w'’\-]*|[a-z]+-[a-z]+|\d{1,3}-years?-old)\s+)", re.I)
_OF = re.compile(r"^\s+of\s+(?:(?:the|their|its|his|her|those|these|them|whom|which)\s+)?", re.I)
_OF_PRONOUN = re.compile(r"^\s+of\s+(?:whom|which|them|those)\b", re.I)
_PART_OF = re.compile(r"(?:\binclud(?:ing|es|ed)|\bamong\s+them|\bamong\s+whom|\bmost\s+of\s+them|"
                      r"\bof\s+whom|\bof\s+which|\bsuch\s+as)\b[^;.]*$", re.I)
_CLAUSE_LEFT = re.compile(r"[;]|\b(?:while|whereas|but|although|though|however)\b", re.I)
# "in the capital", "across the Sudanese capital", "inside the country's capital": the capital
# of a country is the place (not "the provincial capital", "the economic capital", "the capital
# of Darfur", nor a landmark or a destination: "south of the capital", "fled to the capital")
_CAPITAL_REF = re.compile(r"\b(?:in|inside|across|throughout|within)[ \t]+"
                          r"(?:the|its)[ \t]+(?:(?:country|nation)['’]s[ \t]+|"
                          r"(?P<people>[A-Z][a-z]{2,20})[ \t]+)?capital(?:[ \t]+city)?\b"
                          r"(?![ \t]+of\b|[ \t]*,?[ \t]*[A-Z])")


def _capital_ref(text: str, sent: Sentence, country: str) -> tuple[str, str, str] | None:
    """(capital, country, "town") when the sentence places its figure in a country's capital by
    that word alone; None when it does not, or the capital is not known for sure."""
    m = _CAPITAL_REF.search(text, sent.start, sent.end)
    if m is None:
        return None
    if m.group("people"):
        country = gz.country_of_name(m.group("people")) or ""
    name = gz.capital(country)
    return (name, country, "town") if name else None


_PROVINCE_REF = re.compile(r"\b(?:the|this|that)\s+(?P<kind>province|governorate|region|state|district|"
                           r"city|town|village|area|country|enclave|camp)\b|\b(?:there|inside)\b", re.I)


# ---------------------------------------------------------------------------------------------
# Reading one number phrase


# "two boys aged 9 and 12": the numbers after an age are ages too
_AGE_LIST = re.compile(r"\b(?:aged?|ages)\s+(?:of\s+)?(?:[\w-]{1,12}\s*(?:,|and|or|to|-)\s*){1,4}$", re.I)
# "15 members of three families": the number inside another number's noun phrase
_MEMBERS_OF_BEFORE = re.compile(r"\bmembers\s+of\s+(?:the\s+)?$", re.I)
_BY_BEFORE = re.compile(r"\bby\s+$", re.I)     # "attacked by dozens of gunmen": the attackers


@cache
def _not_count_patterns() -> dict[str, re.Pattern]:
    """The patterns built from the word lists that say a number is no count of people harmed:
    magnitudes, ages, capacities and populations beside it (numbers.toml [not_counts]), the
    attackers as the subject of an attack verb and "N members of three families"
    (groups.toml)."""
    nc = load("numbers")["not_counts"]
    groups = load("groups")
    people = groups["people"]
    gap = rf"(?:(?:{_alternation(people['members_of_words'])}|\d{{1,6}}|[A-Z][\w'’\-]{{0,30}})\s+)"
    return {
        "before": re.compile(rf"(?:^|(?<=[^\w-]))(?:{_alternation(nc['before'])})\s*[-.]?\s*$", re.I),
        "after": re.compile(rf"^\s*-?\s*(?:{_alternation(nc['after'])})\b", re.I),
        "attack": re.compile(
            r"(?:\s+(?:reportedly|allegedly|apparently|also|then|later|first|have|has|had|"
            r"riding\s+\w{1,20}|on\s+\w{1,20}|armed\s+with\s+\w{1,20}))?"
            rf"\s+(?:{_alternation(groups['not_people']['attack_verbs'])})\b(?!\s+by\b)", re.I),
        "members_of": re.compile(rf"\s+of\s+{gap}{{0,3}}(?:{_alternation(people['members_of'])})\b"),
        # "a third of the town's 30,000": a share of the number's people before it
        "share_of": re.compile(rf"(?:^|(?<=[^\w-]))(?:{_alternation(nc['share_of'])})\s+of\s+"
                               rf"(?:(?:the|its|their|his|her|this|these|those|[\w\-]+['’]s?)\s+){{0,2}}$",
                               re.I),
    }


@dataclass
class _Decision:
    category: str
    term: str
    start: int
    end: int


# a number of people per time ("10 children a day", "30 people per week", "are killed every
# day", "Every day, 10 children"): a rate, no count of a place's victims ("killed in a day" is)
_RATE_AFTER = re.compile(r"[ \t]+(?:[A-Za-z\-]+[ \t]+){0,3}?"
                         r"(?<!\bin )(?<!within )(?<!over )(?<!for )(?<!during )(?<!of )"
                         r"(?:a|per)[ \t]+(?:day|week|month|hour)\b"
                         r"|[ \t]+(?:[\w\-]+[ \t]+){0,6}?(?:every|each|per)[ \t]+"
                         r"(?:single[ \t]+)?(?:day|week|month|hour)\b", re.I)
_RATE_BEFORE = re.compile(r"\b(?:every|each)[ \t]+(?:single[ \t]+)?(?:day|week|month|hour),?"
                          r"[ \t]+(?:(?:at[ \t]+least|about|some|around|nearly|more[ \t]+than)"
                          r"[ \t]+)?$", re.I)


def _is_count(text: str, n: NumberPhrase, lo: int, hi: int) -> bool:
    """False for dates, times, percentages, money, measures, codes and numbers inside words."""
    before = text[max(lo, n.start - 25):n.start]
    after = text[n.end:min(hi, n.end + 25)]
    if _UNIT_AFTER.match(after) or _MONEY_AFTER.match(after) or _MONEY_BEFORE.search(before):
        return False
    if _COMPOUND_BEFORE.search(before):
        return False
    if not n.is_vague and (_DATE_BEFORE.search(before) or _DATE_AFTER.match(after)):
        return False
    if n.bare_digits and 1900 <= n.value <= 2100 and not re.match(r"\s+(?:people|persons|civilians|"
                                                                   r"families|residents|IDPs)", after):
        return False
    if n.qualifier == "exact" and n.value == 1 and n.is_word and re.match(r"\s+of\s+the\b", after):
        return False    # "one of the most ..."
    if n.value == 0 or (not n.is_vague and n.value != int(n.value)):
        return False    # a count of people is whole: "a 7.2 quake", "a 6.5 magnitude"
    if _RATE_AFTER.match(text, n.end, min(hi, n.end + 80)) \
            or _RATE_BEFORE.search(text, max(lo, n.start - 30), n.start):
        return False    # a rate, not a count: "10 children a day", "are killed every day"
    nc = _not_count_patterns()
    if nc["before"].search(before) or nc["after"].match(after):
        return False    # "a magnitude 7 quake", "children under 5", "a country of 20 million"
    wider = text[max(lo, n.start - 40):n.start]
    if _AGE_LIST.search(wider) and not _lexicon()["noun"].match(after.lstrip()):
        return False    # "aged 3 and 9" (but "a woman aged 30 and 12 children")
    if _MEMBERS_OF_BEFORE.search(wider) and find_numbers(wider):
        return False    # "15 members of three families" counts the 15
    return True


def _noun_phrase(text: str, n: NumberPhrase, hi: int):
    """(who, unit, combatant, np_end, inner trigger decision or None, ok) for what follows a number."""
    lex = _lexicon()
    pos = n.end
    tail = text[pos:hi]
    m = _OF_PRONOUN.match(tail)
    if m:
        return None, pos + m.end(), None, True, True   # "85,000 of which", "one of whom"
    if n.is_vague or n.value >= 2:
        m = _OF.match(tail)
        if m:
            pos += m.end()
    inner = None
    modified = False
    for _ in range(6):
        seg = text[pos:hi]
        lead = len(seg) - len(seg.lstrip())
        seg_l = seg.lstrip()
        m = lex["noun"].match(seg_l)
        if m and (pos + lead + m.end() >= hi or not text[pos + lead + m.end()].isalnum()):
            grp, end = lex["noun_of"][" ".join(m.group().lower().split())], pos + lead + m.end()
            nc = _not_count_patterns()
            if m.group().lower() == "members":
                of = nc["members_of"].match(text, end, hi)
                if of:     # "15 members of three families": people, not fighters
                    grp, end = lex["noun_of"]["people"], of.end()
            if nc["attack"].match(text, end, hi) or _BY_BEFORE.search(text, max(0, n.start - 5), n.start):
                return None, end, None, False, False    # the attackers, not the victims
            if _transitive_trigger(text, end, hi):
                return None, end, None, False, False    # "five gunmen killed 20 people"
            if inner is None and _SPEECH_NEXT.match(text, end, hi):
                return None, end, None, False, False    # "two regional officials said": speakers
            return grp, end, inner, True, False
        if lex["not_people"].match(seg_l):
            return None, pos, inner, False, False
        d = _trigger_at(seg_l, pos + lead)
        if d is not None:
            head = d.term.lower().split()
            if head[0] not in ("in", "into", "at", "to", "inside") and lex["not_people"].fullmatch(head[-1]):
                return None, pos, inner, False, False    # "13 temporary shelters", "12 evacuation centres"
            if inner is not None and d.category != inner.category:
                break      # "two of the wounded (later) succumbed": the predicate, not the noun
            inner = d
            pos = d.end
            continue
        m = _AND_MODIFIER.match(seg) if modified else None
        rest = text[pos + m.end():hi] if m else ""
        mod = _MODIFIER.match(rest) if m else None
        if mod and (rest[:1].isupper() or lex["noun"].match(rest, mod.end())):
            pos += m.end()         # "US and NATO troops", "American and coalition service members"
            continue
        if _FUNCTION.match(seg):
            force = _from_force(text, pos, hi)
            if force is not None:
                return force       # "seventeen from the Armed Forces"
            if modified and inner is None and _SPEECH_NEXT.match(seg):
                return None, pos, inner, False, False    # "two military sources said": speakers
            return None, pos, inner, True, False
        m = _MODIFIER.match(seg)
        if m:
            pos += m.end()
            modified = True
            continue
        break
    seg = text[pos:hi]
    if _FUNCTION.match(seg) or inner is not None:
        return None, pos, inner, True, False
    return None, pos, inner, False, False   # an unknown noun follows: "42 air strikes"


def _transitive_trigger(text: str, pos: int, hi: int) -> bool:
    """Whether a trigger right after a noun phrase takes a count as its object ("five gunmen
    killed 20 people"): the noun phrase then names who did it, not who suffered it."""
    gap = re.match(r"[ \t]+", text[pos:hi])
    if gap is None:
        return False
    d = _trigger_at(text[pos + gap.end():hi], pos + gap.end())
    if d is None or d.category not in ("killed", "injured", "missing"):
        return False
    rest = text[d.end:min(hi, d.end + 60)]
    if not rest[:1].isspace() or not rest.lstrip()[:1].isalnum():
        return False     # (a number phrase starts with a digit or a word: none right after)
    found = find_numbers(rest)
    if not found or rest[:found[0].start].strip():
        return False
    obj, after = found[0], rest[found[0].end:]
    if obj.bare_digits and 1900 <= obj.value <= 2100:
        return False         # "killed 2019": a year
    # not "killed 3 days ago", nor "five people injured 3 of them seriously"
    return not (_lexicon()["not_people"].match(after.lstrip()) or _OF_PRONOUN.match(after))


_AND_MODIFIER = re.compile(r"\s*(?:and|or|&)\s+")
_SPEECH_NEXT = re.compile(r"\s*(?:said|says|say|told|stated)\b", re.I)   # ("reported dead": no)
_FROM_GROUP = re.compile(r"\s*(?:each\s+)?(?:from|among)\s+(?:the\s+)?(?=[A-Za-z])", re.I)


def _from_force(text: str, pos: int, hi: int):
    """The noun phrase result for "N from the Armed Forces": the group they belong to, when it
    is a combatant one (never "200 from the village")."""
    m = _FROM_GROUP.match(text, pos, hi)
    if m is None:
        return None
    lex = _lexicon()
    at = m.end()
    for _ in range(3):
        found = lex["noun"].match(text, at, hi)
        if found and (found.end() >= hi or not text[found.end()].isalnum()):
            group = lex["noun_of"][" ".join(found.group().lower().split())]
            return (group, found.end(), None, True, False) if group.combatant else None
        mod = _MODIFIER.match(text[at:hi])     # (its "^" holds at the slice's start only)
        if mod is None:
            return None
        at += mod.end()
    return None


def _trigger_at(segment: str, offset: int) -> _Decision | None:
    """A trigger (any side) that starts exactly at the start of ``segment``."""
    first = LETTERS.match(segment)
    if first is None:
        return None        # every phrase starts with a letter
    forms = word_forms(first.group())
    lex = _lexicon()
    best = None
    for (cat, side, _), index in zip(lex["triggers"], lex["trigger_index"]):
        if side == "before":
            continue
        for form in forms:       # only the phrases that start with this word can match here
            rx = index.get(form)
            m = rx.match(segment) if rx is not None else None
            if m and (best is None or m.end() > best.end - offset):
                best = _Decision(cat, m.group(), offset + m.start(), offset + m.end())
    return best


def _all_triggers(text: str, lo: int, hi: int,
                  words: set[str] | None = None) -> list[tuple[str, str, int, int, str]]:
    """Every trigger match in text[lo:hi], once per sentence: (category, kind, start, end, words);
    category "" for the words that say people are not a figure ("returned", "were freed").
    ``words``: ``words_in(text, lo, hi)`` when the caller has it already.

    A phrase can only start where its first word stands, so at each such word the phrases of
    each list that start with it are tried (what ``finditer`` finds, without scanning every
    character or trying every phrase)."""
    lex = _lexicon()
    if words is None:
        words = words_in(text, lo, hi)     # a list whose first words are absent cannot match
    at: dict[str, list[int]] = {}     # where each word of the sentence stands, found when asked
    found = []

    def matches(index: dict[str, re.Pattern], firsts: frozenset[str]):
        hits = firsts.intersection(words)
        for w in hits.difference(at):
            at[w] = word_positions(w, text, lo, hi)
        end = lo
        for p, w in sorted((p, w) for w in hits for p in at[w]):
            if p >= end:
                m = index[w].match(text, p, hi)
                if m:
                    end = m.end()
                    yield m

    for (cat, kind, _), firsts, index in zip(lex["triggers"], lex["words_of_trigger"],
                                            lex["trigger_index"]):
        if not words.isdisjoint(firsts):
            for m in matches(index, firsts):
                found.append((cat, kind, m.start(), m.end(), m.group()))
    if not words.isdisjoint(lex["negative_words"]):
        for m in matches(lex["negative_index"], lex["negative_words"]):
            found.append(("", "negative", m.start(), m.end(), m.group()))
    found.sort(key=lambda t: t[2])
    return found


def _triggers_in(text: str, lo: int, hi: int, side: str, found=None):
    """Every trigger match in text[lo:hi] usable on ``side`` ('left' or 'right' of the number).
    ``found``: the sentence's ``_all_triggers``, when text[lo:hi] lies inside that sentence."""
    if found is None:
        found = _all_triggers(text, lo, hi)
    skip = "after" if side == "left" else "before"
    out = [_Decision(cat, words, a, b) for cat, kind, a, b, words in
           found[bisect.bisect_left(found, lo, key=lambda t: t[2]):
                 bisect.bisect_left(found, hi, key=lambda t: t[2])]
           if b <= hi and kind != skip]
    # at one position the longest phrase wins ("lost their homes" over "lost")
    out.sort(key=lambda d: (d.start, -(d.end - d.start)))
    kept = []
    for d in out:
        if kept and d.start < kept[-1].end:
            continue
        kept.append(d)
    return kept


def _word_gap(text: str, a: int, b: int) -> int:
    return len(re.findall(r"\w+", text[a:b])) if b > a else 0


def _decide(text: str, n: NumberPhrase, np_end: int, inner, lo: int, hi: int, found=None):
    """The deciding trigger for a number whose noun phrase ends at np_end, in clause [lo, hi)."""
    # the predicate right after the noun phrase, past auxiliaries, asides and breakdowns
    pos = np_end
    for _ in range(3):
        m = _AUX.match(text[pos:hi])     # (its "^" holds at the slice's start only)
        pos = pos + m.end() if m else pos
        aside = re.match(r"\s*(?:\([^()]{0,200}\)|,\s*(?:including|among them|mostly|mainly|most of them|"
                         r"many of them|some of them|in|across|from|near|at)\b[^,;]{0,200},)", text[pos:hi])
        if aside:
            pos += aside.end()
            continue
        break
    lex = _lexicon()
    modal = lex["hypothetical"].match(text, pos, hi)
    if modal is not None and modal.group() not in ("May", "Will"):
        # "another 10,000 might have to be evacuated": the number's own predicate is a forecast
        return _Decision("", modal.group(), modal.start(), modal.end())
    # "30 people who fled the fighting were killed": the main predicate after a relative clause
    # decides, not the clause's own verb (but "200 people who were injured were evacuated" are
    # injured, and "who were injured were treated" too)
    rel = _RELATIVE.match(text, np_end, hi)
    if rel:
        main = _main_predicate(text, rel.end(), hi, relative=True)
        if main is not None:
            verb = _trigger_at(text[pos:hi], pos)
            if not (verb is not None and verb.category in _HARM and main.category not in _HARM
                    and " ".join(main.term.lower().split()) not in lex["undo"]):
                return main
    d = _predicate_at(text, pos, hi)
    if d is not None and d.category and _WHERE.match(d.term):
        # "12 children in IDP camps died of cholera": where they are, then what befell them
        aux = _AUX.match(text[d.end:hi])
        then = _predicate_at(text, d.end + (aux.end() if aux else 0), hi)
        if then is None and _IN_CARE.match(d.term) and _FINITE.match(text, d.end, hi):
            # "30 patients in hospital were at risk": where they are, and a predicate of
            # something else (not "12 others in hospital", "17 remain in hospital")
            return _Decision("", d.term, d.start, d.end)
        d = then or d
    # the noun itself may say what befell them: "3,000 IDPs", "40,000 refugees"
    own = _triggers_in(text, n.end, np_end, "right", found)
    own = own[-1] if own and own[-1].category else None
    if d is not None and not d.category:
        if (inner is None and own is None) or " ".join(d.term.lower().split()) in lex["undo"]:
            return d    # "36,000 displaced people have returned": what they did now decides (but
                        # "150 wounded people were treated" are wounded, "3,000 IDPs reached
                        # Dollow" displaced)
        d = None
    left = _triggers_in(text, lo, n.start, "left", found)
    # the verb that governs the number ("killed up to 300 refugees", "injured 12 displaced
    # people"): over a word of the noun phrase, when no predicate follows
    gov = left[-1] if left and _GOVERNED.fullmatch(text, left[-1].end, n.start) else None
    if d is None and gov is not None and gov.category and _GOVERNED_CLOSE.fullmatch(text, gov.end, n.start) and (
            (inner is not None and inner.category != gov.category)
            or (inner is None and own is not None and own.category != gov.category)):
        hurt = inner or own
        if gov.category == "displaced" and hurt.category in _HARM:
            return hurt     # "evacuated 19 injured people": a move of the hurt is care
        return gov
    if inner is not None and not (d is not None and d.category in _HARM and d.category != inner.category):
        return inner     # ("two of the injured succumbed": the predicate over the noun's word)
    if d is not None:
        return d        # "twelve displaced people were killed": what befell them decides
    # the noun itself: "3,000 IDPs arrived in Baidoa", "the district hosts 40,000 refugees"
    if own is not None:
        if any(m.group() not in ("May", "Will") for span in
               ((np_end, min(hi, np_end + 40)), (max(lo, n.start - 40), n.start))
               for m in lex["hypothetical"].finditer(text, *span)):
            # "250,000 refugees might cross", "plans to relocate 5,000 refugees": a forecast
            return _Decision("", own.term, own.start, own.end)
        return own
    forced = _forced_out(text, n, np_end, lo, hi)
    if forced is not None:
        return forced   # "forced 18,000 people from their homes"
    right = _triggers_in(text, np_end, hi, "right", found)
    # a tally as the subject of a verb of change: "the death toll from the bombing in Quetta rose
    # to 57", "the number of fatalities in Wayanad has reached 224"
    verb = _TALLY_VERB.search(text, max(lo, n.start - 40), n.start)
    if verb is not None:
        subject = [d for d in left if d.end <= verb.start() and d.category
                   and _word_gap(text, d.end, verb.start()) <= _TALLY_REACH
                   and not _tally_break(text, d.end, verb.start())]
        if subject:
            return subject[-1]
        # "The toll, which stood at 230 last week, has now reached 310": a toll with an aside,
        # which may hold the number before (the clause's bound, lo)
        toll = max(_TOLL.finditer(text, max(0, verb.start() - 300), verb.start()),
                   key=lambda m: m.start(), default=None)
        if toll is not None and not any(d.category and d.end > toll.start() for d in left) \
                and _word_gap(text, toll.end(), verb.start()) <= _TALLY_REACH \
                and not _SENTENCE_END.search(text, toll.end(), verb.start()) \
                and not _tally_break(text, toll.end(), verb.start()):
            return _Decision("killed", toll.group(), toll.start(), toll.end())
    # lives a disaster took: "claimed about 3,000 lives", "cost the lives of"
    if _LIVES.search(text, n.end, np_end) and _TOOK.search(text, max(lo, n.start - 30), n.start):
        m = _TOOK.search(text, max(lo, n.start - 30), n.start)
        return _Decision("killed", m.group().strip(), m.start(), m.end())
    # the word that governs the number: "killing 12", "the evacuation of 2,000"
    if lex["care"].search(text, max(lo, n.start - 24), n.start):
        hurt = lex["care_for"].match(text, np_end, hi)
        if hurt is not None:    # "treated 90 people for gunshot wounds": care for the hurt
            return _Decision("injured", hurt.group().strip(), hurt.start(), hurt.end())
    if gov is not None:
        return gov
    if _SUBJECT_GOES_ON.match(text, np_end, hi):
        # a long subject: "At least 30 people, most of them women who had gathered at the market
        # in the town of Bama, were killed", "12 people in the villages of A, B and C died"
        main = _main_predicate(text, np_end, hi)
        if main is not None:
            return main
    candidates = []
    for d in left:
        gap = _word_gap(text, d.end, n.start)
        if gap <= WINDOW_WORDS // 2:
            candidates.append((gap + 0.5, d))
    # "eight dead and 40 more with injuries": "more" stands for the noun, it is no word between
    more = _MORE_AFTER.match(text, np_end, hi) if np_end == n.end else None
    for d in right:
        gap = _word_gap(text, more.end() if more else np_end, d.start)
        if gap <= WINDOW_WORDS and not (_THE_BEFORE.search(text, max(lo, d.start - 24), d.start)
                                        and d.term.lower() in _PEOPLE_WORDS):
            candidates.append((gap, d))     # ("relatives of the dead" are not the dead)
    if not candidates:
        return None
    return min(candidates, key=lambda c: c[0])[1]


def _forced_out(text: str, n: NumberPhrase, np_end: int, lo: int, hi: int) -> _Decision | None:
    """A verb of force governing the number and where to after its noun phrase (lexicon:
    displaced.forcing, displaced.forced_out): "forced 18,000 people from their homes", "forced
    2,300 households (about 11,500 people) into evacuation centres"."""
    lex = _lexicon()
    verb = lex["forcing"].search(text[max(lo, n.start - 40):n.start])
    if verb is None:
        return None
    out = lex["forced_out"].match(text, np_end, hi)
    if out is None:
        return None
    if out.group("out").lower() in lex["forced_way"] \
            and not words_in(text, n.end, np_end).isdisjoint(lex["not_movers"]):
        return None     # "pushed 200 protesters toward the square"
    start = max(lo, n.start - 40) + verb.start()
    term = f"{text[start:start + len(verb.group().split()[0])]} {' '.join(out.group('out').split())}"
    return _Decision("displaced", term, start, out.end())


_WHERE = re.compile(r"(?:in|at|with|inside)\b", re.I)
_IN_CARE = re.compile(r"in\s+(?:hospitals?|intensive\s+care)$", re.I)
_FINITE = re.compile(r"\s+(?:(?:in|at)\s+(?:[A-Z][\w'’\-]*\s+){1,3})?"
                     r"(?:were|was|are|is|have|has|had|could|would|will|may|might)\b", re.I)
_MORE_AFTER = re.compile(r"[ \t]{1,5}(?:more|others?)\b", re.I)


def _predicate_at(text: str, pos: int, hi: int) -> _Decision | None:
    """The trigger, or the negative word (category ""), that starts at ``pos``; the longer when
    both do ("live in camps" over "live in")."""
    neg = _lexicon()["negative"].match(text, pos, hi)
    d = _trigger_at(text[pos:hi], pos)
    if neg is not None and (d is None or d.end <= neg.end()):
        # "were rescued and moved to safe places": what else they did, when it is a figure
        also = _AND_ALSO.match(text, neg.end(), hi)
        then = _trigger_at(text[also.end():hi], also.end()) if also else None
        return then or _Decision("", neg.group(), neg.start(), neg.end())
    return d


_AND_ALSO = re.compile(r"\s*,?\s+and\s+(?:(?:were|was|have\s+been|had\s+been|then|later)\s+)?")


_HARM = ("killed", "injured", "missing")
# between a verb and the number it governs: "killing 12", "the evacuation of 2,000"
_GOVERNED_CLOSE = re.compile(r"\s{1,3}(?:(?:the|an?|of|some|about|nearly)\s{1,3}){0,3}", re.I)
_GOVERNED = re.compile(r"[\s,:]{0,10}(?:(?:the|a|an|of|some|to|at|about|by|nearly|with|as\s{1,3}many"
                       r"\s{1,3}as)\s{1,5}){0,6}", re.I)
_THE_BEFORE = re.compile(r"\b(?!among\b|amongst\b)[a-z]{2,15}\s{1,3}the\s{1,3}$", re.I)
_PEOPLE_WORDS = frozenset(("dead", "wounded", "injured", "missing", "displaced", "deceased"))
_RELATIVE = re.compile(r"\s{0,5},?\s{0,5}(?:who|that|which|whose)\b", re.I)
# what may follow a subject's noun before its verb: an aside, a relative clause, a place or a time
_SUBJECT_GOES_ON = re.compile(
    r"\s{0,5}(?:[,(\u2014\u2013]|(?:who|that|which|whose|in|from|at|near|on|inside|across|around|"
    r"living|aged|travelling|traveling|returning|working|staying|including|among|mostly|mainly|"
    r"most|many|some|all|both|belonging|gathered|waiting|attending|praying|riding|aboard|"
    r"during|after|when|while)\b)", re.I)
# the verb of the main clause: "..., were killed", "... who had gathered there were killed"
_MAIN_VERB = re.compile(r"(?:^|(?<=[\s,)]))(?:were|was|have\s+been|has\s+been|had\s+been|are|is|"
                        r"have|has|had|remain|remained|remains)\b", re.I)
_MAIN_REACH = 300        # characters a subject may run before its verb


def _main_predicate(text: str, start: int, hi: int, relative: bool = False) -> _Decision | None:
    """The trigger of the main verb after a long subject that starts at ``start``: the first
    "were/was/have been ..." followed (past adverbs) by a trigger, or a trigger right after the
    comma that closes an aside. None when there is none within reach. ``relative``: the subject
    goes on with a relative clause at ``start``, whose own verb ("who were displaced ...") is
    not the main one."""
    end = min(hi, start + _MAIN_REACH)
    lex = _lexicon()
    for m in _MAIN_VERB.finditer(text, start, end):
        if relative and not text[start:m.start()].strip():
            continue         # "who were displaced last year have returned": the clause's verb
        a = _AUX.match(text[m.start():hi])
        pos = m.start() + a.end() if a else m.end()
        neg = lex["negative"].match(text, pos, hi)
        d = _trigger_at(text[pos:hi], pos)
        if neg and (d is None or neg.end() >= d.end):
            return _Decision("", neg.group(), neg.start(), neg.end())
        if d is not None:
            return d
    # "At least 30 people, many of them farmers near Kukawa, died on Sunday"
    for m in re.finditer(r",\s{0,5}", text[start:end]):
        pos = start + m.end()
        d = _trigger_at(text[pos:hi], pos)
        if d is not None and d.category in _HARM:
            return d
    return None


_TALLY_VERB = re.compile(r"\b(?:(?:has|have|had)\s+)?(?:now\s+)?(?:rose|risen|climbed|jumped|increased|"
                         r"grown|grew|reached|hit|soared|surged|stands|stood|gone\s+up|went\s+up|"
                         r"passing|passed|passes|exceeded|exceeding|exceeds|topped|topping|tops|"
                         r"surpassed|surpassing|"
                         r"is\s+now|was|is|raised|revised(?:\s+(?:up|down)(?:wards?)?)?)"
                         # "rose from 20 to 45": the tally before is no figure, the one after is
                         r"(?:\s+from\s+\d[\d,.]{0,12}(?:\s+(?:million|thousand))?)?"
                         r"(?:\s+(?:to|at))?\s{1,5}$", re.I)
# a change from one number to another: "rose from 20 to 45" is no range, its figure is the 45
_CHANGE_FROM = re.compile(r"\b(?:rose|risen|rising|increased|climbed|jumped|grew|grown|soared|"
                          r"surged|doubled|tripled|fell|fallen|dropped|declined|went\s+up|gone\s+up|"
                          r"revised(?:\s+(?:up|down)(?:wards?)?)?)(?:\s+[\w,]+){0,2}?\s+from\s+$",
                          re.I)
_RANGE_TO = re.compile(r"\s(?:to|-|–)\s?", re.I)


def _changed_to(text: str, n: NumberPhrase, lo: int) -> NumberPhrase:
    """The number a change ends at, where the number phrase read as a range is one ("the toll
    rose from 20 to 45": 45); else the phrase itself."""
    if n.qualifier == "at_most" and _REVISED_UP.search(text, max(lo, n.start - 30), n.start) \
            and re.match(r"up\s+to\s", n.text, re.I):
        # "the toll was revised up to 18": revised upwards, to exactly 18
        return replace(n, start=n.core_start, text=text[n.core_start:n.end], qualifier="exact",
                       value_low=n.value, value_high=n.value)
    if n.qualifier != "range" or not _CHANGE_FROM.search(text, max(lo, n.start - 60), n.start):
        return n
    to = _RANGE_TO.search(text, n.start, n.end)
    if to is None:
        return n
    found = find_numbers(text[to.end():n.end])
    if not found:
        return n
    y = found[-1]
    shift = to.end()
    return replace(y, start=y.start + shift, end=y.end + shift, core_start=y.core_start + shift)


_REVISED_UP = re.compile(r"\b(?:revised|adjusted|raised|pushed|moved)\s{1,5}$", re.I)
# a tally past a number is more than it: "has surpassed 2 million", "topping 500"
_BEYOND = re.compile(r"\b(?:passing|passed|passes|exceeded|exceeding|exceeds|topped|topping|tops|"
                     r"surpassed|surpassing|surpasses)\s{1,5}$", re.I)
_LIVES = re.compile(r"\blives\s{0,3}$", re.I)
_TOOK = re.compile(r"\b(?:claimed|claiming|claims|claim|cost|costing|costs|took|taken|taking|take|takes)"
                   r"\s{1,5}(?:(?:the|some|about|nearly|almost|over|at\s+least|more\s+than)\s{1,5}){0,2}$",
                   re.I)
_TOLL = re.compile(r"\b(?:death\s+)?toll\b", re.I)
_SENTENCE_END = re.compile(r"[.!?;:][\s\"”’)]")
_TALLY_REACH = 15    # words between a tally's noun and its verb ("toll from the bus bombing in ...")
# what a tally's subject never holds: a speaker's verb, a clause of its own
_TALLY_BREAK = re.compile(r"\b(?:said|says|told|tells|reported|added|stated|confirmed|who|that|which|"
                          r"received|receiving|returned|reached)\b", re.I)

_WORD_BEFORE = re.compile(r"([A-Za-z]+)\W{0,3}$")


def _tally_break(text: str, start: int, end: int) -> bool:
    """Does text[start:end], between a tally's noun and its verb, break the subject? A clause
    that says what the event did does not: "the toll from the earthquakes that struck Herat
    province on Saturday has risen to 2,200"."""
    aside_end = start
    for m in _TALLY_BREAK.finditer(text, start, end):
        if m.start() < aside_end:
            continue
        if m.group().lower() in ("that", "which"):
            before = _WORD_BEFORE.search(text, max(start, m.start() - 30), m.start())
            if before is not None and _events(before.group(1)):
                continue
            close = text.find(",", m.end(), end)
            if close != -1 and text[max(start, m.start() - 2):m.start()].strip() == ",":
                aside_end = close    # "the toll, which stood at 230 last week, has now reached"
                continue
        return True
    return False


_SPEECH_AFTER_MODAL = re.compile(r"\b(?:said|says|told|tells|reported|added|stated|confirmed)\b")


class _Unreal:
    """Where a condition or a simulation holds in text[lo:hi] (a sentence): from its word ("if",
    "unless", "simulating") to the next mark that ends a clause (a full stop, a semicolon, a
    colon, before a space; not the point of "2.5 million"), over every number after it ("a
    drill simulating an earthquake that kills 2,500 and injures 9,000"). Found once a sentence."""

    def __init__(self, text: str, lo: int, hi: int):
        self.words = [m.start() for m in _lexicon()["unreal"].finditer(text, lo, hi)]
        self.stops = [m.start() for m in _SENTENCE_END.finditer(text, lo, hi)] if self.words \
            else []

    def covers(self, pos: int) -> bool:
        i = bisect.bisect_left(self.words, pos)
        if i == 0:
            return False
        j = bisect.bisect_left(self.stops, pos)
        return j == 0 or self.stops[j - 1] < self.words[i - 1]


def _hypothetical_or_denied(text: str, n: NumberPhrase, d: _Decision, lo: int,
                            unreal: _Unreal | None = None) -> bool:
    """Is the figure of number ``n`` (decided by ``d``, its own words from ``lo``) a forecast, a
    condition, a simulation or a denial? ``unreal``: the sentence's conditions and simulations
    (else those of text[lo:n.start])."""
    lex = _lexicon()
    if d.start >= n.end:
        region = (n.end, d.start)
    else:
        region = (max(lo, d.start - 40), d.start)
    for rx in (lex["hypothetical"], lex["negation"]):
        for m in rx.finditer(text, *region):
            word = m.group()
            if word in ("May", "Will") or (word.lower() == "no" and text[m.end():m.end() + 5].lower().startswith(" more")):
                continue
            if word.lower() == "not" and re.match(r"\s+(?:only|just|least)", text[m.end():]):
                continue
            return True
    if _NEGATED_NUMBER.search(text[max(lo, n.start - 15):n.start]):
        return True
    if lex["not_stated"].search(text, max(lo, n.start - 60), n.start):
        return True     # "aims to resettle 40,000", "denied reports that 200 civilians"
    # a modal governing the number: "could force 1 to 2 million", "could displace up to a million"
    modal = re.search(r"\b(?:could|would|might|may|will|to be|going to)\s+(?:\w+\s+){0,2}$",
                      text[max(lo, n.start - 40):n.start])
    if modal and not _SPEECH_AFTER_MODAL.search(modal.group()):
        return True     # ("who declined to be identified said 17": the modal is the speaker's)
    # a conditional clause around the number: "if the dam bursts, 50,000 ..."; a simulation
    return (unreal or _Unreal(text, lo, n.start)).covers(n.start)


# ---------------------------------------------------------------------------------------------
# Article context: place, country, date, sources

# How specific a place is, as the schema names it (Figure.location_level).
_LEVEL_NAMES = {gz.COUNTRY: "country", gz.PART_OF_COUNTRY: "country_part", gz.REGION: "region",
                gz.DISTRICT: "district", gz.TOWN: "town"}
# The place right after a number's noun: "one person in the Philippines", "12 people at Jolo"
_RIGHT_AFTER = re.compile(r"[ \t]+(?:[a-z][\w\-]*[ \t]+){0,3}?(?:in|at|inside|across|throughout)"
                          r"[ \t]+(?:the[ \t]+)?")
_POSSESSIVE = re.compile(r"['’]s?[ \t]+")
_LOWER_WORD_AFTER = re.compile(r"[a-z][\w\-]*[ \t]+")
_LEAD_SENTENCES = 3      # the lead: the title, then at most this many sentences of the first paragraph
_PREVIOUS_SENTENCES = 3  # how far back in its paragraph a figure without a place looks for one


@dataclass
class _Place:
    """The place a stretch of text is about, with its country and how the text names that country."""
    mention: gz.PlaceMention | None
    country: str
    country_shown: str


@dataclass
class _Context:
    place: gz.PlaceMention | None
    country: str
    countries: list[str]
    date: str
    mentions: list[tuple[int, gz.PlaceMention]]   # (sentence index or -1 for title), place
    country_shown: str = ""         # the article's country as it names it ("Syria", "the DRC")
    dateline: gz.PlaceMention | None = None   # where the story was filed: the place of a figure
                                              # only when the article names no other
    sections: list[tuple[int, _Place]] = dataclasses.field(default_factory=list)
    # (first sentence, place) of each later story on a page of several whose heading names a place
    title_index: int | None = None   # the title's index among the sentences, when it is one
    _by_sentence: dict[int, list[gz.PlaceMention]] | None = None
    _usable: dict[tuple, list[gz.PlaceMention]] = dataclasses.field(default_factory=dict)
    _chains: dict[tuple[int, int], list[gz.PlaceMention]] | None = None

    def mentions_in(self, si: int) -> list[gz.PlaceMention]:
        """The places named in sentence ``si``, in order (an index, so a long article with many
        figures does not rescan every mention for each one)."""
        if self._by_sentence is None:
            self._by_sentence = {}
            for i, p in self.mentions:
                self._by_sentence.setdefault(i, []).append(p)
        return self._by_sentence.get(-1 if si == self.title_index else si, [])

    def usable(self, si: int, exclude: list[tuple[int, int]]) -> list[gz.PlaceMention]:
        """The places of sentence ``si`` that can be where a figure happened: not a destination
        ("fled to Turkey"), not adjectival ("US-backed"), not part of a body's name or a vessel,
        not inside an excluded span (a source's name, the dateline). Kept per sentence and
        exclusion list: every figure of a sentence asks."""
        key = (si, tuple(exclude))
        found = self._usable.get(key)
        if found is None:
            found = self._usable[key] = [
                p for p in self.mentions_in(si) if not p.destination and not p.adjectival
                and not p.role and p.aside != "parent"
                and not any(a <= p.start < b for a, b in exclude)]
        return found

    def named_by(self, p: gz.PlaceMention, si: int) -> bool:
        """Is place ``p`` named in the title or in a sentence up to ``si``?"""
        key = _key(p)
        return any((i <= si or i == -1 or i == self.title_index) and _key(q) == key
                   for i, q in self.mentions)

    def chain_members(self, chain: tuple[int, int]) -> list[gz.PlaceMention]:
        """The places of the list spanning ``chain`` (an index, built when first asked)."""
        if self._chains is None:
            self._chains = {}
            for _, p in self.mentions:
                if p.chain is not None:
                    self._chains.setdefault(p.chain, []).append(p)
        return self._chains.get(chain, [])

    def around(self, si: int) -> _Place:
        """The place of the story sentence ``si`` belongs to: its own story's on a page of
        several, else the article's."""
        i = bisect.bisect_right(self.sections, si, key=lambda s: s[0]) - 1
        if i >= 0:
            return self.sections[i][1]
        return _Place(self.place, self.country, self.country_shown)


def _article_date(art: Article, default: str | None) -> str:
    """The article's date: its dateline's, else its date line's ("Thursday, January 24, 2019"),
    else ``default`` (the page's own date). A date without a year takes it from ``default``
    (the year before when the day would fall after it), else stays without one ("--07-30")."""
    d = art.dateline
    if d is not None and d.month and d.day:
        month, day, year = d.month, d.day, d.year
    elif art.date_line is not None:
        month, day, year = art.date_line
    else:
        return default[:10] if default else ""
    if year is None and default and not default.startswith("--"):
        ref = Date.fromisoformat(default[:10])
        year = ref.year if (month, day) <= (ref.month, ref.day) else ref.year - 1
    return f"{year:04d}-{month:02d}-{day:02d}" if year else f"--{month:02d}-{day:02d}"


def _counts(p: gz.PlaceMention) -> bool:
    """Does the mention count toward the place a text is about? Not a destination, an adjective,
    a body's name, a vessel, where refugees came from, or an example or part of a figure (a
    landmark, "north of Aleppo", counts, less than a place itself)."""
    return not (p.destination or p.adjectival or p.role
                or p.aside in ("example", "part", "parent"))


def _key(p: gz.PlaceMention) -> str:
    """Mentions of one place share a key: "Raqqa", "Raqqa province" and "northern Raqqa province",
    "Bududa district" and "Bududa"."""
    return _name_key(p.name, p.level == gz.REGION)


@lru_cache(maxsize=16384)
def _name_key(name: str, region: bool) -> str:
    words = name.split()
    lex = gz._lexicon()
    if region and len(words) > 1 and words[0].lower() in lex["directions"]:
        words = words[1:]
    if len(words) > 1 and words[-1].lower() in _kind_set():
        words = words[:-1]
    return gz.fold(" ".join(words))


@cache
def _kind_set() -> frozenset[str]:
    return frozenset(k.lower() for k in gz._lexicon()["kinds"])


class _Tally:
    """The places of some sentences, each scored by its mentions (a title's count thrice)."""

    def __init__(self, weighted: list[tuple[int, gz.PlaceMention]], peoples: list[str]):
        self.score: Counter = Counter()
        self.countries: Counter = Counter()
        self.first_seen: dict[str, int] = {}
        self.best: dict[str, gz.PlaceMention] = {}
        self.landmarks: set[str] = set()     # places named only as landmarks
        for weight, p in weighted:
            if p.destination or p.adjectival or p.role:
                continue
            if p.iso3:
                # a small town may be a namesake abroad ("the town of Kalam" is no village of
                # India in a story about Pakistan, "Crete" no town of the United States in one
                # about Greece): a weak vote
                small = p.level == gz.TOWN and p.candidates and \
                    max(e.population for e in p.candidates) < gz.UNCUED_MIN_POPULATION
                self.countries[p.iso3] += weight * (0.25 if small else 1)
            elif p.candidates and not p.cued and not _ambiguous_town(p):
                self.countries[p.candidates[0].iso3] += weight * 0.25   # its first reading
            if p.aside in ("example", "part", "parent"):
                continue     # an example, a part or a bracketed parent tells the country only
            key = _key(p)
            if p.aside == "landmark":     # "north of Aleppo": counts half, and only when no
                weight = weight / 2         # place of the text is named as itself
                if key not in self.score:
                    self.landmarks.add(key)
            else:
                self.landmarks.discard(key)
            self.score[key] += weight
            self.first_seen.setdefault(key, len(self.first_seen))
            b = self.best.get(key)
            # a level the text states ("Maidan Wardak province") over one guessed from a cue
            # ("in Maidan Wardak"), else the most specific
            if b is None or (b.guessed and not p.guessed) or (b.guessed == p.guessed and p.level > b.level):
                self.best[key] = p
        for iso3 in peoples:
            self.countries[iso3] += 0.5

    def rank(self) -> list[str]:
        return [c for c, _ in self.countries.most_common()]

    def pick(self, lead: set[str]) -> gz.PlaceMention | None:
        """The place the text is about. The most specific place its lead (title, first
        sentences) names: the event's place ("a blast in <town> in <province>") over a province
        named more often. A lead that names only countries tells a national story: a place named
        once further down (a part of a breakdown) does not replace the country, one named again
        and again does. A text without a lead place: the place named most often, the more
        specific at equal counts."""
        lead = {k for k in lead if k in self.score}
        if lead:
            specific = [k for k in lead if self.best[k].level > gz.COUNTRY]
            if specific:
                # a level the gazetteer knows over one guessed from a cue ("in Mindanao")
                return self.best[max(specific, key=lambda k: (
                    self.best[k].level, k not in self.landmarks, not self.best[k].guessed,
                    self.score[k], -self.first_seen[k]))]
            again = [k for k in self.score if self.best[k].level > gz.COUNTRY and self.score[k] >= 2]
            pool = again or list(lead)
        else:
            pool = list(self.score)
        if not pool:
            return None
        # the place named most often; at equal counts, the more specific
        return self.best[max(pool, key=lambda k: (self.score[k], self.best[k].level > gz.COUNTRY,
                                                  -self.first_seen[k]))]

    def country_shown(self, iso3: str, mentions) -> str:
        """How the text names country ``iso3``: its most frequent spelling, else the usual name."""
        names = Counter(p.name for p in mentions if p.level == gz.COUNTRY and p.iso3 == iso3
                        and _counts(p))
        return names.most_common(1)[0][0] if names else (gz.country_name(iso3) if iso3 else "")


def _is_heading(text: str, s: Sentence) -> bool:
    """A one-line paragraph without a sentence's end: a headline inside the article."""
    return (s.paragraph_sentences == 1 and s.end - s.start < 160
            and text[s.end - 1] not in ".!?:;\"”'’)…")


def _context(text: str, art: Article, default_date: str | None, clock: _Clock,
             words: list[set[str]] | None = None) -> _Context:
    """The article's place, country and date. ``words``: each sentence's ``words_in``, when the
    caller has it already."""
    dl = art.dateline
    mentions: list[tuple[int, gz.PlaceMention]] = []
    peoples: list[tuple[int, str]] = []
    spans = []
    if art.title:
        spans.append((-1, art.title[0], art.title[1], None))
    for i, s in enumerate(art.sentences):
        if art.title and s.start == art.title[0]:
            continue
        spans.append((i, s.start, s.end, words[i] if words else None))
    for idx, a, b, span_words in spans:
        clock.check()
        for p in gz.find_places(text, a, b, span_words):
            if dl is not None and dl.place_start <= p.start < dl.end:
                continue     # the dateline says where the story was filed, not where it happened
            mentions.append((idx, p))
        peoples.extend((idx, iso3) for iso3 in gz.demonym_countries(text, a, b))
    # a vessel's name is no place wherever it stands ("the boat, Conception ... the Conception")
    vessels = {gz.fold(p.name) for _, p in mentions if p.role == "vessel"}
    if vessels:
        for _, p in mentions:
            if not p.role and gz.fold(p.name) in vessels:
                p.role = "vessel"

    # the stories of the page: a headline after body text whose words name a place starts one
    starts, body_seen = [], False
    headings = set()
    for i, s in enumerate(art.sentences):
        if art.title and s.start == art.title[0]:
            continue
        if _is_heading(text, s):
            headings.add(i)
            if body_seen:
                starts.append(i)
                body_seen = False
        else:
            body_seen = True

    def lead_of(first: int, last: int) -> set[int]:
        """The sentences of a story's lead: its headings, then the first sentences of its first
        paragraph of text."""
        lead, para = set(), None
        for i in range(first, last):
            if i in headings and para is None:
                lead.add(i)
                continue
            s = art.sentences[i]
            if art.title and s.start == art.title[0]:
                continue
            if para is None:
                para = s.paragraph
            if s.paragraph != para or len(lead) >= _LEAD_SENTENCES + len(headings & lead):
                break
            lead.add(i)
        return lead

    bounds = [0] + starts + [len(art.sentences)]
    by_sentence: dict[int, list[gz.PlaceMention]] = {}
    for i, p in mentions:
        by_sentence.setdefault(i, []).append(p)
    peoples_of: dict[int, list[str]] = {}
    for i, c in peoples:
        peoples_of.setdefault(i, []).append(c)
    whole = _Tally([(3 if i == -1 else 1, p) for i, p in mentions],
                   [c for _, c in peoples])
    lead = lead_of(bounds[0], bounds[1]) | {-1}
    sections: list[tuple[int, _Place]] = []
    whole_rank = whole.rank()
    for first, last in zip(bounds[1:], bounds[2:]):
        if not any(_counts(p) for i in range(first, last) if i in headings
                   for p in by_sentence.get(i, ())):
            continue      # a heading without a place: part of the story before
        story = [p for i in range(first, last) for p in by_sentence.get(i, ())]
        tally = _Tally([(1, p) for p in story],
                       [c for i in range(first, last) for c in peoples_of.get(i, ())])
        # the countries of a later story come from it first, then from the page
        rank = tally.rank() + [c for c in whole_rank if c not in tally.countries]
        place = tally.pick({_key(p) for i in lead_of(first, last) for p in by_sentence.get(i, ())
                            if _counts(p)})
        if place is not None:
            _resolve_country(place, rank)
        country = place.iso3 if place is not None and place.iso3 else (rank[0] if rank else "")
        for p in story:
            _resolve_country(p, [country] + rank if country else rank)
        sections.append((first, _Place(place, country, tally.country_shown(country, story))))
    country_rank = whole.rank()
    place = whole.pick({_key(p) for i in lead for p in by_sentence.get(i, ()) if _counts(p)})
    if place is not None:
        _resolve_country(place, country_rank)
    country = (place.iso3 if place and place.iso3 else (country_rank[0] if country_rank else ""))
    # a sentence that names one country places its other places there first ("In neighbouring
    # Zimbabwe, 31 died in Chimanimani district", in a story about Mozambique)
    named: dict[int, set[str]] = {}
    for i, p in mentions:
        if p.level == gz.COUNTRY and p.iso3 and not (p.role or p.destination or p.adjectival):
            named.setdefault(i, set()).add(p.iso3)
    for i, p in mentions:
        own = list(named.get(i, ())) if len(named.get(i, ())) == 1 else []
        _resolve_country(p, own + ([country] + country_rank if country else country_rank))
    # a level guessed from a cue ("in Bududa") is the one the article states elsewhere ("Bududa
    # district")
    for _, p in mentions:
        if p.guessed:
            b = whole.best.get(_key(p))
            if b is not None and not b.guessed and b.iso3 == p.iso3:
                p.level = b.level
    dateline = None
    if dl is not None:
        # read as a name ("BEIRUT" -> "Beirut"), and only in the article's country: a regional
        # hub's dateline over a story about a neighbour says nothing of where it happened
        filed = text[dl.place_start:dl.place_end]
        filed = gz.as_name(filed) if filed.isupper() else filed
        for p in gz.find_places(filed, 0, len(filed)):
            _resolve_country(p, [country] + country_rank if country else country_rank)
            if not country or p.iso3 == country:
                dateline = p
            break
        if not country and dateline is not None and dateline.iso3:
            # an article that names no country of its own: the dateline's is the best guess
            country = dateline.iso3
            country_rank = [country]
            for _, p in mentions:
                _resolve_country(p, country_rank)
    title_index = next((i for i, s in enumerate(art.sentences)
                        if art.title and s.start == art.title[0]), None)
    return _Context(place, country or "", country_rank, _article_date(art, default_date), mentions,
                    whole.country_shown(country, [p for _, p in mentions]), dateline, sections,
                    title_index)


def _resolve_country(p: gz.PlaceMention, context: list[str]) -> None:
    if context and _small_town_abroad(p, context[0]):
        # "the tourist town of Kalam" in a story about Pakistan, "Linwood" in one about New Zealand
        p.iso3 = context[0]
        return
    if p.iso3:
        return
    options = [e.iso3 for e in p.candidates]
    for c in context:
        if c in options:
            p.iso3 = c
            return
    if p.candidates and not p.cued:
        if not _ambiguous_town(p):
            p.iso3 = p.candidates[0].iso3
    elif context:
        p.iso3 = context[0]         # a small town the gazetteer does not know: the article's country
    elif p.candidates:
        p.iso3 = p.candidates[0].iso3


# A town's name whose second reading, in another country, has at least this share of the first's
# people names no country on its own ("Valencia": Venezuela's or Spain's): the text must say which.
_RIVAL_SHARE = 0.5


def _ambiguous_town(p: gz.PlaceMention) -> bool:
    """Are the first two readings of a town's name big towns of two countries, neither far
    bigger? Then nothing but the text can tell its country (the text here named none)."""
    towns = [e for e in p.candidates if e.level == gz.TOWN]
    if len(towns) < 2 or len(towns) != len(p.candidates) or not towns[0].main:
        return False
    first, second = towns[0], next((e for e in towns[1:] if e.iso3 != towns[0].iso3), None)
    return second is not None and second.main and \
        second.population >= _RIVAL_SHARE * first.population


def _small_town_abroad(p: gz.PlaceMention, country: str) -> bool:
    """Does the gazetteer know the name only as small towns of countries other than the story's?
    Then it is a place of the story's country the gazetteer is too small to hold (a cued name
    smaller than a city, an uncued one of a few thousand people: "Linwood" in New Zealand is no
    Scottish village)."""
    if not p.candidates or p.level != gz.TOWN and not (p.cued and p.level > gz.COUNTRY):
        return False
    if p.cued and p.level < gz.TOWN:    # "Bale zone": a town of Switzerland is no zone
        return all(e.level == gz.TOWN and e.iso3 != country for e in p.candidates)
    limit = gz.UNCUED_MIN_POPULATION if p.cued else gz.ALTERNATES_FROM
    return all(e.level == gz.TOWN and e.iso3 != country and e.population < limit
               for e in p.candidates)


def _shown(p: gz.PlaceMention, country: str, ctx: _Context | None = None,
           text: str = "") -> tuple[str, str, str]:
    """(place, country, level) of a figure placed at mention ``p``; with the article's ``ctx`` and
    ``text``, a place in a list ("in Somali, Oromia and SNNP regions") is the whole list, as
    written, at its least specific level, when every member can be a figure's place."""
    if p.chain is not None and ctx is not None:
        members = ctx.chain_members(p.chain)
        if len(members) > 1 and all(_counts(q) or q.aside == "part" for q in members):
            a, b = p.chain
            countries = {q.iso3 for q in members}
            # a list of places in several countries has no one country
            return (text[a:b], p.iso3 or country if len(countries) == 1 else "",
                    _LEVEL_NAMES.get(min(q.level for q in members), "town"))
    return p.name, p.iso3 or country, _LEVEL_NAMES.get(p.level, "town")


@cache
def _national_patterns() -> dict[str, re.Pattern]:
    """The words that tie a figure to the whole country, or to a part of it, or make it a tally
    of a period (lexicon/places.toml, [national])."""
    data = load("places")
    nat = data["national"]
    alt = lambda ws: "|".join(_phrase_regex(w) for w in sorted(set(ws), key=len, reverse=True))  # noqa: E731
    directions = alt(data["directions"])
    return {
        # a word every phrase of the country and its parts holds ("countr", "nation"): a cheap
        # first look
        "hint": re.compile("|".join(sorted({_hint_word(p) for p in nat["phrases"] + nat["country_parts"]})),
                           re.I),
        "country": re.compile(rf"\b(?:{alt(nat['phrases'])})\b(?!['’]s)", re.I),
        # "the northwestern parts of the country", "the north of the country", "the country's north"
        "part": re.compile(rf"\b(?P<dir>{directions})\s+(?:{alt(nat['country_parts'])})\b(?!['’]s)|"
                           rf"\bthe\s+country['’]s\s+(?P<dir2>{directions})\b", re.I),
        "total": re.compile(rf"\b(?:{alt(nat['totals'])})\b", re.I),
        # "in the first half of the year", "this year", "in 2013" (a past year's toll), "since
        # February 2022", "since 2015"
        "period": re.compile(rf"\b(?:{alt(nat['periods'])})\b|"
                             rf"\b(?:in|during|throughout|since)\s+(?:{_MONTHS}\s+)?(?:19|20)\d\d\b"
                             rf"(?!\s*[-–])", re.I),
    }


def _hint_word(phrase: str) -> str:
    """A piece of the phrase to look for first: "countr" or "nation" when it holds one, else
    its last word."""
    low = phrase.lower()
    return next((w for w in ("countr", "nation") if w in low), re.escape(low.split()[-1]))


def _national(text: str, lo: int, hi: int, around: _Place) -> tuple[str, str, str] | None:
    """The country (or a part of it) when text[lo:hi] ties a figure to the whole country."""
    if not around.country or not around.country_shown:
        return None
    pats = _national_patterns()
    if not pats["hint"].search(text, lo, hi):
        return None
    m = pats["part"].search(text, lo, hi)
    if m:
        return (f"{gz.direction_adjective(m['dir'] or m['dir2'])} {around.country_shown}", around.country,
                "country_part")
    if pats["country"].search(text, lo, hi):
        return around.country_shown, around.country, "country"
    return None


def _people_of(text: str, around: _Place, n: NumberPhrase, hi: int) -> str | None:
    """The country of the people a number counts when they are named by nationality ("250,000
    Haitians", "1.4 million Somalis") and the story is about that country ("eight Mexicans died"
    in a shooting in Texas were not killed in Mexico)."""
    m = _PEOPLE.match(text, n.end, min(hi, n.end + 60))
    if m is None:
        return None
    word = m.group(1)
    iso3 = gz.country_of_name(word) or (gz.country_of_name(word[:-1]) if word.endswith("s") else None)
    return iso3 if iso3 and iso3 == around.country else None


# "250,000 Haitians", "1.4 million Somalis", "80,000 Sudanese have fled": a people as the noun
# (not "Somali refugees": where refugees come from is not where they are; not "nine Syrian
# soldiers")
_PEOPLE = re.compile(r"[ \t]+(?:more[ \t]+|other[ \t]+)?([A-Z][a-z]+s|[A-Z][a-z]+ese)"
                     r"(?=[ \t]*[,.;:)]|[ \t]+(?:and|have|had|are|were|was|is|who|died|fled|remain|"
                     r"remained|live|living|being|killed|displaced|dead|missing)\b)")


# the quantity of a part after a total: "..., 12 of them in Tripoli", "three of whom"
_LATER_PART = re.compile(r"\w[ \t]+(?:of[ \t]+(?:them|whom|which)|among[ \t]+them)\b")


def _place_for(text: str, ctx: _Context, art: Article, si: int, n: NumberPhrase,
               exclude: list[tuple[int, int]], neighbours: tuple[int | None, int]
               ) -> tuple[str, str, str]:
    """Where the figure of number ``n`` happened: (place, its country, its level). ``neighbours``:
    where the sentence's number before ``n`` ends (None when ``n`` is the first) and where the one
    after it starts (the sentence's end when it is the last)."""
    sent = art.sentences[si]
    around = ctx.around(si)
    here = ctx.usable(si, exclude)
    before, after = neighbours
    # the part of the sentence that is this number's own: up to the next number, and before the
    # first number ("In Hunan, 400 people...")
    own_lo = sent.start if before is None else n.start
    # "killed 40 people, 12 of them in Tripoli, and wounded 80 in Benghazi": a total whose part
    # lies in a place of its own is at none of the places named from that part on
    part_at = next((q.start for q in ctx.mentions_in(si) if q.aside == "part" and q.start > n.end
                    and _LATER_PART.search(text, n.end, q.start)), None)
    if part_at is not None:
        here = [p for p in here if p.start < n.end]
        if not here:    # several places of the story's country, none of them the total's
            return around.country_shown, around.country, "country" if around.country_shown else ""
    if here:
        # "one person in the Philippines and one in Hong Kong": the place right after the number
        m = _RIGHT_AFTER.match(text, n.end, after)
        if m is not None:
            at = {p.start: p for p in here}
            p = at.get(m.end())
            while p is not None:
                # "in Kenya's Tana River county", "in Khartoum's twin city of Omdurman": the
                # place the possessive names
                nxt = _POSSESSIVE.match(text, p.end, after)
                inner, pos = None, nxt.end() if nxt is not None else None
                for _ in range(5 if pos is not None else 0):
                    inner = at.get(pos)
                    word = _LOWER_WORD_AFTER.match(text, pos, after) if inner is None else None
                    if word is None:
                        break
                    pos = word.end()
                if inner is None:
                    return _shown(p, around.country, ctx, text)
                p = inner
        # A sentence that lists several figures ties each to the places of its own part. A place
        # after the number before belongs to that one ("2,800 houses damaged in Jiangxi and 400
        # people evacuated in Hunan"), so it comes next.
        own = [p for p in here if (n.end <= p.start < after or (before is None and p.start < n.start))
               and p.aside != "example"]
        if own:
            first_after = min((p.start for p in own if p.start >= n.end), default=None)
            national = first_after is not None and _national(text, n.end, first_after, around)
            if national:
                return national    # "1,200 people across the country this year, officials in Lusaka said"
            # the most specific; at one level, a place itself over a landmark ("the town of
            # Shirqat, south of Mosul"), then the nearest
            return _shown(max(own, key=lambda p: (p.level, not p.aside, -abs(p.start - n.start))),
                          around.country, ctx, text)
    national = _national(text, own_lo, after, around)
    if national:
        return national        # "... and 300 across the country"
    if here:
        earlier = [p for p in here if before is not None and before <= p.start < n.start]
        if earlier:
            return _shown(max(earlier, key=lambda p: (p.level, -abs(p.start - n.start))),
                          around.country, ctx, text)
        # the rest of the sentence, in the number's clause ("has killed 11 people and displaced
        # thousands in the Philippines"), unless an example or a part of the figure ("three
        # died; two of them in Logne")
        rest = [p for p in here if not p.aside and not _CLAUSE_LEFT.search(
            text, min(p.end, n.end), max(p.start, n.start))]
        if rest:
            return _shown(max(rest, key=lambda p: (p.level, -abs(p.start - n.start))),
                          around.country, ctx, text)
    # a figure of the whole country: "in the nation", "in the first half of the year", "250,000
    # Haitians"
    national = _national(text, sent.start, sent.end, around)
    if national:
        return national
    if around.country_shown and _people_of(text, around, n, sent.end):
        return around.country_shown, around.country, "country"
    capital = _capital_ref(text, sent, around.country)
    if capital is not None:
        return capital
    ref = _PROVINCE_REF.search(text, sent.start, sent.end)
    if ref and ref.group("kind") and ref.group("kind").lower() in ("province", "governorate", "region",
                                                                   "state"):
        kind = ref.group("kind").lower()
        for i, p in reversed(ctx.mentions):
            if i < si and p.level == gz.REGION and kind in p.name.lower():
                return _shown(p, around.country, ctx, text)
        if kind == "state":     # "in the state": the last state named ("Assam")
            for i, p in reversed(ctx.mentions):
                if i < si and p.level == gz.REGION and _counts(p):
                    return _shown(p, around.country, ctx, text)
        elif around.mention is not None:
            base = around.mention.name
            return ((base if around.mention.level == gz.REGION else f"{base} {kind}"),
                    around.mention.iso3 or around.country, "region")
    # the sentences before in the same paragraph (not for a total: "Overall, 23 have died"), then
    # the story
    back = 0 if _national_patterns()["total"].search(text, sent.start, sent.end) else _PREVIOUS_SENTENCES
    for sj in range(si - 1, max(-1, si - 1 - back), -1):
        if art.sentences[sj].paragraph != sent.paragraph:
            break
        prev = [p for p in ctx.usable(sj, exclude) if not p.aside and p.level > gz.COUNTRY]
        earlier = art.sentences[sj]
        if not prev and around.country_shown and not ctx.usable(sj, exclude) and (
                _national(text, earlier.start, earlier.end, around) is not None
                or _national_patterns()["period"].search(text, earlier.start, earlier.end)):
            # "So far this year 701 people have died. Another 347 are missing."
            return _national(text, earlier.start, earlier.end, around) or (
                around.country_shown, around.country, "country")
        if prev:
            top = max(p.level for p in prev)
            best = [p for p in prev if p.level == top]
            if len({gz.fold(p.name) for p in best}) == 1 or len({p.chain for p in prev}) == 1 \
                    and best[0].chain is not None:
                return _shown(best[0], around.country, ctx, text)   # a place, or a list of them
            break     # several places: none is the figure's for sure
    # a tally of a period ("in the first half of the year", "so far this year", "in 2013", "since
    # February 2022") that the paragraph does not place and that points at no place of the story
    # ("the camp", "there"): the country's
    if around.country_shown and _national_patterns()["period"].search(text, sent.start, sent.end) \
            and not (ref and (ref.group("kind") or "").lower() != "country"):
        return around.country_shown, around.country, "country"
    if around.mention is not None:
        if around.country_shown and _BULLET.match(text, sent.start) \
                and not ctx.named_by(around.mention, si):
            # a bullet of highlights, above the first naming of the story's place ("• 433 people
            # have died" above "• the worst impact in Bago Region"): the country's figure
            return around.country_shown, around.country, "country"
        return _shown(around.mention, around.country, ctx, text)
    if ctx.dateline is not None:
        return _shown(ctx.dateline, around.country, ctx, text)
    return "", around.country, ""


# ---------------------------------------------------------------------------------------------
# The engine


_DIGIT = re.compile(r"\d")
_NUMBER_WORDS = frozenset(
    w + plural for w in ("one two three four five six seven eight nine ten eleven twelve thirteen "
                         "fourteen fifteen sixteen seventeen eighteen nineteen twenty thirty forty "
                         "fifty sixty seventy eighty ninety hundred thousand million dozen score "
                         "lakh lac crore billion").split() for plural in ("", "s"))
_ONE_WORDS = frozenset(("a", "an", "another"))     # "a journalist was shot dead"


def _may_state_figure(text: str, start: int, end: int, words: set[str] | None = None) -> bool:
    """The pre-filter: can text[start:end] state a figure at all? It needs a number (digits or a
    number word) and the first word of some trigger. One pass of a cheap tokenizer; every sentence
    that fails it is skipped by the rules, so it must never say no to a sentence they would read.
    ``words``: ``words_in(text, start, end)`` when the caller has it already."""
    if words is None:
        words = words_in(text, start, end)
    lex = _lexicon()
    return bool(words & lex["trigger_words"]) and (
        _DIGIT.search(text, start, end) is not None or not words.isdisjoint(_NUMBER_WORDS)
        or (not words.isdisjoint(_ONE_WORDS) and not words.isdisjoint(lex["one_person_words"])))


class ExtractionTimeout(UnreadableDocument):
    """The engine gave up on one document after its time limit; other documents are not affected."""


class _Clock:
    """The time left for one document, checked between sentences."""

    __slots__ = ("deadline", "limit", "doc_id")

    def __init__(self, limit: float, doc_id: str):
        self.limit, self.doc_id = limit, doc_id
        self.deadline = time.monotonic() + limit

    def expired(self) -> ExtractionTimeout:
        return ExtractionTimeout(
            f"{self.doc_id or 'document'}: extraction stopped after {self.limit:.0f} s, far longer "
            "than text of this size needs; the document was skipped. Please report it with the "
            "file attached.")

    def check(self) -> None:
        if time.monotonic() > self.deadline:
            raise self.expired()


def time_limit_for(text: str) -> float:
    """The default time limit for a document of this length, in seconds."""
    return TIME_LIMIT_S + TIME_LIMIT_PER_MB_S * len(text) / 1e6


def extract(text: str, doc_id: str = "", date: str | None = None,
            time_limit: float | None = None) -> list[Figure]:
    """Every figure of people killed, injured, missing, trapped or displaced that ``text`` states.

    ``date`` (ISO, optional) is the document's date when the caller knows it: it dates articles
    without a dateline and gives the year to datelines without one. ``time_limit`` (seconds,
    default ``time_limit_for(text)``) bounds the work: past it ``ExtractionTimeout`` is raised.
    """
    if not isinstance(text, str):
        raise TypeError("extract() needs the document as text (str); decode bytes first")
    clock = _Clock(time_limit_for(text) if time_limit is None else time_limit, doc_id)
    from .repair import repair
    # words run together or broken by PDF extraction ("werekilled", "in- jured") are repaired
    # first; the figures of a repaired text are mapped back to the original's offsets and words
    words = words_in(text)
    fixed = repair(text, words)
    if fixed is not None:
        text = fixed.text
        words = words_in(text)
    figures: list[Figure] = []
    if not _may_state_figure(text, 0, len(text), words):
        return figures     # no number or no trigger word anywhere: nothing to read closely
    try:
        articles = structure(text, deadline=clock.deadline)
    except TimeoutError:       # the regex module's timeout, inside the whole-document patterns
        raise clock.expired() from None
    for art in articles:
        clock.check()
        figures.extend(_article_figures(text, _in_pieces(text, art), doc_id, date, clock))
    return figures if fixed is None else [fixed.figure(f) for f in figures]


_BREAK = re.compile(r"[\s,;]")
_OVERLAP = 300     # pieces of a long sentence overlap by about this much, so no figure is cut


def _in_pieces(text: str, art: Article) -> Article:
    """The article with every sentence longer than MAX_SENTENCE (a table, a run-on page) cut into
    overlapping pieces of at most that length, each ending at the last space or comma in its
    second half, so the rules read all of it in bounded steps. A figure read twice in an overlap
    is reported once (see _article_figures)."""
    if all(s.end - s.start <= MAX_SENTENCE for s in art.sentences):
        return art
    out = []
    for s in art.sentences:
        start = s.start
        while s.end - start > MAX_SENTENCE:
            cut = start + MAX_SENTENCE
            for m in _BREAK.finditer(text[start + MAX_SENTENCE // 2:cut][::-1]):
                cut -= m.start()
                break
            out.append(dataclasses.replace(s, start=start, end=cut,
                                           first_in_paragraph=s.first_in_paragraph and start == s.start))
            m = _BREAK.search(text, cut - _OVERLAP, cut)
            start = m.end() if m else cut
        out.append(dataclasses.replace(s, start=start,
                                       first_in_paragraph=s.first_in_paragraph and start == s.start))
    return dataclasses.replace(art, sentences=out)


def _article_figures(text: str, art: Article, doc_id: str, date: str | None,
                     clock: _Clock) -> list[Figure]:
    # the pre-filter: only sentences with a number and a trigger word can state a figure; each
    # sentence is split into words once, for the pre-filter, the attributions and the triggers
    words = [words_in(text, sent.start, sent.end) for sent in art.sentences]
    candidates = [si for si, sent in enumerate(art.sentences)
                  if _may_state_figure(text, sent.start, sent.end, words[si])]
    if not candidates:
        return []
    is_candidate = set(candidates)
    figures_of: dict[int, list] = {}     # a sentence's figures, read once (see _told_in_body)

    def sentence_figures(si: int) -> list:
        if si not in figures_of:
            figures_of[si] = list(_sentence_figures(text, art.sentences[si], words[si])) \
                if si in is_candidate else []
        return figures_of[si]

    ctx: _Context | None = None
    out: list[Figure] = []
    seen = set()
    # (category, start) -> (place, country, level) of each figure reported whole, for its parts
    totals: dict[tuple[str, int], tuple[str, str, str]] = {}
    # every cue of the article read in order, so references resolve to what came before; the
    # sentences after the last candidate's paragraph cannot credit one of its figures
    last = candidates[-1]
    upto = last + 1
    while upto < len(art.sentences) and art.sentences[upto].paragraph == art.sentences[last].paragraph:
        upto += 1
    credits = ArticleSources(text, art.start, art.end)
    cues: list[list[Attribution]] = []
    resolved: list[list[Credit]] = []
    for si in range(upto):
        sent = art.sentences[si]
        found = (find_attributions(text, sent.start, sent.end, words[si])
                 if sent.end - sent.start < MAX_SENTENCE else [])
        got = []
        for a in found:
            c = credits.resolve(a)
            credits.record(c)
            got.append(c)
        cues.append(found)
        resolved.append(got)
    credited: dict[int, Credit] = {}     # the credit of each sentence's first credited figure
    quotes = _Quotes(text, art, cues, resolved) if any(
        c in text[art.start:art.end] for c in _QUOTE_MARKS) else None
    last = None      # (sentence, (who, unit, combatant)) of the last figure, when fighters
    for si in candidates:
        clock.check()
        sent = art.sentences[si]
        if ctx is None:
            ctx = _context(text, art, date, clock, words)
        in_title = art.title is not None and sent.start == art.title[0]
        for k, fig_args in enumerate(sentence_figures(si)):
            n, who, unit, combatant, decision, span, neighbours, part_of = fig_args
            if part_of is not None and (decision.category, part_of) not in totals:
                continue    # a part whose total is not reported (a repeat, a headline's)
            if k == 0 and not combatant and last is not None and last[0] == si - 1 \
                    and art.sentences[si - 1].paragraph == sent.paragraph \
                    and _NO_NOUN.match(text, n.end, sent.end):
                # "Nine soldiers were killed. Another 14 were wounded.": the fighters go on
                who, unit, combatant = last[1]
            key = (decision.category, n.value, n.value_low, n.value_high, text[sent.start:sent.end],
                   n.start - sent.start)
            if key in seen or (decision.category, n.start) in seen \
                    or (in_title and _told_in_body(art, candidates, sentence_figures,
                                                   decision.category, n)):
                continue    # a repeated sentence, the overlap of two pieces of a long one, or a
                            # headline that repeats the story's figure
            seen.add(key)
            seen.add((decision.category, n.start))
            credit = quotes.speaker_at(n.start) if quotes is not None else NO_CREDIT
            if not credit.source:
                credit = credit_for(text, cues[si], resolved[si], n.start, n.end)
            if credit.source:
                credited.setdefault(si, credit)     # credited by the sentence's own words
            else:
                credit = _inherited_credit(text, art, si, credited, cues, resolved,
                                           _opens_with_number(text, sent))
                if not credit.source:
                    credit = _block_credit(text, art, si, credits)
            # the words of a cue are no place of the figure ("the Maidan Wardak provincial
            # council said"), unless the body credited is a country and the figure's ("the
            # United Kingdom, reporting 37,542 deaths" is the UK's count; "Israel said ...;
            # Palestinian officials said 22 civilians were killed" is not Israel's)
            exclude = [(a.start, a.end) for a, c in zip(cues[si], resolved[si])
                       if not gz.country_of_name(c.body) or c != credit]
            if art.dateline:
                exclude.append((art.dateline.place_start, art.dateline.end))
            last = (si, (who, unit, combatant)) if combatant else None
            whole = totals.get((decision.category, part_of)) if part_of is not None else None
            if whole is not None:
                # a part's place is its own, right by it ("of whom 30,000 in Hiraan region"),
                # else its total's ("12 killed in Sumy, 5 of them children, while in Kharkiv")
                own_end = _part_end(text, span[1], neighbours[1])
                if any(n.end <= p.start < own_end for p in ctx.usable(si, exclude)):
                    location, country, level = _place_for(text, ctx, art, si, n, exclude,
                                                          (neighbours[0], own_end))
                else:
                    location, country, level = whole
            else:
                # the places of its parts ("including 12 in Aleppo and 8 in Idlib") are not the
                # total's
                exclude += [(f[0].start, _part_end(text, f[5][1], f[6][1]))
                            for f in sentence_figures(si) if f[7] == span[0]
                            and f[4].category == decision.category]
                location, country, level = _place_for(text, ctx, art, si, n, exclude, neighbours)
            when, when_text = figure_date(text, *_own_part([f for f in sentence_figures(si)
                                                            if f[7] is None], n, sent),
                                          n.start, ctx.date, words[si])
            where = gz.point(location, country, level)      # its map point, or None
            out.append(Figure(
                doc_id=doc_id, article=art.index, category=decision.category, value=n.value,
                value_low=n.value_low, value_high=n.value_high, qualifier=n.qualifier,
                number_text=n.text, unit=unit, who=who, combatant=combatant,
                term=" ".join(decision.term.split()), location=location, country=country,
                location_level=level, lat=where[0] if where else None,
                lon=where[1] if where else None,
                source=credit.source, speaker=credit.speaker, reported_date=ctx.date,
                figure_date=when, figure_date_text=when_text,
                quote=text[_quote_start(art, sent):sent.end], start=span[0], end=span[1],
                part_of=part_of))
            if part_of is None:
                totals[(decision.category, span[0])] = (location, country, level)
    return out


_QUOTE_MARKS = ('"', "“", "”")
_AFTER_QUOTE = re.compile(r"[ \t,]*(?:(?:said|says|added|adds|noted|stated|explained|wrote|told|"
                          r"continued|concluded|warned)[ \t]+)?$", re.I)
_BEFORE_QUOTE = re.compile(r"[ \t,:]*(?:that[ \t]*)?$", re.I)


class _Quotes:
    """The quotations of an article and who speaks each: a speaker named right after the closing
    mark ('..." the agency said') or right before the opening one ('he said: "...'), else the
    speaker of the quotation before it in the same or the previous paragraph (a quotation that
    goes on after a break, or a second one from the same person)."""

    def __init__(self, text: str, art: Article, cues: list[list[Attribution]],
                 resolved: list[list[Credit]]):
        self.spans: list[tuple[int, int]] = []
        self.credits: list[Credit] = []
        pairs = [(a, c) for found, got in zip(cues, resolved) for a, c in zip(found, got)]
        paragraphs: dict[int, tuple[int, int]] = {}
        for s in art.sentences:
            a, b = paragraphs.get(s.paragraph, (s.start, s.end))
            paragraphs[s.paragraph] = (min(a, s.start), max(b, s.end))
        previous: tuple[int, Credit] | None = None      # (paragraph, speaker) of the last quote
        for para, (a, b) in sorted(paragraphs.items()):
            for qs, qe in _quotations(text, a, b):
                speaker = NO_CREDIT
                for cue, c in pairs:
                    if not c.source:
                        continue
                    # the speaker stands in the quotation's own paragraph, next to a mark
                    if qe <= cue.start < qe + 40 and _AFTER_QUOTE.match(text, qe, cue.start):
                        speaker = c
                        break
                    if qs - 12 < cue.end <= qs and _BEFORE_QUOTE.match(text, cue.end, qs) \
                            and cue.kind == "speaker":
                        speaker = c
                        break
                if not speaker.source and previous is not None and para - previous[0] <= 1:
                    speaker = previous[1]
                if speaker.source:
                    previous = (para, speaker)
                self.spans.append((qs, qe))
                self.credits.append(speaker)
        self.starts = [s for s, _ in self.spans]

    def speaker_at(self, pos: int) -> Credit:
        """Who speaks the quotation holding text position ``pos``; NO_CREDIT outside quotations."""
        i = bisect.bisect_right(self.starts, pos) - 1
        if i >= 0 and self.spans[i][0] <= pos < self.spans[i][1]:
            return self.credits[i]
        return NO_CREDIT


def _quotations(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """(start, end) of each quotation in the paragraph text[start:end], marks included; one left
    open runs to the paragraph's end (it goes on in the next paragraph)."""
    spans = []
    opened = None
    for m in re.finditer(r'["“”]', text[start:end]):
        pos, mark = start + m.start(), m.group()
        if opened is None:
            if mark != "”":
                opened = pos
        elif mark != "“":
            if pos - opened > 1:
                spans.append((opened, pos + 1))
            opened = None
    if opened is not None and end - opened > 20:
        spans.append((opened, end))
    return spans


def _own_part(figures: list, n: NumberPhrase, sent: Sentence) -> tuple[int, int]:
    """The part of a sentence that belongs to the figure of number ``n`` among the sentence's
    ``figures``: from the figure before it to the figure after it ("14 died on 2 October, and 9
    on Saturday")."""
    lo, hi = sent.start, sent.end
    for f in figures:
        if f[0].end <= n.start:
            lo = max(lo, f[0].end)
        elif f[0].start >= n.end:
            hi = min(hi, f[0].start)
    return lo, hi


def _quote_start(art: Article, sent: Sentence) -> int:
    """Where the quote starts: after the dateline ("London, 14 Jun –") when the sentence has one."""
    d = art.dateline
    if d is not None and sent.start <= d.place_start < sent.end and d.end < sent.end:
        return d.end
    return sent.start


def _told_in_body(art: Article, candidates: list[int], sentence_figures, category: str,
                  n: NumberPhrase) -> bool:
    """Does the body of the article state the headline's figure too? ``sentence_figures(si)``
    gives a sentence's figures, read once per sentence for the headline and the body alike."""
    return any(f[4].category == category and f[0].value == n.value
               for si in candidates if art.sentences[si].start != art.title[0]
               for f in sentence_figures(si))


def _inherited_credit(text: str, art: Article, si: int, credited: dict[int, Credit],
                      cues: list[list[Attribution]], resolved: list[list[Credit]],
                      figure_first: bool) -> Credit:
    """The credit of the sentence before, where the text plainly continues it. That sentence is
    in the same paragraph (or both are one-sentence paragraphs in a row, as wire copy writes),
    this one has no attribution or hedge of its own ("Reports said", "reportedly"), and the one
    before either credited a figure with its own words ("Officials said 20 people died. Another
    50 were hurt."), or credits a statement about the same event ("The strikes hit the south,
    according to the Observatory. Six civilians were killed in the strikes."), or states
    something in the same paragraph and this sentence opens with its figure (``figure_first``).
    Never where this sentence names another body that counts ("MSF teams treated 152 wounded"):
    the figure may be that body's.
    """
    credit = _credit_before(text, art, si, credited, cues, resolved, figure_first)
    sent = art.sentences[si]
    if credit.source and _names_other_body(text[sent.start:sent.end], credit):
        return NO_CREDIT
    return credit


def _credit_before(text: str, art: Article, si: int, credited: dict[int, Credit],
                   cues: list[list[Attribution]], resolved: list[list[Credit]],
                   figure_first: bool) -> Credit:
    """``_inherited_credit`` before the check for another body."""
    if si == 0 or cues[si]:
        return NO_CREDIT
    sent, prev = art.sentences[si], art.sentences[si - 1]
    same_paragraph = prev.paragraph == sent.paragraph
    # (not the items of a list: each a fact of its own, "- 40,000 displaced" under "- 58 killed,
    # according to the ministry")
    wire_style = (prev.paragraph == sent.paragraph - 1 and prev.paragraph_sentences == 1
                  and sent.paragraph_sentences == 1 and not _BULLET.match(text, sent.start)
                  and not _BULLET.match(text, prev.start))
    if not (same_paragraph or wire_style) or _HEDGE.search(text, sent.start, sent.end) \
            or _ANOTHER_EVENT.match(text, sent.start, sent.end):
        return NO_CREDIT
    if si - 1 in credited:
        # not a figure of another event ("An attack on a bus killed 12, the ministry said.
        # Fighting in Menaka has forced 2,000 people to flee.")
        here, there = _events(text[sent.start:sent.end]), _events(text[prev.start:prev.end])
        return credited[si - 1] if not (here and there) or here & there else NO_CREDIT
    statement = next(((a, c) for a, c in zip(cues[si - 1], resolved[si - 1]) if c.source), None)
    if statement is None:
        return NO_CREDIT
    cue, credit = statement
    if _events(text[sent.start:sent.end]) & _events(text[prev.start:prev.end]):
        return credit
    # "The Health Ministry said the raids hit a detention centre. At least 70 detainees were
    # killed.": a statement, then a sentence that opens with its figure, in one paragraph
    if same_paragraph and cue.right and figure_first:
        return credit
    return NO_CREDIT


# A line of a list of figures ("Deaths: 94", "- Injured: 3,560"), a line that credits such a list
# ("Source: INGD, 18 December") and a heading that does ("Casualties as of 10 May (Ministry of
# Health):")
_LABEL_LINE = re.compile(rf"[ \t]*(?:{BULLET_MARKS}[ \t]*)?[A-Z][\w'’ ()/\-]{{0,40}}:[ \t]*"
                         r"(?:[~≈<>][ \t]*)?(?:[A-Za-z]+[ \t]+){0,2}\d")
_SOURCE_LINE = re.compile(r"[ \t]*[(\[]?(?:Sources?|Data|Figures)[ \t]*:[ \t]*"
                          r"(?P<src>[^,;/(\n]{2,120})")
# a body in brackets at the end of a line: of key figures ("... 120 wounded (Ministry of Health,
# 3 March).") or of their heading, which ends with a colon
_BRACKETED_SOURCE = re.compile(r"\((?:[Ss]ources?:[ \t]*)?(?P<src>[A-Z][^(),;\n]{1,80})"
                               r"(?:,[^()\n]{0,40})?\)[ \t]*(?P<end>[.:]?)[ \t]*$")
_LIST_REACH = 12     # lines of a list of figures read for the line that credits it
_KEY_FIGURE_LINE = 100   # the longest line of key figures with no label ("1.2M people displaced")


def _block_credit(text: str, art: Article, si: int, credits: ArticleSources) -> Credit:
    """The credit of a line of a list of figures ("Injured: 768", "1.2M people displaced") given
    by a line of its own after the list ("Source: INGD, 18 December") or by its heading
    ("Casualties as of 10 May (Ministry of Health):"); lines of the list only between them."""
    sentences = art.sentences
    own = sentences[si]
    line = text[own.start:own.end].rstrip()
    if not (_LABEL_LINE.match(text, own.start, own.end)
            or len(line) <= _KEY_FIGURE_LINE and not line.endswith((".", "!", "?", '"', "”"))):
        return NO_CREDIT    # a sentence of a story, not a line of key figures
    m = _BRACKETED_SOURCE.search(text, own.start, own.end)
    if m and m["end"] != ":":   # "Casualty figures: 54 dead, 120 wounded (Ministry of Health)."
        parsed = parse_credit(m["src"])
        if (parsed.body or parsed.role) and not (gz.country_of_name(m["src"])
                                                 or gz.is_region_or_town(m["src"])):
            return credits.credit_of(parsed, m.start())
    for step in (1, -1):
        sj = si + step
        while 0 <= sj < len(sentences) and abs(sj - si) <= _LIST_REACH:
            s = sentences[sj]
            m = _SOURCE_LINE.match(text, s.start, s.end)
            if m is None and step < 0:
                m = _BRACKETED_SOURCE.search(text, s.start, s.end)
                m = m if m is not None and m["end"] == ":" else None
            if m:
                return credits.credit_of(parse_credit(m["src"]), s.start)
            if not _LABEL_LINE.match(text, s.start, s.end):
                break
            sj += step
    return NO_CREDIT


def _opens_with_number(text: str, sent: Sentence) -> bool:
    """Does the sentence open with a number phrase ("At least 70 detainees were killed")?"""
    head = text[sent.start:min(sent.end, sent.start + 80)]
    lead = len(head) - len(head.lstrip(" \t\"“‘'("))
    found = find_numbers(head)
    return bool(found) and found[0].start == lead


# a sentence that opens on another event: "In a separate attack", "Separately", "Elsewhere"
_ANOTHER_EVENT = re.compile(r"[\s\"“‘'(]{0,5}(?:(?:in|during)\s{1,3}(?:a|an|another)\s{1,3}"
                            r"(?:separate|unrelated|different|second|further)?\s{0,3}"
                            r"(?:attack|incident|strike|raid|development|case|clash)"
                            r"|in\s{1,3}another\b|separately|elsewhere"
                            r"|in\s{1,3}other\s{1,3}news)\b",
                            re.I)
_BULLET = re.compile(rf"[ \t]{{0,8}}(?:{BULLET_MARKS}|\d{{1,2}}[.)])[ \t]")
_HEDGE = re.compile(r"\b(?:reportedly|allegedly|purportedly|unconfirmed|it is (?:believed|thought|"
                    r"feared)|(?:are|is|were|was) (?:believed|thought|feared|said) to)\b", re.I)


def _events(sentence: str) -> set[str]:
    """The words for what happened that a sentence uses ("strikes", "earthquake"), as listed in
    lexicon/attribution.toml (events), singular and plural read alike."""
    return {w.rstrip("s") for w in words_in(sentence) if w.rstrip("s") in _event_stems()}


@cache
def _event_stems() -> frozenset[str]:
    return frozenset(w.rstrip("s") for w in load("attribution")["events"])


@cache
def _counting_bodies() -> re.Pattern:
    """The known bodies that count victims (agencies, charities, monitors, disaster
    authorities), as written, whole words: not the armed groups and news outlets, whose names
    say who acted or who wrote."""
    names = set(load("attribution")["bodies"]) - bodies_of_kind("armed") - bodies_of_kind("outlet")
    return re.compile(r"(?<![\w-])(?:" + "|".join(re.escape(n) for n in
                                                  sorted(names, key=len, reverse=True))
                      + r")(?![\w-])")


def _names_other_body(sentence: str, credit: Credit) -> bool:
    """Does the sentence name a body that counts victims, other than the one ``credit`` names?"""
    mine = f"{credit.body} {credit.role} {credit.person}".lower()
    return any(m.group().lower() not in mine for m in _counting_bodies().finditer(sentence))


def _sentence_figures(text: str, sent: Sentence, words: set[str] | None = None):
    """(number, who, unit, combatant, decision, span, neighbours, part_of) for every figure in one
    sentence; ``neighbours``: the end of the sentence's number before it (None for the first)
    and the start of the one after it (else the sentence's end), for ``_place_for``;
    ``part_of``: for a part of a breakdown ("4 police officers" in "23 people, including 4 police
    officers and 2 attackers, were killed"), the span start of its total, which is yielded before
    it; None for a figure that stands alone. A part has its total's category and its own noun's
    who; a part whose total is not a figure (hypothetical, denied, no noun) is not yielded.
    ``words``: ``words_in`` of the sentence when the caller has it already."""
    lo, hi = sent.start, min(sent.end, sent.start + MAX_SENTENCE)
    numbers = find_numbers(text[lo:hi], words if hi == sent.end else None)
    numbers = [NumberPhrase(n.start + lo, n.end + lo, n.text, n.value, n.value_low, n.value_high,
                            n.qualifier, n.core_start + lo, n.is_vague, n.is_word, n.bare_digits)
               for n in numbers]
    numbers = [_changed_to(text, _line_end_scale(text, n, hi), lo) for n in numbers]
    if _lexicon()["one_person"].search(text, lo, hi):
        numbers = sorted(numbers + _single_victims(text, lo, hi, numbers), key=lambda n: n.start)
    counts = [n for n in numbers if _is_count(text, n, lo, hi)]
    unreal = _Unreal(text, lo, hi)
    phrases: dict[int, tuple] = {}

    def phrase(j: int) -> tuple:
        if j not in phrases:
            phrases[j] = _noun_phrase(text, counts[j], hi)
        return phrases[j]

    # parts of a breakdown: "six civilians, including a woman and four children", "60 people,
    # of whom 20 were children", and every item of a list of parts ("including 4 police officers
    # and 2 attackers"), unless an item has a predicate of its own ("..., and 40 were wounded")
    is_part: list[bool] = []
    for i, n in enumerate(counts):
        part = i > 0 and bool(_PART_OF.search(text, counts[i - 1].end, n.start))
        if part and _COMMA_AND.search(text, counts[i - 1].end, n.start) \
                and _own_predicate(text, phrase(i), hi):
            part = False     # "killed, including a nurse, and 17 were wounded": a figure of its own
        if not part and i > 0 and not is_part[i - 1] and counts[i].value < counts[i - 1].value:
            prev_end = phrase(i - 1)[1]
            if prev_end <= n.start and _BRACKET_OPEN.fullmatch(text, prev_end, n.start):
                # "Three guards (two brothers and their cousin) died": a breakdown in brackets,
                # unless it restates the total in another unit ("2,300 households (11,500 people)")
                g_total, g_part = phrase(i - 1)[0], phrase(i)[0]
                part = g_total is None or g_part is None or g_total.unit == g_part.unit
        if not part and i > 0 and not is_part[i - 1] and _OF_PRONOUN.match(text[n.end:hi]):
            # "Eighteen people, six of them children, were killed", "21 people (eight of them
            # children) drowned": the part right after its total's noun
            prev_end = phrase(i - 1)[1]
            part = prev_end <= n.start \
                and bool(_PART_AFTER_TOTAL.fullmatch(text, prev_end, n.start))
        if not part and i > 0 and is_part[i - 1]:
            prev_end = phrase(i - 1)[1]
            part = prev_end <= n.start and bool(_LIST_JOIN.fullmatch(text, prev_end, n.start)) \
                and not _own_predicate(text, phrase(i), hi)
        is_part.append(part)
    # the same figure in another unit ("2,300 households (about 11,500 people)"), a part, or a
    # number of places where the displaced stay ("remain in 14 evacuation centres") does not end the
    # clause of the number before it
    restated = [i > 0 and not is_part[i] and _restates(text, counts[i - 1], n, hi)
                for i, n in enumerate(counts)]
    inside = [p or r or _counts_shelters(text, n, hi) for p, r, n in zip(is_part, restated, counts)]

    # the next number after each that is no part, restatement or shelter count (None for none)
    next_free: list[NumberPhrase | None] = [None] * len(counts)
    for j in range(len(counts) - 2, -1, -1):
        next_free[j] = counts[j + 1] if not inside[j + 1] else next_free[j + 1]
    # where the sentence's numbers start and end, sorted, for each number's neighbours
    starts = sorted(m.start for m in numbers)
    ends = sorted(m.end for m in numbers)

    def right_of(j: int) -> int:
        bound = next_free[j].start if next_free[j] is not None else hi
        m = _CLAUSE_LEFT.search(text, counts[j].end, bound)
        return m.start() if m else bound

    previous: tuple | None = None
    fighters: tuple | None = None     # (group, end) of the sentence's last combatant figure
    total: tuple | None = None        # (decision, span start, who, unit, combatant) of the
                                      # sentence's last figure that stands alone, for its parts
    found = None      # the sentence's trigger matches, found at its first number that needs them
    for i, n in enumerate(counts):
        e, s_ = bisect.bisect_right(ends, n.start), bisect.bisect_left(starts, n.end)
        neighbours = (ends[e - 1] if e else None, starts[s_] if s_ < len(starts) else hi)
        if is_part[i] and (total is not None or not _own_predicate(text, phrase(i), hi)):
            if total is None:
                continue       # the total is no figure (hypothetical, denied, no noun), nor its parts
            grp, np_end, _, ok, of_pronoun = phrase(i)
            if not ok:
                continue       # "including 3 schools": an unknown noun, no people
            part = _part(text, n, grp, np_end, hi, total, neighbours)
            if part is not None:
                yield part
            continue
        # (a part of a total that is no figure, with words of harm of its own, stands alone:
        # "623,000 people have been affected, including 47,000 who are sheltering in schools")
        who_they_were = _COPULA_NOUN.match(text, n.end, hi)
        if who_they_were is not None:
            noun = _lexicon()["noun"].match(text, who_they_were.end(), hi)
            if noun is not None and _CLAUSE_END_AFTER.match(text, noun.end(), hi):
                # "Twelve people died, he said, adding that 4 were children": who some of the
                # figure before were, a part of it; nothing without one
                if total is not None:
                    part = _part(text, n, None, n.end, hi, total, neighbours)
                    if part is not None:
                        yield part
                continue
        # the clause this number belongs to: between its neighbours and clause breaks
        left_bound = counts[i - 1].end if i > 0 else lo
        right_bound = next_free[i].start if next_free[i] is not None else hi
        for m in _CLAUSE_LEFT.finditer(text, left_bound, n.start):
            left_bound = m.end()
        m = _CLAUSE_LEFT.search(text, n.end, right_bound)
        if m:
            right_bound = m.start()
        open_paren = text.rfind("(", lo, n.start)
        if open_paren > text.rfind(")", lo, n.start):
            left_bound = max(left_bound, open_paren + 1)
            close = text.find(")", n.end, hi)
            right_bound = min(right_bound, close) if close != -1 else right_bound
        grp, np_end, inner, ok, of_pronoun = phrase(i)
        if not ok:
            previous = total = None
            continue
        if found is None:
            found = _all_triggers(text, lo, hi, words if hi == sent.end else None)
        if restated[i]:     # the figure before, in another unit
            decision = previous[0] if previous is not None and previous[1] <= n.start else None
        else:
            decision = _decide(text, n, np_end, inner, left_bound, right_bound, found)
        if decision is None and previous is not None and (re.fullmatch(
                r"\s*(?:,\s*)?(?:and|as well as|plus|or|,)\s*", text[previous[1]:n.start])
                or _PLACE_AND.fullmatch(text, previous[1], n.start)
                and _ELIDED.match(text, np_end, hi)):
            # "26 fighters were killed, as well as nine soldiers", "killed 14 people in Nairobi
            # and 6 in Mombasa"
            decision = previous[0]
        if decision is None and i + 1 < len(counts) and not is_part[i + 1] and re.fullmatch(
                r"\s*(?:,\s*)?(?:and|or|as well as|,)\s*", text[np_end:counts[i + 1].start]):
            # "Seven women and 12 militants were killed": the next number's predicate is shared
            nxt = counts[i + 1]
            _, nxt_end, nxt_inner, nxt_ok, _ = phrase(i + 1)
            if nxt_ok:
                decision = _decide(text, nxt, nxt_end, nxt_inner, nxt.start, right_of(i + 1), found)
        if decision is not None and _not_a_move(text, decision, grp, n.end, np_end):
            decision = None    # "500 peacekeepers arrived in Goma"
        if decision is not None and grp is None \
                and decision.term.lower() in _lexicon()["needs_people"] \
                and not (decision.start >= np_end and _AUX.fullmatch(text[np_end:decision.start])):
            decision = None    # "lost 3 games", "3-1, and the visitors lost": no people named
                               # ("another 12 were lost" are the number's own predicate)
        if of_pronoun and total is not None and (decision is None or not decision.category
                                                 or decision.category == total[0].category) \
                and not _CLAUSE_LEFT.search(text, total[1], n.start):
            # "47 people were injured, 15 of them seriously", "310, 95 of them children": a part
            part = _part(text, n, None, np_end, hi, total, neighbours)
            if part is not None:
                yield part
            continue
        if decision is None or not decision.category:
            previous = total = None
            continue
        if _hypothetical_or_denied(text, n, decision, left_bound, unreal):
            previous = total = None
            continue
        share_at = _number_share(text, n) if decision.start >= np_end else None
        if decision.start >= np_end and _of_a_share(text, n, np_end, decision, left_bound,
                                                    share_at):
            share = counts[i - 1] if i > 0 and counts[i - 1].start == share_at else None
            if share is not None and (previous is None or previous[1] <= share.start) \
                    and not _hypothetical_or_denied(text, share, decision, lo, unreal):
                # "Eleven of the 16 crew members are still missing": the share is the figure,
                # of the whole's people
                g = grp or _label_group(text, left_bound, n, hi)
                e = bisect.bisect_right(ends, share.start)
                who, unit = (g.who, g.unit) if g else ("people", "people")
                combatant = g.combatant if g else False
                span = (share.start, max(np_end, decision.end))
                yield (share, who, unit, combatant, decision, span,
                       (ends[e - 1] if e else None, n.start), None)
                # its parts follow it ("Five of the six were killed, four of them women")
                previous, total = (decision, np_end), (decision, span[0], who, unit, combatant)
                continue
            previous = total = None
            continue
        if grp is None and of_pronoun:
            grp = _antecedent(text, lo, n.start)
        if grp is None:
            grp = _label_group(text, left_bound, n, hi)    # "Families displaced 3,400"
        others = grp is not None and _OTHERS.fullmatch(text, n.end, np_end) is not None
        if (grp is None or others) and fighters is not None \
                and not _CLAUSE_LEFT.search(text, fighters[1], n.start):
            # "Three soldiers were killed and 12 (others) were wounded", "350 troops, compared
            # with 520 last year": a number with no noun of its own counts the fighters before it
            grp = fighters[0]
        who = grp.who if grp else "people"
        unit = grp.unit if grp else "people"
        combatant = grp.combatant if grp else False
        if n.qualifier == "exact" and not n.is_vague and _BEYOND.search(text, max(lo, n.start - 24),
                                                                         n.start):
            n = replace(n, value_low=n.value, value_high=None, qualifier="at_least")
        span = (min(n.start, decision.start), max(np_end, n.end, decision.end))
        previous = (decision, np_end)
        total = (decision, span[0], who, unit, combatant)
        fighters = (grp, n.end) if grp is not None and grp.combatant else None
        yield n, who, unit, combatant, decision, span, neighbours, None


_RELATIVE = re.compile(r"\s*(?:,\s*)?(?:who|that|which|whom)\b", re.I)


def _of_a_share(text: str, n: NumberPhrase, np_end: int, d: _Decision, lo: int,
                share_at: int | None) -> bool:
    """Is the number's noun phrase a whole of which a share is the subject ("a third of the
    town's 30,000 residents have fled", "11 of the 16 crew members": ``share_at``, from
    ``_number_share``)? Not when the words of harm follow the noun at once or in a relative
    clause ("half of the 40 people injured were children", "some of the 12 who died")."""
    if share_at is None and not _not_count_patterns()["share_of"].search(
            text, max(lo, n.start - 40), n.start):
        return False
    gap = text[np_end:d.start]
    if not gap.strip():
        # "four of the 30 passengers died": a verb that is no participle is the share's; "the 40
        # people injured (in the blast) were children": a participle, then the share's own verb
        return d.term.lower().split()[0] in _FINITE_ONLY \
            and not _PREDICATE_AFTER.match(text, d.end)
    return not _RELATIVE.match(gap)


# words of harm that are a verb of their own, never a participle after a noun
_FINITE_ONLY = frozenset({"died", "fled", "perished", "drowned", "succumbed", "disappeared"})
# a verb after a participle, in its clause ("injured in the blast were", "trapped underground
# have been", "injured later died")
_PREDICATE_AFTER = re.compile(r"[^,;.:]{0,80}?\b(?:were|was|are|is|have|has|had|will|would|"
                              r"remain|remained|remains|include|included|includes|later)\b", re.I)
_OF_THE_BEFORE = re.compile(r"[ \t]{1,3}of[ \t]{1,3}(?:the|its|their|those|these)[ \t]{1,3}$",
                            re.I)


def _number_share(text: str, n: NumberPhrase) -> int | None:
    """Where the smaller number before this one whose whole it is starts ("11 of the 16 crew
    members are still missing", "two of the five hostages"), or None."""
    # (read past the number's clause, which starts after the number before it)
    of = _OF_THE_BEFORE.search(text, max(0, n.start - 24), n.start)
    if of is None:
        return None
    head = text[max(0, of.start() - 40):of.start()]
    found = find_numbers(head)
    if not found or found[-1].end != len(head) or found[-1].value >= n.value:
        return None
    return of.start() - len(head) + found[-1].start


def _part(text: str, n: NumberPhrase, grp, np_end: int, hi: int, total: tuple, neighbours):
    """The figure tuple of ``n`` as a part of ``total`` (its category and link; its own noun's
    who, else the total's), or None when it says what became of some of them ("of which 838
    have been relocated") rather than who they were."""
    if grp is None:
        grp, np_end = _part_group(text, None, np_end, hi)
    if grp is None and _status_part(text, np_end, hi):
        return None
    decision, start, who, unit, combatant = total
    if grp is not None:
        who, unit, combatant = grp.who, grp.unit, grp.combatant
    return n, who, unit, combatant, decision, (n.start, max(np_end, n.end)), neighbours, start


_PART_END = re.compile(r"[,;()]|\b(?:while|whereas|but|although|though|however)\b", re.I)
def _part_end(text: str, pos: int, bound: int) -> int:
    """Where a part's own words end: the first comma, bracket or clause break after ``pos`` (the
    end of its noun phrase), else ``bound`` (the next number or the sentence's end)."""
    m = _PART_END.search(text, pos, bound)
    return m.start() if m else bound


_COMMA_AND = re.compile(r",\s{0,3}(?:and|while|but)\s{1,3}$", re.I)
_BRACKET_OPEN = re.compile(r"\s{0,3}\(\s{0,3}(?:(?:including|among\s+them|of\s+whom)\s{1,3})?")
_PART_AFTER_TOTAL = re.compile(r"\s{0,5}[,(—–-]\s{0,5}")
# a place after a figure: "in Aleppo", "at Kakuma Camp"
_AT_PLACE = (r"\s{1,3}(?:in|at|near)\s{1,3}[A-Z][\w'’\-]{0,30}"
             r"(?:\s{1,3}[A-Z][\w'’\-]{0,30}){0,3}")
# between two parts of a list: "4 police officers and 2 attackers", "12 in Aleppo and 8 in Idlib"
_LIST_JOIN = re.compile(rf"(?:{_AT_PLACE})?\s{{0,5}}(?:,\s{{0,5}})?"
                        r"(?:and|as well as|plus|,)\s{1,5}")
# between two figures of one verb, the first with its place: "killed 14 people in Nairobi and 6 in
# Mombasa" (the second with no verb of its own: a place or the clause's end after it)
_PLACE_AND = re.compile(rf"{_AT_PLACE}\s{{0,5}}(?:,\s{{0,5}})?(?:and|as well as|plus)\s{{1,5}}")
_ELIDED = re.compile(r"\s{1,3}(?:in|at|near)\s{1,3}[A-Z]|\s{0,3}(?:[,.;)]|$)")
_PART_NOUN = re.compile(r"\s{0,5}(?:(?:were|was|are|is)\s{1,5})?", re.I)
# "4 were children.": who the number's people were, and nothing more in the clause
_COPULA_NOUN = re.compile(r"\s{1,5}(?:were|are)\s{1,5}(?:all\s{1,5})?", re.I)
_CLAUSE_END_AFTER = re.compile(r"\s{0,5}(?:[.,;:)]|$|(?:and|while|but|whereas)\b)", re.I)


def _own_predicate(text: str, phrase: tuple, hi: int) -> bool:
    """Has an item of a list its own predicate right after its noun phrase ("and 40 wounded",
    "and 40 others were hurt"), which makes it a figure of its own rather than a part?"""
    _, np_end, inner, _, _ = phrase
    if inner is not None:
        return True
    m = _AUX.match(text[np_end:hi])
    pos = np_end + (m.end() if m else 0)
    return _trigger_at(text[pos:hi], pos) is not None


_STATUS = re.compile(r"\s{1,5}(?:are|is|were|was|have|has|had|later|subsequently|since)\b", re.I)


def _status_part(text: str, pos: int, hi: int) -> bool:
    """Does a part with no noun of its own go on with a predicate ("of which 6,142 are being
    hosted by relatives", "three of whom later died")? It says what became of some of the
    total, not who they were: no part of the breakdown."""
    return bool(_STATUS.match(text, pos, hi))


def _part_group(text: str, grp, pos: int, hi: int):
    """(group, end) of the noun a part names after "of them"/"of whom N were" ("six of them
    children", "of whom 20 were children"); (None, pos) when it names none ("15 of them
    seriously"), and the part counts its total's people."""
    lex = _lexicon()
    m = _PART_NOUN.match(text, pos, hi)
    at = m.end() if m else pos
    noun = lex["noun"].match(text[at:hi])
    if noun and (at + noun.end() >= hi or not text[at + noun.end()].isalnum()):
        return lex["noun_of"][" ".join(noun.group().lower().split())], at + noun.end()
    return None, pos


# a single victim's predicate: passive ("was shot dead", "has been abducted") or a verb that takes
# no object ("died", "went missing"); "a gunman killed five" is an agent, not a victim
_ONE_PASSIVE = re.compile(r"(?:\s{1,5}(?!(?:who|that|which)\b)[a-z][\w\-]{1,20}(?=\s{1,5}(?:was|were)\b))?"   # "a civilian contractor"
                          r"\s{1,5}(?:was|were|has\s+been|had\s+been|have\s+been|is|got|reportedly|also|later|"
                          r"subsequently|allegedly)\b", re.I)
_ONE_INTRANSITIVE = re.compile(r"\s{1,5}(?:also\s+|later\s+|reportedly\s+)?(?:died|drowned|perished|"
                               r"succumbed|went\s+missing|disappeared|remains\s+missing|"
                               r"is\s+missing|was\s+missing|is\s+still\s+missing)\b", re.I)
# "gunmen shot dead a policeman", "killing an aid worker", "wounding another"
_ONE_OBJECT = re.compile(r"\b(?:killed|killing|kills|shot\s+dead|shot|wounded|wounding|injured|"
                         r"injuring|abducted|abducting|kidnapped|kidnapping|beheaded|lynched|"
                         r"murdered|stabbed|hanged|executed)\s{1,5}$", re.I)


def _single_victims(text: str, lo: int, hi: int, numbers: list[NumberPhrase]) -> list[NumberPhrase]:
    """One victim named with an article: "a journalist was shot dead", "an aid worker died",
    "killing a policeman", "another was wounded". The number phrase is the article word."""
    taken = [(m.start, m.end) for m in numbers if _is_count(text, m, lo, hi)]
    out = []
    for m in _lexicon()["one_person"].finditer(text, lo, hi):
        word = m.group("article") or m.group("alone")
        start = m.start("article") if m.group("article") else m.start("alone")
        end = m.end("noun") if m.group("noun") else m.end("alone")
        if any(a < end and start < b for a, b in taken) or _NOT_ONE.search(
                text, max(lo, start - 12), start):
            continue     # read already, or denied: "not a single civilian was hurt"
        between = text[start + len(word):m.start("noun")] if m.group("noun") else ""
        if re.search(r"[,.;:()]|\d(?!\d{0,2}-year-old)|\b(?:and|or|of|from|by|who|that|which)\b",
                     between):
            continue     # the words between the article and the noun are modifiers only
        after = text[end:hi]
        passive = _ONE_PASSIVE.match(after)
        victim = _ONE_INTRANSITIVE.match(after) is not None or _ONE_OBJECT.search(
            text[max(lo, start - 30):start]) is not None
        if passive and not victim:
            # a harm word among the next few ("was badly burned", "has reportedly been killed")
            for w in re.finditer(r"\b\w", text[end:min(hi, end + 50)]):
                pos = end + w.start()
                d = _trigger_at(text[pos:hi], pos)
                if d is not None:
                    victim = d.category in _HARM
                    break
        if not victim:
            continue
        out.append(NumberPhrase(start, start + len(word), word, 1.0, 1.0, 1.0, "exact", start,
                                False, True, False))
    return out


# a number with no noun of its own: "Another 14 were wounded", "12 others died", "two more"
_NO_NOUN = re.compile(r"[ \t]{1,5}(?:(?:more|other)[ \t]{1,5})?(?:others?[ \t]{1,5})?(?:were|was|have|had|are|is|"
                      r"died|later|also)\b", re.I)
_NOT_ONE = re.compile(r"\b(?:not|without|nor|never)\s{1,5}$", re.I)
_OTHERS = re.compile(r"\s{1,5}(?:more\s{1,5})?others?", re.I)


_OPEN_RESTATEMENT = re.compile(r"\s*[(\[]\s*(?:or\s+|i\.\s?e\.,?\s+|that\s+is,?\s+)?")
_CLOSE_RESTATEMENT = re.compile(r"\s*[)\]]")


def _restates(text: str, before: NumberPhrase, n: NumberPhrase, hi: int) -> bool:
    """Is ``n``, alone in brackets right after the noun phrase of the number ``before``, that
    number in another unit ("2,300 households (about 11,500 people)", "2,759 persons (around 460
    families)")?"""
    g0, end0, _, ok0, _ = _noun_phrase(text, before, hi)
    if not ok0 or not _OPEN_RESTATEMENT.fullmatch(text, end0, n.start):
        return False
    g1, end1, inner, ok1, _ = _noun_phrase(text, n, hi)
    if not ok1 or inner is not None or not _CLOSE_RESTATEMENT.match(text, end1, hi):
        return False
    return (g0.unit if g0 else "people") != (g1.unit if g1 else "people")


# "People displaced by the floods 1.1 m": a scale letter apart from the number that ends a
# key-figure line is millions (or thousands), not metres
_SCALE_AT_LINE_END = re.compile(r"[ \t]{1,2}(?P<scale>m|mn|bn|k|M|K)\.?[ \t]*(?=\n|$)")
_SCALES = {"m": 1e6, "mn": 1e6, "bn": 1e9, "k": 1e3}


def _line_end_scale(text: str, n: NumberPhrase, hi: int) -> NumberPhrase:
    """``n`` with its scale when it ends a key-figure line as "1.1 m" (a short label of words
    before it, a trigger among them); else ``n`` itself."""
    if n.is_word or n.is_vague or n.value >= 1000:
        return n
    m = _SCALE_AT_LINE_END.match(text, n.end, hi) if n.end < hi else None
    if m is None:
        return n
    start = text.rfind("\n", 0, n.start) + 1
    if not _LABEL.fullmatch(text, start, n.start) or len(text[start:n.start].split()) > 8 \
            or not _all_triggers(text, start, n.start):
        return n
    k = _SCALES[m.group("scale").lower()]
    scaled = lambda v: None if v is None else v * k   # noqa: E731
    end = n.end + len(m.group().rstrip())
    return NumberPhrase(n.start, end, text[n.start:end], n.value * k, scaled(n.value_low),
                        scaled(n.value_high), n.qualifier, n.core_start, n.is_vague, n.is_word,
                        False)


_LINE_END = re.compile(r"[ \t]*(?:\n|$|;|\()")
_LABEL = re.compile(r"[^\d\n.]{1,60}")


def _label_group(text: str, lo: int, n: NumberPhrase, hi: int):
    """The group a key-figure line names before its number, when the number ends the line
    ("Families displaced 3,400", "IDP households: 9,000"): the first people noun of a short
    label (never fighters: "Police say toll rises to 12" is a headline, not a label)."""
    start = max(lo, text.rfind("\n", 0, n.start) + 1)
    if not (n.end == hi or _LINE_END.match(text, n.end, hi)) or \
            not _LABEL.fullmatch(text, start, n.start) or len(text[start:n.start].split()) > 6:
        return None
    lex = _lexicon()
    for m in lex["noun"].finditer(text, start, n.start):
        if (m.start() == 0 or not text[m.start() - 1].isalnum()) and \
                (m.end() >= len(text) or not text[m.end()].isalnum()):
            group = lex["noun_of"][" ".join(m.group().lower().split())]
            return None if group.combatant else group
    return None


_SPACE = re.compile(r"\s+")
_ONE_WORD = re.compile(r"\s+[a-z][\w\-]*\s+")


def _counts_shelters(text: str, n: NumberPhrase, hi: int) -> bool:
    """Does number ``n`` count places where the displaced stay, as groups.toml lists them
    (not_people.shelters: "14 evacuation centres", "3 temporary camps")?"""
    shelters = _lexicon()["shelters"]
    for gap in (_SPACE, _ONE_WORD):
        m = gap.match(text, n.end, hi)
        if m is not None and shelters.match(text, m.end(), hi):
            return True
    return False


def _not_a_move(text: str, d: _Decision, grp, start: int, np_end: int) -> bool:
    """Is ``d`` a move (lexicon: displaced.movement) made by fighters or travellers, whom the
    noun phrase text[start:np_end] names, rather than by people displaced?"""
    lex = _lexicon()
    if d.category != "displaced" or not lex["movement"].fullmatch(" ".join(d.term.split())):
        return False
    return (grp is not None and grp.combatant) or not words_in(text, start, np_end).isdisjoint(
        lex["not_movers"])


def _antecedent(text: str, lo: int, pos: int):
    """The group named just before "N of whom": "Iranian military advisers, one of whom died"."""
    lex = _lexicon()
    head = text[lo:pos]
    best = None
    for m in lex["noun"].finditer(head):
        best = m
    if best is None:
        return None
    return lex["noun_of"].get(" ".join(best.group().lower().split()))
