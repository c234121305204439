"""Everything the platform holds on one person, for their access request.

``collect_elder``, ``collect_contact`` and ``collect_helper`` return a
:class:`PersonData`: named sections of plain rows (str, int, float, bool,
None; times as ISO 8601 in UTC). The same object becomes the readable page
(``templates/privacy/export.html``) and the JSON file (:func:`export_json`), so
the two always hold the same data. Other people appear only as far as the
person already knows them (a helper's first name and initial, a coordinator's
name); their phone numbers and addresses never do.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

import sqlalchemy as sa

from app.extensions import db
from app.models import (
    Activity,
    ActivityInvitation,
    ActivitySignup,
    Assignment,
    AuditLog,
    CheckIn,
    ContactPerson,
    CoordinatorAlert,
    Elder,
    EncounterParticipant,
    Errand,
    ErrandEvent,
    HelperProfile,
    HelpRequest,
    Offer,
    SharedPlace,
    SmsMessage,
    StageOverride,
    User,
    utcnow,
)
from app.privacy import people
from app.privacy.labels import reason_text

FORMAT_VERSION = 1


@dataclass(frozen=True)
class Section:
    key: str
    rows: list[dict[str, Any]]


@dataclass
class PersonData:
    kind: str  # elder|contact|helper
    person_id: int
    name: str
    exported_at: datetime
    sections: list[Section] = field(default_factory=list)

    def add(self, key: str, rows: list[dict[str, Any]]) -> None:
        self.sections.append(Section(key, rows))

    def as_dict(self) -> dict[str, Any]:
        return {
            "format_version": FORMAT_VERSION,
            "person": {"kind": self.kind, "id": self.person_id, "name": self.name},
            "exported_at": _plain(self.exported_at),
            **{s.key: s.rows for s in self.sections},
        }

    def row_count(self) -> int:
        return sum(len(s.rows) for s in self.sections)


def _plain(value: Any) -> Any:
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def _row(obj: Any, names: tuple[str, ...], **extra: Any) -> dict[str, Any]:
    out = {name: _plain(getattr(obj, name)) for name in names}
    out.update({k: _plain(v) for k, v in extra.items()})
    return out


def export_json(data: PersonData) -> bytes:
    """The export as a UTF-8 JSON file (readable: indented, non-ASCII kept)."""
    return json.dumps(data.as_dict(), ensure_ascii=False, indent=2, sort_keys=False).encode("utf-8")


def _user_names(ids: set[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return {row.id: row.name for row in db.session.execute(sa.select(User.id, User.name).where(User.id.in_(wanted)))}


def _helper_names(ids: set[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    profiles = db.session.scalars(sa.select(HelperProfile).where(HelperProfile.id.in_(wanted)))
    return {p.id: p.display_name for p in profiles}


ELDER_FIELDS = (
    "id",
    "first_name",
    "last_name",
    "birth_year",
    "phone",
    "phone_kind",
    "contact_channel",
    "language",
    "street_address",
    "postcode",
    "lat",
    "lon",
    "access_notes",
    "elder_profile",
    "slider_sociable",
    "slider_producer",
    "slider_others",
    "slider_digital",
    "prefers_continuity",
    "preferences",
    "health_notes",
    "status",
    "sms_opt_out",
    "created_at",
    "ended_at",
)
CONTACT_FIELDS = ("id", "name", "relation", "phone", "language", "is_primary", "sms_opt_out", "created_at")
REQUEST_FIELDS = (
    "id",
    "requested_by",
    "requested_by_name",
    "date_from",
    "date_to",
    "time_from",
    "time_to",
    "duration_minutes",
    "helpers_needed",
    "notes_for_helper",
    "recurrence",
    "recurrence_until",
    "status",
    "created_at",
)
ERRAND_FIELDS = ("id", "request_id", "short_code", "starts_at", "ends_at", "state", "cancel_reason")
MESSAGE_FIELDS = ("id", "direction", "kind", "created_at", "sent_at", "status", "to_phone", "from_phone", "body")
ENCOUNTER_FIELDS = ("id", "occurred_at", "kind", "place_kind", "place_name", "duration_minutes", "title", "notes")
CHECKIN_FIELDS = ("id", "taken_at", "via", "answers", "scores")
OVERRIDE_FIELDS = ("id", "subject_kind", "stage", "reason", "at", "active", "cleared_at")
ALERT_FIELDS = ("id", "kind", "message", "created_at", "resolved_at")


def _messages(condition: sa.ColumnElement[bool]) -> list[dict[str, Any]]:
    rows = db.session.scalars(sa.select(SmsMessage).where(condition).order_by(SmsMessage.created_at, SmsMessage.id))
    return [_row(m, MESSAGE_FIELDS) for m in rows]


def _audit(condition: sa.ColumnElement[bool]) -> list[dict[str, Any]]:
    entries = list(db.session.scalars(sa.select(AuditLog).where(condition).order_by(AuditLog.at, AuditLog.id)))
    names = _user_names({e.actor_user_id for e in entries})
    rows = []
    for e in entries:
        row = _row(e, ("at", "action", "subject_type", "subject_id", "details"), actor=names.get(e.actor_user_id))
        if (e.details or {}).get("reason_code"):  # the platform's own reason, in the reader's language
            row["details"] = {**row["details"], "reason": reason_text(e.details)}
        rows.append(row)
    return rows


def _encounters(participants: list[EncounterParticipant]) -> list[dict[str, Any]]:
    rows = []
    for part in sorted(participants, key=lambda p: (p.encounter.occurred_at, p.encounter_id)):
        rows.append(
            _row(
                part.encounter,
                ENCOUNTER_FIELDS,
                feedback_score=part.feedback_score,
                feedback_comment=part.feedback_comment,
            )
        )
    return rows


def _checkins_and_overrides(data: PersonData, column: str, person_id: int) -> None:
    checkins = db.session.scalars(
        sa.select(CheckIn).where(getattr(CheckIn, column) == person_id).order_by(CheckIn.taken_at)
    )
    data.add("check_ins", [_row(c, CHECKIN_FIELDS) for c in checkins])
    overrides = list(
        db.session.scalars(
            sa.select(StageOverride).where(getattr(StageOverride, column) == person_id).order_by(StageOverride.at)
        )
    )
    names = _user_names({o.by_id for o in overrides})
    data.add("stage_overrides", [_row(o, OVERRIDE_FIELDS, set_by=names.get(o.by_id)) for o in overrides])


def _activities(data: PersonData, column: str, person_id: int) -> None:
    """Shared activities the person signed up for, and the invitations they got."""
    base = (
        sa.select(Activity.title, Activity.starts_at, SharedPlace.name.label("place_name"))
        .join(SharedPlace, SharedPlace.id == Activity.place_id)
        .order_by(Activity.starts_at, Activity.id)
    )
    S, Inv = ActivitySignup, ActivityInvitation
    signups = db.session.execute(
        base.add_columns(S.status, S.via, S.created_at)
        .join(S, S.activity_id == Activity.id)
        .where(getattr(S, column) == person_id)
    )
    data.add("activities", [{k: _plain(v) for k, v in row._mapping.items()} for row in signups])
    invitations = db.session.execute(
        base.add_columns(Inv.channel, Inv.phone, Inv.answer, Inv.created_at)
        .join(Inv, Inv.activity_id == Activity.id)
        .where(getattr(Inv, column) == person_id)
    )
    data.add("activity_invitations", [{k: _plain(v) for k, v in row._mapping.items()} for row in invitations])


def _taking_part(data: PersonData, column: str, person_id: int, messages, audit) -> None:
    """The sections an older resident's and a helper's export share: encounters,
    check-ins and overrides, messages, alerts and audit entries (``column`` is
    ``elder_id`` or ``helper_id``)."""
    participants = list(
        db.session.scalars(sa.select(EncounterParticipant).where(getattr(EncounterParticipant, column) == person_id))
    )
    data.add("encounters", _encounters(participants))
    _activities(data, column, person_id)
    _checkins_and_overrides(data, column, person_id)
    data.add("messages", _messages(messages))
    alerts = db.session.scalars(
        sa.select(CoordinatorAlert)
        .where(getattr(CoordinatorAlert, column) == person_id)
        .order_by(CoordinatorAlert.created_at, CoordinatorAlert.id)
    )
    data.add("alerts", [_row(a, ALERT_FIELDS) for a in alerts])
    data.add("audit", _audit(audit))


def collect_elder(elder: Elder) -> PersonData:
    """An older resident's data: record, contacts, consents, requests, errands and
    their history, encounters, check-ins, overrides, messages, alerts, audit entries."""
    data = PersonData("elder", elder.id, elder.full_name, utcnow())
    data.add(
        "record",
        [
            _row(
                elder,
                ELDER_FIELDS,
                organization=elder.organization.name,
                municipality=elder.municipality.name if elder.municipality else None,
                village=elder.village.name if elder.village else None,
            )
        ],
    )
    data.add("contacts", [_row(c, CONTACT_FIELDS) for c in elder.contacts])
    taker = _user_names({elder.consent_taken_by_id})
    consents = [
        {
            "whose": elder.full_name,
            "given": elder.consent_given,
            "method": elder.consent_method,
            "at": _plain(elder.consent_at),
            "taken_by": taker.get(elder.consent_taken_by_id) if elder.consent_taken_by_id else None,
        }
    ]
    consents += [
        {"whose": c.name, "given": c.may_contact, "method": None, "at": _plain(c.consent_at), "taken_by": None}
        for c in elder.contacts
    ]
    data.add("consents", consents)

    requests = list(
        db.session.scalars(sa.select(HelpRequest).where(HelpRequest.elder_id == elder.id).order_by(HelpRequest.id))
    )
    data.add(
        "requests",
        [
            _row(
                r,
                REQUEST_FIELDS,
                task_type=r.task_type.name_en,
                requested_by_contact=r.requested_by_contact.name if r.requested_by_contact else None,
            )
            for r in requests
        ],
    )
    errands = list(db.session.scalars(sa.select(Errand).where(Errand.elder_id == elder.id).order_by(Errand.starts_at)))
    assignments = [a for e in errands for a in e.assignments]
    helpers = _helper_names({a.helper_id for a in assignments})
    data.add(
        "errands",
        [
            _row(
                e,
                ERRAND_FIELDS,
                task_type=e.task_type.name_en,
                helpers=[helpers.get(a.helper_id) for a in e.assignments if a.status in ("active", "done")],
            )
            for e in errands
        ],
    )
    data.add(
        "helper_reports",
        [
            _row(
                a,
                ("errand_id", "status", "done_at", "report_text", "report_minutes", "report_note_for_coordinator"),
                helper=helpers.get(a.helper_id),
            )
            for a in assignments
            if a.done_at or a.report_text or a.report_note_for_coordinator
        ],
    )
    events = list(
        db.session.scalars(
            sa.select(ErrandEvent)
            .where(ErrandEvent.errand_id.in_([e.id for e in errands] or [-1]))
            .order_by(ErrandEvent.at, ErrandEvent.id)
        )
    )
    data.add(
        "errand_events",
        [_row(ev, ("errand_id", "at", "from_state", "to_state", "actor_kind", "note")) for ev in events],
    )
    _taking_part(data, "elder_id", elder.id, people.elder_messages(elder), people.elder_audit(elder))
    return data


def collect_contact(contact: ContactPerson) -> PersonData:
    """A relative's or other contact person's data: their record, consent, the
    requests they made, their messages and the audit entries about them."""
    data = PersonData("contact", contact.id, contact.name, utcnow())
    data.add("record", [_row(contact, CONTACT_FIELDS, contact_of=contact.elder.full_name)])
    data.add(
        "consents",
        [{"whose": contact.name, "given": contact.may_contact, "method": None, "at": _plain(contact.consent_at)}],
    )
    requests = db.session.scalars(
        sa.select(HelpRequest).where(HelpRequest.requested_by_contact_id == contact.id).order_by(HelpRequest.id)
    )
    data.add("requests", [_row(r, REQUEST_FIELDS, task_type=r.task_type.name_en) for r in requests])
    data.add("messages", _messages(people.contact_messages(contact)))
    data.add("audit", _audit(people.contact_audit(contact)))
    return data


HELPER_FIELDS = (
    "id",
    "first_name",
    "last_name",
    "birth_date",
    "phone",
    "address_text",
    "lat",
    "lon",
    "transport",
    "max_distance_km",
    "task_types",
    "availability",
    "languages",
    "introduction",
    "slider_sociable",
    "slider_producer",
    "slider_others",
    "slider_digital",
    "suggested_profile",
    "youth_profile",
    "status",
    "paused_until",
    "approved_at",
    "identity_seen",
    "training_held",
    "criminal_record_seen_on",
    "suspended_at",
    "suspension_reason",
    "guardian_name",
    "guardian_phone",
    "sms_opt_out",
    "created_at",
)


def collect_helper(profile: HelperProfile) -> PersonData:
    """A young helper's data: profile and account, guardian consents, offers,
    errands with their reports, encounters, check-ins, overrides, messages,
    alerts and audit entries (about them and done by them)."""
    user = profile.user
    data = PersonData("helper", profile.id, f"{profile.first_name} {profile.last_name}", utcnow())
    data.add(
        "record",
        [
            _row(
                profile,
                HELPER_FIELDS,
                organization=profile.organization.name if profile.organization else None,
                municipality=profile.municipality.name if profile.municipality else None,
                village=profile.village.name if profile.village else None,
            )
        ],
    )
    data.add(
        "account", [_row(user, ("email", "name", "phone", "role", "locale", "active", "created_at", "last_login_at"))]
    )
    data.add(
        "consents",
        [
            _row(
                c,
                (
                    "guardian_name",
                    "guardian_phone",
                    "text_version",
                    "status",
                    "requested_at",
                    "given_at",
                    "given_via",
                    "withdrawn_at",
                ),
            )
            for c in profile.consents
        ],
    )
    offers = db.session.scalars(sa.select(Offer).where(Offer.helper_id == profile.id).order_by(Offer.sent_at))
    data.add("offers", [_row(o, ("errand_id", "status", "sent_at", "responded_at", "responded_via")) for o in offers])
    assignments = db.session.scalars(
        sa.select(Assignment).where(Assignment.helper_id == profile.id).order_by(Assignment.assigned_at)
    )
    data.add(
        "helper_reports",
        [
            _row(
                a,
                (
                    "errand_id",
                    "status",
                    "assigned_at",
                    "withdrawn_at",
                    "withdraw_reason",
                    "done_at",
                    "report_text",
                    "report_minutes",
                    "report_note_for_coordinator",
                ),
                starts_at=a.errand.starts_at,
                task_type=a.errand.task_type.name_en,
            )
            for a in assignments
        ],
    )
    _taking_part(data, "helper_id", profile.id, people.helper_messages(profile), people.helper_audit(profile))
    return data
