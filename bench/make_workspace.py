"""Build a benchmark workspace from the synthetic sample, through the normal load path.

    python bench/make_workspace.py --customers 1350000 --out /tmp/bench10m

1,350,000 customers give about 10M transaction lines (DESIGN's performance scale). The sample
goes through Parquet rather than CSV only because writing 10M rows of CSV from pandas takes
longer than the load itself. Prints one JSON object with the sizes and seconds.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from retention.ingest import load_file  # noqa: E402
from retention.sample import sample_transactions  # noqa: E402
from retention.store import close_workspace, open_workspace  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=1_350_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=Path("/tmp/bench10m"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    parquet = args.out / f"sample_{args.customers}.parquet"
    db = args.out / "ws.duckdb"
    for leftover in (db, Path(str(db) + ".wal")):
        leftover.unlink(missing_ok=True)

    started = time.perf_counter()
    sample_transactions(customers=args.customers, seed=args.seed).to_parquet(parquet, index=False)
    generate_s = time.perf_counter() - started

    ws = open_workspace(db)
    report = load_file(ws, parquet, dataset="bench", currency="USD")
    close_workspace(db)
    print(json.dumps({
        "workspace": str(db), "dataset": "bench", "customers": report.customers,
        "rows": report.rows_loaded, "generate_s": round(generate_s, 1),
        "load_s": round(report.seconds, 1), "workspace_mb": round(db.stat().st_size / 1e6),
    }))


if __name__ == "__main__":
    main()
