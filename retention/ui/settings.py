"""Saved page settings that other pages reuse, as plain values fit for cache keys."""

from __future__ import annotations

from typing import Any

from retention.metrics.ladder import SETTINGS_NAMESPACE as LADDER_NAMESPACE
from retention.metrics.ladder import LadderThresholds
from retention.ui.context import Context

Thresholds = tuple[tuple[str, Any], ...]


def ladder_thresholds(ctx: Context) -> Thresholds:
    """The Ladder page's saved thresholds for the active dataset as sorted (name, value) pairs,
    so every page that shows ladder steps uses the steps the Ladder page shows."""
    assert ctx.dataset is not None
    saved = ctx.workspace.settings(ctx.dataset.dataset_id, LADDER_NAMESPACE)
    return tuple(sorted(LadderThresholds.from_settings(saved).as_dict().items()))
