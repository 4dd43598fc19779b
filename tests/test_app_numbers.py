"""Numbers on the pages, in AppTest (issue 10): big money in cards is compact with the exact
amount in the tooltip (point 18), the ladder's loyal card shows the count it leans on under the
proxy's name (point 22), and cards that count on purpose differently from another page say
what they count (point 23)."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest

from retention.formatting import format_count, format_money, format_money_compact
from retention.ingest import load_file
from retention.metrics import ladder
from retention.sample import write_sample_csv
from retention.ui.text import md_escape

NBSP = "\xa0"


def card(at, label: str):
    found = [m for m in at.metric if m.label == label]
    assert found, f"no metric {label!r}; the page has {[m.label for m in at.metric]}"
    return found[0]


def open_page(app_test, page: str | None = None):
    at = app_test().run()
    if page is not None:
        at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def funnel_counts(at) -> dict[str, int]:
    """The ladder funnel's bars: step label -> customers."""
    figures = [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]
    [funnel] = [f["data"][0] for f in figures if f["data"][0]["type"] == "funnel"]
    return dict(zip(funnel["y"], funnel["x"], strict=True))


# -- point 18: money cards ----------------------------------------------------------------------


@pytest.fixture
def big_shop(workspace, tmp_path, no_sample):
    """Two customers paying 43,424,672.50 so'm in all."""
    path = tmp_path / "big.csv"
    path.write_text("customer_id,date,amount\nC1,2025-01-05,43000000.00\n"
                    "C2,2025-02-10,424672.50\n", encoding="utf-8")
    return load_file(workspace, path, dataset="Big", currency="UZS")


def test_home_shows_big_revenue_compact_with_the_exact_amount_in_the_tooltip(app_test,
                                                                             big_shop):
    at = open_page(app_test)

    revenue = card(at, "Net revenue")
    assert revenue.value == f"so'm{NBSP}43.4M"
    exact = format_money(43_424_672.5, "UZS")
    assert md_escape(exact) in revenue.proto.help
    assert revenue.proto.help.startswith("Everything customers paid")


def test_ladder_top_customers_revenue_card_is_compact_too(app_test, big_shop):
    at = open_page(app_test, "views/ladder.py")

    # ⌈0.2 · 2⌉ = 1 customer: C1 with 43,000,000
    their = card(at, "Their net revenue")
    assert their.value == format_money_compact(43_000_000, "UZS") == f"so'm{NBSP}43M"
    assert md_escape(format_money(43_000_000, "UZS")) in their.proto.help


# -- point 22: the loyal card on the ladder -----------------------------------------------------


@pytest.fixture(scope="module")
def sample_csv(tmp_path_factory) -> pd.DataFrame:
    return pd.read_csv(write_sample_csv(tmp_path_factory.mktemp("sample") / "sample.csv"),
                       dtype=str, keep_default_na=False)


@pytest.fixture
def sample_without_advocacy(workspace, tmp_path, no_sample, sample_csv):
    """The sample shop without its nps and referred_by columns: advocates are unknown, and
    loyalty is judged by the regularity proxy (the sample has no share-of-wallet survey)."""
    path = tmp_path / "sample-no-nps.csv"
    sample_csv.drop(columns=["nps", "referred_by"]).to_csv(path, index=False)
    return load_file(workspace, path, dataset="Sample, no NPS", currency="USD")


def test_loyal_card_shows_the_funnels_count_under_the_proxys_name(app_test, workspace,
                                                                 sample_without_advocacy):
    at = open_page(app_test, "views/ladder.py")
    as_of = at.sidebar.date_input(key="as_of").value
    counts = ladder.ladder_counts(workspace.cursor(), sample_without_advocacy.dataset_id,
                                  as_of=as_of).set_index("step")
    loyal = int(counts.loc["loyal", "customers"])
    assert loyal > 0 and pd.isna(counts.loc["loyal", "on_step"])

    loyal_card = card(at, "Loyal (by regularity)")
    assert loyal_card.value == format_count(loyal)
    assert funnel_counts(at)["Loyal"] == loyal  # one number, one meaning on the page
    assert "share_of_wallet" in loyal_card.proto.help
    assert "9 different calendar months" in loyal_card.proto.help
    assert "advocates are counted here too" in loyal_card.proto.help
    assert card(at, "Advocate").value == "Unknown"
    assert "Loyal" not in [m.label for m in at.metric]


