"""Figures of the retention and lifetime-value page: CRR and strict retention over time, the
customers behind them, the cohort heatmap, the LTV trend as small multiples, realised value
curves and LTV by segment. Each takes the frame a ``retention.metrics`` function returns.

Numbers in hovers are written with :mod:`retention.formatting` (plotly's number formats know no
currency signs such as ₽ or so'm) and passed as text. A period still in progress is drawn
apart — hollow markers, a dotted line, hatched bars — so it never reads as a finished one.
"""

from __future__ import annotations

import html
from collections.abc import Mapping

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from retention.cells import optional_float
from retention.formatting import format_count, format_money, format_percent
from retention.i18n import t

CRR_COLOUR = "#1f77b4"
STRICT_COLOUR = "#ff7f0e"
PART_COLOURS = {
    "start_customers": "#9ecae1",
    "end_customers": "#3182bd",
    "new_customers": "#31a354",
    "reactivated": "#e6550d",
}
IN_PROGRESS_PATTERN = "/"
MAX_CURVES = 12


def period_axis_title(period: str) -> str:
    """The x-axis title for a period kind: 'Month', 'Quarter' or 'Year'."""
    return {"month": t("Month"), "quarter": t("Quarter"), "year": t("Year")}[period]


def part_labels() -> dict[str, str]:
    """Legend names of S, E, N and the reactivated customers."""
    return {
        "start_customers": t("Active at the start (S)"),
        "end_customers": t("Active at the end (E)"),
        "new_customers": t("New and active at the end (N)"),
        "reactivated": t("Came back (reactivated)"),
    }


def _period_hover(row: pd.Series, locale: str) -> str:
    status = t(" — in progress, measured on {day}", day=row["measured_at"]) \
        if row["in_progress"] else ""
    return "<br>".join([
        f"<b>{row['period']}</b>{status}",
        t("CRR: {value}", value=format_percent(_share(row["crr"]), 1, locale)),
        t("Strict retention: {value}", value=format_percent(_share(row["strict"]), 1, locale)),
        t("Churn: {value}", value=format_percent(_share(row["churn"]), 1, locale)),
        t("Active at the start (S): {n}", n=format_count(row["start_customers"], locale)),
        t("Active at the end (E): {n}", n=format_count(row["end_customers"], locale)),
        t("New (N): {n}", n=format_count(row["new_customers"], locale)),
        t("Retained: {n} · came back: {m}", n=format_count(row["retained"], locale),
          m=format_count(row["reactivated"], locale)),
    ])


def _share(percent: object) -> float | None:
    """A percentage as a share of 1 for format_percent; None stays None."""
    value = optional_float(percent)
    return None if value is None else value / 100


def crr_chart(periods: pd.DataFrame, *, period: str = "month", locale: str = "en") -> go.Figure:
    """CRR and strict retention (percent) per period from ``crr_by_period``; the period in
    progress is a hollow marker joined by a dotted line; a dashed line marks 100%."""
    fig = go.Figure()
    hover = [_period_hover(row, locale) for _, row in periods.iterrows()]
    frame = periods.assign(hover=hover)
    done = frame[~frame["in_progress"]]
    running = frame[frame["in_progress"]]
    for column, name, colour in (("crr", t("CRR (seed formula)"), CRR_COLOUR),
                                 ("strict", t("Strict retention"), STRICT_COLOUR)):
        fig.add_trace(go.Scatter(
            x=done["period"], y=done[column], mode="lines+markers", name=name,
            line={"color": colour, "width": 2}, text=done["hover"],
            hovertemplate="%{text}<extra></extra>",
        ))
        if not running.empty:
            # join the running period to the last finished one with a dotted stub
            tail = pd.concat([done.tail(1), running])
            fig.add_trace(go.Scatter(
                x=tail["period"], y=tail[column], mode="lines+markers",
                name=t("{name} — in progress", name=name), showlegend=True,
                line={"color": colour, "dash": "dot"},
                marker={"symbol": "circle-open", "size": 10, "color": colour},
                text=tail["hover"], hovertemplate="%{text}<extra></extra>",
            ))
    fig.add_hline(y=100, line_dash="dash", line_color="grey",
                  annotation_text=t("100%"), annotation_position="top left")
    fig.update_layout(
        title=t("Customer retention rate"), hovermode="closest",
        legend={"orientation": "h", "y": -0.25},
        xaxis_title=period_axis_title(period),
        yaxis_title=t("% of customers active at the start"),
    )
    fig.update_xaxes(type="category", tickangle=-45)
    return fig


