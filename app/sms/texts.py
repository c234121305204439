"""The texts this area sends: reminders, feedback requests and answers to replies.

Each is rendered in the recipient's language (Finnish or Swedish) and kept to
one SMS where possible (160 GSM-7 characters; å, ä and ö are GSM-7). Texts to
the older person's side name the helper by first name only and never carry an
address; only the assigned helper gets the address. Health notes and access
notes are never sent by SMS.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import force_locale, format_date, format_time
from flask_babel import gettext as _

from app.errands.messages import REPLY_WORDS, place_name
from app.matching.score import EXCLUSION_CODES
from app.models import Assignment, Errand
from app.phones import display_phone

SMS_LANGUAGES = ("fi", "sv")
CANCEL_WORD = {"fi": "PERU", "sv": "AVBOKA"}
DONE_WORD = {"fi": "VALMIS", "sv": "KLAR"}
STOP_WORD = {"fi": "LOPETA", "sv": "SLUTA"}
START_WORD = {"fi": "ALOITA", "sv": "START"}


def sms_language(language: str | None) -> str:
    return language if language in SMS_LANGUAGES else "fi"


def when(starts_at: datetime) -> dict[str, str]:
    """Weekday, date and time in Helsinki time for the active locale: "ti 12.3.", "10.00"."""
    return {"day": format_date(starts_at, "EEE d.M."), "time": format_time(starts_at, "H.mm")}


def _task(errand: Errand, language: str) -> str:
    return errand.task_type.name(language).lower()


# --------------------------------------------------------------------------
# Reminders
# --------------------------------------------------------------------------


def helper_day_before_text(assignment: Assignment, language: str) -> str:
    errand = assignment.errand
    with force_locale(language):
        return _(
            "Reminder: %(task)s %(day)s at %(time)s, %(place)s. Details on My errands. "
            "If you cannot go, tell the coordinator at once.",
            task=_task(errand, language),
            place=place_name(errand.elder, language),
            **when(errand.starts_at),
        )


def helper_soon_text(assignment: Assignment, language: str) -> str:
    """Two hours before: the assigned helper gets where to go."""
    errand, elder = assignment.errand, assignment.errand.elder
    with force_locale(language):
        address = ", ".join(p for p in (elder.street_address, place_name(elder, language)) if p)
        return _(
            "Today at %(time)s: %(task)s, %(name)s, %(address)s, tel. %(phone)s. Reply %(done)s %(code)s afterwards.",
            task=_task(errand, language),
            name=elder.first_name,
            address=address or "-",
            phone=display_phone(elder.phone) if elder.phone else "-",
            done=DONE_WORD[language],
            code=errand.short_code,
            **when(errand.starts_at),
        )


def elder_day_before_text(errand: Errand, helper_first_name: str, language: str) -> str:
    with force_locale(language):
        return _(
            "Everyday rescuers: %(helper)s comes to help you %(day)s at %(time)s (%(task)s). "
            "To cancel, reply %(cancel)s %(code)s.",
            helper=helper_first_name,
            task=_task(errand, language),
            cancel=CANCEL_WORD[language],
            code=errand.short_code,
            **when(errand.starts_at),
        )


# --------------------------------------------------------------------------
# Feedback
# --------------------------------------------------------------------------


def elder_feedback_text(errand: Errand, helper_first_name: str, language: str) -> str:
    with force_locale(language):
        return _(
            "Everyday rescuers: how did %(helper)s's help on %(day)s go? Reply with a number 1-5 (5 = very good).",
            helper=helper_first_name,
            **when(errand.starts_at),
        )


def helper_feedback_text(errand: Errand, language: str) -> str:
    with force_locale(language):
        return _(
            "Thank you for helping on %(day)s! How did it go? Reply with a number 1-5 (5 = very good).",
            **when(errand.starts_at),
        )


# --------------------------------------------------------------------------
# Answers to replies (sent back as TwiML)
# --------------------------------------------------------------------------


#: The reason codes of a refused accept (:mod:`app.policy`, :mod:`app.errands.eligibility`)
#: that have their own short answer (``refused_<code>`` in :func:`reply_text`), most telling first:
#: a suspended helper is also "not approved", but the hold is what they must hear about.
REFUSAL_REPLIES = ("other_organization", "suspended", *(c for c in EXCLUSION_CODES if c != "suspended"))


def refusal_reply(codes: list[str] | tuple[str, ...], language: str) -> str:
    """The answer to an accept the policy or the matcher refused: the most telling of
    its reasons (by :data:`REFUSAL_REPLIES`), or the general ``not_eligible`` one."""
    code = next((c for c in REFUSAL_REPLIES if c in codes), None)
    return reply_text(f"refused_{code}" if code else "not_eligible", language)


def reply_text(what: str, language: str, **words: str) -> str:
    """The answer to an incoming SMS, by situation."""
    language = sms_language(language)
    yes, no = REPLY_WORDS.get(language, REPLY_WORDS["fi"])
    with force_locale(language):
        texts = {
            "accepted": lambda: _("Thank you! The errand is yours. You will get the details in a moment."),
            "declined": lambda: _("Thank you for letting us know."),
            "already_taken": lambda: _("Someone already took this errand. Thank you for being ready to help!"),
            "already_assigned": lambda: _("This errand is already yours."),
            "not_eligible": lambda: _("You cannot take this errand. See the board for errands that suit you."),
            # Why the policy or the matcher refused (one per reason code, see REFUSAL_REPLIES).
            "refused_other_organization": lambda: _(
                "You cannot take this errand: it is not of your organization or its partners. See the board."
            ),
            "refused_not_approved": lambda: _("You cannot take errands before your registration is approved."),
            "refused_paused": lambda: _("You are on a break. End the break on the website to take errands."),
            "refused_suspended": lambda: _("Your account is on hold. Please contact your coordinator."),
            "refused_no_guardian_consent": lambda: _("You cannot take errands before your guardian has given consent."),
            "refused_minor_hours": lambda: _("Helpers under 18 can help only between 8:00 and 20:00."),
            "refused_busy": lambda: _("You already have an errand at that time."),
            "refused_too_far": lambda: _("This errand is farther away than the distance you set."),
            "too_late": lambda: _("This errand has already started."),
            "offer_closed": lambda: _("This errand is no longer open."),
            "error": lambda: _("That did not work. Please contact your coordinator."),
            "unknown_code": lambda: _("No errand has the code %(code)s. Please check the number.", code=words["code"]),
            "no_offer": lambda: _("You have no open offers just now."),
            "need_code": lambda: _(
                "Please add the errand code, for example %(yes)s %(code)s.", yes=yes, code=words.get("code", "123")
            ),
            "need_code_no": lambda: _(
                "Please add the errand code, for example %(no)s %(code)s.", no=no, code=words.get("code", "123")
            ),
            "done": lambda: _("Thank you! The errand is marked done."),
            "done_failed": lambda: _(
                "The errand could not be marked done. Please use My errands or call the coordinator."
            ),
            "cancelled": lambda: _("The errand %(code)s is cancelled. The helper will be told.", code=words["code"]),
            "cancel_failed": lambda: _(
                "The errand could not be cancelled by text message. Please call your coordinator."
            ),
            "need_cancel_code": lambda: _(
                "Please add the errand code from our message, for example %(word)s 123.", word=CANCEL_WORD[language]
            ),
            "feedback": lambda: _("Thank you for your feedback!"),
            "stopped": lambda: _(
                "You will get no more text messages from us. To start again, reply %(word)s.", word=START_WORD[language]
            ),
            "started": lambda: _("Text messages are on again. To stop them, reply %(word)s.", word=STOP_WORD[language]),
            "help": lambda: _(
                "Everyday rescuers: reply %(yes)s or %(no)s and the code to an offer, "
                "%(cancel)s and the code to cancel, %(stop)s to stop messages. Questions: call your coordinator.",
                yes=yes,
                no=no,
                cancel=CANCEL_WORD[language],
                stop=STOP_WORD[language],
            ),
            "received": lambda: _("Thank you for your message. A coordinator will read it."),
        }
        return texts[what]()
