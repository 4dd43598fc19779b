"""Tables and money cards on screen (issue 10, points 12, 18 and 20): one helper draws every
table, formula-neutralised, with separators, units and blank missing values; one helper draws
every money card, compact when big, with the exact amount in its tooltip."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from retention.export import Column, TableSpec
from retention.formatting import format_money
from retention.ui.text import md_escape
from retention.ui.widgets import column_config, number_format

PROJECT_ROOT = Path(__file__).resolve().parents[1]
NBSP = "\xa0"


def spec(locale: str = "en", currency: str | None = "RUB") -> TableSpec:
    return TableSpec((
        Column("customer_id", "Customer", help="The id in your data."),
        Column("orders", "Orders", "count"),
        Column("net_revenue", "Net revenue", "money"),
        Column("p_alive", "P(alive)", "share", bar=True),
        Column("crr", "CRR", "percent"),
        Column("first_order", "First order", "date"),
        Column("capped", "Capped", "flag"),
    ), currency=currency, locale=locale)


# -- the column settings ------------------------------------------------------------------------


def test_money_columns_have_separators_cents_and_the_currency_in_the_title():
    config = column_config(spec())
    assert config["net_revenue"]["label"] == "Net revenue (₽)"
    assert config["net_revenue"]["type_config"]["type"] == "number"
    assert config["net_revenue"]["type_config"]["format"] == "%,.2f"
    assert config["orders"]["type_config"]["format"] == "%,d"
    yen = column_config(spec(currency="JPY"))["net_revenue"]
    assert (yen["label"], yen["type_config"]["format"]) == ("Net revenue (¥)", "%,d")


def test_russian_tables_group_with_a_no_break_space():
    config = column_config(spec("ru"))
    assert config["net_revenue"]["type_config"]["format"] == f"%'{NBSP},.2f"
    assert number_format(0, "ru") == f"%'{NBSP},d"


def test_percent_share_date_flag_and_text_columns():
    config = column_config(spec())
    assert config["crr"]["label"] == "CRR (%)"
    assert config["crr"]["type_config"]["format"] == "%,.1f"
    bar = config["p_alive"]["type_config"]
    assert (bar["type"], bar["format"], bar["min_value"], bar["max_value"]) == (
        "progress", "%,.1f", 0, 100)
    assert config["first_order"]["type_config"]["format"] == "YYYY-MM-DD"
    assert config["capped"]["type_config"]["type"] == "checkbox"
    assert config["customer_id"]["type_config"]["type"] == "text"
    assert config["customer_id"]["help"] == "The id in your data."


# -- show_table in a running app ----------------------------------------------------------------


def _table_script(with_spec: bool) -> None:
    import pandas as pd

    from retention.export import Column, TableSpec
    from retention.ui.widgets import show_table

    frame = pd.DataFrame({
        "customer_id": ['=HYPERLINK("http://x","y")', "C2"],
        "orders": [8.0, None],
        "net_revenue": [10393355.6, None],
        "=cmd": ["+7 999", "ok"],
    })
    if with_spec:
        show_table(frame, TableSpec((Column("customer_id", "Customer"),
                                     Column("orders", "Orders", "count"),
                                     Column("net_revenue", "Net revenue", "money")),
                                    currency="RUB"))
    else:
        show_table(frame)


def run_table(with_spec: bool) -> AppTest:
    at = AppTest.from_function(_table_script, args=(with_spec,)).run()
    assert not at.exception, at.exception
    return at


def test_show_table_neutralises_formulas_and_leaves_missing_values_blank():
    at = run_table(with_spec=True)
    [table] = at.dataframe
    assert table.value["customer_id"].tolist() == ['\'=HYPERLINK("http://x","y")', "C2"]
    assert list(table.value.columns) == ["customer_id", "orders", "net_revenue"]
    assert table.value["orders"].iloc[0] == 8
    assert table.value["orders"].isna().iloc[1]
    # a missing value is drawn as an empty cell, not "None"
    assert table.proto.HasField("placeholder") and table.proto.placeholder == ""
    columns = json.loads(table.proto.columns)
    assert columns["net_revenue"]["label"] == "Net revenue (₽)"
    assert columns["net_revenue"]["type_config"]["format"] == "%,.2f"


def test_show_table_without_a_spec_neutralises_cells_and_headers():
    [table] = run_table(with_spec=False).dataframe
    assert list(table.value.columns) == ["customer_id", "orders", "net_revenue", "'=cmd"]
    assert table.value["'=cmd"].tolist() == ["'+7 999", "ok"]
    assert table.value["customer_id"].iloc[0].startswith("'=")
    assert table.proto.placeholder == ""


# -- every table goes through show_table --------------------------------------------------------

_DIRECT_TABLE = re.compile(r"\.(dataframe|table|data_editor)\(|\bst\.write\(")


def _ui_modules() -> list[Path]:
    return sorted([*(PROJECT_ROOT / "retention" / "ui").glob("*.py"),
                   *(PROJECT_ROOT / "views").glob("*.py"), PROJECT_ROOT / "app.py"])


def test_no_page_draws_a_table_outside_show_table():
    offenders = []
    for path in _ui_modules():
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if _DIRECT_TABLE.search(line.split("#")[0]):
                offenders.append(f"{path.relative_to(PROJECT_ROOT)}:{number}: {line.strip()}")
    widgets = "retention/ui/widgets.py"
    # the helper's own call, and nothing else
    assert [o for o in offenders if not o.startswith(widgets)] == []
    assert len([o for o in offenders if o.startswith(widgets)]) == 1


def test_the_grep_sees_a_direct_call():
    assert _DIRECT_TABLE.search("    st.dataframe(table, hide_index=True)")
    assert _DIRECT_TABLE.search("column.data_editor(frame)")
    assert not _DIRECT_TABLE.search("table = pd.DataFrame(rows)")
    assert not _DIRECT_TABLE.search("grid = ladder.migration_table(matrix)")


# -- money cards --------------------------------------------------------------------------------


def _money_script(amount: float | None, currency: str) -> None:
    import streamlit as st

    from retention.ui.widgets import money_metric

    money_metric(st, "Net revenue", amount, currency, help="Paid, minus returns.")


def money_card(amount: float | None, currency: str = "UZS"):
    at = AppTest.from_function(_money_script, args=(amount, currency)).run()
    assert not at.exception, at.exception
    [card] = at.metric
    return card


def test_a_big_amount_is_compact_with_the_exact_value_in_the_tooltip():
    card = money_card(43_424_672.5)
    assert card.value == f"so'm{NBSP}43.4M"
    exact = format_money(43_424_672.5, "UZS")
    assert exact == f"so'm{NBSP}43,424,672.50"
    assert card.proto.help == f"Paid, minus returns.\n\nExactly: {md_escape(exact)}"


@pytest.mark.parametrize("amount", [1234.5, 99_999.99])
def test_a_small_amount_stays_exact(amount):
    card = money_card(amount, "USD")
    assert card.value == format_money(amount, "USD")
    assert card.proto.help == "Paid, minus returns."


def test_an_unknown_amount_says_so():
    assert money_card(None).value == "Unknown"


def _calls(name: str) -> list[tuple[str, ast.Call]]:
    found = []
    for path in _ui_modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id == name):
                found.append((f"{path.relative_to(PROJECT_ROOT)}:{node.lineno}", node))
    return found


def _is_file_preview(call: ast.Call) -> bool:
    """The Data page's preview of an uploaded file: its columns are the file's own."""
    return "inspection.preview" in ast.unparse(call.args[0])


def test_every_page_table_and_download_has_a_table_description():
    shown = _calls("show_table")
    downloads = _calls("download_buttons")
    assert len(shown) >= 20 and len(downloads) >= 20
    undescribed = [where for where, call in shown
                   if len(call.args) < 2 and not _is_file_preview(call)]
    undescribed += [where for where, call in downloads
                    if not any(k.arg == "spec" for k in call.keywords)
                    and not _is_file_preview(call)]
    assert undescribed == []
