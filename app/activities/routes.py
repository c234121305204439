"""Coordinator pages: the activity calendar (list and week), planning with repetition, one page per
activity (sign-ups, waiting list, history), inviting, adding people who phoned in, attendance."""

from __future__ import annotations

from datetime import date, timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app import policy
from app.activities import attendance, feeds, invitations, labels, operations, queries, signups
from app.activities import policy as activity_policy
from app.activities.blueprint import bp
from app.activities.forms import (
    ActionForm,
    ActivityForm,
    AddPersonForm,
    AttendanceForm,
    InviteForm,
    PlaceForm,
    form_error,
)
from app.activities.operations import ActivityError, ActivityInput, PlaceInput
from app.encounters.forms import choices
from app.encounters.operations import EncounterError
from app.extensions import db
from app.i18n import HELSINKI, today_local
from app.inputs import to_int
from app.models import Activity, Elder, utcnow
from app.security import login_only, roles_required

COORDINATORS = ("coordinator", "admin")


def activity_or_404(activity_id: int) -> Activity:
    activity = queries.load_activity(activity_id)
    if activity is None or not activity_policy.may_manage(current_user, activity):
        abort(404)
    return activity


def _date_arg(name: str) -> date | None:
    try:
        return date.fromisoformat(request.args.get(name) or "")
    except ValueError:
        return None


# --- Calendar ----------------------------------------------------------------------------


@bp.route("/")
@roles_required(*COORDINATORS)
def calendar():
    view = "week" if request.args.get("view") == "week" else "list"
    today = today_local()
    start = _date_arg("start") or today
    start = max(today - timedelta(days=366), min(today + timedelta(days=366), start))
    municipality_id = to_int(request.args.get("municipality"))
    organization_id = to_int(request.args.get("organization"))
    if view == "week":
        start -= timedelta(days=start.weekday())
    end = start + timedelta(days=7 if view == "week" else 60)
    rows = list(
        db.session.scalars(
            queries.calendar_query(
                current_user, start=start, end=end, municipality_id=municipality_id, organization_id=organization_id
            )
        )
    )
    groups: dict[date, list[Activity]] = {day: [] for day in _days(start, 7)} if view == "week" else {}
    for activity in rows:
        groups.setdefault(activity.starts_at.astimezone(HELSINKI).date(), []).append(activity)
    step = timedelta(days=7 if view == "week" else 60)
    return render_template(
        "activities/calendar.html",
        groups=sorted(groups.items()),
        view=view,
        start=start,
        prev_start=start - step,
        next_start=start + step,
        municipalities=db.session.scalars(policy.scope_municipalities(current_user)).all(),
        organizations=policy.scope_organizations(current_user),
        municipality_id=municipality_id,
        organization_id=organization_id,
        proposals=queries.proposals(current_user),
        labels=labels,
        counts=signups.counts,
        feeds=[(o.name, feeds.feed_url(o.id)) for o in policy.scope_organizations(current_user)],
    )


def _days(start: date, count: int) -> list[date]:
    return [start + timedelta(days=i) for i in range(count)]


# --- Planning ----------------------------------------------------------------------------


def _activity_form(activity: Activity | None = None) -> ActivityForm:
    form = ActivityForm(obj=activity) if activity is not None and request.method == "GET" else ActivityForm()
    orgs = policy.scope_organizations(current_user)
    scope = [o.id for o in orgs]
    form.organization_id.choices = choices([(str(o.id), o.name) for o in orgs])
    places = queries.places_for(current_user)
    form.place_id.choices = choices([(str(p.id), f"{p.name} ({p.municipality.name})") for p in places])
    form.runner_helper_id.choices = choices(
        [("", _("Nobody"))] + [(str(h.id), h.name) for h in queries.helpers_of(scope)]
    )
    form.idea_of_elder_id.choices = choices([("", _("No"))] + queries.elders_of(scope))
    if activity is not None and request.method == "GET":
        local_start = activity.starts_at.astimezone(HELSINKI)
        form.day.data, form.start.data = local_start.date(), local_start.time()
        form.end.data = activity.ends_at.astimezone(HELSINKI).time()
        form.organization_id.data = str(activity.organization_id)
        form.place_id.data = str(activity.place_id)
        form.runner_helper_id.data = str(activity.runner_helper_id or "")
    return form


