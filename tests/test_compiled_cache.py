"""The engine's cache of compiled statements (app.db_setup.CompiledCache): a statement built
once is found by its key's identity, not hashed again; nothing ever gets another's compiled form."""

from __future__ import annotations

import sqlalchemy as sa

from app.db_setup import CompiledCache
from app.extensions import db as _db
from app.models import AuditLog


class _CountingLookups:
    """SQLAlchemy's hashed cache, counting the lookups that reach it."""

    def __init__(self, hashed):
        self.hashed, self.lookups = hashed, 0

    def get(self, key, default=None):
        self.lookups += 1
        return self.hashed.get(key, default)

    def __setitem__(self, key, value):
        self.hashed[key] = value


def _cache(monkeypatch) -> tuple[CompiledCache, _CountingLookups]:
    cache = _db.engine._execution_options["compiled_cache"]
    assert isinstance(cache, CompiledCache)
    counting = _CountingLookups(cache._hashed)
    monkeypatch.setattr(cache, "_hashed", counting)
    return cache, counting


def _actions(stmt, **params) -> list[str]:
    return list(_db.session.connection().execute(stmt, params).scalars())


def test_a_statement_built_once_is_found_without_hashing_its_key(db, monkeypatch):
    _db.session.add_all([AuditLog(action="a"), AuditLog(action="b")])
    _db.session.commit()
    kept = sa.select(AuditLog.action).where(AuditLog.action == sa.bindparam("action"))
    _, counting = _cache(monkeypatch)
    assert _actions(kept, action="a") == ["a"]  # compiled, then kept under its key's objects
    before = counting.lookups
    for action in ("b", "a", "c"):
        assert _actions(kept, action=action) == ([action] if action != "c" else [])
    assert counting.lookups == before  # found by identity each time


def test_statements_built_anew_are_found_by_hashing_and_never_mixed_up(db, monkeypatch):
    _db.session.add_all([AuditLog(action="a", subject_type="x"), AuditLog(action="b", subject_type="y")])
    _db.session.commit()
    _, counting = _cache(monkeypatch)

    def by_action():  # the same shape, a new object at every call
        return sa.select(AuditLog.action).where(AuditLog.action == sa.bindparam("v"))

    def by_target():
        return sa.select(AuditLog.subject_type).where(AuditLog.subject_type == sa.bindparam("v"))

    for _ in range(3):
        assert _actions(by_action(), v="a") == ["a"]
        assert _actions(by_target(), v="y") == ["y"]
    assert counting.lookups >= 6  # each new object's key was looked up by hashing
    # Other parameter names make another compiled form of the same statement object.
    kept = sa.select(AuditLog.action).where(AuditLog.action == sa.bindparam("v", value="b"))
    assert _actions(kept) == ["b"]
    assert _actions(kept, v="a") == ["a"]
