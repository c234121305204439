"""The login reads the user's organizations' ids in its own statement
(app.auth.sessions.load_user, User.organization_ids): a coordinator's scope needs no
statement of its own, and a changed membership is read again after it is committed, or
seen at once while the collection itself is loaded or changed."""

from __future__ import annotations

import sqlalchemy as sa

from app.auth import sessions
from app.models import Organization
from app.models.user import user_organizations


def _login_id(client) -> str:
    with client.session_transaction() as s:
        return s["_user_id"]


def test_the_login_reads_the_organization_ids_with_the_user(app, db, client, make, count_queries):
    one, two = make.organization(name="Yksi"), make.organization(name="Kaksi")
    coordinator = make.coordinator(org=one, name="Kaisa")
    coordinator.organizations.append(two)
    nobody = make.coordinator(org=one, name="Ei ketään")
    nobody.organizations.clear()
    db.session.commit()
    ids, nobody_email = {one.id, two.id}, nobody.email
    client.login(coordinator.email)
    login_id = _login_id(client)
    db.session.remove()

    with app.test_request_context(), count_queries() as queries:
        user = sessions.load_user(login_id)
        assert user.organization_ids == ids
        assert "organizations" not in user.__dict__  # the collection itself was not loaded
    assert queries.count == 1
    db.session.remove()

    client.logout()
    client.login(nobody_email)
    with app.test_request_context():
        assert sessions.load_user(_login_id(client)).organization_ids == set()
    db.session.remove()


def test_a_changed_membership_is_seen_at_once_and_after_the_commit(app, db, client, make):
    one, two, three = (make.organization(name=n) for n in ("Yksi", "Kaksi", "Kolme"))
    coordinator = make.coordinator(org=one, name="Kaisa")
    db.session.commit()
    one_id, two_id, three_id = one.id, two.id, three.id
    client.login(coordinator.email)
    login_id = _login_id(client)
    db.session.remove()

    with app.test_request_context():
        user = sessions.load_user(login_id)
        assert user.organization_ids == {one_id}
        user.organizations = [db.session.get(Organization, two_id)]  # not yet committed: the collection decides
        assert user.organization_ids == {two_id}
        db.session.commit()  # the object is expired: read again
        assert user.organization_ids == {two_id}
    db.session.remove()

    with app.test_request_context():
        user = sessions.load_user(login_id)
        assert user.organization_ids == {two_id}
        # Written around the object (as a bulk statement would), then committed: read again.
        db.session.execute(sa.insert(user_organizations).values(user_id=user.id, organization_id=three_id))
        db.session.commit()
        assert user.organization_ids == {two_id, three_id}
    db.session.remove()


def test_the_page_scope_follows_the_membership(db, client, make):
    """A coordinator moved to another organization sees its errands and no longer the old one's."""
    one, two = make.organization(name="Yksi"), make.organization(name="Kaksi")
    coordinator = make.coordinator(org=one, name="Kaisa")
    theirs = make.request(make.elder(org=two, first_name="Toivo", last_name="Toinen"), hour=13).errands[0]
    ours = make.request(make.elder(org=one, first_name="Aili", last_name="Ahonen"), hour=13).errands[0]
    db.session.commit()
    client.login(coordinator.email)
    assert client.get(f"/errands/{ours.id}").status_code == 200
    assert client.get(f"/errands/{theirs.id}").status_code == 403
    coordinator.organizations = [two]
    db.session.commit()
    assert client.get(f"/errands/{ours.id}").status_code == 403
    assert client.get(f"/errands/{theirs.id}").status_code == 200
