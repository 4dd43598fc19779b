"""The registry of a hosted dashboard (DESIGN §9): users, team workspaces, memberships with their
roles, and invitations; plus the sign-in check for local accounts and its throttle.

Why SQLite and not a DuckDB file: DuckDB lets one process at a time write a file, while a hosted
dashboard runs several server processes (and the admin command line) that all sign people in
and change memberships. SQLite in WAL mode lets readers go on while one process writes, and with
a busy timeout a writer waits for the lock instead of failing. Every change runs in one
``BEGIN IMMEDIATE`` transaction: taking the write lock at the start means a transaction never
has to upgrade a read lock mid-way, the one case where SQLite gives up at once with "database is
locked" instead of waiting.

Why a connection per call: the dashboard calls the registry from many session threads; opening
an SQLite connection costs well under a millisecond, and then nothing is shared between threads.

Where things live: the registry at ``RETENTION_REGISTRY`` (default ``data/registry.sqlite3``,
beside the default workspace), team workspace files in ``RETENTION_WORKSPACES_DIR`` (default
``workspaces/`` beside the registry). The registry stores a workspace's file *name* only, made
from its id and a slug of its name (a name is never used as a path), so the folder can move (a
container volume mounted elsewhere) without editing the registry.

Emails are compared normalised: surrounding spaces removed and case folded (``str.casefold``),
so ``Ann@Example.ORG `` and ``ann@example.org`` are one user. A valid email has exactly one
``@``, no spaces or control characters, something before the ``@``, a domain of at least two
non-empty dot-separated labels after it, and at most 254 characters. Nothing more is checked:
the real test of an address is whether its owner can sign in with it.

Passwords are hashed with Argon2id (argon2-cffi's defaults, RFC 9106's low-memory profile:
3 passes over 64 MiB); the registry stores the hash only, and never logs or returns a password or
hash. When the parameters change, a successful sign-in stores a fresh hash made with the new
ones. A new password needs at least :data:`MIN_PASSWORD_LENGTH` characters.

Sign-in throttle, counted in the registry so every server process sees the same counts: at most
:data:`ACCOUNT_FAILURES` failed attempts per account (the normalised email as typed, whether or
not such a user exists, so the throttle does not reveal who has an account) in
:data:`ACCOUNT_WINDOW_SECONDS`, and :data:`SERVER_FAILURES` failed attempts in all in
:data:`SERVER_WINDOW_SECONDS`. An attempt is recorded as failed *before* the password is checked
and forgotten when it succeeds, so attempts racing in parallel processes cannot slip past the
limit; a success also forgets the account's earlier failures. An attempt over a limit is refused
without looking at the password, saying how many seconds to wait.

Sign-in sessions (what keeps a local account signed in across a reload, README "Sharing the
dashboard"): :meth:`Registry.open_session` makes a token of 32 random bytes and stores only its
SHA-256 digest (a token is random, so a plain digest suffices: there is nothing to guess from
it), with an expiry :data:`SESSION_SECONDS` ahead that each use moves forward (sliding).
:meth:`Registry.session_user` answers for a live token; :meth:`Registry.close_session` ends one.
A stolen copy of the registry therefore signs nobody in.
"""

from __future__ import annotations

import hashlib
import math
import os
import re
import secrets
import sqlite3
import time
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from types import MappingProxyType
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from retention.i18n import N_, t
from retention.store import DEFAULT_WORKSPACE, close_workspace, open_workspace

REGISTRY_ENV = "RETENTION_REGISTRY"
WORKSPACES_DIR_ENV = "RETENTION_WORKSPACES_DIR"
DEFAULT_REGISTRY = DEFAULT_WORKSPACE.parent / "registry.sqlite3"

# How long a writer waits for another process's write lock before giving up. Registry writes
# take milliseconds, so ten seconds means something is wrong, not merely busy.
BUSY_TIMEOUT_SECONDS = 10.0

ACCOUNT_FAILURES = 5
ACCOUNT_WINDOW_SECONDS = 15 * 60
SERVER_FAILURES = 50
SERVER_WINDOW_SECONDS = 60

# A sign-in session ends this long after its last use.
SESSION_SECONDS = 12 * 60 * 60
# A use moves the expiry forward only when the last move is this old: one write a minute, not
# one per script run.
SESSION_TOUCH_SECONDS = 60

