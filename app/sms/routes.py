"""Coordinator pages: the SMS log, the inbox of replies, sending by hand, alerts."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from app import alerts
from app.extensions import db
from app.i18n import local_formatter
from app.inputs import to_int
from app.security import roles_required
from app.sms import labels, services
from app.sms.blueprint import bp
from app.sms.forms import ActionForm, CallForm, LogFilterForm, SendForm
from app.sms.rules import STATUS_RANK
from app.ui import Block, blocks

STAFF = ("coordinator", "admin")

SEND_ERRORS = {
    "both": _l("Choose a person from the list or type a number, not both."),
    "missing": _l("Choose who gets the message, or type a phone number."),
    "unknown": _l("That person is not in your organizations. Choose again."),
    "phone_invalid": _l("This is not a phone number. Check the digits, e.g. 040 123 4567."),
    "phone_not_mobile": _l("This is a landline number; it cannot receive text messages. Call instead."),
    "organization": _l("Choose the organization the message is sent for."),
    "empty": _l("Write the message."),
    "too_long": _l("The message is too long: at most %(n)s characters.", n=services.MAX_MANUAL_LENGTH),
    "opted_out": _l("This number has stopped text messages from us. Call instead."),
    "no_phone": _l("There is no phone number for this person."),
}
CALL_ERRORS = {
    **SEND_ERRORS,
    "unknown": _l("Choose an older resident of your organizations from the list."),
    "opted_out": _l("This person does not want automated calls or messages. Call them yourself."),
    "empty": _l("Write what the call says."),
}
GROUP_LABELS = {"elders": _l("Older residents"), "contacts": _l("Contact persons"), "helpers": _l("Helpers")}


class SmsUI:
    """What the start-page block and the SMS pages need (each computed only when used)."""

    status_label = staticmethod(labels.status_label)
    kind_label = staticmethod(labels.kind_label)
    error_label = staticmethod(labels.error_label)
    call_status_label = staticmethod(labels.call_status_label)
    keys_label = staticmethod(labels.keys_label)
    badge = staticmethod(lambda status: labels.STATUS_BADGE.get(status, ""))
    alert_text = staticmethod(alerts.describe)
    alert_label = staticmethod(lambda kind: str(alerts.KIND_LABELS.get(kind, _("Alert"))))


@bp.app_context_processor
def _sms_ui() -> dict:
    """:class:`SmsUI` on every page (made once, not a new class for each page)."""
    return {"sms_ui": SmsUI}


@bp.context_processor
def _inbox_count() -> dict:
    """The SMS pages' links show how many replies wait in the inbox (counted before the page renders)."""
    return {"inbox_unhandled": services.unhandled_count(current_user) if current_user.is_authenticated else 0}


def home_block() -> dict:
    """The coordinator's start-page block: open alerts and replies waiting in the inbox."""
    return {
        "open_alerts": list(db.session.scalars(alerts.open_alerts_query(current_user).limit(5))),
        "alert_total": alerts.count_open(current_user),
        "unhandled": services.unhandled_count(current_user),
    }


blocks.add("coordinator_home", Block("sms/_home_block.html", home_block), order=5)


def _page(stmt):
    return db.paginate(
        stmt, page=request.args.get("page", 1, type=int), per_page=current_app.config["PAGE_SIZE"], error_out=False
    )


@bp.route("/")
@roles_required(*STAFF)
def log():
    form = LogFilterForm(request.args)
    form.status.choices = [("", _("All"))] + [(s, labels.status_label(s)) for s in (*STATUS_RANK, "received")]
    form.kind.choices = [("", _("All"))] + [(k, labels.kind_label(k)) for k in services.kinds_in_use(current_user)]
    flt = services.LogFilter(
        direction=form.direction.data or None,
        status=form.status.data or None,
        kind=form.kind.data or None,
        phone=(form.phone.data or "")[:30] or None,
    )
    page = _page(services.log_query(current_user, flt))
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template(
        "sms/log.html", form=form, page=page, args=args, filtered=bool(args), parties=services.parties(page.items)
    )


@bp.route("/inbox")
@roles_required(*STAFF)
def inbox():
    show_handled = request.args.get("handled") == "1"
    page = _page(services.inbox_query(current_user, handled=show_handled))
    return render_template(
        "sms/inbox.html",
        page=page,
        show_handled=show_handled,
        parties=services.parties(page.items),
        form=ActionForm(),
        args={"handled": "1"} if show_handled else {},
    )


