"""No pattern can backtrack catastrophically, adversarial text finishes well inside a generous
bound, and a document that still runs too long fails alone with a clear message."""
import re
import sys
import time
from re import _constants as C
from re import _parser

import pytest

import figures.extract  # noqa: F401  (the modules, not the functions they export)
from figures import ExtractionTimeout, extract
from figures.store import Store
from figures.formats import load_pasted

ENGINE = [sys.modules[f"figures.{m}"] for m in ("extract", "numbers", "document", "places", "sources")]


def engine_patterns():
    """Every compiled pattern of the engine: module constants and those built from the word lists."""
    ex, src, pl = (sys.modules[f"figures.{m}"] for m in ("extract", "sources", "places"))
    for module in ENGINE:
        for name, value in vars(module).items():
            if isinstance(value, re.Pattern):
                yield f"{module.__name__}.{name}", value
    for name, value in ex._lexicon().items():
        if isinstance(value, re.Pattern):
            yield f"lexicon {name}", value
    for name, value in ex._not_count_patterns().items():
        yield f"not a count {name}", value
    for category, side, value in ex._lexicon()["triggers"]:
        yield f"trigger {category} {side}", value
    for name, value in src._patterns().items():
        if isinstance(value, re.Pattern):
            yield f"attribution {name}", value
    for i, value in enumerate(pl._cue_patterns()):
        yield f"place cue {i}", value
    yield "destinations", pl._destination_pattern()


def _children(op, av):
    if op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT):
        return [av[2]]
    if op == C.SUBPATTERN:
        return [av[-1]]
    if op == C.BRANCH:
        return list(av[1])
    if op in (C.ASSERT, C.ASSERT_NOT, C.ATOMIC_GROUP):
        return [av[-1]]
    return []


def _has_unbounded(items) -> bool:
    for op, av in items:
        if op in (C.MAX_REPEAT, C.MIN_REPEAT) and av[1] == C.MAXREPEAT:
            return True
        if any(_has_unbounded(c) for c in _children(op, av)):
            return True
    return False


def nested_unbounded(items) -> list[str]:
    """Unbounded repeats with another unbounded repeat inside: the shape that backtracks without end."""
    found = []
    for op, av in items:
        if op in (C.MAX_REPEAT, C.MIN_REPEAT) and av[1] == C.MAXREPEAT and _has_unbounded(av[2]):
            found.append(str(av[2])[:120])
        for child in _children(op, av):
            found += nested_unbounded(child)
    return found


def test_the_audit_sees_the_dangerous_shape():
    assert nested_unbounded(_parser.parse(r"(a+)+b"))
    assert nested_unbounded(_parser.parse(r"(?:\s+\w+)*x"))
    assert not nested_unbounded(_parser.parse(r"(?:\s+\w+){0,9}x"))


def test_no_engine_pattern_nests_unbounded_repeats():
    patterns = list(engine_patterns())
    assert len(patterns) > 40
    bad = {name: nested_unbounded(_parser.parse(p.pattern, p.flags)) for name, p in patterns}
    assert {name: where for name, where in bad.items() if where} == {}


NORMAL = ("Fighting in the north displaced more than 12,000 people last week, the UN said. "
          "At least 40 civilians were killed in Mosul, according to local officials. ")

@pytest.fixture(autouse=True, scope="module")
def warm_engine():
    """The gazetteer and word lists load on first use (seconds with an empty cache folder): load
    them before any test here times the engine."""
    extract(NORMAL)


ADVERSARIAL = {
    "digits and commas": "1,2" * 350_000,
    "one sentence, no full stop": " ".join(["people", "killed", "12", "in", "Mosul", "said"]
                                           * 35_000),
    "qualifiers in a row": "up to more than at least nearly about some " * 25_000 + "12 killed.",
    "capitalised words": "Al Raqqa Province Of The Syrian Observatory " * 25_000,
    "open brackets": "(12 people killed " * 60_000,
    "a long line of figures": NORMAL.replace(". ", "; ") * 7_000,
}


@pytest.mark.parametrize("name", ADVERSARIAL)
def test_adversarial_text_finishes_inside_ten_seconds_per_mb(name):
    text = ADVERSARIAL[name]
    assert len(text) >= 900_000
    # CPU time, so a busy machine does not fail the test; the engine's own (wall) clock keeps its
    # default limit, which raises ExtractionTimeout past it
    started = time.process_time()
    figures = extract(text, doc_id=name)
    assert time.process_time() - started < 10 * len(text) / 1e6
    for f in figures:
        assert 0 <= f.start < f.end <= len(text)


RUNS = list(".!?…,;:-–—'\"“”()[]\n\t /\\*#_=+<>|&%$0") + ["\r\n", ". ", "a.", "A. ", ", "]


@pytest.mark.parametrize("run", RUNS, ids=repr)
def test_a_long_run_of_one_mark_costs_one_pass(run):
    """Whole-document patterns (sentence ends, lines) meet runs like these on real pages; a run
    of 40,000 dots used to take 40 s (each dot started the same failing match)."""
    for tail in ("", "x"):
        text = ("12 people were killed in Mosul. " + run * (60_000 // len(run)) + tail
                + " 40 people were injured in Aleppo.")
        started = time.process_time()         # generous: the quadratic case took minutes
        figures = extract(text)
        assert time.process_time() - started < 2 + 10 * len(text) / 1e6
        assert {f.value for f in figures} >= {12}


def test_a_runaway_whole_document_pattern_is_stopped_by_the_regex_timeout(monkeypatch):
    """The backstop: were a sentence-end pattern quadratic again (this is the old one, which took
    40 s on 40,000 dots), the regex module's timeout stops it at the document's deadline."""
    import regex
    # the globals of the structure() this test's extract() calls (another test may have loaded
    # a second copy of the modules)
    document_globals = extract.__globals__["structure"].__globals__
    old = regex.compile(r"[.!?…]+[\"'”’)\]]*(?=\s+[\"'“‘(\[]?[A-Z0-9])|[.!?]+[\"'”’)\]]*\s*$")
    monkeypatch.setitem(document_globals, "_SENTENCE_END", old)
    extract(NORMAL)       # the gazetteer and word lists loaded: only the pattern can be slow
    # lines shorter than MAX_LINE, each dots then a letter: 15,000 dots alone take seconds
    text = "12 people were killed in Mosul.\n" + ("." * 15_000 + "x\n") * 4
    started = time.monotonic()
    with pytest.raises(ExtractionTimeout, match="dots.txt: extraction stopped after 1 s"):
        extract(text, doc_id="dots.txt", time_limit=1)
    assert time.monotonic() - started < 5


def test_past_its_time_limit_a_document_fails_alone_with_a_clear_message(tmp_path, monkeypatch):
    with pytest.raises(ExtractionTimeout, match=r"slow\.txt: extraction stopped after 0 s"):
        extract(NORMAL * 10, doc_id="slow.txt", time_limit=0)
    # in the store: the slow document is refused, nothing half-written, the next one is added
    monkeypatch.setattr(sys.modules["figures.extract"], "TIME_LIMIT_S", 0.0)
    monkeypatch.setattr(sys.modules["figures.extract"], "TIME_LIMIT_PER_MB_S", 0.0)
    with Store(tmp_path / "f.db") as store:
        with pytest.raises(ExtractionTimeout, match="skipped"):
            store.add(load_pasted(NORMAL, title="slow"))
        assert store.stats()["documents"] == 0
        quiet = store.add(load_pasted("A quiet day in the capital, the mayor said.", title="quiet"))
        assert quiet.status == "added" and store.stats()["documents"] == 1
