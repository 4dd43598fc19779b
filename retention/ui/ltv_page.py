"""The retention and lifetime-value page: CRR by period, the cohort matrix, LTV = S × C × P × T
with its trend, realised value curves and a what-if, and LTV by segment.

The four sections are tabs that track which one is open (``on_change="rerun"``), and only the
open one computes: at 10M transactions the segment table alone costs a few seconds cold, and a
marketer looking at the CRR should not wait for it. The numbers come from
:mod:`retention.ui.data.ltv`.

The margin used when the data has no cost column is a per-dataset setting
(``ctx.saved.ltv``), saved when changed, so it is the same on every visit and for every
teammate.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from retention.charts import retention as charts
from retention.export import Column, TableSpec
from retention.formatting import currency_symbol, format_count, format_money, format_percent
from retention.i18n import N_, current_language, t
from retention.metrics.ladder import STEP_LABELS
from retention.metrics.ltv import MAX_LIFETIME_MONTHS, WHAT_IF_FACTORS, what_if_ltv
from retention.metrics.retention_rate import PERIODS
from retention.ui import links
from retention.ui.context import Context
from retention.ui.data import ltv as data
from retention.ui.saved_settings import LTV_NAMESPACE, LtvSettings
from retention.ui.text import format_day, md_escape
from retention.ui.widgets import download_buttons, money_metric, show_table, table_spec

SECTION_KEY = "ltv_section"
PERIOD_KEY = "ltv_period"
COHORT_MEASURE_KEY = "ltv_cohort_measure"
CURVE_MARGIN_KEY = "ltv_curves_with_margin"
SEGMENT_KEY = "ltv_segment_dimension"
WHAT_IF_FACTOR_KEY = "ltv_what_if_factor"
WHAT_IF_CHANGE_KEY = "ltv_what_if_change"


def margin_key(dataset_id: int) -> str:
    """Session key of the margin input (percent) for a dataset."""
    return f"ltv_margin_{dataset_id}"


# -- settings -----------------------------------------------------------------------------------


def _save_margin(ctx: Context) -> None:
    assert ctx.dataset is not None
    percent = st.session_state.get(margin_key(ctx.dataset.dataset_id))
    if percent is None:
        return
    ctx.saved.save(LTV_NAMESPACE, LtvSettings(float(percent) / 100).as_dict())


def margin_setting(ctx: Context, margin_source: str | None) -> None:
    """The margin input (percent), saved for the dataset as soon as it changes: a plain input
    rather than a form, because the LTV above it should follow each change at once."""
    assert ctx.dataset is not None
    key = margin_key(ctx.dataset.dataset_id)
    if key not in st.session_state:
        st.session_state[key] = round(ctx.saved.ltv.margin * 100, 2)
    st.number_input(
        t("Margin when the data has no cost (%)"), min_value=0.0, max_value=100.0, step=1.0,
        key=key, on_change=_save_margin, args=(ctx,),
        help=t("The share of revenue you keep after paying for the goods. Used for P when "
               "your file has no cost column, and for the value curves. Saved for this "
               "dataset."),
    )
    if margin_source == "cost":
        st.caption(t("Your data has a cost column, so P is measured from it; this setting is "
                     "used only where no cost is known."))
    else:
        st.caption(t("No cost data for the last year: P is this setting. Map a **cost** column "
                     "on the Data page to measure the margin instead."))


# -- page parts ---------------------------------------------------------------------------------


def header(ctx: Context) -> None:
    """Which data and which settings the numbers use."""
    assert ctx.dataset is not None
    st.caption(t("“{name}”, as of {as_of}; a customer is active on a day when they ordered in "
                 "the {days} days up to it.", name=md_escape(ctx.dataset.name),
                 as_of=format_day(ctx.as_of), days=ctx.window_days))


def section_tabs() -> tuple[Any, Any, Any, Any]:
    """The four section tabs; only the open one should be drawn (``tab.open``)."""
    retention, cohorts, value, segments = links.linked_tabs("tab", SECTION_KEY, {
        "retention": t("Retention rate"), "cohorts": t("Cohorts"), "value": t("Lifetime value"),
        "segments": t("LTV by segment")})
    return retention, cohorts, value, segments


def _stem(ctx: Context, name: str) -> str:
    assert ctx.dataset is not None
    return f"{ctx.dataset.name}-{name}-{ctx.as_of}"


def _period_label(period: str) -> str:
    return {"month": t("Month"), "quarter": t("Quarter"), "year": t("Year")}[period]


CRR_OVER_100 = (
    N_("CRR = (E − N) ÷ S × 100: customers active at the end who are not new, per customer "
    "active at the start. It counts everyone who came back — including customers who had "
    "lapsed before the period began and bought again in it — so it can pass 100%. Strict "
    "retention counts only customers active at both the start and the end, so it never does.")
)


def retention_section(ctx: Context) -> None:
    """CRR and strict retention by month, quarter or year, with S, E, N and reactivations."""
    lang = current_language()
    period = st.segmented_control(
        t("Period"), PERIODS, format_func=_period_label, default="month", required=True,
        key=PERIOD_KEY,
    ) or "month"
    with st.spinner(t("Measuring retention…"), show_time=True):
        periods = data.crr_table(ctx, period)
    if periods.empty:
        st.info(t("There are no orders up to the as-of date, so there is nothing to measure."))
        return
    done = periods[~periods["in_progress"] & periods["crr"].notna()]
    if done.empty:
        st.info(t("No complete {period} has customers active at its start yet, so there is no "
                  "rate to show. Load a longer history or pick a shorter period.",
                  period=_period_label(period).lower()))
    else:
        last = done.iloc[-1]
        cols = st.columns(4)
        cols[0].metric(t("CRR, {period}", period=last["period"]),
                       format_percent(last["crr"] / 100, 1, lang), border=True,
                       help=t(CRR_OVER_100))
        cols[1].metric(t("Strict retention"), format_percent(last["strict"] / 100, 1, lang),
                       border=True,
                       help=t("Of the customers active at the start of the period, the share "
                              "still active at its end."))
        cols[2].metric(t("Churn"), format_percent(last["churn"] / 100, 1, lang), border=True,
                       help=t("100% minus strict retention: the share of customers active at "
                              "the start who were no longer active at the end."))
        cols[3].metric(t("Came back"), format_count(last["reactivated"], lang), border=True,
                       help=t("Customers active at the end who were not active at the start "
                              "and are not new: they had lapsed and bought again."))
    running = periods[periods["in_progress"]]
    if not running.empty:
        st.caption(t("{period} is still in progress: it is measured on {day} and drawn hollow "
                     "and hatched; the figures above are for the last complete period.",
                     period=running.iloc[0]["period"], day=format_day(ctx.as_of)))
    st.plotly_chart(charts.crr_chart(periods, period=period, locale=lang), key="ltv_crr_chart")
    st.caption(t("Why can CRR pass 100%? ") + t(CRR_OVER_100))
    st.plotly_chart(charts.crr_parts_chart(periods, period=period, locale=lang),
                    key="ltv_crr_parts_chart")
    with st.expander(t("How these numbers are counted")):
        st.markdown(t(
            "- **S** — customers active on the day before the period starts.\n"
            "- **E** — customers active on the period's last day.\n"
            "- **N** — customers whose first order falls in the period and who are active at "
            "its end.\n"
            "- **Retained** — active at both the start and the end; **came back** = E − N − "
            "retained.\n"
            "- **CRR** = (E − N) ÷ S × 100; **strict retention** = retained ÷ S × 100; "
            "**churn** = 100 − strict retention. Empty when S is 0.\n"
            "- A customer is active on a day when they ordered in the {days} days up to and "
            "including it (the activity window in the sidebar).", days=ctx.window_days))
    spec = _crr_spec()
    show_table(periods, spec)
    download_buttons(periods, _stem(ctx, f"crr-{period}"), key="ltv_crr_download", spec=spec)


def _factor_columns() -> tuple[Column, ...]:
    """The LTV factor columns shared by the trend and segment tables."""
    return (
        Column("net_revenue", t("Net revenue in the year"), "money"),
        Column("orders", t("Orders in the year"), "count"),
        Column("active_customer_months", t("Active customers summed over month-ends"), "count"),
        Column("month_ends", t("Month-ends"), "count"),
        Column("avg_check", t("S · average check"), "money"),
        Column("purchases_per_month", t("C · purchases per month"), "number", decimals=3),
        Column("margin", t("P · margin"), "share"),
        Column("margin_source", t("Margin from")),
        Column("cost_coverage", t("Revenue with a known cost"), "share"),
        Column("retention", t("r · monthly strict retention"), "share"),
        Column("retention_months", t("Months in r"), "count"),
        Column("lifetime_months", t("T · lifetime (months)"), "number", decimals=1),
        Column("lifetime_capped", t("T capped at {m} months", m=MAX_LIFETIME_MONTHS), "flag"),
        Column("ltv", t("LTV"), "money"),
    )


def _margin_in_words(frame: pd.DataFrame) -> pd.DataFrame:
    """``margin_source`` ('cost' / 'setting') in words, for the tables and their downloads."""
    words = {"cost": t("Cost column"), "setting": t("Margin setting")}
    return frame.assign(margin_source=frame["margin_source"].map(words))


def _crr_spec() -> TableSpec:
    return table_spec(
        Column("period", t("Period")),
        Column("period_start", t("Starts"), "date"),
        Column("period_end", t("Ends"), "date"),
        Column("measured_at", t("Measured on"), "date"),
        Column("in_progress", t("In progress"), "flag"),
        Column("start_customers", t("Active at the start (S)"), "count"),
        Column("end_customers", t("Active at the end (E)"), "count"),
        Column("new_customers", t("New and active at the end (N)"), "count"),
        Column("retained", t("Retained"), "count"),
        Column("reactivated", t("Came back"), "count"),
        Column("crr", t("CRR"), "percent"),
        Column("strict", t("Strict retention"), "percent"),
        Column("churn", t("Churn"), "percent"),
    )


def cohorts_section(ctx: Context) -> None:
    """The cohort heatmap with its % buying / revenue per customer toggle."""
    lang = current_language()
    measures = {"buying_share": t("% of the cohort buying"),
                "revenue_per_customer": t("Net revenue per cohort customer")}
    measure = st.segmented_control(
        t("Show"), list(measures), format_func=measures.get, default="buying_share",
        required=True, key=COHORT_MEASURE_KEY,
    ) or "buying_share"
    with st.spinner(t("Building the cohorts…"), show_time=True):
        cells = data.cohort_table(ctx)
    if cells.empty:
        st.info(t("There are no orders up to the as-of date, so there are no cohorts."))
        return
    st.plotly_chart(charts.cohort_heatmap(cells, measure, currency=ctx.currency, locale=lang),
                    key="ltv_cohort_heatmap")
    st.caption(t("Each row is the customers whose first order fell in that month; each column "
                 "a month after it (0 = the first month itself). Blank cells are months that "
                 "have not ended by the as-of date — not zeros."))
    spec = table_spec(
        Column("cohort_label", t("Cohort (first order)")),
        Column("months_since", t("Months since the first order"), "count"),
        Column("cohort_customers", t("Customers in the cohort"), "count"),
        Column("observable", t("Month has ended"), "flag"),
        Column("buyers", t("Buyers"), "count"),
        Column("buying_share", t("% buying"), "share"),
        Column("net_revenue", t("Net revenue"), "money"),
        Column("revenue_per_customer", t("Net revenue per cohort customer"), "money"),
        currency=ctx.currency,
    )
    show_table(cells, spec)
    download_buttons(cells, _stem(ctx, "cohorts"), key="ltv_cohorts_download", spec=spec)


def _factor_rows(today: pd.Series, currency: str | None, lang: str) -> list[dict[str, str]]:
    """S, C, P, T and LTV: a short label and value for the card, the plain meaning, how it is
    computed (with this data's numbers) and, when unknown, why."""

    def known(value: Any) -> bool:
        return value is not None and not pd.isna(value)

    unknown = t("Unknown")
    if today["margin_source"] == "cost":
        margin_formula = t(
            "(net revenue − cost) ÷ net revenue over the year, from your cost column. Lines "
            "with a cost make {share} of revenue; the rest are assumed to earn the same.",
            share=format_percent(today["cost_coverage"], 0, lang))
    else:
        margin_formula = t("Your margin setting below: the data has no cost values in the year. "
                           "Map a cost column on the Data page to measure it.")
    lifetime_formula = t("1 ÷ (1 − r), where r = {r} is the average monthly strict retention of "
                         "the {n} complete months in the year.",
                         r=format_percent(today["retention"], 1, lang),
                         n=int(today["retention_months"]))
    if bool(today["lifetime_capped"]):
        lifetime_formula += " " + t("Capped at {m} months.", m=MAX_LIFETIME_MONTHS)
    return [
        {
            "factor": t("S · average check"),
            "value": format_money(today["avg_check"], currency, lang)
            if known(today["avg_check"]) else unknown,
            "unit": t("per order"),
            "meaning": t("What a customer pays per order, returns subtracted."),
            "formula": t("Net revenue in the last 365 days ÷ orders in them = {rev} ÷ {n}.",
                         rev=format_money(today["net_revenue"], currency, lang),
                         n=format_count(today["orders"], lang)),
            "why_unknown": "" if known(today["avg_check"])
            else t("There are no orders in the last 365 days."),
        },
        {
            "factor": t("C · orders per month"),
            "value": f"{today['purchases_per_month']:.3f}"
            if known(today["purchases_per_month"]) else unknown,
            "unit": t("orders per active customer per month"),
            "meaning": t("How many orders an active customer places in a month."),
            "formula": t("Orders in the year ÷ active customers summed over its {n} month-ends "
                         "= {orders} ÷ {active}.", n=int(today["month_ends"]),
                         orders=format_count(today["orders"], lang),
                         active=format_count(today["active_customer_months"], lang)),
            "why_unknown": "" if known(today["purchases_per_month"])
            else t("No month-end in the year has active customers yet."),
        },
        {
            "factor": t("P · margin"),
            "value": format_percent(today["margin"], 1, lang),
            "unit": t("of revenue"),
            "meaning": t("The share of revenue you keep after paying for the goods."),
            "formula": margin_formula,
            "why_unknown": "",
        },
        {
            "factor": t("T · lifetime in months"),
            "value": f"{today['lifetime_months']:.1f}"
            if known(today["lifetime_months"]) else unknown,
            "unit": t("months"),
            "meaning": t("How many months a customer keeps buying, on average."),
            "formula": lifetime_formula,
            "why_unknown": "" if known(today["lifetime_months"])
            else t("No complete month in the year had customers active at its start. Load a "
                   "longer purchase history."),
        },
        {
            "factor": t("LTV = S × C × P × T"),
            "value": format_money(today["ltv"], currency, lang)
            if known(today["ltv"]) else unknown,
            "unit": t("per customer"),
            "meaning": t("What one customer is worth to you over their lifetime, after the cost "
                         "of goods."),
            "formula": t("Average check × orders per month × margin × months."),
            "why_unknown": "" if known(today["ltv"]) else t("A factor is unknown."),
        },
    ]


def _factor_card(row: dict[str, str], amount: Any = None, currency: str | None = None) -> None:
    """One factor: its value, plain meaning and computation (text escaped: it holds money).
    ``amount``: the factor's money, for S and LTV (shortened when big, exact in the tooltip)."""
    help_text = md_escape(f"{row['meaning']} {row['formula']}")
    with st.container(border=True):
        if amount is None:
            st.metric(row["factor"], row["value"], help=help_text)
        else:
            money_metric(st, row["factor"], amount, currency, help=help_text, border=False)
        st.caption(md_escape(row["why_unknown"] or row["meaning"]))
        st.caption(md_escape(row["formula"]))


def ltv_section(ctx: Context) -> None:
    """LTV today with its four factors, the what-if, the trend and the value curves."""
    lang = current_language()
    with st.spinner(t("Computing lifetime value…"), show_time=True):
        today_frame, trend = data.ltv_tables(ctx)
    if today_frame.empty:
        st.info(t("There are no orders up to the as-of date, so there is no lifetime value."))
        return
    today = today_frame.iloc[0]
    st.subheader(t("LTV today = S × C × P × T"), help=t(
        "Lifetime value: average check × purchases per month × margin × lifetime in months, "
        "all measured over the 365 days up to the as-of date."))
    if not bool(today["full_year"]):
        st.caption(t("The data starts less than a year before the as-of date, so these "
                     "factors use the months there are."))
    rows = _factor_rows(today, ctx.currency, lang)
    amounts = [today["avg_check"], None, None, None]
    for column, row, amount in zip(st.columns(4), rows[:4], amounts, strict=True):
        with column:
            _factor_card(row, amount, ctx.currency)
    left, right = st.columns([2, 3])
    with left:
        _factor_card(rows[4], today["ltv"], ctx.currency)
    with right:
        what_if_section(today, ctx.currency, lang)
    factors = pd.DataFrame(rows)
    factors_spec = table_spec(
        Column("factor", t("Factor")), Column("value", t("Value")), Column("unit", t("Unit")),
        Column("meaning", t("What it means")), Column("formula", t("How it is computed")),
        Column("why_unknown", t("Why it is unknown")))
    with st.expander(t("The factors as a table")):
        show_table(factors, factors_spec)
        download_buttons(factors, _stem(ctx, "ltv-factors"), key="ltv_factors_download",
                         spec=factors_spec)
    margin_setting(ctx, str(today["margin_source"]))

    st.subheader(t("How LTV moved"))
    st.plotly_chart(charts.ltv_trend_chart(trend, currency=ctx.currency,
                                           currency_sign=currency_symbol(ctx.currency),
                                           locale=lang), key="ltv_trend_chart")
    st.caption(t("Each point is the same computation over the year up to that month-end. "
                 "Hollow points: the data covers less than that whole year."))
    trend_spec = table_spec(
        Column("anchor", t("Month-end"), "date"),
        Column("window_start", t("Year starts"), "date"),
        Column("full_year", t("A full year of data"), "flag"),
        *_factor_columns(), currency=ctx.currency)
    trend = _margin_in_words(trend)
    show_table(trend, trend_spec)
    download_buttons(trend, _stem(ctx, "ltv-trend"), key="ltv_trend_download", spec=trend_spec)

    value_curves_section(ctx, lang, float(today["margin"]))


def what_if_section(today: pd.Series, currency: str | None, lang: str) -> None:
    """+x% to one lever and the LTV it gives."""
    names = {
        "avg_check": t("Average check (S)"),
        "purchases_per_month": t("Orders per month (C)"),
        "margin": t("Margin (P)"),
        "retention": t("Monthly retention (r, which sets T)"),
        "lifetime_months": t("Lifetime (T)"),
    }
    with st.container(border=True):
        st.markdown(t("**What if?** Raise one lever, keep the others."))
        factor_col, change_col = st.columns(2)
        factor = factor_col.selectbox(t("Lever"), WHAT_IF_FACTORS, format_func=names.get,
                                      key=WHAT_IF_FACTOR_KEY)
        change = change_col.number_input(t("Change (%)"), min_value=-90.0, max_value=500.0,
                                         value=10.0, step=1.0, key=WHAT_IF_CHANGE_KEY)
        outcome = what_if_ltv(today.to_dict(), factor, change)
        current = today["ltv"]
        delta = None
        if outcome["ltv"] is not None and not pd.isna(current):
            delta = outcome["ltv"] - current
        money_metric(st, t("LTV after the change"), outcome["ltv"], currency, delta=delta,
                     border=False,
                     help=t("S, C, P and T move LTV in proportion; retention works through "
                         "T = 1 ÷ (1 − r), so a small gain in retention can add much more. The "
                         "full loyalty simulator is its own page."))


def value_curves_section(ctx: Context, lang: str, margin: float) -> None:
    """Cumulative value per customer by acquisition quarter, with the margin toggle (P of
    LTV today: from the cost column when there is one, else the setting)."""
    st.subheader(t("Realised value by acquisition quarter"))
    with_margin = st.toggle(
        t("Multiply by the margin ({margin})", margin=format_percent(margin, 1, lang)),
        key=CURVE_MARGIN_KEY,
        help=t("Show what customers left you after the cost of goods instead of what they "
               "paid. The margin is P of LTV today."))
    with st.spinner(t("Following each quarter's customers…"), show_time=True):
        curves = data.curves_table(ctx, margin)
    if curves.empty:
        st.info(t("No acquisition quarter has ended by the as-of date yet, so there are no "
                  "curves to draw."))
        return
    st.plotly_chart(charts.value_curves_chart(curves, with_margin=with_margin,
                                              currency=ctx.currency, locale=lang),
                    key="ltv_value_curves")
    st.caption(t("What an average customer acquired in each quarter has paid in total by each "
                 "month after their first order (the latest {n} quarters are drawn; the table "
                 "has all). A curve stops where its last customers have not yet had that many "
                 "months.", n=charts.MAX_CURVES))
    spec = table_spec(
        Column("cohort_quarter", t("Acquired in")),
        Column("quarter_start", t("Quarter starts"), "date"),
        Column("months_since", t("Months since the first order"), "count"),
        Column("customers", t("Customers"), "count"),
        Column("revenue_per_customer", t("Cumulative net revenue per customer"), "money"),
        Column("margin_per_customer", t("Cumulative margin per customer"), "money"),
        currency=ctx.currency)
    show_table(curves, spec)
    download_buttons(curves, _stem(ctx, "value-curves"), key="ltv_curves_download", spec=spec)


SEGMENT_DEFINITION = (
    N_("A segment's LTV is the same S × C × P × T measured on that segment's customers only: "
    "their orders, revenue and cost in the last year, their activity at its month-ends and "
    "their own monthly retention. Each customer belongs to one segment: their ladder step "
    "today, the channel and category of their first purchase, or their city. Ladder steps are "
    "defined by last year's orders, so higher steps retain by construction: read them as what "
    "moving a customer up is worth, not as a forecast.")
)


def segment_section(ctx: Context) -> None:
    """LTV by ladder step, channel, city or category."""
    lang = current_language()
    dimensions = data.available_dimensions(ctx)
    names = {"step": t("Ladder step"), "channel": t("First channel"), "city": t("City"),
             "category": t("First category")}
    dimension = st.segmented_control(
        t("Segment by"), dimensions, format_func=names.get, default="step", required=True,
        key=SEGMENT_KEY,
    ) or "step"
    st.caption(t(SEGMENT_DEFINITION))
    missing = {"channel": t("channel"), "city": t("city"), "category": t("category")}
    absent = [missing[d] for d in missing if d not in dimensions]
    if absent:
        st.caption(t("Not available for this data: {names}. Map those columns on the Data page "
                     "to compare them.", names=", ".join(absent)))
    with st.spinner(t("Computing LTV for each segment…"), show_time=True):
        segments = data.segment_table(ctx, dimension)
    labels: dict[object, str] = {None: t("Unknown")}
    if dimension == "step":
        labels.update({step: t(label) for step, label in STEP_LABELS.items()})
    else:
        labels.update({s: str(s) for s in segments["segment"].dropna()})
    st.plotly_chart(charts.segment_ltv_chart(segments, labels, currency=ctx.currency,
                                             currency_sign=currency_symbol(ctx.currency),
                                             locale=lang), key="ltv_segment_chart")
    capped = segments[~segments["is_total"] & segments["lifetime_capped"]]
    if not capped.empty:
        st.caption(t("Hatched: the segment keeps nearly everyone from month to month, so its "
                     "lifetime hit the {m}-month cap; its LTV is a ceiling, not a forecast.",
                     m=MAX_LIFETIME_MONTHS))
    table = segments.assign(segment=[
        t("All customers") if total else labels.get(None if pd.isna(s) else s, str(s))
        for s, total in zip(segments["segment"], segments["is_total"], strict=True)
    ])
    spec = table_spec(
        Column("segment", names[dimension]),
        Column("customers", t("Customers"), "count"),
        Column("active_customers", t("Active today"), "count"),
        *_factor_columns(), currency=ctx.currency)
    table = _margin_in_words(table)
    show_table(table, spec)
    download_buttons(table, _stem(ctx, f"ltv-by-{dimension}"), key="ltv_segments_download",
                     spec=spec)
