"""The coordinators' short shared cache (app/errands/coordinator_cache.py): a kept ranking
is shown again without the candidate statement, but never after a committed change that
could make a helper unavailable (a break, a suspension, another errand at the same time)
or change the errand, and never past COORDINATOR_CACHE_SECONDS; the day page's kept
"Needs attention" lists show a committed change on the next request, its alerts are
always read afresh."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.errands import coordinator_cache
from app.extensions import cache
from app.models import Elder, utcnow
from app.sms.outbox import queue_sms
from tests.factories import in_days

SECONDS = 10


@pytest.fixture()
def cached(app, monkeypatch):
    monkeypatch.setitem(app.config, "COORDINATOR_CACHE_SECONDS", SECONDS)
    with app.app_context():
        cache.clear()
    app.extensions.pop("coordinator_cache", None)
    yield
    with app.app_context():
        cache.clear()
    app.extensions.pop("coordinator_cache", None)


def _ranked(errand, now=None) -> list[int]:
    return [r.helper_id for r in coordinator_cache.page_candidates(errand, now=now).ranked]


def _candidate_reads(queries) -> int:
    """The candidate statement (the nearest search: SQLite's R*Tree, PostgreSQL's ``<->``)
    among the statements counted."""
    return sum("helper_grid" in s or "<->" in s for s in queries.statements)


def test_a_kept_ranking_is_shown_again_without_the_candidate_statement(db, cached, make, org, elder, count_queries):
    aino = make.helper(org=org, first_name="Aino", age=20)
    errand = make.request(elder, hour=13).errands[0]
    db.session.commit()
    with count_queries() as first:
        assert _ranked(errand) == [aino.id]
    with count_queries() as again:
        assert _ranked(errand) == [aino.id]
    assert _candidate_reads(first) == 1 and _candidate_reads(again) == 0
    assert again.count < first.count


@pytest.mark.parametrize("change", ["break", "suspended", "busy", "errand moved"])
def test_a_helper_who_became_unavailable_is_never_shown_from_a_kept_ranking(db, cached, make, org, elder, change):
    aino = make.helper(org=org, first_name="Aino", age=20)
    other = make.helper(org=org, first_name="Bertta", age=21, lat=64.2300)
    errand = make.request(elder, hour=13).errands[0]
    db.session.commit()
    assert _ranked(errand) == [aino.id, other.id]
    if change == "break":
        aino.paused_until = errand.starts_at.date() + timedelta(days=7)
    elif change == "suspended":
        aino.status = "suspended"
    elif change == "busy":  # another errand of another person at the same time
        clash = make.errand(make.elder(org=org), errand.starts_at)
        make.assignment(clash, aino)
    else:  # the errand moves to a time Aino is not free
        clash = make.errand(make.elder(org=org), errand.starts_at + timedelta(days=1))
        make.assignment(clash, aino)
        errand.starts_at += timedelta(days=1)
        errand.ends_at += timedelta(days=1)
    db.session.commit()
    assert _ranked(errand) == [other.id], change


def test_writes_no_ranking_reads_keep_it_and_the_time_limit_ends_it(db, cached, make, org, elder, count_queries):
    aino = make.helper(org=org, first_name="Aino", age=20)
    errand = make.request(elder, hour=13).errands[0]
    db.session.commit()
    now = utcnow()
    assert _ranked(errand, now) == [aino.id]
    queue_sms("+358401234567", "Hei", kind="manual")  # an SMS in the outbox: nothing a ranking reads
    db.session.commit()
    with count_queries() as kept:
        assert _ranked(errand, now + timedelta(seconds=SECONDS - 1)) == [aino.id]
    assert _candidate_reads(kept) == 0
    with count_queries() as again:
        assert _ranked(errand, now + timedelta(seconds=SECONDS)) == [aino.id]
    assert _candidate_reads(again) >= 1
    with count_queries() as earlier:  # never from a "now" before the one it was made at
        assert _ranked(errand, now) == [aino.id]
    assert _candidate_reads(earlier) >= 1


def test_the_page_shows_the_change_on_the_next_request(db, cached, coord, make, org, elder):
    make.helper(org=org, first_name="Aino", last_name="Auttaja", age=20)
    bertta = make.helper(org=org, first_name="Bertta", last_name="Bee", age=21, lat=64.2300)
    errand = make.request(elder, hour=13).errands[0]
    db.session.commit()
    html = coord.get(f"/errands/{errand.id}").get_data(as_text=True)
    assert "Aino A." in html and "Bertta B." in html
    assert coord.get(f"/errands/{errand.id}").get_data(as_text=True).count("Bertta B.") == html.count("Bertta B.")
    bertta.paused_until = in_days(30, 12).date()
    db.session.commit()
    html = coord.get(f"/errands/{errand.id}").get_data(as_text=True)
    ranked_part = html.split('<details class="excluded">')[0]
    assert "Aino A." in ranked_part and "Bertta B." not in ranked_part


def test_off_by_default_in_tests_and_on_in_production(app):
    from config import Config

    assert app.config["COORDINATOR_CACHE_SECONDS"] == 0
    assert Config.COORDINATOR_CACHE_SECONDS == 10


def test_the_kept_attention_lists_show_a_committed_change_and_every_alert_at_once(db, cached, coord, make, org, elder):
    from app.alerts import raise_alert

    helper = make.helper(org=org, first_name="Aino", age=20)
    soon = make.errand(elder, in_days(1, 12))
    db.session.commit()
    html = coord.get("/errands/day").get_data(as_text=True)
    assert f'href="/errands/{soon.id}"' in html.split('id="attention-heading"')[1]
    assert coord.get("/errands/day").get_data(as_text=True).count(f"/errands/{soon.id}") == html.count(
        f"/errands/{soon.id}"
    )
    make.assignment(soon, helper)  # taken: no longer "without a helper"
    db.session.commit()
    attention_part = coord.get("/errands/day").get_data(as_text=True).split('id="attention-heading"')[1]
    assert f'href="/errands/{soon.id}"' not in attention_part
    alert = raise_alert("call_back", dedupe_key="kept-day", organization_id=org.id, elder_id=elder.id)
    db.session.commit()  # an alert alone keeps the kept lists, and still shows at once
    attention_part = coord.get("/errands/day").get_data(as_text=True).split('id="attention-heading"')[1]
    assert f"/errands/alerts/{alert.id}/resolve" in attention_part


def _day_list(html: str) -> str:
    """The day page's errand list (before the attention section)."""
    return html.split('id="attention-heading"')[0].split('<ul class="errand-list">', 1)[1]


