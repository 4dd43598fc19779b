"""Links that open the same view (DESIGN §9): the view's choices live in query parameters.

The frame keeps the workspace (``ws``, in :mod:`retention.ui.team`), the dataset, the as-of
date and the activity window in the address on every run; a page keeps its own choices there
(:func:`publish`). A link opened later (a new tab or a colleague's browser is a new session)
is *followed* once: each parameter is read by the first run of the session that asks for it
(:func:`linked`) and never again, because the address a rerun reaches the server with can be
the one from before the run that changed a widget, and following it then would undo the
user's click.

Values in links are stable machine values (ids, ISO dates, codes), never labels: a label can
be a user's own text, or change with the language or the data. That is also why Streamlit's
own ``bind="query-params"`` is not used: it writes the formatted option, and drops a value the
user may not see without a word, where a link must say plainly why it did not open.

Every value read here is only a request: the caller checks it against what this user may see
in this workspace before using it, and says so when it cannot.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import streamlit as st

from retention.i18n import t
from retention.ui.text import md_escape

DATASET_PARAM = "dataset"
AS_OF_PARAM = "as_of"
WINDOW_PARAM = "window"
# Every name the frame and the pages keep in a link (besides ``ws`` and the loyalty page's
# programme): a sign-in through a provider carries exactly these back (``return_link``).
VIEW_PARAMETERS = frozenset({DATASET_PARAM, AS_OF_PARAM, WINDOW_PARAM, "lang", "tab", "cell",
                             "group", "from", "to", "audience"})
# The parameter names a session has followed already (a set, in session state).
FOLLOWED_KEY = "_link_params_followed"
# Longer values are not ids, dates or codes: they are ignored as if absent.
MAX_VALUE_LENGTH = 200


def linked(name: str) -> str | None:
    """The link's value of ``name`` on the first run of this session that asks; None after
    that, and when the address has no such parameter (or an overlong one)."""
    followed: set[str] = st.session_state.setdefault(FOLLOWED_KEY, set())
    if name in followed:
        return None
    followed.add(name)
    value = st.query_params.get(name)
    if value is None or len(value) > MAX_VALUE_LENGTH:
        return None
    return value


def refuse() -> None:
    """Follow none of the address's parameters in this session: a link to a workspace the
    user may not see opens none of its choices (its dataset ids are another workspace's, and
    the same number here is another dataset)."""
    followed: set[str] = st.session_state.setdefault(FOLLOWED_KEY, set())
    followed.update(st.query_params.keys())


def publish(values: Mapping[str, str | None], *, owned: Iterable[str] = ()) -> None:
    """Write this view's ``values`` into the address (None removes a parameter), and remove
    the parameters in ``owned`` that ``values`` does not mention: a page passes every name it
    may write, so a choice that no longer applies (another programme type's parameters, say)
    leaves the link. Parameters of the frame and of sign-in are left alone."""
    params = st.query_params
    for name in set(owned) - set(values):
        if name in params:
            del params[name]
    for name, value in values.items():
        if value is None:
            if name in params:
                del params[name]
        elif params.get(name) != value:
            params[name] = value


def follow_choice(name: str, key: str, choices: Mapping[str, object]) -> None:
    """Put the link's ``name`` into session-state ``key`` (before its widget is drawn) as
    ``choices[value]``; a value the page does not offer gets a sentence saying so, and the
    page's own choice stays."""
    value = linked(name)
    if value is None:
        return
    if value in choices:
        st.session_state[key] = choices[value]
        return
    st.warning(t("The link's {name} ({value}) is not one this page offers here, so the page "
                 "shows its own choice instead.", name=md_escape(name), value=md_escape(value)),
               icon=":material/link_off:")


def rearm(name: str) -> None:
    """Follow ``name`` again when an address next carries it: a page that offers its own
    links to another page's choice (Home's audience cards) calls this, so each click on one
    is followed, not only the session's first."""
    followed: set[str] = st.session_state.setdefault(FOLLOWED_KEY, set())
    followed.discard(name)


def code_of(choices: Mapping[str, object], chosen: object) -> str | None:
    """The link's value (the code in ``choices``) of the widget's ``chosen`` value."""
    return next((code for code, value in choices.items() if value == chosen), None)


def linked_tabs(name: str, key: str, tabs: Mapping[str, str]) -> Sequence[Any]:
    """``st.tabs`` of ``tabs`` (code → label) whose open tab is in the link as ``name=code``;
    only the open tab's ``.open`` is true (the tabs rerun the page on a switch)."""
    follow_choice(name, key, tabs)
    drawn = st.tabs(list(tabs.values()), key=key, on_change="rerun")
    publish({name: code_of(tabs, st.session_state.get(key))})
    return drawn
