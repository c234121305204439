"""The board's cards come from fragments kept per errand and language
(app/errands/helper_routes.py ``_card_pieces``), with each helper's own parts (distance,
answer-by time, form token) filled in: every card equals the card template rendered
afresh with the same values, in Finnish, Swedish and English, for every helper who
sees it; and the board's candidates made once per day (``like``) equal fresh ones."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from flask import url_for
from markupsafe import escape

from app.errands import helper_routes
from app.errands.eligibility import candidate_from_profile
from app.errands.helper_routes import _card, _card_html, _card_urls, _CardErrand, _cards, errand_km
from app.errands.helper_views import board_page
from app.i18n import local_formatter
from app.models import utcnow
from tests.factories import in_days


@pytest.fixture(autouse=True)
def _fresh_fragments():
    helper_routes._card_pieces.cache_clear()
    yield
    helper_routes._card_pieces.cache_clear()


def _world(make, db, org, elder):
    near = make.helper(org=org, age=19, max_distance_km=10)
    # Farther away, and offered one of the errands: other distances, a badge and an answer-by time.
    other = make.helper(org=org, age=24, max_distance_km=30, lat=64.30, lon=27.80)
    # No place of their own: cards without a distance.
    nowhere = make.helper(org=org, age=20, lat=None, lon=None)
    errands = [
        make.errand(elder=elder, starts_at=in_days(1, 10)),
        make.errand(elder=elder, starts_at=in_days(2, 12), helpers_needed=2),
        make.errand(elder=make.elder(org=org), starts_at=in_days(3, 9)),
    ]
    db.session.commit()
    make.offer(errands[0], other, expires_at=in_days(1, 8))
    db.session.commit()
    return (near, other, nowhere), errands


def _expected(items, language: str, token: str) -> list[str]:
    """Each card rendered afresh from the card template, with the values the page shows."""
    day, clock, moment = local_formatter("date", "EEEE d.M.yyyy"), local_formatter("time"), local_formatter("datetime")
    return [
        str(
            _card_html(
                item,
                f"{day(item.starts_at)}, {clock(item.starts_at)}–{clock(item.ends_at)}",
                errand_km(item.distance_km, language),
                moment(item.offer_expires_at),
                language,
                _card_urls(),
                token,
            )
        )
        for item in items
    ]


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
def test_kept_cards_equal_fresh_renders(app, db, make, org, elder, language):
    (near, other, nowhere), errands = _world(make, db, org, elder)
    now = utcnow()
    token = "t&<ok>\"'"  # any escaping shows
    for user_helper in (near, other, nowhere, near):  # the later ones read fragments kept already
        with app.test_request_context("/board"):
            user_helper.user.locale = language
            from flask_login import login_user

            login_user(user_helper.user)
            items, total = board_page(user_helper, now, language, 16)
            assert total == len(items) == 3
            fresh = _expected(items, language, token)
            kept = [str(c) for c in _cards(items, language, _card_urls(), token)]
            assert kept == fresh
            by_id = {i.errand_id: i for i in items}
            assert (by_id[errands[0].id].distance_km is None) is (user_helper is nowhere)
            assert by_id[errands[0].id].offered is (user_helper is other)
    assert helper_routes._card_pieces.cache_info().hits > 0


def test_a_kept_fragment_keeps_no_helpers_own_parts(app, db, make, org, elder):
    """A card's slots take any distance, time and token: nothing of the first helper's stays."""
    errand = _CardErrand(7, "Kauppa", "Kajaani", 1, True)
    urls = (("accept", ("/errands/", "/accept")), ("decline", ("/errands/", "/decline")))
    with app.test_request_context("/board"):
        first = _card(errand, "ma 1.1.2035, 10.00–11.00", "1,5 km", "su 31.12.2034 8.00", "fi", urls, escape("a"))
        second = _card(errand, "ma 1.1.2035, 10.00–11.00", "9,5 km", "su 31.12.2034 9.00", "fi", urls, escape("b"))
        fresh = _card_html(errand, "ma 1.1.2035, 10.00–11.00", "9,5 km", "su 31.12.2034 9.00", "fi", dict(urls), "b")
    assert helper_routes._card_pieces.cache_info().hits == 1
    assert str(second) == str(fresh)
    assert "1,5 km" in first and "1,5 km" not in second and "8.00" not in second
    assert 'value="b"' in second and 'value="a"' not in second


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
def test_the_page_shows_the_fresh_cards(db, make, client, org, elder, language):
    helpers, _errands = _world(make, db, org, elder)
    for helper in helpers:
        helper.user.locale = language
        db.session.commit()
        client.login(helper.user.email)
        html = client.get("/board").get_data(as_text=True)
        client.logout()
        token = re.search(r'<input name="csrf_token" type="hidden" value="([^"]+)">', html).group(1)
        with client.application.test_request_context("/board"):
            from flask_login import login_user

            login_user(helper.user)
            items, _total = board_page(helper, utcnow(), language, 16)
            fresh = _expected(items, language, token)
        assert f'<html lang="{language}">' in html
        assert "".join(fresh) in html


def test_candidates_made_like_another_days_equal_fresh_ones(db, make, org):
    """The board makes a helper's candidate once and gives it back for a day that changes
    nothing of it (turning 18, a break ending do): always equal to one made afresh."""
    today = date.today()
    helpers = [
        make.helper(org=org, age=19),
        make.helper(org=org, age=17, consent=False),
        make.helper(org=org, age=17, consent=True),
        make.helper(org=org, age=24),
    ]
    helpers[1].birth_date = date(today.year - 18, 1, 1) + timedelta(days=(today - date(today.year, 1, 1)).days + 3)
    helpers[3].paused_until = today + timedelta(days=2)
    db.session.commit()
    busy = ((utcnow() + timedelta(hours=1), utcnow() + timedelta(hours=2)),)
    for helper in helpers:
        for intervals in ((), busy):
            like = None
            for offset in range(8):
                on = today + timedelta(days=offset)
                made = candidate_from_profile(helper, on=on, busy_intervals=intervals, like=like)
                assert made == candidate_from_profile(helper, on=on, busy_intervals=intervals)
                like = made


def test_card_urls_are_kept_per_url_root_and_equal_url_for(app):
    """The cards' form URLs are made once per URL root: under a prefix they carry it, and the
    unprefixed ones kept before are not used there."""
    for root in ("", "/apu", "", "/apu"):
        with app.test_request_context("/board", base_url=f"http://localhost{root}/"):
            urls = _card_urls()
            for name, endpoint in (("accept", "errands.helper_accept"), ("decline", "errands.helper_decline")):
                before, after = urls[name]
                assert f"{before}42{after}" == url_for(endpoint, errand_id=42)
                assert before.startswith(f"{root}/")


def test_braces_in_a_card_are_its_own_text(app):
    """Braces in a kept card's texts, time, distance, answer-by time or token come out as
    they are, as in the fresh render (a fill with str.format was tried: bench notes)."""
    errand = _CardErrand(8, "Kauppa {distance} {0}", "Kylä {}{{", 2, False)
    urls = (("accept", ("/errands/", "/accept")), ("decline", ("/errands/", "/decline")))
    with app.test_request_context("/board"):
        for distance, answer_by in (("{token} km", ""), ("", "{answer_by}"), ("1 } km", "{ 8.00")):
            kept = _card(errand, "ma {1.1.2035}", distance, answer_by, "fi", urls, escape("{x}<"))
            fresh = _card_html(errand, "ma {1.1.2035}", distance, answer_by, "fi", dict(urls), "{x}<")
            assert str(kept) == str(fresh)
