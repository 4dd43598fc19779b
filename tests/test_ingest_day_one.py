"""Issue 10's ingest defects, each on a small hand-made file: quoted line breaks, zip bombs,
mixed encodings, currency from values and whole words, sheets and the same-file check, stale
temporary folders, and files that are not tables."""

from __future__ import annotations

import io
import os
import struct
import subprocess
import sys
import tempfile
import time
import zipfile
from datetime import datetime
from pathlib import Path

import duckdb
import openpyxl
import pytest

from retention.cli import main as cli_main
from retention.ingest import (
    IngestError,
    ReadOptions,
    clean_stale_temp_dirs,
    inspect_file,
    load_file,
)
from retention.ingest import source as source_module
from retention.ingest.loader import prepare
from retention.ingest.reader import duckdb_reason
from retention.ingest.sniff import detect_currency
from retention.ingest.source import LoadFolder, _first_utf8_run
from tests.ingest_helpers import fresh_workspace, snapshot, transactions, write

ROOT = Path(__file__).resolve().parents[1]
GOOD = "customer,date,amount\nc1,2024-01-01,10\nc2,2024-01-02,20\n"


@pytest.fixture
def ws(tmp_path):
    ws = fresh_workspace(tmp_path)
    load_file(ws, write(tmp_path, "good.csv", GOOD), dataset="existing")
    return ws


@pytest.fixture
def temp_root(tmp_path, monkeypatch):
    """The system temp folder, pointed at a folder of this test's own."""
    root = tmp_path / "system-temp"
    root.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(root))
    return root


def refused(ws, path, **kwargs) -> str:
    """The message of the IngestError the load raises; the workspace is unchanged."""
    before = snapshot(ws)
    with pytest.raises(IngestError) as error:
        load_file(ws, path, **kwargs)
    assert snapshot(ws) == before
    return str(error.value)


# -- 2. quoted fields with line breaks ----------------------------------------------------------

# Lines: 1 header, 2-3 one record, 4 empty, 5-7 a record whose comment holds an empty line,
# 8 plain, 9 empty, 10-12 a record broken over three lines, 13 a doubled quote in a field.
QUOTED_BREAKS = (
    "customer,date,amount,comment\r\n"
    'c1,2024-01-01,10,"Main St 1\r\nFlat 2"\r\n'
    "\r\n"
    'c2,2024-01-02,x,"two\r\n\r\nblank inside"\r\n'
    "c3,2024-01-03,5,plain\r\n"
    "\r\n"
    'c4,2024-01-04,y,"a\nb\nc"\r\n'
    'c5,2024-01-05,7,"TV 55"" screen"\r\n'
)


def test_quoted_line_breaks_load_and_rows_keep_the_line_they_start_on(ws, tmp_path):
    report = load_file(ws, write(tmp_path, "crm.csv", QUOTED_BREAKS), dataset="crm")
    assert (report.rows_loaded, report.rows_rejected) == (3, 2)
    assert [(r[0], r[1]) for r in transactions(ws, report.dataset_id)] == [
        (2, "c1"), (8, "c3"), (13, "c5")]
    assert ws.rejects(report.dataset_id)[["line", "raw_value"]].values.tolist() == [
        [5, "x"], [10, "y"]]
    comments = ws.cursor().execute(
        "select customer_id, attributes from customers where dataset_id = ? order by 1",
        [report.dataset_id]).fetchall()
    assert comments == [("c1", "Main St 1\r\nFlat 2"), ("c3", "plain"),
                        ("c5", 'TV 55" screen')]


def test_the_preview_of_quoted_line_breaks_shows_true_lines(tmp_path):
    inspection = inspect_file(write(tmp_path, "crm.csv", QUOTED_BREAKS))
    assert inspection.preview["line"].tolist() == [2, 5, 8, 10, 13]
    assert inspection.preview["comment"].tolist()[3] == "a\nb\nc"


