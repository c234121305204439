"""Abuse limits: counting failed logins and consent SMS with the ``limits`` library
(the one under Flask-Limiter, with its storage and its fixed-window strategy).

The counters live in the storage of ``RATELIMIT_STORAGE_URI`` (``memory://``
for one process, ``redis://...`` shared by every worker and app node;
``REDIS_URL`` when it is not given). The views do not use decorator limits: a
view asks :func:`over_limit` before doing the work and calls :func:`count` for
what should be counted (a failed login, a consent SMS sent), so a user who is
refused gets their form back with a clear message, not a bare 429. So no
request hook is needed either: Flask-Limiter's extension (a before- and an
after-request hook that looked for decorator and default limits on every
request, 8 % of the CPU of a board's 304 answer) is not installed, only its
storage and strategy are used, with the same keys in the storage as before.
"""

from __future__ import annotations

import logging
import math
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from flask import Flask, current_app, request
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from limits import RateLimitItem, parse
from limits.storage import Storage, storage_from_string
from limits.strategies import FixedWindowRateLimiter, RateLimiter
from wtforms import HiddenField, StringField

EXTENSION_KEY = "arjen.limiter"

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Limits:
    """The counters' storage and the strategy that counts in it (fixed windows)."""

    storage: Storage
    limiter: RateLimiter

    def reset(self) -> None:
        """Forget every counter (the tests start each one from zero)."""
        self.storage.reset()


def init_app(app: Flask) -> Limits:
    """One storage per app, so test apps do not share counters."""
    storage = storage_from_string(app.config["RATELIMIT_STORAGE_URI"])
    limits = Limits(storage=storage, limiter=FixedWindowRateLimiter(storage))
    app.extensions[EXTENSION_KEY] = limits
    return limits


def limiter() -> Limits:
    return current_app.extensions[EXTENSION_KEY]


def client_ip() -> str:
    """The client's address as the limits see it (``request.remote_addr``: put
    Werkzeug's ProxyFix in front when the app runs behind a proxy)."""
    return request.remote_addr or "127.0.0.1"  # as Flask-Limiter's get_remote_address


def per_day(count: int) -> RateLimitItem:
    return parse(f"{max(count, 0)} per 1 day")


def _item(limit: str | RateLimitItem) -> RateLimitItem:
    return parse(limit) if isinstance(limit, str) else limit


@dataclass(frozen=True)
class Refusal:
    """A limit that is used up, and in how many whole minutes it frees up."""

    scope: str
    minutes: int


def over_limit(checks: list[tuple[str, str | RateLimitItem, str]]) -> Refusal | None:
    """The first of ``(scope, limit, key)`` whose limit is used up, or ``None``.

    If the storage (Redis) cannot be reached the check lets the request through
    and logs it: an outage of the counters must not stop every login.
    """
    strategy = limiter().limiter
    try:
        for scope, limit, key in checks:
            item = _item(limit)
            if item.amount <= 0 or not strategy.test(item, scope, key):
                reset_at = strategy.get_window_stats(item, scope, key).reset_time
                return Refusal(scope, max(1, math.ceil((reset_at - time.time()) / 60)))
    except Exception:  # the storage's own errors (redis.ConnectionError, ...)
        log.exception("rate limit storage unavailable: %s not checked", [c[0] for c in checks])
    return None


def count(checks: list[tuple[str, str | RateLimitItem, str]]) -> None:
    """Count one more against each ``(scope, limit, key)``."""
    strategy = limiter().limiter
    try:
        for scope, limit, key in checks:
            strategy.hit(_item(limit), scope, key)
    except Exception:  # see over_limit
        log.exception("rate limit storage unavailable: %s not counted", [c[0] for c in checks])


# --- The public sign-up's bot check: a signed time token and a honeypot field ---

BOT_SALT = "signup-form-started"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=BOT_SALT)


def form_started_token() -> str:
    """A signed note of when the form was shown (no server state)."""
    return _serializer().dumps(secrets.token_urlsafe(8))


def bot_check(token: str | None, honeypot: str | None) -> str | None:
    """Why a sign-up looks automated (``too_fast`` / ``expired``), or ``None``.

    A person needs at least ``SIGNUP_MIN_SECONDS`` to fill the form in and
    sends it within ``SIGNUP_MAX_SECONDS``; the honeypot field is hidden from
    people (visually and from screen readers), so only a bot fills it in.
    """
    if honeypot:
        return "too_fast"
    config = current_app.config
    try:
        _nonce, shown_at = _serializer().loads(token or "", max_age=config["SIGNUP_MAX_SECONDS"], return_timestamp=True)
    except (BadSignature, SignatureExpired):
        return "expired"
    if (datetime.now(UTC) - shown_at).total_seconds() < config["SIGNUP_MIN_SECONDS"]:
        return "too_fast"
    return None


BOT_MESSAGES = {
    "too_fast": _l(
        "The form was sent faster than a person can fill it in. Check your details and send the form again."
    ),
    "expired": _l("The form was open for too long. Check your details and send the form again."),
}


class BotCheckMixin:
    """Adds the time token and the honeypot to a public form; refusals are form-level errors."""

    started = HiddenField()
    website = StringField(_l("Leave this field empty"), render_kw={"autocomplete": "off", "tabindex": "-1"})

    def validate(self, extra_validators=None) -> bool:  # type: ignore[override]
        ok = super().validate(extra_validators)  # type: ignore[misc]
        problem = bot_check(self.started.data, self.website.data)
        if problem is None:
            return ok
        self.form_errors.append(str(BOT_MESSAGES[problem]))  # type: ignore[attr-defined]
        if problem == "expired":
            self.started.data = form_started_token()
        return False

    def prepare_bot_check(self) -> None:
        """Before showing the form: a token for a form that has none yet."""
        if not self.started.data:
            self.started.data = form_started_token()


# --- Guardian consent SMS: per guardian number and per IP address, a day ---


def consent_sms_limits(guardian_phone: str) -> list[tuple[str, RateLimitItem, str]]:
    config = current_app.config
    return [
        ("consent-sms-guardian", per_day(config["CONSENT_SMS_PER_GUARDIAN_PER_DAY"]), guardian_phone),
        ("consent-sms-ip", per_day(config["CONSENT_SMS_PER_IP_PER_DAY"]), client_ip()),
    ]


CONSENT_LIMIT_MESSAGE = _l(
    "Too many consent requests have been sent today to this guardian's number or from this connection. "
    "Please try again tomorrow, or ask the coordinator for help."
)
