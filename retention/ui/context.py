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
import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, cast

import streamlit as st

from retention.metrics.ladder import SETTINGS_NAMESPACE as LADDER_NAMESPACE
from retention.metrics.ladder import LadderThresholds
from retention.registry import Action, Role
from retention.store import Dataset, DatasetNotFound, Workspace, open_workspace
from retention.ui import team
from retention.ui.data import frame as frame_data
from retention.ui.saved_settings import (
    ABC_XYZ_NAMESPACE,
    CHURN_NAMESPACE,
    LOYALTY_NAMESPACE,
    LTV_NAMESPACE,
    PORTRAITS_NAMESPACE,
    AbcXyzCutOffs,
    ChurnSettings,
    LoyaltyScenarios,
    LtvSettings,
    PortraitSettings,
)

DATASET_KEY = "active_dataset_id"
AS_OF_KEY = "as_of"
WINDOW_KEY = "window_days"
# (dataset id, its default as-of date) the as-of date was set for; a change resets the as-of.
AS_OF_BASIS_KEY = "_as_of_basis"
PENDING_DATASET_KEY = "_pending_dataset_id"

DEFAULT_WINDOW_DAYS = 90
T = TypeVar("T")


class Family(Generic[T]):
    """One family's typed settings on :class:`SavedSettings`: ``build(stored dict)`` of its
    namespace, once per run until that namespace is saved again (see ``SavedSettings.typed``).
    Adding a family is one line in ``SavedSettings``."""

    def __init__(self, namespace: str, build: Callable[[dict[str, Any]], T], doc: str) -> None:
        self.namespace = namespace
        self.build = build
        self.__doc__ = doc

    def __get__(self, saved: SavedSettings, owner: type | None = None) -> T:
        return saved.typed(self.namespace, self.build)


class SavedSettings:
    """The settings saved for one dataset, family by family, read once per script run.

    Every accessor that depends on a family's settings takes them from here (through the
    context), so no page can forget them and each one is part of the cache key it affects.
    A family's typed settings are a :class:`Family` attribute; :meth:`raw` gives a namespace's
    stored dict.
    """

    def __init__(self, workspace: Workspace, dataset_id: int) -> None:
        self._workspace = workspace
        self._dataset_id = dataset_id
        self._raw: dict[str, dict[str, Any]] = {}
        self._typed: dict[str, Any] = {}

    def raw(self, namespace: str) -> dict[str, Any]:
        """The stored values of ``namespace`` (a copy; empty when nothing was saved)."""
        if namespace not in self._raw:
            self._raw[namespace] = self._workspace.settings(self._dataset_id, namespace)
        return dict(self._raw[namespace])

    def save(self, namespace: str, values: dict[str, Any]) -> None:
        """Store ``values`` as ``namespace``'s settings (``{}`` goes back to the defaults).

        The family's typed settings are built again on the next read, so a page that saves
        and then reads its property gets what it just saved.
        """
        self._workspace.save_settings(self._dataset_id, namespace, values)
        self._raw[namespace] = dict(values)
        self._typed.pop(namespace, None)

    def typed(self, namespace: str, build: Callable[[dict[str, Any]], T]) -> T:
        """``build(raw(namespace))``, once per run until the namespace is saved again.

        Each :class:`Family` attribute calls this with its settings class's builder.
        """
        if namespace not in self._typed:
            self._typed[namespace] = build(self.raw(namespace))
        return cast(T, self._typed[namespace])

    # -- one attribute per family; a page reads its settings only through these ----------------

    ladder = Family(LADDER_NAMESPACE, LadderThresholds.from_settings,
                    "The Ladder page's thresholds: every page that shows ladder steps uses these.")
    abc_xyz = Family(ABC_XYZ_NAMESPACE, AbcXyzCutOffs.from_settings,
                     "The ABC/XYZ page's cut-offs and time bucket, for customers and products.")
    ltv = Family(LTV_NAMESPACE, LtvSettings.from_dict,
                 "The Retention & LTV page's margin for data without a cost column.")
    churn = Family(CHURN_NAMESPACE, ChurnSettings.from_dict,
                   "The churn page's value settings (margin, discount rate, horizon), in %.")
    portraits = Family(PORTRAITS_NAMESPACE, PortraitSettings.from_dict,
                       "What the customer portraits are drawn from (features, how many).")
    loyalty = Family(LOYALTY_NAMESPACE, LoyaltyScenarios.from_dict,
                     "The loyalty simulator's saved scenarios (up to three), by name.")


@dataclass(frozen=True)
class Context:
    """The workspace and the sidebar's choices for this script run.

    ``dataset`` is None when the workspace has no datasets; ``as_of`` is then None too.
    ``access`` says who is signed in and what their role lets them do (single-user mode:
    everything).
    """

    workspace: Workspace
    dataset: Dataset | None
    as_of: dt.date | None
    window_days: int
    access: team.Access = team.SINGLE_USER

    @property
    def role(self) -> Role:
        """The user's role in this workspace (admin in single-user mode)."""
        return self.access.role

    def may(self, action: Action) -> bool:
        """Whether the user may do ``action`` here: every writing control asks this before it
        writes, whatever its widget showed."""
        return self.access.may(action)

    @functools.cached_property
    def saved(self) -> SavedSettings:
        """The active dataset's saved settings (raises without a dataset: pages check
        ``ctx.dataset`` first and show their empty state)."""
        if self.dataset is None:
            raise LookupError("no dataset: there are no saved settings to read")
        return SavedSettings(self.workspace, self.dataset.dataset_id)

    @property
    def key(self) -> tuple[str, int, int]:
        """(workspace path, dataset id, version): how every cached accessor's key starts."""
        if self.dataset is None:
            raise LookupError("no dataset: there is nothing to key on")
        return self.workspace.fingerprint(self.dataset)

    @property
    def currency(self) -> str | None:
        """The active dataset's ISO currency code, or None when unset or without a dataset."""
        return self.dataset.currency if self.dataset else None


def current() -> Context:
    """The context for this run, from the workspace and the sidebar's session-state keys.

    Every page calls this first.
    """
    access = team.current_access()
    ws = open_workspace(access.workspace.db if access.workspace else None)
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
        as_of = state.get(AS_OF_KEY) or frame_data.default_as_of(ws, dataset, dt.date.today())
    window = int(state.get(WINDOW_KEY) or DEFAULT_WINDOW_DAYS)
    return Context(workspace=ws, dataset=dataset, as_of=as_of, window_days=window, access=access)


def set_active_dataset(dataset_id: int) -> None:
    """Make ``dataset_id`` the sidebar's dataset from the next run on (usable as a callback)."""
    st.session_state[PENDING_DATASET_KEY] = int(dataset_id)


def apply_pending_dataset() -> None:
    """Move a requested dataset into the picker's key; call before the picker is drawn."""
    state = st.session_state
    if PENDING_DATASET_KEY in state:
        state[DATASET_KEY] = state.pop(PENDING_DATASET_KEY)
