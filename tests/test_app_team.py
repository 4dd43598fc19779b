"""Team mode in the app (issue 13): each user sees only their workspaces and switches between
them, a link to another team's workspace is refused with a sentence, roles decide which
controls write (on the server, not only in the widgets), and the Team page manages members."""

from __future__ import annotations

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from retention.ingest import load_file
from retention.registry import Action
from retention.store import open_workspace
from retention.ui import data_page, loyalty_page, team
from retention.ui.team import NOT_A_MEMBER, SESSION_PARAM, WORKSPACE_PARAM
from tests.conftest import LANGUAGE_ONLY, sidebar_pickers
from tests.team_helpers import new_session, sign_in, team_registry, texts

__all__ = ["team_registry"]  # the fixture, used by name

TEAM_PAGE = "views/team.py"
DATA_PAGE = "views/data.py"
HOME_PAGE = "views/home.py"


@pytest.fixture
def shops(team_registry, tiny_purchases_csv):
    """The team, with a dataset "North data" in North and "South data" in South."""
    load_file(open_workspace(team_registry.north.db), tiny_purchases_csv, dataset="North data")
    load_file(open_workspace(team_registry.south.db), tiny_purchases_csv, dataset="South data")
    return team_registry


def picker(at: AppTest):
    return at.sidebar.selectbox(key=team.WORKSPACE_KEY)


def dataset_names(at: AppTest) -> list[str]:
    dataset_box = at.sidebar.selectbox(key="active_dataset_id")
    return list(dataset_box.options)


# -- workspaces (step 3) ------------------------------------------------------------------------


def test_each_user_sees_only_their_own_workspace(shops):
    ann, sue = sign_in("ann@example.org"), sign_in("sue@example.org")
    assert picker(ann).options == ["North shop"] and dataset_names(ann) == ["North data"]
    assert picker(sue).options == ["South shop"] and dataset_names(sue) == ["South data"]


def test_a_link_to_another_teams_workspace_is_refused_with_a_sentence(shops):
    signed_in = sign_in("ann@example.org")
    # the link opened in a new tab of the signed-in browser: its token and the other's ws
    at = new_session({SESSION_PARAM: signed_in.query_params[SESSION_PARAM],
                      WORKSPACE_PARAM: str(shops.south.workspace_id)}).run()
    assert not at.exception
    assert NOT_A_MEMBER in texts(at)
    assert dataset_names(at) == ["North data"]
    assert at.query_params[WORKSPACE_PARAM] == str(shops.north.workspace_id)


@pytest.mark.parametrize("value", ["banana", "-1", "999"])
def test_a_made_up_workspace_id_gets_the_same_sentence(shops, value):
    at = sign_in("ann@example.org")
    at.query_params[WORKSPACE_PARAM] = value
    at.run()
    assert NOT_A_MEMBER in texts(at) and dataset_names(at) == ["North data"]


def test_a_member_of_two_workspaces_switches_and_the_link_follows(shops):
    shops.registry.grant("ann@example.org", shops.south.workspace_id, "viewer")
    at = sign_in("ann@example.org")
    assert picker(at).options == ["North shop", "South shop"]

    at.session_state["ladder_steps_1"] = "typed in North"  # a page's widget of dataset 1
    picker(at).set_value(shops.south.workspace_id).run()
    assert not at.exception
    assert dataset_names(at) == ["South data"]
    assert "ladder_steps_1" not in at.session_state  # South's dataset 1 starts afresh
    assert at.query_params[WORKSPACE_PARAM] == str(shops.south.workspace_id)
    assert "viewer of this workspace" in texts(at)

    link = new_session({SESSION_PARAM: at.query_params[SESSION_PARAM],
                        WORKSPACE_PARAM: str(shops.south.workspace_id)}).run()
    assert dataset_names(link) == ["South data"]


def test_a_revoked_membership_takes_effect_on_the_next_run(shops):
    shops.registry.grant("ann@example.org", shops.south.workspace_id, "viewer")
    at = sign_in("ann@example.org")
    picker(at).set_value(shops.south.workspace_id).run()
    shops.registry.revoke("ann@example.org", shops.south.workspace_id)
    at.run()
    assert not at.exception
    assert picker(at).options == ["North shop"] and dataset_names(at) == ["North data"]


