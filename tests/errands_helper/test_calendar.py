"""The personal iCalendar feed."""

from __future__ import annotations

from datetime import timedelta

from icalendar import Calendar

from app.errands.lifecycle import accept_errand, withdraw
from tests.factories import in_days


def test_feed_parses_and_holds_the_assigned_errand(db, make, org, elder, client):
    helper = make.helper(org=org, age=19)
    errand = make.errand(elder=elder, task="post", starts_at=in_days(2, 10))
    dropped = make.errand(elder=make.elder(org=org), starts_at=in_days(4, 10))
    assignment = accept_errand(errand.id, helper.id, via="web")
    withdraw(accept_errand(dropped.id, helper.id, via="web").id, reason="Ei käy")
    helper.calendar_token = "t" * 32
    db.session.commit()

    response = client.get(f"/calendar/{'t' * 32}.ics")
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    body = response.get_data()
    cal = Calendar.from_ical(body)
    events = [c for c in cal.walk("VEVENT")]
    assert len(events) == 1
    event = events[0]
    assert str(event["uid"]).startswith(f"assignment-{assignment.id}@")
    assert event.decoded("dtstart") == errand.starts_at
    assert event.decoded("dtstart").utcoffset() == timedelta(0)
    assert event.decoded("dtend") == errand.ends_at
    assert b"DTSTART:" in body and b"Z\r\n" in body  # UTC
    assert "Kajaani" in str(event["summary"])
    text = body.decode()
    assert "Vanhasalo" not in text and "Sydänlääkitys" not in text
    assert "Koulukatu 17 B 4" in str(event["location"])

    # The same UID next time (phones update, not duplicate).
    again = Calendar.from_ical(client.get(f"/calendar/{'t' * 32}.ics").get_data())
    assert [str(e["uid"]) for e in again.walk("VEVENT")] == [str(event["uid"])]


def test_unknown_token_is_404(db, client):
    assert client.get("/calendar/not-a-real-token.ics").status_code == 404
