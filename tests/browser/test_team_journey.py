"""Team mode in a real browser (issue 13): two browser contexts signed in as two users of one
server each see only their own workspace, a link to the other's is refused with a sentence, a
reload keeps the sign-in, and a viewer finds no upload."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from retention.ingest import load_file
from retention.registry import Registry, TeamWorkspace
from retention.store import close_workspace, open_workspace
from retention.ui.team import NOT_A_MEMBER
from tests.browser.conftest import ACTION_TIMEOUT_MS, VIEWPORT, app_server
from tests.browser.test_journeys import RERUN_MS, sidebar_dataset_picker, wait_idle
from tests.conftest import TINY_PURCHASES

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def team_server(tmp_path_factory: pytest.TempPathFactory,
                chromium_path: Path) -> Iterator[tuple[str, dict[str, TeamWorkspace]]]:
    """A server in team mode: North (Ann admin, Vic viewer) holding "North data", South (Sue
    admin) holding "South data"; yields its URL and the workspaces by name."""
    folder = tmp_path_factory.mktemp("team-server")
    env = {"RETENTION_REGISTRY": str(folder / "registry.sqlite3"),
           "RETENTION_WORKSPACES_DIR": str(folder / "workspaces"), "RETENTION_NO_SAMPLE": "1"}
    registry = Registry.open(env["RETENTION_REGISTRY"])
    purchases = folder / "tiny.csv"
    purchases.write_text(TINY_PURCHASES, encoding="utf-8")
    workspaces = {}
    for name, people in [("North", {"ann": "admin", "vic": "viewer"}), ("South", {"sue": "admin"})]:
        workspace = registry.add_workspace(f"{name} shop")
        load_file(open_workspace(workspace.db), purchases, dataset=f"{name} data")
        close_workspace(workspace.db)  # the server's process opens it next
        for person, role in people.items():
            registry.add_user(f"{person}@example.org", PASSWORD)
            registry.grant(f"{person}@example.org", workspace.workspace_id, role)
        workspaces[name] = workspace
    with app_server(folder, env) as url:
        yield url, workspaces


def signed_in_page(browser: Browser, url: str, email: str, address: str = "/") -> Page:
    """A new browser context (a separate person) that opens ``address`` and signs in there as
    ``email``."""
    context = browser.new_context(viewport=VIEWPORT, base_url=url, locale="en-US")
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    page = context.new_page()
    page.goto(address)
    page.get_by_role("textbox", name="Email").fill(email)
    page.get_by_role("textbox", name="Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    # md_escape puts word joiners around the email's "@" and ".": match its name only
    expect(page.get_by_text(re.compile(r"Team mode \(local account\): " + email.split("@")[0])
                            )).to_be_visible(timeout=RERUN_MS)
    wait_idle(page)
    return page


def test_two_people_each_see_only_their_workspace(browser: Browser, team_server,
                                                  tmp_path: Path) -> None:
    url, workspaces = team_server
    ann = signed_in_page(browser, url, "ann@example.org")
    sue = signed_in_page(browser, url, "sue@example.org")
    try:
        expect(sidebar_dataset_picker(ann)).to_have_value("North data")
        expect(sidebar_dataset_picker(sue)).to_have_value("South data")

        ann.reload()  # the sign-in survives: the token rides in the address
        expect(sidebar_dataset_picker(ann)).to_have_value("North data", timeout=RERUN_MS)

        ann.goto(f"/?ws={workspaces['South'].workspace_id}&session="
                 + ann.url.split("session=")[1].split("&")[0])
        expect(ann.get_by_text(NOT_A_MEMBER)).to_be_visible(timeout=RERUN_MS)
        expect(sidebar_dataset_picker(ann)).to_have_value("North data")
        expect(ann.get_by_text("South data")).to_have_count(0)
        ann.screenshot(path=str(tmp_path / "refused-link.png"), full_page=True)
    finally:
        ann.context.close()
        sue.context.close()


def test_a_viewer_finds_no_upload(browser: Browser, team_server) -> None:
    url, _ = team_server
    vic = signed_in_page(browser, url, "vic@example.org")
    try:
        vic.goto(vic.url.replace(url + "/", url + "/data"))
        expect(vic.get_by_text("you can read and export").first).to_be_visible(
            timeout=RERUN_MS)
        expect(vic.get_by_test_id("stFileUploader")).to_have_count(0)
    finally:
        vic.context.close()


def test_a_link_opened_before_signing_in_is_checked_after(browser: Browser, team_server) -> None:
    url, workspaces = team_server
    sue = signed_in_page(browser, url, "sue@example.org",
                         f"/data?ws={workspaces['North'].workspace_id}")
    try:
        expect(sue.get_by_text(NOT_A_MEMBER)).to_be_visible(timeout=RERUN_MS)
        expect(sidebar_dataset_picker(sue)).to_have_value("South data")
        expect(sue.get_by_role("heading", name="Load a file")).to_be_visible()  # the link's page
    finally:
        sue.context.close()


def test_a_reload_after_a_page_switch_keeps_the_sign_in_and_sign_out_ends_it(
        browser: Browser, team_server) -> None:
    url, _ = team_server
    vic = signed_in_page(browser, url, "vic@example.org")
    try:
        vic.get_by_test_id("stSidebarNav").get_by_role("link", name="Data", exact=True).click()
        expect(vic.get_by_role("heading", name="Load a file")).to_be_visible(timeout=RERUN_MS)
        wait_idle(vic)
        expect(vic).to_have_url(re.compile(r"/data\?.*session="), timeout=RERUN_MS)
        vic.reload()
        expect(vic.get_by_role("heading", name="Load a file")).to_be_visible(timeout=RERUN_MS)

        address = vic.url
        vic.get_by_role("button", name="Sign out").click()
        expect(vic.get_by_role("textbox", name="Email")).to_be_visible(timeout=RERUN_MS)
        vic.goto(address)  # the old address, token and all, no longer signs in
        expect(vic.get_by_text("Your sign-in has ended")).to_be_visible(timeout=RERUN_MS)
    finally:
        vic.context.close()


def sidebar_value(page: Page, label: str) -> Locator:
    """The input of the sidebar's date or number widget labelled ``label``."""
    widget = page.get_by_test_id("stSidebar").locator(
        "[data-testid=stDateInput], [data-testid=stNumberInput]").filter(has_text=label)
    return widget.locator("input")


