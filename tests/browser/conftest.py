"""Fixtures for the browser journeys: one Streamlit server per test session (per xdist worker)
on a free port and a fresh temporary workspace, one chromium per session, a fresh page per test.

Playwright never downloads a browser here: it launches Debian's chromium at /usr/bin/chromium
with flags that keep it off the network (the test machine has no network but localhost, and
chromium's background services would otherwise stall it).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SERVER_START_TIMEOUT = 60.0
SERVER_STOP_TIMEOUT = 10.0
# Playwright's default for actions (clicks, fills); assertions pass their own timeouts.
ACTION_TIMEOUT_MS = 30_000
VIEWPORT = {"width": 1400, "height": 1000}


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200 and response.read().strip() == b"ok"
    except (urllib.error.URLError, OSError):
        return False


def _log_tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no server log)"


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=SERVER_STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=SERVER_STOP_TIMEOUT)


@contextmanager
def streamlit_server(arguments: list[str], *, cwd: Path, env: dict[str, str],
                     log_path: Path) -> Iterator[str]:
    """``streamlit run`` with ``arguments`` (the script, then its own options) on a free port of
    127.0.0.1, headless, without file watcher or usage statistics, its output in ``log_path``.

    Yields the base URL once the server is healthy; fails the test with the log's tail when it
    exits first or is not healthy in time; stops it at the end.
    """
    port = _free_port()
    command = [
        sys.executable, "-m", "streamlit", "run", *arguments,
        "--server.headless", "true",
        "--server.port", str(port),
        "--server.address", "127.0.0.1",
        "--server.fileWatcherType", "none",
        "--browser.gatherUsageStats", "false",
    ]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while not _healthy(f"{base_url}/_stcore/health"):
            if process.poll() is not None:
                pytest.fail(f"streamlit exited with code {process.returncode} before it was "
                            f"healthy:\n{_log_tail(log_path)}")
            if time.monotonic() > deadline:
                pytest.fail(f"streamlit was not healthy at {base_url} within "
                            f"{SERVER_START_TIMEOUT:.0f} s:\n{_log_tail(log_path)}")
            time.sleep(0.2)
        yield base_url
    finally:
        _stop(process)


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    """Debian's chromium; the journeys are skipped (the only allowed skip) when it is absent."""
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed at /usr/bin/chromium; .ci/run installs it")
    return CHROMIUM


@contextmanager
def app_server(folder: Path, env: dict[str, str]) -> Iterator[str]:
    """`streamlit run app.py` (:func:`streamlit_server`) with ``env`` added to the environment
    (``RETENTION_PASSWORD`` and ``RETENTION_NO_SAMPLE`` removed unless ``env`` sets them),
    English, secrets read only from ``folder/secrets.toml`` (written when missing: no sign-in),
    its log in ``folder``; yields the base URL once healthy."""
    secrets = folder / "secrets.toml"
    if not secrets.exists():
        secrets.write_text('tests = "browser journeys: no sign-in"\n', encoding="utf-8")
    environment = dict(os.environ)
    for name in ("RETENTION_PASSWORD", "RETENTION_NO_SAMPLE"):
        environment.pop(name, None)
    environment.update(RETENTION_LANG="en", PYTHONUNBUFFERED="1", **env)
    with streamlit_server(["app.py", "--secrets.files", str(secrets)], cwd=PROJECT_ROOT,
                          env=environment, log_path=folder / "server.log") as base_url:
        yield base_url


@pytest.fixture(scope="session")
def app_url(tmp_path_factory: pytest.TempPathFactory, chromium_path: Path) -> Iterator[str]:
    """Base URL of `streamlit run app.py` on a free port and a fresh workspace.

    The server gets a brand-new ``RETENTION_DB`` (so the first visit loads the sample shop),
    English, no sign-in (``RETENTION_PASSWORD`` removed, secrets read only from a file written
    here), and stops when the session ends.
    """
    folder = tmp_path_factory.mktemp("streamlit-server")
    with app_server(folder, {"RETENTION_DB": str(folder / "ws.duckdb")}) as base_url:
        yield base_url


@pytest.fixture(scope="session")
def browser(chromium_path: Path) -> Iterator[object]:
    """One headless chromium for the session, never a Playwright-downloaded build."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(chromium_path), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser, app_url: str) -> Iterator[object]:
    """A fresh browser context (its own Streamlit session) and page for one journey."""
    context = browser.new_context(viewport=VIEWPORT, base_url=app_url, locale="en-US")
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    try:
        yield context.new_page()
    finally:
        context.close()
