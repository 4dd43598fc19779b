"""The loyalty ladder page's parts: settings, the steps, moving up, who moved, and Pareto.

The numbers come from :mod:`retention.ui.data.ladder`, which takes the saved thresholds from
the context. The customers behind a migration cell are shown at most ``LIST_LIMIT`` at a time;
the downloads build whole lists only when clicked.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st

from retention.charts import ladder as charts
from retention.charts.ladder import step_label
from retention.export import Column, ColumnKind, TableSpec
from retention.formatting import format_count, format_percent
from retention.i18n import N_, current_language, t
from retention.metrics import ladder
from retention.metrics.ladder import SETTINGS_NAMESPACE, LadderThresholds
from retention.ui import links, page
from retention.ui.context import Context
from retention.ui.data import ladder as data
from retention.ui.text import format_day, md_escape
from retention.ui.widgets import download_buttons, money_metric, show_table, table_spec

# Rows of a migration cell shown on the page; the download holds them all.
LIST_LIMIT = 1000
MATRIX_KEY = "ladder_matrix"

# -- settings -----------------------------------------------------------------------------------

# Widget settings per threshold: label, min, max, step, help. The share of wallet is shown in %.
_SETTING_WIDGETS: dict[str, tuple[str, float, float, float, str]] = {
    "repeat_orders": (
        N_("Repeat client: orders in total, at least"), 2, 1000, 1,
        N_("A one-time buyer becomes a repeat client with this many orders (returns are not "
        "orders).")),
    "regular_orders": (
        N_("Regular: orders in the window, at least"), 1, 1000, 1,
        N_("A repeat client is a regular with this many orders in the window below.")),
    "regular_window_days": (
        N_("Window (days up to the as-of date)"), 1, ladder.MAX_WINDOW_DAYS, 1,
        N_("The period regulars and loyal customers are judged on: this many days ending on the "
        "as-of date. 365 means the last year.")),
    "loyal_months": (
        N_("Loyal without a survey: months with an order, at least"), 1, 61, 1,
        N_("Used when a customer has no share-of-wallet answer: a regular ordering in this many "
        "different calendar months of the window counts as loyal.")),
    "loyal_share_of_wallet": (
        N_("Loyal with a survey: share of wallet, at least (%)"), 0, 100, 5,
        N_("Used when a customer answered a share-of-wallet survey: a regular who spends at "
        "least this share of their budget for your kind of goods with you is loyal.")),
    "advocate_nps": (
        N_("Advocate: NPS score, at least"), 0, 10, 1,
        N_("A loyal customer who rates you this high (0–10) when asked how likely they are to "
        "recommend you is an advocate.")),
    "advocate_referrals": (
        N_("Advocate: customers referred, at least"), 1, 1000, 1,
        N_("…or a loyal customer who brought this many new customers (who have ordered).")),
}


def _as_widget_value(name: str, value: float) -> float:
    return round(value * 100, 2) if name == "loyal_share_of_wallet" else value


def _draw_fields(keys: dict[str, str]) -> None:
    columns = st.columns(3)
    for i, (name, (label, low, high, step, help_text)) in enumerate(_SETTING_WIDGETS.items()):
        is_share = name == "loyal_share_of_wallet"
        columns[i % 3].number_input(
            t(label), min_value=float(low) if is_share else int(low),
            max_value=float(high) if is_share else int(high),
            step=float(step) if is_share else int(step), key=keys[name],
            format="%.0f" if is_share else "%d", help=t(help_text))


def _parse(values: dict[str, Any]) -> dict[str, Any]:
    values = dict(values, loyal_share_of_wallet=float(values["loyal_share_of_wallet"]) / 100)
    return LadderThresholds(**values).as_dict()


def settings_panel(ctx: Context) -> LadderThresholds:
    """The thresholds in a form inside an expander, remembered per dataset (DESIGN's defaults
    until changed); returns the thresholds in effect."""
    saved = ctx.saved.ladder
    page.settings_form(
        ctx, SETTINGS_NAMESPACE, title=t("Settings: what each step takes"),
        reset_label=t("Back to the standard steps"),
        initial={name: _as_widget_value(name, getattr(saved, name)) for name in _SETTING_WIDGETS},
        draw_fields=_draw_fields, parse=_parse)
    return ctx.saved.ladder


# -- page parts ---------------------------------------------------------------------------------


def introduction(ctx: Context, thresholds: LadderThresholds) -> None:
    """One line on what the ladder is, with this dataset's thresholds."""
    assert ctx.dataset is not None
    st.caption(t(
        "“{name}”, as of {as_of}. Customers climb one step at a time: one-time buyer (an "
        "order) → repeat client ({repeat}+ orders) → regular ({regular}+ orders in the last "
        "{window} days) → loyal → advocate.", name=md_escape(ctx.dataset.name),
        as_of=format_day(ctx.as_of), repeat=thresholds.repeat_orders,
        regular=thresholds.regular_orders, window=thresholds.regular_window_days))


