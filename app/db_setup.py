"""Engine settings per database.

SQLite gets WAL, a busy timeout and foreign keys. PostgreSQL gets ``jit=off``:
the app's statements are short, index-driven reads, and PostgreSQL's JIT
compiler (on by default from version 11) spent ~60 ms compiling the matching
statement that then ran in 3 ms (bench/README.md).
"""

from __future__ import annotations

import contextlib
import functools
import logging
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import psycopg
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction
from sqlalchemy.pool import Pool
from sqlalchemy.util import LRUCache

from app.extensions import db
from app.memo import keep

log = logging.getLogger(__name__)

POSTGRESQL_OPTIONS = "-c jit=off"

#: What the hand-written migrations 0004 and 0013 make for the nearest-helper search
#: and the models do not declare (so that SQLite's ``create_all`` and autogenerate
#: never see them): PostgreSQL's generated ``helper_profiles.pos`` and its GiST
#: index, SQLite's grid ``helper_grid``.
POSTGRESQL_ONLY_INDEXES = frozenset({"ix_helper_profiles_near"})
POSTGRESQL_ONLY_COLUMNS = frozenset({"pos"})
SQLITE_ONLY_TABLES = frozenset({"helper_grid"})


def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """Alembic's autogenerate filter: what migrations 0004 and 0013 make by hand is not model drift."""
    if not reflected or compare_to is not None:
        return True
    if type_ == "index":
        return name not in POSTGRESQL_ONLY_INDEXES
    if type_ == "column":
        return name not in POSTGRESQL_ONLY_COLUMNS
    if type_ == "table":
        return name not in SQLITE_ONLY_TABLES
    return True


def engine_options(
    uri: str, options: dict[str, Any], *, pool_size: int | None = None, max_overflow: int | None = None
) -> dict[str, Any]:
    """``SQLALCHEMY_ENGINE_OPTIONS`` with the per-database connection settings added.

    On PostgreSQL each process keeps at most ``pool_size + max_overflow``
    connections (``DB_POOL_SIZE``, ``DB_MAX_OVERFLOW``; options given in
    ``options`` win). SQLite keeps SQLAlchemy's own pool.
    """
    if not uri.startswith("postgresql"):
        return options
    pool = {
        key: value
        for key, value in (("pool_size", pool_size), ("max_overflow", max_overflow))
        if value is not None and key not in options
    }
    connect_args = dict(options.get("connect_args", {}))
    # connect_args replace the URL's own ``?options=...`` (e.g. a search_path): keep both.
    from_url = sa.engine.make_url(uri).query.get("options", "")
    given = " ".join(
        part
        for part in (from_url if isinstance(from_url, str) else " ".join(from_url), connect_args.get("options"))
        if part
    )
    if "jit" not in given:
        connect_args["options"] = f"{given} {POSTGRESQL_OPTIONS}".strip()
    return {**options, **pool, "connect_args": connect_args}


def configure_engine(engine: Engine, *, mmap_mb: int = 0) -> None:
    """Every engine: its compiled statements kept in a :class:`CompiledCache`. SQLite: each
    new connection's pragmas. ``mmap_mb`` (``SQLITE_MMAP_MB``, 0: off) is
    how much of the file it reads through memory mapping instead of copying each page
    into its own small page cache: the matcher's first look at a town at 1,000,000
    helpers took 24.7 ms with copies and 6.7 ms mapped (bench/README.md). The mapped
    pages are the operating system's file cache, shared by every worker, but they count
    in each worker's resident memory."""
    if engine._compiled_cache is not None:  # None: caching is off (query_cache_size=0)
        engine.update_execution_options(compiled_cache=CompiledCache(engine._compiled_cache.capacity))
    if engine.dialect.driver == "psycopg":

        @sa.event.listens_for(engine, "connect")
        def _describe_lazily(dbapi_connection, _record):
            dbapi_connection.cursor_factory = LazilyDescribedCursor

    if engine.dialect.name != "sqlite":
        return

    @sa.event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection, _record):
        # Let SQLAlchemy issue BEGIN itself so BEGIN IMMEDIATE can be used.
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute(f"PRAGMA mmap_size={int(mmap_mb) * 1024 * 1024}")
        cursor.close()


