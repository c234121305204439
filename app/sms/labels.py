"""Words for statuses, kinds (from :mod:`app.sms.kinds`) and errors of messages, in the user's language."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.sms import kinds

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


def status_label(status: str) -> str:
    return str(STATUS_LABELS.get(status, status))


def kind_label(kind: str) -> str:
    return kinds.label(kind)


def error_label(code: str | None, text: str | None) -> str:
    if not code:
        return ""
    label = ERROR_LABELS.get(code)
    return str(label) if label is not None else f"{code}: {text or ''}".strip()
