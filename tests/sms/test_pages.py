"""Coordinator pages: SMS log, inbox, sending by hand, alerts, the start-page block."""

from __future__ import annotations

import re

import sqlalchemy as sa

from app.models import CoordinatorAlert, SmsMessage, SmsOptOut, utcnow
from app.sms.outbox import queue_sms


def org_of(client):
    return client.user.organizations[0]


def add_inbound(db, body, *, org=None, handled=False, phone="+358401234567", kind="other"):
    message = SmsMessage(
        direction="in",
        kind=kind,
        to_phone="+358451230000",
        from_phone=phone,
        body=body,
        status="received",
        handled=handled,
        organization_id=org.id if org else None,
    )
    db.session.add(message)
    db.session.commit()
    return message


PAGES = ["/sms/", "/sms/inbox", "/sms/send", "/sms/alerts"]


def test_pages_are_for_coordinators_only(client, make):
    for url in PAGES:
        assert client.get(url).status_code == 302, url  # to the login page
    helper = make.helper()
    client.login(helper.user.email)
    for url in PAGES:
        assert client.get(url).status_code == 403, url


def test_log_shows_own_organizations_messages_with_status_and_filters(coordinator_client, db, make):
    org = org_of(coordinator_client)
    elder = make.elder(org=org, first_name="Aili")
    mine = queue_sms(
        elder.phone, "Muistutus huomisesta", kind="reminder_elder_day", elder_id=elder.id, organization_id=org.id
    )
    failed = queue_sms("+358401111111", "Ei mennyt", kind="manual", organization_id=org.id)
    queue_sms("+358402222222", "Toisen yhdistyksen viesti", kind="manual", organization_id=make.organization().id)
    db.session.flush()
    failed.status, failed.last_error_code = "failed", "21211"
    db.session.commit()
    add_inbound(db, "Kuka soitti?")  # an unknown number: every coordinator sees it

    html = coordinator_client.get("/sms/").get_data(as_text=True)
    assert "Muistutus huomisesta" in html and "Aili" in html
    assert "Kuka soitti?" in html
    assert "Toisen yhdistyksen viesti" not in html
    assert "Puhelinnumero ei ole kelvollinen" in html  # the error in plain Finnish
    assert "Muistutus ikäihmiselle (edellisenä päivänä)" in html  # the kind, translated

    only_failed = coordinator_client.get("/sms/?status=failed").get_data(as_text=True)
    assert "Ei mennyt" in only_failed and "Muistutus huomisesta" not in only_failed
    incoming = coordinator_client.get("/sms/?direction=in").get_data(as_text=True)
    assert "Kuka soitti?" in incoming and "Ei mennyt" not in incoming
    by_kind = coordinator_client.get("/sms/?kind=reminder_elder_day").get_data(as_text=True)
    assert f'id="sms-{mine.id}"' in by_kind and "Ei mennyt" not in by_kind
    by_phone = coordinator_client.get("/sms/?phone=040+111").get_data(as_text=True)
    assert "Ei mennyt" in by_phone and "Muistutus huomisesta" not in by_phone


def test_log_is_paginated(coordinator_client, db, app, monkeypatch):
    monkeypatch.setitem(app.config, "PAGE_SIZE", 3)
    org = org_of(coordinator_client)
    for i in range(7):
        queue_sms(f"+35840100{i:04d}", f"Viesti numero {i}", kind="manual", organization_id=org.id)
    db.session.commit()
    html = coordinator_client.get("/sms/?page=3").get_data(as_text=True)
    assert "Viesti numero 0" in html and "Viesti numero 6" not in html
    assert "Sivu 3/3" in html or "3" in re.sub(r"<[^>]+>", " ", html)


def test_inbox_and_marking_handled(coordinator_client, db):
    org = org_of(coordinator_client)
    waiting = add_inbound(db, "Voinko vaihtaa päivää?", org=org)
    add_inbound(db, "KYLLÄ 123", org=org, handled=True, kind="accept")
    html = coordinator_client.get("/sms/inbox").get_data(as_text=True)
    assert "Voinko vaihtaa päivää?" in html and "KYLLÄ 123" not in html
    home = coordinator_client.get("/coordinator").get_data(as_text=True)
    assert "Saapuneissa odottaa vastauksia: 1" in home

    response = coordinator_client.submit(f"/sms/inbox/{waiting.id}/handled", {"handled": "1"}, page="/sms/inbox")
    assert response.status_code == 302
    db.session.refresh(waiting)
    assert waiting.handled and waiting.handled_by_id == coordinator_client.user.id
    assert "Voinko vaihtaa päivää?" in coordinator_client.get("/sms/inbox?handled=1").get_data(as_text=True)


def test_other_organizations_inbox_message_cannot_be_touched(coordinator_client, db, make):
    other = add_inbound(db, "Salainen", org=make.organization())
    response = coordinator_client.submit(f"/sms/inbox/{other.id}/handled", {"handled": "1"}, page="/sms/inbox")
    assert response.status_code == 404
    db.session.refresh(other)
    assert not other.handled


