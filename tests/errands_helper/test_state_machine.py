"""The errand state machine: every allowed step, a sample of refused ones, and the history."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.errands.lifecycle import TERMINAL_STATES, TRANSITIONS, ErrandError, transition
from app.models import ErrandEvent

ALLOWED = sorted((src, dst) for src, targets in TRANSITIONS.items() for dst in targets)
REFUSED = [
    ("open", "done"),
    ("open", "no_show"),
    ("open", "open"),
    ("offered", "done"),
    ("offered", "no_show"),
    ("assigned", "expired"),
    ("assigned", "assigned"),
    ("done", "open"),
    ("done", "cancelled"),
    ("cancelled", "open"),
    ("cancelled", "assigned"),
    ("expired", "offered"),
    ("no_show", "done"),
    ("open", "withdrawn"),
    ("assigned", "withdrawn"),
]


def test_the_table_is_the_documented_one():
    assert {
        "open": {"offered", "assigned", "cancelled", "expired"},
        "offered": {"assigned", "open", "cancelled", "expired"},
        "assigned": {"done", "cancelled", "no_show", "open", "offered"},
        "done": set(),
        "cancelled": set(),
        "expired": set(),
        "no_show": set(),
    } == TRANSITIONS
    assert {"done", "cancelled", "expired", "no_show"} == TERMINAL_STATES
    # "withdrawn" is what happens to an assignment, never an errand state.
    assert "withdrawn" not in TRANSITIONS


def test_every_allowed_transition_is_made_and_recorded(db, make):
    coordinator = make.coordinator()
    for src, dst in ALLOWED:
        errand = make.errand(state=src)
        event = transition(errand, dst, actor=coordinator, actor_kind="coordinator", note=f"{src}>{dst}")
        db.session.commit()
        assert errand.state == dst
        stored = db.session.scalars(sa.select(ErrandEvent).where(ErrandEvent.errand_id == errand.id)).all()
        assert [(e.from_state, e.to_state, e.actor_user_id, e.actor_kind, e.note) for e in stored] == [
            (src, dst, coordinator.id, "coordinator", f"{src}>{dst}")
        ]
        assert event.at is not None


def test_impossible_transitions_are_refused_and_leave_no_trace(db, make):
    for src, dst in REFUSED:
        errand = make.errand(state=src)
        with pytest.raises(ErrandError) as err:
            transition(errand, dst, actor=None, actor_kind="system")
        assert err.value.code == "not_allowed_transition"
        assert err.value.details == {"from_state": src, "to_state": dst}
        db.session.commit()
        assert errand.state == src
    assert db.session.scalar(sa.select(sa.func.count(ErrandEvent.id))) == 0
