"""The request's date field: quick dates (today, tomorrow, the next weekdays) and the weekday shown."""

from __future__ import annotations

from datetime import date

from app.errands.requests import date_shortcuts


def test_shortcuts_are_today_tomorrow_and_the_next_weekdays():
    saturday = date(2026, 12, 5)
    assert date_shortcuts(saturday) == [
        ("today", saturday),
        ("tomorrow", date(2026, 12, 6)),
        ("weekday", date(2026, 12, 7)),
        ("weekday", date(2026, 12, 8)),
        ("weekday", date(2026, 12, 9)),
        ("weekday", date(2026, 12, 10)),
        ("weekday", date(2026, 12, 11)),
    ]
    tuesday = date(2026, 12, 8)
    days = [d for kind, d in date_shortcuts(tuesday) if kind == "weekday"]
    # Tomorrow (Wednesday) is not repeated; next week's Wednesday is there instead.
    assert [d.isoformat() for d in days] == ["2026-12-10", "2026-12-11", "2026-12-14", "2026-12-15", "2026-12-16"]


def test_the_buttons_are_on_the_form_and_work_without_javascript(db, coord, elder):
    html = coord.get(f"/requests/new?elder={elder.id}").get_data(as_text=True)
    assert "Tänään" in html and "Huomenna" in html and 'name="date_shortcut"' in html
    # The default button (Enter) saves: it comes before the date buttons.
    assert html.index('name="submit"') < html.index('name="date_shortcut"')
    [first_weekday] = [d for kind, d in date_shortcuts(date.today()) if kind == "weekday"][:1]
    response = coord.submit(
        "/requests/new",
        {"elder_id": str(elder.id), "date_shortcut": first_weekday.isoformat(), "notes_for_helper": "Maitoa ja leipää"},
        page=f"/requests/new?elder={elder.id}",
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and f'value="{first_weekday.isoformat()}"' in html
    assert "Maitoa ja leipää" in html  # nothing typed is lost, nothing saved
    assert 'id="date_from-weekday"' in html
