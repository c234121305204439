"""The shared layout's kept parts (app.ui.kept_layout): built once per worker for each
role, language and URL root, the HTML a reader gets is the same as a fresh render, and
what belongs to the reader or the page (CSRF token, the page's own path) stays per request."""

from __future__ import annotations

import re

import pytest

from app import ui

#: Every CSRF field's token (the layout's own fields and WTForms' ``id="csrf_token" name=… type=… value=…``):
#: a token is signed with the second it was made in, so two renders may differ there only.
CSRF = re.compile(r'(name="csrf_token"[^>]*? value=")[^"]*"')
LANGUAGES = ("fi", "sv", "en")


def _page(client, path: str, language: str, **kwargs) -> str:
    with client.session_transaction() as session:
        session["lang"] = language
    response = client.get(path, **kwargs)
    assert response.status_code == 200, path
    return CSRF.sub(r'\1-"', response.get_data(as_text=True))


@pytest.fixture()
def fresh_layout(app, monkeypatch):
    app.extensions.pop("kept_layout", None)
    yield
    app.extensions.pop("kept_layout", None)


def _kept_and_fresh(client, path, language, monkeypatch, **kwargs) -> tuple[str, str, str]:
    monkeypatch.setattr(ui, "KEEP_LAYOUT", False)
    fresh = _page(client, path, language, **kwargs)
    monkeypatch.setattr(ui, "KEEP_LAYOUT", True)
    first = _page(client, path, language, **kwargs)
    kept = _page(client, path, language, **kwargs)
    return fresh, first, kept


@pytest.mark.parametrize("role", [None, "helper", "coordinator", "admin"])
def test_the_kept_layout_is_the_fresh_layout_for_every_role_and_language(
    client, make, app, fresh_layout, monkeypatch, role
):
    paths = {None: ["/", "/auth/login"], "helper": ["/helper"], "coordinator": ["/coordinator"]}
    paths["admin"] = paths["coordinator"]
    if role is not None:
        user = make.helper().user if role == "helper" else make.user(role)
        client.login(user.email)
    for language in LANGUAGES:
        for path in paths[role]:
            fresh, first, kept = _kept_and_fresh(client, path, language, monkeypatch)
            assert first == fresh and kept == fresh, (role, language, path)
    assert app.extensions["kept_layout"]  # the parts were kept


def test_each_role_and_language_gets_its_own_menu(client, make, fresh_layout):
    coordinator = make.coordinator()
    helper = make.helper()
    client.login(coordinator.email)
    coordinator_page = _page(client, "/coordinator", "fi")
    client.logout()
    client.login(helper.user.email)
    helper_fi = _page(client, "/helper", "fi")
    helper_sv = _page(client, "/helper", "sv")
    assert '<a href="/coordinator">' in coordinator_page and '<a href="/coordinator">' not in helper_fi
    assert '<a href="/helper">' in helper_fi and '<a href="/helper">' not in coordinator_page
    assert 'lang="fi"\n                aria-current="true"' in helper_fi
    assert 'lang="sv"\n                aria-current="true"' in helper_sv
    assert "Kirjaudu ulos" in helper_fi and "Logga ut" in helper_sv


def test_the_layout_follows_the_page_and_the_url_root(client, make, fresh_layout, monkeypatch):
    client.login(make.coordinator().email)
    day = _page(client, "/coordinator", "fi")
    home = _page(client, "/?x=1", "fi")
    assert 'name="next" value="/coordinator"' in day and 'name="next" value="/?x=1"' in home
    # Under a URL prefix the links carry it; the unprefixed links kept before are not used.
    fresh, first, kept = _kept_and_fresh(client, "/coordinator", "fi", monkeypatch, base_url="http://localhost/arki")
    assert first == fresh and kept == fresh
    assert 'href="/arki/static/css/app.css"' in kept and 'action="/arki/auth/logout"' in kept
    assert 'href="/static/css/app.css"' in _page(client, "/coordinator", "fi")


def test_the_kept_parts_are_bounded(client, make, app, fresh_layout, monkeypatch):
    monkeypatch.setattr(ui, "KEPT_LAYOUT_MAX", 3)
    for host in ("a.example", "b.example", "c.example"):
        _page(client, "/", "fi", base_url=f"http://{host}")
        assert len(app.extensions["kept_layout"]) <= 3


def test_the_layout_leaves_the_pages_own_names_alone(app, client, make):
    """base.html sets a name of its own only (kept_layout_html): a page's ``token`` or ``L``,
    given or set by the page, is the page's in its blocks."""
    from flask import render_template_string

    page = '{% extends "base.html" %}{% set L = "page-L" %}{% block content %}[{{ L }}|{{ token }}]{% endblock %}'
    with app.test_request_context("/"):
        html = render_template_string(page, token="page-token")
    assert "[page-L|page-token]" in html
