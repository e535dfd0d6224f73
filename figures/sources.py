"""Attribution: who a sentence credits for a figure, as a body, a role and a named person.

"UNICEF spokeswoman Marixie Mercado said" credits the body UNICEF through its spokeswoman, the
person Marixie Mercado; "the provincial governor said" credits a role; "Sharif Hotak said" a
person. A figure's ``source`` is the body, else the role, else the person; its ``speaker`` is the
person. The words are in lexicon/attribution.toml.

The reading is a row of high-precision rules, each allowed to abstain (the "sieves" of quote
attribution systems), and a source is only ever taken from the text:

1. ``find_attributions`` finds the cues of a sentence: "according to X", "X said / estimates /
   told Reuters / put the toll at", "..., said X", each with the credit phrase as written and the
   side of the sentence it governs (what follows "X said that", what precedes "..., X said").
2. ``parse_credit`` reads a credit phrase into body, role and person, or into a reference to be
   resolved ("the agency", "he", "Mercado"); anything that is not a named body, a person or a
   role phrase ("Thousands of civilians", "Another", "In Aleppo") reads as nothing.
3. ``ArticleSources`` resolves references with what the article said before: "the agency" is the
   last body whose head noun fits, "it" the last body, "he" the last person, "Mercado" the person
   named in full before, with the body the article tied them to.

Precision first: when a rule cannot tell, the source stays empty. An empty source is honest, a
wrong one is not.
"""
from __future__ import annotations

import bisect
import re
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache

from .lexicon import first_words, load, where_words, words_in
from .places import country_of_name, is_region_or_town


@dataclass(frozen=True, slots=True)
class Credit:
    """Who a figure is credited to."""

    body: str = ""       # the organisation or body: "UNICEF", "Sudanese government"
    role: str = ""       # "spokeswoman", "provincial governor", "officials"
    person: str = ""     # a named person: "Marixie Mercado"

    @property
    def source(self) -> str:
        """What the figure's source column shows: the body, else the role (an office: "the
        provincial governor", "officials"), else the person; a person's own calling ("a nurse",
        "an eyewitness") gives way to their name."""
        if self.body:
            return self.body
        if self.person and self.role and _personal_role(self.role):
            return self.person
        return self.role or self.person

    @property
    def speaker(self) -> str:
        return self.person


NO_CREDIT = Credit()


def _role_fits(role: str, head: str, heads: frozenset, qualifiers: list[str]) -> bool:
    """Do the words of a reference ("the agency", "the disaster agency") fit a role credited
    before ("state emergency agency")?"""
    words = role.lower().split()
    return bool(words) and (words[-1] == head or words[-1] in heads) \
        and all(q in words for q in qualifiers)


def _personal_role(role: str) -> bool:
    """Does the role describe a person rather than an office ("nurse", "eyewitness")?"""
    return role.split()[-1].lower() in _patterns()["personal_roles"]


@dataclass(slots=True)
class Attribution:
    start: int           # the credit phrase and its cue, as offsets into the text
    end: int
    phrase: str          # the credit phrase as written: "the UN refugee agency", "he"
    kind: str            # "according", "speaker" (X said), "inverted" (said X)
    left: bool           # it closes the clause before it: '20 died, the UN said'
    right: bool          # it opens what follows: 'the UN said that ...', 'According to X, ...'
    phrase_start: int = -1   # where the credit phrase itself stands
    phrase_end: int = -1


def _alt(words) -> str:
    return "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in sorted(set(words), key=len, reverse=True))


@cache
def _patterns():
    data = load("attribution")
    verbs = _alt(data["speech_verbs"])
    inverted = data["inverted_verbs"]
    places = load("places")
    return {
        # the phrase after "according to": up to fourteen words up to a mark; parse_credit and
        # _noun_phrase_forward decide where the name really ends
        "according": re.compile(
            rf"\b(?:{_alt(data['before_source'])})\s+(?P<src>[A-Za-z\u00c0-\u024f][\w.'’\-&]*"
            rf"(?:[ \t]+[\w.'’\-&()]+){{0,13}})", re.IGNORECASE),
        # a speech verb right after a word; the words before it are checked by _has_subject_tail
        "speaker": re.compile(rf"(?<=[\w.'’\-&),])\s+(?P<verb>{verbs})\b", re.IGNORECASE),
        "inverted": re.compile(
            rf"(?:[,\"”’]|^)\s*(?:{_alt(inverted)})\s+"
            rf"(?P<src>[A-Za-z\u00c0-\u024f][\w.'’\-&]*(?:\s+[\w.'’\-&]+){{0,11}}?)\s*(?=[.,;:]|$)",
            re.IGNORECASE),
        # the pre-filter: a sentence with none of these words credits nobody
        "cue_words": first_words([*data["before_source"], *data["speech_verbs"], *inverted]),
        "according_words": first_words(data["before_source"]),
        "speaker_words": first_words(data["speech_verbs"]),
        "inverted_words": first_words(inverted),
        "pronouns": {p.lower() for p in data["pronouns"]},
        "not_sources": {n.lower() for n in data["not_sources"]},
        "times": {t.lower() for t in load("times")["words"]},
        "descriptors": {k.lower(): frozenset(v) for k, v in data["descriptors"].items()},
        "bodies": {_fold_name(k): frozenset(v) for k, v in data["bodies"].items()},
        "titles": {t.lower().rstrip(".") for t in data["titles"]},
        # the words that end a title ("Minister", "Coordinator", "Chief"): "Humanitarian" or
        # "Health" alone are no title, only with the word after them
        "title_words": {t.split()[-1].lower().rstrip(".") for t in data["titles"]}
        | {w.lower().rstrip(".") for t in data["titles"] if "-" in t for w in t.split("-")},
        "role_heads": {r.lower() for r in data["role_heads"]},
        "personal_roles": {r.lower() for r in data["personal_roles"]},
        "body_roles": frozenset(r.lower() for r in data["body_roles"]),
        "body_kinds": frozenset(w.lower() for w in data["body_kinds"]),
        "named_bodies": frozenset(w.lower() for w in data["named_bodies"]),
        "named_in": re.compile(rf"\b(?:{_alt(data['named_in'])})$"),
        "world_regions": frozenset(w.lower() for w in places["world_regions"]),
        "data_nouns": re.compile(
            rf"^(?:(?:{_alt(data['data_modifiers'])})\s+){{0,3}}(?:{_alt(data['data_nouns'])})"
            rf"(?:\s+(?:from|by|of|(?:{_alt(data['data_participles'])})\s+by))\s+(?P<author>.+)$",
            re.I),
        "possessive_data": re.compile(
            rf"^(?P<author>.+?)(?:['’]s?)?\s+(?:(?:{_alt(data['data_modifiers'])})\s+){{0,3}}"
            rf"(?:{_alt(data['data_nouns'])})$", re.I),
        "data_participle_end": re.compile(rf"\s+(?:{_alt(data['data_participles'])})$", re.I),
        "bare_data": re.compile(
            rf"^(?:(?:{_alt(data['data_modifiers'])})\s+){{0,3}}(?:{_alt(data['data_nouns'])})$",
            re.I),
        "org_words": {w.lower() for w in places["org_words"]} | _MORE_ORG_WORDS,
        "demonyms": set(places["demonyms"]),
        "directions": {d.lower() for d in places["directions"]},
        "place_kinds": {k.lower() for k in places["kinds"]} | {k.lower() + "s" for k in places["kinds"]},
    }


# Words of an organisation's name that a person's name never holds (beside places.toml org_words).
_MORE_ORG_WORDS = {"archive", "project", "trust", "initiative", "campaign", "monitor", "media",
                   "press", "tv", "radio", "television", "herald", "journal", "daily", "gazette",
                   "channel", "tribune", "guardian", "telegraph", "express", "review", "bureau",
                   "society", "council", "government", "administration", "ministry", "party",
                   "state", "states", "republic", "nations", "kingdom", "emirates", "red",
                   "crescent", "international", "national", "global", "world", "united",
                   "assembly", "parliament", "court", "tribunal", "academy", "college", "school",
                   "church", "mosque", "embassy", "consulate", "airlines", "airways", "railways",
                   "hospital", "clinic", "laboratory", "lab", "centre", "center", "force", "navy",
                   "coast", "guard", "ngo", "ngos", "association", "foundation", "institute",
                   "agency", "agencies", "department", "authority", "commission", "committee",
                   "directorate", "secretariat", "defence", "defense", "protection", "rescue",
                   "relief", "emergency", "response", "delegation", "representation",
                   "matrix", "tracking", "system", "unit", "cluster", "mechanism", "platform",
                   "database", "portal", "team", "taskforce", "task", "survey", "desk"}


