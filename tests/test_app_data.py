"""Data page: upload, detection and overrides, mapping, load report, bad files, datasets."""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import TINY_PURCHASES

from retention.ingest import load_file
from retention.ui import data_page
from retention.ui.text import md_escape


@pytest.fixture
def data_app(app_test, workspace, no_sample):
    """A session on the Data page of an empty workspace."""
    at = app_test().run()
    at.switch_page("views/data.py").run()
    assert not at.exception
    return at


def upload(at, name: str, content: str | bytes, mime: str = "text/csv"):
    data = content.encode("utf-8") if isinstance(content, str) else content
    at.file_uploader(key="data_upload").set_value((name, data, mime)).run()
    assert not at.exception
    return at


def load_button(at):
    [button] = [b for b in at.button if (b.key or "").startswith("load_")]
    return button


def click_load(at):
    load_button(at).click().run()
    assert not at.exception
    return at


def metric(at, label: str) -> str:
    values = [m.value for m in at.metric if m.label == label]
    assert values, f"no metric {label!r}; the page has {[m.label for m in at.metric]}"
    return values[0]


def mapping_box(at, role: str):
    # keys are map_{file}_{headers}_{role}; roles themselves contain underscores
    [box] = [s for s in at.selectbox if (s.key or "").startswith("map_") and
             s.key.split("_", 3)[3] == role]
    return box


def test_upload_shows_detection_preview_and_mapping_then_loads(data_app, workspace):
    at = upload(data_app, "shop.csv", TINY_PURCHASES)

    subheaders = [s.value for s in at.subheader]
    assert subheaders[:4] == ["What we detected", "Preview", "Columns", "Destination"]
    detected = at.markdown[0].value
    assert "Comma" in detected and "**Header row:** yes" in detected
    preview = at.dataframe[0].value
    assert list(preview.columns) == ["line", "customer_id", "date", "amount", "order_id"]
    assert preview["amount"].tolist()[:2] == ["100.00", "50.00"]  # as text, not parsed
    assert mapping_box(at, "customer_id").value == "customer_id"
    assert mapping_box(at, "order_id").value == "order_id"
    assert mapping_box(at, "product").value is None
    assert at.text_input(key=[t.key for t in at.text_input
                              if t.key.startswith("name_")][0]).value == "shop"

    at = click_load(at)

    assert "Rows loaded into “shop”: 6 (now version 1" in at.success[0].value
    assert metric(at, "Rows loaded") == "6"
    assert metric(at, "Rows rejected") == "0"
    assert (metric(at, "Customers"), metric(at, "Orders"), metric(at, "Returns")) == ("3", "4", "1")
    [dataset] = workspace.datasets()
    assert (dataset.name, dataset.rows_loaded) == ("shop", 6)
    assert at.sidebar.selectbox(key="active_dataset_id").value == dataset.dataset_id
    assert at.sidebar.date_input(key="as_of").value == dt.date(2025, 3, 1)


def test_load_progress_steps_are_kept_in_the_report(data_app):
    at = click_load(upload(data_app, "shop.csv", TINY_PURCHASES))

    steps = [text.value for text in at.text]
    assert steps[0] == "Reading shop.csv"
    assert steps[-1] == "Done: 6 rows loaded"


def test_rejected_rows_are_reported_by_reason_and_downloadable(data_app, workspace):
    content = "customer_id,date,amount\nC1,2025-01-01,1\nC2,2025-01-02,abc\nC3,2025-01-03,3\n"
    at = click_load(upload(data_app, "bad amount.csv", content))

    assert metric(at, "Rows loaded") == "2"
    assert metric(at, "Rows rejected") == "1"
    rejects = at.dataframe[-2].value  # the last table is the datasets list
    assert rejects.to_dict("records") == [{
        "Reason": "the amount is not a number", "Column": "amount", "Rows": 1,
        "Example line": 3, "Example value": "abc",
    }]
    dataset_id = workspace.dataset("bad amount").dataset_id
    keys = {b.key for b in at.get("download_button")}
    assert {f"load_rejects_{dataset_id}_csv", f"load_rejects_{dataset_id}_xlsx"} <= keys


