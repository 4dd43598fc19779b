"""``python -m retention bench`` (issue 16): one tiny run's report has every field, one entry per
page of the app's menu, and figures that belong to the file it measured."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from retention.benchmark import render
from retention.ui.first_views import FIRST_VIEWS, first_view, main, page_titles
from retention.ui.frame import NAVIGATION
from tests.conftest import TINY_PURCHASES

ROOT = Path(__file__).resolve().parents[1]
PAGE_FIELDS = {"cold_s", "warm_s", "peak_mb"}


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory) -> tuple[dict, Path]:
    """The bench on about 2,000 sample lines, once, as a script runs it; (report, its folder)."""
    folder = tmp_path_factory.mktemp("bench")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for variable in ("RETENTION_DB", "RETENTION_DUCKDB_THREADS", "RETENTION_DUCKDB_MEMORY_LIMIT"):
        env.pop(variable, None)
    result = subprocess.run(
        [sys.executable, "-m", "retention", "bench", "--rows", "2000", "--repeats", "1",
         "--json", "--workdir", str(folder)],
        capture_output=True, text=True, cwd=ROOT, env=env, timeout=600)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout), folder


def test_every_page_of_the_menu_has_a_first_view_and_nothing_else_does():
    # the bench lists the pages from the menu's own table: a new page without an entry fails
    titles = [title for _, title, _ in NAVIGATION]
    assert page_titles() == titles
    assert list(FIRST_VIEWS) == titles
    assert len(titles) == 9 and titles[0] == "Home" and titles[-1] == "Data"


def test_the_report_has_every_field_and_one_entry_per_page(tiny_run):
    report, _ = tiny_run
    assert {"machine", "rows", "customers", "ingest", "pages", "summary", "fits"} <= set(report)
    machine = report["machine"]
    assert machine["cores"] == os.cpu_count()
    assert machine["memory_gb"] > 0
    assert len(machine["load_average"]) == 3 and len(machine["load_average_after"]) == 3
    assert set(report["ingest"]) == {"seconds", "bare_seconds", "ratio"}
    ingest = report["ingest"]
    assert ingest["seconds"] > 0 and ingest["bare_seconds"] > 0
    assert ingest["ratio"] == pytest.approx(ingest["seconds"] / ingest["bare_seconds"])
    assert list(report["pages"]) == [title for _, title, _ in NAVIGATION]
    for title, page in report["pages"].items():
        assert set(page) == PAGE_FIELDS, title
        assert page["cold_s"] > 0 and page["warm_s"] > 0, title
        # a Python process with DuckDB and pandas loaded: tens of MB at least, never a GB here
        assert 50 < page["peak_mb"] < 1024, title
    assert set(report["summary"]) == {"seconds", "peak_mb"}
    assert report["summary"]["seconds"] > 0 and 50 < report["summary"]["peak_mb"] < 1024
    assert set(report["fits"]) == {"bgnbd", "gamma_gamma", "portraits_kmeans"}
    assert all(seconds > 0 for seconds in report["fits"].values())


def test_rows_and_customers_are_the_sample_files(tiny_run):
    report, folder = tiny_run
    lines = (folder / "sample.csv").read_text("utf-8").splitlines()
    customers = {line.split(",")[1] for line in lines[1:]}  # customer_id, the second column
    assert report["rows"] == len(lines) - 1
    assert report["customers"] == len(customers)
    # "about 2000": the generator never cuts a customer's lines, so not exactly
    assert 1500 <= report["rows"] <= 2500


def test_the_readable_table_names_the_machine_and_every_page(tiny_run):
    report, _ = tiny_run
    text = render(report)
    assert text.startswith(f"Machine: {os.cpu_count()} cores")
    for title in FIRST_VIEWS:
        assert f"\n{title} " in text
    assert "Summary" in text and "bgnbd" in text and "ratio" in text


def test_a_page_without_a_first_view_is_named(workspace):
    with pytest.raises(KeyError, match="'Team' has no first view"):
        first_view(workspace.path, 1, "Team")


def test_a_child_measures_one_page_cold_then_warm(workspace, tmp_path, capsys):
    from retention.ingest import load_file

    path = tmp_path / "tiny.csv"
    path.write_text(TINY_PURCHASES, "utf-8")
    dataset_id = load_file(workspace, path, dataset="tiny").dataset_id
    assert main([workspace.path, str(dataset_id), "Home"]) == 0
    measured = json.loads(capsys.readouterr().out)
    assert set(measured) == {"cold_s", "warm_s"}
    assert main(["nonsense"]) == 2
