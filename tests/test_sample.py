"""The synthetic shop must be deterministic, well-formed and show every customer archetype.

The dashboard's first impression and many tests rest on this data, so each promise the generator
makes (ids, returns, time range, archetype mix, seasonality) is checked against the frame itself.
"""

import datetime

import numpy as np
import pandas as pd
import pytest

from retention.sample import COLUMNS, sample_transactions, write_sample_csv

END = pd.Timestamp("2026-10-31")
END_OF_DAY = END + pd.Timedelta(hours=23, minutes=59, seconds=59)
CUSTOMERS = 3000
ATTRIBUTES = [
    "city",
    "gender",
    "birth_date",
    "signup_date",
    "email",
    "phone",
    "email_opt_in",
    "sms_opt_in",
    "referred_by",
    "nps",
]
TEXT = ["order_id", "customer_id", "product", "category", "channel", "store", "city", "gender"]
TEXT += ["email", "phone", "referred_by"]


@pytest.fixture(scope="module")
def df() -> pd.DataFrame:
    return sample_transactions()


@pytest.fixture(scope="module")
def orders(df: pd.DataFrame) -> pd.DataFrame:
    sales = df[df["order_id"].str.startswith("S")]
    return sales.groupby("order_id").agg(
        customer_id=("customer_id", "first"),
        date=("date", "first"),
        value=("amount", "sum"),
        lines=("amount", "size"),
    )


@pytest.fixture(scope="module")
def customers(df: pd.DataFrame) -> pd.DataFrame:
    return df.groupby("customer_id")[ATTRIBUTES].first()


def test_same_seed_gives_an_identical_frame() -> None:
    pd.testing.assert_frame_equal(
        sample_transactions(400, seed=7), sample_transactions(400, seed=7)
    )


def test_different_seed_gives_a_different_frame() -> None:
    first, second = sample_transactions(400, seed=7), sample_transactions(400, seed=8)
    assert not first.equals(second)
    assert first["amount"].sum() != second["amount"].sum()
    assert first["date"].iloc[0] != second["date"].iloc[0]


def test_columns_and_dtypes(df: pd.DataFrame) -> None:
    assert list(df.columns) == list(COLUMNS)
    assert list(COLUMNS) == [
        "order_id",
        "customer_id",
        "date",
        "product",
        "category",
        "quantity",
        "unit_price",
        "amount",
        "channel",
        "store",
        "city",
        "gender",
        "birth_date",
        "signup_date",
        "email",
        "phone",
        "email_opt_in",
        "sms_opt_in",
        "referred_by",
        "nps",
    ]
    for column in TEXT:
        assert isinstance(df[column].dtype, pd.StringDtype), column
    for column in ("date", "birth_date", "signup_date"):
        assert pd.api.types.is_datetime64_dtype(df[column]), column
    assert df["quantity"].dtype == np.int64
    assert df["unit_price"].dtype == np.float64
    assert df["amount"].dtype == np.float64
    assert df["email_opt_in"].dtype == bool
    assert df["sms_opt_in"].dtype == bool
    assert df["nps"].dtype == "Int64"


def test_rows_are_sorted_by_date_then_order_id(df: pd.DataFrame) -> None:
    resorted = df.sort_values(["date", "order_id"], kind="stable", ignore_index=True)
    pd.testing.assert_frame_equal(df, resorted)
    assert df.index.equals(pd.RangeIndex(len(df)))


def test_ids_keep_their_leading_zeros(df: pd.DataFrame) -> None:
    assert set(df["customer_id"]) == {f"{n:06d}" for n in range(1, CUSTOMERS + 1)}
    assert df["order_id"].str.fullmatch(r"[SC]\d{6}").all()
    assert df.loc[df["order_id"].str.startswith("S"), "order_id"].min() == "S000001"
    with_email = df[df["email"].notna()]
    assert len(with_email) > 0.5 * len(df)
    assert with_email["email"].eq("c" + with_email["customer_id"] + "@example.com").all()


