"""The organization rule is written once in Python and once as SQL (for the board
and the ranking, which must stay one indexed statement each). On a random
network of organizations, partnerships, municipalities, memberships, helpers
and errands, both give the same answer for every (helper, errand) pair."""

from __future__ import annotations

import random
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from app import policy
from app.errands.helper_views import _board_statement
from app.models import Elder, Errand, HelperProfile, utcnow

MUNICIPALITIES = ("Kajaani", "Paltamo", "Kuhmo", "Sotkamo")


def _random_world(db, make, rng: random.Random):
    orgs = [make.organization(municipalities=tuple(rng.sample(MUNICIPALITIES, k=rng.randint(1, 2)))) for _ in range(6)]
    for a in range(len(orgs)):
        for b in range(a + 1, len(orgs)):
            if rng.random() < 0.35:
                make.partnership(orgs[a], orgs[b])
    helpers = []
    for i in range(14):
        helper = make.helper(org=rng.choice(orgs), age=19, phone=f"+35840777{i:04d}")
        if rng.random() < 0.3:  # also a member of another organization through the account
            helper.user.organizations = [rng.choice(orgs)]
        helpers.append(helper)
    errands = []
    for i in range(12):
        elder = make.elder(org=rng.choice(orgs))
        elder.municipality = make.municipality(rng.choice(MUNICIPALITIES))
        errands.append(make.errand(elder, utcnow() + timedelta(days=2, hours=i)))
    db.session.commit()
    return helpers, errands


def _board_ids(helper: HelperProfile, errand_ids: list[int]) -> set[int]:
    """The board statement without its distance box: only the organization rule and state decide."""
    params = {"now": utcnow(), "org_id": helper.organization_id, "user_id": helper.user_id, "pending_ids": [-1]}
    rows = sa.select(_board_statement(False).subquery().c.id)
    return {i for i in sa.orm.Session.object_session(helper).scalars(rows, params) if i in errand_ids}


def _network_helper_ids(db, errand: Errand) -> set[int]:
    """The ranking's network condition (app.policy.errand_network_sql and
    helper_network_sql), as the candidate statement uses it."""
    network = policy.errand_network_sql(
        sa.bindparam("org_id", type_=sa.Integer), sa.bindparam("muni_id", type_=sa.Integer)
    ).cte("net")
    h = aliased(HelperProfile)
    stmt = sa.select(h.id).where(policy.helper_network_sql(h, network))
    muni = db.session.scalar(sa.select(Elder.municipality_id).where(Elder.id == errand.elder_id))
    return set(db.session.scalars(stmt, {"org_id": errand.organization_id, "muni_id": muni}))


def test_board_and_ranking_sql_agree_with_the_python_answer(db, make):
    for seed in (1, 2, 3):
        rng = random.Random(seed)
        helpers, errands = _random_world(db, make, rng)
        errand_ids = [e.id for e in errands]
        allowed = {(h.id, e.id) for h in helpers for e in errands if policy.helper_may_see_errand(h, e)}
        assert 0 < len(allowed) < len(helpers) * len(errands)  # both answers occur
        by_board = {(h.id, eid) for h in helpers for eid in _board_ids(h, errand_ids)}
        assert by_board == allowed
        by_network = {
            (hid, e.id) for e in errands for hid in _network_helper_ids(db, e) if hid in {h.id for h in helpers}
        }
        assert by_network == allowed
