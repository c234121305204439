"""Request intake service: dated errands, summer time, flexible days, repetition, checks."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
import sqlalchemy as sa

from app.errands.requests import (
    RequestInput,
    RequestInvalid,
    ShortCodes,
    create_request,
    generate_due_errands,
    notes_problem,
)
from app.models import Errand, ErrandEvent, HelpRequest


def _input(elder, make, **kw) -> RequestInput:
    base = dict(elder_id=elder.id, task_type_id=make.task_type().id, date_from=date(2027, 3, 20), time_from=time(10))
    base.update(kw)
    return RequestInput(**base)


def _utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_weekly_request_keeps_local_time_across_spring_change(db, elder, coordinator, make):
    now = _utc(2027, 3, 15, 8)
    req = create_request(
        _input(elder, make, recurrence="weekly", recurrence_until=date(2027, 4, 10)),
        taken_by=coordinator,
        now=now,
        horizon_days=60,
    )
    db.session.commit()
    starts = [e.starts_at for e in req.errands]
    # 10:00 in Helsinki: UTC+2 before the last Sunday of March (28.3.2027), UTC+3 after it.
    assert starts == [_utc(2027, 3, 20, 8), _utc(2027, 3, 27, 8), _utc(2027, 4, 3, 7), _utc(2027, 4, 10, 7)]
    assert all(e.ends_at - e.starts_at == timedelta(minutes=60) for e in req.errands)
    assert all(e.state == "open" for e in req.errands)
    assert req.taken_by_id == coordinator.id and req.requested_by == "elder"


def test_every_second_week_across_autumn_change(db, elder, coordinator, make):
    now = _utc(2027, 10, 1, 8)
    req = create_request(
        _input(elder, make, date_from=date(2027, 10, 16), recurrence="biweekly", recurrence_until=date(2027, 11, 14)),
        taken_by=coordinator,
        now=now,
        horizon_days=60,
    )
    # 16.10 and 30.10 are summer time (UTC+3); 13.11 is winter time (UTC+2). Last Sunday of October: 31.10.2027.
    assert [e.starts_at for e in req.errands] == [_utc(2027, 10, 16, 7), _utc(2027, 10, 30, 7), _utc(2027, 11, 13, 8)]


def test_weekly_across_last_sunday_of_october_itself(db, elder, coordinator, make):
    req = create_request(
        _input(elder, make, date_from=date(2027, 10, 24), recurrence="weekly", recurrence_until=date(2027, 11, 7)),
        taken_by=coordinator,
        now=_utc(2027, 10, 20),
        horizon_days=60,
    )
    assert [e.starts_at for e in req.errands] == [_utc(2027, 10, 24, 7), _utc(2027, 10, 31, 8), _utc(2027, 11, 7, 8)]


def test_repeating_request_is_made_only_up_to_the_horizon_and_generation_is_idempotent(db, elder, coordinator, make):
    now = _utc(2027, 5, 1, 6)
    req = create_request(
        _input(elder, make, date_from=date(2027, 5, 3), recurrence="weekly", recurrence_until=date(2027, 7, 26)),
        taken_by=coordinator,
        now=now,
    )
    db.session.commit()
    # Horizon 21 days from 1.5.: 3.5., 10.5., 17.5.
    assert [e.starts_at.date() for e in req.errands] == [date(2027, 5, 3), date(2027, 5, 10), date(2027, 5, 17)]
    assert generate_due_errands(now) == 0

    later = now + timedelta(days=14)
    assert generate_due_errands(later) == 2  # 24.5. and 31.5.
    db.session.commit()
    assert generate_due_errands(later) == 0
    assert generate_due_errands(later, horizon_days=21) == 0
    dates = db.session.scalars(
        sa.select(Errand.starts_at).where(Errand.request_id == req.id).order_by(Errand.starts_at)
    )
    assert [d.date() for d in dates] == [date(2027, 5, d) for d in (3, 10, 17, 24, 31)]
    generated = db.session.scalars(
        sa.select(ErrandEvent)
        .join(Errand)
        .where(Errand.request_id == req.id, Errand.starts_at > now + timedelta(days=21))
    ).all()
    assert {(ev.to_state, ev.actor_kind) for ev in generated} == {("open", "system")}

    # Far in the future: nothing after the end date, nothing for a cancelled request.
    assert generate_due_errands(_utc(2027, 7, 20)) == 1  # only 26.7. is still ahead; the past ones are not made
    db.session.commit()
    req.status = "cancelled"
    db.session.commit()
    assert generate_due_errands(_utc(2027, 7, 25)) == 0


def test_generation_skips_past_occurrences_and_paused_people(db, elder, coordinator, make):
    now = _utc(2027, 5, 1, 6)
    req = create_request(
        _input(elder, make, date_from=date(2027, 5, 3), recurrence="weekly", recurrence_until=date(2027, 6, 28)),
        taken_by=coordinator,
        now=now,
        horizon_days=7,
    )
    db.session.commit()
    assert len(req.errands) == 1
    elder.status = "paused"
    db.session.commit()
    assert generate_due_errands(now + timedelta(days=20)) == 0
    elder.status = "active"
    db.session.commit()
    # Three weeks later: the missed 10.5. and 17.5. are in the past and are not made.
    assert generate_due_errands(_utc(2027, 5, 20, 6), horizon_days=7) == 1  # 24.5.


def test_flexible_request_gets_one_errand_on_its_first_day(db, elder, coordinator, make):
    req = create_request(
        _input(
            elder,
            make,
            flexible=True,
            date_from=date(2027, 6, 7),
            date_to=date(2027, 6, 10),
            time_from=None,
            duration_minutes=90,
        ),
        taken_by=coordinator,
        now=_utc(2027, 6, 1),
    )
    assert req.date_to == date(2027, 6, 10) and req.flexible
    (errand,) = req.errands
    assert errand.starts_at == _utc(2027, 6, 7, 6)  # 09:00 summer time
    assert errand.ends_at == errand.starts_at + timedelta(minutes=90)


def test_flexible_request_starting_today_after_its_hour_begins_the_next_day(db, elder, coordinator, make):
    req = create_request(
        _input(elder, make, flexible=True, date_from=date(2027, 6, 7), date_to=date(2027, 6, 9), time_from=time(12)),
        taken_by=coordinator,
        now=_utc(2027, 6, 7, 10),  # 13:00 local
    )
    assert [e.starts_at for e in req.errands] == [_utc(2027, 6, 8, 9)]


def test_relative_calling_is_recorded(db, elder, coordinator, make):
    contact = elder.contacts[0]
    req = create_request(
        _input(elder, make, requested_by="relative", requested_by_contact_id=contact.id),
        taken_by=coordinator,
        now=_utc(2027, 3, 1),
    )
    db.session.commit()
    stored = db.session.get(HelpRequest, req.id)
    assert stored.requested_by == "relative"
    assert stored.requested_by_contact.name == "Tytär Tiina"


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"requested_by": "relative"}, ("requested_by_contact", "contact_missing")),
        ({"requested_by": "other", "requested_by_name": "  "}, ("requested_by_name", "caller_name_missing")),
        ({"date_from": date(2027, 2, 27)}, ("date_from", "date_past")),
        ({"time_from": None}, ("time_from", "time_missing")),
        ({"time_to": time(9)}, ("time_to", "time_order")),
        ({"time_to": time(10, 30), "duration_minutes": 60}, ("time_to", "window_shorter_than_duration")),
        ({"recurrence": "weekly"}, ("recurrence_until", "until_missing")),
        ({"recurrence": "weekly", "recurrence_until": date(2027, 10, 1)}, ("recurrence_until", "until_too_far")),
        ({"flexible": True, "date_to": None}, ("date_to", "date_to_missing")),
        (
            {
                "flexible": True,
                "date_to": date(2027, 3, 25),
                "recurrence": "weekly",
                "recurrence_until": date(2027, 4, 1),
            },
            ("recurrence", "flexible_repeat"),
        ),
        ({"helpers_needed": 4}, ("helpers_needed", "helpers_range")),
        ({"notes_for_helper": "Soita ensin 040 2000 001"}, ("notes_for_helper", "notes_phone")),
        ({"notes_for_helper": "Henkilötunnus 010150-123A"}, ("notes_for_helper", "notes_identity_code")),
        ({"preferred_helper_id": 999999}, ("preferred_helper", "preferred_unknown")),
    ],
)
def test_broken_rules_are_all_reported(db, make, org, coordinator, changes, expected):
    elder = make.elder(org=org, phone="+358402000001", with_relative=True)
    with pytest.raises(RequestInvalid) as info:
        create_request(_input(elder, make, **changes), taken_by=coordinator, now=_utc(2027, 3, 1))
    assert expected in info.value.problems
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(HelpRequest.id))) == 0


def test_notes_check_finds_phone_numbers_in_any_format():
    phones = ["+358401234567"]
    assert notes_problem("Soita 040-123 4567 ennen", phones) == "notes_phone"
    assert notes_problem("numero +358 40 1234567", phones) == "notes_phone"
    assert notes_problem("Maitoa 2 litraa ja leipää", phones) is None
    assert notes_problem("hetu 121212A899X", phones) == "notes_identity_code"


def test_short_codes_are_unique_among_unfinished_errands(db, elder, coordinator, make):
    req = create_request(
        _input(elder, make, date_from=date(2027, 5, 3), recurrence="weekly", recurrence_until=date(2027, 10, 25)),
        taken_by=coordinator,
        now=_utc(2027, 5, 1),
        horizon_days=200,
    )
    codes = [e.short_code for e in req.errands]
    assert len(codes) == len(set(codes)) == 26
    assert all(c.isdigit() and len(c) in (3, 4) for c in codes)
    db.session.commit()
    assert set(codes) <= ShortCodes().taken


def test_short_codes_move_to_four_digits_when_three_run_out(db):
    class Fixed:
        def __init__(self):
            self.calls = 0

        def randint(self, low, high):
            self.calls += 1
            return low  # always the same pick: a clash every time after the first

    codes = ShortCodes(rng=Fixed())
    codes.taken.clear()
    assert codes.new() == "100"
    assert codes.new() == "1000"