def test_a_shared_view_opens_the_same_for_a_colleague_and_not_for_another_team(
        browser: Browser, team_server) -> None:
    url, workspaces = team_server
    north = workspaces["North"].workspace_id
    # Ann opens a link before signing in: after the sign-in she is on its page and view
    ann = signed_in_page(browser, url, "ann@example.org",
                         f"/ltv?ws={north}&as_of=2025-02-15&window=45")
    vic = sue = None
    try:
        expect(ann.get_by_role("heading", name=re.compile("Retention"))).to_be_visible()
        expect(sidebar_value(ann, "As of")).to_have_value("2025-02-15")
        expect(sidebar_value(ann, "Activity window (days)")).to_have_value("45")
        ann.get_by_test_id("stSidebar").get_by_role("button", name="Share this view").click()
        link = ann.get_by_test_id("stPopoverBody").get_by_test_id("stCode").inner_text().strip()
        assert link.startswith(f"{url}/ltv?") and "session" not in link
        assert "as_of=2025-02-15" in link and "window=45" in link and f"ws={north}" in link

        vic = signed_in_page(browser, url, "vic@example.org", link)
        expect(vic).to_have_url(re.compile(r"/ltv\?"))
        expect(sidebar_dataset_picker(vic)).to_have_value("North data")
        expect(sidebar_value(vic, "As of")).to_have_value("2025-02-15")
        expect(sidebar_value(vic, "Activity window (days)")).to_have_value("45")

        sue = signed_in_page(browser, url, "sue@example.org", link)
        expect(sue.get_by_text(NOT_A_MEMBER)).to_be_visible(timeout=RERUN_MS)
        expect(sidebar_dataset_picker(sue)).to_have_value("South data")
        # none of the refused link's choices: South's own as-of date and the usual window
        expect(sidebar_value(sue, "As of")).to_have_value("2025-03-01")
        expect(sidebar_value(sue, "Activity window (days)")).to_have_value("90")
    finally:
        for page in (ann, vic, sue):
            if page is not None:
                page.context.close()
