"""Administration: organizations, coordinator accounts and the task type list."""

from __future__ import annotations

import re

import sqlalchemy as sa

from app.models import AuditLog, Organization, TaskType, User
from tests.conftest import FormClient


def _org_data(make, **changes) -> dict:
    data = {
        "name": "Ristijärven eläkeläiset ry",
        "kind": "pensioners",
        "municipalities": [str(make.municipality("Ristijärvi").id), str(make.municipality("Paltamo").id)],
        "phone": "08 123 4567",
        "email": "Toimisto@Elakelaiset.fi",
        "is_active": "y",
    }
    data.update(changes)
    return data


def test_admin_pages_need_an_admin(client, make):
    coordinator = make.coordinator()
    client.login(coordinator.email)
    for url in ("/admin/", "/admin/organizations/new", "/admin/coordinators/new", "/admin/task-types"):
        assert client.get(url).status_code == 403, url


def test_index_lists_organizations_and_coordinators(admin_client, make):
    org = make.organization("Kainuun 4H-yhdistys")
    make.coordinator(org=org, name="Kaisa Koordinaattori")
    html = admin_client.get("/admin/").get_data(as_text=True)
    assert "<h1>Ylläpito</h1>" in html
    assert f'href="/admin/organizations/{org.id}"' in html and "4H-yhdistys</td>" in html
    assert "Kaisa Koordinaattori" in html and "Ylläpitäjä Ulla" in html


def test_admin_creates_an_organization(admin_client, make, db):
    page = admin_client.get("/admin/organizations/new").get_data(as_text=True)
    assert "Eläkeläisyhdistys" in page and 'type="checkbox"' in page and "Ristijärvi" in page
    resp = admin_client.submit("/admin/organizations/new", _org_data(make))
    assert resp.status_code == 302
    org = db.session.scalar(sa.select(Organization).filter_by(name="Ristijärven eläkeläiset ry"))
    assert org.kind == "pensioners" and org.is_active
    assert sorted(m.name for m in org.municipalities) == ["Paltamo", "Ristijärvi"]
    assert org.phone == "+35881234567" and org.email == "toimisto@elakelaiset.fi"
    assert db.session.scalar(sa.select(AuditLog).filter_by(action="organization.created")).subject_id == org.id


def test_organization_form_errors_keep_input(admin_client, make):
    make.organization("Tönäri")
    resp = admin_client.submit(
        "/admin/organizations/new", _org_data(make, name="tönäri", phone="123", municipalities=[])
    )
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert "Tarkista numero" in html and "Valitse vähintään yksi kunta." in html
    assert 'value="tönäri"' in html
    resp = admin_client.submit("/admin/organizations/new", _org_data(make, name="tönäri"))
    assert resp.status_code == 400
    assert "Tämänniminen organisaatio on jo olemassa." in resp.get_data(as_text=True)


def test_admin_edits_an_organization(admin_client, make, db):
    org = make.organization("Vanha nimi", municipalities=("Kuhmo",))
    page = admin_client.get(f"/admin/organizations/{org.id}").get_data(as_text=True)
    assert 'value="Vanha nimi"' in page
    resp = admin_client.submit(f"/admin/organizations/{org.id}", _org_data(make, name="Uusi nimi", is_active=None))
    assert resp.status_code == 302
    db.session.refresh(org)
    assert org.name == "Uusi nimi" and not org.is_active
    assert sorted(m.name for m in org.municipalities) == ["Paltamo", "Ristijärvi"]


def test_admin_creates_a_coordinator_who_sees_only_that_organizations_residents(admin_client, make, db, app):
    org = make.organization("Hyrynsalmen seurakunta", municipalities=("Hyrynsalmi",), kind="parish")
    make.elder(org=org, first_name="Oma", last_name="Asiakas")
    make.elder(first_name="Vieras", last_name="Henkilö")  # another organization
    resp = admin_client.submit(
        "/admin/coordinators/new",
        {
            "name": "Sanna Seurakunta",
            "email": "Sanna@Example.fi",
            "phone": "040 555 1212",
            "organizations": [str(org.id)],
        },
    )
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and resp.headers["Cache-Control"] == "no-store"
    password = re.search(r'<strong class="password" translate="no">([^<]+)</strong>', html).group(1)
    assert re.fullmatch(r"[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}", password)
    user = db.session.scalar(sa.select(User).filter_by(email="sanna@example.fi"))
    assert user.role == "coordinator" and [o.name for o in user.organizations] == ["Hyrynsalmen seurakunta"]
    assert user.phone == "+358405551212" and user.check_password(password)
    assert password not in str(db.session.scalars(sa.select(AuditLog.details)).all())

    admin_client.logout()
    assert admin_client.login("sanna@example.fi", password).status_code == 302
    listing = admin_client.get("/elders/").get_data(as_text=True)
    assert "Asiakas, Oma" in listing and "Vieras" not in listing
    assert admin_client.get("/admin/").status_code == 403


