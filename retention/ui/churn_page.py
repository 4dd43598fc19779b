"""The churn-risk page: who is slipping away, and what each customer is likely to be worth.

Caching, and why it is split in three:

* ``fitted_model`` (``st.cache_resource``) — the fitted BG/NBD and Gamma-Gamma models with the
  summary they learned from, per (workspace, dataset, version, calibration end). Fitting takes
  a second or more on a big dataset; the value and the page's settings never refit it.
* ``scored_customers`` (``st.cache_resource``) — one row per customer, possibly millions, so it
  is shared rather than copied on every read (``st.cache_data`` would pickle it each time).
  It is never modified: readers filter or copy.
* ``page_views`` / ``backtest_views`` (``st.cache_data``) — the small tables the page draws.

Every key is plain values (workspace path, dataset id, version, dates, numbers, language).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pandas as pd
import streamlit as st

from retention.charts import churn as charts
from retention.export import Column, TableSpec
from retention.formatting import format_count, format_percent
from retention.i18n import current_language, t
from retention.models import (
    DAYS_PER_MONTH,
    ONE_TIME_WARNING_SHARE,
    RISK_GROUPS,
    ChurnModel,
    ModelFitError,
    RiskThresholds,
    ValueSettings,
    alive_heatmap,
    customer_scores,
    default_margin,
    default_split,
    fit_churn_model,
    risk_group_counts,
    risk_group_description,
    run_backtest,
    score_histogram,
    top_customers,
)
from retention.store import open_workspace
from retention.ui.context import Context
from retention.ui.data import frame as frame_data
from retention.ui.frame import DATA_PAGE
from retention.ui.text import format_day, md_escape
from retention.ui.widgets import download_buttons, money_metric, show_table, table_spec

NAMESPACE = "churn"
MARGIN_KEY = "churn_margin_percent"
DISCOUNT_KEY = "churn_discount_percent"
HORIZON_KEY = "churn_horizon_months"
GROUP_KEY = "churn_group"
BACKTEST_KEY = "churn_backtest"
_SETTINGS_FOR_KEY = "_churn_settings_dataset_id"
HORIZONS = (3, 6, 12, 24, 36, 60)
TOP_N = 50
GROUP_ROWS = 200
DEFAULT_DISCOUNT = 0.01
DEFAULT_HORIZON = 12


# -- cached domain calls ------------------------------------------------------------------------


# Tried when the plain fit does not settle: enough to keep estimates finite, small enough to
# cost little likelihood (on CDNOW: −9582.71 instead of −9582.43).
FALLBACK_L2 = 0.001


@dataclass(frozen=True)
class FitOutcome:
    """A fitted model, or the sentence saying why there is none (errors are cached too, so a
    dataset that cannot be fitted is not refitted on every click). ``penalised``: the plain
    fit did not settle and the model was fitted with ``FALLBACK_L2``."""

    model: ChurnModel | None
    error: str | None
    penalised: bool = False


@st.cache_resource(max_entries=8, show_spinner=False)
def fitted_model(
    workspace: str, dataset_id: int, version: int, calibration_end: dt.date
) -> FitOutcome:
    """Both models fitted on the dataset's purchases up to ``calibration_end``; when the plain
    fit does not settle, once more with a small penalty."""
    con = open_workspace(workspace).cursor()
    try:
        try:
            return FitOutcome(fit_churn_model(con, dataset_id, calibration_end=calibration_end),
                              None)
        except ModelFitError as plain:
            first_error = str(plain)
        try:
            model = fit_churn_model(con, dataset_id, calibration_end=calibration_end,
                                    l2=FALLBACK_L2)
            return FitOutcome(model, None, penalised=True)
        except ModelFitError:
            return FitOutcome(None, first_error)
    finally:
        con.close()


@st.cache_resource(max_entries=4, show_spinner=False)
def scored_customers(
    workspace: str, dataset_id: int, version: int, calibration_end: dt.date,
    margin: float, monthly_discount: float, horizon_months: int,
) -> pd.DataFrame:
    """``customer_scores`` for every customer; shared between sessions, never modified."""
    outcome = fitted_model(workspace, dataset_id, version, calibration_end)
    assert outcome.model is not None
    value = ValueSettings(margin, monthly_discount, horizon_months)
    return customer_scores(outcome.model, value=value)


@st.cache_data(max_entries=64, show_spinner=False)
def page_views(
    workspace: str, dataset_id: int, version: int, calibration_end: dt.date,
    margin: float, monthly_discount: float, horizon_months: int, language: str,
) -> dict[str, Any]:
    """The small tables the page draws: counts, heatmap, top, hist_alive, hist_clv, totals."""
    scores = scored_customers(workspace, dataset_id, version, calibration_end, margin,
                              monthly_discount, horizon_months)
    counts = risk_group_counts(scores)
    return {
        "counts": counts,
        "heatmap": alive_heatmap(scores),
        "top": top_customers(scores, TOP_N),
        "hist_alive": score_histogram(scores, "p_alive"),
        "hist_clv": score_histogram(scores, "predicted_clv"),
        "totals": {
            "customers": len(scores),
            "purchases_next_90_days": float(scores["purchases_next_90_days"].sum()),
            "predicted_clv": float(scores["predicted_clv"].sum(min_count=1)),
            "slipping": int(counts.loc[counts["risk_group"] == "valuable_slipping",
                                       "customers"].sum()),
            "one_time": int((scores["repeat_purchases"] == 0).sum()),
            "one_time_share": float((scores["repeat_purchases"] == 0).mean()),
        },
    }


@st.cache_data(max_entries=16, show_spinner=False)
def backtest_views(
    workspace: str, dataset_id: int, version: int, calibration_end: dt.date,
    holdout_end: dt.date,
) -> dict[str, Any]:
    """The backtest's small results (by_x, tracking, numbers), or {"error": sentence}."""
    con = open_workspace(workspace).cursor()
    try:
        result = run_backtest(con, dataset_id, calibration_end=calibration_end,
                              holdout_end=holdout_end)
    except ValueError as exc:  # ModelFitError is a ValueError
        return {"error": str(exc)}
    finally:
        con.close()
    return {
        "error": None, "by_x": result.by_x, "tracking": result.tracking, "mae": result.mae,
        "correlation": result.correlation, "actual": result.actual_total,
        "predicted": result.predicted_total, "customers": len(result.customers),
        "one_time_share": result.one_time_share, "holdout_days": result.holdout_days,
    }


