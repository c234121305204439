"""Signing up as a helper: the happy path for a 15-year-old and every way the form can be wrong."""

from __future__ import annotations

import sqlalchemy as sa

from app.models import AuditLog, GuardianConsent, HelperProfile, User
from tests.helpers.conftest import assert_kept, born, profile_by_email, sms_to


def test_register_page_is_public_and_linked(client, org):
    html = client.get("/").get_data(as_text=True)
    assert 'href="/helpers/register"' in html
    resp = client.get("/helpers/register")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "<h1>Ilmoittaudu auttajaksi</h1>" in html
    assert "Kainuun 4H (Kajaani, Sotkamo)" in html  # the organization shows its municipalities
    assert 'type="range"' in html and 'name="availability"' in html
    assert html.count("<h1") == 1


def test_fifteen_year_old_signs_up_and_guardian_gets_sms(client, db, signup, org):
    resp = client.submit("/helpers/register", signup())
    assert resp.status_code == 302, resp.get_data(as_text=True)
    # The same answer whether or not the address had an account: log in to follow the sign-up.
    assert resp.headers["Location"] == "/auth/login"

    profile = profile_by_email(db, "aino@example.fi")
    assert profile is not None
    user = profile.user
    assert user.role == "helper" and user.locale == "fi" and user.check_password("salasana-123")
    assert profile.status == "pending"
    assert profile.organization_id == org.id
    assert profile.phone == "+358401234567"
    assert profile.municipality.name == "Kajaani" and profile.village.name == "Paltaniemi"
    assert profile.lat == profile.village.lat and profile.geocode_status == "approximate"
    assert profile.transport == "bike" and profile.max_distance_km == 6  # the default for a bike
    assert profile.task_types == ["shopping", "walk"]
    assert profile.availability == [[0, "afternoon"], [2, "evening"], [5, "morning"]]
    assert profile.languages == ["fi", "en"]
    assert (profile.slider_sociable, profile.slider_producer, profile.slider_others, profile.slider_digital) == (
        2,
        5,
        3,
        1,
    )
    assert profile.suggested_profile == "tulevaisuususkoiset" == profile.youth_profile
    assert profile.guardian_name == "Hanna Nuorinen" and profile.guardian_phone == "+358507654321"

    [consent] = profile.consents
    assert consent.status == "requested" and consent.text_version == "2026-1"
    assert len(consent.token_hash) == 64 and consent.sms_code.isdigit() and len(consent.sms_code) == 4

    [sms] = sms_to(db, "+358507654321")
    assert sms.kind == "guardian_consent" and sms.language == "fi" and sms.status == "queued"
    assert sms.dedupe_key == f"consent:{consent.id}"
    assert "Aino" in sms.body
    assert f"KYLLÄ {consent.sms_code}" in sms.body
    assert "http://testserver/helpers/consent/" in sms.body
    token = sms.body.split("/helpers/consent/")[1].split()[0]
    import hashlib

    assert hashlib.sha256(token.encode()).hexdigest() == consent.token_hash  # only the hash is stored

    actions = set(db.session.scalars(sa.select(AuditLog.action)))
    assert {"helper_registered", "guardian_consent_requested"} <= actions

    # After logging in, the status page says what is missing.
    assert client.login("aino@example.fi", "salasana-123").status_code == 302
    html = client.get("/helpers/me").get_data(as_text=True)
    assert "Odotetaan huoltajasi suostumusta" in html
    assert "Odotetaan koordinaattorin hyväksyntää" in html


def test_swedish_speaker_gets_swedish_sms_for_guardian(client, db, signup):
    client.submit("/lang", {"lang": "sv", "next": "/"}, page="/")
    resp = client.submit("/helpers/register", signup())
    assert resp.status_code == 302
    profile = profile_by_email(db, "aino@example.fi")
    assert profile.user.locale == "sv"
    [sms] = sms_to(db, "+358507654321")
    assert sms.language == "sv" and f"JA {profile.consents[0].sms_code}" in sms.body


def test_adult_signs_up_without_guardian(client, db, signup):
    resp = client.submit(
        "/helpers/register", signup(birth_date=born(19).isoformat(), guardian_name="", guardian_phone="")
    )
    assert resp.status_code == 302
    profile = profile_by_email(db, "aino@example.fi")
    assert profile.consents == [] and profile.guardian_phone is None
    client.login("aino@example.fi", "salasana-123")
    assert "Odotetaan koordinaattorin hyväksyntää" in client.get("/helpers/me").get_data(as_text=True)


def _refused(client, db, data, message):
    resp = client.submit("/helpers/register", data)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert message in html, html[html.find("error-summary") - 200 : html.find("error-summary") + 2000]
    assert db.session.scalar(sa.select(sa.func.count(User.id)).where(User.role == "helper")) == 0
    assert_kept(html, data)
    return html


