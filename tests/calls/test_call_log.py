"""The call log: the quick form from a person's page and the menu, the list, and who may use them."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from app.models import Callback, CallLog, utcnow
from tests.factories import local_today


def _calls(db) -> list[CallLog]:
    return list(db.session.scalars(sa.select(CallLog).order_by(CallLog.id)))


def test_a_call_is_logged_from_the_elder_page_in_one_post(db, coord, elder):
    page = coord.get(f"/elders/{elder.id}").get_data(as_text=True)
    assert "Kirjaa puhelu" in page and 'name="elder_id"' in page
    response = coord.submit(
        "/calls/new",
        {
            "elder_id": str(elder.id),
            "caller_kind": "relative",
            "phone": "040 300 0001",
            "topic": "change",
            "outcome": "handled",
            "note": "Siirto ensi viikkoon",
            "next": f"/elders/{elder.id}",
        },
        page=f"/elders/{elder.id}",
    )
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/elders/{elder.id}")
    (call,) = _calls(db)
    assert (call.elder_id, call.organization_id, call.caller_kind, call.phone) == (
        elder.id,
        elder.organization_id,
        "relative",
        "+358403000001",
    )
    assert call.coordinator_id == coord.user.id and call.topic == "change" and call.outcome == "handled"
    html = coord.get(f"/elders/{elder.id}").get_data(as_text=True)
    assert "Siirto ensi viikkoon" in html and "040 300 0001" in html


def test_without_a_number_the_persons_own_is_logged(db, coord, elder):
    coord.submit(
        "/calls/new", {"elder_id": str(elder.id), "caller_kind": "elder", "topic": "question", "outcome": "handled"}
    )
    assert _calls(db)[0].phone == "+358401234567"


def test_a_callback_from_the_call_form_is_on_the_day_page_with_its_time(db, coord, elder):
    coord.submit(
        "/calls/new",
        {
            "elder_id": str(elder.id),
            "caller_kind": "elder",
            "topic": "new_request",
            "outcome": "callback",
            "callback_day": local_today().isoformat(),
            "callback_time": "14:00",
        },
    )
    (callback,) = db.session.scalars(sa.select(Callback)).all()
    assert callback.call_id == _calls(db)[0].id and callback.outcome is None
    day = coord.get("/errands/day").get_data(as_text=True)
    assert "Takaisinsoitot" in day and "14.00" in day and "Aili Ahonen" in day and "040 123 4567" in day


def test_a_time_alone_makes_the_call_a_callback(db, coord, elder):
    coord.submit(
        "/calls/new",
        {
            "elder_id": str(elder.id),
            "caller_kind": "elder",
            "topic": "question",
            "outcome": "handled",
            "callback_time": "15:30",
        },
    )
    assert _calls(db)[0].outcome == "callback"
    assert db.session.scalar(sa.select(sa.func.count(Callback.id))) == 1


def test_callback_without_a_time_keeps_what_was_typed(db, coord, elder):
    response = coord.submit(
        "/calls/new",
        {
            "elder_id": str(elder.id),
            "caller_kind": "elder",
            "topic": "question",
            "outcome": "callback",
            "note": "Kysyy kauppa-avusta",
        },
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "Anna aika, jolloin soitetaan takaisin." in html
    assert "Kysyy kauppa-avusta" in html and _calls(db) == []


def test_a_bad_number_is_told_in_the_users_language(db, coord, elder):
    response = coord.submit(
        "/calls/new",
        {"elder_id": str(elder.id), "caller_kind": "other", "phone": "12", "topic": "question", "outcome": "handled"},
    )
    assert response.status_code == 400 and "Tarkista numero" in response.get_data(as_text=True)
    assert _calls(db) == []


def test_overdue_callbacks_are_marked_and_the_buttons_close_or_move_them(db, coord, elder, org):
    late = Callback(organization_id=org.id, elder_id=elder.id, phone=elder.phone, due_at=utcnow() - timedelta(hours=1))
    db.session.add(late)
    db.session.commit()
    day = coord.get("/errands/day").get_data(as_text=True)
    assert "Myöhässä" in day
    coord.submit(
        f"/calls/callbacks/{late.id}",
        {"action": "again", "due_day": local_today().isoformat(), "due_time": "23:59"},
        page="/errands/day",
    )
    db.session.refresh(late)
    assert late.outcome is None and late.tries == 1
    assert "Myöhässä" not in coord.get("/errands/day").get_data(as_text=True)
    coord.submit(f"/calls/callbacks/{late.id}", {"action": "not_reached"}, page="/errands/day")
    db.session.refresh(late)
    assert (late.outcome, late.tries, late.closed_by_id) == ("not_reached", 2, coord.user.id)
    assert "Aili Ahonen" not in coord.get("/errands/day").get_data(as_text=True)


def test_a_callback_on_its_own(db, coord, org):
    response = coord.submit(
        "/calls/callbacks/new",
        {
            "organization_id": str(org.id),
            "name": "Tuntematon soittaja",
            "phone": "08 612 3456",
            "due_day": local_today().isoformat(),
            "due_time": "16:00",
        },
    )
    assert response.status_code == 302
    callback = db.session.scalar(sa.select(Callback))
    assert (callback.name, callback.phone, callback.call_id) == ("Tuntematon soittaja", "+35886123456", None)
    assert "08 612 3456" in coord.get("/errands/day").get_data(as_text=True)


def test_a_coordinator_of_several_organizations_chooses_one(db, client, make, org):
    other = make.organization(name="Sotkamon seurakunta", municipalities=("Sotkamo",))
    user = make.user("coordinator", orgs=(org, other))
    client.login(user.email)
    html = client.get("/calls/new").get_data(as_text=True)
    select = html.split('name="organization_id"')[1].split("</select>")[0]
    assert '<option selected value="">' in select and select.count("selected") == 1
    response = client.submit("/calls/new", {"caller_kind": "other", "topic": "question", "outcome": "handled"})
    assert response.status_code == 400 and "Valitse organisaatio." in response.get_data(as_text=True)
    assert _calls(db) == []


def test_the_list_shows_the_organizations_calls_filtered(db, coord, make, org, elder):
    other_org = make.organization(name="Kuhmon ystäväpalvelu", municipalities=("Kuhmo",))
    db.session.add_all(
        [
            CallLog(
                organization_id=org.id,
                caller_kind="elder",
                topic="question",
                outcome="handled",
                elder_id=elder.id,
                note="Oma puhelu",
            ),
            CallLog(
                organization_id=org.id,
                caller_kind="helper",
                topic="cancel",
                outcome="forwarded",
                note="Auttajan puhelu",
                called_at=utcnow() - timedelta(days=2),
            ),
            CallLog(
                organization_id=other_org.id,
                caller_kind="elder",
                topic="question",
                outcome="handled",
                note="Vieras puhelu",
            ),
        ]
    )
    db.session.commit()
    html = coord.get("/calls/").get_data(as_text=True)
    assert "Oma puhelu" in html and "Auttajan puhelu" in html and "Vieras puhelu" not in html
    assert html.index("Oma puhelu") < html.index("Auttajan puhelu")  # today's first
    today = coord.get(f"/calls/?day={local_today().isoformat()}").get_data(as_text=True)
    assert "Oma puhelu" in today and "Auttajan puhelu" not in today
    helpers = coord.get("/calls/?caller_kind=helper").get_data(as_text=True)
    assert "Auttajan puhelu" in helpers and "Oma puhelu" not in helpers


def test_the_helper_page_has_the_call_form(db, coord, make, org):
    helper = make.helper(org=org, age=19)
    html = coord.get(f"/helpers/{helper.id}").get_data(as_text=True)
    assert "Kirjaa puhelu" in html and f'name="helper_id" type="hidden" value="{helper.id}"' in html


def test_access(db, client, make, org, elder):
    assert "/auth/login" in client.get("/calls/").headers["Location"]
    helper = make.helper(org=org, age=19)
    client.login(helper.user.email)
    assert client.get("/calls/").status_code == 403 and client.get("/calls/new").status_code == 403
    client.logout()
    stranger = make.coordinator(org=make.organization(name="Kuhmon ystäväpalvelu", municipalities=("Kuhmo",)))
    client.login(stranger.email)
    response = client.submit(
        "/calls/new", {"elder_id": str(elder.id), "caller_kind": "elder", "topic": "question", "outcome": "handled"}
    )
    assert response.status_code == 400 and _calls(db) == []
    callback = Callback(organization_id=org.id, elder_id=elder.id, due_at=utcnow())
    db.session.add(callback)
    db.session.commit()
    assert client.submit(f"/calls/callbacks/{callback.id}", {"action": "done"}, page="/calls/").status_code == 404
    db.session.refresh(callback)
    assert callback.outcome is None


def test_day_page_statements_do_not_grow_with_callbacks(db, coord, make, org, count_queries):
    def count() -> int:
        with count_queries() as counter:
            assert coord.get("/errands/day").status_code == 200
        return counter.count

    def add() -> None:
        helper = make.helper(org=org, age=30)
        db.session.add_all(
            [
                Callback(organization_id=org.id, elder_id=make.elder(org=org).id, due_at=utcnow()),
                Callback(organization_id=org.id, helper_id=helper.id, due_at=utcnow() - timedelta(hours=2)),
            ]
        )
        db.session.commit()

    add()
    few = count()
    for _ in range(4):
        add()
    assert count() == few


def test_the_quick_form_keeps_its_person_when_the_page_comes_back_with_an_error(db, coord, elder):
    response = coord.submit(f"/elders/{elder.id}/place", {"place-lat": "abc"}, page=f"/elders/{elder.id}")
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and f'name="elder_id" type="hidden" value="{elder.id}"' in html