def activity_input(form: ActivityForm) -> ActivityInput:
    return ActivityInput(
        title=form.title.data or "",
        kind=form.kind.data,
        place_id=to_int(form.place_id.data) or 0,
        day=form.day.data,
        start=form.start.data,
        end=form.end.data,
        organization_id=to_int(form.organization_id.data) or 0,
        recurrence=form.recurrence.data,
        recurrence_until=form.recurrence_until.data,
        capacity_young=form.capacity_young.data or 0,
        capacity_old=form.capacity_old.data or 0,
        minimum=form.minimum.data or 0,
        run_by=form.run_by.data,
        organised_by_participants=bool(form.organised_by_participants.data),
        description_fi=form.description_fi.data or "",
        description_sv=form.description_sv.data or "",
        runner_helper_id=to_int(form.runner_helper_id.data),
    )


@bp.route("/new", methods=["GET", "POST"])
@roles_required(*COORDINATORS)
def new():
    form = _activity_form()
    if form.validate_on_submit():
        data = activity_input(form)
        if not policy.may_see_org(current_user, data.organization_id):
            abort(403)
        try:
            elder_id = to_int(form.idea_of_elder_id.data)
            elder = db.session.get(Elder, elder_id) if elder_id else None
            if elder is not None and policy.coordinator_may_see_elder(current_user, elder):
                rows = operations.elder_idea(data, elder, by=current_user)
            else:
                rows = operations.plan_activity(data, by=current_user)
        except ActivityError as err:
            db.session.rollback()
            form_error(form, err)
        else:
            db.session.commit()
            flash(_("The activity is saved (%(count)s times).", count=len(rows)), "success")
            return redirect(url_for("activities.show", activity_id=rows[0].id))
    return render_template("activities/form.html", form=form, activity=None, labels=labels)


@bp.route("/<int:activity_id>/edit", methods=["GET", "POST"])
@roles_required(*COORDINATORS)
def edit(activity_id: int):
    activity = activity_or_404(activity_id)
    form = _activity_form(activity)
    if form.validate_on_submit():
        try:
            operations.edit_activity(
                activity, activity_input(form), by=current_user, whole_series=bool(form.whole_series.data)
            )
        except ActivityError as err:
            db.session.rollback()
            form_error(form, err)
        else:
            db.session.commit()
            flash(_("The activity is changed."), "success")
            return redirect(url_for("activities.show", activity_id=activity.id))
    return render_template("activities/form.html", form=form, activity=activity, labels=labels)


@bp.route("/places/new", methods=["GET", "POST"])
@roles_required(*COORDINATORS)
def new_place():
    form = PlaceForm()
    form.municipality_id.choices = choices(
        [(str(m.id), m.name) for m in db.session.scalars(policy.scope_municipalities(current_user))]
    )
    if form.validate_on_submit():
        data = PlaceInput(
            municipality_id=to_int(form.municipality_id.data) or 0,
            name=form.name.data or "",
            kind=form.kind.data,
            step_free=bool(form.step_free.data),
            address=form.address.data or "",
        )
        try:
            operations.add_place(data, by=current_user)
        except ActivityError as err:
            db.session.rollback()
            form_error(form, err)
        else:
            db.session.commit()
            flash(_("The place is added to the list."), "success")
            return redirect(url_for("activities.new"))
    return render_template(
        "activities/place_form.html", form=form, places=queries.places_for(current_user), labels=labels
    )


# --- One activity ------------------------------------------------------------------------


@bp.route("/<int:activity_id>")
@roles_required(*COORDINATORS)
def show(activity_id: int):
    activity = activity_or_404(activity_id)
    helpers, elders = queries.people_of(activity)
    add_form = AddPersonForm()
    add_form.person.choices = choices(queries.addable_people(activity))
    return render_template(
        "activities/show.html",
        activity=activity,
        helpers=helpers,
        elders=elders,
        counts=signups.counts(activity),
        history=queries.history(activity),
        add_form=add_form,
        action=ActionForm(),
        labels=labels,
        now=utcnow(),
    )


@bp.route("/<int:activity_id>/approve", methods=["POST"])
@roles_required(*COORDINATORS)
def approve(activity_id: int):
    activity = activity_or_404(activity_id)
    if ActionForm().validate_on_submit():
        operations.approve(activity, by=current_user)
        db.session.commit()
        flash(_("The activity is approved. You can now invite people."), "success")
    return redirect(url_for("activities.show", activity_id=activity.id))


@bp.route("/<int:activity_id>/cancel", methods=["POST"])
@roles_required(*COORDINATORS)
def cancel(activity_id: int):
    activity = activity_or_404(activity_id)
    if ActionForm().validate_on_submit():
        operations.cancel(activity, by=current_user, whole_series=request.form.get("series") == "1")
        db.session.commit()
        flash(_("The activity is cancelled."), "success")
    return redirect(url_for("activities.show", activity_id=activity.id))