def test_lines_are_consistent(df: pd.DataFrame, orders: pd.DataFrame) -> None:
    assert (df["quantity"] != 0).all()
    assert (df["unit_price"] > 0).all()
    cents = df["unit_price"] * 100
    assert np.allclose(cents, cents.round(), atol=1e-6)
    assert np.allclose(df["amount"], (df["quantity"] * df["unit_price"]).round(2), atol=1e-9)
    assert orders["lines"].between(1, 4).all()
    assert set(orders["lines"]) == {1, 2, 3, 4}
    assert df["category"].nunique() == 8
    assert df["product"].nunique() >= 40
    assert set(df["channel"]) == {"store", "online", "app"}
    assert df["store"].isna().eq(df["channel"] != "store").all()
    assert 3 <= df["store"].nunique() <= 6
    assert 4 <= df["city"].nunique() <= 8


def test_prices_come_from_one_catalogue_for_every_seed(df: pd.DataFrame) -> None:
    other = sample_transactions(1500, seed=99)
    list_price = df.groupby("product")["unit_price"].max()
    other_list_price = other.groupby("product")["unit_price"].max()
    common = list_price.index.intersection(other_list_price.index)
    assert len(common) >= 40
    pd.testing.assert_series_equal(list_price[common], other_list_price[common])
    at_list_price = df["unit_price"].eq(df["product"].map(list_price))
    assert 0.7 < at_list_price.mean() < 0.98


def test_orders_happen_in_shop_hours(df: pd.DataFrame) -> None:
    assert df["date"].dt.hour.between(9, 21).all()
    assert df["date"].dt.hour.nunique() == 13
    assert (df["date"] != df["date"].dt.normalize()).all()


def test_no_row_after_end(df: pd.DataFrame) -> None:
    assert df["date"].max() <= END_OF_DAY
    assert df["date"].max().normalize() == END
    assert df["date"].min() >= END - pd.Timedelta(days=int(2.5 * 365.25))


def test_end_and_years_set_the_window() -> None:
    frame = sample_transactions(500, seed=5, end=datetime.date(2023, 3, 15), years=1.0)
    assert frame["date"].max() <= pd.Timestamp("2023-03-15 23:59:59")
    assert frame["date"].min() >= pd.Timestamp("2022-03-15")
    assert frame["date"].min() < pd.Timestamp("2022-05-01")


def test_returns_point_back_to_an_order_of_the_same_customer(
    df: pd.DataFrame, orders: pd.DataFrame
) -> None:
    is_return = df["order_id"].str.startswith("C")
    returns, sales = df[is_return], df[~is_return]
    assert (returns["quantity"] < 0).all()
    assert (returns["amount"] < 0).all()
    assert (sales["quantity"] > 0).all()
    assert (sales["amount"] > 0).all()

    original = "S" + returns["order_id"].str[1:]
    assert original.isin(orders.index).all()
    assert (
        orders.loc[original, "customer_id"].to_numpy().tolist() == returns["customer_id"].tolist()
    )
    assert (orders.loc[original, "date"].to_numpy() < returns["date"].to_numpy()).all()

    sold = sales.groupby(["order_id", "product"])["quantity"].sum()
    taken_back = -returns.groupby([original.rename("order_id"), "product"])["quantity"].sum()
    assert (taken_back <= sold[taken_back.index]).all()
    share = returns["order_id"].nunique() / len(orders)
    assert 0.015 < share < 0.05


def test_one_time_buyers_are_about_half(orders: pd.DataFrame) -> None:
    per_customer = orders.groupby("customer_id").size()
    assert len(per_customer) == CUSTOMERS
    assert 0.35 <= (per_customer == 1).mean() <= 0.55
    assert 0.15 <= per_customer.isin([2, 3]).mean() <= 0.4


def test_regulars_buy_often_in_the_last_year(orders: pd.DataFrame) -> None:
    last_year = orders[orders["date"] > END - pd.Timedelta(days=365)]
    counts = last_year.groupby("customer_id").size()
    assert (counts >= 4).sum() >= 0.05 * CUSTOMERS
    months = last_year.groupby("customer_id")["date"].agg(lambda d: d.dt.to_period("M").nunique())
    assert (months >= 9).sum() >= 0.01 * CUSTOMERS


