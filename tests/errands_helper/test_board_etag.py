"""The board's ETag: 304 Not Modified while nothing on it changed, the new page as
soon as something did (an errand, an offer, the profile, the language), never
another user's page."""

from __future__ import annotations

import pytest

from app.errands.lifecycle import offer_errand


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
