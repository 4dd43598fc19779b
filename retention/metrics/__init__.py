"""Metrics: pure functions from (connection, dataset, parameters) to small tidy DataFrames.

Every metric takes the as-of date D; rows dated after the end of day D are ignored (DESIGN §4).
"""

from retention.metrics.headline import default_as_of, headline

__all__ = ["default_as_of", "headline"]
