"""How long an older resident's data is kept after their service ends.

* When a resident is ended (``app.elders.intake.change_status``), their health
  notes and door and access notes are cleared at once and ``ended_at`` is
  stamped; this module reads that date as the start of the retention period
  (made active again, the date is cleared and the period stops).
* ``PERSON_RETENTION_MONTHS`` (default 24) after the end, the scheduler's
  ``anonymise-ended`` job erases them with :func:`app.privacy.erasure.erase_elder`
  (reason code ``retention``, shown translated; no actor). 0 turns the automatic erasure off.
* The job reports what it did: a :class:`RetentionReport`, logged by the job and
  written to the audit log (``privacy.retention`` with its counts), where
  admins read it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from dateutil.relativedelta import relativedelta
from flask import current_app

from app.audit import record
from app.extensions import db
from app.models import Elder, utcnow
from app.privacy.erasure import ErasureError, coming_errands, erase_elder

log = logging.getLogger(__name__)

#: The audit log's action of a run's report (its counts in the details).
RETENTION_ACTION = "privacy.retention"
#: The audit log's reason code of an erasure at the end of the retention period (``labels.REASON_CODES``).
RETENTION_REASON = "retention"


@dataclass
class RetentionReport:
    notes_cleared: int = 0  # ended residents who still had health or access notes
    clocks_started: int = 0  # ended residents with no end time (ended before it was kept): counted from now
    elders_erased: int = 0
    contacts_erased: int = 0
    messages_blanked: int = 0
    skipped_coming_errands: int = 0  # erasure waits until their coming errands are gone
    provider_copies: int = 0  # their SMS queued for deletion at the SMS provider

    @property
    def total(self) -> int:
        return self.notes_cleared + self.clocks_started + self.elders_erased

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


def retention_months() -> int:
    return int(current_app.config.get("PERSON_RETENTION_MONTHS", 24))


def anonymise_expired(now: datetime | None = None) -> RetentionReport:
    """Clear what ending should have cleared, then erase the residents whose
    retention period is over. The caller commits."""
    now = now or utcnow()
    report = RetentionReport()
    ended = list(db.session.scalars(sa.select(Elder).where(Elder.status == "ended", Elder.erased_at.is_(None))))
    for elder in ended:
        if elder.clear_notes():
            report.notes_cleared += 1
        if elder.ended_at is None:
            elder.ended_at = now
            report.clocks_started += 1
    months = retention_months()
    if months > 0:
        cutoff = now - relativedelta(months=months)
        for elder in ended:
            if elder.ended_at is None or elder.ended_at > cutoff:
                continue
            if coming_errands(elder, now):
                report.skipped_coming_errands += 1
                continue
            try:
                erased = erase_elder(elder, by=None, reason_code=RETENTION_REASON, now=now)
            except ErasureError as exc:  # pragma: no cover - guarded above
                log.warning("Retention: resident %s not erased (%s)", elder.id, exc.code)
                continue
            report.elders_erased += 1
            report.contacts_erased += erased.contacts
            report.messages_blanked += erased.messages_blanked
            report.provider_copies += erased.provider_copies
    record(RETENTION_ACTION, None, actor=None, months=months, **report.as_dict())
    db.session.flush()
    return report