def _attention(html: str) -> str:
    """The day page's "Needs attention" section."""
    return html.split('id="attention-heading"')[1].split("</section>")[0]


def test_the_kept_day_lists_show_a_committed_change_and_each_scope_and_language_its_own(
    app, db, cached, coord, make, org, elder, count_queries
):
    from tests.conftest import FormClient
    from tests.factories import local_today

    day = local_today() + timedelta(days=2)
    url = f"/errands/day?date={day.isoformat()}"
    ours = make.errand(elder, in_days(2, 10))
    soon = make.errand(elder, in_days(1, 12))  # "Needs attention": soon, and an offer nobody answered
    make.offer(soon, make.helper(org=org, first_name="Aino", age=20), status="expired")
    other_org = make.organization(name="Toinen yhdistys")
    theirs = make.errand(make.elder(org=other_org, first_name="Oskari"), in_days(2, 11))
    other = FormClient(app.test_client())
    other.login(make.coordinator(org=other_org, name="Olli Organisaatio").email)
    db.session.commit()

    first = _day_list(coord.get(url).get_data(as_text=True))
    assert f'href="/errands/{ours.id}"' in first and f"/errands/{theirs.id}" not in first
    theirs_html = _day_list(other.get(url).get_data(as_text=True))
    assert f'href="/errands/{theirs.id}"' in theirs_html and f"/errands/{ours.id}" not in theirs_html
    with count_queries() as again:
        assert _day_list(coord.get(url).get_data(as_text=True)) == first
    assert not any("pending_offers" in s for s in again.statements)  # the list kept, not read

    later = make.errand(elder, in_days(2, 15))  # a committed change shows on the next request
    db.session.commit()
    fresh = _day_list(coord.get(url).get_data(as_text=True))
    assert f'href="/errands/{later.id}"' in fresh and f'href="/errands/{ours.id}"' in fresh

    # Each language its own list, the same as read and rendered without the cache.
    kept = {}
    for language in ("sv", "en", "fi"):
        coord.submit("/lang", {"lang": language}, page="/")
        html = coord.get(url).get_data(as_text=True)
        kept[language] = (_day_list(html), _attention(html))
        html = coord.get(url).get_data(as_text=True)
        assert (_day_list(html), _attention(html)) == kept[language]
    assert len(set(kept.values())) == 3 and kept["fi"][0] == fresh
    assert f'href="/errands/{soon.id}"' in kept["fi"][1] and "Ei vastausta: Aino" in kept["fi"][1]
    app.config["COORDINATOR_CACHE_SECONDS"] = 0
    for language in ("sv", "en", "fi"):
        coord.submit("/lang", {"lang": language}, page="/")
        html = coord.get(url).get_data(as_text=True)
        assert (_day_list(html), _attention(html)) == kept[language], language


