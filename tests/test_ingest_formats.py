"""Every file format, encoding, delimiter, number and date style the Data page promises,
each on a tiny literal file with exact expected values."""

from __future__ import annotations

import io
import zipfile
from datetime import datetime
from pathlib import Path

import duckdb
import openpyxl
import pytest

from retention.ingest import ReadOptions, inspect_file, load_file
from tests.ingest_helpers import fresh_workspace, transactions, write

DATA = Path(__file__).parent / "data"


@pytest.fixture
def ws(tmp_path):
    return fresh_workspace(tmp_path)


def test_cdnow_loads_with_the_published_counts_and_no_rejects(ws):
    report = load_file(
        ws, DATA / "CDNOW_sample.txt", dataset="cdnow",
        mapping={"customer_id": "column2", "date": "column3", "amount": "column5"},
    )
    assert (report.rows_loaded, report.customers, report.rows_rejected) == (6919, 2357, 0)
    assert report.date_format == "ymd_compact"
    first = transactions(ws, report.dataset_id)[0]
    assert first == (1, "0001", datetime(1997, 1, 1), 29.33, False, "0001|1997-01-01 00:00:00")


def test_cdnow_is_detected_as_space_aligned_without_header():
    inspection = inspect_file(DATA / "CDNOW_sample.txt")
    assert inspection.options.delimiter == "whitespace"
    assert inspection.options.header is False
    assert inspection.headers == ["column1", "column2", "column3", "column4", "column5"]
    assert inspection.preview.iloc[0].tolist() == [1, "00004", "0001", "19970101", "2", "29.33"]


def test_windows_1251_semicolon_decimal_comma_russian_export_needs_no_mapping(ws, tmp_path):
    text = (
        "Код клиента;Дата покупки;Сумма, руб.;Номер чека\r\n"
        "00017;05.03.2024 14:30;1\u00a0234,50;A-1\r\n"
        "00017;05.03.2024 14:30;10,00;A-1\r\n"
        "00018;31.12.2024 09:05;-99,90;A-2\r\n"
        "00019;01.02.2025 00:00;2 000,00;A-3\r\n"
    )
    path = write(tmp_path, "выгрузка.csv", text, encoding="cp1251")
    inspection = inspect_file(path)
    assert inspection.options.encoding == "cp1251"
    assert (inspection.options.delimiter, inspection.options.decimal) == (";", ",")
    assert inspection.mapping == {"customer_id": "Код клиента", "date": "Дата покупки",
                                  "amount": "Сумма, руб.", "order_id": "Номер чека"}
    assert inspection.currency == "RUB"
    report = load_file(ws, path)
    assert (report.rows_loaded, report.rows_rejected, report.customers) == (4, 0, 3)
    assert report.orders == 2  # the negative line is a return
    assert report.returns == 1
    assert report.currency == "RUB"
    assert report.date_format == "dmy_dot"
    rows = transactions(ws, report.dataset_id)
    assert [r[3] for r in rows] == [1234.5, 10.0, -99.9, 2000.0]
    assert rows[0][2] == datetime(2024, 3, 5, 14, 30)
    assert rows[0][1] == "00017"


@pytest.mark.parametrize(
    ("delimiter", "expected"),
    [(",", ","), (";", ";"), ("\t", "\t"), ("|", "|")],
)
def test_each_delimiter_is_detected(tmp_path, ws, delimiter, expected):
    rows = [["customer", "date", "amount"], ["c1", "2024-01-01", "10.5"],
            ["c2", "2024-01-02", "20"], ["c1", "2024-02-01", "5.25"]]
    path = write(tmp_path, "d.txt", "\n".join(delimiter.join(r) for r in rows) + "\n")
    assert inspect_file(path).options.delimiter == expected
    report = load_file(ws, path)
    assert (report.rows_loaded, report.customers, report.orders) == (3, 2, 3)
    assert [r[3] for r in transactions(ws, report.dataset_id)] == [10.5, 20.0, 5.25]


