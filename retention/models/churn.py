"""Churn risk and predicted customer value from the BG/NBD and Gamma-Gamma models.

The flow: ``btyd_summary`` (DuckDB) → :func:`fit_churn_model` (both models, weeks) →
:func:`customer_scores` (one row per customer, every number with its time unit in its name) →
small views for the page (:func:`risk_group_counts`, :func:`alive_heatmap`,
:func:`top_customers`, :func:`score_histogram`).

Time units: the models work in weeks (7 days); the summary and every output are in days or
months, and a month is 30.4375 days (365.25 / 12) everywhere.

The churn-risk groups are defined here once (:data:`RISK_GROUPS`, :func:`risk_group`), so the
ladder and audience pages can reuse exactly the same rules.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

from retention.i18n import N_, t
from retention.metrics.btyd_summary import btyd_summary
from retention.models.base import ModelFitError, distinct_rows
from retention.models.bgnbd import BetaGeoModel
from retention.models.gamma_gamma import GammaGammaModel

DAYS_PER_WEEK = 7.0
DAYS_PER_MONTH = 30.4375  # 365.25 / 12
PURCHASE_HORIZONS_DAYS = (30, 90, 365)
DEFAULT_MARGIN = 0.30
# Where a customer's spend per purchase comes from (customer_scores' spend_basis).
SPEND_BASES = ("own history", "average customer", "unknown")
# Above this share of one-time buyers, BG/NBD's "everyone who bought once is alive" dominates.
ONE_TIME_WARNING_SHARE = 0.5


@dataclass(frozen=True)
class ValueSettings:
    """How predicted customer value (CLV) is computed.

    ``margin``: share of revenue kept as profit (0–1); ``monthly_discount``: the rate money
    a month later is discounted by (0.01 = 1% a month); ``horizon_months``: how far ahead.
    """

    margin: float = DEFAULT_MARGIN
    monthly_discount: float = 0.01
    horizon_months: int = 12

    def __post_init__(self) -> None:
        if not 0 <= self.margin <= 1:
            raise ValueError(t("The margin must be between 0% and 100%."))
        if not 0 <= self.monthly_discount < 1:
            raise ValueError(t("The monthly discount rate must be between 0% and 100%."))
        if not 1 <= self.horizon_months <= 120:
            raise ValueError(t("The horizon must be between 1 and 120 months."))


# -- churn-risk groups: the one definition ------------------------------------------------------


@dataclass(frozen=True)
class RiskThresholds:
    """Where the churn-risk groups split.

    ``slipping_below``: P(alive) under this means probably gone; ``active_from``: P(alive) at
    or above this means probably still buying; ``top_value_share``: the share of customers,
    ranked by net revenue to date, that counts as "valuable" (the Pareto 20%).
    """

    slipping_below: float = 0.3
    active_from: float = 0.7
    top_value_share: float = 0.2


@dataclass(frozen=True)
class RiskGroup:
    """One churn-risk group: its key, a label and a one-line explanation for a marketer."""

    key: str
    label: str
    description: str


# In the order pages list them; which rule wins for a customer is in risk_group.
RISK_GROUPS: tuple[RiskGroup, ...] = (
    RiskGroup("valuable_slipping", N_("Valuable and slipping"),
              N_("Among your most valuable customers by revenue so far, but probably no longer "
              "buying (P(alive) under {slipping}). Call them this week.")),
    RiskGroup("valuable_active", N_("Valuable and active"),
              N_("Among your most valuable customers and probably still buying (P(alive) "
              "{active} or more). Keep them happy; reward them.")),
    RiskGroup("one_time", N_("Bought once"),
              N_("One purchase so far. The model cannot tell yet whether they will come back; a "
              "second purchase is the step to encourage.")),
    RiskGroup("lost", N_("Probably lost"),
              N_("Bought more than once, but have been quiet for much longer than their habit "
              "(P(alive) under {slipping}).")),
    RiskGroup("at_risk", N_("At risk"),
              N_("Quieter than usual for them (P(alive) between {slipping} and {active}): a "
              "reminder now may bring them back.")),
    RiskGroup("active", N_("Active"),
              N_("Buying at their usual pace (P(alive) {active} or more).")),
)
RISK_GROUP_BY_KEY = {group.key: group for group in RISK_GROUPS}


def risk_group_description(key: str, thresholds: RiskThresholds = RiskThresholds()) -> str:
    """The group's explanation with the thresholds filled in, translated."""
    return t(RISK_GROUP_BY_KEY[key].description, slipping=f"{thresholds.slipping_below:g}",
             active=f"{thresholds.active_from:g}")


