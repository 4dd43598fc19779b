"""The churn page's data: the fitted models, every customer's scores, the small tables the page
draws, the backtest and the dataset's own margin.

Caching, and why it is split in three:

* the fitted BG/NBD and Gamma-Gamma models (``st.cache_resource``), with the summary they
  learned from, per (workspace, dataset, version, calibration end). Fitting takes a second or
  more on a big dataset; the value settings never refit it.
* every customer's scores (``st.cache_resource``): one row per customer, possibly millions, so
  it is shared rather than copied on every read (``st.cache_data`` would pickle it each time).
  It is never modified: readers filter or copy.
* the page's small tables and the backtest's (``st.cache_data``).

The value settings in effect (``ctx.saved.churn`` with the dataset's margin filled in) are part
of every key that depends on them, as sorted (name, value) pairs.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import duckdb
import pandas as pd
import streamlit as st

from retention.models import (
    ChurnModel,
    ModelFitError,
    ValueSettings,
    alive_heatmap,
    customer_scores,
    default_margin,
    fit_churn_model,
    risk_group_counts,
    run_backtest,
    score_histogram,
    top_customers,
)
from retention.ui.context import Context
from retention.ui.data import SettingsKey, as_key, cache_data, cache_resource, from_key, run

# The most valuable customers the page lists.
TOP_N = 50
# Tried when the plain fit does not settle: enough to keep estimates finite, small enough to
# cost little likelihood (on CDNOW: −9582.71 instead of −9582.43).
FALLBACK_L2 = 0.001


@dataclass(frozen=True)
class FitOutcome:
    """A fitted model, or the sentence saying why there is none (errors are cached too, so a
    dataset that cannot be fitted is not refitted on every click). ``penalised``: the plain
    fit did not settle and the model was fitted with ``FALLBACK_L2``."""

    model: ChurnModel | None
    error: str | None
    penalised: bool = False


def dataset_margin(ctx: Context) -> tuple[float, str]:
    """``default_margin`` up to the as-of date: (margin, 'cost' or 'default')."""
    return _dataset_margin(*ctx.key, ctx.as_of)


def value_settings(ctx: Context) -> ValueSettings:
    """The saved value settings, with the dataset's own margin where none was set."""
    margin, _ = dataset_margin(ctx)
    return ctx.saved.churn.with_margin(margin).value()


def fitted_model(ctx: Context) -> FitOutcome:
    """Both models fitted on the purchases up to the as-of date."""
    return _fitted_model(*ctx.key, ctx.as_of)


def scored_customers(ctx: Context) -> pd.DataFrame:
    """``customer_scores`` for every customer with the value settings in effect; shared
    between sessions, never to be modified. Call after :func:`fitted_model` found a model."""
    return _scored_customers(*ctx.key, ctx.as_of, as_key(value_settings(ctx)))


def page_views(ctx: Context) -> dict[str, Any]:
    """The small tables the page draws, in the current language: counts, heatmap, top,
    hist_alive, hist_clv and totals. Call after :func:`fitted_model` found a model."""
    return _page_views(*ctx.key, ctx.as_of, as_key(value_settings(ctx)))


def backtest_views(ctx: Context, calibration_end: dt.date) -> dict[str, Any]:
    """The backtest's small results (by_x, tracking, numbers) fitting up to
    ``calibration_end`` and comparing up to the as-of date, or {"error": sentence}."""
    return _backtest_views(*ctx.key, calibration_end, ctx.as_of)


def _fit(con: duckdb.DuckDBPyConnection, dataset_id: int, calibration_end: dt.date) -> FitOutcome:
    """The plain fit; when it does not settle, once more with a small penalty."""
    try:
        return FitOutcome(fit_churn_model(con, dataset_id, calibration_end=calibration_end), None)
    except ModelFitError as plain:
        first_error = str(plain)
    try:
        model = fit_churn_model(con, dataset_id, calibration_end=calibration_end, l2=FALLBACK_L2)
        return FitOutcome(model, None, penalised=True)
    except ModelFitError:
        return FitOutcome(None, first_error)


@cache_resource(max_entries=8, show_spinner=False)
def _fitted_model(workspace: str, dataset_id: int, version: int,
                  calibration_end: dt.date) -> FitOutcome:
    return run(workspace, dataset_id, version, _fit, calibration_end)


@cache_resource(max_entries=4, show_spinner=False)
def _scored_customers(workspace: str, dataset_id: int, version: int, calibration_end: dt.date,
                      value: SettingsKey) -> pd.DataFrame:
    outcome = _fitted_model(workspace, dataset_id, version, calibration_end)
    assert outcome.model is not None
    return customer_scores(outcome.model, value=from_key(ValueSettings, value))


@cache_data(max_entries=64, show_spinner=False)
def _page_views(workspace: str, dataset_id: int, version: int, calibration_end: dt.date,
                value: SettingsKey) -> dict[str, Any]:
    scores = _scored_customers(workspace, dataset_id, version, calibration_end, value)
    counts = risk_group_counts(scores)
    return {
        "counts": counts,
        "heatmap": alive_heatmap(scores),
        "top": top_customers(scores, TOP_N),
        "hist_alive": score_histogram(scores, "p_alive"),
        "hist_clv": score_histogram(scores, "predicted_clv"),
        "totals": {
            "customers": len(scores),
            "purchases_next_90_days": float(scores["purchases_next_90_days"].sum()),
            "predicted_clv": float(scores["predicted_clv"].sum(min_count=1)),
            "slipping": int(counts.loc[counts["risk_group"] == "valuable_slipping",
                                       "customers"].sum()),
            "one_time": int((scores["repeat_purchases"] == 0).sum()),
            "one_time_share": float((scores["repeat_purchases"] == 0).mean()),
        },
    }


def _backtest(con: duckdb.DuckDBPyConnection, dataset_id: int, calibration_end: dt.date,
              holdout_end: dt.date) -> dict[str, Any]:
    try:
        result = run_backtest(con, dataset_id, calibration_end=calibration_end,
                              holdout_end=holdout_end)
    except ValueError as exc:  # ModelFitError is a ValueError
        return {"error": str(exc)}
    return {
        "error": None, "by_x": result.by_x, "tracking": result.tracking, "mae": result.mae,
        "correlation": result.correlation, "actual": result.actual_total,
        "predicted": result.predicted_total, "customers": len(result.customers),
        "one_time_share": result.one_time_share, "holdout_days": result.holdout_days,
    }


@cache_data(max_entries=16, show_spinner=False)
def _backtest_views(workspace: str, dataset_id: int, version: int, calibration_end: dt.date,
                    holdout_end: dt.date) -> dict[str, Any]:
    return run(workspace, dataset_id, version, _backtest, calibration_end, holdout_end)


@cache_data(max_entries=64, show_spinner=False)
def _dataset_margin(workspace: str, dataset_id: int, version: int,
                    as_of: dt.date) -> tuple[float, str]:
    return run(workspace, dataset_id, version, default_margin, as_of=as_of)
