"""Figures of the loyalty ladder page: the funnel, how fast new customers come back, who moved
between two dates, and the Pareto curve. Each takes the frame a ``retention.metrics.ladder`` or
``retention.metrics.pareto`` function returns.

Numbers are formatted with :mod:`retention.formatting` and handed to plotly as text, because
plotly's own number formats know neither the locale's separators nor signs such as ₽ or so'm.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import plotly.graph_objects as go

from retention.cells import as_float, as_int, optional_float
from retention.formatting import format_count, format_money, format_percent
from retention.i18n import t
from retention.vocabulary import NEW, STEPS, step_label  # pages import step_label from here

_STEP_COLOURS = ("#c6dbef", "#9ecae1", "#6baed6", "#3182bd", "#08519c")
_WINDOW_COLOURS = {30: "#08519c", 60: "#3182bd", 90: "#6baed6", 180: "#9ecae1"}
_CUT_COLOUR = "#d62728"


def ladder_funnel(counts: pd.DataFrame, *, locale: str = "en") -> go.Figure:
    """The cumulative ladder as a funnel: one bar per step reached, labelled with the count,
    its share of buyers and the conversion from the step above.

    ``counts``: :func:`retention.metrics.ladder.ladder_counts`. A step whose count is unknown
    (advocates without referral or NPS data) gets no bar; a note under the funnel says so.
    """
    known = counts[counts["customers"].notna()]
    unknown = [step_label(step) for step in counts.loc[counts["customers"].isna(), "step"]]
    labels = [step_label(step) for step in known["step"]]
    text, hover = [], []
    for row in known.itertuples():
        parts = [format_count(row.customers, locale),
                 t("{share} of buyers", share=format_percent(row.share_of_buyers, 1, locale))]
        if optional_float(row.conversion) is not None:
            parts.append(t("{share} of the step above",
                           share=format_percent(row.conversion, 1, locale)))
        text.append(" · ".join(parts))
        hover.append("<br>".join([
            f"<b>{step_label(str(row.step))}</b>",
            t("Customers who reached this step: {n}", n=format_count(row.customers, locale)),
            t("Share of all buyers: {share}",
              share=format_percent(row.share_of_buyers, 1, locale)),
            t("Came this far from the step above: {share}",
              share=format_percent(row.conversion, 1, locale)),
        ]))
    values = [int(v) for v in known["customers"]]
    figure = go.Figure(go.Funnel(
        y=labels, x=values, text=text, textinfo="text", textposition="outside",
        cliponaxis=False, customdata=hover, hovertemplate="%{customdata}<extra></extra>",
        marker={"color": list(_STEP_COLOURS[: len(known)])}, connector={"line": {"width": 0}},
    ))
    widest = max(values, default=0) or 1
    figure.update_layout(
        title=t("Customers who reached each step (each step includes the ones below it)"),
        # the funnel is centred on 0: room on the right keeps the labels beside the bars
        xaxis={"title": {"text": t("Customers")}, "visible": False,
               "range": [-widest / 2, widest * 1.6]},
        yaxis={"title": {"text": t("Step")}},
        height=460, margin={"l": 10, "r": 10},
    )
    if unknown:
        figure.add_annotation(
            text=t("Not shown, unknown: {steps}", steps=", ".join(unknown)),
            xref="paper", yref="paper", x=0, y=-0.12, showarrow=False, xanchor="left",
        )
    return figure


def comeback_chart(comeback: pd.DataFrame, *, locale: str = "en") -> go.Figure:
    """One line per window (30, 60, 90, 180 days): the share of each acquisition month's new
    customers who ordered again within it. Months too young for a window are gaps, not zeros.

    ``comeback``: :func:`retention.metrics.ladder.comeback_by_cohort` (long format).
    """
    figure = go.Figure()
    for days, rows in comeback.groupby("days", sort=True):
        hover = [
            t("New in {month}: {n} customers", month=f"{row.cohort_month:%Y-%m}",
              n=format_count(row.new_customers, locale))
            + "<br>" + (
                t("Ordered again within {days} days: {share} ({back})", days=days,
                  share=format_percent(row.share, 1, locale),
                  back=format_count(row.came_back, locale))
                if row.observable else
                t("Too recent: not all of them have had {days} days yet", days=days))
            for row in rows.itertuples()
        ]
        figure.add_trace(go.Scatter(
            x=rows["cohort_month"],
            y=[None if pd.isna(v) else float(v) * 100 for v in rows["share"]],
            mode="lines+markers", name=t("within {days} days", days=days),
            line={"color": _WINDOW_COLOURS.get(as_int(days))},
            customdata=hover, hovertemplate="%{customdata}<extra></extra>",
        ))
    figure.update_layout(
        title=t("Share of new customers who ordered again, by the month of their first order"),
        xaxis={"title": {"text": t("Month of the first order")}},
        yaxis={"title": {"text": t("Ordered again (% of the month's new customers)")},
               "ticksuffix": "%", "rangemode": "tozero"},
        height=380, legend={"orientation": "h", "y": -0.2},
    )
    return figure


def migration_heatmap(matrix: pd.DataFrame, *, locale: str = "en") -> go.Figure:
    """Step on the start date (rows, 'new' on top) × step on the end date (columns), each
    cell showing how many customers made that move.

    ``matrix``: :func:`retention.metrics.ladder.migration_matrix`.
    """
    rows = [step for step in (NEW, *STEPS) if step in set(matrix["from_step"])]
    columns = [step for step in STEPS if step in set(matrix["to_step"])]
    by_cell = matrix.set_index(["from_step", "to_step"])["customers"]
    z, text, hover = [], [], []
    for start in rows:
        counts = [int(by_cell.get((start, end), 0)) for end in columns]
        z.append(counts)
        text.append([format_count(n, locale) for n in counts])
        hover.append([
            t("{start} → {end}: {n} customers", start=step_label(start), end=step_label(end),
              n=format_count(n, locale))
            for end, n in zip(columns, counts, strict=True)
        ])
    figure = go.Figure(go.Heatmap(
        z=z, x=[step_label(s) for s in columns], y=[step_label(s) for s in rows],
        text=text, texttemplate="%{text}", customdata=hover,
        hovertemplate="%{customdata}<extra></extra>", colorscale="Blues",
        colorbar={"title": {"text": t("Customers")}}, xgap=3, ygap=3,
    ))
    figure.update_layout(
        title=t("Who moved: step on the start date × step on the end date"),
        xaxis={"title": {"text": t("Step on the end date")}, "side": "top"},
        yaxis={"title": {"text": t("Step on the start date")}, "autorange": "reversed"},
        height=420, margin={"t": 110},
    )
    return figure


def pareto_chart(
    curve: pd.DataFrame, *, currency: str | None = None, locale: str = "en"
) -> go.Figure:
    """The cumulative share of net revenue against the share of customers, best first, with
    the top-20% cut marked and the line of equal shares for comparison.

    ``curve``: :func:`retention.metrics.pareto.pareto_curve`.
    """
    def describe(row: Any) -> str:  # an itertuples row: pandas has no type for one
        return t("The best {share} of customers ({n}) brought {revenue_share} of net revenue "
                 "({money})", share=format_percent(row.customer_share, 1, locale),
                 n=format_count(row.rank, locale),
                 revenue_share=format_percent(row.revenue_share, 1, locale),
                 money=format_money(row.cumulative_revenue, currency, locale))

    x = (curve["customer_share"] * 100).tolist()
    y = [None if pd.isna(v) else float(v) * 100 for v in curve["revenue_share"]]
    figure = go.Figure()
    figure.add_trace(go.Scatter(
        x=[0, 100], y=[0, 100], mode="lines", name=t("If every customer spent the same"),
        line={"color": "#bdbdbd", "dash": "dot"}, hoverinfo="skip",
    ))
    figure.add_trace(go.Scatter(
        x=x, y=y, mode="lines", name=t("Customers, best first"), line={"color": "#3182bd"},
        customdata=[describe(row) for row in curve.itertuples()],
        hovertemplate="%{customdata}<extra></extra>",
    ))
    cut = curve[curve["is_top_cut"]]
    if not cut.empty and not pd.isna(cut["revenue_share"].iloc[0]):
        row = next(cut.itertuples())
        figure.add_trace(go.Scatter(
            x=[as_float(row.customer_share) * 100], y=[as_float(row.revenue_share) * 100],
            mode="markers+text", name=t("Top 20%"), marker={"color": _CUT_COLOUR, "size": 10},
            text=[format_percent(row.revenue_share, 1, locale)], textposition="bottom right",
            customdata=[describe(row)], hovertemplate="%{customdata}<extra></extra>",
        ))
    figure.update_layout(
        title=t("How much of the net revenue the best customers bring"),
        xaxis={"title": {"text": t("Customers, ranked by net revenue (% of customers)")},
               "ticksuffix": "%", "range": [0, 100.5]},
        yaxis={"title": {"text": t("Share of net revenue (%)")}, "ticksuffix": "%"},
        height=400, legend={"orientation": "h", "y": -0.2},
    )
    return figure
