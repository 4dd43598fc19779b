"""The saved settings of the pages whose settings have no home in the domain.

Each class is what one page remembers per dataset (its namespace in ``Workspace.settings``):
``from_dict`` reads a stored dict, falling back to the default for anything missing or unusable
(a setting saved by an older version, a value edited by hand), and ``as_dict`` is what is
stored. :class:`~retention.ui.context.SavedSettings` builds them, one property per family, so
pages and the data layer read typed values and never a raw dict.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

from retention.loyalty import LoyaltyProgramme
from retention.metrics.abc_xyz import PRODUCT_SETTINGS, AbcXyzSettings
from retention.metrics.ltv import DEFAULT_MARGIN
from retention.models import ValueSettings
from retention.models.portraits import DEFAULT_FEATURES, MAX_K

ABC_XYZ_NAMESPACE = "abc_xyz"
LTV_NAMESPACE = "ltv"
CHURN_NAMESPACE = "churn"
PORTRAITS_NAMESPACE = "portraits"
LOYALTY_NAMESPACE = "loyalty"

# The products' own CV cut-offs, stored beside the customers' settings under these names.
_PRODUCT_KEYS = {"x_cv": "product_x_cv", "y_cv": "product_y_cv"}

Unit = Literal["customer", "product"]


class AbcXyzCutOffs(NamedTuple):
    """The ABC/XYZ page's saved settings: one set for customers, one for products.

    Products share the ABC shares and the time bucket; they keep their own CV cut-offs, because
    products sell far more evenly than single customers buy.
    """

    customers: AbcXyzSettings
    products: AbcXyzSettings

    @classmethod
    def from_settings(cls, saved: dict[str, Any]) -> AbcXyzCutOffs:
        """The cut-offs stored for a dataset; DESIGN's defaults for what is missing."""
        customers = AbcXyzSettings.from_dict(saved)
        products = AbcXyzSettings.from_dict(
            {"a_share": customers.a_share, "b_share": customers.b_share,
             "bucket": customers.bucket,
             **{name: saved[key] for name, key in _PRODUCT_KEYS.items() if key in saved}},
            PRODUCT_SETTINGS,
        )
        return cls(customers, products)

    def as_settings(self) -> dict[str, Any]:
        """What :meth:`from_settings` reads back: the customers' settings and the products'
        CV cut-offs."""
        return {**self.customers.as_dict(),
                **{key: getattr(self.products, name) for name, key in _PRODUCT_KEYS.items()}}

    def for_unit(self, unit: Unit) -> AbcXyzSettings:
        """The settings that classify ``unit``."""
        return self.customers if unit == "customer" else self.products


@dataclass(frozen=True)
class LtvSettings:
    """The Retention & LTV page's margin: the share of revenue used for P when the data has
    no cost, and for the value curves."""

    margin: float = DEFAULT_MARGIN

    @classmethod
    def from_dict(cls, saved: Mapping[str, Any]) -> LtvSettings:
        """The saved margin, kept between 0 and 1; the default when missing or not a number."""
        value = saved.get("margin")
        try:
            margin = float(value) if value is not None else DEFAULT_MARGIN
        except (TypeError, ValueError):
            margin = DEFAULT_MARGIN
        return cls(min(max(margin, 0.0), 1.0))

    def as_dict(self) -> dict[str, Any]:
        """What is stored: the margin as a share, to four places (a percent to two)."""
        return {"margin": round(self.margin, 4)}


# The horizons the churn page offers, in months.
CHURN_HORIZONS = (3, 6, 12, 24, 36, 60)
DEFAULT_DISCOUNT_PERCENT = 1.0
DEFAULT_HORIZON = 12


@dataclass(frozen=True)
class ChurnSettings:
    """The churn page's value settings as the user sets them, in percent.

    ``margin_percent`` is None until the user sets one: the dataset's own margin applies then
    (from its cost column, else 30%), so a cost column loaded later is picked up.
    """

    margin_percent: float | None = None
    discount_percent: float = DEFAULT_DISCOUNT_PERCENT
    horizon_months: int = DEFAULT_HORIZON

    @classmethod
    def from_dict(cls, saved: Mapping[str, Any]) -> ChurnSettings:
        """The saved values; a horizon the page does not offer goes back to the default."""
        margin = saved.get("margin_percent")
        horizon = int(saved.get("horizon_months", DEFAULT_HORIZON))
        return cls(
            margin_percent=None if margin is None else float(margin),
            discount_percent=float(saved.get("discount_percent", DEFAULT_DISCOUNT_PERCENT)),
            horizon_months=horizon if horizon in CHURN_HORIZONS else DEFAULT_HORIZON)

    def as_dict(self) -> dict[str, Any]:
        """What is stored: the three values as the inputs show them."""
        return {"margin_percent": self.margin_percent, "discount_percent": self.discount_percent,
                "horizon_months": self.horizon_months}

    def with_margin(self, dataset_margin: float) -> ChurnSettings:
        """These settings with the dataset's margin (a share) filled in when none was set,
        rounded as the margin input shows it (one decimal of a percent)."""
        if self.margin_percent is not None:
            return self
        return ChurnSettings(round(dataset_margin * 100, 1), self.discount_percent,
                             self.horizon_months)

    def value(self) -> ValueSettings:
        """The model's ``ValueSettings`` (shares rather than percent); needs a margin."""
        assert self.margin_percent is not None, "fill the margin in with with_margin first"
        return ValueSettings(self.margin_percent / 100, self.discount_percent / 100,
                             int(self.horizon_months))


