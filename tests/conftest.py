import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CASES = Path(__file__).resolve().parent / "cases"
sys.path.insert(0, str(ROOT))


def load_cases(name: str) -> list[dict]:
    with open(CASES / name, "rb") as f:
        return tomllib.load(f)["case"]
