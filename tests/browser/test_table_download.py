"""Real-browser check that Streamlit's own table toolbar cannot export a live formula.

Every ``st.dataframe`` has a hover toolbar with "Download as CSV", which writes the cells the
browser holds without passing through ``retention.export``. A customer id
``=HYPERLINK("http://x","y")`` must still leave as text (with a leading apostrophe), both from
the Data page's preview of the raw file and from a page's table of customers after the load.

Streamlit saves the CSV with the File System Access API when the browser has it, which opens a
native save dialog that Playwright cannot drive; the init script hides that API, so Streamlit
takes its own fallback, an ordinary download that Playwright catches.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.test_journeys import (
    LOAD_MS,
    RERUN_MS,
    click_load,
    open_data_page,
    screenshot,
    wait_for_preview,
    wait_idle,
)

pytestmark = pytest.mark.browser

HOSTILE_ID = '=HYPERLINK("http://x","y")'
NEUTRALISED_ID = "'" + HOSTILE_ID
DATASET = "hostile ids"


def hostile_file(tmp_path: Path) -> Path:
    """The hostile customer buys 100 on the 15th of every month of 2024 (ABC/XYZ's AX, the
    cell the page opens on); a second customer buys once, on the last day (the as-of date)."""
    rows = ["customer_id,date,amount"]
    rows += [f'"{HOSTILE_ID.replace(chr(34), chr(34) * 2)}",2024-{month:02d}-15,100.00'
             for month in range(1, 13)]
    rows.append("B1,2024-12-31,10.00")
    path = tmp_path / f"{DATASET}.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def toolbar_csv(page: Page, table: Locator) -> list[list[str]]:
    """Download ``table`` through its toolbar's "Download as CSV" and return the rows."""
    wait_idle(page)
    table.scroll_into_view_if_needed()
    table.hover()
    button = table.get_by_role("button", name="Download as CSV")
    expect(button).to_be_visible(timeout=RERUN_MS)
    with page.expect_download(timeout=RERUN_MS) as download_info:
        button.click()
    text = Path(download_info.value.path()).read_text(encoding="utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def cells_of(rows: list[list[str]], header: str) -> list[str]:
    column = rows[0].index(header)
    return [row[column] for row in rows[1:]]


def test_toolbar_download_neutralises_formula_cells(page: Page, tmp_path: Path) -> None:
    page.add_init_script("delete window.showSaveFilePicker;")

    # 1. the Data page's preview of the raw file
    file_input = open_data_page(page)
    file_input.set_input_files(str(hostile_file(tmp_path)))
    wait_for_preview(page)
    preview = page.get_by_test_id("stDataFrame").first
    rows = toolbar_csv(page, preview)
    assert cells_of(rows, "customer_id")[0] == NEUTRALISED_ID

    # 2. after the load, the ABC/XYZ page's list of the AX cell's customers
    click_load(page)
    success = page.get_by_test_id("stAlertContentSuccess").filter(has_text="Rows loaded into")
    expect(success).to_contain_text(f"Rows loaded into “{DATASET}”: 13", timeout=LOAD_MS)
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="ABC/XYZ", exact=True).click()
    expect(page.get_by_role("heading", name="Customers of one cell")).to_be_visible(
        timeout=LOAD_MS)
    wait_idle(page)
    customers = page.get_by_test_id("stDataFrame").filter(visible=True).last
    rows = toolbar_csv(page, customers)
    assert rows[0][0] == "Customer"
    assert cells_of(rows, "Customer") == [NEUTRALISED_ID]
    screenshot(page, tmp_path, "toolbar-download", customers)
