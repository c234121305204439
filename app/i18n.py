"""Language and time zone selection, and template helpers for both.

Finnish is the default; Swedish and English can be chosen on every page and
the choice is remembered in the session and, for a logged-in user, on the
account. Times are stored in UTC and shown in Europe/Helsinki.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel import dates as babel_dates
from flask import current_app, session
from flask_babel import get_locale, get_timezone
from flask_login import current_user

LANGUAGE_NAMES = {"fi": "Suomi", "sv": "Svenska", "en": "English"}
HELSINKI = ZoneInfo("Europe/Helsinki")


def today_local(now: datetime | None = None) -> date:
    """Today's date in Helsinki (or the date of ``now`` there): the one "today" of every page and rule."""
    return (now or datetime.now(UTC)).astimezone(HELSINKI).date()


def local_midnight(day: date) -> datetime:
    """The start of a Helsinki day, in UTC."""
    return datetime.combine(day, time(0), tzinfo=HELSINKI).astimezone(UTC)


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    chosen = session.get("lang")
    if chosen in languages:
        return chosen
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone() -> str:
    return current_app.config["DISPLAY_TIMEZONE"]


def current_language() -> str:
    return str(get_locale() or "fi")


def to_local(value: datetime) -> datetime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(HELSINKI)


@lru_cache(maxsize=8192)
def _formatted(kind: str, value: datetime | date, pattern: str, locale: str, zone: str) -> str:
    """Babel's formatting of one value, remembered: pages show the same days and
    times many times over (a board of errands, a week of them), and parsing the
    pattern and the locale data on every call is most of a long page's time.
    The same results as flask_babel's ``format_*`` (they call these functions)."""
    tz = ZoneInfo(zone)
    if isinstance(value, datetime) and value.tzinfo is None:
        value = value.replace(tzinfo=UTC)  # stored times are UTC
    if kind == "date":
        if isinstance(value, datetime):
            value = value.astimezone(tz)
        return babel_dates.format_date(value, pattern, locale=locale)
    if kind == "time":
        return babel_dates.format_time(value, pattern, tzinfo=tz, locale=locale)
    return babel_dates.format_datetime(value, pattern, tzinfo=tz, locale=locale)


def _filter(kind: str, default: str):
    def apply(value, pattern: str = default) -> str:
        if not value:
            return ""
        return _formatted(kind, value, pattern, str(get_locale() or "fi"), str(get_timezone()))

    return apply


def register_template_helpers(app) -> None:
    from flask_babel import format_date, format_datetime, format_time

    app.jinja_env.globals.update(
        LANGUAGE_NAMES=LANGUAGE_NAMES,
        current_language=current_language,
        format_datetime=format_datetime,
        format_date=format_date,
        format_time=format_time,
    )
    app.jinja_env.filters["local_dt"] = _filter("datetime", "short")
    app.jinja_env.filters["local_date"] = _filter("date", "medium")
    app.jinja_env.filters["local_time"] = _filter("time", "HH:mm")
