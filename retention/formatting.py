"""Numbers, money and shares as people read them, in a given locale.

Babel (CLDR data) does the grouping, decimal marks and symbol placement: ``$1,234.50`` in
English, ``1 234,50 ₽`` in Russian (with no-break spaces). Two gaps in CLDR's English data are
filled here, because the users of these currencies read local signs on their price tags:

* English CLDR knows no sign for RUB, UZS, KZT, MNT, AMD, GEL, UAH, BYN, TRY and prints
  ``RUB1,234.50``. :data:`LOCAL_SYMBOLS` replaces the ISO code with ``₽``, ``so'm``, ``₸``, ``₮``,
  ``֏``, ``₾``, ``₴``, ``Br``, ``₺`` in every locale, so a dataset's money looks the same whatever
  the interface language.
* Babel does not apply CLDR's currency-spacing rule, so a symbol made of letters is glued to the
  digits. :func:`format_money` inserts a no-break space between a letter symbol and a digit
  (``so'm 1,234.50``), as CLDR specifies; sign-like symbols (``$``, ``₽``) stay attached.

Decimal places follow the currency's CLDR precision (two for most, none for JPY). Missing
values (None, NaN, pandas NA) show as an em dash, never as ``nan`` or ``0``.

Metric cards never wrap, they cut the text off, so :func:`format_money_compact` writes big
amounts in CLDR's short form (``so'm 43.4M``, ``43,4 млн ₽``) with the same signs.
"""

from __future__ import annotations

import unicodedata
from decimal import ROUND_HALF_EVEN, Decimal
from functools import lru_cache
from numbers import Real

from babel import Locale
from babel.numbers import (
    format_compact_currency,
    format_compact_decimal,
    format_currency,
    format_decimal,
    get_currency_name,
    get_currency_precision,
    get_currency_symbol,
    get_group_symbol,
)

MISSING = "—"
NO_BREAK_SPACE = "\xa0"
# Amounts from here on (in absolute value) are shortened by format_money_compact: below it the
# exact text fits a metric card ("$99,999.99"), above it "so'm 123,456,789.00" does not.
COMPACT_FROM = 100_000
# Significant digits a compact amount keeps ("43.4M", "123K", "1.08M" shown as "1.1M").
_COMPACT_DIGITS = 3

# Sign shown for a currency in every locale, where CLDR's English data has only the ISO code.
LOCAL_SYMBOLS: dict[str, str] = {
    "RUB": "₽",
    "UZS": "so'm",
    "KZT": "₸",
    "MNT": "₮",
    "AMD": "֏",
    "GEL": "₾",
    "UAH": "₴",
    "BYN": "Br",
    "TRY": "₺",
}

# Currencies offered by the dataset currency picker, most frequent markets first.
_PICKER_CODES = (
    "USD", "EUR", "GBP", "RUB", "UZS", "KZT", "MNT", "AMD", "GEL", "UAH", "BYN", "TRY",
    "CNY", "JPY", "INR",
)  # fmt: skip

# What the formatters compute with (an int passes as a float).
Number = float | Decimal


@lru_cache(maxsize=32)
def _parse_locale(locale: str) -> Locale:
    """``"en"``, ``"ru_RU"`` and ``"ru-RU"`` -> a babel Locale (UnknownLocaleError if unknown)."""
    return Locale.parse(locale.strip().replace("-", "_"))


def _is_missing(value: object) -> bool:
    """True for None, float/Decimal NaN, pandas NA and NaT."""
    if value is None:
        return True
    try:
        return bool(value != value)  # NaN is the only value unequal to itself
    except TypeError:  # pandas NA refuses to be a bool
        return True


def _number(value: object) -> Number | None:
    """``value`` as a number to compute with, None when it is missing.

    The formatters are handed Python, numpy and Decimal numbers and frame cells, which
    pandas-stubs types as any scalar pandas can hold (dates and strings too); so they take any
    value and narrow it here. Anything else than a number raises TypeError.
    """
    if _is_missing(value):
        return None
    if isinstance(value, int | float | Decimal):
        return value
    if isinstance(value, Real):  # numpy integers and floats register as numbers.Real
        return float(value)
    raise TypeError(f"Not a number to format: {value!r}.")


def _is_symbol_or_space(char: str) -> bool:
    return unicodedata.category(char)[0] in "SZ"


def _space_letter_symbol(text: str, symbol: str) -> str:
    """Put a no-break space between a letter symbol and an adjacent digit (CLDR spacing rule)."""
    start = text.find(symbol)
    if start < 0 or not symbol:
        return text
    end = start + len(symbol)
    if end < len(text) and text[end].isdigit() and not _is_symbol_or_space(symbol[-1]):
        text = text[:end] + NO_BREAK_SPACE + text[end:]
    if start > 0 and text[start - 1].isdigit() and not _is_symbol_or_space(symbol[0]):
        text = text[:start] + NO_BREAK_SPACE + text[start:]
    return text


def currency_symbol(code: str | None, locale: str = "en") -> str:
    """The sign shown for an ISO 4217 ``code``: ``"USD"`` -> ``"$"``, ``"RUB"`` -> ``"₽"``.

    Falls back to babel's symbol for ``locale`` (often the code itself); ``""`` for no code.
    """
    key = (code or "").strip().upper()
    if not key:
        return ""
    return LOCAL_SYMBOLS.get(key) or get_currency_symbol(key, locale=_parse_locale(locale))


