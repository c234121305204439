"""The helper's own pages: status, editing the profile, a break, deleting the account."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from app.i18n import today_local
from app.models import AuditLog, EncounterParticipant, HelperProfile, User, utcnow
from tests.helpers.conftest import sms_to


def _login(client, helper):
    client.login(helper.user.email)
    return client


def _edit_data(helper, make, **overrides):
    data = {
        "first_name": helper.first_name,
        "last_name": helper.last_name,
        "phone": "040 765 0001",
        "municipality": str(make.municipality("Sotkamo").id),
        "village": str(make.village("Vuokatti").id),
        "address_text": "",
        "transport": "moped",
        "max_distance_km": "12",
        "task_types": ["post", "digital"],
        "availability": ["1-evening", "6-morning"],
        "languages": ["fi", "sv"],
        "introduction": "Autan mielelläni puhelimen kanssa.",
        "slider_sociable": "5",
        "slider_producer": "1",
        "slider_others": "2",
        "slider_digital": "5",
    }
    data.update(overrides)
    return data


def test_helper_home_shows_status_block_and_menu(client, make):
    helper = make.helper(status="pending", age=16)
    html = _login(client, helper).get("/helper").get_data(as_text=True)
    assert "Oma tilanne" in html
    assert "Huoltajasi on antanut suostumuksensa." in html
    assert "Odotetaan koordinaattorin hyväksyntää" in html
    assert 'href="/helpers/me/edit"' in html  # "My profile" in the menu


def test_edit_form_is_prefilled(client, make):
    helper = make.helper(age=19, introduction="Moi!")
    html = _login(client, helper).get("/helpers/me/edit").get_data(as_text=True)
    assert f'value="{helper.first_name}"' in html and "Moi!" in html
    assert 'value="0-morning" id="availability-0-morning"\n                     checked' in html
    assert "Huoltajasi" not in html  # an adult has no guardian section


def test_edit_saves_and_places_the_home_again(client, db, make):
    helper = make.helper(age=19, youth_profile="toivokkaat")
    resp = _login(client, helper).submit("/helpers/me/edit", _edit_data(helper, make))
    assert resp.status_code == 302, resp.get_data(as_text=True)
    db.session.expire_all()
    assert helper.phone == "+358407650001" and helper.user.phone == "+358407650001"
    assert helper.municipality.name == "Sotkamo" and helper.village.name == "Vuokatti"
    assert (helper.lat, helper.lon) == (helper.village.lat, helper.village.lon)
    assert helper.transport == "moped" and helper.max_distance_km == 12
    assert helper.task_types == ["post", "digital"] and helper.languages == ["fi", "sv"]
    assert helper.availability == [[1, "evening"], [6, "morning"]]
    assert helper.suggested_profile == "vahaan_tyytyvat" == helper.youth_profile
    assert "helper_profile_updated" in set(db.session.scalars(sa.select(AuditLog.action)))


def test_coordinators_choice_of_profile_survives_an_edit(client, db, make):
    coordinator = make.coordinator()
    helper = make.helper(age=19, youth_profile="toivokkaat", profile_corrected_by_id=coordinator.id)
    _login(client, helper).submit("/helpers/me/edit", _edit_data(helper, make))
    db.session.expire_all()
    assert helper.suggested_profile == "vahaan_tyytyvat" and helper.youth_profile == "toivokkaat"


def test_edit_errors_keep_what_was_typed(client, db, make):
    helper = make.helper(age=19)
    data = _edit_data(helper, make, phone="+46 70 123 45 67", introduction="Uusi esittely")
    resp = _login(client, helper).submit("/helpers/me/edit", data)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert "Vain suomalaiset matkapuhelinnumerot käyvät" in html
    assert 'value="+46 70 123 45 67"' in html and "Uusi esittely" in html
    assert 'value="1-evening" id="availability-1-evening"\n                     checked' in html
    db.session.expire_all()
    assert helper.introduction == ""


def test_minor_can_fix_guardian_number_until_consent_is_given(client, db, register_minor):
    profile, _ = register_minor()
    client.login(profile.user.email, "salasana-123")
    html = client.get("/helpers/me/edit").get_data(as_text=True)
    assert 'name="guardian_phone"' in html
    data = {
        "first_name": "Aino",
        "last_name": "Nuorinen",
        "phone": profile.phone,
        "municipality": str(profile.municipality_id),
        "village": "",
        "transport": "bike",
        "task_types": ["shopping"],
        "availability": ["0-afternoon"],
        "languages": ["fi"],
        "slider_sociable": "3",
        "slider_producer": "3",
        "slider_others": "3",
        "slider_digital": "3",
        "guardian_name": "Hanna Nuorinen",
        "guardian_phone": "050 765 9999",
    }
    resp = client.submit("/helpers/me/edit", data)
    assert resp.status_code == 302, resp.get_data(as_text=True)
    db.session.expire_all()
    assert profile.guardian_phone == "+358507659999"
    assert [c.status for c in profile.consents] == ["superseded", "requested"]
    assert len(sms_to(db, "+358507659999")) == 1


def test_pause_and_resume(client, db, make):
    helper = make.helper(age=19)
    make.assignment(make.errand(org=helper.organization, starts_at=utcnow() + timedelta(hours=30)), helper)
    _login(client, helper)
    until = today_local() + timedelta(days=10)
    resp = client.submit("/helpers/me/pause", {"until": until.isoformat()}, page="/helpers/me", follow_redirects=True)
    html = resp.get_data(as_text=True)
    assert "Olet tauolla" in html
    assert "Sinulla on tauon ajalle tehtäviä" in html  # the errand already taken is not silently dropped
    db.session.expire_all()
    assert helper.paused_until == until

    resp = client.submit("/helpers/me/resume", {}, page="/helpers/me")
    db.session.expire_all()
    assert helper.paused_until is None
    assert {"helper_paused", "helper_resumed"} <= set(db.session.scalars(sa.select(AuditLog.action)))


def test_pause_in_the_past_is_refused(client, db, make):
    helper = make.helper(age=19)
    _login(client, helper)
    yesterday = today_local() - timedelta(days=1)
    resp = client.submit("/helpers/me/pause", {"until": yesterday.isoformat()}, page="/helpers/me")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400 and "Valitse tämä päivä tai myöhempi päivä." in html
    assert f'value="{yesterday.isoformat()}"' in html


def test_delete_page_explains_and_needs_confirmation(client, db, make):
    helper = make.helper(age=19)
    _login(client, helper)
    html = client.get("/helpers/me/delete").get_data(as_text=True)
    assert "Nimesi, puhelinnumerosi, sähköpostiosoitteesi" in html
    resp = client.submit("/helpers/me/delete", {})
    assert resp.status_code == 400 and "Vahvista rastittamalla ruutu." in resp.get_data(as_text=True)
    db.session.expire_all()
    assert helper.status == "approved"


def test_delete_anonymises_and_keeps_statistics(client, db, make):
    helper = make.helper(age=16, address_text="Kauppakatu 1", introduction="Hei, olen Nuori.")
    org = helper.organization
    future = make.errand(org=org, starts_at=utcnow() + timedelta(hours=20))
    make.assignment(future, helper)
    make.encounter(helper, (), org=org, days_ago=3, scores=(5,))
    email, user_id, phone = helper.user.email, helper.user.id, helper.phone
    birth_year = helper.birth_date.year

    _login(client, helper)
    resp = client.submit("/helpers/me/delete", {"confirm": "y"})
    assert resp.status_code == 302 and resp.headers["Location"] == "/"
    db.session.expire_all()

    profile = db.session.get(HelperProfile, helper.id)
    user = db.session.get(User, user_id)
    assert profile.first_name == profile.last_name == "Poistettu"
    assert profile.phone == "" and profile.address_text is None and profile.introduction == ""
    assert profile.guardian_name is None and profile.guardian_phone is None
    assert profile.lat is None and profile.status == "deleted"
    assert profile.birth_date.year == birth_year and (profile.birth_date.month, profile.birth_date.day) == (1, 1)
    assert all(c.guardian_name == "Poistettu" and c.guardian_phone == "" for c in profile.consents)
    assert not user.active and user.email != email and user.email.endswith("@deleted.invalid")
    assert user.name == "Poistettu" and not user.check_password("correct horse battery")
    assert db.session.scalar(sa.select(sa.func.count(User.id)).where(User.email == email)) == 0
    # Statistics stay, without a name.
    assert db.session.scalar(sa.select(EncounterParticipant.helper_id)) == helper.id
    # Future work goes back to matching.
    assert future.state == "open" and future.assignments[0].status == "cancelled"
    # Logged out and cannot log in again.
    assert client.get("/helpers/me").status_code == 302
    assert client.login(email).status_code == 400
    assert phone not in "".join(db.session.scalars(sa.select(User.phone).where(User.phone.is_not(None))))
    # A deleted helper is no longer listed or reachable for coordinators.
    coordinator = make.coordinator(org=org)
    client.login(coordinator.email)
    assert "Poistettu" not in client.get("/helpers/").get_data(as_text=True)
    assert client.get(f"/helpers/{helper.id}").status_code == 404
