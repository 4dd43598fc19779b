"""BG/NBD and Gamma-Gamma: the per-customer summary checked on paper, the published CDNOW
results of Fader, Hardie & Lee reproduced through the normal ingest path, and the model's
contracts (gradients, weights, plain errors, risk groups, value)."""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from retention.ingest import load_file
from retention.metrics.btyd_summary import (
    btyd_summary,
    daily_repeat_purchases,
    holdout_purchases,
)
from retention.models import (
    DAYS_PER_MONTH,
    BetaGeoModel,
    ChurnModel,
    GammaGammaModel,
    ModelFitError,
    NotFittedError,
    ValueSettings,
    alive_heatmap,
    customer_scores,
    default_margin,
    default_split,
    fit_churn_model,
    risk_group,
    risk_group_counts,
    run_backtest,
)
from retention.models.bgnbd import _Collapsed
from retention.models.gamma_gamma import _SpendData
from retention.store import close_workspace, open_workspace
from tests.ingest_helpers import fresh_workspace, write

ROOT = Path(__file__).resolve().parents[1]
CDNOW = ROOT / "tests" / "data" / "CDNOW_sample.txt"
CALIBRATION_END = dt.date(1997, 9, 30)
HOLDOUT_END = dt.date(1998, 6, 30)
# Fader, Hardie & Lee (2005) and Fader & Hardie's note 025 (see shared/data/cdnow/README.md).
PUBLISHED_BGNBD = {"r": 0.242593, "alpha": 4.413532, "a": 0.792886, "b": 2.425752}
PUBLISHED_LOGLIK = -9582.43
PUBLISHED_GAMMA_GAMMA = {"p": 6.25, "q": 3.74, "v": 15.44}


# -- the summary, on a table checked by hand ----------------------------------------------------

# Calibration end 2025-01-31.
# C1: purchase days Jan 1 (two orders, 09:00 and 17:00: one purchase day, 30.00), Jan 8
#     (40.00), Jan 15 (50.00 with a 20.00 return the same day: net 30.00), Jan 31 at 23:30
#     (5.00, on the calibration end: counted); Feb 1 (70.00) is after it and ignored.
#     x = 4 days − 1 = 3; t_x = Jan 31 − Jan 1 = 30; T = 30; m = (40 + 30 + 5) / 3 = 25;
#     net revenue = 30 + 40 + 30 + 5 = 105.
# C2: one purchase, Jan 20: x = 0, t_x = 0, T = 11, m = NULL, net 15.
# C3: Jan 5 (25.00), Jan 10 (10.00 with a 30.00 return: net −20, still a purchase day),
#     a 5.00 return on Jan 12 with no order that day (not a purchase day, not in m).
#     x = 1, t_x = 5, T = 26, m = −20, one non-positive day, net = 25 − 20 − 5 = 0.
# C4: first purchase Feb 3, after the calibration end: not in the summary.
SUMMARY_ROWS = (
    "customer,date,amount\n"
    "C1,2025-01-01 09:00,10.00\n"
    "C1,2025-01-01 17:00,20.00\n"
    "C1,2025-01-08,40.00\n"
    "C1,2025-01-15,50.00\n"
    "C1,2025-01-15,-20.00\n"
    "C1,2025-01-31 23:30,5.00\n"
    "C1,2025-02-01 00:00,70.00\n"
    "C2,2025-01-20,15.00\n"
    "C3,2025-01-05,25.00\n"
    "C3,2025-01-10,10.00\n"
    "C3,2025-01-10,-30.00\n"
    "C3,2025-01-12,-5.00\n"
    "C4,2025-02-03,99.00\n"
)
SMALL_END = dt.date(2025, 1, 31)


@pytest.fixture
def small(tmp_path):
    ws = fresh_workspace(tmp_path)
    report = load_file(ws, write(tmp_path, "small.csv", SUMMARY_ROWS), dataset="small")
    yield ws, report.dataset_id
    close_workspace(ws.path)


