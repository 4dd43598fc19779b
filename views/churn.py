"""Churn risk: who is slipping away, and what each customer is likely to be worth."""

from retention.i18n import t
from retention.ui import churn_page, page

ctx = page.start(t("Churn risk and customer value"), t(
    "Once a purchase history is loaded, this page shows who is slipping away and what each "
    "customer is likely to be worth."))

churn_page.intro(ctx)
churn_page.value_settings(ctx)
churn = churn_page.load(ctx)
churn_page.headline(ctx, churn)
churn_page.risk_groups(ctx, churn)
churn_page.heatmap(churn)
churn_page.top_customers_section(ctx, churn)
churn_page.distributions(ctx, churn)
churn_page.backtest(ctx)
churn_page.model_details(churn)
