"""Reference data every installation needs: places (from the shipped
gazetteer) and the default task types. Both are idempotent upserts."""

from __future__ import annotations

import json
from pathlib import Path

import sqlalchemy as sa

from app.extensions import db
from app.models import Municipality, TaskType, Village

GAZETTEER_FILE = Path(__file__).resolve().parent / "geocoding" / "data" / "kainuu_gazetteer.json"

DEFAULT_TASK_TYPES = [
    ("shopping", "Kauppa-asiat", "Handla", "Shopping", 10),
    ("post", "Posti", "Post", "Post", 20),
    ("walk", "Ulkoilu ja kävely", "Utevistelse och promenad", "Walk", 30),
    ("company", "Seura ja jutustelu", "Sällskap och samtal", "Company", 40),
    ("errand", "Asiointi", "Uträtta ärenden", "Running an errand", 50),
    ("outdoor", "Pienet pihatyöt", "Små gårdsarbeten", "Small outdoor chores", 60),
    ("digital", "Puhelin- ja tietokoneapu", "Hjälp med telefon och dator", "Help with a phone or computer", 70),
]


def ensure_task_types() -> list[TaskType]:
    existing = {t.code: t for t in db.session.scalars(sa.select(TaskType))}
    for code, fi, sv, en, order in DEFAULT_TASK_TYPES:
        if code not in existing:
            existing[code] = TaskType(code=code, name_fi=fi, name_sv=sv, name_en=en, sort_order=order)
            db.session.add(existing[code])
    db.session.flush()
    return sorted(existing.values(), key=lambda t: t.sort_order)


def gazetteer_places() -> list[dict]:
    """The municipalities (with their villages) of the shipped gazetteer."""
    with GAZETTEER_FILE.open(encoding="utf-8") as fh:
        return json.load(fh)["municipalities"]


def ensure_places() -> None:
    """Create the municipalities and villages of the shipped gazetteer."""
    munis = {m.name: m for m in db.session.scalars(sa.select(Municipality))}
    villages = {(v.municipality_id, v.name) for v in db.session.scalars(sa.select(Village))}
    for place in gazetteer_places():
        muni = munis.get(place["name"])
        if muni is None:
            swedish = next(iter(place.get("aliases") or []), None)
            muni = Municipality(name=place["name"], name_sv=swedish, lat=place["lat"], lon=place["lon"])
            db.session.add(muni)
            db.session.flush()
            munis[muni.name] = muni
        for village in place.get("villages", []):
            if (muni.id, village["name"]) not in villages:
                db.session.add(
                    Village(
                        municipality_id=muni.id,
                        name=village["name"],
                        postcode=village.get("postcode"),
                        lat=village["lat"],
                        lon=village["lon"],
                    )
                )
                villages.add((muni.id, village["name"]))
    db.session.flush()
