"""Retention and lifetime value: CRR by period, cohorts, LTV = S × C × P × T, LTV by segment."""

import streamlit as st

from retention.i18n import t
from retention.ui import context, ltv_page

ctx = context.current()
st.title(t("Retention and lifetime value"))

if ctx.dataset is None:
    ltv_page.empty_state()
    st.stop()

ltv_page.header(ctx)
retention, cohorts, value, segments = ltv_page.section_tabs()
# Only the open tab computes (the tabs rerun the page when switched).
if retention.open:
    with retention:
        ltv_page.retention_section(ctx)
if cohorts.open:
    with cohorts:
        ltv_page.cohorts_section(ctx)
if value.open:
    with value:
        ltv_page.ltv_section(ctx)
if segments.open:
    with segments:
        ltv_page.segment_section(ctx)
