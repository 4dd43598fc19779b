"""Saved audiences and their exports, per dataset, in the workspace (tables of schema 4).

* ``audiences``: a name and its :class:`~retention.audiences.segment.Segment` definition (JSON),
  unique per dataset. The playbook's audiences are not stored: their names are reserved.
* ``audience_exports``: every export — when, of which audience, the rules as applied (the
  definition, the playbook and ladder settings), the options (channel, control share, seed,
  phone format, region), the as-of date and dataset version it read, the counts, the file name.
* ``audience_export_members``: who was on each exported list, and in which group.

So an export can be read out later (:mod:`retention.audiences.uplift`) against newer data, and
re-exported with the same rules (:func:`retention.audiences.campaign.reexport`). A load that
replaces a dataset's rows keeps all three; deleting the dataset deletes them.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import duckdb
import pandas as pd

from retention.audiences.export import CampaignList, ExportOptions
from retention.audiences.playbook import PLAYBOOK, PlaybookSettings
from retention.audiences.segment import Segment
from retention.cells import as_int
from retention.i18n import t
from retention.metrics.abc_xyz import AbcXyzSettings
from retention.metrics.ladder import LadderThresholds

# Where a dataset's playbook thresholds are saved (``Workspace.settings`` namespace), and where
# the ABC/XYZ page saves its cut-offs (retention.ui.saved_settings.ABC_XYZ_NAMESPACE), which the
# VIP audience's cells follow.
SETTINGS_NAMESPACE = "audiences"
ABC_XYZ_NAMESPACE = "abc_xyz"
MAX_NAME_LENGTH = 100


class ExportNotFound(LookupError):
    """No export with this id in the dataset."""


@dataclass(frozen=True)
class Rules:
    """Everything that decides who is on a list: the definition and the settings it is read
    with. Stored with each export, so a re-export applies exactly these again."""

    segment: Segment
    playbook: PlaybookSettings = PlaybookSettings()
    ladder: LadderThresholds = LadderThresholds()
    abc: AbcXyzSettings = AbcXyzSettings()

    def as_json(self) -> str:
        return json.dumps({"segment": json.loads(self.segment.as_json()),
                           "playbook": self.playbook.as_dict(),
                           "ladder": self.ladder.as_dict(), "abc_xyz": self.abc.as_dict()},
                          sort_keys=True, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Rules:
        raw = json.loads(text)
        return cls(Segment.from_json(json.dumps(raw.get("segment", {}))),
                   PlaybookSettings.from_dict(raw.get("playbook", {})),
                   LadderThresholds.from_settings(raw.get("ladder", {})),
                   AbcXyzSettings.from_dict(raw.get("abc_xyz", {})))


def check_name(name: str) -> str:
    """A saved audience's name, stripped; ValueError for an empty, too long or reserved one."""
    cleaned = name.strip()
    if not cleaned:
        raise ValueError(t("An audience needs a name."))
    if len(cleaned) > MAX_NAME_LENGTH:
        raise ValueError(t("An audience's name has at most {count} characters.",
                           count=MAX_NAME_LENGTH))
    if cleaned in PLAYBOOK:
        raise ValueError(t("{name!r} is a playbook audience; give yours another name.",
                           name=cleaned))
    return cleaned


def save_audience(con: duckdb.DuckDBPyConnection, dataset_id: int, name: str,
                  segment: Segment) -> int:
    """Save (or replace) the audience ``name`` of the dataset; returns its id."""
    cleaned = check_name(name)
    rows = con.execute(
        """
        insert into audiences (dataset_id, name, definition) values (?, ?, ?)
        on conflict (dataset_id, name) do update
            set definition = excluded.definition, updated_at = now()
        returning audience_id
        """,
        [dataset_id, cleaned, segment.as_json()],
    ).fetchall()
    return int(rows[0][0])


def delete_audience(con: duckdb.DuckDBPyConnection, dataset_id: int, name: str) -> bool:
    """Forget a saved audience (its exports stay, with the rules they were made with);
    whether there was one."""
    rows = con.execute("delete from audiences where dataset_id = ? and name = ? returning 1",
                       [dataset_id, name]).fetchall()
    return bool(rows)


def saved_audiences(con: duckdb.DuckDBPyConnection, dataset_id: int) -> dict[str, Segment]:
    """The dataset's saved audiences by name, in name order."""
    rows = con.execute(
        "select name, definition from audiences where dataset_id = ? order by name",
        [dataset_id]).fetchall()
    return {str(name): Segment.from_json(str(definition)) for name, definition in rows}


