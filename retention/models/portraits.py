"""Customer portraits: k-means segments of the customer base, each described as a person.

Retention practice plans for 5–10 portraits — a person with a motive and a habit — rather than
for "the average customer". Here the portraits are drawn from the data:

1. :func:`retention.metrics.customer_features.customer_features` gives one row per buyer
   (DuckDB).
2. :class:`PortraitModel` is a scikit-learn estimator around one ``Pipeline``: a
   ``ColumnTransformer`` (signed log1p on the skewed behaviour features, then
   ``StandardScaler``, missing values filled after scaling; ``OneHotEncoder`` for the
   categorical attributes, rare values grouped) and ``KMeans`` — ``MiniBatchKMeans`` above
   :data:`MINIBATCH_ABOVE` customers, where full k-means costs seconds per pass. k is chosen
   by the silhouette score on a seeded sample over 3..10 (a tie goes to the smaller k) unless
   the caller fixes it. Every random step takes ``random_state``, so the same data gives the
   same portraits.
3. :func:`customer_portraits` describes each portrait — size, revenue share, medians, typical
   attributes, ladder-step mix — and names it with a life-cycle word and a habit word
   ("Lapsed one-timers", "Loyal regulars"), each chosen only among the words of
   :data:`NAME_WORDS` whose rule holds for the numbers the portrait's card shows, by the
   definitions the other pages use (the activity window, the ladder's steps). Two portraits
   of one name get the trait in which one of them is the highest or lowest ("· more recent"),
   then a number; the suggested action follows from the two words.

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

Names rest on the portrait's medians and shares, never on the z-scores of the profile chart:
"active" said of a portrait whose median customer last ordered 156 days ago, because 156 days
is fewer than the base's average, contradicted the 90-day activity window every other page
uses. The profile chart and "why is this customer here" use z-scores and medians of every
behaviour feature, whether or not it was chosen for clustering.
"""

from __future__ import annotations

import datetime as dt
import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import duckdb
import numpy as np
import numpy.typing as npt
import pandas as pd
from sklearn.cluster import KMeans, MiniBatchKMeans
from sklearn.compose import ColumnTransformer
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning
from sklearn.impute import SimpleImputer
from sklearn.metrics import silhouette_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler
from threadpoolctl import threadpool_limits

from retention.i18n import t
from retention.metrics.customer_features import (
    CATEGORICAL_FEATURES,
    NUMERIC_FEATURES,
    customer_features,
)
from retention.metrics.ladder import STEPS, LadderThresholds, customer_steps

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

FEATURE_LABELS = {
    "recency_days": "Days since last order",
    "orders": "Orders",
    "avg_check": "Average check",
    "net_revenue": "Net revenue",
    "tenure_days": "Days since first order",
    "mean_days_between_orders": "Days between orders",
    "return_rate": "Return rate",
    "age": "Age",
    "gender": "Gender",
    "city": "City",
    "channel": "Channel",
    "top_category": "Top category",
}

# ask → prioritise → motivate → reward → consolidate → implement: the retention plan's steps.
ACTION_STEPS = ("ask", "prioritise", "motivate", "reward", "consolidate", "implement")
ACTION_STEP_LABELS = {
    "ask": "Ask", "prioritise": "Prioritise", "motivate": "Motivate", "reward": "Reward",
    "consolidate": "Consolidate", "implement": "Implement",
}

DEFAULT_WINDOW_DAYS = 90
# A portrait's average check against the whole base's (net revenue / orders of everyone).
BIG_CHECK_RATIO = 1.5
SMALL_CHECK_RATIO = 2 / 3
# Returned value as a share of purchased value (the mean of the customers' return rates).
RETURNER_RATE = 0.2


