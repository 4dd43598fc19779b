"""The description of fitted portraits: the :class:`Portraits` tables a page or an export
shows — summary, assignments, standings, ladder mix, projection — and "why is this customer
here".

The profile chart and :func:`customer_profile` use z-scores and medians of every behaviour
feature, whether or not it was chosen for clustering; names come from
:mod:`retention.models.portraits.naming`.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import duckdb
import numpy as np
import numpy.typing as npt
import pandas as pd
from sklearn.decomposition import PCA
from threadpoolctl import threadpool_limits

from retention import provenance
from retention.metrics.customer_features import CATEGORICAL_FEATURES, customer_features
from retention.metrics.ladder import LadderThresholds, customer_steps
from retention.models.portraits.estimator import (
    DEFAULT_FEATURES,
    DESCRIBED_FEATURES,
    PROJECTION_SAMPLE,
    SKEWED_FEATURES,
    FloatArray,
    PortraitModel,
    signed_log1p,
)
from retention.models.portraits.naming import (
    DEFAULT_WINDOW_DAYS,
    PortraitFacts,
    base_name,
    name_words,
    suggested_action,
    unique_names,
)
from retention.vocabulary import STEPS


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

    ``frame``: :func:`customer_features` as of ``as_of``; ``steps``: :func:`customer_steps`'
    frame for the ladder mix and the ladder words of the names, for every customer of the same
    dataset and as-of date (None: no mix, and no ladder word holds; ValueError when the two
    tables were computed for different datasets or dates); ``window_days``: the activity window.
    """
    if steps is not None:
        features = provenance.check(frame, customer_features, used_by="describe_portraits",
                                    argument="frame", ignore=("dataset_id",), as_of=as_of)
        provenance.check(steps, customer_steps, used_by="describe_portraits", argument="steps",
                         ignore=("thresholds",), dataset_id=features["dataset_id"], as_of=as_of)
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
    base_names = [base_name(lc, hb) for lc, hb in words]
    names, traits = unique_names(base_names, summary)
    summary.insert(1, "name", names)
    summary["lifecycle"] = pd.array(lifecycles, dtype="object")
    summary["habit"] = habits
    summary["base_name"] = base_names
    summary["trait"] = pd.array([t_[0] if t_ else None for t_ in traits], dtype="object")
    summary["trait_higher"] = pd.array([t_[1] if t_ else None for t_ in traits],
                                       dtype="boolean")
    actions = [suggested_action(lc, hb) for lc, hb in zip(lifecycles, habits, strict=True)]
    summary["action_step"] = [step for step, _ in actions]
    summary["action"] = [text for _, text in actions]
    summary["portrait"] = summary["portrait"] + 1

    assignments = frame.reset_index(drop=True)
    assignments.insert(1, "portrait", labels + 1)
    # a categorical: one string per portrait rather than one per customer
    assignments.insert(2, "name", pd.Series(
        pd.Categorical.from_codes(labels, categories=pd.Index(names)), index=assignments.index))

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
    return int(cast(int, assignments.at[matches[0], "portrait"]))


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
