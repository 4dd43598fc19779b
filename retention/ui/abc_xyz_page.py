"""The ABC/XYZ page's parts: settings, the 3×3 matrix, a cell's customers with what to do about
them, the distributions behind the cut-offs, the quarterly trend and the product variant.

The numbers come from :mod:`retention.ui.data.abc_xyz`, which takes the saved cut-offs and the
Ladder page's saved thresholds from the context; one classification serves the matrix, both
histograms and every cell's first rows, so picking another value or cell recomputes nothing.
The page's tabs run only when open.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd
import streamlit as st

from retention.charts.abc_xyz import (
    VALUE_KINDS,
    abc_xyz_heatmap,
    abc_xyz_trend_chart,
    cv_histogram_chart,
    share_histogram_chart,
    value_label,
)
from retention.export import Column, ColumnKind, TableSpec
from retention.formatting import format_count, format_percent
from retention.i18n import N_, current_language, t
from retention.metrics import abc_xyz
from retention.metrics.abc_xyz import CELLS, AbcXyzOverview, AbcXyzSettings
from retention.metrics.ladder import STEP_LABELS
from retention.ui import links, page
from retention.ui.context import Context
from retention.ui.data import abc_xyz as data
from retention.ui.data.abc_xyz import LIST_LIMIT
from retention.ui.saved_settings import ABC_XYZ_NAMESPACE as SETTINGS_NAMESPACE
from retention.ui.saved_settings import AbcXyzCutOffs
from retention.ui.text import format_day
from retention.ui.widgets import download_buttons, show_table, table_spec

VALUE_KEY = "abc_xyz_value"
CELL_KEY = "abc_xyz_cell"
TAB_KEY = "abc_xyz_tab"

# What to do with each cell, in a marketer's words.
ACTIONS = {
    "AX": N_("Your best and steadiest customers. Give them personal attention — a named contact, "
          "early access, a thank-you call — and keep them at all costs."),
    "AY": N_("Big spenders who buy in waves. Remind them before their usual buying moments "
             "and give them a reason to come every month: a subscription, a loyalty tier, a "
             "service plan."),
    "AZ": N_("Big but irregular. Find out why purchases are irregular: call or survey them — they "
          "may buy the rest elsewhere, or only for occasions you could plan with them."),
    "BX": N_("Steady middle spenders. Grow the basket with related products and bundles, and "
          "invite them to the next loyalty tier."),
    "BY": N_("Middle spend, uneven rhythm. Send personal offers on a regular schedule to make "
          "their buying steadier."),
    "BZ": N_("Middle spend, rare and irregular. Time win-back offers to their past purchases and "
          "ask what would bring them back more often."),
    "CX": N_("Small but steady. Keep serving them cheaply and reliably; suggest simple add-ons to "
          "raise the average check."),
    "CY": N_("Small and uneven. Automated emails and SMS with offers; no personal effort."),
    "CZ": N_("Small, rare purchases. Low-cost automated reminders only; do not spend on personal "
          "contact."),
}

_BUCKET_LABELS = {"week": N_("Weeks"), "month": N_("Months"), "quarter": N_("Quarters")}


# -- settings -----------------------------------------------------------------------------------

# The form's fields, in the order of the stored settings (shares are shown in %).
_FIELDS = ("a_share", "b_share", "x_cv", "y_cv", "bucket", "product_x_cv", "product_y_cv")


def _draw_fields(keys: dict[str, str]) -> None:
    left, middle, right = st.columns(3)
    left.number_input(
        t("A: customers bringing the first … % of revenue"), min_value=1.0,
        max_value=99.0, step=1.0, format="%.1f", key=keys["a_share"],
        help=t("Ranked by net revenue, the customers who together bring this share are A."))
    left.number_input(
        t("B: … up to this % of revenue"), min_value=2.0, max_value=100.0, step=1.0,
        format="%.1f", key=keys["b_share"],
        help=t("The next customers up to this share are B; the rest (the long tail) are C."))
    middle.number_input(
        t("X: steady up to this CV"), min_value=0.0, max_value=10.0, step=0.05,
        format="%.2f", key=keys["x_cv"],
        help=t("The coefficient of variation (CV) of a customer's revenue per period: 0 "
               "means the same amount every period, 1 means it swings by as much as the "
               "average itself."))
    middle.number_input(
        t("Y: fluctuating up to this CV"), min_value=0.0, max_value=10.0, step=0.05,
        format="%.2f", key=keys["y_cv"], help=t("Above this CV a customer is Z: irregular."))
    middle.radio(
        t("Time bucket"), list(_BUCKET_LABELS), key=keys["bucket"], horizontal=True,
        format_func=lambda b: t(_BUCKET_LABELS[b]),
        help=t("How the 12 months are cut to measure regularity: 12 months, 4 blocks of "
               "three months, or the 52 weeks ending on the last day (the first day or two "
               "of the year then fall in no week)."))
    right.number_input(
        t("Products: X up to this CV"), min_value=0.0, max_value=10.0, step=0.05,
        format="%.2f", key=keys["product_x_cv"],
        help=t("The classic inventory cut-offs are 0.1 and 0.25: products sell far more "
               "evenly than single customers buy."))
    right.number_input(
        t("Products: Y up to this CV"), min_value=0.0, max_value=10.0, step=0.05,
        format="%.2f", key=keys["product_y_cv"])


def _parse(values: dict[str, Any]) -> dict[str, Any]:
    """The submitted widgets as settings to store; ``ValueError`` when they do not fit."""
    customers = AbcXyzSettings(
        a_share=values["a_share"] / 100, b_share=values["b_share"] / 100,
        x_cv=values["x_cv"], y_cv=values["y_cv"], bucket=values["bucket"])
    products = AbcXyzSettings(
        a_share=customers.a_share, b_share=customers.b_share, bucket=customers.bucket,
        x_cv=values["product_x_cv"], y_cv=values["product_y_cv"])
    return AbcXyzCutOffs(customers, products).as_settings()


def settings_panel(ctx: Context) -> AbcXyzCutOffs:
    """The cut-offs and the time bucket in a form, remembered per dataset; returns the
    (customer, product) settings in effect."""
    saved = ctx.saved.abc_xyz
    shown = dict(saved.as_settings(), a_share=saved.customers.a_share * 100,
                 b_share=saved.customers.b_share * 100)
    page.settings_form(
        ctx, SETTINGS_NAMESPACE, title=t("Settings: cut-offs and time bucket"),
        reset_label=t("Back to the standard cut-offs"),
        initial={name: shown[name] for name in _FIELDS}, draw_fields=_draw_fields,
        parse=_parse)
    return ctx.saved.abc_xyz


# -- page parts ---------------------------------------------------------------------------------


def introduction(ctx: Context, settings: AbcXyzSettings) -> None:
    """What A/B/C and X/Y/Z mean with the cut-offs in effect, and which months are counted."""
    assert ctx.as_of is not None
    start, end = abc_xyz.analysis_span(ctx.as_of)
    lang = current_language()
    st.caption(t(
        "Customers are counted over the 12 complete months {start} – {end} (a month counts "
        "once the as-of date reaches its last day). **A**: the best customers who together bring "
        "the first {a} of net revenue; **B**: the next ones, up to {b}; **C**: the rest. **X**: "
        "they spend about the same every {bucket} (CV up to {x}); **Y**: it swings (up to {y}); "
        "**Z**: irregular. Customers whose returns cancel their purchases are not classified.",
        start=format_day(start), end=format_day(end),
        a=format_percent(settings.a_share, 0, lang), b=format_percent(settings.b_share, 0, lang),
        bucket=t(settings.bucket), x=f"{settings.x_cv:g}", y=f"{settings.y_cv:g}",
    ))


def tabs() -> Sequence[Any]:
    """Customers, cut-offs, trend, products. Only the open tab's code runs (``.open``), so
    the first view costs one classification, not four."""
    return links.linked_tabs("tab", TAB_KEY, {
        "customers": t("Customers"), "cut_offs": t("Why these cut-offs"), "trend": t("Trend"),
        "products": t("Products")})


def _customer_overview(ctx: Context) -> AbcXyzOverview | None:
    """The customers' classification; None, with a note, when nobody can be classified."""
    assert ctx.dataset is not None and ctx.as_of is not None
    with st.spinner(t("Classifying customers…"), show_time=True):
        overview = data.overview(ctx, "customer")
    if int(overview.cells["customers"].sum()) > 0:
        return overview
    start, end = abc_xyz.analysis_span(ctx.as_of)
    st.info(t("No customer has a positive net revenue in {start} – {end}, so there is no one "
              "to classify. Move the as-of date in the sidebar to a later day (a month counts "
              "once it is complete).", start=format_day(start), end=format_day(end)),
            icon=":material/info:")
    return None