@dataclass(frozen=True)
class PortraitFacts:
    """The numbers on a portrait's card that the words of its name are checked against.

    Medians are over the portrait's customers (pandas' median: the mean of the two middle
    values for an even count); ``avg_check`` is the portrait's net revenue / its orders and
    ``base_avg_check`` the same over every customer; ``return_rate`` is the mean of its
    customers' return rates; ``repeat_clients``, ``regulars`` and ``loyal`` count its customers
    on that ladder step or higher (the Ladder page's saved thresholds; None without a ladder);
    ``window_days`` is the activity window W.
    """

    customers: int
    median_recency_days: float
    median_tenure_days: float
    median_orders: float
    avg_check: float
    base_avg_check: float
    return_rate: float
    repeat_clients: int | None
    regulars: int | None
    loyal: int | None
    window_days: int

    @classmethod
    def from_summary(cls, row: Any, *, base_avg_check: float,
                     window_days: int) -> PortraitFacts:
        """The facts of one row of :class:`Portraits`' summary."""
        def count(column: str) -> int | None:
            value = row[column]
            return None if pd.isna(value) else int(value)

        return cls(
            customers=int(row["customers"]),
            median_recency_days=float(row["median_recency_days"]),
            median_tenure_days=float(row["median_tenure_days"]),
            median_orders=float(row["median_orders"]),
            avg_check=float(row["avg_check"]),
            base_avg_check=float(base_avg_check),
            return_rate=float(row["return_rate"]),
            repeat_clients=count("repeat_clients"),
            regulars=count("regulars"),
            loyal=count("loyal_customers"),
            window_days=int(window_days),
        )


def _more_than_half(count: int | None, customers: int) -> bool:
    return count is not None and 2 * count > customers


def _check_at_least(facts: PortraitFacts, ratio: float) -> bool:
    # multiplied, not divided, so a check of exactly 1.5 times the base's is 1.5 times it;
    # a base that is not positive (returns outweigh purchases) makes every comparison false
    return facts.base_avg_check > 0 and facts.avg_check >= ratio * facts.base_avg_check


def _check_at_most(facts: PortraitFacts, ratio: float) -> bool:
    return facts.base_avg_check > 0 and facts.avg_check <= ratio * facts.base_avg_check


@dataclass(frozen=True)
class NameWord:
    """One word a portrait's name may use: ``kind`` ('lifecycle' or 'habit'), the English
    ``label`` (translated where shown) and ``holds``, its rule on the card's numbers."""

    kind: str
    label: str
    holds: Callable[[PortraitFacts], bool]


# Every word a name may use and the one rule that makes it true, in order of preference within
# each kind: a name takes the first life-cycle word and the first habit word that hold. The
# recency words split every portrait into active, drifting or lapsed, and "shoppers" claims
# nothing, so every portrait gets a name. The README's "Customer portraits" lists these rules.
NAME_WORDS: dict[str, NameWord] = {
    # the median customer's first order lies inside the activity window
    "new": NameWord("lifecycle", "New", lambda f: f.median_tenure_days < f.window_days),
    # more than half of them are loyal (or advocates) on the ladder
    "loyal": NameWord("lifecycle", "Loyal", lambda f: _more_than_half(f.loyal, f.customers)),
    # the median customer's last order lies inside the activity window: active by its rule
    "active": NameWord("lifecycle", "Active",
                       lambda f: f.median_recency_days < f.window_days),
    # the median customer's last order lies in the window before: W to 2W − 1 days ago
    "drifting": NameWord("lifecycle", "Drifting",
                         lambda f: f.window_days <= f.median_recency_days < 2 * f.window_days),
    # the median customer has not ordered for two activity windows
    "lapsed": NameWord("lifecycle", "Lapsed",
                       lambda f: f.median_recency_days >= 2 * f.window_days),
    # returns are at least RETURNER_RATE of what they bought, on average
    "returners": NameWord("habit", "returners", lambda f: f.return_rate >= RETURNER_RATE),
    # their average check is at least BIG_CHECK_RATIO times everyone's
    "big_spenders": NameWord("habit", "big spenders",
                             lambda f: _check_at_least(f, BIG_CHECK_RATIO)),
    # the median customer has one order: more than half of them bought once
    "one_timers": NameWord("habit", "one-timers", lambda f: f.median_orders == 1),
    # more than half of them are regulars (or higher) on the ladder
    "regulars": NameWord("habit", "regulars",
                         lambda f: _more_than_half(f.regulars, f.customers)),
    # their average check is at most SMALL_CHECK_RATIO of everyone's
    "small_spenders": NameWord("habit", "small spenders",
                               lambda f: _check_at_most(f, SMALL_CHECK_RATIO)),
    # more than half of them are repeat clients (or higher) on the ladder
    "repeat_buyers": NameWord("habit", "repeat buyers",
                              lambda f: _more_than_half(f.repeat_clients, f.customers)),
    "shoppers": NameWord("habit", "shoppers", lambda f: True),
}


