"""Sessions that really end, login throttling, the sign-up's abuse limits and
bot check, the common-password check and the security headers (issue 13, part 2)."""

from __future__ import annotations

import re
import time
from datetime import timedelta
from email.utils import parsedate_to_datetime

import pytest
import sqlalchemy as sa

from app.models import GuardianConsent, HelperProfile, SmsMessage, User, UserSession, utcnow
from tests.conftest import FormClient, redis_url_for_tests
from tests.factories import PASSWORD
from tests.helpers.conftest import assert_kept

REDIS_URL = redis_url_for_tests("redis://127.0.0.1:6379/3")  # this part's own Redis database (or TEST_REDIS_URL)


def _fresh_client(app) -> FormClient:
    return FormClient(app.test_client())


def _cookie(client: FormClient, name: str) -> str:
    cookie = client.client.get_cookie(name)
    assert cookie is not None, f"no {name} cookie"
    return cookie.value


def _replay(app, **cookies) -> FormClient:
    """A different browser holding only copies of the given cookies."""
    other = _fresh_client(app)
    for name, value in cookies.items():
        other.client.set_cookie(name, value)
    return other


def _sessions(db, user) -> list[UserSession]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(UserSession).where(UserSession.user_id == user.id)))


# --- Sessions end on the server -------------------------------------------------------------------


def test_a_copied_session_cookie_stops_working_after_logout(app, client, make, db):
    user = make.coordinator()
    assert client.login(user.email).status_code == 302
    copied = _cookie(client, "session")
    thief = _replay(app, session=copied)
    assert thief.get("/coordinator").status_code == 200  # a copy works while the session is open

    client.logout()
    assert client.get("/coordinator").status_code == 302
    resp = thief.get("/coordinator")
    assert resp.status_code == 302 and resp.headers["Location"].startswith("/auth/login")
    [row] = _sessions(db, user)
    assert row.ended_at is not None and row.ended_reason == "logout"


def test_a_copied_remember_cookie_stops_working_after_logout(app, client, make, db):
    user = make.coordinator()
    resp = client.submit("/auth/login", {"email": user.email, "password": PASSWORD, "remember": "y"})
    assert resp.status_code == 302
    remember = _cookie(client, "remember_token")
    # The remember cookie lasts 30 days, not Flask-Login's default of a year.
    set_cookie = next(h for h in resp.headers.getlist("Set-Cookie") if h.startswith("remember_token="))
    expires = parsedate_to_datetime(re.search(r"Expires=([^;]+)", set_cookie).group(1))
    assert timedelta(days=29) < expires - utcnow() <= timedelta(days=30, minutes=1)
    [row] = _sessions(db, user)
    assert row.remember is True

    thief = _replay(app, remember_token=remember)  # no session cookie: the remember cookie logs in
    assert thief.get("/coordinator").status_code == 200

    client.logout()
    thief = _replay(app, remember_token=remember)
    assert thief.get("/coordinator").status_code == 302
    with app.test_request_context("/"):
        from app.auth.sessions import load_user

        assert load_user(f"{user.id}.{user.session_version}.nonsense") is None


def _sets(response) -> list[str]:
    """The names of the cookies a response sets or removes."""
    return [header.split("=", 1)[0] for header in response.headers.getlist("Set-Cookie")]


def test_a_visitors_session_cookie_is_sent_again_only_when_it_changes(app, client, db):
    """A visitor's session (a language, a form's token, no login) is left as it is by every
    page, a missing one's 404 included: no response sends an older copy of it back that
    could overwrite a newer one (the language just chosen), or removes a remember cookie."""
    first = client.client.get("/")
    assert "session" in _sets(first)  # the form's token, made by the first page
    chosen = client.submit("/lang", {"lang": "sv"}, page="/")
    assert chosen.status_code == 302 and "session" in _sets(chosen)
    for path in ("/", "/auth/login", "/favicon.ico", "/auth/login"):
        response = client.client.get(path)
        assert _sets(response) == [], path
        assert 'lang="sv"' in response.get_data(as_text=True), path


