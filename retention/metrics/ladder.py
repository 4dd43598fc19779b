"""The loyalty ladder (DESIGN §4): buyer → repeat client → regular → loyal → advocate.

Steps are cumulative: each requires the one before. "Loyal" uses a customer's share of wallet
when the data has one for that customer, otherwise the regularity proxy (orders in many distinct
calendar months of the last year); the basis is returned per customer so the UI can name it.
"Advocate" needs referral (``referred_by``) or NPS data: when the dataset has neither, it is
unknown (NULL) for everyone — never zero.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass

import duckdb
import pandas as pd

STEPS = ("buyer", "repeat", "regular", "loyal", "advocate")
STEP_LABELS = {
    "buyer": "One-time buyer",
    "repeat": "Repeat client",
    "regular": "Regular",
    "loyal": "Loyal",
    "advocate": "Advocate",
}


@dataclass(frozen=True)
class LadderThresholds:
    """The ladder's settings, with DESIGN §4's defaults."""

    repeat_orders: int = 2
    regular_orders: int = 4
    regular_window_days: int = 365
    loyal_share_of_wallet: float = 0.8
    loyal_months: int = 9
    advocate_nps: int = 9
    advocate_referrals: int = 1

    def as_dict(self) -> dict[str, float | int]:
        return asdict(self)


def customer_steps(
    con: duckdb.DuckDBPyConnection,
    dataset_id: int,
    *,
    as_of: dt.date,
    thresholds: LadderThresholds = LadderThresholds(),
) -> pd.DataFrame:
    """One row per customer with at least one order up to the end of day ``as_of``.

    Columns: customer_id, orders (all orders to date), orders_in_window (orders in
    (D − regular_window_days, D]), months_in_window (distinct calendar months with an order in
    that window), share_of_wallet, nps, referrals (customers with an order to date whose
    referred_by is this customer), is_repeat, is_regular, is_loyal, loyal_basis
    ('share_of_wallet' or 'regularity'), is_advocate (NULL when the dataset has no referral
    and no NPS data), step (the highest step reached, one of STEPS; 'loyal' is the top when
    advocacy is unknown).
    """
    return con.execute(
        """
        with orders_to_date as (
            select customer_id, date from orders
            where dataset_id = $ds and date < $as_of::date + interval 1 day
        ),
        per_customer as (
            select
                customer_id,
                count(*) as orders,
                count(*) filter (
                    where date >= $as_of::date - to_days($window - 1)
                ) as orders_in_window,
                count(distinct date_trunc('month', date)) filter (
                    where date >= $as_of::date - to_days($window - 1)
                ) as months_in_window
            from orders_to_date
            group by customer_id
        ),
        attributes as (
            select customer_id, share_of_wallet, nps, referred_by
            from customers where dataset_id = $ds
        ),
        referrals as (
            select a.referred_by as customer_id, count(*) as referrals
            from attributes a
            join per_customer p on p.customer_id = a.customer_id
            where a.referred_by is not null and a.referred_by <> a.customer_id
            group by a.referred_by
        ),
        advocacy_data as (
            select count(referred_by) + count(nps) > 0 as known from attributes
        ),
        flags as (
            select
                p.customer_id, p.orders, p.orders_in_window, p.months_in_window,
                a.share_of_wallet, a.nps, coalesce(r.referrals, 0) as referrals,
                p.orders >= $repeat as is_repeat,
                p.orders >= $repeat and p.orders_in_window >= $regular as is_regular,
                case when a.share_of_wallet is not null then 'share_of_wallet'
                     else 'regularity' end as loyal_basis
            from per_customer p
            left join attributes a using (customer_id)
            left join referrals r using (customer_id)
        ),
        loyal as (
            select *,
                is_regular and case
                    when loyal_basis = 'share_of_wallet' then share_of_wallet >= $share
                    else months_in_window >= $months end as is_loyal
            from flags
        ),
        final as (
            select
                l.* exclude (loyal_basis, is_loyal),
                l.is_loyal,
                l.loyal_basis,
                case when (select known from advocacy_data)
                     then l.is_loyal and (l.referrals >= $referrals
                                          or coalesce(l.nps >= $nps, false))
                end as is_advocate
            from loyal l
        )
        select *,
            case when is_advocate then 'advocate'
                 when is_loyal then 'loyal'
                 when is_regular then 'regular'
                 when is_repeat then 'repeat'
                 else 'buyer' end as step
        from final
        order by customer_id
        """,
        {
            "ds": dataset_id,
            "as_of": as_of,
            "window": thresholds.regular_window_days,
            "repeat": thresholds.repeat_orders,
            "regular": thresholds.regular_orders,
            "share": thresholds.loyal_share_of_wallet,
            "months": thresholds.loyal_months,
            "nps": thresholds.advocate_nps,
            "referrals": thresholds.advocate_referrals,
        },
    ).fetchdf()


def ladder_counts(
    con: duckdb.DuckDBPyConnection,
    dataset_id: int,
    *,
    as_of: dt.date,
    thresholds: LadderThresholds = LadderThresholds(),
) -> pd.DataFrame:
    """The five cumulative steps.

    Columns: step (STEPS order), customers (reached at least this step; NULL for 'advocate'
    when unknown), on_step (stand exactly on it; NULL where unknown), share_of_buyers,
    conversion (customers / previous step's customers), loyal_by_share_of_wallet and
    loyal_by_regularity (on the 'loyal' row: how many loyal customers each basis produced).
    """
    steps = customer_steps(con, dataset_id, as_of=as_of, thresholds=thresholds)
    buyers = len(steps)
    advocacy_known = bool(steps["is_advocate"].notna().any()) if buyers else False
    reached = {
        "buyer": buyers,
        "repeat": int(steps["is_repeat"].sum()),
        "regular": int(steps["is_regular"].sum()),
        "loyal": int(steps["is_loyal"].sum()),
        "advocate": int(steps["is_advocate"].fillna(False).astype(bool).sum())
        if advocacy_known else None,
    }
    rows = []
    previous = None
    for i, step in enumerate(STEPS):
        count = reached[step]
        following = reached[STEPS[i + 1]] if i + 1 < len(STEPS) else 0
        rows.append({
            "step": step,
            "customers": count,
            # loyal-but-not-advocate is unknown when advocacy is
            "on_step": None if count is None or following is None else count - following,
            "share_of_buyers": None if count is None or not buyers else count / buyers,
            "conversion": None if count is None or not previous else count / previous,
        })
        previous = count
    frame = pd.DataFrame(rows)
    loyal = steps[steps["is_loyal"]] if buyers else steps
    frame["loyal_by_share_of_wallet"] = None
    frame["loyal_by_regularity"] = None
    frame.loc[frame["step"] == "loyal", "loyal_by_share_of_wallet"] = int(
        (loyal["loyal_basis"] == "share_of_wallet").sum())
    frame.loc[frame["step"] == "loyal", "loyal_by_regularity"] = int(
        (loyal["loyal_basis"] == "regularity").sum())
    return frame