MIN_PASSWORD_LENGTH = 8
MAX_EMAIL_LENGTH = 254
MAX_WORKSPACE_NAME_LENGTH = 100
# A workspace file's name: this much of the name's slug, then the id that makes it unique.
_SLUG_LENGTH = 40

_EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(\.[^@\s.]+)+")

SCHEMA_VERSION = 3
_SCHEMA = [
    "create table if not exists meta (key text primary key, value text not null)",
    """
    create table if not exists users (
        user_id integer primary key,
        email text not null unique,
        password_hash text,
        created_at real not null
    )
    """,
    # db_file is filled in by the transaction that inserts the row, once the id is known.
    # AUTOINCREMENT: a deleted workspace's id (and so its file name) is never handed out again.
    """
    create table if not exists workspaces (
        workspace_id integer primary key autoincrement,
        name text not null,
        name_key text not null unique,
        db_file text unique,
        created_at real not null
    )
    """,
    """
    create table if not exists memberships (
        user_id integer not null references users on delete cascade,
        workspace_id integer not null references workspaces on delete cascade,
        role text not null check (role in ('viewer', 'editor', 'admin')),
        primary key (user_id, workspace_id)
    )
    """,
    """
    create table if not exists invitations (
        email text not null,
        workspace_id integer not null references workspaces on delete cascade,
        role text not null check (role in ('viewer', 'editor', 'admin')),
        invited_at real not null,
        primary key (email, workspace_id)
    )
    """,
    """
    create table if not exists sign_in_attempts (
        attempt_id integer primary key,
        account text not null,
        at real not null
    )
    """,
    "create index if not exists sign_in_attempts_by_account on sign_in_attempts (account, at)",
    "create index if not exists sign_in_attempts_by_time on sign_in_attempts (at)",
    # since schema version 2: local accounts' sign-in sessions, by the digest of their token
    """
    create table if not exists sessions (
        token_digest text primary key,
        user_id integer not null references users on delete cascade,
        expires_at real not null,
        touched_at real not null
    )
    """,
    "create index if not exists sessions_by_expiry on sessions (expires_at)",
    # since schema version 3: the interface language each user last chose
    """
    create table if not exists user_languages (
        user_id integer primary key references users on delete cascade,
        language text not null
    )
    """,
]


class Role(StrEnum):
    """A member's role in a workspace."""

    # marked for translation: pages say the role with t(role.value)
    VIEWER = N_("viewer")
    EDITOR = N_("editor")
    ADMIN = N_("admin")


class Action(StrEnum):
    """Something a member may or may not do in a workspace (see :data:`RIGHTS`)."""

    READ = "read"
    EXPORT = "export"
    UPLOAD = "upload"
    DELETE = "delete"
    EDIT_SETTINGS = "edit_settings"
    MANAGE_MEMBERS = "manage_members"


# The one table of the roles' rights: each role's actions, spelled out in full.
RIGHTS: Mapping[Role, frozenset[Action]] = MappingProxyType({
    Role.VIEWER: frozenset({Action.READ, Action.EXPORT}),
    Role.EDITOR: frozenset({Action.READ, Action.EXPORT, Action.UPLOAD, Action.DELETE,
                            Action.EDIT_SETTINGS}),
    Role.ADMIN: frozenset({Action.READ, Action.EXPORT, Action.UPLOAD, Action.DELETE,
                           Action.EDIT_SETTINGS, Action.MANAGE_MEMBERS}),
})


def may(role: Role | None, action: Action) -> bool:
    """Whether a member with ``role`` may do ``action``; no role (not a member) may do nothing."""
    return role is not None and action in RIGHTS[role]


class RegistryError(ValueError):
    """A registry operation refused; the message is one sentence for the user."""


class UnknownUser(RegistryError):
    """No user has that email (or the user is not a member of that workspace)."""


class UnknownWorkspace(RegistryError):
    """No workspace has that name or id."""


class AlreadyExists(RegistryError):
    """The user, workspace, membership or workspace file is there already."""


class InvalidValue(RegistryError):
    """A bad email, role, workspace name or password."""


class LastAdmin(RegistryError):
    """The change would leave a workspace without an admin to manage its members."""


class RegistryUnavailable(RegistryError):
    """The registry file cannot be opened or written."""


@dataclass(frozen=True)
class Throttle:
    """The throttle's answer for a sign-in attempt: wait ``wait_seconds`` (0: go ahead) because
    of the ``scope`` whose limit is reached (``"account"`` or ``"server"``; None when none is)."""

    wait_seconds: int
    scope: str | None

    @property
    def may_proceed(self) -> bool:
        return self.wait_seconds == 0