@bp.route("/<int:activity_id>/people", methods=["POST"])
@roles_required(*COORDINATORS)
def add_person(activity_id: int):
    activity = activity_or_404(activity_id)
    form = AddPersonForm()
    form.person.choices = choices(queries.addable_people(activity))
    if not form.validate_on_submit():
        flash(labels.error_text("no_person"), "error")
        return redirect(url_for("activities.show", activity_id=activity.id))
    key = form.person.data
    person = signups.Person("young" if key[0] == "h" else "old", int(key[1:]))
    try:
        signup = signups.sign_up(activity.id, person, via="coordinator", by=current_user)
    except ActivityError as err:
        db.session.rollback()
        flash(labels.error_text(err.code), "error")
    else:
        db.session.commit()
        flash(str(labels.SIGNUP_LABELS[signup.status]), "success")
    return redirect(url_for("activities.show", activity_id=activity.id))


@bp.route("/<int:activity_id>/signups/<int:signup_id>/cancel", methods=["POST"])
@roles_required(*COORDINATORS)
def cancel_signup(activity_id: int, signup_id: int):
    activity = activity_or_404(activity_id)
    if ActionForm().validate_on_submit() and any(s.id == signup_id for s in activity.signups):
        try:
            signups.cancel_signup(signup_id, by=current_user, via="coordinator")
        except ActivityError as err:
            db.session.rollback()
            flash(labels.error_text(err.code), "error")
        else:
            db.session.commit()
            flash(_("The sign-up is cancelled."), "success")
    return redirect(url_for("activities.show", activity_id=activity.id))


# --- Inviting ----------------------------------------------------------------------------


def invite_filter() -> invitations.InviteFilter:
    args = request.args
    max_km = args.get("max_km", type=float)
    return invitations.InviteFilter(
        side=args.get("side") if args.get("side") in ("young", "old") else "both",
        village_id=to_int(args.get("village")),
        max_km=max_km if max_km is not None and 0 < max_km < 500 else None,
        profiles=tuple(p for p in args.getlist("profile") if p),
        min_stage=to_int(args.get("min_stage")),
        language=args.get("language") if args.get("language") in ("fi", "sv") else None,
        met_before=args.get("met") == "1",
    )


@bp.route("/<int:activity_id>/invite", methods=["GET", "POST"])
@roles_required(*COORDINATORS)
def invite(activity_id: int):
    activity = activity_or_404(activity_id)
    flt = invite_filter()
    reach = invitations.candidates(activity, flt)
    form = InviteForm()
    form.people.choices = choices([(c.key, c.name) for c in reach.candidates if not c.invited and not c.signed_up])
    if form.validate_on_submit():
        try:
            sent = invitations.send_invitations(activity, form.people.data or [], by=current_user)
        except ActivityError as err:
            db.session.rollback()
            flash(labels.error_text(err.code), "error")
        else:
            db.session.commit()
            flash(_("Invitations: %(count)s.", count=sum(sent.values())), "success")
            return redirect(url_for("activities.show", activity_id=activity.id))
    return render_template(
        "activities/invite.html",
        activity=activity,
        reach=reach,
        flt=flt,
        form=form,
        villages=activity.place.municipality.villages,
        labels=labels,
    )


# --- Attendance --------------------------------------------------------------------------


def attendance_page(activity: Activity):
    """The phone-sized attendance page: shared by coordinators and the helper who runs it."""
    helpers, elders = queries.people_of(activity)
    present = [s for s in activity.signups if s.status in ("signed_up", "attended", "no_show")]
    form = AttendanceForm()
    form.came.choices = choices([(str(s.id), str(s.id)) for s in present])
    if form.validate_on_submit():
        try:
            encounter = attendance.save_attendance(activity.id, {int(v) for v in form.came.data or []}, by=current_user)
        except (ActivityError, EncounterError) as err:
            db.session.rollback()
            flash(labels.error_text(err.code), "error")
        else:
            db.session.commit()
            if encounter is None:
                flash(
                    _("Attendance saved. No encounter: it needs at least one young and one older participant."), "info"
                )
            else:
                flash(_("Attendance saved as one encounter with everyone who came."), "success")
            return redirect(request.path)
    return render_template(
        "activities/attendance.html",
        activity=activity,
        present=present,
        helpers=helpers,
        elders=elders,
        form=form,
        labels=labels,
    )


@bp.route("/<int:activity_id>/attendance", methods=["GET", "POST"])
@login_only
def take_attendance(activity_id: int):
    activity = queries.load_activity(activity_id)
    if activity is None:
        abort(404)
    if not activity_policy.may_take_attendance(current_user, activity):
        abort(403 if current_user.role == "helper" else 404)
    return attendance_page(activity)
