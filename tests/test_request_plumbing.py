"""The per-request plumbing made cheaper (app/__init__.App, app.i18n's kept locale and time
zone, app.security.csrf_token, app.headers): the same answers as the libraries' own."""

from __future__ import annotations

import flask
import itsdangerous.timed
import jinja2.runtime
import pytest
import pytz
from babel import Locale
from flask import Flask, Response, g, render_template_string
from flask_babel import get_locale, get_timezone, get_translations
from flask_wtf.csrf import generate_csrf, validate_csrf

from app import security as app_security
from app.i18n import select_locale, select_timezone
from app.security import csrf_token


def test_the_kept_locale_is_babels_own(app):
    with app.test_request_context("/"):
        from flask import session

        for code in ("fi", "sv", "en"):
            session["lang"] = code
            kept = select_locale()
            assert kept == Locale.parse(code) and hash(kept) == hash(Locale.parse(code))
            assert str(kept) == str(Locale.parse(code)) == code
            assert kept.display_name == Locale.parse(code).display_name
            assert select_locale() is kept  # made once per worker
        assert select_timezone() is select_timezone()
        assert select_timezone() == pytz.timezone(app.config["DISPLAY_TIMEZONE"])


def test_the_page_language_follows_the_session_then_the_account(client, make, db):
    user = make.coordinator()
    user.locale = "sv"
    db.session.commit()
    client.login(user.email)
    html = client.get("/coordinator").get_data(as_text=True)
    assert 'lang="sv"' in html
    with client.session_transaction() as session:
        session["lang"] = "en"
    assert 'lang="en"' in client.get("/coordinator").get_data(as_text=True)


def test_babel_gets_the_same_locale_time_zone_and_translations(app):
    with app.test_request_context("/"):
        from flask import session

        session["lang"] = "sv"
        assert get_locale() == Locale.parse("sv") and str(get_locale()) == "sv"
        assert str(get_timezone()) == app.config["DISPLAY_TIMEZONE"]
        assert get_translations().ugettext("Log in") != "Log in"


def test_csrf_token_is_flask_wtfs_token_of_the_request(app):
    with app.test_request_context("/"):
        first = csrf_token()  # made by Flask-WTF on the first ask
        assert first == generate_csrf() == g.csrf_token
        assert csrf_token() is first
        assert render_template_string("{{ csrf_token() }}") == first
    with app.test_request_context("/"):
        made = generate_csrf()
        assert csrf_token() == made
        assert render_template_string("{{ csrf_token() }}|{{ csrf_meta_tag() }}").startswith(made + "|<meta ")


def test_csrf_token_with_kept_signing_is_flask_wtfs_token(app, monkeypatch):
    """With a raw token in the session, csrf_token() signs it with a kept serializer and
    payload: the same token as Flask-WTF makes at the same second, for raw tokens whose
    payload zlib shortens or not, for another secret key, and valid for Flask-WTF's check."""
    clock, made = [1_765_000_000.25], set()
    monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: clock[0])
    raws = [
        "0123456789abcdef0123456789abcdef01234567",
        "a" * 40,
        "f00d" * 10,
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4",
    ]
    for secret in (None, "another secret key"):
        if secret is not None:
            app.config["WTF_CSRF_SECRET_KEY"] = secret
        for raw in raws * 2:  # the second time from the kept payload
            clock[0] += 1
            with app.test_request_context("/"):
                flask.session["csrf_token"] = raw
                with monkeypatch.context() as patched:  # made without Flask-WTF's generate_csrf
                    patched.setattr(app_security, "generate_csrf", None)
                    kept = csrf_token()
                assert g.csrf_token == kept and csrf_token() is kept
                del g.csrf_token
                assert generate_csrf() == kept  # Flask-WTF's own, the same second
                validate_csrf(kept)
                assert flask.session["csrf_token"] == raw
                made.add(kept[0] == ".")  # a payload zlib shortened starts with a dot
    assert made == {True, False}


