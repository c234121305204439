"""Erased older residents out of the way (list, search, pickers, their page), the
retention erasure's reason shown translated, and the retention of relatives: their
rows, their SMS here and at Twilio, and the job's counts in the admins' audit log."""

from __future__ import annotations

import json
from datetime import time, timedelta

import pytest
import sqlalchemy as sa

from app.elders.intake import change_status
from app.elders.problems import ElderInputError
from app.encounters.operations import EncounterError, EncounterInput, log_encounter
from app.encounters.queries import allowed_elder_ids
from app.errands import agenda
from app.errands.requests import RequestInput, RequestInvalid, create_request
from app.models import AuditLog, ContactPerson, Elder, SmsMessage, TaskType, utcnow
from app.privacy.erasure import erase_elder
from app.privacy.retention import RETENTION_ACTION, anonymise_expired
from app.scheduling.jobs import JOBS, job_anonymise_ended, job_provider_erasure
from app.scheduling.process import run_job
from app.sms.inbound import receive
from tests.factories import local_today
from tests.privacy.conftest import CONTACT_SECRETS, cancel_coming


def _lang(client, lang: str) -> None:
    client.submit("/lang", {"lang": lang, "next": "/"}, page="/")


def _erase(db, elder, coordinator, reason: str = "Pyysi itse") -> None:
    erase_elder(elder, by=coordinator, reason=reason)
    db.session.commit()


def _retention_erase(db, elder, now=None) -> None:
    now = now or utcnow()
    change_status(elder, "ended")
    elder.ended_at = now - timedelta(days=800)
    db.session.commit()
    report = anonymise_expired(now)
    db.session.commit()
    assert report.elders_erased == 1


# -- out of the way -----------------------------------------------------------


def test_the_list_and_search_leave_out_erased_people_unless_the_filter_asks(db, coord, make, org, coordinator):
    gone = make.elder(org=org, first_name="Unto", last_name="Menneinen")
    make.elder(org=org, first_name="Kalle", last_name="Pysyvä")
    _erase(db, gone, coordinator)
    _lang(coord, "en")

    html = coord.get("/elders/").get_data(as_text=True)
    assert "People found: 1" in html and "Pysyvä" in html and "Poistettu" not in html
    assert "People found: 0" in coord.get("/elders/?q=Poistettu").get_data(as_text=True)
    assert "People found: 0" in coord.get("/elders/?status=ended").get_data(as_text=True)

    html = coord.get("/elders/?erased=include").get_data(as_text=True)
    assert "People found: 2" in html and "Data erased" in html
    html = coord.get("/elders/?erased=only").get_data(as_text=True)
    assert "People found: 1" in html and "Poistettu" in html and "Pysyvä" not in html
    assert "People found: 1" in coord.get("/elders/?erased=only&status=ended").get_data(as_text=True)
    # An unknown filter value is the default, not an error.
    response = coord.get("/elders/?erased=%00kaikki")
    assert response.status_code == 200 and "People found: 1" in response.get_data(as_text=True)


def test_the_erased_persons_page_says_so_and_nothing_can_be_changed(db, coord, make, org, coordinator):
    elder = make.elder(org=org, first_name="Unto", last_name="Menneinen")
    _erase(db, elder, coordinator, reason="Omainen pyysi poistoa")
    _lang(coord, "en")
    page = f"/elders/{elder.id}"

    html = coord.get(page).get_data(as_text=True)
    assert "This older resident's personal data was erased." in html
    assert "Erased on" in html and "A coordinator" in html and "Omainen pyysi poistoa" in html
    assert coordinator.name not in html and "Menneinen" not in html
    assert f"{page}/edit" not in html and f"{page}/status" not in html

    response = coord.get(f"{page}/edit")
    assert response.status_code == 302 and response.headers["Location"].endswith(page)
    assert "nothing can be changed" in coord.get(page).get_data(as_text=True)
    response = coord.submit(f"{page}/status", {"status-status": "active", "status-reason": ""}, page=page)
    assert response.status_code == 302
    response = coord.submit(f"{page}/place", {"place-lat": "64.2", "place-lon": "27.7"}, page=page)
    assert response.status_code == 302
    db.session.expire_all()
    elder = db.session.get(Elder, elder.id)
    assert elder.status == "ended" and elder.lat is None
    with pytest.raises(ElderInputError):
        change_status(elder, "active")


def test_an_erased_person_cannot_be_picked_for_requests_or_encounters(db, scenario):
    cancel_coming(scenario)
    elder, helper = scenario.elder, scenario.helper
    assert elder.id in allowed_elder_ids(helper.user)  # the helper met them on an errand
    _erase(db, elder, scenario.coordinator)

    assert elder.id not in allowed_elder_ids(scenario.coordinator)
    assert elder.id not in allowed_elder_ids(helper.user)
    assert elder not in agenda.elder_choices(None)
    task = db.session.scalar(sa.select(TaskType.id).where(TaskType.code == "shopping"))
    with pytest.raises(RequestInvalid) as info:
        create_request(
            RequestInput(
                elder_id=elder.id,
                task_type_id=task,
                requested_by="self",
                date_from=local_today() + timedelta(days=3),
                time_from=time(12, 0),
            ),
            taken_by=scenario.coordinator,
        )
    assert ("elder", "elder_erased") in info.value.problems
    with pytest.raises(EncounterError) as refused:
        log_encounter(
            EncounterInput(
                helper_ids=(helper.id,),
                elder_ids=(elder.id,),
                kind="company_walk",
                place_kind="home",
                occurred_at=utcnow() - timedelta(hours=2),
                duration_minutes=60,
                initiated_by="helper",
                led_by="helper",
            ),
            by=helper.user,
        )
    assert refused.value.args[0] == "elder_not_allowed"


