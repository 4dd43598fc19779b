"""A precomputed table handed to a metric is checked against the call (retention.provenance):
the same metric, dataset, dates and settings give the same numbers as computing it afresh, and
anything else raises ValueError instead of showing another table's numbers."""

from __future__ import annotations

import datetime as dt
import pickle

import pandas as pd
import pytest

from retention import provenance
from retention.ingest import load_file
from retention.metrics.cohorts import cohort_matrix
from retention.metrics.customer_features import customer_features
from retention.metrics.ladder import (
    LadderThresholds,
    comeback_by_cohort,
    customer_steps,
    ladder_counts,
    ladder_transitions,
    migration_matrix,
    second_order_gaps,
    second_order_timing,
)
from retention.metrics.ltv import ltv_at, ltv_today, ltv_trend, value_curves
from retention.metrics.retention_rate import crr_by_month, crr_by_period
from retention.models.portraits import PortraitModel, describe_portraits
from tests.ingest_helpers import fresh_workspace, write

D = dt.date(2025, 6, 30)
EARLIER = dt.date(2025, 5, 31)
W = 30

ROWS = """customer,date,amount
a,2025-01-05,100
a,2025-02-07,80
a,2025-04-11,60
b,2025-01-20,40
b,2025-06-02,90
c,2025-03-03,30
d,2025-05-15,70
d,2025-05-28,20
e,2025-06-10,55
"""


@pytest.fixture
def two_datasets(tmp_path):
    ws = fresh_workspace(tmp_path)
    first = load_file(ws, write(tmp_path, "first.csv", ROWS), dataset="first").dataset_id
    # one more customer: the same file would be recognised and not loaded twice
    second = load_file(ws, write(tmp_path, "second.csv", ROWS + "f,2025-06-20,10\n"),
                       dataset="second").dataset_id
    assert first != second
    return ws.cursor(), first, second


def test_a_matching_table_gives_the_numbers_computed_afresh(two_datasets):
    con, ds, _ = two_datasets
    monthly = crr_by_period(con, ds, as_of=D, window_days=W, period="month")
    assert ltv_today(con, ds, as_of=D, window_days=W, monthly=monthly).equals(
        ltv_today(con, ds, as_of=D, window_days=W))
    assert ltv_trend(con, ds, as_of=D, window_days=W, monthly=monthly).equals(
        ltv_trend(con, ds, as_of=D, window_days=W))
    assert crr_by_month(con, ds, as_of=D, window_days=W, monthly=monthly) == crr_by_month(
        con, ds, as_of=D, window_days=W)
    cohorts = cohort_matrix(con, ds, as_of=D)
    assert value_curves(con, ds, as_of=D, margin=0.3, cohorts=cohorts).equals(
        value_curves(con, ds, as_of=D, margin=0.3))


@pytest.mark.parametrize("call, differ", [
    (lambda con, ds, other, monthly: ltv_today(con, other, as_of=D, window_days=W,
                                               monthly=monthly), "dataset_id"),
    (lambda con, ds, other, monthly: ltv_trend(con, ds, as_of=EARLIER, window_days=W,
                                               monthly=monthly), "as_of"),
    (lambda con, ds, other, monthly: ltv_at(con, ds, as_of=D, window_days=W + 1,
                                            anchors=[D], monthly=monthly), "window_days"),
    (lambda con, ds, other, monthly: crr_by_month(con, ds, as_of=D, window_days=W + 1,
                                                  monthly=monthly), "window_days"),
])
def test_a_monthly_crr_table_for_another_call_is_refused(two_datasets, call, differ):
    con, ds, other = two_datasets
    monthly = crr_by_period(con, ds, as_of=D, window_days=W, period="month")
    with pytest.raises(ValueError, match=rf"asks for .*\({differ} differ\)"):
        call(con, ds, other, monthly)


def test_a_quarterly_table_is_not_a_monthly_one(two_datasets):
    con, ds, _ = two_datasets
    quarterly = crr_by_period(con, ds, as_of=D, window_days=W, period="quarter")
    with pytest.raises(ValueError, match=r"\(period differ\)"):
        ltv_today(con, ds, as_of=D, window_days=W, monthly=quarterly)


