"""Charts of stored figures, for the dashboard and for briefings: pure functions, no Streamlit.

Every chart takes the DataFrame of the store's ``figure_rows`` view (one row per figure) and returns
a ``plotly.graph_objects.Figure`` whose layout already carries what a briefing needs when the image
is pasted somewhere else: a title that says what, where and when, and a footnote naming the sources.

- ``by_place(df)``: the latest figure per place and category, as bars labelled as reported.
- ``timeline(df)``: figures over the reported date, one colour per category.
- ``sources_compare(df, place, category)``: one place and category, every source side by side.
- ``chart_filename(kind, df)`` / ``chart_config(filename)``: the download name and Plotly config.
- ``to_png(fig)``: a PNG rendered server-side by kaleido in the system Chromium (never downloaded).

Safety: quotes, titles, places, sources and numbers-as-written come from web pages. Plotly renders a
subset of HTML (``<a href>``, ``<b>``, ``<br>``, ``<span style>``) in titles, labels, tick labels,
legend names and hover text, so every such string goes through ``_esc`` before it enters a figure.
``value_label`` returns plain text (not escaped) for callers that display it with their own escaping.

Every mark carries ``customdata`` whose first element is the ``figure_id`` (int), so a selection in
``st.plotly_chart(on_select="rerun")`` leads back to the figure; the remaining elements are the
escaped strings the hover template shows (see ``CUSTOMDATA_FIELDS``).
"""
from __future__ import annotations

import asyncio
import atexit
import functools
import html
import math
import os
import re
import shutil
import threading
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from .remember import remembered
from .schema import CATEGORIES

# ---------------------------------------------------------------------------------------------
# Colours, words, labels

#: One colour per category, from the Okabe–Ito palette (distinguishable with colour-blindness).
#: Every chart and the document highlights use these.
CATEGORY_COLOURS: dict[str, str] = {
    "killed": "#D55E00",     # vermillion
    "injured": "#E69F00",    # orange
    "missing": "#CC79A7",    # reddish purple
    "trapped": "#0072B2",    # blue
    "displaced": "#009E73",  # bluish green
}
_OTHER_COLOUR = "#7F7F7F"

#: How each qualifier reads in a label ("" for an exact number).
QUALIFIER_WORDS: dict[str, str] = {
    "exact": "",
    "at_least": "at least",
    "at_most": "up to",
    "approx": "about",
    "range": "between",
    "vague": "roughly",
}

#: Marker symbol per qualifier on the timeline (and its key in the footnote).
QUALIFIER_SYMBOLS: dict[str, str] = {
    "exact": "circle",
    "approx": "diamond",
    "at_least": "triangle-up",
    "at_most": "triangle-down",
    "range": "square",
    "vague": "square",
}
_SYMBOL_KEY = {
    "exact": "● exact", "approx": "◆ about", "at_least": "▲ at least (could be higher)",
    "at_most": "▼ up to (could be lower)", "range": "■ range (whiskers)",
    "vague": "■ vague, e.g. “thousands” (whiskers)",
}

#: What each customdata position holds (all strings HTML-escaped, except the figure id).
CUSTOMDATA_FIELDS = ("figure_id", "number_text", "category", "place", "source", "date",
                     "document_title", "quote", "label", "review")

NO_DATA_MESSAGE = "No figures match the filters"
PLACE_NOT_STATED = "(place not stated)"
SOURCE_NOT_STATED = "(source not stated)"
CREDIT = "extracted by Humanitarian Figures"
QUOTE_CHARS = 120

_FONT = "Liberation Sans, Arial, Helvetica, sans-serif"
_INK = "#222222"
_MUTED = "#555555"
_EN_DASH = "\u2013"
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_FULL_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_PARTIAL_DATE = re.compile(r"^--(\d{2})-(\d{2})$")


def _qualifier_phrases() -> dict[str, tuple[str, ...]]:
    """The qualifier phrases of the extractor's lexicon, longest first, per qualifier."""
    try:
        from .lexicon import load

        table = load("numbers").get("qualifiers", {})
    except Exception:  # noqa: BLE001 - labels still work with QUALIFIER_WORDS alone
        table = {}
    return {q: tuple(sorted((" ".join(p.lower().split()) for p in table.get(q, ())),
                            key=len, reverse=True))
            for q in ("at_least", "at_most", "approx")}


_PHRASES = _qualifier_phrases()


def _get(row: Any, key: str, default: Any = None) -> Any:
    if isinstance(row, Mapping) or hasattr(row, "get"):
        return row.get(key, default)
    return getattr(row, key, default)


def _num(x: Any) -> float | None:
    """A finite float, or None for None/NaN/empty/garbage."""
    if x is None or x is pd.NA:
        return None
    try:
        f = float(x)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def _text(x: Any) -> str:
    """A clean one-line string ('' for None/NaN)."""
    if x is None or x is pd.NA or (isinstance(x, float) and math.isnan(x)):
        return ""
    return " ".join(str(x).split())


def format_number(x: Any) -> str:
    """25000.0 -> "25,000"; 1.5 -> "1.5"; None -> "?"."""
    f = _num(x)
    if f is None:
        return "?"
    if f.is_integer():
        return f"{int(f):,}"
    return f"{f:,.2f}".rstrip("0").rstrip(".")


def _as_written_qualifier(qualifier: str, number_text: str) -> str:
    """The qualifier phrase the text used ("more than", "nearly"), else QUALIFIER_WORDS."""
    low = number_text.lower()
    for phrase in _PHRASES.get(qualifier, ()):
        if low.startswith(phrase + " "):
            words = phrase.split()
            # "over a million", "about some 300": keep the qualifying words only
            while len(words) > 1 and words[-1] in ("a", "an", "some"):
                words.pop()
            return " ".join(words)
    return QUALIFIER_WORDS.get(qualifier, "")


def value_label(row: Any) -> str:
    """The figure in words for labels and cards, as plain (unescaped) text.

    The number is always the stored value with thousands separators, so a reviewer's correction
    shows; the qualifier is the phrase the text used when it is one of the extractor's qualifiers
    ("more than 320,000", "nearly 150", "up to 25,000"), else ``QUALIFIER_WORDS``. A range reads
    "3,000–5,000"; a vague amount reads as written ("tens of thousands") with its span in the
    whiskers, or "20,000–99,999" when the words are not available. Households are said so.
    """
    q = _text(_get(row, "qualifier")) or "exact"
    value, low, high = (_num(_get(row, k)) for k in ("value", "value_low", "value_high"))
    written = _text(_get(row, "number_text"))
    extracted = _num(_get(row, "extracted_value"))
    if extracted is not None and value is not None and extracted != value:
        written = ""  # corrected by a reviewer: the words as written no longer describe it
    if q == "vague":
        if written and len(written) <= 32 and not any(ch.isdigit() for ch in written):
            label = written.lower()
        elif low is not None and high is not None and high > low:
            label = f"{format_number(low)}{_EN_DASH}{format_number(high)}"
        else:
            label = f"{QUALIFIER_WORDS['vague']} {format_number(value)}"
    elif q == "range":
        if low is not None and high is not None and high > low:
            label = f"{format_number(low)}{_EN_DASH}{format_number(high)}"
        else:
            label = format_number(value)
    elif q in ("at_least", "at_most", "approx"):
        number = {"at_least": low, "at_most": high}.get(q)
        number = value if value is not None else number
        word = _as_written_qualifier(q, written)
        label = f"{word} {format_number(number)}".strip()
    else:
        label = format_number(value)
    if _text(_get(row, "unit")) == "households":
        label += " households"
    return label


# ---------------------------------------------------------------------------------------------
# Escaping and small helpers

