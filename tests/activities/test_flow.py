"""The whole flow through the services and the SMS webhook: planning with repetition, inviting by
channel, yes/no by SMS recorded as a web sign-up, attendance -> one encounter -> stage change,
reminders and the under-minimum alert, proposals."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
import sqlalchemy as sa

from app.activities import attendance, invitations, operations, texts
from app.activities.operations import ActivityError, ActivityInput
from app.activities.signups import Person, sign_up
from app.encounters.services import pair_stage_for, person_stage_for
from app.i18n import to_local
from app.models import (
    Activity,
    ActivityInvitation,
    ActivitySignup,
    CoordinatorAlert,
    Encounter,
    SmsMessage,
    utcnow,
)
from app.privacy.collect import collect_elder
from app.privacy.erasure import erase_elder
from app.scheduling.jobs import job_activity_reminders
from app.sms.segments import segment_count
from tests.factories import in_days, local_today
from tests.sms.support import inbound, signed_post


def plan_input(place, org, **over) -> ActivityInput:
    data = dict(
        title="Kahvihetki kirjastolla",
        kind="shared_activity",
        place_id=place.id,
        day=local_today() + timedelta(days=2),
        start=time(13),
        end=time(15),
        organization_id=org.id,
        capacity_young=3,
        capacity_old=8,
        minimum=3,
    )
    data.update(over)
    return ActivityInput(**data)


def test_a_weekly_activity_is_one_row_per_occurrence_at_the_same_local_time(db, make):
    org = make.organization()
    coordinator = make.coordinator(org=org)
    place = make.place()
    first = local_today() + timedelta(days=2)
    rows = operations.plan_activity(
        plan_input(place, org, recurrence="weekly", recurrence_until=first + timedelta(days=28)), by=coordinator
    )
    db.session.commit()
    assert len(rows) == 5 and {r.series_id for r in rows} == {rows[0].id}
    assert [r.starts_at.astimezone(rows[0].starts_at.tzinfo) for r in rows] == sorted(r.starts_at for r in rows)
    assert {to_local(r.starts_at).time() for r in rows} == {time(13)}
    assert all(r.status == "approved" for r in rows)
    with pytest.raises(ActivityError) as err:
        operations.plan_activity(plan_input(place, org, recurrence="biweekly"), by=coordinator)
    assert err.value.code == "until_required"


def test_invitations_reach_each_person_by_their_channel(db, make):
    org = make.organization()
    coordinator = make.coordinator(org=org)
    activity = make.activity(org=org)
    own = make.elder(org=org, contact_channel="sms_self", elder_profile="koti_kunniaan")
    relative = make.elder(org=org, contact_channel="sms_relative", with_relative=True, elder_profile="yhteisoaktiivi")
    caller = make.elder(org=org, contact_channel="coordinator_call")
    helper = make.helper(org=org, age=19)
    quiet = make.helper(org=org, age=19, sms_opt_out=True)
    make.elder(org=make.organization())  # another organization's: never listed

    reach = invitations.candidates(activity, invitations.InviteFilter())
    assert reach.by_channel == {"sms": 2, "sms_relative": 1, "call": 1, "board": 1}
    assert reach.candidates[0].id == relative.id  # Yhteisöaktiivi first
    only_old = invitations.candidates(activity, invitations.InviteFilter(side="old", profiles=("yhteisoaktiivi",)))
    assert [c.id for c in only_old.candidates] == [relative.id]

    keys = [c.key for c in reach.candidates]
    sent = invitations.send_invitations(activity, keys, by=coordinator)
    db.session.commit()
    assert sent == {"sms": 2, "sms_relative": 1, "call": 1, "board": 1}
    messages = {m.to_phone: m for m in db.session.scalars(sa.select(SmsMessage).filter_by(kind="activity_invitation"))}
    assert set(messages) == {own.phone, relative.contacts[0].phone, helper.phone}
    assert all(segment_count(m.body) == 1 for m in messages.values())
    assert all("Diabetes" not in m.body and "Kauppakatu" not in m.body for m in messages.values())
    assert messages[own.phone].elder_id == own.id  # the older person's side: quiet hours apply
    alert = db.session.scalars(sa.select(CoordinatorAlert).filter_by(kind="activity_call_invite")).one()
    assert alert.elder_id == caller.id and alert.activity_id == activity.id
    assert quiet.id in {i.helper_id for i in db.session.scalars(sa.select(ActivityInvitation))}
    # Sending again invites nobody twice.
    assert invitations.send_invitations(activity, keys, by=coordinator) == {}


def test_sms_yes_and_no_answer_the_latest_invitation_like_a_web_sign_up(client, db, make, twilio_token):
    org = make.organization()
    coordinator = make.coordinator(org=org)
    activity = make.activity(org=org, capacity_old=1)
    first = make.elder(org=org, contact_channel="sms_self")
    second = make.elder(org=org, contact_channel="sms_relative", with_relative=True)
    third = make.elder(org=org, contact_channel="sms_self", language="sv")
    helper = make.helper(org=org, age=19)
    invitations.send_invitations(
        activity, [f"e{first.id}", f"e{second.id}", f"e{third.id}", f"h{helper.id}"], by=coordinator
    )
    db.session.commit()

    answer = signed_post(client, "/sms/inbound", inbound(first.phone, "kyllä"), twilio_token)
    assert "Kiitos" in answer.text
    answer = signed_post(client, "/sms/inbound", inbound(second.contacts[0].phone, "Kyllä!"), twilio_token)
    assert "jonossa" in answer.text or "varalla" in answer.text.lower() or "odotus" in answer.text.lower()
    signed_post(client, "/sms/inbound", inbound(third.phone, "NEJ"), twilio_token)
    signed_post(client, "/sms/inbound", inbound(helper.phone, "YES"), twilio_token)

    db.session.expire_all()
    rows = {
        (s.side, s.helper_id or s.elder_id): (s.status, s.via) for s in db.session.scalars(sa.select(ActivitySignup))
    }
    assert rows == {
        ("old", first.id): ("signed_up", "sms"),
        ("old", second.id): ("waiting", "sms"),
        ("young", helper.id): ("signed_up", "sms"),
    }
    answers = {i.elder_id or i.helper_id: i.answer for i in db.session.scalars(sa.select(ActivityInvitation))}
    assert answers == {first.id: "yes", second.id: "yes", third.id: "no", helper.id: "yes"}
    kinds = [m.kind for m in db.session.scalars(sa.select(SmsMessage).filter_by(direction="in"))]
    assert kinds == ["activity_yes", "activity_yes", "activity_no", "activity_yes"]


def test_a_yes_with_an_errand_code_still_goes_to_the_errand(client, db, make, twilio_token):
    org = make.organization()
    helper = make.helper(org=org, age=19)
    activity = make.activity(org=org)
    invitations.send_invitations(activity, [f"h{helper.id}"], by=make.coordinator(org=org))
    db.session.commit()
    signed_post(client, "/sms/inbound", inbound(helper.phone, "KYLLÄ 4242"), twilio_token)
    assert db.session.scalar(sa.select(sa.func.count(ActivitySignup.id))) == 0


def test_attendance_makes_one_encounter_that_moves_the_pair_to_stage_2(db, make):
    org = make.organization()
    coordinator = make.coordinator(org=org)
    helper = make.helper(org=org, age=19)
    other = make.helper(org=org, age=19)
    elder = make.elder(org=org)
    absent = make.elder(org=org)
    place = make.place(name="Sotkamon seurakuntatalo", municipality="Sotkamo")
    make.encounter(helper, elder, days_ago=20, kind="shared_activity", place="shared_space")
    assert pair_stage_for(helper.id, elder.id, utcnow()).stage == 1

    activity = make.activity(org=org, place=place, at=utcnow() - timedelta(minutes=30), run_by="together")
    signups = {}
    for person in (helper, other, elder, absent):
        signup = ActivitySignup(activity_id=activity.id, side=Person.of(person).side, slot=None, status="signed_up")
        signup.helper_id = person.id if Person.of(person).side == "young" else None
        signup.elder_id = person.id if Person.of(person).side == "old" else None
        db.session.add(signup)
        signups[person.id, Person.of(person).side] = signup
    db.session.commit()

    came = {signups[helper.id, "young"].id, signups[other.id, "young"].id, signups[elder.id, "old"].id}
    encounter = attendance.save_attendance(activity.id, came, by=coordinator)
    db.session.commit()

    encounter = db.session.get(Encounter, encounter.id)
    assert encounter.place_kind == "shared_space" and encounter.place_name == "Sotkamon seurakuntatalo"
    assert encounter.kind == "shared_activity" and encounter.led_by == "together"
    assert encounter.initiated_by == "participants" and encounter.organization_id == org.id
    assert {p.helper_id for p in encounter.participants if p.helper_id} == {helper.id, other.id}
    assert {p.elder_id for p in encounter.participants if p.elder_id} == {elder.id}
    assert db.session.get(ActivitySignup, signups[absent.id, "old"].id).status == "no_show"
    assert db.session.get(Activity, activity.id).encounter_id == encounter.id
    assert pair_stage_for(helper.id, elder.id, utcnow()).stage == 2
    assert person_stage_for("helper", other.id, utcnow()).stage == 1
    with pytest.raises(ActivityError) as err:
        attendance.save_attendance(activity.id, came, by=coordinator)
    assert err.value.code == "attendance_saved"


def test_attendance_is_not_taken_before_the_start(db, make):
    activity = make.activity(days=1)
    with pytest.raises(ActivityError) as err:
        attendance.save_attendance(activity.id, set(), by=make.coordinator())
    assert err.value.code == "not_yet"


def test_reminders_the_day_before_and_an_alert_under_the_minimum_once(db, make):
    org = make.organization()
    helper = make.helper(org=org, age=19)
    elder = make.elder(org=org, contact_channel="sms_self")
    caller = make.elder(org=org, contact_channel="coordinator_call")
    tomorrow = make.activity(org=org, at=in_days(1, 14), minimum=4)
    full_enough = make.activity(org=org, at=in_days(1, 16), minimum=1)
    later = make.activity(org=org, at=in_days(5, 14), minimum=3)
    for activity in (tomorrow, full_enough, later):
        sign_up(activity.id, Person.of(helper), via="web")
    sign_up(tomorrow.id, Person.of(elder), via="coordinator")
    sign_up(tomorrow.id, Person.of(caller), via="coordinator")
    db.session.commit()

    evening = in_days(0, 19)
    created = job_activity_reminders(evening)
    assert created == 5  # three reminders, a call to remind, an under-minimum alert
    assert job_activity_reminders(evening + timedelta(minutes=5)) == 0
    reminders = db.session.scalars(sa.select(SmsMessage).filter_by(kind="activity_reminder")).all()
    assert sorted((m.to_phone, m.body.count("Kahvihetki")) for m in reminders) == sorted(
        [(helper.phone, 1), (helper.phone, 1), (elder.phone, 1)]
    )
    alert = db.session.scalars(sa.select(CoordinatorAlert).filter_by(kind="activity_under_minimum")).one()
    assert alert.activity_id == tomorrow.id
    call = db.session.scalars(sa.select(CoordinatorAlert).filter_by(kind="activity_call_reminder")).one()
    assert (call.elder_id, call.activity_id) == (caller.id, tomorrow.id) and "Kahvihetki" in call.message


def test_helpers_propose_within_the_rules_and_a_coordinator_approves(db, make):
    org = make.organization()
    coordinator = make.coordinator(org=org)
    adult = make.helper(org=org, age=19)
    minor = make.helper(org=org, age=16)
    no_consent = make.helper(org=org, age=16, consent=False)
    place = make.place()
    rows = operations.propose_activity(plan_input(place, org, run_by="helpers"), by=adult.user)
    assert rows[0].status == "proposed" and rows[0].runner_helper_id == adult.id
    with pytest.raises(ActivityError) as err:
        operations.propose_activity(plan_input(place, org, start=time(19), end=time(21)), by=minor.user)
    assert err.value.code == "minor_hours"
    with pytest.raises(ActivityError) as err:
        operations.propose_activity(plan_input(place, org), by=no_consent.user)
    assert err.value.code == "not_eligible"
    with pytest.raises(ActivityError) as err:
        invitations.send_invitations(rows[0], [f"h{minor.id}"], by=coordinator)
    assert err.value.code == "not_approved"
    operations.approve(rows[0], by=coordinator)
    assert rows[0].status == "approved"
    elder = make.elder(org=org)
    idea = operations.elder_idea(plan_input(place, org), elder, by=coordinator)
    assert idea[0].status == "proposed" and idea[0].idea_of_elder_id == elder.id


@pytest.mark.parametrize("lang", ["fi", "sv"])
def test_every_activity_text_is_one_segment_at_its_longest(app, db, make, lang):
    place = make.place(name="Suomussalmen Ämmänsaaren seurakuntakeskuksen iso sali ja kahvio")
    activity = make.activity(place=place, title="Puhelin- ja tietokoneapua ikäihmisille joka torstai kirjastolla")
    bodies = [
        texts.invitation_text(activity, lang, to_older_side=True),
        texts.invitation_text(activity, lang, to_older_side=False),
        texts.place_opened_text(activity, lang),
        texts.reminder_text(activity, lang),
        *(texts.answer_text(w, activity, lang) for w in ("signed_up", "waiting", "declined", "closed")),
    ]
    for body in bodies:
        assert segment_count(body) == 1, (lang, len(body), body)


def test_erasing_an_older_person_forgets_the_number_their_invitation_went_to(db, make):
    org = make.organization()
    coordinator = make.coordinator(org=org)
    elder = make.elder(org=org, contact_channel="sms_relative", with_relative=True)
    activity = make.activity(org=org)
    invitations.send_invitations(activity, [f"e{elder.id}"], by=coordinator)
    db.session.commit()
    erase_elder(elder, by=coordinator, reason="Pyysi poistamaan tiedot")
    db.session.commit()
    invitation = db.session.scalars(sa.select(ActivityInvitation)).one()
    assert invitation.phone is None and invitation.elder_id == elder.id


def test_an_older_persons_data_export_lists_their_activities_and_invitations(db, make):
    org = make.organization()
    elder = make.elder(org=org, contact_channel="sms_self")
    activity = make.activity(org=org, title="Kyläilta")
    invitations.send_invitations(activity, [f"e{elder.id}"], by=make.coordinator(org=org))
    sign_up(activity.id, Person.of(elder), via="sms")
    db.session.commit()
    data = collect_elder(elder).as_dict()
    assert [(r["title"], r["status"], r["via"]) for r in data["activities"]] == [("Kyläilta", "signed_up", "sms")]
    assert [(r["title"], r["channel"], r["phone"]) for r in data["activity_invitations"]] == [
        ("Kyläilta", "sms", elder.phone)
    ]
