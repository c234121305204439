"""The phone-day target, measured as a new user would: an 85-year-old's first call.

A coordinator who has never heard of her takes her in (with her daughter as the
contact person), takes a shopping request for next Tuesday and offers it to the best
helpers: every click, choice and typed field counts, starting from the start page.
Target (issue 16): at most 15 actions and at most 8 typed fields."""

from __future__ import annotations

import sqlalchemy as sa
from playwright.sync_api import Locator, Page, expect

from app.errands.requests import date_shortcuts
from app.models import Elder, Offer
from tests.factories import PASSWORD, local_today

MAX_ACTIONS, MAX_TYPED = 15, 8


class Counted:
    """The user's actions on the page: clicks, ticks and choices, and typed fields."""

    def __init__(self, page: Page) -> None:
        self.page, self.actions, self.typed = page, 0, 0

    def click(self, target: Locator) -> None:
        self.actions += 1
        target.click()

    def check(self, target: Locator) -> None:
        self.actions += 1
        target.check()

    def type(self, target: Locator, text: str) -> None:
        self.actions += 1
        self.typed += 1
        target.fill(text)


def test_an_85_year_olds_first_call_in_at_most_15_actions_and_8_typed_fields(
    live_server, page, db, make, org, coordinator
):
    for i, name in enumerate(("Aino", "Eetu", "Iida", "Otto")):
        make.helper(org=org, first_name=name, last_name="Nuorinen", age=20 + i, lat=64.2263 + i * 0.004)
    page.goto(live_server + "/auth/login")
    page.get_by_label("Sähköposti").fill(coordinator.email)
    page.get_by_label("Salasana").fill(PASSWORD)
    page.get_by_role("button", name="Kirjaudu sisään").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()

    user = Counted(page)
    # The person: name, landline, daughter, address, consent; then straight on to her request.
    user.click(page.get_by_role("navigation", name="Päävalikko").get_by_role("link", name="Uusi ikäihminen"))
    user.type(page.get_by_label("Etunimi"), "Hilma")
    user.type(page.get_by_label("Sukunimi"), "Kemppainen")
    user.type(page.get_by_label("Puhelinnumero", exact=True).first, "08 612 3456")
    row = page.get_by_role("group", name="Yhteyshenkilö 1")
    user.type(row.get_by_label("Nimi"), "Tiina Kemppainen")
    user.type(row.get_by_label("Puhelinnumero"), "050 765 4321")
    user.check(row.get_by_label("Suostuu siihen, että häneen otetaan yhteyttä"))
    user.type(page.get_by_label("Katuosoite"), "Kauppakatu 10")
    user.check(page.get_by_label("Hän suostui siihen"))
    user.click(page.get_by_role("button", name="Tallenna ja ota pyyntö"))

    # The request: shopping, next Tuesday at ten.
    expect(page.get_by_role("heading", level=1)).to_have_text("Uusi pyyntö")
    expect(page.locator("#elder-heading")).to_have_text("Hilma Kemppainen")
    tuesday = next(day for kind, day in date_shortcuts(local_today()) if kind == "weekday" and day.weekday() == 1)
    user.check(page.get_by_label("Kauppa-asiat"))
    user.click(page.locator(f'button[name="date_shortcut"][value="{tuesday.isoformat()}"]'))
    expect(page.get_by_label("Päivä (ensimmäinen päivä)")).to_have_value(tuesday.isoformat())
    expect(page.locator("#date_from-weekday")).to_contain_text("tiistai")
    user.type(page.get_by_label("Alkamisaika"), "10:00")
    user.click(page.get_by_role("button", name="Tallenna pyyntö"))

    # The offer, to the best candidates.
    expect(page.get_by_text("Pyyntö tallennettu.")).to_be_visible()
    expect(page.locator("ol.candidates > li")).to_have_count(4)
    user.click(page.get_by_role("button", name="Tarjoa parhaille ehdokkaille"))
    expect(page.get_by_text("auttajalle tekstiviestillä ja tehtävätaululla")).to_be_visible()

    print(
        f"phone-day journey: {user.actions} actions, {user.typed} typed fields "
        f"(target <= {MAX_ACTIONS}, <= {MAX_TYPED})"
    )
    assert user.actions <= MAX_ACTIONS and user.typed <= MAX_TYPED
    elder = db.session.scalar(sa.select(Elder).where(Elder.last_name == "Kemppainen"))
    assert elder.phone == "+35886123456" and elder.contacts[0].phone == "+358507654321"
    assert elder.slider_sociable is None  # not assessed on the phone
    assert db.session.scalar(sa.select(sa.func.count(Offer.id))) >= 1
