"""What the dashboard shows, computed without Streamlit: tables, cards, highlights, shared links.

Everything here is plain Python and pandas, so it is unit-tested directly and the dashboard's
page scripts stay layout and widgets only.
"""
from __future__ import annotations

import hashlib
import os
import pickle
import re
from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from functools import cache
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from . import charts, remember
from .cache import cache_dir, write_atomically
# the frame of every figure that the pages filter (built, cached and updated in frames.py)
from .frames import (_db_tag, _mtime, _state_tag, all_figures_frame, all_figures_table,  # noqa: F401
                     figures_frame, frame_cache_file, frames_written, has_cached_frame,
                     load_all_figures)
from .charts import group_codes, last_per_group, sort_codes

from .schema import CATEGORIES, REVIEW_STATUSES
from .store import Filters, Store

QUALIFIER_WORDS = {
    "exact": "exactly as stated",
    "at_least": "at least",
    "at_most": "up to",
    "approx": "about",
    "range": "between",
    "vague": "vague (order of magnitude)",
}

#: How specific a place is, in words (schema.LOCATION_LEVELS).
LEVEL_WORDS = {
    "country": "country",
    "country_part": "part of a country",
    "region": "region",
    "district": "district",
    "town": "town",
}

# Columns of the Figures table (``table_frame``), in the order it shows them.
TABLE_COLUMNS = ["reported_date", "figure_date", "category", "number_text", "value", "qualifier",
                 "who", "part_of", "location", "country", "source", "document_title",
                 "review_status", "quote", "document_url", "figure_id"]


VIEW_FORMAT = 1
VIEWS_KEPT = 200      # computed views kept on disk per database, the most recently used


@cache
def _code_tag() -> str:
    """Changes when the code that draws the views changes (a new release, a local edit)."""
    here = Path(__file__).parent
    return _state_tag(*(hashlib.sha256((here / f).read_bytes()).hexdigest()
                        for f in ("views.py", "charts.py", "schema.py")))


def cached_view(store: Store, version: tuple, key: str, compute):
    """``compute()`` for this state of the store (``version``, its ``data_version()`` when the
    data were read) and ``key`` (the filters and the view), kept on disk: a restarted dashboard, or
    a new visitor, gets the Overview of an unchanged store without recomputing it. Pickles in the
    user's own cache folder; a file that cannot be read is recomputed."""
    folder, db = cache_dir(), _db_tag(store)
    if folder is None or db is None:
        return compute()
    state = _state_tag(VIEW_FORMAT, _code_tag(), version)
    path = folder / "views" / f"view-{db}-{state}-{_state_tag(key)}.pickle"
    try:
        with open(path, "rb") as f:
            result = pickle.load(f)
        os.utime(path)
        return result
    except FileNotFoundError:
        pass
    except Exception:            # noqa: BLE001 - a damaged or outdated cache file: recompute
        pass
    result = compute()
    data = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
    if write_atomically(path, lambda f: f.write(data)):
        mine = sorted(path.parent.glob(f"view-{db}-*.pickle"), key=_mtime, reverse=True)
        for old in mine:
            if old != path and (f"-{state}-" not in old.name or mine.index(old) >= VIEWS_KEPT):
                old.unlink(missing_ok=True)
    return result


def apply_filters(df: pd.DataFrame, f: Filters) -> pd.DataFrame:
    """The rows of ``df`` that ``f`` selects: the same rule as ``Filters.where`` in SQL."""
    return df[filter_mask(df, f)]


#: Columns of ``all_figures_frame`` that nothing on the Overview reads (the Figures table, the
#: downloads and the provenance panel do): ``latest_cards``, ``key_figures``, the charts, their
#: file names and the map give the same without them (tests/test_views.py checks).
NOT_ON_OVERVIEW = frozenset({
    "article", "term", "who", "start", "end", "page", "extractor_version", "document_file",
    "document_added_at", "copy_of_document", "review_note", "reviewer", "reviewed_at",
    "extracted_category", "extracted_location", "extracted_country", "extracted_source",
    "extracted_speaker", "extracted_location_level"})


