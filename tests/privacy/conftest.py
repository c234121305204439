"""A rich older resident for the privacy tests: a relative, a request taken by
phone, an errand done with the helper's report and its encounter, a coming
errand of another request, SMS both ways (through the real inbound handler),
an alert, a stage override, a check-in and audit entries with free text.

Every personal value is distinctive, so a search of the whole database finds
any copy left behind."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time, timedelta

import pytest

from app.alerts import raise_alert
from app.calls.services import CallInput, Subject, log_call
from app.encounters.operations import set_override
from app.errands.completion import mark_done
from app.errands.lifecycle import accept_errand
from app.errands.requests import RequestInput, create_request
from app.models import ContactPerson, Elder, Errand, HelperProfile, User, utcnow
from app.scheduling.jobs import job_dispatch_sms
from app.sms.inbound import receive
from tests.factories import local_today
from tests.sms.support import fake_twilio  # noqa: F401  (the real twilio client against the fake)

#: What the erasure must remove everywhere (text values searched in every column).
ELDER_SECRETS = {
    "first_name": "Hiljaliisa",
    "last_name": "Erasmaa",
    "phone": "+358401239876",
    "street_address": "Salakuja 7",
    "access_notes": "Ovikoodi 4711 takaovelta",
    "health_notes": "Sydanlaakitys Xylofeeni",
    "preferences": "Rakastaa kissoja ja Kalevalaa",
}
BIRTH_YEAR = 1934  # a number: checked by column, not among the text values
CONTACT_SECRETS = {"name": "Tyttaretta Ruusumaa", "phone": "+358501118642"}
REQUEST_SECRETS = {"notes_for_helper": "Kauppalista: Xylomaito", "requested_by_name": "Naapuri Pekkarinen"}
FREE_TEXT = {
    "report": "Hiljaliisan kanssa kaytiin kaupassa, Salakuja 7 ovella",
    "inbound": "Tassa Hiljaliisa, soittakaa minulle",
    "status_reason": "Hiljaliisa sairaalassa viikon",
    "override": "Hiljaliisa vetaa jo lukupiiria",
    "coordinator_note": "Hiljaliisa vaikutti vasyneelta",
    "encounter_notes": "Hiljaliisa kertoi sotavuosista",
    "feedback": "Hiljaliisa kiittaa auttajaa",
    "cancel": "Hiljaliisa ei tarvitse postiapua",
    "call": "Hiljaliisan tytar soitti kaupasta",
}


def secrets() -> list[str]:
    return [*ELDER_SECRETS.values(), *CONTACT_SECRETS.values(), *REQUEST_SECRETS.values(), *FREE_TEXT.values()]


@dataclass
class Scenario:
    coordinator: User
    elder: Elder
    contact: ContactPerson
    helper: HelperProfile
    done_errand: Errand
    coming_errand: Errand
    bystander: Elder


@pytest.fixture()
def org(make):
    return make.organization(name="Kajaanin seurakunta", kind="parish")


@pytest.fixture()
def coordinator(make, org):
    return make.coordinator(org=org, name="Kaisa Koordinaattori")


@pytest.fixture()
def coord(client, coordinator):
    client.login(coordinator.email)
    client.user = coordinator
    return client


@pytest.fixture()
def scenario(db, make, org, coordinator) -> Scenario:
    from app.elders.intake import change_status

    s = db.session
    elder = make.elder(org=org, contact_channel="sms_self", birth_year=BIRTH_YEAR, **ELDER_SECRETS)
    contact = ContactPerson(
        name=CONTACT_SECRETS["name"],
        relation="daughter",
        phone=CONTACT_SECRETS["phone"],
        may_contact=True,
        consent_at=utcnow(),
        is_primary=True,
    )
    elder.contacts.append(contact)
    bystander = make.elder(org=org, first_name="Toinen", last_name="Ihminen")
    helper = make.helper(org=org, age=19)
    s.commit()

    day = local_today() + timedelta(days=2)
    done_req = create_request(
        RequestInput(
            elder_id=elder.id,
            task_type_id=make.task_type().id,
            requested_by="other",
            requested_by_name=REQUEST_SECRETS["requested_by_name"],
            date_from=day,
            time_from=time(12, 0),
            notes_for_helper=REQUEST_SECRETS["notes_for_helper"],
        ),
        taken_by=coordinator,
    )
    s.commit()
    done_errand = done_req.errands[0]
    assignment = accept_errand(done_errand.id, helper.id, via="web")
    s.commit()
    # The errand took place yesterday: move it into the past, then the helper reports it.
    done_errand.starts_at = utcnow() - timedelta(days=1)
    done_errand.ends_at = done_errand.starts_at + timedelta(hours=1)
    s.commit()
    encounter = mark_done(
        assignment.id,
        helper_id=helper.id,
        report_text=FREE_TEXT["report"],
        minutes=60,
        note_for_coordinator=FREE_TEXT["coordinator_note"],
    )
    encounter.notes = FREE_TEXT["encounter_notes"]
    for part in encounter.participants:
        if part.elder_id == elder.id:
            part.feedback_comment = FREE_TEXT["feedback"]
            part.feedback_score = 5
    s.commit()

    coming_req = create_request(
        RequestInput(
            elder_id=elder.id,
            task_type_id=make.task_type("post").id,
            requested_by="relative",
            requested_by_contact_id=contact.id,
            date_from=day + timedelta(days=3),
            time_from=time(10, 0),
        ),
        taken_by=coordinator,
    )
    s.commit()
    coming_errand = coming_req.errands[0]

    receive({"MessageSid": "SM-privacy-1", "From": ELDER_SECRETS["phone"], "Body": FREE_TEXT["inbound"]})
    s.commit()
    raise_alert(
        "sms_undelivered",
        dedupe_key="privacy-alert",
        organization_id=org.id,
        errand_id=done_errand.id,
        elder_id=elder.id,
    )
    set_override("elder", None, elder.id, 2, FREE_TEXT["override"], by=coordinator)
    make.checkin(
        elder,
        {"lack_companionship": 2, "left_out": 2, "isolated": 1, "good_days": 4},
        scores={"loneliness": 5, "good_days": 4},
        taken_by_id=coordinator.id,
    )
    log_call(
        CallInput(
            subject=Subject(elder_id=elder.id),
            caller_kind="relative",
            phone="050 111 8642",
            topic="new_request",
            outcome="callback",
            note=FREE_TEXT["call"],
            callback_at=utcnow() + timedelta(hours=2),
        ),
        by=coordinator,
    )
    change_status(elder, "paused", reason=FREE_TEXT["status_reason"])
    change_status(elder, "active")
    s.commit()
    job_dispatch_sms(utcnow())  # the outbox backend "sends" what is due
    s.commit()
    return Scenario(coordinator, elder, contact, helper, done_errand, coming_errand, bystander)


def cancel_coming(scenario: Scenario) -> None:
    from app.errands.requests import cancel_request
    from app.extensions import db

    cancel_request(
        scenario.coming_errand.request_id,
        by_user=scenario.coordinator,
        by_kind="coordinator",
        reason=FREE_TEXT["cancel"],
    )
    db.session.commit()
