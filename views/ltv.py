"""Retention and lifetime value: CRR by period, cohorts, LTV = S × C × P × T, LTV by segment."""

from retention.i18n import t
from retention.ui import ltv_page, page

ctx = page.start(t("Retention and lifetime value"), t(
    "Once a purchase history is loaded, this page shows how many customers you keep from month "
    "to month, how each month's new customers come back, and what a customer is worth over "
    "their lifetime."))

ltv_page.header(ctx)
retention, cohorts, value, segments = ltv_page.section_tabs()
# Only the open tab computes (the tabs rerun the page when switched).
if retention.open:
    with retention:
        ltv_page.retention_section(ctx)
if cohorts.open:
    with cohorts:
        ltv_page.cohorts_section(ctx)
if value.open:
    with value:
        ltv_page.ltv_section(ctx)
if segments.open:
    with segments:
        ltv_page.segment_section(ctx)
