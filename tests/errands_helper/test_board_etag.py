"""The board's ETag: 304 Not Modified while nothing on it changed, the new page as
soon as something did (an errand, an offer, the profile, the language), never
another user's page. Each test runs with the board's cache off and on; the 304 is
answered before the view without loading the user (helper_routes.board_not_modified)
only while the login holds exactly as the view's would."""

from __future__ import annotations

from datetime import timedelta

import psycopg
import pytest
import sqlalchemy as sa

from app.auth.sessions import LAST_SEEN_EVERY, end_all_sessions
from app.errands.lifecycle import offer_errand
from app.models import UserSession, utcnow


@pytest.fixture(params=[0, 60], ids=["uncached", "cached"], autouse=True)
def board_cache_seconds(request, app):
    app.config["BOARD_CACHE_SECONDS"] = request.param
    yield request.param
    app.config["BOARD_CACHE_SECONDS"] = 0


@pytest.fixture()
def helper(make, org):
    return make.helper(org=org, age=19, max_distance_km=10)


def _board(client, etag=None):
    headers = {"If-None-Match": etag} if etag else {}
    return client.get("/board", headers=headers)


def _first(client, user):
    client.login(user.email)
    response = _board(client)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "private, no-cache"
    assert response.headers["ETag"]
    return response


def test_an_unchanged_board_is_not_modified(db, make, client, org, elder, helper):
    errand = make.errand(elder=elder)
    db.session.commit()
    first = _first(client, helper.user)
    assert f'id="errand-{errand.id}"' in first.get_data(as_text=True)
    again = _board(client, first.headers["ETag"])
    assert again.status_code == 304
    assert again.get_data() == b""
    assert again.headers["ETag"] == first.headers["ETag"]
    assert again.headers["Cache-Control"] == "private, no-cache"


def test_a_new_errand_changes_the_board(db, make, client, org, elder, helper):
    make.errand(elder=elder)
    db.session.commit()
    first = _first(client, helper.user)
    new = make.errand(elder=make.elder(org=org))
    db.session.commit()
    response = _board(client, first.headers["ETag"])
    assert response.status_code == 200
    assert f'id="errand-{new.id}"' in response.get_data(as_text=True)
    assert response.headers["ETag"] != first.headers["ETag"]


def test_an_offer_changes_the_board(db, make, client, org, elder, helper):
    errand = make.errand(elder=elder)
    db.session.commit()
    first = _first(client, helper.user)
    offer_errand(errand, [helper.id], by_user=make.coordinator(org=org))
    db.session.commit()
    response = _board(client, first.headers["ETag"])
    assert response.status_code == 200
    assert "errand-offered" in response.get_data(as_text=True)


def test_the_helpers_profile_changes_the_board(db, make, client, org, helper):
    far = make.errand(elder=make.elder(org=org, lat=64.40, lon=27.73))  # ~19 km away
    db.session.commit()
    first = _first(client, helper.user)
    assert f'id="errand-{far.id}"' not in first.get_data(as_text=True)
    helper.max_distance_km = 30
    db.session.commit()
    response = _board(client, first.headers["ETag"])
    assert response.status_code == 200
    assert f'id="errand-{far.id}"' in response.get_data(as_text=True)


def test_a_language_change_changes_the_board(db, make, client, org, elder, helper):
    make.errand(elder=elder)
    db.session.commit()
    first = _first(client, helper.user)
    assert client.submit("/lang", {"lang": "sv", "next": "/board"}, page="/board").status_code == 302
    response = _board(client, first.headers["ETag"])
    assert response.status_code == 200
    assert '<html lang="sv">' in response.get_data(as_text=True)


def test_never_not_modified_across_users(db, make, client, org, elder, helper):
    make.errand(elder=elder)
    twin = make.helper(org=org, age=19, max_distance_km=10)  # the same board
    db.session.commit()
    first = _first(client, helper.user)
    client.logout()
    client.login(twin.user.email)
    response = _board(client, first.headers["ETag"])
    assert response.status_code == 200
    assert response.headers["ETag"] != first.headers["ETag"]


def test_a_page_with_a_message_is_shown_once_and_not_kept(db, make, client, org, elder, helper):
    errand = make.errand(elder=elder)
    db.session.commit()
    first = _first(client, helper.user)
    declined = client.submit(f"/errands/{errand.id}/decline", page="/board")
    assert declined.status_code == 302
    with_message = _board(client, first.headers["ETag"])
    assert with_message.status_code == 200
    assert "ETag" not in with_message.headers
    assert "no-store" in with_message.headers["Cache-Control"]


# --- The 304 answered before the view: the login checked as the view's, no user loaded ---


