"""Keep a running dashboard ready for its next visitor: its first page is prepared when the server
starts and again after every change of the store, whoever made it (the dashboard, a command, a
feed, another program using ``Store``).

A change costs the next page the update of the frame of figures and the Overview's cards and
chart (seconds at a million figures). ``keep_ready`` watches the store's ``data_version`` (two
index reads) every few seconds and calls ``prepare`` after each change, in a thread of the
server (``scripts/serve.py``), so that this work is done before anyone asks, not while an
analyst waits.
"""
from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path

from .store import Store

log = logging.getLogger(__name__)

#: Seconds between two looks at the store's version (``$FIGURES_WATCH_SECONDS``; 0: prepare once,
#: at the start, and never watch)
DEFAULT_EVERY = 5.0


def watch_seconds(default: float = DEFAULT_EVERY) -> float:
    """``$FIGURES_WATCH_SECONDS`` as a number of seconds (0 or less: do not watch)."""
    text = os.environ.get("FIGURES_WATCH_SECONDS", "").strip()
    if not text:
        return default
    try:
        return float(text)
    except ValueError:
        log.warning("FIGURES_WATCH_SECONDS=%r is not a number of seconds; %s s is used",
                    text, default)
        return default


def version_of(path: Path) -> tuple | None:
    """The store's ``data_version``, or None when there is no store at ``path`` (none is created
    here: the dashboard's first page creates and fills it)."""
    if not path.is_file():
        return None
    with Store(path) as store:
        return store.data_version()


def keep_ready(path: Path, prepare: Callable[[Path], object], every: float = DEFAULT_EVERY,
               stop: threading.Event | None = None) -> None:
    """Call ``prepare(path)`` now and after each change of the store at ``path``, looked for
    every ``every`` seconds, until ``stop`` is set (``every`` <= 0: once). A store that does not
    exist yet is waited for. An error (a damaged or locked store, a full disk) is logged, and
    the same state is not prepared again: the page then meets it and says what is wrong."""
    stop = stop or threading.Event()
    done = None
    while not stop.is_set():
        try:
            version = version_of(path)
            if version is not None and version != done:
                done = version
                prepare(path)
        except Exception:           # noqa: BLE001 - a watcher must outlive any one bad state
            log.warning("could not prepare the dashboard for %s", path, exc_info=True)
        if every <= 0:
            return
        stop.wait(every)

