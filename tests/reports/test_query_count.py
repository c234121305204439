"""The report runs the same number of SQL statements whatever the amount of data."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import timedelta

import sqlalchemy as sa

from tests.reports.conftest import Builder


@contextmanager
def counted(engine):
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)


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


def test_constant_number_of_queries(client, world, db):
    client.login(world.coordinator.email)
    url = f"/reports/?{world.period_args}"
    client.get(url)  # warm up (session, translations)

    _add(world, db, 10)
    with counted(db.engine) as small:
        assert client.get(url).status_code == 200
    _add(world, db, 90)
    with counted(db.engine) as large:
        html = client.get(url).get_data(as_text=True)
    assert 'id="report-data"' in html
    assert len(small) == len(large), "\n".join(large)
    assert len(large) < 40

    with counted(db.engine) as export_small:
        client.get(f"/reports/export.csv?{world.period_args}")
    _add(world, db, 50)
    with counted(db.engine) as export_large:
        client.get(f"/reports/export.csv?{world.period_args}")
    assert len(export_small) == len(export_large)
