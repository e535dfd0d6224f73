"""The dashboard's frame of every figure (figures/frames.py): cached per state of the store, updated
after a change with only the stories that changed, and always equal to reading it afresh."""
import pytest

from figures import frames
from figures import narrow as narrow_reads
from figures.formats import load_pasted
from figures.store import Store
from test_dedup import add_story
from test_views import DOCS


def damage(path):
    """Replace a cached file with garbage, as a new file (the frames in memory map the old one:
    a file cut short under them could not be read)."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(b"not arrow at all")
    tmp.replace(path)


def test_the_frame_is_cached_per_store_state_and_rebuilt_after_any_commit(tmp_path, monkeypatch):
    import pandas as pd
    monkeypatch.setenv("FIGURES_CACHE_DIR", str(tmp_path / "cache"))
    with Store(tmp_path / "f.db") as s:
        for text, published in DOCS[:3]:
            s.add(load_pasted(text, title=text[:30], published=published))
        fresh = frames.load_all_figures(s)
        frames.frames_written()         # written while the page is drawn
        (first,) = (tmp_path / "cache" / "frames").glob("figures-*.arrow")
        pd.testing.assert_frame_equal(frames.load_all_figures(s), fresh)   # read back from the file
        pd.testing.assert_frame_equal(fresh, frames.all_figures_frame(s))
        # a review is a commit: a new state, whose file is a patch of the few rows it changed
        # beside the base it names
        s.review(int(fresh["figure_id"].iloc[0]), "rejected", note="duplicate")
        after = frames.load_all_figures(s)
        frames.frames_written()
        folder = tmp_path / "cache" / "frames"
        assert list(folder.glob("figures-*.arrow")) == [first]
        (patch,) = folder.glob("patch-*.arrow")
        assert patch == frames.patch_file(frames.frame_cache_file(s))
        assert after.loc[after["figure_id"] == fresh["figure_id"].iloc[0], "review_status"].item() \
            == "rejected"
        pd.testing.assert_frame_equal(frames.load_all_figures(s), after)    # base and patch read
        # a damaged file is rebuilt, not trusted
        damage(patch)
        pd.testing.assert_frame_equal(frames.load_all_figures(s), after)
        assert patch.stat().st_size > 1000
        damage(first)
        pd.testing.assert_frame_equal(frames.load_all_figures(s), after)
        frames.frames_written()
        (second,) = folder.glob("figures-*.arrow")          # a new base of this state
        assert second != first and not list(folder.glob("patch-*.arrow"))
        pd.testing.assert_frame_equal(frames.load_all_figures(s), after)
        # taking a verdict back is a change too
        s.clear_review(int(fresh["figure_id"].iloc[0]))
        cleared = frames.load_all_figures(s)
        assert cleared.loc[cleared["figure_id"] == fresh["figure_id"].iloc[0],
                           "review_status"].item() == "unreviewed"


# a story of my own, long enough to be recognised as the same story when another outlet runs it
STORY = """Flash floods swept through the valley towns of the northern district overnight, and \
rescue teams were still working through the mud on Friday morning, the district office said.

At least 31 people were killed and 140 others were injured when the river broke through an old \
earth embankment above the market town, the office said in a statement read on local radio.

About 6,500 residents were displaced and spent the night in schools, mosques and the covered \
market, where volunteers handed out blankets, bread and bottled water until the early hours.

Engineers said the embankment had been patched after the floods of two years ago but never \
rebuilt, and that the water rose faster than anyone living along the river could remember.

