"""Benchmark: the Loyalty ladder page's domain calls on a big workspace, cold and warm.

    python bench/ladder.py [--db /tmp/bench10m/ws.duckdb] [--dataset 1] [--runs 3]

Cold: a new process and a new connection, nothing cached — each run is its own subprocess that
makes the calls the page makes on first view (ladder counts, which columns exist, moving up,
the migration matrix, the Pareto curve) through the page's cached accessors
(``retention.ui.data.ladder``). Warm: the same calls again in that process, answered by
``st.cache_data``. Also timed, cold, on demand: the first 1,000 customers of the biggest
"moved" cell and the whole "moved up" list (a download).

Then the whole page as a user gets it: ``AppTest`` runs ``app.py`` straight onto the ladder page
in a new process (frame, sidebar and every section drawn; cold), then reruns it (warm).

The workspace is copied to a temporary folder first: the accessors open it read-write, as the
app does, and the original must stay untouched. Prints one JSON object; the README's figures
come from it. Wall-clock seconds depend on what else the machine runs, so the process CPU
seconds of the cold calls and the 1-minute load average are printed too.
"""

from __future__ import annotations

import argparse
import json
import logging
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import page_cold_warm, run_child  # noqa: E402

DEFAULT_DB = Path("/tmp/bench10m/ws.duckdb")


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _timed(results: dict[str, float], name: str, call):
    started = time.perf_counter()
    value = call()
    results[name] = round(time.perf_counter() - started, 3)
    return value


def run_once(db: Path, dataset_id: int) -> dict[str, object]:
    """One cold pass and one warm pass in this (fresh) process."""
    logging.disable(logging.WARNING)  # "missing ScriptRunContext": bare mode, expected
    from retention.metrics import default_as_of
    from retention.metrics.ladder import default_migration_start
    from retention.store import open_workspace
    from retention.ui.context import DEFAULT_WINDOW_DAYS, Context
    from retention.ui.data import ladder as data
    from retention.ui.ladder_page import LIST_LIMIT

    opened = time.perf_counter()
    ws = open_workspace(db)
    as_of = default_as_of(ws.cursor(), dataset_id)
    open_s = time.perf_counter() - opened
    # the page's context: the thresholds saved for the dataset (none on a bench workspace)
    ctx = Context(workspace=ws, dataset=ws.dataset(dataset_id), as_of=as_of,
                  window_days=DEFAULT_WINDOW_DAYS)
    start = default_migration_start(as_of)

    def page_calls(timings: dict[str, float]):
        _timed(timings, "ladder_counts", lambda: data.ladder_counts(ctx))
        _timed(timings, "ladder_inputs", lambda: data.ladder_inputs(ctx))
        _timed(timings, "moving_up", lambda: data.moving_up(ctx))
        matrix = _timed(timings, "migration_matrix", lambda: data.migration(ctx, start, as_of))
        _timed(timings, "pareto_curve", lambda: data.pareto_curve(ctx))
        return matrix

    cold: dict[str, float] = {}
    cpu_started = _cpu_seconds()
    matrix = page_calls(cold)
    cold_cpu = _cpu_seconds() - cpu_started
    warm: dict[str, float] = {}
    page_calls(warm)
    moved = matrix[matrix["from_step"] != matrix["to_step"]]
    biggest = moved.sort_values("customers").iloc[-1]
    on_demand: dict[str, float] = {}
    _timed(on_demand, "cell_first_1000", lambda: data.movers(
        ctx, start, as_of, from_step=biggest["from_step"], to_step=biggest["to_step"],
        limit=LIST_LIMIT))
    moved_up = _timed(on_demand, "moved_up_full_list", lambda: data.movers(
        ctx, start, as_of, direction="up"))
    return {
        "as_of": as_of.isoformat(),
        "open_s": round(open_s, 3),
        "cold_s": round(sum(cold.values()), 3),
        "cold_cpu_s": round(cold_cpu, 3),
        "warm_s": round(sum(warm.values()), 3),
        "cold": cold,
        "warm": warm,
        "on_demand": on_demand,
        "biggest_moved_cell": f"{biggest['from_step']}->{biggest['to_step']}",
        "biggest_moved_cell_customers": int(biggest["customers"]),
        "moved_up_customers": len(moved_up),
    }


def run_page(db: Path) -> dict[str, float]:
    """The whole page in AppTest, in this (fresh) process: first run cold, then warm reruns."""
    return page_cold_warm(db, "views/ladder.py")


def _child(mode: str, db: Path, dataset_id: int) -> dict:
    return run_child(__file__, mode, db, dataset_id)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", type=Path, default=DEFAULT_DB)
    parser.add_argument("--dataset", type=int, default=1)
    parser.add_argument("--runs", type=int, default=3, help="cold runs, one process each")
    parser.add_argument("--child", choices=("calls", "page"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child == "calls":
        print(json.dumps(run_once(args.db, args.dataset)))
        return
    if args.child == "page":
        print(json.dumps(run_page(args.db)))
        return

    with tempfile.TemporaryDirectory(prefix="retention-bench-ladder-") as folder:
        copy = Path(folder) / "ws.duckdb"
        shutil.copyfile(args.db, copy)
        runs = [_child("calls", copy, args.dataset) for _ in range(args.runs)]
        pages = [_child("page", copy, args.dataset) for _ in range(args.runs)]
    from retention.store import close_workspace, open_workspace

    source = open_workspace(args.db, read_only=True)
    rows, customers = source.cursor().execute(
        "select count(*), count(distinct customer_id) from transactions where dataset_id = ?",
        [args.dataset]).fetchone()
    close_workspace(args.db)
    print(json.dumps({
        "rows": rows,
        "customers": customers,
        "as_of": runs[0]["as_of"],
        "runs": len(runs),
        "cold_s_median": statistics.median(r["cold_s"] for r in runs),
        "cold_s_runs": [r["cold_s"] for r in runs],
        "cold_cpu_s_median": statistics.median(r["cold_cpu_s"] for r in runs),
        "warm_s_median": statistics.median(r["warm_s"] for r in runs),
        "open_s_median": statistics.median(r["open_s"] for r in runs),
        "page_cold_s_median": statistics.median(p["page_cold_s"] for p in pages),
        "page_cold_s_runs": [p["page_cold_s"] for p in pages],
        "page_warm_s_median": statistics.median(p["page_warm_s"] for p in pages),
        "load_average_1m": [p["load_average_1m"] for p in pages],
        "cold_calls_median": {
            name: statistics.median(r["cold"][name] for r in runs) for name in runs[0]["cold"]},
        "on_demand_median": {
            name: statistics.median(r["on_demand"][name] for r in runs)
            for name in runs[0]["on_demand"]},
        "biggest_moved_cell": runs[0]["biggest_moved_cell"],
        "biggest_moved_cell_customers": runs[0]["biggest_moved_cell_customers"],
        "moved_up_customers": runs[0]["moved_up_customers"],
    }, indent=1))


if __name__ == "__main__":
    main()