def risk_group(
    p_alive: pd.Series | np.ndarray,
    repeat_purchases: pd.Series | np.ndarray,
    net_revenue: pd.Series | np.ndarray,
    thresholds: RiskThresholds = RiskThresholds(),
) -> pd.Categorical[str]:
    """Each customer's churn-risk group key, as a categorical whose categories are the
    :data:`RISK_GROUPS` keys in order (cheap to hold and group for millions of customers).

    "Valuable" = the top ``top_value_share`` of customers by net revenue to date (ties at the
    cut all count; revenue must be positive). Rules, first match wins: one purchase only →
    one_time (BG/NBD gives them P(alive) = 1, which says nothing about them); valuable and
    P(alive) < slipping → valuable_slipping; valuable and P(alive) ≥ active →
    valuable_active; P(alive) < slipping → lost; P(alive) < active → at_risk; otherwise
    active.
    """
    p = np.asarray(p_alive, dtype=float)
    x = np.asarray(repeat_purchases, dtype=float)
    revenue = np.asarray(net_revenue, dtype=float)
    valuable = np.zeros(len(p), dtype=bool)
    top = int(np.ceil(thresholds.top_value_share * len(p)))
    if top > 0:
        cut = np.partition(revenue, len(revenue) - top)[len(revenue) - top]
        valuable = (revenue >= cut) & (revenue > 0)
    slipping = p < thresholds.slipping_below
    active = p >= thresholds.active_from
    once = x == 0
    rules = [  # (condition, group) in priority order
        (once, "one_time"),
        (valuable & slipping, "valuable_slipping"),
        (valuable & active, "valuable_active"),
        (slipping, "lost"),
        (~active, "at_risk"),
    ]
    keys = [group.key for group in RISK_GROUPS]
    codes = np.select([c for c, _ in rules], [keys.index(k) for _, k in rules],
                      default=keys.index("active"))
    return pd.Categorical.from_codes(codes, categories=pd.Index(keys))


# -- fitting ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChurnModel:
    """Both models fitted on one dataset up to ``calibration_end``, with the summary they
    learned from (days; see ``retention.metrics.btyd_summary``).

    ``gamma_gamma`` is None when spend could not be modelled; ``spend_note`` then says why.
    """

    calibration_end: dt.date
    summary: pd.DataFrame
    bgnbd: BetaGeoModel
    gamma_gamma: GammaGammaModel | None
    spend_note: str | None = None

    @property
    def one_time_share(self) -> float:
        """Share of customers with no repeat purchase up to the calibration end."""
        return float((self.summary["x"] == 0).mean()) if len(self.summary) else 0.0

    def parameters(self) -> dict[str, object]:
        """The ``fit`` command's JSON: {bgnbd: {r, alpha, a, b, loglik}, gamma_gamma: {p, q, v,
        loglik, customers} or null, customers, calibration_end, time_unit}."""
        bg = self.bgnbd
        gg = self.gamma_gamma
        return {
            "bgnbd": {"r": bg.r_, "alpha": bg.alpha_, "a": bg.a_, "b": bg.b_,
                      "loglik": bg.loglik_},
            "gamma_gamma": None if gg is None else {
                "p": gg.p_, "q": gg.q_, "v": gg.v_, "loglik": gg.loglik_,
                "customers": int(gg.customers_)},
            "customers": len(self.summary),
            "calibration_end": self.calibration_end,
            "time_unit": "week",
        }


def in_weeks(days: pd.Series | np.ndarray) -> np.ndarray:
    """Whole days as the models' weeks."""
    return np.asarray(days, dtype=float) / DAYS_PER_WEEK


