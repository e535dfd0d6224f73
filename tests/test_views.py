"""What the dashboard computes, tested without Streamlit: filters, cards, links, highlights."""
import csv
import io

import pytest

from figures import views
from figures.export import to_text
from figures.formats import load_pasted
from figures.schema import EXPORT_FIELDS
from figures.store import Filters, Store

DOCS = [
    ("Up to 25,000 civilians are believed to be still trapped in Raqqa, the UN said.",
     "2017-09-20"),
    ("As many as 50,000 civilians remain trapped in Raqqa, the ICRC said.", "2017-09-25"),
    ("Floods have displaced 12,000 people in Sindh province, officials said.", "2022-08-30"),
    ("Air strikes killed 12 fighters in Idlib, the Syrian Observatory for Human Rights said.",
     "2017-09-21"),
    ("Shelling injured 40 people in Kharkiv, the regional governor said.", ""),
]


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    s = Store(tmp_path_factory.mktemp("views") / "f.db")
    for text, published in DOCS:
        s.add(load_pasted(text, title=text[:30], published=published,
                          url="https://example.org/" + str(len(text))))
    yield s
    s.close()


FILTERS = [
    Filters(),
    Filters(include_combatants=True),
    Filters(categories=("trapped",)),
    Filters(countries=("SYR",), include_combatants=True),
    Filters(places=("Raqqa",), sources=("ICRC",)),
    Filters(date_from="2017-09-21"),
    Filters(date_to="2017-09-21", include_combatants=True),
    Filters(search="FLOODS"),
    Filters(statuses=("rejected",)),
    Filters(statuses=()),
]


@pytest.mark.parametrize("f", FILTERS, ids=lambda f: views.describe_filters(f))
def test_in_memory_filters_select_what_sql_selects(store, f):
    expected = sorted(r["figure_id"] for r in store.figures(f))
    got = sorted(views.apply_filters(views.all_figures_frame(store), f)["figure_id"])
    assert got == expected


@pytest.mark.parametrize("f", FILTERS, ids=lambda f: views.describe_filters(f))
def test_a_selection_counts_at_once_and_copies_rows_only_when_read(store, f):
    df = views.all_figures_frame(store)
    sel = views.Selection(df, f)
    expected = views.apply_filters(df, f)
    assert len(sel) == len(expected) and sel.empty == expected.empty
    assert sel._rows is None                   # nothing copied for the count
    assert sel.rows.equals(expected) and sel.rows is sel.rows


def test_cards_take_the_most_recent_civilian_figure(store):
    cards = views.latest_cards(views.apply_filters(views.all_figures_frame(store), Filters()))
    trapped = cards["trapped"]
    assert trapped.number == "up to 50,000" and trapped.place == "Raqqa"
    assert trapped.source == "ICRC · 25 Sep 2017"
    assert cards["killed"] is None              # only fighters were killed: not a civilian card
    assert cards["injured"].source.endswith("date unknown")
    assert cards["displaced"].number == "12,000"


def test_card_rows_are_those_a_full_sort_picks():
    """The cards' rows, found by sorting three key columns, are the rows the straightforward
    way picks: civilians sorted by (full date?, date, figure_id), the last of each category,
    ties (same date and id) going to the later row; undated and partial dates lose to full ones."""
    import random

    import pandas as pd

    rnd = random.Random(3)
    rows = [{"figure_id": rnd.randint(1, 40), "combatant": rnd.choice([0, 0, 1]),
             "category": rnd.choice(["killed", "injured", "trapped", "other", None]),
             "reported_date": rnd.choice(["2017-09-20", "2017-09-25", "--09-30", "", None]),
             "location": rnd.choice(["Raqqa", ""]), "qualifier": "exact", "value": 5.0,
             "value_low": 5.0, "value_high": 5.0, "source": "UN", "document_outlet": "",
             "document_id": i, "document_title": "", "doc_id": f"d{i}",
             "document_url": ""} for i in range(300)]
    df = pd.DataFrame(rows, index=[f"r{i}" for i in range(300)])
    for frame in (df, df.iloc[::-1], df.iloc[:7], df[df["reported_date"].isna()]):
        civilians = frame[frame["combatant"] == 0]
        dates = civilians["reported_date"].fillna("")
        expected = (civilians.assign(_dated=~dates.str.startswith("--") & (dates != ""), _d=dates)
                    .sort_values(["_dated", "_d", "figure_id"], kind="stable")
                    .groupby("category", sort=False).tail(1))
        got = views.latest_card_rows(frame)
        assert list(got.index) == list(expected.index)
        assert got.equals(expected[frame.columns])
        cards = views.latest_cards(frame.fillna({"reported_date": ""}))   # as the store has it
        assert list(cards)[:5] == list(views.CATEGORIES)
        assert {c: (x.document_id if x else None) for c, x in cards.items()} == {
            **{c: None for c in views.CATEGORIES},
            **dict(zip(expected["category"], expected["document_id"]))}