def _on_step_help(step: str, th: LadderThresholds) -> str:
    return {
        "buyer": t("Ordered, but fewer than {n} times: they bought and have not come back yet. "
                   "Counted by orders: two orders on one day make a repeat client here, while "
                   "the Churn risk page, which counts days with a purchase, calls that customer "
                   "“bought once” — so it can show more one-time buyers.", n=th.repeat_orders),
        "repeat": t("{n} or more orders, but fewer than {m} in the last {days} days.",
                    n=th.repeat_orders, m=th.regular_orders, days=th.regular_window_days),
        "regular": t("{m} or more orders in the last {days} days, but not loyal.",
                     m=th.regular_orders, days=th.regular_window_days),
        "loyal": t("Loyal, but neither referred a customer nor gave an NPS of {nps} or more.",
                   nps=th.advocate_nps),
        "advocate": t("Loyal and referred {r}+ customers who ordered, or gave an NPS of {nps}+.",
                      r=th.advocate_referrals, nps=th.advocate_nps),
    }[step]


def _loyal_label(inputs: dict[str, Any]) -> str:
    """The loyal step's card title, naming the proxy when the count leans on it."""
    if inputs["share_of_wallet_customers"] == 0:
        return t("Loyal (by regularity)")
    return t("Loyal (survey, else regularity)")


def _loyal_help(inputs: dict[str, Any], th: LadderThresholds, with_advocates: bool) -> str:
    """What the loyal card counts: which basis, why, and what would make it exact."""
    lang = current_language()
    proxy = t("orders in at least {months} different calendar months of the last {days} days",
              months=th.loyal_months, days=th.regular_window_days)
    if inputs["share_of_wallet_customers"] == 0:
        basis = t("Regular customers with {proxy}. Regularity stands in for loyalty because the "
                  "data has no share-of-wallet survey; a **share_of_wallet** column (0–1) would "
                  "make this count exact.", proxy=proxy)
    else:
        basis = t("Regular customers who spend at least {share} of their budget with you (for "
                  "the {surveyed} who answered the share-of-wallet survey) or, for everyone "
                  "else, with {proxy} — a stand-in for loyalty where no answer exists.",
                  share=format_percent(th.loyal_share_of_wallet, 0, lang),
                  surveyed=format_count(inputs["share_of_wallet_customers"], lang), proxy=proxy)
    if with_advocates:
        return basis + " " + t("Advocates cannot be told apart from them without referral or "
                               "NPS data, so any advocates are counted here too — the same "
                               "number as the funnel's Loyal bar.")
    return basis + " " + t("Advocates are not counted here: they stand one step higher.")


def _step_cards(counts: pd.DataFrame, inputs: dict[str, Any],
                th: LadderThresholds) -> list[tuple[str, str, str]]:
    """(title, value, tooltip) of each "standing exactly on" card.

    Without referral or NPS data the loyal and the advocate customers cannot be told apart:
    the loyal card then counts both (the funnel's Loyal bar) and says so, and the advocate
    card says Unknown. A loyal count that leans on the regularity proxy names it.
    """
    lang = current_language()
    cards = []
    for row in counts.itertuples():
        label, value = step_label(row.step), row.on_step
        help_text = _on_step_help(row.step, th)
        if row.step == "loyal":
            with_advocates = pd.isna(row.on_step)
            label = _loyal_label(inputs)
            value = row.customers if with_advocates else row.on_step
            help_text = _loyal_help(inputs, th, with_advocates)
        elif pd.isna(value):
            help_text = t("Unknown because advocates cannot be told apart from the other "
                          "loyal customers without referral or NPS data.")
        cards.append((label, t("Unknown") if pd.isna(value) else format_count(value, lang),
                      help_text))
    return cards


