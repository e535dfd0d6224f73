"""Near-duplicate texts: one story carried by many outlets is one story.

A wire story reappears on many sites with other boilerplate around it, a new headline, or its
last paragraph trimmed. At ingest each document gets a fingerprint (trafilatura's 64-bit Simhash
of its words, ``trafilatura.deduplication``) kept in the store's ``fingerprints`` table. A new
document's candidates are the stored documents whose fingerprint is within ``MAX_HAMMING`` bits
of its own (a scan of the fingerprints only, never of the texts), nearest first, at most
``MAX_CANDIDATES``; each candidate is then verified by the Jaccard similarity of the two texts'
word 4-shingles, and the best one at ``MIN_JACCARD`` or above makes the new document a copy of
that candidate's story.

Thresholds, measured by ``bench/dedup.py thresholds`` on 51 news and agency texts of 60+ words
(the Wikinews and IDMC dev sets and the seeds) and on copies of each made in four shapes (other
boilerplate around it, a new headline, the last paragraph cut, all three at once):

- Jaccard of 4-shingles: between different texts at most 0.014 (1,275 pairs); copies with other
  boilerplate, a new headline or the last paragraph cut >= 0.44 (except two one-paragraph texts
  whose "headline", the whole text, was cut: nothing left to compare); all three at once >= 0.287,
  41 of 44 >= 0.3. ``MIN_JACCARD`` = 0.3 keeps a wide margin over different texts, and over a
  report that quotes one paragraph of a six-paragraph story word for word (0.09 in the tests).
  In a synthetic store of 3,025 documents written from a small pool of sentences
  (``bench/dedup.py cost``) none was linked to another.
- Simhash Hamming distance: copies <= 24 bits (the two empty ones aside), median 4 to 11;
  different texts >= 17, and 7.6 % of pairs <= 24. So the fingerprint cannot decide alone (it
  is the filter): ``MAX_HAMMING`` = 24 keeps every measured copy as a candidate and leaves about
  one stored document in thirteen for the Jaccard check, capped at the ``MAX_CANDIDATES``
  nearest.

Texts of fewer than ``MIN_SHINGLES`` shingles (a two-line brief) are never linked: two
different briefs share too large a part of so few words.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
from trafilatura.deduplication import Simhash

SHINGLE_WORDS = 4
MIN_JACCARD = 0.3
MAX_HAMMING = 24
MAX_CANDIDATES = 32
MIN_SHINGLES = 20
CACHED_TEXTS = 4000

_WORD = re.compile(r"\w+")


def shingles(text: str, k: int = SHINGLE_WORDS) -> frozenset[str]:
    """The text's word k-shingles: runs of k words, lowercased, punctuation and layout ignored."""
    words = _WORD.findall(text.lower())
    if len(words) < k:
        return frozenset([" ".join(words)]) if words else frozenset()
    return frozenset(" ".join(words[i:i + k]) for i in range(len(words) - k + 1))


def jaccard(a: frozenset, b: frozenset) -> float:
    """|a & b| / |a | b|; 0.0 when both are empty."""
    if not a and not b:
        return 0.0
    inter = len(a & b)
    return inter / (len(a) + len(b) - inter)


def fingerprint(text: str) -> int:
    """The text's 64-bit Simhash as a signed integer (what an SQLite INTEGER holds)."""
    h = Simhash(text).hash
    return h - (1 << 64) if h >= 1 << 63 else h


def hamming(fingerprints: np.ndarray, fp: int) -> np.ndarray:
    """The Hamming distance of ``fp`` to each of ``fingerprints`` (signed 64-bit integers)."""
    x = np.bitwise_xor(np.asarray(fingerprints, dtype=np.int64), np.int64(fp))
    return np.bitwise_count(x.view(np.uint64)).astype(np.int16)


@dataclass
class Fingerprinted:
    """What the store keeps of a text to find its copies, and its shingles for the check."""
    simhash: int
    shingles: frozenset[str]

    @classmethod
    def of(cls, text: str) -> "Fingerprinted":
        return cls(fingerprint(text), shingles(text))


class Index:
    """The stored fingerprints in memory for one ingest transaction: (document id, story id,
    fingerprint) of each, plus the documents added during it. ``texts(ids)`` reads stored texts
    (only the candidates' are read)."""

    def __init__(self, rows, texts):
        rows = list(rows)
        self.ids = [r[0] for r in rows]
        self.stories = [r[1] for r in rows]
        self.fps = np.array([r[2] for r in rows], dtype=np.int64)
        self._texts = texts
        self._shingles: dict[int, frozenset[str]] = {}
        self.checked = 0      # candidates verified (for the benchmark)

    def add(self, document_id: int, story_id: int, fp: Fingerprinted) -> None:
        self.ids.append(document_id)
        self.stories.append(story_id)
        self.fps = np.append(self.fps, np.int64(fp.simhash))
        self._shingles[document_id] = fp.shingles

    def match(self, fp: Fingerprinted, before: int | None = None) -> tuple[int, int, float] | None:
        """(document id, story id, Jaccard) of the stored text ``fp`` is a near copy of, the most
        similar one; None when there is none. ``before``: only documents with a smaller id."""
        if len(fp.shingles) < MIN_SHINGLES or not self.ids:
            return None
        dist = hamming(self.fps, fp.simhash)
        near = np.flatnonzero(dist <= MAX_HAMMING)
        if before is not None:
            near = near[np.asarray(self.ids, dtype=np.int64)[near] < before]
        near = near[np.argsort(dist[near], kind="stable")][:MAX_CANDIDATES]
        if not len(near):
            return None
        ids = [self.ids[i] for i in near]
        if len(self._shingles) > CACHED_TEXTS:    # a long backfill: bounded memory
            self._shingles.clear()
        missing = [i for i in ids if i not in self._shingles]
        if missing:
            for i, text in self._texts(missing):
                self._shingles[i] = shingles(text)
        best = None
        for pos, i in zip(near, ids):
            self.checked += 1
            other = self._shingles[i]
            if len(other) < MIN_SHINGLES:
                continue
            j = jaccard(fp.shingles, other)
            if j >= MIN_JACCARD and (best is None or j > best[2]):
                best = (i, self.stories[pos], j)
        return best
