"""Language and time zone selection, and template helpers for both.

Finnish is the default; Swedish and English can be chosen on every page and
the choice is remembered in the session and, for a logged-in user, on the
account. Times are stored in UTC and shown in Europe/Helsinki.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask import current_app, session
from flask_babel import get_locale
from flask_login import current_user

LANGUAGE_NAMES = {"fi": "Suomi", "sv": "Svenska", "en": "English"}
HELSINKI = ZoneInfo("Europe/Helsinki")


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


def register_template_helpers(app) -> None:
    from flask_babel import format_date, format_datetime, format_time

    app.jinja_env.globals.update(
        LANGUAGE_NAMES=LANGUAGE_NAMES,
        current_language=current_language,
        format_datetime=format_datetime,
        format_date=format_date,
        format_time=format_time,
    )
    app.jinja_env.filters["local_dt"] = lambda v, f="short": format_datetime(v, f) if v else ""
    app.jinja_env.filters["local_date"] = lambda v, f="medium": format_date(v, f) if v else ""
    app.jinja_env.filters["local_time"] = lambda v: format_time(v, "HH:mm") if v else ""
