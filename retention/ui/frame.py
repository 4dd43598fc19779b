"""The frame around every page: page setup, sign-in, the first-run sample, the sidebar.

``app.py`` calls these in order and then runs ``st.navigation``; everything here runs on every
page, so it must stay cheap: dataset lists and dates come from small queries or the cache.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import os
import time

import duckdb
import streamlit as st

from retention.formatting import format_count
from retention.i18n import DEFAULT_LANGUAGE, current_language, set_language, t
from retention.ingest import IngestError
from retention.store import Workspace, open_workspace, workspace_path
from retention.ui import cached, sample_data
from retention.ui.context import (
    AS_OF_BASIS_KEY,
    AS_OF_KEY,
    DATASET_KEY,
    DEFAULT_WINDOW_DAYS,
    WINDOW_KEY,
    Context,
    apply_pending_dataset,
    set_active_dataset,
)
from retention.ui.text import md_escape

log = logging.getLogger(__name__)

DATA_PAGE = "views/data.py"
HOME_PAGE = "views/home.py"
SIGNED_IN_KEY = "_signed_in_token"
# A wrong password costs this long, so guessing from a script is slow.
FAILED_SIGN_IN_DELAY = 1.0
MAX_WINDOW_DAYS = 3650


def configure_page() -> None:
    """Language for this run (it is per thread), then title, icon and wide layout."""
    try:
        set_language(os.environ.get("RETENTION_LANG") or DEFAULT_LANGUAGE)
    except ValueError:
        set_language(DEFAULT_LANGUAGE)
    st.set_page_config(page_title=t("Retention"), page_icon=":material/loyalty:", layout="wide")


# -- sign-in ------------------------------------------------------------------------------------


def required_password() -> str | None:
    """The shared password, from secrets ``[retention_auth] password`` or ``RETENTION_PASSWORD``.

    ``[auth]`` is left alone: Streamlit reserves it for ``st.login`` (OIDC).
    """
    try:
        password = st.secrets["retention_auth"].get("password")
    except (KeyError, FileNotFoundError, AttributeError):
        password = None
    return str(password) if password else os.environ.get("RETENTION_PASSWORD") or None


def _token(password: str) -> str:
    # The session keeps a digest, not the password; a changed password signs everyone out.
    return hashlib.sha256(password.encode("utf-8")).hexdigest()


def signed_in() -> bool:
    """True when no password is configured or this session has entered the current one."""
    password = required_password()
    if password is None:
        return True
    return hmac.compare_digest(st.session_state.get(SIGNED_IN_KEY, ""), _token(password))


def sign_in_page() -> None:
    """A password form; on success the session is marked signed in and the app reruns."""
    password = required_password() or ""
    st.title(t("Sign in"))
    st.caption(t("This dashboard is shared with your team. Ask its owner for the password."))
    with st.form("sign_in"):
        entered = st.text_input(t("Password"), type="password", key="sign_in_password")
        submitted = st.form_submit_button(t("Sign in"), type="primary")
    if submitted:
        if hmac.compare_digest(entered.encode("utf-8"), password.encode("utf-8")):
            st.session_state[SIGNED_IN_KEY] = _token(password)
            st.rerun()
        time.sleep(FAILED_SIGN_IN_DELAY)
        st.error(t("That password is not right. Check it and try again."))


def navigation_pages() -> list[st.Page]:
    """The app's pages, in menu order; Home is the default."""
    return [
        # the order a marketer reads in: who they are, who stays, who pays, who to call
        st.Page(HOME_PAGE, title=t("Home"), icon=":material/home:", default=True),
        st.Page("views/ladder.py", title=t("Loyalty ladder"), icon=":material/stairs:"),
        st.Page("views/ltv.py", title=t("Retention & LTV"), icon=":material/savings:"),
        st.Page("views/abc_xyz.py", title=t("ABC/XYZ"), icon=":material/grid_view:"),
        st.Page("views/portraits.py", title=t("Portraits"), icon=":material/groups:"),
        st.Page("views/churn.py", title=t("Churn risk"), icon=":material/trending_down:"),
        st.Page(DATA_PAGE, title=t("Data"), icon=":material/upload_file:"),
    ]


def sign_in_navigation_pages() -> list[st.Page]:
    """The sign-in form under every page's address, hidden from the menu.

    A bookmark to ``/data`` then shows the form instead of "page not found", and after
    signing in the rerun lands on the page that was asked for.
    """
    pages = [st.Page(sign_in_page, title=t("Sign in"), default=True)]
    for page in navigation_pages():
        if page.url_path:  # "" for the default page, which the form already serves
            pages.append(st.Page(sign_in_page, title=t("Sign in"), url_path=page.url_path,
                                 visibility="hidden"))
    return pages