# ---------------------------------------------------------------------------------------------
# 1. The cues of a sentence


# up to ten words (the first starting with a letter) ending right before a speech verb: the text
# before the verb is read backwards, so the pattern is tried once instead of at every character
_SUBJECT_TAIL_REVERSED = re.compile(r"\s+(?:[\w.'’\-&]+\s+){0,9}[\w.'’\-&]*[A-Za-z\u00c0-\u024f]")
_SUBJECT_REACH = 400


def _has_subject_tail(sentence: str, lo: int, verb_start: int) -> bool:
    """Does sentence[lo:verb_start] end with up to ten words, the first starting with a letter,
    and the space before the verb?"""
    return _SUBJECT_TAIL_REVERSED.match(sentence[lo:verb_start][::-1]) is not None


_NOUN_BEFORE = re.compile(r"\b(?:a|an|the|another|latest|new|its|their|his|her|this|that|"
                         r"whose|first|initial|earlier|previous|recent)$", re.I)
_SPEECH_NEXT = re.compile(r"\s+(?:said|says|showed|shows|found|finds|stated|states|added|noted|"
                          r"estimated|put|puts|released|published)\b", re.I)
_PASSIVE = re.compile(r"\b(?:is|are|was|were|been|be|being)\s+(?:\w+ly\s+)?$", re.I)
_CLAUSE_MARKS = "[,;:“”\"(—–]"
_CLAUSE_WORDS = ("that", "and", "but", "while", "as", "after", "because", "when", "which", "who",
                 "where", "if", "though", "although", "since", "so")
# the words in lower case or capitalised, never in capitals: "WHO said" is the World Health
# Organization
_CLAUSE_FORMS = [v for w in _CLAUSE_WORDS for v in (w, w.capitalize())]
_CLAUSE = re.compile(rf"{_CLAUSE_MARKS}|\b(?:{'|'.join(_CLAUSE_FORMS)})\b")
# the same pattern for the text read backwards (each word spelt backwards): the last boundary
# before a verb is then the first match, found without reading the whole clause
_CLAUSE_REVERSED = re.compile(
    rf"{_CLAUSE_MARKS}|\b(?:{'|'.join(w[::-1] for w in _CLAUSE_FORMS)})\b")
_SUBJECT_WINDOW = 600    # a source is at most a dozen words: its clause boundary is never further back


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


_RELATIVE_PREDICATE = re.compile(r"^(?:asked|spoke|requested|declined|did\s+not|was\s+not|is\s+not|"
                                 r"were\s+not|are\s+not|could\s+not)\b", re.I)
_APPOSITION_WHO = re.compile(r",\s*who\s*$", re.I)
_ASIDE_MAX = 160


def _subject_before(sentence: str, verb_start: int) -> tuple[int, str] | None:
    """The credit phrase right before a speech verb, back to the clause boundary: (its offset in
    the sentence, the phrase). A name with an aside before the verb is read whole: "Ahmed Saleh,
    director of the hospital, said" and "Farooq Ahmad, who is the police chief, reported"."""
    cut = _last_boundary(sentence, verb_start)
    if cut is None:
        return None
    if cut > 0 and sentence[cut - 1] == "(" and ")" in sentence[cut:verb_start]:
        # "The UN refugee agency (UNHCR) has said": the brackets are part of the name
        outer = _last_boundary(sentence, cut - 1)
        if outer is None:
            return None
        cut = outer
    own = sentence[cut:verb_start]
    head = sentence[:cut]
    if not own.strip() and head.endswith(","):
        # "NAME, ASIDE, said": the aside runs back to the comma before it
        aside_end = cut - 1
        c = sentence.rfind(",", max(0, aside_end - _ASIDE_MAX), aside_end)
        if c <= 0:
            return None
        name_start = _last_boundary(sentence, c)
        if name_start is None:
            return None
        name = sentence[name_start:c]
        aside = sentence[c + 1:aside_end].strip()
        if not name.strip() or not (_looks_like_name(name.strip())
                                    or _PERSON_NAME.fullmatch(_strip_title(aside))
                                    or _looks_like_name(aside)):
            return None      # "NAME, aside,", "the director of the hospital, Dr NAME," or
                             # "the next highest country, the United Kingdom, reporting"
        phrase = f"{name.strip()}, {aside}"
        return name_start + len(name) - len(name.lstrip()), phrase
    if head.rstrip().lower().endswith("who") and not head.rstrip()[:-3].rstrip().endswith(",") \
            and _RELATIVE_PREDICATE.match(own.strip()):
        # "an official who asked not to be named said": the subject is before "who"
        w = head.rstrip()[:-3].rstrip()
        name_start = _last_boundary(sentence, len(w))
        if name_start is not None and w[name_start:].strip():
            np = w[name_start:]
            return name_start + len(np) - len(np.lstrip()), np.strip()
    if head.rstrip().lower().endswith("who") and _APPOSITION_WHO.search(head):
        # "Farooq Ahmad, who is Inspector General of Police, reported"
        c = head.rstrip()[:-3].rstrip()
        comma = len(c) - 1
        name_start = _last_boundary(sentence, comma)
        if name_start is not None and _looks_like_name(sentence[name_start:comma].strip()):
            name = sentence[name_start:comma]
            phrase = f"{name.strip()}, who {own.strip()}"
            return name_start + len(name) - len(name.lstrip()), phrase
    src = own.strip()
    if not src or len(src.split()) > 12 or _DIGIT.search(src):
        return None
    if src[:1].islower() and head.endswith(",") and not _LEADING_WORDS.match(src) \
            and not re.match(r"(?:the|this|these|those|its|their)\s", src, re.I):
        # "Martin Mogwanja, humanitarian coordinator of the UN, told": the name before the aside
        comma = cut - 1
        name_start = _last_boundary(sentence, comma)
        name = sentence[name_start:comma] if name_start is not None else ""
        if name.strip() and _PERSON_NAME.fullmatch(name.strip()) and not country_of_name(name.strip()):
            return name_start + len(name) - len(name.lstrip()), f"{name.strip()}, {src}"
    return cut + len(own) - len(own.lstrip()), src


_DIGIT = re.compile(r"\d")
# the article joined to a capitalised name: "el-Sayed", "al-Balah", "ash-Sham"
_JOINED_ARTICLE = r"(?:al|el|ad|ar|as|ash|at|az|an)-"
_PERSON_NAME = re.compile(r"[A-Z][\w.'’\-]+(?:\s+(?:(?:al|el|bin|ibn|abu|de|da|van|von)\s+|"
                          rf"{_JOINED_ARTICLE})?[A-Z][\w.'’\-]+){{1,4}}")
_NAME_START = re.compile(r"^[\"“‘']?(?:the\s+)?[A-Z]")


def _looks_like_name(text: str) -> bool:
    """A capitalised phrase of at most eight words ("Ahmed Saleh", "the Observatory"): a name
    that an aside may describe."""
    return bool(_NAME_START.match(text)) and len(text.split()) <= 8 and not _DIGIT.search(text)


def _strip_title(name: str) -> str:
    """ "Dr Karim Haddad" -> "Karim Haddad"."""
    words = name.split()
    titles = _patterns()["title_words"]
    while len(words) > 2 and words[0].lower().rstrip(".") in titles:
        words = words[1:]
    return " ".join(words)


