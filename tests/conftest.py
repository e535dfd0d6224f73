import atexit
import os
import shutil
import sys
import tempfile
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CASES = Path(__file__).resolve().parent / "cases"
sys.path.insert(0, str(ROOT))

# The tests (and the processes they start) use a cache folder of their own, removed at the end:
# nothing is left in the user's cache, and no earlier run's cache decides a result.
_CACHE = tempfile.mkdtemp(prefix="figures-test-cache-")
os.environ["FIGURES_CACHE_DIR"] = _CACHE
atexit.register(shutil.rmtree, _CACHE, ignore_errors=True)


# One document whose figure has a speaker, a place with its level and a date of its own: the
# store, views and app tests store this figure as written here (test_store checks that the engine
# reads exactly it from UNICEF), changing a field where they need another value.
UNICEF = ("Some 1,500 children have been displaced in Raqqa since 1 March, UNICEF spokeswoman "
          "Marixie Mercado said.\n")


def unicef_figure(**changes):
    from figures.schema import Figure
    a = UNICEF.index("Some 1,500")
    fig = Figure(doc_id="unicef", article=0, category="displaced", value=1500.0,
                 value_low=1500.0, value_high=1500.0, qualifier="approx", number_text="Some 1,500",
                 unit="people", who="children", combatant=False, term="displaced",
                 location="Raqqa", location_level="town", country="SYR", lat=35.9528,
                 lon=39.0079, source="UNICEF",
                 speaker="Marixie Mercado", reported_date="2017-09-20", figure_date="2017-03-01",
                 figure_date_text="since 1 March", quote=UNICEF.strip(), start=a,
                 end=a + len("Some 1,500 children have been displaced"))
    for k, v in changes.items():
        setattr(fig, k, v)
    return fig


def load_cases(name: str) -> list[dict]:
    with open(CASES / name, "rb") as f:
        return tomllib.load(f)["case"]


@pytest.fixture(autouse=True)
def _keep_the_main_module(monkeypatch):
    """Streamlit's AppTest installs the app script as ``__main__`` and leaves it there; a process
    spawned by a later test (test_batch's spawned workers) would then run app.py first, opening
    data/figures.db in the project and racing its sibling to create it. Each test gets back the
    ``__main__`` it started with."""
    monkeypatch.setitem(sys.modules, "__main__", sys.modules["__main__"])
