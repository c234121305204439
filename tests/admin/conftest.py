"""Fixtures of the administration tests."""

from __future__ import annotations

import pytest


@pytest.fixture()
def admin_client(client, make):
    """A client logged in as an admin."""
    admin = make.admin(name="Ylläpitäjä Ulla")
    client.login(admin.email)
    client.user = admin
    return client