class LazyDescription(Sequence):
    """A psycopg cursor's ``description`` (its list of ``psycopg.Column``), made when it is
    first read, from the result it was asked for (the cursor may have run another
    statement since). SQLAlchemy asks every execution for it but, for a statement whose
    compiled form it has seen before, only to tell a result with rows from one without
    (``None``): psycopg made a ``Column`` for each column every time, ~3 µs each
    (bench/README.md: the login's ~60 columns on every page, the board's 304's 21)."""

    __slots__ = ("_columns", "_count", "_source")

    def __init__(self, cursor: psycopg.Cursor) -> None:
        self._source: _ResultOf | None = _ResultOf(cursor)
        self._count = cursor.pgresult.nfields
        self._columns: list[psycopg.Column] = []

    def _made(self) -> list[psycopg.Column]:
        if self._source is not None:
            self._columns = [psycopg.Column(self._source, i) for i in range(self._count)]
            self._source = None
        return self._columns

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, index):
        return self._made()[index]

    def __iter__(self):
        return iter(self._made())

    def __eq__(self, other: object) -> bool:
        return self._made() == (other._made() if isinstance(other, LazyDescription) else other)

    __hash__ = None  # a list's: unhashable

    def __repr__(self) -> str:
        return repr(self._made())


class _ResultOf:
    """What a ``psycopg.Column`` reads of its cursor, as it was when the description was asked for."""

    __slots__ = ("_encoding", "adapters", "pgresult")

    def __init__(self, cursor: psycopg.Cursor) -> None:
        self.pgresult = cursor.pgresult
        self._encoding = cursor._encoding
        self.adapters = cursor.adapters


class LazilyDescribedCursor(psycopg.Cursor):
    """psycopg's client-side cursor with its ``description`` made only when read
    (:class:`LazyDescription`); everything else is psycopg's own."""

    @property
    def description(self) -> LazyDescription | None:
        res = self.pgresult
        # psycopg's own rule for a result with a description (its BaseCursor.description).
        if res and (res.nfields or res.status in _WITH_TUPLES):
            return LazyDescription(self)
        return None


_WITH_TUPLES = frozenset(
    {psycopg.pq.ExecStatus.TUPLES_OK, psycopg.pq.ExecStatus.SINGLE_TUPLE, psycopg.pq.ExecStatus.TUPLES_CHUNK}
)


class CompiledCache:
    """The engine's cache of compiled statements (SQLAlchemy's ``compiled_cache``), which
    finds a statement built once and kept by the identity of its key before hashing it.

    SQLAlchemy looks a statement's compiled form up by a key that holds the statement's whole
    structure as nested tuples, and Python hashes a tuple again at every lookup: for the
    matcher's SQLite statement 137 µs an execution on a quiet host, up to 1.25 ms on a busy
    one, where other processes crowd the CPU caches (bench/README.md). A
    statement built once (a module constant, a ``functools.cache`` builder) keeps its key, the
    same tuple object at every execution: so the compiled form made for that object is found
    first by the object's identity (and the small rest of the key: parameter names, dialect).
    Anything else (a statement built anew per call, another statement) is found by hashing, in
    SQLAlchemy's own bounded cache (``size``: the engine's ``query_cache_size``), as before."""

    __slots__ = ("_by_object", "_hashed", "_limit")

    def __init__(self, size: int) -> None:
        self._hashed = LRUCache(size)
        self._by_object: dict[tuple, tuple[tuple, Any]] = {}
        self._limit = size

    @staticmethod
    def _object_key(key: Any) -> tuple | None:
        if type(key) is tuple and len(key) > 1:  # (dialect, statement's key, parameter names, ...)
            return (id(key[0]), id(key[1]), *key[2:])
        return None

    def get(self, key: Any, default: Any = None) -> Any:
        object_key = self._object_key(key)
        kept = self._by_object.get(object_key) if object_key is not None else None
        # The stored key keeps its objects alive, so the same ids are the same objects.
        if kept is not None and kept[0][1] is key[1] and kept[0][0] is key[0]:
            return kept[1]
        return self._hashed.get(key, default)

    def __setitem__(self, key: Any, compiled: Any) -> None:
        self._hashed[key] = compiled
        object_key = self._object_key(key)
        if object_key is not None:
            keep(self._by_object, object_key, (key, compiled), limit=self._limit)


def plan_once(connection: sa.Connection) -> None:
    """PostgreSQL: for the rest of this transaction, a prepared statement is
    planned once for any parameters (``plan_cache_mode``), not again for each
    run's values. For statements whose plan is the same whatever the values
    but costs more to make than to run: the helper's board statement was
    planned anew on every request (1.2 ms, the run 0.8 ms) because PostgreSQL
    kept estimating a custom plan cheaper. Ends with the transaction; on a
    connection outside a transaction (:func:`reads_outside_a_transaction`), when
    the connection goes back to the pool."""
    if connection.dialect.name != "postgresql":
        return
    if _in_autocommit(connection):
        # SET LOCAL needs a transaction: set for the connection, reset at its check-in.
        if not connection.info.get(PLANNED_ONCE_OUTSIDE):
            connection.exec_driver_sql("SET plan_cache_mode = force_generic_plan")
            connection.info[PLANNED_ONCE_OUTSIDE] = True
        return
    transaction = connection.get_transaction()
    if transaction is not None and connection.info.get("planned_once") is transaction:  # said already
        return
    connection.exec_driver_sql("SET LOCAL plan_cache_mode = force_generic_plan")
    connection.info["planned_once"] = transaction


