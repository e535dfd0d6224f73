"""Exports of stored figures: CSV (every column), HXL-tagged CSV (HDX style) and JSON lines.

Rows come from ``Store.iter_figures`` (corrections applied, review status beside them) and are
written as they arrive, so an export of any size runs in constant memory.

Spreadsheet safety: a text cell that starts with ``= + - @`` (or a tab/CR) would run as a formula
when an analyst opens the CSV in Excel or LibreOffice, and quotes come from untrusted documents.
Such cells get a leading apostrophe, the usual guard (OWASP "CSV injection"); numbers are untouched.
"""
from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from typing import TextIO

from .schema import CATEGORIES, EXPORT_FIELDS, HXL_COLUMNS, format_number

FORMATS = ("csv", "hxl", "jsonl")
_NUMBERS = {"value", "value_low", "value_high", "extracted_value", "page", "article", "start",
            "end", "figure_id", "part_of", "part_of_figure_id", "story_id", "copy_of_document",
            "copy_of_figure", "lat", "lon"}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(name: str, v) -> str:
    if v is None:
        return ""
    if name == "combatant":
        return "true" if v else "false"
    if name in _NUMBERS or isinstance(v, float):
        return format_number(v)
    s = str(v)
    return "'" + s if s.startswith(_FORMULA_START) else s


def csv_row(row: dict) -> dict[str, str]:
    """One stored figure as the strings of an export row (EXPORT_FIELDS)."""
    return {name: _cell(name, row.get(name)) for name in EXPORT_FIELDS}


def hxl_row(row: dict) -> list[str]:
    """One stored figure as an HXL row: its value in its category's column, the others empty."""
    out = []
    for name, _tag in HXL_COLUMNS:
        if name in CATEGORIES:
            out.append(_cell("value", row["value"]) if row["category"] == name else "")
        else:
            out.append(_cell(name, row.get(name)))
    return out


def json_record(row: dict) -> dict:
    rec = {name: row.get(name) for name in EXPORT_FIELDS}
    rec["combatant"] = bool(rec["combatant"])
    return rec


def write(rows: Iterable[dict], out: TextIO, fmt: str = "csv") -> int:
    """Write the rows in one of FORMATS; returns how many were written."""
    n = 0
    if fmt == "csv":
        w = csv.DictWriter(out, fieldnames=EXPORT_FIELDS, lineterminator="\n")
        w.writeheader()
        for row in rows:
            w.writerow(csv_row(row))
            n += 1
    elif fmt == "hxl":
        w = csv.writer(out, lineterminator="\n")
        w.writerow([name for name, _ in HXL_COLUMNS])
        w.writerow([tag for _, tag in HXL_COLUMNS])
        for row in rows:
            w.writerow(hxl_row(row))
            n += 1
    elif fmt == "jsonl":
        for row in rows:
            out.write(json.dumps(json_record(row), ensure_ascii=False) + "\n")
            n += 1
    else:
        raise ValueError(f"unknown export format {fmt!r}; use one of {', '.join(FORMATS)}")
    return n


def to_text(rows: Iterable[dict], fmt: str = "csv") -> str:
    """The export as one string (for a download button)."""
    import io
    buf = io.StringIO()
    write(rows, buf, fmt)
    return buf.getvalue()
