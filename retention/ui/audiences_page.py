"""The Audiences page (DESIGN §8): who to write to this week, the list to send, and what it
changed.

The page reads as a campaign is run: the playbook's five ready-made audiences (count and
expected value), the segment builder (a playbook audience or every buyer, narrowed by any of
the domain's conditions, with a live count, expected value and the first members), the export
(channel, control group, phones; the smallest detectable difference shown before the
download; CSV and XLSX as the domain writes them), saved audiences and past exports (drawn
again on today's data), and the uplift readout of a recorded export.

The builder's state is its widgets' session state, one key per condition and dataset; picking a
playbook card, opening a saved audience or a link's ``?audience=win-back`` (followed once per
session, :mod:`retention.ui.links`; Home re-arms it for its own cards) sets those keys before
the widgets are drawn. The link carries the playbook audience the builder starts from, a
stable code; the other conditions are not in it (a saved audience's name is the user's own
text, never a link value).

Who may write: building, counting and downloading need nothing more than reading
(``Action.EXPORT``: viewers included); recording an export (so its uplift can be read out) and
saving or forgetting an audience write to the workspace and need ``Action.EDIT_SETTINGS``
(editors and admins). A viewer's download is not recorded, and a sentence says so.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import streamlit as st

from retention.audiences.contacts import CHANNELS, PHONE_FORMATS
from retention.audiences.control import DEFAULT_CONTROL_SHARE
from retention.audiences.export import DEFAULT_WINDOW_DAYS, CampaignList, ExportOptions
from retention.audiences.playbook import PLAYBOOK, PLAYBOOK_LABELS
from retention.audiences.saved import Rules
from retention.audiences.segment import Segment, SegmentSummary
from retention.audiences.uplift import Uplift
from retention.export import Column
from retention.formatting import format_count, format_money, format_percent
from retention.i18n import current_language, t
from retention.metrics.abc_xyz import CELLS
from retention.models.churn import RISK_GROUPS
from retention.registry import Action
from retention.ui import links
from retention.ui.context import Context
from retention.ui.data import audiences as data
from retention.ui.data import portraits as portraits_data
from retention.ui.text import format_day, md_escape, safe_file_stem
from retention.ui.widgets import XLSX_MIME, money_metric, show_table, table_spec
from retention.vocabulary import STEPS, step_label

AUDIENCES_PAGE = "views/audiences.py"
# The link's parameter: the playbook audience the builder starts from.
AUDIENCE_PARAM = "audience"
# Where a followed link leaves its playbook audience for the builder to apply.
_LINKED_KEY = "_audiences_linked"
_RECORDED_KEY = "_audiences_recorded"
# The builder's conditions, each a widget key per dataset (see :func:`_key`).
CONDITIONS = ("start", "steps", "movers", "dropped_start", "dropped_end", "cells",
              "use_portraits", "portraits", "risk_groups", "p_alive", "recency_min",
              "recency_max", "orders_min", "orders_max", "revenue_min", "revenue_max",
              "cities", "channels", "categories", "birthday_days", "consent")
# Members the preview shows.
PREVIEW_ROWS = 20
# The name a list made from the builder's own conditions is exported under.
CUSTOM = "custom"


def _key(ctx: Context, name: str) -> str:
    """A builder widget's session key, per dataset (another dataset has other cities)."""
    assert ctx.dataset is not None
    return f"audiences_{name}_{ctx.dataset.dataset_id}"


def _playbook_label(name: str) -> str:
    return t(PLAYBOOK_LABELS[name])


def _defaults(ctx: Context) -> dict[str, Any]:
    """Every condition's empty value: the builder selects every buyer."""
    assert ctx.as_of is not None
    return {"start": "", "steps": [], "movers": False,
            "dropped_start": ctx.as_of - dt.timedelta(days=90), "dropped_end": ctx.as_of,
            "cells": [], "use_portraits": False, "portraits": [], "risk_groups": [],
            "p_alive": (0, 100), "recency_min": None, "recency_max": None,
            "orders_min": None, "orders_max": None, "revenue_min": None, "revenue_max": None,
            "cities": [], "channels": [], "categories": [], "birthday_days": None,
            "consent": ""}


