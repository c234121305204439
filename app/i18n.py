"""Language and time zone selection, and template helpers for both.

Finnish is the default; Swedish and English can be chosen on every page and
the choice is remembered in the session and, for a logged-in user, on the
account. Times are stored in UTC and shown in Europe/Helsinki.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo

import pytz
from babel import Locale
from babel import dates as babel_dates
from flask import current_app, g, session
from flask_babel import get_locale, get_timezone, get_translations
from flask_login import current_user
from jinja2 import pass_eval_context
from markupsafe import Markup
from num2words import num2words

from app.memo import keep

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


def select_locale() -> Locale:
    """Flask-Babel's locale selector: :func:`language_of` the reader (the session's choice
    is looked at first, so the user is loaded only when it is not there), as a Babel
    locale made once per worker: Flask-Babel parses a language code anew on every
    request, a locale object it takes as it is."""
    chosen = session.get("lang")
    if chosen not in current_app.config["LANGUAGES"]:
        user = current_user._get_current_object()
        chosen = language_of(user.locale if user is not None and user.is_authenticated else None)
    return _locale(chosen)


class _KeptLocale(Locale):
    """A Babel locale whose text (``str()``: "fi", "sv") is made once: Flask-Babel and the
    layout turn the reader's locale into text a dozen times a page, and Babel's
    ``Locale`` makes it anew each time. Otherwise the same locale."""

    def __str__(self) -> str:
        text = self.__dict__.get("_text")
        if text is None:
            text = self._text = super().__str__()
        return text


_LOCALES: dict[str, Locale] = {}


def _locale(code: str) -> Locale:
    """``Locale.parse(code)``, kept (Babel's locales are not changed once made)."""
    locale = _LOCALES.get(code)
    if locale is None:
        parsed = Locale.parse(code)
        made = _KeptLocale(parsed.language, parsed.territory, parsed.script, parsed.variant, parsed.modifier)
        locale = keep(_LOCALES, code, made, limit=16)
    return locale


def language_of(user_locale: str | None) -> str:
    """The page's language for a user whose account says ``user_locale`` (None: not
    logged in): the one chosen in this session, else the account's, else the default
    (what :func:`select_locale` gives Babel, for a page that has not loaded the user)."""
    languages = current_app.config["LANGUAGES"]
    chosen = session.get("lang")
    if chosen in languages:
        return chosen
    if user_locale in languages:
        return user_locale
    return current_app.config["BABEL_DEFAULT_LOCALE"]


_ZONES: dict[str, tzinfo] = {}


def select_timezone() -> tzinfo:
    """Flask-Babel's time zone selector: ``DISPLAY_TIMEZONE`` as the time zone object
    Flask-Babel would make of it (``pytz.timezone``), made once per worker."""
    name = current_app.config["DISPLAY_TIMEZONE"]
    zone = _ZONES.get(name)
    if zone is None:
        zone = keep(_ZONES, name, pytz.timezone(name), limit=16)
    return zone


def _babel_state():
    """Flask-Babel's per-request namespace, where it keeps the reader's locale and time zone
    once looked up (``force_locale`` changes the locale there); None outside a request or
    before its first look-up. One context-local lookup where each of Flask-Babel's
    ``get_locale``/``get_timezone`` makes three: a page formats and words dozens of things."""
    try:
        return g._flask_babel
    except (AttributeError, RuntimeError):
        return None


def _kept_text(state, looked_up: str, kept: str, fallback: Callable[[], str]) -> str:
    """``str()`` of what Flask-Babel looked up (``looked_up``: its locale or time zone) in its
    namespace ``state``, kept there (as ``kept``) with the object it was made of: Babel builds
    a locale's text anew on every ``str()``, and each request parses its own locale object.
    ``fallback()`` when Flask-Babel has not looked it up (yet)."""
    value = getattr(state, looked_up, None)
    if value is None:
        return fallback()
    said = getattr(state, kept, None)
    if said is None or said[0] is not value:
        said = (value, str(value))
        setattr(state, kept, said)
    return said[1]


def _looked_up_language() -> str:
    return str(get_locale() or "fi")


def _looked_up_zone() -> str:
    return str(get_timezone())


def _language(state) -> str:
    """``str(get_locale() or "fi")``, read from Flask-Babel's namespace ``state`` when it is there."""
    return _kept_text(state, "babel_locale", "reader_language", _looked_up_language)


def _zone(state) -> str:
    """``str(get_timezone())``, read from Flask-Babel's namespace ``state`` when it is there."""
    return _kept_text(state, "babel_tzinfo", "reader_zone", _looked_up_zone)


def _reader() -> tuple[str, str]:
    """The reader's language and time zone as text (what the ``local_*`` filters format with)."""
    state = _babel_state()
    return _language(state), _zone(state)


def current_language() -> str:
    return _language(_babel_state())


def to_local(value: datetime) -> datetime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(HELSINKI)


#: Dates and times are written the Finnish way in every language of the service (../shared/GLOSSARY.md,
#: rule 6: 8.12.2026, klo 16.00 / kl. 16.00): each language is formatted as in Finland, so Swedish
#: is not written as in Sweden (2026-12-08 16:05) nor English with the month first and a 12-hour clock.
FORMAT_LOCALES = {"fi": "fi_FI", "sv": "sv_FI", "en": "en_FI"}


@lru_cache(maxsize=8192)
def _formatted(kind: str, value: datetime | date, pattern: str, language: str, zone: str) -> str:
    """Babel's formatting of one value, remembered: pages show the same days and
    times many times over (a board of errands, a week of them), and parsing the
    pattern and the locale data on every call is most of a long page's time.
    The same results as flask_babel's ``format_*`` (they call these functions), in the
    language's Finnish locale (:data:`FORMAT_LOCALES`)."""
    locale = FORMAT_LOCALES.get(language, language)
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
DEFAULT_PATTERNS = {"datetime": "short", "date": "medium", "time": "short"}


def _filter(kind: str):
    def apply(value, pattern: str = DEFAULT_PATTERNS[kind]) -> str:
        if not value:
            return ""
        return _formatted(kind, value, pattern, *_reader())

    return apply


def local_formatter(kind: str, pattern: str | None = None):
    """The filter of ``kind`` ("datetime", "date", "time") with the reader's language
    and time zone looked up once: a long list formats hundreds of values (the same
    results as the ``local_*`` filters)."""
    (locale, zone), pattern = _reader(), pattern or DEFAULT_PATTERNS[kind]

    def apply(value) -> str:
        return _formatted(kind, value, pattern, locale, zone) if value else ""

    return apply


#: Each translations object's bound ``gettext`` family (:func:`_bound_gettexts`), by its id
#: (with the object, so that a new one at the same id is not mistaken for it).
_BOUND: dict[int, tuple[object, dict]] = {}


def _page_translations() -> dict:
    """:func:`_bound_gettexts` of the reader's translations, made once per translations object
    (Flask-Babel keeps one per language and domain)."""
    translations = get_translations()
    bound = _BOUND.get(id(translations))
    if bound is None or bound[0] is not translations:
        bound = keep(_BOUND, id(translations), (translations, _bound_gettexts(translations)), limit=64)
    return bound[1]


def _bound_gettexts(translations) -> dict:
    """The page's ``gettext`` family (``_()``, ``ngettext``, ``pgettext``, ``npgettext`` and
    ``{% trans %}``) bound to the reader's translations, looked up once per page: Flask-Babel's
    callables look them up on every call, and a page says a hundred things. The same texts,
    escaping and ``%(name)s`` filling as Jinja's own wrappers (jinja2.ext ``_make_new_gettext``
    and its kin), called directly: they take the evaluation context only (for autoescaping),
    not the template context Jinja would copy for a call inside a block or a loop; ``_`` is
    the page's ``gettext`` itself rather than Jinja's alias that looks it up on each call.
    Macros imported without the page's context use Flask-Babel's."""
    ugettext, ungettext = translations.ugettext, translations.ungettext
    upgettext, unpgettext = translations.upgettext, translations.unpgettext

    @pass_eval_context
    def gettext(eval_ctx, string: str, /, **variables) -> str:
        text = ugettext(string)
        return (Markup(text) if eval_ctx.autoescape else text) % variables

    @pass_eval_context
    def ngettext(eval_ctx, singular: str, plural: str, num: int, /, **variables) -> str:
        variables.setdefault("num", num)
        text = ungettext(singular, plural, num)
        return (Markup(text) if eval_ctx.autoescape else text) % variables

    @pass_eval_context
    def pgettext(eval_ctx, context: str, string: str, /, **variables) -> str:
        variables.setdefault("context", context)
        text = upgettext(context, string)
        return (Markup(text) if eval_ctx.autoescape else text) % variables

    @pass_eval_context
    def npgettext(eval_ctx, context: str, singular: str, plural: str, num: int, /, **variables) -> str:
        variables.setdefault("context", context)
        variables.setdefault("num", num)
        text = unpgettext(context, singular, plural, num)
        return (Markup(text) if eval_ctx.autoescape else text) % variables

    return {"_": gettext, "gettext": gettext, "ngettext": ngettext, "pgettext": pgettext, "npgettext": npgettext}


def register_template_helpers(app) -> None:
    app.jinja_env.globals.update(
        LANGUAGE_NAMES=LANGUAGE_NAMES,
        current_language=current_language,
        local_formatter=local_formatter,
    )
    app.context_processor(_page_translations)
    app.jinja_env.filters["local_dt"] = _filter("datetime")
    app.jinja_env.filters["local_date"] = _filter("date")
    app.jinja_env.filters["local_time"] = _filter("time")


# --------------------------------------------------------------------------
# Dates and times for the ear (automated calls): "tiistaina kello puoli yksitoista"
# --------------------------------------------------------------------------

#: Spoken forms of a time, per language: whole hour, quarter past, half (to the next
#: hour), quarter to (the next hour), other minutes. {h} is the hour word, {n} the
#: next hour's word, {m} the minutes' word.
_SPOKEN_TIME = {
    "fi": ("kello {h}", "varttia yli {h}", "kello puoli {n}", "varttia vaille {n}", "kello {h} {m}"),
    "sv": ("klockan {h}", "kvart över {h}", "klockan halv {n}", "kvart i {n}", "klockan {h} {m}"),
    "en": ("at {h} o'clock", "at quarter past {h}", "at half past {h}", "at quarter to {n}", "at {h} {m}"),
}
#: The part of the day said after an afternoon or evening hour (12-hour speech).
_DAY_PART = {
    "fi": ("iltapäivällä", "illalla"),
    "sv": ("på eftermiddagen", "på kvällen"),
    "en": ("in the afternoon", "in the evening"),
}
# today, tomorrow, yesterday, a coming weekday, a past weekday
_SPOKEN_DAY = {
    "fi": ("tänään", "huomenna", "eilen", "{weekday}", "{weekday}"),  # CLDR's Finnish weekday is the essive
    "sv": ("i dag", "i morgon", "i går", "på {weekday}", "i {weekday}s"),
    "en": ("today", "tomorrow", "yesterday", "on {weekday}", "on {weekday}"),
}
_SPOKEN_DATE = {"fi": "{day} {month}", "sv": "den {day} {month}", "en": ", {month} the {day}"}


def _spoken_language(language: str | None) -> str:
    return language if language in _SPOKEN_TIME else "fi"


def spoken_time(value: datetime, language: str) -> str:
    """The Helsinki time of ``value`` as people say it: "kello puoli yksitoista",
    "klockan tio", "kvart över två på eftermiddagen". Number words from num2words."""
    language = _spoken_language(language)
    local = value.astimezone(HELSINKI)
    hour, minute = local.hour, local.minute

    def word(hour24: int) -> str:
        twelve = hour24 % 12 or 12
        return num2words(twelve, lang=language)

    whole, past, half, to, other = _SPOKEN_TIME[language]
    next_hour = word(hour + 1)
    if minute == 0:
        text = whole.format(h=word(hour))
    elif minute == 15:
        text = past.format(h=word(hour))
    elif minute == 30:
        text = half.format(h=word(hour), n=next_hour)
    elif minute == 45:
        text = to.format(n=next_hour)
    else:
        text = other.format(h=word(hour), m=num2words(minute, lang=language))
    # The day part follows the hour said: "puoli yksi iltapäivällä" is 12.30.
    said_hour = hour + 1 if (minute == 30 and language != "en") or minute == 45 else hour
    if 13 <= said_hour < 18:
        text += " " + _DAY_PART[language][0]
    elif 18 <= said_hour < 24:
        text += " " + _DAY_PART[language][1]
    return text


def spoken_day(value: datetime, language: str, now: datetime | None = None) -> str:
    """The day of ``value`` (Helsinki) for the ear: "huomenna", "tiistaina", "på tisdag",
    "i tisdags"; a day more than six days away adds its date: "tiistaina kahdestoista maaliskuuta"."""
    language = _spoken_language(language)
    day = value.astimezone(HELSINKI).date()
    today = today_local(now)
    today_word, tomorrow_word, yesterday_word, coming, past = _SPOKEN_DAY[language]
    days = (day - today).days
    if days in (-1, 0, 1):
        return {0: today_word, 1: tomorrow_word, -1: yesterday_word}[days]
    weekday = babel_dates.format_date(day, "EEEE", locale=language)
    text = (coming if days > 0 else past).format(weekday=weekday)
    if not -6 <= days <= 6:
        month = babel_dates.format_date(day, "MMMM", locale=language)
        date_text = _SPOKEN_DATE[language].format(day=num2words(day.day, lang=language, to="ordinal"), month=month)
        text = f"{text}{'' if date_text.startswith(',') else ' '}{date_text}"
    return text


def spoken_when(value: datetime, language: str, now: datetime | None = None) -> str:
    """Day and time for the ear: "tiistaina kello kymmenen", "på tisdag klockan tio"."""
    return f"{spoken_day(value, language, now)} {spoken_time(value, language)}"
