"""Every bad input of the foundation issue: the message a user sees, and proof nothing was lost.

Each test first loads a good dataset, then feeds the bad file, and compares a snapshot of every
table before and after.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from retention.ingest import IngestError, load_file
from retention.store import close_workspace, open_workspace
from tests.ingest_helpers import fresh_workspace, snapshot, transactions, write

ROOT = Path(__file__).resolve().parents[1]
GOOD = "customer,date,amount\nc1,2024-01-01,10\nc2,2024-01-02,20\n"


@pytest.fixture
def ws(tmp_path):
    ws = fresh_workspace(tmp_path)
    load_file(ws, write(tmp_path, "good.csv", GOOD), dataset="existing")
    return ws


def assert_refused(ws, path, *fragments, **kwargs):
    """The load raises IngestError whose message holds every fragment; nothing changed."""
    before = snapshot(ws)
    with pytest.raises(IngestError) as error:
        load_file(ws, path, **kwargs)
    for fragment in fragments:
        assert fragment in str(error.value)
    assert snapshot(ws) == before
    return str(error.value)


def test_empty_file(ws, tmp_path):
    assert_refused(ws, write(tmp_path, "empty.csv", b""), "empty.csv is empty (0 bytes)")


def test_blank_lines_only(ws, tmp_path):
    assert_refused(ws, write(tmp_path, "blank.csv", "\n\n  \n"), "no lines of data")


def test_header_only(ws, tmp_path):
    assert_refused(ws, write(tmp_path, "head.csv", "customer,date,amount\n"),
                   "header row but no data rows")


def test_binary_bytes_named_csv(ws, tmp_path):
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
    assert_refused(ws, write(tmp_path, "photo.csv", png), "not text", "binary data")


def test_no_column_could_be_customer_date_or_amount(ws, tmp_path):
    message = assert_refused(
        ws, write(tmp_path, "odd.csv", "foo,bar,baz\nx,y,z\nq,w,e\n"),
        "No column could be used as Customer id, Purchase date, Amount",
        "'foo', 'bar', 'baz'", "--map ROLE=HEADER",
    )
    assert "quantity × unit price" in message


def test_mapping_to_a_header_that_does_not_exist(ws, tmp_path):
    assert_refused(ws, write(tmp_path, "m.csv", GOOD + "c3,2024-01-03,1\n"), "no such column",
                   "'client'",
                   dataset="other", mapping={"customer_id": "client"})


def test_dates_unparseable_in_most_rows(ws, tmp_path):
    text = ("customer,date,amount\nc1,soon,1\nc2,later,2\nc3,2024-01-01,3\nc4,tomorrow,4\n")
    assert_refused(ws, write(tmp_path, "d.csv", text), "'date'", "3 of 4 rows",
                   "line 2: 'soon'", "Nothing was loaded")


def test_amounts_not_numbers_in_most_rows(ws, tmp_path):
    text = "customer,date,amount\nc1,2024-01-01,n/a\nc2,2024-01-02,free\nc3,2024-01-03,1\n"
    assert_refused(ws, write(tmp_path, "a.csv", text), "'amount'", "2 of 3 rows",
                   "line 2: 'n/a'")


def test_every_row_rejected_is_refused_whole(ws, tmp_path):
    text = "customer,date,amount\n,2024-01-01,1\n,2024-01-02,2\n"
    assert_refused(ws, write(tmp_path, "r.csv", text), "Every row of the file was rejected",
                   "no customer id")


def test_non_numeric_amounts_in_some_rows_are_rejected_with_line_column_value(ws, tmp_path):
    text = ("customer,date,amount\nc1,2024-01-01,10\nc2,2024-01-02,ten\nc3,2024-01-03,5\n"
            "c4,2024-01-04,7\n")
    report = load_file(ws, write(tmp_path, "some.csv", text), dataset="some")
    assert (report.rows_loaded, report.rows_rejected) == (3, 1)
    assert report.rejects.values.tolist() == [
        ["the amount is not a number", "amount", 1, 3, "ten"]]
    assert ws.rejects(report.dataset_id).values.tolist() == [
        [3, "amount", "ten", "the amount is not a number"]]


def test_rows_without_customer_id_are_reported_and_the_rest_loaded(ws, tmp_path):
    # an online-retail export can miss the customer on a quarter of its lines
    lines = [f"{'' if i % 4 == 0 else 'c' + str(i)},2024-01-{i % 28 + 1:02d},{i}" for i in
             range(1, 13)]
    report = load_file(ws, write(tmp_path, "anon.csv", "customer,date,amount\n"
                                 + "\n".join(lines) + "\n"), dataset="anon")
    assert (report.rows_loaded, report.rows_rejected) == (9, 3)
    rejects = ws.rejects(report.dataset_id)
    assert rejects["line"].tolist() == [5, 9, 13]
    assert set(rejects["reason"]) == {"no customer id"}


def test_dates_in_the_future_load_with_a_warning(ws, tmp_path):
    # a row later today is in today's numbers (the default as-of is today at most), not future
    text = ("customer,date,amount\nc1,2024-01-01,1\nc2,2031-05-01,2\n"
            "c3,2026-11-24 23:30,3\nc4,2026-11-25 00:00,4\n")
    report = load_file(ws, write(tmp_path, "f.csv", text), dataset="future",
                       now=datetime(2026, 11, 24, 10, 0))
    assert report.rows_loaded == 4
    assert report.warnings == [
        "2 rows are dated after today (2026-11-24), e.g. lines 3, 5. They are loaded, and left "
        "out of every number until their date comes, unless you move the as-of date past them."]


def test_negative_amounts_and_cancellation_invoices_are_returns_not_orders(ws, tmp_path):
    text = ("order,customer,date,amount\n"
            "1001,c1,2024-01-01,50\n"
            "1001,c1,2024-01-01,25\n"
            "C1001,c1,2024-01-05,25\n"     # cancellation id with a positive amount
            "1002,c2,2024-01-02,-10\n"     # a plain negative line
            "1003,c3,2024-01-03,40\n")
    report = load_file(ws, write(tmp_path, "ret.csv", text), dataset="returns")
    assert (report.rows_loaded, report.orders, report.returns, report.customers) == (5, 2, 2, 3)
    rows = transactions(ws, report.dataset_id)
    assert [(r[3], r[4]) for r in rows] == [(50.0, False), (25.0, False), (-25.0, True),
                                            (-10.0, True), (40.0, False)]
    net = ws.cursor().execute(
        "select sum(amount)::double from transactions where dataset_id = ?", [report.dataset_id]
    ).fetchone()[0]
    assert net == 80.0


def test_duplicate_rows_are_kept_and_named(ws, tmp_path):
    text = "customer,date,amount\nc1,2024-01-01,5\nc1,2024-01-01,5\nc2,2024-01-02,1\n"
    report = load_file(ws, write(tmp_path, "dup.csv", text), dataset="dups")
    assert report.rows_loaded == 3
    assert report.warnings[0].startswith("1 rows repeat an earlier row exactly (line 3 = line 2)")


def test_lines_wider_than_the_header_are_rejected(ws, tmp_path):
    text = "customer,date,amount\nc1,2024-01-01,1,234.50\nc2,2024-01-02,3\n"
    report = load_file(ws, write(tmp_path, "wide.csv", text), dataset="wide")
    assert report.rows_rejected == 1
    assert ws.rejects(report.dataset_id).values.tolist() == [
        [2, None, "234.50",
         "the line has more fields than the header; check the delimiter or quoting"]]


def test_header_with_quotes_semicolons_and_sql_words(ws, tmp_path):
    header = '"cust""omer; DROP TABLE transactions;--","date"" or 1=1","select * from amount"'
    text = header + "\nc1,2024-01-01,5\nc2,2024-01-02,x\n"
    before = snapshot(ws)
    report = load_file(
        ws, write(tmp_path, "evil.csv", text), dataset="evil'); drop table datasets;--",
        mapping={"customer_id": 'cust"omer; DROP TABLE transactions;--',
                 "date": 'date" or 1=1', "amount": "select * from amount"},
    )
    assert (report.rows_loaded, report.rows_rejected) == (1, 1)
    assert ws.rejects(report.dataset_id)["column"].tolist() == ["select * from amount"]
    after = snapshot(ws)
    assert after["transactions"][: len(before["transactions"])] == before["transactions"]
    assert [d.name for d in ws.datasets()] == ["existing", "evil'); drop table datasets;--"]
    assert json.loads(
        ws.cursor().execute("select mapping from datasets where dataset_id = ?",
                            [report.dataset_id]).fetchone()[0]
    )["customer_id"] == 'cust"omer; DROP TABLE transactions;--'


def test_a_new_load_cannot_overwrite_an_existing_dataset_by_name(ws, tmp_path):
    other = write(tmp_path, "other.csv", "customer,date,amount\nc9,2024-02-01,1\n")
    assert_refused(ws, other, "already exists", "'replace'", "'append'", dataset="existing")


def test_the_same_file_twice_is_recognised_not_loaded_again(ws, tmp_path):
    before = snapshot(ws)
    report = load_file(ws, tmp_path / "good.csv", dataset="existing")
    assert report.already_loaded and report.rows_loaded == 0
    assert "already loaded as dataset 'existing'" in report.warnings[0]
    again = load_file(ws, tmp_path / "good.csv")  # under another name, still recognised
    assert again.already_loaded and again.dataset == "existing"
    assert snapshot(ws) == before


def test_append_skips_orders_already_present(ws, tmp_path):
    first = "order,customer,date,amount\n1,c1,2024-01-01,10\n2,c2,2024-01-02,20\n"
    second = "order,customer,date,amount\n2,c2,2024-01-02,20\n3,c3,2024-01-03,30\n"
    load_file(ws, write(tmp_path, "jan.csv", first), dataset="shop")
    report = load_file(ws, write(tmp_path, "feb.csv", second), dataset="shop", mode="append")
    assert (report.rows_loaded, report.rows_skipped_duplicate, report.version) == (1, 1, 2)
    assert (report.customers, report.orders) == (1, 1)  # of the rows this load added
    assert [r[1] for r in transactions(ws, report.dataset_id)] == ["c1", "c2", "c3"]


def test_append_without_order_ids_skips_identical_rows(ws, tmp_path):
    report = load_file(ws, write(tmp_path, "more.csv", GOOD + "c3,2024-01-03,30\n"),
                       dataset="existing", mode="append")
    assert (report.rows_loaded, report.rows_skipped_duplicate) == (1, 2)
    assert [r[1] for r in transactions(ws, report.dataset_id)] == ["c1", "c2", "c3"]


def test_replace_swaps_rows_and_bumps_the_version(ws, tmp_path):
    report = load_file(ws, write(tmp_path, "new.csv", "customer,date,amount\nz,2024-05-01,1\n"),
                       dataset="existing", mode="replace")
    assert report.version == 2
    assert [r[1] for r in transactions(ws, report.dataset_id)] == ["z"]


def test_zip_with_two_files_is_refused(ws, tmp_path):
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("a.csv", GOOD)
        zf.writestr("b.csv", GOOD)
    assert_refused(ws, write(tmp_path, "two.zip", buffer.getvalue()),
                   "must hold exactly one CSV", "a.csv, b.csv")


def test_killing_the_loader_midway_leaves_the_workspace_as_before(tmp_path):
    db = tmp_path / "kill.duckdb"
    good = write(tmp_path, "good.csv", GOOD)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    subprocess.run([sys.executable, "-m", "retention", "ingest", str(good), "--db", str(db)],
                   check=True, capture_output=True, env=env, cwd=ROOT)
    ws = open_workspace(db, read_only=True)
    before = snapshot(ws)
    close_workspace(db)
    rows = "".join(f"k{i},2024-01-{i % 28 + 1:02d},{i}\n" for i in range(20000))
    big = write(tmp_path, "big.csv", "customer,date,amount\n" + rows)
    loader = subprocess.Popen(
        [sys.executable, "-m", "retention", "ingest", str(big), "--db", str(db),
         "--dataset", "existing", "--append"],
        stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        env={**env, "RETENTION_FAULT_PAUSE_SECONDS": "60"}, cwd=ROOT,
    )
    assert loader.stderr is not None
    seen = [line for line in _lines_until(loader.stderr, "transaction open")]
    assert "transaction open" in seen[-1], seen
    loader.kill()  # SIGKILL: no cleanup, no rollback from the process itself
    assert loader.wait(timeout=30) == -9
    ws = open_workspace(db, read_only=True)
    try:
        assert snapshot(ws) == before
    finally:
        close_workspace(db)


def _lines_until(stream, marker: str):
    for line in stream:
        yield line
        if marker in line:
            return
