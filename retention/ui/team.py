"""Team mode (DESIGN §9): who is signed in, to which of their workspaces, with which role.

The mode comes from the configuration on every run (:func:`mode`): with a registry the app is
in team mode, signing people in through ``st.login`` when ``[auth]`` is in the secrets and with
the registry's local accounts otherwise; without one it is today's single-workspace dashboard
(:data:`SINGLE_USER`: one workspace, every right, at most one shared password in ``frame``).

Which registry: ``RETENTION_REGISTRY`` when set (a path that does not exist keeps the
dashboard closed: a typo must not open it in single-user mode); else, unless ``RETENTION_DB``
names a single workspace, the default ``data/registry.sqlite3`` when that file exists.

A local account's sign-in survives a reload or a new tab through a session token the registry
issued (:meth:`Registry.open_session`), carried in the ``session`` query parameter: Streamlit
1.67 can read cookies but not set them from a script, and ``st.login``'s identity cookie is
written only by its own OpenID Connect callback (README, "Sharing the dashboard").

Everything a run trusts is checked again on that run: the token against the registry, and the
workspace (from the ``ws`` query parameter, the picker or session state) against the user's
memberships, so a revoked membership or an ended session takes effect at the next click.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import streamlit as st

from retention.i18n import t
from retention.registry import (
    REGISTRY_ENV,
    Action,
    Membership,
    Registry,
    RegistryError,
    Role,
    SignInThrottled,
    TeamWorkspace,
    may,
    normalise_email,
    registry_path,
)
from retention.ui import links, return_link
from retention.ui.text import md_escape

log = logging.getLogger(__name__)

SESSION_PARAM = "session"
WORKSPACE_PARAM = "ws"
USER_KEY = "_team_user"  # the signed-in user's email, checked again on every run
TOKEN_KEY = "_team_session_token"
ACCESS_KEY = "_team_access"  # this run's Access, set by the frame before any page runs
WORKSPACE_KEY = "_team_workspace_id"  # the workspace picker's value
NOTICE_KEY = "_team_sign_in_notice"
# The cookie_secret .streamlit/secrets.toml.example shows, and the shortest one accepted (32
# characters: 16 random bytes in hex; the README's command makes 64).
COOKIE_SECRET_PLACEHOLDER = "REPLACE-WITH-A-LONG-RANDOM-STRING"
MIN_COOKIE_SECRET_CHARS = 32
NOT_A_MEMBER = ("This link is for a workspace you are not a member of; ask its admin to invite "
                "you.")


class SignInSetupError(Exception):
    """The sign-in set-up cannot be trusted; the dashboard stays closed until it is fixed."""


class Mode(StrEnum):
    """How people sign in: not at all (one workspace), local accounts, or OpenID Connect."""

    SINGLE = "single"
    LOCAL = "local"
    OIDC = "oidc"


@dataclass(frozen=True)
class Access:
    """What this run may see and do: the mode, the role, and in team mode the signed-in
    email and the workspace chosen (None in single-user mode: the one ``RETENTION_DB``)."""

    mode: Mode
    role: Role
    email: str | None = None
    workspace: TeamWorkspace | None = None

    def may(self, action: Action) -> bool:
        """Whether the user may do ``action`` in this workspace now.

        In team mode the role is read again from the registry: a widget's callback runs before
        the frame checks the new run, with the Access of the run that drew the widget, so a
        member demoted or removed in between must not keep the old rights for one more click.
        """
        if self.email is None or self.workspace is None:
            return may(self.role, action)
        return may(registry().role_of(self.email, self.workspace.workspace_id), action)

    def why_not(self) -> str:
        """The sentence shown where a control is disabled or hidden for this role."""
        return t("You are a {role} of this workspace: you can read and export, and changing "
                 "its data or settings needs an editor or an admin.", role=t(self.role.value))


# Single-user mode: whoever reaches the dashboard (past its shared password, if any) may do
# everything, as before team mode existed.
SINGLE_USER = Access(Mode.SINGLE, Role.ADMIN)


def secrets_dict() -> dict[str, Any]:
    """Streamlit's secrets as a plain dict; {} when there is no secrets file at all."""
    try:
        return st.secrets.to_dict()
    except FileNotFoundError as exc:  # StreamlitSecretNotFoundError: missing or unreadable
        if getattr(exc, "error_id", None) == "no-secrets-found":
            return {}
        log.exception("secrets cannot be read")
        raise SignInSetupError(
            t("The secrets file (.streamlit/secrets.toml) cannot be read; the server log says "
              "why. Fix the file and restart the dashboard.")
        ) from exc


