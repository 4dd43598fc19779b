"""The Retention & LTV page's data: CRR by period, the cohort matrix, LTV today and its trend,
the value curves and LTV by segment.

The monthly CRR and the cohort matrix are cached once and handed to the LTV and value-curve
functions, so nothing is computed twice. The margin (``ctx.saved.ltv``) and, for the segments,
the ladder thresholds (``ctx.saved.ladder``) are part of the keys that depend on them.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from retention.metrics import cohorts, ltv, retention_rate
from retention.metrics.ladder import LadderThresholds
from retention.ui.context import Context
from retention.ui.data import SettingsKey, as_key, cache_data, from_key, run
from retention.ui.saved_settings import LtvSettings


def crr_table(ctx: Context, period: str) -> pd.DataFrame:
    """``crr_by_period`` on the context's as-of date and activity window."""
    return _crr_table(*ctx.key, ctx.as_of, ctx.window_days, period)


def cohort_table(ctx: Context) -> pd.DataFrame:
    """``cohort_matrix`` on the context's as-of date."""
    return _cohort_table(*ctx.key, ctx.as_of)


def ltv_tables(ctx: Context) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(LTV today, LTV trend) with the saved margin, from one cached monthly CRR."""
    return _ltv_tables(*ctx.key, ctx.as_of, ctx.window_days, as_key(ctx.saved.ltv))


def curves_table(ctx: Context, margin: float) -> pd.DataFrame:
    """``value_curves`` with ``margin`` (P of LTV today: measured from the cost column when
    there is one, so not always the saved setting), from the cached cohort matrix."""
    return _curves_table(*ctx.key, ctx.as_of, margin)


def segment_table(ctx: Context, dimension: str) -> pd.DataFrame:
    """``ltv_by_segment`` with the saved margin and the Ladder page's thresholds."""
    return _segment_table(*ctx.key, ctx.as_of, ctx.window_days, dimension,
                          as_key(ctx.saved.ltv), as_key(ctx.saved.ladder))


def available_dimensions(ctx: Context) -> list[str]:
    """``segment_dimensions``: the segment kinds this dataset's columns allow."""
    return _available_dimensions(*ctx.key)


@cache_data(show_spinner=False, max_entries=256)
def _crr_table(workspace: str, dataset_id: int, version: int, as_of: dt.date,
               window_days: int, period: str) -> pd.DataFrame:
    return run(workspace, dataset_id, version, retention_rate.crr_by_period, as_of=as_of,
               window_days=window_days, period=period)


@cache_data(show_spinner=False, max_entries=256)
def _cohort_table(workspace: str, dataset_id: int, version: int,
                  as_of: dt.date) -> pd.DataFrame:
    return run(workspace, dataset_id, version, cohorts.cohort_matrix, as_of=as_of)


@cache_data(show_spinner=False, max_entries=256)
def _ltv_tables(workspace: str, dataset_id: int, version: int, as_of: dt.date,
                window_days: int, settings: SettingsKey) -> tuple[pd.DataFrame, pd.DataFrame]:
    monthly = _crr_table(workspace, dataset_id, version, as_of, window_days, "month")
    margin = from_key(LtvSettings, settings).margin
    today, trend = (run(workspace, dataset_id, version, metric, as_of=as_of, window_days=window_days,
                        default_margin=margin, monthly=monthly)
                    for metric in (ltv.ltv_today, ltv.ltv_trend))
    return today, trend


@cache_data(show_spinner=False, max_entries=256)
def _curves_table(workspace: str, dataset_id: int, version: int, as_of: dt.date,
                  margin: float) -> pd.DataFrame:
    matrix = _cohort_table(workspace, dataset_id, version, as_of)
    return run(workspace, dataset_id, version, ltv.value_curves, as_of=as_of, margin=margin,
               cohorts=matrix)


@cache_data(show_spinner=False, max_entries=256)
def _segment_table(workspace: str, dataset_id: int, version: int, as_of: dt.date,
                   window_days: int, dimension: str, settings: SettingsKey,
                   thresholds: SettingsKey) -> pd.DataFrame:
    return run(workspace, dataset_id, version, ltv.ltv_by_segment, as_of=as_of, window_days=window_days,
               dimension=dimension, default_margin=from_key(LtvSettings, settings).margin,
               thresholds=from_key(LadderThresholds, thresholds))


@cache_data(show_spinner=False, max_entries=256)
def _available_dimensions(workspace: str, dataset_id: int, version: int) -> list[str]:
    return run(workspace, dataset_id, version, ltv.segment_dimensions)