def _esc(value: Any, limit: int | None = None) -> str:
    """Untrusted text made inert for Plotly's HTML subset, optionally shortened first.

    ``html.escape`` neutralises tags; the quote entities are then rewritten as numeric entities,
    which plotly.js decodes (it does not know ``&quot;``), and ``$`` is encoded so a string cannot
    be read as LaTeX where MathJax is loaded.
    """
    s = _text(value)
    if limit and len(s) > limit:
        s = s[: limit - 1].rstrip() + "…"
    s = html.escape(s, quote=True)
    return s.replace("&quot;", "&#34;").replace("&#x27;", "&#39;").replace("$", "&#36;")


def _wrap(escaped: str, width: int = 60) -> str:
    """Break an escaped string into lines of about ``width`` characters with <br>."""
    lines, line = [], ""
    for word in escaped.split(" "):
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    if line:
        lines.append(line)
    return "<br>".join(lines)


def _wrap_note(text: str, width: int) -> list[str]:
    """Footnote lines of at most ``width`` characters, broken at ' · ' first, then at spaces."""
    lines: list[str] = []
    for seg in text.split(" · "):
        if lines and len(lines[-1]) + 3 + len(seg) <= width:
            lines[-1] += " · " + seg
        else:
            lines.extend(_wrap(seg, width).split("<br>"))
    return lines


def _full_date(s: str) -> date | None:
    if not _FULL_DATE.match(s):
        return None
    try:
        return date.fromisoformat(s)
    except ValueError:
        return None


def format_date(s: Any) -> str:
    """'2017-09-20' -> '20 Sep 2017'; '--09-20' -> '20 Sep (year not stated)'; '' -> 'date not stated'."""
    s = _text(s)
    d = _full_date(s)
    if d:
        return f"{d.day} {_MONTHS[d.month - 1]} {d.year}"
    m = _PARTIAL_DATE.match(s)
    if m and 1 <= int(m[1]) <= 12:
        return f"{int(m[2])} {_MONTHS[int(m[1]) - 1]} (year not stated)"
    return "date not stated"


def _date_span(dates: Iterable[date]) -> str:
    ds = sorted(set(dates))
    if not ds:
        return ""
    a, b = ds[0], ds[-1]
    if a == b:
        return f"{a.day} {_MONTHS[a.month - 1]} {a.year}"
    if a.year != b.year:
        return (f"{a.day} {_MONTHS[a.month - 1]} {a.year} {_EN_DASH} "
                f"{b.day} {_MONTHS[b.month - 1]} {b.year}")
    if a.month != b.month:
        return f"{a.day} {_MONTHS[a.month - 1]} {_EN_DASH} {b.day} {_MONTHS[b.month - 1]} {b.year}"
    return f"{a.day}{_EN_DASH}{b.day} {_MONTHS[b.month - 1]} {b.year}"


_COUNTRY_OVERRIDES = {
    "COD": "DR Congo", "COG": "Republic of the Congo", "RUS": "Russia", "PSE": "Palestine",
    "SYR": "Syria", "IRN": "Iran", "FSM": "Micronesia", "VAT": "Vatican City",
}


@functools.lru_cache(maxsize=1024)
def _country_name(code: str) -> str:
    if code in _COUNTRY_OVERRIDES:
        return _COUNTRY_OVERRIDES[code]
    try:
        import pycountry  # noqa: PLC0415

        c = pycountry.countries.get(alpha_3=code)
    except Exception:  # noqa: BLE001 - a name is nice to have, the code will do
        c = None
    if c is None:
        return code
    name = getattr(c, "common_name", None) or c.name
    return name.split(",")[0].strip()


def country_name(iso3: Any) -> str:
    """A short English name for an ISO3 code ("SYR" -> "Syria"); the code itself if unknown."""
    code = _text(iso3).upper()
    return _country_name(code) if code else ""


def _top_names(counts: Counter, limit: int = 3, more: str = "and {n} more") -> str:
    names = [n for n, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]
    shown = names[:limit]
    rest = len(names) - len(shown)
    text = ", ".join(shown)
    return f"{text} {more.format(n=rest)}" if rest > 0 else text


# ---------------------------------------------------------------------------------------------
# The data, normalised

_TEXT_COLUMNS = ("category", "qualifier", "number_text", "unit", "location", "country", "source",
                 "speaker", "reported_date", "figure_date", "figure_date_text", "quote",
                 "document_title", "review_status")


_NUMBER_COLUMNS = ("value", "value_low", "value_high", "extracted_value")
#: What value_label reads.
_LABEL_COLUMNS = ["qualifier", "value", "value_low", "value_high", "number_text",
                  "extracted_value", "unit"]


def _prepare(df: pd.DataFrame | None) -> pd.DataFrame:
    """A copy of the columns the charts read, cleaned, plus helper columns prefixed with '_'."""
    if df is None:
        df = pd.DataFrame()
    d = df[[c for c in ("figure_id", "document_id", *_TEXT_COLUMNS, *_NUMBER_COLUMNS, "combatant")
            if c in df.columns]]
    if "figure_id" not in d.columns:
        d["figure_id"] = range(len(d))
    for col in _TEXT_COLUMNS:
        d[col] = [_text(v) for v in d[col]] if col in d.columns else [""] * len(d)
    for col in _NUMBER_COLUMNS:
        d[col] = [_num(v) for v in d[col]] if col in d.columns else [None] * len(d)
    d["combatant"] = ([bool(_num(v)) for v in d["combatant"]] if "combatant" in d.columns
                      else [False] * len(d))
    d = d.loc[pd.Series([v is not None for v in d["value"]], index=d.index, dtype=bool)]
    d = d.astype({"figure_id": "int64"}) if len(d) else d
    d["category"] = [c.lower() for c in d["category"]]
    d["qualifier"] = [q or "exact" for q in d["qualifier"]]
    d["_date"] = [_full_date(s) for s in d["reported_date"]]
    d["_date_rank"] = [2 if dt else (1 if _PARTIAL_DATE.match(s) else 0)
                       for dt, s in zip(d["_date"], d["reported_date"])]
    d["_place"] = [loc if loc else (f"{country_name(c)} {PLACE_NOT_STATED}" if c
                                    else PLACE_NOT_STATED)
                   for loc, c in zip(d["location"], d["country"])]
    d["_end"] = [max(v, h) if h is not None else v for v, h in zip(d["value"], d["value_high"])]
    d["_label"] = [value_label(r) for r in d[_LABEL_COLUMNS].to_dict("records")]
    # who is credited, in one line ("UNICEF (Marixie Mercado)"), as every page shows it; imported
    # here because views imports this module
    from .views import credits
    d["_credit"] = credits(d["source"], d["speaker"]) if len(d) else []
    return d


def _customdata(d: pd.DataFrame) -> list[list]:
    """One row per figure: [figure_id, then escaped strings in CUSTOMDATA_FIELDS order]. The
    date reads '20 Sep 2017 · figure dated 1 Mar 2017 ("since 1 March")' when the text dates the
    figure otherwise than the article."""
    from .views import figure_dated      # here: views imports this module
    rows = []
    for r in d.to_dict("records"):
        status = r.get("review_status") or ""
        own = figure_dated(r)
        when = format_date(r["reported_date"]) + (f" · figure dated {own}" if own else "")
        rows.append([
            int(r["figure_id"]),
            _esc(r["number_text"] or r["_label"], 80),
            _esc(r["category"]),
            _esc(r["_place"], 80),
            _esc(r["_credit"] or SOURCE_NOT_STATED, 80),
            _esc(when, 120),
            _esc(r["document_title"] or "(untitled document)", 100),
            _wrap(_esc(r["quote"], QUOTE_CHARS)),
            _esc(r["_label"]),
            "" if status in ("", "unreviewed") else _esc(f"review: {status}"),
        ])
    return rows


