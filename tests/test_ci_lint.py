"""CI lints and type-checks before it tests (issue 11): .ci/run calls .ci/lint after installing
the requirements and before pytest, the tools are pinned, and mypy's configuration silences no
module wholesale."""

from __future__ import annotations

import os
import re
import tomllib

from tests.conftest import PROJECT_ROOT

CI = PROJECT_ROOT / ".ci"


def _commands(script: str) -> list[str]:
    """The script's lines without comments and blank lines."""
    lines = (line.split("#", 1)[0].strip() for line in script.splitlines())
    return [line for line in lines if line]


def _first(commands: list[str], needle: str) -> int:
    matches = [i for i, line in enumerate(commands) if needle in line]
    assert matches, f".ci/run has no command with {needle!r}"
    return matches[0]


def test_ci_run_lints_after_installing_and_before_pytest():
    commands = _commands((CI / "run").read_text("utf-8"))
    install = _first(commands, "pip install")
    lint = _first(commands, ".ci/lint")
    pytest = _first(commands, "-m pytest")
    assert install < lint < pytest
    assert '"$venv_python"' in commands[lint]  # the fresh venv's tools, not whatever is on PATH


def test_ci_lint_runs_ruff_and_mypy_and_fails_on_a_finding():
    lint = CI / "lint"
    assert os.access(lint, os.X_OK)
    commands = _commands(lint.read_text("utf-8"))
    assert "set -euo pipefail" in commands
    assert any(re.search(r"-m ruff check \.", line) for line in commands)
    assert any(re.search(r"-m mypy( |\|\||$)", line) for line in commands)
    assert commands[-1] == 'exit "$status"'


def test_lint_and_type_tools_are_pinned():
    pins = {}
    for line in _commands((PROJECT_ROOT / "requirements-dev.txt").read_text("utf-8")):
        name, _, version = line.partition("==")
        pins[name.strip().lower()] = version.strip()
    for tool in ("ruff", "mypy", "pandas-stubs", "scipy-stubs"):
        assert re.fullmatch(r"\d+(\.\d+)+", pins.get(tool, "")), f"{tool} is not pinned with =="


def test_mypy_checks_the_domain_without_blanket_ignores():
    config = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text("utf-8"))["tool"]["mypy"]
    assert config["packages"] == ["retention"]
    assert "ignore_errors" not in config
    for override in config.get("overrides", []):
        assert "ignore_errors" not in override, override["module"]
        assert set(override) <= {"module", "ignore_missing_imports"}, override["module"]


def test_every_type_ignore_in_the_domain_names_its_error_code():
    for path in (PROJECT_ROOT / "retention").rglob("*.py"):
        for number, line in enumerate(path.read_text("utf-8").splitlines(), 1):
            if "type: ignore" in line:
                assert re.search(r"# type: ignore\[[a-z-]+(, [a-z-]+)*\]", line), (
                    f"{path.relative_to(PROJECT_ROOT)}:{number}")
