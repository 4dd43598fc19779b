"""The loyalty programme simulator page (DESIGN §7): would points, stamps, cashback or tiers
pay off on this dataset's own customers?

The page reads top to bottom as an owner decides: the baseline measured from the data (each
value editable), the programme and its assumptions, then the replay first — the programme run
on last year's real orders of its members, the cost paid on purchases that happen anyway —
and the projection after it; then up to three saved scenarios side by side, a link that
restores the programme, and every formula in words.

The programme lives in one place per session, its text form
(:meth:`LoyaltyProgramme.as_strings`, under ``PROGRAMME_TEXT_KEY``); the inputs are drawn from
it and written back to it, so a preset, a saved scenario or a link sets the inputs by setting
that text, and a parameter whose input is not drawn (another programme type's) keeps its
value. The link is that text in plain query parameters (the address bar always holds it); a
link's values are validated by :meth:`LoyaltyProgramme.from_strings`, one parameter at a time,
so one bad value is refused with its own sentence and the rest still apply.

The numbers come from :mod:`retention.ui.data.loyalty` (baseline and replay, cached) and from
the projection functions, which are cheap and run on every change.
"""

from __future__ import annotations

import dataclasses
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import pandas as pd
import streamlit as st

from retention.charts import loyalty as charts
from retention.export import Column
from retention.formatting import currency_symbol, format_count, format_money, format_percent
from retention.i18n import current_language, t
from retention.loyalty import JOINERS, PRESET_LABELS, PRESETS, PROGRAMME_TYPES, LoyaltyProgramme
from retention.loyalty.baseline import Baseline
from retention.loyalty.programme import NO_CAP
from retention.loyalty.projection import sensitivity
from retention.loyalty.replay import BASE_TIER, Replay, tier_names
from retention.loyalty.simulation import Simulation, from_replay
from retention.registry import Action
from retention.ui import links, team
from retention.ui.context import Context
from retention.ui.data import loyalty as data
from retention.ui.saved_settings import LOYALTY_NAMESPACE, MAX_SCENARIOS, LoyaltyScenarios
from retention.ui.text import format_day, md_escape
from retention.ui.widgets import download_buttons, money_metric, show_table, table_spec

PROGRAMME_TEXT_KEY = "_loyalty_programme"
# Set once the page has read its address in this session.
LINK_FOLLOWED_KEY = "_loyalty_link_followed"
SCENARIO_NAME_KEY = "loyalty_scenario_name"
SAVE_KEY = "loyalty_save_scenario"
# The horizons the page offers (the domain accepts 1–120 months).
MIN_MONTHS, MAX_MONTHS = 12, 60

# Each programme type's own parameters; the others are common to every type.
TYPE_PARAMETERS = {
    "points": ("earn_rate", "point_value", "threshold_points"),
    "stamps": ("stamp_every", "stamps_per_gift", "gift_cost"),
    "cashback": ("cashback_rate",),
    "tiers": ("tier_thresholds", "tier_rates"),
}
COMMON_PARAMETERS = ("welcome_bonus", "birthday_gift", "fixed_monthly_cost", "cap_per_year",
                     "participation", "joiners", "seed", "breakage")
EFFECT_PARAMETERS = ("retention_uplift", "frequency_uplift", "check_uplift", "months")
# Every name the page may put into its link: each programme type's, so a switch of type
# takes the last type's parameters out of the address.
LINK_PARAMETERS = tuple(LoyaltyProgramme().as_strings())
# Shares of one (and retention points) that the inputs show as percent.
PERCENT_PARAMETERS = ("cashback_rate", "participation", "breakage", "retention_uplift",
                      "frequency_uplift", "check_uplift")
# Where the page's inputs are narrower than the programme's ranges: (lowest, highest or None).
INPUT_LIMITS = {"months": (Decimal(MIN_MONTHS), Decimal(MAX_MONTHS)),
                "stamp_every": (Decimal("0.01"), None)}
WHOLE_NUMBER_PARAMETERS = ("threshold_points", "stamps_per_gift", "seed", "months")
# Checked together: the number of rates depends on the number of thresholds.
_TIER_LISTS = ("tier_thresholds", "tier_rates")
_HUNDRED = Decimal(100)


def param_key(name: str) -> str:
    """Session key of a programme parameter's input."""
    return f"loyalty_{name}"


def _type_labels() -> dict[str, str]:
    return {"points": t("Points"), "stamps": t("Stamp card"), "cashback": t("Cashback"),
            "tiers": t("Tiers")}


def _joiner_labels() -> dict[str, str]:
    return {"everyone": t("Everyone"), "random": t("A random share"),
            "most_active": t("The most active first")}


# -- the programme as text, and as the inputs show it ------------------------------------------


def _plain(value: Decimal) -> str:
    """A decimal in plain notation without trailing zeros: ``0.02``, ``100``."""
    return format(value.normalize(), "f")


def _exact(value: float | int) -> Decimal:
    """An input's number exactly as it was typed (a float by its shortest spelling)."""
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)


