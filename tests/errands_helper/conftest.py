"""Fixtures for the helper's side of errands: an organization and its older resident
(errands are made with ``make.errand``)."""

from __future__ import annotations

import pytest


@pytest.fixture()
def org(make):
    return make.organization()


@pytest.fixture()
def elder(make, org):
    return make.elder(
        org=org,
        first_name="Aili",
        last_name="Vanhasalo",
        street_address="Koulukatu 17 B 4",
        phone="+358401234567",
        access_notes="Ovikoodi 4321",
        health_notes="Sydänlääkitys",
        language="fi",
    )
