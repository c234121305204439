"""Taking a request on the phone and turning it into dated errands.

A :class:`~app.models.HelpRequest` is what was asked for; every
:class:`~app.models.Errand` is one dated occurrence of it, matched and tracked
on its own. Times are entered as Europe/Helsinki wall-clock times and stored in
UTC, so a weekly errand at 10:00 stays at 10:00 local time across the changes to
and from summer time (its UTC time moves by an hour).

* A one-off request gets its one errand at once.
* A flexible request ("any day from Monday to Thursday") gets one errand on its
  first day, at ``time_from`` (or 09:00) for the expected duration; the last day
  stays on the request for the coordinator and the helper to see.
* A repeating request (weekly or every second week, at most six months) gets its
  dated errands ahead of time, up to ``ERRAND_HORIZON_DAYS`` (a setting);
  :func:`generate_due_errands` is run by the scheduler to keep that horizon
  filled. It is idempotent: an occurrence that exists is never created twice
  (``UniqueConstraint(request_id, starts_at)`` guards it in the database too).

Services ``flush()``; the caller commits.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import contains_eager

from app import audit, rollups
from app.errands import lifecycle
from app.extensions import db
from app.i18n import HELSINKI, local_to_utc
from app.models import (
    NO_CONSENT,
    Assignment,
    ContactPerson,
    Elder,
    Errand,
    ErrandEvent,
    HelperProfile,
    HelpRequest,
    TaskType,
    User,
    utcnow,
)
from app.vocabulary import LIVE_ERRAND_STATES

#: Errand states that are not finished: their short codes must stay unique.
MAX_REPEAT_DAYS = 183  # "at most six months"
FLEXIBLE_DEFAULT_TIME = time(9, 0)
MAX_FLEXIBLE_DAYS = 31
REQUESTERS = ("elder", "relative", "other")
RECURRENCES = ("none", "weekly", "biweekly")
RECURRENCE_STEP_DAYS = {"weekly": 7, "biweekly": 14}
MIN_DURATION, MAX_DURATION = 15, 8 * 60
MAX_NOTES = 1000

# A Finnish personal identity code: DDMMYY, century sign, three digits, check character.
IDENTITY_CODE_RE = re.compile(r"\b\d{6}\s?[-+A-FU-Ya-fu-y]\s?\d{3}[0-9A-Ya-y]\b")
_DIGITS_RE = re.compile(r"\d")


class RequestInvalid(Exception):
    """The request breaks one or more rules; ``problems`` are ``(field, code)`` pairs."""

    def __init__(self, problems: list[tuple[str, str]]):
        super().__init__(", ".join(code for _, code in problems))
        self.problems = problems


class RequestError(Exception):
    """A request cannot be changed as asked (``code`` says why)."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


@dataclass(frozen=True, slots=True, kw_only=True)
class RequestInput:
    """Everything the coordinator entered on the intake page, already typed."""

    elder_id: int
    task_type_id: int
    requested_by: str = "elder"  # elder|relative|other
    requested_by_contact_id: int | None = None
    requested_by_name: str | None = None
    flexible: bool = False
    date_from: date
    date_to: date | None = None
    time_from: time | None = None
    time_to: time | None = None
    duration_minutes: int = 60
    helpers_needed: int = 1
    notes_for_helper: str = ""
    preferred_helper_id: int | None = None
    recurrence: str = "none"
    recurrence_until: date | None = None


# --------------------------------------------------------------------------
# Local time
# --------------------------------------------------------------------------


def date_shortcuts(today: date) -> list[tuple[str, date]]:
    """The days a request's date is usually one of, as ("today" | "tomorrow" | "weekday", day):
    today, tomorrow, then each of the next Monday to Friday after tomorrow, in date order."""
    tomorrow = today + timedelta(days=1)
    weekdays = [tomorrow + timedelta(days=n) for n in range(1, 8)]
    return [("today", today), ("tomorrow", tomorrow)] + [("weekday", d) for d in weekdays if d.weekday() < 5]