def test_a_user_without_a_workspace_is_told_who_can_invite_them(shops):
    at = sign_in("new@example.org")
    assert not at.exception and sidebar_pickers(at) == LANGUAGE_ONLY
    assert "not a member of any workspace yet" in texts(at)
    assert "admin of your team's workspace can invite you" in texts(at)
    assert at.button(key="team_sign_out")


# -- roles (step 4) ------------------------------------------------------------------------------


def on_data_page(email: str) -> AppTest:
    at = sign_in(email)
    at.switch_page(DATA_PAGE).run()
    assert not at.exception
    return at


def test_a_viewer_cannot_upload_rename_or_delete(shops):
    at = on_data_page("vic@example.org")
    assert not at.file_uploader and not at.radio
    assert "you can read and export" in texts(at)
    ds_id = open_workspace(shops.north.db).datasets()[0].dataset_id
    assert at.button(key=f"rename_{ds_id}").disabled
    assert at.button(key=f"set_currency_{ds_id}").disabled
    assert at.checkbox(key=f"delete_confirm_{ds_id}").disabled
    assert at.button(key=f"delete_{ds_id}").disabled


def test_the_server_checks_the_role_when_the_click_arrives(shops):
    at = on_data_page("ed@example.org")  # drawn for an editor: every control enabled
    ds_id = open_workspace(shops.north.db).datasets()[0].dataset_id
    at.text_input(key=f"rename_name_{ds_id}").set_value("Hijacked")
    at.checkbox(key=f"delete_confirm_{ds_id}").check().run()
    shops.registry.grant("ed@example.org", shops.north.workspace_id, "viewer")  # demoted
    at.button(key=f"delete_{ds_id}").click().run()
    assert [d.name for d in open_workspace(shops.north.db).datasets()] == ["North data"]
    assert "you can read and export" in texts(at)


def test_a_viewer_cannot_save_page_settings(shops):
    at = sign_in("vic@example.org")
    at.switch_page("views/ladder.py").run()
    assert not at.exception
    [save] = [b for b in at.button if b.label == "Apply and remember for this dataset"]
    [reset] = [b for b in at.button if b.label == "Back to the standard steps"]
    assert save.disabled and reset.disabled
    assert "you can read and export" in texts(at)


def test_a_viewer_cannot_save_loyalty_scenarios(shops):
    from retention.ui.saved_settings import LOYALTY_NAMESPACE

    ws = open_workspace(shops.north.db)
    dataset_id = ws.datasets()[0].dataset_id
    viewer = sign_in("vic@example.org")
    viewer.switch_page("views/loyalty.py").run()
    assert not viewer.exception
    [save] = [b for b in viewer.button if b.label == "Save the scenario"]
    assert save.disabled and "you can read and export" in texts(viewer)
    # an editor saves one, is demoted, then clicks Delete on the page drawn before: the
    # click's callback reaches the server, which refuses it
    at = sign_in("ed@example.org")
    at.switch_page("views/loyalty.py").run()
    at.text_input(key=loyalty_page.SCENARIO_NAME_KEY).set_value("Mine")
    at.button(key=loyalty_page.SAVE_KEY).click().run()
    assert [s["name"] for s in ws.settings(dataset_id, LOYALTY_NAMESPACE)["scenarios"]] == [
        "Mine"]
    shops.registry.grant("ed@example.org", shops.north.workspace_id, "viewer")
    at.button(key="loyalty_delete_0").click().run()
    assert not at.exception
    assert [s["name"] for s in ws.settings(dataset_id, LOYALTY_NAMESPACE)["scenarios"]] == [
        "Mine"]


def test_a_demoted_editors_reset_click_changes_no_saved_setting(shops):
    # the reset button's callback runs before the frame checks the new run: the role is read
    # again from the registry there
    ws = open_workspace(shops.north.db)
    dataset_id = ws.datasets()[0].dataset_id
    ws.save_settings(dataset_id, "ladder", {"repeat_orders": 3})
    at = sign_in("ed@example.org")
    at.switch_page("views/ladder.py").run()
    shops.registry.grant("ed@example.org", shops.north.workspace_id, "viewer")
    at.button(key=f"ladder_reset_{dataset_id}").click().run()
    assert not at.exception
    assert ws.settings(dataset_id, "ladder") == {"repeat_orders": 3}