def show_segment(ctx: Context, segment: Segment) -> None:
    """Set every builder widget to ``segment`` (a callback: before the widgets are drawn)."""
    values = _defaults(ctx)
    values.update(start=segment.playbook or "", steps=list(segment.steps),
                  cells=list(segment.cells), portraits=list(segment.portraits),
                  use_portraits=bool(segment.portraits), risk_groups=list(segment.risk_groups),
                  recency_min=segment.recency_min, recency_max=segment.recency_max,
                  orders_min=segment.orders_min, orders_max=segment.orders_max,
                  revenue_min=segment.revenue_min, revenue_max=segment.revenue_max,
                  cities=list(segment.cities), channels=list(segment.channels),
                  categories=list(segment.categories), birthday_days=segment.birthday_days,
                  consent=segment.consent or "")
    if segment.dropped_start and segment.dropped_end:
        values.update(movers=True, dropped_start=segment.dropped_start,
                      dropped_end=segment.dropped_end)
    if segment.p_alive_min is not None or segment.p_alive_max is not None:
        values["p_alive"] = (round((segment.p_alive_min or 0) * 100),
                             round((segment.p_alive_max or 1) * 100))
    for name, value in values.items():
        st.session_state[_key(ctx, name)] = value


def intro(ctx: Context) -> None:
    """What the page is for, and the link's playbook audience applied (once per session)."""
    st.caption(t("Pick a ready-made audience or build your own, check who is on it, and "
                 "download the list for your email or SMS tool with a control group held "
                 "back; once newer orders are loaded, read out what the campaign changed."))
    links.follow_choice(AUDIENCE_PARAM, _LINKED_KEY, {name: name for name in PLAYBOOK})
    linked = st.session_state.pop(_LINKED_KEY, None)
    if linked is not None:
        show_segment(ctx, Segment(playbook=str(linked)))


# -- the playbook -------------------------------------------------------------------------------


def _summary_or_none(ctx: Context, segment: Segment, *,
                     with_portraits: bool = False) -> SegmentSummary | str:
    try:
        return data.summary(ctx, segment, with_portraits=with_portraits)
    except ValueError as exc:
        return str(exc)


def value_help(ctx: Context, summary: SegmentSummary) -> str:
    """The expected value's explanation: what it sums, per customer, or why it is unknown."""
    lang = current_language()
    if summary.expected_value is None:
        return t("Expected value is the sum of the customers' predicted value (the churn "
                 "page's predicted CLV). It is unknown here: no churn model could be fitted "
                 "on this data, or nobody on the list has a prediction.")
    return t("The sum of the customers' predicted value over the churn page's horizon "
             "(predicted CLV): about {each} per customer with a prediction.",
             each=md_escape(format_money(summary.value_per_customer, ctx.currency, lang)))


def audience_card(ctx: Context, place: Any, name: str, summary: SegmentSummary | str) -> None:
    """One playbook audience: its count and expected value (compact; exact in the help)."""
    lang = current_language()
    with place.container(border=True):
        st.markdown(f"**{md_escape(_playbook_label(name))}**")
        if isinstance(summary, str):
            st.caption(md_escape(summary))
            return
        st.metric(t("Customers"), format_count(summary.customers, lang), border=False,
                  help=t("Buyers on this audience as of the as-of date, before consent and "
                         "contacts are checked."))
        money_metric(st, t("Expected value"), summary.expected_value, ctx.currency,
                     help=value_help(ctx, summary), border=False)


