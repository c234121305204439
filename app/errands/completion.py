"""After the errand: marking it done (and the encounter it creates), no-shows, expiry.

Part of the errand's life described in :mod:`app.errands.lifecycle` (which
re-exports these functions). Functions flush; the caller commits.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from app import rollups
from app.audit import record
from app.errands.states import (
    ErrandError,
    _assignments,
    _clip,
    _lock_errand,
    _offers,
    note_event,
    transition,
)
from app.extensions import db
from app.i18n import HELSINKI
from app.models import Assignment, Encounter, EncounterParticipant, Errand, Offer, User, utcnow
from app.vocabulary import LIVE_ERRAND_STATES

#: Longest report a helper can give, in minutes.
MAX_REPORT_MINUTES = 24 * 60


def encounter_kind(task_code: str) -> tuple[str, str]:
    """(Encounter.kind, Encounter.place_kind) for a task type."""
    if task_code == "walk":
        return "company_walk", "outdoors"
    if task_code == "company":
        return "company_walk", "home"
    return "home_help", "home"


def report_allowed(errand: Errand, now: datetime) -> bool:
    """A helper can report an errand done from its own (Helsinki) day on."""
    return errand.starts_at <= now or errand.starts_at.astimezone(HELSINKI).date() <= now.astimezone(HELSINKI).date()


def mark_done(
    assignment_id: int,
    *,
    helper_id: int,
    report_text: str,
    minutes: int,
    receipt_cents: int | None = None,
    note_for_coordinator: str | None = None,
    via: str = "web",
) -> Encounter:
    """The assigned helper reports the errand done; this records the encounter.

    Allowed from the errand's (Helsinki) day on. The report is kept on the
    assignment; the errand's Encounter is created (or, with several helpers,
    the helper is added to it) with the helper and the older person as
    participants. The errand becomes ``done`` when no active assignment is
    left.

    Raises ErrandError ``not_found``, ``not_yours``, ``not_active``,
    ``too_early``, ``invalid_report``.
    """
    assignment = db.session.get(Assignment, assignment_id)
    if assignment is None:
        raise ErrandError("not_found")
    if assignment.helper_id != helper_id:
        raise ErrandError("not_yours")
    errand = _lock_errand(assignment.errand_id)
    db.session.refresh(assignment)
    if assignment.status != "active" or errand.state not in LIVE_ERRAND_STATES:
        raise ErrandError("not_active", status=assignment.status)
    now = utcnow()
    if not report_allowed(errand, now):
        raise ErrandError("too_early")
    text = (report_text or "").strip()
    if not text or not isinstance(minutes, int) or not 0 < minutes <= MAX_REPORT_MINUTES:
        raise ErrandError("invalid_report")
    if receipt_cents is not None and receipt_cents < 0:
        raise ErrandError("invalid_report")

    assignment.status = "done"
    assignment.done_at = now
    assignment.report_text = text
    assignment.report_minutes = minutes
    assignment.receipt_cents = receipt_cents
    assignment.report_note_for_coordinator = _clip(note_for_coordinator, 5000)
    db.session.flush()

    helper = assignment.helper
    actor, kind = helper.user, ("sms" if via == "sms" else "helper")
    if not _assignments(errand, "active"):
        if errand.state in ("open", "offered"):
            # Fewer helpers than asked for did it: it went ahead.
            for offer in _offers(errand, "pending"):
                offer.status = "expired"
            transition(errand, "assigned", actor=None, actor_kind="system", note="went ahead with fewer helpers")
        transition(errand, "done", actor=actor, actor_kind=kind, note=f"done: {helper.display_name}")
    else:
        note_event(errand, f"done: {helper.display_name}", actor=actor, actor_kind=kind)

    encounter = _encounter_for(errand, minutes, logged_by_id=helper.user_id)
    have_helpers = {p.helper_id for p in encounter.participants if p.helper_id}
    have_elders = {p.elder_id for p in encounter.participants if p.elder_id}
    if helper.id not in have_helpers:
        encounter.participants.append(EncounterParticipant(helper_id=helper.id))
    if errand.elder_id not in have_elders:
        encounter.participants.append(EncounterParticipant(elder_id=errand.elder_id))
    record("errand.done", errand, actor=actor, helper_id=helper.id, minutes=minutes, encounter_id=encounter.id)
    db.session.flush()
    rollups.touch(encounter)
    return encounter


def _encounter_for(errand: Errand, minutes: int, *, logged_by_id: int | None) -> Encounter:
    encounter = db.session.scalar(sa.select(Encounter).where(Encounter.errand_id == errand.id))
    if encounter is not None:
        encounter.duration_minutes = max(encounter.duration_minutes or 0, minutes)
        return encounter
    kind, place_kind = encounter_kind(errand.task_type.code)
    elder = errand.elder
    encounter = Encounter(
        errand_id=errand.id,
        organization_id=errand.organization_id,
        kind=kind,
        place_kind=place_kind,
        municipality_id=elder.municipality_id,
        village_id=elder.village_id,
        occurred_at=errand.starts_at,
        duration_minutes=minutes,
        initiated_by="coordinator",
        led_by="helper",
        logged_by_id=logged_by_id,
    )
    db.session.add(encounter)
    db.session.flush()
    return encounter


def mark_no_show(errand_id: int, *, by_user: User | None) -> Errand:
    """A coordinator records that the assigned helper(s) did not come.

    Active assignments become ``no_show``; the errand ``assigned -> no_show``.
    Raises ErrandError ``not_found``, ``too_early`` (not started yet) or
    ``not_allowed_transition``.
    """
    errand = _lock_errand(errand_id)
    if errand.starts_at > utcnow():
        raise ErrandError("too_early")
    transition(errand, "no_show", actor=by_user, actor_kind="coordinator")
    for assignment in _assignments(errand, "active"):
        assignment.status = "no_show"
    record("errand.no_show", errand, actor=by_user)
    db.session.flush()
    return errand


def expire_offers(now: datetime) -> int:
    """Close what time has overtaken; returns how many offers and errands changed.

    * pending offers past ``expires_at`` -> ``expired`` (an ``offered`` errand
      with no pending offer left goes back to ``open``);
    * errands whose start has passed while ``open``/``offered``: with no helper
      -> ``expired`` (their pending offers too); with some of their helpers
      (several were needed) -> ``assigned`` (it went ahead).
    """
    changed = 0
    # Lock each errand before touching its offers, in the same order as
    # accepting does (errand row, then offers), so the two never deadlock.
    due_errands = list(
        db.session.scalars(
            sa.select(Offer.errand_id)
            .where(Offer.status == "pending", Offer.expires_at.is_not(None), Offer.expires_at <= now)
            .distinct()
            .order_by(Offer.errand_id)
        )
    )
    for errand_id in due_errands:
        errand = _lock_errand(errand_id)
        for offer in _offers(errand, "pending"):
            if offer.expires_at is not None and offer.expires_at <= now:
                offer.status = "expired"
                changed += 1
        db.session.flush()
        if errand.state == "offered" and errand.starts_at > now and not _offers(errand, "pending"):
            transition(errand, "open", actor=None, actor_kind="system", note="offers expired")

    started = list(
        db.session.scalars(
            sa.select(Errand.id)
            .where(Errand.state.in_(("open", "offered")), Errand.starts_at <= now)
            .order_by(Errand.id)
        )
    )
    for errand_id in started:
        errand = _lock_errand(errand_id)
        if errand.state not in ("open", "offered") or errand.starts_at > now:
            continue
        for offer in _offers(errand, "pending"):
            offer.status = "expired"
            changed += 1
        if _assignments(errand, "active"):
            transition(errand, "assigned", actor=None, actor_kind="system", note="went ahead with fewer helpers")
        else:
            transition(errand, "expired", actor=None, actor_kind="system", note="started without a helper")
            changed += 1
    db.session.flush()
    return changed