@st.cache_data(max_entries=64, show_spinner=False)
def dataset_margin(
    workspace: str, dataset_id: int, version: int, as_of: dt.date
) -> tuple[float, str]:
    """``default_margin``: (margin, 'cost' or 'default')."""
    con = open_workspace(workspace).cursor()
    try:
        return default_margin(con, dataset_id, as_of=as_of)
    finally:
        con.close()


# -- the page, top to bottom --------------------------------------------------------------------


@dataclass(frozen=True)
class ChurnPage:
    """What one run of the page works from: the cache key and the fitted model."""

    key: tuple[str, int, int, dt.date]
    model: ChurnModel
    value: ValueSettings

    def views(self) -> dict[str, Any]:
        return page_views(*self.key, self.value.margin, self.value.monthly_discount,
                          self.value.horizon_months, current_language())

    def scores(self) -> pd.DataFrame:
        return scored_customers(*self.key, self.value.margin, self.value.monthly_discount,
                                self.value.horizon_months)


def empty_state() -> None:
    """No dataset: say what the page needs and where to get it."""
    st.info(t("There is no data yet. Load a purchase history with a customer, a date and an "
              "amount per row on the Data page, and this page will show who is slipping away "
              "and what each customer is likely to be worth."), icon=":material/inbox:")
    st.page_link(DATA_PAGE, label=t("Load your data"), icon=":material/upload_file:")


def intro(ctx: Context) -> None:
    """One paragraph on what the page does, in plain words."""
    assert ctx.as_of is not None
    st.caption(t(
        "A statistical model learns each customer's buying rhythm from purchases up to {day}: "
        "how often they buy, and how long it has been since they last did. From that it "
        "estimates the chance they are still a customer (“P(alive)”), how many purchases to "
        "expect, and what those are worth. Same-day orders count as one purchase.",
        day=format_day(ctx.as_of)))


