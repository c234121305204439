"""What an errand says by SMS, each text in its recipient's language, and the queueing of it.

Helpers get Finnish unless they use the app in Swedish; an older person and a
relative get their own ``language``. Texts are rendered with
:func:`flask_babel.force_locale`. What a text may say follows the privacy rule:
an offer names the task, the time and the village only (never the surname,
the address or the phone); the confirmation to the assigned helper and the
reminder two hours before add the first name, the address and the phone;
texts to the older person's side name the helper by first name only and
never carry an address. Health notes and access notes are never sent.

Each kind's length budget and whether it goes stale are declared in
:mod:`app.sms.kinds`: offers, reminders and confirmations fit one GSM-7
segment (160 characters) with real-length names, places and codes. A link
is added only when it still fits (:func:`_with_link`).

The ``queue_*`` functions add rows to the SMS outbox in the caller's
transaction, each with a dedupe key so a retry never texts twice. The
answers to SMS commands (:mod:`app.errands.sms_commands`) are at the end.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from app.i18n import local_formatter
from app.models import Assignment, ContactPerson, Elder, Errand, HelperProfile, SmsMessage
from app.phones import display_phone
from app.sms import voice_texts
from app.sms.keywords import reply_word
from app.sms.kinds import KINDS
from app.sms.outbox import queue_sms
from app.sms.people import helper_language
from app.sms.segments import segment_count
from app.sms.texts import sms_language
from app.sms.voice import queue_call


@dataclass(frozen=True)
class Recipient:
    """Who on the older person's side gets a text (or a call: ``channel="voice"``), and in which language."""

    phone: str
    language: str
    elder_id: int
    contact_id: int | None = None
    channel: str = "sms"


def board_link() -> str:
    return f"{current_app.config['PUBLIC_BASE_URL']}/board"


def my_errands_link() -> str:
    return f"{current_app.config['PUBLIC_BASE_URL']}/my-errands"


def place_name(elder: Elder, language: str = "fi") -> str:
    """Village, else municipality (Swedish name when there is one); never the street."""
    if elder.village is not None:
        return elder.village.name
    if elder.municipality is not None:
        if language == "sv" and elder.municipality.name_sv:
            return elder.municipality.name_sv
        return elder.municipality.name
    return ""


def when(starts_at: datetime, ends_at: datetime | None = None) -> dict[str, str]:
    """Weekday, date and times in Helsinki time for the active locale: "ti 12.3.", "10.00" (the
    pages' own time format, app.i18n's: H.mm in every language)."""
    time = local_formatter("time")
    words = {"day": local_formatter("date", "EEE d.M.")(starts_at), "start": time(starts_at)}
    words["time"] = words["start"]
    if ends_at is not None:
        words["end"] = time(ends_at)
    return words


def _task(errand: Errand, language: str) -> str:
    return errand.task_type.name(language)


def _with_link(kind: str, text: str, link: str) -> str:
    """``text`` and the link, when both still fit the kind's budget; else the text alone."""
    longer = f"{text} {link}"
    budget = KINDS[kind].segments or 1
    return longer if segment_count(longer) <= budget else text


def elder_recipient(elder: Elder) -> Recipient | None:
    """Who is told about the errand by SMS, following ``Elder.contact_channel``.

    ``sms_self``: the person's own mobile; ``sms_relative``: the primary
    contact person who may be contacted (else the first one who may);
    ``voice``: an automated call to the person's own phone, landline or mobile;
    ``coordinator_call`` or an opt-out: nobody (the coordinator phones).
    """
    if elder.contact_channel == "voice":
        if elder.phone and not elder.sms_opt_out:
            return Recipient(elder.phone, elder.language or "fi", elder.id, channel="voice")
        return None
    if elder.contact_channel == "sms_self":
        if elder.phone and elder.phone_kind == "mobile" and not elder.sms_opt_out:
            return Recipient(elder.phone, elder.language or "fi", elder.id)
        return None
    if elder.contact_channel == "sms_relative":
        contact = primary_contact(elder)
        if contact is not None and contact.phone and not contact.sms_opt_out:
            return Recipient(contact.phone, contact.language or "fi", elder.id, contact.id)
    return None


