"""Intake while on the phone: "Is this the same person?" before a second record, the
organization chosen by the municipality (never silently the first), and going straight
on to the person's request."""

from __future__ import annotations

import sqlalchemy as sa

from app.models import Elder


def _count(db) -> int:
    return db.session.scalar(sa.select(sa.func.count(Elder.id)))


def test_the_same_name_asks_before_a_second_record_and_keeps_everything_typed(
    client, coordinator, intake, db, make, org
):
    existing = make.elder(org=org, first_name="Aino", last_name="Heikkinen", phone="+358401110000")
    response = client.submit("/elders/new", intake())
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Onko tämä sama henkilö?" in html
    assert f'href="/elders/{existing.id}"' in html and f"/requests/new?elder={existing.id}" in html
    assert _count(db) == 1
    # Nothing typed is lost: the form is there again, filled, with the answer "a new person" kept.
    assert 'value="Koulutie 3"' in html and "Juttelee mielellään kalastuksesta" in html
    assert 'name="confirm_new" type="hidden" value="1"' in html
    again = client.submit("/elders/new", intake(confirm_new="1"), page="/elders/new")
    assert again.status_code == 302 and _count(db) == 2


def test_the_same_phone_or_address_in_another_visible_organization_asks_too(client, coordinator, intake, db, make):
    other = make.organization("Sotkamon seurakunta", municipalities=("Sotkamo",), kind="parish")
    coordinator.organizations.append(other)
    db.session.commit()
    sotkamo = make.municipality("Sotkamo")
    by_phone = make.elder(org=other, first_name="Toinen", last_name="Ihminen", phone="+358407654321")
    html = client.submit("/elders/new", intake()).get_data(as_text=True)
    assert "Onko tämä sama henkilö?" in html and "Toinen Ihminen" in html and "Sotkamon seurakunta" in html
    by_phone.phone = "+358409999999"
    by_phone.street_address, by_phone.municipality_id = "KOULUTIE 3", sotkamo.id
    db.session.commit()
    html = client.submit("/elders/new", intake(organization_id=str(other.id))).get_data(as_text=True)
    assert "Onko tämä sama henkilö?" in html and "Toinen Ihminen" in html


def test_a_relatives_number_matches_too(client, coordinator, intake, db, make, org):
    make.elder(org=org, first_name="Eino", last_name="Muu", with_relative=True)
    relative = db.session.scalar(sa.select(Elder).where(Elder.first_name == "Eino")).contacts[0].phone
    html = client.submit("/elders/new", intake(phone="0" + relative.removeprefix("+358"))).get_data(as_text=True)
    assert "Onko tämä sama henkilö?" in html and "Eino Muu" in html


def test_someone_else_is_saved_without_the_question(client, coordinator, intake, db, make):
    make.elder(first_name="Aino", last_name="Korhonen")  # another organization: not visible, not asked about
    response = client.submit("/elders/new", intake())
    assert response.status_code == 302 and _count(db) == 2


def test_save_and_take_a_request_goes_straight_to_the_request(client, coordinator, intake, db):
    response = client.submit("/elders/new", intake(submit=None, submit_request="1"))
    elder = db.session.scalar(sa.select(Elder))
    assert response.status_code == 302 and response.headers["Location"] == f"/requests/new?elder={elder.id}"
    page = client.get(f"/elders/{elder.id}").get_data(as_text=True)
    assert "Uusi pyyntö tälle henkilölle" in page


def test_with_several_organizations_the_municipality_decides_never_the_first(client, coordinator, intake, db, make):
    kuhmo = make.organization("Kuhmon kotipalvelu", municipalities=("Kuhmo",), kind="home_care")
    coordinator.organizations.append(kuhmo)
    db.session.commit()
    html = client.get("/elders/new").get_data(as_text=True)
    select = html.split('name="organization_id"')[1].split("</select>")[0]
    assert '<option value="">Valitse…</option>' in select and "selected" not in select
    response = client.submit("/elders/new", intake(organization_id=""))
    elder = db.session.scalar(sa.select(Elder))
    assert response.status_code == 302 and elder.organization.name == "Sotkamon ystäväpalvelu"


def test_the_intake_form_is_short_with_the_profile_folded_away(client, coordinator):
    html = client.get("/elders/new").get_data(as_text=True)
    folded = html.split('<details class="optional-section">')[1].split("</details>")[0]
    assert 'type="range"' in folded and 'name="elder_profile"' in folded and 'name="preferences"' in folded
    before = html.split('<details class="optional-section">')[0]
    for name in ("first_name", "last_name", "phone", "contact_channel", "street_address", "contacts-0-name"):
        assert f'name="{name}"' in before
    assert 'name="consent_given"' in html.split("</details>")[-1]


def test_untouched_sliders_are_stored_as_not_assessed(client, coordinator, intake, db):
    untouched = {f"slider_{n}": "3" for n in ("sociable", "producer", "others", "digital")}
    assert client.submit("/elders/new", intake(**untouched, elder_profile="")).status_code == 302
    elder = db.session.scalar(sa.select(Elder))
    assert (elder.slider_sociable, elder.slider_producer, elder.slider_others, elder.slider_digital) == (None,) * 4
    html = client.get(f"/elders/{elder.id}/edit").get_data(as_text=True)
    assert '<details class="optional-section" open>' in html  # the wishes were written
    assert 'name="sliders_assessed" type="checkbox" value="y">' in html  # not ticked


def test_all_middle_sliders_are_stored_when_ticked(client, coordinator, intake, db):
    middle = {f"slider_{n}": "3" for n in ("sociable", "producer", "others", "digital")}
    client.submit("/elders/new", intake(**middle, sliders_assessed="y"))
    elder = db.session.scalar(sa.select(Elder))
    assert (elder.slider_sociable, elder.slider_digital) == (3, 3)