def name_words(facts: PortraitFacts) -> tuple[str | None, str]:
    """(life-cycle word, habit word) of :data:`NAME_WORDS` for a portrait: the first of each
    kind whose rule holds; no life-cycle word when none does (a recency that is unknown)."""
    lifecycle = next((key for key, word in NAME_WORDS.items()
                      if word.kind == "lifecycle" and word.holds(facts)), None)
    habit = next(key for key, word in NAME_WORDS.items()
                 if word.kind == "habit" and word.holds(facts))
    return lifecycle, habit


# Summary columns that tell two portraits of one name apart, shown on every card, with the
# words for (highest of them, lowest of them).
TRAITS = {
    "median_recency_days": ("longer gone", "more recent"),
    "median_orders": ("more orders", "fewer orders"),
    "avg_check": ("bigger baskets", "smaller baskets"),
    "median_tenure_days": ("longer-standing", "newer"),
    "median_net_revenue": ("higher spend", "lower spend"),
}
_ACTIONS: dict[tuple[str, str], tuple[str, str]] = {
    ("*", "returners"): (
        "ask", "Ask what went wrong with the returned items — size, quality, description — "
               "and fix the cause before offering anything."),
    ("new", "one_timers"): (
        "motivate", "Bring them back for a second purchase: a welcome series with a "
                    "time-limited offer in their first 30 days."),
    ("new", "*"): (
        "reward", "Welcome them into the loyalty programme now: points on the next order "
                  "make the new habit stick."),
    ("lapsed", "big_spenders"): (
        "ask", "Contact them personally and ask why they stopped buying; make a win-back "
               "offer only once you know the reason."),
    ("drifting", "big_spenders"): (
        "ask", "Contact them personally before they drift away: ask what would bring them back "
               "more often, then act on the answer."),
    ("lapsed", "one_timers"): (
        "prioritise", "Spend little here: one low-cost reminder, then move the budget to "
                      "portraits that respond."),
    ("drifting", "one_timers"): (
        "prioritise", "Spend little here: one low-cost reminder, then move the budget to "
                      "portraits that respond."),
    ("lapsed", "*"): (
        "motivate", "Send a win-back offer with a deadline, and stop mailing those who do "
                    "not react."),
    ("drifting", "*"): (
        "motivate", "Reach them before they lapse: a personal offer built on what they "
                    "bought last."),
    ("loyal", "big_spenders"): (
        "consolidate", "Give them personal attention — a named contact, early access, "
                       "invitations — so the relationship is hard to leave."),
    ("loyal", "*"): (
        "reward", "Reward their loyalty: points, a higher tier, a birthday gift — and ask "
                  "them to recommend you."),
    ("active", "big_spenders"): (
        "prioritise", "Put them first: priority service and a personal manager, because they "
                      "bring a large share of revenue."),
    ("active", "regulars"): (
        "consolidate", "Turn the habit into membership: a tier or subscription that makes "
                       "coming back the default."),
    ("active", "one_timers"): (
        "motivate", "Give them a reason for a second order soon: a follow-up offer tied to "
                    "their first purchase."),
    ("*", "small_spenders"): (
        "implement", "Keep them on low-cost automated offers, and suggest add-ons that raise "
                     "the check."),
    ("*", "*"): (
        "implement", "Put them on a regular automated programme — a monthly newsletter with "
                     "an offer — and watch who moves up the ladder."),
}


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


