"""Logging a call, the callbacks queue, and reading both for a coordinator's scope.

Routes hand in plain dataclasses; these functions check the organization rule
(:mod:`app.policy`), flush, and leave the commit to the route."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from app import policy
from app.extensions import db
from app.i18n import local_midnight
from app.models import (
    CALL_OUTCOMES,
    CALL_TOPICS,
    CALLBACK_OUTCOMES,
    CALLER_KINDS,
    Callback,
    CallLog,
    Elder,
    Errand,
    HelperProfile,
    User,
    utcnow,
)
from app.phones import PhoneError, parse_phone


class CallInvalid(ValueError):
    """The call or callback cannot be saved: ``problems`` is a list of (field, code)."""

    def __init__(self, problems: list[tuple[str, str]]):
        super().__init__(problems)
        self.problems = problems


@dataclass(frozen=True)
class Subject:
    """Who or what a call or callback is about (ids as typed or linked; all optional)."""

    elder_id: int | None = None
    helper_id: int | None = None
    errand_id: int | None = None
    organization_id: int | None = None


@dataclass(frozen=True)
class CallInput:
    subject: Subject
    caller_kind: str
    phone: str
    topic: str
    outcome: str
    note: str = ""
    callback_at: datetime | None = None  # with outcome "callback"


@dataclass(frozen=True)
class CallbackInput:
    subject: Subject
    due_at: datetime
    name: str = ""
    phone: str = ""
    note: str = ""


@dataclass(frozen=True)
class Linked:
    elder: Elder | None
    helper: HelperProfile | None
    errand: Errand | None
    organization_id: int | None


def resolve(user: User, subject: Subject) -> Linked:
    """The linked rows the user may see, and the organization the call belongs to:
    the person's or the errand's, else the one chosen. Raises CallInvalid."""
    problems: list[tuple[str, str]] = []
    errand = db.session.get(Errand, subject.errand_id) if subject.errand_id else None
    elder = db.session.get(Elder, subject.elder_id) if subject.elder_id else None
    if elder is None and errand is not None:
        elder = db.session.get(Elder, errand.elder_id)
    helper = db.session.get(HelperProfile, subject.helper_id) if subject.helper_id else None
    for found, wanted, name, rule in (
        (elder, subject.elder_id, "elder_id", policy.coordinator_may_see_elder),
        (helper, subject.helper_id, "helper_id", policy.coordinator_may_see_helper),
        (errand, subject.errand_id, "errand_id", policy.coordinator_may_see_errand),
    ):
        if wanted and (found is None or not rule(user, found)):
            problems.append((name, "unknown_person"))
    if problems:
        raise CallInvalid(problems)
    organization_id = (
        (errand.organization_id if errand else None)
        or (elder.organization_id if elder else None)
        or (helper.organization_id if helper else None)
        or subject.organization_id
    )
    if organization_id is None or not policy.may_see_org(user, organization_id):
        raise CallInvalid([("organization_id", "choose_organization")])
    return Linked(elder, helper, errand, organization_id)


def _phone(raw: str, fallback: str | None) -> str | None:
    if not raw.strip():
        return fallback
    try:
        return parse_phone(raw, allow_foreign=True).e164
    except PhoneError as exc:
        raise CallInvalid([("phone", exc.code)]) from exc


def log_call(data: CallInput, *, by: User, now: datetime | None = None) -> CallLog:
    """Write one call (and its callback when the outcome asks for one). Raises CallInvalid."""
    now = now or utcnow()
    problems = [
        (name, "choose")
        for name, value, allowed in (
            ("caller_kind", data.caller_kind, CALLER_KINDS),
            ("topic", data.topic, CALL_TOPICS),
            ("outcome", data.outcome, CALL_OUTCOMES),
        )
        if value not in allowed
    ]
    if data.outcome == "callback" and data.callback_at is None:
        problems.append(("callback_time", "callback_time"))
    if problems:
        raise CallInvalid(problems)
    linked = resolve(by, data.subject)
    person = linked.elder or linked.helper
    call = CallLog(
        organization_id=linked.organization_id,
        coordinator_id=by.id,
        caller_kind=data.caller_kind,
        phone=_phone(data.phone, person.phone if person else None),
        topic=data.topic,
        outcome=data.outcome,
        note=data.note.strip()[:300],
        elder_id=linked.elder.id if linked.elder else None,
        helper_id=linked.helper.id if linked.helper else None,
        errand_id=linked.errand.id if linked.errand else None,
        called_at=now,
    )
    db.session.add(call)
    db.session.flush()
    if data.outcome == "callback" and data.callback_at is not None:
        _add_callback(linked, call=call, due_at=data.callback_at, phone=call.phone, name="", note=call.note, by=by)
    return call


def _add_callback(
    linked: Linked, *, call: CallLog | None, due_at: datetime, phone: str | None, name: str, note: str, by: User
) -> Callback:
    callback = Callback(
        organization_id=linked.organization_id,
        call_id=call.id if call else None,
        elder_id=linked.elder.id if linked.elder else None,
        helper_id=linked.helper.id if linked.helper else None,
        name=name.strip()[:120],
        phone=phone,
        note=note.strip()[:300],
        due_at=due_at,
        created_by_id=by.id,
    )
    db.session.add(callback)
    db.session.flush()
    return callback


def add_callback(data: CallbackInput, *, by: User) -> Callback:
    """A callback on its own (no call logged). Raises CallInvalid."""
    linked = resolve(by, data.subject)
    person = linked.elder or linked.helper
    phone = _phone(data.phone, person.phone if person else None)
    if person is None and not (data.name.strip() and phone):
        raise CallInvalid([("name", "callback_who")])
    return _add_callback(linked, call=None, due_at=data.due_at, phone=phone, name=data.name, note=data.note, by=by)


def load_callback(user: User, callback_id: int) -> Callback | None:
    """The callback, when it is of the user's organizations (:func:`policy.may_see_org`)."""
    callback = db.session.get(Callback, callback_id)
    if callback is None or not policy.may_see_org(user, callback.organization_id):
        return None
    return callback


