"""Loading a document of any supported format (plain text, Markdown, HTML, PDF, pasted text) into
the plain text the extractor reads, with what the file says about itself (title, URL, date, outlet).

    >>> doc = load_pasted("Floods displaced 3,000 people in Sindh, officials said.")
    >>> doc.format, doc.file_name
    ('pasted', '')

Every failure is an ``UnreadableDocument`` whose message starts with the file's base name and says
what is wrong in words a user can act on; no parser exception escapes.
"""
from __future__ import annotations

import bisect
import codecs
import hashlib
import io
import logging
import re
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

from .reading import MAX_BYTES, UnreadableDocument, decode, looks_binary, too_big

SUPPORTED = {".txt": "txt", ".text": "txt", ".md": "md", ".markdown": "md", ".html": "html",
             ".htm": "html", ".pdf": "pdf"}

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass
class LoadedDocument:
    text: str                 # the plain text the extractor reads
    format: str               # "txt" | "md" | "html" | "pdf" | "pasted"
    title: str = ""           # "" when unknown
    url: str = ""
    published: str = ""       # ISO date YYYY-MM-DD, "" when unknown
    outlet: str = ""          # site name / publisher, "" when unknown
    file_name: str = ""       # the original file's base name only (never a path), "" for pasted text
    pages: tuple[int, ...] = ()  # PDF only: offset in `text` where each page starts (pages[0] == 0)
    country_hint: str = ""    # ISO3 from outside the text (ReliefWeb's primary country), "" if none

    def page_at(self, offset: int) -> int | None:
        """The 1-based page that holds character ``offset`` of ``text``; None without pages."""
        if not self.pages or offset < 0:
            return None
        return bisect.bisect_right(self.pages, offset) or 1

    @property
    def sha256(self) -> str:
        """The document's identity: hex SHA-256 of its text in UTF-8."""
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


# --- recognising the format ------------------------------------------------------------------

# Files people upload by mistake: recognised by their first bytes, refused with their kind named.
_BINARY_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"PK\x03\x04", "a ZIP archive (or a Word/Office file)"),
    (b"PK\x05\x06", "a ZIP archive (or a Word/Office file)"),
    (b"\x1f\x8b", "a gzip archive"),
)

# An HTML page: a doctype or <html> first (after an XML prolog and comments), or <head>/<body>
# tags near the top. Every repetition is bounded and runs on a sample of at most 4 KB.
_HTML_START = re.compile(
    r"(?:<\?xml[^>]{0,300}>\s*)?(?:<!--.{0,2000}?-->\s*){0,5}<(?:!doctype\s+html|html)\b",
    re.I | re.S)
_HTML_TAG = re.compile(r"<(?:head|body)[\s>/]", re.I)
_ANY_TAG = re.compile(r"<[!/?]?[A-Za-z]")


def _base_name(name: str) -> str:
    """The last component of a path, with either slash: "../../etc/passwd.txt" -> "passwd.txt"."""
    return re.split(r"[\\/]", str(name))[-1].strip()


def _sample(data: bytes, size: int = 4096) -> str:
    """The start of the data as text, good enough to look for markup in."""
    head = data[:size]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return head.decode("utf-16", errors="ignore")
    return head.decode("latin-1").lstrip("\ufeff\xef\xbb\xbf \t\r\n")


def sniff_format(data: bytes, name: str) -> str:
    """The format of a file (a value of SUPPORTED), from its content first, then its extension.

    A PDF or an HTML page is recognised whatever its name says; known binary files (images,
    archives) are refused, and so is an unknown extension on anything else. Plain text named
    .pdf (no PDF header) or .html (not one tag) is read as text."""
    label = _base_name(name) or "document"
    ext = Path(label).suffix.lower()
    if data.lstrip()[:5] == b"%PDF-" or (ext == ".pdf" and b"%PDF-" in data[:1024]):
        return "pdf"
    for magic, kind in _BINARY_MAGIC:
        if data.startswith(magic):
            raise UnreadableDocument(f"{label}: this is a binary file ({kind}), not a document")
    sample = _sample(data)
    if _HTML_START.match(sample) or _HTML_TAG.search(sample):
        return "html"
    if ext == ".pdf" and data.strip() and not looks_binary(data):
        return "txt"      # no PDF header but readable text: a text file with the wrong name
    if ext in (".html", ".htm") and not _ANY_TAG.search(sample):
        return "txt"      # not a single tag: plain text saved as .html
    if ext in SUPPORTED:
        return SUPPORTED[ext]
    what = f"'{ext}'" if ext else "(no file extension)"
    raise UnreadableDocument(f"{label}: unsupported format {what} (use .txt, .md, .html or .pdf)")


