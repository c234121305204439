"""Browser smoke test: Debian's Chromium driven by Playwright."""

from __future__ import annotations

from playwright.sync_api import expect


def test_front_page_swedish_and_coordinator_login(live_server, page, app, db):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["seed-demo"]).exit_code == 0

    page.goto(live_server + "/")
    expect(page.locator("html")).to_have_attribute("lang", "fi")
    expect(page.get_by_role("heading", level=1)).to_have_text("Arjen pelastajat")

    page.get_by_role("button", name="Svenska").click()
    expect(page.locator("html")).to_have_attribute("lang", "sv")
    expect(page.get_by_role("heading", level=1)).to_have_text("Vardagens räddare")

    page.get_by_role("link", name="Logga in").first.click()
    page.get_by_label("E-post").fill("kaisa.koordinaattori@demo.arjenpelastajat.fi")
    page.get_by_label("Lösenord").fill("arjenpelastajat")
    page.get_by_role("button", name="Logga in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("God dag, Kaisa Koordinaattori")
    expect(page.locator("html")).to_have_attribute("lang", "sv")
