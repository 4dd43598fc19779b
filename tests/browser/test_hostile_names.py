"""Customer ids, cities, channels, products, categories and a dataset name that are HTML,
script, a ``javascript:`` address or a markdown link render as text on every page (issue 13).

A server of its own runs on a workspace that holds only such a dataset (40 customers over 14
months, half of them repeat buyers, so every page draws its tables and lists). A browser walks
the whole navigation, opens each page's tabs and expanders, and checks that no dialog fired and
that none of the values ever became an element, even for a moment: no ``img`` with ``src="x"``,
no script with the alert, no link to ``javascript:`` or to evil.example.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from retention.ingest import load_file
from retention.store import close_workspace, open_workspace
from tests.browser.conftest import VIEWPORT, app_server
from tests.browser.test_journeys import FIRST_RUN_MS, wait_idle

pytestmark = pytest.mark.browser

IMG = "<img src=x onerror=alert(1)>"
SCRIPT = "<script>alert(2)</script>"
JAVASCRIPT_URL = "javascript:alert(3)"
MARKDOWN_LINK = "[click](http://evil.example)"
HOSTILE = [IMG, SCRIPT, JAVASCRIPT_URL, MARKDOWN_LINK]
DATASET = f"{SCRIPT} shop"
CUSTOMERS = 40
MONTHS = 14

PAGES = ["Home", "Loyalty ladder", "Retention & LTV", "ABC/XYZ", "Portraits", "Churn risk",
         "Loyalty programme", "Audiences", "Data"]

# Run in every frame before the page's own scripts (components draw in iframes): record each
# element that any of the values would create if a page rendered it as HTML or markdown, even
# one that is removed again at once.
WATCH_ELEMENTS = """
window.__hostileElements = [];
(() => {
  const forbidden = (el) => {
    const tag = el.tagName;
    if (tag === 'IMG') return el.getAttribute('src') === 'x';
    if (tag === 'SCRIPT') return (el.textContent || '').includes('alert(2)');
    if (tag === 'A') {
      const href = (el.getAttribute('href') || '').trim().toLowerCase();
      return href.startsWith('javascript:') || href.includes('evil.example');
    }
    return false;
  };
  const check = (node) => {
    if (node.nodeType !== Node.ELEMENT_NODE) return;
    for (const el of [node, ...node.querySelectorAll('img, script, a')]) {
      if (forbidden(el)) window.__hostileElements.push(el.outerHTML.slice(0, 200));
    }
  };
  new MutationObserver((records) => {
    for (const record of records) {
      if (record.type === 'attributes') check(record.target);
      for (const node of record.addedNodes) check(node);
    }
  }).observe(document, {subtree: true, childList: true, attributes: true,
                        attributeFilter: ['src', 'href']});
})();
"""


def customer_id(number: int) -> str:
    """The first four customers are the hostile values themselves, the rest carry one too."""
    if number < len(HOSTILE):
        return HOSTILE[number]
    return f"{HOSTILE[number % len(HOSTILE)]} {number}"


def write_purchases(path: Path) -> None:
    """40 customers from January 2024: the even ones buy most months for 14 months, the odd
    ones once or twice; every text column cycles through the hostile values."""
    with path.open("w", newline="", encoding="utf-8") as file:
        out = csv.writer(file)
        out.writerow(["order id", "customer", "date", "amount", "city", "channel", "product",
                      "category"])
        for number in range(CUSTOMERS):
            months = range(MONTHS) if number % 2 == 0 else range(1 + number % 2 + number % 3)
            for month in months:
                if number % 4 == 0 and month % 3 == 2:
                    continue  # a gap: some buyers lapse and come back
                day = dt.date(2024, 1, 1) + dt.timedelta(days=30 * month + number % 27)
                out.writerow([
                    f"O{number}-{month}", customer_id(number), day.isoformat(),
                    f"{15 + (number * 7 + month * 3) % 90}.25",
                    HOSTILE[number % 4], HOSTILE[(number + 1) % 4],
                    HOSTILE[(number + month) % 4], HOSTILE[(number + 2) % 4],
                ])


@pytest.fixture(scope="module")
def hostile_url(tmp_path_factory: pytest.TempPathFactory, chromium_path: Path) -> Iterator[str]:
    """A dashboard on a workspace whose only dataset is the hostile one (no sample shop)."""
    folder = tmp_path_factory.mktemp("hostile-server")
    db = folder / "ws.duckdb"
    purchases = folder / "hostile.csv"
    write_purchases(purchases)
    load_file(open_workspace(db), purchases, dataset=DATASET)
    close_workspace(db)  # the server process must be able to take the file's lock
    with app_server(folder, {"RETENTION_DB": str(db), "RETENTION_NO_SAMPLE": "1"}) as url:
        yield url


def hostile_elements(page: Page) -> list[str]:
    """The forbidden elements the watcher saw created in any frame so far."""
    found: list[str] = []
    for frame in page.frames:
        found += frame.evaluate("window.__hostileElements || []")
    return found


def prove_the_watcher_sees(page: Page) -> None:
    """The control: an ``img`` with ``src="x"`` added by hand is recorded (and then removed)."""
    page.evaluate("""() => {
        const probe = document.createElement('img');
        probe.setAttribute('src', 'x');
        document.body.appendChild(probe);
    }""")
    assert hostile_elements(page) == ['<img src="x">']
    page.evaluate("() => { document.querySelector('img[src=\"x\"]').remove();"
                  " window.__hostileElements = []; }")


def open_expanders(page: Page) -> None:
    """Open every closed expander in view (those in hidden tabs wait for their tab)."""
    closed = page.get_by_test_id("stMain").locator(
        "[data-testid=stExpander] details:not([open]) > summary:visible")
    for _ in range(closed.count()):
        closed.first.click()
        wait_idle(page)
    expect(closed).to_have_count(0)


def open_everything(page: Page) -> None:
    """Open the page's expanders, then click each tab (which may rerun the page) and open the
    expanders it shows."""
    open_expanders(page)
    tabs = page.get_by_test_id("stMain").get_by_role("tab")
    for index in range(tabs.count()):
        tabs.nth(index).click()
        wait_idle(page)
        open_expanders(page)


def test_hostile_names_render_as_text_on_every_page(browser, hostile_url: str,
                                                    tmp_path: Path) -> None:
    context = browser.new_context(viewport=VIEWPORT, base_url=hostile_url, locale="en-US")
    dialogs: list[str] = []
    shown_as_text: list[str] = []
    try:
        context.add_init_script(WATCH_ELEMENTS)
        page = context.new_page()
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        page.goto("/")
        navigation = page.get_by_test_id("stSidebarNav")
        expect(navigation).to_be_visible(timeout=FIRST_RUN_MS)
        prove_the_watcher_sees(page)
        for title in PAGES:
            link = navigation.get_by_role("link", name=title, exact=True)
            link.click()
            # the page's address, with the view's query parameters (dataset, dates, language)
            expect(page).to_have_url(re.compile("^" + re.escape(str(link.get_attribute("href")))
                                                + r"(\?.*)?$"), timeout=FIRST_RUN_MS)
            wait_idle(page)
            # nothing left over from the page before (Streamlit marks such elements stale)
            expect(page.locator("[data-stale=true]")).to_have_count(0, timeout=FIRST_RUN_MS)
            expect(page.get_by_test_id("stMain")).to_be_visible()
            open_everything(page)
            page.screenshot(path=str(tmp_path / f"{title.replace('/', '-')}.png"))
            assert page.get_by_test_id("stException").count() == 0, f"{title}: an exception"
            assert hostile_elements(page) == [], f"{title}: a value became an element"
            assert dialogs == [], f"{title}: a dialog fired"
            text = page.get_by_test_id("stApp").inner_text()
            shown_as_text += [f"{title}: {value}" for value in HOSTILE if value in text]
        # the control: the values did reach the pages, as the characters they are
        assert any(IMG in entry for entry in shown_as_text), shown_as_text
        assert any(MARKDOWN_LINK in entry for entry in shown_as_text), shown_as_text
    finally:
        context.close()
