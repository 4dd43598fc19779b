"""Home: the active dataset at a glance, or how to get started when there is none."""

import streamlit as st

from retention.i18n import t
from retention.ui import context, home_page

ctx = context.current()
st.title(t("Customer retention"))

if ctx.dataset is None:
    home_page.empty_state(ctx)
    st.stop()

home_page.headline(ctx)
home_page.links()
