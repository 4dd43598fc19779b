"""Loyalty programme simulator: the programme replayed on last year's real orders, then
projected forward (DESIGN §7)."""

from retention.i18n import t
from retention.ui import loyalty_page, page

ctx = page.start(t("Loyalty programme"), t(
    "Once a purchase history is loaded, this page replays a points, stamp-card, cashback or "
    "tier programme on your customers' real orders of the last year, then projects whether it "
    "pays off, and when."))

loyalty_page.header(ctx)
# Before any input is drawn: a link switches the dataset and sets the inputs.
loyalty_page.follow_link(ctx)
inputs, results = loyalty_page.columns()
with inputs:
    baseline = loyalty_page.baseline_section(ctx)
    programme = loyalty_page.programme_section(ctx)
if programme is not None:
    with results:
        replay = loyalty_page.replay_section(ctx, programme)
        loyalty_page.projection_section(ctx, baseline, programme, replay)
    loyalty_page.scenarios_section(ctx, baseline, programme)
    loyalty_page.link_section(ctx, programme)
loyalty_page.formulas()