def input_value(name: str, text: str) -> Any:
    """A parameter's text (``as_strings``) as its input holds it: percent for shares, the tier
    rates as percent text, None for no cap, whole numbers as int."""
    if name in ("programme", "joiners"):
        return text
    if name == "tier_thresholds":
        return ", ".join(text.split(","))
    if name == "tier_rates":
        return ", ".join(_plain(Decimal(rate) * _HUNDRED) for rate in text.split(","))
    if name == "cap_per_year":
        return None if text == NO_CAP else float(text)
    if name in WHOLE_NUMBER_PARAMETERS:
        return int(text)
    if name in PERCENT_PARAMETERS:
        return float(Decimal(text) * _HUNDRED)
    return float(text)


def parameter_text(name: str, value: Any) -> str:
    """An input's value as the parameter's text: the inverse of :func:`input_value`. Text
    that is not a number is passed on as it is, for the programme to name the problem."""
    if name in ("programme", "joiners", "tier_thresholds"):
        return str(value)
    if name == "tier_rates":
        rates = []
        for item in str(value).split(","):
            try:
                rates.append(_plain(Decimal(item.strip()) / _HUNDRED))
            except InvalidOperation:
                rates.append(item.strip())
        return ",".join(rates)
    if value is None:
        return NO_CAP
    number = _exact(value)
    return _plain(number / _HUNDRED if name in PERCENT_PARAMETERS else number)


def _programme_text() -> dict[str, str]:
    """The session's programme as text (the defaults on a first visit)."""
    state = st.session_state
    if PROGRAMME_TEXT_KEY not in state:
        state[PROGRAMME_TEXT_KEY] = LoyaltyProgramme().as_strings()
    return dict(state[PROGRAMME_TEXT_KEY])


def show_programme(texts: Mapping[str, str]) -> None:
    """Make ``texts`` (a programme's ``as_strings``) the session's programme and set every
    input to it: for callbacks and the link, which run before the inputs are drawn."""
    st.session_state[PROGRAMME_TEXT_KEY] = dict(texts)
    for name, text in texts.items():
        st.session_state[param_key(name)] = input_value(name, text)


def _prepare_input(name: str) -> str:
    """The input's session key, holding the programme's value when the input is new."""
    key = param_key(name)
    if key not in st.session_state:
        st.session_state[key] = input_value(name, _programme_text()[name])
    return key


# -- the link -----------------------------------------------------------------------------------


def link_parameters(programme: LoyaltyProgramme) -> dict[str, str]:
    """The query parameters of a link to ``programme``: its type, that type's own parameters
    and the common ones and effects, as plain text."""
    texts = programme.as_strings()
    names = ("programme", *TYPE_PARAMETERS[programme.programme], *COMMON_PARAMETERS,
             *EFFECT_PARAMETERS)
    return {name: texts[name] for name in names}


def programme_from_link(params: Mapping[str, str]) -> tuple[dict[str, str] | None, list[str]]:
    """The programme text a link asks for, and a sentence per value refused or changed.

    Unknown names are ignored. Each known value (the two tier lists together) is checked by
    :meth:`LoyaltyProgramme.from_strings`; a refused one keeps the session's value and its
    sentence names the parameter. A number beyond what the page's input takes (a horizon
    outside 12–60 months) is first moved to the nearest limit. None when the link names no
    programme parameter at all.
    """
    known = set(LoyaltyProgramme().as_strings())
    asked = {name: str(value) for name, value in params.items() if name in known}
    if not asked:
        return None, []
    texts = _programme_text()
    notes = _clamp_to_the_inputs(asked)
    groups = [(name,) for name in asked if name not in _TIER_LISTS]
    if any(name in asked for name in _TIER_LISTS):
        groups.append(tuple(name for name in _TIER_LISTS if name in asked))
    for group in groups:
        trial = {**texts, **{name: asked[name] for name in group}}
        try:
            trial = LoyaltyProgramme.from_strings(trial).as_strings()
        except ValueError as exc:
            notes.append(t("The link's {names} was not used: {reason}",
                           names=" and ".join(group), reason=exc))
            continue
        texts = trial
    return texts, notes


def _clamp_to_the_inputs(asked: dict[str, str]) -> list[str]:
    """Move the link's values that the programme accepts but the page's inputs do not
    (:data:`INPUT_LIMITS`) to the nearest limit, in place; a sentence for each."""
    notes = []
    for name, (low, high) in INPUT_LIMITS.items():
        try:
            value = Decimal(asked[name])
        except (KeyError, InvalidOperation):
            continue  # absent, or not a number: the programme's check names it
        clamped = max(value, low) if high is None else min(max(value, low), high)
        if clamped != value:
            notes.append(t("The link's {name} ({value}) is outside what the page takes; "
                           "{clamped} is used.", name=name, value=asked[name],
                           clamped=_plain(clamped)))
            asked[name] = _plain(clamped)
    return notes


def follow_link(ctx: Context) -> None:
    """Apply the address's programme parameters on the page's first run in a session: a link
    opened (a new tab or window is a new session) restores its programme; the frame has
    already opened its dataset, as-of date and window (:mod:`retention.ui.links`). Never
    later: the page writes the address itself on every run, and a rerun can reach the server
    with the address of the run before, which must not undo an input."""
    state = st.session_state
    if state.get(LINK_FOLLOWED_KEY):
        return
    state[LINK_FOLLOWED_KEY] = True
    texts, notes = programme_from_link(st.query_params.to_dict())
    if texts is None:
        return
    show_programme(texts)
    if notes:
        st.warning(md_escape(" ".join(notes)), icon=":material/link_off:")
    st.info(t("The programme was restored from the link."), icon=":material/link:")


