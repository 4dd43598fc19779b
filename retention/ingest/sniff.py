"""Detect how a text export is written, from a sample of its first lines.

DuckDB's own sniffer is good at clean CSV but gives up on columns aligned with runs of spaces,
and it cannot tell a decimal comma from a thousands separator or d/m/y from m/d/y. These
functions look at the sample the way a person would and return settings the user can override.
The patterns used here are the same ones the loader hands to DuckDB, so what the preview says
parses is what the load parses.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections import Counter
from dataclasses import dataclass

from charset_normalizer import from_bytes

from retention.i18n import N_, t
from retention.ingest.errors import IngestError

DELIMITERS = {",": "comma", ";": "semicolon", "|": "pipe", "\t": "tab", "whitespace": "spaces"}
ENCODINGS = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8 with BOM",
    "utf-16": "UTF-16",
    "cp1251": "Windows-1251 (Cyrillic)",
    "cp1252": "Windows-1252 (Western)",
    "koi8-r": "KOI8-R",
    "cp866": "DOS 866",
    "latin-1": "Latin-1",
}

# Separators inside numbers: spaces, no-break and narrow no-break spaces, apostrophes.
_GROUP_CHARS = " \u00a0\u202f'\u2019"
# Currency signs, and words or ISO codes, that name a currency. Words are matched as whole words
# only (lower case): "Сумма" (Russian for "amount") starts with "сум" (Uzbek som) and must not
# make a Russian export Uzbek.
CURRENCY_SIGNS = {
    "$": "USD", "€": "EUR", "£": "GBP", "₽": "RUB", "₮": "MNT", "֏": "AMD", "₾": "GEL",
    "₸": "KZT", "₴": "UAH", "₺": "TRY", "₹": "INR",
}
CURRENCY_CODES = ("USD", "EUR", "GBP", "RUB", "RUR", "UZS", "KZT", "MNT", "AMD", "GEL", "UAH",
                  "BYN", "TRY", "CNY", "JPY", "INR")
CURRENCY_WORDS = {
    **{code.lower(): code for code in CURRENCY_CODES}, "rur": "RUB",
    "руб": "RUB", "рубль": "RUB", "рубли": "RUB", "рублей": "RUB", "рублях": "RUB", "р": "RUB",
    "so'm": "UZS", "soʻm": "UZS", "so‘m": "UZS", "so’m": "UZS", "so`m": "UZS", "сум": "UZS",
    "сўм": "UZS", "тенге": "KZT", "тг": "KZT", "грн": "UAH", "евро": "EUR", "доллар": "USD",
    "долл": "USD", "драм": "AMD", "лари": "GEL", "тугрик": "MNT",
}
# A word (letters only, an apostrophe inside allowed, as in so'm) or a currency sign.
_CURRENCY_TOKEN = re.compile(
    r"[^\W\d_]+(?:['ʻ‘’`][^\W\d_]+)?|[" + "".join(CURRENCY_SIGNS) + "]"
)

# Text that is stripped from a number before it is validated: grouping spaces and currency.
NUMBER_NOISE = (
    "[" + re.escape(_GROUP_CHARS) + r"\s]|руб\.?|р\.|so'm|сўм|сум|[$€£₽₮֏₾₸₴₺₹]|"
    + "|".join(CURRENCY_CODES)
)
# A number after the noise is gone, by decimal separator. RE2 (DuckDB) and Python agree on these.
NUMBER_PATTERNS = {
    ".": r"[+-]?(\d+|\d{1,3}(,\d{3})+)(\.\d*)?([eE][+-]?\d+)?|[+-]?\.\d+([eE][+-]?\d+)?",
    ",": r"[+-]?(\d+|\d{1,3}(\.\d{3})+)(,\d*)?|[+-]?,\d+",
}

_TIME_PARTS = (" %H:%M:%S.%f", " %H:%M:%S", " %H:%M", "T%H:%M:%S.%f", "T%H:%M:%S", "T%H:%M", "")


def _with_times(date_part: str) -> list[str]:
    return [date_part + time for time in _TIME_PARTS]


@dataclass(frozen=True)
class DateFormat:
    key: str
    label: str
    pattern: str  # a regex the sample values must match (Python and RE2 alike)
    strptime: tuple[str, ...]  # DuckDB strptime formats, tried in order; empty = special


# Day-first, month-first and year-first spellings, each also read with a time of day:
# (key, label, pattern, the date's strptime format).
_DATES_WITH_TIMES = (
    ("iso", N_("YYYY-MM-DD (ISO)"), r"\d{4}-\d{1,2}-\d{1,2}([ T].*)?", "%Y-%m-%d"),
    ("dmy_dot", N_("DD.MM.YYYY"), r"\d{1,2}\.\d{1,2}\.\d{4}( .*)?", "%d.%m.%Y"),
    ("dmy_slash", N_("DD/MM/YYYY"), r"\d{1,2}/\d{1,2}/\d{4}( .*)?", "%d/%m/%Y"),
    ("mdy_slash", N_("MM/DD/YYYY"), r"\d{1,2}/\d{1,2}/\d{4}( .*)?", "%m/%d/%Y"),
    ("dmy_dash", N_("DD-MM-YYYY"), r"\d{1,2}-\d{1,2}-\d{4}( .*)?", "%d-%m-%Y"),
    ("ymd_slash", N_("YYYY/MM/DD"), r"\d{4}/\d{1,2}/\d{1,2}( .*)?", "%Y/%m/%d"),
)

DATE_FORMATS: dict[str, DateFormat] = {
    f.key: f
    for f in (
        *(DateFormat(key, label, pattern, tuple(_with_times(date_format)))
          for key, label, pattern, date_format in _DATES_WITH_TIMES),
        DateFormat("ymd_compact", N_("YYYYMMDD (number)"), r"(19|20)\d{2}(0[1-9]|1[0-2])\d{2}",
                   ("%Y%m%d",)),
        DateFormat("excel_serial", N_("Excel serial day number"), r"[1-9]\d{4}(\.\d+)?", ()),
    )
}


# The first bytes of files people upload by mistake, and what to call them.
_BINARY_SIGNATURES = (
    (b"\x89PNG", N_("a PNG picture")), (b"\xff\xd8\xff", N_("a JPEG picture")),
    (b"GIF87a", N_("a GIF picture")), (b"GIF89a", N_("a GIF picture")),
    (b"%PDF", N_("a PDF document")),
    (b"\x1f\x8b", N_("a gzip archive")), (b"BZh", N_("a bzip2 archive")),
    (b"7z\xbc\xaf\x27\x1c", N_("a 7-Zip archive")), (b"Rar!\x1a\x07", N_("a RAR archive")),
    (b"\xfd7zXZ\x00", N_("an xz archive")), (b"\x28\xb5\x2f\xfd", N_("a zstd archive")),
    (b"SQLite format 3\x00", N_("an SQLite database")), (b"\x7fELF", N_("a program")),
    (b"MZ\x90\x00", N_("a Windows program")),
    (b"RIFF", N_("a sound or video file")), (b"OggS", N_("a sound or video file")),
    (b"ID3", N_("an MP3 file")),
)


def refuse_binary(head: bytes) -> None:
    """Raise IngestError when the first bytes are a known non-table format (a picture, a PDF,
    an archive, a database…) or plainly binary."""
    for signature, what in _BINARY_SIGNATURES:
        if head.startswith(signature):
            raise _not_a_table_but(t(what))
    if head[4:8] == b"ftyp":
        raise _not_a_table_but(t("a sound or video file"))


def _not_a_table_but(what: str) -> IngestError:
    return IngestError(
        t("This file is not a table but {what}: it holds binary data, not text. Export the data "
          "as CSV or Excel from the program that holds it and upload that.", what=what)
    )


def _binary_error() -> IngestError:
    return IngestError(
        t("This file is not text: it holds binary data (for example a picture, an archive or "
          "a database file). Export the data as CSV or Excel and upload that.")
    )


def detect_encoding(head: bytes) -> str:
    """The encoding of a file, from its first bytes. Raises IngestError for binary content."""
    refuse_binary(head)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if head and head.count(b"\x00") > len(head) // 4:
        # UTF-16 without a BOM: every other byte of Latin text is zero
        zeros_odd = head[1::2].count(b"\x00")
        zeros_even = head[0::2].count(b"\x00")
        for encoding, zeros in (("utf-16-le", zeros_odd), ("utf-16-be", zeros_even)):
            if zeros > len(head) // 3 and _reads_as_text(head, encoding):
                return encoding
    if b"\x00" in head or _control_share(head) > 0.05:
        raise _binary_error()
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    best = from_bytes(head, cp_isolation=["cp1251", "cp1252", "koi8_r", "cp866", "latin_1"]).best()
    if best is None:
        raise IngestError(
            t("The file's text encoding could not be recognised. Save it as UTF-8 CSV and "
              "upload it again, or choose the encoding under 'Reading options'.")
        )
    return {"koi8_r": "koi8-r", "latin_1": "latin-1"}.get(best.encoding, best.encoding)


def _reads_as_text(head: bytes, encoding: str) -> bool:
    """Whether ``head`` decodes as ``encoding`` into text with few control characters."""
    try:
        text = codecs.getincrementaldecoder(encoding)().decode(head[: len(head) // 2 * 2])
    except UnicodeDecodeError:
        return False
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\t\n\r")
    return controls <= 0.05 * max(len(text), 1)


def _control_share(head: bytes) -> float:
    if not head:
        return 0.0
    controls = sum(head.count(bytes([c])) for c in range(32) if c not in (9, 10, 13))
    return controls / len(head)


def decode_sample(head: bytes, encoding: str) -> str:
    """Decode a head sample, dropping a partial character or line at the cut."""
    text = codecs.getincrementaldecoder(encoding)(errors="replace").decode(head, final=False)
    return text.lstrip("\ufeff")


def sample_lines(text: str, complete: bool) -> list[str]:
    """The sample's lines; the last one is dropped unless the whole file is in the sample."""
    lines = text.splitlines()
    if not complete and lines:
        lines = lines[:-1]
    return lines


