"""The frame around every page: page setup, sign-in, the first-run sample, the sidebar.

``app.py`` calls these in order and then runs ``st.navigation``; everything here runs on every
page, so it must stay cheap: dataset lists and dates come from small queries or the cache.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import hmac
import logging
import math
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import duckdb
import streamlit as st

from retention.formatting import format_count
from retention.i18n import (
    DEFAULT_LANGUAGE,
    LANGUAGE_NAMES,
    LANGUAGES,
    N_,
    current_language,
    language_or_none,
    set_language,
    t,
)
from retention.ingest import IngestError, clean_stale_temp_dirs
from retention.registry import Action, RegistryError, Role
from retention.store import Dataset, Workspace, open_workspace, workspace_path
from retention.ui import links, sample_data, team
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
from retention.ui.data import DatasetChanged
from retention.ui.data import frame as frame_data
from retention.ui.team import SINGLE_USER, Access, Mode, SignInSetupError, secrets_dict
from retention.ui.text import format_day, md_escape

log = logging.getLogger(__name__)

DATA_PAGE = "views/data.py"
HOME_PAGE = "views/home.py"
TEAM_PAGE = "views/team.py"
SIGNED_IN_KEY = "_signed_in_token"
LANGUAGE_KEY = "interface_language"
LANGUAGE_PARAM = "lang"
_LANGUAGE_CHOSEN_KEY = "_language_chosen"
PENDING_LANGUAGE_KEY = "_pending_language"
MAX_WINDOW_DAYS = 3650
# The password value .streamlit/secrets.toml.example shows; the gate refuses to use it.
PASSWORD_PLACEHOLDER = "REPLACE-WITH-A-LONG-RANDOM-PASSPHRASE"
# Wrong passwords allowed per sliding window, from one client address and on the whole server.
SIGN_IN_WINDOW_SECONDS = 60.0
MAX_FAILURES_PER_CLIENT = 5
MAX_FAILURES_PER_SERVER = 20
# How often finished downloads are cleared from Streamlit's media store (see sweep_downloads).
DOWNLOAD_SWEEP_SECONDS = 15.0
# The team workspace the sidebar's dataset and dates were picked in.
_WORKSPACE_SHOWN_KEY = "_workspace_shown"


def configure_page() -> None:
    """Language for this run (it is per thread), then title, icon and wide layout; makes sure
    the download sweeper of this server process runs."""
    set_language(session_language())
    st.set_page_config(page_title=t("Retention"), page_icon=":material/loyalty:", layout="wide")
    download_sweeper()


def session_language() -> str:
    """This session's interface language: the sidebar picker's, which starts from the link's
    ``lang`` (on the session's first run), else ``RETENTION_LANG``, else English."""
    state = st.session_state
    if PENDING_LANGUAGE_KEY in state:  # remembered by the user, or a returned link's
        state[LANGUAGE_KEY] = state.pop(PENDING_LANGUAGE_KEY)
    if LANGUAGE_KEY not in state:
        linked = language_or_none(links.linked(LANGUAGE_PARAM))
        if linked:  # the link's language wins over the one a user last chose
            state[_LANGUAGE_CHOSEN_KEY] = True
        state[LANGUAGE_KEY] = (linked or language_or_none(os.environ.get("RETENTION_LANG"))
                               or DEFAULT_LANGUAGE)
    language = language_or_none(state[LANGUAGE_KEY]) or DEFAULT_LANGUAGE
    state[LANGUAGE_KEY] = language
    return language


def _language_picked() -> None:
    # the person chose: keep it for this session, and for a signed-in user the next ones
    state = st.session_state
    state[_LANGUAGE_CHOSEN_KEY] = True
    email = state.get(team.USER_KEY)
    if email and team.mode() is not Mode.SINGLE:
        with contextlib.suppress(RegistryError):  # a busy registry must not lose the click
            team.registry().remember_language(email, state[LANGUAGE_KEY])


def apply_remembered_language(access: Access) -> None:
    """Once per session, after a team sign-in: switch to the language the user last chose,
    unless this session already has a choice (the picker, or a link's ``lang``)."""
    state = st.session_state
    if access.email is None or state.get(_LANGUAGE_CHOSEN_KEY):
        return
    state[_LANGUAGE_CHOSEN_KEY] = True
    try:
        remembered = team.registry().language_of(access.email)
    except RegistryError:
        return
    if language_or_none(remembered) not in (None, state.get(LANGUAGE_KEY)):
        state[PENDING_LANGUAGE_KEY] = remembered
        st.rerun()


def language_picker() -> None:
    """The sidebar's language picker (each language named in itself), on every page and on
    the sign-in form; the choice is kept in the link as ``lang``."""
    with st.sidebar:
        st.selectbox(":material/translate: " + t("Language"), LANGUAGES, key=LANGUAGE_KEY,
                     format_func=LANGUAGE_NAMES.__getitem__, on_change=_language_picked,
                     help=t("The language of the dashboard's words, numbers and dates. Money "
                            "stays in the dataset's currency."))
    links.publish({LANGUAGE_PARAM: st.session_state[LANGUAGE_KEY]})


# -- downloads ----------------------------------------------------------------------------------


def sweep_downloads() -> None:
    """One pass of Streamlit's own clean-up of files no session shows any more.

    Streamlit serves a download at /media/<id> to anyone who has the address, signed in or not,
    for as long as it holds the file. A file a download button built on its click is held by
    no session: Streamlit marks it at the end of the next script run of any session and
    deletes it at the one after, which on a quiet server can be hours away. This is the same
    pass (thread-safe, run by Streamlit from every session's thread); calling it on a clock
    bounds how long a downloaded file stays reachable. Files that a live page still shows are
    never touched.
    """
    from streamlit import runtime

    if runtime.exists():
        runtime.get_instance().media_file_mgr.remove_orphaned_files()


@st.cache_resource(show_spinner=False)
def download_sweeper() -> threading.Thread:
    """The process's one daemon thread running :func:`sweep_downloads` every
    ``DOWNLOAD_SWEEP_SECONDS``: a built download is gone at most two sweeps (30 s) after it
    was built, sooner when other sessions run (each run ends with the same pass)."""

    def run() -> None:
        while True:
            time.sleep(DOWNLOAD_SWEEP_SECONDS)
            try:
                sweep_downloads()
            except Exception:  # a failed pass must not end the sweeping
                log.exception("download sweep failed")

    thread = threading.Thread(target=run, name="retention-download-sweeper", daemon=True)
    thread.start()
    return thread


# -- sign-in ------------------------------------------------------------------------------------


def required_password() -> str | None:
    """The shared password: secrets ``[retention_auth] password``, else ``RETENTION_PASSWORD``.

    None when neither is set: the dashboard is open (one user on their own machine). Raises
    :class:`SignInSetupError` when the secrets ask for a sign-in that cannot be trusted — an
    unreadable file, ``[retention_auth]`` without a password, the example's placeholder, or a
    ``password`` at the top level or under ``[auth]`` (the old example's place; ``[auth]`` is
    Streamlit's, for ``st.login``): a slip in the set-up must close the gate, never open it.
    """
    secrets = secrets_dict()
    section = secrets.get("retention_auth")
    if section is not None:
        password = section.get("password") if isinstance(section, dict) else None
        if not isinstance(password, str) or not password:
            raise SignInSetupError(
                t("The [retention_auth] section of .streamlit/secrets.toml has no password. "
                  "Add a line password = \"…\" with a long passphrase under it."))
        if password.strip() == PASSWORD_PLACEHOLDER:
            raise SignInSetupError(
                t("The password in .streamlit/secrets.toml is still the example's placeholder. "
                  "Replace it with a long passphrase of your own."))
        return password
    auth = secrets.get("auth")
    if "password" in secrets or (isinstance(auth, dict) and "password" in auth):
        raise SignInSetupError(
            t("The password in .streamlit/secrets.toml is not under [retention_auth], where "
              "this dashboard reads it. Put the line [retention_auth] above it."))
    return os.environ.get("RETENTION_PASSWORD") or None


def _password_required() -> bool:
    """True when a sign-in is set up, or its set-up is broken (then the gate is shut anyway)."""
    try:
        return required_password() is not None
    except SignInSetupError:
        return True


def _token(password: str) -> str:
    # The session keeps a digest, not the password; a changed password signs everyone out.
    return hashlib.sha256(password.encode("utf-8")).hexdigest()


def signed_in() -> bool:
    """In team mode, True when a user of the registry is signed in (checked on this run); else
    True when no password is configured or this session has entered the current one."""
    try:
        current = team.mode()
        if current is not Mode.SINGLE:
            return team.signed_in_email(current) is not None
        password = required_password()
    except (SignInSetupError, RegistryError):  # the sign-in page says why
        return False
    if password is None:
        return True
    return hmac.compare_digest(st.session_state.get(SIGNED_IN_KEY, ""), _token(password))


class SignInThrottle:
    """Wrong passwords counted across every session of this server, in a sliding window.

    Each client address may make ``per_client`` wrong guesses per ``window`` seconds and the
    whole server ``per_server``; beyond either, an attempt is refused, without looking at the
    password, until the oldest failure leaves the window. An admitted attempt counts as a
    failure at once (so sessions guessing in parallel cannot overshoot) and a right password
    takes it back. Only list work happens under the lock; nothing sleeps or waits there.
    """

    def __init__(self, *, window: float = SIGN_IN_WINDOW_SECONDS,
                 per_client: int = MAX_FAILURES_PER_CLIENT,
                 per_server: int = MAX_FAILURES_PER_SERVER,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.window, self.per_client, self.per_server = window, per_client, per_server
        self.clock = clock
        self._lock = threading.Lock()
        self._server: deque[float] = deque()
        self._clients: dict[str, deque[float]] = {}

    def _expire(self, now: float) -> None:
        cutoff = now - self.window
        for failures in (self._server, *self._clients.values()):
            while failures and failures[0] <= cutoff:
                failures.popleft()
        for client in [c for c, failures in self._clients.items() if not failures]:
            del self._clients[client]

    def _wait(self, client: str, now: float) -> float:
        waits = [0.0]
        for failures, limit in ((self._clients.get(client, ()), self.per_client),
                                (self._server, self.per_server)):
            if len(failures) >= limit:  # the failure that must leave the window first
                waits.append(failures[len(failures) - limit] + self.window - now)
        return max(waits)

    def wait_seconds(self, client: str) -> float:
        """Seconds before ``client`` may try a password (0.0: now), counting nothing."""
        now = self.clock()
        with self._lock:
            self._expire(now)
            return self._wait(client, now)

    def admit(self, client: str) -> float:
        """0.0 when ``client`` may check a password now (the attempt is counted as a failure
        until :meth:`forgive`), else the seconds to wait (nothing is counted)."""
        now = self.clock()
        with self._lock:
            self._expire(now)
            wait = self._wait(client, now)
            if wait <= 0:
                self._server.append(now)
                self._clients.setdefault(client, deque()).append(now)
            return wait

    def forgive(self, client: str) -> None:
        """Take back ``client``'s latest admitted attempt: its password was right."""
        with self._lock:
            failures = self._clients.get(client)
            if failures:
                stamp = failures.pop()
                with contextlib.suppress(ValueError):
                    self._server.remove(stamp)

    def reset(self) -> None:
        """Forget every failure (tests; a restart does the same)."""
        with self._lock:
            self._server.clear()
            self._clients.clear()


@st.cache_resource(show_spinner=False)
def sign_in_throttle() -> SignInThrottle:
    """The one throttle of this server process, shared by every session."""
    return SignInThrottle()


def _client_address() -> str:
    # Streamlit's view of the connection ("" on localhost). Forwarded-for headers are not
    # used: a client can write them, and would get a fresh allowance with each made-up value.
    # Behind a reverse proxy every client shares the proxy's address, which only makes the
    # limit stricter. (AppTest's mock runtime answers with a non-string: no address either.)
    address = st.context.ip_address
    return address if isinstance(address, str) else ""


def _registry_unavailable(exc: RegistryError) -> None:
    log.error("team registry unavailable: %s", exc)
    st.error(t("Signing in is not possible right now: {reason} If you are not this dashboard's "
               "owner, tell them.", reason=md_escape(exc)), icon=":material/error:")


def sign_in_page() -> None:
    """The sign-in of this mode (team mode's in :mod:`retention.ui.team`), or the shared
    password's form; on success the session is marked signed in and the app reruns."""
    st.title(t("Sign in"))
    try:
        current = team.mode()
        password = (required_password() or "") if current is Mode.SINGLE else ""
    except SignInSetupError as exc:
        st.error(t("Sign-in is not set up correctly, so this dashboard stays closed. {reason} "
                   "If you are not its owner, tell them.", reason=md_escape(exc)))
        return
    if current is not Mode.SINGLE:
        try:
            team.local_sign_in_page() if current is Mode.LOCAL else team.oidc_sign_in_page()
        except RegistryError as exc:
            _registry_unavailable(exc)
        return
    st.caption(t("This dashboard is shared with your team. Ask its owner for the password."))
    with st.form("sign_in"):
        entered = st.text_input(t("Password"), type="password", key="sign_in_password")
        submitted = st.form_submit_button(t("Sign in"), type="primary")
    if not submitted:
        return
    throttle, client = sign_in_throttle(), _client_address()
    wait = throttle.admit(client)
    if wait > 0:
        st.error(t("Too many wrong passwords were tried in the last minute, so signing in is "
                   "paused. Try again in {seconds} seconds.", seconds=math.ceil(wait)))
        return
    if hmac.compare_digest(entered.encode("utf-8"), password.encode("utf-8")):
        throttle.forgive(client)
        st.session_state[SIGNED_IN_KEY] = _token(password)
        st.rerun()
    st.error(t("That password is not right. Check it and try again."))


# The app's pages in menu order, (script, English title, icon); Home is the default. A table
# rather than st.Page objects because st.Page outside a running app is empty, and the
# benchmark (retention.ui.first_views) must list the same pages the menu shows.
NAVIGATION = (
    # the order a marketer reads in: who they are, who stays, who pays, who to call
    (HOME_PAGE, N_("Home"), ":material/home:"),
    ("views/ladder.py", N_("Loyalty ladder"), ":material/stairs:"),
    ("views/ltv.py", N_("Retention & LTV"), ":material/savings:"),
    ("views/abc_xyz.py", N_("ABC/XYZ"), ":material/grid_view:"),
    ("views/portraits.py", N_("Portraits"), ":material/groups:"),
    ("views/churn.py", N_("Churn risk"), ":material/trending_down:"),
    ("views/loyalty.py", N_("Loyalty programme"), ":material/loyalty:"),
    ("views/audiences.py", N_("Audiences"), ":material/campaign:"),
    (DATA_PAGE, N_("Data"), ":material/upload_file:"),
)


def navigation_pages() -> list[st.Page]:
    """The app's pages (:data:`NAVIGATION`), in menu order; Home is the default."""
    return [st.Page(script, title=t(title), icon=icon, default=script == HOME_PAGE)
            for script, title, icon in NAVIGATION]


def team_pages() -> list[st.Page]:
    """The pages only an admin of the current team workspace sees: the Team page."""
    if not team.current_access().may(Action.MANAGE_MEMBERS) or team.mode() is Mode.SINGLE:
        return []
    return [st.Page(TEAM_PAGE, title=t("Team"), icon=":material/group:")]


def sign_in_navigation_pages() -> list[st.Page]:
    """The sign-in form under every page's address, hidden from the menu.

    A bookmark to ``/data`` then shows the form instead of "page not found", and after
    signing in the rerun lands on the page that was asked for.
    """
    pages = [st.Page(sign_in_page, title=t("Sign in"), default=True)]
    # the Team page's address too, so a bookmark to it shows the form before the page
    for page in [*navigation_pages(), st.Page(TEAM_PAGE, title=t("Team"))]:
        if page.url_path:  # "" for the default page, which the form already serves
            pages.append(st.Page(sign_in_page, title=t("Sign in"), url_path=page.url_path,
                                 visibility="hidden"))
    return pages


def _sign_out() -> None:
    st.session_state.pop(SIGNED_IN_KEY, None)


# -- workspace and first run --------------------------------------------------------------------


def workspace_or_stop(path: Path | None = None) -> Workspace:
    """The process-wide workspace at ``path`` (default: the single-workspace mode's); if it
    cannot be opened, a sentence saying why, then stop."""
    try:
        return open_workspace(path)
    except duckdb.Error as exc:
        log.exception("cannot open workspace")
        st.error(
            t("The workspace {path} cannot be opened: {reason}. If another program is using it "
              "(for example a load started on the server itself), wait for it to finish, "
              "then reload this page.",
              path=md_escape(workspace_path(path)),
              reason=md_escape(str(exc).splitlines()[0].rstrip(". "))),
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
    """Dataset picker, as-of date and activity window, kept in session state (context keys)
    and in the address (:mod:`retention.ui.links`), so a link opens the same choices.

    The as-of date defaults to the dataset's last transaction date that is not after today
    (``metrics.default_as_of``: a mistyped 2099 does not move every number), and goes back to
    it when another dataset is picked or that default changes (a replace or append, or the
    day of a future-dated row comes). It may be moved up to the last date in the data.
    """
    state = st.session_state
    apply_pending_dataset()
    datasets = ws.datasets()
    by_id = {d.dataset_id: d for d in datasets}
    _follow_dataset_link(by_id)
    with st.sidebar:
        if not datasets:
            st.caption(t("No data loaded yet."))
            links.publish({}, owned=_FRAME_PARAMS)
            return
        if state.get(DATASET_KEY) not in by_id:
            state[DATASET_KEY] = datasets[-1].dataset_id
        dataset_id = st.selectbox(
            t("Dataset"), list(by_id), format_func=lambda i: by_id[i].name, key=DATASET_KEY,
            help=t("The purchase history every page shows. Load and manage datasets on the "
                   "Data page."),
        )
        dataset = by_id[dataset_id]
        first, last = frame_data.dataset_dates(ws, dataset)
        default = frame_data.default_as_of(ws, dataset, dt.date.today())
        if first is not None and last is not None and default is not None:
            basis = (dataset.dataset_id, default)
            if state.get(AS_OF_BASIS_KEY) != basis or AS_OF_KEY not in state:
                state[AS_OF_KEY] = default
                state[AS_OF_BASIS_KEY] = basis
            # the default is before the first row when every row lies after today
            earliest, latest = min(first, default), max(last, dt.date.today())
            _follow_as_of_link(earliest, latest)
            if state[AS_OF_KEY] is not None and not earliest <= state[AS_OF_KEY] <= latest:
                state[AS_OF_KEY] = default
            st.date_input(
                t("As of"), key=AS_OF_KEY, min_value=earliest, max_value=latest,
                help=t("Numbers are computed as on this day: purchases after it are left out. "
                       "It starts at the dataset's last purchase date that is not in the "
                       "future; move it later to count purchases dated after today."),
            )
        if WINDOW_KEY not in state:
            state[WINDOW_KEY] = DEFAULT_WINDOW_DAYS
        _follow_window_link()
        st.number_input(
            t("Activity window (days)"), min_value=1, max_value=MAX_WINDOW_DAYS, step=1,
            key=WINDOW_KEY,
            help=t("A customer counts as active on a day when they ordered within this many "
                   "days up to and including it. {days} days is the usual choice.",
                   days=DEFAULT_WINDOW_DAYS),
        )
        if _password_required():
            st.button(t("Sign out"), on_click=_sign_out, icon=":material/logout:")
    as_of = state.get(AS_OF_KEY)
    links.publish({
        links.DATASET_PARAM: str(dataset_id),
        links.AS_OF_PARAM: as_of.isoformat() if isinstance(as_of, dt.date) else None,
        links.WINDOW_PARAM: str(int(state[WINDOW_KEY])),
    })


_FRAME_PARAMS = (links.DATASET_PARAM, links.AS_OF_PARAM, links.WINDOW_PARAM)


def _link_not_followed(sentence: str) -> None:
    # in the page, above its title: the reader must see why the view is not the linked one
    st.warning(sentence, icon=":material/link_off:")


def _follow_dataset_link(by_id: Mapping[int, Dataset]) -> None:
    """The link's dataset becomes the picker's, when it is one of this workspace's datasets;
    otherwise a sentence says the link's dataset is not visible here."""
    linked = links.linked(links.DATASET_PARAM)
    if linked is None:
        return
    if linked.isdigit() and int(linked) in by_id:
        st.session_state[DATASET_KEY] = int(linked)
        return
    _link_not_followed(t(
        "This link is for a dataset that is not in this workspace: it was deleted, or it "
        "belongs to a workspace you are not a member of. You see this workspace's data "
        "instead; ask whoever sent the link to check it."))


def _follow_as_of_link(earliest: dt.date, latest: dt.date) -> None:
    """The link's as-of date (``YYYY-MM-DD``) when it lies within the dataset's dates."""
    linked = links.linked(links.AS_OF_PARAM)
    if linked is None:
        return
    try:
        day = dt.date.fromisoformat(linked)
    except ValueError:
        day = None
    if day is None or not earliest <= day <= latest:
        _link_not_followed(t(
            "The link's as-of date ({date}) is not a day between {first} and {last}, the "
            "dates this dataset covers, so the dataset's own as-of date is used.",
            date=md_escape(linked), first=format_day(earliest), last=format_day(latest)))
        return
    st.session_state[AS_OF_KEY] = day


def _follow_window_link() -> None:
    """The link's activity window, when it is a whole number of days the sidebar accepts."""
    linked = links.linked(links.WINDOW_PARAM)
    if linked is None:
        return
    if linked.isdigit() and 1 <= int(linked) <= MAX_WINDOW_DAYS:
        st.session_state[WINDOW_KEY] = int(linked)
        return
    _link_not_followed(t(
        "The link's activity window ({days}) is not a whole number of days from 1 to {most}, "
        "so {kept} days are used.", days=md_escape(linked), most=MAX_WINDOW_DAYS,
        kept=st.session_state[WINDOW_KEY]))


@st.cache_resource(show_spinner=False)
def clear_leftovers_of_killed_loads() -> int:
    """Once per server process: remove the temporary folders that loads killed mid-way (by a
    crash or a stopped server) left behind; returns how many were removed."""
    return len(clean_stale_temp_dirs())


def access_or_stop() -> Access:
    """This run's Access: single-user mode's, or in team mode the signed-in user's workspace
    and role, checked against the registry now (a user without a workspace is told so and the
    script stops). Switching workspaces forgets every choice made in the last one (the
    sidebar's dataset and dates, the pages' widgets, whose keys carry dataset ids of that
    workspace) and keeps only the sign-in, the picker and the activity window."""
    current = team.mode()
    if current is Mode.SINGLE:
        return SINGLE_USER
    try:
        email = team.signed_in_email(current)
        access = team.choose_workspace(current, email) if email else None
    except RegistryError as exc:  # another process holds it too long, or it is damaged
        _registry_unavailable(exc)
        st.stop()
    if access is None or access.workspace is None:
        team.mode_line(Access(current, Role.VIEWER, email), shared_password=False)  # no workspace
        st.stop()
    state = st.session_state
    shown = access.workspace.workspace_id
    if state.get(_WORKSPACE_SHOWN_KEY, shown) != shown:
        # links stay followed: the address still holds the last workspace's dataset and dates
        kept = {team.TOKEN_KEY, team.USER_KEY, team.WORKSPACE_KEY, team.ACCESS_KEY, WINDOW_KEY,
                links.FOLLOWED_KEY, LANGUAGE_KEY, _LANGUAGE_CHOSEN_KEY}
        for key in [key for key in state if key not in kept]:
            del state[key]
    state[_WORKSPACE_SHOWN_KEY] = shown
    return access


def draw_before_navigation() -> None:
    """Access, workspace, first-run sample and sidebar: what ``app.py`` draws before the
    pages."""
    clear_leftovers_of_killed_loads()
    access = access_or_stop()
    apply_remembered_language(access)
    ws = workspace_or_stop(access.workspace.db if access.workspace else None)
    if access.may(Action.UPLOAD):  # loading the sample is a write
        offer_first_run_sample(ws)
    sidebar(ws)
    team.mode_line(access, shared_password=_password_required())


@contextlib.contextmanager
def rerun_when_the_dataset_changes() -> Iterator[None]:
    """Run the page; when a load commits a new version of its dataset mid-run, run it again.

    Every cached accessor refuses to compute a version other than the one the run read at its
    start (:class:`~retention.ui.data.DatasetChanged`), so a page never mixes cards of two
    versions; the rerun reads the new version for every card.
    """
    try:
        yield
    except DatasetChanged:
        st.rerun()


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
