"""How the domain writes SQL, and reads dates back from it.

**One rule for composing a query.** A query is an f-string written where it runs (or in a
function that returns it), and everything spliced into it is SQL text the code itself chose: a
fragment kept in a module constant (``_STEPS``, ``_FACTORS_SQL``), an identifier picked from a
fixed set (a table or column name, one of a dict of fragments keyed by a checked setting), or
an expression built from those. Values — dataset ids, dates, thresholds, user text, lists of
ids — never enter the text: they travel as bound parameters (``$name`` or ``?``), so DuckDB
sees them as data whatever they contain. A fragment that depends on a setting is a small
function returning an f-string, not a template filled in later: there is no ``str.format`` on
SQL and no ``+`` between pieces of SQL (``tests/test_sql_composition.py`` checks both), so a
reader finds every query's shape in one place.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd


def as_dates(frame: pd.DataFrame, columns: Iterable[str]) -> pd.DataFrame:
    """``frame`` with each of ``columns`` — DATE columns DuckDB hands to pandas as
    datetimes — turned into ``datetime.date`` values (in place; returns ``frame``)."""
    for column in columns:
        frame[column] = pd.to_datetime(frame[column]).dt.date
    return frame
