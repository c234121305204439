"""Browser journeys: a coordinator plans a weekly coffee afternoon, invites ten older residents,
three reply by SMS (signed webhook posts), a helper signs up on a phone, attendance is taken on a
phone on the day, and the pair's stage page and the report show it; and the same flow in Swedish."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from playwright.sync_api import expect

from app.models import Activity, ActivitySignup, SmsMessage, utcnow
from tests.factories import PASSWORD, local_today
from tests.sms.support import inbound, signed_post


def login(page, base: str, email: str) -> None:
    page.goto(base + "/auth/login")
    page.get_by_label("Sähköposti").fill(email)
    page.get_by_label("Salasana").fill(PASSWORD)
    page.get_by_role("button", name="Kirjaudu sisään").click()


def login_in_swedish(page, base: str, email: str) -> None:
    page.goto(base + "/")
    page.get_by_role("button", name="Svenska").click()
    expect(page.locator("html")).to_have_attribute("lang", "sv")
    page.goto(base + "/auth/login")
    expect(page.locator("html")).to_have_attribute("lang", "sv")  # the choice holds on the next page
    page.get_by_label("E-post").fill(email)
    page.get_by_label("Lösenord").fill(PASSWORD)
    page.get_by_role("button", name="Logga in").click()


def helper_signs_up_on_phone(phone_page, base: str, log_in, helper, button: str, confirmation: str) -> None:
    """The helper signs up for the first activity on *Activities*, on a phone, and logs out."""
    log_in(phone_page, base, helper.user.email)
    phone_page.goto(base + "/activities/mine")
    phone_page.get_by_role("button", name=button).first.click()
    expect(phone_page.get_by_text(confirmation)).to_be_visible()
    phone_page.context.clear_cookies()


def started_ten_minutes_ago(db, activity: Activity) -> None:
    """Move the activity to the present, so that attendance can be taken."""
    db.session.execute(
        sa.update(Activity)
        .where(Activity.id == activity.id)
        .values(starts_at=utcnow() - timedelta(minutes=10), ends_at=utcnow() + timedelta(minutes=110))
    )
    db.session.commit()


def test_weekly_coffee_afternoon_from_plan_to_stage(live_server, page, phone_page, client, db, make, twilio_token):
    org = make.organization(name="Kainuun 4H")
    coordinator = make.coordinator(org=org, name="Kaisa Koordinaattori")
    make.place(name="Kajaanin kaupunginkirjasto", address="Pohjolankatu 21", step_free=True)
    names = ["Aili", "Bertta", "Cecilia", "Doris", "Eeva", "Fanni", "Greta", "Hilja", "Impi", "Jenny"]
    profiles = ["yhteisoaktiivi"] * 4 + [None] * 6
    elders = [
        make.elder(org=org, first_name=name, contact_channel="sms_self", elder_profile=profile)
        for name, profile in zip(names, profiles, strict=True)
    ]
    helper = make.helper(org=org, first_name="Veeti", last_name="Nuorinen", age=19)
    make.encounter(helper, elders[0], days_ago=20, kind="shared_activity", place="shared_space")

    # 1. The coordinator plans a weekly coffee afternoon.
    login(page, live_server, coordinator.email)
    page.goto(live_server + "/activities/new")
    first_day = local_today() + timedelta(days=2)
    page.get_by_label("Tapahtuman nimi").fill("Kahvihetki kirjastolla")
    page.get_by_label("Paikka", exact=True).select_option(label="Kajaanin kaupunginkirjasto (Kajaani)")
    page.get_by_label("Päivä", exact=True).fill(first_day.isoformat())
    page.get_by_label("Alkaa klo").fill("13:00")
    page.get_by_label("Päättyy klo").fill("15:00")
    page.get_by_label("Toistuu").select_option(label="Joka viikko")
    page.get_by_label("Viimeinen toistopäivä").fill((first_day + timedelta(days=14)).isoformat())
    page.get_by_label("Kuka vetää", exact=True).select_option(label="Nuoret ja ikäihmiset yhdessä")
    page.get_by_role("button", name="Tallenna").click()
    expect(page.get_by_text("Tapahtuma on tallennettu (3 kertaa).")).to_be_visible()
    activity = db.session.scalars(sa.select(Activity).order_by(Activity.starts_at)).first()

    # 2. Invites the ten older residents: ten text messages.
    page.get_by_role("link", name="Kutsu ihmisiä").click()
    page.locator("#i-side").select_option(value="old")
    page.get_by_role("button", name="Näytä").click()
    expect(page.locator("#reach")).to_contain_text("Tekstiviesti: 10")
    page.get_by_role("button", name="Lähetä kutsut").click()
    expect(page.get_by_text("Kutsuja: 10.")).to_be_visible()
    assert db.session.scalar(sa.select(sa.func.count()).where(SmsMessage.kind == "activity_invitation")) == 10

    # 3. Three reply KYLLÄ by SMS.
    for elder in elders[:3]:
        assert signed_post(client, "/sms/inbound", inbound(elder.phone, "Kyllä"), twilio_token).status_code == 200

    # 4. The helper signs up on a phone.
    helper_signs_up_on_phone(
        phone_page, live_server, login, helper, "Ilmoittaudu", "Olet ilmoittautunut. Nähdään siellä!"
    )

    # 5. On the day: the coordinator ticks who came on a phone.
    started_ten_minutes_ago(db, activity)
    login(phone_page, live_server, coordinator.email)
    phone_page.goto(live_server + f"/activities/{activity.id}/attendance")
    expect(phone_page.get_by_role("heading", level=1)).to_have_text("Kuka tuli?")
    for name in ("Aili", "Bertta", "Veeti"):
        phone_page.get_by_label(name).check()
    phone_page.get_by_role("button", name="Tallenna läsnäolo").click()
    expect(phone_page.get_by_text("Läsnäolo tallennettu yhdeksi kohtaamiseksi")).to_be_visible()
    statuses = sorted(s.status for s in db.session.scalars(sa.select(ActivitySignup)))
    assert statuses == ["attended", "attended", "attended", "no_show"]

    # 6. The pair's stage page and the report show it.
    page.goto(live_server + f"/encounters/pair/{helper.id}/{elders[0].id}")
    expect(page.locator("main")).to_contain_text("Yhteisiä tiloja ja tekemistä")
    page.goto(live_server + "/reports/")
    expect(page.locator("main")).to_contain_text("Yhteiset tapahtumat")
    expect(page.locator("main")).to_contain_text("Pidetyt tapahtumat")


def test_the_same_flow_in_swedish(live_server, page, phone_page, client, db, make, twilio_token):
    """A Swedish-speaking coordinator: plan, invite, a yes by SMS (JA),
    a helper signs up on a phone, attendance on a phone; every step's page in Swedish."""
    org = make.organization(name="Kainuun 4H")
    coordinator = make.coordinator(org=org, name="Karin Koordinator")
    make.place(name="Kajaanin kaupunginkirjasto", address="Pohjolankatu 21", step_free=True)
    elders = [
        make.elder(org=org, first_name=name, contact_channel="sms_self", language="sv")
        for name in ("Astrid", "Birgitta", "Carita")
    ]
    helper = make.helper(org=org, first_name="Viktor", last_name="Ung", age=19)

    login_in_swedish(page, live_server, coordinator.email)
    page.goto(live_server + "/activities/new")
    expect(page.locator("html")).to_have_attribute("lang", "sv")
    first_day = local_today() + timedelta(days=2)
    page.get_by_label("Aktivitetens namn").fill("Kaffestund på biblioteket")
    page.get_by_label("Plats", exact=True).select_option(label="Kajaanin kaupunginkirjasto (Kajaani)")
    page.get_by_label("Dag", exact=True).fill(first_day.isoformat())
    page.get_by_label("Börjar kl.").fill("13:00")
    page.get_by_label("Slutar kl.").fill("15:00")
    page.get_by_label("Upprepas", exact=True).select_option(label="Varje vecka")
    page.get_by_label("Upprepas till och med").fill((first_day + timedelta(days=7)).isoformat())
    page.get_by_label("Vem leder", exact=True).select_option(label="Unga och äldre tillsammans")
    page.get_by_role("button", name="Spara").click()
    expect(page.get_by_text("Aktiviteten är sparad (2 gånger).")).to_be_visible()
    activity = db.session.scalars(sa.select(Activity).order_by(Activity.starts_at)).first()

    page.get_by_role("link", name="Bjud in").click()
    page.locator("#i-side").select_option(value="old")
    page.get_by_role("button", name="Visa").click()
    expect(page.locator("#reach")).to_contain_text("Sms: 3")
    page.get_by_role("button", name="Skicka inbjudningarna").click()
    expect(page.get_by_text("Inbjudningar: 3.")).to_be_visible()
    invitation = db.session.scalars(sa.select(SmsMessage).filter_by(kind="activity_invitation")).first()
    assert "Kaffestund" in invitation.body and "JA" in invitation.body  # in Swedish, with the Swedish yes

    answer = signed_post(client, "/sms/inbound", inbound(elders[0].phone, "Ja"), twilio_token)
    assert "Tack" in answer.text

    helper_signs_up_on_phone(
        phone_page, live_server, login_in_swedish, helper, "Anmäl dig", "Du är anmäld. Vi ses där!"
    )

    started_ten_minutes_ago(db, activity)
    login_in_swedish(phone_page, live_server, coordinator.email)
    phone_page.goto(live_server + f"/activities/{activity.id}/attendance")
    expect(phone_page.get_by_role("heading", level=1)).to_have_text("Vem kom?")
    for name in ("Astrid", "Viktor"):
        phone_page.get_by_label(name).check()
    phone_page.get_by_role("button", name="Spara närvaron").click()
    expect(phone_page.get_by_text("Närvaron sparades som ett möte med alla som kom.")).to_be_visible()
    assert sorted(s.status for s in db.session.scalars(sa.select(ActivitySignup))) == ["attended", "attended"]

    page.goto(live_server + "/reports/")
    expect(page.locator("main")).to_contain_text("Gemensamma aktiviteter")
    expect(page.locator("main")).to_contain_text("Hållna aktiviteter")
