"""The README's "Environment variables" table names exactly the RETENTION_* variables the code
reads (issue 10, point 14: RETENTION_PASSWORD and RETENTION_LANG were undocumented)."""

from __future__ import annotations

import re

from tests.conftest import PROJECT_ROOT

VARIABLE = re.compile(r"\bRETENTION_[A-Z0-9_]+\b")


def _read_by_the_code() -> set[str]:
    sources = [PROJECT_ROOT / "app.py", *(PROJECT_ROOT / "retention").rglob("*.py"),
               *(PROJECT_ROOT / "views").rglob("*.py")]
    return {name for path in sources for name in VARIABLE.findall(path.read_text("utf-8"))}


def _documented() -> set[str]:
    readme = (PROJECT_ROOT / "README.md").read_text("utf-8")
    section = readme.split("\n## Environment variables\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    return {VARIABLE.search(row).group(0) for row in rows}


def test_every_variable_the_code_reads_is_in_the_readme_table():
    assert {"RETENTION_DB", "RETENTION_PASSWORD", "RETENTION_LANG"} <= _read_by_the_code()
    assert _documented() == _read_by_the_code()
