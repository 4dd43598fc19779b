"""The customer file (DESIGN §8): one row per customer, loaded through the purchase loader's
detection and parsing, rejected row by row with line and reason, merged in one transaction
(a non-empty value replaces, an empty one keeps), the version bumped, the ladder fed."""

from __future__ import annotations

import datetime as dt
import json

import duckdb
import pytest

from retention.cli import main
from retention.ingest import IngestError, ReadOptions, load_file
from retention.ingest import customers as customer_loader
from retention.ingest.customers import customer_auto_map, ingest_customers
from retention.metrics.ladder import customer_steps
from retention.store import open_workspace
from retention.summary import dataset_summary
from tests.ingest_helpers import fresh_workspace, snapshot, write

# 3 customers with purchases (C1, C2, C3; conftest's TINY_PURCHASES, shortened)
PURCHASES = (
    "customer_id,date,amount,order_id\n"
    "C1,2025-01-05,100.00,O1\n"
    "C2,2025-01-20,80.00,O2\n"
    "C3,2025-03-01,40.00,O3\n"
)
NOW = dt.datetime(2025, 6, 30, 12, 0)
COLUMNS = ("customer_id, first_name, email, phone, birth_date, city, email_opt_in, sms_opt_in,"
           " nps, share_of_wallet, referred_by")


@pytest.fixture
def ws(tmp_path):
    workspace = fresh_workspace(tmp_path)
    load_file(workspace, write(tmp_path, "shop.csv", PURCHASES), dataset="Shop")
    return workspace


def stored(ws) -> list[tuple]:
    return ws.cursor().execute(
        f"select {COLUMNS} from customers where dataset_id = ? order by customer_id",
        [ws.dataset("Shop").dataset_id],
    ).fetchall()


def merge(ws, tmp_path, content: str, name: str = "crm.csv", **kwargs):
    return ingest_customers(ws, write(tmp_path, name, content), dataset="Shop", now=NOW,
                            **kwargs)


def test_a_merge_replaces_with_non_empty_values_and_keeps_the_rest(ws, tmp_path):
    merge(ws, tmp_path, (
        "customer_id,first_name,email,phone,birth_date,city,email_opt_in,nps\n"
        "C1,Anna,anna@example.org,+79001234567,1990-05-17,Moscow,yes,6\n"
        "C2,Boris,,,,Kazan,no,\n"
    ), name="first.csv")

    report = merge(ws, tmp_path, (
        "Client,Name,E-mail,Birthday,City,Email opt-in,SMS opt-in,NPS,Share of wallet,"
        "Referred by\n"
        "C1,,,,Tver,,1,9,80,\n"             # city and opt-in replaced, the rest kept
        "C2,Boris,boris@example.org,1985-12-31,,yes,,,0.5,C1\n"  # email set, city kept
        "C9,Vera,vera@example.org,,,да,нет,10,,C2\n"  # not in the purchases: kept
    ), mapping={"first_name": "Name"})

    assert stored(ws) == [
        ("C1", "Anna", "anna@example.org", "+79001234567", dt.date(1990, 5, 17), "Tver", True,
         True, 9, 0.8, None),
        ("C2", "Boris", "boris@example.org", None, dt.date(1985, 12, 31), "Kazan", True, None,
         None, 0.5, "C1"),
        ("C3", None, None, None, None, None, None, None, None, None, None),
        ("C9", "Vera", "vera@example.org", None, None, None, True, False, 10, None, "C2"),
    ]
    assert (report.rows_read, report.rows_merged, report.rows_rejected) == (3, 3, 0)
    assert (report.customers_new, report.customers_changed,
            report.customers_without_purchases) == (1, 2, 1)
    assert report.mapping == {
        "customer_id": "Client", "first_name": "Name", "email": "E-mail",
        "birth_date": "Birthday", "city": "City", "email_opt_in": "Email opt-in",
        "sms_opt_in": "SMS opt-in", "nps": "NPS", "share_of_wallet": "Share of wallet",
        "referred_by": "Referred by",
    }


def test_the_same_file_again_changes_no_customer_but_is_a_new_version(ws, tmp_path):
    content = "customer_id,email\nC1,anna@example.org\nC2,\n"
    first = merge(ws, tmp_path, content)
    again = merge(ws, tmp_path, content)

    assert (first.customers_changed, again.customers_changed) == (1, 0)
    assert (first.version, again.version) == (2, 3)
    assert stored(ws)[0][:3] == ("C1", None, "anna@example.org")