def test_summary_counts_purchase_days_and_nets_returns_into_their_day(small):
    ws, ds = small

    summary = btyd_summary(ws.cursor(), ds, calibration_end=SMALL_END)

    rows = summary.set_index("customer_id")
    assert list(rows.index) == ["C1", "C2", "C3"]
    assert rows.loc["C1", ["x", "t_x_days", "T_days"]].tolist() == [3, 30, 30]
    assert rows.loc["C1", "m"] == pytest.approx(25.0)
    assert rows.loc["C1", "net_revenue"] == pytest.approx(105.0)
    assert rows.loc["C2", ["x", "t_x_days", "T_days"]].tolist() == [0, 0, 11]
    assert pd.isna(rows.loc["C2", "m"])
    assert rows.loc["C3", ["x", "t_x_days", "T_days", "nonpositive_days"]].tolist() == [
        1, 5, 26, 1]
    assert rows.loc["C3", "m"] == pytest.approx(-20.0)
    assert rows.loc["C3", "net_revenue"] == pytest.approx(0.0)
    assert rows.loc["C1", "first_purchase"] == pd.Timestamp("2025-01-01")
    assert rows.loc["C1", "last_purchase"] == pd.Timestamp("2025-01-31")


def test_summary_a_day_earlier_drops_the_last_day(small):
    ws, ds = small

    rows = btyd_summary(ws.cursor(), ds, calibration_end=dt.date(2025, 1, 30)).set_index(
        "customer_id")

    # C1 without Jan 31: x = 2, t_x = 14 (Jan 15), T = 29, m = (40 + 30) / 2 = 35
    assert rows.loc["C1", ["x", "t_x_days", "T_days"]].tolist() == [2, 14, 29]
    assert rows.loc["C1", "m"] == pytest.approx(35.0)


def test_holdout_counts_purchase_days_of_calibration_customers_only(small):
    ws, ds = small

    holdout = holdout_purchases(ws.cursor(), ds, calibration_end=SMALL_END,
                                holdout_end=dt.date(2025, 2, 28)).set_index("customer_id")

    # C1 bought on Feb 1; C4 started in the holdout, so it is no calibration customer
    assert holdout["holdout_purchases"].to_dict() == {"C1": 1, "C2": 0, "C3": 0}
    assert holdout.loc["C1", "holdout_revenue"] == pytest.approx(70.0)


def test_daily_repeat_purchases_split_first_and_repeat_days(small):
    ws, ds = small

    daily = daily_repeat_purchases(ws.cursor(), ds, calibration_end=SMALL_END,
                                   holdout_end=dt.date(2025, 2, 28))

    days = {row.day.date().isoformat(): (row.new_customers, row.repeat_purchases)
            for row in daily.itertuples()}
    assert days == {
        "2025-01-01": (1, 0), "2025-01-05": (1, 0), "2025-01-08": (0, 1),
        "2025-01-10": (0, 1), "2025-01-15": (0, 1), "2025-01-20": (1, 0),
        "2025-01-31": (0, 1), "2025-02-01": (0, 1),  # C4's Feb 3 start is not counted
    }


def test_default_margin_from_cost_or_thirty_percent(tmp_path):
    ws = fresh_workspace(tmp_path)
    # lines with cost: revenue 100 + 50 = 150, cost 60 + 30 = 90 → margin 1 − 90/150 = 40%
    with_cost = load_file(ws, write(tmp_path, "cost.csv",
                                    "customer,date,amount,cost\nA,2025-01-01,100,60\n"
                                    "B,2025-01-02,50,30\nB,2025-01-03,-10,\n"), dataset="cost")
    plain = load_file(ws, write(tmp_path, "plain.csv", SUMMARY_ROWS), dataset="plain")
    con = ws.cursor()

    assert default_margin(con, with_cost.dataset_id, as_of=SMALL_END) == (
        pytest.approx(0.4), "cost")
    assert default_margin(con, plain.dataset_id, as_of=SMALL_END) == (0.30, "default")
    close_workspace(ws.path)


# -- the published CDNOW results ----------------------------------------------------------------


