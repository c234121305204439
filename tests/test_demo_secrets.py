"""The seeded demo holds no guessable secrets, and is not seeded into production by mistake."""

from __future__ import annotations

import sqlalchemy as sa

from app import demo
from app.models import Errand, GuardianConsent, HelperProfile
from tests.conftest import _clean


def _secrets(db) -> dict[str, list[str]]:
    return {
        "calendar": [t for t in db.session.scalars(sa.select(HelperProfile.calendar_token)) if t],
        "consent": list(db.session.scalars(sa.select(GuardianConsent.token_hash))),
        "sms_code": list(db.session.scalars(sa.select(GuardianConsent.sms_code))),
        "short_code": list(db.session.scalars(sa.select(Errand.short_code))),
    }


def test_demo_secrets_are_random_and_differ_between_seedings(app, db):
    demo.seed()
    db.session.commit()
    first = _secrets(db)
    assert len(first["calendar"]) >= 20 and len(first["consent"]) >= 5
    assert len(set(first["calendar"])) == len(first["calendar"])  # all different
    for token in first["calendar"]:
        assert len(token) >= 32 and "demo" not in token and not token.isdigit()
    for token_hash in first["consent"]:
        assert "demo" not in token_hash and len(token_hash) == 64 and not token_hash.endswith("0000")
    assert all(len(code) == 4 and code.isdigit() for code in first["sms_code"])

    _clean(db.engine)
    from app.places import ensure_places, ensure_task_types

    ensure_places()
    ensure_task_types()
    demo.seed()
    db.session.commit()
    second = _secrets(db)
    assert not set(first["calendar"]) & set(second["calendar"])
    assert not set(first["consent"]) & set(second["consent"])
    # Codes are short, so some may repeat by chance; the sequence must not.
    assert first["short_code"] != second["short_code"]
    assert first["sms_code"] != second["sms_code"]


def test_demo_is_not_seeded_into_production(app, db, monkeypatch):
    monkeypatch.setitem(app.config, "ENV_NAME", "production")
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code != 0 and "not seeded in production" in result.output
    assert db.session.scalar(sa.select(sa.func.count(HelperProfile.id))) == 0
