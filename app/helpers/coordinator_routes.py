"""Coordinator pages: the list of helpers and one page per helper with its actions."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from app import policy
from app.errands.lifecycle import upcoming_assignments
from app.extensions import db
from app.helpers.blueprint import bp
from app.helpers.consent import request_consent
from app.helpers.forms import (
    ApproveForm,
    CorrectProfileForm,
    HelperFilterForm,
    PhoneWithdrawalForm,
    ReinstateForm,
    ResendConsentForm,
    SuspendForm,
    municipality_name,
    phone_e164,
)
from app.helpers.helper_routes import suggest_for
from app.helpers.labels import LANGUAGE_LABELS, STATUS_LABELS, profile_label
from app.helpers.profile_fit import PROFILES
from app.helpers.services import (
    ApprovalChecks,
    HelperError,
    HelperFilter,
    approve_helper,
    can_manage,
    correct_youth_profile,
    helpers_query,
    record_phone_withdrawal,
    reinstate_helper,
    suspend_helper,
)
from app.i18n import current_language, today_local
from app.models import AuditLog, HelperProfile, Municipality, TaskType
from app.phones import display_phone
from app.security import roles_required
from app.ui import blocks_for

COORDINATORS = ("coordinator", "admin")


def _visible_municipalities() -> list[Municipality]:
    return list(db.session.scalars(policy.scope_municipalities(current_user)))


@bp.route("/")
@roles_required(*COORDINATORS)
def list_helpers():
    form = HelperFilterForm(formdata=request.args)
    locale = current_language()
    form.status.choices = (
        [("", _("All"))]
        + [(code, str(STATUS_LABELS[code])) for code in ("pending", "approved", "suspended")]
        + [("paused", _("On a break"))]
    )
    form.municipality.choices = [("", _("All"))] + [
        (str(m.id), municipality_name(m, locale)) for m in _visible_municipalities()
    ]
    form.validate()
    flt = HelperFilter(
        status=form.status.data if not form.status.errors and form.status.data else None,
        municipality_id=form.municipality.data if not form.municipality.errors else None,
        query=(form.q.data or "") if not form.q.errors else "",
    )
    page = request.args.get("page", 1, type=int)
    pagination = db.paginate(
        helpers_query(current_user, flt), page=page, per_page=current_app.config["PAGE_SIZE"], error_out=False
    )
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template("helpers/list.html", form=form, pagination=pagination, args=args)


def _managed(helper_id: int) -> HelperProfile:
    profile = db.get_or_404(HelperProfile, helper_id)
    if profile.status == "deleted":
        abort(404)
    if not can_manage(current_user, profile):
        abort(403)
    return profile


def _history(profile: HelperProfile) -> list[AuditLog]:
    consent_ids = [c.id for c in profile.consents]
    stmt = (
        sa.select(AuditLog)
        .where(
            sa.or_(
                sa.and_(AuditLog.subject_type == "HelperProfile", AuditLog.subject_id == profile.id),
                sa.and_(AuditLog.subject_type == "GuardianConsent", AuditLog.subject_id.in_(consent_ids or [-1])),
            )
        )
        .order_by(AuditLog.at.desc(), AuditLog.id.desc())
        .limit(50)
    )
    return list(db.session.scalars(stmt))


def _detail(profile: HelperProfile, status: int = 200, **forms):
    # What the page shows of the profile's relations, read here (templates run no queries).
    places = {"organization": profile.organization, "municipality": profile.municipality, "village": profile.village}
    correct = forms.get("correct_form") or CorrectProfileForm(youth_profile=profile.youth_profile)
    correct.youth_profile.choices = [SelectChoice(code, profile_label(code)) for code in PROFILES]
    resend = forms.get("resend_form") or ResendConsentForm(
        guardian_name=profile.guardian_name or "", guardian_phone=display_phone(profile.guardian_phone)
    )
    locale = current_language()
    task_types = {t.code: t.name(locale) for t in db.session.scalars(sa.select(TaskType))}
    return (
        render_template(
            "helpers/detail.html",
            profile=profile,
            email=profile.user.email,
            **places,
            age=profile.age_on(today_local()),
            task_names=[task_types.get(code, code) for code in profile.task_types or []],
            language_names=[str(LANGUAGE_LABELS.get(code, code)) for code in profile.languages or []],
            consent=profile.current_consent,
            suggestion=suggest_for(profile),
            history=_history(profile),
            upcoming=len(upcoming_assignments(profile)),
            approve_form=forms.get("approve_form") or ApproveForm(),
            suspend_form=forms.get("suspend_form") or SuspendForm(),
            reinstate_form=forms.get("reinstate_form") or ReinstateForm(),
            correct_form=correct,
            withdrawal_form=forms.get("withdrawal_form") or PhoneWithdrawalForm(),
            resend_form=resend,
            extra_blocks=blocks_for("helper_page", profile),
        ),
        status,
    )


@bp.route("/<int:helper_id>")
@roles_required(*COORDINATORS)
def helper_detail(helper_id: int):
    return _detail(_managed(helper_id))


@bp.route("/<int:helper_id>/approve", methods=["POST"])
@roles_required(*COORDINATORS)
def approve(helper_id: int):
    profile = _managed(helper_id)
    form = ApproveForm()
    if form.validate_on_submit():
        checks = ApprovalChecks(
            identity_seen=form.identity_seen.data,
            training_held=form.training_held.data,
            criminal_record_seen_on=form.criminal_record_seen_on.data,
        )
        try:
            approve_helper(profile, current_user, checks)
        except HelperError as exc:
            message = {
                "not_pending": _("Only a helper waiting for approval can be approved."),
                "checks_missing": _("Approval needs both checks: identity seen and introduction training held."),
                "future_date": _("The date of the criminal record extract cannot be in the future."),
                "no_consent": _(
                    "The helper is under 18 and the guardian's consent is not in force. "
                    "Approval is possible once the guardian has given consent."
                ),
            }[exc.code]
            target = form.criminal_record_seen_on if exc.code == "future_date" else None
            if target is not None:
                target.errors.append(message)
            else:
                form.form_errors.append(message)
        else:
            db.session.commit()
            flash(_("%(name)s is approved. We sent them an SMS.", name=profile.display_name), "info")
            return redirect(url_for("helpers.helper_detail", helper_id=profile.id))
    return _detail(profile, 400, approve_form=form)


@bp.route("/<int:helper_id>/suspend", methods=["POST"])
@roles_required(*COORDINATORS)
def suspend(helper_id: int):
    profile = _managed(helper_id)
    form = SuspendForm()
    if form.validate_on_submit():
        try:
            released = suspend_helper(profile, current_user, form.reason.data)
        except HelperError:
            form.form_errors.append(_("The helper is already suspended."))
        else:
            db.session.commit()
            flash(_("%(name)s is suspended and logged out.", name=profile.display_name), "info")
            if released.assignments:
                flash(_("Upcoming errands sent back to matching: %(num)s.", num=released.assignments), "warning")
            return redirect(url_for("helpers.helper_detail", helper_id=profile.id))
    return _detail(profile, 400, suspend_form=form)


@bp.route("/<int:helper_id>/reinstate", methods=["POST"])
@roles_required(*COORDINATORS)
def reinstate(helper_id: int):
    profile = _managed(helper_id)
    form = ReinstateForm()
    if form.validate_on_submit():
        try:
            reinstate_helper(profile, current_user, form.note.data or "")
        except HelperError:
            form.form_errors.append(_("The helper is not suspended."))
        else:
            db.session.commit()
            flash(_("The suspension of %(name)s is lifted.", name=profile.display_name), "info")
            return redirect(url_for("helpers.helper_detail", helper_id=profile.id))
    return _detail(profile, 400, reinstate_form=form)


@bp.route("/<int:helper_id>/profile", methods=["POST"])
@roles_required(*COORDINATORS)
def correct_profile(helper_id: int):
    profile = _managed(helper_id)
    form = CorrectProfileForm()
    form.youth_profile.choices = [SelectChoice(code, profile_label(code)) for code in PROFILES]
    if form.validate_on_submit():
        correct_youth_profile(profile, current_user, form.youth_profile.data)
        db.session.commit()
        flash(_("The youth profile is saved."), "info")
        return redirect(url_for("helpers.helper_detail", helper_id=profile.id))
    return _detail(profile, 400, correct_form=form)


@bp.route("/<int:helper_id>/consent/withdraw", methods=["POST"])
@roles_required(*COORDINATORS)
def record_withdrawal(helper_id: int):
    profile = _managed(helper_id)
    form = PhoneWithdrawalForm()
    if form.validate_on_submit():
        try:
            record_phone_withdrawal(profile, current_user, form.note.data or "")
        except HelperError:
            form.form_errors.append(_("There is no consent in force to withdraw."))
        else:
            db.session.commit()
            flash(_("The guardian's withdrawal is recorded. The helper will not be offered errands."), "info")
            return redirect(url_for("helpers.helper_detail", helper_id=profile.id))
    return _detail(profile, 400, withdrawal_form=form)


@bp.route("/<int:helper_id>/consent/request", methods=["POST"])
@roles_required(*COORDINATORS)
def resend_consent(helper_id: int):
    profile = _managed(helper_id)
    form = ResendConsentForm()
    if form.validate_on_submit():
        phone = phone_e164(form.guardian_phone)
        if phone == profile.phone:
            form.guardian_phone.errors.append(_("Give the guardian's own number, not the helper's."))
        elif phone:
            profile.guardian_name = form.guardian_name.data.strip()
            profile.guardian_phone = phone
            request_consent(profile, by=current_user)
            db.session.commit()
            flash(_("A new consent request was sent to the guardian."), "info")
            return redirect(url_for("helpers.helper_detail", helper_id=profile.id))
    return _detail(profile, 400, resend_form=form)
