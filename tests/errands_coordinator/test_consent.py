"""No request and no errand for an older person without a recorded consent, on every path."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
import sqlalchemy as sa

from app.errands.requests import RequestInput, RequestInvalid, create_request, generate_due_errands
from app.models import Errand, HelpRequest
from tests.errands_coordinator.test_intake_page import _form


def _no_consent(db, elder):
    elder.consent_given, elder.consent_method, elder.consent_at = False, None, None
    db.session.commit()
    return elder


def _counts(db) -> tuple[int, int]:
    return (
        db.session.scalar(sa.select(sa.func.count(HelpRequest.id))),
        db.session.scalar(sa.select(sa.func.count(Errand.id))),
    )


def test_the_rule_needs_both_the_consent_and_its_time(db, elder):
    assert elder.has_consent
    elder.consent_at = None
    assert not elder.has_consent  # "given" without a recorded time is no record
    elder.consent_given, elder.consent_at = False, datetime.now(UTC)
    assert not elder.has_consent


def test_service_refuses_a_request_without_consent(db, elder, coordinator, make):
    _no_consent(db, elder)
    with pytest.raises(RequestInvalid) as exc:
        create_request(
            RequestInput(
                elder_id=elder.id,
                task_type_id=make.task_type().id,
                date_from=date.today() + timedelta(days=3),
                time_from=time(10),
            ),
            taken_by=coordinator,
        )
    assert ("elder", "elder_no_consent") in exc.value.problems
    db.session.rollback()
    assert _counts(db) == (0, 0)


def test_intake_page_says_so_and_keeps_what_was_typed(db, coord, elder, make):
    _no_consent(db, elder)
    page = coord.get(f"/requests/new?elder={elder.id}").get_data(as_text=True)
    assert 'id="no-consent"' in page and "Suostumusta ei ole kirjattu." in page
    assert "ei kirjattua suostumusta" in page  # marked in the person picker too

    data = _form(make, elder, notes_for_helper="Maitoa ja ruisleipää, kauppa Siwa.")
    resp = coord.submit("/requests/new", data, page=f"/requests/new?elder={elder.id}")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert "Tälle henkilölle ei ole kirjattu suostumusta" in html
    assert "Maitoa ja ruisleipää, kauppa Siwa." in html  # nothing typed is lost
    assert f'value="{data["date_from"]}"' in html
    assert _counts(db) == (0, 0)


def test_intake_page_in_swedish(db, coord, elder, make):
    _no_consent(db, elder)
    coord.submit("/lang", {"lang": "sv"}, page="/")
    resp = coord.submit("/requests/new", _form(make, elder), page=f"/requests/new?elder={elder.id}")
    assert "Inget samtycke är registrerat för den här personen" in resp.get_data(as_text=True)


def test_recording_consent_then_saving_works(db, coord, elder, make):
    _no_consent(db, elder)
    refused = coord.submit("/requests/new", _form(make, elder), page=f"/requests/new?elder={elder.id}")
    assert refused.status_code == 200
    elder.consent_given, elder.consent_at = True, datetime.now(UTC)
    db.session.commit()
    saved = coord.submit("/requests/new", _form(make, elder), page=f"/requests/new?elder={elder.id}")
    assert saved.status_code == 302
    assert _counts(db) == (1, 1)


def test_repeating_request_makes_no_more_errands_after_consent_is_withdrawn(db, elder, coordinator, make):
    now = datetime(2027, 5, 1, 6, tzinfo=UTC)
    req = create_request(
        RequestInput(
            elder_id=elder.id,
            task_type_id=make.task_type().id,
            date_from=date(2027, 5, 3),
            time_from=time(10),
            recurrence="weekly",
            recurrence_until=date(2027, 7, 26),
        ),
        taken_by=coordinator,
        now=now,
    )
    db.session.commit()
    assert len(req.errands) == 3
    _no_consent(db, elder)
    assert generate_due_errands(now + timedelta(days=14)) == 0
    db.session.commit()
    assert _counts(db) == (1, 3)
    # Recorded again: the horizon fills up again.
    elder.consent_given, elder.consent_at = True, now
    db.session.commit()
    assert generate_due_errands(now + timedelta(days=14)) == 2


def test_no_notice_when_consent_is_recorded(db, coord, elder):
    page = coord.get(f"/requests/new?elder={elder.id}").get_data(as_text=True)
    assert 'id="no-consent"' not in page and "ei kirjattua suostumusta" not in page