def split_rows(lines: list[str], delimiter: str, quote: str = '"') -> list[list[str]]:
    """Split sample lines into fields the way the reader will (empty lines are left out)."""
    lines = [line for line in lines if line.strip() != "" or delimiter != "whitespace"]
    if delimiter == "whitespace":
        return [line.split() for line in lines if line.strip()]
    reader = csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter, quotechar=quote)
    return [row for row in reader if row]


# Characters that are rare in any table's text but common in random or binary bytes read as text.
_GARBLED = frozenset("!<=>?[\\]^`{}~\ufffd") | frozenset(
    chr(c) for c in range(32) if c not in (9, 10, 13)
)


def not_a_table(lines: list[str], delimiter: str, complete: bool) -> str | None:
    """Why the sample is not a table (garbled or binary text; no delimiter splitting its lines
    into columns), or None. Only judged on detected settings: a user's choice is theirs."""
    rows = split_rows(lines, delimiter)
    rows = rows[detect_skip(rows):]
    text = "".join(lines)
    visible = [ch for ch in text if not ch.isspace()]
    garbled = sum(1 for ch in visible if ch in _GARBLED) > 0.1 * max(len(visible), 1)
    one_record = complete and len(rows) <= 1
    if garbled and (one_record or modal_width(rows) < 2):
        return t("This file is not a table: it holds binary or garbled content rather than rows "
                 "of text. Export the data as CSV or Excel from the program that holds it and "
                 "upload that.")
    if modal_width(rows) < 2:
        return t("This file is not a table: no delimiter (comma, semicolon, tab, pipe or columns "
                 "aligned with spaces) splits its lines into columns. Export the data as CSV or "
                 "Excel from the program that holds it and upload that.")
    return None