def local_today(now: datetime) -> date:
    return now.astimezone(HELSINKI).date()


def errand_window(req: HelpRequest | RequestInput, day: date) -> tuple[datetime, datetime]:
    """Start and end (UTC) of the occurrence of ``req`` on local date ``day``."""
    start_time = req.time_from or FLEXIBLE_DEFAULT_TIME
    starts_at = local_to_utc(day, start_time)
    if not req.flexible and req.time_to is not None:
        ends_at = local_to_utc(day, req.time_to)
    else:
        ends_at = starts_at + timedelta(minutes=req.duration_minutes)
    return starts_at, ends_at


def first_flexible_day(req: HelpRequest | RequestInput, now: datetime) -> date | None:
    """The first day of a flexible window whose start time is still ahead."""
    day, last = req.date_from, req.date_to or req.date_from
    while day <= last:
        if errand_window(req, day)[0] >= now:
            return day
        day += timedelta(days=1)
    return None


def occurrence_dates(req: HelpRequest | RequestInput, last: date, now: datetime | None = None) -> list[date]:
    """Local dates of the request's occurrences from its first day up to ``last``
    (a flexible request: its first day that is still ahead of ``now``)."""
    if req.flexible:
        first = first_flexible_day(req, now) if now is not None else req.date_from
        return [first] if first is not None else []
    step = RECURRENCE_STEP_DAYS.get(req.recurrence)
    if step is None or req.recurrence_until is None:
        return [req.date_from]
    end = min(req.recurrence_until, last)
    out: list[date] = []
    day = req.date_from
    while day <= end:
        out.append(day)
        day += timedelta(days=step)
    return out or [req.date_from]


# --------------------------------------------------------------------------
# Checks
# --------------------------------------------------------------------------


def phone_digit_variants(phone: str | None) -> set[str]:
    """Digit strings a phone number may be written as (+358 40 ... or 040 ...)."""
    if not phone:
        return set()
    digits = "".join(_DIGITS_RE.findall(phone))
    variants = {digits}
    if digits.startswith("358"):
        variants.add("0" + digits[3:])
    elif digits.startswith("0"):
        variants.add("358" + digits[1:])
    return {v for v in variants if len(v) >= 6}


def notes_problem(text: str, phones: Iterable[str | None]) -> str | None:
    """``notes_phone`` or ``notes_identity_code`` when the notes hold what they must not."""
    if not text:
        return None
    if IDENTITY_CODE_RE.search(text):
        return "notes_identity_code"
    digits = "".join(_DIGITS_RE.findall(text))
    for phone in phones:
        if any(v in digits for v in phone_digit_variants(phone)):
            return "notes_phone"
    return None


def helpers_who_helped(elder_id: int) -> list[HelperProfile]:
    """The approved helpers who have helped this person before (any organization), by name."""
    before_ids = (
        sa.select(Assignment.helper_id).join(Errand).where(Errand.elder_id == elder_id, Assignment.status == "done")
    )
    return list(
        db.session.scalars(
            sa.select(HelperProfile)
            .where(HelperProfile.id.in_(before_ids), HelperProfile.status == "approved")
            .order_by(HelperProfile.first_name, HelperProfile.last_name)
        )
    )


def preferred_helper_choices(elder: Elder) -> tuple[list[HelperProfile], list[HelperProfile]]:
    """Helpers to offer as the preferred one: those who have helped this person
    before (any organization) and the other approved helpers of the person's
    organization, each list ordered by name."""
    before = helpers_who_helped(elder.id)
    known = {h.id for h in before}
    others = [
        h
        for h in db.session.scalars(
            sa.select(HelperProfile)
            .where(HelperProfile.organization_id == elder.organization_id, HelperProfile.status == "approved")
            .order_by(HelperProfile.first_name, HelperProfile.last_name)
        )
        if h.id not in known
    ]
    return before, others


