"""Every outgoing kind of message fits the segments it declares (app.sms.kinds),
rendered in Finnish, Swedish and English with real-length data: long first
names, the longest task type, the longest village of the gazetteer, a
Thursday (Swedish "tors"), times with minutes, a six-digit code and a
realistic public https address."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.errands import notifications
from app.errands.error_texts import REFUSAL_REPLIES, SMS_ERRORS, refusal_reply, sms_error
from app.helpers.consent import consent_sms_body, request_consent
from app.helpers.services import ApprovalChecks, approve_helper
from app.models import SmsMessage, Village
from app.sms import kinds
from app.sms.segments import segment_count
from app.sms.services import MAX_MANUAL_LENGTH
from app.sms.texts import sms_reply
from tests.factories import helsinki

LANGUAGES = ("fi", "sv", "en")
PUBLIC_URL = "https://arjenpelastajat.kajaani.fi"  # a municipality's real-length host
LONGEST = {"first_name": "Aleksanteri", "elder_first_name": "Marja-Liisa", "street": "Urho Kekkosen katu 12 B 34"}


@pytest.fixture()
def worst(app, db, make, monkeypatch):
    """An assigned errand whose every field is as long as real data gets."""
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", PUBLIC_URL)
    village = max(db.session.scalars(sa.select(Village)), key=lambda v: len(v.name))
    assert len(village.name) >= 20  # "Suomussalmen kirkonkylä"
    org = make.organization()
    elder = make.elder(
        org=org, first_name=LONGEST["elder_first_name"], street_address=LONGEST["street"], phone="+358401234567"
    )
    elder.village = village
    helper = make.helper(org=org, first_name=LONGEST["first_name"])
    starts_at = helsinki(2026, 11, 12, 10, 30)  # a Thursday
    errand = make.errand(elder, starts_at, task="digital", minutes=120)
    errand.short_code = "123456"
    assignment = make.assignment(errand, helper, assigned_at=helsinki(2026, 11, 1))
    db.session.commit()
    return errand, assignment, helper


def _errand_texts(errand, assignment, helper, lang: str) -> dict[str, list[str]]:
    name = helper.first_name
    return {
        "offer": [notifications.offer_text(errand, helper, lang)],
        "confirmation": [notifications.confirmation_text(assignment, lang)],
        "elder_confirmation": [notifications.elder_confirmation_text(assignment, lang)],
        "elder_withdrawal": [notifications.elder_withdrawal_text(assignment, lang)],
        "cancellation": [notifications.cancellation_text(errand, helper, lang)],
        "reminder_helper_day": [notifications.helper_day_before_text(assignment, lang)],
        "reminder_helper_soon": [notifications.helper_soon_text(assignment, lang)],
        "reminder_elder_day": [notifications.elder_day_before_text(errand, name, lang)],
        "feedback_request": [
            notifications.elder_feedback_text(errand, name, lang),
            notifications.helper_feedback_text(errand, lang),
        ],
        "manual": ["x" * MAX_MANUAL_LENGTH],
        "auto_reply": [
            *(notifications.command_reply(w, lang, code="123456") for w in ("accepted", "declined", "done")),
            *(notifications.command_reply(w, lang, code="123456") for w in ("cancelled", "feedback")),
            *(sms_error(w, lang, code="123456") for w in SMS_ERRORS),
            *(refusal_reply([c], lang) for c in REFUSAL_REPLIES),
            *(sms_reply(w, lang) for w in ("stopped", "started", "help", "received")),
        ],
    }


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_errand_kind_fits_its_declared_segments(worst, lang):
    errand, assignment, helper = worst
    texts = _errand_texts(errand, assignment, helper, lang)
    # Every outgoing kind is here, but the helpers area's two (tested below), the week plan's (tests/planning)
    # and the shared activities' (tests/activities).
    activity_kinds = {"activity_invitation", "activity_place_opened", "activity_reminder"}
    assert set(texts) | {"guardian_consent", "helper_approved", "week_offer"} | activity_kinds == set(kinds.OUTGOING)
    for kind, bodies in texts.items():
        budget = kinds.KINDS[kind].segments
        for body in bodies:
            assert segment_count(body) <= budget, (kind, lang, len(body), body)
    # Offers, reminders and confirmations are one GSM-7 segment even at their longest.
    for kind in ("offer", "confirmation", "reminder_helper_day", "reminder_helper_soon", "reminder_elder_day"):
        assert kinds.KINDS[kind].segments == 1
        assert len(texts[kind][0]) <= 160, (kind, lang, texts[kind][0])
    # What the texts must say is still there.
    offer = texts["offer"][0]
    assert "123456" in offer and "Aleksanteri" in offer and errand.elder.village.name in offer
    assert LONGEST["street"] in texts["confirmation"][0] and "040 123 4567" in texts["confirmation"][0]


def test_links_are_added_when_they_fit(app, db, make, monkeypatch):
    """A typical offer and confirmation carry the link to the board / My errands."""
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", PUBLIC_URL)
    org = make.organization()
    elder = make.elder(org=org, first_name="Aili")
    helper = make.helper(org=org, first_name="Veeti")
    errand = make.errand(elder, helsinki(2026, 11, 10, 10), task="post")
    assignment = make.assignment(errand, helper, assigned_at=helsinki(2026, 11, 1))
    for lang in ("fi", "sv"):
        offer = notifications.offer_text(errand, helper, lang)
        assert offer.endswith(f"{PUBLIC_URL}/board") and segment_count(offer) == 1, offer
        confirmation = notifications.confirmation_text(assignment, lang)
        assert confirmation.endswith(f"{PUBLIC_URL}/my-errands") and segment_count(confirmation) == 1


@pytest.mark.parametrize("lang", ("fi", "sv"))
def test_helper_approved_and_guardian_consent_fit_their_segments(app, db, make, monkeypatch, lang):
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", PUBLIC_URL)
    helper = make.helper(status="pending", first_name=LONGEST["first_name"], age=15, consent=False)
    helper.guardian_name, helper.guardian_phone = "Marja-Liisa Huoltaja", "+358401112233"
    helper.user.locale = lang
    consent, token = request_consent(helper)
    assert segment_count(consent_sms_body(helper, consent, token)) <= kinds.KINDS["guardian_consent"].segments
    consent.status = "given"
    approve_helper(helper, make.coordinator(), ApprovalChecks(identity_seen=True, training_held=True))
    approved = db.session.scalar(sa.select(SmsMessage.body).filter_by(kind="helper_approved"))
    assert segment_count(approved) <= kinds.KINDS["helper_approved"].segments, approved


def test_kinds_that_go_stale_or_cancel_are_declared_not_guessed_from_their_names():
    stale = {name for name, kind in kinds.KINDS.items() if kind.stale_at_start}
    assert stale == {"offer", "reminder_helper_day", "reminder_helper_soon", "reminder_elder_day"}
    assert all(kinds.KINDS[k].direction == "out" for k in stale)
    assert kinds.goes_stale("offer") and not kinds.goes_stale("confirmation") and not kinds.goes_stale("unknown")
    assert {name for name, kind in kinds.KINDS.items() if kind.cancels} == {"cancellation"}
    assert not kinds.cancels("cancel")  # an incoming PERU is not a text that cancels
