"""The audit log page (admins only): who did what, and who saw what, with filters."""

from __future__ import annotations

from flask import current_app, render_template, request

from app.admin.audit_log import ACTION_LABELS, SUBJECT_LABELS, AuditFilterForm, actors_of, entries
from app.admin.blueprint import bp
from app.extensions import db
from app.security import roles_required
from app.ui import blocks

blocks.add("admin", "admin/_audit_block.html", order=90)

MAX_PAGE = 100_000
FILTER_ARGS = ("actor", "action", "subject_type", "subject_id", "date_from", "date_to")


@bp.route("/audit")
@roles_required("admin")
def audit_log():
    form = AuditFilterForm(request.args)
    form.set_choices()
    form.validate()
    page = db.paginate(
        entries(form.to_filter()),
        page=min(max(request.args.get("page", 1, type=int) or 1, 1), MAX_PAGE),
        per_page=current_app.config.get("AUDIT_PAGE_SIZE", 50),
        max_per_page=200,
        error_out=False,
        count=True,
    )
    args = {k: v for k, v in request.args.items() if k in FILTER_ARGS and v}
    return render_template(
        "admin/audit.html",
        form=form,
        page=page,
        args=args,
        filtered=bool(args),
        actors=actors_of(page.items),
        action_labels=ACTION_LABELS,
        subject_labels=SUBJECT_LABELS,
    ), (400 if form.errors else 200)
