"""The errand's life: one state machine and every transition.

States and transitions (:data:`TRANSITIONS`)::

    open     -> offered | assigned | cancelled | expired
    offered  -> assigned | open | cancelled | expired
    assigned -> done | cancelled | no_show | open | offered
    done, cancelled, expired, no_show: terminal

* ``open``: needs helpers; visible on the board of eligible helpers.
* ``offered``: offered to chosen helpers (SMS and board) who have not all
  answered; still first come, first served. When every offer is declined or
  expired it goes back to ``open``.
* ``assigned``: every slot (``helpers_needed``) is taken. An errand with free
  slots stays ``open``/``offered`` even when some helpers accepted; when it
  starts with fewer helpers it becomes ``assigned`` ("went ahead").
* **Withdrawn is not an errand state** but what happens to an assignment: the
  assignment becomes ``withdrawn``, gives its slot back, and the errand goes
  ``assigned -> open`` (or ``-> offered`` when offers are still pending). The
  ErrandEvent of that step has the note ``withdrawn: <reason>``. Later than
  :data:`WITHDRAW_NOTICE` before the start a ``late_withdrawal``
  CoordinatorAlert is raised as well.
* Steps that do not change the state but belong to the history (one helper of
  two accepted, an offer declined, a withdrawal from a half-filled errand) are
  ErrandEvents with ``from_state == to_state``.

Every function flushes only; the caller commits once. Every refused step
raises :class:`ErrandError` with a ``code`` the route turns into a message:
``not_found``, ``not_allowed_transition``, ``already_taken``, ``already_assigned``,
``not_eligible``, ``too_late``, ``too_early``, ``offer_closed``, ``not_yours``,
``not_active``, ``reason_required``, ``invalid_report``.

Modules: the table and the shared helpers are in :mod:`app.errands.states`,
the steps after the errand (done, no-show, expiry) in
:mod:`app.errands.completion`; everything is importable from here.

Race safety of :func:`accept_errand`: the errand row is locked first (``SELECT
... FOR UPDATE`` on PostgreSQL; on SQLite a write to the row takes the
database's write lock, waiting up to the busy timeout), so slot counting is
serialised; the ``(errand_id, slot)`` unique constraint, hit inside a
SAVEPOINT, is the final guard on both engines.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from app.alerts import raise_alert
from app.audit import record
from app.errands import notifications
from app.errands.completion import (
    MAX_REPORT_MINUTES,
    encounter_kind,
    expire_offers,
    mark_done,
    mark_no_show,
    report_allowed,
)
from app.errands.eligibility import availability_refusals, exclusions_for
from app.errands.states import (
    TERMINAL_STATES,
    TRANSITIONS,
    ErrandError,
    _assignments,
    _clip,
    _lock_errand,
    _offer_of,
    _offers,
    can_transition,
    note_event,
    transition,
)
from app.extensions import db
from app.models import Assignment, Errand, HelperProfile, Offer, SmsMessage, User, utcnow
from app.policy import helper_may_be_offered, helper_may_see_errand, helper_may_take

__all__ = [
    "CANCEL_KINDS",
    "DETAILS_VISIBLE_AFTER_END",
    "MAX_REPORT_MINUTES",
    "TERMINAL_STATES",
    "TRANSITIONS",
    "WITHDRAW_NOTICE",
    "ErrandError",
    "accept_errand",
    "assign_helper",
    "can_transition",
    "cancel_errand",
    "decline_offer",
    "encounter_kind",
    "expire_offers",
    "is_late_withdrawal",
    "mark_done",
    "mark_no_show",
    "note_event",
    "offer_errand",
    "release_helper",
    "report_allowed",
    "transition",
    "upcoming_assignments",
    "withdraw",
    "withdrawal_refusal",
]

#: A helper may withdraw without alerting the coordinator until this long before the start.
WITHDRAW_NOTICE = timedelta(hours=24)
#: An assigned helper sees the person's details until this long after the errand ends.
DETAILS_VISIBLE_AFTER_END = timedelta(hours=24)
CANCEL_KINDS = ("coordinator", "elder", "relative")
#: ``via`` of accept/decline -> Assignment.assigned_via / Offer.responded_via.
_ASSIGNED_VIA = {"web": "board", "board": "board", "sms": "sms", "coordinator": "coordinator"}
_RESPONDED_VIA = {"web": "web", "board": "web", "sms": "sms", "coordinator": "web"}


# --------------------------------------------------------------------------
# Offers
# --------------------------------------------------------------------------

#: Offer statuses after which the same helper is not offered the errand again.
_FINAL_FOR_HELPER = ("pending", "accepted", "declined")


def offer_errand(
    errand: Errand,
    helper_ids: list[int],
    *,
    by_user: User | None,
    expires_at: datetime | None = None,
    places: Mapping[int, tuple[int, float]] | None = None,
    notify: bool = True,
) -> list[Offer]:
    """Offer the errand to helpers: pending offers, ``open -> offered``, one SMS each
    (``notify`` false: no SMS here, the caller sends one listing several errands).

    ``places``: each helper's place and score in the ranking the offer was
    chosen from (helper id -> (rank, score)), kept on the offer.

    Skipped (not in the result): helpers who already have a pending, accepted
    or declined offer for it or an active assignment, unknown ids, and helpers
    a hard rule excludes (not approved, paused, suspended, minor without
    consent or outside 08-20, busy); distance is not checked here because the
    coordinator chose them. Helpers the organization rule
    (:mod:`app.policy`) keeps from the errand are never offered it.
    A closed offer (taken, expired, cancelled) is reopened. Raises ErrandError
    ``not_allowed_transition`` (errand not open or
    offered) or ``too_late`` (already started).
    """
    now = utcnow()
    errand = _lock_errand(errand.id)
    if errand.state not in ("open", "offered"):
        raise ErrandError("not_allowed_transition", from_state=errand.state, to_state="offered")
    if errand.starts_at <= now:
        raise ErrandError("too_late")
    existing = {offer.helper_id: offer for offer in _offers(errand)}
    assigned = {a.helper_id for a in _assignments(errand, "active", "done")}
    wanted = list(dict.fromkeys(helper_ids))
    profiles = {
        p.id: p for p in db.session.scalars(sa.select(HelperProfile).where(HelperProfile.id.in_(wanted or [-1])))
    }
    created: list[Offer] = []
    reopened: set[int] = set()
    unavailable = availability_refusals(errand, profiles.values())
    for helper_id in wanted:
        profile = profiles.get(helper_id)
        if profile is None or helper_id in assigned or helper_id in unavailable:
            continue
        offer = existing.get(helper_id)
        if offer is not None and offer.status in _FINAL_FOR_HELPER:
            continue
        if not helper_may_be_offered(profile, errand) or exclusions_for(errand, profile, ignore=("too_far",)):
            continue
        if offer is None:
            offer = Offer(errand_id=errand.id, helper_id=helper_id)
            db.session.add(offer)
        else:
            reopened.add(helper_id)
        offer.status = "pending"
        offer.sent_at = now
        offer.expires_at = expires_at
        offer.responded_at = None
        offer.responded_via = None
        offer.offered_by_id = by_user.id if by_user is not None else None
        if places is not None and helper_id in places:
            offer.rank, offer.score = places[helper_id]
        created.append(offer)
    if not created:
        return created
    db.session.flush()
    names = ", ".join(profiles[o.helper_id].display_name for o in created)
    if errand.state == "open":
        transition(errand, "offered", actor=by_user, actor_kind="coordinator", note=f"offered: {names}")
    else:
        note_event(errand, f"offered: {names}", actor=by_user, actor_kind="coordinator")
    for offer in created if notify else ():
        notifications.queue_offer(
            errand,
            profiles[offer.helper_id],
            sent_by_id=by_user.id if by_user else None,
            again_at=now if offer.helper_id in reopened else None,
        )
    record("errand.offered", errand, actor=by_user, helpers=[o.helper_id for o in created])
    db.session.flush()
    return created


def decline_offer(errand_id: int, helper_id: int, *, via: str) -> Offer:
    """The helper says no. Without an offer (declined on the board) a declined
    offer row is written so the errand leaves their board.

    When no pending offer remains on an ``offered`` errand it goes back to
    ``open``. Raises ErrandError ``not_found`` or ``offer_closed`` (the offer is
    no longer pending).
    """
    profile = db.session.get(HelperProfile, helper_id)
    target = db.session.get(Errand, errand_id)
    if profile is None or target is None:
        raise ErrandError("not_found")
    if _offer_of(errand_id, helper_id) is None and not helper_may_see_errand(profile, target):
        raise ErrandError("not_found")  # an errand the helper may not see: nothing to decline
    errand = _lock_errand(errand_id)
    offer = _offer_of(errand_id, helper_id)
    now = utcnow()
    if offer is None:
        if errand.state not in ("open", "offered"):
            raise ErrandError("offer_closed")
        offer = Offer(errand_id=errand_id, helper_id=helper_id, sent_at=now)
        db.session.add(offer)
    elif offer.status != "pending":
        raise ErrandError("offer_closed", status=offer.status)
    offer.status = "declined"
    offer.responded_at = now
    offer.responded_via = _RESPONDED_VIA.get(via, "web")
    db.session.flush()
    actor, kind = profile.user, ("sms" if via == "sms" else "helper")
    if errand.state == "offered" and not _offers(errand, "pending"):
        transition(errand, "open", actor=actor, actor_kind=kind, note=f"declined: {profile.display_name}")
    else:
        note_event(errand, f"declined: {profile.display_name}", actor=actor, actor_kind=kind)
    db.session.flush()
    return offer


# --------------------------------------------------------------------------
# Accepting
# --------------------------------------------------------------------------


def accept_errand(errand_id: int, helper_id: int, *, via: str, by_user: User | None = None) -> Assignment:
    """First come, first served: give the helper the next free slot of the errand.

    ``via`` is ``web`` (the board), ``sms`` (a reply) or ``coordinator`` (a
    coordinator assigns directly; pass ``by_user``). A helper may accept
    without an offer when eligible. Distance is not checked when the errand
    was offered to the helper or a coordinator assigns.

    When all slots are filled the errand becomes ``assigned``, other pending
    offers ``taken``; the helper's own offer becomes ``accepted``. The helper
    gets a confirmation SMS (with the first name, address and phone) and,
    per the person's contact channel, the person or their relative a short one.

    Raises ErrandError: ``not_found``; ``already_taken`` (every slot is taken;
    the helper's pending offer is marked ``taken`` and flushed, so the caller
    should still commit); ``already_assigned`` (this helper has it already);
    ``offer_closed`` (cancelled, expired or done); ``too_late`` (started);
    ``not_eligible`` (``details["codes"]`` lists the hard rules, or
    ``other_organization`` when :mod:`app.policy` refuses).
    """
    profile = db.session.get(HelperProfile, helper_id)
    target = db.session.get(Errand, errand_id)
    if profile is None or target is None:
        raise ErrandError("not_found")
    # The organization rule first, before the row is locked (an errand's organization
    # never changes): a refused helper learns nothing about the errand and changes nothing.
    allowed = helper_may_take(profile, target)
    if not allowed:
        _close_offer(_offer_of(errand_id, helper_id), "cancelled")
        raise ErrandError("not_eligible", codes=[allowed.code])
    errand = _lock_errand(errand_id)
    now = utcnow()
    offer = _offer_of(errand_id, helper_id)
    active = _assignments(errand, "active", "done")
    if any(a.helper_id == helper_id for a in active):
        raise ErrandError("already_assigned")
    if errand.state in TERMINAL_STATES:
        _close_offer(offer, "expired" if errand.state == "expired" else "cancelled")
        raise ErrandError("offer_closed", state=errand.state)
    if errand.state == "assigned":
        _close_offer(offer, "taken")
        raise ErrandError("already_taken")
    if errand.starts_at <= now:
        raise ErrandError("too_late")
    offered = offer is not None and offer.status == "pending"
    ignore = ("too_far",) if offered or via == "coordinator" else ()
    excluded = exclusions_for(errand, profile, ignore=ignore)
    if excluded:
        raise ErrandError("not_eligible", codes=[e.code for e in excluded])

    used = {a.slot for a in active if a.slot is not None}
    free = [slot for slot in range(1, errand.helpers_needed + 1) if slot not in used]
    if not free:
        _close_offer(offer, "taken")
        raise ErrandError("already_taken")
    assignment = Assignment(
        errand_id=errand.id,
        helper_id=helper_id,
        slot=free[0],
        status="active",
        assigned_at=now,
        assigned_via=_ASSIGNED_VIA.get(via, "board"),
        assigned_by_id=by_user.id if by_user is not None else None,
        details_visible_until=errand.ends_at + DETAILS_VISIBLE_AFTER_END,
    )
    try:
        with db.session.begin_nested():
            db.session.add(assignment)
            db.session.flush()
    except IntegrityError:
        # Someone took the same slot between our read and our write.
        _close_offer(offer, "taken")
        raise ErrandError("already_taken") from None

    if offer is not None:
        offer.status = "accepted"
        offer.responded_at = now
        offer.responded_via = _RESPONDED_VIA.get(via, "web")
    actor = by_user if via == "coordinator" else profile.user
    actor_kind = {"coordinator": "coordinator", "sms": "sms"}.get(via, "helper")
    filled = len(used) + 1
    note = f"accepted: {profile.display_name} ({filled}/{errand.helpers_needed})"
    if filled >= errand.helpers_needed:
        transition(errand, "assigned", actor=actor, actor_kind=actor_kind, note=note)
        for other in _offers(errand, "pending"):
            if other.helper_id != helper_id:
                other.status = "taken"
    else:
        note_event(errand, note, actor=actor, actor_kind=actor_kind)
    db.session.flush()
    notifications.queue_confirmation(assignment)
    notifications.queue_elder_confirmation(assignment)
    record("errand.accepted", errand, actor=actor, helper_id=helper_id, via=via, slot=assignment.slot)
    db.session.flush()
    return assignment


def assign_helper(errand_id: int, helper_id: int, *, by_user: User) -> Assignment:
    """A coordinator assigns a helper directly (same rules and race safety as accepting)."""
    return accept_errand(errand_id, helper_id, via="coordinator", by_user=by_user)


def _close_offer(offer: Offer | None, status: str) -> None:
    if offer is not None and offer.status == "pending":
        offer.status = status
        db.session.flush()


# --------------------------------------------------------------------------
# Withdrawing, cancelling
# --------------------------------------------------------------------------


def is_late_withdrawal(errand: Errand, now: datetime) -> bool:
    """Less than :data:`WITHDRAW_NOTICE` before the start."""
    return errand.starts_at - now <= WITHDRAW_NOTICE


def withdrawal_refusal(assignment: Assignment, now: datetime) -> str | None:
    """Why the helper may not withdraw now (``not_active``, ``too_late``), or None:
    only from an active assignment whose errand has not started."""
    if assignment.status != "active":
        return "not_active"
    if assignment.errand.starts_at <= now:
        return "too_late"
    return None


def withdraw(
    assignment_id: int, *, by_user: User | None = None, actor_kind: str = "helper", reason: str | None
) -> Assignment:
    """Take a helper off an errand before it starts; the errand goes back to matching.

    The assignment becomes ``withdrawn`` and gives its slot back; the person's
    details are hidden from the helper at once, and their offer (if any)
    counts as declined, so they are not offered it again. An ``assigned`` errand goes
    back to ``open`` (``offered`` if offers are still pending). Late (less than
    :data:`WITHDRAW_NOTICE` before the start) a ``late_withdrawal``
    CoordinatorAlert is raised. If the person's side had been told who comes,
    they get a short notice.

    Raises ErrandError ``not_found``, ``not_active``, ``too_late`` (started) or
    ``reason_required``.
    """
    assignment = db.session.get(Assignment, assignment_id)
    if assignment is None:
        raise ErrandError("not_found")
    errand = _lock_errand(assignment.errand_id)
    db.session.refresh(assignment)
    now = utcnow()
    refusal = withdrawal_refusal(assignment, now)
    if refusal is not None:
        raise ErrandError(refusal, status=assignment.status)
    reason_text = _clip(reason, 300)
    if reason_text is None:
        raise ErrandError("reason_required")
    actor = by_user if by_user is not None else assignment.helper.user
    _take_off(assignment, errand, actor=actor, actor_kind=actor_kind, reason_text=reason_text, now=now)
    return assignment


def _take_off(
    assignment: Assignment,
    errand: Errand,
    *,
    actor: User | None,
    actor_kind: str,
    reason_text: str,
    now: datetime,
    released: bool = False,
) -> None:
    """Take the helper off, on a locked errand and an active assignment of an errand not started yet.

    ``released``: the helper was stopped (:func:`release_helper`), so the assignment is
    ``cancelled`` rather than ``withdrawn`` (reports count only the helper's own
    withdrawals) and their offer is cancelled rather than declined.
    """
    late = is_late_withdrawal(errand, now)
    assignment.status = "cancelled" if released else "withdrawn"
    assignment.slot = None
    assignment.withdrawn_at = now
    assignment.withdraw_reason = reason_text
    assignment.details_visible_until = now
    helper = assignment.helper
    offer = _offer_of(errand.id, helper.id)
    if offer is not None and offer.status in ("pending", "accepted"):
        # Withdrawing is saying no after all: not offered again, off their board.
        offer.status = "cancelled" if released else "declined"
        offer.responded_at = now
    db.session.flush()

    step = "released" if released else "withdrawn"
    note = f"{step}{' late' if late else ''}: {helper.display_name}: {reason_text}"
    if errand.state == "assigned":
        back_to = "offered" if _offers(errand, "pending") else "open"
        transition(errand, back_to, actor=actor, actor_kind=actor_kind, note=note)
    else:
        note_event(errand, note, actor=actor, actor_kind=actor_kind)
    if late:
        _alert_late_withdrawal(assignment)
    if _elder_was_told(assignment):
        notifications.queue_elder_withdrawal(assignment)
    record(f"errand.{step}", errand, actor=actor, helper_id=helper.id, late=late, reason=reason_text)
    db.session.flush()


def _alert_late_withdrawal(assignment: Assignment) -> None:
    errand = assignment.errand
    raise_alert(
        "late_withdrawal",
        dedupe_key=f"late_withdrawal:{assignment.id}",
        organization_id=errand.organization_id,
        errand_id=errand.id,
        elder_id=errand.elder_id,
        helper_id=assignment.helper_id,
    )


def _elder_was_told(assignment: Assignment) -> bool:
    key = notifications.elder_confirmation_key(assignment)
    return db.session.scalar(sa.select(SmsMessage.id).where(SmsMessage.dedupe_key == key)) is not None


# --------------------------------------------------------------------------
# Releasing a helper who stops (suspended, account deleted, consent withdrawn)
# --------------------------------------------------------------------------


def upcoming_assignments(helper: HelperProfile, until: datetime | None = None) -> list[Assignment]:
    """The helper's active assignments whose errand starts in the future (optionally before ``until``)."""
    stmt = (
        sa.select(Assignment)
        .join(Errand, Assignment.errand_id == Errand.id)
        .where(Assignment.helper_id == helper.id, Assignment.status == "active", Errand.starts_at > utcnow())
        .order_by(Errand.starts_at)
    )
    if until is not None:
        stmt = stmt.where(Errand.starts_at < until)
    return list(db.session.scalars(stmt))