def primary_contact(elder: Elder) -> ContactPerson | None:
    allowed = [c for c in elder.contacts if c.may_contact]
    for contact in allowed:
        if contact.is_primary:
            return contact
    return allowed[0] if allowed else None


# --------------------------------------------------------------------------
# Texts to the helper
# --------------------------------------------------------------------------


def offer_text(errand: Errand, helper: HelperProfile, lang: str | None = None) -> str:
    lang = lang or helper_language(helper)
    with force_locale(lang):
        text = _(
            "Hello %(name)s! Can you help? %(task)s %(day)s %(start)s-%(end)s, %(place)s. "
            "Reply %(yes)s %(code)s or %(no)s %(code)s.",
            name=helper.first_name,
            task=_task(errand, lang),
            place=place_name(errand.elder, lang),
            yes=reply_word("accept", lang),
            no=reply_word("decline", lang),
            code=errand.short_code,
            **when(errand.starts_at, errand.ends_at),
        )
    return _with_link("offer", text, board_link())


def confirmation_text(assignment: Assignment, lang: str | None = None) -> str:
    errand, elder = assignment.errand, assignment.errand.elder
    lang = lang or helper_language(assignment.helper)
    with force_locale(lang):
        postal = " ".join(p for p in (elder.postcode, place_name(elder, lang)) if p)
        address = ", ".join(p for p in (elder.street_address, postal) if p)
        text = _(
            "The errand is yours, thank you! %(day)s %(start)s-%(end)s: %(first_name)s, %(address)s, tel. %(phone)s.",
            first_name=elder.first_name,
            address=address or "-",
            phone=display_phone(elder.phone) if elder.phone else "-",
            **when(errand.starts_at, errand.ends_at),
        )
    return _with_link("confirmation", text, my_errands_link())


def cancellation_text(errand: Errand, helper: HelperProfile, lang: str | None = None) -> str:
    lang = lang or helper_language(helper)
    with force_locale(lang):
        return _(
            "The errand %(task)s %(day)s %(start)s-%(end)s in %(place)s has been cancelled. "
            "You do not need to go. Thank you!",
            task=_task(errand, lang),
            place=place_name(errand.elder, lang),
            **when(errand.starts_at, errand.ends_at),
        )


def helper_day_before_text(assignment: Assignment, language: str) -> str:
    errand = assignment.errand
    with force_locale(language):
        return _(
            "Reminder: %(task)s %(day)s at %(time)s, %(place)s. Details on My errands. "
            "If you cannot come, tell the coordinator at once.",
            task=_task(errand, language).lower(),
            place=place_name(errand.elder, language),
            **when(errand.starts_at),
        )


def helper_soon_text(assignment: Assignment, language: str) -> str:
    """Two hours before: the assigned helper gets where to go."""
    errand, elder = assignment.errand, assignment.errand.elder
    with force_locale(language):
        address = ", ".join(p for p in (elder.street_address, place_name(elder, language)) if p)
        return _(
            "Today at %(time)s: %(task)s, %(name)s, %(address)s, tel. %(phone)s. Then reply %(done)s %(code)s.",
            task=_task(errand, language).lower(),
            name=elder.first_name,
            address=address or "-",
            phone=display_phone(elder.phone) if elder.phone else "-",
            done=reply_word("done", language),
            code=errand.short_code,
            **when(errand.starts_at),
        )


def helper_feedback_text(errand: Errand, language: str) -> str:
    with force_locale(language):
        return _(
            "Thank you for helping on %(day)s! How did it go? Reply with a number 1-5 (5 = very good).",
            **when(errand.starts_at),
        )


# --------------------------------------------------------------------------
# Texts to the older person's side (may reach a relative: no "you", no address)
# --------------------------------------------------------------------------