Shopkeepers spent the day shovelling silt out of their stores while the army cleared the road \
to the provincial capital, which had been cut in three places by landslides during the night."""


def test_a_changed_store_reads_again_only_the_stories_that_changed(tmp_path, monkeypatch):
    """After an ingest, a review, a correction, a cleared verdict, a removed document and a new
    story link, the frame is the cached one with only the changed stories read again, and always
    equal to reading every figure again."""
    import pandas as pd
    monkeypatch.setenv("FIGURES_CACHE_DIR", str(tmp_path / "cache"))
    read = []
    real = frames.all_figures_table

    def spy(store, chunk_rows=frames.LOAD_CHUNK_ROWS, stories=None):
        read.append(stories)
        return real(store, chunk_rows=chunk_rows, stories=stories)
    monkeypatch.setattr(frames, "all_figures_table", spy)

    folder = tmp_path / "cache" / "frames"

    def frame_after_change(s) -> pd.DataFrame:
        read.clear()
        frame = frames.load_all_figures(s)
        frames.frames_written()
        pd.testing.assert_frame_equal(frame, frames.all_figures_frame(s))
        reads = list(read)
        # a restart reads this state from its files (a base, and a patch if any) alone
        pd.testing.assert_frame_equal(frames.load_all_figures(s), frame)
        assert read == reads
        assert len(list(folder.glob("figures-*.arrow"))) == 1
        assert len(list(folder.glob("patch-*.arrow"))) <= 1
        read[:] = reads
        return frame

    with Store(tmp_path / "f.db") as s:
        for text, published in DOCS:
            s.add(load_pasted(text, title=text[:30], published=published))
        frame_after_change(s)
        assert read == [None]                                # the first time: every figure
        head = s.add(load_pasted(STORY, title="Floods", published="2017-09-22")).document_id
        frame = frame_after_change(s)
        assert read == [[head]]              # then only the stories changed since (a patch)
        # the new report's rows sit between the older ones, newest first
        assert list(frame["reported_date"]) == sorted(frame["reported_date"], reverse=True)
        copy = s.add(load_pasted(STORY + "\n\nShare this story.", title="Floods (wire)",
                                 published="2017-09-23"))
        assert copy.copy_of == head
        frame = frame_after_change(s)
        assert len(read) == 1 and head in read[0]       # the story of the copy
        assert frame["copy_of_figure"].notna().sum() >= 3
        killed = int(frame.loc[(frame["document_id"] == head) & (frame["category"] == "killed"),
                               "figure_id"].iloc[0])
        s.review(killed, "corrected", value=33, note="hospital list")
        frame = frame_after_change(s)
        assert len(read) == 1 and head in read[0]
        assert frame.loc[frame["figure_id"] == killed, "value"].item() == 33
        s.review(int(frame["figure_id"].iloc[-1]), "rejected")
        frame_after_change(s)
        s.clear_review(killed)
        frame = frame_after_change(s)
        assert frame.loc[frame["figure_id"] == killed, "review_status"].item() == "unreviewed"
        # a document's own fields are in its rows too (no count of anything changes)
        with s.conn:
            s.conn.execute("UPDATE documents SET title = 'Floods in the valley' WHERE id = ?",
                           (head,))
        frame = frame_after_change(s)
        assert len(read) == 1 and head in read[0]
        assert set(frame.loc[frame["document_id"] == head, "document_title"]) == \
            {"Floods in the valley"}
        # the head of the story removed: its copy's figures no longer repeat anything
        with s.conn:
            s.conn.execute("DELETE FROM documents WHERE id = ?", (head,))
        frame = frame_after_change(s)
        assert len(read) == 1 and head in read[0]
        assert head not in set(frame["document_id"]) and frame["copy_of_figure"].isna().all()
        # every document read again: too many rows for a patch, the frame is a new base
        monkeypatch.setattr(frames, "PATCH_MAX_ROWS", 5)
        stories = sorted(set(frame["story_id"]))
        s.reextract(everything=True)
        frame = frame_after_change(s)
        assert read == [stories]
        assert not list(folder.glob("patch-*.arrow"))
        s.review(int(frame["figure_id"].iloc[0]), "accepted")
        frame_after_change(s)                        # and the next change patches that base
        assert len(read) == 1 and read[0] and list(folder.glob("patch-*.arrow"))
        # another database at the same path (its log starts again) is never taken for this one
        with s.conn:
            s.conn.execute("UPDATE meta SET value = 'another' WHERE key = 'frame_log'")
            s.conn.execute("DELETE FROM reviews")
        frame_after_change(s)
        assert read == [None]


@pytest.mark.parametrize("seed", range(6))
def test_merging_cached_and_fresh_rows_keeps_newest_first(seed):
    """``updated_table`` places each fresh row by bisection among the rows kept: the same order
    as sorting everything, whatever rows are removed and where the fresh ones fall."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
    rng = np.random.default_rng(seed)
    n = int(rng.integers(0, 60))
    dates = [f"2017-09-{d:02d}" for d in rng.integers(1, 12, n)] + ["--06-01", ""][:seed % 3]
    ids = rng.permutation(len(dates) * 3)[:len(dates)]

    def newest_first(rows):
        return sorted(rows, key=lambda r: (r[0], r[1]), reverse=True)
    rows = newest_first(zip(dates, ids.tolist()))
    old = pa.table({"reported_date": pa.array([r[0] for r in rows], pa.large_string()),
                    "figure_id": pa.array([r[1] for r in rows], pa.int64())})
    kept = pc.indices_nonzero(pa.array(rng.random(len(rows)) < 0.7))
    used = set(ids.tolist())
    fresh_rows = newest_first((f"2017-09-{d:02d}", int(i)) for d, i in zip(
        rng.integers(1, 12, int(rng.integers(0, 20))),
        [i for i in range(10_000, 10_100)]))
    assert not used & {r[1] for r in fresh_rows}
    fresh = pa.table({"reported_date": pa.array([r[0] for r in fresh_rows], pa.large_string()),
                      "figure_id": pa.array([r[1] for r in fresh_rows], pa.int64())})
    merged = []
    for which, start, stop in frames._merge_pieces(old, kept, fresh):
        assert start < stop
        merged += (fresh_rows if which else rows)[start:stop] if which else \
            [rows[i] for i in range(start, stop)]
    expected = newest_first([rows[i] for i in kept.to_pylist()] + fresh_rows)
    assert merged == expected