def playbook_section(ctx: Context) -> None:
    """The five ready-made audiences side by side; each card's button opens it in the
    builder."""
    st.subheader(t("The playbook"))
    columns = st.columns(len(PLAYBOOK))
    for place, name in zip(columns, PLAYBOOK, strict=True):
        audience_card(ctx, place, name, _summary_or_none(ctx, Segment(playbook=name)))
        place.button(t("Use this audience"), key=f"audiences_pick_{name}",
                     icon=":material/arrow_downward:", on_click=show_segment,
                     args=(ctx, Segment(playbook=name)), width="stretch")


def worth_acting_on(ctx: Context, count: int = 3) -> list[tuple[str, SegmentSummary]]:
    """The ``count`` playbook audiences with the highest expected value (then the most
    customers), skipping empty ones: Home's "this week" cards."""
    found = [(name, s) for name in PLAYBOOK
             if not isinstance(s := _summary_or_none(ctx, Segment(playbook=name)), str)
             and s.customers > 0]
    found.sort(key=lambda item: (item[1].expected_value is not None,
                                 item[1].expected_value or 0.0, item[1].customers),
               reverse=True)
    return found[:count]


# -- the builder --------------------------------------------------------------------------------


def builder_section(ctx: Context) -> tuple[Segment, bool] | None:
    """The builder's conditions, its live count and expected value and the first members;
    returns the segment and whether it uses portraits, or None when the conditions do not
    make a segment (a sentence says why)."""
    st.subheader(t("Build the audience"))
    state = st.session_state
    for name, value in _defaults(ctx).items():
        state.setdefault(_key(ctx, name), value)
    model = data.has_model(ctx)
    choices = data.choices(ctx)
    with st.container(border=True):
        first, second, third = st.columns(3)
        with first:
            st.selectbox(t("Start from"), ["", *PLAYBOOK], key=_key(ctx, "start"),
                         format_func=lambda n: _playbook_label(n) if n else t("Every buyer"),
                         help=t("A playbook audience, or every customer with an order up to "
                                "the as-of date; the conditions below narrow it (all must "
                                "hold)."))
            st.multiselect(t("Ladder step"), list(STEPS), key=_key(ctx, "steps"),
                           format_func=step_label)
            st.multiselect(t("ABC/XYZ cell"), list(CELLS), key=_key(ctx, "cells"))
            st.checkbox(t("Dropped a ladder step between two dates"), key=_key(ctx, "movers"),
                        help=t("Movers: customers whose step on the second date is lower than "
                               "on the first."))
            if state[_key(ctx, "movers")]:
                st.date_input(t("From"), key=_key(ctx, "dropped_start"), format="YYYY-MM-DD")
                st.date_input(t("To"), key=_key(ctx, "dropped_end"), format="YYYY-MM-DD")
        with second:
            no_model = None if model else t("Needs a churn model, which could not be fitted "
                                            "on this data.")
            groups = {g.key: t(g.label) for g in RISK_GROUPS}
            st.multiselect(t("Churn-risk group"), list(groups), key=_key(ctx, "risk_groups"),
                           format_func=groups.__getitem__, disabled=not model, help=no_model)
            st.slider(t("P(alive), %"), 0, 100, key=_key(ctx, "p_alive"), disabled=not model,
                      help=no_model or t("The chance the customer is still buying."))
            low, high = st.columns(2)
            low.number_input(t("Days since last order, from"), min_value=0, step=1,
                             key=_key(ctx, "recency_min"))
            high.number_input(t("to"), min_value=0, step=1, key=_key(ctx, "recency_max"))
            low.number_input(t("Orders, from"), min_value=0, step=1, key=_key(ctx, "orders_min"))
            high.number_input(t("to"), min_value=0, step=1, key=_key(ctx, "orders_max"))
            low.number_input(t("Net revenue, from"), step=10.0, key=_key(ctx, "revenue_min"))
            high.number_input(t("to"), step=10.0, key=_key(ctx, "revenue_max"))
        with third:
            for name, label in (("cities", t("City")), ("channels", t("Channel")),
                                ("categories", t("Top category"))):
                st.multiselect(label, choices[name], key=_key(ctx, name),
                               disabled=not choices[name],
                               help=None if choices[name] else t("The data has none."))
            st.number_input(t("Birthday within the next N days"), min_value=1, max_value=366,
                            step=1, key=_key(ctx, "birthday_days"))
            st.selectbox(t("Consent for"), ["", *CHANNELS], key=_key(ctx, "consent"),
                         format_func=lambda c: {"": t("Any (checked at export)"),
                                                "email": t("Email"), "sms": t("SMS")}[c])
            st.checkbox(t("Choose by portrait"), key=_key(ctx, "use_portraits"),
                        help=t("Draws the customer portraits as the Portraits page does."))
            with_portraits = bool(state[_key(ctx, "use_portraits")])
            if with_portraits:
                drawn = portraits_data.fitted_portraits(ctx)
                if isinstance(drawn, str):
                    st.caption(md_escape(drawn))
                    with_portraits = False
                else:
                    names = dict(zip(drawn.summary["portrait"].astype(int),
                                     drawn.summary["name"].astype(str), strict=True))
                    st.multiselect(t("Portrait"), list(names), key=_key(ctx, "portraits"),
                                   format_func=lambda n: f"{n}. {names.get(n, '')}")
    try:
        segment = _segment(ctx, with_portraits)
    except ValueError as exc:
        st.error(md_escape(exc), icon=":material/error:")
        return None
    links.publish({AUDIENCE_PARAM: segment.playbook})
    summary = _summary_or_none(ctx, segment, with_portraits=with_portraits)
    if isinstance(summary, str):
        st.error(md_escape(summary), icon=":material/error:")
        return None
    st.caption(t("Conditions: {conditions}.", conditions=md_escape(segment.describe())))
    count, value, _ = st.columns(3)
    count.metric(t("Customers on the audience"), format_count(summary.customers,
                                                               current_language()),
                 border=True, help=t("Buyers who meet every condition as of the as-of date, "
                                     "before consent and contacts are checked."))
    money_metric(value, t("Expected value"), summary.expected_value, ctx.currency,
                 help=value_help(ctx, summary))
    preview = data.members(ctx, segment, limit=PREVIEW_ROWS, with_portraits=with_portraits)
    if preview.empty:
        st.info(t("Nobody meets these conditions."), icon=":material/person_off:")
    else:
        show_table(preview, members_spec(ctx), key="audiences_preview")
        if summary.customers > PREVIEW_ROWS:
            st.caption(t("The first {shown} of {total} customers, by customer id; the export "
                         "holds them all.", shown=PREVIEW_ROWS,
                         total=format_count(summary.customers, current_language())))
    return segment, with_portraits


