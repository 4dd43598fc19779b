"""The domain package never imports streamlit; only retention/ui/ may (DESIGN.md section 2)."""

import ast
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
