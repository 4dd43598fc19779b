"""Parse and check every staged value in SQL: which staging column plays which role, how its
text becomes a number, date or flag, which rows are rejected and why, and what to warn about.

Values reach DuckDB only as parameters; the SQL text holds our own staging column names
(``c1``…) and fixed role names. Parsing lives in temp macros so the same rules serve every
column of a kind.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

import duckdb

from retention.i18n import t
from retention.ingest import sniff
from retention.ingest.errors import IngestError
from retention.ingest.reader import ReadOptions, column_ref
from retention.ingest.roles import ROLE_BY_NAME, ROLES

MIN_YEAR, MAX_YEAR = 1900, 2100
# A load stops rather than keep a small remainder when most rows fail on one required column.
MOSTLY_BAD = 0.5


@dataclass
class Plan:
    """Which staging column serves each role, and the parsing settings per column."""

    columns: dict[str, str]  # role -> staging column (c1…)
    headers: dict[str, str]  # role -> source header
    decimal: str
    date_formats: dict[str, sniff.DateFormat]  # date role -> format
    warnings: list[str] = field(default_factory=list)
    all_columns: list[str] = field(default_factory=list)


def make_plan(
    con: duckdb.DuckDBPyConnection, headers: list[str], roles: dict[str, str], opts: ReadOptions,
    dated: tuple[str, ...] = ("date",),
) -> Plan:
    """``dated``: the date roles the user's date format (``opts.date_format``) applies to; the
    others' formats are chosen from their values. A purchase file's choice is for the purchase
    date, a customer file's for its birth and sign-up dates."""
    columns = {role: column_ref(headers.index(h)) for role, h in roles.items()}
    plan = Plan(columns=columns, headers=dict(roles), decimal=opts.decimal, date_formats={},
                 all_columns=[column_ref(i) for i in range(len(headers))])
    _create_macros(con)
    for role, col in columns.items():
        if ROLE_BY_NAME[role].kind != "date":
            continue
        if opts.date_format != "auto" and role in dated:
            plan.date_formats[role] = sniff.DATE_FORMATS[opts.date_format]
        else:
            plan.date_formats[role] = _choose_date_format(con, col, roles[role], plan.warnings)
    return plan