def test_the_template_csrf_token_is_valid_for_a_post(client, make, db):
    """A form's token from a template's csrf_token() passes Flask-WTF's check (CSRF on)."""
    user = make.coordinator()
    client.login(user.email)  # the test client takes the token from the login page
    resp = client.submit("/lang", {"lang": "en"}, page="/coordinator")
    assert resp.status_code in (302, 303)
    assert 'lang="en"' in client.get("/coordinator").get_data(as_text=True)
    # A token from another session's page does not pass.
    other = client.client.application.test_client()
    refused = other.post("/lang", data={"lang": "sv", "csrf_token": client.csrf_token("/coordinator")})
    assert refused.status_code == 400


def test_ensure_sync_answers_as_flasks_and_keeps_the_answer(app):
    def plain():
        return "plain"

    async def coroutine():
        return "coroutine"

    assert app.ensure_sync(plain) is plain and app.ensure_sync(plain) is plain
    # An async function gets what Flask gives it (here: no async support installed).
    try:
        expected = Flask.ensure_sync(app, coroutine)
    except RuntimeError as error:
        with pytest.raises(RuntimeError, match=str(error)):
            app.ensure_sync(coroutine)
    else:
        assert app.ensure_sync(coroutine) is app.ensure_sync(coroutine) and type(expected) is type(
            app.ensure_sync(coroutine)
        )

    class Unhashable:
        __hash__ = None

        def __call__(self):
            return "called"

    thing = Unhashable()
    assert app.ensure_sync(thing) is thing


def _after_request(app, response: Response, base_url: str = "http://localhost") -> Response:
    with app.test_request_context("/", base_url=base_url):
        return app.process_response(response)


def test_headers_keep_what_the_view_set_and_add_the_rest(app, db):
    response = Response("x")
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    response.headers["Expires"] = "0"
    response.headers["ETag"] = '"e"'
    resp = _after_request(app, response)
    assert resp.headers.getlist("X-Frame-Options") == ["SAMEORIGIN"]
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Referrer-Policy"] == "same-origin"
    assert resp.headers["Content-Security-Policy"].startswith("default-src 'self'")
    assert "Strict-Transport-Security" not in resp.headers
    # Not personal (no login, not a personal public page): the view's caching headers stay.
    assert resp.headers["Expires"] == "0" and resp.headers["ETag"] == '"e"'
    secure = _after_request(app, Response("x"), base_url="https://arjenpelastajat.example")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    names = [name.lower() for name, _ in secure.headers.items()]
    assert len(names) == len(set(names))


def test_personal_pages_lose_their_caching_headers(client, make, db):
    user = make.coordinator()
    client.login(user.email)
    resp = client.get("/coordinator")
    assert resp.headers["Cache-Control"] == "no-store"
    assert "Expires" not in resp.headers and "ETag" not in resp.headers


def test_a_templates_context_is_jinjas_own(app):
    """app._Template.new_context copies the globals in C: the same variables, in the same
    order, as Jinja's own new_context gives (the template's globals over the environment's,
    the render's variables over both), with and without locals, shared or not."""
    with app.test_request_context("/"):
        template = app.jinja_env.from_string("{{ x }}|{{ shadowed }}", globals={"shadowed": "own", "x": 1})
        app.jinja_env.globals["shadowed"] = "environment's"
        assert type(template).__name__ == "_Template"
        for vars, shared, locals in (
            ({"x": 2}, False, None),
            ({}, False, None),
            (None, False, None),
            ({"x": 3, "csrf_token": "mine"}, False, {"y": 4}),
            ({"x": 5}, True, None),
            ({"x": 6}, True, {"z": 7}),
        ):
            given = None if vars is None else dict(vars)
            ours = template.new_context(given, shared, locals)
            jinjas = jinja2.runtime.new_context(
                app.jinja_env, template.name, template.blocks, vars, shared, template.globals, locals
            )
            assert list(ours.parent.items()) == list(jinjas.parent.items())
            assert ours.globals_keys == jinjas.globals_keys and ours.name == jinjas.name
            if vars is not None and not shared:
                assert given == vars  # the caller's variables are not changed
        assert template.render(x=8) == "8|own"
        del app.jinja_env.globals["shadowed"]
