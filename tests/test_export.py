"""Exports neutralise spreadsheet formulas in text cells and leave numbers and dates alone."""

import io

import numpy as np
import openpyxl
import pandas as pd

from retention.export import neutralise_formulas, to_csv_bytes, to_xlsx_bytes


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
