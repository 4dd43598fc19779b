"""Figures of the loyalty programme simulator (DESIGN §7): the cumulative incremental profit
and its payback month, each month's gain against the programme's costs, the rewards per member
of the replay, the tornado of assumptions and up to three scenarios side by side.

Each takes what :mod:`retention.loyalty` returns: ``Projection.months``, ``Replay.members``,
``projection.sensitivity``. Money is formatted with :mod:`retention.formatting` in the
dataset's currency and the reader's locale and handed to plotly as hover text, because
plotly's number formats know neither the locale's separators nor signs such as ₽ or so'm.
The replay's money is Decimal: it is binned exactly and turned into floats only to be drawn.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping
from decimal import ROUND_FLOOR, Decimal

import pandas as pd
import plotly.graph_objects as go

from retention.cells import as_float, as_int
from retention.formatting import (
    currency_symbol,
    format_count,
    format_money,
    format_percent,
    money_decimals,
)
from retention.i18n import N_, t

PROFIT_COLOUR = "#1f77b4"
PAYBACK_COLOUR = "#2ca02c"
LOW_COLOUR = "#ff7f0e"
HIGH_COLOUR = "#1f77b4"
# One colour per scenario: the page compares at most three.
SCENARIO_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c")
MAX_SCENARIOS = len(SCENARIO_COLOURS)
# The monthly chart's bars: what the programme adds, then what it costs (``Projection.months``
# columns drawn below zero), with their English legend names (passed through t() when drawn).
GAIN_PART = ("gross_profit_gain", N_("Gross profit gained from members"), "#2ca02c")
COST_PARTS = (
    ("reward_cost", N_("Rewards"), "#d62728"),
    ("welcome_cost", N_("Welcome bonuses"), "#ff9896"),
    ("birthday_cost", N_("Birthday gifts"), "#e377c2"),
    ("fixed_cost", N_("Fixed cost"), "#7f7f7f"),
)
# Plain-language names of projection.sensitivity's assumptions, in English (passed through
# t() when drawn).
ASSUMPTION_LABELS = {
    "active_customers": N_("Active customers"),
    "new_customers_per_month": N_("New customers per month"),
    "avg_check": N_("Average check"),
    "purchases_per_month": N_("Purchases per active customer per month"),
    "monthly_retention": N_("Monthly retention"),
    "margin": N_("Margin"),
    "redeemable_share": N_("Rewards redeemable per unit of member revenue"),
    "retention_uplift": N_("Members' retention uplift (points of monthly retention)"),
    "frequency_uplift": N_("Members' purchase frequency uplift"),
    "check_uplift": N_("Members' average check uplift"),
    "breakage": N_("Breakage (rewards never claimed)"),
    "fixed_monthly_cost": N_("Fixed monthly cost"),
}
# Bars the rewards histogram aims at; the width is rounded to 1, 2 or 5 × a power of ten.
HISTOGRAM_BINS = 20
# The sensitivity row whose profit is affine in its value and moved by ± the same share:
# the middle of its two profits is the profit as set (projection.sensitivity has no column
# for it).
_BASE_ROW = "redeemable_share"


def _money_axis(title: str, currency: str | None, locale: str) -> str:
    """An axis title with the currency's sign: 'Incremental profit ($)'."""
    sign = currency_symbol(currency, locale)
    return f"{title} ({sign})" if sign else title


def _month_axis_title() -> str:
    return t("Month since the programme starts")


def _cumulative_trace(
    months: pd.DataFrame, *, name: str, colour: str, currency: str | None, locale: str,
) -> go.Scatter:
    """The line of cumulative incremental profit by month, each point's hover giving the
    month, the cumulative and that month's incremental profit."""
    hover = [
        "<br>".join([
            f"<b>{name}</b>",
            t("Month {month}", month=as_int(month)),
            t("Cumulative incremental profit: {money}",
              money=format_money(cumulative, currency, locale)),
            t("This month's incremental profit: {money}",
              money=format_money(monthly, currency, locale)),
        ])
        for month, cumulative, monthly in zip(
            months["month"], months["cumulative_incremental_profit"],
            months["incremental_profit"], strict=True)
    ]
    return go.Scatter(
        x=months["month"].astype(int), y=months["cumulative_incremental_profit"].astype(float),
        mode="lines+markers", name=name, line={"color": colour, "width": 2},
        customdata=hover, hovertemplate="%{customdata}<extra></extra>",
    )