def test_header_only_file_shows_the_reason_and_changes_nothing(data_app, workspace,
                                                              tiny_purchases_csv):
    load_file(workspace, tiny_purchases_csv, dataset="Tiny")
    before = workspace.datasets()

    at = upload(data_app, "empty.csv", "customer_id,date,amount\n")

    assert "header row but no data rows" in at.error[0].value
    assert not [b for b in at.button if (b.key or "").startswith("load_")]
    assert workspace.datasets() == before


def test_a_load_that_fails_shows_the_reason_and_changes_nothing(data_app, workspace,
                                                               tiny_purchases_csv):
    load_file(workspace, tiny_purchases_csv, dataset="Tiny")
    before = workspace.datasets()
    content = "customer_id,date,amount\nC1,soon,1\nC2,later,2\nC3,2025-01-01,3\n"

    at = click_load(upload(data_app, "dates.csv", content))

    assert "could not be read as dates in 2 of 3 rows" in at.error[0].value
    assert not at.success
    assert workspace.datasets() == before


def test_a_file_over_the_upload_limit_points_to_the_import_folder(data_app, workspace,
                                                                 workspace_db, monkeypatch):
    monkeypatch.setattr(data_page, "upload_limit_mb", lambda: 0.001)  # about 1 KB

    at = upload(data_app, "big.csv", TINY_PURCHASES + "C9,2025-01-01,1.00,O9\n" * 100)

    message = at.error[0].value
    assert "more than the 0.001 MB this page accepts" in message
    # the command line cannot open the workspace while the app runs: the folder can
    folder = md_escape(str(workspace_db.parent / "import"))
    assert (f"Copy the file to {folder} on the server, then pick it under “Files on the "
            "server” above") in message
    assert "python -m" not in message
    assert not at.subheader, "no detection, preview or mapping for a refused file"
    assert not [b for b in at.button if (b.key or "").startswith("load_")]
    assert workspace.datasets() == []


def test_changing_a_reading_option_reinspects_the_file(data_app):
    at = upload(data_app, "semi.csv", "customer_id;date;amount\nC1;2025-01-05;100,50\n")
    assert mapping_box(at, "amount").value == "amount"

    [delimiter] = [s for s in at.selectbox if s.key.endswith("_delimiter")]
    delimiter.set_value(",").run()

    assert list(at.dataframe[0].value.columns) == ["line", "customer_id;date;amount"]
    # in the page's words: the controls to use, not the command line's --map
    assert md_escape(
        "No column could be used as Purchase date, Amount (net line value). The "
        "file's columns are: 'customer_id;date;amount'. Choose them under “Columns” above; an "
        "amount can also come from Quantity and Unit price under “Purchase details”."
    ) in [w.value for w in at.warning]
    assert load_button(at).disabled


def test_a_headerless_file_is_mapped_by_hand(data_app, workspace):
    at = upload(data_app, "plain.csv", "C1,2025-01-05,100\nC2,2025-01-06,50\n")
    assert mapping_box(at, "customer_id").options == ["— not in file —", "column1", "column2",
                                                       "column3"]
    assert load_button(at).disabled

    mapping_box(at, "customer_id").set_value("column1")
    mapping_box(at, "date").set_value("column2")
    mapping_box(at, "amount").set_value("column3").run()
    at = click_load(at)

    assert metric(at, "Rows loaded") == "2"
    assert workspace.dataset("plain").mapping["customer_id"] == "column1"


def test_the_same_file_twice_is_recognised(data_app, workspace, tiny_purchases_csv):
    load_file(workspace, tiny_purchases_csv, dataset="shop")  # loaded earlier, e.g. by the CLI
    at = click_load(upload(data_app, "again.csv", TINY_PURCHASES))

    assert "already loaded as dataset “shop”" in at.info[0].value
    assert [d.rows_loaded for d in workspace.datasets()] == [6]


def test_append_to_an_existing_dataset_skips_known_orders(data_app, workspace,
                                                          tiny_purchases_csv):
    load_file(workspace, tiny_purchases_csv, dataset="shop")
    more = "customer_id,date,amount,order_id\nC1,2025-01-05,100.00,O1\nC4,2025-03-05,70.00,O5\n"
    at = upload(data_app, "shop.csv", more)

    [mode] = [r for r in at.radio if r.key.startswith("mode_")]
    assert mode.options == ["Add to it", "Replace it"]
    mode.set_value("append").run()
    at = click_load(at)

    assert metric(at, "Rows loaded") == "1"
    assert metric(at, "Already there, skipped") == "1"
    assert workspace.dataset("shop").rows_loaded == 7