def check_request(inp: RequestInput, elder: Elder, *, now: datetime) -> list[tuple[str, str]]:
    """Every rule the input breaks, as ``(field, code)`` pairs (empty when fine)."""
    problems: list[tuple[str, str]] = []
    add = problems.append
    today = local_today(now)

    if elder.erased_at is not None:
        add(("elder", "elder_erased"))
    elif elder.status != "active":
        add(("elder", "elder_not_active"))
    if not elder.has_consent:
        add(("elder", NO_CONSENT))
    task = db.session.get(TaskType, inp.task_type_id)
    if task is None or not task.active:
        add(("task_type", "task_type_unknown"))

    if inp.requested_by not in REQUESTERS:
        add(("requested_by", "requested_by_unknown"))
    elif inp.requested_by == "relative":
        if inp.requested_by_contact_id is None:
            add(("requested_by_contact", "contact_missing"))
        elif not any(c.id == inp.requested_by_contact_id for c in elder.contacts):
            add(("requested_by_contact", "contact_not_of_elder"))
    elif inp.requested_by == "other" and not (inp.requested_by_name or "").strip():
        add(("requested_by_name", "caller_name_missing"))

    if not MIN_DURATION <= inp.duration_minutes <= MAX_DURATION:
        add(("duration_minutes", "duration_range"))
    if not 1 <= inp.helpers_needed <= 3:
        add(("helpers_needed", "helpers_range"))

    if inp.date_from < today:
        add(("date_from", "date_past"))
    if inp.flexible:
        if inp.date_to is None:
            add(("date_to", "date_to_missing"))
        elif inp.date_to < inp.date_from:
            add(("date_to", "date_to_before"))
        elif (inp.date_to - inp.date_from).days > MAX_FLEXIBLE_DAYS:
            add(("date_to", "flexible_too_long"))
        if inp.recurrence != "none":
            add(("recurrence", "flexible_repeat"))
    elif inp.time_from is None:
        add(("time_from", "time_missing"))
    if inp.time_from is not None and inp.time_to is not None:
        if inp.time_to <= inp.time_from:
            add(("time_to", "time_order"))
        else:
            span = datetime.combine(inp.date_from, inp.time_to) - datetime.combine(inp.date_from, inp.time_from)
            if span < timedelta(minutes=inp.duration_minutes):
                add(("time_to", "window_shorter_than_duration"))
    if inp.date_from == today and not any(field == "date_to" for field, _ in problems):
        if inp.flexible:
            if first_flexible_day(inp, now) is None:
                add(("time_from", "time_past"))
        elif inp.time_from is not None and local_to_utc(inp.date_from, inp.time_from) < now:
            add(("time_from", "time_past"))

    if inp.recurrence not in RECURRENCES:
        add(("recurrence", "recurrence_unknown"))
    elif inp.recurrence != "none":
        if inp.recurrence_until is None:
            add(("recurrence_until", "until_missing"))
        elif inp.recurrence_until < inp.date_from:
            add(("recurrence_until", "until_before"))
        elif (inp.recurrence_until - inp.date_from).days > MAX_REPEAT_DAYS:
            add(("recurrence_until", "until_too_far"))

    if len(inp.notes_for_helper) > MAX_NOTES:
        add(("notes_for_helper", "notes_too_long"))
    phones = [elder.phone, *(c.phone for c in elder.contacts)]
    problem = notes_problem(inp.notes_for_helper, phones)
    if problem:
        add(("notes_for_helper", problem))

    if inp.preferred_helper_id is not None:
        before, others = preferred_helper_choices(elder)
        if inp.preferred_helper_id not in {h.id for h in (*before, *others)}:
            add(("preferred_helper", "preferred_unknown"))
    return problems


# --------------------------------------------------------------------------
# Creating requests and errands
# --------------------------------------------------------------------------


