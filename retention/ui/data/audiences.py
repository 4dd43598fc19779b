"""The Audiences page's data: the customer base, the builder's live count and value, campaign
lists and their files, saved audiences, exports and their uplift.

Caching:

* the customer base (``st.cache_resource``: one row per buyer, shared, never modified) per
  (workspace, dataset, version, as-of date, ladder thresholds, ABC/XYZ cut-offs, win-back
  share, value settings, portraits key). P(alive), risk groups and predicted CLV come from the
  churn page's own cached model and scores, and portraits from the portraits page's, so the
  three pages agree and nothing is fitted twice.
* a segment's members, summary and campaign list (``st.cache_data``), keyed also by the
  segment's JSON and the export options as plain values.
* every one of them keyed by the interface language too (:func:`retention.ui.data.cache_data`):
  a member's reason and a list's columns are written in it.
* an export's uplift, keyed by the dataset version (new orders change it) and the export id
  (a recorded export never changes).

Saved audiences and the exports table change without the dataset's version changing, so they
are read fresh on every run (small queries, still one snapshot through :func:`run`), and the
writes (:func:`save`, :func:`forget`, :func:`record`) go to the workspace directly.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import duckdb
import pandas as pd
import streamlit as st

from retention.audiences import saved as store
from retention.audiences.base import base_choices, customer_base
from retention.audiences.campaign import list_again
from retention.audiences.control import baseline_rate
from retention.audiences.export import (
    DEFAULT_WINDOW_DAYS,
    CampaignList,
    ExportOptions,
    campaign_file,
    campaign_list,
)
from retention.audiences.playbook import PlaybookSettings
from retention.audiences.saved import Rules
from retention.audiences.segment import (
    Segment,
    SegmentSummary,
    segment_count,
    segment_members,
)
from retention.audiences.uplift import Uplift, uplift
from retention.metrics.abc_xyz import AbcXyzSettings
from retention.metrics.ladder import LadderThresholds
from retention.ui.data import SettingsKey, as_key, cache_data, cache_resource, from_key, run
from retention.ui.data import churn as churn_data
from retention.ui.data import portraits as portraits_data

if TYPE_CHECKING:
    from retention.ui.context import Context

# Members a page shows at most; the download holds them all.
SHOWN_MEMBERS = 200


def playbook_settings(ctx: Context) -> PlaybookSettings:
    """The dataset's saved playbook thresholds (DESIGN's defaults for what is not saved)."""
    return ctx.saved.typed(store.SETTINGS_NAMESPACE, PlaybookSettings.from_dict)


def save_playbook_settings(ctx: Context, settings: PlaybookSettings) -> None:
    """Remember the playbook thresholds for the dataset."""
    ctx.saved.save(store.SETTINGS_NAMESPACE, settings.as_dict())


def rules(ctx: Context, segment: Segment) -> Rules:
    """``segment`` with the settings the pages use: what an export records."""
    return Rules(segment, playbook_settings(ctx), ctx.saved.ladder, ctx.saved.abc_xyz.customers)


def has_model(ctx: Context) -> bool:
    """Whether the churn model could be fitted (P(alive) and predicted CLV are known)."""
    return churn_data.fitted_model(ctx).model is not None


def base(ctx: Context, *, with_portraits: bool = False) -> pd.DataFrame:
    """``retention.audiences.base.customer_base`` as of the as-of date; shared between
    sessions, never to be modified. ``with_portraits`` draws the portraits (as the portraits
    page does) so segments can use them."""
    return _base(*_base_key(ctx, with_portraits))


def choices(ctx: Context) -> dict[str, list[str]]:
    """The cities, channels and top categories the builder offers (the base's values)."""
    return _choices(*_base_key(ctx, False))


def summary(ctx: Context, segment: Segment, *, with_portraits: bool = False) -> SegmentSummary:
    """The builder's live count and expected value (predicted CLV) of ``segment``."""
    return _summary(*_base_key(ctx, with_portraits), _segment_key(ctx, segment))


def members(ctx: Context, segment: Segment, *, limit: int | None = SHOWN_MEMBERS,
            with_portraits: bool = False) -> pd.DataFrame:
    """The first ``limit`` members of ``segment`` (all with None), with their reasons."""
    if limit is None:
        return _members(*_base_key(ctx, with_portraits), _segment_key(ctx, segment))
    # a preview's own query: the whole list of every buyer is a million rows to copy
    return _preview(*_base_key(ctx, with_portraits), _segment_key(ctx, segment), limit)


def campaign(ctx: Context, audience: str, segment: Segment, options: ExportOptions, *,
             with_portraits: bool = False) -> CampaignList:
    """The campaign list of ``segment`` under the name ``audience``: consent, contacts, the
    control group and the detectable difference, before anything is written or recorded."""
    return _campaign(*_base_key(ctx, with_portraits), _segment_key(ctx, segment), audience,
                     as_key(options))


def download(listed: CampaignList, file_name: str) -> bytes:
    """The list's file: XLSX for a ``.xlsx`` name, else CSV (UTF-8 with BOM)."""
    return campaign_file(listed.rows, file_name)


def record(ctx: Context, listed: CampaignList, used: Rules, file_name: str) -> int:
    """Record that ``listed`` was downloaded as ``file_name`` (members and groups included),
    with the rules it was drawn by (:func:`rules` for a new list, the second item of
    :func:`again` for a re-export), so its uplift can be read out later; returns the export
    id."""
    dataset_id, version = ctx.key[1], ctx.key[2]
    return store.record_export(ctx.workspace.cursor(), dataset_id, version, listed, used,
                               file_name)


def again(ctx: Context, export_id: int) -> tuple[CampaignList, Rules] | str:
    """Export ``export_id``'s list drawn again with its own rules and options from the data
    as of the as-of date (``retention.audiences.campaign.list_again``), or the sentence saying
    why it cannot be."""
    assert ctx.as_of is not None
    return _again(*ctx.key, export_id, ctx.as_of)


def saved_audiences(ctx: Context) -> dict[str, Segment]:
    """The dataset's saved audiences by name (read fresh: saving does not change versions)."""
    return run(*ctx.key, store.saved_audiences)


def save(ctx: Context, name: str, segment: Segment) -> int:
    """Save (or replace) an audience of the dataset; ValueError with a sentence for a bad
    name."""
    return store.save_audience(ctx.workspace.cursor(), ctx.key[1], name, segment)


def forget(ctx: Context, name: str) -> bool:
    """Delete a saved audience (its exports stay)."""
    return store.delete_audience(ctx.workspace.cursor(), ctx.key[1], name)


def exports(ctx: Context) -> pd.DataFrame:
    """``retention.audiences.saved.saved_exports``, newest first (read fresh)."""
    return run(*ctx.key, store.saved_exports)


def readout(ctx: Context, export_id: int,
            window_days: int = DEFAULT_WINDOW_DAYS) -> Uplift | str:
    """The uplift of export ``export_id`` against the data as it is, or the sentence saying
    why there is none."""
    return _readout(*ctx.key, export_id, window_days)


# -- cached ----------------------------------------------------------------------------------

BaseKey = tuple[str, int, int, dt.date, SettingsKey, SettingsKey, float, SettingsKey | None,
                tuple[object, ...] | None]


def _base_key(ctx: Context, with_portraits: bool) -> BaseKey:
    assert ctx.as_of is not None
    value = as_key(churn_data.value_settings(ctx)) if has_model(ctx) else None
    drawn = tuple(portraits_data._portraits_key(ctx)) if with_portraits else None
    return (*ctx.key, ctx.as_of, as_key(ctx.saved.ladder), as_key(ctx.saved.abc_xyz.customers),
            float(playbook_settings(ctx).win_back_top_share), value, drawn)


def _segment_key(ctx: Context, segment: Segment) -> tuple[str, SettingsKey]:
    return segment.as_json(), as_key(playbook_settings(ctx))


@cache_resource(max_entries=4, show_spinner=False)
def _base(workspace: str, dataset_id: int, version: int, as_of: dt.date, ladder: SettingsKey,
          abc: SettingsKey, top_share: float, value: SettingsKey | None,
          drawn: tuple[object, ...] | None) -> pd.DataFrame:
    # the churn and portraits pages' own cache entries: the same model, scores and portraits
    scores = (None if value is None else
              churn_data._scored_customers(workspace, dataset_id, version, as_of, value))
    assignments = None
    if drawn is not None:
        portraits = portraits_data._fitted_portraits(*drawn)
        assignments = None if isinstance(portraits, str) else portraits.assignments
    return run(workspace, dataset_id, version, customer_base, as_of=as_of,
               ladder=from_key(LadderThresholds, ladder), abc=from_key(AbcXyzSettings, abc),
               top_share=top_share, scores=scores, portraits=assignments)


@cache_data(max_entries=8, show_spinner=False)
def _choices(workspace: str, dataset_id: int, version: int, as_of: dt.date, ladder: SettingsKey,
             abc: SettingsKey, top_share: float, value: SettingsKey | None,
             drawn: tuple[object, ...] | None) -> dict[str, list[str]]:
    return base_choices(_base(workspace, dataset_id, version, as_of, ladder, abc, top_share,
                              value, drawn))


def _select(con: duckdb.DuckDBPyConnection, dataset_id: int, frame: pd.DataFrame,
            segment: str, playbook: SettingsKey, ladder: SettingsKey,
            limit: int | None = None) -> pd.DataFrame:
    return segment_members(con, dataset_id, frame, Segment.from_json(segment),
                           ladder=from_key(LadderThresholds, ladder),
                           playbook=from_key(PlaybookSettings, playbook), limit=limit)


def _count(con: duckdb.DuckDBPyConnection, dataset_id: int, frame: pd.DataFrame,
           segment: str, playbook: SettingsKey, ladder: SettingsKey) -> SegmentSummary:
    return segment_count(con, dataset_id, frame, Segment.from_json(segment),
                         ladder=from_key(LadderThresholds, ladder),
                         playbook=from_key(PlaybookSettings, playbook))


@cache_data(max_entries=32, show_spinner=False)
def _members(workspace: str, dataset_id: int, version: int, as_of: dt.date, ladder: SettingsKey,
             abc: SettingsKey, top_share: float, value: SettingsKey | None,
             drawn: tuple[object, ...] | None, segment: tuple[str, SettingsKey]) -> pd.DataFrame:
    frame = _base(workspace, dataset_id, version, as_of, ladder, abc, top_share, value, drawn)
    return run(workspace, dataset_id, version, _select, frame, segment[0], segment[1], ladder)


@cache_data(max_entries=32, show_spinner=False)
def _preview(workspace: str, dataset_id: int, version: int, as_of: dt.date, ladder: SettingsKey,
             abc: SettingsKey, top_share: float, value: SettingsKey | None,
             drawn: tuple[object, ...] | None, segment: tuple[str, SettingsKey],
             limit: int) -> pd.DataFrame:
    frame = _base(workspace, dataset_id, version, as_of, ladder, abc, top_share, value, drawn)
    return run(workspace, dataset_id, version, _select, frame, segment[0], segment[1], ladder,
               limit)


@cache_data(max_entries=64, show_spinner=False)
def _summary(workspace: str, dataset_id: int, version: int, as_of: dt.date, ladder: SettingsKey,
             abc: SettingsKey, top_share: float, value: SettingsKey | None,
             drawn: tuple[object, ...] | None,
             segment: tuple[str, SettingsKey]) -> SegmentSummary:
    frame = _base(workspace, dataset_id, version, as_of, ladder, abc, top_share, value, drawn)
    return run(workspace, dataset_id, version, _count, frame, segment[0], segment[1], ladder)


@cache_data(max_entries=16, show_spinner=False)
def _campaign(workspace: str, dataset_id: int, version: int, as_of: dt.date,
              ladder: SettingsKey, abc: SettingsKey, top_share: float,
              value: SettingsKey | None, drawn: tuple[object, ...] | None,
              segment: tuple[str, SettingsKey], audience: str,
              options: SettingsKey) -> CampaignList:
    chosen = _members(workspace, dataset_id, version, as_of, ladder, abc, top_share, value,
                      drawn, segment)
    rate = run(workspace, dataset_id, version, baseline_rate, as_of=as_of,
               window_days=DEFAULT_WINDOW_DAYS)
    return campaign_list(chosen, audience, from_key(ExportOptions, options), as_of=as_of,
                         baseline_rate=rate)


@cache_data(max_entries=8, show_spinner=False)
def _again(workspace: str, dataset_id: int, version: int, export_id: int,
           as_of: dt.date) -> tuple[CampaignList, Rules] | str:
    try:
        return run(workspace, dataset_id, version, list_again, export_id, as_of=as_of)
    except (store.ExportNotFound, ValueError) as exc:
        return str(exc)


@cache_data(max_entries=32, show_spinner=False)
def _readout(workspace: str, dataset_id: int, version: int, export_id: int,
             window_days: int) -> Uplift | str:
    try:
        return run(workspace, dataset_id, version, uplift, export_id, window_days=window_days)
    except (store.ExportNotFound, ValueError) as exc:
        return str(exc)