# -- description -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Portraits:
    """The portraits of a dataset on an as-of date, ready for a page or an export.

    Treat every frame as read-only: the page caches one object for all its viewers.

    * ``summary``: one row per portrait (portrait 1 = the largest): portrait, name, customers,
      customer_share, net_revenue, revenue_share (NA when the base's net revenue is not
      positive), median_recency_days, median_orders, avg_check (the portrait's net revenue /
      its orders), median_net_revenue, median_tenure_days, median_days_between_orders (repeat
      customers only; NA without any), repeat_share (share with 2+ orders), return_rate (the
      mean of its customers' return rates), median_age, typical_gender, gender_share,
      typical_city, city_share, typical_channel, channel_share, typical_category,
      category_share (each typical_* is the most common known value and its share among the
      portrait's customers who have one; NA when the attribute is not in the data),
      repeat_clients, regulars, loyal_customers (its customers on that ladder step or higher;
      NA without a ladder), lifecycle (a key of NAME_WORDS, NA when no life-cycle word holds),
      habit (a key of NAME_WORDS), base_name (the two words), trait (the TRAITS column the
      name's "· …" part rests on, NA without one), trait_higher (whether it is the highest of
      the portraits of that base name, not the lowest; NA without a trait), action_step (one
      of ACTION_STEPS), action.
    * ``assignments``: customer_id, portrait, name, then every feature column.
    * ``standings``: long, portrait × feature: portrait, name, feature, z (the portrait's mean
      z-score against the whole base, on the log scale for skewed features), used (chosen for
      clustering).
    * ``ladder_mix``: long, portrait × step: portrait, name, step, customers, share.
    * ``projection``: a seeded sample of at most PROJECTION_SAMPLE customers: customer_id,
      portrait, name, pc1, pc2 (the first two principal components of the scaled features).
    * ``silhouette``: k, silhouette (empty when k was fixed by the user or the data).
    * ``explained_variance``: the share of the variation pc1 and pc2 carry;
      ``base_medians``: each numeric feature's median over all customers;
      ``base_avg_check``: every customer's net revenue / their orders; ``window_days``: the
      activity window W the names were judged with (:class:`PortraitFacts`).
    """

    as_of: dt.date
    customers: int
    k: int
    k_chosen_by: str
    features: tuple[str, ...]
    skipped_features: tuple[str, ...]
    estimator: str
    random_state: int
    summary: pd.DataFrame
    assignments: pd.DataFrame
    standings: pd.DataFrame
    ladder_mix: pd.DataFrame
    projection: pd.DataFrame
    silhouette: pd.DataFrame
    explained_variance: tuple[float, float]
    base_medians: dict[str, float] = field(default_factory=dict)
    base_avg_check: float = math.nan
    window_days: int = DEFAULT_WINDOW_DAYS

    def facts(self) -> list[PortraitFacts]:
        """Each portrait's :class:`PortraitFacts`, in summary order."""
        return [PortraitFacts.from_summary(row, base_avg_check=self.base_avg_check,
                                           window_days=self.window_days)
                for _, row in self.summary.iterrows()]


def customer_portraits(
    con: duckdb.DuckDBPyConnection,
    dataset_id: int,
    *,
    as_of: dt.date,
    features: Sequence[str] = DEFAULT_FEATURES,
    n_clusters: int | None = None,
    random_state: int = 0,
    thresholds: LadderThresholds | None = None,
    window_days: int = DEFAULT_WINDOW_DAYS,
) -> Portraits:
    """Draw the portraits of ``dataset_id``'s buyers as of ``as_of``.

    ``features``: names from ALL_FEATURES to cluster on (attributes the data lacks are
    skipped and listed in ``skipped_features``); ``n_clusters``: None to choose k by
    silhouette over 3..10; ``thresholds``: the ladder's settings for the step mix and the
    ladder words of the names (default: DESIGN's); ``window_days``: the activity window the
    names' recency words follow. Raises :class:`PortraitError` (a ValueError) with a sentence
    for a marketer for fewer than 3 customers or customers who all look the same.
    """
    frame = customer_features(con, dataset_id, as_of=as_of)
    model = PortraitModel(features, n_clusters, random_state=random_state).fit(frame)
    steps = customer_steps(con, dataset_id, as_of=as_of,
                           thresholds=thresholds or LadderThresholds())
    return describe_portraits(frame, model, steps=steps, as_of=as_of, window_days=window_days)


