"""The import folder: a folder on the server whose files the Data page lists and loads in place.

Why it exists: the browser upload has a size limit, and the command line cannot open the
workspace while the dashboard holds it (DuckDB lets one program at a time write to a file). A
file copied into this folder (by scp, a file share, a scheduled export) is loaded by the running
dashboard itself, read where it lies, with the same detection, preview, mapping and report as an
upload.

The folder is ``RETENTION_IMPORT_DIR``, else ``import/`` beside the workspace file (the default
workspace ``data/workspace.duckdb`` gives ``data/import/``).

Only plain file names directly inside the folder are accepted: no separators, no ``..``, no
hidden files, and nothing whose real path (after following links) lies outside the folder, so a
name picked on the page can never reach another file of the server.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from retention.i18n import t
from retention.store import DEFAULT_WORKSPACE

IMPORT_DIR_ENV = "RETENTION_IMPORT_DIR"
# The kinds of file the loader reads (the upload accepts the same).
IMPORT_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx", ".xls", ".parquet", ".zip")


class ImportNameError(ValueError):
    """A name that is not a plain file name in the import folder; the message says why."""


@dataclass(frozen=True)
class ServerFile:
    """One loadable file of the import folder."""

    name: str
    path: Path
    size: int
    modified: datetime
    modified_ns: int


def import_dir(workspace_path: str | Path) -> Path:
    """The import folder for a workspace: ``RETENTION_IMPORT_DIR``, else ``import/`` beside it.

    A workspace that is not a file (``:memory:``) uses the default workspace's folder.
    """
    configured = os.environ.get(IMPORT_DIR_ENV, "").strip()
    if configured:
        return Path(configured).expanduser().resolve()
    workspace = Path(str(workspace_path))
    base = DEFAULT_WORKSPACE if str(workspace_path) == ":memory:" else workspace
    return base.expanduser().resolve().parent / "import"


def list_files(folder: Path) -> list[ServerFile]:
    """The folder's loadable files, newest first (then by name); [] when the folder is missing.

    Links that lead outside the folder, folders, hidden files and other kinds of file are left
    out: they could not be loaded by name anyway.
    """
    if not folder.is_dir():
        return []
    found: list[ServerFile] = []
    with os.scandir(folder) as entries:
        for entry in entries:
            try:
                found.append(resolve(folder, entry.name))
            except (ImportNameError, OSError):
                continue
    return sorted(found, key=lambda f: (-f.modified_ns, f.name))


def resolve(folder: Path, name: str) -> ServerFile:
    """The file ``name`` of the import folder; raises ImportNameError unless ``name`` is a plain
    name of a loadable file that really lies in the folder."""
    if (not name or name != Path(name).name or "/" in name or "\\" in name
            or name in (".", "..") or name.startswith(".")):
        raise ImportNameError(
            t("{name!r} is not the name of a file in the import folder: only plain file names "
              "from the list are accepted.", name=name)
        )
    if not name.lower().endswith(IMPORT_SUFFIXES):
        raise ImportNameError(
            t("{name} is not a kind of file that can be loaded (CSV, TSV, TXT, Excel, Parquet "
              "or zip).", name=name)
        )
    root = folder.resolve()
    path = root / name
    real = path.resolve()
    if root not in real.parents:
        raise ImportNameError(
            t("{name} is a link to a file outside the import folder; copy the file itself into "
              "the folder.", name=name)
        )
    if not real.is_file():
        raise ImportNameError(
            t("There is no file {name} in the import folder (any more); refresh the list.",
              name=name)
        )
    stat = real.stat()
    return ServerFile(name=name, path=real, size=stat.st_size,
                      modified=datetime.fromtimestamp(stat.st_mtime),
                      modified_ns=stat.st_mtime_ns)
