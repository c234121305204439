"""Coordinator pages for older residents. Helpers never reach any of them."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload, selectinload, undefer

from app import audit
from app.elders import intake, labels, location, problems, search
from app.elders.blueprint import bp
from app.elders.forms import (
    ElderForm,
    PlaceForm,
    SearchForm,
    StatusForm,
    municipality_label,
    options,
    village_choices,
)
from app.extensions import db
from app.geocoding import get_geocoder
from app.inputs import to_int
from app.models import Elder, Organization, User, Village
from app.relations import relation_label
from app.security import roles_required
from app.ui import blocks_for, facts

STAFF = ("coordinator", "admin")


@bp.context_processor
def _helpers() -> dict:
    return {
        "labels": labels,
        "relation_label": relation_label,
        "elder_flags": search.flags,
        "profile_hints": {code: description for code, (_name, description) in labels.PROFILES.items()},
    }


#: What the elder's page shows besides the row itself, loaded by the view (templates run no queries).
PAGE_LOADS = (
    undefer(Elder.access_notes),
    undefer(Elder.health_notes),
    selectinload(Elder.contacts),
    joinedload(Elder.organization),
)


def _load(elder_id: int) -> Elder:
    elder = db.get_or_404(Elder, elder_id)
    if not search.can_manage(current_user, elder):
        abort(403)
    return elder


def _load_changeable(elder_id: int) -> Elder | None:
    """The resident to change, or None (with a message) when their data was erased."""
    elder = _load(elder_id)
    if elder.erased_at is not None:
        flash(_("The personal data of this person was erased: nothing can be changed or added."), "warning")
        return None
    return elder


@bp.route("/")
@roles_required(*STAFF)
def list_elders():
    municipalities = intake.municipalities_with_villages()
    form = SearchForm(request.args)
    form.municipality.choices = options(((m.id, municipality_label(m)) for m in municipalities), blank=_("All"))
    flt = search.ElderFilter(
        q=(form.q.data or "")[:80],
        municipality_id=to_int(form.municipality.data),
        status=form.status.data or None,
        needs_attention=bool(form.attention.data),
        erased=form.erased.data if form.erased.data in ("include", "only") else "",
    )
    page = db.paginate(
        search.search_elders(current_user, flt),
        page=request.args.get("page", 1, type=int),
        per_page=current_app.config["PAGE_SIZE"],
        error_out=False,
    )
    if flt.q.strip() and page.total == 1 and page.page == 1:  # the one person asked for: open them
        return redirect(url_for(".show_elder", elder_id=page.items[0].id))
    args = {k: v for k, v in request.args.items() if k in ("q", "municipality", "status", "attention", "erased") and v}
    return render_template("elders/list.html", form=form, page=page, args=args, filtered=bool(args))


def _form_page(
    template: str,
    form: ElderForm,
    elder: Elder | None = None,
    *,
    focus: str | None = None,
    status=200,
    duplicates: list[Elder] | None = None,
):
    """Render the form with the cursor where the coordinator continues: the first name,
    a newly added contact row, or (with errors) the error summary, which elders.js focuses."""
    form.first_name.render_kw = {"autocomplete": "off"}
    if not form.errors:
        target = form.first_name
        for entry in form.contacts.entries:
            if entry.form.name.id == focus:
                target = entry.form.name
        target.render_kw = {**(target.render_kw or {}), "autofocus": True}
    return render_template(template, form=form, elder=elder, duplicates=duplicates or []), status


def _new_form(elder: Elder | None = None) -> tuple[ElderForm, list[Organization]]:
    organizations = intake.organizations_for(current_user, keep=elder.organization_id if elder else None)
    form = ElderForm()
    form.set_choices(organizations, intake.municipalities_with_villages())
    return form, organizations


def _add_contact_row(form: ElderForm) -> str:
    if len(form.contacts.entries) < (form.contacts.max_entries or 10):
        form.contacts.append_entry()
    return form.contacts.entries[-1].form.name.id


@bp.route("/new", methods=["GET", "POST"])
@roles_required(*STAFF)
def new_elder():
    form, organizations = _new_form()
    if not organizations:
        return render_template("elders/no_organization.html")
    if request.method == "GET":
        org = intake.default_organization(organizations, None)
        if org is not None:
            form.organization_id.data = str(org.id)
            if len(org.municipalities) == 1:
                form.municipality_id.data = str(org.municipalities[0].id)
    elif form.add_contact.data:  # "Add another contact person": nothing is saved yet
        return _form_page("elders/new.html", form, focus=_add_contact_row(form))
    elif not form.organization_id.data:
        org = intake.default_organization(organizations, to_int(form.municipality_id.data))
        form.organization_id.data = str(org.id) if org is not None else ""
    if form.validate_on_submit():
        data = form.to_input()
        duplicates = [] if form.confirm_new.data else _duplicates(data)
        if duplicates:  # "Is this the same person?" before a second record is made
            form.confirm_new.data = "1"
            return _form_page("elders/new.html", form, duplicates=duplicates)
        try:
            elder = intake.create_elder(data, by=current_user, geocoder=get_geocoder())
        except problems.ElderInputError as exc:
            form.add_problems(exc.problems)
        else:
            db.session.commit()
            _flash_saved(elder, created=True)
            if form.submit_request.data:
                return redirect(url_for("errands.new_request", elder=elder.id))
            return redirect(url_for(".show_elder", elder_id=elder.id))
    return _form_page("elders/new.html", form, status=400 if form.errors else 200)


def _duplicates(data: intake.ElderInput) -> list[Elder]:
    return search.possible_duplicates(
        current_user,
        first_name=data.first_name,
        last_name=data.last_name,
        birth_year=data.birth_year,
        phones=[p for p in (data.phone, *(c.phone for c in data.kept_contacts)) if p],
        street_address=data.street_address,
        municipality_id=data.municipality_id,
    )


@bp.route("/<int:elder_id>/edit", methods=["GET", "POST"])
@roles_required(*STAFF)
def edit_elder(elder_id: int):
    elder = _load_changeable(elder_id)
    if elder is None:
        return redirect(url_for(".show_elder", elder_id=elder_id))
    form, _organizations = _new_form(elder)
    if request.method == "GET":
        form.fill_from(elder)
        logged = audit.record_notes_viewed(elder, page="edit")
        page = _form_page("elders/edit.html", form, elder)
        if logged:  # after rendering: a commit would expire what the template reads
            db.session.commit()
        return page
    if form.add_contact.data:
        return _form_page("elders/edit.html", form, elder, focus=_add_contact_row(form))
    if form.validate_on_submit():
        try:
            changed = intake.update_elder(elder, form.to_input(), by=current_user, geocoder=get_geocoder())
        except problems.ElderInputError as exc:
            form.add_problems(exc.problems)
        else:
            db.session.commit()
            if changed:
                _flash_saved(elder, created=False, address_changed=bool(intake.ADDRESS_FIELDS & set(changed)))
            else:
                flash(_("Nothing was changed."), "info")
            return redirect(url_for(".show_elder", elder_id=elder.id))
    return _form_page("elders/edit.html", form, elder, status=400 if form.errors else 200)


def _flash_saved(elder: Elder, *, created: bool, address_changed: bool = True) -> None:
    flash(_("%(name)s was saved.", name=elder.full_name), "success")
    if address_changed and elder.geocode_status == "failed":
        flash(
            _("The address was not found on the map. The details are saved: place them on the map by hand below."),
            "warning",
        )
    elif address_changed and elder.geocode_status == "approximate":
        flash(_("The map point is approximate (the village, postal code area or municipal centre)."), "info")
    others = search.same_phone_elsewhere(elder, current_user)
    if created and others:
        flash(
            _("The same phone number is also recorded for: %(names)s.", names=", ".join(o.full_name for o in others)),
            "warning",
        )


def _show(elder: Elder, *, place_form: PlaceForm | None = None, status_form: StatusForm | None = None, status=200):
    municipalities = intake.municipalities_with_villages()
    if place_form is None:
        place_form = PlaceForm(prefix="place", formdata=None)
    place_form.village_id.choices = village_choices(municipalities)
    taker = db.session.get(User, elder.consent_taken_by_id) if elder.consent_taken_by_id else None
    return render_template(
        "elders/show.html",
        elder=elder,
        place_form=place_form,
        status_form=status_form or StatusForm(prefix="status", formdata=None),
        consent_taker=taker,
        history=search.history(elder),
        same_phone=search.same_phone_elsewhere(elder, current_user),
        extra_blocks=blocks_for("elder_page", elder),
    ), status


@bp.route("/<int:elder_id>")
@roles_required(*STAFF)
def show_elder(elder_id: int):
    elder = _load(elder_id)
    if elder.erased_at is not None:
        erasure = facts.first("erased_elder", elder)  # lent by app.privacy, which owns erasure
        return render_template("elders/erased.html", elder=elder, erasure=erasure)
    # Only now, allowed: the notes, contacts and organization the page shows.
    db.session.execute(
        sa.select(Elder).where(Elder.id == elder.id).options(*PAGE_LOADS), execution_options={"populate_existing": True}
    ).scalar_one()
    logged = audit.record_notes_viewed(elder, page="show")
    page = _show(elder)
    if logged:  # after rendering: a commit would expire what the template reads
        db.session.commit()
    return page


@bp.route("/<int:elder_id>/place", methods=["POST"])
@roles_required(*STAFF)
def place_elder(elder_id: int):
    elder = _load_changeable(elder_id)
    if elder is None:
        return redirect(url_for(".show_elder", elder_id=elder_id))
    form = PlaceForm(prefix="place")
    form.village_id.choices = village_choices(intake.municipalities_with_villages())
    if form.validate_on_submit():
        village = db.session.get(Village, int(form.village_id.data)) if form.village_id.data else None
        try:
            location.place_by_hand(elder, lat=form.lat_value, lon=form.lon_value, village=village)
        except problems.ElderInputError as exc:
            form.add_problems(exc.problems)
        else:
            db.session.commit()
            flash(_("%(name)s is now on the map.", name=elder.full_name), "success")
            return redirect(url_for(".show_elder", elder_id=elder.id))
    return _show(elder, place_form=form, status=400)


@bp.route("/<int:elder_id>/status", methods=["POST"])
@roles_required(*STAFF)
def set_status(elder_id: int):
    elder = _load_changeable(elder_id)
    if elder is None:
        return redirect(url_for(".show_elder", elder_id=elder_id))
    form = StatusForm(prefix="status")
    if form.validate_on_submit():
        if intake.change_status(elder, form.status.data, reason=(form.reason.data or "").strip()):
            db.session.commit()
            flash(
                _("Status of %(name)s: %(status)s.", name=elder.full_name, status=labels.STATUSES[elder.status]),
                "success",
            )
        return redirect(url_for(".show_elder", elder_id=elder.id))
    return _show(elder, status_form=form, status=400)
