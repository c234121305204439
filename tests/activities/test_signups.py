"""Signing up: capacity holds under real concurrency on both engines, the waiting list moves up
and the person who gets the place is told by SMS."""

from __future__ import annotations

import threading
import time
from datetime import time as clock

import pytest
import sqlalchemy as sa

from app.activities.operations import ActivityError, ActivityInput, edit_activity
from app.activities.signups import Person, cancel_signup, sign_up
from app.extensions import db as _db
from app.i18n import to_local
from app.models import ActivitySignup, SmsMessage


def race(app, activity_id: int, people: list[Person], *, hold: float = 0.3) -> dict[Person, str]:
    """Everyone signs up at once, each in its own app context and transaction."""
    barrier = threading.Barrier(len(people))
    results: dict[Person, str] = {}
    lock = threading.Lock()

    def worker(person: Person) -> None:
        with app.app_context():
            outcome = "unknown"
            try:
                barrier.wait(timeout=10)
                signup = sign_up(activity_id, person, via="web")
                outcome = signup.status
                time.sleep(hold)  # keep the transaction (and its lock) in flight
                _db.session.commit()
            except Exception as exc:  # pragma: no cover - reported by the assertion below
                _db.session.rollback()
                outcome = f"crash: {exc!r}"
            finally:
                with lock:
                    results[person] = outcome

    threads = [threading.Thread(target=worker, args=(p,)) for p in people]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads)
    return results


def live(activity_id: int) -> list[ActivitySignup]:
    _db.session.expire_all()
    return list(_db.session.scalars(sa.select(ActivitySignup).filter_by(activity_id=activity_id)))


@pytest.mark.parametrize("n", [3, 6])
def test_parallel_sign_ups_never_go_over_capacity(app, db, make, n):
    org = make.organization()
    activity = make.activity(org=org, capacity_young=2, capacity_old=1)
    helpers = [make.helper(org=org, age=19) for _ in range(n)]
    elders = [make.elder(org=org) for _ in range(3)]
    people = [Person.of(h) for h in helpers] + [Person.of(e) for e in elders]

    results = race(app, activity.id, people)

    assert not [r for r in results.values() if r.startswith("crash")], results
    rows = live(activity.id)
    young = [r for r in rows if r.side == "young"]
    old = [r for r in rows if r.side == "old"]
    assert sorted(r.slot for r in young if r.status == "signed_up") == [1, 2]
    assert sorted(r.slot for r in old if r.status == "signed_up") == [1]
    assert sum(r.status == "waiting" for r in young) == n - 2
    assert sum(r.status == "waiting" for r in old) == 2
    assert all(r.slot is None for r in rows if r.status == "waiting")


def test_a_freed_place_goes_to_the_first_waiting_who_is_told_by_sms(app, db, make):
    org = make.organization()
    activity = make.activity(org=org, capacity_young=1, capacity_old=1)
    first, second, third = (make.helper(org=org, age=19) for _ in range(3))
    s1 = sign_up(activity.id, Person.of(first), via="web")
    s2 = sign_up(activity.id, Person.of(second), via="web")
    s3 = sign_up(activity.id, Person.of(third), via="sms")
    db.session.commit()
    assert (s1.status, s2.status, s3.status) == ("signed_up", "waiting", "waiting")
    assert sign_up(activity.id, Person.of(second), via="web").id == s2.id  # again: no change

    cancel_signup(s1.id, by=None, via="web")
    db.session.commit()

    statuses = {r.helper_id: (r.status, r.slot) for r in live(activity.id)}
    assert statuses == {first.id: ("cancelled", None), second.id: ("signed_up", 1), third.id: ("waiting", None)}
    told = db.session.scalars(sa.select(SmsMessage).filter_by(kind="activity_place_opened")).all()
    assert [(m.to_phone, m.helper_id) for m in told] == [(second.phone, second.id)]
    assert "Kahvihetki kirjastolla" in told[0].body


def test_an_older_person_on_the_waiting_list_is_told_through_their_relative(app, db, make):
    org = make.organization()
    activity = make.activity(org=org, capacity_old=1)
    elder = make.elder(org=org)
    waiting = make.elder(org=org, with_relative=True, contact_channel="sms_relative")
    s1 = sign_up(activity.id, Person.of(elder), via="coordinator")
    s2 = sign_up(activity.id, Person.of(waiting), via="coordinator")
    assert s2.status == "waiting"
    cancel_signup(s1.id, by=None, via="coordinator")
    db.session.commit()
    message = db.session.scalars(sa.select(SmsMessage).filter_by(kind="activity_place_opened")).one()
    assert message.to_phone == waiting.contacts[0].phone and message.contact_id == waiting.contacts[0].id
    assert "Diabetes" not in message.body


def test_no_signing_up_for_a_cancelled_or_started_activity(db, make):
    helper = make.helper(age=19)
    cancelled = make.activity(status="cancelled")
    started = make.activity(days=-0.01)
    with pytest.raises(ActivityError) as err:
        sign_up(cancelled.id, Person.of(helper), via="web")
    assert err.value.code == "not_open"
    with pytest.raises(ActivityError) as err:
        sign_up(started.id, Person.of(helper), via="web")
    assert err.value.code == "started"


def test_more_places_on_an_edit_go_to_the_people_waiting(db, make):
    org = make.organization()
    coordinator = make.coordinator(org=org)
    activity = make.activity(org=org, capacity_old=1)
    first, second = make.elder(org=org), make.elder(org=org)
    sign_up(activity.id, Person.of(first), via="coordinator")
    waiting = sign_up(activity.id, Person.of(second), via="coordinator")
    assert waiting.status == "waiting"
    local = to_local(activity.starts_at)
    data = ActivityInput(
        title=activity.title, kind=activity.kind, place_id=activity.place_id, day=local.date(),
        start=clock(local.hour, local.minute), end=clock(min(local.hour + 1, 23), 59),
        organization_id=org.id, capacity_young=3, capacity_old=2, minimum=2,
    )  # fmt: skip
    edit_activity(activity, data, by=coordinator, whole_series=False)
    db.session.commit()
    assert (waiting.status, waiting.slot) == ("signed_up", 2)
