"""The board's one statement that stops at the page (``board_page``) shows exactly
what the long way (``board``: every visible errand read, the hard rules in Python)
shows: the same errands in the same order, and the same total."""

from __future__ import annotations

import dataclasses
import random
from collections import namedtuple
from datetime import date, datetime, timedelta

import pytest

from app.errands import helper_views
from app.errands.board_query import helsinki_offsets
from app.errands.eligibility import DayCandidates, candidate_from_profile
from app.errands.helper_views import BoardItem, _item, board, board_page
from app.i18n import HELSINKI
from app.models import utcnow
from tests.factories import in_days


def _random_world(make, db, rnd: random.Random):
    orgs = [make.organization() for _ in range(3)]
    make.partnership(orgs[0], orgs[1])
    elders = []
    for _ in range(25):
        near = rnd.random() < 0.85
        elders.append(
            make.elder(
                org=rnd.choice(orgs),
                lat=64.2263 + rnd.uniform(-0.15, 0.15) if near else None,
                lon=27.7290 + rnd.uniform(-0.3, 0.3) if near else None,
            )
        )
    errands = []
    for _ in range(90):
        # Days ahead reach past the next change to or from summer time.
        starts_at = in_days(rnd.randint(0, 200), rnd.randint(5, 22), rnd.choice((0, 15, 30, 45)))
        if starts_at <= utcnow():
            starts_at += timedelta(days=1)
        errands.append(
            make.errand(
                elder=rnd.choice(elders),
                starts_at=starts_at,
                minutes=rnd.choice((30, 60, 120, 240, 600)),
                state=rnd.choice(("open", "open", "open", "offered", "cancelled")),
                helpers_needed=rnd.choice((1, 1, 2)),
            )
        )
    helpers = []
    today = date.today()
    for _ in range(14):
        near = rnd.random() < 0.85
        helper = make.helper(
            org=rnd.choice(orgs),
            age=rnd.choice((15, 16, 17, 19, 24)),
            consent=rnd.random() < 0.8,
            lat=64.2263 + rnd.uniform(-0.1, 0.1) if near else None,
            lon=27.7290 + rnd.uniform(-0.2, 0.2) if near else None,
            max_distance_km=rnd.choice((0.5, 2.0, 5.0, 10.0, 30.0)),
            status=rnd.choice(("approved",) * 8 + ("pending", "suspended")),
        )
        if helper.birth_date.year >= today.year - 18 and rnd.random() < 0.5:
            # Turns 18 within the errands' days.
            helper.birth_date = date(today.year - 18, 1, 1) + timedelta(days=rnd.randint(0, 700))
        if rnd.random() < 0.2:
            helper.paused_until = today + timedelta(days=rnd.randint(-3, 60))
        helpers.append(helper)
    db.session.commit()
    for helper in helpers:
        for errand in rnd.sample(errands, 12):
            choice = rnd.random()
            if choice < 0.3:
                make.offer(errand, helper, status=rnd.choice(("pending", "declined")), expires_at=in_days(2))
            elif choice < 0.45 and errand.state in ("open", "offered") and len(errand.assignments) < 2:
                make.assignment(errand, helper, status=rnd.choice(("active", "active", "done")))
    db.session.commit()
    return helpers


def _ids(items):
    return [(i.errand_id, i.offered, i.distance_km) for i in items]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_page_statement_shows_what_the_python_filter_shows(db, make, monkeypatch, seed):
    rnd = random.Random(seed)
    helpers = _random_world(make, db, rnd)
    now = utcnow()
    seen = 0
    for helper in helpers:
        everything = board(helper, now)
        seen += len(everything)
        with monkeypatch.context() as m:
            # The page must come from its own statement, not from the long way.
            m.setattr(helper_views, "board", lambda *a, **k: pytest.fail("board_page took the long way"))
            for limit in (1, 4, 16, 500):
                items, total = board_page(helper, now, "fi", limit)
                assert _ids(items) == _ids(everything[:limit]), (helper.id, limit)
                assert items == everything[:limit]
                assert total == len(everything)
    assert seen > 0  # the random world is not empty


