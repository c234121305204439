"""Encounter pages: the list, logging an encounter, one encounter and its feedback."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app import policy
from app.encounters import labels
from app.encounters.blueprint import bp
from app.encounters.forms import EncounterFilterForm, EncounterForm, FeedbackForm, choices
from app.encounters.operations import MAX_FUTURE, EncounterError, EncounterInput, log_encounter, record_feedback
from app.encounters.queries import (
    EncounterFilter,
    area_choices,
    elder_choices,
    encounter_rows,
    helper_choices,
    met_elder_ids,
    municipality_filter_choices,
    names_for,
    org_scope,
    own_helper_id,
    search_encounters,
    user_names,
    visible_encounters,
)
from app.extensions import db
from app.i18n import HELSINKI, local_midnight
from app.inputs import to_int
from app.models import Encounter, Errand, Organization, utcnow
from app.policy import visible_ids
from app.security import login_only

ENCOUNTER_ERRORS = {
    "no_helpers": _l("Choose at least one young helper."),
    "no_elders": _l("Choose at least one older resident."),
    "helper_not_allowed": _l("You cannot add this young helper."),
    "elder_not_allowed": _l("You cannot add this older resident."),
    "organization_not_allowed": _l("You cannot log encounters for this organization."),
    "in_future": _l("That time is still to come. Log an encounter after it has taken place."),
    "bad_duration": _l("Between 5 and 720 minutes, please."),
    "place_name_required": _l("Please name the shared space, for example the library or the parish hall."),
    "unknown_place": _l("Please choose a place from the list."),
    "unknown_kind": _l("Please choose what kind of encounter it was."),
    "unknown_initiator": _l("Please choose who started it."),
    "unknown_leader": _l("Please choose who led it."),
    "not_allowed": _l("Only approved helpers can log encounters."),
    "bad_score": _l("Please choose a score from 1 to 5."),
    "unknown_participant": _l("This person did not take part in the encounter."),
    "reason_required": _l("Please write why you set the stage by hand."),
    "bad_stage": _l("Please choose a stage."),
}


def error_text(code: str) -> str:
    return str(ENCOUNTER_ERRORS.get(code, _l("Something in the form needs checking.")))


def to_utc(day, clock) -> datetime:
    return datetime.combine(day, clock, tzinfo=HELSINKI).astimezone(UTC)


# --- List -----------------------------------------------------------------------------


@bp.route("/")
@login_only
def list_encounters():
    form = EncounterFilterForm(request.args)
    municipalities = municipality_filter_choices(current_user)
    form.municipality.choices = choices([("", _("All municipalities"))] + [(str(i), n) for i, n in municipalities])
    flt = EncounterFilter(
        helper_id=request.args.get("helper", type=int),
        elder_id=request.args.get("elder", type=int),
    )
    if form.validate():
        flt.kind = form.kind.data or None
        flt.source = form.source.data or None
        flt.municipality_id = to_int(form.municipality.data)
        flt.date_from = local_midnight(form.date_from.data) if form.date_from.data else None
        flt.date_to = local_midnight(form.date_to.data + timedelta(days=1)) if form.date_to.data else None
    person = None
    if flt.helper_id or flt.elder_id:
        helper_ids = [flt.helper_id] if flt.helper_id else []
        elder_ids = [flt.elder_id] if flt.elder_id else []
        if current_user.role == "helper":  # only their own name and older people they have met
            own = own_helper_id(current_user)
            helper_ids = [h for h in helper_ids if h == own]
            elder_ids = [e for e in elder_ids if own is not None and e in met_elder_ids(own)]
        else:  # coordinators: only people of their organizations (app.policy)
            helper_ids = sorted(visible_ids(current_user, "helper", helper_ids))
            elder_ids = sorted(visible_ids(current_user, "elder", elder_ids))
        refs = names_for(current_user, helper_ids, elder_ids)
        person = ", ".join(ref.name for ref in refs.values()) or None
    pagination = db.paginate(
        search_encounters(current_user, flt),
        page=request.args.get("page", 1, type=int),
        per_page=current_app.config["PAGE_SIZE"],
        error_out=False,
    )
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template(
        "encounters/list.html",
        form=form,
        rows=encounter_rows(current_user, pagination.items),
        pagination=pagination,
        args=args,
        person=person,
        labels=labels,
        can_log=_may_log(),
    )


def _may_log() -> bool:
    if current_user.role == "helper":
        profile = current_user.helper_profile
        return profile is not None and profile.status == "approved"
    return current_user.role in ("coordinator", "admin")


# --- Logging ------------------------------------------------------------------------------


def _prepare_form(form: EncounterForm) -> list:
    """Fill the choices for the user; returns the grouped choices of the area select."""
    groups = area_choices(current_user)
    form.area.choices = choices([("", "")] + [opt for _label, opts in groups for opt in opts])
    form.elder_ids.choices = choices(elder_choices(current_user))
    if current_user.role == "helper":
        del form.helper_ids
        del form.organization_id
    else:
        form.helper_ids.choices = choices(helper_choices(current_user))
        scope = org_scope(current_user)
        orgs = db.session.scalars(
            db.select(Organization)
            .where(Organization.id.in_(list(scope) or [-1]) if scope is not None else db.true())
            .order_by(Organization.name)
        )
        form.organization_id.choices = choices([(o.id, o.name) for o in orgs])
        if len(form.organization_id.choices) == 1 and not form.organization_id.raw_data:
            form.organization_id.data = form.organization_id.choices[0].value
        del form.own_score
        del form.own_comment
    return groups


def _defaults(form: EncounterForm) -> None:
    now = utcnow().astimezone(HELSINKI)
    form.date.data = now.date()
    form.time.data = now.replace(minute=(now.minute // 15) * 15, second=0, microsecond=0).time()
    form.initiated_by.data = "helper" if current_user.role == "helper" else "coordinator"
    form.led_by.data = "helper"
    if "helper_ids" in form and request.args.get("helper", type=int):
        form.helper_ids.data = [request.args.get("helper", type=int)]
    if request.args.get("elder", type=int):
        form.elder_ids.data = [request.args.get("elder", type=int)]
    if "organization_id" in form and form.organization_id.choices:
        form.organization_id.data = form.organization_id.choices[0].value


def _extra_checks(form: EncounterForm) -> bool:
    ok = True
    if "helper_ids" in form and not form.helper_ids.errors and not form.helper_ids.data:
        form.helper_ids.errors = [*form.helper_ids.errors, error_text("no_helpers")]
        ok = False
    if not form.elder_ids.errors and not form.elder_ids.data:
        form.elder_ids.errors = [*form.elder_ids.errors, error_text("no_elders")]
        ok = False
    if form.date.data and form.time.data and to_utc(form.date.data, form.time.data) > utcnow() + MAX_FUTURE:
        form.date.errors = [*form.date.errors, error_text("in_future")]
        ok = False
    return ok


def _input_from(form: EncounterForm) -> EncounterInput:
    area = form.area.data or ""
    return EncounterInput(
        helper_ids=tuple(form.helper_ids.data or ()) if "helper_ids" in form else (),
        elder_ids=tuple(form.elder_ids.data or ()),
        kind=form.kind.data,
        place_kind=form.place_kind.data,
        place_name=form.place_name.data,
        occurred_at=to_utc(form.date.data, form.time.data),
        duration_minutes=form.duration_minutes.data,
        initiated_by=form.initiated_by.data,
        led_by=form.led_by.data,
        organised_by_participant=bool(form.organised_by_participant.data),
        organization_id=form.organization_id.data if "organization_id" in form else None,
        municipality_id=int(area[1:]) if area.startswith("m") else None,
        village_id=int(area[1:]) if area.startswith("v") else None,
        title=form.title.data,
        notes=form.notes.data,
        own_feedback_score=form.own_score.data if "own_score" in form else None,
        own_feedback_comment=form.own_comment.data if "own_comment" in form else None,
    )


@bp.route("/new", methods=["GET", "POST"])
@login_only
def log_new():
    if not _may_log():
        flash(error_text("not_allowed"), "warning")
        return redirect(url_for("main.helper_home"))
    form = EncounterForm()
    groups = _prepare_form(form)
    if request.method == "GET":
        _defaults(form)
    valid = form.validate_on_submit()
    if request.method == "POST" and _extra_checks(form) and valid:
        try:
            encounter = log_encounter(_input_from(form), by=current_user)
        except EncounterError as err:
            target = form[err.field] if err.field and err.field in form else None
            if target is not None:
                target.errors = [*target.errors, error_text(err.code)]
            else:
                form.form_errors.append(error_text(err.code))
        else:
            db.session.commit()
            flash(_("The encounter was saved. Thank you!"), "success")
            return redirect(url_for("encounters.show", encounter_id=encounter.id))
    return render_template("encounters/form.html", form=form, area_groups=groups, labels=labels)


# --- One encounter ------------------------------------------------------------------------


def _visible_or_404(encounter_id: int) -> Encounter:
    encounter = db.session.scalar(visible_encounters(current_user).where(Encounter.id == encounter_id))
    if encounter is None:
        abort(404)
    return encounter


def _render_encounter(encounter: Encounter, feedback_form: FeedbackForm | None = None, status: int = 200):
    row = encounter_rows(current_user, [encounter])[0]
    names = {(r.kind, r.id): r for r in row.helpers + row.elders}
    me = own_helper_id(current_user)
    is_coordinator = current_user.role in ("coordinator", "admin")
    participants = []
    for p in sorted(encounter.participants, key=lambda p: (p.elder_id is not None, p.id)):
        kind, pid = ("helper", p.helper_id) if p.helper_id else ("elder", p.elder_id)
        ref = names.get((kind, pid))
        mine = kind == "helper" and pid == me
        participants.append(
            {
                "p": p,
                "kind": kind,
                "name": ref.name if ref else "–",
                "ref": ref,
                "mine": mine,
                "show_feedback": is_coordinator or mine,
                "can_edit": is_coordinator or mine,
            }
        )
    pairs = [(h, e) for h in row.helpers for e in row.elders] if (len(row.helpers) * len(row.elders)) <= 12 else []
    errand = db.session.get(Errand, encounter.errand_id) if encounter.errand_id else None
    logged_by = user_names([encounter.logged_by_id]).get(encounter.logged_by_id)
    show_notes = is_coordinator or (encounter.logged_by_id == current_user.id)
    return (
        render_template(
            "encounters/show.html",
            e=encounter,
            row=row,
            participants=participants,
            pairs=pairs,
            errand=errand,
            logged_by=logged_by,
            show_notes=show_notes,
            feedback_form=feedback_form,
            blank_form=FeedbackForm,
            labels=labels,
            is_coordinator=is_coordinator,
            can_see_helper=lambda ref: _person_visible(ref),
        ),
        status,
    )


def _person_visible(ref) -> bool:
    if ref is None:
        return False
    if ref.kind == "helper":
        if current_user.role == "helper":
            return ref.id == own_helper_id(current_user)
        return bool(policy.may_see_org(current_user, ref.organization_id))
    return bool(policy.may_see_org(current_user, ref.organization_id))  # a helper: never


@bp.route("/<int:encounter_id>")
@login_only
def show(encounter_id: int):
    return _render_encounter(_visible_or_404(encounter_id))


@bp.route("/<int:encounter_id>/feedback", methods=["POST"])
@login_only
def feedback(encounter_id: int):
    encounter = _visible_or_404(encounter_id)
    participant_id = request.form.get("participant", type=int)
    participant = next((p for p in encounter.participants if p.id == participant_id), None)
    if participant is None:
        abort(404)
    is_coordinator = current_user.role in ("coordinator", "admin")
    if not is_coordinator and participant.helper_id != own_helper_id(current_user):
        abort(403)
    form = FeedbackForm(prefix=f"p{participant.id}")
    if form.validate_on_submit():
        via = "web" if participant.helper_id and participant.helper_id == own_helper_id(current_user) else "coordinator"
        try:
            record_feedback(encounter, participant.id, form.score.data, form.comment.data, via=via, by=current_user)
        except EncounterError as err:
            form.score.errors = [*form.score.errors, error_text(err.code)]
        else:
            db.session.commit()
            flash(_("Feedback saved."), "success")
            return redirect(url_for("encounters.show", encounter_id=encounter.id) + f"#participant-{participant.id}")
    return _render_encounter(encounter, feedback_form=form, status=422)
