"""No N+1: the number of SQL statements a page runs does not grow with the data.

Two worlds live side by side in one database, in different municipalities: a
small one (5 older people, errands, helpers...) and one ten times larger. Each
page is opened by the small world's user and by the large world's user; the
statements counted by the ``count_queries`` fixture must be the same.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from app.extensions import db as _db
from app.i18n import HELSINKI
from app.models import (
    Assignment,
    CoordinatorAlert,
    Elder,
    Encounter,
    EncounterParticipant,
    Errand,
    HelperProfile,
    HelpRequest,
    Municipality,
    Offer,
    Organization,
    TaskType,
    User,
    utcnow,
)
from tests.factories import PASSWORD, helsinki

SMALL, LARGE = 5, 50
ALL_SLOTS = [[d, p] for d in range(7) for p in ("morning", "afternoon", "evening")]


def build_world(tag: str, municipality: str, n: int, password_hash: str) -> dict:
    """An organization in ``municipality`` with a coordinator, a helper who logs in, ``n`` other helpers
    and ``n`` older people, each with errands today (assigned, open, offered), an errand tomorrow
    with an unanswered offer, and a done errand last month logged as an encounter with feedback."""
    session = _db.session
    muni = session.scalar(sa.select(Municipality).filter_by(name=municipality))
    tasks = {t.code: t for t in session.scalars(sa.select(TaskType))}
    org = Organization(name=f"Yhdistys {tag}", kind="4h", municipalities=[muni])
    coordinator = User(
        email=f"coordinator-{tag}@example.fi", name=f"Koordinaattori {tag}", role="coordinator", organizations=[org]
    )
    coordinator.password_hash = password_hash
    session.add_all([org, coordinator])

    def helper(k: int, email: str) -> HelperProfile:
        user = User(email=email, name=f"Nuori {tag} {k}", role="helper", password_hash=password_hash)
        return HelperProfile(
            user=user,
            organization=org,
            first_name=f"Nuori{k}",
            last_name=tag.title(),
            birth_date=datetime(2000, 1, 1).date(),
            phone=f"+35840{abs(hash((tag, k))) % 10_000_000:07d}",
            municipality=muni,
            lat=muni.lat + 0.001 * (k % 7),
            lon=muni.lon + 0.001 * (k % 5),
            geocode_status="ok",
            transport="bike",
            max_distance_km=10.0,
            task_types=list(tasks),
            availability=ALL_SLOTS,
            languages=["fi", "sv"],
            status="approved",
            approved_at=utcnow(),
            youth_profile="toivokkaat",
        )

    me = helper(0, f"helper-{tag}@example.fi")
    others = [helper(k, f"helper-{tag}-{k}@example.fi") for k in range(1, n + 1)]
    session.add_all([me, *others])
    session.flush()  # ids for the columns without a relationship
    now = utcnow()
    today = now.astimezone(HELSINKI).date()
    tomorrow, last_month = today + timedelta(days=1), today - timedelta(days=30)
    open_errands = []
    for i in range(n):
        elder = Elder(
            organization=org,
            first_name="Aili",
            last_name=f"{tag.title()}{i}",
            phone=f"+35850{abs(hash((tag, 'e', i))) % 10_000_000:07d}",
            municipality=muni,
            lat=muni.lat + 0.002 * (i % 9),
            lon=muni.lon - 0.002 * (i % 4),
            geocode_status="ok",
            elder_profile="kotoilija",
            consent_given=True,
        )
        session.add(elder)
        session.flush()
        code = ("shopping", "walk", "company", "post")[i % 4]
        request = HelpRequest(
            elder=elder,
            organization_id=org.id,
            task_type=tasks[code],
            date_from=last_month,
            date_to=tomorrow,
            time_from=time(10),
            time_to=time(11),
            duration_minutes=60,
            taken_by_id=None,
        )
        helper_i = others[i]

        def errand(day, hour, state, request=request, elder=elder, task=tasks[code], i=i):
            start = helsinki(day.year, day.month, day.day, hour, i % 60)
            return Errand(
                request=request,
                elder=elder,
                organization_id=org.id,
                task_type=task,
                starts_at=start,
                ends_at=start + timedelta(hours=1),
                state=state,
                short_code=str(100 + i),
            )

        assigned = errand(today, 10, "assigned")
        assigned.assignments.append(Assignment(helper=helper_i, slot=1, status="active"))
        offered_today = errand(today, 13, "offered")
        offered_today.offers.append(Offer(helper=helper_i, status="pending", rank=1, score=80.0))
        open_today = errand(today, 15, "open")
        soon = errand(tomorrow, 11, "offered")  # needs attention: no helper, offer unanswered for 13 hours
        soon.offers.append(Offer(helper=helper_i, status="pending", sent_at=now - timedelta(hours=13)))
        done = errand(last_month, 12, "done")
        done.assignments.append(Assignment(helper=helper_i, slot=1, status="done", done_at=done.ends_at))
        session.add_all([request, assigned, offered_today, open_today, soon, done])
        session.flush()
        session.add(
            Encounter(
                errand_id=done.id,
                organization_id=org.id,
                kind="home_help",
                municipality_id=muni.id,
                occurred_at=done.starts_at,
                participants=[
                    EncounterParticipant(helper_id=helper_i.id, feedback_score=5),
                    EncounterParticipant(elder_id=elder.id, feedback_score=4),
                ],
            )
        )
        session.add(
            CoordinatorAlert(organization_id=org.id, kind="sms_undelivered", message="Soita", dedupe_key=f"{tag}-{i}")
        )
        open_errands.append(soon)
    session.commit()
    return {
        "coordinator": coordinator.email,
        "helper": me.user.email,
        "errand_id": open_errands[0].id,
        "municipality_id": muni.id,
    }


PAGES = {
    "helper's board": ("helper", lambda w: "/board"),
    "coordinator's day": ("coordinator", lambda w: "/errands/day"),
    "errand with candidates": ("coordinator", lambda w: f"/errands/{w['errand_id']}"),
    "report": ("coordinator", lambda w: f"/reports/?preset=last_12_months&municipality={w['municipality_id']}"),
}


@pytest.fixture()
def worlds(app, db):
    password_hash = generate_password_hash(PASSWORD, app.config["PASSWORD_HASH_METHOD"])
    return build_world("pieni", "Paltamo", SMALL, password_hash), build_world("suuri", "Kuhmo", LARGE, password_hash)


def _statements(app, count_queries, world: dict, who: str, url: str) -> tuple[int, int, int]:
    client = app.test_client()
    from tests.conftest import FormClient

    form_client = FormClient(client)
    assert form_client.login(world[who]).status_code == 302
    assert client.get(url).status_code == 200  # warm up (first-use caches)
    with count_queries() as queries:
        response = client.get(url)
    return response.status_code, queries.count, len(response.get_data())


@pytest.mark.parametrize("page", list(PAGES))
def test_statements_per_page_do_not_grow_with_the_data(app, worlds, page, count_queries):
    small, large = worlds
    who, url = PAGES[page]
    status_small, n_small, size_small = _statements(app, count_queries, small, who, url(small))
    status_large, n_large, size_large = _statements(app, count_queries, large, who, url(large))
    assert status_small == status_large == 200
    assert size_large > size_small  # the larger world's page really shows more
    assert n_small == n_large, f"{page}: {n_small} statements with {SMALL} rows, {n_large} with {LARGE}"


def test_the_counter_sees_an_n_plus_one(db, worlds, count_queries):
    """The guard itself: lazy loading per row grows with the rows, eager loading does not."""
    from sqlalchemy.orm import selectinload

    def names(org_name, eager):
        stmt = sa.select(Errand).join(Organization).where(Organization.name == org_name)
        if eager:
            stmt = stmt.options(selectinload(Errand.elder))
        with count_queries() as queries:
            for errand in _db.session.scalars(stmt).all():
                errand.elder.first_name  # noqa: B018 - the access is the point
        _db.session.expunge_all()
        return queries.count

    assert names("Yhdistys pieni", eager=False) < names("Yhdistys suuri", eager=False)
    assert names("Yhdistys pieni", eager=True) == names("Yhdistys suuri", eager=True)


def test_the_kept_board_reads_the_same_statements_for_any_size(app, worlds, count_queries, monkeypatch):
    """With the board's cache (app/errands/board_cache.py): after the network's first
    read, the board sends the same few statements however many errands it keeps."""
    monkeypatch.setitem(app.config, "BOARD_CACHE_SECONDS", 60)
    small, large = worlds
    status_small, n_small, size_small = _statements(app, count_queries, small, "helper", "/board")
    status_large, n_large, size_large = _statements(app, count_queries, large, "helper", "/board")
    assert status_small == status_large == 200
    assert size_large > size_small
    assert n_small == n_large <= 3, f"{n_small} statements with {SMALL} rows, {n_large} with {LARGE}"


@pytest.mark.parametrize("page", ["coordinator's day", "errand with candidates"])
def test_kept_coordinator_pages_read_the_same_statements_for_any_size(app, worlds, page, count_queries, monkeypatch):
    """With the coordinators' cache (app/errands/coordinator_cache.py): after the first
    request, the day page and the errand page send the same statements for any size,
    fewer than without it."""
    small, large = worlds
    who, url = PAGES[page]
    _, uncached, _ = _statements(app, count_queries, small, who, url(small))
    monkeypatch.setitem(app.config, "COORDINATOR_CACHE_SECONDS", 60)
    monkeypatch.setitem(app.extensions, "coordinator_cache", {})  # this test's own, dropped after it
    status_small, n_small, size_small = _statements(app, count_queries, small, who, url(small))
    status_large, n_large, size_large = _statements(app, count_queries, large, who, url(large))
    assert status_small == status_large == 200
    assert size_large > size_small
    assert n_small == n_large < uncached, f"{n_small} statements with {SMALL} rows, {n_large} with {LARGE}"
