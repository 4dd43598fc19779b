"""Team mode's sign-in (issue 13): the mode follows the configuration, local accounts sign in
with email and password (throttled), a reload keeps the sign-in through the session token, and
sign-out or an unknown token signs out."""

from __future__ import annotations

import secrets
import sqlite3
import tomllib

import pytest
from streamlit.testing.v1 import AppTest

from retention.registry import ACCOUNT_FAILURES, SESSION_SECONDS
from retention.ui.team import (
    COOKIE_SECRET_PLACEHOLDER,
    MIN_COOKIE_SECRET_CHARS,
    SESSION_PARAM,
    WORKSPACE_PARAM,
    shareable_link,
)
from tests.conftest import LANGUAGE_ONLY, sidebar_pickers
from tests.team_helpers import new_session, sign_in, team_registry, texts
from tests.test_sign_in import EXAMPLE

__all__ = ["team_registry"]  # the fixture, used by name


def signed_in_as(at: AppTest, email: str) -> bool:
    return not at.exception and not at.text_input and email in texts(at)


def test_without_a_registry_the_sidebar_says_single_user_mode(app_test, no_sample):
    at = app_test().run()
    assert not at.exception
    assert any("Single-user mode" in caption.value for caption in at.sidebar.caption)


def test_a_registry_path_that_is_not_there_keeps_the_dashboard_closed(
        app_test, no_sample, tmp_path, monkeypatch):
    monkeypatch.setenv("RETENTION_REGISTRY", str(tmp_path / "typo.sqlite3"))
    at = app_test().run()
    assert not at.exception and not at.text_input and sidebar_pickers(at) == LANGUAGE_ONLY
    [error] = at.error
    assert "stays closed" in error.value and "no registry there" in error.value


def test_team_mode_asks_for_email_and_password(team_registry):
    at = new_session().run()
    assert not at.exception
    assert [box.label for box in at.text_input] == ["Email", "Password"]
    assert "Team mode" in texts(at) and sidebar_pickers(at) == LANGUAGE_ONLY


def test_a_local_account_signs_in_and_sees_its_mode_and_role(team_registry):
    at = sign_in("Ann@Example.org ")
    assert signed_in_as(at, "ann@example.org")
    assert "Team mode (local account): ann@example.org, admin of this workspace." in texts(at)
    assert at.query_params[WORKSPACE_PARAM] == str(team_registry.north.workspace_id)


def test_a_wrong_password_is_refused_with_a_sentence(team_registry):
    at = sign_in("ann@example.org", "not the password")
    assert not at.exception and at.text_input
    assert "do not match an account" in texts(at)
    assert SESSION_PARAM not in at.query_params


def test_too_many_failures_say_how_long_to_wait(team_registry):
    at = new_session().run()
    for _ in range(ACCOUNT_FAILURES):
        sign_in("ann@example.org", "wrong password!", at)
    sign_in("ann@example.org", "correct horse battery", at)  # the right one, refused unchecked
    assert not at.exception
    assert "Too many failed sign-ins for this account: try again in" in texts(at)


def test_a_reload_with_the_token_keeps_the_sign_in(team_registry):
    token = sign_in("vic@example.org").query_params[SESSION_PARAM]

    reloaded = new_session({SESSION_PARAM: token}).run()  # a new tab of the same address
    assert signed_in_as(reloaded, "vic@example.org")


def test_sign_out_revokes_the_token_for_every_tab(team_registry):
    at = sign_in("vic@example.org")
    token = at.query_params[SESSION_PARAM]
    other_tab = new_session({SESSION_PARAM: token}).run()

    at.button(key="team_sign_out").click().run()
    assert at.text_input and SESSION_PARAM not in at.query_params
    assert team_registry.registry.session_user(token) is None
    other_tab.run()
    assert other_tab.text_input and "Your sign-in has ended" in texts(other_tab)


def test_an_unknown_or_expired_token_is_refused(team_registry):
    at = new_session({SESSION_PARAM: "made-up-token"}).run()
    assert not at.exception and at.text_input
    assert "Your sign-in has ended" in texts(at)
    assert SESSION_PARAM not in at.query_params

    token = team_registry.registry.open_session("ed@example.org")
    with sqlite3.connect(team_registry.registry.path) as con:  # 12 hours unused
        con.execute("update sessions set expires_at = expires_at - ?", [SESSION_SECONDS + 1])
    late = new_session({SESSION_PARAM: token}).run()
    assert late.text_input and "Your sign-in has ended" in texts(late)


