"""Bad and odd files, one table, three ways in: the loaders (file on disk and upload), a batch into
a real store as the dashboard's upload does it, and a batch through ``python -m figures ingest``.

Each refused file gives its own message (checked for its meaning: "empty", "encrypted", "OCR"...);
each file in a recoverable encoding reads as the right text. In a batch nothing already stored
changes and the good document after the bad ones is still added. Every fixture is made here, in
tmp_path (PDFs with the helpers of test_formats.py).
"""
from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import ROOT
from PIL import Image
from test_formats import TRAPPED, encrypt, image_only_pdf, make_pdf, png_bytes

from figures import extract
from figures.formats import load_bytes, load_file, load_pasted
from figures.reading import MAX_BYTES, UnreadableDocument
from figures.store import Store

MB = 1024 * 1024
GOOD = "Shelling injured 40 people in Kharkiv on Monday, the regional governor said.\n"
_TAIL = " and " + TRAPPED
LONG_LINE = ("lorem ipsum dolor " * 277_778)[:5_000_000 - len(_TAIL)] + _TAIL   # one line, 5M chars
UTF8_ARTICLE = ("C\u00f4te d\u2019Ivoire \u2014 Floods displaced 3,000 people near Abidjan, "
                "officials said. Caf\u00e9s and h\u00f4tels were shut.")
CP1252_ARTICLE = ("The UN said \u201cup to 25,000\u201d civilians \u2013 many of them children \u2013 "
                  "were trapped in Raqqa\u2019s old city.")
UTF16_ARTICLE = "Daraa \u2013 The offensive has displaced 320,000 people, according to the United Nations."
PASSWD_ARTICLE = "Floods have displaced 12,000 people in Sindh province, officials said on Monday."
REPORT_PAGE = "Up to 3,000 families fled Mosul, the UN said."
PLAIN_NAMED_PDF = "Shelling killed 9 civilians in Aleppo on Sunday, the Syrian Observatory said."


def _write_big_text(path: Path, size: int) -> None:
    """A real text file of ``size`` bytes, written in chunks (never whole in memory)."""
    chunk = (b"Aid convoys reached the city on Monday while families waited at the crossing.\n"
             * 13_000)
    with open(path, "wb") as f:
        left = size
        while left > 0:
            f.write(chunk[:left])
            left -= min(left, len(chunk))


def _broken_utf8() -> bytes:
    # UTF-8 with one byte of another encoding pasted in and the last character cut in half
    data = UTF8_ARTICLE.encode("utf-8")
    i = data.index(b"officials")
    return data[:i] + b"\x92" + data[i:] + "\u2014".encode()[:2]


@dataclass
class Case:
    name: str                       # the file's name on disk
    data: object                    # bytes, or a function writing the file at a path
    refused: tuple[str, ...] = ()   # words the refusal must hold (a refusal when set)
    text: str | None = None         # the text a recoverable file must read as
    fmt: str = "txt"                # the format a recoverable file is read as
    upload_name: str = ""           # the name it is uploaded under, when not its disk name

    @property
    def shown_name(self) -> str:
        return self.upload_name or self.name

    def write(self, folder: Path) -> Path:
        path = folder / self.name
        path.parent.mkdir(parents=True, exist_ok=True)
        if callable(self.data):
            self.data(path)
        else:
            path.write_bytes(self.data)
        return path


_PDF = make_pdf([TRAPPED, "Second page. Aid agencies warned that food was running out."])

