"""What an errand error says to a helper or a coordinator, one table per audience and channel, all in one place.

The web board and My errands use :data:`ERROR_MESSAGES` (``ErrandError``
codes) and :data:`EXCLUSION_MESSAGES` (why the matcher or the policy refused,
as phrases after "You cannot take this errand:"). An SMS answer must fit
one segment, so the SMS channel has its own short table, :data:`SMS_ERRORS`,
sharing the web's words where they are short enough, and one sentence per
refusal reason (:data:`SMS_REFUSALS`, most telling first). The coordinator's pages say it
in their own words (:data:`COORDINATOR_ERRORS`).
"""

from __future__ import annotations

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from app import policy
from app.matching.score import EXCLUSION_CODES
from app.sms.keywords import reply_word
from app.sms.texts import sms_language

#: Web: messages for ErrandError codes, as the helper reads them.
ERROR_MESSAGES = {
    "already_taken": _l("Someone already took this errand. Thank you for being ready to help!"),
    "already_assigned": _l("This errand is already yours. You find it under My errands."),
    "offer_closed": _l("This errand is no longer open."),
    "too_late": _l("This errand has already started."),
    "too_early": _l("You can mark the errand done on its day."),
    "not_found": _l("This errand is no longer available."),
    "not_active": _l("This errand is no longer active for you."),
    "not_yours": _l("This errand is not yours."),
    "reason_required": _l("Tell the coordinator briefly why, so they can find someone else."),
    "invalid_report": _l("Check the report: what you did and how many minutes it took."),
    "not_allowed_transition": _l("This errand can no longer be changed."),
}

#: Coordinator: messages for ErrandError and RequestError codes (flashes, never error pages).
COORDINATOR_ERRORS = {
    "not_allowed_transition": _l("That is not possible in the errand's current state."),
    "already_taken": _l("Someone already took this errand."),
    "not_eligible": _l("This helper cannot take this errand now."),
    "too_late": _l("It is too late for that: the errand has already started or ended."),
    "offer_closed": _l("That offer is closed."),
    "no_helpers": _l("Choose at least one helper."),
    "not_found": _l("The errand was not found."),
    "already_assigned": _l("This helper already has this errand."),
    "too_early": _l("That can be recorded only after the errand has started."),
    "not_yours": _l("This is not your errand."),
    "not_active": _l("That helper is no longer on this errand."),
    "reason_required": _l("Write a short reason."),
    "invalid_report": _l("The report is not complete."),
    "already_cancelled": _l("The request was already cancelled."),
}

#: Web: hard rules of the matcher (and the organization rule), as reasons the helper can understand.
EXCLUSION_MESSAGES = {
    "not_approved": _l("your registration has not been approved yet"),
    "paused": _l("you are on a break"),
    "suspended": _l("your account is on hold"),
    "no_guardian_consent": _l("your guardian's consent is missing"),
    "minor_hours": _l("helpers under 18 can help only between 8:00 and 20:00"),
    "busy": _l("you already have an errand at that time"),
    "too_far": _l("it is farther away than the distance you set"),
    "other_organization": policy.REASONS["other_organization"],
}

#: SMS: why a command did not do what it asked (ErrandError codes and situations of the reply).
SMS_ERRORS = {
    "already_taken": ERROR_MESSAGES["already_taken"],
    "already_assigned": _l("This errand is already yours."),
    "offer_closed": ERROR_MESSAGES["offer_closed"],
    "too_late": ERROR_MESSAGES["too_late"],
    "not_eligible": _l("You cannot take this errand. See the board for errands that suit you."),
    "error": _l("That did not work. Please contact your coordinator."),
    "unknown_code": _l("No errand has the code %(code)s. Please check the number."),
    "no_offer": _l("You have no open offers just now."),
    "need_code": _l("Please add the errand code, for example %(yes)s %(code)s."),
    "need_code_no": _l("Please add the errand code, for example %(no)s %(code)s."),
    "done_failed": _l("The errand could not be marked done. Please use My errands or call the coordinator."),
    "cancel_failed": _l("The errand could not be cancelled by text message. Please call your coordinator."),
    "need_cancel_code": _l("Please add the errand code from our message, for example %(word)s 123."),
}

#: SMS: the reason codes of a refused accept (:mod:`app.policy`, :mod:`app.errands.eligibility`)
#: with their own short answer, most telling first: a suspended helper is also "not approved",
#: but the hold is what they must hear about.
SMS_REFUSALS = {
    "other_organization": _l(
        "You cannot take this errand: it is not of your organization or its partners. See the board."
    ),
    "suspended": _l("Your account is on hold. Please contact your coordinator."),
    "not_approved": _l("You cannot take errands before your registration is approved."),
    "paused": _l("You are on a break. End the break on the website to take errands."),
    "no_guardian_consent": _l("You cannot take errands before your guardian has given consent."),
    "minor_hours": _l("Helpers under 18 can help only between 8:00 and 20:00."),
    "busy": _l("You already have an errand at that time."),
    "too_far": _l("This errand is farther away than the distance you set."),
}
REFUSAL_REPLIES = ("other_organization", "suspended", *(c for c in EXCLUSION_CODES if c != "suspended"))


def sms_error(what: str, language: str, code: str = "123") -> str:
    """The SMS answer for ``what`` (a key of :data:`SMS_ERRORS`) in the sender's language."""
    language = sms_language(language)
    with force_locale(language):
        words = {
            "code": code,
            "yes": reply_word("accept", language),
            "no": reply_word("decline", language),
            "word": reply_word("cancel", language),
        }
        return str(SMS_ERRORS[what]) % words


def refusal_reply(codes: list[str] | tuple[str, ...], language: str) -> str:
    """The answer to an accept the policy or the matcher refused: the most telling of
    its reasons (by :data:`REFUSAL_REPLIES`), or the general ``not_eligible`` one."""
    code = next((c for c in REFUSAL_REPLIES if c in codes), None)
    if code is None:
        return sms_error("not_eligible", language)
    with force_locale(sms_language(language)):
        return str(SMS_REFUSALS[code])