def test_coordinator_with_a_chosen_password_and_errors(admin_client, make, db):
    org = make.organization()
    make.coordinator(org=org, email="taken@example.fi")
    data = {"name": "Pekka", "email": "TAKEN@example.fi", "organizations": [str(org.id)], "password": "short"}
    resp = admin_client.submit("/admin/coordinators/new", data)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400 and "Käytä vähintään 10 merkkiä." in html
    data["password"] = "pitka-salasana-123"
    resp = admin_client.submit("/admin/coordinators/new", data)
    assert resp.status_code == 400 and "Tällä sähköpostiosoitteella on jo käyttäjätili." in resp.get_data(as_text=True)
    resp = admin_client.submit("/admin/coordinators/new", {**data, "email": "pekka@example.fi", "organizations": []})
    assert resp.status_code == 400 and "Valitse vähintään yksi organisaatio." in resp.get_data(as_text=True)
    resp = admin_client.submit("/admin/coordinators/new", {**data, "email": "pekka@example.fi"})
    assert resp.status_code == 200 and "valitsemallasi salasanalla" in resp.get_data(as_text=True)
    assert db.session.scalar(sa.select(User).filter_by(email="pekka@example.fi")).check_password("pitka-salasana-123")


def test_deactivating_a_coordinator_ends_their_sessions(app, admin_client, make, db):
    org = make.organization()
    coordinator = make.coordinator(org=org)
    theirs = FormClient(app.test_client())
    theirs.login(coordinator.email)
    assert theirs.get("/elders/").status_code == 200

    resp = admin_client.submit(f"/admin/coordinators/{coordinator.id}/active", {"active": "0"}, page="/admin/")
    assert resp.status_code == 302
    db.session.refresh(coordinator)
    assert coordinator.active is False
    assert theirs.get("/elders/").status_code == 302  # logged out
    assert theirs.login(coordinator.email).status_code == 400
    assert "Poistettu käytöstä" in admin_client.get("/admin/").get_data(as_text=True)

    admin_client.submit(f"/admin/coordinators/{coordinator.id}/active", {"active": "1"}, page="/admin/")
    db.session.refresh(coordinator)
    assert coordinator.active is True
    assert theirs.login(coordinator.email).status_code == 302
    actions = db.session.scalars(
        sa.select(AuditLog.action).where(AuditLog.action.like("coordinator.%")).order_by(AuditLog.id)
    ).all()
    assert actions == ["coordinator.deactivated", "coordinator.activated"]


def test_editing_a_coordinator_and_a_new_password(admin_client, make, db):
    org, other = make.organization(), make.organization()
    coordinator = make.coordinator(org=org, name="Vanha Nimi")
    page = admin_client.get(f"/admin/coordinators/{coordinator.id}").get_data(as_text=True)
    assert 'value="Vanha Nimi"' in page
    version = coordinator.session_version
    data = {"name": "Uusi Nimi", "email": coordinator.email, "organizations": [str(org.id), str(other.id)]}
    assert admin_client.submit(f"/admin/coordinators/{coordinator.id}", data).status_code == 302
    db.session.refresh(coordinator)
    assert coordinator.name == "Uusi Nimi" and coordinator.organization_ids == {org.id, other.id}
    assert coordinator.session_version == version
    data["password"] = "uusi-salasana-456"
    admin_client.submit(f"/admin/coordinators/{coordinator.id}", data)
    db.session.refresh(coordinator)
    assert coordinator.check_password("uusi-salasana-456") and coordinator.session_version == version + 1


def test_only_coordinators_are_edited_here(admin_client, make):
    assert admin_client.get(f"/admin/coordinators/{admin_client.user.id}").status_code == 404
    assert admin_client.get(f"/admin/coordinators/{make.helper().user_id}").status_code == 404


def test_admin_adds_and_deactivates_a_task_type(admin_client, db):
    page = admin_client.get("/admin/task-types").get_data(as_text=True)
    assert "Kauppa-asiat" in page
    data = {
        "code": "snow_work",
        "name_fi": "Lumityöt",
        "name_sv": "Snöskottning",
        "name_en": "Snow work",
        "sort_order": "",
    }
    resp = admin_client.submit("/admin/task-types", data)
    assert resp.status_code == 302
    task_type = db.session.scalar(sa.select(TaskType).filter_by(code="snow_work"))
    assert (task_type.name_fi, task_type.name_sv, task_type.name_en, task_type.active) == (
        "Lumityöt",
        "Snöskottning",
        "Snow work",
        True,
    )
    assert task_type.sort_order == 80  # after the last default one (70)
    assert "Lumityöt" in admin_client.get("/admin/task-types").get_data(as_text=True)

    resp = admin_client.submit("/admin/task-types", {**data, "name_fi": "Toinen"})
    assert resp.status_code == 400 and "Tällä tunnuksella on jo tehtävätyyppi." in resp.get_data(as_text=True)
    resp = admin_client.submit("/admin/task-types", {**data, "code": "Lumi Työt"})
    assert resp.status_code == 400 and 'value="Lumi Työt"' in resp.get_data(as_text=True)

    admin_client.submit(f"/admin/task-types/{task_type.id}/active", {"active": "0"}, page="/admin/task-types")
    db.session.refresh(task_type)
    assert task_type.active is False