@pytest.fixture(scope="module")
def cdnow(tmp_path_factory):
    """The raw CDNOW sample loaded through the normal ingest path."""
    path = tmp_path_factory.mktemp("cdnow") / "ws.duckdb"
    ws = open_workspace(path)
    report = load_file(ws, CDNOW, dataset="cdnow",
                       mapping={"customer_id": "column2", "date": "column3",
                                "amount": "column5"})
    yield ws, report.dataset_id
    close_workspace(path)


@pytest.fixture(scope="module")
def cdnow_model(cdnow):
    ws, ds = cdnow
    return fit_churn_model(ws.cursor(), ds, calibration_end=CALIBRATION_END)


def test_params_match_published_cdnow_estimates(cdnow_model):
    bg, gg = cdnow_model.bgnbd, cdnow_model.gamma_gamma

    assert len(cdnow_model.summary) == 2357
    for name, published in PUBLISHED_BGNBD.items():
        assert getattr(bg, f"{name}_") == pytest.approx(published, rel=0.005), name
    assert abs(bg.loglik_ - PUBLISHED_LOGLIK) <= 0.1
    assert gg is not None
    assert gg.customers_ == 946  # the published repeat buyers
    for name, published in PUBLISHED_GAMMA_GAMMA.items():
        assert getattr(gg, f"{name}_") == pytest.approx(published, rel=0.01), name
    assert gg.loglik_ == pytest.approx(-4055.92, abs=0.1)


def test_summary_matches_the_papers_customer_one(cdnow_model):
    # Customer 1 of the paper: x = 2, t_x = 30.43 weeks, T = 38.86 weeks, m = 22.35
    first = cdnow_model.summary.set_index("customer_id").loc["0001"]
    assert first["x"] == 2
    assert first["t_x_days"] / 7 == pytest.approx(30.43, abs=0.005)
    assert first["T_days"] / 7 == pytest.approx(38.86, abs=0.005)
    assert first["m"] == pytest.approx((29.73 + 14.96) / 2)  # 22.345, published as 22.35


def published_model() -> BetaGeoModel:
    return BetaGeoModel().set_params(**PUBLISHED_BGNBD)


def test_conditional_expectation_at_published_parameters():
    model = published_model()

    expected = model.expected_purchases(39, 2, 30.43, 38.86)
    alive = model.probability_alive(2, 30.43, 38.86)

    assert float(expected) == pytest.approx(1.226, abs=5e-4)
    assert float(alive) == pytest.approx(0.7266, abs=5e-5)


@pytest.mark.parametrize("params", [
    PUBLISHED_BGNBD,
    {"r": 1e-8, "alpha": 1e-8, "a": 1e8, "b": 1e-8},
    {"r": 1e4, "alpha": 1e-6, "a": 1e-8, "b": 1e8},
])
def test_probability_alive_of_extreme_histories_raises_no_floating_point_error(params):
    # 400 purchases, the last 519 weeks ago, gives odds of dying near e^750: e^odds overflows.
    model = BetaGeoModel().set_params(**params)
    x = np.array([400, 0, 1, 10_000, 1, 2])
    t_x = np.array([1.0, 0.0, 0.0, 0.001, 5200.0, 30.43])
    T = np.array([520.0, 520.0, 520.0, 5200.0, 5200.0, 38.86])

    with np.errstate(all="raise"):
        alive = model.probability_alive(x, t_x, T)

    assert np.all((alive >= 0.0) & (alive <= 1.0))
    assert alive[1] == 1.0  # x = 0: nobody drops out before a repeat purchase
    if params is PUBLISHED_BGNBD:
        assert alive[0] == pytest.approx(0.0, abs=1e-300)


