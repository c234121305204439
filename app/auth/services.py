"""Account services: authenticating and where a user lands. Sessions: ``app.auth.sessions``."""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app

from app.abuse import client_ip
from app.extensions import db
from app.models import User, utcnow


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


def home_endpoint(user: User) -> str:
    return {"admin": "admin.index", "coordinator": "main.coordinator_home", "helper": "main.helper_home"}.get(
        user.role, "main.index"
    )


def login_limits(email: str) -> list[tuple[str, str, str]]:
    """The failed-login limits of one attempt: per account (the address as typed,
    whether or not it has an account) and per IP address."""
    config = current_app.config
    return [
        ("login-account", config["LOGIN_LIMIT_PER_ACCOUNT"], email.strip().lower()),
        ("login-ip", config["LOGIN_LIMIT_PER_IP"], client_ip()),
    ]
