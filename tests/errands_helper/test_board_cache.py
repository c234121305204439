"""The board's short shared cache of each network's upcoming open errands
(app/errands/board_cache.py): a taken, cancelled or new errand shows on the next
request, the kept rows stand at most BOARD_CACHE_SECONDS, every helper's own hard
rules still apply to them, each language gets its own names, and the kept rows
hold no name, address or phone."""

from __future__ import annotations

import pickle
import random
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.errands import board_cache, helper_routes
from app.errands.actions import cancel, decline, take_errand
from app.errands.board_query import NETWORK_COLUMNS
from app.errands.helper_views import board, board_page, board_state
from app.extensions import cache
from app.matching.geo import bounding_box
from app.models import Elder, TaskType, utcnow
from tests.factories import in_days

SECONDS = 10


@pytest.fixture()
def cached(app, monkeypatch):
    monkeypatch.setitem(app.config, "BOARD_CACHE_SECONDS", SECONDS)
    # In the test app's context: outside one, Flask-Caching clears the cache of the last app created.
    with app.app_context():
        cache.clear()
    app.extensions.pop("board_cache", None)
    yield
    with app.app_context():
        cache.clear()
    app.extensions.pop("board_cache", None)


@pytest.fixture()
def helper(make, org):
    return make.helper(org=org, age=19, max_distance_km=10)


def _html(client, user) -> str:
    client.login(user.email)
    response = client.get("/board")
    assert response.status_code == 200
    client.logout()
    return response.get_data(as_text=True)


def _shown(html: str, errand) -> bool:
    return f'id="errand-{errand.id}"' in html


def _network_reads(queries) -> int:
    """How many of the statements apply the organization rule (the network's errands,
    read on the cache's miss; without the cache, the version and the page statement)."""
    return sum("organization_partnerships" in s for s in queries.statements)


def test_the_second_helper_of_a_network_reads_the_kept_rows(cached, db, make, client, org, elder, count_queries):
    errand = make.errand(elder=elder)
    other = make.helper(org=org, age=19)
    db.session.commit()
    client.login(make.helper(org=org, age=19).user.email)
    with count_queries() as first:
        assert _shown(client.get("/board").get_data(as_text=True), errand)
    client.logout()
    client.login(other.user.email)
    with count_queries() as second:
        assert _shown(client.get("/board").get_data(as_text=True), errand)
    assert _network_reads(first) >= 1
    assert _network_reads(second) == 0
    assert second.count < first.count


def test_a_taken_errand_leaves_the_kept_board_at_once(cached, db, make, client, org, elder, helper):
    errand = make.errand(elder=elder)
    taker = make.helper(org=org, age=19)
    db.session.commit()
    assert _shown(_html(client, helper.user), errand)
    assert take_errand(errand.id, taker.id, via="web").ok
    assert not _shown(_html(client, helper.user), errand)


def test_a_cancelled_errand_leaves_the_kept_board_at_once(cached, db, make, client, org, elder, helper):
    errand = make.errand(elder=elder)
    coordinator = make.coordinator(org=org)
    db.session.commit()
    assert _shown(_html(client, helper.user), errand)
    assert cancel(errand, by_user=coordinator, by_kind="coordinator", reason="test").ok
    assert not _shown(_html(client, helper.user), errand)


def test_a_new_errand_appears_when_its_organization_has_a_new_generation(cached, db, make, client, org, elder, helper):
    first = make.errand(elder=elder)
    db.session.commit()
    assert _shown(_html(client, helper.user), first)
    new = make.errand(elder=make.elder(org=org))
    db.session.commit()  # the commit gives the organization a new generation
    html = _html(client, helper.user)
    assert _shown(html, first) and _shown(html, new)


def test_a_partners_new_errand_appears_too(cached, db, make, client, org, elder, helper):
    partner = make.organization()
    make.partnership(org, partner)
    db.session.commit()
    assert not _html(client, helper.user).count('class="card errand-card')
    new = make.errand(elder=make.elder(org=partner))
    db.session.commit()
    assert _shown(_html(client, helper.user), new)