def _cumulative_layout(figure: go.Figure, title: str, currency: str | None,
                       locale: str) -> None:
    """Title, axes and the zero line every cumulative-profit chart shares."""
    figure.add_hline(y=0, line_dash="dash", line_color="grey")
    figure.update_layout(
        title=title, hovermode="closest", legend={"orientation": "h", "y": -0.2},
        xaxis={"title": {"text": _month_axis_title()}, "tickformat": "d"},
        yaxis={"title": {"text": _money_axis(t("Cumulative incremental profit"), currency,
                                             locale)}},
    )


def cumulative_profit(
    months: pd.DataFrame, *, currency: str | None, locale: str, payback_month: int | None,
) -> go.Figure:
    """Cumulative incremental profit by month (``Projection.months``) with a zero line; the
    payback month (``Projection.payback_month``), when there is one, is a marked point with
    an annotation. Raises ValueError when the payback month is not one of the months."""
    figure = go.Figure(_cumulative_trace(
        months, name=t("Cumulative incremental profit"), colour=PROFIT_COLOUR,
        currency=currency, locale=locale))
    if payback_month is None:
        title = t("Cumulative incremental profit: the programme does not pay back within "
                  "{months} months", months=len(months))
    else:
        row = months[months["month"] == payback_month]
        if row.empty:
            raise ValueError(f"The payback month {payback_month} is not one of the months.")
        cumulative = as_float(row["cumulative_incremental_profit"].iloc[0])
        label = t("Pays back in month {month}", month=payback_month)
        figure.add_trace(go.Scatter(
            x=[payback_month], y=[cumulative], mode="markers", name=label,
            marker={"color": PAYBACK_COLOUR, "size": 12, "symbol": "star"},
            customdata=[label + "<br>" + t("Cumulative incremental profit: {money}",
                                           money=format_money(cumulative, currency, locale))],
            hovertemplate="%{customdata}<extra></extra>",
        ))
        figure.add_annotation(x=payback_month, y=cumulative, text=label, showarrow=True,
                              arrowhead=2, ay=-40, font={"color": PAYBACK_COLOUR})
        title = t("Cumulative incremental profit: pays back in month {month}",
                  month=payback_month)
    _cumulative_layout(figure, title, currency, locale)
    return figure


def monthly_profit(months: pd.DataFrame, *, currency: str | None, locale: str) -> go.Figure:
    """What the programme brings and costs each month (``Projection.months``): the gross
    profit gained (gross profit with − without the programme) as a bar above zero, its
    costs — rewards, welcome bonuses, birthday gifts, the fixed cost — stacked below zero,
    and the net incremental profit (their sum) as a line.

    This view rather than revenue with and without: it shows the month's incremental profit
    as the difference it is, and which cost eats the gain."""
    gain = months["gross_profit_with"].astype(float) - months["gross_profit_without"].astype(float)
    bars = [(GAIN_PART, gain)] + [(part, -months[part[0]].astype(float)) for part in COST_PARTS]
    x = months["month"].astype(int)
    figure = go.Figure()
    for (_, english, colour), values in bars:
        name = t(english)
        hover = [
            "<br>".join([t("Month {month}", month=month),
                         t("{part}: {money}", part=name,
                           money=format_money(value, currency, locale))])
            for month, value in zip(x, values, strict=True)
        ]
        figure.add_trace(go.Bar(
            x=x, y=values, name=name, marker={"color": colour},
            customdata=hover, hovertemplate="%{customdata}<extra></extra>",
        ))
    figure.add_trace(go.Scatter(
        x=x, y=months["incremental_profit"].astype(float), mode="lines+markers",
        name=t("Net incremental profit"), line={"color": "black", "width": 2},
        customdata=[
            "<br>".join([t("Month {month}", month=month),
                         t("Net incremental profit: {money}",
                           money=format_money(value, currency, locale))])
            for month, value in zip(x, months["incremental_profit"], strict=True)
        ],
        hovertemplate="%{customdata}<extra></extra>",
    ))
    figure.update_layout(
        title=t("Each month: the profit the programme adds against what it costs"),
        barmode="relative", hovermode="closest", legend={"orientation": "h", "y": -0.2},
        xaxis={"title": {"text": _month_axis_title()}, "tickformat": "d"},
        yaxis={"title": {"text": _money_axis(t("Profit and costs per month"), currency,
                                             locale)}},
    )
    return figure