def test_cohorts_for_another_dataset_or_day_are_refused(two_datasets):
    con, ds, other = two_datasets
    cohorts = cohort_matrix(con, ds, as_of=D)
    with pytest.raises(ValueError, match=r"\(dataset_id differ\)"):
        value_curves(con, other, as_of=D, margin=0.3, cohorts=cohorts)
    with pytest.raises(ValueError, match=r"\(as_of differ\)"):
        value_curves(con, ds, as_of=EARLIER, margin=0.3, cohorts=cohorts)
    with pytest.raises(ValueError, match=r"\(max_cohorts differ\)"):
        value_curves(con, ds, as_of=D, margin=0.3,
                     cohorts=cohort_matrix(con, ds, as_of=D, max_cohorts=2))


def test_gap_histograms_for_another_dataset_or_day_are_refused(two_datasets):
    con, ds, other = two_datasets
    gaps = second_order_gaps(con, ds, as_of=D)
    with pytest.raises(ValueError, match=r"second_order_timing .*\(dataset_id differ\)"):
        second_order_timing(con, other, as_of=D, gaps=gaps)
    with pytest.raises(ValueError, match=r"comeback_by_cohort .*\(as_of differ\)"):
        comeback_by_cohort(con, ds, as_of=EARLIER, gaps=gaps)


def test_transitions_for_another_dataset_are_refused(two_datasets):
    con, ds, other = two_datasets
    transitions = ladder_transitions(con, ds, start=EARLIER, end=D)
    with pytest.raises(ValueError, match=r"\(dataset_id differ\)"):
        ladder_counts(con, other, as_of=D, transitions=transitions)
    with pytest.raises(ValueError, match=r"\(dataset_id differ\)"):
        migration_matrix(con, other, start=EARLIER, end=D, transitions=transitions)


def test_a_table_of_another_metric_or_without_a_stamp_is_refused(two_datasets):
    con, ds, _ = two_datasets
    cohorts = cohort_matrix(con, ds, as_of=D)
    with pytest.raises(ValueError, match="monthly table given to ltv_at does not say"):
        ltv_today(con, ds, as_of=D, window_days=W, monthly=cohorts)
    monthly = crr_by_period(con, ds, as_of=D, window_days=W, period="month")
    with pytest.raises(ValueError, match="computed for by crr_by_period"):
        crr_by_month(con, ds, as_of=D, window_days=W, monthly=pd.DataFrame(monthly.to_dict()))


def test_portrait_steps_must_be_the_features_dataset_and_day(two_datasets):
    con, ds, other = two_datasets
    frame = customer_features(con, ds, as_of=D)
    model = PortraitModel(n_clusters=2).fit(frame)
    same = describe_portraits(frame, model, steps=customer_steps(con, ds, as_of=D), as_of=D)
    stricter = LadderThresholds(repeat_orders=3)  # any ladder settings will do
    describe_portraits(frame, model, steps=customer_steps(con, ds, as_of=D, thresholds=stricter),
                       as_of=D)
    assert same.summary["repeat_clients"].sum() == 3  # a, b and d
    with pytest.raises(ValueError, match=r"steps table .*\(dataset_id differ\)"):
        describe_portraits(frame, model, steps=customer_steps(con, other, as_of=D), as_of=D)
    with pytest.raises(ValueError, match=r"steps table .*\(as_of differ\)"):
        describe_portraits(frame, model, steps=customer_steps(con, ds, as_of=EARLIER),
                           as_of=D)
    with pytest.raises(ValueError, match=r"frame table .*\(as_of differ\)"):
        describe_portraits(frame, model, steps=customer_steps(con, ds, as_of=EARLIER),
                           as_of=EARLIER)
    with pytest.raises(ValueError, match=r"\(customer_ids differ\)"):
        describe_portraits(frame, model, as_of=D, steps=customer_steps(
            con, ds, as_of=D, customer_ids=["a"]))


def test_the_stamp_survives_the_ui_cache(two_datasets):
    # st.cache_data hands out unpickled copies: the stamp must travel with them
    con, ds, _ = two_datasets
    monthly = pickle.loads(pickle.dumps(
        crr_by_period(con, ds, as_of=D, window_days=W, period="month")))
    assert monthly.attrs[provenance.ATTRS_KEY] == {
        "metric": "crr_by_period", "dataset_id": ds, "as_of": D, "window_days": W,
        "period": "month", "max_periods": 120}
    assert ltv_today(con, ds, as_of=D, window_days=W, monthly=monthly).equals(
        ltv_today(con, ds, as_of=D, window_days=W))
