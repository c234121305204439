"""Reminders and feedback requests, created when they fall due.

Due times are Helsinki wall-clock times (the day before at 18:00) or plain
durations (two hours before the start), so they are right across the changes
to and from summer time. Every text goes through the outbox with a dedupe key
per errand, kind and recipient, so it can never be created twice, however
often the job runs or restarts.

* The helper: the day before at ``REMINDER_DAY_BEFORE_HOUR`` (without the
  address) and ``REMINDER_HOURS_BEFORE`` hours before (with the address: they
  are the assigned helper).
* The older person's side, the day before, through ``Elder.contact_channel``:
  ``sms_self`` -> the person's mobile, ``sms_relative`` -> the primary contact
  person who agreed to be contacted, ``voice`` -> an automated call (one that
  nobody answers after ``VOICE_MAX_TRIES`` becomes the same "call to remind"
  alert, :mod:`app.sms.voice`); ``coordinator_call`` (or no usable
  number) -> a coordinator alert "call to remind" at ``REMINDER_CALL_HOUR``.
* A reminder is skipped when the helper was assigned after it fell due: the
  confirmation they just got says the same.
* After a done errand (``FEEDBACK_DELAY_HOURS`` after its end, for
  ``FEEDBACK_WINDOW_DAYS``): "reply 1-5" to the older person's side and to
  each helper who did it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from app.alerts import raise_alert
from app.errands import notifications
from app.errands.notifications import elder_recipient
from app.extensions import db
from app.i18n import HELSINKI
from app.models import Assignment, Elder, Encounter, EncounterParticipant, Errand, HelperProfile, SmsMessage
from app.scheduling.settings import setting
from app.sms.outbox import queue_sms
from app.sms.people import helper_language

LOOKAHEAD = timedelta(days=2)


def local_time_on(day: date, hour: int) -> datetime:
    """``hour``:00 Helsinki time on ``day``, as UTC."""
    return datetime.combine(day, time(hour), tzinfo=HELSINKI).astimezone(UTC)


def day_before_at(starts_at: datetime, hour: int) -> datetime:
    return local_time_on(starts_at.astimezone(HELSINKI).date() - timedelta(days=1), hour)


def helper_reminder_key(kind: str, errand_id: int, helper_id: int) -> str:
    return f"{kind}:{errand_id}:h{helper_id}"


def elder_reminder_key(errand_id: int, recipient: notifications.Recipient) -> str:
    """One day-before reminder per errand and recipient, by SMS or by call."""
    who = f"c{recipient.contact_id}" if recipient.contact_id else f"e{recipient.elder_id}"
    return f"reminder_elder_day:{errand_id}:{who}"


def _existing_keys(errand_ids: list[int], prefix: str) -> set[str]:
    if not errand_ids:
        return set()
    return set(
        db.session.scalars(
            sa.select(SmsMessage.dedupe_key).where(
                SmsMessage.errand_id.in_(errand_ids), SmsMessage.dedupe_key.like(f"{prefix}%")
            )
        )
    )


def _upcoming_assigned(now: datetime) -> list[Errand]:
    return list(
        db.session.scalars(
            sa.select(Errand)
            .where(Errand.state == "assigned", Errand.starts_at > now, Errand.starts_at <= now + LOOKAHEAD)
            .options(
                selectinload(Errand.assignments).joinedload(Assignment.helper).joinedload(HelperProfile.user),
                joinedload(Errand.elder).selectinload(Elder.contacts),
                joinedload(Errand.elder).joinedload(Elder.village),
                joinedload(Errand.elder).joinedload(Elder.municipality),
                joinedload(Errand.task_type),
            )
            .order_by(Errand.starts_at)
        )
    )


def create_due_reminders(now: datetime) -> int:
    """Queue the reminders that are due now; returns how many texts and alerts were created."""
    day_hour = int(setting("REMINDER_DAY_BEFORE_HOUR"))
    soon = timedelta(hours=float(setting("REMINDER_HOURS_BEFORE")))
    call_hour = int(setting("REMINDER_CALL_HOUR"))
    errands = _upcoming_assigned(now)
    keys = _existing_keys([e.id for e in errands], "reminder")
    created = 0
    for errand in errands:
        active = [a for a in errand.assignments if a.status == "active"]
        if not active:
            continue
        day_before = day_before_at(errand.starts_at, day_hour)
        soon_due = errand.starts_at - soon
        for assignment in active:
            helper = assignment.helper
            if not helper.phone or helper.sms_opt_out:
                continue
            language = helper_language(helper)
            if day_before <= now < soon_due and assignment.assigned_at < day_before:
                created += _queue_helper(
                    "reminder_helper_day",
                    assignment,
                    notifications.helper_day_before_text(assignment, language),
                    language,
                    keys,
                )
            if soon_due <= now < errand.starts_at and assignment.assigned_at < soon_due:
                created += _queue_helper(
                    "reminder_helper_soon",
                    assignment,
                    notifications.helper_soon_text(assignment, language),
                    language,
                    keys,
                )
        first_assigned = min(a.assigned_at for a in active)
        created += _remind_older_person(errand, active, first_assigned, now, day_before, call_hour, keys)
    db.session.flush()
    return created


def _queue_helper(kind: str, assignment: Assignment, body: str, language: str, keys: set[str]) -> int:
    key = helper_reminder_key(kind, assignment.errand_id, assignment.helper_id)
    if key in keys:
        return 0
    message = queue_sms(
        assignment.helper.phone,
        body,
        kind=kind,
        language=language,
        dedupe_key=key,
        errand_id=assignment.errand_id,
        helper_id=assignment.helper_id,
        organization_id=assignment.errand.organization_id,
    )
    keys.add(key)
    return 1 if message is not None else 0


def _remind_older_person(
    errand: Errand,
    active: list[Assignment],
    first_assigned: datetime,
    now: datetime,
    day_before: datetime,
    call_hour: int,
    keys: set[str],
) -> int:
    elder = errand.elder
    recipient = elder_recipient(elder)
    if recipient is None:
        call_due = day_before_at(errand.starts_at, call_hour)
        if not (call_due <= now < errand.starts_at) or first_assigned >= call_due:
            return 0
        alert = raise_alert(
            "call_reminder",
            dedupe_key=f"call_reminder:{errand.id}",
            organization_id=errand.organization_id,
            errand_id=errand.id,
            elder_id=elder.id,
            now=now,
        )
        return 1 if alert is not None else 0
    if not (day_before <= now < errand.starts_at - timedelta(hours=1)) or first_assigned >= day_before:
        return 0
    key = elder_reminder_key(errand.id, recipient)
    if key in keys:
        return 0
    names = ", ".join(dict.fromkeys(a.helper.first_name for a in active))
    message = notifications.queue_for_older_person(
        recipient, "reminder_elder_day", errand, names, dedupe_key=key, now=now
    )
    keys.add(key)
    return 1 if message is not None else 0


# --------------------------------------------------------------------------
# Feedback
# --------------------------------------------------------------------------


def create_feedback_requests(now: datetime) -> int:
    """Ask the older person's side and the helpers how a done errand went."""
    delay = timedelta(hours=float(setting("FEEDBACK_DELAY_HOURS")))
    window = timedelta(days=float(setting("FEEDBACK_WINDOW_DAYS")))
    errands = list(
        db.session.scalars(
            sa.select(Errand)
            .where(Errand.state == "done", Errand.ends_at <= now - delay, Errand.ends_at > now - delay - window)
            .options(
                selectinload(Errand.assignments).joinedload(Assignment.helper).joinedload(HelperProfile.user),
                joinedload(Errand.elder).selectinload(Elder.contacts),
            )
        )
    )
    if not errands:
        return 0
    keys = _existing_keys([e.id for e in errands], "feedback")
    scored = _already_scored([e.id for e in errands])
    created = 0
    for errand in errands:
        done = [a for a in errand.assignments if a.status == "done"]
        if not done:
            continue
        recipient = elder_recipient(errand.elder)
        if recipient is not None and (errand.id, "e", errand.elder_id) not in scored:
            key = f"feedback:{errand.id}:e{errand.elder_id}"
            if key not in keys:
                names = ", ".join(dict.fromkeys(a.helper.first_name for a in done))
                if notifications.queue_for_older_person(
                    recipient, "feedback_request", errand, names, dedupe_key=key, now=now
                ):
                    created += 1
        for assignment in done:
            helper = assignment.helper
            key = f"feedback:{errand.id}:h{helper.id}"
            if key in keys or not helper.phone or helper.sms_opt_out or (errand.id, "h", helper.id) in scored:
                continue
            language = helper_language(helper)
            if queue_sms(
                helper.phone,
                notifications.helper_feedback_text(errand, language),
                kind="feedback_request",
                language=language,
                dedupe_key=key,
                errand_id=errand.id,
                helper_id=helper.id,
                organization_id=errand.organization_id,
            ):
                created += 1
    db.session.flush()
    return created


def _already_scored(errand_ids: list[int]) -> set[tuple[int, str, int]]:
    rows = db.session.execute(
        sa.select(Encounter.errand_id, EncounterParticipant.helper_id, EncounterParticipant.elder_id)
        .join(EncounterParticipant, EncounterParticipant.encounter_id == Encounter.id)
        .where(Encounter.errand_id.in_(errand_ids), EncounterParticipant.feedback_score.is_not(None))
    )
    result: set[tuple[int, str, int]] = set()
    for errand_id, helper_id, elder_id in rows:
        if helper_id is not None:
            result.add((errand_id, "h", helper_id))
        if elder_id is not None:
            result.add((errand_id, "e", elder_id))
    return result
