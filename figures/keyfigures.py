"""Key figures: for each place and category, the figures different sources gave over time
reconciled into one line an analyst can quote, with how far the sources agree.

For one place and category:
- the key figure is the latest estimate (by the figure's own date, else its report's date; at one
  date the later stored), unless an analyst pinned an accepted figure;
- the sources compared are each source's latest figure within ``window_days`` before the latest
  one (30 by default); a source is the body the figure is credited to, else its document's story
  (copies of one story count once), else its document;
- their range (low to high) and number; when the highest is more than ``conflict_ratio`` times the
  lowest (1.5 by default), they disagree: "25,000–50,000 trapped · 3 sources disagree".
Reviews apply before: rejected figures drop out, corrected values count. Parts of a breakdown are
counted in their total, never on their own. Works on the frame of ``views.figures_frame``.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

WINDOW_DAYS = 30
CONFLICT_RATIO = 1.5

COLUMNS = ["category", "location", "country", "value", "number_text", "qualifier", "source",
           "date", "figure_id", "pinned", "low", "high", "sources", "conflict", "label",
           "figure_ids", "by_source"]


@dataclass
class KeyFigure:
    category: str
    location: str
    country: str
    value: float
    number_text: str
    qualifier: str
    source: str
    date: str
    figure_id: int
    pinned: bool
    low: float
    high: float
    sources: int
    conflict: bool
    label: str
    figure_ids: list[int] = field(default_factory=list)   # each source's figure, compared
    by_source: str = ""     # what each source said: "UN: 25,000 (14 Jun) · UNICEF: 50,000 (12 Jun)"


def _n(x: float) -> str:
    return f"{int(x):,}" if float(x).is_integer() else f"{x:,.1f}"


def _label(kf: KeyFigure) -> str:
    if kf.sources <= 1 or kf.low == kf.high:
        head = f"{_n(kf.value)} {kf.category}"
    else:
        head = f"{_n(kf.low)}–{_n(kf.high)} {kf.category}"
    if kf.sources <= 1:
        tail = "1 source"
    elif kf.conflict:
        tail = f"{kf.sources} sources disagree"
    else:
        tail = f"{kf.sources} sources agree"
    return f"{head} · {tail}" + (" · pinned" if kf.pinned else "")


def _per_value(column: pd.Series, fn) -> pd.Series:
    """``fn(column)``, computed once per distinct value (a million figures have a few thousand
    dates and sources) and spread back to the rows."""
    codes, uniques = pd.factorize(column)
    if (codes < 0).any():      # a missing value: as fn sees it
        return fn(column)
    return fn(pd.Series(uniques, dtype=column.dtype)).take(codes).set_axis(column.index)


def _full_date(s: pd.Series) -> pd.Series:
    return s.str.match(r"^\d{4}-\d{2}-\d{2}$")


def _dates(df: pd.DataFrame) -> pd.Series:
    """Each figure's date as a timestamp: its own date when the text gives one in full, else its
    report's; NaT when neither is a full date."""
    own = df["figure_date"] if "figure_date" in df else pd.Series("", index=df.index)
    own = own.fillna("").astype(str)
    rep = df["reported_date"].fillna("").astype(str)
    when = own.where(_per_value(own, _full_date), rep)
    return pd.to_datetime(when.where(_per_value(when, _full_date)), errors="coerce")


def _source_keys(df: pd.DataFrame) -> pd.Series:
    """Who a figure counts as: its credited body, else its story (copies of one story are one
    source), else its document."""
    src = _per_value(df["source"].fillna("").astype(str), lambda s: s.str.strip().str.lower())
    story = df["story_id"] if "story_id" in df and df["story_id"].notna().all() else \
        df["document_id"] if "document_id" in df else df["doc_id"]
    other = "doc:" + story.astype(str)
    return src.where(src != "", other)


_USED = ("figure_id", "category", "location", "country", "value", "number_text", "qualifier",
         "source", "reported_date", "figure_date", "review_status", "part_of_figure_id", "part_of",
         "story_id", "document_id", "doc_id")


