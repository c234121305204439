"""Copies of an erased person's SMS at the provider.

Twilio keeps every message it sent or received (body and numbers) in its own
log. An erasure cannot call Twilio inside the web request (it may be slow or
down), so it writes the provider ids of the person's messages to a small
queue (``provider_erasures``, :func:`queue`) in the same transaction, and the
scheduler's ``provider-erasure`` job (:func:`process`) deletes each one at the
provider with the real client (``client.messages(sid).delete()``):

* deleted (204) or no longer there (404): done;
* any other answer (Twilio down, a timeout, a message still being sent) is
  tried again later, waiting ``SMS_RETRY_BASE_SECONDS`` doubled each time up
  to ``SMS_RETRY_MAX_SECONDS``, until the provider confirms. After
  ``SMS_MAX_ATTEMPTS`` refusals that are not temporary (a 4xx other than
  401/404/409/429) the entry is marked "failed" and logged as an error.

With the outbox backend (no provider) every entry is simply marked done
("local"): the messages never left the platform.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from app.audit import record
from app.extensions import db
from app.models import ProviderErasure, utcnow
from app.sms.backends import DeleteFailed, SmsBackend
from app.sms.dispatcher import current_backend
from app.sms.settings import setting

log = logging.getLogger(__name__)

#: The audit log's action of a run that finished entries (its counts in the details).
PROVIDER_ACTION = "privacy.provider_erasure"
#: Entries handled in one run of the job.
BATCH = 200
#: Twilio error codes and HTTP statuses that pass (retried without counting towards giving up):
#: outages, rate limits, a message still being sent, and wrong credentials (a setting to fix,
#: after which the copies must still go).
TEMPORARY = frozenset({"timeout", "connection_error", "409", "429", "20003", "20009", "20429", "20500", "20503"})


@dataclass
class ProviderErasureReport:
    deleted: int = 0  # the provider deleted its copy
    gone: int = 0  # the provider no longer had it
    local: int = 0  # never left the platform (outbox backend)
    retrying: int = 0
    failed: int = 0

    @property
    def done(self) -> int:
        return self.deleted + self.gone + self.local + self.failed

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


def queue(sids: Iterable[str | None]) -> int:
    """Put the provider ids ``sids`` in the queue (the caller's transaction commits them); returns how many are new."""
    wanted = {s for s in sids if s}
    if not wanted:
        return 0
    known = set(
        db.session.scalars(sa.select(ProviderErasure.provider_sid).where(ProviderErasure.provider_sid.in_(wanted)))
    )
    new = sorted(wanted - known)
    db.session.add_all(ProviderErasure(provider_sid=sid) for sid in new)
    return len(new)


def pending() -> int:
    """How many copies at the provider are still to be deleted."""
    return db.session.scalar(sa.select(sa.func.count(ProviderErasure.id)).where(ProviderErasure.done_at.is_(None)))


def _delay(attempts: int) -> timedelta:
    base = float(setting("SMS_RETRY_BASE_SECONDS"))
    return timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), float(setting("SMS_RETRY_MAX_SECONDS"))))


def _finish(entry: ProviderErasure, outcome: str, now: datetime) -> None:
    entry.outcome = outcome
    entry.done_at = now
    entry.next_attempt_at = None


def process(now: datetime, backend: SmsBackend) -> ProviderErasureReport:
    """Delete the due queued copies at the provider; commits after each one."""
    report = ProviderErasureReport()
    deleter = getattr(backend, "delete_message", None)
    due = list(
        db.session.scalars(
            sa.select(ProviderErasure)
            .where(
                ProviderErasure.done_at.is_(None),
                sa.or_(ProviderErasure.next_attempt_at.is_(None), ProviderErasure.next_attempt_at <= now),
            )
            .order_by(ProviderErasure.id)
            .limit(BATCH)
        )
    )
    for entry in due:
        if deleter is None or not entry.provider_sid.startswith("SM"):
            _finish(entry, "local", now)  # the outbox's own ids, or no provider at all
            report.local += 1
            db.session.commit()
            continue
        entry.attempts += 1
        try:
            outcome = deleter(entry.provider_sid)
        except DeleteFailed as exc:
            entry.last_error = str(exc)[:300]
            if (
                exc.code not in TEMPORARY
                and not exc.code.startswith("5")
                and entry.attempts >= int(setting("SMS_MAX_ATTEMPTS"))
            ):
                _finish(entry, "failed", now)
                report.failed += 1
                log.error("Provider copy %s not deleted after %s attempts: %s", entry.provider_sid, entry.attempts, exc)
            else:
                entry.next_attempt_at = now + _delay(entry.attempts)
                report.retrying += 1
                log.warning("Provider copy %s not deleted yet (%s); will retry", entry.provider_sid, exc)
        else:
            _finish(entry, outcome, now)
            entry.last_error = None
            if outcome == "deleted":
                report.deleted += 1
            else:
                report.gone += 1
        db.session.commit()
    if report.done:
        record(PROVIDER_ACTION, None, actor=None, **report.as_dict())
        db.session.commit()
    return report


def run(now: datetime | None = None) -> ProviderErasureReport:
    """The scheduler job's work with the configured backend."""
    return process(now or utcnow(), current_backend())
