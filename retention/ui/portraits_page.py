"""The customer portraits page's parts: settings, portrait cards, charts, the customer lookup
and the downloads.

The portraits come from :mod:`retention.ui.data.portraits`, drawn with the settings remembered
per dataset (``ctx.saved.portraits``), the Ladder page's thresholds and the sidebar's window.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st
from babel.numbers import format_decimal

from retention.charts import portraits as charts
from retention.charts.ladder import step_label
from retention.export import Column, ColumnKind, TableSpec, to_csv_bytes
from retention.formatting import format_count, format_money, format_percent
from retention.i18n import N_, current_language, t
from retention.metrics.ladder import STEPS
from retention.models import portraits as model
from retention.models.portraits import ACTION_STEP_LABELS, ACTION_STEPS, K_RANGE, MAX_K, Portraits
from retention.ui import page
from retention.ui.context import Context
from retention.ui.data import portraits as data
from retention.ui.saved_settings import PORTRAITS_NAMESPACE, PortraitSettings
from retention.ui.text import format_day, md_escape, safe_file_stem
from retention.ui.widgets import download_buttons, money_metric, show_table, table_spec

# Excel stops at 1,048,576 rows, one of which is the header.
EXCEL_MAX_ROWS = 1_048_575
# The number-of-portraits choice that leaves it to the silhouette score (stored as None).
AUTOMATIC_K = 0


# -- settings -----------------------------------------------------------------------------------


def _k_label(k: int) -> str:
    if k == AUTOMATIC_K:
        return t("Automatic (best fit, {low} to {high})", low=K_RANGE[0], high=K_RANGE[1])
    return t("{k} portraits", k=k)


def _parse(values: dict[str, Any]) -> dict[str, Any]:
    if not values["features"]:
        raise ValueError(t("pick at least one feature."))
    return PortraitSettings(tuple(values["features"]), int(values["k"]) or None).as_dict()


def settings_panel(ctx: Context) -> None:
    """Feature picker and number of portraits in a form, remembered per dataset."""
    offered = data.offered_features(ctx)
    settings = data.settings_in_effect(ctx)

    def draw_fields(keys: dict[str, str]) -> None:
        state = st.session_state
        # A dataset reloaded without a column: drop a remembered choice it can no longer offer.
        state[keys["features"]] = [f for f in state[keys["features"]] if f in offered]
        st.multiselect(
            t("Features"), offered, key=keys["features"], format_func=charts.feature_label,
            help=t("What customers are compared on. Behaviour (recency, orders, average check, "
                   "revenue, time as a customer, gaps between orders, returns) is the usual "
                   "start; adding gender, city or channel splits the portraits by them too."),
        )
        st.selectbox(
            t("Number of portraits"), [AUTOMATIC_K, *range(2, MAX_K + 1)], key=keys["k"],
            format_func=_k_label,
            help=t("Automatic tries {low} to {high} portraits on a sample of customers and "
                   "keeps the number whose groups are the most clearly separated (the "
                   "silhouette score). Retention plans usually work with 5 to 10.",
                   low=K_RANGE[0], high=K_RANGE[1]),
        )

    page.settings_form(
        ctx, PORTRAITS_NAMESPACE, title=t("Settings: what the portraits are drawn from"),
        reset_label=t("Back to the standard features"),
        initial={"features": list(settings.features), "k": settings.k or AUTOMATIC_K},
        draw_fields=draw_fields, parse=_parse,
        submit_label=t("Draw the portraits and remember for this dataset"))
    attributes = data.optional_attributes(ctx)
    missing = attributes.loc[~attributes["available"]]
    if not missing.empty:
        st.caption(t("Not in this data, so not offered: {attributes}. Map the column(s) named "
                     "in brackets on the Data page to use them.",
                     attributes="; ".join(
                         f"{charts.feature_label(row.attribute)} ({row.source_columns})"
                         for row in missing.itertuples())))


def portraits_or_message(ctx: Context) -> Portraits | None:
    """The portraits (from the cache, or fitted under a spinner), or None after showing why
    they cannot be drawn."""
    with st.spinner(t("Comparing every customer and drawing the portraits…"), show_time=True):
        result = data.fitted_portraits(ctx)
    if isinstance(result, str):
        st.info(md_escape(result), icon=":material/info:")
        return None
    return result


# -- page parts ---------------------------------------------------------------------------------


def introduction(ctx: Context, portraits: Portraits) -> None:
    """One line on what was done: how many customers, on what, and how k was chosen."""
    assert ctx.dataset is not None
    lang = current_language()
    chosen_by = {
        "silhouette": t("{k} portraits: the most clearly separated grouping between {low} and "
                        "{high}", k=portraits.k, low=K_RANGE[0], high=K_RANGE[1]),
        "user": t("{k} portraits, as set in the settings", k=portraits.k),
        "data": t("{k} portraits: the most this data allows", k=portraits.k),
    }[portraits.k_chosen_by]
    st.caption(t(
        "“{name}”, as of {as_of}: {customers} customers with an order, compared on {features}. "
        "{chosen}.", name=md_escape(ctx.dataset.name), as_of=format_day(portraits.as_of),
        customers=format_count(portraits.customers, lang),
        features=", ".join(charts.feature_label(f).lower() for f in portraits.features),
        chosen=chosen_by))
    if portraits.skipped_features:
        st.caption(t("Left out because no customer has a value: {features}.",
                     features=", ".join(charts.feature_label(f)
                                        for f in portraits.skipped_features)))


def _typical_line(row: pd.Series, attributes: pd.DataFrame) -> str:
    """"Typically: F (58%) · 41 years · Springfield (36%) · …", unknowns said as such.

    Plain text for ``st.text``: the values come from the data, and Streamlit's Markdown turns
    "www.…", "http://…" and "name@host" into links even when every character is
    backslash-escaped (its link detection runs on the text after the escapes are resolved)."""
    lang = current_language()
    known = dict(zip(attributes["attribute"], attributes["available"], strict=True))
    sources = dict(zip(attributes["attribute"], attributes["source_columns"], strict=True))
    parts = []
    for attribute, column, share in (("gender", "typical_gender", "gender_share"),
                                     ("age", "median_age", None),
                                     ("city", "typical_city", "city_share"),
                                     ("channel", "typical_channel", "channel_share"),
                                     ("top_category", "typical_category", "category_share")):
        label = charts.feature_label(attribute)
        value = row[column]
        if not known.get(attribute, False):
            parts.append(t("{label} unknown (no {columns} column)", label=label,
                           columns=sources[attribute]))
        elif pd.isna(value):
            parts.append(t("{label} unknown for these customers", label=label))
        elif share is None:
            parts.append(t("{label} {value}", label=label,
                           value=t("{years} years", years=format_count(value, lang))))
        else:
            parts.append(t("{label} {value} ({share})", label=label, value=value,
                           share=format_percent(row[share], 0, lang)))
    return t("Typically: {parts}", parts=" · ".join(parts))


def _days(value: float, lang: str) -> str:
    """A median number of days as the card shows it: whole, or with its half (89.5), so a
    name's rule (fewer than 90 days) never meets a number rounded across it."""
    return format_decimal(value, format="#,##0.#", locale=lang)


