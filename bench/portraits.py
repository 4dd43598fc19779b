"""Benchmark: the Customer portraits page's domain calls on a big workspace, cold and warm.

    python bench/portraits.py [--db /tmp/bench10m/ws.duckdb] [--dataset 1] [--runs 3]
                              [--sample-customers 1000000]

Cold: a new process and a new connection, nothing cached — each run is its own subprocess that
makes the calls the page makes on first view (which optional columns exist; the portraits:
features in DuckDB, the k-means pipeline with k chosen by silhouette, the ladder steps and the
descriptions) through the page's cached accessors. Warm: the same calls again in that process,
answered by ``st.cache_resource`` / ``st.cache_data``. A separate cold process times the four
stages of :func:`customer_portraits` one by one.

``--sample-customers N`` also runs everything on a second dataset holding a seeded random N of
the customers with all their rows (the issue's "1M customers"); 0 skips it. Then the whole page
as a user gets it: ``AppTest`` runs ``app.py`` straight onto the portraits page in a new process
(cold), then reruns it (warm).

The workspace is copied to a temporary folder first: the accessors open it read-write, as the
app does, the sampled dataset is written into the copy, and the original stays untouched.
Prints one JSON object; the README's figures come from it. Cold runs also report CPU seconds
(all threads of the process): on a busy machine wall time grows, CPU time much less.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import page_cold_warm, run_child  # noqa: E402

DEFAULT_DB = Path("/tmp/bench10m/ws.duckdb")
SAMPLE_SEED = 42


def _timed(results: dict[str, float], name: str, call):
    started = time.perf_counter()
    value = call()
    results[name] = round(time.perf_counter() - started, 3)
    return value


def run_calls(db: Path, dataset_id: int) -> dict[str, object]:
    """One cold pass and one warm pass of the page's cached calls in this (fresh) process."""
    logging.disable(logging.WARNING)  # "missing ScriptRunContext": bare mode, expected
    from retention.metrics import default_as_of
    from retention.store import open_workspace
    from retention.ui.context import Context
    from retention.ui.data import portraits as data

    ws = open_workspace(db)
    as_of = default_as_of(ws.cursor(), dataset_id)
    # the page's defaults unless the workspace saved other settings for the dataset
    ctx = Context(workspace=ws, dataset=ws.dataset(dataset_id), as_of=as_of, window_days=90)

    def page_calls(timings: dict[str, float]):
        _timed(timings, "optional_attributes", lambda: data.optional_attributes(ctx))
        return _timed(timings, "portraits", lambda: data.fitted_portraits(ctx))

    cold: dict[str, float] = {}
    cpu_started = time.process_time()
    result = page_calls(cold)
    cold_cpu = time.process_time() - cpu_started
    if isinstance(result, str):
        raise RuntimeError(result)
    warm: dict[str, float] = {}
    page_calls(warm)
    return {
        "as_of": as_of.isoformat(),
        "customers": result.customers,
        "k": result.k,
        "estimator": result.estimator,
        "names": result.summary["name"].tolist(),
        "cold_s": round(sum(cold.values()), 3),
        "cold_cpu_s": round(cold_cpu, 3),
        "warm_s": round(sum(warm.values()), 3),
        "cold": cold,
        "warm": warm,
    }


def run_stages(db: Path, dataset_id: int) -> dict[str, float]:
    """The four stages of ``customer_portraits``, timed one by one in this (fresh) process."""
    from retention.metrics import default_as_of
    from retention.metrics.customer_features import customer_features
    from retention.metrics.ladder import customer_steps
    from retention.models.portraits import PortraitModel, describe_portraits
    from retention.store import open_workspace

    ws = open_workspace(db)
    con = ws.cursor()
    as_of = default_as_of(con, dataset_id)
    stages: dict[str, float] = {}
    frame = _timed(stages, "features_sql", lambda: customer_features(con, dataset_id,
                                                                     as_of=as_of))
    model = _timed(stages, "fit_with_k_search", lambda: PortraitModel().fit(frame))
    steps = _timed(stages, "ladder_steps", lambda: customer_steps(con, dataset_id, as_of=as_of))
    _timed(stages, "describe", lambda: describe_portraits(frame, model, steps=steps,
                                                          as_of=as_of))
    stages["total"] = round(sum(stages.values()), 3)
    return stages


def run_page(db: Path, dataset_id: int) -> dict[str, float]:
    """The whole page in AppTest, in this (fresh) process: first run cold, then warm reruns."""
    return page_cold_warm(db, "views/portraits.py", dataset_id)


