"""ABC/XYZ: who brings the money, how regularly they buy, and what to do with each group."""

import streamlit as st

from retention.i18n import t
from retention.ui import abc_xyz_page, context

ctx = context.current()
st.title(t("ABC/XYZ: who brings the money, and how regularly"))

if ctx.dataset is None or ctx.as_of is None:
    abc_xyz_page.empty_state()
    st.stop()

settings, product_settings = abc_xyz_page.settings_panel(ctx)
abc_xyz_page.introduction(ctx, settings)
customers, cut_offs, trend, products = abc_xyz_page.tabs()
# only the open tab runs: each one costs a classification of its own
if customers.open:
    with customers:
        overview = abc_xyz_page.matrix(ctx, settings)
        if overview is not None:
            abc_xyz_page.cell_drilldown(ctx, settings, overview)
if cut_offs.open:
    with cut_offs:
        abc_xyz_page.distributions(ctx, settings)
if trend.open:
    with trend:
        abc_xyz_page.trend(ctx, settings)
if products.open:
    with products:
        abc_xyz_page.products(ctx, product_settings)