def currency_label(code: str, locale: str = "en") -> str:
    """A picker label: the currency's name in ``locale`` and its sign, ``"Euro (€)"``."""
    key = code.strip().upper()
    name = get_currency_name(key, locale=_parse_locale(locale))
    symbol = currency_symbol(key, locale)
    return name if symbol == key else f"{name} ({symbol})"


CURRENCIES: list[tuple[str, str]] = [(code, currency_label(code)) for code in _PICKER_CODES]


def format_money(value: object, currency: str | None, locale: str = "en") -> str:
    """``value`` as an amount of ``currency`` (ISO code) written the ``locale`` way.

    ``format_money(1234.5, "USD")`` -> ``"$1,234.50"``; ``format_money(1234.5, "RUB", "ru")``
    -> ``"1 234,50 ₽"`` (no-break spaces). Without a currency the number alone, with two
    decimals. A missing value gives ``"—"``.
    """
    value = _number(value)
    if value is None:
        return MISSING
    babel_locale = _parse_locale(locale)
    code = (currency or "").strip().upper()
    if not code:
        return format_decimal(_drop_negative_zero(value, 2), format="#,##0.00", locale=babel_locale)
    amount = _drop_negative_zero(value, get_currency_precision(code))
    return _local_sign(format_currency(amount, code, locale=babel_locale), code, locale)


def _local_sign(text: str, code: str, locale: str) -> str:
    """Babel's text for an amount of ``code`` with the local sign and CLDR's spacing."""
    babel_symbol = get_currency_symbol(code, locale=_parse_locale(locale))
    symbol = currency_symbol(code, locale)
    if symbol != babel_symbol:
        text = text.replace(babel_symbol, symbol, 1)
    return _space_letter_symbol(text, symbol)


def format_money_compact(value: object, currency: str | None, locale: str = "en") -> str:
    """``value`` shortened for a metric card when it is big, else :func:`format_money`'s text.

    From :data:`COMPACT_FROM` (in absolute value) the amount keeps three significant digits in
    CLDR's short form for ``locale``: ``format_money_compact(43_424_672.5, "UZS")`` ->
    ``"so'm 43.4M"``; in ``"ru"`` -> ``"43,4 млн so'm"`` (no-break spaces); 999,950 -> ``"$1M"``,
    never ``"$1000K"``. Smaller amounts and missing values are exactly as
    :func:`format_money` writes them. Without a currency, the number alone (``"43.4M"``).
    """
    value = _number(value)
    if value is None:
        return MISSING
    if abs(float(value)) < COMPACT_FROM:
        return format_money(value, currency, locale)
    # Rounded to significant digits first: babel rounds after picking the unit, which turns
    # 999,950 into "1000K".
    exact = Decimal(str(value))
    step = Decimal(1).scaleb(exact.adjusted() - _COMPACT_DIGITS + 1)
    rounded = exact.quantize(step, rounding=ROUND_HALF_EVEN)
    babel_locale = _parse_locale(locale)
    code = (currency or "").strip().upper()
    if not code:
        return format_compact_decimal(rounded, locale=babel_locale, fraction_digits=1)
    text = format_compact_currency(rounded, code, locale=babel_locale, fraction_digits=1)
    return _local_sign(text, code, locale)


def money_decimals(currency: str | None) -> int:
    """Digits after the decimal point for amounts of ``currency``: its CLDR precision (2 for
    most, 0 for JPY), 2 without a currency."""
    code = (currency or "").strip().upper()
    return get_currency_precision(code) if code else 2


def grouping_symbol(locale: str = "en") -> str:
    """The character ``locale`` groups thousands with: ``","`` in English, a no-break space in
    Russian."""
    return str(get_group_symbol(_parse_locale(locale)))


def _drop_negative_zero(value: Number, digits: int) -> Number:
    """0 for amounts that round to zero, so -0.001 shows as "$0.00", not "-$0.00"."""
    return 0 if round(value, digits) == 0 else value


def format_count(n: object, locale: str = "en") -> str:
    """A whole number with the locale's grouping: ``12345`` -> ``"12,345"``; missing -> ``"—"``.

    Fractions are rounded to the nearest integer (half to even).
    """
    n = _number(n)
    if n is None:
        return MISSING
    return format_decimal(int(round(n)), locale=_parse_locale(locale))


def format_percent(share: object, digits: int = 1, locale: str = "en") -> str:
    """A share of one as a percentage with exactly ``digits`` decimals.

    ``0.1234`` -> ``"12.3%"``; in ``"ru"`` -> ``"12,3 %"`` (no-break space); missing -> ``"—"``.
    """
    if digits < 0:
        raise ValueError(f"digits must be 0 or more, got {digits}.")
    share = _number(share)
    if share is None:
        return MISSING
    babel_locale = _parse_locale(locale)
    pattern = babel_locale.percent_formats[None].pattern
    fraction = "." + "0" * digits if digits else ""
    # CLDR percent patterns look like "#,##0%" or "#,##0 %"; add the wanted decimals after "0".
    head, _, tail = pattern.partition(";")[0].rpartition("0")
    value = _drop_negative_zero(share, digits + 2)
    return format_decimal(value, format=f"{head}0{fraction}{tail}", locale=babel_locale)
