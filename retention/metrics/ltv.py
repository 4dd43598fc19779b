"""Lifetime value LTV = S × C × P × T over the trailing year — DESIGN §4, exactly.

For an anchor day A (the as-of date D for "LTV today"), the year L = (A − 365 days, A], that is
the 365 days A − 364 … A:

* S ``avg_check`` = net revenue in L / orders in L (returns netted; an order counts on its date);
* C ``purchases_per_month`` = orders in L / Σ over the month-ends e inside L of |active(e)| —
  orders per active customer per month;
* P ``margin`` = (net revenue − cost) / net revenue over L when the dataset has a ``cost``
  column with values in L, otherwise the ``default_margin`` setting (30% unless changed).
  Lines without a cost are left out of both sums: the margin is measured on the lines whose
  cost is known and assumed for the rest (``cost_coverage`` says what share of net revenue had
  a cost). A return's cost counts with the return's sign — the goods come back — whichever sign
  the file used;
* T ``lifetime_months`` = 1 / (1 − r) months, r = the mean strict retention (a share of 1) of the
  calendar months whose last day lies inside L (months where S = 0 have none and are skipped),
  capped at ``MAX_LIFETIME_MONTHS`` (120); unknown when no month has a retention;
* LTV = S × C × P × T, in the dataset's currency per customer.

The trend repeats this at each of the last 24 month-ends up to D. Month-level activity comes
from :func:`retention.metrics.retention_rate.crr_by_period` (pass its monthly frame in to avoid
computing it twice); money and orders are summed by day, so L's boundaries are exact.

**LTV for a segment** (``ltv_by_segment``): the same four factors measured on the segment's
customers only — their orders, net revenue and cost in L, their activity at the month-ends in L
and their own month-to-month strict retention. Customers belong to one segment each: their
ladder step at D, the channel and the category of their first purchase line (the earliest
line; the lowest line number of the file breaks ties; lines without a value are skipped), or
the city on their customer record. A segment's LTV reads "what a customer of this group is
worth at the group's own spending, frequency, margin and retention". Ladder steps are defined
by last year's orders, so their frequency and retention are high by construction: compare
steps to see what moving a customer up is worth, not as a forecast for today's members.
"""

from __future__ import annotations

import datetime as dt
import math

import duckdb
import pandas as pd
import pyarrow as pa

from retention import provenance
from retention.cells import optional_float
from retention.metrics.cohorts import cohort_matrix
from retention.metrics.ladder import LadderThresholds, customer_steps
from retention.metrics.retention_rate import crr_by_period
from retention.sql import as_dates
from retention.vocabulary import STEPS

DEFAULT_MARGIN = 0.30
MAX_LIFETIME_MONTHS = 120
TREND_MONTH_ENDS = 24
SEGMENT_DIMENSIONS = ("step", "channel", "city", "category")

FACTOR_COLUMNS = (
    "net_revenue", "orders", "active_customer_months", "month_ends", "avg_check",
    "purchases_per_month", "margin", "margin_source", "cost_coverage", "retention",
    "retention_months", "lifetime_months", "lifetime_capped", "ltv",
)
LTV_COLUMNS = ("anchor", "window_start", "full_year", *FACTOR_COLUMNS)
SEGMENT_COLUMNS = ("segment", "is_total", "customers", "active_customers", *FACTOR_COLUMNS)
CURVE_COLUMNS = (
    "cohort_quarter", "quarter_start", "months_since", "customers",
    "revenue_per_customer", "margin_per_customer",
)

# The factor arithmetic shared by the overall and the segment queries. It reads a relation
# ``parts`` with net_revenue, costed_revenue, cost, orders, active_customer_months,
# month_ends, retention and retention_months; $default_margin and $max_lifetime are parameters.
_FACTORS_SQL = """
factors as (
    select
        *,
        net_revenue / nullif(orders, 0) as avg_check,
        orders / nullif(active_customer_months, 0) as purchases_per_month,
        case when costed_revenue > 0 then (costed_revenue - cost) / costed_revenue
             else $default_margin end as margin,
        case when costed_revenue > 0 then 'cost' else 'setting' end as margin_source,
        costed_revenue / nullif(net_revenue, 0) as cost_coverage,
        case when retention is null then null
             when retention >= 1 - 1 / $max_lifetime then $max_lifetime
             else 1 / (1 - retention) end as lifetime_months,
        coalesce(retention >= 1 - 1 / $max_lifetime, false) as lifetime_capped
    from parts
),
with_ltv as (
    select *, avg_check * purchases_per_month * margin * lifetime_months as ltv from factors
)
"""