def audience_segment(con: duckdb.DuckDBPyConnection, dataset_id: int, name: str) -> Segment:
    """The definition called ``name``: a playbook audience, else a saved one; ValueError with
    a sentence listing the names there are."""
    if name in PLAYBOOK:
        return Segment(playbook=name)
    saved = saved_audiences(con, dataset_id)
    if name in saved:
        return saved[name]
    raise ValueError(t("There is no audience {name!r}; there are {names}.", name=name,
                       names=", ".join([*PLAYBOOK, *saved])))


def record_export(con: duckdb.DuckDBPyConnection, dataset_id: int, version: int,
                  campaign: CampaignList, rules: Rules, file_name: str | None) -> int:
    """Store an export and its members in one transaction; returns the export id."""
    con.execute("begin")
    try:
        export_id = int(con.execute(
            """
            insert into audience_exports (dataset_id, audience, definition, options,
                dataset_version, as_of, file_name, customers, exported, excluded_no_consent,
                excluded_no_contact, control, treatment)
            values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            returning export_id
            """,
            [dataset_id, campaign.audience, rules.as_json(),
             json.dumps(campaign.options.as_dict(), sort_keys=True), version, campaign.as_of,
             file_name, campaign.customers, campaign.exported, campaign.excluded_no_consent,
             campaign.excluded_no_contact, campaign.control, campaign.treatment],
        ).fetchall()[0][0])
        members = campaign.rows[["customer_id", "group"]].astype(str)
        con.register("audience_export_new", members)
        try:
            con.execute(
                'insert into audience_export_members select ?, ?, customer_id, "group"'
                " from audience_export_new", [export_id, dataset_id])
        finally:
            con.unregister("audience_export_new")
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return export_id


@dataclass(frozen=True)
class SavedExport:
    """One stored export, as :func:`saved_export` reads it."""

    export_id: int
    dataset_id: int
    audience: str
    rules: Rules
    options: ExportOptions
    dataset_version: int
    as_of: dt.date
    exported_at: dt.datetime
    file_name: str | None
    counts: dict[str, int]


def _export_from_row(row: dict[str, Any]) -> SavedExport:
    counts = {key: as_int(row[key]) for key in (
        "customers", "exported", "excluded_no_consent", "excluded_no_contact", "control",
        "treatment")}
    as_of = row["as_of"]
    return SavedExport(
        export_id=as_int(row["export_id"]), dataset_id=as_int(row["dataset_id"]),
        audience=str(row["audience"]), rules=Rules.from_json(str(row["definition"])),
        options=ExportOptions.from_dict(json.loads(str(row["options"]))),
        dataset_version=as_int(row["dataset_version"]),
        as_of=as_of.date() if isinstance(as_of, dt.datetime) else as_of,
        exported_at=pd.Timestamp(row["exported_at"]).to_pydatetime(),
        file_name=None if row["file_name"] is None else str(row["file_name"]), counts=counts)


def saved_export(con: duckdb.DuckDBPyConnection, dataset_id: int, export_id: int) -> SavedExport:
    """The export ``export_id`` of the dataset; :class:`ExportNotFound` with a sentence."""
    cursor = con.execute("select * from audience_exports where dataset_id = ? and export_id = ?",
                         [dataset_id, export_id])
    names = [d[0] for d in cursor.description or ()]
    rows = cursor.fetchall()
    if not rows:
        raise ExportNotFound(t("There is no export {export_id} of this dataset.",
                               export_id=export_id))
    return _export_from_row(dict(zip(names, rows[0], strict=True)))


def saved_exports(con: duckdb.DuckDBPyConnection, dataset_id: int) -> pd.DataFrame:
    """The dataset's exports, newest first: export_id, audience, channel, as_of, exported_at,
    file_name, customers, exported, excluded_no_consent, excluded_no_contact, control,
    treatment."""
    return con.execute(
        """
        select export_id, audience, json_extract_string(options, '$.channel') as channel,
               as_of, exported_at, file_name, customers, exported, excluded_no_consent,
               excluded_no_contact, control, treatment
        from audience_exports where dataset_id = ?
        order by export_id desc
        """, [dataset_id]).fetchdf()


def export_members(con: duckdb.DuckDBPyConnection, dataset_id: int,
                   export_id: int) -> pd.DataFrame:
    """Who was on export ``export_id``: customer_id, group; in customer-id order."""
    return con.execute(
        'select customer_id, "group" from audience_export_members'
        " where dataset_id = ? and export_id = ? order by customer_id",
        [dataset_id, export_id]).fetchdf()
