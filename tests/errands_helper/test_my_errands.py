"""After accepting: the person's details, only while assigned and only for a while."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.errands.helper_forms import parse_euros
from app.errands.helper_views import my_errands, visible_details
from app.errands.lifecycle import DETAILS_VISIBLE_AFTER_END, accept_errand
from app.models import Assignment, SmsMessage, utcnow
from tests.factories import in_days


def test_details_only_after_accepting_and_hidden_after_the_window(db, make, org, elder, client):
    helper = make.helper(org=org, age=19)
    errand = make.errand(elder=elder, notes="Kaksi kassia maitoa")
    assert visible_details(errand, helper, utcnow()) is None

    client.login(helper.user.email)
    response = client.submit(f"/errands/{errand.id}/accept", page="/board", follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "Tehtävä on sinun" in html
    shown_after = ("Aili", "Koulukatu 17 B 4", "tel:+358401234567", "Ovikoodi 4321", "Kaksi kassia", "openstreetmap")
    for shown in shown_after:
        assert shown in html, shown
    for hidden in ("Vanhasalo", "Sydänlääkitys"):
        assert hidden not in html, hidden

    assignment = db.session.scalar(sa.select(Assignment).filter_by(errand_id=errand.id))
    assert assignment.details_visible_until == errand.ends_at + DETAILS_VISIBLE_AFTER_END
    details = visible_details(errand, helper, utcnow())
    assert details.first_name == "Aili" and details.phone == "+358401234567"
    assert details.geo_uri.startswith("geo:64.2")
    assert not hasattr(details, "health_notes") and not hasattr(details, "last_name")

    after = assignment.details_visible_until + timedelta(seconds=1)
    assert visible_details(errand, helper, after) is None
    assert visible_details(errand, helper, assignment.details_visible_until) is not None

    # Pretend the window has passed: My errands hides the details again.
    assignment.details_visible_until = utcnow() - timedelta(minutes=1)
    db.session.commit()
    html = client.get("/my-errands").get_data(as_text=True)
    assert f"assignment-{assignment.id}" in html
    assert "Koulukatu" not in html and "Ovikoodi" not in html and "tel:" not in html


def test_other_helpers_never_see_the_details(db, make, org, elder):
    winner, other = make.helper(org=org, age=19), make.helper(org=org, age=19)
    errand = make.errand(elder=elder)
    accept_errand(errand.id, winner.id, via="web")
    db.session.commit()
    assert visible_details(errand, winner, utcnow()) is not None
    assert visible_details(errand, other, utcnow()) is None


def test_confirmation_sms_to_helper_and_elder(db, make, org):
    helper = make.helper(org=org, age=19, first_name="Veeti")
    elder = make.elder(org=org, first_name="Aili", contact_channel="sms_self", language="sv")
    errand = make.errand(elder=elder)
    assignment = accept_errand(errand.id, helper.id, via="web")
    db.session.commit()

    to_helper = db.session.scalar(sa.select(SmsMessage).filter_by(kind="confirmation"))
    assert to_helper.dedupe_key == f"confirm:{assignment.id}"
    assert to_helper.to_phone == helper.phone
    assert "Aili" in to_helper.body and "Kauppakatu 1" in to_helper.body
    assert elder.last_name not in to_helper.body and "Diabetes" not in to_helper.body

    to_elder = db.session.scalar(sa.select(SmsMessage).filter_by(kind="elder_confirmation"))
    assert to_elder.to_phone == elder.phone and to_elder.language == "sv"
    assert "Veeti" in to_elder.body and helper.last_name not in to_elder.body
    assert "kommer" in to_elder.body


def test_elder_confirmation_goes_to_relative_and_respects_opt_out(db, make, org):
    helper = make.helper(org=org, age=19)
    via_relative = make.elder(org=org, contact_channel="sms_relative", with_relative=True)
    opted_out = make.elder(org=org, contact_channel="sms_self", sms_opt_out=True)
    by_phone = make.elder(org=org, contact_channel="coordinator_call")
    for day, elder in enumerate((via_relative, opted_out, by_phone), start=2):
        accept_errand(make.errand(elder=elder, starts_at=in_days(day, 12)).id, helper.id, via="web")
    db.session.commit()
    sent = db.session.scalars(sa.select(SmsMessage).filter_by(kind="elder_confirmation")).all()
    assert [(m.to_phone, m.contact_id) for m in sent] == [(via_relative.contacts[0].phone, via_relative.contacts[0].id)]


def test_my_errands_lists_upcoming_and_past_and_creates_a_calendar_token(db, make, org, client):
    helper = make.helper(org=org, age=19)
    # Less than a day ahead whatever the time of day the test runs (a late withdrawal).
    soon = make.errand(elder=make.elder(org=org), starts_at=utcnow().replace(microsecond=0) + timedelta(hours=20))
    later = make.errand(elder=make.elder(org=org), starts_at=in_days(5, 12))
    a1 = accept_errand(soon.id, helper.id, via="web")
    a2 = accept_errand(later.id, helper.id, via="web")
    db.session.commit()

    view = my_errands(helper, utcnow())
    assert [i.assignment.id for i in view.upcoming] == [a1.id, a2.id]
    assert view.upcoming[0].late_withdrawal and not view.upcoming[1].late_withdrawal
    assert view.past == [] and view.to_report == []

    assert helper.calendar_token is None
    client.login(helper.user.email)
    html = client.get("/my-errands").get_data(as_text=True)
    db.session.refresh(helper)
    assert helper.calendar_token and f"/calendar/{helper.calendar_token}.ics" in html
    old = helper.calendar_token
    client.submit("/my-errands/calendar-link", page="/my-errands")
    db.session.refresh(helper)
    assert helper.calendar_token != old
    assert client.get(f"/calendar/{old}.ics").status_code == 404
    assert client.get(f"/calendar/{helper.calendar_token}.ics").status_code == 200


def test_start_page_shows_the_next_errand_and_the_menu(db, make, org, client):
    helper = make.helper(org=org, age=19)
    errand = make.errand(elder=make.elder(org=org, first_name="Lempi"), starts_at=in_days(2, 11))
    assignment = accept_errand(errand.id, helper.id, via="web")
    db.session.commit()
    client.login(helper.user.email)
    html = client.get("/helper").get_data(as_text=True)
    assert "Seuraava tehtäväsi" in html and "Lempi" in html
    assert f"/my-errands#assignment-{assignment.id}" in html
    assert 'href="/board"' in html and 'href="/my-errands"' in html
    assert "Tehtävätaulu" in html and "Omat tehtävät" in html


@pytest.mark.parametrize(
    ("raw", "cents"),
    [("12,50", 1250), ("12.5", 1250), ("7", 700), (" 3,05 € ", 305), ("1 234,00", 123400), ("", None)],
)
def test_euros_are_parsed_with_a_finnish_comma(raw, cents):
    assert parse_euros(raw) == cents


@pytest.mark.parametrize("raw", ["12,505", "abc", "-5", "1,2,3"])
def test_bad_euros_are_refused(raw):
    with pytest.raises(ValueError):
        parse_euros(raw)
