"""The customer base audiences are chosen from: one row per buyer on the as-of date D.

Every column comes from the metric that defines it, so an audience says exactly what the
pages say: the ladder step from :func:`retention.metrics.ladder.customer_steps`, the ABC/XYZ
cell from :func:`retention.metrics.abc_xyz.abc_xyz_customer_cells`, recency, orders, net revenue,
city, main channel and top category from
:func:`retention.metrics.customer_features.customer_features`, P(alive), risk group and
predicted CLV from :func:`retention.models.churn.customer_scores` (when a model is given), the
portrait from the portraits' assignments (when given). The rest is computed here in one query:
the contact fields, the days to the next birthday and the median gap between orders.

The base holds the ladder's buyers (customers with at least one order up to D): a customer
file's rows without an order have no step to stratify a control group by and no behaviour to
choose them on.

Birthdays: the next birthday is the first one strictly after D (a birthday on D itself is next
year's), so "within the next N days" means 1 to N days after D. Someone born on 29 February
has their birthday on 28 February in a year without one.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

from retention.metrics.abc_xyz import AbcXyzSettings, abc_xyz_customer_cells
from retention.metrics.customer_features import customer_features
from retention.metrics.ladder import LadderThresholds, customer_steps
from retention.models.churn import RiskThresholds
from retention.sql import fetch_frame

# The settings the pages use when none are saved (frozen, so one instance serves every call).
DEFAULT_LADDER = LadderThresholds()
DEFAULT_ABC = AbcXyzSettings()

# The base's columns, in order.
BASE_COLUMNS = (
    "customer_id", "step", "step_position", "is_advocate", "cell", "portrait", "risk_group",
    "p_alive", "predicted_clv", "recency_days", "orders", "net_revenue", "top_revenue",
    "city", "channel", "top_category", "first_order_day", "last_order_day",
    "median_gap_days", "birth_date", "days_to_birthday", "email", "phone", "email_opt_in",
    "sms_opt_in", "first_name", "last_name",
)


def _birthday_in(year: str) -> str:
    """SQL for the birthday's date in ``year`` (an SQL expression); 29 February falls on
    28 February in a year without one."""
    leap = f"(({year}) % 4 = 0 and (({year}) % 100 <> 0 or ({year}) % 400 = 0))"
    return (f"make_date({year}, month(birth_date), case when month(birth_date) = 2 "
            f"and day(birth_date) = 29 and not {leap} then 28 else day(birth_date) end)")


# The contact fields, the order days and the next birthday, as CTEs the join below reads
# (kept in DuckDB: a million rows handed to pandas and back cost more than the query).
_CONTACTS = f"""
    orders_to_date as (
        select customer_id, date::date as day
        from orders
        where dataset_id = $ds and date < $as_of::date + interval 1 day
    ),
    gaps as (
        select customer_id, day,
               date_diff('day', lag(day) over (partition by customer_id order by day), day)
                   as gap
        from orders_to_date
    ),
    order_days as (
        select customer_id, min(day) as first_order_day, max(day) as last_order_day,
               median(gap)::double as median_gap_days
        from gaps
        group by customer_id
    ),
    birthdays as (
        select customer_id, birth_date,
               {_birthday_in("year($as_of::date)")} as this_year,
               {_birthday_in("year($as_of::date) + 1")} as next_year
        from customers
        where dataset_id = $ds and birth_date is not null
    ),
    base_contacts as (
        select
            o.customer_id, o.first_order_day, o.last_order_day, o.median_gap_days,
            c.birth_date,
            date_diff('day', $as_of::date,
                      case when b.this_year > $as_of::date then b.this_year
                           else b.next_year end) as days_to_birthday,
            c.email, c.phone, c.email_opt_in, c.sms_opt_in, c.first_name, c.last_name
        from order_days o
        left join customers c on c.dataset_id = $ds and c.customer_id = o.customer_id
        left join birthdays b on b.customer_id = o.customer_id
    )
