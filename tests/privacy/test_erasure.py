"""Erasing an older resident or a contact person: what goes, what stays, who did it and why."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.models import (
    Assignment,
    AuditLog,
    CheckIn,
    ContactPerson,
    CoordinatorAlert,
    Elder,
    Encounter,
    EncounterParticipant,
    Errand,
    HelpRequest,
    SmsMessage,
    SmsOptOut,
    StageOverride,
)
from app.privacy.erasure import ErasureError, erase_contact, erase_elder, scrub
from tests.privacy.conftest import CONTACT_SECRETS, ELDER_SECRETS, FREE_TEXT, cancel_coming


def _count(s, stmt) -> int:
    return s.scalar(sa.select(sa.func.count()).select_from(stmt.subquery()))


def test_erasure_waits_for_coming_errands(db, scenario):
    with pytest.raises(ErasureError) as exc:
        erase_elder(scenario.elder, by=scenario.coordinator, reason="Omaisen pyyntö")
    assert exc.value.code == "coming_errands"
    db.session.rollback()
    assert db.session.get(Elder, scenario.elder.id).first_name == ELDER_SECRETS["first_name"]


def test_erasing_an_elder_removes_personal_data_and_keeps_the_counts(db, scenario):
    s = db.session
    cancel_coming(scenario)
    elder_id, contact_id = scenario.elder.id, scenario.contact.id
    encounters_before = _count(s, sa.select(EncounterParticipant).where(EncounterParticipant.elder_id == elder_id))
    messages_before = _count(s, sa.select(SmsMessage))
    report = erase_elder(scenario.elder, by=scenario.coordinator, reason="Omainen pyysi poistoa")
    s.commit()
    s.expire_all()

    elder = s.get(Elder, elder_id)
    assert (elder.first_name, elder.last_name) == ("Poistettu", "Poistettu")
    assert elder.phone is elder.street_address is elder.postcode is elder.lat is elder.lon is None
    assert elder.access_notes is elder.health_notes is elder.preferences is elder.birth_year is None
    assert elder.status == "ended" and elder.erased_at is not None and elder.ended_at is not None
    # Kept for the reports: organization, municipality, profile, consent date.
    assert elder.municipality_id is not None and elder.organization_id == scenario.elder.organization_id
    assert elder.consent_at is not None
    assert s.get(ContactPerson, contact_id) is None
    assert report.contacts == 1

    requests = s.scalars(sa.select(HelpRequest).where(HelpRequest.elder_id == elder_id)).all()
    assert len(requests) == 2
    assert all(r.notes_for_helper is None and r.requested_by_name is None for r in requests)
    assert all(r.requested_by_contact_id is None and r.status == "cancelled" for r in requests)
    done = s.get(Errand, scenario.done_errand.id)
    assert done.state == "done"
    assignment = s.scalar(sa.select(Assignment).where(Assignment.errand_id == done.id))
    assert assignment.report_text is None and assignment.report_note_for_coordinator is None
    assert assignment.report_minutes == 60 and assignment.status == "done"

    # Encounters and their participants stay (the stage reports count them), without free text.
    assert (
        _count(s, sa.select(EncounterParticipant).where(EncounterParticipant.elder_id == elder_id)) == encounters_before
    )
    encounter = s.scalar(sa.select(Encounter).where(Encounter.errand_id == done.id))
    assert encounter.notes is None and encounter.title is None
    assert s.scalar(sa.select(CheckIn.scores).where(CheckIn.elder_id == elder_id)) == {"loneliness": 5, "good_days": 4}
    assert s.scalar(sa.select(StageOverride).where(StageOverride.elder_id == elder_id)).reason == "Poistettu"
    assert s.scalar(sa.select(StageOverride).where(StageOverride.elder_id == elder_id)).stage == 2

    # Messages: rows stay (minus unsent ones), with no text and no numbers of theirs.
    assert _count(s, sa.select(SmsMessage)) == messages_before - report.messages_deleted
    phones = [ELDER_SECRETS["phone"], CONTACT_SECRETS["phone"]]
    assert _count(s, sa.select(SmsMessage).where(SmsMessage.to_phone.in_(phones))) == 0
    assert _count(s, sa.select(SmsMessage).where(SmsMessage.from_phone.in_(phones))) == 0
    inbound = s.scalar(sa.select(SmsMessage).where(SmsMessage.provider_sid == "SM-privacy-1"))
    assert inbound.body == "" and inbound.direction == "in" and inbound.handled
    about_errand = s.scalars(sa.select(SmsMessage).where(SmsMessage.errand_id == done.id)).all()
    assert about_errand and all(m.body == "" for m in about_errand)
    assert _count(s, sa.select(CoordinatorAlert).where(CoordinatorAlert.elder_id == elder_id)) == 0

    # Who and why, without the person's data; the older entries lose their free text.
    entry = s.scalar(sa.select(AuditLog).where(AuditLog.action == "person.erase"))
    assert entry.actor_user_id == scenario.coordinator.id
    assert (entry.subject_type, entry.subject_id) == ("Elder", elder_id)
    assert entry.details["reason"] == "Omainen pyysi poistoa" and entry.details["kind"] == "elder"
    status_entries = s.scalars(sa.select(AuditLog).where(AuditLog.action == "elder.status")).all()
    assert status_entries and all("reason" not in e.details for e in status_entries)
    assert {"before", "after"} <= set(status_entries[0].details)

    # The other resident is untouched.
    bystander = s.get(Elder, scenario.bystander.id)
    assert bystander.first_name == "Toinen" and bystander.health_notes


def test_the_reason_loses_names_and_numbers(db, scenario):
    cancel_coming(scenario)
    erase_elder(
        scenario.elder,
        by=scenario.coordinator,
        reason="Hiljaliisa Erasmaa pyysi itse, soitti numerosta 040 123 9876; tytär Tyttaretta samaa mieltä",
    )
    db.session.commit()
    reason = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "person.erase")).details["reason"]
    for text in ("Hiljaliisa", "Erasmaa", "9876", "Tyttaretta"):
        assert text not in reason
    assert "pyysi itse" in reason


def test_a_reason_that_is_only_a_name_is_refused(db, scenario):
    cancel_coming(scenario)
    with pytest.raises(ErasureError) as exc:
        erase_elder(scenario.elder, by=scenario.coordinator, reason="  Hiljaliisa Erasmaa ")
    assert exc.value.code == "reason_required"


def test_scrub_removes_phone_like_runs():
    assert scrub("soita 050 111 8642 tai +358501118642", []) == "soita … tai …"
    assert scrub("Aili ja AILI", ["Aili"]) == "… ja …"


def test_an_erased_elder_cannot_be_erased_twice(db, scenario):
    cancel_coming(scenario)
    erase_elder(scenario.elder, by=scenario.coordinator, reason="pyyntö")
    db.session.commit()
    with pytest.raises(ErasureError) as exc:
        erase_elder(scenario.elder, by=scenario.coordinator, reason="pyyntö")
    assert exc.value.code == "already_erased"


def test_erasing_a_contact_person(db, scenario):
    s = db.session
    contact_id, elder_id = scenario.contact.id, scenario.elder.id
    s.add(
        SmsMessage(
            direction="in",
            to_phone="+358000",
            from_phone=CONTACT_SECRETS["phone"],
            body="Olen Tyttaretta",
            status="received",
        )
    )
    s.add(SmsOptOut(phone=CONTACT_SECRETS["phone"], keyword="LOPETA"))
    s.commit()
    report = erase_contact(scenario.contact, by=scenario.coordinator, reason="Omainen pyysi")
    s.commit()
    s.expire_all()
    assert s.get(ContactPerson, contact_id) is None
    assert report.messages_blanked >= 1
    assert _count(s, sa.select(SmsMessage).where(SmsMessage.from_phone == CONTACT_SECRETS["phone"])) == 0
    assert _count(s, sa.select(SmsMessage).where(SmsMessage.body.contains("Tyttaretta"))) == 0
    assert _count(s, sa.select(SmsOptOut).where(SmsOptOut.phone == CONTACT_SECRETS["phone"])) == 0
    assert (
        s.scalar(
            sa.select(HelpRequest).where(HelpRequest.id == scenario.coming_errand.request_id)
        ).requested_by_contact_id
        is None
    )
    elder = s.get(Elder, elder_id)
    assert elder.first_name == ELDER_SECRETS["first_name"] and elder.contacts == []
    entry = s.scalar(sa.select(AuditLog).where(AuditLog.action == "person.erase"))
    assert entry.details["kind"] == "contact" and entry.details["contact_id"] == contact_id
    assert entry.subject_id == elder_id and entry.actor_user_id == scenario.coordinator.id


def test_a_number_still_used_by_someone_else_keeps_its_opt_out(db, scenario, make):
    s = db.session
    cancel_coming(scenario)
    make.elder(org=scenario.elder.organization, phone=ELDER_SECRETS["phone"], first_name="Puoliso")
    s.add(SmsOptOut(phone=ELDER_SECRETS["phone"], keyword="LOPETA"))
    s.commit()
    erase_elder(scenario.elder, by=scenario.coordinator, reason="pyyntö")
    s.commit()
    assert _count(s, sa.select(SmsOptOut).where(SmsOptOut.phone == ELDER_SECRETS["phone"])) == 1
    assert FREE_TEXT  # the scenario's free texts are searched in test_leftovers
