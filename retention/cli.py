"""``python -m retention …``: the command-line contract of DESIGN §5.

Scripts and schedulers depend on it: each command prints one JSON object on stdout and exits 0,
or prints a sentence on stderr and exits non-zero (1: the data or file is at fault, 2: the
command line is). Progress goes to stderr so stdout stays machine-readable.

Numbers in the JSON carry full precision: a script rounds for display, the contract does not.

While the dashboard runs it holds its workspace open, and DuckDB lets one program at a time
open a file, so every command on that workspace fails; the sentence then says which program
holds it and where a file can be loaded instead (the dashboard's Data page and its import
folder).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from retention import benchmark
from retention.audiences.command import add_audience_command
from retention.i18n import t
from retention.import_folder import import_dir
from retention.ingest import DATE_FORMATS, ENCODINGS, IngestError, ReadOptions, load_file
from retention.ingest.customers import ingest_customers
from retention.ingest.loader import detect_options, prepare
from retention.loyalty import PROGRAMME_TYPES, LoyaltyProgramme
from retention.metrics.headline import default_as_of
from retention.registry import Registry, Role, normalise_email
from retention.store import (
    Dataset,
    DatasetNotFound,
    WorkspaceInUse,
    WorkspaceUnavailable,
    close_workspace,
    export_parquet,
    open_workspace,
)
from retention.summary import dataset_summary


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return int(args.run(args))
    except WorkspaceInUse as exc:
        print(f"error: {_in_use_sentence(exc)}", file=sys.stderr)
        return 1
    except (IngestError, DatasetNotFound, WorkspaceUnavailable, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        close_workspace(getattr(args, "db", None))


def _in_use_sentence(exc: WorkspaceInUse) -> str:
    """One sentence: who holds the workspace, and what to do instead."""
    holder = (t("another program (PID {pid})", pid=exc.pid) if exc.pid is not None
              else t("another program"))
    return t(
        "The workspace {path} is held by {holder}, most likely the running dashboard, and "
        "DuckDB lets only one program at a time open it: load the file on the dashboard's Data "
        "page instead (a big one: copy it to {folder} and pick it under “Files on the "
        "server”), or stop the dashboard first, or give this command another workspace with "
        "--db.",
        path=exc.path, holder=holder, folder=import_dir(exc.path),
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m retention", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    ingest = commands.add_parser("ingest", help="load a purchase file into a dataset")
    ingest.add_argument("path", type=Path)
    ingest.add_argument("--db", help="workspace file (default: $RETENTION_DB or "
                                     "data/workspace.duckdb)")
    ingest.add_argument("--dataset", help="dataset name (default: the file name without suffix)")
    ingest.add_argument("--map", action="append", default=[], metavar="ROLE=HEADER",
                        help="use column HEADER for ROLE (repeatable), e.g. customer_id=column2")
    mode = ingest.add_mutually_exclusive_group()
    mode.add_argument("--replace", action="store_true", help="replace the dataset's rows")
    mode.add_argument("--append", action="store_true",
                      help="add rows; rows already present (same order id, or identical rows "
                           "without order ids) are skipped")
    ingest.add_argument("--currency", help="ISO currency code, e.g. USD, RUB, UZS")
    ingest.add_argument("--encoding", choices=sorted(ENCODINGS), help="override detection")
    ingest.add_argument("--delimiter", help="override detection: , ; | tab or whitespace")
    ingest.add_argument("--decimal", choices=[".", ","], help="override detection")
    ingest.add_argument("--date-format", choices=sorted(DATE_FORMATS), help="override detection")
    header = ingest.add_mutually_exclusive_group()
    header.add_argument("--header", dest="header", action="store_true", default=None)
    header.add_argument("--no-header", dest="header", action="store_false")
    ingest.add_argument("--skip-rows", type=int, help="title lines above the table")
    ingest.add_argument("--sheet", help="Excel sheet name (default: the first)")
    ingest.set_defaults(run=_ingest)

    customers = commands.add_parser("ingest-customers", help="merge a customer file (one row "
                                    "per customer) into a dataset's customers")
    customers.add_argument("path", type=Path)
    customers.add_argument("--dataset", required=True)
    customers.add_argument("--db")
    customers.add_argument("--map", action="append", default=[], metavar="ROLE=HEADER",
                           help="use column HEADER for ROLE (repeatable), e.g. email=E-mail")
    customers.set_defaults(run=_ingest_customers)

    summary = _dataset_command(
        commands, "summary", "headline numbers of a dataset as JSON", day_option="--as-of",
        day_help=AS_OF_HELP, window_help="activity window W in days (default 90)")
    summary.set_defaults(run=_summary)

    fit = _dataset_command(
        commands, "fit", "fit the BG/NBD and Gamma-Gamma models (weeks)",
        day_option="--calibration-end",
        day_help="fit on purchases up to this day, YYYY-MM-DD (default: the last transaction "
                 "date not after today)")
    fit.add_argument("--l2", type=float, default=0.0,
                     help="L2 penalty on the log-parameters (default 0; 0.001 steadies a fit on "
                          "data with few repeat buyers)")
    fit.set_defaults(run=_fit)

    sample = commands.add_parser("sample", help="write the synthetic sample purchase file")
    sample.add_argument("--out", required=True, type=Path)
    sample.add_argument("--customers", type=int, default=3000)
    sample.add_argument("--seed", type=int, default=42)
    sample.set_defaults(run=_sample)

    loyalty = _dataset_command(
        commands, "loyalty", "replay and project a loyalty programme", day_option="--as-of",
        day_help=AS_OF_HELP,
        window_help="activity window W in days for the baseline (default 90)")
    loyalty.add_argument("--programme", required=True, choices=PROGRAMME_TYPES)
    loyalty.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                         dest="settings",
                         help="a programme parameter (repeatable), e.g. cashback_rate=0.03 or "
                              "tier_thresholds=1000,5000; the names are DESIGN §7's")
    loyalty.add_argument("--months", type=int, help="projection horizon (default 24)")
    loyalty.set_defaults(run=_loyalty)
    export = commands.add_parser(
        "export-parquet", help="write every table of a workspace to one Parquet file each, a "
        "folder that --db of the reading commands takes as a read-only workspace")
    export.add_argument("--db", help="workspace file (default: $RETENTION_DB or "
                                     "data/workspace.duckdb)")
    export.add_argument("--out", required=True, type=Path, help="the folder to write")
    export.set_defaults(run=_export_parquet)
    _admin_commands(commands)
    add_audience_command(commands, _print_json)
    benchmark.add_parser(commands)
    return parser


AS_OF_HELP = "as-of date YYYY-MM-DD (default: the last transaction date not after today)"


def _dataset_command(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], name: str, help_text: str,
    *, day_option: str, day_help: str, window_help: str | None = None,
) -> argparse.ArgumentParser:
    """A command reading one dataset of a workspace up to a day: ``--dataset``, ``--db``, the
    day's option (YYYY-MM-DD) and, with ``window_help``, ``--window-days``."""
    command = commands.add_parser(name, help=help_text)
    command.add_argument("--dataset", required=True)
    command.add_argument("--db")
    command.add_argument(day_option, type=dt.date.fromisoformat, help=day_help)
    if window_help is not None:
        command.add_argument("--window-days", type=int, default=90, help=window_help)
    return command


