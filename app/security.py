"""Access rules that every view declares.

Each view is wrapped in exactly one of ``public``, ``login_only`` or
``roles_required(...)``; a test fails when a view declares none.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from urllib.parse import urlsplit

from flask import Flask, abort, current_app, g, request
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from app.extensions import login_manager


def public(view: Callable) -> Callable:
    view._access = ("public",)  # type: ignore[attr-defined]
    return view


def roles_required(*roles: str) -> Callable[[Callable], Callable]:
    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args, **kwargs):
            user = current_user._get_current_object()  # one context-local lookup, not two
            if not user.is_authenticated:
                return login_manager.unauthorized()
            if user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        wrapped._access = tuple(roles)  # type: ignore[attr-defined]
        return wrapped

    return decorator


def login_only(view: Callable) -> Callable:
    return roles_required("admin", "coordinator", "helper")(view)


def is_safe_next(target: str | None) -> bool:
    """Only same-site relative paths are followed after login."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def safe_next(default: str) -> str:
    target = request.values.get("next")
    return target if is_safe_next(target) else default


def csrf_token() -> str:
    """The request's signed CSRF token, the one Flask-WTF's ``generate_csrf()`` gives:
    made by it on the request's first ask, then read from where it keeps it (``g``)
    with two context-local lookups instead of its five (a page asks three times)."""
    token = g.get(current_app.config["WTF_CSRF_FIELD_NAME"])
    return token if token is not None else generate_csrf()


def use_csrf_token(app: Flask) -> None:
    """Templates' ``csrf_token()`` is :func:`csrf_token`. Call right after Flask-WTF's
    ``init_app``: it also gives templates ``csrf_token`` and ``csrf_meta_tag`` through a
    context processor, called on every render; the same two as Jinja globals instead."""
    processors = app.template_context_processors[None]
    given = processors[-1]() if processors else {}
    if set(given) == {"csrf_token", "csrf_meta_tag"}:  # Flask-WTF's, which init_app just added
        processors.pop()
    app.jinja_env.globals["csrf_token"] = csrf_token