def describe_portraits(
    frame: pd.DataFrame,
    model: PortraitModel,
    *,
    steps: pd.DataFrame | None = None,
    as_of: dt.date,
    window_days: int = DEFAULT_WINDOW_DAYS,
) -> Portraits:
    """Name and describe a fitted model's portraits (see :class:`Portraits`).

    ``steps``: :func:`customer_steps`' frame for the ladder mix and the ladder words of the
    names (None: no mix, and no ladder word holds); ``window_days``: the activity window.
    """
    labels = model.labels_
    k = model.n_clusters_
    z = _standard_scores(frame)
    standing = _mean_by_label(z, labels, k)
    summary = _summary(frame, labels, k)
    step_counts = _step_counts(frame, labels, k, steps)
    for column, step in (("repeat_clients", "repeat"), ("regulars", "regular"),
                         ("loyal_customers", "loyal")):
        reached = (None if step_counts is None
                   else step_counts[:, STEPS.index(step):].sum(axis=1))
        summary[column] = pd.array(reached if reached is not None else [pd.NA] * k,
                                   dtype="Int64")
    base_avg_check = float(frame["net_revenue"].sum() / frame["orders"].sum())
    facts = [PortraitFacts.from_summary(row, base_avg_check=base_avg_check,
                                        window_days=window_days)
             for _, row in summary.iterrows()]
    words = [name_words(f) for f in facts]
    lifecycles = [lifecycle for lifecycle, _ in words]
    habits = [habit for _, habit in words]
    base_names = [_base_name(lc, hb) for lc, hb in words]
    names, traits = _unique_names(base_names, summary)
    summary.insert(1, "name", names)
    summary["lifecycle"] = pd.array(lifecycles, dtype="object")
    summary["habit"] = habits
    summary["base_name"] = base_names
    summary["trait"] = pd.array([t_[0] if t_ else None for t_ in traits], dtype="object")
    summary["trait_higher"] = pd.array([t_[1] if t_ else None for t_ in traits],
                                       dtype="boolean")
    actions = [_action(lc, hb) for lc, hb in zip(lifecycles, habits, strict=True)]
    summary["action_step"] = [step for step, _ in actions]
    summary["action"] = [text for _, text in actions]
    summary["portrait"] = summary["portrait"] + 1

    assignments = frame.reset_index(drop=True)
    assignments.insert(1, "portrait", labels + 1)
    # a categorical: one string per portrait rather than one per customer
    assignments.insert(2, "name", pd.Categorical.from_codes(labels, categories=names))

    used = set(model.features_)
    standings = pd.DataFrame([
        {"portrait": p + 1, "name": names[p], "feature": feature,
         "z": float(standing[p, i]), "used": feature in used}
        for p in range(k) for i, feature in enumerate(DESCRIBED_FEATURES)
        if not np.isnan(standing[p, i])
    ])
    projection, explained = _projection(model.transformed_, frame, labels, names,
                                        model.random_state)
    silhouette = pd.DataFrame(
        sorted(model.silhouette_.items()), columns=["k", "silhouette"]
    ).astype({"k": "int64", "silhouette": "float64"})
    base_medians = {
        feature: float(frame[feature].median()) for feature in DESCRIBED_FEATURES
        if frame[feature].notna().any()
    }
    estimator = type(model.pipeline_.named_steps["kmeans"]).__name__
    return Portraits(
        as_of=as_of, customers=len(frame), k=k, k_chosen_by=model.k_chosen_by_,
        features=model.features_, skipped_features=model.skipped_features_,
        estimator=estimator, random_state=model.random_state, summary=summary,
        assignments=assignments, standings=standings,
        ladder_mix=_ladder_mix(names, labels, step_counts),
        projection=projection, silhouette=silhouette, explained_variance=explained,
        base_medians=base_medians, base_avg_check=base_avg_check, window_days=window_days,
    )