def test_number_words_keep_the_qualifier():
    row = dict(qualifier="at_most", value=25000.0, value_low=None, value_high=25000.0)
    assert views.number_words(row) == "up to 25,000"
    row = dict(qualifier="vague", value=20000.0, value_low=20000.0, value_high=99999.0)
    assert views.number_words(row) == "20,000–99,999"
    row = dict(qualifier="at_least", value=320000.0, value_low=320000.0, value_high=None)
    assert views.number_words(row) == "at least 320,000"
    assert views.number_words(dict(qualifier="approx", value=150.0)) == "about 150"


@pytest.mark.parametrize("f", FILTERS[1:], ids=lambda f: views.describe_filters(f))
def test_filters_survive_a_round_trip_through_the_address_bar(f):
    params = views.filters_to_params(f)
    assert views.filters_from_params(params) == f


def test_default_filters_make_a_short_link_and_junk_is_dropped():
    assert views.filters_to_params(Filters()) == {}
    f = views.filters_from_params({"category": ["trapped", "eaten"], "from": "yesterday",
                                   "status": ["nonsense"], "combatants": "1"})
    assert f.categories == ("trapped",) and f.date_from == ""
    assert f.statuses == Filters().statuses and f.include_combatants


def test_segments_cover_the_text_once_in_order():
    text = "abcdefghij"
    segs = views.segments(text, [{"start": 2, "end": 4}, {"start": 3, "end": 6},
                                 {"start": 8, "end": 30}])
    assert "".join(text[s.start:s.end] for s in segs) == text
    assert [(s.start, s.end, s.figure is not None) for s in segs] == [
        (0, 2, False), (2, 4, True), (4, 6, True), (6, 8, False), (8, 10, True)]


def test_document_html_escapes_everything_and_marks_articles(store):
    text = ("<script>alert(1)</script> First story.\n\n"
            "<img src=x onerror=alert(2)> Floods displaced 3,000 people in Sindh.")
    fig = dict(figure_id=7, start=text.index("3,000"), end=text.index("3,000") + 5,
               category="displaced", qualifier="exact", value=3000.0, value_low=3000.0,
               value_high=3000.0, location="<b>Sindh</b>", source="", reported_date="")
    out = views.document_html(text, [fig], {"displaced": "#009E73"},
                              article_starts=[text.index("<img")])
    assert "<script>" not in out and "<img" not in out and "<b>Sindh" not in out
    assert "&lt;script&gt;" in out and "&lt;img src=x" in out
    assert "id='figure-7'" in out and "#009E73" in out
    assert "article 2" in out


def test_paragraph_around_finds_the_span():
    text = "One.\n\nTwo words here, then 40 killed.\n\nThree."
    para, a, b = views.paragraph_around(text, text.index("40"), text.index("40") + 2)
    assert para == "Two words here, then 40 killed." and para[a:b] == "40"


