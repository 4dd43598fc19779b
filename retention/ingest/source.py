"""Turn an uploaded or named file into something DuckDB's readers can take directly.

A source is hashed (so the same file is recognised when it comes again), its kind is found from
its first bytes rather than trusted from its name, a zip is unpacked, and text that is not UTF-8 is
re-encoded to a temporary UTF-8 file. DuckDB reads UTF-8 natively but needs a downloadable
extension for Windows-1251, which a laptop offline or a locked-down server may not have.

All of this streams the file in blocks: a big file is never held in memory, and it never passes
through Python row by row. The same pass over the text checks it: every byte must belong to the
chosen encoding (a file that switches encodings part-way is refused with the line where it
switches), and it notes whether a quoted field holds a line break, which DuckDB's fast parallel
reader cannot combine with short lines (see ``reader``).

A zip is unpacked under limits checked while it streams (a zip bomb is refused after a few MB,
not after filling the disk), and every load works in its own temporary folder that a later load
removes if the process that made it was killed (``clean_stale_temp_dirs``).
"""

from __future__ import annotations

import codecs
import hashlib
import logging
import os
import re
import shutil
import sys
import tempfile
import time
import weakref
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from charset_normalizer import from_bytes

from retention.i18n import t
from retention.ingest.errors import IngestError
from retention.ingest.sniff import ENCODINGS

log = logging.getLogger(__name__)

BLOCK = 1 << 20
TEXT_SUFFIXES = {".csv", ".tsv", ".txt", ".dat", ".tab", ".prn"}
EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"}

MB = 1 << 20
MAX_UNZIPPED_ENV = "RETENTION_MAX_UNZIPPED_MB"
DEFAULT_MAX_UNZIPPED_MB = 1024
# Real CSV packs 5-20x; a member packed far tighter than that is a zip bomb.
MAX_PACK_RATIO = 200
# Spreadsheet XML repeats itself much more than CSV (every cell is a tag), so a workbook's parts
# may pack tighter; 1000x is still far beyond any real sheet.
MAX_WORKBOOK_PACK_RATIO = 1000
# Below this much unpacked data any ratio is harmless, and tiny or repetitive files pack oddly.
RATIO_FREE_BYTES = 16 * MB
# Unpack in small reads: zipfile reads packed data ahead of what it returns, by up to one read,
# so small reads keep the measured ratio close to the truth.
UNZIP_READ = 64 << 10


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


# -- temporary folders --------------------------------------------------------------------------

TEMP_PREFIX = "retention-load-"
_OWNER_LOCK = "owner.lock"
# A folder whose lock is free but whose process id is alive again (a reused id), or a folder
# without a lock (made by an older version, or caught between its creation and its lock), is
# left alone for this long: no load takes an hour to start.
STALE_AFTER_SECONDS = 3600

if sys.platform == "win32":
    import msvcrt

    def _try_lock(fh: IO[bytes]) -> bool:
        try:
            msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _pid_alive(pid: int) -> bool:
        # os.kill(pid, 0) would send CTRL_C_EVENT on Windows; the lock and the age decide.
        return True
else:
    import fcntl

    def _try_lock(fh: IO[bytes]) -> bool:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return False
        return True

    def _pid_alive(pid: int) -> bool:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except OSError:  # e.g. another user's process: it exists
            return True
        return True


def _remove_folder(path: Path, lock: IO[bytes]) -> None:
    lock.close()  # releases the lock
    shutil.rmtree(path, ignore_errors=True)


class LoadFolder:
    """A load's temporary folder, ``retention-load-<pid>-…`` in the system temp folder.

    The owner holds an exclusive lock on a file inside for as long as the folder lives. The
    operating system drops that lock when the process ends, however it ends, so another process
    can tell a killed load's leftovers (lock free) from a load still running (lock held).
    """

    def __init__(self) -> None:
        self.path = Path(tempfile.mkdtemp(prefix=f"{TEMP_PREFIX}{os.getpid()}-"))
        lock = open(self.path / _OWNER_LOCK, "wb")  # noqa: SIM115 - held open on purpose
        lock.write(str(os.getpid()).encode("ascii"))
        lock.flush()
        _try_lock(lock)
        self._finalizer = weakref.finalize(self, _remove_folder, self.path, lock)

    @property
    def name(self) -> str:
        return str(self.path)

    def cleanup(self) -> None:
        self._finalizer()


