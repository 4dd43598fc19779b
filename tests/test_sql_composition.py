"""The domain composes SQL one way (retention/sql.py): f-strings splicing trusted fragments,
values as bound parameters — never ``str.format`` on SQL, never ``+`` between pieces of SQL."""

from __future__ import annotations

import ast
import re
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
PACKAGE = PROJECT_ROOT / "retention"
UI_PACKAGE = PACKAGE / "ui"

_SQL = re.compile(
    r"\bselect\b.*\bfrom\b|\binsert\s+into\b|\bdelete\s+from\b|\bcreate\s+(or\s+replace\s+)?"
    r"(temp\s+)?(table|view)\b|\bdrop\s+table\b|\b\w+\s+as\s+\(\s*select\b",
    re.IGNORECASE | re.DOTALL)


def _strings(node: ast.AST) -> list[str]:
    return [n.value for n in ast.walk(node)
            if isinstance(n, ast.Constant) and isinstance(n.value, str)]


def _looks_like_sql(node: ast.AST) -> bool:
    return any(_SQL.search(text) for text in _strings(node))


def sql_composition_offences(source: str) -> list[tuple[int, str]]:
    """(line, what) for each ``.format`` called on SQL and each ``+`` with SQL on one side.

    SQL is a string literal or f-string that reads like a query or a CTE, or a name assigned
    such text anywhere in the module (also through a dict of fragments: ``_SQL[unit]``)."""
    tree = ast.parse(source)
    sql_names = {
        target.id
        for node in ast.walk(tree) if isinstance(node, ast.Assign) and _looks_like_sql(node.value)
        for target in node.targets if isinstance(target, ast.Name)
    }

    def is_sql(node: ast.AST) -> bool:
        if isinstance(node, (ast.Constant, ast.JoinedStr)):
            return _looks_like_sql(node)
        if isinstance(node, ast.Name):
            return node.id in sql_names
        if isinstance(node, ast.Subscript):
            return is_sql(node.value)
        if isinstance(node, ast.BinOp):  # pieces that read as SQL only once joined count too
            return (is_sql(node.left) or is_sql(node.right)
                    or bool(_SQL.search(" ".join(_strings(node)))))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            return node.func.attr == "format" and is_sql(node.func.value)
        return False

    offences = []
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr == "format" and is_sql(node.func.value)):
            offences.append((node.lineno, ".format"))
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add) and is_sql(node):
            offences.append((node.lineno, "+"))
    return sorted(set(offences))


def test_the_finder_catches_every_spelling():
    source = '''
_BASE = """with spans as (select 1 as x from t)"""
_BY_UNIT = {"customer": "orders as (select customer_id from orders {only})"}
a = _BASE.format(x=1)
b = _BY_UNIT["customer"].format(only="")
c = _BASE + ", more"
d = "select a" + f" from {table}"
e = "Hello {name}".format(name="x")
f = "select a from t where x = $x"
g = f"with {_BASE}, tail as (select 1 from spans) select * from tail"
'''
    assert sql_composition_offences(source) == [(4, ".format"), (5, ".format"), (6, "+"),
                                                (7, "+")]


def test_no_domain_module_formats_or_adds_sql():
    domain_files = [path for path in sorted(PACKAGE.rglob("*.py"))
                    if UI_PACKAGE not in path.parents]
    assert PACKAGE / "metrics" / "abc_xyz.py" in domain_files  # the scan reads the metrics
    offenders = [
        f"{path.relative_to(PROJECT_ROOT)}:{line} {what}"
        for path in domain_files
        for line, what in sql_composition_offences(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
