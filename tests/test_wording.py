"""Wording that depends on the catalogs: one English word with two meanings gets a
context, counts get plural forms, phone numbers are shown the Finnish way, and the
glossary's spellings hold."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
import sqlalchemy as sa
from babel.messages.pofile import read_po
from flask_babel import force_locale, gettext

from app.admin import audit_log
from app.encounters.labels import option_label
from app.errands import reasons
from app.errands.requests import RequestInput, create_request
from app.matching import score
from app.models import Offer, TaskType, utcnow
from app.privacy import labels as privacy_labels
from app.reports.forms import ReportFilterForm
from app.sms.outbox import queue_sms
from tests.test_i18n import TRANSLATIONS


def org_of(client):
    return client.user.organizations[0]


def test_sms_log_names_recipient_and_sender_not_a_date_range(coordinator_client, db, make):
    """ "To" is both the end of a date range and a message's recipient: the log says "Vastaanottaja"."""
    org = org_of(coordinator_client)
    elder = make.elder(org=org, first_name="Aili")
    queue_sms(elder.phone, "Muistutus huomisesta", kind="reminder_elder_day", elder_id=elder.id, organization_id=org.id)
    db.session.commit()

    html = coordinator_client.get("/sms/").get_data(as_text=True)
    assert "Muistutus huomisesta" in html
    assert '<span class="badge">Vastaanottaja</span>' in html
    assert "Päättyen" not in html

    coordinator_client.submit("/lang", {"lang": "sv", "next": "/"}, page="/")
    assert '<span class="badge">Till</span>' in coordinator_client.get("/sms/").get_data(as_text=True)


def test_menu_item_for_text_messages_is_capitalised(coordinator_client):
    html = coordinator_client.get("/coordinator").get_data(as_text=True)
    assert ">Tekstiviestit</a>" in html
    assert ">tekstiviesti</a>" not in html


def make_errand(db, coordinator, elder, *, offers_to=()):
    """An errand in three days, offered to the given helpers."""
    task = db.session.scalar(sa.select(TaskType.id).where(TaskType.code == "shopping"))
    day = utcnow().date() + timedelta(days=3)
    req = create_request(
        RequestInput(elder_id=elder.id, task_type_id=task, date_from=day, time_from=time(12, 0)), taken_by=coordinator
    )
    errand = req.errands[0]
    for helper in offers_to:
        db.session.add(Offer(errand_id=errand.id, helper_id=helper.id, status="pending"))
    db.session.commit()
    return errand, day


def test_offers_waiting_are_counted_with_plural_forms(coordinator_client, db, make):
    org = org_of(coordinator_client)
    helpers = [make.helper(org=org) for _ in range(3)]
    _one, day = make_errand(db, coordinator_client.user, make.elder(org=org), offers_to=helpers[:1])
    make_errand(db, coordinator_client.user, make.elder(org=org), offers_to=helpers[1:])

    url = f"/errands/day?date={day.isoformat()}"
    html = coordinator_client.get(url).get_data(as_text=True)
    assert "1 tarjous odottaa vastausta" in html
    assert "2 tarjousta odottaa vastausta" in html

    coordinator_client.submit("/lang", {"lang": "en", "next": "/"}, page="/")
    html = coordinator_client.get(url).get_data(as_text=True)
    assert "1 offer waiting for an answer" in html and "2 offers waiting for an answer" in html


@pytest.mark.parametrize(
    ("label", "finnish", "swedish"), [("1 days", "1 päivä", "1 dag"), ("2 days", "2 päivää", "2 dagar")]
)
def test_good_days_answer_has_plural_forms(app, label, finnish, swedish):
    with app.test_request_context():
        with force_locale("fi"):
            assert option_label(label) == finnish
        with force_locale("sv"):
            assert option_label(label) == swedish


def test_request_page_shows_the_phone_number_the_finnish_way(coordinator_client, make):
    elder = make.elder(org=org_of(coordinator_client), phone="+358401234567")
    html = coordinator_client.get(f"/requests/new?elder={elder.id}").get_data(as_text=True)
    assert "040 123 4567" in html
    assert "+358401234567</dd>" not in html
    # The person picker finds the number as the caller says it, with or without spaces.
    [search] = [line for line in html.splitlines() if f'value="{elder.id}" data-search=' in line]
    assert "040 123 4567" in search and "0401234567" in search


