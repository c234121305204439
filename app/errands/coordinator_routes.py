"""Coordinator pages for requests and errands: phone intake, the errand page with
its ranked candidates and history, offers and direct assignment, cancelling,
and the day and week views with what needs attention."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user

from app.errands import agenda, bp, lifecycle
from app.errands import forms as labels
from app.errands.forms import (
    ERRAND_ERROR_MESSAGES,
    PROBLEM_MESSAGES,
    ActionForm,
    CancelForm,
    OfferTopForm,
    RequestForm,
)
from app.errands.matching_service import CandidateList, rank_candidates
from app.errands.reasons import event_note, explain
from app.errands.requests import (
    RequestError,
    RequestInput,
    RequestInvalid,
    cancel_request,
    check_request,
    create_request,
    preferred_helper_choices,
)
from app.extensions import db
from app.i18n import current_language
from app.inputs import to_int
from app.models import Elder, Errand, TaskType, User, utcnow
from app.policy import coordinator_may_see_elder, coordinator_may_see_errand, may_see_org, org_scope
from app.relations import RELATIONS
from app.security import is_safe_next, roles_required
from app.ui import blocks, nav

nav.add("coordinator", "errands.day", _l("Errands"), order=10)
nav.add("coordinator", "errands.new_request", _l("New request"), order=11)
blocks.add("coordinator_home", "errands/coordinator/_home_block.html")

COORDINATORS = ("coordinator", "admin")


def errands_home_block() -> dict:
    """Today's errands and the needs-attention count, for the start page block."""
    scope = org_scope(current_user)
    return {
        "today": agenda.errands_by_day(scope, agenda.today_local(), 1)[0][1],
        "attention": agenda.needs_attention(scope).count,
    }


@bp.record_once
def _template_globals(state) -> None:
    # Globals (not a context processor) so that imported macros see them too.
    state.app.jinja_env.globals.update(errands_home_block=errands_home_block, errands_coord=labels)
    state.app.jinja_env.filters["coord_event_note"] = event_note


def _errand_error(exc: Exception) -> str:
    code = getattr(exc, "code", "error")
    message = ERRAND_ERROR_MESSAGES.get(code)
    return str(message) if message is not None else _("That could not be done (%(code)s).", code=code)


def _visible_errand(errand_id: int) -> Errand:
    errand = agenda.load_errand(errand_id)
    if errand is None:
        abort(404)
    if not coordinator_may_see_errand(current_user, errand):
        abort(403)
    return errand


# --------------------------------------------------------------------------
# Intake
# --------------------------------------------------------------------------


def _intake_choices(form: RequestForm, elder: Elder) -> dict:
    lang = current_language()
    tasks = db.session.scalars(sa.select(TaskType).where(TaskType.active).order_by(TaskType.sort_order))
    form.task_type.choices = [(str(t.id), t.name(lang)) for t in tasks]
    before, others = preferred_helper_choices(elder)
    return {"helpers_before": before, "helpers_other": others, "contacts": elder.contacts}


def _input_from_form(form: RequestForm, elder: Elder) -> RequestInput:
    return RequestInput(
        elder_id=elder.id,
        task_type_id=to_int(form.task_type.data) or 0,
        requested_by=form.requested_by.data or "elder",
        requested_by_contact_id=to_int(form.requested_by_contact.data),
        requested_by_name=form.requested_by_name.data,
        flexible=form.timing.data == "flexible",
        date_from=form.date_from.data,
        date_to=form.date_to.data,
        time_from=form.time_from.data,
        time_to=form.time_to.data,
        duration_minutes=form.duration_minutes.data,
        helpers_needed=to_int(form.helpers_needed.data) or 0,
        notes_for_helper=(form.notes_for_helper.data or "").strip(),
        preferred_helper_id=to_int(form.preferred_helper.data),
        recurrence=form.recurrence.data or "none",
        recurrence_until=form.recurrence_until.data,
    )