def test_on_the_sample_shop_the_loyal_card_names_its_proxy(app_test, workspace, with_sample):
    at = open_page(app_test, "views/ladder.py")
    dataset = workspace.datasets()[0]
    as_of = at.sidebar.date_input(key="as_of").value
    counts = ladder.ladder_counts(workspace.cursor(), dataset.dataset_id,
                                  as_of=as_of).set_index("step")

    loyal_card = card(at, "Loyal (by regularity)")
    # the sample has NPS and referrals: advocates are known, so the card counts loyal only
    assert loyal_card.value == format_count(counts.loc["loyal", "on_step"])
    assert "share_of_wallet" in loyal_card.proto.help
    assert "Advocates are not counted here" in loyal_card.proto.help


# -- point 23: what each count counts -----------------------------------------------------------


def test_home_and_load_summary_say_what_their_customer_counts_count(app_test, workspace,
                                                                    no_sample):
    # C3 only returned goods and C4 orders after the as-of date: the load counts four
    # distinct ids, Home two customers with an order up to 2025-01-31
    content = ("customer_id,date,amount\nC1,2025-01-05,100\nC2,2025-01-20,80\n"
               "C3,2025-01-25,-30\nC4,2025-03-01,40\n")
    at = open_page(app_test, "views/data.py")
    at.file_uploader(key="data_upload").set_value(("four.csv", content.encode(), "text/csv"))
    at.run()
    [load] = [b for b in at.button if (b.key or "").startswith("load_")]
    load.click().run()
    assert not at.exception, at.exception

    loaded = card(at, "Customers")
    assert loaded.value == "4"
    assert "Distinct customer ids among the rows loaded" in loaded.proto.help
    assert "with an order up to the as-of date" in loaded.proto.help
    assert all(m.proto.help for m in at.metric), "every load number says what it counts"

    at.switch_page("views/home.py").run()
    at.sidebar.date_input(key="as_of").set_value(dt.date(2025, 1, 31)).run()
    home = card(at, "Customers")
    assert home.value == "2"
    assert "at least one order up to the as-of date" in home.proto.help
    assert "distinct customer id among the loaded rows" in home.proto.help


@pytest.fixture
def same_day_orders(workspace, tmp_path, no_sample):
    """S1 places two orders on one day (a repeat client by orders, bought once by purchase
    days); R1 orders on three days; O1 once."""
    path = tmp_path / "same-day.csv"
    path.write_text(
        "customer_id,date,amount,order_id\n"
        "S1,2025-03-01,10,A1\nS1,2025-03-01,12,A2\n"
        "R1,2025-01-05,20,B1\nR1,2025-02-05,25,B2\nR1,2025-03-05,30,B3\n"
        "O1,2025-02-01,15,D1\n", encoding="utf-8")
    return load_file(workspace, path, dataset="Same day", currency="EUR")


def test_ladder_and_churn_say_how_they_count_one_time_buyers(app_test, same_day_orders):
    at = open_page(app_test, "views/ladder.py")
    one_time = card(at, "One-time buyer")
    assert one_time.value == "1"  # O1; S1 has two orders
    assert "Counted by orders" in one_time.proto.help
    assert "Churn risk page" in one_time.proto.help

    at.switch_page("views/churn.py").run()
    assert not at.exception, at.exception
    bought_once = card(at, "Bought once")
    assert bought_once.value == "2"  # O1 and S1: one purchase day each
    assert "one day only" in bought_once.proto.help
    assert "loyalty ladder counts orders" in bought_once.proto.help
    assert "same customers as the Customers card on Home" in card(
        at, "Customers modelled").proto.help
