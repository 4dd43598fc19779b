"""Fixtures shared by the test suite: a private workspace per test, tiny purchase files, and
AppTest instances of the dashboard that use that workspace.

Nothing here is autouse: a test asks for what it needs by name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from retention.store import Workspace, close_workspace, open_workspace

if TYPE_CHECKING:
    from streamlit.testing.v1 import AppTest

PROJECT_ROOT = Path(__file__).resolve().parents[1]
APP_SCRIPT = PROJECT_ROOT / "app.py"
APP_TIMEOUT = 60

# Six lines checked on paper: 3 customers, 4 orders (O4 has two lines), one return of 30.00
# (a negative amount: netted, not an order). Net revenue 100 + 50 + 80 − 30 + 40 + 10 = 250.
# Up to 2025-01-31: customers C1 and C2, orders O1 and O3, net revenue 150, 3 later rows.
TINY_PURCHASES = (
    "customer_id,date,amount,order_id\n"
    "C1,2025-01-05,100.00,O1\n"
    "C1,2025-02-10,50.00,O2\n"
    "C2,2025-01-20,80.00,O3\n"
    "C2,2025-01-25,-30.00,O3R\n"
    "C3,2025-03-01,40.00,O4\n"
    "C3,2025-03-01,10.00,O4\n"
)


@pytest.fixture
def workspace_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh workspace file for this test, exported as ``RETENTION_DB``; its process-wide
    connection is closed afterwards."""
    path = tmp_path / "workspace.duckdb"
    monkeypatch.setenv("RETENTION_DB", str(path))
    yield path
    close_workspace(path)


@pytest.fixture
def workspace(workspace_db: Path) -> Workspace:
    """The open :class:`Workspace` at ``workspace_db`` (the same one the app under test uses)."""
    return open_workspace(workspace_db)


@pytest.fixture
def no_sample(monkeypatch: pytest.MonkeyPatch) -> None:
    """The app does not load the sample shop into an empty workspace."""
    monkeypatch.setenv("RETENTION_NO_SAMPLE", "1")


@pytest.fixture
def with_sample(monkeypatch: pytest.MonkeyPatch) -> None:
    """The app loads the sample shop into an empty workspace, whatever the environment says."""
    monkeypatch.delenv("RETENTION_NO_SAMPLE", raising=False)


@pytest.fixture
def tiny_purchases_csv(tmp_path: Path) -> Path:
    """``TINY_PURCHASES`` written to ``tiny.csv``."""
    path = tmp_path / "tiny.csv"
    path.write_text(TINY_PURCHASES, encoding="utf-8")
    return path


@pytest.fixture
def app_test(workspace_db: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[], AppTest]:
    """A factory of fresh ``AppTest`` sessions of ``app.py`` on this test's workspace.

    No sign-in: ``RETENTION_PASSWORD`` is removed and secrets are replaced by a placeholder,
    so a developer's own ``.streamlit/secrets.toml`` cannot change the outcome. A test of the
    sign-in sets either one on the returned session before its first run.
    """
    from streamlit.testing.v1 import AppTest

    monkeypatch.delenv("RETENTION_PASSWORD", raising=False)

    def make() -> AppTest:
        at = AppTest.from_file(str(APP_SCRIPT), default_timeout=APP_TIMEOUT)
        at.secrets["tests"] = "no sign-in"
        return at

    return make


# What the sidebar of a run that shows no data holds: the language picker alone.
LANGUAGE_ONLY = ["interface_language"]


def sidebar_pickers(at: Any) -> list[str]:
    """The keys of the sidebar's select boxes in an AppTest run."""
    return [box.key for box in at.sidebar.selectbox]


RUSSIAN_HEADER = r"""
msgid ""
msgstr ""
"Language: ru\n"
"Content-Type: text/plain; charset=UTF-8\n"
"Plural-Forms: nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : n%10>=2 && n%10<=4 && "
"(n%100<10 || n%100>=20) ? 1 : 2);\n"
"""


def use_russian_catalogue(folder: Path, monkeypatch: pytest.MonkeyPatch, entries: str) -> None:
    """For this test, Russian is a catalogue of ``entries`` (.po text) in ``folder``'s own
    locale tree, and every language is compiled afresh (the real catalogues before and after)."""
    from retention import i18n

    target = folder / "locale" / "ru" / "LC_MESSAGES"
    target.mkdir(parents=True)
    (target / "messages.po").write_text(RUSSIAN_HEADER + entries, encoding="utf-8")
    monkeypatch.setattr(i18n, "LOCALE_DIR", folder / "locale")
    i18n.translations.cache_clear()
