"""Exports neutralise spreadsheet formulas in text cells and leave numbers and dates alone."""

import datetime as dt
import io

import numpy as np
import openpyxl
import pandas as pd
import pytest

from retention.export import Column, TableSpec, neutralise_formulas, to_csv_bytes, to_xlsx_bytes


def customers() -> pd.DataFrame:
    """Six rows: four formula-looking names, a normal one, a Cyrillic one; -5 is a real number."""
    return pd.DataFrame(
        {
            "customer": ["=SUM(A1)", "+7", "-x", "@cmd", "Alice", "Иван"],
            "amount": [10, 20, 30, 40, -5, 60],
        }
    )


def test_formula_text_gets_an_apostrophe_and_the_rest_is_unchanged():
    result = neutralise_formulas(customers())
    assert result["customer"].tolist() == ["'=SUM(A1)", "'+7", "'-x", "'@cmd", "Alice", "Иван"]
    assert result["amount"].tolist() == [10, 20, 30, 40, -5, 60]
    assert result["amount"].dtype == np.int64


def test_neutralising_returns_a_copy():
    original = customers()
    neutralise_formulas(original)
    assert original["customer"].tolist() == ["=SUM(A1)", "+7", "-x", "@cmd", "Alice", "Иван"]


def test_tab_and_carriage_return_prefixes_are_neutralised():
    frame = pd.DataFrame({"note": ["\t=1+1", "\r=1+1", " =1+1"]})
    assert neutralise_formulas(frame)["note"].tolist() == ["'\t=1+1", "'\r=1+1", " =1+1"]


def test_only_text_inside_a_mixed_column_changes():
    when = pd.Timestamp("2024-03-01")
    frame = pd.DataFrame({"mixed": pd.Series([-5, "-5", when, None, 2.5], dtype=object)})
    assert neutralise_formulas(frame)["mixed"].tolist() == [-5, "'-5", when, None, 2.5]


def test_dates_and_missing_text_are_untouched():
    frame = pd.DataFrame(
        {
            "date": pd.to_datetime(["2024-01-02", "2024-01-03"]),
            "city": pd.Series(["=A1", None], dtype="str"),
        }
    )
    result = neutralise_formulas(frame)
    assert result["date"].tolist() == [pd.Timestamp("2024-01-02"), pd.Timestamp("2024-01-03")]
    assert result["city"].iloc[0] == "'=A1"
    assert pd.isna(result["city"].iloc[1])


def test_categorical_text_is_neutralised():
    frame = pd.DataFrame({"segment": pd.Categorical(["=bad", "ok", "=bad"])})
    assert neutralise_formulas(frame)["segment"].tolist() == ["'=bad", "ok", "'=bad"]


def test_formula_headers_are_neutralised():
    frame = pd.DataFrame({"=cmd|' /C calc'!A0": [1], "amount": [2]})
    assert neutralise_formulas(frame).columns.tolist() == ["'=cmd|' /C calc'!A0", "amount"]


def test_csv_is_utf8_with_bom_neutralised_and_keeps_negative_numbers():
    data = to_csv_bytes(customers())
    assert data.startswith(b"\xef\xbb\xbf")
    lines = data.decode("utf-8-sig").split("\r\n")
    assert lines == [
        "customer,amount",
        "'=SUM(A1),10",
        "'+7,20",
        "'-x,30",
        "'@cmd,40",
        "Alice,-5",
        "Иван,60",
        "",
    ]


def test_csv_separator_can_be_a_semicolon_for_russian_excel():
    assert to_csv_bytes(customers().head(1), sep=";").decode("utf-8-sig") == (
        "customer;amount\r\n'=SUM(A1);10\r\n"
    )


def test_xlsx_holds_neutralised_text_not_formulas():
    workbook = openpyxl.load_workbook(io.BytesIO(to_xlsx_bytes(customers())))
    sheet = workbook["data"]
    rows = [[(cell.value, cell.data_type) for cell in row] for row in sheet.iter_rows()]
    assert rows == [
        [("customer", "s"), ("amount", "s")],
        [("'=SUM(A1)", "s"), (10, "n")],
        [("'+7", "s"), (20, "n")],
        [("'-x", "s"), (30, "n")],
        [("'@cmd", "s"), (40, "n")],
        [("Alice", "s"), (-5, "n")],
        [("Иван", "s"), (60, "n")],
    ]


def test_xlsx_does_not_turn_text_into_formulas_or_links():
    # Even without the apostrophe a text cell must stay text: strings_to_formulas/urls are off.
    frame = pd.DataFrame({"site": ["https://example.com"], "amount": [1.5]})
    sheet = openpyxl.load_workbook(io.BytesIO(to_xlsx_bytes(frame)))["data"]
    assert sheet["A2"].value == "https://example.com"
    assert sheet["A2"].data_type == "s"
    assert sheet["A2"].hyperlink is None


def test_xlsx_sheet_name_is_made_valid_for_excel():
    workbook = openpyxl.load_workbook(io.BytesIO(to_xlsx_bytes(customers(), "VIP: [Q1/2024]?")))
    assert workbook.sheetnames == ["VIP_ _Q1_2024__"]


