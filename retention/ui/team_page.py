"""The Team page's sections: the workspace's members and invitations, changing a role, removing
a member (after a confirmation) and inviting an email with a role.

Every action asks ``ctx.may(Action.MANAGE_MEMBERS)`` again before it writes, whatever the
navigation showed, and the registry's refusals (the last admin, a duplicate, a bad email) are
shown as its one sentence. A change leaves a confirmation in session state and reruns, so the
list and the navigation show the new state.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from retention.export import Column, TableSpec
from retention.i18n import t
from retention.registry import Action, RegistryError, Role
from retention.ui import team
from retention.ui.context import Context
from retention.ui.text import md_escape
from retention.ui.widgets import (
    rerun_with_confirmation,
    show_confirmation,
    show_table,
    table_spec,
)

_FLASH_KEY = "_team_flash"
ROLES = list(Role)


def _role_label(role: Role) -> str:
    return {Role.VIEWER: t("viewer: reads and exports"),
            Role.EDITOR: t("editor: also uploads, deletes and edits settings"),
            Role.ADMIN: t("admin: also manages members")}[role]


def members_spec() -> TableSpec:
    """The members table: email, role, and whether they are a member or invited."""
    return table_spec(Column("email", t("Email")), Column("role", t("Role")),
                      Column("status", t("Status")))


def allowed(ctx: Context) -> bool:
    """True for an admin of the current team workspace; anyone else is told who manages it."""
    if ctx.access.workspace is not None and ctx.may(Action.MANAGE_MEMBERS):
        return True
    st.info(t("Only an admin of this workspace manages its members; ask one of them to "
              "change who is in it."), icon=":material/lock:")
    return False


def _workspace_id(ctx: Context) -> int:
    assert ctx.access.workspace is not None
    return ctx.access.workspace.workspace_id


def _change(ctx: Context, done: str, write: Callable[..., object], *args: object) -> None:
    """Run one registry change for an admin; its refusal as a sentence, its success as a
    confirmation after the rerun."""
    if not ctx.may(Action.MANAGE_MEMBERS):  # the server's check, not only the navigation's
        st.error(t("Only an admin of this workspace manages its members."))
        return
    try:
        write(*args)
    except RegistryError as exc:
        st.error(md_escape(exc), icon=":material/error:")
        return
    rerun_with_confirmation(_FLASH_KEY, done)


def members_section(ctx: Context) -> None:
    """The members and pending invitations, then role and removal for one member."""
    show_confirmation(_FLASH_KEY)
    registry, workspace_id = team.registry(), _workspace_id(ctx)
    members = registry.members_of(workspace_id)
    invitations = registry.invitations_of(workspace_id)
    st.header(t("Members"))
    rows = [{"email": m.email, "role": t(m.role.value), "status": t("member")}
            for m in members]
    rows += [{"email": i.email, "role": t(i.role.value),
              "status": t("invited: joins at their next sign-in")} for i in invitations]
    show_table(pd.DataFrame(rows), members_spec())

    emails = [m.email for m in members]
    roles = {m.email: m.role for m in members}
    email = st.selectbox(t("Member"), emails, key="team_member")
    if email is None:
        return
    left, right = st.columns(2)
    with left:
        role = st.selectbox(t("Role"), ROLES, index=ROLES.index(roles[email]),
                            format_func=_role_label, key=f"team_role_{email}")
        if st.button(t("Change role"), key=f"team_change_{email}", icon=":material/badge:",
                     disabled=role == roles[email]):
            _change(ctx, t("{email} is now {role}.", email=md_escape(email), role=t(role.value)),
                    registry.grant, email, workspace_id, role)
    with right:
        confirmed = st.checkbox(t("I understand that {email} loses access to this workspace",
                                  email=md_escape(email)), key=f"team_remove_confirm_{email}")
        if st.button(t("Remove from workspace"), key=f"team_remove_{email}",
                     icon=":material/person_remove:", disabled=not confirmed):
            _change(ctx, t("Removed {email}.", email=md_escape(email)),
                    registry.revoke, email, workspace_id)


def invite_section(ctx: Context) -> None:
    """Invite an email with a role: it becomes a member at its next sign-in (an account made
    with ``python -m retention admin add-user``, or through the identity provider)."""
    st.header(t("Invite"))
    with st.form("team_invite"):
        email = st.text_input(t("Email to invite"), key="team_invite_email")
        role = st.selectbox(t("Role"), ROLES, format_func=_role_label, key="team_invite_role")
        submitted = st.form_submit_button(t("Invite"), icon=":material/person_add:")
    st.caption(t("An invited email joins this workspace the next time it signs in; someone "
                 "without an account needs one from the server's operator first, unless the "
                 "dashboard signs people in through your organisation."))
    if submitted:
        _change(ctx, t("Invited {email} as {role}.", email=md_escape(email.strip()),
                       role=t(role.value)),
                team.registry().invite, email, _workspace_id(ctx), role)
