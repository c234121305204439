"""Computed reports are kept for REPORT_CACHE_SECONDS: the page says when its figures
were calculated, "Calculate again now" recalculates, and the key separates reports."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from flask_caching import Cache

from app import rollups
from app.extensions import cache
from app.models import HelpRequest
from app.reports import cache as report_cache
from app.reports.scope import ReportScope
from tests.reports.helpers import csv_block, read_csv, summary


@pytest.fixture()
def coordinator(client, world):
    client.login(world.coordinator.email)
    client.submit("/lang", {"lang": "en"}, page="/")
    return client


@pytest.fixture()
def cached(app, monkeypatch):
    monkeypatch.setitem(app.config, "REPORT_CACHE_SECONDS", 600)
    # In the test app's context: outside one, Flask-Caching clears the cache of the
    # last app created (other tests create apps of their own).
    with app.app_context():
        cache.clear()
    yield
    with app.app_context():
        cache.clear()


def _add_request(world, db):
    """One more request in the period for organization A."""
    day = world.today + timedelta(days=2)
    request = HelpRequest(
        elder=world.elders[0],
        organization_id=world.org.id,
        task_type=world.tasks["post"],
        date_from=day,
        date_to=day,
        duration_minutes=30,
        created_at=world.now - timedelta(days=1),
    )
    db.session.add(request)
    rollups.touch(request)  # written straight: told as the request intake tells
    db.session.commit()


def test_off_in_tests_by_default_every_view_computes(coordinator, world, db):
    before = summary(coordinator.get(f"/reports/?{world.period_args}").get_data(as_text=True))
    _add_request(world, db)
    after = summary(coordinator.get(f"/reports/?{world.period_args}").get_data(as_text=True))
    assert int(after["Requests taken"]) == int(before["Requests taken"]) + 1


def test_kept_figures_until_calculated_again(cached, coordinator, world, db):
    url = f"/reports/?{world.period_args}"
    first = coordinator.get(url).get_data(as_text=True)
    assert summary(first)["Requests taken"] == "13"
    assert "Figures calculated at" in first
    assert "calculated again after 10 minutes" in first

    _add_request(world, db)
    kept = coordinator.get(url).get_data(as_text=True)
    assert summary(kept)["Requests taken"] == "13"  # from the cache

    fresh = coordinator.get(url + "&fresh=1").get_data(as_text=True)
    assert summary(fresh)["Requests taken"] == "14"
    assert summary(coordinator.get(url).get_data(as_text=True))["Requests taken"] == "14"  # the new one is kept


def test_finnish_page_and_link_keep_the_filters(cached, client, world):
    client.login(world.coordinator.email)
    html = client.get(f"/reports/?{world.period_args}").get_data(as_text=True)
    assert "Luvut laskettu" in html and "Laske uudelleen nyt" in html
    assert "fresh=1" in html and world.period_args.split("&")[0] in html.replace("&amp;", "&")


def test_csv_export_uses_the_same_figures(cached, coordinator, world, db):
    coordinator.get(f"/reports/?{world.period_args}")
    _add_request(world, db)
    rows = read_csv(coordinator.get(f"/reports/export.csv?{world.period_args}").data)
    assert csv_block(rows, "Summary")["Requests taken"] == ["13"]


def _scope(**changes) -> ReportScope:
    values = {
        "since": date(2026, 1, 1),
        "until": date(2026, 12, 31),
        "organization_ids": (2, 1),
        "municipality_id": 9,
        "now": datetime(2026, 11, 27, 10, tzinfo=UTC),
    }
    values.update(changes)
    return ReportScope(**values)


def _world_scope(world) -> ReportScope:
    """The report world's period (as ``world.period_args``) for organization A."""
    return _scope(
        since=world.today - timedelta(days=90),
        until=world.today + timedelta(days=10),
        organization_ids=(world.org.id,),
        municipality_id=None,
        now=datetime.now(UTC),
    )


def test_key_separates_what_differs_and_ignores_the_moment():
    base = report_cache.cache_key(_scope(), "fi")
    assert base == report_cache.cache_key(_scope(now=datetime(2026, 11, 27, 11, tzinfo=UTC)), "fi")
    assert base == report_cache.cache_key(_scope(organization_ids=(1, 2)), "fi")
    others = [
        report_cache.cache_key(_scope(), "sv"),
        report_cache.cache_key(_scope(since=date(2026, 2, 1)), "fi"),
        report_cache.cache_key(_scope(until=date(2026, 11, 30)), "fi"),
        report_cache.cache_key(_scope(organization_ids=(1,)), "fi"),
        report_cache.cache_key(_scope(organization_ids=None), "fi"),
        report_cache.cache_key(_scope(municipality_id=None), "fi"),
    ]
    assert base not in others and len(set(others)) == len(others)


def test_shared_between_workers_through_the_file_cache(app, db, world, tmp_path):
    """Two caches on one directory (as two gunicorn workers): one computes, the other reads."""
    scope = _world_scope(world)
    config = {"CACHE_TYPE": "FileSystemCache", "CACHE_DIR": str(tmp_path)}
    first, second = Cache(config=config), Cache(config=config)
    first.init_app(app)
    report = report_cache.build_report(scope, locale="en")
    first.set(report_cache.cache_key(scope, "en"), report, timeout=600)
    second.init_app(app)
    kept = second.get(report_cache.cache_key(scope, "en"))
    assert kept == report and kept.requests == 13


def test_a_broken_cache_still_gives_the_report(app, db, world, monkeypatch):
    monkeypatch.setitem(app.config, "REPORT_CACHE_SECONDS", 600)

    def broken(*_args, **_kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(cache, "get", broken)
    monkeypatch.setattr(cache, "set", broken)
    scope = _world_scope(world)
    assert report_cache.report_for(scope, locale="en").requests == 13
