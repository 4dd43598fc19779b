"""The uplift readout against hand-computed cases, and saved audiences and exports end to end:
record, read out after a later load, re-export with the same rules."""

from __future__ import annotations

import datetime as dt
import math
from statistics import NormalDist

import numpy as np
import pandas as pd
import pytest
from audience_helpers import add_orders, make_dataset
from scipy import stats

from retention.audiences.campaign import export_audience, reexport
from retention.audiences.export import ExportOptions
from retention.audiences.saved import (
    ExportNotFound,
    audience_segment,
    delete_audience,
    export_members,
    save_audience,
    saved_audiences,
    saved_export,
    saved_exports,
)
from retention.audiences.segment import Segment
from retention.audiences.uplift import compare_groups, rate_difference, revenue_difference, uplift


def wilson(buyers, n, z):
    p = buyers / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return centre - half, centre + half


def test_the_rate_difference_has_newcombes_interval_and_the_pooled_z_test():
    z = NormalDist().inv_cdf(0.975)
    l1, u1 = wilson(30, 100, z)
    l0, u0 = wilson(10, 100, z)
    low = 0.2 - math.sqrt((0.3 - l1) ** 2 + (u0 - 0.1) ** 2)
    high = 0.2 + math.sqrt((u1 - 0.3) ** 2 + (0.1 - l0) ** 2)
    pooled_z = 0.2 / math.sqrt(0.2 * 0.8 * (1 / 100 + 1 / 100))
    result = rate_difference(30, 100, 10, 100)
    assert result.value == pytest.approx(0.2)
    assert (result.ci_low, result.ci_high) == (pytest.approx(low), pytest.approx(high))
    assert result.p_value == pytest.approx(math.erfc(pooled_z / math.sqrt(2)))
    assert result.p_value == pytest.approx(0.000407, abs=1e-6)


def test_no_difference_has_an_interval_around_zero_and_p_one():
    result = rate_difference(10, 50, 2, 10)
    assert result.value == pytest.approx(0.0)
    assert result.ci_low < 0 < result.ci_high
    assert result.p_value == pytest.approx(1.0)
    # nobody bought in either group: no test, an interval still
    none = rate_difference(0, 20, 0, 5)
    assert (none.value, none.p_value) == (0.0, None)
    assert none.ci_low < 0 < none.ci_high


def test_the_revenue_difference_has_welchs_interval():
    treated, control = np.array([10.0, 0.0, 20.0, 0.0]), np.array([0.0, 0.0, 5.0])
    v1, v0 = treated.var(ddof=1) / 4, control.var(ddof=1) / 3   # 275/12, 25/9
    df = (v1 + v0) ** 2 / (v1 ** 2 / 3 + v0 ** 2 / 2)
    half = stats.t.ppf(0.975, df) * math.sqrt(v1 + v0)
    result = revenue_difference(treated, control)
    assert result.value == pytest.approx(7.5 - 5 / 3)
    assert (result.ci_low, result.ci_high) == (pytest.approx(7.5 - 5 / 3 - half),
                                               pytest.approx(7.5 - 5 / 3 + half))
    flat = revenue_difference(np.zeros(3), np.zeros(2))
    assert (flat.value, flat.ci_low, flat.ci_high) == (0.0, None, None)


def test_distinguishable_means_the_rate_interval_excludes_zero():
    def readout(treated_buyers, treated_n, control_buyers, control_n):
        rows = [("treatment", i < treated_buyers) for i in range(treated_n)]
        rows += [("control", i < control_buyers) for i in range(control_n)]
        frame = pd.DataFrame(rows, columns=["group", "bought"])
        frame["revenue"] = frame["bought"] * 10.0
        return compare_groups(frame, window_start=dt.date(2025, 7, 1),
                              window_end=dt.date(2025, 7, 30))
    assert readout(30, 100, 10, 100).distinguishable
    same = readout(10, 50, 2, 10)
    assert not same.distinguishable
    payload = same.as_json()
    assert set(payload) == {"treatment", "control", "rate_difference", "revenue_difference",
                            "distinguishable"}
    assert payload["treatment"] == {"n": 50, "buyers": 10, "rate": 0.2,
                                    "revenue_per_customer": 2.0}
    assert set(payload["rate_difference"]) == {"value", "ci_low", "ci_high", "p_value"}
    assert set(payload["revenue_difference"]) == {"value", "ci_low", "ci_high"}