def test_downloads_hold_exactly_the_filtered_rows(store):
    f = Filters(countries=("SYR",))
    df = views.apply_filters(views.all_figures_frame(store), f)
    rows = list(csv.DictReader(io.StringIO(to_text(views.records(df), "csv"))))
    assert list(rows[0]) == list(EXPORT_FIELDS)
    assert sorted(int(r["figure_id"]) for r in rows) == sorted(df["figure_id"])
    assert {r["value_low"] for r in rows} <= {"", "25000", "50000"}   # no "nan" cells
    assert all(r["document_url"].startswith("https://example.org/") for r in rows)
    hxl = list(csv.reader(io.StringIO(to_text(views.records(df), "hxl"))))
    assert hxl[1][1].startswith("#affected+") and len(hxl) == 2 + len(df)
    assert views.download_name(f) == "figures-syr"
    assert views.download_name(Filters(categories=("trapped",), date_from="2017-01-01",
                                       date_to="2017-12-31")) == \
        "figures-trapped-2017-01-01-to-2017-12-31"


def test_a_view_is_computed_once_per_store_state_and_key(tmp_path, monkeypatch):
    monkeypatch.setenv("FIGURES_CACHE_DIR", str(tmp_path / "cache"))
    calls = []

    def cards(s):
        calls.append(1)
        return views.latest_cards(views.all_figures_frame(s))

    with Store(tmp_path / "f.db") as s:
        s.add(load_pasted(DOCS[0][0], title="t", published=DOCS[0][1]))
        v1 = s.data_version()
        first = views.cached_view(s, v1, "cards", lambda: cards(s))
        again = views.cached_view(s, v1, "cards", lambda: cards(s))    # from the file
        assert calls == [1] and again == first and first["trapped"].place == "Raqqa"
        other = views.cached_view(s, v1, "cards killed", lambda: cards(s))   # another key
        assert calls == [1, 1] and other == first
        assert len(list((tmp_path / "cache" / "views").glob("view-*.pickle"))) == 2
        # a new state: computed again, and the files of the old state are removed
        s.add(load_pasted(DOCS[1][0], title="u", published=DOCS[1][1]))
        newer = views.cached_view(s, s.data_version(), "cards", lambda: cards(s))
        assert len(calls) == 3 and newer["trapped"].source.startswith("ICRC")
        assert len(list((tmp_path / "cache" / "views").glob("view-*.pickle"))) == 1
        # a damaged file is recomputed
        (path,) = (tmp_path / "cache" / "views").glob("view-*.pickle")
        path.write_bytes(b"\x80garbage")
        assert views.cached_view(s, s.data_version(), "cards", lambda: cards(s)) == newer
        assert len(calls) == 4


@pytest.mark.parametrize("missing", [None, float("nan")])
def test_source_line_says_what_is_missing_instead_of_failing(missing):
    """A card's "source · date" line from a row whose text cells are missing (None, or NaN as a
    pandas frame holds them after a merge): the words for unknown, never an exception."""
    row = {"source": missing, "document_outlet": missing, "reported_date": missing}
    assert views.source_line(row) == "source not stated · date unknown"
    row = {"source": "UN", "document_outlet": "Reuters", "reported_date": "2017-09-20"}
    assert views.source_line(row) == "UN via Reuters · 20 Sep 2017"


# ---------------------------------------------------------------------------------------------
# Who is credited, and when: source and speaker in one line, dates without a year


@pytest.mark.parametrize("source, speaker, shown", [
    ("UNICEF", "Marixie Mercado", "UNICEF (Marixie Mercado)"),
    ("UNICEF", "", "UNICEF"),                                   # no person named
    ("UNICEF", None, "UNICEF"),
    ("", "Marixie Mercado", "Marixie Mercado"),                 # no body named
    (float("nan"), "Marixie Mercado", "Marixie Mercado"),
    ("", "", ""),
    (None, float("nan"), ""),
    # the speaker already in the source's words: never twice, whatever the case or spacing
    ("Dr Ahmed Hassan, director of the hospital", "Ahmed Hassan",
     "Dr Ahmed Hassan, director of the hospital"),
    ("UNICEF spokeswoman MARIXIE  Mercado", "Marixie Mercado",
     "UNICEF spokeswoman MARIXIE Mercado"),
    ("Marixie Mercado", "Marixie Mercado", "Marixie Mercado"),
    # ... but a name inside another word is not the speaker
    ("Alliance for Syria", "Ali", "Alliance for Syria (Ali)"),
    ("  the   provincial governor ", " Sayed  Ahmad ", "the provincial governor (Sayed Ahmad)"),
])
def test_credit_puts_source_and_speaker_in_one_line(source, speaker, shown):
    assert views.credit(source, speaker) == shown