def _parse_map(pairs: list[str]) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for pair in pairs:
        role, sep, header = pair.partition("=")
        if not sep or not role.strip():
            raise ValueError(f"--map expects ROLE=HEADER, got {pair!r}")
        mapping[role.strip()] = header
    return mapping


def _ingest(args: argparse.Namespace) -> int:
    options = _read_options(args)
    mode = "replace" if args.replace else "append" if args.append else "new"
    ws = open_workspace(args.db)
    report = load_file(
        ws, args.path, dataset=args.dataset, options=options, mapping=_parse_map(args.map),
        mode=mode, currency=args.currency,
        progress=lambda msg: print(msg, file=sys.stderr, flush=True),
    )
    for warning in report.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if report.rows_rejected:
        for row in report.rejects.itertuples(index=False):
            print(f"rejected: {row.rows} rows: {row.reason} (column {row.column!r}, e.g. line "
                  f"{row.example_line}: {row.example_value!r})", file=sys.stderr)
    _print_json(report.as_json())
    return 0


def _ingest_customers(args: argparse.Namespace) -> int:
    report = ingest_customers(
        open_workspace(args.db), args.path, dataset=args.dataset, mapping=_parse_map(args.map),
        progress=lambda msg: print(msg, file=sys.stderr, flush=True),
    )
    for warning in report.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    for row in report.reject_reasons().itertuples(index=False):
        print(f"rejected: {row.rows} rows: {row.reason} (column {row.column!r}, e.g. line "
              f"{row.example_line}: {row.example_value!r})", file=sys.stderr)
    _print_json(report.as_json())
    return 0