def test_under_thirteen_cannot_register_and_keeps_form(client, db, signup):
    data = signup(birth_date=born(12).isoformat())
    html = _refused(client, db, data, "Auttajaksi voi ilmoittautua 13-vuotiaasta alkaen.")
    assert f'value="{data["birth_date"]}"' in html
    assert 'value="Aino"' in html and 'value="aino@example.fi"' in html
    assert "Hei! Olen Aino ja tykkään ulkoilla koiran kanssa." in html


def test_bad_phone_is_explained_and_form_kept(client, db, signup):
    html = _refused(client, db, signup(phone="123"), "Tarkista numero.")
    assert 'value="123"' in html and 'value="Aino"' in html


def test_foreign_phone_gets_the_foreign_message(client, db, signup):
    html = _refused(client, db, signup(phone="+46 70 123 45 67"), "Vain suomalaiset matkapuhelinnumerot käyvät")
    assert 'value="+46 70 123 45 67"' in html


def test_landline_is_not_accepted(client, db, signup):
    _refused(client, db, signup(phone="08 612 3456"), "lankapuhelinnumerolta")


def test_minor_without_guardian_is_told_to_add_one(client, db, signup):
    html = _refused(
        client, db, signup(guardian_name="", guardian_phone=""), "Olet alle 18-vuotias: kirjoita huoltajasi nimi."
    )
    assert "Olet alle 18-vuotias: kirjoita huoltajasi matkapuhelinnumero." in html
    assert 'value="aino@example.fi"' in html


def test_guardian_number_must_not_be_own(client, db, signup):
    _refused(client, db, signup(guardian_phone="040 123 4567"), "Anna huoltajasi oma numero")


def test_password_mismatch(client, db, signup):
    html = _refused(client, db, signup(password_confirm="salasana-124"), "Salasanat eivät ole samat.")
    assert 'value="aino@example.fi"' in html and 'value="salasana-123"' not in html


def test_short_password(client, db, signup):
    _refused(client, db, signup(password="lyhyt", password_confirm="lyhyt"), "vähintään 10 merkkiä")


def test_duplicate_email_is_not_revealed(client, db, signup, make):
    """An address that has an account gets the same answer as a new one, and nothing is created or sent."""
    make.coordinator(email="Aino@Example.fi")
    taken = client.submit("/helpers/register", signup())
    assert taken.status_code == 302 and taken.headers["Location"] == "/auth/login"
    taken_page = client.get("/auth/login").get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(HelperProfile.id))) == 0
    assert sms_to(db, "+358507654321") == []

    fresh = client.submit("/helpers/register", signup(email="uusi@example.fi", phone="040 765 1111"))
    assert (fresh.status_code, fresh.headers["Location"]) == (taken.status_code, taken.headers["Location"])
    fresh_page = client.get("/auth/login").get_data(as_text=True)
    assert "Ilmoittautumisesi on vastaanotettu" in taken_page and "Ilmoittautumisesi on vastaanotettu" in fresh_page
    assert "käytössä" not in taken_page
    assert _flashes(taken_page) == _flashes(fresh_page)


def _flashes(html: str) -> list[str]:
    import re

    return re.findall(r'class="flash[^"]*"[^>]*>(.*?)<', html, re.S)


def test_phone_already_used_by_another_helper(client, db, signup, make):
    make.helper(phone="+358401234567")
    resp = client.submit("/helpers/register", signup())
    assert resp.status_code == 400
    assert "Tämä numero on jo toisen auttajan käytössä." in resp.get_data(as_text=True)


def test_choices_are_required(client, db, signup):
    html = _refused(client, db, signup(task_types=[], availability=[], languages=[]), "Valitse ainakin yksi avun laji.")
    assert "Valitse ainakin yksi aika, jolloin voit auttaa." in html
    assert "Valitse ainakin yksi kieli." in html


def test_village_must_be_in_municipality(client, db, signup, make):
    _refused(client, db, signup(village=str(make.village("Vuokatti").id)), "Tämä kylä ei ole valitussa kunnassa.")


def test_distance_limit_and_introduction_length(client, db, signup):
    html = _refused(client, db, signup(max_distance_km="80", introduction="x" * 501), "Anna etäisyys väliltä 1–50 km.")
    assert "Pidä esittely alle 500 merkin mittaisena." in html


def test_finnish_date_format_is_accepted(client, db, signup):
    b = born(16)
    resp = client.submit("/helpers/register", signup(birth_date=f"{b.day}.{b.month}.{b.year}"))
    assert resp.status_code == 302
    assert profile_by_email(db, "aino@example.fi").birth_date == b


