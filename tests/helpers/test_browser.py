"""The whole journey in a phone-sized browser: a 15-year-old signs up, the guardian consents by the
link from the SMS, a coordinator approves, and the helper can start."""

from __future__ import annotations

import sqlalchemy as sa
from playwright.sync_api import expect

from app.i18n import today_local
from app.models import SmsMessage, User
from tests.conftest import FormClient
from tests.helpers.conftest import born


def test_fifteen_year_old_signs_up_on_a_phone_and_gets_approved(live_server, phone_page, browser, app, db, make):
    org = make.organization(name="Kainuun 4H", municipalities=("Kajaani", "Sotkamo"))
    coordinator = make.coordinator(org=org)
    page = phone_page

    page.goto(live_server + "/")
    page.get_by_role("link", name="Ilmoittaudu auttajaksi").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ilmoittaudu auttajaksi")

    page.get_by_label("Etunimi").fill("Aino")
    page.get_by_label("Sukunimi").fill("Nuorinen")
    page.get_by_label("Syntymäaika").fill(born(15).isoformat())
    page.get_by_label("Matkapuhelinnumero", exact=True).fill("040 123 4567")
    page.get_by_label("Organisaatio").select_option(label="Kainuun 4H (Kajaani, Sotkamo)")
    expect(page.locator("#guardian-fields")).to_be_visible()
    page.get_by_label("Huoltajan nimi").fill("Hanna Nuorinen")
    page.get_by_label("Huoltajan matkapuhelinnumero").fill("050 765 4321")
    page.get_by_label("Sähköposti").fill("aino@example.fi")
    page.get_by_label("Salasana", exact=True).fill("salasana-123")
    page.get_by_label("Salasana uudelleen").fill("salasana-123")
    page.get_by_label("Kunta").select_option(label="Kajaani")
    page.get_by_label("Kylä tai kaupunginosa").select_option(label="Paltaniemi")
    page.get_by_label("Pyörällä").check()
    page.get_by_label("Kauppa-asiat").check()
    page.get_by_label("Ulkoilu ja kävely").check()
    page.get_by_label("Maanantai, iltapäivä 12–16").check()
    page.get_by_label("Keskiviikko, ilta 16–20").check()
    page.get_by_label("Lauantai, aamupäivä 8–12").check()
    page.get_by_label("Muutama sana itsestäsi").fill("Hei! Olen Aino ja tykkään ulkoilla.")
    page.get_by_label("Teetkö asioita mieluummin muiden kanssa vai yksin?").fill("2")
    page.get_by_label("Käytätkö enimmäkseen sitä, mitä tarjotaan", exact=False).fill("5")
    page.get_by_label("Hoidatko asiat mieluummin verkossa vai tapaamalla ihmisiä kasvokkain?").fill("1")
    page.get_by_label("Olen lukenut, miten tietojani käytetään, ja hyväksyn sen.").check()

    # The form fits a 390 px screen: nothing sticks out sideways.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    page.get_by_role("button", name="Ilmoittaudu", exact=True).click()
    # The same answer as for an address that already has an account: log in to follow the sign-up.
    expect(page.get_by_text("Tervetuloa, Aino! Ilmoittautumisesi on vastaanotettu.")).to_be_visible()
    page.get_by_label("Sähköposti").fill("aino@example.fi")
    page.get_by_label("Salasana").fill("salasana-123")
    page.get_by_role("button", name="Kirjaudu sisään").click()
    page.goto(live_server + "/helpers/me")
    expect(page.get_by_role("heading", level=1)).to_have_text("Oma tilanne")
    expect(page.get_by_text("Odotetaan huoltajasi suostumusta.")).to_be_visible()

    # The guardian's SMS is in the outbox; the guardian opens its link on their own phone.
    db.session.expire_all()
    sms = db.session.scalar(sa.select(SmsMessage).where(SmsMessage.kind == "guardian_consent"))
    assert sms.to_phone == "+358507654321" and "Aino" in sms.body and "KYLLÄ" in sms.body
    path = "/helpers/consent/" + sms.body.split("/helpers/consent/")[1].split()[0]
    guardian_context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    try:
        guardian = guardian_context.new_page()
        guardian.goto(live_server + path)
        expect(guardian.get_by_role("heading", level=1)).to_have_text("Suostumus: Aino")
        guardian.get_by_role("button", name="Annan suostumukseni").click()
        expect(guardian.get_by_text("Kiitos! Suostumuksesi on kirjattu.")).to_be_visible()
    finally:
        guardian_context.close()

    page.reload()
    expect(page.get_by_text("Huoltajasi on antanut suostumuksensa.")).to_be_visible()

    # A coordinator approves after meeting her.
    db.session.expire_all()
    helper = db.session.scalar(sa.select(User).filter_by(email="aino@example.fi")).helper_profile
    coordinator_client = FormClient(app.test_client())
    coordinator_client.login(coordinator.email)
    resp = coordinator_client.submit(
        f"/helpers/{helper.id}/approve",
        {"identity_seen": "y", "training_held": "y"},
        page=f"/helpers/{helper.id}",
    )
    assert resp.status_code == 302

    page.reload()
    expect(page.get_by_text("Koordinaattori on hyväksynyt sinut.")).to_be_visible()
    expect(page.get_by_text("Kaikki valmista: sinulle voidaan tarjota tehtäviä.")).to_be_visible()
    db.session.expire_all()
    assert helper.status == "approved"
    assert helper.current_consent.given_via == "link"
    assert helper.is_eligible_on(today_local())
