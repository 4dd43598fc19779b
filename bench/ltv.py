"""Benchmark: the Retention & LTV page on a big workspace, cold and warm.

    python bench/ltv.py [--db /tmp/bench10m/ws.duckdb] [--dataset 1] [--runs 3]

Cold domain calls: each scenario runs in a new process with a new connection and nothing
cached, making the calls the page makes — each tab opened first on its own, and the whole page
(every tab once; the monthly CRR and the cohort matrix computed once and shared, as the page's
cache shares them). Warm: the page's cached accessors (``retention.ui.data.ltv``) called again
with the same arguments. Then the page as a user gets it: ``AppTest`` runs ``app.py`` onto the
page in a new process and opens the four tabs one after another (cold), then reruns each (warm).
Also timed once, cold: the choices a user can click to afterwards (quarters, years, the other
segment kinds).

The workspace is copied to a temporary folder first: the accessors and the app open it
read-write, and the original must stay untouched. Prints one JSON object; the README's figures
come from it. Wall-clock seconds depend on what else the machine runs, so the process CPU
seconds and the 1-minute load average are printed too.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import page_app_test, run_child, timed_run  # noqa: E402

DEFAULT_DB = Path("/tmp/bench10m/ws.duckdb")
SCENARIOS = ("retention_tab", "cohorts_tab", "ltv_tab", "segments_tab", "whole_page")
TABS = ("Retention rate", "Cohorts", "Lifetime value", "LTV by segment")
MARGIN = 0.30


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _timed(results: dict[str, float], name: str, call):  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    value = call()
    results[name] = round(time.perf_counter() - started, 3)
    return value


def run_cold(db: Path, dataset_id: int, window: int, scenario: str) -> dict[str, object]:
    """One scenario's domain calls in this (fresh) process."""
    from retention.metrics import (
        cohort_matrix,
        crr_by_period,
        default_as_of,
        ltv_by_segment,
        ltv_today,
        ltv_trend,
        segment_dimensions,
        value_curves,
    )
    from retention.store import open_workspace

    con = open_workspace(db).cursor()
    as_of = default_as_of(con, dataset_id)
    assert as_of is not None, "the dataset has no rows"
    cpu = _cpu_seconds()
    calls: dict[str, float] = {}
    kw = {"as_of": as_of, "window_days": window}
    monthly = cohorts = None
    if scenario in ("retention_tab", "ltv_tab", "whole_page", "other_choices"):
        monthly = _timed(calls, "crr_month", lambda: crr_by_period(con, dataset_id, **kw))
    if scenario in ("cohorts_tab", "ltv_tab", "whole_page"):
        cohorts = _timed(calls, "cohorts", lambda: cohort_matrix(con, dataset_id, as_of=as_of))
    if scenario in ("ltv_tab", "whole_page"):
        _timed(calls, "ltv_today", lambda: ltv_today(con, dataset_id, **kw, monthly=monthly))
        _timed(calls, "ltv_trend", lambda: ltv_trend(con, dataset_id, **kw, monthly=monthly))
        _timed(calls, "value_curves", lambda: value_curves(
            con, dataset_id, as_of=as_of, margin=MARGIN, cohorts=cohorts))
    if scenario in ("segments_tab", "whole_page"):
        _timed(calls, "segment_kinds", lambda: segment_dimensions(con, dataset_id))
        _timed(calls, "segments_by_step", lambda: ltv_by_segment(
            con, dataset_id, **kw, dimension="step"))
    if scenario == "other_choices":
        for period in ("quarter", "year"):
            _timed(calls, f"crr_{period}", lambda p=period: crr_by_period(
                con, dataset_id, **kw, period=p))
        for dimension in segment_dimensions(con, dataset_id):
            if dimension != "step":
                _timed(calls, f"segments_by_{dimension}", lambda d=dimension: ltv_by_segment(
                    con, dataset_id, **kw, dimension=d))
    return {"as_of": str(as_of), "calls": calls, "cold_s": round(sum(calls.values()), 3),
            "cold_cpu_s": round(_cpu_seconds() - cpu, 2),
            "load_average_1m": round(os.getloadavg()[0], 2)}