def _attach_problems(form: RequestForm, problems: list[tuple[str, str]]) -> None:
    for field_name, code in problems:
        message = str(PROBLEM_MESSAGES.get(code, code))
        if field_name in form:
            if message not in form[field_name].errors:
                form[field_name].errors = [*form[field_name].errors, message]
        else:
            form.form_errors.append(message)


@bp.route("/requests/new", methods=["GET", "POST"])
@roles_required(*COORDINATORS)
def new_request():
    scope = org_scope(current_user)
    query = request.args.get("q", "").strip()[:80]
    elder_id = to_int(request.form.get("elder_id") or request.args.get("elder"))
    elder = db.session.get(Elder, elder_id) if elder_id else None
    if elder is not None and not coordinator_may_see_elder(current_user, elder):
        abort(403)
    form = RequestForm()
    choices = _intake_choices(form, elder) if elder is not None else {}
    if request.method == "POST":
        if elder is None:
            flash(str(PROBLEM_MESSAGES["elder_unknown"]), "error")
        elif not form.validate_on_submit():
            # Tell every other broken rule too, so the coordinator fixes all at once.
            if form.date_from.data is not None and form.duration_minutes.data is not None:
                _attach_problems(form, check_request(_input_from_form(form, elder), elder, now=utcnow()))
        else:
            try:
                help_request = create_request(_input_from_form(form, elder), taken_by=current_user)
            except RequestInvalid as exc:
                _attach_problems(form, exc.problems)
            else:
                db.session.commit()
                first = help_request.errands[0] if help_request.errands else None
                flash(
                    _("Request saved: %(count)s dated errands.", count=len(help_request.errands))
                    if len(help_request.errands) > 1
                    else _("Request saved."),
                    "success",
                )
                if first is not None:
                    return redirect(url_for("errands.errand_detail", errand_id=first.id))
                return redirect(url_for("errands.request_detail", request_id=help_request.id))
    elif elder is not None:
        form.elder_id.data = str(elder.id)
    elders = agenda.elder_choices(scope, query)
    if elder is not None and elder not in elders:
        elders.insert(0, elder)
    return render_template(
        "errands/coordinator/new_request.html",
        form=form,
        elder=elder,
        elders=elders,
        query=query,
        relation_labels=RELATIONS,
        **choices,
    )


# --------------------------------------------------------------------------
# One errand
# --------------------------------------------------------------------------


def _candidate_rows(errand: Errand, candidates: CandidateList) -> tuple[list[dict], list[dict]]:
    task = errand.task_type.name(current_language())
    person = errand.elder.first_name
    offered = {o.helper_id: o.status for o in errand.offers}

    def words(items) -> list[str]:
        return [explain(item, person=person, task=task, spec=candidates.spec) for item in items]

    ranked = [
        {
            "rank": i,
            "helper_id": r.helper_id,
            "person": candidates.people.get(r.helper_id),
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


def _needs_helpers(errand: Errand) -> bool:
    active = sum(1 for a in errand.assignments if a.status == "active")
    return (
        errand.state in ("open", "offered") or (errand.state == "assigned" and active < errand.helpers_needed)
    ) and errand.ends_at > utcnow()


def _render_errand(errand: Errand, *, offer_form=None, cancel_form=None, status: int = 200):
    candidates = rank_candidates(errand) if _needs_helpers(errand) else None
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
            can_cancel=errand.state in ("open", "offered", "assigned"),
            can_mark_no_show=errand.state == "assigned" and errand.starts_at <= utcnow(),
        ),
        status,
    )


@bp.route("/errands/<int:errand_id>")
@roles_required(*COORDINATORS)
def errand_detail(errand_id: int):
    return _render_errand(_visible_errand(errand_id))


def _refuse_when_no_helpers_needed(errand: Errand):
    """Back to the errand with a message when it needs no more helpers (None: go on)."""
    if _needs_helpers(errand):
        return None
    flash(str(ERRAND_ERROR_MESSAGES["not_allowed_transition"]), "error")
    return _back(errand.id)


def _back(errand_id: int):
    return redirect(url_for("errands.errand_detail", errand_id=errand_id))