def members_spec(ctx: Context) -> Any:
    return table_spec(
        Column("customer_id", t("Customer")),
        Column("step", t("Ladder step")),
        Column("cell", t("ABC/XYZ")),
        Column("recency_days", t("Days since last order"), "count"),
        Column("orders", t("Orders"), "count"),
        Column("net_revenue", t("Net revenue"), "money"),
        Column("predicted_clv", t("Predicted value"), "money"),
        Column("reason", t("Why on the list"), width="large"),
        currency=ctx.currency)


def _segment(ctx: Context, with_portraits: bool) -> Segment:
    """The builder's widgets as a :class:`Segment` (ValueError with a sentence)."""
    state = st.session_state

    def get(name: str) -> Any:
        return state[_key(ctx, name)]

    def whole(name: str) -> int | None:
        value = get(name)
        return None if value is None else int(value)

    def amount(name: str) -> float | None:
        value = get(name)
        return None if value is None else float(value)

    low, high = get("p_alive")
    model = data.has_model(ctx)
    movers = bool(get("movers"))
    return Segment(
        playbook=get("start") or None, steps=tuple(get("steps")),
        dropped_start=get("dropped_start") if movers else None,
        dropped_end=get("dropped_end") if movers else None,
        cells=tuple(get("cells")),
        portraits=tuple(int(p) for p in get("portraits")) if with_portraits else (),
        risk_groups=tuple(get("risk_groups")) if model else (),
        p_alive_min=low / 100 if model and low > 0 else None,
        p_alive_max=high / 100 if model and high < 100 else None,
        recency_min=whole("recency_min"), recency_max=whole("recency_max"),
        orders_min=whole("orders_min"), orders_max=whole("orders_max"),
        revenue_min=amount("revenue_min"), revenue_max=amount("revenue_max"),
        cities=tuple(get("cities")), channels=tuple(get("channels")),
        categories=tuple(get("categories")), birthday_days=whole("birthday_days"),
        consent=get("consent") or None)


