"""Properties of ``figures.extract`` that hold for any text, checked with Hypothesis.

Two kinds of input: free Unicode text, and text assembled from the pieces the engine reacts to
(numbers with separators, number words, qualifiers, vague plurals, trigger words, places, sources,
punctuation and line breaks), so that most examples do yield figures and the offsets are exercised.

For every figure the engine returns:
- ``start``/``end`` lie inside the text, and the span holds the number phrase as written
  (``number_text`` is ``text[n.start:n.end]`` and the span runs from the number or its trigger to
  the end of its noun phrase or predicate, see ``extract._sentence_figures``);
- ``quote`` is a slice of the text (the sentence) and that slice covers the span;
- ``value_low <= value <= value_high`` where the bounds are set, and the bounds are the ones the
  qualifier promises (``figures.schema.QUALIFIERS``).
"""
import math
import re

from conftest import ROOT  # noqa: F401  (puts the repo root on sys.path)
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from figures import CATEGORIES, QUALIFIERS, UNITS, Figure, extract

# No example database in the working tree: a failure prints its minimal input, which then goes into
# an @example below (or into tests/cases) when the engine is fixed.
SETTINGS = settings(max_examples=150, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow])

# --- strategies ---------------------------------------------------------------------------------

NUMBER_WORDS = ["one", "two", "twelve", "twenty-five", "a dozen", "two dozen", "six lakh",
                "half a million", "a hundred", "a quarter of a million", "1.6m", "2.5 million",
                "3bn", "40k", "zero", "none", "nobody", "no one", "several hundred"]
QUALIFIERS_WRITTEN = ["up to", "more than", "at least", "as many as", "nearly", "about",
                      "an estimated", "over", "fewer than", "no fewer than", "some", "around",
                      "between", "and", "to", "-", "–", "a total of", "another"]
VAGUE = ["tens of thousands", "hundreds of thousands", "thousands", "hundreds", "dozens",
         "millions", "a few thousand", "several thousand", "tens of millions"]
TRIGGERS = ["killed", "were killed", "died", "dead", "death toll rose to", "injured", "wounded",
            "missing", "unaccounted for", "trapped", "remain trapped", "unable to leave",
            "displaced", "fled", "have fled their homes", "evacuated", "besieged", "killing",
            "could displace", "no one was killed", "are going to be lost", "lost their lives"]
NOUNS = ["people", "civilians", "children", "families", "fighters", "soldiers", "militants",
         "residents", "women", "refugees", "of them", "of whom", "households", "houses"]
PLACE_NAMES = ["Mosul", "Raqqa", "Aleppo", "Daraa", "Sindh", "Kharkiv", "Gaza", "Syria", "Iraq",
               "Sindh province", "eastern Aleppo", "Mosul's old city"]
PLACES = PLACE_NAMES + ["in Mosul", "near Raqqa", "the old city", "BEIRUT, Sept 20 (Reuters) -",
          "MOSUL, Iraq —", "London, 14 Jun –"]
SOURCES = ["according to the UN", "the UN said", "officials said", "the Syrian Observatory for "
           "Human Rights said", "he said", "told Reuters", "according to the United Nations",
           "UNHCR", "the Observatory", "medics said"]
PUNCTUATION = [".", ",", ";", ":", "(", ")", "\"", "“", "”", "'", "’", "?", "!", "…", " - ",
               "%", "$", "#", "*", "**", "[", "]", "<b>", "</b>", "\t", "\u00a0", "\u200b"]
BREAKS = ["\n", "\n\n", "\r\n", "\n\n\n", "\u2028", "\x0c"]

numbers_with_separators = st.one_of(
    st.integers(0, 10**12).map(lambda n: f"{n:,}"),
    st.integers(0, 10**7).map(str),
    st.integers(0, 10**7).map(lambda n: f"{n:,}".replace(",", ".")),
    st.integers(0, 10**7).map(lambda n: f"{n:,}".replace(",", " ")),
    st.tuples(st.integers(0, 99_999), st.integers(0, 99_999)).map(lambda p: f"{p[0]:,}-{p[1]:,}"),
    st.tuples(st.integers(0, 999), st.integers(0, 9)).map(lambda p: f"{p[0]}.{p[1]} million"),
    st.from_regex(r"[0-9]{1,3}(,[0-9]{1,4}){0,3}", fullmatch=True),   # "1,2,345", "12,00"
)

fragment = st.one_of(
    numbers_with_separators,
    st.sampled_from(NUMBER_WORDS), st.sampled_from(QUALIFIERS_WRITTEN), st.sampled_from(VAGUE),
    st.sampled_from(TRIGGERS), st.sampled_from(NOUNS), st.sampled_from(PLACES),
    st.sampled_from(SOURCES), st.sampled_from(PUNCTUATION), st.sampled_from(BREAKS),
    st.text(max_size=4),
)
separator = st.sampled_from([" ", " ", " ", "", ", ", ". ", "\n", "\n\n"])


