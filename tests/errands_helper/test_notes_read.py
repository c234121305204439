"""Encrypted notes are read (and decrypted) only for those who may see them: a helper's
pages never read the health notes, and the door and access notes only inside the
details window of the helper assigned to the person's errand."""

from __future__ import annotations

import re

import sqlalchemy as sa

from app.errands.lifecycle import accept_errand
from app.models import Assignment, utcnow

HEALTH_COLUMN = re.compile(r"\belders\.health_notes\b|\bhealth_notes\b")
ACCESS_COLUMN = re.compile(r"\belders\.access_notes\b|\baccess_notes\b")


def _reads(seen, pattern: re.Pattern) -> bool:
    """Whether a SELECT among the statements ``count_queries`` saw reads the column."""
    return any(s.lstrip().upper().startswith(("SELECT", "WITH")) and pattern.search(s) for s in seen.statements)


def test_board_and_my_errands_read_no_notes_without_an_assignment(db, make, org, elder, client, count_queries):
    helper = make.helper(org=org, age=19)
    make.errand(elder=elder)
    client.login(helper.user.email)
    with count_queries() as seen:
        board = client.get("/board").get_data(as_text=True)
        mine = client.get("/my-errands").get_data(as_text=True)
    assert "Aili" in board or "Kauppa" in board  # the errand is on the board
    assert not _reads(seen, HEALTH_COLUMN) and not _reads(seen, ACCESS_COLUMN)
    assert "Ovikoodi" not in board + mine and "Sydänlääkitys" not in board + mine


def test_assigned_helper_reads_the_access_notes_only_in_the_window(db, make, org, elder, client, count_queries):
    helper = make.helper(org=org, age=19)
    errand = make.errand(elder=elder)
    accept_errand(errand.id, helper.id, via="web")
    db.session.commit()
    client.login(helper.user.email)
    with count_queries() as seen:
        html = client.get("/my-errands").get_data(as_text=True)
    assert "Ovikoodi 4321" in html
    assert _reads(seen, ACCESS_COLUMN)
    assert not _reads(seen, HEALTH_COLUMN)  # never, not even for the assigned helper
    assert "Sydänlääkitys" not in html

    # After the window the access notes are not read any more.
    assignment = db.session.scalar(sa.select(Assignment).filter_by(errand_id=errand.id))
    assignment.details_visible_until = utcnow().replace(microsecond=0) - (errand.ends_at - errand.starts_at)
    db.session.commit()
    with count_queries() as seen:
        html = client.get("/my-errands").get_data(as_text=True)
    assert "Ovikoodi" not in html
    assert not _reads(seen, ACCESS_COLUMN) and not _reads(seen, HEALTH_COLUMN)


def test_coordinator_page_reads_and_shows_both(db, make, org, elder, client, count_queries):
    coordinator = make.coordinator(org=org)
    client.login(coordinator.email)
    with count_queries() as seen:
        html = client.get(f"/elders/{elder.id}").get_data(as_text=True)
    assert "Ovikoodi 4321" in html and "Sydänlääkitys" in html
    assert _reads(seen, HEALTH_COLUMN) and _reads(seen, ACCESS_COLUMN)


def test_other_organizations_coordinator_reads_nothing(db, make, elder, client, count_queries):
    stranger = make.coordinator()  # another organization
    client.login(stranger.email)
    with count_queries() as seen:
        assert client.get(f"/elders/{elder.id}").status_code == 403
    assert not _reads(seen, HEALTH_COLUMN) and not _reads(seen, ACCESS_COLUMN)
