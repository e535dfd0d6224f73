"""The user's cache folder for things that are slow to build and safe to rebuild (the gazetteer,
the dashboard's table of figures): ``$FIGURES_CACHE_DIR``, else ``$XDG_CACHE_HOME`` or ``~/.cache``
plus ``humanitarian-figures``; ``FIGURES_CACHE_DIR=-`` turns caching off. Nothing in it is ever the
only copy of anything: a cache file that cannot be read or written only costs time."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path


def cache_dir() -> Path | None:
    """The cache folder (not created here), or None when caching is off."""
    folder = os.environ.get("FIGURES_CACHE_DIR")
    if folder == "-":
        return None
    if not folder:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        folder = os.path.join(base, "humanitarian-figures")
    return Path(folder)


def write_atomically(path: Path, write) -> bool:
    """Call ``write(file_object)`` on a temporary file beside ``path``, then move it into place, so
    a reader sees the old file or the whole new one. False (and no file) when that fails."""
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-")
        with os.fdopen(fd, "wb") as f:
            write(f)
        os.replace(tmp, path)
        return True
    except OSError:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass
        return False