def detect_delimiter(lines: list[str]) -> str:
    """The field separator that splits the sample into the most consistent number of fields."""
    lines = [line for line in lines if line.strip()][:200]
    if not lines:
        raise IngestError(t("The file is empty: there is nothing to load."))
    best: tuple[float, int, int] | None = None
    choice = None
    for priority, delimiter in enumerate(("\t", ";", "|", ",")):
        counts = [len(r) for r in split_rows(lines, delimiter)]
        mode, share = _modal(counts)
        if mode < 2:
            continue
        score = (share, mode, -priority)
        if best is None or score > best:
            best, choice = score, delimiter
    if choice is not None and best is not None and best[0] >= 0.9:
        return choice
    counts = [len(line.split()) for line in lines]
    mode, share = _modal(counts)
    if mode >= 2 and share >= 0.9:
        return "whitespace"
    if choice is not None:
        return choice
    return ","


def _modal(counts: list[int]) -> tuple[int, float]:
    if not counts:
        return 0, 0.0
    mode, freq = Counter(counts).most_common(1)[0]
    return mode, freq / len(counts)


def modal_width(rows: list[list[str]]) -> int:
    """The most common number of fields per row."""
    return _modal([len(r) for r in rows])[0]


def is_number(value: str, decimal: str) -> bool:
    cleaned = clean_number_text(value)
    return bool(cleaned) and re.fullmatch(NUMBER_PATTERNS[decimal], cleaned) is not None


