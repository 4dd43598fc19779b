"""Real-browser journey through the loyalty simulator: build a programme, copy its link, open
the link in a new browser context (a new session, as a teammate would) and see the same
numbers."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import ACTION_TIMEOUT_MS, VIEWPORT
from tests.browser.test_journeys import (
    FIRST_RUN_MS,
    RERUN_MS,
    SAMPLE_DATASET,
    choose,
    metric,
    screenshot,
    sidebar_dataset_picker,
    wait_idle,
)

pytestmark = pytest.mark.browser

# The cards the journey compares: the replay's and the projection's.
CARDS = ("Members", "Expected reward cost", "Cost as % of member revenue",
         "Incremental profit over 60 months", "Payback", "Break-even retention uplift")


def open_on_the_sample(page: Page, address: str) -> None:
    """``address`` on the sample shop (another journey on this server may have loaded a newer
    dataset, which a new session would show first)."""
    page.goto(address)
    picker = sidebar_dataset_picker(page)
    expect(picker).to_be_visible(timeout=FIRST_RUN_MS)
    if picker.input_value() != SAMPLE_DATASET:
        choose(page, picker, SAMPLE_DATASET)
    expect(metric(page, "Members")).to_be_visible(timeout=FIRST_RUN_MS)
    wait_idle(page)


def set_number(page: Page, label: str, value: str) -> None:
    field = page.get_by_role("spinbutton", name=label, exact=True)
    field.fill(value)
    field.press("Enter")
    expect(field).to_have_value(value, timeout=RERUN_MS)
    wait_idle(page)


def choose_option(page: Page, group: str, option: str) -> None:
    """Pick ``option`` of the st.radio labelled ``group``."""
    page.get_by_role("radiogroup", name=group).get_by_text(option, exact=True).click()
    expect(page.get_by_role("radio", name=option, exact=True)).to_be_checked(timeout=RERUN_MS)
    wait_idle(page)


def cards(page: Page) -> dict[str, str]:
    return {label: metric(page, label).inner_text() for label in CARDS}


def test_a_programme_link_opens_the_same_numbers_in_a_new_session(
    page: Page, browser: Browser, app_url: str, tmp_path: Path,
) -> None:
    open_on_the_sample(page, "/loyalty")

    # 3.5% cashback for everyone, with a 1-point retention uplift over 60 months
    choose_option(page, "Programme type", "Cashback")
    wait_idle(page)
    set_number(page, "Cashback (%)", "3.50")
    choose_option(page, "Who joins", "Everyone")
    set_number(page, "Retention uplift (points of monthly retention)", "1.00")
    # one key, one rerun: the slider's end, 60 months
    page.get_by_role("slider", name="Months to project").press("End")
    expect(metric(page, "Incremental profit over 60 months")).to_be_visible(timeout=RERUN_MS)
    wait_idle(page)
    built = cards(page)
    link = page.get_by_test_id("stCode").inner_text().strip()
    assert link.startswith(f"{app_url}/loyalty?") and "dataset=" in link
    assert "programme=cashback" in link
    assert "cashback_rate=0.035" in link and "joiners=everyone" in link
    assert "months=60" in link
    screenshot(page, tmp_path, "loyalty-built", metric(page, "Members"))

    teammate = browser.new_context(viewport=VIEWPORT, locale="en-US")
    teammate.set_default_timeout(ACTION_TIMEOUT_MS)
    try:
        opened = teammate.new_page()
        opened.goto(link)
        # the link names its dataset: a new session showing another one switches to it
        expect(opened.get_by_text("The programme was restored from the link.")).to_be_visible(
            timeout=FIRST_RUN_MS)
        expect(sidebar_dataset_picker(opened)).to_have_value(SAMPLE_DATASET, timeout=RERUN_MS)
        expect(opened.get_by_role("spinbutton", name="Cashback (%)", exact=True)).to_have_value(
            "3.50", timeout=RERUN_MS)
        for label, value in built.items():
            expect(metric(opened, label)).to_have_text(value, timeout=RERUN_MS)
        screenshot(opened, tmp_path, "loyalty-opened", metric(opened, "Members"))
    finally:
        teammate.close()