D = dt.date(2025, 6, 30)
# Ten one-time buyers 30 days before D, all with email consent: the second-purchase nudge.
NUDGE = [(f"C{n}", "2025-05-31", 25.0) for n in range(10)]
CONSENTING = {f"C{n}": {"email": f"c{n}@example.org", "email_opt_in": True} for n in range(10)}


@pytest.fixture
def exported(workspace, tmp_path):
    dataset_id = make_dataset(workspace, NUDGE, CONSENTING)
    result = export_audience(workspace, dataset_id, "second-purchase",
                             ExportOptions("email", control_share=0.3, seed=5),
                             tmp_path / "nudge.csv", as_of=D)
    return dataset_id, result


def test_an_export_is_recorded_with_its_members_and_groups(workspace, exported):
    dataset_id, result = exported
    con = workspace.cursor()
    assert result.as_json() == {
        "audience": "second-purchase", "customers": 10, "exported": 10,
        "excluded_no_consent": 0, "excluded_no_contact": 0, "control": 3, "treatment": 7,
        "export_id": result.export_id, "file": str(result.file)}
    saved = saved_export(con, dataset_id, result.export_id)
    assert (saved.audience, saved.as_of, saved.dataset_version, saved.file_name) == (
        "second-purchase", D, 1, "nudge.csv")
    assert saved.rules.segment == Segment(playbook="second-purchase")
    assert saved.options == ExportOptions("email", control_share=0.3, seed=5)
    members = export_members(con, dataset_id, result.export_id)
    on_file = pd.read_csv(result.file, encoding="utf-8-sig", dtype=str)
    assert members.values.tolist() == on_file[["customer_id", "group"]].values.tolist()
    assert saved_exports(con, dataset_id)["export_id"].tolist() == [result.export_id]
    with pytest.raises(ExportNotFound):
        saved_export(con, dataset_id, result.export_id + 1)


def test_uplift_counts_orders_in_the_window_after_the_export(workspace, exported):
    dataset_id, result = exported
    con = workspace.cursor()
    members = export_members(con, dataset_id, result.export_id)
    treated = members.loc[members["group"] == "treatment", "customer_id"].tolist()
    control = members.loc[members["group"] == "control", "customer_id"].tolist()
    add_orders(workspace, dataset_id, [
        (treated[0], "2025-07-01", 40.0),   # the window's first day
        (treated[1], "2025-07-30", 60.0),   # its last day (D + 30)
        (treated[1], "2025-07-02", 20.0),
        (treated[2], "2025-07-31", 99.0),   # the day after: outside
        (control[0], "2025-07-15", 30.0),
        ("stranger", "2025-07-10", 500.0),  # not on the list
    ])
    readout = uplift(con, dataset_id, result.export_id, window_days=30)
    assert readout.treatment.as_json() == {"n": 7, "buyers": 2, "rate": 2 / 7,
                                           "revenue_per_customer": 120 / 7}
    assert readout.control.as_json() == {"n": 3, "buyers": 1, "rate": 1 / 3,
                                         "revenue_per_customer": 10.0}
    assert readout.rate_difference.value == pytest.approx(2 / 7 - 1 / 3)
    assert readout.revenue_difference.value == pytest.approx(120 / 7 - 10)
    assert (readout.window_start, readout.window_end) == (dt.date(2025, 7, 1),
                                                          dt.date(2025, 7, 30))
    assert (readout.data_until, readout.window_complete) == (dt.date(2025, 7, 31), True)
    assert not uplift(con, dataset_id, result.export_id, window_days=40).window_complete
    assert not readout.distinguishable