# --- entry points ------------------------------------------------------------------------------

def load_bytes(data: bytes, name: str, max_bytes: int = MAX_BYTES) -> LoadedDocument:
    """A document from the bytes of an uploaded file; ``name`` gives its extension and file_name
    (its directories, if any, are dropped)."""
    data = bytes(data)   # also takes a bytearray or memoryview from a web framework
    base = _base_name(name)
    label = base or "document"
    if len(data) > max_bytes:
        raise too_big(label, len(data), max_bytes)
    fmt = sniff_format(data, label)
    if fmt == "pdf":
        doc = _load_pdf(data, label)
    elif fmt == "html":
        doc = _load_html(data, label)
    elif fmt == "md":
        doc = _load_markdown(decode(data, label), label)
    else:
        doc = LoadedDocument(text=decode(data, label), format="txt")
    doc.file_name = base
    return doc


def load_file(path, max_bytes: int = MAX_BYTES) -> LoadedDocument:
    """A document from a file on disk; its size is checked before anything is read."""
    path = Path(path)
    label = path.name or str(path)
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise too_big(label, size, max_bytes)
        data = path.read_bytes()
    except OSError as e:
        raise UnreadableDocument(f"{label}: cannot read it ({e.strerror or e})") from None
    return load_bytes(data, label, max_bytes)


def load_pasted(text: str, title: str = "", url: str = "", published: str = "",
                max_bytes: int = MAX_BYTES) -> LoadedDocument:
    """A document from text pasted into a form. Line ends are made "\\n" (browsers send "\\r\\n")."""
    if not isinstance(text, str):
        raise TypeError("load_pasted() needs text (str)")
    size = len(text.encode("utf-8", errors="replace"))
    if size > max_bytes:
        raise too_big("the pasted text", size, max_bytes)
    text = text.replace("\r\n", "\n").replace("\r", "\n").removeprefix("\ufeff")
    if not text.strip():
        raise UnreadableDocument("the pasted text is empty")
    published = (published or "").strip()
    if published and not _valid_date(published):
        raise UnreadableDocument(
            f"the published date '{published}' is not a date in the form YYYY-MM-DD")
    return LoadedDocument(text=text, format="pasted", title=(title or "").strip(),
                          url=(url or "").strip(), published=published)


# --- Markdown ----------------------------------------------------------------------------------

_MD_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")
_MD_ATX = re.compile(r" {0,3}(#{1,6})(?:[ \t]+(.*))?$")
_MD_SETEXT = re.compile(r" {0,3}(=+|-+)[ \t]*$")
_MD_RULE = re.compile(r" {0,3}(?:(?:\*[ \t]*){3,}|(?:-[ \t]*){3,}|(?:_[ \t]*){3,})$")
_MD_TABLE_RULE = re.compile(r"[ \t]*\|?[ \t]*:?-{2,}:?[ \t]*(?:\|[ \t]*:?-{2,}:?[ \t]*){0,50}\|?[ \t]*$")
_MD_REF_DEF = re.compile(r" {0,3}\[[^\]\n]{1,200}\]:[ \t]+\S")
_MD_QUOTE = re.compile(r" {0,3}(?:>[ \t]?){1,10}")
# Link text stops at any bracket and a link target at any parenthesis (one level of nesting is
# allowed, as in Wikipedia URLs), so a failed match never rescans text: linear on any input.
_MD_TARGET = r"(?:\((?:[^()\n]|\([^()\n]{0,200}\)){0,2000}\)|\[[^\[\]\n]{0,200}\])"
_MD_IMAGE = re.compile(r"!\[[^\[\]\n]{0,500}\]" + _MD_TARGET)
_MD_LINK = re.compile(r"\[([^\[\]\n]{0,500})\]" + _MD_TARGET)
_MD_AUTOLINK = re.compile(r"<((?:https?|ftp|mailto):[^<>\s]{1,2000})>")
_MD_CODE = re.compile(r"`([^`\n]{1,500})`")
# An emphasis marker opens before a non-space and not right after a letter, or closes after a
# non-space and not right before a letter: "**25,000** people" loses its stars, "snake_case",
# "2*3" and a "* bullet" keep theirs.
_MD_EMPHASIS = re.compile(r"(?<![\w*_])[*_]{1,3}(?=[^\s*_])|(?<=[^\s*_])[*_]{1,3}(?![\w*_])")
_MD_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!<>|~])")
_PROTECT = 0xE000   # escaped characters ride in the private-use area while markup is removed


