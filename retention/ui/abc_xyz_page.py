"""The ABC/XYZ page's parts: settings, the 3×3 matrix, a cell's customers with what to do about
them, the distributions behind the cut-offs, the quarterly trend and the product variant.

Cached accessors are keyed by ``Workspace.fingerprint`` plus plain values (the as-of date and
the settings as a tuple), never by a DataFrame or a connection; each opens its own cursor. The
matrix, both histograms and every cell's first rows come from one classification
(``abc_xyz_overview``), and one ladder lookup serves all nine cells' lists, so picking another
value or cell never recomputes anything. The page's tabs run only when open.
"""

from __future__ import annotations

import datetime as dt
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
from retention.i18n import current_language, t
from retention.metrics import abc_xyz
from retention.metrics.abc_xyz import CELLS, PRODUCT_SETTINGS, AbcXyzOverview, AbcXyzSettings
from retention.metrics.ladder import STEP_LABELS, LadderThresholds
from retention.store import open_workspace
from retention.ui.context import Context
from retention.ui.frame import DATA_PAGE
from retention.ui.settings import Thresholds, ladder_thresholds
from retention.ui.text import format_day, md_escape
from retention.ui.widgets import download_buttons, show_table, table_spec

SETTINGS_NAMESPACE = "abc_xyz"
VALUE_KEY = "abc_xyz_value"
CELL_KEY = "abc_xyz_cell"
TAB_KEY = "abc_xyz_tab"
# Rows of each cell shown on the page; the downloads hold everyone.
LIST_LIMIT = 500

# What to do with each cell, in a marketer's words.
ACTIONS = {
    "AX": "Your best and steadiest customers. Give them personal attention — a named contact, "
          "early access, a thank-you call — and keep them at all costs.",
    "AY": "Big spenders who buy in waves. Remind them before their usual buying moments and "
          "give them a reason to come every month: a subscription, a loyalty tier, a service plan.",
    "AZ": "Big but irregular. Find out why purchases are irregular: call or survey them — they "
          "may buy the rest elsewhere, or only for occasions you could plan with them.",
    "BX": "Steady middle spenders. Grow the basket with related products and bundles, and "
          "invite them to the next loyalty tier.",
    "BY": "Middle spend, uneven rhythm. Send personal offers on a regular schedule to make "
          "their buying steadier.",
    "BZ": "Middle spend, rare and irregular. Time win-back offers to their past purchases and "
          "ask what would bring them back more often.",
    "CX": "Small but steady. Keep serving them cheaply and reliably; suggest simple add-ons to "
          "raise the average check.",
    "CY": "Small and uneven. Automated emails and SMS with offers; no personal effort.",
    "CZ": "Small, rare purchases. Low-cost automated reminders only; do not spend on personal "
          "contact.",
}

_BUCKET_LABELS = {"week": "Weeks", "month": "Months", "quarter": "Quarters"}


# -- settings -----------------------------------------------------------------------------------


def saved_settings(ctx: Context) -> tuple[AbcXyzSettings, AbcXyzSettings]:
    """(customer settings, product settings) saved for the dataset, DESIGN's defaults otherwise.

    Products share the ABC shares and the time bucket; they keep their own CV cut-offs.
    """
    assert ctx.dataset is not None
    saved = ctx.workspace.settings(ctx.dataset.dataset_id, SETTINGS_NAMESPACE)
    customers = AbcXyzSettings.from_dict(saved)
    products = AbcXyzSettings.from_dict(
        {"a_share": customers.a_share, "b_share": customers.b_share,
         "bucket": customers.bucket,
         **{key: saved[f"product_{key}"] for key in ("x_cv", "y_cv") if f"product_{key}" in saved}},
        PRODUCT_SETTINGS,
    )
    return customers, products


def _widget_keys(dataset_id: int) -> dict[str, str]:
    names = ("a_share", "b_share", "x_cv", "y_cv", "bucket", "product_x_cv", "product_y_cv")
    return {name: f"abc_xyz_{name}_{dataset_id}" for name in names}