def test_criminal_record_extract_is_one_word_in_finnish():
    with (TRANSLATIONS / "fi" / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        texts = [m.string for m in read_po(fh) if m.id]
    flat = [t for s in texts for t in (s if isinstance(s, tuple) else (s,))]
    assert not [t for t in flat if "rikostausta-ote" in t.lower()]
    assert any("Rikostaustaote" in t for t in flat)


def test_date_range_filter_says_first_and_last_day(app):
    with app.test_request_context(), force_locale("fi"):
        form = ReportFilterForm(meta={"csrf": False}, data={"date_from": date(2026, 1, 1)})
        assert (str(form.date_from.label.text), str(form.date_to.label.text)) == ("Alkupäivä", "Loppupäivä")


def test_number_as_an_identifier_is_not_a_count(app):
    """The data export labels a record's id "Numero"; a report's count column stays "Määrä"."""
    with app.test_request_context(), force_locale("fi"):
        assert str(privacy_labels.FIELDS["id"]) == "Numero"
        assert gettext("Number") == "Määrä"


def test_cancelling_a_request_with_one_errand_says_it_in_the_singular(coordinator_client, db, make):
    """The plural ("3 tulevaa tehtävää") is tested with the request pages."""
    org = org_of(coordinator_client)
    errand, _day = make_errand(db, coordinator_client.user, make.elder(org=org))
    url = f"/requests/{errand.request_id}"
    resp = coordinator_client.submit(f"{url}/cancel", {"by_kind": "elder", "reason": "Ei tarvetta"}, page=url)
    assert resp.status_code == 302
    assert "Pyyntö peruttiin, samoin 1 tuleva tehtävä." in coordinator_client.get(url).get_data(as_text=True)


def test_sms_as_a_channel_stays_lower_case_and_as_a_label_is_capitalised(app):
    with app.test_request_context(), force_locale("fi"):
        assert gettext("SMS") == "tekstiviesti"  # "(tekstiviesti)" after an answer's time
        assert str(audit_log.SUBJECT_LABELS["SmsMessage"]) == "Tekstiviesti"


@pytest.mark.parametrize(
    ("language", "day_and_time", "time_alone"),
    [("fi", "8.12.2026 16.05", "16.05"), ("sv", "8.12.2026 16.05", "16.05"), ("en", "08/12/2026, 16.05", "16.05")],
)
def test_dates_and_times_are_written_the_finnish_way_in_every_language(app, language, day_and_time, time_alone):
    """Glossary rule 6: Swedish as in Finland (not Sweden's 2026-12-08 16:05), English without a 12-hour clock."""
    moment = datetime(2026, 12, 8, 14, 5, tzinfo=UTC)  # 16.05 in Helsinki
    with app.test_request_context(), force_locale(language):
        filters = app.jinja_env.filters
        assert filters["local_dt"](moment) == day_and_time
        assert filters["local_time"](moment) == time_alone
        assert filters["local_date"](moment.date()).endswith("2026")
        assert "2026-12-08" not in filters["local_date"](moment)


def test_the_reasons_word_times_as_the_pages_do(app):
    """A busy helper's and a minor's excluded window read 16.05–17.00, as every other time on the page."""
    start, end = datetime(2026, 12, 8, 14, 5, tzinfo=UTC), datetime(2026, 12, 8, 15, 0, tzinfo=UTC)
    spec = score.ErrandSpec(
        errand_id=1, elder_id=1, task_type="shopping", lat=None, lon=None, starts_at=start, ends_at=end
    )
    with app.test_request_context(), force_locale("fi"):
        said = [
            reasons.explain(score.Exclusion(code, (("start", start), ("end", end))), person="", task="", spec=spec)
            for code in ("busy", "minor_hours")
        ]
    assert all("16.05–17.00" in text for text in said), said