def link_section(ctx: Context, programme: LoyaltyProgramme) -> None:
    """The address of this programme on this dataset: kept in the address bar, and shown to
    copy."""
    assert ctx.dataset is not None
    links.publish(link_parameters(programme), owned=LINK_PARAMETERS)
    st.subheader(t("Share this programme"))
    base = st.context.url or ""
    params = {name: value for name, value in st.query_params.to_dict().items()
              if name != team.SESSION_PARAM}  # the sign-in token is not shared
    st.code(f"{base}?{urllib.parse.urlencode(params, safe=',')}", language=None, wrap_lines=True)
    st.caption(t("The link holds the dataset, the as-of date, the activity window and the "
                 "programme's parameters as plain text, nothing else. Whoever opens it in "
                 "this workspace sees this programme on this dataset, with its measured "
                 "baseline; edits to the baseline are not part of the link."))


# -- header and baseline ------------------------------------------------------------------------


def header(ctx: Context) -> None:
    """Which data the numbers use."""
    assert ctx.dataset is not None and ctx.as_of is not None
    st.caption(t("“{name}”, as of {as_of}: the replay uses the year of orders up to that day; "
                 "a customer is active when they ordered in the {days} days up to it.",
                 name=md_escape(ctx.dataset.name), as_of=format_day(ctx.as_of),
                 days=ctx.window_days))


def columns() -> tuple[Any, Any]:
    """The inputs on the left, the results on the right."""
    inputs, results = st.columns([1, 2], gap="large")
    return inputs, results


@dataclass(frozen=True)
class _BaselineField:
    """How one baseline value is shown: label, plain meaning, input format and step, whether
    it is a share shown as percent, and why it can be unknown and what would fix it."""

    label: str
    meaning: str
    format: str
    step: float
    percent: bool = False
    unknown: str = ""


def _baseline_fields(currency: str | None) -> dict[str, _BaselineField]:
    return {
        "active_customers": _BaselineField(
            t("Active customers"), t("Customers with an order in the activity window up to "
                                     "the as-of date."), "%.0f", 1.0),
        "new_customers_per_month": _BaselineField(
            t("New customers per month"), t("Customers whose first order lies in the last "
                                            "year, ÷ 12. When the data starts inside that "
                                            "year everyone counts as new: adjust it."),
            "%.2f", 1.0),
        "avg_check": _BaselineField(
            _money_label(t("Average check"), currency),
            t("S: net revenue of the last year ÷ its orders."), "%.2f", 1.0,
            unknown=t("Unknown: there is no order in the year up to the as-of date. Load a "
                      "history with a **date** and an **amount** per row covering that year, "
                      "or enter a value.")),
        "purchases_per_month": _BaselineField(
            t("Purchases per active customer per month"),
            t("C: orders of the last year ÷ active customers summed over its month-ends."),
            "%.3f", 0.01,
            unknown=t("Unknown: the year up to the as-of date has no month-end with active "
                      "customers yet. Load a longer history (the **date** column reaching "
                      "back past a month-end), or enter a value.")),
        "monthly_retention": _BaselineField(
            t("Monthly retention (%)"),
            t("r: of the customers active at one month-end, the share still active at the "
              "next, over the last year."), "%.2f", 0.5, percent=True,
            unknown=t("Unknown: the year up to the as-of date has no two month-ends with "
                      "active customers. Load a longer history (the **date** column covering "
                      "at least two month-ends), or enter a value.")),
        "margin": _BaselineField(
            t("Margin (%)"), t("P: from the cost column where the data has one, else the "
                               "margin set on the Retention & LTV page."), "%.1f", 1.0,
            percent=True,
            unknown=t("Unknown: there is no revenue in the year up to the as-of date. Map a "
                      "**cost** column on the Data page, or enter a value.")),
    }


def _baseline_key(ctx: Context, name: str, measured: Baseline) -> str:
    """One input per dataset version, day, window and measured value: when any of them
    changes, the input starts from the new measurement."""
    assert ctx.dataset is not None
    basis = "_".join(str(part) for part in (*ctx.key[1:], ctx.as_of, ctx.window_days,
                                            getattr(measured, name)))
    return f"loyalty_baseline_{name}_{basis}"


def _shown(value: float | None, percent: bool) -> float | None:
    return None if value is None else value * 100 if percent else value


def _reset_baseline(keys: list[str]) -> None:
    for key in keys:
        st.session_state.pop(key, None)


def baseline_section(ctx: Context) -> Baseline:
    """The six baseline values measured from the data, each an input prefilled with its
    measurement; an unknown one says why and which column would give it. Returns the
    baseline as edited."""
    lang = current_language()
    measured = data.baseline(ctx)
    fields = _baseline_fields(ctx.currency)
    st.subheader(t("Baseline: your customers without a programme"))
    edited: dict[str, float | None] = {}
    keys = []
    for name, field in fields.items():
        value = getattr(measured, name)
        key = _baseline_key(ctx, name, measured)
        keys.append(key)
        if key not in st.session_state:
            st.session_state[key] = _shown(value, field.percent)
        measured_text = (t("unknown") if value is None else
                         format_percent(value, 2, lang) if field.percent else
                         format_money(value, ctx.currency, lang) if name == "avg_check" else
                         format_money(value, None, lang))
        shown = st.number_input(
            field.label, min_value=0.0, max_value=100.0 if field.percent else None,
            step=field.step, format=field.format, key=key,
            help=t("{meaning} Measured: {value}.", meaning=field.meaning,
                   value=md_escape(measured_text)))
        if value is None and shown is None:
            st.caption(field.unknown)
        edited[name] = None if shown is None else (shown / 100 if field.percent else shown)
    st.button(t("Back to the measured values"), key="loyalty_baseline_reset",
              icon=":material/restart_alt:", on_click=_reset_baseline, args=(keys,))
    return dataclasses.replace(measured, **edited)


