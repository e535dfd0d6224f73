"""Charts of stored figures: what each mark carries, labels, titles, footnotes, escaping, PNG export."""
from __future__ import annotations

import io
import json
import math
import os
import shutil

import pandas as pd
import plotly.graph_objects as go
import numpy as np
import plotly.io as pio
import pytest

from figures import charts
from figures.charts import (
    CATEGORY_COLOURS,
    NO_DATA_MESSAGE,
    QUALIFIER_WORDS,
    by_place,
    chart_config,
    chart_filename,
    sources_compare,
    timeline,
    to_png,
    value_label,
)

NAN = float("nan")

COLUMNS = ["figure_id", "document_id", "doc_id", "article", "category", "value", "value_low",
           "value_high", "qualifier", "number_text", "unit", "who", "combatant", "term", "location",
           "country", "source", "reported_date", "quote", "start", "end", "page",
           "extractor_version", "document_title", "document_url", "document_outlet",
           "review_status", "review_note", "extracted_value"]


def row(fid, category, value, low, high, qualifier, text, location, country, source, reported,
        quote=None, document_id=None, title=None, unit="people", combatant=0):
    return {
        "figure_id": fid, "document_id": document_id or fid, "doc_id": f"doc{document_id or fid}",
        "article": 0, "category": category, "value": float(value),
        "value_low": NAN if low is None else float(low),
        "value_high": NAN if high is None else float(high),
        "qualifier": qualifier, "number_text": text, "unit": unit, "who": "civilians",
        "combatant": combatant, "term": category, "location": location, "country": country,
        "source": source, "reported_date": reported,
        "quote": quote or f"{text} civilians {category} in {location or 'the area'}, {source} said.",
        "start": 10, "end": 20, "page": None, "extractor_version": "1",
        "document_title": title or f"Report {fid}", "document_url": f"https://example.org/{fid}",
        "document_outlet": "Example News", "review_status": "unreviewed", "review_note": "",
        "extracted_value": float(value),
    }


ROWS = [
    row(1, "trapped", 25000, None, 25000, "at_most", "up to 25,000", "Raqqa", "SYR", "UN",
        "2017-09-20", "Up to 25,000 civilians are believed to be still trapped inside Raqqa, "
        "according to the UN, as the battle for the city enters its final phase."),
    row(2, "trapped", 50000, 50000, 50000, "exact", "50,000", "Raqqa", "SYR", "ICRC", "2017-09-25"),
    row(3, "trapped", 20000, None, 20000, "at_most", "up to 20,000", "Raqqa", "SYR", "UN",
        "2017-08-10"),
    row(4, "trapped", 200000, None, 200000, "at_most", "up to 200,000", "Mosul", "IRQ", "UN",
        "2017-06-14"),
    row(5, "displaced", 320000, 320000, None, "at_least", "more than 320,000", "Daraa", "SYR",
        "UNHCR", "2017-07-05"),
    row(6, "displaced", 20000, 20000, 99999, "vague", "tens of thousands", "Yemen", "YEM", "IOM",
        "2017-09-01"),
    row(7, "killed", 150, 150, 150, "approx", "about 150", "Aleppo", "SYR",
        "Syrian Observatory for Human Rights", "2017-08-30"),
    row(8, "killed", 12, 12, 12, "exact", "12", "Aleppo", "SYR",
        "Syrian Observatory for Human Rights", "2017-08-01"),
    row(9, "displaced", 3000, 3000, 5000, "range", "between 3,000 and 5,000", "Mosul", "IRQ", "",
        "2017-07-20"),
    row(10, "displaced", 1200, 1200, 1200, "exact", "1,200", "Raqqa", "SYR", "Reuters", ""),
    row(11, "killed", 7, 7, 7, "exact", "seven", "", "", "local officials", "2017-09-10"),
    row(12, "injured", 34, 34, 34, "exact", "34", "Mosul", "IRQ", "Iraqi Red Crescent", "--09-20"),
]


@pytest.fixture
def df() -> pd.DataFrame:
    return pd.DataFrame(ROWS, columns=COLUMNS)


def ids_of(fig: go.Figure) -> set[int]:
    out = set()
    for t in fig.data:
        for cd in t.customdata or ():
            assert isinstance(cd[0], int), cd
            out.add(cd[0])
    return out


def footnote(fig: go.Figure) -> str:
    return next(a.text for a in fig.layout.annotations if a.name == "footnote")


def strings(obj):
    """Every string inside a figure dict."""
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, dict):
        for k, v in obj.items():
            yield from strings(k)
            yield from strings(v)
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            yield from strings(v)


def labels_trace(fig, category):
    return next(t for t in fig.data if t.meta and t.meta["category"] == category
                and t.meta.get("role") == "labels")


def points_trace(fig, category):
    return next(t for t in fig.data if t.meta and t.meta["category"] == category
                and t.meta.get("role") == "points")