class SignInThrottled(RegistryError):
    """Too many failed sign-ins: :attr:`throttle` says for how long no attempt is checked."""

    def __init__(self, throttle: Throttle) -> None:
        message = (
            t("Too many failed sign-ins for this account: try again in {seconds} seconds.",
              seconds=throttle.wait_seconds)
            if throttle.scope == "account" else
            t("Too many failed sign-ins on this server: try again in {seconds} seconds.",
              seconds=throttle.wait_seconds)
        )
        super().__init__(message)
        self.throttle = throttle


@dataclass(frozen=True)
class User:
    """A user of the registry; ``has_password`` is False for one who signs in only through an
    identity provider (or has not been given a password yet)."""

    user_id: int
    email: str
    has_password: bool


@dataclass(frozen=True)
class TeamWorkspace:
    """A team workspace: its id, name and DuckDB file (an absolute path)."""

    workspace_id: int
    name: str
    db: Path


@dataclass(frozen=True)
class Membership:
    """One of a user's workspaces and their role in it."""

    workspace: TeamWorkspace
    role: Role


@dataclass(frozen=True)
class Member:
    """One member of a workspace and their role."""

    email: str
    role: Role


@dataclass(frozen=True)
class Invitation:
    """An email invited to a workspace with a role; it becomes a membership when that email
    next signs in."""

    email: str
    workspace: TeamWorkspace
    role: Role


# A workspace by name (a str, compared case-folded) or by id (an int).
WorkspaceRef = str | int


def registry_path(path: str | Path | None = None) -> Path:
    """The registry to use: the argument, else ``RETENTION_REGISTRY``, else the default file."""
    chosen = path or os.environ.get(REGISTRY_ENV) or DEFAULT_REGISTRY
    return Path(chosen).expanduser().resolve()


def workspaces_dir(registry: Path) -> Path:
    """Where team workspace files live: ``RETENTION_WORKSPACES_DIR``, else ``workspaces/``
    beside the registry file."""
    configured = os.environ.get(WORKSPACES_DIR_ENV, "").strip()
    if configured:
        return Path(configured).expanduser().resolve()
    return registry.parent / "workspaces"


def normalise_email(email: str) -> str:
    """``email`` stripped and case-folded; :class:`InvalidValue` unless it passes the module's
    rule (one ``@``, no spaces, a dotted domain, at most 254 characters)."""
    key = _email_key(email)
    if len(key) > MAX_EMAIL_LENGTH or not key.isprintable() or not _EMAIL.fullmatch(key):
        raise InvalidValue(t("{email!r} is not an email address.", email=email.strip()))
    return key


def _email_key(email: str) -> str:
    return email.strip().casefold()


def parse_role(text: str) -> Role:
    """The role called ``text`` (any case); :class:`InvalidValue` for anything else."""
    try:
        return Role(text.strip().lower())
    except ValueError:
        raise InvalidValue(t("{role!r} is not a role: use viewer, editor or admin.",
                             role=text)) from None


