"""The loyalty ladder (DESIGN §4): buyer → repeat client → regular → loyal → advocate.

Steps are cumulative: each requires the one before. "Loyal" uses a customer's share of wallet
when the data has one for that customer (a survey rarely reaches everyone), otherwise the
regularity proxy (orders in many distinct calendar months of the last year); the basis is kept
per customer so the UI can name it. "Advocate" needs referral (``referred_by``) or NPS data: when
the dataset has neither, it is unknown (NULL) for everyone — never zero — and "loyal" is the top
step anyone can be shown on.

All functions share one SQL fragment, :data:`_STEPS`, which computes every customer's step on
a start and an end date in a single pass over ``orders`` (the ladder passes the same date
twice). One pass for both dates is what keeps the migration matrix about as cheap as the
ladder: a join with a table of dates would feed the group-by every order twice.

Why a bit mask for distinct months: ``count(distinct date_trunc('month', date))`` per customer
costs 2.7 s on 5.3M orders; OR-ing one bit per month back from the as-of date and counting bits
gives the same number in 0.6 s. A bigint holds 63 months, hence the 5-year cap on the window.

Moving up (how fast one-time buyers come back) is :func:`second_order_timing` and
:func:`comeback_by_cohort`; who moved between two dates is :func:`migration_matrix` and
:func:`migration_customers`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import duckdb
import pandas as pd

from retention import provenance
from retention.i18n import t
from retention.sql import fetch_frame

# The step vocabulary lives in retention.vocabulary; STEP_LABELS is re-exported here because the
# ladder, LTV and portraits pages import it with the steps from this module.
from retention.vocabulary import MIGRATION_DIRECTIONS, NEW, STEPS
from retention.vocabulary import STEP_LABELS as STEP_LABELS

COMEBACK_DAYS = (30, 60, 90, 180)
# Where the ladder page keeps a dataset's thresholds (``Workspace.settings`` namespace).
SETTINGS_NAMESPACE = "ladder"
# Names small intermediate frames (transitions, the gap histogram) go by while SQL reads them.
_TRANSITIONS_VIEW = "ladder_transitions"
_GAP_HISTOGRAM_VIEW = "ladder_second_order_gaps"
# The months bit mask is a bigint: at most 61 calendar months (5 years + 1) fit safely.
MAX_WINDOW_DAYS = 1825


@dataclass(frozen=True)
class LadderThresholds:
    """The ladder's settings, with DESIGN §4's defaults.

    repeat_orders: orders to date for "repeat client"; regular_orders: orders within the last
    regular_window_days days (D included, D − window excluded) for "regular"; loyal_share_of_wallet
    (with survey data) or loyal_months (distinct calendar months with an order in that window,
    without it) for "loyal"; advocate_referrals (referred customers who have ordered) or
    advocate_nps (an NPS answer at least this high) for "advocate".
    """

    repeat_orders: int = 2
    regular_orders: int = 4
    regular_window_days: int = 365
    loyal_share_of_wallet: float = 0.8
    loyal_months: int = 9
    advocate_nps: int = 9
    advocate_referrals: int = 1

    def __post_init__(self) -> None:
        problems = []
        if self.repeat_orders < 2:
            problems.append(t("a repeat client needs at least 2 orders"))
        if self.regular_orders < 1:
            problems.append(t("a regular needs at least 1 order in the window"))
        if not 1 <= self.regular_window_days <= MAX_WINDOW_DAYS:
            problems.append(t("the window must be 1 to {days} days", days=MAX_WINDOW_DAYS))
        if not 0 <= self.loyal_share_of_wallet <= 1:
            problems.append(t("the share of wallet must be between 0 and 1"))
        if self.loyal_months < 1:
            problems.append(t("loyal needs at least 1 month"))
        if not 0 <= self.advocate_nps <= 10:
            problems.append(t("the NPS score must be between 0 and 10"))
        if self.advocate_referrals < 1:
            problems.append(t("an advocate needs at least 1 referral"))
        if problems:
            raise ValueError(t("These ladder settings cannot be used: {problems}.",
                               problems="; ".join(problems)))

    def as_dict(self) -> dict[str, float | int]:
        """The settings as plain values (what ``Workspace.save_settings`` stores)."""
        return asdict(self)

    @classmethod
    def from_settings(cls, saved: Mapping[str, Any]) -> LadderThresholds:
        """Thresholds from saved settings: unknown keys are ignored, and missing or unusable
        values (wrong type, out of range) fall back to the defaults one by one."""
        chosen = cls()
        for name, default in chosen.as_dict().items():
            value = saved.get(name)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                continue
            try:
                if isinstance(default, int) and value != int(value):
                    continue  # 4.5 orders is not a setting anyone chose
                # each value has its field's type (type(default)); mypy cannot pair a keyword
                # with its field's type, so the keywords go as Any
                values: dict[str, Any] = {**chosen.as_dict(), name: type(default)(value)}
                chosen = cls(**values)
            except (ValueError, OverflowError):
                continue
        return chosen


def _over_frame(con: duckdb.DuckDBPyConnection, view: str, frame: pd.DataFrame, sql: str,
                params: dict[str, Any]) -> pd.DataFrame:
    """Run ``sql`` with the small intermediate ``frame`` visible under the name ``view``."""
    con.register(view, frame)
    try:
        return con.execute(sql, params).fetchdf()
    finally:
        con.unregister(view)


def _params(dataset_id: int, thresholds: LadderThresholds) -> dict[str, Any]:
    return {
        "ds": dataset_id,
        "window": thresholds.regular_window_days,
        "repeat": thresholds.repeat_orders,
        "regular": thresholds.regular_orders,
        "share": float(thresholds.loyal_share_of_wallet),
        "months": thresholds.loyal_months,
        "nps": thresholds.advocate_nps,
        "referrals": thresholds.advocate_referrals,
    }


# Every customer's step on $start and on $end (one row per customer and date; the same date
# twice gives one set of rows). Parameters: $ds, $start, $end and the thresholds of _params.
# Callers read ``steps`` (at_date, customer_id, orders, first_order, last_order,
# orders_in_window, months_in_window, is_repeat, is_regular, is_loyal, is_advocate, step,
# step_position; share_of_wallet, nps, referrals and loyal_basis for regulars only — they decide
# nobody else's step, so only regulars are joined to them), ``attributes``,
# ``advocacy_data(known)`` and ``referrals(at_date, customer_id, referrals)``.
_STEPS = """
    orders_to_end as (
        select customer_id, date
        from orders
        where dataset_id = $ds and date < $end::date + interval 1 day
    ),
    attributes as (
        -- only customers with something the ladder reads: a smaller table to join with
        select customer_id, share_of_wallet, nps, referred_by
        from customers
        where dataset_id = $ds
          and (share_of_wallet is not null or nps is not null or referred_by is not null)
    ),
    advocacy_data as (
        select count(referred_by) + count(nps) > 0 as known from attributes
    ),
    per_customer_both_dates as (
        select
            customer_id,
            min(date) as first_order,
            count(*) as orders_end,
            max(date) as last_order_end,
            count(*) filter (
                where date >= $end::date - to_days($window - 1)
            ) as orders_in_window_end,
            coalesce(bit_count(
                bit_or(1::bigint << least(greatest(
                    date_diff('month', date, $end::date), 0), 62)::integer) filter (
                    where date >= $end::date - to_days($window - 1))
            ), 0) as months_in_window_end,
            count(*) filter (
                where date < $start::date + interval 1 day
            ) as orders_start,
            max(date) filter (
                where date < $start::date + interval 1 day
            ) as last_order_start,
            count(*) filter (
                where date >= $start::date - to_days($window - 1)
                  and date < $start::date + interval 1 day
            ) as orders_in_window_start,
            coalesce(bit_count(
                bit_or(1::bigint << least(greatest(
                    date_diff('month', date, $start::date), 0), 62)::integer) filter (
                    where date >= $start::date - to_days($window - 1)
                      and date < $start::date + interval 1 day)
            ), 0) as months_in_window_start
        from orders_to_end
        group by customer_id
    ),
    per_customer as (
        select
            $end::date as at_date, customer_id, orders_end as orders, first_order,
            last_order_end as last_order, orders_in_window_end as orders_in_window,
            months_in_window_end as months_in_window
        from per_customer_both_dates
        union all
        select
            $start::date, customer_id, orders_start, first_order, last_order_start,
            orders_in_window_start, months_in_window_start
        from per_customer_both_dates
        where orders_start > 0 and $start::date < $end::date
    ),
    referrals as (
        -- a referral counts once the referred customer has ordered by that date
        select
            p.at_date,
            a.referred_by as customer_id,
            count(*) as referrals
        from attributes a
        join per_customer p on p.customer_id = a.customer_id
        where a.referred_by is not null and a.referred_by <> a.customer_id
        group by all
    ),
    flags as (
        select
            *,
            orders >= $repeat as is_repeat,
            orders >= $repeat and orders_in_window >= $regular as is_regular
        from per_customer
    ),
    regulars as (
        select
            f.*,
            a.share_of_wallet,
            a.nps,
            coalesce(r.referrals, 0) as referrals,
            case when a.share_of_wallet is not null then 'share_of_wallet'
                 else 'regularity' end as loyal_basis
        from flags f
        left join attributes a on a.customer_id = f.customer_id
        left join referrals r on r.customer_id = f.customer_id and r.at_date = f.at_date
        where f.is_regular
    ),
    loyalty as (
        select
            *,
            case when loyal_basis = 'share_of_wallet' then share_of_wallet >= $share
                 else months_in_window >= $months end as is_loyal
        from regulars
        union all by name
        select *, false as is_loyal
        from flags
        where not is_regular
    ),
    advocacy as (
        select
            *,
            case when (select known from advocacy_data)
                 then is_loyal and (coalesce(referrals, 0) >= $referrals
                                    or coalesce(nps >= $nps, false))
            end as is_advocate
        from loyalty
    ),
    steps as (
        select
            *,
            case when is_advocate then 'advocate'
                 when is_loyal then 'loyal'
                 when is_regular then 'regular'
                 when is_repeat then 'repeat'
                 else 'buyer' end as step,
            case when is_advocate then 5
                 when is_loyal then 4
                 when is_regular then 3
                 when is_repeat then 2
                 else 1 end as step_position
        from advocacy
    )
