"""Sign-in (issue 10, points 13 and 14): the secrets example switches the gate on when followed,
a slip in the set-up keeps the dashboard closed, and wrong passwords are throttled across every
session of the server."""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Iterator

import pytest
import streamlit as st
from streamlit.runtime.secrets import Secrets
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.util import patch_config_options

from retention.ui import frame
from tests.conftest import APP_SCRIPT, APP_TIMEOUT, LANGUAGE_ONLY, PROJECT_ROOT, sidebar_pickers

EXAMPLE = PROJECT_ROOT / ".streamlit" / "secrets.toml.example"
PASSPHRASE = "correct horse battery staple 42"
NO_DATA = "no data in this workspace yet"  # the empty workspace's info, shown once signed in


# -- the secrets example (point 13) -------------------------------------------------------------


def follow_the_example(*, replace_placeholder: bool = True) -> str:
    """The example as its comments tell a user to edit it: the "# " deleted in front of the
    [retention_auth] and password lines, the placeholder replaced by their own passphrase."""
    lines = []
    for line in EXAMPLE.read_text(encoding="utf-8").splitlines():
        if line.startswith(("# [retention_auth]", "# password =")):
            line = line.removeprefix("# ")
        lines.append(line)
    text = "\n".join(lines) + "\n"
    return text.replace(frame.PASSWORD_PLACEHOLDER, PASSPHRASE) if replace_placeholder else text


@pytest.fixture
def app_with_secrets_file(
    workspace_db, no_sample, tmp_path, monkeypatch
) -> Callable[[str | None], AppTest]:
    """A factory: write ``text`` to a temporary .streamlit/secrets.toml (None: no file at all)
    and return an AppTest of app.py whose st.secrets Streamlit loads from that file alone."""
    monkeypatch.delenv("RETENTION_PASSWORD", raising=False)
    path = tmp_path / ".streamlit" / "secrets.toml"

    def make(text: str | None) -> AppTest:
        if text is not None:
            path.parent.mkdir(exist_ok=True)
            path.write_text(text, encoding="utf-8")
        secrets = Secrets()
        secrets._file_watchers_installed = True  # no polling thread on a temporary file
        monkeypatch.setattr(st, "secrets", secrets)
        return AppTest.from_file(str(APP_SCRIPT), default_timeout=APP_TIMEOUT)

    with patch_config_options({"secrets.files": [str(path)]}):
        yield make


def shows_the_gate(at: AppTest) -> bool:
    return (not at.exception and [ti.label for ti in at.text_input] == ["Password"]
            and sidebar_pickers(at) == LANGUAGE_ONLY and not at.info and not at.metric)


def test_the_example_as_shipped_sets_no_secret():
    assert tomllib.loads(EXAMPLE.read_text(encoding="utf-8")) == {}
    assert frame.PASSWORD_PLACEHOLDER in EXAMPLE.read_text(encoding="utf-8")


def test_following_the_example_switches_the_gate_on(app_with_secrets_file):
    text = follow_the_example()
    assert tomllib.loads(text) == {"retention_auth": {"password": PASSPHRASE}}

    at = app_with_secrets_file(text).run()

    assert shows_the_gate(at)
    at.text_input[0].set_value(PASSPHRASE)
    at.button[0].click().run()
    assert not at.exception
    assert any(NO_DATA in info.value for info in at.info)