# -- the programme ------------------------------------------------------------------------------


def _apply_preset(kind: str) -> None:
    """A preset sets the programme type and that type's own parameters; the common
    parameters and the effects stay as they are."""
    preset = PRESETS[kind].as_strings()
    texts = _programme_text()
    texts.update({name: preset[name] for name in ("programme", *TYPE_PARAMETERS[kind])})
    show_programme(texts)


def _money_label(label: str, currency: str | None) -> str:
    sign = currency_symbol(currency, current_language())
    return f"{label} ({sign})" if sign else label


def _draw_type_parameters(kind: str, currency: str | None) -> None:
    money = {"min_value": 0.0, "step": 1.0, "format": "%.2f"}
    if kind == "points":
        st.number_input(t("Points per 1 unit of money spent"), min_value=0.0, step=0.5,
                        format="%.2f", key=_prepare_input("earn_rate"),
                        help=t("Each order earns ⌊earn rate × order value⌋ points."))
        st.number_input(_money_label(t("Value of one point"), currency), min_value=0.0,
                        step=0.01, format="%.4f", key=_prepare_input("point_value"))
        st.number_input(t("Points needed for a reward"), min_value=1, step=1,
                        key=_prepare_input("threshold_points"),
                        help=t("Points are redeemed in whole blocks of this many; the rest "
                               "stays on the account as a liability."))
    elif kind == "stamps":
        st.number_input(_money_label(t("One stamp per"), currency), min_value=0.01,
                        step=10.0, format="%.2f", key=_prepare_input("stamp_every"),
                        help=t("Each order earns ⌊order value ÷ this⌋ stamps."))
        st.number_input(t("Stamps for a gift"), min_value=1, step=1,
                        key=_prepare_input("stamps_per_gift"))
        st.number_input(_money_label(t("Cost of the gift to you"), currency),
                        key=_prepare_input("gift_cost"), **money)
    elif kind == "cashback":
        st.number_input(t("Cashback (%)"), min_value=0.0, max_value=100.0, step=0.5,
                        format="%.2f", key=_prepare_input("cashback_rate"))
    else:
        st.text_input(_money_label(t("Tier thresholds: yearly spend, ascending"), currency),
                      key=_prepare_input("tier_thresholds"),
                      help=t("Comma-separated, e.g. 1000, 5000: a member whose spend in the "
                             "year reaches a threshold is in that tier."))
        st.text_input(t("Reward rates (%), the base tier's first"),
                      key=_prepare_input("tier_rates"),
                      help=t("Comma-separated, one more than the thresholds, e.g. 1, 3, 5: "
                             "the base tier earns 1% of its spend, the next 3%, the top 5%."))


def _draw_common_parameters(currency: str | None) -> None:
    money = {"min_value": 0.0, "step": 1.0, "format": "%.2f"}
    st.number_input(_money_label(t("Welcome bonus per new member"), currency),
                    key=_prepare_input("welcome_bonus"), **money)
    st.number_input(_money_label(t("Birthday gift per member a year"), currency),
                    key=_prepare_input("birthday_gift"), **money)
    st.number_input(_money_label(t("Fixed cost per month"), currency),
                    key=_prepare_input("fixed_monthly_cost"),
                    help=t("Software, cards, staff time: what the programme costs whatever "
                           "members do."), **money)
    st.number_input(_money_label(t("Cap on rewards per member a year"), currency),
                    key=_prepare_input("cap_per_year"), placeholder=t("No cap"),
                    help=t("Leave empty for no cap. Rewards above the cap are lost, not kept "
                           "as a liability."), **money)
    joiners = st.radio(t("Who joins"), JOINERS, format_func=_joiner_labels().get,
                       key=_prepare_input("joiners"),
                       help=t("The most active first is the realistic, pessimistic case: "
                              "heavy buyers join first and collect rewards on purchases they "
                              "would have made anyway."))
    if joiners != "everyone":
        st.number_input(t("Participation (% of customers who join)"), min_value=0.0,
                        max_value=100.0, step=5.0, format="%.1f",
                        key=_prepare_input("participation"))
    if joiners == "random":
        st.number_input(t("Seed of the random draw"), min_value=0, max_value=2**32 - 1,
                        step=1, key=_prepare_input("seed"),
                        help=t("The same seed draws the same members."))
    st.number_input(t("Breakage (% of rewards never claimed)"), min_value=0.0,
                    max_value=100.0, step=5.0, format="%.1f", key=_prepare_input("breakage"),
                    help=t("Often 20–30% in retail."))