"""

_STEP_NAMES = """
    step_names as (
        select * from (values
            ('new', 0), ('buyer', 1), ('repeat', 2), ('regular', 3), ('loyal', 4), ('advocate', 5)
        ) v(step, position)
    )
"""


@provenance.stamped
def customer_steps(
    con: duckdb.DuckDBPyConnection,
    dataset_id: int,
    *,
    as_of: dt.date,
    thresholds: LadderThresholds = LadderThresholds(),
    customer_ids: list[str] | None = None,
) -> pd.DataFrame:
    """One row per customer with at least one order up to the end of day ``as_of`` (only those
    in ``customer_ids`` when given: steps are still computed over everyone — referrals need the
    whole base — but only those rows reach pandas).

    Columns: customer_id, orders (all orders to date), first_order, last_order (timestamps),
    orders_in_window (orders in (D − regular_window_days, D]), months_in_window (distinct
    calendar months with an order in that window), share_of_wallet, nps, referrals (customers
    with an order to date whose referred_by is this customer), is_repeat, is_regular, is_loyal,
    loyal_basis ('share_of_wallet' or 'regularity'), is_advocate (NA when the dataset has no
    referral and no NPS data), step (the highest step reached, one of STEPS; 'loyal' is the top
    when advocacy is unknown), step_position (1 for buyer … 5 for advocate).
    """
    frame = fetch_frame(
        con,
        f"""
        with {_STEPS},
        final as (
            select
                s.customer_id, s.orders, s.first_order, s.last_order, s.orders_in_window,
                s.months_in_window, a.share_of_wallet, a.nps,
                coalesce(r.referrals, 0) as referrals,
                s.is_repeat, s.is_regular, s.is_loyal,
                case when a.share_of_wallet is not null then 'share_of_wallet'
                     else 'regularity' end as loyal_basis,
                s.is_advocate, s.step, s.step_position
            from steps s
            left join attributes a on a.customer_id = s.customer_id
            left join referrals r on r.customer_id = s.customer_id
        )
        select * from final
        where $ids is null or list_contains($ids, customer_id)
        order by customer_id
        """,
        {**_params(dataset_id, thresholds), "start": as_of, "end": as_of,
         "ids": None if customer_ids is None else [str(c) for c in customer_ids]},
    )
    return frame.astype({
        "orders": "int64", "orders_in_window": "int64", "months_in_window": "int64",
        "share_of_wallet": "Float64", "nps": "Int64", "referrals": "int64",
        "is_advocate": "boolean", "step_position": "int64",
    })


# The five cumulative steps counted from ``positions(step_position, loyal_basis, customers)``
# — how many customers stand on each step, with how "loyal" was judged — and
# ``advocacy_known(known)``. Ends with the ``final`` CTE of ladder_counts' columns.
_COUNTS_FROM_POSITIONS = """
    reached as (
        select
            coalesce(sum(customers), 0) as buyer,
            coalesce(sum(customers) filter (where step_position >= 2), 0) as repeat,
            coalesce(sum(customers) filter (where step_position >= 3), 0) as regular,
            coalesce(sum(customers) filter (where step_position >= 4), 0) as loyal,
            case when (select known from advocacy_known)
                 then coalesce(sum(customers) filter (where step_position >= 5), 0)
            end as advocate,
            coalesce(sum(customers) filter (
                where step_position >= 4 and loyal_basis = 'share_of_wallet'), 0)
                as loyal_by_share_of_wallet,
            coalesce(sum(customers) filter (
                where step_position >= 4 and loyal_basis = 'regularity'), 0)
                as loyal_by_regularity
        from positions
    ),
    per_step as (
        select
            n.step,
            n.position,
            case n.step
                when 'buyer' then r.buyer
                when 'repeat' then r.repeat
                when 'regular' then r.regular
                when 'loyal' then r.loyal
                when 'advocate' then r.advocate
            end as customers,
            case when n.step = 'loyal' then r.loyal_by_share_of_wallet end
                as loyal_by_share_of_wallet,
            case when n.step = 'loyal' then r.loyal_by_regularity end
                as loyal_by_regularity
        from step_names n, reached r
        where n.step <> 'new'
    ),
    final as (
        select
            step,
            customers,
            case when step = 'advocate' then customers
                 else customers - lead(customers) over steps_in_order end as on_step,
            customers / nullif(first_value(customers) over steps_in_order, 0)
                as share_of_buyers,
            customers / nullif(lag(customers) over steps_in_order, 0) as conversion,
            loyal_by_share_of_wallet,
            loyal_by_regularity
        from per_step
        window steps_in_order as (order by position)
    )