def test_the_kept_candidate_lists_show_each_offer_and_language_as_rendered_afresh(
    app, db, cached, coord, make, org, elder
):
    aino = make.helper(org=org, first_name="Aino", last_name="Auttaja", age=20)
    make.helper(org=org, first_name="Bertta", last_name="Bee", age=21, lat=64.2300)
    make.helper(org=org, first_name="Kauko", lat=64.335, lon=27.73, max_distance_km=10)  # excluded: too far
    errand = make.request(elder, hour=13).errands[0]
    db.session.commit()
    url = f"/errands/{errand.id}"

    def lists(html: str) -> str:
        return _without_tokens(html.split('<ol class="candidates">')[1].split("</section>")[0])  # the next steps' forms

    first = lists(coord.get(url).get_data(as_text=True))
    assert f'id="pick-{aino.id}"' in first and "Kauko T.</strong>" in first
    assert lists(coord.get(url).get_data(as_text=True)) == first
    make.offer(errand, aino, status="declined")
    db.session.commit()
    offered = lists(coord.get(url).get_data(as_text=True))
    assert f'id="pick-{aino.id}"' not in offered and '<span class="badge">Ei päässyt</span>' in offered

    kept = {}
    for language in ("sv", "en", "fi"):
        coord.submit("/lang", {"lang": language}, page="/")
        kept[language] = lists(coord.get(url).get_data(as_text=True))
        assert lists(coord.get(url).get_data(as_text=True)) == kept[language]
    assert len(set(kept.values())) == 3 and kept["fi"] == offered
    app.config["COORDINATOR_CACHE_SECONDS"] = 0
    for language in ("sv", "en", "fi"):
        coord.submit("/lang", {"lang": language}, page="/")
        assert lists(coord.get(url).get_data(as_text=True)) == kept[language], language


