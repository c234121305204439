"""What shared activities say by SMS: invitations, a place that opened, reminders and the
answers to a yes or no. One GSM-7 segment where it fits; no health data, never an address
of a person (the place is a public one).

Texts to the older person's side may reach a relative, so they do not say "you".
"""

from __future__ import annotations

from flask_babel import force_locale
from flask_babel import gettext as _

from app.errands.notifications import when
from app.models import Activity
from app.sms.keywords import reply_word
from app.sms.texts import sms_language

#: Titles are cut to this many characters in an SMS so that one segment holds the whole text.
SMS_TITLE = 32
SMS_PLACE = 28


def _clip(text: str, limit: int) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "."


def _words(activity: Activity, language: str) -> dict[str, str]:
    return {
        "title": _clip(activity.title, SMS_TITLE),
        "place": _clip(activity.place.name, SMS_PLACE),
        **when(activity.starts_at, activity.ends_at),
        "yes": reply_word("accept", language),
        "no": reply_word("decline", language),
    }


def invitation_text(activity: Activity, language: str, *, to_older_side: bool) -> str:
    language = sms_language(language)
    with force_locale(language):
        words = _words(activity, language)
        if to_older_side:
            return _(
                "Everyday rescuers: %(title)s %(day)s at %(start)s, %(place)s. Welcome! Reply %(yes)s or %(no)s.",
                **words,
            )
        return _(
            "Everyday rescuers: %(title)s %(day)s at %(start)s, %(place)s. Will you come? Reply %(yes)s or %(no)s.",
            **words,
        )


def place_opened_text(activity: Activity, language: str) -> str:
    language = sms_language(language)
    with force_locale(language):
        return _(
            "Everyday rescuers: a place opened. %(title)s %(day)s at %(start)s, %(place)s. The place is now booked.",
            **_words(activity, language),
        )


def reminder_text(activity: Activity, language: str) -> str:
    language = sms_language(language)
    with force_locale(language):
        return _(
            "Everyday rescuers reminder: %(title)s tomorrow %(day)s at %(start)s, %(place)s. Welcome!",
            **_words(activity, language),
        )


def answer_text(what: str, activity: Activity | None, language: str) -> str:
    """The answer to a yes or no to an invitation."""
    language = sms_language(language)
    with force_locale(language):
        words = _words(activity, language) if activity is not None else {}
        texts = {
            "signed_up": lambda: _("Thank you! See you %(day)s at %(start)s, %(place)s.", **words),
            "waiting": lambda: _(
                "Thank you! %(title)s is full, so the sign-up is on the waiting list. We will tell if a place opens.",
                **words,
            ),
            "declined": lambda: _("Thank you for the answer. Maybe next time!"),
            "closed": lambda: _("Sorry, this activity can no longer be joined. A coordinator will read your message."),
        }
        return texts[what]()