@dataclass(frozen=True)
class Released:
    """What :func:`release_helper` gave back to matching."""

    assignments: int
    errands_reopened: int
    offers_cancelled: int


def release_helper(helper: HelperProfile, *, by: User | None, actor_kind: str, reason: str) -> Released:
    """The helper can no longer help: their future errands go back to matching.

    Each active assignment of an errand that has not started is taken off with
    the same step as the helper's own withdrawal (row lock, ErrandEvent, the
    older person or relative told if they had been told who comes, a
    ``late_withdrawal`` alert when it is close, an ``errand.released`` audit
    entry); the assignment is ``cancelled``. ``by`` is who stopped them
    (None: the helper themselves or their guardian, as ``actor_kind`` says).
    Their pending offers are cancelled; an ``offered`` errand left without a
    pending offer goes back to ``open``. Flushes; the caller commits.
    """
    now = utcnow()
    reason_text = _clip(reason, 300) or actor_kind
    reopened = taken_off = 0
    for assignment in upcoming_assignments(helper):
        errand = _lock_errand(assignment.errand_id)
        db.session.refresh(assignment)
        if assignment.status != "active" or errand.starts_at <= now:
            continue  # changed while we waited for the lock
        before = errand.state
        _take_off(assignment, errand, actor=by, actor_kind=actor_kind, reason_text=reason_text, now=now, released=True)
        taken_off += 1
        if errand.state != before:
            reopened += 1
    pending = db.session.scalars(
        sa.select(Offer).where(Offer.helper_id == helper.id, Offer.status == "pending").order_by(Offer.id)
    )
    offers = list(pending)
    for offer in offers:
        errand = _lock_errand(offer.errand_id)
        offer.status = "cancelled"
        offer.responded_at = now
        db.session.flush()
        note = f"offer cancelled: {helper.display_name}: {reason_text}"
        if errand.state == "offered" and not _offers(errand, "pending"):
            transition(errand, "open", actor=by, actor_kind=actor_kind, note=note)
            reopened += 1
        else:
            note_event(errand, note, actor=by, actor_kind=actor_kind)
    db.session.flush()
    return Released(taken_off, reopened, len(offers))


