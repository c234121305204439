"""The admin page that adds and ends partnerships: both directions at once, audited."""

from __future__ import annotations

import sqlalchemy as sa

from app import policy
from app.models import AuditLog
from app.models.org import organization_partnerships as op


def _pairs(db) -> set[tuple[int, int]]:
    return {(r.organization_id, r.partner_id) for r in db.session.execute(sa.select(op))}


def test_an_admin_adds_and_ends_a_partnership(client, db, make):
    admin = make.admin()
    parish = make.organization(name="Kajaanin seurakunta", kind="parish")
    club = make.organization(name="Kainuun 4H")
    client.login(admin.email)
    page = client.get(f"/admin/organizations/{parish.id}/partners")
    assert page.status_code == 200 and "Kainuun 4H" in page.get_data(as_text=True)

    response = client.submit(f"/admin/organizations/{parish.id}/partners", {"partner": club.id})
    assert response.status_code == 302
    assert _pairs(db) == {(parish.id, club.id), (club.id, parish.id)}
    assert policy.are_partners(parish.id, club.id) and policy.are_partners(club.id, parish.id)
    assert policy.partners_of(club.id) == {parish.id}
    added = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "organization.partnership_added"))
    assert added.actor_user_id == admin.id and added.details["partner_id"] == club.id

    again = client.submit(f"/admin/organizations/{club.id}/partners", {"partner": parish.id})
    assert again.status_code == 400  # already partners (and no longer among the choices)
    assert _pairs(db) == {(parish.id, club.id), (club.id, parish.id)}

    response = client.submit(
        f"/admin/organizations/{club.id}/partners/{parish.id}/remove",
        {},
        page=f"/admin/organizations/{club.id}/partners",
    )
    assert response.status_code == 302 and _pairs(db) == set()
    assert db.session.scalar(
        sa.select(sa.func.count(AuditLog.id)).where(AuditLog.action == "organization.partnership_removed")
    )


def test_an_organization_cannot_be_its_own_partner_and_bad_input_keeps_the_page(client, db, make):
    admin = make.admin()
    org = make.organization()
    client.login(admin.email)
    for value in (org.id, 999999, "", "x"):
        response = client.submit(f"/admin/organizations/{org.id}/partners", {"partner": value})
        assert response.status_code == 400
        assert "<form" in response.get_data(as_text=True)
    assert _pairs(db) == set()


def test_a_coordinator_cannot_manage_partnerships(client, db, make):
    org, other = make.organization(), make.organization()
    coordinator = make.coordinator(org=org)
    client.login(coordinator.email)
    assert client.get(f"/admin/organizations/{org.id}/partners").status_code == 403
    token = client.csrf_token("/coordinator")
    response = client.post(f"/admin/organizations/{org.id}/partners", data={"partner": other.id, "csrf_token": token})
    assert response.status_code == 403 and _pairs(db) == set()
