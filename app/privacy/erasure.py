"""Erasing an older resident or a contact person (GDPR article 17).

What goes, everywhere the platform holds it: names (→ "Poistettu"), birth year, phone
numbers, street address, postal code and map point, door and access notes,
health notes, wishes; the contact persons (rows deleted); the callers' names
and the notes for helpers on their requests; cancellation reasons, errand
notes and helpers' reports on their errands; the title and notes of their own
encounters and their feedback comments; the reasons of stage overrides; the
bodies and numbers of every SMS to or from them and their relatives and of
the SMS about their errands (unsent ones are deleted); their alerts; their
numbers' SMS opt-outs; free text in the audit entries about them.

What stays, with no person behind it, so the reports keep their counts: the
resident's row (organization, municipality, village, profile and sliders,
consent date, status "ended"), requests and errands with their dates, task
types and states, encounters with kind, place kind, time and participants,
check-in scores, stage overrides' stages, message rows (direction, kind,
status, time) and the audit entries' actions and times.

Who erased and why is written to the audit log (``person.erase``); names and
numbers of the erased person are taken out of the reason first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from app.audit import record
from app.elders.intake import change_status, forget_contact
from app.errands.requests import cancel_request
from app.extensions import db
from app.helpers.services import DELETED_NAME
from app.models import (
    ActivityInvitation,
    Assignment,
    AuditLog,
    Callback,
    CallLog,
    ContactPerson,
    CoordinatorAlert,
    Elder,
    EncounterParticipant,
    Errand,
    ErrandEvent,
    HelperProfile,
    HelpRequest,
    SmsMessage,
    SmsOptOut,
    StageOverride,
    User,
    utcnow,
)
from app.privacy import people, provider
from app.privacy.labels import ERASED_BY, REASON_CODES, reason_text
from app.vocabulary import LIVE_ERRAND_STATES

#: Audit detail keys that never hold personal data: kept when the rest is removed.
SAFE_AUDIT_KEYS = frozenset(
    {
        "after",
        "assignments_cancelled",
        "before",
        "by_kind",
        "consent",
        "contact_id",
        "contacts",
        "encounter_id",
        "errands",
        "fields",
        "format",
        "geocode_status",
        "helper_id",
        "helpers",
        "kind",
        "late",
        "minutes",
        "person_id",
        "slot",
        "stage",
        "status",
        "subject_kind",
        "version",
        "via",
        # the counts of an erasure report
        "messages_blanked",
        "messages_deleted",
        "requests",
        "encounters",
        "alerts_deleted",
        "audit_entries",
        "opt_outs_deleted",
        "provider_copies",
        "reason_code",
    }
)
PENDING_SMS = ("queued", "held")
REASON_MAX = 300
_PHONE_LIKE = re.compile(r"\+?\d[\d\s().-]{4,}\d")


class ErasureError(Exception):
    """The erasure cannot be done: ``reason_required``, ``already_erased`` or
    ``coming_errands`` (cancel the person's coming errands first)."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


@dataclass
class ErasureReport:
    contacts: int = 0
    messages_blanked: int = 0
    messages_deleted: int = 0
    requests: int = 0
    errands: int = 0
    encounters: int = 0
    alerts_deleted: int = 0
    audit_entries: int = 0
    opt_outs_deleted: int = 0
    provider_copies: int = 0  # queued for deletion at the SMS provider

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


def deleted_name() -> str:
    return DELETED_NAME


def scrub(text: str, secrets: list[str]) -> str:
    """``text`` without the given names and numbers, nor anything that looks like a phone number."""
    out = text
    for secret in sorted({s.strip() for s in secrets if s and len(s.strip()) >= 3}, key=len, reverse=True):
        out = re.sub(re.escape(secret), "…", out, flags=re.IGNORECASE)
    return _PHONE_LIKE.sub("…", out).strip()


def _phone_variants(phone: str | None) -> list[str]:
    if not phone:
        return []
    variants = [phone]
    if phone.startswith("+358"):
        national = "0" + phone[4:]
        variants += [national, f"{national[:3]} {national[3:]}"]
    return variants


def coming_errands(elder: Elder, now: datetime | None = None) -> int:
    """How many of the resident's errands are still to come (they block erasure)."""
    return db.session.scalar(
        sa.select(sa.func.count(Errand.id)).where(
            Errand.elder_id == elder.id, Errand.state.in_(LIVE_ERRAND_STATES), Errand.starts_at >= (now or utcnow())
        )
    )


def _clean_reason(reason: str, secrets: list[str], code: str | None = None) -> str | None:
    """The typed reason without names and numbers; None when the platform gives a ``code`` instead."""
    if code is not None:
        if code not in REASON_CODES:
            raise ValueError(f"unknown reason code {code!r}")
        return None
    text = scrub((reason or "").strip(), secrets)[:REASON_MAX]
    if not text.strip(" …"):
        raise ErasureError("reason_required")
    return text


def _scrub_audit(condition: sa.ColumnElement[bool], report: ErasureReport) -> None:
    for entry in db.session.scalars(sa.select(AuditLog).where(condition)):
        kept: dict[str, Any] = {k: v for k, v in (entry.details or {}).items() if k in SAFE_AUDIT_KEYS}
        if kept != entry.details:
            entry.details = kept
            report.audit_entries += 1


def _still_used(phone: str) -> bool:
    """Does anybody who stays on the platform still have this number?"""
    for column in (Elder.phone, ContactPerson.phone, HelperProfile.phone, HelperProfile.guardian_phone, User.phone):
        if db.session.scalar(sa.select(sa.literal(1)).where(column == phone).limit(1)) is not None:
            return True
    return False


def blank_messages(condition: sa.ColumnElement[bool], phones: list[str], report: ErasureReport) -> list[int]:
    """Delete the unsent, blank the rest (body, error, the person's numbers) and queue the
    provider's copies for deletion there (:mod:`app.privacy.provider`). Returns the blanked ids."""
    kept = []
    messages = list(db.session.scalars(sa.select(SmsMessage).where(condition)))
    report.provider_copies += provider.queue(m.provider_sid for m in messages)
    for message in messages:
        if message.direction == "out" and message.status in PENDING_SMS:
            db.session.delete(message)
            report.messages_deleted += 1
            continue
        message.body = ""
        message.last_error = None
        if message.direction == "in":
            message.handled = True  # nothing is left in the inbox to act on
        if message.to_phone in phones:
            message.to_phone = ""
        if message.from_phone in phones:
            message.from_phone = None
        kept.append(message.id)
        report.messages_blanked += 1
    return kept


def _forget_opt_outs(phones: list[str], report: ErasureReport) -> None:
    for phone in phones:
        if phone and not _still_used(phone):
            report.opt_outs_deleted += (
                db.session.execute(sa.delete(SmsOptOut).where(SmsOptOut.phone == phone)).rowcount or 0
            )


def _contact_secrets(contact: ContactPerson) -> list[str]:
    return [contact.name, *contact.name.split(), *_phone_variants(contact.phone)]


@dataclass(frozen=True)
class ErasureInfo:
    """What the erased person's page may say: when, by whom (a role, no name), why."""

    at: datetime
    by: str  # in words: "A coordinator", "An admin", "The platform, automatically"
    reason: str | None


def erasure_info(elder: Elder) -> ErasureInfo | None:
    """When, by whom (role) and why the resident was erased (from the audit log)."""
    if elder.erased_at is None:
        return None
    rows = db.session.execute(
        sa.select(AuditLog, User.role)
        .outerjoin(User, User.id == AuditLog.actor_user_id)
        .where(AuditLog.action == "person.erase", AuditLog.subject_type == "Elder", AuditLog.subject_id == elder.id)
        .order_by(AuditLog.at.desc(), AuditLog.id.desc())
    )
    for entry, role in rows:
        if (entry.details or {}).get("kind") != "elder":
            continue  # one of their contact persons
        by = ERASED_BY[None] if entry.actor_user_id is None else ERASED_BY.get(role, ERASED_BY["coordinator"])
        return ErasureInfo(at=elder.erased_at, by=str(by), reason=reason_text(entry.details))
    return ErasureInfo(at=elder.erased_at, by="–", reason=None)


def _forget_invitation_numbers(*conditions: sa.ColumnElement[bool]) -> None:
    """The number an activity invitation went to (the person's own or a relative's) is forgotten."""
    db.session.execute(
        sa.update(ActivityInvitation).where(*conditions).values(phone=None).execution_options(synchronize_session=False)
    )


def erase_contact(contact: ContactPerson, *, by: User | None, reason: str) -> ErasureReport:
    """Erase one relative or other contact person of a resident: their messages'
    bodies and numbers, their opt-out, free text about them in the audit log,
    and their row. Raises :class:`ErasureError` ``reason_required``."""
    reason_text = _clean_reason(reason, _contact_secrets(contact))
    report = ErasureReport(contacts=1)
    elder = contact.elder
    phones = [p for p in [contact.phone] if p]
    ids = blank_messages(people.contact_messages(contact), phones, report)
    _scrub_audit(
        sa.or_(
            people.contact_audit(contact),
            sa.and_(AuditLog.subject_type == "SmsMessage", AuditLog.subject_id.in_(ids or [-1])),
        ),
        report,
    )
    report.requests = (
        db.session.execute(
            sa.update(HelpRequest)
            .where(HelpRequest.requested_by_contact_id == contact.id)
            .values(requested_by_name=None)
            .execution_options(synchronize_session=False)
        ).rowcount
        or 0
    )
    _forget_invitation_numbers(ActivityInvitation.elder_id == elder.id, ActivityInvitation.phone.in_(phones or [""]))
    forget_contact(contact)
    contact_id = contact.id
    elder.contacts.remove(contact)
    db.session.flush()
    _forget_opt_outs(phones, report)
    record(
        "person.erase", elder, actor=by, kind="contact", contact_id=contact_id, reason=reason_text, **report.as_dict()
    )
    db.session.flush()
    return report


def erase_elder(
    elder: Elder, *, by: User | None, reason: str = "", reason_code: str | None = None, now: datetime | None = None
) -> ErasureReport:
    """Erase an older resident and their contact persons (see the module's docstring).

    ``reason``: a coordinator's words (kept as typed, less names and numbers);
    ``reason_code``: the platform's own reason (a key of ``labels.REASON_CODES``,
    shown translated), e.g. "retention".

    Raises :class:`ErasureError` ``already_erased``, ``coming_errands`` or ``reason_required``.
    """
    now = now or utcnow()
    if elder.erased_at is not None:
        raise ErasureError("already_erased")
    if coming_errands(elder, now):
        raise ErasureError("coming_errands")
    secrets = [
        elder.first_name,
        elder.last_name,
        elder.full_name,
        elder.street_address or "",
        *_phone_variants(elder.phone),
        *(s for c in elder.contacts for s in _contact_secrets(c)),
    ]
    reason_text = _clean_reason(reason, secrets, reason_code)
    report = ErasureReport(contacts=len(elder.contacts))
    phones = [p for p in [elder.phone, *(c.phone for c in elder.contacts)] if p]
    contact_ids = [c.id for c in elder.contacts]
    request_ids = people.request_ids(elder)
    errand_ids = people.errand_ids(elder)
    in_errands = errand_ids or [-1]

    # First end the requests (cancel_request writes audit entries and cannot send
    # anything: no errand is still to come), then blank and scrub.
    for req in list(db.session.scalars(sa.select(HelpRequest).where(HelpRequest.id.in_(request_ids or [-1])))):
        if req.status != "cancelled":
            cancel_request(req.id, by_user=by, by_kind="coordinator" if by else "system", reason="personal data erased")
        req.requested_by_name = None
        req.notes_for_helper = None
        req.requested_by_contact_id = None
        report.requests += 1
    for errand in db.session.scalars(sa.select(Errand).where(Errand.id.in_(in_errands))):
        errand.cancel_reason = None
        report.errands += 1
    db.session.execute(
        sa.update(ErrandEvent)
        .where(ErrandEvent.errand_id.in_(in_errands))
        .values(note=None)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        sa.update(Assignment)
        .where(Assignment.errand_id.in_(in_errands))
        .values(report_text=None, report_note_for_coordinator=None, withdraw_reason=None)
        .execution_options(synchronize_session=False)
    )

    blanked = blank_messages(sa.or_(people.elder_messages(elder), SmsMessage.errand_id.in_(in_errands)), phones, report)
    _scrub_audit(
        sa.or_(
            people.elder_audit(elder, contact_ids),
            sa.and_(AuditLog.subject_type == "SmsMessage", AuditLog.subject_id.in_(blanked or [-1])),
        ),
        report,
    )

    for part in db.session.scalars(sa.select(EncounterParticipant).where(EncounterParticipant.elder_id == elder.id)):
        part.feedback_comment = None
        encounter = part.encounter
        elders_in_it = sum(1 for p in encounter.participants if p.elder_id is not None)
        if elders_in_it <= 1:  # their own encounter: its free text is about them
            encounter.title = None
            encounter.notes = None
        if encounter.place_kind == "home":
            encounter.place_name = None
        report.encounters += 1
    _forget_invitation_numbers(ActivityInvitation.elder_id == elder.id)
    db.session.execute(
        sa.update(StageOverride)
        .where(StageOverride.elder_id == elder.id)
        .values(reason=deleted_name())  # an override keeps a (non-empty) reason
        .execution_options(synchronize_session=False)
    )
    report.alerts_deleted = (
        db.session.execute(
            sa.delete(CoordinatorAlert)
            .where(sa.or_(CoordinatorAlert.elder_id == elder.id, CoordinatorAlert.errand_id.in_(in_errands)))
            .execution_options(synchronize_session=False)
        ).rowcount
        or 0
    )

    # The call log keeps that a call was made, without the number or the note; open callbacks go.
    db.session.execute(
        sa.update(CallLog)
        .where(
            sa.or_(CallLog.elder_id == elder.id, CallLog.errand_id.in_(in_errands), CallLog.phone.in_(phones or [""]))
        )
        .values(phone=None, note="")
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        sa.delete(Callback)
        .where(sa.or_(Callback.elder_id == elder.id, Callback.phone.in_(phones or [""])))
        .execution_options(synchronize_session=False)
    )

    for contact in list(elder.contacts):
        forget_contact(contact)
        elder.contacts.remove(contact)

    name = deleted_name()
    elder.first_name = name
    elder.last_name = name
    elder.birth_year = None
    elder.phone = None
    elder.street_address = None
    elder.postcode = None
    elder.lat = None
    elder.lon = None
    elder.geocode_status = "deleted"
    elder.access_notes = None
    elder.health_notes = None
    elder.preferences = None
    elder.contact_channel = "coordinator_call"
    change_status(elder, "ended")
    elder.erased_at = now
    db.session.flush()
    _forget_opt_outs(phones, report)
    record(
        "person.erase", elder, actor=by, kind="elder", reason=reason_text, reason_code=reason_code, **report.as_dict()
    )
    db.session.flush()
    return report