def _standard_scores(frame: pd.DataFrame) -> FloatArray:
    """z-scores of every described feature over the whole base (signed log for the skewed
    ones); NaN where a value is missing, and 0 for a feature with no spread."""
    columns = []
    for feature in DESCRIBED_FEATURES:
        values = frame[feature].astype("float64").to_numpy(na_value=np.nan)
        if feature in SKEWED_FEATURES:
            values = signed_log1p(values)
        mean = np.nanmean(values) if np.isfinite(values).any() else 0.0
        spread = np.nanstd(values) if np.isfinite(values).any() else 0.0
        columns.append((values - mean) / spread if spread > 0 else values - mean)
    return np.column_stack(columns)


def _mean_by_label(z: FloatArray, labels: npt.NDArray[np.int64], k: int) -> FloatArray:
    """Per-portrait mean of each column of ``z``, skipping NaN (NaN when all are missing)."""
    known = np.isfinite(z)
    out = np.full((k, z.shape[1]), np.nan)
    for column in range(z.shape[1]):
        weights = known[:, column].astype(float)
        totals = np.bincount(labels, weights=np.where(known[:, column], z[:, column], 0.0),
                             minlength=k)
        counts = np.bincount(labels, weights=weights, minlength=k)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[:, column] = np.where(counts > 0, totals / counts, np.nan)
    return out


def _typical(values: pd.Series, labels: npt.NDArray[np.int64], k: int) -> pd.DataFrame:
    """The most common known value per portrait and its share among known values (ties: the
    first category in sort order); NA for a portrait without known values.

    Counted with bincount on the category codes: string group-bys over a million customers
    cost a second per attribute."""
    categorical = values.astype("category")
    categories = categorical.cat.categories
    codes = categorical.cat.codes.to_numpy()
    out = pd.DataFrame({"value": pd.Series([pd.NA] * k, dtype="object"),
                        "share": pd.Series([np.nan] * k, dtype="float64")})
    known = codes >= 0
    if not known.any():
        return out
    # sorted categories: argmax's first-maximum rule breaks ties by sort order
    order = np.argsort(np.asarray(categories.astype(str)), kind="stable")
    rank_of_code = np.empty(len(categories), dtype=np.int64)
    rank_of_code[order] = np.arange(len(categories))
    width = len(categories)
    counts = np.bincount(labels[known] * width + rank_of_code[codes[known]],
                         minlength=k * width).reshape(k, width)
    totals = counts.sum(axis=1)
    for portrait in range(k):
        if totals[portrait] > 0:
            best = int(np.argmax(counts[portrait]))
            out.loc[portrait, "value"] = str(categories[order[best]])
            out.loc[portrait, "share"] = counts[portrait, best] / totals[portrait]
    return out


def _summary(frame: pd.DataFrame, labels: npt.NDArray[np.int64], k: int) -> pd.DataFrame:
    grouped = frame.drop(columns=["customer_id", *CATEGORICAL_FEATURES]).astype(
        {"age": "float64"}).groupby(labels)
    medians = grouped.median()
    sums = grouped[["net_revenue", "orders"]].sum()
    sizes = np.bincount(labels, minlength=k)
    total_revenue = float(frame["net_revenue"].sum())
    summary = pd.DataFrame({
        "portrait": np.arange(k),
        "customers": sizes.astype("int64"),
        "customer_share": sizes / len(frame),
        "net_revenue": sums["net_revenue"].to_numpy(),
        "revenue_share": (sums["net_revenue"].to_numpy() / total_revenue
                          if total_revenue > 0 else np.full(k, np.nan)),
        "median_recency_days": medians["recency_days"].to_numpy(),
        "median_orders": medians["orders"].to_numpy(),
        "avg_check": sums["net_revenue"].to_numpy() / sums["orders"].to_numpy(),
        "median_net_revenue": medians["net_revenue"].to_numpy(),
        "median_tenure_days": medians["tenure_days"].to_numpy(),
        "median_days_between_orders": medians["mean_days_between_orders"].to_numpy(),
        "repeat_share": (frame["orders"] > 1).groupby(labels).mean().to_numpy(),
        "return_rate": grouped["return_rate"].mean().to_numpy(),
        "median_age": medians["age"].to_numpy(),
    })
    for attribute, column in (("gender", "gender"), ("city", "city"),
                              ("channel", "channel"), ("category", "top_category")):
        typical = _typical(frame[column], labels, k)
        summary[f"typical_{attribute}"] = typical["value"].to_numpy()
        summary[f"{attribute}_share"] = typical["share"].to_numpy()
    return summary.astype({"revenue_share": "Float64", "median_days_between_orders": "Float64",
                           "median_age": "Float64"})


