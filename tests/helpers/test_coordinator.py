"""Coordinators: the helper list, one helper's page, approval, suspension, profile correction."""

from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa

from app.models import AuditLog, ErrandEvent, Offer, SmsMessage, utcnow
from tests.helpers.conftest import sms_to


def test_list_shows_own_organizations_helpers_pending_first(coordinator_client, db, make):
    org = coordinator_client.user.organizations[0]
    make.helper(org=org, first_name="Anni", last_name="Aaltonen", status="approved")
    make.helper(org=org, first_name="Pekka", last_name="Pendinen", status="pending")
    make.helper(first_name="Vieras", last_name="Muualta")  # another organization
    html = coordinator_client.get("/helpers/").get_data(as_text=True)
    assert "<h1>Auttajat</h1>" in html
    assert "Muualta" not in html
    assert html.index("Pendinen") < html.index("Aaltonen")
    assert 'href="/helpers/"' in coordinator_client.get("/coordinator").get_data(as_text=True)  # menu entry


def test_list_filters_and_search(coordinator_client, db, make):
    org = coordinator_client.user.organizations[0]
    org.municipalities.append(make.municipality("Sotkamo"))
    db.session.commit()
    a = make.helper(org=org, first_name="Anni", last_name="Aaltonen", phone="+358401110001")
    b = make.helper(org=org, first_name="Pekka", last_name="Pendinen", status="pending", phone="+358402220002")
    b.municipality = make.municipality("Sotkamo")
    db.session.commit()

    def names(query):
        html = coordinator_client.get(f"/helpers/?{query}").get_data(as_text=True)
        return {n for n in ("Aaltonen", "Pendinen") if f">{n}, " in html}

    assert names("status=pending") == {"Pendinen"}
    assert names("status=approved") == {"Aaltonen"}
    assert names(f"municipality={make.municipality('Sotkamo').id}") == {"Pendinen"}
    assert names("q=anni") == {"Aaltonen"}
    assert names("q=Pekka+Pend") == {"Pendinen"}
    assert names("q=040+111") == {"Aaltonen"}
    assert names("q=%2B35840222") == {"Pendinen"}
    assert names("q=%25") == set()  # LIKE wildcards are taken literally
    assert a.id != b.id


def test_list_is_paginated(coordinator_client, app, db, make, monkeypatch):
    monkeypatch.setitem(app.config, "PAGE_SIZE", 2)
    org = coordinator_client.user.organizations[0]
    for i in range(5):
        make.helper(org=org, last_name=f"Sivu{i}")
    html = coordinator_client.get("/helpers/?status=approved").get_data(as_text=True)
    assert "Sivu 1/3" in html and "Auttajia löytyi: 5" in html
    assert len(re.findall(r">Sivu\d, ", html)) == 2
    assert 'href="/helpers/?page=2&amp;status=approved"' in html
    html = coordinator_client.get("/helpers/?status=approved&page=3").get_data(as_text=True)
    assert len(re.findall(r">Sivu\d, ", html)) == 1


def test_other_organizations_helper_is_forbidden(coordinator_client, make):
    other = make.helper()
    assert coordinator_client.get(f"/helpers/{other.id}").status_code == 403
    resp = coordinator_client.submit(f"/helpers/{other.id}/suspend", {"reason": "x"}, page="/helpers/")
    assert resp.status_code == 403


def test_admin_sees_every_helper(client, make):
    admin = make.admin()
    helper = make.helper()
    client.login(admin.email)
    assert client.get(f"/helpers/{helper.id}").status_code == 200
    assert helper.last_name in client.get("/helpers/").get_data(as_text=True)


def test_helpers_cannot_use_coordinator_pages(client, make):
    helper = make.helper()
    client.login(helper.user.email)
    assert client.get("/helpers/").status_code == 403
    assert client.get(f"/helpers/{helper.id}").status_code == 403


