"""The helper's journey on a phone: see the offer without the address, take it, then see the address."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from app.errands.lifecycle import offer_errand
from tests.factories import PASSWORD


def test_helper_takes_an_offered_errand_on_a_phone(live_server, phone_page, db, make, org, elder):
    helper = make.helper(org=org, age=19)
    errand = make.errand(elder=elder, task="shopping")
    offer_errand(errand, [helper.id], by_user=make.coordinator(org=org))
    db.session.commit()

    page = phone_page
    page.goto(f"{live_server}/auth/login")
    page.get_by_label(re.compile("Sähköposti", re.I)).fill(helper.user.email)
    page.get_by_label(re.compile("Salasana", re.I)).fill(PASSWORD)
    page.get_by_role("button", name=re.compile("Kirjaudu", re.I)).click()

    page.goto(f"{live_server}/board")
    card = page.locator(f"#errand-{errand.id}")
    expect(card).to_be_visible()
    expect(card).to_contain_text("Tarjottu sinulle")
    expect(card).to_contain_text("Kajaani")
    expect(page.locator("main")).not_to_contain_text("Koulukatu")
    expect(page.locator("main")).not_to_contain_text("Vanhasalo")

    card.get_by_role("button", name="Otan tämän").click()
    expect(page).to_have_url(re.compile(r"/my-errands"))
    expect(page.locator(".flash")).to_contain_text("Tehtävä on sinun")
    mine = page.locator("main")
    expect(mine).to_contain_text("Koulukatu 17 B 4")
    expect(mine).to_contain_text("Aili")
    expect(page.get_by_role("link", name="040 123 4567")).to_have_attribute("href", "tel:+358401234567")
    expect(mine).not_to_contain_text("Vanhasalo")
    expect(mine).not_to_contain_text("Sydänlääkitys")