def test_space_aligned_columns_with_a_header(tmp_path, ws):
    text = (
        "customer   date          amount\n"
        "  001      2024-01-05     12.00\n"
        "  002      2024-01-06      7.50\n"
        "  001      2024-03-01    100.00\n"
    )
    path = write(tmp_path, "aligned.txt", text)
    inspection = inspect_file(path)
    assert (inspection.options.delimiter, inspection.options.header) == ("whitespace", True)
    report = load_file(ws, path)
    assert [(r[0], r[1], r[3]) for r in transactions(ws, report.dataset_id)] == [
        (2, "001", 12.0), (3, "002", 7.5), (4, "001", 100.0)]


@pytest.mark.parametrize(
    ("encoding", "bom"),
    [("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"), ("utf-16-le", b"\xff\xfe"), ("cp1251", b"")],
)
def test_encodings_are_detected_and_read(tmp_path, ws, encoding, bom):
    text = "клиент\tдата\tсумма\nИванов\t2024-01-05\t100\nПетров\t2024-01-06\t50\n"
    path = write(tmp_path, "enc.txt", bom + text.encode(encoding))
    report = load_file(ws, path)
    assert report.rows_loaded == 2
    assert [r[1] for r in transactions(ws, report.dataset_id)] == ["Иванов", "Петров"]


def test_headerless_file_gets_column1_names_counted_from_one(tmp_path, ws):
    path = write(tmp_path, "nohead.csv", "7,2024-01-01,3.5\n8,2024-01-02,4\n")
    inspection = inspect_file(path)
    assert inspection.options.header is False
    assert inspection.headers == ["column1", "column2", "column3"]
    report = load_file(ws, path, mapping={"customer_id": "column1", "date": "column2",
                                          "amount": "column3"})
    assert [r[1] for r in transactions(ws, report.dataset_id)] == ["7", "8"]


@pytest.mark.parametrize(
    ("written", "decimal", "expected"),
    [
        ('"1,234.50"', ".", 1234.5),
        ("1 234,50", ",", 1234.5),
        ("1\u00a0234,50", ",", 1234.5),
        ("1\u202f234,50", ",", 1234.5),
        ("1.234,50", ",", 1234.5),
        ("1'234.50", ".", 1234.5),
        ('"$1,234.50"', ".", 1234.5),
        ("(12.00)", ".", -12.0),
        ("12.00-", ".", -12.0),
        ("0,5", ",", 0.5),
    ],
)
def test_number_styles(tmp_path, ws, written, decimal, expected):
    sep = ";" if decimal == "," else ","
    text = f"customer{sep}date{sep}amount\nc1{sep}2024-01-01{sep}{written}\n"
    path = write(tmp_path, "n.csv", text)
    options = ReadOptions(delimiter=sep, decimal=decimal)
    report = load_file(ws, path, options=options)
    assert report.rows_rejected == 0
    assert transactions(ws, report.dataset_id)[0][3] == expected


def test_decimal_comma_is_detected_from_the_values(tmp_path):
    text = "customer;date;amount\nc1;2024-01-01;12,50\nc2;2024-01-02;3,10\n"
    path = write(tmp_path, "n.csv", text)
    assert inspect_file(path).options.decimal == ","


@pytest.mark.parametrize(
    ("values", "key", "expected_first"),
    [
        (["2024-03-05", "2024-03-06"], "iso", datetime(2024, 3, 5)),
        (["2024-03-05 14:30:15", "2024-03-06T08:00:00"], "iso", datetime(2024, 3, 5, 14, 30, 15)),
        (["05.03.2024", "06.03.2024"], "dmy_dot", datetime(2024, 3, 5)),
        (["05.03.2024 14:30", "06.03.2024 9:05"], "dmy_dot", datetime(2024, 3, 5, 14, 30)),
        (["05/03/2024", "25/03/2024"], "dmy_slash", datetime(2024, 3, 5)),
        (["03/05/2024", "03/25/2024"], "mdy_slash", datetime(2024, 3, 5)),
        (["12/1/2010 8:26", "12/13/2010 9:00"], "mdy_slash", datetime(2010, 12, 1, 8, 26)),
        (["20240305", "20240306"], "ymd_compact", datetime(2024, 3, 5)),
        (["45356", "45357.5"], "excel_serial", datetime(2024, 3, 5)),
        (["2024/03/05", "2024/03/06"], "ymd_slash", datetime(2024, 3, 5)),
        (["05-03-2024", "06-03-2024"], "dmy_dash", datetime(2024, 3, 5)),
    ],
)
def test_date_styles_are_detected_from_the_data(tmp_path, ws, values, key, expected_first):
    text = "customer,date,amount\n" + "".join(f"c{i},{v},1\n" for i, v in enumerate(values))
    path = write(tmp_path, "dates.csv", text)
    report = load_file(ws, path)
    assert report.date_format == key
    assert report.rows_rejected == 0
    assert transactions(ws, report.dataset_id)[0][2] == expected_first


