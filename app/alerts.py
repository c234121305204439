"""Coordinator alerts: something a person must act on (call instead, no helper yet...).

Alerts are raised once per ``dedupe_key``; the text shown to coordinators is
written in their language from the alert's kind, with the stored ``message``
(in Finnish) as the fallback for kinds this module does not know.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app import policy
from app.extensions import db
from app.i18n import current_language, local_formatter
from app.models import (
    Activity,
    ContactPerson,
    CoordinatorAlert,
    Elder,
    Errand,
    HelperProfile,
    TaskType,
    User,
    utcnow,
)
from app.phones import display_phone

KIND_LABELS = {
    "sms_undelivered": _l("Text message not delivered"),
    "sms_opt_out": _l("Stopped text messages"),
    "call_reminder": _l("Call to remind"),
    "no_helper": _l("No helper yet"),
    "no_helper_urgent": _l("Still no helper"),
    "sms_cancellation": _l("Cancelled by text message"),
    "call_cancellation": _l("Cancelled in an automated call"),
    "call_back": _l("Call back"),
    "late_withdrawal": _l("Late withdrawal"),
    "activity_call_invite": _l("Call to invite"),
    "activity_under_minimum": _l("Activity under its minimum"),
    "activity_call_reminder": _l("Call to remind of an activity"),
}


def raise_alert(
    kind: str,
    *,
    dedupe_key: str | None,
    organization_id: int | None,
    errand_id: int | None = None,
    elder_id: int | None = None,
    helper_id: int | None = None,
    contact_id: int | None = None,
    activity_id: int | None = None,
    now: datetime | None = None,
) -> CoordinatorAlert | None:
    """Add an alert to the current transaction; None when one with ``dedupe_key`` exists."""
    if dedupe_key is not None:
        exists = db.session.scalar(sa.select(CoordinatorAlert.id).where(CoordinatorAlert.dedupe_key == dedupe_key))
        if exists is not None:
            return None
    alert = CoordinatorAlert(
        kind=kind,
        organization_id=organization_id,
        errand_id=errand_id,
        elder_id=elder_id,
        helper_id=helper_id,
        contact_id=contact_id,
        activity_id=activity_id,
        dedupe_key=dedupe_key,
        created_at=now or utcnow(),
        message="",
    )
    with force_locale("fi"):
        alert.message = describe(alert, stored=True)[:500]
    db.session.add(alert)
    db.session.flush()
    return alert


@dataclass(frozen=True, slots=True)
class _Facts:
    """What an alert's text names, as plain values read from rows (:func:`_read_facts`)."""

    person: str = ""  # the older person's full name, else the helper's
    elder_phone: str | None = None
    helper_name: str = ""  # the helper's display name ("Aino N.")
    errand: str = ""  # "<task in the reader's language> (<short code>)"
    errand_starts_at: datetime | None = None
    contact: tuple[str, str | None] | None = None  # the contact person's name and phone
    activity: str = ""
    activity_starts_at: datetime | None = None
    has_errand: bool = False
    has_elder: bool = False


def describe(alert: CoordinatorAlert, *, stored: bool = False) -> str:
    """The alert in the active language. ``stored``: the Finnish fallback kept in the row,
    without the numbers and contact persons a later erasure could not find there."""
    (facts,) = _read_facts([alert], current_language())
    return _text(alert.kind, alert.message, facts, stored, local_formatter("datetime"))