def _loyal_basis(counts: pd.DataFrame, inputs: dict[str, Any], th: LadderThresholds) -> str:
    """A sentence naming what "loyal" was measured by."""
    proxy = t("orders in at least {months} different calendar months of the last {days} days",
              months=th.loyal_months, days=th.regular_window_days)
    if inputs["share_of_wallet_customers"] == 0:
        return t("**Loyal** is estimated by regularity — {proxy} — because the data has no "
                 "share-of-wallet survey. Map a **share_of_wallet** column (0–1) on the Data "
                 "page to use the customers' own answers (loyal from {share}).",
                 proxy=proxy, share=format_percent(th.loyal_share_of_wallet, 0,
                                                   current_language()))
    loyal = counts.set_index("step").loc["loyal"]
    lang = current_language()
    return t("**Loyal** uses share of wallet (at least {share}) for the {surveyed} customers "
             "who answered the survey — {by_share} loyal that way — and regularity ({proxy}) "
             "for everyone else — {by_months} loyal that way.",
             share=format_percent(th.loyal_share_of_wallet, 0, lang),
             surveyed=format_count(inputs["share_of_wallet_customers"], lang),
             by_share=format_count(loyal["loyal_by_share_of_wallet"], lang), proxy=proxy,
             by_months=format_count(loyal["loyal_by_regularity"], lang))


def _advocate_basis(inputs: dict[str, Any]) -> str:
    lang = current_language()
    return t("**Advocates** are counted from **referred_by** ({referred} customers name who "
             "referred them) and **nps** ({answered} customers answered). Customers without "
             "an answer can qualify only by referral, so the real number may be higher.",
             referred=format_count(inputs["referred_by_customers"], lang),
             answered=format_count(inputs["nps_customers"], lang))


def steps(ctx: Context, thresholds: LadderThresholds) -> bool:
    """The funnel of cumulative steps beside the counts exactly on each step, with what
    "loyal" was measured by and whether advocates are known. False when nobody has ordered."""
    with st.spinner(t("Placing every customer on the ladder…"), show_time=True):
        counts = data.ladder_counts(ctx)
        inputs = data.ladder_inputs(ctx)
    lang = current_language()
    if counts["customers"].iloc[0] == 0:
        st.info(t("No customer has an order up to {as_of} (the data holds only returns, or "
                  "purchases after that day), so there is no ladder yet.",
                  as_of=format_day(ctx.as_of)),
                icon=":material/info:")
        return False
    st.subheader(t("The ladder"))
    left, right = st.columns([3, 2])
    with left:
        st.plotly_chart(charts.ladder_funnel(counts, locale=lang), key="ladder_funnel")
        st.caption(t("Each bar counts everyone who reached at least that step. “Of buyers” "
                     "compares with everyone who ordered; “of the step above” is how many of "
                     "the previous bar made it this far."))
    with right:
        st.markdown(t("**Standing exactly on each step**"))
        for label, value, help_text in _step_cards(counts, inputs, thresholds):
            right.metric(label, value, border=True, help=help_text)
    st.markdown(_loyal_basis(counts, inputs, thresholds))
    if inputs["advocacy_known"]:
        st.markdown(_advocate_basis(inputs))
    else:
        st.warning(t("**Advocates: unknown.** The data says neither who referred whom nor "
                     "how customers rate you, so they cannot be counted — showing 0 would be "
                     "a guess. Map a **referred_by** column (the id of the customer who "
                     "referred them) or an **nps** column (0–10) on the Data page."),
                   icon=":material/help:")
    with st.expander(t("The ladder as a table")):
        table = counts.assign(step=[
            _loyal_label(inputs) if s == "loyal" else step_label(s) for s in counts["step"]])
        spec = table_spec(
            Column("step", t("Step")),
            Column("customers", t("Reached"), "count",
                   help=t("Customers on this step or higher.")),
            Column("share_of_buyers", t("% of buyers"), "share",
                   help=t("Reached ÷ everyone who ordered.")),
            Column("conversion", t("% of the step above"), "share",
                   help=t("Reached ÷ reached the step above.")),
            Column("on_step", t("Exactly on it"), "count",
                   help=t("Reached this step but not the next. Empty: unknown.")),
        )
        show_table(table, spec)
        download_buttons(table, _stem(ctx, "ladder"), key="ladder_table_download", spec=spec)
    return True