def audience_name(ctx: Context, segment: Segment) -> str:
    """The name a list is exported under: the playbook audience's, a saved audience's with
    exactly these conditions, else "custom"."""
    if segment.playbook and segment == Segment(playbook=segment.playbook):
        return segment.playbook
    for name, saved in data.saved_audiences(ctx).items():
        if saved == segment:
            return name
    return CUSTOM


# -- the export ---------------------------------------------------------------------------------


def export_section(ctx: Context, segment: Segment, with_portraits: bool) -> None:
    """The list's options, its counts and detectable difference, then the two files."""
    st.subheader(t("Export the list"))
    audience = audience_name(ctx, segment)
    channel_col, control_col, seed_col, phone_col = st.columns(4)
    channel = channel_col.radio(t("Channel"), list(CHANNELS), key="audiences_channel",
                                format_func={"email": t("Email"), "sms": t("SMS")}.__getitem__,
                                horizontal=True)
    share = control_col.number_input(
        t("Control group, % of each ladder step"), min_value=0.0, max_value=90.0, step=5.0,
        value=DEFAULT_CONTROL_SHARE * 100, key="audiences_control",
        help=t("Customers held back (exported, marked control, not contacted), so the "
               "readout can tell what the campaign changed."))
    seed = seed_col.number_input(t("Seed"), min_value=0, step=1, value=0, key="audiences_seed",
                                 help=t("The same seed draws the same control group."))
    phone_format = phone_col.radio(
        t("Phones"), list(PHONE_FORMATS), key="audiences_phone_format", horizontal=True,
        format_func={"e164": t("+97688123456"), "digits": t("97688123456")}.__getitem__,
        help=t("E.164 with “+” for Mailchimp, Klaviyo and SendGrid; digits only for SMS "
               "gateways that want no “+”."))
    region = st.text_input(t("Country of phone numbers written without a country code"),
                           key="audiences_region", max_chars=2, placeholder="RU",
                           help=t("A two-letter code such as RU, KZ, MN, AM, GE or UZ."))
    try:
        options = ExportOptions(channel, control_share=float(share) / 100, seed=int(seed),
                                phone_format=phone_format, default_region=region or None)
        listed = data.campaign(ctx, audience, segment, options, with_portraits=with_portraits)
    except ValueError as exc:
        st.error(md_escape(exc), icon=":material/error:")
        return
    list_counts(listed)
    st.info(detectable_sentence(listed), icon=":material/science:")
    rules = data.rules(ctx, segment)
    downloads(ctx, listed, rules, "audiences_export")


def list_counts(listed: CampaignList) -> None:
    """The list's counts: who is on it, in which group, and who was left out and why."""
    lang = current_language()
    cells = st.columns(5)
    for place, label, value, help_text in (
        (cells[0], t("On the list"), listed.exported,
         t("Members with the channel's consent and a usable contact.")),
        (cells[1], t("To contact"), listed.treatment, t("The treatment group.")),
        (cells[2], t("Held back"), listed.control,
         t("The control group: on the file, tagged control, not to be contacted.")),
        (cells[3], t("Left out: no consent"), listed.excluded_no_consent,
         t("Members without the opt-in for this channel (a missing opt-in is no consent).")),
        (cells[4], t("Left out: no contact"), listed.excluded_no_contact,
         t("Members with consent but no valid email address or phone number.")),
    ):
        place.metric(label, format_count(value, lang), border=True, help=help_text)


