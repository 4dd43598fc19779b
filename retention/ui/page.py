"""What every page shares: its start (the context, or the empty state and a stop).

A page script in ``views/`` reads like every other (see ``views/_template.py``)::

    ctx = page.start(t("Title"), t("What this page shows once data is loaded."))
    settings = <family>_page.settings_panel(ctx)     # optional: saved per dataset
    <family>_page.section_one(ctx, settings)          # sections, each reads ui.data accessors
    ...

``start`` draws the title, then either returns a context with a dataset and an as-of date or
shows the one empty state (what the page would show, and a link to the Data page) and stops
the script, so no section ever runs without data.
"""

from __future__ import annotations

import streamlit as st

from retention.i18n import t
from retention.ui import context
from retention.ui.context import Context
from retention.ui.frame import DATA_PAGE


def empty_state(shows: str) -> None:
    """No dataset yet: ``shows`` says what the page shows once data is loaded; a link to the
    Data page follows."""
    st.info(t("There is no data yet. {shows} Load a purchase history with a customer, a date "
              "and an amount per row on the Data page.", shows=shows), icon=":material/inbox:")
    st.page_link(DATA_PAGE, label=t("Upload your data"), icon=":material/upload_file:")


def start(title: str, shows: str) -> Context:
    """The page's title and context; without a dataset, the empty state, then ``st.stop()``."""
    ctx = context.current()
    st.title(title)
    if ctx.dataset is None or ctx.as_of is None:
        empty_state(shows)
        st.stop()
    return ctx
