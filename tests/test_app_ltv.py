"""The Retention & LTV page: renders on the sample and on an empty workspace, shows the
hand-checked numbers of tests/test_ltv.py, and its widgets change what it shows."""

from __future__ import annotations

import base64
import datetime as dt
import json

import numpy as np
import pytest

from retention.ingest import load_file
from retention.ui.ltv_page import PERIOD_KEY, SECTION_KEY
from tests.test_ltv import csv

PAGE = "views/ltv.py"
SECTIONS = ("Retention rate", "Cohorts", "Lifetime value", "LTV by segment")


def open_section(at, section: str):
    at.session_state[SECTION_KEY] = section
    return at.run()


def open_hand_checked(at, as_of: dt.date = dt.date(2025, 12, 31)):
    """The page with test_ltv's W = 31 and D (the data's last order is Dec 15)."""
    at.run()
    at.sidebar.number_input(key="window_days").set_value(31)
    at.sidebar.date_input(key="as_of").set_value(as_of).run()
    return at.switch_page(PAGE).run()


def metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def figures(at) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def numbers(values) -> list:
    """A trace's x or y as a list: plotly sends numeric arrays as base64 typed arrays."""
    if isinstance(values, dict) and "bdata" in values:
        return np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"]).tolist()
    return list(values)


def titles(at) -> list[str]:
    return [figure["layout"]["title"]["text"] for figure in figures(at)]


@pytest.fixture
def hand_checked(workspace, no_sample, tmp_path):
    """The 20-row table of tests/test_ltv.py (no cost column), in US dollars, W = 31."""
    path = tmp_path / "plain.csv"
    path.write_text(csv(False), encoding="utf-8")
    return load_file(workspace, path, dataset="Hand", currency="USD")


def test_every_section_renders_on_the_sample(app_test, workspace, with_sample):
    at = app_test().run()
    at.switch_page(PAGE).run()
    assert not at.exception
    assert [tab.label for tab in at.tabs] == list(SECTIONS)
    for section, expected in zip(SECTIONS, (
        ["Customer retention rate", "The customers behind the rate"],
        ["Share of each cohort buying, by month since the first order"],
        ["How LTV and its four levers moved (each point: the year up to that month-end)",
         "Realised net revenue per customer, by acquisition quarter"],
        ["LTV by segment"],
    ), strict=True):
        open_section(at, section)
        assert not at.exception, section
        assert titles(at) == expected, section
        assert at.get("download_button"), f"{section} offers no download"
    values = metrics(open_section(at, "Lifetime value"))
    assert values["LTV = S × C × P × T"].startswith("$")
    assert all(m.proto.help for m in at.metric), "every number carries its explanation"


def test_an_empty_workspace_explains_what_the_page_will_show(app_test, workspace, no_sample):
    at = app_test().run()
    at.switch_page(PAGE).run()
    assert not at.exception
    assert "no data yet" in at.info[0].value
    assert not at.tabs and not at.metric


def test_the_page_shows_the_hand_checked_ltv(app_test, hand_checked):
    at = open_hand_checked(app_test())
    values = metrics(open_section(at, "Lifetime value"))
    assert not at.exception
    # S = 85, C = 16/15, P = 30% (no cost column), T = 72/13 months -> LTV = 150.646…
    assert values["S · average check"] == "$85.00"
    assert values["C · orders per month"] == "1.067"
    assert values["P · margin"] == "30.0%"
    assert values["T · lifetime in months"] == "5.5"
    assert values["LTV = S × C × P × T"] == "$150.65"


def test_the_margin_setting_changes_ltv_and_is_remembered(app_test, workspace, hand_checked):
    at = open_hand_checked(app_test())
    open_section(at, "Lifetime value")
    margin_input = at.number_input(key=f"ltv_margin_{hand_checked.dataset_id}")
    assert margin_input.value == 30.0

    margin_input.set_value(25.0).run()

    assert metrics(at)["LTV = S × C × P × T"] == "$125.54"  # 150.646 × 25/30
    assert workspace.settings(hand_checked.dataset_id, "ltv") == {"margin": 0.25}
    fresh = open_hand_checked(app_test())
    open_section(fresh, "Lifetime value")
    assert fresh.number_input(key=f"ltv_margin_{hand_checked.dataset_id}").value == 25.0
    assert metrics(fresh)["LTV = S × C × P × T"] == "$125.54"


