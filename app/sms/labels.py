"""Words for statuses, kinds and errors of messages, in the user's language."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

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

KIND_LABELS = {
    "offer": _l("Errand offer"),
    "confirmation": _l("Confirmation to the helper"),
    "elder_confirmation": _l("Confirmation to the older person"),
    "elder_withdrawal": _l("Helper cannot come"),
    "cancellation": _l("Cancellation"),
    "reminder_helper_day": _l("Reminder to the helper (day before)"),
    "reminder_helper_soon": _l("Reminder to the helper (two hours before)"),
    "reminder_elder_day": _l("Reminder to the older person (day before)"),
    "feedback_request": _l("Feedback request"),
    "manual": _l("Written by a coordinator"),
    "auto_reply": _l("Automatic answer"),
    "guardian_consent": _l("Guardian consent request"),
    "helper_approved": _l("Helper approved"),
    "accept": _l("Reply: takes the errand"),
    "decline": _l("Reply: cannot take the errand"),
    "done": _l("Reply: errand done"),
    "cancel": _l("Reply: cancels the errand"),
    "feedback": _l("Reply: feedback"),
    "stop": _l("Reply: stop messages"),
    "start": _l("Reply: start messages"),
    "help": _l("Reply: asks for help"),
    "consent": _l("Reply: guardian consent"),
    "other": _l("Message for a coordinator"),
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


def status_label(status: str) -> str:
    return str(STATUS_LABELS.get(status, status))


def kind_label(kind: str) -> str:
    return str(KIND_LABELS.get(kind, kind))


def error_label(code: str | None, text: str | None) -> str:
    if not code:
        return ""
    label = ERROR_LABELS.get(code)
    return str(label) if label is not None else f"{code}: {text or ''}".strip()
