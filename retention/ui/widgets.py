"""Widgets every page shares."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from retention.export import to_csv_bytes, to_xlsx_bytes
from retention.i18n import t
from retention.ui.text import safe_file_stem

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def download_buttons(
    df: pd.DataFrame | Callable[[], pd.DataFrame], file_stem: str, key: str
) -> None:
    """Two buttons side by side: the table as CSV and as Excel, formula-neutralised.

    ``df`` is a DataFrame or a function returning one (for big tables such as every rejected
    row). Either way the file is built only when its button is clicked: Streamlit serves a
    download from /media without asking for the sign-in, so a file should exist on the server
    only for the moment it is fetched (README, "Hosting"). ``file_stem`` may be user text: it
    is cleaned into a safe file name. Widget keys are ``{key}_csv`` and ``{key}_xlsx``.
    """
    stem = safe_file_stem(file_stem)
    produce = df if callable(df) else lambda: df
    csv_data: Callable[[], bytes] = lambda: to_csv_bytes(produce())  # noqa: E731
    xlsx_data: Callable[[], bytes] = lambda: to_xlsx_bytes(produce())  # noqa: E731
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
