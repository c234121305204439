"""The report's figures as a CSV file for spreadsheets.

Decisions (also in the README of the reports area):

- **Separator ";"** and **decimal comma** for Finnish and Swedish: that is
  what Excel expects with Finnish or Swedish regional settings (where ","
  is the decimal separator). English exports use the same ";" separator
  and a decimal point, so every export has the same shape.
- **UTF-8 with a BOM**, so Excel shows ä, ö and å correctly; lines end in CRLF
  (RFC 4180).
- **Formula injection**: a text cell starting with ``=``, ``+``, ``-``, ``@``,
  a tab or a carriage return gets a leading apostrophe, so a spreadsheet
  shows it as text instead of running it. Numbers the report computes are
  written as numbers.
- **Small counts**: counts of 1-4 are written as ``<5`` (0 stays 0), and
  shares, hours and means with fewer than 5 people or things behind them as
  ``<5`` too, so that no one can be recognised from a small village's figures.
- The file is a sequence of blocks: the filters first, then one block per
  table of the report page (title row, header row, data rows, empty row).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from babel.numbers import format_decimal

from app.reports.figures import Amount, Figure, Share, is_hidden

DANGEROUS_FIRST = ("=", "+", "-", "@", "\t", "\r")
SUPPRESSED = "<5"
BOM = "\ufeff"


def safe_text(text: str) -> str:
    """A text cell that a spreadsheet will not evaluate as a formula."""
    return "'" + text if text.startswith(DANGEROUS_FIRST) else text


def _number(value: float, locale: str, pattern: str = "0.#") -> str:
    # No grouping separators: Excel would read "1 234" as text.
    return format_decimal(value, format=pattern, locale=locale)


def export_cell(value: Any, locale: str) -> str:
    """One cell as text: suppressed, formatted or made formula-safe."""
    if value is None:
        return ""
    if is_hidden(value, export=True):
        return SUPPRESSED
    if isinstance(value, bool):
        return safe_text(str(value))
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _number(value, locale)
    if isinstance(value, Share):
        return "" if value.value is None else _number(value.value * 100, locale) + "%"
    if isinstance(value, Amount):
        return "" if value.value is None else _number(value.value, locale)
    return safe_text(str(value))


def write_csv(meta: Iterable[Sequence[Any]], figures: Iterable[Figure], locale: str) -> str:
    """The whole export as one string (BOM included)."""
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out, delimiter=";", quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    for row in meta:
        writer.writerow([export_cell(v, locale) for v in row])
    for figure in figures:
        writer.writerow([])
        writer.writerow([safe_text(figure.title)])
        writer.writerow([safe_text(c) for c in figure.columns])
        for row in figure.rows:
            writer.writerow([export_cell(v, locale) for v in row])
        if not figure.rows and figure.empty:
            writer.writerow([safe_text(figure.empty)])
    return out.getvalue()
