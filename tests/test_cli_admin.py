"""``python -m retention admin …`` (DESIGN §9): one JSON object per command, one sentence and
exit 1 on a refused change, exit 2 on a bad command line."""

from __future__ import annotations

import io
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from retention.cli import main
from retention.registry import Registry

ROOT = Path(__file__).resolve().parents[1]
CDNOW = ROOT / "tests" / "data" / "CDNOW_sample.txt"
PASSWORD = "a long passphrase"


@pytest.fixture
def registry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("RETENTION_REGISTRY", raising=False)
    monkeypatch.delenv("RETENTION_WORKSPACES_DIR", raising=False)
    return tmp_path / "registry.sqlite3"


def admin(registry: Path, capsys: pytest.CaptureFixture[str], *args: str,
          expect: int = 0) -> dict:
    """Run ``admin ARGS --registry REGISTRY`` in this process: its JSON on success, else the
    exit code's check and the stderr sentence under ``"error"``."""
    code = main(["admin", *args, "--registry", str(registry)])
    out, err = capsys.readouterr()
    assert code == expect, err
    if code:
        assert out == ""
        assert err.count("\n") == 1 and err.startswith("error: ")
        return {"error": err.removeprefix("error: ").rstrip("\n")}
    assert err == ""
    return json.loads(out)


def test_add_user_workspace_grant_list_revoke(registry, capsys, monkeypatch, tmp_path):
    monkeypatch.setattr(sys, "stdin", io.StringIO(PASSWORD + "\n"))
    assert admin(registry, capsys, "add-user", " Ann@Example.org", "--password-stdin") == {
        "user": "ann@example.org", "has_password": True}
    assert admin(registry, capsys, "add-user", "bob@example.org") == {
        "user": "bob@example.org", "has_password": False}
    db = tmp_path / "workspaces" / "north-shop-1.duckdb"
    assert admin(registry, capsys, "add-workspace", "North shop") == {
        "workspace": "North shop", "db": str(db), "id": 1}
    assert db.is_file()
    assert admin(registry, capsys, "grant", "ann@example.org", "north shop", "--role",
                 "admin") == {"user": "ann@example.org", "workspace": "North shop",
                              "role": "admin"}
    assert admin(registry, capsys, "grant", "BOB@example.org", "North shop", "--role",
                 "viewer") == {"user": "bob@example.org", "workspace": "North shop",
                               "role": "viewer"}
    assert admin(registry, capsys, "list") == {
        "users": [
            {"email": "ann@example.org", "has_password": True,
             "workspaces": {"North shop": "admin"}},
            {"email": "bob@example.org", "has_password": False,
             "workspaces": {"North shop": "viewer"}},
        ],
        "workspaces": [
            {"workspace": "North shop", "id": 1, "db": str(db),
             "members": {"ann@example.org": "admin", "bob@example.org": "viewer"},
             "invitations": {}},
        ],
    }
    assert admin(registry, capsys, "revoke", "bob@example.org", "North shop") == {
        "user": "bob@example.org", "workspace": "North shop", "revoked": True}
    assert admin(registry, capsys, "list")["workspaces"][0]["members"] == {
        "ann@example.org": "admin"}


def test_the_password_is_stored_only_as_an_argon2_hash(registry, capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO(f"  {PASSWORD}  \r\n"))
    admin(registry, capsys, "add-user", "ann@example.org", "--password-stdin")
    with sqlite3.connect(registry) as con:
        (stored,) = con.execute("select password_hash from users").fetchone()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    # the line as given, spaces and all, without its line end
    assert Registry.open(registry).verify_password("ann@example.org", f"  {PASSWORD}  ")


@pytest.mark.parametrize(("args", "sentence"), [
    (("grant", "nobody@example.org", "Shop", "--role", "viewer"),
     "There is no user nobody@example.org."),
    (("grant", "ann@example.org", "Cafe", "--role", "viewer"), "There is no workspace 'Cafe'."),
    (("revoke", "ann@example.org", "Shop"),
     "ann@example.org is neither a member of nor invited to 'Shop'."),
    (("add-user", "ANN@example.org"), "A user ann@example.org already exists."),
    (("add-user", "not-an-email"), "'not-an-email' is not an email address."),
    (("add-workspace", "shop"), "A workspace 'shop' already exists."),
    (("add-workspace", " "), "A workspace name needs 1 to 100 characters."),
])
def test_a_refused_change_is_one_sentence_and_exit_1(registry, capsys, args, sentence):
    admin(registry, capsys, "add-user", "ann@example.org")
    admin(registry, capsys, "add-workspace", "Shop")
    assert admin(registry, capsys, *args, expect=1) == {"error": sentence}


def test_a_missing_or_short_password_on_stdin_is_exit_1(registry, capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    assert admin(registry, capsys, "add-user", "ann@example.org", "--password-stdin",
                 expect=1) == {
        "error": "--password-stdin found no password on the first line of stdin."}
    monkeypatch.setattr(sys, "stdin", io.StringIO("short\n"))
    assert admin(registry, capsys, "add-user", "ann@example.org", "--password-stdin",
                 expect=1) == {"error": "A password needs at least 8 characters."}
    assert admin(registry, capsys, "list") == {"users": [], "workspaces": []}


@pytest.mark.parametrize("args", [
    ("grant", "ann@example.org", "Shop", "--role", "owner"),
    ("grant", "ann@example.org", "Shop"),
    ("revoke", "ann@example.org"),
    ("add-user",),
    ("rename", "Shop"),
])
def test_a_bad_command_line_is_exit_2(registry, capsys, args):
    with pytest.raises(SystemExit) as exited:
        main(["admin", *args, "--registry", str(registry)])
    assert exited.value.code == 2
    assert capsys.readouterr().out == ""


def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for name in ("RETENTION_DB", "RETENTION_REGISTRY", "RETENTION_WORKSPACES_DIR"):
        env.pop(name, None)
    return subprocess.run([sys.executable, "-m", "retention", *args], input=stdin,
                          capture_output=True, text=True, cwd=ROOT, env=env, timeout=300)


def test_a_script_adds_a_workspace_and_ingests_into_its_file(tmp_path):
    registry = str(tmp_path / "registry.sqlite3")
    added = run("admin", "add-user", "ann@example.org", "--password-stdin", "--registry",
                registry, stdin=PASSWORD + "\n")
    assert (added.returncode, json.loads(added.stdout)) == (
        0, {"user": "ann@example.org", "has_password": True})
    made = run("admin", "add-workspace", "Кофейня", "--registry", registry)
    assert made.returncode == 0, made.stderr
    db = json.loads(made.stdout)["db"]
    assert db == str(tmp_path / "workspaces" / "workspace-1.duckdb")
    loaded = run("ingest", str(CDNOW), "--db", db, "--dataset", "cdnow",
                 "--map", "customer_id=column2", "--map", "date=column3",
                 "--map", "amount=column5")
    assert loaded.returncode == 0, loaded.stderr
    assert json.loads(loaded.stdout)["rows_loaded"] == 6919
    summary = run("summary", "--dataset", "cdnow", "--db", db)
    assert json.loads(summary.stdout)["customers"] == 2357
    refused = run("admin", "grant", "ann@example.org", "Kofeynya", "--role", "admin",
                  "--registry", registry)
    assert (refused.returncode, refused.stdout, refused.stderr) == (
        1, "", "error: There is no workspace 'Kofeynya'.\n")