def bars_trace(fig, category):
    return next(t for t in fig.data if t.meta and t.meta["category"] == category
                and t.meta.get("role") == "bars")


# --- value labels -------------------------------------------------------------------------------

@pytest.mark.parametrize("fid, expected", [
    (1, "up to 25,000"), (2, "50,000"), (5, "more than 320,000"), (6, "tens of thousands"),
    (7, "about 150"), (9, "3,000–5,000"), (11, "7"),
])
def test_value_label_reads_as_reported(fid, expected):
    assert value_label(next(r for r in ROWS if r["figure_id"] == fid)) == expected


def test_value_label_other_cases():
    base = ROWS[0]
    assert value_label({**base, "number_text": "as many as 25,000"}) == "as many as 25,000"
    assert value_label({**base, "number_text": ""}) == "up to 25,000"
    assert value_label({**base, "qualifier": "at_least", "value_low": 25000, "value_high": None,
                        "number_text": "over a 25,000"}) == "over 25,000"
    assert value_label({**base, "qualifier": "approx", "number_text": "nearly 25,000"}) \
        == "nearly 25,000"
    # vague without usable words: the span
    assert value_label({**ROWS[5], "number_text": ""}) == "20,000–99,999"
    # households are said so
    assert value_label({**ROWS[1], "unit": "households"}) == "50,000 households"
    # a reviewer's corrected value wins over the words as written
    assert value_label({**base, "value": 30000.0, "value_high": 30000.0}) == "up to 30,000"
    assert value_label(pd.Series(ROWS[4])) == "more than 320,000"
    assert QUALIFIER_WORDS["at_most"] == "up to" and QUALIFIER_WORDS["exact"] == ""


# --- by place -----------------------------------------------------------------------------------

def test_by_place_latest_figure_per_place_and_category(df):
    fig = by_place(df)
    ids = ids_of(fig)
    assert 2 in ids and 1 not in ids and 3 not in ids     # Raqqa trapped: ICRC 25 Sep
    assert 7 in ids and 8 not in ids                      # Aleppo killed: 30 Aug
    assert ids == {2, 4, 5, 6, 7, 9, 10, 11, 12}


def test_every_mark_carries_its_figure_id(df):
    for fig in (by_place(df), timeline(df), sources_compare(df, "Raqqa", "trapped")):
        for t in fig.data:
            marks = [x for x in t.x if x is not None]
            if t.meta.get("role") == "legend":
                assert not marks and not t.customdata
                continue
            assert len(t.customdata) == len(marks) > 0
            assert all(type(cd[0]) is int for cd in t.customdata)
            assert "customdata[7]" in t.hovertemplate


def test_by_place_prefers_dated_then_newer_id():
    rows = [row(5, "killed", 10, 10, 10, "exact", "10", "Homs", "SYR", "A", "2017-01-01"),
            row(9, "killed", 99, 99, 99, "exact", "99", "Homs", "SYR", "B", ""),
            row(3, "injured", 4, 4, 4, "exact", "4", "Homs", "SYR", "A", "2017-02-02"),
            row(8, "injured", 6, 6, 6, "exact", "6", "Homs", "SYR", "B", "2017-02-02")]
    assert ids_of(by_place(pd.DataFrame(rows))) == {5, 8}


def test_by_place_labels_show_qualifiers(df):
    fig = by_place(df)
    assert set(labels_trace(fig, "trapped").text) == {"50,000", "up to 200,000"}
    displaced = set(labels_trace(fig, "displaced").text)
    assert {"more than 320,000", "tens of thousands", "3,000–5,000"} <= displaced
    assert "about 150" in labels_trace(fig, "killed").text
    # the ▶ of an open upper end: shown only for at_least
    t = labels_trace(fig, "displaced")
    shown = dict(zip((cd[0] for cd in t.customdata), t.marker.opacity))
    assert shown[5] == 1 and shown[6] == 0 and shown[9] == 0
    # hatched bars for "up to"
    b = bars_trace(fig, "trapped")
    shapes = dict(zip((cd[0] for cd in b.customdata), b.marker.pattern.shape))
    assert shapes[4] == "/" and shapes[2] == ""


def test_by_place_error_bars_for_range_and_vague(df):
    b = bars_trace(by_place(df), "displaced")
    assert b.error_x.visible
    plus = dict(zip((cd[0] for cd in b.customdata), b.error_x.array))
    minus = dict(zip((cd[0] for cd in b.customdata), b.error_x.arrayminus))
    assert plus[6] == 99999 - 20000 and minus[6] == 0
    assert plus[9] == 2000 and minus[9] == 0
    assert math.isnan(plus[5]) and math.isnan(plus[10])
    assert not bars_trace(by_place(df), "killed").error_x.visible


