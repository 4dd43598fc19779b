"""The Data page's Datasets section: the list, and switch / rename / currency / rejects /
delete for one dataset at a time.

An action that changes the list runs in the script, leaves a one-line confirmation in session
state and reruns, so the sidebar picker (drawn earlier in the same run) lists the new state.
"""

from __future__ import annotations

import functools

import pandas as pd
import streamlit as st

from retention.export import Column, ColumnKind, TableSpec
from retention.formatting import CURRENCIES, format_count
from retention.i18n import current_language, t
from retention.registry import Action
from retention.store import Dataset
from retention.ui.context import Context, set_active_dataset
from retention.ui.text import md_escape
from retention.ui.widgets import (
    download_buttons,
    rejects_spec,
    rerun_with_confirmation,
    show_confirmation,
    show_table,
    table_spec,
)

MANAGE_KEY = "manage_dataset_id"
_FLASH_KEY = "_datasets_flash"
# The active dataset the manage picker last followed; when the sidebar's choice changes (a
# load, a switch) the picker follows it, otherwise it keeps the user's own pick.
_FOLLOWED_KEY = "_manage_followed_dataset_id"


def datasets_table(datasets: list[Dataset]) -> pd.DataFrame:
    """One row per dataset: name, source file, rows, rejected, version, currency, updated."""
    return pd.DataFrame(
        {
            t("Name"): [d.name for d in datasets],
            t("Source file"): [d.source_name or "" for d in datasets],
            t("Rows"): [d.rows_loaded for d in datasets],
            t("Rejected"): [d.rows_rejected for d in datasets],
            t("Version"): [d.version for d in datasets],
            t("Currency"): [d.currency or "" for d in datasets],
            t("Updated"): [d.updated_at for d in datasets],
        }
    )


def datasets_spec() -> TableSpec:
    """How :func:`datasets_table` is shown and downloaded (its columns carry these titles)."""
    kinds: dict[str, ColumnKind] = {t("Rows"): "count", t("Rejected"): "count",
                                    t("Version"): "count", t("Updated"): "datetime"}
    titles = (t("Name"), t("Source file"), t("Rows"), t("Rejected"), t("Version"),
              t("Currency"), t("Updated"))
    return table_spec(*(Column(title, title, kinds.get(title, "text")) for title in titles))


def _done(message: str) -> None:
    rerun_with_confirmation(_FLASH_KEY, message)


def datasets_section(ctx: Context) -> None:
    """The datasets table with downloads, then the actions for one chosen dataset."""
    show_confirmation(_FLASH_KEY)
    datasets = ctx.workspace.datasets()
    if not datasets:
        st.info(t("No datasets yet. Load a file above."), icon=":material/inbox:")
        return
    table = datasets_table(datasets)
    spec = datasets_spec()
    show_table(table, spec)
    download_buttons(table, "datasets", key="datasets_table", spec=spec)
    _manage(ctx, datasets)


def _manage(ctx: Context, datasets: list[Dataset]) -> None:
    ws = ctx.workspace
    by_id = {d.dataset_id: d for d in datasets}
    state = st.session_state
    active_id = ctx.dataset.dataset_id if ctx.dataset else None
    if state.get(_FOLLOWED_KEY) != active_id and active_id in by_id:
        state[MANAGE_KEY] = active_id
    state[_FOLLOWED_KEY] = active_id
    if state.get(MANAGE_KEY) not in by_id:
        state[MANAGE_KEY] = active_id if active_id in by_id else datasets[-1].dataset_id
    dataset = by_id[st.selectbox(t("Manage dataset"), list(by_id),
                                 format_func=lambda i: by_id[i].name, key=MANAGE_KEY)]
    ds_id, name = dataset.dataset_id, md_escape(dataset.name)
    # rename and currency are settings, delete is a delete: each control asks its own right
    may_edit, may_delete = ctx.may(Action.EDIT_SETTINGS), ctx.may(Action.DELETE)
    if not (may_edit and may_delete):
        st.caption(ctx.access.why_not())
    left, right = st.columns(2)

    with left:
        if ctx.dataset is not None and ctx.dataset.dataset_id == ds_id:
            st.caption(t("This is the dataset every page shows now."))
        else:
            st.button(t("Show this dataset on every page"), key=f"activate_{ds_id}",
                      icon=":material/swap_horiz:", on_click=set_active_dataset, args=(ds_id,))
        new_name = st.text_input(t("Name"), value=dataset.name, max_chars=100,
                                 key=f"rename_name_{ds_id}")
        if st.button(t("Rename"), key=f"rename_{ds_id}", icon=":material/edit:",
                     disabled=not may_edit) and may_edit:
            try:
                renamed = ws.rename_dataset(ds_id, new_name or "")
            except ValueError as exc:
                st.error(md_escape(exc))
            else:
                _done(t("Renamed to “{name}”.", name=md_escape(renamed.name)))
        labels = dict(CURRENCIES)
        codes: list[str | None] = [None, *labels]
        if dataset.currency and dataset.currency not in labels:
            codes.append(dataset.currency)
        currency = st.selectbox(
            t("Currency"), codes, index=codes.index(dataset.currency),
            format_func=lambda c: t("Not specified") if c is None else labels.get(c, c),
            key=f"currency_of_{ds_id}",
        )
        if st.button(t("Save currency"), key=f"set_currency_{ds_id}", icon=":material/payments:",
                     disabled=currency == dataset.currency or not may_edit) and may_edit:
            ws.set_currency(ds_id, currency)
            _done(t("“{name}” is now shown in {currency}.", name=name,
                    currency=labels.get(currency or "", currency or t("no currency"))))

    with right:
        if dataset.rows_rejected:
            st.caption(t("Rejected rows: {rows}. Download them with line, column, value and "
                         "reason:", rows=format_count(dataset.rows_rejected, current_language())))
            download_buttons(functools.partial(ws.rejects, ds_id), f"{dataset.name}-rejects",
                             key=f"rejects_{ds_id}", spec=rejects_spec())
        else:
            st.caption(t("No rows were rejected."))
        confirmed = st.checkbox(
            t("I understand that deleting “{name}” removes all its rows for good", name=name),
            key=f"delete_confirm_{ds_id}", disabled=not may_delete,
        )
        if st.button(t("Delete dataset"), key=f"delete_{ds_id}", icon=":material/delete:",
                     disabled=not (confirmed and may_delete)) and may_delete:
            ws.delete_dataset(ds_id)
            _done(t("Deleted “{name}”.", name=name))