HOVERTEMPLATE = (
    "<b>%{customdata[8]}</b> %{customdata[2]} · %{customdata[3]}<br>"
    "as written: “%{customdata[1]}”<br>"
    "source: %{customdata[4]} · %{customdata[5]}<br>"
    "document: %{customdata[6]}<br>"
    "<i>%{customdata[7]}</i><br>"
    "%{customdata[9]}"
    "<extra></extra>"
)


def _whiskers(d: pd.DataFrame) -> tuple[list, list, bool]:
    """Error-bar arrays (above, below the value) for range and vague figures; NaN elsewhere."""
    plus, minus, any_bar = [], [], False
    for q, v, lo, hi in zip(d["qualifier"], d["value"], d["value_low"], d["value_high"]):
        if q in ("range", "vague") and lo is not None and hi is not None and hi > lo:
            plus.append(max(hi - v, 0.0))
            minus.append(max(v - lo, 0.0))
            any_bar = True
        else:
            plus.append(float("nan"))
            minus.append(float("nan"))
    return plus, minus, any_bar


def _category_sort(cats: Iterable[str]) -> list[str]:
    order = {c: i for i, c in enumerate(CATEGORIES)}
    return sorted(set(cats), key=lambda c: (order.get(c, len(order)), c))


def _colour(category: str) -> str:
    return CATEGORY_COLOURS.get(category, _OTHER_COLOUR)


def _what(d: pd.DataFrame) -> str:
    cats = _category_sort(d["category"])
    who = "People" if d["combatant"].any() else "Civilians"
    words = [_esc(c) for c in cats]
    if len(words) > 1:
        words = [", ".join(words[:-1]) + " and " + words[-1]]
    return f"{who} {words[0]}" if words else who


def _where(d: pd.DataFrame) -> str:
    counts = Counter(country_name(c) for c in d["country"] if c)
    return _esc(_top_names(counts, 3))


def _when(d: pd.DataFrame) -> str:
    span = _date_span(x for x in d["_date"] if x)
    if span:
        return span
    return "year not stated" if (d["_date_rank"] == 1).any() else "date not stated"


def _title(what: str, d: pd.DataFrame) -> str:
    """'<b>what</b>' over a smaller 'where · when' line (what is already escaped)."""
    sub = " · ".join(p for p in (_where(d), _when(d)) if p)
    return f"<b>{what}</b><br><span style=\"font-size:15px;color:{_MUTED}\">{sub}</span>"


def _sources_line(d: pd.DataFrame) -> str:
    """'Sources: UNICEF (Marixie Mercado), UN (+2 more) · 3 documents · extracted by ...': each
    figure's credit as the dashboard shows it, the most frequent first."""
    named = d["_credit"] if "_credit" in d.columns else d["source"]
    counts = Counter(_text(s)[:60] for s in named if _text(s))
    if counts:
        names = [n for n, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]
        text = ", ".join(_esc(n) for n in names[:3])
        if len(names) > 3:
            text += f" (+{len(names) - 3} more)"
        if named.eq("").any():
            text += "; some figures credit none"
    else:
        text = "not stated in the text"
    ndocs = d["document_id"].nunique() if "document_id" in d.columns else 0
    docs = f" · {ndocs} document{'s' if ndocs != 1 else ''}" if ndocs else ""
    return f"Sources: {text}{docs} · {CREDIT}"


def _layout(fig: go.Figure, title: str, notes: list[str], d: pd.DataFrame, *, height: int,
            legend: bool = True) -> go.Figure:
    """Title, footnote (notes then sources, under the plot), fonts and margins."""
    layout = _layout_props(title, notes, d, height=height, legend=legend)
    footnote = layout.pop("annotations")[0]
    fig.update_layout(**layout)
    fig.add_annotation(**footnote)
    return fig


def _layout_props(title: str, notes: list[str], d: pd.DataFrame, *, height: int,
                  legend: bool = True) -> dict:
    """What _layout sets, as a layout dict (with the footnote as its one annotation), for a
    figure built in one go: Plotly validates each property once, not once per update."""
    # short lines: the footnote does not wrap by itself and a dashboard column can be narrow
    lines = [ln for n in [*notes, _sources_line(d)] if n for ln in _wrap_note(n, 100)]
    axis_space = 58  # x tick labels and the x axis title sit above the footnote
    bottom = axis_space + 17 * len(lines) + 16
    return dict(
        template="plotly_white",
        font=dict(family=_FONT, size=13, color=_INK),
        title=dict(text=title, x=0.01, xanchor="left", xref="container",
                   y=1, yanchor="top", yref="container", pad=dict(t=38),
                   font=dict(size=21, color=_INK)),
        margin=dict(l=20, r=150, t=132 if legend else 110, b=bottom, autoexpand=True),
        height=height,
        hoverlabel=dict(font=dict(family=_FONT, size=13), align="left"),
        showlegend=legend,
        legend=dict(orientation="h", x=0, xanchor="left", y=1.01, yanchor="bottom",
                    title=None, font=dict(size=13)),
        annotations=[dict(
            text="<br>".join(lines), xref="paper", yref="paper", x=0, y=0, xanchor="left",
            yanchor="top", yshift=-axis_space, showarrow=False, align="left",
            font=dict(size=12, color=_MUTED), name="footnote",
        )],
    )


def _empty(what: str, message: str = NO_DATA_MESSAGE, d: pd.DataFrame | None = None) -> go.Figure:
    fig = go.Figure()
    fig.add_annotation(text=f"<b>{message}</b>", xref="paper", yref="paper", x=0.5, y=0.5,
                       showarrow=False, font=dict(size=20, color=_MUTED), name="empty")
    fig.update_layout(
        template="plotly_white", font=dict(family=_FONT, size=13, color=_INK),
        title=dict(text=f"<b>{what}</b>", x=0.01, xanchor="left", font=dict(size=21)),
        xaxis=dict(visible=False), yaxis=dict(visible=False), height=420,
        margin=dict(l=20, r=20, t=80, b=60),
    )
    note = _sources_line(d) if d is not None and len(d) else CREDIT
    fig.add_annotation(text=note, xref="paper", yref="paper", x=0, y=0, xanchor="left",
                       yanchor="top", yshift=-20, showarrow=False, align="left",
                       font=dict(size=12, color=_MUTED), name="footnote")
    return fig


def _legend_entries(fig: go.Figure, categories: Iterable[str], symbol: str) -> None:
    """One clean legend swatch per category (the marks' own icons would show a qualifier).

    The swatches are empty traces in the category's legend group, so clicking one still hides or
    shows that category's marks.
    """
    for trace in _legend_traces(categories, symbol):
        fig.add_trace(go.Scatter(**{k: v for k, v in trace.items() if k != "type"}))


def _legend_traces(categories: Iterable[str], symbol: str) -> list[dict]:
    """The swatches of _legend_entries as trace dicts."""
    return [dict(type="scatter", x=[None], y=[None], mode="markers", name=_esc(cat.capitalize()),
                 legendgroup=cat, marker=dict(symbol=symbol, size=13, color=_colour(cat)),
                 hoverinfo="skip", showlegend=True, meta={"category": cat, "role": "legend"})
            for cat in categories]


def _log_axis(values: Iterable[float | None]) -> bool:
    """True when positive values span more than two orders of magnitude."""
    vals = [v for v in values if v is not None and v > 0]
    return bool(vals) and min(vals) > 0 and max(vals) / min(vals) > 100


def is_part(df: pd.DataFrame) -> pd.Series:
    """True for each row that is a part of a breakdown ("4 police officers" of "23 people,
    including 4 police officers, were killed"): its ``part_of`` names its total. Frames without
    the column (stores before schema 4) have no parts."""
    if df is None or "part_of" not in df.columns:
        return pd.Series(False, index=df.index if df is not None else None, dtype=bool)
    return df["part_of"].notna()


