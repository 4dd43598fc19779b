"""The Customer portraits page in AppTest: the sample shop, an empty workspace, too little data,
and planted clusters where the settings, the lookup and the downloads change what is shown."""

from __future__ import annotations

import pytest

from retention.ingest import load_file
from tests.test_portraits import planted_purchases

PAGE = "views/portraits.py"
SUBMIT = "Draw the portraits and remember for this dataset"


def open_page(at):
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    return at


def card_names(at) -> list[str]:
    return [md.value.removeprefix("#### ").replace("\\", "")
            for md in at.markdown if md.value.startswith("#### ")]


def submit(at):
    [button] = [b for b in at.button if b.label == SUBMIT]
    button.click().run()
    assert not at.exception, at.exception
    return at


@pytest.fixture
def planted(workspace, tmp_path, no_sample):
    """tests.test_portraits' three planted groups of 40 customers as "Planted"."""
    text, _ = planted_purchases()
    path = tmp_path / "planted.csv"
    path.write_text(text, encoding="utf-8")
    return load_file(workspace, path, dataset="Planted", currency="USD")


def test_the_page_renders_on_the_sample_shop(app_test, with_sample):
    at = open_page(app_test())

    assert at.title[0].value == "Customer portraits"
    names = card_names(at)
    assert 3 <= len(names) <= 10 and len(set(names)) == len(names)
    assert len(at.get("plotly_chart")) == 4  # profiles, map, sizes, ladder mix
    assert all(m.proto.help for m in at.metric), "every number carries a plain explanation"
    # the sample has every optional attribute: the cards name a typical person
    typical = [text.value for text in at.text if text.value.startswith("Typically:")]
    assert len(typical) == len(names) and "unknown" not in typical[0]
    assert "Not in this data" not in " ".join(c.value for c in at.caption)


def test_an_empty_workspace_says_what_to_do(app_test, workspace, no_sample):
    at = open_page(app_test())

    assert "There is no data yet" in at.info[0].value
    assert not at.metric
    assert [link.proto.page for link in at.page_link][-1] == "data"


def test_two_customers_give_a_message_not_a_crash(app_test, workspace, tmp_path, no_sample):
    path = tmp_path / "two.csv"
    path.write_text("customer,date,amount\na,2024-01-01,5\nb,2024-02-01,7\n", encoding="utf-8")
    load_file(workspace, path, dataset="Two")
    at = open_page(app_test())

    assert "at least 3 customers" in at.info[0].value
    assert not card_names(at)


def test_planted_groups_become_three_named_cards(app_test, planted):
    at = open_page(app_test())

    assert sorted(card_names(at)) == ["Active regulars", "Lapsed one-timers",
                                      "New big spenders"]
    assert any("3 portraits: the most clearly separated" in c.value for c in at.caption)
    # no attribute columns: said once, with the columns that would fix it
    assert any("Not in this data" in c.value and "birth_date or age" in c.value
               for c in at.caption)
    typical = [text.value for text in at.text if text.value.startswith("Typically:")]
    assert len(typical) == 3
    assert all("Gender unknown (no gender column)" in line for line in typical)
    assert any(md.value.startswith("**Prioritise:**") for md in at.markdown)


def test_choosing_the_number_of_portraits_changes_the_cards_and_is_remembered(
        app_test, workspace, planted):
    at = open_page(app_test())
    key = f"portraits_k_{planted.dataset_id}"

    at.selectbox(key=key).set_value(5)
    submit(at)

    assert len(card_names(at)) == 5
    assert any("5 portraits, as set in the settings" in c.value for c in at.caption)
    assert workspace.settings(planted.dataset_id, "portraits")["k"] == 5
    again = open_page(app_test())
    assert again.selectbox(key=key).value == 5
    assert len(card_names(again)) == 5


def test_picking_features_changes_what_the_portraits_are_drawn_from(app_test, planted):
    at = open_page(app_test())
    key = f"portraits_features_{planted.dataset_id}"

    at.multiselect(key=key).set_value(["recency_days", "avg_check"])
    submit(at)

    assert any("compared on days since last order, average check." in c.value
               for c in at.caption)


def test_why_is_this_customer_here(app_test, planted):
    at = open_page(app_test())
    key = f"portraits_lookup_{planted.dataset_id}"

    at.text_input(key=key).input("S000").run()

    assert "Customer **S000** is in **Lapsed one\\-timers**." in [md.value for md in at.markdown]
    table = at.dataframe[-1].value
    assert list(table.columns) == ["feature", "customer", "portrait", "base", "used"]
    assert table.set_index("feature").loc["Orders", "customer"] == "1"

    at.text_input(key=key).input("nobody").run()
    assert "No customer nobody has an order" in at.warning[0].value


def test_downloads_offer_the_portraits_and_every_customer(app_test, planted):
    at = open_page(app_test())

    ids = [b.proto.id for b in at.get("download_button")]
    # portraits and customers, each as CSV and Excel
    for key in ("portraits_summary_download", "portraits_assignments_download"):
        assert sum(i.endswith(f"{key}_csv") or i.endswith(f"{key}_xlsx") for i in ids) == 2
    assert any("120 rows" in md.value for md in at.markdown)


def test_beyond_excel_s_row_limit_the_customers_come_as_csv_only(app_test, planted,
                                                                 monkeypatch):
    from retention.ui import portraits_page

    monkeypatch.setattr(portraits_page, "EXCEL_MAX_ROWS", 100)
    at = open_page(app_test())

    ids = [b.proto.id for b in at.get("download_button")]
    assert sum("portraits_assignments_download" in i for i in ids) == 1
    assert any(i.endswith("portraits_assignments_download_csv") for i in ids)
    assert any("Excel holds at most 100 rows" in c.value for c in at.caption)