def test_an_editor_uploads_renames_and_edits_settings(shops):
    at = on_data_page("ed@example.org")
    assert at.file_uploader(key="data_upload")
    ds_id = open_workspace(shops.north.db).datasets()[0].dataset_id
    at.text_input(key=f"rename_name_{ds_id}").set_value("Spring")
    at.button(key=f"rename_{ds_id}").click().run()
    assert [d.name for d in open_workspace(shops.north.db).datasets()] == ["Spring"]
    assert "you can read and export" not in texts(at)


def test_the_context_carries_the_role(shops):
    at = on_data_page("vic@example.org")
    access = at.session_state[team.ACCESS_KEY]
    assert access.role == "viewer" and access.may(Action.EXPORT)
    assert not access.may(Action.UPLOAD) and access.workspace == shops.north
    assert data_page.Action is Action  # the Data page asks the same table of rights


# -- the Team page (step 5) ----------------------------------------------------------------------


def test_only_an_admin_has_the_team_page(shops):
    admin, editor = sign_in("ann@example.org"), sign_in("ed@example.org")
    assert admin.session_state[team.ACCESS_KEY].may(Action.MANAGE_MEMBERS)
    assert not editor.session_state[team.ACCESS_KEY].may(Action.MANAGE_MEMBERS)
    admin.switch_page(TEAM_PAGE).run()
    assert [h.value for h in admin.header] == ["Members", "Invite"]
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        editor.switch_page(TEAM_PAGE)  # not in an editor's navigation


def on_team_page(shops) -> AppTest:
    at = sign_in("ann@example.org")
    at.switch_page(TEAM_PAGE).run()
    assert not at.exception
    return at


def test_the_team_page_lists_members_with_roles(shops):
    at = on_team_page(shops)
    table = at.dataframe[0].value
    assert dict(zip(table["email"], table["role"], strict=True)) == {
        "ann@example.org": "admin", "ed@example.org": "editor", "vic@example.org": "viewer"}


def test_an_admin_changes_a_role(shops):
    at = on_team_page(shops)
    at.selectbox(key="team_member").set_value("vic@example.org").run()
    at.selectbox(key="team_role_vic@example.org").set_value("editor").run()
    at.button(key="team_change_vic@example.org").click().run()
    assert not at.exception
    assert shops.registry.role_of("vic@example.org", shops.north.workspace_id) == "editor"
    assert "vic@example.org is now editor." in texts(at)


def test_removing_a_member_needs_a_confirmation(shops):
    at = on_team_page(shops)
    at.selectbox(key="team_member").set_value("ed@example.org").run()
    assert at.button(key="team_remove_ed@example.org").disabled
    at.checkbox(key="team_remove_confirm_ed@example.org").check().run()
    at.button(key="team_remove_ed@example.org").click().run()
    assert shops.registry.role_of("ed@example.org", shops.north.workspace_id) is None
    assert "Removed ed@example.org." in texts(at)


def test_the_last_admin_is_kept_with_a_sentence(shops):
    at = on_team_page(shops)
    at.selectbox(key="team_member").set_value("ann@example.org").run()
    at.checkbox(key="team_remove_confirm_ann@example.org").check().run()
    at.button(key="team_remove_ann@example.org").click().run()
    assert not at.exception
    assert "without an admin" in texts(at)
    assert shops.registry.role_of("ann@example.org", shops.north.workspace_id) == "admin"


def invite(at: AppTest) -> None:
    next(button for button in at.button if button.label == "Invite").click().run()


def test_an_admin_invites_an_email_with_a_role(shops):
    at = on_team_page(shops)
    at.text_input(key="team_invite_email").set_value("Zoe@Example.org")
    at.selectbox(key="team_invite_role").set_value("editor")
    invite(at)
    [invitation] = shops.registry.invitations_of(shops.north.workspace_id)
    assert (invitation.email, invitation.role) == ("zoe@example.org", "editor")
    assert "Invited Zoe@Example.org as editor." in texts(at)

    at.text_input(key="team_invite_email").set_value("not an email")
    invite(at)
    assert "is not an email address" in texts(at)