def elder_confirmation_text(assignment: Assignment, language: str) -> str:
    return _elder_confirmation_sms(assignment.errand, assignment.helper.first_name, language)


def _elder_confirmation_sms(errand: Errand, helper_first_name: str, language: str) -> str:
    with force_locale(language):
        return _(
            "Everyday rescuers: %(helper)s will come to help you %(day)s at %(start)s (%(task)s).",
            helper=helper_first_name,
            task=_task(errand, language).lower(),
            **when(errand.starts_at, errand.ends_at),
        )


def elder_withdrawal_text(assignment: Assignment, language: str) -> str:
    return _elder_withdrawal_sms(assignment.errand, assignment.helper.first_name, language)


def _elder_withdrawal_sms(errand: Errand, helper_first_name: str, language: str) -> str:
    with force_locale(language):
        return _(
            "Everyday rescuers: %(helper)s cannot come %(day)s at %(start)s after all. "
            "We are looking for another helper and will let you know.",
            helper=helper_first_name,
            **when(errand.starts_at, errand.ends_at),
        )


def elder_day_before_text(errand: Errand, helper_first_name: str, language: str) -> str:
    with force_locale(language):
        return _(
            "Everyday rescuers: %(helper)s comes to help %(day)s at %(time)s (%(task)s). "
            "To cancel, reply %(cancel)s %(code)s.",
            helper=helper_first_name,
            task=_task(errand, language).lower(),
            cancel=reply_word("cancel", language),
            code=errand.short_code,
            **when(errand.starts_at),
        )


def elder_feedback_text(errand: Errand, helper_first_name: str, language: str) -> str:
    with force_locale(language):
        return _(
            "Everyday rescuers: %(helper)s helped on %(day)s How did the help go? "
            "Reply with a number 1-5 (5 = very good).",
            helper=helper_first_name,
            **when(errand.starts_at),
        )


# --------------------------------------------------------------------------
# Queueing
# --------------------------------------------------------------------------


def queue_offer(
    errand: Errand, helper: HelperProfile, *, sent_by_id: int | None = None, again_at: datetime | None = None
) -> None:
    """The offer text; ``again_at`` when a closed offer is made again (a new dedupe key)."""
    if helper.sms_opt_out or not helper.phone:
        return
    key = f"offer:{errand.id}:{helper.id}"
    if again_at is not None:
        key += f":{int(again_at.timestamp())}"
    queue_sms(
        helper.phone,
        offer_text(errand, helper),
        kind="offer",
        language=helper_language(helper),
        dedupe_key=key,
        errand_id=errand.id,
        helper_id=helper.id,
        organization_id=errand.organization_id,
        sent_by_id=sent_by_id,
    )


def queue_confirmation(assignment: Assignment) -> None:
    helper = assignment.helper
    if helper.sms_opt_out or not helper.phone:
        return
    queue_sms(
        helper.phone,
        confirmation_text(assignment),
        kind="confirmation",
        language=helper_language(helper),
        dedupe_key=f"confirm:{assignment.id}",
        errand_id=assignment.errand_id,
        helper_id=helper.id,
        organization_id=assignment.errand.organization_id,
    )


def elder_confirmation_key(assignment: Assignment) -> str:
    return f"elder_confirm:{assignment.id}"


def queue_elder_confirmation(assignment: Assignment) -> bool:
    """Tell the older person (or their relative) who comes. True when a text or call was queued."""
    recipient = elder_recipient(assignment.errand.elder)
    if recipient is None:
        return False
    message = queue_for_older_person(
        recipient,
        "elder_confirmation",
        assignment.errand,
        assignment.helper.first_name,
        dedupe_key=elder_confirmation_key(assignment),
    )
    return message is not None