def _ladder_reason(count: int, customers: int, step: str, lang: str) -> str:
    return t("{count} of {customers} are {step} or higher on the ladder: more than half",
             count=format_count(count, lang), customers=format_count(customers, lang),
             step=step_label(step).lower())


def _word_reason(word: str, facts: model.PortraitFacts, currency: str | None) -> str | None:
    """Why ``word`` (a key of NAME_WORDS) is true of this portrait, in the card's numbers;
    None for "shoppers", which claims nothing."""
    lang = current_language()
    window, twice = format_count(facts.window_days, lang), format_count(2 * facts.window_days,
                                                                        lang)
    recency, tenure = _days(facts.median_recency_days, lang), _days(facts.median_tenure_days,
                                                                    lang)
    check = format_money(facts.avg_check, currency, lang)
    base = format_money(facts.base_avg_check, currency, lang)
    reasons = {
        "new": lambda: t("the median customer's first order was {days} days ago, inside the "
                         "{window}-day activity window", days=tenure, window=window),
        "loyal": lambda: _ladder_reason(facts.loyal or 0, facts.customers, "loyal", lang),
        "active": lambda: t("the median customer's last order was {days} days ago, inside the "
                            "{window}-day activity window", days=recency, window=window),
        "drifting": lambda: t("the median customer's last order was {days} days ago: past the "
                              "{window}-day activity window, not yet {twice} days",
                              days=recency, window=window, twice=twice),
        "lapsed": lambda: t("the median customer's last order was {days} days ago: {twice} "
                            "days (two activity windows) or more", days=recency, twice=twice),
        "returners": lambda: t("returns are {rate} of what they bought, on average ({limit} "
                               "or more)", rate=format_percent(facts.return_rate, 1, lang),
                               limit=format_percent(model.RETURNER_RATE, 0, lang)),
        "big_spenders": lambda: t("their average check, {check}, is at least {ratio} times "
                                  "all customers' {base}", check=check, base=base,
                                  ratio=format_decimal(model.BIG_CHECK_RATIO, locale=lang)),
        "one_timers": lambda: t("the median customer has 1 order"),
        "regulars": lambda: _ladder_reason(facts.regulars or 0, facts.customers, "regular",
                                           lang),
        "small_spenders": lambda: t("their average check, {check}, is at most two thirds of "
                                    "all customers' {base}", check=check, base=base),
        "repeat_buyers": lambda: _ladder_reason(facts.repeat_clients or 0, facts.customers,
                                                "repeat", lang),
    }
    reason = reasons.get(word)
    return None if reason is None else reason()