def crr_parts_chart(
    periods: pd.DataFrame, *, period: str = "month", locale: str = "en"
) -> go.Figure:
    """Grouped bars of S, E, N and the reactivated customers per period; the period in
    progress is hatched and paler."""
    fig = go.Figure()
    running = periods["in_progress"].tolist()
    hover = [_period_hover(row, locale) for _, row in periods.iterrows()]
    for column, name in part_labels().items():
        fig.add_trace(go.Bar(
            x=periods["period"], y=periods[column], name=name,
            marker={
                "color": PART_COLOURS[column],
                "opacity": [0.55 if r else 1.0 for r in running],
                "pattern": {"shape": [IN_PROGRESS_PATTERN if r else "" for r in running]},
            },
            text=hover, textposition="none", hovertemplate="%{text}<extra></extra>",
        ))
    fig.update_layout(
        title=t("The customers behind the rate"), barmode="group",
        legend={"orientation": "h", "y": -0.25},
        xaxis_title=period_axis_title(period), yaxis_title=t("Customers"),
    )
    fig.update_xaxes(type="category", tickangle=-45)
    return fig


def cohort_heatmap(
    cells: pd.DataFrame,
    measure: str = "buying_share",
    *,
    currency: str | None = None,
    locale: str = "en",
) -> go.Figure:
    """Acquisition month (rows, newest at the bottom) × months since the first order
    (columns) from ``cohort_matrix``, coloured by ``measure`` — 'buying_share' (% of the
    cohort buying in that month) or 'revenue_per_customer' (net revenue per cohort customer).
    Cells not observable yet are left blank."""
    if measure not in ("buying_share", "revenue_per_customer"):
        raise ValueError(f"unknown cohort measure {measure!r}")
    as_percent = measure == "buying_share"
    values = cells.assign(
        shown=cells[measure] * 100 if as_percent else cells[measure],
        hover=[_cohort_hover(row, as_percent, currency, locale) for _, row in cells.iterrows()],
    )
    z = values.pivot(index="cohort_label", columns="months_since", values="shown")
    text = values.pivot(index="cohort_label", columns="months_since", values="hover")
    # Month 0 is 100% buying by definition: scale the colours on the later months so their
    # differences show (month 0 saturates)
    later = values.loc[values["months_since"] > 0, "shown"].dropna()
    fig = go.Figure(go.Heatmap(
        z=z.to_numpy(dtype=float), x=list(z.columns), y=list(z.index),
        customdata=text.to_numpy(dtype=object), hovertemplate="%{customdata}<extra></extra>",
        colorscale="Blues", hoverongaps=False,
        zmin=0 if as_percent else None,
        zmax=float(later.max()) if as_percent and not later.empty and later.max() > 0 else None,
        colorbar={"title": {"text": t("% buying") if as_percent
                            else t("Net revenue per customer")}},
    ))
    fig.update_layout(
        title=t("Share of each cohort buying, by month since the first order") if as_percent
        else t("Net revenue per cohort customer, by month since the first order"),
        xaxis_title=t("Months since the first order"),
        yaxis_title=t("Month of the first order (cohort)"),
        height=max(420, 160 + 18 * len(z.index)),
    )
    fig.update_yaxes(type="category", autorange="reversed")
    fig.update_xaxes(dtick=1 if len(z.columns) <= 24 else None)
    return fig


def _cohort_hover(row: pd.Series, as_percent: bool, currency: str | None, locale: str) -> str:
    head = t("Cohort {cohort} ({n} customers), month {k}", cohort=row["cohort_label"],
             n=format_count(row["cohort_customers"], locale), k=row["months_since"])
    if not row["observable"]:
        return head + "<br>" + t("Not observable yet: that month has not ended.")
    if as_percent:
        return head + "<br>" + t("{share} bought ({n} customers)",
                                 share=format_percent(row["buying_share"], 1, locale),
                                 n=format_count(row["buyers"], locale))
    return head + "<br>" + t("{money} net revenue per cohort customer",
                             money=format_money(row["revenue_per_customer"], currency, locale))


def ltv_factor_titles(currency_sign: str = "") -> dict[str, str]:
    """Subplot titles of the LTV small multiples, by column."""
    sign = f" ({currency_sign})" if currency_sign else ""
    return {
        "avg_check": t("S · average check") + sign,
        "purchases_per_month": t("C · orders per month"),
        "margin": t("P · margin (%)"),
        "lifetime_months": t("T · lifetime in months"),
        "ltv": t("LTV") + sign,
    }


def ltv_trend_chart(
    trend: pd.DataFrame, *, currency: str | None = None, currency_sign: str = "",
    locale: str = "en",
) -> go.Figure:
    """Five small multiples — S, C, P, T and LTV — at each month-end of ``ltv_trend``, so the
    lever that moved stands out. Points whose year starts before the data does are hollow."""
    titles = ltv_factor_titles(currency_sign)
    fig = make_subplots(rows=1, cols=5, subplot_titles=list(titles.values()),
                        horizontal_spacing=0.05)
    symbols = ["circle" if full else "circle-open" for full in trend["full_year"]]
    formats = {
        "avg_check": lambda v: format_money(v, currency, locale),
        "purchases_per_month": lambda v: "—" if pd.isna(v) else f"{v:.3f}",
        "margin": lambda v: format_percent(v, 1, locale),
        "lifetime_months": lambda v: "—" if pd.isna(v) else t("{m} months", m=f"{v:.1f}"),
        "ltv": lambda v: format_money(v, currency, locale),
    }
    for i, (column, title) in enumerate(titles.items(), start=1):
        values = trend[column] * 100 if column == "margin" else trend[column]
        hover = [t("{title} at {day}: {value}", title=title, day=day, value=formats[column](v))
                 for day, v in zip(trend["anchor"], trend[column], strict=True)]
        fig.add_trace(go.Scatter(
            x=trend["anchor"], y=values, mode="lines+markers", name=title, showlegend=False,
            marker={"symbol": symbols}, text=hover, hovertemplate="%{text}<extra></extra>",
        ), row=1, col=i)
    fig.update_layout(title=t("How LTV and its four levers moved (each point: the year up to "
                              "that month-end)"), height=380)
    fig.update_xaxes(title_text=t("Month-end"), nticks=4, tickformat="%b %Y", tickangle=-45)
    return fig


