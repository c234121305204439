"""Health notes and door and access notes are encrypted in the database, and keys rotate."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken

from app import create_app, crypto
from app.models import Elder
from config import Config, TestConfig

HEALTH, ACCESS = "Diabetes, insuliini aamuisin", "Ovikoodi 2468, takaovi"


def _raw(db, elder_id: int) -> tuple[str | None, str | None]:
    row = db.session.execute(
        sa.text("SELECT health_notes, access_notes FROM elders WHERE id = :id"), {"id": elder_id}
    ).one()
    return row[0], row[1]


@pytest.fixture()
def keys(app):
    """Swap the app's keyring for the test and put the original back afterwards."""
    original = app.extensions[crypto.EXTENSION]

    def use(*keys: bytes) -> None:
        app.extensions[crypto.EXTENSION] = crypto.keyring_from([k.decode() for k in keys])

    yield use
    app.extensions[crypto.EXTENSION] = original


def test_the_database_holds_no_plain_text(db, make):
    elder = make.elder(health_notes=HEALTH, access_notes=ACCESS)
    health, access = _raw(db, elder.id)
    for stored, plain in ((health, HEALTH), (access, ACCESS)):
        assert stored.startswith(crypto.TOKEN_PREFIX)
        assert plain not in stored and "2468" not in stored and "Diabetes" not in stored
    db.session.expire_all()
    again = db.session.get(Elder, elder.id)
    assert (again.health_notes, again.access_notes) == (HEALTH, ACCESS)
    # Not even in a full dump of the table.
    dump = " ".join(str(v) for row in db.session.execute(sa.text("SELECT * FROM elders")).all() for v in row)
    assert "2468" not in dump and "insuliini" not in dump


def test_empty_notes_stay_empty(db, make):
    elder = make.elder(health_notes=None, access_notes="")
    assert _raw(db, elder.id) == (None, "")


def test_saving_through_the_form_encrypts(db, client, coordinator, intake):
    resp = client.submit("/elders/new", intake(health_notes=HEALTH, access_notes=ACCESS))
    assert resp.status_code == 302, resp.get_data(as_text=True)
    elder_id = int(resp.headers["Location"].rsplit("/", 1)[1])
    health, access = _raw(db, elder_id)
    assert HEALTH not in health and ACCESS not in access
    page = client.get(f"/elders/{elder_id}").get_data(as_text=True)
    assert HEALTH in page and ACCESS in page


def test_rotation_re_encrypts_with_the_newest_key(app, db, make, keys):
    old, new = Fernet.generate_key(), Fernet.generate_key()
    keys(old)
    elder = make.elder(health_notes=HEALTH, access_notes=ACCESS)
    health_before, _ = _raw(db, elder.id)
    assert Fernet(old).decrypt(health_before.encode()).decode() == HEALTH

    keys(new, old)  # the new key first: it encrypts, both decrypt
    result = app.test_cli_runner().invoke(args=["notes-rotate-key"])
    assert result.exit_code == 0, result.output
    assert "2." in result.output  # two notes rewritten
    db.session.expire_all()
    health_after, access_after = _raw(db, elder.id)
    assert Fernet(new).decrypt(health_after.encode()).decode() == HEALTH
    assert Fernet(new).decrypt(access_after.encode()).decode() == ACCESS
    with pytest.raises(InvalidToken):
        Fernet(old).decrypt(health_after.encode())

    keys(new)  # the old key dropped: everything still reads
    db.session.expire_all()
    assert db.session.get(Elder, elder.id).health_notes == HEALTH


def test_a_note_no_key_matches_is_an_error_not_garbage(app, db, make, keys):
    keys(Fernet.generate_key())
    elder = make.elder(health_notes=HEALTH)
    keys(Fernet.generate_key())
    db.session.expire_all()
    with pytest.raises(crypto.NotesKeyError, match="NOTES_ENCRYPTION_KEYS"):
        _ = db.session.get(Elder, elder.id).health_notes
    db.session.rollback()


def test_plain_notes_from_before_are_read_and_encrypted_by_the_rotation(app, db, make):
    elder = make.elder(health_notes=None, access_notes=None)
    db.session.execute(
        sa.text("UPDATE elders SET health_notes = :h, access_notes = :a WHERE id = :id"),
        {"h": HEALTH, "a": ACCESS, "id": elder.id},
    )
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Elder, elder.id).access_notes == ACCESS
    assert app.test_cli_runner().invoke(args=["notes-rotate-key"]).exit_code == 0
    health, access = _raw(db, elder.id)
    assert health.startswith(crypto.TOKEN_PREFIX) and ACCESS not in access


def test_production_needs_its_own_keys():
    class Production(Config):
        SECRET_KEY = "x" * 32
        ENV_NAME = "production"
        SQLALCHEMY_DATABASE_URI = "sqlite://"
        CACHE_TYPE = "SimpleCache"
        NOTES_ENCRYPTION_KEYS = ""

    with pytest.raises(RuntimeError, match="NOTES_ENCRYPTION_KEYS is not set"):
        create_app(Production)

    class BadKey(Production):
        NOTES_ENCRYPTION_KEYS = f"{Fernet.generate_key().decode()},not-a-key"

    with pytest.raises(RuntimeError, match="key number 2 is not a Fernet key"):
        create_app(BadKey)

    class Good(Production):
        NOTES_ENCRYPTION_KEYS = Fernet.generate_key().decode()

    assert crypto.EXTENSION in create_app(Good).extensions


def test_development_and_tests_have_a_local_default():
    class Testing(TestConfig):
        NOTES_ENCRYPTION_KEYS = ""

    app = create_app(Testing)
    with app.app_context():
        assert crypto.decrypt(crypto.encrypt("koputa kovaa")) == "koputa kovaa"


def test_the_longest_notes_fit(db, make):
    """The form allows 2,000 characters of health notes and 1,000 of access notes; the
    ciphertext of the longest (two-byte letters) is stored and read back whole."""
    health, access = "ä" * 2000, "Ö" * 1000
    elder = make.elder(health_notes=health, access_notes=access)
    stored_health, _ = _raw(db, elder.id)
    assert len(stored_health) > 4000
    db.session.expire_all()
    again = db.session.get(Elder, elder.id)
    assert (again.health_notes, again.access_notes) == (health, access)
