"""First come, first served under real concurrency, on SQLite and PostgreSQL.

Each thread has its own app context (so its own session and connection),
waits on a barrier and calls ``accept_errand`` at the same moment. The winner
holds its transaction open for a moment before committing, so the others are
really waiting on the lock (or the unique slot) while it is in flight.
"""

from __future__ import annotations

import threading
import time

import pytest
import sqlalchemy as sa

from app.errands import lifecycle
from app.errands.lifecycle import ErrandError, accept_errand, offer_errand
from app.extensions import db as _db
from app.models import Assignment, Errand, ErrandEvent, Offer


def race(app, errand_id: int, helper_ids: list[int], *, hold: float = 0.3) -> dict[int, str]:
    """Every helper accepts at once; returns helper_id -> "won" or the error code.

    Also checks that the race was real: every caller had started before the
    first winner committed, so the losers were refused while a competing
    transaction was in flight (not merely after it had finished).
    """
    barrier = threading.Barrier(len(helper_ids))
    results: dict[int, str] = {}
    started: list[float] = []
    committed: list[float] = []
    lock = threading.Lock()

    def worker(helper_id: int) -> None:
        with app.app_context():
            outcome = "unknown"
            try:
                barrier.wait(timeout=10)
                with lock:
                    started.append(time.monotonic())
                try:
                    accept_errand(errand_id, helper_id, via="web")
                    time.sleep(hold)  # keep the transaction (and its lock or slot) in flight
                    outcome = "won"
                except ErrandError as err:
                    outcome = err.code
                _db.session.commit()
                if outcome == "won":
                    with lock:
                        committed.append(time.monotonic())
            except Exception as exc:  # pragma: no cover - reported by the assertion below
                _db.session.rollback()
                outcome = f"crash: {exc!r}"
            finally:
                with lock:
                    results[helper_id] = outcome

    threads = [threading.Thread(target=worker, args=(hid,)) for hid in helper_ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads)
    assert committed and max(started) < min(committed), "the callers did not overlap"
    return results


def offered_errand(make, org, n: int, helpers_needed: int = 1):
    coordinator = make.coordinator(org=org)
    helpers = [make.helper(org=org, age=19) for _ in range(n)]
    errand = make.errand(org=org, helpers_needed=helpers_needed)
    offers = offer_errand(errand, [h.id for h in helpers], by_user=coordinator)
    _db.session.commit()
    assert len(offers) == n and errand.state == "offered"
    return errand, helpers


def fresh(model, **where):
    _db.session.expire_all()
    return _db.session.scalars(sa.select(model).filter_by(**where)).all()


@pytest.mark.parametrize("n", [2, 5])
def test_parallel_accepts_give_exactly_one_assignment(app, db, make, org, n):
    errand, helpers = offered_errand(make, org, n)
    results = race(app, errand.id, [h.id for h in helpers])

    assert sorted(results.values()) == ["already_taken"] * (n - 1) + ["won"], results
    winner = next(hid for hid, outcome in results.items() if outcome == "won")
    assignments = fresh(Assignment, errand_id=errand.id)
    assert [(a.helper_id, a.slot, a.status) for a in assignments] == [(winner, 1, "active")]
    offers = {o.helper_id: o.status for o in fresh(Offer, errand_id=errand.id)}
    assert offers[winner] == "accepted"
    assert sorted(s for hid, s in offers.items() if hid != winner) == ["taken"] * (n - 1)
    assert fresh(Errand, id=errand.id)[0].state == "assigned"
    assigned_events = [e for e in fresh(ErrandEvent, errand_id=errand.id) if e.to_state == "assigned"]
    assert len(assigned_events) == 1


def test_two_helpers_needed_gives_exactly_two(app, db, make, org):
    errand, helpers = offered_errand(make, org, 5, helpers_needed=2)
    results = race(app, errand.id, [h.id for h in helpers])

    assert sorted(results.values()) == ["already_taken"] * 3 + ["won"] * 2, results
    assignments = fresh(Assignment, errand_id=errand.id)
    assert sorted(a.slot for a in assignments) == [1, 2]
    assert {a.helper_id for a in assignments} == {hid for hid, o in results.items() if o == "won"}
    assert fresh(Errand, id=errand.id)[0].state == "assigned"
    statuses = sorted(o.status for o in fresh(Offer, errand_id=errand.id))
    assert statuses == ["accepted", "accepted", "taken", "taken", "taken"]


def test_unique_slot_is_the_final_guard_without_the_row_lock(app, db, make, org, monkeypatch):
    """Even if the lock did not serialise the callers, the (errand_id, slot) constraint does."""

    def no_lock(errand_id: int) -> Errand:
        errand = _db.session.get(Errand, errand_id)
        _db.session.refresh(errand)
        return errand

    monkeypatch.setattr(lifecycle, "_lock_errand", no_lock)
    errand, helpers = offered_errand(make, org, 3)
    results = race(app, errand.id, [h.id for h in helpers])

    assert sorted(results.values()) == ["already_taken"] * 2 + ["won"], results
    assert len(fresh(Assignment, errand_id=errand.id)) == 1


def test_loser_sees_friendly_message_and_offer_closes(app, db, make, org, client):
    errand, (first, second) = offered_errand(make, org, 2)
    accept_errand(errand.id, first.id, via="web")
    _db.session.commit()

    client.login(second.user.email)
    response = client.submit(f"/errands/{errand.id}/accept", page="/my-errands", follow_redirects=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Joku ehti jo ottaa tämän tehtävän" in html
    assert fresh(Offer, errand_id=errand.id, helper_id=second.id)[0].status == "taken"
    # The errand is gone from their board.
    assert f"errand-{errand.id}" not in client.get("/board").get_data(as_text=True)
