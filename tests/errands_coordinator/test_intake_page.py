"""The one-page phone intake through the test client."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from app.i18n import HELSINKI
from app.models import Errand, ErrandEvent, HelpRequest
from tests.factories import local_today


def _form(make, elder, **changes) -> dict:
    day = local_today() + timedelta(days=3)
    data = {
        "elder_id": str(elder.id),
        "requested_by": "elder",
        "task_type": str(make.task_type("shopping").id),
        "timing": "fixed",
        "date_from": day.isoformat(),
        "time_from": "10:00",
        "duration_minutes": "60",
        "helpers_needed": "1",
        "notes_for_helper": "Maitoa, leipää ja kahvia. Kauppa K-Market.",
        "recurrence": "none",
    }
    data.update(changes)
    return data


def test_intake_page_offers_the_coordinators_elders_and_preselects_one(db, coord, make, org, elder):
    other_org_elder = make.elder(first_name="Vieras")
    html = coord.get("/requests/new").get_data(as_text=True)
    assert "<h1>Uusi pyyntö</h1>" in html
    assert f'value="{elder.id}"' in html and f'value="{other_org_elder.id}"' not in html
    assert 'id="request-form"' not in html  # the rest opens after choosing the person

    html = coord.get(f"/requests/new?elder={elder.id}").get_data(as_text=True)
    assert f'<option value="{elder.id}" data-search' in html and " selected>" in html
    assert 'id="request-form"' in html
    assert "Tytär Tiina" in html  # contact persons to choose from
    assert "Kauppa-asiat" in html  # task types in Finnish
    assert "Kuka pyytää?" in html


def test_intake_search_by_name_or_phone(db, coord, make, org):
    make.elder(org=org, first_name="Bertta", last_name="Bäckman", phone="+358401112223")
    make.elder(org=org, first_name="Cecilia", last_name="Candelin", phone="+358409998887")
    make.elder(org=org, first_name="Bertil", last_name="Berg", phone="+358401112224")
    html = coord.get("/requests/new?q=b").get_data(as_text=True)
    assert "Bäckman" in html and "Berg" in html and "Candelin" not in html
    # A single match opens the person's request form directly.
    response = coord.get("/requests/new?q=0409998887")
    assert response.status_code == 302 and "elder=" in response.headers["Location"]
    html = coord.get(response.headers["Location"]).get_data(as_text=True)
    assert '<h2 id="elder-heading">Cecilia Candelin</h2>' in html


def test_intake_search_by_a_relatives_number_and_part_of_the_address(db, coord, make, org):
    found = make.elder(
        org=org, first_name="Dora", last_name="Dahl", street_address="Pappilantie 14", with_relative=True
    )
    make.elder(org=org, first_name="Eeva", last_name="Ek", street_address="Kauppakatu 1")
    relative = "0" + found.contacts[0].phone.removeprefix("+358")
    for query in (relative, "pappilan"):
        response = coord.get(f"/requests/new?q={query}")
        assert response.headers["Location"].endswith(f"elder={found.id}"), query


def test_intake_happy_path_creates_request_errand_and_event(db, coord, coordinator, elder, make):
    resp = coord.submit("/requests/new", _form(make, elder), page=f"/requests/new?elder={elder.id}")
    assert resp.status_code == 302
    req = db.session.scalar(sa.select(HelpRequest))
    errand = db.session.scalar(sa.select(Errand))
    assert resp.headers["Location"] == f"/errands/{errand.id}"
    assert req.elder_id == elder.id and req.taken_by_id == coordinator.id and req.requested_by == "elder"
    assert errand.state == "open" and len(errand.short_code) in (3, 4)
    local = errand.starts_at.astimezone(HELSINKI)
    assert (local.hour, local.minute) == (10, 0)
    event = db.session.scalar(sa.select(ErrandEvent))
    assert (event.from_state, event.to_state, event.actor_user_id) == (None, "open", coordinator.id)
    page = coord.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Pyyntö tallennettu." in page


def test_weekly_request_through_the_page(db, coord, elder, make):
    start = local_today() + timedelta(days=1)
    data = _form(make, elder, date_from=start.isoformat(), recurrence="weekly")
    data["recurrence_until"] = (start + timedelta(days=8 * 7)).isoformat()
    resp = coord.submit("/requests/new", data, page=f"/requests/new?elder={elder.id}")
    assert resp.status_code == 302
    dates = [e.starts_at for e in db.session.scalars(sa.select(Errand).order_by(Errand.starts_at))]
    assert len(dates) == 3  # three weeks ahead: the rest are made by the scheduler
    assert {(b - a).days for a, b in zip(dates, dates[1:], strict=False)} == {7}


def test_relative_calling_is_recorded_through_the_page(db, coord, elder, make):
    contact = elder.contacts[0]
    data = _form(make, elder, requested_by="relative", requested_by_contact=str(contact.id))
    assert coord.submit("/requests/new", data, page=f"/requests/new?elder={elder.id}").status_code == 302
    req = db.session.scalar(sa.select(HelpRequest))
    assert (req.requested_by, req.requested_by_contact_id) == ("relative", contact.id)
    errand = req.errands[0]
    html = coord.get(f"/errands/{errand.id}").get_data(as_text=True)
    assert "Omainen tai yhteyshenkilö: Tytär Tiina" in html


def test_someone_else_calling_needs_a_name(db, coord, elder, make):
    data = _form(make, elder, requested_by="other", requested_by_name="Naapuri Niilo")
    assert coord.submit("/requests/new", data, page=f"/requests/new?elder={elder.id}").status_code == 302
    assert db.session.scalar(sa.select(HelpRequest.requested_by_name)) == "Naapuri Niilo"


def test_flexible_request_through_the_page(db, coord, elder, make):
    start = local_today() + timedelta(days=2)
    data = _form(make, elder, timing="flexible", time_from="", date_to=(start + timedelta(days=3)).isoformat())
    data["date_from"] = start.isoformat()
    assert coord.submit("/requests/new", data, page=f"/requests/new?elder={elder.id}").status_code == 302
    req = db.session.scalar(sa.select(HelpRequest))
    assert req.flexible and req.date_to == start + timedelta(days=3)
    (errand,) = req.errands
    html = coord.get(f"/errands/{errand.id}").get_data(as_text=True)
    assert "Joustavat päivät" in html


def test_validation_keeps_what_was_typed_and_explains_in_finnish(db, coord, elder, make):
    notes = f"Soita ennen tuloa numeroon {elder.phone}, ostokset: kahvia"
    data = _form(make, elder, notes_for_helper=notes, requested_by="relative", duration_minutes="600")
    resp = coord.submit("/requests/new", data, page=f"/requests/new?elder={elder.id}")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert "Poista puhelinnumero lisätiedoista" in html
    assert "Valitse, kuka yhteyshenkilöistä soitti." in html
    assert "Arvioidun keston pitää olla 15 minuutista 8 tuntiin." in html
    assert notes in html  # the notes the coordinator typed are still there
    assert 'value="600"' in html
    assert '<input checked id="requested_by-1" name="requested_by" required type="radio" value="relative">' in html
    assert db.session.scalar(sa.select(sa.func.count(HelpRequest.id))) == 0


def test_identity_code_in_notes_is_refused(db, coord, elder, make):
    data = _form(make, elder, notes_for_helper="Hetu 010145-123N tarvitaan apteekissa")
    html = coord.submit("/requests/new", data, page=f"/requests/new?elder={elder.id}").get_data(as_text=True)
    assert "Poista henkilötunnus lisätiedoista" in html
    assert "Hetu 010145-123N tarvitaan apteekissa" in html


def test_bad_date_input_keeps_the_form(db, coord, elder, make):
    data = _form(make, elder, date_from="31.2.2027")
    resp = coord.submit("/requests/new", data, page=f"/requests/new?elder={elder.id}")
    assert resp.status_code == 200
    assert "Maitoa, leipää ja kahvia." in resp.get_data(as_text=True)


def test_intake_for_an_elder_of_another_organization_is_forbidden(db, coord, make):
    stranger = make.elder(first_name="Muu")
    assert coord.get(f"/requests/new?elder={stranger.id}").status_code == 403
    data = {"elder_id": str(stranger.id), "requested_by": "elder"}
    assert coord.submit("/requests/new", data, page="/requests/new").status_code == 403


def test_helpers_cannot_open_the_intake(db, client, make):
    helper = make.helper()
    client.login(helper.user.email)
    assert client.get("/requests/new").status_code == 403


def test_request_for_a_paused_person_is_refused_with_a_reason(db, coord, elder, make):
    elder.status = "paused"
    db.session.commit()
    resp = coord.submit("/requests/new", _form(make, elder), page=f"/requests/new?elder={elder.id}")
    assert resp.status_code == 200
    assert "Henkilön tiedot ovat tauolla tai päättyneet" in resp.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(HelpRequest.id))) == 0
