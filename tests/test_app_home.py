"""Home: headline numbers checked on paper, and the sidebar filters changing them."""

from __future__ import annotations

import datetime as dt

import pytest

from retention.ingest import load_file
from retention.metrics import headline


def metric(at, label: str) -> str:
    values = [m.value for m in at.metric if m.label == label]
    assert values, f"no metric {label!r}; the page has {[m.label for m in at.metric]}"
    return values[0]


@pytest.fixture
def tiny(workspace, tiny_purchases_csv, no_sample):
    """The six-line file of conftest.TINY_PURCHASES loaded as "Tiny", in US dollars."""
    return load_file(workspace, tiny_purchases_csv, dataset="Tiny", currency="USD")


def test_home_shows_the_hand_checked_numbers(app_test, tiny):
    at = app_test().run()

    assert not at.exception
    assert metric(at, "Customers") == "3"
    assert metric(at, "Orders") == "4"
    assert metric(at, "Net revenue") == "$250.00"
    assert metric(at, "Returns") == "1"
    assert metric(at, "Date range") == "Jan 5, 2025 – Mar 1, 2025"
    assert metric(at, "Currency") == "US Dollar ($)"
    assert "Rows after the as-of date" not in [m.label for m in at.metric]
    assert all(m.proto.help for m in at.metric), "every number carries a plain explanation"
    assert not any("generated sample data" in info.value for info in at.info)


def test_an_earlier_as_of_date_changes_the_numbers(app_test, workspace, tiny):
    at = app_test().run()
    assert at.sidebar.date_input(key="as_of").value == dt.date(2025, 3, 1)

    at.sidebar.date_input(key="as_of").set_value(dt.date(2025, 1, 31)).run()

    expected = headline(workspace.cursor(), tiny.dataset_id, as_of=dt.date(2025, 1, 31)).iloc[0]
    assert (int(expected["customers"]), int(expected["orders"])) == (2, 2)
    assert metric(at, "Customers") == "2"
    assert metric(at, "Orders") == "2"
    assert metric(at, "Net revenue") == "$150.00"
    assert metric(at, "Rows after the as-of date") == "3"


@pytest.mark.parametrize(("window", "active"), [(90, "3"), (30, "2"), (1, "1")])
def test_the_activity_window_changes_active_customers(app_test, tiny, window, active):
    # As of 2025-03-01: C1 ordered on Feb 10, C2 on Jan 20 (+ a return), C3 on Mar 1.
    at = app_test().run()

    at.sidebar.number_input(key="window_days").set_value(window).run()

    assert metric(at, "Active customers") == active


def test_picking_another_dataset_resets_the_as_of_date(app_test, workspace, tiny, tmp_path):
    other = tmp_path / "later.csv"
    other.write_text("customer_id,date,amount\nZ1,2025-06-30,5\n", encoding="utf-8")
    later = load_file(workspace, other, dataset="Later")
    at = app_test().run()
    at.sidebar.selectbox(key="active_dataset_id").set_value(tiny.dataset_id).run()
    at.sidebar.date_input(key="as_of").set_value(dt.date(2025, 2, 1)).run()

    at.sidebar.selectbox(key="active_dataset_id").set_value(later.dataset_id).run()

    assert at.sidebar.date_input(key="as_of").value == dt.date(2025, 6, 30)
    assert metric(at, "Customers") == "1"


def test_filters_survive_a_page_switch(app_test, tiny):
    at = app_test().run()
    at.sidebar.date_input(key="as_of").set_value(dt.date(2025, 1, 31))
    at.sidebar.number_input(key="window_days").set_value(30).run()

    at.switch_page("views/data.py").run()
    at.switch_page("views/home.py").run()

    assert at.sidebar.date_input(key="as_of").value == dt.date(2025, 1, 31)
    assert at.sidebar.number_input(key="window_days").value == 30
    assert metric(at, "Customers") == "2"


def test_home_links_onward_to_every_page(app_test, tiny):
    at = app_test().run()

    # the "Next" links close the page (the audience cards above link to Audiences as well)
    assert [link.proto.page for link in at.page_link][-8:] == [
        "ladder", "ltv", "abc_xyz", "portraits", "churn", "loyalty", "audiences", "data"]