def test_by_place_places_and_top(df):
    fig = by_place(df)
    ticks = list(fig.layout.yaxis.ticktext)
    assert ticks[0] == "Daraa"              # largest figure first
    assert "(place not stated)" in ticks
    assert set(ticks) == {"Daraa", "Mosul", "Raqqa", "Yemen", "Aleppo", "(place not stated)"}
    small = by_place(df, top=2)
    assert list(small.layout.yaxis.ticktext) == ["Daraa", "Mosul"]
    assert "Top 2 places by size shown, 4 more not shown" in footnote(small)


def test_by_place_leaves_room_for_the_longest_place_name(df):
    # a margin that fits the names from the start spares the browser the second drawing that
    # Plotly's automargin makes after widening it; automargin stays on for names wider than this
    fig = by_place(df)
    longest = max(len(t) for t in fig.layout.yaxis.ticktext)        # "(place not stated)"
    assert fig.layout.margin.l >= 0.55 * 14 * longest + fig.layout.yaxis.ticklabelstandoff
    assert fig.layout.yaxis.automargin
    wide = df.assign(location=df["location"].where(df["location"] != "Daraa", "X" * 80))
    assert by_place(wide).layout.margin.l > fig.layout.margin.l     # names cut at 40 characters
    assert by_place(wide).layout.margin.l < 0.6 * 14 * 41 + 30


# --- timeline -----------------------------------------------------------------------------------

def test_timeline_drops_rows_without_full_date(df):
    fig = timeline(df)
    assert ids_of(fig) == {1, 2, 3, 4, 5, 6, 7, 8, 9, 11}   # 10: no date, 12: no year
    assert "2 figures without a full date" in footnote(fig)
    assert fig.layout.xaxis.type == "date"
    assert fig.layout.yaxis.type == "log"                     # 7 .. 320,000
    legend = [t.name for t in fig.data if t.showlegend is not False]
    assert legend == ["Killed", "Trapped", "Displaced"]
    assert all(t.marker.symbol == "circle" for t in fig.data if t.meta["role"] == "legend")
    displaced = points_trace(fig, "displaced")
    symbols = dict(zip((cd[0] for cd in displaced.customdata), displaced.marker.symbol))
    assert symbols[5] == "triangle-up" and symbols[6] == "square"
    assert displaced.error_y.visible


def test_timeline_only_undated_rows(df):
    fig = timeline(df[df.figure_id.isin([10, 12])])
    assert any(NO_DATA_MESSAGE in a.text for a in fig.layout.annotations)


def test_timeline_linear_when_values_close(df):
    fig = timeline(df[df.figure_id.isin([1, 2, 3])])
    assert fig.layout.yaxis.type == "linear"
    assert "without a full date" not in footnote(fig)


# --- sources ------------------------------------------------------------------------------------

def test_sources_compare_one_trace_per_source(df):
    fig = sources_compare(df, "Raqqa", "trapped")
    by_name = {t.name: t for t in fig.data}
    assert set(by_name) == {"UN", "ICRC"}
    assert [cd[0] for cd in by_name["UN"].customdata] == [3, 1]          # in date order
    assert [cd[0] for cd in by_name["ICRC"].customdata] == [2]
    assert "lines" in by_name["UN"].mode and "markers" in by_name["UN"].mode
    assert "up to 25,000 · UN" in by_name["UN"].text
    assert "50,000 · ICRC" in by_name["ICRC"].text
    assert "Raqqa" in fig.layout.title.text and "trapped" in fig.layout.title.text
    # the sources look different from each other
    un, icrc = by_name["UN"], by_name["ICRC"]
    assert (un.marker.color, un.marker.symbol) != (icrc.marker.color, icrc.marker.symbol)


def test_sources_compare_place_not_stated_and_undated(df):
    fig = sources_compare(df, "", "killed")
    assert ids_of(fig) == {11}
    fig = sources_compare(df, "Raqqa", "displaced")           # only an undated figure
    assert ids_of(fig) == {10}
    assert fig.layout.xaxis.type == "category"
    assert fig.data[0].x == ("date not stated",)


def test_sources_compare_keeps_undated_figures(df):
    extra = [row(30, "trapped", 40000, 40000, 40000, "approx", "an estimated 40,000", "Raqqa",
                 "SYR", "", ""),
             row(31, "trapped", 20000, 20000, 99999, "vague", "tens of thousands", "Raqqa", "SYR",
                 "Human rights groups", "--06-14")]
    fig = sources_compare(pd.concat([df, pd.DataFrame(extra)]), "Raqqa", "trapped")
    assert ids_of(fig) == {1, 2, 3, 30, 31}
    assert fig.layout.xaxis.type == "category"
    assert list(fig.layout.xaxis.categoryarray) == [
        "10 Aug 2017", "20 Sep 2017", "25 Sep 2017", "14 Jun (year not stated)", "date not stated"]
    assert {t.name for t in fig.data} == {"UN", "ICRC", "(source not stated)", "Human rights groups"}
    assert "2 figures without a full date placed after the dated ones" in footnote(fig)
    fig = sources_compare(df, "Nowhere", "killed")
    assert any(NO_DATA_MESSAGE in a.text for a in fig.layout.annotations)


