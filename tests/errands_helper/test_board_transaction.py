"""The helper's board reads outside a transaction on PostgreSQL
(:func:`app.db_setup.reads_outside_a_transaction`): the same page, every statement of
the request (the logged-in user's included) without BEGIN and COMMIT, writes through
its connection refused, and the pooled connection as it was afterwards."""

from __future__ import annotations

import psycopg
import pytest
import sqlalchemy as sa


@pytest.fixture(params=[0, 60], ids=["uncached", "cached"], autouse=True)
def board_cache_seconds(request, app):
    app.config["BOARD_CACHE_SECONDS"] = request.param
    yield request.param
    app.config["BOARD_CACHE_SECONDS"] = 0


def _in_transaction(dbapi_connection) -> bool:
    if isinstance(dbapi_connection, psycopg.Connection):
        return dbapi_connection.info.transaction_status != psycopg.pq.TransactionStatus.IDLE
    return dbapi_connection.in_transaction


def _statements_of(engine, run) -> list[tuple[str, bool, str | None]]:
    """(first words, in a transaction, plan_cache_mode) of each statement ``run`` sends."""
    seen: list[tuple[str, bool, str | None]] = []

    def before(conn, cursor, statement, *args):
        setting = None
        if conn.dialect.name == "postgresql":
            with conn.connection.dbapi_connection.cursor() as probe:
                setting = probe.execute("SELECT current_setting('plan_cache_mode')").fetchone()[0]
        seen.append((" ".join(statement.split()[:2]), _in_transaction(conn.connection.dbapi_connection), setting))

    sa.event.listen(engine, "before_cursor_execute", before)
    try:
        run()
    finally:
        sa.event.remove(engine, "before_cursor_execute", before)
    return seen


def test_the_board_reads_outside_a_transaction_on_postgresql(db, make, client, org, elder, board_cache_seconds):
    helper = make.helper(org=org, age=19, max_distance_km=10)
    errand_id = make.errand(elder=elder).id
    db.session.commit()
    client.login(helper.user.email)
    db.session.remove()
    pages = []
    statements = _statements_of(db.engine, lambda: pages.append(client.get("/board")))
    assert pages[0].status_code == 200
    assert f'id="errand-{errand_id}"' in pages[0].get_data(as_text=True)
    reads = [s for s in statements if s[0].startswith(("SELECT", "WITH"))]
    assert len(reads) >= 2  # the user, the board's version (and its errands)
    if db.engine.dialect.name != "postgresql":
        return  # SQLite: the session's transaction, as every page's
    assert [s for s in reads if s[1]] == []
    if not board_cache_seconds:
        # The board's own statement still on its generic plan (app.db_setup.plan_once), set for
        # the connection since there is no transaction to set it for.
        assert ("SET plan_cache_mode", False, "auto") in statements
        assert reads[-1][2] == "force_generic_plan"
    # Back in the pool, every connection plans as PostgreSQL's default and begins transactions.
    connections = [db.engine.connect() for _ in range(db.engine.pool.checkedin())]
    try:
        for connection in connections:
            assert connection.exec_driver_sql("SELECT current_setting('plan_cache_mode')").scalar() == "auto"
            assert _in_transaction(connection.connection.dbapi_connection)
    finally:
        for connection in connections:
            connection.close()
