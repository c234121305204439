"""The foundation: configuration, health, accounts, access rules, CSRF, languages."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from app import create_app
from app.extensions import db as _db
from app.models import AuditLog, User
from app.security import is_safe_next
from config import Config, DevelopmentConfig, TestConfig, config_from_env
from tests.factories import PASSWORD


def test_refuses_to_start_without_secret_key():
    class NoSecret(Config):
        SECRET_KEY = None

    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(NoSecret)


def test_front_page_is_finnish_by_default(client):
    html = client.get("/").get_data(as_text=True)
    assert '<html lang="fi">' in html
    assert "Arjen pelastajat" in html
    assert "Siirry sisältöön" in html  # skip link
    assert 'id="content"' in html


def test_language_switch_is_remembered(client):
    resp = client.submit("/lang", {"lang": "sv", "next": "/"}, page="/")
    assert resp.status_code == 302
    html = client.get("/").get_data(as_text=True)
    assert '<html lang="sv">' in html
    assert "Vardagens räddare" in html
    client.submit("/lang", {"lang": "en", "next": "/"}, page="/")
    assert "Everyday rescuers" in client.get("/").get_data(as_text=True)


def test_language_switch_ignores_unknown_language_and_unsafe_next(client):
    resp = client.submit("/lang", {"lang": "xx", "next": "https://evil.example/"}, page="/")
    assert resp.headers["Location"] == "/"
    assert '<html lang="fi">' in client.get("/").get_data(as_text=True)


def test_healthz_reports_database(client):
    resp = client.get("/healthz")
    assert resp.status_code == 200
    assert resp.json == {"status": "ok", "database": "reachable"}


def test_healthz_503_when_database_unreachable(tmp_path):
    class Broken(TestConfig):
        SQLALCHEMY_DATABASE_URI = "postgresql+psycopg://nobody@127.0.0.1:1/none"

    app = create_app(Broken)
    resp = app.test_client().get("/healthz")
    assert resp.status_code == 503
    assert resp.json["database"] == "unreachable"


def test_security_headers(client):
    resp = client.get("/")
    assert "default-src 'self'" in resp.headers["Content-Security-Policy"]
    assert resp.headers["X-Content-Type-Options"] == "nosniff"


def test_every_view_declares_its_access(app):
    undeclared = [
        endpoint
        for endpoint, view in app.view_functions.items()
        if endpoint != "static" and not getattr(view, "_access", None)
    ]
    assert undeclared == []


def test_post_without_csrf_token_is_refused(client, make):
    user = make.coordinator()
    resp = client.post("/auth/login", data={"email": user.email, "password": "x"})
    assert resp.status_code == 400
    assert "Lomake oli vanhentunut" in resp.get_data(as_text=True)


def test_login_logout_and_role_home(client, make):
    user = make.coordinator(name="Kaisa Koordinaattori")
    resp = client.login(user.email)
    assert resp.status_code == 302 and resp.headers["Location"] == "/coordinator"
    assert "Hyvää päivää, Kaisa Koordinaattori" in client.get("/coordinator").get_data(as_text=True)
    assert _db.session.scalar(sa.select(AuditLog).filter_by(action="login")) is not None
    client.logout()
    resp = client.get("/coordinator")
    assert resp.status_code == 302 and "/auth/login" in resp.headers["Location"]


def test_wrong_password_keeps_email_and_says_why(client, make):
    user = make.coordinator()
    resp = client.login(user.email, "wrong")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert "Väärä sähköposti tai salasana." in html
    assert f'value="{user.email}"' in html


def test_password_is_hashed_with_a_kdf(app, make, monkeypatch):
    """Production and development hash with scrypt; only the tests' config is cheaper,
    and its hash is still a real one that a login checks."""
    assert Config.PASSWORD_HASH_METHOD == DevelopmentConfig.PASSWORD_HASH_METHOD == "scrypt"
    assert config_from_env({"SECRET_KEY": "x" * 40}).PASSWORD_HASH_METHOD == "scrypt"
    cheap = make.coordinator()
    assert cheap.password_hash.startswith("pbkdf2:sha256:1000$") and cheap.check_password(PASSWORD)
    monkeypatch.setitem(app.config, "PASSWORD_HASH_METHOD", Config.PASSWORD_HASH_METHOD)
    user = make.coordinator()
    assert user.password_hash.startswith("scrypt:") and user.check_password(PASSWORD)


def test_session_is_cleared_on_login(client, make):
    user = make.coordinator()
    with client.session_transaction() as sess:
        sess["planted"] = "by-attacker"
    client.login(user.email)
    with client.session_transaction() as sess:
        assert "planted" not in sess


@pytest.mark.parametrize(
    ("target", "safe"),
    [
        ("/coordinator", True),
        ("//evil.example", False),
        ("https://evil.example/", False),
        ("/\\evil", False),
        ("", False),
        ("javascript:alert(1)", False),
    ],
)
def test_safe_next(target, safe):
    assert is_safe_next(target) is safe


def test_login_follows_only_safe_next(client, make):
    user = make.coordinator()
    resp = client.submit(
        "/auth/login", {"email": user.email, "password": "correct horse battery", "next": "//evil.example/x"}
    )
    assert resp.headers["Location"] == "/coordinator"


def test_login_follows_safe_next(client, make):
    user = make.admin()
    resp = client.submit("/auth/login", {"email": user.email, "password": "correct horse battery", "next": "/admin/"})
    assert resp.headers["Location"] == "/admin/"


@pytest.mark.parametrize(
    ("url", "allowed"), [("/coordinator", {"coordinator", "admin"}), ("/admin/", {"admin"}), ("/helper", {"helper"})]
)
def test_role_protected_pages(app, db, make, url, allowed):
    from tests.conftest import FormClient

    for role in ("admin", "coordinator", "helper"):
        client = FormClient(app.test_client())
        user = make.helper().user if role == "helper" else make.user(role)
        client.login(user.email)
        status = client.get(url).status_code
        assert (status == 200) is (role in allowed), (role, url, status)


def test_ending_sessions_logs_user_out(client, make):
    from app.auth.sessions import end_all_sessions

    user = make.coordinator()
    client.login(user.email)
    assert client.get("/coordinator").status_code == 200
    end_all_sessions(_db.session.get(User, user.id))
    _db.session.commit()
    assert client.get("/coordinator").status_code == 302


def test_pages_use_only_local_assets(client):
    html = client.get("/").get_data(as_text=True)
    urls = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert urls and all(u.startswith("/") or u.startswith("#") for u in urls), urls


def test_date_filters_match_flask_babel_in_every_language(app):
    """The remembered formatting gives what flask_babel's own functions give in the language's
    Finnish locale (app.i18n.FORMAT_LOCALES: fi_FI, sv_FI, en_FI)."""
    from datetime import UTC, date, datetime

    from flask_babel import force_locale, format_date, format_datetime, format_time

    from app.i18n import FORMAT_LOCALES

    env = app.jinja_env
    values = [datetime(2026, 3, 29, 0, 30, tzinfo=UTC), datetime(2026, 10, 25, 1, 30, tzinfo=UTC)]
    with app.test_request_context("/"):
        for language in ("fi", "sv", "en"):
            for value in values:
                with force_locale(FORMAT_LOCALES[language]):
                    expected = (
                        format_datetime(value, "short"),
                        format_date(value, "EEEE d.M.yyyy"),
                        format_date(value, "medium"),
                        format_time(value, "short"),
                        format_date(date(2026, 12, 6), "long"),
                    )
                with force_locale(language):
                    assert (
                        env.filters["local_dt"](value),
                        env.filters["local_date"](value, "EEEE d.M.yyyy"),
                        env.filters["local_date"](value),
                        env.filters["local_time"](value),
                        env.filters["local_date"](date(2026, 12, 6), "long"),
                    ) == expected
                    assert env.filters["local_date"](None) == ""
    with app.test_request_context("/"), force_locale("fi"):
        assert env.filters["local_time"](values[0]) == "2.30"  # still winter time (UTC+2)
        assert env.filters["local_time"](datetime(2026, 3, 29, 1, 30, tzinfo=UTC)) == "4.30"  # summer time
