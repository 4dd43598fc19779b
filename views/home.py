"""Home: the active dataset at a glance, or how to get started when there is none."""

from retention.i18n import t
from retention.ui import home_page, page

ctx = page.start(t("Customer retention"), home_page.empty_state)
home_page.headline(ctx)
home_page.worth_acting_on(ctx)
home_page.links()
