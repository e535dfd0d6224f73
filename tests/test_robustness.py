"""Hostile and odd text: the engine returns (no hang, no crash) and finds nothing it should not."""
from figures import extract


def test_empty_and_whitespace():
    assert extract("") == []
    assert extract(" \n\n\t") == []


def test_runs_of_digits_commas_and_qualifiers_finish():
    assert isinstance(extract("1,2" * 30_000), list)
    assert isinstance(extract("up to more than at least about " * 5_000 + "12 killed."), list)
    assert isinstance(extract(("word " * 50_000) + "and 12 people were killed"), list)


def test_html_and_control_characters_are_just_text():
    figures = extract("<script>alert(1)</script>\x07 12 people were killed in <b>Aleppo</b>.")
    assert [f.value for f in figures] == [12]


def test_quote_and_offsets_are_exact_slices():
    text = "Intro line\n\nOfficials said 40 people were injured in Kharkiv on Monday."
    (fig,) = extract(text)
    assert text[fig.start:fig.end] in fig.quote and fig.quote in text
    assert fig.category == "injured" and fig.location == "Kharkiv" and fig.country == "UKR"


def test_a_sentence_longer_than_a_piece_is_read_whole_and_each_figure_once():
    for pad in (4_978, 4_986, 4_990, 12_000):          # the figure straddles the first cut, or not
        text = "x" * pad + " 12 people were killed."
        assert [(f.value, text[f.start:f.end]) for f in extract(text)] == [(12, "12 people were killed")]
    text = ("word " * 990 + "12 people were killed, ") * 20      # one 100,000-character sentence
    figures = extract(text)
    assert len(figures) == 20 and len({f.start for f in figures}) == 20