def _drop_html_comments(text: str) -> str:
    """Remove <!-- ... --> (linear scan; an unclosed comment runs to the end)."""
    out, i = [], 0
    while (j := text.find("<!--", i)) != -1:
        out.append(text[i:j])
        k = text.find("-->", j + 4)
        if k == -1:
            return "".join(out)
        i = k + 3
    out.append(text[i:])
    return "".join(out)


def _front_matter(lines: list[str]) -> tuple[dict[str, str], list[str]]:
    """A leading YAML block (--- ... ---): its simple "key: value" pairs, and the lines after it."""
    if not lines or lines[0].strip() != "---":
        return {}, lines
    for i in range(1, min(len(lines), 200)):
        if lines[i].strip() in ("---", "..."):
            meta = {}
            for line in lines[1:i]:
                key, sep, value = line.partition(":")
                if sep and key.strip():
                    meta[key.strip().lower()] = value.strip().strip("\"'")
            return meta, lines[i + 1:]
    return {}, lines


def _md_inline(line: str) -> str:
    """Plain text of one line of Markdown prose."""
    line = _MD_IMAGE.sub("", line)
    line = _MD_LINK.sub(r"\1", line)
    line = _MD_AUTOLINK.sub(r"\1", line)
    line = _MD_CODE.sub(r"\1", line)
    return _MD_EMPHASIS.sub("", line)


def markdown_to_text(md: str) -> tuple[str, str, dict[str, str]]:
    """Markdown to readable plain text, keeping every sentence and the paragraph breaks.

    Returns (text, title, front-matter fields); the title is the first level-1 heading."""
    md = md.replace("\r\n", "\n").replace("\r", "\n")
    md = _MD_ESCAPE.sub(lambda m: chr(_PROTECT + ord(m[1])), md)
    meta, lines = _front_matter(_drop_html_comments(md).split("\n"))
    out: list[str] = []
    title = ""
    fence = ""            # the open code fence ("```" or "~~~"), "" outside code
    for line in lines:
        if fence:
            if line.strip().startswith(fence):
                fence = ""
                out.append("")
            else:
                out.append(line)          # code is kept as it is
            continue
        if m := _MD_FENCE.match(line):
            fence = m[1]
            out.append("")
            continue
        if m := _MD_ATX.match(line):
            # "## Title ##": the closing hashes go too
            heading = _md_inline(re.sub(r"(?:^|[ \t])#+[ \t]*$", "", m[2] or "")).strip()
            if m[1] == "#" and not title:
                title = heading
            out.extend(["", heading, ""])  # a heading is a paragraph of its own
            continue
        if _MD_SETEXT.match(line) and out and out[-1].strip():
            # "Title\n=====": the line above is a heading
            if line.strip().startswith("=") and not title:
                title = out[-1].strip()
            out.append("")
            continue
        if _MD_TABLE_RULE.match(line) or _MD_REF_DEF.match(line):
            continue                      # "|---|---|" under a table header, "[1]: http://..."
        if _MD_RULE.match(line):
            out.append("")
            continue
        line = _MD_QUOTE.sub("", line, count=1) if line.lstrip().startswith(">") else line
        plain = _md_inline(line).rstrip()
        if plain.strip() or not line.strip():
            out.append(plain)             # (a line that held only an image is dropped)
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(out)).strip("\n")
    restore = lambda s: re.sub("[\ue000-\ue07f]", lambda m: chr(ord(m[0]) - _PROTECT), s)  # noqa: E731
    return restore(text), restore(title), {k: restore(v) for k, v in meta.items()}