def value_curves_chart(
    curves: pd.DataFrame,
    *,
    with_margin: bool = False,
    currency: str | None = None,
    locale: str = "en",
    max_quarters: int = MAX_CURVES,
) -> go.Figure:
    """Cumulative value per customer by months since the first order, one line per
    acquisition quarter (the latest ``max_quarters``) from ``value_curves``; net revenue, or
    net revenue × margin when ``with_margin``."""
    column = "margin_per_customer" if with_margin else "revenue_per_customer"
    quarters = sorted(curves["cohort_quarter"].unique())[-max_quarters:]
    fig = go.Figure()
    for quarter in quarters:
        rows = curves[curves["cohort_quarter"] == quarter]
        hover = [t("{quarter} ({n} customers), month {k}: {money} per customer",
                   quarter=quarter, n=format_count(n, locale), k=k,
                   money=format_money(v, currency, locale))
                 for n, k, v in zip(rows["customers"], rows["months_since"], rows[column],
                                    strict=True)]
        fig.add_trace(go.Scatter(
            x=rows["months_since"], y=rows[column], mode="lines+markers", name=quarter,
            text=hover, hovertemplate="%{text}<extra></extra>",
        ))
    fig.update_layout(
        title=t("Realised margin per customer, by acquisition quarter") if with_margin
        else t("Realised net revenue per customer, by acquisition quarter"),
        xaxis_title=t("Months since the first order"),
        yaxis_title=t("Cumulative margin per customer") if with_margin
        else t("Cumulative net revenue per customer"),
        legend_title_text=t("Acquired in"),
    )
    return fig


def segment_ltv_chart(
    segments: pd.DataFrame,
    labels: Mapping[object, str],
    *,
    currency: str | None = None,
    currency_sign: str = "",
    locale: str = "en",
) -> go.Figure:
    """Horizontal bars of LTV per segment from ``ltv_by_segment``, labelled with the amount;
    ``labels`` names each segment value (segment values are data: they are HTML-escaped).
    Segments whose lifetime hit the cap are hatched; the total row is a dashed line."""
    parts = segments[~segments["is_total"]]
    total = segments[segments["is_total"]]
    names = [html.escape(labels.get(None if pd.isna(s) else s, str(s))) for s in parts["segment"]]
    capped = [bool(c) for c in parts["lifetime_capped"]]
    hover = [
        "<br>".join([
            f"<b>{name}</b>",
            t("LTV: {value}", value=format_money(row["ltv"], currency, locale)),
            t("Customers: {n}", n=format_count(row["customers"], locale)),
            t("Average check: {value}", value=format_money(row["avg_check"], currency, locale)),
            t("Lifetime: {m} months", m="—" if pd.isna(row["lifetime_months"])
              else f"{row['lifetime_months']:.1f}")
            + (t(" (capped)") if row["lifetime_capped"] else ""),
        ])
        for name, (_, row) in zip(names, parts.iterrows(), strict=True)
    ]
    fig = go.Figure(go.Bar(
        x=parts["ltv"], y=names, orientation="h",
        marker={"color": CRR_COLOUR,
                "pattern": {"shape": [IN_PROGRESS_PATTERN if c else "" for c in capped]}},
        text=[format_money(v, currency, locale) for v in parts["ltv"]],
        textposition="outside", cliponaxis=False,
        hovertext=hover, hovertemplate="%{hovertext}<extra></extra>",
    ))
    if not total.empty and pd.notna(total["ltv"].iloc[0]):
        fig.add_vline(x=float(total["ltv"].iloc[0]), line_dash="dash", line_color="grey",
                      annotation_text=t("All customers"), annotation_position="top")
    sign = f" ({currency_sign})" if currency_sign else ""
    fig.update_layout(title=t("LTV by segment"), xaxis_title=t("LTV per customer") + sign,
                      yaxis_title=t("Segment"), height=max(320, 140 + 40 * len(names)))
    largest = parts["ltv"].max()
    if pd.notna(largest) and largest > 0:
        fig.update_xaxes(range=[0, float(largest) * 1.18])  # room for the amount labels
    fig.update_yaxes(autorange="reversed", type="category")
    return fig
