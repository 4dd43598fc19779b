"""The portrait estimator: :class:`PortraitModel`, k-means over scaled customer features.

One scikit-learn ``Pipeline``: a ``ColumnTransformer`` (signed log1p on the skewed behaviour
features, then ``StandardScaler``, missing values filled after scaling; ``OneHotEncoder`` for
the categorical attributes, rare values grouped) and ``KMeans`` — ``MiniBatchKMeans`` above
:data:`MINIBATCH_ABOVE` customers, where full k-means costs seconds per pass. k is chosen by
the silhouette score on a seeded sample over 3..10 (a tie goes to the smaller k) unless the
caller fixes it. Every random step takes ``random_state``, so the same data gives the same
portraits.

Missing values, and why they are treated so:

* ``mean_days_between_orders`` is NA for a one-order customer (no gap yet). The model scales
  the known gaps, fills the missing ones with their mean and adds a "no repeat yet" indicator
  column, so one-timers are told apart by the flag rather than by a made-up gap. Scaling before
  filling matters: filling first would shrink the column's spread, and scaling would then
  stretch the repeat customers' gaps into portraits of their own.
* ``age`` is filled the same way, without an indicator: "age unknown" is a gap in the file,
  not a kind of customer, and would otherwise become a portrait of its own.
* A categorical attribute's NA becomes the category "unknown"; values held by fewer than 2% of
  customers are grouped into one "infrequent" column.

Why a signed log1p rather than log1p: average check and net revenue go negative when returns
exceed purchases; sign(x)·log(1 + |x|) keeps those customers instead of producing NaN.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from sklearn.cluster import KMeans, MiniBatchKMeans
from sklearn.compose import ColumnTransformer
from sklearn.exceptions import ConvergenceWarning
from sklearn.impute import SimpleImputer
from sklearn.metrics import silhouette_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler
from threadpoolctl import threadpool_limits

from retention.i18n import t
from retention.metrics.customer_features import CATEGORICAL_FEATURES, NUMERIC_FEATURES

FloatArray = npt.NDArray[np.float64]

# Behaviour features whose distributions have a long right tail: log-transformed before scaling.
# Recency and tenure are bounded by the data's span and stay linear: on a log scale 2 days and
# 20 days since the last order would be as far apart as 20 and 400.
SKEWED_FEATURES = ("orders", "avg_check", "net_revenue", "mean_days_between_orders")
LINEAR_FEATURES = ("recency_days", "tenure_days", "return_rate", "age")
DESCRIBED_FEATURES = (*NUMERIC_FEATURES, "age")
ALL_FEATURES = (*NUMERIC_FEATURES, "age", *CATEGORICAL_FEATURES)
# Clustering on behaviour, describing with attributes: the default a marketer starts from.
DEFAULT_FEATURES = NUMERIC_FEATURES
K_RANGE = (3, 10)
MAX_K = 15
MINIBATCH_ABOVE = 200_000
SILHOUETTE_SAMPLE = 3_000
PROJECTION_SAMPLE = 5_000
RARE_CATEGORY_SHARE = 0.02
MAX_CATEGORIES = 8
MIN_CUSTOMERS = 3


class PortraitError(ValueError):
    """The portraits cannot be drawn from this data; the message says why and what to do."""


def signed_log1p(values: Any) -> Any:
    """sign(x) · log(1 + |x|): a log scale that keeps zero and negative values."""
    array = np.asarray(values, dtype=float)
    return np.sign(array) * np.log1p(np.abs(array))


def _to_text(values: Any) -> Any:
    # OneHotEncoder wants plain objects: a pandas category column with NA is not one.
    frame = pd.DataFrame(values)
    return frame.astype(object).where(frame.notna(), "unknown").to_numpy()


def build_pipeline(
    features: Sequence[str], n_clusters: int, *, n_customers: int, random_state: int = 0
) -> Pipeline:
    """The unfitted pipeline for these features: ``features`` (ColumnTransformer) → ``kmeans``.

    KMeans for up to MINIBATCH_ABOVE customers, MiniBatchKMeans above.
    """
    chosen = set(features)
    skewed = [f for f in SKEWED_FEATURES if f in chosen and f != "mean_days_between_orders"]
    linear = [f for f in LINEAR_FEATURES if f in chosen]
    categorical = [f for f in CATEGORICAL_FEATURES if f in chosen]
    transformers: list[tuple[str, Any, list[str]]] = []
    log_scale = FunctionTransformer(signed_log1p, feature_names_out="one-to-one")
    if skewed:
        transformers.append((
            "skewed", Pipeline([("log", log_scale), ("scale", StandardScaler())]), skewed))
    # Scale first (StandardScaler skips NaN), then fill the gaps with 0, the mean of the known
    # values: imputing before scaling would shrink the spread and blow up the known values.
    if "mean_days_between_orders" in chosen:
        transformers.append((
            "gap",
            Pipeline([
                ("log", FunctionTransformer(signed_log1p, feature_names_out="one-to-one")),
                ("scale", StandardScaler()),
                ("impute", SimpleImputer(strategy="constant", fill_value=0.0,
                                         add_indicator=True, keep_empty_features=True)),
            ]),
            ["mean_days_between_orders"],
        ))
    if linear:
        transformers.append((
            "linear",
            Pipeline([
                ("scale", StandardScaler()),
                ("impute", SimpleImputer(strategy="constant", fill_value=0.0,
                                         keep_empty_features=True)),
            ]),
            linear,
        ))
    if categorical:
        transformers.append((
            "categorical",
            Pipeline([
                ("text", FunctionTransformer(_to_text, feature_names_out="one-to-one")),
                ("onehot", OneHotEncoder(handle_unknown="ignore", sparse_output=False,
                                         min_frequency=RARE_CATEGORY_SHARE,
                                         max_categories=MAX_CATEGORIES)),
            ]),
            categorical,
        ))
    estimator: KMeans | MiniBatchKMeans
    if n_customers > MINIBATCH_ABOVE:
        estimator = MiniBatchKMeans(n_clusters=n_clusters, random_state=random_state,
                                    n_init=3, batch_size=4096)
    else:
        estimator = KMeans(n_clusters=n_clusters, random_state=random_state, n_init=4)
    return Pipeline([
        ("features", ColumnTransformer(transformers, sparse_threshold=0)),
        ("kmeans", estimator),
    ])


class PortraitModel:
    """k-means portraits as a scikit-learn style estimator.

    Settings: ``features`` (names from ALL_FEATURES), ``n_clusters`` (None: chosen by
    silhouette over ``k_range``), ``random_state``, ``sample_size`` (customers the silhouette
    is computed on).

    ``fit(frame)`` takes :func:`customer_features`' frame and learns: ``pipeline_`` (the
    fitted Pipeline; its cluster centres are reordered so ``predict`` gives portrait numbers),
    ``labels_`` (portrait per row, 0 = the largest portrait), ``n_clusters_``,
    ``k_chosen_by_`` ('silhouette', 'user' or 'data' when the data allowed one k only),
    ``silhouette_`` ({k: score} on the sample), ``features_`` (the features used: the chosen
    ones that have at least one value), ``skipped_features_`` (chosen ones without values),
    ``transformed_`` (the scaled matrix the clusters were found in).
    Raises :class:`PortraitError` with a sentence for a marketer when it cannot.
    """

    def __init__(
        self,
        features: Sequence[str] = DEFAULT_FEATURES,
        n_clusters: int | None = None,
        *,
        k_range: tuple[int, int] = K_RANGE,
        random_state: int = 0,
        sample_size: int = SILHOUETTE_SAMPLE,
    ) -> None:
        self.features = features
        self.n_clusters = n_clusters
        self.k_range = k_range
        self.random_state = random_state
        self.sample_size = sample_size

    def fit(self, frame: pd.DataFrame) -> PortraitModel:
        """Fit on one row per customer; returns ``self``."""
        # One thread for scikit-learn's OpenMP/BLAS loops: on a 2-core machine their batches of
        # a few thousand rows cost more in synchronisation than they save, and when the machine
        # is busy the waiting threads spin — MiniBatchKMeans on 1.35M customers took 9.6 s
        # with threads and 2.6 s without. DuckDB keeps its own threads for the SQL.
        with threadpool_limits(limits=1):
            return self._fit(frame)

    def _fit(self, frame: pd.DataFrame) -> PortraitModel:
        features = _check_features(self.features)
        n = len(frame)
        if n < MIN_CUSTOMERS:
            raise PortraitError(t(
                "Portraits need at least {needed} customers with an order, and this data has "
                "{n} up to the as-of date. Load a longer purchase history or move the as-of "
                "date later.", needed=MIN_CUSTOMERS, n=n))
        self.features_ = tuple(f for f in features if frame[f].notna().any())
        self.skipped_features_ = tuple(f for f in features if f not in self.features_)
        if not self.features_:
            raise PortraitError(t(
                "None of the chosen features has a value in this data. Pick recency, orders "
                "or average check, which every purchase history has."))
        pipeline = build_pipeline(self.features_, 2, n_customers=n,
                                  random_state=self.random_state)
        matrix = np.ascontiguousarray(pipeline[:-1].fit_transform(frame), dtype=np.float64)
        distinct = _distinct_rows(matrix)
        if distinct < 2:
            raise PortraitError(t(
                "All {n} customers look exactly the same on the chosen features, so there is "
                "nothing to tell them apart. Add features (for example recency or average "
                "check) or load more varied data.", n=n))
        k, chosen_by, scores = self._choose_k(matrix, distinct)
        pipeline.set_params(kmeans__n_clusters=k)
        estimator = pipeline.named_steps["kmeans"]
        estimator.fit(matrix)
        raw_labels = np.asarray(estimator.labels_)
        order, labels = _by_size(raw_labels, k)
        # Centres in portrait order, so pipeline.predict answers with portrait numbers.
        estimator.cluster_centers_ = estimator.cluster_centers_[order]
        self.pipeline_ = pipeline
        self.labels_ = labels
        self.n_clusters_ = k
        self.k_chosen_by_ = chosen_by
        self.silhouette_ = scores
        self.transformed_ = matrix
        return self

    def predict(self, frame: pd.DataFrame) -> npt.NDArray[np.int64]:
        """The portrait (0-based, largest first) of each row of a customer-features frame."""
        with threadpool_limits(limits=1):
            return np.asarray(self.pipeline_.predict(frame), dtype=np.int64)

    def _choose_k(
        self, matrix: FloatArray, distinct: int
    ) -> tuple[int, str, dict[int, float]]:
        n = len(matrix)
        largest_possible = min(distinct, n - 1) if n > 2 else n
        largest_possible = max(largest_possible, 2)
        if self.n_clusters is not None:
            k = int(self.n_clusters)
            if not 2 <= k <= MAX_K:
                raise PortraitError(t("The number of portraits must be between 2 and {most}.",
                                      most=MAX_K))
            if k > distinct:
                raise PortraitError(t(
                    "You asked for {k} portraits, but the customers form only {distinct} "
                    "different profiles on the chosen features. Choose {distinct} or fewer, "
                    "or add features.", k=k, distinct=distinct))
            return k, "user", {}
        low, high = self.k_range
        high = min(high, largest_possible)
        low = min(low, high)
        if low == high:
            return low, "data", {}
        rng = np.random.default_rng(self.random_state)
        size = min(n, self.sample_size)
        rows = np.sort(rng.choice(n, size=size, replace=False)) if size < n else np.arange(n)
        sample = matrix[rows]
        scores: dict[int, float] = {}
        for k in range(low, high + 1):
            with warnings.catch_warnings():
                # a sample with fewer distinct rows than k: fewer clusters, said below
                warnings.simplefilter("ignore", ConvergenceWarning)
                labels = KMeans(n_clusters=k, random_state=self.random_state,
                                n_init=2).fit_predict(sample)
            if 2 <= len(np.unique(labels)) <= len(sample) - 1:
                scores[k] = float(silhouette_score(sample, labels))
        if not scores:
            return low, "data", {}
        best = max(scores.values())
        # a tie goes to the fewest portraits: they are easier to act on
        k = min(k for k, score in scores.items() if score >= best - 1e-9)
        return k, "silhouette", scores


def _check_features(features: Sequence[str]) -> tuple[str, ...]:
    chosen = tuple(dict.fromkeys(features))
    unknown = [f for f in chosen if f not in ALL_FEATURES]
    if unknown:
        raise ValueError(f"Unknown features {unknown}; known: {list(ALL_FEATURES)}.")
    if not chosen:
        raise PortraitError(t("Pick at least one feature to draw the portraits from."))
    return chosen


def _distinct_rows(matrix: FloatArray, enough: int = MAX_K + 1) -> int:
    """How many different rows ``matrix`` has, counted exactly only while it is small: the
    first few thousand rows usually show enough variety already."""
    head = matrix[: min(len(matrix), 5_000)]
    found = len(np.unique(np.round(head, 9), axis=0))
    if found >= enough or len(head) == len(matrix):
        return found
    return int(pd.DataFrame(np.round(matrix, 9)).drop_duplicates().shape[0])


def _by_size(labels: npt.NDArray[Any], k: int) -> tuple[npt.NDArray[np.int64],
                                                        npt.NDArray[np.int64]]:
    """(old cluster ids in new order, new labels): the largest cluster becomes 0; equal sizes
    keep the estimator's order."""
    sizes = np.bincount(labels, minlength=k)
    order = np.lexsort((np.arange(k), -sizes))
    new_of_old = np.empty(k, dtype=np.int64)
    new_of_old[order] = np.arange(k)
    return order.astype(np.int64), new_of_old[labels]
