"""Seeded synthetic purchase history: the demo a shop owner sees first, and a fixture for tests.

It has to look like a real shop (archetypes that the loyalty ladder, CRR, LTV and ABC/XYZ can tell
apart, growth, seasonality, returns, patchy customer attributes) and stay fast enough to generate a
million customers on a laptop, so all per-row work is vectorised with numpy and pyarrow.
"""

from __future__ import annotations

import datetime
import functools
import pathlib
from collections.abc import Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["COLUMNS", "sample_transactions", "write_sample_csv"]

COLUMNS = (
    "order_id",
    "customer_id",
    "date",
    "product",
    "category",
    "quantity",
    "unit_price",
    "amount",
    "channel",
    "store",
    "city",
    "gender",
    "birth_date",
    "signup_date",
    "email",
    "phone",
    "email_opt_in",
    "sms_opt_in",
    "referred_by",
    "nps",
)

ONE_TIME, OCCASIONAL, REGULAR, LAPSED, NEW, STEADY = range(6)
_SHARES = np.array([0.42, 0.22, 0.11, 0.07, 0.08, 0.10])

_GROWTH = np.log(1.8) / 365.25
_NEW_DAYS = 91
_REGULAR_RUNWAY_DAYS = 120
_LAPSE_DAYS = (185.0, 545.0)
# Steady customers (a coffee, a skincare routine, pet food): about one order a month with the
# same basket, most of them there since the history starts. The gap's gamma shape sets how
# punctual they are: at 6 a month without an order is common (Y in ABC/XYZ), at 40 it is rare
# (X). Basket sizes and their lines are fixed per customer.
_STEADY_GAP_DAYS = (27.0, 34.0)
_STEADY_SHAPE = (8.0, 60.0)
_STEADY_CHURN = 0.12
_STEADY_BASKET_LINES = np.array([0.5, 0.35, 0.15])
_STEADY_THRIFTY = 0.4
_OPENING_DAYS = 45.0

_MONTH_WEIGHT = np.array([0.85, 0.8, 0.95, 1.0, 1.0, 0.85, 0.72, 0.8, 0.95, 1.05, 1.3, 1.75])
_WEEKDAY_WEIGHT = np.array([0.8, 0.85, 0.9, 0.95, 1.15, 1.4, 1.1])
_HOUR_WEIGHT = np.array([2, 4, 6, 8, 7, 6, 6, 7, 9, 10, 8, 5, 3], dtype=float)
_DISCOUNT_CHANCE = np.array([0.3, 0.12, 0.08, 0.08, 0.08, 0.12, 0.3, 0.15, 0.08, 0.08, 0.25, 0.12])
_DISCOUNTS = np.array([0.1, 0.15, 0.2, 0.3])

_CHANNELS = ("store", "online", "app")
_CITIES = ("Springfield", "Riverton", "Lakeside", "Hillcrest", "Fairview", "Oakdale")
_CITY_SHARE = np.array([0.34, 0.2, 0.16, 0.12, 0.1, 0.08])
_STORES = ("Springfield Central", "Springfield Mall", "Riverton", "Lakeside", "Hillcrest")
_CITY_STORE = np.array([1, 2, 3, 4, 1, 2])
_GENDERS = ("F", "M")

_CATALOGUE_SEED = 20_240_917
_CATALOGUE = (
    "Apparel 12-90: Cotton T-shirt, Linen shirt, Slim jeans, Wool sweater, Hooded sweatshirt, "
    "Summer dress, Rain jacket, Chino trousers",
    "Footwear 30-170: Running shoes, Leather boots, Canvas sneakers, Sandals, Slippers, Loafers, "
    "Hiking boots, Ankle boots",
    "Accessories 8-70: Leather belt, Wool scarf, Baseball cap, Sunglasses, Canvas tote bag, "
    "Leather wallet, Knit beanie, Umbrella",
    "Beauty 4-55: Hand cream, Lip balm, Shampoo, Face serum, Body lotion, Eau de parfum 50 ml, "
    "Sheet mask set, Bath salts",
    "Home 9-130: Scented candle, Throw blanket, Cushion cover, Table lamp, Photo frame, "
    "Bath towel set, Ceramic vase, Wall clock",
    "Kitchen 5-110: Coffee mug, Chef's knife, Cast iron pan, Tea towel set, French press, "
    "Glass storage jars, Cutting board, Salad bowl",
    "Electronics 12-290: Wireless earbuds, Phone charger, Bluetooth speaker, Power bank, "
    "Smart watch, USB-C cable, LED desk lamp, Over-ear headphones",
    "Toys & Games 7-75: Jigsaw puzzle, Board game, Plush bear, Building blocks, Card game, Kite, "
    "Model car, Art set",
)