def test_with_an_auth_section_the_sign_in_is_st_login(team_registry):
    at = new_session()
    at.secrets["auth"] = {"redirect_uri": "http://localhost:8501/oauth2callback",
                          "cookie_secret": "0123456789abcdef" * 4,
                          "client_id": "x", "client_secret": "y",
                          "server_metadata_url": "http://127.0.0.1:1/.well-known/openid"}
    at.run()
    assert not at.exception and not at.text_input
    assert "sign in with your organisation's account" in texts(at)
    assert [button.label for button in at.button] == ["Sign in"]


def test_a_shared_link_keeps_the_view_and_drops_the_sign_in_token():
    link = shareable_link("https://shop.example/ladder", {SESSION_PARAM: "secret-token",
                                                          WORKSPACE_PARAM: "2"})
    assert link == "https://shop.example/ladder?ws=2"
    assert shareable_link("https://shop.example/", {SESSION_PARAM: "x"}) == \
        "https://shop.example/"


def test_the_secrets_examples_auth_section_switches_team_mode_to_st_login(team_registry):
    lines = [line.removeprefix("# ") for line in EXAMPLE.read_text(encoding="utf-8").splitlines()
             if line.startswith(("# [auth]", "# redirect_uri", "# cookie_secret", "# client_"))
             or line.startswith("# server_metadata_url")]
    auth = tomllib.loads("\n".join(lines))["auth"]
    assert set(auth) == {"redirect_uri", "cookie_secret", "client_id", "client_secret",
                         "server_metadata_url"}
    assert auth["cookie_secret"] == COOKIE_SECRET_PLACEHOLDER
    at = new_session()
    at.secrets["auth"] = auth
    at.run()  # the placeholder left in place: anyone could sign the identity cookie
    assert not at.exception and not at.button
    assert "still the example's placeholder" in texts(at)

    at = new_session()
    at.secrets["auth"] = {**auth, "cookie_secret": secrets.token_hex(32)}
    at.run()
    assert not at.exception and not at.text_input
    assert [button.label for button in at.button] == ["Sign in"]


@pytest.mark.parametrize("cookie_secret", [None, "", "x" * (MIN_COOKIE_SECRET_CHARS - 1),
                                           " " * 40 + "short", 12345678901234567890123456789012])
def test_a_missing_or_short_cookie_secret_keeps_the_dashboard_closed(team_registry,
                                                                     cookie_secret):
    auth = {"redirect_uri": "http://localhost:8501/oauth2callback", "client_id": "x",
            "client_secret": "y", "server_metadata_url": "http://127.0.0.1:1/.well-known/x"}
    if cookie_secret is not None:
        auth["cookie_secret"] = cookie_secret
    at = new_session()
    at.secrets["auth"] = auth
    at.run()
    assert not at.exception and not at.button and not at.text_input
    assert f"needs a cookie_secret of at least {MIN_COOKIE_SECRET_CHARS} random" in texts(at)


def test_a_cookie_secret_of_the_shortest_length_is_accepted(team_registry):
    at = new_session()
    at.secrets["auth"] = {"redirect_uri": "http://localhost:8501/oauth2callback",
                          "cookie_secret": "k" * MIN_COOKIE_SECRET_CHARS, "client_id": "x",
                          "client_secret": "y",
                          "server_metadata_url": "http://127.0.0.1:1/.well-known/x"}
    at.run()
    assert not at.exception and [button.label for button in at.button] == ["Sign in"]


def test_a_damaged_registry_is_a_sentence_not_a_traceback(app_test, no_sample, tmp_path,
                                                          monkeypatch):
    damaged = tmp_path / "registry.sqlite3"
    damaged.write_bytes(b"not an SQLite file, " * 100)
    monkeypatch.setenv("RETENTION_REGISTRY", str(damaged))
    at = app_test().run()
    assert not at.exception and not at.text_input
    assert "Signing in is not possible right now" in texts(at)
    assert "cannot be used" in texts(at)
