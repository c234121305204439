"""Fixtures for the coordinator's side of errands: an organization, its coordinator
(logged in as ``coord``) and an older resident with a relative. Requests are taken
with ``make.request`` (the intake service), other rows with the other factories."""

from __future__ import annotations

import pytest


@pytest.fixture()
def org(make):
    return make.organization(name="Kajaanin 4H")


@pytest.fixture()
def coordinator(make, org):
    return make.coordinator(org=org, name="Kaisa Koordinaattori")


@pytest.fixture()
def coord(client, coordinator):
    """A client logged in as the coordinator of ``org``."""
    client.login(coordinator.email)
    client.user = coordinator
    return client


@pytest.fixture()
def elder(make, org):
    return make.elder(org=org, first_name="Aili", last_name="Ahonen", with_relative=True)
