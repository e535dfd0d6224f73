"""The server's watcher (figures/standby.py): the dashboard's first page is prepared when the server
starts and again after each change of the store, whoever made it."""
import logging
import threading
import time

import pytest

from figures import standby
from figures.formats import load_pasted
from figures.store import Store

REPORT = "Shelling killed 14 civilians in Idlib on Monday, the local council said.\n"


class Calls:
    """``prepare`` for ``keep_ready``: records the store's version at each call."""

    def __init__(self, fail_first: bool = False):
        self.versions: list[tuple] = []
        self.fail_first = fail_first
        self.cond = threading.Condition()

    def __call__(self, path):
        with Store(path) as s:
            version = s.data_version()
        with self.cond:
            self.versions.append(version)
            self.cond.notify_all()
        if self.fail_first and len(self.versions) == 1:
            raise OSError("disk full (a test's own failure)")

    def wait_for(self, n: int, timeout: float = 10) -> list[tuple]:
        with self.cond:
            assert self.cond.wait_for(lambda: len(self.versions) >= n, timeout), self.versions
            return list(self.versions)


@pytest.fixture
def watched(tmp_path):
    """A running watcher over a store at tmp_path/f.db; stopped at the end."""
    running = []

    def start(calls, every=0.05, create=True):
        path = tmp_path / "f.db"
        if create:
            with Store(path) as s:
                s.add(load_pasted(REPORT, title="first", published="2025-03-03"))
        stop = threading.Event()                # as scripts/serve.py runs it, in a thread
        thread = threading.Thread(target=standby.keep_ready, args=(path, calls, every, stop),
                                  daemon=True)
        thread.start()
        running.append((thread, stop))
        return path
    yield start
    for thread, stop in running:
        stop.set()
        thread.join(5)
        assert not thread.is_alive()


def test_the_page_is_prepared_at_the_start_and_after_each_change(watched):
    calls = Calls()
    path = watched(calls)
    (first,) = calls.wait_for(1)
    time.sleep(0.3)                       # six looks at an unchanged store: nothing done again
    assert len(calls.versions) == 1
    with Store(path) as s:                # a change by another program (the Store API)
        fid = s.figures()[0]["figure_id"]
        s.review(fid, "rejected", note="wrong town")
        after_review = s.data_version()
    assert calls.wait_for(2)[1] == after_review != first
    with Store(path) as s:
        s.add(load_pasted(REPORT.replace("14", "15"), title="second", published="2025-03-04"))
        after_ingest = s.data_version()
    assert calls.wait_for(3)[2] == after_ingest


def test_a_store_not_yet_made_is_waited_for_not_created(watched, tmp_path):
    calls = Calls()
    path = watched(calls, create=False)
    time.sleep(0.3)
    assert calls.versions == [] and not path.exists()      # the first page makes it, not this
    with Store(path) as s:       # (the watcher may see it empty first, then with the report)
        s.add(load_pasted(REPORT, title="first", published="2025-03-03"))
        version = s.data_version()
    with calls.cond:
        assert calls.cond.wait_for(lambda: version in calls.versions, 10), calls.versions


def test_a_failure_is_logged_and_the_next_change_is_prepared(watched, caplog):
    calls = Calls(fail_first=True)
    with caplog.at_level(logging.WARNING, logger="figures.standby"):
        path = watched(calls)
        calls.wait_for(1)
        time.sleep(0.2)
    assert len(calls.versions) == 1       # the failed state is not tried again and again
    assert "could not prepare the dashboard" in caplog.text and "disk full" in caplog.text
    with Store(path) as s:
        s.review(s.figures()[0]["figure_id"], "accepted")
    calls.wait_for(2)


def test_every_zero_prepares_once(tmp_path):
    path = tmp_path / "f.db"
    with Store(path) as s:
        s.add(load_pasted(REPORT, title="first", published="2025-03-03"))
    calls = Calls()
    standby.keep_ready(path, calls, every=0)      # returns: nothing watches afterwards
    assert len(calls.versions) == 1


@pytest.mark.parametrize("value, seconds", [("", standby.DEFAULT_EVERY), ("2.5", 2.5), ("0", 0.0),
                                            ("soon", standby.DEFAULT_EVERY)])
def test_watch_seconds_from_the_environment(monkeypatch, value, seconds):
    monkeypatch.setenv("FIGURES_WATCH_SECONDS", value)
    assert standby.watch_seconds() == seconds