def test_probability_alive_equals_the_papers_formula_on_ordinary_histories():
    # Fader, Hardie & Lee (2008): P(alive) = 1 / (1 + a / (b + x − 1) · ((α + T)/(α + t_x))^(r + x))
    model = published_model()
    r, alpha, a, b = (PUBLISHED_BGNBD[k] for k in ("r", "alpha", "a", "b"))
    rows = [(1, 5.0, 10.0), (2, 30.43, 38.86), (7, 20.0, 52.0), (25, 70.0, 78.0)]

    alive = model.probability_alive(*(np.array(col) for col in zip(*rows, strict=True)))

    for value, (x, t_x, T) in zip(alive, rows, strict=True):
        by_hand = 1.0 / (1.0 + a / (b + x - 1) * ((alpha + T) / (alpha + t_x)) ** (r + x))
        assert float(value) == pytest.approx(by_hand, rel=1e-12)


def test_probability_of_no_purchase_for_a_new_customer():
    # 0.5737864 is R BTYD's documented example, at its rounded parameters; at full precision
    # (α/(α+39))^r = (4.413532/43.413532)^0.242593 = 0.574307.
    rounded = BetaGeoModel().set_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
    assert float(rounded.probability_of_purchases(39, 0)) == pytest.approx(0.5737864, abs=1e-7)
    assert float(published_model().probability_of_purchases(39, 0)) == pytest.approx(
        0.574307, abs=1e-6)
    # the same documentation: ten repeat purchases within two weeks
    assert float(rounded.probability_of_purchases(2, 10)) == pytest.approx(1.07869e-07,
                                                                          rel=1e-4)


def test_purchase_distribution_sums_to_one_and_to_the_expectation():
    model = published_model()
    probabilities = np.array([float(model.probability_of_purchases(39, n))
                              for n in range(200)])

    assert probabilities.sum() == pytest.approx(1.0, abs=1e-6)
    assert (np.arange(200) * probabilities).sum() == pytest.approx(
        float(model.expected_purchases_new_customer(39)), rel=1e-5)


def test_holdout_backtest_reproduces_published_correlation(cdnow):
    ws, ds = cdnow

    result = run_backtest(ws.cursor(), ds, calibration_end=CALIBRATION_END,
                          holdout_end=HOLDOUT_END)

    customers = result.customers
    assert result.holdout_days == 273  # 39 weeks
    assert result.actual_total == 1882
    assert int(customers.loc[customers["x"] == 0, "actual"].sum()) == 334
    assert result.correlation == pytest.approx(0.626, abs=0.002)
    assert result.mae == pytest.approx(
        float(np.mean(np.abs(customers["predicted"] - customers["actual"]))))
    by_x = result.by_x.set_index("x_group")
    assert by_x.loc["0", "customers"] == 1411
    assert by_x["customers"].sum() == 2357


def test_tracking_chart_adds_up(cdnow, cdnow_model):
    ws, ds = cdnow
    result = run_backtest(ws.cursor(), ds, calibration_end=CALIBRATION_END,
                          holdout_end=HOLDOUT_END)
    tracking = result.tracking.set_index("day")
    summary = cdnow_model.summary

    # actual: every repeat purchase day of the calibration customers, through the holdout
    assert tracking["actual_cumulative"].iloc[-1] == summary["x"].sum() + 1882
    assert tracking.index[-1] == HOLDOUT_END
    # predicted at the calibration end = Σ over customers of E[X(T)] (the convolution)
    direct = cdnow_model.bgnbd.expected_purchases_new_customer(summary["T_days"] / 7).sum()
    assert direct > 1000
    assert tracking.loc[CALIBRATION_END, "predicted_cumulative"] == pytest.approx(direct)
    assert set(tracking["period"]) == {"calibration", "holdout"}


def test_fit_command_prints_the_contract_json(tmp_path):
    db = str(tmp_path / "w.duckdb")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("RETENTION_DB", None)

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "retention", *args], capture_output=True,
                              text=True, cwd=ROOT, env=env, timeout=300)

    run("ingest", str(CDNOW), "--db", db, "--dataset", "cdnow", "--map",
        "customer_id=column2", "--map", "date=column3", "--map", "amount=column5")
    result = run("fit", "--dataset", "cdnow", "--db", db, "--calibration-end", "1997-09-30")

    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert set(payload["bgnbd"]) >= {"r", "alpha", "a", "b", "loglik"}
    assert set(payload["gamma_gamma"]) >= {"p", "q", "v"}
    assert payload["customers"] == 2357
    assert payload["bgnbd"]["r"] == pytest.approx(PUBLISHED_BGNBD["r"], rel=0.005)
    assert payload["gamma_gamma"]["p"] == pytest.approx(6.25, rel=0.01)
    too_early = run("fit", "--dataset", "cdnow", "--db", db, "--calibration-end", "1996-12-31")
    assert too_early.returncode == 1
    assert "no purchases on or before 1996-12-31" in too_early.stderr


