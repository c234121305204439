"""Scheduling settings with their defaults (``current_app.config`` wins)."""

from __future__ import annotations

from typing import Any

from flask import current_app

DEFAULTS: dict[str, Any] = {
    # Single instance
    "SCHEDULER_LOCK_KEY": 7_305_441_620_219_251,  # PostgreSQL advisory lock id
    "SCHEDULER_LOCK_RETRY_SECONDS": 15.0,
    "SCHEDULER_LOCK_CHECK_SECONDS": 30.0,
    # How often each job runs (seconds)
    "SCHEDULER_DISPATCH_SECONDS": 5,
    "SCHEDULER_REMINDER_SECONDS": 60,
    "SCHEDULER_ESCALATION_SECONDS": 300,
    "SCHEDULER_EXPIRY_SECONDS": 300,
    "SCHEDULER_FEEDBACK_SECONDS": 600,
    "SCHEDULER_GENERATE_SECONDS": 3600,
    # Reminders (Helsinki wall-clock hours)
    "REMINDER_DAY_BEFORE_HOUR": 18,
    "REMINDER_HOURS_BEFORE": 2,
    "REMINDER_CALL_HOUR": 9,  # the day before: a coordinator calls people without SMS
    # Escalation of errands without a helper
    "ESCALATION_FIRST_HOURS": 48,
    "ESCALATION_SECOND_HOURS": 24,
    "ESCALATION_OFFER_COUNT": 8,  # helpers offered in all at the first step; doubled at the second
    "ESCALATION_GRACE_MINUTES": 60,  # leave a new errand to the coordinator this long
    # Feedback requests after an errand
    "FEEDBACK_DELAY_HOURS": 2,
    "FEEDBACK_WINDOW_DAYS": 2,
    # Repeating requests
    "ERRAND_HORIZON_DAYS": 21,
}


def setting(key: str) -> Any:
    return current_app.config.get(key, DEFAULTS[key])
