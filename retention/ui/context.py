"""What the frame's sidebar chose, handed to pages as one frozen object.

The sidebar widgets live in ``app.py`` so their values survive page switches; they keep their
values in ``st.session_state`` under the stable keys below. Pages call :func:`current` instead
of reading those keys, so a page never depends on how the frame stores its choices.

A page that changes which datasets exist (a load, a delete) cannot set the picker's key
directly, because the picker was already drawn in this run; it calls
:func:`set_active_dataset`, which leaves a request the frame applies at the top of the next run.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import streamlit as st

from retention.store import Dataset, DatasetNotFound, Workspace, open_workspace
from retention.ui import cached

DATASET_KEY = "active_dataset_id"
AS_OF_KEY = "as_of"
WINDOW_KEY = "window_days"
# (dataset id, its default as-of date) the as-of date was set for; a change resets the as-of.
AS_OF_BASIS_KEY = "_as_of_basis"
PENDING_DATASET_KEY = "_pending_dataset_id"

DEFAULT_WINDOW_DAYS = 90


@dataclass(frozen=True)
class Context:
    """The workspace and the sidebar's choices for this script run.

    ``dataset`` is None when the workspace has no datasets; ``as_of`` is then None too.
    """

    workspace: Workspace
    dataset: Dataset | None
    as_of: dt.date | None
    window_days: int

    @property
    def currency(self) -> str | None:
        """The active dataset's ISO currency code, or None when unset or without a dataset."""
        return self.dataset.currency if self.dataset else None


def current() -> Context:
    """The context for this run, from the workspace and the sidebar's session-state keys.

    Every page calls this first.
    """
    ws = open_workspace()
    state = st.session_state
    dataset = None
    chosen = state.get(DATASET_KEY)
    if chosen is not None:
        try:
            dataset = ws.dataset(int(chosen))
        except DatasetNotFound:
            dataset = None
    as_of = None
    if dataset is not None:
        as_of = state.get(AS_OF_KEY) or cached.default_as_of(*ws.fingerprint(dataset),
                                                             dt.date.today())
    window = int(state.get(WINDOW_KEY) or DEFAULT_WINDOW_DAYS)
    return Context(workspace=ws, dataset=dataset, as_of=as_of, window_days=window)


def set_active_dataset(dataset_id: int) -> None:
    """Make ``dataset_id`` the sidebar's dataset from the next run on (usable as a callback)."""
    st.session_state[PENDING_DATASET_KEY] = int(dataset_id)


def apply_pending_dataset() -> None:
    """Move a requested dataset into the picker's key; call before the picker is drawn."""
    state = st.session_state
    if PENDING_DATASET_KEY in state:
        state[DATASET_KEY] = state.pop(PENDING_DATASET_KEY)