class ShortCodes:
    """Hands out short numbers for SMS replies ("KYLLÄ 123"), unique among the
    errands that are not finished. Three digits while they last (a random pick,
    retried on a clash), then four. Loads the codes in use once per batch."""

    def __init__(self, rng: random.Random | None = None) -> None:
        self.rng = rng or random.SystemRandom()
        self.taken: set[str] = set(
            db.session.scalars(sa.select(Errand.short_code).where(Errand.state.in_(LIVE_ERRAND_STATES)))
        )

    def new(self) -> str:
        for low, high, tries in ((100, 999, 30), (1000, 9999, 300)):
            for _ in range(tries):
                code = str(self.rng.randint(low, high))
                if code not in self.taken:
                    self.taken.add(code)
                    return code
        code = next(str(n) for n in range(1000, 10000) if str(n) not in self.taken)  # pragma: no cover
        self.taken.add(code)  # pragma: no cover
        return code  # pragma: no cover


def _new_errand(req: HelpRequest, day: date, *, codes: ShortCodes, actor: User | None, now: datetime) -> Errand:
    starts_at, ends_at = errand_window(req, day)
    errand = Errand(
        request=req,
        elder_id=req.elder_id,
        organization_id=req.organization_id,
        task_type_id=req.task_type_id,
        starts_at=starts_at,
        ends_at=ends_at,
        duration_minutes=req.duration_minutes,
        helpers_needed=req.helpers_needed,
        state="open",
        short_code=codes.new(),
    )
    errand.events.append(
        ErrandEvent(
            from_state=None,
            to_state="open",
            actor_user_id=actor.id if actor else None,
            actor_kind="coordinator" if actor else "system",
            at=now,
        )
    )
    db.session.add(errand)
    rollups.touch(errand)
    return errand


def _materialise(
    req: HelpRequest,
    *,
    now: datetime,
    horizon_days: int,
    existing: set[datetime],
    codes: ShortCodes,
    actor: User | None,
) -> list[Errand]:
    """Create the request's missing occurrences that start after ``now``, up to
    the horizon (the first occurrence always, however far ahead). A person
    without a recorded consent gets none."""
    if not req.elder.has_consent:
        return []
    last = max(local_today(now) + timedelta(days=horizon_days), req.date_from)
    created: list[Errand] = []
    for day in occurrence_dates(req, last, now):
        starts_at, _ = errand_window(req, day)
        if starts_at in existing or starts_at < now:
            continue
        created.append(_new_errand(req, day, codes=codes, actor=actor, now=now))
        existing.add(starts_at)
    return created


def create_request(
    inp: RequestInput,
    *,
    taken_by: User,
    now: datetime | None = None,
    horizon_days: int | None = None,
) -> HelpRequest:
    """Save a request taken on the phone and its first dated errands.

    Raises :class:`RequestInvalid` with every broken rule.
    """
    now = now or utcnow()
    elder = db.session.get(Elder, inp.elder_id)
    if elder is None:
        raise RequestInvalid([("elder", "elder_unknown")])
    problems = check_request(inp, elder, now=now)
    if problems:
        raise RequestInvalid(problems)
    flexible = inp.flexible
    req = HelpRequest(
        elder=elder,
        organization_id=elder.organization_id,
        task_type_id=inp.task_type_id,
        requested_by=inp.requested_by,
        requested_by_contact_id=inp.requested_by_contact_id if inp.requested_by == "relative" else None,
        requested_by_name=(inp.requested_by_name or "").strip() or None if inp.requested_by == "other" else None,
        taken_by_id=taken_by.id,
        date_from=inp.date_from,
        date_to=inp.date_to if flexible and inp.date_to else inp.date_from,
        time_from=inp.time_from,
        time_to=inp.time_to,
        flexible=flexible,
        duration_minutes=inp.duration_minutes,
        helpers_needed=inp.helpers_needed,
        notes_for_helper=inp.notes_for_helper.strip() or None,
        preferred_helper_id=inp.preferred_helper_id,
        recurrence=inp.recurrence,
        recurrence_until=inp.recurrence_until if inp.recurrence != "none" else None,
        status="active",
    )
    db.session.add(req)
    rollups.touch(req)
    _materialise(req, now=now, horizon_days=_horizon(horizon_days), existing=set(), codes=ShortCodes(), actor=taken_by)
    db.session.flush()
    return req