def clean_stale_temp_dirs(base: str | Path | None = None) -> list[Path]:
    """Remove the temporary folders that loads killed mid-way left behind; return them.

    A folder is stale when its owner's lock is free and its owner process is gone (or the lock
    has been free for an hour, the id having been reused). A folder whose lock is held belongs
    to a load still running, in this process or another, and is never touched. Folders of older
    versions, which have no lock, are removed once they are an hour old.
    """
    base = Path(base or tempfile.gettempdir())
    removed: list[Path] = []
    try:
        entries = list(base.glob(TEMP_PREFIX + "*"))
    except OSError:
        return removed
    for entry in entries:
        try:
            if entry.is_symlink() or not entry.is_dir() or not _is_stale(entry):
                continue
        except OSError:
            continue
        shutil.rmtree(entry, ignore_errors=True)
        if not entry.exists():
            removed.append(entry)
    if removed:
        log.info("removed %d temporary folder(s) of earlier loads that did not finish: %s",
                 len(removed), ", ".join(str(p) for p in removed))
    return removed


def _is_stale(folder: Path) -> bool:
    age = time.time() - folder.stat().st_mtime
    try:
        lock = open(folder / _OWNER_LOCK, "rb")  # noqa: SIM115 - closed below
    except FileNotFoundError:
        return age > STALE_AFTER_SECONDS
    with lock:
        if not _try_lock(lock):
            return False  # its load is running
    pid = _owner_pid(folder.name)
    return pid is None or not _pid_alive(pid) or age > STALE_AFTER_SECONDS


def _owner_pid(folder_name: str) -> int | None:
    match = re.match(re.escape(TEMP_PREFIX) + r"(\d+)-", folder_name)
    return int(match.group(1)) if match else None


@dataclass
class PreparedSource:
    """A file ready for a reader: ``path`` is UTF-8 text, Excel or Parquet.

    ``encoding`` is the file's own; ``path_encoding`` that of the bytes at ``path`` when they
    differ (UTF-8, once re-encoded). ``quoted_newlines``: a line of the text has an odd number
    of '"', so a quoted field may run over a line break (or a lone '"' stands in a field); the
    reader then reads it serially.
    """

    original_name: str
    kind: str
    path: Path
    sha256: str
    size: int
    encoding: str = "utf-8"
    path_encoding: str | None = None
    zip_member: str | None = None
    blank_lines: list[int] = field(default_factory=list)
    line_count: int = 0
    quoted_newlines: bool = False
    _tmpdir: LoadFolder | None = None

    def cleanup(self) -> None:
        if self._tmpdir is not None:
            self._tmpdir.cleanup()
            self._tmpdir = None

    def __enter__(self) -> PreparedSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.cleanup()


# -- zip archives -------------------------------------------------------------------------------


def max_unzipped_bytes() -> int:
    """The most a zip member may unpack to: ``RETENTION_MAX_UNZIPPED_MB`` (default 1024 MB)."""
    raw = os.environ.get(MAX_UNZIPPED_ENV, "").strip()
    if not raw:
        return DEFAULT_MAX_UNZIPPED_MB * MB
    try:
        megabytes = float(raw)
    except ValueError:
        megabytes = 0.0
    if not megabytes > 0:
        raise IngestError(
            t("The setting {name} must be a number of megabytes above 0, such as 1024; it is "
              "{value!r}. Correct it where the app is started.", name=MAX_UNZIPPED_ENV,
              value=raw)
        )
    return int(megabytes * MB)


