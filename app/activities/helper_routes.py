"""The helper's side: the activities of their organizations (sign up, cancel), proposing an
activity, and the block on their start page."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.activities import labels, operations, queries, signups
from app.activities import policy as activity_policy
from app.activities.blueprint import bp
from app.activities.forms import ActionForm, ProposalForm, form_error
from app.activities.operations import ActivityError, ActivityInput
from app.encounters.forms import choices
from app.extensions import db
from app.inputs import to_int
from app.models import Activity, HelperProfile, utcnow
from app.security import roles_required
from app.ui import Block, blocks

BLOCK_ITEMS = 3


def _profile() -> HelperProfile:
    profile = activity_policy.own_profile(current_user)
    if profile is None or profile.status != "approved":
        abort(403)
    return profile


@bp.route("/mine")
@roles_required("helper")
def helper_list():
    profile = _profile()
    return render_template(
        "activities/helper_list.html",
        items=queries.helper_activities(profile, utcnow()),
        action=ActionForm(),
        labels=labels,
        profile=profile,
    )


def _visible(profile: HelperProfile, activity_id: int) -> Activity:
    activity = db.session.get(Activity, activity_id)
    if activity is None or not activity_policy.helper_may_see(profile, activity):
        abort(404)
    return activity


@bp.route("/<int:activity_id>/join", methods=["POST"])
@roles_required("helper")
def join(activity_id: int):
    profile = _profile()
    activity = _visible(profile, activity_id)
    if ActionForm().validate_on_submit():
        refused = activity_policy.helper_may_sign_up(profile, activity)
        if refused:
            flash(labels.error_text(refused), "error")
            return redirect(url_for("activities.helper_list"))
        try:
            signup = signups.sign_up(activity.id, signups.Person.of(profile), via="web", by=current_user)
        except ActivityError as err:
            db.session.rollback()
            flash(labels.error_text(err.code), "error")
        else:
            db.session.commit()
            if signup.status == "waiting":
                flash(_("It is full, so you are on the waiting list. We will tell you if a place opens."), "info")
            else:
                flash(_("You are signed up. See you there!"), "success")
    return redirect(url_for("activities.helper_list"))


@bp.route("/<int:activity_id>/leave", methods=["POST"])
@roles_required("helper")
def leave(activity_id: int):
    profile = _profile()
    activity = _visible(profile, activity_id)
    own = signups.find_signup(activity.id, signups.Person.of(profile))
    if ActionForm().validate_on_submit() and own is not None:
        try:
            signups.cancel_signup(own.id, by=current_user, via="web")
        except ActivityError as err:
            db.session.rollback()
            flash(labels.error_text(err.code), "error")
        else:
            db.session.commit()
            flash(_("Your sign-up is cancelled."), "success")
    return redirect(url_for("activities.helper_list"))


@bp.route("/propose", methods=["GET", "POST"])
@roles_required("helper")
def propose():
    profile = _profile()
    form = ProposalForm()
    form.place_id.choices = choices(
        [(str(p.id), f"{p.name} ({p.municipality.name})") for p in queries.places_for(current_user)]
    )
    if form.validate_on_submit():
        data = ActivityInput(
            title=form.title.data or "",
            kind=form.kind.data,
            place_id=to_int(form.place_id.data) or 0,
            day=form.day.data,
            start=form.start.data,
            end=form.end.data,
            organization_id=profile.organization_id or 0,
            capacity_young=form.capacity_young.data or 0,
            capacity_old=form.capacity_old.data or 0,
            minimum=2,
            run_by="helpers",
            organised_by_participants=True,
            description_fi=form.description_fi.data or "",
            description_sv=form.description_sv.data or "",
        )
        try:
            operations.propose_activity(data, by=current_user)
        except ActivityError as err:
            db.session.rollback()
            form_error(form, err)
        else:
            db.session.commit()
            flash(_("Thank you! A coordinator will look at your idea before anyone is invited."), "success")
            return redirect(url_for("activities.helper_list"))
    return render_template("activities/propose.html", form=form, labels=labels)


def helper_block(profile: HelperProfile | None) -> dict | None:
    """The next activities on the helper's start page (their "Activities" section)."""
    if not current_user.is_authenticated or current_user.role != "helper":
        return None
    if profile is None or profile.status != "approved":
        return None
    items = queries.helper_activities(profile, utcnow())[:BLOCK_ITEMS]
    return {"items": items, "labels": labels}


blocks.add("helper_home", Block("activities/_helper_block.html", helper_block), order=15)
blocks.add("helper_board", "activities/_board_block.html")
