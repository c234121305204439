"""Browser journey: a coordinator takes a request on the intake page, sees the
ranked candidates with their reasons and offers the errand to the top three."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from playwright.sync_api import expect

from app.models import Offer, SmsMessage
from tests.factories import PASSWORD, local_today


def test_intake_to_ranked_candidates_to_offers(live_server, page, db, make, org, coordinator, elder):
    for i, name in enumerate(("Aino", "Eetu", "Iida", "Otto")):
        make.helper(org=org, first_name=name, last_name="Nuorinen", age=20 + i, lat=64.2263 + i * 0.004)

    page.goto(live_server + "/auth/login")
    page.get_by_label("Sähköposti").fill(coordinator.email)
    page.get_by_label("Salasana").fill(PASSWORD)
    page.get_by_role("button", name="Kirjaudu sisään").click()

    page.goto(live_server + f"/requests/new?elder={elder.id}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Uusi pyyntö")
    # Follow-up questions appear only when they apply.
    expect(page.get_by_label("Kuka yhteyshenkilöistä soitti?")).to_be_hidden()
    page.get_by_label("Omainen tai yhteyshenkilö").check()
    page.get_by_label("Kuka yhteyshenkilöistä soitti?").select_option(label="Tytär Tiina (Tytär)")
    page.get_by_label("Kauppa-asiat").check()
    page.get_by_label("Päivä (ensimmäinen päivä)").fill((local_today() + timedelta(days=2)).isoformat())
    page.get_by_label("Alkamisaika").fill("13:00")
    page.get_by_label("Lisätiedot auttajalle").fill("Maitoa ja leipää.")
    page.get_by_role("button", name="Tallenna pyyntö").click()

    expect(page.get_by_text("Pyyntö tallennettu.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Kauppa-asiat: Aili Ahonen")
    candidates = page.locator("ol.candidates > li")
    expect(candidates).to_have_count(4)
    expect(candidates.first).to_contain_text("Aino N.")
    expect(candidates.first).to_contain_text("km päässä, kulkee pyörällä enintään 10 km")
    expect(candidates.first).to_contain_text("Puhuu suomea")

    page.get_by_label("Kuinka monelle auttajalle").fill("3")
    page.get_by_role("button", name="Tarjoa parhaille ehdokkaille").click()
    expect(page.get_by_text("Tarjottu 3 auttajalle tekstiviestillä ja tehtävätaululla")).to_be_visible()
    expect(page.locator("ol.candidates").get_by_text("Odottaa vastausta")).to_have_count(3)

    assert db.session.scalar(sa.select(sa.func.count(Offer.id))) == 3
    assert db.session.scalar(sa.select(sa.func.count(SmsMessage.id)).where(SmsMessage.kind == "offer")) == 3
