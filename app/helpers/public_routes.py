"""Public pages: signing up, and the guardian's consent page (no login)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app import abuse
from app.auth.services import home_endpoint
from app.extensions import db
from app.helpers.blueprint import bp
from app.helpers.consent import (
    ConsentError,
    consent_paragraphs,
    find_by_token,
    give_consent,
    withdraw_consent,
)
from app.helpers.forms import ConsentForm, RegistrationForm, WithdrawConsentForm, active_organizations
from app.helpers.registration import RegistrationError, register_helper
from app.i18n import current_language
from app.security import public


def _registration_error(code: str) -> str:
    return {
        "phone_taken": _("This number is already in use by another helper. Give your own mobile number."),
        "too_young": _("You must be at least 13 years old to sign up. Welcome back when you turn 13!"),
        "guardian_missing": _("You are under 18: write your guardian's name."),
    }[code]


def _signup_received(first_name: str):
    """The same answer for a new sign-up and for an address that already has an
    account, so the form never tells whether an address is registered."""
    flash(_("Welcome, %(name)s! Your sign-up has been received.", name=first_name), "info")
    flash(_("Log in with your email address and password to follow your sign-up."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/register", methods=["GET", "POST"])
@public
def register():
    if current_user.is_authenticated:
        return redirect(url_for(home_endpoint(current_user)))
    form = RegistrationForm()
    locale = current_language()
    form.fill_choices(locale)
    status = 200
    if form.validate_on_submit():
        reg = form.registration(locale)
        limits = abuse.consent_sms_limits(reg.details.guardian_phone) if reg.details.guardian_phone else []
        if abuse.over_limit(limits):
            form.form_errors.append(str(abuse.CONSENT_LIMIT_MESSAGE))
            status = 429
        else:
            try:
                register_helper(reg)
                db.session.commit()
            except RegistrationError as exc:
                db.session.rollback()
                if exc.code != "email_taken":  # a taken address is answered like a new sign-up
                    getattr(form, exc.field).errors.append(_registration_error(exc.code))
            except sa.exc.IntegrityError:  # the same email signed up a moment ago in another request
                db.session.rollback()
            if not form.errors:
                # Counted also for a taken address (no SMS then), so the counters tell nothing either.
                abuse.count(limits)
                return _signup_received(reg.details.first_name)
    form.prepare_bot_check()
    if form.errors and status == 200:
        status = 400
    return (
        render_template(
            "helpers/register.html",
            form=form,
            organizations=active_organizations(),
            has_organizations=bool(form.organization.choices and len(form.organization.choices) > 1),
        ),
        status,
    )


def _consent_or_404(token: str):
    consent = find_by_token(token)
    if consent is None or consent.helper.status == "deleted":
        return None
    return consent


def _invalid_link():
    return render_template("helpers/consent_invalid.html"), 404


def _own_child_link(consent) -> bool:
    """The helper must not answer for their guardian, even from the same phone browser."""
    return current_user.is_authenticated and current_user.id == consent.helper.user_id


@bp.route("/consent/<token>", methods=["GET", "POST"])
@public
def consent_page(token: str):
    consent = _consent_or_404(token)
    if consent is None:
        return _invalid_link()
    form = ConsentForm()
    own = _own_child_link(consent)
    if form.validate_on_submit() and not own:
        try:
            give_consent(consent, via="link")
        except ConsentError as exc:
            flash(
                _("Your consent had already been recorded.")
                if exc.code == "already_given"
                else _("This request is closed. Ask the coordinator for a new one."),
                "warning",
            )
        else:
            db.session.commit()
            flash(_("Thank you! Your consent has been recorded."), "info")
        return redirect(url_for("helpers.consent_page", token=token))
    return render_template(
        "helpers/consent.html",
        consent=consent,
        helper=consent.helper,
        paragraphs=consent_paragraphs(consent),
        form=form,
        withdraw_form=WithdrawConsentForm(),
        own_child=own,
        is_current=consent.helper.current_consent is consent,
        token=token,
        public_base_url=current_app.config["PUBLIC_BASE_URL"],
    )


@bp.route("/consent/<token>/withdraw", methods=["POST"])
@public
def consent_withdraw(token: str):
    consent = _consent_or_404(token)
    if consent is None:
        return _invalid_link()
    form = WithdrawConsentForm()
    if form.validate_on_submit() and not _own_child_link(consent):
        try:
            status = withdraw_consent(consent, via="link")
        except ConsentError:
            flash(_("This consent is no longer in force."), "warning")
        else:
            db.session.commit()
            flash(
                _("Your consent has been withdrawn.") if status == "withdrawn" else _("Your answer has been recorded."),
                "info",
            )
    return redirect(url_for("helpers.consent_page", token=token))
