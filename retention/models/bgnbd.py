"""BG/NBD: how often customers buy and when they quietly stop (Fader, Hardie & Lee 2005,
"Counting your customers the easy way", Marketing Science 24(2), 275–284).

While alive, a customer buys at a steady rate λ (Poisson); after every purchase they may drop
out for good with probability p. Across customers λ ~ Gamma(r, α) and p ~ Beta(a, b).

Input, one value per customer, time in **weeks** (``retention.models.churn`` converts days):

    x    repeat purchases (purchase days − 1)       2
    t_x  time from first to last purchase           30.43
    T    time from first purchase to the period end 38.86

Why the likelihood is split the way it is: terms that depend on x alone (Gamma and Beta
functions) are evaluated once per distinct x — a few hundred values even for millions of
customers — and identical (x, t_x, T) rows are collapsed into weights, so each optimiser step
costs a handful of array operations over the distinct rows. One-time buyers (x = 0) reduce to
r·ln(α / (α + T)) and are grouped by T alone.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import betaln, digamma, expit, gammaln, hyp2f1

from retention.i18n import N_, t
from retention.models.base import (
    FloatArray,
    MaximumLikelihoodModel,
    ModelFitError,
    as_array,
    distinct_rows,
    dot,
    weighted_counts,
)


class BetaGeoModel(MaximumLikelihoodModel):
    """The BG/NBD model. ``BetaGeoModel(l2=0.0).fit(x, t_x, T)`` learns ``r_``, ``alpha_``
    (weeks), ``a_``, ``b_`` and ``loglik_`` (the log-likelihood summed over customers).

    ``l2`` adds ``l2 · Σ (ln θ)²`` over the four parameters to the mean negative
    log-likelihood: a small value (0.001) keeps the estimates finite on data that say little
    about drop-out (see ``MaximumLikelihoodModel._maximise``).
    """

    param_names = ("r", "alpha", "a", "b")
    param_meanings = {"r": N_("purchase-rate"), "alpha": N_("purchase-rate"), "a": N_("drop-out"),
                      "b": N_("drop-out")}
    model_name = "BG/NBD"

    def fit(self, x: Any, t_x: Any, T: Any, weights: Any = None) -> BetaGeoModel:
        """Maximum likelihood over the customers (x, t_x, T in weeks; optional ``weights``:
        how many customers each row stands for). Returns ``self``."""
        x_, t_x_, T_, w_ = _check_inputs(x, t_x, T, weights)
        if float(np.sum(w_ * x_)) == 0:
            raise ModelFitError(t(
                "Nobody bought a second time in this period, so there is nothing to learn "
                "about how often customers come back. Choose a later calibration end or load "
                "a longer purchase history."))
        data = _Collapsed(x_, t_x_, T_, w_)
        self.customers_ = float(data.total_weight)
        self.distinct_rows_ = int(data.rows)
        # Start where the rate is right on average (E[λ] = r/α) and drop-out is moderate.
        rate = max(float(np.sum(w_ * x_) / max(np.sum(w_ * T_), 1e-9)), 1e-6)
        start = np.log(np.array([1.0, 1.0 / rate, 1.0, 3.0]))
        r, alpha, a, b = self._maximise(data.objective, start, data.total_weight)
        self.r_, self.alpha_, self.a_, self.b_ = float(r), float(alpha), float(a), float(b)
        return self

    # -- predictions (all times in weeks) --------------------------------------------------------

    def probability_alive(self, x: Any, t_x: Any, T: Any) -> FloatArray:
        """P(still a customer at T | x, t_x, T) (Fader, Hardie & Lee 2008, "Computing P(alive)
        using the BG/NBD model"); 1 for x = 0, since in this model customers drop out only
        right after a purchase.

        1 / (1 + e^odds) is computed as expit(−odds): the odds of a customer with hundreds of
        purchases long ago pass 709, where e^odds overflows, while expit stays exact at both
        ends without raising under ``np.seterr(all="raise")``."""
        self._check_fitted()
        x_, t_x_, T_ = (np.asarray(v, dtype=float) for v in (x, t_x, T))
        return np.asarray(expit(-self._log_odds_dead(x_, t_x_, T_)), dtype=float)

    def expected_purchases(self, t: Any, x: Any, t_x: Any, T: Any) -> FloatArray:
        """E[purchases in (T, T + t] | x, t_x, T] — eq. (10) of the paper; ``t`` in weeks."""
        self._check_fitted()
        t_, x_, t_x_, T_ = np.broadcast_arrays(*(np.asarray(v, dtype=float)
                                                 for v in (t, x, t_x, T)))
        r, alpha, a, b = self.r_, self.alpha_, self._a_for_expectation(), self.b_
        z = t_ / (alpha + T_ + t_)
        future = _alive_expected_purchases(r + x_, alpha + T_, a, b + x_, z)
        return future * self.probability_alive(x_, t_x_, T_)

    def expected_purchases_new_customer(self, t: Any) -> FloatArray:
        """E[X(t)]: purchases in the first ``t`` weeks after a first purchase — eq. (9)."""
        self._check_fitted()
        t_ = np.asarray(t, dtype=float)
        r, alpha, a, b = self.r_, self.alpha_, self._a_for_expectation(), self.b_
        return _alive_expected_purchases(r, alpha, a, b, t_ / (alpha + t_))

    def probability_of_purchases(self, t: Any, n: int) -> FloatArray:
        """P(X(t) = n): a new customer makes exactly ``n`` repeat purchases in ``t`` weeks —
        eq. (8) of the paper."""
        self._check_fitted()
        if n < 0:
            raise ValueError("n must be 0 or more")
        t_ = np.asarray(t, dtype=float)
        r, alpha, a, b = self.r_, self.alpha_, self.a_, self.b_
        log_scale = r * np.log(alpha / (alpha + t_))
        log_share = np.log(t_ / (alpha + t_)) if n else 0.0
        first = np.exp(betaln(a, b + n) - betaln(a, b) + gammaln(r + n) - gammaln(r)
                       - gammaln(n + 1) + log_scale + n * log_share)
        if n == 0:
            return np.asarray(first, dtype=float)
        partial = np.zeros_like(t_)
        for j in range(n):
            partial = partial + np.exp(gammaln(r + j) - gammaln(r) - gammaln(j + 1)
                                       + log_scale + j * np.log(t_ / (alpha + t_)))
        second = np.exp(betaln(a + 1, b + n - 1) - betaln(a, b)) * (1.0 - partial)
        return np.asarray(first + second, dtype=float)

    # -- internals -------------------------------------------------------------------------------

    def _log_odds_dead(self, x: FloatArray, t_x: FloatArray, T: FloatArray) -> FloatArray:
        """ln[a / (b + x − 1) · ((α + T) / (α + t_x))^(r + x)] for repeat buyers, −∞ for x = 0.
        Every logarithm's argument is positive (b + x − 1 ≥ b for x ≥ 1, and x = 0 rows are
        floored before the mask replaces them), so nothing here needs a silenced error."""
        r, alpha, a, b = self.r_, self.alpha_, self.a_, self.b_
        odds = (np.log(a) - np.log(np.maximum(b + x - 1.0, 1e-300))
                + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x)))
        return np.where(x > 0, odds, -np.inf)

    def _a_for_expectation(self) -> float:
        # The expectations divide by (a − 1); at a = 1 exactly the limit is finite, so step
        # aside by a hair instead of dividing by zero.
        a = self.a_
        return a + 1e-7 if abs(a - 1.0) < 1e-7 else a


def _alive_expected_purchases(
    r: Any, alpha: Any, a: float, b: Any, z: FloatArray
) -> FloatArray:
    """Expected purchases in the next t of a customer who is alive now, with a Gamma(r, α)
    purchase rate and Beta(a, b) drop-out, z = t / (α + t):

        (a + b − 1)/(a − 1) · [1 − (1 − z)^r · ₂F₁(r, b; a + b − 1; z)]

    computed through Euler's transformation (1 − z)^r · ₂F₁(r, b; c; z) =
    (1 − z)^(a − 1) · ₂F₁(c − r, a − 1; c; z), c = a + b − 1. The direct form overflows for
    customers with hundreds of purchases (₂F₁ grows like (1 − z)^−x); the transformed one has
    small parameters whatever x is, and agrees with 40-digit arithmetic to 1e-11 (checked with
    mpmath for x up to 400 and horizons up to ten years)."""
    c = a + b - 1.0
    with np.errstate(all="ignore"):
        inner = np.exp((a - 1.0) * np.log1p(-z)) * hyp2f1(c - r, a - 1.0, c, z)
        value = c / (a - 1.0) * (1.0 - inner)
    return np.asarray(np.maximum(value, 0.0), dtype=float)


def _check_inputs(
    x: Any, t_x: Any, T: Any, weights: Any
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Validate the columns in one place, with messages that name the column."""
    x_, t_x_, T_ = as_array(x, "x"), as_array(t_x, "t_x"), as_array(T, "T")
    if not len(x_) == len(t_x_) == len(T_):
        raise ValueError(t("x, t_x and T must have one value per customer each."))
    w_ = np.ones_like(x_) if weights is None else as_array(weights, "weights")
    if len(w_) != len(x_):
        raise ValueError(t("weights must have one value per row."))
    if len(x_) == 0 or float(np.sum(w_)) <= 0:
        raise ModelFitError(t("There are no customers to fit the model to."))
    if np.any(x_ < 0) or np.any(x_ != np.round(x_)):
        raise ValueError(t("Column x (repeat purchases) must hold whole numbers of 0 or more."))
    if np.any(t_x_ < 0) or np.any(t_x_ > T_):
        raise ValueError(t("Column t_x (time of the last purchase) must lie between 0 and T."))
    if np.any(t_x_[x_ == 0] != 0):
        raise ValueError(t("Column t_x must be 0 for customers with no repeat purchase (x = 0)."))
    if np.any(T_ <= 0) and np.any(x_[T_ <= 0] > 0):
        raise ValueError(t("Column T must be positive for customers with repeat purchases."))
    if np.any(w_ < 0):
        raise ValueError(t("Column weights cannot be negative."))
    return x_, t_x_, T_, w_