def _read_options(args: argparse.Namespace) -> ReadOptions | None:
    """Detected options with the command line's overrides, or None when nothing is overridden."""
    overrides: dict[str, Any] = {}
    if args.encoding:
        overrides["encoding"] = args.encoding
    if args.delimiter:
        overrides["delimiter"] = {"tab": "\t", "\\t": "\t"}.get(args.delimiter, args.delimiter)
    if args.decimal:
        overrides["decimal"] = args.decimal
    if args.date_format:
        overrides["date_format"] = args.date_format
    if args.header is not None:
        overrides["header"] = args.header
    if args.skip_rows is not None:
        overrides["skip_rows"] = args.skip_rows
    if args.sheet:
        overrides["sheet"] = args.sheet
    if not overrides:
        return None
    with prepare(args.path, encoding=overrides.get("encoding"), scan=False) as src:
        detected = detect_options(src)
    return ReadOptions(**{**detected.as_dict(), **overrides})


def _summary(args: argparse.Namespace) -> int:
    ws = open_workspace(args.db)
    dataset = ws.dataset(args.dataset)
    _print_json(dataset_summary(ws.cursor(), dataset, as_of=args.as_of,
                                window_days=args.window_days))
    return 0


def _export_parquet(args: argparse.Namespace) -> int:
    written = export_parquet(open_workspace(args.db, read_only=True), args.out)
    _print_json({"folder": str(args.out.resolve()), "tables": written})
    return 0


def _dataset_up_to(args: argparse.Namespace, day: dt.date | None,
                   purpose: str) -> tuple[duckdb.DuckDBPyConnection, Dataset, dt.date]:
    """The workspace's cursor, the named dataset and the day to read it up to: the day given,
    else the default as-of date; a sentence naming ``purpose`` when there is no purchase."""
    ws = open_workspace(args.db)
    dataset = ws.dataset(args.dataset)
    con = ws.cursor()
    day = day or default_as_of(con, dataset.dataset_id)
    if day is None:
        raise ValueError(f"Dataset {dataset.name!r} has no purchases to {purpose}.")
    return con, dataset, day


def _fit(args: argparse.Namespace) -> int:
    # imported here: scipy costs the other commands a second they do not need
    from retention.models import fit_churn_model

    con, dataset, end = _dataset_up_to(args, args.calibration_end, "fit a model to")
    model = fit_churn_model(con, dataset.dataset_id, calibration_end=end, l2=args.l2)
    if model.gamma_gamma is None:
        print(f"warning: spend per purchase was not modelled: {model.spend_note}",
              file=sys.stderr)
    _print_json(model.parameters())
    return 0


def _sample(args: argparse.Namespace) -> int:
    from retention.sample import write_sample_csv

    path = write_sample_csv(args.out, customers=args.customers, seed=args.seed)
    _print_json({"out": str(path), "customers": args.customers, "seed": args.seed})
    return 0


