"""Administration pages (admins only): organizations, coordinators, task types."""

import sqlalchemy as sa
from flask import abort, flash, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload

from app.admin import services
from app.admin.blueprint import bp
from app.admin.forms import (
    ADMIN_ERRORS,
    ORGANIZATION_KIND_LABELS,
    ActiveForm,
    CoordinatorForm,
    OrganizationForm,
    PartnershipForm,
    RemovePartnerForm,
    TaskTypeForm,
)
from app.elders.forms import municipality_label, options
from app.extensions import db
from app.i18n import current_language
from app.models import Municipality, Organization, TaskType, User
from app.phones import display_phone
from app.security import roles_required


@bp.context_processor
def _helpers() -> dict:
    return {"kind_labels": ORGANIZATION_KIND_LABELS}


@bp.route("/")
@roles_required("admin")
def index():
    organizations = db.session.scalars(
        sa.select(Organization).order_by(Organization.name).options(selectinload(Organization.municipalities))
    ).all()
    return render_template(
        "admin/index.html",
        organizations=organizations,
        coordinators=services.coordinators(),
        active_form=ActiveForm(),
    )


def _add_error(form, exc: services.AdminError) -> None:
    message = str(ADMIN_ERRORS.get(exc.code, exc.code))
    if exc.field and exc.field in form:
        form[exc.field].errors.append(message)
    else:
        form.form_errors.append(message)


# --------------------------------------------------------------------------
# Organizations
# --------------------------------------------------------------------------


def _organization_form(org: Organization | None) -> OrganizationForm:
    form = OrganizationForm()
    municipalities = db.session.scalars(sa.select(Municipality).order_by(Municipality.name)).all()
    form.municipalities.choices = options((m.id, municipality_label(m)) for m in municipalities)
    if org is not None and not form.is_submitted():
        form.name.data, form.kind.data = org.name, org.kind
        form.municipalities.data = [str(m.id) for m in org.municipalities]
        form.phone.data, form.email.data = display_phone(org.phone), org.email
        form.is_active.data = org.is_active
    return form


def _save_organization(org: Organization | None):
    form = _organization_form(org)
    if form.validate_on_submit():
        data = services.OrganizationInput(
            name=form.name.data,
            kind=form.kind.data,
            municipality_ids=tuple(int(v) for v in form.municipalities.data),
            phone=form.phone.parsed.e164 if form.phone.parsed else None,
            email=form.email.data or None,
            is_active=bool(form.is_active.data),
        )
        try:
            saved = services.save_organization(data, org)
        except services.AdminError as exc:
            _add_error(form, exc)
        else:
            db.session.commit()
            flash(_("Organization %(name)s saved.", name=saved.name), "success")
            return redirect(url_for(".index"))
    status = 400 if form.errors else 200
    return render_template("admin/organization_form.html", form=form, org=org), status


@bp.route("/organizations/new", methods=["GET", "POST"])
@roles_required("admin")
def new_organization():
    return _save_organization(None)


@bp.route("/organizations/<int:org_id>", methods=["GET", "POST"])
@roles_required("admin")
def edit_organization(org_id: int):
    return _save_organization(db.get_or_404(Organization, org_id))


# --------------------------------------------------------------------------
# Partnerships
# --------------------------------------------------------------------------


def _partnership_page(org: Organization, form: PartnershipForm | None = None, status: int = 200):
    current = services.partners(org)
    taken = {o.id for o in current} | {org.id}
    form = form or PartnershipForm()
    others = db.session.scalars(
        sa.select(Organization).where(Organization.is_active.is_(True)).order_by(Organization.name)
    ).all()
    form.partner.choices = options([("", "")] + [(o.id, o.name) for o in others if o.id not in taken])
    return (
        render_template("admin/partners.html", org=org, partners=current, form=form, remove_form=RemovePartnerForm()),
        status,
    )


@bp.route("/organizations/<int:org_id>/partners", methods=["GET", "POST"])
@roles_required("admin")
def partners(org_id: int):
    org = db.get_or_404(Organization, org_id)
    form = PartnershipForm()
    if not form.is_submitted():
        return _partnership_page(org, form)
    _partnership_page(org, form)  # fills the choices the form validates against
    if form.validate():
        try:
            partner = services.add_partnership(org, int(form.partner.data), by=current_user)
        except services.AdminError as exc:
            _add_error(form, exc)
        else:
            db.session.commit()
            flash(_("%(a)s and %(b)s are now partners.", a=org.name, b=partner.name), "success")
            return redirect(url_for(".partners", org_id=org.id))
    return _partnership_page(org, form, 400)


@bp.route("/organizations/<int:org_id>/partners/<int:partner_id>/remove", methods=["POST"])
@roles_required("admin")
def remove_partner(org_id: int, partner_id: int):
    org = db.get_or_404(Organization, org_id)
    if not RemovePartnerForm().validate_on_submit():
        abort(400)
    if services.remove_partnership(org, partner_id, by=current_user):
        db.session.commit()
        flash(_("The partnership was ended."), "success")
    return redirect(url_for(".partners", org_id=org.id))


