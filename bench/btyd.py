"""Benchmark: the churn page's domain calls on the 10M-transaction workspace, and the BG/NBD
fit on a 1M-customer summary against ``lifetimes``' BetaGeoFitter.

    python bench/btyd.py [--db /tmp/bench10m/ws.duckdb] [--customers 1000000]
                         [--lifetimes-python /tmp/lifetimes-venv/bin/python]

Prints one JSON object:

* ``cold``: a fresh connection, nothing cached — the SQL summary, both fits, scoring every
  customer, the page's small views, and the backtest;
* ``warm``: the page's cached accessors (``retention.ui.data.churn``) called a second time;
* ``fit_1m``: our fit on ``--customers`` customers drawn (seed 1) from the workspace's summary,
  and, when ``--lifetimes-python`` names an interpreter with ``lifetimes`` installed (a
  throwaway venv — never a project dependency), BetaGeoFitter on the same rows, with the
  largest relative difference between the two sets of parameters.

The workspace comes from ``bench/make_workspace.py``; it is opened read-only.
"""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from retention.metrics import default_as_of  # noqa: E402
from retention.metrics.btyd_summary import btyd_summary  # noqa: E402
from retention.models import (  # noqa: E402
    BetaGeoModel,
    alive_heatmap,
    customer_scores,
    default_split,
    fit_summary,
    risk_group_counts,
    run_backtest,
    score_histogram,
    top_customers,
)
from retention.models.churn import ChurnModel, in_weeks  # noqa: E402
from retention.store import close_workspace, open_workspace  # noqa: E402

# Runs in the lifetimes interpreter: reads the arrays, fits, prints seconds and parameters.
LIFETIMES_SCRIPT = """
import json, sys, time
import numpy as np
from lifetimes import BetaGeoFitter
data = np.load(sys.argv[1])
started = time.perf_counter()
fitter = BetaGeoFitter().fit(data["x"], data["t_x"], data["T"])
seconds = time.perf_counter() - started
print(json.dumps({"seconds": seconds, **{k: float(v) for k, v in fitter.params_.items()}}))
"""


def timed(label: str, timings: dict[str, float], call, *args, **kwargs):
    started = time.perf_counter()
    result = call(*args, **kwargs)
    timings[label] = round(time.perf_counter() - started, 3)
    return result


def cold(db: str, dataset_id: int) -> dict[str, object]:
    ws = open_workspace(db, read_only=True)
    con = ws.cursor()
    times: dict[str, float] = {}
    as_of = default_as_of(con, dataset_id)
    summary = timed("summary_sql_s", times, btyd_summary, con, dataset_id,
                    calibration_end=as_of)
    bg, gg, note = timed("fit_both_s", times, fit_summary, summary)
    model = ChurnModel(as_of, summary, bg, gg, note)
    scores = timed("score_customers_s", times, customer_scores, model)
    started = time.perf_counter()
    risk_group_counts(scores)
    alive_heatmap(scores)
    top_customers(scores)
    score_histogram(scores, "p_alive")
    score_histogram(scores, "predicted_clv")
    times["page_views_s"] = round(time.perf_counter() - started, 3)
    first = summary["first_purchase"].min().date()
    timed("backtest_s", times, run_backtest, con, dataset_id,
          calibration_end=default_split(first, as_of), holdout_end=as_of)
    times["total_s"] = round(sum(times.values()), 3)
    return {"customers": len(summary), "distinct_patterns": bg.distinct_rows_,
            "params": {k: round(v, 6) for k, v in bg.params_.items()}, **times}


def warm(db: str, dataset_id: int) -> dict[str, float]:
    """The page's accessors twice. They open their workspace read-write, as the app does, so
    they run on a copy: the benchmark workspace itself is never opened for writing."""
    logging.getLogger("streamlit").setLevel(logging.ERROR)
    from retention.ui.context import Context  # streamlit's caches, outside a running app
    from retention.ui.data import churn as data

    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / "ws.duckdb"
        shutil.copyfile(db, copy)
        ws = open_workspace(copy)
        as_of = default_as_of(ws.cursor(), dataset_id)
        # the page's value settings: the dataset's margin, 1% a month, 12 months
        ctx = Context(workspace=ws, dataset=ws.dataset(dataset_id), as_of=as_of,
                      window_days=90)
        result: dict[str, float] = {}
        for attempt in ("first_s", "cached_s"):
            started = time.perf_counter()
            data.fitted_model(ctx)
            data.scored_customers(ctx)
            data.page_views(ctx)
            result[attempt] = round(time.perf_counter() - started, 3)
        close_workspace(copy)
    return result


def fit_million(db: str, dataset_id: int, customers: int, lifetimes_python: str | None,
                repeats: int) -> dict[str, object]:
    con = open_workspace(db, read_only=True).cursor()
    summary = btyd_summary(con, dataset_id, calibration_end=default_as_of(con, dataset_id))
    rows = np.random.default_rng(1).choice(len(summary), size=min(customers, len(summary)),
                                           replace=False)
    sample = summary.iloc[np.sort(rows)]
    x = sample["x"].to_numpy(dtype=float)
    t_x = in_weeks(sample["t_x_days"])
    T = in_weeks(sample["T_days"])
    ours = []
    for _ in range(repeats):
        started = time.perf_counter()
        model = BetaGeoModel().fit(x, t_x, T)
        ours.append(time.perf_counter() - started)
    result: dict[str, object] = {
        "customers": len(sample), "distinct_patterns": model.distinct_rows_,
        "ours_s": [round(s, 3) for s in ours], "ours_params": model.params_,
    }
    if not lifetimes_python:
        result["lifetimes"] = "not run (no --lifetimes-python)"
        return result
    with tempfile.TemporaryDirectory() as folder:
        arrays = Path(folder) / "summary.npz"
        np.savez(arrays, x=x, t_x=t_x, T=T)
        run = subprocess.run([lifetimes_python, "-c", LIFETIMES_SCRIPT, str(arrays)],
                             capture_output=True, text=True, timeout=1800)
    if run.returncode != 0:
        result["lifetimes"] = f"failed: {run.stderr.strip().splitlines()[-1:]}"
        return result
    theirs = json.loads(run.stdout)
    result["lifetimes_s"] = round(theirs.pop("seconds"), 3)
    result["lifetimes_params"] = theirs
    result["max_relative_param_difference"] = max(
        abs(model.params_[k] / theirs[k] - 1) for k in ("r", "alpha", "a", "b"))
    result["speed_up"] = round(result["lifetimes_s"] / min(ours), 1)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default="/tmp/bench10m/ws.duckdb")
    parser.add_argument("--dataset-id", type=int, default=1)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--lifetimes-python", help="an interpreter with lifetimes installed")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    if not Path(args.db).exists():
        sys.exit(f"No workspace at {args.db}; build it with bench/make_workspace.py.")
    print(json.dumps({
        "cold": cold(args.db, args.dataset_id),
        "warm": warm(args.db, args.dataset_id),
        "fit_1m": fit_million(args.db, args.dataset_id, args.customers, args.lifetimes_python,
                              args.repeats),
    }, indent=1, default=float))


if __name__ == "__main__":
    main()
