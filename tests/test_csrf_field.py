"""app.ui.csrf_field: the request's CSRF field without making a form, the same HTML as a
FlaskForm's ``form.csrf_token()`` (the errand page renders it once for all its forms)."""

from __future__ import annotations

import pytest
from markupsafe import Markup

from app.errands.forms import ActionForm
from app.ui import csrf_field


@pytest.mark.parametrize("enabled", [True, False])
def test_the_field_is_the_forms_own(app, monkeypatch, enabled):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", enabled)
    with app.test_request_context("/errands/1"):
        form = ActionForm()
        expected = form.csrf_token() if hasattr(form, "csrf_token") else Markup()
        assert csrf_field() == expected
        assert isinstance(csrf_field(), Markup)
        assert (expected != "") is enabled


def test_a_new_session_gets_its_token_as_a_form_would_give_it(app, monkeypatch):
    from flask import session

    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    with app.test_request_context("/errands/1"):
        assert "csrf_token" not in session
        field = csrf_field()
        assert "csrf_token" in session and session.modified
        assert field == ActionForm().csrf_token()
