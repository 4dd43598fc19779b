"""The registry of a hosted dashboard (DESIGN §9): hashing, the sign-in throttle, several
processes writing at once, the roles' rights, invitations, emails and workspace file names."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pytest
from argon2 import PasswordHasher

from retention.registry import (
    ACCOUNT_FAILURES,
    ACCOUNT_WINDOW_SECONDS,
    DEFAULT_REGISTRY,
    RIGHTS,
    SERVER_FAILURES,
    SERVER_WINDOW_SECONDS,
    SESSION_SECONDS,
    Action,
    AlreadyExists,
    InvalidValue,
    LastAdmin,
    Registry,
    RegistryUnavailable,
    Role,
    SignInThrottled,
    Throttle,
    UnknownUser,
    UnknownWorkspace,
    may,
    normalise_email,
    parse_role,
    registry_path,
    workspace_file_name,
    workspaces_dir,
)

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "correct horse battery"
# Argon2 at its cheapest: the tests check what is stored and when, not the cost of guessing.
FAST = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


class FakeClock:
    """Seconds since the epoch that move only when a test moves them."""

    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def registry(tmp_path: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> Registry:
    monkeypatch.delenv("RETENTION_WORKSPACES_DIR", raising=False)
    return Registry.open(tmp_path / "registry.sqlite3", hasher=FAST, clock=clock)


def stored_hash(registry: Registry, email: str) -> str:
    with sqlite3.connect(registry.path) as con:
        return con.execute("select password_hash from users where email = ?", [email]).fetchone()[0]


# -- passwords ---------------------------------------------------------------------------------


def test_the_stored_hash_is_argon2id_and_not_the_password(registry):
    registry.add_user("ann@example.org", PASSWORD)
    stored = stored_hash(registry, "ann@example.org")
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored
    raw = b"".join(file.read_bytes()  # the database and its journal, if one is left
                   for file in registry.path.parent.glob(f"{registry.path.name}*"))
    assert PASSWORD.encode() not in raw


def test_the_right_password_signs_in_and_a_wrong_one_does_not(registry):
    registry.add_user("ann@example.org", PASSWORD)
    user = registry.verify_password("ann@example.org", PASSWORD)
    assert (user.email, user.has_password) == ("ann@example.org", True)
    assert registry.verify_password("ann@example.org", PASSWORD + "!") is None
    assert registry.verify_password("ann@example.org", "") is None
    assert registry.verify_password("nobody@example.org", PASSWORD) is None


def test_a_user_without_a_password_cannot_sign_in_with_one_until_given_one(registry):
    registry.add_user("ann@example.org")
    assert registry.verify_password("ann@example.org", PASSWORD) is None
    registry.set_password("ann@example.org", PASSWORD)
    assert registry.verify_password("ann@example.org", PASSWORD) is not None


def test_a_sign_in_rehashes_when_the_parameters_changed(tmp_path, clock):
    path = tmp_path / "registry.sqlite3"
    Registry.open(path, hasher=FAST, clock=clock).add_user("ann@example.org", PASSWORD)
    stronger = Registry.open(path, hasher=PasswordHasher(time_cost=2, memory_cost=16,
                                                         parallelism=1), clock=clock)
    before = stored_hash(stronger, "ann@example.org")
    assert "m=8,t=1,p=1" in before
    assert stronger.verify_password("ann@example.org", "wrong password") is None
    assert stored_hash(stronger, "ann@example.org") == before  # a failure changes nothing
    assert stronger.verify_password("ann@example.org", PASSWORD) is not None
    after = stored_hash(stronger, "ann@example.org")
    assert "m=16,t=2,p=1" in after
    assert stronger.verify_password("ann@example.org", PASSWORD) is not None


def test_a_short_password_is_refused_with_a_sentence(registry):
    with pytest.raises(InvalidValue, match="^A password needs at least 8 characters.$"):
        registry.add_user("ann@example.org", "short")
    assert registry.listing()["users"] == []


def test_passwords_of_unknown_or_duplicate_users_are_refused(registry):
    registry.add_user("ann@example.org", PASSWORD)
    with pytest.raises(AlreadyExists, match="^A user ann@example.org already exists.$"):
        registry.add_user(" ANN@example.org", PASSWORD)
    with pytest.raises(UnknownUser, match="^There is no user bob@example.org.$"):
        registry.set_password("bob@example.org", PASSWORD)


# -- throttle ----------------------------------------------------------------------------------


def fail(registry: Registry, email: str, times: int) -> None:
    for _ in range(times):
        assert registry.verify_password(email, "not the password") is None


def test_an_account_is_throttled_after_five_failures_in_fifteen_minutes(registry, clock):
    registry.add_user("ann@example.org", PASSWORD)
    fail(registry, "ann@example.org", ACCOUNT_FAILURES - 1)
    clock.now += 100
    fail(registry, "ann@example.org", 1)
    assert registry.sign_in_wait("Ann@Example.org") == Throttle(ACCOUNT_WINDOW_SECONDS - 100,
                                                                "account")
    # refused without checking the password, right or wrong
    with pytest.raises(SignInThrottled, match="^Too many failed sign-ins for this account: "
                                              "try again in 800 seconds.$") as refused:
        registry.verify_password("ann@example.org", PASSWORD)
    assert refused.value.throttle.wait_seconds == 800
    assert registry.sign_in_wait("bob@example.org").may_proceed  # another account is not held
    clock.now += 799.5
    assert registry.sign_in_wait("ann@example.org") == Throttle(1, "account")
    clock.now += 0.5  # the oldest failure is now 15 minutes old
    assert registry.sign_in_wait("ann@example.org") == Throttle(0, None)
    assert registry.verify_password("ann@example.org", PASSWORD) is not None


def test_a_success_forgets_the_accounts_failures(registry):
    registry.add_user("ann@example.org", PASSWORD)
    fail(registry, "ann@example.org", ACCOUNT_FAILURES - 1)
    assert registry.verify_password("ann@example.org", PASSWORD) is not None
    fail(registry, "ann@example.org", ACCOUNT_FAILURES - 1)
    assert registry.sign_in_wait("ann@example.org").may_proceed


def test_unknown_accounts_are_throttled_like_known_ones(registry):
    fail(registry, "nobody@example.org", ACCOUNT_FAILURES)
    assert registry.sign_in_wait("nobody@example.org").scope == "account"


def test_the_server_is_throttled_after_fifty_failures_in_a_minute(registry, clock):
    start = clock.now
    for n in range(SERVER_FAILURES):
        fail(registry, f"guess{n}@example.org", 1)
        clock.now += 0.5
    # the 50 failures lie in [start, start + 24.5]; now = start + 25
    verdict = registry.sign_in_wait("someone-else@example.org")
    assert verdict == Throttle(SERVER_WINDOW_SECONDS - 25, "server")
    with pytest.raises(SignInThrottled, match="on this server: try again in 35 seconds"):
        registry.verify_password("someone-else@example.org", PASSWORD)
    clock.now = start + SERVER_WINDOW_SECONDS  # the first failure has left the minute
    assert registry.sign_in_wait("someone-else@example.org").may_proceed


def test_the_throttle_counts_across_processes_sharing_the_registry(registry, clock):
    other_process = Registry.open(registry.path, hasher=FAST, clock=clock)
    fail(registry, "ann@example.org", 3)
    fail(other_process, "ann@example.org", 2)
    assert not registry.sign_in_wait("ann@example.org").may_proceed
    assert not other_process.sign_in_wait("ann@example.org").may_proceed


def test_old_failures_are_pruned(registry, clock):
    fail(registry, "ann@example.org", 3)
    clock.now += ACCOUNT_WINDOW_SECONDS + 1
    fail(registry, "bob@example.org", 1)
    with sqlite3.connect(registry.path) as con:
        assert con.execute("select account from sign_in_attempts").fetchall() == [
            ("bob@example.org",)]


# -- several processes -------------------------------------------------------------------------

WRITER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from argon2 import PasswordHasher
    from retention.registry import Registry
    path, tag, go = sys.argv[1], sys.argv[2], Path(sys.argv[3])
    while not go.exists():
        time.sleep(0.005)
    registry = Registry.open(path, hasher=PasswordHasher(time_cost=1, memory_cost=8,
                                                         parallelism=1))
    workspace = registry.add_workspace(f"team {tag}")
    for n in range(40):
        email = f"{tag}{n}@example.org"
        registry.add_user(email, "a long password")
        registry.grant(email, workspace.workspace_id, "editor")
        # 20 failures each: 40 in all, under the server's limit of 50 a minute
        registry.verify_password(email, "a long password" if n % 2 else "wrong password")
""")


