"""Extraction on a Dask cluster (a LocalCluster of 2 worker processes) into a Parquet dataset:
the same figures as the single-process CLI, also when a worker is killed mid-run."""
import csv
import io
import os
import signal
import subprocess
import sys

import pytest

from conftest import ROOT
from figures.distributed import ParquetTask, extract_batch, read_dataset, run
from figures.schema import FIELDS, Figure, to_csv_row

pytest.importorskip("dask.distributed")

TEXTS = [
    "Floods have displaced 12,000 people in Sindh province, officials said.",
    "At least 35 civilians were killed in an airstrike on Idlib on Tuesday, the Syrian "
    "Observatory for Human Rights said.",
    "The earthquake injured more than 300 people in Herat, according to the provincial governor.",
    "Some 4,500 families fled fighting around Goma this week, the UN refugee agency said.",
    "Rescuers said 14 miners were still trapped underground in Zonguldak on Monday.",
    "Twenty-two people are missing after the ferry sank near Mwanza, police said.",
    "Clashes in Khartoum killed 61 people, including 9 children, the health ministry said.",
    "Nearly 80,000 people have been displaced by the storm in Mozambique, OCHA reported.",
]


def _corpus(folder, n=24):
    folder.mkdir()
    for i in range(n):
        text = TEXTS[i % len(TEXTS)] + "\n\n" + TEXTS[(i * 3 + 1) % len(TEXTS)] + "\n"
        (folder / f"doc{i:03d}.txt").write_text(text, encoding="utf-8")
    (folder / "zz-binary.txt").write_bytes(b"\x00\x01\x02PK\x03\x04" * 100)
    return folder


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "figures", *args], capture_output=True,
                          text=True, cwd=ROOT)


def _rows_from_dataset(folder):
    table = read_dataset(folder).to_pylist()
    return sorted(tuple(to_csv_row(Figure(**{k: r[k] for k in FIELDS})).values()) for r in table)


def _rows_from_csv(text):
    return sorted(tuple(r[k] for k in FIELDS) for r in csv.DictReader(io.StringIO(text)))


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return _corpus(tmp_path_factory.mktemp("d") / "corpus")


@pytest.fixture(scope="module")
def expected(corpus):
    r = _cli("extract", str(corpus), "--format", "csv")
    assert r.returncode == 1 and "zz-binary.txt" in r.stderr
    rows = _rows_from_csv(r.stdout)
    assert len(rows) > 24
    return rows


@pytest.fixture(scope="module")
def client():
    from dask.distributed import Client, LocalCluster
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                           dashboard_address=None)
    c = Client(cluster)
    yield c
    c.close()
    cluster.close()


def test_a_cluster_of_two_processes_gives_the_single_process_figures(corpus, expected, client,
                                                                      tmp_path):
    out = tmp_path / "out"
    files, figures, errors = run([str(corpus)], ParquetTask(str(out)), client=client,
                                 batch_files=5)
    assert files == 24 and len(errors) == 1 and "zz-binary.txt" in errors[0]
    assert len(list(out.glob("*.parquet"))) == 5          # one file per batch, not per document
    assert _rows_from_dataset(out) == expected
    cols = read_dataset(out).column_names
    assert cols[:len(FIELDS)] == list(FIELDS)
    assert {"document_sha256", "document_title", "document_url", "document_published"} <= set(cols)


def test_a_worker_killed_mid_run_changes_nothing(corpus, expected, client, tmp_path):
    marker = tmp_path / "killed"

    def dies_once(task, index, items):     # the first batch to run kills its worker process
        try:
            fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            return extract_batch(task, index, items)
        os.close(fd)
        os.kill(os.getpid(), signal.SIGKILL)

    out = tmp_path / "out"
    files, figures, errors = run([str(corpus)], ParquetTask(str(out)), client=client,
                                 func=dies_once, batch_files=5)
    assert marker.exists()
    assert files == 24 and len(errors) == 1
    assert _rows_from_dataset(out) == expected
    assert not list(out.glob(".*"))                         # no temporary file left behind


def test_the_command_line_in_one_process(corpus, expected, tmp_path):
    out = tmp_path / "out"
    r = _cli("extract", str(corpus), "--format", "parquet", "-o", str(out))
    assert r.returncode == 1
    assert "error: zz-binary.txt" in r.stderr
    assert _rows_from_dataset(out) == expected


def test_dask_needs_parquet():
    r = _cli("extract", "nowhere", "--dask", "local")
    assert r.returncode == 2 and "--format parquet" in r.stderr


def test_ingest_a_dataset_stores_its_documents_without_their_text(corpus, tmp_path, monkeypatch):
    from figures.store import ARCHIVE_FORMAT, Store
    out, db = tmp_path / "out", tmp_path / "figures.db"
    run([str(corpus)], ParquetTask(str(out)), batch_files=10)
    n = read_dataset(out).num_rows
    r = _cli("ingest", str(out), "--db", str(db))
    assert r.returncode == 0, r.stderr
    assert "added 8, already present 16" in r.stderr     # 8 different texts, 24 files
    with Store(db) as s:
        docs = s.documents()
        assert len(docs) == 8 and sum(d["figures"] for d in docs) * 3 == n
        doc = s.document(docs[0]["id"])
        assert doc["format"] == ARCHIVE_FORMAT and doc["text"] == ""
        assert s.reextract(everything=True).documents == 0     # nothing to read again
    r = _cli("ingest", str(out), "--db", str(db))                  # the same archive again
    assert r.returncode == 0 and "added 0, already present 24" in r.stderr

    # the dashboard's Documents page shows such a document as such, and a figure's record
    import streamlit as st
    from streamlit.testing.v1 import AppTest
    monkeypatch.setenv("FIGURES_DB", str(db))
    st.cache_data.clear()
    st.cache_resource.clear()
    with Store(db) as s:
        doc = next(d for d in s.documents() if d["figures"])
        from figures.store import Filters
        fig = s.figures(Filters(document_id=doc["id"], include_combatants=True,
                                statuses=()))[0]["figure_id"]
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["doc"] = str(doc["id"])
    at.query_params["figure"] = str(fig)
    at.run()
    at.switch_page("app_pages/documents.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("text of this document was not kept" in i.value for i in at.info)
    assert any("text was not kept" in c.value for c in at.caption)
    st.cache_data.clear()
    st.cache_resource.clear()


def test_fsspec_addresses_are_listed_and_read_like_a_folder(corpus, expected, tmp_path):
    out = tmp_path / "out"
    files, figures, errors = run([corpus.as_uri(), "file:///nowhere/at/all"],
                                 ParquetTask(str(out)), batch_files=7)
    assert files == 24 and len(errors) == 2
    assert any("zz-binary.txt" in e for e in errors)
    assert any("nowhere/at/all: no such file" in e for e in errors)
    assert _rows_from_dataset(out) == expected
