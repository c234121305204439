"""The report page: exact figures from a known data set, filters, scoping and languages."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.reports.helpers import summary, tables


def _english(client):
    client.submit("/lang", {"lang": "en"}, page="/")


@pytest.fixture()
def coordinator(client, world):
    client.login(world.coordinator.email)
    _english(client)
    return client


def test_report_shows_exact_figures(coordinator, world):
    response = coordinator.get(f"/reports/?{world.period_args}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)

    figures = summary(html)
    assert figures["Requests taken"] == "13"
    assert figures["Errands due"] == "13"
    assert figures["Errands considered for matching"] == "11"
    assert figures["Errands that got a helper"] == "7"
    assert figures["Share matched"] == "63.6%"
    assert figures["Median time to match (hours)"] == "4"
    assert figures["Mean time to match (hours)"] == "4.4"  # 31 / 7
    assert figures["Errands without a helper"] == "4"
    assert figures["Encounters"] == "5"
    assert figures["Older people reached"] == "6"
    assert figures["Helpers taking part"] == "6"
    assert figures["Helper hours"] == "13"

    t = tables(html)
    assert t["table-outcomes"] == {
        "": ["Errands"],
        "Got a helper": ["7"],
        "Did not get a helper": ["4"],
        "Still waiting for a helper": ["1"],
        "Cancelled by the older person or a relative": ["1"],
    }
    tasks = t["table-tasks"]
    assert tasks[""] == ["Requests", "Errands considered", "Got a helper", "Without a helper", "Share matched"]
    assert tasks["Shopping"] == ["7", "7", "7", "0", "100%"]
    assert tasks["Walk"] == ["3", "3", "0", "3", "0%"]
    assert tasks["Post"] == ["3", "1", "0", "1", "0%"]
    assert "Company" not in tasks  # nothing asked: left out; and B's errand is not A's

    areas = t["table-areas"]
    assert list(areas)[1] == "Kajaani: no village given"  # most unmet first
    assert areas["Kajaani: no village given"] == ["6", "4", "66.7%"]
    assert areas["Kajaani: Paltaniemi"] == ["2", "0", "0%"]
    assert areas["Paltamo: no village given"] == ["3", "0", "0%"]

    encounters = t["table-encounters"]
    assert encounters["Help at home"] == ["2", "2"]
    assert encounters["Shared activity"] == ["1", "2"]
    assert encounters["Community event"] == ["1", "1.5"]
    assert encounters["Company or a walk"] == ["1", "1"]  # the planned one tomorrow does not count

    assert t["table-municipalities"]["Kajaani"] == ["10", "8", "4", "4", "5"]
    assert t["table-municipalities"]["Paltamo"] == ["3", "3", "3", "0", "0"]

    assert t["table-map"]["Kajaani: Paltaniemi"] == ["2", "0"]
    assert t["table-map"]["Kajaani: no village given"] == ["8", "6"]
    assert t["table-map"]["Paltamo: no village given"] == ["3", "0"]

    checkins = t["table-checkins"]
    loneliness = next(v for k, v in checkins.items() if k.startswith("Loneliness score"))
    assert loneliness[0] == "5"
    assert loneliness[1:3] == ["7", "5"]
    assert loneliness[3].replace("−", "-") == "-2"
    assert loneliness[4] == "100"
    assert t["table-loneliness"]["Lonely before"] == ["5"]
    assert t["table-loneliness"]["No longer lonely"] == ["5"]

    movement = t["table-movement"]
    assert movement["Young helpers"][0] == "6"
    assert movement["Older people"][0] == "7"
    funnel = t["table-funnel"]
    assert sum(int(row[1]) for key, row in funnel.items() if key) == 6
    assert sum(int(row[3]) for key, row in funnel.items() if key) == 7

    # The charts' data, and the libraries, are the app's own.
    assert 'id="report-data"' in html and '"charts"' in html
    assert "/static/vendor/chartjs/chart.umd.min.js" in html
    assert "/static/vendor/leaflet/leaflet.js" in html
    assert "cdn" not in html.lower()
    for key in ("outcomes", "tasks", "areas", "encounters", "funnel", "checkins", "municipalities"):
        assert f'id="chart-{key}"' in html, key
        assert f'<table id="table-{key}"' in html, key
    assert '<th scope="col">' in html and '<th scope="row">' in html and "<caption" in html


def test_municipality_filter(coordinator, world):
    paltamo = world.elders[6].municipality_id
    html = coordinator.get(f"/reports/?{world.period_args}&municipality={paltamo}").get_data(as_text=True)
    figures = summary(html)
    assert figures["Requests taken"] == "3"
    assert figures["Errands considered for matching"] == "3"
    assert figures["Errands that got a helper"] == "3"
    assert figures["Encounters"] == "0"
    assert figures["Helper hours"] == "3.5"  # 60 + 60 + 90 minutes
    assert list(tables(html)["table-municipalities"]) == ["", "Paltamo"]
    assert "Nobody has a check-in before and after" in html  # nobody in Paltamo has two check-ins


def test_period_presets_and_default(coordinator, world):
    html = coordinator.get("/reports/").get_data(as_text=True)  # default: the last 12 months, up to today
    figures = summary(html)
    assert figures["Errands due"] == "11"  # the two errands after today are outside
    assert 'aria-current="true">Last 12 months' in html
    html = coordinator.get("/reports/?preset=this_year").get_data(as_text=True)
    assert 'aria-current="true">This year' in html

    # Dates typed the Finnish way work too.
    since = (world.today - timedelta(days=90)).strftime("%d.%m.%Y")
    until = (world.today + timedelta(days=10)).strftime("%d.%m.%Y")
    html = coordinator.get(f"/reports/?date_from={since}&date_to={until}").get_data(as_text=True)
    assert summary(html)["Errands due"] == "13"


def test_bad_filters_keep_what_was_typed(coordinator, world):
    response = coordinator.get("/reports/?date_from=2026-05-01&date_to=2026-04-01")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "The last day must be the same as or after the first day." in html
    assert 'value="2026-05-01"' in html and 'value="2026-04-01"' in html
    assert 'id="report-data"' not in html

    html = coordinator.get("/reports/?date_from=31.2.2026&date_to=").get_data(as_text=True)
    assert "Give the last day of the period." in html
    assert 'value="31.2.2026"' in html

    foreign = world.other_org.id
    html = coordinator.get(f"/reports/?{world.period_args}&organization={foreign}").get_data(as_text=True)
    assert 'id="report-data"' not in html
    assert "error-summary" in html


def test_other_organizations_coordinator_sees_none_of_it(client, world):
    client.login(world.other_coordinator.email)
    _english(client)
    html = client.get(f"/reports/?{world.period_args}").get_data(as_text=True)
    figures = summary(html)
    assert figures["Requests taken"] == "1"  # only B's own
    assert figures["Errands that got a helper"] == "1"
    assert figures["Encounters"] == "0"
    assert "Paltamo" not in tables(html)["table-municipalities"]
    assert client.get(f"/reports/export.csv?{world.period_args}&organization={world.org.id}").status_code == 302


def test_admin_sees_every_organization(client, world, make):
    admin = make.admin()
    client.login(admin.email)
    _english(client)
    html = client.get(f"/reports/?{world.period_args}").get_data(as_text=True)
    assert summary(html)["Requests taken"] == "14"
    html = client.get(f"/reports/?{world.period_args}&organization={world.org.id}").get_data(as_text=True)
    assert summary(html)["Requests taken"] == "13"


def test_access(client, world):
    response = client.get("/reports/")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    client.login(world.helpers[1].user.email)
    for url in ("/reports/", "/reports/export.csv", "/reports/helpers"):
        assert client.get(url).status_code == 403, url
    assert 'href="/reports/certificate"' in client.get("/helper").get_data(as_text=True)
    assert 'href="/reports/"' not in client.get("/helper").get_data(as_text=True)
    client.logout()
    client.login(world.coordinator.email)
    assert 'href="/reports/"' in client.get("/coordinator").get_data(as_text=True)


def test_page_in_finnish_and_swedish(client, world):
    client.login(world.coordinator.email)
    html = client.get(f"/reports/?{world.period_args}").get_data(as_text=True)
    assert "<h1>Raportit</h1>" in html
    figures = summary(html)
    assert figures["Vastaanotetut pyynnöt"] == "13"
    assert figures["Auttajan saaneiden osuus"] == "63,6 %"
    assert figures["Auttajan löytymisen keskiarvo (tuntia)"] == "4,4"
    assert "Kauppa-asiat" in tables(html)["table-tasks"]

    client.submit("/lang", {"lang": "sv"}, page="/")
    html = client.get(f"/reports/?{world.period_args}").get_data(as_text=True)
    assert "<h1>Rapporter</h1>" in html
    assert summary(html)["Mottagna begäranden"] == "13"
    assert "Handla" in tables(html)["table-tasks"]
