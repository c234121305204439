"""Bad input never crashes: the one place that cleans what a request brings.

- Every submitted text (query string and form fields, names and values) loses
  its NUL bytes and other control characters (C0 except tab, line feed and
  carriage return; DEL; C1) before any view or form sees it: PostgreSQL refuses
  NUL in text, and none of them is anything a person typed. A value of only
  spaces is empty (so ``InputRequired`` refuses it as it refuses ""). The values
  as they came stay readable as ``request.form.raw`` / ``request.args.raw``
  (Twilio signs those; the webhooks read them through their own normaliser).
- Integers stay in the range of the database's ``INTEGER``: the app's ``int``
  URL converter answers 404 for an id above 2**31-1, ``request.args.get(name,
  type=int)`` gives the default for one, and :func:`to_int` reads a filter or a
  choice (blank, garbage, negative or out of range -> None).
"""

from __future__ import annotations

import re
from typing import Any

from flask import Flask, Request
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.routing import IntegerConverter
from wtforms.validators import ValidationError

#: The largest value of an SQL ``INTEGER`` (every id and count column).
MAX_INT = 2**31 - 1
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_INTEGER = re.compile(r"[+-]?\d{1,12}")


def clean_text(value: str) -> str:
    """``value`` without NUL bytes and other control characters (tab and line breaks stay)."""
    return CONTROL_CHARACTERS.sub("", value)


def to_int(value: Any, *, minimum: int = 0, maximum: int = MAX_INT) -> int | None:
    """An integer in ``minimum..maximum`` read from ``value``, or None for anything else
    (None, blank, garbage, a float, a number out of range). Ids, indexes, counts and
    pages are never negative, hence the default ``minimum``."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and _INTEGER.fullmatch(value.strip()):
        number = int(value.strip())
    else:
        return None
    return number if minimum <= number <= maximum else None


class WithinCalendar:
    """A WTForms validator: a date from 1900 to 2999, so that adding a day or moving it
    between time zones stays inside Python's calendar (9999-12-31 + 1 day overflows)."""

    def __init__(self, first: int = 1900, last: int = 2999) -> None:
        self.first, self.last = first, last

    def __call__(self, form, field) -> None:
        if field.data is not None and not self.first <= field.data.year <= self.last:
            raise ValidationError(
                _l("Give a date between the years %(first)s and %(last)s.", first=self.first, last=self.last)
            )


def bounded_int(value: Any) -> int:
    """``int`` for ``MultiDict.get(..., type=...)``: raises ValueError out of range."""
    number = to_int(value)
    if number is None:
        raise ValueError(f"not an integer in the database's range: {value!r}")
    return number


def _clean(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    value = clean_text(value)
    return value if value.strip() else ""


class CleanMultiDict(ImmutableMultiDict):
    """The request's query string and form fields, cleaned (see the module's docstring)."""

    def __init__(self, mapping: Any = None) -> None:
        raw: ImmutableMultiDict = ImmutableMultiDict(mapping)
        super().__init__([(_clean(k), _clean(v)) for k, v in raw.items(multi=True)])
        self.raw = raw

    def get(self, key, default=None, type=None):  # noqa: A002 - werkzeug's signature
        return super().get(key, default, bounded_int if type is int else type)

    def getlist(self, key, type=None):  # noqa: A002
        return super().getlist(key, bounded_int if type is int else type)


class CleanRequest(Request):
    parameter_storage_class = CleanMultiDict


class BoundedIntegerConverter(IntegerConverter):
    """``<int:...>`` in every route: a number above the database's INTEGER is a 404."""

    def __init__(self, map, fixed_digits: int = 0, min: int | None = None, max: int | None = MAX_INT, signed=False):  # noqa: A002
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def register(app: Flask) -> None:
    """Before the blueprints: their rules take the ``int`` converter when they are added."""
    app.request_class = CleanRequest
    app.url_map.converters["int"] = BoundedIntegerConverter
