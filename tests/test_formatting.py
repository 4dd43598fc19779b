"""Money, counts and shares as babel renders them, with the local currency signs filled in.

Russian output uses no-break spaces (U+00A0) for grouping and before the sign; NBSP below.
"""

import datetime as dt
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from retention.formatting import (
    CURRENCIES,
    currency_label,
    currency_symbol,
    format_count,
    format_money,
    format_money_compact,
    format_percent,
    grouping_symbol,
    money_decimals,
)

NBSP = "\xa0"


@pytest.mark.parametrize(
    ("currency", "expected"),
    [
        ("USD", "$1,234.50"),
        ("EUR", "€1,234.50"),
        ("GBP", "£1,234.50"),
        ("RUB", "₽1,234.50"),  # babel alone gives "RUB1,234.50"
        ("UZS", f"so'm{NBSP}1,234.50"),  # a letter sign is spaced from the digits
        ("KZT", "₸1,234.50"),
        ("MNT", "₮1,234.50"),
        ("AMD", "֏1,234.50"),
        ("GEL", "₾1,234.50"),
        ("UAH", "₴1,234.50"),
        ("BYN", f"Br{NBSP}1,234.50"),
        ("TRY", "₺1,234.50"),
        ("CNY", "CN¥1,234.50"),
        ("JPY", "¥1,234"),  # the yen has no minor unit; .5 rounds half to even
        ("INR", "₹1,234.50"),
        ("XYZ", f"XYZ{NBSP}1,234.50"),  # an unknown code is shown as itself
    ],
)
def test_money_in_english(currency, expected):
    assert format_money(1234.5, currency) == expected


@pytest.mark.parametrize(
    ("currency", "expected"),
    [
        ("USD", f"1{NBSP}234,50{NBSP}$"),
        ("RUB", f"1{NBSP}234,50{NBSP}₽"),
        ("UZS", f"1{NBSP}234,50{NBSP}so'm"),  # babel alone gives "UZS"
        ("MNT", f"1{NBSP}234,50{NBSP}₮"),
        ("AMD", f"1{NBSP}234,50{NBSP}֏"),
        ("GEL", f"1{NBSP}234,50{NBSP}₾"),
        ("JPY", f"1{NBSP}234{NBSP}¥"),
    ],
)
def test_money_in_russian(currency, expected):
    assert format_money(1234.5, currency, locale="ru") == expected


def test_negative_money_puts_the_minus_before_the_sign():
    assert format_money(-1234.5, "USD") == "-$1,234.50"
    assert format_money(-1234.5, "RUB", locale="ru") == f"-1{NBSP}234,50{NBSP}₽"


def test_amount_that_rounds_to_zero_has_no_minus():
    assert format_money(-0.001, "USD") == "$0.00"


def test_currency_code_is_case_and_space_insensitive():
    assert format_money(1234.5, " rub ") == "₽1,234.50"


def test_region_locale_with_a_hyphen_is_accepted():
    assert format_money(1234.5, "EUR", locale="ru-RU") == f"1{NBSP}234,50{NBSP}€"


@pytest.mark.parametrize("currency", [None, ""])
def test_money_without_currency_is_a_plain_two_decimal_number(currency):
    assert format_money(1234.5, currency) == "1,234.50"
    assert format_money(1234.5, currency, locale="ru") == f"1{NBSP}234,50"


@pytest.mark.parametrize("missing", [None, float("nan"), np.nan, pd.NA, Decimal("NaN")])
def test_missing_money_is_a_dash(missing):
    assert format_money(missing, "USD") == "—"


def test_money_accepts_decimal_and_numpy_values():
    assert format_money(Decimal("1234.5"), "USD") == "$1,234.50"
    assert format_money(np.float64(1234.5), "USD") == "$1,234.50"
    assert format_money(np.int64(1234), "USD") == "$1,234.00"


def test_counts_are_grouped_integers():
    assert format_count(1234567) == "1,234,567"
    assert format_count(1234567, locale="ru") == f"1{NBSP}234{NBSP}567"
    assert format_count(np.int64(42)) == "42"
    assert format_count(0) == "0"


def test_fractional_counts_round_half_to_even():
    assert format_count(12.5) == "12"
    assert format_count(13.5) == "14"


@pytest.mark.parametrize("missing", [None, float("nan"), pd.NA])
def test_missing_count_is_a_dash(missing):
    assert format_count(missing) == "—"


@pytest.mark.parametrize(
    ("share", "digits", "expected"),
    [
        (0.1234, 1, "12.3%"),
        (0.1234, 0, "12%"),
        (0.5, 2, "50.00%"),
        (1.0, 1, "100.0%"),
        (0.0, 1, "0.0%"),
        (-0.00001, 1, "0.0%"),  # no "-0.0%"
        (12.345, 1, "1,234.5%"),
    ],
)
def test_percent_has_exactly_the_requested_decimals(share, digits, expected):
    assert format_percent(share, digits) == expected


def test_percent_in_russian_uses_a_comma_and_a_space():
    assert format_percent(0.1234, locale="ru") == f"12,3{NBSP}%"


@pytest.mark.parametrize("missing", [None, float("nan"), pd.NA])
def test_missing_percent_is_a_dash(missing):
    assert format_percent(missing) == "—"


def test_negative_percent_digits_are_refused():
    with pytest.raises(ValueError, match="digits must be 0 or more, got -1."):
        format_percent(0.5, -1)


