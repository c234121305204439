"""What the coordinator's errand pages share: who may open them, finding a
visible errand or request, and an error code as a message."""

from __future__ import annotations

from flask import abort, g, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.errands import agenda
from app.errands.error_texts import COORDINATOR_ERRORS
from app.i18n import current_language
from app.models import Errand, HelpRequest
from app.policy import coordinator_may_see_errand, may_see_org

COORDINATORS = ("coordinator", "admin")


def error_text(code: str) -> str:
    """An ErrandError (or request error) code as the coordinator reads it."""
    message = COORDINATOR_ERRORS.get(code)
    return str(message) if message is not None else _("That could not be done (%(code)s).", code=code)


def visible_errand(errand_id: int) -> Errand:
    errand = agenda.load_errand(errand_id)
    if errand is None:
        abort(404)
    if not coordinator_may_see_errand(current_user, errand):
        abort(403)
    return errand


def visible_errand_head(errand_id: int) -> agenda.ErrandHead:
    """:func:`visible_errand`'s check on the errand's head (:func:`app.errands.agenda.errand_head`)."""
    head = agenda.errand_head(errand_id, language=current_language())
    if head is None:
        abort(404)
    if not coordinator_may_see_errand(current_user, head):
        abort(403)
    return head


def visible_request(request_id: int) -> HelpRequest:
    req = agenda.load_request(request_id)
    if req is None:
        abort(404)
    if not may_see_org(current_user, req.organization_id):
        abort(403)
    return req


def errand_href(errand_id: int) -> str:
    """The errand page's address. ``url_for`` runs once per request and the id is
    filled in after: the day and week pages link a hundred errands."""
    prefix = g.get("errand_href")
    if prefix is None:
        prefix = g.errand_href = url_for("errands.errand_detail", errand_id=0).removesuffix("0")
    return f"{prefix}{errand_id}"


def back_to_errand(errand_id: int):
    return redirect(url_for("errands.errand_detail", errand_id=errand_id))