def test_credits_of_a_column_are_each_rows_credit():
    import pandas as pd
    sources = pd.Series(["UN", "UN", None, "", float("nan"), "ICRC", "UN"] * 3)
    speakers = pd.Series(["Jens Laerke", None, "Ali", "", "Ali", float("nan"), ""] * 3)
    assert views.credits(sources, speakers) == [views.credit(a, b)
                                                for a, b in zip(sources, speakers)]
    assert views.credits(sources, None) == [views.credit(a) for a in sources]
    assert views.credits(sources.head(0), speakers.head(0)) == []


def test_source_line_credits_the_speaker_once_with_the_outlet():
    row = {"source": "UNICEF", "speaker": "Marixie Mercado", "document_outlet": "Reuters",
           "reported_date": "2017-09-20"}
    assert views.source_line(row) == "UNICEF (Marixie Mercado) via Reuters · 20 Sep 2017"
    row = {"source": "", "speaker": "Marixie Mercado", "document_outlet": "",
           "reported_date": "--07-30"}
    assert views.source_line(row) == "Marixie Mercado · 30 Jul (year not stated)"
    row = {"source": "Reuters", "speaker": "", "document_outlet": "Reuters",
           "reported_date": "2017-09-20"}
    assert views.source_line(row) == "Reuters · 20 Sep 2017"      # the outlet not said twice


@pytest.mark.parametrize("iso, shown", [
    ("2017-09-20", "20 Sep 2017"),
    ("--07-30", "30 Jul (year not stated)"),
    ("--03-01", "1 Mar (year not stated)"),
    ("", "date unknown"),
    (None, "date unknown"),
    (float("nan"), "date unknown"),
    ("--13-40", "date not stated"),             # never a bare "--.."
])
def test_format_date_never_shows_a_bare_partial_date(iso, shown):
    assert views.format_date(iso) == shown


def test_place_line_and_figure_dated():
    assert views.place_line({"location": "Raqqa", "location_level": "town",
                             "country": "SYR"}) == "Raqqa (town), SYR"
    assert views.place_line({"location": "northern Syria", "location_level": "country_part",
                             "country": "SYR"}) == "northern Syria (part of a country), SYR"
    assert views.place_line({"location": "Raqqa", "location_level": "",
                             "country": "SYR"}) == "Raqqa, SYR"
    assert views.place_line({"location": "", "location_level": "",
                             "country": ""}) == "place not stated"
    assert views.figure_dated({"figure_date": "2017-03-01",
                               "figure_date_text": "since 1 March"}) == \
        '1 Mar 2017 ("since 1 March")'
    assert views.figure_dated({"figure_date": "--03-01",
                               "figure_date_text": "since 1 March"}) == \
        '1 Mar (year not stated) ("since 1 March")'
    assert views.figure_dated({"figure_date": "", "figure_date_text": ""}) == ""
    assert views.figure_dated({}) == ""


UNICEF_ROW = {
    "figure_id": 3, "document_id": 1, "doc_id": "unicef", "category": "displaced",
    "value": 1500.0, "value_low": 1500.0, "value_high": 1500.0, "qualifier": "approx",
    "number_text": "Some 1,500", "who": "children", "combatant": 0, "term": "displaced",
    "location": "Raqqa", "location_level": "town", "country": "SYR", "source": "UNICEF",
    "speaker": "Marixie Mercado", "reported_date": "--09-20", "figure_date": "--03-01",
    "figure_date_text": "since 1 March", "quote": "Some 1,500 children ...", "start": 0,
    "end": 10, "page": None, "document_title": "Raqqa children", "document_url": "",
    "document_outlet": "AFP", "review_status": "unreviewed", "review_note": "",
    "extracted_value": 1500.0, "extracted_category": "displaced", "extracted_location": "Raqqa",
    "extracted_location_level": "town", "extracted_country": "SYR", "extracted_source": "UNICEF",
    "extracted_speaker": "Marixie Mercado",
}