def moving_up_section(ctx: Context) -> None:
    """How fast buyers order again, and whether each month's new customers come back."""
    with st.spinner(t("Measuring how fast customers come back…"), show_time=True):
        timing, comeback = data.moving_up(ctx)
    lang = current_language()
    st.subheader(t("Moving up: do new customers come back?"))
    first, second, third = st.columns(3)
    median = timing["median_days"]
    first.metric(
        t("Days to the second order (median)"),
        t("Unknown") if median is None else t("{days} days", days=format_count(median, lang)),
        border=True,
        help=(t("Nobody has ordered twice yet.") if median is None else
              t("Half of the customers who ordered again did so within this many days of "
                "their first order.")),
    )
    second.metric(
        t("Ordered more than once"),
        format_percent(timing["repeat_customers"] / timing["buyers"], 1, lang)
        if timing["buyers"] else t("Unknown"),
        border=True,
        help=t("{repeat} of the {buyers} customers have a second order.",
               repeat=format_count(timing["repeat_customers"], lang),
               buyers=format_count(timing["buyers"], lang)),
    )
    latest = comeback[(comeback["days"] == 90) & comeback["observable"]]
    if latest.empty:
        third.metric(t("Back within 90 days, latest month"), t("Unknown"), border=True,
                     help=t("No month of new customers has had 90 days yet."))
    else:
        row = latest.iloc[-1]
        third.metric(
            t("Back within 90 days: new in {month}", month=row["cohort_month"].strftime("%Y-%m")),
            format_percent(row["share"], 1, lang), border=True,
            help=t("Of the {n} customers whose first order was that month — the latest month "
                   "that has had 90 full days — this share ordered again within 90 days.",
                   n=format_count(row["new_customers"], lang)),
        )
    st.plotly_chart(charts.comeback_chart(comeback, locale=lang), key="ladder_comeback")
    st.caption(t("Each line follows one window: the share of a month's new customers who "
                 "ordered again within 30, 60, 90 or 180 days of their first order. Rising "
                 "lines mean onboarding is working. Recent months stop where their customers "
                 "have not had the full window yet — unknown, not zero."))
    with st.expander(t("Come-back shares as a table")):
        table = ladder.comeback_table(comeback)
        spec = table_spec(
            Column("cohort_month", t("First order in"), "month"),
            Column("new_customers", t("New customers"), "count",
                   help=t("Customers whose first order was that month.")),
            *(Column(f"share_within_{days}_days", t("Back within {days} days", days=days),
                     "share", help=t("Empty: the month is too recent for {days} days.",
                                     days=days))
              for days in ladder.COMEBACK_DAYS),
        ).select([name for name in table.columns])
        show_table(table, spec)
        download_buttons(table, _stem(ctx, "come-back"), key="ladder_comeback_download",
                         spec=spec)


def _readable(customers: pd.DataFrame) -> pd.DataFrame:
    """A migration list with step names in words, for the screen and the downloads."""
    return customers.assign(
        from_step=[step_label(s) for s in customers["from_step"]],
        to_step=[step_label(s) for s in customers["to_step"]],
    ).drop(columns=["direction"])