def test_the_early_304_reads_one_statement_and_no_user(
    db, make, client, org, elder, helper, count_queries, board_cache_seconds, monkeypatch
):
    make.errand(elder=elder)
    db.session.commit()
    first = _first(client, helper.user)
    from app.auth import sessions

    loaded = []
    monkeypatch.setattr(sessions, "_session_user_statement", lambda: loaded.append(1) or 1 / 0)
    with count_queries() as queries:
        again = _board(client, first.headers["ETag"])
    assert again.status_code == 304
    assert again.headers["ETag"] == first.headers["ETag"]
    assert again.headers["Cache-Control"] == "private, no-cache"
    assert loaded == []  # Flask-Login's loader never ran
    # With the cache: the login, the helper's own facts and their profile in one statement.
    assert queries.count == (1 if board_cache_seconds else 2)


def test_the_early_304_on_postgresql_runs_outside_a_transaction(
    db, make, client, org, elder, helper, board_cache_seconds
):
    if db.engine.dialect.name != "postgresql" or not board_cache_seconds:
        pytest.skip("PostgreSQL's BEGIN and COMMIT; without the cache the version is read in the session's transaction")
    make.errand(elder=elder)
    db.session.commit()
    first = _first(client, helper.user)
    states = []

    def seen(conn, cursor, statement, parameters, context, executemany):
        states.append(conn.connection.driver_connection.info.transaction_status)

    sa.event.listen(db.engine, "after_cursor_execute", seen)
    try:
        again = _board(client, first.headers["ETag"])
    finally:
        sa.event.remove(db.engine, "after_cursor_execute", seen)
    assert again.status_code == 304
    # No BEGIN was sent before the statement (so no COMMIT after it): no transaction was open.
    assert states == [psycopg.pq.TransactionStatus.IDLE]


def _deactivate(client, helper) -> None:
    helper.user.active = False


def _end_sessions(client, helper) -> None:
    end_all_sessions(helper.user)  # as a suspension or a password change does


def _log_out_keeping_the_cookie(client, helper) -> None:
    cookie = client.get_cookie("session").value
    client.logout()
    client.set_cookie("session", cookie)  # the old cookie, copied before the logout


@pytest.mark.parametrize(
    "end_login",
    [_deactivate, _end_sessions, _log_out_keeping_the_cookie],
    ids=["deactivated helper", "suspension ends the sessions", "logged out, old cookie kept"],
)
def test_an_ended_login_gets_no_304_and_goes_to_the_login_page(db, client, make, org, elder, helper, end_login):
    make.errand(elder=elder)
    db.session.commit()
    first = _first(client, helper.user)
    end_login(client, helper)
    db.session.commit()
    response = _board(client, first.headers["ETag"])
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]


def test_another_browser_with_the_cookie_gets_no_304(db, client, make, org, elder, helper):
    """Flask-Login's "strong" session protection: another address or User-Agent ends the login."""
    make.errand(elder=elder)
    db.session.commit()
    first = _first(client, helper.user)
    response = client.get("/board", headers={"If-None-Match": first.headers["ETag"], "User-Agent": "Other/1.0"})
    assert response.status_code == 302


def test_a_session_due_its_last_use_note_still_gets_it(db, client, make, org, elder, helper):
    make.errand(elder=elder)
    db.session.commit()
    first = _first(client, helper.user)
    long_ago = utcnow() - LAST_SEEN_EVERY - timedelta(minutes=1)
    db.session.execute(sa.update(UserSession).values(last_seen_at=long_ago))
    db.session.commit()
    response = _board(client, first.headers["ETag"])
    assert response.status_code == 304  # the view's own 304, after the login noted the use
    db.session.expire_all()
    assert db.session.scalar(sa.select(UserSession.last_seen_at)) > long_ago


def test_a_coordinator_gets_no_board(db, client, make, org, elder, helper):
    make.errand(elder=elder)
    db.session.commit()
    first = _first(client, helper.user)
    helper.user.role = "coordinator"
    db.session.commit()
    assert _board(client, first.headers["ETag"]).status_code == 403


def test_the_early_304_takes_the_accounts_language(db, make, client, org, elder, helper, monkeypatch):
    """No language chosen in the session: the account's (sv) decides, before the view as in it."""
    make.errand(elder=elder)
    helper.user.locale = "sv"
    db.session.commit()
    first = _first(client, helper.user)
    assert '<html lang="sv">' in first.get_data(as_text=True)
    from app.auth import sessions

    monkeypatch.setattr(sessions, "_session_user_statement", lambda: 1 / 0)  # the view is not reached
    again = _board(client, first.headers["ETag"])
    assert again.status_code == 304
    assert again.headers["ETag"] == first.headers["ETag"]
