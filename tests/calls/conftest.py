"""Fixtures of the call log's tests: a Kajaani organization, its coordinator (logged in as
``coord``) and an older resident with a relative."""

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
    client.login(coordinator.email)
    client.user = coordinator
    return client


@pytest.fixture()
def elder(make, org):
    return make.elder(org=org, first_name="Aili", last_name="Ahonen", phone="+358401234567", with_relative=True)