# --- titles, footnotes, colours -----------------------------------------------------------------

def test_titles_say_what_where_when(df):
    t = timeline(df).layout.title.text
    assert "Civilians killed, trapped and displaced over time" in t
    assert "Syria, Iraq, Yemen" in t
    assert "14 Jun – 25 Sep 2017" in t
    t = by_place(df).layout.title.text
    assert "Civilians killed, injured, trapped and displaced, by place" in t
    assert "Syria, Iraq, Yemen" in t and "2017" in t
    t = sources_compare(df, "Raqqa", "trapped").layout.title.text
    assert "Syria" in t and "10 Aug – 25 Sep 2017" in t
    fighters = df.assign(combatant=1)
    assert timeline(fighters).layout.title.text.startswith("<b>People ")


def test_title_many_countries(df):
    extra = [row(20 + i, "killed", 5, 5, 5, "exact", "5", "X", iso, "UN", "2018-01-02")
             for i, iso in enumerate(["AFG", "COD", "SSD", "AFG"])]
    t = timeline(pd.concat([df, pd.DataFrame(extra)])).layout.title.text
    assert "Syria, Afghanistan, Iraq and 3 more" in t   # by count, then name
    assert "14 Jun 2017 – 2 Jan 2018" in t


def test_footnote_lists_sources(df):
    note = footnote(timeline(df))
    assert note.startswith("Symbols:")
    assert "Sources: UN, Syrian Observatory for Human Rights, ICRC (+3 more)" in note
    assert "extracted by Humanitarian Figures" in note
    note = footnote(sources_compare(df, "Raqqa", "trapped"))
    assert "Sources: UN, ICRC" in note and "more)" not in note
    for fig in (by_place(df), timeline(df)):
        a = next(a for a in fig.layout.annotations if a.name == "footnote")
        assert a.yref == "paper" and a.y == 0 and a.yanchor == "top" and a.yshift < 0
        assert fig.layout.margin.b >= -a.yshift + 17 * (a.text.count("<br>") + 1)


def test_colours_consistent_across_charts(df):
    assert CATEGORY_COLOURS == {"killed": "#D55E00", "injured": "#E69F00", "missing": "#CC79A7",
                                "trapped": "#0072B2", "displaced": "#009E73"}
    for cat in ("killed", "trapped", "displaced"):
        assert bars_trace(by_place(df), cat).marker.color == CATEGORY_COLOURS[cat]
        assert points_trace(timeline(df), cat).marker.color \
            == CATEGORY_COLOURS[cat]
    first = sources_compare(df, "Raqqa", "trapped").data[0]
    assert first.marker.color == CATEGORY_COLOURS["trapped"]


def test_hover_shows_provenance(df):
    t = labels_trace(by_place(df), "trapped")
    assert "customdata[1]" in t.hovertemplate and "customdata[7]" in t.hovertemplate
    cd = next(c for c in points_trace(timeline(df), "trapped").customdata if c[0] == 1)
    fid, written, category, place, source, when, title, quote = cd[:8]
    assert (written, category, place, source, when) == ("up to 25,000", "trapped", "Raqqa", "UN",
                                                        "20 Sep 2017")
    assert title == "Report 1"
    assert quote.replace("<br>", " ").startswith("Up to 25,000 civilians")
    assert quote.endswith("…") and len(quote.replace("<br>", " ")) <= charts.QUOTE_CHARS


# --- hostile text -------------------------------------------------------------------------------

HOSTILE = '<a href="javascript:alert(1)">x</a> <img src=x onerror=alert(1)>'


def test_hostile_text_is_escaped(df):
    bad = row(99, "trapped", 25000, None, 25000, "at_most", "up to 25,000 <b>x</b>",
              'Raqqa<img src=x onerror=alert(1)>', "SYR", '<a href="javascript:alert(1)">UN</a>',
              "2017-09-21", quote="Civilians trapped " + HOSTILE,
              title="<script>alert(1)</script> $\\href{javascript:alert(1)}{x}$")
    data = pd.concat([df, pd.DataFrame([bad])], ignore_index=True)
    figs = [by_place(data), timeline(data), sources_compare(data, bad["location"], "trapped"),
            chart_config(chart_filename("by_place", data))]
    for fig in figs:
        d = fig.to_dict() if hasattr(fig, "to_dict") else fig
        text = "\n".join(strings(d))
        for tag in ("<a ", "<img", "<script", "<b>x"):
            assert tag not in text, (tag, fig)
        blob = json.dumps(d, default=str)
        assert "<img" not in blob and "<a href" not in blob
    hover = "\n".join(strings(figs[1].to_dict()))
    assert "&lt;img src=x onerror=alert(1)&gt;" in hover
    assert "&lt;a href=&#34;javascript:alert(1)&#34;&gt;" in hover
    assert "&lt;script&gt;" in hover and "&#36;" in hover and "$\\href" not in hover
    sc = figs[2]
    assert sc.data[0].name == "&lt;a href=&#34;javascript:alert(1)&#34;&gt;UN&lt;/a&gt;"
    assert "Raqqa&lt;img" in sc.layout.title.text
    assert "&lt;a href" in footnote(sc)
    assert any("Raqqa&lt;img" in t for t in by_place(data).layout.yaxis.ticktext)