def test_day_month_order_is_decided_from_the_whole_column_not_the_preview(tmp_path, ws):
    # the first 3000 rows are ambiguous (day <= 12); only the last row settles it: m/d/y
    body = "".join(f"c{i},12/1/2010,1\n" for i in range(3000)) + "c9,12/13/2010,1\n"
    path = write(tmp_path, "us.csv", "customer,date,amount\n" + body)
    report = load_file(ws, path)
    assert report.date_format == "mdy_slash"
    assert transactions(ws, report.dataset_id)[-1][2] == datetime(2010, 12, 13)


def test_ambiguous_day_month_defaults_to_day_first_with_a_warning(tmp_path, ws):
    path = write(tmp_path, "amb.csv", "customer,date,amount\nc1,01/02/2024,1\nc2,03/04/2024,2\n")
    report = load_file(ws, path)
    assert report.date_format == "dmy_slash"
    assert any("day/month or month/day" in w for w in report.warnings)
    assert transactions(ws, report.dataset_id)[0][2] == datetime(2024, 2, 1)


def test_amount_from_quantity_times_unit_price(tmp_path, ws):
    text = ("InvoiceNo,StockCode,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"
            "536365,85123A,6,12/1/2010 8:26,2.55,17850,United Kingdom\n"
            "536365,71053,6,12/1/2010 8:26,3.39,17850,United Kingdom\n"
            "C536379,D,-1,12/13/2010 9:41,27.50,14527,United Kingdom\n")
    path = write(tmp_path, "online_retail.csv", text)
    inspection = inspect_file(path)
    assert inspection.mapping == {
        "customer_id": "CustomerID", "date": "InvoiceDate", "order_id": "InvoiceNo",
        "product": "StockCode", "quantity": "Quantity", "unit_price": "UnitPrice",
        "region": "Country"}
    report = load_file(ws, path)
    rows = transactions(ws, report.dataset_id)
    assert [r[3] for r in rows] == [15.3, 20.34, -27.5]
    assert [r[4] for r in rows] == [False, False, True]
    assert (report.orders, report.customers, report.returns) == (1, 2, 1)


def test_leading_zeros_and_float_like_ids(tmp_path, ws):
    text = "customer,date,amount\n007,2024-01-01,1\n17850.0,2024-01-01,1\n"
    path = write(tmp_path, "ids.csv", text)
    report = load_file(ws, path)
    assert [r[1] for r in transactions(ws, report.dataset_id)] == ["007", "17850"]


def _xlsx(tmp_path: Path) -> Path:
    wb = openpyxl.Workbook()
    notes = wb.active
    notes.title = "Notes"
    notes["A1"] = "Exported from the shop"
    sales = wb.create_sheet("Sales")
    sales.append(["Sales report 2024"])
    sales.append([])
    sales.append(["Customer", "Date", "Total"])
    sales.append(["0042", datetime(2024, 1, 5, 10, 30), 19.99])
    sales.append([42, datetime(2024, 1, 6), 5])
    sales.append(["0043", datetime(2024, 2, 1), "oops"])
    path = tmp_path / "book.xlsx"
    wb.save(path)
    return path


