"""Fixtures for the helper area: an organization taking sign-ups and a valid sign-up form."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from app.abuse import form_started_token
from app.i18n import today_local
from app.models import HelperProfile, SmsMessage, User


def born(age: int) -> date:
    """A birth date of someone who turned ``age`` about two months ago."""
    today = today_local()
    return today.replace(year=today.year - age, day=min(today.day, 28)) - timedelta(days=60)


@pytest.fixture()
def org(make):
    return make.organization(name="Kainuun 4H", municipalities=("Kajaani", "Sotkamo"))


@pytest.fixture()
def signup(org, make):
    """Returns a builder of valid sign-up form data (a 15-year-old with a guardian)."""

    def build(**overrides) -> dict:
        kajaani = make.municipality("Kajaani")
        data = {
            "first_name": "Aino",
            "last_name": "Nuorinen",
            "birth_date": born(15).isoformat(),
            "phone": "040 123 4567",
            "organization": str(org.id),
            "guardian_name": "Hanna Nuorinen",
            "guardian_phone": "050 765 4321",
            "email": "aino@example.fi",
            "password": "salasana-123",
            "password_confirm": "salasana-123",
            "municipality": str(kajaani.id),
            "village": str(make.village("Paltaniemi").id),
            "address_text": "",
            "transport": "bike",
            "max_distance_km": "",
            "task_types": ["shopping", "walk"],
            "availability": ["0-afternoon", "2-evening", "5-morning"],
            "languages": ["fi", "en"],
            "introduction": "Hei! Olen Aino ja tykkään ulkoilla koiran kanssa.",
            "slider_sociable": "2",
            "slider_producer": "5",
            "slider_others": "3",
            "slider_digital": "1",
            "privacy": "y",
            "started": form_started_token(),  # the bot check's time token (SIGNUP_MIN_SECONDS is 0 in tests)
        }
        data.update(overrides)
        return {k: v for k, v in data.items() if v is not None}

    return build


def profile_by_email(db, email: str) -> HelperProfile | None:
    db.session.expire_all()
    user = db.session.scalar(sa.select(User).where(User.email == email))
    return user.helper_profile if user else None


def sms_to(db, phone: str) -> list[SmsMessage]:
    return list(db.session.scalars(sa.select(SmsMessage).where(SmsMessage.to_phone == phone).order_by(SmsMessage.id)))


def assert_kept(html: str, data: dict) -> None:
    """Everything the user typed or chose is still in the re-shown form (passwords excepted)."""
    import html as html_lib
    import re

    for name in ("first_name", "last_name", "email", "phone", "guardian_name", "guardian_phone", "birth_date"):
        if data.get(name):
            value = html_lib.escape(data[name], quote=True)
            assert re.search(rf'name="{name}"[^>]*value="{re.escape(value)}"', html), f"{name} lost"
    if data.get("introduction"):
        assert html_lib.escape(data["introduction"], quote=False) in html, "introduction lost"
    for code in data.get("task_types", []):
        assert re.search(rf'<input checked id="task_types-\d+" name="task_types" type="checkbox" value="{code}"', html)
    for slot in data.get("availability", []):
        assert re.search(rf'value="{slot}" id="availability-{slot}"\s+checked', html), f"{slot} lost"
    for code in data.get("languages", []):
        assert re.search(rf'<input checked id="languages-\d+" name="languages" type="checkbox" value="{code}"', html)
    for key in ("sociable", "producer", "others", "digital"):
        name = f"slider_{key}"
        if data.get(name):
            assert re.search(rf'name="{name}"[^>]*value="{data[name]}"', html), f"{name} lost"
    for name in ("municipality", "village", "organization"):
        if data.get(name):
            assert re.search(rf'<option[^>]*selected value="{data[name]}"', html), f"{name} lost"
    transport = rf'<input checked id="transport-\d+" name="transport" required type="radio" value="{data["transport"]}"'
    assert re.search(transport, html), "transport lost"
    if data.get("password"):
        assert data["password"] not in html, "a password must not be sent back"


def token_from(body: str) -> str:
    return body.split("/helpers/consent/")[1].split()[0]


@pytest.fixture()
def register_minor(db, org, make):
    """Sign up a minor through the service (no web round trip); returns (profile, token)."""
    from app.helpers.profile_fit import Sliders
    from app.helpers.registration import HelperDetails, Registration, register_helper

    counter = iter(range(100))

    def build(*, first_name="Aino", guardian_phone="+358507654321", age=15, locale="fi", organization=None):
        n = next(counter)
        details = HelperDetails(
            first_name=first_name,
            last_name="Nuorinen",
            phone=f"+35840555{n:04d}",
            municipality_id=make.municipality("Kajaani").id,
            village_id=None,
            address_text=None,
            transport="bike",
            max_distance_km=None,
            task_types=("shopping",),
            availability=((0, "afternoon"),),
            languages=("fi",),
            introduction="Hei!",
            sliders=Sliders(),
            guardian_name="Hanna Nuorinen",
            guardian_phone=guardian_phone,
        )
        profile = register_helper(
            Registration(
                details=details,
                email=f"nuori{n}@example.fi",
                password="salasana-123",
                birth_date=born(age),
                organization_id=(organization or org).id,
                locale=locale,
            )
        )
        db.session.commit()
        message = sms_to(db, guardian_phone)[-1]
        return profile, token_from(message.body)

    return build
