"""The engine's shortcuts find exactly what the plain patterns find.

To be fast, the engine tries its big patterns only where a match can start (the first word of a
phrase, a digit) and reads the text before a speech verb backwards. Each shortcut is compared here
with the straightforward search it replaces, on text assembled from the words those patterns react
to, with the letters that case-insensitive patterns treat specially (dotted and dotless i, long s,
the Kelvin sign).
"""
import importlib
import re

from conftest import ROOT  # noqa: F401  (puts the repo root on sys.path)
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from figures import numbers, places, sources
from figures.lexicon import word_positions, words_in

ex = importlib.import_module("figures.extract")   # the module (the package exports the function)
SETTINGS = settings(max_examples=300, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow])

PIECES = [
    "killed", "KILLED", "Killed", "were killed", "died", "injured", "wounded", "missing", "trapped",
    "displaced", "fled their homes", "returned", "kılled", "İnjured", "ſeven", "\u212aILLED",
    "seven", "Seven", "twenty-five", "a dozen", "tens of thousands", "dozens of", "between",
    "up to", "more than", "at least", "some", "about", "nearly", "one", "1,200", "3.5", "2014",
    "$5", "40%", "_7", "x9", "people", "civilians", "the UN said", "according to the UN",
    "officials said", "said", "told Reuters", "he added", "Raqqa province", "the town of Saida",
    "in Mosul", "Aleppo's", "Forces'", "al-Bab", "Eastern Ghouta", "Syrian", "Human Rights Watch",
    ",", ".", ";", "(", ")", "-", "–", "’", "'", "\"", "&", " ", "  ", "\n", "\t",
]
text_from_pieces = st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=3)),
                            max_size=30).map(" ".join)


def _plain_numbers(text: str) -> list[numbers.NumberPhrase]:
    """find_numbers as it was written first: the pattern searched from every position."""
    return numbers._read_numbers(text, lambda pos: numbers.pattern().search(text, pos))


def _plain_triggers(text: str) -> list[tuple]:
    lex = ex._lexicon()
    found = [(cat, kind, m.start(), m.end(), m.group())
             for cat, kind, rx in lex["triggers"] for m in rx.finditer(text)]
    found += [("", "negative", m.start(), m.end(), m.group()) for m in lex["negative"].finditer(text)]
    return sorted(found, key=lambda t: t[2])


_SUBJECT_TAIL = re.compile(r"[A-Za-z\u00c0-\u024f][\w.'’\-&]*(?:\s+[\w.'’\-&]+){0,9}\s+$")


@SETTINGS
@given(text_from_pieces)
@example("at least 1,200 civilians and between 3 and 5 children, ſeven of them")
def test_numbers_found_from_their_starts_are_those_of_a_full_search(text):
    assert numbers.find_numbers(text) == _plain_numbers(text)
    assert numbers.find_numbers(text, words_in(text)) == _plain_numbers(text)


@SETTINGS
@given(text_from_pieces)
@example("Seven were kılled and İnjured; \u212aILLED, killed killed were killed")
def test_triggers_tried_at_their_first_words_are_those_of_finditer(text):
    assert ex._all_triggers(text, 0, len(text)) == _plain_triggers(text)


@SETTINGS
@given(text_from_pieces, st.integers(0, 40))
@example("U.N. Humanitarian Coordinator Lise Grande  ", 0)
@example("1 2 3 4 5 6 7 8 9 10 11 x ", 0)
def test_subject_read_backwards_is_the_subject_found_forwards(text, lo):
    lo = min(lo, len(text))
    assert sources._has_subject_tail(text, lo, len(text)) == bool(
        _SUBJECT_TAIL.search(text, lo, len(text)))


@SETTINGS
@given(text_from_pieces)
def test_word_lists_cover_every_case_insensitive_reading(text):
    """Every word a case-insensitive pattern could match is in words_in, at its word_positions."""
    words = words_in(text)
    for w in ["killed", "seven", "injured", "said"]:
        found = [m.start() for m in re.finditer(rf"(?<![^\W\d_]){w}(?![^\W\d_])", text, re.I)]
        assert word_positions(w, text) == found
        assert not found or w in words