_LTV_SQL = f"""
with anchors as (
    select unnest($anchors::date[]) as anchor
),
windows as (
    select anchor, (anchor - 364)::date as window_start from anchors
),
lines_in_range as (
    select date::date as day, amount, cost
    from transactions
    where dataset_id = $ds and date >= $earliest::date
      and date < $as_of::date + interval 1 day
),
daily_money as (
    select
        day,
        sum(amount)::double as net_revenue,
        (sum(amount) filter (where cost is not null))::double as costed_revenue,
        sum(case when amount < 0 then -abs(cost) else abs(cost) end)::double as cost
    from lines_in_range
    group by day
),
daily_orders as (
    select date::date as day, count(*) as orders
    from orders
    where dataset_id = $ds and date >= $earliest::date
      and date < $as_of::date + interval 1 day
    group by day
),
first_order as (
    select min(date)::date as first_day from orders
    where dataset_id = $ds and date < $as_of::date + interval 1 day
),
complete_months as (
    select period_end::date as period_end, start_customers, end_customers, retained
    from ltv_monthly_retention
    where not in_progress
),
money as (
    select w.anchor, coalesce(sum(m.net_revenue), 0) as net_revenue,
           sum(m.costed_revenue) as costed_revenue, sum(m.cost) as cost
    from windows w
    left join daily_money m on m.day between w.window_start and w.anchor
    group by w.anchor
),
order_counts as (
    select w.anchor, coalesce(sum(o.orders), 0) as orders
    from windows w
    left join daily_orders o on o.day between w.window_start and w.anchor
    group by w.anchor
),
activity as (
    select
        w.anchor,
        count(c.period_end) as month_ends,
        coalesce(sum(c.end_customers), 0) as active_customer_months,
        avg(c.retained / nullif(c.start_customers, 0)) as retention,
        count(c.retained / nullif(c.start_customers, 0)) as retention_months
    from windows w
    left join complete_months c on c.period_end between w.window_start and w.anchor
    group by w.anchor
),
parts as (
    select w.anchor, w.window_start,
           coalesce(f.first_day <= w.window_start, false) as full_year,
           m.net_revenue, m.costed_revenue, m.cost, o.orders,
           a.active_customer_months, a.month_ends, a.retention, a.retention_months
    from windows w
    join money m using (anchor)
    join order_counts o using (anchor)
    join activity a using (anchor)
    cross join first_order f
    where w.anchor >= f.first_day
),
{_FACTORS_SQL},
final as (
    select * exclude (costed_revenue, cost) from with_ltv
)
select * from final order by anchor
"""


def _monthly_frame(
    con: duckdb.DuckDBPyConnection, dataset_id: int, as_of: dt.date, window_days: int,
    monthly: pd.DataFrame | None,
) -> pd.DataFrame:
    monthly = provenance.given_or_computed(
        monthly, crr_by_period, con, used_by="ltv_at", argument="monthly",
        dataset_id=dataset_id, as_of=as_of, window_days=window_days, period="month")
    frame = monthly[["period_end", "in_progress", "start_customers", "end_customers",
                     "retained"]].copy()
    frame["period_end"] = pd.to_datetime(frame["period_end"])
    return frame


