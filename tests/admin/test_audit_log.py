"""Reading an older resident's notes is logged, and admins read the audit log with filters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from app import audit
from app.errands.lifecycle import accept_errand
from app.models import AuditLog


def _views(db, elder) -> list[AuditLog]:
    return list(
        db.session.scalars(
            sa.select(AuditLog)
            .where(AuditLog.action == audit.NOTES_VIEWED, AuditLog.subject_id == elder.id)
            .order_by(AuditLog.id)
        )
    )


def test_coordinator_viewing_the_page_and_the_edit_form_is_logged(db, client, make):
    org = make.organization()
    coordinator = make.coordinator(org=org, name="Kaisa K")
    elder = make.elder(org=org, health_notes="Sydänlääkitys", access_notes="Ovikoodi 1357")
    client.login(coordinator.email)
    before = datetime.now(UTC) - timedelta(seconds=1)
    assert client.get(f"/elders/{elder.id}").status_code == 200
    assert client.get(f"/elders/{elder.id}/edit").status_code == 200
    db.session.expire_all()
    views = _views(db, elder)
    assert [v.details["page"] for v in views] == ["show", "edit"]
    for v in views:
        assert v.actor_user_id == coordinator.id and v.subject_type == "Elder" and v.at >= before
        assert v.details["fields"] == ["health_notes", "access_notes"]
        assert "Sydänlääkitys" not in str(v.details) and "1357" not in str(v.details)  # what, never the content
    # The person's own history shows changes, not every reading.
    html = client.get(f"/elders/{elder.id}").get_data(as_text=True)
    assert audit.NOTES_VIEWED not in html


def test_only_the_notes_that_hold_something_and_nothing_without_notes(db, client, make):
    org = make.organization()
    coordinator = make.coordinator(org=org)
    with_access = make.elder(org=org, health_notes=None, access_notes="Avain postilaatikossa")
    without = make.elder(org=org, health_notes=None, access_notes=None)
    client.login(coordinator.email)
    client.get(f"/elders/{with_access.id}")
    client.get(f"/elders/{without.id}")
    db.session.expire_all()
    assert [v.details["fields"] for v in _views(db, with_access)] == [["access_notes"]]
    assert _views(db, without) == []


def test_refused_viewer_is_not_logged_as_a_reader(db, client, make):
    elder = make.elder()
    stranger = make.coordinator()  # another organization
    client.login(stranger.email)
    assert client.get(f"/elders/{elder.id}").status_code == 403
    assert _views(db, elder) == []


def test_helper_shown_the_door_code_is_logged(db, client, make):
    org = make.organization()
    elder = make.elder(org=org, access_notes="Ovikoodi 8642", health_notes="Ei näy auttajalle")
    helper = make.helper(org=org, age=19)
    errand = make.errand(elder)
    accept_errand(errand.id, helper.id, via="web")
    db.session.commit()
    client.login(helper.user.email)
    assert "Ovikoodi 8642" in client.get("/my-errands").get_data(as_text=True)
    db.session.expire_all()
    (view,) = _views(db, elder)
    assert view.actor_user_id == helper.user.id
    assert view.details == {"fields": ["access_notes"], "page": "my_errands"}  # never the health notes


def test_audit_log_is_for_admins_only(db, client, make):
    coordinator = make.coordinator()
    client.login(coordinator.email)
    assert client.get("/admin/audit").status_code == 403
    client.logout()
    helper = make.helper()
    client.login(helper.user.email)
    assert client.get("/admin/audit").status_code == 403


def test_admin_reads_and_filters_the_log(db, admin_client, make):
    org = make.organization()
    kaisa = make.coordinator(org=org, name="Kaisa Koordinaattori")
    pekka = make.coordinator(org=org, name="Pekka Koordinaattori")
    aili, bertta = make.elder(org=org), make.elder(org=org)
    audit.record_notes_viewed(aili, page="show", actor=kaisa)
    audit.record_notes_viewed(bertta, page="show", actor=pekka)
    old = audit.record("elder.status", aili, actor=pekka, before="active", after="paused")
    old.at = datetime(2026, 1, 15, 10, tzinfo=UTC)
    db.session.commit()

    html = admin_client.get("/admin/").get_data(as_text=True)
    assert 'href="/admin/audit"' in html  # reachable from the administration page

    html = admin_client.get("/admin/audit").get_data(as_text=True)
    assert "<h1>Tapahtumaloki</h1>" in html
    assert "Terveys- tai sisäänpääsytiedot näytetty" in html and "Kaisa Koordinaattori" in html
    assert f'href="/elders/{aili.id}"' in html

    html = admin_client.get("/admin/audit?actor=kaisa").get_data(as_text=True)
    assert f'href="/elders/{aili.id}"' in html and f'href="/elders/{bertta.id}"' not in html

    html = admin_client.get(f"/admin/audit?subject_type=Elder&subject_id={bertta.id}").get_data(as_text=True)
    assert f'href="/elders/{bertta.id}"' in html and f'href="/elders/{aili.id}"' not in html

    html = admin_client.get("/admin/audit?action=elder.status").get_data(as_text=True)
    assert f"entry-{old.id}" in html and "elder.notes_viewed</code>" not in html

    html = admin_client.get("/admin/audit?date_from=2026-01-15&date_to=2026-01-15").get_data(as_text=True)
    assert f"entry-{old.id}" in html and "Merkintöjä löytyi: 1" in html
    html = admin_client.get("/admin/audit?date_from=2026-01-16").get_data(as_text=True)
    assert f"entry-{old.id}" not in html


def test_log_is_paginated(db, admin_client, make, app, monkeypatch):
    monkeypatch.setitem(app.config, "AUDIT_PAGE_SIZE", 3)
    elder = make.elder()
    for _ in range(7):
        audit.record("elder.placed", elder, actor=admin_client.user)
    db.session.commit()
    first = admin_client.get("/admin/audit?action=elder.placed").get_data(as_text=True)
    assert first.count('<tr id="entry-') == 3 and 'rel="next"' in first
    last = admin_client.get("/admin/audit?action=elder.placed&page=3").get_data(as_text=True)
    assert last.count('<tr id="entry-') == 1 and 'rel="prev"' in last and "action=elder.placed" in last


@pytest.mark.parametrize(
    "query",
    [
        "subject_id=abc",
        "subject_id=99999999999999999999",
        "date_from=15.13.2026",
        "date_from=2026-02-01&date_to=2026-01-01",
        "page=99999999999999999999",
        "actor=%00x",
        "action=%00",
    ],
)
def test_bad_filters_get_a_message_not_an_error(db, admin_client, query):
    resp = admin_client.get(f"/admin/audit?{query}")
    assert resp.status_code in (200, 400)
    html = resp.get_data(as_text=True)
    assert "<h1>Tapahtumaloki</h1>" in html
    if resp.status_code == 400:
        assert 'role="alert"' in html  # the error summary, in Finnish


def test_audit_log_in_swedish(db, admin_client):
    admin_client.submit("/lang", {"lang": "sv"}, page="/")
    html = admin_client.get("/admin/audit?subject_id=x").get_data(as_text=True)
    assert "<h1>Händelselogg</h1>" in html
    assert "Skriv postens nummer med siffror" in html