def test_provenance_facts_show_every_field_in_words():
    facts = views.provenance_facts(UNICEF_ROW)
    assert facts["place"] == "Raqqa (town), SYR"
    assert (facts["source"], facts["speaker"]) == ("UNICEF", "Marixie Mercado")
    assert facts["reported"] == "20 Sep (year not stated)"
    assert facts["figure dated"] == '1 Mar (year not stated) ("since 1 March")'
    assert "as extracted" not in facts
    assert not any("--" in v for v in facts.values())
    corrected = {**UNICEF_ROW, "review_status": "corrected", "source": "OCHA", "speaker": "",
                 "location": "Syria", "location_level": "", "figure_date": "",
                 "figure_date_text": ""}
    facts = views.provenance_facts(corrected)
    assert (facts["source"], facts["speaker"], facts["place"]) == (
        "OCHA", "no person named", "Syria, SYR")
    assert "figure dated" not in facts
    assert facts["as extracted"] == \
        "1,500 · displaced · Raqqa (town), SYR · UNICEF (Marixie Mercado)"


def test_the_figures_table_shows_credits_and_dates_in_words():
    import pandas as pd
    rows = [UNICEF_ROW,
            {**UNICEF_ROW, "figure_id": 4, "source": "ICRC", "speaker": "",
             "reported_date": "2017-09-25", "figure_date": "", "figure_date_text": ""},
            {**UNICEF_ROW, "figure_id": 5, "source": None, "speaker": None,
             "reported_date": None, "figure_date": None, "figure_date_text": None}]
    table = views.table_frame(pd.DataFrame(rows))
    assert list(table.columns) == views.TABLE_COLUMNS
    assert list(table["source"]) == ["UNICEF (Marixie Mercado)", "ICRC", ""]
    assert list(table["reported_date"]) == ["20 Sep (year not stated)", "25 Sep 2017",
                                            "date unknown"]
    assert list(table["figure_date"]) == ["1 Mar (year not stated)", "", ""]
    assert list(table["qualifier"]) == ["about"] * 3
    assert views.table_frame(pd.DataFrame(rows).head(0)).empty
    # a frame from before speakers were stored still makes a table
    old = views.table_frame(pd.DataFrame(rows).drop(columns=["speaker", "figure_date"]))
    assert list(old["source"]) == ["UNICEF", "ICRC", ""] and set(old["figure_date"]) == {""}


def test_document_marks_credit_the_speaker_as_escaped_text():
    text = "Some 1,500 children have been displaced, a UNICEF spokeswoman said."
    fig = {**UNICEF_ROW, "speaker": "<img src=x onerror=alert(1)> Mercado",
           "end": len("Some 1,500")}
    out = views.document_html(text, [fig], {"displaced": "#009E73"})
    assert "UNICEF (&lt;img src=x onerror=alert(1)&gt; Mercado)" in out and "<img" not in out
    assert "20 Sep (year not stated)" in out


CAMP = ("At least 23 people, including 11 women and 5 children, were killed in a suicide attack on "
        "a camp outside Maiduguri, the emergency agency said.")


def _chart_ids(fig) -> set[int]:
    return {int(item[0]) for trace in fig.data for item in (trace.customdata or [])}