#: In a pooled connection's ``info``: plan_once set plan_cache_mode for the connection
#: (outside a transaction); reset when it goes back to the pool (:func:`_reset_plan_cache_mode`).
PLANNED_ONCE_OUTSIDE = "planned_once_outside_a_transaction"


#: The execution options of a connection that reads outside a transaction (psycopg's autocommit).
_AUTOCOMMIT = {"isolation_level": "AUTOCOMMIT"}


def _in_autocommit(connection: sa.Connection) -> bool:
    return connection.get_execution_options().get("isolation_level") == _AUTOCOMMIT["isolation_level"]


@sa.event.listens_for(Pool, "reset")
def _reset_plan_cache_mode(dbapi_connection, record, reset_state) -> None:
    # On its way back to the pool; should RESET fail, the pool drops the connection.
    if record.info.pop(PLANNED_ONCE_OUTSIDE, False) and not reset_state.terminate_only:
        dbapi_connection.execute("RESET plan_cache_mode")


@contextlib.contextmanager
def one_statement() -> Iterator[sa.Connection]:
    """A connection for a read that is one statement, before the request's session has begun.

    On PostgreSQL it runs outside a transaction (autocommit): one statement sees one
    snapshot of the database whether or not a transaction is around it, so it reads the
    same rows, without the BEGIN and the COMMIT, two round trips to the server and the
    server's work for each (bench/README.md). Anything else, or once the session has
    begun or been given changes (the read must see them), is the session's own connection.
    The connection goes back to the pool at the end of the block."""
    if not _may_read_outside_a_transaction():
        yield db.session.connection()
        return
    with _outside_a_transaction() as connection:
        yield connection


@contextlib.contextmanager
def _outside_a_transaction() -> Iterator[sa.Connection]:
    """A pooled connection in autocommit for the block (it gets its transactions back when returned)."""
    with db.engine.connect() as connection:
        yield connection.execution_options(**_AUTOCOMMIT)


def _may_read_outside_a_transaction() -> bool:
    """On PostgreSQL, before the request's session has begun a transaction or been given
    anything it has not flushed yet (reads outside its transaction would not see that)."""
    if db.engine.dialect.name != "postgresql":
        return False
    if not db.session.registry.has():  # db.session() would make the Session only to ask it
        return True
    session = db.session()
    return not (session.in_transaction() or session.new or session.dirty or session.deleted)


#: In the session's ``info``: its transaction has written (flushed, or run an
#: INSERT, UPDATE or DELETE through the session). Set by the session events below.
WROTE = "transaction_wrote"


