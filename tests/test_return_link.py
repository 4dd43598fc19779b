"""What an OpenID Connect sign-in may return to (retention/ui/return_link.py): only a page of
this app on the origin of ``redirect_uri``, with the link's parameters, once, for ten minutes,
for the browser that asked."""

from __future__ import annotations

import pytest
from streamlit.web.server.starlette.starlette_app_utils import generate_xsrf_token_string

from retention.ui.return_link import (
    MAX_VALUE_CHARS,
    PendingReturns,
    ReturnLink,
    app_root,
    browser_key,
    return_link_from,
)

ROOT = "http://127.0.0.1:8501/"
PAGES = ["", "ladder", "ltv", "data", "team"]
LINK = {"ws": "2", "dataset": "1", "as_of": "2024-05-01", "window": "60"}


def link(url: str, query: dict[str, object] | None = None, root: str = ROOT):
    return return_link_from(url, LINK if query is None else query, root=root, page_paths=PAGES)


# -- the app's root from redirect_uri ----------------------------------------------------------


@pytest.mark.parametrize(("redirect_uri", "root"), [
    ("http://127.0.0.1:{port}/oauth2callback", "http://127.0.0.1:8501/"),
    ("https://Dashboard.Example.org/oauth2callback", "https://dashboard.example.org/"),
    ("https://example.org/retention/oauth2callback/", "https://example.org/retention/"),
    ("https://example.org/oauth2callbacks", None),
    ("https://example.org/", None),
    ("/oauth2callback", None),
    ("javascript://example.org/oauth2callback", None),
])
def test_the_root_is_redirect_uri_less_its_callback(redirect_uri: str, root: str | None) -> None:
    assert app_root(redirect_uri, 8501) == root


# -- which addresses are returned to ------------------------------------------------------------


def test_a_page_of_the_app_keeps_the_links_parameters() -> None:
    assert link("http://127.0.0.1:8501/ltv") == ReturnLink("ltv", LINK)


def test_home_with_parameters_is_returned_to_and_home_without_is_not() -> None:
    assert link("http://127.0.0.1:8501/") == ReturnLink("", LINK)
    assert link("http://127.0.0.1:8501") == ReturnLink("", LINK)
    assert link("http://127.0.0.1:8501/", {}) is None  # where the callback lands anyway
    assert link("http://127.0.0.1:8501/ltv", {}) == ReturnLink("ltv", {})


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:8501/settings",  # no such page
    "http://127.0.0.1:8501/ltv/extra",
    "http://127.0.0.1:8501//evil.example/ltv",
    "http://evil.example/ltv",  # a foreign host
    "http://127.0.0.1:8502/ltv",  # another server on the same host
    "https://127.0.0.1:8501/ltv",
    "http://127.0.0.1:8501@evil.example/ltv",
    "http://127.0.0.1:85012/ltv",
])
def test_another_origin_or_an_unknown_page_is_refused(url: str) -> None:
    assert link(url) is None


def test_under_a_base_path_only_its_pages_count() -> None:
    root = "https://example.org/retention/"
    assert link("https://example.org/retention/ltv", root=root) == ReturnLink("ltv", LINK)
    assert link("https://example.org/other/ltv", root=root) is None
    assert link("https://example.org/ltv", root=root) is None
    assert link("https://example.org/retentionx/ltv", root=root) is None


def test_only_the_links_parameters_with_short_printable_values_are_kept() -> None:
    query = {"ws": "2", "session": "a-sign-in-token", "next": "https://evil.example/",
             "dataset": "x" * MAX_VALUE_CHARS, "as_of": "x" * (MAX_VALUE_CHARS + 1),
             "window": "6 0", "lang": "en\n", "tier_thresholds": "1000,5000",
             "programme": ["points", "stamps"]}
    assert link("http://127.0.0.1:8501/ltv", query) == ReturnLink(
        "ltv", {"ws": "2", "dataset": "x" * MAX_VALUE_CHARS, "tier_thresholds": "1000,5000"})


# -- whose return it is -------------------------------------------------------------------------


def test_the_browser_key_is_the_xsrf_token_under_any_mask() -> None:
    token, other = bytes(range(16)), bytes(range(1, 17))
    first, reloaded = generate_xsrf_token_string(token), generate_xsrf_token_string(token)
    assert first != reloaded  # Streamlit masks the token afresh on every page load
    assert browser_key(first) == browser_key(reloaded) == browser_key(f'"{first}"')
    assert browser_key(first) is not None
    assert browser_key(generate_xsrf_token_string(other)) != browser_key(first)


@pytest.mark.parametrize("cookie", [None, "", "2|zz|00|1", "1|00000000|" + "00" * 16 + "|1",
                                    "2|0000|" + "00" * 16 + "|1", "2|00000000|00|1",
                                    "00" * 16])
def test_a_cookie_not_of_streamlits_form_gives_no_key(cookie: str | None) -> None:
    assert browser_key(cookie) is None


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_return_is_taken_once_and_only_within_its_time() -> None:
    clock = Clock()
    pending = PendingReturns(seconds=600, clock=clock)
    pending.remember("browser", ReturnLink("ltv", LINK))
    assert pending.take("someone else") is None
    clock.now += 599.9
    assert pending.take("browser") == ReturnLink("ltv", LINK)
    assert pending.take("browser") is None  # once
    pending.remember("browser", ReturnLink("data"))
    clock.now += 600
    assert pending.take("browser") is None  # expired at exactly ten minutes


def test_a_second_click_wins_and_the_oldest_go_beyond_the_limit() -> None:
    clock = Clock()
    pending = PendingReturns(seconds=600, limit=2, clock=clock)
    pending.remember("a", ReturnLink("ltv"))
    pending.remember("b", ReturnLink("ladder"))
    pending.remember("a", ReturnLink("data"))  # a again: now the newest
    pending.remember("c", ReturnLink("team"))
    assert pending.take("b") is None
    assert pending.take("a") == ReturnLink("data")
    assert pending.take("c") == ReturnLink("team")


def test_expired_returns_are_dropped_when_another_is_kept() -> None:
    clock = Clock()
    pending = PendingReturns(seconds=600, clock=clock)
    pending.remember("a", ReturnLink("ltv"))
    clock.now += 600
    pending.remember("b", ReturnLink("data"))
    assert len(pending) == 1
    assert pending.take("a") is None
