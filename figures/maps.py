"""The map of the filtered figures: pure functions, no Streamlit.

``figure_map(df)`` draws one bubble per place and category: the key figure of
``keyfigures.reconcile`` (the latest estimate, its sources reconciled), at the figure's stored map
point (``lat``, ``lon``; ``places.point`` for rows stored before the schema had them or whose place
a reviewer corrected). A bubble's area is proportional to the value and it has its category's
colour; an "up to" figure is an open bubble (the number may be lower), an "at least" figure is
labelled as written ("more than 100,000"). A national figure (``location_level == "country"``) also
shades its country. Hover and click work as on the other charts: ``customdata`` starts with the
key figure's ``figure_id`` (``charts.CUSTOMDATA_FIELDS``, then the reconciled line).

Offline: the base map is the Natural Earth topojson under ``static/topojson`` (see its README):
the dashboard serves it (``topojson_url``), kaleido reads it from disk (``TOPOJSON_DIR``).
``unmapped(df)`` counts the figures that have no point on the map.
"""
from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go

from . import charts
from .charts import TOPOJSON_DIR, _colour, _esc, topojson_file_url  # noqa: F401 - re-exported
#: The base map's resolution: plotly.js then asks for ``world_50m.json`` (``<scope>_<res>m.json``).
RESOLUTION = 50
SCOPE = "world"
MAX_BUBBLE_PX = 56           # diameter of the largest bubble
MIN_BUBBLE_PX = 6
NATIONAL = "country"

_LAND, _BORDER, _WATER = "#F3F3F1", "#9A9A9A", "#FFFFFF"

# the other charts' hover, with the place's key figure under its first line
HOVERTEMPLATE = charts.HOVERTEMPLATE.replace("<br>as written", "<br>key figure: %{customdata[10]}"
                                                               "<br>as written", 1)
assert "customdata[10]" in HOVERTEMPLATE


def topojson_url(base_url_path: str = "") -> str:
    """Where the dashboard serves the base maps (Streamlit static serving of ./static at
    ``/app/static/``), under the server's ``baseUrlPath`` when it has one."""
    base = "/" + base_url_path.strip("/") if base_url_path and base_url_path.strip("/") else ""
    return f"{base}/app/static/topojson/"


def map_config(filename: str, base_url_path: str = "") -> dict:
    """``charts.chart_config`` plus the local base maps (``topojsonURL``): no CDN request."""
    return {**charts.chart_config(filename), "topojsonURL": topojson_url(base_url_path)}


