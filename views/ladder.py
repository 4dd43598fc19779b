"""Loyalty ladder: how many customers stand on each step, how fast they come back, who moved,
and how much of the money the best fifth of customers bring."""

from retention.i18n import t
from retention.ui import ladder_page, page

ctx = page.start(t("Loyalty ladder"), t(
    "Once there is, this page shows how many customers stand on each step from one-time buyer "
    "to advocate, how fast new customers come back, who moved up or down, and how much of the "
    "money the best fifth of customers bring."))
thresholds = ladder_page.settings_panel(ctx)
ladder_page.introduction(ctx, thresholds)
if ladder_page.steps(ctx, thresholds):
    ladder_page.moving_up_section(ctx)
    ladder_page.movers_section(ctx)
    ladder_page.pareto_section(ctx)
