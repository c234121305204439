"""SMS settings with their defaults.

Every key can be set in ``config.py`` (from the environment); a missing key
falls back to the default here, so the code never depends on a key existing.
"""

from __future__ import annotations

from typing import Any

from flask import current_app

DEFAULTS: dict[str, Any] = {
    # Dispatcher
    "SMS_RATE_PER_SECOND": 5.0,
    "SMS_BATCH_SIZE": 20,
    # How many send requests may be in flight at once (each in its own worker thread).
    "SMS_SEND_CONCURRENCY": 8,
    "SMS_MAX_ATTEMPTS": 10,
    "SMS_RETRY_BASE_SECONDS": 30.0,
    "SMS_RETRY_MAX_SECONDS": 3600.0,
    # How long a message whose outcome is unknown (a timeout, or a claim left by
    # a stopped dispatcher) waits for Twilio's status callback before it is sent again.
    "SMS_UNKNOWN_RECHECK_SECONDS": 600.0,
    # Quiet hours for older people and relatives, Helsinki time.
    "SMS_QUIET_START_HOUR": 21,
    "SMS_QUIET_END_HOUR": 8,
    # Retention
    "SMS_RETENTION_DAYS": 365,
    "ALERT_RETENTION_DAYS": 365,
}


def setting(key: str) -> Any:
    return current_app.config.get(key, DEFAULTS[key])