def test_xlsx_writes_timezone_aware_dates_as_local_wall_clock_time():
    tashkent = pd.to_datetime(["2024-01-02 10:30"]).tz_localize("Asia/Tashkent")
    frame = pd.DataFrame({"date": tashkent})
    sheet = openpyxl.load_workbook(io.BytesIO(to_xlsx_bytes(frame)))["data"]
    assert sheet["A2"].value == pd.Timestamp("2024-01-02 10:30").to_pydatetime()


# -- one table description for the screen and both files (issue 10, point 19) -----------------


def scores() -> pd.DataFrame:
    """Two customers as a page holds them: raw floats, a count as a float, a share of one,
    a missing row; ``internal`` is not part of the shown table."""
    return pd.DataFrame({
        "customer_id": ['=HYPERLINK("http://x","y")', "C2"],
        "orders": [8.0, None],
        "net_revenue": [80.95968000000002, None],
        "repeat_share": [0.43214, None],
        "crr": [112.25, None],
        "first_order": pd.to_datetime(["2024-03-05 10:30", None]),
        "cohort_month": pd.to_datetime(["2024-03-01", None]),
        "capped": [True, False],
        "internal": [1, 2],
    })


def scores_spec(currency: str | None = "RUB") -> TableSpec:
    return TableSpec((
        Column("customer_id", "Customer"),
        Column("orders", "Orders", "count"),
        Column("net_revenue", "Net revenue", "money"),
        Column("repeat_share", "Repeat share", "share"),
        Column("crr", "CRR", "percent"),
        Column("first_order", "First order", "date"),
        Column("cohort_month", "First order in", "month"),
        Column("capped", "Capped", "flag"),
    ), currency=currency)


HEADERS = ["Customer", "Orders", "Net revenue (₽)", "Repeat share (%)", "CRR (%)",
           "First order", "First order in", "Capped"]


def test_spec_headers_carry_currency_and_percent():
    assert scores_spec().headers() == HEADERS
    assert scores_spec(None).headers()[2] == "Net revenue"
    assert TableSpec((Column("s", "% of buyers", "share"),)).headers() == ["% of buyers"]


def test_shown_values_are_what_the_page_displays():
    shown = scores_spec().shown(scores())
    assert list(shown.columns) == ["customer_id", "orders", "net_revenue", "repeat_share", "crr",
                                   "first_order", "cohort_month", "capped"]
    assert str(shown["orders"].dtype) == "Int64"
    assert shown.iloc[0].tolist() == [
        '=HYPERLINK("http://x","y")', 8, 80.96, 43.2, 112.2, dt.date(2024, 3, 5),
        dt.date(2024, 3, 1), True]
    assert shown.iloc[1, 1:7].isna().all()


def test_csv_export_has_the_titles_whole_counts_cents_and_percentages():
    lines = to_csv_bytes(scores(), spec=scores_spec()).decode("utf-8-sig").split("\r\n")
    assert lines == [
        ",".join(HEADERS),
        '"\'=HYPERLINK(""http://x"",""y"")",8,80.96,43.2,112.2,2024-03-05,2024-03,Yes',
        "C2,,,,,,,No",
        "",
    ]


def test_csv_export_writes_money_to_the_cent_and_keeps_negative_numbers_numbers():
    frame = pd.DataFrame({"amount": [1800.0, -5.0, 0.1 + 0.2]})
    spec = TableSpec((Column("amount", "Amount", "money"),), currency="USD")
    assert to_csv_bytes(frame, spec=spec).decode("utf-8-sig").split("\r\n")[1:4] == [
        "1800.00", "-5.00", "0.30"]
    yen = TableSpec((Column("amount", "Amount", "money"),), currency="JPY")
    assert to_csv_bytes(frame, spec=yen).decode("utf-8-sig").split("\r\n")[1:3] == ["1800", "-5"]


def test_xlsx_export_has_the_titles_numbers_and_display_formats():
    sheet = openpyxl.load_workbook(io.BytesIO(to_xlsx_bytes(scores(), spec=scores_spec())))["data"]
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0] == HEADERS
    assert rows[1] == ['\'=HYPERLINK("http://x","y")', 8, 80.96, 43.2, 112.2,
                       dt.datetime(2024, 3, 5), "2024-03", "Yes"]
    assert rows[2] == ["C2", None, None, None, None, None, None, "No"]
    formats = [cell.number_format for cell in sheet[2]]
    assert formats[1:6] == ["#,##0", "#,##0.00", "0.0", "0.0", "yyyy-mm-dd"]


def test_spec_select_and_missing_columns_are_explicit():
    spec = scores_spec()
    assert [c.source for c in spec.select(["crr", "customer_id"]).columns] == ["crr",
                                                                             "customer_id"]
    with pytest.raises(KeyError, match="no column 'nope'"):
        spec.select(["nope"])
    with pytest.raises(KeyError, match="no column 'orders'"):
        spec.shown(scores().drop(columns="orders"))
    with pytest.raises(ValueError, match="more than once: orders"):
        TableSpec((Column("orders", "A", "count"), Column("orders", "B", "count")))
    with pytest.raises(ValueError, match="kind must be one of"):
        Column("x", "X", "money!")  # type: ignore[arg-type]
