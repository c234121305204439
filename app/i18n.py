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


def local_to_utc(day: date, at: time) -> datetime:
    """The UTC instant of a Helsinki wall-clock time (a time in the spring gap moves forward)."""
    local = datetime.combine(day, at, tzinfo=HELSINKI)
    return local.astimezone(UTC)


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


#: The pattern of each kind of value when a page names none (the local_dt, local_date, local_time filters).
DEFAULT_PATTERNS = {"datetime": "short", "date": "medium", "time": "HH:mm"}


def _filter(kind: str):
    def apply(value, pattern: str = DEFAULT_PATTERNS[kind]) -> str:
        if not value:
            return ""
        return _formatted(kind, value, pattern, str(get_locale() or "fi"), str(get_timezone()))

    return apply


def local_formatter(kind: str, pattern: str | None = None):
    """The filter of ``kind`` ("datetime", "date", "time") with the reader's language
    and time zone looked up once: a long list formats hundreds of values (the same
    results as the ``local_*`` filters)."""
    locale, zone, pattern = str(get_locale() or "fi"), str(get_timezone()), pattern or DEFAULT_PATTERNS[kind]

    def apply(value) -> str:
        return _formatted(kind, value, pattern, locale, zone) if value else ""

    return apply


def register_template_helpers(app) -> None:
    from flask_babel import format_date, format_datetime, format_time

    app.jinja_env.globals.update(
        LANGUAGE_NAMES=LANGUAGE_NAMES,
        current_language=current_language,
        format_datetime=format_datetime,
        format_date=format_date,
        format_time=format_time,
        local_formatter=local_formatter,
    )
    app.jinja_env.filters["local_dt"] = _filter("datetime")
    app.jinja_env.filters["local_date"] = _filter("date")
    app.jinja_env.filters["local_time"] = _filter("time")
