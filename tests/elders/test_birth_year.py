"""The optional birth year: asked after the name at intake, it keeps two people of the
same name apart in "Is this the same person?" (a phone or an address still matches),
is shown to coordinators on the person's page and never to helpers."""

from __future__ import annotations

import sqlalchemy as sa

from app.errands.lifecycle import accept_errand
from app.i18n import today_local
from app.models import Elder

SAME = "Onko tämä sama henkilö?"


def _count(db) -> int:
    return db.session.scalar(sa.select(sa.func.count(Elder.id)))


def test_the_birth_year_is_saved_and_shown_on_the_person_page(client, coordinator, intake, db):
    html = client.get("/elders/new").get_data(as_text=True)
    before = html.split('<details class="optional-section">')[0]
    assert 'name="birth_year"' in before and "Syntymävuosi" in before
    response = client.submit("/elders/new", intake(birth_year=" 1938 "))
    assert response.status_code == 302
    elder = db.session.scalar(sa.select(Elder))
    assert elder.birth_year == 1938
    page = client.get(f"/elders/{elder.id}").get_data(as_text=True)
    assert "<dt>Syntymävuosi</dt>" in page and "<dd>1938</dd>" in page


def test_the_birth_year_may_be_left_empty(client, coordinator, intake, db):
    assert client.submit("/elders/new", intake(birth_year="")).status_code == 302
    assert db.session.scalar(sa.select(Elder.birth_year)) is None


def test_a_wrong_birth_year_gets_a_clear_message_and_keeps_everything_typed(client, coordinator, intake, db):
    this_year = today_local().year
    for typed in ("1899", str(this_year + 1), "38", "19x8"):
        response = client.submit("/elders/new", intake(birth_year=typed))
        html = response.get_data(as_text=True)
        assert response.status_code == 400, typed
        assert f"Kirjoita syntymävuosi neljällä numerolla, väliltä 1900–{this_year}." in html
        assert f'value="{typed}"' in html and 'value="Koulutie 3"' in html
    assert _count(db) == 0
    client.submit("/lang", {"lang": "sv", "next": "/"}, page="/")
    html = client.submit("/elders/new", intake(birth_year="1850")).get_data(as_text=True)
    assert f"Skriv födelseåret med fyra siffror, mellan 1900 och {this_year}." in html


def test_the_edit_form_shows_and_changes_the_birth_year(client, coordinator, intake, db, make, org):
    elder = make.elder(org=org, first_name="Aino", last_name="Heikkinen", birth_year=1941)
    html = client.get(f"/elders/{elder.id}/edit").get_data(as_text=True)
    assert 'value="1941"' in html
    changes = {
        "organization_id": str(org.id),
        "first_name": "Aino",
        "last_name": "Heikkinen",
        "birth_year": "",
        "phone": "040 765 4321",
        "contact_channel": "coordinator_call",
        "language": "fi",
        "street_address": "Kauppakatu 1",
        "municipality_id": str(elder.municipality_id),
        "village_id": "",
        "consent_given": "y",
        "consent_method": "verbal",
        "submit": "1",
    }
    assert client.submit(f"/elders/{elder.id}/edit", changes).status_code == 302
    db.session.expire_all()
    assert db.session.get(Elder, elder.id).birth_year is None
    assert client.submit(f"/elders/{elder.id}/edit", {**changes, "birth_year": "1940"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Elder, elder.id).birth_year == 1940


def test_the_same_name_with_another_birth_year_is_not_asked_about(client, coordinator, intake, db, make, org):
    make.elder(org=org, first_name="Aino", last_name="Heikkinen", birth_year=1941)
    response = client.submit("/elders/new", intake(birth_year="1938"))
    assert response.status_code == 302 and _count(db) == 2


def test_the_same_name_and_birth_year_asks_and_the_list_shows_the_year(client, coordinator, intake, db, make, org):
    existing = make.elder(org=org, first_name="Aino", last_name="Heikkinen", birth_year=1938)
    html = client.submit("/elders/new", intake(birth_year="1938")).get_data(as_text=True)
    assert SAME in html and f'href="/elders/{existing.id}"' in html
    assert "Aino Heikkinen</a> (syntynyt 1938):" in html
    assert _count(db) == 1


def test_an_unknown_birth_year_on_either_side_still_asks(client, coordinator, intake, db, make, org):
    unknown = make.elder(org=org, first_name="Aino", last_name="Heikkinen")
    html = client.submit("/elders/new", intake(birth_year="1938")).get_data(as_text=True)
    assert SAME in html and f'href="/elders/{unknown.id}"' in html
    unknown.birth_year = 1941
    db.session.commit()
    html = client.submit("/elders/new", intake(birth_year="")).get_data(as_text=True)
    assert SAME in html and "Aino Heikkinen</a> (syntynyt 1941):" in html
    assert _count(db) == 1


def test_another_birth_year_still_matches_by_phone_or_address(client, coordinator, intake, db, make, org):
    same_phone = make.elder(org=org, first_name="Aino", last_name="Heikkinen", birth_year=1941, phone="+358407654321")
    html = client.submit("/elders/new", intake(birth_year="1938")).get_data(as_text=True)
    assert SAME in html and f'href="/elders/{same_phone.id}"' in html
    same_phone.phone = "+358409999999"
    same_phone.street_address, same_phone.municipality = "Koulutie 3", make.municipality("Sotkamo")
    db.session.commit()
    html = client.submit("/elders/new", intake(birth_year="1938")).get_data(as_text=True)
    assert SAME in html and f'href="/elders/{same_phone.id}"' in html
    assert _count(db) == 1


def test_helpers_never_see_the_birth_year(client, db, make, org):
    elder = make.elder(org=org, first_name="Aino", last_name="Heikkinen", birth_year=1931)
    helper = make.helper(org=org, age=19)
    errand = make.errand(elder=elder)
    accept_errand(errand.id, helper.id, via="web")
    db.session.commit()
    client.login(helper.user.email)
    html = client.get("/my-errands").get_data(as_text=True)
    assert "Aino" in html and "1931" not in html
    assert client.get(f"/elders/{elder.id}").status_code == 403
