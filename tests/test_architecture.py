"""The domain package never imports streamlit; only retention/ui/ may (DESIGN.md section 2)."""

import ast
import importlib.util
import re
import subprocess
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
PACKAGE = PROJECT_ROOT / "retention"
UI_PACKAGE = PACKAGE / "ui"

# Every domain module; each must exist and import without pulling in streamlit.
def _domain_modules() -> list[str]:
    """Every module of the domain package: all of retention/ but ui/ (and __main__, which runs
    the command line when imported)."""
    package = PROJECT_ROOT / "retention"
    modules = []
    for path in sorted(package.rglob("*.py")):
        relative = path.relative_to(PROJECT_ROOT).with_suffix("")
        if relative.parts[:2] == ("retention", "ui") or relative.name == "__main__":
            continue
        parts = relative.parts[:-1] if relative.name == "__init__" else relative.parts
        modules.append(".".join(parts))
    return modules


DOMAIN_MODULES = tuple(_domain_modules())


def test_the_domain_module_list_covers_the_packages():
    assert {"retention.store", "retention.ingest.loader", "retention.metrics.ladder",
            "retention.models", "retention.charts", "retention.summary"} <= set(DOMAIN_MODULES)


def test_importing_the_domain_does_not_load_streamlit():
    # A fresh interpreter: this test process may already have streamlit loaded by page tests.
    code = f"import {', '.join(DOMAIN_MODULES)}; import sys; print('streamlit' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, f"importing the domain failed:\n{result.stderr}"
    assert result.stdout.strip() == "False"


def streamlit_imports(source: str) -> list[int]:
    """Line numbers of `import streamlit…` / `from streamlit… import …` anywhere in ``source``."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names = [node.module or ""]
        else:
            continue
        if any(name == "streamlit" or name.startswith("streamlit.") for name in names):
            lines.append(node.lineno)
    return lines


def test_streamlit_import_finder_catches_every_spelling():
    source = (
        "import os, streamlit as st\n"
        "from streamlit.runtime import exists\n"
        "def f():\n"
        "    import streamlit.components.v1\n"
        "'''import streamlit in a docstring is not an import'''\n"
        "import streamlit_extras\n"
    )
    assert streamlit_imports(source) == [1, 2, 4]


def test_no_domain_file_imports_streamlit():
    domain_files = [path for path in PACKAGE.rglob("*.py") if UI_PACKAGE not in path.parents]
    assert PACKAGE / "i18n.py" in domain_files  # the scan really looks at the package
    offenders = [
        f"{path.relative_to(PROJECT_ROOT)}:{line}"
        for path in sorted(domain_files)
        for line in streamlit_imports(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


# -- page modules: sections and page scripts only (issue 11) ------------------------------------

VIEWS = PROJECT_ROOT / "views"
TEMPLATE = VIEWS / "_template.py"
# The sections of every page (the Data page's dataset list and customer file included) and
# every page script.
PAGE_MODULES = sorted([*UI_PACKAGE.glob("*_page.py"), UI_PACKAGE / "datasets_panel.py",
                       UI_PACKAGE / "customer_file.py", *VIEWS.glob("*.py")])
# A statement, not a word: UI text may well begin with "Delete" or "With".
SQL = re.compile(
    r"^\s*(select\b.*\bfrom\b|with\s+(recursive\s+)?\w+\s+as\s*\(|insert\s+into\b"
    r"|update\s+\w+\s+set\b|delete\s+from\b"
    r"|create\s+(or\s+replace\s+)?(temp\w*\s+)?(table|view|index|sequence|macro)\b)",
    re.IGNORECASE | re.DOTALL,
)
CACHES = {"cache_data", "cache_resource"}
CONNECTION_CALLS = {"cursor", "open_workspace", "execute", "sql"}


def data_layer_findings(source: str) -> list[str]:
    """What in ``source`` belongs in retention/ui/data, not in a page: SQL text, a
    ``st.cache_*`` decorator (or any use of one), a cursor, a workspace opened or a query run."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                and SQL.match(node.value):
            found.append(f"{node.lineno}: SQL {node.value.strip()[:30]!r}")
        elif isinstance(node, ast.Attribute) and node.attr in CACHES \
                or isinstance(node, ast.Name) and node.id in CACHES:
            found.append(f"{node.lineno}: st.cache_*")
        elif isinstance(node, ast.ImportFrom) and any(
                alias.name in CACHES | {"open_workspace"} for alias in node.names):
            found.append(f"{node.lineno}: imports {', '.join(a.name for a in node.names)}")
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            if name in CONNECTION_CALLS:
                found.append(f"{node.lineno}: {name}(…)")
    return sorted(found, key=lambda finding: int(finding.split(":")[0]))


def test_the_data_layer_finder_catches_each_kind():
    source = (
        "import streamlit as st\n"
        "from retention.store import open_workspace\n"
        "@st.cache_data(show_spinner=False)\n"
        "def f(ws):\n"
        "    con = ws.cursor()\n"
        "    return con.execute(f'''\n  SELECT id FROM {ws}''')\n"
        "Q = 'with recent as (select 1) select * from recent'\n"
        "LABEL = 'Delete this dataset'  # UI text, not SQL\n"
        "WORDS = 'With a survey: share of wallet'\n"
    )
    found = data_layer_findings(source)
    assert [line.split(":")[0] for line in found] == ["2", "3", "5", "6", "6", "8"], found
    assert not any("Delete" in line or "With a" in line for line in found)


