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
