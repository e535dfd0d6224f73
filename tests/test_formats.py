"""Loading documents of every supported format: text, Markdown, HTML, PDF and pasted text.

Every fixture is made here, in tmp_path: HTML written out, PDFs drawn with fpdf2 (and encrypted
with pypdf), images drawn with Pillow."""
import datetime
import hashlib
import io

import pytest
from conftest import ROOT  # noqa: F401  (puts the repo root on sys.path)
from fpdf import FPDF
from PIL import Image
from pypdf import PdfReader, PdfWriter

from figures import extract
from figures.formats import (SUPPORTED, LoadedDocument, load_bytes, load_file, load_pasted,
                             sniff_format)
from figures.reading import UnreadableDocument

TRAPPED = "Up to 25,000 civilians are believed to be still trapped in Raqqa, the UN said."

NEWS_PAGE = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Thousands trapped in Raqqa as fighting intensifies | Levant Daily</title>
<meta property="og:title" content="Thousands trapped in Raqqa as fighting intensifies">
<meta property="og:url" content="https://levantdaily.example.com/2017/09/raqqa-trapped">
<meta property="og:site_name" content="Levant Daily">
<meta property="article:published_time" content="2017-09-20T08:30:00Z">
<link rel="canonical" href="https://levantdaily.example.com/2017/09/raqqa-trapped">
<script>window.analytics = {{"page": "story"}};</script>
</head>
<body>
<div id="cookie-banner" class="cookie-consent">We use cookies to improve your experience.
  <button>Accept all cookies</button></div>
<header><nav><ul><li><a href="/">Home</a></li><li><a href="/world">World news section</a></li>
  <li><a href="/sport">Sport and football</a></li></ul></nav></header>
<main>
<article>
<h1>Thousands trapped in Raqqa as fighting intensifies</h1>
<p>{TRAPPED} Aid agencies warned that food and water were running out in the besieged
districts of the city.</p>
<p>At least 12 people were killed on Tuesday when an air strike hit a market in the old city,
according to local monitors who spoke to reporters by telephone.</p>
<p>The United Nations refugee agency said more than 200,000 people had fled the province since
April, many of them living in overcrowded camps with little shelter.</p>
</article>
<aside class="related"><h3>Related stories</h3><ul>
  <li><a href="/a">Mosul rebuilding stalls amid funding gap</a></li>
  <li><a href="/b">Aleppo markets reopen after years of war</a></li></ul></aside>
</main>
<footer><p>Copyright 2017 Levant Daily. All rights reserved.</p>
  <p>Contact us | Privacy policy | Terms of use</p></footer>
<script>trackPageView("raqqa");</script>
</body></html>
"""


def make_pdf(pages: list[str], title: str | None = None,
             created: datetime.datetime | None = None) -> bytes:
    """A PDF with one page of (wrapped) text per item."""
    pdf = FPDF()
    pdf.set_font("Helvetica", size=12)
    if title:
        pdf.set_title(title)
    if created:
        pdf.set_creation_date(created)
    for text in pages:
        pdf.add_page()
        pdf.multi_cell(0, 6, text)
    return bytes(pdf.output())


def image_only_pdf() -> bytes:
    """A scanned-looking PDF: a rectangle and a picture, no text at all."""
    pdf = FPDF()
    pdf.add_page()
    pdf.set_fill_color(200, 30, 30)
    pdf.rect(10, 10, 80, 40, style="F")
    pdf.image(Image.new("RGB", (60, 40), (0, 128, 255)), x=20, y=70, w=60)
    return bytes(pdf.output())


def encrypt(data: bytes, user: str, owner: str | None = None) -> bytes:
    """The PDF encrypted with RC4-128, which pypdf does without the `cryptography` package."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    writer.encrypt(user_password=user, owner_password=owner, algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 4), (255, 0, 0)).save(out, format="PNG")
    return out.getvalue()