def fit_summary(
    summary: pd.DataFrame, *, l2: float = 0.0
) -> tuple[BetaGeoModel, GammaGammaModel | None, str | None]:
    """Fit BG/NBD on every customer of ``summary`` and Gamma-Gamma on its repeat buyers with
    m > 0. Returns (bgnbd, gamma_gamma or None, why gamma_gamma is None). Raises
    ModelFitError when BG/NBD cannot be fitted."""
    bgnbd = BetaGeoModel(l2=l2).fit(
        summary["x"], in_weeks(summary["t_x_days"]), in_weeks(summary["T_days"])
    )
    repeat = summary[(summary["x"] > 0) & (summary["m"] > 0)]
    try:
        gamma_gamma: GammaGammaModel | None = GammaGammaModel(l2=l2).fit(repeat["x"],
                                                                         repeat["m"])
        note = None
    except ModelFitError as exc:
        gamma_gamma, note = None, str(exc)
    return bgnbd, gamma_gamma, note


def fit_churn_model(
    con: duckdb.DuckDBPyConnection,
    dataset_id: int,
    *,
    calibration_end: dt.date,
    l2: float = 0.0,
) -> ChurnModel:
    """Summarise the dataset up to ``calibration_end`` in SQL and fit both models."""
    summary = btyd_summary(con, dataset_id, calibration_end=calibration_end)
    if summary.empty:
        raise ModelFitError(t(
            "There are no purchases on or before {day}, so there is nothing to fit.",
            day=calibration_end.isoformat()))
    bgnbd, gamma_gamma, note = fit_summary(summary, l2=l2)
    return ChurnModel(calibration_end, summary, bgnbd, gamma_gamma, note)


def default_margin(
    con: duckdb.DuckDBPyConnection, dataset_id: int, *, as_of: dt.date
) -> tuple[float, str]:
    """DESIGN §4's margin: (margin, basis). With ``cost`` mapped, 1 − Σ cost / Σ amount over
    the purchase lines up to ``as_of`` that carry a cost (cost read as the line's total cost,
    like amount), kept within 0–100%; basis 'cost'. Otherwise 30%, basis 'default'."""
    row = con.execute(
        """
        select sum(amount)::double, sum(cost)::double
        from transactions
        where dataset_id = $ds and not is_return and cost is not null
          and date < $as_of::date + interval 1 day
        """,
        {"ds": dataset_id, "as_of": as_of},
    ).fetchone()
    revenue, cost = (row or (None, None))
    if revenue is None or cost is None or revenue <= 0:
        return DEFAULT_MARGIN, "default"
    return float(min(max(1.0 - cost / revenue, 0.0), 1.0)), "cost"


# -- per customer -------------------------------------------------------------------------------


