"""The coordinator's privacy pages: export (readable page and JSON), erasure
with a reason and a confirmation, and who may open them."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from app.models import AuditLog, ContactPerson, Elder
from tests.privacy.conftest import BIRTH_YEAR, CONTACT_SECRETS, ELDER_SECRETS, FREE_TEXT, cancel_coming


def english(client) -> None:
    client.submit("/lang", {"lang": "en", "next": "/"}, page="/")


def test_the_elder_page_links_to_export_and_erasure(coord, scenario):
    english(coord)
    html = coord.get(f"/elders/{scenario.elder.id}").get_data(as_text=True)
    assert f"/privacy/elders/{scenario.elder.id}/export" in html
    assert f"/privacy/elders/{scenario.elder.id}/export.json" in html
    assert f"/privacy/elders/{scenario.elder.id}/erase" in html
    assert f"/privacy/contacts/{scenario.contact.id}/erase" in html
    assert "automatically after 24 months" in html


def test_readable_export_of_an_older_resident(coord, scenario, db):
    english(coord)
    response = coord.get(f"/privacy/elders/{scenario.elder.id}/export")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    for text in (
        ELDER_SECRETS["health_notes"],
        ELDER_SECRETS["access_notes"],
        CONTACT_SECRETS["name"],
        REQUEST := "Kauppalista: Xylomaito",
        FREE_TEXT["inbound"],
        FREE_TEXT["report"],
        FREE_TEXT["override"],
    ):
        assert text in html, text
    assert REQUEST
    assert "Birth year" in html and f">{BIRTH_YEAR}<" in html
    for heading in (
        "Requests",
        "Errands",
        "Encounters",
        "Well-being check-ins",
        "Text messages",
        "Consents",
        "Audit log entries",
    ):
        assert f">{heading} <" in html, heading
    # The helper appears by first name and initial only.
    assert scenario.helper.display_name in html and scenario.helper.phone not in html
    entry = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "person.export"))
    assert entry.actor_user_id == scenario.coordinator.id
    assert (entry.subject_type, entry.subject_id, entry.details["format"]) == ("Elder", scenario.elder.id, "html")


def test_json_export_of_an_older_resident(coord, scenario, db):
    response = coord.get(f"/privacy/elders/{scenario.elder.id}/export.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Content-Disposition"].startswith("attachment; filename=")
    data = json.loads(response.get_data())
    assert data["person"] == {"kind": "elder", "id": scenario.elder.id, "name": "Hiljaliisa Erasmaa"}
    assert data["record"][0]["health_notes"] == ELDER_SECRETS["health_notes"]
    assert data["record"][0]["birth_year"] == BIRTH_YEAR
    assert [c["name"] for c in data["contacts"]] == [CONTACT_SECRETS["name"]]
    assert len(data["requests"]) == 2 and len(data["errands"]) == 2
    assert data["helper_reports"][0]["report_text"] == FREE_TEXT["report"]
    assert data["encounters"][0]["feedback_comment"] == FREE_TEXT["feedback"]
    assert data["check_ins"][0]["scores"] == {"loneliness": 5, "good_days": 4}
    assert any(m["body"] == FREE_TEXT["inbound"] and m["direction"] == "in" for m in data["messages"])
    assert any(m["to_phone"] == ELDER_SECRETS["phone"] and m["direction"] == "out" for m in data["messages"])
    assert data["alerts"] and data["consents"][0]["given"] is True
    assert {"elder.status", "errand.done"} <= {a["action"] for a in data["audit"]}
    assert db.session.scalar(sa.select(AuditLog.details).where(AuditLog.action == "person.export"))["format"] == "json"


def test_export_of_a_contact_person_and_of_a_helper(coord, scenario):
    data = json.loads(coord.get(f"/privacy/contacts/{scenario.contact.id}/export.json").get_data())
    assert data["record"][0]["phone"] == CONTACT_SECRETS["phone"]
    assert data["record"][0]["contact_of"] == "Hiljaliisa Erasmaa"
    assert [r["id"] for r in data["requests"]] == [scenario.coming_errand.request_id]
    assert coord.get(f"/privacy/contacts/{scenario.contact.id}/export").status_code == 200

    data = json.loads(coord.get(f"/privacy/helpers/{scenario.helper.id}/export.json").get_data())
    assert data["record"][0]["phone"] == scenario.helper.phone
    assert data["account"][0]["email"] == scenario.helper.user.email
    assert data["helper_reports"][0]["report_text"] == FREE_TEXT["report"]
    assert len(data["encounters"]) == 1
    # The older person's address and notes are not the helper's data.
    assert ELDER_SECRETS["street_address"] not in json.dumps(data["encounters"])
    html = coord.get(f"/privacy/helpers/{scenario.helper.id}/export").get_data(as_text=True)
    assert scenario.helper.first_name in html
    assert f"/privacy/helpers/{scenario.helper.id}/export" in coord.get(f"/helpers/{scenario.helper.id}").get_data(
        as_text=True
    )


def test_after_a_helper_deletes_their_account_the_export_holds_no_name(coord, scenario, db):
    from app.privacy.accounts import delete_helper_account

    delete_helper_account(scenario.helper)
    db.session.commit()
    data = json.loads(coord.get(f"/privacy/helpers/{scenario.helper.id}/export.json").get_data())
    assert data["record"][0]["first_name"] == "Poistettu" and data["record"][0]["phone"] == ""
    assert data["account"][0]["email"].endswith("@deleted.invalid")


@pytest.mark.parametrize(
    "url",
    [
        "/privacy/elders/{elder}/export",
        "/privacy/elders/{elder}/export.json",
        "/privacy/contacts/{contact}/export.json",
        "/privacy/helpers/{helper}/export.json",
        "/privacy/elders/{elder}/erase",
        "/privacy/contacts/{contact}/erase",
    ],
)
def test_other_organizations_and_helpers_are_refused(client, make, scenario, url):
    target = url.format(elder=scenario.elder.id, contact=scenario.contact.id, helper=scenario.helper.id)
    other = make.coordinator(org=make.organization(name="Kainuun 4H"))
    client.login(other.email)
    assert client.get(target).status_code == 403
    client.logout()
    client.login(scenario.helper.user.email)
    assert client.get(target).status_code == 403
    client.logout()
    assert client.get(target).status_code in (302, 401)


def test_admin_may_export(client, make, scenario):
    admin = make.admin()
    client.login(admin.email)
    assert client.get(f"/privacy/elders/{scenario.elder.id}/export.json").status_code == 200


def test_erasure_form_asks_for_a_reason_and_a_confirmation(coord, scenario, db):
    english(coord)
    url = f"/privacy/elders/{scenario.elder.id}/erase"
    page = coord.get(url).get_data(as_text=True)
    assert "What is erased" in page and "What stays, without a name" in page
    response = coord.submit(url, {"reason": "Omainen pyysi"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Tick the box to confirm the erasure." in html
    assert "Omainen pyysi" in html  # nothing typed is lost
    response = coord.submit(url, {"reason": "", "confirm": "y"})
    assert response.status_code == 400 and "Write why the data is erased." in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Elder, scenario.elder.id).erased_at is None


def test_erasure_with_coming_errands_says_what_to_do(coord, scenario, db):
    english(coord)
    url = f"/privacy/elders/{scenario.elder.id}/erase"
    response = coord.submit(url, {"reason": "Omainen pyysi", "confirm": "y"})
    assert response.status_code == 400
    assert "They still have coming errands. Cancel those first" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Elder, scenario.elder.id).first_name == ELDER_SECRETS["first_name"]


def test_erasing_through_the_page(coord, scenario, db):
    english(coord)
    cancel_coming(scenario)
    url = f"/privacy/elders/{scenario.elder.id}/erase"
    response = coord.submit(url, {"reason": "Omainen pyysi", "confirm": "y"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/elders/{scenario.elder.id}")
    html = coord.get(f"/elders/{scenario.elder.id}").get_data(as_text=True)
    assert "The personal data of the older resident was erased." in html
    # The page says so: when, by whom (a role), why; no personal data, nothing to change.
    assert "This older resident's personal data was erased." in html
    assert "A coordinator" in html and "Omainen pyysi" in html
    assert ELDER_SECRETS["first_name"] not in html and scenario.coordinator.name not in html
    assert f"/elders/{scenario.elder.id}/edit" not in html
    # A second visit to the form goes back to the page.
    assert coord.get(url).status_code == 302


def test_erasing_a_contact_person_through_the_page(coord, scenario, db):
    english(coord)
    contact_id, elder_id = scenario.contact.id, scenario.elder.id
    url = f"/privacy/contacts/{contact_id}/erase"
    assert CONTACT_SECRETS["name"] in coord.get(url).get_data(as_text=True)
    response = coord.submit(url, {"reason": "Pyysi itse", "confirm": "y"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(ContactPerson, contact_id) is None
    html = coord.get(f"/elders/{elder_id}").get_data(as_text=True)
    assert "The contact person&#39;s personal data was erased." in html
    assert CONTACT_SECRETS["name"] not in html


def test_the_pages_speak_finnish_by_default(coord, scenario):
    html = coord.get(f"/elders/{scenario.elder.id}").get_data(as_text=True)
    assert "Poista henkilötiedot" in html and "poistetaan automaattisesti 24 kuukauden kuluttua" in html
    html = coord.get(f"/privacy/elders/{scenario.elder.id}/export").get_data(as_text=True)
    assert "Henkilöstä Hiljaliisa Erasmaa tallennetut tiedot" in html
    assert "Lokimerkinnät" in html and "Tekstiviestit" in html
    html = coord.get(f"/privacy/elders/{scenario.elder.id}/erase").get_data(as_text=True)
    assert "Mitä poistetaan" in html and "Miksi tiedot poistetaan?" in html


def test_every_exported_section_and_field_has_a_readable_name(db, scenario):
    from app.privacy import labels
    from app.privacy.collect import collect_contact, collect_elder, collect_helper

    for data in (collect_elder(scenario.elder), collect_contact(scenario.contact), collect_helper(scenario.helper)):
        for section in data.sections:
            assert section.key in labels.SECTIONS, section.key
            for key in labels.columns(section.rows):
                assert key in labels.FIELDS, (section.key, key)


def test_pdf_export_in_the_page_language(coord, scenario, db):
    from tests.reports.helpers import pdf_text

    response = coord.get(f"/privacy/elders/{scenario.elder.id}/export.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Disposition"].endswith('.pdf"')
    assert response.data.startswith(b"%PDF")
    text = " ".join(pdf_text(response.data).split())
    for expected in (
        "Henkilöstä Hiljaliisa Erasmaa tallennetut tiedot",
        "Lokimerkinnät",
        ELDER_SECRETS["health_notes"],
        FREE_TEXT["inbound"],
    ):
        assert expected in text, expected
    assert db.session.scalar(sa.select(AuditLog.details).where(AuditLog.action == "person.export"))["format"] == "pdf"
    assert coord.get(f"/privacy/helpers/{scenario.helper.id}/export.pdf").status_code == 200
    assert coord.get(f"/privacy/contacts/{scenario.contact.id}/export.pdf").status_code == 200
    assert coord.get(f"/privacy/elders/{scenario.elder.id}/export.xml").status_code == 404


def test_pdf_copes_with_long_unbroken_text(app, db, make):
    from app.privacy.collect import collect_elder
    from app.privacy.pdf import export_pdf

    elder = make.elder(preferences="x" * 900, health_notes="Åäö" * 300)
    with app.test_request_context("/"):
        pdf = export_pdf(collect_elder(elder), language="sv")
    assert pdf.startswith(b"%PDF") and len(pdf) > 1000
