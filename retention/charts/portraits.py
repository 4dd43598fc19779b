"""Figures of the customer portraits page: how each portrait stands on every feature (parallel
coordinates), a map of a sample of customers coloured by portrait, portrait sizes against their
revenue, and the ladder-step mix. Each takes a frame of
:class:`retention.models.portraits.Portraits`.

Numbers are formatted with :mod:`retention.formatting` and handed to plotly as text, because
plotly's own number formats know neither the locale's separators nor signs such as ₽ or so'm.
Every portrait keeps one colour across all figures (by portrait number).
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import plotly.graph_objects as go
from babel.numbers import format_decimal

from retention.cells import as_int
from retention.formatting import format_count, format_money, format_percent
from retention.i18n import t
from retention.vocabulary import STEPS, feature_label, step_label  # pages use charts.feature_label

# Colour-blind-safe qualitative palette (Okabe–Ito, then Tol's muted), one per portrait number.
PORTRAIT_COLOURS = (
    "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000",
    "#332288", "#88CCEE", "#117733", "#999933", "#882255", "#44AA99", "#AA4499",
)
# The profile chart's y-axis stops here (standard deviations); beyond it, an open marker.
PROFILE_LIMIT = 3.0
_STEP_COLOURS = ("#c6dbef", "#9ecae1", "#6baed6", "#3182bd", "#08519c")


def portrait_colour(portrait: int) -> str:
    """The colour of portrait number ``portrait`` (1-based) in every figure."""
    return PORTRAIT_COLOURS[(int(portrait) - 1) % len(PORTRAIT_COLOURS)]


def _standing_words(z: float, locale: str) -> str:
    amount = format_decimal(abs(z), format="0.0", locale=locale)
    if abs(z) < 0.05:
        return t("about the same as the average customer")
    if z > 0:
        return t("{z} standard deviations above the average customer", z=amount)
    return t("{z} standard deviations below the average customer", z=amount)


def portrait_profiles(
    standings: pd.DataFrame, *, features: Sequence[str] | None = None, locale: str = "en"
) -> go.Figure:
    """Parallel coordinates of the standardised centres: one line per portrait across the
    features, at its mean z-score against the whole base (0 = the average customer; orders,
    money and gaps on a log scale first). Values beyond ±PROFILE_LIMIT are drawn at the limit, with
    an open marker, so one extreme portrait does not flatten the others; the hover gives the
    true value.

    ``standings``: ``Portraits.standings``. ``features``: which to show (default: those used
    for clustering, or all when fewer than three were used).
    """
    if features is None:
        used = standings.loc[standings["used"], "feature"].unique().tolist()
        features = used if len(used) >= 3 else standings["feature"].unique().tolist()
    shown = standings[standings["feature"].isin(list(features))]
    order = [f for f in features if f in set(shown["feature"])]
    labels = [feature_label(f) for f in order]
    figure = go.Figure()
    for (portrait, name), rows in shown.groupby(["portrait", "name"], sort=True):
        z = rows.set_index("feature").reindex(order)["z"]
        hover = [f"<b>{name}</b><br>{feature_label(f)}: {_standing_words(float(v), locale)}"
                 for f, v in zip(order, z, strict=True)]
        clipped = z.clip(-PROFILE_LIMIT, PROFILE_LIMIT)
        figure.add_trace(go.Scatter(
            x=labels, y=clipped, name=str(name), mode="lines+markers",
            line={"color": portrait_colour(as_int(portrait)), "width": 2.5},
            marker={"size": 9, "symbol": ["circle-open" if abs(v) > PROFILE_LIMIT else "circle"
                                          for v in z]},
            customdata=hover, hovertemplate="%{customdata}<extra></extra>",
        ))
    figure.add_hline(y=0, line={"color": "#555", "dash": "dot"},
                     annotation_text=t("average customer"), annotation_position="top left")
    figure.update_layout(
        title=t("How each portrait differs from the average customer"),
        xaxis={"title": {"text": t("Feature")}},
        yaxis={"title": {"text": t("Standard deviations from the average customer")},
               "range": [-PROFILE_LIMIT - 0.2, PROFILE_LIMIT + 0.2], "zeroline": False},
        legend={"title": {"text": t("Portrait")}},
        height=460, margin={"l": 10, "r": 10},
    )
    return figure


def portrait_map(
    projection: pd.DataFrame, explained_variance: tuple[float, float], *, locale: str = "en"
) -> go.Figure:
    """A sample of customers on the two directions in which they differ most (principal
    components of the scaled features), coloured by portrait.

    ``projection``: ``Portraits.projection``; ``explained_variance``: the share of variation
    each direction carries.
    """
    figure = go.Figure()
    for (portrait, name), rows in projection.groupby(["portrait", "name"], sort=True):
        figure.add_trace(go.Scattergl(
            x=rows["pc1"], y=rows["pc2"], mode="markers", name=str(name),
            marker={"color": portrait_colour(as_int(portrait)), "size": 5, "opacity": 0.6},
            customdata=rows["customer_id"],
            hovertemplate=f"<b>{name}</b><br>" + t("Customer") + ": %{customdata}<extra></extra>",
        ))
    first, second = explained_variance
    figure.update_layout(
        title=t("Customers on a map: nearby dots are similar customers ({n} shown)",
                n=format_count(len(projection), locale)),
        xaxis={"title": {"text": t("Main difference between customers ({share} of the "
                                   "variation)", share=format_percent(first, 0, locale))},
               "zeroline": False},
        yaxis={"title": {"text": t("Second difference ({share} of the variation)",
                                   share=format_percent(second, 0, locale))},
               "zeroline": False},
        legend={"title": {"text": t("Portrait")}},
        height=460,
    )
    return figure


def portrait_sizes(
    summary: pd.DataFrame, *, currency: str | None = None, locale: str = "en"
) -> go.Figure:
    """Each portrait's share of customers next to its share of net revenue (horizontal bars).

    ``summary``: ``Portraits.summary``. A revenue share that is unknown (the base's net revenue
    is not positive) gets no bar.
    """
    names = [str(n) for n in summary["name"]]
    customers_hover = [
        "<br>".join([f"<b>{row.name}</b>",
                     t("Customers: {n}", n=format_count(row.customers, locale)),
                     t("Share of all customers: {share}",
                       share=format_percent(row.customer_share, 1, locale))])
        for row in summary.itertuples()
    ]
    revenue_hover = [
        "<br>".join([f"<b>{row.name}</b>",
                     t("Net revenue: {money}",
                       money=format_money(row.net_revenue, currency, locale)),
                     t("Share of all net revenue: {share}",
                       share=format_percent(row.revenue_share, 1, locale))])
        for row in summary.itertuples()
    ]
    revenue_share = [None if pd.isna(v) else float(v) for v in summary["revenue_share"]]
    figure = go.Figure([
        go.Bar(y=names, x=summary["customer_share"], orientation="h", name=t("Customers"),
               marker={"color": "#9ecae1"},
               text=[format_percent(v, 0, locale) for v in summary["customer_share"]],
               customdata=customers_hover, hovertemplate="%{customdata}<extra></extra>"),
        go.Bar(y=names, x=revenue_share, orientation="h", name=t("Net revenue"),
               marker={"color": "#08519c"},
               text=[format_percent(v, 0, locale) for v in summary["revenue_share"]],
               customdata=revenue_hover, hovertemplate="%{customdata}<extra></extra>"),
    ])
    figure.update_layout(
        title=t("Portrait sizes: share of customers and share of net revenue"),
        barmode="group",
        xaxis={"title": {"text": t("Share of the whole base")}, "tickformat": ".0%"},
        yaxis={"title": {"text": t("Portrait")}, "autorange": "reversed"},
        height=120 + 60 * len(summary), margin={"l": 10, "r": 10},
    )
    return figure


def portrait_ladder_mix(ladder_mix: pd.DataFrame, *, locale: str = "en") -> go.Figure:
    """Per portrait, the share of its customers on each ladder step (100% stacked bars).

    ``ladder_mix``: ``Portraits.ladder_mix``.
    """
    figure = go.Figure()
    order = ladder_mix.drop_duplicates("portrait").sort_values("portrait")["name"].astype(str)
    for colour, step in zip(_STEP_COLOURS, STEPS, strict=True):
        rows = ladder_mix[ladder_mix["step"] == step].sort_values("portrait")
        hover = [
            "<br>".join([f"<b>{row.name}</b>",
                         t("{step}: {n} customers ({share})", step=step_label(step),
                           n=format_count(row.customers, locale),
                           share=format_percent(row.share, 1, locale))])
            for row in rows.itertuples()
        ]
        figure.add_trace(go.Bar(
            y=rows["name"].astype(str), x=rows["share"], orientation="h", name=step_label(step),
            marker={"color": colour}, customdata=hover,
            hovertemplate="%{customdata}<extra></extra>",
        ))
    figure.update_layout(
        title=t("Where each portrait stands on the loyalty ladder"),
        barmode="stack",
        xaxis={"title": {"text": t("Share of the portrait's customers")}, "tickformat": ".0%"},
        yaxis={"title": {"text": t("Portrait")}, "categoryorder": "array",
               "categoryarray": list(order), "autorange": "reversed"},
        legend={"title": {"text": t("Ladder step")}},
        height=120 + 50 * len(order), margin={"l": 10, "r": 10},
    )
    return figure