def team_registry_path() -> Path | None:
    """The registry that puts the app in team mode, or None for single-workspace mode.
    :class:`SignInSetupError` when ``RETENTION_REGISTRY`` names a file that is not there."""
    configured = os.environ.get(REGISTRY_ENV, "").strip()
    if configured:
        path = registry_path(configured)
        if not path.is_file():
            raise SignInSetupError(
                t("RETENTION_REGISTRY names {path}, and there is no registry there. Correct the "
                  "path, or create the registry there (the README's \"Command line\" says "
                  "how).",
                  path=md_escape(path)))
        return path
    if os.environ.get("RETENTION_DB"):
        return None  # one named workspace: today's single-workspace mode
    default = registry_path()
    return default if default.is_file() else None


def mode() -> Mode:
    """This run's sign-in mode (see the module's docstring); :class:`SignInSetupError` when
    the configuration cannot be trusted."""
    if team_registry_path() is None:
        return Mode.SINGLE
    auth = secrets_dict().get("auth")
    if auth is None:
        return Mode.LOCAL
    _check_cookie_secret(auth)
    return Mode.OIDC


def _check_cookie_secret(auth: object) -> None:
    # The cookie secret signs st.login's identity cookie: whoever knows it can write a cookie
    # that signs in as any address, so a missing, short or published one closes the dashboard
    secret = auth.get("cookie_secret") if isinstance(auth, dict) else None
    if not isinstance(secret, str) or len(secret.strip()) < MIN_COOKIE_SECRET_CHARS:
        raise SignInSetupError(
            t("The [auth] section of .streamlit/secrets.toml needs a cookie_secret of at least "
              "{chars} random characters: it signs the sign-in cookie.",
              chars=MIN_COOKIE_SECRET_CHARS))
    if secret.strip() == COOKIE_SECRET_PLACEHOLDER:
        raise SignInSetupError(
            t("The cookie_secret in .streamlit/secrets.toml is still the example's placeholder. "
              "Replace it with a long random string of your own."))


@st.cache_resource(show_spinner=False)
def _open_registry(path: str) -> Registry:
    return Registry.open(path)


def registry() -> Registry:
    """The team registry of this run (opened once per server process and path)."""
    path = team_registry_path()
    if path is None:
        raise LookupError("single-workspace mode has no registry")
    return _open_registry(str(path))


# -- who is signed in ---------------------------------------------------------------------------


def signed_in_email(current: Mode) -> str | None:
    """The signed-in user's email in team mode, checked against the registry on this run;
    None when nobody is signed in (the sign-in page then says why, if there is a reason)."""
    if current is Mode.OIDC:
        return _oidc_email()
    return _local_email()


def _local_email() -> str | None:
    state = st.session_state
    token = state.get(TOKEN_KEY) or st.query_params.get(SESSION_PARAM)
    if not token:
        return None
    user = registry().session_user(token)
    if user is None:
        _forget_sign_in()
        state[NOTICE_KEY] = t("Your sign-in has ended (you signed out, or it was not used for "
                              "12 hours). Sign in again.")
        return None
    state[TOKEN_KEY], state[USER_KEY] = token, user.email
    # a page switch drops the query parameters: put the token back so a reload keeps it
    if st.query_params.get(SESSION_PARAM) != token:
        st.query_params[SESSION_PARAM] = token
    return user.email


def _provider_signed_in() -> bool:
    # st.user.is_logged_in is missing, not False, until Streamlit has seen the [auth] section
    return bool(st.user.get("is_logged_in"))