def test_send_to_a_person_of_own_organization_goes_through_the_outbox(coordinator_client, db, make):
    org = org_of(coordinator_client)
    elder = make.elder(org=org, language="sv")
    page = coordinator_client.get("/sms/send").get_data(as_text=True)
    assert f'value="e:{elder.id}"' in page and "<optgroup" in page
    response = coordinator_client.submit(
        "/sms/send", {"recipient": f"e:{elder.id}", "organization": str(org.id), "body": "Hej! Vi ringer i morgon."}
    )
    assert response.status_code == 302
    message = db.session.scalar(sa.select(SmsMessage).filter_by(direction="out"))
    assert (message.to_phone, message.kind, message.status) == (elder.phone, "manual", "queued")
    assert (message.elder_id, message.language, message.sent_by_id) == (elder.id, "sv", coordinator_client.user.id)
    assert message.organization_id == org.id


def test_send_to_a_typed_number_is_filed_under_its_person(coordinator_client, db, make):
    org = org_of(coordinator_client)
    helper = make.helper(org=org, phone="+358401234321")
    response = coordinator_client.submit(
        "/sms/send", {"phone": "040 123 4321", "organization": str(org.id), "body": "Kiitos!"}
    )
    assert response.status_code == 302
    message = db.session.scalar(sa.select(SmsMessage))
    assert (message.to_phone, message.helper_id) == ("+358401234321", helper.id)


MISTAKES = [
    ({"phone": "12", "body": "Hei"}, "Tämä ei ole puhelinnumero"),
    ({"phone": "08 123 4567", "body": "Hei"}, "lankapuhelinnumero"),
    ({"phone": "", "body": "Hei"}, "Valitse viestin saaja"),
    ({"phone": "040 765 4321", "body": ""}, "Kirjoita viesti"),
    ({"phone": "040 765 4321", "body": "x" * 481}, "liian pitkä"),
    ({"phone": "040 999 8888", "body": "Hei"}, "ei enää lähetetä"),
]


def test_send_explains_mistakes_and_keeps_what_was_typed(coordinator_client, db):
    db.session.add(SmsOptOut(phone="+358409998888", keyword="stop"))
    db.session.commit()
    org = org_of(coordinator_client)
    for data, error in MISTAKES:
        response = coordinator_client.submit("/sms/send", {"organization": str(org.id), **data})
        html = response.get_data(as_text=True)
        assert response.status_code == 400, data
        assert error in html, data
        if data["phone"]:
            assert f'value="{data["phone"]}"' in html
        if data["body"]:
            assert data["body"] in html
    assert db.session.scalar(sa.select(sa.func.count(SmsMessage.id))) == 0


def test_cannot_send_to_another_organizations_person(coordinator_client, db, make):
    stranger = make.elder(org=make.organization())
    response = coordinator_client.submit("/sms/send", {"recipient": f"e:{stranger.id}", "body": "Hei"})
    assert response.status_code == 400
    assert db.session.scalar(sa.select(sa.func.count(SmsMessage.id))) == 0


def test_alerts_are_listed_and_resolved(coordinator_client, db, make):
    org = org_of(coordinator_client)
    elder = make.elder(org=org, first_name="Aili", last_name="Alanen")
    mine = CoordinatorAlert(organization_id=org.id, kind="sms_opt_out", elder_id=elder.id, message="x")
    theirs = CoordinatorAlert(organization_id=make.organization().id, kind="call_reminder", message="Toinen")
    db.session.add_all([mine, theirs])
    db.session.commit()

    home = coordinator_client.get("/coordinator").get_data(as_text=True)
    assert "Aili Alanen ei halua enää tekstiviestejä" in home
    html = coordinator_client.get("/sms/alerts").get_data(as_text=True)
    assert "Aili Alanen" in html and "Toinen" not in html

    assert coordinator_client.submit(f"/sms/alerts/{theirs.id}/resolve", page="/sms/alerts").status_code == 404
    response = coordinator_client.submit(f"/sms/alerts/{mine.id}/resolve", {"back": "home"}, page="/sms/alerts")
    assert response.status_code == 302 and response.headers["Location"].endswith("/coordinator")
    db.session.refresh(mine)
    assert mine.resolved_at is not None and mine.resolved_by_id == coordinator_client.user.id
    assert "Ei avoimia hälytyksiä" in coordinator_client.get("/sms/alerts").get_data(as_text=True)
    assert "Aili Alanen" in coordinator_client.get("/sms/alerts?resolved=1").get_data(as_text=True)


def test_held_message_shows_when_it_leaves(coordinator_client, db):
    org = org_of(coordinator_client)
    message = queue_sms("+358401234567", "Huomenna", kind="manual", organization_id=org.id)
    db.session.flush()
    message.status = "held"
    message.next_attempt_at = utcnow().replace(hour=6, minute=0, second=0, microsecond=0)
    db.session.commit()
    html = coordinator_client.get("/sms/").get_data(as_text=True)
    assert "Odottaa aamuun" in html and "asti" in html
