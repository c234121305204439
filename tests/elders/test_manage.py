"""After intake: editing with the same form, placing on the map by hand, pausing and ending."""

from __future__ import annotations

import sqlalchemy as sa

from app.models import AuditLog, ContactPerson, Elder
from tests.elders.conftest import tag, with_relative


def _take_in(client, intake, db, **changes) -> Elder:
    resp = client.submit("/elders/new", intake(**changes))
    assert resp.status_code == 302, resp.get_data(as_text=True)
    return db.session.scalars(sa.select(Elder).order_by(Elder.id.desc())).first()


def _actions(db) -> list[str]:
    """The changes logged (who was shown the notes is logged too: tests/admin/test_audit_log.py)."""
    return list(
        db.session.scalars(
            sa.select(AuditLog.action).where(AuditLog.action != "elder.notes_viewed").order_by(AuditLog.id)
        )
    )


def test_edit_form_is_prefilled_with_everything(client, coordinator, intake, db):
    elder = _take_in(client, intake, db, **with_relative())
    html = client.get(f"/elders/{elder.id}/edit").get_data(as_text=True)
    assert "<h1>Muokkaa: Aino Heikkinen</h1>" in html
    assert 'value="Aino"' in tag(html, "first_name")
    assert 'value="040 765 4321"' in tag(html, "phone")
    assert 'value="Tiina Heikkinen"' in tag(html, "contacts-0-name")
    assert f'value="{elder.contacts[0].id}"' in tag(html, "contacts-0-id")
    assert "checked" in tag(html, "contacts-0-may_contact")
    assert "checked" in tag(html, "primary_contact-0")
    assert 'name="contacts-1-name"' in html  # a free row for a new contact
    assert "checked" in tag(html, "elder_profile-3")
    assert 'value="4"' in tag(html, "slider_sociable")
    assert "Sydänlääkitys" in html
    assert "Poista tämä yhteyshenkilö" in html


def test_edit_saves_changes_logs_field_names_and_keeps_the_map_point(client, coordinator, intake, db):
    elder = _take_in(client, intake, db, **with_relative())
    elder.lat, elder.lon, elder.geocode_status = 64.2, 28.4, "manual"
    db.session.commit()
    data = intake(
        **with_relative(health_notes="Uusi lääkitys", slider_digital="1", contacts__0__id=str(elder.contacts[0].id))
    )
    resp = client.submit(f"/elders/{elder.id}/edit", data)
    assert resp.status_code == 302
    db.session.refresh(elder)
    assert elder.health_notes == "Uusi lääkitys" and elder.slider_digital == 1
    assert (elder.lat, elder.lon, elder.geocode_status) == (64.2, 28.4, "manual")  # the address did not change
    assert len(elder.contacts) == 1
    entry = db.session.scalars(sa.select(AuditLog).filter_by(action="elder.updated")).one()
    assert set(entry.details["fields"]) == {"health_notes", "slider_digital"}
    assert "Uusi lääkitys" not in str(entry.details)  # names of fields, never their contents
    html = client.get(f"/elders/{elder.id}").get_data(as_text=True)
    assert "terveys ja turvallisuus" in html.lower()


def test_changing_the_address_geocodes_again(client, coordinator, intake, db, make):
    elder = _take_in(client, intake, db)
    kajaani = make.municipality("Kajaani")
    resp = client.submit(
        f"/elders/{elder.id}/edit",
        intake(street_address="Kauppakatu 5", postcode="87100", municipality_id=str(kajaani.id)),
    )
    assert resp.status_code == 302
    db.session.refresh(elder)
    assert (elder.lat, elder.lon, elder.geocode_status) == (64.2245, 27.7334, "approximate")


def test_saving_without_changes_says_so(client, coordinator, intake, db):
    elder = _take_in(client, intake, db)
    resp = client.submit(f"/elders/{elder.id}/edit", intake(), follow_redirects=True)
    assert "Mitään ei muutettu." in resp.get_data(as_text=True)
    assert _actions(db) == ["login", "elder.created"]


def test_edit_removes_and_adds_contacts(client, coordinator, intake, db):
    elder = _take_in(client, intake, db, **with_relative())
    tiina_id = elder.contacts[0].id
    data = intake(
        **with_relative(
            contacts__0__id=str(tiina_id),
            contacts__0__remove="y",
            contacts__1__name="Naapuri Matti",
            contacts__1__phone="044 555 6677",
            contacts__1__relation="neighbour",
            contacts__1__may_contact="y",
        )
    )
    assert client.submit(f"/elders/{elder.id}/edit", data).status_code == 302
    contacts = list(db.session.scalars(sa.select(ContactPerson)))
    assert [(c.name, c.is_primary, c.may_contact) for c in contacts] == [("Naapuri Matti", True, True)]