def _bin_width(span: Decimal, currency: str | None) -> Decimal:
    """The smallest of 1, 2, 5 or 10 × a power of ten that cuts ``span`` into at most
    :data:`HISTOGRAM_BINS` bars (1 when the span is zero), and never less than the currency's
    smallest amount shown (a bar from ¥0 to under ¥0 would say nothing)."""
    raw = span / HISTOGRAM_BINS
    exponent = raw.adjusted() if raw else 0
    width = next(width for width in (Decimal(step).scaleb(exponent) for step in (1, 2, 5, 10))
                 if width >= raw)
    return max(width, Decimal(1).scaleb(-money_decimals(currency)))


def rewards_histogram(
    members: pd.DataFrame, *, currency: str | None, locale: str
) -> go.Figure:
    """How many members can redeem how much over the year (``Replay.members``'s redeemable,
    Decimal): bars of equal width from a multiple of the width, each holding the members
    from its lower edge to under its upper edge; the hover gives the range and the count.
    With no members, an empty figure whose title says so."""
    xaxis_title = _money_axis(t("Rewards redeemable per member over the year"), currency, locale)
    figure = go.Figure()
    figure.update_layout(xaxis={"title": {"text": xaxis_title}},
                         yaxis={"title": {"text": t("Members")}})
    if members.empty:
        figure.update_layout(title=t("No members: nobody joins the programme in the replay"))
        return figure
    # Exact binning on the Decimal amounts: a float such as 0.15 / 0.05 lands in the bar below
    values = [Decimal(str(value)) for value in members["redeemable"]]
    lowest, highest = min(values), max(values)
    width = _bin_width(highest - lowest, currency)
    start = (lowest / width).to_integral_value(rounding=ROUND_FLOOR) * width
    indices = [int((value - start) // width) for value in values]
    counts = [0] * (max(indices) + 1)
    for index in indices:
        counts[index] += 1
    edges = [start + i * width for i in range(len(counts) + 1)]
    hover = [
        "<br>".join([t("From {low} to under {high}", low=format_money(low, currency, locale),
                       high=format_money(high, currency, locale)),
                     t("Members: {n}", n=format_count(n, locale))])
        for low, high, n in zip(edges, edges[1:], counts, strict=False)
    ]
    figure.add_trace(go.Bar(
        x=[float(low + width / 2) for low in edges[:-1]], y=counts, width=float(width),
        name=t("Members"), marker={"color": PROFIT_COLOUR, "line": {"color": "white",
                                                                      "width": 1}},
        customdata=hover, hovertemplate="%{customdata}<extra></extra>",
    ))
    with_reward = sum(1 for value in values if value > 0)
    figure.update_layout(
        title=t("Rewards redeemable per member: {n} of {total} members reach at least one "
                "reward", n=format_count(with_reward, locale),
                total=format_count(len(values), locale)),
        bargap=0,
    )
    return figure


def _value_formatter(name: str, currency: str | None, locale: str) -> Callable[[float], str]:
    """How an assumption's value is written: money, a count, a share or a signed change."""
    def signed(value: float) -> str:
        return ("+" if value > 0 else "") + format_percent(value, 1, locale)

    if name in ("avg_check", "fixed_monthly_cost"):
        return lambda value: format_money(value, currency, locale)
    if name == "active_customers":
        return lambda value: format_count(value, locale)
    if name in ("new_customers_per_month", "purchases_per_month"):
        # a plain number with two decimals, the locale's way (format_money without a currency)
        return lambda value: format_money(value, None, locale)
    if name in ("retention_uplift", "frequency_uplift", "check_uplift"):
        return signed
    digits = 2 if name == _BASE_ROW else 1  # a reward share is a few percent
    return lambda value: format_percent(value, digits, locale)


def tornado(sensitivity: pd.DataFrame, *, currency: str | None, locale: str) -> go.Figure:
    """The horizon's incremental profit when each assumption moves down and up
    (``projection.sensitivity``, widest swing first, drawn on top): two bars per assumption
    from the profit as set, a dashed line, to its profit at the low and at the high value.

    The bars start at the profit as set (the table's ``profit`` column)."""
    base = as_float(sensitivity["profit"].iloc[0]) if not sensitivity.empty else 0.0
    names = [t(ASSUMPTION_LABELS[name]) for name in sensitivity["assumption"]]
    hover = []  # both bars of a row tell the whole row
    for label, row in zip(names, sensitivity.itertuples(), strict=True):
        written = _value_formatter(str(row.assumption), currency, locale)
        lines = [
            f"<b>{label}</b>",
            t("As set: {value}", value=written(as_float(row.value))),
            t("Lower, {value}: incremental profit {money}", value=written(as_float(row.low)),
              money=format_money(row.profit_low, currency, locale)),
            t("Higher, {value}: incremental profit {money}", value=written(as_float(row.high)),
              money=format_money(row.profit_high, currency, locale)),
        ]
        hover.append("<br>".join(lines))
    figure = go.Figure()
    for side, name, colour in (("low", t("Assumption lower"), LOW_COLOUR),
                               ("high", t("Assumption higher"), HIGH_COLOUR)):
        figure.add_trace(go.Bar(
            y=names, x=sensitivity[f"profit_{side}"].astype(float) - base, base=base,
            orientation="h", name=name, marker={"color": colour, "opacity": 0.8},
            customdata=hover, hovertemplate="%{customdata}<extra></extra>",
        ))
    figure.add_vline(x=base, line_dash="dash", line_color="grey",
                     annotation_text=t("As set: {money}",
                                       money=format_money(base, currency, locale)),
                     annotation_position="top")
    figure.update_layout(
        title=t("Incremental profit over the horizon when one assumption moves"),
        barmode="overlay", legend={"orientation": "h", "y": -0.2},
        xaxis={"title": {"text": _money_axis(t("Incremental profit over the horizon"),
                                             currency, locale)}},
        yaxis={"title": {"text": t("Assumption")}, "type": "category",
               "autorange": "reversed"},
        height=max(360, 140 + 36 * len(names)),
    )
    return figure


def scenario_comparison(
    scenarios: Mapping[str, pd.DataFrame], *, currency: str | None, locale: str
) -> go.Figure:
    """Up to :data:`MAX_SCENARIOS` named scenarios' cumulative incremental profit
    (``Projection.months`` each) on one chart, with a zero line; names are the user's, so
    they are HTML-escaped. With none, an empty chart whose title says so; more raise
    ValueError."""
    if len(scenarios) > MAX_SCENARIOS:
        raise ValueError(f"At most {MAX_SCENARIOS} scenarios can be compared, "
                         f"got {len(scenarios)}.")
    figure = go.Figure()
    for (name, months), colour in zip(scenarios.items(), SCENARIO_COLOURS, strict=False):
        figure.add_trace(_cumulative_trace(months, name=html.escape(name), colour=colour,
                                           currency=currency, locale=locale))
    title = (t("Cumulative incremental profit by scenario") if scenarios
             else t("No scenarios to compare yet"))
    _cumulative_layout(figure, title, currency, locale)
    return figure
