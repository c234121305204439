"""The activities pages: who may open them, planning, the calendar views, the activity page,
inviting, attendance on a phone, the helper's section and the calendar feeds."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from icalendar import Calendar

from app.activities.feeds import feed_token
from app.activities.signups import Person, sign_up
from app.models import Activity, ActivitySignup, Encounter, utcnow
from tests.factories import local_today


def english(client) -> None:
    client.submit("/lang", {"lang": "en", "next": "/"}, page="/")


@pytest.fixture()
def setting(make):
    org = make.organization()
    coordinator = make.coordinator(org=org)
    activity = make.activity(org=org)
    return org, coordinator, activity


COORDINATOR_PAGES = ["/activities/", "/activities/new", "/activities/places/new", "/activities/{id}",
                     "/activities/{id}/edit", "/activities/{id}/invite"]  # fmt: skip


@pytest.mark.parametrize("path", COORDINATOR_PAGES + ["/activities/{id}/attendance", "/activities/mine"])
def test_anonymous_visitors_are_sent_to_log_in(client, setting, path):
    response = client.get(path.format(id=setting[2].id))
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


@pytest.mark.parametrize("path", COORDINATOR_PAGES)
def test_helpers_may_not_open_coordinator_pages(client, make, setting, path):
    helper = make.helper(org=setting[0], age=19)
    client.login(helper.user.email)
    assert client.get(path.format(id=setting[2].id)).status_code == 403


@pytest.mark.parametrize("path", ["/activities/{id}", "/activities/{id}/edit", "/activities/{id}/invite",
                                  "/activities/{id}/attendance"])  # fmt: skip
def test_a_coordinator_of_another_organization_gets_404(client, make, setting, path):
    client.login(make.coordinator().email)
    assert client.get(path.format(id=setting[2].id)).status_code == 404


def test_other_organizations_activities_stay_off_the_calendar_and_posts_are_refused(client, make, setting):
    org, coordinator, activity = setting
    other = make.coordinator()
    client.login(other.email)
    assert activity.title not in client.get("/activities/").text
    client.logout()
    client.login(other.email)
    token = client.csrf_token("/activities/")
    for path in ("approve", "cancel", "people"):
        assert client.post(f"/activities/{activity.id}/{path}", data={"csrf_token": token}).status_code == 404


def test_a_coordinator_plans_a_weekly_activity_and_sees_it_in_both_views(client, make, db):
    org = make.organization()
    coordinator = make.coordinator(org=org)
    place = make.place(name="Paltamon kirjasto", municipality="Kajaani")
    client.login(coordinator.email)
    english(client)
    day = local_today() + timedelta(days=1)
    form = {
        "title": "Kahvihetki",
        "kind": "shared_activity",
        "organization_id": str(org.id),
        "place_id": str(place.id),
        "day": day.isoformat(),
        "start": "13:00",
        "end": "15:00",
        "recurrence": "weekly",
        "recurrence_until": "",
        "capacity_young": "3",
        "capacity_old": "8",
        "minimum": "3",
        "run_by": "together",
        "runner_helper_id": "",
        "description_fi": "Kahvia ja juttua.",
        "description_sv": "Kaffe och prat.",
        "idea_of_elder_id": "",
    }
    bad = client.submit("/activities/new", form)
    assert bad.status_code == 200 and "last day of the repetition" in bad.text
    assert 'value="Kahvihetki"' in bad.text and "Kahvia ja juttua." in bad.text  # nothing typed is lost
    form["recurrence_until"] = (day + timedelta(days=14)).isoformat()
    response = client.submit("/activities/new", form)
    assert response.status_code == 302
    rows = db.session.scalars(sa.select(Activity).order_by(Activity.starts_at)).all()
    assert len(rows) == 3 and rows[0].run_by == "together"
    listing = client.get("/activities/")
    assert listing.text.count("Kahvihetki") == 3 and "Paltamon kirjasto" in listing.text
    week = client.get(f"/activities/?view=week&start={day.isoformat()}")
    assert week.status_code == 200 and "Kahvihetki" in week.text and "Week of" in week.text
    page = client.get(f"/activities/{rows[0].id}")
    assert "Invite people" in page.text and "Planned" in page.text


def test_the_activity_page_shows_sign_ups_waiting_list_and_adds_a_caller(client, make, db, setting):
    org, coordinator, activity = setting
    activity.capacity_old = 1
    db.session.commit()
    first, caller = make.elder(org=org, first_name="Impi"), make.elder(org=org, first_name="Lyyli")
    sign_up(activity.id, Person.of(first), via="sms")
    db.session.commit()
    client.login(coordinator.email)
    english(client)
    response = client.submit(
        f"/activities/{activity.id}/people", {"person": f"e{caller.id}"}, page=f"/activities/{activity.id}"
    )
    assert response.status_code == 302
    page = client.get(f"/activities/{activity.id}").text
    assert "Impi" in page and "Lyyli" in page and "On the waiting list" in page and "by a coordinator" in page


def test_the_invite_page_counts_channels_and_sends(client, make, db, setting):
    org, coordinator, activity = setting
    elder = make.elder(org=org, contact_channel="coordinator_call")
    helper = make.helper(org=org, age=19)
    client.login(coordinator.email)
    english(client)
    page = client.get(f"/activities/{activity.id}/invite")
    assert page.status_code == 200 and "Call to invite (coordinator)" in page.text
    response = client.submit(f"/activities/{activity.id}/invite", {"people": [f"e{elder.id}", f"h{helper.id}"]})
    assert response.status_code == 302
    again = client.get(f"/activities/{activity.id}/invite").text
    assert again.count("already invited") == 2


def test_the_helper_who_runs_it_takes_attendance_and_it_becomes_an_encounter(client, make, db):
    org = make.organization()
    runner = make.helper(org=org, age=19)
    stranger = make.helper(org=org, age=19)
    elder = make.elder(org=org, first_name="Sylvi")
    activity = make.activity(org=org, at=utcnow() - timedelta(minutes=5), runner_helper_id=runner.id, run_by="helpers")
    for person in (runner, elder):
        p = Person.of(person)
        db.session.add(ActivitySignup(activity_id=activity.id, side=p.side, status="signed_up",
                                      helper_id=person.id if p.side == "young" else None,
                                      elder_id=person.id if p.side == "old" else None))  # fmt: skip
    db.session.commit()
    client.login(stranger.user.email)
    assert client.get(f"/activities/{activity.id}/attendance").status_code == 403
    client.logout()
    client.login(runner.user.email)
    english(client)
    page = client.get(f"/activities/{activity.id}/attendance")
    assert page.status_code == 200 and "Who came?" in page.text and "Sylvi" in page.text
    ids = [str(s.id) for s in db.session.scalars(sa.select(ActivitySignup))]
    response = client.submit(f"/activities/{activity.id}/attendance", {"came": ids})
    assert response.status_code == 302
    encounter = db.session.scalars(sa.select(Encounter)).one()
    assert encounter.led_by == "helper" and encounter.logged_by_id == runner.user_id
    assert "Attendance saved" in client.get(f"/activities/{activity.id}/attendance").text


def test_helpers_sign_up_and_cancel_on_their_activities_page(client, make, db, setting):
    org, coordinator, activity = setting
    helper = make.helper(org=org, age=19)
    make.activity(org=make.organization(), title="Toisen yhdistyksen ilta")
    client.login(helper.user.email)
    english(client)
    page = client.get("/activities/mine")
    assert activity.title in page.text and "Toisen yhdistyksen ilta" not in page.text
    assert activity.title in client.get("/helper").text  # the section on the start page
    assert 'href="/activities/mine"' in client.get("/board").text  # and on the errand board
    client.submit(f"/activities/{activity.id}/join", page="/activities/mine")
    signup = db.session.scalars(sa.select(ActivitySignup)).one()
    assert (signup.helper_id, signup.status, signup.via) == (helper.id, "signed_up", "web")
    client.submit(f"/activities/{activity.id}/leave", page="/activities/mine")
    db.session.expire_all()
    assert db.session.get(ActivitySignup, signup.id).status == "cancelled"


def test_a_helper_proposes_and_the_coordinator_approves(client, make, db):
    org = make.organization()
    helper = make.helper(org=org, age=19)
    coordinator = make.coordinator(org=org)
    place = make.place()
    client.login(helper.user.email)
    day = (local_today() + timedelta(days=4)).isoformat()
    form = {"title": "Puhelinapu-tunti", "kind": "shared_activity", "place_id": str(place.id), "day": day,
            "start": "16:00", "end": "17:30", "capacity_young": "2", "capacity_old": "6",
            "description_fi": "", "description_sv": ""}  # fmt: skip
    assert client.submit("/activities/propose", form).status_code == 302
    proposal = db.session.scalars(sa.select(Activity)).one()
    assert proposal.status == "proposed" and proposal.organised_by_participants
    client.logout()
    client.login(coordinator.email)
    assert "Puhelinapu-tunti" in client.get("/activities/").text
    client.submit(f"/activities/{proposal.id}/approve", page=f"/activities/{proposal.id}")
    db.session.expire_all()
    assert db.session.get(Activity, proposal.id).status == "approved"


def test_the_organization_feed_and_the_helpers_own_feed(client, make, db, app, setting):
    org, coordinator, activity = setting
    helper = make.helper(org=org, age=19)
    sign_up(activity.id, Person.of(helper), via="web")
    helper.calendar_token = "a" * 32
    db.session.commit()
    with app.test_request_context():
        token = feed_token(org.id)
    assert client.get(f"/activities/feed/{org.id}/{'0' * 32}.ics").status_code == 404
    feed = Calendar.from_ical(client.get(f"/activities/feed/{org.id}/{token}.ics").get_data())
    assert [str(e["summary"]) for e in feed.walk("VEVENT")] == [activity.title]
    own = Calendar.from_ical(client.get(f"/calendar/{'a' * 32}.ics").get_data())
    assert activity.title in [str(e["summary"]) for e in own.walk("VEVENT")]


def test_a_coordinator_changes_an_activity_and_the_pages_read_in_swedish(client, make, db, setting):
    org, coordinator, activity = setting
    client.login(coordinator.email)
    client.submit("/lang", {"lang": "sv", "next": "/"}, page="/")
    page = client.get(f"/activities/{activity.id}/edit")
    assert page.status_code == 200 and "Ändra aktiviteten" in page.text and "Aktivitetens namn" in page.text
    form = {
        "title": "Kaffestund på biblioteket",
        "kind": "shared_activity",
        "organization_id": str(org.id),
        "place_id": str(activity.place_id),
        "day": (local_today() + timedelta(days=3)).isoformat(),
        "start": "14:00",
        "end": "16:00",
        "capacity_young": "3",
        "capacity_old": "6",
        "minimum": "2",
        "run_by": "coordinator",
        "runner_helper_id": "",
        "description_fi": "",
        "description_sv": "Kaffe och prat.",
    }
    assert client.submit(f"/activities/{activity.id}/edit", form).status_code == 302
    db.session.expire_all()
    assert db.session.get(Activity, activity.id).title == "Kaffestund på biblioteket"
    calendar = client.get("/activities/").text
    assert "Aktiviteter" in calendar and "Kaffestund på biblioteket" in calendar and "Unga: 0/3" in calendar
