"""Customer portraits: the customer base as a handful of recognisable people, each with its
size, habits, place on the ladder and one suggested action."""

import streamlit as st

from retention.i18n import t
from retention.ui import context, portraits_page

ctx = context.current()
st.title(t("Customer portraits"))

if ctx.dataset is None or ctx.as_of is None:
    portraits_page.empty_state()
    st.stop()

features, k = portraits_page.settings_panel(ctx)
portraits = portraits_page.portraits_or_message(ctx, features, k)
if portraits is not None:
    portraits_page.introduction(ctx, portraits)
    portraits_page.portrait_cards(ctx, portraits)
    portraits_page.charts_section(ctx, portraits)
    portraits_page.lookup_section(ctx, portraits, features, k)
    portraits_page.downloads_section(ctx, portraits)