def close_callback(callback: Callback, outcome: str, *, by: User, now: datetime | None = None) -> None:
    """Done, or given up as not reached. Closing a closed one changes nothing."""
    if outcome not in CALLBACK_OUTCOMES:
        raise CallInvalid([("outcome", "choose")])
    if callback.outcome is not None:
        return
    callback.outcome = outcome
    callback.tries += 1
    callback.closed_by_id = by.id
    callback.closed_at = now or utcnow()
    db.session.flush()


def retry_callback(callback: Callback, due_at: datetime) -> None:
    """Not reached now: try again at ``due_at`` (the try is counted)."""
    if callback.outcome is not None:
        raise CallInvalid([("due_at", "closed")])
    callback.tries += 1
    callback.due_at = due_at
    db.session.flush()


def open_callbacks(scope: set[int] | None, *, until: datetime) -> list[Callback]:
    """The open callbacks of the scope's organizations due before ``until``, earliest
    first, with their person (one statement)."""
    stmt = (
        sa.select(Callback)
        .where(Callback.outcome.is_(None), Callback.due_at < until)
        .options(joinedload(Callback.elder), joinedload(Callback.helper))
        .order_by(Callback.due_at, Callback.id)
    )
    if scope is not None:
        stmt = stmt.where(Callback.organization_id.in_(sorted(scope) or [-1]))
    return list(db.session.scalars(stmt).unique())


def callbacks_for_day(scope: set[int] | None, day: date) -> list[Callback]:
    """What the day page lists: open callbacks due by the end of ``day`` (overdue ones too)."""
    return open_callbacks(scope, until=local_midnight(day + timedelta(days=1)))


@dataclass(frozen=True)
class CallFilter:
    day: date | None = None
    caller_kind: str = ""
    outcome: str = ""
    elder_id: int | None = None
    helper_id: int | None = None


def calls_query(user: User, flt: CallFilter) -> sa.Select:
    """The calls of the user's organizations matching the filter, newest (today's) first."""
    stmt = (
        sa.select(CallLog)
        .where(policy.scope_condition(user, CallLog.organization_id))
        .options(joinedload(CallLog.elder), joinedload(CallLog.helper), joinedload(CallLog.coordinator))
        .order_by(CallLog.called_at.desc(), CallLog.id.desc())
    )
    if flt.day is not None:
        start = local_midnight(flt.day)
        stmt = stmt.where(CallLog.called_at >= start, CallLog.called_at < local_midnight(flt.day + timedelta(days=1)))
    if flt.caller_kind in CALLER_KINDS:
        stmt = stmt.where(CallLog.caller_kind == flt.caller_kind)
    if flt.outcome in CALL_OUTCOMES:
        stmt = stmt.where(CallLog.outcome == flt.outcome)
    if flt.elder_id:
        stmt = stmt.where(CallLog.elder_id == flt.elder_id)
    if flt.helper_id:
        stmt = stmt.where(CallLog.helper_id == flt.helper_id)
    return stmt


def recent_calls(user: User, flt: CallFilter, limit: int = 5) -> list[CallLog]:
    return list(db.session.scalars(calls_query(user, flt).limit(limit)).unique())