def _offer(errand: Errand, helper_ids: list[int], ranking: CandidateList):
    scores = {r.helper_id: (i, r.score) for i, r in enumerate(ranking.ranked, start=1)}
    try:
        offers = lifecycle.offer_errand(errand, helper_ids, by_user=current_user)
        for offer in offers:
            offer.rank, offer.score = scores.get(offer.helper_id, (offer.rank, offer.score))
        db.session.commit()
    except lifecycle.ErrandError as exc:
        db.session.rollback()
        flash(_errand_error(exc), "error")
        return
    if not offers:
        flash(_("Nobody could be offered the errand: the chosen helpers have had it offered already."), "warning")
        return
    names = ", ".join(ranking.people[o.helper_id].name for o in offers if o.helper_id in ranking.people)
    flash(
        ngettext(
            "Offered to %(num)s helper by SMS and on their board: %(names)s",
            "Offered to %(num)s helpers by SMS and on their board: %(names)s",
            len(offers),
            names=names,
        ),
        "success",
    )


@bp.route("/errands/<int:errand_id>/offer-top", methods=["POST"])
@roles_required(*COORDINATORS)
def offer_top(errand_id: int):
    errand = _visible_errand(errand_id)
    form = OfferTopForm()
    if not form.validate_on_submit():
        return _render_errand(errand, offer_form=form, status=422)
    if (refused := _refuse_when_no_helpers_needed(errand)) is not None:
        return refused
    ranking = rank_candidates(errand, limit=50)
    already = {o.helper_id for o in errand.offers}
    chosen = [r.helper_id for r in ranking.ranked if r.helper_id not in already][: form.count.data]
    if not chosen:
        flash(_("There are no more candidates to offer this errand to."), "warning")
    else:
        _offer(errand, chosen, ranking)
    return _back(errand.id)


