"""Key figures reconciled from hand-made frames: one source, two agreeing, two disagreeing, a
rejected figure, a pinned one, copies of one story, parts of a breakdown, the window."""
import pandas as pd

from figures.keyfigures import frame, reconcile

_ID = iter(range(1, 10_000))


def fig(value, source, date, *, category="trapped", location="Raqqa", country="SYR",
        status="unreviewed", story=None, part_of=None, figure_date=""):
    fid = next(_ID)
    return {"figure_id": fid, "category": category, "location": location, "country": country,
            "value": float(value), "number_text": f"{value:,}", "qualifier": "exact",
            "source": source, "reported_date": date, "figure_date": figure_date,
            "review_status": status, "document_id": fid if story is None else story,
            "part_of_figure_id": part_of}


def keys(*rows, **kw):
    return reconcile(pd.DataFrame(rows), **kw)


def test_one_source():
    [k] = keys(fig(25000, "UN", "2017-06-14"))
    assert (k.value, k.sources, k.conflict, k.low, k.high) == (25000, 1, False, 25000, 25000)
    assert k.label == "25,000 trapped · 1 source"


def test_the_latest_estimate_of_a_source_replaces_its_earlier_ones():
    [k] = keys(fig(10000, "UN", "2017-06-01"), fig(25000, "UN", "2017-06-14"))
    assert (k.value, k.sources, k.low, k.high) == (25000, 1, 25000, 25000)


def test_two_sources_agreeing():
    [k] = keys(fig(20000, "UN", "2017-06-10"), fig(25000, "UNICEF", "2017-06-14"))
    assert (k.value, k.source, k.sources, k.conflict) == (25000, "UNICEF", 2, False)
    assert k.label == "20,000–25,000 trapped · 2 sources agree"


def test_three_sources_disagreeing():
    [k] = keys(fig(25000, "UN", "2017-06-10"), fig(50000, "Observatory", "2017-06-12"),
               fig(30000, "UNICEF", "2017-06-14"))
    assert k.conflict and (k.low, k.high, k.sources) == (25000, 50000, 3)
    assert k.label == "25,000–50,000 trapped · 3 sources disagree"
    assert k.value == 30000          # the latest estimate stays the key figure


def test_a_rejected_figure_drops_out():
    [k] = keys(fig(25000, "UN", "2017-06-10"), fig(90000, "Observatory", "2017-06-14",
                                                    status="rejected"))
    assert (k.value, k.sources, k.conflict) == (25000, 1, False)


def test_a_corrected_value_counts_as_corrected():
    # the store's frame carries corrected values in `value`
    [k] = keys(fig(26000, "UN", "2017-06-14", status="corrected"))
    assert k.value == 26000


def test_a_pinned_accepted_figure_is_the_key_figure():
    a = fig(25000, "UN", "2017-06-10", status="accepted")
    b = fig(30000, "UNICEF", "2017-06-14")
    [k] = keys(a, b, pinned={a["figure_id"]})
    assert (k.value, k.figure_id, k.pinned) == (25000, a["figure_id"], True)
    assert k.label.endswith("· pinned")
    # a pin on a figure nobody accepted does not count
    [k] = keys(a | {"review_status": "unreviewed"}, b, pinned={a["figure_id"]})
    assert (k.value, k.pinned) == (30000, False)


def test_copies_of_one_story_count_once():
    # one wire story carried by three outlets, none naming a source: one source, not three
    [k] = keys(fig(400, "", "2017-06-14", story=7), fig(400, "", "2017-06-14", story=7),
               fig(400, "", "2017-06-15", story=7))
    assert k.sources == 1
    # two different stories without a named source are two sources
    [k] = keys(fig(400, "", "2017-06-14", story=7), fig(700, "", "2017-06-15", story=8))
    assert (k.sources, k.conflict) == (2, True)


def test_parts_are_counted_in_their_total():
    total = fig(23, "police", "2017-06-14", category="killed")
    part = fig(4, "police", "2017-06-14", category="killed", part_of=total["figure_id"])
    [k] = keys(total, part)
    assert (k.value, k.sources, k.low) == (23, 1, 23)


def test_figures_outside_the_window_are_not_compared():
    [k] = keys(fig(90000, "Observatory", "2017-01-01"), fig(25000, "UN", "2017-06-14"))
    assert (k.sources, k.conflict) == (1, False)
    [k] = keys(fig(90000, "Observatory", "2017-01-01"), fig(25000, "UN", "2017-06-14"),
               window_days=365)
    assert (k.sources, k.conflict) == (2, True)


def test_each_place_and_category_has_its_own_key_figure():
    ks = keys(fig(25000, "UN", "2017-06-14"), fig(100, "UN", "2017-06-14", location="Mosul",
                                                  country="IRQ"),
              fig(12, "UN", "2017-06-14", category="killed"))
    assert sorted((k.category, k.location) for k in ks) == [
        ("killed", "Raqqa"), ("trapped", "Mosul"), ("trapped", "Raqqa")]
    assert list(frame(ks).columns)[:4] == ["category", "location", "country", "value"]


def test_a_figure_dated_by_the_text_is_ordered_by_that_date():
    # reported on the 20th about the 1st: older than a figure reported and dated on the 14th
    [k] = keys(fig(90000, "UN", "2017-06-20", figure_date="2017-06-01"),
               fig(25000, "UN", "2017-06-14"))
    assert k.value == 25000


def test_nothing_to_reconcile():
    assert reconcile(pd.DataFrame()) == []


def test_what_each_source_said_is_listed_lowest_first():
    [k] = keys(fig(50000, "Observatory", "2017-06-12"), fig(25000, "UN", "2017-06-14"),
               fig(30000, "", "2017-06-13", story=99))
    assert k.by_source == ("UN: 25,000 (14 Jun 2017) · no source named: 30,000 (13 Jun 2017) · "
                           "Observatory: 50,000 (12 Jun 2017)")
