"""Start the dashboard as ``./run`` does: ``streamlit run app.py [options]``, with the heavy work
of a first page (importing pandas, pyarrow and plotly, Plotly's validators, then the frame of
figures and the Overview's cards and chart) started in a thread at once, so it overlaps the
browser loading Streamlit's frontend instead of delaying the first page. The thread then keeps
the page ready: after each change of the store it computes it again before anyone asks
(every ``$FIGURES_WATCH_SECONDS``, 5 by default; 0: only at the start).

    python scripts/serve.py [streamlit options, e.g. --server.port 8502]
"""
from __future__ import annotations

import logging
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def warm() -> None:
    """Plotly's validators loaded, drawing nothing: the first Figure of a process loads them for
    every property it sets, so the page's first chart finds them loaded."""
    import plotly.graph_objects as go
    go.Figure(go.Bar(x=[1], y=[1], error_x=dict(array=[0]), marker=dict(pattern=dict(shape=[""]))),
              layout=dict(template="plotly_white", title=dict(text="warm"))).add_trace(
        go.Scatter(x=[1], y=[1], mode="markers+text", text=["1"])).to_json()


class _NotAPageRun(logging.Filter):
    """Streamlit warns once that this thread runs outside a page ("missing ScriptRunContext"): it
    does, on purpose, and only fills the caches; the warning would only puzzle whoever reads the
    server's log."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.getMessage().startswith("Thread 'figures-standby'")
                    and "ScriptRunContext" in record.getMessage())


def standby() -> None:
    """The warm imports, then the first page of the store prepared at once and after each change
    of it (``figures.standby``): the first visitor of a server started after a change, and the
    next visitor after a change made while it runs, find the page computed."""
    logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").addFilter(
        _NotAPageRun())
    from figures import frames
    from figures.store import Store, StoreError, db_path
    if db_path().is_file():
        # a big store never shown whose narrow frame main() did not start (its cached frame
        # cannot be brought up to date, say): read by child processes meanwhile
        try:
            with Store(db_path()) as s:
                frames.start_narrow(s)
        except (StoreError, OSError):
            pass                          # the page says what is wrong with the file
    from app_pages import common  # pandas, pyarrow, plotly, the store, the views, the charts
    from figures import standby as watch
    # Plotly's validators in a thread of their own, while this one updates the frame of figures
    # (pandas is fully imported by now: see main())
    threading.Thread(target=warm, name="warm-plotly", daemon=True).start()
    watch.keep_ready(db_path(), common.prepare_first_page, watch.watch_seconds())


def start_narrow() -> None:
    """A big store never shown: its narrow frame read by child processes from the start, on a
    core that is idle while Streamlit starts (``figures.narrow``; 0.2 s of imports, not the
    0.6 s of pandas, pyarrow and the store)."""
    try:
        from figures import narrow
        from figures.store_file import db_path
        narrow.start_early(db_path())
    except Exception:         # noqa: BLE001 - never in the way of the server: the page reads it
        logging.getLogger(__name__).warning("could not start reading the figures early",
                                            exc_info=True)


def main() -> int:
    sys.path.insert(0, str(ROOT))
    start_narrow()
    # Streamlit first: its import configures a Plotly theme, and Plotly's validators look pandas
    # up in sys.modules without importing it, so a pandas half-imported by the thread would be
    # found there ("partially initialized module 'pandas'") and the server would not start.
    from streamlit.web import cli
    threading.Thread(target=standby, name="figures-standby", daemon=True).start()
    sys.argv = ["streamlit", "run", str(ROOT / "app.py"), *sys.argv[1:]]
    return cli.main()


if __name__ == "__main__":
    sys.exit(main())
