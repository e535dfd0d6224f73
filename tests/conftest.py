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
