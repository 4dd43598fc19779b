"""From an audience's name to a written, recorded list: what the command line and the page
both run, so a list is the same whoever makes it.

:func:`build_list` reads the base as of D (with churn scores when the audience needs them and a
model can be fitted), selects the members and makes the campaign list;
:func:`export_audience` also writes the file and records the export; :func:`reexport` applies
a recorded export's rules and options again to the data as it is now.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from retention.audiences.base import customer_base
from retention.audiences.control import baseline_rate
from retention.audiences.export import (
    DEFAULT_WINDOW_DAYS,
    CampaignList,
    ExportOptions,
    campaign_file,
    campaign_list,
)
from retention.audiences.playbook import PLAYBOOK, PlaybookSettings
from retention.audiences.saved import (
    ABC_XYZ_NAMESPACE,
    SETTINGS_NAMESPACE,
    Rules,
    audience_segment,
    record_export,
    saved_audiences,
    saved_export,
)
from retention.audiences.segment import Segment, segment_members
from retention.metrics.abc_xyz import AbcXyzSettings
from retention.metrics.ladder import SETTINGS_NAMESPACE as LADDER_NAMESPACE
from retention.metrics.ladder import LadderThresholds
from retention.models.base import ModelFitError
from retention.models.churn import ValueSettings, customer_scores, default_margin, fit_churn_model
from retention.store import Workspace, read_dataset

DEFAULT_RULES = Rules(Segment())
# Tried when the plain fit does not settle, as the churn page does (retention.ui.data.churn).
FALLBACK_L2 = 0.001


def dataset_rules(ws: Workspace, dataset_id: int, segment: Segment) -> Rules:
    """``segment`` with the dataset's saved playbook, ladder and ABC/XYZ settings (the pages'
    own, so a list matches what they show)."""
    return Rules(segment, PlaybookSettings.from_dict(ws.settings(dataset_id, SETTINGS_NAMESPACE)),
                 LadderThresholds.from_settings(ws.settings(dataset_id, LADDER_NAMESPACE)),
                 AbcXyzSettings.from_dict(ws.settings(dataset_id, ABC_XYZ_NAMESPACE)))


def churn_scores(con: duckdb.DuckDBPyConnection, dataset_id: int, *,
                 as_of: dt.date) -> pd.DataFrame | None:
    """Every buyer's churn scores from a model fitted up to ``as_of`` with the dataset's
    margin, as the churn page fits it; None when no model can be fitted."""
    model = None
    for l2 in (0.0, FALLBACK_L2):
        try:
            model = fit_churn_model(con, dataset_id, calibration_end=as_of, l2=l2)
            break
        except ModelFitError:
            continue
    if model is None:
        return None
    margin, _ = default_margin(con, dataset_id, as_of=as_of)
    return customer_scores(model, value=ValueSettings(margin=margin))


def _portrait_assignments(con: duckdb.DuckDBPyConnection, dataset_id: int, *, as_of: dt.date,
                          ladder: LadderThresholds) -> pd.DataFrame | None:
    """The portraits' assignments drawn with the default settings; None when they cannot be
    drawn."""
    # imported here: scikit-learn costs every list without portraits seconds to load
    from retention.models.portraits import PortraitError, customer_portraits

    try:
        return customer_portraits(con, dataset_id, as_of=as_of, thresholds=ladder).assignments
    except PortraitError:
        return None


def audience_members(con: duckdb.DuckDBPyConnection, dataset_id: int, rules: Rules, *,
                     as_of: dt.date, scores: pd.DataFrame | None = None,
                     portraits: pd.DataFrame | None = None) -> pd.DataFrame:
    """The members of ``rules.segment`` as of D (with their reasons).

    Without ``scores``, a model is fitted when the segment needs P(alive) (win-back falls back
    to order gaps when none can be); without ``portraits``, they are drawn with the default
    settings when the segment names portraits.
    """
    segment = rules.segment
    if scores is None and (segment.needs_model or segment.playbook == "win-back"):
        scores = churn_scores(con, dataset_id, as_of=as_of)
    if portraits is None and segment.portraits:
        portraits = _portrait_assignments(con, dataset_id, as_of=as_of, ladder=rules.ladder)
    base = customer_base(con, dataset_id, as_of=as_of, ladder=rules.ladder, abc=rules.abc,
                         top_share=rules.playbook.win_back_top_share, scores=scores,
                         portraits=portraits)
    return segment_members(con, dataset_id, base, segment, ladder=rules.ladder,
                           playbook=rules.playbook)


def build_list(con: duckdb.DuckDBPyConnection, dataset_id: int, audience: str, rules: Rules,
               options: ExportOptions, *, as_of: dt.date, scores: pd.DataFrame | None = None,
               portraits: pd.DataFrame | None = None,
               window_days: int = DEFAULT_WINDOW_DAYS) -> CampaignList:
    """The campaign list of ``audience`` (its name, for the file) by ``rules`` as of D."""
    members = audience_members(con, dataset_id, rules, as_of=as_of, scores=scores,
                               portraits=portraits)
    rate = baseline_rate(con, dataset_id, as_of=as_of, window_days=window_days)
    return campaign_list(members, audience, options, as_of=as_of, baseline_rate=rate)


@dataclass(frozen=True)
class ExportResult:
    """A written and recorded list."""

    campaign: CampaignList
    export_id: int
    file: Path

    def as_json(self) -> dict[str, object]:
        """The ``audience export`` command's JSON (DESIGN §8)."""
        return {"audience": self.campaign.audience, **self.campaign.counts(),
                "export_id": self.export_id, "file": str(self.file)}


