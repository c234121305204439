"""Well-being check-ins: the coordinator's forms, the helper's own page and the due list."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.encounters import labels, services, wellbeing
from app.encounters.blueprint import bp
from app.encounters.forms import checkin_form_class
from app.encounters.operations import EncounterError, record_checkin
from app.encounters.queries import can_see_elder, can_see_helper, checkin_series, org_scope
from app.encounters.routes import error_text
from app.extensions import db
from app.i18n import HELSINKI
from app.models import Elder, HelperProfile, Organization, utcnow
from app.security import roles_required


def _taken_at(day) -> datetime:
    """Now for today; noon (Helsinki) for an earlier day."""
    now = utcnow()
    if day is None or day >= now.astimezone(HELSINKI).date():
        return now
    return datetime.combine(day, time(12, 0), tzinfo=HELSINKI).astimezone(UTC)


def _change_message(kind: str, person_id: int) -> str:
    series = checkin_series(kind, person_id)
    latest = series.latest
    if latest is None or latest.vs_previous is None:
        return _("The check-in was saved. It is the first one, so there is nothing to compare with yet.")
    words = [labels.describe_change(code, m) for code, m in latest.vs_previous["measures"].items()]
    return _("The check-in was saved. Since the previous one: %(changes)s.", changes="; ".join(words))


def _checkin_page(kind: str, person, name: str, *, with_date: bool, back: str, via: str):
    form_class = checkin_form_class(kind, with_date=with_date)
    form = form_class()
    if with_date and not form.is_submitted():
        form.taken_on.data = utcnow().astimezone(HELSINKI).date()
    if form.validate_on_submit():
        answers = {item.code: form[item.code].data for item in wellbeing.ITEMS[kind]}
        taken_on = form.taken_on.data if with_date else None
        if taken_on and taken_on > utcnow().astimezone(HELSINKI).date():
            form.taken_on.errors = [*form.taken_on.errors, error_text("in_future")]
        else:
            try:
                record_checkin(kind, person, answers, by=current_user, via=via, taken_at=_taken_at(taken_on))
            except wellbeing.InvalidAnswers as err:
                for code in err.errors:
                    kind_code, _sep, item = code.partition(":")
                    if item in form:
                        form[item].errors = [*form[item].errors, str(labels.CHECKIN_ERRORS[kind_code])]
            except EncounterError as err:
                form.taken_on.errors = [*form.taken_on.errors, error_text(err.code)]
            else:
                db.session.commit()
                flash(_change_message(kind, person.id), "success")
                return redirect(back)
    series = checkin_series(kind, person.id)
    return render_template(
        "encounters/checkin.html",
        form=form,
        kind=kind,
        name=name,
        items=wellbeing.ITEMS[kind],
        series=series,
        back=back,
        self_service=via == "web",
        labels=labels,
    )


@bp.route("/elder/<int:elder_id>/checkin", methods=["GET", "POST"])
@roles_required("coordinator", "admin")
def checkin_elder(elder_id: int):
    elder = db.session.get(Elder, elder_id)
    if elder is None or not can_see_elder(current_user, elder):
        abort(404)
    back = url_for("encounters.elder_stage", elder_id=elder.id) + "#checkins"
    return _checkin_page("elder", elder, elder.full_name, with_date=True, back=back, via="coordinator")


@bp.route("/helper/<int:helper_id>/checkin", methods=["GET", "POST"])
@roles_required("coordinator", "admin")
def checkin_helper(helper_id: int):
    helper = db.session.get(HelperProfile, helper_id)
    if helper is None or not can_see_helper(current_user, helper):
        abort(404)
    back = url_for("encounters.helper_stage", helper_id=helper.id) + "#checkins"
    name = f"{helper.first_name} {helper.last_name}"
    return _checkin_page("helper", helper, name, with_date=True, back=back, via="coordinator")


@bp.route("/checkin", methods=["GET", "POST"])
@roles_required("helper")
def helper_checkin():
    """The helper answers their own check-in (the link in the reminder SMS leads here)."""
    profile = current_user.helper_profile
    if profile is None:
        abort(404)
    back = url_for("encounters.helper_stage", helper_id=profile.id) + "#checkins"
    return _checkin_page("helper", profile, profile.first_name, with_date=False, back=back, via="web")


@bp.route("/checkins/due")
@roles_required("coordinator", "admin")
def due_checkins():
    now = utcnow()
    scope = org_scope(current_user)
    due = services.due_checkins(now, scope)
    org_names = dict(db.session.execute(db.select(Organization.id, Organization.name)).all())
    soon = services.due_checkins(now + timedelta(days=14), scope)
    due_keys = {(d.kind, d.person_id) for d in due}
    coming = [d for d in soon if (d.kind, d.person_id) not in due_keys]
    return render_template(
        "encounters/due.html",
        due=due,
        coming=coming,
        now=now,
        org_names=org_names,
        labels=labels,
    )
