"""The call log pages: the quick call form, a callback on its own, the callback
buttons and the organization's list of calls. Coordinators and admins only."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from app import policy
from app.calls import labels, services
from app.calls.blueprint import bp
from app.calls.forms import PROBLEM_MESSAGES, CallbackActionForm, CallbackForm, CallFilterForm, CallForm
from app.extensions import db
from app.i18n import local_to_utc, today_local
from app.inputs import to_int
from app.models import Elder, HelperProfile, utcnow
from app.security import is_safe_next, roles_required
from app.ui import Block, blocks

STAFF = ("coordinator", "admin")


@bp.record_once
def _template_globals(state) -> None:
    # A global (not a context processor): the person pages and the day page show calls too.
    state.app.jinja_env.globals["call_labels"] = labels


def _subject(form) -> services.Subject:
    return services.Subject(
        elder_id=to_int(form.elder_id.data),
        helper_id=to_int(form.helper_id.data),
        errand_id=to_int(form.errand_id.data),
        organization_id=to_int(form.organization_id.data),
    )


def prepared(form):
    """The form's organization choices: the user's, blank first when there are several (never
    silently the first); their only one chosen when nothing is."""
    organizations = policy.scope_organizations(current_user)
    blank = [SelectChoice("", _("Choose"))] if len(organizations) != 1 else []
    form.organization_id.choices = blank + [SelectChoice(str(o.id), o.name) for o in organizations]
    if len(organizations) == 1 and not form.organization_id.data:
        form.organization_id.data = str(organizations[0].id)
    return form


def _attach(form, problems: list[tuple[str, str]]) -> None:
    for name, code in problems:
        message = str(PROBLEM_MESSAGES.get(code, code))
        if name in form:
            form[name].errors = [*form[name].errors, message]
        else:
            form.form_errors.append(message)


def _back(default: str) -> str:
    target = request.form.get("next") or request.args.get("next") or ""
    return target if is_safe_next(target) else default


def _linked(form) -> tuple[Elder | None, HelperProfile | None]:
    """The person named on the form, when the user may see them (for the page's heading)."""
    elder_id, helper_id = to_int(form.elder_id.data), to_int(form.helper_id.data)
    elder = db.session.get(Elder, elder_id) if elder_id else None
    helper = db.session.get(HelperProfile, helper_id) if helper_id else None
    if elder is not None and not policy.coordinator_may_see_elder(current_user, elder):
        elder = None
    if helper is not None and not policy.coordinator_may_see_helper(current_user, helper):
        helper = None
    return elder, helper


def _from_link(form) -> None:
    """The person or errand a link names (``?elder=``, ``?helper=``, ``?errand=``); checked on saving."""
    for name in ("elder", "helper", "errand"):
        form[f"{name}_id"].data = request.args.get(name, "")


@bp.route("/new", methods=["GET", "POST"])
@roles_required(*STAFF)
def new_call():
    form = CallForm()
    if request.method == "GET":
        _from_link(form)
        if form.helper_id.data and not form.elder_id.data:
            form.caller_kind.data = "helper"
        form.callback_day.data = today_local()
    prepared(form)
    elder, helper = _linked(form)
    if form.validate_on_submit():
        callback_at = None
        if form.callback_time.data is not None:
            callback_at = local_to_utc(form.callback_day.data or today_local(), form.callback_time.data)
        data = services.CallInput(
            subject=_subject(form),
            caller_kind=form.caller_kind.data or "",
            phone=form.phone.data or "",
            topic=form.topic.data or "",
            outcome="callback" if callback_at is not None and form.outcome.data == "handled" else form.outcome.data,
            note=form.note.data or "",
            callback_at=callback_at,
        )
        try:
            call = services.log_call(data, by=current_user)
        except services.CallInvalid as exc:
            _attach(form, exc.problems)
        else:
            db.session.commit()
            flash(_("The call was logged."), "success")
            if call.outcome == "callback":
                flash(_("The callback is in the queue on the day page."), "info")
            return redirect(_back(url_for(".list_calls")))
    return render_template(
        "calls/new.html", form=form, elder=elder, helper=helper, next=_back("")
    ), 400 if form.errors else 200


@bp.route("/callbacks/new", methods=["GET", "POST"])
@roles_required(*STAFF)
def new_callback():
    form = CallbackForm()
    if request.method == "GET":
        _from_link(form)
        form.due_day.data = today_local()
    prepared(form)
    elder, helper = _linked(form)
    if form.validate_on_submit():
        if form.due_time.data is None:
            _attach(form, [("due_time", "callback_time")])
        else:
            data = services.CallbackInput(
                subject=_subject(form),
                due_at=local_to_utc(form.due_day.data or today_local(), form.due_time.data),
                name=form.name.data or "",
                phone=form.phone.data or "",
                note=form.note.data or "",
            )
            try:
                services.add_callback(data, by=current_user)
            except services.CallInvalid as exc:
                _attach(form, exc.problems)
            else:
                db.session.commit()
                flash(_("The callback is in the queue on the day page."), "success")
                return redirect(_back(url_for("errands.day")))
    return render_template(
        "calls/callback_new.html", form=form, elder=elder, helper=helper, next=_back("")
    ), 400 if form.errors else 200


@bp.route("/callbacks/<int:callback_id>", methods=["POST"])
@roles_required(*STAFF)
def callback_action(callback_id: int):
    callback = services.load_callback(current_user, callback_id)
    if callback is None:
        abort(404)
    form = CallbackActionForm()
    back = _back(url_for("errands.day"))
    if not form.validate_on_submit():
        flash(_("That time was not understood. Try again."), "error")
        return redirect(back)
    try:
        if form.action.data in ("done", "not_reached"):
            services.close_callback(callback, form.action.data, by=current_user)
            message = labels.CALLBACK_OUTCOMES[form.action.data]
        elif form.action.data == "again" and form.due_time.data is not None:
            services.retry_callback(callback, local_to_utc(form.due_day.data or today_local(), form.due_time.data))
            message = _("The callback was moved to a new time.")
        else:
            flash(_("Give the new time to call back."), "error")
            return redirect(back)
    except services.CallInvalid:
        flash(str(PROBLEM_MESSAGES["closed"]), "warning")
        return redirect(back)
    db.session.commit()
    flash(str(message), "success")
    return redirect(back)


@bp.route("/")
@roles_required(*STAFF)
def list_calls():
    form = CallFilterForm(request.args)
    flt = services.CallFilter(
        day=form.day.data if form.day.validate(form) else None,
        caller_kind=form.caller_kind.data or "",
        outcome=form.outcome.data or "",
    )
    page = db.paginate(
        services.calls_query(current_user, flt),
        page=request.args.get("page", 1, type=int),
        per_page=current_app.config["PAGE_SIZE"],
        error_out=False,
    )
    args = {k: v for k, v in request.args.items() if k in ("day", "caller_kind", "outcome") and v}
    return render_template(
        "calls/list.html",
        form=form,
        page=page,
        args=args,
        callbacks=services.callbacks_for_day(policy.org_scope(current_user), today_local()),
        action_form=CallbackActionForm(),
        today=today_local(),
        now_utc=utcnow(),
    )


def _person_block(kind: str):
    def data(person) -> dict:
        form = prepared(CallForm(formdata=None))
        form[f"{kind}_id"].data = str(person.id)
        form.caller_kind.data = kind
        form.callback_day.data = today_local()
        flt = services.CallFilter(elder_id=person.id) if kind == "elder" else services.CallFilter(helper_id=person.id)
        return {"form": form, "calls": services.recent_calls(current_user, flt), "kind": kind, "person": person}

    return data


blocks.add("elder_page", Block("calls/_person_block.html", _person_block("elder")))
blocks.add("helper_page", Block("calls/_person_block.html", _person_block("helper")))
