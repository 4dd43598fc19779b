"""Real-browser journeys through the dashboard: first run, the CDNOW sample loaded through the
Data page, a Russian 1C-style export (Windows-1251, semicolons, decimal commas), and a customer
file merged into a dataset.

Each journey runs in its own browser context, i.e. its own Streamlit session, against the one
server of the test session (see conftest.py). The journeys do not depend on their order: under
pytest-xdist they may run on different workers, each with its own server and workspace.
A screenshot of the final state goes to the test's tmp_path.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

pytestmark = pytest.mark.browser

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CDNOW = PROJECT_ROOT / "tests" / "data" / "CDNOW_sample.txt"

# Bounded waits, in milliseconds. A first visit generates and loads the sample shop (a few
# seconds, more on a busy 2-core runner next to the rest of the suite).
FIRST_RUN_MS = 60_000
RERUN_MS = 30_000
LOAD_MS = 60_000

SAMPLE_DATASET = "Sample shop"
SAMPLE_BANNER = "You are looking at generated sample data"
# format_count in English: digits grouped by commas.
COUNT = re.compile(r"\d{1,3}(,\d{3})*")


# -- helpers --------------------------------------------------------------------------------------


def metric(page: Page, label: str) -> Locator:
    """The value of the st.metric whose label is exactly ``label`` ("Customers", not "Active
    customers")."""
    box = page.get_by_test_id("stMetric").filter(
        has=page.get_by_test_id("stMetricLabel").get_by_text(label, exact=True)
    )
    return box.get_by_test_id("stMetricValue")


def sidebar_dataset_picker(page: Page) -> Locator:
    return page.get_by_test_id("stSidebar").get_by_role("combobox", name="Dataset", exact=True)


def wait_idle(page: Page) -> None:
    """Wait until the script run in progress (if any) has finished.

    Streamlit marks its root element with the script state; a widget clicked while a run is
    still drawing the page can be replaced under the pointer.
    """
    expect(page.get_by_test_id("stApp")).to_have_attribute(
        "data-test-script-state", "notRunning", timeout=LOAD_MS
    )


def open_listbox(page: Page, combobox: Locator) -> Locator:
    """Open a Streamlit selectbox (a combobox with a listbox popup) and return the listbox.

    The combobox is scrolled into view first: the popup closes when the page scrolls, and
    Playwright's own scroll-before-click would otherwise close it right after opening it.
    A click that still does not open it (the page redrawn under the pointer) is retried.
    """
    listbox = page.get_by_role("listbox")
    for _ in range(3):
        wait_idle(page)
        combobox.scroll_into_view_if_needed()
        combobox.click()
        try:
            expect(listbox).to_be_visible(timeout=5_000)
            return listbox
        except AssertionError:
            page.keyboard.press("Escape")
    expect(listbox).to_be_visible(timeout=1)  # fails with Playwright's explanation
    return listbox


def choose(page: Page, combobox: Locator, option: str) -> None:
    """Pick ``option`` in a Streamlit selectbox: open it, click the option in its listbox."""
    listbox = open_listbox(page, combobox)
    listbox.get_by_role("option", name=option, exact=True).click()
    expect(combobox).to_have_value(option, timeout=RERUN_MS)
    expect(listbox).to_be_hidden(timeout=RERUN_MS)
    wait_idle(page)


def options_of(page: Page, combobox: Locator) -> list[str]:
    """The options a selectbox offers (opens it, reads them, closes it with Escape)."""
    listbox = open_listbox(page, combobox)
    texts = [text.strip() for text in listbox.get_by_role("option").all_inner_texts()]
    page.keyboard.press("Escape")
    expect(listbox).to_be_hidden(timeout=RERUN_MS)
    return texts


def purchase_uploader(page: Page) -> Locator:
    """The purchase file's uploader (once a dataset exists, the customer file has one too)."""
    return page.get_by_test_id("stFileUploader").filter(has_text="Purchase history file")


def open_data_page(page: Page) -> Locator:
    """Go to /data directly and return the file uploader's file input."""
    page.goto("/data")
    uploader = purchase_uploader(page)
    expect(uploader).to_be_visible(timeout=FIRST_RUN_MS)
    return uploader.locator("input[type=file]")


def wait_for_preview(page: Page) -> None:
    expect(page.get_by_role("heading", name="What we detected")).to_be_visible(timeout=RERUN_MS)
    expect(page.get_by_role("heading", name="Preview")).to_be_visible(timeout=RERUN_MS)
    expect(page.get_by_test_id("stDataFrame").first).to_be_visible(timeout=RERUN_MS)
    wait_idle(page)


def click_load(page: Page) -> None:
    button = page.get_by_role("button", name="Load", exact=True)
    expect(button).to_be_enabled(timeout=RERUN_MS)
    wait_idle(page)
    button.click()


def screenshot(page: Page, tmp_path: Path, name: str, focus: Locator | None = None) -> None:
    # The main area scrolls inside its own container, so a full-page shot would not show more;
    # bring the part that matters into view instead.
    if focus is not None:
        focus.scroll_into_view_if_needed()
    page.screenshot(path=str(tmp_path / f"{name}.png"))


# -- journeys -------------------------------------------------------------------------------------


def test_first_run_shows_sample_then_data_page(page: Page, tmp_path: Path) -> None:
    page.goto("/")
    picker = sidebar_dataset_picker(page)
    # The first visit to a new workspace generates and loads the sample shop, then draws the
    # sidebar picker. (Only journeys on the same server load other datasets; if one of them ran
    # first, the newest dataset is shown and the sample is picked by hand.)
    expect(picker).to_be_visible(timeout=FIRST_RUN_MS)
    if picker.input_value() != SAMPLE_DATASET:
        choose(page, picker, SAMPLE_DATASET)

    expect(page.get_by_text(SAMPLE_BANNER)).to_be_visible(timeout=RERUN_MS)
    expect(page.get_by_role("heading", name="Customer retention")).to_be_visible()
    customers = metric(page, "Customers")
    expect(customers).to_have_text(COUNT, timeout=RERUN_MS)
    assert int(customers.inner_text().replace(",", "")) > 0
    screenshot(page, tmp_path, "journey1-home")

    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Data", exact=True).click()
    expect(page).to_have_url(re.compile(r"/data(\?.*)?$"), timeout=RERUN_MS)
    expect(page.get_by_role("heading", name="Load a file")).to_be_visible(timeout=RERUN_MS)
    uploader = purchase_uploader(page)
    expect(uploader).to_be_visible(timeout=RERUN_MS)
    expect(uploader.locator("input[type=file]")).to_have_count(1)
    screenshot(page, tmp_path, "journey1-data", uploader)


def test_cdnow_sample_loads_through_the_data_page(page: Page, tmp_path: Path) -> None:
    file_input = open_data_page(page)
    file_input.set_input_files(str(CDNOW))
    wait_for_preview(page)
    # No header row: the columns are column1 … column5 and nothing maps itself.
    expect(page.get_by_text("no — columns are named column1")).to_be_visible()

    choose(page, page.get_by_role("combobox", name="Customer id", exact=True), "column2")
    choose(page, page.get_by_role("combobox", name="Purchase date", exact=True), "column3")
    choose(page, page.get_by_role("combobox", name="Amount (net line value)", exact=True),
           "column5")
    name = page.get_by_role("textbox", name="Dataset name", exact=True)
    name.fill("cdnow")
    name.press("Enter")
    expect(name).to_have_value("cdnow")
    wait_idle(page)
    click_load(page)

    success = page.get_by_test_id("stAlertContentSuccess").filter(has_text="Rows loaded into")
    expect(success).to_contain_text("Rows loaded into “cdnow”: 6,919 (now version 1",
                                     timeout=LOAD_MS)
    expect(metric(page, "Rows loaded")).to_have_text("6,919", timeout=RERUN_MS)
    expect(metric(page, "Customers")).to_have_text("2,357", timeout=RERUN_MS)
    expect(metric(page, "Rows rejected")).to_have_text("0", timeout=RERUN_MS)
    # The load made the new dataset the one every page shows.
    expect(sidebar_dataset_picker(page)).to_have_value("cdnow", timeout=RERUN_MS)
    screenshot(page, tmp_path, "journey2-cdnow-report", metric(page, "Rows loaded"))


# A 1C-style export: Windows-1251, semicolons, decimal commas with a space as thousands
# separator, dd.mm.yyyy HH:MM dates, Russian headers that map themselves.
RUSSIAN_EXPORT = (
    "Код клиента;Дата покупки;Сумма, руб.;Номер чека\r\n"
    "00123;05.03.2024 10:15;1 234,50;Ч-001\r\n"
    "00123;17.04.2024 18:40;990,00;Ч-002\r\n"
    "00456;05.03.2024 12:00;450,75;Ч-003\r\n"
    "00789;01.06.2024 09:05;2 100,00;Ч-004\r\n"
    "00456;20.06.2024 20:30;315,10;Ч-005\r\n"
)


def test_russian_windows_1251_export_loads_without_mapping(page: Page, tmp_path: Path) -> None:
    path = tmp_path / "продажи.csv"
    path.write_bytes(RUSSIAN_EXPORT.encode("cp1251"))

    file_input = open_data_page(page)
    file_input.set_input_files(str(path))
    wait_for_preview(page)
    detected = page.get_by_test_id("stMarkdownContainer").filter(has_text="Encoding:")
    expect(detected).to_contain_text("Windows-1251")
    expect(detected).to_contain_text("Semicolon")
    expect(detected).to_contain_text("Comma: 1 234,50")
    # The headers were decoded and matched to their roles; the mapping is left alone.
    expect(page.get_by_role("combobox", name="Customer id", exact=True)).to_have_value(
        "Код клиента")
    expect(page.get_by_role("combobox", name="Purchase date", exact=True)).to_have_value(
        "Дата покупки")
    expect(page.get_by_role("combobox", name="Amount (net line value)", exact=True)
           ).to_have_value("Сумма, руб.")
    expect(page.get_by_role("textbox", name="Dataset name", exact=True)).to_have_value("продажи")
    click_load(page)

    success = page.get_by_test_id("stAlertContentSuccess").filter(has_text="Rows loaded into")
    expect(success).to_contain_text("Rows loaded into “продажи”: 5 (now version 1",
                                    timeout=LOAD_MS)
    expect(metric(page, "Rows loaded")).to_have_text("5", timeout=RERUN_MS)
    expect(metric(page, "Rows rejected")).to_have_text("0", timeout=RERUN_MS)
    expect(metric(page, "Customers")).to_have_text("3", timeout=RERUN_MS)

    picker = sidebar_dataset_picker(page)
    expect(picker).to_have_value("продажи", timeout=RERUN_MS)
    assert "продажи" in options_of(page, picker)
    screenshot(page, tmp_path, "journey3-russian-report", metric(page, "Rows loaded"))


# A CRM export for the customer file: two ids no dataset of these journeys has (so no number
# of another journey moves), one repeated line that is rejected.
CRM_EXPORT = (
    "Client;E-mail;Town\n"
    "CRM-1;anna@example.org;Tver\n"
    "CRM-2;boris@example.org;Kazan\n"
    "CRM-1;again@example.org;Omsk\n"
)


def test_a_customer_file_merges_through_the_data_page(page: Page, tmp_path: Path) -> None:
    path = tmp_path / "crm.csv"
    path.write_text(CRM_EXPORT, encoding="utf-8")
    page.goto("/data")
    uploader = page.get_by_test_id("stFileUploader").filter(has_text="Customer file")
    expect(uploader).to_be_visible(timeout=FIRST_RUN_MS)
    uploader.locator("input[type=file]").set_input_files(str(path))
    expect(page.get_by_role("heading", name="Customer columns")).to_be_visible(timeout=RERUN_MS)
    expect(page.get_by_role("combobox", name="Customer id", exact=True)).to_have_value("Client")
    expect(page.get_by_role("combobox", name="Email", exact=True)).to_have_value("E-mail")
    expect(page.get_by_role("combobox", name="City", exact=True)).to_have_value("Town")
    button = page.get_by_role("button", name="Merge into the customers", exact=True)
    expect(button).to_be_enabled(timeout=RERUN_MS)
    wait_idle(page)
    button.click()

    success = page.get_by_test_id("stAlertContentSuccess").filter(has_text="Customers merged")
    expect(success).to_contain_text("Customers merged into “", timeout=LOAD_MS)
    expect(metric(page, "Customers merged")).to_have_text("2", timeout=RERUN_MS)
    expect(metric(page, "Without purchases")).to_have_text("2", timeout=RERUN_MS)
    expect(metric(page, "Rows rejected")).to_have_text("1", timeout=RERUN_MS)
    screenshot(page, tmp_path, "journey4-customer-file", metric(page, "Customers merged"))
