"""Team mode signing in through OpenID Connect in a real browser (issue 13, DESIGN §9).

The dashboard runs with an ``[auth]`` section pointing at the test provider of
tests/oidc_provider.py, so every step is Streamlit's own ``st.login`` flow: the button sends
the browser to /auth/login, on to the provider's /authorize, back to /oauth2callback, where
Authlib exchanges the code (with PKCE) and checks the signed id token, then to the app. A
person the registry knows lands, signed in, on the view of the link they opened; one it does
not know, or whose address the provider has not verified, is told and sees no data.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Browser, Page, expect

from retention.ingest import load_file
from retention.registry import Registry, TeamWorkspace
from retention.store import close_workspace, open_workspace
from tests.browser.conftest import ACTION_TIMEOUT_MS, VIEWPORT, app_server
from tests.browser.test_journeys import RERUN_MS, sidebar_dataset_picker, wait_idle
from tests.conftest import TINY_PURCHASES
from tests.oidc_provider import OpenIDProvider, running_provider

pytestmark = pytest.mark.browser

NO_ACCOUNT = "this dashboard has no account for that address"


class OidcServer(NamedTuple):
    url: str
    provider: OpenIDProvider
    north: TeamWorkspace
    south: TeamWorkspace


@pytest.fixture(scope="module")
def oidc_server(tmp_path_factory: pytest.TempPathFactory,
                chromium_path: Path) -> Iterator[OidcServer]:
    """A team-mode server signing in through the test provider: North (Ann admin) holding
    "North data", South (Ann viewer) holding "South data"."""
    folder = tmp_path_factory.mktemp("oidc-server")
    env = {"RETENTION_REGISTRY": str(folder / "registry.sqlite3"),
           "RETENTION_WORKSPACES_DIR": str(folder / "workspaces"), "RETENTION_NO_SAMPLE": "1"}
    registry = Registry.open(env["RETENTION_REGISTRY"])
    purchases = folder / "tiny.csv"
    purchases.write_text(TINY_PURCHASES, encoding="utf-8")
    registry.add_user("ann@example.org")  # no password: she signs in through the provider
    workspaces = []
    for name, role in [("North", "admin"), ("South", "viewer")]:
        workspace = registry.add_workspace(f"{name} shop")
        load_file(open_workspace(workspace.db), purchases, dataset=f"{name} data")
        close_workspace(workspace.db)  # the server's process opens it next
        registry.grant("ann@example.org", workspace.workspace_id, role)
        workspaces.append(workspace)
    with running_provider() as provider:
        # Streamlit fills in {port} with the port the server listens on
        (folder / "secrets.toml").write_text(
            "[auth]\n"
            'redirect_uri = "http://127.0.0.1:{port}/oauth2callback"\n'
            f'cookie_secret = "{secrets.token_hex(32)}"\n'
            f'client_id = "{provider.client_id}"\n'
            f'client_secret = "{provider.client_secret}"\n'
            f'server_metadata_url = "{provider.metadata_url}"\n', encoding="utf-8")
        with app_server(folder, env) as url:
            provider.redirect_uris.add(f"{url}/oauth2callback")
            yield OidcServer(url, provider, *workspaces)


def sign_in_at_provider(browser: Browser, server: OidcServer, email: str, address: str = "/",
                        *, verified: bool = True) -> Page:
    """A new browser context that opens ``address``, clicks "Sign in" and tells the provider
    it is ``email``; returned once the browser is back on the dashboard and it is idle."""
    context = browser.new_context(viewport=VIEWPORT, base_url=server.url, locale="en-US")
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    page = context.new_page()
    page.goto(address)
    exchanges, with_pkce = server.provider.token_exchanges, server.provider.pkce_exchanges
    page.get_by_role("button", name="Sign in").click()
    # anchored with the "/": the two servers differ only in their ports
    page.wait_for_url(re.compile("^" + re.escape(server.provider.issuer) + "/authorize"),
                      timeout=RERUN_MS)
    page.get_by_role("textbox", name="Email").fill(email)
    if not verified:
        page.get_by_role("checkbox").uncheck()
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(re.compile("^" + re.escape(server.url) + "/"), timeout=RERUN_MS)
    wait_idle(page)
    assert server.provider.token_exchanges == exchanges + 1  # Authlib took the code,
    assert server.provider.pkce_exchanges == with_pkce + 1  # proving it started the sign-in
    return page


def test_a_link_opened_signed_out_lands_on_its_view_after_signing_in(
        browser: Browser, oidc_server: OidcServer, tmp_path: Path) -> None:
    south = oidc_server.south.workspace_id
    link = f"/ltv?ws={south}&dataset=1&as_of=2025-02-01&window=60"
    page = sign_in_at_provider(browser, oidc_server, "ann@example.org", link)
    try:
        # md_escape puts word joiners around the email's "@" and ".": match its name only
        expect(page.get_by_text(re.compile(
            r"Team mode \(signed in through your organisation\): ann.*viewer of this "
            r"workspace"))).to_be_visible(timeout=RERUN_MS)
        expect(page).to_have_url(re.compile("^" + re.escape(oidc_server.url) + r"/ltv\?"))
        query = parse_qs(urlsplit(page.url).query)
        assert {name: query.get(name) for name in ("ws", "dataset", "as_of", "window")} == {
            "ws": [str(south)], "dataset": ["1"], "as_of": ["2025-02-01"], "window": ["60"]}
        assert "session" not in query  # st.login's cookie holds the sign-in, not the address
        expect(sidebar_dataset_picker(page)).to_have_value("South data")
        expect(page.get_by_role("tab", name="Retention rate")).to_be_visible()
        page.screenshot(path=str(tmp_path / "landed-on-the-link.png"), full_page=True)

        page.reload()  # Streamlit's identity cookie keeps the sign-in; no second landing
        expect(page.get_by_text(re.compile(r"Team mode \(signed in through your "
                                           r"organisation\): ann"))).to_be_visible(
            timeout=RERUN_MS)
        expect(page).to_have_url(re.compile(r"/ltv\?"))
    finally:
        page.context.close()


def test_another_browsers_link_is_not_this_ones_and_sign_out_ends_the_sign_in(
        browser: Browser, oidc_server: OidcServer) -> None:
    # someone else opened a link to South and went to sign in, and has not come back yet
    other = browser.new_context(viewport=VIEWPORT, base_url=oidc_server.url, locale="en-US")
    other.set_default_timeout(ACTION_TIMEOUT_MS)
    waiting = other.new_page()
    waiting.goto(f"/ladder?ws={oidc_server.south.workspace_id}")
    waiting.get_by_role("button", name="Sign in").click()
    waiting.wait_for_url(re.compile("^" + re.escape(oidc_server.provider.issuer) + "/"))
    page = sign_in_at_provider(browser, oidc_server, "ann@example.org")
    try:
        expect(page.get_by_text(re.compile(
            r"Team mode \(signed in through your organisation\): ann.*admin of this "
            r"workspace"))).to_be_visible(timeout=RERUN_MS)
        expect(sidebar_dataset_picker(page)).to_have_value("North data")
        assert urlsplit(page.url).path == "/"

        page.get_by_test_id("stSidebar").get_by_role("button", name="Sign out").click()
        expect(page.get_by_role("button", name="Sign in")).to_be_visible(timeout=RERUN_MS)
        expect(page.get_by_text("North data")).to_have_count(0)
    finally:
        page.context.close()
        other.close()


@pytest.mark.parametrize(("email", "verified"), [("stranger@example.org", True),
                                                 ("ann@example.org", False)],
                         ids=["unknown-address", "unverified-address"])
def test_an_address_the_registry_cannot_trust_sees_no_data(
        browser: Browser, oidc_server: OidcServer, email: str, verified: bool) -> None:
    north = oidc_server.north.workspace_id
    page = sign_in_at_provider(browser, oidc_server, email, f"/data?ws={north}",
                               verified=verified)
    try:
        expect(page.get_by_text(NO_ACCOUNT)).to_be_visible(timeout=RERUN_MS)
        expect(page.get_by_text("Team mode (")).to_have_count(0)
        expect(page.get_by_text("North data")).to_have_count(0)
        expect(page.get_by_test_id("stFileUploader")).to_have_count(0)
        expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    finally:
        page.context.close()
