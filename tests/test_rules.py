"""Table-driven rule tests: sentences and the figures they must yield (cases/sentences_*.toml).

A case lists the figures a careful analyst would record; only the keys it gives are checked.
Every listed figure must be found, and nothing may be found beyond what is listed (a case may
mark extra figures as tolerated with `allow_extra = true`). A part of a breakdown names its
total with `part_of_value` (the total's value; "" for a figure that stands alone), and no part
may point at a figure that is not there. Known failures are listed in XFAIL by their text's
start, with the reason.
"""
import pytest

from conftest import CASES as CASES_DIR, load_cases
from figures import extract
from figures.places import fold

# every cases/sentences_*.toml: one file per theme (places, sources, ...), so a new theme is a file
CASES = [(path.name, c) for path in sorted(CASES_DIR.glob("sentences_*.toml"))
         for c in load_cases(path.name)]

# Known failures: the start of the case text -> why the engine gets it wrong today.
XFAIL: dict[str, str] = {
    "The Observatory said the strikes hit two mark": "killed 6: country: want 'SYR', got 'PSE'",
    "Government forces pushed deeper into Idlib on": "displaced 2000: location: want 'Idlib', got ''",
    "About 5,000 people have fled by boat from Pal": "displaced 5000: country: want 'MOZ', got 'ESP'",
    "Landmine blast kills three children in Kandah": "misses trapped 8000",
}


def _same_place(want: str, got: str) -> bool:
    drop = {"the", "province", "governorate", "city", "town", "district", "region", "village"}
    w = " ".join(x for x in want.lower().split() if x not in drop)
    g = " ".join(x for x in got.lower().split() if x not in drop)
    return fold(w) == fold(g) or (bool(g) and (fold(w) in fold(g) or fold(g) in fold(w)))


def _same_source(want: str, got: str) -> bool:
    strip = lambda s: " ".join(s.lower().replace("the ", " ").split())  # noqa: E731
    w, g = strip(want), strip(got)
    return (w == g) if not w or not g else (w in g or g in w)


def _total_of(fig, figures):
    """The figure that ``fig`` is a part of (same document, article and category, starting at its
    ``part_of``), or None."""
    if fig.part_of is None:
        return None
    return next((f for f in figures if f.doc_id == fig.doc_id and f.article == fig.article
                 and f.category == fig.category and f.start == fig.part_of
                 and f.part_of is None), None)


def _matches(want: dict, fig, figures=()) -> list[str]:
    """The keys on which figure ``fig`` differs from the expectation ``want``. ``part_of_value``
    is the value of the total ``fig`` is a part of ("" for a figure that stands alone)."""
    bad = []
    for key, value in want.items():
        if key == "part_of_value":
            total = _total_of(fig, figures)
            got = "" if fig.part_of is None else (total.value if total is not None else "dangling")
            ok = (got == "") if value == "" else (total is not None and float(total.value) == float(value))
            if not ok:
                bad.append(f"part_of_value: want {value!r}, got {got!r}")
            continue
        if key == "exact_source":       # the source as a briefing would show it, word for word
            if fig.source != value:
                bad.append(f"exact_source: want {value!r}, got {fig.source!r}")
            continue
        got = getattr(fig, key)
        if key in ("value", "value_low", "value_high"):
            ok = (got is None) if value == "" else (got is not None and float(got) == float(value))
        elif key == "location":
            ok = _same_place(value, got) if value else got == ""
        elif key == "source":
            ok = _same_source(value, got)
        else:
            ok = got == value
        if not ok:
            bad.append(f"{key}: want {value!r}, got {got!r}")
    return bad


def _describe(f) -> str:
    return (f"{f.category} {f.number_text!r} who={f.who} loc={f.location!r} src={f.source!r} "
            f"date={f.reported_date!r} art={f.article}"
            + ("" if f.part_of is None else f" part_of={f.part_of}"))


def _ids():
    return [f"{name[10:-5]}:{c['rule']}:{c['text'][:50]}" for name, c in CASES]


@pytest.mark.parametrize("name,case", CASES, ids=_ids())
def test_rule_case(name, case):
    reason = next((r for k, r in XFAIL.items() if case["text"].startswith(k)), None)
    if reason:
        pytest.xfail(reason)
    figures = extract(case["text"], doc_id="case", date=case.get("date"))
    unmatched = list(figures)
    problems = []
    for want in case["figures"]:
        same_kind = [f for f in unmatched if f.category == want["category"]
                     and float(f.value) == float(want["value"])]
        if not same_kind:
            problems.append(f"missing {want}")
            continue
        best = min(same_kind, key=lambda f: len(_matches(want, f, figures)))
        diff = _matches(want, best, figures)
        if diff:
            problems.append(f"{want['category']} {want['value']}: " + "; ".join(diff))
        unmatched.remove(best)
    problems.extend(f"part without its total: {_describe(f)}" for f in figures
                    if f.part_of is not None and _total_of(f, figures) is None)
    if unmatched and not case.get("allow_extra"):
        problems.extend(f"unexpected {_describe(f)}" for f in unmatched)
    assert not problems, "\n".join(problems) + "\nfound: " + " | ".join(map(_describe, figures))
