"""Home: the active dataset's headline numbers, each with a one-line explanation."""

from __future__ import annotations

import streamlit as st

from retention.formatting import currency_label, format_count
from retention.i18n import current_language, t
from retention.ingest import IngestError
from retention.ui import page, sample_data
from retention.ui.context import Context, set_active_dataset
from retention.ui.data import headline as data
from retention.ui.frame import DATA_PAGE
from retention.ui.text import format_day, md_escape
from retention.ui.widgets import money_metric

AUDIENCES_PAGE = "views/audiences.py"


def headline(ctx: Context) -> None:
    """Metrics for the active dataset up to the as-of date. Needs ``ctx.dataset``."""
    assert ctx.dataset is not None
    numbers = data.headline_numbers(ctx)
    active = data.active_customer_count(ctx, numbers["as_of"])
    lang = current_language()

    st.caption(
        t("“{name}”, as of {as_of}.", name=md_escape(ctx.dataset.name),
          as_of=format_day(numbers["as_of"]))
    )
    # Three to a row: money and dates need the width (st.metric never wraps, it truncates).
    first_row = st.columns(3)
    first_row[0].metric(
        t("Customers"), format_count(numbers["customers"], lang), border=True,
        help=t("People with at least one order up to the as-of date. Someone who only "
               "returned goods, or whose orders all come after that date, is not counted — "
               "which is why the Data page's load summary, which counts every distinct "
               "customer id among the loaded rows, can show more."),
    )
    first_row[1].metric(
        t("Orders"), format_count(numbers["orders"], lang), border=True,
        help=t("Distinct orders: by order id, or one customer's purchases at the same moment "
               "when the file has no order ids. Returns are not orders."),
    )
    money_metric(
        first_row[2], t("Net revenue"), numbers["net_revenue"], ctx.currency,
        help=t("Everything customers paid up to the as-of date, with returns subtracted."),
    )

    second_row = st.columns(3)
    second_row[0].metric(
        t("Active customers"), format_count(active, lang), border=True,
        help=t("Customers with an order in the {days} days up to and including the as-of "
               "date (the activity window in the sidebar).", days=ctx.window_days),
    )
    second_row[1].metric(
        t("Returns"), format_count(numbers["returns"], lang), border=True,
        help=t("Rows with a negative amount or a cancellation mark. They reduce net revenue "
               "and are not counted as orders."),
    )
    if numbers["future_rows"] > 0:
        second_row[2].metric(
            t("Rows after the as-of date"), format_count(numbers["future_rows"], lang),
            border=True,
            help=t("Purchases dated after the as-of date are left out of every number. Move "
                   "the as-of date in the sidebar to include them."),
        )

    third_row = st.columns([2, 1])
    third_row[0].metric(
        t("Date range"),
        t("{first} – {last}", first=format_day(numbers["first_date"]),
          last=format_day(numbers["last_date"])),
        border=True, help=t("The first and the last purchase counted in these numbers."),
    )
    third_row[1].metric(
        t("Currency"),
        currency_label(ctx.currency, lang) if ctx.currency else t("Not set"), border=True,
        help=t("Money on every page is shown in this currency. Change it on the Data page."),
    )


def worth_acting_on(ctx: Context) -> None:
    """The three playbook audiences most worth acting on this week (by expected value), each
    one click from the Audiences page with it opened, ready to export."""
    from retention.ui import audiences_page  # the page's own cards, not a second copy

    picks = audiences_page.worth_acting_on(ctx)
    if not picks:
        return
    st.subheader(t("Worth acting on this week"))
    columns = st.columns(len(picks))
    for place, (name, summary) in zip(columns, picks, strict=True):
        audiences_page.audience_card(ctx, place, name, summary)
        with place:
            st.page_link(AUDIENCES_PAGE, label=t("Open and export"), icon=":material/campaign:",
                         query_params={audiences_page.AUDIENCE_PARAM: name})


def links() -> None:
    """Where to go next."""
    st.subheader(t("Next"))
    for path, label, icon in (
        ("views/ladder.py", t("How many customers stand on each loyalty step, and who moved"),
         ":material/stairs:"),
        ("views/ltv.py", t("Are we keeping customers, and what is a customer worth"),
         ":material/savings:"),
        ("views/abc_xyz.py", t("Who brings the money, and how regularly"),
         ":material/grid_view:"),
        ("views/portraits.py", t("Customer portraits: the groups your customers form"),
         ":material/groups:"),
        ("views/churn.py", t("Who is slipping away, and what each customer may be worth"),
         ":material/trending_down:"),
        ("views/loyalty.py", t("Preview a loyalty programme on your own customers"),
         ":material/loyalty:"),
        (AUDIENCES_PAGE, t("Who to contact this week, as a list your email or SMS tool takes"),
         ":material/campaign:"),
        (DATA_PAGE, t("Load another file or manage datasets"), ":material/upload_file:"),
    ):
        st.page_link(path, label=label, icon=icon)


def empty_state(ctx: Context) -> None:
    """No dataset yet: say what to do, link to Data, offer the sample shop (Home's own empty
    state, which ``page.start`` draws instead of the shared one)."""
    page.no_data_notice(t(
        "There is no data in this workspace yet. Upload a purchase history — a CSV, Excel or "
        "Parquet export with a customer, a date and an amount per row — on the Data page, or "
        "load the sample shop to look around first."))
    if st.button(t("Load the sample data"), icon=":material/science:", key="load_sample"):
        try:
            with st.spinner(t("Generating and loading the sample shop…"), show_time=True):
                report = sample_data.load_sample(ctx.workspace)
        except IngestError as exc:
            st.error(md_escape(exc))
            return
        set_active_dataset(report.dataset_id)
        st.rerun()