def cancel_errand(errand_id: int, *, by_user: User | None = None, by_kind: str, reason: str) -> Errand:
    """Cancel an errand (by a coordinator, the older person or a relative).

    Pending offers and active assignments are cancelled; assigned helpers get
    a cancellation SMS. Raises ErrandError ``not_found``,
    ``not_allowed_transition`` (done, expired, already cancelled) or
    ``reason_required``.
    """
    errand = _lock_errand(errand_id)
    reason_text = _clip(reason, 300)
    if reason_text is None:
        raise ErrandError("reason_required")
    now = utcnow()
    transition(errand, "cancelled", actor=by_user, actor_kind=by_kind, note=reason_text)
    errand.cancelled_by_id = by_user.id if by_user is not None else None
    errand.cancelled_by_kind = by_kind
    errand.cancel_reason = reason_text
    for offer in _offers(errand, "pending"):
        offer.status = "cancelled"
    notified: list[HelperProfile] = []
    for assignment in _assignments(errand, "active"):
        assignment.status = "cancelled"
        assignment.slot = None
        assignment.withdrawn_at = now
        assignment.withdraw_reason = reason_text
        assignment.details_visible_until = now
        notified.append(assignment.helper)
    db.session.flush()
    for helper in notified:
        notifications.queue_cancellation(errand, helper, sent_by_id=by_user.id if by_user else None)
    record("errand.cancelled", errand, actor=by_user, by_kind=by_kind, reason=reason_text)
    db.session.flush()
    return errand