@pytest.mark.parametrize("visitor_session", [False, True])
def test_keep_me_logged_in_lasts_beyond_the_first_page(app, client, make, db, visitor_session):
    """After the browser ended the login's session (closed), the remember cookie logs the user
    in again, and the login lasts page after page (with "strong" protection it lasted one
    page), also beside a session that holds only a language; another client's copy of that
    session cookie still loses the login."""
    user = make.coordinator()
    client.submit("/auth/login", {"email": user.email, "password": PASSWORD, "remember": "y"})
    returning = _replay(app, remember_token=_cookie(client, "remember_token"))
    if visitor_session:
        returning.client.delete_cookie("remember_token")
        returning.submit("/lang", {"lang": "sv"}, page="/")  # a language and a token, no login
        returning.client.set_cookie("remember_token", _cookie(client, "remember_token"))
    # The day page first: on PostgreSQL it reads outside a transaction, the login from the
    # remember cookie included (app.db_setup.reads_outside_a_transaction).
    for path in ("/errands/day", "/coordinator", "/coordinator"):
        response = returning.client.get(path)
        assert response.status_code == 200, path
        assert "remember_token" not in _sets(response)
    stolen = _replay(app, session=_cookie(returning, "session"))
    assert stolen.client.get("/coordinator", headers={"User-Agent": "Other/1.0"}).status_code == 302
    assert returning.client.get("/coordinator").status_code == 200  # the copy did not end it here


def test_a_remembered_login_ends_after_30_days_and_a_plain_one_after_12_idle_hours(app, make, db):
    user = make.coordinator()
    plain, remembered = _fresh_client(app), _fresh_client(app)
    plain.login(user.email)
    remembered.submit("/auth/login", {"email": user.email, "password": PASSWORD, "remember": "y"})
    remember_cookie = _cookie(remembered, "remember_token")
    assert plain.get("/coordinator").status_code == 200

    now = utcnow()
    for row in _sessions(db, user):
        row.last_seen_at = now - timedelta(hours=13)
        row.created_at = now - timedelta(days=29)
    db.session.commit()
    assert plain.get("/coordinator").status_code == 302  # idle too long
    assert _replay(app, remember_token=remember_cookie).get("/coordinator").status_code == 200

    for row in _sessions(db, user):
        row.last_seen_at = now - timedelta(hours=13)
        row.created_at = now - timedelta(days=31)
    db.session.commit()
    assert _replay(app, remember_token=remember_cookie).get("/coordinator").status_code == 302


def test_last_seen_is_written_rarely_and_outside_the_page(app, client, make, db):
    user = make.coordinator()
    client.login(user.email)
    [row] = _sessions(db, user)
    row.last_seen_at = utcnow() - timedelta(minutes=20)
    db.session.commit()
    assert client.get("/coordinator").status_code == 200
    [row] = _sessions(db, user)
    assert utcnow() - row.last_seen_at < timedelta(minutes=1)
    seen = row.last_seen_at
    assert client.get("/coordinator").status_code == 200
    [row] = _sessions(db, user)
    assert row.last_seen_at == seen  # not again within 15 minutes


def test_a_new_password_ends_every_session_of_the_coordinator(app, make, db):
    admin = make.user("admin")
    org = make.organization()
    coordinator = make.coordinator(org=org)
    phone, laptop = _fresh_client(app), _fresh_client(app)
    phone.login(coordinator.email)
    laptop.submit("/auth/login", {"email": coordinator.email, "password": PASSWORD, "remember": "y"})
    remember = _cookie(laptop, "remember_token")
    admin_client = _fresh_client(app)
    admin_client.login(admin.email)
    data = {"name": "Uusi", "email": coordinator.email, "organizations": [str(org.id)], "password": "uusi-salasana-456"}
    assert admin_client.submit(f"/admin/coordinators/{coordinator.id}", data).status_code == 302

    assert phone.get("/coordinator").status_code == 302
    assert laptop.get("/coordinator").status_code == 302
    assert _replay(app, remember_token=remember).get("/coordinator").status_code == 302
    rows = _sessions(db, coordinator)
    assert len(rows) == 2 and all(r.ended_reason == "all_ended" for r in rows)
    assert admin_client.get("/admin/").status_code == 200  # the admin's own session goes on


def test_suspension_ends_the_helpers_sessions(app, make, db):
    from app.helpers.services import suspend_helper

    helper = make.helper()
    coordinator = make.coordinator()
    client = _fresh_client(app)
    client.login(helper.user.email)
    assert client.get("/helper").status_code == 200
    suspend_helper(db.session.get(HelperProfile, helper.id), db.session.get(User, coordinator.id), "testi")
    db.session.commit()
    assert client.get("/helper").status_code == 302
    assert all(r.ended_at is not None for r in _sessions(db, helper.user))


# --- Login throttling ------------------------------------------------------------------------------


def _wrong(client, email):
    return client.submit("/auth/login", {"email": email, "password": "väärä-salasana"}, page="/auth/login")