# what may follow a speech verb that closes a clause: '..., the UN said on Monday in a statement.'
_CLOSING_TAIL = re.compile(
    r"^(?:\s{0,10}(?:,|\.|;|\bon\s+\w+|\bin\s+(?:a|its|their|the)\s+(?:\w+\s+){0,2}"
    r"(?:statement|report|interview|briefing|update|post|tweet|release|message|conference)|"
    r"\bat\s+(?:a|the)\s+(?:\w+\s+){0,2}(?:briefing|conference|meeting)|\b(?:to|told)\s+(?:the\s+)?"
    r"(?:[A-Z][\w.\-]*\s*){1,4}(?:news\s+agency)?|(?:the\s+)?(?:[A-Z][\w.&\-]*\s*){1,4}"
    r"(?:news\s+agency|broadcaster|newspaper|television)?|\b(?:to\s+)?(?:reporters|journalists|the\s+press)|"
    r"\b(?:yesterday|today|tonight|earlier|later|late|early|overnight|last\s+\w+|this\s+\w+)|"
    r"\b(?:by\s+(?:tele)?phone|via\s+\w+)|\b(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|"
    r"Sunday)|\b(?:in|on)\s+(?:\w+\s+)?\d{1,2}(?:\s+\w+)?)){0,12}\s*$")
_APPOSITION_AFTER = re.compile(
    r",\s*(?P<what>(?:a|an|the)\s+[a-z][\w'’\-]*(?:\s+(?:[a-z][\w'’\-]*|[A-Z][\w.'’\-]*)){0,8}|"
    r"[A-Z][\w.'’\-]+(?:\s+(?:(?:al|el|bin|de|van|von)\s+)?[A-Z][\w.'’\-]+){1,3})\s*,")
_APPOSITION_END = re.compile(
    r",\s*(?P<what>(?:a|an|the)\s+[a-z][\w'’\-]*(?:\s+(?:[a-z][\w'’\-]*|[A-Z][\w.'’\-]*)){0,8}|"
    # '..., said Dr X, who heads the MSF clinic in Tawila.'
    r"who\s+(?:heads|leads|runs|directs|manages|chairs)\s+(?:the|a|an)\s+[\w'’\-]+"
    r"(?:\s+[\w.'’\-]+){0,8}|"
    # '..., said Ariane Bauer, ICRC regional director for Europe.'
    r"(?:[A-Z][\w.&'’\-]*\s+){1,3}[a-z][\w'’\-]*"
    r"(?:\s+(?:[a-z][\w'’\-]*|[A-Z][\w.'’\-]*)){0,8})"
    r"\s*(?:[.;]|$)")
_RELATIVE_AFTER = re.compile(r"\s*,\s*(?:who|whose)\s")     # '..., said Dr X, who runs the clinic'
_PART_BEFORE = re.compile(r"\b(?:including|among\s+them|among\s+whom|of\s+whom|of\s+them)\s*,?\s*$",
                          re.I)
# "according to the ministry's report on Saturday, which counted 21 injured"
_WHICH_SAYS = re.compile(r"^(?:\s+(?:on|of|from)\s+\w+)?\s*,?\s*(?:which|that)\s", re.I)
# The marks that open the items of a list ("• 433 people have died", "- Injured: 3,560"), as a
# character class; extract.py reads list items with it too.
BULLET_MARKS = "[" + re.escape("-–—•*▪·●◦►") + "]"
# (or a bullet: "• According to")
_OPENS_CLAUSE = re.compile(rf"(?:^|[,;:\"“”’(]|{BULLET_MARKS})\s*$")


def _governs_right(rest: str) -> bool:
    """Does the text after a cue hold what the cue says (not only when and where it was said)?"""
    return _CLOSING_TAIL.match(rest[:300]) is None


def find_attributions(text: str, start: int, end: int,
                      words: set[str] | None = None) -> list[Attribution]:
    """Every attribution cue in the sentence text[start:end]. ``words``: ``words_in(text, start,
    end)`` when the caller has it already."""
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
        phrase = _noun_phrase_forward(m["src"])
        if not phrase:
            continue
        ps = m.start("src")
        pe = ps + len(phrase)
        apposition = _APPOSITION_AFTER.match(sentence, pe)
        if apposition:
            # "according to Khaista Rehman, a local official, ...", "according to a local
            # official, Sajjad Ahmad, ..."
            phrase = f"{phrase}, {apposition['what']}"
            pe = apposition.end("what")
        before = sentence[:m.start()]
        # "killed 62, including, according to the ministry, 54 children": it speaks of the part
        has_before = bool(_WORD.search(before)) and not _PART_BEFORE.search(before)
        rest = sentence[pe:]
        found.append(Attribution(
            start + m.start(), start + pe, phrase, "according",
            left=has_before, right=(_OPENS_CLAUSE.search(before) is not None
                                    and _governs_right(rest)) or _WHICH_SAYS.match(rest) is not None,
            phrase_start=start + ps, phrase_end=start + pe))
    for m in (p["inverted"].finditer(sentence)
              if not words.isdisjoint(p["inverted_words"]) else ()):
        phrase = _noun_phrase_forward(m["src"])
        ps = m.start("src")
        apposition = _APPOSITION_END.match(sentence, ps + len(phrase)) if phrase else None
        if apposition:
            # '..., said Marta Lindgren, the head of the delegation.'
            phrase = f"{phrase}, {apposition['what']}"
        elif not phrase or not (_CLOSING_TAIL.match(m["src"][len(phrase):])
                                or _RELATIVE_AFTER.match(sentence, ps + len(phrase))):
            continue    # '..., said the attack had killed 12': not a speaker after the verb
        if any(a.phrase_start <= start + ps < a.end for a in found):
            continue
        pe = apposition.end("what") if apposition else ps + len(phrase)
        found.append(Attribution(start + ps, start + pe, phrase, "inverted", left=True,
                                 right=_governs_right(sentence[pe:]), phrase_start=start + ps,
                                 phrase_end=start + pe))
    taken = 0     # a subject starts after the previous speech verb
    for m in _speech_verbs(sentence, words & p["speaker_words"]):
        verb_start = m.start("verb")
        if m["verb"][0].isupper():
            continue    # "the United States", "Reports": a name or a sentence's first word
        if m.start() < taken or not (sentence[m.start() - 1] in ",)" or _has_subject_tail(
                sentence, max(taken, verb_start - _SUBJECT_REACH), verb_start)):
            continue
        if _NOUN_BEFORE.search(sentence, max(0, m.start() - 12), m.start()) or (
                m["verb"].lower() in _data_noun_words()
                and _SPEECH_NEXT.match(sentence, m.end("verb"))):
            continue    # "another report from ... said", "an official report said": a noun
        taken = m.end()
        if _PASSIVE.search(sentence, max(0, verb_start - 24), verb_start):
            continue    # "were reported killed", "is said to be": nobody is credited
        verb = m["verb"].lower()
        if verb.startswith(("put", "placed", "places")) and not re.match(
                r"(?:\s+[\w'’\-]+){0,4}?\s+(?:toll|count|number|figure|tally|total)\b",
                sentence[m.end():m.end() + 80], re.I):
            continue    # "put the toll at" credits; "placed the bodies" does not
        sub = _subject_before(sentence, verb_start)
        if sub is None:
            continue
        offset, raw = sub
        if any(a.start <= start + offset < a.end for a in found):
            continue
        before = sentence[:offset]
        found.append(Attribution(
            start + offset, start + m.end("verb"), raw, "speaker",
            left=bool(_WORD.search(before)) and _OPENS_CLAUSE.search(before) is not None,
            right=_governs_right(sentence[m.end("verb"):]),
            phrase_start=start + offset, phrase_end=start + offset + len(raw)))
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


# The words at which a name read forwards ("according to the Saudi Interior Ministry over 345
# pilgrims") has ended.
_FORWARD_STOP = frozenset(
    "have has had is are was were be been will would could may might can did does do said says "
    "say told that who which whom whose over more less fewer nearly almost about around some at "
    "least up as while when after before since during on last this these those than including "
    "there it its their his her while where if but because though although so yet then now "
    "still also already just only even reported reports estimated estimates confirmed killed "
    "died dead injured wounded missing displaced fled people civilians in to into by with "
    "without between among per from based citing using show shows showed shown indicate indicates "
    "indicated suggest suggests suggested reveal reveals revealed put puts".split())
_DETERMINERS = frozenset("the a an this that these those its their his her our".split())
_LINKS = frozenset("of for and & on to de du des al el la le del von van der".split())


@cache
def _data_participles() -> frozenset[str]:
    return frozenset(w.lower() for w in load("attribution")["data_participles"])


