"""Which rows hold a person's data: one answer for the export and the erasure.

An older resident's data lives in their own row, their contact persons, their
requests and errands (with the errands' events, assignments' reports, alerts
and the messages about them), the encounters they took part in, their
check-ins and stage overrides, the SMS to and from them and their relatives,
and the audit entries about all of these.
"""

from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.models import (
    AuditLog,
    CheckIn,
    ContactPerson,
    Elder,
    EncounterParticipant,
    Errand,
    HelperProfile,
    HelpRequest,
    SmsMessage,
    StageOverride,
)


def request_ids(elder: Elder) -> list[int]:
    return list(db.session.scalars(sa.select(HelpRequest.id).where(HelpRequest.elder_id == elder.id)))


def errand_ids(elder: Elder) -> list[int]:
    return list(db.session.scalars(sa.select(Errand.id).where(Errand.elder_id == elder.id)))


def _phones(*values: str | None) -> list[str]:
    return [v for v in values if v]


def contact_messages(contact: ContactPerson) -> sa.ColumnElement[bool]:
    """SMS to or from a contact person: linked to them, or from their number
    with no other person linked (an inbound message nobody was matched to)."""
    conditions = [SmsMessage.contact_id == contact.id]
    if contact.phone:
        conditions.append(
            sa.and_(
                sa.or_(SmsMessage.from_phone == contact.phone, SmsMessage.to_phone == contact.phone),
                SmsMessage.helper_id.is_(None),
                SmsMessage.contact_id.is_(None),
                sa.or_(SmsMessage.elder_id.is_(None), SmsMessage.elder_id == contact.elder_id),
            )
        )
    return sa.or_(*conditions)


def elder_messages(elder: Elder, *, with_contacts: bool = True) -> sa.ColumnElement[bool]:
    """SMS to or from the older resident (and, by default, their contact persons)."""
    conditions = [SmsMessage.elder_id == elder.id]
    phones = _phones(elder.phone)
    if phones:
        conditions.append(
            sa.and_(
                sa.or_(SmsMessage.from_phone.in_(phones), SmsMessage.to_phone.in_(phones)),
                SmsMessage.helper_id.is_(None),
                SmsMessage.contact_id.is_(None),
                SmsMessage.elder_id.is_(None),
            )
        )
    if with_contacts:
        conditions.extend(contact_messages(c) for c in elder.contacts)
    return sa.or_(*conditions)


def guardian_phones(profile: HelperProfile) -> list[str]:
    """The numbers of the helper's guardian(s) (profile and consents) that are the
    guardian number of no other helper: what came from them is this helper's."""
    phones = set(_phones(profile.guardian_phone, *(c.guardian_phone for c in profile.consents)))
    if not phones:
        return []
    shared = db.session.scalars(
        sa.select(HelperProfile.guardian_phone).where(
            HelperProfile.guardian_phone.in_(phones), HelperProfile.id != profile.id
        )
    )
    return sorted(phones - set(shared))


def helper_messages(profile: HelperProfile) -> sa.ColumnElement[bool]:
    """SMS to or from the helper (linked to them, or from their number with nobody
    linked) and their guardian's answers (from or to the guardian's number, nobody
    linked; see :func:`guardian_phones`)."""
    conditions = [SmsMessage.helper_id == profile.id]
    nobody = (SmsMessage.helper_id.is_(None), SmsMessage.elder_id.is_(None), SmsMessage.contact_id.is_(None))
    if profile.phone:
        conditions.append(sa.and_(SmsMessage.from_phone == profile.phone, *nobody))
    guardians = guardian_phones(profile)
    if guardians:
        conditions.append(
            sa.and_(sa.or_(SmsMessage.from_phone.in_(guardians), SmsMessage.to_phone.in_(guardians)), *nobody)
        )
    return sa.or_(*conditions)


def _subject(kind: str, ids: list[int]) -> sa.ColumnElement[bool]:
    return sa.and_(AuditLog.subject_type == kind, AuditLog.subject_id.in_(ids or [-1]))


def _ids(column, where: sa.ColumnElement[bool]) -> list[int]:
    return list(db.session.scalars(sa.select(column).where(where)))


def elder_audit(elder: Elder, contact_ids: list[int] | None = None) -> sa.ColumnElement[bool]:
    """Audit entries about the resident, their contact persons, requests, errands,
    encounters, check-ins and stage overrides (their own and their pairs')."""
    contacts = contact_ids if contact_ids is not None else [c.id for c in elder.contacts]
    return sa.or_(
        _subject("Elder", [elder.id]),
        _subject("ContactPerson", contacts),
        _subject("HelpRequest", request_ids(elder)),
        _subject("Errand", errand_ids(elder)),
        _subject("Encounter", _ids(EncounterParticipant.encounter_id, EncounterParticipant.elder_id == elder.id)),
        _subject("CheckIn", _ids(CheckIn.id, CheckIn.elder_id == elder.id)),
        _subject("StageOverride", _ids(StageOverride.id, StageOverride.elder_id == elder.id)),
    )


def contact_audit(contact: ContactPerson) -> sa.ColumnElement[bool]:
    return _subject("ContactPerson", [contact.id])


def helper_audit(profile: HelperProfile) -> sa.ColumnElement[bool]:
    consent_ids = [c.id for c in profile.consents]
    return sa.or_(
        _subject("HelperProfile", [profile.id]),
        _subject("GuardianConsent", consent_ids),
        _subject("Encounter", _ids(EncounterParticipant.encounter_id, EncounterParticipant.helper_id == profile.id)),
        _subject("CheckIn", _ids(CheckIn.id, CheckIn.helper_id == profile.id)),
        _subject("StageOverride", _ids(StageOverride.id, StageOverride.helper_id == profile.id)),
        _subject("User", [profile.user_id]),
        AuditLog.actor_user_id == profile.user_id,
    )
