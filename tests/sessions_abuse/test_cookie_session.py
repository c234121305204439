"""Flask's signed session cookie, each cookie verified once per worker
(app/cookie_session.py): the same answers as Flask's own interface for a good,
a tampered, an expired and a flashing session."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from flask.sessions import SecureCookieSessionInterface

from app.cookie_session import CookieSessions


@pytest.fixture()
def interface(app):
    assert isinstance(app.session_interface, CookieSessions)
    return CookieSessions()


def _cookie(app, data: dict) -> str:
    return SecureCookieSessionInterface().get_signing_serializer(app).dumps(data)


def _open(app, interface, cookie: str | None):
    headers = {"Cookie": f"{app.config['SESSION_COOKIE_NAME']}={cookie}"} if cookie is not None else {}
    with app.test_request_context("/", headers=headers) as ctx:
        return interface.open_session(app, ctx.request)


def test_a_good_cookie_is_read_once_and_then_from_memory(app, interface, monkeypatch):
    cookie = _cookie(app, {"_user_id": "1.1.abc", "_fresh": True, "lang": "sv"})
    assert dict(_open(app, interface, cookie)) == {"_user_id": "1.1.abc", "_fresh": True, "lang": "sv"}
    assert len(interface._verified) == 1

    def not_again(*_a, **_k):
        raise AssertionError("verified again")

    monkeypatch.setattr(interface.get_signing_serializer(app), "loads", not_again)
    again = _open(app, interface, cookie)
    assert dict(again) == {"_user_id": "1.1.abc", "_fresh": True, "lang": "sv"}
    again["lang"] = "fi"  # a request's change is its own
    assert dict(_open(app, interface, cookie))["lang"] == "sv"


def test_a_tampered_or_missing_cookie_gives_an_empty_session(app, interface):
    cookie = _cookie(app, {"_user_id": "1.1.abc"})
    payload, rest = cookie.split(".", 1)
    assert dict(_open(app, interface, payload[:-2] + "AA." + rest)) == {}
    assert dict(_open(app, interface, cookie + "x")) == {}
    assert dict(_open(app, interface, None)) == {}
    other_key = SecureCookieSessionInterface().get_signing_serializer(app)
    other_key.secret_keys = [b"another key"]
    assert dict(_open(app, interface, other_key.dumps({"_user_id": "1.1.abc"}))) == {}
    assert interface._verified == {}


def test_an_old_cookie_expires_even_when_remembered(app, interface, monkeypatch):
    monkeypatch.setattr(app, "permanent_session_lifetime", timedelta(seconds=100))
    cookie = _cookie(app, {"_user_id": "1.1.abc"})
    assert dict(_open(app, interface, cookie)) == {"_user_id": "1.1.abc"}
    later = time.time() + 101
    monkeypatch.setattr(time, "time", lambda: later)
    assert dict(_open(app, interface, cookie)) == {}
    assert interface._verified == {}


def test_a_session_with_flashed_messages_is_decoded_every_time(app, interface):
    cookie = _cookie(app, {"_user_id": "1.1.abc", "_flashes": [("info", "Hei")]})
    first = _open(app, interface, cookie)
    first["_flashes"].append(("info", "again"))  # flash() changes the list in place
    assert _open(app, interface, cookie)["_flashes"] == [("info", "Hei")]
    assert interface._verified == {}


@pytest.mark.parametrize(
    "data, change",
    [
        ({}, None),  # an empty session left alone
        ({}, "read"),  # looked at, not changed
        ({"lang": "sv"}, None),
        ({"lang": "sv"}, "read"),
        ({"lang": "sv"}, "write"),
        ({"lang": "sv"}, "clear"),  # emptied: the cookie is removed
        ({"lang": "sv"}, "permanent"),  # refreshed on every request
        ({}, "permanent"),
    ],
)
def test_saving_gives_flasks_own_headers(app, interface, data, change):
    from flask import Response
    from flask.sessions import SecureCookieSession

    def saved(save) -> list[tuple[str, str]]:
        session = SecureCookieSession(dict(data))
        if change == "read":
            session.get("lang")
        elif change == "write":
            session["lang"] = "en"
        elif change == "clear":
            session.clear()
        elif change == "permanent":
            session.permanent = True
        response = Response("x")
        with app.test_request_context("/"):
            save(app, session, response)
        # The cookie's value and expiry carry the second they were made in.
        return sorted(
            (name, re.sub(r"=[^;]*;(.*Expires=)[^;]*", r"=<value>;\1<time>", value))
            for name, value in response.headers.items()
        )

    assert saved(interface.save_session) == saved(SecureCookieSessionInterface().save_session)
