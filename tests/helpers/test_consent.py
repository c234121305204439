"""Guardian consent: by the link, by an SMS reply, withdrawal, and what it means for eligibility."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from app.helpers.consent import handle_guardian_sms, hash_token
from app.i18n import today_local
from app.models import AuditLog, GuardianConsent
from tests.helpers.conftest import born, sms_to, token_from


def _actions(db) -> list[str]:
    return list(db.session.scalars(sa.select(AuditLog.action).order_by(AuditLog.id)))


def test_is_minor_follows_the_birthday(make):
    profile = make.helper(age=17)
    today = today_local()
    assert profile.is_minor_on(today)
    assert not profile.is_minor_on(today + timedelta(days=400))
    profile.birth_date = born(18)
    assert not profile.is_minor_on(today)


def test_consent_page_shows_the_text_and_only_the_first_name(client, register_minor):
    profile, token = register_minor()
    resp = client.get(f"/helpers/consent/{token}")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "<h1>Suostumus: Aino</h1>" in html
    assert "Alle 18-vuotiaille tarjotaan tehtäviä vain kello 8–20." in html
    assert "Suostumustekstin versio 2026-1." in html
    assert "Nuorinen" not in html  # the child's surname is not needed here
    assert "Annan suostumukseni" in html


def test_consent_by_link_is_recorded_once(client, db, register_minor):
    profile, token = register_minor()
    assert not profile.has_valid_guardian_consent

    resp = client.submit(f"/helpers/consent/{token}", {})
    assert resp.status_code == 302
    db.session.expire_all()
    consent = profile.current_consent
    assert consent.status == "given" and consent.given_via == "link" and consent.given_at is not None
    assert profile.has_valid_guardian_consent
    assert "guardian_consent_given" in _actions(db)
    given_at = consent.given_at

    html = client.get(f"/helpers/consent/{token}").get_data(as_text=True)
    assert "Annoit suostumuksesi" in html and "Peru suostumukseni" in html
    assert "Annan suostumukseni" not in html

    # The token cannot give the consent a second time.
    resp = client.submit(f"/helpers/consent/{token}", {}, follow_redirects=True)
    assert "Suostumuksesi oli jo kirjattu." in resp.get_data(as_text=True)
    db.session.expire_all()
    assert profile.current_consent.given_at == given_at
    assert _actions(db).count("guardian_consent_given") == 1


def test_withdrawal_by_link_makes_the_helper_ineligible_and_cannot_be_undone_by_the_link(client, db, register_minor):
    profile, token = register_minor()
    client.submit(f"/helpers/consent/{token}", {})
    resp = client.submit(f"/helpers/consent/{token}/withdraw", {}, page=f"/helpers/consent/{token}")
    assert resp.status_code == 302
    db.session.expire_all()
    consent = profile.current_consent
    assert consent.status == "withdrawn" and consent.withdrawn_via == "link" and consent.withdrawn_at
    assert not profile.has_valid_guardian_consent
    html = client.get(f"/helpers/consent/{token}").get_data(as_text=True)
    assert "Peruit suostumuksesi" in html and "Annan suostumukseni" not in html
    client.submit(f"/helpers/consent/{token}", {})
    db.session.expire_all()
    assert profile.current_consent.status == "withdrawn"
    assert "guardian_consent_withdrawn" in _actions(db)


def test_guardian_can_refuse_before_consenting(client, db, register_minor):
    profile, token = register_minor()
    client.submit(f"/helpers/consent/{token}/withdraw", {}, page=f"/helpers/consent/{token}")
    db.session.expire_all()
    assert profile.current_consent.status == "refused"
    assert not profile.has_valid_guardian_consent


def test_wrong_token_gets_a_friendly_404(client, register_minor):
    register_minor()
    resp = client.get("/helpers/consent/not-a-real-token")
    assert resp.status_code == 404
    html = resp.get_data(as_text=True)
    assert "Tämä suostumuslinkki ei ole voimassa" in html
    assert client.post("/helpers/consent/not-a-real-token/withdraw").status_code in (400, 404)


def test_the_helper_cannot_consent_for_their_guardian(client, db, register_minor):
    profile, token = register_minor()
    client.login(profile.user.email, "salasana-123")
    html = client.get(f"/helpers/consent/{token}").get_data(as_text=True)
    assert "Tämä sivu on huoltajallesi." in html and "Annan suostumukseni" not in html
    client.submit(f"/helpers/consent/{token}", {})
    db.session.expire_all()
    assert profile.current_consent.status == "requested"


def test_consent_by_sms_reply(db, register_minor):
    profile, _ = register_minor()
    code = profile.current_consent.sms_code
    reply = handle_guardian_sms("+358507654321", "Kyllä")
    assert reply is not None and "Kiitos! Suostumuksesi on kirjattu" in reply and f"EI {code}" in reply
    consent = profile.current_consent
    assert consent.status == "given" and consent.given_via == "sms"
    assert profile.has_valid_guardian_consent
    # A repeated yes with the code is answered but changes nothing; a bare one is not ours to answer.
    assert "on jo kirjattu" in handle_guardian_sms("+358507654321", f"KYLLÄ {code}")
    assert handle_guardian_sms("+358507654321", "kyllä") is None


def test_sms_with_the_code_and_a_finnish_number_format(db, register_minor):
    profile, _ = register_minor()
    code = profile.current_consent.sms_code
    assert handle_guardian_sms("050 765 4321", f"kylla {code}") is not None
    assert profile.current_consent.status == "given"


def test_sms_that_is_not_a_consent_answer_returns_none(db, register_minor):
    profile, _ = register_minor()
    code = profile.current_consent.sms_code
    assert handle_guardian_sms("+358507654321", "Hei, mitä tämä on?") is None
    assert handle_guardian_sms("+358401112222", f"KYLLÄ {code}") is None  # not a guardian's phone
    wrong = "1000" if code != "1000" else "1001"
    assert handle_guardian_sms("+358507654321", f"KYLLÄ {wrong}") is None  # maybe an errand reply
    assert profile.current_consent.status == "requested"


def test_several_pending_consents_need_the_code(db, register_minor):
    first, _ = register_minor(first_name="Aino")
    second, _ = register_minor(first_name="Eino")
    reply = handle_guardian_sms("+358507654321", "JOO")
    assert reply is not None and "useampi suostumuspyyntö" in reply
    assert first.current_consent.status == second.current_consent.status == "requested"

    reply = handle_guardian_sms("+358507654321", f"JOO {second.current_consent.sms_code}")
    assert "Eino" in reply
    assert first.current_consent.status == "requested"
    assert second.current_consent.status == "given"
    # Now only one is pending: a plain yes is enough.
    handle_guardian_sms("+358507654321", "yes")
    assert first.current_consent.status == "given"


def test_no_by_sms_withdraws_a_given_consent(db, register_minor, make):
    profile, _ = register_minor()
    code = profile.current_consent.sms_code
    handle_guardian_sms("+358507654321", f"KYLLÄ {code}")
    profile.status = "approved"
    db.session.commit()
    assert profile.is_eligible_on(today_local())

    # A bare "EI" may answer something else: a given consent is withdrawn only with its code.
    assert handle_guardian_sms("+358507654321", "EI") is None
    assert profile.has_valid_guardian_consent

    reply = handle_guardian_sms("+358507654321", f"EI {code}")
    assert "Suostumuksesi on peruttu" in reply
    consent = profile.current_consent
    assert consent.status == "withdrawn" and consent.withdrawn_via == "sms"
    assert not profile.has_valid_guardian_consent
    assert not profile.is_eligible_on(today_local())


def test_no_by_sms_refuses_a_pending_request(db, register_minor):
    profile, _ = register_minor()
    reply = handle_guardian_sms("+358507654321", "ei")
    assert "Selvä." in reply
    assert profile.current_consent.status == "refused"


def test_swedish_guardian_gets_swedish_answers(db, register_minor):
    profile, _ = register_minor(locale="sv")
    [sms] = sms_to(db, "+358507654321")
    assert sms.language == "sv" and "Svara JA" in sms.body
    reply = handle_guardian_sms("+358507654321", "JA")
    assert reply.startswith("Tack!")


def test_a_new_request_replaces_the_old_link_and_code(client, db, register_minor, coordinator_client):
    profile, old_token = register_minor()
    old_code = profile.current_consent.sms_code
    coordinator = coordinator_client.user
    coordinator.organizations = [profile.organization]
    db.session.commit()

    resp = coordinator_client.submit(
        f"/helpers/{profile.id}/consent/request",
        {"guardian_name": "Pekka Nuorinen", "guardian_phone": "044 987 6543"},
        page=f"/helpers/{profile.id}",
    )
    assert resp.status_code == 302, resp.get_data(as_text=True)
    db.session.expire_all()
    old, new = profile.consents
    assert old.status == "superseded" and new.status == "requested"
    assert new.guardian_phone == "+358449876543" and profile.guardian_name == "Pekka Nuorinen"
    [message] = sms_to(db, "+358449876543")
    assert hash_token(token_from(message.body)) == new.token_hash
    assert "korvattu uudemmalla" in client.get(f"/helpers/consent/{old_token}").get_data(as_text=True)
    assert handle_guardian_sms("+358507654321", f"KYLLÄ {old_code}") is None
    assert db.session.scalar(sa.select(sa.func.count(GuardianConsent.id))) == 2
