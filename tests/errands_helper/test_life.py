"""Withdrawing, cancelling, marking done, no-shows and expiry."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.errands.lifecycle import (
    ErrandError,
    accept_errand,
    cancel_errand,
    expire_offers,
    mark_done,
    mark_no_show,
    offer_errand,
    withdraw,
)
from app.models import (
    Assignment,
    CoordinatorAlert,
    Encounter,
    EncounterParticipant,
    ErrandEvent,
    Offer,
    SmsMessage,
    utcnow,
)
from tests.factories import in_days


def events(db, errand):
    return [
        (e.from_state, e.to_state, e.actor_kind)
        for e in db.session.scalars(sa.select(ErrandEvent).filter_by(errand_id=errand.id).order_by(ErrandEvent.id))
    ]


def test_early_withdrawal_reopens_without_alert(db, make, org, client):
    helper = make.helper(org=org, age=19)
    errand = make.errand(elder=make.elder(org=org), starts_at=in_days(4, 12))
    assignment = accept_errand(errand.id, helper.id, via="web")
    db.session.commit()

    client.login(helper.user.email)
    page = f"/my-errands/{assignment.id}/withdraw"
    assert "alle 24 tuntia" not in client.get(page).get_data(as_text=True)
    # Without a reason the form comes back with a message (nothing is lost).
    response = client.submit(page, {"reason": "  "})
    assert response.status_code == 400 and "Kerro koordinaattorille lyhyesti syy" in response.get_data(as_text=True)
    client.submit(page, {"reason": "Koe siirtyi"})

    db.session.expire_all()
    assert (assignment.status, assignment.slot, assignment.withdraw_reason) == ("withdrawn", None, "Koe siirtyi")
    assert errand.state == "open"
    assert events(db, errand)[-1] == ("assigned", "open", "helper")
    assert db.session.scalar(sa.select(sa.func.count(CoordinatorAlert.id))) == 0
    # The slot is free again: someone else can take it.
    other = make.helper(org=org, age=19)
    assert accept_errand(errand.id, other.id, via="web").slot == 1


def test_late_withdrawal_alerts_the_coordinator_and_tells_the_elder(db, make, org, client):
    helper = make.helper(org=org, age=19, first_name="Veeti")
    elder = make.elder(org=org, contact_channel="sms_self")
    errand = make.errand(elder=elder, starts_at=utcnow() + timedelta(hours=5))
    assignment = accept_errand(errand.id, helper.id, via="web")
    db.session.commit()

    client.login(helper.user.email)
    page = f"/my-errands/{assignment.id}/withdraw"
    assert "alle 24 tuntia" in client.get(page).get_data(as_text=True)
    client.submit(page, {"reason": "Sairastuin"})

    db.session.expire_all()
    alert = db.session.scalar(sa.select(CoordinatorAlert))
    assert (alert.kind, alert.organization_id, alert.errand_id, alert.helper_id) == (
        "late_withdrawal",
        org.id,
        errand.id,
        helper.id,
    )
    assert alert.dedupe_key == f"late_withdrawal:{assignment.id}"
    assert errand.state == "open"
    notice = db.session.scalar(sa.select(SmsMessage).filter_by(kind="elder_withdrawal"))
    assert notice.to_phone == elder.phone and "Veeti" in notice.body


def test_cannot_withdraw_someone_elses_or_after_start(db, make, org, client):
    helper, other = make.helper(org=org, age=19), make.helper(org=org, age=19)
    errand = make.errand(elder=make.elder(org=org))
    assignment = accept_errand(errand.id, helper.id, via="web")
    db.session.commit()
    client.login(other.user.email)
    assert client.get(f"/my-errands/{assignment.id}/withdraw").status_code == 404
    errand.starts_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    with pytest.raises(ErrandError) as err:
        withdraw(assignment.id, reason="x")
    assert err.value.code == "too_late"


def test_cancel_by_relative_notifies_the_assigned_helper(db, make, org):
    helper = make.helper(org=org, age=19)
    waiting = make.helper(org=org, age=19)
    errand = make.errand(elder=make.elder(org=org, with_relative=True), helpers_needed=2)
    offer_errand(errand, [helper.id, waiting.id], by_user=make.coordinator(org=org))
    accept_errand(errand.id, helper.id, via="sms")
    cancel_errand(errand.id, by_kind="relative", reason="Äiti pääsi sairaalaan")
    db.session.commit()

    assert errand.state == "cancelled"
    assert (errand.cancelled_by_kind, errand.cancel_reason) == ("relative", "Äiti pääsi sairaalaan")
    assert [a.status for a in errand.assignments] == ["cancelled"]
    offers = {o.helper_id: o.status for o in db.session.scalars(sa.select(Offer))}
    assert offers == {helper.id: "accepted", waiting.id: "cancelled"}
    sms = db.session.scalars(sa.select(SmsMessage).filter_by(kind="cancellation")).all()
    assert [(m.helper_id, m.dedupe_key) for m in sms] == [(helper.id, f"cancel:{errand.id}:{helper.id}")]
    assert events(db, errand)[-1] == ("offered", "cancelled", "relative")
    with pytest.raises(ErrandError) as err:
        cancel_errand(errand.id, by_kind="coordinator", reason="again")
    assert err.value.code == "not_allowed_transition"


def test_mark_done_creates_encounter_participants_and_keeps_report(db, make, org, client):
    helper = make.helper(org=org, age=19)
    elder = make.elder(org=org)
    errand = make.errand(elder=elder, task="walk", starts_at=utcnow() + timedelta(hours=2))
    assignment = accept_errand(errand.id, helper.id, via="web")
    errand.starts_at = utcnow() - timedelta(hours=1)  # it took place
    errand.ends_at = utcnow()
    db.session.commit()

    client.login(helper.user.email)
    page = f"/my-errands/{assignment.id}/done"
    bad = client.submit(page, {"report_text": "Kävelimme puistoon", "minutes": "noin tunti", "receipt": "12,5x"})
    html = bad.get_data(as_text=True)
    assert bad.status_code == 400
    assert "Kirjoita aika minuutteina" in html and "Kirjoita summa euroina" in html
    assert "Kävelimme puistoon" in html  # kept
    client.submit(
        page,
        {"report_text": "Kävelimme puistoon", "minutes": "50", "receipt": "12,50", "note_for_coordinator": "Väsyi"},
    )

    db.session.expire_all()
    assert (assignment.status, assignment.report_text, assignment.report_minutes, assignment.receipt_cents) == (
        "done",
        "Kävelimme puistoon",
        50,
        1250,
    )
    assert assignment.report_note_for_coordinator == "Väsyi"
    assert errand.state == "done"
    encounter = db.session.scalar(sa.select(Encounter).filter_by(errand_id=errand.id))
    assert (encounter.kind, encounter.place_kind, encounter.duration_minutes) == ("company_walk", "outdoors", 50)
    assert (encounter.organization_id, encounter.municipality_id) == (org.id, elder.municipality_id)
    assert encounter.occurred_at == errand.starts_at
    assert (encounter.initiated_by, encounter.led_by) == ("coordinator", "helper")
    people = {(p.helper_id, p.elder_id) for p in db.session.scalars(sa.select(EncounterParticipant))}
    assert people == {(helper.id, None), (None, elder.id)}


def test_two_helpers_share_one_encounter(db, make, org):
    first, second = make.helper(org=org, age=19), make.helper(org=org, age=19)
    errand = make.errand(elder=make.elder(org=org), task="outdoor", helpers_needed=2)
    a1 = accept_errand(errand.id, first.id, via="web")
    a2 = accept_errand(errand.id, second.id, via="web")
    errand.starts_at = utcnow() - timedelta(hours=1)
    db.session.commit()

    e1 = mark_done(a1.id, helper_id=first.id, report_text="Haravoin", minutes=60)
    assert errand.state == "assigned"
    e2 = mark_done(a2.id, helper_id=second.id, report_text="Haravoin myös", minutes=90)
    db.session.commit()
    assert e1.id == e2.id and e1.kind == "home_help" and e1.duration_minutes == 90
    assert len(e1.participants) == 3
    assert errand.state == "done"


def test_mark_done_rules(db, make, org):
    helper, other = make.helper(org=org, age=19), make.helper(org=org, age=19)
    errand = make.errand(elder=make.elder(org=org), starts_at=in_days(3, 12))
    assignment = accept_errand(errand.id, helper.id, via="web")
    db.session.commit()
    for kwargs, code in (
        ({"helper_id": other.id}, "not_yours"),
        ({"helper_id": helper.id}, "too_early"),
    ):
        with pytest.raises(ErrandError) as err:
            mark_done(assignment.id, report_text="x", minutes=10, **kwargs)
        assert err.value.code == code


def test_no_show_and_expiry(db, make, org):
    helper = make.helper(org=org, age=19)
    coordinator = make.coordinator(org=org)
    no_show = make.errand(elder=make.elder(org=org), starts_at=utcnow() + timedelta(hours=1))
    assignment = accept_errand(no_show.id, helper.id, via="web")
    with pytest.raises(ErrandError) as err:
        mark_no_show(no_show.id, by_user=coordinator)
    assert err.value.code == "too_early"
    no_show.starts_at = utcnow() - timedelta(hours=1)
    mark_no_show(no_show.id, by_user=coordinator)
    assert (no_show.state, assignment.status) == ("no_show", "no_show")

    offered = make.errand(elder=make.elder(org=org), starts_at=in_days(3, 12))
    offer_errand(offered, [helper.id], by_user=coordinator, expires_at=utcnow() + timedelta(hours=1))
    nobody = make.errand(elder=make.elder(org=org), starts_at=utcnow() + timedelta(minutes=30))
    db.session.commit()

    assert expire_offers(utcnow()) == 0
    later = utcnow() + timedelta(hours=2)
    assert expire_offers(later) == 2  # the offer, and the errand that started without a helper
    db.session.commit()
    assert db.session.scalar(sa.select(Offer.status).filter_by(errand_id=offered.id)) == "expired"
    assert offered.state == "open"
    assert nobody.state == "expired"
    assert events(db, nobody)[-1] == ("open", "expired", "system")
    assert db.session.scalar(sa.select(sa.func.count(Assignment.id))) == 1


def test_after_a_withdrawal_the_errand_can_be_offered_again(db, make, org):
    coordinator = make.coordinator(org=org)
    first, second = make.helper(org=org, age=19), make.helper(org=org, age=19)
    errand = make.errand(elder=make.elder(org=org), starts_at=in_days(5, 12))
    offer_errand(errand, [first.id, second.id], by_user=coordinator)
    assignment = accept_errand(errand.id, first.id, via="web")
    assert db.session.scalar(sa.select(Offer.status).filter_by(helper_id=second.id)) == "taken"
    withdraw(assignment.id, reason="Muutto")
    assert errand.state == "open"

    again = offer_errand(errand, [first.id, second.id], by_user=coordinator)
    db.session.commit()
    assert [o.helper_id for o in again] == [second.id]  # the one who withdrew is not asked again
    assert errand.state == "offered"
    keys = sorted(m.dedupe_key for m in db.session.scalars(sa.select(SmsMessage).filter_by(helper_id=second.id)))
    assert len(keys) == 2 and keys[0] == f"offer:{errand.id}:{second.id}"
