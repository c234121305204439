"""Logging encounters through the pages: validation keeps input, rules on who may be added, feedback."""

from __future__ import annotations

import re

import sqlalchemy as sa

from app.models import AuditLog, Encounter, EncounterParticipant
from tests.encounters.conftest import encounter_form, english


def _count(db) -> int:
    return db.session.scalar(sa.select(sa.func.count(Encounter.id)))


def test_coordinator_logs_a_shared_activity(coordinator_client, make, db):
    c = coordinator_client
    org = c.user.organizations[0]
    h1, h2 = make.helper(org=org, first_name="Venla"), make.helper(org=org)
    e1, e2 = make.elder(org=org, first_name="Martta"), make.elder(org=org)
    page = c.get("/encounters/new").get_data(as_text=True)
    assert "Venla" in page and "Martta" in page
    data = encounter_form(
        helper_ids=[h1.id, h2.id],
        elder_ids=[e1.id, e2.id],
        kind="shared_activity",
        place_kind="shared_space",
        place_name="Kajaanin kirjasto",
        initiated_by="elder",
        led_by="elder",
        organised_by_participant="y",
        title="Neulontailta",
        notes="Martta opetti sukan kantapään.",
    )
    response = c.submit("/encounters/new", data)
    assert response.status_code == 302
    encounter = db.session.scalar(sa.select(Encounter))
    assert (encounter.kind, encounter.place_kind, encounter.place_name) == (
        "shared_activity",
        "shared_space",
        "Kajaanin kirjasto",
    )
    assert (encounter.initiated_by, encounter.led_by, encounter.organised_by_participant) == ("elder", "elder", True)
    assert encounter.organization_id == org.id and encounter.logged_by_id == c.user.id
    assert encounter.municipality_id == e1.municipality_id
    parts = db.session.scalars(sa.select(EncounterParticipant).filter_by(encounter_id=encounter.id)).all()
    assert {p.helper_id for p in parts if p.helper_id} == {h1.id, h2.id}
    assert {p.elder_id for p in parts if p.elder_id} == {e1.id, e2.id}
    assert db.session.scalar(sa.select(AuditLog).filter_by(action="encounter.logged", subject_id=encounter.id))
    page = c.get(response.headers["Location"]).get_data(as_text=True)
    assert "Neulontailta" in page and "Kajaanin kirjasto" in page and "Martta opetti" in page


def test_bad_input_gets_messages_and_keeps_what_was_typed(coordinator_client, make, db):
    c = coordinator_client
    english(c)
    org = c.user.organizations[0]
    h = make.helper(org=org)
    data = encounter_form(
        helper_ids=[h.id],
        place_kind="shared_space",
        place_name="",
        date="2999-01-01",
        duration_minutes="0",
        title="Pelikerho nuorisotilalla",
    )
    response = c.submit("/encounters/new", data)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Choose at least one older resident." in html
    assert "Please name the shared space" in html
    assert "That time is still to come" in html
    assert "Between 5 and 720 minutes" in html
    assert 'value="Pelikerho nuorisotilalla"' in html
    assert re.search(rf'<input checked id="helper_ids-\d+" name="helper_ids" type="checkbox" value="{h.id}">', html)
    assert _count(db) == 0


def test_no_helper_and_unknown_kind(coordinator_client, make, db):
    c = coordinator_client
    english(c)
    e = make.elder(org=c.user.organizations[0])
    html = c.submit("/encounters/new", encounter_form(elder_ids=[e.id], kind="coffee")).get_data(as_text=True)
    assert "Choose at least one young helper." in html
    assert _count(db) == 0


def test_people_of_other_organizations_cannot_be_added(coordinator_client, make, db):
    c = coordinator_client
    org = c.user.organizations[0]
    h = make.helper(org=org)
    foreign = make.elder(org=make.organization())
    response = c.submit("/encounters/new", encounter_form(helper_ids=[h.id], elder_ids=[foreign.id]))
    assert response.status_code == 200
    assert foreign.last_name not in response.get_data(as_text=True)
    assert _count(db) == 0


def test_helper_logs_their_own_with_an_elder_they_have_met(client, make, db):
    org = make.organization()
    helper = make.helper(org=org)
    met, unknown = make.elder(org=org, first_name="Impi"), make.elder(org=org, first_name="Saima")
    make.encounter(helper, met, days_ago=20)
    client.login(helper.user.email)
    page = client.get("/encounters/new").get_data(as_text=True)
    assert "Impi" in page and met.last_name not in page and "Saima" not in page
    assert met.street_address not in page
    refused = client.submit("/encounters/new", encounter_form(elder_ids=[unknown.id]))
    assert refused.status_code == 200 and _count(db) == 1
    response = client.submit(
        "/encounters/new",
        encounter_form(elder_ids=[met.id], initiated_by="participants", own_score="5", own_comment="Mukava kävely"),
    )
    assert response.status_code == 302
    encounter = db.session.scalar(sa.select(Encounter).order_by(Encounter.id.desc()))
    mine = db.session.scalar(sa.select(EncounterParticipant).filter_by(encounter_id=encounter.id, helper_id=helper.id))
    assert (mine.feedback_score, mine.feedback_comment, mine.feedback_via) == (5, "Mukava kävely", "web")
    assert encounter.organization_id == org.id and encounter.initiated_by == "participants"


def test_pending_helper_cannot_log(client, make, db):
    helper = make.helper(status="pending")
    client.login(helper.user.email)
    response = client.get("/encounters/new")
    assert response.status_code == 302


def test_coordinator_enters_elder_feedback_after_a_call(coordinator_client, make, db):
    c = coordinator_client
    english(c)
    org = c.user.organizations[0]
    h, e = make.helper(org=org), make.elder(org=org)
    encounter = make.encounter(h, e)
    elder_part = next(p for p in encounter.participants if p.elder_id)
    url = f"/encounters/{encounter.id}"
    prefix = f"p{elder_part.id}-"
    bad = c.submit(
        f"{url}/feedback",
        {"participant": elder_part.id, prefix + "comment": "Hyvä poika"},
        page=url,
    )
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    assert "Please choose a score from 1 to 5." in html and "Hyvä poika" in html
    ok = c.submit(
        f"{url}/feedback",
        {"participant": elder_part.id, prefix + "score": "4", prefix + "comment": "Mukava nuori"},
        page=url,
    )
    assert ok.status_code == 302
    db.session.refresh(elder_part)
    assert (elder_part.feedback_score, elder_part.feedback_comment, elder_part.feedback_via) == (
        4,
        "Mukava nuori",
        "coordinator",
    )
    page = c.get(url).get_data(as_text=True)
    assert "Feedback: 4 of 5" in page and "by the coordinator after a call" in page


def test_helper_gives_only_their_own_feedback(client, make, db):
    org = make.organization()
    helper, elder = make.helper(org=org), make.elder(org=org)
    encounter = make.encounter(helper, elder)
    own = next(p for p in encounter.participants if p.helper_id)
    elders_part = next(p for p in encounter.participants if p.elder_id)
    client.login(helper.user.email)
    url = f"/encounters/{encounter.id}"
    forbidden = client.submit(
        f"{url}/feedback", {"participant": elders_part.id, f"p{elders_part.id}-score": "1"}, page=url
    )
    assert forbidden.status_code == 403
    ok = client.submit(f"{url}/feedback", {"participant": own.id, f"p{own.id}-score": "5"}, page=url)
    assert ok.status_code == 302
    db.session.refresh(own)
    assert (own.feedback_score, own.feedback_via) == (5, "web")
