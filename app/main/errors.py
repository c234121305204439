"""Friendly error pages in the user's language."""

from flask import render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError


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

    @app.errorhandler(500)
    def server_error(_e):
        from app.extensions import db

        db.session.rollback()
        return page(500, _("Something went wrong"), _("The error was logged. Please try again in a moment."))
