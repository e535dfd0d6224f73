"""Word lists as data: TOML files beside this module, read once.

An analyst adds a term by editing the TOML file named for what it holds (``triggers.toml`` for the
words that decide a category, ``groups.toml`` for victim and combatant nouns, ``attribution.toml`` for
the words that credit a source, ``numbers.toml`` for number words and qualifiers, ``places.toml``
for place cues and aliases, ``boilerplate.toml`` for web-page clutter).
"""
from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path

HERE = Path(__file__).parent


@cache
def load(name: str) -> dict:
    """The parsed contents of ``<name>.toml`` in this folder."""
    with open(HERE / f"{name}.toml", "rb") as f:
        return tomllib.load(f)
