"""A yes or no by SMS (or keys 1 and 2 in an invitation call) to an activity invitation:
recorded exactly as a web sign-up.

Registered with :mod:`app.sms.inbound` by ``create_app`` for the accept and decline
commands, before the errands' handler. It answers only a bare ``KYLLÄ``/``JA``/``YES`` or
``EI``/``NEJ``/``NO`` (no errand code) from a number with an open invitation: the latest
unanswered one sent to that number for an activity still ahead. Anything else passes (None)
to the errands' handler.
"""

from __future__ import annotations

from datetime import datetime

from app.activities import texts
from app.activities.errors import ActivityError
from app.activities.invitations import open_invitation
from app.activities.signups import Person, sign_up
from app.extensions import db
from app.models import Activity
from app.sms.inbound import Outcome
from app.sms.keywords import Command
from app.sms.people import Sender


def answer(sender: Sender, command: Command, lang: str, now: datetime) -> Outcome | None:
    if command.code is not None or command.name not in ("accept", "decline"):
        return None
    invitation = open_invitation(sender.phone, now)
    if invitation is None:
        return None
    activity = db.session.get(Activity, invitation.activity_id)
    invitation.answered_at = now
    if command.name == "decline":
        invitation.answer = "no"
        db.session.flush()
        return Outcome(texts.answer_text("declined", activity, lang), "activity_no")
    invitation.answer = "yes"
    person = Person("young", invitation.helper_id) if invitation.helper_id else Person("old", invitation.elder_id)
    try:
        signup = sign_up(activity.id, person, via=command.channel, now=now)
    except ActivityError:
        return Outcome(texts.answer_text("closed", activity, lang), "activity_yes", handled=False)
    return Outcome(texts.answer_text(signup.status, activity, lang), "activity_yes", extra={"status": signup.status})