def test_without_a_cache_folder_the_frame_is_built_each_time(tmp_path, monkeypatch):
    monkeypatch.setenv("FIGURES_CACHE_DIR", "-")
    with Store(tmp_path / "f.db") as s:
        s.add(load_pasted(DOCS[0][0], title="t"))
        assert frames.frame_cache_file(s) is None
        assert len(frames.load_all_figures(s)) == len(frames.all_figures_frame(s)) == 1



def test_a_store_arrow_cannot_type_is_read_the_pandas_way(tmp_path, monkeypatch):
    import pandas as pd
    import pyarrow as pa
    monkeypatch.setenv("FIGURES_CACHE_DIR", str(tmp_path / "cache"))

    def mixed(store, chunk_rows=frames.LOAD_CHUNK_ROWS):
        raise pa.ArrowTypeError("text and numbers in one column")
    monkeypatch.setattr(frames, "all_figures_table", mixed)
    with Store(tmp_path / "f.db") as s:
        for text, published in DOCS[:3]:
            s.add(load_pasted(text, title=text[:30], published=published))
        pd.testing.assert_frame_equal(frames.load_all_figures(s), frames.all_figures_frame(s))
        frames.frames_written()
        assert list((tmp_path / "cache" / "frames").glob("figures-*.arrow"))     # cached too
        pd.testing.assert_frame_equal(frames.load_all_figures(s), frames.all_figures_frame(s))


def test_a_command_prepares_the_dashboard_only_from_a_frame_it_can_update(tmp_path, monkeypatch):
    """``views.prepare_overview`` (run by the commands that change a store) does nothing for a
    store the dashboard never showed, nor from a frame made by other code (it would read every
    figure again inside a quick command); from a usable frame it writes this state's patch."""
    from figures import views
    monkeypatch.setenv("FIGURES_CACHE_DIR", str(tmp_path / "cache"))
    folder = tmp_path / "cache" / "frames"
    with Store(tmp_path / "f.db") as s:
        for text, published in DOCS:
            s.add(load_pasted(text, title=text[:30], published=published))
        assert not views.prepare_overview(s) and not folder.exists()
        frames.load_all_figures(s)
        frames.frames_written()
        ids = sorted(frames.all_figures_frame(s)["figure_id"])
        s.review(ids[0], "rejected")
        assert views.prepare_overview(s)
        assert frames.patch_file(frames.frame_cache_file(s)).is_file()
        monkeypatch.setattr(frames, "FRAME_FORMAT", frames.FRAME_FORMAT + 100)   # other code
        s.review(ids[1], "rejected")
        assert not views.prepare_overview(s)
        assert not frames.frame_cache_file(s).exists()