def _value_picker(unit: str = "customer") -> str:
    return st.selectbox(
        t("Show in the cells"), list(VALUE_KINDS), key=f"{VALUE_KEY}_{unit}", width=320,
        format_func=lambda v: value_label(v, unit),
        help=t("Every cell is labelled with this value; hover a cell to see all of them."),
    )


def matrix(ctx: Context) -> AbcXyzOverview | None:
    """The value picker and the 3×3 heatmap; None (with a note) when nobody is classified."""
    overview = _customer_overview(ctx)
    if overview is None:
        return None
    value = _value_picker()
    st.plotly_chart(abc_xyz_heatmap(overview.cells, value, currency=ctx.currency,
                                    locale=current_language()), key="abc_xyz_heatmap")
    _cells_table(ctx, overview.cells, "customer")
    return overview


def cells_table(cells: pd.DataFrame, unit: str = "customer") -> pd.DataFrame:
    """The nine cells with all six values, headers in words (what the heatmap shows)."""
    plural = "customers" if unit == "customer" else "products"
    return pd.DataFrame({
        t("Cell"): cells["cell"],
        value_label("count", unit): cells[plural],
        value_label("count_share", unit): cells[f"{unit}_share"],
        t("Net revenue"): cells["revenue"],
        value_label("revenue_share", unit): cells["revenue_share"],
        t("Average check"): cells["avg_check"],
        value_label("avg_orders", unit): cells["avg_orders"],
    })


