"""The UI's data layer: every cached accessor of the dashboard, one module per family.

Pages never open a cursor, write SQL or decorate a function with ``st.cache_*``: they call a
public accessor here with the page :class:`~retention.ui.context.Context` and plain
parameters. Each public accessor turns the context into plain cache-key values — the
workspace path, the dataset id and its version (``ctx.key``), the as-of date, the window and
the saved settings it depends on (``ctx.saved``) — and calls a private ``st.cache_data`` /
``st.cache_resource`` function keyed by exactly those values. So a page cannot forget a saved
setting, a key never holds a DataFrame or a connection, and two workspaces or two versions of
a dataset never share an entry.

Every cache is also keyed by the interface language (:func:`cache_data`, :func:`cache_resource`):
the domain writes some of its results in words (risk groups, portrait names, a model's
reason for not fitting), so an entry made for a Russian session must never be shown to an
English one.

Why one cursor per call (:func:`run`): a cached function may run in any session's thread, and
a DuckDB connection must not be shared between threads; a cursor of the process-wide
connection is cheap and is closed as soon as the metric returns.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable
from typing import Any, TypeVar

import streamlit as st

from retention.i18n import current_language
from retention.store import open_workspace, snapshot

SettingsKey = tuple[tuple[str, Any], ...]
T = TypeVar("T")


F = TypeVar("F", bound=Callable[..., Any])


def _keyed_by_language(cache: Callable[[Callable[..., Any]], Any]) -> Callable[[F], F]:
    """``cache`` (Streamlit's decorator with its options) applied to a function that takes
    the interface language as a first argument, so the language is part of every key."""

    def decorate(func: F) -> F:
        def keyed(interface_language: str, *args: Any, **kwargs: Any) -> Any:
            return func(*args, **kwargs)

        # Streamlit tells cached functions apart by module and qualified name, and reads the
        # argument names (to skip _-prefixed ones) from the signature: give it func's, with
        # the language first. No __wrapped__, so the signature is not followed back to func.
        keyed.__module__, keyed.__qualname__ = func.__module__, func.__qualname__
        keyed.__name__, keyed.__doc__ = func.__name__, func.__doc__
        signature = inspect.signature(func)
        language = inspect.Parameter("interface_language",
                                     inspect.Parameter.POSITIONAL_OR_KEYWORD)
        keyed.__signature__ = signature.replace(  # type: ignore[attr-defined]
            parameters=[language, *signature.parameters.values()])
        cached = cache(keyed)

        def call(*args: Any, **kwargs: Any) -> Any:
            return cached(current_language(), *args, **kwargs)

        call.__module__, call.__qualname__ = func.__module__, func.__qualname__
        call.__name__, call.__doc__ = func.__name__, func.__doc__
        call.clear = cached.clear  # type: ignore[attr-defined]
        return call  # type: ignore[return-value]

    return decorate


def cache_data(**options: Any) -> Callable[[F], F]:
    """``st.cache_data(**options)``, keyed by the interface language too."""
    return _keyed_by_language(st.cache_data(**options))


def cache_resource(**options: Any) -> Callable[[F], F]:
    """``st.cache_resource(**options)``, keyed by the interface language too."""
    return _keyed_by_language(st.cache_resource(**options))


class DatasetChanged(RuntimeError):
    """The dataset is no longer at the version a run read at its start (a load committed since).

    Raised instead of computing, so a cache entry keyed by one version never holds another
    version's numbers. The frame catches it and reruns the page, which then reads the new
    version everywhere (:func:`retention.ui.frame.run_page`).
    """


def run(
    workspace: str,
    dataset_id: int,
    version: int,
    metric: Callable[..., T],
    *args: Any,
    **kwargs: Any,
) -> T:
    """``metric(cursor, dataset_id, *args, **kwargs)`` on a cursor of its own, in one snapshot
    of the workspace that still holds ``version`` of the dataset.

    The cached accessors are keyed by the version the run read at its start; DuckDB cannot read
    an older version, so when a load has committed a newer one since, this raises
    :class:`DatasetChanged` rather than computing the new version's numbers under the old key.
    The check and the metric read one snapshot, so no load can slip in between them.
    """
    con = open_workspace(workspace).cursor()
    try:
        with snapshot(con):
            found = con.execute(
                "select version from datasets where dataset_id = ?", [dataset_id]
            ).fetchall()  # fetchall, not fetchone: a result left open blocks the cursor
            if not found or int(found[0][0]) != version:
                raise DatasetChanged(f"dataset {dataset_id} is no longer at version {version}")
            return metric(con, dataset_id, *args, **kwargs)
    finally:
        con.close()


def as_key(settings: Any) -> SettingsKey:
    """A settings dataclass as sorted (name, value) pairs: hashable, fit for a cache key.

    Lists become tuples so the key stays hashable. :func:`from_key` undoes it.
    """
    values = dataclasses.asdict(settings)
    return tuple(
        sorted((name, tuple(v) if isinstance(v, list) else v) for name, v in values.items())
    )


def from_key(cls: type[T], key: SettingsKey) -> T:
    """The settings dataclass ``cls`` back from :func:`as_key`'s pairs."""
    return cls(**dict(key))