class _CountingFile:
    """A read-only file that counts the bytes read through it: how much packed data an unpacking
    has really consumed, whatever the archive's header claims."""

    def __init__(self, fh: IO[bytes]) -> None:
        self._fh = fh
        self.bytes_read = 0

    def read(self, n: int = -1) -> bytes:
        data = self._fh.read(n)
        self.bytes_read += len(data)
        return data

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._fh.seek(offset, whence)

    def tell(self) -> int:
        return self._fh.tell()

    def seekable(self) -> bool:
        return True


def unzip_single(path: Path, name: str, into: Path) -> tuple[Path, str]:
    """Extract the one data file a zip holds; refuse archives with none or several, and members
    that would unpack past the size limit or pack suspiciously tightly (a zip bomb)."""
    limit = max_unzipped_bytes()
    with open(path, "rb") as raw:
        counted = _CountingFile(raw)
        with zipfile.ZipFile(counted) as zf:
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
                      "Put a single CSV in the zip, or upload the CSV itself.", name=name,
                      found=found)
                )
            member = data[0]
            _refuse_declared(member, name, limit, MAX_PACK_RATIO)
            target = into / Path(member.filename).name
            try:
                _extract(zf, member, target, counted, name, limit)
            except BaseException:
                target.unlink(missing_ok=True)
                raise
            return target, member.filename


def _extract(zf: zipfile.ZipFile, member: zipfile.ZipInfo, target: Path, counted: _CountingFile,
             name: str, limit: int) -> None:
    written = 0
    try:
        with zf.open(member) as src, open(target, "wb") as dst:
            packed_from = counted.bytes_read
            while chunk := src.read(UNZIP_READ):
                written += len(chunk)
                if written > limit:
                    raise _too_big(name, member.filename, limit)
                packed = counted.bytes_read - packed_from
                if written > RATIO_FREE_BYTES and written > MAX_PACK_RATIO * max(packed, 1):
                    raise _bomb(name, member.filename, written, packed, MAX_PACK_RATIO)
                dst.write(chunk)
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise IngestError(
            t("{member} in {name} is damaged and cannot be unpacked ({error}). Re-create the "
              "archive or upload the file inside it.", member=member.filename, name=name,
              error=exc)
        ) from exc
    except NotImplementedError as exc:
        raise IngestError(
            t("{member} in {name} is packed with a method this app cannot unpack ({error}). "
              "Re-create the zip with ordinary compression (deflate), or upload the CSV itself.",
              member=member.filename, name=name, error=exc)
        ) from exc
    except RuntimeError as exc:  # zipfile's "File ... is encrypted, password required"
        raise IngestError(
            t("{member} in {name} is protected by a password. Unpack it yourself and upload "
              "the CSV.", member=member.filename, name=name)
        ) from exc


def _refuse_declared(member: zipfile.ZipInfo, name: str, limit: int, ratio: int) -> None:
    """Refuse a member before unpacking when its header alone already breaks a limit."""
    if member.file_size > limit:
        raise _too_big(name, member.filename, limit)
    if member.file_size > RATIO_FREE_BYTES and member.file_size > ratio * max(
        member.compress_size, 1
    ):
        raise _bomb(name, member.filename, member.file_size, member.compress_size, ratio)


def check_workbook_zip(path: Path, name: str) -> None:
    """Refuse a zip-based workbook (.xlsx, .ods) whose parts declare a bomb's packing ratio; the
    spreadsheet reader unpacks them itself, in memory."""
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except zipfile.BadZipFile:
        return  # not a zip after all (legacy .xls); the spreadsheet reader reports it
    for info in infos:
        if info.file_size > RATIO_FREE_BYTES and info.file_size > MAX_WORKBOOK_PACK_RATIO * max(
            info.compress_size, 1
        ):
            raise _bomb(name, info.filename, info.file_size, info.compress_size,
                        MAX_WORKBOOK_PACK_RATIO)