def value_settings(ctx: Context) -> ValueSettings:
    """Margin, monthly discount rate and horizon, remembered per dataset."""
    assert ctx.dataset is not None and ctx.as_of is not None
    state = st.session_state
    dataset_id = ctx.dataset.dataset_id
    margin, basis = dataset_margin(*ctx.workspace.fingerprint(ctx.dataset), ctx.as_of)
    if state.get(_SETTINGS_FOR_KEY) != dataset_id:
        saved = ctx.workspace.settings(dataset_id, NAMESPACE)
        state[MARGIN_KEY] = float(saved.get("margin_percent", round(margin * 100, 1)))
        state[DISCOUNT_KEY] = float(saved.get("discount_percent", DEFAULT_DISCOUNT * 100))
        state[HORIZON_KEY] = int(saved.get("horizon_months", DEFAULT_HORIZON))
        if state[HORIZON_KEY] not in HORIZONS:
            state[HORIZON_KEY] = DEFAULT_HORIZON
        state[_SETTINGS_FOR_KEY] = dataset_id

    def save() -> None:
        ctx.workspace.save_settings(dataset_id, NAMESPACE, {
            "margin_percent": state[MARGIN_KEY], "discount_percent": state[DISCOUNT_KEY],
            "horizon_months": state[HORIZON_KEY]})

    columns = st.columns(3)
    columns[0].number_input(
        t("Margin (%)"), min_value=0.0, max_value=100.0, step=1.0, key=MARGIN_KEY,
        on_change=save,
        help=t("The share of revenue you keep as profit. It starts from your cost column.")
        if basis == "cost" else t("The share of revenue you keep as profit. Your data has no "
                                  "cost column, so it starts at 30%; map a cost column on the "
                                  "Data page to use your real margin."))
    columns[1].number_input(
        t("Discount rate (% per month)"), min_value=0.0, max_value=20.0, step=0.5,
        key=DISCOUNT_KEY, on_change=save,
        help=t("Money earned later is worth less today: each month ahead is discounted by "
               "this rate. 1% a month is about 12.7% a year."))
    columns[2].selectbox(
        t("Horizon"), HORIZONS, key=HORIZON_KEY, on_change=save,
        format_func=lambda months: t("{months} months", months=months),
        help=t("How far ahead predicted value looks. A month is 30.4375 days."))
    return ValueSettings(state[MARGIN_KEY] / 100, state[DISCOUNT_KEY] / 100,
                         int(state[HORIZON_KEY]))


def load(ctx: Context, value: ValueSettings) -> ChurnPage:
    """Fit (cached) with a spinner; on failure say why in plain words and stop the page."""
    assert ctx.dataset is not None and ctx.as_of is not None
    key = (*ctx.workspace.fingerprint(ctx.dataset), ctx.as_of)
    with st.spinner(t("Learning your customers' buying rhythm…"), show_time=True):
        outcome = fitted_model(*key)
        if outcome.model is not None:
            page = ChurnPage(key, outcome.model, value)
            page.views()
    if outcome.model is None:
        st.error(t("The churn model could not be fitted: {reason}",
                   reason=md_escape(outcome.error)), icon=":material/error:")
        st.stop()
    if outcome.penalised:
        st.info(t("Your data say little about when customers stop buying, so the model was "
                  "fitted with a small penalty that keeps its estimates in a sensible range. "
                  "Treat the chances below as rough."), icon=":material/info:")
    return page


def headline(ctx: Context, page: ChurnPage) -> None:
    """Four numbers with their time units, then the one-time-buyer warning when it applies."""
    totals = page.views()["totals"]
    lang = current_language()
    months = page.value.horizon_months
    # Short labels three to a row, then two: the second row's labels carry their time units
    # and st.metric truncates, never wraps.
    columns = [*st.columns(3), *st.columns(2)]
    columns[0].metric(
        t("Customers modelled"), format_count(totals["customers"], lang), border=True,
        help=t("Customers with at least one order up to the as-of date — the same customers "
               "as the Customers card on Home."))
    columns[1].metric(
        t("Bought once"), format_count(totals["one_time"], lang), border=True,
        help=t("Customers with purchases on one day only, up to the as-of date: the model "
               "counts days with a purchase, so several orders on the same day are one "
               "purchase. The loyalty ladder counts orders, so its one-time buyers can be "
               "fewer."))
    columns[2].metric(
        t("Valuable and slipping"), format_count(totals["slipping"], lang), border=True,
        help=risk_group_description("valuable_slipping"))
    columns[3].metric(
        t("Expected purchases, next 90 days"),
        format_count(totals["purchases_next_90_days"], lang), border=True,
        help=t("Purchases the model expects from these customers in the 90 days after the "
               "as-of date, all customers together."))
    money_metric(
        columns[4], t("Predicted value, next {months} months", months=months),
        totals["predicted_clv"], ctx.currency,
        help=t("Profit expected from these customers over the next {months} months (a month "
               "is 30.4375 days): expected purchases × expected spend per purchase × margin, "
               "discounted month by month.", months=months))
    if page.model.gamma_gamma is None:
        st.warning(t("Spend per purchase could not be modelled, so predicted value is unknown: "
                     "{reason} It needs customers with two or more purchase days whose amounts "
                     "are positive (the amount column).",
                     reason=md_escape(page.model.spend_note or "")), icon=":material/help:")
    one_time_warning(totals["one_time_share"])