def test_replace_an_existing_dataset(data_app, workspace, tiny_purchases_csv):
    load_file(workspace, tiny_purchases_csv, dataset="shop")
    at = upload(data_app, "shop.csv", "customer_id,date,amount\nC4,2025-03-05,70.00\n")

    [mode] = [r for r in at.radio if r.key.startswith("mode_")]
    mode.set_value("replace").run()
    at = click_load(at)

    assert workspace.dataset("shop").rows_loaded == 1
    assert len(workspace.datasets()) == 1


def test_rename_a_dataset(data_app, workspace, tiny_purchases_csv):
    ds = load_file(workspace, tiny_purchases_csv, dataset="Tiny")
    at = data_app.run()

    at.text_input(key=f"rename_name_{ds.dataset_id}").set_value("Spring shop")
    at.button(key=f"rename_{ds.dataset_id}").click().run()

    assert workspace.dataset(ds.dataset_id).name == "Spring shop"
    assert "Renamed to “Spring shop”" in at.success[0].value
    assert at.sidebar.selectbox(key="active_dataset_id").options == ["Spring shop"]


def test_rename_to_a_taken_name_is_refused(data_app, workspace, tiny_purchases_csv, tmp_path):
    ds = load_file(workspace, tiny_purchases_csv, dataset="Tiny")
    other = tmp_path / "other.csv"
    other.write_text("customer_id,date,amount\nZ1,2025-06-30,5\n", encoding="utf-8")
    load_file(workspace, other, dataset="Other")
    at = data_app.run()
    at.selectbox(key="manage_dataset_id").set_value(ds.dataset_id).run()

    at.text_input(key=f"rename_name_{ds.dataset_id}").set_value("Other")
    at.button(key=f"rename_{ds.dataset_id}").click().run()

    assert "already called" in at.error[0].value
    assert workspace.dataset(ds.dataset_id).name == "Tiny"


def test_delete_needs_confirmation(data_app, workspace, tiny_purchases_csv):
    ds = load_file(workspace, tiny_purchases_csv, dataset="Tiny")
    at = data_app.run()
    assert at.button(key=f"delete_{ds.dataset_id}").disabled

    at.checkbox(key=f"delete_confirm_{ds.dataset_id}").check().run()
    at.button(key=f"delete_{ds.dataset_id}").click().run()

    assert not at.exception
    assert workspace.datasets() == []
    assert "Deleted “Tiny”" in at.success[0].value
    assert any("No datasets yet" in info.value for info in at.info)


def test_change_a_datasets_currency(data_app, workspace, tiny_purchases_csv):
    ds = load_file(workspace, tiny_purchases_csv, dataset="Tiny")
    at = data_app.run()

    at.selectbox(key=f"currency_of_{ds.dataset_id}").set_value("RUB").run()
    at.button(key=f"set_currency_{ds.dataset_id}").click().run()

    assert workspace.dataset(ds.dataset_id).currency == "RUB"
    at.switch_page("views/home.py").run()
    assert metric(at, "Net revenue") == "₽250.00"


def test_switch_the_active_dataset_from_the_list(data_app, workspace, tiny_purchases_csv,
                                                 tmp_path):
    first = load_file(workspace, tiny_purchases_csv, dataset="Tiny")
    other = tmp_path / "other.csv"
    other.write_text("customer_id,date,amount\nZ1,2025-06-30,5\n", encoding="utf-8")
    load_file(workspace, other, dataset="Other")
    at = data_app.run()
    assert at.sidebar.selectbox(key="active_dataset_id").value != first.dataset_id

    at.selectbox(key="manage_dataset_id").set_value(first.dataset_id).run()
    at.button(key=f"activate_{first.dataset_id}").click().run()

    assert at.sidebar.selectbox(key="active_dataset_id").value == first.dataset_id