# --------------------------------------------------------------------------
# Coordinators
# --------------------------------------------------------------------------


def _coordinator_form(user: User | None) -> CoordinatorForm:
    form = CoordinatorForm()
    orgs = db.session.scalars(sa.select(Organization).order_by(Organization.name)).all()
    keep = {o.id for o in user.organizations} if user else set()
    form.organizations.choices = options((o.id, o.name) for o in orgs if o.is_active or o.id in keep)
    if user is not None and not form.is_submitted():
        form.name.data, form.email.data, form.phone.data = user.name, user.email, display_phone(user.phone)
        form.organizations.data = [str(o.id) for o in user.organizations]
    return form


def _coordinator_input(form: CoordinatorForm) -> services.CoordinatorInput:
    return services.CoordinatorInput(
        name=form.name.data,
        email=form.email.data,
        phone=form.phone.parsed.e164 if form.phone.parsed else None,
        organization_ids=tuple(int(v) for v in form.organizations.data),
        password=form.password.data or None,
    )


@bp.route("/coordinators/new", methods=["GET", "POST"])
@roles_required("admin")
def new_coordinator():
    form = _coordinator_form(None)
    if form.validate_on_submit():
        try:
            user, generated = services.create_coordinator(_coordinator_input(form))
        except services.AdminError as exc:
            _add_error(form, exc)
        else:
            db.session.commit()
            # Shown once, on this response only: never put in the session, a flash or a log.
            response = make_response(render_template("admin/coordinator_created.html", user=user, password=generated))
            response.headers["Cache-Control"] = "no-store"
            return response
    return render_template("admin/coordinator_form.html", form=form, user=None), 400 if form.errors else 200


def _coordinator(user_id: int) -> User:
    user = db.get_or_404(User, user_id)
    if user.role != "coordinator":
        abort(404)
    return user


@bp.route("/coordinators/<int:user_id>", methods=["GET", "POST"])
@roles_required("admin")
def edit_coordinator(user_id: int):
    user = _coordinator(user_id)
    form = _coordinator_form(user)
    if form.validate_on_submit():
        try:
            services.update_coordinator(user, _coordinator_input(form))
        except services.AdminError as exc:
            _add_error(form, exc)
        else:
            db.session.commit()
            flash(_("Coordinator %(name)s saved.", name=user.name), "success")
            return redirect(url_for(".index"))
    return render_template(
        "admin/coordinator_form.html", form=form, user=user, active_form=ActiveForm()
    ), 400 if form.errors else 200


@bp.route("/coordinators/<int:user_id>/active", methods=["POST"])
@roles_required("admin")
def set_coordinator_active(user_id: int):
    user = _coordinator(user_id)
    form = ActiveForm()
    if form.validate_on_submit():
        try:
            changed = services.set_coordinator_active(user, form.active.data == "1", by=current_user)
        except services.AdminError as exc:
            flash(str(ADMIN_ERRORS.get(exc.code, exc.code)), "error")
        else:
            db.session.commit()
            if changed and user.active:
                flash(_("%(name)s can log in again.", name=user.name), "success")
            elif changed:
                flash(_("%(name)s was deactivated and logged out everywhere.", name=user.name), "success")
    return redirect(url_for(".index"))


# --------------------------------------------------------------------------
# Task types
# --------------------------------------------------------------------------


@bp.route("/task-types", methods=["GET", "POST"])
@roles_required("admin")
def task_types():
    form = TaskTypeForm()
    if form.validate_on_submit():
        data = services.TaskTypeInput(
            code=form.code.data,
            name_fi=form.name_fi.data,
            name_sv=form.name_sv.data,
            name_en=form.name_en.data,
            sort_order=form.sort_order.data,
        )
        try:
            added = services.add_task_type(data)
        except services.AdminError as exc:
            _add_error(form, exc)
        else:
            db.session.commit()
            flash(_("Task type %(name)s added.", name=added.name(current_language())), "success")
            return redirect(url_for(".task_types"))
    return render_template(
        "admin/task_types.html", form=form, task_types=services.task_types(), active_form=ActiveForm()
    ), 400 if form.errors else 200


@bp.route("/task-types/<int:task_type_id>/active", methods=["POST"])
@roles_required("admin")
def set_task_type_active(task_type_id: int):
    task_type = db.get_or_404(TaskType, task_type_id)
    form = ActiveForm()
    if form.validate_on_submit() and services.set_task_type_active(task_type, form.active.data == "1"):
        db.session.commit()
        flash(_("Task type %(name)s saved.", name=task_type.name(current_language())), "success")
    return redirect(url_for(".task_types"))
