"""An accept by SMS that the policy or the matcher refuses is answered with the
reason, in the helper's language and in one SMS (through the real, signed webhook)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from app.errands.error_texts import REFUSAL_REPLIES, refusal_reply, sms_error
from app.errands.lifecycle import offer_errand
from app.matching.score import EXCLUSION_CODES
from app.models import Assignment, Offer, SmsMessage
from app.sms.segments import segment_count
from tests.factories import in_days
from tests.sms.support import inbound, signed_post

OTHER_ORG_FI = "Et voi ottaa tätä tehtävää: se ei kuulu organisaatiollesi eikä sen kumppaneille. Katso tehtävätaulu."


def _answer(db, helper_id: int) -> SmsMessage:
    return db.session.scalars(
        sa.select(SmsMessage)
        .where(SmsMessage.helper_id == helper_id, SmsMessage.direction == "out", SmsMessage.kind == "auto_reply")
        .order_by(SmsMessage.id.desc())
    ).first()


def test_every_reason_code_has_its_own_answer_in_one_sms(app, db):
    assert set(REFUSAL_REPLIES) == {"other_organization", *EXCLUSION_CODES}
    for language in ("fi", "sv"):
        general = sms_error("not_eligible", language)
        answers = {code: refusal_reply([code], language) for code in REFUSAL_REPLIES}
        assert len(set(answers.values())) == len(REFUSAL_REPLIES)  # one text per reason
        for code, text in answers.items():
            assert text != general, code
            assert segment_count(text) == 1, (language, code, text)
        assert refusal_reply([], language) == refusal_reply(["something_new"], language) == general
    # The most telling reason wins (a hold before "not approved", a break before "busy").
    assert refusal_reply(["something_new", "busy", "paused"], "fi") == refusal_reply(["paused"], "fi")
    assert refusal_reply(["not_approved", "suspended"], "fi") == refusal_reply(["suspended"], "fi")
    assert refusal_reply(["busy"], "sv") != refusal_reply(["busy"], "fi")


def test_a_helper_of_another_organization_is_told_why_then_a_partnership_lets_them(client, db, twilio_token, make):
    parish = make.organization(name="Kajaanin seurakunta", kind="parish")
    club = make.organization(name="Kainuun 4H")
    helper = make.helper(org=club, phone="+358401000071")
    errand = make.errand(make.elder(org=parish), in_days(3))
    db.session.commit()

    response = signed_post(client, "/sms/inbound", inbound(helper.phone, f"KYLLÄ {errand.short_code}"), twilio_token)
    assert response.status_code == 200
    assert OTHER_ORG_FI in response.text
    assert _answer(db, helper.id).body == OTHER_ORG_FI
    assert db.session.scalar(sa.select(sa.func.count(Assignment.id)).filter_by(errand_id=errand.id)) == 0

    make.partnership(parish, club)  # the club serves Kajaani: now its helpers may take the errand
    response = signed_post(client, "/sms/inbound", inbound(helper.phone, f"KYLLÄ {errand.short_code}"), twilio_token)
    assert response.text.count("<Message>") == 1 and OTHER_ORG_FI not in response.text
    db.session.expire_all()
    assert db.session.scalar(sa.select(Assignment.helper_id).filter_by(errand_id=errand.id)) == helper.id


def test_a_swedish_speaking_helper_on_a_break_is_told_so_in_swedish(client, db, twilio_token, make):
    org = make.organization()
    helper = make.helper(org=org, phone="+358401000072")
    helper.user.locale = "sv"
    errand = make.errand(make.elder(org=org), in_days(3))
    offer_errand(errand, [helper.id], by_user=None)
    helper.paused_until = date.today() + timedelta(days=10)
    db.session.commit()

    response = signed_post(client, "/sms/inbound", inbound(helper.phone, f"JA {errand.short_code}"), twilio_token)
    expected = "Du har paus. Avsluta pausen på webbplatsen för att ta uppdrag."
    assert expected in response.text
    assert _answer(db, helper.id).body == expected
    assert db.session.scalar(sa.select(sa.func.count(Assignment.id)).filter_by(errand_id=errand.id)) == 0


@pytest.mark.parametrize(
    ("setup", "expected"),
    [
        ("busy", "Sinulla on jo tehtävä samaan aikaan."),
        ("suspended", "Tilisi on jäädytetty. Ota yhteyttä koordinaattoriisi."),
    ],
)
def test_other_refusals_name_their_reason(client, db, twilio_token, make, setup, expected):
    org = make.organization()
    helper = make.helper(org=org, phone="+358401000073")
    errand = make.errand(make.elder(org=org), in_days(3))
    if setup == "busy":  # another errand of theirs at the same time
        make.assignment(make.errand(make.elder(org=org), errand.starts_at), helper, assigned_at=in_days(-1))
    else:
        offer_errand(errand, [helper.id], by_user=None)
        helper.status = "suspended"
    db.session.commit()

    response = signed_post(client, "/sms/inbound", inbound(helper.phone, f"KYLLÄ {errand.short_code}"), twilio_token)
    assert expected in response.text
    assert db.session.scalar(sa.select(sa.func.count(Assignment.id)).filter_by(errand_id=errand.id)) == 0
    if setup == "suspended":  # the offer stays for when the hold ends (nothing else changed)
        assert db.session.scalar(sa.select(Offer.status).filter_by(errand_id=errand.id)) == "pending"
