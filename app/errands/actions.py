"""What a coordinator or a helper does to an errand from a page.

Each function checks the rule that belongs to the action, calls the lifecycle
(:mod:`app.errands.lifecycle`), **commits or rolls back** and returns an
:class:`Outcome` that the route only turns into a message. Routes therefore
never decide what a failed step leaves behind.

The rules that live here:

* :func:`needs_helpers`: whether an errand still takes offers and direct
  assignments (open or offered, or assigned with a free slot, and not over);
* offers record each helper's place and score in the ranking the coordinator
  saw (:func:`offer_best`, :func:`offer_chosen`);
* a coordinator may assign directly only someone among the best
  :data:`DIRECT_POOL` candidates of the ranking (:func:`assign_directly`),
  also past the availability the helper gave (the history records it);
  offers never go past it (:func:`offer_best`, and the lifecycle);
* a failed accept keeps what the lifecycle closed (the helper's offer) and
  nothing else (:func:`take_errand`);
* a helper may withdraw only from an active assignment that has not started
  (:func:`withdraw_assignment`, with the check itself in
  :func:`app.errands.lifecycle.withdrawal_refusal`);
* a coordinator cancels an errand or a whole request, or records a no-show
  (:func:`cancel`, :func:`cancel_whole_request`, :func:`no_show`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from app.errands import lifecycle
from app.errands.agenda import ErrandHead
from app.errands.eligibility import availability_refusals
from app.errands.matching_service import CandidateList, rank_candidates
from app.errands.requests import RequestError, cancel_request
from app.errands.states import note_event
from app.extensions import db
from app.models import Assignment, Errand, HelperProfile, Offer, User, utcnow
from app.vocabulary import LIVE_ERRAND_STATES

#: How many of the best candidates offering "the best N" looks through.
OFFER_POOL = 50
#: A coordinator chooses (offers to, assigns directly) only among this many best candidates.
DIRECT_POOL = 200


@dataclass(frozen=True)
class Outcome:
    """What an action did. ``code`` is an :class:`~app.errands.lifecycle.ErrandError`
    code (or ``no_helpers``, ``no_candidates``) when it was refused."""

    code: str | None = None
    details: dict = field(default_factory=dict)
    #: The offers made (offer actions).
    offers: tuple[Offer, ...] = ()
    #: The names of those offered, or of the helper assigned, as the coordinator saw them.
    names: tuple[str, ...] = ()
    #: How many chosen helpers were left out because they cannot take the errand now.
    left_out: int = 0
    #: How many helpers the offer was made to after the rules (some may have had it already).
    asked: int = 0
    assignment: Assignment | None = None
    #: How many coming errands were cancelled with a whole request.
    cancelled: int = 0

    @property
    def ok(self) -> bool:
        return self.code is None


def _refused(err: lifecycle.ErrandError) -> Outcome:
    return Outcome(code=err.code, details=dict(err.details))


def needs_helpers(errand: Errand, now: datetime | None = None) -> bool:
    """The errand still takes offers and direct assignments: it is open or
    offered, or assigned with fewer active helpers than it needs, and has not ended."""
    now = now or utcnow()
    active = sum(1 for a in errand.assignments if a.status == "active")
    wants = errand.state in ("open", "offered") or (errand.state == "assigned" and active < errand.helpers_needed)
    return wants and errand.ends_at > now


def candidates_for(errand: Errand, *, now: datetime | None = None) -> CandidateList | None:
    """The ranked and excluded candidates for the errand page (None: it needs no helpers)."""
    return rank_candidates(errand, now=now) if needs_helpers(errand, now) else None


def _offer(errand: Errand, helper_ids: list[int], ranking: CandidateList, by_user: User, left_out: int) -> Outcome:
    """Offer, each offer keeping its place and score in ``ranking``; commits or rolls back."""
    places = {r.helper_id: (i, r.score) for i, r in enumerate(ranking.ranked, start=1)}
    try:
        offers = lifecycle.offer_errand(errand, helper_ids, by_user=by_user, places=places)
        db.session.commit()
    except lifecycle.ErrandError as err:
        db.session.rollback()
        return _refused(err)
    names = tuple(ranking.people[o.helper_id].name for o in offers if o.helper_id in ranking.people)
    return Outcome(offers=tuple(offers), names=names, left_out=left_out, asked=len(helper_ids))


def _profiles(helper_ids: list[int]) -> list[HelperProfile]:
    return list(db.session.scalars(sa.select(HelperProfile).where(HelperProfile.id.in_(helper_ids or [-1]))))


def offer_best(errand: Errand, count: int, *, by_user: User) -> Outcome:
    """Offer the errand to the ``count`` best candidates not offered it yet.

    Refused: ``not_allowed_transition`` (it needs no helpers), ``no_candidates``
    (nobody left to offer it to), or the lifecycle's codes."""
    if not needs_helpers(errand):
        return Outcome(code="not_allowed_transition")
    ranking = rank_candidates(errand, limit=OFFER_POOL)
    already = {o.helper_id for o in errand.offers}
    already |= set(availability_refusals(errand, _profiles(ranking.ranked_ids)))
    chosen = [r.helper_id for r in ranking.ranked if r.helper_id not in already][:count]
    if not chosen:
        return Outcome(code="no_candidates")
    return _offer(errand, chosen, ranking, by_user, left_out=0)


