"""Reading a document file into text, with a clear error for anything that is not readable text."""
from __future__ import annotations

from pathlib import Path

MAX_BYTES = 20 * 1024 * 1024   # 20 MB: larger files are refused, not half-read


class UnreadableDocument(Exception):
    """A file that cannot be read as a document; the message says why, for the user."""


def _size(n: int, trim: bool = False) -> str:
    """A byte count for people: "25.3 MB", "512 bytes"; with trim, "20 MB" for 20.0 (1 MB = 1024 KB)."""
    for unit, scale in (("MB", 1024 * 1024), ("KB", 1024)):
        if n >= scale:
            shown = f"{n / scale:.1f}"
            return f"{shown.removesuffix('.0') if trim else shown} {unit}"
    return f"{n} bytes"


def too_big(name: str, size: int, max_bytes: int) -> UnreadableDocument:
    """The error for a file over the size limit: "x.pdf: the file is 25.3 MB, over the 20 MB limit"."""
    return UnreadableDocument(f"{name}: the file is {_size(size)}, over the {_size(max_bytes, trim=True)} limit")


def looks_binary(data: bytes) -> bool:
    """Whether the start of the data is binary rather than text: a NUL byte, or more than 5%
    control characters other than tab, line feed, form feed and carriage return."""
    sample = data[:8192]
    controls = sum(1 for b in sample if b < 32 and b not in (9, 10, 12, 13))
    return b"\x00" in sample or controls > len(sample) * 0.05


def _utf16_without_bom(data: bytes) -> str | None:
    """The text of UTF-16 written without a byte-order mark, recognised by its NUL bytes: in text
    that is mostly Latin script every other byte is zero. None when the data is not that."""
    sample = data[:8192]
    if len(data) % 2 or len(sample) < 8:
        return None
    even, odd = sample[0::2], sample[1::2]
    for zeros, others, codec in ((odd, even, "utf-16-le"), (even, odd, "utf-16-be")):
        if zeros.count(0) >= 0.9 * len(zeros) and others.count(0) <= 0.05 * len(others):
            try:
                text = data.decode(codec)
            except UnicodeDecodeError:
                return None
            return None if looks_binary(text[:8192].encode("utf-8")) else text
    return None


def decode(data: bytes, name: str = "input") -> str:
    """Bytes to text: UTF-8 (with or without BOM), UTF-16 (with a BOM, or without one when its NUL
    bytes show it), else Windows-1252. UTF-8 with a few broken bytes (a file cut in the middle of
    a character, one pasted byte from another encoding) stays UTF-8: each broken byte becomes
    U+FFFD and the rest of the text is kept as written.

    Refuses empty input and binary data (NUL bytes or many control characters)."""
    if not data.strip():
        raise UnreadableDocument(f"{name}: the file is empty")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as e:
            raise UnreadableDocument(f"{name}: broken UTF-16 text ({e.reason})") from None
    if looks_binary(data):
        text = _utf16_without_bom(data)
        if text is not None and text.strip():
            return text
        raise UnreadableDocument(f"{name}: this is a binary file, not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    text = data.decode("utf-8", errors="replace").removeprefix("\ufeff")
    broken = text.count("\ufffd") - data.count("\ufffd".encode())
    well_formed = len(text) - len(text.encode("ascii", errors="ignore")) - broken
    if well_formed > broken:
        # more characters written correctly in UTF-8 than bytes that are not: UTF-8 with damage
        return text
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def read_text_file(path: Path, max_bytes: int = MAX_BYTES) -> str:
    """The text of one file, or UnreadableDocument naming the file and the reason."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise too_big(str(path), size, max_bytes)
        data = path.read_bytes()
    except OSError as e:
        raise UnreadableDocument(f"{path}: cannot read it ({e.strerror or e})") from None
    return decode(data, str(path))
