"""Widgets every page shares: the one way to show a table, its downloads, and money cards.

Every table on every page goes through :func:`show_table` (a test greps the UI for any other
``st.dataframe``). It neutralises spreadsheet formulas in text cells *before* the data reaches
the browser, because Streamlit's own table toolbar has a "Download as CSV" button and cells can
be copied to the clipboard, and neither path passes through :mod:`retention.export`:
``=HYPERLINK(...)`` in a customer id would otherwise leave as a live formula. Streamlit offers
no per-table switch for that button (``client.disableDataExport`` hides it for the whole app,
copying included), and its maintainers point out that copying leaks the same cells
(streamlit/streamlit#8402), so the cells themselves are made safe.

A :class:`~retention.export.TableSpec` describes the table once; :func:`column_config` turns it
into Streamlit's column settings and :func:`download_buttons` into the files, so screen and
files show the same titles and numbers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NoReturn

import pandas as pd
import streamlit as st

from retention.export import (
    Column,
    TableSpec,
    neutralise_formulas,
    to_csv_bytes,
    to_xlsx_bytes,
)
from retention.formatting import format_money, format_money_compact, grouping_symbol
from retention.i18n import current_language, t
from retention.ui.text import md_escape, safe_file_stem

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Streamlit's date formats (momentjs): sortable and the same in every language.
_DATE_FORMATS = {"date": "YYYY-MM-DD", "month": "YYYY-MM", "datetime": "YYYY-MM-DD HH:mm"}


def table_spec(*columns: Column, currency: str | None = None) -> TableSpec:
    """A :class:`TableSpec` in the interface language (for the currency sign in titles)."""
    return TableSpec(columns, currency=currency, locale=current_language())


def number_format(decimals: int, locale: str) -> str:
    """A Streamlit printf format with thousands grouped the ``locale`` way and ``decimals``
    digits: ``"%,.2f"`` in English (``1,234.50``), a no-break space in Russian.

    Streamlit's printf (sprintf-js) takes the grouping character after an apostrophe
    (``%'␣,.2f``); its decimal mark is always a point, so Russian tables read ``1 234.50``
    while cards and charts, formatted by Babel, read ``1 234,50``.
    """
    group = grouping_symbol(locale)
    flag = "," if group == "," else f"'{group},"
    return f"%{flag}.{decimals}f" if decimals else f"%{flag}d"


def column_config(spec: TableSpec) -> dict[str, Any]:
    """Streamlit column settings for ``spec``'s columns, keyed by source column.

    Titles carry their unit (``"Net revenue (₽)"``, ``"CRR (%)"``); numbers are grouped with
    the spec's decimals (money: the currency's cents); days read ``YYYY-MM-DD``; flags are
    checkboxes. Values come from :meth:`TableSpec.shown`, so shares are already percentages.
    """
    config: dict[str, Any] = {}
    for column in spec.columns:
        label, kind = spec.header(column), column.kind
        common: dict[str, Any] = {"help": column.help, "width": column.width}
        if kind in ("count", "money", "percent", "share", "number"):
            fmt = number_format(spec.decimals(column), spec.locale)
            if column.bar:
                config[column.source] = st.column_config.ProgressColumn(
                    label, min_value=0, max_value=100, format=fmt, **common)
            else:
                config[column.source] = st.column_config.NumberColumn(label, format=fmt,
                                                                      **common)
        elif kind == "datetime":
            config[column.source] = st.column_config.DatetimeColumn(
                label, format=_DATE_FORMATS[kind], **common)
        elif kind in _DATE_FORMATS:
            config[column.source] = st.column_config.DateColumn(
                label, format=_DATE_FORMATS[kind], **common)
        elif kind == "flag":
            config[column.source] = st.column_config.CheckboxColumn(label, **common)
        else:
            config[column.source] = st.column_config.TextColumn(label, **common)
    return config


def _safe_for_the_browser(frame: pd.DataFrame, hide_index: bool) -> pd.DataFrame:
    """``frame`` with formula-like text neutralised in cells, headers and a shown index."""
    safe = neutralise_formulas(frame)
    if not hide_index:
        index = neutralise_formulas(frame.index.to_frame(index=False))
        safe.index = pd.MultiIndex.from_frame(index) if index.shape[1] > 1 else pd.Index(
            index.iloc[:, 0], name=frame.index.name)
    return safe


def show_table(data: pd.DataFrame, spec: TableSpec | None = None, *, hide_index: bool = True,
               **options: Any) -> Any:
    """Draw ``data`` with ``st.dataframe``: the only way a page shows a table.

    With a ``spec``, only its columns, in its order, with its titles and number formats
    (:func:`column_config`); without one (a preview of an uploaded file), every column as it
    is. Either way text that a spreadsheet would run as a formula gets a leading apostrophe
    (:func:`retention.export.neutralise_formulas`), so the toolbar's CSV download and copying
    cells are as safe as the app's own buttons, and missing values show as empty cells, never
    "None". ``options`` go to ``st.dataframe`` (``key``, ``on_select``, ``height``, …); returns
    what it returns.
    """
    shown = data if spec is None else spec.shown(data)
    config = None if spec is None else column_config(spec)
    return st.dataframe(_safe_for_the_browser(shown, hide_index), hide_index=hide_index,
                        column_config=config, placeholder="", **options)


def download_buttons(
    df: pd.DataFrame | Callable[[], pd.DataFrame], file_stem: str, key: str,
    spec: TableSpec | None = None,
) -> None:
    """Two buttons side by side: the table as CSV and as Excel, formula-neutralised.

    ``df`` is a DataFrame or a function returning one (for big tables such as every rejected
    row). Either way the file is built only when its button is clicked: Streamlit serves a
    download from /media without asking for the sign-in, so a file should exist on the server
    only for the moment it is fetched (README, "Hosting"). With a ``spec`` — the one the page's
    table is shown with — the files carry the page's titles and numbers
    (:meth:`TableSpec.exported`). ``file_stem`` may be user text: it is cleaned into a safe file
    name. Widget keys are ``{key}_csv`` and ``{key}_xlsx``.
    """
    stem = safe_file_stem(file_stem)
    produce = df if callable(df) else lambda: df
    csv_data: Callable[[], bytes] = lambda: to_csv_bytes(produce(), spec=spec)  # noqa: E731
    xlsx_data: Callable[[], bytes] = lambda: to_xlsx_bytes(produce(), spec=spec)  # noqa: E731
    with st.container(horizontal=True):
        # on_click="ignore": saving a file should not rerun the page and lose its state.
        st.download_button(
            t("CSV"), csv_data, file_name=f"{stem}.csv", mime="text/csv", key=f"{key}_csv",
            on_click="ignore", icon=":material/download:",
            help=t("Download this table as a CSV file (UTF-8, opens in Excel)."),
        )
        st.download_button(
            t("Excel"), xlsx_data, file_name=f"{stem}.xlsx", mime=XLSX_MIME, key=f"{key}_xlsx",
            on_click="ignore", icon=":material/download:",
            help=t("Download this table as an Excel workbook."),
        )


def money_metric(place: Any, label: str, value: Any, currency: str | None, *, help: str,
                 delta: Any = None, border: bool = True) -> None:
    """A metric card for an amount of money: every money card on every page.

    Cards cut long values off instead of wrapping ("so'm 43,424,672.…"), so from
    :data:`retention.formatting.COMPACT_FROM` the card shows the short form
    (:func:`retention.formatting.format_money_compact`, "so'm 43.4M") and its tooltip adds the
    exact amount. A missing value reads "Unknown". ``place`` is ``st`` or a column;
    ``help`` is Markdown; ``delta``, an amount too, is shortened the same way.
    """
    lang = current_language()
    missing = value is None or pd.isna(value)
    exact = format_money(value, currency, lang)
    shown = t("Unknown") if missing else format_money_compact(value, currency, lang)
    tooltip = help
    if not missing and shown != exact:
        tooltip = help + "\n\n" + t("Exactly: {amount}", amount=md_escape(exact))
    delta_text = None
    if delta is not None and not pd.isna(delta):
        delta_text = format_money_compact(delta, currency, lang)
        if delta_text != format_money(delta, currency, lang):
            tooltip += "\n\n" + t("Change, exactly: {amount}",
                                  amount=md_escape(format_money(delta, currency, lang)))
    place.metric(label, shown, delta=delta_text, border=border, help=tooltip)


def rejects_spec() -> TableSpec:
    """The list of rejected rows (``Workspace.rejects``) as its downloads carry it."""
    return table_spec(
        Column("line", t("Line in the file"), "count"),
        Column("column", t("Column")),
        Column("raw_value", t("Value in the file")),
        Column("reason", t("Reason")),
    )


def rejects_summary_spec() -> TableSpec:
    """A load's rejects grouped by reason, as the Data page shows it (its columns already
    carry these titles)."""
    return table_spec(
        Column(t("Reason"), t("Reason")),
        Column(t("Column"), t("Column")),
        Column(t("Rows"), t("Rows"), "count"),
        Column(t("Example line"), t("Example line"), "count"),
        Column(t("Example value"), t("Example value")),
    )


def rerun_with_confirmation(key: str, message: str) -> NoReturn:
    """Keep ``message`` under ``key`` and rerun, so widgets drawn earlier in this run (the
    sidebar, a list) show the change; the next run shows it with :func:`show_confirmation`."""
    st.session_state[key] = message
    st.rerun()


def show_confirmation(key: str) -> None:
    """The confirmation :func:`rerun_with_confirmation` left under ``key``, once."""
    message = st.session_state.pop(key, None)
    if message:
        st.success(message, icon=":material/check_circle:")
