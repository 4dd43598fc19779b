"""Figures of the churn-risk page. Each takes a frame from ``retention.models`` (churn or
backtest) and returns a plotly Figure; money is formatted with the dataset's currency here
(plotly's number formats know no ₽ or so'm) and handed to the hover as text.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from retention.formatting import currency_symbol, format_count, format_money, format_percent
from retention.i18n import t

_ACTUAL_COLOUR = "#1f77b4"
_PREDICTED_COLOUR = "#ff7f0e"
# Red for the groups to act on, greys and greens for the rest (RISK_GROUPS order).
_GROUP_COLOURS = {
    "valuable_slipping": "#d62728",
    "valuable_active": "#2ca02c",
    "one_time": "#9e9e9e",
    "lost": "#8c564b",
    "at_risk": "#ff7f0e",
    "active": "#98df8a",
}


def risk_groups_bar(
    counts: pd.DataFrame, *, currency: str | None = None, locale: str = "en"
) -> go.Figure:
    """Customers per churn-risk group, one horizontal bar each, in the frame's order (from
    ``risk_group_counts``); the hover adds the share, mean P(alive) and predicted value."""
    hover = [
        t("{customers} customers ({share})<br>Average chance still buying: {p}<br>"
          "Predicted value: {clv}",
          customers=format_count(row.customers, locale),
          share=format_percent(row.share, 1, locale),
          p=format_percent(row.mean_p_alive, 0, locale),
          clv=format_money(row.predicted_clv, currency, locale))
        for row in counts.itertuples()
    ]
    fig = go.Figure(go.Bar(
        x=counts["customers"], y=counts["label"], orientation="h",
        marker_color=[_GROUP_COLOURS.get(k, "#888888") for k in counts["risk_group"]],
        hovertext=hover, hovertemplate="<b>%{y}</b><br>%{hovertext}<extra></extra>",
        text=[format_count(c, locale) for c in counts["customers"]], textposition="auto",
    ))
    fig.update_layout(
        title=t("Customers by churn risk"), xaxis_title=t("Customers"), yaxis_title=None,
        yaxis={"autorange": "reversed"}, margin={"l": 10, "r": 10, "t": 50, "b": 40},
        height=320,
    )
    return fig


def alive_heatmap(cells: pd.DataFrame, *, locale: str = "en") -> go.Figure:
    """Mean P(alive) by days since the last purchase (columns) and repeat purchases (rows),
    from ``alive_heatmap``; each cell shows the percentage and its customer count."""
    recency = cells.drop_duplicates("recency_order").sort_values("recency_order")["recency"]
    frequency = (cells.drop_duplicates("frequency_order")
                 .sort_values("frequency_order")["frequency"])
    grid = cells.pivot(index="frequency", columns="recency", values="mean_p_alive")
    grid = grid.reindex(index=list(frequency), columns=list(recency))
    count = cells.pivot(index="frequency", columns="recency", values="customers")
    count = count.reindex(index=list(frequency), columns=list(recency))
    text = [[
        "" if pd.isna(p) else f"{format_percent(p, 0, locale)}<br>({format_count(n, locale)})"
        for p, n in zip(prow, nrow, strict=True)]
        for prow, nrow in zip(grid.to_numpy(), count.to_numpy(), strict=True)]
    hover = [[
        "" if pd.isna(p) else t("{customers} customers; average chance still buying {p}",
                                customers=format_count(n, locale),
                                p=format_percent(p, 1, locale))
        for p, n in zip(prow, nrow, strict=True)]
        for prow, nrow in zip(grid.to_numpy(), count.to_numpy(), strict=True)]
    fig = go.Figure(go.Heatmap(
        z=grid.to_numpy(dtype=float), x=list(recency), y=list(frequency), zmin=0, zmax=1,
        colorscale="RdYlGn", text=text, texttemplate="%{text}", hovertext=hover,
        hovertemplate=(t("Repeat purchases") + ": %{y}<br>" + t("Last purchase") +
                       ": %{x} " + t("ago") + "<br>%{hovertext}<extra></extra>"),
        colorbar={"title": {"text": t("P(alive)")}, "tickformat": ".0%"},
    ))
    fig.update_layout(
        title=t("Chance a customer is still buying, by recency and frequency"),
        xaxis_title=t("Days since the last purchase"),
        yaxis_title=t("Repeat purchases so far"),
        margin={"l": 10, "r": 10, "t": 50, "b": 40}, height=420,
        # labels such as "0" and "2" must stay categories, not become a numeric axis
        xaxis={"type": "category"}, yaxis={"type": "category"},
    )
    return fig


def score_histogram(
    bins: pd.DataFrame, *, x_title: str, title: str, money: bool = False,
    currency: str | None = None, locale: str = "en"
) -> go.Figure:
    """Bars of customers per bin (from ``score_histogram``: lower, upper, customers)."""
    def label(value: float) -> str:
        if money:
            return format_money(value, currency, locale)
        return format_percent(value, 0, locale)

    ranges = [f"{label(lo)} – {label(hi)}" for lo, hi in zip(bins["lower"], bins["upper"],
                                                             strict=True)]
    fig = go.Figure(go.Bar(
        x=(bins["lower"] + bins["upper"]) / 2, y=bins["customers"],
        width=(bins["upper"] - bins["lower"]) * 0.95, marker_color=_ACTUAL_COLOUR,
        hovertext=ranges,
        hovertemplate="%{hovertext}<br>" + t("Customers") + ": %{y:,}<extra></extra>",
    ))
    if money and currency_symbol(currency, locale):
        x_title = f"{x_title} ({currency_symbol(currency, locale)})"
    fig.update_layout(title=title, xaxis_title=x_title, yaxis_title=t("Customers"),
                      margin={"l": 10, "r": 10, "t": 50, "b": 40}, height=320, bargap=0)
    if not money:
        fig.update_xaxes(tickformat=".0%")
    return fig


def tracking_chart(tracking: pd.DataFrame, calibration_end: dt.date) -> go.Figure:
    """Cumulative repeat purchases, actual and predicted, with the end of the calibration
    period marked (from ``Backtest.tracking``)."""
    fig = go.Figure()
    fig.add_trace(go.Scatter(
        x=tracking["day"], y=tracking["actual_cumulative"], name=t("Actual"),
        line={"color": _ACTUAL_COLOUR},
        hovertemplate=t("Actual") + ": %{y:,.0f} " + t("repeat purchases") + "<extra></extra>",
    ))
    fig.add_trace(go.Scatter(
        x=tracking["day"], y=tracking["predicted_cumulative"], name=t("Predicted"),
        line={"color": _PREDICTED_COLOUR, "dash": "dash"},
        hovertemplate=t("Predicted") + ": %{y:,.0f} " + t("repeat purchases") +
        "<extra></extra>",
    ))
    fig.add_vline(x=pd.Timestamp(calibration_end).timestamp() * 1000, line_dash="dot",
                  line_color="#555555", annotation_text=t("model fitted up to here"),
                  annotation_position="top left")
    fig.update_layout(
        title=t("Repeat purchases since the start: actual vs predicted"),
        xaxis_title=t("Date"), yaxis_title=t("Repeat purchases (cumulative)"),
        hovermode="x unified", margin={"l": 10, "r": 10, "t": 50, "b": 40}, height=380,
        legend={"orientation": "h", "y": -0.2},
    )
    return fig


def by_frequency_chart(by_x: pd.DataFrame, holdout_days: int) -> go.Figure:
    """Holdout purchases per customer, actual vs predicted, by repeat purchases in the
    calibration period (from ``Backtest.by_x``)."""
    fig = go.Figure()
    for column, name, colour in (("actual_mean", t("Actual"), _ACTUAL_COLOUR),
                                 ("predicted_mean", t("Predicted"), _PREDICTED_COLOUR)):
        fig.add_trace(go.Bar(
            x=by_x["x_group"], y=by_x[column], name=name, marker_color=colour,
            customdata=np.asarray(by_x["customers"]),
            hovertemplate=(name + ": %{y:.2f} " + t("purchases per customer") + "<br>"
                           + t("Customers") + ": %{customdata:,}<extra></extra>"),
        ))
    fig.update_layout(
        barmode="group",
        title=t("Purchases in the {days} checked days, per customer", days=holdout_days),
        xaxis_title=t("Repeat purchases before the check"),
        yaxis_title=t("Purchases per customer"),
        xaxis={"type": "category"},  # "0"…"6" and "7+" are labels, not numbers
        margin={"l": 10, "r": 10, "t": 50, "b": 40}, height=360,
        legend={"orientation": "h", "y": -0.25},
    )
    return fig