def _draw_effects() -> None:
    st.number_input(t("Retention uplift (points of monthly retention)"), min_value=-100.0,
                    max_value=100.0, step=0.5, format="%.2f",
                    key=_prepare_input("retention_uplift"),
                    help=t("Members' monthly retention becomes r + this: 1 point turns 85% "
                           "into 86%."))
    st.caption(t("Often quoted: +5 points of retention adds 25–95% profit (Reichheld & Sasser, "
                 "1990). That study is about financial services; it is context here, never a "
                 "default. The default is no change."))
    st.number_input(t("Purchase frequency (% change)"), min_value=-100.0, max_value=1000.0,
                    step=1.0, format="%.1f", key=_prepare_input("frequency_uplift"))
    st.number_input(t("Average check (% change)"), min_value=-100.0, max_value=1000.0,
                    step=1.0, format="%.1f", key=_prepare_input("check_uplift"))
    st.slider(t("Months to project"), MIN_MONTHS, MAX_MONTHS, step=1,
              key=_prepare_input("months"))


def programme_section(ctx: Context) -> LoyaltyProgramme | None:
    """The programme type with its parameters and the presets, the common parameters and the
    expected effects. Returns the programme, or None (said) when the inputs do not make one."""
    st.subheader(t("Programme"))
    st.markdown(t("**Presets**"))
    with st.container(horizontal=True):
        for kind in PROGRAMME_TYPES:
            label = t(PRESET_LABELS[kind])
            # the label again as the tooltip: a narrow column cuts it off
            st.button(label, key=f"loyalty_preset_{kind}", help=label, on_click=_apply_preset,
                      args=(kind,))
    kind = st.radio(t("Programme type"), PROGRAMME_TYPES, format_func=_type_labels().get,
                    horizontal=True, key=_prepare_input("programme"))
    _draw_type_parameters(kind, ctx.currency)
    st.subheader(t("For every programme"))
    _draw_common_parameters(ctx.currency)
    st.subheader(t("Expected effect on members"))
    _draw_effects()
    texts = _programme_text()
    state = st.session_state
    # the other types' inputs are not drawn: their values stay as the programme has them
    for name in ("programme", *TYPE_PARAMETERS[kind], *COMMON_PARAMETERS, *EFFECT_PARAMETERS):
        if param_key(name) in state:
            texts[name] = parameter_text(name, state[param_key(name)])
    try:
        programme = LoyaltyProgramme.from_strings(texts)
    except ValueError as exc:
        # the session keeps the last programme that made sense, so another type still works
        st.error(t("These settings do not make a programme: {reason}", reason=md_escape(exc)),
                 icon=":material/error:")
        return None
    state[PROGRAMME_TEXT_KEY] = programme.as_strings()
    return programme


# -- the replay ---------------------------------------------------------------------------------


def _tier_label(programme: LoyaltyProgramme, tier: str, currency: str | None) -> str:
    if tier == BASE_TIER:
        return t("Base tier")
    level = tier_names(programme).index(tier)
    return t("Tier {n}, from {threshold} a year", n=level, threshold=format_money(
        programme.tier_thresholds[level - 1], currency, current_language()))


def _member_spec(programme: LoyaltyProgramme, currency: str | None) -> Any:
    collected = {"points": [Column("collected", t("Points collected"), "count")],
                 "stamps": [Column("collected", t("Stamps collected"), "count")]}
    tier = [Column("tier", t("Tier"))] if programme.programme == "tiers" else []
    return table_spec(
        Column("customer_id", t("Customer")),
        Column("orders", t("Orders in the year"), "count"),
        Column("revenue", t("Revenue in the year"), "money"),
        *collected.get(programme.programme, []),
        Column("earned", t("Rewards earned"), "money"),
        Column("redeemable", t("Rewards redeemable"), "money",
               help=t("Whole rewards the member can claim, after the cap.")),
        Column("liability", t("Left on the account"), "money"),
        *tier, currency=currency)


