"""One errand: its ranked candidates and history; recording a no-show; cancelling."""

from __future__ import annotations

from flask import abort, flash, render_template
from flask_babel import gettext as _
from flask_login import current_user

from app.errands import actions
from app.errands.blueprint import bp
from app.errands.coordinator.common import COORDINATORS, back_to_errand, error_text, visible_errand
from app.errands.forms import ActionForm, CancelForm, OfferTopForm
from app.errands.matching_service import CandidateList
from app.errands.reasons import explain
from app.extensions import db
from app.i18n import current_language
from app.models import Errand, User, utcnow
from app.security import roles_required


def _candidate_rows(errand: Errand, candidates: CandidateList) -> tuple[list[dict], list[dict]]:
    task = errand.task_type.name(current_language())
    person = errand.elder.first_name
    offered = {o.helper_id: o.status for o in errand.offers}
    said: dict[tuple, str] = {}  # the same reason (task, time, language...) is worded once per page

    def words(items) -> list[str]:
        texts = []
        for item in items:
            key = (item.code, item.params)
            if key not in said:
                said[key] = explain(item, person=person, task=task, spec=candidates.spec)
            texts.append(said[key])
        return texts

    # Each translated once per page: the placeholder given back as itself makes the sentence a pattern.
    years, points = _("%(age)s years", age="%(age)s"), _("%(points)s points", points="%(points)s")
    ranked = [
        {
            "rank": i,
            "helper_id": r.helper_id,
            "person": (helper := candidates.people.get(r.helper_id)),
            "age_text": years % {"age": helper.age} if helper else "",
            "points_text": points % {"points": int(round(r.score))},
            "score": r.score,
            "reasons": [(text, item.points) for text, item in zip(words(r.reasons), r.reasons, strict=True)],
            "offer_status": offered.get(r.helper_id),
        }
        for i, r in enumerate(candidates.ranked, start=1)
    ]
    excluded = [
        {"helper_id": x.helper_id, "person": candidates.people.get(x.helper_id), "reasons": words(x.exclusions)}
        for x in candidates.excluded
    ]
    return ranked, excluded


def render_errand(errand: Errand, *, offer_form=None, cancel_form=None, status: int = 200):
    candidates = actions.candidates_for(errand)
    ranked, excluded = _candidate_rows(errand, candidates) if candidates is not None else ([], [])
    taken_by = db.session.get(User, errand.request.taken_by_id) if errand.request.taken_by_id else None
    return (
        render_template(
            "errands/coordinator/errand.html",
            errand=errand,
            req=errand.request,
            taken_by=taken_by,
            candidates=candidates,
            ranked=ranked,
            excluded=excluded,
            offer_form=offer_form or OfferTopForm(),
            action_form=ActionForm(),
            cancel_form=cancel_form or CancelForm(),
            can_cancel=actions.may_cancel(errand),
            can_mark_no_show=errand.state == "assigned" and errand.starts_at <= utcnow(),
        ),
        status,
    )


@bp.route("/errands/<int:errand_id>")
@roles_required(*COORDINATORS)
def errand_detail(errand_id: int):
    return render_errand(visible_errand(errand_id))


@bp.route("/errands/<int:errand_id>/no-show", methods=["POST"])
@roles_required(*COORDINATORS)
def errand_no_show(errand_id: int):
    errand = visible_errand(errand_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    outcome = actions.no_show(errand, by_user=current_user)
    if outcome.ok:
        flash(_("Recorded: the helper did not come."), "success")
    else:
        flash(error_text(outcome.code), "error")
    return back_to_errand(errand_id)


@bp.route("/errands/<int:errand_id>/cancel", methods=["POST"])
@roles_required(*COORDINATORS)
def errand_cancel(errand_id: int):
    errand = visible_errand(errand_id)
    form = CancelForm()
    if not form.validate_on_submit():
        return render_errand(errand, cancel_form=form, status=422)
    outcome = actions.cancel(errand, by_user=current_user, by_kind=form.by_kind.data, reason=form.reason.data)
    if outcome.ok:
        flash(_("The errand was cancelled."), "success")
    else:
        flash(error_text(outcome.code), "error")
    return back_to_errand(errand_id)