def _too_big(name: str, member: str, limit: int) -> IngestError:
    return IngestError(
        t("{member} in {name} unpacks to more than {limit} MB, the most this app unpacks from a "
          "zip; nothing was loaded. Upload the CSV itself, unpacked, or ask whoever runs the app "
          "to raise {setting}.", member=member, name=name, limit=f"{limit / MB:,.0f}",
          setting=MAX_UNZIPPED_ENV)
    )


def _bomb(name: str, member: str, unpacked: int, packed: int, ratio: int) -> IngestError:
    return IngestError(
        t("{member} in {name} is packed more than {ratio} times tighter than any real table "
          "({unpacked} MB from {packed} MB): this is a zip bomb, or damaged. Unpacking stopped "
          "and nothing was loaded. Upload the CSV itself, unpacked.", member=member, name=name,
          ratio=ratio, unpacked=f"{unpacked / MB:,.1f}", packed=f"{packed / MB:,.2f}")
    )


# -- text ---------------------------------------------------------------------------------------

# Everything but '"' and '\n', deleted to count the quotes on each line quickly.
_NOT_QUOTE_NOR_NEWLINE = bytes(b for b in range(256) if b not in (0x22, 0x0A))
# UTF-8 written into a single-byte file. A single-byte encoding decodes any byte, so only a
# pattern gives such a row away: two Cyrillic UTF-8 letters in a row (lead byte 0xD0-0xD3, then a
# continuation byte 0x80-0xBF; in Windows-1251 "Р/С/Т/У" followed by a symbol, twice running,
# which no Russian text does), or any three two-byte sequences in a row. Bytes are mapped to
# classes (L: Cyrillic lead, M: other two-byte lead, C: continuation) so that plain ``find``
# does the search at C speed; a regular expression is thirty times slower here.
_BYTE_CLASS = bytes(
    ord("C") if 0x80 <= b <= 0xBF else ord("L") if 0xD0 <= b <= 0xD3
    else ord("M") if 0xC2 <= b <= 0xDF else ord(".")
    for b in range(256)
)
_ANY_LEAD = bytes.maketrans(b"L", b"M")
_UTF8_CODECS = {"utf-8", "utf-8-sig", "ascii"}
_SINGLE_BYTE_CODECS = {"cp1251", "cp1252", "cp1250", "koi8-r", "koi8-u", "cp866", "iso8859-1",
                       "iso8859-5", "mac-cyrillic"}
_GUESSES = ["cp1251", "cp1252", "koi8_r", "cp866", "latin_1"]


@dataclass
class TextScan:
    """What a pass over the whole text found (see ``scan_text``)."""

    path: Path
    blank_lines: list[int]
    line_count: int
    quoted_newlines: bool


class EncodingBreak(IngestError):
    """The text stops being valid in its encoding at ``line``. ``ascii_before``: every line
    before it is plain ASCII, so the file may simply be in ``guess`` throughout."""

    def __init__(self, message: str, line: int, ascii_before: bool, guess: str | None) -> None:
        super().__init__(message)
        self.line = line
        self.ascii_before = ascii_before
        self.guess = guess


def codec_name(encoding: str) -> str:
    try:
        return codecs.lookup(encoding).name
    except LookupError as exc:
        raise IngestError(
            t("{encoding!r} is not a known text encoding. Choose one under Encoding in "
              "'Reading options'.", encoding=encoding)
        ) from exc


