"""A team registry in a test's temporary folder, and AppTest sessions of the dashboard in team
mode signed in as one of its users (shared by the team sign-in and team page tests)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from retention.registry import Registry, TeamWorkspace
from retention.store import close_workspace
from tests.conftest import APP_SCRIPT, APP_TIMEOUT

PASSWORD = "correct horse battery"


@dataclass
class Team:
    """The registry of a test and its two workspaces: North (Ann admin, Vic viewer, Ed editor)
    and South (Sue admin)."""

    registry: Registry
    north: TeamWorkspace
    south: TeamWorkspace


@pytest.fixture
def team_registry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_sample) -> Iterator[Team]:
    monkeypatch.delenv("RETENTION_DB", raising=False)
    monkeypatch.delenv("RETENTION_PASSWORD", raising=False)
    monkeypatch.setenv("RETENTION_REGISTRY", str(tmp_path / "registry.sqlite3"))
    monkeypatch.setenv("RETENTION_WORKSPACES_DIR", str(tmp_path / "workspaces"))
    registry = Registry.open()
    north, south = registry.add_workspace("North shop"), registry.add_workspace("South shop")
    for email, workspace, role in [("ann@example.org", north, "admin"),
                                   ("vic@example.org", north, "viewer"),
                                   ("ed@example.org", north, "editor"),
                                   ("sue@example.org", south, "admin")]:
        registry.add_user(email, PASSWORD)
        registry.grant(email, workspace.workspace_id, role)
    registry.add_user("new@example.org", PASSWORD)  # a member of nothing
    yield Team(registry, north, south)
    for workspace in (north, south):
        close_workspace(workspace.db)


def new_session(query: dict[str, str] | None = None) -> AppTest:
    """A fresh browser session of the dashboard (no secrets: local accounts), with ``query``
    as its address's query parameters."""
    at = AppTest.from_file(str(APP_SCRIPT), default_timeout=APP_TIMEOUT)
    at.secrets["tests"] = "local accounts"
    at.query_params.update(query or {})
    return at


def sign_in(email: str, password: str = PASSWORD, at: AppTest | None = None) -> AppTest:
    """``at`` (default: a new session) after its email and password were submitted, and one
    more run (AppTest keeps the pages registered before the sign-in's ``st.rerun`` until the
    session's next run, as a browser's next click would)."""
    at = (at or new_session()).run()
    at.text_input(key="sign_in_email").set_value(email)
    at.text_input(key="sign_in_password").set_value(password)
    at.button[0].click().run()
    return at.run() if not at.text_input else at


def texts(at: AppTest) -> str:
    """Every message, caption and markdown of the run as read on screen (md_escape's
    backslashes and word joiners dropped), for "does it say so" checks."""
    return " ".join(element.value for group in (at.info, at.warning, at.error, at.success,
                                                at.caption, at.markdown)
                    for element in group).replace("\\", "").replace("\u2060", "")
