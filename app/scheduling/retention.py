"""Keeping personal data only as long as needed.

* SMS bodies older than ``SMS_RETENTION_DAYS`` (default 365) are blanked: sent
  or finished outgoing ones and handled incoming ones. The row stays (who,
  when, status) for the log and the statistics; an incoming message nobody
  has handled yet keeps its text until a coordinator has read it.
* Handled coordinator alerts older than ``ALERT_RETENTION_DAYS`` are deleted.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from app.extensions import db
from app.models import CoordinatorAlert, SmsMessage
from app.sms.settings import setting

FINISHED_OUT = ("sent", "delivered", "undelivered", "failed")


def purge(now: datetime) -> int:
    """Apply the retention settings; returns how many rows changed."""
    cutoff = now - timedelta(days=float(setting("SMS_RETENTION_DAYS")))
    blanked = db.session.execute(
        sa.update(SmsMessage)
        .where(
            SmsMessage.created_at < cutoff,
            SmsMessage.body != "",
            sa.or_(
                sa.and_(SmsMessage.direction == "out", SmsMessage.status.in_(FINISHED_OUT)),
                sa.and_(SmsMessage.direction == "in", SmsMessage.handled.is_(True)),
            ),
        )
        .values(body="", last_error=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    alert_cutoff = now - timedelta(days=float(setting("ALERT_RETENTION_DAYS")))
    deleted = db.session.execute(
        sa.delete(CoordinatorAlert)
        .where(CoordinatorAlert.resolved_at.is_not(None), CoordinatorAlert.resolved_at < alert_cutoff)
        .execution_options(synchronize_session=False)
    ).rowcount
    return (blanked or 0) + (deleted or 0)