def test_a_patch_naming_a_base_elsewhere_is_not_followed(tmp_path, monkeypatch):
    """A patch file says which base it applies to; a name that leaves the cache folder or names
    another database's file is not read: the frame is read again instead."""
    import pandas as pd
    from pyarrow import feather
    monkeypatch.setenv("FIGURES_CACHE_DIR", str(tmp_path / "cache"))
    with Store(tmp_path / "f.db") as s:
        for text, published in DOCS:
            s.add(load_pasted(text, title=text[:30], published=published))
        frames.load_all_figures(s)
        frames.frames_written()
        s.review(int(frames.all_figures_frame(s)["figure_id"].iloc[0]), "rejected")
        expected = frames.load_all_figures(s)
        patch = frames.patch_file(frames.frame_cache_file(s))
        table = feather.read_table(patch)
        (base,) = patch.parent.glob("figures-*.arrow")
        elsewhere = tmp_path / base.name
        elsewhere.write_bytes(base.read_bytes())
        for name in (f"../../{base.name}", "figures-0123456789ab-x.arrow"):
            meta = dict(table.schema.metadata)
            meta[b"figures_frame_base"] = name.encode()
            feather.write_feather(table.replace_schema_metadata(meta), patch)
            assert frames._cached_state(frames.frame_cache_file(s), s.frame_log()[0]) is None
            pd.testing.assert_frame_equal(frames.load_all_figures(s), expected)


def test_a_story_removed_leaves_the_frame_as_a_fresh_read_types_it(tmp_path, monkeypatch):
    """Rows removed and none added (a story deleted): the frame equals a fresh read, down to the
    type of a column left without values (no copy left to link to its story)."""
    import pandas as pd
    monkeypatch.setenv("FIGURES_CACHE_DIR", str(tmp_path / "cache"))
    with Store(tmp_path / "f.db") as s:
        s.add(load_pasted(DOCS[0][0], title="a", published=DOCS[0][1]))
        head = s.add(load_pasted(STORY, title="Floods", published="2017-09-22")).document_id
        copy = s.add(load_pasted(STORY + "\n\nShare this story.", title="Floods (wire)",
                                 published="2017-09-23"))
        assert copy.copy_of == head
        assert frames.load_all_figures(s)["copy_of_figure"].notna().any()
        frames.frames_written()
        with s.conn:
            s.conn.execute("DELETE FROM documents WHERE id IN (?, ?)", (head, copy.document_id))
        frame = frames.load_all_figures(s)
        pd.testing.assert_frame_equal(frame, frames.all_figures_frame(s))
        assert frame["copy_of_figure"].isna().all()


@pytest.fixture
def driver_for_any_store(monkeypatch):
    """SQLite's ADBC driver reads every store, however small (it is started for big ones)."""
    monkeypatch.setattr(frames, "DRIVER_MIN_ROWS", 0)


def test_the_driver_builds_the_first_frame_as_sqlite3_reads_it(tmp_path, monkeypatch,
                                                             driver_for_any_store):
    """A store's first frame is read by SQLite's ADBC driver in a process of its own and written
    as the base file there: the same frame, column types and values, as reading every row with
    sqlite3, with reviews, a correction, parts of a breakdown and copies of a story."""
    import pandas as pd
    from test_views import CAMP
    monkeypatch.setenv("FIGURES_CACHE_DIR", str(tmp_path / "cache"))
    here = []
    real = frames.all_figures_table
    monkeypatch.setattr(frames, "all_figures_table",
                        lambda *a, **k: here.append(k.get("stories")) or real(*a, **k))
    with Store(tmp_path / "f.db") as s:
        for text, published in DOCS:
            s.add(load_pasted(text, title=text[:30], published=published))
        s.add(load_pasted(CAMP, title="Camp attack", published="2023-06-18"))
        add_story(s)                                       # a story carried by four outlets
        ids = sorted(frames.all_figures_frame(s)["figure_id"])
        s.review(ids[0], "corrected", value=26000, location="Raqqa city", note="checked")
        s.review(ids[1], "rejected")
        frame = frames.load_all_figures(s)
        assert here == []                                  # not read by this process
        (base,) = (tmp_path / "cache" / "frames").glob("figures-*.arrow")
        assert not list(base.parent.glob(".*"))            # no file left half-written
        pd.testing.assert_frame_equal(frame, frames.all_figures_frame(s))
        assert frame["copy_of_figure"].notna().any() and frame["part_of"].notna().any()
        assert frames._read(base).select(frame.columns).cast(
            real(s).schema).equals(real(s))                # the file holds what sqlite3 reads
        assert frames._read(base).schema.equals(real(s).schema)
        # a change is then a patch of the base the driver wrote, read here as before
        s.review(ids[2], "accepted")
        pd.testing.assert_frame_equal(frames.load_all_figures(s), frames.all_figures_frame(s))
        assert here == [[s.figure(ids[2])["story_id"]]]