def _reset(ctx: Context) -> None:
    assert ctx.dataset is not None
    ctx.workspace.save_settings(ctx.dataset.dataset_id, SETTINGS_NAMESPACE, {})
    for key in _widget_keys(ctx.dataset.dataset_id).values():
        st.session_state.pop(key, None)


def _settings_form(dataset_id: int, keys: dict[str, str]) -> bool:
    """The settings widgets (their values live under ``keys``); True when submitted."""
    with st.form(f"abc_xyz_settings_{dataset_id}", border=False):
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
        return st.form_submit_button(t("Apply and remember for this dataset"),
                                     icon=":material/save:")


def settings_panel(ctx: Context) -> tuple[AbcXyzSettings, AbcXyzSettings]:
    """The cut-offs and the time bucket in a form, remembered per dataset; returns the
    (customer, product) settings in effect."""
    assert ctx.dataset is not None
    customers, products = saved_settings(ctx)
    keys = _widget_keys(ctx.dataset.dataset_id)
    state = st.session_state
    initial = {
        "a_share": customers.a_share * 100, "b_share": customers.b_share * 100,
        "x_cv": customers.x_cv, "y_cv": customers.y_cv, "bucket": customers.bucket,
        "product_x_cv": products.x_cv, "product_y_cv": products.y_cv,
    }
    for name, key in keys.items():
        state.setdefault(key, initial[name])
    with st.expander(t("Settings: cut-offs and time bucket"), icon=":material/tune:"):
        submitted = _settings_form(ctx.dataset.dataset_id, keys)
        # the callback runs before the next run draws the form, so it starts from the defaults
        st.button(t("Back to the standard cut-offs"),
                  key=f"abc_xyz_reset_{ctx.dataset.dataset_id}", icon=":material/restart_alt:",
                  on_click=_reset, args=(ctx,))
    if not submitted:
        return customers, products
    try:
        new_customers = AbcXyzSettings(
            a_share=state[keys["a_share"]] / 100, b_share=state[keys["b_share"]] / 100,
            x_cv=state[keys["x_cv"]], y_cv=state[keys["y_cv"]], bucket=state[keys["bucket"]])
        new_products = AbcXyzSettings(
            a_share=new_customers.a_share, b_share=new_customers.b_share,
            bucket=new_customers.bucket,
            x_cv=state[keys["product_x_cv"]], y_cv=state[keys["product_y_cv"]])
    except ValueError as exc:
        st.error(t("These settings were not applied: {reason}", reason=md_escape(exc)),
                 icon=":material/error:")
        return customers, products
    ctx.workspace.save_settings(ctx.dataset.dataset_id, SETTINGS_NAMESPACE, {
        **new_customers.as_dict(),
        "product_x_cv": new_products.x_cv, "product_y_cv": new_products.y_cv,
    })
    return new_customers, new_products


# -- cached domain calls ------------------------------------------------------------------------


def _key(settings: AbcXyzSettings) -> tuple[tuple[str, Any], ...]:
    return tuple(sorted(settings.as_dict().items()))


def _settings(key: tuple[tuple[str, Any], ...]) -> AbcXyzSettings:
    return AbcXyzSettings(**dict(key))


@st.cache_data(show_spinner=False, max_entries=128)
def _overview(workspace: str, dataset_id: int, version: int, as_of: dt.date,
              settings: tuple[tuple[str, Any], ...], unit: str) -> AbcXyzOverview:
    """Cells, histograms and every cell's first LIST_LIMIT rows, from one classification."""
    con = open_workspace(workspace).cursor()
    try:
        return abc_xyz.abc_xyz_overview(con, dataset_id, as_of=as_of, settings=_settings(settings),
                                        unit=unit, top=LIST_LIMIT)
    finally:
        con.close()


@st.cache_data(show_spinner=False, max_entries=64)
def _listed_customers(workspace: str, dataset_id: int, version: int, as_of: dt.date,
                      settings: tuple[tuple[str, Any], ...], ladder: Thresholds) -> pd.DataFrame:
    """Every cell's first LIST_LIMIT customers with their ladder step under the Ladder page's
    saved ``ladder`` thresholds: one ladder computation serves all nine cells, so picking
    another cell costs nothing."""
    listed = _overview(workspace, dataset_id, version, as_of, settings, "customer").top
    con = open_workspace(workspace).cursor()
    try:
        return abc_xyz.with_ladder_steps(con, dataset_id, listed, as_of=as_of,
                                         ladder=LadderThresholds(**dict(ladder)))
    finally:
        con.close()