def _oidc_email() -> str | None:
    if not _provider_signed_in():
        return None
    email = st.user.get("email")
    # a provider that says the address is unverified is not trusted with it; one that does
    # not say (some do not send the claim) is trusted, as its own sign-in checked the user
    if not isinstance(email, str) or st.user.get("email_verified") is False:
        return None
    state = st.session_state
    try:
        key = normalise_email(email)
    except RegistryError:
        return None
    if state.get(USER_KEY) == key:
        return key
    user = registry().sign_in_verified(key)  # accepts invitations: once per session
    if user is None:
        return None
    state[USER_KEY] = user.email
    return user.email


def _forget_sign_in() -> None:
    state = st.session_state
    for key in (TOKEN_KEY, USER_KEY, ACCESS_KEY, WORKSPACE_KEY):
        state.pop(key, None)
    if SESSION_PARAM in st.query_params:
        del st.query_params[SESSION_PARAM]


def sign_out() -> None:
    """End this browser's sign-in: the local session token is revoked in the registry (so a
    reload or another tab with it is signed out too), or ``st.logout`` for OpenID Connect."""
    token = st.session_state.get(TOKEN_KEY)
    if token:
        registry().close_session(token)
    _forget_sign_in()
    if mode() is Mode.OIDC:
        st.logout()


def local_sign_in_page() -> None:
    """Email and password of a local account; a success opens a session and reruns.
    :class:`RegistryError` before any form when the registry cannot be used."""
    reg = registry()
    notice = st.session_state.pop(NOTICE_KEY, None)
    if notice:
        st.info(notice, icon=":material/info:")
    st.caption(t("Team mode: sign in with the email and password of your account on this "
                 "dashboard. An admin of your team can create one for you."))
    with st.form("team_sign_in"):
        email = st.text_input(t("Email"), key="sign_in_email")
        password = st.text_input(t("Password"), type="password", key="sign_in_password")
        submitted = st.form_submit_button(t("Sign in"), type="primary")
    if not submitted:
        return
    try:
        user = reg.verify_password(email, password)
    except SignInThrottled as exc:
        st.error(md_escape(exc))
        return
    if user is None:
        st.error(t("That email and password do not match an account. Check both and try "
                   "again."))
        return
    token = reg.open_session(user.email)
    st.session_state[TOKEN_KEY], st.session_state[USER_KEY] = token, user.email
    st.query_params[SESSION_PARAM] = token
    st.rerun()


def oidc_sign_in_page() -> None:
    """A button per identity provider in ``[auth]`` (one for a single, unnamed provider); for
    a provider's user the registry does not know, a sentence saying whom to ask."""
    if _provider_signed_in():
        email = st.user.get("email")
        st.warning(t("You are signed in as {email}, but this dashboard has no account for that "
                     "address (or your provider has not verified it). Ask an admin of your "
                     "team to invite it.", email=md_escape(email or t("an unknown address"))),
                   icon=":material/person_off:")
        st.button(t("Sign out"), on_click=st.logout, icon=":material/logout:")
        return
    st.caption(t("Team mode: sign in with your organisation's account."))
    auth = secrets_dict().get("auth", {})
    providers = [name for name, value in auth.items() if isinstance(value, dict)]
    if not providers:
        st.button(t("Sign in"), type="primary", on_click=return_link.sign_in,
                  icon=":material/login:")
    for name in providers:
        st.button(t("Sign in with {provider}", provider=name), type="primary",
                  key=f"sign_in_with_{name}", on_click=return_link.sign_in, args=(name,),
                  icon=":material/login:")


# -- which workspace ----------------------------------------------------------------------------


def _picked() -> None:
    # the picker changed: its choice goes into the link, which the next run reads first
    st.query_params[WORKSPACE_PARAM] = str(st.session_state[WORKSPACE_KEY])