def test_a_row_the_hard_rules_refuse_sends_the_page_the_long_way(db, make, monkeypatch):
    helper = make.helper(age=19, max_distance_km=10)
    errands = [make.errand(elder=make.elder(), starts_at=in_days(d, 14)) for d in (1, 2, 3)]
    db.session.commit()
    refused, refused_start = errands[0].id, errands[0].starts_at
    real, real_each = helper_views.hard_rules, helper_views.hard_rules_each

    def refuse_one(spec, candidate):
        failed, distance = real(spec, candidate)
        return (failed or (object(),)) if spec.errand_id == refused else failed, distance

    def refuse_one_of(rules, candidate):  # the long way: the errands' kept parts of the rules
        return [
            ((failed or (object(),)) if kept.starts_at == refused_start else failed, distance)
            for kept, (failed, distance) in zip(rules, real_each(rules, candidate), strict=True)
        ]

    monkeypatch.setattr(helper_views, "hard_rules", refuse_one)
    monkeypatch.setattr(helper_views, "hard_rules_each", refuse_one_of)
    items, total = board_page(helper, utcnow(), "fi", 2)
    # The long way asks the same rules: the refused errand is not shown, nor counted.
    assert refused not in [i.errand_id for i in items]
    assert total == 2


def test_helsinki_offsets_follow_summer_time():
    changes, offsets = helsinki_offsets(date(2026, 12, 5))
    assert offsets[:3] == (7200, 10800, 7200)
    first = datetime.fromtimestamp(changes[0], HELSINKI)
    assert (first.year, first.month, first.day, first.hour) == (2027, 3, 28, 4)


@pytest.mark.parametrize("consent", [True, False])
def test_day_candidates_are_candidate_from_profile_on_each_day(db, make, consent):
    """DayCandidates makes a candidate once for each (minor, paused) pair: on every day, across
    the 18th birthday and the end of a break, the same candidate as candidate_from_profile."""
    today = date.today()
    helper = make.helper(age=17, consent=consent)
    birthday = today + timedelta(days=4)  # the 18th, in four days
    helper.birth_date = birthday.replace(year=birthday.year - 18, day=min(birthday.day, 28))
    helper.paused_until = today + timedelta(days=2)
    db.session.commit()
    busy = ((utcnow() + timedelta(days=1), utcnow() + timedelta(days=1, hours=1)),)
    days = DayCandidates(helper, busy)
    made = set()
    for offset in [*range(-3, 12), 5, 0, 9]:
        day = today + timedelta(days=offset)
        candidate = days.on(day)
        assert candidate == candidate_from_profile(helper, on=day, busy_intervals=busy), day
        made.add(id(candidate))
    assert len(made) == 3  # paused minor, minor, adult (the break ends before the birthday)


@pytest.mark.parametrize("locale", ["fi", "sv", "en", "de"])
def test_a_board_item_is_the_dataclass_made_with_its_fields(locale):
    """_item makes a BoardItem without its frozen __init__: equal to the one made with it,
    with the same hash and repr, and as frozen."""
    Row = namedtuple(
        "Row",
        "id task_code task_fi task_sv task_en starts_at ends_at helpers_needed village_name muni_name muni_name_sv",
    )
    start = datetime(2026, 12, 7, 10, 0, tzinfo=HELSINKI)
    for task_sv, village, offered in ((None, None, False), ("Handla", "Kylä", True), ("", None, True)):
        row = Row(
            7,
            "shopping",
            "Kauppa",
            task_sv,
            "Shopping",
            start,
            start + timedelta(hours=1),
            2,
            village,
            "Kajaani",
            "Kajana",
        )
        made = _item(row, 2.5 if offered else None, offered, start, locale)
        expected = BoardItem(
            errand_id=7,
            task_code="shopping",
            task={"sv": task_sv, "en": "Shopping"}.get(locale) or "Kauppa",
            starts_at=start,
            ends_at=start + timedelta(hours=1),
            place=helper_views._place(row, locale),
            distance_km=2.5 if offered else None,
            offered=offered,
            helpers_needed=2,
            offer_expires_at=start if offered else None,
        )
        assert made == expected and hash(made) == hash(expected) and repr(made) == repr(expected)
        assert type(made) is BoardItem and dataclasses.asdict(made) == dataclasses.asdict(expected)
        with pytest.raises(dataclasses.FrozenInstanceError):
            made.task = "x"
