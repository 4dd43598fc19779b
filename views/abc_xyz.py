"""ABC/XYZ: who brings the money, how regularly they buy, and what to do with each group."""

from retention.i18n import t
from retention.ui import abc_xyz_page, page

ctx = page.start(t("ABC/XYZ: who brings the money, and how regularly"), t(
    "Once there is, this page sorts customers by how much money they bring and how regularly "
    "they buy, and says what to do with each group."))
settings, product_settings = abc_xyz_page.settings_panel(ctx)
abc_xyz_page.introduction(ctx, settings)
customers, cut_offs, trend, products = abc_xyz_page.tabs()
# only the open tab runs: each one costs a classification of its own
if customers.open:
    with customers:
        overview = abc_xyz_page.matrix(ctx)
        if overview is not None:
            abc_xyz_page.cell_drilldown(ctx, overview)
if cut_offs.open:
    with cut_offs:
        abc_xyz_page.distributions(ctx, settings)
if trend.open:
    with trend:
        abc_xyz_page.trend(ctx)
if products.open:
    with products:
        abc_xyz_page.products(ctx, product_settings)
