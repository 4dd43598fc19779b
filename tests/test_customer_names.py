"""Customer names (first and last) are roles of their own, kept for campaign exports (DESIGN §8),
and a workspace made before they existed gains the columns when it is opened."""

from __future__ import annotations

import duckdb

from retention.ingest import load_file
from retention.store import SCHEMA_VERSION, close_workspace, open_workspace
from tests.ingest_helpers import fresh_workspace, write

NAMED = (
    "Клиент;Дата;Сумма;Имя;Фамилия\n"
    "7;2024-01-05;10;Анна;Петрова\n"
    "7;2024-02-05;12;;\n"
    "8;2024-01-06;9;Bat;Dorj\n"
)


def test_first_and_last_name_are_mapped_from_russian_headers_and_kept(tmp_path):
    ws = fresh_workspace(tmp_path)
    report = load_file(ws, write(tmp_path, "crm.csv", NAMED), dataset="crm")
    rows = ws.cursor().execute(
        "select customer_id, first_name, last_name from customers"
        " where dataset_id = ? order by customer_id", [report.dataset_id]
    ).fetchall()
    # customer 7's later row has empty names: the latest non-empty value wins
    assert rows == [("7", "Анна", "Петрова"), ("8", "Bat", "Dorj")]


def test_a_workspace_of_schema_version_2_gains_the_name_columns(tmp_path):
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    con.execute("create table meta (key text primary key, value text)")
    con.execute("insert into meta values ('schema_version', '2')")
    con.execute("""create table customers (dataset_id integer not null,
        customer_id text not null, gender text, birth_date date, age integer, city text,
        region text, signup_date date, email text, phone text, email_opt_in boolean,
        sms_opt_in boolean, referred_by text, nps integer, share_of_wallet double,
        attributes text)""")
    con.execute("insert into customers (dataset_id, customer_id, city) values (1, 'a', 'Gyumri')")
    con.close()
    close_workspace(path)
    ws = open_workspace(path)
    assert ws.cursor().execute(
        "select customer_id, city, first_name, last_name from customers"
    ).fetchall() == [("a", "Gyumri", None, None)]
    assert ws.cursor().execute(
        "select value from meta where key = 'schema_version'"
    ).fetchall() == [(str(SCHEMA_VERSION),)]
