"""The coordinator's day page and errand page (its ranking included) read outside a
transaction on PostgreSQL (:func:`app.db_setup.reads_outside_a_transaction`): the same
pages, no statement in a transaction, the pooled connections as they were afterwards."""

from __future__ import annotations

import pytest

from tests.transactions import assert_pool_as_before, reads, statements_sent


@pytest.mark.parametrize("page", ["day", "errand"])
def test_the_coordinators_pages_read_outside_a_transaction_on_postgresql(db, make, coord, org, elder, page):
    helper = make.helper(org=org, first_name="Veera", age=19, max_distance_km=10)
    errand = make.errand(elder=elder)
    path = f"/errands/{errand.id}" if page == "errand" else f"/errands/day?date={errand.starts_at.date().isoformat()}"
    db.session.commit()
    helper_name = helper.first_name
    db.session.remove()
    pages = []
    sent = statements_sent(db.engine, lambda: pages.append(coord.get(path)))
    assert pages[0].status_code == 200
    text = pages[0].get_data(as_text=True)
    assert "Ahonen" in text
    if page == "errand":
        assert helper_name in text  # ranked as a candidate
    assert reads(sent)
    if db.engine.dialect.name != "postgresql":
        return  # SQLite: the session's transaction, as every page's
    assert [s for s in sent if s.in_transaction] == []
    assert_pool_as_before(db.engine)
