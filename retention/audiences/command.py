"""``python -m retention audience list|export|uplift`` (DESIGN §8): each prints one JSON object.

``retention.cli`` only registers the command (:func:`add_audience_command`); the work is here
and in :mod:`retention.audiences.campaign` and :mod:`retention.audiences.uplift`.
"""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

from retention.audiences.contacts import CHANNELS, PHONE_FORMATS, check_region
from retention.audiences.control import DEFAULT_CONTROL_SHARE, check_share
from retention.audiences.export import DEFAULT_WINDOW_DAYS
from retention.i18n import t
from retention.metrics.headline import default_as_of
from retention.store import Dataset, Workspace, open_workspace

PrintJson = Callable[[dict[str, Any]], None]


def _checked(check: Callable[[Any], Any], convert: Callable[[str], Any] = str,
             ) -> Callable[[str], Any]:
    """An argparse type: a value the check refuses is the command line's fault (exit 2)."""
    def parse(text: str) -> Any:
        try:
            return check(convert(text))
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from exc
    return parse


def _days(value: int) -> int:
    if value < 1:
        raise ValueError(t("The window must be at least 1 day, not {days}.", days=value))
    return value


def add_audience_command(commands: argparse._SubParsersAction[argparse.ArgumentParser],
                         print_json: PrintJson) -> None:
    """Register ``audience`` and its three subcommands; ``print_json`` prints the result."""
    audience = commands.add_parser("audience", help="campaign audiences: list, export a list, "
                                                    "read out its uplift")
    actions = audience.add_subparsers(dest="audience_command", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", help="workspace file (default: $RETENTION_DB or "
                                     "data/workspace.duckdb)")
    common.add_argument("--dataset", help="dataset name (may be left out when the workspace "
                                          "has one dataset)")

    listing = actions.add_parser("list", parents=[common],
                                 help="the playbook and saved audiences with their sizes")
    listing.add_argument("--as-of", type=dt.date.fromisoformat,
                         help="as-of date YYYY-MM-DD (default: the last transaction date)")
    listing.set_defaults(run=lambda args: _list(args, print_json))

    export = actions.add_parser("export", parents=[common],
                                help="write an audience's list (CSV, or XLSX for .xlsx) and "
                                     "record it")
    export.add_argument("--audience", required=True,
                        help="a playbook audience (win-back, second-purchase, vip, birthday, "
                             "referral-ask) or a saved one")
    export.add_argument("--channel", required=True, choices=CHANNELS)
    export.add_argument("--control", type=_checked(check_share, float),
                        default=DEFAULT_CONTROL_SHARE,
                        help="share of each ladder step kept as the control group "
                             "(default 0.1)")
    export.add_argument("--seed", type=int, default=0, help="the control group's seed")
    export.add_argument("--out", required=True, type=Path)
    export.add_argument("--as-of", type=dt.date.fromisoformat,
                        help="as-of date YYYY-MM-DD (default: the last transaction date)")
    export.add_argument("--phone-format", choices=PHONE_FORMATS, default="e164",
                        help="e164: +97688123456 (default); digits: 97688123456, for SMS "
                             "gateways that want no '+'")
    export.add_argument("--region", type=_checked(check_region),
                        help="country of phone numbers written without a country code, e.g. "
                             "RU, KZ, MN, AM, GE, UZ")
    export.set_defaults(run=lambda args: _export(args, print_json))

    uplift = actions.add_parser("uplift", parents=[common],
                                help="treatment against control after an export")
    uplift.add_argument("--export", required=True, type=int, dest="export_id")
    uplift.add_argument("--window-days", type=_checked(_days, int), default=DEFAULT_WINDOW_DAYS,
                        help="days after the export's as-of date (default 30)")
    uplift.set_defaults(run=lambda args: _uplift(args, print_json))


def _dataset(ws: Workspace, name: str | None) -> Dataset:
    if name is not None:
        return ws.dataset(name)
    datasets = ws.datasets()
    if len(datasets) != 1:
        raise ValueError(t("Name the dataset with --dataset; this workspace has {count}.",
                           count=len(datasets)))
    return datasets[0]


def _as_of(ws: Workspace, dataset: Dataset, day: dt.date | None) -> dt.date:
    day = day or default_as_of(ws.cursor(), dataset.dataset_id)
    if day is None:
        raise ValueError(t("Dataset {name!r} has no purchases to choose an audience from.",
                           name=dataset.name))
    return day


def _list(args: argparse.Namespace, print_json: PrintJson) -> int:
    from retention.audiences.campaign import audience_sizes, dataset_rules
    from retention.audiences.segment import Segment

    ws = open_workspace(args.db)
    dataset = _dataset(ws, args.dataset)
    rules = dataset_rules(ws, dataset.dataset_id, Segment())
    sizes = audience_sizes(ws.cursor(), dataset.dataset_id,
                           as_of=_as_of(ws, dataset, args.as_of), settings=rules)
    print_json({"audiences": sizes})
    return 0


def _export(args: argparse.Namespace, print_json: PrintJson) -> int:
    from retention.audiences.campaign import export_audience
    from retention.audiences.export import ExportOptions

    ws = open_workspace(args.db)
    dataset = _dataset(ws, args.dataset)
    options = ExportOptions(args.channel, args.control, args.seed, args.phone_format,
                            args.region)
    result = export_audience(ws, dataset.dataset_id, args.audience, options, args.out,
                             as_of=_as_of(ws, dataset, args.as_of))
    print_json(result.as_json())
    return 0


def _uplift(args: argparse.Namespace, print_json: PrintJson) -> int:
    from retention.audiences.saved import ExportNotFound
    from retention.audiences.uplift import uplift

    ws = open_workspace(args.db)
    dataset = _dataset(ws, args.dataset)
    try:
        readout = uplift(ws.cursor(), dataset.dataset_id, args.export_id,
                         window_days=args.window_days)
    except ExportNotFound as exc:
        raise ValueError(str(exc)) from exc
    print_json(readout.as_json())
    return 0
