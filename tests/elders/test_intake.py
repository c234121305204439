"""Taking in an older resident on the phone: one page, nothing typed is ever lost."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from app.models import AuditLog, ContactPerson, Elder, utcnow
from tests.elders.conftest import tag, with_relative


def _elders(db) -> list[Elder]:
    return list(db.session.scalars(sa.select(Elder)))


def test_intake_page_is_one_fast_form(client, coordinator):
    html = client.get("/elders/new").get_data(as_text=True)
    assert "<h1>Uusi ikäihminen</h1>" in html
    assert "autofocus" in tag(html, "first_name")
    # At least two contact rows, a primary choice, and the consent record.
    assert 'name="contacts-0-name"' in html and 'name="contacts-1-name"' in html
    assert 'name="primary_contact"' in html
    # Villages grouped by municipality, so the list works without JavaScript.
    assert '<optgroup label="Sotkamo">' in html and ">Vuokatti</option>" in html
    # Every profile with its plain description, and the four sliders.
    for name in ("Yhteisöaktiivi", "Arjen aktivisti", "Koti kunniaan", "Kotoilija", "Rutinoitunut"):
        assert name in html
    assert "toimii yhdistyksissä" in html
    assert html.count('type="range"') == 4
    assert "Vain koordinaattoreille" in html  # health notes are labelled
    # The organization defaults to the coordinator's own, the municipality to its only one.
    assert "Organisaatio: Sotkamon ystäväpalvelu" in html


def test_intake_with_a_relative_saves_everything(client, coordinator, intake, db, org, make):
    before = utcnow()
    resp = client.submit("/elders/new", intake(**with_relative()))
    assert resp.status_code == 302
    [elder] = _elders(db)
    assert resp.headers["Location"] == f"/elders/{elder.id}"
    assert (elder.first_name, elder.last_name) == ("Aino", "Heikkinen")
    assert elder.organization_id == org.id
    assert elder.phone == "+358407654321" and elder.phone_kind == "mobile"
    assert elder.street_address == "Koulutie 3" and elder.postcode == "88600"
    assert elder.municipality.name == "Sotkamo"
    assert elder.elder_profile == "koti_kunniaan"
    assert (elder.slider_sociable, elder.slider_producer, elder.slider_others, elder.slider_digital) == (4, 2, 3, 5)
    assert elder.prefers_continuity is True
    assert elder.health_notes == "Sydänlääkitys, ei raskaita nostoja"
    assert elder.access_notes == "Takaovi, koira on kiltti"
    assert elder.created_by_id == coordinator.id
    # The consent record: how, by whom, when.
    assert elder.consent_given is True and elder.consent_method == "verbal"
    assert elder.consent_taken_by_id == coordinator.id
    assert before - timedelta(seconds=1) <= elder.consent_at <= utcnow()
    # The relative, with their consent to be contacted; the only one becomes primary.
    [relative] = elder.contacts
    assert (relative.name, relative.relation, relative.phone) == ("Tiina Heikkinen", "daughter", "+358501112233")
    assert relative.may_contact is True and relative.consent_at is not None
    assert relative.is_primary is True
    entry = db.session.scalar(sa.select(AuditLog).filter_by(action="elder.created"))
    assert entry.subject_id == elder.id and entry.actor_user_id == coordinator.id
    assert "health" not in str(entry.details)

    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Aino Heikkinen tallennettiin." in page
    assert "Tiina Heikkinen" in page and "050 111 2233" in page and "Ensisijainen" in page


def test_offline_gazetteer_places_the_address_approximately(client, coordinator, intake, db):
    client.submit("/elders/new", intake())
    [elder] = _elders(db)
    # The gazetteer has no streets: "Koulutie 3, 88600 Sotkamo" resolves to the Sotkamo postal code area.
    assert elder.geocode_status == "approximate"
    assert (elder.lat, elder.lon) == (64.1315, 28.386)


def test_a_chosen_village_places_them_at_its_centre(client, coordinator, intake, db, make):
    vuokatti = make.village("Vuokatti")
    client.submit("/elders/new", intake(street_address="Kuusitie 8", postcode="", village_id=str(vuokatti.id)))
    [elder] = _elders(db)
    assert elder.village_id == vuokatti.id
    assert (elder.lat, elder.lon, elder.geocode_status) == (vuokatti.lat, vuokatti.lon, "approximate")


def test_landline_is_accepted_for_a_call(client, coordinator, intake, db):
    assert client.submit("/elders/new", intake(phone="08 6155 4321")).status_code == 302
    [elder] = _elders(db)
    assert elder.phone == "+358861554321"
    assert elder.phone_kind == "landline"


def test_wrong_phone_keeps_everything_typed(client, coordinator, intake, db):
    resp = client.submit("/elders/new", intake(phone="12345", **with_relative()))
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert _elders(db) == []
    assert "Tarkista numero" in html
    assert 'value="12345"' in html
    for kept in (
        'value="Aino"',
        'value="Heikkinen"',
        'value="Koulutie 3"',
        'value="Tiina Heikkinen"',
        'value="050 111 2233"',
    ):
        assert kept in html
    assert "Sydänlääkitys, ei raskaita nostoja" in html and "Juttelee mielellään kalastuksesta" in html
    assert "checked" in tag(html, "elder_profile-3") and 'value="koti_kunniaan"' in tag(html, "elder_profile-3")
    assert 'value="4"' in tag(html, "slider_sociable")
    assert "checked" in tag(html, "contacts-0-may_contact")
    assert "autofocus" not in tag(html, "first_name")  # the cursor goes to the list of errors instead
    assert 'href="#phone"' in html  # the summary links to the field


def test_half_filled_contact_row_is_a_clear_error_and_empty_rows_are_ignored(client, coordinator, intake, db):
    resp = client.submit("/elders/new", intake(contacts__1__name="Naapurin Matti"))
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert "Kirjoita yhteyshenkilön puhelinnumero tai tyhjennä koko rivi." in html
    assert 'href="#contacts-1-phone"' in html
    assert 'value="Naapurin Matti"' in html
    assert _elders(db) == []

    # Row 1 empty, row 2 filled: saved with one contact.
    resp = client.submit("/elders/new", intake(contacts__1__name="Naapurin Matti", contacts__1__phone="044 222 3344"))
    assert resp.status_code == 302
    [elder] = _elders(db)
    assert [c.name for c in elder.contacts] == ["Naapurin Matti"]
    assert elder.contacts[0].may_contact is False and elder.contacts[0].consent_at is None


def test_sms_to_them_needs_a_mobile_number(client, coordinator, intake, db):
    resp = client.submit("/elders/new", intake(phone="08 6155 4321", contact_channel="sms_self"))
    assert resp.status_code == 400
    assert "lankapuhelinnumero" in resp.get_data(as_text=True)
    assert _elders(db) == []


def test_sms_to_a_relative_needs_a_contact_who_agrees(client, coordinator, intake, db):
    resp = client.submit("/elders/new", intake(contact_channel="sms_relative"))
    assert resp.status_code == 400
    assert "Tekstiviesti omaiselle vaatii yhteyshenkilön" in resp.get_data(as_text=True)

    resp = client.submit(
        "/elders/new", intake(contact_channel="sms_relative", **with_relative(contacts__0__may_contact=None))
    )
    assert resp.status_code == 400
    assert "on suostuttava yhteydenottoihin" in resp.get_data(as_text=True)

    resp = client.submit("/elders/new", intake(contact_channel="sms_relative", **with_relative()))
    assert resp.status_code == 302
    assert _elders(db)[0].contact_channel == "sms_relative"


def test_someone_must_be_reachable_by_phone(client, coordinator, intake, db):
    resp = client.submit("/elders/new", intake(phone=""))
    assert resp.status_code == 400
    assert "Anna hänen puhelinnumeronsa" in resp.get_data(as_text=True)
    # Without their own phone, a relative who may be called is enough.
    assert client.submit("/elders/new", intake(phone="", **with_relative())).status_code == 302
    assert _elders(db)[0].phone is None


def test_primary_contact_is_the_one_chosen(client, coordinator, intake, db):
    data = intake(
        **with_relative(
            contacts__1__name="Pekka Heikkinen",
            contacts__1__relation="son",
            contacts__1__phone="040 999 8877",
            contacts__1__language="sv",
            contacts__1__may_contact="y",
            primary_contact="1",
        )
    )
    assert client.submit("/elders/new", data).status_code == 302
    contacts = {c.name: c for c in db.session.scalars(sa.select(ContactPerson))}
    assert contacts["Pekka Heikkinen"].is_primary and not contacts["Tiina Heikkinen"].is_primary
    assert contacts["Pekka Heikkinen"].language == "sv"


def test_village_must_be_in_the_chosen_municipality(client, coordinator, intake, db, make):
    resp = client.submit("/elders/new", intake(village_id=str(make.village("Lentiira").id)))
    assert resp.status_code == 400
    assert "ei ole valitussa kunnassa." in resp.get_data(as_text=True)


def test_add_contact_row_button_saves_nothing_and_keeps_input(client, coordinator, intake, db):
    data = intake(**with_relative(add_contact="1", submit=None))
    resp = client.submit("/elders/new", data)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert _elders(db) == []
    assert 'name="contacts-2-name"' in html
    assert 'value="Tiina Heikkinen"' in html
    assert "autofocus" in tag(html, "contacts-2-name")
    assert "autofocus" not in tag(html, "first_name")


def test_consent_can_be_left_for_later_and_is_flagged(client, coordinator, intake, db):
    client.submit("/elders/new", intake(consent_given=None))
    [elder] = _elders(db)
    assert elder.consent_given is False and elder.consent_at is None and elder.consent_taken_by_id is None
    html = client.get(f"/elders/{elder.id}").get_data(as_text=True)
    assert "Suostumusta ei kirjattu" in html


def test_coordinator_of_several_organizations_chooses_one(client, make, intake, org, db):
    other = make.organization("Kajaanin seurakunta", municipalities=("Kajaani",), kind="parish")
    user = make.user("coordinator", orgs=[org, other])
    client.login(user.email)
    html = client.get("/elders/new").get_data(as_text=True)
    assert '<select id="organization_id"' in html and "Kajaanin seurakunta" in html
    assert client.submit("/elders/new", intake(organization_id=str(other.id))).status_code == 302
    assert _elders(db)[0].organization_id == other.id


def test_coordinator_without_organization_is_told_what_to_do(client, make):
    user = make.user("coordinator")
    client.login(user.email)
    html = client.get("/elders/new").get_data(as_text=True)
    assert "Pyydä ylläpitäjää lisäämään sinut organisaatioosi." in html
    assert '<form method="post" novalidate class="elder-form"' not in html


# -- the automated call channel (issue 16) -----------------------------------


def test_a_landline_defaults_to_automated_calls_when_no_way_is_chosen(client, coordinator, intake, db):
    assert client.submit("/elders/new", intake(phone="08 6155 4321", contact_channel=None)).status_code == 302
    [elder] = _elders(db)
    assert (elder.phone_kind, elder.contact_channel) == ("landline", "voice")


def test_a_mobile_without_a_chosen_way_is_called_by_the_coordinator(client, coordinator, intake, db):
    assert client.submit("/elders/new", intake(contact_channel=None)).status_code == 302
    assert _elders(db)[0].contact_channel == "coordinator_call"


def test_a_chosen_way_is_kept_for_a_landline(client, coordinator, intake, db):
    client.submit("/elders/new", intake(phone="08 6155 4321", contact_channel="coordinator_call"))
    assert _elders(db)[0].contact_channel == "coordinator_call"


def test_automated_calls_need_their_own_number_and_nothing_typed_is_lost(client, coordinator, intake, db):
    resp = client.submit("/elders/new", intake(phone="", contact_channel="voice"))
    assert resp.status_code == 400
    html = resp.get_data(as_text=True)
    assert "Automaattinen puhelu tarvitsee" in html
    assert 'value="Heikkinen"' in html
    assert _elders(db) == []


def test_the_intake_form_offers_the_automated_call(client, coordinator):
    html = client.get("/elders/new").get_data(as_text=True)
    assert 'value="voice"' in html
