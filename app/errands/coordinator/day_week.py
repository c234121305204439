"""The day and week views with what needs attention, handling an alert, and
the errands block of the coordinator's start page."""

from __future__ import annotations

from datetime import date, timedelta

from flask import abort, current_app, flash, get_template_attribute, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup

from app import alerts
from app.calls.services import callbacks_for_day
from app.db_setup import reads_outside_a_transaction
from app.errands import coordinator_cache
from app.errands import forms as labels
from app.errands.blueprint import bp
from app.errands.coordinator.common import COORDINATORS, errand_href
from app.errands.forms import ActionForm
from app.errands.reasons import event_note
from app.extensions import db
from app.i18n import current_language, today_local
from app.memo import keep
from app.models import utcnow
from app.policy import org_scope
from app.security import is_safe_next, roles_required
from app.ui import Block, blocks, nav

nav.add("coordinator", "errands.day", _l("Errands"), order=10)
nav.add("coordinator", "errands.new_request", _l("New request"), order=11)


def errands_home_block() -> dict:
    """Today's errands and the needs-attention count, for the start page block."""
    scope = org_scope(current_user)
    return {
        "today": coordinator_cache.errands_by_day(scope, today_local(), 1, language=current_language())[0][1],
        "attention": coordinator_cache.attention(scope, language=current_language()).count,
    }


blocks.add("coordinator_home", Block("errands/coordinator/_home_block.html", errands_home_block))


@bp.record_once
def _template_globals(state) -> None:
    # Globals (not a context processor) so that imported macros see them too.
    state.app.jinja_env.globals.update(
        errands_coord=labels,
        errand_href=errand_href,
        errand_list_html=errand_list_html,
        attention_lists_html=attention_lists_html,
    )
    state.app.jinja_env.filters["coord_event_note"] = event_note


#: How many rendered lists each worker keeps (by the kept lists they show).
RENDERED_KEPT = 128
_MACROS = "errands/coordinator/_macros.html"


def _kept_html(macro: str, kept: tuple, *args) -> Markup:
    """The macro's HTML for the kept lists ``kept`` (and ``args``, which are fixed by the
    lists). A list kept by :mod:`app.errands.coordinator_cache` is the same object on every
    request while it is kept, so its HTML is made once per language and kept with it (the
    lists in the entry: their ids are their own); lists read afresh are rendered each time."""
    render = get_template_attribute(_MACROS, macro)
    if not coordinator_cache.enabled():
        return render(*kept, *args)
    rendered = current_app.extensions.setdefault("coordinator_rendered", {})
    key = (macro, *map(id, kept), *args, current_language(), request.script_root)
    entry = rendered.get(key)
    if entry is None or any(a is not b for a, b in zip(entry[0], kept, strict=True)):
        entry = keep(rendered, key, (kept, render(*kept, *args)), limit=RENDERED_KEPT)
    return entry[1]


def errand_list_html(errands: list, show_date: bool = False) -> Markup:
    """The ``errand_list`` macro: the errands of a day
    (:func:`app.errands.coordinator_cache.errands_by_day`)."""
    return _kept_html("errand_list", (errands,), show_date)


def attention_lists_html(soon: list, unanswered: list, unanswered_total: int) -> Markup:
    """The ``attention_lists`` macro: "Needs attention"'s errand lists
    (:func:`app.errands.coordinator_cache.attention`; its alerts are read and shown afresh)."""
    return _kept_html("attention_lists", (soon, unanswered), unanswered_total)


def _date_arg(name: str) -> date:
    raw = request.args.get(name)
    if not raw:
        return today_local()
    try:
        return date.fromisoformat(raw)
    except ValueError:
        flash(_("That date was not understood; showing today."), "warning")
        return today_local()


@bp.route("/errands/day")
@reads_outside_a_transaction
@roles_required(*COORDINATORS)
def day():
    scope = org_scope(current_user)
    shown = _date_arg("date")
    attention = coordinator_cache.attention(scope, language=current_language())
    return render_template(
        "errands/coordinator/day.html",
        day=shown,
        groups=coordinator_cache.errands_by_day(scope, shown, 1, language=current_language()),
        attention=attention,
        alert_texts=alerts.describe_all(attention.alerts),
        action_form=ActionForm(),
        prev_day=shown - timedelta(days=1),
        next_day=shown + timedelta(days=1),
        today=today_local(),
        callbacks=callbacks_for_day(scope, shown),
        now_utc=utcnow(),
    )


@bp.route("/errands/week")
@roles_required(*COORDINATORS)
def week():
    scope = org_scope(current_user)
    start = _date_arg("start")
    start -= timedelta(days=start.weekday())
    attention = coordinator_cache.attention(scope, language=current_language())
    return render_template(
        "errands/coordinator/week.html",
        start=start,
        end=start + timedelta(days=6),
        groups=coordinator_cache.errands_by_day(scope, start, 7, language=current_language()),
        attention=attention,
        alert_texts=alerts.describe_all(attention.alerts),
        action_form=ActionForm(),
        prev_week=start - timedelta(days=7),
        next_week=start + timedelta(days=7),
        today=today_local(),
    )


@bp.route("/errands/alerts/<int:alert_id>/resolve", methods=["POST"])
@roles_required(*COORDINATORS)
def alert_resolve(alert_id: int):
    if not ActionForm().validate_on_submit():
        abort(400)
    alert = alerts.resolve(alert_id, by_user=current_user)
    if alert is None:
        abort(404)
    db.session.commit()
    flash(_("Marked as handled."), "success")
    target = request.form.get("next") or ""
    pages = (url_for("errands.day"), url_for("errands.week"))
    return redirect(target if is_safe_next(target) and target.startswith(pages) else url_for("errands.day"))