# --- empty --------------------------------------------------------------------------------------

@pytest.mark.parametrize("make", [
    lambda d: by_place(d), lambda d: timeline(d), lambda d: sources_compare(d, "Raqqa", "trapped"),
])
@pytest.mark.parametrize("empty", [pd.DataFrame(), pd.DataFrame(columns=COLUMNS)])
def test_empty_dataframe(make, empty):
    fig = make(empty)
    assert isinstance(fig, go.Figure)
    assert any(NO_DATA_MESSAGE in a.text for a in fig.layout.annotations)
    assert not fig.data
    assert chart_filename("by_place", empty) == "by-place"


# --- file names and config ----------------------------------------------------------------------

def test_chart_filename_is_a_safe_slug(df):
    assert chart_filename("by_place", df[df.category.isin(["trapped", "displaced"])
                                         & df.country.eq("SYR")]) \
        == "trapped-displaced-by-place-syria-2017-07-to-2017-09"
    assert chart_filename("timeline", df) \
        == "killed-injured-trapped-displaced-over-time-syria-iraq-and-1-more-2017-06-to-2017-09"
    assert chart_filename("sources_compare", df, place="Raqqa", category="trapped") \
        == "trapped-raqqa-by-source-syria-2017-08-to-2017-09"
    # the dashboard's spelling of kinds, with the rows of one place and category
    raqqa = df[(df.location == "Raqqa") & (df.category == "trapped")]
    assert chart_filename("sources", raqqa) == "trapped-raqqa-by-source-syria-2017-08-to-2017-09"
    assert chart_filename("by-place", raqqa).startswith("trapped-by-place-syria")
    nasty = pd.DataFrame([row(1, "killed", 3, 3, 3, "exact", "3", "../../etc/passwd", "CIV",
                              "x", "2020-01-01")])
    for kind in ("by_place", "../../x", "sources_compare"):
        name = chart_filename(kind, nasty, place="../../etc/passwd/Ğüç" if "s" in kind else None)
        assert name and name.isascii() and "/" not in name and ".." not in name
        assert name == name.lower() and " " not in name and not name.startswith(("-", "."))
    assert "cote-d-ivoire" in chart_filename("by_place", nasty)


def test_chart_config():
    cfg = chart_config("trapped/../by place")
    assert cfg["displaylogo"] is False
    opts = cfg["toImageButtonOptions"]
    assert opts == {"format": "png", "filename": "trapped-by-place", "width": 1600,
                    "height": 900, "scale": 1}


# --- large frames: reduced with column operations, same charts ----------------------------------

def big_frame(n: int, seed: int = 0) -> pd.DataFrame:
    """Many figures with ties everywhere: few dates (full, partial, none), repeated figure ids,
    blank and missing places, a category written two ways, combatants."""
    import random

    rnd = random.Random(seed)
    quals = [("exact", 1, 1), ("at_most", None, 1), ("at_least", 1, None), ("approx", 1, 1),
             ("range", 0.5, 2), ("vague", 1, 10)]
    rows = []
    for i in range(n):
        q, lo, hi = rnd.choice(quals)
        value = float(rnd.choice([7, 12, 150, 3000, 25000, 320000]) * rnd.randint(1, 3))
        place, country = rnd.choice([("Raqqa", "SYR"), ("Aleppo", "SYR"), ("Mosul", "IRQ"),
                                     ("", "SYR"), ("", ""), (None, "YEM"), ("Sindh", "PAK"),
                                     ("Kharkiv", "UKR"), ("Idlib", None), ("Goma", "COD")])
        r = row(rnd.randint(1, n // 3), rnd.choice(["killed", "injured", "displaced", "trapped",
                                                     "missing", "Killed "]),
                value, None if lo is None else value * lo, None if hi is None else value * hi,
                q, f"{value:,.0f}", place, country, rnd.choice(["UN", "ICRC", ""]),
                rnd.choice(["2017-09-20", "2017-09-25", "2018-01-02", "--09-20", "", None]),
                combatant=rnd.choice([0, 0, 1]))
        rows.append(r)
    return pd.DataFrame(rows, columns=COLUMNS)