def test_two_processes_writing_at_once_both_succeed(tmp_path, monkeypatch):
    monkeypatch.delenv("RETENTION_WORKSPACES_DIR", raising=False)
    path = tmp_path / "registry.sqlite3"  # not there yet: both processes create it
    go = tmp_path / "go"
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, str(path), tag, str(go)],
                                cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True) for tag in ("a", "b")]
    go.touch()
    for writer in writers:
        _, stderr = writer.communicate(timeout=120)
        assert writer.returncode == 0, stderr
        assert "locked" not in stderr
    listing = Registry.open(path).listing()
    assert len(listing["users"]) == 80
    assert {ws["workspace"]: len(ws["members"]) for ws in listing["workspaces"]} == {
        "team a": 40, "team b": 40}
    with sqlite3.connect(path) as con:
        assert con.execute("pragma journal_mode").fetchone() == ("wal",)
        assert con.execute("select count(*) from sign_in_attempts").fetchone() == (40,)


# -- roles -------------------------------------------------------------------------------------


def test_the_rights_of_the_three_roles():
    assert {role: {action.value for action in actions} for role, actions in RIGHTS.items()} == {
        Role.VIEWER: {"read", "export"},
        Role.EDITOR: {"read", "export", "upload", "delete", "edit_settings"},
        Role.ADMIN: {"read", "export", "upload", "delete", "edit_settings", "manage_members"},
    }
    assert may(Role.VIEWER, Action.EXPORT) and not may(Role.VIEWER, Action.UPLOAD)
    assert may(Role.EDITOR, Action.DELETE) and not may(Role.EDITOR, Action.MANAGE_MEMBERS)
    assert may(Role.ADMIN, Action.MANAGE_MEMBERS)
    assert not any(may(None, action) for action in Action)