def ltv_at(
    con: duckdb.DuckDBPyConnection,
    dataset_id: int,
    *,
    as_of: dt.date,
    window_days: int,
    anchors: list[dt.date],
    default_margin: float = DEFAULT_MARGIN,
    monthly: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """LTV and its four factors at each anchor day (≤ ``as_of``), over (anchor − 365, anchor].

    ``monthly`` is ``crr_by_period(..., period="month")`` at the same as-of date and window,
    when the caller already has it (ValueError when it was computed for others). Anchors before
    the first order are dropped.

    Columns: anchor, window_start (anchor − 364 days, the first day of L), full_year (the data
    starts on or before window_start), net_revenue, orders, active_customer_months (Σ active
    customers at the month-ends in L), month_ends (how many), avg_check (S),
    purchases_per_month (C), margin (P, a share of 1), margin_source ('cost' or 'setting'),
    cost_coverage (share of net revenue whose lines have a cost; NULL without cost data),
    retention (r, a share of 1), retention_months (months averaged), lifetime_months (T),
    lifetime_capped (T hit the 120-month cap), ltv. A factor that cannot be computed is NULL,
    and so is the LTV.
    """
    if not anchors:
        return pd.DataFrame(columns=list(LTV_COLUMNS))
    if any(anchor > as_of for anchor in anchors):
        raise ValueError("LTV anchors must be on or before the as-of date.")
    if not 0 <= default_margin <= 1:
        raise ValueError("The margin must be between 0 and 1 (0% to 100%).")
    monthly_frame = _monthly_frame(con, dataset_id, as_of, window_days, monthly)
    con.register("ltv_monthly_retention", monthly_frame)
    try:
        frame = con.execute(
            _LTV_SQL,
            {
                "ds": dataset_id,
                "as_of": as_of,
                "anchors": sorted(set(anchors)),
                "earliest": min(anchors) - dt.timedelta(days=364),
                "default_margin": float(default_margin),
                "max_lifetime": float(MAX_LIFETIME_MONTHS),
            },
        ).fetchdf()
    finally:
        con.unregister("ltv_monthly_retention")
    return as_dates(frame, ("anchor", "window_start"))[list(LTV_COLUMNS)]


def ltv_today(
    con: duckdb.DuckDBPyConnection, dataset_id: int, *, as_of: dt.date, window_days: int,
    default_margin: float = DEFAULT_MARGIN, monthly: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """LTV at ``as_of`` itself: one row with :func:`ltv_at`'s columns (none without orders)."""
    return ltv_at(con, dataset_id, as_of=as_of, window_days=window_days, anchors=[as_of],
                  default_margin=default_margin, monthly=monthly)


def trend_anchors(as_of: dt.date, count: int = TREND_MONTH_ENDS) -> list[dt.date]:
    """The last ``count`` month-ends on or before ``as_of``, oldest first."""
    first_of_next = (as_of + dt.timedelta(days=1)).replace(day=1)
    ends = []
    month_start = first_of_next
    for _ in range(count):
        end = month_start - dt.timedelta(days=1)
        ends.append(end)
        month_start = end.replace(day=1)
    return ends[::-1]


def ltv_trend(
    con: duckdb.DuckDBPyConnection, dataset_id: int, *, as_of: dt.date, window_days: int,
    default_margin: float = DEFAULT_MARGIN, monthly: pd.DataFrame | None = None,
    month_ends: int = TREND_MONTH_ENDS,
) -> pd.DataFrame:
    """LTV at each of the last ``month_ends`` month-ends on or before ``as_of`` (those after the
    first order), oldest first, with :func:`ltv_at`'s columns."""
    return ltv_at(con, dataset_id, as_of=as_of, window_days=window_days,
                  anchors=trend_anchors(as_of, month_ends), default_margin=default_margin,
                  monthly=monthly)


# -- realised value curves -------------------------------------------------------------------

_CURVES_SQL = """
with cells as (
    select cohort::date as cohort, months_since, cohort_customers, net_revenue
    from ltv_cohort_cells
),
quarter_cells as (
    select
        date_trunc('quarter', cohort)::date as quarter_start,
        months_since,
        sum(net_revenue) as net_revenue
    from cells
    group by all
),
quarter_sizes as (
    select date_trunc('quarter', cohort)::date as quarter_start,
           sum(cohort_customers) as customers
    from cells where months_since = 0
    group by all
),
observable as (
    -- every customer of the quarter is k months past the first order only once the quarter's
    -- last month plus k months has ended
    select q.*, s.customers
    from quarter_cells q
    join quarter_sizes s using (quarter_start)
    where q.quarter_start + to_months((q.months_since + 3)::integer) - interval 1 day
          <= $as_of::date
),
final as (
    select
        year(quarter_start) || '-Q' || quarter(quarter_start) as cohort_quarter,
        quarter_start,
        months_since,
        customers,
        sum(net_revenue) over (partition by quarter_start order by months_since)
            / customers as revenue_per_customer,
        sum(net_revenue) over (partition by quarter_start order by months_since)
            / customers * $margin as margin_per_customer
    from observable
)
select * from final order by quarter_start, months_since
"""


def value_curves(
    con: duckdb.DuckDBPyConnection,
    dataset_id: int,
    *,
    as_of: dt.date,
    margin: float,
    cohorts: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Realised value: cumulative net revenue per customer by months since the first order,
    one curve per acquisition quarter (customers whose first order is in that quarter).

    ``cohorts`` is :func:`retention.metrics.cohorts.cohort_matrix` at the same as-of date, when
    the caller already has it (ValueError when it was computed for others). A point
    (quarter, k) is shown only when every customer of the quarter has had k full months since
    acquisition by ``as_of``, so a quarter still acquiring customers has no curve yet.

    Columns: cohort_quarter ("2025-Q1"), quarter_start (date), months_since, customers,
    revenue_per_customer (cumulative net revenue up to and including that month, per
    customer), margin_per_customer (the same × ``margin``).
    """
    cohorts = provenance.given_or_computed(cohorts, cohort_matrix, con, used_by="value_curves",
                                           argument="cohorts", dataset_id=dataset_id, as_of=as_of)
    cells = cohorts[["cohort", "months_since", "cohort_customers", "net_revenue"]].copy()
    cells["cohort"] = pd.to_datetime(cells["cohort"])
    con.register("ltv_cohort_cells", cells)
    try:
        frame = con.execute(_CURVES_SQL, {"as_of": as_of, "margin": float(margin)}).fetchdf()
    finally:
        con.unregister("ltv_cohort_cells")
    return as_dates(frame, ("quarter_start",))[list(CURVE_COLUMNS)]


# -- LTV by segment ----------------------------------------------------------------------------

def _first_line_value(column: str) -> str:
    """(customer_id, segment): each customer's ``column`` on their first purchase line. The
    first line is found with one hugeint key (microseconds × 2^32 + line number): the same
    order as (date, line), at half the cost of comparing structs."""
    return f"""
        select customer_id,
               arg_min({column}, epoch_us(date)::hugeint * 4294967296 + line) as segment
        from transactions
        where dataset_id = $ds and not is_return and date < $as_of::date + interval 1 day
        group by customer_id
    """


# Fixed SQL per dimension (never user text): (customer_id, segment) for the customers that
# have a segment value; everyone else falls into the NULL segment through a left join.
_SEGMENT_MAPS = {
    "step": """
        select customer_id, step as segment from ltv_customer_steps
    """,
    "city": """
        select customer_id, city as segment
        from customers
        where dataset_id = $ds and city is not null
    """,
    "channel": _first_line_value("channel"),
    "category": _first_line_value("category"),
}


def _segment_sql(dimension: str) -> str:
    """The segment query for ``dimension``: its segment map, then the shared factors."""
    return f"""
with segment_map as (
    {_SEGMENT_MAPS[dimension]}
),
month_ends as (
    -- e_1 … e_n: the month-ends inside L = (D − 365, D]; e_0: the month-end before e_1
    select i, (date_trunc('month', $as_of::date + 1) - to_months((12 - i)::integer)
               - interval 1 day)::date as month_end
    from range(0, 13) r(i)
),
in_year as (
    select i, month_end from month_ends
    where month_end >= $as_of::date - 364
       or i = (select min(i) - 1 from month_ends where month_end >= $as_of::date - 364)
),
frame as (
    select max(i) - min(i) as last_bit, min(month_end) as first_end, max(month_end) as last_end
    from in_year
),
orders_to_date as (
    select o.customer_id, o.date::date as day, f.*
    from orders o, frame f
    where o.dataset_id = $ds and o.date < $as_of::date + interval 1 day
),
customer_facts as (
    -- one pass over the orders: each buyer's last order, orders in L, and a bit per month-end
    -- e_0 … e_n at which they were active (an order on day d covers d … d + W − 1)
    select
        customer_id,
        max(day) as last_day,
        count(*) filter (where day >= $as_of::date - 364) as orders_in_year,
        bit_or(case
            when day < first_end - ($window::integer - 1) or day > last_end then 0::bigint
            else (1::bigint << (least(date_diff('month', first_end, day + $window::integer) - 1,
                                      last_bit) + 1)::integer)
                 - (1::bigint << greatest(date_diff('month', first_end, day), 0)::integer)
        end) as mask
    from orders_to_date
    group by customer_id
),
customer_groups as (
    -- buyers folded into (segment, mask, active at D): a few thousand rows
    select
        s.segment, f.mask,
        f.last_day > $as_of::date - $window::integer as active_at_as_of,
        count(*) as customers,
        sum(f.orders_in_year) as orders
    from customer_facts f
    left join segment_map s using (customer_id)
    group by all
),
positions as (
    select p as bit from frame f, range(1, f.last_bit + 1) r(p)
),
month_counts as (
    select
        grouping(g.segment) = 1 as is_total, g.segment, p.bit,
        coalesce(sum(g.customers) filter (where (g.mask >> (p.bit - 1)) & 1 = 1), 0) as s,
        coalesce(sum(g.customers) filter (where (g.mask >> p.bit) & 1 = 1), 0) as e,
        coalesce(sum(g.customers) filter (where (g.mask >> (p.bit - 1)) & 1 = 1
                                          and (g.mask >> p.bit) & 1 = 1), 0) as retained
    from customer_groups g cross join positions p
    group by grouping sets ((g.segment, p.bit), (p.bit))
),
activity as (
    select is_total, segment,
           count(*) as month_ends,
           sum(e) as active_customer_months,
           avg(retained / nullif(s, 0)) as retention,
           count(retained / nullif(s, 0)) as retention_months
    from month_counts
    group by all
),
people as (
    select grouping(segment) = 1 as is_total, segment,
           sum(customers) as customers,
           coalesce(sum(customers) filter (where active_at_as_of), 0) as active_customers,
           sum(orders) as orders
    from customer_groups
    group by grouping sets ((segment), ())
),
money as (
    select grouping(s.segment) = 1 as is_total, s.segment,
           sum(t.amount)::double as net_revenue,
           (sum(t.amount) filter (where t.cost is not null))::double as costed_revenue,
           sum(case when t.amount < 0 then -abs(t.cost) else abs(t.cost) end)::double as cost
    from transactions t
    left join segment_map s using (customer_id)
    where t.dataset_id = $ds and t.date >= $as_of::date - 364
      and t.date < $as_of::date + interval 1 day
    group by grouping sets ((s.segment), ())
),
parts as (
    select
        p.is_total, p.segment, p.customers, p.active_customers,
        coalesce(m.net_revenue, 0) as net_revenue, m.costed_revenue, m.cost,
        p.orders,
        coalesce(a.active_customer_months, 0) as active_customer_months,
        coalesce(a.month_ends, (select count(*) from positions)) as month_ends,
        a.retention, coalesce(a.retention_months, 0) as retention_months
    from people p
    left join money m
        on m.is_total = p.is_total and m.segment is not distinct from p.segment
    left join activity a
        on a.is_total = p.is_total and a.segment is not distinct from p.segment
),
{_FACTORS_SQL},
final as (
    select * exclude (costed_revenue, cost) from with_ltv
)
select * from final order by is_total, customers desc, segment
"""


def segment_dimensions(con: duckdb.DuckDBPyConnection, dataset_id: int) -> list[str]:
    """The segment dimensions this dataset supports, in ``SEGMENT_DIMENSIONS`` order: always
    'step'; 'channel', 'city' and 'category' when the data has at least one value for them."""
    row = con.execute(
        """
        select
            exists (select 1 from transactions
                    where dataset_id = $ds and channel is not null) as channel,
            exists (select 1 from customers
                    where dataset_id = $ds and city is not null) as city,
            exists (select 1 from transactions
                    where dataset_id = $ds and category is not null) as category
        """,
        {"ds": dataset_id},
    ).fetchone()
    known = {"step": True, "channel": bool(row[0]), "city": bool(row[1]),
             "category": bool(row[2])} if row else {"step": True}
    return [dimension for dimension in SEGMENT_DIMENSIONS if known.get(dimension)]


def ltv_by_segment(
    con: duckdb.DuckDBPyConnection, dataset_id: int, *, as_of: dt.date, window_days: int,
    dimension: str = "step", default_margin: float = DEFAULT_MARGIN,
    thresholds: LadderThresholds | None = None,
) -> pd.DataFrame:
    """LTV and its factors per segment of ``dimension`` (see the module docstring for what a
    segment's LTV means), plus one total row equal to :func:`ltv_today`.

    Columns: segment (the step, channel, city or category; NULL for customers without a value,
    and on the total row), is_total, customers (customers with an order up to ``as_of``),
    active_customers (active at ``as_of``), then :data:`FACTOR_COLUMNS` as in :func:`ltv_at`.
    ``thresholds`` are the ladder settings for ``dimension='step'`` (default: DESIGN's).
    Segments are ordered by customers (ladder steps in ladder order), the total row last.
    """
    if dimension not in SEGMENT_DIMENSIONS:
        raise ValueError(
            f"dimension must be one of {', '.join(SEGMENT_DIMENSIONS)}; got {dimension!r}.")
    if window_days < 1:
        raise ValueError("The activity window must be at least 1 day.")
    sql = _segment_sql(dimension)
    params = {
        "ds": dataset_id,
        "as_of": as_of,
        "window": int(window_days),
        "default_margin": float(default_margin),
        "max_lifetime": float(MAX_LIFETIME_MONTHS),
    }
    if dimension == "step":
        steps = customer_steps(con, dataset_id, as_of=as_of,
                               thresholds=thresholds or LadderThresholds())
        pairs = steps[["customer_id", "step"]]
        pairs.attrs = {}  # the provenance stamp is no Arrow metadata (dates are not JSON)
        # an Arrow table, not the DataFrame: DuckDB scans it without converting strings
        con.register("ltv_customer_steps", pa.Table.from_pandas(pairs, preserve_index=False))
        try:
            frame = con.execute(sql, params).fetchdf()
        finally:
            con.unregister("ltv_customer_steps")
        order = {step: i for i, step in enumerate(STEPS)}
        frame = frame.sort_values(
            ["is_total", "segment"], key=lambda s: s.map(order) if s.name == "segment" else s
        ).reset_index(drop=True)
    else:
        frame = con.execute(sql, params).fetchdf()
    return frame[list(SEGMENT_COLUMNS)]


# -- what-if -----------------------------------------------------------------------------------

WHAT_IF_FACTORS = ("avg_check", "purchases_per_month", "margin", "retention", "lifetime_months")


def what_if_ltv(
    factors: dict[str, float | None], factor: str, change_percent: float
) -> dict[str, float | None]:
    """LTV after raising one lever by ``change_percent`` % (negative lowers it), the others
    unchanged.

    ``factors`` holds avg_check, purchases_per_month, margin, retention and lifetime_months (a
    row of :func:`ltv_today`). S, C and T scale the LTV in proportion; the margin is capped at
    100%; retention r moves T = 1 / (1 − r) — so +5% retention can add far more than 5% LTV —
    capped at 120 months like T itself. Returns the five factors after the change and ``ltv``
    (None when a factor is unknown).
    """
    if factor not in WHAT_IF_FACTORS:
        raise ValueError(f"factor must be one of {', '.join(WHAT_IF_FACTORS)}; got {factor!r}.")
    new = {name: optional_float(factors.get(name)) for name in WHAT_IF_FACTORS}
    scale = 1 + change_percent / 100
    changed = new[factor]
    if changed is not None:
        new[factor] = changed * scale
    if factor == "margin" and new["margin"] is not None:
        new["margin"] = min(new["margin"], 1.0)
    if factor == "retention" and new["retention"] is not None:
        r = max(new["retention"], 0.0)
        new["retention"] = min(r, 1.0)
        new["lifetime_months"] = (float(MAX_LIFETIME_MONTHS)
                                  if r >= 1 - 1 / MAX_LIFETIME_MONTHS else 1 / (1 - r))
    if factor == "lifetime_months" and new["lifetime_months"] is not None:
        new["lifetime_months"] = min(new["lifetime_months"], float(MAX_LIFETIME_MONTHS))
    parts = [new["avg_check"], new["purchases_per_month"], new["margin"], new["lifetime_months"]]
    known = [part for part in parts if part is not None]
    ltv = math.prod(known) if len(known) == len(parts) else None
    return {**new, "ltv": ltv}
