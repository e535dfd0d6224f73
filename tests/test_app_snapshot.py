"""One script run of the dashboard shows one state of the store.

bench/load.py found pages whose sidebar said "1,706 figures stored" while the caption and cards
under it came from a later state: an ingest had committed between the sidebar's read and the
page's. The frame is now taken once per run (app_pages/common.py)."""
from app_pages import common
from figures.formats import load_pasted
from figures.store import Store

SINDH = "Floods have displaced 12,000 people in Sindh province, officials said on Monday.\n"
KHARKIV = "Shelling injured 40 people in Kharkiv on Monday, the regional governor said.\n"


def test_one_script_run_sees_one_state_of_the_store(tmp_path, monkeypatch):
    db = tmp_path / "f.db"
    with Store(db) as s:
        s.add(load_pasted(SINDH))
    monkeypatch.setenv("FIGURES_DB", str(db))

    store = common.open_store()              # what app.py does at the start of a run
    try:
        first = common.all_figures(store)    # the sidebar's read
        with Store(db) as other:             # another process commits mid-run
            assert other.add(load_pasted(KHARKIV)).status == "added"
        again = common.all_figures(store)    # the page's read, later in the same run
        assert len(first) == len(again) == 1
        assert list(again["figure_id"]) == list(first["figure_id"])
    finally:
        store.close()

    store = common.open_store()              # the next run sees the new state
    try:
        assert sorted(common.all_figures(store)["category"]) == ["displaced", "injured"]
    finally:
        store.close()