@sa.event.listens_for(Session, "after_transaction_end")
def _transaction_ends(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # the outermost transaction, not a SAVEPOINT inside it
        session.info.pop(WROTE, None)


@sa.event.listens_for(Session, "after_flush")
def _flushed(session: Session, flush_context) -> None:
    session.info[WROTE] = True


@sa.event.listens_for(Session, "do_orm_execute")
def _executes(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        state.session.info[WROTE] = True


def lock_row(model: Any, row_id: int, **touch: Any) -> Any:
    """Load one row locked for the rest of the transaction (None when there is none): the
    guarantee behind "first come, first served" (an errand's places, an activity's).

    PostgreSQL: ``SELECT ... FOR UPDATE``. SQLite has no row locks: writing the row (``touch``,
    else its id to itself) takes the database's write lock (other writers wait up to the busy
    timeout), and the reads after it see every committed change.
    """
    if db.session.get_bind().dialect.name == "sqlite":
        db.session.execute(sa.update(model).where(model.id == row_id).values(**(touch or {"id": model.id})))
        stmt = sa.select(model).where(model.id == row_id)
    else:
        stmt = sa.select(model).where(model.id == row_id).with_for_update()
    return db.session.scalars(stmt.execution_options(populate_existing=True)).one_or_none()


class ReadOnlyError(RuntimeError):
    """A write was attempted inside :func:`read_only`."""


#: In a connection's ``info`` (its DBAPI connection's, kept across checkouts): writes are
#: refused while set (:func:`read_only` sets and clears it).
READ_ONLY = "read_only"


@sa.event.listens_for(Engine, "before_cursor_execute")
def _refuse_writes(conn, cursor, statement, parameters, context, executemany) -> None:
    # One listener on every engine, asked at each statement, instead of one added to and
    # removed from the connection at each read_only() block (SQLAlchemy's event.listen and
    # remove: ~100 µs a block on a busy host, bench/README.md).
    if (
        conn.info.get(READ_ONLY)
        and context is not None
        and (context.isinsert or context.isupdate or context.isdelete or context.isddl)
    ):
        raise ReadOnlyError(f"a write inside read_only(): {statement[:80]}")


@contextlib.contextmanager
def read_only(session: Session | None = None) -> Iterator[Session]:
    """Run the block as read-only work (the matcher's rankings, the reports).

    Changes made before the block are flushed first. Inside it, a write on
    the session's connection (a flush, an INSERT, UPDATE or DELETE, DDL) is
    refused with :class:`ReadOnlyError` before it reaches the database, on
    both engines, so the block never has anything to commit. It neither
    commits nor rolls back: no ROLLBACK (not even to a SAVEPOINT) means
    psycopg keeps the connection's prepared statements on PostgreSQL (it
    forgets them at every ROLLBACK, bench/README.md). A refused write
    propagates; the request then ends with a rollback (:func:`end_session`).
    """
    session = session if session is not None else db.session()
    session.flush()
    with _refusing_writes(session.connection()):
        yield session


@contextlib.contextmanager
def read_only_reads() -> Iterator[sa.Connection]:
    """A connection for read-only work whose statements each stand alone: none of them
    needs to see the database as another one saw it (the matcher's: the errand, then its
    candidates, then the busy ones' times). Writes are refused as in :func:`read_only`.

    On PostgreSQL, before the request's session has begun or holds anything unflushed, the
    statements run outside a transaction (autocommit, as in :func:`one_statement`): at READ
    COMMITTED, the level the app runs at, each statement of a transaction takes its own
    snapshot anyway, so they read the same rows, without the BEGIN and the COMMIT, two round
    trips (bench/README.md). Otherwise it is :func:`read_only`'s session connection, after
    the session's changes are flushed, so that the reads see them."""
    if not _may_read_outside_a_transaction():
        with read_only() as session:
            yield session.connection()
        return
    with _outside_a_transaction() as connection, _refusing_writes(connection):
        yield connection


def reads_outside_a_transaction(view: Callable) -> Callable:
    """For a view that only reads (the helper's board, the coordinator's day and errand
    pages): on PostgreSQL, when the request's session has not begun, the session runs on
    a connection in autocommit for the view, the logged-in user's statement included. At
    READ COMMITTED each statement takes its own snapshot inside a transaction too, so the
    reads see the same rows, without the BEGIN and the COMMIT (two round trips,
    bench/README.md). A write through that connection is refused, as in
    :func:`read_only`. Anything else: the view as it is."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not _may_read_outside_a_transaction():
            return view(*args, **kwargs)
        connection = db.session.connection(execution_options=_AUTOCOMMIT)
        with _refusing_writes(connection):
            return view(*args, **kwargs)

    return wrapped


@contextlib.contextmanager
def _refusing_writes(connection: sa.Connection) -> Iterator[None]:
    """Writes on ``connection`` refused for the block (:func:`_refuse_writes`, kept in its
    DBAPI connection's ``info``; a block inside another leaves it refusing)."""
    info = connection.info
    outer = info.get(READ_ONLY, False)
    info[READ_ONLY] = True
    try:
        yield
    finally:
        info[READ_ONLY] = outer


def end_session(exc: BaseException | None = None) -> None:
    """End the request's (or job's) database session.

    Routes and jobs commit what they change where they change it (and
    read-only work runs in :func:`read_only`); what is left here is rolled
    back. Except one case, for speed: a transaction in which the session
    wrote nothing (no flush, no INSERT, UPDATE or DELETE through it, nothing
    pending) and that did not fail ends with COMMIT, the same for the data,
    because psycopg forgets a connection's prepared statements at every
    rollback and PostgreSQL would parse and plan every statement of every
    request again (bench/README.md). That COMMIT does not expire the session's
    objects: the session is closed the next moment.
    """
    if not db.session.registry.has():  # no Session was made in this context: nothing to end
        return
    session = db.session()  # the scoped session's Session of this context
    try:
        unchanged = not (session.new or session.dirty or session.deleted)
        only_read = exc is None and session.is_active and session.in_transaction() and unchanged
        if only_read and not session.info.get(WROTE, False):
            # The session is closed right after: expiring what it loaded (the logged-in
            # user and their profile on every page) would be work for nothing.
            session.expire_on_commit = False
            session.commit()
    except sa.exc.SQLAlchemyError:
        log.warning("Could not end a read-only transaction with COMMIT; rolling back", exc_info=True)
    finally:
        db.session.remove()