class Selection:
    """The rows of ``df`` that ``f`` selects, counted at once but copied out of ``df`` only when
    ``rows`` is read. Copying is most of a filter's cost (0.07 s for 95,000 of 100,000 figures,
    26 text columns), and a page whose cards and chart for these filters are already computed
    needs only the count.

    With ``fetch``, ``df`` is a narrow frame (``frames.NARROW_COLUMNS``: the columns the
    filters and the choice of the Overview's rows read) and ``fetch(ids)`` gives the whole rows
    of these figure ids, in the frame's order, from the same state of the store: the cards and
    the chart by place are then computed from the few rows they read (``digest``)."""

    def __init__(self, df: pd.DataFrame, f: Filters,
                 fetch: Callable[[list[int]], pd.DataFrame] | None = None):
        self.frame, self.filters, self.fetch = df, f, fetch
        self.mask = filter_mask(df, f)
        #: the mask as an array, for the functions that read the selected rows of ``frame``
        #: without copying them (``latest_cards``, ``charts.by_place``, ``charts.chart_filename``)
        self.keep = self.mask.to_numpy(dtype=bool)
        self.count = int(self.keep.sum())
        self._rows: pd.DataFrame | None = None
        self._overview: pd.DataFrame | None = None
        self._digest: pd.DataFrame | None = None

    def __len__(self) -> int:
        return self.count

    @property
    def empty(self) -> bool:
        return self.count == 0

    @property
    def narrow(self) -> bool:
        return self.fetch is not None

    @property
    def rows(self) -> pd.DataFrame:
        if self.narrow:
            raise LookupError("a selection of a narrow frame has no whole rows: read them from "
                              "a selection of every figure's frame")
        if self._rows is None:
            self._rows = self.frame[self.mask]
        return self._rows

    @property
    def overview(self) -> pd.DataFrame:
        """The rows without the columns the Overview never reads (``NOT_ON_OVERVIEW``): its cards,
        key figures, charts and map are the same from these, and copying a large selection costs
        a third less (0.5 s less for 500,000 of 1,000,000 figures)."""
        if self._rows is not None:
            return self._rows
        if self.narrow:
            return self.rows       # raises
        if self._overview is None:
            keep = [c for c in self.frame.columns if c not in NOT_ON_OVERVIEW]
            self._overview = self.frame[keep][self.mask]
        return self._overview

    @property
    def digest(self) -> pd.DataFrame:
        """Of a narrow selection, the whole rows the cards and the chart by place read: every
        selected row when they are few (``DIGEST_ALL_ROWS``), else each card's row, the rows of
        the cards' places and categories (their key figures) and the newest row of each place,
        country and category (``charts.latest_raw_positions``), in the frame's order. The
        cards and the chart of these rows are those of the whole selection."""
        if self._digest is None:
            if self.count <= DIGEST_ALL_ROWS:
                at = np.flatnonzero(self.keep)
            else:
                cards, near = card_positions(self.frame, self.keep)
                bars = charts.latest_raw_positions(
                    self.frame, self.keep & ~charts.is_part(self.frame).to_numpy(dtype=bool))
                at = np.union1d(np.union1d(cards, near), bars)
            self._digest = self.fetch([int(i) for i in self.frame["figure_id"].to_numpy()[at]])
        return self._digest


#: A narrow selection of at most this many figures reads them all (``Selection.digest``): as
#: many as ``charts.chart_filename`` reads whole, so that the chart's file name is made from
#: the same rows as from every figure's frame.
DIGEST_ALL_ROWS = charts._NAME_REDUCE_ROWS


# The Overview's cards and chart by place, as the page computes and caches them (keys and values):
# the page and ``prepare_overview`` share these, so what one computes the other finds.

def cards_key(f: Filters, pinned) -> str:
    return f"cards {f!r} {sorted(pinned)}"


def by_place_key(f: Filters) -> str:
    return f"by-place {f!r}"


def overview_cards(sel: Selection, pinned) -> dict:
    """The cards of a selection, read where its rows lie (``Selection.keep``), or of a narrow
    selection from its ``digest``."""
    if sel.narrow:
        return latest_cards(sel.digest, pinned)
    return latest_cards(sel.frame, pinned, keep=sel.keep)


def overview_by_place(sel: Selection) -> tuple:
    """The chart by place of a selection and its file name."""
    if sel.narrow:
        # a file name reads every selected row's category, places and date: of many rows, the
        # narrow frame has them; of a few, the digest is all of them
        named = (sel.frame, sel.keep) if sel.count > DIGEST_ALL_ROWS else (sel.digest, None)
        return (charts.by_place(sel.digest),
                charts.chart_filename("by-place", named[0], keep=named[1]))
    return (charts.by_place(sel.frame, keep=sel.keep),
            charts.chart_filename("by-place", sel.frame, keep=sel.keep))


def first_page(df: pd.DataFrame, pinned,
               fetch: Callable[[list[int]], pd.DataFrame] | None = None
               ) -> list[tuple[str, Callable[[], object]]]:
    """The Overview's first page (no filter): its cards and its chart by place, as ``(key,
    compute)`` pairs under the keys the page caches them by, so that whoever computes them first
    (the page, a command, the server before anyone asks) computes them for the others. ``fetch``:
    ``df`` is a narrow frame (see ``Selection``)."""
    f = Filters()
    sel = Selection(df, f, fetch)
    return [(cards_key(f, pinned), lambda: overview_cards(sel, pinned)),
            (by_place_key(f), lambda: overview_by_place(sel))]