def detectable_sentence(listed: CampaignList) -> str:
    """The smallest detectable difference in plain words, before the list leaves."""
    lang = current_language()
    if listed.detectable_difference is None:
        return t("With nobody to contact or nobody held back, the readout will have no "
                 "group to compare with: hold back a share to measure the campaign.")
    base = listed.baseline_rate
    return t("With {treatment} to contact and {control} held back, the readout after "
             "{days} days can tell the campaign from chance only if it lifts the share who "
             "buy from about {base} to {raised} or more ({points} percentage points; 5% "
             "significance, 80% power). A smaller effect may be real but look like noise.",
             treatment=format_count(listed.treatment, lang),
             control=format_count(listed.control, lang), days=DEFAULT_WINDOW_DAYS,
             base=format_percent(base, 1, lang),
             raised=format_percent(base + listed.detectable_difference, 1, lang),
             points=_points(listed.detectable_difference, lang))


def _record(ctx: Context, listed: CampaignList, used: Rules, file_name: str,
            marker: str) -> None:
    """The download's callback: record the export once per list and session."""
    if not ctx.may(Action.EDIT_SETTINGS):  # the server's check, not only the wording
        return
    recorded: dict[str, int] = st.session_state.setdefault(_RECORDED_KEY, {})
    if marker not in recorded:
        recorded[marker] = data.record(ctx, listed, used, file_name)


def downloads(ctx: Context, listed: CampaignList, used: Rules, key: str) -> None:
    """CSV and XLSX of ``listed`` (the domain's files); a download records the export for an
    editor, once per list in a session."""
    assert ctx.dataset is not None
    stem = safe_file_stem(f"{listed.audience}-{listed.options.channel}-"
                          f"{listed.as_of.isoformat()}")
    marker = "|".join((str(ctx.key), listed.audience, listed.as_of.isoformat(),
                       str(sorted(listed.options.as_dict().items())),
                       data.rules(ctx, used.segment).as_json() if used else ""))
    may_record = ctx.may(Action.EDIT_SETTINGS)
    with st.container(horizontal=True):
        for suffix, label, mime in (("csv", t("CSV"), "text/csv"),
                                    ("xlsx", t("Excel"), XLSX_MIME)):
            file_name = f"{stem}.{suffix}"
            def produce(name: str = file_name) -> bytes:
                return data.download(listed, name)
            st.download_button(
                label, produce, file_name=file_name, mime=mime, key=f"{key}_{suffix}",
                icon=":material/download:", disabled=listed.exported == 0,
                on_click=_record if may_record else "ignore",
                args=(ctx, listed, used, file_name, marker) if may_record else None)
    recorded = st.session_state.get(_RECORDED_KEY, {}).get(marker)
    if not may_record:
        st.caption(t("Your download is not recorded: recording an export, so its uplift can "
                     "be read out later, needs an editor. {why}", why=ctx.access.why_not()))
    elif recorded is not None:
        st.caption(t("Recorded as export {export_id}: read out its uplift below once newer "
                     "orders are loaded.", export_id=recorded))
    else:
        st.caption(t("Downloading records the export (who is on it, in which group) so its "
                     "uplift can be read out later."))


# -- saved audiences and past exports ------------------------------------------------------------


