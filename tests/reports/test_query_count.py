"""The report runs the same number of SQL statements whatever the amount of data."""

from __future__ import annotations

from datetime import timedelta

from tests.reports.conftest import loneliness_checkin, report_errand


def _add(world, make, n: int) -> None:
    """``n`` more errands in every state, encounters and check-ins, spread over the elders and helpers."""
    codes = list(world.tasks)
    states = ["done", "expired", "cancelled", "assigned", "open"]
    with make.batch():
        for i in range(n):
            elder = world.elders[i % len(world.elders)]
            helper = world.helpers[i % len(world.helpers)]
            state = states[i % len(states)]
            report_errand(
                make,
                world.now,
                elder,
                codes[i % len(codes)],
                starts_in=timedelta(days=-(i % 80) - 1, minutes=-i),
                state=state,
                helper=helper if state in ("done", "assigned") else None,
                assignment_status="done" if state == "done" else "active",
                match_hours=1 + i % 7,
                cancelled_by_kind="relative" if state == "cancelled" and i % 2 else "coordinator",
            )
            make.encounter(
                helper,
                elder,
                kind=["home_help", "company_walk", "shared_activity", "community_event"][i % 4],
                at=world.now - timedelta(days=1 + i % 80),
                duration_minutes=30 + i % 60,
                org=world.org,
            )
            loneliness_checkin(make, world.now, elder, days_ago=1 + i % 80, loneliness=3 + i % 7, good_days=i % 8)


def test_constant_number_of_queries(client, world, make, count_queries):
    client.login(world.coordinator.email)
    url = f"/reports/?{world.period_args}"
    client.get(url)  # warm up (session, translations)

    _add(world, make, 10)
    with count_queries() as small:
        assert client.get(url).status_code == 200
    _add(world, make, 90)
    with count_queries() as large:
        html = client.get(url).get_data(as_text=True)
    assert 'id="report-data"' in html
    assert small.count == large.count, "\n".join(large.statements)
    assert large.count < 40

    with count_queries() as export_small:
        client.get(f"/reports/export.csv?{world.period_args}")
    _add(world, make, 50)
    with count_queries() as export_large:
        client.get(f"/reports/export.csv?{world.period_args}")
    assert export_small.count == export_large.count