def test_the_what_if_gives_the_new_ltv(app_test, hand_checked):
    at = open_hand_checked(app_test())
    open_section(at, "Lifetime value")
    assert metrics(at)["LTV after the change"] == "$165.71"  # +10% average check

    at.number_input(key="ltv_what_if_change").set_value(50.0).run()
    assert metrics(at)["LTV after the change"] == "$225.97"  # 150.646 × 1.5


def test_switching_to_quarters_changes_the_periods(app_test, hand_checked):
    at = open_hand_checked(app_test(), dt.date(2025, 11, 15))
    assert "CRR, 2025-10" in metrics(at)
    running = [t for t in figures(at)[0]["data"] if "in progress" in t["name"]]
    assert running and running[0]["x"][-1] == "2025-11"  # November is drawn apart

    at.button_group(key=PERIOD_KEY).set_value("quarter").run()

    assert not at.exception
    assert "CRR, 2025-Q3" in metrics(at)
    assert figures(at)[0]["data"][0]["x"] == ["2024-Q4", "2025-Q1", "2025-Q2", "2025-Q3"]


def test_the_cohort_toggle_switches_to_revenue(app_test, hand_checked):
    at = app_test().run()
    at.switch_page(PAGE).run()
    open_section(at, "Cohorts")
    assert titles(at) == ["Share of each cohort buying, by month since the first order"]

    at.button_group(key="ltv_cohort_measure").set_value("revenue_per_customer").run()

    assert titles(at) == ["Net revenue per cohort customer, by month since the first order"]


def test_segments_by_ladder_step(app_test, hand_checked):
    at = open_hand_checked(app_test())
    open_section(at, "LTV by segment")
    assert not at.exception
    bars = figures(at)[0]["data"][0]
    assert bars["y"] == ["One-time buyer", "Repeat client", "Loyal"]
    assert numbers(bars["x"]) == pytest.approx([12, 18, 3600])  # the hand-checked step LTVs
    assert "Not available for this data: channel, city, category" in " ".join(
        c.value for c in at.caption)


def test_unknown_factors_say_unknown_and_why(app_test, workspace, no_sample, tmp_path):
    # Two orders in one unfinished month: no month-end has active customers (C unknown) and
    # no complete month has a retention (T unknown), so LTV is unknown — never 0
    path = tmp_path / "young.csv"
    path.write_text("customer,date,amount\nX,2025-03-05,10\nY,2025-03-06,20\n", encoding="utf-8")
    load_file(workspace, path, dataset="Young", currency="EUR")
    at = app_test().run()
    at.switch_page(PAGE).run()
    values = metrics(open_section(at, "Lifetime value"))
    assert not at.exception
    assert values["S · average check"] == "€15.00"
    assert values["C · orders per month"] == "Unknown"
    assert values["T · lifetime in months"] == "Unknown"
    assert values["LTV = S × C × P × T"] == "Unknown"
    captions = " ".join(c.value for c in at.caption)
    assert "No month\\-end in the year has active customers yet" in captions
    assert "Load a longer purchase history" in captions
    open_section(at, "Retention rate")
    assert "No complete month has customers active at its start yet" in at.info[-1].value


def test_the_value_curves_toggle_multiplies_by_the_margin(app_test, hand_checked):
    at = open_hand_checked(app_test())
    open_section(at, "Lifetime value")
    before = figures(at)[1]
    assert before["layout"]["title"]["text"] == (
        "Realised net revenue per customer, by acquisition quarter")

    at.toggle(key="ltv_curves_with_margin").set_value(True).run()

    after = figures(at)[1]
    assert after["layout"]["title"]["text"] == (
        "Realised margin per customer, by acquisition quarter")
    first = numbers(before["data"][0]["y"])
    assert numbers(after["data"][0]["y"]) == pytest.approx([v * 0.3 for v in first])
    # 2024-Q4 = C (999) and E (500), both acquired in December: 749.50 each in month 0
    assert before["data"][0]["name"] == "2024-Q4" and first[0] == pytest.approx(749.5)