def test_a_total_with_its_parts_is_counted_once(tmp_path):
    from figures import charts
    with Store(tmp_path / "f.db") as s:
        s.add(load_pasted(CAMP, title="Camp attack", published="2023-06-18"))
        df = views.all_figures_frame(s)
        import pandas as pd     # parts: built in chunks through Arrow, the same frame
        pd.testing.assert_frame_equal(views.all_figures_table(s, chunk_rows=1).to_pandas(), df)
        (total,) = df[df["part_of"].isna()].to_dict("records")
        parts = df[df["part_of"].notna()].sort_values("start")
        assert list(parts["value"]) == [11, 5]
        assert set(parts["part_of_figure_id"]) == {total["figure_id"]}
        assert [p["figure_id"] for p in s.parts_of(total["figure_id"])] == list(parts["figure_id"])
        part_row, total_row = s.figure(int(parts.iloc[0]["figure_id"])), s.figure(total["figure_id"])
    # the card is the total, never a part written after it (a higher figure_id, the same date)
    assert views.latest_cards(df)["killed"].number == "at least 23"
    assert list(views.latest_card_rows(df)["figure_id"]) == [total["figure_id"]]
    # the charts draw the total alone: by place, over time, source against source
    for fig in (charts.by_place(df), charts.timeline(df),
                charts.sources_compare(df, total["location"], "killed")):
        assert _chart_ids(fig) == {total["figure_id"]}
    assert len(charts.standalone(df)) == 1 and int(charts.is_part(df).sum()) == 2
    # the table keeps the parts and says what they are part of
    table = views.table_frame(df).set_index("figure_id")
    assert table.loc[total["figure_id"], "part_of"] == ""
    assert set(table.loc[list(parts["figure_id"]), "part_of"]) == {
        f"part of at least 23 killed (ID {total['figure_id']})"}
    # a part's provenance names its total, a total's lists its parts
    facts = views.provenance_facts(part_row, total=total_row)
    assert facts["part of"].startswith(f"at least 23 killed (ID {total['figure_id']})")
    facts = views.provenance_facts(total_row, parts=[part_row])
    assert facts["parts"].startswith(f"11 women (ID {part_row['figure_id']})")
    assert "part of" not in facts


def test_a_part_whose_total_is_filtered_out_still_says_so():
    import pandas as pd
    rows = [{**UNICEF_ROW, "figure_id": 7, "part_of": 12.0, "part_of_figure_id": 6.0},
            {**UNICEF_ROW, "figure_id": 8, "part_of": None, "part_of_figure_id": None}]
    table = views.table_frame(pd.DataFrame(rows))
    assert list(table["part_of"]) == ["part of figure 6", ""]
    # a frame from before parts were stored has none
    old = views.table_frame(pd.DataFrame(rows).drop(columns=["part_of", "part_of_figure_id"]))
    assert list(old["part_of"]) == ["", ""]


def test_a_total_is_cut_around_its_parts_so_each_is_marked():
    text = "Six civilians, including four children, were killed."
    total = {"start": 0, "end": text.index(" were killed") + 12}
    part = {"start": text.index("four"), "end": text.index("four") + len("four children")}
    segs = views.segments(text, [total, part])
    assert "".join(text[s.start:s.end] for s in segs) == text
    assert [(text[s.start:s.end], s.figure is part, s.first) for s in segs] == [
        ("Six civilians, including ", False, True), ("four children", True, True),
        (", were killed", False, False), (".", False, True)]
    rows = [dict(figure_id=i, category="killed", qualifier="exact", value=v, value_low=v,
                 value_high=v, location="", source="", reported_date="", **span)
            for i, v, span in ((1, 6.0, total), (2, 4.0, part))]
    out = views.document_html(text, rows, {"killed": "#D55E00"})
    assert out.count("<mark id='figure-1'") == 1 and out.count("<mark id='figure-2'") == 1
    assert out.count("<mark ") == 3


@pytest.mark.parametrize("chunk_rows", [1, 2, 50_000])
def test_the_frame_built_in_chunks_through_arrow_is_the_pandas_frame(store, chunk_rows):
    # chunks of one row: a column NULL in one chunk and text or a number in another is promoted
    import pandas as pd
    expected = views.all_figures_frame(store)
    got = views.all_figures_table(store, chunk_rows=chunk_rows).to_pandas()
    pd.testing.assert_frame_equal(got, expected)


def test_the_frame_of_a_store_with_reviews_corrections_and_no_figures(tmp_path, monkeypatch):
    import pandas as pd
    monkeypatch.setenv("FIGURES_CACHE_DIR", str(tmp_path / "cache"))
    with Store(tmp_path / "f.db") as s:
        empty = views.load_all_figures(s)
        pd.testing.assert_frame_equal(empty, views.all_figures_frame(s), check_dtype=False,
                                      check_index_type=False)
        assert empty.empty
        for text, published in DOCS:
            s.add(load_pasted(text, title=text[:30], published=published))
        ids = sorted(views.all_figures_frame(s)["figure_id"])
        s.review(ids[0], "corrected", value=26000, location="Raqqa city", note="checked")
        s.review(ids[1], "rejected")
        s.review(ids[2], "accepted")
        for chunk_rows in (1, 3, 1000):
            pd.testing.assert_frame_equal(
                views.all_figures_table(s, chunk_rows=chunk_rows).to_pandas(),
                views.all_figures_frame(s))
        pd.testing.assert_frame_equal(views.load_all_figures(s), views.all_figures_frame(s))


