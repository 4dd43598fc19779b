"""Customer portraits: the customer base as a handful of recognisable people, each with its
size, habits, place on the ladder and one suggested action."""

from retention.i18n import t
from retention.ui import page, portraits_page

ctx = page.start(t("Customer portraits"), t(
    "Once a purchase history is loaded, this page groups your customers into a handful of "
    "portraits — such as “loyal regulars” or “lapsed big spenders” — each with its size, its "
    "habits and one suggested action."))

portraits_page.settings_panel(ctx)
portraits = portraits_page.portraits_or_message(ctx)
if portraits is not None:
    portraits_page.introduction(ctx, portraits)
    portraits_page.portrait_cards(ctx, portraits)
    portraits_page.charts_section(ctx, portraits)
    portraits_page.lookup_section(ctx, portraits)
    portraits_page.downloads_section(ctx, portraits)
