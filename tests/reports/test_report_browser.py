"""The report page in Chromium with the demo world: charts, tables and the map are drawn."""

from __future__ import annotations

from playwright.sync_api import expect


def test_coordinator_sees_charts_tables_and_map(live_server, page, app, db):
    assert app.test_cli_runner().invoke(args=["seed-demo"]).exit_code == 0
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda msg: problems.append(msg.text) if "Content Security Policy" in msg.text else None)

    page.goto(live_server + "/auth/login")
    page.get_by_label("Sähköposti").fill("kaisa.koordinaattori@demo.arjenpelastajat.fi")
    page.get_by_label("Salasana").fill("arjenpelastajat")
    page.get_by_role("button", name="Kirjaudu").click()
    page.get_by_role("link", name="Raportit").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Raportit")

    # Chart.js is the app's own copy, and every chart drew on a canvas with a real size.
    # Chart.js and the charts come in deferred scripts: wait for them (the heading can show first).
    # Polled from here: wait_for_function re-evaluates a string predicate with eval() inside the
    # page, which the app's Content Security Policy (no 'unsafe-eval') rightly refuses when the
    # charts are not drawn at the first look (a slow machine); page.evaluate is not eval().
    drawn = "Boolean(window.Chart) && Object.keys(window.reportCharts || {}).length >= 4"
    for _ in range(150):
        if page.evaluate(drawn):
            break
        page.wait_for_timeout(100)
    assert page.evaluate(drawn), "the charts were not drawn within 15 s"
    assert page.evaluate("typeof window.Chart") == "function"
    charts = page.evaluate("Object.keys(window.reportCharts || {})")
    assert {"outcomes", "tasks", "areas", "municipalities"} <= set(charts)
    sizes = page.evaluate("Array.from(document.querySelectorAll('.report-chart canvas')).map(c => [c.width, c.height])")
    assert sizes and all(w > 0 and h > 0 for w, h in sizes)
    assert page.evaluate("window.Chart.getChart('chart-outcomes').data.datasets[0].data.length") == 4

    # The accessible tables carry the numbers.
    requests_cell = page.locator("#table-municipalities tbody tr").first.locator("td").first
    assert int(requests_cell.inner_text()) > 0
    assert page.locator("#table-tasks tbody tr").count() > 0

    # The map: Leaflet served by the app, one marker per village and kind, no tiles configured.
    markers = page.locator("#report-map .leaflet-marker-icon")
    expect(markers.first).to_be_visible()
    assert markers.count() >= 2
    assert page.locator("#report-map.no-tiles").count() == 1
    assert page.locator("#report-map .map-fallback").count() == 0
    assert problems == []
