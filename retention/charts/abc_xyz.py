"""Figures of the ABC/XYZ page: the 3×3 matrix, the two distributions behind the cut-offs and
the quarterly trend. Each takes the frame a ``retention.metrics.abc_xyz`` function returns.

Money and percentages are formatted here with :mod:`retention.formatting` (plotly's own
number formats know no currency signs such as ₽ or so'm), and passed to the hover as text.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import plotly.graph_objects as go
from babel.numbers import format_decimal

from retention.formatting import MISSING, format_count, format_money, format_percent
from retention.i18n import t

ABC = ("A", "B", "C")
XYZ = ("X", "Y", "Z")

# The values a heatmap cell can show, and how each is written.
VALUE_KINDS = {
    "count": "count",
    "count_share": "percent",
    "revenue": "money",
    "revenue_share": "percent",
    "avg_check": "money",
    "avg_orders": "number",
}

# Lightest for the oldest quarter, darkest for the latest.
_TREND_COLOURS = ("#c6dbef", "#6baed6", "#2171b5", "#08306b")
_CUT_OFF_COLOUR = "#d62728"


def value_label(value: str, unit: str = "customer") -> str:
    """What a value is called in the picker, the colour bar and the hover."""
    labels = {
        "count": t("Customers") if unit == "customer" else t("Products"),
        "count_share": t("% of customers") if unit == "customer" else t("% of products"),
        "revenue": t("Net revenue"),
        "revenue_share": t("% of revenue"),
        "avg_check": t("Average check"),
        "avg_orders": t("Average orders") if unit == "customer"
        else t("Average orders per product"),
    }
    return labels[value]


def _format(kind: str, value: Any, currency: str | None, locale: str) -> str:
    """A cell value written for people; a missing one (an empty cell's average) as "—"."""
    if value is None or pd.isna(value):
        return MISSING
    if kind == "count":
        return format_count(value, locale)
    if kind == "percent":
        return format_percent(value, 1, locale)
    if kind == "money":
        return format_money(value, currency, locale)
    return format_decimal(round(float(value), 1), format="#,##0.0", locale=locale)


def _cell_columns(cells: pd.DataFrame, unit: str) -> dict[str, str]:
    """Value key -> the column of ``cells`` holding it (counts are named after the unit)."""
    plural = "customers" if unit == "customer" else "products"
    return {
        "count": plural, "count_share": f"{unit}_share", "revenue": "revenue",
        "revenue_share": "revenue_share", "avg_check": "avg_check", "avg_orders": "avg_orders",
    }


def abc_xyz_heatmap(
    cells: pd.DataFrame,
    value: str = "count",
    *,
    currency: str | None = None,
    unit: str = "customer",
    locale: str = "en",
    title: str | None = None,
) -> go.Figure:
    """The 3×3 matrix: rows A, B, C (revenue), columns X, Y, Z (regularity), coloured by
    ``value`` (a key of :data:`VALUE_KINDS`); every cell is annotated with its name and value,
    and the hover lists all six values.

    ``cells``: the nine-row frame of ``abc_xyz_overview(...).cells`` for ``unit``.
    """
    if value not in VALUE_KINDS:
        raise ValueError(f"value must be one of {', '.join(VALUE_KINDS)}; got {value!r}.")
    columns = _cell_columns(cells, unit)
    by_cell = cells.set_index("cell")
    z, text, hover = [], [], []
    for abc in ABC:
        z_row: list[float | None] = []
        text_row, hover_row = [], []
        for xyz in XYZ:
            row = by_cell.loc[abc + xyz]
            shown = row[columns[value]]
            z_row.append(None if pd.isna(shown) else float(shown))
            text_row.append(
                f"<b>{abc}{xyz}</b><br>"
                + _format(VALUE_KINDS[value], shown, currency, locale)
            )
            hover_row.append("<br>".join(
                f"{value_label(key, unit)}: "
                + _format(kind, row[columns[key]], currency, locale)
                for key, kind in VALUE_KINDS.items()
            ))
        z.append(z_row)
        text.append(text_row)
        hover.append(hover_row)
    x_labels = [t("X — steady"), t("Y — fluctuating"), t("Z — irregular")]
    y_labels = [t("A — most revenue"), t("B — middle"), t("C — least revenue")]
    figure = go.Figure(go.Heatmap(
        z=z, x=x_labels, y=y_labels, text=text, texttemplate="%{text}",
        customdata=hover, hovertemplate="<b>%{y} × %{x}</b><br>%{customdata}<extra></extra>",
        colorscale="Blues", colorbar={"title": {"text": value_label(value, unit)}},
        xgap=3, ygap=3,
    ))
    regularity = (t("Regularity of purchases (XYZ)") if unit == "customer"
                  else t("Regularity of sales (XYZ)"))
    figure.update_layout(
        title=title or t("Revenue class × regularity: {value}", value=value_label(value, unit)),
        xaxis={"title": {"text": regularity}, "side": "top"},
        yaxis={"title": {"text": t("Share of revenue (ABC)")}, "autorange": "reversed"},
        height=420, margin={"t": 110},
    )
    return figure


def cv_histogram_chart(
    bins: pd.DataFrame,
    *,
    x_cv: float,
    y_cv: float,
    unit: str = "customer",
    bucket: str = "month",
    currency: str | None = None,
    locale: str = "en",
) -> go.Figure:
    """Bars: how many customers (or products) have each coefficient of variation, with the X
    and Y cut-offs drawn as vertical lines.

    ``bins``: bin_start, bin_end, customers (or products), revenue, capped — the ``cv_bins``
    of ``abc_xyz_overview``. Bins are (bin_start, bin_end]; the first also holds a CV of 0.
    """
    count = "customers" if unit == "customer" else "products"
    noun = t("Customers") if unit == "customer" else t("Products")
    hover = [
        t("CV {start}–{end}{more}", start=f"{row.bin_start:.2f}", end=f"{row.bin_end:.2f}",
          more=t(" and above") if row.capped else "")
        + "<br>" + f"{noun}: {format_count(getattr(row, count), locale)}"
        + "<br>" + t("Net revenue: {money}", money=format_money(row.revenue, currency, locale))
        for row in bins.itertuples()
    ]
    figure = _bin_bars(bins, count, noun, hover)
    right = max(float(bins["bin_end"].max()) if len(bins) else 0.0, y_cv * 1.2)
    _cut_offs(figure, (x_cv, y_cv), XYZ, right)
    per = {"week": t("week"), "month": t("month"), "quarter": t("quarter")}[bucket]
    figure.update_layout(
        title=t("How regular: coefficient of variation of revenue per {bucket}", bucket=per),
        xaxis={"title": {"text": t("Coefficient of variation (0 = the same every {bucket})",
                                   bucket=per)}, "range": [0, right]},
        yaxis={"title": {"text": noun}},
        bargap=0, showlegend=False, height=360,
    )
    return figure


def _bin_bars(bins: pd.DataFrame, count: str, noun: str, hover: list[str]) -> go.Figure:
    """One bar per (bin_start, bin_end] bin, as tall as its ``count`` column, nearly touching
    its neighbours, with ``hover`` as each bar's text."""
    return go.Figure(go.Bar(
        x=(bins["bin_start"] + bins["bin_end"]) / 2, y=bins[count],
        width=(bins["bin_end"] - bins["bin_start"]) * 0.95,
        customdata=hover, hovertemplate="%{customdata}<extra></extra>",
        marker_color="#4292c6", name=noun,
    ))


def _cut_offs(figure: go.Figure, cuts: tuple[float, float], letters: tuple[str, ...],
              right: float) -> None:
    """Dashed lines at the two cut-offs and each class's letter above its stretch of the axis."""
    for cut in cuts:
        figure.add_vline(x=cut, line_color=_CUT_OFF_COLOUR, line_dash="dash")
    edges = (0.0, *cuts, right)
    for letter, start, end in zip(letters, edges, edges[1:], strict=False):
        figure.add_annotation(x=(start + end) / 2, y=1.0, xref="x", yref="paper",
                              yanchor="bottom", text=f"<b>{letter}</b>", showarrow=False,
                              font={"color": _CUT_OFF_COLOUR})


def share_histogram_chart(
    bins: pd.DataFrame,
    *,
    a_share: float,
    b_share: float,
    unit: str = "customer",
    currency: str | None = None,
    locale: str = "en",
) -> go.Figure:
    """Bars: how many customers (or products) stand at each point of the cumulative revenue
    share — the revenue of everyone ranked above them — with the A and B cut-offs as lines.

    ``bins``: bin_start, bin_end, customers (or products), revenue — the ``share_bins`` of
    ``abc_xyz_overview``.
    """
    count = "customers" if unit == "customer" else "products"
    noun = t("Customers") if unit == "customer" else t("Products")
    hover = [
        t("Revenue of those ranked above: {start}–{end}",
          start=format_percent(row.bin_start, 0, locale),
          end=format_percent(row.bin_end, 0, locale))
        + "<br>" + f"{noun}: {format_count(getattr(row, count), locale)}"
        + "<br>" + t("Their net revenue: {money}",
                     money=format_money(row.revenue, currency, locale))
        for row in bins.itertuples()
    ]
    figure = _bin_bars(bins, count, noun, hover)
    _cut_offs(figure, (a_share, b_share), ABC, 1.0)
    figure.update_layout(
        title=t("Who earns the revenue: {noun} along the cumulative share", noun=noun.lower()),
        xaxis={"title": {"text": t("Share of revenue earned by those ranked above")},
               "tickformat": ".0%", "range": [0, 1]},
        yaxis={"title": {"text": noun}},
        bargap=0, showlegend=False, height=360,
    )
    return figure


def abc_xyz_trend_chart(trend: pd.DataFrame, *, locale: str = "en") -> go.Figure:
    """Grouped bars: customers in each of the nine cells at each quarter-end, oldest lightest.

    ``trend``: quarter_end, period, cell, customers, customer_share (``abc_xyz_trend``).
    """
    figure = go.Figure()
    periods = list(dict.fromkeys(trend["period"]))
    for i, period in enumerate(periods):
        rows = trend[trend["period"] == period]
        hover = [
            f"<b>{row.cell}</b>, {period}<br>"
            + t("Customers: {n} ({share} of those classified)",
                n=format_count(row.customers, locale),
                share=format_percent(row.customer_share, 1, locale))
            for row in rows.itertuples()
        ]
        colour = _TREND_COLOURS[max(0, len(_TREND_COLOURS) - len(periods) + i)]
        figure.add_trace(go.Bar(
            x=rows["cell"], y=rows["customers"], name=period, marker_color=colour,
            customdata=hover, hovertemplate="%{customdata}<extra></extra>",
        ))
    figure.update_layout(
        title=t("Customers per cell at the last quarter-ends"),
        xaxis={"title": {"text": t("Cell (revenue class and regularity)")}},
        yaxis={"title": {"text": t("Customers")}},
        barmode="group", legend={"title": {"text": t("Quarter-end")}}, height=380,
    )
    return figure
