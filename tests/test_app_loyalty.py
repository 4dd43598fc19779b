"""The loyalty programme page: renders on the sample and on an empty workspace, shows the
replay worked on paper for the tiny shop, and its inputs, presets, saved scenarios and links
change what it shows."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from retention.ingest import load_file
from retention.loyalty import LoyaltyProgramme
from retention.ui.loyalty_page import PROGRAMME_TEXT_KEY, SAVE_KEY, SCENARIO_NAME_KEY, param_key
from retention.ui.saved_settings import LOYALTY_NAMESPACE, LoyaltyScenarios
from retention.ui.text import md_escape

PAGE = "views/loyalty.py"


def metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def chart_titles(at) -> list[str]:
    return [json.loads(chart.proto.spec)["layout"]["title"]["text"]
            for chart in at.get("plotly_chart")]


def open_page(at, query: dict[str, str] | None = None):
    """The page opened from an address with ``query``: the session's first run, as a link
    opened in a new tab (the frame and the page follow a link on that run only)."""
    at.switch_page(PAGE)
    at.query_params.update(query or {})
    return at.run()


def everyone_cashback(at, percent: float = 2.0):
    """The page on cashback at ``percent`` with every customer a member."""
    at.radio(key=param_key("programme")).set_value("cashback").run()
    at.radio(key=param_key("joiners")).set_value("everyone").run()
    return at.number_input(key=param_key("cashback_rate")).set_value(percent).run()


@pytest.fixture
def tiny(workspace, no_sample, tiny_purchases_csv):
    """tests/conftest.py's six lines, in US dollars. The year up to 2025-03-01 (the default
    as-of date): C1's orders of 100 and 50, C2's of 80 (its return of 30 is ignored by the
    replay), C3's two lines of 40 and 10, one order of 50: 280 of member revenue when
    everyone joins."""
    return load_file(workspace, tiny_purchases_csv, dataset="Tiny", currency="USD")


def test_every_section_renders_on_the_sample(app_test, workspace, with_sample):
    at = open_page(app_test())
    assert not at.exception
    values = metrics(at)
    for label in ("Members", "Member revenue", "Rewards earned", "Rewards redeemable",
                  "Expected reward cost", "Liability at the end", "Members reaching a reward",
                  "Cost as % of member revenue", "Incremental profit over 24 months",
                  "Payback", "Return on the programme's costs", "Member LTV without the "
                  "programme", "Member LTV with the programme", "Break-even retention uplift"):
        assert label in values, label
    assert values["Member revenue"].startswith("$")
    assert all(m.proto.help for m in at.metric), "every number carries its formula"
    titles = chart_titles(at)
    assert titles[0].startswith("Rewards redeemable per member")
    assert titles[1].startswith("Cumulative incremental profit")
    assert "Incremental profit over the horizon when one assumption moves" in titles
    assert {b.key for b in at.get("download_button")} >= {
        "loyalty_members_download_csv", "loyalty_projection_download_xlsx"}
    assert any("Reichheld & Sasser" in c.value for c in at.caption)
    assert "How every number is computed" in [e.label for e in at.expander]


def test_an_empty_workspace_explains_what_the_page_will_show(app_test, workspace, no_sample):
    at = open_page(app_test())
    assert not at.exception
    assert "no data yet" in at.info[0].value
    assert not at.metric and not at.number_input


def test_the_replay_matches_the_tiny_shop_worked_on_paper(app_test, tiny):
    at = everyone_cashback(open_page(app_test()))
    values = metrics(at)
    assert values["Members"] == "3"
    assert values["Member revenue"] == "$280.00"
    assert values["Rewards redeemable"] == "$5.60"  # 2% of 280
    assert values["Expected reward cost"] == "$4.48"  # after 20% breakage
    assert values["Cost as % of member revenue"] == "1.60%"


def test_points_left_short_of_a_reward_are_the_liability(app_test, tiny):
    at = open_page(app_test())  # the defaults: points, 250 = 5, the most active half joins
    values = metrics(at)
    assert values["Members"] == "2"  # C1 and C2
    assert values["Rewards redeemable"] == "$0.00"  # 150 and 80 points: below 250
    assert values["Liability at the end"] == "$4.60"  # 230 points × 0.02
    assert values["Members reaching a reward"] == "0.0%"


def test_tiers_from_a_link_with_their_lists(app_test, tiny):
    at = open_page(app_test(), {"programme": "tiers", "tier_thresholds": "100,1000",
                                "tier_rates": "0.01,0.02,0.05", "joiners": "everyone"})
    assert not at.exception
    assert at.text_input(key=param_key("tier_rates")).value == "1, 2, 5"
    values = metrics(at)
    assert values["Base tier"] == "2"  # C2 (80) and C3 (50)
    assert values["Tier 1, from $100.00 a year"] == "1"  # C1 (150)
    assert values["Tier 2, from $1,000.00 a year"] == "0"
    assert values["Rewards redeemable"] == "$4.30"  # 2% of 150 + 1% of 80 + 1% of 50
    members = at.dataframe[0].value
    assert list(members["tier"]) == ["Tier 1, from $100.00 a year", "Base tier", "Base tier"]


def test_tiers_that_make_no_sense_are_refused_and_other_types_still_work(app_test, tiny):
    at = open_page(app_test())
    at.radio(key=param_key("programme")).set_value("tiers").run()
    at.text_input(key=param_key("tier_rates")).input("1, lots, 5").run()

    assert md_escape("tier_rates must be a number, got 'lots'") in at.error[0].value
    assert not at.metric, "no numbers for a programme that does not exist"

    at.radio(key=param_key("programme")).set_value("cashback").run()
    assert not at.error and metrics(at)["Members"] == "2"


def test_the_cashback_rate_moves_the_expected_cost(app_test, tiny):
    at = everyone_cashback(open_page(app_test()))
    assert metrics(at)["Expected reward cost"] == "$4.48"

    at.number_input(key=param_key("cashback_rate")).set_value(5.0).run()

    assert not at.exception
    assert metrics(at)["Expected reward cost"] == "$11.20"  # 5% of 280 × 0.8


def test_most_active_first_picks_the_members(app_test, tiny):
    at = open_page(app_test())
    at.radio(key=param_key("programme")).set_value("cashback").run()
    # half of 3, rounded half up: C1 (two orders), then C2 over C3 (same net revenue, id)
    values = metrics(at)
    assert values["Members"] == "2"
    assert values["Member revenue"] == "$230.00"


def test_a_preset_sets_the_programme_and_keeps_the_common_settings(app_test, tiny):
    at = everyone_cashback(open_page(app_test()), percent=5.0)
    at.radio(key=param_key("programme")).set_value("points").run()
    at.number_input(key=param_key("breakage")).set_value(50.0).run()

    at.button(key="loyalty_preset_cashback").click().run()

    assert not at.exception
    assert at.radio(key=param_key("programme")).value == "cashback"
    assert at.number_input(key=param_key("cashback_rate")).value == 2.0
    assert metrics(at)["Expected reward cost"] == "$2.80"  # 2% of 280 × (1 − 50%)


def test_the_baseline_is_editable_and_moves_the_projection(app_test, tiny):
    at = open_page(app_test())
    before = metrics(at)["Member LTV without the programme"]
    margin = next(n for n in at.number_input if n.label == "Margin (%)")
    assert margin.value == pytest.approx(30.0)

    margin.set_value(60.0).run()

    assert not at.exception
    assert metrics(at)["Member LTV without the programme"] != before


def test_an_unknown_baseline_value_says_why_and_waits_for_one(app_test, tiny):
    at = app_test().run()
    at.sidebar.date_input(key="as_of").set_value(dt.date(2025, 1, 25)).run()
    at.switch_page(PAGE).run()

    assert not at.exception
    captions = " ".join(c.value for c in at.caption)
    assert "no two month-ends with active customers" in captions
    assert "no month-end with active customers yet" in captions
    assert any("The projection needs every baseline value" in i.value for i in at.info)
    assert "Members" in metrics(at), "the replay needs no baseline"

    for label, value in (("Purchases per active customer per month", 1.0),
                         ("Monthly retention (%)", 80.0)):
        next(n for n in at.number_input if n.label == label).set_value(value).run()
    assert "Payback" in metrics(at)


def test_a_saved_scenario_appears_in_the_comparison(app_test, workspace, tiny):
    at = everyone_cashback(open_page(app_test()), percent=5.0)
    at.text_input(key=SCENARIO_NAME_KEY).input("Cashback 5%")
    at.button(key=SAVE_KEY).click().run()
    at.number_input(key=param_key("cashback_rate")).set_value(2.0).run()
    at.text_input(key=SCENARIO_NAME_KEY).input("Cashback 2%")
    at.button(key=SAVE_KEY).click().run()

    assert not at.exception
    table = at.dataframe[-1].value
    assert list(table["scenario"]) == ["Cashback 5%", "Cashback 2%"]
    assert list(table["expected_reward_cost"]) == [11.2, 4.48]
    assert "Cumulative incremental profit by scenario" in chart_titles(at)
    saved = LoyaltyScenarios.from_dict(workspace.settings(tiny.dataset_id, LOYALTY_NAMESPACE))
    assert saved.names() == ["Cashback 5%", "Cashback 2%"]
    assert saved.scenarios[0].programme.cashback_rate == LoyaltyProgramme(
        cashback_rate="0.05").cashback_rate

    # a fresh session on the same dataset loads the first one back
    fresh = open_page(app_test())
    fresh.button(key="loyalty_load_0").click().run()
    assert fresh.number_input(key=param_key("cashback_rate")).value == 5.0
    assert metrics(fresh)["Expected reward cost"] == "$11.20"


def test_a_fourth_scenario_is_refused(app_test, tiny):
    at = open_page(app_test())
    for name in ("A", "B", "C", "D"):
        at.text_input(key=SCENARIO_NAME_KEY).input(name)
        at.button(key=SAVE_KEY).click().run()
    assert "3 scenarios are saved already" in at.error[0].value
    assert list(at.dataframe[-1].value["scenario"]) == ["A", "B", "C"]


def test_a_link_restores_the_scenario(app_test, tiny):
    at = everyone_cashback(open_page(app_test()), percent=5.0)
    link = dict(at.query_params)
    assert link["programme"] == "cashback" and link["cashback_rate"] == "0.05"
    assert "earn_rate" not in link, "only the programme type's own parameters"
    shown = metrics(at)

    opened = open_page(app_test(), link)

    assert not at.exception
    assert opened.number_input(key=param_key("cashback_rate")).value == 5.0
    assert opened.radio(key=param_key("joiners")).value == "everyone"
    assert any("restored from the link" in i.value for i in opened.info)
    assert metrics(opened) == shown


def test_a_link_opens_its_dataset(app_test, workspace, tiny, tmp_path):
    other = tmp_path / "other.csv"
    other.write_text("customer_id,date,amount\nZ1,2025-02-01,500.00\n", encoding="utf-8")
    newer = load_file(workspace, other, dataset="Other", currency="EUR")
    assert app_test().run().sidebar.selectbox(key="active_dataset_id").value == newer.dataset_id

    at = open_page(app_test(), {"dataset": str(tiny.dataset_id), "programme": "cashback",
                                "joiners": "everyone"})

    assert not at.exception
    assert at.sidebar.selectbox(key="active_dataset_id").value == tiny.dataset_id
    assert any("restored from the link" in i.value for i in at.info)
    assert metrics(at)["Member revenue"] == "$280.00"


def test_a_link_to_a_dataset_not_in_the_workspace_says_so(app_test, tiny):
    at = open_page(app_test(), {"dataset": "99", "programme": "stamps"})
    assert not at.exception
    assert "This link is for a dataset that is not in this workspace" in at.warning[0].value
    assert at.radio(key=param_key("programme")).value == "stamps"


def test_a_bad_link_is_ignored_with_a_message_naming_the_parameter(app_test, tiny):
    at = open_page(app_test(), {"programme": "cashback", "cashback_rate": "7",
                                "breakage": "lots", "months": "200", "stamp_every": "0.001",
                                "utm_source": "mail"})

    assert not at.exception
    warning = at.warning[0].value
    assert "cashback\\_rate" in warning and "breakage" in warning and "months" in warning
    assert "utm" not in warning, "unknown names are ignored"
    assert at.radio(key=param_key("programme")).value == "cashback"  # what was valid
    assert at.number_input(key=param_key("cashback_rate")).value == 2.0  # the default kept
    assert at.slider(key=param_key("months")).value == 60  # clamped to the page's horizons
    assert "stamp\\_every" in warning
    assert at.session_state[PROGRAMME_TEXT_KEY]["stamp_every"] == "0.01"


def test_saved_scenarios_that_no_longer_validate_are_left_out():
    good = {"name": "ok", "programme": LoyaltyProgramme(programme="stamps").as_strings()}
    saved = LoyaltyScenarios.from_dict({"scenarios": [
        good, {"name": "bad", "programme": {"cashback_rate": "2"}}, {"programme": {}},
        {"name": " ", "programme": {}}, "junk", good, good, good]})
    assert saved.names() == ["ok", "ok", "ok"]
    assert saved.scenarios[0].programme.programme == "stamps"
    assert LoyaltyScenarios.from_dict(saved.as_dict()) == saved