def _sign_out() -> None:
    st.session_state.pop(SIGNED_IN_KEY, None)


# -- workspace and first run --------------------------------------------------------------------


def workspace_or_stop() -> Workspace:
    """The process-wide workspace; if it cannot be opened, a sentence saying why, then stop."""
    try:
        return open_workspace()
    except duckdb.Error as exc:
        log.exception("cannot open workspace")
        st.error(
            t("The workspace {path} cannot be opened: {reason}. If another program is using it "
              "(for example a load started on the server itself), wait for it to finish, "
              "then reload this page.",
              path=md_escape(workspace_path()), reason=md_escape(str(exc).splitlines()[0])),
        )
        st.stop()


def offer_first_run_sample(ws: Workspace) -> None:
    """On a brand-new workspace, load the sample shop once so there is something to explore."""
    if not sample_data.should_offer_sample(ws):
        return
    try:
        with st.spinner(t("Preparing a sample shop so you can look around…"), show_time=True):
            report = sample_data.load_sample(ws)
    except IngestError as exc:
        st.warning(t("The sample data could not be loaded: {reason}", reason=md_escape(exc)))
        return
    set_active_dataset(report.dataset_id)


# -- sidebar ------------------------------------------------------------------------------------


def sidebar(ws: Workspace) -> None:
    """Dataset picker, as-of date and activity window, kept in session state (context keys).

    The as-of date defaults to the dataset's last transaction date, and goes back to it when
    another dataset is picked or the data's last date changes (a replace or append).
    """
    state = st.session_state
    apply_pending_dataset()
    datasets = ws.datasets()
    with st.sidebar:
        if not datasets:
            st.caption(t("No data loaded yet."))
            return
        by_id = {d.dataset_id: d for d in datasets}
        if state.get(DATASET_KEY) not in by_id:
            state[DATASET_KEY] = datasets[-1].dataset_id
        dataset_id = st.selectbox(
            t("Dataset"), list(by_id), format_func=lambda i: by_id[i].name, key=DATASET_KEY,
            help=t("The purchase history every page shows. Load and manage datasets on the "
                   "Data page."),
        )
        dataset = by_id[dataset_id]
        first, last = cached.dataset_dates(*ws.fingerprint(dataset))
        if last is not None:
            basis = (dataset.dataset_id, last)
            if state.get(AS_OF_BASIS_KEY) != basis or AS_OF_KEY not in state:
                state[AS_OF_KEY] = last
                state[AS_OF_BASIS_KEY] = basis
            latest = max(last, dt.date.today())
            if state[AS_OF_KEY] is not None and not first <= state[AS_OF_KEY] <= latest:
                state[AS_OF_KEY] = last
            st.date_input(
                t("As of"), key=AS_OF_KEY, min_value=first, max_value=latest,
                help=t("Numbers are computed as on this day: purchases after it are left out. "
                       "It starts at the dataset's last purchase date."),
            )
        if WINDOW_KEY not in state:
            state[WINDOW_KEY] = DEFAULT_WINDOW_DAYS
        st.number_input(
            t("Activity window (days)"), min_value=1, max_value=MAX_WINDOW_DAYS, step=1,
            key=WINDOW_KEY,
            help=t("A customer counts as active on a day when they ordered within this many "
                   "days up to and including it. {days} days is the usual choice.",
                   days=DEFAULT_WINDOW_DAYS),
        )
        if required_password() is not None:
            st.button(t("Sign out"), on_click=_sign_out, icon=":material/logout:")


def draw_before_navigation() -> None:
    """Workspace, first-run sample and sidebar: what ``app.py`` draws before the pages."""
    ws = workspace_or_stop()
    offer_first_run_sample(ws)
    sidebar(ws)


def sample_banner(ctx: Context, *, link_to_data: bool = True) -> None:
    """On every page while the sample is active: say so, and how to load your own data."""
    if not sample_data.is_sample(ctx.workspace, ctx.dataset):
        return
    with st.container():
        st.info(
            t("You are looking at generated sample data: a made-up shop with "
              "{customers} customers. To see your own customers, upload a purchase history "
              "(CSV, Excel or Parquet) on the Data page.",
              customers=format_count(sample_data.SAMPLE_CUSTOMERS, current_language())),
            icon=":material/science:",
        )
        if link_to_data:  # not on the Data page itself
            st.page_link(DATA_PAGE, label=t("Load your own data"),
                         icon=":material/upload_file:")
