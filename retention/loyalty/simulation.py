"""One programme on one dataset, end to end: baseline, replay, projection, break-even uplift.

:meth:`Simulation.as_json` is the ``python -m retention loyalty`` contract (DESIGN §7). Money in
the replay is Decimal; the JSON turns it into floats at full precision, as every command's
numbers are.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import duckdb

from retention.loyalty.baseline import Baseline, dataset_baseline
from retention.loyalty.programme import LoyaltyProgramme
from retention.loyalty.projection import Projection, break_even_retention_uplift, project
from retention.loyalty.replay import Replay, replay_programme
from retention.metrics.ltv import DEFAULT_MARGIN


@dataclass(frozen=True)
class Simulation:
    """One programme on one dataset: its baseline, replay, projection and break-even
    retention uplift (None when there is none)."""

    baseline: Baseline
    replay: Replay
    projection: Projection
    break_even_retention_uplift: float | None

    def as_json(self) -> dict[str, Any]:
        """DESIGN §7's object: baseline, replay (its totals, plus ``candidates``),
        projection (the months), incremental_profit, payback_month, roi,
        break_even_retention_uplift — and member_ltv_before / member_ltv_after."""
        return {
            "baseline": self.baseline.as_dict(),
            "replay": {**self.replay.totals, "candidates": self.replay.candidates},
            "projection": self.projection.months_json(),
            "incremental_profit": self.projection.incremental_profit,
            "payback_month": self.projection.payback_month,
            "roi": self.projection.roi,
            "break_even_retention_uplift": self.break_even_retention_uplift,
            "member_ltv_before": self.projection.member_ltv_before,
            "member_ltv_after": self.projection.member_ltv_after,
        }


def simulate(
    con: duckdb.DuckDBPyConnection,
    dataset_id: int,
    programme: LoyaltyProgramme,
    *,
    as_of: dt.date,
    window_days: int = 90,
    default_margin: float = DEFAULT_MARGIN,
    baseline: Baseline | None = None,
) -> Simulation:
    """Replay and project ``programme`` on the dataset as of ``as_of``. ``baseline`` replaces
    the measured one (the page's edited values). Raises ValueError when a baseline value the
    projection needs is unknown."""
    baseline = baseline or dataset_baseline(con, dataset_id, as_of=as_of,
                                            window_days=window_days,
                                            default_margin=default_margin)
    return from_replay(baseline, programme,
                       replay_programme(con, dataset_id, programme, as_of=as_of))


def from_replay(baseline: Baseline, programme: LoyaltyProgramme, replay: Replay) -> Simulation:
    """The projection and break-even uplift of ``programme`` on a replay already made (the
    page caches replays, and projects them again on edited baselines). Raises ValueError when
    a baseline value the projection needs is unknown."""
    share = replay.redeemable_share
    return Simulation(
        baseline=baseline,
        replay=replay,
        projection=project(baseline, programme, share),
        break_even_retention_uplift=break_even_retention_uplift(baseline, programme, share),
    )