def prepare_overview(store: Store) -> bool:
    """Bring the dashboard's cache up to date with the store after a command changed it: the frame
    of figures (a patch of the stories changed) and the Overview's first page (no filter: its cards
    and chart by place), so the next dashboard start finds them instead of computing them (about
    2 s at 1,000,000 figures). Only for a store the dashboard has shown before (a cached frame of
    it exists, and this state can be made from it by reading the changed stories): a store nobody
    opens in the dashboard costs nothing, nor does a cache made by another version. False when
    nothing was done, or when another commit came in between (the next start computes that state
    itself)."""
    if not has_cached_frame(store):
        return False
    version = store.data_version()
    df = load_all_figures(store)
    if store.data_version() != version:
        return False
    for key, compute in first_page(df, store.pinned_ids()):
        cached_view(store, version, key, compute)
    frames_written()
    return True


def filter_mask(df: pd.DataFrame, f: Filters) -> pd.Series:
    """True for each row of ``df`` that ``f`` selects (see ``apply_filters``)."""
    keep = pd.Series(True, index=df.index)
    for column, values in (("category", f.categories), ("country", f.countries),
                           ("location", f.places), ("source", f.sources),
                           ("review_status", f.statuses)):
        if values:
            keep &= df[column].isin(values)
    dates = df["reported_date"].fillna("")
    if f.date_from or f.date_to:
        keep &= ~dates.str.startswith("--")
    if f.date_from:
        keep &= dates >= f.date_from
    if f.date_to:
        keep &= dates <= f.date_to
    if not f.include_combatants:
        keep &= df["combatant"] == 0
    if f.search.strip():
        keep &= df["quote"].str.lower().str.contains(f.search.strip().lower(), regex=False)
    if f.document_id is not None:
        keep &= df["document_id"] == f.document_id
    elif not f.copies and "copy_of_figure" in df.columns:
        keep &= df["copy_of_figure"].isna()
    return keep


def choices(store: Store) -> dict[str, list[str]]:
    """The values each filter can take, from what is stored (for the select boxes)."""
    def distinct(column):
        return [r[0] for r in store.conn.execute(
            f"SELECT DISTINCT {column} FROM figures WHERE {column} != '' ORDER BY {column}")]
    return {"countries": distinct("country"), "places": distinct("location"),
            "sources": distinct("source")}


def format_date(iso) -> str:
    """'2017-09-20' -> '20 Sep 2017'; '--09-20' (no year) -> '20 Sep (year not stated)', never the
    bare '--09-20'; '' or a missing cell -> 'date unknown'. Other text is shown as it is."""
    iso = _str(iso).strip()
    if not iso:
        return "date unknown"
    shown = charts.format_date(iso)
    if shown == "date not stated":        # not a date charts can read: "2017-02-30", "--13-01"
        return "date not stated" if iso.startswith("--") else iso
    return shown


def number_words(row) -> str:
    """The number as a briefing would print it: 'up to 25,000', 'more than 320,000',
    '20,000–99,999' for a vague phrase. Uses the stored bounds, so a correction shows."""
    q, v = row["qualifier"], row["value"]
    lo, hi = row.get("value_low"), row.get("value_high")

    def n(x):
        return f"{x:,.0f}" if float(x).is_integer() else f"{x:,}"
    if q == "at_most" and _present(hi):
        return f"up to {n(hi)}"
    if q == "at_least" and _present(lo):
        return f"at least {n(lo)}"
    if q in ("range", "vague") and _present(lo) and _present(hi):
        return f"{n(lo)}–{n(hi)}"
    if q == "approx":
        return f"about {n(v)}"
    return n(v)


def _present(x) -> bool:
    return x is not None and not pd.isna(x)


def _str(x) -> str:
    """A text cell as a string: '' for a missing one (None, NaN, pd.NA)."""
    return str(x) if _present(x) else ""


def _one_line(x) -> str:
    return " ".join(_str(x).split())


def credit(source, speaker=None) -> str:
    """Who a figure is credited to, in one line: 'UNICEF (Marixie Mercado)'; the source alone
    when no person is named, or when the source's text already names the speaker ('Dr Ahmed
    Hassan, the hospital's director' with speaker 'Ahmed Hassan'); the speaker alone when no body
    is; '' when neither. Plain text: the caller escapes it for where it is shown."""
    src, who = _one_line(source), _one_line(speaker)
    if not who:
        return src
    if not src:
        return who
    if re.search(rf"(?<!\w){re.escape(who)}(?!\w)", src, re.IGNORECASE):
        return src
    return f"{src} ({who})"