def scan_text(path: Path, encoding: str, into: Path | None) -> TextScan:
    """One pass over the whole text: check every byte belongs to ``encoding``, re-encode to UTF-8
    in ``into`` when needed (``into=None``: check only), find the empty lines (DuckDB's CSV reader
    skips them, so the loader needs their numbers to report every row by its true line), and
    note whether any line has an odd number of '"' (a quoted field may hold a line break).

    Raises ``EncodingBreak`` naming the first line that is not valid ``encoding``, or, in a
    single-byte encoding, the first line that holds UTF-8.
    """
    codec = codec_name(encoding)
    needs_copy = into is not None and codec not in _UTF8_CODECS
    target = into / "utf8.csv" if into is not None and needs_copy else path
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    single_byte = codec in _SINGLE_BYTE_CODECS
    blanks: list[int] = []
    lines = 0
    last = b"\n"  # a virtual newline before the file, so an empty first line is found
    all_ascii = True
    quoted_newlines = False
    quote_carry = b""  # the quote left unpaired on the line cut by the block's end
    raw_tail = b""  # the last bytes of the previous block, for a UTF-8 run cut in two
    out = open(target, "wb") if needs_copy else None  # noqa: SIM115 - closed in finally
    try:
        with open(path, "rb") as fh:
            position = 0
            while raw := fh.read(BLOCK):
                try:
                    # ASCII is valid in every encoding offered: skip decoding it, unless the text
                    # is to be re-encoded or a character cut by the last block is still open
                    if out is None and raw.isascii() and not decoder.getstate()[0] and (
                            codec in _UTF8_CODECS or single_byte):
                        text = ""
                    else:
                        text = decoder.decode(raw)
                except UnicodeDecodeError as exc:
                    raise _decode_break(exc, encoding, lines, all_ascii) from exc
                if single_byte:
                    _check_utf8_run(raw_tail, raw, encoding, lines, all_ascii)
                    raw_tail = raw[-8:]
                if out is not None:
                    block = text.replace("\ufeff", "", 1 if position == 0 else 0).encode("utf-8")
                    out.write(block)
                else:
                    block = raw
                all_ascii = all_ascii and raw.isascii()
                position += len(raw)
                if not quoted_newlines:
                    quoted_newlines, quote_carry = _odd_quote_line(block, quote_carry)
                blanks.extend(_blank_lines(last + block, lines))
                lines += block.count(b"\n")
                last = block[-1:] if block else last
            try:
                rest = decoder.decode(b"", final=True)
            except UnicodeDecodeError as exc:
                raise _decode_break(exc, encoding, lines, all_ascii) from exc
            if out is not None:
                out.write(rest.encode("utf-8"))
    except BaseException:
        if out is not None:
            out.close()
            out = None
            target.unlink(missing_ok=True)
        raise
    finally:
        if out is not None:
            out.close()
    if last != b"\n":
        lines += 1
    return TextScan(target, blanks, lines, quoted_newlines or bool(quote_carry))


def _odd_quote_line(block: bytes, carry: bytes) -> tuple[bool, bytes]:
    """(whether a line completed in ``block`` holds an odd number of '"', the unpaired quote of
    the line still open at its end). Runs at C speed: only quotes and newlines are kept, and
    pairs of adjacent quotes (which share a line) cancel out."""
    kept = block.translate(None, _NOT_QUOTE_NOR_NEWLINE)
    if b'"' not in kept and not carry:
        return False, b""
    kept = (carry + kept).replace(b'""', b"")
    cut = kept.rfind(b"\n")
    if cut >= 0 and b'"' in kept[: cut + 1]:
        return True, b""
    return False, kept[cut + 1:]


def _decode_break(exc: UnicodeDecodeError, encoding: str, lines_before: int,
                  ascii_before: bool) -> EncodingBreak:
    """The message for the first bytes that are not valid ``encoding``."""
    seen: bytes = exc.object[: exc.start]
    line = lines_before + seen.decode(encoding, errors="ignore").count("\n") + 1
    ascii_before = ascii_before and seen.isascii()
    line_start = seen.rfind(b"\n") + 1
    guess = _guess_encoding(exc.object[line_start: line_start + 65536], encoding)
    label = ENCODINGS.get(encoding, encoding)
    byte = f"0x{exc.object[exc.start]:02X}" if exc.start < len(exc.object) else "end"
    if codec_name(encoding) in _UTF8_CODECS and guess is not None:
        guess_label = ENCODINGS.get(guess, guess)
        if ascii_before:
            message = t(
                "Line {line} is the first with letters beyond plain English, and they are not "
                "UTF-8: the file looks like {guess}. Choose “{guess}” under Encoding in "
                "'Reading options'.", line=f"{line:,}", guess=guess_label)
        else:
            message = t(
                "Line {line} is not valid UTF-8, although the lines before it are: the file "
                "mixes encodings (that line looks like {guess}). Save the file again as UTF-8 "
                "from the program that made it and upload it again; or, if the whole file is in "
                "{guess}, choose “{guess}” under Encoding in 'Reading options'.",
                line=f"{line:,}", guess=guess_label)
    else:
        message = t(
            "Line {line} cannot be read as {encoding} (byte {byte} means nothing in it). Choose "
            "the file's real encoding under Encoding in 'Reading options', or save the file "
            "again as UTF-8 and upload it again.", line=f"{line:,}", encoding=label, byte=byte)
    return EncodingBreak(message, line, ascii_before, guess)