"""

# The top share of customers by net revenue to date, by the churn page's rule (ties at the cut
# all count; revenue must be positive), then everything joined on the customer id.
_JOIN = f"""
    with {_CONTACTS},
    ranked as (
        select customer_id, net_revenue,
               row_number() over (order by net_revenue desc, customer_id) as rank,
               count(*) over () as buyers
        from base_features
    ),
    cut as (
        select min(net_revenue) as revenue from ranked
        where rank <= ceil($top_share * buyers)
    ),
    final as (
        select
            f.customer_id, s.step, s.step_position, s.is_advocate, a.cell, p.portrait,
            r.risk_group, r.p_alive, r.predicted_clv, f.recency_days, f.orders, f.net_revenue,
            coalesce(f.net_revenue >= (select revenue from cut) and f.net_revenue > 0, false)
                as top_revenue,
            f.city::varchar as city, f.channel::varchar as channel,
            f.top_category::varchar as top_category, c.first_order_day, c.last_order_day,
            c.median_gap_days, c.birth_date, c.days_to_birthday, c.email, c.phone,
            c.email_opt_in, c.sms_opt_in, c.first_name, c.last_name
        from base_features f
        left join base_steps s on s.customer_id = f.customer_id
        left join base_cells a on a.customer_id = f.customer_id
        left join base_portraits p on p.customer_id = f.customer_id
        left join base_scores r on r.customer_id = f.customer_id
        left join base_contacts c on c.customer_id = f.customer_id
    )
    select * from final order by customer_id
"""


def customer_base(
    con: duckdb.DuckDBPyConnection,
    dataset_id: int,
    *,
    as_of: dt.date,
    ladder: LadderThresholds = DEFAULT_LADDER,
    abc: AbcXyzSettings = DEFAULT_ABC,
    top_share: float = RiskThresholds().top_value_share,
    scores: pd.DataFrame | None = None,
    portraits: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per buyer on ``as_of``, ordered by customer id, with :data:`BASE_COLUMNS`.

    ``scores``: :func:`retention.models.churn.customer_scores` of a model fitted up to
    ``as_of`` (None: p_alive, risk_group and predicted_clv are empty); ``portraits``: a frame
    with customer_id and portrait (the ``assignments`` of
    :class:`retention.models.portraits.Portraits`; None: portrait is empty). ``top_revenue``
    marks the top ``top_share`` of buyers by net revenue to date (the churn page's
    "valuable": ties at the cut all count, revenue must be positive). ``cell`` is empty
    for a customer ABC/XYZ does not classify (no positive revenue in its 12 months).
    """
    features = customer_features(con, dataset_id, as_of=as_of)[
        ["customer_id", "recency_days", "orders", "net_revenue", "city", "channel",
         "top_category"]]
    steps = customer_steps(con, dataset_id, as_of=as_of, thresholds=ladder)[
        ["customer_id", "step", "step_position", "is_advocate"]]
    cells = abc_xyz_customer_cells(con, dataset_id, as_of=as_of, settings=abc)
    if scores is None:
        scores = pd.DataFrame({"customer_id": pd.Series(dtype=object),
                               "risk_group": pd.Series(dtype=object),
                               "p_alive": pd.Series(dtype=float),
                               "predicted_clv": pd.Series(dtype=float)})
    else:
        scores = scores[["customer_id", "risk_group", "p_alive", "predicted_clv"]].astype(
            {"risk_group": object})
    if portraits is None:
        portraits = pd.DataFrame({"customer_id": pd.Series(dtype=object),
                                  "portrait": pd.Series(dtype="Int64")})
    else:
        portraits = portraits[["customer_id", "portrait"]]
    frames = {"base_features": features, "base_steps": steps, "base_cells": cells,
              "base_scores": scores, "base_portraits": portraits}
    for name, frame in frames.items():
        con.register(name, frame)
    try:
        base = fetch_frame(con, _JOIN, {"ds": dataset_id, "as_of": as_of,
                                        "top_share": float(top_share)})
    finally:
        for name in frames:
            con.unregister(name)
    return base.astype({"step_position": "Int64", "is_advocate": "boolean",
                        "portrait": "Int64", "p_alive": "Float64", "predicted_clv": "Float64",
                        "orders": "int64", "recency_days": "int64", "net_revenue": "float64",
                        "top_revenue": "bool", "median_gap_days": "Float64",
                        "days_to_birthday": "Int64", "email_opt_in": "boolean",
                        "sms_opt_in": "boolean"})[list(BASE_COLUMNS)]


# The base's text columns a segment can pick values of (Segment's cities, channels, categories).
CHOICE_COLUMNS = {"cities": "city", "channels": "channel", "categories": "top_category"}


def base_choices(base: pd.DataFrame) -> dict[str, list[str]]:
    """The values the builder offers for each of :data:`CHOICE_COLUMNS`: the distinct
    non-empty values in ``base``, sorted."""
    # distinct values first (a handful of cities among a million buyers), then the text checks
    def offered(column: str) -> list[str]:
        values = (str(value) for value in base[column].dropna().unique())
        return sorted({value for value in values if value.strip()})

    return {name: offered(column) for name, column in CHOICE_COLUMNS.items()}
