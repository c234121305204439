"""Configuration read from environment variables, with safe defaults.

Every setting is documented in the README table. Tests subclass ``Config``.
"""

from __future__ import annotations

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"


def _bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def _sqlite_default() -> str:
    return f"sqlite:///{INSTANCE_DIR / 'arjen.db'}"


def normalise_database_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL whatever scheme the URL was written with."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


class Config:
    ENV_NAME = os.environ.get("APP_ENV", "production")
    SECRET_KEY = os.environ.get("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = normalise_database_url(os.environ.get("DATABASE_URL", _sqlite_default()))
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}

    # Languages: Finnish first, Swedish and English available.
    LANGUAGES = ("fi", "sv", "en")
    BABEL_DEFAULT_LOCALE = "fi"
    BABEL_DEFAULT_TIMEZONE = "Europe/Helsinki"
    DISPLAY_TIMEZONE = "Europe/Helsinki"

    # Outside services.
    SMS_BACKEND = os.environ.get("SMS_BACKEND", "outbox")
    TWILIO_ACCOUNT_SID = os.environ.get("TWILIO_ACCOUNT_SID", "")
    TWILIO_AUTH_TOKEN = os.environ.get("TWILIO_AUTH_TOKEN", "")
    TWILIO_FROM = os.environ.get("TWILIO_FROM", "")
    TWILIO_MESSAGING_SERVICE_SID = os.environ.get("TWILIO_MESSAGING_SERVICE_SID", "")
    TWILIO_API_BASE_URL = os.environ.get("TWILIO_API_BASE_URL", "")
    SMS_RATE_PER_SECOND = float(os.environ.get("SMS_RATE_PER_SECOND", "5"))
    GEOCODER = os.environ.get("GEOCODER", "offline")
    NOMINATIM_URL = os.environ.get("NOMINATIM_URL", "https://nominatim.openstreetmap.org")
    NOMINATIM_USER_AGENT = os.environ.get("NOMINATIM_USER_AGENT", "arjen-pelastajat/1.0 (coordinator platform)")
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000").rstrip("/")
    MAP_TILE_URL = os.environ.get("MAP_TILE_URL", "")
    MAP_TILE_ATTRIBUTION = os.environ.get("MAP_TILE_ATTRIBUTION", "© OpenStreetMap contributors")

    # Cookies and sessions.
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", True)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", True)
    PERMANENT_SESSION_LIFETIME = 60 * 60 * 12
    WTF_CSRF_ENABLED = True
    WTF_CSRF_TIME_LIMIT = None  # a phone call can be long; the token lives as long as the session

    PAGE_SIZE = 25
    # Flask-Caching: a directory shared by the web workers of one machine.
    CACHE_TYPE = os.environ.get("CACHE_TYPE", "FileSystemCache")
    CACHE_DIR = os.environ.get("CACHE_DIR", str(INSTANCE_DIR / "cache"))
    CACHE_DEFAULT_TIMEOUT = 600
    REPORT_CACHE_SECONDS = int(os.environ.get("REPORT_CACHE_SECONDS", "600"))
    SCHEDULER_LOCK_FILE = os.environ.get("SCHEDULER_LOCK_FILE", str(INSTANCE_DIR / "scheduler.lock"))

    # --- Privacy (issue 13, part 5b): notes encrypted at rest, audit log page ---
    # Fernet keys, comma-separated, newest first (app/crypto.py). Required in production;
    # development and tests fall back to a published development key.
    NOTES_ENCRYPTION_KEYS = os.environ.get("NOTES_ENCRYPTION_KEYS", "")
    AUDIT_PAGE_SIZE = int(os.environ.get("AUDIT_PAGE_SIZE", "50"))
    # --- end of part 5b settings ---


class DevelopmentConfig(Config):
    ENV_NAME = "development"
    SECRET_KEY = os.environ.get("SECRET_KEY") or "dev-only-not-secret"
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", False)
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE


class TestConfig(Config):
    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "test-secret"
    SQLALCHEMY_DATABASE_URI = normalise_database_url(os.environ.get("TEST_DATABASE_URL", "sqlite://"))
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_SECURE = False
    SMS_BACKEND = "outbox"
    GEOCODER = "offline"
    PUBLIC_BASE_URL = "http://testserver"
    CACHE_TYPE = "SimpleCache"
    REPORT_CACHE_SECONDS = 0  # every test sees its own data; tests/reports/test_cache.py turns it on


CONFIGS = {"production": Config, "development": DevelopmentConfig, "testing": TestConfig}


def config_from_env() -> type[Config]:
    return CONFIGS.get(os.environ.get("APP_ENV", "production"), Config)
