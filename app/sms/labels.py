"""Words for statuses, kinds (from :mod:`app.sms.kinds`) and errors of messages, in the user's language."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.sms import kinds
from app.sms.voice_texts import KEYPAD

STATUS_LABELS = {
    "queued": _l("Waiting to be sent"),
    "held": _l("Held for the morning"),
    "sending": _l("Being sent"),
    "sent": _l("Sent"),
    "delivered": _l("Delivered"),
    "undelivered": _l("Not delivered"),
    "failed": _l("Failed"),
    "received": _l("Received"),
}
STATUS_BADGE = {
    "delivered": "ok",
    "sent": "ok",
    "received": "ok",
    "undelivered": "warn",
    "failed": "warn",
    "held": "warn",
}

ERROR_LABELS = {
    "opted_out": _l("The recipient has stopped text messages."),
    "stale": _l("Not sent: the errand had already begun."),
    "gave_up": _l("No answer from the SMS service; not sent."),
    "21211": _l("The phone number is not valid."),
    "21610": _l("The recipient has stopped text messages."),
    "21614": _l("The number cannot receive text messages."),
    "timeout": _l("The SMS service did not answer in time; checking."),
}


#: Twilio's call statuses (and "machine": an answering machine picked up).
CALL_STATUS_LABELS = {
    "queued": _l("Call waiting"),
    "initiated": _l("Calling"),
    "ringing": _l("Ringing"),
    "in-progress": _l("Answered"),
    "completed": _l("Call ended"),
    "busy": _l("Line busy"),
    "no-answer": _l("No answer"),
    "machine": _l("An answering machine answered"),
    "failed": _l("The call failed"),
    "canceled": _l("The call was cancelled"),
}
#: What a key meant after each keypad question (feedback keys are scores).
KEY_LABELS = {
    "answer": {"1": _l("1: suits them"), "2": _l("2: cannot make it (cancelled)"), "3": _l("3: call back")},
    "coordinator": {"3": _l("3: call back")},
}


def call_status_label(status: str | None) -> str:
    return str(CALL_STATUS_LABELS.get(status or "", status or ""))


def keys_label(kind: str, digits: str | None) -> str:
    """The keys pressed in a call, with what each meant: "1: suits them", "score 4"."""
    keypad = KEYPAD.get(kind, "coordinator")
    words = []
    for key in digits or "":
        if keypad == "feedback":
            words.append(_("score %(n)s", n=key))
        else:
            words.append(str(KEY_LABELS.get(keypad, {}).get(key, key)))
    return ", ".join(words)


def status_label(status: str) -> str:
    return str(STATUS_LABELS.get(status, status))


def kind_label(kind: str) -> str:
    return kinds.label(kind)


def error_label(code: str | None, text: str | None) -> str:
    if not code:
        return ""
    label = ERROR_LABELS.get(code)
    return str(label) if label is not None else f"{code}: {text or ''}".strip()