def _load_markdown(md: str, name: str) -> LoadedDocument:
    text, title, meta = markdown_to_text(md)
    if not text.strip():
        raise UnreadableDocument(f"{name}: no readable text in this Markdown file")
    published = meta.get("date", "")[:10]
    if not _valid_date(published):
        published = ""
    if not title and meta.get("title"):
        # the title only in the front matter: it opens the text, as a page's title does
        title = meta["title"]
        text = f"{title}\n\n{text}"
    return LoadedDocument(text=text, format="md", title=title, published=published)


def _valid_date(s: str) -> bool:
    """Whether s is a real date written YYYY-MM-DD."""
    if not _ISO_DATE.fullmatch(s or ""):
        return False
    try:
        date.fromisoformat(s)
    except ValueError:
        return False
    return True


# --- HTML --------------------------------------------------------------------------------------

_META_CHARSET = re.compile(
    rb"""<meta[^>]{0,500}?charset\s*=\s*["']?\s*([A-Za-z0-9_\-:.]{1,40})""", re.I)
# What browsers actually use for these labels (the WHATWG encoding standard).
_CHARSET_ALIASES = {"iso-8859-1": "cp1252", "latin1": "cp1252", "latin-1": "cp1252",
                    "us-ascii": "cp1252", "ascii": "cp1252", "utf-16": "utf-8",
                    "utf-16le": "utf-8", "utf-16be": "utf-8"}


@cache
def _quiet_libraries() -> None:
    """Trafilatura, htmldate and pypdf log warnings about the pages they read: not for users."""
    for name in ("trafilatura", "htmldate", "courlan", "pypdf"):
        logging.getLogger(name).setLevel(logging.ERROR)


def decode_html(data: bytes, name: str) -> str:
    """HTML bytes to text: a byte-order mark first, then <meta charset>, then reading.decode."""
    if not data.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        m = _META_CHARSET.search(data[:4096])
        if m:
            label = m[1].decode("ascii").lower()
            try:
                codec = codecs.lookup(_CHARSET_ALIASES.get(label, label)).name
                if data.strip():
                    return data.decode(codec)
            except (LookupError, UnicodeDecodeError):
                pass   # unknown or wrong declaration: guess as for any text
    return decode(data, name)


def _load_html(data: bytes, name: str) -> LoadedDocument:
    html = decode_html(data, name)
    _quiet_libraries()
    import trafilatura  # imported here: it is slow to import and only pages need it
    try:
        doc = trafilatura.bare_extraction(
            html, with_metadata=True, include_comments=False, include_tables=True,
            favor_recall=True,
            # dates from the page's metadata, <time> tags and URL only: a wider search takes
            # "Copyright 2017" as 2017-01-01, or a date in the story as the publication date
            date_extraction_params={"extensive_search": False, "original_date": True})
    except Exception:   # noqa: BLE001 - lxml and trafilatura raise many kinds on odd pages
        doc = None
    body = (getattr(doc, "text", None) or "").strip() if doc is not None else ""
    if not body:
        raise UnreadableDocument(f"{name}: no readable text in this page")
    title = _clean(doc.title)
    # trafilatura puts one element per line: make each a paragraph of its own
    paragraphs = [p.strip() for p in body.split("\n") if p.strip()]
    if title and not _same_heading(title, paragraphs[0]):
        paragraphs.insert(0, title)
    published = _clean(doc.date)[:10]   # never doc.filedate: that is when it was read, not written
    return LoadedDocument(text="\n\n".join(paragraphs), format="html", title=title,
                          url=_clean(doc.url), published=published if _valid_date(published) else "",
                          outlet=_clean(doc.sitename))


def _clean(value) -> str:
    return " ".join(str(value).split()) if value else ""


def _norm(s: str) -> str:
    return " ".join(s.split()).casefold()


def _same_heading(title: str, first: str) -> bool:
    """Whether the body's first paragraph already is the title ("Story" vs "Story | Outlet")."""
    a, b = _norm(title), _norm(first)
    return a == b or (len(b) < 200 and bool(b) and (a.startswith(b) or b.startswith(a)))


# --- PDF ---------------------------------------------------------------------------------------

_LIGATURES = str.maketrans({"\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi",
                            "\ufb04": "ffl", "\ufb05": "st", "\ufb06": "st", "\x00": ""})