"""


def ladder_counts(
    con: duckdb.DuckDBPyConnection,
    dataset_id: int,
    *,
    as_of: dt.date,
    thresholds: LadderThresholds = LadderThresholds(),
    transitions: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The five cumulative steps on ``as_of``, counted in SQL (five rows in STEPS order).

    ``transitions``: :func:`ladder_transitions` ending on ``as_of`` with the same thresholds,
    when the caller has it (the page computes it for the migration matrix anyway); it is
    counted instead of the orders. Its start date does not matter; a table computed for another
    end date or other thresholds raises ValueError rather than count another day's ladder.
    Empty transitions (nobody has ordered) give NA advocates.

    Columns: step, customers (reached at least this step; NA for 'advocate' when advocacy is
    unknown), on_step (stand exactly on it: this step minus the next; NA for 'loyal' and
    'advocate' when advocacy is unknown), share_of_buyers (customers / buyers), conversion
    (customers / the previous step's customers; NA on 'buyer'), loyal_by_share_of_wallet and
    loyal_by_regularity (on the 'loyal' row only: how many loyal customers each basis
    produced). Counts are Int64 and shares Float64, so unknown is NA, never NaN or 0.
    """
    if transitions is None:
        frame = con.execute(
            f"""
            with {_STEPS},
            {_STEP_NAMES},
            positions as (
                select step_position, loyal_basis, count(*) as customers
                from steps
                group by all
            ),
            advocacy_known as (
                select known from advocacy_data
            ),
            {_COUNTS_FROM_POSITIONS}
            select * from final
            """,
            {**_params(dataset_id, thresholds), "start": as_of, "end": as_of},
        ).fetchdf()
    else:
        provenance.check(transitions, ladder_transitions, used_by="ladder_counts",
                         argument="transitions", ignore=("start",), dataset_id=dataset_id,
                         end=as_of, thresholds=thresholds)
        frame = _over_frame(con, _TRANSITIONS_VIEW, transitions, f"""
            with {_STEP_NAMES},
            positions as (
                select to_position as step_position, to_loyal_basis as loyal_basis,
                       sum(customers) as customers
                from {_TRANSITIONS_VIEW}
                group by all
            ),
            advocacy_known as (
                select coalesce(bool_or(advocacy_known), false) as known
                from {_TRANSITIONS_VIEW}
            ),
            {_COUNTS_FROM_POSITIONS}
            select * from final
            """, {})
    return frame.astype({
        "customers": "Int64", "on_step": "Int64", "share_of_buyers": "Float64",
        "conversion": "Float64", "loyal_by_share_of_wallet": "Int64",
        "loyal_by_regularity": "Int64",
    })


