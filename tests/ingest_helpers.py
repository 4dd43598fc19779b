"""Small helpers shared by the ingestion tests: a fresh workspace and a snapshot of its state."""

from __future__ import annotations

from pathlib import Path

from retention.store import Workspace, close_workspace, open_workspace


def fresh_workspace(tmp_path: Path, name: str = "ws.duckdb") -> Workspace:
    path = tmp_path / name
    close_workspace(path)
    return open_workspace(path)


def snapshot(ws: Workspace) -> dict[str, list[tuple]]:
    """Everything a failed load must leave untouched, as plain rows."""
    con = ws.cursor()
    return {
        table: con.execute(f"select * from {table} order by all").fetchall()
        for table in ("datasets", "transactions", "customers", "rejects", "loads")
    }


def write(tmp_path: Path, name: str, content: str | bytes, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    if isinstance(content, str):
        content = content.encode(encoding)
    path.write_bytes(content)
    return path


def transactions(ws: Workspace, dataset_id: int) -> list[tuple]:
    """(line, customer_id, date, amount, is_return, order_key) ordered by line."""
    return ws.cursor().execute(
        "select line, customer_id, date, amount::double, is_return, order_key"
        " from transactions where dataset_id = ? order by line", [dataset_id]
    ).fetchall()
