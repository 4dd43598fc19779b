"""Metrics: pure functions from (connection, dataset, parameters) to small tidy DataFrames.

Every metric takes the as-of date D; rows dated after the end of day D are ignored (DESIGN §4).
"""

from retention.metrics.activity import active_customers
from retention.metrics.headline import default_as_of, headline

__all__ = ["active_customers", "default_as_of", "headline"]
