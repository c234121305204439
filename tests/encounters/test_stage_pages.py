"""A pair climbs from stage 1 to 3 as encounters are logged through the pages; overrides."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import force_locale

from app.encounters import labels, stages
from app.models import AuditLog, StageOverride
from tests.encounters.conftest import encounter_form, english


def _log(c, h, e, **fields):
    response = c.submit("/encounters/new", encounter_form(helper_ids=[h.id], elder_ids=[e.id], **fields))
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(response.headers["Location"].rsplit("/", 1)[1])


def _stage_text(html: str, number: int, name: str) -> bool:
    return f"Stage {number} of 3: {name}" in html


def test_pair_moves_from_stage_1_to_2_to_3_with_reasons(coordinator_client, make, db):
    c = coordinator_client
    english(c)
    org = c.user.organizations[0]
    h, e = make.helper(org=org), make.elder(org=org)
    url = f"/encounters/pair/{h.id}/{e.id}"
    html = c.get(url).get_data(as_text=True)
    assert _stage_text(html, 0, "No encounters yet")
    assert "Have a first encounter" in html

    walk = _log(c, h, e, title="Ensimmäinen kävely")
    html = c.get(url).get_data(as_text=True)
    assert _stage_text(html, 1, "Easy encounters")
    assert "At least one encounter has taken place." in html
    assert f'href="/encounters/{walk}"' in html
    assert "Meet at least 2 times within 180 days in a shared space" in html

    library = [
        _log(c, h, e, kind="shared_activity", place_kind="shared_space", place_name="Kirjasto", title=f"Kerho {n}")
        for n in (1, 2)
    ]
    html = c.get(url).get_data(as_text=True)
    assert _stage_text(html, 2, "Shared spaces and doing together")
    assert "In the last 180 days there were at least 2 encounters in a shared space" in html
    assert all(f'href="/encounters/{eid}"' in html for eid in library)
    assert "Start at least 3 encounters yourselves within 180 days" in html
    assert "let an older person lead an encounter" in html

    own = [_log(c, h, e, initiated_by=who) for who in ("participants", "elder")]
    own.append(_log(c, h, e, initiated_by="helper", led_by="elder", title="Sienikurssi"))
    html = c.get(url).get_data(as_text=True)
    assert _stage_text(html, 3, "Communal operating models")
    assert "the participants themselves started at least 3 encounters" in html
    assert "an older person led an encounter" in html
    assert all(f'href="/encounters/{eid}"' in html for eid in own)
    assert "This is the highest stage" in html
    # The person pages agree.
    assert _stage_text(c.get(f"/encounters/helper/{h.id}/stage").get_data(as_text=True), 3, "Communal operating models")
    elder_page = c.get(f"/encounters/elder/{e.id}/stage").get_data(as_text=True)
    assert _stage_text(elder_page, 3, "Communal operating models") and "Sienikurssi" in elder_page


def test_finnish_stage_names(coordinator_client, make):
    c = coordinator_client
    org = c.user.organizations[0]
    h, e = make.helper(org=org), make.elder(org=org)
    make.encounter(h, e)
    html = c.get(f"/encounters/pair/{h.id}/{e.id}").get_data(as_text=True)
    assert "Helppoja kohtaamisia" in html


def test_override_recorded_shown_and_cleared(coordinator_client, make, db):
    c = coordinator_client
    english(c)
    org = c.user.organizations[0]
    h, e = make.helper(org=org), make.elder(org=org)
    make.encounter(h, e)
    url = f"/encounters/pair/{h.id}/{e.id}"
    missing = c.submit(f"{url}/override", {"stage": "3", "reason": "  "}, page=url)
    assert missing.status_code == 422
    assert "Please write why you set the stage by hand." in missing.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(StageOverride.id))) == 0

    reason = "They run the Thursday coffee club at the parish hall themselves."
    assert c.submit(f"{url}/override", {"stage": "3", "reason": reason}, page=url).status_code == 302
    row = db.session.scalar(sa.select(StageOverride))
    assert (row.subject_kind, row.helper_id, row.elder_id, row.stage, row.by_id, row.active) == (
        "pair",
        h.id,
        e.id,
        3,
        c.user.id,
        True,
    )
    entry = db.session.scalar(sa.select(AuditLog).filter_by(action="stage_override.set"))
    assert entry.details["reason"] == reason and entry.actor_user_id == c.user.id
    html = c.get(url).get_data(as_text=True)
    assert _stage_text(html, 3, "Communal operating models")
    assert "A coordinator set this stage by hand" in html and "it would be stage 1: Easy encounters" in html
    assert reason in html and c.user.name in html

    assert c.submit(f"{url}/override/clear", {}, page=url).status_code == 302
    html = c.get(url).get_data(as_text=True)
    assert _stage_text(html, 1, "Easy encounters")
    assert "Cleared by" in html and reason in html  # history stays
    assert db.session.scalar(sa.select(AuditLog).filter_by(action="stage_override.cleared"))


def test_person_override(coordinator_client, make, db):
    c = coordinator_client
    english(c)
    e = make.elder(org=c.user.organizations[0])
    url = f"/encounters/elder/{e.id}/stage"
    assert (
        c.submit(f"/encounters/elder/{e.id}/override", {"stage": "2", "reason": "Käy kerhossa"}, page=url).status_code
        == 302
    )
    html = c.get(url).get_data(as_text=True)
    assert _stage_text(html, 2, "Shared spaces and doing together") and "Käy kerhossa" in html


def test_rule_texts_match_the_pure_module(app):
    with app.test_request_context(), force_locale("en"):
        for code, text in stages.RULE_TEXT.items():
            assert labels.rule_text(code) == text
        for stage, name in stages.STAGE_NAMES.items():
            assert labels.stage_label(stage) == name
    with app.test_request_context(), force_locale("fi"):
        for stage, name in stages.STAGE_NAMES_FI.items():
            assert labels.stage_label(stage) == name


def test_helper_home_block(client, make):
    helper = make.helper()
    e = make.elder(org=helper.organization)
    make.encounter(helper, e, title="Postin haku")
    client.login(helper.user.email)
    english(client)
    html = client.get("/helper").get_data(as_text=True)
    assert "Your encounters and stage" in html and "Stage 1 of 3: Easy encounters" in html
    assert "It is time for your short well-being check-in." in html


def test_elder_page_shows_the_block(coordinator_client, make):
    c = coordinator_client
    english(c)
    e = make.elder(org=c.user.organizations[0])
    make.encounter(make.helper(org=e.organization), e, title="Kauppa")
    html = c.get(f"/elders/{e.id}").get_data(as_text=True)
    assert "Encounters and stage" in html and "Stage 1 of 3: Easy encounters" in html
    assert f"/encounters/elder/{e.id}/checkin" in html


def test_elder_block_renders_for_coordinators(app, coordinator_client, make):
    from flask import render_template
    from flask_login import login_user

    from app.encounters.template_helpers import encounters_elder_summary

    e = make.elder(org=coordinator_client.user.organizations[0])
    make.encounter(make.helper(org=e.organization), e, title="Kauppa")
    with app.test_request_context():
        login_user(coordinator_client.user)
        # The page's view works out the block's data (templates run no queries).
        html = render_template("encounters/_elder_block.html", elder=e, data=encounters_elder_summary(e))
    assert f"/encounters/elder/{e.id}/stage" in html and "/encounters/new?elder=" in html