def replay_section(ctx: Context, programme: LoyaltyProgramme) -> Replay:
    """The programme on last year's actual orders: its cards, the rewards histogram and the
    downloadable list of members."""
    lang = current_language()
    with st.spinner(t("Replaying the programme on last year's orders…"), show_time=True):
        replay = data.replay(ctx, programme)
    totals = replay.totals
    st.subheader(t("1 · Replay: the cost you pay on purchases that happen anyway"))
    st.caption(t("The programme run on what its members actually bought from {start} to {end}, "
                 "assuming nobody bought more because of it. No assumption goes into these "
                 "numbers.", start=format_day(replay.window_start),
                 end=format_day(replay.window_end)))
    members = totals["members"]
    cards = _cards(8)
    cards[0].metric(t("Members"), format_count(members, lang), border=True, help=t(
        "{members} of the {candidates} customers with an order in the year join.",
        members=format_count(members, lang), candidates=format_count(replay.candidates, lang)))
    money_metric(cards[1], t("Member revenue"), totals["member_revenue"], ctx.currency,
                 help=t("The members' {orders} orders in the year, returns left out.",
                        orders=format_count(totals["member_orders"], lang)))
    reached = totals["members_with_reward"] / members if members else None
    cards[2].metric(t("Members reaching a reward"), format_percent(reached, 1, lang),
                    border=True, help=t("{n} members can redeem at least one reward.",
                                        n=format_count(totals["members_with_reward"], lang)))
    money_metric(cards[3], t("Rewards earned"), totals["rewards_earned"], ctx.currency,
                 help=t("Everything the rules give the members over the year, claimable or "
                        "not."))
    money_metric(cards[4], t("Rewards redeemable"), totals["rewards_redeemable"],
                 ctx.currency, help=t("The whole rewards members reach, after the cap."))
    money_metric(cards[5], t("Expected reward cost"), totals["expected_reward_cost"],
                 ctx.currency, help=t("Rewards redeemable × (1 − breakage {breakage}).",
                                      breakage=format_percent(programme.breakage, 1, lang)))
    money_metric(cards[6], t("Liability at the end"), totals["liability"], ctx.currency,
                 help=t("Points or stamps collected but short of a reward on the last day: "
                        "owed if members come back."))
    cards[7].metric(t("Cost as % of member revenue"),
                    format_percent(totals["cost_share_of_member_revenue"], 2, lang),
                    border=True,
                    help=t("(Expected reward cost + welcome bonuses {welcome} + birthday "
                           "gifts {birthday}) ÷ member revenue.",
                           welcome=md_escape(format_money(totals["welcome_cost"],
                                                          ctx.currency, lang)),
                           birthday=md_escape(format_money(totals["birthday_cost"],
                                                           ctx.currency, lang))))
    if totals["tiers"]:
        tiers = _cards(len(totals["tiers"]))
        for column, (tier, count) in zip(tiers, totals["tiers"].items(), strict=True):
            column.metric(_tier_label(programme, tier, ctx.currency), format_count(count, lang),
                          border=True, help=t("Members whose spend in the year puts them in "
                                              "this tier."))
    st.plotly_chart(charts.rewards_histogram(replay.members, currency=ctx.currency,
                                             locale=lang), key="loyalty_rewards_histogram")
    table = replay.members
    if programme.programme == "tiers":
        table = table.assign(tier=[_tier_label(programme, tier, ctx.currency)
                                   for tier in table["tier"]])
    spec = _member_spec(programme, ctx.currency)
    with st.expander(t("The members and their rewards ({n})", n=format_count(members, lang))):
        show_table(table, spec)
        download_buttons(table, _stem(ctx, f"loyalty-{programme.programme}-members"),
                         key="loyalty_members_download", spec=spec)
    return replay


def _cards(count: int) -> list[Any]:
    """Places for ``count`` metric cards in one row that wraps, each as wide as its text: in
    the results column, equal columns would cut amounts and labels off."""
    row = st.container(horizontal=True, wrap=True, gap="small")
    return [row.container(width="content") for _ in range(count)]


def _stem(ctx: Context, name: str) -> str:
    assert ctx.dataset is not None
    return f"{ctx.dataset.name}-{name}-{ctx.as_of}"


# -- the projection -----------------------------------------------------------------------------


def outcome(baseline: Baseline, programme: LoyaltyProgramme, replay: Replay) -> Simulation | None:
    """The projection of ``programme`` from ``baseline``; None when a baseline value is
    unknown."""
    return None if baseline.missing() else from_replay(baseline, programme, replay)


def _points(share: float | None, lang: str) -> str:
    """A retention change in points: 0.012 → "+1.2 points"."""
    if share is None:
        return t("None")
    # a plain number with two decimals, the locale's way (format_money without a currency)
    return t("{sign}{points} points", sign="+" if share > 0 else "",
             points=format_money(share * 100, None, lang))


def _month_spec(currency: str | None) -> Any:
    return table_spec(
        Column("month", t("Month"), "count"),
        Column("members", t("Members"), "number", decimals=1),
        Column("non_members", t("Non-members"), "number", decimals=1),
        Column("members_without", t("Members without the programme"), "number", decimals=1),
        Column("revenue_with", t("Revenue with the programme"), "money"),
        Column("revenue_without", t("Revenue without"), "money"),
        Column("gross_profit_with", t("Gross profit with"), "money"),
        Column("gross_profit_without", t("Gross profit without"), "money"),
        Column("reward_cost", t("Rewards"), "money"),
        Column("welcome_cost", t("Welcome bonuses"), "money"),
        Column("birthday_cost", t("Birthday gifts"), "money"),
        Column("fixed_cost", t("Fixed cost"), "money"),
        Column("incremental_profit", t("Incremental profit"), "money"),
        Column("cumulative_incremental_profit", t("Cumulative incremental profit"), "money"),
        currency=currency)


