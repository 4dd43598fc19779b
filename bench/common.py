"""What the page benchmarks share: a child process per cold run, and the page in AppTest.

Each cold measurement runs in its own process (nothing imported, nothing cached); the child
prints one JSON line, which the parent reads back.
"""

from __future__ import annotations

import json
import logging
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def run_child(script: str, mode: str, db: Path, dataset_id: int, *extra: str) -> dict[str, Any]:
    """Run ``script --child mode --db db --dataset id *extra`` and return its last JSON line."""
    result = subprocess.run(
        [sys.executable, script, "--child", mode, "--db", str(db), "--dataset", str(dataset_id),
         *extra],
        capture_output=True, text=True, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def page_app_test(db: Path, page: str, dataset_id: int | None = None):
    """``app.py`` in AppTest on workspace ``db``, switched to ``page`` (e.g. "views/ladder.py"),
    not yet run. Only for a fresh benchmark process: it sets RETENTION_DB in the environment."""
    logging.disable(logging.WARNING)
    os.environ["RETENTION_DB"] = str(db)
    os.environ["RETENTION_NO_SAMPLE"] = "1"
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
    at.secrets["bench"] = "no sign-in"
    if dataset_id is not None:
        at.session_state["active_dataset_id"] = dataset_id
    at.switch_page(page)
    return at


def timed_run(at, runs: int = 1) -> list[float]:
    """Seconds of ``runs`` consecutive runs of the AppTest; raises if the page raised."""
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        at.run()
        seconds.append(time.perf_counter() - started)
        if at.exception:
            raise RuntimeError(str(at.exception))
    return seconds


def page_cold_warm(db: Path, page: str, dataset_id: int | None = None,
                   prepare: Callable[[Any], None] | None = None) -> dict[str, float]:
    """The whole page as a user gets it: the first run (cold), then the median of 3 reruns."""
    at = page_app_test(db, page, dataset_id)
    if prepare is not None:
        prepare(at)
    cold = timed_run(at)[0]
    warm = timed_run(at, 3)
    return {"page_cold_s": round(cold, 3), "page_warm_s": round(statistics.median(warm), 3),
            "load_average_1m": round(os.getloadavg()[0], 2)}