def cells_spec(currency: str | None, unit: str = "customer") -> TableSpec:
    """How :func:`cells_table` is shown and downloaded (its columns carry these titles)."""
    kinds: list[tuple[str, ColumnKind]] = [
        (t("Cell"), "text"), (value_label("count", unit), "count"),
        (value_label("count_share", unit), "share"), (t("Net revenue"), "money"),
        (value_label("revenue_share", unit), "share"), (t("Average check"), "money"),
        (value_label("avg_orders", unit), "number")]
    return table_spec(*(Column(title, title, kind, decimals=1 if kind == "number" else None)
                        for title, kind in kinds), currency=currency)


def _cells_table(ctx: Context, cells: pd.DataFrame, unit: str) -> None:
    assert ctx.dataset is not None
    with st.expander(t("The nine cells as a table"), icon=":material/table:"):
        table = cells_table(cells, unit)
        spec = cells_spec(ctx.currency, unit)
        show_table(table, spec)
        download_buttons(table, f"{ctx.dataset.name}-abc-xyz-{unit}-cells",
                         key=f"abc_xyz_cells_{unit}", spec=spec)


def cell_drilldown(ctx: Context, overview: AbcXyzOverview) -> None:
    """Pick a cell: what to do with it, and its customers (the first LIST_LIMIT, all in the
    download) with revenue, orders, CV, last purchase and ladder step."""
    assert ctx.dataset is not None
    lang = current_language()
    sizes = overview.cells.set_index("cell")["customers"]
    st.subheader(t("Customers of one cell"))
    links.follow_choice("cell", CELL_KEY, {c: c for c in CELLS})
    if CELL_KEY not in st.session_state:
        # start on the first cell with someone in it (AX is empty in many shops)
        st.session_state[CELL_KEY] = next((c for c in CELLS if sizes[c] > 0), CELLS[0])
    cell = st.pills(
        t("Cell"), list(CELLS), key=CELL_KEY,
        format_func=lambda c: f"{c} · {format_count(sizes[c], lang)}",
        help=t("Letter one: revenue class; letter two: regularity. The number is the cell's "
               "customers."),
    )
    links.publish({"cell": cell})
    if cell is None:
        st.caption(t("Pick a cell to see its customers."))
        return
    st.info(t(ACTIONS[cell]), icon=":material/campaign:")
    total = int(sizes[cell])
    if total == 0:
        st.caption(t("No customers in {cell}.", cell=cell))
        return
    with st.spinner(t("Looking up the customers' ladder steps…"), show_time=True):
        listed = data.listed_customers(ctx)
    members = listed[listed["cell"] == cell]
    if total > len(members):
        st.caption(t("{total} customers in {cell}; the {shown} with the most revenue are shown. "
                     "The download holds all of them.", total=format_count(total, lang),
                     cell=cell, shown=format_count(len(members), lang)))
    table = customer_table(members)
    spec = list_spec(table, ctx.currency)
    show_table(table, spec)
    whole_cell = data.whole_cell(ctx, cell)
    download_buttons(lambda: customer_table(whole_cell()), f"{ctx.dataset.name}-abc-xyz-{cell}",
                     key=f"abc_xyz_download_{cell}", spec=spec)


# The columns of the customer and product lists, with their headers; each list shows some.
_LIST_TITLES = {
    "customer_id": N_("Customer"), "product": N_("Product"), "cell": N_("Cell"),
    "revenue": N_("Net revenue"), "revenue_share": N_("Share of revenue"),
    "orders": N_("Orders in the 12 months"), "cv": N_("CV"),
    "last_purchase": N_("Last purchase"), "step": N_("Ladder step"),
}