def test_a_change_around_the_orm_waits_for_the_time_limit_at_most(
    cached, db, make, client, org, elder, helper, monkeypatch
):
    errand = make.errand(elder=elder, starts_at=in_days(3, 14))
    db.session.commit()
    assert _shown(_html(client, helper.user), errand)
    # A bulk update (here: the person's home moved 200 km away) gives no new generation:
    # the kept rows stand...
    db.session.execute(sa.update(Elder).where(Elder.id == elder.id).values(lat=66.0, lon=27.73))
    db.session.commit()
    assert _shown(_html(client, helper.user), errand)
    # ...until they are BOARD_CACHE_SECONDS old.
    later = utcnow() + timedelta(seconds=SECONDS + 1)
    monkeypatch.setattr(helper_routes, "utcnow", lambda: later)
    assert not _shown(_html(client, helper.user), errand)


def test_each_helpers_hard_rules_apply_to_the_kept_rows(cached, db, make, client, org, elder, helper):
    errand = make.errand(elder=elder, starts_at=in_days(3, 14))
    far = make.helper(org=org, age=19, lat=64.40, lon=27.73, max_distance_km=5)  # ~19 km away
    decliner = make.helper(org=org, age=19)
    paused = make.helper(org=org, age=19, paused_until=in_days(5, 12).date())
    busy = make.helper(org=org, age=19)
    make.assignment(make.errand(elder=make.elder(org=org), starts_at=in_days(3, 14)), busy)
    minor_late = make.errand(elder=elder, starts_at=in_days(4, 21))  # 21-22: not for a minor
    minor = make.helper(org=org, age=16)
    other_org = make.helper(org=make.organization(), age=19)
    db.session.commit()
    assert decline(errand.id, decliner.id, via="web").ok

    html = _html(client, helper.user)  # reads the network
    assert _shown(html, errand) and _shown(html, minor_late)
    for who in (far, decliner, paused, busy):
        assert not _shown(_html(client, who.user), errand), who.first_name
    minor_html = _html(client, minor.user)
    assert _shown(minor_html, errand) and not _shown(minor_html, minor_late)
    assert not _shown(_html(client, other_org.user), errand)


def test_the_kept_board_is_the_boards_long_way(cached, app, db, make, org, elder, helper):
    """The same items, in the same order, as :func:`board` (the hard rules on every row)."""
    spots = [(64.2270, 27.7300), (64.25, 27.75), (64.30, 27.80), (None, None), (64.2263, 27.60)]
    for i, (lat, lon) in enumerate(spots * 2):
        make.errand(elder=make.elder(org=org, lat=lat, lon=lon), starts_at=in_days(2 + i % 4, 9 + i))
    offered = make.errand(elder=make.elder(org=org, lat=65.0, lon=25.5))  # far, but offered
    make.offer(offered, helper)
    db.session.commit()
    now = utcnow()
    with app.test_request_context():
        state = board_state(helper, now)
        assert state.snapshot is not None
        for locale in ("fi", "sv"):
            everything = board(helper, now, locale)
            kept, total = board_page(helper, now, locale, 4, state.snapshot)
            assert total == len(everything) > 4
            assert kept == everything[:4]
            assert kept[0].errand_id == offered.id


def test_each_language_gets_its_own_names_from_the_same_kept_rows(cached, db, make, client, org, elder, helper):
    errand = make.errand(elder=elder, task="shopping")
    swede = make.helper(org=org, age=19)
    swede.user.locale = "sv"
    db.session.commit()
    task = db.session.get(TaskType, errand.task_type_id)
    finnish = _html(client, helper.user)
    swedish = _html(client, swede.user)
    assert _shown(finnish, errand) and _shown(swedish, errand)
    assert task.name_fi in finnish and "Kajaani" in finnish
    assert task.name_sv in swedish and "Kajana" in swedish
    assert '<html lang="sv">' in swedish


def test_the_kept_rows_hold_no_name_address_or_phone(cached, app, db, make, client, org, elder, helper):
    errand = make.errand(elder=elder)
    db.session.commit()
    html = _html(client, helper.user)
    assert _shown(html, errand)
    private = {"first_name", "last_name", "street_address", "postcode", "phone", "access_notes", "health_notes"}
    assert not private & set(NETWORK_COLUMNS)
    with app.app_context():
        (snapshot,) = app.extensions["board_cache"].values()
        shared = cache.get(board_cache._key(snapshot.network))
    assert shared == snapshot
    for value in (elder.first_name, elder.last_name, elder.street_address, elder.phone):
        assert value not in repr(shared)
        assert value not in html