def test_edit_refuses_a_contact_of_someone_else(client, coordinator, intake, db, make, org):
    other = make.elder(org=org, with_relative=True)
    elder = _take_in(client, intake, db)
    data = intake(**with_relative(contacts__0__id=str(other.contacts[0].id)))
    resp = client.submit(f"/elders/{elder.id}/edit", data)
    assert resp.status_code == 400
    db.session.refresh(other)
    assert other.contacts[0].name == "Tytär Tiina"


def test_withdrawing_and_giving_consent_again(client, coordinator, intake, db):
    elder = _take_in(client, intake, db)
    client.submit(f"/elders/{elder.id}/edit", intake(consent_given=None))
    db.session.refresh(elder)
    assert (elder.consent_given, elder.consent_at, elder.consent_taken_by_id) == (False, None, None)
    client.submit(f"/elders/{elder.id}/edit", intake(consent_method="written"))
    db.session.refresh(elder)
    assert elder.consent_given and elder.consent_method == "written" and elder.consent_at is not None


def test_place_by_hand_with_coordinates(client, coordinator, intake, db, make):
    elder = _take_in(client, intake, db)
    page = f"/elders/{elder.id}"
    resp = client.submit(f"/elders/{elder.id}/place", {"place-lat": "64,1401", "place-lon": "28,3502"}, page=page)
    assert resp.status_code == 302
    db.session.refresh(elder)
    assert (elder.lat, elder.lon, elder.geocode_status) == (64.1401, 28.3502, "manual")
    assert "elder.placed" in _actions(db)
    assert "Sijoitettu käsin" in client.get(page).get_data(as_text=True)


def test_place_by_hand_accepts_a_pasted_pair(client, coordinator, intake, db):
    elder = _take_in(client, intake, db)
    page = f"/elders/{elder.id}"
    client.submit(f"/elders/{elder.id}/place", {"place-lat": "64.14, 28.35", "place-lon": ""}, page=page)
    db.session.refresh(elder)
    assert (elder.lat, elder.lon) == (64.14, 28.35)


def test_place_by_hand_outside_finland_is_refused_and_keeps_input(client, coordinator, intake, db):
    elder = _take_in(client, intake, db)
    page = f"/elders/{elder.id}"
    resp = client.submit(f"/elders/{elder.id}/place", {"place-lat": "28.35", "place-lon": "64.14"}, page=page)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert "Tämä piste ei ole Suomessa." in html
    assert 'value="28.35"' in tag(html, "place-lat")
    resp = client.submit(f"/elders/{elder.id}/place", {"place-lat": "abc", "place-lon": ""}, page=page)
    assert resp.status_code == 400 and "Kirjoita desimaaliluku" in resp.get_data(as_text=True)
    resp = client.submit(f"/elders/{elder.id}/place", {"place-lat": "", "place-lon": ""}, page=page)
    assert resp.status_code == 400 and "Anna sekä leveys- että pituusaste tai valitse kylä." in resp.get_data(
        as_text=True
    )
    db.session.refresh(elder)
    assert elder.geocode_status == "approximate"


def test_place_by_hand_at_a_village(client, coordinator, intake, db, make, fake_nominatim):
    elder = _take_in(client, intake, db)  # nothing known to the fake: not on the map
    assert elder.geocode_status == "failed" and elder.lat is None
    html = client.get(f"/elders/{elder.id}").get_data(as_text=True)
    assert "Osoitetta ei löytynyt kartalta." in html
    tipasoja = make.village("Tipasoja")
    resp = client.submit(
        f"/elders/{elder.id}/place", {"place-village_id": str(tipasoja.id)}, page=f"/elders/{elder.id}"
    )
    assert resp.status_code == 302
    db.session.refresh(elder)
    assert (elder.lat, elder.lon, elder.geocode_status, elder.village_id) == (
        tipasoja.lat,
        tipasoja.lon,
        "manual",
        tipasoja.id,
    )


def test_pause_end_and_reactivate_are_logged(client, coordinator, intake, db):
    elder = _take_in(client, intake, db)
    page = f"/elders/{elder.id}"
    resp = client.submit(
        f"/elders/{elder.id}/status", {"status-status": "paused", "status-reason": "Sairaalassa"}, page=page
    )
    assert resp.status_code == 302
    db.session.refresh(elder)
    assert elder.status == "paused"
    entry = db.session.scalars(sa.select(AuditLog).filter_by(action="elder.status")).one()
    assert entry.details == {"before": "active", "after": "paused", "reason": "Sairaalassa"}
    client.submit(f"/elders/{elder.id}/status", {"status-status": "ended"}, page=page)
    client.submit(f"/elders/{elder.id}/status", {"status-status": "active"}, page=page)
    db.session.refresh(elder)
    assert elder.status == "active"
    html = client.get(page).get_data(as_text=True)
    assert "tila Aktiivinen → Tauolla (Sairaalassa)" in html
    resp = client.submit(f"/elders/{elder.id}/status", {"status-status": "deleted"}, page=page)
    assert resp.status_code == 400
