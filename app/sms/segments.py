"""How many SMS segments a text costs (GSM 03.38), pure.

A text in the GSM-7 alphabet fits 160 characters in one segment and 153 in
each part of a longer one; the extension characters (``€``, ``[``, ``~``...)
cost two. Anything else (a curly quote, an emoji) turns the whole text into
UCS-2: 70 characters, 67 per part. å, ä and ö are GSM-7.
"""

from __future__ import annotations

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = frozenset("^{}\\[~]|€\f")
ONE_SEGMENT = 160  # GSM-7 characters in a one-segment text


def is_gsm7(text: str) -> bool:
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENDED for ch in text)


def segment_count(text: str) -> int:
    """SMS segments for ``text``: GSM-7 160/153 per part, otherwise UCS-2 70/67."""
    if is_gsm7(text):
        units = sum(2 if ch in GSM7_EXTENDED else 1 for ch in text)
        single, multi = ONE_SEGMENT, 153
    else:
        units = sum(2 if ord(ch) > 0xFFFF else 1 for ch in text)
        single, multi = 70, 67
    if units <= single:
        return 1
    return -(-units // multi)
