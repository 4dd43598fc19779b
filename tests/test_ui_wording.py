"""No page shows command-line wording (``--map``, ``python -m …``) to a browser user: a person
in a browser can neither type an option nor run a command on the server.

The scan reads the source: every string literal of the UI modules (``retention/ui``, ``views``,
``app.py``) other than docstrings — the ``t("…")`` messages and any constant formatted into
them — and every ``t("…")`` message of the ingest layer, whose errors the Data page shows.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
UI_FILES = sorted([*(ROOT / "retention" / "ui").glob("*.py"), *(ROOT / "views").glob("*.py"),
                   ROOT / "app.py"])
INGEST_FILES = sorted((ROOT / "retention" / "ingest").glob("*.py"))
CLI_WORDING = re.compile(r"--[A-Za-z]|python -m|\bcommand line\b|\bterminal\b|\bCLI\b")

# Ingest messages that name the command line's options and reach only the command line.
# describe_missing's sentence is raised by load_file when a required role has no column; the
# Data page checks the same (missing_required) first, keeps Load disabled and says it in its
# own words (data_page._describe_missing), so the loader's sentence never reaches a page.
COMMAND_LINE_ONLY = {
    "No column could be used as {labels}. The file's columns are: {headers}. Map them under "
    "'Columns' (or with --map ROLE=HEADER on the command line); an amount can also come from "
    "quantity × unit price.",
}


def _docstring_nodes(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


def ui_literals(path: Path) -> list[tuple[int, str]]:
    """(line, text) of every string literal in the file that is not a docstring."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = _docstring_nodes(tree)
    return [(node.lineno, node.value) for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str)
            and id(node) not in docstrings]


def t_messages(path: Path) -> list[tuple[int, str]]:
    """(line, text) of every ``t("…")`` call's literal English text in the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [(node.lineno, node.args[0].value) for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            and node.func.id == "t" and node.args and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)]


def test_the_scan_finds_the_messages_it_checks():
    # a scan that reads nothing passes anything: make sure it reads the Data page's messages
    data_page = ROOT / "retention" / "ui" / "data_page.py"
    assert any("Files on the server" in text for _, text in ui_literals(data_page))
    assert any("Files on the server" in text for _, text in t_messages(data_page))
    assert CLI_WORDING.search("Load it with `python -m retention ingest PATH --dataset NAME`")
    assert CLI_WORDING.search("or with --map ROLE=HEADER")
    assert not CLI_WORDING.search("Purchase date — 2025-01-05 -- not in file --")


@pytest.mark.parametrize("path", UI_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_ui_text_uses_command_line_wording(path):
    offending = [f"{path.name}:{line}: {text!r}" for line, text in ui_literals(path)
                 if CLI_WORDING.search(text)]
    assert offending == []


def test_ingest_messages_with_command_line_wording_never_reach_a_page():
    worded = {text for path in INGEST_FILES for _, text in t_messages(path)
              if CLI_WORDING.search(text)}
    assert worded <= COMMAND_LINE_ONLY, (
        "an ingest message names the command line; the Data page shows ingest errors, so say "
        f"it in the page's words or keep it out of the page: {sorted(worded - COMMAND_LINE_ONLY)}")
