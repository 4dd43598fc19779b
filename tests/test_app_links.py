"""Links that open the same view (DESIGN §9): the frame's dataset, as-of date and window, and
the pages' own choices, in query parameters; followed on a session's first run, checked against
the workspace, and written back on every run."""

from __future__ import annotations

import datetime as dt

import pytest

from retention.ingest import load_file
from retention.ui.abc_xyz_page import CELL_KEY
from retention.ui.churn_page import GROUP_KEY

HOME = "views/home.py"


def metric(at, label: str) -> str:
    values = [m.value for m in at.metric if m.label == label]
    assert values, f"no metric {label!r}; the page has {[m.label for m in at.metric]}"
    return values[0]


def opened(app_test, query: dict[str, str], page: str = HOME):
    """``page`` opened from an address with ``query``, as a link in a new tab: the session's
    first run."""
    at = app_test()
    at.switch_page(page)
    at.query_params.update(query)
    return at.run()


@pytest.fixture
def two(workspace, no_sample, tiny_purchases_csv, tmp_path):
    """The tiny shop (C1-C3, Jan-Mar 2025) and a newer one-row dataset, which the sidebar
    picks by default."""
    tiny = load_file(workspace, tiny_purchases_csv, dataset="Tiny", currency="USD")
    other = tmp_path / "other.csv"
    other.write_text("customer_id,date,amount\nZ1,2025-06-01,500.00\n", encoding="utf-8")
    newer = load_file(workspace, other, dataset="Other", currency="EUR")
    return tiny, newer


def test_a_link_opens_its_dataset_as_of_date_and_window(app_test, two):
    tiny, newer = two
    assert app_test().run().sidebar.selectbox(key="active_dataset_id").value == newer.dataset_id

    at = opened(app_test, {"dataset": str(tiny.dataset_id), "as_of": "2025-01-31",
                           "window": "60"})

    assert not at.exception and not at.warning
    assert at.sidebar.selectbox(key="active_dataset_id").value == tiny.dataset_id
    assert at.sidebar.date_input(key="as_of").value == dt.date(2025, 1, 31)
    assert at.sidebar.number_input(key="window_days").value == 60
    # as of 31 January: C1 (O1) and C2 (O3, its return O3R) have ordered; C3 has not yet
    assert metric(at, "Customers") == "2"
    assert metric(at, "Net revenue") == "$150.00"


def test_every_run_writes_the_view_into_the_address(app_test, two):
    tiny, newer = two
    at = app_test().run()
    assert dict(at.query_params) == {"dataset": str(newer.dataset_id), "as_of": "2025-06-01",
                                     "window": "90", "lang": "en"}

    at.sidebar.number_input(key="window_days").set_value(30).run()
    assert at.query_params["window"] == "30"
    at.sidebar.selectbox(key="active_dataset_id").set_value(tiny.dataset_id).run()
    assert at.query_params["dataset"] == str(tiny.dataset_id)
    assert at.query_params["as_of"] == "2025-03-01"  # the tiny shop's own default


def test_a_link_is_followed_once_so_a_stale_address_never_undoes_a_click(app_test, two):
    tiny, _ = two
    at = opened(app_test, {"dataset": str(tiny.dataset_id), "window": "60"})
    at.sidebar.number_input(key="window_days").set_value(30).run()

    # a rerun may reach the server with the address of the run before the click
    at.query_params["window"] = "60"
    at.run()

    assert at.sidebar.number_input(key="window_days").value == 30
    assert at.query_params["window"] == "30"


def test_a_link_to_a_dataset_not_in_this_workspace_says_so(app_test, two):
    _, newer = two
    at = opened(app_test, {"dataset": "99"})

    assert not at.exception
    assert "This link is for a dataset that is not in this workspace" in at.warning[0].value
    assert at.sidebar.selectbox(key="active_dataset_id").value == newer.dataset_id
    assert at.query_params["dataset"] == str(newer.dataset_id)


def test_a_link_to_an_empty_workspace_says_so_and_shows_the_empty_state(
        app_test, workspace, no_sample):
    at = opened(app_test, {"dataset": "1", "as_of": "2025-01-31"})

    assert not at.exception
    assert "This link is for a dataset that is not in this workspace" in at.warning[0].value
    assert any("no data in this workspace yet" in info.value for info in at.info)
    assert "dataset" not in at.query_params


@pytest.mark.parametrize(("query", "says"), [
    ({"as_of": "yesterday"}, "The link's as-of date (yesterday) is not a day between "
                             "Jan 5, 2025 and"),
    ({"as_of": "2024-12-31"}, "The link's as-of date (2024\\-12\\-31) is not a day between"),
    ({"window": "0"}, "The link's activity window (0) is not a whole number of days from 1 "
                      "to 3650, so 90 days are used."),
    ({"window": "3651"}, "The link's activity window (3651)"),
    ({"window": "sixty"}, "The link's activity window (sixty)"),
])
def test_a_bad_value_in_a_link_is_refused_with_a_sentence(app_test, two, query, says):
    tiny, _ = two
    at = opened(app_test, {"dataset": str(tiny.dataset_id), **query})

    assert not at.exception
    assert says in at.warning[0].value
    assert at.sidebar.selectbox(key="active_dataset_id").value == tiny.dataset_id
    assert at.sidebar.date_input(key="as_of").value == dt.date(2025, 3, 1)
    assert at.sidebar.number_input(key="window_days").value == 90


def test_the_boundaries_of_the_as_of_date_and_window_are_accepted(app_test, two):
    tiny, _ = two
    first = opened(app_test, {"dataset": str(tiny.dataset_id), "as_of": "2025-01-05",
                              "window": "1"})
    assert not first.warning
    assert first.sidebar.date_input(key="as_of").value == dt.date(2025, 1, 5)
    assert first.sidebar.number_input(key="window_days").value == 1
    assert metric(first, "Customers") == "1"  # only C1 has ordered on the first day

    last = opened(app_test, {"dataset": str(tiny.dataset_id), "window": "3650"})
    assert not last.warning and last.sidebar.number_input(key="window_days").value == 3650


def test_the_abc_xyz_link_opens_its_tab_and_cell(app_test, two):
    tiny, _ = two
    at = opened(app_test, {"dataset": str(tiny.dataset_id), "tab": "customers", "cell": "CZ"},
                "views/abc_xyz.py")

    assert not at.exception and not at.warning
    assert at.session_state[CELL_KEY] == "CZ"
    assert at.query_params["cell"] == "CZ" and at.query_params["tab"] == "customers"


def test_a_page_choice_the_page_does_not_offer_is_said(app_test, two):
    tiny, _ = two
    at = opened(app_test, {"dataset": str(tiny.dataset_id), "cell": "QQ"}, "views/abc_xyz.py")

    assert not at.exception
    assert "The link's cell (QQ) is not one this page offers here" in at.warning[0].value
    assert at.query_params["cell"] != "QQ"


def test_the_churn_link_opens_its_group(app_test, two):
    tiny, _ = two
    at = opened(app_test, {"dataset": str(tiny.dataset_id), "group": "lost"},
                "views/churn.py")

    assert not at.exception
    assert at.selectbox(key=GROUP_KEY).value == "lost"
    assert at.query_params["group"] == "lost"
