"""Metrics: pure functions from (connection, dataset, parameters) to small tidy DataFrames.

Every metric takes the as-of date D; rows dated after the end of day D are ignored (DESIGN §4).
"""

from retention.metrics.abc_xyz import (
    AbcXyzSettings,
    abc_xyz_cell_customers,
    abc_xyz_cells,
    abc_xyz_counts,
    abc_xyz_customer_cells,
    abc_xyz_customers,
    abc_xyz_overview,
    abc_xyz_trend,
    product_abc_xyz,
)
from retention.metrics.activity import active_customers
from retention.metrics.btyd_summary import (
    btyd_summary,
    daily_repeat_purchases,
    holdout_purchases,
)
from retention.metrics.cohorts import cohort_matrix
from retention.metrics.customer_features import customer_features, optional_attributes
from retention.metrics.headline import date_range, default_as_of, headline
from retention.metrics.ladder import (
    LadderThresholds,
    comeback_by_cohort,
    customer_steps,
    ladder_counts,
    ladder_inputs,
    migration_customers,
    migration_matrix,
    second_order_gaps,
    second_order_timing,
)
from retention.metrics.ltv import (
    ltv_at,
    ltv_by_segment,
    ltv_today,
    ltv_trend,
    segment_dimensions,
    value_curves,
    what_if_ltv,
)
from retention.metrics.pareto import pareto_curve, pareto_share
from retention.metrics.retention_rate import crr_by_month, crr_by_period

__all__ = [
    "active_customers", "date_range", "default_as_of", "headline",
    "cohort_matrix", "crr_by_month", "crr_by_period", "ltv_at", "ltv_by_segment", "ltv_today",
    "ltv_trend", "segment_dimensions", "value_curves", "what_if_ltv",
    "AbcXyzSettings", "abc_xyz_cell_customers", "abc_xyz_cells", "abc_xyz_counts",
    "abc_xyz_customer_cells", "abc_xyz_customers", "abc_xyz_overview", "abc_xyz_trend",
    "product_abc_xyz",
    "LadderThresholds", "comeback_by_cohort", "customer_steps", "ladder_counts", "ladder_inputs",
    "migration_customers", "migration_matrix", "second_order_gaps", "second_order_timing",
    "pareto_curve", "pareto_share",
    "customer_features", "optional_attributes",
    "btyd_summary", "daily_repeat_purchases", "holdout_purchases",
]