@SETTINGS
@given(text_from_pieces)
def test_places_with_kind_words_skipped_only_when_absent(text):
    """find_places gives the same places whether it splits the words itself or is given them."""
    a = places.find_places(text, 0, len(text))
    b = places.find_places(text, 0, len(text), words_in(text))
    assert [(p.start, p.end, p.name, p.level) for p in a] == [(p.start, p.end, p.name, p.level) for p in b]
    for pat in places._cue_patterns()[:2]:
        if list(pat.finditer(text)):
            assert not words_in(text).isdisjoint(places._kind_words())


def _plain_last_boundary(sentence: str, end: int):
    lo = max(0, end - sources._SUBJECT_WINDOW)
    cut = None
    for m in sources._CLAUSE.finditer(sentence, lo, end):
        cut = m.end()
    return (0 if lo == 0 else None) if cut is None else cut


CLAUSE_PIECES = PIECES + ["that", "And", "so", "also", "although", "though", "who", "whom", "as",
                          "WHO", "AS", "Who", "“", "”", ":", "—", "x" * 200, "word " * 40]


@SETTINGS
@given(st.lists(st.sampled_from(CLAUSE_PIECES), max_size=40).map(" ".join), st.integers(0, 2000))
@example("band" + " y" * 400, 601)    # "and" starts the window, but inside a word
def test_clause_boundary_read_backwards_is_the_last_one_found_forwards(sentence, end):
    end = min(end, len(sentence))
    assert sources._last_boundary(sentence, end) == _plain_last_boundary(sentence, end)


@SETTINGS
@given(text_from_pieces)
@example("the UN said  said, officials   told Reuters; he added")
def test_speech_verbs_tried_at_their_words_are_those_of_finditer(sentence):
    p = sources._patterns()
    fast = [m.span() + m.span("verb") for m in sources._speech_verbs(
        sentence, words_in(sentence) & p["speaker_words"])]
    assert fast == [m.span() + m.span("verb") for m in p["speaker"].finditer(sentence)]


@SETTINGS
@given(st.one_of(text_from_pieces, st.text(max_size=60)))
@example("İstanbul ıraq ſeven KILLED Ⅻ Ⓐb")
def test_words_in_holds_every_lower_cased_run(text):
    """words_in lower-cases the text before splitting it: the same words as lower-casing each
    run (Greek final sigma aside: no word list holds a Greek word)."""
    if "Σ" not in text:
        assert {w.lower() for w in re.findall(r"[^\W\d_]+", text)} <= words_in(text)


def _plain_trigger_at(segment: str, offset: int):
    best = None
    for cat, side, rx in ex._lexicon()["triggers"]:
        if side == "before":
            continue
        m = rx.match(segment)
        if m and (best is None or m.end() > best.end - offset):
            best = ex._Decision(cat, m.group(), offset + m.start(), offset + m.end())
    return best


@SETTINGS
@given(text_from_pieces, st.integers(0, 500))
@example("kılled in the strike", 7)
@example("lost their homes", 0)
def test_trigger_at_a_place_tries_only_the_phrases_of_its_word(segment, offset):
    assert ex._trigger_at(segment, offset) == _plain_trigger_at(segment, offset)


def test_figure_row_is_the_dataclass_as_dict():
    """Figure.to_row reads the fields without asdict's deep copies: same dict, same order."""
    from dataclasses import asdict

    from figures.extract import extract
    figs = extract("Floods in Sindh province killed 12 people and displaced 3,500 families, "
                   "officials said. Up to 40 remain missing.", doc_id="d", date="2026-11-30")
    assert len(figs) >= 3
    for f in figs:
        assert list(f.to_row().items()) == list(asdict(f).items())
