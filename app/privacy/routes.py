"""Coordinator pages: a person's data export (readable page, PDF and JSON file) and
the erasure of an older resident or a contact person; and the helper's own page
for deleting their account (at its address among the helper's pages)."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, logout_user

from app.audit import record
from app.elders.search import can_manage as can_manage_elder
from app.errands.lifecycle import upcoming_assignments
from app.extensions import db
from app.helpers.forms import DeleteAccountForm
from app.helpers.services import can_manage as can_manage_helper
from app.i18n import current_language
from app.models import ContactPerson, Elder, HelperProfile
from app.privacy import labels
from app.privacy.accounts import delete_helper_account
from app.privacy.blueprint import bp
from app.privacy.collect import PersonData, collect_contact, collect_elder, collect_helper, export_json
from app.privacy.erasure import ErasureError, erase_contact, erase_elder
from app.privacy.forms import EraseForm
from app.privacy.pdf import export_pdf
from app.security import roles_required

STAFF = ("coordinator", "admin")

ERASURE_ERRORS = {
    "coming_errands": _l("They still have coming errands. Cancel those first; then the data can be erased."),
    "already_erased": _l("This person's personal data has already been erased."),
    "reason_required": _l("Write the reason without names or phone numbers."),
}


@bp.context_processor
def _helpers() -> dict:
    return {"privacy_labels": labels}


def _elder(elder_id: int) -> Elder:
    elder = db.get_or_404(Elder, elder_id)
    if not can_manage_elder(current_user, elder):
        abort(403)
    return elder


def _contact(contact_id: int) -> ContactPerson:
    contact = db.get_or_404(ContactPerson, contact_id)
    if not can_manage_elder(current_user, contact.elder):
        abort(403)
    return contact


def _helper(helper_id: int) -> HelperProfile:
    profile = db.get_or_404(HelperProfile, helper_id)
    if not can_manage_helper(current_user, profile):
        abort(403)
    return profile


def _export(data: PersonData, subject, *, fmt: str, back: str = "", json_url: str = "", pdf_url: str = ""):
    """Write ``person.export`` to the audit log and send the page or the file,
    committing once it is made (the page renders before the commit, so nothing
    it shows is expired and read again while the template renders)."""
    record("person.export", subject, kind=data.kind, format=fmt)
    if fmt in ("json", "pdf"):
        if fmt == "json":
            response = Response(export_json(data), mimetype="application/json")
        else:
            response = Response(export_pdf(data, language=current_language()), mimetype="application/pdf")
        filename = f"arjen-pelastajat-{data.kind}-{data.person_id}-{data.exported_at:%Y%m%d}.{fmt}"
        response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    else:
        response = Response(
            render_template("privacy/export.html", data=data, back=back, json_url=json_url, pdf_url=pdf_url)
        )
    response.headers["Cache-Control"] = "no-store"
    db.session.commit()
    return response


def _links(endpoint: str, **ids) -> dict[str, str]:
    return {
        "json_url": url_for(f".{endpoint}_file", fmt="json", **ids),
        "pdf_url": url_for(f".{endpoint}_file", fmt="pdf", **ids),
    }


@bp.route("/privacy/elders/<int:elder_id>/export")
@roles_required(*STAFF)
def export_elder(elder_id: int):
    elder = _elder(elder_id)
    back = url_for("elders.show_elder", elder_id=elder.id)
    return _export(collect_elder(elder), elder, fmt="html", back=back, **_links("export_elder", elder_id=elder.id))


@bp.route("/privacy/elders/<int:elder_id>/export.<any(json, pdf):fmt>")
@roles_required(*STAFF)
def export_elder_file(elder_id: int, fmt: str):
    elder = _elder(elder_id)
    return _export(collect_elder(elder), elder, fmt=fmt)


@bp.route("/privacy/contacts/<int:contact_id>/export")
@roles_required(*STAFF)
def export_contact(contact_id: int):
    contact = _contact(contact_id)
    back = url_for("elders.show_elder", elder_id=contact.elder_id)
    links = _links("export_contact", contact_id=contact.id)
    return _export(collect_contact(contact), contact, fmt="html", back=back, **links)


@bp.route("/privacy/contacts/<int:contact_id>/export.<any(json, pdf):fmt>")
@roles_required(*STAFF)
def export_contact_file(contact_id: int, fmt: str):
    contact = _contact(contact_id)
    return _export(collect_contact(contact), contact, fmt=fmt)


@bp.route("/privacy/helpers/<int:helper_id>/export")
@roles_required(*STAFF)
def export_helper(helper_id: int):
    profile = _helper(helper_id)
    back = url_for("helpers.helper_detail", helper_id=profile.id) if profile.status != "deleted" else ""
    links = _links("export_helper", helper_id=profile.id)
    return _export(collect_helper(profile), profile, fmt="html", back=back, **links)


@bp.route("/privacy/helpers/<int:helper_id>/export.<any(json, pdf):fmt>")
@roles_required(*STAFF)
def export_helper_file(helper_id: int, fmt: str):
    profile = _helper(helper_id)
    return _export(collect_helper(profile), profile, fmt=fmt)


def _erase(subject, erase, *, name: str, kind: str, back: str, done: str):
    """The erasure form of ``subject``: on a confirmed post ``erase`` runs and commits;
    a refusal or a mistake shows the form again (400) with the reason typed kept."""
    form = EraseForm()
    if form.validate_on_submit():
        try:
            erase(subject, by=current_user, reason=form.reason.data)
        except ErasureError as exc:
            db.session.rollback()
            form.form_errors.append(str(ERASURE_ERRORS[exc.code]))
        else:
            db.session.commit()
            flash(done, "success")
            return redirect(back)
    page = render_template("privacy/erase.html", form=form, name=name, kind=kind, back=back)
    return page, 400 if form.errors else 200


@bp.route("/privacy/elders/<int:elder_id>/erase", methods=["GET", "POST"])
@roles_required(*STAFF)
def erase_elder_page(elder_id: int):
    elder = _elder(elder_id)
    back = url_for("elders.show_elder", elder_id=elder.id)
    if elder.erased_at is not None:
        flash(str(ERASURE_ERRORS["already_erased"]), "info")
        return redirect(back)
    done = _("The personal data of the older resident was erased.")
    return _erase(elder, erase_elder, name=elder.full_name, kind="elder", back=back, done=done)


@bp.route("/privacy/contacts/<int:contact_id>/erase", methods=["GET", "POST"])
@roles_required(*STAFF)
def erase_contact_page(contact_id: int):
    contact = _contact(contact_id)
    back = url_for("elders.show_elder", elder_id=contact.elder_id)
    done = _("The contact person's personal data was erased.")
    return _erase(contact, erase_contact, name=contact.name, kind="contact", back=back, done=done)


@bp.route("/helpers/me/delete", methods=["GET", "POST"])
@roles_required("helper")
def delete_account():
    profile = current_user.helper_profile
    if profile is None or profile.status == "deleted":
        abort(404)
    form = DeleteAccountForm()
    if form.validate_on_submit():
        delete_helper_account(profile)
        db.session.commit()
        logout_user()
        lang = session.get("lang")
        session.clear()
        if lang:
            session["lang"] = lang
        flash(_("Your account has been deleted. Thank you for everything you did!"), "info")
        return redirect(url_for("main.index"))
    return (
        render_template("helpers/delete.html", form=form, profile=profile, upcoming=len(upcoming_assignments(profile))),
        400 if form.errors else 200,
    )
