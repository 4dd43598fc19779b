"""What a download's address gives away on a running server (issue 10, point 15).

Streamlit serves downloads at /media/<id>.<ext> with no check of the session or its sign-in:
whoever has the address gets the file while the server holds it. This journey pins down how
long that is for the app's own downloads: the file is built on the click and is gone within
two download sweeps (``frame.DOWNLOAD_SWEEP_SECONDS``) of it.
"""

from __future__ import annotations

import re
import time
import urllib.error
import urllib.request

import pytest
from playwright.sync_api import Page, expect

from retention.ui.frame import DOWNLOAD_SWEEP_SECONDS

pytestmark = pytest.mark.browser

FIRST_RUN_MS = 60_000


def _status(url: str) -> tuple[int, bytes]:
    """A bare GET: no cookie, no websocket, no session — what a copied link gets."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, b""


def test_a_download_link_answers_anyone_until_the_sweeper_clears_it(page: Page,
                                                                    app_url: str) -> None:
    page.goto("/data")
    button = page.locator(".st-key-datasets_table_csv").get_by_role("button")
    expect(button).to_be_visible(timeout=FIRST_RUN_MS)
    expect(page.get_by_test_id("stApp")).to_have_attribute(
        "data-test-script-state", "notRunning", timeout=FIRST_RUN_MS)

    with page.expect_download() as clicked:
        button.click()
    url = clicked.value.url
    built = time.monotonic()
    # the id is a 128-bit hash of the file (length, content, type, name): not guessable
    # without the content, but not random either, and the address alone fetches the file
    match = re.fullmatch(re.escape(app_url) + r"/media/([0-9a-f]{32})\.csv", url)
    assert match, url

    status, body = _status(url)
    assert status == 200, "a link to a built download answers without any sign-in"
    assert "Sample shop" in body.decode("utf-8-sig")

    deadline = built + 2 * DOWNLOAD_SWEEP_SECONDS + 10  # two sweeps, and a busy machine
    while _status(url)[0] == 200:
        assert time.monotonic() < deadline, f"{url} still answers after {deadline - built:.0f} s"
        time.sleep(1)
    assert _status(url)[0] == 404