_LIST_COLUMNS: dict[str, tuple[str, ColumnKind, str]] = {
    "customer_id": ("Customer", "text", "The customer id in your data."),
    "from_step": ("Step on the start date", "text", ""),
    "to_step": ("Step on the end date", "text", ""),
    "orders_at_start": ("Orders by the start date", "count", ""),
    "orders_at_end": ("Orders by the end date", "count", ""),
    "orders_in_window": ("Orders in the window", "count",
                         "Orders in the window ending on the end date."),
    "months_in_window": ("Months with an order", "count",
                         "Calendar months with an order in the window ending on the end date."),
    "first_order": ("First order", "date", ""),
    "last_order": ("Last order", "date", "The last order up to the end date."),
}


def _list_spec() -> TableSpec:
    """A migration list (:func:`_readable`) as shown and downloaded."""
    return table_spec(*(
        Column(name, t(label), kind, help=t(help_text) if help_text else None)
        for name, (label, kind, help_text) in _LIST_COLUMNS.items()))


def _stem(ctx: Context, what: str) -> str:
    assert ctx.dataset is not None
    return f"{ctx.dataset.name}-{what}-{ctx.as_of}"


def _full_list(ctx: Context, start: dt.date, end: dt.date,
               **which: str | None) -> Callable[[], pd.DataFrame]:
    """A function building the whole readable list, run only when a download is clicked."""
    read = data.whole_migration_list(ctx, start, end, **which)
    return lambda: _readable(read())


def _follow_date_link(name: str, key: str, latest: dt.date) -> None:
    """The link's ``name`` day (``YYYY-MM-DD``, not after ``latest``) into the date input."""
    days: dict[str, object] = {}
    value = st.query_params.get(name)
    if value is not None:
        with contextlib.suppress(ValueError):
            day = dt.date.fromisoformat(value)
            if day <= latest:
                days[value] = day
    links.follow_choice(name, key, days)


def movers_section(ctx: Context) -> None:
    """The migration matrix between two dates; a selected cell lists its customers, and the
    "moved up" and "dropped a step" lists download in full."""
    assert ctx.dataset is not None and ctx.as_of is not None
    lang = current_language()
    st.subheader(t("Who moved"))
    left, right = st.columns(2)
    # keyed by the as-of date, so a new as-of date brings new defaults
    start_key, end_key = f"ladder_start_{ctx.as_of}", f"ladder_end_{ctx.as_of}"
    _follow_date_link("from", start_key, ctx.as_of)
    _follow_date_link("to", end_key, ctx.as_of)
    st.session_state.setdefault(start_key, ladder.default_migration_start(ctx.as_of))
    st.session_state.setdefault(end_key, ctx.as_of)
    start = left.date_input(
        t("From"), max_value=ctx.as_of, key=start_key,
        help=t("Each customer's step on this day is compared with their step on the end day."))
    end = right.date_input(
        t("To"), max_value=ctx.as_of, key=end_key,
        help=t("The end day; the as-of date in the sidebar is the latest possible."))
    links.publish({"from": start.isoformat(), "to": end.isoformat()})
    if start > end:
        st.error(t("The start date must be on or before the end date."), icon=":material/error:")
        return
    with st.spinner(t("Comparing the two dates…"), show_time=True):
        matrix = data.migration(ctx, start, end)
    totals = ladder.migration_directions(matrix)
    explained = {
        "new": (t("New customers"), t("First order after the start date, up to the end date.")),
        "up": (t("Moved up"), t("Stood on a higher step on the end date than on the start "
                                "date.")),
        "same": (t("Stayed"), t("On the same step on both dates.")),
        "down": (t("Dropped a step"), t("Stood lower on the end date: usually regulars or loyal "
                                        "customers whose orders of a year ago fell out of the "
                                        "window and were not replaced.")),
    }
    for column, (direction, (label, help_text)) in zip(st.columns(4), explained.items(),
                                                         strict=True):
        column.metric(label, format_count(totals[direction], lang), border=True, help=help_text)
    st.plotly_chart(charts.migration_heatmap(matrix, locale=lang), key="ladder_migration")
    st.caption(t("Rows: where customers stood on the start date; columns: where they stand on "
                 "the end date. The diagonal stayed put, right of it moved up, left of it "
                 "dropped a step."))

    grid = ladder.migration_table(matrix)
    labels = {step_label(step): step for step in grid.columns}
    shown = grid.rename(columns=step_label).reset_index(names="start")
    shown["start"] = [step_label(step) for step in grid.index]
    spec = table_spec(Column("start", t("Start ↓ / end →")),
                      *(Column(label, label, "count") for label in labels))
    # the table, not the heatmap, takes the click: plotly heatmaps report no selection to
    # Streamlit (streamlit/streamlit#8760), while st.dataframe has single-cell selection
    st.caption(t("Click a number to list those customers."))
    event = show_table(shown, spec, key=f"{MATRIX_KEY}_{ctx.dataset.dataset_id}",
                       on_select="rerun", selection_mode="single-cell")
    cells = event.selection.cells if event is not None else []
    if cells:
        row, column = cells[0]
        if 0 <= row < len(grid.index) and column in labels:
            _cell_list(ctx, start, end, grid.index[row], labels[column],
                       int(grid.iloc[row][labels[column]]))

    up, down = st.columns(2)
    for column, direction, what in ((up, "up", "moved-up"), (down, "down", "dropped")):
        with column:
            st.markdown(t("**{label}: {n} customers** — the whole list",
                          label=explained[direction][0], n=format_count(totals[direction], lang)))
            download_buttons(
                _full_list(ctx, start, end, direction=direction),
                _stem(ctx, what), key=f"ladder_{what}_download", spec=_list_spec())