def _trait_value(column: str, value: float, currency: str | None, lang: str) -> str:
    if column in ("avg_check", "median_net_revenue"):
        return format_money(value, currency, lang)
    if column == "median_orders":
        return _days(value, lang)
    return t("{days} days", days=_days(value, lang))


_TRAIT_LABELS = {
    "median_recency_days": N_("median last order"),
    "median_orders": N_("median orders"),
    "avg_check": N_("average check"),
    "median_tenure_days": N_("median first order"),
    "median_net_revenue": N_("median net revenue"),
}


def _name_reasons(portraits: Portraits, row: pd.Series, facts: model.PortraitFacts,
                  currency: str | None) -> str:
    """One line per word of the portrait's name with the number that makes it true."""
    lang = current_language()
    lines = []
    for word in (row["lifecycle"], row["habit"]):
        reason = None if pd.isna(word) else _word_reason(word, facts, currency)
        if reason is not None:
            label = t(model.NAME_WORDS[word].label)
            lines.append(t("**{word}**: {reason}.", word=label[:1].upper() + label[1:],
                           reason=reason))
    if not pd.isna(row["trait"]):
        column = row["trait"]
        more, less = model.TRAITS[column]
        summary = portraits.summary
        others = summary[(summary["base_name"] == row["base_name"])
                         & (summary["portrait"] != row["portrait"])]
        trait = more if row["trait_higher"] else less  # not inside t(): it is no message
        lines.append(t(
            "**{trait}**: {label} {value}, against {others} for the other “{name}” portraits.",
            trait=t(trait), label=t(_TRAIT_LABELS[column]),
            value=_trait_value(column, row[column], currency, lang),
            others=", ".join(_trait_value(column, v, currency, lang) for v in others[column]),
            name=row["base_name"]))
    return "  \n".join(lines)


def _mix_line(mix: pd.DataFrame) -> str:
    lang = current_language()
    parts = [t("{step} {share}", step=step_label(row.step),
               share=format_percent(row.share, 0, lang))
             for row in mix.itertuples() if row.customers > 0]
    return t("**On the ladder:** {parts}", parts=" · ".join(parts) or t("nobody"))


