"""Churn risk: who is slipping away, and what each customer is likely to be worth."""

import streamlit as st

from retention.i18n import t
from retention.ui import churn_page, context

ctx = context.current()
st.title(t("Churn risk and customer value"))

if ctx.dataset is None:
    churn_page.empty_state()
    st.stop()

churn_page.intro(ctx)
value = churn_page.value_settings(ctx)
page = churn_page.load(ctx, value)
churn_page.headline(ctx, page)
churn_page.risk_groups(ctx, page)
churn_page.heatmap(page)
churn_page.top_customers_section(ctx, page)
churn_page.distributions(ctx, page)
churn_page.backtest(ctx)
churn_page.model_details(page)