def test_without_a_secrets_file_the_dashboard_is_open(app_with_secrets_file):
    at = app_with_secrets_file(None).run()
    assert not at.exception and not at.text_input
    assert any(NO_DATA in info.value for info in at.info)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (follow_the_example(replace_placeholder=False), "still the example's placeholder"),
        ('[auth]\npassword = "the old example put it here"\n', "not under [retention_auth]"),
        ('password = "uncommented without its section"\n', "not under [retention_auth]"),
        ('[retention_auth]\npassword = ""\n', "has no password"),
        ('[retention_auth]\npassword = "unterminated\n', "cannot be read"),
    ],
    ids=["placeholder", "under-auth", "top-level", "empty", "not-toml"],
)
def test_a_slip_in_the_set_up_keeps_the_dashboard_closed(app_with_secrets_file, text, reason):
    at = app_with_secrets_file(text).run()

    assert not at.exception
    assert not at.text_input and sidebar_pickers(at) == LANGUAGE_ONLY
    assert not at.info and not at.metric
    [error] = at.error
    assert "stays closed" in error.value
    assert reason in error.value.replace("\\", "")


# -- the server-wide throttle (point 14) --------------------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch) -> Iterator[FakeClock]:
    """The process's one throttle, emptied, on a clock the test moves."""
    fake = FakeClock()
    throttle = frame.sign_in_throttle()
    throttle.reset()
    monkeypatch.setattr(throttle, "clock", fake)
    yield fake
    throttle.reset()


def guess(at: AppTest, password: str) -> AppTest:
    at.text_input(key="sign_in_password").set_value(password)
    return at.button[0].click().run()


def test_wrong_guesses_in_two_sessions_share_one_throttle(app_test, no_sample, monkeypatch,
                                                          clock):
    monkeypatch.setenv("RETENTION_PASSWORD", PASSPHRASE)
    first, second = app_test().run(), app_test().run()
    for at, attempts in ((first, 3), (second, 2)):
        for _ in range(attempts):
            assert "not right" in guess(at, "wrong").error[0].value

    # five wrong guesses in the minute, across both sessions: every session is refused, even
    # with the right password, and told when to try again
    for at in (second, first):
        guess(at, PASSPHRASE)
        assert "Try again in 60 seconds" in at.error[0].value
        assert shows_the_gate(at)
    clock.now += 30
    assert "Try again in 30 seconds" in guess(first, PASSPHRASE).error[0].value

    clock.now += 30.5  # the first wrong guess has left the window
    guess(first, PASSPHRASE)
    assert not first.exception and not first.error
    assert any(NO_DATA in info.value for info in first.info)


def test_the_right_password_does_not_use_up_the_allowance(app_test, no_sample, monkeypatch,
                                                          clock):
    monkeypatch.setenv("RETENTION_PASSWORD", PASSPHRASE)
    for _ in range(frame.MAX_FAILURES_PER_CLIENT + 2):
        at = guess(app_test().run(), PASSPHRASE)
        assert any(NO_DATA in info.value for info in at.info)
    assert frame.sign_in_throttle().wait_seconds("") == 0


def test_throttle_per_client_and_per_server():
    fake = FakeClock()
    throttle = frame.SignInThrottle(window=60, per_client=2, per_server=3, clock=fake)
    assert throttle.admit("a") == throttle.admit("a") == 0
    assert throttle.admit("a") == 60  # a's third guess in the minute
    fake.now += 10
    assert throttle.admit("b") == 0  # another address still may
    assert throttle.admit("c") == 50  # the server's three are used: wait for a's first
    assert throttle.wait_seconds("a") == 50
    fake.now += 50
    assert throttle.wait_seconds("c") == 0 and throttle.wait_seconds("a") == 0
    assert throttle.admit("c") == 0
    throttle.forgive("c")  # c's password was right: that attempt no longer counts
    assert throttle.admit("d") == 0
    assert throttle.admit("e") == 0  # a's two have left the window: b, d and e count
    assert throttle.admit("f") == 10  # until b's (t = 1010) leaves


def test_a_refused_attempt_is_not_counted():
    fake = FakeClock()
    throttle = frame.SignInThrottle(window=60, per_client=1, per_server=10, clock=fake)
    assert throttle.admit("a") == 0
    for step in range(5):  # hammering while refused does not push the wait further out
        fake.now += 10
        assert throttle.admit("a") == 50 - 10 * step
    fake.now += 10
    assert throttle.admit("a") == 0
