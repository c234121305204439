"""The helper's board reads outside a transaction on PostgreSQL
(:func:`app.db_setup.reads_outside_a_transaction`): the same page, every statement of
the request (the logged-in user's included) without BEGIN and COMMIT, writes through
its connection refused, and the pooled connection as it was afterwards."""

from __future__ import annotations

import pytest

from tests.transactions import Sent, assert_pool_as_before, reads, statements_sent


@pytest.fixture(params=[0, 60], ids=["uncached", "cached"], autouse=True)
def board_cache_seconds(request, app):
    app.config["BOARD_CACHE_SECONDS"] = request.param
    yield request.param
    app.config["BOARD_CACHE_SECONDS"] = 0


def test_the_board_reads_outside_a_transaction_on_postgresql(db, make, client, org, elder, board_cache_seconds):
    helper = make.helper(org=org, age=19, max_distance_km=10)
    errand_id = make.errand(elder=elder).id
    db.session.commit()
    client.login(helper.user.email)
    db.session.remove()
    pages = []
    sent = statements_sent(db.engine, lambda: pages.append(client.get("/board")))
    assert pages[0].status_code == 200
    assert f'id="errand-{errand_id}"' in pages[0].get_data(as_text=True)
    read = reads(sent)
    assert len(read) >= 2  # the user, the board's version (and its errands)
    if db.engine.dialect.name != "postgresql":
        return  # SQLite: the session's transaction, as every page's
    assert [s for s in read if s.in_transaction] == []
    if not board_cache_seconds:
        # The board's own statement still on its generic plan (app.db_setup.plan_once), set for
        # the connection since there is no transaction to set it for.
        assert Sent("SET plan_cache_mode", False, "auto") in sent
        assert read[-1].plan_cache_mode == "force_generic_plan"
    assert_pool_as_before(db.engine)
