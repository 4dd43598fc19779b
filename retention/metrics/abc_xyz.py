"""ABC/XYZ analysis (DESIGN §4): who brings the money (ABC) and how steadily they buy (XYZ).

The span. The analysis looks at the last 12 *complete* calendar months before or at the as-of
date D: a month is complete when D is its last day or later. As of 2026-10-31 that is
November 2025 – October 2026; as of 2026-10-30 it is October 2025 – September 2026. Rows dated
after the span (even if on or before D) are left out, so a half-finished month never drags a
steady buyer towards Z.

ABC. Net revenue in the span (sales minus returns) is summed per customer; only customers with
a positive sum are classified (someone whose returns cancel their purchases brings no money to
rank). They are ranked by it, highest first, ties by customer id (text order).
``share_before`` is the revenue of the strictly higher-ranked customers divided by the total of
all classified customers, so the first customer has 0 and the shares of the ranked customers
add up to 1. A if share_before < 0.80, B if < 0.95, else C. The comparison is done in exact
decimal arithmetic, so a share of exactly 0.80 is B.

XYZ. The span is cut into equal time buckets and the customer's net revenue is summed in each,
with zeros for buckets without purchases. CV = population standard deviation / mean of those
bucket sums. X if CV ≤ 0.5, Y if ≤ 1.0, else Z. The CV is rounded to 9 decimals before the
comparison, so a CV that is exactly 0.5 on paper is X whatever the floating-point error.
A customer whose bucket mean is not positive (possible only with weeks, see below) has no CV
and is Z: there is no regular pattern to speak of.

Buckets (a setting; every bucket has the same length, so the CV compares like with like):

* ``month`` — the 12 calendar months of the span (DESIGN's definition);
* ``quarter`` — four blocks of three calendar months counted back from the span's last month
  (they are calendar quarters whenever the span ends at a quarter's end);
* ``week`` — the 52 seven-day periods counted back from the span's last day. The span has
  365 or 366 days, so its first one or two days fall in no week: they count for ABC revenue but
  not for the weekly CV.

Products get the same analysis when the dataset has a ``product`` column: units are products
instead of customers, lines without a product are left out, and the classic inventory cut-offs
apply (:data:`PRODUCT_SETTINGS`: X ≤ 0.1, Y ≤ 0.25).

Why the SQL computes the CV from Σx and Σx² rather than ``stddev_pop``: the zero buckets never
have to be materialised (12–52 rows per customer, millions of customers), and the same pass
over the span's lines yields ABC revenue. One query serves several as-of dates (``anchors``) so
the quarterly trend costs one scan, not four.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

import duckdb
import pandas as pd

from retention.i18n import N_
from retention.metrics.ladder import LadderThresholds, customer_steps
from retention.sql import fetch_frame

ABC_CLASSES = ("A", "B", "C")
XYZ_CLASSES = ("X", "Y", "Z")
CELLS = tuple(a + x for a in ABC_CLASSES for x in XYZ_CLASSES)
# marked for translation: sentences name the bucket with t(bucket)
BUCKETS = (N_("week"), N_("month"), N_("quarter"))
BUCKET_COUNTS = {"week": 52, "month": 12, "quarter": 4}
SPAN_MONTHS = 12
TREND_QUARTERS = 4


@dataclass(frozen=True)
class AbcXyzSettings:
    """The analysis settings, with DESIGN §4's customer defaults.

    ``a_share``/``b_share``: cumulative revenue shares (0–1) that end classes A and B.
    ``x_cv``/``y_cv``: the largest CV of classes X and Y. ``bucket``: one of :data:`BUCKETS`.
    Raises ``ValueError`` with a sentence a user can act on when the values do not fit together.
    """

    a_share: float = 0.80
    b_share: float = 0.95
    x_cv: float = 0.5
    y_cv: float = 1.0
    bucket: str = "month"

    def __post_init__(self) -> None:
        if not 0 < self.a_share < self.b_share <= 1:
            raise ValueError(
                "The A share must be above 0% and below the B share, and the B share at most "
                f"100%; got A {self.a_share:.0%} and B {self.b_share:.0%}."
            )
        if not 0 <= self.x_cv < self.y_cv:
            raise ValueError(
                "The X cut-off must be 0 or more and below the Y cut-off; got X "
                f"{self.x_cv:g} and Y {self.y_cv:g}."
            )
        if self.bucket not in BUCKETS:
            raise ValueError(
                f"The time bucket must be one of {', '.join(BUCKETS)}; got {self.bucket!r}."
            )

    def as_dict(self) -> dict[str, Any]:
        """Plain values, for saving and for cache keys."""
        return asdict(self)

    @classmethod
    def from_dict(
        cls, values: dict[str, Any], defaults: AbcXyzSettings | None = None
    ) -> AbcXyzSettings:
        """Settings from saved values; unknown keys are ignored, and a missing key — or a set
        of values that does not fit together — falls back to ``defaults``."""
        base = defaults or cls()
        known = {f.name for f in fields(cls)}
        try:
            return replace(base, **{k: v for k, v in values.items() if k in known})
        except (TypeError, ValueError):
            return base


PRODUCT_SETTINGS = AbcXyzSettings(x_cv=0.1, y_cv=0.25)


def analysis_span(as_of: dt.date) -> tuple[dt.date, dt.date]:
    """(first day, last day) of the 12 complete calendar months before or at ``as_of``.

    ``analysis_span(date(2026, 10, 31))`` -> (2025-11-01, 2026-10-31);
    ``analysis_span(date(2026, 10, 30))`` -> (2025-10-01, 2026-09-30).
    """
    month_last = calendar.monthrange(as_of.year, as_of.month)[1]
    end = as_of if as_of.day == month_last else as_of.replace(day=1) - dt.timedelta(days=1)
    months = end.year * 12 + end.month - 1 - (SPAN_MONTHS - 1)
    return dt.date(months // 12, months % 12 + 1, 1), end


def quarter_ends(as_of: dt.date, count: int = TREND_QUARTERS) -> list[dt.date]:
    """The last ``count`` calendar quarter-ends on or before ``as_of``, oldest first.

    ``quarter_ends(date(2026, 10, 31))`` -> [2025-12-31, 2026-03-31, 2026-06-30, 2026-09-30].
    """
    month = (as_of.month - 1) // 3 * 3 + 3  # the last month of as_of's quarter
    ends: list[dt.date] = []
    year = as_of.year
    while len(ends) < count:
        end = dt.date(year, month, calendar.monthrange(year, month)[1])
        if end <= as_of:
            ends.append(end)
        month -= 3
        if month < 1:
            month, year = month + 12, year - 1
    return sorted(ends)


def quarter_label(day: dt.date) -> str:
    """``"2026 Q3"`` for any day of the third quarter of 2026."""
    return f"{day.year} Q{(day.month - 1) // 3 + 1}"


# -- SQL ----------------------------------------------------------------------------------------

# The unit of analysis: the column that names it and which lines belong to one. These are fixed
# identifiers chosen from this dict, never user text.
_UNITS = {
    "customer": {"item": "customer_id", "has_item": "true"},
    "product": {"item": "product", "has_item": "product is not null"},
}

def _classified(unit: str) -> str:
    """Lines in each anchor's span, bucketed; per ``unit`` item: span revenue (exact decimal),
    and Σx, Σx² of the bucket sums for the CV; then ranked and classified. Ends in the
    ``cells`` relation: anchor, item, revenue, revenue_before, total (decimals), rank, abc, cv,
    xyz."""
    item, has_item = _UNITS[unit]["item"], _UNITS[unit]["has_item"]
    return f"""