def choose_workspace(current: Mode, email: str) -> Access | None:
    """The sidebar's workspace picker over the user's memberships and this run's Access; None
    (after a sentence saying so and who can help) when the user belongs to no workspace.

    The ``ws`` query parameter wins over the picker's last value; an id the user may not see
    (or that is no id) gets :data:`NOT_A_MEMBER` and their default workspace, the first by
    name."""
    state = st.session_state
    state.pop(ACCESS_KEY, None)
    memberships = registry().workspaces_of(email)
    if not memberships:
        st.info(t("You are signed in as {email}, and you are not a member of any workspace yet. "
                  "An admin of your team's workspace can invite you on its Team page.",
                  email=md_escape(email)), icon=":material/group_off:")
        return None
    by_id: dict[int, Membership] = {m.workspace.workspace_id: m for m in memberships}
    chosen = state.get(WORKSPACE_KEY)
    requested = st.query_params.get(WORKSPACE_PARAM)
    if requested is not None:
        chosen = int(requested) if requested.isdigit() else None
        if chosen not in by_id:
            st.warning(t(NOT_A_MEMBER), icon=":material/lock:")
            links.refuse()
    if chosen not in by_id:
        chosen = memberships[0].workspace.workspace_id
    state[WORKSPACE_KEY] = chosen
    with st.sidebar:
        st.selectbox(t("Workspace"), list(by_id), key=WORKSPACE_KEY, on_change=_picked,
                     format_func=lambda i: by_id[i].workspace.name,
                     help=t("The team workspaces you are a member of; each has its own "
                            "datasets."))
    st.query_params[WORKSPACE_PARAM] = str(chosen)
    membership = by_id[chosen]
    access = Access(current, membership.role, email, membership.workspace)
    state[ACCESS_KEY] = access
    return access


def current_access() -> Access:
    """This run's Access: :data:`SINGLE_USER` in single-workspace mode, else the one the frame
    checked on this run (a page never runs without it: the script stops)."""
    if mode() is Mode.SINGLE:
        return SINGLE_USER
    access = st.session_state.get(ACCESS_KEY)
    if not isinstance(access, Access):
        st.stop()
    return access


def mode_line(access: Access, *, shared_password: bool) -> None:
    """In the sidebar: which mode is on, and in team mode who is signed in with which role,
    with the sign-out button (single-user mode's, for a shared password, is the frame's)."""
    with st.sidebar:
        if access.mode is Mode.SINGLE:
            st.caption(t("Single-workspace mode with one shared password: everyone who has it "
                         "sees this workspace.") if shared_password else
                       t("Single-user mode: no sign-in; whoever opens this address sees this "
                         "workspace."))
            return
        how = (t("signed in through your organisation") if access.mode is Mode.OIDC
               else t("local account"))
        email = md_escape(access.email or "")
        st.caption(t("Team mode ({how}): {email}, {role} of this workspace.", how=how,
                     email=email, role=t(access.role.value)) if access.workspace else
                   t("Team mode ({how}): {email}.", how=how, email=email))
        st.button(t("Sign out"), on_click=sign_out, icon=":material/logout:", key="team_sign_out")


def share_this_view() -> None:
    """In team mode, the sidebar's "Share this view": this run's address, drawn after the page
    ran, so it holds the choices the page put into the link on this run, not the last one's."""
    access = st.session_state.get(ACCESS_KEY)
    address = st.context.url  # None where there is no browser (tests)
    if not isinstance(access, Access) or access.workspace is None or not address:
        return
    with st.sidebar, st.popover(t("Share this view"), icon=":material/share:"):
        st.code(shareable_link(address, st.query_params.to_dict()), language=None)
        st.caption(t("This address opens this page, workspace, dataset, as-of date and "
                     "settings for a colleague who is a member of the workspace. It does not "
                     "carry your sign-in: copy this one, not the browser's address bar."))


def shareable_link(address: str, query: Mapping[str, str]) -> str:
    """``address`` with this view's query parameters, less the sign-in token: what a user may
    send a colleague (the browser's own address holds the token, which signs in as them)."""
    kept = {name: value for name, value in query.items() if name != SESSION_PARAM}
    return f"{address}?{urlencode(kept)}" if kept else address
