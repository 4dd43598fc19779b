"""Audiences and campaigns: who to write to, the list to send, and what it changed
(DESIGN §8)."""

from retention.i18n import t
from retention.ui import audiences_page, page

ctx = page.start(t("Audiences and campaigns"), t(
    "Once a purchase history is loaded, this page offers ready-made audiences (win-back, "
    "second purchase, VIP, birthdays, referrals), builds your own, and exports the list with "
    "a control group so you can later read out what the campaign changed."))

# Before the builder is drawn: a link's playbook audience sets its conditions.
audiences_page.intro(ctx)
audiences_page.playbook_section(ctx)
built = audiences_page.builder_section(ctx)
if built is not None:
    audiences_page.export_section(ctx, *built)
audiences_page.saved_section(ctx, None if built is None else built[0])
audiences_page.readout_section(ctx)
