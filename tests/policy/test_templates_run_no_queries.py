"""Templates run no queries: every page a role may open is rendered while a
``before_cursor_execute`` hook counts the SQL statements issued between the
start and the end of the template's rendering. The view passes the data; a
lazy load, a relationship or a querying helper called from a template fails here."""

from __future__ import annotations

import contextlib

import sqlalchemy as sa
from flask import before_render_template, template_rendered

from app.extensions import db as _db
from app.models import Organization
from tests.policy.test_authorization_matrix import MATRIX, ROLES, _signed_in, _url, _world, allowed


@contextlib.contextmanager
def statements_while_rendering(app):
    """Yields a list that collects (template, statement) for SQL run while a template renders."""
    seen: list[tuple[str, str]] = []
    rendering: list[str] = []

    def starts(sender, template, context, **extra):
        rendering.append(template.name)

    def ends(sender, template, context, **extra):
        rendering.pop()

    def counts(conn, cursor, statement, parameters, context, executemany):
        if rendering:
            seen.append((rendering[-1], " ".join(statement.split())[:160]))

    before_render_template.connect(starts, app)
    template_rendered.connect(ends, app)
    sa.event.listen(_db.engine, "before_cursor_execute", counts)
    try:
        yield seen
    finally:
        sa.event.remove(_db.engine, "before_cursor_execute", counts)
        template_rendered.disconnect(ends, app)
        before_render_template.disconnect(starts, app)


def test_no_page_queries_while_its_template_renders(app, db, make):
    world = _world(db, make)
    objects, users = world["objects"], world["users"]
    own = db.session.get(Organization, objects["org_id"]["own"])
    # Minors (their consent is read for their status), one waiting for approval.
    make.helper(org=own, age=16)
    make.helper(org=own, age=15, status="pending")
    db.session.commit()
    rules = sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint))
    problems: dict[str, list[str]] = {}
    pages = 0
    for role in ROLES:
        client, _token = _signed_in(app, role, users)
        for rule in rules:
            entry = MATRIX.get(rule.endpoint)
            if entry is None or "GET" not in rule.methods or rule.endpoint in ("auth.logout", "static"):
                continue
            if not allowed(entry, role, "own"):
                continue
            url = _url(rule, "own", objects)
            with statements_while_rendering(app) as seen:
                response = client.get(url)
            if response.mimetype != "text/html":
                continue
            pages += 1
            for template, statement in seen:
                problems.setdefault(f"{role} {rule.endpoint} ({template})", []).append(statement)
    assert pages > 40
    report = "\n".join(f"{page}: {len(s)} statements: " + " | ".join(s) for page, s in sorted(problems.items()))
    assert not problems, report