def test_roles_parse_from_text_and_a_bad_one_is_one_sentence():
    assert parse_role(" Editor ") is Role.EDITOR
    with pytest.raises(InvalidValue, match=r"^'owner' is not a role: use viewer, editor or "
                                           r"admin.$"):
        parse_role("owner")


def test_grant_revoke_and_role_of(registry):
    registry.add_user("ann@example.org")
    registry.add_user("bob@example.org")
    shop = registry.add_workspace("Shop")
    cafe = registry.add_workspace("Café")
    registry.grant("ann@example.org", "shop", Role.ADMIN)
    registry.grant("bob@example.org", shop.workspace_id, "viewer")
    registry.grant("bob@example.org", "Café", "editor")
    assert registry.role_of("BOB@example.org", "SHOP") is Role.VIEWER
    assert registry.role_of("bob@example.org", cafe.workspace_id) is Role.EDITOR
    assert registry.role_of("ann@example.org", "Café") is None
    assert registry.role_of("nobody@example.org", "Shop") is None
    assert registry.role_of("ann@example.org", "no such workspace") is None
    assert registry.role_of("ann@example.org", 999) is None
    assert [(m.workspace.name, m.role) for m in registry.workspaces_of("bob@example.org")] == [
        ("Café", Role.EDITOR), ("Shop", Role.VIEWER)]
    assert registry.workspaces_of("nobody@example.org") == []
    registry.grant("bob@example.org", "Shop", "editor")  # a new role replaces the old
    assert [(m.email, m.role) for m in registry.members_of("Shop")] == [
        ("ann@example.org", Role.ADMIN), ("bob@example.org", Role.EDITOR)]
    registry.revoke("bob@example.org", "shop")
    assert registry.role_of("bob@example.org", "Shop") is None
    assert registry.role_of("bob@example.org", "Café") is Role.EDITOR