def test_lapsed_big_spenders_exist(orders: pd.DataFrame) -> None:
    per_customer = orders.groupby("customer_id").agg(
        count=("value", "size"), check=("value", "mean"), last=("date", "max")
    )
    lapsed_big = (
        (per_customer["count"] >= 3)
        & (per_customer["last"] < END - pd.Timedelta(days=180))
        & (per_customer["check"] > 2 * orders["value"].median())
    )
    # Without the lapsed archetype churned regulars and old occasional clients make about 1.5%.
    assert lapsed_big.mean() >= 0.04


def test_new_customers_of_the_last_three_months(orders: pd.DataFrame) -> None:
    first = orders.groupby("customer_id")["date"].min()
    assert 0.06 <= (first > END - pd.Timedelta(days=91)).mean() <= 0.2


def test_acquisition_grows(orders: pd.DataFrame) -> None:
    first = orders.groupby("customer_id")["date"].min()
    earlier = first.between(pd.Timestamp("2025-01-01"), pd.Timestamp("2025-07-01")).sum()
    later = first.between(pd.Timestamp("2026-01-01"), pd.Timestamp("2026-07-01")).sum()
    assert later > 1.3 * earlier


def test_december_peak_summer_dip_and_busy_weekends(orders: pd.DataFrame) -> None:
    date = orders["date"]
    per_day = date.dt.normalize().value_counts()
    per_day = per_day.reindex(pd.date_range(END - pd.Timedelta(days=800), END), fill_value=0)
    december = per_day["2025-12-01":"2025-12-31"].mean()
    october = per_day["2025-10-01":"2025-10-31"].mean()
    july = per_day["2025-07-01":"2025-07-31"].mean()
    may = per_day["2025-05-01":"2025-05-31"].mean()
    assert december > 1.4 * october
    assert july < may
    weekday = date.dt.day_of_week.value_counts()
    assert weekday[5] > 1.3 * weekday[1]


def test_attributes_are_constant_per_customer(df: pd.DataFrame) -> None:
    per_customer = df.groupby("customer_id")[ATTRIBUTES].nunique(dropna=False)
    assert (per_customer == 1).all().all()
    assert (df[ATTRIBUTES].nunique() > 1).all()


def test_customer_attributes_are_plausible(df: pd.DataFrame, customers: pd.DataFrame) -> None:
    assert set(customers["gender"].dropna()) == {"F", "M"}
    assert 0.0 < customers["gender"].isna().mean() < 0.2
    assert 0.05 < customers["birth_date"].isna().mean() < 0.4
    assert 0.05 < customers["email"].isna().mean() < 0.3
    assert 0.05 < customers["phone"].isna().mean() < 0.5
    assert customers["phone"].dropna().str.fullmatch(r"\+1555\d{7}").all()
    assert not (customers["email_opt_in"] & customers["email"].isna()).any()
    assert not (customers["sms_opt_in"] & customers["phone"].isna()).any()
    assert customers["email_opt_in"].any() and customers["sms_opt_in"].any()

    age = (customers["signup_date"] - customers["birth_date"]).dt.days / 365.25
    assert age.dropna().between(17.9, 81).all()
    first_order = df.groupby("customer_id")["date"].min().dt.normalize()
    assert (customers["signup_date"] <= first_order).all()
    assert (customers["signup_date"] == customers["signup_date"].dt.normalize()).all()
    assert (customers["signup_date"] >= df["date"].min().normalize()).all()


def test_nps_for_about_a_third_of_customers(customers: pd.DataFrame) -> None:
    nps = customers["nps"]
    assert 0.2 <= nps.notna().mean() <= 0.4
    assert nps.dropna().between(0, 10).all()
    assert nps.min() <= 3 and nps.max() == 10


def test_referrers_are_existing_earlier_customers(customers: pd.DataFrame) -> None:
    referred = customers[customers["referred_by"].notna()]
    assert 0.05 <= len(referred) / len(customers) <= 0.15
    assert referred["referred_by"].isin(customers.index).all()
    assert (referred["referred_by"] != referred.index).all()
    referrer_signup = customers.loc[referred["referred_by"], "signup_date"].to_numpy()
    assert (referrer_signup <= referred["signup_date"].to_numpy()).all()


