"""What each customer looks like on the as-of date D: the inputs of the customer portraits.

One row per buyer (a customer with at least one order up to D, like the ladder's buyers), with
behaviour computed in DuckDB and the optional attributes the dataset has mapped. Definitions,
all as of the end of day D (rows after it are ignored):

* ``recency_days``: calendar days from the last order's day to D (an order on D → 0).
* ``orders``: orders to date (returns are not orders).
* ``net_revenue``: the sum of every line's amount, returns netted (DESIGN §4).
* ``avg_check``: net_revenue / orders — DESIGN's average check S, per customer. Returns larger
  than the purchases make it negative; the model copes (a signed log), nothing is dropped.
* ``tenure_days``: calendar days from the first order's day to D.
* ``mean_days_between_orders``: (last order's day − first order's day) / (orders − 1): the mean
  of the gaps between consecutive orders, in calendar days. NA for a one-order customer — there
  is no gap to measure yet (the portrait model imputes it and adds a "no repeat yet" flag).
* ``return_rate``: returned value / gross purchase value, where gross is the sum of the
  non-return lines and returned is minus the sum of the return lines. 0 without returns, capped
  at 1 (a return of goods bought before the data starts can exceed what was bought since).
  By value rather than by lines because one returned coat matters more than three socks.
* ``age``: whole years on D from ``birth_date``; else the file's ``age`` column as loaded; NA
  outside 0–120 or when neither is known.
* ``gender``, ``city``: from the customers table, as loaded.
* ``channel``: the channel of most of the customer's purchase lines (ties: the alphabetically
  first). ``top_category``: the category with the highest purchase value (ties: the first).

Why a separate attribute check (:func:`optional_attributes`): the page must say "not in this
data — map column X" for an attribute nobody has, rather than offer a column of blanks.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

from retention import provenance
from retention.metrics import customer_summary
from retention.sql import fetch_frame

NUMERIC_FEATURES = (
    "recency_days", "orders", "avg_check", "net_revenue", "tenure_days",
    "mean_days_between_orders", "return_rate",
)
# Optional attributes: the feature, then the canonical column(s) that feed it.
ATTRIBUTE_SOURCES: dict[str, tuple[str, ...]] = {
    "age": ("birth_date", "age"),
    "gender": ("gender",),
    "city": ("city",),
    "channel": ("channel",),
    "top_category": ("category",),
}
CATEGORICAL_FEATURES = ("gender", "city", "channel", "top_category")
FEATURE_COLUMNS = ("customer_id", *NUMERIC_FEATURES, "age", *CATEGORICAL_FEATURES)
MAX_AGE = 120

_FEATURES = """
    with lines as (
        select customer_id, amount, is_return, channel, category
        from transactions
        where dataset_id = $ds and date < $as_of::date + interval 1 day
    ),
    orders_to_date as (
        select customer_id, date
        from orders
        where dataset_id = $ds and date < $as_of::date + interval 1 day
    ),
    attributes as (
        select customer_id, gender, city, birth_date, age
        from customers
        where dataset_id = $ds
    ),
    order_stats as (
        select
            customer_id,
            count(*) as orders,
            min(date)::date as first_day,
            max(date)::date as last_day
        from orders_to_date
        group by customer_id
    ),
    money as (
        select
            customer_id,
            sum(amount) as net_revenue,
            coalesce(sum(amount) filter (where not is_return), 0) as gross_value,
            coalesce(-sum(amount) filter (where is_return), 0) as returned_value
        from lines
        group by customer_id
    ),
    channel_lines as (
        select customer_id, channel, count(*) as purchase_lines
        from lines
        where not is_return and channel is not null
        group by all
    ),
    top_channel as (
        select customer_id, first(channel order by purchase_lines desc, channel) as channel
        from channel_lines
        group by customer_id
    ),
    category_value as (
        select customer_id, category, sum(amount) as purchase_value
        from lines
        where not is_return and category is not null
        group by all
    ),
    top_category as (
        select
            customer_id,
            first(category order by purchase_value desc, category) as top_category
        from category_value
        group by customer_id
    ),
    ages as (
        select
            customer_id,
            coalesce(
                year($as_of::date) - year(birth_date)
                    -- not yet had this year's birthday on D: one year younger
                    - (month(birth_date) * 100 + day(birth_date)
                       > month($as_of::date) * 100 + day($as_of::date))::integer,
                age
            ) as age
        from attributes
    ),
    final as (
        select
            o.customer_id,
            date_diff('day', o.last_day, $as_of::date) as recency_days,
            o.orders,
            (m.net_revenue / o.orders)::double as avg_check,
            m.net_revenue::double as net_revenue,
            date_diff('day', o.first_day, $as_of::date) as tenure_days,
            case when o.orders > 1
                 then date_diff('day', o.first_day, o.last_day) / (o.orders - 1)
            end::double as mean_days_between_orders,
            case when m.gross_value > 0
                 then least(m.returned_value / m.gross_value, 1)
                 else 0 end::double as return_rate,
            case when g.age between 0 and $max_age then g.age end as age,
            a.gender,
            a.city,
            ch.channel,
            tc.top_category
        from order_stats o
        join money m on m.customer_id = o.customer_id
        left join attributes a on a.customer_id = o.customer_id
        left join ages g on g.customer_id = o.customer_id
        left join top_channel ch on ch.customer_id = o.customer_id
        left join top_category tc on tc.customer_id = o.customer_id
    )
    select * from final
    order by customer_id