def test_last_per_group_is_sort_then_last_of_each_group():
    import numpy as np

    rng = np.random.default_rng(1)
    groups = rng.integers(-1, 6, 400)
    keys = [rng.integers(0, 3, 400), rng.integers(0, 5, 400), rng.integers(0, 4, 400)]
    d = pd.DataFrame({"g": groups, "a": keys[0], "b": keys[1], "c": keys[2]})
    d = d.assign(g=d["g"].where(d["g"] >= 0))                  # -1: missing, left out
    expected = d.sort_values(["a", "b", "c"], kind="stable").groupby("g", sort=False).tail(1)
    assert list(charts.last_per_group(groups, keys)) == list(expected.index)


def test_date_rank_and_order_as_the_patterns_say():
    dates = ["2017-09-20", "--09-20", "", None, "2017-9-20", "2017-09-20\n", "x", "2017-09-20"]
    for column in (pd.Series(dates), pd.Series(dates, dtype=object)):
        rank, order = charts._date_keys(pd.DataFrame({"reported_date": column}))
        text = column.fillna("").astype(str)          # matched row by row, by the same engine
        expected_rank = (text.str.match(r"^\d{4}-\d{2}-\d{2}$").astype(int) * 2
                         + text.str.match(r"^--\d{2}-\d{2}$").astype(int))
        assert list(rank) == list(expected_rank)
        assert list(rank[[0, 1, 2, 3, 4, 6, 7]]) == [2, 1, 0, 0, 0, 0, 2]
        expected = column.sort_values(kind="stable").index       # missing last
        assert list(pd.Series(order).sort_values(kind="stable").index) == list(expected)


def test_latest_raw_keeps_the_newest_row_per_place_country_and_category():
    big = big_frame(3000)
    got = charts._latest_raw(big)
    # the straightforward way: every column sorted, then the last row of each group
    rank = big["reported_date"].fillna("").str.match(r"^\d{4}-\d{2}-\d{2}$").astype(int) * 2 + (
        big["reported_date"].fillna("").str.match(r"^--\d{2}-\d{2}$").astype(int))
    d = big.assign(_rank=rank, _loc=big["location"].fillna(""), _cty=big["country"].fillna(""),
                   _cat=big["category"].str.lower())
    d = d.sort_values(["_rank", "reported_date", "figure_id"], kind="stable")
    expected = d.groupby(["_loc", "_cty", "_cat"], sort=False).tail(1)[big.columns]
    assert got.equals(expected) and list(got.index) == list(expected.index)


@pytest.mark.parametrize("seed", [0, 1])
def test_big_frames_draw_the_same_charts_as_without_the_reductions(monkeypatch, seed):
    big = big_frame(2500, seed)
    # every seventh figure a part of a breakdown ("4 children" of a toll): never a bar of its own
    parted = big.assign(part_of=[10 if i % 7 == 3 else None for i in range(len(big))])
    subsets = [big, big[big["category"] == "killed"], big[big["combatant"] == 0].iloc[::-1],
               parted]

    def draw():      # as JSON: the whiskers' NaN never equal themselves in a dict
        return [(pio.to_json(by_place(d)), pio.to_json(by_place(d, top=3)),
                 pio.to_json(timeline(d))) for d in subsets]

    fast = draw()
    monkeypatch.setattr(charts, "_REDUCE_ROWS", 10**9)
    monkeypatch.setattr(charts, "TIMELINE_MAX_POINTS", 10**9)
    assert draw() == fast
    assert len(json.loads(fast[0][0])["data"]) > 4 and "more not shown" in fast[0][1]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_charts_cards_and_names_of_a_mask_are_those_of_the_rows_it_selects(seed):
    """The Overview reads a selection where it lies in the frame (``keep``) instead of copying
    it: the same chart, file name and cards as from the copied rows, big frames and small."""
    from figures import views
    rng = np.random.default_rng(seed)
    big = big_frame(2500, seed).assign(
        part_of=[10 if i % 9 == 4 else None for i in range(2500)])
    for frame in (big, big.head(300)):
        for share in (0.0, 0.05, 0.6, 1.0):
            keep = rng.random(len(frame)) < share
            rows = frame[keep]
            assert pio.to_json(by_place(frame, keep=keep)) == pio.to_json(by_place(rows))
            assert chart_filename("by-place", frame, keep=keep) == \
                chart_filename("by-place", rows)
            assert views.latest_cards(frame, keep=keep) == views.latest_cards(rows)