@dataclass(frozen=True)
class PortraitSettings:
    """What the customer portraits are drawn from: the features, and the number of portraits
    (None: chosen by the silhouette score)."""

    features: tuple[str, ...] = tuple(DEFAULT_FEATURES)
    k: int | None = None

    @classmethod
    def from_dict(cls, saved: Mapping[str, Any]) -> PortraitSettings:
        """The saved features and k; no features means the standard ones, and a k outside
        2 to ``MAX_K`` means automatic."""
        features = tuple(str(f) for f in saved.get("features") or ())
        k = saved.get("k")
        if isinstance(k, bool) or not isinstance(k, int) or not 2 <= k <= MAX_K:
            k = None
        return cls(features or tuple(DEFAULT_FEATURES), k)

    def as_dict(self) -> dict[str, Any]:
        """What is stored: the features as a list, and k (None for automatic)."""
        return {"features": list(self.features), "k": self.k}

    def offered(self, offered: list[str]) -> PortraitSettings:
        """These settings with the features this data cannot offer left out (a dataset
        reloaded without a column); none left means the standard features it offers."""
        features = tuple(f for f in self.features if f in offered)
        if not features:
            features = tuple(f for f in DEFAULT_FEATURES if f in offered)
        return PortraitSettings(features, self.k)


# The loyalty simulator keeps this many scenarios per dataset: three fit side by side.
MAX_SCENARIOS = 3


@dataclass(frozen=True)
class LoyaltyScenario:
    """One saved loyalty scenario: the name the user gave it and the programme."""

    name: str
    programme: LoyaltyProgramme


@dataclass(frozen=True)
class LoyaltyScenarios:
    """The loyalty simulator's saved scenarios, oldest first, at most :data:`MAX_SCENARIOS`.

    Each is stored as its name and the programme's text form
    (:meth:`LoyaltyProgramme.as_strings`), never a pickled object.
    """

    scenarios: tuple[LoyaltyScenario, ...] = ()

    @classmethod
    def from_dict(cls, saved: Mapping[str, Any]) -> LoyaltyScenarios:
        """The stored scenarios; one whose programme no longer validates (a range tightened
        since, a value edited by hand) or that has no name is left out, and only the first
        :data:`MAX_SCENARIOS` are kept."""
        scenarios = []
        for entry in saved.get("scenarios") or ():
            try:
                name = str(entry["name"]).strip()
                texts = {str(k): str(v) for k, v in dict(entry["programme"]).items()}
                programme = LoyaltyProgramme.from_strings(texts)
            except (KeyError, TypeError, ValueError):
                continue
            if name:
                scenarios.append(LoyaltyScenario(name, programme))
        return cls(tuple(scenarios[:MAX_SCENARIOS]))

    def as_dict(self) -> dict[str, Any]:
        """What is stored: each scenario's name and programme text."""
        return {"scenarios": [{"name": s.name, "programme": s.programme.as_strings()}
                              for s in self.scenarios]}

    @property
    def full(self) -> bool:
        """True when no further scenario can be saved."""
        return len(self.scenarios) >= MAX_SCENARIOS

    def names(self) -> list[str]:
        """The scenarios' names, oldest first."""
        return [scenario.name for scenario in self.scenarios]

    def saved(self, name: str, programme: LoyaltyProgramme) -> LoyaltyScenarios:
        """These scenarios with ``programme`` saved as ``name``: a scenario of that name is
        replaced in place, else it is added; raises ValueError when that would make more
        than :data:`MAX_SCENARIOS`."""
        scenario = LoyaltyScenario(name, programme)
        if name in self.names():
            return LoyaltyScenarios(tuple(scenario if s.name == name else s
                                          for s in self.scenarios))
        if self.full:
            raise ValueError(f"at most {MAX_SCENARIOS} scenarios can be saved")
        return LoyaltyScenarios((*self.scenarios, scenario))

    def without(self, name: str) -> LoyaltyScenarios:
        """These scenarios without the one called ``name``."""
        return LoyaltyScenarios(tuple(s for s in self.scenarios if s.name != name))
