"""The issue's "Done when", end to end through the test client: a phone request,
ranked and explained candidates, an offer to three, one accepts on the board, the
other two see it taken, the address only after accepting, done with a report."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from app.models import Assignment, Encounter, Errand, HelpRequest, Offer, SmsMessage, utcnow
from tests.conftest import FormClient
from tests.factories import local_today


def test_phone_request_to_done_report(app, db, coord, make, org):
    elder = make.elder(
        org=org, first_name="Aili", last_name="Ahonen", street_address="Kauppakatu 1", phone="+358402223334"
    )
    helpers = [
        make.helper(org=org, first_name=name, last_name="Nuorinen", age=age, lat=64.2263 + i * 0.004)
        for i, (name, age) in enumerate((("Aino", 17), ("Eetu", 19), ("Iida", 22), ("Otto", 24)))
    ]
    aino, eetu, iida, _otto = helpers

    # 1. The coordinator takes the call.
    day = local_today() + timedelta(days=1)
    form = {
        "elder_id": str(elder.id),
        "requested_by": "elder",
        "task_type": str(make.task_type("shopping").id),
        "timing": "fixed",
        "date_from": day.isoformat(),
        "time_from": "10:00",
        "time_to": "11:30",
        "duration_minutes": "60",
        "helpers_needed": "1",
        "notes_for_helper": "Maitoa, ruisleipää ja kahvia. Kauppakassi on eteisessä.",
        "recurrence": "none",
    }
    resp = coord.submit("/requests/new", form, page=f"/requests/new?elder={elder.id}")
    assert resp.status_code == 302
    errand = db.session.scalar(sa.select(Errand))
    assert resp.headers["Location"] == f"/errands/{errand.id}"

    # 2. Ranked and explained candidates.
    html = coord.get(f"/errands/{errand.id}").get_data(as_text=True)
    order = [html.index(f"{h.first_name} N.") for h in helpers]
    assert order == sorted(order)  # nearest first when everything else is equal
    assert "km päässä, kulkee pyörällä enintään 10 km" in html
    assert "Tarjoaa tätä apua (Kauppa-asiat)" in html

    # 3. Offer to the top three: offers and SMS.
    coord.submit(f"/errands/{errand.id}/offer-top", {"count": "3"}, page=f"/errands/{errand.id}")
    offers = {o.helper_id: o for o in db.session.scalars(sa.select(Offer))}
    assert set(offers) == {aino.id, eetu.id, iida.id}
    assert db.session.scalar(sa.select(sa.func.count(SmsMessage.id)).where(SmsMessage.kind == "offer")) == 3

    clients = {}
    for helper in (aino, eetu, iida):
        c = FormClient(app.test_client())
        c.login(helper.user.email)
        clients[helper.id] = c

    # 4. Before accepting, the board shows the errand without the address, phone or surname.
    board = clients[eetu.id].get("/board").get_data(as_text=True)
    assert f'id="errand-{errand.id}"' in board
    for secret in ("Kauppakatu", "402223334", "Ahonen"):
        assert secret not in board

    # 5. Eetu takes it first.
    resp = clients[eetu.id].submit(f"/errands/{errand.id}/accept", {}, page="/board")
    assert resp.status_code == 302
    mine = clients[eetu.id].get("/my-errands").get_data(as_text=True)
    assert "Kauppakatu 1" in mine

    # 6. The other two see it taken: offers closed, gone from the board, a friendly word when late.
    db.session.expire_all()
    statuses = {o.helper_id: o.status for o in db.session.scalars(sa.select(Offer))}
    assert statuses == {aino.id: "taken", eetu.id: "accepted", iida.id: "taken"}
    for helper in (aino, iida):
        assert f'id="errand-{errand.id}"' not in clients[helper.id].get("/board").get_data(as_text=True)
    resp = clients[iida.id].submit(f"/errands/{errand.id}/accept", {}, page="/board")
    assert "Joku ehti jo ottaa tämän tehtävän" in clients[iida.id].get(resp.headers["Location"]).get_data(as_text=True)
    assert "Kauppakatu" not in clients[iida.id].get("/my-errands").get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Assignment.id))) == 1

    # The coordinator sees who took it and the history.
    html = coord.get(f"/errands/{errand.id}").get_data(as_text=True)
    assert "Auttaja löytyi" in html and "Eetu N." in html and "Joku muu ehti ensin" in html
    assert "Eetu N. otti tehtävän (1/1)" in html  # the history in plain Finnish
    assert "Tarjottu: Aino N., Eetu N., Iida N." in html

    # 7. The day comes; Eetu marks it done with a report.
    errand = db.session.get(Errand, errand.id)
    errand.starts_at = utcnow() - timedelta(hours=2)
    errand.ends_at = utcnow() - timedelta(hours=1)
    db.session.commit()
    assignment = db.session.scalar(sa.select(Assignment))
    report = {
        "report_text": "Kävin kaupassa ja joimme kahvit.",
        "minutes": "55",
        "receipt": "12,40",
        "note_for_coordinator": "Aili toivoi ensi viikollakin apua.",
    }
    url = f"/my-errands/{assignment.id}/done"
    assert clients[eetu.id].submit(url, report).status_code == 302

    db.session.expire_all()
    assignment = db.session.get(Assignment, assignment.id)
    assert (assignment.status, assignment.report_minutes, assignment.receipt_cents) == ("done", 55, 1240)
    assert assignment.report_text == "Kävin kaupassa ja joimme kahvit."
    assert db.session.get(Errand, errand.id).state == "done"
    assert db.session.scalar(sa.select(Encounter.errand_id)) == errand.id
    assert db.session.scalar(sa.select(HelpRequest.status)) == "active"

    html = coord.get(f"/errands/{errand.id}").get_data(as_text=True)
    assert "Auttajan raportti" in html
    assert "Kävin kaupassa ja joimme kahvit." in html and "12,40 €" in html
    assert "Aili toivoi ensi viikollakin apua." in html
    assert "Sopivat auttajat" not in html
