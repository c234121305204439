"""One errand: its ranked candidates and history; recording a no-show; cancelling."""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import abort, current_app, flash, get_template_attribute, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.form import SUBMIT_METHODS
from markupsafe import Markup

from app import policy, ui
from app.db_setup import reads_outside_a_transaction
from app.errands import actions, agenda, coordinator_cache
from app.errands.blueprint import bp
from app.errands.coordinator.common import (
    COORDINATORS,
    back_to_errand,
    error_text,
    visible_errand,
    visible_errand_head,
)
from app.errands.forms import STRENGTH_LABELS, ActionForm, CancelForm, OfferTopForm, plain_labels
from app.errands.matching_service import CandidateList
from app.errands.reasons import explain
from app.errands.requests import helpers_who_helped
from app.extensions import db
from app.i18n import current_language
from app.matching.score import strength
from app.memo import keep
from app.models import Errand, HelperProfile, User, utcnow
from app.security import roles_required


@dataclass
class _Worded:
    """A ranking's candidates worded in one language, and their lists' HTML."""

    candidates: CandidateList  # kept here, so the id in the entry's key is its own
    ranked: list[dict]
    excluded: list[dict]
    #: The ranked and the excluded candidates' lists (macros candidate_list, excluded_list),
    #: by the errand, its offers' statuses and the app's address.
    html: dict[tuple, tuple[Markup, Markup]] = field(default_factory=dict)
    #: The errand's facts (:func:`_facts_html`), by the app's address and who took the request.
    facts: dict[tuple, Markup] = field(default_factory=dict)


#: Worded candidate lists of kept rankings (app.errands.coordinator_cache), by the ranking
#: object, language, person and task: a reloaded page words and renders its candidates once.
_WORDED: dict[tuple, _Worded] = {}
WORDED_KEPT = 128  # as many as coordinator_cache.LOCAL_VALUES
HTML_PER_RANKING = 8  # the statuses of its offers change a few times while a ranking is kept
_MACROS = "errands/coordinator/_macros.html"
_FORMS = "errands/coordinator/_errand_forms.html"
_FACTS = "errands/coordinator/_errand_facts.html"


@dataclass
class _PageErrand:
    """The errand of one page: its head (read on every request) and the whole errand,
    loaded only when first asked for (to rank it afresh or render its facts afresh)."""

    head: agenda.ErrandHead
    loaded: Errand | None = None

    def errand(self) -> Errand:
        if self.loaded is None:
            self.loaded = agenda.load_errand(self.head.id)
            if self.loaded is None:  # deleted since its head was read
                abort(404)
        return self.loaded


def _candidate_rows(
    head: agenda.ErrandHead, candidates: CandidateList, offers: list[agenda.ListedOffer]
) -> tuple[list[dict], list[dict], _Worded]:
    """The ranked (with each helper's offer on this errand) and the excluded candidates, worded."""
    task = head.task
    person = head.elder_first_name
    key = (id(candidates), current_language(), person, task)
    worded = _WORDED.get(key)
    if worded is None or worded.candidates is not candidates:
        worded = keep(_WORDED, key, _Worded(candidates, *_worded(candidates, person, task)), limit=WORDED_KEPT)
    offered = {o.helper_id: o.status for o in offers}
    ranked = [{**row, "offer_status": offered.get(row["helper_id"])} for row in worded.ranked]
    return ranked, worded.excluded, worded


def _candidate_html(errand_id: int, ranked: list[dict], worded: _Worded) -> tuple[Markup, Markup]:
    """The HTML of the ranked candidates' list (with their offers' statuses) and of the
    excluded ones, made once per kept ranking, language and offers' statuses."""
    offered = tuple((row["helper_id"], row["offer_status"]) for row in ranked if row["offer_status"])
    key = (errand_id, offered, request.script_root)
    html = worded.html.get(key)
    if html is None:
        assign_url = url_for("errands.assign_direct", errand_id=errand_id)
        html = (
            get_template_attribute(_MACROS, "candidate_list")(ranked, assign_url),
            get_template_attribute(_MACROS, "excluded_list")(worded.excluded),
        )
        keep(worded.html, key, html, limit=HTML_PER_RANKING)
    return html


