from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from app import abuse
from app.audit import record
from app.auth.blueprint import bp
from app.auth.forms import LoginForm, LogoutForm
from app.auth.services import authenticate, home_endpoint, login_limits
from app.auth.sessions import end_session, start_session
from app.extensions import db
from app.security import is_safe_next, login_only, public


def fresh_session() -> None:
    """A fresh Flask session on login and logout (no fixation); the language stays."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    if current_user.is_authenticated:
        return redirect(url_for(home_endpoint(current_user)))
    form = LoginForm(next=request.args.get("next", ""))
    status = 200
    if form.validate_on_submit():
        limits = login_limits(form.email.data)
        refusal = abuse.over_limit(limits)
        user = None if refusal else authenticate(form.email.data, form.password.data)
        if refusal:
            # The same words whether or not the address has an account.
            form.password.errors.append(
                _(
                    "Too many failed attempts. For your safety, logging in is paused: "
                    "try again in %(minutes)s minutes.",
                    minutes=refusal.minutes,
                )
            )
            status = 429
        elif user is None:
            abuse.count(limits)
            form.password.errors.append(_("Wrong email or password."))
        else:
            fresh_session()
            start_session(user, remember=form.remember.data)
            login_user(user, remember=form.remember.data)
            record("login", user, actor=user)
            db.session.commit()
            target = form.next.data if is_safe_next(form.next.data) else url_for(home_endpoint(user))
            return redirect(target)
    if form.errors and status == 200:
        status = 400
    return render_template("auth/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
@login_only
def logout():
    form = LogoutForm()
    if form.validate_on_submit():
        end_session(current_user._get_current_object())
        db.session.commit()
        logout_user()
        fresh_session()
        flash(_("You have logged out."), "info")
    return redirect(url_for("main.index"))