def _num(x) -> float | None:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def points(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with ``_lat``, ``_lon``: each figure's stored point, else the one its place has in
    the bundled gazetteer (NaN when none). Points already in ``_lat``, ``_lon`` are kept."""
    d = df.copy()
    if "_lat" not in d.columns or "_lon" not in d.columns:
        for col in ("lat", "lon"):
            stored = d[col] if col in d.columns else pd.Series(None, index=d.index, dtype=float)
            d[f"_{col}"] = pd.to_numeric(stored, errors="coerce")
    missing = (d["_lat"].isna() | d["_lon"].isna()).to_numpy()
    if missing.any():
        from .places import point
        sub = d.loc[missing]
        level = sub["location_level"] if "location_level" in sub.columns else pd.Series(
            "", index=sub.index)
        keys = list(zip(sub["location"].fillna("").astype(str), sub["country"].fillna("")
                        .astype(str), level.fillna("").astype(str)))
        found = {k: point(*k) for k in set(keys)}
        d.loc[missing, "_lat"] = [found[k][0] if found[k] else math.nan for k in keys]
        d.loc[missing, "_lon"] = [found[k][1] if found[k] else math.nan for k in keys]
    return d


def _counted(df: pd.DataFrame | None) -> pd.DataFrame:
    """The figures the map counts: no part of a breakdown (its total counts it), no rejected one."""
    if df is None or df.empty:
        return pd.DataFrame()
    d = charts.standalone(df)
    if "review_status" in d.columns:
        d = d[d["review_status"] != "rejected"]
    return d


def unmapped(df: pd.DataFrame | None) -> int:
    """How many of the figures the map counts have no point on it."""
    d = _counted(df)
    if d.empty:
        return 0
    d = points(d)
    return int((d["_lat"].isna() | d["_lon"].isna()).sum())


def unmapped_note(n: int) -> str:
    """ "12 figures have no place on the map" ("" for none)."""
    if n <= 0:
        return ""
    return f"{n:,} figure{'s' if n != 1 else ''} {'have' if n != 1 else 'has'} no place on the map"


def bubbles(df: pd.DataFrame | None, keys: list | None = None) -> pd.DataFrame:
    """One row per place and category that has a point: the key figure's row of ``df`` with its
    point (``_lat``, ``_lon``), the reconciled line (``_key_label``) and the bubble's diameter in
    pixels at the map's scale (``_size``, area proportional to the value). ``keys``: the key
    figures of ``df`` when the caller has them (``keyfigures.reconcile(df)`` otherwise)."""
    from .keyfigures import reconcile
    d = _counted(df)
    if d.empty:
        return pd.DataFrame()
    if keys is None:
        keys = reconcile(d)
    if not keys:
        return pd.DataFrame()
    label = {k.figure_id: k.label for k in keys}
    rows = d[d["figure_id"].isin(list(label))]
    rows = points(rows)
    rows = rows[rows["_lat"].notna() & rows["_lon"].notna()].copy()
    rows = rows[[_num(v) is not None and _num(v) > 0 for v in rows["value"]]]
    if rows.empty:
        return rows
    rows["_key_label"] = [label[int(i)] for i in rows["figure_id"]]
    top = float(rows["value"].astype(float).max())
    rows["_size"] = [max(MIN_BUBBLE_PX, MAX_BUBBLE_PX * math.sqrt(float(v) / top))
                     for v in rows["value"]]
    return rows


def _bounds(b: pd.DataFrame) -> dict:
    """A view around the bubbles (the whole world for none), with a margin."""
    if b.empty:
        return {}
    lat0, lat1 = float(b["_lat"].min()), float(b["_lat"].max())
    lon0, lon1 = float(b["_lon"].min()), float(b["_lon"].max())
    pad_lat = max(4.0, (lat1 - lat0) * 0.25)
    pad_lon = max(6.0, (lon1 - lon0) * 0.25)
    # a view wider than tall, as the chart is: widen the longitudes to 2.6 times the latitudes
    lat_span, lon_span = lat1 - lat0 + 2 * pad_lat, lon1 - lon0 + 2 * pad_lon
    if lon_span < 2.6 * lat_span:
        pad_lon += (2.6 * lat_span - lon_span) / 2
    return dict(lataxis=dict(range=[max(-85, lat0 - pad_lat), min(85, lat1 + pad_lat)]),
                lonaxis=dict(range=[max(-180, lon0 - pad_lon), min(180, lon1 + pad_lon)]))


def figure_map(df: pd.DataFrame | None, keys: list | None = None) -> go.Figure:
    """The map of ``df`` (the store's ``figure_rows`` frame, filtered). ``keys``: its key figures
    (``keyfigures.reconcile``) when the caller has them already, else reconciled here."""
    what = "Figures on the map"
    counted = _counted(df)
    if not counted.empty:
        counted = points(counted)       # once: the count and the bubbles read the same points
    b = bubbles(counted, keys)
    n_unmapped = unmapped(counted)
    if b.empty:
        fig = charts._empty(what, "No figure of these filters has a place on the map"
                            if len(counted) else charts.NO_DATA_MESSAGE)
        fig.update_layout(meta={"chart": "map", "unmapped": n_unmapped, "bubbles": 0})
        return fig
    prepared = charts._prepare(b)
    prepared["_key_label"] = list(b["_key_label"])
    prepared["_lat"], prepared["_lon"], prepared["_size"] = (
        list(b["_lat"]), list(b["_lon"]), list(b["_size"]))
    prepared["location_level"] = list(b["location_level"]) if "location_level" in b.columns \
        else [""] * len(b)
    custom = charts._customdata(prepared)
    for row, kl in zip(custom, prepared["_key_label"]):
        row.append(_esc(kl, 120))
    prepared["_custom"] = custom

    cats = charts._category_sort(prepared["category"])
    traces: list[dict] = []
    # countries shaded by their national figures, under the bubbles: the tint of the category's
    # colour, deeper for a bigger figure (log scale across the map's national figures)
    national = prepared[(prepared["location_level"] == NATIONAL) & (prepared["country"] != "")]
    for cat in cats:
        g = national[national["category"] == cat]
        if g.empty:
            continue
        traces.append(dict(
            type="choropleth", locations=list(g["country"]), locationmode="ISO-3",
            z=[math.log10(max(float(v), 1.0)) for v in g["value"]],
            zmin=0, zmax=max(1.0, max(math.log10(max(float(v), 1.0)) for v in prepared["value"])),
            colorscale=[[0, "#FFFFFF"], [1, _colour(cat)]], showscale=False,
            marker=dict(line=dict(color=_BORDER, width=0.6), opacity=0.35),
            customdata=list(g["_custom"]), hovertemplate=HOVERTEMPLATE,
            name=_esc(cat.capitalize()), legendgroup=cat, showlegend=False,
            meta={"chart": "map", "category": cat, "role": "national"},
        ))
    for cat in cats:
        traces.append(dict(
            type="scattergeo", lat=[None], lon=[None], mode="markers",
            name=_esc(cat.capitalize()), legendgroup=cat, showlegend=True, hoverinfo="skip",
            marker=dict(size=13, color=_colour(cat), symbol="circle"),
            meta={"chart": "map", "category": cat, "role": "legend"}))
    # biggest first (within a category, and the category of the biggest bubbles first), so a
    # small bubble is drawn over a big one and stays clickable
    prepared = prepared.sort_values("value", ascending=False, kind="stable")
    biggest = prepared.groupby("category")["value"].max()
    for cat in sorted(cats, key=lambda c: -float(biggest.get(c, 0))):
        g = prepared[prepared["category"] == cat]
        if g.empty:
            continue
        open_ = [q == "at_most" for q in g["qualifier"]]
        traces.append(dict(
            type="scattergeo", lat=list(g["_lat"]), lon=list(g["_lon"]),
            mode="markers+text",
            text=[_esc(t, 60) if q == "at_least" else "" for t, q in
                  zip(g["number_text"], g["qualifier"])],
            textposition="top center", textfont=dict(size=12, color=charts._INK),
            marker=dict(size=list(g["_size"]), sizemode="diameter", color=_colour(cat),
                        opacity=0.75,
                        symbol=["circle-open" if o else "circle" for o in open_],
                        line=dict(width=[2.5 if o else 0.8 for o in open_], color=[
                            _colour(cat) if o else "#FFFFFF" for o in open_])),
            customdata=list(g["_custom"]), hovertemplate=HOVERTEMPLATE,
            name=_esc(cat.capitalize()), legendgroup=cat, showlegend=False,
            meta={"chart": "map", "category": cat, "role": "bubbles",
                  "places": [str(p) for p in g["_place"]]},
        ))

    notes = ["One bubble per place and category: its key figure (latest estimate, sources "
             "reconciled); area proportional to the value"]
    key = []
    quals = set(prepared["qualifier"])
    if "at_most" in quals:
        key.append("open bubble: up to (could be lower)")
    if "at_least" in quals:
        key.append("labelled: at least (could be higher)")
    if len(national):
        key.append("shaded country: a national figure")
    if key:
        notes.append("Key: " + " · ".join(key))
    if n_unmapped:
        notes.append(unmapped_note(n_unmapped) + " (a part of a country, a list of places or "
                     "a place the gazetteer does not know)")
    notes.append("Base map: Natural Earth")
    title = charts._title(f"{charts._what(prepared)}, on the map", prepared)
    layout = charts._layout_props(title, notes, prepared, height=720)
    layout["annotations"][0]["yshift"] = -8
    layout["margin"].update(r=20, b=40 + 17 * len(layout["annotations"][0]["text"].split("<br>")))
    layout.update(
        geo=dict(scope=SCOPE, resolution=RESOLUTION, projection=dict(type="natural earth"),
                 showcountries=True, countrycolor=_BORDER, countrywidth=0.6,
                 showland=True, landcolor=_LAND, showocean=True, oceancolor=_WATER,
                 showlakes=False, showcoastlines=True, coastlinecolor=_BORDER,
                 showframe=False, bgcolor="rgba(0,0,0,0)", **_bounds(prepared)),
        meta={"chart": "map", "unmapped": n_unmapped, "bubbles": len(prepared)},
    )
    fig = go.Figure(data=traces, layout=layout)
    fig.update_layout(legend_title=None)
    return fig
