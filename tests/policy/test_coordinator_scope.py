"""Coordinators see and change their own organizations' people, pairs and
encounters only (app.policy): the pair pages, the stage overrides and
the encounter filter no longer show or change another organization's people.
Of a partner's helper on their own older resident's pair they see the display
name only."""

from __future__ import annotations

import sqlalchemy as sa

from app.models import Encounter, StageOverride

OVERRIDE = {"stage": 2, "reason": "Tavattu kolme kertaa kerhossa"}


def _met(make, helper, elder, org) -> Encounter:
    return make.encounter(helper, elder, org=org, kind="company_walk", days_ago=1, municipality_id=None)


def _overrides(db) -> int:
    return db.session.scalar(sa.select(sa.func.count(StageOverride.id)))


def test_pairs_with_another_organizations_person_are_neither_shown_nor_changed(client, db, make, world):
    own_helper, stranger = world.helpers["own"], world.helpers["stranger"]
    other_elder = make.elder(org=world.stranger, first_name="Toivo", last_name="Toisenlainen")
    _met(make, own_helper, other_elder, world.stranger)  # our helper met their older resident
    _met(make, stranger, world.elder, world.own)  # their helper met our older resident (no partnership)
    client.login(world.coordinator.email)

    for helper, elder in ((own_helper, other_elder), (stranger, world.elder)):
        assert client.get(f"/encounters/pair/{helper.id}/{elder.id}").status_code == 404
        token = client.csrf_token(f"/encounters/helper/{own_helper.id}/stage")
        url = f"/encounters/pair/{helper.id}/{elder.id}/override"
        assert client.post(url, data={**OVERRIDE, "csrf_token": token}).status_code == 404
        assert client.post(url + "/clear", data={"csrf_token": token}).status_code == 404
    assert _overrides(db) == 0
    # Nor through the people's own pages, nor named on our helper's page.
    assert client.get(f"/encounters/elder/{other_elder.id}/stage").status_code == 404
    token = client.csrf_token(f"/encounters/helper/{own_helper.id}/stage")
    response = client.post(f"/encounters/helper/{stranger.id}/override", data={**OVERRIDE, "csrf_token": token})
    assert response.status_code == 404 and _overrides(db) == 0
    # Their pairs are not listed on our people's pages (the encounter itself, where our
    # helper took part, stays visible with their older resident by first name and initial).
    page = client.get(f"/encounters/helper/{own_helper.id}/stage").get_data(as_text=True)
    assert f"/encounters/pair/{own_helper.id}/{other_elder.id}" not in page and "Toisenlainen" not in page
    page = client.get(f"/encounters/elder/{world.elder.id}/stage").get_data(as_text=True)
    assert f"/encounters/pair/{stranger.id}/{world.elder.id}" not in page


def test_a_partner_helpers_pair_with_our_older_resident_is_ours_by_display_name(client, db, world, make):
    partner = world.helpers["partner"]
    _met(make, partner, world.elder, world.own)
    client.login(world.coordinator.email)
    page = client.get(f"/encounters/pair/{partner.id}/{world.elder.id}").get_data(as_text=True)
    assert partner.display_name in page and f"{partner.first_name} {partner.last_name}" not in page
    token = client.csrf_token(f"/encounters/pair/{partner.id}/{world.elder.id}")
    response = client.post(
        f"/encounters/pair/{partner.id}/{world.elder.id}/override", data={**OVERRIDE, "csrf_token": token}
    )
    assert response.status_code == 302 and _overrides(db) == 1
    # The partner's helper's own page stays the partner's.
    assert client.get(f"/encounters/helper/{partner.id}/stage").status_code == 404


def test_the_encounter_filter_names_only_our_own_people(client, db, make, world):
    stranger = world.helpers["stranger"]
    other_elder = make.elder(org=world.stranger, first_name="Toivo", last_name="Toisenlainen")
    client.login(world.coordinator.email)
    for query in (f"helper={stranger.id}", f"elder={other_elder.id}"):
        html = client.get(f"/encounters/?{query}").get_data(as_text=True)
        assert stranger.first_name not in html and "Toivo" not in html
    own = world.helpers["own"]
    assert own.first_name in client.get(f"/encounters/?helper={own.id}").get_data(as_text=True)


def test_coordinator_pages_of_another_organizations_people_and_errands_are_refused(client, db, make, world):
    other_elder = make.elder(org=world.stranger)
    client.login(world.coordinator.email)
    assert client.get(f"/elders/{other_elder.id}").status_code in (403, 404)
    assert client.get(f"/helpers/{world.helpers['stranger'].id}").status_code in (403, 404)
    assert client.get(f"/helpers/{world.helpers['partner'].id}").status_code in (403, 404)
    assert client.get(f"/errands/{world.errand.id}").status_code == 200
    client.logout()
    client.login(world.stranger_coordinator.email)
    assert client.get(f"/errands/{world.errand.id}").status_code == 403
    assert client.get(f"/requests/{world.errand.request_id}").status_code == 403
