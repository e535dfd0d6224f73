"""Parse-level tests for number phrases: one line of data per case in cases/numbers.toml."""
import tomllib

import pytest

from conftest import CASES as CASES_DIR, load_cases
from figures.numbers import find_numbers, parse_phrase

CASES = load_cases("numbers.toml")
with open(CASES_DIR / "numbers.toml", "rb") as _f:
    IN_TEXT = tomllib.load(_f)["in_text"]


def _bound(v):
    return None if v == "" else float(v)


@pytest.mark.parametrize("case", CASES, ids=[c["text"] for c in CASES])
def test_number_phrase(case):
    got = parse_phrase(case["text"])
    if case.get("none"):
        assert got is None or got.is_vague is False and not find_numbers(case["text"]), got
        return
    assert got is not None, f"{case['text']!r} did not parse"
    assert got.value == float(case["value"])
    if "value_low" in case:
        assert got.value_low == _bound(case["value_low"])
    if "value_high" in case:
        assert got.value_high == _bound(case["value_high"])
    if "qualifier" in case:
        assert got.qualifier == case["qualifier"]


def test_phrases_are_found_inside_text_with_offsets():
    text = "Officials said up to 25,000 people fled and between 3,000 and 5,000 stayed."
    found = find_numbers(text)
    assert [text[n.start:n.end] for n in found] == ["up to 25,000", "between 3,000 and 5,000"]
    assert [n.qualifier for n in found] == ["at_most", "range"]


def test_two_numbers_joined_by_and_are_not_a_range():
    found = find_numbers("killed 12 and injured 40")
    assert [n.value for n in found] == [12, 40]
    assert all(n.qualifier == "exact" for n in found)


def test_long_digit_runs_parse_in_linear_time():
    # a megabyte of digits and commas must come back, not hang the process
    text = ("1,2" * 50_000) + " people"
    assert find_numbers(text)


@pytest.mark.parametrize("case", IN_TEXT, ids=[c["text"] for c in IN_TEXT])
def test_phrases_in_text(case):
    found = find_numbers(case["text"])
    assert [n.text for n in found] == case["phrases"]
    assert [n.value for n in found] == [float(v) for v in case["values"]]
