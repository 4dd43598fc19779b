"""The Data page's "Customer file" section: upload a CRM or loyalty-card export (one row per
customer) → what we detected and a preview → its columns → which dataset → merge → the report.

It reuses the purchase flow's widgets (``data_page``) under its own flow name, so its upload,
inspections, widget keys and report never mix with the purchase file's, even for the same file.
The merge itself is ``retention.ingest.customers.ingest_customers``.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

import streamlit as st

from retention.formatting import format_count
from retention.i18n import current_language, t
from retention.import_folder import ImportNameError, import_dir
from retention.ingest import IngestError, Inspection
from retention.ingest.customers import CUSTOMER_FILE_ROLES, CustomerReport, ingest_customers
from retention.ingest.roles import ROLE_BY_NAME
from retention.registry import Action
from retention.store import Dataset, DatasetNotFound
from retention.ui import data_page
from retention.ui.context import Context, set_active_dataset
from retention.ui.text import md_escape
from retention.ui.widgets import download_buttons, rejects_spec, rejects_summary_spec, show_table

log = logging.getLogger(__name__)

FLOW = "customers"


@dataclass(frozen=True)
class LastCustomerLoad:
    """A finished customer load kept for the report after the page reruns."""

    identity: str
    file_name: str
    steps: tuple[str, ...]
    report: CustomerReport


def customer_file_section(ctx: Context) -> None:
    """The whole section; for a role that may not upload, a sentence saying so instead."""
    st.caption(t("A CRM or loyalty-card export with one row per customer: email, phone, birth "
                 "date, opt-ins, referrals, survey answers (NPS, share of wallet)… It adds to "
                 "the customers of a dataset: a value in the file replaces the stored one, an "
                 "empty cell keeps it. Survey answers feed the ladder's loyal and advocate "
                 "steps."))
    if not ctx.may(Action.UPLOAD):
        st.caption(ctx.access.why_not())
        return
    datasets = ctx.workspace.datasets()
    if not datasets:
        st.caption(t("Load a purchase history first: a customer file adds to a dataset's "
                     "customers."))
        return
    source = data_page.upload_widget(import_dir(ctx.workspace.path), flow=FLOW,
                                     label=t("Customer file"))
    if source is None:
        return
    last = st.session_state.get(data_page.last_load_key(FLOW))
    if isinstance(last, LastCustomerLoad) and last.identity == source.identity:
        customer_report(ctx, last)
        st.caption(t("This customer file is merged. To merge another, remove this one above and "
                     "upload the next."))
        return
    inspection = data_page.inspection_section(source, flow=FLOW, customer_file=True)
    if inspection is None:
        return
    st.subheader(t("Customer columns"))
    mapping = _column_mapping(source, inspection)
    st.subheader(t("Merge into"))
    target = _dataset_choice(ctx, source, datasets)
    blocking = _blocking(mapping, inspection.headers)
    if blocking:
        st.warning(md_escape(blocking))
    if st.button(t("Merge into the customers"), type="primary", icon=":material/group_add:",
                 key=f"customer_load_{source.key}", disabled=blocking is not None):
        _run_merge(ctx, source, inspection, mapping, target)


def _column_mapping(source: data_page.Source, inspection: Inspection) -> dict[str, str]:
    """A selectbox per customer role, pre-filled from the automatic match. Returns {role:
    header}, with "" for roles left out (so the loader does not re-match them)."""
    headers = inspection.headers
    options: list[str | None] = [None, *headers]
    digest = hashlib.sha256("\x1f".join(headers).encode("utf-8")).hexdigest()[:8]
    prefix = f"cmap_{source.key}_{digest}"
    chosen: dict[str, str | None] = {}
    columns = st.columns(3)
    for index, name in enumerate(CUSTOMER_FILE_ROLES):
        role = ROLE_BY_NAME[name]
        default = inspection.mapping.get(name)
        with columns[index % 3]:
            chosen[name] = st.selectbox(
                t(role.label), options, index=options.index(default) if default in headers else 0,
                format_func=data_page._not_in_file, key=f"{prefix}_{name}",
                help=t(role.help) if role.help else None,
            )
    return {role: header or "" for role, header in chosen.items()}


def _dataset_choice(ctx: Context, source: data_page.Source, datasets: list[Dataset]) -> Dataset:
    """The dataset whose customers the file merges into; the active one to begin with."""
    ids = [d.dataset_id for d in datasets]
    by_id = {d.dataset_id: d for d in datasets}
    active = ctx.dataset.dataset_id if ctx.dataset is not None else None
    chosen = st.selectbox(
        t("Dataset"), ids, index=ids.index(active) if active in ids else 0,
        format_func=lambda i: by_id[i].name, key=f"customer_dataset_{source.key}",
        help=t("The file's customers are matched to this dataset's by customer id; ids it does "
               "not have yet are added (counted as customers without purchases)."),
    )
    return by_id[chosen]


def _blocking(mapping: dict[str, str], headers: list[str]) -> str | None:
    """Why the button is off: no customer id column, or nothing else to merge."""
    shown = ", ".join(repr(h) for h in headers) or t("none")
    if not mapping.get("customer_id"):
        return t("No column is chosen as {label}. The file's columns are: {headers}.",
                 label=t(ROLE_BY_NAME["customer_id"].label), headers=shown)
    if not any(header for role, header in mapping.items() if role != "customer_id"):
        return t("Only the customer id is chosen, so there is nothing to add. Choose the "
                 "columns to merge above; the file's columns are: {headers}.", headers=shown)
    return None


def _run_merge(ctx: Context, source: data_page.Source, inspection: Inspection,
               mapping: dict[str, str], target: Dataset) -> None:
    """Merge with progress in ``st.status``; on success remember the report and rerun, on
    failure show the reason (nothing has changed)."""
    if not ctx.may(Action.UPLOAD):  # the server's check, whatever the page showed
        st.error(ctx.access.why_not())
        return
    steps: list[str] = []
    error: str | None = None
    report: CustomerReport | None = None
    with st.status(t("Merging {name}…", name=md_escape(source.name)), expanded=True) as status:

        def progress(message: str) -> None:
            steps.append(message)
            st.text(message)

        try:
            with source.path() as path:
                report = ingest_customers(
                    ctx.workspace, path, dataset=target.name, mapping=mapping,
                    name=source.name, options=inspection.options, progress=progress,
                )
        except (IngestError, ImportNameError) as exc:
            error = str(exc)
        except Exception:  # a bug or a database problem: the transaction has rolled back
            log.exception("merging the customer file %s failed", source.name)
            error = t("Something went wrong while merging {name}; nothing was changed. The "
                      "details are in the server log.", name=source.name)
        if error is None:
            status.update(label=t("Merged {name}", name=md_escape(source.name)),
                          state="complete", expanded=False)
        else:
            status.update(label=t("Not merged — nothing was changed"), state="error",
                          expanded=False)
    if error is not None or report is None:
        st.error(md_escape(error or ""), icon=":material/error:")
        return
    st.session_state[data_page.last_load_key(FLOW)] = LastCustomerLoad(
        source.identity, source.name, tuple(steps), report)
    set_active_dataset(report.dataset_id)
    st.rerun()  # the next run shows the report in place of the controls


def customer_report(ctx: Context, last: LastCustomerLoad) -> None:
    """What the last merge of this file did: counts, warnings, rejects by reason (all of them
    downloadable, with line, column, value and reason)."""
    report = last.report
    try:
        ctx.workspace.dataset(report.dataset_id)
    except DatasetNotFound:
        return  # deleted since; the report would point nowhere
    name = md_escape(report.dataset)
    with st.status(t("Merged {file} into the customers of “{name}”",
                     file=md_escape(last.file_name), name=name),
                   state="complete", expanded=False):
        for step in last.steps:
            st.text(step)
    st.success(t("Customers merged into “{name}”: {rows} (now version {version}; took {seconds} "
                 "s).", rows=format_count(report.rows_merged, current_language()), name=name,
                 version=report.version, seconds=f"{report.seconds:.1f}"),
               icon=":material/check_circle:")
    lang = current_language()
    numbers = [
        (t("Rows read"), report.rows_read, t("Data rows of the file (blank lines not counted).")),
        (t("Customers merged"), report.rows_merged,
         t("Rows whose values are now in the dataset's customers.")),
        (t("New customers"), report.customers_new,
         t("Customer ids the dataset had not seen before.")),
        (t("Changed"), report.customers_changed,
         t("Customers already there with at least one value now different.")),
        (t("Without purchases"), report.customers_without_purchases,
         t("Merged customers with no purchase in the dataset. They are kept: a referral "
           "counts once the referred customer orders, and a later purchase file finds them.")),
        (t("Rows rejected"), report.rows_rejected,
         t("Rows left out whole, each listed below with its line and reason.")),
    ]
    for column, (label, value, help_text) in zip(st.columns(len(numbers)), numbers,
                                                 strict=True):
        column.metric(label, format_count(value, lang), help=help_text)
    for warning in report.warnings:
        st.warning(md_escape(warning))
    if report.rows_rejected:
        st.subheader(t("Rejected rows of the customer file"))
        show_table(data_page.rejects_by_reason(report.reject_reasons()), rejects_summary_spec())
        st.caption(t("Every rejected row with its line, column, value and reason:"))
        download_buttons(report.rejects, f"{report.dataset}-customer-rejects",
                         key=f"customer_rejects_{report.dataset_id}", spec=rejects_spec())

