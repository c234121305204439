"""PostgreSQL's cursors make their ``description`` only when it is read
(app.db_setup.LazilyDescribedCursor): the same columns as psycopg's own, from the
result they were asked for, and None where psycopg gives None."""

from __future__ import annotations

import psycopg
import pytest
import sqlalchemy as sa

from app.db_setup import LazilyDescribedCursor, LazyDescription
from app.extensions import db as _db


@pytest.fixture()
def cursor(db):
    if _db.engine.dialect.name != "postgresql":
        pytest.skip("psycopg's cursors: PostgreSQL only")
    raw = _db.engine.raw_connection()
    try:
        cursor = raw.driver_connection.cursor()
        yield cursor
        cursor.close()
    finally:
        raw.close()


def _columns(description) -> list[tuple]:
    return [(c.name, c.type_code, tuple(c)) for c in description]


def test_the_engines_cursors_describe_lazily(cursor):
    assert type(cursor) is LazilyDescribedCursor


def test_the_same_description_as_psycopgs(cursor):
    cursor.execute("SELECT 1 AS a, 'x'::varchar(7) AS b, now() AS c, 2.5::numeric(4, 2) AS d, NULL::date AS e")
    lazy = cursor.description
    assert isinstance(lazy, LazyDescription)
    assert len(lazy) == 5
    own = psycopg.Cursor.description.fget(cursor)
    assert _columns(lazy) == _columns(own)
    assert lazy[1].name == "b" and [c.name for c in lazy[1:3]] == ["b", "c"]
    assert lazy == lazy and lazy != [] and repr(lazy).startswith("[<Column 'a'")


def test_made_from_the_result_it_was_asked_for(cursor):
    cursor.execute("SELECT 1 AS first_one, 2 AS second_one")
    asked = cursor.description
    cursor.execute("SELECT 'z' AS other")
    assert [c.name for c in asked] == ["first_one", "second_one"]
    assert [c.name for c in cursor.description] == ["other"]


def test_none_where_psycopg_gives_none(cursor):
    cursor.execute("SET LOCAL statement_timeout = 0")
    assert cursor.description is None
    assert psycopg.Cursor.description.fget(cursor) is None
    cursor.execute("SELECT")  # a result with rows but no columns
    assert cursor.description is not None and list(cursor.description) == []


def test_sqlalchemy_reads_new_and_kept_statements_by_name(db):
    if _db.engine.dialect.name != "postgresql":
        pytest.skip("psycopg's cursors: PostgreSQL only")
    for _ in range(3):  # the first time the names come from the description, then from the kept form
        row = _db.session.execute(sa.text("SELECT 1 AS one, 'two' AS two")).one()
        assert row._mapping == {"one": 1, "two": "two"}
    assert _db.session.execute(sa.text("SELECT 3 AS three")).keys() == ["three"]
