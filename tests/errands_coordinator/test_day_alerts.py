"""The day page's alerts in the reader's language, not the stored Finnish fallback."""

from __future__ import annotations

import sqlalchemy as sa

from app.alerts import raise_alert
from tests.factories import in_days


def test_a_swedish_coordinator_reads_the_alert_in_swedish(db, coord, make, org, elder):
    errand = make.errand(elder, in_days(1, 12))
    alert = raise_alert("no_helper", dedupe_key="day-alert", organization_id=org.id, errand_id=errand.id)
    db.session.commit()
    assert "ei vielä auttajaa" in alert.message  # stored in Finnish
    finnish = coord.get("/errands/day").get_data(as_text=True)
    assert alert.message in finnish
    coord.submit("/lang", {"lang": "sv", "next": "/"}, page="/")
    for url in ("/errands/day", "/errands/week"):
        html = coord.get(url).get_data(as_text=True)
        assert "ingen hjälpare ännu" in html and alert.message not in html, url


def test_the_day_page_words_every_kind_of_alert_as_describe_does(app, db, make, org, elder, count_queries):
    """describe_all (plain rows, for the day and week pages) gives each alert the same
    text as describe (one alert at a time, from the session), in every language, for
    every kind, with or without its errand, person, helper, contact person or activity,
    in the same few statements however many alerts there are."""
    from flask_babel import force_locale

    from app import alerts
    from app.errands import agenda
    from app.models import ContactPerson

    relative = make.elder(with_relative=True)
    contact = db.session.scalar(sa.select(ContactPerson).where(ContactPerson.elder_id == relative.id))
    errand = make.errand(elder, in_days(1, 12))
    helper = make.helper(org=org, first_name="Aino", last_name="Auttaja")
    activity = make.activity(org=org, title="Kahvihetki")
    shapes = [
        {"errand_id": errand.id},
        {"elder_id": elder.id},
        {"errand_id": errand.id, "elder_id": relative.id, "contact_id": contact.id},
        {"helper_id": helper.id},
        {"errand_id": errand.id, "helper_id": helper.id},
        {"elder_id": elder.id, "activity_id": activity.id},
        {"activity_id": activity.id},
        {},
    ]
    raised = []
    for i, kind in enumerate([*alerts.KIND_LABELS, "unknown_kind"]):
        for j, shape in enumerate(shapes):
            alert = raise_alert(kind, dedupe_key=f"all-{i}-{j}", organization_id=org.id, **shape)
            raised.append(alert)
    db.session.commit()
    assert len(raised) == (len(alerts.KIND_LABELS) + 1) * len(shapes)
    for language in ("fi", "sv", "en"):
        with app.test_request_context("/"), force_locale(language):
            rows = agenda.needs_attention({org.id}, language=language).alerts
            assert {row.id for row in rows} <= {a.id for a in raised} and len(rows) == 50
            every = db.session.execute(sa.select(*agenda.ALERT_COLUMNS)).all()
            with count_queries() as queries:
                texts = alerts.describe_all(every)
            assert queries.count <= 5
            for alert in raised:
                assert texts[alert.id] == alerts.describe(alert), (language, alert.kind)
            with count_queries() as few:
                alerts.describe_all(every[:3])
            assert few.count <= queries.count