def test_write_sample_csv(tmp_path) -> None:
    target = tmp_path / "nested" / "sample.csv"
    written = write_sample_csv(str(target), customers=300, seed=3)
    assert written == target
    raw = target.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8")
    lines = text.splitlines()
    assert lines[0] == ",".join(COLUMNS)

    expected = sample_transactions(300, seed=3)
    table = pd.read_csv(target, dtype=str, keep_default_na=False)
    assert len(table) == len(expected) == len(lines) - 1
    assert table["customer_id"].tolist() == expected["customer_id"].tolist()
    assert table["customer_id"].str.fullmatch(r"0\d{5}").all()
    assert table["date"].str.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d").all()
    assert pd.to_datetime(table["date"]).tolist() == expected["date"].tolist()
    births = table["birth_date"]
    assert births.eq("").any()
    assert births[births != ""].str.fullmatch(r"\d{4}-\d\d-\d\d").all()
    assert set(table["email_opt_in"]) == {"true", "false"}
    assert set(table["sms_opt_in"]) == {"true", "false"}
    assert table["amount"].str.fullmatch(r"-?\d+\.\d\d").all()
    assert np.allclose(table["amount"].astype(float), expected["amount"])
    assert table.loc[expected["channel"] != "store", "store"].eq("").all()
    assert (
        table["nps"].eq("").any() and table["nps"][table["nps"] != ""].str.fullmatch(r"\d+").all()
    )


@pytest.mark.parametrize("customers", [1, 7])
def test_tiny_samples_work(customers: int) -> None:
    frame = sample_transactions(customers, seed=11)
    assert frame["customer_id"].nunique() == customers
    assert frame["date"].max() <= END_OF_DAY


@pytest.mark.parametrize(("customers", "years"), [(0, 2.5), (10, 0.0), (10, -1.0)])
def test_rejects_impossible_arguments(customers: int, years: float) -> None:
    with pytest.raises(ValueError):
        sample_transactions(customers, years=years)


@pytest.fixture(scope="module")
def loaded_summary(tmp_path_factory) -> dict:
    """`python -m retention summary`'s numbers of the default sample, loaded the real way."""
    from retention.ingest import load_file
    from retention.store import close_workspace, open_workspace
    from retention.summary import dataset_summary

    folder = tmp_path_factory.mktemp("sample")
    ws = open_workspace(folder / "workspace.duckdb")
    try:
        report = load_file(ws, write_sample_csv(folder / "sample.csv"), dataset="sample")
        return dataset_summary(ws.cursor(), ws.dataset(report.dataset_id))
    finally:
        close_workspace(ws.path)


def test_every_abc_xyz_cell_has_customers(loaded_summary: dict) -> None:
    # steady monthly buyers make X and Y in every revenue class, as real shops have
    cells = loaded_summary["abc_xyz"]
    assert len(cells) == 9
    assert min(cells.values()) >= 10, cells


def test_the_ladder_has_regulars_loyal_customers_and_advocates(loaded_summary: dict) -> None:
    ladder = loaded_summary["ladder"]
    assert ladder["buyer"] == CUSTOMERS
    assert ladder["regular"] >= 0.1 * CUSTOMERS
    assert ladder["loyal"] >= 0.05 * CUSTOMERS
    assert ladder["advocate"] >= 0.02 * CUSTOMERS


def test_an_order_never_lists_one_product_twice(df: pd.DataFrame) -> None:
    # a repeated (order, product) line would also make the loader warn about exact copies
    sales = df[df["order_id"].str.startswith("S")]
    assert not sales.duplicated(["order_id", "product"]).any()


def test_steady_buyers_keep_one_basket(orders: pd.DataFrame, df: pd.DataFrame) -> None:
    # customers with orders in at least 10 of the last 12 months (XYZ's X needs about that),
    # most of them buying the same few products every time
    last_year = orders[orders["date"] >= pd.Timestamp("2025-11-01")]
    months = last_year.groupby("customer_id")["date"].agg(lambda d: d.dt.to_period("M").nunique())
    monthly = months[months >= 10].index
    assert len(monthly) >= 0.05 * CUSTOMERS
    lines = df[df["order_id"].str.startswith("S") & df["customer_id"].isin(monthly)]
    baskets = lines.groupby("customer_id")["product"].nunique()
    assert (baskets <= 3).mean() >= 0.5