_STR = pd.Series([], dtype="str").dtype


@functools.cache
def _catalogue() -> tuple[np.ndarray, np.ndarray, tuple[str, ...], np.ndarray, np.ndarray]:
    """Fixed shop catalogue, identical for every seed: the same shop, different customers."""
    rng = np.random.default_rng(_CATALOGUE_SEED)
    categories: list[str] = []
    names: list[str] = []
    category: list[int] = []
    lo: list[float] = []
    hi: list[float] = []
    for code, line in enumerate(_CATALOGUE):
        head, products = line.split(": ")
        label, prices = head.rsplit(" ", 1)
        low, high = (float(bound) for bound in prices.split("-"))
        categories.append(label)
        for name in products.split(", "):
            names.append(name)
            category.append(code)
            lo.append(low)
            hi.append(high)
    price = np.ceil(np.exp(rng.uniform(np.log(lo), np.log(hi)))) - 0.01
    popularity = 1.0 / (rng.permutation(len(names)) + 1.0) ** 0.8
    regular = popularity / popularity.sum()
    premium = popularity * price**1.2
    premium /= premium.sum()
    weights = np.stack([regular, premium])
    return np.array(names), np.array(category), tuple(categories), price, weights


class _Clock:
    """Maps calendar days to 'shop time' whose density follows season and weekday.

    Customer behaviour is simulated in shop time (where a day lasts as long as an average day's
    trade), so every archetype inherits the December peak, the summer dip and busy weekends.
    """

    def __init__(self, end: datetime.date, years: float) -> None:
        self.days = max(int(round(years * 365.25)), 1)
        last_day = np.datetime64(datetime.date(end.year, end.month, end.day), "D")
        self.first_day = last_day - (self.days - 1)
        day = self.first_day + np.arange(self.days)
        self.month = day.astype("datetime64[M]").astype(np.int64) % 12
        weekday = (day.astype(np.int64) + 3) % 7
        weight = _MONTH_WEIGHT[self.month] * _WEEKDAY_WEIGHT[weekday]
        self._calendar = np.arange(self.days + 1, dtype=float)
        self._shop = np.concatenate(([0.0], np.cumsum(weight / weight.mean())))
        self.horizon = self._shop[-1]

    def shop(self, calendar_day: float | np.ndarray) -> np.ndarray:
        return np.asarray(np.interp(calendar_day, self._calendar, self._shop))

    def day(self, shop_time: np.ndarray) -> np.ndarray:
        calendar = np.interp(shop_time, self._shop, self._calendar)
        day: np.ndarray = np.minimum(calendar.astype(np.int64), self.days - 1)
        return day


def _grow(
    rng: np.random.Generator, lo: float | np.ndarray, hi: float | np.ndarray, n: int
) -> np.ndarray:
    """Acquisition times in [lo, hi] with density rising by _GROWTH (a growing shop)."""
    lo = np.broadcast_to(np.asarray(lo, dtype=float), n)
    hi = np.maximum(np.broadcast_to(np.asarray(hi, dtype=float), n), lo)
    grown: np.ndarray = lo + np.log1p(rng.random(n) * np.expm1(_GROWTH * (hi - lo))) / _GROWTH
    return grown


