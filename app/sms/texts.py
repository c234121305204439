"""The answers about SMS itself: stop, start, help and "a coordinator will read it".

What an errand says (offers, reminders, answers to errand commands) lives in
:mod:`app.errands.notifications` and :mod:`app.errands.error_texts`. The
reply words come from :func:`app.sms.keywords.reply_word`.
"""

from __future__ import annotations

from flask_babel import force_locale
from flask_babel import gettext as _

from app.sms.keywords import reply_word

SMS_LANGUAGES = ("fi", "sv")


def sms_language(language: str | None) -> str:
    return language if language in SMS_LANGUAGES else "fi"


def sms_reply(what: str, language: str) -> str:
    """The answer to an incoming SMS about messages themselves, by situation."""
    language = sms_language(language)
    with force_locale(language):
        texts = {
            "stopped": lambda: _(
                "You will get no more text messages from us. To start again, reply %(word)s.",
                word=reply_word("start", language),
            ),
            "started": lambda: _(
                "Text messages are on again. To stop them, reply %(word)s.", word=reply_word("stop", language)
            ),
            "help": lambda: _(
                "Everyday rescuers: reply %(yes)s or %(no)s and the code to an offer, "
                "%(cancel)s and the code to cancel, %(stop)s to stop messages. Questions: call your coordinator. "
                "In an emergency call 112.",
                yes=reply_word("accept", language),
                no=reply_word("decline", language),
                cancel=reply_word("cancel", language),
                stop=reply_word("stop", language),
            ),
            "received": lambda: _("Thank you for your message. A coordinator will read it."),
        }
        return texts[what]()