def test_off_the_board_is_read_with_its_statement(db, make, client, org, elder, helper, count_queries, app):
    assert app.config["BOARD_CACHE_SECONDS"] == 0  # TestConfig: off
    errand = make.errand(elder=elder)
    db.session.commit()
    client.login(helper.user.email)
    with count_queries() as queries:
        assert _shown(client.get("/board").get_data(as_text=True), errand)
    assert any("OVER" in s for s in queries.statements)  # the page statement's count(*) OVER ()
    assert "board_cache" not in app.extensions


def _snapshot_of(points: list[tuple[float | None, float | None]]) -> board_cache.NetworkSnapshot:
    empty = dict.fromkeys(board_cache.BoardRow._fields)
    rows = tuple(
        board_cache.BoardRow(**{**empty, "id": i, "lat": lat, "lon": lon}) for i, (lat, lon) in enumerate(points)
    )
    return board_cache.NetworkSnapshot(
        network=(1,),
        organizations=(1,),
        generations=(),
        read_at=utcnow(),
        rows=rows,
        rules=(),
        days=(),
        fingerprint="",
        places=board_cache.Places.of(rows),
    )


def test_the_kept_rows_in_a_helpers_box_are_those_the_statement_would_read():
    """NetworkSnapshot.in_box looks only in the bands the box covers: the same rows, in the
    same order, as the board statement's condition tried on every kept row (points on the
    box's edges and on the bands' borders, no latitude, a latitude without a longitude,
    boxes from a few kilometres to a whole country's, which go row by row)."""
    rng = random.Random(23)
    borders = [round(60.0 + k * board_cache.BAND_DEGREES, 2) for k in range(-30, 30)]
    for trial in range(600):
        lat, lon = 60.0 + rng.uniform(-0.5, 0.5), 25.0 + rng.uniform(-1.0, 1.0)
        radius = rng.choice((0.0, 2.0, 8.0, 20.0, 60.0, 800.0))
        min_lat, max_lat, min_lon, max_lon = bounding_box(lat, lon, radius)
        points: list[tuple[float | None, float | None]] = []
        for _ in range(rng.randint(0, 120)):
            pick = rng.random()
            if pick < 0.05:
                points.append((None, rng.choice((None, 25.0))))
            elif pick < 0.08:
                points.append((lat, None))
            elif pick < 0.15:  # on the box's edges
                points.append((rng.choice((min_lat, max_lat)), rng.choice((min_lon, max_lon, lon))))
            elif pick < 0.2:  # on a band's border
                points.append((rng.choice(borders), lon))
            else:
                points.append((lat + rng.uniform(-0.6, 0.6), lon + rng.uniform(-1.2, 1.2)))
        snapshot = _snapshot_of(points)
        first = rng.choice((0, rng.randint(0, len(points))))  # 0: the bands between the first and last unchecked
        expected = [
            i
            for i, row in enumerate(snapshot.rows)
            if i >= first
            and (
                row.lat is None
                or (min_lat <= row.lat <= max_lat and row.lon is not None and min_lon <= row.lon <= max_lon)
            )
        ]
        assert snapshot.in_box(first, min_lat, max_lat, min_lon, max_lon) == expected, trial
        # The shared cache keeps the snapshot pickled: its bands come along.
        again = pickle.loads(pickle.dumps(snapshot))
        assert again.in_box(first, min_lat, max_lat, min_lon, max_lon) == expected


def test_the_kept_board_reads_its_own_version_and_errands_in_one_statement(
    cached, db, make, client, org, elder, helper, count_queries
):
    """With the network's rows kept, the full page sends two statements: the login, and the
    helper's own version (the ETag's) with their own offers and errands; what it shows of
    them is the same as read apart (a declined errand left out, an offered far one shown)."""
    shown, declined = make.errand(elder=elder), make.errand(elder=elder)
    far = make.errand(elder=make.elder(org=org, lat=65.0, lon=25.5))
    make.offer(far, helper)
    db.session.commit()
    decline(declined.id, helper.id, via="web")
    db.session.commit()
    client.login(helper.user.email)
    client.get("/board")  # the network's rows read and kept
    with count_queries() as q:
        response = client.get("/board")
    html = response.get_data(as_text=True)
    assert q.count == 2, q.statements
    assert _shown(html, shown) and _shown(html, far) and not _shown(html, declined)
    again = client.get("/board", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304  # the same ETag as the 304's own statement makes
