"""Readable names of the export's sections and fields (the JSON keeps the keys)."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext

SECTIONS = {
    "record": _l("Personal record"),
    "account": _l("User account"),
    "contacts": _l("Relatives and other contact persons"),
    "consents": _l("Consents"),
    "requests": _l("Requests"),
    "errands": _l("Errands"),
    "helper_reports": _l("Helpers' reports"),
    "errand_events": _l("Errand history"),
    "offers": _l("Offers"),
    "encounters": _l("Encounters"),
    "activities": _l("Shared activities"),
    "activity_invitations": _l("Activity invitations"),
    "check_ins": _l("Well-being check-ins"),
    "stage_overrides": _l("Stage overrides"),
    "messages": _l("Text messages"),
    "alerts": _l("Alerts"),
    "audit": _l("Audit log entries"),
}

#: Reasons the platform gives itself, stored as a code in the audit log (``reason_code``)
#: and shown in the reader's language; a coordinator's reason is stored as typed (``reason``).
REASON_CODES = {"retention": _l("The retention period ended")}


def reason_text(details: dict[str, Any] | None) -> str | None:
    """The reason of an audit entry in the reader's language: a code translated, a typed one as typed."""
    details = details or {}
    code = details.get("reason_code")
    if code:
        return str(REASON_CODES.get(code, code))
    return details.get("reason") or None


#: Who erased a person, by their role (None: the platform itself, e.g. at the end of the retention period).
ERASED_BY = {
    "coordinator": _l("A coordinator"),
    "admin": _l("An admin"),
    None: _l("The platform, automatically"),
}


KINDS = {"elder": _l("Older resident"), "contact": _l("Contact person"), "helper": _l("Helper")}

