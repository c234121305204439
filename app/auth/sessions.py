"""Server-side login sessions: a session ends on the server, not only in the browser.

Each login creates a :class:`UserSession` row with a random id. The id travels
inside Flask-Login's user id (``"<user id>.<session version>.<session id>"``),
so it is in both the signed ``session`` cookie and the remember-me cookie; only
its SHA-256 is stored. A cookie is accepted while its row is open and

- the login was used within ``PERMANENT_SESSION_LIFETIME`` (idle limit), or
- it was a "keep me logged in" login made within ``REMEMBER_COOKIE_DURATION``
  (at most 30 days).

Logging out ends the row, so a copied cookie no longer works; a password
change or a suspension ends every row of the user (and bumps
``session_version``, as before). The user, their helper profile, their
organizations' ids and the check of the row come in one statement; ``last_seen_at`` is written at most every
:data:`LAST_SEEN_EVERY` in its own short transaction.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app, request, session
from flask_login.utils import _create_identifier
from sqlalchemy.orm.attributes import set_committed_value

from app.extensions import db
from app.memo import keep
from app.models import HelperProfile, User, UserSession, utcnow
from app.models.base import UTCDateTime

log = logging.getLogger(__name__)

#: How often a session's ``last_seen_at`` is written (not on every request).
LAST_SEEN_EVERY = timedelta(minutes=15)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _seconds(value: timedelta | int) -> timedelta:
    return value if isinstance(value, timedelta) else timedelta(seconds=int(value))


def idle_limit() -> timedelta:
    return _seconds(current_app.config["PERMANENT_SESSION_LIFETIME"])


def remember_limit() -> timedelta:
    return _seconds(current_app.config["REMEMBER_COOKIE_DURATION"])


def start_session(user: User, *, remember: bool = False) -> str:
    """Open a session for ``user`` (call before ``login_user``); returns its plain id."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    db.session.add(
        UserSession(id_hash=_digest(token), user_id=user.id, created_at=now, last_seen_at=now, remember=remember)
    )
    user.session_token = token
    return token


def open_session_condition() -> sa.ColumnElement[bool]:
    """The user ``user_id`` has the open, unexpired session ``id_hash`` (parameters of
    :func:`session_params`), on ``users`` joined with ``user_sessions``."""
    p = sa.bindparam
    return sa.and_(
        User.id == p("user_id", type_=sa.Integer),
        UserSession.id_hash == p("id_hash", type_=sa.String),
        UserSession.ended_at.is_(None),
        sa.or_(
            UserSession.last_seen_at > p("idle_since", type_=UTCDateTime()),
            sa.and_(UserSession.remember.is_(True), UserSession.created_at > p("remember_since", type_=UTCDateTime())),
        ),
    )


@functools.cache
def _session_user_statement() -> sa.Select:
    """The user of an open, unexpired session, with their helper profile and their
    organizations' ids: nearly every helper page reads the profile, and every coordinator
    page the organizations (the scope of what they see), so they come in the same
    statement (built once: only the parameters change on each request)."""
    # The profile as a second entity of the row (given to the user as their loaded
    # ``helper_profile``), not through joinedload: the same objects, ~17 % less of
    # SQLAlchemy's loading work (bench/README.md, 6 December, morning).
    return (
        sa.select(
            User, HelperProfile, UserSession.last_seen_at, User.organization_ids_column().label("organization_ids")
        )
        .join(UserSession, UserSession.user_id == User.id)
        .outerjoin(HelperProfile, HelperProfile.user_id == User.id)
        .where(open_session_condition())
    )


@dataclass(frozen=True)
class SessionLogin:
    """What a login id (``"<user id>.<session version>.<session id>"``) says, and the
    parameters of :func:`open_session_condition` for it at ``now``."""

    user_id: int
    version: int
    token: str
    now: datetime
    params: dict[str, Any]

    def valid(self, session_version: int, active: bool, last_seen: datetime) -> bool | None:
        """Given the row :func:`open_session_condition` found: True when the login holds,
        False when it does not, None when it holds but its last use must be noted now
        (``last_seen_at``, which only :func:`load_user` writes)."""
        if session_version != self.version or not active:
            return False
        return None if self.now - last_seen >= LAST_SEEN_EVERY else True


