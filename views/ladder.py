"""Loyalty ladder: how many customers stand on each step, how fast they come back, who moved,
and how much of the money the best fifth of customers bring."""

import streamlit as st

from retention.i18n import t
from retention.ui import context, ladder_page

ctx = context.current()
st.title(t("Loyalty ladder"))

if ctx.dataset is None or ctx.as_of is None:
    ladder_page.empty_state()
    st.stop()

thresholds = ladder_page.settings_panel(ctx)
ladder_page.introduction(ctx, thresholds)
if ladder_page.steps(ctx, thresholds):
    ladder_page.moving_up_section(ctx)
    ladder_page.movers_section(ctx, thresholds)
    ladder_page.pareto_section(ctx)