@bp.route("/errands/<int:errand_id>/offer", methods=["POST"])
@roles_required(*COORDINATORS)
def offer_selected(errand_id: int):
    errand = _visible_errand(errand_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    if (refused := _refuse_when_no_helpers_needed(errand)) is not None:
        return refused
    wanted = [h for h in (to_int(v) for v in request.form.getlist("helper_id")) if h is not None]
    if not wanted:
        flash(str(ERRAND_ERROR_MESSAGES["no_helpers"]), "error")
        return _back(errand.id)
    ranking = rank_candidates(errand, limit=200)
    eligible = set(ranking.ranked_ids)
    chosen = [h for h in dict.fromkeys(wanted) if h in eligible]
    if len(chosen) < len(wanted):
        flash(_("Some of the chosen helpers cannot take this errand now and were left out."), "warning")
    if chosen:
        _offer(errand, chosen, ranking)
    return _back(errand.id)


@bp.route("/errands/<int:errand_id>/assign", methods=["POST"])
@roles_required(*COORDINATORS)
def assign_direct(errand_id: int):
    errand = _visible_errand(errand_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    if (refused := _refuse_when_no_helpers_needed(errand)) is not None:
        return refused
    helper_id = to_int(request.form.get("assign"))
    ranking = rank_candidates(errand, limit=200)
    if helper_id not in set(ranking.ranked_ids):
        flash(str(ERRAND_ERROR_MESSAGES["not_eligible"]), "error")
        return _back(errand.id)
    try:
        lifecycle.accept_errand(errand.id, helper_id, via="coordinator", by_user=current_user)
        db.session.commit()
    except lifecycle.ErrandError as exc:
        db.session.rollback()
        flash(_errand_error(exc), "error")
    else:
        flash(_("%(name)s is now the helper for this errand.", name=ranking.people[helper_id].name), "success")
    return _back(errand_id)


@bp.route("/errands/<int:errand_id>/no-show", methods=["POST"])
@roles_required(*COORDINATORS)
def errand_no_show(errand_id: int):
    errand = _visible_errand(errand_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        lifecycle.mark_no_show(errand.id, by_user=current_user)
        db.session.commit()
    except lifecycle.ErrandError as exc:
        db.session.rollback()
        flash(_errand_error(exc), "error")
    else:
        flash(_("Recorded: the helper did not come."), "success")
    return _back(errand_id)


@bp.route("/errands/<int:errand_id>/cancel", methods=["POST"])
@roles_required(*COORDINATORS)
def errand_cancel(errand_id: int):
    errand = _visible_errand(errand_id)
    form = CancelForm()
    if not form.validate_on_submit():
        return _render_errand(errand, cancel_form=form, status=422)
    try:
        lifecycle.cancel_errand(errand.id, by_user=current_user, by_kind=form.by_kind.data, reason=form.reason.data)
        db.session.commit()
    except lifecycle.ErrandError as exc:
        db.session.rollback()
        flash(_errand_error(exc), "error")
    else:
        flash(_("The errand was cancelled."), "success")
    return _back(errand_id)


# --------------------------------------------------------------------------
# A whole request
# --------------------------------------------------------------------------


def _visible_request(request_id: int):
    req = agenda.load_request(request_id)
    if req is None:
        abort(404)
    if not may_see_org(current_user, req.organization_id):
        abort(403)
    return req


def _render_request(req, *, cancel_form=None, status: int = 200):
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
    return _render_request(_visible_request(request_id))


@bp.route("/requests/<int:request_id>/cancel", methods=["POST"])
@roles_required(*COORDINATORS)
def request_cancel(request_id: int):
    req = _visible_request(request_id)
    form = CancelForm()
    if not form.validate_on_submit():
        return _render_request(req, cancel_form=form, status=422)
    try:
        count = cancel_request(req.id, by_user=current_user, by_kind=form.by_kind.data, reason=form.reason.data)
        db.session.commit()
    except (RequestError, lifecycle.ErrandError) as exc:
        db.session.rollback()
        flash(_errand_error(exc), "error")
    else:
        flash(
            ngettext(
                "The request was cancelled, with %(num)s coming errand.",
                "The request was cancelled, with %(num)s coming errands.",
                count,
            ),
            "success",
        )
    return redirect(url_for("errands.request_detail", request_id=request_id))


# --------------------------------------------------------------------------
# Day, week, needs attention
# --------------------------------------------------------------------------


def _date_arg(name: str) -> date:
    raw = request.args.get(name)
    if not raw:
        return agenda.today_local()
    try:
        return date.fromisoformat(raw)
    except ValueError:
        flash(_("That date was not understood; showing today."), "warning")
        return agenda.today_local()


@bp.route("/errands/day")
@roles_required(*COORDINATORS)
def day():
    scope = org_scope(current_user)
    shown = _date_arg("date")
    return render_template(
        "errands/coordinator/day.html",
        day=shown,
        groups=agenda.errands_by_day(scope, shown, 1),
        attention=agenda.needs_attention(scope),
        action_form=ActionForm(),
        prev_day=shown - timedelta(days=1),
        next_day=shown + timedelta(days=1),
        today=agenda.today_local(),
    )


@bp.route("/errands/week")
@roles_required(*COORDINATORS)
def week():
    scope = org_scope(current_user)
    start = _date_arg("start")
    start -= timedelta(days=start.weekday())
    return render_template(
        "errands/coordinator/week.html",
        start=start,
        end=start + timedelta(days=6),
        groups=agenda.errands_by_day(scope, start, 7),
        attention=agenda.needs_attention(scope),
        action_form=ActionForm(),
        prev_week=start - timedelta(days=7),
        next_week=start + timedelta(days=7),
        today=agenda.today_local(),
    )


@bp.route("/errands/alerts/<int:alert_id>/resolve", methods=["POST"])
@roles_required(*COORDINATORS)
def alert_resolve(alert_id: int):
    if not ActionForm().validate_on_submit():
        abort(400)
    alert = agenda.resolve_alert(alert_id, by_user=current_user)
    if alert is None:
        abort(404)
    db.session.commit()
    flash(_("Marked as handled."), "success")
    target = request.form.get("next") or ""
    pages = (url_for("errands.day"), url_for("errands.week"))
    return redirect(target if is_safe_next(target) and target.startswith(pages) else url_for("errands.day"))