with spans as (
    select
        unnest($anchors::date[]) as anchor,
        unnest($starts::date[]) as span_start,
        unnest($stops::date[]) as span_stop
),
daily as (
    -- one row per item and day first: the join below then handles several anchors cheaply
    select {item} as item, date::date as day, sum(amount) as amount
    from transactions
    where dataset_id = $ds and date >= $first_start and date < $last_stop and {has_item}
    group by {item}, date::date
),
span_days as (
    select s.anchor, s.span_start, s.span_stop, d.item, d.day, d.amount
    from daily d join spans s on d.day >= s.span_start and d.day < s.span_stop
),
bucketed as (
    select anchor, item, amount,
        case $bucket
            when 'month' then date_diff('month', span_start, day)
            when 'quarter' then date_diff('month', span_start, day) // 3
            -- weeks counted back from the span's last day: that day is in week 0
            else (date_diff('day', day, span_stop) - 1) // 7
        end as bucket
    from span_days
),
per_bucket as (
    select anchor, item, bucket, sum(amount) as revenue
    from bucketed
    group by anchor, item, bucket
),
per_item as (
    select
        anchor, item,
        sum(revenue) as revenue,
        sum(revenue::double) filter (where bucket < $buckets) as s,
        sum(revenue::double * revenue::double) filter (where bucket < $buckets) as q
    from per_bucket
    group by anchor, item
),
ranked as (
    select
        anchor, item, revenue, s, q,
        coalesce(sum(revenue) over (
            partition by anchor order by revenue desc, item
            rows between unbounded preceding and 1 preceding), 0) as revenue_before,
        sum(revenue) over (partition by anchor) as total,
        row_number() over (partition by anchor order by revenue desc, item) as rank
    from per_item
    where revenue > 0
),
classified as (
    select
        anchor, item, revenue, revenue_before, total, rank,
        case when revenue_before < $a_share::decimal(18, 6) * total then 'A'
             when revenue_before < $b_share::decimal(18, 6) * total then 'B'
             else 'C' end as abc,
        -- population std / mean of the bucket sums = sqrt(n·Σx² − (Σx)²) / Σx
        case when s > 0 then round(sqrt(greatest($buckets * q - s * s, 0)) / s, 9) end as cv
    from ranked
),
cells as (
    select *,
        case when cv is null then 'Z'
             when cv <= $x_cv then 'X'
             when cv <= $y_cv then 'Y'
             else 'Z' end as xyz
    from classified
)
"""


def _orders_in_span(unit: str, only: str) -> str:
    """Per item: orders in the span. Customers count orders (DESIGN §4: an order is dated by its
    earliest line); products count the distinct orders that have a line of the product in the
    span. ``only`` (one of :data:`_ONLY_SELECTED`, or empty) narrows the items (e.g. to one
    cell's list) so the scan groups only those."""
    if unit == "customer":
        return f"""
orders_in_span as (
    select s.anchor, o.customer_id as item, count(*) as orders
    from orders o join spans s on o.date >= s.span_start and o.date < s.span_stop
    where o.dataset_id = $ds and o.date >= $first_start and o.date < $last_stop {only}
    group by s.anchor, o.customer_id
)"""
    return f"""
orders_in_span as (
    select s.anchor, t.product as item, count(distinct t.order_key) as orders
    from transactions t join spans s on t.date >= s.span_start and t.date < s.span_stop
    where t.dataset_id = $ds and t.date >= $first_start and t.date < $last_stop
      and not t.is_return and t.product is not null {only}
    group by s.anchor, t.product
)"""


def _last_purchase(unit: str, only: str) -> str:
    """Per item: the last purchase (a customer's last order, a product's last sale) up to the
    end of day D, wherever it falls relative to the span; ``only`` as for
    :func:`_orders_in_span`."""
    if unit == "customer":
        return f"""
last_purchase as (
    select customer_id as item, max(date) as last_purchase
    from orders
    where dataset_id = $ds and date < $as_of::date + interval 1 day {only}
    group by customer_id
)"""
    return f"""
last_purchase as (
    select product as item, max(date) as last_purchase
    from transactions
    where dataset_id = $ds and not is_return and product is not null
      and date < $as_of::date + interval 1 day {only}
    group by product
)"""


_ONLY_SELECTED = {
    "customer": "and customer_id in (select item from selected)",
    "product": "and product in (select item from selected)",
}


def _parameters(anchors: list[dt.date], settings: AbcXyzSettings, dataset_id: int
                ) -> dict[str, Any]:
    """The classification's parameters (DuckDB refuses unused ones, so callers add theirs)."""
    spans = [analysis_span(anchor) for anchor in anchors]
    starts = [start for start, _ in spans]
    stops = [end + dt.timedelta(days=1) for _, end in spans]
    return {
        "ds": dataset_id,
        "anchors": anchors,
        "starts": starts,
        "stops": stops,
        # plain bounds let DuckDB skip row groups before joining on the spans
        "first_start": min(starts),
        "last_stop": max(stops),
        "bucket": settings.bucket,
        "buckets": BUCKET_COUNTS[settings.bucket],
        "a_share": settings.a_share,
        "b_share": settings.b_share,
        "x_cv": settings.x_cv,
        "y_cv": settings.y_cv,
    }


def _query(unit: str, body: str) -> str:
    """The classification CTEs for ``unit`` followed by ``body`` (more CTEs and the select)."""
    return f"{_classified(unit)}{body}"


# -- public metrics -----------------------------------------------------------------------------


def has_products(con: duckdb.DuckDBPyConnection, dataset_id: int) -> bool:
    """True when at least one of the dataset's lines names a product (``product`` is mapped)."""
    row = con.execute(
        "select exists (select 1 from transactions where dataset_id = $ds"
        " and product is not null)",
        {"ds": dataset_id},
    ).fetchone()
    return bool(row and row[0])


# The listed items' columns, from a ``final`` relation of classified items with their orders
# and the ``last_purchase`` relation.
_ITEM_COLUMNS = """
select
    f.item, f.rank, f.revenue::double as revenue,
    (f.revenue / f.total)::double as revenue_share,
    (f.revenue_before / f.total)::double as share_before,
    f.abc, f.cv, f.xyz, f.abc || f.xyz as cell, f.orders, l.last_purchase
from final f
left join last_purchase l on l.item = f.item
order by f.rank
"""


def _items(
    con: duckdb.DuckDBPyConnection,
    unit: str,
    dataset_id: int,
    *,
    as_of: dt.date,
    settings: AbcXyzSettings,
    cell: str | None,
    limit: int | None,
) -> pd.DataFrame:
    if cell is not None and cell not in CELLS:
        raise ValueError(f"A cell is one of {', '.join(CELLS)}; got {cell!r}.")
    only = _ONLY_SELECTED[unit]
    body = f""",
selected as (
    select * from cells
    where $cell::text is null or abc || xyz = $cell
    order by rank
    limit $limit::bigint
),{_orders_in_span(unit, only)},{_last_purchase(unit, only)},
final as (
    select c.*, coalesce(o.orders, 0) as orders
    from selected c
    left join orders_in_span o on o.anchor = c.anchor and o.item = c.item
)
{_ITEM_COLUMNS}"""
    params = _parameters([as_of], settings, dataset_id)
    params.update(as_of=as_of, cell=cell, limit=limit)
    frame = fetch_frame(con, _query(unit, body), params)
    return frame.rename(columns={"item": _UNITS[unit]["item"]})


def abc_xyz_customers(
    con: duckdb.DuckDBPyConnection,
    dataset_id: int,
    *,
    as_of: dt.date,
    settings: AbcXyzSettings = AbcXyzSettings(),
    cell: str | None = None,
    limit: int | None = None,
) -> pd.DataFrame:
    """The classified customers (positive net revenue in the span), best first.

    ``cell`` (e.g. ``"AX"``) keeps one cell; ``limit`` keeps the first rows.
    Columns: customer_id, rank (1 = most revenue), revenue (net, in the span), revenue_share,
    share_before, abc, cv (NULL when the bucket mean is not positive), xyz, cell, orders (in the
    span), last_purchase (the last order up to the end of day D, a timestamp).
    """
    return _items(con, "customer", dataset_id, as_of=as_of, settings=settings, cell=cell,
                  limit=limit)


def abc_xyz_customer_cells(
    con: duckdb.DuckDBPyConnection,
    dataset_id: int,
    *,
    as_of: dt.date,
    settings: AbcXyzSettings = AbcXyzSettings(),
) -> pd.DataFrame:
    """Each classified customer's cell and nothing else (customer_id, cell), by customer id:
    :func:`abc_xyz_customers`' classification without its orders and last purchase, which
    scan the orders once more (0.8 s of 2.3 s at 10M lines) for columns an audience does
    not read."""
    params = _parameters([as_of], settings, dataset_id)
    return fetch_frame(con, _query("customer", """
select item as customer_id, abc || xyz as cell
from cells
order by item
"""), params)


def abc_xyz_cell_customers(
    con: duckdb.DuckDBPyConnection,
    dataset_id: int,
    *,
    as_of: dt.date,
    cell: str,
    settings: AbcXyzSettings = AbcXyzSettings(),
    limit: int | None = None,
    ladder: LadderThresholds | None = None,
) -> pd.DataFrame:
    """The customers of one cell with their loyalty-ladder step, best first.

    Columns: those of :func:`abc_xyz_customers`, then step (one of ``vocabulary.STEPS``, from
    :func:`retention.metrics.ladder.customer_steps` as of D with the ``ladder`` thresholds,
    the ladder's defaults when None).
    """
    members = abc_xyz_customers(con, dataset_id, as_of=as_of, settings=settings, cell=cell,
                                limit=limit)
    return with_ladder_steps(con, dataset_id, members, as_of=as_of, ladder=ladder)


def with_ladder_steps(
    con: duckdb.DuckDBPyConnection,
    dataset_id: int,
    members: pd.DataFrame,
    *,
    as_of: dt.date,
    ladder: LadderThresholds | None = None,
) -> pd.DataFrame:
    """``members`` (with a customer_id column) plus their ladder step as of D, in the same
    order; step is NULL for someone without an order (a returns-only customer)."""
    steps = customer_steps(con, dataset_id, as_of=as_of,
                           thresholds=ladder or LadderThresholds(),
                           customer_ids=members["customer_id"].astype(str).tolist())
    return members.merge(steps[["customer_id", "step"]], on="customer_id", how="left")


def product_abc_xyz(
    con: duckdb.DuckDBPyConnection,
    dataset_id: int,
    *,
    as_of: dt.date,
    settings: AbcXyzSettings = PRODUCT_SETTINGS,
    cell: str | None = None,
    limit: int | None = None,
) -> pd.DataFrame:
    """The classified products (positive net revenue in the span), best first; empty when the
    dataset has no product column (check :func:`has_products` to tell it from "no sales").

    Columns: product, rank, revenue, revenue_share, share_before, abc, cv, xyz, cell, orders
    (distinct orders with a line of the product in the span), last_purchase (its last sale up
    to the end of day D).
    """
    return _items(con, "product", dataset_id, as_of=as_of, settings=settings, cell=cell,
                  limit=limit)


@dataclass(frozen=True)
class AbcXyzOverview:
    """The nine cells and the two distributions behind the cut-offs, from one classification.

    ``cells``: nine rows AX … CZ (see :func:`abc_xyz_overview` for the columns).
    ``cv_bins``: bin_start, bin_end, customers (or products), revenue, capped — how many have a
    CV in (bin_start, bin_end] (the first bin also holds 0; the last, marked ``capped``, every
    larger CV).
    ``share_bins``: bin_start, bin_end, customers (or products), revenue — how many have a
    share_before in [bin_start, bin_end).
    ``top``: the first ``top`` customers (or products) of every cell by revenue, with the
    columns of :func:`abc_xyz_customers` (:func:`product_abc_xyz`), ordered by rank.
    """

    cells: pd.DataFrame
    cv_bins: pd.DataFrame
    share_bins: pd.DataFrame
    top: pd.DataFrame


def _create_classified(unit: str) -> str:
    """The per-item classification with orders in the span, kept in a temporary table of the
    caller's cursor (temporary tables are private to a connection) so the cells and both
    histograms are three small queries over it instead of three classifications."""
    return f"""
create or replace temp table abc_xyz_classified as
{_classified(unit).rstrip()},
{_orders_in_span(unit, "").strip()},
final as (
    select c.*, coalesce(o.orders, 0) as orders
    from cells c left join orders_in_span o on o.anchor = c.anchor and o.item = c.item
)
select * from final
"""

_CELLS_FROM_CLASSIFIED = """
with grid as (
    select a.abc, x.xyz, a.abc || x.xyz as cell
    from (select unnest(['A', 'B', 'C']) as abc) a
    cross join (select unnest(['X', 'Y', 'Z']) as xyz) x
),
per_cell as (
    select abc, xyz, count(*) as items, sum(revenue) as revenue, sum(orders)::bigint as orders
    from abc_xyz_classified
    group by abc, xyz
),
final as (
    select
        g.cell, g.abc, g.xyz,
        coalesce(p.items, 0) as items,
        coalesce(p.items / sum(p.items) over (), 0)::double as item_share,
        coalesce(p.revenue, 0)::double as revenue,
        coalesce(p.revenue / sum(p.revenue) over (), 0)::double as revenue_share,
        coalesce(p.orders, 0) as orders,
        (p.revenue / nullif(p.orders, 0))::double as avg_check,
        (p.orders / p.items)::double as avg_orders
    from grid g left join per_cell p on p.abc = g.abc and p.xyz = g.xyz
)
select * from final order by cell
"""

_CV_BINS_FROM_CLASSIFIED = """
with binned as (
    -- bins are (start, end] like the cut-offs (X is CV ≤ 0.5); rounding keeps 0.5 / 0.05 at 10
    select least(greatest(ceil(round(cv / $width, 6)) - 1, 0), $bins - 1)::integer as bin,
           revenue
    from abc_xyz_classified
    where cv is not null
),
final as (
    select
        bin * $width as bin_start, (bin + 1) * $width as bin_end,
        count(*) as items, sum(revenue)::double as revenue, bin = $bins - 1 as capped
    from binned group by bin
)
select * from final order by bin_start
"""

_SHARE_BINS_FROM_CLASSIFIED = """
with binned as (
    -- bins are [start, end) like the cut-offs (A is share_before < 0.80)
    select least(floor(round((revenue_before / total)::double * $bins, 6)), $bins - 1)::integer
               as bin,
           revenue
    from abc_xyz_classified
),
final as (
    select bin / $bins as bin_start, (bin + 1) / $bins as bin_end,
           count(*) as items, sum(revenue)::double as revenue
    from binned group by bin
)
select * from final order by bin_start
"""


def _top_from_classified(unit: str) -> str:
    """The first $top items of every cell, with their last purchase (looked up for those
    only)."""
    return f"""
with selected as (
    select * from abc_xyz_classified
    qualify row_number() over (partition by abc, xyz order by rank) <= $top
),
{_last_purchase(unit, _ONLY_SELECTED[unit]).strip()},
final as (select * from selected)
{_ITEM_COLUMNS}"""


def _check_unit(unit: str) -> None:
    if unit not in _UNITS:
        raise ValueError(f"The unit is 'customer' or 'product'; got {unit!r}.")


def _plural(unit: str) -> str:
    return "customers" if unit == "customer" else "products"


def abc_xyz_overview(
    con: duckdb.DuckDBPyConnection,
    dataset_id: int,
    *,
    as_of: dt.date,
    settings: AbcXyzSettings = AbcXyzSettings(),
    unit: str = "customer",
    cv_bin_width: float = 0.05,
    share_bins: int = 100,
    top: int = 0,
) -> AbcXyzOverview:
    """Classify the customers (or, with ``unit="product"``, the products) once and return the
    nine cells with the CV and revenue-share distributions.

    ``cells`` columns: cell, abc, xyz, customers (or products), customer_share (or
    product_share: of all classified), revenue (net, in the span), revenue_share, orders (in the
    span; for products, orders with a line of the product), avg_check (revenue / orders; NULL
    without orders), avg_orders (orders per customer or product; NULL for an empty cell).
    Always nine rows in AX … CZ order, empty cells holding zeros.

    CV bins are ``cv_bin_width`` wide, up to the largest CV possible without returns,
    √(buckets − 1) (a customer who bought in one bucket only); share bins are ``share_bins``
    equal parts of 0–1. Only bins with someone in them are returned. ``top`` lists the first
    ``top`` of every cell (none when 0).
    """
    _check_unit(unit)
    if cv_bin_width <= 0 or share_bins < 1:
        raise ValueError("Histogram bins must be wider than 0 and at least one in number.")
    names = _UNITS[unit]
    cv_bins = math.ceil(math.sqrt(BUCKET_COUNTS[settings.bucket] - 1) / cv_bin_width)
    con.execute(_create_classified(unit), _parameters([as_of], settings, dataset_id))
    try:
        cells = con.execute(_CELLS_FROM_CLASSIFIED).fetchdf()
        cv = con.execute(_CV_BINS_FROM_CLASSIFIED,
                         {"width": float(cv_bin_width), "bins": cv_bins}).fetchdf()
        share = con.execute(_SHARE_BINS_FROM_CLASSIFIED, {"bins": int(share_bins)}).fetchdf()
        first = con.execute(
            _top_from_classified(unit),
            {"ds": dataset_id, "as_of": as_of, "top": int(top)},
        ).fetchdf()
    finally:
        con.execute("drop table if exists abc_xyz_classified")
    plural = _plural(unit)
    return AbcXyzOverview(
        cells=cells.rename(columns={"items": plural, "item_share": f"{unit}_share"}),
        cv_bins=cv.rename(columns={"items": plural}),
        share_bins=share.rename(columns={"items": plural}),
        top=first.rename(columns={"item": names["item"]}),
    )


def abc_xyz_cells(
    con: duckdb.DuckDBPyConnection,
    dataset_id: int,
    *,
    as_of: dt.date,
    settings: AbcXyzSettings = AbcXyzSettings(),
) -> pd.DataFrame:
    """The customers' nine cells (the ``cells`` of :func:`abc_xyz_overview`)."""
    return abc_xyz_overview(con, dataset_id, as_of=as_of, settings=settings).cells


def abc_xyz_counts(
    con: duckdb.DuckDBPyConnection,
    dataset_id: int,
    *,
    as_of: dt.date,
    settings: AbcXyzSettings = AbcXyzSettings(),
) -> dict[str, int]:
    """Customers per cell as a plain dict with all nine keys, AX first (the ``abc_xyz`` of
    the summary command)."""
    cells = abc_xyz_cells(con, dataset_id, as_of=as_of, settings=settings)
    return {str(cell): int(n) for cell, n in zip(cells["cell"], cells["customers"], strict=True)}


_TREND = """,
grid as (
    select a.anchor, g.cell
    from (select unnest($anchors::date[]) as anchor) a
    cross join (select unnest($cells::text[]) as cell) g
),
per_cell as (
    select anchor, abc || xyz as cell, count(*) as customers
    from cells
    group by anchor, abc, xyz
),
final as (
    select
        g.anchor as quarter_end, g.cell,
        coalesce(p.customers, 0) as customers,
        coalesce(p.customers / sum(p.customers) over (partition by g.anchor), 0)::double
            as customer_share
    from grid g left join per_cell p on p.anchor = g.anchor and p.cell = g.cell
)
select * from final order by quarter_end, cell
"""


def abc_xyz_trend(
    con: duckdb.DuckDBPyConnection,
    dataset_id: int,
    *,
    as_of: dt.date,
    settings: AbcXyzSettings = AbcXyzSettings(),
    quarters: int = TREND_QUARTERS,
) -> pd.DataFrame:
    """The nine cells' sizes at the last ``quarters`` quarter-ends on or before D, each one
    classified over the 12 complete months ending at that quarter-end.

    Columns: quarter_end (date), period ("2026 Q3"), cell, customers, customer_share (of that
    quarter-end's classified customers; 0 when there are none). Rows: quarters × 9, oldest
    first, cells in AX … CZ order.
    """
    anchors = quarter_ends(as_of, quarters)
    params = _parameters(anchors, settings, dataset_id)
    params["cells"] = list(CELLS)
    frame = con.execute(_query("customer", _TREND), params).fetchdf()
    frame["quarter_end"] = [_as_date(value) for value in frame["quarter_end"]]
    frame.insert(1, "period", [quarter_label(day) for day in frame["quarter_end"]])
    return frame


def _as_date(value: Any) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else pd.Timestamp(value).date()
