"""The Excel export: a workbook of the figures, their documents and a "read me" sheet.

Written with XlsxWriter (made for writing .xlsx, in constant memory when the target is a file:
each row goes to a temporary file as it arrives, so an export of any size fits in memory). The
figures sheet holds exactly the CSV export's columns and cells (``export.csv_row``), except that
numbers are numbers, full ISO dates are dates and ``combatant`` is a boolean; text is always
written as text, never as a formula, and keeps the CSV's guard (a leading apostrophe before
``= + - @``) so a copy pasted into another sheet or saved as CSV stays inert.
"""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

from .schema import EXPORT_FIELDS, QUALIFIERS

SHEETS = ("Figures", "Documents", "Key figures", "Read me")
# what the key figures need of each figure row (kept while the rows stream by)
_KEY_FIELDS = ("figure_id", "document_id", "doc_id", "category", "location", "country", "value",
               "number_text", "qualifier", "source", "reported_date", "figure_date",
               "review_status", "part_of_figure_id", "combatant", "story_id")
_KEY_COLUMNS = (("category", "category", 11), ("location", "place", 24), ("country", "country", 8),
                ("value", "latest estimate", 14), ("number_text", "as written", 18),
                ("source", "its source", 26), ("date", "dated", 12), ("low", "lowest", 12),
                ("high", "highest", 12), ("sources", "sources", 8),
                ("conflict", "sources disagree", 10), ("label", "key figure", 44),
                ("figure_id", "figure_id", 10), ("figure_ids", "figures compared", 24),
                ("by_source", "what each source said", 60))

_NUMBERS = {"value", "value_low", "value_high", "extracted_value", "page", "article", "start",
            "end", "figure_id", "part_of", "part_of_figure_id", "lat", "lon"}
_DATES = {"reported_date", "figure_date"}
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# columns an analyst reads: wide; codes and numbers: narrow
_WIDTHS = {"quote": 60, "document_title": 40, "document_url": 40, "source": 28, "location": 22,
           "number_text": 18, "term": 16, "who": 16, "speaker": 20, "review_note": 24,
           "figure_date_text": 18, "document_outlet": 20, "doc_id": 18}
_DOCUMENT_COLUMNS = (("doc_id", "document id", 18), ("title", "title", 50), ("outlet", "outlet", 24),
                     ("url", "address", 50), ("date", "date", 12), ("figures", "figures", 8))
QUALIFIER_MEANINGS = {
    "exact": "the number as stated (\"320,000\")",
    "at_least": "a lower bound (\"more than 100,000\", \"at least 40\"): value_low only",
    "at_most": "an upper bound (\"up to 25,000\"): value_high only",
    "approx": "an estimate (\"nearly 150\", \"an estimated 50,000\")",
    "range": "between two numbers (\"between 3,000 and 5,000\"): value_low and value_high",
    "vague": "an order of magnitude (\"tens of thousands\" = 20,000 to 99,999)",
}
assert set(QUALIFIER_MEANINGS) == set(QUALIFIERS)


def _date(s: str):
    """A full ISO date as a date; anything else ("--07-30", "") as it is."""
    if s and _ISO_DATE.fullmatch(s):
        try:
            return dt.date.fromisoformat(s)
        except ValueError:
            return s
    return s