def test_bad_rows_are_rejected_whole_with_line_column_value_and_reason(ws, tmp_path):
    report = merge(ws, tmp_path, (
        "customer_id,email,birth_date,nps,share_of_wallet,email_opt_in,age\n"
        "C1,anna@example.org,1990-05-17,9,0.9,yes,35\n"  # line 2: good
        "C2,not-an-email,1985-01-01,7,,,\n"               # 3: bad email
        "C3,,1980-02-31,,,,\n"                            # 4: no such day
        "C1,other@example.org,,,,,\n"                     # 5: C1 again
        ",nobody@example.org,,,,,\n"                      # 6: no id
        "C4,,2025-07-01,,,,\n"                            # 7: born after today (NOW)
        "C5,,,11,,,\n"                                    # 8: NPS out of 0–10
        "C6,,,,150,,\n"                                   # 9: share above 100 %
        "C7,,,,,maybe,\n"                                 # 10: not yes/no
        "C8,,1899-12-31,,,,\n"                            # 11: before 1900
        "C9,,,,,,121\n"                                   # 12: not an age
        "C10,,2025-06-30,10,100,no,0\n"                   # 13: good, boundaries included
    ))

    assert report.rejects.to_dict("records") == [
        {"line": 3, "column": "email", "raw_value": "not-an-email",
         "reason": "not an email address"},
        {"line": 4, "column": "birth_date", "raw_value": "1980-02-31",
         "reason": "the date is not understood as YYYY-MM-DD (ISO)"},
        {"line": 5, "column": "customer_id", "raw_value": "C1",
         "reason": "the customer id is on an earlier line too; only its first line is used"},
        {"line": 6, "column": "customer_id", "raw_value": None, "reason": "no customer id"},
        {"line": 7, "column": "birth_date", "raw_value": "2025-07-01",
         "reason": "the date is out of range (1900 to 2025-06-30)"},
        {"line": 8, "column": "nps", "raw_value": "11",
         "reason": "the NPS score is not a whole number from 0 to 10"},
        {"line": 9, "column": "share_of_wallet", "raw_value": "150",
         "reason": "the share of wallet is not a number from 0 to 1 (or a percentage)"},
        {"line": 10, "column": "email_opt_in", "raw_value": "maybe",
         "reason": "not understood as yes or no"},
        {"line": 11, "column": "birth_date", "raw_value": "1899-12-31",
         "reason": "the date is out of range (1900 to 2025-06-30)"},
        {"line": 12, "column": "age", "raw_value": "121",
         "reason": "the age is not a number from 0 to 120"},
    ]
    assert (report.rows_read, report.rows_merged, report.rows_rejected) == (12, 2, 10)
    # only the good lines reached the customers; C2 keeps its empty row from the purchases
    rows = ws.cursor().execute(
        "select customer_id, email, birth_date, nps, share_of_wallet, email_opt_in, age"
        " from customers where dataset_id = 1 order by customer_id").fetchall()
    assert rows == [
        ("C1", "anna@example.org", dt.date(1990, 5, 17), 9, 0.9, True, 35),
        ("C10", None, dt.date(2025, 6, 30), 10, 1.0, False, 0),
        ("C2", None, None, None, None, None, None),
        ("C3", None, None, None, None, None, None),
    ]
    summary = report.reject_reasons()
    assert summary.iloc[0].to_dict() == {
        "reason": "the date is out of range (1900 to 2025-06-30)", "column": "birth_date",
        "rows": 2, "example_line": 7, "example_value": "2025-07-01"}
    assert int(summary["rows"].sum()) == 10
    # the workspace's rejects table stays the purchase file's
    assert ws.rejects(1).empty


def failing_files():
    return {
            # no problem is in most rows, yet every row has one
        "every row rejected": ("customer_id,email,nps\nC1,x,\n,a@b.co,\nC2,,11\nC3,,abc\n",
                               "Every row of the file was rejected; nothing was loaded. The "
                               "most common problem: the NPS score is not a whole number from 0 "
                               "to 10 (2 rows, e.g. line 4, value '11')."),
        "mostly unreadable column": (
            "customer_id,birth_date\nC1,1990-01-01\nC2,someday\nC3,never\n",
            "Column 'birth_date' could not be used in 2 of 3 rows (e.g. 'someday', 'never')."),
        "a purchase file": ("customer_id,email\nC1,a@b.co\nC1,a@b.co\nC1,a@b.co\n",
                            "2 of 3 rows repeat a customer id an earlier line has (e.g. 'C1', "
                            "'C1'): this looks like a purchase file"),
        "no id column": ("email,city\na@b.co,Tver\n",
                         "No column could be used as the customer id. The file's columns "
                         "are: 'email', 'city'."),
        "nothing but the id": ("customer_id,date,amount\nC1,2025-01-01,5\n",
                               "Only the customer id could be matched, so there is nothing to "
                               "add to the customers."),
        "header only": ("customer_id,email\n", "header row but no data rows"),
    }