def customer_scores(
    model: ChurnModel,
    *,
    value: ValueSettings = ValueSettings(),
    thresholds: RiskThresholds = RiskThresholds(),
) -> pd.DataFrame:
    """One row per customer of the model's summary, ordered by customer_id.

    Columns: customer_id, repeat_purchases (x), first_purchase, last_purchase,
    days_since_first_purchase (T), days_since_last_purchase (T − t_x), net_revenue (to the
    calibration end), avg_repeat_spend (m; NaN when x = 0), p_alive (0–1, at the calibration
    end), purchases_next_30_days, purchases_next_90_days, purchases_next_365_days (expected),
    spend_per_purchase (Gamma-Gamma expectation; the average customer's for one-time buyers and
    those whose returns cancel their purchases; NaN when spend could not be modelled),
    spend_basis ('own history', 'average customer' or 'unknown'), purchases_in_horizon
    (expected within value.horizon_months months), predicted_clv (margin × spend × purchases
    in each month of the horizon, month i discounted by (1 + monthly_discount)^i), risk_group.

    Predictions are computed once per distinct (x, t_x, T) and spread to the customers who
    share it, so a million customers cost what their few hundred thousand patterns cost.
    """
    summary = model.summary
    bg = model.bgnbd
    keys = summary[["x", "t_x_days", "T_days"]].to_numpy(dtype=float)
    patterns, inverse = distinct_rows(keys)
    x, t_x, T = patterns[:, 0], in_weeks(patterns[:, 1]), in_weeks(patterns[:, 2])

    out = pd.DataFrame({
        "customer_id": summary["customer_id"].to_numpy(),
        "repeat_purchases": summary["x"].to_numpy(),
        "first_purchase": summary["first_purchase"].to_numpy(),
        "last_purchase": summary["last_purchase"].to_numpy(),
        "days_since_first_purchase": summary["T_days"].to_numpy(),
        "days_since_last_purchase": (summary["T_days"] - summary["t_x_days"]).to_numpy(),
        "net_revenue": summary["net_revenue"].to_numpy(dtype=float),
        "avg_repeat_spend": summary["m"].to_numpy(dtype=float),
    })
    out["p_alive"] = bg.probability_alive(x, t_x, T)[inverse]
    for days in PURCHASE_HORIZONS_DAYS:
        out[f"purchases_next_{days}_days"] = bg.expected_purchases(
            days / DAYS_PER_WEEK, x, t_x, T)[inverse]

    if model.gamma_gamma is not None:
        spend = model.gamma_gamma.expected_spend(out["repeat_purchases"], out["avg_repeat_spend"])
        own = (out["repeat_purchases"] > 0) & (out["avg_repeat_spend"] > 0)
        basis = np.where(np.isfinite(spend), np.where(own, 0, 1), 2)
    else:
        spend = np.full(len(out), np.nan)
        basis = np.full(len(out), 2)
    out["spend_per_purchase"] = spend
    out["spend_basis"] = pd.Categorical.from_codes(basis, categories=pd.Index(SPEND_BASES))

    monthly, discounted = _monthly_purchases(bg, x, t_x, T, value)
    out["purchases_in_horizon"] = monthly[inverse]
    out["predicted_clv"] = value.margin * out["spend_per_purchase"] * discounted[inverse]
    out["risk_group"] = risk_group(out["p_alive"], out["repeat_purchases"], out["net_revenue"],
                                   thresholds)
    return out


def _monthly_purchases(
    bg: BetaGeoModel, x: np.ndarray, t_x: np.ndarray, T: np.ndarray, value: ValueSettings
) -> tuple[np.ndarray, np.ndarray]:
    """(expected purchases within the horizon, the same with month i discounted by
    (1 + d)^i) per pattern."""
    previous = np.zeros(len(x))
    discounted = np.zeros(len(x))
    for month in range(1, value.horizon_months + 1):
        weeks = month * DAYS_PER_MONTH / DAYS_PER_WEEK
        cumulative = bg.expected_purchases(weeks, x, t_x, T)
        discounted += (cumulative - previous) / (1.0 + value.monthly_discount) ** month
        previous = cumulative
    return previous, discounted


# -- small views for the page -------------------------------------------------------------------


def risk_group_counts(scores: pd.DataFrame) -> pd.DataFrame:
    """One row per risk group in :data:`RISK_GROUPS` order, empty groups included.

    Columns: risk_group, label, customers, share (of all customers), mean_p_alive,
    net_revenue (to date), predicted_clv (sum over the group), purchases_next_90_days (sum).
    """
    grouped = scores.groupby("risk_group", observed=False).agg(
        customers=("customer_id", "size"),
        mean_p_alive=("p_alive", "mean"),
        net_revenue=("net_revenue", "sum"),
        predicted_clv=("predicted_clv", lambda s: s.sum(min_count=1)),
        purchases_next_90_days=("purchases_next_90_days", "sum"),
    )
    keys = [group.key for group in RISK_GROUPS]
    frame = grouped.reindex(keys).reset_index(names="risk_group")
    frame["customers"] = frame["customers"].fillna(0).astype(int)
    frame["net_revenue"] = frame["net_revenue"].fillna(0.0)
    frame["purchases_next_90_days"] = frame["purchases_next_90_days"].fillna(0.0)
    frame.insert(1, "label", [t(RISK_GROUP_BY_KEY[k].label) for k in keys])
    total = max(len(scores), 1)
    frame.insert(3, "share", frame["customers"] / total)
    return frame