def _with_base(
    rng: np.random.Generator, clock: _Clock, first: np.ndarray, share: float
) -> np.ndarray:
    """Customers the shop already had when the history starts show up in its first weeks."""
    known = rng.random(first.size) < share
    opening = clock.shop(rng.uniform(0.0, min(_OPENING_DAYS, clock.days * 0.1), first.size))
    return np.where(known, np.minimum(opening, first), first)


def _later(
    rng: np.random.Generator, first: np.ndarray, span: np.ndarray, extra: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Up to extra[i] further orders spread uniformly in (first[i], first[i] + span[i])."""
    width = int(extra.max(initial=0))
    offsets = np.sort(rng.random((first.size, width)), axis=1) * span[:, None]
    row, col = np.nonzero(np.arange(width)[None, :] < extra[:, None])
    return row, first[row] + offsets[row, col]


def _renewals(
    rng: np.random.Generator,
    first: np.ndarray,
    stop: np.ndarray,
    mean_gap: np.ndarray,
    shape: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Orders after each first one at gamma-distributed gaps (mean ``mean_gap``, shape
    ``shape``: higher is more punctual) until ``stop``, as (customer row, shop time)."""
    row_parts, time_parts = [np.arange(0)], [np.zeros(0)]
    pending, current = np.arange(first.size), first.copy()
    while pending.size:
        scale = (mean_gap[pending] / shape[pending])[:, None]
        gaps = rng.gamma(shape[pending, None], scale, (pending.size, 16))
        times = current[pending, None] + np.cumsum(gaps, axis=1)
        inside = times < stop[pending, None]
        r, c = np.nonzero(inside)
        row_parts.append(pending[r])
        time_parts.append(times[r, c])
        current[pending] = times[:, -1]
        pending = pending[inside[:, -1]]
    return np.concatenate(row_parts), np.concatenate(time_parts)


def _orders_by_archetype(
    rng: np.random.Generator, clock: _Clock, archetype: int, n: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(customer row within the group, shop time) of every order, and each customer's first."""
    days, horizon = clock.days, clock.horizon
    recent = min(_NEW_DAYS, days * 0.25)
    rows = [np.arange(n)]
    if archetype == ONE_TIME:
        first = _grow(rng, 0.0, clock.shop(days - recent), n)
        return np.arange(n), first, first
    if archetype == OCCASIONAL:
        first = _grow(rng, 0.0, clock.shop(days - min(30.0, days * 0.1)), n)
        extra = rng.choice([1, 2], n, p=[0.6, 0.4])
        span = np.minimum(rng.exponential(170.0, n) + 10.0, horizon - first)
        row, later = _later(rng, first, span, extra)
    elif archetype == REGULAR:
        first = _grow(rng, 0.0, clock.shop(days - min(_REGULAR_RUNWAY_DAYS, days * 0.3)), n)
        first = _with_base(rng, clock, first, 0.35)
        mean_gap = rng.uniform(21.0, 56.0, n)
        stop = np.where(
            rng.random(n) < 0.8, horizon, first + rng.uniform(0.35, 0.9, n) * (horizon - first)
        )
        row, later = _renewals(rng, first, stop, mean_gap, np.full(n, 3.0))
    elif archetype == STEADY:
        first = _grow(rng, 0.0, clock.shop(days - min(_REGULAR_RUNWAY_DAYS, days * 0.3)), n)
        first = _with_base(rng, clock, first, 0.7)
        stop = np.where(
            rng.random(n) < _STEADY_CHURN,
            first + rng.uniform(0.3, 0.9, n) * (horizon - first),
            horizon,
        )
        row, later = _renewals(
            rng, first, stop, rng.uniform(*_STEADY_GAP_DAYS, n), rng.uniform(*_STEADY_SHAPE, n)
        )
    elif archetype == LAPSED:
        last_day = np.maximum(days - rng.uniform(*_LAPSE_DAYS, n), days * 0.1)
        last = clock.shop(last_day)
        first = _grow(rng, 0.0, clock.shop(np.maximum(last_day - 60.0, 0.0)), n)
        first = np.minimum(_with_base(rng, clock, first, 0.5), last)
        extra = rng.integers(1, 7, n)
        row, between = _later(rng, first, last - first, extra)
        row = np.concatenate([row, np.arange(n)])
        later = np.concatenate([between, last])
    else:
        first = _grow(rng, clock.shop(days - recent), horizon, n)
        extra = rng.choice([0, 1, 2], n, p=[0.65, 0.25, 0.1])
        row, later = _later(rng, first, horizon - first, extra)
    rows.append(row)
    return np.concatenate(rows), np.concatenate([first, later]), first


def _text(
    labels: pa.Array | Sequence[str] | np.ndarray,
    codes: np.ndarray,
    missing: np.ndarray | None = None,
) -> pd.Series:
    """A pandas 'str' column built by an arrow take, so millions of rows cost milliseconds."""
    if not isinstance(labels, pa.Array):
        labels = pa.array(list(labels), type=pa.string())
    taken = labels.take(pa.array(codes, mask=missing))
    column: pd.Series = taken.to_pandas(types_mapper={pa.string(): _STR}.get)
    return column


def _padded(numbers: np.ndarray, width: int, prefix: str = "") -> pa.Array:
    digits = pc.utf8_lpad(pa.array(numbers).cast(pa.string()), width=width, padding="0")
    return pc.binary_join_element_wise(prefix, digits, "") if prefix else digits


def sample_transactions(
    customers: int = 3000,
    seed: int = 42,
    end: datetime.date = datetime.date(2026, 10, 31),
    years: float = 2.5,
) -> pd.DataFrame:
    """One row per order line of a synthetic shop, sorted by date then order_id.

    Columns are COLUMNS. Customers are about 42% one-time buyers, 22% occasional (2-3 orders),
    11% regulars (an order every 3-8 weeks with varied baskets, a fifth of them churn), 10%
    steady buyers (about one order a month with the same basket, some punctual, some skipping
    months, one in eight stops; two in five of the others buy one cheap item), 7% lapsed big
    spenders (3-8 large orders, the last 6-18 months before `end`) and 8% newcomers of the last
    3 months. With DESIGN's thresholds every ABC/XYZ cell holds customers: steady buyers make
    X and Y in all three revenue classes. An order never has two lines of one product.
    Sales have ids "S" + digits; ~3% of orders get a return some days later under "C" + the same
    digits, with negative quantity and amount. `store` is filled only for channel "store".
    Ids are zero-padded to 6 digits, wider when the counts need it. Dates are datetime64[us]
    (birth and signup dates at midnight), missing text is NaN, nps is Int64. The catalogue is the
    same for every seed; everything else follows `seed`.
    """
    customers = int(customers)
    if customers < 1:
        raise ValueError("customers must be at least 1")
    if not years > 0:
        raise ValueError("years must be positive")
    rng = np.random.default_rng(seed)
    clock = _Clock(end, years)
    names, product_category, categories, base_price, product_weight = _catalogue()

    counts = np.floor(_SHARES * customers).astype(np.int64)
    counts[ONE_TIME] += customers - counts.sum()
    archetype = np.repeat(np.arange(len(_SHARES)), counts)
    offsets = np.concatenate(([0], np.cumsum(counts)))
    order_parts, time_parts, first_parts = [], [], []
    for kind, n in enumerate(counts):
        row, shop_time, first = _orders_by_archetype(rng, clock, kind, int(n))
        order_parts.append(row + offsets[kind])
        time_parts.append(shop_time)
        first_parts.append(first)
    order_customer = np.concatenate(order_parts)
    order_day = clock.day(np.concatenate(time_parts))
    first_shop = np.concatenate(first_parts)

    first_day = clock.day(first_shop)
    signup_day = np.maximum(
        first_day - np.where(rng.random(customers) < 0.6, 0, rng.integers(1, 61, customers)), 0
    )
    by_signup = np.lexsort((first_shop, signup_day))
    rank = np.empty(customers, dtype=np.int64)
    rank[by_signup] = np.arange(customers)
    archetype, signup_day = archetype[by_signup], signup_day[by_signup]
    order_customer = rank[order_customer]

    seconds = _time_of_day(rng, order_day.size)
    epoch_day = clock.first_day.astype(np.int64)
    order_ts = (epoch_day + order_day) * 86_400 + seconds
    chrono = np.lexsort((order_customer, order_ts))
    order_customer, order_day = order_customer[chrono], order_day[chrono]
    order_ts = order_ts[chrono]
    n_orders = order_ts.size

    premium = (archetype == LAPSED) | (rng.random(customers) < 0.05)
    preferred = rng.choice(3, customers, p=[0.55, 0.3, 0.15])
    channel = np.where(
        rng.random(n_orders) < 0.8,
        preferred[order_customer],
        rng.choice(3, n_orders, p=[0.5, 0.3, 0.2]),
    )
    city = rng.choice(len(_CITIES), customers, p=_CITY_SHARE)
    home_store = _CITY_STORE[city]
    home_store[(city == 0) & (rng.random(customers) < 0.5)] = 0
    store = np.where(
        rng.random(n_orders) < 0.85,
        home_store[order_customer],
        rng.integers(0, len(_STORES), n_orders),
    )

    order_premium = premium[order_customer]
    steady = archetype == STEADY
    basket = _steady_baskets(rng, premium, product_weight, base_price)
    order_steady = steady[order_customer]
    n_lines = np.where(
        order_premium,
        rng.choice([1, 2, 3, 4], n_orders, p=[0.2, 0.3, 0.3, 0.2]),
        rng.choice([1, 2, 3, 4], n_orders, p=[0.52, 0.27, 0.14, 0.07]),
    )
    n_lines = np.where(order_steady, basket["lines"][order_customer], n_lines)
    line_order = np.repeat(np.arange(n_orders), n_lines)
    line_no = np.arange(line_order.size) - np.repeat(np.cumsum(n_lines) - n_lines, n_lines)
    line_premium = order_premium[line_order]
    product = np.empty(line_order.size, dtype=np.int64)
    for tier in (False, True):
        mask = line_premium == tier
        product[mask] = rng.choice(names.size, int(mask.sum()), p=product_weight[int(tier)])
    quantity = rng.choice([1, 2, 3, 4, 5], line_order.size, p=[0.7, 0.18, 0.07, 0.03, 0.02])
    line_customer = order_customer[line_order]
    line_steady = order_steady[line_order]
    staple = np.minimum(line_no, basket["product"].shape[1] - 1)
    product = np.where(line_steady, basket["product"][line_customer, staple], product)
    quantity = np.where(line_steady, basket["quantity"][line_customer, staple], quantity)
    # A shop system writes one line per product and order, with the quantity on it.
    product = _distinct_within(line_order, product, names.size)
    discounted = rng.random(line_order.size) < _DISCOUNT_CHANCE[clock.month[order_day[line_order]]]
    discount = np.where(discounted, rng.choice(_DISCOUNTS, line_order.size), 0.0)
    unit_price = np.round(base_price[product] * (1.0 - discount), 2)

    returned = (rng.random(n_orders) < 0.03) & (order_day < clock.days - 1)
    full = rng.random(n_orders) < 0.4
    picked_line = (rng.random(n_orders) * n_lines).astype(np.int64)
    back = returned[line_order] & (full[line_order] | (line_no == picked_line[line_order]))
    back_order = line_order[back]
    back_quantity = np.where(full[back_order], quantity[back], rng.integers(1, quantity[back] + 1))
    delay = np.minimum(rng.integers(1, 29, n_orders), clock.days - 1 - order_day)
    return_ts = (epoch_day + order_day + delay) * 86_400 + _time_of_day(rng, n_orders)

    is_return = np.concatenate([np.zeros(line_order.size, bool), np.ones(back_order.size, bool)])
    row_order = np.concatenate([line_order, back_order])
    row_ts = np.concatenate([order_ts[line_order], return_ts[back_order]])
    row_line = np.concatenate([line_no, line_no[back]])
    sort = np.lexsort((row_line, row_order, ~is_return, row_ts))
    is_return, row_order, row_ts = is_return[sort], row_order[sort], row_ts[sort]
    row_product = np.concatenate([product, product[back]])[sort]
    row_quantity = np.concatenate([quantity, -back_quantity])[sort]
    row_price = np.concatenate([unit_price, unit_price[back]])[sort]
    row_customer = order_customer[row_order]
    row_channel = channel[row_order]

    attributes = _customer_attributes(rng, archetype, signup_day, clock)
    id_width = max(6, len(str(customers)))
    customer_ids = _padded(np.arange(1, customers + 1), id_width)
    order_width = max(6, len(str(n_orders)))
    order_ids = pa.concat_arrays(
        [
            _padded(np.arange(1, n_orders + 1), order_width, "S"),
            _padded(np.arange(1, n_orders + 1), order_width, "C"),
        ]
    )

    def per_row(values: np.ndarray) -> np.ndarray:
        expanded: np.ndarray = values[row_customer]
        return expanded

    to_us = "datetime64[us]"
    frame = {
        "order_id": _text(order_ids, row_order + n_orders * is_return),
        "customer_id": _text(customer_ids, row_customer),
        "date": pd.Series(row_ts.astype("datetime64[s]").astype(to_us)),
        "product": _text(names, row_product),
        "category": _text(categories, product_category[row_product]),
        "quantity": pd.Series(row_quantity.astype(np.int64)),
        "unit_price": pd.Series(row_price),
        "amount": pd.Series(np.round(row_quantity * row_price, 2)),
        "channel": _text(_CHANNELS, row_channel),
        "store": _text(_STORES, store[row_order], row_channel != 0),
        "city": _text(_CITIES, per_row(city)),
        "gender": _text(_GENDERS, per_row(attributes["gender"]), per_row(attributes["no_gender"])),
        "birth_date": pd.Series(per_row(attributes["birth_date"]).astype(to_us)),
        "signup_date": pd.Series(per_row(clock.first_day + signup_day).astype(to_us)),
        "email": _text(
            pc.binary_join_element_wise("c", customer_ids, "@example.com", ""),
            row_customer,
            per_row(attributes["no_email"]),
        ),
        "phone": _text(
            _padded(attributes["phone"], 7, "+1555"), row_customer, per_row(attributes["no_phone"])
        ),
        "email_opt_in": pd.Series(per_row(attributes["email_opt_in"])),
        "sms_opt_in": pd.Series(per_row(attributes["sms_opt_in"])),
        "referred_by": _text(
            customer_ids, per_row(attributes["referrer"]), per_row(attributes["referrer"] < 0)
        ),
        "nps": pd.Series(
            pd.arrays.IntegerArray(per_row(attributes["nps"]), per_row(attributes["no_nps"]))
        ),
    }
    return pd.DataFrame(frame, columns=list(COLUMNS))


def _steady_baskets(
    rng: np.random.Generator, premium: np.ndarray, product_weight: np.ndarray, price: np.ndarray
) -> dict[str, np.ndarray]:
    """Each customer's usual basket (used by steady customers only): how many lines, and the
    product and quantity on each. Premium customers pick from the premium range; a share of
    the others are thrifty — one cheap item a month, the small steady buyers of ABC's C class —
    so steady buyers spread over A, B and C."""
    n = premium.size
    width = _STEADY_BASKET_LINES.size
    thrifty = ~premium & (rng.random(n) < _STEADY_THRIFTY)
    cheap = product_weight[0] / price**2
    weights = np.stack([product_weight[0], product_weight[1], cheap / cheap.sum()])
    tier = np.where(premium, 1, np.where(thrifty, 2, 0))
    product = np.empty((n, width), dtype=np.int64)
    for chosen in range(len(weights)):
        mask = tier == chosen
        product[mask] = rng.choice(price.size, (int(mask.sum()), width), p=weights[chosen])
    lines = rng.choice(np.arange(1, width + 1), n, p=_STEADY_BASKET_LINES)
    quantity = rng.choice([1, 2, 3], (n, width), p=[0.75, 0.2, 0.05])
    return {
        "lines": np.where(thrifty, 1, lines),
        "product": product,
        "quantity": np.where(thrifty[:, None], 1, quantity),
    }


def _distinct_within(group: np.ndarray, product: np.ndarray, products: int) -> np.ndarray:
    """``product`` with a product that repeats within its ``group`` moved on to the next
    catalogue entry until none repeats (groups hold at most 4 lines of 64 products)."""
    product = product.copy()
    while True:
        order = np.lexsort((product, group))
        repeat = np.zeros(order.size, dtype=bool)
        repeat[1:] = (group[order][1:] == group[order][:-1]) & (
            product[order][1:] == product[order][:-1]
        )
        if not repeat.any():
            return product
        moved = order[repeat]
        product[moved] = (product[moved] + 1) % products


def _time_of_day(rng: np.random.Generator, n: int) -> np.ndarray:
    hour = 9 + rng.choice(_HOUR_WEIGHT.size, n, p=_HOUR_WEIGHT / _HOUR_WEIGHT.sum())
    return hour * 3600 + rng.integers(0, 3600, n)


def _customer_attributes(
    rng: np.random.Generator, archetype: np.ndarray, signup_day: np.ndarray, clock: _Clock
) -> dict[str, np.ndarray]:
    """Per-customer attributes in id order; referrers always signed up earlier."""
    n = archetype.size
    age_days = np.clip(rng.normal(41.0, 13.0, n), 18.0, 80.0) * 365.25
    birth = (clock.first_day + signup_day - age_days.astype(np.int64)).astype("datetime64[D]")
    birth[rng.random(n) < 0.2] = np.datetime64("NaT")
    no_email = rng.random(n) < 0.12
    no_phone = rng.random(n) < 0.3
    keen = (archetype == REGULAR) | (archetype == STEADY)
    email_opt_in = ~no_email & (rng.random(n) < np.where(keen, 0.7, 0.5))
    sms_opt_in = ~no_phone & (rng.random(n) < 0.35)

    pull = np.array([1.0, 2.0, 6.0, 3.0, 1.0, 4.0])[archetype]
    reach = np.cumsum(pull)
    referred = (rng.random(n) < 0.1) & (np.arange(n) > 0)
    target = rng.random(n) * np.concatenate(([0.0], reach[:-1]))
    referrer = np.where(referred, np.searchsorted(reach, target, side="right"), -1)

    mood = np.array([6.3, 7.4, 8.8, 6.0, 7.8, 8.4])[archetype]
    nps = np.clip(np.rint(rng.normal(mood, 2.0)), 0, 10).astype(np.int64)
    return {
        "gender": (rng.random(n) < 0.42).astype(np.int64),
        "no_gender": rng.random(n) < 0.06,
        "birth_date": birth,
        "no_email": no_email,
        "no_phone": no_phone,
        "phone": rng.integers(0, 10**7, n),
        "email_opt_in": email_opt_in,
        "sms_opt_in": sms_opt_in,
        "referrer": referrer,
        "nps": nps,
        "no_nps": rng.random(n) >= 0.3,
    }


def write_sample_csv(
    path: str | pathlib.Path, customers: int = 3000, seed: int = 42
) -> pathlib.Path:
    """Write sample_transactions() as the kind of UTF-8 CSV export a shop system produces.

    Comma separated, point decimals, "YYYY-MM-DD HH:MM:SS" order timestamps, "YYYY-MM-DD" birth
    and signup dates, true/false booleans, missing values as empty fields.
    """
    path = pathlib.Path(path)
    frame = sample_transactions(customers=customers, seed=seed)
    frame["date"] = frame["date"].dt.strftime("%Y-%m-%d %H:%M:%S")
    for column in ("birth_date", "signup_date"):
        frame[column] = frame[column].dt.strftime("%Y-%m-%d")
    for column in ("email_opt_in", "sms_opt_in"):
        frame[column] = np.where(frame[column], "true", "false")
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(
        path, index=False, encoding="utf-8", na_rep="", float_format="%.2f", lineterminator="\n"
    )
    return path