@bp.route("/inbox/<int:message_id>/handled", methods=["POST"])
@roles_required(*STAFF)
def mark_handled(message_id: int):
    form = ActionForm()
    if not form.validate_on_submit():
        flash(_("The page had expired. Please try again."), "error")
        return redirect(url_for("sms.inbox"))
    handled = request.form.get("handled", "1") == "1"
    if services.set_handled(message_id, by_user=current_user, handled=handled) is None:
        abort(404)
    db.session.commit()
    flash(_("Marked as handled.") if handled else _("Moved back to the inbox."), "success")
    return redirect(url_for("sms.inbox", handled="1" if not handled else None))


def _send_form() -> SendForm:
    form = SendForm()
    groups = services.recipient_choices(current_user)
    choices: dict = {None: [("", _("Choose a person"))]}
    for name, items in groups:
        if items:
            choices[str(GROUP_LABELS[name])] = items
    form.recipient.choices = choices
    orgs = services.user_organizations(current_user)
    form.organization.choices = [(str(o.id), o.name) for o in orgs]
    return form


def _on_its_way(message_id: int, text: str):
    """After sending or calling by hand: say when it leaves, and show it on the log."""
    flash(text, "success")
    return redirect(url_for("sms.log", _anchor=f"sms-{message_id}"))


@bp.route("/send", methods=["GET", "POST"])
@roles_required(*STAFF)
def send():
    form = _send_form()
    if request.method == "GET":
        form.recipient.data = request.args.get("to_person", "")
        form.phone.data = request.args.get("phone", "")
    if form.validate_on_submit():
        org_raw = form.organization.data or ""
        try:
            target = services.resolve_target(current_user, form.recipient.data, form.phone.data, to_int(org_raw))
            message = services.send_by_hand(current_user, target, form.body.data or "")
        except services.SendError as err:
            db.session.rollback()
            field = {"phone": form.phone, "organization": form.organization, "body": form.body}.get(
                err.field, form.recipient
            )
            field.errors = [*field.errors, str(SEND_ERRORS.get(err.code, SEND_ERRORS["missing"]))]
        else:
            db.session.commit()
            later = services.held_until(target)
            if later is None:
                return _on_its_way(message.id, _("The message is on its way."))
            return _on_its_way(
                message.id,
                _(
                    "The message will be sent at %(time)s (no messages to older people at night).",
                    time=local_formatter("datetime")(later),
                ),
            )
    status = 400 if form.errors else 200
    return render_template("sms/send.html", form=form, max_length=services.MAX_MANUAL_LENGTH), status


@bp.route("/call", methods=["GET", "POST"])
@roles_required(*STAFF)
def call():
    """Place an automated call by hand (it goes through the outbox like any call)."""
    form = CallForm()
    form.elder.choices = [
        SelectChoice(v, label) for v, label in [("", _("Choose a person")), *services.callable_elders(current_user)]
    ]
    if request.method == "GET":
        form.elder.data = request.args.get("elder", "")
    if form.validate_on_submit():
        try:
            message = services.call_by_hand(current_user, to_int(form.elder.data), form.body.data or "")
        except services.SendError as err:
            db.session.rollback()
            field = form.body if err.field == "body" else form.elder
            field.errors = [*field.errors, str(CALL_ERRORS.get(err.code, CALL_ERRORS["missing"]))]
        else:
            db.session.commit()
            later = services.call_held_until()
            if later is None:
                return _on_its_way(message.id, _("The call is on its way."))
            return _on_its_way(
                message.id,
                _(
                    "The call will be made at %(time)s (no automated calls at night).",
                    time=local_formatter("datetime")(later),
                ),
            )
    status = 400 if form.errors else 200
    return render_template("sms/call.html", form=form, max_length=services.MAX_MANUAL_LENGTH), status


@bp.route("/alerts")
@roles_required(*STAFF)
def alert_list():
    show_resolved = request.args.get("resolved") == "1"
    query = alerts.resolved_alerts_query if show_resolved else alerts.open_alerts_query
    page = _page(query(current_user))
    return render_template(
        "sms/alerts.html",
        page=page,
        show_resolved=show_resolved,
        form=ActionForm(),
        args={"resolved": "1"} if show_resolved else {},
    )


@bp.route("/alerts/<int:alert_id>/resolve", methods=["POST"])
@roles_required(*STAFF)
def resolve_alert(alert_id: int):
    form = ActionForm()
    back = request.form.get("back") == "home"
    if not form.validate_on_submit():
        flash(_("The page had expired. Please try again."), "error")
    elif alerts.resolve(alert_id, by_user=current_user) is None:
        abort(404)
    else:
        db.session.commit()
        flash(_("The alert is marked done."), "success")
    return redirect(url_for("main.coordinator_home") if back else url_for("sms.alert_list"))
