"""What an automated call says, written for the ear, in fi, sv and en.

Short sentences (each is said on its own, slowly, with a pause after it),
times as people say them (:func:`app.i18n.spoken_when`: "tiistaina kello
kymmenen", "på tisdag klockan tio"), the helper by first name only, no
address and never health data. A call is stored in the outbox as its
:class:`Script`: what is said (twice) and the keypad question after it.

The SMS texts of the same messages are in :mod:`app.errands.notifications`
and :mod:`app.sms.texts`; the keypad's meaning in :mod:`app.sms.voice_answers`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import force_locale
from flask_babel import gettext as _

from app.i18n import spoken_day, spoken_when

VOICE_LANGUAGES = ("fi", "sv", "en")
#: <Say language=...> for each language (Twilio has no sv-FI voice).
SAY_LANGUAGE = {"fi": "fi-FI", "sv": "sv-SE", "en": "en-GB"}
#: What the keypad does after a message of each kind: "answer" (1 confirm, 2 cannot,
#: 3 coordinator), "invitation" (1 coming, 2 not coming, 3 coordinator), "feedback" (1-5)
#: or "coordinator" (3 only).
KEYPAD = {
    "reminder_elder_day": "answer",
    "elder_confirmation": "answer",
    "elder_withdrawal": "coordinator",
    "feedback_request": "feedback",
    "activity_invitation": "invitation",
    "activity_reminder": "coordinator",
    "activity_place_opened": "coordinator",
    "manual": "coordinator",
}
PARAGRAPH = "\n\n"


def voice_language(language: str | None) -> str:
    return language if language in VOICE_LANGUAGES else "fi"


@dataclass(frozen=True)
class Script:
    """A call's words: ``text`` is said twice, then ``question`` asks for a key."""

    text: str
    question: str = ""

    @property
    def body(self) -> str:
        """As stored in the outbox (and shown on the message log)."""
        return f"{self.text}{PARAGRAPH}{self.question}" if self.question else self.text

    @classmethod
    def from_body(cls, body: str) -> Script:
        text, _sep, question = body.rpartition(PARAGRAPH)
        return cls(text, question) if text else cls(body)


def sentences(text: str) -> list[str]:
    """The sentences of ``text``, each to be said with a pause after it."""
    parts: list[str] = []
    for chunk in text.replace("\n", " ").split(". "):
        chunk = chunk.strip()
        if chunk:
            parts.append(chunk if chunk[-1] in ".!?" else chunk + ".")
    return parts


def question(keypad: str, language: str) -> str:
    """The keypad question for a kind's ``keypad`` (see :data:`KEYPAD`)."""
    with force_locale(voice_language(language)):
        if keypad == "answer":
            return _("If this suits you, press 1. If you cannot make it, press 2. To talk to the coordinator, press 3.")
        if keypad == "invitation":
            return _(
                "If you would like to come, press 1. If you cannot come, press 2. To talk to the coordinator, press 3."
            )
        if keypad == "feedback":
            return _("Press a number from 1 to 5. 5 means very good, 1 means poor.")
        return _("To talk to the coordinator, press 3.")


def script(kind: str, text: str, language: str) -> Script:
    return Script(text, question(KEYPAD.get(kind, "coordinator"), language))


# --------------------------------------------------------------------------
# What is said about an errand (to the older person's own phone)
# --------------------------------------------------------------------------


def errand_script(
    kind: str, helper: str, starts_at: datetime, task: str, language: str, now: datetime | None = None
) -> Script:
    """What a call of ``kind`` about an errand says: ``reminder_elder_day``, ``elder_confirmation``,
    ``elder_withdrawal`` or ``feedback_request``. ``helper``: first name(s) only; ``now``: when
    the call is queued (for "huomenna", "eilen")."""
    language = voice_language(language)
    with force_locale(language):
        when = spoken_when(starts_at, language, now)
        texts = {
            "reminder_elder_day": lambda: _(
                "Hello, this is Everyday rescuers. A reminder: %(helper)s comes to help %(when)s. "
                "The help is: %(task)s.",
                helper=helper,
                when=when,
                task=task,
            ),
            "elder_confirmation": lambda: _(
                "Hello, this is Everyday rescuers. A helper has been found. %(helper)s comes to help %(when)s. "
                "The help is: %(task)s.",
                helper=helper,
                when=when,
                task=task,
            ),
            "elder_withdrawal": lambda: _(
                "Hello, this is Everyday rescuers. %(helper)s cannot come %(when)s after all. "
                "We are looking for another helper and will call you again.",
                helper=helper,
                when=when,
            ),
            "feedback_request": lambda: _(
                "Hello, this is Everyday rescuers. %(helper)s helped you %(day)s. How did the help go?",
                helper=helper,
                day=spoken_day(starts_at, language, now),
            ),
        }
        text = texts[kind]()
    return script(kind, text, language)


def activity_script(
    kind: str, activity: str, place: str, starts_at: datetime, language: str, now: datetime | None = None
) -> Script:
    """What a call about a shared activity says: ``activity_invitation`` (keys 1 and 2 answer it
    as the SMS yes and no do), ``activity_reminder`` (the day before) or ``activity_place_opened``
    (a place from the waiting list). Queued by :mod:`app.activities.outbox` with :func:`app.sms.voice.queue_call`."""
    language = voice_language(language)
    with force_locale(language):
        words = {"activity": activity, "when": spoken_when(starts_at, language, now), "place": place}
        texts = {
            "activity_invitation": lambda: _(
                "Hello, this is Everyday rescuers. You are welcome to %(activity)s %(when)s at %(place)s.", **words
            ),
            "activity_reminder": lambda: _(
                "Hello, this is Everyday rescuers. A reminder: %(activity)s %(when)s at %(place)s. Welcome!", **words
            ),
            "activity_place_opened": lambda: _(
                "Hello, this is Everyday rescuers. A place opened for you: %(activity)s %(when)s at %(place)s. "
                "You are now signed up.",
                **words,
            ),
        }
        text = texts[kind]()
    return script(kind, text, language)


# --------------------------------------------------------------------------
# What the call says back after a key
# --------------------------------------------------------------------------


def answer(what: str, language: str) -> str:
    """The spoken answer to a key, by outcome."""
    with force_locale(voice_language(language)):
        texts = {
            "confirmed": lambda: _("Thank you. The helper will come as agreed. Goodbye."),
            "cancelled": lambda: _("The help is now cancelled, and the helper will be told. Goodbye."),
            "not_cancelled": lambda: _("The help could not be cancelled here. The coordinator will call you. Goodbye."),
            "call_back": lambda: _("Thank you. The coordinator will call you back soon. Goodbye."),
            "feedback": lambda: _("Thank you for your answer. Goodbye."),
            "signed_up": lambda: _("Thank you. You are signed up. Welcome! Goodbye."),
            "waiting": lambda: _(
                "Thank you. It is full now, so you are on the waiting list. We will tell you if a place opens. Goodbye."
            ),
            "declined": lambda: _("Thank you for letting us know. Goodbye."),
            "not_signed_up": lambda: _("The sign-up could not be made here. The coordinator will call you. Goodbye."),
            "again": lambda: _("That key does not do anything here."),
            "no_answer": lambda: _("We did not hear a key. Goodbye."),
            "repeat": lambda: _("Once more."),
        }
        return texts[what]()
