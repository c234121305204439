"""Coordinators see every call on the message log and place a call by hand (issue 16)."""

from __future__ import annotations

import sqlalchemy as sa

from app.models import AuditLog, SmsMessage
from app.sms.voice import queue_call
from app.sms.voice_texts import Script

LANDLINE = "+35886155432"


def org_of(client):
    return client.user.organizations[0]


def calls(db) -> list[SmsMessage]:
    return list(db.session.scalars(sa.select(SmsMessage).filter_by(channel="voice")))


def test_the_call_page_is_for_coordinators_only(client, db, make):
    elder = make.elder(phone=LANDLINE, phone_kind="landline")
    data = {"elder": str(elder.id), "body": "Hei"}
    for response in (client.get("/sms/call"), client.submit("/sms/call", data, page="/auth/login")):
        assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    helper = make.helper()
    client.login(helper.user.email)
    assert client.get("/sms/call").status_code == 403
    assert client.submit("/sms/call", data, page="/").status_code == 403
    assert calls(db) == []


def test_a_coordinator_places_a_call_to_a_landline_through_the_outbox(coordinator_client, db, make):
    org = org_of(coordinator_client)
    elder = make.elder(org=org, phone=LANDLINE, phone_kind="landline", contact_channel="voice", language="sv")
    page = coordinator_client.get("/sms/call").get_data(as_text=True)
    assert f'value="{elder.id}"' in page  # a landline is on the list (the SMS page leaves it out)
    response = coordinator_client.submit(
        "/sms/call", {"elder": str(elder.id), "body": "Vi ringer i morgon. Välkommen på kaffe på fredag."}
    )
    assert response.status_code == 302
    [call] = calls(db)
    assert (call.to_phone, call.kind, call.channel, call.status) == (LANDLINE, "manual", "voice", "queued")
    assert (call.elder_id, call.organization_id, call.sent_by_id) == (elder.id, org.id, coordinator_client.user.id)
    assert call.body.startswith("Vi ringer i morgon.") and call.body.endswith("tryck på 3.")
    assert db.session.scalar(sa.select(AuditLog.action).filter_by(action="sms.call_by_hand")) == "sms.call_by_hand"


def test_another_organizations_person_cannot_be_called(coordinator_client, db, make):
    stranger = make.elder(org=make.organization(), phone=LANDLINE, phone_kind="landline")
    response = coordinator_client.submit("/sms/call", {"elder": str(stranger.id), "body": "Hei"})
    assert response.status_code == 400
    assert "Valitse listasta organisaatioidesi ikäihminen" in response.get_data(as_text=True)
    assert calls(db) == []


def test_call_mistakes_are_explained_and_what_was_typed_is_kept(coordinator_client, db, make):
    org = org_of(coordinator_client)
    elder = make.elder(org=org, phone=LANDLINE, phone_kind="landline")
    for data, error in [
        ({"elder": str(elder.id), "body": ""}, "Kirjoita, mitä puhelu sanoo."),
        ({"elder": "", "body": "Tervetuloa kerhoon"}, "Valitse listasta"),
        ({"elder": str(elder.id), "body": "x" * 481}, "liian pitkä"),
    ]:
        response = coordinator_client.submit("/sms/call", data)
        html = response.get_data(as_text=True)
        assert response.status_code == 400, data
        assert error in html, data
        if data["body"]:
            assert data["body"] in html
    assert calls(db) == []


def test_the_log_shows_a_calls_text_status_and_keys(coordinator_client, db, make):
    org = org_of(coordinator_client)
    elder = make.elder(org=org, phone=LANDLINE, phone_kind="landline", contact_channel="voice")
    errand = make.errand(elder)
    call = queue_call(
        LANDLINE,
        Script("Muistutus: Eetu tulee huomenna kello kymmenen.", "Jos tämä sopii, paina 1."),
        kind="reminder_elder_day",
        language="fi",
        errand_id=errand.id,
        elder_id=elder.id,
        organization_id=org.id,
    )
    call.status, call.call_status, call.digits, call.tries = "delivered", "completed", "13", 1
    db.session.commit()
    html = coordinator_client.get("/sms/").get_data(as_text=True)
    assert "Automaattipuhelu" in html
    assert "<p>Muistutus: Eetu tulee huomenna kello kymmenen.</p>" in html and "<p>Jos tämä sopii, paina 1.</p>" in html
    assert "Puhelu päättyi" in html and "vastaamattomia puheluja: 1" in html
    assert "1: sopii, 3: soita takaisin" in html


def test_the_person_page_links_to_a_call_chosen_for_them(coordinator_client, db, make):
    org = org_of(coordinator_client)
    elder = make.elder(org=org, phone=LANDLINE, phone_kind="landline", contact_channel="voice")
    no_phone = make.elder(org=org, phone=None)
    page = coordinator_client.get(f"/elders/{elder.id}").get_data(as_text=True)
    assert f'href="/sms/call?elder={elder.id}"' in page
    form = coordinator_client.get(f"/sms/call?elder={elder.id}").get_data(as_text=True)
    assert f'<option selected value="{elder.id}">' in form or f'value="{elder.id}" selected' in form
    assert "/sms/call?elder=" not in coordinator_client.get(f"/elders/{no_phone.id}").get_data(as_text=True)
