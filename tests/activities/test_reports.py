"""The report's activity figures: held, people reached, who came back, run by participants."""

from __future__ import annotations

from datetime import timedelta

from app.activities import attendance, invitations
from app.activities.reports import activity_figures
from app.activities.signups import Person
from app.models import ActivitySignup, utcnow


def _came(db, activity, people) -> None:
    for person in people:
        p = Person.of(person)
        db.session.add(ActivitySignup(activity_id=activity.id, side=p.side, status="signed_up",
                                      helper_id=person.id if p.side == "young" else None,
                                      elder_id=person.id if p.side == "old" else None))  # fmt: skip
    db.session.commit()


def test_activity_figures_and_the_report_page(client, db, make):
    org = make.organization()
    coordinator = make.coordinator(org=org)
    helper, elder, other_elder = make.helper(org=org, age=19), make.elder(org=org), make.elder(org=org)
    first = make.activity(org=org, at=utcnow() - timedelta(days=8), run_by="coordinator")
    second = make.activity(org=org, at=utcnow() - timedelta(days=1), run_by="together")
    coming = make.activity(org=org, days=3)
    _came(db, first, [helper, elder])
    _came(db, second, [helper, elder, other_elder])
    attendance.save_attendance(first.id, {s.id for s in first.signups}, by=coordinator)
    attendance.save_attendance(
        second.id, {s.id for s in second.signups if s.elder_id != other_elder.id}, by=coordinator
    )
    invitations.send_invitations(coming, [f"e{make.elder(org=org).id}"], by=coordinator)
    db.session.commit()

    figures = activity_figures([org.id], None, utcnow() - timedelta(days=30), utcnow() + timedelta(days=30))
    assert (figures.held, figures.run_by_participants) == (2, 1)
    assert figures.people_reached == 4  # helper, elder, other_elder, and the invited one
    assert (figures.participants, figures.came_back) == (2, 2)
    assert activity_figures([make.organization().id], None, utcnow() - timedelta(days=30), utcnow()).held == 0

    client.login(coordinator.email)
    client.submit("/lang", {"lang": "en", "next": "/"}, page="/")
    page = client.get("/reports/")
    assert page.status_code == 200 and "Shared activities" in page.text and "Activities held" in page.text