@pytest.mark.parametrize("case", list(failing_files()))
def test_a_failed_load_says_why_and_changes_nothing(ws, tmp_path, case):
    merge(ws, tmp_path, "customer_id,city\nC1,Tver\n", name="before.csv")
    before = snapshot(ws)
    content, message = failing_files()[case]

    with pytest.raises(IngestError) as failure:
        merge(ws, tmp_path, content)

    assert message in str(failure.value)
    assert snapshot(ws) == before


def test_a_failure_inside_the_transaction_rolls_everything_back(ws, tmp_path, monkeypatch):
    before = snapshot(ws)
    # the load record is written last, after the customers and the version: a NULL mode
    # breaks its NOT NULL constraint there
    monkeypatch.setattr(customer_loader, "LOAD_MODE", None)

    with pytest.raises(duckdb.ConstraintException):
        merge(ws, tmp_path, "customer_id,city\nC1,Tver\nC7,Omsk\n")

    assert snapshot(ws) == before
    assert ws.dataset("Shop").version == 1


def test_a_dataset_deleted_during_the_load_gets_no_customers(ws, tmp_path):
    def delete_before_writing(message: str) -> None:
        if message == "Writing to the workspace":
            ws.delete_dataset(ws.dataset("Shop").dataset_id)

    with pytest.raises(IngestError, match="deleted while the file was being read"):
        merge(ws, tmp_path, "customer_id,city\nC1,Tver\n", progress=delete_before_writing)

    assert ws.cursor().execute("select count(*) from customers").fetchall() == [(0,)]
    assert ws.datasets() == []


def test_unknown_dataset_role_or_header_changes_nothing(ws, tmp_path):
    before = snapshot(ws)
    path = write(tmp_path, "crm.csv", "customer_id,city\nC1,Tver\n")
    with pytest.raises(IngestError, match="There is no dataset 'Nope' in this workspace"):
        ingest_customers(ws, path, dataset="Nope")
    with pytest.raises(IngestError, match="A customer file has no role 'amount'"):
        ingest_customers(ws, path, dataset="Shop", mapping={"amount": "city"})
    with pytest.raises(IngestError, match="has no such column"):
        ingest_customers(ws, path, dataset="Shop", mapping={"city": "Town"})
    assert snapshot(ws) == before


def test_the_load_bumps_the_version_and_is_recorded(ws, tmp_path):
    assert ws.dataset("Shop").version == 1
    report = merge(ws, tmp_path, "customer_id,city\nC1,Tver\n,Omsk\n")

    assert report.version == 2 == ws.dataset("Shop").version
    assert ws.cursor().execute(
        "select version, source_name, mode, rows_loaded, rows_rejected from loads"
        " where mode = 'customers'").fetchall() == [(2, "crm.csv", "customers", 1, 1)]
    # the purchase statistics stay the purchase file's
    assert (ws.dataset("Shop").rows_loaded, ws.dataset("Shop").rows_rejected) == (3, 0)


def test_headers_map_to_customer_roles_only(tmp_path):
    headers = ["Клиент", "Дата рождения", "Телефон", "Email", "Date", "Source", "Amount",
               "Согласие на SMS"]
    assert customer_auto_map(headers) == {
        "customer_id": "Клиент", "birth_date": "Дата рождения", "phone": "Телефон",
        "email": "Email", "sms_opt_in": "Согласие на SMS",
    }


def test_the_chosen_date_format_reads_birth_dates(ws, tmp_path):
    path = write(tmp_path, "crm.csv", "customer_id;birth_date\nC1;03/04/1990\nC2;12/05/1985\n")
    options = ReadOptions(delimiter=";", date_format="mdy_slash")
    report = ingest_customers(ws, path, dataset="Shop", options=options)

    assert report.date_formats == {"birth_date": "mdy_slash"}
    assert [r[4] for r in stored(ws)[:2]] == [dt.date(1990, 3, 4), dt.date(1985, 12, 5)]


def test_a_later_purchase_load_keeps_the_customer_files_values(ws, tmp_path):
    merge(ws, tmp_path, "customer_id,city,email\nC1,Tver,anna@example.org\nC9,Omsk,\n")
    load_file(ws, write(tmp_path, "more.csv", "customer_id,date,amount,order_id,city\n"
                                              "C1,2025-04-01,5,O9,Pskov\n"),
              dataset="Shop", mode="append")

    rows = {r[0]: (r[5], r[2]) for r in stored(ws)}
    assert rows["C1"] == ("Pskov", "anna@example.org")  # the purchase file's city is newer
    assert rows["C9"] == ("Omsk", None)


