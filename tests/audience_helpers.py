"""Hand-made datasets for the audience tests: orders and customers written straight into a
workspace, so every number a test asserts can be checked on paper."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from retention.store import Workspace

CUSTOMER_FIELDS = ("birth_date", "city", "email", "phone", "email_opt_in", "sms_opt_in",
                   "first_name", "last_name", "referred_by", "nps")


def make_dataset(
    ws: Workspace,
    orders: Iterable[tuple[str, str, float]],
    customers: Mapping[str, Mapping[str, Any]] = {},
    *,
    name: str = "shop",
    channel: Mapping[str, str] = {},
    category: Mapping[str, str] = {},
) -> int:
    """A dataset of one line per order (customer id, YYYY-MM-DD, amount; a negative amount is
    a return) and the given customer attributes; ``channel`` / ``category``: the customer's
    lines' channel and category. Returns the dataset id."""
    con = ws.cursor()
    dataset_id = int(con.execute(
        "insert into datasets (name, currency) values (?, 'USD') returning dataset_id", [name]
    ).fetchall()[0][0])
    for number, (customer, day, amount) in enumerate(orders, start=1):
        con.execute(
            "insert into transactions (dataset_id, line, customer_id, date, amount, is_return,"
            " order_key, order_id, channel, category) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [dataset_id, number, customer, dt.date.fromisoformat(day), amount, amount < 0,
             f"O{number}", f"O{number}", channel.get(customer), category.get(customer)])
    for customer, values in customers.items():
        unknown = set(values) - set(CUSTOMER_FIELDS)
        assert not unknown, unknown
        columns = ["dataset_id", "customer_id", *values]
        con.execute(
            f"insert into customers ({', '.join(columns)}) values "
            f"({', '.join('?' for _ in columns)})",
            [dataset_id, customer, *values.values()])
    ws.rebuild_derived(con, dataset_id)
    return dataset_id


def add_orders(ws: Workspace, dataset_id: int, orders: Iterable[tuple[str, str, float]]) -> None:
    """More orders for the dataset (a later load), the version raised as a load raises it."""
    con = ws.cursor()
    start = int(con.execute("select count(*) from transactions where dataset_id = ?",
                            [dataset_id]).fetchall()[0][0])
    for number, (customer, day, amount) in enumerate(orders, start=start + 1):
        con.execute(
            "insert into transactions (dataset_id, line, customer_id, date, amount, is_return,"
            " order_key, order_id) values (?, ?, ?, ?, ?, ?, ?, ?)",
            [dataset_id, number, customer, dt.date.fromisoformat(day), amount, amount < 0,
             f"O{number}", f"O{number}"])
    ws.rebuild_derived(con, dataset_id)
    con.execute("update datasets set version = version + 1 where dataset_id = ?", [dataset_id])