def test_membership_errors_are_one_sentence(registry):
    registry.add_user("ann@example.org")
    registry.add_workspace("Shop")
    with pytest.raises(UnknownUser, match="^There is no user bob@example.org.$"):
        registry.grant("bob@example.org", "Shop", "viewer")
    with pytest.raises(UnknownWorkspace, match="^There is no workspace 'Cafe'.$"):
        registry.grant("ann@example.org", "Cafe", "viewer")
    with pytest.raises(UnknownWorkspace, match="^There is no workspace 'Cafe'.$"):
        registry.members_of("Cafe")
    with pytest.raises(InvalidValue, match="is not a role"):
        registry.grant("ann@example.org", "Shop", "owner")
    with pytest.raises(UnknownUser, match="^ann@example.org is neither a member of nor invited "
                                          "to 'Shop'.$"):
        registry.revoke("ann@example.org", "Shop")


def test_the_last_admin_can_be_neither_demoted_nor_removed(registry):
    registry.add_user("ann@example.org")
    registry.add_user("bob@example.org")
    registry.add_workspace("Shop")
    registry.grant("ann@example.org", "Shop", "admin")
    with pytest.raises(LastAdmin, match="^That would leave 'Shop' without an admin: make "
                                        "someone else admin first.$"):
        registry.grant("ann@example.org", "Shop", "editor")
    with pytest.raises(LastAdmin):
        registry.revoke("ann@example.org", "Shop")
    registry.grant("bob@example.org", "Shop", "admin")
    registry.grant("ann@example.org", "Shop", "viewer")
    assert registry.role_of("ann@example.org", "Shop") is Role.VIEWER


# -- invitations -------------------------------------------------------------------------------


def test_an_invitation_becomes_a_membership_at_the_first_sign_in(registry):
    shop = registry.add_workspace("Shop")
    invitation = registry.invite(" Bob@Example.org ", "Shop", "editor")
    assert (invitation.email, invitation.workspace, invitation.role) == (
        "bob@example.org", shop, Role.EDITOR)
    assert [(i.email, i.role) for i in registry.invitations_of("Shop")] == [
        ("bob@example.org", Role.EDITOR)]
    registry.add_user("bob@example.org", PASSWORD)
    assert registry.role_of("bob@example.org", "Shop") is None  # not before signing in
    assert registry.verify_password("bob@example.org", "wrong password") is None
    assert registry.role_of("bob@example.org", "Shop") is None  # nor on a failed attempt
    registry.verify_password("bob@example.org", PASSWORD)
    assert registry.role_of("bob@example.org", "Shop") is Role.EDITOR
    assert registry.invitations_of("Shop") == []


def test_an_identity_provider_sign_in_accepts_invitations_and_creates_the_user(registry):
    registry.add_workspace("Shop")
    assert registry.sign_in_verified("stranger@example.org") is None
    assert registry.listing()["users"] == []
    registry.invite("bob@example.org", "Shop", "viewer")
    user = registry.sign_in_verified("BOB@example.org")
    assert (user.email, user.has_password) == ("bob@example.org", False)
    assert registry.role_of("bob@example.org", "Shop") is Role.VIEWER
    assert registry.sign_in_verified("bob@example.org") == user  # a known user: no invitation


