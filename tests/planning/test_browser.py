"""Browser journey: a coordinator opens next week's plan, sees what it gains over best first,
changes one line, solves again around it and sends the offers."""

from __future__ import annotations

import sqlalchemy as sa
from playwright.sync_api import expect

from app.models import Offer, SmsMessage, WeekPlanLine
from tests.factories import PASSWORD


def test_make_change_resolve_and_send_the_week_plan(live_server, page, db, week):
    page.goto(live_server + "/auth/login")
    page.get_by_label("Sähköposti").fill(week["coordinator"].email)
    page.get_by_label("Salasana").fill(PASSWORD)
    page.get_by_role("button", name="Kirjaudu sisään").click()

    page.goto(live_server + f"/plan/{week['org'].id}?start={week['monday'].isoformat()}")
    expect(page.get_by_text("Tälle viikolle ei ole vielä suunnitelmaa.")).to_be_visible()
    page.get_by_role("button", name="Tee suunnitelma").click()
    expect(page.get_by_text("Suunnitelma tehty: 2 tehtävällä 2 tehtävästä on auttaja.")).to_be_visible()
    gains = page.get_by_role("row", name="Tehtäviä, joilla on auttaja")
    expect(gains).to_contain_text("2")
    expect(gains).to_contain_text("1")

    # Veeti for Aili, as the coordinator knows them: changed, kept, and the rest solved around it.
    line = db.session.scalar(sa.select(WeekPlanLine).filter_by(errand_id=week["first"].id))
    row = page.locator(f"#line-{line.id}")
    row.get_by_label("Auttaja").select_option(str(week["veeti"].id))
    row.get_by_role("button", name="Vaihda").click()
    expect(page.get_by_text("Rivi pidetään.")).to_be_visible()
    page.get_by_role("button", name="Laske uudelleen pidetyt rivit säilyttäen").click()
    expect(page.get_by_role("heading", name="Tehtävät, joille suunnitelma ei löydä auttajaa (1)")).to_be_visible()

    page.get_by_role("button", name="Lähetä 1 tarjous").click()
    expect(page.get_by_text("1 tarjous lähetetty 1 auttajalle")).to_be_visible()
    db.session.expire_all()
    assert db.session.scalar(sa.select(Offer.helper_id)) == week["veeti"].id
    assert db.session.scalar(sa.select(sa.func.count(SmsMessage.id)).filter_by(kind="week_offer")) == 1
