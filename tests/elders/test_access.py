"""Who sees whom: coordinators their own organizations' residents, admins everyone,
helpers none of these pages. Health notes appear on coordinator pages only."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.models import Elder
from tests.elders.conftest import with_relative

HEALTH = "Diabetes, muista välipala"  # the factory's health note


def _pages(elder_id: int) -> list[tuple[str, str]]:
    return [
        ("get", "/elders/"),
        ("get", "/elders/new"),
        ("post", "/elders/new"),
        ("get", f"/elders/{elder_id}"),
        ("get", f"/elders/{elder_id}/edit"),
        ("post", f"/elders/{elder_id}/edit"),
        ("post", f"/elders/{elder_id}/place"),
        ("post", f"/elders/{elder_id}/status"),
    ]


def test_every_elders_endpoint_is_covered(app):
    endpoints = {rule.rule for rule in app.url_map.iter_rules() if rule.endpoint.startswith("elders.")}
    assert endpoints == {
        "/elders/",
        "/elders/new",
        "/elders/<int:elder_id>",
        "/elders/<int:elder_id>/edit",
        "/elders/<int:elder_id>/place",
        "/elders/<int:elder_id>/status",
    }


def test_helper_gets_no_elders_page(client, make):
    elder = make.elder(with_relative=True)
    helper = make.helper(org=elder.organization)
    client.login(helper.user.email)
    for method, url in _pages(elder.id):
        resp = client.get(url) if method == "get" else client.submit(url, {"first_name": "X"}, page="/")
        html = resp.get_data(as_text=True)
        assert resp.status_code == 403, url
        for secret in (HEALTH, elder.last_name, elder.street_address, "Ovikoodi 1234", elder.contacts[0].name):
            assert secret not in html, (url, secret)


def test_anonymous_is_sent_to_log_in(client, make):
    elder = make.elder()
    for method, url in _pages(elder.id):
        resp = client.get(url) if method == "get" else client.submit(url, {}, page="/")
        assert resp.status_code == 302 and "/auth/login" in resp.headers["Location"], url


def test_coordinator_gets_403_for_another_organizations_resident(client, coordinator, make, db):
    stranger = make.elder(org=make.organization("Kuhmon kotipalvelu", municipalities=("Kuhmo",)))
    for url in (f"/elders/{stranger.id}", f"/elders/{stranger.id}/edit"):
        resp = client.get(url)
        assert resp.status_code == 403
        assert HEALTH not in resp.get_data(as_text=True)
    token_page = "/elders/new"
    for url, data in (
        (f"/elders/{stranger.id}/place", {"place-lat": "64.2", "place-lon": "27.7"}),
        (f"/elders/{stranger.id}/status", {"status-status": "ended"}),
        (f"/elders/{stranger.id}/edit", {"first_name": "Hacked"}),
    ):
        assert client.submit(url, data, page=token_page).status_code == 403
    db.session.refresh(stranger)
    assert stranger.status == "active" and stranger.first_name == "Aili" and stranger.geocode_status == "approximate"
    assert client.get("/elders/99999").status_code == 404


def test_coordinator_cannot_file_under_another_organization(client, coordinator, intake, make, db):
    other = make.organization("Kuhmon kotipalvelu", municipalities=("Kuhmo",))
    resp = client.submit("/elders/new", intake(organization_id=str(other.id)))
    assert resp.status_code == 400
    assert db.session.scalar(sa.select(sa.func.count(Elder.id))) == 0


def test_admin_sees_every_organizations_residents(client, make):
    one = make.elder(first_name="Ykkönen")
    two = make.elder(first_name="Kakkonen")
    admin = make.admin()
    client.login(admin.email)
    html = client.get("/elders/").get_data(as_text=True)
    assert "Ykkönen" in html and "Kakkonen" in html
    assert HEALTH in client.get(f"/elders/{two.id}").get_data(as_text=True)
    assert client.get(f"/elders/{one.id}/edit").status_code == 200


@pytest.mark.parametrize("path", ["", "/edit"])
def test_coordinator_pages_show_health_notes_labelled(client, coordinator, make, org, path):
    elder = make.elder(org=org, with_relative=True)
    html = client.get(f"/elders/{elder.id}{path}").get_data(as_text=True)
    assert HEALTH in html
    assert "Vain koordinaattoreille" in html


def test_health_notes_are_not_on_the_list(client, coordinator, make, org):
    make.elder(org=org)
    assert HEALTH not in client.get("/elders/").get_data(as_text=True)


def test_coordinator_nav_has_the_residents_entries(client, coordinator):
    html = client.get("/coordinator").get_data(as_text=True)
    assert '<a href="/elders/">Ikäihmiset</a>' in html
    assert '<a href="/elders/new">Uusi ikäihminen</a>' in html


def test_pages_are_in_swedish_and_english_too(client, coordinator, intake, make):
    client.submit("/elders/new", intake(**with_relative()))
    client.submit("/lang", {"lang": "sv", "next": "/"}, page="/")
    html = client.get("/elders/new").get_data(as_text=True)
    assert "<h1>Ny äldre invånare</h1>" in html and "Anhöriga och andra kontaktpersoner" in html
    assert "Heikkinen, Aino" in client.get("/elders/").get_data(as_text=True)
    client.submit("/lang", {"lang": "en", "next": "/"}, page="/")
    assert "<h1>Older residents</h1>" in client.get("/elders/").get_data(as_text=True)
