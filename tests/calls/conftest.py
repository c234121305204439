"""Fixtures of the call log's tests: the coordinator's side of errands (a Kajaani organization,
its coordinator logged in as ``coord``) and an older resident with a relative and a known number."""

from __future__ import annotations

import pytest

from tests.errands_coordinator.conftest import coord, coordinator, org  # noqa: F401  (shared fixtures)


@pytest.fixture()
def elder(make, org):  # noqa: F811
    return make.elder(org=org, first_name="Aili", last_name="Ahonen", phone="+358401234567", with_relative=True)