def ladder_inputs(con: duckdb.DuckDBPyConnection, dataset_id: int) -> pd.DataFrame:
    """Which optional columns the ladder can use, as one row.

    Columns: share_of_wallet_customers, referred_by_customers, nps_customers (customers with a
    value in that column), advocacy_known (referral or NPS data exists, so advocates can be
    counted).
    """
    frame = con.execute(
        """
        with attributes as (
            select share_of_wallet, referred_by, nps from customers where dataset_id = $ds
        ),
        final as (
            select
                count(share_of_wallet) as share_of_wallet_customers,
                count(referred_by) as referred_by_customers,
                count(nps) as nps_customers,
                count(referred_by) + count(nps) > 0 as advocacy_known
            from attributes
        )
        select * from final
        """,
        {"ds": dataset_id},
    ).fetchdf()
    return frame.astype({
        "share_of_wallet_customers": "int64", "referred_by_customers": "int64",
        "nps_customers": "int64", "advocacy_known": "bool",
    })


# -- moving up -----------------------------------------------------------------------------------


# Both moving-up metrics read one small histogram — customers by acquisition month and days to
# their second order — so the page scans the orders once for both (the per-customer min(date, 2)
# is the expensive part: about 0.8 CPU-seconds on 5.3M orders). The histogram has at most
# (months of data) × (distinct gaps) rows: 9,221 on the 10M-row benchmark.