def _list_table(listed: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """``columns`` of ``listed`` under their headers in words, dates as days and ladder steps
    in words."""
    def shown(name: str) -> Any:
        if name == "last_purchase":
            return pd.to_datetime(listed[name]).dt.date
        if name == "step":
            return [t(STEP_LABELS[s]) if isinstance(s, str) else None for s in listed[name]]
        return listed[name]
    return pd.DataFrame({t(_LIST_TITLES[name]): shown(name) for name in columns})


def customer_table(members: pd.DataFrame) -> pd.DataFrame:
    """The displayed (and downloaded) list: id, revenue, orders, CV, last purchase, ladder step,
    with headers in words."""
    return _list_table(members, ("customer_id", "cell", "revenue", "orders", "cv",
                                 "last_purchase", "step"))


def list_spec(table: pd.DataFrame, currency: str | None) -> TableSpec:
    """How :func:`customer_table` and :func:`product_table` are shown and downloaded (their
    columns carry these titles)."""
    kinds: dict[str, ColumnKind] = {
        t("Net revenue"): "money", t("Share of revenue"): "share",
        t("Orders in the 12 months"): "count", t("CV"): "number", t("Last purchase"): "date"}
    helps = {t("CV"): t("Coefficient of variation of revenue per period")}
    return table_spec(*(Column(title, title, kinds.get(title, "text"), help=helps.get(title))
                        for title in table.columns), currency=currency)


def distributions(ctx: Context, settings: AbcXyzSettings) -> None:
    """CV and revenue-share histograms with the cut-offs, and what they show."""
    overview = _customer_overview(ctx)
    if overview is None:
        return
    lang = current_language()
    left, right = st.columns(2)
    with left:
        st.plotly_chart(share_histogram_chart(
            overview.share_bins, a_share=settings.a_share, b_share=settings.b_share,
            currency=ctx.currency, locale=lang), key="abc_xyz_share_histogram")
        st.caption(t("Each bar: customers ranked at that point of the revenue. Few customers "
                     "stand left of the A line, yet they bring most of the money; the long tail "
                     "right of the B line is most of the customers."))
    with right:
        st.plotly_chart(cv_histogram_chart(
            overview.cv_bins, x_cv=settings.x_cv, y_cv=settings.y_cv, bucket=settings.bucket,
            currency=ctx.currency, locale=lang), key="abc_xyz_cv_histogram")
        st.caption(t("Each bar: customers with that regularity. The tall bar at the far right "
                     "is customers who bought in one {bucket} only.", bucket=t(settings.bucket)))


def trend(ctx: Context) -> None:
    """The nine cells' sizes at the last four quarter-ends."""
    with st.spinner(t("Classifying at the last four quarter-ends…"), show_time=True):
        frame = data.trend(ctx)
    st.plotly_chart(abc_xyz_trend_chart(frame, locale=current_language()),
                    key="abc_xyz_trend")
    st.caption(t("Each quarter-end is classified over the 12 months ending there, with the "
                 "same cut-offs. A growing AX and shrinking C cells are good news."))


def products(ctx: Context, settings: AbcXyzSettings) -> None:
    """The same analysis for products, or why it is unknown."""
    assert ctx.dataset is not None
    if not data.has_products(ctx):
        st.info(t("Unknown: this dataset has no product column, so products cannot be "
                  "classified. Load the file again on the Data page with a column mapped to "
                  "“product”."), icon=":material/help:")
        return
    lang = current_language()
    st.caption(t("The classic inventory use: A products bring the first {a} of revenue; X "
                 "products sell evenly (CV up to {x}), Y up to {y}, Z irregularly. Lines "
                 "without a product are left out.",
                 a=format_percent(settings.a_share, 0, lang), x=f"{settings.x_cv:g}",
                 y=f"{settings.y_cv:g}"))
    with st.spinner(t("Classifying products…"), show_time=True):
        overview = data.overview(ctx, "product")
    total = int(overview.cells["products"].sum())
    if total == 0:
        st.caption(t("No product has a positive net revenue in these 12 months."))
        return
    value = _value_picker("product")
    st.plotly_chart(abc_xyz_heatmap(overview.cells, value, currency=ctx.currency,
                                    unit="product", locale=lang,
                                    title=t("Products by revenue class and regularity: "
                                            "{value}", value=value_label(value, "product"))),
                    key="abc_xyz_product_heatmap")
    _cells_table(ctx, overview.cells, "product")
    table = product_table(overview.top)
    if total > len(table):
        st.caption(t("{total} products; the {shown} with the most revenue in each cell are "
                     "shown. The download holds all of them.", total=format_count(total, lang),
                     shown=format_count(LIST_LIMIT, lang)))
    spec = list_spec(table, ctx.currency)
    show_table(table, spec)
    all_products = data.all_products(ctx)
    download_buttons(lambda: product_table(all_products()),
                     f"{ctx.dataset.name}-abc-xyz-products", key="abc_xyz_download_products",
                     spec=spec)


def product_table(listed: pd.DataFrame) -> pd.DataFrame:
    """Products with their cell, revenue, share, orders, CV and last sale, headers in words."""
    return _list_table(listed, ("product", "cell", "revenue", "revenue_share", "orders", "cv",
                                "last_purchase"))
