"""Phone numbers: parse what people type, store E.164, show it the Finnish way."""

from __future__ import annotations

from dataclasses import dataclass

import phonenumbers
from flask_babel import lazy_gettext as _l
from phonenumbers import NumberParseException, PhoneNumberFormat, PhoneNumberType

#: What a form says of a number it cannot use (by PhoneError code).
PHONE_MESSAGES = {
    "invalid": _l("Check the number: write it like 040 123 4567 or 08 123 4567."),
    "foreign": _l("Only Finnish phone numbers can be used."),
}


class PhoneError(ValueError):
    """The number could not be used. ``code`` is one of: invalid, foreign, not_mobile."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Phone:
    e164: str
    is_mobile: bool


def parse_phone(raw: str, *, allow_foreign: bool = False, require_mobile: bool = False) -> Phone:
    """Parse a number written the Finnish way (``040 123 4567``) or in
    international form (``+358 40 123 4567``).

    Raises PhoneError with a code the form turns into a message.
    """
    text = (raw or "").strip()
    try:
        number = phonenumbers.parse(text, "FI")
    except NumberParseException as exc:
        raise PhoneError("invalid") from exc
    if not phonenumbers.is_valid_number(number):
        raise PhoneError("invalid")
    if not allow_foreign and phonenumbers.region_code_for_number(number) not in ("FI", "AX"):
        raise PhoneError("foreign")
    kind = phonenumbers.number_type(number)
    is_mobile = kind in (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE)
    if require_mobile and not is_mobile:
        raise PhoneError("not_mobile")
    return Phone(phonenumbers.format_number(number, PhoneNumberFormat.E164), is_mobile)


def display_phone(e164: str | None) -> str:
    """``+358401234567`` → ``040 123 4567`` (``+35886123456`` → ``08 612 3456``) for Finnish
    numbers, the international form otherwise: the one way a number is shown."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, None)
    except NumberParseException:
        return e164
    if phonenumbers.region_code_for_number(number) == "FI":
        return _grouped(phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL))
    return phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)


def _grouped(national: str) -> str:
    """The subscriber part of a national number in groups the way Finns write them:
    ``040 1234567`` → ``040 123 4567``, ``08 123456`` → ``08 123 456``."""
    prefix, _, rest = national.partition(" ")
    if not rest.isdigit() or len(rest) < 6:
        return national
    split = 4 if len(rest) == 8 else 3
    return f"{prefix} {rest[:split]} {rest[split:]}"
