"""The import folder: which folder, what it lists, and which names it accepts."""

from __future__ import annotations

import os

import pytest

from retention.import_folder import ImportNameError, import_dir, list_files, resolve


def test_the_folder_is_the_setting_else_import_beside_the_workspace(tmp_path, monkeypatch):
    monkeypatch.delenv("RETENTION_IMPORT_DIR", raising=False)
    assert import_dir(tmp_path / "ws" / "shop.duckdb") == tmp_path / "ws" / "import"
    monkeypatch.setenv("RETENTION_IMPORT_DIR", str(tmp_path / "drop"))
    assert import_dir(tmp_path / "ws" / "shop.duckdb") == tmp_path / "drop"


@pytest.mark.parametrize("name", ["../secret.csv", "sub/a.csv", "/etc/passwd.csv", "..", ".",
                                  "", ".partial.csv", "a\\..\\b.csv"])
def test_only_plain_visible_names_are_accepted(tmp_path, name):
    folder = tmp_path / "import"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "a.csv").write_text("x")
    (folder / ".partial.csv").write_text("x")
    (tmp_path / "secret.csv").write_text("x")
    with pytest.raises(ImportNameError, match="only plain file names from the list"):
        resolve(folder, name)


def test_a_link_out_of_the_folder_is_refused_and_one_inside_is_kept(tmp_path):
    folder = tmp_path / "import"
    folder.mkdir()
    (tmp_path / "secret.csv").write_text("x")
    (folder / "escape.csv").symlink_to(tmp_path / "secret.csv")
    (folder / "real.csv").write_text("a,b\n")
    (folder / "alias.csv").symlink_to(folder / "real.csv")
    with pytest.raises(ImportNameError, match="a link to a file outside the import folder"):
        resolve(folder, "escape.csv")
    assert resolve(folder, "alias.csv").path == folder / "real.csv"


def test_the_listing_holds_loadable_files_newest_first(tmp_path):
    folder = tmp_path / "import"
    folder.mkdir()
    for name, mtime in [("old.csv", 1_000_000_000), ("new.xlsx", 1_700_000_000),
                        ("notes.docx", 1_800_000_000), ("b.zip", 1_000_000_000)]:
        (folder / name).write_bytes(b"1234")
        os.utime(folder / name, (mtime, mtime))
    (folder / "folder.csv").mkdir()
    listed = list_files(folder)
    assert [(f.name, f.size) for f in listed] == [("new.xlsx", 4), ("b.zip", 4), ("old.csv", 4)]
    assert list_files(tmp_path / "missing") == []
    with pytest.raises(ImportNameError, match="not a kind of file that can be loaded"):
        resolve(folder, "notes.docx")
    with pytest.raises(ImportNameError, match="There is no file gone.csv"):
        resolve(folder, "gone.csv")
