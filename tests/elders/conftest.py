"""Fixtures for the older residents' tests: a coordinator in a Sotkamo organization,
the intake form's data, and the app switched to geopy's Nominatim against a local fake."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakes.nominatim_server import FakeNominatim


@pytest.fixture()
def org(make):
    return make.organization("Sotkamon ystäväpalvelu", municipalities=("Sotkamo",), kind="friend_service")


@pytest.fixture()
def coordinator(client, make, org):
    """A logged-in coordinator of ``org`` (the client is theirs)."""
    user = make.coordinator(org=org, name="Kaisa Koordinaattori")
    client.login(user.email)
    return user


@pytest.fixture()
def intake(make, org):
    """``intake(**changes)``: the intake form as a browser sends it, for a Sotkamo resident."""
    sotkamo = make.municipality("Sotkamo")

    def build(**changes) -> dict:
        data = {
            "organization_id": str(org.id),
            "first_name": "Aino",
            "last_name": "Heikkinen",
            "phone": "040 765 4321",
            "contact_channel": "coordinator_call",
            "language": "fi",
            "contacts-0-name": "",
            "contacts-0-relation": "",
            "contacts-0-phone": "",
            "contacts-0-language": "fi",
            "contacts-1-name": "",
            "contacts-1-relation": "",
            "contacts-1-phone": "",
            "contacts-1-language": "fi",
            "street_address": "Koulutie 3",
            "postcode": "88600",
            "municipality_id": str(sotkamo.id),
            "village_id": "",
            "access_notes": "Takaovi, koira on kiltti",
            "elder_profile": "koti_kunniaan",
            "slider_sociable": "4",
            "slider_producer": "2",
            "slider_others": "3",
            "slider_digital": "5",
            "prefers_continuity": "y",
            "preferences": "Juttelee mielellään kalastuksesta",
            "health_notes": "Sydänlääkitys, ei raskaita nostoja",
            "consent_given": "y",
            "consent_method": "verbal",
            "submit": "1",
        }
        for key, value in changes.items():
            key = key.replace("__", "-")
            if value is None:
                data.pop(key, None)
            else:
                data[key] = value
        return data

    return build


def with_relative(**extra) -> dict:
    """Changes that fill the first contact row with a daughter who agrees to be contacted."""
    return {
        "contacts__0__name": "Tiina Heikkinen",
        "contacts__0__relation": "daughter",
        "contacts__0__phone": "050 111 2233",
        "contacts__0__language": "fi",
        "contacts__0__may_contact": "y",
        **extra,
    }


@pytest.fixture()
def use_geocoder(app) -> Iterator:
    """``use_geocoder(GEOCODER=..., NOMINATIM_URL=...)``: rebuild the app's geocoder from
    these settings for this test; the original settings and geocoder come back afterwards."""
    saved_config = {}
    saved_geocoder = app.extensions.pop("geocoder", None)

    def switch(**settings) -> None:
        for key, value in settings.items():
            saved_config.setdefault(key, app.config.get(key))
            app.config[key] = value
        app.extensions.pop("geocoder", None)

    yield switch
    app.config.update(saved_config)
    app.extensions.pop("geocoder", None)
    if saved_geocoder is not None:
        app.extensions["geocoder"] = saved_geocoder


@pytest.fixture()
def fake_nominatim(use_geocoder) -> Iterator[FakeNominatim]:
    """The fake Nominatim server, with the app's geocoder pointed at it through geopy."""
    with FakeNominatim() as fake:
        use_geocoder(
            GEOCODER="nominatim",
            NOMINATIM_URL=fake.base_url,
            NOMINATIM_USER_AGENT="arjen-pelastajat-tests/1.0 (elders)",
            NOMINATIM_MIN_DELAY_SECONDS=0,
        )
        yield fake


def tag(html: str, element_id: str) -> str:
    """The opening tag of the element with this id (attributes in any order)."""
    import re

    match = re.search(rf'<[a-z]+\b[^>]*\bid="{re.escape(element_id)}"[^>]*>', html)
    assert match, f"no element #{element_id}"
    return match.group(0)
