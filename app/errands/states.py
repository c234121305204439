"""The errand state machine: states, allowed steps, ErrandEvents, and the row lock.

See :mod:`app.errands.lifecycle` for the whole life of an errand; this module
holds what every step shares, so the steps can live in more than one module.
"""

from __future__ import annotations

import sqlalchemy as sa

from app import rollups
from app.db_setup import lock_row
from app.extensions import db
from app.models import Assignment, Errand, ErrandEvent, Offer, User, utcnow

TRANSITIONS: dict[str, set[str]] = {
    "open": {"offered", "assigned", "cancelled", "expired"},
    "offered": {"assigned", "open", "cancelled", "expired"},
    "assigned": {"done", "cancelled", "no_show", "open", "offered"},
    "done": set(),
    "cancelled": set(),
    "expired": set(),
    "no_show": set(),
}
TERMINAL_STATES = frozenset(state for state, targets in TRANSITIONS.items() if not targets)
ACTOR_KINDS = ("coordinator", "helper", "elder", "relative", "system", "sms")


class ErrandError(Exception):
    """An errand action that cannot be done; ``code`` names why, ``details`` say more."""

    def __init__(self, code: str, **details):
        super().__init__(code)
        self.code = code
        self.details = details


# --------------------------------------------------------------------------
# The state machine
# --------------------------------------------------------------------------


def can_transition(from_state: str, to_state: str) -> bool:
    return to_state in TRANSITIONS.get(from_state, set())


def transition(
    errand: Errand, to_state: str, *, actor: User | None, actor_kind: str, note: str | None = None
) -> ErrandEvent:
    """Move ``errand`` to ``to_state`` and record who did it, when and why.

    Raises ErrandError("not_allowed_transition") when the table does not allow the step.
    """
    from_state = errand.state
    if not can_transition(from_state, to_state):
        raise ErrandError("not_allowed_transition", from_state=from_state, to_state=to_state)
    errand.state = to_state
    return _event(errand, from_state, to_state, actor=actor, actor_kind=actor_kind, note=note)


def _event(
    errand: Errand, from_state: str | None, to_state: str, *, actor: User | None, actor_kind: str, note: str | None
) -> ErrandEvent:
    event = ErrandEvent(
        errand_id=errand.id,
        from_state=from_state,
        to_state=to_state,
        actor_user_id=actor.id if actor is not None else None,
        actor_kind=actor_kind,
        note=(note or "")[:500] or None,
        at=utcnow(),
    )
    db.session.add(event)
    rollups.touch(errand)  # every step of an errand: the report rollups of its day are redone
    return event


def note_event(errand: Errand, note: str, *, actor: User | None, actor_kind: str) -> ErrandEvent:
    """A step in the history that does not change the state."""
    return _event(errand, errand.state, errand.state, actor=actor, actor_kind=actor_kind, note=note)


# --------------------------------------------------------------------------
# Reads used by the steps
# --------------------------------------------------------------------------


def _get_errand(errand_id: int) -> Errand:
    errand = db.session.get(Errand, errand_id)
    if errand is None:
        raise ErrandError("not_found")
    return errand


def _lock_errand(errand_id: int) -> Errand:
    """Load the errand with its row locked for the rest of the transaction
    (:func:`app.db_setup.lock_row`; on SQLite touching ``updated_at`` takes the write lock)."""
    errand = lock_row(Errand, errand_id, updated_at=utcnow())
    if errand is None:
        raise ErrandError("not_found")
    return errand


def _assignments(errand: Errand, *statuses: str) -> list[Assignment]:
    stmt = sa.select(Assignment).where(Assignment.errand_id == errand.id).order_by(Assignment.id)
    if statuses:
        stmt = stmt.where(Assignment.status.in_(statuses))
    return list(db.session.scalars(stmt.execution_options(populate_existing=True)))


def _offers(errand: Errand, *statuses: str) -> list[Offer]:
    stmt = sa.select(Offer).where(Offer.errand_id == errand.id).order_by(Offer.id)
    if statuses:
        stmt = stmt.where(Offer.status.in_(statuses))
    return list(db.session.scalars(stmt.execution_options(populate_existing=True)))


def _offer_of(errand_id: int, helper_id: int) -> Offer | None:
    stmt = sa.select(Offer).where(Offer.errand_id == errand_id, Offer.helper_id == helper_id)
    return db.session.scalars(stmt.execution_options(populate_existing=True)).one_or_none()


def _clip(text: str | None, limit: int) -> str | None:
    text = (text or "").strip()
    return text[:limit] or None