"""


# The same columns from the per-buyer summary, exact when no row is dated after D
# (retention.metrics.customer_summary): one row per buyer read instead of every line scanned.
_FEATURES_FROM_SUMMARY = """
    with attributes as (
        select customer_id, gender, city, birth_date, age
        from customers
        where dataset_id = $ds
    ),
    ages as (
        select
            customer_id,
            coalesce(
                year($as_of::date) - year(birth_date)
                    - (month(birth_date) * 100 + day(birth_date)
                       > month($as_of::date) * 100 + day($as_of::date))::integer,
                age
            ) as age
        from attributes
    ),
    final as (
        select
            s.customer_id,
            date_diff('day', s.last_order::date, $as_of::date) as recency_days,
            s.orders,
            (s.net_revenue / s.orders)::double as avg_check,
            s.net_revenue::double as net_revenue,
            date_diff('day', s.first_order::date, $as_of::date) as tenure_days,
            case when s.orders > 1
                 then date_diff('day', s.first_order::date, s.last_order::date)
                      / (s.orders - 1)
            end::double as mean_days_between_orders,
            case when s.gross_value > 0
                 then least(s.returned_value / s.gross_value, 1)
                 else 0 end::double as return_rate,
            case when g.age between 0 and $max_age then g.age end as age,
            a.gender,
            a.city,
            s.channel,
            s.top_category
        from customer_summary s
        left join attributes a on a.customer_id = s.customer_id
        left join ages g on g.customer_id = s.customer_id
        where s.dataset_id = $ds
    )
    select * from final
    order by customer_id
"""


@provenance.stamped
def customer_features(
    con: duckdb.DuckDBPyConnection, dataset_id: int, *, as_of: dt.date
) -> pd.DataFrame:
    """One row per customer with an order up to the end of day ``as_of``, ordered by id.

    Columns (see the module docstring for each definition): customer_id, recency_days,
    orders, avg_check, net_revenue, tenure_days, mean_days_between_orders (NA with one order),
    return_rate, age (Int64, NA when unknown), gender, city, channel, top_category (text
    as pandas categories, NA when unknown).
    """
    sql = _FEATURES_FROM_SUMMARY if customer_summary.covers(con, dataset_id, as_of) else _FEATURES
    frame = fetch_frame(con, sql, {"ds": dataset_id, "as_of": as_of, "max_age": MAX_AGE})
    frame = frame.astype({
        "recency_days": "int64", "orders": "int64", "tenure_days": "int64", "age": "Int64",
        "avg_check": "float64", "net_revenue": "float64",
        "mean_days_between_orders": "float64", "return_rate": "float64",
    })
    # Categories: a few distinct values over a million rows; group-bys and memory both gain.
    for column in CATEGORICAL_FEATURES:
        frame[column] = frame[column].astype("category")
    return frame[list(FEATURE_COLUMNS)]


def optional_attributes(con: duckdb.DuckDBPyConnection, dataset_id: int) -> pd.DataFrame:
    """Which optional attributes the dataset has, one row per attribute in ATTRIBUTE_SOURCES
    order.

    Columns: attribute, source_columns (the canonical column names that feed it, joined by
    " or "), customers_with_value (customers with a value; for channel and category, customers
    with at least one line that has one), available (customers_with_value > 0).
    """
    frame = con.execute(
        """
        with attributes as (
            select gender, city, birth_date, age from customers where dataset_id = $ds
        ),
        line_customers as (
            -- one pass over the lines grouped by customer, not a distinct count per column
            select customer_id, bool_or(channel is not null) as has_channel,
                   bool_or(category is not null) as has_category
            from transactions
            where dataset_id = $ds
            group by customer_id
        ),
        counts as (
            select
                (select count(*) from attributes
                 where birth_date is not null or age is not null) as age,
                (select count(gender) from attributes) as gender,
                (select count(city) from attributes) as city,
                (select count(*) from line_customers where has_channel) as channel,
                (select count(*) from line_customers where has_category) as top_category
        ),
        final as (
            unpivot counts on age, gender, city, channel, top_category
            into name attribute value customers_with_value
        )
        select * from final
        """,
        {"ds": dataset_id},
    ).fetchdf()
    by_attribute = dict(zip(frame["attribute"], frame["customers_with_value"], strict=True))
    rows = [
        {
            "attribute": attribute,
            "source_columns": " or ".join(sources),
            "customers_with_value": int(by_attribute.get(attribute, 0)),
        }
        for attribute, sources in ATTRIBUTE_SOURCES.items()
    ]
    result = pd.DataFrame(rows)
    result["available"] = result["customers_with_value"] > 0
    return result