def test_file_names_read_the_columns_as_the_charts_clean_them():
    big = big_frame(600)
    big.loc[big.index[:20], "value"] = NAN                 # kept: NaN "is not None" in _prepare
    cases = [big, big.drop(columns=["value"]), big.assign(value=None), big.head(0),
             big.astype({"location": object, "category": object})]
    for d in cases:
        expected = charts._prepare(d)[["category", "location", "country", "_date"]]
        got = charts._name_rows(d)[["category", "location", "country", "_date"]]
        assert got.to_dict("records") == expected.to_dict("records")
        assert len(got) == (0 if "value" not in d or d["value"].isna().all() else len(d))
    # a big frame: the dates of the name are the first and last full dates, never a partial one
    name = chart_filename("by-place", big_frame(2500))
    assert name.endswith("2017-09-to-2018-01") and name.startswith("all-categories-by-place-")


# --- PNG ----------------------------------------------------------------------------------------

def test_to_png_without_chromium_says_what_to_install(monkeypatch):
    monkeypatch.delenv("BROWSER_PATH", raising=False)
    monkeypatch.setattr(charts, "CHROMIUM_CANDIDATES", ("/nonexistent/chromium",))
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(RuntimeError, match="PNG export needs Chromium: apt-get install chromium"):
        to_png(go.Figure())
    monkeypatch.setenv("BROWSER_PATH", "/nonexistent/chrome")
    with pytest.raises(RuntimeError, match="apt-get install chromium"):
        to_png(go.Figure())


@pytest.mark.skipif(not os.path.exists("/usr/bin/chromium"), reason="needs /usr/bin/chromium")
def test_to_png(df):
    from PIL import Image

    png = to_png(by_place(df))
    assert png[:4] == b"\x89PNG"
    assert Image.open(io.BytesIO(png)).size == (1600, 900)
    png = to_png(timeline(df), width=800, height=450, scale=2)   # the browser is reused
    assert Image.open(io.BytesIO(png)).size == (1600, 900)
    png = to_png(sources_compare(df, "Raqqa", "trapped"), width=1200, height=675)
    assert Image.open(io.BytesIO(png)).size == (1200, 675)


# --- who is credited, and the figure's own date ------------------------------------------------

def test_hover_and_footnote_credit_the_speaker_beside_the_source(df):
    spoken = df.assign(speaker="", figure_date="", figure_date_text="")
    spoken.loc[spoken["figure_id"] == 1, ["speaker", "figure_date", "figure_date_text"]] = [
        "Stephane Dujarric", "2017-09-01", "since 1 September"]
    spoken.loc[spoken["figure_id"] == 3, "speaker"] = "UN spokesman Stephane Dujarric"
    spoken.loc[spoken["figure_id"] == 9, "speaker"] = "Lise Grande"      # no source: the speaker
    spoken.loc[spoken["figure_id"] == 12, ["figure_date", "reported_date"]] = ["--09-18",
                                                                               "--09-20"]
    fig = timeline(spoken)
    cd = {c[0]: c for t in fig.data for c in (t.customdata or ())}
    assert cd[1][4] == "UN (Stephane Dujarric)"
    assert cd[1][5] == "20 Sep 2017 · figure dated 1 Sep 2017 (&#34;since 1 September&#34;)"
    assert cd[3][4] == "UN (UN spokesman Stephane Dujarric)"
    assert cd[2][4] == "ICRC" and cd[2][5] == "25 Sep 2017"
    assert cd[9][4] == "Lise Grande"
    # the footnote lists the credits as the cards and hover show them
    note = footnote(sources_compare(spoken, "Raqqa", "trapped"))
    assert "Sources: ICRC, UN (Stephane Dujarric), UN (UN spokesman Stephane Dujarric)" in note
    # ... and one line per source still: the speaker does not split UN's line
    assert {t.name for t in sources_compare(spoken, "Raqqa", "trapped").data} == {"UN", "ICRC"}
    # a date without a year is never shown bare
    bars = by_place(spoken)
    cd = {c[0]: c for t in bars.data for c in (t.customdata or ())}
    assert cd[12][5] == "20 Sep (year not stated) · figure dated 18 Sep (year not stated)"
    assert "--09" not in json.dumps(bars.to_dict(), default=str)


