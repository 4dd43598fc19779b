"""Does the model predict this shop? Fit on a calibration period, compare with what customers
did afterwards (the holdout), as Fader, Hardie & Lee (2005) do on CDNOW.

Three views: a tracking chart of cumulative repeat purchases (actual vs predicted, week by
week over both periods), predicted vs actual holdout purchases by the number of repeat purchases
in calibration, and per-customer errors (MAE, correlation). By default the last quarter of the
dataset's time span is the holdout.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

from retention.i18n import t
from retention.metrics.btyd_summary import daily_repeat_purchases, holdout_purchases
from retention.models.churn import DAYS_PER_WEEK, ChurnModel, fit_churn_model, in_weeks

# Calibration customers are grouped by repeat purchases up to this; more are pooled as "7+".
BY_X_CAP = 7


@dataclass(frozen=True)
class Backtest:
    """The outcome of a calibration/holdout check.

    ``customers``: one row per calibration customer — customer_id, x, predicted (expected
    holdout purchases), actual (purchase days in the holdout). ``by_x``: x_group, customers,
    actual_mean, predicted_mean (purchases per customer in the holdout). ``tracking``: day,
    period ('calibration' or 'holdout'), actual_cumulative, predicted_cumulative (repeat
    purchases since the start, weekly). ``mae``: mean absolute error of holdout purchases per
    customer; ``correlation``: of predicted and actual per customer (NaN when either is
    constant).
    """

    calibration_end: dt.date
    holdout_end: dt.date
    model: ChurnModel
    customers: pd.DataFrame
    by_x: pd.DataFrame
    tracking: pd.DataFrame
    mae: float
    correlation: float

    @property
    def holdout_days(self) -> int:
        return (self.holdout_end - self.calibration_end).days

    @property
    def actual_total(self) -> int:
        return int(self.customers["actual"].sum())

    @property
    def predicted_total(self) -> float:
        return float(self.customers["predicted"].sum())

    @property
    def one_time_share(self) -> float:
        return self.model.one_time_share


def default_split(first_day: dt.date, last_day: dt.date) -> dt.date:
    """The calibration end that leaves the last quarter of [first_day, last_day] as holdout:
    first_day + ⌊0.75 × span⌋ days. Raises ValueError when the span is under 8 days."""
    span = (last_day - first_day).days
    if span < 8:
        raise ValueError(t(
            "The data cover {days} days; a check needs a longer history to split into a "
            "calibration and a holdout period.", days=span))
    return first_day + dt.timedelta(days=(3 * span) // 4)


def run_backtest(
    con: duckdb.DuckDBPyConnection,
    dataset_id: int,
    *,
    calibration_end: dt.date,
    holdout_end: dt.date,
    l2: float = 0.0,
) -> Backtest:
    """Fit on purchases up to ``calibration_end``, predict (calibration_end, holdout_end], and
    compare with what happened. Raises ValueError when the holdout is empty, ModelFitError when
    the model cannot be fitted."""
    if holdout_end <= calibration_end:
        raise ValueError(t("The holdout must end after the calibration period."))
    model = fit_churn_model(con, dataset_id, calibration_end=calibration_end, l2=l2)
    summary = model.summary
    holdout = holdout_purchases(con, dataset_id, calibration_end=calibration_end,
                                holdout_end=holdout_end)
    holdout_weeks = (holdout_end - calibration_end).days / DAYS_PER_WEEK
    predicted = model.bgnbd.expected_purchases(
        holdout_weeks, summary["x"], in_weeks(summary["t_x_days"]), in_weeks(summary["T_days"]))
    # both frames are ordered by customer_id over the same customers
    customers = pd.DataFrame({
        "customer_id": summary["customer_id"].to_numpy(),
        "x": summary["x"].to_numpy(),
        "predicted": predicted,
        "actual": holdout["holdout_purchases"].to_numpy(),
    })
    errors = customers["predicted"] - customers["actual"]
    return Backtest(
        calibration_end=calibration_end,
        holdout_end=holdout_end,
        model=model,
        customers=customers,
        by_x=_by_x(customers),
        tracking=_tracking(con, dataset_id, model, holdout_end),
        mae=float(np.abs(errors).mean()),
        correlation=_correlation(customers["predicted"], customers["actual"]),
    )


def _correlation(a: pd.Series, b: pd.Series) -> float:
    if len(a) < 2 or a.std() == 0 or b.std() == 0:
        return float("nan")
    return float(np.corrcoef(a, b)[0, 1])


def _by_x(customers: pd.DataFrame) -> pd.DataFrame:
    group = np.minimum(customers["x"], BY_X_CAP)
    table = customers.groupby(group).agg(
        customers=("customer_id", "size"), actual_mean=("actual", "mean"),
        predicted_mean=("predicted", "mean")).reset_index(names="x")
    table.insert(0, "x_group", [f"{BY_X_CAP}+" if x == BY_X_CAP else str(x)
                                for x in table["x"]])
    return table.drop(columns="x")


def _tracking(
    con: duckdb.DuckDBPyConnection, dataset_id: int, model: ChurnModel, holdout_end: dt.date
) -> pd.DataFrame:
    """Cumulative repeat purchases, actual and predicted, at the end of every 7th day.

    Predicted at day k = Σ over first-purchase days s ≤ k of (customers who started on s) ×
    E[X((k − s) / 7 weeks)]: a convolution of the daily cohort sizes with the new-customer
    curve, which is evaluated once per lag."""
    daily = daily_repeat_purchases(con, dataset_id, calibration_end=model.calibration_end,
                                   holdout_end=holdout_end)
    if daily.empty:
        return pd.DataFrame(columns=["day", "period", "actual_cumulative",
                                     "predicted_cumulative"])
    start = pd.Timestamp(daily["day"].min()).date()
    days = (holdout_end - start).days + 1
    offset = (pd.to_datetime(daily["day"]) - pd.Timestamp(start)).dt.days.to_numpy()
    new = np.zeros(days)
    repeat = np.zeros(days)
    new[offset] = daily["new_customers"].to_numpy()
    repeat[offset] = daily["repeat_purchases"].to_numpy()
    curve = model.bgnbd.expected_purchases_new_customer(np.arange(days) / DAYS_PER_WEEK)
    predicted = np.convolve(new, curve)[:days]
    actual = np.cumsum(repeat)
    # every 7th day counted back from the holdout end, so the last point is its last day
    points = np.arange(days - 1, -1, -7)[::-1]
    calendar = [start + dt.timedelta(days=int(i)) for i in points]
    return pd.DataFrame({
        "day": calendar,
        "period": ["calibration" if d <= model.calibration_end else "holdout"
                   for d in calendar],
        "actual_cumulative": actual[points],
        "predicted_cumulative": predicted[points],
    })