def _base_name(lifecycle: str | None, habit: str) -> str:
    habit_word = t(NAME_WORDS[habit].label)
    if lifecycle is None:
        return habit_word[:1].upper() + habit_word[1:]
    return t("{lifecycle} {habit}", lifecycle=t(NAME_WORDS[lifecycle].label), habit=habit_word)


def _unique_names(
    base_names: list[str], summary: pd.DataFrame
) -> tuple[list[str], list[tuple[str, bool] | None]]:
    """Unique names, and the (TRAITS column, is-the-highest) each "· …" part rests on.

    Portraits sharing a base name each get the trait in which they are strictly the highest or
    the lowest of them ("Lapsed one-timers · more recent"), the one with the widest relative
    gap to the nearest of the others; a portrait extreme in none keeps the base name, and a
    number sets apart whatever still repeats."""
    names: list[str] = list(base_names)
    traits: list[tuple[str, bool] | None] = [None] * len(base_names)
    for name in dict.fromkeys(base_names):
        members = [i for i, n in enumerate(base_names) if n == name]
        if len(members) < 2:
            continue
        for i in members:
            others = [m for m in members if m != i]
            best: tuple[float, str, bool] | None = None
            for column in TRAITS:
                mine = float(summary.at[i, column])
                theirs = summary.loc[others, column].astype("float64").to_numpy()
                if math.isnan(mine) or np.isnan(theirs).any():
                    continue
                if mine > theirs.max():
                    nearest, higher = float(theirs.max()), True
                elif mine < theirs.min():
                    nearest, higher = float(theirs.min()), False
                else:
                    continue
                gap = abs(mine - nearest) / max(abs(mine), abs(nearest))
                if best is None or gap > best[0]:
                    best = (gap, column, higher)
            if best is not None:
                _, column, higher = best
                more, less = TRAITS[column]
                names[i] = t("{name} · {trait}", name=name, trait=t(more if higher else less))
                traits[i] = (column, higher)
    seen: dict[str, int] = {}
    for i, name in enumerate(names):
        seen[name] = seen.get(name, 0) + 1
        if seen[name] > 1:
            names[i] = f"{name} {seen[name]}"
    return names, traits


def _action(lifecycle: str | None, habit: str) -> tuple[str, str]:
    life = lifecycle or "*"
    for key in ((life, habit), ("*", habit), (life, "*"), ("*", "*")):
        if key in _ACTIONS:
            step, text = _ACTIONS[key]
            return step, t(text)
    raise AssertionError("the ('*', '*') action always matches")


def _step_counts(
    frame: pd.DataFrame, labels: npt.NDArray[np.int64], k: int, steps: pd.DataFrame | None,
) -> npt.NDArray[np.int64] | None:
    """Customers per portrait (rows) and ladder step (columns, STEPS order); None without
    steps."""
    if steps is None:
        return None
    ids = frame["customer_id"].reset_index(drop=True)
    step_ids = steps["customer_id"].reset_index(drop=True)
    if ids.equals(step_ids):
        step_of = steps["step"]  # both come ordered by customer id: the usual case
    else:
        step_of = frame[["customer_id"]].merge(
            steps[["customer_id", "step"]], on="customer_id", how="left")["step"]
    codes = pd.Categorical(step_of, categories=STEPS).codes.astype(np.int64)
    known = codes >= 0
    counts: npt.NDArray[np.int64] = np.bincount(
        labels[known] * len(STEPS) + codes[known], minlength=k * len(STEPS)
    ).reshape(k, len(STEPS))
    return counts


