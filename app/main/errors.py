"""Friendly error pages in the user's language."""

import contextlib
import logging

import sqlalchemy as sa
from flask import g, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError

from app.extensions import db

log = logging.getLogger(__name__)

#: How long a client is asked to wait after a database outage (seconds).
RETRY_AFTER_SECONDS = 30


def is_database_outage(exc: BaseException) -> bool:
    """The database could not be reached or the connection broke: not the request's fault.
    Errors in what a statement asked (a constraint, a value out of range) are not outages."""
    if isinstance(exc, sa.exc.TimeoutError):  # no connection free in the pool
        return True
    if not isinstance(exc, sa.exc.DBAPIError):
        return False
    return exc.connection_invalidated or isinstance(exc, (sa.exc.OperationalError, sa.exc.InterfaceError))


def register(app) -> None:
    def page(code: int, title: str, text: str):
        if request.path.startswith("/sms/") or request.accept_mimetypes.best == "application/json":
            return {"error": title}, code
        return render_template("errors/error.html", code=code, title=title, text=text), code

    @app.errorhandler(403)
    def forbidden(_e):
        return page(403, _("No access"), _("You do not have access to this page."))

    @app.errorhandler(404)
    def not_found(_e):
        return page(404, _("Page not found"), _("The page you looked for does not exist."))

    @app.errorhandler(413)
    def too_large(_e):
        return page(
            413,
            _("Too much data"),
            _("What you sent was larger than this service accepts. Go back, shorten it and send it again."),
        )

    @app.errorhandler(429)
    def too_many(_e):
        return page(429, _("Too many attempts"), _("Please wait a while and try again."))

    @app.errorhandler(CSRFError)
    def csrf_error(_e):
        return page(
            400,
            _("The form had expired"),
            _("For your safety the form expired. Go back, reload the page and send it again."),
        )

    @app.errorhandler(sa.exc.DBAPIError)
    @app.errorhandler(sa.exc.TimeoutError)
    def database_unavailable(exc):
        """503 when the database is out of reach, also when the login's user loader met it;
        any other database error stays a 500."""
        if not is_database_outage(exc):
            raise exc
        log.error("Database unavailable on %s %s", request.method, request.path, exc_info=exc)
        from flask_login import AnonymousUserMixin

        with contextlib.suppress(sa.exc.SQLAlchemyError):
            db.session.rollback()
        # The page itself must not need the database: no user is loaded for it.
        g._login_user = AnonymousUserMixin()
        body, code = page(
            503,
            _("The service is taking a short break"),
            _(
                "We cannot reach our database just now. Nothing is wrong on your side. "
                "Please try again in a few minutes."
            ),
        )
        return body, code, {"Retry-After": str(RETRY_AFTER_SECONDS)}

    @app.errorhandler(500)
    def server_error(_e):

        db.session.rollback()
        return page(500, _("Something went wrong"), _("The error was logged. Please try again in a moment."))
