"""Places as shown: exact names (the table-driven cases in cases/sentences_places.toml compare
places loosely), levels and the country names a figure of the whole country takes."""
import re

import pytest

from conftest import ROOT
from figures import extract
from figures.places import as_name, country_name, find_places
from figures.reading import read_text_file
from figures.schema import LOCATION_LEVELS

GLUED = re.compile(r"^(?:al|ar|as|ad|an|ash|az|el|ez|es|ed|at)[ \-]", re.I)


@pytest.mark.parametrize("text", [
    "Three pilgrims were killed in a crush near Mecca on Friday.",
    "Government forces shelled villages near Raqqa overnight.",
    "Rebels who attacked Aleppo were pushed back, and the army shelled Idlib.",
    "The mortar round killed Homs residents queueing for bread.",
    "Floods hit SAsia and parts of Sindh province.",
])
def test_a_name_starts_at_a_word(text):
    for p in find_places(text, 0, len(text)):
        if p.start and text[p.start - 1].isalpha():
            pytest.fail(f"{p.name!r} starts inside a word")
        assert not GLUED.match(p.name) or not text[p.start - 1:p.start].isalpha(), p.name
        assert p.name != "SAsia"


def test_an_arabic_article_stays_with_its_name():
    text = "Fighting near al-Bab and in ar-Raqqa displaced thousands."
    names = [p.name for p in find_places(text, 0, len(text))]
    assert "al-Bab" in names and any("Raqqa" in n for n in names)


def test_an_english_word_before_a_name_is_not_part_of_it():
    text = "The suspect appeared in court at Christchurch on Saturday."
    assert [p.name for p in find_places(text, 0, len(text))] == ["Christchurch"]


@pytest.mark.parametrize("text,want", [
    ("BEIRUT, May 3 (Reuters) - A car bomb killed nine people on Monday, police said.", "Beirut"),
    ("GOMA, May 4 - A landslide buried dozens of homes on Sunday, killing at least 11 people.", "Goma"),
])
def test_an_upper_case_dateline_reads_as_a_name(text, want):
    (fig,) = extract(text)
    assert fig.location == want
    assert fig.location_level == "town"


def test_names_in_capitals_read_as_names():
    assert as_name("DEIR EZ-ZOR") == "Deir Ez-Zor"
    assert as_name("GOMA") == "Goma"


@pytest.mark.parametrize("iso3,name", [("COD", "Democratic Republic of the Congo"),
                                       ("SYR", "Syria"), ("HTI", "Haiti"), ("IRN", "Iran")])
def test_a_country_the_text_does_not_name_has_its_usual_name(iso3, name):
    assert country_name(iso3) == name


def test_a_name_with_small_words_is_read_whole():
    text = "Floods in the Democratic Republic of the Congo and in Cox's Bazar displaced thousands."
    names = [p.name for p in find_places(text, 0, len(text))]
    assert names == ["Democratic Republic of the Congo", "Cox's Bazar"]


def test_every_figure_has_a_level_of_the_schema_and_none_without_a_place():
    for path in sorted((ROOT / "data").glob("*.txt")):
        for fig in extract(read_text_file(path), doc_id=path.stem):
            assert fig.location_level in LOCATION_LEVELS + ("",), fig
            assert (fig.location_level == "") == (fig.location == ""), fig


def test_a_long_list_is_no_name():
    text = "Floods killed 12 people in " + ", ".join(["Aleppo, Homs and Hama"] * 2000) + "."
    (fig,) = extract(text)
    assert fig.location == "Aleppo"


def test_a_page_of_many_stories_is_read_in_time():
    import time
    text = "\n\n".join(f"Floods kill {i} in Kenya's Tana River county\n\nAt least {i} people were "
                       "killed in Garissa, officials said." for i in range(1, 2001))
    start = time.process_time()
    figures = extract(text)
    assert time.process_time() - start < 10
    assert {f.country for f in figures} == {"KEN"}


def test_every_case_figure_has_a_level_of_the_schema_and_none_without_a_place():
    from test_rules import CASES
    for _, case in CASES:
        for fig in extract(case["text"], date=case.get("date")):
            assert fig.location_level in LOCATION_LEVELS + ("",), (case["text"][:60], fig)
            assert (fig.location_level == "") == (fig.location == ""), (case["text"][:60], fig)