def test_the_driver_writes_nothing_of_a_state_other_than_the_stores(tmp_path, monkeypatch,
                                                                    driver_for_any_store):
    """The driver reads through a connection of its own: when a commit came after the store's
    read began, its rows are not the state the frame is named by, so it writes nothing and this
    process reads the rows of its own state."""
    import pandas as pd
    monkeypatch.setenv("FIGURES_CACHE_DIR", str(tmp_path / "cache"))
    with Store(tmp_path / "f.db") as s, Store(tmp_path / "f.db") as other:
        for text, published in DOCS[:3]:
            s.add(load_pasted(text, title=text[:30], published=published))
        fid = other.figures()[0]["figure_id"]
        s.conn.execute("BEGIN")
        assert s.data_version()                          # this read's state
        other.review(fid, "rejected")                    # a commit by another program
        path = frames.frame_cache_file(s)
        assert frames._built_by_driver(s, path, s.frame_log()) is None
        assert not path.parent.exists() or not list(path.parent.iterdir())
        s.conn.execute("COMMIT")
        frame = frames.load_all_figures(s)               # now: the state after the review
        pd.testing.assert_frame_equal(frame, frames.all_figures_frame(s))
        assert frame.loc[frame["figure_id"] == fid, "review_status"].item() == "rejected"


def test_a_store_the_driver_cannot_type_is_read_here(tmp_path, monkeypatch, driver_for_any_store):
    """Text where a number belongs (written by another tool): the driver's child fails and says
    why, nothing is left behind, and the frame is read here (the pandas way, as before)."""
    import pandas as pd
    from figures import sqlite_arrow
    monkeypatch.setenv("FIGURES_CACHE_DIR", str(tmp_path / "cache"))
    with Store(tmp_path / "f.db") as s:
        for text, published in DOCS[:3]:
            s.add(load_pasted(text, title=text[:30], published=published))
        s.conn.execute("UPDATE figures SET start = 'twelve' WHERE id = (SELECT max(id) FROM"
                       " figures)")
        out = tmp_path / "out.arrow"
        done = sqlite_arrow.write_frame(s.path, "SELECT * FROM figure_rows ORDER BY"
                                        " reported_date DESC, figure_id DESC", s.data_version(),
                                        out, {})
        assert done.startswith("failed: ") and len(done) > len("failed: ") and not out.exists()
        pd.testing.assert_frame_equal(frames.load_all_figures(s), frames.all_figures_frame(s))


def test_the_driver_reads_a_whole_frame_at_a_lower_priority(tmp_path):
    """A ``background`` child (the whole frame, 8-10 s at a million figures) runs at a lower
    priority than the server, whose pages and browser go first under load; it writes the same
    file. A narrow frame's children (what the first page waits for) keep the server's."""
    import os
    import time
    from pathlib import Path

    from figures import sqlite_arrow
    from pyarrow import feather
    if not Path(f"/proc/{os.getpid()}/stat").exists():
        pytest.skip("reads priorities from /proc")
    with Store(tmp_path / "f.db") as s:
        for text, published in DOCS[:3]:
            s.add(load_pasted(text, title=text[:30], published=published))
        version = s.data_version()

    def run(background: bool) -> tuple[set[int], object]:
        out = tmp_path / f"out-{background}.arrow"
        job = sqlite_arrow.start_frame(tmp_path / "f.db", "SELECT * FROM figure_rows ORDER BY"
                                       " figure_id", version, out, {}, background=background)
        seen, stat = set(), Path(f"/proc/{job.proc.pid}/stat")
        while job.proc.poll() is None:
            try:            # the 19th field: the niceness (after the name, in parentheses)
                seen.add(int(stat.read_text().rsplit(")", 1)[1].split()[16]))
            except (OSError, IndexError, ValueError):
                pass
            time.sleep(0.002)
        assert job.result() == "written"
        return seen, feather.read_table(out)

    mine = os.nice(0)
    low, low_table = run(True)
    normal, table = run(False)
    assert min(mine + sqlite_arrow.BACKGROUND_NICE, 19) in low, low
    assert normal == {mine} and low_table.equals(table)