def session_params(user_id: str) -> SessionLogin | None:
    """The login id ``user_id`` read, or None for a malformed one."""
    try:
        raw_id, raw_version, token = user_id.split(".", 2)
        uid, version = int(raw_id), int(raw_version)
    except (ValueError, AttributeError):
        return None
    if not token or len(token) > 100:
        return None
    now = utcnow()
    params = {
        "user_id": uid,
        "id_hash": _digest(token),
        "idle_since": now - idle_limit(),
        "remember_since": now - remember_limit(),
    }
    return SessionLogin(uid, version, token, now, params)


def load_user(user_id: str) -> User | None:
    """Flask-Login loader: the user of an open, unexpired session, else ``None``."""
    login = session_params(user_id)
    if login is None:
        return None
    row = db.session.execute(_session_user_statement(), login.params).first()
    if row is None:
        return None
    user, profile, last_seen, organization_ids = row
    if "helper_profile" not in sa.inspect(user).dict:  # not loaded already (this session's own user)
        set_committed_value(user, "helper_profile", profile)
    valid = login.valid(user.session_version, user.active, last_seen)
    if valid is False:
        return None
    user.session_token = login.token
    user.note_organization_ids(User.organization_ids_of(organization_ids))
    if valid is None:
        _touch(login.token, login.now)
    return user


def request_login() -> SessionLogin | None:
    """The login of this request's signed session cookie as Flask-Login would take it
    (``_user_id`` in the session and the ``"strong"`` session protection's identifier
    matching), for a page that checks it without loading the user
    (:func:`open_session_condition`); None when Flask-Login would do anything else
    (no login in the session, a remember-me cookie, a protection to apply): then the
    page goes the usual way, through :func:`load_user`."""
    user_id = session.get("_user_id")
    if user_id is None or session.get("_id") != session_identifier():
        return None
    return session_params(user_id)


_IDENTIFIERS: dict[tuple, str] = {}


def session_identifier() -> str:
    """Flask-Login's identifier of the client (its ``_create_identifier``: a SHA-512 of the
    address and the User-Agent, checked against the session's on every request with
    ``session_protection = "strong"``), made once per worker for each address and agent."""
    key = (request.headers.get("X-Forwarded-For", request.remote_addr), request.headers.get("User-Agent"))
    identifier = _IDENTIFIERS.get(key)
    if identifier is None:
        identifier = keep(_IDENTIFIERS, key, _create_identifier(), limit=4096)
    return identifier


def _touch(token: str, now: datetime) -> None:
    """Note that the session is in use, outside the request's own transaction
    (a page that only reads must not write, and a failure here costs nothing)."""
    try:
        with db.engine.begin() as conn:
            conn.execute(sa.update(UserSession).where(UserSession.id_hash == _digest(token)).values(last_seen_at=now))
    except sa.exc.SQLAlchemyError:
        log.warning("could not note a session's last use", exc_info=True)


def end_session(user: User, reason: str = "logout") -> None:
    """End the session that ``user`` was loaded with (logging out)."""
    token = getattr(user, "session_token", None)
    if token:
        db.session.execute(
            sa.update(UserSession)
            .where(UserSession.id_hash == _digest(token), UserSession.ended_at.is_(None))
            .values(ended_at=utcnow(), ended_reason=reason)
        )
    user.session_token = None


def end_all_sessions(user: User) -> None:
    """End every session of ``user`` on every device (password change, suspension)."""
    user.session_version = (user.session_version or 1) + 1
    if user.id is not None:
        db.session.execute(
            sa.update(UserSession)
            .where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
            .values(ended_at=utcnow(), ended_reason="all_ended")
        )


def open_sessions(user: User) -> int:
    """How many sessions of ``user`` are open (tests and the account page)."""
    return db.session.scalar(
        sa.select(sa.func.count()).where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
    )


def purge_sessions(now: datetime) -> int:
    """Delete the rows of sessions that ended, or were last valid, more than
    ``REMEMBER_COOKIE_DURATION`` ago (the daily retention job); returns how many."""
    cutoff = now - remember_limit()
    deleted = db.session.execute(
        sa.delete(UserSession)
        .where(
            sa.or_(
                UserSession.ended_at < cutoff,
                sa.and_(  # never ended, but can never be valid again
                    UserSession.ended_at.is_(None), UserSession.created_at < cutoff, UserSession.last_seen_at < cutoff
                ),
            )
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    return deleted or 0