def workspace_file_name(name: str, workspace_id: int) -> str:
    """The DuckDB file name for a workspace: an ASCII slug of its name, then its id, which alone
    keeps names apart (``../x`` → ``x-1.duckdb``, ``con`` → ``con-2.duckdb``, a name with no
    Latin letters → ``workspace-3.duckdb``). Never a path, never a reserved device name."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:_SLUG_LENGTH].strip("-")
    return f"{slug or 'workspace'}-{workspace_id}.duckdb"


def _workspace_name(name: str) -> str:
    """The name as stored: stripped; :class:`InvalidValue` when empty, too long, or holding
    control or other invisible format characters."""
    cleaned = name.strip()
    if not cleaned or len(cleaned) > MAX_WORKSPACE_NAME_LENGTH:
        raise InvalidValue(t("A workspace name needs 1 to {most} characters.",
                             most=MAX_WORKSPACE_NAME_LENGTH))
    if any(unicodedata.category(char).startswith("C") for char in cleaned):
        raise InvalidValue(t("A workspace name cannot hold control characters."))
    return cleaned


class Registry:
    """The registry at one SQLite file. Open with :meth:`open`; every method opens its own
    connection, so one Registry may serve many threads and processes at once."""

    def __init__(self, path: Path, *, workspaces: Path, hasher: PasswordHasher,
                 clock: Callable[[], float]) -> None:
        self.path = path
        self.workspaces = workspaces
        self._hasher = hasher
        self._clock = clock
        self._dummy_hash: str | None = None

    @classmethod
    def open(cls, path: str | Path | None = None, *, hasher: PasswordHasher | None = None,
             clock: Callable[[], float] = time.time) -> Registry:
        """The registry at ``path`` (see :func:`registry_path`), created when missing.

        ``hasher`` sets the Argon2 parameters (default: argon2-cffi's); ``clock`` gives the time
        in seconds (tests pass a fake one to drive the throttle)."""
        resolved = registry_path(path)
        try:
            resolved.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise _unavailable(resolved, exc) from exc
        registry = cls(resolved, workspaces=workspaces_dir(resolved),
                       hasher=hasher or PasswordHasher(), clock=clock)
        registry._migrate()
        return registry

    # -- connections -------------------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        try:
            # isolation_level=None: no implicit transactions; each method says BEGIN itself
            con = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None)
            con.execute("pragma foreign_keys = on")
        except sqlite3.Error as exc:
            raise _unavailable(self.path, exc) from exc
        con.row_factory = sqlite3.Row
        return con

    @contextmanager
    def _transaction(self, *, write: bool) -> Iterator[sqlite3.Connection]:
        """One transaction on a fresh connection: committed when the block ends, rolled back
        when it raises. ``write`` takes the write lock at BEGIN (waiting up to the busy
        timeout); a read sees one consistent snapshot."""
        con = self._connect()
        try:
            con.execute("begin immediate" if write else "begin")
            yield con
            con.execute("commit")
        except sqlite3.Error as exc:
            raise _unavailable(self.path, exc) from exc
        finally:
            if con.in_transaction:
                con.execute("rollback")
            con.close()

    def _migrate(self) -> None:
        con = self._connect()
        try:
            # persistent in the file; a file system without shared memory keeps its old mode
            con.execute("pragma journal_mode = wal")
        except sqlite3.Error as exc:
            raise _unavailable(self.path, exc) from exc
        finally:
            con.close()
        if self._schema_version() == SCHEMA_VERSION:
            return  # every open need not take the write lock
        with self._transaction(write=True) as con:
            for statement in _SCHEMA:
                con.execute(statement)
            con.execute("insert or replace into meta values ('schema_version', ?)",
                        [str(SCHEMA_VERSION)])

    def _schema_version(self) -> int | None:
        with self._transaction(write=False) as con:
            if con.execute("select 1 from sqlite_schema where name = 'meta'").fetchone() is None:
                return None
            row = con.execute("select value from meta where key = 'schema_version'").fetchone()
        return None if row is None else int(row[0])

    # -- users and passwords ------------------------------------------------------------------

    def add_user(self, email: str, password: str | None = None) -> User:
        """A new user; without ``password`` they can sign in only through an identity provider
        until :meth:`set_password` gives them one. :class:`AlreadyExists` for a known email."""
        key = normalise_email(email)
        password_hash = None if password is None else self._hash(password)
        with self._transaction(write=True) as con:
            if _user_row(con, key) is not None:
                raise AlreadyExists(t("A user {email} already exists.", email=key))
            cursor = con.execute(
                "insert into users (email, password_hash, created_at) values (?, ?, ?)",
                [key, password_hash, self._clock()])
            assert cursor.lastrowid is not None
            return User(cursor.lastrowid, key, password_hash is not None)

    def set_password(self, email: str, password: str) -> None:
        """Give a user a new password (its hash replaces the old one)."""
        key = normalise_email(email)
        password_hash = self._hash(password)
        with self._transaction(write=True) as con:
            cursor = con.execute("update users set password_hash = ? where email = ?",
                                 [password_hash, key])
            if cursor.rowcount == 0:
                raise _unknown_user(key)

    def verify_password(self, email: str, password: str) -> User | None:
        """The user when ``password`` is theirs, else None (an unknown email too); their pending
        invitations become memberships. :class:`SignInThrottled`, without checking the password,
        when the account or the server has had too many failed attempts."""
        account = _email_key(email)
        with self._transaction(write=True) as con:
            throttle = self._throttle(con, account)
            if not throttle.may_proceed:
                raise SignInThrottled(throttle)
            # counted as failed until proven otherwise: parallel attempts all see it
            self._record_attempt(con, account)
            row = _user_row(con, account)
        if row is None or row["password_hash"] is None:
            self._check_against_dummy(password)  # as slow as a real check: no timing hint
            return None
        stored = row["password_hash"]
        try:
            self._hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return None
        fresh_hash = self._hasher.hash(password) if self._hasher.check_needs_rehash(stored) \
            else None
        with self._transaction(write=True) as con:
            con.execute("delete from sign_in_attempts where account = ?", [account])
            if fresh_hash is not None:
                # only over the hash just verified: a password changed meanwhile wins
                con.execute("update users set password_hash = ? "
                            "where user_id = ? and password_hash = ?",
                            [fresh_hash, row["user_id"], stored])
            self._accept_invitations(con, row["user_id"], account)
            return User(row["user_id"], account, True)

    def sign_in_verified(self, email: str) -> User | None:
        """For an email an identity provider has verified (``st.login``): the user, with their
        pending invitations accepted; created (without a password) on the first sign-in of an
        invited email. None for an email the registry neither knows nor has invited."""
        key = normalise_email(email)
        with self._transaction(write=True) as con:
            row = _user_row(con, key)
            if row is None:
                if con.execute("select 1 from invitations where email = ?",
                               [key]).fetchone() is None:
                    return None
                cursor = con.execute("insert into users (email, created_at) values (?, ?)",
                                     [key, self._clock()])
                assert cursor.lastrowid is not None
                self._accept_invitations(con, cursor.lastrowid, key)
                return User(cursor.lastrowid, key, False)
            self._accept_invitations(con, row["user_id"], key)
            return User(row["user_id"], key, row["password_hash"] is not None)

    def sign_in_wait(self, email: str) -> Throttle:
        """May a sign-in attempt for ``email`` proceed now, and if not, how many seconds until
        one may (:class:`Throttle`)."""
        with self._transaction(write=False) as con:
            return self._throttle(con, _email_key(email))

    # -- sign-in sessions ----------------------------------------------------------------------

    def open_session(self, email: str) -> str:
        """A new sign-in session for the user: its token (43 URL-safe characters), shown to
        nobody but that user's browser; the registry keeps its digest only. Expired sessions
        of anyone are cleared on the way. :class:`UnknownUser` for an unknown email."""
        key = normalise_email(email)
        token = secrets.token_urlsafe(32)
        now = self._clock()
        with self._transaction(write=True) as con:
            row = _user_row(con, key)
            if row is None:
                raise _unknown_user(key)
            con.execute("delete from sessions where expires_at <= ?", [now])
            con.execute("insert into sessions (token_digest, user_id, expires_at, touched_at) "
                        "values (?, ?, ?, ?)",
                        [_digest(token), row["user_id"], now + SESSION_SECONDS, now])
        return token

    def session_user(self, token: str) -> User | None:
        """The user a live session ``token`` belongs to, its expiry moved :data:`SESSION_SECONDS`
        ahead; None for a token that is unknown, ended or expired."""
        now = self._clock()
        digest = _digest(token)
        with self._transaction(write=False) as con:
            row = con.execute(
                "select u.user_id, u.email, u.password_hash, s.touched_at from sessions s "
                "join users u using (user_id) where s.token_digest = ? and s.expires_at > ?",
                [digest, now]).fetchone()
        if row is None:
            return None
        if now - row["touched_at"] >= SESSION_TOUCH_SECONDS:
            with self._transaction(write=True) as con:
                con.execute("update sessions set expires_at = ?, touched_at = ? "
                            "where token_digest = ?", [now + SESSION_SECONDS, now, digest])
        return User(row["user_id"], row["email"], row["password_hash"] is not None)

    def close_session(self, token: str) -> None:
        """End the session ``token`` (sign-out); nothing happens for an unknown one."""
        with self._transaction(write=True) as con:
            con.execute("delete from sessions where token_digest = ?", [_digest(token)])

    def _hash(self, password: str) -> str:
        if len(password) < MIN_PASSWORD_LENGTH:
            raise InvalidValue(t("A password needs at least {least} characters.",
                                 least=MIN_PASSWORD_LENGTH))
        return self._hasher.hash(password)

    def _check_against_dummy(self, password: str) -> None:
        if self._dummy_hash is None:
            self._dummy_hash = self._hasher.hash("not anybody's password")
        with suppress(VerificationError):
            self._hasher.verify(self._dummy_hash, password)

    def _throttle(self, con: sqlite3.Connection, account: str) -> Throttle:
        now = self._clock()
        account_times = [row[0] for row in con.execute(
            "select at from sign_in_attempts where account = ? and at > ? "
            "order by at desc limit ?", [account, now - ACCOUNT_WINDOW_SECONDS, ACCOUNT_FAILURES])]
        server_times = [row[0] for row in con.execute(
            "select at from sign_in_attempts where at > ? order by at desc limit ?",
            [now - SERVER_WINDOW_SECONDS, SERVER_FAILURES])]
        waits = {
            "account": _wait(account_times, ACCOUNT_FAILURES, ACCOUNT_WINDOW_SECONDS, now),
            "server": _wait(server_times, SERVER_FAILURES, SERVER_WINDOW_SECONDS, now),
        }
        scope = max(waits, key=lambda name: waits[name])
        return Throttle(waits[scope], scope if waits[scope] else None)

    def _record_attempt(self, con: sqlite3.Connection, account: str) -> None:
        now = self._clock()
        con.execute("delete from sign_in_attempts where at <= ?",
                    [now - max(ACCOUNT_WINDOW_SECONDS, SERVER_WINDOW_SECONDS)])
        con.execute("insert into sign_in_attempts (account, at) values (?, ?)", [account, now])

    # -- workspaces and memberships -----------------------------------------------------------

    def add_workspace(self, name: str) -> TeamWorkspace:
        """A new team workspace and its empty DuckDB file (ready for ``ingest --db``).
        :class:`AlreadyExists` for a name already taken (compared case-folded), or when a file
        is already where the new one would go (left by an earlier registry)."""
        cleaned = _workspace_name(name)
        created: Path | None = None
        try:
            with self._transaction(write=True) as con:
                if con.execute("select 1 from workspaces where name_key = ?",
                               [cleaned.casefold()]).fetchone() is not None:
                    raise AlreadyExists(t("A workspace {name!r} already exists.", name=cleaned))
                cursor = con.execute(
                    "insert into workspaces (name, name_key, created_at) values (?, ?, ?)",
                    [cleaned, cleaned.casefold(), self._clock()])
                assert cursor.lastrowid is not None
                file_name = workspace_file_name(cleaned, cursor.lastrowid)
                con.execute("update workspaces set db_file = ? where workspace_id = ?",
                            [file_name, cursor.lastrowid])
                workspace = TeamWorkspace(cursor.lastrowid, cleaned, self.workspaces / file_name)
                if workspace.db.exists():
                    raise AlreadyExists(t(
                        "A file {path} is already there, perhaps left by an earlier registry: "
                        "move it away, then add the workspace again.", path=workspace.db))
                # last, inside the transaction: if it fails, the workspace is not registered
                open_workspace(workspace.db)
                created = workspace.db
                close_workspace(workspace.db)
        except BaseException:
            if created is not None:
                for leftover in (created, created.with_name(created.name + ".wal")):
                    leftover.unlink(missing_ok=True)
            raise
        return workspace

    def workspace(self, workspace: WorkspaceRef) -> TeamWorkspace:
        """The workspace by name or id; :class:`UnknownWorkspace` when there is none."""
        with self._transaction(write=False) as con:
            return self._workspace(con, workspace)

    def grant(self, email: str, workspace: WorkspaceRef, role: Role | str) -> Membership:
        """Make a user a member of a workspace with ``role``, or change their role; a pending
        invitation of theirs to it is dropped. :class:`LastAdmin` when it would demote the
        workspace's only admin."""
        chosen = parse_role(role)
        key = normalise_email(email)
        with self._transaction(write=True) as con:
            user = _user_row(con, key)
            if user is None:
                raise _unknown_user(key)
            found = self._workspace(con, workspace)
            if chosen is not Role.ADMIN:
                _keep_an_admin(con, user["user_id"], found)
            con.execute(
                "insert into memberships (user_id, workspace_id, role) values (?, ?, ?) "
                "on conflict (user_id, workspace_id) do update set role = excluded.role",
                [user["user_id"], found.workspace_id, chosen.value])
            con.execute("delete from invitations where email = ? and workspace_id = ?",
                        [key, found.workspace_id])
            return Membership(found, chosen)

    def revoke(self, email: str, workspace: WorkspaceRef) -> None:
        """Remove a user from a workspace, and withdraw any pending invitation of that email to
        it. :class:`UnknownUser` when there is neither; :class:`LastAdmin` for the only admin."""
        key = normalise_email(email)
        with self._transaction(write=True) as con:
            found = self._workspace(con, workspace)
            withdrawn = con.execute("delete from invitations where email = ? and workspace_id = ?",
                                    [key, found.workspace_id]).rowcount
            user = _user_row(con, key)
            removed = 0
            if user is not None:
                _keep_an_admin(con, user["user_id"], found)
                removed = con.execute(
                    "delete from memberships where user_id = ? and workspace_id = ?",
                    [user["user_id"], found.workspace_id]).rowcount
            if not (withdrawn or removed):
                raise UnknownUser(t("{email} is neither a member of nor invited to {name!r}.",
                                    email=key, name=found.name))

    def role_of(self, email: str, workspace: WorkspaceRef) -> Role | None:
        """The user's role in the workspace; None when they are not a member, or either is
        unknown (the check on every run: whatever is unknown may do nothing)."""
        key = _email_key(email)
        where, value = _workspace_where(workspace)
        with self._transaction(write=False) as con:
            row = con.execute(
                "select m.role from memberships m join users u using (user_id) "
                f"join workspaces w using (workspace_id) where u.email = ? and {where}",
                [key, value]).fetchone()
        return None if row is None else Role(row[0])

    def language_of(self, email: str) -> str | None:
        """The interface language the user last chose; None before their first choice or for
        an unknown user."""
        with self._transaction(write=False) as con:
            row = con.execute(
                "select l.language from user_languages l join users u using (user_id) "
                "where u.email = ?", [_email_key(email)]).fetchone()
        return None if row is None else str(row[0])

    def remember_language(self, email: str, language: str) -> None:
        """Keep ``language`` as the user's interface language (nothing for an unknown user)."""
        with self._transaction(write=True) as con:
            con.execute(
                "insert into user_languages (user_id, language) "
                "select user_id, ? from users where email = ? "
                "on conflict (user_id) do update set language = excluded.language",
                [language, _email_key(email)])

    def workspaces_of(self, email: str) -> list[Membership]:
        """The workspaces the user belongs to, with their role, by name; [] for an unknown
        user."""
        with self._transaction(write=False) as con:
            rows = con.execute(
                "select w.*, m.role from memberships m join users u using (user_id) "
                "join workspaces w using (workspace_id) where u.email = ? order by w.name_key",
                [_email_key(email)]).fetchall()
        return [Membership(self._team_workspace(row), Role(row["role"])) for row in rows]

    def members_of(self, workspace: WorkspaceRef) -> list[Member]:
        """The workspace's members with their roles, by email."""
        with self._transaction(write=False) as con:
            found = self._workspace(con, workspace)
            rows = con.execute(
                "select u.email, m.role from memberships m join users u using (user_id) "
                "where m.workspace_id = ? order by u.email", [found.workspace_id]).fetchall()
        return [Member(row["email"], Role(row["role"])) for row in rows]

    # -- invitations --------------------------------------------------------------------------

    def invite(self, email: str, workspace: WorkspaceRef, role: Role | str) -> Invitation:
        """Invite an email to a workspace with ``role`` (replacing an earlier invitation of it
        there); it becomes a membership when that email next signs in. :class:`AlreadyExists`
        when the email is a member already (change their role with :meth:`grant`)."""
        chosen = parse_role(role)
        key = normalise_email(email)
        with self._transaction(write=True) as con:
            found = self._workspace(con, workspace)
            if con.execute(
                    "select 1 from memberships join users using (user_id) "
                    "where email = ? and workspace_id = ?",
                    [key, found.workspace_id]).fetchone() is not None:
                raise AlreadyExists(t("{email} is already a member of {name!r}: change their "
                                      "role instead.", email=key, name=found.name))
            con.execute(
                "insert into invitations (email, workspace_id, role, invited_at) "
                "values (?, ?, ?, ?) on conflict (email, workspace_id) "
                "do update set role = excluded.role, invited_at = excluded.invited_at",
                [key, found.workspace_id, chosen.value, self._clock()])
            return Invitation(key, found, chosen)

    def invitations_of(self, workspace: WorkspaceRef) -> list[Invitation]:
        """The workspace's pending invitations, by email."""
        with self._transaction(write=False) as con:
            found = self._workspace(con, workspace)
            rows = con.execute("select email, role from invitations where workspace_id = ? "
                               "order by email", [found.workspace_id]).fetchall()
        return [Invitation(row["email"], found, Role(row["role"])) for row in rows]

    def _accept_invitations(self, con: sqlite3.Connection, user_id: int, email: str) -> None:
        """Turn the email's invitations into memberships; a membership granted since the
        invitation keeps its role."""
        con.execute(
            "insert into memberships (user_id, workspace_id, role) "
            "select ?, workspace_id, role from invitations where email = ? "
            "on conflict (user_id, workspace_id) do nothing", [user_id, email])
        con.execute("delete from invitations where email = ?", [email])

    # -- the command line's view --------------------------------------------------------------

    def listing(self) -> dict[str, Any]:
        """Everything in the registry as JSON-ready data, for ``python -m retention admin
        list``: ``users`` [{``email``, ``has_password``, ``workspaces`` {name: role}}] and
        ``workspaces`` [{``workspace``, ``id``, ``db``, ``members`` {email: role},
        ``invitations`` {email: role}}], each by email or name. No password hashes."""
        with self._transaction(write=False) as con:
            users = con.execute("select user_id, email, password_hash is not null as has_password "
                                "from users order by email").fetchall()
            workspaces = con.execute("select * from workspaces order by name_key").fetchall()
            memberships = con.execute(
                "select u.email, w.name_key, m.role from memberships m join users u "
                "using (user_id) join workspaces w using (workspace_id) "
                "order by u.email, w.name_key").fetchall()
            invitations = con.execute(
                "select i.email, w.name_key, i.role from invitations i join workspaces w "
                "using (workspace_id) order by i.email").fetchall()
        names = {row["name_key"]: row["name"] for row in workspaces}
        return {
            "users": [{
                "email": user["email"],
                "has_password": bool(user["has_password"]),
                "workspaces": {names[m["name_key"]]: m["role"] for m in memberships
                               if m["email"] == user["email"]},
            } for user in users],
            "workspaces": [{
                "workspace": row["name"],
                "id": row["workspace_id"],
                "db": str(self._team_workspace(row).db),
                "members": {m["email"]: m["role"] for m in memberships
                            if m["name_key"] == row["name_key"]},
                "invitations": {i["email"]: i["role"] for i in invitations
                                if i["name_key"] == row["name_key"]},
            } for row in workspaces],
        }

    # -- rows to values -----------------------------------------------------------------------

    def _workspace(self, con: sqlite3.Connection, workspace: WorkspaceRef) -> TeamWorkspace:
        where, value = _workspace_where(workspace)
        row = con.execute(f"select * from workspaces w where {where}", [value]).fetchone()
        if row is None:
            raise UnknownWorkspace(t("There is no workspace {name!r}.", name=workspace))
        return self._team_workspace(row)

    def _team_workspace(self, row: sqlite3.Row) -> TeamWorkspace:
        return TeamWorkspace(row["workspace_id"], row["name"], self.workspaces / row["db_file"])


def _workspace_where(workspace: WorkspaceRef) -> tuple[str, str | int]:
    """The SQL condition (on alias ``w``) and its parameter that pick a workspace by id or by
    case-folded name."""
    if isinstance(workspace, int):
        return "w.workspace_id = ?", workspace
    return "w.name_key = ?", workspace.strip().casefold()


def _user_row(con: sqlite3.Connection, email: str) -> sqlite3.Row | None:
    row: sqlite3.Row | None = con.execute(
        "select user_id, password_hash from users where email = ?", [email]).fetchone()
    return row


def _keep_an_admin(con: sqlite3.Connection, user_id: int, workspace: TeamWorkspace) -> None:
    """:class:`LastAdmin` when ``user_id`` is the workspace's only admin (and so may not be
    demoted or removed)."""
    admins = [row[0] for row in con.execute(
        "select user_id from memberships where workspace_id = ? and role = 'admin'",
        [workspace.workspace_id])]
    if admins == [user_id]:
        raise LastAdmin(t("That would leave {name!r} without an admin: make someone else admin "
                          "first.", name=workspace.name))


def _wait(times_desc: list[float], limit: int, window: float, now: float) -> int:
    """Whole seconds until fewer than ``limit`` of the failures (newest first, all within the
    window) are within ``window`` of the clock: 0 when that is already so."""
    if len(times_desc) < limit:
        return 0
    return max(1, math.ceil(times_desc[limit - 1] + window - now))


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _unknown_user(email: str) -> UnknownUser:
    return UnknownUser(t("There is no user {email}.", email=email))


def _unavailable(path: Path, exc: BaseException) -> RegistryUnavailable:
    return RegistryUnavailable(t("The registry {path} cannot be used: {reason}.", path=path,
                                 reason=exc))
