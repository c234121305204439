"""Access rules that every view declares.

Each view is wrapped in exactly one of ``public``, ``login_only`` or
``roles_required(...)``; a test fails when a view declares none.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from urllib.parse import urlsplit

from flask import Flask, abort, current_app, g, request, session
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from itsdangerous import Signer, URLSafeTimedSerializer
from itsdangerous.encoding import want_bytes

from app.extensions import login_manager
from app.memo import keep


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
    """The request's signed CSRF token, the one Flask-WTF's ``generate_csrf()`` gives, kept
    where it keeps it (``g``, read with two context-local lookups instead of its five: a page
    asks three times). Made on the request's first ask as Flask-WTF makes it (an
    ``itsdangerous.URLSafeTimedSerializer`` with its salt dumping the session's raw token),
    with the serializer's signer kept per secret key and the signed payload (JSON, an attempt
    at zlib, base64) per raw token: Flask-WTF builds a serializer and a signer on every
    request and the payload of the same raw token again, which is all that changes but the
    time and its signature. Anything else (no raw token in the session yet, another kind of
    value or key) goes to Flask-WTF's ``generate_csrf()``."""
    config = current_app.config
    field = config["WTF_CSRF_FIELD_NAME"]
    token = g.get(field)
    if token is not None:
        return token
    raw = session.get(field)
    secret = config.get("WTF_CSRF_SECRET_KEY", current_app.secret_key)
    if type(raw) is not str or type(secret) not in (str, bytes):
        return generate_csrf()
    serializer, signer = _csrf_signing(secret)
    payload = _CSRF_PAYLOADS.get(raw)
    if payload is None:
        payload = keep(_CSRF_PAYLOADS, raw, want_bytes(serializer.dump_payload(raw)), limit=4096)
    token = signer.sign(payload).decode("utf-8")  # URLSafeTimedSerializer.dumps, its two steps
    setattr(g, field, token)
    return token


#: Each raw CSRF token's signed payload (:func:`csrf_token`), the same for any key.
_CSRF_PAYLOADS: dict[str, bytes] = {}
#: The serializer and its signer by secret key (they hold no state of a request).
_CSRF_SIGNING: dict[str | bytes, tuple[URLSafeTimedSerializer, Signer]] = {}


def _csrf_signing(secret: str | bytes) -> tuple[URLSafeTimedSerializer, Signer]:
    signing = _CSRF_SIGNING.get(secret)
    if signing is None:
        serializer = URLSafeTimedSerializer(secret, salt=_CSRF_SALT)
        signing = keep(_CSRF_SIGNING, secret, (serializer, serializer.make_signer()), limit=16)
    return signing


#: Flask-WTF's salt for its CSRF tokens (flask_wtf.csrf.generate_csrf and validate_csrf).
_CSRF_SALT = "wtf-csrf-token"


def use_csrf_token(app: Flask) -> None:
    """Templates' ``csrf_token()`` is :func:`csrf_token`. Call right after Flask-WTF's
    ``init_app``: it also gives templates ``csrf_token`` and ``csrf_meta_tag`` through a
    context processor, called on every render; the same two as Jinja globals instead."""
    processors = app.template_context_processors[None]
    given = processors[-1]() if processors else {}
    if set(given) == {"csrf_token", "csrf_meta_tag"}:  # Flask-WTF's, which init_app just added
        processors.pop()
    app.jinja_env.globals["csrf_token"] = csrf_token