def test_only_files_that_may_hold_quoted_line_breaks_are_read_serially(tmp_path):
    with prepare(write(tmp_path, "crm.csv", QUOTED_BREAKS)) as src:
        assert src.quoted_newlines is True
    plain = GOOD + 'c3,2024-01-03,"1,234.50"\n'
    with prepare(write(tmp_path, "plain.csv", plain)) as src:
        assert src.quoted_newlines is False


def test_a_quoted_line_break_beyond_the_first_block_is_noticed(tmp_path):
    body = "".join(f"c{i},2024-01-01,{i}\n" for i in range(120_000))  # > 1 MiB
    text = "customer,date,amount,comment\n" + body + 'c9,2024-01-02,1,"a\nb"\n'
    with prepare(write(tmp_path, "late.csv", text)) as src:
        assert src.quoted_newlines is True


def test_a_read_failure_names_duckdbs_real_cause(ws, tmp_path):
    text = 'customer,date,amount\nc1,2024-01-01,"1' + "x" * 10_100_000 + "\nc2,2024-01-02,3\n"
    message = refused(ws, write(tmp_path, "open-quote.csv", text))
    assert message.startswith("The file could not be read as delimited text: near line 2 (“c1,")
    assert "the line is longer than 10 MB (a quote that opens a field and is never closed" in (
        message)
    assert "max_line_size" not in message and "delimiter = " not in message


def test_duckdb_reason_keeps_the_cause_and_drops_the_settings_dump(tmp_path):
    path = write(tmp_path, "q.csv", 'a,b\n1,"x\ny"\n')
    with pytest.raises(duckdb.Error) as error:
        duckdb.execute(
            "select * from read_csv(?, header = false, auto_detect = false, "
            "columns = {'a': 'varchar', 'b': 'varchar', 'overflow': 'varchar'}, "
            "null_padding = true, parallel = true)", [str(path)]).fetchall()
    reason = duckdb_reason(error.value)
    assert reason.startswith("near line 2: The parallel scanner does not support null_padding")
    assert "file = " not in reason and "\n" not in reason


# -- 3. zip bombs -------------------------------------------------------------------------------