def test_detail_page_shows_profile_and_consent_history(coordinator_client, make):
    org = coordinator_client.user.organizations[0]
    helper = make.helper(org=org, age=16, introduction="Tykkään koirista.", youth_profile="toivokkaat")
    html = coordinator_client.get(f"/helpers/{helper.id}").get_data(as_text=True)
    assert f"<h1>{helper.first_name} Testinen</h1>" in html
    assert "Tykkään koirista." in html
    assert "Toivokkaat" in html
    assert "Huoltaja Testinen" in html and "Annettu" in html
    assert html.count("<h1") == 1


def _approve(client, helper, **data):
    return client.submit(f"/helpers/{helper.id}/approve", data, page=f"/helpers/{helper.id}")


def test_approval_needs_both_checks(coordinator_client, db, make):
    helper = make.helper(org=coordinator_client.user.organizations[0], status="pending", age=19)
    resp = _approve(coordinator_client, helper, identity_seen="y")
    assert resp.status_code == 400
    assert "Hyväksyntä vaatii molemmat tarkistukset" in resp.get_data(as_text=True)
    db.session.expire_all()
    assert helper.status == "pending"


def test_minor_without_consent_cannot_be_approved(coordinator_client, db, register_minor):
    profile, _ = register_minor(organization=coordinator_client.user.organizations[0])
    resp = _approve(coordinator_client, profile, identity_seen="y", training_held="y")
    assert resp.status_code == 400
    assert "huoltajan suostumus ole voimassa" in resp.get_data(as_text=True)
    db.session.expire_all()
    assert profile.status == "pending"


def test_criminal_record_date_cannot_be_in_the_future(coordinator_client, db, make):
    helper = make.helper(org=coordinator_client.user.organizations[0], status="pending", age=19)
    resp = _approve(
        coordinator_client, helper, identity_seen="y", training_held="y", criminal_record_seen_on="2999-01-01"
    )
    assert resp.status_code == 400
    assert "ei voi olla tulevaisuudessa" in resp.get_data(as_text=True)


def test_approval_records_checks_and_texts_the_helper(coordinator_client, db, make):
    helper = make.helper(org=coordinator_client.user.organizations[0], status="pending", age=16)
    resp = _approve(
        coordinator_client, helper, identity_seen="y", training_held="y", criminal_record_seen_on="2026-01-15"
    )
    assert resp.status_code == 302, resp.get_data(as_text=True)
    db.session.expire_all()
    assert helper.status == "approved" and helper.approved_at is not None
    assert helper.approved_by_id == coordinator_client.user.id
    assert helper.identity_seen and helper.training_held
    assert helper.criminal_record_seen_on.isoformat() == "2026-01-15"
    [sms] = sms_to(db, helper.phone)
    assert sms.kind == "helper_approved" and "Sinut on hyväksytty arjen pelastajaksi" in sms.body
    entry = db.session.scalar(sa.select(AuditLog).filter_by(action="helper_approved"))
    assert entry.actor_user_id == coordinator_client.user.id and entry.subject_id == helper.id


