"""Flask's signed cookie sessions, with the per-request work done once where it can be.

Flask's :class:`~flask.sessions.SecureCookieSessionInterface` builds a new
signing serializer on every request and checks the cookie's signature and
decodes its tagged JSON every time, although a browser sends the same cookie
on request after request. :class:`CookieSessions` is the same interface with

* the serializer made once per app and key, and
* a request that leaves its session as it came (the usual page view) ends with
  the one thing Flask would do then (``Vary: Cookie`` when the session was
  looked at), without reading the cookie's settings first, and
* each cookie whose signature it verified remembered with its contents and
  the time it was signed, so the same cookie again is not verified and
  decoded again. Only cookies whose values are all plain strings, numbers,
  booleans or ``None`` are remembered (a session that holds flashed
  messages, whose list a request changes in place, is decoded each time),
  and the age limit (``PERMANENT_SESSION_LIFETIME``) is checked on every
  request from the remembered signing time, as itsdangerous does.

Nothing else changes: the cookie, its signature, the key and its fallbacks,
the age limit and what a tampered or expired cookie gives (an empty session).
"""

from __future__ import annotations

import time
from typing import Any

from flask import Flask, Request, Response
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface, SessionMixin
from itsdangerous import BadSignature, URLSafeTimedSerializer

from app.memo import keep

#: How many verified cookies each worker remembers (then it starts again).
REMEMBERED = 4096

_PLAIN = (str, int, float, bool, type(None))


class CookieSessions(SecureCookieSessionInterface):
    def __init__(self) -> None:
        self._serializer: tuple[tuple, URLSafeTimedSerializer] | None = None
        self._verified: dict[tuple, tuple[dict[str, Any], int]] = {}

    def _keys(self, app: Flask) -> tuple:
        return (app.secret_key, *(app.config["SECRET_KEY_FALLBACKS"] or ()))

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        if not app.secret_key:
            return None
        keys = self._keys(app)
        made = self._serializer
        if made is None or made[0] != keys:
            made = self._serializer = (keys, super().get_signing_serializer(app))
        return made[1]

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        serializer = self.get_signing_serializer(app)
        if serializer is None:
            return None
        value = request.cookies.get(self.get_cookie_name(app))
        if not value:
            return self.session_class()
        max_age = int(app.permanent_session_lifetime.total_seconds())
        key = (self._keys(app), value)
        remembered = self._verified.get(key)
        if remembered is not None:
            data, signed_at = remembered
            if 0 <= int(time.time()) - signed_at <= max_age:  # itsdangerous's own test of the age
                return self.session_class(data)
            self._verified.pop(key, None)
            return self.session_class()
        try:
            data, signed_at = serializer.loads(value, max_age=max_age, return_timestamp=True)
        except BadSignature:  # SignatureExpired too
            return self.session_class()
        if isinstance(data, dict) and all(isinstance(v, _PLAIN) for v in data.values()):
            keep(self._verified, key, (dict(data), int(signed_at.timestamp())), limit=REMEMBERED)
        return self.session_class(data)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        if not session.modified and not self.should_set_cookie(app, session):
            # Flask's own save_session does nothing else for such a session (an empty one
            # included: its cookie is removed only when the request emptied it).
            if session.accessed:
                response.vary.add("Cookie")
            return
        super().save_session(app, session, response)