def test_the_columns_of_numbers_are_those_the_store_reads_as_numbers(tmp_path):
    """``frames.NUMBER_COLUMNS`` (text in one of them sends a store back to sqlite3) names the
    columns a store's rows fill with numbers, and no other: a column added to ``figure_rows``
    must be placed."""
    import pyarrow as pa
    from test_views import CAMP
    with Store(tmp_path / "f.db") as s:
        for text, published in DOCS:
            s.add(load_pasted(text, title=text[:30], published=published))
        s.add(load_pasted(CAMP, title="Camp attack", published="2023-06-18"))
        add_story(s)                                       # a story carried by four outlets
        fid = s.figures()[0]["figure_id"]
        s.review(fid, "corrected", value=26000, location="Raqqa city")
        s.conn.execute("UPDATE figures SET lat = 1.5, lon = 2.5, page = 3 WHERE id = ?", (fid,))
        table = frames.all_figures_table(s)
    numbers = {n for n, c in zip(table.column_names, table.columns)
               if c.type in (pa.int64(), pa.float64())}
    text = {n for n, c in zip(table.column_names, table.columns) if c.type == pa.large_string()}
    assert numbers == frames.NUMBER_COLUMNS
    assert text | numbers == set(table.column_names)


def test_a_narrow_frame_and_the_rows_it_asks_for_are_those_of_the_whole_frame(
        tmp_path, monkeypatch, driver_for_any_store):
    """While a big store's first frame is read whole, the page counts and picks its rows from a
    narrow frame read by the driver, then reads the few whole rows it needs by id: the narrow
    frame is the whole frame's columns (same types and values), the rows those of the
    whole frame, and a commit in between is said, never read as the earlier state."""
    import os
    import tempfile
    import time
    from pathlib import Path

    import pandas as pd
    import plotly.io as pio
    from figures import views
    from figures.store import Filters
    from test_views import CAMP
    monkeypatch.setenv("FIGURES_CACHE_DIR", str(tmp_path / "cache"))
    with Store(tmp_path / "f.db") as s, Store(tmp_path / "f.db") as other:
        for text, published in DOCS:
            s.add(load_pasted(text, title=text[:30], published=published))
        s.add(load_pasted(CAMP, title="Camp attack", published="2023-06-18"))
        add_story(s)
        ids = sorted(frames.all_figures_frame(s)["figure_id"])
        s.review(ids[0], "corrected", value=26000, location="Raqqa city", note="checked")
        s.review(ids[1], "rejected")
        with s.conn:                                # an id below 1, written by another tool
            s.conn.execute("UPDATE figures SET id = -5 WHERE id = ?", (ids[5],))
        assert frames.narrow_wanted(s)              # nothing cached: the frame is read whole
        version, narrow = frames.load_narrow(s)
        assert -5 in set(narrow["figure_id"])
        whole = frames.all_figures_frame(s)
        assert version == s.data_version()
        pd.testing.assert_frame_equal(      # in the table's order, not the frame's
            narrow.sort_values("figure_id", ignore_index=True),
            whole[list(frames.NARROW_COLUMNS)].sort_values("figure_id", ignore_index=True))
        some = [int(i) for i in whole["figure_id"].iloc[::2]]
        rows = frames.rows_by_id(s, version, some[::-1])
        # the same values; a column without a value among these rows is typed as one with values
        def values(d):
            d = d.reset_index(drop=True).astype(object)
            return d.where(d.notna(), None)
        pd.testing.assert_frame_equal(values(rows), values(whole[whole["figure_id"].isin(some)]))
        fetch = lambda ids: frames.rows_by_id(s, version, ids)  # noqa: E731
        for f in (Filters(), Filters(include_combatants=True), Filters(statuses=(), copies=True)):
            thin, full = views.Selection(narrow, f, fetch), views.Selection(whole, f)
            assert len(thin) == len(full) > 0
            assert views.overview_cards(thin, set()) == views.overview_cards(full, set())
            (a, a_name), (b, b_name) = views.overview_by_place(thin), \
                views.overview_by_place(full)
            assert pio.to_json(a) == pio.to_json(b) and a_name == b_name
        other.review(ids[2], "accepted")            # another program's commit
        with pytest.raises(frames.StateChanged):
            frames.rows_by_id(s, version, some)
        # a read started early (by the server) for a state another commit ends: the new state's
        # is read, and the earlier one's child and file do not stay behind
        left = lambda: set(Path(tempfile.gettempdir()).glob("figures-narrow-*"))  # noqa: E731
        # (and the file a killed server left, long ago, is removed; a recent one is not touched)
        abandoned, recent = (Path(tempfile.gettempdir()) / f"figures-narrow-{n}.arrow"
                             for n in ("killed-test", "recent-test"))
        abandoned.write_bytes(b"half a frame")
        recent.write_bytes(b"being read")
        old = time.time() - narrow_reads.ABANDONED_AFTER_S - 60
        os.utime(abandoned, (old, old))
        before = left() - {abandoned}
        assert frames.start_narrow(s)
        other.review(ids[3], "accepted")
        again, _ = frames.load_narrow(s)
        assert again == s.data_version() != version
        assert not narrow_reads._READS and left() == before and recent.exists()
        recent.unlink()
        frames.load_all_figures(s)
        frames.frames_written()
        assert not frames.narrow_wanted(s)          # a frame to start from is cached now
    monkeypatch.setattr(frames, "DRIVER_MIN_ROWS", 10**9)
    with Store(tmp_path / "g.db") as s:
        s.add(load_pasted(DOCS[0][0], title="small", published=DOCS[0][1]))
        assert not frames.narrow_wanted(s)          # a small store's frame is read at once


