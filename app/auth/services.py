"""Account services: loading the session's user, authenticating, ending sessions."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models import User, utcnow


def load_user(user_id: str) -> User | None:
    """Flask-Login loader. The id carries the session version so that bumping
    ``session_version`` ends every existing session of the user at once."""
    try:
        raw_id, raw_version = user_id.split(".", 1)
        uid, version = int(raw_id), int(raw_version)
    except (ValueError, AttributeError):
        return None
    # A helper's profile comes in the same statement: nearly every helper page reads it.
    user = db.session.get(User, uid, options=[joinedload(User.helper_profile)])
    if user is None or user.session_version != version or not user.active:
        return None
    return user


def authenticate(email: str, password: str) -> User | None:
    user = db.session.scalar(sa.select(User).where(sa.func.lower(User.email) == email.strip().lower()))
    if user is None:
        # Spend the same time as a real check so that timing does not tell which emails exist.
        User(password_hash="").set_password(password)
        return None
    if not user.check_password(password) or not user.active:
        return None
    user.last_login_at = utcnow()
    return user


def end_all_sessions(user: User) -> None:
    user.session_version = (user.session_version or 1) + 1


def home_endpoint(user: User) -> str:
    return {"admin": "admin.index", "coordinator": "main.coordinator_home", "helper": "main.helper_home"}.get(
        user.role, "main.index"
    )