@st.cache_data(show_spinner=False, max_entries=128)
def _trend(workspace: str, dataset_id: int, version: int, as_of: dt.date,
           settings: tuple[tuple[str, Any], ...]) -> pd.DataFrame:
    con = open_workspace(workspace).cursor()
    try:
        return abc_xyz.abc_xyz_trend(con, dataset_id, as_of=as_of, settings=_settings(settings))
    finally:
        con.close()


@st.cache_data(show_spinner=False, max_entries=128)
def _has_products(workspace: str, dataset_id: int, version: int) -> bool:
    con = open_workspace(workspace).cursor()
    try:
        return abc_xyz.has_products(con, dataset_id)
    finally:
        con.close()


def _whole_cell(workspace: str, dataset_id: int, as_of: dt.date,
                settings: tuple[tuple[str, Any], ...], ladder: Thresholds,
                cell: str) -> pd.DataFrame:
    """All customers of a cell with ladder steps, for the download (built when clicked)."""
    con = open_workspace(workspace).cursor()
    try:
        return abc_xyz.abc_xyz_cell_customers(con, dataset_id, as_of=as_of, cell=cell,
                                              settings=_settings(settings),
                                              ladder=LadderThresholds(**dict(ladder)))
    finally:
        con.close()


def _all_products(workspace: str, dataset_id: int, as_of: dt.date,
                  settings: tuple[tuple[str, Any], ...]) -> pd.DataFrame:
    """All classified products, for the download (built when clicked)."""
    con = open_workspace(workspace).cursor()
    try:
        return abc_xyz.product_abc_xyz(con, dataset_id, as_of=as_of, settings=_settings(settings))
    finally:
        con.close()


# -- page parts ---------------------------------------------------------------------------------


def empty_state() -> None:
    """No dataset: what the page needs and where to get it."""
    st.info(
        t("There is no data yet. ABC/XYZ needs a purchase history with a customer, a date and "
          "an amount per row; load one on the Data page."),
        icon=":material/inbox:",
    )
    st.page_link(DATA_PAGE, label=t("Upload your data"), icon=":material/upload_file:")


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
    return st.tabs([t("Customers"), t("Why these cut-offs"), t("Trend"), t("Products")],
                   key=TAB_KEY, on_change="rerun")


def _customer_overview(ctx: Context, settings: AbcXyzSettings) -> AbcXyzOverview | None:
    """The customers' classification; None, with a note, when nobody can be classified."""
    assert ctx.dataset is not None and ctx.as_of is not None
    with st.spinner(t("Classifying customers…"), show_time=True):
        overview = _overview(*ctx.workspace.fingerprint(ctx.dataset), ctx.as_of, _key(settings),
                             "customer")
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


def matrix(ctx: Context, settings: AbcXyzSettings) -> AbcXyzOverview | None:
    """The value picker and the 3×3 heatmap; None (with a note) when nobody is classified."""
    overview = _customer_overview(ctx, settings)
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


