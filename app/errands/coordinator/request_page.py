"""A whole request (all its dated errands) and cancelling it."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import ngettext
from flask_login import current_user

from app.errands import actions
from app.errands.blueprint import bp
from app.errands.coordinator.common import COORDINATORS, error_text, visible_request
from app.errands.forms import CancelForm
from app.extensions import db
from app.models import HelpRequest, User, utcnow
from app.security import roles_required


def _render_request(req: HelpRequest, *, cancel_form=None, status: int = 200):
    taken_by = db.session.get(User, req.taken_by_id) if req.taken_by_id else None
    return (
        render_template(
            "errands/coordinator/request.html",
            req=req,
            taken_by=taken_by,
            cancel_form=cancel_form or CancelForm(),
            now=utcnow(),
        ),
        status,
    )


@bp.route("/requests/<int:request_id>")
@roles_required(*COORDINATORS)
def request_detail(request_id: int):
    return _render_request(visible_request(request_id))


@bp.route("/requests/<int:request_id>/cancel", methods=["POST"])
@roles_required(*COORDINATORS)
def request_cancel(request_id: int):
    req = visible_request(request_id)
    form = CancelForm()
    if not form.validate_on_submit():
        return _render_request(req, cancel_form=form, status=422)
    outcome = actions.cancel_whole_request(
        req.id, by_user=current_user, by_kind=form.by_kind.data, reason=form.reason.data
    )
    if not outcome.ok:
        flash(error_text(outcome.code), "error")
    else:
        flash(
            ngettext(
                "The request was cancelled, with %(num)s coming errand.",
                "The request was cancelled, with %(num)s coming errands.",
                outcome.cancelled,
            ),
            "success",
        )
    return redirect(url_for("errands.request_detail", request_id=request_id))