def one_time_warning(share: float) -> None:
    """Plain words when one-time buyers dominate, because the model then flatters them."""
    if share <= ONE_TIME_WARNING_SHARE:
        return
    st.warning(t(
        "{share} of your customers have bought only once. The model cannot tell whether they "
        "are still around — it treats every one-time buyer as still a customer (P(alive) = "
        "100%) — so its predictions lean on the smaller group who came back. Look at the "
        "“Bought once” group separately, and trust the numbers more as repeat purchases "
        "accumulate.", share=format_percent(share, 0, current_language())),
        icon=":material/warning:")


def _customer_spec(ctx: Context, months: int) -> TableSpec:
    """Every column of a customer's scores (``customer_scores``) with its title and unit: the
    downloads of a group and of everyone carry them all; the tables pick theirs with
    ``select``."""
    return table_spec(
        Column("customer_id", t("Customer")),
        Column("risk_group", t("Churn risk")),
        Column("p_alive", t("P(alive) now"), "share", bar=True),
        Column("repeat_purchases", t("Repeat purchases"), "count"),
        Column("first_purchase", t("First purchase"), "date"),
        Column("last_purchase", t("Last purchase"), "date"),
        Column("days_since_first_purchase", t("Days since first purchase"), "count"),
        Column("days_since_last_purchase", t("Days since last purchase"), "count"),
        Column("net_revenue", t("Net revenue so far"), "money"),
        Column("avg_repeat_spend", t("Average repeat purchase"), "money"),
        Column("purchases_next_30_days", t("Purchases, next 30 days"), "number"),
        Column("purchases_next_90_days", t("Purchases, next 90 days"), "number"),
        Column("purchases_next_365_days", t("Purchases, next 365 days"), "number"),
        Column("spend_per_purchase", t("Spend per purchase"), "money"),
        Column("spend_basis", t("Spend from")),
        Column("purchases_in_horizon", t("Purchases, next {months} months", months=months),
               "number"),
        Column("predicted_clv", t("Predicted value, next {months} months", months=months),
               "money"),
        currency=ctx.currency,
    )


def _group_labels(frame: pd.DataFrame) -> pd.DataFrame:
    labels = {group.key: t(group.label) for group in RISK_GROUPS}
    out = frame.copy()
    out["risk_group"] = out["risk_group"].map(labels)
    if "spend_basis" in out:
        out["spend_basis"] = out["spend_basis"].astype(object).map(
            lambda basis: t(basis) if isinstance(basis, str) else basis)
    return out