# -- the models' contracts ----------------------------------------------------------------------


def numeric_gradient(objective, point: np.ndarray, step: float = 1e-6) -> np.ndarray:
    grad = np.zeros_like(point)
    for i in range(len(point)):
        up, down = point.copy(), point.copy()
        up[i] += step
        down[i] -= step
        grad[i] = (objective(up)[0] - objective(down)[0]) / (2 * step)
    return grad


@pytest.mark.parametrize("point", [[0.24, 4.4, 0.79, 2.4], [1.5, 0.3, 3.0, 0.7]])
def test_bgnbd_gradient_matches_finite_differences(cdnow_model, point):
    summary = cdnow_model.summary
    data = _Collapsed(summary["x"].to_numpy(float), summary["t_x_days"].to_numpy() / 7,
                      summary["T_days"].to_numpy() / 7, np.ones(len(summary)))
    log_point = np.log(point)

    assert data.objective(log_point)[1] == pytest.approx(
        numeric_gradient(data.objective, log_point), rel=1e-5, abs=1e-8)


def test_gamma_gamma_gradient_matches_finite_differences(cdnow_model):
    repeat = cdnow_model.summary.query("x > 0 and m > 0")
    data = _SpendData(repeat["x"].to_numpy(float), repeat["m"].to_numpy(float),
                      np.ones(len(repeat)))
    log_point = np.log([6.0, 3.5, 15.0])

    assert data.objective(log_point)[1] == pytest.approx(
        numeric_gradient(data.objective, log_point), rel=1e-5, abs=1e-8)


def test_weights_are_the_same_as_repeated_rows():
    x = np.array([0, 0, 1, 2, 5, 1, 3, 0, 4, 2])
    t_x = np.array([0, 0, 10, 20, 30, 5, 25, 0, 33, 12], dtype=float)
    T = np.array([40, 30, 40, 35, 36, 20, 30, 10, 38, 40], dtype=float)
    weights = np.array([3, 1, 2, 1, 1, 4, 1, 2, 1, 2])

    weighted = BetaGeoModel().fit(x, t_x, T, weights=weights)
    repeated = BetaGeoModel().fit(np.repeat(x, weights), np.repeat(t_x, weights),
                                  np.repeat(T, weights))

    assert repeated.distinct_rows_ == 10  # identical rows were collapsed
    assert weighted.customers_ == repeated.customers_ == 18
    for name in ("r", "alpha", "a", "b"):
        assert weighted.params_[name] == pytest.approx(repeated.params_[name], rel=1e-4)
    assert weighted.loglik_ == pytest.approx(repeated.loglik_, rel=1e-9)


def test_nobody_bought_twice_is_a_plain_error():
    with pytest.raises(ModelFitError, match="Nobody bought a second time"):
        BetaGeoModel().fit([0, 0, 0], [0, 0, 0], [10, 20, 30])


def test_runaway_parameters_are_a_plain_error_and_a_penalty_settles_them():
    # Everyone bought every week right up to the end: no sign that anybody ever leaves.
    x = np.array([10, 12, 8, 10, 9])
    T = np.array([10.0, 12, 8, 10, 9])

    with pytest.raises(ModelFitError, match="drop-out estimates .* kept growing or shrinking"):
        BetaGeoModel().fit(x, T, T)
    settled = BetaGeoModel(l2=0.01).fit(x, T, T)
    assert all(0 < value < 1e6 for value in settled.params_.values())