def clean_number_text(value: str) -> str:
    value = value.strip()
    if value.startswith("(") and value.endswith(")"):
        value = "-" + value[1:-1]
    if value.endswith("-") and len(value) > 1:
        value = "-" + value[:-1]
    return re.sub(NUMBER_NOISE, "", value, flags=re.IGNORECASE)


def looks_like_date(value: str) -> bool:
    value = value.strip()
    return any(
        re.fullmatch(f.pattern, value) for f in DATE_FORMATS.values()
        if f.key not in ("excel_serial", "ymd_compact")
    )


def detect_header(rows: list[list[str]]) -> bool:
    """Whether the first row names the columns: text where the rows below hold numbers or dates,
    and no value that reads as a number or a date itself."""
    if not rows:
        return False
    first = [v.strip() for v in rows[0]]
    if any(v and (is_number(v, ".") or is_number(v, ",") or looks_like_date(v)) for v in first):
        return False
    if len(rows) == 1:
        return all(first)
    body = rows[1:50]
    for i, name in enumerate(first):
        values = [r[i].strip() for r in body if i < len(r) and r[i].strip()]
        if name and values and sum(
            is_number(v, ".") or is_number(v, ",") or looks_like_date(v) for v in values
        ) >= 0.5 * len(values):
            return True
    non_empty = [v for v in first if v]
    return len(non_empty) == len(first) and len(set(non_empty)) == len(non_empty)


def detect_skip(rows: list[list[str]]) -> int:
    """Leading title lines (a report name, an export date) before the table starts."""
    widths = [sum(1 for v in r if v.strip()) for r in rows]
    mode, _ = _modal(widths)
    if mode < 3:
        return 0
    skip = 0
    for width in widths[:10]:
        if width > 1:
            break
        skip += 1
    return skip


def detect_decimal(rows: list[list[str]]) -> str:
    """',' when the sample's numbers are written with a decimal comma, else '.'."""
    comma_votes = point_votes = 0
    for row in rows[:200]:
        for value in row:
            v = clean_number_text(value)
            if re.fullmatch(r"[+-]?\d+,\d{1,2}|[+-]?\d{1,3}(\.\d{3})+(,\d+)?|[+-]?\d+,\d{4,}", v):
                comma_votes += 1
            elif re.fullmatch(r"[+-]?\d+\.\d{1,2}|[+-]?\d{1,3}(,\d{3})+\.\d+|[+-]?\d+\.\d{4,}", v):
                point_votes += 1
    return "," if comma_votes > point_votes else "."


def date_candidates(values: list[str]) -> list[str]:
    """Date format keys whose pattern fits at least half of the non-empty sample values, best
    first. d/m/y against m/d/y is settled by values above 12 when the sample has them."""
    values = [v.strip() for v in values if v and v.strip()]
    if not values:
        return []
    scored = []
    for f in DATE_FORMATS.values():
        share = sum(1 for v in values if re.fullmatch(f.pattern, v)) / len(values)
        if share >= 0.5:
            scored.append((share, f.key))
    keys = [k for _, k in sorted(scored, key=lambda s: -s[0])]
    if "dmy_slash" in keys:
        firsts, seconds = [], []
        for v in values:
            m = re.match(r"(\d{1,2})/(\d{1,2})/", v)
            if m:
                firsts.append(int(m.group(1)))
                seconds.append(int(m.group(2)))
        if firsts and max(seconds) > 12 >= max(firsts):
            keys.remove("dmy_slash")
        elif firsts and max(firsts) > 12:
            keys.remove("mdy_slash")
    return keys


def detect_currency(headers: list[str], values: list[str]) -> str | None:
    """The ISO code of the currency written next to the amount's values, else the one the
    amount's header names ("Amount, RUB", "Сумма (руб.)", "Sum $"); None when neither names one
    (the caller then asks). Only whole words, ISO codes and signs count, never part of a word.
    """
    for texts in (values[:200], headers):
        votes = Counter(
            code for text in texts for code in _currencies_in(str(text or ""))
        )
        if votes:
            return votes.most_common(1)[0][0]
    return None


def _currencies_in(text: str) -> list[str]:
    found = []
    for token in _CURRENCY_TOKEN.findall(text.lower()):
        code = CURRENCY_SIGNS.get(token) or CURRENCY_WORDS.get(token)
        if code:
            found.append(code)
    return found