def _facts_html(page: _PageErrand, taken_by_name: str | None, worded: _Worded | None) -> Markup:
    """The errand's heading, facts, person and helpers (macro errand_facts), made once per kept
    ranking (``worded``), URL root and the name of who took the request. What they show (the
    errand, its request, person and helpers) changes only with a committed change, which gives
    the coordinators' cache a new generation and so the page a new ranking: the same rule that
    keeps the candidates' lists. Without a ranking (an errand that needs no helpers) made afresh."""
    render = get_template_attribute(_FACTS, "errand_facts")
    if worded is None:
        return render(page.errand(), page.errand().request, taken_by_name)
    key = (request.script_root, taken_by_name)
    html = worded.facts.get(key)
    if html is None:
        errand = page.errand()
        html = keep(worded.facts, key, render(errand, errand.request, taken_by_name), limit=HTML_PER_RANKING)
    return html


def _worded(candidates: CandidateList, person: str, task: str) -> tuple[list[dict], list[dict]]:
    said: dict[tuple, str] = {}  # the same reason (task, time, language...) is worded once per page

    def words(items) -> list[str]:
        texts = []
        for item in items:
            key = (item.code, item.params)
            if key not in said:
                said[key] = explain(item, person=person, task=task, spec=candidates.spec)
            texts.append(said[key])
        return texts

    # Each translated once per page: the placeholder given back as itself makes the sentence a pattern.
    years = _("%(age)s years", age="%(age)s")
    bands = plain_labels(STRENGTH_LABELS)
    ranked = [
        {
            "rank": i,
            "helper_id": r.helper_id,
            "person": (helper := candidates.people.get(r.helper_id)),
            "age_text": years % {"age": helper.age} if helper else "",
            "strength": (band := strength(r.score)),
            "strength_text": bands[band],
            "score": r.score,
            "reasons": [(text, item.points) for text, item in zip(words(r.reasons), r.reasons, strict=True)],
        }
        for i, r in enumerate(candidates.ranked, start=1)
    ]
    excluded = [
        {"helper_id": x.helper_id, "person": candidates.people.get(x.helper_id), "reasons": words(x.exclusions)}
        for x in candidates.excluded
    ]
    return ranked, excluded


@dataclass(frozen=True)
class NextSteps:
    """What to do when the ranked list is empty or weak: one button each."""

    offer_all: int  # how many ranked candidates an "offer to all" reaches (0: none)
    regular: list[HelperProfile]  # helpers who have helped this person before, to call
    too_far: list[tuple[HelperProfile, dict]]  # a little too far away, with their distance words
    partners: bool  # the organization has partner organizations already
    errand_org_id: int


def _next_steps(errand: agenda.ErrandHead, candidates: CandidateList, ranked: list[dict]) -> NextSteps | None:
    """None when the list is good enough (a good or very good candidate not yet asked)."""
    if any(c["strength"] != "possible" and not c["offer_status"] for c in ranked):
        return None
    far = [x for x in candidates.excluded if [e.code for e in x.exclusions] == ["too_far"]][:3]
    regular_ids = [h.id for h in helpers_who_helped(errand.elder_id)][:3]
    wanted = policy.visible_ids(current_user, "helper", [*regular_ids, *(x.helper_id for x in far)])
    people = {h.id: h for h in db.session.scalars(sa.select(HelperProfile).where(HelperProfile.id.in_(wanted or [-1])))}
    return NextSteps(
        offer_all=sum(1 for c in ranked if not c["offer_status"]),
        regular=[people[i] for i in regular_ids if i in people],
        too_far=[(people[x.helper_id], dict(x.exclusions[0].params)) for x in far if x.helper_id in people],
        partners=bool(policy.partners_of(errand.organization_id)),
        errand_org_id=errand.organization_id,
    )


def _taken_by_name(user_id: int | None, history: list[agenda.HistoryEvent]) -> str | None:
    """The name of the coordinator who took the request: from its history when they made a
    change there (they usually did: the request's first event), else read."""
    if user_id is None:
        return None
    for event in history:
        if event.actor_user_id == user_id:
            return event.actor_name
    user = db.session.get(User, user_id)
    return user.name if user else None