def portrait_cards(ctx: Context, portraits: Portraits) -> None:
    """One bordered card per portrait, two to a row."""
    assert ctx.dataset is not None
    lang = current_language()
    attributes = data.optional_attributes(ctx)
    st.subheader(t("The portraits"))
    rows = list(zip(portraits.summary.iterrows(), portraits.facts(), strict=True))
    for start in range(0, len(rows), 2):
        columns = st.columns(2)
        for column, ((_, row), facts) in zip(columns, rows[start:start + 2], strict=False):
            with column.container(border=True):
                st.markdown(f"#### {md_escape(row['name'])}")
                reasons = _name_reasons(portraits, row, facts, ctx.currency)
                if reasons:
                    st.caption(reasons)
                first, second, third = st.columns(3)
                first.metric(t("Customers"), format_count(row["customers"], lang),
                             help=t("{share} of all customers.", share=format_percent(
                                 row["customer_share"], 1, lang)))
                revenue_unknown = pd.isna(row["revenue_share"])
                second.metric(
                    t("Share of revenue"),
                    t("Unknown") if revenue_unknown
                    else format_percent(row["revenue_share"], 1, lang),
                    help=(t("Unknown: the whole base's net revenue is zero or negative, so a "
                            "share of it means nothing.") if revenue_unknown else
                          t("Their net revenue, {money}, as a share of everyone's.",
                            money=format_money(row["net_revenue"], ctx.currency, lang))))
                money_metric(third, t("Average check"), row["avg_check"], ctx.currency,
                             help=t("Their net revenue divided by their orders."),
                             border=False)
                st.markdown(t(
                    "**Medians:** last order {recency} days ago · first order {tenure} days "
                    "ago · orders: {orders} · net revenue {revenue}. "
                    "**Ordered more than once:** {repeat}.",
                    recency=_days(row["median_recency_days"], lang),
                    tenure=_days(row["median_tenure_days"], lang),
                    orders=_days(row["median_orders"], lang),
                    revenue=format_money(row["median_net_revenue"], ctx.currency, lang),
                    repeat=format_percent(row["repeat_share"], 0, lang)))
                st.text(_typical_line(row, attributes))
                mix = portraits.ladder_mix[portraits.ladder_mix["portrait"] == row["portrait"]]
                st.markdown(_mix_line(mix))
                step = ACTION_STEP_LABELS[row["action_step"]]  # outside t(): no message
                st.markdown(t("**{step}:** {action}", step=t(step), action=row["action"]))
    st.caption(t("Every word of a name is true of the portrait's median customer by the "
                 "definitions the other pages use — the {window}-day activity window of the "
                 "sidebar and the ladder's steps — and each card says why. Actions follow the "
                 "retention plan: {steps}.", window=format_count(portraits.window_days, lang),
                 steps=" → ".join(t(ACTION_STEP_LABELS[s]).lower() for s in ACTION_STEPS)))


def charts_section(ctx: Context, portraits: Portraits) -> None:
    """The profiles of the portraits, the customer map, sizes and the ladder mix, in tabs."""
    lang = current_language()
    st.subheader(t("How the portraits differ"))
    profiles, map_tab, sizes, ladder_tab = st.tabs([
        t("Profiles"), t("Customer map"), t("Sizes"), t("Ladder steps")])
    with profiles:
        st.plotly_chart(charts.portrait_profiles(portraits.standings, locale=lang),
                        key="portraits_profiles")
        st.caption(t("Each line is one portrait; 0 is the average customer. Above the line "
                     "means more than average (more days since the last order, more orders, a "
                     "bigger check), below means less. Orders, money and the days between "
                     "orders are compared on a log scale, so a few huge spenders do not "
                     "flatten everyone else; an open circle is off the scale (hover for the "
                     "value)."))
    with map_tab:
        st.plotly_chart(charts.portrait_map(portraits.projection, portraits.explained_variance,
                                            locale=lang), key="portraits_map")
        st.caption(t("A random sample of up to 5,000 customers, placed so that similar "
                     "customers sit close together (principal components). Overlapping "
                     "colours mean the portraits blend into each other there."))
    with sizes:
        st.plotly_chart(charts.portrait_sizes(portraits.summary, currency=ctx.currency,
                                              locale=lang), key="portraits_sizes")
    with ladder_tab:
        st.plotly_chart(charts.portrait_ladder_mix(portraits.ladder_mix, locale=lang),
                        key="portraits_ladder")
    if not portraits.silhouette.empty:
        with st.expander(t("Why this number of portraits")):
            st.caption(t("The silhouette score (−1 to 1) says how clearly customers sit in "
                         "their own portrait rather than the next one; it was computed on a "
                         "random sample of customers for each number, and the highest won."))
            show_table(portraits.silhouette, table_spec(
                Column("k", t("Portraits"), "count"),
                Column("silhouette", t("Silhouette score"), "number", decimals=3)))


