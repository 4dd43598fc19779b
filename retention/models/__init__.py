"""Models of customer behaviour: BG/NBD (will they buy again, and how often) and Gamma-Gamma
(how much per purchase), and what follows from them — churn risk, predicted value, a backtest.

One module per model over a small base (``base``); ``churn`` turns fitted models into
per-customer scores and the risk groups other pages reuse; ``backtest`` checks predictions
against a holdout period. No streamlit here, and no ``lifetimes``/``btyd`` dependency.
Other models (such as ``portraits``) are imported by their module path.
"""

from retention.models.backtest import Backtest, default_split, run_backtest
from retention.models.base import ModelFitError, NotFittedError
from retention.models.bgnbd import BetaGeoModel
from retention.models.churn import (
    DAYS_PER_MONTH,
    DAYS_PER_WEEK,
    ONE_TIME_WARNING_SHARE,
    RISK_GROUP_BY_KEY,
    RISK_GROUPS,
    ChurnModel,
    RiskGroup,
    RiskThresholds,
    ValueSettings,
    alive_heatmap,
    customer_scores,
    default_margin,
    fit_churn_model,
    fit_summary,
    risk_group,
    risk_group_counts,
    risk_group_description,
    score_histogram,
    top_customers,
)
from retention.models.gamma_gamma import GammaGammaModel

__all__ = [
    "DAYS_PER_MONTH", "DAYS_PER_WEEK", "ONE_TIME_WARNING_SHARE", "RISK_GROUPS",
    "RISK_GROUP_BY_KEY", "Backtest", "BetaGeoModel", "ChurnModel", "GammaGammaModel",
    "ModelFitError", "NotFittedError", "RiskGroup", "RiskThresholds", "ValueSettings",
    "alive_heatmap", "customer_scores", "default_margin", "default_split", "fit_churn_model",
    "fit_summary", "risk_group", "risk_group_counts", "risk_group_description", "run_backtest",
    "score_histogram", "top_customers",
]