def cell_drilldown(ctx: Context, settings: AbcXyzSettings, overview: AbcXyzOverview) -> None:
    """Pick a cell: what to do with it, and its customers (the first LIST_LIMIT, all in the
    download) with revenue, orders, CV, last purchase and ladder step."""
    assert ctx.dataset is not None and ctx.as_of is not None
    lang = current_language()
    sizes = overview.cells.set_index("cell")["customers"]
    st.subheader(t("Customers of one cell"))
    if CELL_KEY not in st.session_state:
        # start on the first cell with someone in it (AX is empty in many shops)
        st.session_state[CELL_KEY] = next((c for c in CELLS if sizes[c] > 0), CELLS[0])
    cell = st.pills(
        t("Cell"), list(CELLS), key=CELL_KEY,
        format_func=lambda c: f"{c} · {format_count(sizes[c], lang)}",
        help=t("Letter one: revenue class; letter two: regularity. The number is the cell's "
               "customers."),
    )
    if cell is None:
        st.caption(t("Pick a cell to see its customers."))
        return
    st.info(t(ACTIONS[cell]), icon=":material/campaign:")
    total = int(sizes[cell])
    if total == 0:
        st.caption(t("No customers in {cell}.", cell=cell))
        return
    fingerprint = ctx.workspace.fingerprint(ctx.dataset)
    key = _key(settings)
    ladder = ladder_thresholds(ctx)
    with st.spinner(t("Looking up the customers' ladder steps…"), show_time=True):
        listed = _listed_customers(*fingerprint, ctx.as_of, key, ladder)
    members = listed[listed["cell"] == cell]
    if total > len(members):
        st.caption(t("{total} customers in {cell}; the {shown} with the most revenue are shown. "
                     "The download holds all of them.", total=format_count(total, lang),
                     cell=cell, shown=format_count(len(members), lang)))
    table = customer_table(members)
    spec = list_spec(table, ctx.currency)
    show_table(table, spec)
    workspace, dataset_id, _ = fingerprint
    as_of = ctx.as_of
    download_buttons(
        lambda: customer_table(_whole_cell(workspace, dataset_id, as_of, key, ladder, cell)),
        f"{ctx.dataset.name}-abc-xyz-{cell}", key=f"abc_xyz_download_{cell}", spec=spec,
    )


def customer_table(members: pd.DataFrame) -> pd.DataFrame:
    """The displayed (and downloaded) list: id, revenue, orders, CV, last purchase, ladder step,
    with headers in words."""
    return pd.DataFrame({
        t("Customer"): members["customer_id"],
        t("Cell"): members["cell"],
        t("Net revenue"): members["revenue"],
        t("Orders in the 12 months"): members["orders"],
        t("CV"): members["cv"],
        t("Last purchase"): pd.to_datetime(members["last_purchase"]).dt.date,
        t("Ladder step"): [t(STEP_LABELS[s]) if isinstance(s, str) else None
                           for s in members["step"]],
    })


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
    overview = _customer_overview(ctx, settings)
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


def trend(ctx: Context, settings: AbcXyzSettings) -> None:
    """The nine cells' sizes at the last four quarter-ends."""
    assert ctx.dataset is not None and ctx.as_of is not None
    with st.spinner(t("Classifying at the last four quarter-ends…"), show_time=True):
        frame = _trend(*ctx.workspace.fingerprint(ctx.dataset), ctx.as_of, _key(settings))
    st.plotly_chart(abc_xyz_trend_chart(frame, locale=current_language()),
                    key="abc_xyz_trend")
    st.caption(t("Each quarter-end is classified over the 12 months ending there, with the "
                 "same cut-offs. A growing AX and shrinking C cells are good news."))


def products(ctx: Context, settings: AbcXyzSettings) -> None:
    """The same analysis for products, or why it is unknown."""
    assert ctx.dataset is not None and ctx.as_of is not None
    fingerprint = ctx.workspace.fingerprint(ctx.dataset)
    if not _has_products(*fingerprint):
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
    key = _key(settings)
    with st.spinner(t("Classifying products…"), show_time=True):
        overview = _overview(*fingerprint, ctx.as_of, key, "product")
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
    workspace, dataset_id, _ = fingerprint
    as_of = ctx.as_of
    download_buttons(
        lambda: product_table(_all_products(workspace, dataset_id, as_of, key)),
        f"{ctx.dataset.name}-abc-xyz-products", key="abc_xyz_download_products", spec=spec,
    )


def product_table(listed: pd.DataFrame) -> pd.DataFrame:
    """Products with their cell, revenue, share, orders, CV and last sale, headers in words."""
    return pd.DataFrame({
        t("Product"): listed["product"],
        t("Cell"): listed["cell"],
        t("Net revenue"): listed["revenue"],
        t("Share of revenue"): listed["revenue_share"],
        t("Orders in the 12 months"): listed["orders"],
        t("CV"): listed["cv"],
        t("Last purchase"): pd.to_datetime(listed["last_purchase"]).dt.date,
    })
