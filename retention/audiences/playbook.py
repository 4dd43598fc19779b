"""The playbook: ready-made audiences as of D (DESIGN §8), each a rule over the customer base.

* ``win-back``: the top 20% of customers by net revenue to date whose P(alive) < 0.3; without
  a fitted model, whose last order is more than 2× their median gap between orders ago (a
  customer with one order has no gap and is not in it).
* ``second-purchase``: one-time buyers whose only order is 20 to 60 days before D, both ends
  included.
* ``vip``: AX customers, or customers on the ladder step "loyal" or higher.
* ``birthday``: customers whose birthday falls in the next 14 days after D (D excluded; 29
  February counts on 28 February in other years).
* ``referral-ask``: loyal customers who are not advocates. When the data has no referral or NPS
  data, advocacy is unknown and every loyal customer is asked: nobody is known to have referred
  anyone yet.

The thresholds are settings (:class:`PlaybookSettings`, DESIGN's defaults). Each rule is a
fixed SQL condition over :func:`retention.audiences.base.customer_base`'s columns with bound
parameters, and a reason per customer that the export writes beside them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import pandas as pd

from retention.i18n import t

PLAYBOOK = ("win-back", "second-purchase", "vip", "birthday", "referral-ask")
PLAYBOOK_LABELS = {
    "win-back": "Win-back",
    "second-purchase": "Second-purchase nudge",
    "vip": "VIP thank-you",
    "birthday": "Birthday greetings",
    "referral-ask": "Referral ask",
}


@dataclass(frozen=True)
class PlaybookSettings:
    """The playbook's thresholds, with DESIGN §8's defaults.

    win_back_top_share: the share of buyers by net revenue to date that win-back looks at;
    win_back_p_alive: P(alive) under this is slipping; win_back_gap_multiple: without a model,
    days since the last order above this many median gaps; nudge_min_days / nudge_max_days: the
    days before D the one order lies in (both included); birthday_days: the days after D a
    birthday falls in; vip_cells: the ABC/XYZ cells that are VIP; vip_min_step: the ladder
    position from which a customer is VIP (4 = loyal).
    """

    win_back_top_share: float = 0.2
    win_back_p_alive: float = 0.3
    win_back_gap_multiple: float = 2.0
    nudge_min_days: int = 20
    nudge_max_days: int = 60
    birthday_days: int = 14
    vip_cells: tuple[str, ...] = ("AX",)
    vip_min_step: int = 4

    def __post_init__(self) -> None:
        problems = []
        if not 0 < self.win_back_top_share <= 1:
            problems.append(t("the win-back share must be above 0 and at most 1"))
        if not 0 < self.win_back_p_alive <= 1:
            problems.append(t("the P(alive) threshold must be above 0 and at most 1"))
        if self.win_back_gap_multiple <= 0:
            problems.append(t("the gap multiple must be above 0"))
        if not 0 <= self.nudge_min_days <= self.nudge_max_days:
            problems.append(t("the nudge's days must run from 0 up"))
        if not 1 <= self.birthday_days <= 366:
            problems.append(t("the birthday window must be 1 to 366 days"))
        if not 1 <= self.vip_min_step <= 5:
            problems.append(t("the VIP step must be 1 to 5"))
        if problems:
            raise ValueError(t("These playbook settings cannot be used: {problems}.",
                               problems="; ".join(problems)))

    def as_dict(self) -> dict[str, Any]:
        values = asdict(self)
        values["vip_cells"] = list(self.vip_cells)
        return values

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> PlaybookSettings:
        known = {key: value for key, value in values.items() if key in cls.__dataclass_fields__}
        if "vip_cells" in known:
            known["vip_cells"] = tuple(known["vip_cells"])
        return cls(**known)

    def params(self) -> dict[str, Any]:
        """The bound parameters of :data:`PLAYBOOK_CONDITION`."""
        return {"wb_p": float(self.win_back_p_alive),
                "wb_gaps": float(self.win_back_gap_multiple),
                "nudge_min": self.nudge_min_days, "nudge_max": self.nudge_max_days,
                "pb_birthday_days": self.birthday_days, "vip_cells": list(self.vip_cells),
                "vip_step": self.vip_min_step}


DEFAULT_PLAYBOOK = PlaybookSettings()

# Which playbook audience a base row (alias b) belongs to; $playbook is the audience's name or
# NULL for none, $has_model whether P(alive) comes from a fitted model. top_revenue was computed
# with win_back_top_share when the base was made.
PLAYBOOK_CONDITION = """
    case $playbook
        when 'win-back' then b.top_revenue and (
            case when $has_model then b.p_alive < $wb_p
                 else b.median_gap_days is not null
                      and b.recency_days > $wb_gaps * b.median_gap_days end)
        when 'second-purchase' then b.orders = 1
            and b.recency_days between $nudge_min and $nudge_max
        when 'vip' then coalesce(list_contains($vip_cells, b.cell), false)
            or coalesce(b.step_position >= $vip_step, false)
        when 'birthday' then b.days_to_birthday between 1 and $pb_birthday_days
        when 'referral-ask' then b.step = 'loyal'
        else true
    end