def test_a_re_export_applies_the_same_rules_and_options_to_newer_data(workspace, exported,
                                                                      tmp_path):
    dataset_id, first = exported
    # a month later: three of them bought again (no longer one-time), a new one-time buyer
    add_orders(workspace, dataset_id, [("C0", "2025-07-10", 5.0), ("C1", "2025-07-11", 5.0),
                                       ("C2", "2025-07-12", 5.0), ("N", "2025-07-05", 5.0)])
    again = reexport(workspace, dataset_id, first.export_id, tmp_path / "again.xlsx",
                     as_of=dt.date(2025, 7, 30))
    con = workspace.cursor()
    later = saved_export(con, dataset_id, again.export_id)
    assert again.export_id != first.export_id
    assert (later.as_of, later.dataset_version, later.options) == (
        dt.date(2025, 7, 30), 2, ExportOptions("email", control_share=0.3, seed=5))
    # C3 … C9 ordered 60 days before the new D (still in), N only 25 days; N has no consent
    assert again.as_json()["customers"] == 8
    assert (again.campaign.excluded_no_consent, again.campaign.exported) == (1, 7)
    assert export_members(con, dataset_id, again.export_id)["customer_id"].tolist() == [
        f"C{n}" for n in range(3, 10)]


def test_saved_audiences_are_kept_per_dataset_by_name(workspace):
    dataset_id = make_dataset(workspace, NUDGE, CONSENTING)
    other = make_dataset(workspace, NUDGE, name="other")
    con = workspace.cursor()
    segment = Segment(steps=("buyer",), consent="email")
    save_audience(con, dataset_id, " Buyers ", segment)
    save_audience(con, dataset_id, "Buyers", Segment(orders_max=1))  # replaces it
    assert saved_audiences(con, dataset_id) == {"Buyers": Segment(orders_max=1)}
    assert saved_audiences(con, other) == {}
    assert audience_segment(con, dataset_id, "vip") == Segment(playbook="vip")
    with pytest.raises(ValueError, match="no audience"):
        audience_segment(con, other, "Buyers")
    with pytest.raises(ValueError, match="playbook audience"):
        save_audience(con, dataset_id, "vip", segment)
    assert delete_audience(con, dataset_id, "Buyers")
    assert not delete_audience(con, dataset_id, "Buyers")


def test_deleting_a_dataset_deletes_its_audiences_and_exports(workspace, exported):
    dataset_id, _ = exported
    save_audience(workspace.cursor(), dataset_id, "Mine", Segment())
    workspace.delete_dataset(dataset_id)
    con = workspace.cursor()
    for table in ("audiences", "audience_exports", "audience_export_members"):
        assert con.execute(f"select count(*) from {table}").fetchall() == [(0,)], table


def test_an_export_follows_the_datasets_saved_settings_and_records_them(workspace, tmp_path):
    dataset_id = make_dataset(workspace, NUDGE[:2] + [("C9", "2025-05-01", 25.0)], CONSENTING)
    workspace.save_settings(dataset_id, "audiences", {"nudge_max_days": 59})
    workspace.save_settings(dataset_id, "ladder", {"repeat_orders": 3})
    result = export_audience(workspace, dataset_id, "second-purchase",
                             ExportOptions("email", control_share=0), tmp_path / "n.csv", as_of=D)
    # C9's only order is 60 days before D: over the saved 59
    assert result.campaign.rows["customer_id"].tolist() == ["C0", "C1"]
    rules = saved_export(workspace.cursor(), dataset_id, result.export_id).rules
    assert (rules.playbook.nudge_max_days, rules.ladder.repeat_orders) == (59, 3)
