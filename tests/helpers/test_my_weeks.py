"""The helper's "My weeks": days away and weekly limits, on a phone, in the helper's language."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from app.models import AvailabilityException
from tests.factories import local_today


def test_a_helper_marks_days_away_and_removes_them(client, db, make):
    helper = make.helper(age=16)
    db.session.commit()
    client.login(helper.user.email)
    assert client.get("/helpers/me/weeks").status_code == 200
    first = local_today() + timedelta(days=3)
    response = client.submit(
        "/helpers/me/weeks/away",
        {"kind": "exams", "first_day": first.strftime("%d.%m.%Y"), "last_day": (first + timedelta(days=4)).isoformat()},
        page="/helpers/me/weeks",
    )
    assert response.status_code == 302
    away = db.session.scalar(sa.select(AvailabilityException))
    assert (away.helper_id, away.first_day, away.kind) == (helper.id, first, "exams")
    client.submit("/helpers/me/weeks/away/remove", {"exception_id": away.id}, page="/helpers/me/weeks")
    assert db.session.scalar(sa.select(sa.func.count(AvailabilityException.id))) == 0


def test_a_mistake_keeps_what_was_typed_and_says_why(client, db, make):
    helper = make.helper(age=16)
    db.session.commit()
    client.login(helper.user.email)
    first = local_today() + timedelta(days=5)
    response = client.submit(
        "/helpers/me/weeks/away",
        {"kind": "holiday", "first_day": first.isoformat(), "last_day": (first - timedelta(days=2)).isoformat()},
        page="/helpers/me/weeks",
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert first.isoformat() in html and "error-summary" in html
    assert db.session.scalar(sa.select(sa.func.count(AvailabilityException.id))) == 0


def test_another_helpers_day_cannot_be_removed(client, db, make):
    mine, other = make.helper(age=16), make.helper(age=16)
    theirs = AvailabilityException(helper=other, first_day=local_today(), last_day=local_today(), kind="other")
    db.session.add(theirs)
    db.session.commit()
    client.login(mine.user.email)
    client.submit("/helpers/me/weeks/away/remove", {"exception_id": theirs.id}, page="/helpers/me/weeks")
    assert db.session.get(AvailabilityException, theirs.id) is not None


def test_weekly_limits_are_saved_and_bad_numbers_explained(client, db, make):
    helper = make.helper(age=20)
    db.session.commit()
    client.login(helper.user.email)
    client.submit(
        "/helpers/me/weeks/limits", {"max_errands_week": "4", "max_hours_week": "6"}, page="/helpers/me/weeks"
    )
    db.session.refresh(helper)
    assert (helper.max_errands_week, helper.max_hours_week) == (4, 6.0)
    response = client.submit("/helpers/me/weeks/limits", {"max_errands_week": "lots"}, page="/helpers/me/weeks")
    assert response.status_code == 422 and "lots" in response.get_data(as_text=True)


def test_only_helpers_open_my_weeks(client, db, make):
    assert "/auth/login" in client.get("/helpers/me/weeks").headers["Location"]
    coordinator = make.coordinator()
    db.session.commit()
    client.login(coordinator.email)
    assert client.get("/helpers/me/weeks").status_code == 403
