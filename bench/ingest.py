"""Benchmark: load the synthetic sample at a given size and time each step.

    python bench/ingest.py --customers 200000 [--keep DIR]

Prints one JSON object: file size, rows, seconds for writing the CSV, loading it (cold, into a
new workspace) and the headline metric. The figures in the README come from this script.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from retention.ingest import load_file  # noqa: E402
from retention.metrics import headline  # noqa: E402
from retention.sample import write_sample_csv  # noqa: E402
from retention.store import close_workspace, open_workspace  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", type=Path, help="keep the CSV and workspace in this folder")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="retention-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    csv_path = folder / f"sample_{args.customers}.csv"
    db = folder / "bench.duckdb"
    for leftover in (db, db.with_suffix(".duckdb.wal")):
        leftover.unlink(missing_ok=True)

    started = time.perf_counter()
    write_sample_csv(csv_path, customers=args.customers, seed=args.seed)
    write_s = time.perf_counter() - started

    ws = open_workspace(db)
    report = load_file(ws, csv_path, dataset="bench")
    started = time.perf_counter()
    head = headline(ws.cursor(), report.dataset_id).iloc[0]
    headline_s = time.perf_counter() - started
    close_workspace(db)
    print(json.dumps({
        "customers": args.customers,
        "csv_mb": round(csv_path.stat().st_size / 1e6, 1),
        "rows": report.rows_loaded,
        "write_csv_s": round(write_s, 2),
        "load_s": round(report.seconds, 2),
        "rows_per_s": round(report.rows_loaded / report.seconds),
        "headline_s": round(headline_s, 3),
        "orders": int(head["orders"]),
        "workspace_mb": round(db.stat().st_size / 1e6, 1),
    }))


if __name__ == "__main__":
    main()