def test_a_demoted_admin_loses_the_team_page_at_once(shops):
    at = on_team_page(shops)
    shops.registry.grant("ed@example.org", shops.north.workspace_id, "admin")
    shops.registry.grant("ann@example.org", shops.north.workspace_id, "viewer")
    at.run()
    assert not at.exception
    assert "Members" not in [h.value for h in at.header]


def test_a_member_of_nothing_is_not_called_a_viewer(shops):
    at = sign_in("new@example.org")
    assert "Team mode (local account): new@example.org." in texts(at)
    assert "viewer" not in texts(at)


# -- caching (step 6) ---------------------------------------------------------------------------

SOUTH_PURCHASES = ("customer_id,date,amount\n"
                   "S1,2025-01-10,900.00\nS1,2025-02-10,900.00\nS5,2025-01-15,5.00\n"
                   "S2,2025-02-20,10.00\nS3,2025-03-01,20.00\n")


def metric_values(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_two_signed_in_sessions_never_share_a_cached_result(team_registry, tiny_purchases_csv,
                                                            tmp_path):
    """North and South each hold dataset 1 at version 1, as of 1 March 2025: the same cache
    key but for the workspace. Each session, its runs interleaved with the other's in one
    server process (one cache), sees its own workspace's numbers on every page it opens."""
    north = load_file(open_workspace(team_registry.north.db), tiny_purchases_csv,
                      dataset="North data", currency="USD")
    south_csv = tmp_path / "south.csv"
    south_csv.write_text(SOUTH_PURCHASES, encoding="utf-8")
    south = load_file(open_workspace(team_registry.south.db), south_csv, dataset="South data",
                      currency="USD")
    assert (north.dataset_id, north.version) == (south.dataset_id, south.version) == (1, 1)

    pages = (HOME_PAGE, "views/ladder.py", "views/ltv.py", "views/abc_xyz.py")
    alone = {}  # what each user's pages show with the cache emptied before each: no crossing
    for email in ("ann@example.org", "sue@example.org"):
        at = sign_in(email)
        for page in pages:
            st.cache_data.clear()
            alone[email, page] = metric_values(at.switch_page(page).run())
    assert alone["ann@example.org", HOME_PAGE]["Net revenue"] == "$250.00"
    assert alone["sue@example.org", HOME_PAGE]["Net revenue"] == "$1,835.00"

    st.cache_data.clear()
    sessions = {email: sign_in(email) for email in ("ann@example.org", "sue@example.org")}
    for page in (*pages, *pages):  # each page twice: cold for the first user, then warm
        for email, at in sessions.items():
            at.switch_page(page).run()
            assert not at.exception, (email, page)
            assert metric_values(at) == alone[email, page], (email, page)


# -- the language a user chose (issue 15) -------------------------------------------------------


def test_a_signed_in_users_language_is_remembered_for_their_next_session(shops):
    from retention.ui.frame import LANGUAGE_KEY

    first = sign_in("ann@example.org")
    assert first.sidebar.selectbox(key=LANGUAGE_KEY).value == "en"
    first.sidebar.selectbox(key=LANGUAGE_KEY).set_value("hy").run()
    assert shops.registry.language_of("ann@example.org") == "hy"
    assert shops.registry.language_of("sue@example.org") is None

    again = sign_in("ann@example.org")  # a new browser session
    assert not again.exception
    assert again.sidebar.selectbox(key=LANGUAGE_KEY).value == "hy"
    assert sign_in("sue@example.org").sidebar.selectbox(key=LANGUAGE_KEY).value == "en"

    # a link's language wins over the remembered one, and is not remembered by itself
    linked = sign_in("ann@example.org", at=new_session({"lang": "ka"}).run())
    assert linked.sidebar.selectbox(key=LANGUAGE_KEY).value == "ka"
    assert shops.registry.language_of("ann@example.org") == "hy"