def _loyalty(args: argparse.Namespace) -> int:
    """The loyalty command: a bad --set is the command line's fault (exit 2), not the data's."""
    # imported here: the projection's scipy costs the other commands a second
    from retention.loyalty.simulation import simulate

    texts = {"programme": args.programme}
    for pair in args.settings:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            print(f"error: --set expects NAME=VALUE, got {pair!r}.", file=sys.stderr)
            return 2
        texts[name.strip()] = value
    if args.months is not None:
        texts["months"] = str(args.months)
    try:
        programme = LoyaltyProgramme.from_strings(texts)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    con, dataset, as_of = _dataset_up_to(args, args.as_of, "replay a programme on")
    simulation = simulate(con, dataset.dataset_id, programme, as_of=as_of,
                          window_days=args.window_days)
    _print_json(simulation.as_json())
    return 0


def _admin_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``admin …``: the registry of a hosted dashboard (DESIGN §9), for its first admin and for
    scripts. Each subcommand takes ``--registry`` and prints one JSON object."""
    admin = commands.add_parser("admin", help="manage the users and team workspaces of a "
                                              "hosted dashboard")
    actions = admin.add_subparsers(dest="admin_command", required=True)
    registry = argparse.ArgumentParser(add_help=False)
    registry.add_argument("--registry", help="registry file (default: $RETENTION_REGISTRY or "
                                             "data/registry.sqlite3)")

    add_user = actions.add_parser("add-user", parents=[registry], help="add a user")
    add_user.add_argument("email")
    add_user.add_argument("--password-stdin", action="store_true",
                          help="read the user's password from the first line of stdin "
                               "(without it the user signs in through an identity provider)")
    add_user.set_defaults(run=_admin_add_user)

    add_workspace = actions.add_parser("add-workspace", parents=[registry],
                                       help="add a team workspace and its empty DuckDB file")
    add_workspace.add_argument("name")
    add_workspace.set_defaults(run=_admin_add_workspace)

    grant = actions.add_parser("grant", parents=[registry],
                               help="make a user a member of a workspace, or change their role")
    grant.add_argument("email")
    grant.add_argument("workspace")
    grant.add_argument("--role", required=True, choices=[role.value for role in Role])
    grant.set_defaults(run=_admin_grant)

    revoke = actions.add_parser("revoke", parents=[registry],
                                help="remove a user (or their invitation) from a workspace")
    revoke.add_argument("email")
    revoke.add_argument("workspace")
    revoke.set_defaults(run=_admin_revoke)

    listing = actions.add_parser("list", parents=[registry],
                                 help="every user and workspace, with memberships and "
                                      "invitations")
    listing.set_defaults(run=_admin_list)


def _admin_add_user(args: argparse.Namespace) -> int:
    password = None
    if args.password_stdin:
        # one line, without its line end: a password may begin or end with spaces
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise ValueError("--password-stdin found no password on the first line of stdin.")
    user = Registry.open(args.registry).add_user(args.email, password)
    _print_json({"user": user.email, "has_password": user.has_password})
    return 0


def _admin_add_workspace(args: argparse.Namespace) -> int:
    workspace = Registry.open(args.registry).add_workspace(args.name)
    _print_json({"workspace": workspace.name, "db": str(workspace.db),
                 "id": workspace.workspace_id})
    return 0


def _admin_grant(args: argparse.Namespace) -> int:
    registry = Registry.open(args.registry)
    membership = registry.grant(args.email, args.workspace, args.role)
    _print_json({"user": normalise_email(args.email), "workspace": membership.workspace.name,
                 "role": membership.role.value})
    return 0


def _admin_revoke(args: argparse.Namespace) -> int:
    registry = Registry.open(args.registry)
    registry.revoke(args.email, args.workspace)
    _print_json({"user": normalise_email(args.email),
                 "workspace": registry.workspace(args.workspace).name, "revoked": True})
    return 0


def _admin_list(args: argparse.Namespace) -> int:
    _print_json(Registry.open(args.registry).listing())
    return 0


def _print_json(payload: dict[str, Any]) -> None:
    print(json.dumps(payload, default=_json_value, ensure_ascii=False))


def _json_value(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()[:10] if not isinstance(value, dt.datetime) or (
            value.time() == dt.time()) else value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if hasattr(value, "item"):  # numpy and pandas scalars
        return value.item()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
