"""A request taken on the phone: choose the person, fill one page, save."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.errands import agenda
from app.errands.blueprint import bp
from app.errands.coordinator.common import COORDINATORS
from app.errands.forms import PROBLEM_MESSAGES, RequestForm
from app.errands.requests import (
    RequestInput,
    RequestInvalid,
    check_request,
    create_request,
    date_shortcuts,
    preferred_helper_choices,
)
from app.extensions import db
from app.i18n import current_language, local_formatter, today_local
from app.inputs import to_int
from app.models import Elder, TaskType, utcnow
from app.policy import coordinator_may_see_elder, org_scope
from app.relations import RELATIONS
from app.security import roles_required


def _date_shortcuts() -> list[tuple[str, str]]:
    """(label, ISO date) of the date field's buttons: "Today", "Tomorrow", "Tue 8.12."..."""
    weekday = local_formatter("date", "EEE d.M.")
    names = {"today": _("Today"), "tomorrow": _("Tomorrow")}
    return [(names.get(kind) or weekday(day), day.isoformat()) for kind, day in date_shortcuts(today_local())]


def _intake_choices(form: RequestForm, elder: Elder) -> dict:
    lang = current_language()
    tasks = db.session.scalars(sa.select(TaskType).where(TaskType.active).order_by(TaskType.sort_order))
    form.task_type.choices = [(str(t.id), t.name(lang)) for t in tasks]
    before, others = preferred_helper_choices(elder)
    return {
        "helpers_before": before,
        "helpers_other": others,
        "contacts": elder.contacts,
        "date_shortcuts": _date_shortcuts(),
    }


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


def _iso_date(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


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
    shortcut = request.form.get("date_shortcut", "") if request.method == "POST" else ""
    if shortcut and elder is not None:  # a date button without JavaScript: set the day, save nothing
        chosen = _iso_date(shortcut)
        if chosen is not None:
            form.date_from.data, form.date_from.raw_data = chosen, [chosen.isoformat()]
    elif request.method == "POST":
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
    if query and elder is None and len(elders) == 1:  # the one person asked for: straight to their request
        return redirect(url_for("errands.new_request", elder=elders[0].id))
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