def test_datasets_table_lists_every_dataset_with_downloads(data_app, workspace,
                                                          tiny_purchases_csv):
    load_file(workspace, tiny_purchases_csv, dataset="Tiny", currency="EUR")
    at = data_app.run()

    table = at.dataframe[-1].value
    assert table[["Name", "Rows", "Rejected", "Version", "Currency"]].to_dict("records") == [
        {"Name": "Tiny", "Rows": 6, "Rejected": 0, "Version": 1, "Currency": "EUR"}
    ]
    keys = {b.key for b in at.get("download_button")}
    assert {"datasets_table_csv", "datasets_table_xlsx"} <= keys


def test_file_text_is_never_rendered_as_markdown(data_app):
    at = upload(data_app, "**bold** :red[x].csv", TINY_PURCHASES)

    detected = at.markdown[0].value
    # (md_escape puts an invisible word joiner before ":" so no address can become a link)
    assert r"\*\*bold\*\* " + "\u2060" + r"\:red\[x\]" in detected


def test_an_excel_sheet_is_chosen_under_reading_options(data_app, workspace):
    import io

    import pandas as pd

    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="xlsxwriter") as writer:
        pd.DataFrame({"Note": ["Exported for the shop"]}).to_excel(
            writer, sheet_name="About", index=False
        )
        pd.DataFrame(
            {"Клиент": ["001", "002"], "Дата": ["05.01.2025", "06.01.2025"], "Сумма": [100.5, 20]}
        ).to_excel(writer, sheet_name="Продажи", index=False)
    at = upload(data_app, "export.xlsx", buffer.getvalue(),
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    assert load_button(at).disabled  # the first sheet holds no purchases

    [sheet] = [s for s in at.selectbox if s.key.endswith("_sheet")]
    sheet.set_value("Продажи").run()
    assert mapping_box(at, "customer_id").value == "Клиент"
    at = click_load(at)

    assert metric(at, "Rows loaded") == "2"
    assert workspace.dataset("export").read_options["sheet"] == "Продажи"


def test_a_new_load_becomes_the_active_and_managed_dataset(data_app, workspace,
                                                           tiny_purchases_csv):
    load_file(workspace, tiny_purchases_csv, dataset="Tiny")
    at = data_app.run()

    at = click_load(upload(at, "other.csv", "customer_id,date,amount\nZ1,2025-06-30,5\n"))

    other = workspace.dataset("other")
    assert at.sidebar.selectbox(key="active_dataset_id").value == other.dataset_id
    assert at.selectbox(key="manage_dataset_id").value == other.dataset_id
    assert at.sidebar.date_input(key="as_of").value == dt.date(2025, 6, 30)


# -- the currency question ------------------------------------------------------------------------


def currency_box(at):
    # the load's control (currency_{file}_…), not a listed dataset's (currency_of_{id})
    [box] = [s for s in at.selectbox
             if (s.key or "").startswith("currency_") and not s.key.startswith("currency_of_")]
    return box


def test_a_file_without_currency_signs_asks_for_the_currency_before_the_load(data_app,
                                                                              workspace):
    at = upload(data_app, "shop.csv", TINY_PURCHASES)  # amounts are plain numbers

    question = ("We could not tell the currency from the file. Choose it under “Currency of "
                "the amounts” before loading; left as “Not specified”, money is shown as plain "
                "numbers.")
    assert [w.value for w in at.warning] == [question]
    assert "**Currency:** not found in the file — choose it under “Currency of the amounts” " \
           "below" in at.markdown[0].value
    box = currency_box(at)
    assert (box.label, box.value) == ("Currency of the amounts", None)  # the control it names

    box.set_value("EUR").run()
    assert not at.warning, "answered: the question goes away"
    at = click_load(at)

    assert workspace.dataset("shop").currency == "EUR"


def test_a_currency_written_in_the_file_is_preset_and_not_asked(data_app, workspace):
    at = upload(data_app, "usd.csv", "customer_id,date,amount\nC1,2025-01-05,$100.00\n"
                                     "C2,2025-01-06,$50.00\n")

    assert currency_box(at).value == "USD"
    assert not at.warning
    click_load(at)
    assert workspace.dataset("usd").currency == "USD"


def test_adding_to_a_dataset_presets_its_currency_and_does_not_ask(data_app, workspace,
                                                                   tiny_purchases_csv):
    load_file(workspace, tiny_purchases_csv, dataset="shop", currency="RUB")
    at = upload(data_app, "shop.csv", "customer_id,date,amount,order_id\nC4,2025-03-05,70,O5\n")

    assert currency_box(at).value == "RUB"
    assert not at.warning


# -- files on the server (the import folder) ------------------------------------------------------


@pytest.fixture
def import_folder(workspace_db, monkeypatch):
    """The import folder beside the test's workspace (the default), with no setting."""
    monkeypatch.delenv("RETENTION_IMPORT_DIR", raising=False)
    return workspace_db.parent / "import"


def server_files(at):
    [where] = [r for r in at.radio if r.key == data_page.SOURCE_KEY]
    where.set_value("server").run()
    assert not at.exception
    return at


def test_a_file_in_the_import_folder_is_listed_and_loads_in_place(data_app, workspace,
                                                                  import_folder):
    import_folder.mkdir()
    (import_folder / "big shop.csv").write_text(TINY_PURCHASES, encoding="utf-8")
    (import_folder / "notes.docx").write_bytes(b"not a table")  # not a kind the loader reads
    (import_folder / ".partial.csv").write_text("being copied", encoding="utf-8")

    at = server_files(data_app)

    listing = at.dataframe[0].value
    assert listing["name"].tolist() == ["big shop.csv"]
    assert listing["size_mb"].tolist() == ["< 0.1"]
    picker = at.selectbox(key=data_page.SERVER_FILE_KEY)
    assert (picker.options, picker.value) == (["big shop.csv"], None)
    assert not at.subheader, "nothing is read before a file is picked"

    picker.set_value("big shop.csv").run()
    assert [s.value for s in at.subheader][:4] == ["What we detected", "Preview", "Columns",
                                                   "Destination"]
    assert at.text_input(key=[t.key for t in at.text_input
                              if t.key.startswith("name_")][0]).value == "big shop"
    at = click_load(at)

    assert [text.value for text in at.text][0] == "Reading big shop.csv"
    assert metric(at, "Rows loaded") == "6"
    dataset = workspace.dataset("big shop")
    assert (dataset.source_name, dataset.rows_loaded) == ("big shop.csv", 6)
    assert (import_folder / "big shop.csv").exists(), "read in place, not moved"
    assert ("This file is loaded. To load another file, pick it in the list above."
            in [c.value for c in at.caption])


def test_an_empty_import_folder_is_created_and_says_what_to_do(data_app, import_folder):
    at = server_files(data_app)

    assert import_folder.is_dir()
    folder = md_escape(str(import_folder))
    assert at.info[0].value == (f"There are no files in {folder} yet. Copy a CSV, TSV, TXT, "
                                "Excel, Parquet or zip file there, then refresh the list.")


def test_a_link_picks_a_server_file_and_a_name_with_dots_is_refused(app_test, workspace,
                                                                    no_sample, import_folder):
    import_folder.mkdir()
    (import_folder / "shop.csv").write_text(TINY_PURCHASES, encoding="utf-8")
    # a file beside the folder, the kind of thing ../ would reach
    (import_folder.parent / "secret.csv").write_text(TINY_PURCHASES, encoding="utf-8")

    at = app_test().run()
    at.switch_page("views/data.py")
    at.query_params[data_page.SERVER_FILE_PARAM] = "../secret.csv"  # /data?server_file=…
    at.run()

    assert not at.exception
    assert at.error[0].value == md_escape(
        "'../secret.csv' is not the name of a file in the import folder: only plain file names "
        "from the list are accepted.")
    assert at.selectbox(key=data_page.SERVER_FILE_KEY).value is None
    assert not at.subheader, "nothing was read"

    at.query_params[data_page.SERVER_FILE_PARAM] = "shop.csv"
    at.run()
    assert at.selectbox(key=data_page.SERVER_FILE_KEY).value == "shop.csv"
    assert at.subheader[0].value == "What we detected"


def test_a_link_leading_out_of_the_import_folder_is_not_offered(data_app, import_folder):
    import_folder.mkdir()
    outside = import_folder.parent / "secret.csv"
    outside.write_text(TINY_PURCHASES, encoding="utf-8")
    (import_folder / "escape.csv").symlink_to(outside)
    (import_folder / "inside.csv").write_text(TINY_PURCHASES, encoding="utf-8")

    at = server_files(data_app)

    assert at.selectbox(key=data_page.SERVER_FILE_KEY).options == ["inside.csv"]
