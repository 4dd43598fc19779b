"""Customer portraits: features on a hand-made table, planted clusters found again, stable and
uniquely named portraits, and clear messages where there is nothing to draw."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from retention.charts import portraits as charts
from retention.ingest import load_file
from retention.metrics.customer_features import customer_features, optional_attributes
from retention.models import portraits as portraits_model
from retention.models.portraits import (
    PortraitError,
    PortraitModel,
    customer_portraits,
    customer_profile,
)
from retention.models.portraits import estimator as portraits_estimator
from retention.vocabulary import STEPS
from tests.ingest_helpers import fresh_workspace, write

D = dt.date(2024, 3, 31)

# Ten lines, D = 2024-03-31 (2024 is a leap year: Feb has 29 days).
# c1: orders on 01-01 (store, Shoes 100), 01-31 (online, Bags 50), 03-01 (online, Shoes 30) and a
#     return of 40 on 03-05: orders 3, gross 180, net 140, avg check 140/3, recency 30 days
#     (03-01 → 03-31), tenure 90 (31 + 29 + 30), gap (03-01 − 01-01 = 60 days) / 2 = 30,
#     return rate 40/180, channel online (2 lines to 1), top category Shoes (130 to 50).
# c2: one order on D itself at 23:00 (recency 0, tenure 0, no gap), born 1990-04-01: 33 on D
#     (the birthday is the next day).
# c3: one order on 02-15 (recency 14 + 31 = 45) and one after D (ignored: not 2 orders, not
#     510 revenue), born 1990-03-31: 34 on D (the birthday is D itself).
# c4: a return only: not a customer.
# c5: two orders the same day (gap 0), age 51 from the age column; ties broken alphabetically:
#     channel app (1 line) vs store (1 line) -> app, category Bags 25 vs Shoes 25 -> Bags.
FEATURE_ROWS = """order_id,customer_id,date,amount,channel,category,gender,birth_date,age,city
O1,c1,2024-01-01 10:00,100.00,store,Shoes,M,,,Springfield
O2,c1,2024-01-31 12:00,50.00,online,Bags,M,,,Springfield
O3,c1,2024-03-01 09:00,30.00,online,Shoes,M,,,Springfield
R1,c1,2024-03-05 09:00,-40.00,online,Shoes,M,,,Springfield
O4,c2,2024-03-31 23:00,80.00,store,Bags,F,1990-04-01,,
O5,c3,2024-02-15 08:00,10.00,app,Toys,F,1990-03-31,,Riverton
O6,c3,2024-04-02 08:00,500.00,app,Toys,F,1990-03-31,,Riverton
R2,c4,2024-03-10 10:00,-15.00,store,Bags,,,,
O7,c5,2024-03-10 09:00,25.00,store,Shoes,,,51,
O8,c5,2024-03-10 18:00,25.00,app,Bags,,,51,
"""


def load(tmp_path, text: str, name: str = "p"):
    ws = fresh_workspace(tmp_path)
    report = load_file(ws, write(tmp_path, f"{name}.csv", text), dataset=name)
    return ws, report.dataset_id


# -- features --------------------------------------------------------------------------------


def test_features_on_a_hand_made_table(tmp_path):
    ws, ds = load(tmp_path, FEATURE_ROWS)
    frame = customer_features(ws.cursor(), ds, as_of=D).set_index("customer_id")

    assert list(frame.index) == ["c1", "c2", "c3", "c5"]
    expected = {
        "c1": (30, 3, 140 / 3, 140.0, 90, 30.0, 40 / 180, None, "M", "Springfield", "online",
               "Shoes"),
        "c2": (0, 1, 80.0, 80.0, 0, None, 0.0, 33, "F", None, "store", "Bags"),
        "c3": (45, 1, 10.0, 10.0, 45, None, 0.0, 34, "F", "Riverton", "app", "Toys"),
        "c5": (21, 2, 25.0, 50.0, 21, 0.0, 0.0, 51, None, None, "app", "Bags"),
    }
    columns = ["recency_days", "orders", "avg_check", "net_revenue", "tenure_days",
               "mean_days_between_orders", "return_rate", "age", "gender", "city", "channel",
               "top_category"]
    for customer, values in expected.items():
        row = frame.loc[customer]
        for column, value in zip(columns, values, strict=True):
            if value is None:
                assert pd.isna(row[column]), (customer, column, row[column])
            elif isinstance(value, float):
                assert row[column] == pytest.approx(value, abs=1e-12), (customer, column)
            else:
                assert row[column] == value, (customer, column, row[column])


def test_features_ignore_rows_after_the_as_of_day_and_count_the_day_itself(tmp_path):
    ws, ds = load(tmp_path, FEATURE_ROWS)
    # as of 03-30, c2's order (03-31 23:00) is in the future: c2 is not a customer yet
    frame = customer_features(ws.cursor(), ds, as_of=dt.date(2024, 3, 30))
    assert "c2" not in set(frame["customer_id"])
    # as of 04-02, c3 has its second order (510 revenue, recency 0, gap 47 days)
    later = customer_features(ws.cursor(), ds, as_of=dt.date(2024, 4, 2)).set_index(
        "customer_id").loc["c3"]
    assert (later["orders"], later["net_revenue"], later["recency_days"]) == (2, 510.0, 0)
    assert later["mean_days_between_orders"] == 47.0  # 02-15 → 04-02: 14 + 31 + 2


def test_optional_attributes_say_which_columns_have_values(tmp_path):
    ws, ds = load(tmp_path, FEATURE_ROWS)
    found = optional_attributes(ws.cursor(), ds).set_index("attribute")
    # age: c2 and c3 by birth date, c5 by age; gender: c1, c2, c3; city: c1, c3;
    # channel and category: every customer with a line, c4's return included
    assert found["customers_with_value"].to_dict() == {
        "age": 3, "gender": 3, "city": 2, "channel": 5, "top_category": 5}
    assert found.loc["top_category", "source_columns"] == "category"
    assert found["available"].all()

    bare_ws, bare = load(tmp_path / "bare", "customer,date,amount\na,2024-01-01,5\n")
    assert not optional_attributes(bare_ws.cursor(), bare)["available"].any()


def test_attributes_join_through_one_hot_encoding_and_unknown_values_are_ignored(tmp_path):
    ws, ds = load(tmp_path, FEATURE_ROWS)
    frame = customer_features(ws.cursor(), ds, as_of=D)
    # four customers, four different profiles: k can be at most n − 1 = 3
    model = PortraitModel(features=("orders", "age", "gender", "channel")).fit(frame)

    assert (model.n_clusters_, model.k_chosen_by_) == (3, "data")
    columns = model.pipeline_.named_steps["features"]
    assert [name for name, _, _ in columns.transformers_][:3] == [
        "skewed", "linear", "categorical"]
    # gender M, F, unknown and channel app, online, store: one column each, nothing dropped
    assert model.transformed_.shape == (4, 1 + 1 + 3 + 3)
    strange = frame.head(1).assign(channel=pd.Categorical(["fax"]), gender=pd.Categorical(["X"]))
    assert model.predict(strange).shape == (1,)


def test_rare_categories_are_grouped_and_skewed_numbers_log_scaled():
    # 100 customers: city A 60, B 39, C 1 (1% < 2%: grouped as "infrequent")
    frame = pd.DataFrame({
        "orders": [1] * 50 + [100] * 50,
        "city": pd.Categorical(["A"] * 60 + ["B"] * 39 + ["C"]),
    })
    pipeline = portraits_model.build_pipeline(("orders", "city"), 2, n_customers=100)
    matrix = pipeline[:-1].fit_transform(frame)

    names = list(pipeline[:-1].get_feature_names_out())
    assert names == ["skewed__orders", "categorical__city_A", "categorical__city_B",
                     "categorical__city_infrequent_sklearn"]
    # log(2) and log(101) scaled to mean 0, sd 1: exactly −1 and +1 for a 50/50 split
    assert sorted(set(np.round(matrix[:, 0], 12))) == [-1.0, 1.0]
    assert matrix[99, 3] == 1.0 and matrix[:99, 3].sum() == 0


# -- planted clusters ---------------------------------------------------------------------------

PLANTED_AS_OF = dt.date(2025, 6, 30)


def planted_purchases(per_group: int = 40, seed: int = 7) -> tuple[str, dict[str, int]]:
    """Three kinds of customer a marketer would recognise, far apart on purpose but each with
    real spread inside (discrete, noise-free groups would tempt the silhouette into splitting
    them on ties):
    0 active regulars: 15–30 orders spread over the last two years, checks around 60 (fewer
      than half order in 9 distinct months of the last year, so they are not loyal);
    1 lapsed one-timers: one order of around 15, 400–700 days ago;
    2 new big spenders: one order of around 600 in the last 30 days."""
    rng = np.random.default_rng(seed)
    lines, truth = ["customer_id,date,amount,order_id"], {}
    order = 0

    def add(customer: str, days_ago: int, typical: float) -> None:
        nonlocal order
        order += 1
        day = PLANTED_AS_OF - dt.timedelta(days=int(days_ago))
        lines.append(f"{customer},{day.isoformat()},{typical * rng.lognormal(0, 0.25):.2f},"
                     f"O{order}")

    for i in range(per_group):
        customer = f"L{i:03d}"
        truth[customer] = 0
        first, last = rng.integers(600, 730), rng.integers(0, 30)
        add(customer, first, 60)
        add(customer, last, 60)
        for days_ago in rng.integers(last, first, size=int(rng.integers(13, 29))):
            add(customer, days_ago, 60)
        customer = f"S{i:03d}"
        truth[customer] = 1
        add(customer, rng.integers(400, 700), 15)
        customer = f"N{i:03d}"
        truth[customer] = 2
        add(customer, rng.integers(0, 30), 600)
    return "\n".join(lines) + "\n", truth


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("planted")
    text, truth = planted_purchases()
    ws, ds = load(tmp_path, text, "planted")
    return ws, ds, truth


def test_planted_clusters_are_found_again(planted):
    ws, ds, truth = planted
    result = customer_portraits(ws.cursor(), ds, as_of=PLANTED_AS_OF)

    assignments = result.assignments
    found = assignments["portrait"].to_numpy()
    expected = assignments["customer_id"].map(truth).to_numpy()
    assert adjusted_rand_score(expected, found) >= 0.9
    assert (result.k, result.k_chosen_by, result.estimator) == (3, "silhouette", "KMeans")
    # each planted group is named for what it is
    name_of_group = {
        group: assignments.loc[expected == group, "name"].mode().iloc[0] for group in range(3)}
    assert name_of_group == {0: "Active regulars", 1: "Lapsed one-timers",
                             2: "New big spenders"}


def test_portraits_describe_each_group(planted):
    ws, ds, _ = planted
    result = customer_portraits(ws.cursor(), ds, as_of=PLANTED_AS_OF)
    summary = result.summary.set_index("name")

    assert summary["customers"].tolist() == [40, 40, 40]
    assert summary["portrait"].tolist() == [1, 2, 3]
    assert summary["customer_share"].sum() == pytest.approx(1.0)
    assert summary["revenue_share"].sum() == pytest.approx(1.0)
    assert summary.loc["Lapsed one-timers", "median_orders"] == 1
    frame = result.assignments
    assert summary.loc["Active regulars", "median_orders"] == frame.loc[
        frame["customer_id"].str.startswith("L"), "orders"].median()
    assert summary.loc["Active regulars", "median_orders"] >= 15
    assert summary.loc["Lapsed one-timers", "repeat_share"] == 0
    assert pd.isna(summary.loc["Lapsed one-timers", "median_days_between_orders"])
    # no attribute columns in this file: every typical value is unknown, not guessed
    assert summary[["typical_gender", "typical_city", "typical_channel",
                    "typical_category"]].isna().all().all()
    assert summary.loc["Lapsed one-timers", "action_step"] == "prioritise"
    assert summary.loc["Active regulars", "action_step"] == "consolidate"
    assert set(summary["action_step"]) <= set(portraits_model.ACTION_STEPS)
    # the ladder mix covers every customer of every portrait once
    mix = result.ladder_mix
    assert mix.groupby("portrait")["customers"].sum().tolist() == [40, 40, 40]
    assert set(mix["step"]) == set(STEPS)
    one_timers = mix[(mix["name"] == "Lapsed one-timers") & (mix["step"] == "buyer")]
    assert one_timers["share"].iloc[0] == 1.0


def test_the_same_input_gives_the_same_portraits(planted):
    ws, ds, _ = planted
    first = customer_portraits(ws.cursor(), ds, as_of=PLANTED_AS_OF, n_clusters=5)
    second = customer_portraits(ws.cursor(), ds, as_of=PLANTED_AS_OF, n_clusters=5)

    pd.testing.assert_frame_equal(first.summary, second.summary)
    pd.testing.assert_frame_equal(first.assignments, second.assignments)
    pd.testing.assert_frame_equal(first.projection, second.projection)


def test_a_different_random_state_may_move_customers_but_not_the_contract(planted):
    ws, ds, _ = planted
    frame = customer_features(ws.cursor(), ds, as_of=PLANTED_AS_OF)
    model = PortraitModel(random_state=3).fit(frame)
    assert model.n_clusters_ == 3
    # portrait 0 is the largest, and predict answers with the same numbers as labels_
    assert np.array_equal(model.predict(frame), model.labels_)


@pytest.mark.parametrize("k", [4, 6, 8])
def test_names_are_unique_even_when_portraits_look_alike(planted, k):
    ws, ds, _ = planted
    result = customer_portraits(ws.cursor(), ds, as_of=PLANTED_AS_OF, n_clusters=k)
    names = result.summary["name"].tolist()
    assert result.k == k and result.k_chosen_by == "user"
    assert len(set(names)) == k


def traits_frame(**columns) -> pd.DataFrame:
    """A summary with the TRAITS columns: 0 unless given."""
    rows = len(next(iter(columns.values())))
    return pd.DataFrame({column: columns.get(column, [0.0] * rows)
                         for column in portraits_model.TRAITS})


def test_duplicate_names_get_the_trait_in_which_each_is_highest_or_lowest():
    # two "Lapsed one-timers": 30 and 20 check (50% apart) beat 400 and 300 days (25% apart)
    summary = traits_frame(avg_check=[30.0, 20.0, 50.0], median_recency_days=[400.0, 300.0, 10])
    names, traits = portraits_model.unique_names(
        ["Lapsed one-timers", "Lapsed one-timers", "Loyal regulars"], summary)
    assert names == ["Lapsed one-timers · bigger baskets", "Lapsed one-timers · smaller baskets",
                     "Loyal regulars"]
    assert traits == [("avg_check", True), ("avg_check", False), None]
    # three of one name: the middle one is extreme in nothing, the others in recency
    three = traits_frame(median_recency_days=[300.0, 200.0, 250.0])
    names, traits = portraits_model.unique_names(["Lapsed one-timers"] * 3, three)
    assert names == ["Lapsed one-timers · longer gone", "Lapsed one-timers · more recent",
                     "Lapsed one-timers"]
    # identical numbers too: a number keeps them apart, with no claim
    same, no_traits = portraits_model.unique_names(["New shoppers"] * 2, traits_frame(
        avg_check=[5.0, 5.0]))
    assert same == ["New shoppers", "New shoppers 2"] and no_traits == [None, None]


def test_minibatch_kmeans_takes_over_above_the_threshold(planted, monkeypatch):
    ws, ds, truth = planted
    monkeypatch.setattr(portraits_estimator, "MINIBATCH_ABOVE", 100)
    result = customer_portraits(ws.cursor(), ds, as_of=PLANTED_AS_OF)
    assert result.estimator == "MiniBatchKMeans"
    expected = result.assignments["customer_id"].map(truth).to_numpy()
    assert adjusted_rand_score(expected, result.assignments["portrait"]) >= 0.9


def test_why_is_this_customer_here(planted):
    ws, ds, _ = planted
    result = customer_portraits(ws.cursor(), ds, as_of=PLANTED_AS_OF)
    profile = customer_profile(result, "S000").set_index("feature")

    assert profile.loc["orders", "customer"] == 1
    assert profile.loc["orders", "portrait"] == 1
    # the base's median orders: 40 customers with 24, 40 with 1, 40 with 1 or 2 -> 1.5 at most
    assert profile.loc["orders", "base"] <= 2
    assert bool(profile.loc["orders", "used"])
    assert not bool(profile.loc["gender", "used"])
    with pytest.raises(KeyError):
        customer_profile(result, "nobody")


# -- data that cannot be drawn ------------------------------------------------------------------


def test_no_optional_attributes_still_gives_portraits_and_skips_chosen_ones(planted):
    ws, ds, _ = planted
    result = customer_portraits(ws.cursor(), ds, as_of=PLANTED_AS_OF,
                                features=("recency_days", "orders", "gender", "city"))
    assert result.features == ("recency_days", "orders")
    assert result.skipped_features == ("gender", "city")
    assert result.k >= 2


@pytest.mark.parametrize(
    "rows",
    [
        "customer,date,amount\na,2024-01-01,5\n",
        "customer,date,amount\na,2024-01-01,5\nb,2024-02-01,7\n",
    ],
    ids=["one customer", "two customers"],
)
def test_one_or_two_customers_give_a_clear_message(tmp_path, rows):
    ws, ds = load(tmp_path, rows)
    with pytest.raises(PortraitError, match="at least 3 customers"):
        customer_portraits(ws.cursor(), ds, as_of=dt.date(2024, 3, 1))


def test_identical_customers_give_a_clear_message(tmp_path):
    rows = "customer,date,amount\n" + "".join(f"c{i},2024-01-01,5\n" for i in range(6))
    ws, ds = load(tmp_path, rows)
    with pytest.raises(PortraitError, match="look exactly the same"):
        customer_portraits(ws.cursor(), ds, as_of=dt.date(2024, 3, 1))


def test_three_customers_are_enough_for_two_portraits(tmp_path):
    rows = "customer,date,amount\na,2024-01-01,5\nb,2024-02-01,7\nc,2024-02-20,900\n"
    ws, ds = load(tmp_path, rows)
    result = customer_portraits(ws.cursor(), ds, as_of=dt.date(2024, 3, 1))
    assert (result.k, result.k_chosen_by) == (2, "data")
    assert result.summary["customers"].sum() == 3


def test_asking_for_more_portraits_than_profiles_says_so(tmp_path):
    rows = "customer,date,amount\n" + "".join(
        f"c{i},2024-01-0{1 + i % 2},{5 + 10 * (i % 2)}\n" for i in range(6))
    ws, ds = load(tmp_path, rows)
    with pytest.raises(PortraitError, match="only 2 different profiles"):
        customer_portraits(ws.cursor(), ds, as_of=dt.date(2024, 3, 1), n_clusters=4)
    assert customer_portraits(ws.cursor(), ds, as_of=dt.date(2024, 3, 1)).k == 2


def test_unknown_features_are_a_programming_error():
    with pytest.raises(ValueError, match="Unknown features"):
        PortraitModel(features=("shoe_size",)).fit(pd.DataFrame())


# -- charts ---------------------------------------------------------------------------------------


def test_charts_have_one_trace_per_portrait_and_titles_in_words(planted):
    ws, ds, _ = planted
    result = customer_portraits(ws.cursor(), ds, as_of=PLANTED_AS_OF)

    profiles = charts.portrait_profiles(result.standings)
    assert [trace.name for trace in profiles.data] == result.summary["name"].tolist()
    assert profiles.layout.yaxis.title.text == "Standard deviations from the average customer"
    assert list(profiles.data[0].x)[0] == "Days since last order"
    assert all(abs(v) <= charts.PROFILE_LIMIT
               for trace in profiles.data for v in trace.y if not math.isnan(v))
    # one-timers have no gap between orders: a hole in their line, not a made-up value
    gap = list(profiles.data[0].x).index("Days between orders")
    one_timers = [trace for trace in profiles.data if trace.name == "Lapsed one-timers"][0]
    assert math.isnan(one_timers.y[gap])

    scatter = charts.portrait_map(result.projection, result.explained_variance)
    assert sum(len(trace.x) for trace in scatter.data) == 120
    assert "of the variation" in scatter.layout.xaxis.title.text

    sizes = charts.portrait_sizes(result.summary, currency="USD")
    assert [trace.name for trace in sizes.data] == ["Customers", "Net revenue"]
    assert "$" in sizes.data[1].customdata[0]

    mix = charts.portrait_ladder_mix(result.ladder_mix)
    assert len(mix.data) == len(STEPS)
    assert math.isclose(sum(trace.x[0] for trace in mix.data), 1.0)