@st.composite
def assembled(draw) -> str:
    """Text built from engine-relevant pieces joined by spaces, punctuation and line breaks."""
    parts = draw(st.lists(fragment, min_size=1, max_size=40))
    out = []
    for p in parts:
        out.append(p)
        out.append(draw(separator))
    return "".join(out)


@st.composite
def sentences(draw) -> str:
    """Well-formed news sentences with a random number, qualifier, trigger, place and source,
    a few to a text: the shape most likely to yield figures."""
    out = []
    for _ in range(draw(st.integers(1, 4))):
        qual = draw(st.sampled_from(["", *QUALIFIERS_WRITTEN[:12]]))
        number = draw(st.one_of(numbers_with_separators, st.sampled_from(NUMBER_WORDS + VAGUE)))
        noun = draw(st.sampled_from(NOUNS))
        verb = draw(st.sampled_from(["were killed", "were injured", "are missing",
                                     "remain trapped", "have been displaced", "fled", "died",
                                     "were wounded", "could be displaced", "were evacuated"]))
        place = draw(st.sampled_from(PLACE_NAMES))
        source = draw(st.sampled_from(SOURCES))
        template = draw(st.sampled_from([
            "{q} {n} {p} {v} in {pl}, {s}.",
            "{s}, {q} {n} {p} {v} {pl}.",
            "In {pl}, {q} {n} {p} {v} on Monday, {s}.",
            "The death toll rose to {n} in {pl}, {s}.",
            "Fighting has displaced {q} {n} {p} from {pl} {s}.",
            "{pl}\n\n{q} {n} {p} {v}, {s}.",
        ]))
        filled = template.format(q=qual, n=number, p=noun, v=verb, pl=place, s=source)
        out.append(re.sub(r" +(?=[,.])", "", re.sub(r" {2,}", " ", filled)).strip(" "))
        out.append(draw(st.sampled_from([" ", "\n", "\n\n", " "])))
    return "".join(out)


any_text = st.one_of(st.text(max_size=300), assembled(), sentences())


# --- the properties -----------------------------------------------------------------------------

def _quote_covers_span(text: str, fig: Figure) -> bool:
    """Whether some occurrence of the quote in the text contains text[start:end]."""
    q = fig.quote
    lo = max(0, fig.end - len(q))
    return any(text.startswith(q, i) for i in range(lo, fig.start + 1))


def check_figures(text: str) -> list[Figure]:
    figures = extract(text)
    assert isinstance(figures, list)
    for f in figures:
        assert isinstance(f, Figure)
        where = f"{f!r} in {text!r}"
        # the span is inside the text and holds the number as written
        assert 0 <= f.start < f.end <= len(text), where
        assert f.number_text, where
        assert f.number_text in text[f.start:f.end], where
        # the quote is the text's own words, around the span
        assert f.quote and f.quote in text, where
        assert _quote_covers_span(text, f), where
        # the value lies between its bounds
        assert math.isfinite(f.value) and f.value >= 0, where
        if f.value_low is not None:
            assert f.value_low <= f.value, where
        if f.value_high is not None:
            assert f.value <= f.value_high, where
    return figures


@SETTINGS
@given(st.text())
def test_any_unicode_text_returns_a_list(text):
    assert isinstance(extract(text), list)


@SETTINGS
@given(any_text)
@example("Up to 25,000 civilians are believed to be still trapped in Raqqa, the UN said.")
@example("BEIRUT, Sept 20 (Reuters) - Tens of thousands of civilians have fled Raqqa.")
def test_offsets_quote_and_bounds(text):
    check_figures(text)


@SETTINGS
@given(sentences())
def test_offsets_quote_and_bounds_on_news_sentences(text):
    check_figures(text)


@SETTINGS
@given(any_text)
def test_fields_take_their_declared_values_and_bounds_match_the_qualifier(text):
    """What figures.schema promises about each field, for every figure."""
    for f in extract(text):
        where = f"{f!r} in {text!r}"
        assert f.category in CATEGORIES and f.qualifier in QUALIFIERS and f.unit in UNITS, where
        assert isinstance(f.combatant, bool) and f.article >= 0, where
        low, high = f.value_low, f.value_high
        if f.qualifier == "at_least":      # "more than 100,000": value_low only
            assert (low, high) == (f.value, None), where
        elif f.qualifier == "at_most":     # "up to 25,000": value_high only
            assert (low, high) == (None, f.value), where
        elif f.qualifier in ("exact", "approx"):
            assert low == high == f.value, where
        else:                              # range and vague: value is the low bound
            assert low == f.value and high is not None and low <= high, where


def test_the_generators_reach_the_engine():
    """The fragment strategies are only useful if they make the engine report figures: check that
    a fixed sample of them does (a guard against strategies that silently stop hitting it)."""
    from hypothesis import find
    found = find(sentences(), lambda t: len(extract(t)) >= 2,
                 settings=settings(max_examples=200, deadline=None, database=None))
    assert len(check_figures(found)) >= 2