def refused(data: bytes, name: str, **kw) -> str:
    """The message of the UnreadableDocument that loading these bytes raises."""
    with pytest.raises(UnreadableDocument) as e:
        load_bytes(data, name, **kw)
    return str(e.value)


# --- the document record --------------------------------------------------------------------

def test_document_identity_and_page_lookup():
    doc = LoadedDocument(text="aaa\n\nbbb\n\nccc", format="pdf", pages=(0, 5, 10))
    assert doc.sha256 == hashlib.sha256("aaa\n\nbbb\n\nccc".encode()).hexdigest()
    assert [doc.page_at(i) for i in (0, 2, 4, 5, 9, 10, 12)] == [1, 1, 1, 2, 2, 3, 3]
    assert LoadedDocument(text="x", format="txt").page_at(0) is None
    assert set(SUPPORTED.values()) == {"txt", "md", "html", "pdf"}


# --- plain text and format sniffing ---------------------------------------------------------

def test_plain_text_file(tmp_path):
    p = tmp_path / "story.txt"
    p.write_text(TRAPPED, encoding="utf-8")
    doc = load_file(p)
    assert (doc.text, doc.format, doc.title, doc.file_name, doc.pages) == (
        TRAPPED, "txt", "", "story.txt", ())
    assert doc.page_at(3) is None
    # Windows-1252 smart quotes, as reading.decode does them
    doc = load_bytes("The UN said \u201cup to 25,000\u201d.".encode("cp1252"), "x.text")
    assert doc.text == "The UN said \u201cup to 25,000\u201d." and doc.format == "txt"


def test_upload_names_are_reduced_to_base_names():
    assert load_bytes(b"Some text.", "../../etc/passwd.txt").file_name == "passwd.txt"
    assert load_bytes(b"Some text.", "C:\\Users\\me\\report.txt").file_name == "report.txt"
    msg = refused(b"", "/tmp/uploads/empty.txt")
    assert msg.startswith("empty.txt:") and "/tmp" not in msg


def test_misleading_extension_content_wins(tmp_path):
    pdf = make_pdf([TRAPPED])
    assert sniff_format(pdf, "report.txt") == "pdf"
    doc = load_bytes(pdf, "report.txt")
    assert doc.format == "pdf" and "25,000 civilians" in doc.text
    assert sniff_format(NEWS_PAGE.encode(), "page.txt") == "html"
    assert sniff_format(b"\xef\xbb\xbf  <html><p>x</p></html>", "page.md") == "html"
    assert sniff_format(b"<div>x</div>\n<body><p>hello</p></body>", "page.txt") == "html"
    msg = refused(png_bytes(), "photo.txt")
    assert msg.startswith("photo.txt:") and "binary" in msg and "PNG" in msg
    assert "JPEG" in refused(b"\xff\xd8\xff\xe0\x00\x10JFIF", "scan.txt")
    assert "ZIP" in refused(b"PK\x03\x04\x14\x00\x06\x00", "report.docx")


def test_unknown_extension_refused(tmp_path):
    msg = refused(b"Plain readable text.", "notes.xyz")
    assert msg == "notes.xyz: unsupported format '.xyz' (use .txt, .md, .html or .pdf)"
    assert "no file extension" in refused(b"Plain readable text.", "README")
    # ... unless the content is recognisably a page or a PDF
    assert load_bytes(NEWS_PAGE.encode(), "page.php").format == "html"
    assert load_bytes(make_pdf([TRAPPED]), "download.bin").format == "pdf"


def test_size_limit_checked_before_reading(tmp_path, monkeypatch):
    p = tmp_path / "big.pdf"
    p.write_bytes(b"%PDF-1.4\n" + b"x" * 5000)
    read = []
    monkeypatch.setattr(type(p), "read_bytes", lambda self: read.append(self) or b"")
    with pytest.raises(UnreadableDocument) as e:
        load_file(p, max_bytes=1000)
    assert str(e.value) == "big.pdf: the file is 4.9 KB, over the 1000 bytes limit"
    assert read == []   # refused on its size alone
    assert "over the" in refused(b"x" * 2000, "big.txt", max_bytes=1000)


