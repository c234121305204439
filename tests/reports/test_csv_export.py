"""The CSV export: same figures as the page, small counts suppressed, formula-safe, Excel-friendly."""

from __future__ import annotations

import re

import pytest

from app.models import HelpRequest, TaskType
from app.reports.csv_export import export_cell, safe_text
from app.reports.figures import Amount, Share
from tests.reports.helpers import csv_block, read_csv


@pytest.fixture()
def coordinator(client, world):
    client.login(world.coordinator.email)
    return client


def test_export_in_finnish_with_suppression(coordinator, world):
    response = coordinator.get(f"/reports/export.csv?{world.period_args}")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert 'filename="raportti-' in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "private, no-store"
    assert b"\r\n" in response.data
    rows = read_csv(response.data)

    assert rows[0] == ["Raportti", "Arjen pelastajat"]
    assert ["Kunta", "Kaikki"] in rows

    summary = csv_block(rows, "Yhteenveto")
    assert summary[""] == ["Arvo"]
    assert summary["Vastaanotetut pyynnöt"] == ["13"]
    assert summary["Auttajan saaneet tehtävät"] == ["7"]
    assert summary["Auttajan saaneiden osuus"] == ["63,6%"]  # decimal comma
    assert summary["Auttajan löytymisen mediaani (tuntia)"] == ["4"]
    assert summary["Auttajan löytymisen keskiarvo (tuntia)"] == ["4,4"]
    assert summary["Ilman auttajaa jääneet tehtävät"] == ["<5"]  # 4
    assert summary["Auttajien tunnit"] == ["13"]  # 6 helpers behind it

    tasks = csv_block(rows, "Mitä pyydettiin ja mitä jäi saamatta, tehtävätyypeittäin")
    assert tasks[""] == ["Pyynnöt", "Huomioidut tehtävät", "Sai auttajan", "Ilman auttajaa", "Auttajan saaneiden osuus"]
    assert tasks["Kauppa-asiat"] == ["7", "7", "7", "0", "100%"]
    assert tasks["Ulkoilu ja kävely"] == ["<5", "<5", "0", "<5", "<5"]  # 0 stays 0
    assert tasks["Posti"] == ["<5", "<5", "0", "<5", "<5"]

    outcomes = csv_block(rows, "Aikavälin tehtävät ja miten niille kävi")
    assert outcomes["Sai auttajan"] == ["7"]
    assert outcomes["Ei saanut auttajaa"] == ["<5"]

    checkins = csv_block(rows, "Hyvinvointikyselyt ennen ja jälkeen")
    loneliness = next(v for k, v in checkins.items() if k.startswith("Yksinäisyys"))
    assert loneliness[:3] == ["5", "7", "5"]  # five people: shown

    means_start = rows.index(["Hyvinvointikyselyt ennen ja jälkeen"])
    means_end = rows.index([], means_start)
    counts = rows[:means_start] + rows[means_end:]  # the well-being block holds means (2 and 4 good days)
    counts.remove(["Auttajan löytymisen mediaani (tuntia)", "4"])  # hours, not people
    no_one_small = [cell for row in counts for cell in row if cell.isdigit() and 0 < int(cell) < 5]
    assert no_one_small == [], "every count of 1-4 is suppressed"


def test_export_in_english_uses_a_decimal_point(client, world):
    client.login(world.coordinator.email)
    client.submit("/lang", {"lang": "en"}, page="/")
    rows = read_csv(client.get(f"/reports/export.csv?{world.period_args}").data)
    summary = csv_block(rows, "Summary")
    assert summary["Share matched"] == ["63.6%"]
    assert summary["Mean time to match (hours)"] == ["4.4"]


def test_export_escapes_spreadsheet_formulas(coordinator, world, db):
    evil_task = TaskType(code="evil", name_fi='=HYPERLINK("http://evil.example","x")', name_sv="-x", name_en="+x")
    db.session.add(evil_task)
    elder = world.elders[0]
    db.session.add(
        HelpRequest(
            elder=elder,
            organization_id=world.org.id,
            task_type=evil_task,
            date_from=world.today,
            date_to=world.today,
        )
    )
    world.org.name = "@SUM(1+1)*cmd|' /C calc'!A0"
    db.session.commit()
    response = coordinator.get(f"/reports/export.csv?{world.period_args}&organization={world.org.id}")
    rows = read_csv(response.data)
    assert ["Organisaatio", "'@SUM(1+1)*cmd|' /C calc'!A0"] in rows
    tasks = csv_block(rows, "Mitä pyydettiin ja mitä jäi saamatta, tehtävätyypeittäin")
    assert '\'=HYPERLINK("http://evil.example","x")' in tasks
    numbers = re.compile(r"-?[0-9]+(,[0-9]+)?%?")
    dangerous = [c for row in rows for c in row if c.startswith(("=", "+", "-", "@")) and not numbers.fullmatch(c)]
    assert dangerous == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+358", "'+358"),
        ("-2", "'-2"),
        ("@x", "'@x"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("Kajaani", "Kajaani"),
        ("a=b", "a=b"),
    ],
)
def test_safe_text(text, expected):
    assert safe_text(text) == expected


def test_export_cell_suppression():
    assert [export_cell(n, "fi") for n in (0, 1, 4, 5, 12)] == ["0", "<5", "<5", "5", "12"]
    assert export_cell(Share(1, 4), "fi") == "<5"
    assert export_cell(Share(3, 6), "fi") == "50%"
    assert export_cell(Share(0, 0), "fi") == ""
    assert export_cell(Amount(2.25, 4), "fi") == "<5"
    assert export_cell(Amount(2.25, 5), "fi") == "2,2"
    assert export_cell(Amount(-2.0, 5), "en") == "-2"  # a computed number, not text: no apostrophe
    assert export_cell("-text", "fi") == "'-text"


def test_bad_filters_send_the_user_back_to_the_page(coordinator, world):
    response = coordinator.get("/reports/export.csv?date_from=2026-05-01&date_to=2026-01-01")
    assert response.status_code == 302
    assert "/reports/?" in response.headers["Location"]
    assert "date_from=2026-05-01" in response.headers["Location"]
