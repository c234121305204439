"""What an erasure leaves behind, searched in a dump of the whole database.

Every table and every column is read back after the erasure (on PostgreSQL
also the output of ``pg_dump`` of the test database) and searched for the
erased resident's and relative's names, numbers (in every written form),
address, notes and the free texts written about them. The other resident's
data is searched too, to show that the search finds what is there.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import sqlalchemy as sa

from app.models import utcnow
from app.privacy.erasure import erase_elder
from app.scheduling.jobs import job_provider_erasure
from app.sms.inbound import receive
from tests.privacy.conftest import CONTACT_SECRETS, ELDER_SECRETS, cancel_coming, secrets


def _needles() -> list[str]:
    out = set(secrets())
    for phone in (ELDER_SECRETS["phone"], CONTACT_SECRETS["phone"]):
        out |= {phone, "0" + phone[4:], phone[4:]}
    out |= set(CONTACT_SECRETS["name"].split())
    return sorted(out)


def dump_rows(engine) -> list[tuple[str, str, str]]:
    """(table, column, text) for every non-empty value of every column of every table."""
    meta = sa.MetaData()
    meta.reflect(engine)
    cells = []
    with engine.connect() as conn:
        for table in meta.sorted_tables:
            for row in conn.execute(sa.select(table)):
                for column, value in row._mapping.items():
                    if value is None:
                        continue
                    text = value if isinstance(value, str) else json.dumps(value, default=str, ensure_ascii=False)
                    cells.append((table.name, column, text))
    return cells


def search(cells: list[tuple[str, str, str]], needles: list[str]) -> list[tuple[str, str, str]]:
    return [
        (table, column, needle) for table, column, text in cells for needle in needles if needle.lower() in text.lower()
    ]


def _pg_dump(url: str) -> str:
    plain = url.replace("postgresql+psycopg://", "postgresql://")
    return subprocess.run(
        ["pg_dump", "--data-only", "--no-owner", plain], check=True, capture_output=True, text=True, timeout=120
    ).stdout


def test_nothing_of_the_erased_person_is_left_in_the_database(db, scenario):
    cancel_coming(scenario)
    engine = db.engine
    before = search(dump_rows(engine), _needles())
    assert {t for t, _c, _n in before} >= {"elders", "contact_persons", "sms_messages", "help_requests", "assignments"}

    erase_elder(scenario.elder, by=scenario.coordinator, reason="Omainen pyysi poistoa")
    db.session.commit()

    cells = dump_rows(engine)
    assert search(cells, _needles()) == []
    # The search works: the other resident is still found.
    assert search(cells, ["Toinen", "Ihminen"])

    if engine.dialect.name == "postgresql" and shutil.which("pg_dump"):
        dump = _pg_dump(os.environ["TEST_DATABASE_URL"]).lower()
        assert [n for n in _needles() if n.lower() in dump] == []
        assert "ihminen" in dump


def _at_twilio(fake) -> list[tuple[str, str]]:
    """(sid, needle) for every secret found in a message Twilio's log still holds."""
    return [
        (message["sid"], needle)
        for message in fake.messages
        for needle in _needles()
        if needle.lower() in " ".join(str(message[k] or "") for k in ("body", "to", "from")).lower()
    ]


def test_nothing_is_left_at_twilio_after_the_job_ran(db, fake_twilio, scenario):
    """The SMS went out through the real client to the fake Twilio; an incoming one is in
    Twilio's log too. The erasure only queues their deletion; the job deletes them there."""
    sid = fake_twilio.receive(ELDER_SECRETS["phone"], "Hiljaliisa tassa, kiitos avusta")
    receive({"MessageSid": sid, "From": ELDER_SECRETS["phone"], "Body": "Hiljaliisa tassa, kiitos avusta"})
    db.session.commit()
    cancel_coming(scenario)
    assert _at_twilio(fake_twilio)

    report = erase_elder(scenario.elder, by=scenario.coordinator, reason="Omainen pyysi poistoa")
    db.session.commit()
    assert report.provider_copies >= 3
    assert fake_twilio.delete_requests == []  # nothing at Twilio inside the erasure itself
    assert _at_twilio(fake_twilio)

    assert job_provider_erasure(utcnow()) == report.provider_copies
    assert _at_twilio(fake_twilio) == []
    assert sid in fake_twilio.deleted