RECENCY_BINS_DAYS = (0, 30, 90, 180, 365, 730)
FREQUENCY_BINS = (0, 1, 2, 3, 4, 6, 10)


def alive_heatmap(scores: pd.DataFrame) -> pd.DataFrame:
    """Mean P(alive) over days since the last purchase × repeat purchases, tidy.

    Columns: recency (label such as "31–90 days"), recency_order, frequency (label such as
    "2" or "4–5" or "10+"), frequency_order, customers, mean_p_alive. Only cells with customers.
    """
    recency_edges = [*RECENCY_BINS_DAYS, np.inf]
    recency_labels = [
        f"{lo}–{hi} " + t("days") if lo == 0 else f"{lo + 1}–{hi} " + t("days")
        for lo, hi in zip(RECENCY_BINS_DAYS[:-1], RECENCY_BINS_DAYS[1:], strict=True)
    ] + [t("over {days} days", days=RECENCY_BINS_DAYS[-1])]
    frequency_edges = [*FREQUENCY_BINS, np.inf]
    frequency_labels = [
        str(lo) if hi - lo == 1 else f"{lo}–{int(hi) - 1}"
        for lo, hi in zip(FREQUENCY_BINS[:-1], FREQUENCY_BINS[1:], strict=True)
    ] + [f"{FREQUENCY_BINS[-1]}+"]
    recency_code = np.searchsorted(recency_edges, scores["days_since_last_purchase"],
                                   side="left")
    recency_code = np.clip(recency_code - 1, 0, len(recency_labels) - 1)
    # 0 days falls in the first bin too (searchsorted puts it at index 0)
    frequency_code = np.searchsorted(frequency_edges, scores["repeat_purchases"], side="right")
    frequency_code = np.clip(frequency_code - 1, 0, len(frequency_labels) - 1)
    cells = pd.DataFrame({"recency_order": recency_code, "frequency_order": frequency_code,
                          "p_alive": scores["p_alive"].to_numpy()})
    grouped = cells.groupby(["recency_order", "frequency_order"]).agg(
        customers=("p_alive", "size"), mean_p_alive=("p_alive", "mean")).reset_index()
    grouped["recency"] = [recency_labels[i] for i in grouped["recency_order"]]
    grouped["frequency"] = [frequency_labels[i] for i in grouped["frequency_order"]]
    return grouped[["recency", "recency_order", "frequency", "frequency_order", "customers",
                    "mean_p_alive"]]


def top_customers(scores: pd.DataFrame, n: int = 50) -> pd.DataFrame:
    """The ``n`` customers with the highest predicted CLV (ties by customer_id), all columns;
    none when value is unknown."""
    # nlargest first: sorting a million rows by two keys costs a second, n rows nothing
    candidates = scores.nlargest(n, "predicted_clv", keep="all")
    ranked = candidates.sort_values(["predicted_clv", "customer_id"], ascending=[False, True])
    return ranked.head(n).reset_index(drop=True)


def score_histogram(scores: pd.DataFrame, column: str, bins: int = 20) -> pd.DataFrame:
    """Counts of ``column`` in ``bins`` equal-width bins (P(alive) uses 0–1; others span their
    1st–99th percentile, with the tails folded into the end bins so outliers don't flatten it).

    Columns: lower, upper, customers.
    """
    values = scores[column].to_numpy(dtype=float)
    values = values[np.isfinite(values)]
    if len(values) == 0:
        return pd.DataFrame({"lower": [], "upper": [], "customers": []})
    if column == "p_alive":
        lo, hi = 0.0, 1.0
    else:
        lo, hi = (float(v) for v in np.quantile(values, [0.01, 0.99]))
        if hi <= lo:
            lo, hi = float(values.min()), float(values.max()) + 1e-9
    counts, edges = np.histogram(np.clip(values, lo, hi), bins=bins, range=(lo, hi))
    return pd.DataFrame({"lower": edges[:-1], "upper": edges[1:], "customers": counts})
