"""The coordinator's errand page, offers, direct assignment, cancelling, day and week pages."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from app.errands.requests import generate_due_errands
from app.models import Assignment, CoordinatorAlert, Errand, ErrandEvent, HelpRequest, Offer, SmsMessage, utcnow
from tests.factories import local_today


def test_errand_page_explains_candidates_in_finnish(db, coord, make, org, elder):
    aino = make.helper(org=org, first_name="Aino", last_name="Auttaja", age=20, languages=["fi", "sv"])
    far = make.helper(org=org, first_name="Kauko", lat=64.335, lon=27.73, max_distance_km=10)
    errand = make.request(elder, hour=13).errands[0]
    html = coord.get(f"/errands/{errand.id}").get_data(as_text=True)
    assert "Kauppa-asiat: Aili Ahonen" in html
    assert "Sopivat auttajat" in html
    assert "Aino A." in html
    assert "päässä, kulkee pyörällä enintään 10 km" in html
    assert "0,1 km päässä" in html  # Finnish decimal comma
    assert "Tarjoaa tätä apua (Kauppa-asiat)" in html
    assert "Puhuu suomea" in html
    assert "Ei tehtäviä viimeisen 30 päivän aikana: hänen vuoronsa" in html
    assert "Yleensä käytettävissä tähän aikaan" in html and "iltapäivä" in html
    # The excluded, collapsed, with their reason.
    assert '<details class="excluded">' in html and "Eivät sovi nyt (1)" in html
    assert "Kauko T.</strong>: 12 km päässä: kauempana kuin 10 km, jonka hän kulkee pyörällä" in html
    assert far.id and aino.id
    # History with who and when.
    assert "Odottaa auttajaa" in html and "Kaisa Koordinaattori" in html


def test_continuity_and_profile_reasons_are_in_plain_words(db, coord, make, org):
    from tests.errands_coordinator.test_matching_service import _past_errand_done

    elder = make.elder(org=org, first_name="Aili", elder_profile="koti_kunniaan")
    helper = make.helper(org=org, first_name="Tuttu", youth_profile="vahaan_tyytyvat")
    for days in (10, 20, 30, 40):
        _past_errand_done(make, elder, helper, days_ago=days, feedback=5 if days % 20 else 4)
    errand = make.request(elder).errands[0]
    html = coord.get(f"/errands/{errand.id}").get_data(as_text=True)
    assert "On auttanut henkilöä Aili 4 kertaa aiemmin (palaute 4,5/5); Aili arvostaa tuttua auttajaa" in html
    assert "Sopii profiiliin: Koti kunniaan ja Vähään tyytyvät sopivat usein hyvin yhteen" in html


def test_offer_to_top_three_creates_offers_and_sms(db, coord, make, org, elder):
    helpers = [make.helper(org=org, first_name=f"Apu{i}", age=25, lat=64.2263 + i * 0.01) for i in range(5)]
    errand = make.request(elder).errands[0]
    resp = coord.submit(f"/errands/{errand.id}/offer-top", {"count": "3"}, page=f"/errands/{errand.id}")
    assert resp.status_code == 302
    offers = db.session.scalars(sa.select(Offer).order_by(Offer.rank)).all()
    assert [o.helper_id for o in offers] == [h.id for h in helpers[:3]]  # nearest first here
    assert [o.rank for o in offers] == [1, 2, 3] and all(o.score for o in offers)
    assert all(o.status == "pending" for o in offers)
    sms = db.session.scalars(sa.select(SmsMessage).where(SmsMessage.kind == "offer")).all()
    assert sorted(m.helper_id for m in sms) == sorted(h.id for h in helpers[:3])
    assert all(m.errand_id == errand.id and errand.short_code in m.body for m in sms)
    db.session.refresh(errand)
    assert errand.state == "offered"
    html = coord.get(f"/errands/{errand.id}").get_data(as_text=True)
    assert "Tarjottu 3 auttajalle tekstiviestillä ja tehtävätaululla" in html
    assert "Odottaa vastausta" in html

    # Again: the next ones in rank, never the same helper twice.
    coord.submit(f"/errands/{errand.id}/offer-top", {"count": "3"}, page=f"/errands/{errand.id}")
    assert db.session.scalar(sa.select(sa.func.count(Offer.id))) == 5
    html = coord.get(f"/errands/{errand.id}").get_data(as_text=True)
    assert "Tehtävää ei voi tarjota useammalle" not in html
    coord.submit(f"/errands/{errand.id}/offer-top", {"count": "3"}, page=f"/errands/{errand.id}")
    html = coord.get(f"/errands/{errand.id}").get_data(as_text=True)
    assert "Tehtävää ei voi tarjota useammalle: sopivia auttajia ei ole enempää." in html


def test_offer_top_n_out_of_range_is_explained_not_an_error_page(db, coord, make, org, elder):
    make.helper(org=org)
    errand = make.request(elder).errands[0]
    resp = coord.submit(f"/errands/{errand.id}/offer-top", {"count": "11"}, page=f"/errands/{errand.id}")
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert "Anna luku 1–10." in html and 'value="11"' in html
    assert db.session.scalar(sa.select(sa.func.count(Offer.id))) == 0


def test_offer_to_selected_candidates(db, coord, make, org, elder):
    a, b, c = (make.helper(org=org, first_name=n, age=30) for n in ("Aa", "Bb", "Cc"))
    errand = make.request(elder).errands[0]
    coord.submit(f"/errands/{errand.id}/offer", {"helper_id": [str(a.id), str(c.id)]}, page=f"/errands/{errand.id}")
    assert sorted(db.session.scalars(sa.select(Offer.helper_id))) == sorted([a.id, c.id])
    assert db.session.scalar(sa.select(sa.func.count(SmsMessage.id)).where(SmsMessage.kind == "offer")) == 2


def test_assign_directly(db, coord, coordinator, make, org, elder):
    helper = make.helper(org=org, first_name="Suora", age=30)
    errand = make.request(elder).errands[0]
    resp = coord.submit(f"/errands/{errand.id}/assign", {"assign": str(helper.id)}, page=f"/errands/{errand.id}")
    assert resp.status_code == 302
    assignment = db.session.scalar(sa.select(Assignment))
    assert (assignment.helper_id, assignment.assigned_via, assignment.assigned_by_id) == (
        helper.id,
        "coordinator",
        coordinator.id,
    )
    db.session.refresh(errand)
    assert errand.state == "assigned"
    html = coord.get(f"/errands/{errand.id}").get_data(as_text=True)
    assert "Suora T. on nyt tämän tehtävän auttaja." in html
    assert "koordinaattorin valitsema" in html
    assert "Sopivat auttajat" not in html  # no more candidates needed


def test_assigning_someone_who_cannot_take_it_is_a_flash_not_an_error_page(db, coord, make, org, elder):
    far = make.helper(org=org, lat=64.335, lon=27.73)
    errand = make.request(elder).errands[0]
    resp = coord.submit(f"/errands/{errand.id}/assign", {"assign": str(far.id)}, page=f"/errands/{errand.id}")
    assert resp.status_code == 302
    html = coord.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Tämä auttaja ei voi nyt ottaa tätä tehtävää." in html
    assert db.session.scalar(sa.select(sa.func.count(Assignment.id))) == 0


def test_errand_error_becomes_a_translated_flash(db, coord, make, org, elder):
    helper = make.helper(org=org, age=30)
    errand = make.request(elder).errands[0]
    coord.submit(
        f"/errands/{errand.id}/cancel", {"by_kind": "elder", "reason": "Tytär hoitaa"}, page=f"/errands/{errand.id}"
    )
    resp = coord.submit(
        f"/errands/{errand.id}/assign",
        {"assign": str(helper.id)},
        page=f"/requests/{errand.request_id}",
    )
    html = coord.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Se ei ole mahdollista tehtävän nykyisessä tilassa." in html
    assert db.session.scalar(sa.select(sa.func.count(Assignment.id))) == 0


def test_cancel_errand_records_who_and_why(db, coord, make, org, elder):
    helper = make.helper(org=org, age=30)
    errand = make.request(elder).errands[0]
    coord.submit(f"/errands/{errand.id}/assign", {"assign": str(helper.id)}, page=f"/errands/{errand.id}")
    resp = coord.submit(
        f"/errands/{errand.id}/cancel",
        {"by_kind": "relative", "reason": "Tytär tulee itse"},
        page=f"/errands/{errand.id}",
    )
    assert resp.status_code == 302
    db.session.refresh(errand)
    assert (errand.state, errand.cancelled_by_kind, errand.cancel_reason) == (
        "cancelled",
        "relative",
        "Tytär tulee itse",
    )
    assert db.session.scalar(sa.select(sa.func.count(SmsMessage.id)).where(SmsMessage.kind == "cancellation")) == 1
    html = coord.get(f"/errands/{errand.id}").get_data(as_text=True)
    assert "Tehtävä peruttiin." in html and "Tytär tulee itse" in html and "omainen" in html


def test_cancel_without_reason_keeps_the_page(db, coord, elder, make):
    errand = make.request(elder).errands[0]
    resp = coord.submit(
        f"/errands/{errand.id}/cancel", {"by_kind": "elder", "reason": ""}, page=f"/errands/{errand.id}"
    )
    assert resp.status_code == 422
    assert "Kirjoita lyhyt syy." in resp.get_data(as_text=True)
    db.session.refresh(errand)
    assert errand.state == "open"


def test_cancel_whole_request_cancels_coming_errands(db, coord, elder, make):
    from tests.errands_coordinator.test_intake_page import _form

    start = local_today() + timedelta(days=1)
    data = _form(make, elder, date_from=start.isoformat(), recurrence="weekly")
    data["recurrence_until"] = (start + timedelta(days=60)).isoformat()
    coord.submit("/requests/new", data, page=f"/requests/new?elder={elder.id}")
    req = db.session.scalar(sa.select(HelpRequest))
    html = coord.get(f"/requests/{req.id}").get_data(as_text=True)
    assert "Päivätyt tehtävät" in html and html.count('class="errand-item"') == 3
    resp = coord.submit(
        f"/requests/{req.id}/cancel",
        {"by_kind": "elder", "reason": "Muuttaa palvelutaloon"},
        page=f"/requests/{req.id}",
    )
    assert resp.status_code == 302
    db.session.expire_all()
    assert {e.state for e in db.session.scalars(sa.select(Errand))} == {"cancelled"}
    assert db.session.get(HelpRequest, req.id).status == "cancelled"
    assert generate_due_errands(utcnow() + timedelta(days=30)) == 0
    assert "Pyyntö peruttiin, samoin 3 tulevaa tehtävää." in coord.get(f"/requests/{req.id}").get_data(as_text=True)


def test_day_and_week_pages_group_errands_and_show_what_needs_attention(db, coord, make, org, elder):
    tomorrow = local_today() + timedelta(days=1)
    soon = make.request(elder, day=tomorrow, hour=11).errands[0]  # no helper, within 48 h
    later = make.request(elder, day=local_today() + timedelta(days=5), hour=9, task="walk").errands[0]
    helper = make.helper(org=org, first_name="Hidas", age=30)
    make.offer(later, helper, sent_at=utcnow() - timedelta(hours=13))
    alert = CoordinatorAlert(
        organization_id=org.id,
        kind="late_withdrawal",
        message="Hidas T. perui myöhään",
        errand_id=later.id,
        helper_id=helper.id,
    )
    db.session.add(alert)
    db.session.commit()

    html = coord.get(f"/errands/day?date={tomorrow.isoformat()}").get_data(as_text=True)
    assert f'href="/errands/{soon.id}"' in html
    assert "Vaatii huomiota" in html
    assert "Ei vielä auttajaa, alkaa 48 tunnin sisällä" in html
    assert "Tarjoukset, joihin kukaan ei ole vastannut" in html and "Ei vastausta: Hidas T." in html
    assert "Hidas T. perui osallistumisensa alle 24 tuntia ennen: Ulkoilu ja kävely" in html  # the reader's language

    week = coord.get(f"/errands/week?start={tomorrow.isoformat()}").get_data(as_text=True)
    assert f'href="/errands/{soon.id}"' in week
    assert "Ulkoilu ja kävely: Aili Ahonen" in week or later.starts_at.date() > tomorrow + timedelta(days=6)
    assert week.count('<section class="week-day"') == 7

    # Marking the alert handled removes it.
    coord.submit(f"/errands/alerts/{alert.id}/resolve", {"next": "/errands/day"}, page="/errands/day")
    db.session.refresh(alert)
    assert alert.resolved_at is not None
    assert "Hidas T. perui myöhään" not in coord.get("/errands/day").get_data(as_text=True)


def test_unanswered_offers_list_the_soonest_and_count_the_rest(db, coord, make, org, elder):
    from app.errands import agenda

    helper = make.helper(org=org, first_name="Hidas", age=30)
    errands = [
        make.request(elder, day=local_today() + timedelta(days=3 + i // 8), hour=8 + i % 8).errands[0]
        for i in range(23)
    ]
    for e in errands:
        make.offer(e, helper, status="expired", sent_at=utcnow())
        make.offer(e, make.helper(org=org, age=30), status="declined")

    attention = agenda.needs_attention({org.id})
    assert attention.unanswered_total == 23 and attention.count == 23
    assert [u.errand.id for u in attention.unanswered] == [e.id for e in errands[: agenda.UNANSWERED_SHOWN]]
    assert all([o.helper_id for o in u.offers] == [helper.id] for u in attention.unanswered)  # not the declined

    html = coord.get("/errands/day").get_data(as_text=True)
    assert html.count("Ei vastausta: Hidas T.") == agenda.UNANSWERED_SHOWN
    assert "Näytetään 20 lähintä niistä 23 tehtävästä" in html
    assert agenda.needs_attention({org.id + 1000}).count == 0  # another organization's coordinator


def test_bad_date_on_day_page_is_a_notice(db, coord):
    resp = coord.get("/errands/day?date=huomenna")
    assert resp.status_code == 200
    assert "Päivämäärää ei ymmärretty" in resp.get_data(as_text=True)


def test_home_block_shows_todays_errands_and_attention(db, coord, elder, make):
    from datetime import datetime

    from app.i18n import HELSINKI

    now_local = datetime.now(HELSINKI)
    html = coord.get("/coordinator").get_data(as_text=True)
    assert "Tämän päivän tehtävät" in html
    if now_local.hour < 22:
        errand = make.request(elder, day=local_today(), hour=now_local.hour + 1).errands[0]
        html = coord.get("/coordinator").get_data(as_text=True)
        assert f'href="/errands/{errand.id}"' in html
        assert "1 asia vaatii huomiota" in html


def test_pages_are_scoped_to_the_coordinators_organizations(db, coord, make):
    other = make.organization(name="Toinen yhdistys")
    stranger = make.elder(org=other, first_name="Vieras")
    errand = make.request(stranger).errands[0]
    assert coord.get(f"/errands/{errand.id}").status_code == 403
    assert coord.get(f"/requests/{errand.request_id}").status_code == 403
    token_page = "/errands/day"
    for url in (f"/errands/{errand.id}/offer-top", f"/errands/{errand.id}/assign", f"/errands/{errand.id}/cancel"):
        assert coord.submit(url, {"count": "3"}, page=token_page).status_code == 403
    assert f"/errands/{errand.id}" not in coord.get(f"/errands/day?date={errand.starts_at.date()}").get_data(
        as_text=True
    )


def test_admin_sees_every_organization(db, client, make, elder):
    admin = make.admin()
    client.login(admin.email)
    errand = make.request(elder).errands[0]
    assert client.get(f"/errands/{errand.id}").status_code == 200
    # The lists without an organization condition: another organization's errand too.
    day = local_today() + timedelta(days=1)
    other = make.request(make.elder(org=make.organization(name="Toinen yhdistys")), day=day).errands[0]
    for url in (f"/errands/day?date={day}", f"/errands/week?start={day}"):
        html = client.get(url).get_data(as_text=True)
        assert f'href="/errands/{other.id}"' in html


def test_pages_need_login_and_the_right_role(db, client, make, elder):
    errand = make.request(elder).errands[0]
    assert client.get(f"/errands/{errand.id}").status_code == 302
    helper = make.helper()
    client.login(helper.user.email)
    for url in (f"/errands/{errand.id}", "/errands/day", "/errands/week", f"/requests/{errand.request_id}"):
        assert client.get(url).status_code == 403


def test_queries_per_page_do_not_grow_with_errands(db, coord, make, org, elder, count_queries):
    helper = make.helper(org=org, age=30)
    day = local_today() + timedelta(days=2)

    def count(url: str) -> int:
        with count_queries() as counter:
            assert coord.get(url).status_code == 200
        return counter.count

    first = make.request(elder, day=day, hour=9).errands[0]
    few_day, few_week, few_errand = (
        count(f"/errands/day?date={day}"),
        count(f"/errands/week?start={day}"),
        count(f"/errands/{first.id}"),
    )
    for hour in range(10, 16):
        e = make.request(make.elder(org=org), day=day, hour=hour).errands[0]
        make.assignment(e, helper)
        db.session.add(ErrandEvent(errand_id=first.id, from_state="open", to_state="open", note="x"))
    db.session.commit()
    assert count(f"/errands/day?date={day}") == few_day
    assert count(f"/errands/week?start={day}") == few_week
    assert count(f"/errands/{first.id}") == few_errand


def test_day_page_statements_do_not_grow_with_what_needs_attention(db, coord, make, org, elder, count_queries):
    """Errands without a helper soon, unanswered and waiting offers, alerts and the
    errands of the day are read in a fixed number of statements."""
    day = local_today() + timedelta(days=1)
    url = f"/errands/day?date={day}"

    def count() -> int:
        with count_queries() as counter:
            assert coord.get(url).status_code == 200
        return counter.count

    def add(hour: int) -> None:
        errand = make.request(make.elder(org=org), day=day, hour=hour).errands[0]
        slow, waiting = make.helper(org=org, age=30), make.helper(org=org, age=30)
        make.offer(errand, slow, status="expired", sent_at=utcnow() - timedelta(hours=13))
        make.offer(errand, waiting)
        db.session.add(
            CoordinatorAlert(organization_id=org.id, kind="late_withdrawal", message="x", errand_id=errand.id)
        )
        db.session.commit()

    add(9)
    few = count()
    for hour in range(10, 16):
        add(hour)
    html = coord.get(url).get_data(as_text=True)
    assert html.count("Ei vastausta:") == 7 and html.count("1 tarjous odottaa vastausta") == 7
    assert count() == few


def test_errand_page_statements_do_not_grow_with_candidates_offers_and_history(
    db, coord, make, org, elder, count_queries
):
    """More candidates, offers to them and history read in the same statements."""
    errand = make.request(elder, day=local_today() + timedelta(days=2), hour=12).errands[0]
    url = f"/errands/{errand.id}"

    def count() -> int:
        with count_queries() as counter:
            assert coord.get(url).status_code == 200
        return counter.count

    def add(n: int) -> None:
        for _ in range(n):
            helper = make.helper(org=org, age=30)
            make.offer(errand, helper, status="declined")
            db.session.add(ErrandEvent(errand_id=errand.id, from_state="open", to_state="open", note="x"))
        db.session.commit()

    add(1)
    few = count()
    add(8)
    html = coord.get(url).get_data(as_text=True)
    assert html.count('class="candidate card"') == 9 and html.count("<td>Ei päässyt</td>") == 9
    assert count() == few


def test_errand_page_offers_table_and_history_read_as_rows(db, coord, make, org, elder):
    """The offers (helper's name, place, status, times) and the history (who, from what to what)
    read as plain rows show as the ORM objects did."""
    errand = make.request(elder, day=local_today() + timedelta(days=2), hour=12).errands[0]
    helper = make.helper(org=org, first_name="Oona", last_name="Offeroitu", age=30)
    offer = make.offer(errand, helper, status="declined")
    offer.rank, offer.responded_at, offer.responded_via = 2, utcnow(), "sms"
    db.session.add(ErrandEvent(errand_id=errand.id, from_state="open", to_state="offered", actor_kind="system"))
    db.session.commit()
    html = coord.get(f"/errands/{errand.id}").get_data(as_text=True)
    assert "<td>Oona O. (sija 2)</td>" in html and "<td>Ei päässyt</td>" in html and "(tekstiviesti)" in html
    history = html.split('class="history"')[1]
    assert "(Kaisa Koordinaattori, koordinaattori)" in history  # the request's own event, by its coordinator
    assert "Odottaa auttajaa → Tarjottu auttajille\n      (automaattisesti)" in history


def test_errand_page_names_who_took_the_request_from_its_history_or_else_read(db, coord, make, org, elder):
    errand = make.request(elder).errands[0]  # taken by Kaisa, whose event opens the history
    html = coord.get(f"/errands/{errand.id}").get_data(as_text=True)
    assert "<dt>Kirjannut</dt><dd>Kaisa Koordinaattori, " in html
    db.session.execute(sa.update(ErrandEvent).where(ErrandEvent.errand_id == errand.id).values(actor_user_id=None))
    db.session.commit()  # no event of hers left: her name is read
    html = coord.get(f"/errands/{errand.id}").get_data(as_text=True)
    assert "<dt>Kirjannut</dt><dd>Kaisa Koordinaattori, " in html


def test_a_refused_form_shows_its_own_answers_and_the_next_page_a_fresh_form(db, coord, make, org, elder):
    """The fresh forms' fields are rendered once per language; a refused form never is."""
    import re

    def forms(html: str) -> str:
        parts = html.split('class="offer-top"')[1].split("</form>")[0] + html.split('id="cancel-heading"')[1]
        return re.sub(r'name="csrf_token" type="hidden" value="[^"]*"', "", parts)

    make.helper(org=org)
    errand = make.request(elder).errands[0]
    url = f"/errands/{errand.id}"
    fresh = forms(coord.get(url).get_data(as_text=True))
    assert 'value="3"' in fresh and "Kuka perui?" in fresh
    refused = coord.submit(f"{url}/offer-top", {"count": "11"}, page=url)
    assert refused.status_code == 422 and 'value="11"' in refused.get_data(as_text=True)
    refused = coord.submit(f"{url}/cancel", {"by_kind": "elder", "reason": ""}, page=url)
    assert refused.status_code == 422 and "Kirjoita lyhyt syy." in refused.get_data(as_text=True)
    assert forms(coord.get(url).get_data(as_text=True)) == fresh
    coord.submit("/lang", {"lang": "sv"}, page="/")
    swedish = forms(coord.get(url).get_data(as_text=True))
    assert swedish != fresh and "Kuka perui?" not in swedish and 'value="3"' in swedish


def test_errand_page_lists_every_helper_of_an_errand_in_order(db, coord, make, org, elder):
    """The helpers are loaded in the errand's own statement: all of them, in the order they came."""
    errand = make.request(elder, helpers_needed=3).errands[0]
    names = ("Eka", "Toka", "Kolmas")
    for name in names:
        make.assignment(errand, make.helper(org=org, first_name=name, last_name="Auttaja"))
    db.session.commit()
    html = coord.get(f"/errands/{errand.id}").get_data(as_text=True)
    helpers = html.split('id="helpers-heading"')[1].split("</section>")[0]
    assert [helpers.index(f"<strong>{n} A.</strong>") for n in names] == sorted(
        helpers.index(f"<strong>{n} A.</strong>") for n in names
    )