def add_customer_sample(db: Path, dataset_id: int, customers: int) -> int:
    """A new dataset in ``db`` with a seeded random ``customers`` of ``dataset_id``'s
    customers and all their rows; returns its id."""
    from retention.store import close_workspace, open_workspace

    ws = open_workspace(db)
    con = ws.cursor()
    con.execute("begin")
    new_id = con.execute(
        "insert into datasets (name, currency, rows_loaded) select name || '-sample', currency,"
        " 0 from datasets where dataset_id = ? returning dataset_id", [dataset_id]).fetchone()[0]
    # ordered by a seeded hash: the same customers every run (a reservoir sample over a
    # parallel distinct is not)
    con.execute(
        """
        create temp table chosen as
        select customer_id from (
            select distinct customer_id from transactions where dataset_id = $ds
        )
        order by hash(customer_id, $seed), customer_id
        limit $n
        """, {"ds": dataset_id, "seed": SAMPLE_SEED, "n": int(customers)})
    for table in ("transactions", "customers"):
        # table names from this fixed tuple; the columns after dataset_id are copied as they are
        con.execute(
            f"insert into {table} select $new as dataset_id, * exclude (dataset_id)"
            f" from {table} where dataset_id = $ds and customer_id in"
            " (select customer_id from chosen)", {"new": new_id, "ds": dataset_id})
    ws.rebuild_orders(con, new_id)
    con.execute("update datasets set rows_loaded = (select count(*) from transactions"
                " where dataset_id = $new) where dataset_id = $new", {"new": new_id})
    con.execute("commit")
    close_workspace(db)
    return int(new_id)


def _child(mode: str, db: Path, dataset_id: int) -> dict:
    return run_child(__file__, mode, db, dataset_id)


def measure(db: Path, dataset_id: int, runs: int) -> dict[str, object]:
    """Cold/warm calls, stages and the page on one dataset, each cold run in a new process."""
    from retention.store import close_workspace, open_workspace

    source = open_workspace(db, read_only=True)
    rows, customers = source.cursor().execute(
        "select count(*), count(distinct customer_id) from transactions where dataset_id = ?",
        [dataset_id]).fetchone()
    close_workspace(db)
    calls = [_child("calls", db, dataset_id) for _ in range(runs)]
    stages = [_child("stages", db, dataset_id) for _ in range(runs)]
    pages = [_child("page", db, dataset_id) for _ in range(runs)]
    return {
        "rows": rows,
        "customers": customers,
        "as_of": calls[0]["as_of"],
        "k": calls[0]["k"],
        "estimator": calls[0]["estimator"],
        "names": calls[0]["names"],
        "runs": runs,
        "cold_s_median": statistics.median(r["cold_s"] for r in calls),
        "cold_s_runs": [r["cold_s"] for r in calls],
        "cold_cpu_s_median": statistics.median(r["cold_cpu_s"] for r in calls),
        "warm_s_median": statistics.median(r["warm_s"] for r in calls),
        "stages_median": {name: statistics.median(s[name] for s in stages)
                          for name in stages[0]},
        "page_cold_s_median": statistics.median(p["page_cold_s"] for p in pages),
        "page_cold_s_runs": [p["page_cold_s"] for p in pages],
        "page_warm_s_median": statistics.median(p["page_warm_s"] for p in pages),
    }


def main() -> None:
    started = time.perf_counter()
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", type=Path, default=DEFAULT_DB)
    parser.add_argument("--dataset", type=int, default=1)
    parser.add_argument("--runs", type=int, default=3, help="cold runs, one process each")
    parser.add_argument("--sample-customers", type=int, default=1_000_000,
                        help="also measure a dataset of this many sampled customers (0: no)")
    parser.add_argument("--child", choices=("calls", "stages", "page"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run = {"calls": run_calls, "stages": run_stages, "page": run_page}[args.child]
        print(json.dumps(run(args.db, args.dataset)))
        return

    with tempfile.TemporaryDirectory(prefix="retention-bench-portraits-") as folder:
        copy = Path(folder) / "ws.duckdb"
        shutil.copyfile(args.db, copy)
        report = {"full": measure(copy, args.dataset, args.runs)}
        if args.sample_customers:
            sampled = add_customer_sample(copy, args.dataset, args.sample_customers)
            report["sample"] = measure(copy, sampled, args.runs)
    report["load_average_after"] = [round(v, 2) for v in os.getloadavg()]
    report["bench_s"] = round(time.perf_counter() - started, 1)
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
