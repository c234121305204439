"""Every matching reason and hard rule has a sentence on the coordinator's page,
in each of the app's languages (the codes come from the pure app/matching/score.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask_babel import force_locale

from app.errands.reasons import explain
from app.matching.score import EXCLUSION_CODES, REASON_CODES, ErrandSpec, Exclusion, Reason

START = datetime(2025, 6, 10, 10, tzinfo=UTC)
END = datetime(2025, 6, 10, 11, tzinfo=UTC)
REASON_PARAMS = (
    ("distance_km", 1.0),
    ("max_km", 5.0),
    ("travel_mode", None),
    ("missing", "helper"),
    ("task_type", "post"),
    ("covered", 1),
    ("total", 2),
    ("errands", 2),
    ("feedback", 2.0),
    ("prefers", False),
    ("language", "fi"),
    ("recent", 2),
    ("elder_profile", "kotoilija"),
    ("youth_profile", "toivokkaat"),
)
EXCLUSION_PARAMS = (("distance_km", 9.0), ("max_km", 5.0), ("start", START), ("end", END))


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
def test_every_code_has_a_sentence(app, language):
    spec = ErrandSpec(
        errand_id=1, elder_id=1, task_type="post", starts_at=START, ends_at=END, lat=None, lon=None, language="fi"
    )
    items = [Reason(code, 0.0, REASON_PARAMS) for code in REASON_CODES]
    items += [Exclusion(code, EXCLUSION_PARAMS) for code in EXCLUSION_CODES]
    with app.test_request_context("/"), force_locale(language):
        for item in items:
            text = explain(item, person="Aili", task="Posti", spec=spec)
            assert text and text != item.code, item.code


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
def test_a_distance_is_worded_as_flask_babel_formats_it(app, language):
    """reasons._km rounds as Babel rounds and keeps each rounded distance's text: the same
    text as Flask-Babel's format_decimal for any distance, halves and the 10 km step too."""
    import random

    from flask_babel import format_decimal

    from app.errands.reasons import _km

    rng = random.Random(15)
    values = [0.0, 0.05, 0.15, 0.25, 0.35, 2.45, 2.55, 9.94, 9.95, 9.96, 9.999, 10.0, 10.5, 11.5, 12.5, 1234.5]
    values += [rng.uniform(0, 60) for _ in range(2000)] + [round(rng.uniform(0, 20), 2) for _ in range(500)]
    with app.test_request_context("/"), force_locale(language):
        for v in values:
            expected = f"{format_decimal(v, format='#,##0.0' if v < 10 else '#,##0')} km"
            assert _km(v) == expected, v
            assert _km(str(v)) == expected, v  # params may hold text