def test_street_address_geocoded_offline_keeps_approximate(client, db, signup, make):
    resp = client.submit("/helpers/register", signup(address_text="Kauppakatu 5", village="", max_distance_km="4"))
    assert resp.status_code == 302
    profile = profile_by_email(db, "aino@example.fi")
    kajaani = make.municipality("Kajaani")
    assert profile.address_text == "Kauppakatu 5"
    assert (profile.lat, profile.lon) == (kajaani.lat, kajaani.lon)
    assert profile.geocode_status == "approximate"  # the offline gazetteer knows no streets
    assert profile.max_distance_km == 4


def test_only_one_guardian_consent_row_per_signup(client, db, signup):
    client.submit("/helpers/register", signup())
    assert db.session.scalar(sa.select(sa.func.count(GuardianConsent.id))) == 1
    assert db.session.scalar(sa.select(sa.func.count(HelperProfile.id))) == 1


def test_street_address_found_by_nominatim(client, app, db, signup, monkeypatch):
    from tests.fakes.nominatim_server import FakeNominatim

    place = {
        "lat": 64.2301,
        "lon": 27.7402,
        "display_name": "Kauppakatu 5, 87100 Kajaani, Suomi",
        "type": "house",
        "class": "building",
        "address": {"house_number": "5", "road": "Kauppakatu", "town": "Kajaani", "country_code": "fi"},
    }
    with FakeNominatim({"Kauppakatu 5, Kajaani": place}) as fake:
        monkeypatch.setitem(app.config, "GEOCODER", "nominatim")
        monkeypatch.setitem(app.config, "NOMINATIM_URL", fake.base_url)
        monkeypatch.setitem(app.config, "NOMINATIM_MIN_DELAY_SECONDS", 0)
        resp = client.submit("/helpers/register", signup(address_text="Kauppakatu 5", village=""))
        assert resp.status_code == 302
        assert fake.search_requests[0].params["q"] == "Kauppakatu 5, Kajaani"
    profile = profile_by_email(db, "aino@example.fi")
    assert (profile.lat, profile.lon, profile.geocode_status) == (64.2301, 27.7402, "ok")


def test_geocoder_failure_keeps_the_form_and_uses_the_village(client, app, db, signup, monkeypatch):
    from tests.fakes.nominatim_server import FakeNominatim

    with FakeNominatim({}) as fake:
        fake.fail_next(3, status=503)
        monkeypatch.setitem(app.config, "GEOCODER", "nominatim")
        monkeypatch.setitem(app.config, "NOMINATIM_URL", fake.base_url)
        monkeypatch.setitem(app.config, "NOMINATIM_MIN_DELAY_SECONDS", 0)
        resp = client.submit("/helpers/register", signup(address_text="Tuntematon tie 9"))
        assert resp.status_code == 302
    profile = profile_by_email(db, "aino@example.fi")
    assert profile.address_text == "Tuntematon tie 9"
    assert (profile.lat, profile.lon) == (profile.village.lat, profile.village.lon)
    assert profile.geocode_status == "failed"
    assert "Osoitetta ei löytynyt" in _coordinator_view(client, db, profile)


def _coordinator_view(client, db, profile) -> str:
    from tests.factories import Factories

    client.logout()
    coordinator = Factories(db.session).coordinator(org=profile.organization)
    client.login(coordinator.email)
    return client.get(f"/helpers/{profile.id}").get_data(as_text=True)


def test_far_away_geocoding_result_is_not_trusted(app, db, make, monkeypatch):
    from app.helpers.registration import geocode_home
    from tests.fakes.nominatim_server import FakeNominatim

    helsinki = (60.1699, 24.9384, "Kauppakatu 5, Helsinki")
    with FakeNominatim({"Kauppakatu 5, Kajaani": helsinki}) as fake:
        monkeypatch.setitem(app.config, "GEOCODER", "nominatim")
        monkeypatch.setitem(app.config, "NOMINATIM_URL", fake.base_url)
        monkeypatch.setitem(app.config, "NOMINATIM_MIN_DELAY_SECONDS", 0)
        kajaani = make.municipality("Kajaani")
        home = geocode_home(kajaani, None, "Kauppakatu 5")
    assert (home.lat, home.lon, home.status) == (kajaani.lat, kajaani.lon, "failed")


def test_register_page_in_swedish_and_english(client, org):
    client.submit("/lang", {"lang": "sv", "next": "/"}, page="/")
    html = client.get("/helpers/register").get_data(as_text=True)
    assert "<h1>Anmäl dig som hjälpare</h1>" in html and ">Kajana<" in html and "Handla" in html
    client.submit("/lang", {"lang": "en", "next": "/"}, page="/")
    html = client.get("/helpers/register").get_data(as_text=True)
    assert "<h1>Sign up as a helper</h1>" in html and "Shopping" in html


def test_logged_in_user_is_sent_home(client, make):
    helper = make.helper()
    client.login(helper.user.email)
    resp = client.get("/helpers/register")
    assert resp.status_code == 302 and resp.headers["Location"] == "/helper"