def _bomb_zip(megabytes: int = 64) -> bytearray:
    """A zip of one CSV repeating one line: ~400x smaller packed than unpacked."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf, zf.open("sales.csv", "w") as fh:
        fh.write(b"customer,date,amount\n")
        chunk = b"c1,2024-01-01,10\n" * 65536
        for _ in range(megabytes * 1024 * 1024 // len(chunk)):
            fh.write(chunk)
    return bytearray(buffer.getvalue())


@pytest.fixture
def written(monkeypatch):
    """The most bytes any file opened for writing by source.py held."""
    sizes: list[int] = [0]
    real_open = open

    class Spy:
        def __init__(self, fh):
            self._fh, self._n = fh, 0

        def write(self, data):
            self._n += len(data)
            sizes[0] = max(sizes[0], self._n)
            return self._fh.write(data)

        def __getattr__(self, name):
            return getattr(self._fh, name)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self._fh.close()

    def spy_open(file, mode="r", *args, **kwargs):
        fh = real_open(file, mode, *args, **kwargs)
        return Spy(fh) if "w" in mode else fh

    monkeypatch.setattr(source_module, "open", spy_open, raising=False)
    return sizes


def test_a_zip_bomb_is_refused_from_its_header_before_anything_is_written(
        ws, tmp_path, temp_root, written):
    message = refused(ws, write(tmp_path, "bomb.zip", bytes(_bomb_zip())))
    assert message.startswith("sales.csv in bomb.zip is packed more than 200 times tighter than "
                              "any real table (63.8 MB from ")
    assert "MB): this is a zip bomb, or damaged. Unpacking stopped and nothing was loaded." in (
        message)
    assert written[0] < 100  # the owner lock's process id only
    assert list(temp_root.iterdir()) == []


def test_a_zip_whose_header_lies_is_stopped_while_it_unpacks(ws, tmp_path, temp_root, written):
    data = _bomb_zip()
    central = data.rfind(b"PK\x01\x02")
    declared = struct.unpack_from("<I", data, central + 24)[0]  # uncompressed size
    struct.pack_into("<I", data, central + 20, declared // 10)  # claims a modest 10x packing
    message = refused(ws, write(tmp_path, "liar.zip", bytes(data)))
    assert "sales.csv in liar.zip is packed more than 200 times tighter" in message
    assert "zip bomb" in message and "Unpacking stopped" in message
    assert 16 << 20 < written[0] <= 48 << 20  # stopped within a few MB of the check starting
    assert list(temp_root.iterdir()) == []  # and what it wrote is gone


def test_a_workbook_packed_like_a_bomb_is_refused_before_the_spreadsheet_reader_opens_it(
        ws, tmp_path):
    # an .xlsx is a zip the spreadsheet reader unpacks in memory: one sheet part of 32 MB of
    # zeros packs ~1000x, past the workbook limit (real sheets pack 5-30x)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf, zf.open(
            "xl/worksheets/sheet1.xml", "w") as fh:
        for _ in range(32):
            fh.write(bytes(1 << 20))
    message = refused(ws, write(tmp_path, "bomb.xlsx", buffer.getvalue()))  # nothing changed
    assert message.startswith("xl/worksheets/sheet1.xml in bomb.xlsx is packed more than 1000 "
                              "times tighter than any real table (32.0 MB from ")
    assert "this is a zip bomb, or damaged" in message


def test_a_zip_member_over_the_size_setting_is_refused(ws, tmp_path, temp_root, monkeypatch,
                                                       written):
    monkeypatch.setenv("RETENTION_MAX_UNZIPPED_MB", "1")
    body = "".join(f"c{i},2024-01-{i % 28 + 1:02d},{i * 7 % 1000}.{i % 100:02d}\n"
                   for i in range(60_000))  # ~1.6 MB of varied rows: packs ~5x
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("big.csv", "customer,date,amount\n" + body)
    message = refused(ws, write(tmp_path, "big.zip", buffer.getvalue()))
    assert message == (
        "big.csv in big.zip unpacks to more than 1 MB, the most this app unpacks from a zip; "
        "nothing was loaded. Upload the CSV itself, unpacked, or ask whoever runs the app to "
        "raise RETENTION_MAX_UNZIPPED_MB.")
    assert written[0] < 100
    monkeypatch.setenv("RETENTION_MAX_UNZIPPED_MB", "lots")
    assert "RETENTION_MAX_UNZIPPED_MB must be a number of megabytes" in refused(
        ws, tmp_path / "big.zip")


# -- 4. mixed encodings -------------------------------------------------------------------------

HEAD = "customer;date;amount;city\n"
MANY = "".join(f"c{i};2024-01-{i % 28 + 1:02d};{i};Москва\n" for i in range(20_000))  # > 256 KiB


def test_a_utf8_row_after_the_sample_of_a_windows_1251_file_is_refused_with_its_line(
        ws, tmp_path):
    data = ((HEAD + MANY).encode("cp1251") + "c9;2024-02-01;5;Москва\n".encode()
            + "c10;2024-02-02;6;Тверь\n".encode("cp1251"))
    path = write(tmp_path, "erp.csv", data)
    expected = (
        "Line 20,002 is written in UTF-8, but the lines before it are in Windows-1251 "
        "(Cyrillic): the file mixes encodings, and “Москва” would load as “РњРѕСЃРєРІР°”. "
        "Nothing was loaded. Save the file again as UTF-8 from the program that made it and "
        "upload it again.")
    assert refused(ws, path) == expected
    with pytest.raises(IngestError) as error:
        inspect_file(path)
    assert str(error.value) == expected


def test_a_windows_1251_tail_after_a_utf8_head_is_refused_at_the_preview(ws, tmp_path):
    data = (HEAD + MANY).encode("utf-8") + "c9;2024-02-01;5;Тверь\n".encode("cp1251")
    path = write(tmp_path, "erp.csv", data)
    with pytest.raises(IngestError) as error:
        inspect_file(path)
    message = str(error.value)
    assert message.startswith("Line 20,002 is not valid UTF-8, although the lines before it "
                              "are: the file mixes encodings")
    assert "choose “Windows-1251 (Cyrillic)” under Encoding" in message
    assert refused(ws, path, options=ReadOptions(encoding="utf-8", delimiter=";")) == message


def test_a_plain_ascii_head_does_not_decide_the_encoding_of_the_whole_file(ws, tmp_path):
    ascii_rows = "".join(f"c{i};2024-01-{i % 28 + 1:02d};{i};Moscow\n" for i in range(20_000))
    data = (HEAD + ascii_rows).encode("ascii") + "c9;2024-02-01;5;Тверь\n".encode("cp1251")
    path = write(tmp_path, "erp.csv", data)
    inspection = inspect_file(path)
    assert inspection.options.encoding == "cp1251"
    report = load_file(ws, path, options=inspection.options)
    assert report.rows_loaded == 20_001
    cities = ws.cursor().execute(
        "select distinct city from customers where dataset_id = ? order by 1",
        [report.dataset_id]).fetchall()
    assert cities == [("Moscow",), ("Тверь",)]


def test_a_utf8_file_read_as_windows_1251_says_to_choose_utf8(ws, tmp_path):
    path = write(tmp_path, "utf8.csv", "customer;date;amount;city\nc1;2024-01-01;1;Тверь\n")
    message = refused(ws, path, options=ReadOptions(encoding="cp1251", delimiter=";"))
    assert message == (
        "Line 2 is the first with letters beyond plain English, and they are written in UTF-8, "
        "not in Windows-1251 (Cyrillic) (“Тверь” would load as “РўРІРµСЂСЊ”). Choose “UTF-8” "
        "under Encoding in 'Reading options'.")


@pytest.mark.parametrize(
    "text",
    ["Пётр Сёмин, «ООО ТЕХНОСЕРВИС» № 5 — всё ещё", "ЖЁЛТЫЙ ЁЖ, ФЁДОР", "ТЦ «Ёлка»",
     "Р\u00a0С\u00a0Т", "Ресторан «Тёща»"],
)
def test_windows_1251_text_is_not_mistaken_for_utf8(text):
    assert _first_utf8_run(text.encode("cp1251")) is None


def test_utf8_letters_in_a_single_byte_file_are_found():
    data = "Город: ".encode("cp1251") + "Москва".encode()
    assert _first_utf8_run(data) == (7, 19)
    assert _first_utf8_run("Ελληνικά".encode()) == (0, 16)


def test_a_byte_without_meaning_in_the_chosen_encoding_names_its_line(ws, tmp_path):
    data = (HEAD + "c1;2024-01-01;1;Тверь\n").encode("cp1251") + b"c2;2024-01-02;2;\x98\n"
    message = refused(ws, write(tmp_path, "odd.csv", data),
                      options=ReadOptions(encoding="cp1251", delimiter=";"))
    assert message.startswith("Line 3 cannot be read as Windows-1251 (Cyrillic) (byte 0x98 "
                              "means nothing in it).")


# -- 5. currency --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "values", "expected"),
    [
        (["Сумма"], ["1 234,50", "99"], None),
        (["Сумма"], ["1 234,50 сум", "99 сум"], "UZS"),
        (["Сумма"], ["10 000 so'm"], "UZS"),
        (["Сумма, руб."], ["1 234,50"], "RUB"),
        (["Сумма (руб.)"], [], "RUB"),
        (["Amount, RUB"], ["12.50"], "RUB"),
        (["Sum $"], ["12.50"], "USD"),
        (["Summa"], ["12.50"], None),
        (["amount"], ["$1,234.50"], "USD"),
        (["Итого, сум"], ["100"], "UZS"),
        (["Сумма, руб."], ["€12"], "EUR"),  # what stands next to the values wins
    ],
)
def test_currency_comes_from_values_signs_and_whole_words_only(headers, values, expected):
    assert detect_currency(headers, values) == expected


def test_a_russian_sum_header_leaves_the_currency_to_the_user(tmp_path):
    text = "Клиент;Дата;Сумма\n001;05.03.2024;1 234,50\n002;06.03.2024;99,00\n"
    path = write(tmp_path, "erp.csv", text, encoding="cp1251")
    assert inspect_file(path).currency is None
    assert load_file(fresh_workspace(tmp_path, "a.duckdb"), path).currency is None
    chosen = load_file(fresh_workspace(tmp_path, "b.duckdb"), path, currency="RUB")
    assert chosen.currency == "RUB"


# -- 6. sheets and the same-file check ----------------------------------------------------------


def _two_month_book(tmp_path: Path) -> Path:
    wb = openpyxl.Workbook()
    january = wb.active
    january.title = "January"
    january.append(["Customer", "Date", "Total"])
    january.append(["a", datetime(2024, 1, 5), 10])
    january.append(["b", datetime(2024, 1, 6), 20])
    february = wb.create_sheet("February")
    february.append(["Customer", "Date", "Total"])
    february.append(["c", datetime(2024, 2, 5), 30])
    path = tmp_path / "book.xlsx"
    wb.save(path)
    return path


def test_another_sheet_of_the_same_workbook_is_another_load(ws, tmp_path):
    book = _two_month_book(tmp_path)
    january = load_file(ws, book, dataset="january", options=ReadOptions(sheet="January"))
    february = load_file(ws, book, dataset="february", options=ReadOptions(sheet="February"))
    assert (february.already_loaded, february.rows_loaded) == (False, 1)
    assert [r[1] for r in transactions(ws, february.dataset_id)] == ["c"]
    again = load_file(ws, book, dataset="january", options=ReadOptions(sheet="January"))
    assert (again.already_loaded, again.dataset_id) == (True, january.dataset_id)


def test_the_same_file_read_differently_is_another_load(ws, tmp_path):
    text = "customer;date;amount\nc1;2024-01-01;1,5\nc2;2024-01-02;2,25\n"
    path = write(tmp_path, "eu.csv", text)
    first = load_file(ws, path, dataset="eu")
    assert [r[3] for r in transactions(ws, first.dataset_id)] == [1.5, 2.25]
    iso = load_file(ws, path, dataset="eu", mode="replace",
                    options=ReadOptions(delimiter=";", decimal=",", date_format="iso"))
    assert not iso.already_loaded and iso.version == 2
    remapped = load_file(ws, path, dataset="eu2",
                         mapping={"customer_id": "customer", "date": "date", "amount": "amount",
                                  "order_id": "customer"})
    assert not remapped.already_loaded


def test_a_load_recorded_with_the_bare_file_hash_is_still_recognised(ws, tmp_path):
    # workspaces written before the hash held the reading options
    con = ws.cursor()
    dataset_id = ws.dataset("existing").dataset_id
    con.execute("update loads set file_hash = (select file_hash from datasets where"
                " dataset_id = ?) where dataset_id = ?", [dataset_id, dataset_id])
    again = load_file(ws, tmp_path / "good.csv")
    assert again.already_loaded and again.dataset == "existing"


def test_a_sheet_that_does_not_exist_is_an_error_listing_the_sheets(ws, tmp_path):
    book = _two_month_book(tmp_path)
    message = refused(ws, book, options=ReadOptions(sheet="March"))
    assert message == ("The workbook book.xlsx has no sheet 'March'. Its sheets are: "
                       "'January', 'February'. Choose one of them.")
    with pytest.raises(IngestError):
        inspect_file(book, options=ReadOptions(sheet="March"))
    assert "is not a workbook, so it has no sheet 'Sales'" in refused(
        ws, tmp_path / "good.csv", dataset="other", options=ReadOptions(sheet="Sales"))


def test_the_command_line_exits_1_with_a_sentence_for_an_unknown_sheet(tmp_path, capsys):
    book = _two_month_book(tmp_path)
    code = cli_main(["ingest", str(book), "--db", str(tmp_path / "cli.duckdb"),
                     "--sheet", "March"])
    assert code == 1
    assert capsys.readouterr().err.splitlines()[-1] == (
        "error: The workbook book.xlsx has no sheet 'March'. Its sheets are: 'January', "
        "'February'. Choose one of them.")


# -- 7. temporary folders of killed loads -------------------------------------------------------


def _paused_load(tmp_path: Path, temp_root: Path, tag: str) -> subprocess.Popen:
    """A CLI load held inside its transaction (its temp folder exists), in its own process."""
    rows = "".join(f"k{i},2024-01-{i % 28 + 1:02d},{i}\n" for i in range(2000))
    big = write(tmp_path, f"{tag}.csv", "customer,date,amount\n" + rows)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TMPDIR": str(temp_root),
           "RETENTION_FAULT_PAUSE_SECONDS": "60"}
    loader = subprocess.Popen(
        [sys.executable, "-m", "retention", "ingest", str(big), "--db",
         str(tmp_path / f"{tag}.duckdb")],
        stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, env=env, cwd=ROOT)
    assert loader.stderr is not None
    for line in loader.stderr:
        if "transaction open" in line:
            return loader
    raise AssertionError(f"the {tag} load never reached its transaction")


def test_a_new_load_removes_the_folder_a_killed_load_left_and_keeps_a_running_ones(
        tmp_path, temp_root):
    killed = _paused_load(tmp_path, temp_root, "killed")
    running = _paused_load(tmp_path, temp_root, "running")
    try:
        folders = {p.name.split("-")[2]: p for p in temp_root.iterdir()}
        assert set(folders) == {str(killed.pid), str(running.pid)}
        killed.kill()  # SIGKILL: no cleanup of its own
        assert killed.wait(timeout=30) == -9
        left_behind = folders[str(killed.pid)]
        assert left_behind.exists()
        ws = fresh_workspace(tmp_path, "new.duckdb")
        load_file(ws, write(tmp_path, "next.csv", GOOD))
        assert not left_behind.exists()
        assert folders[str(running.pid)].exists()
        assert list(temp_root.iterdir()) == [folders[str(running.pid)]]
    finally:
        running.kill()
        running.wait(timeout=30)


def test_stale_folder_rules(temp_root):
    live = LoadFolder()  # a load still running in this process
    dead = temp_root / "retention-load-999999-x"  # a process id no system hands out
    dead.mkdir()
    (dead / "owner.lock").write_bytes(b"999999")
    old_unlocked = temp_root / "retention-load-abc123"  # an older version's, two hours old
    old_unlocked.mkdir()
    two_hours_ago = time.time() - 7200
    os.utime(old_unlocked, (two_hours_ago, two_hours_ago))
    new_unlocked = temp_root / "retention-load-def456"  # maybe being made right now
    new_unlocked.mkdir()
    reused = temp_root / f"retention-load-{os.getpid()}-reused"  # lock free, id alive again
    reused.mkdir()
    (reused / "owner.lock").write_bytes(b"")
    assert sorted(clean_stale_temp_dirs()) == [dead, old_unlocked]
    assert sorted(p.name for p in temp_root.iterdir()) == sorted(
        [live.path.name, new_unlocked.name, reused.name])
    os.utime(reused, (two_hours_ago, two_hours_ago))
    assert clean_stale_temp_dirs() == [reused]
    live.cleanup()
    assert not live.path.exists()


# -- 8. files that are not tables ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("garbage.csv", bytes(range(33, 127)) * 60 + b"'\"", "binary or garbled content"),
        ("letter.csv", b"Dear customer\nthank you for your order\nRegards\n",
         "no delimiter (comma, semicolon, tab, pipe or columns aligned with spaces) splits its "
         "lines into columns"),
        ("report.csv", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\n",
         "not a table but a PDF document: it holds binary data, not text"),
        ("db.csv", b"SQLite format 3\x00" + b"\x00\x10\x02\x02" * 64,
         "not a table but an SQLite database: it holds binary data, not text"),
    ],
)
def test_a_file_that_is_not_a_table_is_called_so(ws, tmp_path, name, content, expected):
    message = refused(ws, write(tmp_path, name, content))
    assert message.startswith("This file is not a table")
    assert expected in message
    assert "Export the data as CSV or Excel" in message
    with pytest.raises(IngestError) as error:
        inspect_file(tmp_path / name)
    assert str(error.value) == message