class _Collapsed:
    """The data of one fit in the shape the likelihood wants: distinct rows with weights, split
    into one-time buyers (grouped by T) and repeat buyers (grouped by x, t_x, T)."""

    def __init__(self, x: FloatArray, t_x: FloatArray, T: FloatArray, w: FloatArray) -> None:
        self.total_weight = float(np.sum(w))
        once = x == 0
        t_once, self.w_once = _group_sum(T[once], w[once])
        self.T_once = np.ascontiguousarray(t_once[:, 0])
        keys, self.w_rep = _group_sum(np.column_stack([x[~once], t_x[~once], T[~once]]),
                                      w[~once])
        x_rep, self.t_x_rep, self.T_rep = (np.ascontiguousarray(keys[:, i]) for i in range(3))
        self.x_values, self.x_index = np.unique(x_rep, return_inverse=True)
        self.w_by_x = weighted_counts(self.x_index, self.w_rep, len(self.x_values))
        self.x_rep = x_rep
        self.rows = len(self.T_once) + len(self.x_rep)

    def objective(self, log_params: FloatArray) -> tuple[float, FloatArray]:
        """Mean negative log-likelihood and its gradient with respect to log-parameters."""
        r, alpha, a, b = np.exp(log_params)
        grad = np.zeros(4)  # d LL / d (r, alpha, a, b), summed with weights
        # One-time buyers: LL = r·ln α − r·ln(α + T).
        log_a_T = np.log(alpha + self.T_once)
        w0 = self.w_once
        W0 = float(np.sum(w0))
        ll = W0 * r * np.log(alpha) - r * dot(w0, log_a_T)
        grad[0] += W0 * np.log(alpha) - dot(w0, log_a_T)
        grad[1] += W0 * r / alpha - r * dot(w0, (1.0 / (alpha + self.T_once)))

        # Repeat buyers, terms of x alone (once per distinct x, weighted by its customers).
        xv, wx = self.x_values, self.w_by_x
        ll += dot(wx, (gammaln(r + xv) - gammaln(r) + r * np.log(alpha)
                          + betaln(a, b + xv) - betaln(a, b)))
        grad[0] += dot(wx, (digamma(r + xv) - digamma(r) + np.log(alpha)))
        grad[1] += float(np.sum(wx)) * r / alpha
        dig_ab, dig_abx = digamma(a + b), digamma(a + b + xv)
        grad[2] += dot(wx, (dig_ab - dig_abx))
        grad[3] += dot(wx, (dig_ab + digamma(b + xv) - digamma(b) - dig_abx))

        # Repeat buyers, per row: ln[(α+T)^-(r+x) + a/(b+x−1)·(α+t_x)^-(r+x)], written as
        # first + ln(1 + e^d) with d = second − first ≥ … so that neither term overflows.
        x, w = self.x_rep, self.w_rep
        rx = r + x
        log_aT, log_at = np.log(alpha + self.T_rep), np.log(alpha + self.t_x_rep)
        inv_bx = 1.0 / (b + self.x_values - 1.0)
        d = (np.log(a) + np.log(inv_bx))[self.x_index] + rx * (log_aT - log_at)
        tail = np.exp(-np.abs(d))
        ll += dot(w, (np.maximum(d, 0.0) + np.log1p(tail))) - dot((w * rx), log_aT)
        share = np.where(d > 0, 1.0, tail) / (1.0 + tail)  # weight of "dropped out after t_x"
        ws = w * share
        w1 = w - ws
        grad[0] -= dot(w1, log_aT) + dot(ws, log_at)
        grad[1] -= dot((w1 * rx), (1.0 / (alpha + self.T_rep))) + dot(
            (ws * rx), (1.0 / (alpha + self.t_x_rep)))
        grad[2] += float(np.sum(ws)) / a
        grad[3] -= dot(weighted_counts(self.x_index, ws, len(inv_bx)), inv_bx)

        n = self.total_weight
        params = np.array([r, alpha, a, b])
        return -ll / n, -grad * params / n


def _group_sum(keys: FloatArray, weights: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Distinct rows of ``keys`` (n × k, or n) with the summed ``weights`` of each."""
    columns = 1 if keys.ndim == 1 else keys.shape[1]
    rows, inverse = distinct_rows(keys.reshape(len(weights), columns))
    return rows, weighted_counts(inverse, weights, len(rows))