CASES = [
    Case("empty.txt", b"", refused=("empty",)),
    Case("whitespace.md", b" \n\t\r\n   \n", refused=("empty",)),
    Case("zero-bytes.pdf", b"", refused=("empty",)),
    Case("truncated.pdf", _PDF[:len(_PDF) * 2 // 3], refused=("PDF", "damaged")),
    Case("encrypted.pdf", encrypt(_PDF, "secret"), refused=("encrypted", "unencrypted copy")),
    Case("scanned.pdf", image_only_pdf(), refused=("no text layer", "OCR")),
    Case("no-body.html", b"<!DOCTYPE html><html><head><title>Raqqa</title>"
         b"<meta charset='utf-8'></head></html>", refused=("no readable text",)),
    Case("all-script.html", b"<html><head><script>var toll = '25,000 killed';</script></head><body>"
         b"<script>document.write('Up to 25,000 civilians are trapped');</script>"
         b"<noscript></noscript></body></html>", refused=("no readable text",)),
    Case("huge.txt", lambda p: _write_big_text(p, 50 * MB),
         refused=("50.0 MB", "over the 20 MB limit")),
    Case("nul-bytes.txt", TRAPPED.encode()[:30] + b"\x00\x00\x00" + TRAPPED.encode()[30:],
         refused=("binary",)),
    Case("photo.txt", png_bytes(), refused=("binary", "PNG")),          # misleading extension
    # --- recoverable ---
    Case("long-line.txt", LONG_LINE.encode(), text=LONG_LINE),
    Case("broken-utf8.txt", _broken_utf8(),
         text=UTF8_ARTICLE.replace("officials", "\ufffdofficials") + "\ufffd"),
    Case("smart-quotes.txt", CP1252_ARTICLE.encode("cp1252"), text=CP1252_ARTICLE),
    Case("utf16-bom.txt", UTF16_ARTICLE.encode("utf-16"), text=UTF16_ARTICLE),
    Case("etc/passwd.txt", PASSWD_ARTICLE.encode(), text=PASSWD_ARTICLE,
         upload_name="../../etc/passwd.txt"),
    Case("report.txt", make_pdf([REPORT_PAGE]), text=REPORT_PAGE, fmt="pdf"),  # PDF named .txt
    Case("notes.pdf", PLAIN_NAMED_PDF.encode(), text=PLAIN_NAMED_PDF),  # text named .pdf
]
REFUSED = [c for c in CASES if c.refused]
RECOVERED = [c for c in CASES if not c.refused]


@pytest.fixture(scope="module")
def bad_folder(tmp_path_factory) -> dict[str, Path]:
    """Every case written once, as a file: {case name: path}."""
    folder = tmp_path_factory.mktemp("bad")
    return {c.name: c.write(folder) for c in CASES}


def _check(case: Case, load) -> None:
    """Load a case with ``load()`` and check its refusal or its text."""
    if case.refused:
        with pytest.raises(UnreadableDocument) as e:
            load()
        msg = str(e.value)
        # the message names the file by its base name only, then says what is wrong
        assert msg.startswith(Path(case.shown_name).name + ": "), msg
        for word in case.refused:
            assert word in msg, msg
    else:
        doc = load()
        assert (doc.format, doc.file_name) == (case.fmt, Path(case.shown_name).name)
        if case.fmt == "pdf":
            assert doc.text.strip() == case.text
        else:
            assert doc.text == case.text


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_each_file_gives_its_message_or_its_text(case, bad_folder):
    path = bad_folder[case.name]
    _check(case, lambda: load_file(path))
    # the dashboard's way in: the bytes and the name the browser sent
    _check(case, lambda: load_bytes(path.read_bytes(), case.shown_name))


# --- batches into a real store --------------------------------------------------------------------

TABLES = ("documents", "figures", "reviews", "review_history", "meta")


def snapshot(db: Path) -> dict[str, list[tuple]]:
    """Every row of every table, by id: what is stored."""
    conn = sqlite3.connect(db)
    try:
        return {t: conn.execute(f"SELECT * FROM {t} ORDER BY rowid").fetchall() for t in TABLES}
    finally:
        conn.close()


def digest(rows: list[tuple]) -> str:
    return hashlib.sha256(repr(rows).encode()).hexdigest()


def assert_unchanged(before: dict, after: dict) -> None:
    """Nothing stored before changed: same rows (count and content hash) at the start of every
    table; whatever the batch added comes after them."""
    for t in TABLES:
        old, new = before[t], after[t]
        assert len(new) >= len(old), t
        assert digest(new[:len(old)]) == digest(old), f"rows of {t} changed"


@pytest.fixture
def filled_db(tmp_path) -> Path:
    """A store holding two documents, their figures and a review."""
    db = tmp_path / "figures.db"
    with Store(db) as s:
        s.add(load_pasted("Up to 25,000 civilians are believed to be still trapped in Raqqa, "
                          "the UN said.", title="Raqqa"))
        s.add(load_pasted("Air strikes killed 12 people in Idlib on Tuesday, medics said."))
        fid = s.figures()[0]["figure_id"]
        s.review(fid, "accepted", note="checked")
        assert s.stats()["documents"] == 2 and s.stats()["figures"] == 2
    return db


def _check_stored(db: Path, before: dict, by_name: dict[str, int]) -> None:
    """After a batch: old rows intact, each recovered case stored with its text, the good
    document after the bad ones stored, and nothing else."""
    after = snapshot(db)
    assert_unchanged(before, after)
    added = len(after["documents"]) - len(before["documents"])
    assert added == len(RECOVERED) + 1
    with Store(db) as s:
        assert s.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        for case in RECOVERED:
            doc = s.document(by_name[Path(case.shown_name).name])
            assert doc["file_name"] == Path(case.shown_name).name and doc["format"] == case.fmt
            assert doc["text"].strip() == case.text.strip()
        good = s.document(by_name["later.txt"])
        assert good["text"] == GOOD
        assert [f["category"] for f in s.figures()
                if f["document_id"] == good["id"]] == ["injured"]
        # (the figure at the end of the long line: test_a_figure_at_the_end_of_a_long_line)


def test_batch_through_the_store_as_the_dashboard_uploads(filled_db, bad_folder):
    before = snapshot(filled_db)
    outcome, by_name = {}, {}
    with Store(filled_db) as s:
        # as app_pages/add_documents.py does it: bytes and the browser's name, one by one
        for case in CASES + [Case("later.txt", GOOD.encode(), text=GOOD)]:
            data = bad_folder[case.name].read_bytes() if case.name in bad_folder else case.data
            try:
                result = s.add(load_bytes(data, case.shown_name))
            except UnreadableDocument as e:
                outcome[case.name] = str(e)
                continue
            outcome[case.name] = result.status
            by_name[Path(case.shown_name).name] = result.document_id
    for case in REFUSED:
        assert all(w in outcome[case.name] for w in case.refused), outcome[case.name]
    assert [outcome[c.name] for c in RECOVERED] == ["added"] * len(RECOVERED)
    assert outcome["later.txt"] == "added"
    _check_stored(filled_db, before, by_name)


def test_batch_through_the_command_line(filled_db, bad_folder, tmp_path):
    before = snapshot(filled_db)
    later = tmp_path / "later.txt"
    later.write_text(GOOD, encoding="utf-8")
    paths = [str(bad_folder[c.name]) for c in CASES] + [str(later)]
    r = subprocess.run([sys.executable, "-m", "figures", "ingest", *paths, "--db", str(filled_db)],
                       capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 1, r.stderr                         # some files failed
    assert "Traceback" not in r.stderr
    assert (f"added {len(RECOVERED) + 1}, already present 0, failed {len(REFUSED)}"
            in r.stderr), r.stderr
    failures = [line for line in r.stderr.splitlines() if line.startswith("  failed: ")]
    assert len(failures) == len(REFUSED)
    for case in REFUSED:
        (line,) = [f for f in failures if f.startswith(f"  failed: {Path(case.name).name}: ")]
        assert all(w in line for w in case.refused), line
    with Store(filled_db) as s:
        by_name = {d["file_name"]: d["id"] for d in s.documents()}
    _check_stored(filled_db, before, by_name)


def test_a_figure_at_the_end_of_a_long_line_is_found():
    """The 5-million-character line is read to its end: its one figure, with exact offsets.
    (The engine reads long sentences in pieces of extract.MAX_SENTENCE characters.)"""
    for text in ("x" * 4986 + " 12 people were killed.", LONG_LINE):
        figs = extract(text)
        assert [f.category for f in figs] == [("trapped" if text is LONG_LINE else "killed")]
        (fig,) = figs
        assert text[fig.start:fig.end].startswith(fig.number_text)
        assert fig.start > 4_900


# --- the size limit -------------------------------------------------------------------------------

def _large_pdf(path: Path, size_over: int) -> None:
    """A report just over ``size_over`` bytes: one page of text, one page with a photograph whose
    noise does not compress."""
    side = int(((size_over + 200_000) / 3) ** 0.5)
    from fpdf import FPDF
    pdf = FPDF()
    pdf.set_font("Helvetica", size=12)
    pdf.add_page()
    pdf.multi_cell(0, 6, TRAPPED)
    pdf.add_page()
    pdf.image(Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)), x=10, y=10, w=180)
    path.write_bytes(bytes(pdf.output()))
    assert path.stat().st_size > size_over


def test_the_size_limit_refuses_50_mb_and_a_raised_limit_admits_a_large_file(tmp_path,
                                                                             bad_folder):
    huge = bad_folder["huge.txt"]
    assert huge.stat().st_size == 50 * MB
    big = tmp_path / "big-report.pdf"
    _large_pdf(big, MAX_BYTES)                  # a little over the default 20 MB
    size = big.stat().st_size
    with pytest.raises(UnreadableDocument, match=r"^big-report\.pdf: the file is 20\.\d MB, "
                                                 r"over the 20 MB limit$"):
        load_file(big)
    # at the limit exactly it is read; one byte less and it is not
    assert load_file(big, max_bytes=size).text.startswith(TRAPPED[:40])
    with pytest.raises(UnreadableDocument, match="over the"):
        load_file(big, max_bytes=size - 1)
    # the command line: refused by default, added with --max-size raised just above its size
    db = tmp_path / "f.db"
    cmd = [sys.executable, "-m", "figures", "ingest", "--db", str(db)]
    r = subprocess.run(cmd + [str(big), str(huge)], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 1 and "added 0, already present 0, failed 2" in r.stderr, r.stderr
    assert "big-report.pdf: the file is 20." in r.stderr and "huge.txt: the file is 50.0 MB" in r.stderr
    limit = f"{(size + 1024) / MB:.6f}"
    r = subprocess.run(cmd + ["--max-size", limit, str(big), str(huge)], capture_output=True,
                       text=True, cwd=ROOT)
    assert "added 1, already present 0, failed 1" in r.stderr, r.stderr
    assert "huge.txt: the file is 50.0 MB, over the" in r.stderr
    r = subprocess.run([sys.executable, "-m", "figures", "export", "--format", "jsonl",
                        "--db", str(db)], capture_output=True, text=True, cwd=ROOT)
    (row,) = [json.loads(line) for line in r.stdout.splitlines()]
    assert (row["category"], row["value"], row["page"]) == ("trapped", 25000, 1)


# --- the upload name is only a label --------------------------------------------------------------

def test_an_upload_named_like_a_path_is_never_used_as_one(tmp_path, monkeypatch):
    # ../../etc/passwd.txt seen from the working folder is a decoy file of ours
    work = tmp_path / "a" / "b"
    work.mkdir(parents=True)
    decoy = tmp_path / "etc" / "passwd.txt"
    decoy.parent.mkdir()
    decoy.write_text("root:x:0:0:decoy\n", encoding="utf-8")
    monkeypatch.chdir(work)
    listing = sorted(p for p in tmp_path.rglob("*"))
    doc = load_bytes(PASSWD_ARTICLE.encode(), "../../etc/passwd.txt")
    assert (doc.text, doc.file_name) == (PASSWD_ARTICLE, "passwd.txt")
    with Store(tmp_path / "s.db") as s:
        stored = s.document(s.add(doc).document_id)
    assert (stored["file_name"], stored["doc_id"]) == ("passwd.txt", "passwd")
    assert decoy.read_text(encoding="utf-8") == "root:x:0:0:decoy\n"
    assert sorted(p for p in tmp_path.rglob("*") if not p.name.startswith("s.db")) == listing


def test_the_dashboard_upload_treats_the_name_as_a_label(tmp_path, monkeypatch):
    import streamlit as st
    from streamlit.testing.v1 import AppTest
    db = tmp_path / "figures.db"
    with Store(db) as s:
        s.conn.execute("INSERT INTO meta (key, value) VALUES ('sample_offered', 'test')")
    monkeypatch.setenv("FIGURES_DB", str(db))
    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    at.switch_page("app_pages/add_documents.py").run()
    assert not at.exception, [e.value for e in at.exception]
    at.file_uploader[0].set_value([
        ("../../etc/passwd.txt", PASSWD_ARTICLE.encode(), "text/plain"),
        ("empty.txt", b"", "text/plain")])
    at.button(key="FormSubmitter:upload-Add").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("added, 1 figure" in s.value for s in at.success), [s.value for s in at.success]
    assert any("empty" in e.value for e in at.error), [e.value for e in at.error]
    st.cache_data.clear()
    st.cache_resource.clear()
    with Store(db) as s:
        (doc,) = s.documents()
        assert (doc["file_name"], doc["doc_id"]) == ("passwd.txt", "passwd")
        assert s.document(doc["id"])["text"] == PASSWD_ARTICLE
    assert not (tmp_path / "etc").exists()


def test_cp1252_smart_quotes_and_utf16_are_not_mojibake():
    """The recoverable encodings read as their characters, not as their bytes in another code."""
    for data, want in ((CP1252_ARTICLE.encode("cp1252"), CP1252_ARTICLE),
                       (UTF16_ARTICLE.encode("utf-16"), UTF16_ARTICLE),
                       (UTF16_ARTICLE.encode("utf-16-le"), UTF16_ARTICLE),   # no BOM
                       (UTF16_ARTICLE.encode("utf-16-be"), UTF16_ARTICLE)):
        text = load_bytes(data, "x.txt").text
        assert text == want
        assert not any(bad in text for bad in ("\u00e2\u20ac", "\x00", "\ufffd", "\u00c3"))
