"""The customer portraits page's data: the optional attributes a dataset offers, the fitted
portraits and one customer's profile.

The fitted portraits are one ``st.cache_resource`` entry per (workspace, dataset, version,
as-of date, portrait settings, ladder thresholds, activity window) — plain values only. A
resource rather than ``st.cache_data`` because the assignments of a million customers would be
pickled and copied on every rerun; the cached :class:`Portraits` is shared by every viewer and
never modified. A :class:`PortraitError` is cached too (as its message), so data that cannot be
drawn is not refitted on every click. The assignments therefore stay the same for a dataset
version until the user changes the settings (``ctx.saved.portraits``).
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd
import streamlit as st

from retention.metrics.customer_features import NUMERIC_FEATURES
from retention.metrics.customer_features import optional_attributes as attributes_metric
from retention.metrics.ladder import LadderThresholds
from retention.models import portraits as model
from retention.models.portraits import PortraitError, Portraits
from retention.ui.context import Context
from retention.ui.data import SettingsKey, as_key, cache_data, cache_resource, from_key, run
from retention.ui.saved_settings import PortraitSettings


def optional_attributes(ctx: Context) -> pd.DataFrame:
    """``retention.metrics.customer_features.optional_attributes``: which of gender, age, city,
    channel and top category this dataset has, and from which columns."""
    return _optional_attributes(*ctx.key)


def offered_features(ctx: Context) -> list[str]:
    """The features the settings offer: the behaviour features and the attributes present."""
    attributes = optional_attributes(ctx)
    return [*NUMERIC_FEATURES, *attributes.loc[attributes["available"], "attribute"]]


def settings_in_effect(ctx: Context) -> PortraitSettings:
    """The saved portrait settings, less the features this data cannot offer."""
    return ctx.saved.portraits.offered(offered_features(ctx))


def fitted_portraits(ctx: Context) -> Portraits | str:
    """The portraits drawn with the settings in effect, or the sentence saying why they cannot
    be drawn. Shared by every session: callers must not modify the frames it holds."""
    return _fitted_portraits(*_portraits_key(ctx))


def customer_lookup(ctx: Context, customer_id: str) -> tuple[str, pd.DataFrame] | None:
    """(portrait name, ``customer_profile``) of a customer in the cached portraits; None when
    the customer has no order up to the as-of date (or there are no portraits)."""
    return _customer_lookup(*_portraits_key(ctx), customer_id)


def _portraits_key(ctx: Context) -> tuple[str, int, int, dt.date, SettingsKey, SettingsKey, int]:
    assert ctx.as_of is not None
    return (*ctx.key, ctx.as_of, as_key(settings_in_effect(ctx)), as_key(ctx.saved.ladder),
            ctx.window_days)


def _draw(con: duckdb.DuckDBPyConnection, dataset_id: int, as_of: dt.date,
          settings: PortraitSettings, thresholds: LadderThresholds,
          window_days: int) -> Portraits | str:
    try:
        return model.customer_portraits(
            con, dataset_id, as_of=as_of, features=settings.features, n_clusters=settings.k,
            thresholds=thresholds, window_days=window_days)
    except PortraitError as exc:
        return str(exc)


@cache_resource(show_spinner=False, max_entries=4)
def _fitted_portraits(workspace: str, dataset_id: int, version: int, as_of: dt.date,
                      settings: SettingsKey, thresholds: SettingsKey,
                      window_days: int) -> Portraits | str:
    return run(workspace, dataset_id, version, _draw, as_of, from_key(PortraitSettings, settings),
               from_key(LadderThresholds, thresholds), window_days)


@cache_data(show_spinner=False, max_entries=256)
def _customer_lookup(workspace: str, dataset_id: int, version: int, as_of: dt.date,
                     settings: SettingsKey, thresholds: SettingsKey, window_days: int,
                     customer_id: str) -> tuple[str, pd.DataFrame] | None:
    portraits = _fitted_portraits(workspace, dataset_id, version, as_of, settings, thresholds,
                                  window_days)
    if isinstance(portraits, str):
        return None
    try:
        number = model.portrait_of(portraits, customer_id)
    except KeyError:
        return None
    names = dict(zip(portraits.summary["portrait"], portraits.summary["name"], strict=True))
    return str(names[number]), model.customer_profile(portraits, customer_id)


@cache_data(show_spinner=False, max_entries=128)
def _optional_attributes(workspace: str, dataset_id: int, version: int) -> pd.DataFrame:
    return run(workspace, dataset_id, version, attributes_metric)
