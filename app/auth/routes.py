from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from app.audit import record
from app.auth import bp
from app.auth.forms import LoginForm, LogoutForm
from app.auth.services import authenticate, home_endpoint
from app.extensions import db
from app.security import is_safe_next, login_only, public


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    if current_user.is_authenticated:
        return redirect(url_for(home_endpoint(current_user)))
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        user = authenticate(form.email.data, form.password.data)
        if user is None:
            form.password.errors.append(_("Wrong email or password."))
        else:
            lang = session.get("lang")
            session.clear()  # a fresh session on login: no fixation
            if lang:
                session["lang"] = lang
            login_user(user, remember=form.remember.data)
            record("login", user, actor=user)
            db.session.commit()
            target = form.next.data if is_safe_next(form.next.data) else url_for(home_endpoint(user))
            return redirect(target)
    return render_template("auth/login.html", form=form), 200 if not form.errors else 400


@bp.route("/logout", methods=["POST"])
@login_only
def logout():
    form = LogoutForm()
    if form.validate_on_submit():
        logout_user()
        lang = session.get("lang")
        session.clear()
        if lang:
            session["lang"] = lang
        flash(_("You have logged out."), "info")
    return redirect(url_for("main.index"))