"""


def check_playbook(name: str) -> str:
    """``name`` when it is a playbook audience; ValueError with a sentence otherwise."""
    if name not in PLAYBOOK:
        raise ValueError(t("There is no playbook audience {name!r}; the playbook has {names}.",
                           name=name, names=", ".join(PLAYBOOK)))
    return name


def playbook_reasons(name: str, members: pd.DataFrame, settings: PlaybookSettings,
                     has_model: bool) -> pd.Series:
    """Why each member is in playbook audience ``name``: one sentence per row of ``members``
    (rows of the base that met the rule), aligned with its index."""
    def each(template: str, **columns: pd.Series) -> pd.Series:
        """``template`` (already translated) filled in from the columns, row by row."""
        rows = pd.DataFrame(columns, index=members.index)
        return pd.Series([template.format(**{str(k): v for k, v in row.items()})
                          for row in rows.to_dict("records")], index=members.index, dtype=object)

    share = f"{settings.win_back_top_share * 100:g}"
    if name == "win-back" and has_model:
        return each(t("top {share}% by revenue to date; P(alive) {p_alive} is under {limit}"),
                    share=pd.Series(share, index=members.index),
                    p_alive=members["p_alive"].astype(float).map("{:.2f}".format),
                    limit=pd.Series(f"{settings.win_back_p_alive:g}", index=members.index))
    if name == "win-back":
        return each(t("top {share}% by revenue to date; last order {days} days ago, over "
                    "{multiple}× their median gap of {gap} days"),
                    share=pd.Series(share, index=members.index),
                    days=members["recency_days"],
                    multiple=pd.Series(f"{settings.win_back_gap_multiple:g}",
                                       index=members.index),
                    gap=members["median_gap_days"].astype(float).map("{:g}".format))
    if name == "second-purchase":
        return each(t("one order so far, {days} days ago"), days=members["recency_days"])
    if name == "vip":
        in_cell = members["cell"].isin(list(settings.vip_cells)).to_numpy()
        cell_reason = each(t("ABC/XYZ cell {cell}"), cell=members["cell"])
        step_reason = each(t("ladder step {step}"), step=members["step"])
        return cell_reason.where(in_cell, step_reason)
    if name == "birthday":
        later = each(t("birthday in {days} days"), days=members["days_to_birthday"])
        tomorrow = (members["days_to_birthday"] == 1).to_numpy(dtype=bool)
        return later.where(~tomorrow, t("birthday tomorrow"))
    if name == "referral-ask":
        return pd.Series(t("loyal, not yet an advocate"), index=members.index, dtype=object)
    raise ValueError(check_playbook(name))