def reconcile(df: pd.DataFrame, *, window_days: int = WINDOW_DAYS,
              conflict_ratio: float = CONFLICT_RATIO, pinned: set[int] | frozenset = frozenset()
              ) -> list[KeyFigure]:
    """The key figure of each place and category of ``df`` (``views.figures_frame``), most
    recent first. ``pinned``: figure ids an analyst pinned (accepted figures only count)."""
    if df.empty:
        return []
    # only the columns reconciling reads: sorting a frame drags every column along
    d = df[[c for c in _USED if c in df.columns]].copy()
    for col in ("location", "country", "source", "number_text", "reported_date"):
        if col not in d:
            d[col] = ""
    if "qualifier" not in d:
        d["qualifier"] = "exact"
    keep = pd.Series(True, index=d.index)       # rows copied once, and only if some go
    if "review_status" in d:
        keep &= d["review_status"] != "rejected"
    if "part_of_figure_id" in d:
        keep &= d["part_of_figure_id"].isna()
    elif "part_of" in d:
        keep &= d["part_of"].isna()
    if not keep.all():
        d = d[keep]
    if d.empty:
        return []
    d["_when"] = _dates(d)
    d["_src"] = _source_keys(d)
    d["_place"] = d["location"].fillna("").astype(str)
    d.loc[d["_place"] == "", "_place"] = d["country"].fillna("").astype(str)
    d["value"] = d["value"].astype(float)
    # read only above: not sorted along
    d = d.drop(columns=[c for c in ("figure_date", "part_of_figure_id", "part_of", "story_id",
                                    "document_id", "doc_id") if c in d])
    keys = ["category", "_place"]
    # one pass of sorting and grouping for every place and category at once (no loop per group):
    # oldest first, figures without a full date before dated ones, then by id
    d = d.sort_values(keys + ["_when", "figure_id"], na_position="first", kind="stable")
    grouped = d.groupby(keys, sort=False)
    last_when = grouped["_when"].transform("last")
    recent = d[d["_when"].isna() | last_when.isna()
               | (d["_when"] >= last_when - pd.Timedelta(days=window_days))]
    per_source = recent.groupby(keys + ["_src"], sort=False).tail(1).sort_values(
        keys + ["value"], kind="stable")
    said = (per_source["source"].fillna("").astype(str).replace("", "no source named") + ": "
            + [t or _n(v) for t, v in zip(per_source["number_text"].fillna("").astype(str),
                                          per_source["value"])]
            + [f" ({w.strftime('%d %b %Y')})" if pd.notna(w) else "" for w in per_source["_when"]])
    per_source = per_source.assign(_said=said)
    agg = per_source.groupby(keys, sort=False).agg(
        low=("value", "min"), high=("value", "max"), sources=("_src", "nunique"),
        figure_ids=("figure_id", list), by_source=("_said", " · ".join))
    pin = d["figure_id"].isin(pinned)
    if "review_status" in d:
        pin &= d["review_status"].isin(["accepted", "corrected"])
    cols = ["category", "_place", "location", "country", "value", "number_text", "qualifier",
            "source", "_when", "reported_date", "figure_id"]

    def by_group(rows: pd.DataFrame) -> dict:
        return {(r[0], r[1]): r for r in rows[cols].itertuples(index=False, name=None)}
    latest_of = by_group(grouped.tail(1))
    pin_of = by_group(d[pin].groupby(keys, sort=False).tail(1))
    out = []
    for cat, place, low, high, n, ids, said_here in agg.reset_index()[
            keys + ["low", "high", "sources", "figure_ids", "by_source"]].itertuples(
                index=False, name=None):
        key = pin_of.get((cat, place)) or latest_of[(cat, place)]
        _, _, location, country, value, number_text, qualifier, source, when, reported, fid = key
        kf = KeyFigure(
            category=cat, location=str(location or ""), country=str(country or ""),
            value=float(value), number_text=str(number_text or ""), qualifier=str(qualifier),
            source=str(source or ""),
            date=when.date().isoformat() if pd.notna(when) else str(reported or ""),
            figure_id=int(fid), pinned=(cat, place) in pin_of, low=float(low), high=float(high),
            sources=int(n), conflict=low > 0 and high / low > conflict_ratio, label="",
            figure_ids=[int(i) for i in ids], by_source=said_here)
        kf.label = _label(kf)
        out.append(kf)
    out.sort(key=lambda k: (k.date, k.figure_id), reverse=True)
    return out


def frame(key_figures: list[KeyFigure]) -> pd.DataFrame:
    """Key figures as a table (``COLUMNS``)."""
    return pd.DataFrame([k.__dict__ for k in key_figures], columns=COLUMNS)
