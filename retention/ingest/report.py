"""What inspecting and loading a file return to the Data page and the command line."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from retention.ingest.reader import ReadOptions


@dataclass
class Inspection:
    """What a file looks like before loading: detected options, headers, preview, mapping."""

    name: str
    kind: str
    size: int
    sha256: str
    options: ReadOptions
    headers: list[str]
    preview: pd.DataFrame
    mapping: dict[str, str]
    date_formats: list[str]
    currency: str | None
    sheets: list[str] = field(default_factory=list)
    zip_member: str | None = None


@dataclass
class LoadReport:
    """What a load did. ``rejects`` groups rejected rows by reason with an example each."""

    dataset: str
    dataset_id: int
    version: int
    rows_loaded: int
    rows_rejected: int
    customers: int
    orders: int
    returns: int = 0
    rows_skipped_duplicate: int = 0
    already_loaded: bool = False
    date_format: str | None = None
    currency: str | None = None
    rejects: pd.DataFrame = field(default_factory=pd.DataFrame)
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def as_json(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset,
            "version": self.version,
            "rows_loaded": self.rows_loaded,
            "rows_rejected": self.rows_rejected,
            "customers": self.customers,
            "orders": self.orders,
            "returns": self.returns,
            "rows_skipped_duplicate": self.rows_skipped_duplicate,
            "already_loaded": self.already_loaded,
            "date_format": self.date_format,
            "currency": self.currency,
            "warnings": self.warnings,
            "seconds": round(self.seconds, 3),
        }
