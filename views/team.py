"""Team: the current workspace's members, their roles, and invitations (its admins only)."""

from retention.i18n import t
from retention.ui import page, team_page

# no empty state: members are managed whether or not the workspace has data
ctx = page.start(t("Team"), None)

if team_page.allowed(ctx):
    team_page.members_section(ctx)
    team_page.invite_section(ctx)