@pytest.mark.parametrize("exists", [True, False])
def test_failed_logins_per_account_pause_logging_in_whether_or_not_the_account_exists(app, client, make, exists):
    email = make.coordinator().email if exists else "ei-ole@example.fi"
    for _ in range(5):
        resp = _wrong(client, email)
        assert resp.status_code == 400 and "Väärä sähköposti tai salasana." in resp.get_data(as_text=True)
    resp = client.login(email)  # even the right password waits now
    html = resp.get_data(as_text=True)
    assert resp.status_code == 429
    assert "Liian monta epäonnistunutta yritystä" in html and "15 minuutin kuluttua" in html
    assert f'value="{email}"' in html  # what was typed is kept
    assert client.get("/coordinator").status_code == 302
    # Another account from the same address is not paused by these five.
    other = make.coordinator()
    assert client.login(other.email).status_code == 302


def test_failed_logins_per_ip_address(app, client, make, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_LIMIT_PER_IP", "3 per 15 minutes")
    for n in range(3):
        assert _wrong(client, f"kokeilu{n}@example.fi").status_code == 400
    user = make.coordinator()
    resp = client.login(user.email)
    assert resp.status_code == 429
    client.submit("/lang", {"lang": "sv", "next": "/"}, page="/")
    assert "För många misslyckade försök" in _wrong(client, user.email).get_data(as_text=True)
    # Another address is not affected.
    assert _fresh_client_from(app, "10.1.2.3").login(user.email).status_code == 302


def _fresh_client_from(app, ip: str) -> FormClient:
    client = _fresh_client(app)
    client.client.environ_base["REMOTE_ADDR"] = ip
    return client


def test_the_limits_are_kept_in_redis_when_configured(app):
    """Two app instances (two workers) share the counters through Redis database 3."""
    import redis

    from app import abuse, create_app
    from config import TestConfig

    Config = type(
        "RedisConfig",
        (TestConfig,),
        {"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"], "RATELIMIT_STORAGE_URI": REDIS_URL},
    )
    redis.Redis.from_url(REDIS_URL).flushdb()
    worker_a, worker_b = create_app(Config), create_app(Config)
    checks = [("login-account", "2 per 15 minutes", "redis-test@example.fi")]
    with worker_a.test_request_context("/"):
        assert type(abuse.limiter().storage).__name__ == "RedisStorage"
        abuse.count(checks)
        assert abuse.over_limit(checks) is None
    with worker_b.test_request_context("/"):
        abuse.count(checks)
        refusal = abuse.over_limit(checks)
        assert refusal is not None and refusal.scope == "login-account" and 1 <= refusal.minutes <= 15
    assert redis.Redis.from_url(REDIS_URL).dbsize() > 0
    redis.Redis.from_url(REDIS_URL).flushdb()


# --- The public sign-up: bot check, consent SMS limits, what the SMS says ---------------------------


def _helpers(db) -> int:
    return db.session.scalar(sa.select(sa.func.count(HelperProfile.id)))


def _token_made_seconds_ago(app, seconds: int, monkeypatch) -> str:
    from app.abuse import form_started_token

    real = time.time
    with app.test_request_context("/"), monkeypatch.context() as m:
        m.setattr(time, "time", lambda: real() - seconds)
        return form_started_token()


def test_a_form_sent_too_fast_is_refused_and_kept(app, client, db, signup, monkeypatch):
    monkeypatch.setitem(app.config, "SIGNUP_MIN_SECONDS", 5)
    page = client.get("/helpers/register").get_data(as_text=True)
    token = re.search(r'name="started" type="hidden" value="([^"]+)"', page).group(1)
    data = signup(started=token)
    resp = client.submit("/helpers/register", data)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert "Lomake lähetettiin nopeammin kuin ihminen ehtii sen täyttää." in html
    assert_kept(html, data)
    assert _helpers(db) == 0

    data = signup(started=_token_made_seconds_ago(app, 30, monkeypatch))
    assert client.submit("/helpers/register", data).status_code == 302
    assert _helpers(db) == 1


def test_a_filled_honeypot_or_an_old_or_missing_token_is_refused(app, client, db, signup, monkeypatch):
    resp = client.submit("/helpers/register", signup(website="http://roskaa.example"))
    assert resp.status_code == 400 and "nopeammin kuin ihminen" in resp.get_data(as_text=True)

    old = _token_made_seconds_ago(app, 5 * 3600, monkeypatch)
    resp = client.submit("/helpers/register", signup(started=old))
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400 and "Lomake oli auki liian kauan." in html
    fresh = re.search(r'name="started" type="hidden" value="([^"]+)"', html).group(1)
    assert fresh != old  # a new token: sending again works
    assert client.submit("/helpers/register", signup(started=fresh)).status_code == 302

    assert client.submit("/helpers/register", signup(started="", email="b@example.fi")).status_code == 400
    assert _helpers(db) == 1


