"""The Audiences page (issue 14): the playbook, the builder's live count, the export with its
control group, on the sample shop and on an empty workspace; Home's three cards."""

from __future__ import annotations

import pytest

from retention.ui import audiences_page

PAGE = "views/audiences.py"


def metrics(at) -> dict[str, str]:
    shown: dict[str, str] = {}
    for m in at.metric:
        shown.setdefault(m.label, m.value)
    return shown


@pytest.fixture(scope="module")
def sample_page(tmp_path_factory):
    """The page on the sample shop (3,000 customers), opened once for the module's tests."""
    import os

    from streamlit.testing.v1 import AppTest

    from retention.store import close_workspace
    from tests.conftest import APP_SCRIPT

    path = tmp_path_factory.mktemp("audiences") / "workspace.duckdb"
    old = {k: os.environ.get(k) for k in ("RETENTION_DB", "RETENTION_NO_SAMPLE",
                                            "RETENTION_PASSWORD")}
    os.environ["RETENTION_DB"] = str(path)
    for key in ("RETENTION_NO_SAMPLE", "RETENTION_PASSWORD"):
        os.environ.pop(key, None)

    def make():
        at = AppTest.from_file(str(APP_SCRIPT), default_timeout=300)
        at.secrets["tests"] = "no sign-in"
        return at

    at = make().run()  # the first run loads the sample
    at.switch_page(PAGE).run()
    yield make, at
    close_workspace(path)
    for key, value in old.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


def test_the_page_renders_the_playbook_builder_and_export(sample_page):
    _, at = sample_page
    assert not at.exception
    labels = [b.label for b in at.button]
    assert labels.count("Use this audience") == len(audiences_page.PLAYBOOK) == 5
    shown = metrics(at)
    assert {"Customers on the audience", "On the list", "To contact", "Held back",
            "Left out: no consent", "Left out: no contact"} <= set(shown)
    # the list splits into contacted and held back, and both are counted from the data
    to_contact = int(shown["To contact"].replace(",", ""))
    held = int(shown["Held back"].replace(",", ""))
    assert int(shown["On the list"].replace(",", "")) == to_contact + held > 0


def test_a_condition_changes_the_live_count(sample_page):
    make, _ = sample_page
    at = make()
    at.switch_page(PAGE).run()
    before = metrics(at)["Customers on the audience"]
    steps = next(m for m in at.multiselect if m.label == "Ladder step")
    steps.set_value(["advocate"]).run()
    assert not at.exception
    after = metrics(at)["Customers on the audience"]
    assert after != before
    assert int(after.replace(",", "")) < int(before.replace(",", ""))


def test_home_shows_three_audiences_worth_acting_on(sample_page):
    make, _ = sample_page
    at = make().run()
    assert not at.exception
    assert any(h.value == "Worth acting on this week" for h in at.subheader)
    assert [m.label for m in at.metric].count("Expected value") == 3


def test_the_page_on_an_empty_workspace_shows_its_empty_state(app_test, workspace, no_sample):
    at = app_test()
    at.switch_page(PAGE)
    at.run()
    assert not at.exception
    assert any("Once a purchase history is loaded" in i.value for i in at.info)
