"""The loyalty simulator's data: the dataset's baseline and a programme's replay (DESIGN §7).

Both read the dataset, so both are cached: the baseline per as-of date, activity window and
the Retention & LTV page's margin (``ctx.saved.ltv``, P when the data has no cost column — the
same margin the LTV page shows); the replay per as-of date and programme, keyed by the
programme's text form (:meth:`LoyaltyProgramme.as_strings`, sorted), so a cache key is plain
text and a scenario saved or shared as text finds the same entry. The projection works on
these two and a few numbers and runs uncached (milliseconds).
"""

from __future__ import annotations

import datetime as dt

import streamlit as st

from retention.loyalty import LoyaltyProgramme
from retention.loyalty.baseline import Baseline, dataset_baseline
from retention.loyalty.replay import Replay, replay_programme
from retention.ui.context import Context
from retention.ui.data import SettingsKey, as_key, cache_data, cache_resource, from_key, run
from retention.ui.saved_settings import LtvSettings

ProgrammeKey = tuple[tuple[str, str], ...]


def baseline(ctx: Context) -> Baseline:
    """The dataset's baseline at the as-of date, with the saved margin where the data has no
    cost column."""
    return _baseline(*ctx.key, ctx.as_of, ctx.window_days, as_key(ctx.saved.ltv))


def replay(ctx: Context, programme: LoyaltyProgramme) -> Replay:
    """``programme`` replayed on the year of orders up to the as-of date."""
    key: ProgrammeKey = tuple(sorted(programme.as_strings().items()))
    return _replay(*ctx.key, ctx.as_of, key)


@cache_data(show_spinner=False, max_entries=64)
def _baseline(workspace: str, dataset_id: int, version: int, as_of: dt.date,
              window_days: int, settings: SettingsKey) -> Baseline:
    return run(workspace, dataset_id, version, dataset_baseline, as_of=as_of, window_days=window_days,
               default_margin=from_key(LtvSettings, settings).margin)


# A resource, not data: st.cache_data hands back a copy on every hit, and unpickling a
# replay's member table (a row per member, money as Decimal: 350,000 rows at 10M lines) took
# 0.6 s of every rerun. The replay is shared and read only: the page draws from it and
# derives tables with ``assign``, which copies.
@cache_resource(show_spinner=False, max_entries=16)
def _replay(workspace: str, dataset_id: int, version: int, as_of: dt.date,
            programme: ProgrammeKey) -> Replay:
    return run(workspace, dataset_id, version, replay_programme, LoyaltyProgramme.from_strings(
        dict(programme)), as_of=as_of)
