"""The coordinator's week plan: make it, review it as a week grid, lock or change
lines, solve again with the locks, send every offer at once."""

from __future__ import annotations

from datetime import date, timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from app.errands.coordinator.common import COORDINATORS
from app.errands.forms import ActionForm
from app.extensions import db
from app.i18n import today_local
from app.inputs import to_int
from app.models import Organization
from app.planning import service
from app.planning.blueprint import bp
from app.planning.views import WHY, plan_view
from app.policy import may_see_org, scope_organizations
from app.security import roles_required


def _organization(org_id: int) -> Organization:
    org = db.session.get(Organization, org_id)
    if org is None:
        abort(404)
    if not may_see_org(current_user, org.id):
        abort(403)
    return org


def _week(raw: str | None) -> date:
    """The Monday of the asked week; next week when none or not understood."""
    if raw:
        try:
            return service.monday_of(date.fromisoformat(raw))
        except ValueError:
            flash(_("That date was not understood; showing next week."), "warning")
    return service.monday_of(today_local()) + timedelta(days=7)


def _back(org_id: int, week: date):
    return redirect(url_for("planning.week_plan", org_id=org_id, start=week.isoformat()))


@bp.route("/plan")
@roles_required(*COORDINATORS)
def week_plan_home():
    orgs = scope_organizations(current_user)
    if len(orgs) == 1:
        return redirect(url_for("planning.week_plan", org_id=orgs[0].id))
    return render_template("planning/choose.html", organizations=orgs)


@bp.route("/plan/<int:org_id>")
@roles_required(*COORDINATORS)
def week_plan(org_id: int):
    org = _organization(org_id)
    week = _week(request.args.get("start"))
    return render_template(
        "planning/week_plan.html",
        org=org,
        week=week,
        week_end=week + timedelta(days=6),
        view=plan_view(org.id, week),
        why=WHY,
        form=ActionForm(),
        prev_week=week - timedelta(days=7),
        next_week=week + timedelta(days=7),
    )


@bp.route("/plan/<int:org_id>/solve", methods=["POST"])
@roles_required(*COORDINATORS)
def solve(org_id: int):
    org = _organization(org_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    week = _week(request.form.get("start"))
    plan = service.solve_week(org.id, week, by_user=current_user)
    db.session.commit()
    figures = plan.figures.get("plan", {})
    flash(
        _(
            "Plan made: %(covered)s of %(errands)s errands have a helper.",
            covered=figures.get("covered", 0),
            errands=plan.figures.get("errands", 0),
        ),
        "success",
    )
    return _back(org.id, week)


@bp.route("/plan/<int:org_id>/line", methods=["POST"])
@roles_required(*COORDINATORS)
def change_line(org_id: int):
    org = _organization(org_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    week = _week(request.form.get("start"))
    plan = service.stored_plan(org.id, week)
    line_id = to_int(request.form.get("line_id"))
    action = request.form.get("action", "")
    helper_id = to_int(request.form.get("helper_id")) if action == "change" else None
    if plan is None or line_id is None or action not in ("lock", "unlock", "change"):
        flash(_("That line is no longer in the plan. Make the plan again."), "warning")
        return _back(org.id, week)
    if not service.change_line(plan, line_id, helper_id, locked=action != "unlock"):
        flash(_("That helper cannot be chosen for this errand. Choose one of the list."), "error")
        return _back(org.id, week)
    db.session.commit()
    flash(
        _("Line kept. Solve again to plan the rest around it.") if action != "unlock" else _("Line unlocked."),
        "success",
    )
    return _back(org.id, week)


@bp.route("/plan/<int:org_id>/send", methods=["POST"])
@roles_required(*COORDINATORS)
def send(org_id: int):
    org = _organization(org_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    week = _week(request.form.get("start"))
    plan = service.stored_plan(org.id, week)
    if plan is None:
        flash(_("Make the plan first."), "warning")
        return _back(org.id, week)
    sent = service.send_offers(plan, by_user=current_user)
    db.session.commit()
    flash(
        ngettext(
            "%(num)s offer sent to %(helpers)s helpers, one text message each.",
            "%(num)s offers sent to %(helpers)s helpers, one text message each.",
            sent.offers,
            helpers=sent.helpers,
        ),
        "success",
    )
    if sent.refused:
        flash(
            ngettext(
                "%(num)s errand could not be offered any more (taken, cancelled or the helper cannot now).",
                "%(num)s errands could not be offered any more (taken, cancelled or the helper cannot now).",
                sent.refused,
            ),
            "warning",
        )
    return _back(org.id, week)