def write_xlsx(rows: Iterable[dict], target: str | Path | BinaryIO, *,
               about: Iterable[tuple[str, str]] = (), pinned: frozenset | set = frozenset()
               ) -> int:
    """Write the stored figures ``rows`` (``Store.iter_figures``, or the dashboard's records) to
    an .xlsx workbook at ``target`` (a path, or a binary file object such as ``io.BytesIO``),
    with a sheet of the documents they come from (title, outlet, address, date, how many of the
    figures) and a "read me" sheet listing ``about`` (what was exported: filters, version) and
    what the columns mean, and a sheet of key figures (``figures.keyfigures``: each place and
    category's sources reconciled, civilian figures; ``pinned``: ``Store.pinned_ids()``).
    Returns the number of figure rows."""
    import pandas as pd

    from .keyfigures import reconcile
    import xlsxwriter

    from .export import csv_row
    in_memory = not isinstance(target, (str, Path))
    wb = xlsxwriter.Workbook(str(target) if not in_memory else target,
                             {"constant_memory": not in_memory, "in_memory": in_memory,
                              "strings_to_formulas": False, "strings_to_urls": False,
                              "strings_to_numbers": False})
    try:
        bold = wb.add_format({"bold": True, "bg_color": "#EEEEEE", "bottom": 1})
        date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
        wrap = wb.add_format({"text_wrap": True, "valign": "top"})

        ws = wb.add_worksheet(SHEETS[0])
        for c, name in enumerate(EXPORT_FIELDS):
            ws.set_column(c, c, _WIDTHS.get(name, max(10, min(16, len(name) + 2))))
            ws.write_string(0, c, name, bold)
        ws.freeze_panes(1, 0)
        n = 0
        documents: dict[str, dict] = {}
        kept: list[tuple] = []
        for row in rows:
            n += 1
            kept.append(tuple(row.get(k) for k in _KEY_FIELDS))
            doc = documents.setdefault(str(row.get("doc_id")), {
                "doc_id": row.get("doc_id"), "title": row.get("document_title"),
                "outlet": row.get("document_outlet"), "url": row.get("document_url"),
                "date": row.get("reported_date"), "figures": 0})
            doc["figures"] += 1
            cells = csv_row(row)
            for c, name in enumerate(EXPORT_FIELDS):
                raw, cell = row.get(name), cells[name]
                if name in _NUMBERS and raw is not None and cell != "":
                    ws.write_number(n, c, float(raw))
                elif name == "combatant":
                    ws.write_boolean(n, c, bool(raw))
                elif name in _DATES and isinstance(_date(cell), dt.date):
                    ws.write_datetime(n, c, _date(cell), date_fmt)
                elif cell != "":
                    ws.write_string(n, c, cell)
        ws.autofilter(0, 0, max(n, 1), len(EXPORT_FIELDS) - 1)

        def sheet(name: str, columns) -> object:
            """A sheet with its header row frozen, each column at its width."""
            sh = wb.add_worksheet(name)
            for c, (_, title, width) in enumerate(columns):
                sh.set_column(c, c, width)
                sh.write_string(0, c, title, bold)
            sh.freeze_panes(1, 0)
            return sh

        def put(sh, r: int, c: int, v, date_column: bool) -> None:
            """One cell by the value's type: a boolean, a number, a full date in a date
            column, else guarded text (nothing for an empty value)."""
            if isinstance(v, bool):
                sh.write_boolean(r, c, v)
            elif isinstance(v, (int, float)):
                sh.write_number(r, c, float(v))
            elif date_column and isinstance(_date(str(v or "")), dt.date):
                sh.write_datetime(r, c, _date(str(v)), date_fmt)
            elif v is not None and v != "":
                sh.write_string(r, c, csv_row({"quote": str(v)})["quote"])

        ds = sheet(SHEETS[1], _DOCUMENT_COLUMNS)
        r = 0
        for doc in documents.values():
            r += 1
            for c, (key, _, _) in enumerate(_DOCUMENT_COLUMNS):
                put(ds, r, c, doc.get(key), key == "date")
        ds.autofilter(0, 0, max(r, 1), len(_DOCUMENT_COLUMNS) - 1)

        ks = sheet(SHEETS[2], _KEY_COLUMNS)
        frame = pd.DataFrame(kept, columns=list(_KEY_FIELDS))
        frame = frame[~frame["combatant"].fillna(False).astype(bool)] if len(frame) else frame
        keys = reconcile(frame, pinned=pinned) if len(frame) else []
        for r_k, k in enumerate(keys, start=1):
            for c, (key, _, _) in enumerate(_KEY_COLUMNS):
                v = getattr(k, key)
                put(ks, r_k, c, ", ".join(map(str, v)) if key == "figure_ids" else v,
                    key == "date")
        ks.autofilter(0, 0, max(len(keys), 1), len(_KEY_COLUMNS) - 1)

        rm = wb.add_worksheet(SHEETS[3])
        rm.set_column(0, 0, 24)
        rm.set_column(1, 1, 90, wrap)
        lines = [("Humanitarian Figures export", ""), *about,
                 ("figure rows", str(n)), ("documents", str(r)), ("key figures", str(len(keys))),
                 ("", ""),
                 ("Key figures", "for each place and category, the latest estimate and each "
                                 "source's latest figure within 30 days before it; sources more "
                                 "than 1.5 times apart disagree. Civilian figures; rejected "
                                 "figures and parts of breakdowns left out."),
                 ("Qualifiers", "how the number was stated (column qualifier)"),
                 *((q, QUALIFIER_MEANINGS[q]) for q in QUALIFIERS), ("", ""),
                 ("value", "the number a chart plots: the stated number, or the low bound"),
                 ("combatant", "TRUE for fighters, soldiers and security forces"),
                 ("part_of", "for a part of a breakdown (\"4 children\" of \"23 people, "
                             "including 4 children\"), the start of its total; "
                             "part_of_figure_id is the total's figure_id. Add parts to nothing: "
                             "their total counts them."),
                 ("lat, lon", "where the place is drawn on the map: a town's coordinates, a "
                              "country's centroid, a region's seat town; empty for a part of a "
                              "country, a list of places or a place the gazetteer cannot place"),
                 ("quote", "the sentence the figure was read from; start and end are its "
                           "character offsets in the document"),
                 ("extracted_*", "the values as first extracted, beside an analyst's "
                                 "corrections"),
                 ("text cells", "text from documents is written as text, never as a formula; "
                                "a cell starting with = + - @ keeps a leading apostrophe, as in "
                                "the CSV")]
        for i, (k, v) in enumerate(lines):
            if k:
                rm.write_string(i, 0, k, bold if i == 0 or not v else None)
            if v:
                rm.write_string(i, 1, csv_row({"quote": v})["quote"])
    finally:
        wb.close()
    return n


def about_export(filters_text: str, version: str, when: dt.datetime | None = None
                 ) -> list[tuple[str, str]]:
    """The "read me" lines of an export: the filters used, the extractor version, the date."""
    when = when or dt.datetime.now(dt.timezone.utc)
    return [("filters", filters_text or "none: every figure"),
            ("extractor version", version),
            ("exported", when.strftime("%Y-%m-%d %H:%M UTC"))]
