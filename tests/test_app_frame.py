"""The frame (app.py): empty workspace, first-run sample, sign-in, and Home against the domain."""

from __future__ import annotations

import datetime as dt

import pytest

from retention.formatting import format_count
from retention.metrics import default_as_of, headline
from retention.ui.sample_data import SAMPLE_DATASET, meta_value
from tests.conftest import LANGUAGE_ONLY, TINY_PURCHASES, sidebar_pickers


def metric(at, label: str) -> str:
    values = [m.value for m in at.metric if m.label == label]
    assert values, f"no metric {label!r}; the page has {[m.label for m in at.metric]}"
    return values[0]


def test_empty_workspace_renders_the_empty_state(app_test, workspace, no_sample):
    at = app_test().run()

    assert not at.exception
    assert any("no data in this workspace yet" in info.value for info in at.info)
    assert [b.label for b in at.button] == ["Load the sample data"]
    assert not at.metric
    assert workspace.datasets() == []


def test_first_run_loads_the_sample_and_home_matches_the_domain(app_test, workspace, with_sample):
    at = app_test().run()

    assert not at.exception
    [dataset] = workspace.datasets()
    assert dataset.name == SAMPLE_DATASET
    expected = headline(workspace.cursor(), dataset.dataset_id).iloc[0]
    assert metric(at, "Customers") == format_count(int(expected["customers"])) == "3,000"
    assert metric(at, "Orders") == format_count(int(expected["orders"]))
    assert at.sidebar.selectbox(key="active_dataset_id").value == dataset.dataset_id
    assert at.sidebar.date_input(key="as_of").value == default_as_of(
        workspace.cursor(), dataset.dataset_id
    )
    assert any("generated sample data" in info.value for info in at.info)


def test_the_sample_is_offered_once(app_test, workspace, with_sample):
    app_test().run()
    [dataset] = workspace.datasets()
    workspace.delete_dataset(dataset.dataset_id)

    at = app_test().run()

    assert workspace.datasets() == []
    assert meta_value(workspace, "sample_loaded") == "1"
    assert any("no data in this workspace yet" in info.value for info in at.info)


def test_empty_state_button_loads_the_sample(app_test, workspace, no_sample):
    at = app_test().run()

    at.button(key="load_sample").click().run()

    assert not at.exception
    assert [d.name for d in workspace.datasets()] == [SAMPLE_DATASET]
    assert metric(at, "Customers") == "3,000"


def test_banner_disappears_when_another_dataset_is_active(
    app_test, workspace, with_sample, tiny_purchases_csv
):
    from retention.ingest import load_file

    at = app_test().run()
    report = load_file(workspace, tiny_purchases_csv, dataset="Tiny")
    at.run()  # the picker lists the new dataset from this run on

    at.sidebar.selectbox(key="active_dataset_id").set_value(report.dataset_id).run()

    assert not any("generated sample data" in info.value for info in at.info)
    assert metric(at, "Customers") == "3"


@pytest.mark.parametrize("configure", ["env", "secrets"])
def test_sign_in_gate_asks_for_the_password(app_test, workspace, no_sample, monkeypatch,
                                            configure):
    at = app_test()
    if configure == "env":
        monkeypatch.setenv("RETENTION_PASSWORD", "open sesame")
    else:
        at.secrets["retention_auth"] = {"password": "open sesame"}
    at.run()
    assert [ti.label for ti in at.text_input] == ["Password"]
    # before the sign-in the sidebar holds only the language picker: no dataset, no data
    assert sidebar_pickers(at) == LANGUAGE_ONLY and not at.info

    at.text_input[0].set_value("wrong")
    at.button[0].click().run()
    assert "not right" in at.error[0].value
    assert not at.info

    at.text_input[0].set_value("open sesame")
    at.button[0].click().run()
    assert not at.exception
    assert any("no data in this workspace yet" in info.value for info in at.info)


def test_a_page_run_without_the_frame_still_asks_for_the_password(
    app_test, workspace, no_sample, monkeypatch
):
    # a session that loses its sign-in (password changed, signed out) sees only the gate
    monkeypatch.setenv("RETENTION_PASSWORD", "open sesame")
    at = app_test().run()
    at.text_input[0].set_value("open sesame")
    at.button[0].click().run()
    at.switch_page("views/data.py").run()
    assert at.file_uploader, "signed in, the Data page shows its uploader"

    del at.session_state["_signed_in_token"]
    at.run()

    assert [ti.label for ti in at.text_input] == ["Password"]
    assert not at.file_uploader


def test_a_row_dated_2099_does_not_move_the_sidebar_default_or_home(
    app_test, workspace, no_sample, tmp_path
):
    # TINY_PURCHASES ends on 2025-03-01; C4's purchase was typed as 2099. The machine's clock
    # lies between the two, so the default as-of date is the last real purchase date.
    from retention.ingest import load_file

    typo = tmp_path / "typo.csv"
    typo.write_text(TINY_PURCHASES + "C4,2099-03-01,70.00,O5\n", encoding="utf-8")
    load_file(workspace, typo, dataset="Typo")

    at = app_test().run()

    assert not at.exception
    assert at.sidebar.date_input(key="as_of").value == dt.date(2025, 3, 1)
    assert at.sidebar.date_input(key="as_of").max == dt.date(2099, 3, 1), \
        "the future row can still be brought in by hand"
    assert (metric(at, "Customers"), metric(at, "Orders")) == ("3", "4")
    assert metric(at, "Active customers") == "3"
    assert metric(at, "Rows after the as-of date") == "1"
    assert metric(at, "Date range") == "Jan 5, 2025 – Mar 1, 2025"


def test_the_app_start_clears_folders_a_killed_load_left(app_test, workspace, no_sample,
                                                         tmp_path, monkeypatch):
    import tempfile

    from retention.ui import frame

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    dead = tmp_path / "retention-load-999999-killed"  # a process id no system hands out
    dead.mkdir()
    (dead / "owner.lock").write_bytes(b"999999")
    (dead / "upload.csv").write_bytes(b"x" * 1000)
    frame.clear_leftovers_of_killed_loads.clear()  # a new server process

    at = app_test().run()

    assert not at.exception
    assert not dead.exists()
