"""Extraction on a Dask LocalCluster of 1 and of 2 worker processes (one thread each), and in one
process without Dask, on the same folder: wall time and MB/s.

    .venv/bin/python bench/corpus.py /tmp/corpus --size 4 --seed 1
    .venv/bin/python bench/dask_scaling.py /tmp/corpus
"""
import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from figures.distributed import ParquetTask, run  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("folder")
    ap.add_argument("--workers", default="0,1,2", help="0 = in this process, without Dask")
    args = ap.parse_args()
    mb = sum(p.stat().st_size for p in Path(args.folder).rglob("*") if p.is_file()) / 1e6
    for n in (int(x) for x in args.workers.split(",")):
        out = Path(tempfile.mkdtemp(prefix="bench-dask-"))
        client = cluster = None
        if n:
            from dask.distributed import Client, LocalCluster
            cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                   dashboard_address=None)
            client = Client(cluster)
            # each worker builds the engine's tables once: not part of the run
            client.run(lambda: __import__("figures.batch").batch.warm_up())
        t = time.perf_counter()
        files, figures, errors = run([args.folder], ParquetTask(str(out)), client=client)
        wall = time.perf_counter() - t
        what = f"{n} worker(s)" if n else "one process, no Dask"
        print(f"{what:22} {files} files, {figures} figures, {mb:.1f} MB: {wall:6.1f} s "
              f"{mb / wall:5.2f} MB/s", flush=True)
        if client is not None:
            client.close()
            cluster.close()
        shutil.rmtree(out)


if __name__ == "__main__":
    main()