def test_the_honeypot_is_hidden_from_people_and_screen_readers(client, db, org):
    html = client.get("/helpers/register").get_data(as_text=True)
    assert re.search(r'<div class="visually-hidden" aria-hidden="true">\s*<label for="website">', html)
    assert re.search(r'<input[^>]*id="website"[^>]*tabindex="-1"', html)


def test_consent_sms_per_guardian_number_per_day(app, client, db, signup, monkeypatch):
    monkeypatch.setitem(app.config, "CONSENT_SMS_PER_GUARDIAN_PER_DAY", 2)
    for n in range(2):
        resp = client.submit("/helpers/register", signup(email=f"lapsi{n}@example.fi", phone=f"040 555 000{n}"))
        assert resp.status_code == 302
    data = signup(email="lapsi9@example.fi", phone="040 555 0009")
    resp = _fresh_client_from(app, "10.9.9.9").submit("/helpers/register", data)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 429
    assert "liian monta suostumuspyyntöä" in html
    assert_kept(html, data)
    sent = db.session.scalar(sa.select(sa.func.count(SmsMessage.id)).where(SmsMessage.to_phone == "+358507654321"))
    assert sent == 2 and _helpers(db) == 2
    # Another guardian is not limited.
    other = signup(email="lapsi8@example.fi", phone="040 555 0008", guardian_phone="050 111 2222")
    assert client.submit("/helpers/register", other).status_code == 302


def test_consent_sms_per_ip_address_per_day(app, client, db, signup, monkeypatch):
    monkeypatch.setitem(app.config, "CONSENT_SMS_PER_IP_PER_DAY", 1)
    assert client.submit("/helpers/register", signup()).status_code == 302
    second = signup(email="toinen@example.fi", phone="040 555 0001", guardian_phone="050 111 2222")
    assert client.submit("/helpers/register", second).status_code == 429
    assert db.session.scalar(sa.select(sa.func.count(GuardianConsent.id))) == 1
    # An adult's sign-up sends no SMS and is not limited.
    adult = signup(
        email="aikuinen@example.fi", phone="040 555 0002", birth_date="1990-01-01", guardian_name="", guardian_phone=""
    )
    assert client.submit("/helpers/register", adult).status_code == 302


def test_the_guardians_sms_holds_no_free_text_but_a_bounded_first_name(client, db, signup):
    data = signup(first_name="Ainoliinamariaelisabet Katso www.huijaus.example", guardian_name="Voitit! Soita 0700")
    assert client.submit("/helpers/register", data).status_code == 302
    [sms] = db.session.scalars(sa.select(SmsMessage).where(SmsMessage.kind == "guardian_consent"))
    assert sms.body.startswith("Hei! Ainoliinamariaelisabet"[:24])
    assert "Ainoliinamariaelisab " in sms.body  # 20 letters at most
    assert "huijaus" not in sms.body and "Voitit" not in sms.body and "0700" not in sms.body


def test_sms_first_name():
    from app.helpers.consent import sms_first_name

    assert sms_first_name("Anna-Liisa Maria") == "Anna-Liisa"
    assert sms_first_name("  Åke ") == "Åke"
    assert sms_first_name("<b>http://x.example") == "bhttpxexample"
    assert sms_first_name("x" * 80) == "x" * 20
    assert sms_first_name("") == ""


# --- New passwords --------------------------------------------------------------------------------


def test_a_common_password_is_refused_on_sign_up_and_by_the_admin(app, client, db, signup, make):
    from app.auth.passwords import is_common_password

    assert is_common_password("qwertyuiop") and is_common_password(" QwertyUIOP ")
    assert not is_common_password("salasana-123")
    resp = client.submit("/helpers/register", signup(password="qwertyuiop", password_confirm="qwertyuiop"))
    assert resp.status_code == 400
    assert "Tämä salasana on yksi yleisimmin käytetyistä" in resp.get_data(as_text=True)
    assert _helpers(db) == 0

    admin = make.user("admin")
    org = make.organization()
    admin_client = _fresh_client(app)
    admin_client.login(admin.email)
    data = {"name": "Uusi Koordinaattori", "email": "uusi@example.fi", "organizations": [str(org.id)]}
    resp = admin_client.submit("/admin/coordinators/new", {**data, "password": "1234567890"})
    assert resp.status_code in (200, 400)
    assert "yleisimmin käytetyistä" in resp.get_data(as_text=True)
    assert db.session.scalar(sa.select(User).where(User.email == "uusi@example.fi")) is None