@cache
def _data_noun_words() -> frozenset[str]:
    return frozenset(w.split()[-1].lower() for w in load("attribution")["data_nouns"])


_BRACKETED_ACRONYM = re.compile(r"\([A-Z][A-Za-z.&\-]{1,12}\)[,.;:]?")
_ABBREVIATED = re.compile(r"(?:[A-Z]\.)+|[A-Z][a-z]{0,3}\.")    # "U.N.", "Gen."
_WORD = re.compile(r"\w")
_DETERMINER = re.compile(r"^(?:the|a|an|this|that|these|those)\s+", re.I)
_GENERIC_POSSESSOR = re.compile(r"^(?:country|nation|territory|enclave|region|province|state|"
                                r"city|island|kingdom|republic|strip|district|county|town|area)"
                                r"['’]s\s+", re.I)


def _noun_phrase_forward(phrase: str) -> str:
    """The name at the start of ``phrase`` (what follows "according to"), cut where the noun
    phrase ends: at a number, a verb or a function word, a second determiner, or a mark."""
    tokens = phrase.split()
    kept: list[str] = []
    for i, tok in enumerate(tokens):
        bare = tok.strip("()")
        low = bare.lower().rstrip(".,;:")
        if not bare or _DIGIT.search(bare):
            break
        if tok.startswith("(") and kept:
            # "the International Organization for Migration (IOM)": keep the acronym
            if _BRACKETED_ACRONYM.fullmatch(tok):
                kept.append(tok.rstrip(",.;:"))
                if tok[-1] in ",.;:":
                    break
                continue
            break
        if low in ("from", "by") and kept and kept[-1].lower() in _data_noun_words():
            kept.append(tok)     # "figures from the IOM", "a report by the ministry"
            continue
        if low == "by" and len(kept) > 1 and kept[-1].lower() in _data_participles() \
                and kept[-2].lower() in _data_noun_words():
            kept.append(tok)     # "figures compiled by ACLED"
            continue
        # "WHO" is a body, "who" no name
        if low in _FORWARD_STOP and not (kept and kept[-1].lower() in _LINKS
                                         and bare[:1].isupper()) \
                and not _is_acronym(bare.rstrip(".,;:")):
            # "of" and "for" inside a name ("Committee for ...") go on; "from" after a name ends it
            if not (low in ("for", "of") and kept and i + 1 < len(tokens)
                    and tokens[i + 1][:1].isupper()):
                break
        if low in _DETERMINERS and kept and kept[-1].lower() not in _LINKS | {"from", "by"} \
                and not (low == "the" and kept[-1][:1].isupper() and i + 1 < len(tokens)
                         and tokens[i + 1][:1].isupper()):
            break     # a second noun phrase; "Save the Children" is one name
        kept.append(tok)
        if tok[-1] in ",.;:" and not _ABBREVIATED.fullmatch(tok):
            kept[-1] = tok.rstrip(",.;:")
            break
    while kept and kept[-1].lower().strip("()") in _LINKS | _DETERMINERS:
        kept.pop()
    return " ".join(kept)


# ---------------------------------------------------------------------------------------------
# 2. What a credit phrase says


@dataclass(frozen=True, slots=True)
class Parsed:
    """A credit phrase read on its own, before the article's context resolves it."""

    body: str = ""
    role: str = ""
    person: str = ""
    descriptor: str = ""     # a reference to a body named before: "agency", "un agency"
    single: str = ""         # one capitalised word: a surname or a one-word body ("Mercado")
    pronoun: str = ""


_NOTHING = Parsed()


def _common_noun_first(t: str) -> str:
    """A phrase whose first word is capitalised only because it opens the sentence ("Doctors at
    the hospital", "Residents of the camp"), with that word in lower case."""
    words = t.split(" ", 2)
    if len(words) >= 2 and words[0][:1].isupper() and words[1][:1].islower():
        low = words[0].lower()
        p = _patterns()
        if low in p["role_heads"] and low not in p["org_words"]:
            return low + t[len(words[0]):]
    return t
_TRAILING_PLACE = re.compile(r"\s+in\s+(?:the\s+)?[A-Z][\w\-']*"
                             rf"(?:\s+(?:[A-Z]|{_JOINED_ARTICLE}|de\s|la\s)[\w\-']*){{0,3}}$")
_FOR_COUNTRY = re.compile(r"\s+(?:for|in)\s+(?:the\s+)?(?P<place>[A-Z][\w\-']*(?:\s+[A-Z][\w\-']*){0,3})$")
_ROLE_FOR_AREA = re.compile(r"\b(?P<head>[a-z][\w\-]*)(?P<area>\s+for\s+(?:the\s+)?[A-Z][\w\-']*"
                            r"(?:\s+(?:and\s+)?[A-Z][\w\-']*){0,4})$")
_BASED = re.compile(r"^(?:(?:the|a|an)\s+)?(?:[A-Z][\w.]*|[a-z]+)-based\s+")
_MONITOR = re.compile(r"\s+(?:war\s+)?monitor(?:ing\s+group)?$")
_ACRONYM_IN_BRACKETS = re.compile(r"\s*\([A-Z][A-Za-z.&\-]{1,12}\)")
_LEADING_WORDS = re.compile(
    r"^(?:(?:with|and|as|but|while|where|when|after|then|so|also|meanwhile|however|moreover|"
    r"furthermore|separately|earlier|later|now|yet|though|although|because|since|even|both|"
    # how many spoke: "two military sources", "three officials", "several witnesses"
    r"two|three|four|five|six|seven|eight|nine|ten|several|various|multiple)\b,?\s{1,5}){1,6}",
    re.I)
_TRAILING_TIME = re.compile(
    r"(?:,?\s{1,5}(?:on|during|over|at|in|late\s{1,5}on|early\s{1,5}on|earlier|late|last|this|the\s{1,5}previous|"
    r"previously)\s{1,5}(?:the\s{1,5})?(?:weekend|week|month|year|day|morning|afternoon|evening|night|"
    r"monday|tuesday|wednesday|thursday|friday|saturday|sunday|january|february|march|april|may|"
    r"june|july|august|september|october|november|december)s?|,?\s{1,5}(?:yesterday|today|tonight|"
    r"overnight|earlier|later|previously|separately|further|also|now|again|then|first|initially|"
    r"recently|meanwhile|too|alone|themselves|itself|himself|herself|had|has|have|is|are|was|were|"
    r"will|would|could|has\s{1,5}since|had\s{1,5}earlier|\w{1,20}ly)){1,6}$", re.I)
_WHO_IS = re.compile(r"^(?:who|which)\s+(?:is|was|are|were|heads|leads|runs|serves\s+as|"
                     r"works\s+(?:as|for|at)|speaks\s+for)\s+", re.I)
# "spokesman for the provincial governor", "residents of the camp": a role (its last word one of
# role_heads, checked by _read_part) and what it belongs to
_ROLE_OF_BODY = re.compile(r"^(?P<role>(?:[a-z][\w'’\-]*\s+){0,3}?(?P<head>[a-z][\w'’\-]*))\s+"
                           r"(?:for|of|at|with|from|in)\s+(?P<body>.+)$")
# role words that name a body themselves: "police of the Autonomous Region", "ministry of health"
_NOT_A_ROLE_OF = frozenset({"police", "ministry", "government", "army", "military", "council",
                            "department", "office", "agency", "authority", "authorities",
                            "commission", "committee", "court", "media", "forces", "service",
                            "services", "coalition", "administration", "delegation", "mission",
                            "directorate", "bureau", "secretariat"})
_ACRONYM = re.compile(r"^(?:[A-Z][A-Za-z]?\.){2,6}$|^[A-Z][A-Z&\-]{1,9}s?$|^[A-Z][a-z]?[A-Z][A-Z]{1,8}$")
_PARTICLES = frozenset("al el bin ibn abu abd abdel de da dos das van von der den le la di du del "
                       "ben bint ould mac mc st. y".split())
# "Ahmed", and the last name "el-Sayed" ("al-", "el-" and the like before a capital)
_CAPITALISED = re.compile(rf"^(?:[A-Z\u00c0-\u00de]|{_JOINED_ARTICLE}[A-Z])[\w'’.\-]*$")