@provenance.stamped
def second_order_gaps(
    con: duckdb.DuckDBPyConnection, dataset_id: int, *, as_of: dt.date
) -> pd.DataFrame:
    """Customers by acquisition month and days from their first to their second order.

    ``min(date, 2)`` keeps each customer's two earliest orders up to D; two orders at the same
    moment make a gap of 0 days. Days are calendar days between the orders' dates.

    Columns: cohort_month (first day of the month of the first order), days_to_second (Int64;
    NA when there is no second order by D), customers.
    """
    frame = con.execute(
        """
        with orders_to_date as (
            select customer_id, date
            from orders
            where dataset_id = $ds and date < $as_of::date + interval 1 day
        ),
        first_two as (
            select min(date, 2) as dates
            from orders_to_date
            group by customer_id
        ),
        gaps as (
            select
                date_trunc('month', dates[1])::date as cohort_month,
                case when len(dates) = 2
                     then date_diff('day', dates[1]::date, dates[2]::date) end as days_to_second
            from first_two
        ),
        final as (
            select cohort_month, days_to_second, count(*) as customers
            from gaps
            group by all
        )
        select * from final
        order by cohort_month, days_to_second
        """,
        {"ds": dataset_id, "as_of": as_of},
    ).fetchdf()
    return frame.astype({"days_to_second": "Int64", "customers": "int64"})


