"""What every page shares: its start (the context, or the empty state and a stop).

A page script in ``views/`` reads like every other (see ``views/_template.py``)::

    ctx = page.start(t("Title"), t("What this page shows once data is loaded."))
    settings = <family>_page.settings_panel(ctx)     # optional: saved per dataset
    <family>_page.section_one(ctx, settings)          # sections, each reads ui.data accessors
    ...

``start`` draws the title, then either returns a context with a dataset and an as-of date or
shows the one empty state (what the page would show, and a link to the Data page) and stops
the script, so no section ever runs without data. The sections take their numbers from the
family's module in :mod:`retention.ui.data` and their saved settings from ``ctx.saved``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import streamlit as st

from retention.i18n import t
from retention.registry import Action
from retention.ui import context
from retention.ui.context import Context
from retention.ui.frame import DATA_PAGE
from retention.ui.text import md_escape


def empty_state(shows: str) -> None:
    """No dataset yet: ``shows`` says what the page shows once data is loaded; a link to the
    Data page follows."""
    no_data_notice(t("There is no data yet. {shows} Load a purchase history with a customer, a "
                     "date and an amount per row on the Data page.", shows=shows))


def no_data_notice(sentence: str) -> None:
    """``sentence`` as the empty state's note, then the link to the Data page: the part of the
    empty state a page with its own (Home) shares with every other page."""
    st.info(sentence, icon=":material/inbox:")
    st.page_link(DATA_PAGE, label=t("Upload your data"), icon=":material/upload_file:")


def start(title: str, shows: str | Callable[[Context], None] | None) -> Context:
    """The page's title and context for this run.

    Without a dataset (or an as-of date) ``shows`` decides what follows: a sentence saying what
    the page shows once data is loaded gives the shared :func:`empty_state`; a function draws
    the page's own empty state instead (Home's offers the sample shop); either way the script
    then stops. None: the page works without data (the Data page, where it is loaded) and the
    context comes back as it is.
    """
    ctx = context.current()
    st.title(title)
    if shows is None or (ctx.dataset is not None and ctx.as_of is not None):
        return ctx
    if callable(shows):
        shows(ctx)
    else:
        empty_state(shows)
    st.stop()


def _widget_keys(ctx: Context, namespace: str, names: Any) -> dict[str, str]:
    """One session-state key per field, per dataset: switching datasets shows that dataset's
    saved values instead of the last dataset's widgets."""
    assert ctx.dataset is not None
    return {name: f"{namespace}_{name}_{ctx.dataset.dataset_id}" for name in names}


def _forget(ctx: Context, namespace: str, keys: dict[str, str]) -> None:
    if not ctx.may(Action.EDIT_SETTINGS):  # the server's check, not only the disabled button
        return
    ctx.saved.save(namespace, {})
    for key in keys.values():
        st.session_state.pop(key, None)


def settings_form(
    ctx: Context,
    namespace: str,
    *,
    title: str,
    reset_label: str,
    initial: Mapping[str, Any],
    draw_fields: Callable[[dict[str, str]], None],
    parse: Callable[[dict[str, Any]], dict[str, Any]],
    submit_label: str | None = None,
) -> bool:
    """A family's saved settings: a form in an expander, remembered per dataset.

    ``initial`` holds each field's widget value from the saved settings (percent rather than
    share, say); ``draw_fields(keys)`` draws one widget per field under ``keys[name]``;
    ``parse(values)`` turns the submitted widget values into the dict to store, raising
    ``ValueError`` with a sentence for the user when they do not make sense. A reset button
    forgets the saved values. Returns True when new values were saved: the page then reads the
    family's property on ``ctx.saved``, which is built again from what was stored. For a role
    that may not edit settings the fields can be tried out but neither button works, and a
    sentence says why.
    """
    assert ctx.dataset is not None
    may_edit = ctx.may(Action.EDIT_SETTINGS)
    keys = _widget_keys(ctx, namespace, initial)
    state = st.session_state
    for name, key in keys.items():
        state.setdefault(key, initial[name])
    with st.expander(title, icon=":material/tune:"):
        if not may_edit:
            st.caption(ctx.access.why_not())
        with st.form(f"{namespace}_settings_{ctx.dataset.dataset_id}", border=False):
            draw_fields(keys)
            submitted = st.form_submit_button(
                submit_label or t("Apply and remember for this dataset"), icon=":material/save:",
                disabled=not may_edit)
        # a callback runs before the next run draws the form, so the form starts from defaults
        st.button(reset_label, key=f"{namespace}_reset_{ctx.dataset.dataset_id}",
                  icon=":material/restart_alt:", on_click=_forget, args=(ctx, namespace, keys),
                  disabled=not may_edit)
    if not submitted or not may_edit:
        return False
    try:
        stored = parse({name: state[key] for name, key in keys.items()})
    except ValueError as exc:
        st.error(t("These settings were not applied: {reason}", reason=md_escape(exc)),
                 icon=":material/error:")
        return False
    ctx.saved.save(namespace, stored)
    return True