def _is_acronym(tok: str) -> bool:
    return bool(_ACRONYM.match(tok)) and (tok.lower().rstrip(".") not in _patterns()["not_sources"]
                                          or _is_known_body(tok))


def _is_known_body(text: str) -> bool:
    return _fold_name(text) in _patterns()["bodies"]


@lru_cache(maxsize=8192)
def _fold_name(text: str) -> str:
    """A body's name compared without case or accents: "Medecins sans frontieres"."""
    if text.isupper() and len(text) <= 8:
        return text       # "WHO", "AP": an acronym only in capitals ("who" is no body)
    t = unicodedata.normalize("NFKD", text)
    return " ".join("".join(c for c in t if not unicodedata.combining(c)).lower().split())


def _strip_det(text: str) -> str:
    """Without the determiner, nor a possessor that names no one: "the country's health
    ministry" -> "health ministry", "the enclave's civil defence" -> "civil defence"."""
    return _GENERIC_POSSESSOR.sub("", _DETERMINER.sub("", text))


@lru_cache(maxsize=16384)
def parse_credit(phrase: str) -> Parsed:
    """What a credit phrase names, read on its own: "UNICEF spokeswoman Marixie Mercado" ->
    body UNICEF, role spokeswoman, person Marixie Mercado; "the agency" -> a reference to resolve;
    "Thousands of civilians" -> nothing."""
    p = _patterns()
    t = " ".join(phrase.replace("’", "'").split()).strip(" ,.;:'\"“”‘")
    t = _ACRONYM_IN_BRACKETS.sub("", t)     # "the International Organization for Migration (IOM)"
    t = _common_noun_first(t)               # "Doctors at the hospital", "Witnesses in Gaza"
    t = _LEADING_WORDS.sub("", t)
    t = _TRAILING_TIME.sub("", t).strip(" ,")
    t = p["data_participle_end"].sub("", t)     # "a UNICEF report released (on Monday)"
    # "officials in Gaza": the place is the figure's; "humanitarian coordinator for Pakistan"
    # (but "the UN Mission in South Sudan" is a name)
    m = _TRAILING_PLACE.search(t)
    if m and not p["named_in"].search(t, 0, m.start()):
        t = t[:m.start()]
    m = _FOR_COUNTRY.search(t)
    if m and country_of_name(m["place"]) and not p["named_in"].search(t, 0, m.start()):
        t = t[:m.start()]
    m = _ROLE_FOR_AREA.search(t)
    if m and m["head"] in p["title_words"] | p["role_heads"] and all(
            country_of_name(a) or is_region_or_town(a) or a.lower() in p["world_regions"]
            for a in re.split(r"\s+and\s+", _strip_det(m["area"].split(None, 1)[1]))):
        t = t[:m.start("area")].rstrip()    # "regional director for Europe and Central Asia"
    t = _BASED.sub("", t)                   # "the Britain-based Syrian Observatory"
    if re.search(r"[A-Z]\w+\s+\w", t):
        t = _MONITOR.sub("", t)             # "... for Human Rights war monitor"
    if not t or _DIGIT.search(t) or len(t.split()) > 16:
        return _NOTHING
    if t.lower() in p["pronouns"]:
        return Parsed(pronoun=t.lower())
    # an aside: "Ahmed Saleh, director of the main hospital", "Farooq Ahmad, who is ..."
    parts = [x.strip() for x in t.split(",") if x.strip()]
    # "In Taunggyi Township, Shan State, local partners report": where, then who
    while len(parts) > 1 and is_region_or_town(_strip_det(parts[0])) \
            and not _is_known_body(parts[0]) and not _DETERMINER.match(parts[1]):
        parts = parts[1:]
    if len(parts) > 3:
        return _NOTHING
    readings = []
    for i, part in enumerate(parts):
        part = _WHO_IS.sub("", part)
        if i > 0 and re.match(r"^of\s+", part, re.I):
            r = _read_part(re.sub(r"^of\s+", "", part, flags=re.I))
            readings.append(Parsed(body=r.body or r.role, person=r.person) if r != _NOTHING else r)
            continue
        readings.append(_read_part(part))
    first = readings[0]
    if len(readings) == 1:
        return first
    # the first part names the person (or the body), the asides say what they are
    person = first.person or (first.single if first.single and not _is_acronym(first.single) else "")
    body = first.body
    role = first.role
    descriptor = first.descriptor
    for r in readings[1:]:
        body = body or r.body or (r.single if not person and not first.single else "")
        role = role or r.role
        descriptor = descriptor or r.descriptor
        if not person and r.person:
            person = r.person
    if not person and not body:
        return first if first != _NOTHING else _NOTHING
    if first.single and not person:
        body = body or first.single
    if body:
        descriptor = ""
    return Parsed(body=body, role=role, person=person, descriptor=descriptor)


def _read_part(part: str) -> Parsed:
    """One phrase without commas: a body, a role, a person, or a mix ("UN aid chief Mark
    Lowcock"), or a reference ("the agency")."""
    p = _patterns()
    raw = part.strip(" '\"")
    t = _strip_det(raw)
    if not t:
        return _NOTHING
    # reports stand for their author: "figures from the IOM", "ARM's figures"
    if p["bare_data"].match(t):
        # "the report", "its latest figures" stand for the body named before; "reports" alone
        # are nobody's
        return Parsed(descriptor="report") if t != raw or re.match(r"(?i)(?:its|their)\b", t) \
            else _NOTHING
    m = p["data_nouns"].match(t) or p["possessive_data"].match(t)
    if m:
        return _read_part(m["author"])
    # "spokesman for the provincial governor", "director of the main hospital"
    m = _ROLE_OF_BODY.match(t)
    if m and m["head"] in p["role_heads"] and m["head"] not in _NOT_A_ROLE_OF:
        body = _read_part(m["body"])
        role = _strip_det(m["role"])
        if body.person and not body.body:        # "spokesman for President X": not X speaking
            return Parsed(role=role)
        if body.descriptor:
            return Parsed(descriptor=body.descriptor, role=role)
        if body.body or (body.role and _office(body.role)):
            return Parsed(body=body.body or body.role, role=role)
        return Parsed(role=role)               # the hospital is no body: "director" is the role
    # "Chief Superintendent X of the police of Y": a person, then the body they speak for
    m = _PERSON_OF_BODY.match(t)
    if m:
        person = _read_part(m["person"])
        if person.person:
            body = _read_part(m["body"])
            if body.body or body.role or body.descriptor:
                return Parsed(body=body.body or body.role or body.descriptor, role=person.role,
                              person=person.person)
    if _is_known_body(t):
        return Parsed(body=t)
    tokens = t.split()
    if tokens[0].lower() in p["not_sources"] and not _is_acronym(tokens[0]):
        return _NOTHING
    # a named person at the end: "UNICEF spokeswoman Marixie Mercado", "Chief Superintendent X"
    person, rest = _trailing_person(tokens)
    if person:
        body, role = _body_and_role(rest)
        if rest and not body and not role and not all(w.lower().rstrip(".") in _HONORIFICS
                                                      for w in rest):
            return _NOTHING
        return Parsed(body=body, role=role, person=person)
    return _no_person(tokens)


_ADJECTIVE_COMPOUND = re.compile(r"-(?:backed|led|based|run|held|linked|allied|aligned|"
                                 r"controlled|affiliated|born|owned)$", re.I)
_PERSON_OF_BODY = re.compile(r"^(?P<person>(?:[a-z][\w\-]*\s+){0,2}(?:[A-Z][\w.'\-]*\s+){1,6}?"
                             rf"(?:{_JOINED_ARTICLE})?[A-Z][\w'\-]+)\s+"
                             r"(?:of|from|at|with)\s+(?P<body>(?:the\s+)?\S.*)$")