# --- Headers and the request size -----------------------------------------------------------------


def test_no_store_on_personal_pages_only(client, make, db, org):
    assert "no-store" not in client.get("/").headers.get("Cache-Control", "")
    assert client.get("/helpers/register").headers["Cache-Control"] == "no-store"
    user = make.coordinator()
    client.login(user.email)
    assert client.get("/coordinator").headers["Cache-Control"] == "no-store"
    assert client.get("/").headers["Cache-Control"] == "no-store"
    assert "no-store" not in client.get("/static/css/app.css").headers.get("Cache-Control", "")


def test_hsts_only_over_https(client, db):
    assert "Strict-Transport-Security" not in client.get("/").headers
    resp = client.get("/", base_url="https://arjenpelastajat.example")
    assert resp.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_images_only_from_self_and_the_tile_server(client, db):
    from app.headers import content_security_policy

    csp = client.get("/").headers["Content-Security-Policy"]
    assert "img-src 'self' data:;" in csp and "https:" not in csp
    tiles = content_security_policy("https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png")
    assert "img-src 'self' data: https://*.tile.openstreetmap.org;" in tiles
    assert "img-src 'self' data: https://kartta.example:8443;" in content_security_policy(
        "https://kartta.example:8443/tiles/{z}/{x}/{y}.png"
    )
    assert "http:" not in content_security_policy("http://plain.example/{z}/{x}/{y}.png")


def test_a_too_large_request_gets_a_friendly_413(app, client, db, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 10_000)
    resp = client.post("/auth/login", data={"email": "x" * 20_000, "password": "y"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 413
    assert "<h1>Liikaa tietoa</h1>" in html


def test_the_daily_purge_deletes_long_dead_sessions_only(app, make, db):
    from app.scheduling.jobs import job_purge

    user = make.coordinator()
    now = utcnow()
    old = now - timedelta(days=40)
    rows = {
        "ended long ago": UserSession(
            id_hash="a" * 64, user_id=user.id, created_at=old, last_seen_at=old, ended_at=old
        ),
        "ended today": UserSession(id_hash="b" * 64, user_id=user.id, created_at=old, last_seen_at=old, ended_at=now),
        "expired long ago": UserSession(id_hash="c" * 64, user_id=user.id, created_at=old, last_seen_at=old),
        "open": UserSession(id_hash="d" * 64, user_id=user.id, created_at=old, last_seen_at=now),
    }
    db.session.add_all(rows.values())
    db.session.commit()
    assert job_purge(now) >= 2
    left = set(db.session.scalars(sa.select(UserSession.id_hash)))
    assert left == {"b" * 64, "d" * 64}


def test_logging_in_works_while_the_limit_storage_is_down(app, make, db):
    """Redis out of reach: the counters are skipped (and logged), nobody gets a 500."""
    from app import create_app
    from config import TestConfig

    Config = type(
        "DownConfig",
        (TestConfig,),
        {
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:1/3",
        },
    )
    down = create_app(Config)
    user = make.coordinator()
    client = FormClient(down.test_client())
    assert client.submit("/auth/login", {"email": user.email, "password": "väärä-salasana"}).status_code == 400
    assert client.login(user.email).status_code == 302
    assert client.get("/coordinator").status_code == 200


def test_the_login_loads_the_user_and_their_helper_profile_in_one_statement(app, make, db, count_queries):
    """load_user reads the user and their profile as two entities of one row: the profile is
    the user's loaded ``helper_profile`` (no second statement), None for a coordinator, and a
    profile already loaded in the session is kept as it is."""
    from app.auth.sessions import load_user, start_session

    helper, coordinator = make.helper(age=19), make.coordinator()
    tokens = {user.id: start_session(user) for user in (helper.user, coordinator)}
    db.session.commit()
    ids = {user.id: f"{user.id}.{user.session_version}.{tokens[user.id]}" for user in (helper.user, coordinator)}
    helper_id, coordinator_id = helper.id, coordinator.id
    db.session.remove()
    with app.test_request_context("/"):
        with count_queries() as q:
            user = load_user(ids[helper.user_id])
            assert user.helper_profile is not None and user.helper_profile.id == helper_id
            assert user.helper_profile.user is user
            other = load_user(ids[coordinator_id])
            assert other.helper_profile is None
        assert q.count == 2
        user.helper_profile.max_distance_km = 3.5  # a change not yet flushed
        again = load_user(ids[helper.user_id])
        assert again is user and again.helper_profile.max_distance_km == 3.5
        db.session.rollback()