def _text(kind: str, message: str, facts: _Facts, stored: bool, when: Callable[[datetime | None], str]) -> str:
    """The one wording of each kind of alert (``when``: a time as the reader reads it)."""
    words = {
        "person": facts.person,
        "errand": facts.errand,
        "when": when(facts.errand_starts_at) if facts.has_errand else "",
        "activity": facts.activity,
        "activity_when": when(facts.activity_starts_at) if facts.activity_starts_at else "",
    }
    if kind == "sms_undelivered":
        if stored:
            return _(
                "A text message to %(person)s about %(errand)s on %(when)s was not delivered. Please call instead.",
                **words,
            )
        return _undelivered(facts, words)
    if kind == "sms_opt_out":
        return _("%(person)s asked for no more text messages. Call them about their errands.", **words)
    if kind == "call_reminder":
        return _("Call %(person)s to remind them of %(errand)s on %(when)s.", **words)
    if kind == "no_helper":
        return _(
            "%(errand)s for %(person)s on %(when)s has no helper yet. The offer was sent to more helpers.", **words
        )
    if kind == "no_helper_urgent":
        return _(
            "%(errand)s for %(person)s on %(when)s still has no helper. Please find someone or call the person.",
            **words,
        )
    if kind == "sms_cancellation":
        return _("%(person)s cancelled %(errand)s on %(when)s by text message.", **words)
    if kind == "call_cancellation":
        return _("%(person)s cancelled %(errand)s on %(when)s by pressing 2 in an automated call.", **words)
    if kind == "call_back":
        if not facts.has_errand:
            return _("%(person)s pressed 3 in an automated call: please call them back.", **words)
        return _(
            "%(person)s pressed 3 in an automated call about %(errand)s on %(when)s: please call them back.", **words
        )
    if kind == "activity_call_invite":
        return _("Call %(person)s to invite them to %(activity)s on %(activity_when)s.", **words)
    if kind == "activity_call_reminder":
        return _("Call %(person)s to remind them of %(activity)s on %(activity_when)s.", **words)
    if kind == "activity_under_minimum":
        return _(
            "%(activity)s on %(activity_when)s has fewer people signed up than its minimum. "
            "Invite more people or cancel it.",
            **words,
        )
    if kind == "late_withdrawal":
        person = facts.person if facts.has_elder else ""
        return _(
            "%(helper)s withdrew from %(errand)s for %(person)s on %(when)s, less than 24 hours before. "
            "Please find another helper.",
            **{**words, "helper": facts.helper_name, "person": person},
        )
    return message


# What describe_all reads, as plain columns (built once per language): no ORM objects.
_IDS = sa.bindparam("ids", expanding=True)


@functools.cache
def _fact_statements(language: str) -> dict[str, sa.Select]:
    task = getattr(TaskType, TaskType.name_column(language))
    return {
        "errand": sa.select(
            Errand.id,
            task.label("task"),
            Errand.short_code,
            Errand.starts_at,
            Elder.first_name,
            Elder.last_name,
            Elder.phone,
        )
        .join(TaskType, TaskType.id == Errand.task_type_id)
        .join(Elder, Elder.id == Errand.elder_id)
        .where(Errand.id.in_(_IDS)),
        "elder": sa.select(Elder.id, Elder.first_name, Elder.last_name, Elder.phone).where(Elder.id.in_(_IDS)),
        "helper": sa.select(HelperProfile.id, HelperProfile.first_name, HelperProfile.last_name).where(
            HelperProfile.id.in_(_IDS)
        ),
        "contact": sa.select(ContactPerson.id, ContactPerson.name, ContactPerson.phone).where(
            ContactPerson.id.in_(_IDS)
        ),
        "activity": sa.select(Activity.id, Activity.title, Activity.starts_at).where(Activity.id.in_(_IDS)),
    }


def describe_all(alerts: Sequence) -> dict[int, str]:
    """:func:`describe` for a list of alerts (alert id -> text): alerts, or rows with their
    columns. Their errands, people, contact persons and activities are read as plain rows,
    at most five statements whatever the number of alerts, and each time is formatted
    with the reader's language and zone looked up once."""
    if not alerts:
        return {}
    when = local_formatter("datetime")
    facts = _read_facts(alerts, current_language())
    return {alert.id: _text(alert.kind, alert.message, f, False, when) for alert, f in zip(alerts, facts, strict=True)}


