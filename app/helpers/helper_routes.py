"""The helper's own pages: status, profile, pause, "My weeks" (days away and weekly limits; deleting the
account is :mod:`app.privacy.routes`)."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app import abuse
from app.errands.lifecycle import upcoming_assignments
from app.extensions import db
from app.helpers import week_limits
from app.helpers.blueprint import bp
from app.helpers.forms import AwayForm, EditProfileForm, PauseForm, ResumeForm, WeekCapsForm
from app.helpers.profile_fit import Sliders, suggest
from app.helpers.registration import RegistrationError, update_profile
from app.helpers.services import (
    HelperError,
    pause_helper,
    resume_helper,
)
from app.i18n import HELSINKI, current_language, local_formatter, today_local
from app.inputs import to_int
from app.models import HelperProfile
from app.phones import display_phone
from app.security import roles_required


def _own_profile() -> HelperProfile:
    profile = current_user.helper_profile
    if profile is None or profile.status == "deleted":
        abort(404)
    return profile


def _status_page(profile: HelperProfile, pause_form: PauseForm | None = None, status: int = 200):
    return (
        render_template(
            "helpers/status.html",
            profile=profile,
            consent=profile.current_consent,
            suggestion=suggest_for(profile),
            pause_form=pause_form or PauseForm(),
            resume_form=ResumeForm(),
        ),
        status,
    )


def suggest_for(profile: HelperProfile):
    return suggest(
        Sliders(profile.slider_sociable, profile.slider_producer, profile.slider_others, profile.slider_digital)
    )


@bp.route("/me")
@roles_required("helper")
def my_status():
    return _status_page(_own_profile())


def _initial(profile: HelperProfile) -> dict:
    return {
        "first_name": profile.first_name,
        "last_name": profile.last_name,
        "phone": display_phone(profile.phone),
        "municipality": profile.municipality_id,
        "village": profile.village_id,
        "address_text": profile.address_text or "",
        "transport": profile.transport,
        "max_distance_km": round(profile.max_distance_km),
        "task_types": list(profile.task_types or []),
        "availability": [f"{day}-{part}" for day, part in profile.availability or []],
        "languages": list(profile.languages or []),
        "introduction": profile.introduction,
        "slider_sociable": profile.slider_sociable,
        "slider_producer": profile.slider_producer,
        "slider_others": profile.slider_others,
        "slider_digital": profile.slider_digital,
        "guardian_name": profile.guardian_name or "",
        "guardian_phone": display_phone(profile.guardian_phone),
    }


@bp.route("/me/edit", methods=["GET", "POST"])
@roles_required("helper")
def edit_profile():
    profile = _own_profile()
    minor = profile.is_minor_on(today_local())
    guardian_editable = minor and not profile.has_valid_guardian_consent
    form = EditProfileForm(data=_initial(profile))
    form.guardian_editable = guardian_editable
    form.fill_choices(current_language())
    status = 200
    details = form.details(with_guardian=guardian_editable) if form.validate_on_submit() else None
    new_guardian = bool(
        details
        and details.guardian_phone
        and (details.guardian_name, details.guardian_phone) != (profile.guardian_name, profile.guardian_phone)
    )
    limits = abuse.consent_sms_limits(details.guardian_phone) if new_guardian else []
    if details is not None and abuse.over_limit(limits):
        form.form_errors.append(str(abuse.CONSENT_LIMIT_MESSAGE))
        status = 429
    elif details is not None:
        try:
            asked = update_profile(profile, details)
        except RegistrationError as exc:
            db.session.rollback()
            getattr(form, exc.field).errors.append(
                _("This number is already in use by another helper. Give your own mobile number.")
            )
        else:
            db.session.commit()
            flash(_("Your profile has been saved."), "info")
            if asked:
                abuse.count(limits)
                flash(_("We sent your guardian a new request for consent."), "info")
            return redirect(url_for("helpers.my_status"))
    return (
        render_template(
            "helpers/edit.html",
            form=form,
            profile=profile,
            organization=profile.organization,
            minor=minor,
            guardian_editable=guardian_editable,
        ),
        400 if form.errors and status == 200 else status,
    )


@bp.route("/me/pause", methods=["POST"])
@roles_required("helper")
def pause():
    profile = _own_profile()
    form = PauseForm()
    if form.validate_on_submit():
        try:
            pause_helper(profile, form.until.data)
        except HelperError as exc:
            message = (
                _("Choose today or a later day.")
                if exc.code == "past_date"
                else _("A pause can last at most a year. Choose an earlier day.")
            )
            form.until.errors.append(message)
        else:
            db.session.commit()
            end = datetime.combine(form.until.data + timedelta(days=1), time(0), HELSINKI)
            flash(
                _(
                    "You are on a break until %(date)s. You will not be offered errands before that.",
                    date=local_formatter("date")(form.until.data),
                ),
                "info",
            )
            if upcoming_assignments(profile, until=end):
                flash(
                    _(
                        "You still have errands you already took during the break. If you cannot do them, "
                        "withdraw from them on your errands page so that someone else can help."
                    ),
                    "warning",
                )
            return redirect(url_for("helpers.my_status"))
    return _status_page(profile, form, 400)


@bp.route("/me/resume", methods=["POST"])
@roles_required("helper")
def resume():
    profile = _own_profile()
    if ResumeForm().validate_on_submit():
        resume_helper(profile)
        db.session.commit()
        flash(_("Welcome back! You can be offered errands again."), "info")
    return redirect(url_for("helpers.my_status"))


# -- My weeks: days away and weekly limits ----------------------------------


def _weeks_page(away_form: AwayForm | None = None, caps_form: WeekCapsForm | None = None, status: int = 200):
    profile = _own_profile()
    caps = caps_form or WeekCapsForm(
        data={
            "max_errands_week": profile.max_errands_week,
            "max_hours_week": round(profile.max_hours_week) if profile.max_hours_week else None,
        }
    )
    return (
        render_template(
            "helpers/weeks.html",
            profile=profile,
            away=week_limits.upcoming_exceptions(profile, today_local()),
            away_form=away_form or AwayForm(),
            caps_form=caps,
            remove_form=ResumeForm(),  # a button-only form (CSRF)
        ),
        status,
    )


@bp.route("/me/weeks")
@roles_required("helper")
def my_weeks():
    return _weeks_page()


@bp.route("/me/weeks/away", methods=["POST"])
@roles_required("helper")
def add_away():
    profile = _own_profile()
    form = AwayForm()
    if not form.validate_on_submit():
        return _weeks_page(away_form=form, status=422)
    week_limits.add_exception(profile, form.first_day.data, form.last_day.data, form.kind.data)
    db.session.commit()
    flash(_("Saved. You will not be offered errands on those days."), "success")
    return redirect(url_for("helpers.my_weeks"))


@bp.route("/me/weeks/away/remove", methods=["POST"])
@roles_required("helper")
def remove_away():
    profile = _own_profile()
    if not ResumeForm().validate_on_submit():
        return _weeks_page(status=400)
    if week_limits.remove_exception(profile, to_int(request.form.get("exception_id"))):
        db.session.commit()
        flash(_("Removed."), "success")
    else:
        flash(_("That was already removed."), "info")
    return redirect(url_for("helpers.my_weeks"))


@bp.route("/me/weeks/limits", methods=["POST"])
@roles_required("helper")
def set_limits():
    profile = _own_profile()
    form = WeekCapsForm()
    if not form.validate_on_submit():
        return _weeks_page(caps_form=form, status=422)
    week_limits.set_caps(profile, form.max_errands_week.data, form.max_hours_week.data)
    db.session.commit()
    flash(_("Your weekly limits are saved."), "success")
    return redirect(url_for("helpers.my_weeks"))