def _display(feature: str, value: Any, currency: str | None) -> str:
    lang = current_language()
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return t("Unknown")
    if feature in ("avg_check", "net_revenue"):
        return format_money(value, currency, lang)
    if feature == "return_rate":
        return format_percent(value, 1, lang)
    if isinstance(value, str):
        return value
    return format_count(round(float(value), 1), lang)


def lookup_section(ctx: Context, portraits: Portraits) -> None:
    """"Why is this customer here": a customer's features next to their portrait's and the
    base's medians."""
    assert ctx.dataset is not None
    st.subheader(t("Why is this customer here?"))
    customer = st.text_input(
        t("Customer id"), key=f"portraits_lookup_{ctx.dataset.dataset_id}",
        placeholder=str(portraits.assignments["customer_id"].iloc[0]),
        help=t("Type a customer id exactly as in your data to see which portrait they are in "
               "and how they compare with it."))
    customer = customer.strip()
    if not customer:
        return
    found = data.customer_lookup(ctx, customer)
    if found is None:
        st.warning(t("No customer {id} has an order up to {as_of}. Check the id (leading "
                     "zeros count) or move the as-of date.", id=md_escape(customer),
                     as_of=format_day(portraits.as_of)), icon=":material/person_search:")
        return
    name, profile = found
    st.markdown(t("Customer **{id}** is in **{name}**.", id=md_escape(customer),
                  name=md_escape(name)))
    table = pd.DataFrame({
        "feature": [charts.feature_label(f) for f in profile["feature"]],
        "customer": [_display(f, v, ctx.currency)
                     for f, v in zip(profile["feature"], profile["customer"], strict=True)],
        "portrait": [_display(f, v, ctx.currency)
                     for f, v in zip(profile["feature"], profile["portrait"], strict=True)],
        "base": [_display(f, v, ctx.currency) if not pd.isna(v) else ""
                 for f, v in zip(profile["feature"], profile["base"], strict=True)],
        "used": profile["used"],
    })
    show_table(table, table_spec(
        Column("feature", t("Feature")),
        Column("customer", t("This customer")),
        Column("portrait", t("Their portrait"),
               help=t("The median of the portrait (its most common value for gender, city, "
                      "channel and category).")),
        Column("base", t("All customers"), help=t("The median over every customer.")),
        Column("used", t("Used to group"), "flag",
               help=t("Whether this feature was chosen in the settings.")),
    ), height="content")


def _readable_summary(portraits: Portraits) -> pd.DataFrame:
    summary = portraits.summary.drop(columns=["lifecycle", "habit"])
    summary["action_step"] = [t(ACTION_STEP_LABELS[s]) for s in summary["action_step"]]
    mix = portraits.ladder_mix.pivot(index="portrait", columns="step", values="customers")
    for step in STEPS:
        summary[f"ladder_{step}"] = summary["portrait"].map(mix[step]).to_numpy()
    return summary


