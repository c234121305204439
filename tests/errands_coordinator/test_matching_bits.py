"""Task types, availability and languages as bits (migration 0011): one owner keeps them
in step with the lists, the migration computes the same, and the ranking that reads
the bits ranks exactly as the lists say."""

from __future__ import annotations

import importlib.util
import random
from datetime import date, timedelta
from pathlib import Path

import sqlalchemy as sa

from app import vocabulary
from app.errands.eligibility import candidate_from_profile, errand_local_date, spec_from_errand
from app.errands.matching_service import rank_candidates
from app.helpers.labels import LANGUAGE_LABELS
from app.matching import score
from app.models import HelperProfile, TaskType, helper_masks, task_bits

MIGRATION = Path(__file__).parents[2] / "migrations" / "versions" / "20261205_0011_matching_bits.py"
CODES = ["shopping", "post", "walk", "company", "errand", "outdoor", "digital"]


def _masks(profile: HelperProfile) -> dict[str, int]:
    return {
        "task_mask": profile.task_mask,
        "availability_mask": profile.availability_mask,
        "language_mask": profile.language_mask,
    }


def _expected(db, profile: HelperProfile) -> dict[str, int]:
    bits = task_bits(db.session.connection())
    return helper_masks(profile.task_types, profile.availability, profile.languages, bits)


def test_every_task_type_has_its_own_bit_and_a_new_one_the_lowest_free(db):
    types = db.session.scalars(sa.select(TaskType)).all()
    bits = [t.bit for t in types]
    assert None not in bits and len(set(bits)) == len(bits) == len(CODES)
    assert set(bits) == set(range(len(CODES)))
    added = TaskType(code="garden", name_fi="Puutarha", name_sv="Trädgård", name_en="Garden", sort_order=5)
    db.session.add(added)
    db.session.commit()
    assert added.bit == len(CODES)


def test_the_bits_follow_the_lists_on_every_write(db, make, org):
    helper = make.helper(
        org=org, task_types=["walk", "digital"], availability=[[0, "morning"], [6, "evening"]], languages=["sv"]
    )
    bits = task_bits(db.session.connection())
    assert helper.task_mask == (1 << bits["walk"]) | (1 << bits["digital"])
    assert helper.availability_mask == (1 << 0) | (1 << 20)
    assert helper.language_mask == 1 << vocabulary.HELPER_LANGUAGES.index("sv")

    helper.task_types = ["shopping"]
    db.session.commit()
    assert _masks(helper) == _expected(db, helper)
    helper.availability = [[2, "afternoon"]]
    helper.languages = []
    db.session.commit()
    assert helper.availability_mask == 1 << (2 * 3 + 1) and helper.language_mask == 0
    helper.first_name = "Toinen"  # another column: the bits stay
    db.session.commit()
    db.session.expire_all()
    assert _masks(db.session.get(HelperProfile, helper.id)) == _expected(db, helper)


def test_every_language_a_helper_can_choose_has_a_bit():
    assert set(LANGUAGE_LABELS) <= set(vocabulary.HELPER_LANGUAGES)
    assert score.PARTS_OF_DAY == vocabulary.PARTS_OF_DAY


def test_the_migration_computes_the_same_bits_as_the_model(db, make, org):
    """Migration 0011's SQL (both engines) against app.models.masks, odd values included."""
    lists = [
        (["shopping", "digital"], [[0, "morning"], [4, "evening"], [6, "afternoon"]], ["fi", "sv", "en", "other"]),
        ([], [], []),
        (["no-such-type", "walk", "walk"], [[7, "morning"], [-1, "evening"], [3, "noon"]], ["xx", "sv"]),
        (["post"], [["1", "morning"], [1.5, "evening"], [2], [2, "evening", "x"], [5, "evening"]], ["en"]),
        ([1, None, "errand"], [None, "morning", [1, "afternoon"]], [None, 3, "fi"]),
    ]
    helpers = [make.helper(org=org, task_types=t, availability=a, languages=lang) for t, a, lang in lists]
    helpers.append(make.helper(org=org, task_types=None, availability=None, languages=None))
    expected = {h.id: _expected(db, h) for h in helpers}
    assert expected[helpers[0].id]["availability_mask"] == (1 << 0) | (1 << 14) | (1 << 19)
    db.session.execute(sa.update(HelperProfile).values(task_mask=-1, availability_mask=-1, language_mask=-1))
    spec = importlib.util.spec_from_file_location("migration_0011", MIGRATION)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    postgresql = db.session.get_bind().dialect.name == "postgresql"
    db.session.execute(sa.text(migration._PG_MASKS if postgresql else migration._SQLITE_MASKS))
    db.session.commit()
    db.session.expire_all()
    for helper_id, masks in expected.items():
        assert _masks(db.session.get(HelperProfile, helper_id)) == masks, helper_id


def test_the_ranking_by_bits_is_the_ranking_by_the_lists(db, make, org, elder):
    """Every score and reason as the matcher gives them from the JSON lists of the profiles."""
    rng = random.Random(15)
    slots = [[d, p] for d in range(7) for p in vocabulary.PARTS_OF_DAY]
    for i in range(40):
        make.helper(
            org=org,
            age=19 + i % 7,
            lat=64.2263 + rng.uniform(-0.05, 0.05),
            lon=27.7290 + rng.uniform(-0.1, 0.1),
            task_types=rng.sample(CODES, rng.randint(0, 4)),
            availability=rng.sample(slots, rng.randint(0, 8)),
            languages=rng.sample(list(vocabulary.HELPER_LANGUAGES), rng.randint(0, 2)),
            youth_profile=rng.choice(vocabulary.YOUTH_PROFILES),
        )
    for task, hour, minutes in (("shopping", 10, 60), ("walk", 11, 300), ("digital", 15, 120)):
        errand = make.request(
            elder, day=date.today() + timedelta(days=4), hour=hour, minutes=minutes, task=task
        ).errands[0]
        result = rank_candidates(errand.id, limit=100)
        spec = spec_from_errand(errand)
        day = errand_local_date(errand)
        profiles = db.session.scalars(sa.select(HelperProfile).where(HelperProfile.id.in_(result.people))).all()
        oracle = score.rank(spec, [candidate_from_profile(p, on=day) for p in profiles], limit=100)
        assert len(result.ranked) == len(profiles) == 40
        assert result.ranked == oracle[0], task
        assert len({tuple(r.code for r in ranked.reasons) for ranked in result.ranked}) > 5  # varied reasons
