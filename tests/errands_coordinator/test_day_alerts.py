"""The day page's alerts in the reader's language, not the stored Finnish fallback."""

from __future__ import annotations

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
