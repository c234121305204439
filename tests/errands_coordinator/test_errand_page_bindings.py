"""The errand page's words, dates and times bound to the reader once per page (app.i18n: the
page's gettext family, the language and time zone read in one look-up) make the same HTML as
Flask-Babel's own callables and look-ups, in Finnish, Swedish and English; and the language
and time zone read that way are Flask-Babel's, also inside and after ``force_locale``."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask_babel import force_locale, get_locale, get_timezone

from app import i18n, ui
from app.errands.coordinator import errand_page
from app.models import ErrandEvent, utcnow
from tests.factories import local_today

CSRF = re.compile(r'(name="csrf_token" (?:type="hidden" )?value=")[^"]*"')
LANGUAGES = ("fi", "sv", "en")


def _fresh_page(app, client, url: str, language: str) -> str:
    """The page rendered with nothing kept from an earlier request (layout, candidates, form fields)."""
    errand_page._WORDED.clear()
    app.extensions.pop("coordinator_form_fields", None)
    with client.session_transaction() as session:
        session["lang"] = language
    response = client.get(url)
    assert response.status_code == 200
    return CSRF.sub(r'\1-"', response.get_data(as_text=True))


def _with_flask_babels_own(app, monkeypatch) -> None:
    """Flask-Babel's callables (no page-bound gettext family) and its get_locale/get_timezone."""
    processors = app.template_context_processors[None]
    monkeypatch.setitem(
        app.template_context_processors, None, [p for p in processors if p is not i18n._page_translations]
    )
    monkeypatch.setattr(i18n, "_babel_state", lambda: None)


@pytest.fixture()
def errand_url(db, make, org, elder, coordinator):
    """An errand with ranked and excluded candidates, an answered offer, an active helper, a
    history with notes; the older person's earlier errand done by a helper, with a report."""
    errand = make.request(elder, day=local_today() + timedelta(days=2), hour=12, helpers_needed=2).errands[0]
    for i in range(3):
        make.helper(org=org, first_name=f"Apu{i}", last_name="Auttaja", age=20 + i, lat=64.2263 + i * 0.01)
    make.helper(org=org, first_name="Kauko", lat=64.335, lon=27.73, max_distance_km=10)  # too far
    declined = make.helper(org=org, first_name="Oona", last_name="Offeroitu", age=30)
    offer = make.offer(errand, declined, status="declined")
    offer.rank, offer.responded_at, offer.responded_via = 2, utcnow(), "sms"
    make.assignment(errand, make.helper(org=org, first_name="Tuttu", last_name="Auttaja"))
    db.session.add(ErrandEvent(errand_id=errand.id, from_state="open", to_state="offered", actor_kind="system"))
    db.session.commit()
    return f"/errands/{errand.id}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_errand_page_is_the_same_as_with_flask_babels_own_callables(app, coord, errand_url, monkeypatch, language):
    monkeypatch.setattr(ui, "KEEP_LAYOUT", False)
    bound = _fresh_page(app, coord, errand_url, language)
    _with_flask_babels_own(app, monkeypatch)
    own = _fresh_page(app, coord, errand_url, language)
    assert bound == own
    assert f'<html lang="{language}">' in bound and 'class="candidate card"' in bound
    assert 'class="history"' in bound and "<table>" in bound  # the offers' table


def test_a_done_errand_with_its_report_is_the_same_as_with_flask_babels_own_callables(
    app, coord, make, org, elder, monkeypatch
):
    start = utcnow() - timedelta(days=3)
    errand = make.errand(elder, start, state="done")
    helper = make.helper(org=org, first_name="Tuttu")
    make.assignment(errand, helper, status="done", assigned_at=start - timedelta(days=1), done_at=start)
    monkeypatch.setattr(ui, "KEEP_LAYOUT", False)
    pages = {language: _fresh_page(app, coord, f"/errands/{errand.id}", language) for language in LANGUAGES}
    _with_flask_babels_own(app, monkeypatch)
    for language in LANGUAGES:
        assert pages[language] == _fresh_page(app, coord, f"/errands/{errand.id}", language), language


def test_the_readers_language_and_zone_are_flask_babels_also_when_forced(app):
    def both() -> tuple[str, str]:
        return i18n.current_language(), i18n._reader()[1]

    def babels() -> tuple[str, str]:
        return str(get_locale()), str(get_timezone())

    with app.test_request_context("/"):
        with force_locale("sv"):  # before the request's own look-up
            assert both() == babels() == ("sv", app.config["DISPLAY_TIMEZONE"])
        assert both() == babels() and both()[0] == app.config["BABEL_DEFAULT_LOCALE"]
        with force_locale("en"):  # after it
            assert both() == babels() and both()[0] == "en"
        assert both() == babels() and both()[0] == app.config["BABEL_DEFAULT_LOCALE"]


def test_every_form_of_the_errand_page_carries_the_requests_csrf_field(app, coord, errand_url):
    """One CSRF field rendered per request for all the page's forms: each form has it, as
    WTForms renders a form's (the layout's forms write the same token), and it is accepted."""
    html = coord.get(errand_url).get_data(as_text=True)
    forms = re.findall(r'<form [^>]*method="post".*?</form>', html, flags=re.S)
    assert len(forms) >= 5  # language, logout, offer to the top, offer to the selected, cancel
    tokens = [re.findall(r'name="csrf_token"(?: type="hidden")? value="([^"]*)"', form) for form in forms]
    assert all(len(found) == 1 for found in tokens)
    assert len({found[0] for found in tokens}) == 1
    offer_top = next(form for form in forms if 'class="offer-top"' in form)
    assert '<input id="csrf_token" name="csrf_token" type="hidden" value="' in offer_top  # WTForms' rendering
    response = coord.post(
        f"{errand_url}/offer-top", data={"count": "1", "csrf_token": tokens[forms.index(offer_top)][0]}
    )
    assert response.status_code == 302