def _check_utf8_run(tail: bytes, raw: bytes, encoding: str, lines_before: int,
                    ascii_before: bool) -> None:
    """Refuse a single-byte file in which a row holds UTF-8 (it would load as mojibake)."""
    window = tail + raw
    run = _first_utf8_run(window)
    if run is None or run[1] <= len(tail):
        return  # none, or found in the previous block already
    at, end = run
    start = max(at - len(tail), 0)
    line = lines_before + raw.count(b"\n", 0, start) + 1
    found = window[at:min(end, at + 24)]
    shown = found.decode("utf-8", errors="ignore")
    garbled = found.decode(encoding, errors="replace")
    label = ENCODINGS.get(encoding, encoding)
    if ascii_before and window[:at].isascii():
        raise EncodingBreak(
            t("Line {line} is the first with letters beyond plain English, and they are written "
              "in UTF-8, not in {encoding} (“{sample}” would load as “{garbled}”). Choose "
              "“UTF-8” under Encoding in 'Reading options'.", line=f"{line:,}", encoding=label,
              sample=shown, garbled=garbled),
            line, True, "utf-8",
        )
    raise EncodingBreak(
        t("Line {line} is written in UTF-8, but the lines before it are in {encoding}: the file "
          "mixes encodings, and “{sample}” would load as “{garbled}”. Nothing was loaded. Save "
          "the file again as UTF-8 from the program that made it and upload it again.",
          line=f"{line:,}", encoding=label, sample=shown, garbled=garbled),
        line, False, "utf-8",
    )


def _first_utf8_run(data: bytes) -> tuple[int, int] | None:
    """(start, end) of the first run of UTF-8 letters in ``data`` (see ``_BYTE_CLASS``). A run
    must decode to letters, and not to the archaic Cyrillic of U+0460-U+047F: "Р С " with
    no-break spaces is 0xD0 0xA0 0xD1 0xA0 in Windows-1251, which would otherwise count."""
    classes = data.translate(_BYTE_CLASS)
    if b"C" not in classes:
        return None
    leads = classes.translate(_ANY_LEAD)
    best: tuple[int, int] | None = None
    for pattern, haystack in ((b"LCLC", classes), (b"MCMCMC", leads)):
        start = 0
        while (at := haystack.find(pattern, start)) >= 0:
            end = at
            while end + 1 < len(data) and leads[end] == ord("M") and leads[end + 1] == ord("C"):
                end += 2
            text = data[at:end].decode("utf-8", errors="replace")
            if all(ch.isalpha() and not "\u0460" <= ch <= "\u047f" for ch in text):
                if best is None or at < best[0]:
                    best = (at, end)
                break
            start = end
    return best


def _guess_encoding(sample: bytes, current: str) -> str | None:
    """The single-byte encoding ``sample`` most likely is in, other than ``current``."""
    try:
        best = from_bytes(sample, cp_isolation=_GUESSES).best()
    except Exception:  # charset_normalizer can fail on odd input; a guess is only a hint
        return None
    if best is None:
        return None
    guess = {"koi8_r": "koi8-r", "latin_1": "latin-1"}.get(best.encoding, best.encoding)
    return None if codec_name(guess) == codec_name(current) else guess


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