def _relative(path: Path) -> str:
    return path.relative_to(PROJECT_ROOT).as_posix()


def test_the_page_module_list_covers_every_page():
    names = {_relative(path) for path in PAGE_MODULES}
    assert {"retention/ui/ladder_page.py", "retention/ui/abc_xyz_page.py",
            "retention/ui/home_page.py", "retention/ui/data_page.py", "views/ladder.py",
            "views/_template.py", "retention/ui/ltv_page.py", "retention/ui/churn_page.py",
            "retention/ui/portraits_page.py", "views/ltv.py", "views/churn.py",
            "views/portraits.py"} <= names


def test_page_modules_hold_no_sql_no_cache_and_no_cursor():
    offenders = [
        f"{_relative(path)}:{finding}"
        for path in PAGE_MODULES
        for finding in data_layer_findings(path.read_text(encoding="utf-8"))
    ]
    assert offenders == [], "move these into retention/ui/data/<family>.py"


def _first_statement(path: Path) -> ast.stmt:
    """The first statement of a page script after its docstring and imports."""
    body = ast.parse(path.read_text(encoding="utf-8")).body
    return next(node for node in body
                if not isinstance(node, (ast.Import, ast.ImportFrom))
                and not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)))


def test_every_page_script_starts_through_page_start():
    def starts(path: Path) -> bool:
        node = _first_statement(path)
        return (isinstance(node, ast.Assign) and isinstance(node.value, ast.Call)
                and ast.unparse(node.value.func) == "page.start"
                and [ast.unparse(target) for target in node.targets] == ["ctx"])

    views = sorted(VIEWS.glob("*.py"))
    assert TEMPLATE in views
    assert [_relative(path) for path in views if not starts(path)] == []


def _names_the_template(path: Path) -> bool:
    """True when ``path`` imports ``_template`` or names it outside a docstring (a page
    entry, a path to run)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef))
                  and node.body and isinstance(node.body[0], ast.Expr)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            modules = [alias.name for alias in node.names] + [getattr(node, "module", "") or ""]
            if any("_template" in module for module in modules):
                return True
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) \
                and id(node) not in docstrings and "_template" in node.value:
            return True
    return False


def test_the_page_template_compiles_and_is_never_run_or_imported():
    compile(TEMPLATE.read_text(encoding="utf-8"), str(TEMPLATE), "exec")
    # running it by mistake fails at its first import instead of drawing half a page
    assert importlib.util.find_spec("retention.ui.example_page") is None
    sources = [PROJECT_ROOT / "app.py", *PACKAGE.rglob("*.py"), *VIEWS.glob("*.py"),
               *(PROJECT_ROOT / "tests").rglob("*.py")]
    assert [_relative(path) for path in sources
            if path not in (TEMPLATE, Path(__file__)) and _names_the_template(path)] == []
    assert "views/_template.py" in (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")


def _layout_entries() -> list[Path]:
    """Every path the README's "Layout" tree names, its indentation giving the folder."""
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Layout\n", 1)[1].split("\n## ", 1)[0]
    tree = section.split("```", 2)[1]
    folders: list[str] = []
    entries = []
    for line in tree.splitlines()[1:]:
        if not line.strip():
            continue
        depth = (len(line) - len(line.lstrip(" "))) // 2
        name = line.split()[0]
        del folders[depth:]
        entries.append(PROJECT_ROOT.joinpath(*folders, name))
        if name.endswith("/"):
            folders.append(name.rstrip("/"))
    return entries


def test_the_readme_layout_names_only_what_exists():
    entries = _layout_entries()
    assert PROJECT_ROOT / "retention" / "ui" / "data" in entries
    # a pattern (ui/*_page.py) must match at least one file
    missing = [path for path in entries
               if not (any(path.parent.glob(path.name)) if "*" in path.name else path.exists())]
    assert [str(path.relative_to(PROJECT_ROOT)) for path in missing] == []


def streamlit_cache_findings(source: str) -> list[str]:
    """Every ``st.cache_data`` / ``st.cache_resource`` in ``source``: in the data layer a cache
    must be :func:`retention.ui.data.cache_data` or ``cache_resource``, which key by the
    interface language as well (a member's reason, a table's titles are written in it)."""
    return [f"{node.lineno}: st.{node.attr}" for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.Attribute) and node.attr in CACHES
            and isinstance(node.value, ast.Name) and node.value.id == "st"]


def test_the_streamlit_cache_finder_sees_a_decorator_and_ignores_the_wrapper():
    source = ("import streamlit as st\n"
              "from retention.ui.data import cache_data\n"
              "@cache_data(max_entries=4)\n"
              "def kept(x): return x\n"
              "@st.cache_resource(max_entries=4)\n"
              "def mixed(x): return x\n")
    assert streamlit_cache_findings(source) == ["5: st.cache_resource"]


def test_every_data_layer_cache_is_keyed_by_the_language():
    data_layer = PROJECT_ROOT / "retention" / "ui" / "data"
    modules = [path for path in sorted(data_layer.glob("*.py")) if path.name != "__init__.py"]
    assert len(modules) >= 8
    found = {_relative(path): streamlit_cache_findings(path.read_text(encoding="utf-8"))
             for path in modules}
    assert {path: lines for path, lines in found.items() if lines} == {}