def _fields_html(macro: str, form_type: type, form, submitted: bool) -> Markup:
    """The fields (a macro of _errand_forms.html) of ``form``, or else of a fresh ``form_type``.
    A fresh form's on a request that submits nothing (its defaults, no errors) are the same on
    every page in a language, so they are rendered once, and the form is made only then; on a
    submitting request (another form of the page refused) a fresh form reads its data, as ever."""
    render = get_template_attribute(_FORMS, macro)
    if form is None and submitted:
        form = form_type()
    if form is not None and (form.is_submitted() or form.errors):
        return render(form)
    rendered = current_app.extensions.setdefault("coordinator_form_fields", {})
    key = (macro, form_type, current_language())
    html = rendered.get(key)
    if html is None:
        html = rendered[key] = render(form if form is not None else form_type())
    return html


def render_errand(
    errand: Errand | agenda.ErrandHead, *, offer_form=None, cancel_form=None, status: int = 200
) -> tuple[str, int]:
    """The errand page of a loaded errand (a form's page refused), or of an errand's head
    (a plain visit: the whole errand is loaded only if its ranking or facts are not kept)."""
    if isinstance(errand, Errand):
        page = _PageErrand(agenda.head_of(errand, language=current_language()), errand)
    else:
        page = _PageErrand(errand)
    head = page.head
    # Every form of the page carries the same CSRF field (the request's token): rendered once.
    csrf_field = ui.csrf_field()
    submitted = request.method in SUBMIT_METHODS  # as a FlaskForm's is_submitted()
    candidates = coordinator_cache.page_candidates(head.id, load=page.errand)
    offers = agenda.errand_offers(head.id)
    ranked, excluded, next_steps, worded = [], [], None, None
    candidate_html = excluded_html = Markup()
    if candidates is not None:
        ranked, excluded, worded = _candidate_rows(head, candidates, offers)
        candidate_html, excluded_html = _candidate_html(head.id, ranked, worded)
        next_steps = _next_steps(head, candidates, ranked)
    history = agenda.errand_history(head.id)
    taken_by_name = _taken_by_name(head.taken_by_id, history)
    return (
        render_template(
            "errands/coordinator/errand.html",
            errand=head,
            facts_html=_facts_html(page, taken_by_name, worded),
            candidates=candidates,
            offers=offers,
            history=history,
            ranked=ranked,
            excluded=excluded,
            candidate_list_html=candidate_html,
            excluded_list_html=excluded_html,
            csrf_field=csrf_field,
            offer_top_fields_html=_fields_html("offer_top_fields", OfferTopForm, offer_form, submitted),
            cancel_fields_html=_fields_html("cancel_fields", CancelForm, cancel_form, submitted),
            can_cancel=actions.may_cancel(head),
            next_steps=next_steps,
            can_mark_no_show=head.state == "assigned" and head.starts_at <= utcnow(),
        ),
        status,
    )


@bp.route("/errands/<int:errand_id>")
@reads_outside_a_transaction
@roles_required(*COORDINATORS)
def errand_detail(errand_id: int):
    return render_errand(visible_errand_head(errand_id))


@bp.route("/errands/<int:errand_id>/no-show", methods=["POST"])
@roles_required(*COORDINATORS)
def errand_no_show(errand_id: int):
    errand = visible_errand(errand_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    outcome = actions.no_show(errand, by_user=current_user)
    if outcome.ok:
        flash(_("Recorded: the helper did not come."), "success")
    else:
        flash(error_text(outcome.code), "error")
    return back_to_errand(errand_id)


@bp.route("/errands/<int:errand_id>/cancel", methods=["POST"])
@roles_required(*COORDINATORS)
def errand_cancel(errand_id: int):
    errand = visible_errand(errand_id)
    form = CancelForm()
    if not form.validate_on_submit():
        return render_errand(errand, cancel_form=form, status=422)
    outcome = actions.cancel(errand, by_user=current_user, by_kind=form.by_kind.data, reason=form.reason.data)
    if outcome.ok:
        flash(_("The errand was cancelled."), "success")
    else:
        flash(error_text(outcome.code), "error")
    return back_to_errand(errand_id)