def _no_person(tokens: list[str]) -> Parsed:
    """A phrase that names no person: a body ("the Syrian Observatory for Human Rights",
    "Sudanese government"), a role ("local officials"), a reference ("the agency"), or a single
    name to be decided in context ("Reuters", "Mahecic")."""
    p = _patterns()
    t = " ".join(tokens)
    low = t.lower()
    if _is_known_body(t):
        return Parsed(body=t)
    last = tokens[-1]
    # "the news agency AFP", "the monitoring group SOHR": the name at the end
    # (the first word may be capitalised where the other words before the name are not: "State
    # news agency SANA" opening a sentence, "Nigeria's emergency agency NEMA")
    if len(tokens) > 1 and (_is_acronym(last) or _is_known_body(last)) and \
            all(not w[:1].isupper() or _is_acronym(_unpossessed(w)) or w in p["demonyms"]
                or i == 0 and len(tokens) > 2 and all(x.islower() for x in tokens[1:-1])
                for i, w in enumerate(tokens[:-1])):
        if not _is_known_body(last) and any(_is_known_body(_unpossessed(w)) for w in tokens[:-1]):
            return Parsed(body=t)    # "IOM DTM": a known body's tool or office
        return Parsed(body=last)     # "the news agency AFP", "Syrian state news agency SANA"
    if len(tokens) == 1:
        if _is_acronym(t):
            return Parsed(body=t)
        if t[:1].isupper():
            if low in p["not_sources"] or low in p["times"] or low.rstrip(".") in p["titles"]:
                return _NOTHING
            if low in p["descriptors"]:
                return Parsed(descriptor=t)      # "the Observatory"
            if low in p["role_heads"]:
                return Parsed(role=t)            # "Witnesses said", "Police said"
            return Parsed(single=t)
        if low in p["descriptors"]:
            return Parsed(descriptor=t)
        return Parsed(role=t) if low in p["role_heads"] else _NOTHING
    head = last.lower()
    before = tokens[:-1]
    # a reference: "the agency", "the UN agency", "the refugee agency", "the same ministry"
    if head in p["descriptors"] and all(not w[:1].isupper() or _is_acronym(_unpossessed(w))
                                        for w in before):
        return Parsed(descriptor=t)
    # a capitalised name, then lower-case words
    i = _name_run_end(tokens)
    name, tail = tokens[:i], tokens[i:]
    if not name:
        if _is_role(tokens):
            body, role = _office_and_speaker(t)
            return Parsed(body=body, role=role)
        m = _OFFICE_OF.match(t)
        if m and _office(m["office"]):
            return Parsed(body=t)                # "police of the Autonomous Region"
        return _NOTHING
    if not tail:
        if any(_unpossessed(w).lower() in p["org_words"] for w in name):
            return Parsed(body=t)
        if _titles_only(name):
            return Parsed(role=t)
        if name[-1].lower().rstrip(".") in p["title_words"]:
            body, role = _body_and_role(name)
            if body:
                return Parsed(body=body, role=role)     # "UN Resident Coordinator"
        if len(name) <= 4 and not any(w in p["demonyms"] or _ADJECTIVE_COMPOUND.search(w)
                                      for w in name):
            return Parsed(person=t)
        return Parsed(body=t)
    # "the Emergency Lawyers group", "Hala Systems monitoring network": a name and what it is
    if len(tail) <= 2 and tail[-1].lower() in p["body_kinds"] and tail[0].islower() \
            and (len(name) > 1 or _is_body_name(name)) and not _titles_only(name) \
            and not all(w in p["demonyms"] or w.lower() in p["directions"]
                        or w.endswith(_PEOPLES_ENDINGS) for w in name):
        return Parsed(body=_unpossessed(" ".join(name)))     # (not "the Syrian Kurdish group")
    # "Sudanese government", "Maidan Wardak provincial council", "Health Ministry officials"
    if len(tail) > 3 or any(w[:1].isupper() for w in tail) or not _is_role(tail):
        return _NOTHING
    if _office(" ".join(tail)) or tail[-1].lower() in p["named_bodies"] \
            or all(w in p["demonyms"] or w.lower() in p["directions"] for w in name):
        return Parsed(body=t)                    # "Al-Shifa hospital", "Kharkiv regional council"
    if _titles_only(name) or not _is_body_name(name):
        return Parsed(role=t)                    # "Human rights groups", "Houthi officials"
    return Parsed(body=_unpossessed(" ".join(name)), role=" ".join(tail))


# how the adjectives of peoples end ("Kurdish", "Syrian", "Sudanese", "Baluchi")
_PEOPLES_ENDINGS = ("ish", "ian", "ese", "ic", "an", "i")


def _name_run_end(tokens: list[str]) -> int:
    """How many tokens the capitalised name at the start holds, with its inner links ("Committee
    of the Red Cross", "Ministry for Foreign Affairs", "Mission in South Sudan")."""
    named_in = _patterns()["named_in"]
    i = 0
    while i < len(tokens):
        if tokens[i][:1].isupper():
            i += 1
            continue
        j = i
        while i > 0 and j < len(tokens) and j - i < 3 and \
                (tokens[j].lower() in _LINKS or tokens[j].lower() == "the"
                 or tokens[j] == "in" and named_in.search(tokens[i - 1])):
            j += 1
        if j > i and j < len(tokens) and tokens[j][:1].isupper():
            i = j
            continue
        break
    return i


_OFFICE_OF = re.compile(r"^(?P<office>[a-z][\w\-]*(?:\s+[a-z][\w\-]*){0,2})\s+(?:of|for)\s+"
                        r"(?:(?:the\s+)?[A-Z][\w.'\-]*(?:\s+(?:of|for|the|and|[A-Z][\w.'\-]*)){0,6}|"
                        r"(?:(?<=ministry of )|(?<=department of )|(?<=directorate of )"
                        r"|(?<=bureau of )|(?<=secretariat of ))"
                        r"[a-z][\w\-]*(?:\s+(?:and\s+)?[a-z][\w\-]*){0,3})$")


def _unpossessed(word: str) -> str:
    return word[:-2] if word.endswith(("'s", "’s")) else word.rstrip("'’")


def _is_role(tokens: list[str]) -> bool:
    """Lower-case words ending with a role: "local officials", "regional police chief"."""
    p = _patterns()
    heads = p["role_heads"]
    if not tokens:
        return False
    last = tokens[-1].lower()
    return last in heads or " ".join(tokens[-2:]).lower() in heads or (
        "-" in last and any(part in heads for part in last.split("-")))   # "director-general"


def _is_body_name(tokens: list[str]) -> bool:
    """Does the name stand for a body: an acronym ("UNICEF"), a known body ("Taliban"), or a name
    with an organisation's word in it ("Syrian Observatory for Human Rights", "U.S. Embassy")?"""
    p = _patterns()
    words = [_unpossessed(w) for w in tokens]
    if len(words) == 1:     # "Hospital officials": a common noun opening the sentence; but
        # "Observatory head X": the short name of a body named before
        return _is_acronym(words[0]) or _is_known_body(words[0]) or \
            words[0].lower() in p["descriptors"]
    return _is_known_body(" ".join(words)) or any(w.lower().rstrip(".") in p["org_words"]
                                                  for w in words if w[:1].isupper())


def _office(role: str) -> bool:
    """A role phrase that stands for an office or body: "the provincial governor", "police"."""
    return role.split()[-1].lower() in {
        "governor", "government", "ministry", "minister", "police", "army", "military", "council",
        "authority", "authorities", "commission", "committee", "administration", "presidency",
        "mayor", "office", "department", "prefecture", "municipality", "parliament", "cabinet",
        "media", "television", "tv", "radio", "agency", "services", "service", "forces", "court",
        "judiciary", "coalition", "militia", "delegation", "mission", "team", "directorate",
        "bureau", "secretariat", "centre", "center", "board", "taskforce", "cell"}


def _titles_only(tokens) -> bool:
    p = _patterns()
    return all(w.lower().rstrip(".") in p["title_words"] or w.lower() in _LINKS for w in tokens)


