"""The churn-risk page: renders on real and sample data, matches the domain, reacts to its
widgets, remembers its settings, and explains when there is nothing to fit."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from retention.formatting import format_count
from retention.ingest import load_file
from retention.models import customer_scores, fit_churn_model, risk_group_counts

CDNOW = Path(__file__).resolve().parent / "data" / "CDNOW_sample.txt"
PAGE = "views/churn.py"


def metric(at, label: str) -> str:
    values = [m.value for m in at.metric if m.label == label]
    assert values, f"no metric {label!r}; the page has {[m.label for m in at.metric]}"
    return values[0]


@pytest.fixture
def cdnow(workspace, no_sample):
    return load_file(workspace, CDNOW, dataset="cdnow", currency="USD",
                     mapping={"customer_id": "column2", "date": "column3", "amount": "column5"})


def churn_page(app_test):
    at = app_test().run()
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    return at


def test_cdnow_page_matches_the_domain(app_test, workspace, cdnow):
    at = churn_page(app_test)

    # the page fits on everything up to the last purchase, 1998-06-30
    model = fit_churn_model(workspace.cursor(), cdnow.dataset_id,
                            calibration_end=dt.date(1998, 6, 30))
    counts = risk_group_counts(customer_scores(model)).set_index("risk_group")
    assert metric(at, "Customers modelled") == "2,357"
    assert metric(at, "Valuable and slipping") == format_count(
        counts.loc["valuable_slipping", "customers"])
    assert metric(at, "Predicted value, next 12 months").startswith("$")
    assert all(m.proto.help for m in at.metric), "every number carries a plain explanation"
    # one-time buyers dominate CDNOW: 1,218 of 2,357 (52%) never came back by mid-1998
    assert any("52% of your customers have bought only once" in w.value for w in at.warning)
    assert len(at.get("plotly_chart")) >= 4  # groups, heatmap, two distributions
    group_table = at.dataframe[0].value
    assert group_table["customers"].sum() == 2357


def test_sample_shop_renders(app_test, workspace, with_sample):
    at = churn_page(app_test)

    assert metric(at, "Customers modelled") == "3,000"
    assert not at.error


def test_empty_workspace_shows_the_empty_state(app_test, workspace, no_sample):
    at = churn_page(app_test)

    assert any("There is no data yet" in info.value for info in at.info)
    assert not at.metric


def test_a_longer_horizon_raises_predicted_value(app_test, cdnow):
    at = churn_page(app_test)
    twelve = metric(at, "Predicted value, next 12 months")

    at.selectbox(key="churn_horizon_months").set_value(36).run()

    thirty_six = metric(at, "Predicted value, next 36 months")
    assert float(thirty_six.strip("$").replace(",", "")) > float(
        twelve.strip("$").replace(",", ""))


def test_the_group_picker_changes_the_customer_table(app_test, cdnow):
    at = churn_page(app_test)
    at.selectbox(key="churn_group").set_value("one_time").run()
    one_time = at.dataframe[1].value

    at.selectbox(key="churn_group").set_value("valuable_active").run()

    active = at.dataframe[1].value
    assert set(one_time["customer_id"]).isdisjoint(active["customer_id"])
    assert (one_time["repeat_purchases"] == 0).all()


def test_backtest_on_request(app_test, cdnow):
    at = churn_page(app_test)
    assert "Correlation" not in [m.label for m in at.metric]

    at.toggle(key="churn_backtest").set_value(True).run()

    assert not at.exception
    assert int(metric(at, "Actual repeat purchases").replace(",", "")) > 0
    assert float(metric(at, "Correlation")) > 0
    assert len(at.get("plotly_chart")) >= 6  # + tracking and by-frequency


def test_settings_are_remembered_per_dataset(app_test, workspace, cdnow):
    at = churn_page(app_test)
    assert at.number_input(key="churn_margin_percent").value == 30.0  # no cost column

    at.number_input(key="churn_margin_percent").set_value(50.0).run()

    assert workspace.settings(cdnow.dataset_id, "churn")["margin_percent"] == 50.0
    again = churn_page(app_test)
    assert again.number_input(key="churn_margin_percent").value == 50.0


def test_nothing_to_fit_is_explained(app_test, workspace, no_sample, tmp_path):
    once = tmp_path / "once.csv"
    once.write_text("customer,date,amount\nA,2025-01-01,5\nB,2025-01-02,7\nC,2025-01-09,3\n",
                    encoding="utf-8")
    load_file(workspace, once, dataset="once")

    at = churn_page(app_test)

    assert any("Nobody bought a second time" in e.value for e in at.error)
    assert not at.metric
