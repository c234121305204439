"""Reading the audit log: the admins' filters, and the actions in words."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from wtforms import Form, SearchField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional, ValidationError

from app.extensions import db
from app.helpers.labels import ACTION_LABELS as HELPER_ACTION_LABELS
from app.i18n import local_midnight
from app.models import AuditLog, User

#: What each action means, in words (the helpers' own from their area). An action not
#: listed is shown by its code.
ACTION_LABELS = {
    **HELPER_ACTION_LABELS,
    "elder.notes_viewed": _l("Health or access notes shown"),
    "person.export": _l("Personal data exported"),
    "person.erase": _l("Personal data erased"),
    "privacy.retention": _l("Retention run: ended residents' notes cleared and personal data erased"),
    "privacy.provider_erasure": _l("Erased people's text messages deleted at the SMS provider"),
    "elder.created": _l("Older resident taken in"),
    "elder.updated": _l("Older resident's details changed"),
    "elder.placed": _l("Older resident placed on the map by hand"),
    "elder.status": _l("Older resident's status changed"),
    "login": _l("Logged in"),
    "coordinator.created": _l("Coordinator account created"),
    "coordinator.activated": _l("Coordinator account activated or deactivated"),
    "task_type.created": _l("Task type created"),
    "task_type.activated": _l("Task type activated or deactivated"),
    "request.cancelled": _l("Request cancelled"),
    "errand.offered": _l("Errand offered"),
    "errand.accepted": _l("Errand taken"),
    "errand.withdrawn": _l("Helper withdrew from an errand"),
    "errand.released": _l("Helper taken off an errand (suspended, account deleted or consent withdrawn)"),
    "errand.done": _l("Errand marked done"),
    "errand.no_show": _l("Helper did not come"),
    "errand.cancelled": _l("Errand cancelled"),
    "helper.certificate_downloaded": _l("Certificate downloaded"),
    "helper.calendar_token_rotated": _l("Calendar link renewed"),
    "stage_override.cleared": _l("Stage set by a coordinator cleared"),
    "checkin.recorded": _l("Well-being check-in recorded"),
    "sms.sent_by_hand": _l("SMS sent by hand"),
}

#: The kinds of subject, in words.
SUBJECT_LABELS = {
    "Elder": _l("Older resident"),
    "HelperProfile": _l("Helper"),
    "User": _l("Account"),
    "Errand": _l("Errand"),
    "HelpRequest": _l("Request"),
    "Organization": _l("Organization"),
    "TaskType": _l("Task type"),
    "GuardianConsent": _l("Guardian's consent"),
    "SmsMessage": lazy_pgettext("audit subject", "SMS"),
    "CheckIn": _l("Well-being check-in"),
    "StageOverride": _l("Stage set by a coordinator"),
    "ContactPerson": _l("Contact person"),
}


@dataclass(frozen=True)
class AuditFilter:
    """What the admin asked for; ``None`` means any."""

    actor: str | None = None  # a part of the name or email address
    action: str | None = None
    subject_type: str | None = None
    subject_id: int | None = None
    date_from: date | None = None  # Helsinki dates, both included
    date_to: date | None = None


def entries(flt: AuditFilter) -> sa.Select:
    """The entries that match, newest first (their actors: :func:`actors_of`)."""
    stmt = sa.select(AuditLog).outerjoin(User, User.id == AuditLog.actor_user_id)
    if flt.actor:
        like = f"%{flt.actor.lower()}%"
        stmt = stmt.where(sa.or_(sa.func.lower(User.name).like(like), sa.func.lower(User.email).like(like)))
    if flt.action:
        stmt = stmt.where(AuditLog.action == flt.action)
    if flt.subject_type:
        stmt = stmt.where(AuditLog.subject_type == flt.subject_type)
    if flt.subject_id is not None:
        stmt = stmt.where(AuditLog.subject_id == flt.subject_id)
    if flt.date_from is not None:
        stmt = stmt.where(AuditLog.at >= local_midnight(flt.date_from))
    if flt.date_to is not None:
        stmt = stmt.where(AuditLog.at < local_midnight(flt.date_to + timedelta(days=1)))
    return stmt.order_by(AuditLog.at.desc(), AuditLog.id.desc())


def actors_of(items: list[AuditLog]) -> dict[int, User]:
    """The accounts that made the entries, by id (one query for a page)."""
    ids = {e.actor_user_id for e in items if e.actor_user_id is not None}
    if not ids:
        return {}
    return {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_(ids)))}


def actions_in_use() -> list[str]:
    """Every action the log holds or knows, for the filter."""
    stored = set(db.session.scalars(sa.select(AuditLog.action).distinct()))
    return sorted(stored | set(ACTION_LABELS))


def subject_types_in_use() -> list[str]:
    stored = {t for t in db.session.scalars(sa.select(AuditLog.subject_type).distinct()) if t}
    return sorted(stored | set(SUBJECT_LABELS))


# --------------------------------------------------------------------------
# The filter form (read from the query string; bad values get a message, never an error page)
# --------------------------------------------------------------------------

MAX_ID = 2**31 - 1


class AuditFilterForm(Form):
    actor = SearchField(_l("Who (a part of the name or email address)"), validators=[Optional(), Length(max=80)])
    action = SelectField(_l("What was done"), choices=[], validate_choice=False)
    subject_type = SelectField(_l("Concerning"), choices=[], validate_choice=False)
    subject_id = StringField(_l("Record number"), render_kw={"inputmode": "numeric"})
    date_from = StringField(_l("First day"), render_kw={"type": "date"})
    date_to = StringField(_l("Last day"), render_kw={"type": "date"})

    def set_choices(self) -> None:
        any_ = str(_l("All"))
        self.action.choices = [SelectChoice("", any_)] + [
            SelectChoice(code, f"{ACTION_LABELS[code]} ({code})" if code in ACTION_LABELS else code)
            for code in actions_in_use()
        ]
        self.subject_type.choices = [SelectChoice("", any_)] + [
            SelectChoice(code, str(SUBJECT_LABELS.get(code, code))) for code in subject_types_in_use()
        ]

    def validate_subject_id(self, field) -> None:
        raw = (field.data or "").strip()
        if raw and (not raw.isdigit() or not 1 <= int(raw) <= MAX_ID):
            raise ValidationError(_l("Write the record number in digits, for example 42."))

    def _date(self, field) -> None:
        if (field.data or "").strip() and _parse_date(field.data) is None:
            raise ValidationError(_l("Write the date as day.month.year or choose it from the calendar."))

    def validate_date_from(self, field) -> None:
        self._date(field)

    def validate_date_to(self, field) -> None:
        self._date(field)
        first, last = _parse_date(self.date_from.data), _parse_date(field.data)
        if first and last and last < first:
            raise ValidationError(_l("The last day cannot be before the first day."))

    def to_filter(self) -> AuditFilter:
        """The filter of the fields that are valid (a field with an error is left out)."""

        def ok(field) -> str | None:
            return None if field.errors else ((field.data or "").replace("\x00", "").strip() or None)

        subject_id, date_from, date_to = ok(self.subject_id), ok(self.date_from), ok(self.date_to)
        return AuditFilter(
            actor=ok(self.actor),
            action=ok(self.action),
            subject_type=ok(self.subject_type),
            subject_id=int(subject_id) if subject_id else None,
            date_from=_parse_date(date_from),
            date_to=_parse_date(date_to),
        )


def _parse_date(raw: str | None) -> date | None:
    """A date written as 2026-03-15 (what a date input sends) or 15.3.2026; ``None`` otherwise."""
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        pass
    try:
        return datetime.strptime(raw, "%d.%m.%Y").date()
    except ValueError:
        return None
