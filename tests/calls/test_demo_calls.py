"""The demo shows the phone day: Kaisa's logged calls and an open callback for today."""

from __future__ import annotations

import sqlalchemy as sa

from app import demo
from app.models import Callback, CallLog, User
from tests.factories import PASSWORD


def test_the_demo_has_calls_and_a_callback_for_today(app, db, client):
    counts = demo.seed()
    db.session.commit()
    assert counts["calls"] == 4 and demo.seed()["calls"] == 0  # seeded once
    assert db.session.scalar(sa.select(sa.func.count(CallLog.id))) == 4
    callback = db.session.scalar(sa.select(Callback))
    assert callback.outcome is None
    kaisa = db.session.scalar(sa.select(User).where(User.email == demo.COORDINATORS[0][0]))
    kaisa.set_password(PASSWORD)
    db.session.commit()
    client.login(kaisa.email)
    day = client.get("/errands/day").get_data(as_text=True)
    assert "Takaisinsoitot" in day and "14.00" in day and "siirretäänkö torstain kauppa-asia" in day
    calls = client.get("/calls/").get_data(as_text=True)
    assert "Kauppa-asiat ensi tiistaina" in calls and "Kysyi, missä ovikoodi on" in calls
