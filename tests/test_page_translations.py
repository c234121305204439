"""A page's texts (app.i18n._page_translations): the gettext family bound to the reader's
translations once per page says the same as Flask-Babel's, with the same escaping and filling."""

from __future__ import annotations

import pytest
from flask import render_template_string
from flask_babel import force_locale

PAGE = (
    '{{ _("No answer from %(names)s", names=names) }}|'
    '{{ ngettext("%(num)s offer waiting for an answer", "%(num)s offers waiting for an answer", 2) }}|'
    '{{ pgettext("done at", "Done") }}|{% trans %}Everyday rescuers{% endtrans %}|{{ _("Not in the catalog") }}'
)


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("sv", "Inget svar från &lt;b&gt;Aino&lt;/b&gt;|2 erbjudanden väntar på svar|Utfört|"),
        ("en", "No answer from &lt;b&gt;Aino&lt;/b&gt;|2 offers waiting for an answer|Done|"),
    ],
)
def test_a_page_says_its_texts_in_the_readers_language_escaped(app, language, expected):
    with app.test_request_context("/"), force_locale(language):
        page = render_template_string(PAGE, names="<b>Aino</b>")
        # The same as Flask-Babel's own callables (a template without the page's context).
        plain = app.jinja_env.from_string(PAGE).render(names="<b>Aino</b>")
    assert page.startswith(expected) and page.endswith("|Not in the catalog")
    assert page == plain


def test_each_page_reads_its_own_language(app):
    with app.test_request_context("/"):
        with force_locale("sv"):
            swedish = render_template_string(PAGE, names="x")
        with force_locale("fi"):
            finnish = render_template_string(PAGE, names="x")
    assert swedish.startswith("Inget svar från x") and finnish.startswith("Ei vastausta: x")