def saved_section(ctx: Context, segment: Segment | None) -> None:
    """Save the builder's segment by name, open or forget a saved one, and the past exports
    with their re-export."""
    st.subheader(t("Saved audiences"))
    may_edit = ctx.may(Action.EDIT_SETTINGS)
    if not may_edit:
        st.caption(ctx.access.why_not())
    saved = data.saved_audiences(ctx)
    name_col, save_col = st.columns([3, 1], vertical_alignment="bottom")
    name = name_col.text_input(t("Name"), key="audiences_save_name", max_chars=100)
    if save_col.button(t("Save this audience"), icon=":material/save:",
                       key="audiences_save", disabled=not may_edit or segment is None) \
            and may_edit and segment is not None:
        try:
            data.save(ctx, name, segment)
            saved = data.saved_audiences(ctx)
            st.success(t("Saved “{name}”.", name=md_escape(name.strip())),
                       icon=":material/check_circle:")
        except ValueError as exc:
            st.error(md_escape(exc), icon=":material/error:")
    if saved:
        table = pd.DataFrame({"name": list(saved),
                              "conditions": [s.describe() for s in saved.values()]})
        show_table(table, table_spec(Column("name", t("Audience")),
                                     Column("conditions", t("Conditions"), width="large")),
                   key="audiences_saved_table")
        chosen_col, open_col, forget_col = st.columns([3, 1, 1], vertical_alignment="bottom")
        chosen = chosen_col.selectbox(t("Saved audience"), list(saved),
                                      key="audiences_saved_choice")
        open_col.button(t("Open in the builder"), key="audiences_open",
                        icon=":material/edit:", on_click=show_segment,
                        args=(ctx, saved[chosen]))
        if forget_col.button(t("Forget"), key="audiences_forget", icon=":material/delete:",
                             disabled=not may_edit) and may_edit:
            data.forget(ctx, chosen)
            st.rerun()
    else:
        st.caption(t("No saved audiences yet: build one above and give it a name."))
    past_exports(ctx)


def _export_label(row: dict[str, Any]) -> str:
    return t("Export {export_id}: {audience}, {channel}, as of {as_of}",
             export_id=row["export_id"], audience=row["audience"], channel=row["channel"],
             as_of=format_day(pd.Timestamp(row["as_of"]).date()))


def past_exports(ctx: Context) -> pd.DataFrame:
    """The recorded exports, newest first, and one drawn again on the data as of now."""
    st.subheader(t("Past exports"))
    recorded = data.exports(ctx)
    if recorded.empty:
        st.caption(t("No export has been recorded yet."))
        return recorded
    show_table(recorded, table_spec(
        Column("export_id", t("Export"), "count"), Column("audience", t("Audience")),
        Column("channel", t("Channel")), Column("as_of", t("As of"), "date"),
        Column("exported_at", t("Exported at"), "datetime"),
        Column("file_name", t("File")), Column("exported", t("On the list"), "count"),
        Column("control", t("Held back"), "count"),
        Column("excluded_no_consent", t("No consent"), "count"),
        Column("excluded_no_contact", t("No contact"), "count")), key="audiences_exports")
    labels = {int(row["export_id"]): _export_label(row)
              for row in recorded.to_dict("records")}
    chosen = st.selectbox(t("Draw an export again on the data as of the as-of date"),
                          list(labels), format_func=labels.__getitem__,
                          key="audiences_again_choice",
                          help=t("The same conditions, settings, channel, control share and "
                                 "seed, applied to today's data."))
    again = data.again(ctx, int(chosen))
    if isinstance(again, str):
        st.warning(md_escape(again), icon=":material/warning:")
        return recorded
    listed, used = again
    list_counts(listed)
    downloads(ctx, listed, used, "audiences_again")
    return recorded


# -- the uplift readout -------------------------------------------------------------------------


def readout_section(ctx: Context) -> None:
    """Treatment against control over a window after a recorded export."""
    st.subheader(t("What the campaign changed"))
    recorded = data.exports(ctx)
    if recorded.empty:
        st.caption(t("Once an export is recorded and newer orders are loaded, this section "
                     "compares the customers contacted with those held back."))
        return
    labels = {int(row["export_id"]): _export_label(row)
              for row in recorded.to_dict("records")}
    pick, window = st.columns([3, 1])
    chosen = pick.selectbox(t("Export"), list(labels), format_func=labels.__getitem__,
                            key="audiences_readout_choice")
    days = window.number_input(t("Window, days after the export"), min_value=1,
                               max_value=365, value=DEFAULT_WINDOW_DAYS, step=1,
                               key="audiences_readout_days")
    result = data.readout(ctx, int(chosen), int(days))
    if isinstance(result, str):
        st.warning(md_escape(result), icon=":material/warning:")
        return
    coverage(result)
    uplift_table(ctx, result)
    uplift_numbers(ctx, result)


