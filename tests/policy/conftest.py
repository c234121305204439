"""Two (and more) organizations in one municipality, for the organization rule."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from app.models import Elder, Errand, HelperProfile, Organization, User
from tests.factories import in_days
from tests.sms.support import twilio_token  # noqa: F401


@dataclass
class World:
    """Kajaani: the errand's organization (own), a partner that serves Kajaani, a
    partner that does not, and an organization of the place that is no partner."""

    own: Organization
    partner: Organization
    far_partner: Organization
    stranger: Organization
    coordinator: User
    stranger_coordinator: User
    elder: Elder
    errand: Errand
    helpers: dict[str, HelperProfile]

    @property
    def allowed(self) -> set[int]:
        return {self.helpers["own"].id, self.helpers["partner"].id}

    @property
    def refused(self) -> set[int]:
        return {self.helpers["far_partner"].id, self.helpers["stranger"].id}


@pytest.fixture()
def world(db, make) -> World:
    own = make.organization(name="Kajaanin seurakunta", kind="parish", municipalities=("Kajaani",))
    partner = make.organization(name="Kainuun 4H", municipalities=("Kajaani", "Paltamo"))
    far_partner = make.organization(name="Kuhmon 4H", municipalities=("Kuhmo",))
    stranger = make.organization(name="Tönäri", kind="association", municipalities=("Kajaani",))
    make.partnership(own, partner)
    make.partnership(own, far_partner)
    elder = make.elder(
        org=own,
        first_name="Aili",
        last_name="Vanhasalo",
        street_address="Koulukatu 17 B 4",
        access_notes="Ovikoodi 4321",
    )
    helpers = {
        name: make.helper(org=org, age=19, first_name=name.title().replace("_", ""), phone=f"+35840555{i:04d}")
        for i, (name, org) in enumerate(
            (("own", own), ("partner", partner), ("far_partner", far_partner), ("stranger", stranger))
        )
    }
    errand = make.errand(elder, in_days(3, 14))
    db.session.commit()
    return World(
        own=own,
        partner=partner,
        far_partner=far_partner,
        stranger=stranger,
        coordinator=make.coordinator(org=own),
        stranger_coordinator=make.coordinator(org=stranger),
        elder=elder,
        errand=errand,
        helpers=helpers,
    )
