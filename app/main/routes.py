from flask import current_app, jsonify, redirect, render_template, session, url_for
from flask_login import current_user

from app.extensions import csrf, db
from app.main.blueprint import bp
from app.main.forms import LanguageForm
from app.main.services import coordinator_overview, database_ok
from app.security import public, roles_required, safe_next
from app.ui import blocks_for


@bp.route("/")
@public
def index():
    return render_template("main/index.html")


@bp.route("/healthz")
@public
@csrf.exempt
def healthz():
    ok = database_ok()
    return jsonify(status="ok" if ok else "error", database="reachable" if ok else "unreachable"), (200 if ok else 503)


@bp.route("/lang", methods=["POST"])
@public
def set_language():
    form = LanguageForm()
    if form.validate_on_submit() and form.lang.data in current_app.config["LANGUAGES"]:
        session["lang"] = form.lang.data
        if current_user.is_authenticated:
            current_user.locale = form.lang.data
            db.session.commit()
    return redirect(safe_next(url_for("main.index")))


@bp.route("/coordinator")
@roles_required("coordinator", "admin")
def coordinator_home():
    return render_template(
        "main/coordinator_home.html",
        overview=coordinator_overview(current_user),
        organizations=[org.name for org in current_user.organizations],
        home_blocks=blocks_for("coordinator_home"),
    )


@bp.route("/helper")
@roles_required("helper")
def helper_home():
    profile = current_user.helper_profile
    return render_template("main/helper_home.html", profile=profile, home_blocks=blocks_for("helper_home", profile))