def standalone(df: pd.DataFrame | None) -> pd.DataFrame | None:
    """The rows that are not parts of a breakdown: what the charts, the cards and every total
    count, so a total with its parts is counted once. The parts stay in the table."""
    if df is None or "part_of" not in df.columns:
        return df
    parts = is_part(df)
    return df[~parts] if parts.any() else df


def _latest(d: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """The most recent row per key: full dates first, then partial, then undated; then figure_id."""
    d = d.assign(_date_sort=[dt.isoformat() if dt else s
                             for dt, s in zip(d["_date"], d["reported_date"])])
    d = d.sort_values(["_date_rank", "_date_sort", "figure_id"], kind="stable")
    return d.groupby(keys, sort=False).tail(1)



# ---------------------------------------------------------------------------------------------
# Large frames: reduce with vectorised pandas before the per-row work of _prepare

#: The timeline draws at most this many points (the most recent); the footnote says so.
TIMELINE_MAX_POINTS = 2_000
#: Frames with at least this many rows are reduced to the rows a chart can show before _prepare
#: (by_place), or to what a file name needs (chart_filename, above _NAME_REDUCE_ROWS).
_REDUCE_ROWS = 500
_NAME_REDUCE_ROWS = 2_000
_FULL_DATE_RE = r"^\d{4}-\d{2}-\d{2}$"
_PARTIAL_DATE_RE = r"^--\d{2}-\d{2}$"


def sort_codes(values: pd.Series) -> np.ndarray:
    """Integers that order the rows as ``sort_values`` orders ``values`` (missing values last),
    for ``np.lexsort``: the distinct values are sorted, not the rows. Integers (figure ids) are
    their own codes."""
    if isinstance(values.dtype, np.dtype) and values.dtype.kind in "iu":
        return values.to_numpy()
    codes, uniques = pd.factorize(values, sort=True)
    return np.where(codes < 0, len(uniques), codes)


def group_codes(*columns: pd.Series) -> np.ndarray:
    """One integer per row naming its combination of ``columns`` (-1 where one is missing)."""
    pairs = []
    for col in columns:
        c, uniques = pd.factorize(col)
        pairs.append((c, len(uniques)))
    return _combined(len(columns[0]) if columns else 0, pairs)


def _combined(rows: int, pairs: list[tuple[np.ndarray, int]]) -> np.ndarray:
    """One integer per row naming its combination of codes (each ``(codes, how many codes)``;
    -1 where one is below 0)."""
    codes = np.zeros(rows, dtype=np.int64)
    for c, n in pairs:
        codes = np.where((codes < 0) | (c < 0), -1, codes * max(n, 1) + c)
    return codes


def last_per_group(groups: np.ndarray, keys: list[np.ndarray]) -> np.ndarray:
    """Positions of the rows that ``d.sort_values(keys, kind="stable").groupby(groups,
    sort=False).tail(1)`` keeps, in that order: the last row of each group (groups < 0 left out,
    as groupby leaves out missing keys) when the rows are sorted stably by ``keys``, first key
    first. ``keys`` are numeric arrays, e.g. from ``sort_codes``."""
    order = np.lexsort(keys[::-1]) if keys else np.arange(len(groups))   # lexsort is stable
    g = groups[order]
    last = ~pd.Series(g).duplicated(keep="last").to_numpy() & (g >= 0)
    return order[last]


def _date_keys(df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(rank, order) of each row's ``reported_date``: rank 2 for a full date, 1 for a partial one
    ("--06-14"), 0 for none, as _prepare ranks them; order as ``sort_codes`` (missing last).
    The patterns are matched once per distinct date, with the column's own string engine."""
    return date_keys(df)[:2]


def date_keys(df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The keys the charts and the cards sort each row's ``reported_date`` by, from one sorted
    coding of the column (remembered: ``remembered``): (rank and order as ``_date_keys`` says;
    whether it is dated as the cards say, neither empty nor partial; its order as the cards
    sort the date as written, a missing one as an empty one, first)."""
    if "reported_date" not in df:
        zeros = np.zeros(len(df), dtype=np.int64)
        return zeros, zeros, zeros.astype(bool), zeros

    def compute():
        codes, uniques = pd.factorize(df["reported_date"], sort=True)
        text = pd.Series(uniques, dtype=object).astype(str)
        full = text.str.match(_FULL_DATE_RE).to_numpy(dtype=bool)
        partial = text.str.match(_PARTIAL_DATE_RE).to_numpy(dtype=bool)
        rank = np.append(np.where(full, 2, np.where(partial, 1, 0)), 0)  # last: a missing date
        dated = np.append((~text.str.startswith("--") & (text != "")).to_numpy(dtype=bool),
                          False)
        # a missing date sorts as an empty one: with it, or before every date ("" is least)
        empty = np.flatnonzero((text == "").to_numpy(dtype=bool))
        return (rank[codes], np.where(codes < 0, len(uniques), codes), dated[codes],
                np.where(codes < 0, empty[0] if len(empty) else -1, codes))
    return remembered(df, "dates", ("reported_date",), compute)


def _date_rank(df: pd.DataFrame) -> pd.Series:
    """2 for a full date, 1 for a partial one ("--06-14"), 0 for none, as _prepare ranks them."""
    return pd.Series(_date_keys(df)[0], index=df.index)


def _latest_raw(df: pd.DataFrame, keep: np.ndarray | None = None) -> pd.DataFrame:
    """The rows _latest could pick per (place, category), found without touching each row: the
    newest per location, country and category (full dates first, then partial, then undated;
    then the date as written, then figure_id). Only the key columns are sorted; the chosen rows
    are taken at the end. ``keep``: of the rows where it is True only (the others are not even
    copied)."""
    if df is None or df.empty or len(df) < _REDUCE_ROWS or "category" not in df:
        return df if keep is None or df is None else df[keep]
    return df.iloc[latest_raw_positions(df, keep)]


def latest_raw_positions(df: pd.DataFrame, keep: np.ndarray | None = None) -> np.ndarray:
    """The positions in ``df`` of the rows ``_latest_raw`` picks (whatever the frame's size).
    Reads only the columns location, country, category, reported_date and figure_id."""
    # the keys of every row, then those of the rows kept (numbers: no text copied)
    rank, dates = _date_keys(df)
    groups = key_groups(df)[0]
    ids = sort_codes(df["figure_id"])
    at = np.arange(len(df)) if keep is None else np.flatnonzero(keep)
    return at[last_per_group(groups[at], [rank[at], dates[at], ids[at]])]


def key_groups(df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(one integer per row naming its location, country and category in lower case, for
    ``latest_raw_positions``; one naming its category, location and country as written, for
    ``chart_filename``), from one coding of each column (remembered:
    ``remembered``). A missing text counts as an empty one; a missing column as empty."""
    def compute():
        def coded(column: str) -> tuple[np.ndarray, pd.Index]:
            if column not in df:
                return np.zeros(len(df), dtype=np.int64), pd.Index([""])
            return pd.factorize(df[column].fillna(""))
        (loc, locs), (cty, ctys), (cat, cats) = (coded(c) for c in ("location", "country",
                                                                      "category"))
        # the distinct categories lowered, not the rows
        lowered, lower = pd.factorize(pd.Series(cats, dtype=object).astype(str).str.lower())
        places = [(loc, len(locs)), (cty, len(ctys))]
        return (_combined(len(df), [*places, (lowered[cat], len(lower))]),
                _combined(len(df), [(cat, len(cats)), *places]))
    return remembered(df, "key groups", ("location", "country", "category"), compute)


def _top_places_raw(raw: pd.DataFrame, top: int) -> tuple[pd.DataFrame, int | None]:
    """The rows of the places by_place can show (every place whose largest latest figure is at
    least the ``top``-th largest, so ties are all kept) and the number of places in all: the same
    place names and choices as _prepare and _latest make, computed on columns, not rows.
    (raw, None) for small frames, which by_place reads whole."""
    if raw is None or len(raw) < _REDUCE_ROWS or "location" not in raw or "value" not in raw:
        return raw, None
    def clean(column: str) -> pd.Series:
        col = raw[column] if column in raw else pd.Series("", index=raw.index)
        return col.map({v: _text(v) for v in col.unique()})
    loc, cty = clean("location"), clean("country")
    place = loc.where(loc != "", cty.map(
        {c: (f"{country_name(c)} {PLACE_NOT_STATED}" if c else PLACE_NOT_STATED) for c in cty.unique()}))
    value = pd.to_numeric(raw["value"], errors="coerce")
    ok = value.notna() & value.map(lambda v: math.isfinite(v) if v == v else False).astype(bool)
    cat = clean("category").str.lower()
    rank = _date_rank(raw)
    keyed = pd.DataFrame({"_place": place, "_cat": cat, "_rank": rank, "_value": value,
                          "_date": raw["reported_date"].fillna("").astype(str),
                          "figure_id": raw["figure_id"]})[ok]
    keyed = keyed.sort_values(["_rank", "_date", "figure_id"], kind="stable")
    latest = keyed.groupby(["_place", "_cat"], sort=False).tail(1)
    place_max = latest.groupby("_place")["_value"].max()
    if len(place_max) <= top:
        return raw, len(place_max)
    threshold = place_max.sort_values(ascending=False).iloc[top - 1]
    wanted = set(place_max.index[place_max >= threshold])
    return raw[place.isin(wanted) & ok], len(place_max)


# ---------------------------------------------------------------------------------------------
# The charts

def by_place(df: pd.DataFrame, top: int = 15, keep: np.ndarray | None = None) -> go.Figure:
    """Figures by place and category: the latest figure for each (place, category), as bars.

    Places are the ``top`` with the largest figures, largest first. Each bar is labelled as
    reported ("up to 25,000"); range and vague figures have whiskers from low to high; a ▶ at the
    end of a bar marks an open upper end ("at least"); hatched bars are upper limits ("up to").
    ``keep``: the chart of the rows of ``df`` where it is True (the same as of ``df[keep]``,
    without copying the rows).
    """
    what = "Figures by place and category"
    # a part of a breakdown is inside its total's bar already: left out (of a large frame only
    # where the latest rows are looked for, so that it is not copied whole)
    parts = is_part(df).to_numpy(dtype=bool) if df is not None else None
    wanted = None if df is None else ~parts if keep is None else ~parts & keep
    if wanted is not None and (keep is not None or parts.any()) and \
            int(wanted.sum()) >= _REDUCE_ROWS:
        raw = _latest_raw(df, keep=wanted)
    else:
        raw = _latest_raw(standalone(df if keep is None or df is None else df[keep]))
    raw, n_places = _top_places_raw(raw, max(int(top), 1))
    d = _prepare(raw)
    if d.empty:
        return _empty(what)
    latest = _latest(d, ["_place", "category"])
    place_max = latest.groupby("_place")["value"].max().sort_values(ascending=False, kind="stable")
    places = list(place_max.index[: max(int(top), 1)])
    n_places = len(place_max) if n_places is None else n_places
    shown = latest[latest["_place"].isin(places)].copy()
    pos = {p: i for i, p in enumerate(places)}
    cats_per_place = shown.groupby("_place")["category"].nunique()
    slots = int(cats_per_place.max())
    width = min(0.8 / slots, 0.6)
    order = {c: i for i, c in enumerate(_category_sort(shown["category"]))}
    ypos = {}
    for place, group in shown.groupby("_place", sort=False):
        cats = sorted(group["category"].unique(), key=order.get)
        for k, cat in enumerate(cats):
            ypos[(place, cat)] = pos[place] + (k - (len(cats) - 1) / 2) * width
    shown["_y"] = [ypos[(p, c)] for p, c in zip(shown["_place"], shown["category"])]

    cats = _category_sort(shown["category"])
    traces = _legend_traces(cats, "square")
    for cat in cats:
        g = shown[shown["category"] == cat]
        custom = _customdata(g)
        plus, minus, any_bar = _whiskers(g)
        y = list(g["_y"])
        traces.append(dict(
            type="bar", x=list(g["value"]), y=y, orientation="h", width=width * 0.92,
            name=_esc(cat.capitalize()), legendgroup=cat, showlegend=False, customdata=custom,
            hovertemplate=HOVERTEMPLATE,
            marker=dict(color=_colour(cat), line=dict(width=0),
                        pattern=dict(shape=["/" if q == "at_most" else "" for q in g["qualifier"]],
                                     fillmode="overlay", fgcolor="white", solidity=0.35)),
            error_x=dict(type="data", symmetric=False, array=plus, arrayminus=minus,
                         visible=any_bar, color=_INK, thickness=1.5, width=4),
            meta={"chart": "by_place", "category": cat, "role": "bars"},
        ))
        # labels (and the ▶ of an open upper end) just past the end of each bar or whisker
        traces.append(dict(
            type="scatter", x=list(g["_end"]), y=y, mode="markers+text",
            text=[_esc(t) for t in g["_label"]], textposition="middle right",
            textfont=dict(size=13 if len(shown) <= 24 else 11, color=_INK), cliponaxis=False,
            # every label sits one marker away from the end; only "at least" shows its marker
            marker=dict(symbol="triangle-right", color=_INK, size=11,
                        opacity=[1 if q == "at_least" else 0 for q in g["qualifier"]]),
            showlegend=False, legendgroup=cat, name=_esc(cat.capitalize()),
            customdata=custom, hovertemplate=HOVERTEMPLATE,
            meta={"chart": "by_place", "category": cat, "role": "labels"},
        ))

    key = []
    quals = set(shown["qualifier"])
    if "at_least" in quals:
        key.append("▶ at least (could be higher)")
    if "at_most" in quals:
        key.append("hatched bar: up to (could be lower)")
    if quals & {"range", "vague"}:
        key.append("whiskers: range stated")
    hidden = n_places - len(places)
    notes = ["Latest figure per place and category, labelled as reported"
             + (f" · Top {len(places)} places by size shown, {hidden} more not shown"
                if hidden > 0 else "")]
    if key:
        notes.append("Key: " + " · ".join(key))
    title = _title(f"{_what(shown)}, by place", shown)
    height = max(460, min(1400, 260 + len(places) * max(40, 24 * slots)))
    layout = _layout_props(title, notes, shown, height=height)
    xmax = max(shown["_end"]) or 1.0
    households = (shown["unit"] == "households").any()
    layout.update(
        xaxis=dict(title=dict(text="People" + (" (or households where labelled)"
                                               if households else "")),
                   range=[0, xmax * 1.22], rangemode="tozero", tickformat=",~s",
                   showgrid=True, gridcolor="#E6E6E6", zeroline=True, zerolinecolor="#999"),
        yaxis=dict(tickvals=list(range(len(places))), ticktext=[_esc(p, 40) for p in places],
                   range=[len(places) - 0.5, -0.5], showgrid=False, zeroline=False,
                   tickfont=dict(size=14), ticks="", ticklabelstandoff=8, automargin=True),
        barmode="overlay", bargap=0.1)
    # room for the longest place name from the start: with a left margin too small, Plotly's
    # automargin draws the whole chart a second time after widening it (in the browser on every
    # filter change); automargin stays on in case a name is wider than this estimate
    layout["margin"]["l"] = _label_room([_text(p)[:40] for p in places], size=14, standoff=8)
    # one construction: Plotly validates each property once (each update_* validates again)
    fig = go.Figure(data=traces, layout=layout)
    fig.update_layout(legend_title=None)    # as _layout leaves it: an empty title object
    return fig


def _label_room(labels: Iterable[str], size: int, standoff: int = 0) -> int:
    """Pixels that the longest of ``labels`` needs at font ``size``, a little generously (0.58 em
    per character: wider than the average letter of Liberation Sans or Arial)."""
    longest = max((len(t) for t in labels), default=0)
    return int(0.58 * size * longest) + standoff + 16


def timeline(df: pd.DataFrame) -> go.Figure:
    """Figures over the reported date: one trace per category, a symbol per qualifier.

    Figures without a full date (no date, or no year) are left out and the footnote says how many.
    The y axis is logarithmic when the figures span more than two orders of magnitude.
    """
    what = "Figures over time"
    df = standalone(df)      # parts of a breakdown are counted in their total
    capped = 0
    if df is not None and len(df) > TIMELINE_MAX_POINTS and "reported_date" in df:
        rank = _date_rank(df)
        undated = int((rank < 2).sum())
        full = df[rank == 2].sort_values(["reported_date", "figure_id"], kind="stable")
        capped = max(len(full) - TIMELINE_MAX_POINTS, 0)
        df = full.tail(TIMELINE_MAX_POINTS)
    else:
        undated = None
    d = _prepare(df)
    if d.empty:
        return _empty(what)
    dated = d[d["_date_rank"] == 2].sort_values(["_date", "figure_id"], kind="stable")
    dropped = len(d) - len(dated) if undated is None else undated
    left_out = (f"{dropped:,} figure{'s' if dropped != 1 else ''} without a full date "
                f"(day, month and year) left out" if dropped else "")
    if capped:
        left_out = "; ".join(x for x in (
            f"only the latest {TIMELINE_MAX_POINTS:,} dated figures are drawn "
            f"({capped:,} earlier ones are in the table)", left_out) if x)
    if dated.empty:
        return _empty(what, f"{NO_DATA_MESSAGE}: no figure has a full date", d)

    log = _log_axis(list(dated["value"]) + list(dated["value_low"]) + list(dated["value_high"]))
    labelled = len(dated) <= 20
    # figures reported on the same day: labels alternate right and left, in order of size
    side = {}
    for _, same_day in dated.groupby("_date"):
        for k, fid in enumerate(same_day.sort_values("value", kind="stable")["figure_id"]):
            side[fid] = "middle right" if k % 2 == 0 else "middle left"
    fig = go.Figure()
    _legend_entries(fig, _category_sort(dated["category"]), "circle")
    for cat in _category_sort(dated["category"]):
        g = dated[dated["category"] == cat]
        plus, minus, any_bar = _whiskers(g)
        if log:  # a whisker down to zero or below cannot be drawn on a log axis
            minus = [m if not (m == m) or v - m > 0 else v * 0.99
                     for m, v in zip(minus, g["value"])]
        fig.add_trace(go.Scatter(
            x=[x.isoformat() for x in g["_date"]], y=list(g["value"]),
            mode="markers+text" if labelled else "markers",
            text=[_esc(f"{p}: {lab}", 60) for p, lab in zip(g["_place"], g["_label"])]
            if labelled else None,
            textposition=[side[f] for f in g["figure_id"]], textfont=dict(size=12, color=_INK),
            cliponaxis=False,
            name=_esc(cat.capitalize()), legendgroup=cat, showlegend=False,
            marker=dict(color=_colour(cat), size=12, line=dict(color="white", width=1),
                        symbol=[QUALIFIER_SYMBOLS.get(q, "circle") for q in g["qualifier"]]),
            error_y=dict(type="data", symmetric=False, array=plus, arrayminus=minus,
                         visible=any_bar, color=_colour(cat), thickness=1.5, width=5),
            customdata=_customdata(g), hovertemplate=HOVERTEMPLATE,
            meta={"chart": "timeline", "category": cat, "role": "points"},
        ))
    fig.update_xaxes(type="date", title_text="Date reported", showgrid=True, gridcolor="#E6E6E6",
                     tickformat="%-d %b %Y")
    fig.update_yaxes(type="log" if log else "linear",
                     title_text="People" + (" (log scale)" if log else ""),
                     rangemode=None if log else "tozero", tickformat=",~s",
                     showgrid=True, gridcolor="#E6E6E6")
    if len(set(dated["_date"])) == 1:  # one date: give the axis a few days either side
        day = dated["_date"].iloc[0]
        fig.update_xaxes(range=[(pd.Timestamp(day) - pd.Timedelta(days=3)).isoformat(),
                                (pd.Timestamp(day) + pd.Timedelta(days=4)).isoformat()])
    quals = _ordered_quals(dated["qualifier"])
    notes = ["Symbols: " + " · ".join(_SYMBOL_KEY[q] for q in quals if q in _SYMBOL_KEY)]
    if left_out:
        notes.append(left_out)
    title = _title(f"{_what(dated)} over time", dated)
    return _layout(fig, title, notes, dated, height=620)


def _ordered_quals(quals: Iterable[str]) -> list[str]:
    order = list(QUALIFIER_SYMBOLS)
    present = set(quals)
    return [q for q in order if q in present]


def _shade(hex_colour: str, t: float) -> str:
    """Mix a colour with white (t > 0) or black (t < 0)."""
    r, g, b = (int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    target = 255 if t > 0 else 0
    t = abs(t)
    mix = [round(c + (target - c) * t) for c in (r, g, b)]
    return "#{:02X}{:02X}{:02X}".format(*mix)


_SOURCE_SHADES = (0.0, -0.45, 0.45, -0.7, 0.65, -0.25, 0.25)
_SOURCE_SYMBOLS = ("circle", "square", "diamond", "triangle-up", "x", "star", "pentagon",
                   "hexagon", "cross", "triangle-down")
_SOURCE_DASHES = ("solid", "dash", "dot", "dashdot", "longdash", "longdashdot")


def source_style(category: str, index: int) -> dict:
    """Colour (a shade of the category colour), symbol and line dash of the index-th source."""
    return {
        "color": _shade(_colour(category), _SOURCE_SHADES[index % len(_SOURCE_SHADES)]),
        "symbol": _SOURCE_SYMBOLS[index % len(_SOURCE_SYMBOLS)],
        "dash": _SOURCE_DASHES[index % len(_SOURCE_DASHES)],
    }


def sources_compare(df: pd.DataFrame, place: str, category: str) -> go.Figure:
    """One place and category: each source's figures over time, side by side.

    One trace per source (lines and markers, a shade of the category colour, its own symbol and
    dash), each point labelled "up to 25,000 · UN". ``place`` is a location as stored; "" or
    "(place not stated)" selects the figures without a place.

    When every figure has a full date the x axis is a date axis. Otherwise no figure is left out:
    the x axis lists the dates as reported, in order, then "14 Jun (year not stated)" and
    "date not stated", and figures of different sources on the same date sit side by side.
    """
    place = _text(place)
    category = _text(category).lower()
    shown_place = place or PLACE_NOT_STATED
    what = f"{_esc(category.capitalize() or 'Figures')} in {_esc(shown_place, 60)}, by source"
    df = standalone(df)      # parts of a breakdown are counted in their total
    if df is not None and len(df) > 500 and {"location", "category"} <= set(df.columns):
        loc = df["location"].fillna("")
        df = df[(loc == ("" if place in ("", PLACE_NOT_STATED) else place))
                & (df["category"].fillna("").astype(str).str.lower() == category)]
    d = _prepare(df)
    if place in ("", PLACE_NOT_STATED):
        sel = d[(d["location"] == "") & (d["category"] == category)]
    else:
        sel = d[(d["location"] == place) & (d["category"] == category)]
    if sel.empty:
        return _empty(what, f"{NO_DATA_MESSAGE}: no {_esc(category) or 'figures'} "
                            f"in {_esc(shown_place, 60)}")
    plot = sel.assign(
        _source=[s or SOURCE_NOT_STATED for s in sel["source"]],
        _order=[(2 - rank, dt.isoformat() if dt else s)
                for rank, dt, s in zip(sel["_date_rank"], sel["_date"], sel["reported_date"])],
        _when=[format_date(s) for s in sel["reported_date"]],
    )
    by_date = bool((plot["_date_rank"] == 2).all())

    counts = Counter(plot["_source"])
    sources = sorted(counts, key=lambda s: (s == SOURCE_NOT_STATED, -counts[s], s.lower()))
    labelled = len(plot) <= 40
    log = _log_axis(list(plot["value"]) + list(plot["value_low"]) + list(plot["value_high"]))
    fig = go.Figure()
    for i, source in enumerate(sources):
        g = plot[plot["_source"] == source]
        g = g.iloc[sorted(range(len(g)), key=lambda k: (g["_order"].iloc[k],
                                                         g["figure_id"].iloc[k]))]
        style = source_style(category, i)
        plus, minus, any_bar = _whiskers(g)
        if log:
            minus = [m if not (m == m) or v - m > 0 else v * 0.99
                     for m, v in zip(minus, g["value"])]
        x = [dt.isoformat() for dt in g["_date"]] if by_date else list(g["_when"])
        fig.add_trace(go.Scatter(
            x=x, y=list(g["value"]), mode="lines+markers+text" if labelled else "lines+markers",
            name=_esc(source, 50), legendgroup=_esc(source, 50),
            text=[_esc(f"{lab} · {source}", 70) for lab in g["_label"]] if labelled else None,
            textposition="middle right" if any_bar else "top center",
            textfont=dict(size=13, color=_INK), cliponaxis=False,
            line=dict(color=style["color"], dash=style["dash"], width=2.5),
            marker=dict(color=style["color"], symbol=style["symbol"], size=13,
                        line=dict(color="white", width=1)),
            error_y=dict(type="data", symmetric=False, array=plus, arrayminus=minus,
                         visible=any_bar, color=style["color"], thickness=1.5, width=6),
            customdata=_customdata(g), hovertemplate=HOVERTEMPLATE,
            offsetgroup=str(i),
            meta={"chart": "sources_compare", "category": category, "source": _esc(source)},
        ))
    notes = []
    if by_date:
        days = sorted(set(plot["_date"]))
        pad = max(2, (days[-1] - days[0]).days // 6)
        fig.update_xaxes(type="date", title_text="Date reported", tickformat="%-d %b %Y",
                         showgrid=True, gridcolor="#E6E6E6",
                         range=[(pd.Timestamp(days[0]) - pd.Timedelta(days=pad)).isoformat(),
                                (pd.Timestamp(days[-1]) + pd.Timedelta(days=pad + 2)).isoformat()])
    else:
        ordered = sorted(set(zip(plot["_order"], plot["_when"])))
        fig.update_xaxes(type="category", categoryorder="array",
                         categoryarray=[w for _, w in ordered],
                         title_text="Date reported (in order; not to scale)")
        # several sources on the same date: side by side instead of on top of each other
        fig.update_layout(scattermode="group", scattergap=0.5)
        undated = int((plot["_date_rank"] < 2).sum())
        notes.append(f"{undated} figure{'s' if undated != 1 else ''} without a full date "
                     "placed after the dated ones")
    ymax = max(plot["_end"])
    fig.update_yaxes(type="log" if log else "linear",
                     title_text="People" + (" (log scale)" if log else ""),
                     range=None if log else [0, ymax * 1.15], tickformat=",~s",
                     showgrid=True, gridcolor="#E6E6E6")
    if set(plot["qualifier"]) & {"range", "vague"}:
        notes.insert(0, "whiskers: range stated")
    notes = [" · ".join(["Each line is one source; labels give the figure as reported"] + notes)]
    who = "People" if plot["combatant"].any() else "Civilians"
    title = _title(f"{who} {_esc(category)} in {_esc(shown_place, 60)}: figures by source", plot)
    return _layout(fig, title, notes, plot, height=560)


# ---------------------------------------------------------------------------------------------
# File names and Plotly config

_KIND_SLUGS = {"by_place": "by-place", "byplace": "by-place", "timeline": "over-time",
               "over_time": "over-time", "sources_compare": "by-source",
               "sources": "by-source", "by_source": "by-source"}


def slugify(text: Any, max_len: int = 100) -> str:
    """ASCII, lowercase, words joined by '-'; no '/', '..', spaces or leading dots."""
    s = unicodedata.normalize("NFKD", _text(text)).encode("ascii", "ignore").decode("ascii")
    s = re.sub(r"[^a-z0-9]+", "-", s.lower()).strip("-")
    if len(s) > max_len:
        s = s[:max_len].rsplit("-", 1)[0] if "-" in s[:max_len] else s[:max_len]
    return s.strip("-")


def _name_rows(df: pd.DataFrame | None) -> pd.DataFrame:
    """The columns chart_filename reads, as _prepare cleans them (category, location, country,
    _date), of the rows _prepare keeps (those with a value)."""
    df = pd.DataFrame() if df is None else df

    def text(column: str) -> list[str]:
        return [_text(v) for v in df[column]] if column in df.columns else [""] * len(df)

    d = pd.DataFrame({"category": [c.lower() for c in text("category")],
                      "location": text("location"), "country": text("country"),
                      "_date": [_full_date(s) for s in text("reported_date")],
                      "value": ([_num(v) for v in df["value"]] if "value" in df.columns
                                else [None] * len(df))})
    # as in _prepare: a column of floats holds a missing value as NaN, which "is not None"
    return d[np.array([v is not None for v in d["value"]], dtype=bool)]


_NAMED = ("category", "location", "country", "reported_date")


def _name_digest(df: pd.DataFrame, at: np.ndarray) -> pd.DataFrame:
    """What a file name reads of the many rows of ``df`` at positions ``at``: its categories,
    places, countries and date span, so each combination of them once (its first row), plus the
    first and the last full date (their rows' countries not counted again: the name is the same
    whatever the rows' order). Found from codes of the whole frame (``remembered``), not from
    copies of the rows' text."""
    groups = key_groups(df)[1]
    rank, order = _date_keys(df)
    first = at[~pd.Series(groups[at]).duplicated().to_numpy()]
    full = at[rank[at] == 2]
    ends = [full[np.argmin(order[full])], full[np.argmax(order[full])]] if len(full) else []
    cols = df[list(_NAMED)]
    return pd.concat([cols.iloc[first].fillna(""), cols.iloc[ends].fillna("").assign(country="")]
                     ).assign(value=1.0)      # _prepare keeps only rows with a value


def chart_filename(kind: str, df: pd.DataFrame | None, place: str | None = None,
                   category: str | None = None, keep: np.ndarray | None = None) -> str:
    """A safe file name (no extension) saying what the chart shows, from the data (the rows of
    ``df`` where ``keep`` is True, if given).

    e.g. "trapped-displaced-by-place-syria-2017-06-to-2017-09",
    "trapped-raqqa-by-source-syria-2017-09".
    """
    if df is not None:
        at = np.arange(len(df)) if keep is None else np.flatnonzero(keep)
        if len(at) > _NAME_REDUCE_ROWS and set(_NAMED) <= set(df.columns):
            df = _name_digest(df, at)
        elif keep is not None:
            df = df[keep]
    d = _name_rows(df)
    if place is not None or category is not None:
        if category:
            d = d[d["category"] == _text(category).lower()]
        if place is not None:
            p = _text(place)
            d = d[d["location"] == ("" if p == PLACE_NOT_STATED else p)]
    kind_key = re.sub(r"[^a-z_]", "_", _text(kind).lower())
    kind_slug = _KIND_SLUGS.get(kind_key) or slugify(kind, 30) or "chart"
    if place is None and kind_slug == "by-source" and len(d) and d["location"].nunique() == 1:
        place = d["location"].iloc[0] or PLACE_NOT_STATED  # one place: say which
    cats = _category_sort(d["category"]) if len(d) else ([_text(category).lower()]
                                                        if category else [])
    parts = []
    if cats and len(cats) == len(CATEGORIES):
        parts.append("all-categories")
    else:
        parts.extend(cats)
    if place is not None:
        parts.append(slugify(place, 40) or "place-not-stated")
    parts.append(kind_slug)
    countries = Counter(country_name(c) for c in d["country"] if c) if len(d) else Counter()
    names = [n for n, _ in sorted(countries.items(), key=lambda kv: (-kv[1], kv[0]))]
    parts.extend(slugify(n, 30) for n in names[:2])
    if len(names) > 2:
        parts.append(f"and-{len(names) - 2}-more")
    dates = sorted(x for x in d["_date"] if x) if len(d) else []
    if dates:
        a, b = f"{dates[0]:%Y-%m}", f"{dates[-1]:%Y-%m}"
        parts.append(a if a == b else f"{a}-to-{b}")
    slug = slugify("-".join(p for p in parts if p), 120)
    return slug or "figures"


def chart_config(filename: str) -> dict:
    """Plotly config for ``st.plotly_chart(config=...)``: PNG download button at 1600x900."""
    return {
        "displaylogo": False,
        "toImageButtonOptions": {
            "format": "png",
            "filename": slugify(filename, 120) or "figures",
            "width": 1600,
            "height": 900,
            "scale": 1,
        },
    }


# ---------------------------------------------------------------------------------------------
# PNG export: kaleido 1.x driving the system Chromium

NO_CHROMIUM = "PNG export needs Chromium: apt-get install chromium"
CHROMIUM_CANDIDATES: tuple[str, ...] = ("/usr/bin/chromium", "/usr/bin/chromium-browser",
                                        "/usr/bin/google-chrome-stable", "/usr/bin/google-chrome")
STARTUP_TIMEOUT_S = 60.0
RENDER_TIMEOUT_S = 60.0


def _is_exe(path: str) -> bool:
    return os.path.isfile(path) and os.access(path, os.X_OK)


def find_chromium() -> str | None:
    """$BROWSER_PATH if set, else the system Chromium/Chrome; None if there is none.

    Only installed browsers are used: nothing is ever downloaded.
    """
    explicit = os.environ.get("BROWSER_PATH", "").strip()
    if explicit:
        return explicit if _is_exe(explicit) else None
    for path in CHROMIUM_CANDIDATES:
        if _is_exe(path):
            return path
    for name in ("chromium", "chromium-browser", "google-chrome-stable", "google-chrome"):
        path = shutil.which(name)
        if path and _is_exe(path):
            return path
    return None


class _PngRenderer:
    """One headless Chromium kept open (kaleido ``Kaleido`` on its own event-loop thread).

    The first PNG starts the browser (a few seconds); later ones reuse it. Calls are serialised
    with a lock (Streamlit runs sessions in threads). On any browser failure the browser is closed
    and the render retried once with a fresh one. Closed at interpreter exit.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._kaleido: Any = None
        self._path: str | None = None
        self._atexit = False

    def _start(self, path: str) -> None:
        import kaleido  # noqa: PLC0415 - only needed for PNGs

        loop = asyncio.new_event_loop()
        thread = threading.Thread(target=loop.run_forever, name="figures-png", daemon=True)
        thread.start()
        self._loop, self._thread = loop, thread

        async def open_browser():
            # path: never look for (or download) another browser; mathjax=False: no CDN request.
            # choreographer starts Chromium headless with --no-sandbox (enable_sandbox=False).
            k = kaleido.Kaleido(path=path, mathjax=False, timeout=RENDER_TIMEOUT_S,
                                headless=True, enable_sandbox=False)
            await k.open()
            return k

        try:
            self._kaleido = asyncio.run_coroutine_threadsafe(open_browser(), loop).result(
                STARTUP_TIMEOUT_S)
        except BaseException:
            self._stop()
            raise
        self._path = path
        if not self._atexit:
            atexit.register(self.stop)
            self._atexit = True

    def _stop(self) -> None:
        loop, thread, k = self._loop, self._thread, self._kaleido
        self._loop = self._thread = self._kaleido = self._path = None
        if loop is None:
            return
        if k is not None:
            try:
                asyncio.run_coroutine_threadsafe(k.close(), loop).result(15)
            except BaseException:  # noqa: BLE001, S110 - best effort while shutting down
                pass
        loop.call_soon_threadsafe(loop.stop)
        if thread is not None:
            thread.join(5)
        if thread is None or not thread.is_alive():
            loop.close()

    def stop(self) -> None:
        with self._lock:
            self._stop()

    def render(self, fig_dict: dict, path: str, opts: dict) -> bytes:
        from kaleido.errors import KaleidoError  # noqa: PLC0415

        with self._lock:
            for attempt in (1, 2):
                alive = self._thread is not None and self._thread.is_alive()
                if self._kaleido is None or self._path != path or not alive:
                    self._stop()
                    try:
                        self._start(path)
                    except Exception as e:  # noqa: BLE001
                        raise RuntimeError(
                            f"PNG export could not start Chromium at {path}: "
                            f"{type(e).__name__}: {e}") from e
                try:
                    # the bundled base maps, read from disk: a map never asks the CDN
                    fut = asyncio.run_coroutine_threadsafe(
                        self._kaleido.calc_fig(fig_dict, opts=opts, topojson=topojson_file_url()),
                        self._loop)
                    return fut.result(RENDER_TIMEOUT_S + 15)
                except KaleidoError as e:  # the figure itself failed in plotly.js
                    raise RuntimeError(f"PNG export failed: {e}") from e
                except Exception as e:  # noqa: BLE001 - browser died or hung: restart once
                    self._stop()
                    if attempt == 2:
                        raise RuntimeError(
                            f"PNG export failed: {type(e).__name__}: {e}") from e
        raise AssertionError("unreachable")


_RENDERER = _PngRenderer()

#: The bundled Natural Earth base maps (static/topojson, see its README): plotly.js fetches
#: ``<scope>_<resolution>m.json`` from here instead of https://cdn.plot.ly/un/.
TOPOJSON_DIR = Path(__file__).resolve().parent.parent / "static" / "topojson"


def topojson_file_url() -> str:
    """The base maps' folder as a ``file://`` address ending in "/" (kaleido's ``topojson``; its
    Chromium runs with --allow-file-access-from-files)."""
    return TOPOJSON_DIR.as_uri() + "/"


def to_png(fig: go.Figure | dict, width: int = 1600, height: int = 900, scale: float = 1) -> bytes:
    """The figure as PNG bytes, rendered by kaleido in the system Chromium.

    Uses $BROWSER_PATH, else /usr/bin/chromium (or another installed Chromium/Chrome); never
    downloads one. Raises RuntimeError(NO_CHROMIUM) when there is none. The browser stays open
    between calls (first call a few seconds, later ones a fraction of a second); ``stop_png_renderer``
    closes it.
    """
    path = find_chromium()
    if not path:
        raise RuntimeError(NO_CHROMIUM)
    fig_dict = fig.to_dict() if hasattr(fig, "to_dict") else dict(fig)
    opts = {"format": "png", "width": int(width), "height": int(height), "scale": scale}
    return _RENDERER.render(fig_dict, path, opts)


def stop_png_renderer() -> None:
    """Close the Chromium kept open by ``to_png`` (it is also closed at exit)."""
    _RENDERER.stop()
