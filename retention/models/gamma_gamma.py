"""Gamma-Gamma: how much a customer spends per purchase (Fader, Hardie & Lee 2005, "RFM and
CLV: using iso-value curves for customer base analysis", JMR 42(4); Fader & Hardie's note 025).

A customer's purchases scatter around their own mean spend; each purchase is
Gamma(p, ν) and ν ~ Gamma(q, v) across customers. So a customer seen buying often is trusted
near their own average, one seen once is pulled towards everybody's.

Input, one value per repeat buyer with a positive average:

    x  repeat purchases                           2
    m  mean value of those repeat purchases       22.35

The model assumes spend per purchase does not depend on how often someone buys; check
``frequency_spend_correlation_`` (near 0 is good) before trusting it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import digamma, gammaln

from retention.i18n import N_, t
from retention.models.base import (
    FloatArray,
    MaximumLikelihoodModel,
    ModelFitError,
    as_array,
    dot,
    weighted_counts,
)


class GammaGammaModel(MaximumLikelihoodModel):
    """The Gamma-Gamma spend model. ``GammaGammaModel().fit(x, m)`` learns ``p_``, ``q_``,
    ``v_`` (money) and ``loglik_``; fit it on customers with x ≥ 1 and m > 0 only."""

    param_names = ("p", "q", "v")
    param_meanings = {"p": N_("spend"), "q": N_("spend"), "v": N_("spend")}
    model_name = "Gamma-Gamma"

    def fit(self, x: Any, m: Any, weights: Any = None) -> GammaGammaModel:
        """Maximum likelihood over repeat buyers (x ≥ 1, m > 0). Returns ``self``."""
        x_, m_ = as_array(x, "x"), as_array(m, "m")
        w_ = np.ones_like(x_) if weights is None else as_array(weights, "weights")
        if not len(x_) == len(m_) == len(w_):
            raise ValueError(t("x and m must have one value per customer each."))
        if np.any(x_ < 1):
            raise ValueError(t("The spend model is fitted on repeat buyers only: every x must be "
                               "1 or more."))
        if np.any(m_ <= 0):
            raise ValueError(t("The spend model needs a positive average spend m for every "
                               "customer; leave out customers whose returns cancel their "
                               "purchases."))
        if len(x_) < 2:
            raise ModelFitError(t(
                "Too few repeat buyers ({n}) to learn how spend varies between customers.",
                n=len(x_)))
        self.customers_ = float(np.sum(w_))
        self.frequency_spend_correlation_ = float(np.corrcoef(x_, m_)[0, 1]) if (
            np.std(x_) > 0 and np.std(m_) > 0) else 0.0
        data = _SpendData(x_, m_, w_)
        W = data.total_weight

        # Start from the method of moments of the mean spend: E[m] = p·v/(q − 1).
        start = np.log(np.array([1.0, 2.0, max(float(np.average(m_, weights=w_)), 1e-6)]))
        p, q, v = self._maximise(data.objective, start, W)
        self.p_, self.q_, self.v_ = float(p), float(q), float(v)
        return self

    @property
    def mean_spend_(self) -> float:
        """Everybody's expected spend per purchase, p·v/(q − 1); NaN when q ≤ 1 (no finite
        mean: a few huge spenders dominate)."""
        self._check_fitted()
        return self.p_ * self.v_ / (self.q_ - 1.0) if self.q_ > 1 else float("nan")

    def expected_spend(self, x: Any, m: Any) -> FloatArray:
        """E[spend per purchase | x, m] = p·(v + x·m) / (p·x + q − 1): a weighted average of
        the customer's own mean and everybody's. Customers with x = 0 or a missing or
        non-positive m get ``mean_spend_``."""
        self._check_fitted()
        x_ = np.asarray(x, dtype=float)
        m_ = np.asarray(m, dtype=float)
        usable = (x_ > 0) & np.isfinite(m_) & (m_ > 0)
        p, q, v = self.p_, self.q_, self.v_
        with np.errstate(all="ignore"):
            own = p * (v + x_ * np.where(usable, m_, 0.0)) / (p * x_ + q - 1.0)
        return np.asarray(np.where(usable, own, self.mean_spend_), dtype=float)


class _SpendData:
    """The repeat buyers of one fit, arranged so each optimiser step is cheap: the Gamma and
    digamma terms depend on x alone and are evaluated once per distinct x."""

    def __init__(self, x: FloatArray, m: FloatArray, w: FloatArray) -> None:
        self.x_values, self.x_index = np.unique(x, return_inverse=True)
        self.w_by_x = weighted_counts(self.x_index, w, len(self.x_values))
        self.w = w
        self.x = x
        self.total_weight = float(np.sum(w))
        log_m = np.log(m)
        # (px − 1)·ln m + px·ln x = p·x·(ln m + ln x) − ln m; the last part is parameter-free.
        self.p_coefficient = dot(w, x * (log_m + np.log(x)))
        self.constant = -dot(w, log_m)
        self.spend = x * m

    def objective(self, log_params: FloatArray) -> tuple[float, FloatArray]:
        """Mean negative log-likelihood and its gradient with respect to log-parameters:
        ln Γ(px+q) − ln Γ(px) − ln Γ(q) + q ln v + (px−1) ln m + px ln x − (px+q) ln(xm+v)."""
        p, q, v = np.exp(log_params)
        W, w = self.total_weight, self.w
        px = p * self.x_values
        log_spend_v = np.log(self.spend + v)
        pxq = (px + q)[self.x_index]
        ll = (dot(self.w_by_x, gammaln(px + q) - gammaln(px)) - dot(w, pxq * log_spend_v)
              + W * (q * np.log(v) - gammaln(q)) + p * self.p_coefficient + self.constant)
        dig = digamma(px + q)
        w_log = w * log_spend_v
        grad = np.array([
            dot(self.w_by_x * self.x_values, dig - digamma(px)) - dot(w_log, self.x)
            + self.p_coefficient,
            dot(self.w_by_x, dig) - float(np.sum(w_log)) + W * (np.log(v) - digamma(q)),
            W * q / v - dot(w, pxq / (self.spend + v)),
        ])
        return -ll / W, -grad * np.array([p, q, v]) / W
