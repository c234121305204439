"""Who sees which encounters and stage pages; privacy of older people towards helpers."""

from __future__ import annotations

import pytest

from tests.encounters.conftest import english


@pytest.fixture()
def two_orgs(make):
    mine, theirs = make.organization(name="Oma"), make.organization(name="Toinen")
    me = make.coordinator(org=mine)
    h, e = make.helper(org=mine, first_name="Eetu"), make.elder(org=mine, first_name="Hilja", last_name="Kyllönen")
    oh, oe = (
        make.helper(org=theirs, first_name="Siiri"),
        make.elder(org=theirs, first_name="Toivo", last_name="Moilanen"),
    )
    own = make.encounter(h, e, title="Oma kävely")
    other = make.encounter(oh, oe, title="Vieras kävely")
    return {"me": me, "h": h, "e": e, "oh": oh, "oe": oe, "own": own, "other": other}


def test_coordinator_sees_only_their_organizations(client, two_orgs):
    w = two_orgs
    client.login(w["me"].email)
    listing = client.get("/encounters/").get_data(as_text=True)
    assert "Oma kävely" in listing and "Vieras kävely" not in listing
    assert client.get(f"/encounters/{w['own'].id}").status_code == 200
    assert client.get(f"/encounters/{w['other'].id}").status_code == 404
    assert client.get(f"/encounters/helper/{w['oh'].id}/stage").status_code == 404
    assert client.get(f"/encounters/elder/{w['oe'].id}/stage").status_code == 404
    assert client.get(f"/encounters/pair/{w['oh'].id}/{w['oe'].id}").status_code == 404
    assert client.get(f"/encounters/elder/{w['oe'].id}/checkin").status_code == 404
    assert client.get(f"/encounters/helper/{w['h'].id}/stage").status_code == 200


def test_encounter_with_my_organizations_person_is_visible(client, make, two_orgs):
    w = two_orgs
    shared = make.encounter([w["h"], w["oh"]], w["oe"], title="Yhteinen ilta")  # of the other organization
    client.login(w["me"].email)
    assert client.get(f"/encounters/{shared.id}").status_code == 200
    page = client.get(f"/encounters/{shared.id}").get_data(as_text=True)
    assert "Moilanen" not in page  # not my organization's elder: first name and initial only
    assert "Toivo M." in page


def test_helper_sees_own_encounters_and_no_surnames(client, two_orgs):
    w = two_orgs
    client.login(w["h"].user.email)
    english(client)
    listing = client.get("/encounters/").get_data(as_text=True)
    assert "Oma kävely" in listing and "Vieras kävely" not in listing
    assert "Hilja K." in listing and "Kyllönen" not in listing
    page = client.get(f"/encounters/{w['own'].id}").get_data(as_text=True)
    assert "Hilja K." in page and "Kyllönen" not in page and w["e"].street_address not in page
    assert client.get(f"/encounters/{w['other'].id}").status_code == 404
    pair = client.get(f"/encounters/pair/{w['h'].id}/{w['e'].id}")
    assert pair.status_code == 200
    html = pair.get_data(as_text=True)
    assert "Hilja K." in html and "Kyllönen" not in html and w["e"].street_address not in html
    assert "Set the stage by hand" not in html
    assert client.get(f"/encounters/helper/{w['h'].id}/stage").status_code == 200
    assert client.get(f"/encounters/helper/{w['oh'].id}/stage").status_code == 404
    assert client.get(f"/encounters/elder/{w['e'].id}/stage").status_code == 403
    assert client.get(f"/encounters/pair/{w['oh'].id}/{w['oe'].id}").status_code == 404
    assert client.get(f"/encounters/pair/{w['h'].id}/{w['oe'].id}").status_code == 404  # never met
    assert client.get("/encounters/checkins/due").status_code == 403
    assert client.submit(f"/encounters/helper/{w['h'].id}/override", {"stage": "3", "reason": "x"},
                         page="/encounters/").status_code == 403  # fmt: skip


def test_filters_and_pagination(coordinator_client, make, db):
    c = coordinator_client
    org = c.user.organizations[0]
    h, e = make.helper(org=org), make.elder(org=org)
    for day in range(1, 29):
        make.encounter(h, e, days_ago=day, title=f"Kävely {day}")
    make.encounter(h, e, days_ago=2, kind="community_event", place="shared_space", title="Joulujuhla")
    english(c)
    first = c.get("/encounters/").get_data(as_text=True)
    assert "Encounters found: 29" in first and "Page 1 of 2" in first
    second = c.get("/encounters/?page=2").get_data(as_text=True)
    assert "Kävely 28" in second and "Kävely 28" not in first
    events = c.get("/encounters/?kind=community_event").get_data(as_text=True)
    assert "Joulujuhla" in events and "Kävely 3" not in events
    bad = c.get("/encounters/?date_from=not-a-date")
    assert bad.status_code == 200 and "Encounters found: 29" in bad.get_data(as_text=True)
    by_elder = c.get(f"/encounters/?elder={e.id}").get_data(as_text=True)
    assert e.last_name in by_elder


def test_helper_cannot_read_names_through_the_filter(client, two_orgs):
    w = two_orgs
    client.login(w["h"].user.email)
    html = client.get(f"/encounters/?elder={w['oe'].id}").get_data(as_text=True)
    assert "Toivo" not in html
    assert "Hilja K." in client.get(f"/encounters/?elder={w['e'].id}").get_data(as_text=True)


def test_admin_sees_everything(client, make, two_orgs):
    admin = make.admin()
    client.login(admin.email)
    listing = client.get("/encounters/").get_data(as_text=True)
    assert "Oma kävely" in listing and "Vieras kävely" in listing
    assert client.get(f"/encounters/elder/{two_orgs['oe'].id}/stage").status_code == 200
    assert client.get("/encounters/checkins/due").status_code == 200