def run_warm(db: Path, dataset_id: int, window: int) -> dict[str, object]:
    """The page's cached accessors, filled once, then timed on the second call."""
    logging.disable(logging.WARNING)  # "missing ScriptRunContext": bare mode, expected
    from retention.metrics import default_as_of
    from retention.store import open_workspace
    from retention.ui.context import Context
    from retention.ui.data import ltv as data

    ws = open_workspace(db)
    as_of = default_as_of(ws.cursor(), dataset_id)
    # the saved margin and ladder of the benchmark workspace: the defaults, 30% and DESIGN's
    ctx = Context(workspace=ws, dataset=ws.dataset(dataset_id), as_of=as_of, window_days=window)

    def every_tab() -> None:
        data.crr_table(ctx, "month")
        data.cohort_table(ctx)
        data.ltv_tables(ctx)
        data.curves_table(ctx, MARGIN)
        data.available_dimensions(ctx)
        data.segment_table(ctx, "step")

    times: dict[str, float] = {}
    _timed(times, "fill", every_tab)
    _timed(times, "warm", every_tab)
    return {"fill_s": times["fill"], "warm_s": times["warm"]}


def run_page(db: Path) -> dict[str, object]:
    """The whole page in AppTest in this (fresh) process: each tab opened cold, then rerun."""
    from retention.ui.ltv_page import SECTION_KEY

    at = page_app_test(db, "views/ltv.py")
    cold: dict[str, float] = {}
    warm: dict[str, float] = {}
    for timings in (cold, warm):
        for tab in TABS:
            at.session_state[SECTION_KEY] = tab
            timings[tab] = round(timed_run(at)[0], 3)
    return {"tabs_cold_s": cold, "page_cold_s": round(sum(cold.values()), 3),
            "tabs_warm_s": warm, "tab_warm_s_max": max(warm.values()),
            "load_average_1m": round(os.getloadavg()[0], 2)}


def _child(mode: str, db: Path, dataset_id: int, window: int) -> dict:
    return run_child(__file__, mode, db, dataset_id, "--window-days", str(window))


def _median(runs: list[dict], key: str) -> float:
    return round(statistics.median(float(r[key]) for r in runs), 3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", type=Path, default=DEFAULT_DB)
    parser.add_argument("--dataset", type=int, default=1)
    parser.add_argument("--window-days", type=int, default=90)
    parser.add_argument("--runs", type=int, default=3, help="cold runs, one process each")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child == "warm":
        print(json.dumps(run_warm(args.db, args.dataset, args.window_days)))
        return
    if args.child == "page":
        print(json.dumps(run_page(args.db)))
        return
    if args.child:
        print(json.dumps(run_cold(args.db, args.dataset, args.window_days, args.child)))
        return

    results: dict[str, object] = {"window_days": args.window_days, "runs": args.runs}
    with tempfile.TemporaryDirectory(prefix="retention-bench-ltv-") as folder:
        copy = Path(folder) / "ws.duckdb"
        shutil.copyfile(args.db, copy)
        for scenario in SCENARIOS:
            runs = [_child(scenario, copy, args.dataset, args.window_days)
                    for _ in range(args.runs)]
            results[scenario] = {
                "cold_s_median": _median(runs, "cold_s"),
                "cold_s_runs": [r["cold_s"] for r in runs],
                "cold_cpu_s_median": _median(runs, "cold_cpu_s"),
                "calls_median": {name: statistics.median(r["calls"][name] for r in runs)
                                 for name in runs[0]["calls"]},
                "load_average_1m": [r["load_average_1m"] for r in runs],
            }
        results["other_choices_once"] = _child("other_choices", copy, args.dataset,
                                               args.window_days)
        results["warm"] = _child("warm", copy, args.dataset, args.window_days)
        pages = [_child("page", copy, args.dataset, args.window_days) for _ in range(args.runs)]
        results["app_page"] = {
            "page_cold_s_median": _median(pages, "page_cold_s"),
            "page_cold_s_runs": [p["page_cold_s"] for p in pages],
            "tabs_cold_s_median": {tab: statistics.median(p["tabs_cold_s"][tab] for p in pages)
                                   for tab in TABS},
            "tab_warm_s_max_median": _median(pages, "tab_warm_s_max"),
            "load_average_1m": [p["load_average_1m"] for p in pages],
        }
    from retention.store import close_workspace, open_workspace

    source = open_workspace(args.db, read_only=True)
    rows, customers = source.cursor().execute(
        "select count(*), count(distinct customer_id) from transactions where dataset_id = ?",
        [args.dataset]).fetchone()
    close_workspace(args.db)
    print(json.dumps({"rows": rows, "customers": customers, **results}, indent=1))


if __name__ == "__main__":
    main()