# -- the retention erasure's reason, translated ---------------------------------


@pytest.mark.parametrize(
    ("lang", "reason", "by"),
    [
        ("fi", "Säilytysaika päättyi", "Palvelu automaattisesti"),
        ("sv", "Förvaringstiden gick ut", "Tjänsten automatiskt"),
        ("en", "The retention period ended", "The platform, automatically"),
    ],
)
def test_the_retention_reason_is_a_code_shown_in_the_readers_language(db, coord, make, org, lang, reason, by):
    elder = make.elder(org=org)
    _retention_erase(db, elder)
    entry = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "person.erase"))
    assert entry.details["reason_code"] == "retention" and "reason" not in entry.details

    _lang(coord, lang)
    html = coord.get(f"/elders/{elder.id}").get_data(as_text=True)
    assert reason in html and by in html
    exported = json.loads(coord.get(f"/privacy/elders/{elder.id}/export.json").get_data(as_text=True))
    [erasure] = [a for a in exported["audit"] if a["action"] == "person.erase"]
    assert erasure["details"]["reason_code"] == "retention" and erasure["details"]["reason"] == reason


def test_a_typed_reason_stays_as_typed_in_every_language(db, coord, make, org, coordinator):
    elder = make.elder(org=org)
    _erase(db, elder, coordinator, reason="Omainen pyysi poistoa")
    for lang in ("fi", "sv", "en"):
        _lang(coord, lang)
        assert "Omainen pyysi poistoa" in coord.get(f"/elders/{elder.id}").get_data(as_text=True)


# -- relatives, retention, and the job's report ---------------------------------


def test_retention_erases_the_relatives_and_their_sms_here_and_at_twilio(app, db, fake_twilio, scenario):
    contact_phone = CONTACT_SECRETS["phone"]
    body = "Tassa Tyttaretta, aidin asiasta"
    sid = fake_twilio.receive(contact_phone, body)
    receive({"MessageSid": sid, "From": contact_phone, "Body": body})
    db.session.commit()
    contact_id = scenario.contact.id
    assert db.session.scalar(sa.select(SmsMessage).where(SmsMessage.provider_sid == sid)).contact_id == contact_id
    cancel_coming(scenario)
    change_status(scenario.elder, "ended")
    scenario.elder.ended_at = utcnow() - timedelta(days=800)
    db.session.commit()

    spec = next(j for j in JOBS if j.func is job_anonymise_ended)
    assert run_job(app, spec) == 1
    db.session.expire_all()
    assert db.session.get(ContactPerson, contact_id) is None
    with_number = sa.or_(SmsMessage.to_phone == contact_phone, SmsMessage.from_phone == contact_phone)
    assert db.session.scalar(sa.select(sa.func.count(SmsMessage.id)).where(with_number)) == 0
    inbound = db.session.scalar(sa.select(SmsMessage).where(SmsMessage.provider_sid == sid))
    assert inbound.body == "" and inbound.from_phone is None
    assert [m for m in fake_twilio.messages if contact_phone in (m["to"], m["from"])]  # still at Twilio

    job_provider_erasure(utcnow())
    assert [m for m in fake_twilio.messages if contact_phone in (m["to"], m["from"])] == []
    assert sid in fake_twilio.deleted
    report = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == RETENTION_ACTION))
    assert report.actor_user_id is None
    assert report.details["elders_erased"] == 1 and report.details["contacts_erased"] == 1
    assert report.details["provider_copies"] >= 1 and report.details["months"] == 24


def test_admins_read_the_retention_runs_counts_in_the_audit_log(app, db, client, make):
    admin = make.admin(name="Ylläpitäjä Ulla")
    elder = make.elder()
    change_status(elder, "ended")
    elder.ended_at = utcnow() - timedelta(days=800)
    db.session.commit()
    spec = next(j for j in JOBS if j.func is job_anonymise_ended)
    run_job(app, spec)
    job_provider_erasure(utcnow())

    client.login(admin.email)
    _lang(client, "en")
    html = client.get(f"/admin/audit?action={RETENTION_ACTION}").get_data(as_text=True)
    assert "Retention run: ended residents" in html
    assert "elders_erased" in html and "contacts_erased" in html
    html = client.get("/admin/audit?action=person.erase").get_data(as_text=True)
    assert "The retention period ended" in html
    _lang(client, "fi")
    assert "Säilytysaika päättyi" in client.get("/admin/audit?action=person.erase").get_data(as_text=True)
