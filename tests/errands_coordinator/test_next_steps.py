"""The errand page for coordinators: candidates as a plain strength with reasons (no points),
and what to do next when the list is empty or weak, one button each."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.matching.score import STRENGTH_BANDS, strength
from app.models import utcnow
from tests.factories import in_days


@pytest.mark.parametrize(
    ("points", "band"),
    [(120, "very_good"), (70, "very_good"), (69.9, "good"), (35, "good"), (34, "possible"), (-40, "possible")],
)
def test_one_function_owns_the_bands(points, band):
    assert strength(points) == band
    assert [b for b, _ in STRENGTH_BANDS] == ["very_good", "good"]


def test_candidates_read_as_a_strength_with_reasons_not_points(db, coord, make, org, elder):
    make.helper(org=org, age=30, first_name="Aada")
    errand = make.errand(elder, in_days(3, 12))
    html = coord.get(f"/errands/{errand.id}").get_data(as_text=True)
    assert "Aada" in html and "pistettä" not in html and "points" not in html
    assert any(word in html for word in ("Erittäin hyvä", "Hyvä", "Mahdollinen"))


def test_an_empty_list_says_what_to_do_next(db, coord, make, org, elder):
    # A helper who has helped before, a little too far for their own limit this time.
    regular = make.helper(org=org, age=30, first_name="Reino", lat=64.2440, lon=27.7300, max_distance_km=1.0)
    before = make.errand(elder, utcnow() - timedelta(days=7), state="done")
    make.assignment(before, regular, status="done")
    errand = make.errand(elder, in_days(3, 12))
    html = coord.get(f"/errands/{errand.id}").get_data(as_text=True)
    assert "Mitä seuraavaksi?" in html
    assert html.count(f'href="tel:{regular.phone}"') == 2  # as the regular helper and as the one a little too far
    assert f"/calls/new?helper={regular.id}&amp;errand={errand.id}" in html
    assert "ei ole kumppaniorganisaatioita" in html
    assert f"/requests/{errand.request_id}" in html


def test_a_good_list_needs_no_advice(db, coord, make, org, elder):
    make.helper(org=org, age=30)
    errand = make.errand(elder, in_days(3, 12))
    assert "Mitä seuraavaksi?" not in coord.get(f"/errands/{errand.id}").get_data(as_text=True)