def test_the_kept_facts_show_each_committed_change_and_language_as_rendered_afresh(
    app, db, cached, coord, make, org, elder
):
    """The errand's heading, facts, person and helpers are kept with the kept ranking
    (app.errands.coordinator.errand_page._facts_html): a committed change of the request, the
    person or the helpers shows on the next request, and each language's are those made afresh."""
    make.helper(org=org, first_name="Aino", last_name="Auttaja", age=20)
    errand = make.request(elder, hour=13, helpers_needed=2, notes_for_helper="Ovikoodi 12").errands[0]
    db.session.commit()
    url = f"/errands/{errand.id}"

    def facts() -> str:
        html = coord.get(url).get_data(as_text=True)
        return html.split('id="content"')[1].split('<section aria-labelledby="candidates-heading"')[0]

    first = facts()
    assert "Ovikoodi 12" in first and "Aili Ahonen" in first and facts() == first
    errand.request.notes_for_helper = "Ovikoodi 34"
    db.session.commit()
    changed = facts()
    assert "Ovikoodi 34" in changed and "Ovikoodi 12" not in changed
    elder.last_name = "Ahola"
    db.session.commit()
    assert "Aili Ahola" in facts()
    make.assignment(errand, make.helper(org=org, first_name="Tuttu", last_name="Auttaja"))
    db.session.commit()
    assert "<strong>Tuttu A.</strong>" in facts()

    kept = {}
    for language in ("sv", "en", "fi"):
        coord.submit("/lang", {"lang": language}, page="/")
        kept[language] = facts()
        assert facts() == kept[language]
    assert len(set(kept.values())) == 3
    app.config["COORDINATOR_CACHE_SECONDS"] = 0
    for language in ("sv", "en", "fi"):
        coord.submit("/lang", {"lang": language}, page="/")
        assert facts() == kept[language], language


def _without_tokens(html: str) -> str:
    """The page without its forms' CSRF tokens: each request's token is signed with the second
    it was made in, so two visits a second apart differ there and nowhere else."""
    return re.sub(r'<input [^>]*name="csrf_token"[^>]*>', "", html)


def _title(html: str) -> str:
    return html.split("<title>")[1].split("</title>")[0]


def _heading(html: str) -> str:
    return html.split("<h1>")[1].split("</h1>")[0]


def test_a_kept_page_loads_no_errand_and_heads_each_visit_afresh(app, db, cached, coord, make, org, elder, monkeypatch):
    """A visit whose ranking and facts are kept reads the errand's head only (one plain
    statement: the scope check, its title, whether it may be cancelled); the whole errand is
    loaded again only to rank it or render its facts afresh. The head is read on every visit."""
    from app.errands import agenda

    make.helper(org=org, first_name="Aino", age=20)
    errand = make.request(elder, hour=13).errands[0]
    db.session.commit()
    url = f"/errands/{errand.id}"
    loads = []
    load_errand = agenda.load_errand
    monkeypatch.setattr(agenda, "load_errand", lambda errand_id: loads.append(errand_id) or load_errand(errand_id))

    first = _without_tokens(coord.get(url).get_data(as_text=True))
    assert loads == [errand.id]
    assert _without_tokens(coord.get(url).get_data(as_text=True)) == first and loads == [errand.id]
    # The title comes from the head: a change written around the session (no new generation)
    # shows at once, while the kept facts wait for the time limit, as the ranking does.
    db.session.connection().execute(sa.update(Elder).where(Elder.id == elder.id).values(last_name="Ahola"))
    db.session.commit()
    page = coord.get(url).get_data(as_text=True)
    assert "Aili Ahola" in _title(page) and "Aili Ahonen" in _heading(page) and loads == [errand.id]
    elder.first_name = "Aila"  # through the session: a new generation, ranked and rendered afresh
    db.session.commit()
    page = coord.get(url).get_data(as_text=True)
    assert "Aila Ahola" in _title(page) and "Aila Ahola" in _heading(page) and loads == [errand.id, errand.id]


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
def test_the_head_read_alone_is_the_loaded_errands(db, make, elder, coordinator, language):
    from app.errands import agenda

    errand = make.request(elder, hour=13).errands[0]
    errand.request.taken_by_id = coordinator.id
    db.session.commit()
    head = agenda.errand_head(errand.id, language=language)
    assert head == agenda.head_of(agenda.load_errand(errand.id), language=language)
    assert head.taken_by_id == coordinator.id and head.elder_name == "Aili Ahonen"
    assert agenda.errand_head(errand.id + 1000, language=language) is None