def credits(sources: pd.Series, speakers: pd.Series | None) -> list[str]:
    """``credit`` of each row, computed once per distinct (source, speaker)."""
    if speakers is None:
        speakers = pd.Series("", index=sources.index)
    src_codes, src_uniques = pd.factorize(sources, use_na_sentinel=False)
    spk_codes, spk_uniques = pd.factorize(speakers, use_na_sentinel=False)
    n = max(len(spk_uniques), 1)
    codes, pairs = pd.factorize(src_codes.astype(np.int64) * n + spk_codes)
    shown = np.array([credit(src_uniques[p // n], spk_uniques[p % n]) for p in pairs] + [""],
                     dtype=object)
    return list(shown[codes])


def source_line(row) -> str:
    """'UNICEF (Marixie Mercado) via Reuters · 20 Sep 2017': who says so, the outlet carrying it,
    and when."""
    src = credit(row.get("source"), row.get("speaker")) or "source not stated"
    outlet = _str(row.get("document_outlet"))
    if outlet and outlet.lower() not in src.lower():
        src = f"{src} via {outlet}"
    return f"{src} · {format_date(row.get('reported_date'))}"


def place_line(row) -> str:
    """'Raqqa (town), SYR': the place, how specific it is, and its country code."""
    place = _one_line(row.get("location"))
    level = LEVEL_WORDS.get(_str(row.get("location_level")), "")
    country = _one_line(row.get("country"))
    if place and level:
        place = f"{place} ({level})"
    return ", ".join(p for p in (place or "place not stated", country) if p)


def figure_dated(row) -> str:
    """The date the text gives for the figure, when it is not the article's: '1 Mar 2017
    ("since 1 March")'; '1 Mar (year not stated) ("since 1 March")' without a year; the words
    alone when no date could be read from them; '' when the text gives none."""
    when = _str(row.get("figure_date")).strip()
    words = _one_line(row.get("figure_date_text"))
    shown = format_date(when) if when else ""
    if words:
        shown = f'{shown} ("{words}")' if shown else f'"{words}"'
    return shown


def outlet_name(doc: dict) -> str:
    """What a document of a story is called in one line: its outlet, else its site's name, else
    its title, else 'document N'. Plain text."""
    name = _one_line(doc.get("outlet"))
    if not name:
        m = re.match(r"https?://(?:www\.)?([^/:?#\s]{1,253})", _str(doc.get("url")), re.I)
        name = m.group(1) if m else _one_line(doc.get("title"))[:80]
    return name or f"document {doc.get('id')}"


def story_facts(row, story: list[dict] = ()) -> dict[str, str]:
    """The provenance panel's lines about the figure's story: the other outlets that carried
    it (``story``: ``Store.story_documents``), and for a figure that repeats an earlier copy,
    the figure it repeats. Plain text."""
    facts = {}
    if story:
        names = list(dict.fromkeys(outlet_name(d) for d in story))
        facts["also carried by"] = "; ".join(names)
    head_id = row.get("copy_of_document")
    if _present(head_id):
        head = next((d for d in story if d.get("id") == int(head_id)), None)
        if head is not None:
            facts["story first carried by"] = outlet_name(head)
    repeats = row.get("copy_of_figure")
    if _present(repeats):
        facts["copy of"] = (f"figure {int(repeats)}, the same figure in an earlier document of "
                            "this story: counted there, not again")
    elif _present(head_id):
        facts["copy of"] = "none: only this version of the story gives this figure, so it counts"
    return facts


def provenance_facts(row, total: dict | None = None, parts: list[dict] = (),
                     story: list[dict] = ()) -> dict[str, str]:
    """The provenance panel's table: every field of a stored figure (``figure_rows``), as
    plain text, in the order an analyst checks them; for a part of a breakdown the ``total``
    it is part of, for a total its ``parts`` (see ``breakdown_facts``); the other documents of
    its ``story`` (see ``story_facts``)."""
    def text(key):
        return _str(row.get(key))
    page = row.get("page")
    facts = {
        "as written": text("number_text"),
        "qualifier": QUALIFIER_WORDS.get(text("qualifier"), text("qualifier")),
        "who": text("who") + (" (combatants)" if row.get("combatant") else ""),
        "decided by": text("term"),
        "place": place_line(row),
        "source": text("source") or "not stated",
        "speaker": text("speaker") or "no person named",
        "reported": format_date(row.get("reported_date")),
    }
    if figure_dated(row):
        facts["figure dated"] = figure_dated(row)
    facts.update(breakdown_facts(total, parts))
    if _present(row.get("part_of")) and "part of" not in facts:
        facts["part of"] = "a total not stored"
    facts["document"] = text("document_title") or text("doc_id")
    facts.update(story_facts(row, story))
    facts["characters"] = f"{row.get('start')}–{row.get('end')}" + (
        f", page {int(page)}" if _present(page) and page else "")
    facts["review"] = text("review_status") + (f": {text('review_note')}"
                                               if text("review_note") else "")
    if row.get("review_status") == "corrected":
        value = row.get("extracted_value")
        place = dict(location=row.get("extracted_location"),
                     location_level=row.get("extracted_location_level"),
                     country=row.get("extracted_country"))
        facts["as extracted"] = " · ".join((
            f"{value:,.0f}" if _present(value) else "?", text("extracted_category"),
            place_line(place),
            credit(row.get("extracted_source"), row.get("extracted_speaker"))
            or "source not stated"))
    return facts


def table_frame(df: pd.DataFrame) -> pd.DataFrame:
    """The Figures table: ``TABLE_COLUMNS`` of the rows, dates in words ('30 Jul (year not
    stated)', never '--07-30'), the source as its one-line credit, the qualifier in words."""
    table = pd.DataFrame(index=df.index)
    for col in TABLE_COLUMNS:
        table[col] = df[col] if col in df.columns else ""
    for col, blank in (("reported_date", None), ("figure_date", "")):
        values = table[col].fillna("")
        shown = {v: (blank if blank is not None and not v else format_date(v))
                 for v in values.unique()}
        table[col] = values.map(shown)
    table["source"] = credits(df["source"], df.get("speaker")) if len(df) else []
    table["qualifier"] = table["qualifier"].map(QUALIFIER_WORDS)
    table["part_of"] = part_of_lines(df)
    return table


def _total_words(row) -> str:
    """A total as a part's line names it: "23 killed (ID 45)"."""
    return f"{number_words(row)} {_str(row.get('category'))} (ID {int(row['figure_id'])})"


def part_of_lines(df: pd.DataFrame) -> list[str]:
    """For each row, what it is a part of: "part of 23 killed (ID 45)" for a part of a breakdown
    whose total is in ``df``, "part of figure 45" when the total is not (filtered out), "" for a
    figure that stands alone."""
    if "part_of_figure_id" not in df.columns or not len(df):
        return [""] * len(df)
    totals = df[df["figure_id"].isin(df["part_of_figure_id"].dropna())]
    words = {int(r["figure_id"]): _total_words(r) for r in totals.to_dict("records")}
    out = []
    for total, offset in zip(df["part_of_figure_id"], df.get("part_of", df["part_of_figure_id"])):
        if _present(total):
            out.append(f"part of {words[int(total)]}" if int(total) in words
                       else f"part of figure {int(total)}")
        else:
            out.append("part of a total not stored" if _present(offset) else "")
    return out


def breakdown_facts(total: dict | None = None, parts: list[dict] = ()) -> dict[str, str]:
    """The provenance panel's lines about a breakdown: for a part, the total it is part of
    ("23 killed (ID 45)"); for a total, its parts ("4 killed, security forces (ID 46); ...").
    ``total``/``parts``: rows of ``figure_rows`` (``Store.total_of``, ``Store.parts_of``)."""
    facts = {}
    if total is not None:
        facts["part of"] = _total_words(total) + ": counted in that total, not again"
    if parts:
        facts["parts"] = "; ".join(
            f"{number_words(p)} {_str(p.get('who'))}"
            + (" (combatants)" if p.get("combatant") else "") + f" (ID {int(p['figure_id'])})"
            for p in parts) + ": counted in this total, not again"
    return facts


@dataclass
class Card:
    category: str
    number: str           # "up to 25,000"
    place: str            # "Raqqa" or "place not stated"
    source: str           # "UN via AFP · 20 Sep 2017"
    figure_id: int
    document_id: int
    document_title: str
    document_url: str
    agreement: str = ""   # the place's key figure: "20,000–50,000 trapped · 3 sources disagree"


def key_figures(df: pd.DataFrame, pinned: set[int] | frozenset = frozenset()) -> list:
    """The key figure of each place and category of the civilian figures of ``df``
    (``figures.keyfigures.reconcile``); ``pinned``: ``Store.pinned_ids()``."""
    from .keyfigures import reconcile
    if df.empty:
        return []
    return reconcile(df[df["combatant"] == 0], pinned=pinned)


KEY_TABLE_COLUMNS = {"label": "Key figure", "location": "Place", "country": "Country",
                     "number_text": "Latest estimate", "source": "Its source", "date": "Dated",
                     "sources": "Sources", "conflict": "Sources disagree",
                     "by_source": "What each source said",
                     "figure_ids": "Figures compared (IDs)", "figure_id": "figure_id"}


def key_figures_table(key_figures_list: list) -> pd.DataFrame:
    """The Key figures table: one row per place and category, plain text."""
    from .keyfigures import frame
    t = frame(key_figures_list)
    t["figure_ids"] = t["figure_ids"].map(lambda ids: ", ".join(map(str, ids)))
    t["number_text"] = [f"{r.number_text or r.value} {r.category}" for r in t.itertuples()]
    return t[list(KEY_TABLE_COLUMNS)].rename(columns=KEY_TABLE_COLUMNS)


def latest_cards(df: pd.DataFrame, pinned: set[int] | frozenset = frozenset(),
                 keep: np.ndarray | None = None) -> dict[str, Card | None]:
    """One card per category: its most recent civilian figure under the current filter (full
    dates first, then the newest date, then the highest figure_id; see ``latest_card_rows``).
    ``keep``: of the rows of ``df`` where it is True (the same cards as from ``df[keep]``,
    without copying the rows: ``Selection.mask``)."""
    cards: dict[str, Card | None] = {c: None for c in CATEGORIES}
    if df.empty or (keep is not None and not keep.any()):
        return cards
    at, near = card_positions(df, keep)
    rows = df.iloc[at]
    # the key figures of the cards' places only (not of every place under the filter)
    keys = {(k.category, k.location or k.country): k
            for k in key_figures(df.iloc[near], pinned)} if len(near) else {}
    for _, row in rows.iterrows():
        cat = row["category"]
        key = keys.get((cat, row.get("location") or row.get("country") or ""))
        # _str: a missing text is None or NaN as its column is typed (Selection.digest)
        cards[cat] = Card(cat, number_words(row), _str(row["location"]) or "place not stated",
                          source_line(row), int(row["figure_id"]), int(row["document_id"]),
                          _str(row["document_title"]) or _str(row["doc_id"]),
                          _str(row["document_url"]),
                          key.label if key is not None and key.sources > 1 else "")
    return cards


def card_positions(df: pd.DataFrame, keep: np.ndarray | None = None
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Where the rows the cards read lie in ``df``: (each card's row, as ``latest_card_rows``;
    every row of the cards' categories and places, whose key figures the cards show). Reads only
    the columns category, location, country, reported_date, figure_id, combatant and part_of."""
    at = latest_card_positions(df, keep)
    if not len(at):
        return at, at
    def place(d):      # a figure's place: its location, else its country
        loc = d["location"].fillna("")
        if "country" not in d:
            return loc.astype(str)
        return loc.astype(str).where(loc != "", d["country"].fillna("").astype(str))
    rows = df.iloc[at]
    places = place(rows)
    wanted = set(rows["category"].astype(str) + "\x1f" + places)
    # the rows of the cards' categories whose place or country is a card's place first (a
    # million rows joined into keys cost 0.2 s), then their exact (category, place)
    places = set(places)
    near = np.flatnonzero(
        (df["category"].isin(set(rows["category"]))
         & (df["location"].isin(places)
            | (df["country"].isin(places) if "country" in df else False))).to_numpy(dtype=bool)
        & (True if keep is None else keep))
    keys = df[[c for c in ("category", "location", "country") if c in df]].iloc[near]
    mine = (keys["category"].astype(str) + "\x1f" + place(keys)).isin(wanted).to_numpy(dtype=bool)
    return at, near[mine]


def latest_card_rows(df: pd.DataFrame, keep: np.ndarray | None = None) -> pd.DataFrame:
    """The row of each category's card: of the civilian figures that are not parts of a
    breakdown, those with a full date first,
    then by the date as written, then by figure_id, the last (ties: the later row). The same rows
    as ``civilians.sort_values([dated, date, "figure_id"], kind="stable").groupby("category",
    sort=False).tail(1)``, found by sorting the three key columns only. ``keep``: of the rows
    where it is True only."""
    return df.iloc[latest_card_positions(df, keep)]


def latest_card_positions(df: pd.DataFrame, keep: np.ndarray | None = None) -> np.ndarray:
    """Where the rows of ``latest_card_rows`` lie in ``df``."""
    # a part of a breakdown ("4 children" of "23 people, including 4 children") is no card: its
    # total is the figure
    civilian = ((df["combatant"] == 0) & ~charts.is_part(df)).to_numpy(dtype=bool)
    if keep is not None:
        civilian = civilian & keep
    at = np.flatnonzero(civilian)
    # the keys of every row, then those of the civilians kept (numbers: no text copied); the
    # patterns are matched once per distinct date
    dated, dates = _card_dates(df)
    picked = last_per_group(_categories(df)[at],
                            [dated[at], dates[at], sort_codes(df["figure_id"])[at]])
    return at[picked]


def _card_dates(df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(whether each row's report date is dated, its order), as the cards sort them
    (``charts.date_keys``)."""
    return charts.date_keys(df)[2:]


def _categories(df: pd.DataFrame) -> np.ndarray:
    return remember.remembered(df, "categories", ("category",),
                               lambda: group_codes(df["category"]))


def remember_keys(df: pd.DataFrame) -> None:
    """Code the key columns of a big frame the dashboard keeps (``remember.remembered``) before a
    filter change needs them: its server does so after reading the frame in the background."""
    if len(df) >= remember.KEYS_MIN_ROWS and {"reported_date", "category", "location"} <= set(df):
        _categories(df), charts.date_keys(df), charts.key_groups(df)

# ---------------------------------------------------------------------------------------------
# Filters in the address bar: a link reproduces the view

_LIST_PARAMS = {"category": "categories", "country": "countries", "place": "places",
                "source": "sources", "status": "statuses"}


def filters_to_params(f: Filters) -> dict[str, str | list[str]]:
    """The filters as query parameters; defaults are left out so links stay short."""
    default = Filters()
    out: dict[str, str | list[str]] = {}
    for param, attr in _LIST_PARAMS.items():
        v = list(getattr(f, attr))
        if v != list(getattr(default, attr)):
            out[param] = v if v else ["all"] if attr == "statuses" else []
    if f.date_from:
        out["from"] = f.date_from
    if f.date_to:
        out["to"] = f.date_to
    if f.include_combatants:
        out["combatants"] = "1"
    if f.search:
        out["q"] = f.search
    if f.copies:
        out["copies"] = "1"
    return {k: v for k, v in out.items() if v != []}


def filters_from_params(params) -> Filters:
    """Filters from query parameters (``st.query_params`` or a dict of str | list[str]).
    Unknown or malformed values are dropped, never trusted."""
    def get_list(key):
        if hasattr(params, "get_all"):
            v = params.get_all(key)
        else:
            v = params.get(key, [])
            v = [v] if isinstance(v, str) else list(v)
        return [x for x in v if isinstance(x, str) and 0 < len(x) <= 200]

    def get_one(key):
        v = get_list(key)
        return v[0] if v else ""

    f = Filters()
    cats = tuple(c for c in get_list("category") if c in CATEGORIES)
    statuses = get_list("status")
    statuses = (() if statuses == ["all"] else
                tuple(s for s in statuses if s in REVIEW_STATUSES) or f.statuses)
    dates = {}
    for key in ("from", "to"):
        try:
            dates[key] = date.fromisoformat(get_one(key)).isoformat()
        except ValueError:
            dates[key] = ""
    return replace(
        f, categories=cats, countries=tuple(get_list("country")), places=tuple(get_list("place")),
        sources=tuple(get_list("source")), statuses=statuses, date_from=dates["from"],
        date_to=dates["to"], include_combatants=get_one("combatants") in ("1", "true"),
        search=get_one("q"), copies=get_one("copies") in ("1", "true"))


def describe_filters(f: Filters) -> str:
    """The filter as a sentence, for 'no figures match …' and download file names."""
    parts = []
    if f.categories:
        parts.append(", ".join(f.categories))
    for label, values in (("in", f.places), ("country", f.countries), ("from", f.sources)):
        if values:
            parts.append(f"{label} {', '.join(values)}")
    if f.date_from or f.date_to:
        parts.append(f"reported {f.date_from or '…'} to {f.date_to or '…'}")
    if f.search:
        parts.append(f"quote contains “{f.search}”")
    if f.include_combatants:
        parts.append("combatants included")
    if f.copies:
        parts.append("every copy of a story")
    return "; ".join(parts) or "all civilian figures"


# ---------------------------------------------------------------------------------------------
# A document's text with its figures marked


@dataclass
class Segment:
    start: int
    end: int
    figure: dict | None      # the figure row this span belongs to, None for plain text
    first: bool = True       # the figure's first piece (a total is cut around its parts)


def segments(text: str, figures: list[dict]) -> list[Segment]:
    """Split a text into plain and figure spans, in order, covering the text exactly once.
    A figure whose span holds others (a total and its parts: "Six civilians, including four
    children, were killed") is cut around them, so each is marked; other overlapping figures:
    the earlier one keeps its span, the later one starts after it."""
    spans = sorted(((int(f["start"]), int(f["end"]), f) for f in figures),
                   key=lambda t: (t[0], t[1]))
    pieces = []
    for k, (a, b, f) in enumerate(spans):
        inner = []      # the figures inside this one: they start at or after it, before its end
        for x, y, g in spans[k + 1:]:
            if x >= b:
                break
            if y <= b and (x, y) != (a, b):
                inner.append((x, y))
        for x, y, g in reversed(spans[:k]):
            if x < a:
                break
            if y < b:                   # same start, shorter
                inner.append((x, y))
        inner.sort()
        for x, y in inner:
            if x > a:
                pieces.append((a, x, f))
            a = max(a, y)
        if b > a or not inner:
            pieces.append((a, b, f))
    out, pos, seen = [], 0, set()
    for a, b, f in sorted(pieces, key=lambda p: (p[0], p[1])):
        a, b = max(a, pos), min(b, len(text))
        if b <= a:
            continue
        if a > pos:
            out.append(Segment(pos, a, None))
        out.append(Segment(a, b, f, id(f) not in seen))
        seen.add(id(f))
        pos = b
    if pos < len(text):
        out.append(Segment(pos, len(text), None))
    return out


def paragraph_around(text: str, start: int, end: int, limit: int = 1500) -> tuple[str, int, int]:
    """The paragraph holding text[start:end] and the span's offsets inside it (for the
    provenance panel): (paragraph, start_in_paragraph, end_in_paragraph)."""
    a = text.rfind("\n\n", 0, start)
    a = 0 if a < 0 else a + 2
    b = text.find("\n\n", end)
    b = len(text) if b < 0 else b
    if b - a > limit:   # a wall of text: keep a window around the figure
        a = max(a, start - limit // 2)
        b = min(b, end + limit // 2)
    return text[a:b], start - a, end - a


def filter_fields() -> list[str]:
    return [f.name for f in fields(Filters)]


def records(df: pd.DataFrame) -> list[dict]:
    """DataFrame rows as plain dicts for the exporters, with missing values as None."""
    return df.astype(object).where(df.notna(), None).to_dict("records")


def xlsx_bytes(rows, f: Filters, pinned: set[int] | frozenset = frozenset()) -> bytes:
    """The Excel workbook of these figure rows (``figures.xlsx``), for a download button."""
    import io

    from .extract import EXTRACTOR_VERSION
    from .xlsx import about_export, write_xlsx
    buf = io.BytesIO()
    write_xlsx(rows, buf, about=about_export(describe_filters(f), EXTRACTOR_VERSION),
               pinned=pinned)
    return buf.getvalue()


def download_name(f: Filters) -> str:
    """A file name that says what a download holds: 'figures-trapped-syr-2017-09-01-to-...'."""
    import re
    parts = ["figures", *f.categories, *f.countries, *f.places[:2]]
    if f.date_from or f.date_to:
        parts += [f.date_from or "start", "to", f.date_to or date.today().isoformat()]
    slug = re.sub(r"[^a-z0-9]+", "-", " ".join(parts).lower()).strip("-")
    return slug[:80].rstrip("-") or "figures"


def document_html(text: str, figures: list[dict], colours: dict[str, str],
                  article_starts: list[int] = (), limit: int = 300_000) -> str:
    """A document as HTML with every figure marked in its category's colour (hovering shows the
    record) and a rule where a new article starts. Every character of the text is escaped."""
    import html as _html
    text = text[:limit]
    cuts = sorted(a for a in article_starts if 0 < a < len(text))
    parts = ["<div style='white-space:pre-wrap;line-height:1.7;font-size:0.95rem'>"]
    for seg in segments(text, [f for f in figures if f["start"] < len(text)]):
        # article boundaries that fall inside this plain segment
        pieces, pos = [], seg.start
        for c in cuts:
            if seg.start < c <= seg.end and seg.figure is None:
                pieces.append((pos, c))
                pos = c
        pieces.append((pos, seg.end))
        for i, (a, b) in enumerate(pieces):
            if i > 0:
                n = cuts.index(a) + 2
                parts.append(f"<hr style='margin:0.8em 0 0.2em'><div style='font-size:0.8rem;"
                             f"color:#555;text-transform:uppercase'>article {n}</div>")
            chunk = _html.escape(text[a:b])
            if seg.figure is None:
                parts.append(chunk)
                continue
            f = seg.figure
            colour = colours.get(f["category"], "#888888")
            tip = _html.escape(
                f"{f['category']}: {number_words(f)} · {f['location'] or 'place not stated'} · "
                f"{credit(f['source'], f.get('speaker')) or 'source not stated'} · "
                f"{format_date(f['reported_date'])} · figure {f['figure_id']}", quote=True)
            anchor = f"id='figure-{int(f['figure_id'])}' " if seg.first and i == 0 else ""
            parts.append(f"<mark {anchor}title=\"{tip}\" "
                         f"style='background:{colour}30;border-bottom:3px solid {colour};"
                         f"padding:0 2px;border-radius:2px'>{chunk}</mark>")
    parts.append("</div>")
    return "".join(parts)
