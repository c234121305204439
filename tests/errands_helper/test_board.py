"""The errand board: what a helper may see, in which order, and who is left out."""

from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa

from app.errands.helper_views import board
from app.errands.lifecycle import accept_errand, offer_errand
from app.i18n import HELSINKI
from app.models import Offer, SmsMessage, utcnow
from tests.factories import in_days

SECRETS = ("Vanhasalo", "Koulukatu", "401234567", "40 123 4567", "Ovikoodi", "4321", "Sydänlääkitys")


def test_board_never_shows_surname_address_phone_or_notes(db, make, client, org, elder):
    helper = make.helper(org=org, age=19)
    errand = make.errand(elder=elder, task="shopping", notes="Kaksi kassia")
    coordinator = make.coordinator(org=org)
    offer_errand(errand, [helper.id], by_user=coordinator)
    db.session.commit()

    client.login(helper.user.email)
    html = client.get("/board").get_data(as_text=True)
    assert f'id="errand-{errand.id}"' in html
    assert "Kauppa" in html or "Ostokset" in html  # the task, in Finnish
    assert "Kajaani" in html  # the municipality, as there is no village
    assert "km" in html
    for secret in SECRETS:
        assert secret not in html, secret
    assert "Aili" not in html  # not even the first name before accepting


def test_offer_sms_has_task_time_place_and_reply_words_but_no_private_details(db, make, org, elder):
    # Named: a name from the factories' counter ("Nuori4321") could hold a secret's digits.
    helper = make.helper(org=org, age=19, first_name="Ella")
    swede = make.helper(org=org, age=19, first_name="Sven")
    swede.user.locale = "sv"
    db.session.commit()
    errand = make.errand(elder=elder)
    offer_errand(errand, [helper.id, swede.id], by_user=make.coordinator(org=org))
    db.session.commit()

    texts = {m.helper_id: m for m in db.session.scalars(sa.select(SmsMessage).where(SmsMessage.kind == "offer"))}
    fi, sv = texts[helper.id], texts[swede.id]
    assert fi.dedupe_key == f"offer:{errand.id}:{helper.id}"
    assert f"KYLLÄ {errand.short_code}" in fi.body and f"EI {errand.short_code}" in fi.body
    assert f"JA {errand.short_code}" in sv.body and f"NEJ {errand.short_code}" in sv.body
    assert sv.language == "sv" and fi.language == "fi"
    assert "Kajaani" in fi.body and "Kajana" in sv.body
    local = errand.starts_at.astimezone(HELSINKI)
    local_start = f"{local.hour}.{local:%M}"  # SMS times as written in Finland: 9.00, 14.00
    for message in (fi, sv):
        assert "/board" in message.body
        assert local_start in message.body
        for secret in SECRETS + ("Aili",):
            assert secret not in message.body, secret


def test_pending_offers_first_then_nearest(db, make, org):
    helper = make.helper(org=org, age=19, lat=64.2263, lon=27.7290, max_distance_km=20)
    near = make.errand(elder=make.elder(org=org, lat=64.2270, lon=27.7300))
    far = make.errand(elder=make.elder(org=org, lat=64.2800, lon=27.7300))
    offered_far = make.errand(elder=make.elder(org=org, lat=64.3000, lon=27.7300))
    offer_errand(offered_far, [helper.id], by_user=make.coordinator(org=org))
    db.session.commit()

    items = board(helper, utcnow())
    assert [i.errand_id for i in items] == [offered_far.id, near.id, far.id]
    assert items[0].offered and not items[1].offered
    assert items[1].distance_km < items[2].distance_km


def test_board_leaves_out_other_orgs_too_far_taken_declined_and_past(db, make, org, client):
    helper = make.helper(org=org, age=19, max_distance_km=3)
    other_org = make.errand(elder=make.elder(org=make.organization()))
    too_far = make.errand(elder=make.elder(org=org, lat=64.40, lon=27.73))
    started = make.errand(elder=make.elder(org=org), starts_at=utcnow() - timedelta(minutes=5))
    taken = make.errand(elder=make.elder(org=org))
    accept_errand(taken.id, make.helper(org=org, age=30).id, via="web")
    declined = make.errand(elder=make.elder(org=org))
    visible = make.errand(elder=make.elder(org=org))
    db.session.commit()

    client.login(helper.user.email)
    client.submit(f"/errands/{declined.id}/decline", page="/board")
    offer = db.session.scalar(sa.select(Offer).filter_by(errand_id=declined.id, helper_id=helper.id))
    assert offer.status == "declined"
    ids = [i.errand_id for i in board(helper, utcnow())]
    assert ids == [visible.id]
    assert other_org.id not in ids and too_far.id not in ids and started.id not in ids and taken.id not in ids


