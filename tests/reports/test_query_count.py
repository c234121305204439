"""The report runs the same number of SQL statements whatever the amount of data."""

from __future__ import annotations

from datetime import timedelta

from tests.reports.conftest import Builder


def _add(world, db, n: int) -> None:
    """``n`` more errands in every state, encounters and check-ins, spread over the elders and helpers."""
    b = Builder(db.session, world.now)
    tasks = list(world.tasks.values())
    states = ["done", "expired", "cancelled", "assigned", "open"]
    for i in range(n):
        elder = world.elders[i % len(world.elders)]
        helper = world.helpers[i % len(world.helpers)]
        state = states[i % len(states)]
        b.errand(
            elder,
            tasks[i % len(tasks)],
            starts_in=timedelta(days=-(i % 80) - 1, minutes=-i),
            state=state,
            helper=helper if state in ("done", "assigned") else None,
            assignment_status="done" if state == "done" else "active",
            match_hours=1 + i % 7,
            cancelled_by_kind="relative" if state == "cancelled" and i % 2 else "coordinator",
        )
        b.encounter(
            ["home_help", "company_walk", "shared_activity", "community_event"][i % 4],
            helpers=[helper],
            elders=[elder],
            minutes=30 + i % 60,
            org=world.org,
            days_ago=1 + i % 80,
        )
        b.checkin(elder, days_ago=1 + i % 80, loneliness=3 + i % 7, good_days=i % 8)
    db.session.commit()


def test_constant_number_of_queries(client, world, db, count_queries):
    client.login(world.coordinator.email)
    url = f"/reports/?{world.period_args}"
    client.get(url)  # warm up (session, translations)

    _add(world, db, 10)
    with count_queries() as small:
        assert client.get(url).status_code == 200
    _add(world, db, 90)
    with count_queries() as large:
        html = client.get(url).get_data(as_text=True)
    assert 'id="report-data"' in html
    assert small.count == large.count, "\n".join(large.statements)
    assert large.count < 40

    with count_queries() as export_small:
        client.get(f"/reports/export.csv?{world.period_args}")
    _add(world, db, 50)
    with count_queries() as export_large:
        client.get(f"/reports/export.csv?{world.period_args}")
    assert export_small.count == export_large.count