@pytest.mark.parametrize(
    ("code", "symbol"),
    [
        ("USD", "$"),
        ("EUR", "€"),
        ("RUB", "₽"),
        ("rub", "₽"),
        ("UZS", "so'm"),
        ("MNT", "₮"),
        ("AMD", "֏"),
        ("GEL", "₾"),
        ("CNY", "CN¥"),
        ("JPY", "¥"),
        (None, ""),
        ("", ""),
    ],
)
def test_currency_symbol(code, symbol):
    assert currency_symbol(code) == symbol


def test_currency_label_names_the_currency_and_its_sign():
    assert currency_label("EUR") == "Euro (€)"
    assert currency_label("RUB", locale="ru") == "российский рубль (₽)"
    assert currency_label("XYZ") == "XYZ"


def test_currency_picker_covers_the_target_markets_in_order():
    assert [code for code, _ in CURRENCIES] == [
        "USD", "EUR", "GBP", "RUB", "UZS", "KZT", "MNT", "AMD", "GEL", "UAH", "BYN", "TRY",
        "CNY", "JPY", "INR",
    ]  # fmt: skip
    assert dict(CURRENCIES)["USD"] == "US Dollar ($)"
    assert dict(CURRENCIES)["UZS"] == "Uzbekistani Som (so'm)"
    assert dict(CURRENCIES)["MNT"] == "Mongolian Tugrik (₮)"


# -- compact money for metric cards ----------------------------------------------------------


def test_big_money_is_compact_with_the_local_sign():
    assert format_money_compact(43_424_672.5, "UZS") == f"so'm{NBSP}43.4M"
    assert format_money_compact(43_424_672.5, "UZS", locale="ru") == f"43,4{NBSP}млн{NBSP}so'm"
    assert format_money_compact(1_075_123.4, "RUB") == "₽1.1M"
    assert format_money_compact(-43_424_672.5, "USD") == "-$43.4M"
    assert format_money_compact(123_456, "EUR") == "€123K"
    assert format_money_compact(43_424_672.5, None) == "43.4M"


def test_compact_money_rounds_into_the_next_unit():
    # babel alone writes 999,950 as "$1000K"
    assert format_money_compact(999_950, "USD") == "$1M"
    assert format_money_compact(999_950, "RUB", locale="ru") == f"1{NBSP}млн{NBSP}₽"


@pytest.mark.parametrize("value", [99_999.99, 1234.5, 0, -99_999.99])
def test_small_money_stays_exact(value):
    assert format_money_compact(value, "UZS") == format_money(value, "UZS")


@pytest.mark.parametrize("missing", [None, float("nan"), pd.NA])
def test_missing_compact_money_is_a_dash(missing):
    assert format_money_compact(missing, "USD") == "—"


def test_money_decimals_and_grouping_follow_cldr():
    assert (money_decimals("USD"), money_decimals("JPY"), money_decimals(None)) == (2, 0, 2)
    assert (grouping_symbol("en"), grouping_symbol("ru")) == (",", NBSP)


# -- the languages of the markets (issue 15): CLDR's conventions, written out by hand ----------
# Mongolian groups with commas and writes a decimal point, the sign before the amount; Uzbek,
# Armenian and Georgian group with no-break spaces and write a decimal comma, the sign after.
NB = "\xa0"


@pytest.mark.parametrize(("locale", "money", "negative", "share", "count", "compact"), [
    ("mn", f"₮{NB}1,234,567.50", f"-₾{NB}1,234.50", "12.3%", "1,234,567", f"so'm{NB}43.4{NB}сая"),
    ("uz", f"1{NB}234{NB}567,50{NB}₮", f"-1{NB}234,50{NB}₾", "12,3%", f"1{NB}234{NB}567",
     f"43,4{NB}mln{NB}so'm"),
    ("hy", f"1{NB}234{NB}567,50{NB}₮", f"-1{NB}234,50{NB}₾", "12,3%", f"1{NB}234{NB}567",
     f"43,4{NB}մլն{NB}so'm"),
    ("ka", f"1{NB}234{NB}567,50{NB}₮", f"-1{NB}234,50{NB}₾", "12,3%", f"1{NB}234{NB}567",
     f"43,4{NB}მლნ.{NB}so'm"),
])
def test_money_shares_and_counts_in_the_markets_languages(locale, money, negative, share, count,
                                                        compact):
    assert format_money(1234567.5, "MNT", locale) == money
    assert format_money(-1234.5, "GEL", locale) == negative
    assert format_percent(0.1234, 1, locale) == share
    assert format_count(1234567, locale) == count
    assert format_money_compact(43_400_000, "UZS", locale) == compact


@pytest.mark.parametrize("locale", ["en", "ru", "mn", "uz", "hy", "ka"])
def test_the_local_signs_show_in_every_language(locale):
    for code, sign in [("MNT", "₮"), ("AMD", "֏"), ("GEL", "₾"), ("UZS", "so'm"), ("RUB", "₽"),
                       ("KZT", "₸")]:
        assert sign in format_money(10, code, locale) and code not in format_money(10, code,
                                                                                    locale)


@pytest.mark.parametrize(("locale", "day"), [
    ("en", "Mar 1, 2025"), ("ru", "1 мар. 2025\u202fг."), ("mn", "2025\u202fоны 3-р сарын 1"),
    ("uz", "1-mar, 2025"), ("hy", "01 մրտ, 2025 թ."), ("ka", "1 მარ. 2025")])
def test_dates_in_every_language(locale, day):
    from retention.i18n import _language
    from retention.ui.text import format_day

    token = _language.set(locale)
    try:
        assert format_day(dt.date(2025, 3, 1)) == day
    finally:
        _language.reset(token)