def _horizon(days: int | None) -> int:
    """How many days ahead repeating requests get dated errands: ``days``, or the setting."""
    return int(current_app.config["ERRAND_HORIZON_DAYS"]) if days is None else days


def generate_due_errands(now: datetime | None = None, horizon_days: int | None = None) -> int:
    """Create the dated errands of repeating requests that fall within the
    horizon and do not exist yet; returns how many were created.

    Safe to run as often as wanted: existing occurrences are skipped. Requests
    that are cancelled, or whose person's record is paused or ended or has no
    recorded consent (any more), get no new errands; occurrences already in the past are never created.
    """
    now = now or utcnow()
    horizon_days = _horizon(horizon_days)
    today = local_today(now)
    requests = list(
        db.session.scalars(
            sa.select(HelpRequest)
            .join(HelpRequest.elder)
            .options(contains_eager(HelpRequest.elder))
            .where(
                HelpRequest.status == "active",
                HelpRequest.recurrence.in_(tuple(RECURRENCE_STEP_DAYS)),
                HelpRequest.recurrence_until >= today,
                HelpRequest.date_from <= today + timedelta(days=horizon_days),
                Elder.status == "active",
                Elder.has_consent,
            )
            .order_by(HelpRequest.id)
        )
    )
    if not requests:
        return 0
    existing: dict[int, set[datetime]] = {r.id: set() for r in requests}
    rows = db.session.execute(
        sa.select(Errand.request_id, Errand.starts_at).where(
            Errand.request_id.in_(list(existing)), Errand.starts_at >= now - timedelta(days=1)
        )
    )
    for request_id, starts_at in rows:
        existing[request_id].add(starts_at)
    codes = ShortCodes()
    created = 0
    for req in requests:
        created += len(
            _materialise(req, now=now, horizon_days=horizon_days, existing=existing[req.id], codes=codes, actor=None)
        )
    db.session.flush()
    return created


def cancel_request(request_id: int, *, by_user: User, by_kind: str, reason: str, now: datetime | None = None) -> int:
    """Cancel a whole request: no more errands are made for it and its coming
    errands that are not finished are cancelled through the errand state
    machine (helpers and offers are told there). Returns how many errands were
    cancelled. Raises :class:`RequestError` ``already_cancelled``."""

    now = now or utcnow()
    req = db.session.get(HelpRequest, request_id)
    if req is None:
        raise RequestError("not_found")
    if req.status == "cancelled":
        raise RequestError("already_cancelled")
    req.status = "cancelled"
    coming = list(
        db.session.scalars(
            sa.select(Errand.id)
            .where(Errand.request_id == req.id, Errand.state.in_(LIVE_ERRAND_STATES), Errand.starts_at >= now)
            .order_by(Errand.starts_at)
        )
    )
    for errand_id in coming:
        lifecycle.cancel_errand(errand_id, by_user=by_user, by_kind=by_kind, reason=reason)
    audit.record("request.cancelled", req, actor=by_user, by_kind=by_kind, reason=reason, errands=len(coming))
    db.session.flush()
    return len(coming)


def requester_label_parts(req: HelpRequest) -> tuple[str, str | None]:
    """(kind, name) of who asked: the contact person's or the caller's name when known."""
    if req.requested_by == "relative" and req.requested_by_contact is not None:
        return req.requested_by, req.requested_by_contact.name
    if req.requested_by == "other":
        return req.requested_by, req.requested_by_name
    return req.requested_by, None


def contact_of(elder: Elder, contact_id: int | None) -> ContactPerson | None:
    return next((c for c in elder.contacts if c.id == contact_id), None)