def risk_groups(ctx: Context, page: ChurnPage) -> None:
    """The groups: a bar chart, a table with each group's meaning, and one group's members."""
    st.subheader(t("Churn-risk groups"))
    lang = current_language()
    counts = page.views()["counts"]
    st.plotly_chart(charts.risk_groups_bar(counts, currency=ctx.currency, locale=lang),
                    key="churn_groups_chart")
    thresholds = RiskThresholds()
    table = counts.assign(meaning=[risk_group_description(k, thresholds)
                                   for k in counts["risk_group"]])
    groups_spec = table_spec(
        Column("label", t("Group")),
        Column("meaning", t("What it means"), width="large"),
        Column("customers", t("Customers"), "count"),
        Column("share", t("Share"), "share"),
        Column("mean_p_alive", t("Average P(alive)"), "share"),
        Column("net_revenue", t("Net revenue so far"), "money"),
        Column("predicted_clv", t("Predicted value, next {months} months",
                                  months=page.value.horizon_months), "money"),
        Column("purchases_next_90_days", t("Purchases, next 90 days"), "number"),
        currency=ctx.currency,
    )
    shown_spec = groups_spec.select(["label", "meaning", "customers", "share", "mean_p_alive"])
    show_table(table, shown_spec)
    download_buttons(table, f"{ctx.dataset.name if ctx.dataset else 'data'}-churn-groups",
                     key="churn_groups_download", spec=shown_spec)

    keys = [group.key for group in RISK_GROUPS]
    names = dict(zip(counts["risk_group"], counts["label"], strict=True))
    chosen = st.selectbox(
        t("Customers in group"), keys, key=GROUP_KEY,
        format_func=lambda k: f"{names[k]} ({format_count(_count(counts, k), lang)})",
        help=t("The group's customers, most valuable first (by net revenue so far)."))
    scores = page.scores()
    members = scores[scores["risk_group"] == chosen]
    shown = members.nlargest(GROUP_ROWS, "net_revenue")
    months = page.value.horizon_months
    columns = ["customer_id", "p_alive", "repeat_purchases", "days_since_last_purchase",
               "net_revenue", "predicted_clv"]
    show_table(shown, _customer_spec(ctx, months).select(columns))
    if len(members) > GROUP_ROWS:
        st.caption(t("Showing the {shown} most valuable of {total}; the download has them all.",
                     shown=GROUP_ROWS, total=format_count(len(members), lang)))
    download_buttons(lambda: _group_labels(members),
                     f"{ctx.dataset.name if ctx.dataset else 'data'}-{chosen}",
                     key="churn_group_download", spec=_customer_spec(ctx, months))


def _count(counts: pd.DataFrame, key: str) -> int:
    return int(counts.loc[counts["risk_group"] == key, "customers"].sum())


def heatmap(page: ChurnPage) -> None:
    """P(alive) over recency × frequency."""
    st.subheader(t("Who is still buying"))
    st.caption(t("Each cell: the average chance that customers with this many repeat purchases "
                 "and this long since their last one are still buying, and how many customers "
                 "it holds. Frequent buyers who have gone quiet turn red fastest: their "
                 "silence is unusual for them. One-time buyers sit in the “0” row at 100%, "
                 "because the model cannot judge them yet."))
    st.plotly_chart(charts.alive_heatmap(page.views()["heatmap"], locale=current_language()),
                    key="churn_heatmap")


def top_customers_section(ctx: Context, page: ChurnPage) -> None:
    """The customers worth most over the horizon, and every customer as a download."""
    months = page.value.horizon_months
    st.subheader(t("Most valuable customers, next {months} months", months=months))
    top = _group_labels(page.views()["top"])
    columns = ["customer_id", "risk_group", "p_alive", "purchases_next_90_days",
               "spend_per_purchase", "predicted_clv", "net_revenue"]
    show_table(top, _customer_spec(ctx, months).select(columns))
    st.caption(t("All customers with every prediction (P(alive) now; expected purchases in "
                 "the next 30, 90 and 365 days; spend per purchase; predicted value):"))
    download_buttons(lambda: _group_labels(page.scores()),
                     f"{ctx.dataset.name if ctx.dataset else 'data'}-customer-predictions",
                     key="churn_all_download", spec=_customer_spec(ctx, months))


def distributions(ctx: Context, page: ChurnPage) -> None:
    """How P(alive) and predicted value spread over customers."""
    st.subheader(t("Distributions"))
    views = page.views()
    lang = current_language()
    left, right = st.columns(2)
    left.plotly_chart(charts.score_histogram(
        views["hist_alive"], x_title=t("P(alive) now"),
        title=t("Chance of still being a customer"), locale=lang), key="churn_hist_alive")
    if len(views["hist_clv"]):
        right.plotly_chart(charts.score_histogram(
            views["hist_clv"], money=True, currency=ctx.currency, locale=lang,
            x_title=t("Predicted value, next {months} months",
                      months=page.value.horizon_months),
            title=t("Predicted value per customer")), key="churn_hist_clv")


