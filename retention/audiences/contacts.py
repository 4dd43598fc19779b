"""Consent and usable contacts (DESIGN §8): who on a list may be written to, and where.

An audience for a channel keeps only the customers with the opt-in for that channel (a missing
opt-in is no consent), then only those with a usable contact: a valid email address for
``email``, a phone number valid for its country for ``sms``. Both exclusions are counted, so the
marketer sees how many were left out and why.

Phones are parsed with ``phonenumbers`` (Google's libphonenumber metadata), which knows each
country's number plans: +976 Mongolia, +374 Armenia, +995 Georgia, +998 Uzbekistan, +7 Russia
and Kazakhstan, and the rest. A number written with its country code (``+976 8812 3456``,
``00976…``) needs nothing else; a local one (``8 (912) 345-67-89``) needs the default region
setting (``RU``). Spreadsheets often drop the ``+`` of a stored number (``97688123456``): when the
number is not valid in the default region, it is tried once more as an international number,
and kept only if that is valid. A number is written out in E.164 (``+97688123456``), the form
Mailchimp, Klaviyo and SendGrid import; SMS gateways that want digits only get them with the
``digits`` phone format.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal, get_args

import phonenumbers
import phonenumbers.phonenumberutil as phone_util

from retention.i18n import t
from retention.registry import InvalidValue, normalise_email

Channel = Literal["email", "sms"]
CHANNELS: tuple[str, ...] = get_args(Channel)
# Which opt-in column gives consent for which channel, and which column holds its contact.
CONSENT_COLUMN = {"email": "email_opt_in", "sms": "sms_opt_in"}
CONTACT_COLUMN = {"email": "email", "sms": "phone"}
PhoneFormat = Literal["e164", "digits"]
PHONE_FORMATS: tuple[str, ...] = get_args(PhoneFormat)


def check_channel(channel: str) -> Channel:
    """``channel`` when it is one of :data:`CHANNELS`; ValueError with a sentence otherwise."""
    if channel not in CHANNELS:
        raise ValueError(t("The channel must be one of {channels}, not {channel!r}.",
                           channels=", ".join(CHANNELS), channel=channel))
    return channel  # type: ignore[return-value]  # checked against the Literal's values above


def check_region(region: str | None) -> str | None:
    """The default region as an upper-case ISO 3166 code libphonenumber knows (``"RU"``), None
    for none; ValueError with a sentence for a code it does not know."""
    if region is None or not region.strip():
        return None
    code = region.strip().upper()
    if code not in phonenumbers.SUPPORTED_REGIONS:
        raise ValueError(t("{region!r} is not a country code the phone check knows; use a "
                           "two-letter code such as RU, KZ, MN, AM, GE or UZ.", region=region))
    return code


def valid_email(text: object) -> str | None:
    """The address stripped and case-folded when it is valid (one ``@``, no spaces, a dotted
    domain: the registry's rule, so sign-in and campaigns agree), else None."""
    if not isinstance(text, str) or not text.strip():
        return None
    try:
        return normalise_email(text)
    except InvalidValue:
        return None


def e164(text: object, default_region: str | None = None) -> str | None:
    """The phone number in E.164 (``+`` and digits) when it is valid for its country, else None.

    ``default_region`` reads numbers written without a country code; without it only numbers
    with one (``+…``, ``00…``, or the digits of an international number) are understood.
    """
    if isinstance(text, int | float) and not isinstance(text, bool):
        # a phone column read as numbers: 97688123456.0 is the digits 97688123456
        text = str(int(text)) if text == text else None
    if not isinstance(text, str) or not text.strip():
        return None
    candidates = [(text, default_region)]
    if not text.strip().startswith("+"):
        digits = "".join(ch for ch in text if ch.isdigit())
        if digits:
            candidates.append(("+" + digits, None))
    for candidate, region in candidates:
        try:
            number = phonenumbers.parse(candidate, region)
        except phone_util.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return None


def formatted_phone(number: str, phone_format: PhoneFormat) -> str:
    """An E.164 number as the export writes it: as it is, or its digits without the ``+``."""
    return number[1:] if phone_format == "digits" else number


def check_phone_format(phone_format: str) -> PhoneFormat:
    """``phone_format`` when it is one of :data:`PHONE_FORMATS`; ValueError otherwise."""
    if phone_format not in PHONE_FORMATS:
        raise ValueError(t("The phone format must be one of {formats}, not {value!r}.",
                           formats=", ".join(PHONE_FORMATS), value=phone_format))
    return phone_format  # type: ignore[return-value]  # checked against the Literal above


def contacts(values: Iterable[object], channel: Channel,
             default_region: str | None = None) -> list[str | None]:
    """Each value's usable contact for ``channel`` (an email, or an E.164 phone), None for an
    unusable one, in order."""
    if channel == "email":
        return [valid_email(value) for value in values]
    return [e164(value, default_region) for value in values]