def test_the_server_starts_reading_a_big_store_before_its_own_imports(tmp_path, monkeypatch):
    """``narrow.start_early`` (the server's first step, without the store's imports) starts the
    narrow frame's read of a big store with nothing cached, in the state ``Store`` reads; the
    first page takes that read up, never a second one. A small store, one with a cached frame,
    a missing file and a file that is not a store start nothing and raise nothing."""
    import tempfile
    from pathlib import Path

    import pandas as pd
    from figures.store_file import read_version
    monkeypatch.setenv("FIGURES_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("FIGURES_DRIVER_MIN_ROWS", "0")
    monkeypatch.setattr(frames, "DRIVER_MIN_ROWS", 0)
    files = lambda: set(Path(tempfile.gettempdir()).glob("figures-narrow-*"))  # noqa: E731
    before = files()
    db = tmp_path / "f.db"
    with Store(db) as s:
        for text, published in DOCS:
            s.add(load_pasted(text, title=text[:30], published=published))
        version = s.data_version()
    assert read_version(db) == version
    assert narrow_reads.start_early(db)
    assert list(narrow_reads._READS) == [(str(db), version)]
    parts = narrow_reads._READS[(str(db), version)]
    assert narrow_reads.start_early(db)          # asked again: the same read, no second one
    assert narrow_reads._READS[(str(db), version)] is parts
    with Store(db) as s:
        assert frames.start_narrow(s)             # the server's later look: the same read
        assert narrow_reads._READS[(str(db), version)] is parts
        got, frame = frames.load_narrow(s)
        assert got == version and not narrow_reads._READS
        assert all(not path.exists() for _, path in parts)    # taken up, files removed
        pd.testing.assert_frame_equal(
            frame.sort_values("figure_id", ignore_index=True),
            frames.all_figures_frame(s)[list(frames.NARROW_COLUMNS)]
            .sort_values("figure_id", ignore_index=True))
        frames.load_all_figures(s)
        frames.frames_written()
    assert not narrow_reads.start_early(db)      # its frame is cached now
    monkeypatch.setenv("FIGURES_CACHE_DIR", str(tmp_path / "other-cache"))
    monkeypatch.setenv("FIGURES_DRIVER_MIN_ROWS", str(version[2] + 1))
    assert not narrow_reads.start_early(db)      # small
    monkeypatch.setenv("FIGURES_DRIVER_MIN_ROWS", "0")
    missing, junk = tmp_path / "none.db", tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 100)
    for path in (missing, junk):
        assert read_version(path) is None and not narrow_reads.start_early(path)
    assert not missing.exists() and junk.read_bytes() == b"not a database at all" * 100
    assert not narrow_reads._READS and files() == before
