"""Encryption at rest of the notes only some roles may read.

An older resident's health notes and door and access notes are stored
encrypted with Fernet (AES-128-CBC with an HMAC-SHA256 tag, from the
``cryptography`` library) under keys from the environment:
``NOTES_ENCRYPTION_KEYS`` is a comma-separated list of Fernet keys; the first
encrypts, every one decrypts (``MultiFernet``). To rotate: put a new key
first, run ``flask --app wsgi notes-rotate-key``, then drop the old key.

The columns are deferred, so a note is read from the database and decrypted
only where the code asks for it: the coordinator's pages (coordinators of the
person's organization and admins) and, for the door and access notes only, the
details window of a helper assigned to the person's errand
(:func:`app.errands.helper_views.visible_details`).
"""

from __future__ import annotations

import base64
import hashlib

import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import Flask, current_app

EXTENSION = "notes_keyring"
#: Every Fernet token starts with its version byte 0x80, "gAAAAA" in base64.
TOKEN_PREFIX = "gAAAAA"
#: Everywhere but production (development, tests, benchmarks): a fixed, published key.
#: Production refuses to start without keys of its own.
DEVELOPMENT_KEY = base64.urlsafe_b64encode(hashlib.sha256(b"arjen-pelastajat development notes key").digest()).decode()


class NotesKeyError(RuntimeError):
    """A configured key is not a Fernet key, or a stored note matches no key."""


def parse_keys(raw: str | tuple[str, ...] | list[str] | None) -> list[str]:
    """The keys of the setting: a comma-separated text, or the tuple ``Config`` makes of it."""
    parts = (raw or "").split(",") if isinstance(raw, str) or raw is None else list(raw)
    return [k.strip() for k in parts if k.strip()]


def keyring_from(keys: list[str]) -> MultiFernet:
    """A ``MultiFernet`` of ``keys`` (newest first); raises :class:`NotesKeyError` with a clear message."""
    if not keys:
        raise NotesKeyError(
            "NOTES_ENCRYPTION_KEYS is not set. Set it to one or more Fernet keys, comma-separated, the newest "
            'first (make one with: python -c "from cryptography.fernet import Fernet; '
            'print(Fernet.generate_key().decode())").'
        )
    fernets = []
    for n, key in enumerate(keys, start=1):
        try:
            fernets.append(Fernet(key))
        except (ValueError, TypeError):
            raise NotesKeyError(
                f"NOTES_ENCRYPTION_KEYS: key number {n} is not a Fernet key (32 bytes, url-safe base64)."
            ) from None
    return MultiFernet(fernets)


def init_app(app: Flask) -> None:
    keys = parse_keys(app.config.get("NOTES_ENCRYPTION_KEYS"))
    if not keys and app.config.get("ENV_NAME") != "production":  # development, tests, benchmarks
        keys = [DEVELOPMENT_KEY]
    app.extensions[EXTENSION] = keyring_from(keys)


def keyring() -> MultiFernet:
    return current_app.extensions[EXTENSION]


def encrypt(text: str) -> str:
    return keyring().encrypt(text.encode("utf-8")).decode("ascii")


def decrypt(token: str) -> str:
    """The plain text of a stored note. A value that is no Fernet token was stored
    before encryption was turned on and is returned as it is (``notes-rotate-key``
    encrypts it)."""
    if not token.startswith(TOKEN_PREFIX):
        return token
    try:
        return keyring().decrypt(token.encode("ascii")).decode("utf-8")
    except InvalidToken:
        raise NotesKeyError("A stored note matches none of the keys in NOTES_ENCRYPTION_KEYS.") from None


def rotate(token: str) -> str:
    """The note encrypted with the newest key (a plain legacy value is encrypted)."""
    if not token.startswith(TOKEN_PREFIX):
        return encrypt(token)
    try:
        return keyring().rotate(token.encode("ascii")).decode("ascii")
    except InvalidToken:
        raise NotesKeyError("A stored note matches none of the keys in NOTES_ENCRYPTION_KEYS.") from None


class EncryptedText(sa.types.TypeDecorator):
    """Text stored as a Fernet token (TEXT holds any length); ``None`` and "" stay as they are."""

    impl = sa.Text
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None or value == "":
            return value
        return encrypt(value)

    def process_result_value(self, value, dialect):
        if value is None or value == "":
            return value
        return decrypt(value)


#: The encrypted columns, as (table, primary key, column), for rotation.
ENCRYPTED_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("elders", "id", "health_notes"),
    ("elders", "id", "access_notes"),
)


def rotate_all(session) -> int:
    """Encrypt every stored note again with the newest key (and any plain legacy value
    for the first time); returns how many values were rewritten. The caller commits."""
    changed = 0
    for table, pk, column in ENCRYPTED_COLUMNS:
        t = sa.table(table, sa.column(pk), sa.column(column, sa.Text))
        rows = session.execute(sa.select(t.c[pk], t.c[column]).where(t.c[column].is_not(None), t.c[column] != ""))
        for key, value in rows.all():
            new = rotate(value)
            if new != value:
                session.execute(sa.update(t).where(t.c[pk] == key).values({column: new}))
                changed += 1
    return changed