def overview_outputs(rows, pinned=frozenset()):
    """Everything the Overview computes from its rows, in comparable form (figures as JSON: their
    NaN and arrays do not compare equal as dicts)."""
    from figures import charts, maps
    keys = views.key_figures(rows, pinned)
    civilians = rows[rows["combatant"] == 0]
    out = {"cards": views.latest_cards(rows, pinned), "keys": keys,
           "key_table": views.key_figures_table(keys).to_dict("records"),
           "by_place": charts.by_place(rows).to_json(),
           "timeline": charts.timeline(rows).to_json(),
           "map": maps.figure_map(civilians, keys).to_json()}
    for kind in ("by-place", "timeline"):
        out[kind] = charts.chart_filename(kind, rows)
    out["map-name"] = charts.chart_filename("map", civilians)
    places = rows["location"].replace("", None).dropna().value_counts().index.tolist()
    for place in places[:2]:
        for cat in sorted(set(rows.loc[rows["location"] == place, "category"])):
            sub = rows[(rows["location"] == place) & (rows["category"] == cat)]
            out[f"sources {place} {cat}"] = (charts.sources_compare(sub, place, cat).to_json(),
                                             charts.chart_filename("sources", sub))
    return out


def assert_overview_same_from_fewer_columns(df, filters, pinned=frozenset()):
    from figures import charts
    for f in filters:
        sel = views.Selection(df, f)
        slim = sel.overview
        assert not (set(slim.columns) & views.NOT_ON_OVERVIEW)
        assert list(slim["figure_id"]) == list(sel.rows["figure_id"])
        if sel.empty:
            continue
        assert overview_outputs(slim, pinned) == overview_outputs(sel.rows, pinned), f
        # the cards and the chart by place read from the frame where the rows lie, uncopied
        assert views.latest_cards(df, pinned, keep=sel.keep) == \
            views.latest_cards(sel.rows, pinned), f
        assert charts.by_place(df, keep=sel.keep).to_json() == \
            charts.by_place(sel.rows).to_json(), f
        assert charts.chart_filename("by-place", df, keep=sel.keep) == \
            charts.chart_filename("by-place", sel.rows), f


@pytest.mark.parametrize("f", FILTERS, ids=lambda f: views.describe_filters(f))
def test_the_overview_reads_the_same_from_the_columns_it_keeps(store, f):
    assert_overview_same_from_fewer_columns(views.all_figures_frame(store), [f])


def test_the_overview_reads_the_same_with_parts_reviews_and_pins(tmp_path):
    with Store(tmp_path / "f.db") as s:
        s.add(load_pasted(CAMP, title="Camp attack", published="2023-06-18"))
        for text, published in DOCS:
            s.add(load_pasted(text, title=text[:30], published=published))
        ids = sorted(views.all_figures_frame(s)["figure_id"])
        s.review(ids[0], "accepted")
        s.pin(ids[0])
        s.review(ids[-1], "corrected", value=41, location="Kharkiv oblast")
        s.review(ids[-2], "rejected")
        assert_overview_same_from_fewer_columns(
            views.all_figures_frame(s), FILTERS + [Filters(copies=True)], s.pinned_ids())


def test_the_charts_map_and_key_figures_never_name_a_column_the_overview_leaves_out():
    # a chart that starts reading one of these must take it off views.NOT_ON_OVERVIEW
    from pathlib import Path

    import figures
    here = Path(figures.__file__).parent
    for module in ("charts.py", "maps.py", "keyfigures.py"):
        text = (here / module).read_text()
        named = [c for c in views.NOT_ON_OVERVIEW if f'"{c}"' in text or f"'{c}'" in text]
        assert not named, (module, named)
