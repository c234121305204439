"""What the codes of a call and a callback read as, in the reader's language."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

CALLER_KINDS = {
    "elder": _l("Older person"),
    "relative": _l("Relative"),
    "helper": _l("Helper"),
    "other": _l("Someone else"),
}
TOPICS = {
    "new_request": _l("Asks for help"),
    "change": _l("Change to an errand"),
    "cancel": _l("Cancels an errand"),
    "question": _l("Question"),
    "feedback": _l("Feedback"),
    "other": _l("Something else"),
}
OUTCOMES = {
    "handled": _l("Handled on the phone"),
    "request_taken": _l("Request taken"),
    "callback": _l("Call back later"),
    "forwarded": _l("Passed on to another coordinator"),
}
CALLBACK_OUTCOMES = {
    "done": _l("Called back"),
    "not_reached": _l("Not reached"),
}