def test_unreadable_file_on_disk(tmp_path):
    with pytest.raises(UnreadableDocument, match=r"^missing\.txt: cannot read it"):
        load_file(tmp_path / "missing.txt")
    with pytest.raises(UnreadableDocument, match=r"^empty\.txt: the file is empty"):
        (tmp_path / "empty.txt").write_bytes(b"")
        load_file(tmp_path / "empty.txt")


# --- pasted text ----------------------------------------------------------------------------

def test_pasted_text():
    doc = load_pasted(f"{TRAPPED}\r\nMore.", title=" Raqqa ", url="https://x.example/a",
                      published="2017-09-20")
    assert doc.text == f"{TRAPPED}\nMore."
    assert (doc.format, doc.title, doc.url, doc.published, doc.file_name) == (
        "pasted", "Raqqa", "https://x.example/a", "2017-09-20", "")
    assert doc.sha256 == hashlib.sha256(doc.text.encode("utf-8")).hexdigest()
    with pytest.raises(UnreadableDocument, match="the pasted text is empty"):
        load_pasted(" \n\t ")
    for bad in ("20/09/2017", "2017-02-30", "yesterday", "20170920"):
        with pytest.raises(UnreadableDocument, match="YYYY-MM-DD"):
            load_pasted(TRAPPED, published=bad)
    with pytest.raises(UnreadableDocument, match="over the"):
        load_pasted("x" * 100, max_bytes=50)


# --- Markdown -------------------------------------------------------------------------------

MARKDOWN = """<!-- editor's note: check the figures -->
# Raqqa: *civilians* trapped

![map of Raqqa](img/map.png)
Up to **25,000** civilians are believed to be _still_ trapped in
[Raqqa](https://example.org/raqqa "city"), the UN said.

## Casualties ##

> At least 12 people were killed, said the *Syrian Observatory*.

* a bullet about snake_case_names and 2*3
- an \\*escaped\\* star

```
code *kept* as [it](is)
```

| place | trapped |
|-------|---------|
| Raqqa | 25,000  |
"""


def test_markdown_cleanup():
    doc = load_bytes(MARKDOWN.encode(), "notes/story.md")
    assert doc.format == "md" and doc.file_name == "story.md"
    assert doc.title == "Raqqa: civilians trapped"
    assert doc.text == (
        "Raqqa: civilians trapped\n\n"
        "Up to 25,000 civilians are believed to be still trapped in\n"
        "Raqqa, the UN said.\n\n"
        "Casualties\n\n"
        "At least 12 people were killed, said the Syrian Observatory.\n\n"
        "* a bullet about snake_case_names and 2*3\n"
        "- an *escaped* star\n\n"
        "code *kept* as [it](is)\n\n"
        "| place | trapped |\n"
        "| Raqqa | 25,000  |")
    figs = extract(doc.text)
    assert any(f.category == "trapped" and f.value == 25000 for f in figs)


def test_markdown_front_matter_and_setext_title():
    doc = load_bytes(b"---\ntitle: \"Floods in Sindh\"\ndate: 2022-08-30\n---\n"
                     b"Floods displaced 3,000 people, officials said.\n", "f.markdown")
    assert (doc.title, doc.published) == ("Floods in Sindh", "2022-08-30")
    assert doc.text == "Floods in Sindh\n\nFloods displaced 3,000 people, officials said."
    doc = load_bytes(b"Floods in Sindh\n===============\n\nFloods displaced 3,000 people.\n", "f.md")
    assert doc.title == "Floods in Sindh"
    assert doc.text == "Floods in Sindh\n\nFloods displaced 3,000 people."
    assert "no readable text" in refused(b"<!-- only a comment -->\n", "c.md")