def _cell_list(ctx: Context, start: dt.date, end: dt.date, from_step: str, to_step: str,
               count: int) -> None:
    """The customers of one migration cell: the first LIST_LIMIT on screen, all in a file."""
    lang = current_language()
    st.markdown(t("**{start} → {end}: {n} customers**", start=step_label(from_step),
                  end=step_label(to_step), n=format_count(count, lang)))
    if count == 0:
        st.caption(t("Nobody made this move."))
        return
    with st.spinner(t("Listing them…"), show_time=True):
        rows = data.movers(ctx, start, end, from_step=from_step, to_step=to_step,
                           limit=LIST_LIMIT)
    spec = _list_spec()
    show_table(_readable(rows), spec)
    if count > LIST_LIMIT:
        st.caption(t("Showing the first {shown} of {n}; the download has them all.",
                     shown=format_count(LIST_LIMIT, lang), n=format_count(count, lang)))
    download_buttons(
        _full_list(ctx, start, end, from_step=from_step, to_step=to_step),
        _stem(ctx, f"{from_step}-to-{to_step}"), key="ladder_cell_download", spec=spec)


def pareto_section(ctx: Context) -> None:
    """The share of net revenue from the best fifth of customers, and the whole curve."""
    with st.spinner(t("Ranking customers by net revenue…"), show_time=True):
        curve = data.pareto_curve(ctx)
    lang = current_language()
    st.subheader(t("Pareto: how much the best fifth of customers bring"))
    if curve.empty:
        st.info(t("No customer has an order up to the as-of date."), icon=":material/info:")
        return
    cut = curve[curve["is_top_cut"]].iloc[0]
    customers = int(curve["rank"].iloc[-1])
    left, right = st.columns(2)
    share = cut["revenue_share"]
    left.metric(
        t("Share of net revenue from the top 20% of customers"),
        t("Unknown") if pd.isna(share) else format_percent(share, 1, lang), border=True,
        help=(t("Unknown: net revenue up to the as-of date is zero or negative, so there is "
                "nothing to share out.") if pd.isna(share) else
              t("The {top} customers who spent the most (20% of the {n} who ordered, rounded "
                "up) brought this share of all net revenue, returns subtracted.",
                top=format_count(cut["rank"], lang), n=format_count(customers, lang))),
    )
    money_metric(
        right, t("Their net revenue"), cut["cumulative_revenue"], ctx.currency,
        help=t("What the top 20% of customers paid up to the as-of date, minus their returns."),
    )
    st.plotly_chart(charts.pareto_chart(curve, currency=ctx.currency, locale=lang),
                    key="ladder_pareto")
    st.caption(t("Customers are lined up from the biggest spender to the smallest; the curve "
                 "shows how much of the net revenue the first x% of them brought. The dotted "
                 "line is what it would be if everyone spent the same."))