def _write_and_record(ws: Workspace, dataset_id: int, campaign: CampaignList, rules: Rules,
                      out: Path) -> ExportResult:
    """Write the file, then record the export (a file that cannot be written records
    nothing); the version recorded is the one the list was read from."""
    out.write_bytes(campaign_file(campaign.rows, out.name))
    con = ws.cursor()
    version = read_dataset(con, dataset_id).version
    export_id = record_export(con, dataset_id, version, campaign, rules, out.name)
    return ExportResult(campaign, export_id, out)


def export_audience(ws: Workspace, dataset_id: int, audience: str, options: ExportOptions,
                    out: Path, *, as_of: dt.date) -> ExportResult:
    """Export the playbook or saved audience ``audience`` as of D to ``out`` (XLSX for
    ``.xlsx``, else CSV) and record it."""
    con = ws.cursor()
    rules = dataset_rules(ws, dataset_id, audience_segment(con, dataset_id, audience))
    campaign = build_list(con, dataset_id, audience, rules, options, as_of=as_of)
    return _write_and_record(ws, dataset_id, campaign, rules, out)


def list_again(con: duckdb.DuckDBPyConnection, dataset_id: int, export_id: int, *,
               as_of: dt.date) -> tuple[CampaignList, Rules]:
    """What export ``export_id`` exported — the same definition, settings and options
    (channel, control share, seed, phones) — drawn again from the data up to D, with those
    rules (to record it by)."""
    earlier = saved_export(con, dataset_id, export_id)
    campaign = build_list(con, dataset_id, earlier.audience, earlier.rules, earlier.options,
                          as_of=as_of)
    return campaign, earlier.rules


def reexport(ws: Workspace, dataset_id: int, export_id: int, out: Path, *,
             as_of: dt.date) -> ExportResult:
    """:func:`list_again`, written to ``out`` and recorded as a new export."""
    campaign, rules = list_again(ws.cursor(), dataset_id, export_id, as_of=as_of)
    return _write_and_record(ws, dataset_id, campaign, rules, out)


def audience_sizes(con: duckdb.DuckDBPyConnection, dataset_id: int, *, as_of: dt.date,
                   settings: Rules = DEFAULT_RULES) -> list[dict[str, object]]:
    """Every playbook and saved audience with its members as of D (before consent), the
    playbook first: [{name, customers}] (None for a saved one this data cannot select, such
    as one on P(alive) without a model). ``settings``: the playbook, ladder and ABC/XYZ
    settings (its segment is not used). A model is fitted once, for those that need it."""
    playbook, ladder = settings.playbook, settings.ladder
    segments = {name: Segment(playbook=name) for name in PLAYBOOK}
    segments.update(saved_audiences(con, dataset_id))
    needs_model = any(s.needs_model or s.playbook == "win-back" for s in segments.values())
    scores = churn_scores(con, dataset_id, as_of=as_of) if needs_model else None
    portraits = None
    if any(s.portraits for s in segments.values()):
        portraits = _portrait_assignments(con, dataset_id, as_of=as_of, ladder=ladder)
    base = customer_base(con, dataset_id, as_of=as_of, ladder=ladder, abc=settings.abc,
                         top_share=playbook.win_back_top_share, scores=scores,
                         portraits=portraits)
    sizes: list[dict[str, object]] = []
    for name, segment in segments.items():
        try:
            members = segment_members(con, dataset_id, base, segment, ladder=ladder,
                                      playbook=playbook)
            sizes.append({"name": name, "customers": len(members)})
        except ValueError:
            # a saved segment that needs a model or portraits this data cannot give
            sizes.append({"name": name, "customers": None})
    return sizes