def coverage(result: Uplift) -> None:
    """Say plainly when the data does not yet reach the window's end."""
    if result.window_complete:
        st.caption(t("The window: {start} – {end}; the data covers it.",
                     start=format_day(result.window_start), end=format_day(result.window_end)))
        return
    if result.data_until is None or result.data_until < result.window_start:
        st.warning(t("The window runs {start} – {end}, and the data has no orders after the "
                     "export yet: load newer orders to read this out.",
                     start=format_day(result.window_start),
                     end=format_day(result.window_end)), icon=":material/hourglass_empty:")
        return
    st.warning(t("The window runs {start} – {end}, but the data only reaches {until}: these "
                 "numbers count the orders loaded so far and will change.",
                 start=format_day(result.window_start), end=format_day(result.window_end),
                 until=format_day(result.data_until)), icon=":material/hourglass_top:")


def uplift_table(ctx: Context, result: Uplift) -> None:
    rows = pd.DataFrame([{"group": t(name), **getattr(result, name).as_json()}
                         for name in ("treatment", "control")])
    show_table(rows, table_spec(
        Column("group", t("Group")), Column("n", t("Customers"), "count"),
        Column("buyers", t("Buyers in the window"), "count"),
        Column("rate", t("Buying rate"), "share"),
        Column("revenue_per_customer", t("Revenue per customer"), "money"),
        currency=ctx.currency), key="audiences_uplift_table")


def uplift_numbers(ctx: Context, result: Uplift) -> None:
    """The rate difference (Newcombe's interval, p-value), the revenue difference (Welch's
    interval), and whether it is distinguishable from noise."""
    lang = current_language()
    rate, revenue = result.rate_difference, result.revenue_difference
    left, right = st.columns(2)
    left.metric(
        t("Buying rate, contacted − held back"),
        t("{value} points", value=_points(rate.value, lang)),
        border=True,
        help=t("95% interval (Newcombe): {low} to {high} points; p-value (two-proportion "
               "z-test): {p}.", low=_points(rate.ci_low, lang),
               high=_points(rate.ci_high, lang),
               p=t("unknown") if rate.p_value is None else f"{rate.p_value:.3f}"))
    money_metric(right, t("Revenue per customer, contacted − held back"), revenue.value,
                 ctx.currency,
                 help=t("95% interval (Welch): {low} to {high}.",
                        low=md_escape(format_money(revenue.ci_low, ctx.currency, lang)),
                        high=md_escape(format_money(revenue.ci_high, ctx.currency, lang))))
    st.caption(t("Rate difference {value} points, 95% interval {low} to {high}, p = {p}.",
                 value=_points(rate.value, lang),
                 low=_points(rate.ci_low, lang),
                 high=_points(rate.ci_high, lang),
                 p=t("unknown") if rate.p_value is None else f"{rate.p_value:.3f}"))
    if rate.ci_low is None or rate.ci_high is None:
        st.info(t("The data cannot say yet whether the campaign changed anything: a group "
                  "has no customers, or nobody has bought."), icon=":material/help:")
    elif result.distinguishable:
        st.success(t("Distinguishable from noise: the 95% interval of the difference in the "
                     "buying rate excludes zero."), icon=":material/check_circle:")
    else:
        st.info(t("Not distinguishable from noise: the 95% interval of the difference in the "
                  "buying rate includes zero, so chance alone could explain it."),
                icon=":material/help:")


def _points(share: float | None, lang: str) -> str:
    """A difference of two shares in percentage points: the percent figure without its sign
    (a sentence says "points")."""
    return format_percent(share, 1, lang).replace("%", "").strip()
