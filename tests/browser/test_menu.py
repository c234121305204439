"""The main menu on a phone folds behind its button; on a wide screen every link shows."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.factories import PASSWORD


def _log_in(page, base: str, email: str) -> None:
    page.goto(base + "/auth/login")
    page.get_by_label("Sähköposti").fill(email)
    page.get_by_label("Salasana").fill(PASSWORD)
    page.get_by_role("button", name="Kirjaudu sisään").click()


def test_phone_menu_opens_and_closes_with_its_button(live_server, phone_page, make):
    coordinator = make.coordinator()
    page = phone_page
    _log_in(page, live_server, coordinator.email)
    expect(page.get_by_role("heading", level=1)).to_be_visible()

    button = page.get_by_role("button", name="Valikko", exact=True)
    menu = page.get_by_role("navigation", name="Päävalikko")
    expect(button).to_be_visible()
    expect(button).to_have_attribute("aria-expanded", "false")
    expect(menu).to_be_hidden()
    # Folded, the page's own heading is near the top of a phone's screen, not below twenty links.
    assert page.get_by_role("heading", level=1).bounding_box()["y"] < 300

    button.click()
    expect(button).to_have_attribute("aria-expanded", "true")
    expect(menu.get_by_role("link", name="Ikäihmiset")).to_be_visible()
    menu.get_by_role("link", name="Ikäihmiset").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ikäihmiset")

    # Folded again on the next page; Escape closes an open menu and gives the focus back to its button.
    expect(menu).to_be_hidden()
    button.click()
    expect(menu).to_be_visible()
    page.keyboard.press("Escape")
    expect(menu).to_be_hidden()
    expect(button).to_be_focused()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_wide_screen_shows_every_link_and_no_menu_button(live_server, page, make):
    coordinator = make.coordinator()
    _log_in(page, live_server, coordinator.email)
    expect(page.get_by_role("navigation", name="Päävalikko").get_by_role("link", name="Ikäihmiset")).to_be_visible()
    expect(page.get_by_role("button", name="Valikko")).to_be_hidden()


def test_without_javascript_the_phone_menu_shows_every_link(live_server, browser, make):
    coordinator = make.coordinator()
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, java_script_enabled=False)
    try:
        page = context.new_page()
        _log_in(page, live_server, coordinator.email)
        expect(page.get_by_role("navigation", name="Päävalikko").get_by_role("link", name="Ikäihmiset")).to_be_visible()
        expect(page.get_by_role("button", name="Valikko")).to_be_hidden()
    finally:
        context.close()
