"""The gazetteer is built once and then read from a cache file: the same entries either way, and a
damaged or unwritable cache only costs a slower start."""
import os
import subprocess
import sys

import pytest

from conftest import ROOT

PROBE = (
    "import json, sys; sys.path.insert(0, sys.argv[1]);"
    "from figures.places import gazetteer; g = gazetteer();"
    "print(json.dumps([len(g), g['raqa'], g['mosul'], g['syria']]))"
)


def probe(cache_dir) -> tuple[list, subprocess.CompletedProcess]:
    env = {**os.environ, "FIGURES_CACHE_DIR": str(cache_dir)}
    done = subprocess.run([sys.executable, "-c", PROBE, str(ROOT)], env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    import json
    return json.loads(done.stdout), done


@pytest.fixture(scope="module")
def built():
    from figures.places import build_gazetteer
    return build_gazetteer()


def test_cache_file_is_written_then_read_with_the_same_entries(tmp_path, built):
    first, _ = probe(tmp_path)
    files = list(tmp_path.glob("gazetteer-*.marshal"))
    assert len(files) == 1 and files[0].stat().st_size > 1_000_000
    stamp = files[0].stat().st_mtime_ns
    second, _ = probe(tmp_path)
    assert files[0].stat().st_mtime_ns == stamp      # read, not rebuilt
    assert first == second
    assert first[0] == len(built)
    assert [tuple(e) for e in built["raqa"]] == [tuple(e) for e in second[1]]


def test_a_damaged_cache_is_rebuilt(tmp_path, built):
    probe(tmp_path)
    (cache,) = tmp_path.glob("gazetteer-*.marshal")
    cache.write_bytes(b"\x00garbage" * 10)
    again, _ = probe(tmp_path)
    assert again[0] == len(built)
    assert cache.stat().st_size > 1_000_000          # replaced by a good one


def test_an_unwritable_cache_folder_only_costs_time(tmp_path, built):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder should be")
    result, done = probe(blocker / "cache")
    assert result[0] == len(built)
    assert done.stderr == ""
