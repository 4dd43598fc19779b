"""The words metrics, models and charts share: the ladder's steps and the customer features.

A metric computes with these codes, a chart draws them and a page shows their labels, so they
live here rather than in any one of those modules: ``retention.charts`` reads them from this
module, never from a metric's module. Labels are English catalogue keys; :func:`step_label`
and :func:`feature_label` translate them with :func:`retention.i18n.t`.
"""

from __future__ import annotations

from retention.i18n import N_, t

# The loyalty ladder's steps, lowest first (DESIGN §4): the order is the ladder's order.
STEPS = ("buyer", "repeat", "regular", "loyal", "advocate")
STEP_LABELS = {
    "buyer": N_("One-time buyer"),
    "repeat": N_("Repeat client"),
    "regular": N_("Regular"),
    "loyal": N_("Loyal"),
    "advocate": N_("Advocate"),
}
# The migration matrix's extra row: customers without an order by the start date.
NEW = "new"
NEW_LABEL = N_("New since the start date")
# How a customer moved between two dates: first order in between, up, same step, down.
MIGRATION_DIRECTIONS = ("new", "up", "same", "down")

# The per-customer features portraits cluster on and charts draw, by column name.
FEATURE_LABELS = {
    "recency_days": N_("Days since last order"),
    "orders": N_("Orders"),
    "avg_check": N_("Average check"),
    "net_revenue": N_("Net revenue"),
    "tenure_days": N_("Days since first order"),
    "mean_days_between_orders": N_("Days between orders"),
    "return_rate": N_("Return rate"),
    "age": N_("Age"),
    "gender": N_("Gender"),
    "city": N_("City"),
    "channel": N_("Channel"),
    "top_category": N_("Top category"),
}


def step_label(step: str) -> str:
    """A step's name in the interface language ('new', the migration matrix's row, included)."""
    return t(NEW_LABEL) if step == NEW else t(STEP_LABELS[step])


def feature_label(feature: str) -> str:
    """A feature's name in the interface language (the column name when it has no label)."""
    return t(FEATURE_LABELS.get(feature, feature))
