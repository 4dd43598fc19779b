"""Data placed in Streamlit markdown through ``md_escape`` never becomes a link in a browser.

Streamlit's markdown linkifies bare ``www.``/``http://`` addresses and e-mail addresses after
backslash escapes are resolved, so this can only be proven where the markdown is rendered: a
tiny Streamlit script draws each value twice, raw (which must give a link, or the test could
not fail) and escaped (which must give none and read as the original text).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser.conftest import PROJECT_ROOT, streamlit_server

pytestmark = pytest.mark.browser

VALUES = ["http://evil.example/win", "www.evil-shop.example", "mail@evil.example",
          "https://x.example/?a=1&b=[2]"]

SCRIPT = f"""
import streamlit as st
from retention.ui.text import md_escape
for i, value in enumerate({VALUES!r}):
    with st.container(key=f"raw_{{i}}"):
        st.markdown(value)
    with st.container(key=f"escaped_{{i}}"):
        st.markdown(md_escape(value))
"""


@pytest.fixture(scope="module")
def probe_url(tmp_path_factory: pytest.TempPathFactory, chromium_path: Path) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("markdown-probe")
    script = folder / "probe.py"
    script.write_text(SCRIPT, encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=str(PROJECT_ROOT), PYTHONUNBUFFERED="1")
    with streamlit_server([str(script)], cwd=folder, env=env,
                          log_path=folder / "server.log") as url:
        yield url


def test_escaped_data_in_markdown_renders_as_text_not_links(probe_url: str, browser) -> None:
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(probe_url)
        page.locator(f".st-key-escaped_{len(VALUES) - 1}").wait_for(timeout=30_000)
        for i, value in enumerate(VALUES):
            raw = page.locator(f".st-key-raw_{i} a")
            assert raw.count() >= 1, f"the raw {value!r} should be a link (control)"
            escaped = page.locator(f".st-key-escaped_{i}")
            assert escaped.locator("a").count() == 0, f"{value!r} became a link"
            assert escaped.inner_text().replace("\u2060", "").strip() == value
    finally:
        context.close()
