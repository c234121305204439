"""The SMS texts of an errand's life, each in the recipient's language.

Helpers get Finnish unless they use the app in Swedish; an older person and a
relative get their own ``language``. Texts are rendered with
:func:`flask_babel.force_locale`. What a text may say follows the privacy rule:
an offer names the task, the time and the village only (never the surname,
the address or the phone); the confirmation to the assigned helper adds the
first name, the address and the phone; texts to the older person's side name
the helper by first name only.

The ``queue_*`` functions add rows to the SMS outbox in the caller's
transaction, each with a dedupe key so a retry never texts twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from flask_babel import force_locale, format_date, format_time
from flask_babel import gettext as _

from app.models import Assignment, ContactPerson, Elder, Errand, HelperProfile
from app.phones import display_phone

#: Reply words for an offer, by language.
REPLY_WORDS = {"fi": ("KYLLÄ", "EI"), "sv": ("JA", "NEJ")}


@dataclass(frozen=True)
class Recipient:
    """Who on the older person's side gets a text, and in which language."""

    phone: str
    language: str
    elder_id: int
    contact_id: int | None = None


def helper_language(helper: HelperProfile) -> str:
    """A helper's SMS language: Finnish unless they use the app in Swedish."""
    return "sv" if helper.user is not None and helper.user.locale == "sv" else "fi"


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


def _when(starts_at: datetime, ends_at: datetime) -> dict[str, str]:
    """Day and times in Helsinki time, formatted for the active locale."""
    return {
        "day": format_date(starts_at, "EEE d.M."),
        "start": format_time(starts_at, "HH:mm"),
        "end": format_time(ends_at, "HH:mm"),
    }


def elder_recipient(elder: Elder) -> Recipient | None:
    """Who is told about the errand by SMS, following ``Elder.contact_channel``.

    ``sms_self``: the person's own mobile; ``sms_relative``: the primary
    contact person who may be contacted (else the first one who may);
    ``coordinator_call`` or an opt-out: nobody (the coordinator phones).
    """
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
# Texts
# --------------------------------------------------------------------------


def offer_text(errand: Errand, helper: HelperProfile) -> str:
    lang = helper_language(helper)
    yes, no = REPLY_WORDS.get(lang, REPLY_WORDS["fi"])
    with force_locale(lang):
        return _(
            "Hello %(name)s! Could you help? %(task)s, %(day)s %(start)s-%(end)s, %(place)s. "
            "Reply %(yes)s %(code)s to take it or %(no)s %(code)s if you cannot. See the board: %(link)s",
            name=helper.first_name,
            task=errand.task_type.name(lang),
            place=place_name(errand.elder, lang),
            yes=yes,
            no=no,
            code=errand.short_code,
            link=board_link(),
            **_when(errand.starts_at, errand.ends_at),
        )


def confirmation_text(assignment: Assignment) -> str:
    errand, helper, elder = assignment.errand, assignment.helper, assignment.errand.elder
    lang = helper_language(helper)
    with force_locale(lang):
        postal = " ".join(p for p in (elder.postcode, place_name(elder, lang)) if p)
        address = ", ".join(p for p in (elder.street_address, postal) if p)
        return _(
            "The errand is yours, thank you! %(task)s %(day)s %(start)s-%(end)s. %(first_name)s, %(address)s, "
            "tel. %(phone)s. More details: %(link)s",
            task=errand.task_type.name(lang),
            first_name=elder.first_name,
            address=address,
            phone=display_phone(elder.phone) if elder.phone else "-",
            link=my_errands_link(),
            **_when(errand.starts_at, errand.ends_at),
        )


def elder_confirmation_text(assignment: Assignment, language: str) -> str:
    errand = assignment.errand
    with force_locale(language):
        return _(
            "Everyday rescuers: %(helper)s will come to help you %(day)s at %(start)s (%(task)s).",
            helper=assignment.helper.first_name,
            task=errand.task_type.name(language).lower(),
            **_when(errand.starts_at, errand.ends_at),
        )


def elder_withdrawal_text(assignment: Assignment, language: str) -> str:
    errand = assignment.errand
    with force_locale(language):
        return _(
            "Everyday rescuers: %(helper)s cannot come %(day)s at %(start)s after all. "
            "We are looking for another helper and will let you know.",
            helper=assignment.helper.first_name,
            **_when(errand.starts_at, errand.ends_at),
        )


def cancellation_text(errand: Errand, helper: HelperProfile) -> str:
    lang = helper_language(helper)
    with force_locale(lang):
        return _(
            "The errand %(task)s %(day)s %(start)s-%(end)s in %(place)s has been cancelled. "
            "You do not need to go. Thank you!",
            task=errand.task_type.name(lang),
            place=place_name(errand.elder, lang),
            **_when(errand.starts_at, errand.ends_at),
        )


# --------------------------------------------------------------------------
# Queueing
# --------------------------------------------------------------------------


def queue_sms(to: str, body: str, **kwargs):
    """:func:`app.sms.outbox.queue_sms`, imported on use (the SMS area imports this module)."""
    from app.sms.outbox import queue_sms as _queue

    return _queue(to, body, **kwargs)


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
    """Tell the older person (or their relative) who comes. True when a text was queued."""
    recipient = elder_recipient(assignment.errand.elder)
    if recipient is None:
        return False
    message = queue_sms(
        recipient.phone,
        elder_confirmation_text(assignment, recipient.language),
        kind="elder_confirmation",
        language=recipient.language,
        dedupe_key=elder_confirmation_key(assignment),
        errand_id=assignment.errand_id,
        elder_id=recipient.elder_id,
        contact_id=recipient.contact_id,
        organization_id=assignment.errand.organization_id,
    )
    return message is not None


def queue_elder_withdrawal(assignment: Assignment) -> None:
    """Tell the older person's side that the announced helper is not coming."""
    recipient = elder_recipient(assignment.errand.elder)
    if recipient is None:
        return
    queue_sms(
        recipient.phone,
        elder_withdrawal_text(assignment, recipient.language),
        kind="elder_withdrawal",
        language=recipient.language,
        dedupe_key=f"elder_withdrawn:{assignment.id}",
        errand_id=assignment.errand_id,
        elder_id=recipient.elder_id,
        contact_id=recipient.contact_id,
        organization_id=assignment.errand.organization_id,
    )


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
