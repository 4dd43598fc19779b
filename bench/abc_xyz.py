"""Benchmark: the ABC/XYZ page's domain calls on a big workspace, cold and warm.

    python bench/abc_xyz.py [--db /tmp/bench10m/ws.duckdb] [--dataset 1] [--as-of 2026-10-31]

* cold, per call: each call alone in a new process with a new connection (nothing cached:
  neither Streamlit's cache nor DuckDB's buffers);
* page cold: a new process opens the page's four tabs one after the other through the page's
  cached accessors (``retention.ui.data.abc_xyz``), starting from an empty cache (the customers
  tab is a first visit's cost; the cut-offs tab reuses its classification);
* page warm: the same tabs again in that process — the cached path a rerun takes.

Each measurement runs ``--repeat`` times (default 3) and the fastest is reported: on a shared
machine other work only ever adds time. The workspace is opened read-only and never modified.
Prints one JSON object (seconds).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from retention.metrics import abc_xyz  # noqa: E402
from retention.metrics.abc_xyz import PRODUCT_SETTINGS  # noqa: E402
from retention.store import open_workspace  # noqa: E402

CALLS = ("overview", "cell_customers", "trend", "product_overview", "products")


def _call(name: str, db: str, dataset_id: int, as_of: dt.date) -> tuple[float, float]:
    """(wall seconds, CPU seconds of all threads) for one domain call on a fresh cursor of a
    read-only workspace. CPU time hardly depends on what else the machine runs."""
    con = open_workspace(db, read_only=True).cursor()
    started, cpu = time.perf_counter(), time.process_time()
    if name == "overview":
        abc_xyz.abc_xyz_overview(con, dataset_id, as_of=as_of, top=500)
    elif name == "cell_customers":
        abc_xyz.abc_xyz_cell_customers(con, dataset_id, as_of=as_of, cell="AY", limit=1000)
    elif name == "trend":
        abc_xyz.abc_xyz_trend(con, dataset_id, as_of=as_of)
    elif name == "product_overview":
        abc_xyz.abc_xyz_overview(con, dataset_id, as_of=as_of, settings=PRODUCT_SETTINGS,
                                 unit="product", top=500)
    elif name == "products":
        abc_xyz.product_abc_xyz(con, dataset_id, as_of=as_of, limit=200)
    return time.perf_counter() - started, time.process_time() - cpu


def _page(db: str, dataset_id: int, as_of: dt.date) -> dict[str, float]:
    """Each tab of the page through its cached accessors, in the order a visitor opens them:
    once cold (the first tab is what a first visit costs), then all warm."""
    logging.getLogger("streamlit").setLevel(logging.ERROR)  # "no runtime" notices in bare mode
    from retention.ui import data as ui_data
    from retention.ui.context import DEFAULT_WINDOW_DAYS, Context
    from retention.ui.data import abc_xyz as data

    # The accessors open the workspace read-write, as the app does; the benchmark file is shared
    # and must stay untouched, so they get the read-only connection instead.
    ui_data.open_workspace = lambda path: open_workspace(path, read_only=True)
    ws = open_workspace(db, read_only=True)
    # the page's context: the cut-offs and thresholds saved for the dataset (none on a bench
    # workspace, so DESIGN's defaults)
    ctx = Context(workspace=ws, dataset=ws.dataset(dataset_id), as_of=as_of,
                  window_days=DEFAULT_WINDOW_DAYS)
    tabs = {
        # the matrix, then the first non-empty cell's list (every cell's list is one lookup)
        "customers_tab": lambda: (data.overview(ctx, "customer"), data.listed_customers(ctx)),
        "cut_offs_tab": lambda: data.overview(ctx, "customer"),
        "trend_tab": lambda: data.trend(ctx),
        "products_tab": lambda: (data.has_products(ctx), data.overview(ctx, "product")),
    }
    timings = {}
    for state in ("cold", "warm"):
        for name, draw in tabs.items():
            started, cpu = time.perf_counter(), time.process_time()
            draw()
            timings[f"{name}_{state}"] = time.perf_counter() - started
            timings[f"{name}_{state}_cpu"] = time.process_time() - cpu
    return timings


def _in_new_process(args: list[str]) -> dict[str, float]:
    result = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True,
                            check=True)
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", default="/tmp/bench10m/ws.duckdb")
    parser.add_argument("--dataset", type=int, default=1)
    parser.add_argument("--as-of", type=dt.date.fromisoformat, default=dt.date(2026, 10, 31))
    parser.add_argument("--repeat", type=int, default=3,
                        help="runs of each measurement; the fastest is reported (a shared "
                             "machine only ever adds time)")
    parser.add_argument("--only", choices=(*CALLS, "page"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.only == "page":
        print(json.dumps(_page(args.db, args.dataset, args.as_of)))
        return
    if args.only:
        wall, cpu = _call(args.only, args.db, args.dataset, args.as_of)
        print(json.dumps({args.only: wall, f"{args.only}_cpu": cpu}))
        return
    common = ["--db", args.db, "--dataset", str(args.dataset), "--as-of", args.as_of.isoformat()]
    rows = open_workspace(args.db, read_only=True).cursor().execute(
        "select count(*) from transactions where dataset_id = ?", [args.dataset]).fetchone()
    report: dict[str, object] = {"transactions": int(rows[0]) if rows else 0,
                                 "as_of": args.as_of.isoformat()}
    runs = max(1, args.repeat)
    cold: dict[str, float] = {}
    for name in CALLS:
        measured = [_in_new_process([*common, "--only", name]) for _ in range(runs)]
        cold.update({key: min(run[key] for run in measured) for key in measured[0]})
    pages = [_in_new_process([*common, "--only", "page"]) for _ in range(runs)]
    page = {key: min(run[key] for run in pages) for key in pages[0]}
    report["runs"] = runs
    report["cold_s"] = {k: round(v, 2) for k, v in cold.items() if not k.endswith("_cpu")}
    report["cold_cpu_s"] = {k[:-4]: round(v, 2) for k, v in cold.items() if k.endswith("_cpu")}
    for state, digits in (("cold", 2), ("warm", 4)):
        report[f"page_{state}_s"] = {k[:-len(state) - 1]: round(v, digits)
                                     for k, v in page.items() if k.endswith(f"_{state}")}
        report[f"page_{state}_cpu_s"] = {k[:-len(state) - 5]: round(v, digits)
                                         for k, v in page.items()
                                         if k.endswith(f"_{state}_cpu")}
    print(json.dumps(report))


if __name__ == "__main__":
    main()