FIELDS = {
    "channel": _l("Channel"),
    "answer": _l("Answer"),
    "id": lazy_pgettext("identifier", "Number"),
    "first_name": _l("First name"),
    "last_name": _l("Last name"),
    "birth_year": _l("Birth year"),
    "name": _l("Name"),
    "email": _l("Email"),
    "phone": _l("Phone number"),
    "phone_kind": _l("Kind of phone"),
    "contact_channel": _l("How to reach them"),
    "language": _l("Language"),
    "locale": _l("Language"),
    "street_address": _l("Street address"),
    "address_text": _l("Home address"),
    "postcode": _l("Postal code"),
    "municipality": _l("Municipality"),
    "village": _l("Village or district"),
    "organization": _l("Organization"),
    "lat": _l("Latitude"),
    "lon": _l("Longitude"),
    "access_notes": _l("Door and access notes"),
    "health_notes": _l("Health and safety notes"),
    "preferences": _l("Other wishes"),
    "elder_profile": _l("Profile"),
    "suggested_profile": _l("Suggested profile"),
    "youth_profile": _l("Profile"),
    "slider_sociable": _l("Sociable (1–5)"),
    "slider_producer": _l("User or producer of services (1–5)"),
    "slider_others": _l("Takes care of others too (1–5)"),
    "slider_digital": _l("Digital services (1–5)"),
    "prefers_continuity": _l("The same helper whenever possible"),
    "status": _l("Status"),
    "sms_opt_out": _l("No text messages"),
    "created_at": _l("Recorded (time)"),
    "ended_at": _l("Ended"),
    "relation": _l("Relation"),
    "is_primary": _l("Primary contact person"),
    "contact_of": _l("Contact person of"),
    "whose": _l("Whose"),
    "given": _l("Given"),
    "method": _l("How given"),
    "at": _l("Time"),
    "taken_by": _l("Taken by"),
    "requested_by": _l("Who asked"),
    "requested_by_name": _l("Caller's name"),
    "requested_by_contact": _l("Contact person who asked"),
    "task_type": _l("Kind of help"),
    "date_from": _l("First day"),
    "date_to": _l("Last day"),
    "time_from": _l("From (time)"),
    "time_to": _l("Until (time)"),
    "duration_minutes": _l("Duration (minutes)"),
    "helpers_needed": _l("Helpers needed"),
    "notes_for_helper": _l("Notes for the helper"),
    "recurrence": _l("Repeats"),
    "recurrence_until": _l("Repeats until"),
    "request_id": _l("Request number"),
    "errand_id": _l("Errand number"),
    "short_code": _l("Errand code"),
    "starts_at": _l("Starts (time)"),
    "ends_at": _l("Ends (time)"),
    "state": _l("State"),
    "cancel_reason": _l("Reason for cancelling"),
    "helpers": _l("Helpers"),
    "helper": _l("Helper"),
    "done_at": lazy_pgettext("done at", "Done"),
    "report_text": _l("Helper's report"),
    "report_minutes": _l("Minutes reported"),
    "report_note_for_coordinator": _l("Note for the coordinator"),
    "assigned_at": _l("Taken (time)"),
    "withdrawn_at": _l("Withdrawn"),
    "withdraw_reason": _l("Reason for withdrawing"),
    "from_state": _l("From state"),
    "to_state": _l("To state"),
    "actor_kind": _l("Done by"),
    "note": _l("Note on the change"),
    "occurred_at": _l("Time"),
    "kind": _l("Kind"),
    "place_kind": _l("Kind of place"),
    "place_name": _l("Place name"),
    "title": _l("Title"),
    "notes": _l("Notes"),
    "feedback_score": _l("Feedback score"),
    "feedback_comment": _l("Feedback comment"),
    "taken_at": _l("Time"),
    "via": _l("Channel"),
    "answers": _l("Answers"),
    "scores": _l("Scores"),
    "subject_kind": _l("About whom"),
    "stage": _l("Stage"),
    "reason": _l("Reason"),
    "active": _l("In force"),
    "cleared_at": _l("Cleared (time)"),
    "set_by": _l("Set by (person)"),
    "direction": _l("Direction"),
    "sent_at": _l("Sent"),
    "to_phone": _l("To (number)"),
    "from_phone": _l("From (number)"),
    "body": _l("Message text"),
    "message": _l("Message"),
    "resolved_at": _l("Handled (time)"),
    "action": _l("Action"),
    "actor": _l("Who"),
    "subject_type": _l("Record type"),
    "subject_id": _l("Record number"),
    "details": _l("Details"),
    "birth_date": _l("Date of birth"),
    "transport": _l("Getting around"),
    "max_distance_km": _l("Farthest distance (km)"),
    "task_types": _l("Kinds of help"),
    "availability": _l("Available"),
    "languages": _l("Languages"),
    "introduction": _l("Introduction"),
    "paused_until": _l("Break until"),
    "approved_at": _l("Approved"),
    "identity_seen": _l("Identity seen"),
    "training_held": _l("Introduction held"),
    "criminal_record_seen_on": _l("Criminal record extract seen"),
    "suspended_at": _l("Suspended"),
    "suspension_reason": _l("Reason for suspension"),
    "guardian_name": _l("Guardian's name"),
    "guardian_phone": _l("Guardian's phone number"),
    "role": _l("Role (account)"),
    "last_login_at": _l("Last logged in"),
    "text_version": _l("Consent text version"),
    "requested_at": _l("Asked (time)"),
    "given_at": _l("Given (time)"),
    "given_via": _l("Given through"),
    "responded_at": _l("Answered"),
    "responded_via": _l("Answered through"),
}


def field(key: str) -> str:
    label = FIELDS.get(key)
    return str(label) if label is not None else key


def section(key: str) -> str:
    label = SECTIONS.get(key)
    return str(label) if label is not None else key


def columns(rows: list[dict[str, Any]]) -> list[str]:
    """Every key of the rows, in the order first seen."""
    seen: dict[str, None] = {}
    for row in rows:
        for key in row:
            seen.setdefault(key, None)
    return list(seen)


def show(value: Any) -> str:
    """A stored value as text on the readable page."""
    import json

    if value is None or value == "":
        return "–"
    if value is True:
        return _("Yes")
    if value is False:
        return _("No")
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)