def _feature_column(feature: str) -> Column:
    """A customer feature's column (``customer_features``) with its title and kind."""
    kinds: dict[str, ColumnKind] = {
        "recency_days": "count", "orders": "count", "avg_check": "money",
        "net_revenue": "money", "tenure_days": "count",
        "mean_days_between_orders": "number", "return_rate": "share", "age": "count"}
    decimals = 1 if feature == "mean_days_between_orders" else None
    return Column(feature, charts.feature_label(feature), kinds.get(feature, "text"),
                  decimals=decimals)


def _summary_spec(currency: str | None) -> TableSpec:
    """The portraits download: every number on the cards, under the cards' words."""
    typical = [(t("Gender"), "gender"), (t("City"), "city"), (t("Channel"), "channel"),
               (t("Top category"), "category")]
    return table_spec(
        Column("portrait", t("Portrait"), "count"),
        Column("name", t("Name")),
        Column("customers", t("Customers"), "count"),
        Column("customer_share", t("Share of customers"), "share"),
        Column("net_revenue", t("Net revenue"), "money"),
        Column("revenue_share", t("Share of revenue"), "share"),
        Column("avg_check", t("Average check"), "money"),
        Column("median_recency_days", t("Median days since last order"), "number",
               decimals=1),
        Column("median_orders", t("Median orders"), "number", decimals=1),
        Column("median_net_revenue", t("Median net revenue"), "money"),
        Column("median_tenure_days", t("Median days since first order"), "number",
               decimals=1),
        Column("median_days_between_orders", t("Median days between orders"), "number",
               decimals=1),
        Column("repeat_share", t("Ordered more than once"), "share"),
        Column("return_rate", t("Return rate"), "share"),
        Column("median_age", t("Median age"), "number", decimals=1),
        *(column for label, attribute in typical for column in (
            Column(f"typical_{attribute}", t("Typical: {what}", what=label.lower())),
            Column(f"{attribute}_share", t("Share with that {what}", what=label.lower()),
                   "share"))),
        Column("action_step", t("Next step")),
        Column("action", t("Suggested action")),
        *(Column(f"ladder_{step}", t("On the ladder: {step}", step=step_label(step)), "count")
          for step in STEPS),
        currency=currency,
    )


def _assignments_spec(assignments: pd.DataFrame, currency: str | None) -> TableSpec:
    """Every customer's portrait, with the features it was drawn from."""
    return table_spec(
        Column("customer_id", t("Customer")),
        Column("portrait", t("Portrait"), "count"),
        Column("name", t("Portrait name")),
        *(_feature_column(feature) for feature in assignments.columns
          if feature not in ("customer_id", "portrait", "name")),
        currency=currency,
    )


def downloads_section(ctx: Context, portraits: Portraits) -> None:
    """The portrait table, and every customer's portrait (CSV; Excel while it fits)."""
    assert ctx.dataset is not None
    lang = current_language()
    st.subheader(t("Downloads"))
    stem = f"{ctx.dataset.name}-portraits-{portraits.as_of}"
    st.markdown(t("**The portraits** — one row per portrait with every number on the cards."))
    download_buttons(_readable_summary(portraits), stem, key="portraits_summary_download",
                     spec=_summary_spec(ctx.currency))
    st.markdown(t("**Every customer's portrait** — {n} rows: customer id, portrait and the "
                  "features it was drawn from. It stays the same for this version of the data "
                  "until the settings change.", n=format_count(portraits.customers, lang)))
    assignments = portraits.assignments
    spec = _assignments_spec(assignments, ctx.currency)
    if len(assignments) <= EXCEL_MAX_ROWS:
        download_buttons(lambda: assignments, f"{stem}-customers",
                         key="portraits_assignments_download", spec=spec)
    else:
        st.download_button(
            t("CSV"), lambda: to_csv_bytes(assignments, spec=spec),
            file_name=f"{safe_file_stem(stem + '-customers')}.csv", mime="text/csv",
            key="portraits_assignments_download_csv", on_click="ignore",
            icon=":material/download:",
            help=t("Download this table as a CSV file (UTF-8, opens in Excel)."))
        st.caption(t("Excel holds at most {rows} rows, so this list is offered as CSV only.",
                     rows=format_count(EXCEL_MAX_ROWS, lang)))
