"""Coordinator alerts: something a person must act on (call instead, no helper yet...).

Alerts are raised once per ``dedupe_key``; the text shown to coordinators is
written in their language from the alert's kind, with the stored ``message``
(in Finnish) as the fallback for kinds this module does not know.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import force_locale, format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from app import policy
from app.extensions import db
from app.i18n import current_language
from app.models import Activity, ContactPerson, CoordinatorAlert, Elder, Errand, HelperProfile, User, utcnow
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


def _errand_words(errand: Errand | None) -> dict[str, str]:
    if errand is None:
        return {"errand": "", "when": ""}
    return {
        "errand": f"{errand.task_type.name(current_language())} ({errand.short_code})",
        "when": format_datetime(errand.starts_at, "short"),
    }


def _activity_words(activity_id: int | None) -> dict[str, str]:
    activity = db.session.get(Activity, activity_id) if activity_id else None
    if activity is None:
        return {"activity": "", "activity_when": ""}
    return {"activity": activity.title, "activity_when": format_datetime(activity.starts_at, "short")}


def describe(alert: CoordinatorAlert, *, stored: bool = False) -> str:
    """The alert in the active language. ``stored``: the Finnish fallback kept in the row,
    without the numbers and contact persons a later erasure could not find there."""
    errand = db.session.get(Errand, alert.errand_id) if alert.errand_id else None
    elder = db.session.get(Elder, alert.elder_id) if alert.elder_id else (errand.elder if errand else None)
    helper = db.session.get(HelperProfile, alert.helper_id) if alert.helper_id else None
    person = elder.full_name if elder else (f"{helper.first_name} {helper.last_name}" if helper else "")
    words = {"person": person, **_errand_words(errand), **_activity_words(alert.activity_id)}
    if alert.kind == "sms_undelivered":
        if stored:
            return _(
                "A text message to %(person)s about %(errand)s on %(when)s was not delivered. Please call instead.",
                **words,
            )
        return _undelivered(alert, elder, words)
    if alert.kind == "sms_opt_out":
        return _("%(person)s asked for no more text messages. Call them about their errands.", **words)
    if alert.kind == "call_reminder":
        return _("Call %(person)s to remind them of %(errand)s on %(when)s.", **words)
    if alert.kind == "no_helper":
        return _(
            "%(errand)s for %(person)s on %(when)s has no helper yet. The offer was sent to more helpers.", **words
        )
    if alert.kind == "no_helper_urgent":
        return _(
            "%(errand)s for %(person)s on %(when)s still has no helper. Please find someone or call the person.",
            **words,
        )
    if alert.kind == "sms_cancellation":
        return _("%(person)s cancelled %(errand)s on %(when)s by text message.", **words)
    if alert.kind == "call_cancellation":
        return _("%(person)s cancelled %(errand)s on %(when)s by pressing 2 in an automated call.", **words)
    if alert.kind == "call_back":
        if errand is None:
            return _("%(person)s pressed 3 in an automated call: please call them back.", **words)
        return _(
            "%(person)s pressed 3 in an automated call about %(errand)s on %(when)s: please call them back.", **words
        )
    if alert.kind == "activity_call_invite":
        return _("Call %(person)s to invite them to %(activity)s on %(activity_when)s.", **words)
    if alert.kind == "activity_call_reminder":
        return _("Call %(person)s to remind them of %(activity)s on %(activity_when)s.", **words)
    if alert.kind == "activity_under_minimum":
        return _(
            "%(activity)s on %(activity_when)s has fewer people signed up than its minimum. "
            "Invite more people or cancel it.",
            **words,
        )
    if alert.kind == "late_withdrawal":
        helper_name = helper.display_name if helper else ""
        person = elder.full_name if elder else ""
        return _(
            "%(helper)s withdrew from %(errand)s for %(person)s on %(when)s, less than 24 hours before. "
            "Please find another helper.",
            **{**words, "helper": helper_name, "person": person},
        )
    return alert.message


def describe_all(alerts: list[CoordinatorAlert]) -> dict[int, str]:
    """:func:`describe` for a list of alerts (alert id -> text), their errands, people and
    contact persons and activities read first in at most five statements, whatever the number of alerts."""
    wanted = {
        Errand: {a.errand_id for a in alerts if a.errand_id},
        Elder: {a.elder_id for a in alerts if a.elder_id},
        HelperProfile: {a.helper_id for a in alerts if a.helper_id},
        ContactPerson: {a.contact_id for a in alerts if a.contact_id},
        Activity: {a.activity_id for a in alerts if a.activity_id},
    }
    loads = {Errand: (selectinload(Errand.task_type), selectinload(Errand.elder))}
    # Held here while describing: the session keeps only weak references to what it loaded.
    held = [
        db.session.scalars(sa.select(model).where(model.id.in_(sorted(ids))).options(*loads.get(model, ()))).all()
        for model, ids in wanted.items()
        if ids  # into the session: describe's db.session.get then finds them without a statement
    ]
    texts = {alert.id: describe(alert) for alert in alerts}
    del held
    return texts


def _undelivered(alert: CoordinatorAlert, elder: Elder | None, words: dict[str, str]) -> str:
    """Names the number that failed: the contact person's, or the older person's own."""
    contact = db.session.get(ContactPerson, alert.contact_id) if alert.contact_id else None
    if contact is not None:
        return _(
            "A text message to %(contact)s, contact person of %(person)s, at %(phone)s about %(errand)s "
            "on %(when)s was not delivered. Please call %(contact)s instead.",
            contact=contact.name,
            phone=display_phone(contact.phone) if contact.phone else "-",
            **words,
        )
    return _(
        "A text message to %(person)s at %(phone)s about %(errand)s on %(when)s was not delivered. "
        "Please call instead.",
        phone=display_phone(elder.phone) if elder is not None and elder.phone else "-",
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