@pytest.mark.parametrize(("x", "t_x", "T", "column"), [
    ([1, 2], [5, 50], [10, 40], "t_x"),      # last purchase after the end
    ([0, 2], [3, 5], [10, 40], "t_x"),       # x = 0 with a last purchase
    ([1.5, 2], [5, 5], [10, 40], "x"),       # not a whole number
    ([1, np.nan], [5, 5], [10, 40], "x"),    # missing
])
def test_bad_inputs_name_the_column(x, t_x, T, column):
    with pytest.raises(ValueError, match=f"Column {column}"):
        BetaGeoModel().fit(x, t_x, T)


def test_predicting_before_fitting_says_so():
    with pytest.raises(NotFittedError, match="Fit the BG/NBD model"):
        BetaGeoModel().probability_alive(1, 1, 2)


def test_gamma_gamma_expected_spend_by_hand():
    model = GammaGammaModel().set_params(p=6.25, q=3.74, v=15.44)

    spend = model.expected_spend([2, 0, 3], [22.35, np.nan, -5.0])

    # x = 2, m = 22.35: p(v + x·m)/(p·x + q − 1) = 6.25 × 60.14 / 15.24 = 24.663714
    # x = 0, or m ≤ 0: everybody's mean p·v/(q − 1) = 96.5 / 2.74 = 35.218978
    assert spend == pytest.approx([24.663714, 35.218978, 35.218978], abs=1e-6)
    with pytest.raises(ValueError, match="positive average spend"):
        GammaGammaModel().fit([1, 2], [10.0, -1.0])


# -- per-customer value and risk groups ---------------------------------------------------------


def one_customer_model(**summary_values) -> ChurnModel:
    row = {"customer_id": "C1", "first_purchase": pd.Timestamp("2025-01-01"),
           "last_purchase": pd.Timestamp("2025-08-02"), "x": 2, "t_x_days": 213, "T_days": 272,
           "m": 22.35, "nonpositive_days": 0, "net_revenue": 74.02}
    row.update(summary_values)
    gg = GammaGammaModel().set_params(p=6.25, q=3.74, v=15.44)
    return ChurnModel(dt.date(2025, 9, 30), pd.DataFrame([row]), published_model(), gg)


def test_value_over_one_month_is_margin_times_spend_times_discounted_purchases():
    model = one_customer_model()

    scores = customer_scores(model, value=ValueSettings(margin=0.3, monthly_discount=0.01,
                                                        horizon_months=1)).iloc[0]

    month = float(model.bgnbd.expected_purchases(DAYS_PER_MONTH / 7, 2, 213 / 7, 272 / 7))
    assert scores["purchases_in_horizon"] == pytest.approx(month)
    assert scores["spend_per_purchase"] == pytest.approx(24.663714, abs=1e-6)
    # one month ahead: discounted once, by 1.01
    assert scores["predicted_clv"] == pytest.approx(0.3 * 24.663714 * month / 1.01, rel=1e-6)
    assert scores["p_alive"] == pytest.approx(
        float(model.bgnbd.probability_alive(2, 213 / 7, 272 / 7)))
    assert scores["purchases_next_30_days"] == pytest.approx(
        float(model.bgnbd.expected_purchases(30 / 7, 2, 213 / 7, 272 / 7)))
    assert scores["days_since_last_purchase"] == 59
    assert scores["spend_basis"] == "own history"


def test_undiscounted_value_over_a_year_uses_twelve_months_of_thirty_point_four_days():
    model = one_customer_model()

    scores = customer_scores(model, value=ValueSettings(margin=0.5, monthly_discount=0.0,
                                                        horizon_months=12)).iloc[0]

    year = float(model.bgnbd.expected_purchases(12 * 30.4375 / 7, 2, 213 / 7, 272 / 7))
    assert scores["purchases_in_horizon"] == pytest.approx(year)
    assert scores["predicted_clv"] == pytest.approx(0.5 * scores["spend_per_purchase"] * year)
    discounted = customer_scores(model, value=ValueSettings(0.5, 0.02, 12)).iloc[0]
    assert discounted["predicted_clv"] < scores["predicted_clv"]


