"""Stage pages of a helper, an older resident and a pair, and the coordinator's override."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.encounters import labels, services
from app.encounters.blueprint import bp
from app.encounters.forms import EmptyForm, OverrideForm
from app.encounters.operations import EncounterError, clear_override, set_override
from app.encounters.queries import (
    EncounterFilter,
    can_see_elder,
    can_see_helper,
    can_see_pair,
    checkin_series,
    elder_name,
    encounter_rows,
    encounters_by_id,
    names_for,
    search_encounters,
    user_names,
)
from app.encounters.routes import error_text
from app.extensions import db
from app.models import Elder, HelperProfile, utcnow
from app.policy import pair_decision
from app.security import login_only, roles_required

RECENT = 10


def _helper_or_404(helper_id: int) -> HelperProfile:
    helper = db.session.get(HelperProfile, helper_id)
    if helper is None or not can_see_helper(current_user, helper):
        abort(404)
    return helper


def _elder_or_404(elder_id: int) -> Elder:
    elder = db.session.get(Elder, elder_id)
    if elder is None or not can_see_elder(current_user, elder):
        abort(404)
    return elder


def _stage_view(kind: str, helper_id: int | None, elder_id: int | None, result) -> dict:
    """What the stage box needs: the result, the encounters behind each reason, the override history."""
    evidence_ids = {eid for _code, ids in result.evidence_by_reason for eid in ids}
    rows = encounters_by_id(current_user, evidence_ids)
    history = services.override_history(kind, helper_id, elder_id)
    people = user_names([o.by_id for o in history] + [o.cleared_by_id for o in history])
    current = next((o for o in history if o.active), None)
    return {
        "result": result,
        "evidence": rows,
        "overrides": history,
        "current_override": current,
        "override_people": people,
    }


def _person_pairs(kind: str, person_id: int, now) -> list[dict]:
    pairs = services.pair_stages_of(kind, person_id, now)
    names = names_for(current_user, (h for h, _e in pairs), (e for _h, e in pairs))
    out = []
    for (h, e), result in sorted(pairs.items(), key=lambda item: (-item[1].stage, item[0])):
        helper, elder = names.get(("helper", h)), names.get(("elder", e))
        if _is_coordinator() and not (
            helper and elder and pair_decision(current_user, helper.organization_id, elder.organization_id)
        ):
            continue  # a pair of another organization: not shown, not even by first name
        out.append(
            {
                "helper": names.get(("helper", h)),
                "elder": names.get(("elder", e)),
                "helper_id": h,
                "elder_id": e,
                "result": result,
            }
        )
    return out


def _recent(flt: EncounterFilter):
    encounters = list(db.session.scalars(search_encounters(current_user, flt).limit(RECENT)))
    return encounter_rows(current_user, encounters)


def _is_coordinator() -> bool:
    return current_user.role in ("coordinator", "admin")


def render_helper(helper: HelperProfile, override_form: OverrideForm | None = None, status: int = 200):
    now = utcnow()
    result = services.person_stage_for("helper", helper.id, now)
    name = names_for(current_user, [helper.id], [])[("helper", helper.id)].name
    return (
        render_template(
            "encounters/person.html",
            kind="helper",
            person=helper,
            name=name,
            municipality=helper.municipality,
            stage=_stage_view("helper", helper.id, None, result),
            pairs=_person_pairs("helper", helper.id, now),
            recent=_recent(EncounterFilter(helper_id=helper.id)),
            series=checkin_series("helper", helper.id),
            override_form=override_form or (OverrideForm(stage=result.stage) if _is_coordinator() else None),
            clear_form=EmptyForm(),
            override_url=url_for("encounters.override_helper", helper_id=helper.id),
            clear_url=url_for("encounters.clear_override_helper", helper_id=helper.id),
            list_url=url_for("encounters.list_encounters", helper=helper.id),
            checkin_url=(
                url_for("encounters.checkin_helper", helper_id=helper.id)
                if _is_coordinator()
                else url_for("encounters.helper_checkin")
            ),
            labels=labels,
            is_coordinator=_is_coordinator(),
        ),
        status,
    )


def render_elder(elder: Elder, override_form: OverrideForm | None = None, status: int = 200):
    now = utcnow()
    result = services.person_stage_for("elder", elder.id, now)
    return (
        render_template(
            "encounters/person.html",
            kind="elder",
            person=elder,
            name=elder.full_name,
            municipality=elder.municipality,
            stage=_stage_view("elder", None, elder.id, result),
            pairs=_person_pairs("elder", elder.id, now),
            recent=_recent(EncounterFilter(elder_id=elder.id)),
            series=checkin_series("elder", elder.id),
            override_form=override_form or OverrideForm(stage=result.stage),
            clear_form=EmptyForm(),
            override_url=url_for("encounters.override_elder", elder_id=elder.id),
            clear_url=url_for("encounters.clear_override_elder", elder_id=elder.id),
            list_url=url_for("encounters.list_encounters", elder=elder.id),
            checkin_url=url_for("encounters.checkin_elder", elder_id=elder.id),
            labels=labels,
            is_coordinator=True,
        ),
        status,
    )


def render_pair(helper: HelperProfile, elder: Elder, override_form: OverrideForm | None = None, status: int = 200):
    now = utcnow()
    result = services.pair_stage_for(helper.id, elder.id, now)
    names = names_for(current_user, [helper.id], [elder.id])
    return (
        render_template(
            "encounters/pair.html",
            helper=helper,
            elder=elder,
            helper_name=names[("helper", helper.id)].name,
            elder_name=elder_name(current_user, elder),
            helper_visible=can_see_helper(current_user, helper),
            elder_visible=can_see_elder(current_user, elder),
            stage=_stage_view("pair", helper.id, elder.id, result),
            recent=_recent(EncounterFilter(helper_id=helper.id, elder_id=elder.id)),
            override_form=override_form or (OverrideForm(stage=result.stage) if _is_coordinator() else None),
            clear_form=EmptyForm(),
            override_url=url_for("encounters.override_pair", helper_id=helper.id, elder_id=elder.id),
            clear_url=url_for("encounters.clear_override_pair", helper_id=helper.id, elder_id=elder.id),
            labels=labels,
            is_coordinator=_is_coordinator(),
        ),
        status,
    )


@bp.route("/helper/<int:helper_id>/stage")
@login_only
def helper_stage(helper_id: int):
    return render_helper(_helper_or_404(helper_id))


@bp.route("/elder/<int:elder_id>/stage")
@roles_required("coordinator", "admin")
def elder_stage(elder_id: int):
    return render_elder(_elder_or_404(elder_id))


@bp.route("/pair/<int:helper_id>/<int:elder_id>")
@login_only
def pair(helper_id: int, elder_id: int):
    helper = db.session.get(HelperProfile, helper_id)
    elder = db.session.get(Elder, elder_id)
    if helper is None or elder is None or not can_see_pair(current_user, helper, elder):
        abort(404)
    return render_pair(helper, elder)


# --- Overrides --------------------------------------------------------------------------


def _save_override(kind: str, helper: HelperProfile | None, elder: Elder | None, back: str, render):
    form = OverrideForm()
    if form.validate_on_submit():
        try:
            set_override(
                kind,
                helper.id if helper else None,
                elder.id if elder else None,
                form.stage.data,
                form.reason.data,
                by=current_user,
            )
        except EncounterError as err:
            target = form._fields.get(err.field or "", form.reason)
            target.errors = [*target.errors, error_text(err.code)]
        else:
            db.session.commit()
            flash(_("The stage was set by hand. The reason is shown on the page."), "success")
            return redirect(back + "#stage")
    return render(form)


def _clear(kind: str, helper: HelperProfile | None, elder: Elder | None, back: str):
    if EmptyForm().validate_on_submit():
        cleared = clear_override(kind, helper.id if helper else None, elder.id if elder else None, by=current_user)
        db.session.commit()
        if cleared:
            flash(_("The stage set by hand was cleared. The stage is worked out from the encounters again."), "success")
    return redirect(back + "#stage")


def _pair_or_404(helper_id: int, elder_id: int) -> tuple[HelperProfile, Elder]:
    helper = db.session.get(HelperProfile, helper_id)
    elder = db.session.get(Elder, elder_id)
    if helper is None or elder is None or not can_see_pair(current_user, helper, elder):
        abort(404)
    return helper, elder


@bp.route("/helper/<int:helper_id>/override", methods=["POST"])
@roles_required("coordinator", "admin")
def override_helper(helper_id: int):
    helper = _helper_or_404(helper_id)
    back = url_for("encounters.helper_stage", helper_id=helper.id)
    return _save_override("helper", helper, None, back, lambda form: render_helper(helper, form, 422))


@bp.route("/elder/<int:elder_id>/override", methods=["POST"])
@roles_required("coordinator", "admin")
def override_elder(elder_id: int):
    elder = _elder_or_404(elder_id)
    back = url_for("encounters.elder_stage", elder_id=elder.id)
    return _save_override("elder", None, elder, back, lambda form: render_elder(elder, form, 422))


@bp.route("/pair/<int:helper_id>/<int:elder_id>/override", methods=["POST"])
@roles_required("coordinator", "admin")
def override_pair(helper_id: int, elder_id: int):
    helper, elder = _pair_or_404(helper_id, elder_id)
    back = url_for("encounters.pair", helper_id=helper.id, elder_id=elder.id)
    return _save_override("pair", helper, elder, back, lambda form: render_pair(helper, elder, form, 422))


@bp.route("/helper/<int:helper_id>/override/clear", methods=["POST"])
@roles_required("coordinator", "admin")
def clear_override_helper(helper_id: int):
    helper = _helper_or_404(helper_id)
    return _clear("helper", helper, None, url_for("encounters.helper_stage", helper_id=helper.id))


@bp.route("/elder/<int:elder_id>/override/clear", methods=["POST"])
@roles_required("coordinator", "admin")
def clear_override_elder(elder_id: int):
    elder = _elder_or_404(elder_id)
    return _clear("elder", None, elder, url_for("encounters.elder_stage", elder_id=elder.id))


@bp.route("/pair/<int:helper_id>/<int:elder_id>/override/clear", methods=["POST"])
@roles_required("coordinator", "admin")
def clear_override_pair(helper_id: int, elder_id: int):
    helper, elder = _pair_or_404(helper_id, elder_id)
    return _clear("pair", helper, elder, url_for("encounters.pair", helper_id=helper.id, elder_id=elder.id))