def test_board_shows_errands_of_every_organization_the_helper_belongs_to(db, make, org):
    """The profile's own organization, and the others the account is a member of
    (a helper of 4H who also helps the parish); no one else's."""
    parish, stranger = make.organization(kind="parish"), make.organization()
    helper = make.helper(org=org, age=19)
    helper.user.organizations = [parish]
    own = make.errand(elder=make.elder(org=org))
    of_parish = make.errand(elder=make.elder(org=parish))
    not_mine = make.errand(elder=make.elder(org=stranger))
    db.session.commit()

    ids = {i.errand_id for i in board(helper, utcnow())}
    assert ids == {own.id, of_parish.id}
    assert not_mine.id not in ids


def test_minor_is_not_offered_an_evening_errand(db, make, org, client):
    minor = make.helper(org=org, age=16)
    adult = make.helper(org=org, age=19)
    evening = make.errand(elder=make.elder(org=org), starts_at=in_days(2, 21))
    daytime = make.errand(elder=make.elder(org=org), starts_at=in_days(2, 15))
    coordinator = make.coordinator(org=org)

    offers = offer_errand(evening, [minor.id, adult.id], by_user=coordinator)
    db.session.commit()
    assert [o.helper_id for o in offers] == [adult.id]
    assert db.session.scalar(sa.select(SmsMessage).filter_by(helper_id=minor.id)) is None
    assert [i.errand_id for i in board(minor, utcnow())] == [daytime.id]
    assert {i.errand_id for i in board(adult, utcnow())} == {evening.id, daytime.id}

    # Nor can the minor take it directly.
    client.login(minor.user.email)
    response = client.submit(f"/errands/{evening.id}/accept", page="/board", follow_redirects=True)
    assert "alle 18-vuotiaat voivat auttaa vain klo 8–20" in response.get_data(as_text=True)
    assert evening.assignments == []


def test_board_notice_for_a_helper_waiting_for_approval(db, make, org, client):
    helper = make.helper(org=org, age=19, status="pending")
    make.errand(elder=make.elder(org=org))
    client.login(helper.user.email)
    html = client.get("/board").get_data(as_text=True)
    assert "odottaa koordinaattorin hyväksyntää" in html
    assert "errand-card" not in html


def test_board_needs_a_helper_login(db, client, make):
    assert client.get("/board").status_code == 302
    coordinator = make.coordinator()
    client.login(coordinator.email)
    assert client.get("/board").status_code == 403


def test_board_shows_fifteen_errands_first_and_more_on_request(db, make, org, client):
    helper = make.helper(org=org, age=19)
    errands = [make.errand(elder=make.elder(org=org), starts_at=in_days(2 + i // 8, 9 + i % 8)) for i in range(32)]
    db.session.commit()
    all_ids = [i.errand_id for i in board(helper, utcnow())]
    assert sorted(all_ids) == sorted(e.id for e in errands)

    client.login(helper.user.email)
    client.submit("/lang", {"lang": "en"}, page="/")

    def shown(html: str) -> list[int]:
        return [int(m) for m in re.findall(r'<li class="card errand-card[^"]*" id="errand-(\d+)"', html)]

    first = client.get("/board").get_data(as_text=True)
    assert shown(first) == all_ids[:15]
    assert "Showing 15 of 32 errands." in first
    assert f'href="/board?show=30#errand-{all_ids[15]}"' in first  # lands on the first new one
    assert "Show more errands (15)" in first

    second = client.get("/board?show=30").get_data(as_text=True)
    assert shown(second) == all_ids[:30]
    assert "Show more errands (2)" in second

    last = client.get("/board?show=45").get_data(as_text=True)
    assert shown(last) == all_ids and "Show more" not in last
    for odd in ("/board?show=-5", "/board?show=abc", "/board?show=0"):
        assert shown(client.get(odd).get_data(as_text=True)) == all_ids[:15]