def test_invitations_give_way_to_memberships(registry):
    registry.add_user("ann@example.org")
    registry.add_workspace("Shop")
    registry.add_workspace("Cafe")
    registry.grant("ann@example.org", "Shop", "viewer")
    with pytest.raises(AlreadyExists, match="^ann@example.org is already a member of 'Shop': "
                                            "change their role instead.$"):
        registry.invite("ann@example.org", "Shop", "admin")
    registry.invite("ann@example.org", "Cafe", "editor")
    registry.grant("ann@example.org", "Cafe", "viewer")  # a grant settles the invitation
    assert registry.invitations_of("Cafe") == []
    registry.invite("carl@example.org", "Cafe", "editor")
    registry.invite("carl@example.org", "Cafe", "admin")  # a second invitation replaces it
    assert [i.role for i in registry.invitations_of("Cafe")] == [Role.ADMIN]
    registry.revoke("carl@example.org", "Cafe")  # withdraws the invitation
    assert registry.invitations_of("Cafe") == []


# -- emails ------------------------------------------------------------------------------------


def test_emails_are_stripped_and_case_folded():
    assert normalise_email("  Ann.Lee+Shop@Mail.Example.CO.UK\n") == (
        "ann.lee+shop@mail.example.co.uk")
    assert normalise_email("Straße@Example.org") == normalise_email("STRASSE@example.org")


@pytest.mark.parametrize("email", [
    "", "ann", "ann@", "@example.org", "ann@example", "ann@@example.org", "ann@exa@mple.org",
    "ann lee@example.org", "ann@example..org", "ann@.example.org", "ann@example.org.",
    "ann\x00@example.org", "a" * 250 + "@example.org",
])
def test_bad_emails_are_refused_with_a_sentence(email):
    with pytest.raises(InvalidValue, match="is not an email address.$"):
        normalise_email(email)


def test_users_are_one_per_normalised_email(registry):
    registry.add_user("Ann@Example.org", PASSWORD)
    assert registry.verify_password("  ANN@example.ORG", PASSWORD).email == "ann@example.org"
    with pytest.raises(InvalidValue):
        registry.add_user("not an email")


# -- workspaces --------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "expected"), [
    ("../x", "x-7.duckdb"),
    ("..", "workspace-7.duckdb"),
    ("con", "con-7.duckdb"),
    ("/etc/passwd", "etc-passwd-7.duckdb"),
    ("C:\\Windows\\NUL", "c-windows-nul-7.duckdb"),
    ("Кофейня", "workspace-7.duckdb"),
    ("Café Ünïcode", "cafe-unicode-7.duckdb"),
    ("x" * 300, "x" * 40 + "-7.duckdb"),
])
def test_workspace_file_names_are_slugs_with_the_id(name, expected):
    assert workspace_file_name(name, 7) == expected


def test_hostile_workspace_names_get_files_inside_the_workspaces_folder(registry):
    for name in ("../x", "con", "Кофейня", "/etc/passwd", "..\\..\\y"):
        workspace = registry.add_workspace(name)
        assert workspace.name == name
        assert workspace.db.parent == registry.workspaces == registry.path.parent / "workspaces"
        assert workspace.db.name == workspace_file_name(name, workspace.workspace_id)
        with duckdb.connect(str(workspace.db), read_only=True) as con:  # an empty workspace
            assert con.execute("select count(*) from datasets").fetchone() == (0,)
    assert registry.workspace("Кофейня").name == "Кофейня"
    assert sorted(p.name for p in registry.workspaces.iterdir()) == [
        "con-2.duckdb", "etc-passwd-4.duckdb", "workspace-3.duckdb", "x-1.duckdb", "y-5.duckdb"]


def test_bad_or_duplicate_workspace_names_are_refused(registry):
    registry.add_workspace("Shop")
    with pytest.raises(AlreadyExists, match="^A workspace 'SHOP' already exists.$"):
        registry.add_workspace(" SHOP ")
    for bad in ("", "   ", "tab\there", "zero\u200bwidth", "x" * 101):
        with pytest.raises(InvalidValue, match="^A workspace name "):
            registry.add_workspace(bad)
    assert [ws["workspace"] for ws in registry.listing()["workspaces"]] == ["Shop"]


