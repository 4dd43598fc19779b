"""``python -m retention loyalty`` (DESIGN §7) and the parameters' text form it reads."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from retention.cli import main
from retention.loyalty import PRESETS, PROGRAMME_TYPES, LoyaltyProgramme
from tests.test_cli import run
from tests.test_loyalty_replay import YEAR

MONTH_FIELDS = {"month", "revenue_with", "revenue_without", "reward_cost", "fixed_cost",
                "incremental_profit", "cumulative_incremental_profit"}


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "year.csv"
    path.write_text(YEAR, encoding="utf-8")
    db = str(tmp_path / "w.duckdb")
    run("ingest", str(path), "--db", db)
    return db


def test_loyalty_prints_the_contract_json(db):
    result = run("loyalty", "--dataset", "year", "--db", db, "--as-of", "2025-12-31",
                 "--programme", "points", "--set", "joiners=everyone", "--set", "breakage=0.2",
                 "--set", "welcome_bonus=1", "--set", "birthday_gift=2", "--months", "3")
    payload = json.loads(result.stdout)
    assert {"baseline", "replay", "projection", "incremental_profit", "payback_month", "roi",
            "break_even_retention_uplift"} <= set(payload)
    assert set(payload["baseline"]) == {"active_customers", "new_customers_per_month",
                                        "avg_check", "purchases_per_month",
                                        "monthly_retention", "margin"}
    # the replay's hand-worked totals (tests/test_loyalty_replay.py), as JSON numbers
    replay = payload["replay"]
    assert {name: replay[name] for name in (
        "members", "member_orders", "member_revenue", "rewards_earned", "rewards_redeemable",
        "expected_reward_cost", "liability", "members_with_reward", "welcome_cost",
        "birthday_cost", "tiers")} == {
        "members": 4, "member_orders": 6, "member_revenue": 1160.89, "rewards_earned": 23.18,
        "rewards_redeemable": 20.0, "expected_reward_cost": 16.0, "liability": 3.18,
        "members_with_reward": 3, "welcome_cost": 4.0, "birthday_cost": 8.0, "tiers": {}}
    assert replay["cost_share_of_member_revenue"] == pytest.approx(28 / 1160.89, rel=1e-15)
    assert [month["month"] for month in payload["projection"]] == [1, 2, 3]
    assert all(set(month) >= MONTH_FIELDS for month in payload["projection"])
    assert payload["incremental_profit"] == pytest.approx(
        payload["projection"][-1]["cumulative_incremental_profit"])


def test_loyalty_tiers_report_members_per_tier(db):
    result = run("loyalty", "--dataset", "year", "--db", db, "--as-of", "2025-12-31",
                 "--programme", "tiers", "--set", "joiners=everyone",
                 "--set", "tier_thresholds=250,500", "--set", "tier_rates=0.01,0.02,0.05")
    payload = json.loads(result.stdout)
    assert payload["replay"]["tiers"] == {"base": 1, "tier_1": 2, "tier_2": 1}
    assert len(payload["projection"]) == 24


@pytest.mark.parametrize(("setting", "message"), [
    ("cashback_rate=2", "error: cashback_rate must be a number from 0 to 1, got 2."),
    ("colour=red", "error: There is no programme parameter 'colour'"),
    ("participation", "error: --set expects NAME=VALUE, got 'participation'."),
    ("months=0", "error: months must be a whole number from 1 to 120, got 0."),
    ("joiners=friends", "error: joiners must be one of everyone | random | most_active, "
                        "got 'friends'."),
])
def test_a_bad_setting_is_one_sentence_and_exit_2(tmp_path, capsys, setting, message):
    # in this process (the contract tests above run the real command): the settings are
    # checked before the workspace is opened, so it need not exist
    db = tmp_path / "never-created.duckdb"
    code = main(["loyalty", "--dataset", "year", "--db", str(db), "--programme", "cashback",
                 "--set", setting])
    assert not db.exists()
    assert code == 2
    out, err = capsys.readouterr()
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(message)


def test_an_unknown_dataset_exits_1(tmp_path):
    result = run("loyalty", "--dataset", "nope", "--db", str(tmp_path / "empty.duckdb"),
                 "--programme", "points", check=False)
    assert result.returncode == 1
    assert result.stderr.startswith("error: ")


def test_the_text_form_round_trips():
    programme = LoyaltyProgramme(programme="tiers", tier_thresholds=(Decimal("1E+3"),),
                                 tier_rates=(Decimal("0.01"), 0.04), cap_per_year=250,
                                 joiners="random", seed=7, retention_uplift=0.05)
    text = programme.as_strings()
    assert text["tier_thresholds"] == "1000"
    assert text["tier_rates"] == "0.01,0.04"
    assert text["retention_uplift"] == "0.05"  # the float's decimal spelling, exactly
    assert LoyaltyProgramme.from_strings(text) == programme
    assert LoyaltyProgramme.from_strings({"cap_per_year": "none"}).cap_per_year is None
    for preset in PRESETS.values():
        assert LoyaltyProgramme.from_strings(preset.as_strings()) == preset


def test_the_presets():
    assert tuple(PRESETS) == PROGRAMME_TYPES
    points = PRESETS["points"]
    assert (points.earn_rate, points.threshold_points,
            points.threshold_points * points.point_value) == (1, 250, 5)
    stamps = PRESETS["stamps"]
    assert (stamps.stamp_every, stamps.stamps_per_gift) == (100, 50)
    assert PRESETS["cashback"].cashback_rate == Decimal("0.02")
    assert len(PRESETS["tiers"].tier_rates) == 3
    assert PRESETS["points"].retention_uplift == 0  # never the 1990 paper's number


def test_every_problem_is_named_with_its_range():
    with pytest.raises(ValueError) as problem:
        LoyaltyProgramme(breakage=Decimal("1.5"), stamps_per_gift=0,
                         tier_thresholds=(Decimal(5), Decimal(1)))
    assert str(problem.value) == (
        "stamps_per_gift must be a whole number of at least 1, got 0. "
        "breakage must be a number from 0 to 1, got 1.5. "
        "tier_thresholds must be numbers greater than 0 in ascending order, got 5,1.")
