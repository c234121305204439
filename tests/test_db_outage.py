"""A database outage gives a friendly, translated 503 page, not a 500.

The outage is real: a second app whose database is PostgreSQL on 127.0.0.1
port 1, where nothing listens (connection refused), on either test engine.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app import create_app
from app.main.errors import is_database_outage
from config import TestConfig

UNREACHABLE = "postgresql+psycopg://postgres@127.0.0.1:1/nothing"


@pytest.fixture(scope="module")
def broken_app():
    class Broken(TestConfig):
        SQLALCHEMY_DATABASE_URI = UNREACHABLE

    return create_app(Broken)


def test_a_page_that_needs_the_database_answers_503_in_finnish(broken_app):
    response = broken_app.test_client().get("/helpers/register")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    html = response.get_data(as_text=True)
    assert "Palvelu on hetken tauolla" in html
    assert "Yritä uudelleen muutaman minuutin kuluttua" in html
    assert '<html lang="fi"' in html


def test_the_503_page_is_in_the_chosen_language(broken_app):
    client = broken_app.test_client()
    with client.session_transaction() as session:
        session["lang"] = "sv"
    response = client.get("/helpers/register")
    assert response.status_code == 503
    assert "Tjänsten tar en kort paus" in response.get_data(as_text=True)


def test_a_logged_in_user_whose_loader_meets_the_outage_gets_503(app, client, make, broken_app):
    """The session cookie of a real login, shown to the app whose database is down:
    the user loader's query fails, and the page still is the friendly 503."""
    helper = make.helper()
    assert client.login(helper.user.email).status_code == 302
    cookie = client.get_cookie("session")
    broken = broken_app.test_client()
    broken.set_cookie("session", cookie.value)
    response = broken.get("/board")
    assert response.status_code == 503
    assert "Palvelu on hetken tauolla" in response.get_data(as_text=True)


def test_a_twilio_webhook_gets_a_503_too(broken_app, monkeypatch):
    monkeypatch.setitem(broken_app.config, "TWILIO_AUTH_TOKEN", "token")
    from app.sms.signature import SIGNATURE_HEADER, compute_signature

    data = {"MessageSid": "SM1", "From": "+358401234567", "To": "+358451230000", "Body": "KYLLÄ"}
    signature = compute_signature("token", "http://testserver/sms/inbound", data)
    response = broken_app.test_client().post("/sms/inbound", data=data, headers={SIGNATURE_HEADER: signature})
    assert response.status_code == 503


def test_only_outages_count_as_outages():
    refused = sa.exc.OperationalError("SELECT 1", {}, Exception("connection refused"))
    assert is_database_outage(refused)
    assert is_database_outage(sa.exc.InterfaceError("SELECT 1", {}, Exception("closed")))
    assert is_database_outage(sa.exc.TimeoutError("QueuePool limit reached"))
    dropped = sa.exc.DBAPIError("SELECT 1", {}, Exception("server closed"), connection_invalidated=True)
    assert is_database_outage(dropped)
    assert not is_database_outage(sa.exc.IntegrityError("INSERT", {}, Exception("duplicate key")))
    assert not is_database_outage(sa.exc.DataError("SELECT", {}, Exception("integer out of range")))
    assert not is_database_outage(ValueError("no"))
