"""Feedback by SMS: a digit 1-5 answering the latest feedback request to that number
(or the same key pressed in an automated call: ``via="voice"``).

Registered with :mod:`app.sms.inbound` by ``create_app``. The score goes
through :func:`app.encounters.operations.record_feedback`, as on the web, so it
is checked and audited the same way (``via="sms"``, no user).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from app import rollups
from app.encounters.operations import EncounterError, record_feedback
from app.errands.notifications import command_reply
from app.extensions import db
from app.models import Encounter, EncounterParticipant, SmsMessage
from app.sms.inbound import Outcome
from app.sms.keywords import Command
from app.sms.people import Sender

#: A digit answers a feedback request sent at most this many days ago.
FEEDBACK_REPLY_DAYS = 14


def handle(sender: Sender, command: Command, lang: str, now: datetime) -> Outcome | None:
    """Record the score for the errand of the latest feedback request; None when there is none."""
    request = db.session.scalar(
        sa.select(SmsMessage)
        .where(
            SmsMessage.direction == "out",
            SmsMessage.kind == "feedback_request",
            SmsMessage.to_phone == sender.phone,
            SmsMessage.created_at >= now - timedelta(days=FEEDBACK_REPLY_DAYS),
            SmsMessage.errand_id.is_not(None),
        )
        .order_by(SmsMessage.created_at.desc(), SmsMessage.id.desc())
        .limit(1)
    )
    if request is None or command.score is None:
        return None
    encounter = db.session.scalar(sa.select(Encounter).where(Encounter.errand_id == request.errand_id))
    if encounter is None:
        return None
    if request.helper_id is not None:
        who = {"helper_id": request.helper_id}
    elif request.elder_id is not None:
        who = {"elder_id": request.elder_id}
    else:
        return None
    participant = next((p for p in encounter.participants if all(getattr(p, k) == v for k, v in who.items())), None)
    if participant is None:
        participant = EncounterParticipant(**who)
        encounter.participants.append(participant)
        db.session.flush()
        rollups.touch(encounter)
    comment = command.comment[:2000] if command.comment else None
    try:
        record_feedback(encounter, participant.id, command.score, comment, via=command.channel, by=None)
    except EncounterError:
        return None
    # A comment is for a person to read; a bare number is filed.
    return Outcome(
        command_reply("feedback", lang), "feedback", errand_id=request.errand_id, handled=not command.comment
    )
