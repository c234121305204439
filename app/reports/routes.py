"""Report pages, the CSV export and the helper's certificate."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import format_datetime, format_decimal
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from app.audit import record
from app.extensions import db
from app.i18n import current_language, to_local
from app.models import Municipality, Organization, utcnow
from app.reports.blueprint import bp
from app.reports.cache import report_for
from app.reports.certificate import CertificateInput, build_certificate, certificate_filename
from app.reports.csv_export import write_csv
from app.reports.figures import build_figures, chart_json, page_cell
from app.reports.forms import DEFAULT_PRESET, PRESETS, ReportFilterForm, preset_period
from app.reports.scope import (
    ReportError,
    ReportScope,
    allowed_municipalities,
    allowed_organizations,
    build_scope,
    municipality_name,
)
from app.reports.volunteering import (
    certificate_facts,
    helper_for_certificate,
    helper_hours_page,
    issuing_coordinator,
)
from app.security import roles_required

LANGUAGES = ("fi", "sv", "en")
FILTER_KEYS = ("date_from", "date_to", "municipality", "organization")

SCOPE_ERRORS = {
    "period_order": ("date_to", "The last day must be the same as or after the first day."),
    "period_too_long": ("date_to", "A report can cover at most five years."),
    "organization": ("organization", "Choose one of your own organizations."),
    "municipality": ("municipality", "Choose one of your own municipalities."),
}


def _today():
    return to_local(utcnow()).date()


def _filter_form(args: MultiDict) -> tuple[ReportFilterForm, ReportScope | None]:
    """The filter form from the query string, and the scope if the filters are valid.

    A preset link (``?preset=this_month``) fills in its dates; with no dates
    at all the default period is used.
    """
    data = MultiDict(args)
    preset = args.get("preset")
    if preset not in PRESETS and not args.get("date_from") and not args.get("date_to"):
        preset = DEFAULT_PRESET
    if preset in PRESETS:
        since, until = preset_period(preset, _today())
        data.setlist("date_from", [since.isoformat()])
        data.setlist("date_to", [until.isoformat()])
    form = ReportFilterForm(formdata=data)
    municipalities = allowed_municipalities(current_user)
    organizations = allowed_organizations(current_user)
    language = current_language()
    form.municipality.choices = [("", _("All"))] + [(str(m.id), municipality_name(m, language)) for m in municipalities]
    form.organization.choices = [("", _("All"))] + [(str(o.id), o.name) for o in organizations]
    if not form.validate():
        return form, None
    try:
        scope = build_scope(
            current_user,
            since=form.date_from.data,
            until=form.date_to.data,
            organization_id=form.id_or_none(form.organization.data),
            municipality_id=form.id_or_none(form.municipality.data),
            now=utcnow(),
        )
    except ReportError as exc:
        field_name, message = SCOPE_ERRORS[exc.code]
        form[field_name].errors = [*form[field_name].errors, _(message)]
        return form, None
    return form, scope


def _filter_args(form: ReportFilterForm) -> dict[str, str]:
    """The current filters as query arguments (for the export link and preset links)."""
    args = {key: form[key]._value() if key.startswith("date") else (form[key].data or "") for key in FILTER_KEYS}
    return {k: v for k, v in args.items() if v}


def _preset_links(form: ReportFilterForm, scope: ReportScope | None) -> list[dict[str, Any]]:
    keep = {k: v for k, v in _filter_args(form).items() if not k.startswith("date")}
    today = _today()
    links = []
    for code, label in PRESETS.items():
        since, until = preset_period(code, today)
        current = scope is not None and (scope.since, scope.until) == (since, until)
        links.append({"label": label, "url": url_for("reports.index", preset=code, **keep), "current": current})
    return links


def _chosen_names(form: ReportFilterForm, scope: ReportScope) -> tuple[str, str]:
    """Names of the chosen municipality and organization ("All" when none was chosen)."""
    municipality = organization = _("All")
    if scope.municipality_id is not None:
        municipality = municipality_name(db.session.get(Municipality, scope.municipality_id), current_language())
    org_id = form.id_or_none(form.organization.data)
    if org_id is not None:
        org = db.session.get(Organization, org_id)
        organization = org.name if org else organization
    return municipality, organization


def _cache_minutes() -> int:
    seconds = current_app.config["REPORT_CACHE_SECONDS"]
    return max(1, round(seconds / 60)) if seconds > 0 else 0


@bp.route("/")
@roles_required("coordinator", "admin")
def index():
    form, scope = _filter_form(request.args)
    report = figures = None
    page_data: dict[str, Any] = {}
    if scope is not None:
        report = report_for(scope, locale=current_language(), fresh=request.args.get("fresh") == "1")
        figures = build_figures(report)
        page_data = {
            "charts": {f.key: chart_json(f) for f in figures if f.chart and f.rows},
            "map": {
                "tiles": current_app.config["MAP_TILE_URL"],
                "attribution": current_app.config["MAP_TILE_ATTRIBUTION"],
                "points": [
                    {
                        "lat": p.lat,
                        "lon": p.lon,
                        "label": p.village or p.municipality,
                        "municipality": p.municipality,
                        "requests": p.requests,
                        "helpers": p.helpers,
                    }
                    for p in report.map_points
                ],
                "text": {"requests": _("Requests"), "helpers": _("Helpers")},
            },
        }
    return render_template(
        "reports/index.html",
        form=form,
        scope=scope,
        report=report,
        figures={f.key: f for f in figures} if figures else {},
        page_data=page_data,
        presets=_preset_links(form, scope),
        export_args=_filter_args(form),
        chosen=_chosen_names(form, scope) if scope else None,
        cell=page_cell,
        cache_minutes=_cache_minutes(),
    )


@bp.route("/export.csv")
@roles_required("coordinator", "admin")
def export_csv():
    form, scope = _filter_form(request.args)
    if scope is None:
        flash(_("Check the report's filters before exporting."), "error")
        return redirect(url_for("reports.index", **_filter_args(form)))
    language = current_language()
    report = report_for(scope, locale=language)
    municipality, organization = _chosen_names(form, scope)
    meta = [
        [_("Report"), _("Everyday rescuers")],
        [_("First day"), scope.since.isoformat()],
        [_("Last day"), scope.until.isoformat()],
        [_("Municipality"), municipality],
        [_("Organization"), organization],
        [_("Made"), format_datetime(report.scope.now, "yyyy-MM-dd HH:mm")],
        [_("Small numbers"), _("Numbers from 1 to 4 are shown as <5 so that no one can be recognised.")],
    ]
    body = write_csv(meta, build_figures(report), language)
    stem = {"fi": "raportti", "sv": "rapport"}.get(language, "report")
    filename = f"{stem}-{scope.since.isoformat()}-{scope.until.isoformat()}.csv"
    return Response(
        body.encode("utf-8"),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "private, no-store",
        },
    )


# --- Volunteering: per-helper hours and the certificate ---------------------------


def _certificate_language() -> str:
    lang = request.args.get("lang")
    return lang if lang in LANGUAGES else current_language()


def _pdf_response(helper, *, issued_by) -> Response:
    language = _certificate_language()
    now = utcnow()
    facts = certificate_facts(helper, now=now)
    data = CertificateInput(
        facts=facts,
        organization=helper.organization,
        coordinator=issuing_coordinator(helper, issued_by),
        issued_on=to_local(now).date(),
        language=language,
    )
    pdf = build_certificate(data)
    filename = certificate_filename(f"{helper.first_name}-{helper.last_name}", language)
    ascii_name = filename.encode("ascii", "ignore").decode() or "certificate.pdf"
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}",
            "Cache-Control": "private, no-store",
        },
    )


@bp.route("/certificate")
@roles_required("helper")
def my_certificate():
    helper = current_user.helper_profile
    if helper is None:
        abort(404)
    facts = certificate_facts(helper, now=utcnow())
    language = current_language()
    return render_template(
        "reports/my_certificate.html",
        facts=facts,
        task_names=", ".join(t.name(language) for t in facts.task_types),
        languages=LANGUAGES,
        chosen=_certificate_language(),
        format_decimal=format_decimal,
    )


@bp.route("/certificate.pdf")
@roles_required("helper")
def certificate_pdf():
    helper = current_user.helper_profile
    if helper is None:
        abort(404)
    if not certificate_facts(helper, now=utcnow()).has_anything:
        flash(_("There is nothing to certify yet: the certificate is ready after your first errand."), "info")
        return redirect(url_for("reports.my_certificate"))
    return _pdf_response(helper, issued_by=None)


@bp.route("/certificate/<int:helper_id>.pdf")
@roles_required("coordinator", "admin")
def helper_certificate(helper_id: int):
    helper = helper_for_certificate(current_user, helper_id)
    if helper is None:
        abort(404)
    if not certificate_facts(helper, now=utcnow()).has_anything:
        flash(
            _("%(name)s has not done any errands or encounters yet.", name=helper.first_name),
            "info",
        )
        return redirect(url_for("reports.helpers"))
    response = _pdf_response(helper, issued_by=current_user)
    record("helper.certificate_downloaded", helper, language=_certificate_language())
    db.session.commit()
    return response


@bp.route("/helpers")
@roles_required("coordinator", "admin")
def helpers():
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    per_page = current_app.config["PAGE_SIZE"]
    rows, total = helper_hours_page(current_user, page=page, per_page=per_page, now=utcnow())
    pages = max((total + per_page - 1) // per_page, 1)
    return render_template(
        "reports/helpers.html", rows=rows, total=total, page=page, pages=pages, format_decimal=format_decimal
    )
