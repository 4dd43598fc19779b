"""A loyalty programme's parameters (DESIGN §7), validated, and their text form.

One frozen :class:`LoyaltyProgramme` holds every parameter of every programme type, under the
names §7 gives them; the type in ``programme`` decides which ones the replay reads. Money and
rates are :class:`~decimal.Decimal` so the replay stays exact: a float such as 0.02 given to the
constructor is taken by its shortest decimal spelling (``Decimal("0.02")``), never by its binary
value.

The text form (:meth:`LoyaltyProgramme.from_strings`, :meth:`LoyaltyProgramme.as_strings`) is
``NAME=VALUE`` text as the command line's ``--set`` and the page's link carry it: numbers as
plain decimals, the tier lists comma-separated, ``cap_per_year=none`` for no cap.

The defaults are the issue's four presets at once, since each type reads its own parameters:
1 point per 1 unit of money with 250 points = 5 (a point is worth 0.02); 1 stamp per 100 spent
with a gift after 50 stamps, the gift costing 100; 2% cashback; and three tiers — base 1%, from
1,000 a year 3%, from 5,000 a year 5%. The first three give back 2% of qualifying spend, so
they differ only in who reaches a reward: the gift cost of 100 is 2% of the 5,000 it takes to
fill a card. Thresholds are in the dataset's currency; scale them for a currency whose unit is
small (so'm, ₮). Half the customers join, the most active first (the realistic, pessimistic
case: heavy buyers collect rewards on purchases they would have made anyway). Breakage
defaults to 20%, the low end of what retail reports; every behaviour change defaults to zero
— the often-quoted "+5 points of retention" is context, not a default.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, NamedTuple

from retention.i18n import N_, t

PROGRAMME_TYPES = ("points", "stamps", "cashback", "tiers")
JOINERS = ("everyone", "random", "most_active")
MAX_MONTHS = 120
NO_CAP = "none"

# English labels of the presets (the page passes them through t()).
PRESET_LABELS = {
    "points": N_("1 point per 1 unit of money, 250 points = 5"),
    "stamps": N_("1 stamp per 100, 50 stamps = a gift (costing 100)"),
    "cashback": N_("2% cashback"),
    "tiers": N_("Three tiers: 1%, 3% from 1,000 a year, 5% from 5,000 a year"),
}


class _Range(NamedTuple):
    """The values a number field accepts: ``low`` (excluded when ``low_open``) to ``high``
    (None: no upper bound); ``integer`` fields take whole numbers only."""

    low: Decimal
    high: Decimal | None = None
    low_open: bool = False
    integer: bool = False

    def admits(self, value: Decimal) -> bool:
        if self.integer and value != value.to_integral_value():
            return False
        above = value > self.low if self.low_open else value >= self.low
        return above and (self.high is None or value <= self.high)

    def describe(self) -> str:
        kind = t("a whole number") if self.integer else t("a number")
        if self.high is not None:
            return t("{kind} from {low} to {high}", kind=kind, low=self.low, high=self.high)
        if self.low_open:
            return t("{kind} greater than {low}", kind=kind, low=self.low)
        return t("{kind} of at least {low}", kind=kind, low=self.low)


_ZERO, _ONE = Decimal(0), Decimal(1)
_SHARE = _Range(_ZERO, _ONE)
_MONEY = _Range(_ZERO)
# Number fields and their ranges; the tier lists, cap_per_year and the choices are checked
# on their own in __post_init__.
_RANGES: dict[str, _Range] = {
    "cashback_rate": _SHARE,
    "earn_rate": _MONEY,
    "point_value": _MONEY,
    "threshold_points": _Range(_ONE, integer=True),
    "stamp_every": _Range(_ZERO, low_open=True),
    "stamps_per_gift": _Range(_ONE, integer=True),
    "gift_cost": _MONEY,
    "welcome_bonus": _MONEY,
    "birthday_gift": _MONEY,
    "fixed_monthly_cost": _MONEY,
    "participation": _SHARE,
    "seed": _Range(_ZERO, Decimal(2**32 - 1), integer=True),
    "breakage": _SHARE,
    "retention_uplift": _Range(-_ONE, _ONE),
    "frequency_uplift": _Range(-_ONE, Decimal(10)),
    "check_uplift": _Range(-_ONE, Decimal(10)),
    "months": _Range(_ONE, Decimal(MAX_MONTHS), integer=True),
}
_LISTS = ("tier_thresholds", "tier_rates")
_CHOICES = {"programme": PROGRAMME_TYPES, "joiners": JOINERS}


@dataclass(frozen=True)
class LoyaltyProgramme:
    """Every parameter of a loyalty programme, named as in DESIGN §7.

    programme: points | stamps | cashback | tiers. cashback_rate (0–1); earn_rate (points per
    unit of money), point_value (money per point), threshold_points (points per redemption);
    stamp_every (money per stamp), stamps_per_gift, gift_cost; tier_thresholds (ascending
    yearly spend) and tier_rates (the base tier's rate first, one more than thresholds);
    welcome_bonus and birthday_gift (money per member), fixed_monthly_cost, cap_per_year (the
    most a member can redeem in a year; None: no cap); participation (0–1) and joiners
    (everyone | random | most_active) with seed for the random draw; breakage (0–1);
    retention_uplift (monthly retention points as a fraction, −1 to 1), frequency_uplift and
    check_uplift (fractions, −1 to 10); months (1–120). Raises ValueError with one sentence per
    problem, naming the field and what it accepts.
    """

    programme: str = "points"
    cashback_rate: Decimal = Decimal("0.02")
    earn_rate: Decimal = Decimal(1)
    point_value: Decimal = Decimal("0.02")
    threshold_points: int = 250
    stamp_every: Decimal = Decimal(100)
    stamps_per_gift: int = 50
    gift_cost: Decimal = Decimal(100)
    tier_thresholds: tuple[Decimal, ...] = (Decimal(1000), Decimal(5000))
    tier_rates: tuple[Decimal, ...] = (Decimal("0.01"), Decimal("0.03"), Decimal("0.05"))
    welcome_bonus: Decimal = Decimal(0)
    birthday_gift: Decimal = Decimal(0)
    fixed_monthly_cost: Decimal = Decimal(0)
    cap_per_year: Decimal | None = None
    participation: Decimal = Decimal("0.5")
    joiners: str = "most_active"
    seed: int = 0
    breakage: Decimal = Decimal("0.2")
    retention_uplift: Decimal = Decimal(0)
    frequency_uplift: Decimal = Decimal(0)
    check_uplift: Decimal = Decimal(0)
    months: int = 24

    def __post_init__(self) -> None:
        problems: list[str] = []
        for name, allowed in _CHOICES.items():
            if getattr(self, name) not in allowed:
                problems.append(t("{name} must be one of {allowed}, got {value!r}.", name=name,
                                  allowed=" | ".join(allowed), value=getattr(self, name)))
        for name, accepted in _RANGES.items():
            value = _number(name, getattr(self, name), problems)
            if value is None:
                continue
            if not accepted.admits(value):
                problems.append(t("{name} must be {accepted}, got {value}.", name=name,
                                  accepted=accepted.describe(), value=value))
                continue
            object.__setattr__(self, name, int(value) if accepted.integer else value)
        self._check_cap(problems)
        self._check_tiers(problems)
        if problems:
            raise ValueError(" ".join(problems))

    def _check_cap(self, problems: list[str]) -> None:
        if self.cap_per_year is None:
            return
        cap = _number("cap_per_year", self.cap_per_year, problems)
        if cap is not None and cap < 0:
            problems.append(t("cap_per_year must be a number of at least 0, or {none} for no "
                              "cap, got {value}.", none=NO_CAP, value=cap))
        elif cap is not None:
            object.__setattr__(self, "cap_per_year", cap)

    def _check_tiers(self, problems: list[str]) -> None:
        values = {}
        for name in _LISTS:
            raw = getattr(self, name)
            items = [raw] if isinstance(raw, (str, int, float, Decimal)) else list(raw)
            values[name] = [_number(name, item, problems) for item in items]
        if any(value is None for listed in values.values() for value in listed):
            return
        thresholds = [v for v in values["tier_thresholds"] if v is not None]
        rates = [v for v in values["tier_rates"] if v is not None]
        steps = zip(thresholds, thresholds[1:], strict=False)
        if any(v <= 0 for v in thresholds) or any(b <= a for a, b in steps):
            problems.append(t("tier_thresholds must be numbers greater than 0 in ascending "
                              "order, got {value}.", value=_list_text(thresholds)))
        if any(not _SHARE.admits(v) for v in rates):
            problems.append(t("tier_rates must be numbers from 0 to 1, got {value}.",
                              value=_list_text(rates)))
        if len(rates) != len(thresholds) + 1:
            problems.append(t("tier_rates needs one rate more than tier_thresholds (the base "
                              "tier's first): {thresholds} thresholds need {needed} rates, got "
                              "{rates}.", thresholds=len(thresholds),
                              needed=len(thresholds) + 1, rates=len(rates)))
        object.__setattr__(self, "tier_thresholds", tuple(thresholds))
        object.__setattr__(self, "tier_rates", tuple(rates))

    @property
    def member_share(self) -> Decimal:
        """The share of customers who join: 1 when everyone joins, else ``participation``."""
        return _ONE if self.joiners == "everyone" else self.participation

    @classmethod
    def from_strings(cls, mapping: Mapping[str, str]) -> LoyaltyProgramme:
        """A programme from ``NAME=VALUE`` text (the command line's ``--set``, a page link):
        names as in DESIGN §7 plus ``programme``; the names not given keep their defaults.
        Raises ValueError naming an unknown parameter or a value that is not a number."""
        known = {field.name for field in dataclasses.fields(cls)}
        values: dict[str, Any] = {}
        problems: list[str] = []
        for name, text in mapping.items():
            if name not in known:
                problems.append(t("There is no programme parameter {name!r}; the parameters "
                                  "are: {names}.", name=name, names=", ".join(sorted(known))))
            elif name in _CHOICES:
                values[name] = text.strip()
            elif name in _LISTS:
                values[name] = tuple(item.strip() for item in text.split(",") if item.strip())
            elif name == "cap_per_year" and text.strip().lower() in ("", NO_CAP):
                values[name] = None
            else:
                values[name] = text.strip()
        if problems:
            raise ValueError(" ".join(problems))
        return cls(**values)

    def as_strings(self) -> dict[str, str]:
        """The programme as ``NAME: VALUE`` text, every parameter; the inverse of
        :meth:`from_strings`."""
        text: dict[str, str] = {}
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if value is None:
                text[field.name] = NO_CAP
            elif isinstance(value, tuple):
                text[field.name] = _list_text(value)
            elif isinstance(value, Decimal):
                text[field.name] = _decimal_text(value)
            else:
                text[field.name] = str(value)
        return text


def _number(name: str, value: object, problems: list[str]) -> Decimal | None:
    """``value`` as an exact Decimal (a float by its shortest spelling), or None after noting
    why it is not a finite number."""
    try:
        if isinstance(value, bool):
            raise TypeError
        if isinstance(value, float):
            value = repr(value)
        number = Decimal(value.strip() if isinstance(value, str) else value)  # type: ignore[arg-type]
    except (InvalidOperation, TypeError, ValueError):
        problems.append(t("{name} must be a number, got {value!r}.", name=name, value=value))
        return None
    if not math.isfinite(number):
        problems.append(t("{name} must be a finite number, got {value}.", name=name,
                          value=value))
        return None
    return number


def _decimal_text(value: Decimal) -> str:
    """Plain decimal notation (``100``, not ``1E+2``)."""
    return format(value, "f")


def _list_text(values: tuple[Decimal, ...] | list[Decimal]) -> str:
    return ",".join(_decimal_text(value) for value in values)


# The four presets: each type with the defaults (see the module docstring).
PRESETS: dict[str, LoyaltyProgramme] = {kind: LoyaltyProgramme(programme=kind)
                                        for kind in PROGRAMME_TYPES}
