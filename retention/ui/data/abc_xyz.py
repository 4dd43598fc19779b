"""The ABC/XYZ page's data: the saved cut-offs, the classification, the trend and the products.

The matrix, both histograms and every cell's first rows come from one classification
(:func:`overview`), and one ladder lookup serves all nine cells' lists
(:func:`listed_customers`), so picking another value or cell never recomputes anything. Every
accessor keys on the saved cut-offs (``ctx.saved.abc_xyz``) it uses, and the lists with ladder
steps on the Ladder page's saved thresholds (``ctx.saved.ladder``) too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

import pandas as pd
import streamlit as st

from retention.metrics import abc_xyz
from retention.metrics.abc_xyz import PRODUCT_SETTINGS, AbcXyzOverview, AbcXyzSettings
from retention.metrics.ladder import LadderThresholds
from retention.ui.data import SettingsKey, as_key, cache_data, from_key, run
from retention.ui.saved_settings import Unit

if TYPE_CHECKING:
    from retention.ui.context import Context

# Rows of each cell read for the page; the downloads hold everyone.
LIST_LIMIT = 500



def overview(ctx: Context, unit: Unit) -> AbcXyzOverview:
    """Cells, histograms and every cell's first LIST_LIMIT rows of customers or products,
    from one classification under the saved cut-offs."""
    return _overview(*ctx.key, ctx.as_of, as_key(ctx.saved.abc_xyz.for_unit(unit)), unit)


def listed_customers(ctx: Context) -> pd.DataFrame:
    """Every cell's first LIST_LIMIT customers with their step under the Ladder page's saved
    thresholds: one ladder computation serves all nine cells."""
    return _listed_customers(*ctx.key, ctx.as_of, as_key(ctx.saved.abc_xyz.customers),
                             as_key(ctx.saved.ladder))


def trend(ctx: Context) -> pd.DataFrame:
    """``retention.metrics.abc_xyz.abc_xyz_trend``: the cells' sizes at the last quarter-ends."""
    return _trend(*ctx.key, ctx.as_of, as_key(ctx.saved.abc_xyz.customers))


def has_products(ctx: Context) -> bool:
    """True when the dataset names a product on at least one line."""
    return _has_products(*ctx.key)


def whole_cell(ctx: Context, cell: str) -> Callable[[], pd.DataFrame]:
    """A function reading all customers of ``cell`` with their ladder steps, for a download.

    Not cached, and holding plain values only: it runs when the download is clicked.
    """
    workspace, dataset_id, version = ctx.key
    as_of, settings, thresholds = ctx.as_of, ctx.saved.abc_xyz.customers, ctx.saved.ladder
    return lambda: run(workspace, dataset_id, version, abc_xyz.abc_xyz_cell_customers, as_of=as_of,
                       cell=cell, settings=settings, ladder=thresholds)


def all_products(ctx: Context) -> Callable[[], pd.DataFrame]:
    """A function reading every classified product, for a download (run when clicked)."""
    workspace, dataset_id, version = ctx.key
    as_of, settings = ctx.as_of, ctx.saved.abc_xyz.products
    return lambda: run(workspace, dataset_id, version, abc_xyz.product_abc_xyz, as_of=as_of,
                       settings=settings)


# -- cached, keyed by plain values --------------------------------------------------------------


@cache_data(show_spinner=False, max_entries=128)
def _overview(workspace: str, dataset_id: int, version: int, as_of: dt.date,
              settings: SettingsKey, unit: Unit) -> AbcXyzOverview:
    return run(workspace, dataset_id, version, abc_xyz.abc_xyz_overview, as_of=as_of,
               settings=from_key(AbcXyzSettings, settings), unit=unit, top=LIST_LIMIT)


@cache_data(show_spinner=False, max_entries=64)
def _listed_customers(workspace: str, dataset_id: int, version: int, as_of: dt.date,
                      settings: SettingsKey, ladder: SettingsKey) -> pd.DataFrame:
    listed = _overview(workspace, dataset_id, version, as_of, settings, "customer").top
    return run(workspace, dataset_id, version, abc_xyz.with_ladder_steps, listed, as_of=as_of,
               ladder=from_key(LadderThresholds, ladder))


@cache_data(show_spinner=False, max_entries=128)
def _trend(workspace: str, dataset_id: int, version: int, as_of: dt.date,
           settings: SettingsKey) -> pd.DataFrame:
    return run(workspace, dataset_id, version, abc_xyz.abc_xyz_trend, as_of=as_of,
               settings=from_key(AbcXyzSettings, settings))


@cache_data(show_spinner=False, max_entries=128)
def _has_products(workspace: str, dataset_id: int, version: int) -> bool:
    return run(workspace, dataset_id, version, abc_xyz.has_products)
