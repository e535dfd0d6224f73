"""The shipped sample corpus (data/*.txt): every figure, with its place and source, and nothing else.

The expected records are tests/cases/seeds_expected.toml (hand-checked facts for these articles).
"""
import tomllib
from pathlib import Path

import pytest

from conftest import CASES, ROOT
from figures import extract
from figures.reading import read_text_file
from test_rules import _same_place, _same_source

with open(CASES / "seeds_expected.toml", "rb") as f:
    EXPECTED = tomllib.load(f)["figure"]
DOCS = sorted((ROOT / "data").glob("*.txt"))


@pytest.fixture(scope="module")
def extracted():
    return {p.stem: extract(read_text_file(p), doc_id=p.stem) for p in DOCS}


def _numbers_match(want, fig) -> bool:
    lo, hi = want.get("value_low"), want.get("value_high")
    if want["qualifier"] == "vague":
        return fig.value_low == lo and fig.value_high == hi
    stated = {x for x in (fig.value, fig.value_low, fig.value_high) if x is not None}
    return (lo if lo is not None else hi) in stated and fig.qualifier == want["qualifier"]


def _find(want, figures):
    return [f for f in figures if f.category == want["category"] and _numbers_match(want, f)]


def test_sample_corpus_is_shipped():
    assert len(DOCS) == 5


@pytest.mark.parametrize("want", [w for w in EXPECTED if not w.get("optional")],
                         ids=lambda w: f"{w['doc_id'][:3]}-{w['category']}-{w.get('value_low') or w.get('value_high')}")
def test_expected_figure_is_reported(want, extracted):
    found = _find(want, extracted[want["doc_id"]])
    assert found, f"missing: {want}"
    fig = found[0]
    assert fig.combatant == want["combatant"]
    assert _same_place(want["location"], fig.location), (want["location"], fig.location)
    if want["source"]:
        assert _same_source(want["source"], fig.source), (want["source"], fig.source)
    if "speaker" in want:
        assert fig.speaker == want["speaker"], (want["speaker"], fig.speaker)
    assert fig.quote.startswith(want["quote_start"])
    assert want["quote_start"] in fig.quote


def test_no_figure_beyond_the_expected(extracted):
    extra = []
    for doc_id, figures in extracted.items():
        wants = [w for w in EXPECTED if w["doc_id"] == doc_id]
        for fig in figures:
            if not any(w["category"] == fig.category and _numbers_match(w, fig) for w in wants):
                extra.append(f"{doc_id}: {fig.category} {fig.number_text!r} in {fig.quote[:80]!r}")
    assert not extra, "\n".join(extra)


def test_offsets_point_at_the_figure_in_the_original_text(extracted):
    for p in DOCS:
        text = read_text_file(p)
        for fig in extracted[p.stem]:
            assert fig.number_text in text[fig.start:fig.end]
            assert text[fig.start:fig.end] in fig.quote


def test_datelines_date_the_articles(extracted):
    raqqa = extracted["000_8fc2fd3301f5b410"]
    assert {f.reported_date for f in raqqa} == {"--06-14"}
    dated = extract(read_text_file(ROOT / "data" / "000_8fc2fd3301f5b410.txt"), date="2017-06-20")
    assert {f.reported_date for f in dated} == {"2017-06-14"}