def projection_section(ctx: Context, baseline: Baseline, programme: LoyaltyProgramme,
                       replay: Replay) -> None:
    """Month by month with and without the programme: incremental profit, payback, ROI, a
    member's LTV before and after, the break-even retention uplift and the tornado."""
    lang = current_language()
    st.subheader(t("2 · Projection: {months} months with and without the programme",
                   months=programme.months))
    result = outcome(baseline, programme, replay)
    if result is None:
        st.info(t("The projection needs every baseline value; enter the unknown ones on the "
                  "left ({names}).", names=", ".join(
                      _baseline_fields(ctx.currency)[n].label for n in baseline.missing())))
        return
    projection = result.projection
    cards = _cards(6)
    money_metric(cards[0], t("Incremental profit over {months} months", months=programme.months),
                 projection.incremental_profit, ctx.currency,
                 help=t("Σ over the months of (gross profit with − gross profit without − the "
                        "programme's costs)."))
    payback = projection.payback_month
    cards[1].metric(t("Payback"), t("Month {month}", month=payback) if payback else
                  t("Not within {months} months", months=programme.months), border=True,
                  help=t("The first month from which the cumulative incremental profit stays "
                         "at or above zero."))
    cards[2].metric(t("Return on the programme's costs"),
                  format_percent(projection.roi, 1, lang) if projection.roi is not None
                  else t("No costs"), border=True,
                  help=t("ROI = incremental profit ÷ programme costs ({costs}: rewards, "
                         "welcome bonuses, birthday gifts, fixed cost).",
                         costs=md_escape(format_money(projection.programme_costs, ctx.currency,
                                                      lang))))
    money_metric(cards[3], t("Member LTV without the programme"), projection.member_ltv_before,
                 ctx.currency, help=t("S × C × P × T with T = 1 ÷ (1 − r), at most 120 "
                                      "months."))
    money_metric(cards[4], t("Member LTV with the programme"), projection.member_ltv_after,
                 ctx.currency,
                 delta=projection.member_ltv_after - projection.member_ltv_before,
                 help=t("(S′ × C′ × (P − reward share) − birthday gift ÷ 12) × T′ − welcome "
                        "bonus, with the members' check S′, frequency C′ and lifetime T′."))
    cards[5].metric(t("Break-even retention uplift"),
                    _points(result.break_even_retention_uplift, lang),
                  border=True,
                  help=t("The retention uplift at which the {months} months' incremental "
                         "profit is zero, everything else as set. None: no uplift below 100% "
                         "retention makes it zero.", months=programme.months))
    months = projection.months
    st.plotly_chart(charts.cumulative_profit(months, currency=ctx.currency, locale=lang,
                                             payback_month=payback),
                    key="loyalty_cumulative_profit")
    st.plotly_chart(charts.monthly_profit(months, currency=ctx.currency, locale=lang),
                    key="loyalty_monthly_profit")
    spec = _month_spec(ctx.currency)
    with st.expander(t("Month by month")):
        show_table(months, spec)
        download_buttons(months, _stem(ctx, f"loyalty-{programme.programme}-projection"),
                         key="loyalty_projection_download", spec=spec)
    swings = sensitivity(baseline, programme, replay.redeemable_share)
    st.plotly_chart(charts.tornado(swings, currency=ctx.currency, locale=lang),
                    key="loyalty_tornado")
    st.caption(t("Each bar moves one assumption down and up, the others as set: the longest "
                 "bars are the assumptions worth checking first."))


# -- scenarios ----------------------------------------------------------------------------------


def _save_scenarios(ctx: Context, scenarios: LoyaltyScenarios) -> bool:
    """Store the scenarios, if this user may change the workspace's settings (the server's
    check; the buttons are disabled for a viewer as well)."""
    if not ctx.may(Action.EDIT_SETTINGS):
        st.error(ctx.access.why_not(), icon=":material/block:")
        return False
    ctx.saved.save(LOYALTY_NAMESPACE, scenarios.as_dict())
    return True


def _load_scenario(programme: LoyaltyProgramme) -> None:
    show_programme(programme.as_strings())


def _delete_scenario(ctx: Context, name: str) -> None:
    _save_scenarios(ctx, ctx.saved.loyalty.without(name))


def _scenario_spec(currency: str | None) -> Any:
    return table_spec(
        Column("scenario", t("Scenario")),
        Column("programme", t("Programme")),
        Column("members", t("Members"), "count"),
        Column("expected_reward_cost", t("Expected reward cost in the replay"), "money"),
        Column("cost_share", t("Cost as % of member revenue"), "share", decimals=2),
        Column("incremental_profit", t("Incremental profit"), "money"),
        Column("payback_month", t("Payback month"), "count"),
        Column("roi", t("ROI"), "share"),
        Column("break_even", t("Break-even retention uplift (points)"), "share", decimals=2),
        Column("member_ltv_after", t("Member LTV with the programme"), "money"),
        currency=currency)


