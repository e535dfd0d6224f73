"""The Excel export: the workbook opened with openpyxl, compared with the CSV export of the same
store, from the command line and from the dashboard's download."""
import csv
import datetime as dt
import io
import subprocess
import sys

import openpyxl
import pytest

from conftest import ROOT
from figures.schema import EXPORT_FIELDS
from figures.store import Filters, Store
from figures.views import xlsx_bytes
from figures.xlsx import SHEETS

# an invented quote that would run as a formula in a spreadsheet if written as one
HOSTILE = ("=HYPERLINK(\"http://example.invalid\",\"x\") Floods have displaced 12,000 people in "
           "Sindh province, officials said on 3 August 2022.\n")


def run(*args):
    return subprocess.run([sys.executable, "-m", "figures", *args], capture_output=True, text=True,
                          cwd=ROOT)


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "store.db"
    with Store(path) as s:
        s.seed_sample()
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "hostile.txt").write_text(HOSTILE, encoding="utf-8")
    r = run("ingest", str(tmp_path / "docs"), "--db", str(path))
    assert r.returncode == 0, r.stderr
    return path


def _csv_rows(db):
    r = run("export", "--db", str(db), "--include-combatants")
    assert r.returncode == 0, r.stderr
    return list(csv.DictReader(io.StringIO(r.stdout)))


def _as_csv_text(v) -> str:
    """An Excel cell as the CSV writes the same value."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, dt.datetime):
        return v.date().isoformat()
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() else repr(v)
    if isinstance(v, int):
        return str(v)
    return v


def test_the_figures_sheet_holds_the_csv_rows_with_numbers_dates_and_booleans_typed(db, tmp_path):
    out = tmp_path / "figures.xlsx"
    r = run("export", "--db", str(db), "--include-combatants", "--format", "xlsx", "-o", str(out))
    assert r.returncode == 0, r.stderr
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == list(SHEETS)
    ws = wb["Figures"]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0] == EXPORT_FIELDS
    expected = _csv_rows(db)
    assert len(rows) - 1 == len(expected) >= 20
    for got, want in zip(rows[1:], expected):
        assert {k: _as_csv_text(v) for k, v in zip(EXPORT_FIELDS, got)} == want
    col = {name: i for i, name in enumerate(EXPORT_FIELDS)}
    first = rows[1]
    assert isinstance(first[col["value"]], (int, float))
    assert isinstance(first[col["figure_id"]], (int, float))
    assert isinstance(first[col["combatant"]], bool)
    dates = [row[col["reported_date"]] for row in rows[1:] if row[col["reported_date"]]]
    # a full date is a date; one without a year ("--07-30") stays as written
    assert any(isinstance(d, dt.datetime) for d in dates)
    # (as in the CSV, with the guard a cell starting with "-" gets)
    assert all(isinstance(d, dt.datetime) or d.startswith("'--") for d in dates)
    # the header row is frozen and filters are on over every column
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref.startswith("A1:")
    assert ws.column_dimensions["A"].width > 5


def test_text_is_never_a_formula(db, tmp_path):
    out = tmp_path / "figures.xlsx"
    assert run("export", "--db", str(db), "--format", "xlsx", "-o", str(out)).returncode == 0
    ws = openpyxl.load_workbook(out)["Figures"]
    col = EXPORT_FIELDS.index("quote")
    quotes = [row[col] for row in ws.iter_rows(min_row=2, values_only=True)]
    hostile = [q for q in quotes if "HYPERLINK" in q]
    assert hostile and all(q.startswith("'=") for q in hostile)
    for row in ws.iter_rows(min_row=2):
        assert all(cell.data_type != "f" for cell in row)


def test_the_documents_and_read_me_sheets(db, tmp_path):
    out = tmp_path / "f.xlsx"
    assert run("export", "--db", str(db), "--category", "trapped", "--format", "xlsx",
               "-o", str(out)).returncode == 0
    wb = openpyxl.load_workbook(out)
    docs = list(wb["Documents"].iter_rows(values_only=True))
    assert docs[0] == ("document id", "title", "outlet", "address", "date", "figures")
    figures = list(wb["Figures"].iter_rows(min_row=2, values_only=True))
    # one line per document of the exported figures, with how many of them it holds
    assert sum(d[5] for d in docs[1:]) == len(figures) > 0
    doc_col = EXPORT_FIELDS.index("doc_id")
    assert {d[0] for d in docs[1:]} == {f[doc_col] for f in figures}
    readme = dict((k, v) for k, v in wb["Read me"].iter_rows(values_only=True) if k)
    assert readme["filters"] == "trapped"
    from figures.extract import EXTRACTOR_VERSION
    assert readme["extractor version"] == EXTRACTOR_VERSION
    assert readme["exported"].startswith(str(dt.date.today().year))
    assert readme["figure rows"] == str(len(figures))
    for q in ("exact", "at_least", "at_most", "approx", "range", "vague"):
        assert readme[q]


def test_the_key_figures_sheet(db, tmp_path):
    out = tmp_path / "k.xlsx"
    assert run("export", "--db", str(db), "--format", "xlsx", "-o", str(out)).returncode == 0
    rows = list(openpyxl.load_workbook(out)["Key figures"].iter_rows(values_only=True))
    head = rows[0]
    keyed = [dict(zip(head, r)) for r in rows[1:]]
    raqqa = [k for k in keyed if (k["category"], k["place"]) == ("trapped", "Raqqa")]
    # the sample's three sources on Raqqa's trapped disagree
    assert raqqa and raqqa[0]["sources"] >= 2 and raqqa[0]["sources disagree"] is True
    assert "disagree" in raqqa[0]["key figure"] and ": " in raqqa[0]["what each source said"]
    with Store(db) as s:
        for fid in map(int, str(raqqa[0]["figures compared"]).split(", ")):
            assert s.figure(fid)["location"] == "Raqqa"


def test_xlsx_needs_a_file(db):
    r = run("export", "--db", str(db), "--format", "xlsx")
    assert r.returncode == 2 and "-o FILE.xlsx" in r.stderr


def test_the_dashboard_download_is_the_same_workbook(db):
    from figures import views
    with Store(db) as s:
        f = Filters(categories=("displaced",))
        df = views.figures_frame(s, f)
    data = xlsx_bytes(views.records(df), f)
    wb = openpyxl.load_workbook(io.BytesIO(data))
    rows = list(wb["Figures"].iter_rows(min_row=2, values_only=True))
    assert len(rows) == len(df) > 0
    cat = EXPORT_FIELDS.index("category")
    assert {r[cat] for r in rows} == {"displaced"}


def test_an_empty_export_is_a_valid_workbook(tmp_path):
    out = tmp_path / "empty.xlsx"
    assert run("export", "--db", str(tmp_path / "new.db"), "--format", "xlsx",
               "-o", str(out)).returncode == 0
    wb = openpyxl.load_workbook(out)
    assert list(wb["Figures"].iter_rows(values_only=True)) == [EXPORT_FIELDS]
