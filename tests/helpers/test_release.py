"""A helper who is stopped (suspended, consent withdrawn, account deleted) gives their
future work back through the errand lifecycle: the same withdraw step as their own
withdrawal (ErrandEvent, the older person told, late alert), and their offers close."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import sqlalchemy as sa

from app.errands.lifecycle import accept_errand, offer_errand
from app.helpers.consent import handle_guardian_sms
from app.i18n import HELSINKI
from app.models import AuditLog, CoordinatorAlert, Errand, ErrandEvent, Offer, SmsMessage, utcnow
from app.privacy.accounts import delete_helper_account


def _hours_until(days_ahead: int, hour: int) -> float:
    """Hours from now to ``hour`` o'clock Helsinki time ``days_ahead`` days from today (a minor's hours)."""
    day = datetime.now(HELSINKI).date() + timedelta(days=days_ahead)
    at = datetime.combine(day, time(hour), tzinfo=HELSINKI).astimezone(UTC)
    return (at - utcnow()).total_seconds() / 3600


def _work(db, make, org, helper, *, coordinator, hours: float | None = None):
    """An errand the helper took on the web (the older person was told who comes by SMS),
    and another errand offered to them that they have not answered yet."""
    hours = _hours_until(3, 14) if hours is None else hours
    taken = make.errand(org=org, starts_at=utcnow() + timedelta(hours=hours))
    taken.elder.contact_channel = "sms_self"
    db.session.commit()
    accept_errand(taken.id, helper.id, via="web")
    offered = make.errand(org=org, starts_at=utcnow() + timedelta(hours=_hours_until(4, 15)))
    offer_errand(offered, [helper.id], by_user=coordinator)
    db.session.commit()
    assert (taken.state, offered.state) == ("assigned", "offered")
    assert db.session.scalar(sa.select(SmsMessage).filter_by(kind="elder_confirmation", to_phone=taken.elder.phone))
    return taken, offered


def _assert_released(db, helper, taken: Errand, offered: Errand, *, actor_kind: str, why: str) -> None:
    db.session.expire_all()
    [assignment] = taken.assignments
    assert assignment.status == "cancelled" and assignment.slot is None
    assert taken.state == "open"
    event = db.session.scalars(
        sa.select(ErrandEvent).filter_by(errand_id=taken.id).order_by(ErrandEvent.id.desc())
    ).first()
    assert (event.from_state, event.to_state, event.actor_kind) == ("assigned", "open", actor_kind)
    assert event.note.startswith("released: ") and why in event.note
    # The older person had been told who comes: they are told the helper no longer does.
    notice = db.session.scalar(sa.select(SmsMessage).filter_by(kind="elder_withdrawal"))
    assert notice is not None and notice.to_phone == taken.elder.phone and helper.first_name in notice.body
    # The pending offer closed; the errand offered only to them is open again, with its event.
    assert db.session.scalar(sa.select(Offer.status).filter_by(errand_id=offered.id, helper_id=helper.id)) == (
        "cancelled"
    )
    assert offered.state == "open"
    last = db.session.scalars(
        sa.select(ErrandEvent).filter_by(errand_id=offered.id).order_by(ErrandEvent.id.desc())
    ).first()
    assert (last.from_state, last.to_state) == ("offered", "open") and "offer cancelled" in last.note
    entry = db.session.scalar(sa.select(AuditLog).filter_by(action="errand.released", subject_id=taken.id))
    assert entry is not None and entry.details["helper_id"] == helper.id


def test_suspending_releases_future_work_through_the_lifecycle(coordinator_client, db, make):
    org = coordinator_client.user.organizations[0]
    helper = make.helper(org=org, age=19, first_name="Veeti")
    taken, offered = _work(db, make, org, helper, coordinator=coordinator_client.user)

    response = coordinator_client.submit(
        f"/helpers/{helper.id}/suspend", {"reason": "Ei tullut sovittuun"}, page=f"/helpers/{helper.id}"
    )
    assert response.status_code == 302

    _assert_released(db, helper, taken, offered, actor_kind="coordinator", why="Ei tullut sovittuun")
    suspended = db.session.scalar(sa.select(AuditLog).filter_by(action="helper_suspended"))
    assert suspended.details["assignments_cancelled"] == 1 and suspended.details["errands_reopened"] == 2
    assert db.session.scalar(sa.select(CoordinatorAlert)) is None  # days ahead: not a late withdrawal


def test_a_guardian_withdrawing_consent_by_sms_releases_the_minors_work(coordinator_client, db, make):
    org = coordinator_client.user.organizations[0]
    helper = make.helper(org=org, age=15, first_name="Aino")
    consent = helper.current_consent
    taken, offered = _work(db, make, org, helper, coordinator=coordinator_client.user)

    reply = handle_guardian_sms(consent.guardian_phone, f"EI {consent.sms_code}")
    db.session.commit()

    assert "Suostumuksesi on peruttu" in reply
    _assert_released(db, helper, taken, offered, actor_kind="sms", why="guardian consent withdrawn")
    assert not helper.is_eligible_on(datetime.now(HELSINKI).date())


def test_a_late_release_alerts_the_coordinator_in_their_words(coordinator_client, db, make):
    org = coordinator_client.user.organizations[0]
    helper = make.helper(org=org, age=19, first_name="Veeti", last_name="Virtanen")
    taken, _offered = _work(db, make, org, helper, coordinator=coordinator_client.user, hours=5)

    delete_helper_account(helper)
    db.session.commit()

    alert = db.session.scalar(sa.select(CoordinatorAlert))
    assert (alert.kind, alert.errand_id, alert.helper_id) == ("late_withdrawal", taken.id, helper.id)
    assert "alle 24 tuntia" in alert.message and "Veeti" not in alert.message  # the account is deleted
    html = coordinator_client.get("/sms/alerts").get_data(as_text=True)
    assert "Myöhäinen peruutus" in html and "alle 24 tuntia ennen" in html