def test_suspension_ends_sessions_and_returns_future_errands(app, client, coordinator_client, db, make):
    org = coordinator_client.user.organizations[0]
    helper = make.helper(org=org)
    future = make.errand(org=org, starts_at=utcnow() + timedelta(hours=48))
    make.assignment(future, helper)
    past = make.errand(org=org, starts_at=utcnow() - timedelta(hours=48), state="done")
    make.assignment(past, helper, status="done")
    offered = make.errand(org=org, starts_at=utcnow() + timedelta(hours=72), state="offered")
    make.offer(offered, helper)

    helper_client = app.test_client()
    from tests.conftest import FormClient

    helper_client = FormClient(helper_client)
    helper_client.login(helper.user.email)
    assert helper_client.get("/helpers/me").status_code == 200

    resp = coordinator_client.submit(
        f"/helpers/{helper.id}/suspend", {"reason": "Ei tullut sovittuun"}, page=f"/helpers/{helper.id}"
    )
    assert resp.status_code == 302
    db.session.expire_all()
    assert helper.status == "suspended" and helper.suspension_reason == "Ei tullut sovittuun"

    # The helper's next request is logged out.
    resp = helper_client.get("/helpers/me")
    assert resp.status_code == 302 and "/auth/login" in resp.headers["Location"]

    [fa] = future.assignments
    assert fa.status == "cancelled" and fa.slot is None
    assert future.state == "open"
    event = db.session.scalar(sa.select(ErrandEvent).filter_by(errand_id=future.id))
    assert (event.from_state, event.to_state, event.actor_kind) == ("assigned", "open", "coordinator")
    assert event.actor_user_id == coordinator_client.user.id and "Ei tullut sovittuun" in event.note
    [pa] = past.assignments
    assert pa.status == "done" and past.state == "done"
    assert db.session.scalar(sa.select(Offer.status).filter_by(helper_id=helper.id)) == "cancelled"
    assert "helper_suspended" in set(db.session.scalars(sa.select(AuditLog.action)))

    # Reinstating brings back the approved status.
    resp = coordinator_client.submit(f"/helpers/{helper.id}/reinstate", {}, page=f"/helpers/{helper.id}")
    assert resp.status_code == 302
    db.session.expire_all()
    assert helper.status == "approved" and helper.suspended_at is None


def test_suspension_needs_a_reason(coordinator_client, db, make):
    helper = make.helper(org=coordinator_client.user.organizations[0])
    resp = coordinator_client.submit(f"/helpers/{helper.id}/suspend", {"reason": " "}, page=f"/helpers/{helper.id}")
    assert resp.status_code == 400 and "Kirjoita jäädytyksen syy." in resp.get_data(as_text=True)


def test_coordinator_corrects_the_youth_profile(coordinator_client, db, make):
    helper = make.helper(org=coordinator_client.user.organizations[0], youth_profile="toivokkaat")
    resp = coordinator_client.submit(
        f"/helpers/{helper.id}/profile", {"youth_profile": "arjen_pyorittajat"}, page=f"/helpers/{helper.id}"
    )
    assert resp.status_code == 302
    db.session.expire_all()
    assert helper.youth_profile == "arjen_pyorittajat"
    assert helper.profile_corrected_by_id == coordinator_client.user.id
    entry = db.session.scalar(sa.select(AuditLog).filter_by(action="helper_profile_corrected"))
    assert entry.details == {"previous": "toivokkaat", "youth_profile": "arjen_pyorittajat"}


def test_coordinator_records_a_withdrawal_from_a_phone_call(coordinator_client, db, make):
    org = coordinator_client.user.organizations[0]
    helper = make.helper(org=org, age=15)
    errand = make.errand(org=org, starts_at=utcnow() + timedelta(hours=30))
    make.assignment(errand, helper)
    resp = coordinator_client.submit(
        f"/helpers/{helper.id}/consent/withdraw", {"note": "Äiti soitti"}, page=f"/helpers/{helper.id}"
    )
    assert resp.status_code == 302
    db.session.expire_all()
    consent = helper.current_consent
    assert consent.status == "withdrawn" and consent.withdrawn_via == "phone"
    assert errand.state == "open" and errand.assignments[0].status == "cancelled"
    html = coordinator_client.get(f"/helpers/{helper.id}").get_data(as_text=True)
    assert "Huoltaja on perunut suostumuksen" in html


def test_coordinator_home_lists_helpers_waiting(coordinator_client, make):
    org = coordinator_client.user.organizations[0]
    make.helper(org=org, first_name="Odottava", status="pending")
    make.helper(first_name="Muualla", status="pending")
    html = coordinator_client.get("/coordinator").get_data(as_text=True)
    assert "Hyväksyntää odottavat auttajat" in html
    assert "Odottava" in html and "Muualla" not in html


def test_no_sms_for_a_helper_who_opted_out(coordinator_client, db, make):
    helper = make.helper(org=coordinator_client.user.organizations[0], status="pending", age=20, sms_opt_out=True)
    _approve(coordinator_client, helper, identity_seen="y", training_held="y")
    assert db.session.scalar(sa.select(sa.func.count(SmsMessage.id))) == 0