def _read_facts(alerts: Sequence, language: str) -> list[_Facts]:
    """The facts of each alert, in order: its errand, people, contact person and activity
    read as plain rows (at most five statements whatever the number of alerts)."""
    statements = _fact_statements(language)
    wanted = {
        "errand": {a.errand_id for a in alerts if a.errand_id},
        "elder": {a.elder_id for a in alerts if a.elder_id},
        "helper": {a.helper_id for a in alerts if a.helper_id},
        "contact": {a.contact_id for a in alerts if a.contact_id},
        "activity": {a.activity_id for a in alerts if a.activity_id},
    }
    db.session.flush()  # the statements run on the connection, past the autoflush
    connection = db.session.connection()
    rows = {
        name: {row.id: row for row in connection.execute(statements[name], {"ids": sorted(ids)})} if ids else {}
        for name, ids in wanted.items()
    }
    facts = []
    for alert in alerts:
        errand = rows["errand"].get(alert.errand_id)
        elder = rows["elder"].get(alert.elder_id) if alert.elder_id else errand
        helper = rows["helper"].get(alert.helper_id)
        contact = rows["contact"].get(alert.contact_id)
        activity = rows["activity"].get(alert.activity_id)
        facts.append(
            _Facts(
                person=Elder.name_of(elder.first_name, elder.last_name)
                if elder
                else (f"{helper.first_name} {helper.last_name}" if helper else ""),
                elder_phone=elder.phone if elder else None,
                helper_name=HelperProfile.name_of(helper.first_name, helper.last_name) if helper else "",
                errand=f"{errand.task} ({errand.short_code})" if errand else "",
                errand_starts_at=errand.starts_at if errand else None,
                contact=(contact.name, contact.phone) if contact else None,
                activity=activity.title if activity else "",
                activity_starts_at=activity.starts_at if activity else None,
                has_errand=errand is not None,
                has_elder=elder is not None,
            )
        )
    return facts


def _undelivered(facts: _Facts, words: dict[str, str]) -> str:
    """Names the number that failed: the contact person's, or the older person's own."""
    if facts.contact is not None:
        name, phone = facts.contact
        return _(
            "A text message to %(contact)s, contact person of %(person)s, at %(phone)s about %(errand)s "
            "on %(when)s was not delivered. Please call %(contact)s instead.",
            contact=name,
            phone=display_phone(phone) if phone else "-",
            **words,
        )
    return _(
        "A text message to %(person)s at %(phone)s about %(errand)s on %(when)s was not delivered. "
        "Please call instead.",
        phone=display_phone(facts.elder_phone) if facts.elder_phone else "-",
        **words,
    )


def scope_filter(column, user: User):
    """Rows of the user's organizations (admins: all): :func:`app.policy.scope_condition`."""
    return policy.scope_condition(user, column)


def open_alerts_query(user: User) -> sa.Select:
    return (
        sa.select(CoordinatorAlert)
        .where(scope_filter(CoordinatorAlert.organization_id, user) | CoordinatorAlert.organization_id.is_(None))
        .where(CoordinatorAlert.resolved_at.is_(None))
        .order_by(CoordinatorAlert.created_at.desc(), CoordinatorAlert.id.desc())
    )


def resolved_alerts_query(user: User) -> sa.Select:
    return (
        sa.select(CoordinatorAlert)
        .where(scope_filter(CoordinatorAlert.organization_id, user) | CoordinatorAlert.organization_id.is_(None))
        .where(CoordinatorAlert.resolved_at.is_not(None))
        .order_by(CoordinatorAlert.resolved_at.desc(), CoordinatorAlert.id.desc())
    )


def count_open(user: User) -> int:
    return (
        db.session.scalar(sa.select(sa.func.count()).select_from(open_alerts_query(user).order_by(None).subquery()))
        or 0
    )


def resolve(alert_id: int, *, by_user: User, now: datetime | None = None) -> CoordinatorAlert | None:
    """Mark the alert done; None when it does not exist or is not the user's to see."""
    alert = db.session.get(CoordinatorAlert, alert_id)
    if alert is None:
        return None
    if alert.organization_id is not None and not policy.may_see_org(by_user, alert.organization_id):
        return None
    if alert.resolved_at is None:
        alert.resolved_at = now or utcnow()
        alert.resolved_by_id = by_user.id
        db.session.flush()
    return alert
