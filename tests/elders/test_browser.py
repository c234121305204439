"""In the browser: a coordinator takes in an older person with a relative on one page."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.factories import PASSWORD


def test_coordinator_takes_in_an_older_person_with_a_relative(live_server, page, make, org):
    user = make.coordinator(org=org, name="Kaisa Koordinaattori")
    page.goto(live_server + "/auth/login")
    page.get_by_label("Sähköposti").fill(user.email)
    page.get_by_label("Salasana").fill(PASSWORD)
    page.get_by_role("button", name="Kirjaudu").click()

    page.get_by_role("link", name="Uusi ikäihminen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Uusi ikäihminen")
    expect(page.get_by_label("Etunimi")).to_be_focused()  # typing can start at once

    page.keyboard.type("Aino")
    page.get_by_label("Sukunimi").fill("Heikkinen")
    page.get_by_label("Puhelinnumero", exact=True).first.fill("08 6155 4321")
    page.get_by_label("Koordinaattori soittaa").check()

    row = page.get_by_role("group", name="Yhteyshenkilö 1")
    row.get_by_label("Nimi").fill("Tiina Heikkinen")
    row.get_by_label("Suhde").select_option(label="Tytär")
    row.get_by_label("Puhelinnumero").fill("050 111 2233")
    row.get_by_label("Suostuu siihen, että häneen otetaan yhteyttä").check()

    page.get_by_label("Katuosoite").fill("Koulutie 3")
    page.get_by_label("Postinumero").fill("88600")
    page.get_by_label("Kunta", exact=True).select_option(label="Sotkamo")
    page.get_by_text("Profiili ja toiveet (vapaaehtoinen)").click()  # the optional section opens
    page.get_by_label("Koti kunniaan").check()
    page.get_by_label("Terveys ja turvallisuus").fill("Kuulo heikko")
    page.get_by_label("Hän suostui siihen").check()
    page.get_by_role("button", name="Tallenna", exact=True).click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Aino Heikkinen")
    expect(page.get_by_text("Aino Heikkinen tallennettiin.")).to_be_visible()
    contacts = page.get_by_role("table")
    expect(contacts).to_contain_text("Tiina Heikkinen")
    expect(contacts).to_contain_text("Tytär")
    expect(contacts).to_contain_text("050 111 2233")
    expect(page.get_by_text("Kuulo heikko")).to_be_visible()
    expect(page.get_by_text("lankapuhelin")).to_be_visible()
