"""What each page of the app computes on its first view, for ``python -m retention bench``.

One entry per page of the app's menu (:data:`retention.ui.frame.NAVIGATION`), by its English
title: the page's cached accessors (``retention.ui.data``), called with the arguments the
page's first view passes — the open tab only, the page's defaults, the settings saved for the
dataset. The frame's own reads (the dataset's dates and default as-of date) come first on
every page, since a visitor's first view pays for them too.

Run as ``python -m retention.ui.first_views WORKSPACE DATASET_ID TITLE``, in a new
process per measurement so that *cold* means nothing imported into DuckDB's buffers or
Streamlit's caches: it prints one JSON line, the seconds of the first view (cold), of the same
calls again (warm: the cache hits a rerun gets). Outside
a running app ``st.cache_data`` still caches, in this process (Streamlit logs that there is no
runtime; those warnings are silenced). The domain package's benchmark starts this module by
name and never imports it, so the domain stays free of Streamlit.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

from retention.i18n import set_language
from retention.loyalty import LoyaltyProgramme
from retention.loyalty.simulation import from_replay
from retention.metrics.ladder import default_migration_start
from retention.store import open_workspace
from retention.ui.context import DEFAULT_WINDOW_DAYS, Context
from retention.ui.data import (
    abc_xyz,
    audiences,
    churn,
    headline,
    ladder,
    loyalty,
    ltv,
    portraits,
)
from retention.ui.data import frame as frame_data


def _home(ctx: Context) -> None:
    numbers = headline.headline_numbers(ctx)
    headline.active_customer_count(ctx, numbers["as_of"])


def _ladder(ctx: Context) -> None:
    assert ctx.as_of is not None
    ladder.ladder_counts(ctx)
    ladder.ladder_inputs(ctx)
    ladder.moving_up(ctx)
    ladder.migration(ctx, default_migration_start(ctx.as_of), ctx.as_of)
    ladder.pareto_curve(ctx)


def _ltv(ctx: Context) -> None:
    # the first tab, Retention rate, by month: the only one that runs until another is opened
    ltv.crr_table(ctx, "month")


def _abc_xyz(ctx: Context) -> None:
    # the Customers tab: the matrix, then the first non-empty cell's customers
    abc_xyz.overview(ctx, "customer")
    abc_xyz.listed_customers(ctx)


def _portraits(ctx: Context) -> None:
    portraits.offered_features(ctx)
    portraits.settings_in_effect(ctx)
    portraits.optional_attributes(ctx)
    result = portraits.fitted_portraits(ctx)
    if isinstance(result, str):  # the page would show this sentence instead of portraits
        raise RuntimeError(result)


def _churn(ctx: Context) -> None:
    churn.dataset_margin(ctx)
    outcome = churn.fitted_model(ctx)
    if outcome.model is None:
        raise RuntimeError(outcome.error)
    churn.value_settings(ctx)
    churn.page_views(ctx)
    churn.scored_customers(ctx)


def _loyalty(ctx: Context) -> None:
    # a first visit shows the default programme: its replay, then its projection
    programme = LoyaltyProgramme()
    measured = loyalty.baseline(ctx)
    replay = loyalty.replay(ctx, programme)
    if not measured.missing():
        from_replay(measured, programme, replay)


def _audiences(ctx: Context) -> None:
    # a first visit: the five playbook cards, then the builder on every buyer and its export
    from retention.audiences.playbook import PLAYBOOK
    from retention.audiences.segment import Segment

    for name in PLAYBOOK:
        audiences.summary(ctx, Segment(playbook=name))
    audiences.choices(ctx)
    audiences.summary(ctx, Segment())
    audiences.members(ctx, Segment())


def _data(ctx: Context) -> None:
    # the upload widget reads nothing; the datasets table lists the workspace's datasets
    ctx.workspace.datasets()


# By the English title each page has in the menu; a test checks both lists agree.
FIRST_VIEWS: dict[str, Callable[[Context], None]] = {
    "Home": _home,
    "Loyalty ladder": _ladder,
    "Retention & LTV": _ltv,
    "ABC/XYZ": _abc_xyz,
    "Portraits": _portraits,
    "Churn risk": _churn,
    "Loyalty programme": _loyalty,
    "Audiences": _audiences,
    "Data": _data,
}


def page_titles() -> list[str]:
    """The app's pages in menu order, by English title: the frame's navigation table."""
    from retention.ui.frame import NAVIGATION

    return [title for _, title, _ in NAVIGATION]


def first_view(workspace: str, dataset_id: int, title: str,
               today: dt.date | None = None) -> Callable[[], None]:
    """The page ``title``'s first view on ``dataset_id``, as a call: the frame's reads, then
    the page's accessors. Raises KeyError naming a page that has no entry here."""
    try:
        view = FIRST_VIEWS[title]
    except KeyError:
        raise KeyError(f"page {title!r} has no first view in retention/ui/first_views.py") from None
    ws = open_workspace(workspace)
    day = today or dt.date.today()

    def run() -> None:
        dataset = ws.dataset(dataset_id)
        frame_data.dataset_dates(ws, dataset)
        as_of = frame_data.default_as_of(ws, dataset, day)
        view(Context(workspace=ws, dataset=dataset, as_of=as_of,
                     window_days=DEFAULT_WINDOW_DAYS))

    return run


def measure(workspace: str, dataset_id: int, title: str) -> dict[str, float]:
    """Cold and warm seconds of one page's first view in this process (the benchmark reads
    the process's peak memory itself)."""
    view = first_view(workspace, dataset_id, title)
    seconds = []
    for _ in range(2):
        started = time.perf_counter()
        view()
        seconds.append(time.perf_counter() - started)
    return {"cold_s": seconds[0], "warm_s": seconds[1]}


def main(argv: Sequence[str] | None = None) -> int:
    """``list`` prints the page titles; ``WORKSPACE DATASET_ID TITLE`` measures one page.
    Both print one JSON line. (Positional arguments: the benchmark is its only caller.)"""
    args = list(sys.argv[1:] if argv is None else argv)
    # "No runtime found, using MemoryCacheStorageManager" and the like: expected here
    logging.disable(logging.WARNING)
    result: Any
    if args == ["list"]:
        result = page_titles()
    elif len(args) == 3:
        set_language("en")
        result = measure(args[0], int(args[1]), args[2])
    else:
        print(f"usage: list | WORKSPACE DATASET_ID TITLE, not {args!r}", file=sys.stderr)
        return 2
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