def test_a_hostile_speaker_is_escaped_everywhere(df):
    bad = df.assign(speaker='<img src=x onerror=alert(1)> <a href="javascript:alert(1)">x</a>')
    for fig in (by_place(bad), timeline(bad), sources_compare(bad, "Raqqa", "trapped")):
        text = "\n".join(strings(fig.to_dict()))
        assert "<img" not in text and "<a " not in text
        assert "UN (&lt;img src=x onerror=alert(1)&gt;" in text


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_narrow_selection_draws_the_cards_and_chart_of_the_whole_rows(seed):
    """A big store's first page is computed from a narrow frame (the columns the filters read)
    and the few whole rows it picks (``Selection.digest``): the same cards, key figures, chart
    and file name as from every figure's frame, whatever the filter and however many rows."""
    from figures import views
    from figures.frames import NARROW_COLUMNS
    from figures.store import Filters
    rng = np.random.default_rng(seed)
    for n in (300, 2500, 6000):
        frame = big_frame(n, seed).assign(
            figure_id=rng.permutation(n) + 1,      # ids are unique in a store
            part_of=[10 if i % 9 == 4 else None for i in range(n)],
            review_status=rng.choice(["unreviewed", "accepted", "rejected"], n),
            copy_of_figure=[5.0 if i % 11 == 3 else None for i in range(n)])
        # in another order than the frame's (the store's), as the driver reads it
        narrow = frame[[c for c in NARROW_COLUMNS if c in frame]].sample(frac=1, random_state=n)
        asked = []

        def fetch(ids):
            asked.append(len(ids))
            return frame[frame["figure_id"].isin(ids)]
        pinned = set(int(i) for i in frame["figure_id"].sample(5, random_state=seed))
        for f in (Filters(), Filters(include_combatants=True), Filters(categories=("killed",)),
                  Filters(places=("Raqqa", "Mosul")), Filters(countries=("SYR",)),
                  Filters(statuses=(), copies=True), Filters(date_from="2017-09-21")):
            whole, thin = views.Selection(frame, f), views.Selection(narrow, f, fetch)
            assert len(thin) == len(whole)
            assert views.overview_cards(thin, pinned) == views.overview_cards(whole, pinned)
            (a, a_name), (b, b_name) = views.overview_by_place(thin), \
                views.overview_by_place(whole)
            assert pio.to_json(a) == pio.to_json(b) and a_name == b_name
            with pytest.raises(LookupError):
                thin.rows
        # the digest of a big selection is a few rows, not the selection
        assert n < 6000 or max(asked) < n / 4


def test_a_big_frame_remembers_the_codes_of_its_keys_and_draws_the_same(monkeypatch):
    """A frame the dashboard keeps (text in Arrow, as the store's frames are read) remembers the
    codes of its dates, places and categories between filter changes (``remember.remembered``):
    the same cards, charts and file names as computing them afresh, for the whole frame and a
    narrow one; a column replaced in place is coded again, and a frame let go is forgotten."""
    import gc

    from figures import remember, views
    from figures.frames import NARROW_COLUMNS
    from figures.store import Filters
    rng = np.random.default_rng(7)
    n = 8000        # a narrow selection of more than DIGEST_ALL_ROWS: its positions are chosen
    frame = big_frame(n, 7).assign(
        figure_id=rng.permutation(n) + 1,
        part_of=[10 if i % 9 == 4 else None for i in range(n)],
        review_status=rng.choice(["unreviewed", "accepted", "rejected"], n),
        copy_of_figure=[5.0 if i % 11 == 3 else None for i in range(n)])
    text = pd.StringDtype("pyarrow", na_value=np.nan)
    frame = frame.astype({c: text for c in frame.columns if frame[c].dtype == object})
    narrow = frame[[c for c in NARROW_COLUMNS if c in frame]].sample(frac=1, random_state=3)
    fetch = lambda ids: frame[frame["figure_id"].isin(ids)]  # noqa: E731
    filters = (Filters(), Filters(categories=("killed",)), Filters(places=("Raqqa", "Mosul")),
               Filters(include_combatants=True), Filters(date_from="2017-09-21"))

    def drawn() -> list:
        out = []
        for f in filters:
            for sel in (views.Selection(frame, f), views.Selection(narrow, f, fetch)):
                chart, name = views.overview_by_place(sel)
                out.append((views.overview_cards(sel, set()), pio.to_json(chart), name))
        return out

    monkeypatch.setattr(remember, "KEYS_MIN_ROWS", 10**9)
    afresh = drawn()
    monkeypatch.setattr(remember, "KEYS_MIN_ROWS", 1)
    assert drawn() == afresh

    def held(df) -> dict:
        return {name: id(entry) for name, entry in remember._KEYS[id(df)][1].items()}
    first = {"whole": held(frame), "narrow": held(narrow)}
    assert {"dates", "key groups", "categories"} <= set(first["narrow"])
    assert drawn() == afresh        # remembered: the same codes, not coded again
    assert {"whole": held(frame), "narrow": held(narrow)} == first
    # the newest reports made the oldest: other cards, another date span
    frame["reported_date"] = frame["reported_date"].replace("2018-01-02", "2016-01-02")
    monkeypatch.setattr(remember, "KEYS_MIN_ROWS", 10**9)
    changed = drawn()
    monkeypatch.setattr(remember, "KEYS_MIN_ROWS", 1)
    assert changed != afresh and drawn() == changed
    # coded ahead (the server, once it has read a frame in the background), then only read
    copy = frame.copy()
    frame = copy
    views.remember_keys(frame)
    ahead = held(frame)
    assert {"dates", "key groups", "categories"} <= set(ahead)
    assert drawn() == changed and {k: v for k, v in held(frame).items() if k in ahead} == ahead
    key = id(narrow)
    del narrow
    gc.collect()
    assert key not in remember._KEYS                # let go: forgotten
