"""Ten readers and one writer on the process-wide workspace (issue 13, concurrency).

Streamlit runs each session's script in its own thread, and every session shares the one DuckDB
connection of ``open_workspace``, each run on its own cursor. While an editor loads a file the
other sessions keep reading: no reader may get a lock error, and every number a reader computes
must be the dataset as it was before a load or as it is after it, never a mix of the two.

The second *process* on a held workspace (one sentence, exit 1) is covered by
``tests/test_cli.py::test_a_held_workspace_gives_one_sentence_for_summary_and_ingest``.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from pathlib import Path

import pytest

from retention import metrics
from retention.ingest import load_file
from retention.store import Workspace
from retention.summary import dataset_summary
from tests.ingest_helpers import fresh_workspace, write

READERS = 10
DATASET = "shop"
# Bounds of the test's own waits, in seconds; each reader reads at least this often.
JOIN_TIMEOUT = 300.0
MIN_READS_PER_READER = 3


def purchases(first_customer: int, customers: int, first_month: int, months: int,
              order_prefix: str) -> str:
    """A purchase file: ``customers`` customers, the even ones buying every month, the odd ones
    in their first month only, from month ``first_month`` (1 = January 2024) on."""
    lines = ["order id,customer,date,amount"]
    for number in range(first_customer, first_customer + customers):
        for month in range(first_month, first_month + (months if number % 2 == 0 else 1)):
            day = dt.date(2024, 1, 1) + dt.timedelta(days=30 * (month - 1) + number % 28)
            lines.append(f"{order_prefix}{number}-{month},c{number},{day},{10 + number % 7}.50")
    return "\n".join(lines) + "\n"


def key_numbers(summary: dict) -> tuple[int, int, float]:
    return summary["customers"], summary["orders"], round(summary["net_revenue"], 4)


def read_now(ws: Workspace) -> tuple[int, int, float]:
    """The key numbers of the dataset, computed the way the ``summary`` command computes them."""
    con = ws.cursor()
    return key_numbers(dataset_summary(con, ws.dataset(DATASET)))


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    # the appended file adds new customers and a later month, so its load moves the default
    # as-of date too; the replacing one is a different shop altogether
    return {
        "first": write(tmp_path, "first.csv", purchases(0, 120, 1, 10, "A")),
        "appended": write(tmp_path, "appended.csv", purchases(120, 60, 3, 9, "B")),
        "replacing": write(tmp_path, "replacing.csv", purchases(500, 80, 2, 12, "X")),
    }


def test_readers_see_the_dataset_before_or_after_a_load_never_a_mix(tmp_path, files):
    ws = fresh_workspace(tmp_path)
    load_file(ws, files["first"], dataset=DATASET)
    states = [read_now(ws)]

    errors: list[tuple[str, BaseException]] = []
    seen: list[set[tuple[int, int, float]]] = [set() for _ in range(READERS)]
    reads = [0] * READERS
    writer_done = threading.Event()
    # the state after each load, recorded by the writer before readers may check against it
    after_loads: list[tuple[int, int, float]] = []

    def reader(index: int) -> None:
        try:
            while not writer_done.is_set() or reads[index] < MIN_READS_PER_READER:
                seen[index].add(read_now(ws))
                reads[index] += 1
        except BaseException as exc:  # noqa: BLE001 - any failure in a thread is the finding
            errors.append((f"reader {index}", exc))

    def writer() -> None:
        try:
            time.sleep(0.2)  # let every reader start reading first
            load_file(ws, files["appended"], dataset=DATASET, mode="append")
            after_loads.append(read_now(ws))
            time.sleep(0.2)
            load_file(ws, files["replacing"], dataset=DATASET, mode="replace")
            after_loads.append(read_now(ws))
        except BaseException as exc:  # noqa: BLE001
            errors.append(("writer", exc))
        finally:
            writer_done.set()

    threads = [threading.Thread(target=reader, args=(i,), name=f"reader-{i}")
               for i in range(READERS)]
    threads.append(threading.Thread(target=writer, name="writer"))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=JOIN_TIMEOUT)
    assert not any(thread.is_alive() for thread in threads), "a thread did not finish"

    assert errors == []
    states += after_loads
    assert len(set(states)) == 3, f"each load should change the numbers: {states}"
    for index, numbers in enumerate(seen):
        assert numbers <= set(states), (
            f"reader {index} saw numbers of no state of the dataset: {numbers - set(states)}; "
            f"the states were {states}")
    assert all(count >= MIN_READS_PER_READER for count in reads)


def test_a_load_that_commits_in_the_middle_of_a_summary_does_not_reach_it(tmp_path, files,
                                                                          monkeypatch):
    """A summary is many queries; a load committing between two of them must not give numbers
    of the old as-of date counted on the new rows (the race the threads above can only hit
    by chance, made certain here)."""
    ws = fresh_workspace(tmp_path)
    load_file(ws, files["first"], dataset=DATASET)
    dataset = ws.dataset(DATASET)
    before = dataset_summary(ws.cursor(), dataset)
    counted_once = metrics.headline

    def headline_after_a_load(*args, **kwargs):
        # the editor's append commits after the summary picked its as-of date, before it counts
        monkeypatch.setattr(metrics, "headline", counted_once)
        load_file(ws, files["appended"], dataset=DATASET, mode="append")
        return counted_once(*args, **kwargs)

    monkeypatch.setattr(metrics, "headline", headline_after_a_load)
    assert dataset_summary(ws.cursor(), dataset) == before
    assert read_now(ws) != key_numbers(before)  # the load did commit


def test_a_run_begun_before_a_load_never_caches_the_new_versions_numbers_as_the_old(
        tmp_path, files):
    """A session's run reads the dataset's version at its start and keys every cache entry by
    it. DuckDB cannot read an older version, so when a load commits in between, the accessor
    refuses (DatasetChanged, which the frame turns into a rerun) instead of storing version 2's
    numbers under version 1's key; the rerun's context then reads version 2 throughout."""
    from retention.ui.context import Context
    from retention.ui.data import DatasetChanged
    from retention.ui.data.headline import headline_numbers

    ws = fresh_workspace(tmp_path)
    load_file(ws, files["first"], dataset=DATASET)
    # a session's run reads the sidebar's dataset (version 1) ...
    run_context = Context(workspace=ws, dataset=ws.dataset(DATASET), as_of=None, window_days=90)
    # ... an editor's load commits version 2 ...
    load_file(ws, files["appended"], dataset=DATASET, mode="append")
    after = read_now(ws)
    # ... and the run's first card is refused, now and on every later call: nothing was cached
    for _ in range(2):
        with pytest.raises(DatasetChanged):
            headline_numbers(run_context)
    rerun_context = Context(workspace=ws, dataset=ws.dataset(DATASET), as_of=None,
                            window_days=90)
    assert rerun_context.dataset.version == run_context.dataset.version + 1
    numbers = headline_numbers(rerun_context)
    assert (numbers["customers"], numbers["orders"], round(numbers["net_revenue"], 4)) == after
