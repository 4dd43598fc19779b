"""The Loyalty ladder page in AppTest: the sample shop, an empty workspace, and a hand-checked
upload where settings and a migration cell change what the page shows."""

from __future__ import annotations

import datetime as dt

import pytest

from retention.ingest import load_file
from tests.test_ladder import MOVER_ROWS

PAGE = "views/ladder.py"
D = dt.date(2025, 12, 31)


def metric(at, label: str) -> str:
    values = [m.value for m in at.metric if m.label == label]
    assert values, f"no metric {label!r}; the page has {[m.label for m in at.metric]}"
    return values[0]


def open_page(at, as_of: dt.date | None = None):
    at.run()
    if as_of is not None:
        at.sidebar.date_input(key="as_of").set_value(as_of)
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    return at


@pytest.fixture
def movers(workspace, tmp_path, no_sample):
    """tests.test_ladder.MOVER_ROWS as "Movers": six customers, no referral or NPS data."""
    path = tmp_path / "movers.csv"
    path.write_text(MOVER_ROWS, encoding="utf-8")
    return load_file(workspace, path, dataset="Movers", currency="EUR")


def test_the_page_renders_on_the_sample_shop(app_test, with_sample):
    at = open_page(app_test())

    assert at.title[0].value == "Loyalty ladder"
    steps = ["One-time buyer", "Repeat client", "Regular", "Loyal (by regularity)", "Advocate"]
    assert all(metric(at, step) != "Unknown" for step in steps)  # the sample has NPS data
    assert metric(at, "Share of net revenue from the top 20% of customers").endswith("%")
    assert metric(at, "Days to the second order (median)").endswith("days")
    assert all(m.proto.help for m in at.metric), "every number carries a plain explanation"
    assert len(at.get("plotly_chart")) == 4  # funnel, come-back, migration, Pareto
    assert not at.warning


def test_an_empty_workspace_says_what_to_do(app_test, workspace, no_sample):
    at = open_page(app_test())

    assert "There is no data yet" in at.info[0].value
    assert not at.metric
    assert [link.proto.page for link in at.page_link][-1] == "data"


def test_hand_checked_numbers_and_unknown_advocates(app_test, movers):
    at = open_page(app_test(), as_of=D)

    # exactly on each step, as of 2025-12-31 (see tests.test_ladder's MOVER_ROWS): buyers
    # new1, same1; repeat new2, up1, down1 (3 orders left in the window); regular up2
    assert [metric(at, s) for s in ("One-time buyer", "Repeat client", "Regular")] == [
        "2", "3", "1"]
    # without referral or NPS data "loyal only" and advocates cannot be told apart: the loyal
    # card counts both, as the funnel's bar does, under the proxy's name
    assert metric(at, "Loyal (by regularity)") == "0"
    assert metric(at, "Advocate") == "Unknown"
    warning = at.warning[0].value
    assert "Advocates: unknown" in warning and "referred_by" in warning and "nps" in warning
    assert any("estimated by regularity" in md.value for md in at.markdown)
    # from 2025-11-30 (one month before D) to D
    assert at.date_input(key=f"ladder_start_{D}").value == dt.date(2025, 11, 30)
    assert [metric(at, label) for label in ("New customers", "Moved up", "Stayed",
                                            "Dropped a step")] == ["2", "2", "1", "1"]
    # ⌈0.2 · 6⌉ = 2 customers: down1 and up2, 4 orders of €10 each
    assert metric(at, "Their net revenue") == "€80.00"


def test_a_saved_threshold_changes_the_steps_and_is_remembered(app_test, movers, workspace):
    at = open_page(app_test(), as_of=D)
    assert metric(at, "Regular") == "1"

    at.number_input(key=f"ladder_regular_orders_{movers.dataset_id}").set_value(3)
    [apply] = [b for b in at.button if b.label == "Apply and remember for this dataset"]
    apply.click().run()

    # down1 has 3 orders in the window: with "3 orders make a regular" it joins up2
    assert not at.exception
    assert (metric(at, "Repeat client"), metric(at, "Regular")) == ("2", "2")
    assert workspace.settings(movers.dataset_id, "ladder")["regular_orders"] == 3
    # a new session of the page starts from the saved setting
    again = open_page(app_test(), as_of=D)
    assert metric(again, "Regular") == "2"


def test_selecting_a_matrix_cell_lists_its_customers(app_test, movers):
    at = open_page(app_test(), as_of=D)
    assert not [md for md in at.markdown if "→" in md.value]

    # row 3 is "Regular" (new, one-time buyer, repeat client, regular, loyal)
    at.session_state[f"ladder_matrix_{movers.dataset_id}"] = {
        "selection": {"cells": [[3, "Repeat client"]], "rows": [], "columns": []}}
    at.run()

    assert not at.exception
    assert any(md.value == "**Regular → Repeat client: 1 customers**" for md in at.markdown)
    listed = at.dataframe[-1].value
    assert listed["customer_id"].tolist() == ["down1"]
    assert listed[["from_step", "to_step"]].values.tolist() == [["Regular", "Repeat client"]]


def test_moving_the_start_date_changes_who_moved(app_test, movers):
    at = open_page(app_test(), as_of=D)

    # on 2025-06-30 only down1 (3 orders), same1 and up1 (1 each) and up2 (2) had ordered
    at.date_input(key=f"ladder_start_{D}").set_value(dt.date(2025, 6, 30)).run()

    assert not at.exception
    # new: new1, new2; up: up1 buyer→repeat, up2 repeat→regular; down1 repeat→repeat
    assert [metric(at, label) for label in ("New customers", "Moved up", "Stayed",
                                            "Dropped a step")] == ["2", "2", "2", "0"]
