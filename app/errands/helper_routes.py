"""The helper's side: the errand board, My errands, withdrawing, reporting, the calendar feed."""

from __future__ import annotations

import functools
import hashlib
import re
from typing import NamedTuple

from babel import numbers as babel_numbers
from flask import (
    Response,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

from app import audit
from app.auth.sessions import request_login
from app.db_setup import reads_outside_a_transaction
from app.errands.actions import Outcome, decline, take_errand, withdraw_assignment
from app.errands.blueprint import bp
from app.errands.calendar import build_feed, ensure_calendar_token, feed_url, profile_for_token, rotate_calendar_token
from app.errands.error_texts import ERROR_MESSAGES, EXCLUSION_MESSAGES
from app.errands.helper_forms import ActionForm, ReportForm, WithdrawForm
from app.errands.helper_views import (
    BoardItem,
    board_page,
    board_state,
    my_errands,
    next_errand,
    own_assignment,
    own_profile_shown,
    revalidate,
    visible_details,
)
from app.errands.lifecycle import ErrandError, is_late_withdrawal, mark_done, report_allowed, withdrawal_refusal
from app.errands.notifications import place_name
from app.extensions import db
from app.headers import REVALIDATE
from app.i18n import current_language, language_of, local_formatter, today_local
from app.memo import keep
from app.models import HelperProfile, utcnow
from app.security import csrf_token, public, roles_required
from app.ui import Block, blocks, kept_blocks, nav

nav.add("helper", "errands.board", _l("Errand board"), order=10)
nav.add("helper", "errands.my_errands", _l("My errands"), order=20)

#: How many errands the board shows at first, and how many more each "Show more" adds.
BOARD_PAGE_SIZE = 15


def error_message(err: ErrandError) -> str:
    return _message(err.code, err.details)


def outcome_message(outcome: Outcome) -> str:
    return _message(outcome.code or "", outcome.details)


def _message(code: str, details: dict) -> str:
    if code == "not_eligible":
        reasons = [str(EXCLUSION_MESSAGES.get(c, c)) for c in details.get("codes", [])]
        return _("You cannot take this errand: %(reasons)s.", reasons=", ".join(reasons))
    return str(ERROR_MESSAGES.get(code, ERROR_MESSAGES["not_allowed_transition"]))


def _own_profile() -> HelperProfile:
    profile = current_user.helper_profile
    if not own_profile_shown(profile.status if profile is not None else None):
        abort(404)
    return profile


@bp.app_template_filter("errand_km")
def errand_km(value: float | None, language: str | None = None) -> str:
    if value is None:
        return ""
    return _km_text(round(value, 1), language or current_language())


@functools.lru_cache(maxsize=4096)
def _km_text(value: float, language: str) -> str:
    """A distance such as 2,5 km in the page's language (remembered: a board shows many distances)."""
    return f"{babel_numbers.format_decimal(value, '0.0', locale=language)} km"


def next_errand_block(profile: HelperProfile | None) -> dict | None:
    """The helper's next errand and its details, for the start page block
    (``next`` is None when nothing is coming up)."""
    if profile is None:
        return None
    now = utcnow()
    assignment = next_errand(profile, now)
    if assignment is None:
        return {"next": None}
    errand = assignment.errand
    details = visible_details(errand, profile, now)
    return {
        "next": {
            "assignment": assignment,
            "errand": errand,
            "task": errand.task_type.name(current_language()),
            "place": place_name(errand.elder, current_language()),
            "details": details,
        }
    }


blocks.add("helper_home", Block("errands/helper/_next_block.html", next_errand_block), order=10)


# --------------------------------------------------------------------------
# Board
# --------------------------------------------------------------------------


def _board_notice(profile: HelperProfile) -> str | None:
    if profile.status == "pending":
        return _("Your registration is waiting for a coordinator's approval. Errands appear here after that.")
    if profile.status == "suspended":
        return _("Your account is on hold. Please contact your coordinator.")
    if profile.is_paused_on(today_local()):
        return _("You are on a break, so you are not offered errands. You can end the break on your status page.")
    if not profile.is_eligible_on(today_local()):
        return _("Your guardian's consent is missing, so you cannot take errands yet.")
    return None


def _board_etag(version: tuple, shown: int, language: str) -> str | None:
    """The board's ``ETag``: the same while nothing the page shows can have changed
    (``version``: :func:`app.errands.helper_views.board_state`), for this user, session,
    language, day and length. None while a flashed message waits: that page is shown
    once, never revalidated."""
    if session.get("_flashes"):
        return None
    # The page's forms carry a token signed from the session's own (made now if missing).
    field = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    if field not in session:
        generate_csrf()
    version = (version, language, today_local(), shown, session[field])
    return hashlib.blake2b(repr(version).encode(), digest_size=16).hexdigest()


def _shown() -> int:
    """How many errands the board shows (``?show=``): a phone-sized page at first, more on request."""
    return min(max(request.args.get("show", BOARD_PAGE_SIZE, type=int) or BOARD_PAGE_SIZE, BOARD_PAGE_SIZE), 500)


def _not_modified(etag: str) -> Response:
    response = Response(status=304)
    response.set_etag(etag)
    # The browser keeps the page but asks every time (app.headers.REVALIDATED_ENDPOINTS).
    response.headers["Cache-Control"] = REVALIDATE
    return response


@bp.before_request
def board_not_modified() -> Response | None:
    """The board asked again with its ``ETag`` (``If-None-Match``): answered ``304 Not
    Modified`` here, before the view, when the login of the session cookie holds and the
    board's version is the same, with one statement and no user loaded
    (:func:`app.errands.helper_views.revalidate`); the same ``ETag`` as the view's.
    Anything else (another ETag, no login in the session, a remember-me cookie, a
    login that fails or must note its use, no helper, a token or message to add to
    the session) goes on to the view, which answers it the usual way."""
    if request.endpoint != "errands.board" or not request.if_none_match:
        return None
    login = request_login()
    if login is None or current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token") not in session:
        return None
    # The view's own roles (roles_required keeps them on the view), not a second copy.
    checked = revalidate(login, login.now, board_view._access)
    if checked is None:
        return None
    etag = _board_etag(checked.state.version, _shown(), language_of(checked.locale))
    if etag is None or etag not in request.if_none_match:
        return None
    return _not_modified(etag)


@functools.lru_cache(maxsize=8)
def _card_texts(language: str) -> dict[str, str]:
    """The texts of every card, translated once per language (``language``: the
    request's, which gettext uses); "from_you" and "together" are formatted per card."""
    return {
        "offered": _("Offered to you"),
        "when": _("When"),
        "where": _("Where"),
        "unknown": _("Not known"),
        "helpers": _("Helpers"),
        "answer_by": _("Answer by"),
        "take": _("I'll take it"),
        "decline": _("Not this time"),
        "from_you": _("%(km)s from you"),
        "together": _("%(n)s helpers go together"),
    }


#: Where a card's own parts go in its kept fragment (:func:`_card_pieces`): no text, name or
#: URL of a card holds a NUL character.
_SLOT = "\x00{}\x00"
_SLOTS = re.compile("\x00(distance|answer_by|token)\x00")


class _CardErrand(NamedTuple):
    """What a card shows of its errand (all that its kept fragment is made of, with the language)."""

    errand_id: int
    task: str
    place: str
    helpers_needed: int
    offered: bool


def _card_html(
    item: BoardItem | _CardErrand,
    when: str,
    distance: str,
    answer_by: str,
    language: str,
    urls: dict[str, tuple[str, str]],
    token: str,
) -> Markup:
    """A board card made now (errands/helper/_board_card.html)."""
    macro = current_app.jinja_env.get_template("errands/helper/_board_card.html").module.card
    return macro(item, when, distance, answer_by, _card_texts(language), urls, token)


@functools.lru_cache(maxsize=8192)
def _card_pieces(
    errand: _CardErrand,
    when: str,
    has_distance: bool,
    has_answer_by: bool,
    language: str,
    urls: tuple[tuple[str, tuple[str, str]], ...],
) -> tuple[str, ...]:
    """A card's fragment, kept per errand, language and the shape of the helper's own parts:
    its text around the slots of those parts, as (text, slot name, text, ..., text)."""
    distance = _SLOT.format("distance") if has_distance else ""
    answer_by = _SLOT.format("answer_by") if has_answer_by else ""
    html = _card_html(errand, when, distance, answer_by, language, dict(urls), _SLOT.format("token"))
    return tuple(_SLOTS.split(str(html)))


def _filled(pieces: tuple[str, ...], parts: dict[str, Markup]) -> Markup:
    """A kept card with the helper's own parts (escaped) in its slots."""
    out = list(pieces)
    for i in range(1, len(out), 2):
        out[i] = parts[out[i]]
    return Markup("".join(out))


def _cards(items: list[BoardItem], language: str, urls: dict[str, tuple[str, str]], token: str) -> list[Markup]:
    """The cards (:func:`_card`); their dates, times and distances with the language and time
    zone looked up once for the page (app.i18n.local_formatter), not by a filter on every card."""
    day, clock, moment = local_formatter("date", "EEEE d.M.yyyy"), local_formatter("time"), local_formatter("datetime")
    kept_urls = tuple(urls.items())
    escaped_token = escape(token)
    return [
        _card(
            _CardErrand(item.errand_id, item.task, item.place, item.helpers_needed, item.offered),
            f"{day(item.starts_at)}, {clock(item.starts_at)}–{clock(item.ends_at)}",
            errand_km(item.distance_km, language),
            moment(item.offer_expires_at),
            language,
            kept_urls,
            escaped_token,
        )
        for item in items
    ]


def _card(
    errand: _CardErrand,
    when: str,
    distance: str,
    answer_by: str,
    language: str,
    urls: tuple[tuple[str, tuple[str, str]], ...],
    token: Markup,
) -> Markup:
    """A card from its kept fragment, the helper's own parts (distance, answer-by time, the
    form token, escaped) filled in: the same as :func:`_card_html` makes."""
    pieces = _card_pieces(errand, when, bool(distance), bool(answer_by), language, urls)
    return _filled(pieces, {"distance": escape(distance), "answer_by": escape(answer_by), "token": token})


#: An errand id no errand has: where a card's own id goes in the URLs made once per page.
_ID_SLOT = 987654321


def _card_urls() -> dict[str, tuple[str, str]]:
    """Each card's form URLs as (before the errand id, after it), made once per worker for
    each URL root (the app's routes do not change while it runs; never changed by a caller)."""
    kept = current_app.extensions.setdefault("board_card_urls", {})
    urls = kept.get(request.script_root)
    if urls is None:
        endpoints = {"accept": "errands.helper_accept", "decline": "errands.helper_decline"}
        urls = {}
        for name, endpoint in endpoints.items():
            before, after = url_for(endpoint, errand_id=_ID_SLOT).split(str(_ID_SLOT))
            urls[name] = (before, after)
        keep(kept, request.script_root, urls, limit=16)
    return urls


def _board_urls() -> dict[str, str]:
    """The board's own and My errands' URLs, made once per worker for each URL root (as
    :func:`_card_urls`)."""
    kept = current_app.extensions.setdefault("board_page_urls", {})
    urls = kept.get(request.script_root)
    if urls is None:
        urls = {"board": url_for("errands.board"), "my_errands": url_for("errands.my_errands")}
        keep(kept, request.script_root, urls, limit=16)
    return urls


@bp.get("/board", endpoint="board")
@reads_outside_a_transaction
@roles_required("helper")
def board_view():
    profile = _own_profile()
    # A phone-sized page: the first errands (offers first, then the nearest), more on request.
    shown = _shown()
    now = utcnow()
    state = board_state(profile, now)
    language = current_language()
    etag = _board_etag(state.version, shown, language)
    if etag is not None and etag in request.if_none_match:
        return _not_modified(etag)
    notice = _board_notice(profile)
    # One more than shown: the first of the next ones is where "Show more" goes.
    items, total = (
        board_page(profile, now, language, shown + 1, state.snapshot, state.own) if notice is None else ([], 0)
    )
    cards = _cards(items[:shown], language, _card_urls(), csrf_token()) if items else []
    urls = _board_urls()
    response = make_response(
        render_template(
            "errands/helper/board.html",
            cards=Markup("".join(cards)),
            card_count=len(cards),
            total=total,
            more=min(BOARD_PAGE_SIZE, total - shown) if total > shown else 0,
            # The same URL as url_for("errands.board", show=..., _anchor=...) (both parts are numbers).
            more_url=f"{urls['board']}?show={shown + BOARD_PAGE_SIZE}#errand-{items[shown].errand_id}"
            if len(items) > shown
            else None,
            my_errands_url=urls["my_errands"],
            notice=notice,
            board_blocks=kept_blocks("helper_board") if notice is None else None,
        )
    )
    if etag is not None:
        # The browser keeps the page but asks every time (app.headers.REVALIDATED_ENDPOINTS).
        response.set_etag(etag)
        response.headers["Cache-Control"] = REVALIDATE
    return response


@bp.post("/errands/<int:errand_id>/accept")
@roles_required("helper")
def helper_accept(errand_id: int):
    profile = _own_profile()
    if not ActionForm().validate_on_submit():
        flash(_("The page had expired. Please try again."), "error")
        return redirect(url_for("errands.board"))
    outcome = take_errand(errand_id, profile.id, via="web")
    if not outcome.ok:
        flash(outcome_message(outcome), "info" if outcome.code == "already_taken" else "error")
        return redirect(url_for("errands.board"))
    flash(_("The errand is yours, thank you! The address and phone number are now on My errands."), "success")
    return redirect(url_for("errands.my_errands", _anchor=f"assignment-{outcome.assignment.id}"))


@bp.post("/errands/<int:errand_id>/decline")
@roles_required("helper")
def helper_decline(errand_id: int):
    profile = _own_profile()
    if not ActionForm().validate_on_submit():
        flash(_("The page had expired. Please try again."), "error")
        return redirect(url_for("errands.board"))
    outcome = decline(errand_id, profile.id, via="web")
    if not outcome.ok:
        flash(outcome_message(outcome), "info")
        return redirect(url_for("errands.board"))
    flash(_("Thank you for letting us know. The errand was removed from your board."), "success")
    return redirect(url_for("errands.board"))


# --------------------------------------------------------------------------
# My errands
# --------------------------------------------------------------------------


@bp.get("/my-errands", endpoint="my_errands")
@roles_required("helper")
def my_errands_view():
    profile = _own_profile()
    had_token = bool(profile.calendar_token)
    token = ensure_calendar_token(profile)
    if not had_token:
        db.session.commit()
    view = my_errands(profile, utcnow(), current_language())
    shown = [item for item in (*view.to_report, *view.upcoming, *view.past) if item.details is not None]
    logged = [audit.record_notes_viewed(i.errand.elder, page="my_errands", fields=("access_notes",)) for i in shown]
    if any(logged):
        db.session.commit()
    return render_template(
        "errands/helper/my_errands.html",
        view=view,
        calendar_url=feed_url(token),
        rotate_form=ActionForm(),
    )


def _assignment_or_404(profile: HelperProfile, assignment_id: int):
    assignment = own_assignment(profile, assignment_id)
    if assignment is None:
        abort(404)
    return assignment


@bp.route("/my-errands/<int:assignment_id>/withdraw", methods=["GET", "POST"])
@roles_required("helper")
def helper_withdraw(assignment_id: int):
    profile = _own_profile()
    assignment = _assignment_or_404(profile, assignment_id)
    errand = assignment.errand
    now = utcnow()
    refusal = withdrawal_refusal(assignment, now)
    if refusal is not None:
        flash(str(ERROR_MESSAGES[refusal]), "info")
        return redirect(url_for("errands.my_errands"))
    form = WithdrawForm()
    if form.validate_on_submit():
        outcome = withdraw_assignment(assignment, by_user=current_user, reason=form.reason.data)
        if not outcome.ok:
            flash(outcome_message(outcome), "error")
            return redirect(url_for("errands.my_errands"))
        flash(_("You withdrew from the errand. The coordinator will find someone else."), "success")
        return redirect(url_for("errands.my_errands"))
    return (
        render_template(
            "errands/helper/withdraw.html",
            form=form,
            assignment=assignment,
            errand=errand,
            task=errand.task_type.name(current_language()),
            place=place_name(errand.elder, current_language()),
            late=is_late_withdrawal(errand, now),
        ),
        400 if form.errors else 200,
    )


@bp.route("/my-errands/<int:assignment_id>/done", methods=["GET", "POST"])
@roles_required("helper")
def helper_done(assignment_id: int):
    profile = _own_profile()
    assignment = _assignment_or_404(profile, assignment_id)
    errand = assignment.errand
    now = utcnow()
    if assignment.status != "active":
        flash(str(ERROR_MESSAGES["not_active"]), "info")
        return redirect(url_for("errands.my_errands"))
    if not report_allowed(errand, now):
        flash(str(ERROR_MESSAGES["too_early"]), "info")
        return redirect(url_for("errands.my_errands"))
    form = ReportForm()
    if form.validate_on_submit():
        try:
            mark_done(
                assignment.id,
                helper_id=profile.id,
                report_text=form.report_text.data,
                minutes=form.minutes_value or 0,
                receipt_cents=form.receipt_cents,
                note_for_coordinator=form.note_for_coordinator.data,
                via="web",
            )
        except ErrandError as err:
            db.session.rollback()
            flash(error_message(err), "error")
            return redirect(url_for("errands.my_errands"))
        db.session.commit()
        flash(_("Thank you! The errand is marked done and your report was saved."), "success")
        return redirect(url_for("errands.my_errands"))
    if not form.is_submitted():
        form.minutes.data = str(errand.duration_minutes)
    return (
        render_template(
            "errands/helper/report.html",
            form=form,
            assignment=assignment,
            errand=errand,
            task=errand.task_type.name(current_language()),
            place=place_name(errand.elder, current_language()),
        ),
        400 if form.errors else 200,
    )


# --------------------------------------------------------------------------
# Calendar
# --------------------------------------------------------------------------


@bp.post("/my-errands/calendar-link")
@roles_required("helper")
def calendar_rotate():
    profile = _own_profile()
    if ActionForm().validate_on_submit():
        rotate_calendar_token(profile)
        db.session.commit()
        flash(_("Your calendar has a new link. The old link no longer works."), "success")
    else:
        flash(_("The page had expired. Please try again."), "error")
    return redirect(url_for("errands.my_errands", _anchor="calendar"))


@bp.get("/calendar/<token>.ics")
@public
def calendar_feed(token: str):
    profile = profile_for_token(token)
    if profile is None or profile.status == "deleted":
        abort(404)
    response = Response(build_feed(profile), mimetype="text/calendar")
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Disposition"] = 'inline; filename="errands.ics"'
    return response
