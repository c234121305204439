"""The helper's PDF certificate: a real PDF with the helper's name and hours, in their language."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.models import AuditLog
from tests.reports.helpers import pdf_text, tables


def _pdf(response) -> str:
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF-")
    assert response.data.rstrip().endswith(b"%%EOF")
    assert b"/FontFile2" in response.data  # the Unicode TrueType font is embedded
    return pdf_text(response.data)


@pytest.fixture()
def helper_client(client, world):
    # Väinö Äijälä: one done errand (60 min) and a shared activity (120 min); the errand's own
    # encounter is not counted twice, the assigned errand in 3 days is not done yet.
    client.login(world.helpers[0].user.email)
    return client


def test_helper_downloads_own_certificate_in_finnish(helper_client, world):
    response = helper_client.get("/reports/certificate.pdf")
    assert "todistus-V" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "private, no-store"
    text = _pdf(response)
    assert "Todistus vapaaehtoistoiminnasta" in text
    assert "Väinö Äijälä" in text
    assert "Kainuun testiyhdistys" in text
    assert "3 tuntia" in text
    assert "Tehdyt tehtävät 1" in text
    assert "Muut kohtaamiset 1" in text
    assert "Kauppa-asiat" in text  # task kind in Finnish
    assert "Kaija Koordinaattori" in text  # approved the helper, coordinates the organization
    assert "Koordinaattori, Kainuun testiyhdistys" in text


def test_certificate_in_swedish_and_english(helper_client):
    text = _pdf(helper_client.get("/reports/certificate.pdf?lang=sv"))
    assert "Intyg över frivilligarbete" in text
    assert "3 timmar" in text
    assert "Handla" in text
    text = _pdf(helper_client.get("/reports/certificate.pdf?lang=en"))
    assert "Certificate of volunteering" in text
    assert "3 hours" in text
    assert "Shopping" in text


def test_helper_certificate_page(helper_client):
    html = helper_client.get("/reports/certificate").get_data(as_text=True)
    assert "<h1>Todistus vapaaehtoistoiminnasta</h1>" in html
    assert "3 tuntia" in html
    assert 'action="/reports/certificate.pdf"' in html


def test_helper_with_nothing_done_gets_a_friendly_message(client, world, make):
    newcomer = make.helper(org=world.org)
    client.login(newcomer.user.email)
    response = client.get("/reports/certificate.pdf")
    assert response.status_code == 302
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "todistus on valmis ensimmäisen tehtäväsi jälkeen" in html


def test_coordinator_downloads_a_helpers_certificate(client, world, db):
    client.login(world.coordinator.email)
    helper = world.helpers[5]  # one done errand without a reported time: its planned 90 minutes
    text = _pdf(client.get(f"/reports/certificate/{helper.id}.pdf"))
    assert "Nuori6 Auttaja" in text
    assert "1,5 tuntia" in text
    assert "Kaija Koordinaattori" in text
    entry = db.session.scalar(sa.select(AuditLog).filter_by(action="helper.certificate_downloaded"))
    assert entry.subject_id == helper.id and entry.actor_user_id == world.coordinator.id


def test_other_coordinators_and_helpers_cannot_download(client, world):
    client.login(world.other_coordinator.email)
    assert client.get(f"/reports/certificate/{world.helpers[0].id}.pdf").status_code == 404
    assert client.get("/reports/certificate/999999.pdf").status_code == 404
    assert client.get("/reports/certificate.pdf").status_code == 403
    client.logout()
    client.login(world.helpers[1].user.email)
    assert client.get(f"/reports/certificate/{world.helpers[0].id}.pdf").status_code == 403


def test_helpers_hours_list(client, world):
    client.login(world.coordinator.email)
    client.submit("/lang", {"lang": "en"}, page="/")
    html = client.get("/reports/helpers").get_data(as_text=True)
    rows = {k: v for k, v in tables_of(html).items()}
    assert rows["Väinö Äijälä"][1:4] == ["1", "1", "3"]
    assert rows["Nuori6 Auttaja"][1:4] == ["1", "0", "1.5"]
    assert f"/reports/certificate/{world.helpers[0].id}.pdf" in html
    assert "Nuori" in html and "Muu" not in html  # B's helper is not listed


def tables_of(html: str) -> dict[str, list[str]]:
    marked = html.replace("<table>", '<table id="helpers">', 1)
    return tables(marked)["helpers"]