def queue_elder_withdrawal(assignment: Assignment) -> None:
    """Tell the older person's side that the announced helper is not coming."""
    recipient = elder_recipient(assignment.errand.elder)
    if recipient is None:
        return
    queue_for_older_person(
        recipient,
        "elder_withdrawal",
        assignment.errand,
        assignment.helper.first_name,
        dedupe_key=f"elder_withdrawn:{assignment.id}",
    )


def older_person_sms(kind: str, errand: Errand, helper_names: str, language: str) -> str:
    """The SMS of ``kind`` to the older person's side (helpers by first name)."""
    texts = {
        "elder_confirmation": _elder_confirmation_sms,
        "elder_withdrawal": _elder_withdrawal_sms,
        "reminder_elder_day": elder_day_before_text,
        "feedback_request": elder_feedback_text,
    }
    return texts[kind](errand, helper_names, language)


def older_person_script(
    kind: str, errand: Errand, helper_names: str, language: str, now: datetime | None = None
) -> voice_texts.Script:
    """The same message for the ear: what an automated call of ``kind`` says (``now``: when
    it is made, for "huomenna" and "eilen")."""
    language = voice_texts.voice_language(language)
    task = _task(errand, language).lower()
    return voice_texts.errand_script(kind, helper_names, errand.starts_at, task, language, now)


def queue_for_older_person(
    recipient: Recipient,
    kind: str,
    errand: Errand,
    helper_names: str,
    *,
    dedupe_key: str,
    now: datetime | None = None,
) -> SmsMessage | None:
    """Queue ``kind`` about ``errand`` to the older person's side (:func:`queue_to_recipient`)."""
    return queue_to_recipient(
        recipient,
        lambda: older_person_sms(kind, errand, helper_names, recipient.language),
        lambda: older_person_script(kind, errand, helper_names, recipient.language, now),
        kind=kind,
        dedupe_key=dedupe_key,
        errand_id=errand.id,
        organization_id=errand.organization_id,
    )


def queue_to_recipient(
    recipient: Recipient,
    sms_text: Callable[[], str],
    spoken: Callable[[], voice_texts.Script],
    *,
    kind: str,
    dedupe_key: str,
    **fields: Any,
) -> SmsMessage | None:
    """Queue one message to the older person's side by the recipient's channel: the SMS
    ``sms_text()``, or an automated call saying ``spoken()`` (:mod:`app.sms.voice`), in the
    recipient's language. The one place that chooses between the two, for every area.
    None when ``dedupe_key`` exists."""
    fields.update(
        kind=kind,
        language=recipient.language,
        dedupe_key=dedupe_key,
        elder_id=recipient.elder_id,
        contact_id=recipient.contact_id,
    )
    if recipient.channel == "voice":
        return queue_call(recipient.phone, spoken(), **fields)
    return queue_sms(recipient.phone, sms_text(), **fields)


def queue_cancellation(errand: Errand, helper: HelperProfile, *, sent_by_id: int | None = None) -> None:
    if helper.sms_opt_out or not helper.phone:
        return
    queue_sms(
        helper.phone,
        cancellation_text(errand, helper),
        kind="cancellation",
        language=helper_language(helper),
        dedupe_key=f"cancel:{errand.id}:{helper.id}",
        errand_id=errand.id,
        helper_id=helper.id,
        organization_id=errand.organization_id,
        sent_by_id=sent_by_id,
    )


# --------------------------------------------------------------------------
# Answers to SMS commands (sent back as TwiML); why a command failed: app.errands.error_texts
# --------------------------------------------------------------------------


def command_reply(what: str, language: str, **words: str) -> str:
    """The answer to an SMS command that did what it asked."""
    language = sms_language(language)
    with force_locale(language):
        texts = {
            "accepted": lambda: _("Thank you! The errand is yours. You will get the details in a moment."),
            "declined": lambda: _("Thank you for letting us know."),
            "done": lambda: _("Thank you! The errand is marked done."),
            "cancelled": lambda: _("The errand %(code)s is cancelled. The helper will be told.", code=words["code"]),
            "feedback": lambda: _("Thank you for your feedback!"),
        }
        return texts[what]()
