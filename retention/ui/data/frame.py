"""What the frame's sidebar reads before any page runs: a dataset's date span and default as-of.

Both take the workspace and the dataset rather than a page context, because the context is
built from them (:func:`retention.ui.context.current` needs the default as-of first).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import streamlit as st

from retention import metrics
from retention.store import Dataset, Workspace
from retention.ui.data import cache_data, run


def as_date(value: Any) -> dt.date | None:
    """A DuckDB/pandas date-ish value as a ``datetime.date`` (None for null/NaT)."""
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    stamp = pd.Timestamp(value)
    return None if pd.isna(stamp) else stamp.date()


def dataset_dates(workspace: Workspace, dataset: Dataset) -> tuple[dt.date | None, dt.date | None]:
    """(first, last) transaction date of the dataset; (None, None) when it has no rows."""
    return _dataset_dates(*workspace.fingerprint(dataset))


def default_as_of(workspace: Workspace, dataset: Dataset, today: dt.date) -> dt.date | None:
    """``retention.metrics.default_as_of``: the last transaction date not after ``today``.

    ``today`` is part of the key, so the default moves on when a future-dated row's day comes.
    """
    return _default_as_of(*workspace.fingerprint(dataset), today)


@cache_data(show_spinner=False, max_entries=512)
def _dataset_dates(workspace: str, dataset_id: int,
                   version: int) -> tuple[dt.date | None, dt.date | None]:
    span = run(workspace, dataset_id, version, metrics.date_range)
    return (None, None) if span is None else (as_date(span[0]), as_date(span[1]))


@cache_data(show_spinner=False, max_entries=512)
def _default_as_of(workspace: str, dataset_id: int, version: int,
                   today: dt.date) -> dt.date | None:
    return as_date(run(workspace, dataset_id, version, metrics.default_as_of, today=today))