def second_order_timing(
    con: duckdb.DuckDBPyConnection,
    dataset_id: int,
    *,
    as_of: dt.date,
    gaps: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """How long buyers take to order again, as one row.

    ``gaps``: :func:`second_order_gaps` for the same dataset and D, when the caller has it
    already (it is read instead of the orders; ValueError when it was computed for others).

    Columns: buyers (customers with an order by D), repeat_customers (with a second order by
    D), median_days (median calendar days from the first order's day to the second's, over the
    repeat customers — the mean of the two middle ones when their number is even; NA when
    there are none).
    """
    gaps = provenance.given_or_computed(gaps, second_order_gaps, con, used_by="second_order_timing",
                                        argument="gaps", dataset_id=dataset_id, as_of=as_of)
    frame = _over_frame(con, _GAP_HISTOGRAM_VIEW, gaps, f"""
        with repeaters as (
            select days_to_second as days, sum(customers) as customers
            from {_GAP_HISTOGRAM_VIEW}
            where days_to_second is not null
            group by days_to_second
        ),
        running as (
            select
                days,
                sum(customers) over (order by days) as up_to,
                sum(customers) over () as total
            from repeaters
        ),
        middle as (
            -- the middle position(s) of the sorted gaps: (n + 1) / 2 for odd n, n / 2 and
            -- n / 2 + 1 for even n
            select
                min(days) filter (where up_to >= (total + 1) // 2) as lower_middle,
                min(days) filter (where up_to >= total // 2 + 1) as upper_middle
            from running
        ),
        final as (
            select
                (select coalesce(sum(customers), 0) from {_GAP_HISTOGRAM_VIEW}) as buyers,
                (select coalesce(sum(customers), 0) from repeaters) as repeat_customers,
                (lower_middle + upper_middle) / 2 as median_days
            from middle
        )
        select * from final
        """, {})
    return frame.astype({"buyers": "int64", "repeat_customers": "int64",
                         "median_days": "Float64"})


def comeback_by_cohort(
    con: duckdb.DuckDBPyConnection,
    dataset_id: int,
    *,
    as_of: dt.date,
    days: Sequence[int] = COMEBACK_DAYS,
    gaps: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Share of each acquisition month's new customers who ordered again within N days.

    A customer's acquisition month is that of their first order; "within N days" means the
    second order is at most N calendar days after the first (same day counts). A cohort is
    observable for N only when its last day plus N days is on or before D — otherwise some of
    its customers have not had N days yet and came_back and share are NA, never 0.
    ``gaps``: :func:`second_order_gaps` for the same dataset and D, when the caller has it
    (ValueError when it was computed for others).

    Long format, one row per (cohort_month, days), ordered by both. Columns: cohort_month
    (first day of the month), days, new_customers, observable (bool), came_back (Int64),
    share (Float64).
    """
    gaps = provenance.given_or_computed(gaps, second_order_gaps, con, used_by="comeback_by_cohort",
                                        argument="gaps", dataset_id=dataset_id, as_of=as_of)
    frame = _over_frame(con, _GAP_HISTOGRAM_VIEW, gaps, f"""
        with windows as (
            select unnest($days::integer[]) as days
        ),
        cohorts as (
            select cohort_month, sum(customers)::bigint as new_customers
            from {_GAP_HISTOGRAM_VIEW}
            group by cohort_month
        ),
        came_back as (
            select
                g.cohort_month,
                w.days,
                coalesce(sum(g.customers) filter (where g.days_to_second <= w.days), 0)::bigint
                    as came_back
            from {_GAP_HISTOGRAM_VIEW} g, windows w
            group by all
        ),
        final as (
            select
                c.cohort_month,
                b.days,
                c.new_customers,
                last_day(c.cohort_month) + b.days <= $as_of::date as observable,
                case when last_day(c.cohort_month) + b.days <= $as_of::date
                     then b.came_back end as came_back,
                case when last_day(c.cohort_month) + b.days <= $as_of::date
                     then b.came_back / c.new_customers end as share
            from cohorts c
            join came_back b using (cohort_month)
        )
        select * from final
        order by cohort_month, days
        """, {"as_of": as_of, "days": [int(d) for d in days]})
    return frame.astype({"days": "int64", "new_customers": "int64", "observable": "bool",
                         "came_back": "Int64", "share": "Float64"})


def comeback_table(comeback: pd.DataFrame) -> pd.DataFrame:
    """:func:`comeback_by_cohort`'s long rows as one row per cohort, for reading and export.

    Columns: cohort_month, new_customers, then share_within_{N}_days for each N (NA where the
    cohort is too young).
    """
    if comeback.empty:
        return pd.DataFrame(columns=["cohort_month", "new_customers"])
    wide = comeback.pivot(index=["cohort_month", "new_customers"], columns="days",
                          values="share")
    wide.columns = [f"share_within_{d}_days" for d in wide.columns]
    return wide.reset_index()


# -- who moved ------------------------------------------------------------------------------------


# The end date's buyers, with their step on $start ('new' when they had no order by then).
# Comes after _STEPS.
_MOVES = """
    moves as (
        select
            e.customer_id,
            coalesce(s.step, 'new') as from_step,
            coalesce(s.step_position, 0) as from_position,
            e.step as to_step,
            e.step_position as to_position,
            e.loyal_basis as to_loyal_basis,
            case when s.step is null then 'new'
                 when e.step_position > s.step_position then 'up'
                 when e.step_position = s.step_position then 'same'
                 else 'down' end as direction,
            coalesce(s.orders, 0) as orders_at_start,
            e.orders as orders_at_end,
            e.orders_in_window,
            e.months_in_window,
            e.first_order,
            e.last_order
        from steps e
        left join steps s on s.customer_id = e.customer_id and s.at_date = $start::date
        where e.at_date = $end::date
    )
"""


def _check_dates(start: dt.date, end: dt.date) -> None:
    if start > end:
        raise ValueError(t("The start date ({start}) must be on or before the end date ({end}).",
                           start=start.isoformat(), end=end.isoformat()))


@provenance.stamped
def ladder_transitions(
    con: duckdb.DuckDBPyConnection,
    dataset_id: int,
    *,
    start: dt.date,
    end: dt.date,
    thresholds: LadderThresholds = LadderThresholds(),
) -> pd.DataFrame:
    """Customers by their step on ``start``, their step on ``end`` and how "loyal" was judged
    on ``end``: the small table (at most 6 × 5 × 2 rows) both the migration matrix and the
    ladder on ``end`` are counted from, so a page showing both reads the orders once.

    Columns: from_step ('new' or a step), from_position (0 for 'new', 1 … 5), to_step,
    to_position, to_loyal_basis ('share_of_wallet' or 'regularity' for regulars on ``end``,
    NA for the others), advocacy_known (bool: the dataset has referral or NPS data),
    customers (int64). The table is stamped (:mod:`retention.provenance`) with the dataset,
    ``start``, ``end`` and ``thresholds``: :func:`ladder_counts` and :func:`migration_matrix`
    check it.
    """
    _check_dates(start, end)
    frame = con.execute(
        f"""
        with {_STEPS},
        {_MOVES},
        final as (
            select
                from_step, from_position, to_step, to_position, to_loyal_basis,
                (select known from advocacy_data) as advocacy_known,
                count(*) as customers
            from moves
            group by all
        )
        select * from final
        order by from_position, to_position, to_loyal_basis
        """,
        {**_params(dataset_id, thresholds), "start": start, "end": end},
    ).fetchdf()
    return frame.astype({"from_position": "int64", "to_position": "int64",
                         "advocacy_known": "bool", "customers": "int64"})


def migration_matrix(
    con: duckdb.DuckDBPyConnection,
    dataset_id: int,
    *,
    start: dt.date,
    end: dt.date,
    thresholds: LadderThresholds = LadderThresholds(),
    transitions: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Customers by their step on ``start`` × their step on ``end`` (both days included).

    Rows cover the whole grid: from_step in ('new', *STEPS) — 'new' is a customer without an
    order by the start date — × to_step in STEPS, with 0 where nobody moved that way; 'advocate'
    is left out of both sides when advocacy is unknown. Everyone counted is a buyer on ``end``.
    ``transitions``: :func:`ladder_transitions` for the same dates and thresholds, when the
    caller has it (ValueError when it was computed for others).

    Columns: from_step, to_step, direction ('new', 'up', 'same', 'down'), customers (int64).
    """
    transitions = provenance.given_or_computed(
        transitions, ladder_transitions, con, used_by="migration_matrix",
        argument="transitions", dataset_id=dataset_id, start=start, end=end,
        thresholds=thresholds)
    frame = _over_frame(con, _TRANSITIONS_VIEW, transitions, f"""
        with {_STEP_NAMES},
        counts as (
            select from_step, to_step, sum(customers) as customers
            from {_TRANSITIONS_VIEW}
            group by all
        ),
        shown_steps as (
            select * from step_names
            where step <> 'advocate'
               or (select coalesce(bool_or(advocacy_known), false) from {_TRANSITIONS_VIEW})
        ),
        final as (
            select
                f.step as from_step,
                t.step as to_step,
                case when f.step = 'new' then 'new'
                     when t.position > f.position then 'up'
                     when t.position = f.position then 'same'
                     else 'down' end as direction,
                coalesce(c.customers, 0) as customers,
                f.position as from_position,
                t.position as to_position
            from shown_steps f
            cross join shown_steps t
            left join counts c on c.from_step = f.step and c.to_step = t.step
            where t.step <> 'new'
        )
        select from_step, to_step, direction, customers from final
        order by from_position, to_position
        """, {})
    return frame.astype({"customers": "int64"})


def migration_customers(
    con: duckdb.DuckDBPyConnection,
    dataset_id: int,
    *,
    start: dt.date,
    end: dt.date,
    thresholds: LadderThresholds = LadderThresholds(),
    from_step: str | None = None,
    to_step: str | None = None,
    direction: str | None = None,
    limit: int | None = None,
) -> pd.DataFrame:
    """The customers behind :func:`migration_matrix`, optionally one cell or one direction.

    ``from_step`` ('new' or a step), ``to_step`` and ``direction`` ('new', 'up', 'same',
    'down') filter when given; ``limit`` caps the rows (None: all, for exports). Ordered by the
    end step, then the start step (highest first both), then customer id.

    Columns: customer_id, from_step, to_step, direction, orders_at_start, orders_at_end,
    orders_in_window (at the end date), months_in_window (at the end date), first_order,
    last_order (timestamps, up to the end date).
    """
    _check_dates(start, end)
    if from_step is not None and from_step not in (NEW, *STEPS):
        raise ValueError(f"Unknown step {from_step!r}.")
    if to_step is not None and to_step not in STEPS:
        raise ValueError(f"Unknown step {to_step!r}.")
    if direction is not None and direction not in MIGRATION_DIRECTIONS:
        raise ValueError(f"Unknown direction {direction!r}.")
    frame = con.execute(
        f"""
        with {_STEPS},
        {_MOVES},
        final as (
            select * from moves
            where ($from_step is null or from_step = $from_step)
              and ($to_step is null or to_step = $to_step)
              and ($direction is null or direction = $direction)
        )
        select
            customer_id, from_step, to_step, direction, orders_at_start, orders_at_end,
            orders_in_window, months_in_window, first_order, last_order
        from final
        order by to_position desc, from_position desc, customer_id
        limit $limit
        """,
        {**_params(dataset_id, thresholds), "start": start, "end": end,
         "from_step": from_step, "to_step": to_step, "direction": direction,
         "limit": None if limit is None else max(int(limit), 0)},
    ).fetchdf()
    return frame.astype({"orders_at_start": "int64", "orders_at_end": "int64",
                         "orders_in_window": "int64", "months_in_window": "int64"})


def migration_table(matrix: pd.DataFrame) -> pd.DataFrame:
    """:func:`migration_matrix`'s rows as a grid for reading: one row per start step ('new'
    first, then ladder order), one column per end step, customer counts in the cells."""
    grid = matrix.pivot(index="from_step", columns="to_step", values="customers")
    rows = [step for step in (NEW, *STEPS) if step in grid.index]
    columns = [step for step in STEPS if step in grid.columns]
    grid = grid.loc[rows, columns]
    grid.index.name, grid.columns.name = "from_step", None
    return grid.astype("int64")


def migration_directions(matrix: pd.DataFrame) -> dict[str, int]:
    """Customers per direction of :func:`migration_matrix`: {'new', 'up', 'same', 'down'}."""
    totals = matrix.groupby("direction")["customers"].sum()
    return {direction: int(totals.get(direction, 0)) for direction in MIGRATION_DIRECTIONS}


def default_migration_start(end: dt.date) -> dt.date:
    """The migration matrix's default start: ``end`` one calendar month earlier (the 31st
    becomes the month's last day: 2026-03-31 → 2026-02-28)."""
    year, month = (end.year, end.month - 1) if end.month > 1 else (end.year - 1, 12)
    last_day = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(year, month, min(end.day, last_day))