def backtest(ctx: Context) -> None:
    """On request: fit on all but the last quarter of the history and compare with it."""
    assert ctx.dataset is not None and ctx.as_of is not None
    st.subheader(t("Check the model on your data"))
    first, _ = frame_data.dataset_dates(ctx.workspace, ctx.dataset)
    try:
        calibration_end = default_split(first, ctx.as_of) if first else None
    except ValueError as exc:
        st.info(md_escape(exc), icon=":material/info:")
        return
    if calibration_end is None:
        return
    if not st.toggle(
            t("Hide the last quarter from the model, then compare its predictions with what "
              "customers actually did"), key=BACKTEST_KEY,
            help=t("Fits on purchases up to {day} and predicts {start} – {end}.",
                   day=format_day(calibration_end),
                   start=format_day(calibration_end + dt.timedelta(days=1)),
                   end=format_day(ctx.as_of))):
        return
    with st.spinner(t("Fitting on the earlier purchases and comparing…"), show_time=True):
        result = backtest_views(*ctx.key, calibration_end, ctx.as_of)
    if result["error"]:
        st.error(t("The check could not run: {reason}", reason=md_escape(result["error"])))
        return
    lang = current_language()
    columns = st.columns(4)
    columns[0].metric(t("Actual repeat purchases"), format_count(result["actual"], lang),
                      border=True, help=t("Purchase days of the earlier customers from {start} "
                                          "to {end}.", start=format_day(calibration_end +
                                                                        dt.timedelta(days=1)),
                                          end=format_day(ctx.as_of)))
    columns[1].metric(t("Predicted"), format_count(result["predicted"], lang), border=True,
                      help=t("What the model, knowing only purchases up to {day}, expected.",
                             day=format_day(calibration_end)))
    columns[2].metric(t("Average error per customer"), f"{result['mae']:.2f}", border=True,
                      help=t("Mean absolute difference between predicted and actual purchases "
                             "per customer over the {days} days (MAE).",
                             days=result["holdout_days"]))
    correlation = result["correlation"]
    columns[3].metric(t("Correlation"), "—" if pd.isna(correlation) else f"{correlation:.2f}",
                      border=True, help=t("How well the ranking of customers by predicted "
                                          "purchases matches the real one (1 = perfectly; the "
                                          "published CDNOW check reaches 0.63)."))
    one_time_warning(result["one_time_share"])
    st.plotly_chart(charts.tracking_chart(result["tracking"], calibration_end),
                    key="churn_tracking")
    st.plotly_chart(charts.by_frequency_chart(result["by_x"], result["holdout_days"]),
                    key="churn_by_x")
    spec = table_spec(
        Column("x_group", t("Repeat purchases before")),
        Column("customers", t("Customers"), "count"),
        Column("actual_mean", t("Actual purchases per customer"), "number"),
        Column("predicted_mean", t("Predicted purchases per customer"), "number"),
    )
    show_table(result["by_x"], spec)
    download_buttons(result["by_x"], f"{ctx.dataset.name}-backtest", key="churn_backtest_dl",
                     spec=spec)


def model_details(page: ChurnPage) -> None:
    """The fitted parameters, with units, for the analyst."""
    model = page.model
    bg = model.bgnbd
    with st.expander(t("About the model")):
        st.markdown(t(
            "**BG/NBD** (Fader, Hardie & Lee, 2005) for purchases and drop-out, fitted on "
            "{customers} customers with time in weeks: r = {r:.4f}, α = {alpha:.4f} weeks, "
            "a = {a:.4f}, b = {b:.4f}; log-likelihood {ll:,.2f}. While still a customer, "
            "someone buys on average r/α = {rate:.3f} times a week; after each purchase they "
            "stop for good with probability a/(a+b) = {drop:.1%}.",
            customers=format_count(len(model.summary), current_language()), r=bg.r_,
            alpha=bg.alpha_, a=bg.a_, b=bg.b_, ll=bg.loglik_, rate=bg.r_ / bg.alpha_,
            drop=bg.a_ / (bg.a_ + bg.b_)))
        gg = model.gamma_gamma
        if gg is not None:
            st.markdown(t(
                "**Gamma-Gamma** for spend per purchase, fitted on {customers} repeat buyers "
                "with a positive average: p = {p:.3f}, q = {q:.3f}, v = {v:.3f}. Spend and "
                "frequency should be unrelated for it to hold; here their correlation is "
                "{corr:.2f}.", customers=format_count(gg.customers_, current_language()),
                p=gg.p_, q=gg.q_, v=gg.v_, corr=gg.frequency_spend_correlation_))
        st.caption(t(
            "Time units: purchases are counted over the next 30, 90 and 365 days; value over "
            "months of {days} days. A purchase is a day with at least one order; returns are "
            "subtracted from the day they happen on.", days=DAYS_PER_MONTH))