def test_xlsx_with_sheet_choice_title_lines_and_spreadsheet_row_numbers(tmp_path, ws):
    path = _xlsx(tmp_path)
    first = inspect_file(path)
    assert first.kind == "excel" and first.sheets == ["Notes", "Sales"]
    assert first.options.sheet == "Sales"  # the cover sheet is passed over
    inspection = inspect_file(path, options=ReadOptions(sheet="Sales"))
    assert inspection.options.skip_rows == 1
    assert inspection.headers == ["Customer", "Date", "Total"]
    report = load_file(ws, path, options=inspection.options)
    assert (report.rows_loaded, report.rows_rejected) == (2, 1)
    assert report.rejects.iloc[0][["column", "example_line", "example_value"]].tolist() == [
        "Total", 6, "oops"]
    rows = transactions(ws, report.dataset_id)
    assert [(r[0], r[1], r[2], r[3]) for r in rows] == [
        (4, "0042", datetime(2024, 1, 5, 10, 30), 19.99), (5, "42", datetime(2024, 1, 6), 5.0)]


def test_legacy_xls(ws):
    report = load_file(ws, DATA / "tiny.xls")
    assert (report.rows_loaded, report.customers) == (3, 2)
    assert [r[3] for r in transactions(ws, report.dataset_id)] == [10.0, 2.5, -1.0]


def test_parquet(tmp_path, ws):
    path = tmp_path / "p.parquet"
    duckdb.execute(
        "copy (select * from (values ('001', timestamp '2024-01-01 10:00', 12.5::decimal(10,2)),"
        " ('002', timestamp '2024-01-02 11:00', 3.0)) t(customer_id, order_date, revenue))"
        " to '" + str(path) + "' (format parquet)"
    )
    inspection = inspect_file(path)
    assert inspection.kind == "parquet"
    assert inspection.mapping == {"customer_id": "customer_id", "date": "order_date",
                                  "amount": "revenue"}
    report = load_file(ws, path)
    rows = transactions(ws, report.dataset_id)
    assert [(r[0], r[1], r[2], r[3]) for r in rows] == [
        (1, "001", datetime(2024, 1, 1, 10), 12.5), (2, "002", datetime(2024, 1, 2, 11), 3.0)]


def test_zip_holding_one_csv(tmp_path, ws):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("export/sales.csv", "customer,date,amount\nc1,2024-01-01,5\n")
    path = write(tmp_path, "sales.zip", buffer.getvalue())
    inspection = inspect_file(path)
    assert inspection.zip_member == "export/sales.csv"
    report = load_file(ws, path)
    assert report.rows_loaded == 1


def test_empty_lines_keep_true_line_numbers_in_rejects(tmp_path, ws):
    text = "customer,date,amount\n\nc1,2024-01-01,5\n\n\nc2,2024-01-02,x\nc3,2024-01-03,1\n"
    path = write(tmp_path, "gaps.csv", text)
    report = load_file(ws, path)
    assert [r[0] for r in transactions(ws, report.dataset_id)] == [3, 7]
    rejects = ws.rejects(report.dataset_id)
    assert rejects[["line", "column", "raw_value"]].values.tolist() == [[6, "amount", "x"]]


def test_customer_attributes_from_the_same_file(tmp_path, ws):
    text = ("customer,date,amount,gender,birth date,city,email opt in,nps,referred by\n"
            "c1,2024-01-01,5,F,1990-05-01,Tashkent,yes,9,\n"
            "c1,2024-02-01,5,F,1990-05-01,Samarkand,no,,c2\n"
            "c2,2024-01-05,7,,,,1,11,\n")
    path = write(tmp_path, "attrs.csv", text)
    report = load_file(ws, path)
    got = ws.cursor().execute(
        "select customer_id, gender, birth_date::varchar, city, email_opt_in, nps, referred_by"
        " from customers where dataset_id = ? order by customer_id", [report.dataset_id]
    ).fetchall()
    assert got == [("c1", "F", "1990-05-01", "Samarkand", False, 9, "c2"),
                   ("c2", None, None, None, True, None, None)]
    assert any("nps" in w.lower() and "11" in w for w in report.warnings)