# "civil-\nians" -> "civilians": a hyphen (or soft hyphen) between lower-case letters at a line end
_HYPHEN_BREAK = re.compile(r"(?<=[a-z])[\-\u00ad][ \t]*\n[ \t]*(?=[a-z])")
_ENDS_SENTENCE = re.compile(r"[.!?:;…\"”’)\]]$")
_PDF_DATE = re.compile(r"D:(\d{4})(\d{2})(\d{2})")


def normalise_page_text(text: str) -> str:
    """Plain text of one PDF page: words hyphenated at a line end rejoined, and lines wrapped
    inside a paragraph joined with a space. Blank lines stay as paragraph breaks, and a short line
    that does not end a sentence (a heading) stays on its own before a capitalised line."""
    text = text.translate(_LIGATURES).replace("\r\n", "\n").replace("\r", "\n")
    text = _HYPHEN_BREAK.sub("", text)
    lines = [line.rstrip() for line in text.split("\n")]
    longest = max((len(line.strip()) for line in lines), default=0)
    out: list[str] = []
    prev_len = 0   # length of the previous line as printed (before any joining)
    for line in lines:
        nxt = line.strip()
        if not nxt:
            if out and out[-1]:
                out.append("")
            prev_len = 0
            continue
        prev = out[-1] if out else ""
        # a line that does not end a sentence wraps into the next if that one goes on in lower
        # case, or if it was nearly as wide as the page's widest line (so not a heading)
        wraps = bool(prev) and not _ENDS_SENTENCE.search(prev) and (
            nxt[:1].islower() or nxt[:1].isdigit() or prev_len >= 0.6 * longest)
        if wraps:
            out[-1] = f"{prev} {nxt}"
        else:
            out.append(line)
        prev_len = len(nxt)
    return "\n".join(out).strip()


def _load_pdf(data: bytes, name: str) -> LoadedDocument:
    _quiet_libraries()
    from pypdf import PdfReader  # imported here: only PDFs need it

    def damaged(why: str = "") -> UnreadableDocument:
        return UnreadableDocument(
            f"{name}: this PDF is damaged and cannot be read ({why or 'not a valid PDF'})")

    if not data.strip():
        raise damaged("the file is empty")
    try:
        reader = PdfReader(io.BytesIO(data))
    except Exception as e:   # noqa: BLE001 - pypdf raises PdfReadError, ValueError, KeyError...
        raise damaged(_reason(e)) from None
    try:
        encrypted = reader.is_encrypted
    except Exception as e:   # noqa: BLE001
        raise damaged(_reason(e)) from None
    if encrypted:
        # Many PDFs are encrypted with an empty user password (only editing is restricted).
        # AES needs the `cryptography` package, which we do not ship: that counts as a failure.
        try:
            ok = reader.decrypt("")
        except Exception:   # noqa: BLE001 - DependencyError for AES, PdfReadError...
            ok = 0
        if not ok:
            raise UnreadableDocument(f"{name}: this PDF is encrypted; save an unencrypted copy first")
    try:
        texts = [normalise_page_text(page.extract_text() or "") for page in reader.pages]
    except Exception as e:   # noqa: BLE001
        raise damaged(_reason(e)) from None
    if not texts:
        raise damaged("it has no pages")
    if not any(t.strip() for t in texts):
        raise UnreadableDocument(f"{name}: no text layer: run OCR first")
    starts, offset = [], 0
    for t in texts:
        starts.append(offset)
        offset += len(t) + 2   # the "\n\n" between pages
    title, published = _pdf_metadata(reader)
    return LoadedDocument(text="\n\n".join(texts), format="pdf", title=title,
                          published=published, pages=tuple(starts))


def _pdf_metadata(reader) -> tuple[str, str]:
    """(title, published) from the PDF's document information, "" for what is missing or odd."""
    try:
        meta = reader.metadata or {}
        title = _clean(meta.get("/Title"))
        created = str(meta.get("/CreationDate") or "")
    except Exception:   # noqa: BLE001 - a broken info dictionary only loses the metadata
        return "", ""
    published = ""
    if m := _PDF_DATE.match(created.strip()):
        candidate = f"{m[1]}-{m[2]}-{m[3]}"
        published = candidate if _valid_date(candidate) else ""
    return title, published


def _reason(e: Exception) -> str:
    """A short reason from a parser's exception, for the damaged-PDF message."""
    text = " ".join(str(e).split())[:120]
    return text or type(e).__name__