def _trailing_person(tokens: list[str]) -> tuple[str, list[str]]:
    """A person's name at the end of a phrase, without the titles before it: ("Marixie Mercado",
    ["UNICEF", "spokeswoman"]) for "UNICEF spokeswoman Marixie Mercado"; ("", tokens) if none."""
    p = _patterns()
    i = len(tokens)
    while i > 0 and (_CAPITALISED.match(tokens[i - 1]) or tokens[i - 1].lower() in _PARTICLES):
        i -= 1
    run = tokens[i:]
    while run and run[0].lower() in _PARTICLES:
        run, i = run[1:], i + 1
    if not run:
        return "", tokens
    # the titles, bodies and demonyms in the run are not the name: the name is what follows the
    # last of them ("Santa Barbara County Sheriff Bill Brown" -> Bill Brown)
    j = 0
    for k, word in enumerate(run):
        w = word.rstrip(".").lower()
        if w in p["title_words"] or w in p["org_words"] or _is_acronym(word) \
                or word in p["demonyms"] or _is_known_body(word) or w in p["not_sources"] \
                or w in p["directions"] or w in p["place_kinds"] or w.endswith(("'s", "’s")):
            j = k + 1         # ("UNICEF's James Elder": the possessor is the body)
    if i > 0 and tokens[i - 1].lower() in ("of", "the", "for", "in", "at", "from", "on", "to"):
        return "", tokens     # "police of the Autonomous Region", "Office for the Coordination
                              # of Humanitarian Affairs": a name, but not a person's
    name = run[j:]
    titled = j > 0 or (i > 0 and tokens[i - 1].lower() in p["role_heads"] | p["title_words"])
    if not name or len(name) > 5 or (len(name) == 1 and not titled):
        return "", tokens
    if any(w.lower() in p["place_kinds"] for w in name):
        return "", tokens
    if any(w.lower().rstrip(".") in p["org_words"] or w.lower() in p["times"]
           or _ADJECTIVE_COMPOUND.search(w) for w in name):
        return "", tokens
    if len(name) == 1 and name[0].lower() in p["not_sources"]:
        return "", tokens
    if len(name) == 1 and j > 0 and run[j - 1].rstrip(".").lower() in p["org_words"]:
        return "", tokens     # "Emergency Response Rooms": a word of the name after its body's
    return " ".join(name), tokens[:i + j]


_HONORIFICS = frozenset("dr mr mrs ms miss sir dame prof professor rev reverend".split())


def _body_and_role(tokens: list[str]) -> tuple[str, str]:
    """What stands before a person's name: a body and a role ("UNICEF spokeswoman", "UN aid
    chief", "regional police chief", "Syrian Observatory for Human Rights chief")."""
    p = _patterns()
    tokens = [t for t in tokens]
    while tokens and tokens[0].lower() in _DETERMINERS:
        tokens = tokens[1:]
    if not tokens:
        return "", ""
    # the role: the lower-case words and titles at the end ("aid chief", "Humanitarian Coordinator")
    k = len(tokens)
    while k > 0:
        w = tokens[k - 1]
        lw = _unpossessed(w.lower().rstrip("."))
        if _is_acronym(_unpossessed(w)) or _is_known_body(_unpossessed(w)):
            break
        if not w[:1].isupper() or lw in p["title_words"]:
            k -= 1
            continue
        # a capitalised word right before a title belongs to it: "Health Minister", "Mexican
        # President", "Humanitarian Coordinator"
        if k < len(tokens) and tokens[k][:1].isupper() \
                and tokens[k].lower().rstrip(".") in p["title_words"] and lw not in p["org_words"]:
            k -= 1
            continue
        break
    role = " ".join(w for w in tokens[k:] if w.lower().rstrip(".") not in _HONORIFICS)
    body_tokens = tokens[:k]
    body = _unpossessed(" ".join(body_tokens))
    if body and not _is_body_name(body_tokens):
        # "Chelyabinsk regional Deputy Governor", "Houthi spokesman": a place or a people
        # qualifies the role; it is not a body that speaks
        role, body = " ".join(tokens), ""
    if body and body_tokens and not any(w[:1].isupper() for w in body_tokens):
        role, body = " ".join(tokens), ""
    if body and body.lower() in p["not_sources"]:
        body = ""
    if not body:
        body, role = _office_and_speaker(role)
    return body, role


def _office_and_speaker(role: str) -> tuple[str, str]:
    """ "interior ministry spokesman" -> ("interior ministry", "spokesman"): an office that speaks
    through a spokesman or an official; "regional police chief" stays one role."""
    words = role.split()
    if len(words) >= 2 and words[-1].lower() in _SPEAKING_FOR and _office(" ".join(words[:-1])):
        return " ".join(words[:-1]), words[-1]
    return "", role


_SPEAKING_FOR = frozenset({"spokesman", "spokeswoman", "spokesperson", "official", "officials",
                           "representative", "officer"})


# ---------------------------------------------------------------------------------------------
# 3. References resolved with what the article said before


_DEFINED_ACRONYM = re.compile(r"(?P<name>[A-Z][\w'’\-]*(?:\s+(?:of|for|the|and|on|[A-Z][\w'’\-]*)){1,9})"
                              r"\s+\((?P<acr>[A-Z][A-Za-z.&\-]{1,12})\)")
_NAME_RUN = re.compile(r"(?:[A-Z][\w.'’\-]*)(?:\s+(?:(?:of|for|the|and|de|al|el)\s+){0,3}[A-Z][\w.'’\-]*){0,7}")


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

    def proper_nouns(self) -> set[str]:
        """The capitalised words the article writes inside a sentence (after a lower-case word or
        a comma): names, not words that are capitalised only because they open a sentence."""
        if not hasattr(self, "_proper"):
            self._proper = {m.group(1) for m in re.finditer(
                r"(?<=[a-z,;] )([A-Z][\w'’\-]+)", self.text[self.matches[0].start() if self.matches
                                                             else 0:self.ends[-1] if self.ends else 0])}
        return self._proper


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
            if not head_noun and not re.search(rf"\b{re.escape(short)}$", run):
                continue    # "Brown" is "Bill Brown", not "Brown University Hospital"
            best = run
    return best


def head_noun(name: str) -> str:
    """The head noun of a body's name: the word before "of"/"for" ("International Organization
    for Migration" -> "organization"), else its last word."""
    words = name.split()
    for i, w in enumerate(words):
        if i > 0 and w.lower() in ("of", "for", "on"):
            return _unpossessed(words[i - 1].lower())
    return _unpossessed(words[-1].lower()) if words else ""


