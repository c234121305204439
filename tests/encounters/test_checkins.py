"""Well-being check-ins: before and after with the change in plain words, the helper's own page, the due list."""

from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa

from app.i18n import HELSINKI
from app.models import CheckIn
from tests.encounters.conftest import english
from tests.factories import local_today


def _elder(total_parts, good_days, day):
    a, b, c = total_parts
    return {"ucla_companionship": a, "ucla_left_out": b, "ucla_isolated": c, "good_days": good_days, "taken_on": day}


def test_before_and_after_shows_the_change(coordinator_client, make, db):
    c = coordinator_client
    english(c)
    e = make.elder(org=c.user.organizations[0])
    url = f"/encounters/elder/{e.id}/checkin"
    today = local_today()
    first = c.submit(url, _elder((3, 2, 2), 2, (today - timedelta(days=95)).isoformat()))
    assert first.status_code == 302
    page = c.get(first.headers["Location"]).get_data(as_text=True)
    assert "It is the first one" in page
    second = c.submit(url, _elder((2, 2, 1), 4, today.isoformat()))
    assert second.status_code == 302
    html = c.get(second.headers["Location"]).get_data(as_text=True)
    assert "Loneliness score went down from 7 to 5 (better)" in html
    assert "Good days in the last week went up from 2 to 4 (better)" in html
    rows = db.session.scalars(sa.select(CheckIn).order_by(CheckIn.taken_at)).all()
    assert [r.scores["loneliness_total"] for r in rows] == [7, 5]
    assert rows[0].via == "coordinator" and rows[0].taken_by_id == c.user.id
    assert rows[0].taken_at.astimezone(HELSINKI).date() == today - timedelta(days=95)


def test_missing_answer_keeps_the_others(coordinator_client, make, db):
    c = coordinator_client
    english(c)
    e = make.elder(org=c.user.organizations[0])
    url = f"/encounters/elder/{e.id}/checkin"
    data = _elder((3, 2, 2), 2, local_today().isoformat())
    del data["ucla_left_out"]
    response = c.submit(url, data)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Please choose an answer." in html
    assert re.search(r'<input checked id="ucla_companionship-2"[^>]*value="3">', html)
    future = c.submit(url, _elder((1, 1, 1), 7, "2999-01-01"))
    assert "That time is still to come" in future.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(CheckIn.id))) == 0


def test_helper_answers_their_own_and_leaves_the_due_list(client, make, db):
    org = make.organization()
    coordinator = make.coordinator(org=org)
    helper = make.helper(org=org, first_name="Lilja")
    client.login(coordinator.email)
    english(client)
    assert "Lilja" in client.get("/encounters/checkins/due").get_data(as_text=True)
    client.logout()
    client.login(helper.user.email)
    english(client)
    page = client.get("/encounters/checkin").get_data(as_text=True)
    assert "How much do you believe in your own future?" in page
    response = client.submit("/encounters/checkin", {"meaningful_role": "2", "future_belief": "3"})
    assert response.status_code == 302
    row = db.session.scalar(sa.select(CheckIn))
    assert (row.subject_kind, row.helper_id, row.via, row.scores["meaningful_role"]) == ("helper", helper.id, "web", 2)
    client.logout()
    client.login(coordinator.email)
    due = client.get("/encounters/checkins/due").get_data(as_text=True)
    assert "Lilja" not in due.split("Due in the next two weeks")[0]


def test_coordinator_fills_a_helpers_checkin(coordinator_client, make, db):
    c = coordinator_client
    english(c)
    h = make.helper(org=c.user.organizations[0])
    url = f"/encounters/helper/{h.id}/checkin"
    today = local_today().isoformat()
    assert c.submit(url, {"meaningful_role": "2", "future_belief": "2", "taken_on": today}).status_code == 302
    assert c.submit(url, {"meaningful_role": "4", "future_belief": "2", "taken_on": today}).status_code == 302
    html = c.get(f"/encounters/helper/{h.id}/stage").get_data(as_text=True)
    assert "Sense of a meaningful role went up from 2 to 4 (better)" in html
    assert "Belief in the future stayed at 2" in html
