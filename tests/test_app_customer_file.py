"""Data page, "Customer file": upload, detection and preview, columns, dataset, merge, report."""

from __future__ import annotations

import pytest

from retention.ingest import load_file

CRM = (
    "Client;E-mail;Birthday;NPS;Town\n"
    "C1;anna@example.org;17.05.1990;9;Tver\n"
    "C2;not-an-email;01.01.1985;7;Kazan\n"
    "C9;vera@example.org;;10;\n"
    "C1;again@example.org;;;\n"
)


@pytest.fixture
def shop_app(app_test, workspace, no_sample, tiny_purchases_csv):
    """The Data page of a workspace holding dataset "Tiny" (customers C1, C2, C3)."""
    load_file(workspace, tiny_purchases_csv, dataset="Tiny")
    at = app_test().run()
    at.switch_page("views/data.py").run()
    assert not at.exception
    return at


def upload_customers(at, name: str, content: str):
    at.file_uploader(key="customers_upload").set_value(
        (name, content.encode("utf-8"), "text/csv")).run()
    assert not at.exception
    return at


def mapping_box(at, role: str):
    # keys are cmap_{file}_{headers}_{role}; roles themselves contain underscores
    [box] = [s for s in at.selectbox if (s.key or "").startswith("cmap_")
             and s.key.split("_", 3)[3] == role]
    return box


def merge_button(at):
    [button] = [b for b in at.button if (b.key or "").startswith("customer_load_")]
    return button


def metric(at, label: str) -> str:
    values = [m.value for m in at.metric if m.label == label]
    assert values, f"no metric {label!r}; the page has {[m.label for m in at.metric]}"
    return values[0]


def customers(workspace):
    return workspace.cursor().execute(
        "select customer_id, email, birth_date::varchar, nps, city from customers"
        " order by customer_id").fetchall()


def test_a_customer_file_is_detected_mapped_merged_and_reported(shop_app, workspace):
    at = upload_customers(shop_app, "crm.csv", CRM)

    assert [s.value for s in at.subheader] == [
        "What we detected", "Preview", "Customer columns", "Merge into"]
    detected = at.markdown[0].value
    assert "Semicolon" in detected and "Currency" not in detected
    assert list(at.dataframe[0].value.columns) == [
        "line", "Client", "E-mail", "Birthday", "NPS", "Town"]
    assert {role: mapping_box(at, role).value for role in (
        "customer_id", "email", "birth_date", "nps", "city", "phone")} == {
        "customer_id": "Client", "email": "E-mail", "birth_date": "Birthday", "nps": "NPS",
        "city": "Town", "phone": None}
    assert at.selectbox(key=[s.key for s in at.selectbox
                             if s.key.startswith("customer_dataset_")][0]).value == \
        workspace.dataset("Tiny").dataset_id
    before = workspace.dataset("Tiny").version

    mapping_box(at, "nps").select_index(0).run()  # the user leaves the NPS out
    merge_button(at).click().run()
    assert not at.exception

    assert "Customers merged into “Tiny”: 2 (now version" in at.success[0].value
    assert (metric(at, "Rows read"), metric(at, "Customers merged"), metric(at, "New customers"),
            metric(at, "Changed"), metric(at, "Without purchases"),
            metric(at, "Rows rejected")) == ("4", "2", "1", "1", "1", "2")
    assert workspace.dataset("Tiny").version == before + 1
    assert customers(workspace) == [
        ("C1", "anna@example.org", "1990-05-17", None, "Tver"),
        ("C2", None, None, None, None),
        ("C3", None, None, None, None),
        ("C9", "vera@example.org", None, None, None),
    ]
    rejects = at.dataframe[-2].value  # the last table is the datasets list
    assert rejects.to_dict("records") == [
        {"Reason": "not an email address", "Column": "E-mail", "Rows": 1, "Example line": 3,
         "Example value": "not-an-email"},
        {"Reason": "the customer id is on an earlier line too; only its first line is used",
         "Column": "Client", "Rows": 1, "Example line": 5, "Example value": "C1"},
    ]
    dataset_id = workspace.dataset("Tiny").dataset_id
    keys = {b.key for b in at.get("download_button")}
    assert {f"customer_rejects_{dataset_id}_csv", f"customer_rejects_{dataset_id}_xlsx"} <= keys
    assert not [b for b in at.button if (b.key or "").startswith("customer_load_")]


def test_a_failed_merge_shows_the_reason_and_changes_nothing(shop_app, workspace):
    before = (customers(workspace), workspace.datasets())
    at = upload_customers(shop_app, "crm.csv", "customer_id,email\nC1,x\nC2,y\n")

    merge_button(at).click().run()
    assert not at.exception

    assert "could not be used in 2 of 2 rows" in at.error[0].value
    assert (customers(workspace), workspace.datasets()) == before


def test_the_button_waits_for_a_customer_id_and_something_to_merge(shop_app):
    at = upload_customers(shop_app, "crm.csv", "Who,Where\nC1,Tver\n")

    assert merge_button(at).disabled
    assert "No column is chosen as Customer id" in at.warning[0].value
    mapping_box(at, "customer_id").set_value("Who").run()
    assert "Only the customer id is chosen" in at.warning[0].value
    mapping_box(at, "city").set_value("Where").run()
    assert not merge_button(at).disabled


def test_without_a_dataset_the_section_asks_for_purchases_first(app_test, workspace, no_sample):
    at = app_test().run()
    at.switch_page("views/data.py").run()

    assert not at.exception
    assert "customers_upload" not in {u.key for u in at.get("file_uploader")}
    assert any("Load a purchase history first" in c.value for c in at.caption)


def test_the_same_file_in_both_uploaders_keeps_two_flows_apart(shop_app):
    content = "customer_id,date,amount,email\nC7,2025-01-01,5,c7@example.org\n"
    at = shop_app
    at.file_uploader(key="data_upload").set_value(("both.csv", content.encode(), "text/csv"))
    at = upload_customers(at, "both.csv", content)

    assert [s.value for s in at.subheader].count("What we detected") == 2
    prefixes = {(b.key or "").split("_")[0] for b in at.button
                if (b.key or "").startswith(("load_", "customer_load_"))}
    assert prefixes == {"load", "customer"}
    assert len({b.key for b in at.button}) == len(at.button)
