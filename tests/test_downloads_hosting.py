"""Downloads on a shared server (issue 10, point 15).

Streamlit serves a download at /media/<id> to whoever has the address, without the session's
sign-in, for as long as its media store holds the file; the app cannot put its sign-in in front
of that route. So the app keeps download files short-lived: every download button builds its
file on the click (none is stored while a page merely shows the button), and a sweeper clears
built files within ``frame.DOWNLOAD_SWEEP_SECONDS`` × 2. The HTTP side is in
tests/browser/test_media_downloads.py.
"""

from __future__ import annotations

import pandas as pd
import pytest
from streamlit.runtime import Runtime
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest

from retention.ui import frame


def _deferred(at: AppTest) -> dict[str, bool]:
    """{download button id: its file is built on the click (no stored file, no URL)}."""
    return {b.proto.id: bool(b.proto.deferred_file_id) and not b.proto.url
            for b in at.get("download_button")}


def _helper_script() -> None:
    import pandas as pd

    from retention.ui.widgets import download_buttons

    table = pd.DataFrame({"customer": ["=HYPERLINK(1)", "c2"], "orders": [1, 2]})
    download_buttons(table, "table", key="eager")
    download_buttons(lambda: table, "table", key="lazy")


def test_the_download_helper_builds_every_file_on_the_click():
    at = AppTest.from_function(_helper_script).run()

    assert not at.exception
    buttons = _deferred(at)
    assert len(buttons) == 4
    assert all(buttons.values()), buttons


def test_the_data_and_ladder_pages_store_no_download_until_clicked(app_test, workspace,
                                                                   with_sample):
    at = app_test().run()
    for page in ("views/data.py", "views/ladder.py"):
        at.switch_page(page).run()
        assert not at.exception
        buttons = _deferred(at)
        assert buttons, f"{page} shows no download button"
        assert all(buttons.values()), f"{page}: {buttons}"


class _Runtime:
    def __init__(self, manager: MediaFileManager) -> None:
        self.media_file_mgr = manager


@pytest.fixture
def media(monkeypatch) -> MediaFileManager:
    """A real Streamlit media manager behind a stand-in runtime (``runtime.exists()`` true)."""
    manager = MediaFileManager(MemoryMediaFileStorage("/media"))
    monkeypatch.setattr(Runtime, "_instance", _Runtime(manager))
    return manager


def _file_id(url: str) -> str:
    return url.rsplit("/", 1)[1].split(".")[0]


def test_a_clicked_download_is_gone_after_two_sweeps(media):
    table = pd.DataFrame({"customer": ["c1"]})
    placeholder = media.add_deferred(lambda: table.to_csv().encode(), "text/csv", "1.(0)",
                                     file_name="t.csv")
    url = media.execute_deferred(placeholder)  # what a click does
    assert url.startswith("/media/") and url.endswith(".csv")
    assert media.read_file(_file_id(url)) is not None

    frame.sweep_downloads()  # marked: a browser that is still fetching it gets it
    assert media.read_file(_file_id(url)) is not None
    frame.sweep_downloads()
    assert media.read_file(_file_id(url)) is None


def test_a_file_a_page_still_shows_survives_the_sweeps(media):
    url = media.add(b"shown", "text/csv", "1.(1)", file_name="s.csv",
                    is_for_static_download=True)
    for _ in range(3):
        frame.sweep_downloads()
    assert media.read_file(_file_id(url)).content == b"shown"


def test_without_a_runtime_a_sweep_does_nothing(monkeypatch):
    # the sweeper thread may tick in a bare process (the CLI's tests, AppTest start-up): it
    # must neither raise nor bring up a runtime of its own
    from streamlit import runtime

    monkeypatch.setattr(Runtime, "_instance", None)
    assert frame.sweep_downloads() is None
    assert not runtime.exists()


def test_one_sweeper_thread_runs_per_process():
    first, second = frame.download_sweeper(), frame.download_sweeper()
    assert first is second
    assert first.is_alive() and first.daemon
