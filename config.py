"""Configuration: every setting declared once, read from the environment, typed and checked.

``SETTINGS`` is the one list of environment variables the app reads: each with
its kind (type and what is allowed) and its default. ``Config`` carries those
defaults plus the fixed values that are not settings; tests subclass it.
``config_from_env()`` builds the class the app runs with from the environment,
and ``create_app`` checks the final values again (``validated``), so a wrong
value, from the environment or from a subclass, stops the app with a message
naming the variable and what it allows.

To add a setting: one line in ``SETTINGS`` and one row in the README's
configuration table (a test compares the two). Read it with
``current_app.config["NAME"]``; it is already of its declared type.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"
ENVIRONMENTS = ("production", "development", "testing")
# At least this many characters of SECRET_KEY in production (secrets.token_urlsafe(48) gives 64).
MIN_SECRET_KEY_LENGTH = 32
KNOWN_WEAK_SECRETS = frozenset({"dev-only-not-secret", "test-secret", "secret", "changeme", "change-me"})


class ConfigError(RuntimeError):
    """The configuration has wrong values; the message lists every one of them."""


def normalise_database_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL whatever scheme the URL was written with."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


# -- kinds of value ---------------------------------------------------------
# A kind turns a value (an environment string, or a value a Config subclass
# wrote) into the typed value, or raises ValueError; ``allowed`` says what is.


@dataclass(frozen=True)
class Text:
    choices: tuple[str, ...] = ()
    required: bool = False

    @property
    def allowed(self) -> str:
        if self.choices:
            return "one of " + ", ".join(self.choices)
        return "a non-empty text" if self.required else "a text"

    def convert(self, value: Any) -> str:
        if value is None:
            value = ""
        if not isinstance(value, str):
            raise ValueError
        value = value.strip()
        if (self.choices and value not in self.choices) or (self.required and not value):
            raise ValueError
        return value


@dataclass(frozen=True)
class Secret:
    """A secret, never shown in messages; may be unset (``validated`` decides where one is
    required). ``many``: a comma-separated list, newest first (e.g. keys that rotate)."""

    many: bool = False

    @property
    def allowed(self) -> str:
        return "a comma-separated list of secrets" if self.many else "a text"

    def convert(self, value: Any) -> str | tuple[str, ...] | None:
        if self.many:
            if value is None or value == "":
                return ()
            parts = value.split(",") if isinstance(value, str) else list(value)
            if not all(isinstance(p, str) for p in parts):
                raise ValueError
            return tuple(p.strip() for p in parts if p.strip())
        if value is None or value == "":
            return None
        if not isinstance(value, str):
            raise ValueError
        return value


@dataclass(frozen=True)
class Integer:
    low: int
    high: int | None = None

    @property
    def allowed(self) -> str:
        if self.high is None:
            return f"a whole number, {self.low} or more"
        return f"a whole number from {self.low} to {self.high}"

    def convert(self, value: Any) -> int:
        if isinstance(value, bool):
            raise ValueError
        if isinstance(value, float) and not value.is_integer():
            raise ValueError
        number = int(value.strip()) if isinstance(value, str) else int(value)
        if number < self.low or (self.high is not None and number > self.high):
            raise ValueError
        return number


@dataclass(frozen=True)
class Number:
    """A decimal number above ``above`` (or at least ``low`` when given)."""

    above: float | None = 0.0
    low: float | None = None
    high: float | None = None

    @property
    def allowed(self) -> str:
        lower = f"{self.low:g} or more" if self.low is not None else f"above {self.above:g}"
        upper = f" and at most {self.high:g}" if self.high is not None else ""
        return f"a number {lower}{upper}"

    def convert(self, value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise ValueError
        number = float(value.strip()) if isinstance(value, str) else float(value)
        if number != number or number in (float("inf"), float("-inf")):
            raise ValueError
        if self.low is not None and number < self.low:
            raise ValueError
        if self.low is None and self.above is not None and number <= self.above:
            raise ValueError
        if self.high is not None and number > self.high:
            raise ValueError
        return number


@dataclass(frozen=True)
class Flag:
    allowed = "on/off: 1, true, yes, on or 0, false, no, off"

    def convert(self, value: Any) -> bool:
        if isinstance(value, bool):
            return value
        word = str(value).strip().lower()
        if word in {"1", "true", "yes", "on"}:
            return True
        if word in {"0", "false", "no", "off"}:
            return False
        raise ValueError


@dataclass(frozen=True)
class Url:
    schemes: tuple[str, ...] = ("https", "http")
    optional: bool = False  # empty allowed
    placeholders: tuple[str, ...] = ()  # e.g. the {z}/{x}/{y} of a tile URL

    @property
    def allowed(self) -> str:
        text = " or ".join(f"{s}://" for s in self.schemes) + " URL"
        if self.placeholders:
            text += " with " + ", ".join(self.placeholders)
        return text + (", or empty" if self.optional else "")

    def convert(self, value: Any) -> str:
        if value is None:
            value = ""
        if not isinstance(value, str):
            raise ValueError
        value = value.strip().rstrip("/")
        if not value and self.optional:
            return ""
        scheme, sep, rest = value.partition("://")
        if not sep or scheme not in self.schemes or not rest or " " in value:
            raise ValueError
        if any(p not in value for p in self.placeholders):
            raise ValueError
        return value


@dataclass(frozen=True)
class DatabaseUrl:
    allowed = "an SQLAlchemy URL such as postgresql://user@host/db or sqlite:///path"

    def convert(self, value: Any) -> str:
        if not isinstance(value, str) or "://" not in value.strip():
            raise ValueError
        return normalise_database_url(value.strip())


@dataclass(frozen=True)
class HourRange:
    """Quiet hours as "start-end" over midnight ("21-8"): a (start, end) pair of whole hours."""

    allowed = 'two hours "start-end" over midnight, the start later than the end (e.g. 21-8)'

    def convert(self, value: Any) -> tuple[int, int]:
        if isinstance(value, tuple):
            start, end = value
        else:
            start_text, dash, end_text = str(value).strip().partition("-")
            if not dash:
                raise ValueError
            start, end = int(start_text.strip()), int(end_text.strip())
        if not (0 <= end < start <= 23):
            raise ValueError
        return (int(start), int(end))


Kind = Text | Secret | Integer | Number | Flag | Url | DatabaseUrl | HourRange


@dataclass(frozen=True)
class Setting:
    """One environment variable: its kind, its default, and the config keys it sets."""

    name: str
    kind: Kind
    default: Any
    keys: tuple[str, ...] = ()  # config keys when not just ``name``

    @property
    def config_keys(self) -> tuple[str, ...]:
        return self.keys or (self.name,)


HOUR = Integer(0, 23)

# Every environment variable the app reads; the README's table documents each one.
SETTINGS: tuple[Setting, ...] = (
    Setting("APP_ENV", Text(ENVIRONMENTS), "production", keys=("ENV_NAME",)),
    Setting("SECRET_KEY", Secret(), None),
    Setting("DATABASE_URL", DatabaseUrl(), f"sqlite:///{INSTANCE_DIR / 'arjen.db'}", keys=("SQLALCHEMY_DATABASE_URI",)),
    Setting("SESSION_COOKIE_SECURE", Flag(), True, keys=("SESSION_COOKIE_SECURE", "REMEMBER_COOKIE_SECURE")),
    Setting("PUBLIC_BASE_URL", Url(), "http://127.0.0.1:5000"),
    # SMS: backend and Twilio
    Setting("SMS_BACKEND", Text(("outbox", "twilio")), "outbox"),
    Setting("TWILIO_ACCOUNT_SID", Text(), ""),
    Setting("TWILIO_AUTH_TOKEN", Text(), ""),
    Setting("TWILIO_FROM", Text(), ""),
    Setting("TWILIO_MESSAGING_SERVICE_SID", Text(), ""),
    Setting("TWILIO_API_BASE_URL", Url(optional=True), ""),
    Setting("TWILIO_TIMEOUT", Number(high=120), 10.0),
    # SMS: dispatcher, retries, quiet hours
    Setting("SMS_RATE_PER_SECOND", Number(high=1000), 5.0),
    Setting("SMS_BATCH_SIZE", Integer(1, 1000), 20),
    Setting("SMS_SEND_CONCURRENCY", Integer(1, 64), 8),
    Setting("SMS_MAX_ATTEMPTS", Integer(1, 100), 10),
    Setting("SMS_RETRY_BASE_SECONDS", Number(), 30.0),
    Setting("SMS_RETRY_MAX_SECONDS", Number(), 3600.0),
    Setting("SMS_UNKNOWN_RECHECK_SECONDS", Number(), 600.0),
    Setting("SMS_QUIET_START_HOUR", HOUR, 21),
    Setting("SMS_QUIET_END_HOUR", HOUR, 8),
    # Automated phone calls (app/sms/voice.py): the same outbox and dispatcher as SMS.
    Setting("VOICE_BACKEND", Text(("outbox", "twilio")), "outbox"),
    Setting("TWILIO_VOICE_FROM", Text(), ""),
    Setting("VOICE_NAME_FI", Text(required=True), "Polly.Suvi"),
    Setting("VOICE_NAME_SV", Text(required=True), "Polly.Astrid"),
    Setting("VOICE_NAME_EN", Text(required=True), "Polly.Amy"),
    Setting("VOICE_MAX_TRIES", Integer(1, 10), 3),
    Setting("VOICE_RETRY_MINUTES", Number(high=24 * 60), 30.0),
    Setting("VOICE_QUIET_HOURS", HourRange(), "21-8"),
    Setting("VOICE_MACHINE_DETECTION", Flag(), False),
    # Retention
    Setting("SMS_RETENTION_DAYS", Integer(1), 365),
    Setting("ALERT_RETENTION_DAYS", Integer(1), 365),
    # Reminders, escalation, feedback, repeating requests
    Setting("REMINDER_DAY_BEFORE_HOUR", HOUR, 18),
    Setting("REMINDER_HOURS_BEFORE", Number(high=24), 2.0),
    Setting("REMINDER_CALL_HOUR", HOUR, 9),
    Setting("ESCALATION_FIRST_HOURS", Number(high=24 * 14), 48.0),
    Setting("ESCALATION_SECOND_HOURS", Number(high=24 * 14), 24.0),
    Setting("ESCALATION_OFFER_COUNT", Integer(1, 100), 8),
    Setting("ESCALATION_GRACE_MINUTES", Number(above=None, low=0), 60.0),
    Setting("FEEDBACK_DELAY_HOURS", Number(above=None, low=0, high=24 * 7), 2.0),
    Setting("FEEDBACK_WINDOW_DAYS", Number(high=60), 2.0),
    Setting("ERRAND_HORIZON_DAYS", Integer(1, 366), 21),
    Setting("WEEK_PLAN_SECONDS", Number(high=120), 5.0),
    Setting("MINOR_WEEKLY_ERRANDS", Integer(1, 50), 3),
    Setting("SCHOOL_CALENDAR", Text(("fi",)), "fi"),
    # Scheduler process
    Setting("SCHEDULER_LOCK_FILE", Text(required=True), str(INSTANCE_DIR / "scheduler.lock")),
    Setting("SCHEDULER_LOCK_RETRY_SECONDS", Number(), 15.0),
    # Geocoding
    Setting("GEOCODER", Text(("offline", "nominatim", "nominatim+offline")), "offline"),
    Setting("NOMINATIM_URL", Url(), "https://nominatim.openstreetmap.org"),
    Setting("NOMINATIM_USER_AGENT", Text(required=True), "arjen-pelastajat/1.0 (coordinator platform)"),
    Setting("NOMINATIM_MIN_DELAY_SECONDS", Number(above=None, low=0), 1.0),
    Setting("NOMINATIM_TIMEOUT", Number(high=120), 5.0),
    Setting("NOMINATIM_CACHE_SIZE", Integer(0), 512),
    # Maps and reports
    Setting("MAP_TILE_URL", Url(("https",), optional=True, placeholders=("{z}", "{x}", "{y}")), ""),
    Setting("MAP_TILE_ATTRIBUTION", Text(), "© OpenStreetMap contributors"),
    Setting("REPORT_CACHE_SECONDS", Integer(0), 600),
    Setting("BOARD_CACHE_SECONDS", Integer(0, 300), 10),
    Setting("COORDINATOR_CACHE_SECONDS", Integer(0, 300), 10),
    Setting("CACHE_TYPE", Text(), ""),  # empty: RedisCache with REDIS_URL, else FileSystemCache
    Setting("CACHE_DIR", Text(required=True), str(INSTANCE_DIR / "cache")),
    # -- settings added with issue 13 (one line each) --
    # Sessions, abuse limits and HTTP hardening
    Setting("REMEMBER_COOKIE_DAYS", Integer(1, 30), 30),
    Setting("RATELIMIT_STORAGE_URI", Text(), ""),  # empty: REDIS_URL, else memory://
    Setting("LOGIN_LIMIT_PER_ACCOUNT", Text(required=True), "5 per 15 minutes"),
    Setting("LOGIN_LIMIT_PER_IP", Text(required=True), "30 per 15 minutes"),
    Setting("CONSENT_SMS_PER_GUARDIAN_PER_DAY", Integer(1, 100), 3),
    Setting("CONSENT_SMS_PER_IP_PER_DAY", Integer(1, 10_000), 10),
    Setting("SIGNUP_MIN_SECONDS", Integer(0, 3600), 5),
    Setting("SIGNUP_MAX_SECONDS", Integer(60), 4 * 3600),
    Setting("MAX_CONTENT_LENGTH", Integer(1024), 1024 * 1024),
    # Privacy: months after an older resident is ended before their personal data is erased (0: never)
    Setting("PERSON_RETENTION_MONTHS", Integer(0, 240), 24),
    # Notes at rest: Fernet keys, comma-separated, newest first (app/crypto.py; required in production)
    Setting("NOTES_ENCRYPTION_KEYS", Secret(many=True), ()),
    Setting("AUDIT_PAGE_SIZE", Integer(5, 500), 50),
    # Several app nodes on one database (README "Several app nodes"): what they share, and connections
    Setting("REDIS_URL", Url(("redis", "rediss", "unix"), optional=True), ""),
    Setting("DB_POOL_SIZE", Integer(1, 500), 5),
    Setting("DB_MAX_OVERFLOW", Integer(0, 500), 10),
    # SQLite only: how much of the database file each connection reads through memory mapping (MB, 0: off)
    Setting("SQLITE_MMAP_MB", Integer(0, 1 << 20), 0),
)

# Rules between settings: (names, the rule as the message says it, the test).
CROSS_RULES: tuple[tuple[tuple[str, ...], str, Callable[[Mapping[str, Any]], bool]], ...] = (
    (
        ("SMS_QUIET_START_HOUR", "SMS_QUIET_END_HOUR"),
        "quiet hours run over midnight: the start hour must be later than the end hour",
        lambda c: c["SMS_QUIET_START_HOUR"] > c["SMS_QUIET_END_HOUR"],
    ),
    (
        ("VOICE_BACKEND", "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_VOICE_FROM"),
        "VOICE_BACKEND=twilio needs TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_VOICE_FROM",
        lambda c: (
            c["VOICE_BACKEND"] != "twilio"
            or bool(c["TWILIO_ACCOUNT_SID"] and c["TWILIO_AUTH_TOKEN"] and c["TWILIO_VOICE_FROM"])
        ),
    ),
    (
        ("SMS_RETRY_BASE_SECONDS", "SMS_RETRY_MAX_SECONDS"),
        "the first retry wait cannot be longer than the longest",
        lambda c: c["SMS_RETRY_BASE_SECONDS"] <= c["SMS_RETRY_MAX_SECONDS"],
    ),
    (
        ("ESCALATION_FIRST_HOURS", "ESCALATION_SECOND_HOURS"),
        "the second escalation comes nearer the errand than the first: it must be fewer hours",
        lambda c: c["ESCALATION_SECOND_HOURS"] <= c["ESCALATION_FIRST_HOURS"],
    ),
    (
        ("SIGNUP_MIN_SECONDS", "SIGNUP_MAX_SECONDS"),
        "the sign-up form's shortest time must be shorter than its longest",
        lambda c: c["SIGNUP_MIN_SECONDS"] < c["SIGNUP_MAX_SECONDS"],
    ),
    (
        ("SMS_BACKEND", "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_FROM", "TWILIO_MESSAGING_SERVICE_SID"),
        "SMS_BACKEND=twilio needs TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN "
        "and TWILIO_FROM or TWILIO_MESSAGING_SERVICE_SID",
        lambda c: (
            c["SMS_BACKEND"] != "twilio"
            or bool(
                c["TWILIO_ACCOUNT_SID"]
                and c["TWILIO_AUTH_TOKEN"]
                and (c["TWILIO_FROM"] or c["TWILIO_MESSAGING_SERVICE_SID"])
            )
        ),
    ),
)


def shared_through_redis(values: Mapping[str, Any]) -> dict[str, Any]:
    """The settings that follow ``REDIS_URL`` when they are not given themselves.

    With ``REDIS_URL`` the report cache is Flask-Caching's ``RedisCache`` and the
    login and consent-SMS counters live in the same Redis, so every app node sees
    the same; without it, a cache directory and counters in memory (one machine).
    An explicit ``CACHE_TYPE`` or ``RATELIMIT_STORAGE_URI`` wins.
    """
    redis_url = values.get("REDIS_URL") or ""
    cache_type = values.get("CACHE_TYPE") or ("RedisCache" if redis_url else "FileSystemCache")
    out: dict[str, Any] = {
        "CACHE_TYPE": cache_type,
        "RATELIMIT_STORAGE_URI": values.get("RATELIMIT_STORAGE_URI") or redis_url or "memory://",
    }
    if cache_type == "RedisCache" and not values.get("CACHE_REDIS_URL") and redis_url:
        out["CACHE_REDIS_URL"] = redis_url
    return out


def _shown(setting: Setting, value: Any) -> str:
    return "(hidden)" if isinstance(setting.kind, Secret) else repr(value)


def _secret_problem(values: Mapping[str, Any]) -> str | None:
    secret = values.get("SECRET_KEY")
    if not secret:
        return (
            "SECRET_KEY is not set. Set the SECRET_KEY environment variable "
            "(or APP_ENV=development for local development)."
        )
    if values.get("ENV_NAME") == "production" and (len(secret) < MIN_SECRET_KEY_LENGTH or secret in KNOWN_WEAK_SECRETS):
        return (
            f"SECRET_KEY is too weak for production: use at least {MIN_SECRET_KEY_LENGTH} random characters, "
            "e.g. the output of: python -c 'import secrets; print(secrets.token_urlsafe(48))'"
        )
    return None


def validated(values: Mapping[str, Any]) -> dict[str, Any]:
    """Every declared setting of ``values`` converted to its type.

    Raises ``ConfigError`` naming every wrong value and what is allowed, and the
    rules between settings that do not hold (e.g. quiet hours, Twilio credentials).
    """
    out: dict[str, Any] = {}
    problems: list[str] = []
    for setting in SETTINGS:
        for key in setting.config_keys:
            value = values.get(key, setting.default)
            try:
                out[key] = setting.kind.convert(value)
            except (TypeError, ValueError):
                where = "" if key == setting.name else f" (config key {key})"
                problems.append(
                    f"{setting.name}={_shown(setting, value)} is not allowed: expected {setting.kind.allowed}{where}"
                )
                break  # one message per variable
    if not problems:
        for names, rule, holds in CROSS_RULES:
            if not holds(out):
                problems.append(f"{', '.join(names)}: {rule}")
        secret = _secret_problem(out)
        if secret:
            problems.append(secret)
    if problems:
        raise ConfigError("The configuration is not valid:\n  " + "\n  ".join(problems))
    return out


# -- the configuration classes ----------------------------------------------


class Config:
    """The defaults of every setting in ``SETTINGS`` (set below) and fixed values."""

    # No ping before each checkout (a round trip on every request, issue 15): pooled
    # connections are replaced after 30 minutes instead. A connection a database
    # restart cut fails one request (the 503 page), and SQLAlchemy then drops the pool.
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_recycle": 1800}

    # Languages: Finnish first, Swedish and English available.
    LANGUAGES = ("fi", "sv", "en")
    BABEL_DEFAULT_LOCALE = "fi"
    BABEL_DEFAULT_TIMEZONE = "Europe/Helsinki"
    DISPLAY_TIMEZONE = "Europe/Helsinki"

    # Cookies and sessions.
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    PERMANENT_SESSION_LIFETIME = 60 * 60 * 12
    WTF_CSRF_ENABLED = True
    WTF_CSRF_TIME_LIMIT = None  # a phone call can be long; the token lives as long as the session

    PAGE_SIZE = 25
    CACHE_DEFAULT_TIMEOUT = 600

    # How account passwords are hashed (werkzeug's method string): scrypt, a memory-hard
    # KDF. A fixed value, not a setting, so no environment can weaken it; only
    # TestConfig makes it cheaper.
    PASSWORD_HASH_METHOD = "scrypt"

    # The scheduler's fixed values (not settings).
    SCHEDULER_LOCK_KEY = 7_305_441_620_219_251  # PostgreSQL advisory lock id
    SCHEDULER_LOCK_CHECK_SECONDS = 30.0
    # How often each job runs (seconds).
    SCHEDULER_DISPATCH_SECONDS = 5
    SCHEDULER_REMINDER_SECONDS = 60
    SCHEDULER_ESCALATION_SECONDS = 300
    SCHEDULER_EXPIRY_SECONDS = 300
    SCHEDULER_FEEDBACK_SECONDS = 600
    SCHEDULER_GENERATE_SECONDS = 3600
    SCHEDULER_PROVIDER_ERASURE_SECONDS = 300  # erased people's SMS deleted at the provider (app/privacy/provider.py)


for _setting in SETTINGS:
    for _key in _setting.config_keys:
        setattr(Config, _key, _setting.default)


class DevelopmentConfig(Config):
    ENV_NAME = "development"
    SECRET_KEY = "dev-only-not-secret"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_SECURE = False


class TestConfig(Config):
    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "test-secret"
    SQLALCHEMY_DATABASE_URI = "sqlite://"  # tests/conftest.py points it at TEST_DATABASE_URL or a file
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_SECURE = False
    SMS_BACKEND = "outbox"
    GEOCODER = "offline"
    PUBLIC_BASE_URL = "http://testserver"
    CACHE_TYPE = "SimpleCache"
    REPORT_CACHE_SECONDS = 0  # every test sees its own data; tests/reports/test_cache.py turns it on
    BOARD_CACHE_SECONDS = 0  # as the reports'; tests/errands_helper/test_board_cache.py turns it on
    COORDINATOR_CACHE_SECONDS = 0  # tests/errands_coordinator/test_coordinator_cache.py turns it on
    SIGNUP_MIN_SECONDS = 0  # tests/test_abuse.py sets it to check the bot check
    RATELIMIT_STORAGE_URI = "memory://"
    # Tests make hundreds of accounts: a cheap but real hash (logins still check it),
    # as cookiecutter-flask's BCRYPT_LOG_ROUNDS in its TestConfig.
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"


CONFIGS: dict[str, type[Config]] = {"production": Config, "development": DevelopmentConfig, "testing": TestConfig}


def config_from_env(environ: Mapping[str, str] | None = None) -> type[Config]:
    """The configuration class for ``environ`` (default: the process environment).

    ``APP_ENV`` picks the base class; every variable of ``SETTINGS`` that is set
    (an empty value counts as not set) overrides its default. Raises
    ``ConfigError`` for wrong values.
    """
    env = os.environ if environ is None else environ
    app_env = (env.get("APP_ENV") or "production").strip()
    if app_env not in CONFIGS:
        allowed = ", ".join(ENVIRONMENTS)
        raise ConfigError(
            f"The configuration is not valid:\n  APP_ENV={app_env!r} is not allowed: expected one of {allowed}"
        )
    base = CONFIGS[app_env]
    given: dict[str, Any] = {}
    for setting in SETTINGS:
        raw = env.get(setting.name)
        if raw is not None and raw.strip():
            for key in setting.config_keys:
                given[key] = raw
    merged = {key: getattr(base, key) for s in SETTINGS for key in s.config_keys} | given
    values = validated(merged)
    return type(f"{base.__name__}FromEnvironment", (base,), {key: values[key] for key in given})
