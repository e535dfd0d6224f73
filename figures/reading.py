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


def decode(data: bytes, name: str = "input") -> str:
    """Bytes to text: UTF-8 (with or without BOM), UTF-16 with BOM, else Windows-1252.

    Refuses empty input and binary data (NUL bytes or many control characters)."""
    if not data.strip():
        raise UnreadableDocument(f"{name}: the file is empty")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as e:
            raise UnreadableDocument(f"{name}: broken UTF-16 text ({e.reason})") from None
    sample = data[:8192]
    controls = sum(1 for b in sample if b < 32 and b not in (9, 10, 12, 13))
    if b"\x00" in sample or controls > len(sample) * 0.05:
        raise UnreadableDocument(f"{name}: this is a binary file, not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
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
