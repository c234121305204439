"""Every kind of message in the SMS log, declared once with its properties.

An outgoing kind says how many segments its longest text may cost (the
tests render each kind with real-length names, places and the public URL and
hold it to this), whether it goes stale (not sent once its errand has begun:
the dispatcher fails it with ``stale``) and whether it cancels an errand (it
may then break the quiet hours, :func:`app.sms.rules.cancellation_is_urgent`). Incoming kinds say
what a reply asked for. The label is what the SMS log shows.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class MessageKind:
    label: object  # a lazy string
    direction: str = "out"  # "out" or "in"
    segments: int | None = 1  # at most this many segments (outgoing kinds)
    stale_at_start: bool = False  # not sent once its errand has begun
    cancels: bool = False  # tells that an errand is off: may break quiet hours when the errand is close


def _in(label: object) -> MessageKind:
    return MessageKind(label, direction="in", segments=None)


KINDS: dict[str, MessageKind] = {
    # What an errand says (texts in app.errands.notifications).
    "offer": MessageKind(_l("Errand offer"), stale_at_start=True),
    "confirmation": MessageKind(_l("Confirmation to the helper")),
    "elder_confirmation": MessageKind(_l("Confirmation to the older person")),
    "elder_withdrawal": MessageKind(_l("Helper cannot come")),
    "cancellation": MessageKind(_l("Cancellation"), cancels=True),
    "reminder_helper_day": MessageKind(_l("Reminder to the helper (day before)"), stale_at_start=True),
    "reminder_helper_soon": MessageKind(_l("Reminder to the helper (two hours before)"), stale_at_start=True),
    "reminder_elder_day": MessageKind(_l("Reminder to the older person (day before)"), stale_at_start=True),
    "feedback_request": MessageKind(_l("Feedback request")),
    # The week plan's offers, several errands in one text (app.planning.texts).
    "week_offer": MessageKind(_l("Week's errand offers"), segments=4),
    # What a shared activity says (texts in app.activities.texts).
    "activity_invitation": MessageKind(_l("Activity invitation")),
    "activity_place_opened": MessageKind(_l("Activity: a place opened")),
    "activity_reminder": MessageKind(_l("Activity reminder (day before)")),
    # Other outgoing messages.
    "manual": MessageKind(_l("Written by a coordinator"), segments=4),  # MAX_MANUAL_LENGTH (480) GSM-7 characters
    "auto_reply": MessageKind(_l("Automatic answer")),
    "guardian_consent": MessageKind(_l("Guardian consent request"), segments=2),
    "helper_approved": MessageKind(_l("Helper approved")),
    # Incoming: what a reply asked for.
    "accept": _in(_l("Reply: takes the errand")),
    "accept_all": _in(_l("Reply: takes all the errands offered")),
    "decline": _in(_l("Reply: cannot take the errand")),
    "done": _in(_l("Reply: errand done")),
    "cancel": _in(_l("Reply: cancels the errand")),
    "feedback": _in(_l("Reply: feedback")),
    "stop": _in(_l("Reply: stop messages")),
    "start": _in(_l("Reply: start messages")),
    "help": _in(_l("Reply: asks for help")),
    "consent": _in(_l("Reply: guardian consent")),
    "activity_yes": _in(_l("Reply: comes to the activity")),
    "activity_no": _in(_l("Reply: does not come to the activity")),
    "other": _in(_l("Message for a coordinator")),
}

OUTGOING = tuple(name for name, kind in KINDS.items() if kind.direction == "out")


def goes_stale(name: str) -> bool:
    """True when a message of this kind is pointless once its errand has begun."""
    kind = KINDS.get(name)
    return kind is not None and kind.stale_at_start


def cancels(name: str) -> bool:
    """True when a message of this kind tells that an errand is off (see :mod:`app.sms.rules`)."""
    kind = KINDS.get(name)
    return kind is not None and kind.cancels


def label(name: str) -> str:
    kind = KINDS.get(name)
    return str(kind.label) if kind is not None else name
