"""Offering an errand (to the best candidates or to the chosen ones) and
assigning one helper directly. The rules are in :mod:`app.errands.actions`."""

from __future__ import annotations

from flask import abort, flash, request
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from app.errands.actions import Outcome, assign_directly, offer_best, offer_chosen
from app.errands.blueprint import bp
from app.errands.coordinator.common import COORDINATORS, back_to_errand, error_text, visible_errand
from app.errands.coordinator.errand_page import render_errand
from app.errands.forms import ActionForm, OfferTopForm
from app.inputs import to_int
from app.security import roles_required


def _flash_offers(outcome: Outcome) -> None:
    if outcome.left_out:
        flash(_("Some of the chosen helpers cannot take this errand now and were left out."), "warning")
    if not outcome.ok:
        flash(error_text(outcome.code), "error")
    elif outcome.offers:
        flash(
            ngettext(
                "Offered to %(num)s helper by SMS and on their board: %(names)s",
                "Offered to %(num)s helpers by SMS and on their board: %(names)s",
                len(outcome.offers),
                names=", ".join(outcome.names),
            ),
            "success",
        )
    elif outcome.asked:
        flash(_("Nobody could be offered the errand: the chosen helpers have had it offered already."), "warning")


@bp.route("/errands/<int:errand_id>/offer-top", methods=["POST"])
@roles_required(*COORDINATORS)
def offer_top(errand_id: int):
    errand = visible_errand(errand_id)
    form = OfferTopForm()
    if not form.validate_on_submit():
        return render_errand(errand, offer_form=form, status=422)
    outcome = offer_best(errand, form.count.data, by_user=current_user)
    if outcome.code == "no_candidates":
        flash(_("There are no more candidates to offer this errand to."), "warning")
    else:
        _flash_offers(outcome)
    return back_to_errand(errand.id)


@bp.route("/errands/<int:errand_id>/offer", methods=["POST"])
@roles_required(*COORDINATORS)
def offer_selected(errand_id: int):
    errand = visible_errand(errand_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    wanted = [h for h in (to_int(v) for v in request.form.getlist("helper_id")) if h is not None]
    _flash_offers(offer_chosen(errand, wanted, by_user=current_user))
    return back_to_errand(errand.id)


@bp.route("/errands/<int:errand_id>/assign", methods=["POST"])
@roles_required(*COORDINATORS)
def assign_direct(errand_id: int):
    errand = visible_errand(errand_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    outcome = assign_directly(errand, to_int(request.form.get("assign")), by_user=current_user)
    if outcome.ok:
        flash(_("%(name)s is now the helper for this errand.", name=outcome.names[0]), "success")
    else:
        flash(error_text(outcome.code), "error")
    return back_to_errand(errand_id)