def test_a_customer_whose_returns_cancel_gets_the_average_spend():
    scores = customer_scores(one_customer_model(m=-20.0)).iloc[0]

    assert scores["spend_basis"] == "average customer"
    assert scores["spend_per_purchase"] == pytest.approx(35.218978, abs=1e-6)


def test_risk_groups_follow_the_rules_and_their_boundaries():
    p_alive = [0.10, 0.90, 1.00, 0.50, 0.29999, 0.30, 0.69999, 0.70, 1.00, 0.05]
    repeat = [3, 5, 0, 2, 1, 1, 2, 2, 0, 4]
    revenue = [1000, 900, 900, 900, 100, 100, 50, 50, 10, 0]

    groups = risk_group(p_alive, repeat, revenue)

    # Top 20% of 10 = 2 customers; the 2nd-highest revenue is 900, so all three at 900 count.
    # C3 is valuable but bought once (one_time wins); D is valuable at P(alive) 0.5 → at_risk.
    # 0.3 is not "under 0.3" (at_risk); 0.7 is "0.7 or more" (active).
    assert list(groups) == ["valuable_slipping", "valuable_active", "one_time", "at_risk",
                            "lost", "at_risk", "at_risk", "active", "one_time", "lost"]


def test_zero_revenue_is_never_valuable():
    groups = risk_group([0.1, 0.1, 0.1], [1, 1, 1], [0, 0, 0])

    assert list(groups) == ["lost", "lost", "lost"]


def test_risk_group_counts_list_every_group_even_empty(cdnow_model):
    scores = customer_scores(cdnow_model)

    counts = risk_group_counts(scores)

    assert list(counts["risk_group"]) == ["valuable_slipping", "valuable_active", "one_time",
                                          "lost", "at_risk", "active"]
    assert counts["customers"].sum() == 2357
    assert counts.set_index("risk_group").loc["one_time", "customers"] == 1411
    single = risk_group_counts(scores[scores["risk_group"] == "lost"])
    assert (single["customers"] > 0).sum() == 1


def test_heatmap_bins_put_boundaries_on_the_lower_side():
    scores = pd.DataFrame({
        "days_since_last_purchase": [0, 30, 31, 90, 731, 45],
        "repeat_purchases": [0, 4, 5, 6, 10, 3],
        "p_alive": [1.0, 0.8, 0.6, 0.4, 0.1, 0.5],
    })

    cells = alive_heatmap(scores)

    found = {(row.recency, row.frequency): (row.customers, row.mean_p_alive)
             for row in cells.itertuples()}
    assert found == {
        ("0–30 days", "0"): (1, 1.0), ("0–30 days", "4–5"): (1, 0.8),
        ("31–90 days", "4–5"): (1, 0.6), ("31–90 days", "6–9"): (1, 0.4),
        ("over 730 days", "10+"): (1, 0.1), ("31–90 days", "3"): (1, 0.5),
    }


def test_default_split_keeps_the_last_quarter_for_the_check():
    # 2025-01-01 … 2025-12-31 spans 364 days; ⌊0.75 × 364⌋ = 273 → 2025-10-01
    assert default_split(dt.date(2025, 1, 1), dt.date(2025, 12, 31)) == dt.date(2025, 10, 1)
    with pytest.raises(ValueError, match="longer history"):
        default_split(dt.date(2025, 1, 1), dt.date(2025, 1, 5))


def test_value_settings_reject_impossible_values():
    with pytest.raises(ValueError, match="margin"):
        ValueSettings(margin=1.5)
    with pytest.raises(ValueError, match="horizon"):
        ValueSettings(horizon_months=0)


def test_one_time_share_of_cdnow(cdnow_model):
    # 1,411 of 2,357 customers made no repeat purchase in the calibration period
    assert cdnow_model.one_time_share == pytest.approx(1411 / 2357)
    assert math.isclose(cdnow_model.parameters()["customers"], 2357)


def test_the_models_do_not_load_streamlit():
    code = "import retention.models, sys; print('streamlit' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"
