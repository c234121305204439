"""The scheduler's jobs: plain functions ``job_x(now) -> int`` that read and
write tables, commit, and return how many things they did.

They need an application context (the scheduler gives each run its own) and
can be called directly in tests or from ``flask --app wsgi scheduler --once``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from app import rollups
from app.auth.sessions import purge_sessions
from app.errands.lifecycle import expire_offers
from app.errands.requests import generate_due_errands
from app.extensions import db
from app.models import utcnow
from app.privacy import provider
from app.privacy.retention import anonymise_expired
from app.rollups import local_day
from app.scheduling import activity_reminders, escalation, reminders, retention
from app.sms.dispatcher import dispatch_outbox

log = logging.getLogger(__name__)


def job_dispatch_sms(now: datetime | None = None, *, should_stop: Callable[[], bool] | None = None) -> int:
    """Send the due messages of the SMS outbox."""
    return dispatch_outbox(now or utcnow(), should_stop=should_stop).sent


def job_reminders(now: datetime | None = None) -> int:
    count = reminders.create_due_reminders(now or utcnow())
    db.session.commit()
    return count


def job_activity_reminders(now: datetime | None = None) -> int:
    """Shared activities: the day-before reminders and the under-minimum alerts."""
    count = activity_reminders.create_activity_reminders(now or utcnow())
    db.session.commit()
    return count


def job_escalate(now: datetime | None = None) -> int:
    count = escalation.escalate(now or utcnow())
    db.session.commit()
    return count


def job_expire_offers(now: datetime | None = None) -> int:

    count = expire_offers(now or utcnow())
    db.session.commit()
    return count


def job_generate_errands(now: datetime | None = None) -> int:

    count = generate_due_errands(now or utcnow())
    db.session.commit()
    return count


def job_feedback_requests(now: datetime | None = None) -> int:
    count = reminders.create_feedback_requests(now or utcnow())
    db.session.commit()
    return count


def job_purge(now: datetime | None = None) -> int:

    now = now or utcnow()
    count = retention.purge(now) + purge_sessions(now)
    db.session.commit()
    return count


def job_anonymise_ended(now: datetime | None = None) -> int:
    """Clear notes of ended residents and erase those ended longer ago than
    ``PERSON_RETENTION_MONTHS``; logs the report, returns how many residents it changed."""

    report = anonymise_expired(now or utcnow())
    db.session.commit()
    log.info("Retention of ended residents: %s", report.as_dict())
    return report.total


def job_provider_erasure(now: datetime | None = None) -> int:
    """Delete at the SMS provider the copies of erased people's messages (retried
    until the provider confirms); logs the report, returns how many were finished."""

    report = provider.run(now or utcnow())
    if report.done or report.retrying:
        log.info("Provider copies of erased people's SMS: %s", report.as_dict())
    return report.done


def job_rollups(now: datetime | None = None) -> int:
    """Rebuild the report rollups of the weeks around today (a repair: the services keep
    them in step as things change); returns how many days."""
    today = local_day(now or utcnow())
    count = rollups.rebuild_days(
        today - timedelta(days=rollups.REPAIR_DAYS_BEHIND), today + timedelta(days=rollups.REPAIR_DAYS_AHEAD)
    )
    rollups.recount_people()
    db.session.commit()
    return count


@dataclass(frozen=True)
class JobSpec:
    """One periodic job: its id, function, and how often it runs."""

    id: str
    func: Callable[..., int]
    interval_key: str | None = None  # a settings key (seconds); None: daily at ``daily_at``
    daily_at: tuple[int, int] | None = None


# Order matters for ``--once``: work that creates messages runs before the dispatcher.
JOBS: tuple[JobSpec, ...] = (
    JobSpec("generate-errands", job_generate_errands, "SCHEDULER_GENERATE_SECONDS"),
    JobSpec("expire-offers", job_expire_offers, "SCHEDULER_EXPIRY_SECONDS"),
    JobSpec("escalate", job_escalate, "SCHEDULER_ESCALATION_SECONDS"),
    JobSpec("reminders", job_reminders, "SCHEDULER_REMINDER_SECONDS"),
    JobSpec("activity-reminders", job_activity_reminders, "SCHEDULER_REMINDER_SECONDS"),
    JobSpec("feedback-requests", job_feedback_requests, "SCHEDULER_FEEDBACK_SECONDS"),
    JobSpec("sms-dispatch", job_dispatch_sms, "SCHEDULER_DISPATCH_SECONDS"),
    JobSpec("retention", job_purge, daily_at=(3, 30)),
    JobSpec("anonymise-ended", job_anonymise_ended, daily_at=(3, 45)),
    JobSpec("rollups", job_rollups, daily_at=(4, 0)),
    # after the erasures: their copies at the provider go in the same ``--once``
    JobSpec("provider-erasure", job_provider_erasure, "SCHEDULER_PROVIDER_ERASURE_SECONDS"),
)
