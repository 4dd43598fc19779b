"""The churn-risk page: who is slipping away, and what each customer is likely to be worth.

The model, the scores and the tables come from :mod:`retention.ui.data.churn`; the value
settings (margin, discount rate, horizon) are ``ctx.saved.churn``, saved as soon as one changes.
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
    RiskThresholds,
    ValueSettings,
    default_split,
    risk_group_description,
)
from retention.ui import links
from retention.ui.context import Context
from retention.ui.data import churn as data
from retention.ui.data import frame as frame_data
from retention.ui.saved_settings import CHURN_HORIZONS, CHURN_NAMESPACE, ChurnSettings
from retention.ui.text import format_day, md_escape
from retention.ui.widgets import download_buttons, money_metric, show_table, table_spec

MARGIN_KEY = "churn_margin_percent"
DISCOUNT_KEY = "churn_discount_percent"
HORIZON_KEY = "churn_horizon_months"
GROUP_KEY = "churn_group"
BACKTEST_KEY = "churn_backtest"
GROUP_ROWS = 200


@dataclass(frozen=True)
class ChurnPage:
    """What one run of the page works from: the context, the fitted model and the value
    settings in effect."""

    ctx: Context
    model: ChurnModel
    value: ValueSettings

    def views(self) -> dict[str, Any]:
        """The small tables the page draws (``ui.data.churn.page_views``)."""
        return data.page_views(self.ctx)

    def scores(self) -> pd.DataFrame:
        """Every customer's scores (shared: filter or copy, never modify)."""
        return data.scored_customers(self.ctx)


def intro(ctx: Context) -> None:
    """One paragraph on what the page does, in plain words."""
    assert ctx.as_of is not None
    st.caption(t(
        "A statistical model learns each customer's buying rhythm from purchases up to {day}: "
        "how often they buy, and how long it has been since they last did. From that it "
        "estimates the chance they are still a customer (“P(alive)”), how many purchases to "
        "expect, and what those are worth. Same-day orders count as one purchase.",
        day=format_day(ctx.as_of)))


# The inputs' session keys and the stored names they save to.
_INPUTS = {MARGIN_KEY: "margin_percent", DISCOUNT_KEY: "discount_percent",
           HORIZON_KEY: "horizon_months"}


def _save_value_settings(ctx: Context) -> None:
    state = st.session_state
    ctx.saved.save(CHURN_NAMESPACE, ChurnSettings(**{
        name: state[key] for key, name in _INPUTS.items()}).as_dict())


def value_settings(ctx: Context) -> None:
    """Margin, monthly discount rate and horizon: plain inputs saved for the dataset as soon
    as one changes, so the numbers below follow each change at once."""
    margin, basis = data.dataset_margin(ctx)
    saved = ctx.saved.churn.with_margin(margin).as_dict()
    # the inputs always show the active dataset's saved values (their keys are not per dataset)
    for key, name in _INPUTS.items():
        st.session_state[key] = saved[name]
    columns = st.columns(3)
    columns[0].number_input(
        t("Margin (%)"), min_value=0.0, max_value=100.0, step=1.0, key=MARGIN_KEY,
        on_change=_save_value_settings, args=(ctx,),
        help=t("The share of revenue you keep as profit. It starts from your cost column.")
        if basis == "cost" else t("The share of revenue you keep as profit. Your data has no "
                                  "cost column, so it starts at 30%; map a cost column on the "
                                  "Data page to use your real margin."))
    columns[1].number_input(
        t("Discount rate (% per month)"), min_value=0.0, max_value=20.0, step=0.5,
        key=DISCOUNT_KEY, on_change=_save_value_settings, args=(ctx,),
        help=t("Money earned later is worth less today: each month ahead is discounted by "
               "this rate. 1% a month is about 12.7% a year."))
    columns[2].selectbox(
        t("Horizon"), CHURN_HORIZONS, key=HORIZON_KEY, on_change=_save_value_settings,
        args=(ctx,), format_func=lambda months: t("{months} months", months=months),
        help=t("How far ahead predicted value looks. A month is 30.4375 days."))


def load(ctx: Context) -> ChurnPage:
    """Fit (cached) with a spinner; on failure say why in plain words and stop the page."""
    with st.spinner(t("Learning your customers' buying rhythm…"), show_time=True):
        outcome = data.fitted_model(ctx)
        if outcome.model is not None:
            page = ChurnPage(ctx, outcome.model, data.value_settings(ctx))
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
    links.follow_choice("group", GROUP_KEY, {k: k for k in keys})
    chosen = st.selectbox(
        t("Customers in group"), keys, key=GROUP_KEY,
        format_func=lambda k: f"{names[k]} ({format_count(_count(counts, k), lang)})",
        help=t("The group's customers, most valuable first (by net revenue so far)."))
    links.publish({"group": chosen})
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
        result = data.backtest_views(ctx, calibration_end)
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
