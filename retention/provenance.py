"""Where a metric's table came from, so a table handed to another metric can be checked.

Every metric is called one way: ``metric(con, dataset_id, *, as_of=..., ...)``. A few of them
read the result of another metric, and a page that shows both computes that table once and
passes it in (``ltv_today(..., monthly=crr_by_period(...))``). That second argument is checked,
never trusted: the metric that made the table stamps it with :func:`stamped`, and the metric
that reads it calls :func:`check`, which raises ValueError unless the table is exactly what the
reading metric would have computed itself — the same metric, dataset, dates and settings.

The stamp lives in ``DataFrame.attrs``, which survives copies, column selection and pickling,
and therefore the UI's cache: a page passes tables straight from one domain function to
another and the stamp travels with them. A table built by hand, or rebuilt from another
table's values, has no stamp and is refused.
"""

from __future__ import annotations

import datetime as dt
import functools
import inspect
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar, cast

import duckdb
import pandas as pd

from retention.i18n import t

# The key of DataFrame.attrs the stamp is kept under.
ATTRS_KEY = "computed_by"

Metric = TypeVar("Metric", bound=Callable[..., pd.DataFrame])


def stamped(metric: Metric) -> Metric:
    """Decorate a metric ``metric(con, dataset_id, **parameters) -> DataFrame`` so that the
    frame it returns records the metric's name, the dataset id and every parameter, defaults
    included (``attrs["computed_by"]``)."""
    signature = inspect.signature(metric)

    @functools.wraps(metric)
    def stamping(*args: Any, **kwargs: Any) -> pd.DataFrame:
        frame = metric(*args, **kwargs)
        frame.attrs[ATTRS_KEY] = {"metric": metric.__name__,
                                  **_call_parameters(signature, args, kwargs)}
        return frame

    return cast(Metric, stamping)


def check(
    table: pd.DataFrame,
    metric: Callable[..., pd.DataFrame],
    *,
    used_by: str,
    argument: str,
    ignore: Iterable[str] = (),
    **parameters: Any,
) -> Mapping[str, Any]:
    """Raise ValueError unless ``table`` is what ``metric(con, **parameters)`` returns, the
    metric's defaults filled in for the parameters not given (``dataset_id`` is one of them).

    ``used_by`` and ``argument`` name the reading function and its argument, for the message;
    ``ignore`` lists parameters the reader's answer does not depend on. Returns the stamp.
    """
    made = table.attrs.get(ATTRS_KEY)
    name = metric.__name__
    if not isinstance(made, Mapping) or made.get("metric") != name:
        raise ValueError(t(
            "The {argument} table given to {function} does not say which dates and settings "
            "it was computed for by {metric}. Pass the table {metric} returned, or leave "
            "{argument} out to compute it from the orders.",
            argument=argument, function=used_by, metric=name))
    skipped = set(ignore)
    wanted = {key: value for key, value in _call_parameters(
        inspect.signature(metric), ("con",), parameters, partial=True).items()
        if key not in skipped}
    differ = [key for key, value in wanted.items() if made.get(key) != value]
    if differ:
        raise ValueError(t(
            "The {argument} table given to {function} was computed for {made}, but the call "
            "asks for {wanted} ({differ} differ). Compute it for the same dataset, dates and "
            "settings, or leave {argument} out to compute it from the orders.",
            argument=argument, function=used_by,
            made=_describe({key: made.get(key) for key in wanted}),
            wanted=_describe(wanted), differ=", ".join(differ)))
    return made


def given_or_computed(
    table: pd.DataFrame | None,
    metric: Callable[..., pd.DataFrame],
    con: duckdb.DuckDBPyConnection,
    *,
    used_by: str,
    argument: str,
    **parameters: Any,
) -> pd.DataFrame:
    """``table`` when the caller passed one — after :func:`check` with ``parameters`` — else
    ``metric(con, **parameters)`` computed now: the one way a reading metric takes its input."""
    if table is None:
        return metric(con, **parameters)
    check(table, metric, used_by=used_by, argument=argument, **parameters)
    return table


def _call_parameters(signature: inspect.Signature, args: tuple[Any, ...],
                     kwargs: Mapping[str, Any], *, partial: bool = False) -> dict[str, Any]:
    """Every parameter of a call but the connection, defaults included, by name (``partial``:
    the ignored ones may be missing)."""
    bound = signature.bind_partial(*args, **kwargs) if partial else signature.bind(*args, **kwargs)
    bound.apply_defaults()
    return {key: value for key, value in bound.arguments.items() if key != "con"}


def _describe(parameters: Mapping[str, Any]) -> str:
    return "; ".join(
        f"{key} {value.isoformat() if isinstance(value, dt.date) else value}"
        for key, value in parameters.items())