def test_a_file_left_where_a_new_workspace_would_go_is_not_taken_over(registry):
    registry.workspaces.mkdir()
    left = registry.workspaces / "shop-1.duckdb"
    left.write_bytes(b"an earlier registry's data")
    with pytest.raises(AlreadyExists, match="is already there, perhaps left by an earlier "
                                            "registry"):
        registry.add_workspace("Shop")
    assert left.read_bytes() == b"an earlier registry's data"
    assert registry.listing()["workspaces"] == []


# -- where -------------------------------------------------------------------------------------


def test_where_the_registry_and_workspaces_live(tmp_path, monkeypatch):
    monkeypatch.delenv("RETENTION_REGISTRY", raising=False)
    monkeypatch.delenv("RETENTION_WORKSPACES_DIR", raising=False)
    assert Path("data") / "registry.sqlite3" == DEFAULT_REGISTRY
    assert registry_path() == DEFAULT_REGISTRY.resolve()
    assert workspaces_dir(registry_path()) == (Path("data") / "workspaces").resolve()
    monkeypatch.setenv("RETENTION_REGISTRY", str(tmp_path / "team" / "r.sqlite3"))
    assert registry_path() == tmp_path / "team" / "r.sqlite3"
    assert registry_path(tmp_path / "given.sqlite3") == tmp_path / "given.sqlite3"
    monkeypatch.setenv("RETENTION_WORKSPACES_DIR", str(tmp_path / "files"))
    registry = Registry.open(hasher=FAST)
    assert registry.path == tmp_path / "team" / "r.sqlite3"
    assert registry.add_workspace("Shop").db == tmp_path / "files" / "shop-1.duckdb"


def test_a_registry_that_cannot_be_opened_says_so(tmp_path):
    with pytest.raises(RegistryUnavailable, match="^The registry .* cannot be used: "):
        Registry.open(tmp_path)  # a folder, not a file


# -- sign-in sessions --------------------------------------------------------------------------


def test_a_session_token_signs_its_user_in_until_closed(registry):
    registry.add_user("ann@example.org", PASSWORD)
    token = registry.open_session("Ann@Example.org")

    assert len(token) >= 43
    assert registry.session_user(token).email == "ann@example.org"
    registry.close_session(token)
    assert registry.session_user(token) is None
    registry.close_session(token)  # a second sign-out is harmless


def test_only_the_tokens_digest_is_stored(registry):
    registry.add_user("ann@example.org", PASSWORD)
    token = registry.open_session("ann@example.org")
    with sqlite3.connect(registry.path) as con:
        stored = [row[0] for row in con.execute("select token_digest from sessions")]
    assert len(stored) == 1 and token not in stored[0] and len(stored[0]) == 64


def test_a_session_expires_twelve_hours_after_its_last_use(registry, clock):
    registry.add_user("ann@example.org", PASSWORD)
    token = registry.open_session("ann@example.org")
    clock.now += SESSION_SECONDS - 10
    assert registry.session_user(token) is not None  # a use moves the expiry forward
    clock.now += SESSION_SECONDS - 10
    assert registry.session_user(token) is not None
    clock.now += SESSION_SECONDS + 1
    assert registry.session_user(token) is None


def test_unknown_tokens_and_users_are_refused(registry):
    assert registry.session_user("made-up") is None
    with pytest.raises(UnknownUser):
        registry.open_session("nobody@example.org")


def test_a_version_one_registry_gains_the_sessions_table(tmp_path, clock):
    path = tmp_path / "old.sqlite3"
    Registry.open(path, hasher=FAST, clock=clock)
    with sqlite3.connect(path) as con:
        con.execute("drop table sessions")
        con.execute("update meta set value = '1' where key = 'schema_version'")
    registry = Registry.open(path, hasher=FAST, clock=clock)
    registry.add_user("ann@example.org", PASSWORD)
    assert registry.session_user(registry.open_session("ann@example.org")) is not None
