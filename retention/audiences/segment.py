"""The segment builder: an audience defined by any combination of conditions on the base.

A :class:`Segment` is a plain, JSON-serialisable definition — saved with an audience and
re-applied to newer data with the same rules. Every condition is optional and they combine with
AND; a condition left empty selects everyone. Ranges include both ends. The conditions:

* ``playbook``: one of the playbook audiences (:mod:`retention.audiences.playbook`);
* ``steps``: ladder steps (``vocabulary.STEPS``); ``dropped_start`` / ``dropped_end``: movers,
  customers whose ladder step on ``dropped_end`` is lower than on ``dropped_start``
  (:func:`retention.metrics.ladder.migration_customers`, direction "down");
* ``cells``: ABC/XYZ cells ("AX" …); ``portraits``: portrait numbers, as the portraits
  page numbers them (1 = the largest) — a number names whichever portrait holds it when the
  portraits are drawn again, so a saved segment on portraits follows the portraits' settings;
* ``risk_groups``: churn-risk group keys; ``p_alive_min`` / ``p_alive_max``;
* ``recency_min`` / ``recency_max`` (days since the last order), ``orders_min`` /
  ``orders_max`` (frequency), ``revenue_min`` / ``revenue_max`` (net revenue to date);
* ``cities``, ``channels`` (the main channel), ``categories`` (the top category);
* ``birthday_days``: a birthday within the next N days after D;
* ``consent``: only customers with the opt-in for this channel ("email" or "sms").

Conditions on P(alive) and risk groups need a fitted model, portraits the fitted portraits: a
segment that uses them without one raises ValueError rather than selecting nobody.

:func:`segment_members` runs one fixed SQL statement over the base with the definition's values
bound as parameters; :func:`segment_summary` is the builder's live count and expected value.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, fields
from typing import Any

import duckdb
import pandas as pd

from retention.audiences.base import DEFAULT_LADDER
from retention.audiences.contacts import check_channel
from retention.audiences.playbook import (
    DEFAULT_PLAYBOOK,
    PLAYBOOK_CONDITION,
    PLAYBOOK_LABELS,
    PlaybookSettings,
    check_playbook,
    playbook_reasons,
)
from retention.i18n import t
from retention.metrics.abc_xyz import CELLS
from retention.metrics.ladder import LadderThresholds, migration_customers
from retention.models.churn import RISK_GROUP_BY_KEY
from retention.vocabulary import STEPS

_TUPLES = ("steps", "cells", "portraits", "risk_groups", "cities", "channels", "categories")
_DATES = ("dropped_start", "dropped_end")


@dataclass(frozen=True)
class Segment:
    """An audience's definition; see the module docstring for each condition."""

    playbook: str | None = None
    steps: tuple[str, ...] = ()
    dropped_start: dt.date | None = None
    dropped_end: dt.date | None = None
    cells: tuple[str, ...] = ()
    portraits: tuple[int, ...] = ()
    risk_groups: tuple[str, ...] = ()
    p_alive_min: float | None = None
    p_alive_max: float | None = None
    recency_min: int | None = None
    recency_max: int | None = None
    orders_min: int | None = None
    orders_max: int | None = None
    revenue_min: float | None = None
    revenue_max: float | None = None
    cities: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    birthday_days: int | None = None
    consent: str | None = None

    def __post_init__(self) -> None:
        for name in _TUPLES:
            object.__setattr__(self, name, tuple(getattr(self, name)))
        if self.playbook is not None:
            check_playbook(self.playbook)
        unknown = [s for s in self.steps if s not in STEPS]
        unknown += [c for c in self.cells if c not in CELLS]
        unknown += [g for g in self.risk_groups if g not in RISK_GROUP_BY_KEY]
        if unknown:
            raise ValueError(t("A segment cannot use {values}: not a ladder step, ABC/XYZ cell "
                               "or risk group.", values=", ".join(map(repr, unknown))))
        if (self.dropped_start is None) != (self.dropped_end is None):
            raise ValueError(t("Movers need both dates: the one they dropped from and the one "
                               "they dropped by."))
        if self.dropped_start and self.dropped_end and self.dropped_start > self.dropped_end:
            raise ValueError(t("The movers' first date must be on or before the second."))
        for low, high in (("p_alive_min", "p_alive_max"), ("recency_min", "recency_max"),
                          ("orders_min", "orders_max"), ("revenue_min", "revenue_max")):
            lo, hi = getattr(self, low), getattr(self, high)
            if lo is not None and hi is not None and lo > hi:
                raise ValueError(t("A range's lower end ({low}) is above its upper end "
                                   "({high}).", low=lo, high=hi))
        if self.birthday_days is not None and not 1 <= self.birthday_days <= 366:
            raise ValueError(t("A birthday window is 1 to 366 days, not {days}.",
                               days=self.birthday_days))
        if self.consent is not None:
            check_channel(self.consent)

    @property
    def needs_model(self) -> bool:
        """Whether the segment reads P(alive) or risk groups (win-back reads them when a
        model is there, and falls back to order gaps without one)."""
        return bool(self.risk_groups) or self.p_alive_min is not None or (
            self.p_alive_max is not None)

    def as_json(self) -> str:
        """The definition as JSON text (dates as YYYY-MM-DD, empty conditions left out)."""
        values = {key: value for key, value in asdict(self).items()
                  if value not in (None, ())}
        for key in _DATES:
            if key in values:
                values[key] = values[key].isoformat()
        for key in _TUPLES:
            if key in values:
                values[key] = list(values[key])
        return json.dumps(values, sort_keys=True, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Segment:
        """The segment :meth:`as_json` wrote (unknown keys ignored)."""
        raw = json.loads(text)
        names = {f.name for f in fields(cls)}
        values: dict[str, Any] = {key: value for key, value in raw.items() if key in names}
        for key in _DATES:
            if values.get(key) is not None:
                values[key] = dt.date.fromisoformat(values[key])
        for key in _TUPLES:
            if key in values:
                values[key] = tuple(values[key])
        return cls(**values)

    def describe(self) -> str:
        """The conditions in words, for the export's reason column and the page."""
        parts: list[str] = []
        if self.playbook:
            parts.append(t(PLAYBOOK_LABELS[self.playbook]))
        if self.steps:
            parts.append(t("ladder step {steps}", steps=", ".join(self.steps)))
        if self.dropped_start and self.dropped_end:
            parts.append(t("dropped a step between {start} and {end}",
                           start=self.dropped_start.isoformat(),
                           end=self.dropped_end.isoformat()))
        for values, label in ((self.cells, "ABC/XYZ {values}"),
                              (self.portraits, "portrait {values}"),
                              (self.risk_groups, "risk group {values}"),
                              (self.cities, "city {values}"),
                              (self.channels, "channel {values}"),
                              (self.categories, "category {values}")):
            if values:
                parts.append(t(label, values=", ".join(map(str, values))))
        for low, high, label in ((self.p_alive_min, self.p_alive_max, "P(alive)"),
                                 (self.recency_min, self.recency_max, "days since last order"),
                                 (self.orders_min, self.orders_max, "orders"),
                                 (self.revenue_min, self.revenue_max, "net revenue")):
            if low is not None or high is not None:
                parts.append(t("{what} {low}–{high}", what=t(label),
                               low="" if low is None else f"{low:g}",
                               high="" if high is None else f"{high:g}"))
        if self.birthday_days is not None:
            parts.append(t("birthday within {days} days", days=self.birthday_days))
        if self.consent:
            parts.append(t("{channel} consent", channel=self.consent))
        return "; ".join(parts) or t("every buyer")


# One statement for every segment: each condition is skipped when its parameter is NULL.
_MEMBERS = f"""
    select b.*
    from audience_base b
    where ({PLAYBOOK_CONDITION})
      and ($steps is null or list_contains($steps, b.step))
      and (not $movers or b.customer_id in (select customer_id from audience_movers))
      and ($cells is null or list_contains($cells, b.cell))
      and ($portraits is null or list_contains($portraits, b.portrait))
      and ($risk_groups is null or list_contains($risk_groups, b.risk_group))
      and ($p_alive_min is null or b.p_alive >= $p_alive_min)
      and ($p_alive_max is null or b.p_alive <= $p_alive_max)
      and ($recency_min is null or b.recency_days >= $recency_min)
      and ($recency_max is null or b.recency_days <= $recency_max)
      and ($orders_min is null or b.orders >= $orders_min)
      and ($orders_max is null or b.orders <= $orders_max)
      and ($revenue_min is null or b.net_revenue >= $revenue_min)
      and ($revenue_max is null or b.net_revenue <= $revenue_max)
      and ($cities is null or list_contains($cities, b.city))
      and ($channels is null or list_contains($channels, b.channel))
      and ($categories is null or list_contains($categories, b.top_category))
      and ($birthday_days is null or b.days_to_birthday between 1 and $birthday_days)
      and ($consent is null
           or ($consent = 'email' and coalesce(b.email_opt_in, false))
           or ($consent = 'sms' and coalesce(b.sms_opt_in, false)))
    order by b.customer_id
    limit $limit
"""


def _listed(values: tuple[Any, ...]) -> list[Any] | None:
    return list(values) if values else None


@contextmanager
def _selection(con: duckdb.DuckDBPyConnection, dataset_id: int, base: pd.DataFrame,
               segment: Segment, ladder: LadderThresholds, playbook: PlaybookSettings,
               ) -> Iterator[tuple[dict[str, Any], bool]]:
    """``base`` and the movers registered for :data:`_MEMBERS` on ``con``; yields the
    statement's parameters and whether the base has a model. Raises ValueError when the
    segment needs a model or portraits the base does not have."""
    has_model = bool(base["p_alive"].notna().any())
    if segment.needs_model and not has_model:
        raise ValueError(t("This segment uses P(alive) or churn-risk groups, which need a "
                           "fitted churn model; none could be fitted on this data."))
    if segment.portraits and not base["portrait"].notna().any():
        raise ValueError(t("This segment uses portraits, which have not been drawn for this "
                           "data."))
    movers = pd.DataFrame({"customer_id": pd.Series(dtype=object)})
    if segment.dropped_start is not None and segment.dropped_end is not None:
        movers = migration_customers(con, dataset_id, start=segment.dropped_start,
                                     end=segment.dropped_end, thresholds=ladder,
                                     direction="down")[["customer_id"]]
    conditions = {
        "playbook": segment.playbook, "has_model": has_model,
        "steps": _listed(segment.steps),
        "movers": segment.dropped_start is not None,
        "cells": _listed(segment.cells),
        "portraits": _listed(tuple(int(p) for p in segment.portraits)),
        "risk_groups": _listed(segment.risk_groups),
        "p_alive_min": segment.p_alive_min, "p_alive_max": segment.p_alive_max,
        "recency_min": segment.recency_min, "recency_max": segment.recency_max,
        "orders_min": segment.orders_min, "orders_max": segment.orders_max,
        "revenue_min": segment.revenue_min, "revenue_max": segment.revenue_max,
        "cities": _listed(segment.cities), "channels": _listed(segment.channels),
        "categories": _listed(segment.categories),
        "birthday_days": segment.birthday_days, "consent": segment.consent,
    }
    rules = playbook.params()
    # one statement binds both: a shared name would let one silently override the other
    assert not rules.keys() & conditions.keys(), rules.keys() & conditions.keys()
    con.register("audience_base", base)
    con.register("audience_movers", movers)
    try:
        yield {**rules, **conditions}, has_model
    finally:
        con.unregister("audience_base")
        con.unregister("audience_movers")


def segment_members(
    con: duckdb.DuckDBPyConnection,
    dataset_id: int,
    base: pd.DataFrame,
    segment: Segment,
    *,
    ladder: LadderThresholds = DEFAULT_LADDER,
    playbook: PlaybookSettings = DEFAULT_PLAYBOOK,
    limit: int | None = None,
) -> pd.DataFrame:
    """The rows of ``base`` (:func:`retention.audiences.base.customer_base`) that meet every
    condition of ``segment``, ordered by customer id, plus a ``reason`` column; the first
    ``limit`` of them only, when given (a preview).

    ``ladder`` is used for the movers (the base's own steps were computed with it); the base
    tells whether a model was fitted (P(alive) present). Raises ValueError when the segment
    needs a model or portraits the base does not have.
    """
    with _selection(con, dataset_id, base, segment, ladder, playbook) as (params, has_model):
        chosen = con.execute(_MEMBERS, {**params, "limit": limit}).fetchdf()
    chosen = chosen.astype(base.dtypes.to_dict())
    description = segment.describe()
    if segment.playbook is not None:
        reasons = playbook_reasons(segment.playbook, chosen, playbook, has_model)
        others = Segment(**{**asdict(segment), "playbook": None})
        if others != Segment():
            reasons = reasons + "; " + others.describe()
        chosen["reason"] = reasons
    else:
        chosen["reason"] = pd.Series(description, index=chosen.index, dtype=object)
    return chosen


def segment_count(
    con: duckdb.DuckDBPyConnection,
    dataset_id: int,
    base: pd.DataFrame,
    segment: Segment,
    *,
    ladder: LadderThresholds = DEFAULT_LADDER,
    playbook: PlaybookSettings = DEFAULT_PLAYBOOK,
) -> SegmentSummary:
    """:func:`segment_summary` of :func:`segment_members`, counted in DuckDB without bringing
    the members out: the builder's live numbers stay quick on a million buyers."""
    with _selection(con, dataset_id, base, segment, ladder, playbook) as (params, _):
        # fetchall, not fetchone: a result left open blocks the cursor's unregister
        (row,) = con.execute(
            f"select count(*), sum(predicted_clv), count(predicted_clv) from ({_MEMBERS})",
            {**params, "limit": None}).fetchall()
    customers, total, valued = int(row[0]), row[1], int(row[2])
    if not valued:
        return SegmentSummary(customers, None, None)
    return SegmentSummary(customers, float(total), float(total) / valued)


@dataclass(frozen=True)
class SegmentSummary:
    """The builder's live numbers: how many customers, and their predicted CLV in total and
    per customer who has one (None without a fitted model, or when nobody has one)."""

    customers: int
    expected_value: float | None
    value_per_customer: float | None


def segment_summary(members: pd.DataFrame) -> SegmentSummary:
    """Count and expected value (the sum of predicted CLV) of :func:`segment_members`' rows.

    Customers whose spend could not be modelled have no predicted CLV: the sum and the mean
    leave them out (counting them as 0 would understate the others), and both are None when
    nobody has one."""
    count = len(members)
    values = members["predicted_clv"].astype("Float64").dropna()
    if values.empty:
        return SegmentSummary(count, None, None)
    total = float(values.sum())
    return SegmentSummary(count, total, total / len(values))
