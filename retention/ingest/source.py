"""Turn an uploaded or named file into something DuckDB's readers can take directly.

A source is hashed (so the same file is recognised when it comes again), its kind is found from
its first bytes rather than trusted from its name, a zip is unpacked, and text that is not UTF-8 is
re-encoded to a temporary UTF-8 file. DuckDB reads UTF-8 natively but needs a downloadable
extension for Windows-1251, which a laptop offline or a locked-down server may not have.

All of this streams the file in 1 MiB blocks: a big file is never held in memory, and it never
passes through Python row by row.
"""

from __future__ import annotations

import codecs
import hashlib
import shutil
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from retention.i18n import t
from retention.ingest.errors import IngestError

BLOCK = 1 << 20
TEXT_SUFFIXES = {".csv", ".tsv", ".txt", ".dat", ".tab", ".prn"}
EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"}


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(BLOCK):
            digest.update(block)
    return digest.hexdigest()


def sniff_kind(path: Path, name: str) -> str:
    """'text', 'excel', 'parquet' or 'zip', from the magic bytes first and the name second."""
    with open(path, "rb") as fh:
        head = fh.read(8)
    suffix = Path(name).suffix.lower()
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith(b"\xd0\xcf\x11\xe0"):  # OLE2: legacy .xls
        return "excel"
    if head.startswith(b"PK\x03\x04"):
        # xlsx/ods are zips too; tell them apart by what they hold
        try:
            with zipfile.ZipFile(path) as zf:
                names = zf.namelist()
        except zipfile.BadZipFile as exc:
            raise IngestError(
                t("{name} looks like a zip archive but cannot be opened: {error}. "
                  "Re-create the archive or upload the file inside it.", name=name, error=exc)
            ) from exc
        if any(n.startswith("xl/") for n in names) or "content.xml" in names:
            return "excel"
        return "zip"
    if suffix in EXCEL_SUFFIXES:
        return "excel"
    if suffix == ".parquet":
        return "parquet"
    return "text"


@dataclass
class PreparedSource:
    """A file ready for a reader: ``path`` is UTF-8 text, Excel or Parquet."""

    original_name: str
    kind: str
    path: Path
    sha256: str
    size: int
    encoding: str = "utf-8"
    zip_member: str | None = None
    blank_lines: list[int] = field(default_factory=list)
    line_count: int = 0
    _tmpdir: tempfile.TemporaryDirectory[str] | None = None

    def cleanup(self) -> None:
        if self._tmpdir is not None:
            self._tmpdir.cleanup()
            self._tmpdir = None

    def __enter__(self) -> PreparedSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.cleanup()


def unzip_single(path: Path, name: str, into: Path) -> tuple[Path, str]:
    """Extract the one data file a zip holds; refuse archives with none or several."""
    with zipfile.ZipFile(path) as zf:
        members = [
            m for m in zf.infolist()
            if not m.is_dir() and not Path(m.filename).name.startswith(".")
            and "__MACOSX" not in m.filename
        ]
        data = [m for m in members if Path(m.filename).suffix.lower() in TEXT_SUFFIXES]
        if len(data) != 1:
            found = ", ".join(m.filename for m in members) or t("nothing")
            raise IngestError(
                t("{name} must hold exactly one CSV or text file; it holds: {found}. "
                  "Put a single CSV in the zip, or upload the CSV itself.", name=name, found=found)
            )
        member = data[0]
        target = into / Path(member.filename).name
        with zf.open(member) as src, open(target, "wb") as dst:
            shutil.copyfileobj(src, dst, BLOCK)
        return target, member.filename


def scan_text(path: Path, encoding: str, into: Path) -> tuple[Path, list[int], int]:
    """Re-encode to UTF-8 when needed and find the empty lines (DuckDB's CSV reader skips them,
    so the loader needs their numbers to report every row by its true line).

    Returns (utf8_path, blank_line_numbers, number_of_lines).
    """
    needs_copy = encoding.lower().replace("_", "-") not in {"utf-8", "utf8", "utf-8-sig", "ascii"}
    target = into / "utf8.csv" if needs_copy else path
    blanks: list[int] = []
    lines = 0
    last = b"\n"  # a virtual newline before the file, so an empty first line is found
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict") if needs_copy else None
    out = open(target, "wb") if needs_copy else None  # noqa: SIM115 - closed in finally
    try:
        with open(path, "rb") as fh:
            position = 0
            while raw := fh.read(BLOCK):
                if decoder is not None:
                    try:
                        text = decoder.decode(raw)
                    except UnicodeDecodeError as exc:
                        raise IngestError(
                            t("The file is not valid {encoding} near byte {offset}. Choose the "
                              "file's real encoding under 'Reading options' and try again.",
                              encoding=encoding, offset=position + exc.start)
                        ) from exc
                    block = text.replace("\ufeff", "", 1 if position == 0 else 0).encode("utf-8")
                    assert out is not None
                    out.write(block)
                else:
                    block = raw
                position += len(raw)
                blanks.extend(_blank_lines(last + block, lines))
                lines += block.count(b"\n")
                last = block[-1:] if block else last
            if decoder is not None:
                assert out is not None
                out.write(decoder.decode(b"", final=True).encode("utf-8"))
    finally:
        if out is not None:
            out.close()
    if last != b"\n":
        lines += 1
    return target, blanks, lines


def _blank_lines(block: bytes, lines_before: int) -> list[int]:
    """1-based numbers of the empty lines that start in ``block`` (whose byte 0 is the previous
    block's last byte)."""
    found: list[int] = []
    for pattern in (b"\n\n", b"\n\r\n"):
        start = 0
        while (i := block.find(pattern, start)) != -1:
            found.append(lines_before + block.count(b"\n", 1, i + 1) + 1)
            start = i + 1
    return sorted(found)
