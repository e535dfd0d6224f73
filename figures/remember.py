"""Codes of a big frame's key columns, computed once while the frame lives.

The dashboard keeps one frame of every figure (and, for a big store's first page, a narrow one)
and filters it on every change of the sidebar. Choosing the rows of the cards and of the chart
by place needs integer codes of a million rows' dates, places and categories (0.3 s to compute);
``remembered`` keeps them with the frame instead of computing them again for each filter.
"""
from __future__ import annotations

import threading
import weakref

import pandas as pd

#: Frames with at least this many rows remember the codes of their key columns (``remembered``)
KEYS_MIN_ROWS = 50_000
#: id of a frame -> (the frame, weakly; its remembered codes: name -> (columns' arrays, codes))
_KEYS: dict[int, tuple[weakref.ref, dict]] = {}
#: re-entrant: a frame let go (``_forget``) may be collected while this thread holds it
_KEYS_LOCK = threading.RLock()


def remembered(df: pd.DataFrame, name: str, columns: tuple[str, ...], compute):
    """``compute()``, a function of the ``columns`` of ``df`` (full-length codes of their text),
    remembered while a big frame lives (``KEYS_MIN_ROWS``) and these columns hold the same
    arrays: the dashboard's frames are never changed in place, and each filter change would
    otherwise factorize a million rows' text again (0.3 s). A frame made from another (a
    selection, a copy) remembers nothing of it."""
    if len(df) < KEYS_MIN_ROWS:
        return compute()
    arrays = tuple(df[c].array if c in df else None for c in columns)
    with _KEYS_LOCK:
        held = _KEYS.get(id(df))
        memo = held[1] if held is not None and held[0]() is df else None
        got = memo.get(name) if memo is not None else None
    if got is not None and all(a is b for a, b in zip(got[0], arrays)):
        return got[1]
    value = compute()
    with _KEYS_LOCK:
        held = _KEYS.get(id(df))
        if held is None or held[0]() is not df:
            held = _KEYS[id(df)] = (weakref.ref(df), {})
            weakref.finalize(df, _forget, id(df), held[0])
        held[1][name] = (arrays, value)
    return value


def _forget(key: int, ref: weakref.ref) -> None:
    with _KEYS_LOCK:
        if key in _KEYS and _KEYS[key][0] is ref:
            del _KEYS[key]