class ArticleSources:
    """The credits of one article, read in order: each attribution is resolved against what the
    article credited and named before it."""

    def __init__(self, text: str, start: int, end: int):
        self.names = NameRuns(text, start, end)
        self.credits: list[Credit] = []
        self.people: dict[str, Credit] = {}     # a person's full name and last name -> credit
        self.text, self.span = text, (start, end)
        self._acronyms: dict[str, str] | None = None
        self._fitting: dict[tuple[str, str], bool] = {}     # does a name fit a reference

    def acronyms(self) -> dict[str, str]:
        """The acronyms the article defines: "Afghanistan Rights Monitor (ARM)" -> ARM stands for
        the Afghanistan Rights Monitor (so "the group" may mean ARM)."""
        if self._acronyms is None:
            self._acronyms = {m["acr"]: m["name"] for m in _DEFINED_ACRONYM.finditer(
                self.text, *self.span)}
        return self._acronyms

    def resolve(self, a: Attribution) -> Credit:
        """The credit an attribution gives, with references resolved; NO_CREDIT when the phrase
        names nobody the rules can vouch for."""
        parsed = parse_credit(a.phrase)
        return self.credit_of(parsed, a.start)

    def credit_of(self, parsed: Parsed, pos: int) -> Credit:
        p = _patterns()
        if parsed.role and not (parsed.body or parsed.descriptor):
            # "the agency's commissioner-general X": the agency named before, through its officer
            owner, _, rest = parsed.role.partition(" ")
            noun = _unpossessed(owner)
            if rest and noun != owner and noun.lower() in p["descriptors"]:
                parsed = Parsed(descriptor=noun, role=rest, person=parsed.person)
        if parsed.pronoun:
            return self._pronoun(parsed.pronoun, pos)
        if parsed.descriptor:
            credit = self._descriptor(parsed.descriptor, parsed.role, pos)
            if parsed.person:       # "Pedro Alvarez, a spokesman for the civil protection agency"
                credit = Credit(credit.body, credit.role or parsed.role, parsed.person)
            return credit
        if parsed.single:
            return self._single(parsed.single, pos)
        credit = Credit(parsed.body, parsed.role, parsed.person)
        if credit.body and not parsed.person and len(credit.body.split()) == 1 \
                and credit.body[:1].isupper() \
                and not _is_acronym(credit.body) and not _is_known_body(credit.body):
            return self._single(credit.body, pos)
        if credit.body and head_noun(credit.body) in p["descriptors"] and credit.body[0].isupper() \
                and len(credit.body.split()) == 1:
            full = expand_name(credit.body, self.names.before(pos), head_noun=True)
            credit = Credit(full, credit.role, credit.person)
        if credit.person:
            credit = self._person(credit, pos)
            if not credit.body and credit.role.lower() in p["body_roles"]:
                body = self._last_body(pos, credited_only=True)
                credit = Credit(body, credit.role, credit.person) if body else credit
        return credit

    def record(self, credit: Credit) -> None:
        """Remember a credit the article gave, for the references after it."""
        if not credit.source:
            return
        self.credits.append(credit)
        if credit.person and (credit.body or credit.role):
            words = credit.person.split()
            for i in range(len(words)):      # "Rami Abdel Rahman", "Abdel Rahman", "Rahman"
                key = " ".join(words[i:])
                if i == 0:
                    self.people[key] = credit
                else:
                    self.people.setdefault(key, credit)

    def _person(self, credit: Credit, pos: int) -> Credit:
        """A person credited alone: the body and role the article tied them to before."""
        if credit.body or credit.role:
            return credit
        known = self.people.get(credit.person)
        if known is not None:
            return known
        full = expand_name(credit.person, self.names.before(pos))
        return self.people.get(full) or Credit(person=full)

    def _single(self, word: str, pos: int) -> Credit:
        """One capitalised word: a surname named in full before ("Mahecic" -> Andrej Mahecic of
        UNHCR), or a one-word name the article writes as a name ("Reuters", "Hamas")."""
        known = self.people.get(word)
        if known is not None:
            return known
        full = expand_name(word, self.names.before(pos))
        if full != word:
            parsed = parse_credit(full)
            if parsed.person:
                return self._person(Credit(parsed.body, parsed.role, parsed.person), pos)
        if _is_known_body(word) or word in self.names.proper_nouns() \
                or country_of_name(word) and word not in _patterns()["demonyms"]:
            return Credit(body=word)     # ("Israel said": a country's government speaks)
        return NO_CREDIT

    def _pronoun(self, pronoun: str, pos: int) -> Credit:
        if pronoun in ("he", "she"):
            return next((c for c in reversed(self.credits) if c.person), NO_CREDIT)
        if pronoun == "it":
            body = self._last_body(pos)
            return Credit(body=body) if body else NO_CREDIT
        return next((c for c in reversed(self.credits)), NO_CREDIT)

    def _last_body(self, pos: int, credited_only: bool = False) -> str:
        """The body named last before ``pos``: credited before, or only named ("MSF opened a
        clinic. It said ..."); with ``credited_only``, the body of the last credit when none was
        named after it, else ""."""
        if credited_only and self.credits and not self.credits[-1].body:
            return ""         # "Police said ...": an office credited since the last body
        named = next((run for run in reversed(self.names.before(pos))
                      if _is_body_name(run.split()) and len(run.split()) <= 10), "")
        credited = next((c.body for c in reversed(self.credits) if c.body), "")
        if named and (not credited or
                      self.text.rfind(named, 0, pos) > self.text.rfind(credited, 0, pos)):
            return "" if credited_only else named
        return credited

    def _descriptor(self, descriptor: str, role: str, pos: int) -> Credit:
        """ "the agency", "the UN refugee agency", "the spokesman": the last body (or person) the
        article named that the words fit; when none fits, a qualified phrase stays as written
        ("health ministry") and a bare one ("the group") gives nothing."""
        p = _patterns()
        words = [_unpossessed(w) for w in descriptor.lower().split()]
        head = words[-1]
        qualifiers = [w for w in words[:-1] if w not in ("the", "its", "their")]
        if head == "report":
            return next((Credit(c.body, c.role) for c in reversed(self.credits) if c.body), NO_CREDIT)
        heads = p["descriptors"].get(head) or p["descriptors"].get(" ".join(words[-2:]), frozenset())
        if head in p["descriptors"]["person"]:
            found = next((c for c in reversed(self.credits) if c.person), None)
            return found or (Credit(role=descriptor) if qualifiers else NO_CREDIT)
        for c in reversed(self.credits):
            # "the state emergency agency said ... The agency said": an office credited since
            # the last named body, as written in lower case, whose head the words name
            office = c.body or c.role
            if c.person or not office or office[:1].isupper():
                if c.body:
                    break
                continue
            if _role_fits(office, head, heads, qualifiers):
                return Credit(body=c.body, role=c.role)
        for cand in [c.body for c in reversed(self.credits) if c.body] + \
                list(reversed(self.names.before(pos))):
            key = (cand, descriptor)
            fits = self._fitting.get(key)
            if fits is None:
                fits = self._fitting[key] = self._fits(cand, head, heads, qualifiers)
            if fits:
                return Credit(body=cand, role=role)
        if qualifiers or descriptor[:1].isupper():
            return Credit(body=descriptor)      # "the UN agency", "the health ministry",
                                                # "the Observatory" when nothing was named before
        if head in ("government", "police", "army", "military", "authorities", "ministry"):
            return Credit(role=head)
        return NO_CREDIT                        # "the group", "the agency": not named

    def _fits(self, name: str, head: str, heads: frozenset, qualifiers: list[str]) -> bool:
        p = _patterns()
        if not name or not name[0].isupper() or len(name.split()) > 10:
            return False
        types = p["bodies"].get(_fold_name(name), frozenset())
        full = self.acronyms().get(name)
        own = head_noun(full or name)
        if full:
            name = f"{name} {full}"
        if not (own in heads or own == head or any(t.split()[-1] in heads or t == head for t in types)):
            return False
        if not types.isdisjoint(load("attribution")["outlet_heads"]) \
                and not any(q in ("news", "state") for q in qualifiers):
            return False      # "the agency" after "(Reuters)": the outlet only as "the news agency"
        low = name.lower()
        for q in qualifiers:
            if q in ("un", "u.n", "u.n.", "united nations"):
                if not (low.startswith(("un ", "u.n.", "united nations")) or "un agency" in types):
                    return False
            elif q not in low and not any(q in t for t in types):
                return False
        return True


# What stands between a cue and a figure after it when the figure is not what the cue says: a
# clause of its own ("called for an inquiry after police shot dead 12") or reports the speaker
# only mentions ("said it was concerned by reports that 100 people were killed")
_NOT_SAID = re.compile(r"\b(?:after|following|amid|when|because|since|before)\b"
                       r"(?![^\n]{0,300}?\bthat\b)|"
                       r"\b(?:reports?|claims?|allegations?|rumou?rs?)\s+(?:that|of)\b", re.I)
_NOT_SAID_REACH = 300    # how far before a figure _NOT_SAID looks
# a strong break between a figure and a cue after it that says a figure of its own: "Israel
# said its strikes killed 15; Palestinian officials said 22 were killed"
_BREAK = re.compile(r"[;:]")


def credit_for(text: str, attributions: list[Attribution], credits: list[Credit], start: int,
               end: int) -> Credit:
    """The credit of a figure at text[start:end] among its sentence's attributions (with their
    resolved credits): the nearest cue that governs its position, 'X said that <figure>' before
    it (not past a clause of its own or reports it only mentions: _NOT_SAID) or '<figure>, X
    said' after it (not past a semicolon when the cue says a figure of its own); NO_CREDIT when
    none does."""
    best, best_gap = NO_CREDIT, None
    for a, c in zip(attributions, credits):
        if not c.source:
            continue
        if a.right and a.end <= start:
            if _NOT_SAID.search(text, max(a.end, start - _NOT_SAID_REACH), start):
                continue
            gap = start - a.end
        elif a.left and a.start >= end:
            if a.right and _BREAK.search(text, end, a.start):
                continue
            gap = a.start - end
        elif a.start <= start and end <= a.end:
            gap = 0      # the figure is inside the cue: "a report by X on the 20 dead" (rare)
        else:
            continue
        # a closer cue of the other side stands between: it governs the figure
        if best_gap is None or gap < best_gap:
            best, best_gap = c, gap
    return best
