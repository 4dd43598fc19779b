"""Customer portraits: k-means segments of the customer base, each described as a person.

Retention practice plans for 5–10 portraits — a person with a motive and a habit — rather than
for "the average customer". Here the portraits are drawn from the data:

1. :func:`retention.metrics.customer_features.customer_features` gives one row per buyer
   (DuckDB).
2. :class:`PortraitModel` (:mod:`.estimator`) is a scikit-learn estimator around one
   ``Pipeline`` of scaling and k-means; k is chosen by the silhouette score unless the caller
   fixes it, and every random step takes ``random_state``.
3. :func:`customer_portraits` (:mod:`.descriptions`) describes each portrait — size, revenue
   share, medians, typical attributes, ladder-step mix — and names it (:mod:`.naming`) with a
   life-cycle word and a habit word ("Lapsed one-timers", "Loyal regulars"), each chosen only
   among the words of :data:`NAME_WORDS` whose rule holds for the numbers the portrait's card
   shows; the suggested action follows from the two words.

This package re-exports the public names of its three modules, so callers import from
``retention.models.portraits`` whichever module a name lives in.
"""

from retention.models.portraits.descriptions import (
    Portraits,
    customer_portraits,
    customer_profile,
    describe_portraits,
    portrait_of,
)
from retention.models.portraits.estimator import (
    ALL_FEATURES,
    DEFAULT_FEATURES,
    DESCRIBED_FEATURES,
    K_RANGE,
    LINEAR_FEATURES,
    MAX_CATEGORIES,
    MAX_K,
    MIN_CUSTOMERS,
    MINIBATCH_ABOVE,
    PROJECTION_SAMPLE,
    RARE_CATEGORY_SHARE,
    SILHOUETTE_SAMPLE,
    SKEWED_FEATURES,
    PortraitError,
    PortraitModel,
    build_pipeline,
    signed_log1p,
)
from retention.models.portraits.naming import (
    ACTION_STEP_LABELS,
    ACTION_STEPS,
    BIG_CHECK_RATIO,
    DEFAULT_WINDOW_DAYS,
    NAME_WORDS,
    RETURNER_RATE,
    SMALL_CHECK_RATIO,
    TRAITS,
    NameWord,
    PortraitFacts,
    base_name,
    name_words,
    suggested_action,
    unique_names,
)

__all__ = [
    "ACTION_STEPS", "ACTION_STEP_LABELS", "ALL_FEATURES", "BIG_CHECK_RATIO", "DEFAULT_FEATURES",
    "DEFAULT_WINDOW_DAYS", "DESCRIBED_FEATURES", "K_RANGE", "LINEAR_FEATURES", "MAX_CATEGORIES",
    "MAX_K", "MINIBATCH_ABOVE", "MIN_CUSTOMERS", "NAME_WORDS", "PROJECTION_SAMPLE",
    "RARE_CATEGORY_SHARE", "RETURNER_RATE", "SILHOUETTE_SAMPLE", "SKEWED_FEATURES",
    "SMALL_CHECK_RATIO", "TRAITS", "NameWord", "PortraitError", "PortraitFacts", "PortraitModel",
    "Portraits", "base_name", "build_pipeline", "customer_portraits", "customer_profile",
    "describe_portraits", "name_words", "portrait_of", "signed_log1p", "suggested_action",
    "unique_names",
]