def offer_chosen(errand: Errand, helper_ids: list[int], *, by_user: User) -> Outcome:
    """Offer the errand to the helpers the coordinator ticked, those among the
    best :data:`DIRECT_POOL` candidates (the others are counted in ``left_out``).

    Refused: ``not_allowed_transition`` (it needs no helpers), ``no_helpers``
    (none ticked), or the lifecycle's codes."""
    if not needs_helpers(errand):
        return Outcome(code="not_allowed_transition")
    wanted = list(dict.fromkeys(helper_ids))
    if not wanted:
        return Outcome(code="no_helpers")
    ranking = rank_candidates(errand, limit=DIRECT_POOL)
    eligible = set(ranking.ranked_ids)
    chosen = [h for h in wanted if h in eligible]
    left_out = len(helper_ids) - len(chosen)
    if not chosen:
        return Outcome(left_out=left_out)
    return _offer(errand, chosen, ranking, by_user, left_out=left_out)


def assign_directly(errand: Errand, helper_id: int | None, *, by_user: User) -> Outcome:
    """A coordinator gives the errand to one helper among the best
    :data:`DIRECT_POOL` candidates, without an offer; commits or rolls back.

    Refused: ``not_allowed_transition`` (it needs no helpers), ``not_eligible``
    (not among the candidates), or the lifecycle's codes."""
    if not needs_helpers(errand):
        return Outcome(code="not_allowed_transition")
    ranking = rank_candidates(errand, limit=DIRECT_POOL)
    if helper_id is None or helper_id not in set(ranking.ranked_ids):
        return Outcome(code="not_eligible")
    outside = availability_refusals(errand, _profiles([helper_id]))
    try:
        assignment = lifecycle.accept_errand(errand.id, helper_id, via="coordinator", by_user=by_user)
        if helper_id in outside:  # the coordinator goes past the helper's availability: on the record
            note_event(
                errand, f"assigned outside availability: {outside[helper_id]}", actor=by_user, actor_kind="coordinator"
            )
        db.session.commit()
    except lifecycle.ErrandError as err:
        db.session.rollback()
        return _refused(err)
    return Outcome(assignment=assignment, names=(ranking.people[helper_id].name,))


def take_errand(errand_id: int, helper_id: int, *, via: str) -> Outcome:
    """A helper takes the errand from the board (``via="web"``); commits either way.

    A refused accept has changed only the helper's own offer (closed as taken,
    expired or cancelled, so that it leaves their board): that is kept."""
    try:
        assignment = lifecycle.accept_errand(errand_id, helper_id, via=via)
    except lifecycle.ErrandError as err:
        db.session.commit()
        return _refused(err)
    db.session.commit()
    return Outcome(assignment=assignment)


def decline(errand_id: int, helper_id: int, *, via: str) -> Outcome:
    """A helper says no; commits or rolls back."""
    try:
        lifecycle.decline_offer(errand_id, helper_id, via=via)
    except lifecycle.ErrandError as err:
        db.session.rollback()
        return _refused(err)
    db.session.commit()
    return Outcome()


def withdraw_assignment(assignment: Assignment, *, by_user: User | None, reason: str | None) -> Outcome:
    """The helper withdraws from their errand before it starts; commits or rolls back.
    Refused: ``not_active``, ``too_late``, ``reason_required``."""
    try:
        lifecycle.withdraw(assignment.id, by_user=by_user, actor_kind="helper", reason=reason)
    except lifecycle.ErrandError as err:
        db.session.rollback()
        return _refused(err)
    db.session.commit()
    return Outcome(assignment=assignment)


def may_cancel(errand: Errand | ErrandHead) -> bool:
    """The errand is still to happen, so a coordinator may cancel it."""
    return errand.state in LIVE_ERRAND_STATES


def cancel(errand: Errand, *, by_user: User, by_kind: str, reason: str) -> Outcome:
    """The coordinator cancels the errand (for the older person or a relative who asked);
    commits or rolls back."""
    try:
        lifecycle.cancel_errand(errand.id, by_user=by_user, by_kind=by_kind, reason=reason)
    except lifecycle.ErrandError as err:
        db.session.rollback()
        return _refused(err)
    db.session.commit()
    return Outcome()


def no_show(errand: Errand, *, by_user: User) -> Outcome:
    """The coordinator records that the helper did not come; commits or rolls back."""
    try:
        lifecycle.mark_no_show(errand.id, by_user=by_user)
    except lifecycle.ErrandError as err:
        db.session.rollback()
        return _refused(err)
    db.session.commit()
    return Outcome()


def cancel_whole_request(request_id: int, *, by_user: User, by_kind: str, reason: str) -> Outcome:
    """The coordinator cancels a whole request with its coming errands; commits or rolls back.
    ``Outcome.cancelled`` says how many errands were cancelled."""
    try:
        count = cancel_request(request_id, by_user=by_user, by_kind=by_kind, reason=reason)
    except (RequestError, lifecycle.ErrandError) as err:
        db.session.rollback()
        return Outcome(code=err.code)
    db.session.commit()
    return Outcome(cancelled=count)