def _create_macros(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("""
        create or replace temp macro num_clean(v, noise) as
            regexp_replace(trim(v), noise, '', 'gi')
    """)
    con.execute("""
        create or replace temp macro num_signed(s) as case
            when s like '(%)' then '-' || substr(s, 2, length(s) - 2)
            when length(s) > 1 and s like '%-' then '-' || substr(s, 1, length(s) - 1)
            else s end
    """)
    # Plain numbers ("12.50", or "12,50" with a decimal comma) take a direct cast; only the
    # rest pays for the regular expressions (3x faster on a typical export).
    con.execute("""
        create or replace temp macro parse_number_slow(v, noise, pattern, dec) as case
            when regexp_full_match(num_signed(num_clean(v, noise)), pattern) then try_cast(
                case when dec = ','
                     then replace(replace(num_signed(num_clean(v, noise)), '.', ''), ',', '.')
                     else replace(num_signed(num_clean(v, noise)), ',', '') end
                as decimal(18, 4))
            end
    """)
    con.execute("""
        create or replace temp macro parse_number(v, noise, pattern, dec) as coalesce(
            case when dec = '.' then try_cast(trim(v) as decimal(18, 4))
                 when not contains(v, '.') then try_cast(replace(trim(v), ',', '.')
                                                         as decimal(18, 4))
            end,
            parse_number_slow(v, noise, pattern, dec))
    """)
    con.execute("""
        create or replace temp macro parse_date(v, formats, serial) as case
            when serial then case when regexp_full_match(trim(v), '[1-9]\\d{4}(\\.\\d+)?')
                then timestamp '1899-12-30'
                     + to_microseconds(cast(round(cast(trim(v) as double) * 86400000000) as bigint))
                end
            else coalesce(
                -- ISO text is DuckDB's own timestamp format: a cast is much cheaper
                case when formats[1] = '%Y-%m-%d %H:%M:%S.%f'
                     then try_cast(trim(v) as timestamp) end,
                try_strptime(trim(v), formats)) end
    """)
    con.execute("""
        create or replace temp macro parse_bool(v) as case
            when lower(trim(v)) in ('true', 't', '1', 'yes', 'y', 'да', 'д', 'x', '+', 'on')
                then true
            when lower(trim(v)) in ('false', 'f', '0', 'no', 'n', 'нет', 'н', '-', 'off')
                then false
            end
    """)


def _date_params(fmt: sniff.DateFormat) -> dict[str, Any]:
    return {"formats": list(fmt.strptime) or ["%Y-%m-%d"], "serial": fmt.key == "excel_serial"}


def _choose_date_format(
    con: duckdb.DuckDBPyConnection, col: str, header: str, warnings: list[str]
) -> sniff.DateFormat:
    """The format that parses the most values of the whole column (not just the sample)."""
    sample = [r[0] for r in con.execute(
        f"select {col} from stage where nullif(trim({col}), '') is not null limit 500"
    ).fetchall()]
    candidates = sniff.date_candidates(sample)
    if len(candidates) == 1:
        return sniff.DATE_FORMATS[candidates[0]]
    if not candidates:
        candidates = list(sniff.DATE_FORMATS)
    best: tuple[int, sniff.DateFormat] | None = None
    counts: dict[str, int] = {}
    for key in candidates:
        fmt = sniff.DATE_FORMATS[key]
        params = _date_params(fmt)
        n = con.execute(
            f"select count(parse_date({col}, $formats, $serial)) from stage", params
        ).fetchall()[0][0]
        counts[key] = n
        if best is None or n > best[0]:
            best = (n, fmt)
    assert best is not None
    if (
        {"dmy_slash", "mdy_slash"} <= counts.keys()
        and counts["dmy_slash"] == counts["mdy_slash"] == best[0] > 0
    ):
        warnings.append(
            t("Dates in {header!r} could be day/month or month/day (no day above 12 was found); "
              "they were read as day/month. Change 'Date format' if that is wrong.",
              header=header)
        )
        return sniff.DATE_FORMATS["dmy_slash"]
    return best[1]


def _role_expr(plan: Plan, role: str) -> str:
    """SQL for a role's parsed value (NULL when unmapped)."""
    col = plan.columns.get(role)
    kind = ROLE_BY_NAME[role].kind
    if col is None:
        return "null"
    if kind == "text":
        return f"nullif(trim({col}), '')"
    if kind in ("number", "integer"):
        return f"parse_number({col}, $noise, $pattern, $dec)"
    if kind == "date":
        return f"parse_date({col}, $fmt_{role}, $serial_{role})"
    if kind == "boolean":
        return f"parse_bool({col})"
    raise AssertionError(kind)


def _params(plan: Plan) -> dict[str, Any]:
    params: dict[str, Any] = {
        "noise": sniff.NUMBER_NOISE,
        "pattern": sniff.NUMBER_PATTERNS[plan.decimal],
        "dec": plan.decimal,
    }
    for role, fmt in plan.date_formats.items():
        p = _date_params(fmt)
        params[f"fmt_{role}"] = p["formats"]
        params[f"serial_{role}"] = p["serial"]
    return params


def _raw(plan: Plan, role: str) -> str:
    col = plan.columns.get(role)
    return f"{col}" if col else "null::varchar"


def build_canonical(con: duckdb.DuckDBPyConnection, plan: Plan) -> None:
    """Temp table ``canon``: every staged row with raw and parsed values of every role."""
    parsed = ",\n".join(
        f"{_role_expr(plan, r.name)} as {r.name}, {_raw(plan, r.name)} as raw_{r.name}"
        for r in ROLES if r.name not in ("customer_id",)
    )
    derived = "amount" not in plan.columns
    all_cols = ", ".join(plan.all_columns) or "line"
    sql = f"""
        create or replace temp table canon as
        with parsed as (
            select line,
                   -- ids exported from a float column ("17850.0") lose the ".0"
                   case when contains({_raw(plan, 'customer_id')}, '.')
                        then regexp_replace(trim({_raw(plan, 'customer_id')}),
                                            '^(\\d+)\\.0+$', '\\1')
                        else nullif(trim({_raw(plan, 'customer_id')}), '') end as customer_id,
                   {_raw(plan, 'customer_id')} as raw_customer_id,
                   {parsed},
                   nullif(trim(overflow), '') as overflow,
                   -- a 64-bit hash of the whole line finds exact repeats (check_rows): a
                   -- group-by on it there is cheaper than a window partitioned on it here
                   hash({all_cols}) as line_hash
            from stage
            where coalesce({" , ".join(f"nullif(trim({c}), '')" for c in plan.all_columns)
                            or "null"}) is not null
        )
        select * replace (
            {"round(quantity * unit_price, 4)::decimal(18, 4)" if derived else "amount"}
                as amount,
            -- out-of-range scores are left empty (and reported as unreadable values)
            case when nps between 0 and 10 and nps = round(nps) then nps end as nps,
            case when share_of_wallet between 0 and 1 then share_of_wallet
                 when share_of_wallet > 1 and share_of_wallet <= 100 then share_of_wallet / 100
                 end as share_of_wallet,
            case when age between 0 and 120 then round(age) end as age
        ) from parsed
    """
    # DuckDB refuses parameters the statement does not use: a customer file may map no number
    # or date at all
    con.execute(sql, {k: v for k, v in _params(plan).items() if f"${k}" in sql})


@dataclass
class Checks:
    rejects_sql: list[tuple[str, str | None, str, str]]  # (condition, header, raw column, reason)
    warnings: list[str]


def check_rows(con: duckdb.DuckDBPyConnection, plan: Plan, now: datetime) -> Checks:
    """Which rows are rejected and why; stop the load when a required column is mostly bad."""
    h = plan.headers
    derived = "amount" not in plan.columns
    date_label = plan.date_formats["date"].label
    rules: list[tuple[str, str | None, str, str]] = [
        ("overflow is not null", None, "overflow",
         t("the line has more fields than the header; check the delimiter or quoting")),
        ("customer_id is null", h["customer_id"], "raw_customer_id", t("no customer id")),
        ("date is null and nullif(trim(raw_date), '') is null", h["date"], "raw_date",
         t("no date")),
        ("date is null and nullif(trim(raw_date), '') is not null", h["date"], "raw_date",
         t("the date is not understood as {fmt}", fmt=date_label)),
        (f"date is not null and (year(date) < {MIN_YEAR} or year(date) > {MAX_YEAR})",
         h["date"], "raw_date",
         t("the date is out of range (years {lo}–{hi}); a two-digit year?", lo=MIN_YEAR,
           hi=MAX_YEAR)),
    ]
    if derived:
        for role in ("quantity", "unit_price"):
            rules.append((f"{role} is null", h[role], f"raw_{role}",
                          t("not a number (needed for the amount = quantity × unit price)")))
    else:
        rules += [
            ("amount is null and nullif(trim(raw_amount), '') is null", h["amount"],
             "raw_amount", t("no amount")),
            ("amount is null and nullif(trim(raw_amount), '') is not null", h["amount"],
             "raw_amount", t("the amount is not a number")),
        ]
    total = con.execute("select count(*) from canon").fetchall()[0][0]
    if total == 0:
        raise IngestError(t("The file has no data rows: there is nothing to load."))
    for role, what in (("date", t("dates")), ("amount", t("numbers"))):
        header = h.get(role) or h.get("unit_price")
        bad = con.execute(
            f"select count(*) from canon where {role} is null"
        ).fetchall()[0][0]
        if bad > MOSTLY_BAD * total:
            examples = con.execute(
                f"select line, raw_{role if role == 'date' or not derived else 'unit_price'}"
                f" from canon where {role} is null order by line limit 3"
            ).fetchall()
            shown = "; ".join(f"line {line}: {value!r}" for line, value in examples)
            raise IngestError(
                t("Column {header!r} could not be read as {what} in {bad} of {total} rows "
                  "({shown}). Nothing was loaded. Check that the right column is mapped to "
                  "{role}, and the date format and decimal separator under 'Reading options'.",
                  header=header, what=what, bad=f"{bad:,}", total=f"{total:,}", shown=shown,
                  role=ROLE_BY_NAME[role].label)
            )
    return Checks(rejects_sql=rules, warnings=_warnings(con, plan, now))


def _warnings(con: duckdb.DuckDBPyConnection, plan: Plan, now: datetime) -> list[str]:
    warnings = list(plan.warnings)
    # "after today" by whole days: the default as-of date is at most today, and a day counts
    # whole, so a row dated later today is in today's numbers, not in the future.
    tomorrow = datetime.combine(now.date() + timedelta(days=1), time())
    future = con.execute(
        "select count(*), list(line order by line)[1:3] from canon where date >= ?", [tomorrow]
    ).fetchall()[0]
    if future[0]:
        warnings.append(
            t("{n} rows are dated after today ({today}), e.g. lines {lines}. They are loaded, "
              "and left out of every number until their date comes, unless you move the as-of "
              "date past them.",
              n=f"{future[0]:,}", today=now.date().isoformat(),
              lines=", ".join(map(str, future[1])))
        )
    dupes = con.execute("""
        with repeated as (
            select line_hash, min(line) as first_copy
            from canon group by line_hash having count(*) > 1
        )
        select count(*), list(c.line || ' = line ' || r.first_copy order by c.line)[1:3]
        from canon c join repeated r using (line_hash)
        where c.line <> r.first_copy
    """).fetchall()[0]
    if dupes[0]:
        warnings.append(
            t("{n} rows repeat an earlier row exactly ({examples}). They were kept: the same "
              "purchase twice can be genuine. If your export doubled them, remove the copies "
              "and load again with 'replace'.", n=f"{dupes[0]:,}",
              examples="; ".join(f"line {x}" for x in dupes[1]))
        )
    for role in ROLES:
        if role.required or role.name not in plan.columns or role.kind == "text":
            continue
        if role.name in ("quantity", "unit_price") and "amount" not in plan.columns:
            continue
        bad = con.execute(
            f"select count(*), list(line order by line)[1:3], list(raw_{role.name} order by line)"
            f"[1:3] from canon where {role.name} is null"
            f" and nullif(trim(raw_{role.name}), '') is not null"
        ).fetchall()[0]
        if bad[0]:
            shown = "; ".join(f"line {ln}: {v!r}" for ln, v in zip(bad[1], bad[2], strict=False))
            warnings.append(
                t("{n} values in {header!r} ({role}) could not be read and were left empty "
                  "({shown}); the rows themselves were loaded.", n=f"{bad[0]:,}",
                  header=plan.headers[role.name], role=t(role.label), shown=shown)
            )
    return warnings


def column_sample(con: duckdb.DuckDBPyConnection, plan: Plan, role: str) -> list[str]:
    if role not in plan.columns:
        return []
    return [r[0] for r in con.execute(
        f"select raw_{role} from canon where raw_{role} is not null limit 50"
    ).fetchall()]