def scenarios_section(ctx: Context, baseline: Baseline, programme: LoyaltyProgramme) -> None:
    """Save the programme under a name (up to three per dataset, in the workspace), and the
    saved ones side by side on this baseline: a table and their cumulative profit."""
    lang = current_language()
    st.subheader(t("Scenarios"))
    saved = ctx.saved.loyalty
    may_edit = ctx.may(Action.EDIT_SETTINGS)
    if not may_edit:
        st.caption(ctx.access.why_not())
    with st.form("loyalty_scenario_form", border=False):
        name = st.text_input(t("Name this programme"), key=SCENARIO_NAME_KEY, max_chars=60,
                             disabled=not may_edit)
        submitted = st.form_submit_button(t("Save the scenario"), icon=":material/save:",
                                          key=SAVE_KEY, disabled=not may_edit)
    if submitted:
        name = (name or "").strip()
        if not name:
            st.error(t("Give the scenario a name first."), icon=":material/error:")
        elif saved.full and name not in saved.names():
            st.error(t("{n} scenarios are saved already: delete one first, or save under one "
                       "of their names to replace it.", n=MAX_SCENARIOS),
                     icon=":material/error:")
        elif _save_scenarios(ctx, saved.saved(name, programme)):
            saved = ctx.saved.loyalty
            st.success(t("Saved “{name}” for this dataset.", name=md_escape(name)),
                       icon=":material/check:")
    if not saved.scenarios:
        st.caption(t("Save up to {n} programmes for this dataset to compare them side by "
                     "side; everyone using this workspace sees them.", n=MAX_SCENARIOS))
        return
    types = _type_labels()
    rows = []
    curves = {}
    with st.spinner(t("Replaying the saved scenarios…"), show_time=True):
        for index, scenario in enumerate(saved.scenarios):
            with st.container(horizontal=True, vertical_alignment="center"):
                st.markdown(f"**{md_escape(scenario.name)}** · "
                            f"{types[scenario.programme.programme]}")
                st.button(t("Load"), key=f"loyalty_load_{index}", icon=":material/upload:",
                          on_click=_load_scenario, args=(scenario.programme,))
                st.button(t("Delete"), key=f"loyalty_delete_{index}", icon=":material/delete:",
                          on_click=_delete_scenario, args=(ctx, scenario.name),
                          disabled=not may_edit)
            replay = data.replay(ctx, scenario.programme)
            result = outcome(baseline, scenario.programme, replay)
            projection = result.projection if result else None
            rows.append({
                "scenario": scenario.name,
                "programme": types[scenario.programme.programme],
                "members": replay.totals["members"],
                "expected_reward_cost": replay.totals["expected_reward_cost"],
                "cost_share": replay.totals["cost_share_of_member_revenue"],
                "incremental_profit": projection.incremental_profit if projection else None,
                "payback_month": projection.payback_month if projection else None,
                "roi": projection.roi if projection else None,
                "break_even": result.break_even_retention_uplift if result else None,
                "member_ltv_after": projection.member_ltv_after if projection else None,
            })
            if projection is not None:
                curves[scenario.name] = projection.months
    spec = _scenario_spec(ctx.currency)
    table = pd.DataFrame(rows)
    show_table(table, spec)
    download_buttons(table, _stem(ctx, "loyalty-scenarios"), key="loyalty_scenarios_download",
                     spec=spec)
    if curves:
        st.plotly_chart(charts.scenario_comparison(curves, currency=ctx.currency, locale=lang),
                        key="loyalty_scenario_comparison")
    st.caption(t("Every scenario on the baseline above, each over its own horizon."))


# -- formulas -----------------------------------------------------------------------------------


def formulas() -> None:
    """Every number of the page in plain words."""
    with st.expander(t("How every number is computed"), icon=":material/function:"):
        st.markdown(t(
            "**Replay** — on the orders of the 365 days up to the as-of date, exact to the "
            "cent, nobody's behaviour changed.\n"
            "- *Members*: the customers with an order in the year; everyone, or the "
            "participation share of them (rounded half up): the most active first (most "
            "orders, then most net revenue) or a random draw fixed by its seed.\n"
            "- An order's *value* is the sum of its lines that are not returns; returns do "
            "not take rewards back.\n"
            "- *Cashback*: earned = redeemable = rate × the member's spend.\n"
            "- *Points*: each order earns ⌊earn rate × value⌋ points; redeemable = whole "
            "blocks of the threshold × threshold × point value; the remainder × point value "
            "is the *liability* left at the end; earned = points × point value.\n"
            "- *Stamp card*: each order earns ⌊value ÷ stamp price⌋ stamps; redeemable = "
            "whole cards × gift cost; an unfinished card's stamps × gift cost ÷ stamps per "
            "card are the liability.\n"
            "- *Tiers*: the member's spend in the year sets the tier (the highest threshold "
            "reached); earned = redeemable = that tier's rate × spend.\n"
            "- The *cap* limits what one member can redeem in the year; the rest is lost.\n"
            "- *Expected reward cost* = rewards redeemable × (1 − breakage). *Cost as % of "
            "member revenue* = (expected reward cost + welcome bonuses + birthday gifts) ÷ "
            "member revenue.\n\n"
            "**Projection** — month by month, members and non-members as two populations "
            "starting from the active customers (split by who joins) and each receiving its "
            "share of the new customers every month: customers = last month's × retention + "
            "new.\n"
            "- Without the programme both follow the baseline: retention r, C purchases a "
            "month at an average check S, margin P.\n"
            "- With it, members keep r + the retention uplift, buy C × (1 + frequency change) "
            "times at S × (1 + check change); non-members are unchanged.\n"
            "- Its costs each month: rewards = the replay's redeemable share of member "
            "revenue × (1 − breakage) × the members' revenue; welcome bonuses for the members "
            "who join (in month 1 every member); birthday gifts ÷ 12 per member; the fixed "
            "cost.\n"
            "- *Incremental profit* = gross profit with − gross profit without − those costs. "
            "*Payback* is the first month from which its running total stays at or above "
            "zero; *ROI* = incremental profit ÷ the costs.\n"
            "- *Member LTV* without = S × C × P × T, T = 1 ÷ (1 − r) months (at most 120); "
            "with = (S′ × C′ × (P − reward share) − birthday gift ÷ 12) × T′ − welcome bonus.\n"
            "- *Break-even retention uplift*: the uplift at which the horizon's incremental "
            "profit is exactly zero, everything else as set (solved numerically).\n"
            "- *Tornado*: the horizon's incremental profit with one assumption moved down and "
            "up — retention by 2 points, the retention uplift by 1 point, frequency and check "
            "changes by 5%, breakage by 10 points, every other value by 20% of itself.\n\n"
            "**Context, not a default**: the often-quoted \"+5 points of retention adds 25–95% "
            "profit\" comes from Reichheld & Sasser (1990), a study of financial services. "
            "Studies of retail programmes find much of their cost goes to heavy buyers who "
            "would have bought anyway, which is why the replay comes first."))