def _ladder_mix(
    names: list[str], labels: npt.NDArray[np.int64], counts: npt.NDArray[np.int64] | None,
) -> pd.DataFrame:
    columns = ["portrait", "name", "step", "customers", "share"]
    if counts is None:
        return pd.DataFrame(columns=columns)
    k = len(names)
    sizes = np.bincount(labels, minlength=k)
    rows = [
        {"portrait": portrait + 1, "name": names[portrait], "step": step,
         "customers": int(counts[portrait, i]), "share": counts[portrait, i] / sizes[portrait]}
        for portrait in range(k) for i, step in enumerate(STEPS)
    ]
    return pd.DataFrame(rows, columns=columns)


def _projection(
    matrix: FloatArray, frame: pd.DataFrame, labels: npt.NDArray[np.int64], names: list[str],
    random_state: int,
) -> tuple[pd.DataFrame, tuple[float, float]]:
    n = len(matrix)
    rng = np.random.default_rng(random_state)
    rows = (np.sort(rng.choice(n, size=PROJECTION_SAMPLE, replace=False))
            if n > PROJECTION_SAMPLE else np.arange(n))
    sample = matrix[rows]
    components = min(2, sample.shape[1], len(sample))
    pca = PCA(n_components=components, random_state=random_state)
    with threadpool_limits(limits=1):  # a few thousand rows: threads only add overhead
        points = pca.fit_transform(sample)
    if components < 2:
        points = np.column_stack([points, np.zeros((len(points), 2 - components))])
    explained = [float(v) for v in pca.explained_variance_ratio_] + [0.0] * (2 - components)
    name_of = np.asarray(names, dtype=object)
    projection = pd.DataFrame({
        "customer_id": frame["customer_id"].iloc[rows].to_numpy(),
        "portrait": labels[rows] + 1,
        "name": name_of[labels[rows]],
        "pc1": points[:, 0],
        "pc2": points[:, 1],
    })
    return projection, (explained[0], explained[1])


def portrait_of(portraits: Portraits, customer_id: str) -> int:
    """The portrait number of a customer; KeyError when they have no order up to the as-of
    date."""
    assignments = portraits.assignments
    matches = assignments.index[assignments["customer_id"] == str(customer_id)]
    if len(matches) == 0:
        raise KeyError(customer_id)
    return int(assignments.at[matches[0], "portrait"])


def customer_profile(portraits: Portraits, customer_id: str) -> pd.DataFrame:
    """Why a customer is in their portrait: their features next to the portrait's and the
    whole base's medians (typical values for attributes).

    Columns: feature (name from ALL_FEATURES), customer, portrait (median or typical value),
    base (median over all customers; NA for attributes), used (chosen for clustering).
    Raises KeyError when the customer has no order up to the as-of date.
    """
    assignments = portraits.assignments
    portrait = portrait_of(portraits, customer_id)
    row = assignments.loc[assignments["customer_id"] == str(customer_id)].iloc[0]
    members = assignments[assignments["portrait"] == portrait]
    summary = portraits.summary.set_index("portrait").loc[portrait]
    used = set(portraits.features)
    rows: list[dict[str, Any]] = []
    for feature in DESCRIBED_FEATURES:
        rows.append({
            "feature": feature,
            "customer": row[feature],
            "portrait": members[feature].astype("float64").median(),
            "base": portraits.base_medians.get(feature, np.nan),
            "used": feature in used,
        })
    for feature, attribute in (("gender", "gender"), ("city", "city"),
                               ("channel", "channel"), ("top_category", "category")):
        rows.append({
            "feature": feature,
            "customer": row[feature],
            "portrait": summary[f"typical_{attribute}"],
            "base": pd.NA,
            "used": feature in used,
        })
    out = pd.DataFrame(rows)
    return out.astype({"customer": "object", "portrait": "object", "base": "object"})