# --- HTML -----------------------------------------------------------------------------------

def test_html_news_page_main_text_and_metadata(tmp_path):
    p = tmp_path / "raqqa.html"
    p.write_text(NEWS_PAGE, encoding="utf-8")
    doc = load_file(p)
    assert doc.format == "html" and doc.file_name == "raqqa.html"
    assert doc.title == "Thousands trapped in Raqqa as fighting intensifies"
    assert doc.url == "https://levantdaily.example.com/2017/09/raqqa-trapped"
    assert doc.published == "2017-09-20"
    assert doc.outlet == "Levant Daily"
    # title line, blank line, then paragraphs separated by blank lines
    paragraphs = doc.text.split("\n\n")
    assert paragraphs[0] == doc.title
    assert paragraphs[1].startswith(TRAPPED)
    assert len(paragraphs) == 4
    for clutter in ("cookies", "World news section", "Sport and football", "Related stories",
                    "Mosul rebuilding", "Copyright", "Privacy policy", "trackPageView",
                    "analytics"):
        assert clutter not in doc.text, clutter


def test_html_text_is_usable_by_the_extractor():
    doc = load_bytes(NEWS_PAGE.encode("utf-8"), "raqqa.html")
    figs = extract(doc.text, date=doc.published)
    trapped = [f for f in figs if f.category == "trapped" and f.value == 25000]
    assert trapped, figs
    assert "25,000 civilians" in doc.text[trapped[0].start:trapped[0].end] or \
        "25,000" in trapped[0].quote


def test_html_title_added_when_body_lacks_it():
    html = (f"<html><head><title>Raqqa siege</title></head><body><article><p>{TRAPPED} "
            "Aid agencies warned that food and water were running out.</p>"
            "<p>The UN refugee agency said more than 200,000 people had fled the province.</p>"
            "</article></body></html>")
    doc = load_bytes(html.encode(), "page.htm")
    assert doc.text.startswith(f"Raqqa siege\n\n{TRAPPED}")
    assert doc.published == "" and doc.url == ""


def test_html_copyright_year_and_file_date_are_not_published_dates():
    html = (f"<html><head><title>Raqqa</title></head><body><article><p>{TRAPPED} It happened on "
            "20 September 2017, aid workers said.</p></article>"
            "<footer>Copyright 2017 Foo News</footer></body></html>")
    assert load_bytes(html.encode(), "page.html").published == ""


def test_html_script_only_or_empty_pages_refused():
    for html in (b"<html><head><script>var a = 1;</script></head>"
                 b"<body><script>track('x');</script></body></html>",
                 b"<!DOCTYPE html><html><head><title></title></head></html>",
                 b"<html><body></body></html>"):
        assert refused(html, "x.html") == "x.html: no readable text in this page"
    assert refused(b"   \n", "blank.html") == "blank.html: the file is empty"


def test_html_charset_meta_windows_1252():
    html = ('<html><head><meta http-equiv="Content-Type" content="text/html; charset=windows-1252">'
            "</head><body><p>The UN said \u201cup to 25,000 civilians\u201d were trapped \u2013 "
            "aid agencies agreed.</p></body></html>").encode("cp1252")
    doc = load_bytes(html, "quotes.html")
    assert "\u201cup to 25,000 civilians\u201d were trapped \u2013 aid" in doc.text
    # declared UTF-8 stays UTF-8; a page without a declaration is guessed like any text
    utf8 = "<html><head><meta charset='utf-8'></head><body><p>C\u00f4te d\u2019Ivoire: 12 killed.</p></body></html>"
    assert "C\u00f4te d\u2019Ivoire" in load_bytes(utf8.encode(), "u.html").text
    bare = "<html><body><p>C\u00f4te d\u2019Ivoire: 12 killed.</p></body></html>"
    assert "C\u00f4te d\u2019Ivoire" in load_bytes(bare.encode("cp1252"), "b.html").text