# -- the ladder ----------------------------------------------------------------------------------

# Four regulars (5 orders in 5 distinct months of the last year: regular, but short of the
# 9 months the proxy needs for loyal) and C4 with one order.
LADDER_PURCHASES = "customer_id,date,amount,order_id\n" + "".join(
    f"{c},2025-0{m}-10,10,O{c}{m}\n" for c in ("C1", "C2", "C3", "C6") for m in range(1, 6)
) + "C4,2025-06-01,10,OC46\n"  # (an order id "C…" would be a cancellation)


def test_survey_answers_move_customers_to_loyal_and_advocate(tmp_path):
    ws = fresh_workspace(tmp_path)
    load_file(ws, write(tmp_path, "shop.csv", LADDER_PURCHASES), dataset="Shop")
    as_of = dt.date(2025, 6, 30)

    def steps() -> dict[str, tuple]:
        frame = customer_steps(ws.cursor(), 1, as_of=as_of)
        return {r.customer_id: (r.step, r.loyal_basis) for r in frame.itertuples()}

    assert steps() == {c: ("regular", "regularity") for c in ("C1", "C2", "C3", "C6")} | {
        "C4": ("buyer", "regularity")}
    assert dataset_summary(ws.cursor(), ws.dataset("Shop"), as_of=as_of)["ladder"] == {
        "buyer": 5, "repeat": 4, "regular": 4, "loyal": 0, "advocate": None}

    merge(ws, tmp_path, (
        "customer_id,share_of_wallet,nps,referred_by\n"
        "C1,0.8,9,\n"     # share at the loyal threshold, NPS at the advocate one
        "C2,0.79,10,\n"   # just short of loyal: the NPS cannot help
        "C3,95,8,\n"      # loyal (95 is read as a percentage), NPS one short
        "C6,0.9,,\n"      # loyal; C4 (who has ordered) names C6 as referrer
        "C4,,,C6\n"
        "C5,,,C3\n"       # names C3, but has not ordered: no referral yet
    ))

    assert steps() == {
        "C1": ("advocate", "share_of_wallet"), "C2": ("regular", "share_of_wallet"),
        "C3": ("loyal", "share_of_wallet"), "C6": ("advocate", "share_of_wallet"),
        "C4": ("buyer", "regularity"),
    }
    # the summary command's ladder (cumulative counts) moves with it
    assert dataset_summary(ws.cursor(), ws.dataset("Shop"), as_of=as_of)["ladder"] == {
        "buyer": 5, "repeat": 4, "regular": 4, "loyal": 3, "advocate": 2}


# -- the command line ----------------------------------------------------------------------------


def test_the_command_prints_one_json_object(ws, tmp_path, capsys):
    path = write(tmp_path, "crm.csv", "Client;E-mail;Town\nC1;anna@example.org;Tver\n"
                                      "C1;again@example.org;Omsk\nC9;bad;Omsk\nC8;;Pskov\n")
    code = main(["ingest-customers", str(path), "--db", ws.path, "--dataset", "Shop",
                 "--map", "city=Town"])
    out, err = capsys.readouterr()

    assert code == 0
    payload = json.loads(out)
    assert {k: v for k, v in payload.items() if k != "seconds"} == {
        "dataset": "Shop", "version": 2, "rows_read": 4, "rows_merged": 2, "rows_rejected": 2,
        "customers_new": 1, "customers_changed": 1, "customers_without_purchases": 1,
        "mapping": {"customer_id": "Client", "email": "E-mail", "city": "Town"},
        "date_formats": {},
        "rejects": [
            {"line": 3, "column": "Client", "value": "C1",
             "reason": "the customer id is on an earlier line too; only its first line is used"},
            {"line": 4, "column": "E-mail", "value": "bad", "reason": "not an email address"},
        ],
        "warnings": [],
    }
    assert "rejected: 1 rows: not an email address (column 'E-mail', e.g. line 4: 'bad')" in err


def test_the_command_fails_with_a_sentence_and_exit_1(ws, tmp_path, capsys):
    path = write(tmp_path, "crm.csv", "customer_id,city\nC1,Tver\n")
    before = snapshot(ws)
    code = main(["ingest-customers", str(path), "--db", ws.path, "--dataset", "Nope"])
    out, err = capsys.readouterr()

    assert (code, out) == (1, "")
    assert err.startswith("error: There is no dataset 'Nope' in this workspace.")
    assert main(["ingest-customers", str(path), "--db", ws.path, "--dataset", "Shop",
                 "--map", "city"]) == 1
    assert "--map expects ROLE=HEADER" in capsys.readouterr().err
    # the command closes the workspace it opened: look again through a new connection
    assert snapshot(open_workspace(ws.path)) == before