def test_broken_html_still_gives_its_text():
    html = (b"<html><body><div><p>Up to 25,000 civilians are trapped in Raqqa, the UN said."
            b"<p>Aid agencies warned that food was running out<div><table><tr><td>Raqqa")
    doc = load_bytes(html, "broken.html")
    assert "Up to 25,000 civilians are trapped in Raqqa, the UN said." in doc.text
    assert "Aid agencies warned that food was running out" in doc.text
    truncated = NEWS_PAGE.encode()[:NEWS_PAGE.index("At least 12")]
    assert TRAPPED in load_bytes(truncated, "cut.html").text


# --- PDF ------------------------------------------------------------------------------------

PAGE_1 = ("Raqqa situation report\n"
          f"{TRAPPED} Aid agencies warned that food and water were running out in the besieged "
          "districts of the city, where fighting has intensified over the past week.")
PAGE_2 = ("At least 12 civil-\nians were killed in an air strike on a market in the old city, "
          "according to local monitors.")


def test_pdf_pages_offsets_and_metadata(tmp_path):
    p = tmp_path / "report.pdf"
    p.write_bytes(make_pdf([PAGE_1, PAGE_2], title="Raqqa report",
                           created=datetime.datetime(2017, 9, 20, 8, tzinfo=datetime.timezone.utc)))
    doc = load_file(p)
    assert (doc.format, doc.title, doc.published, doc.file_name) == (
        "pdf", "Raqqa report", "2017-09-20", "report.pdf")
    assert len(doc.pages) == 2 and doc.pages[0] == 0
    page2 = doc.text[doc.pages[1]:]
    assert page2.startswith("At least 12 civilians were killed")   # hyphen rejoined
    assert doc.text[:doc.pages[1]].endswith("\n\n")
    # the heading keeps its own line; the body's wrapped lines are joined into one
    first = doc.text[:doc.pages[1]].strip().split("\n")
    assert first[0] == "Raqqa situation report"
    assert first[1].startswith(TRAPPED) and first[1].endswith("over the past week.")
    assert doc.page_at(doc.text.index("25,000")) == 1
    assert doc.page_at(doc.text.index("civilians were killed")) == 2
    assert doc.page_at(len(doc.text) - 1) == 2
    figs = extract(doc.text, date=doc.published)
    killed = [f for f in figs if f.category == "killed" and f.value == 12]
    assert killed and doc.page_at(killed[0].start) == 2


def test_pdf_without_metadata_date_or_title():
    doc = load_bytes(make_pdf([TRAPPED], created=None), "plain.pdf")
    assert doc.title == "" and doc.text == TRAPPED and doc.pages == (0,)


def test_pdf_image_only_needs_ocr():
    assert refused(image_only_pdf(), "scan.pdf") == "scan.pdf: no text layer: run OCR first"


def test_pdf_encrypted():
    data = make_pdf([TRAPPED])
    assert refused(encrypt(data, "secret"), "locked.pdf") == (
        "locked.pdf: this PDF is encrypted; save an unencrypted copy first")
    # an empty user password only restricts editing: the text is readable
    assert load_bytes(encrypt(data, "", owner="owner"), "open.pdf").text == TRAPPED


def test_pdf_damaged_truncated_or_empty(tmp_path):
    data = make_pdf([PAGE_1, PAGE_2])
    for broken, name in ((data[:len(data) // 2], "half.pdf"), (b"", "empty.pdf"),
                         (b"%PDF-1.4\n%garbage", "junk.pdf"), (data[:200], "head.pdf")):
        msg = refused(broken, name)
        assert msg.startswith(f"{name}: this PDF is damaged and cannot be read ("), msg
    (tmp_path / "zero.pdf").write_bytes(b"")
    with pytest.raises(UnreadableDocument, match=r"^zero\.pdf: this PDF is damaged"):
        load_file(tmp_path / "zero.pdf")
