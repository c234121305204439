"""Factories for tests: each returns a saved, committed object with sensible defaults."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import sqlalchemy as sa

from app.models import ContactPerson, Elder, HelperProfile, Municipality, Organization, User, Village, utcnow

PASSWORD = "correct horse battery"
_seq = itertools.count(1)


class Factories:
    def __init__(self, session):
        self.session = session
        self._default_org: Organization | None = None

    def default_organization(self) -> Organization:
        """The organization of helpers and older residents made without one: one per
        test, so that they meet under the organization rule (app.policy) as
        they would in one organization. Tests of the rule pass organizations."""
        if self._default_org is None:
            self._default_org = self.organization(name=f"Oletusyhdistys {next(_seq)}")
        return self._default_org

    def _save(self, obj):
        self.session.add(obj)
        self.session.commit()
        return obj

    def municipality(self, name: str = "Kajaani") -> Municipality:
        return self.session.scalar(sa.select(Municipality).filter_by(name=name))

    def village(self, name: str) -> Village:
        return self.session.scalar(sa.select(Village).filter_by(name=name))

    def organization(self, name: str | None = None, municipalities=("Kajaani",), kind: str = "4h") -> Organization:
        org = Organization(name=name or f"Yhdistys {next(_seq)}", kind=kind)
        org.municipalities = [self.municipality(m) for m in municipalities]
        return self._save(org)

    def partnership(self, a: Organization, b: Organization) -> None:
        """Make two organizations partners (as the admin page does: both directions)."""
        from app.models.org import organization_partnerships as op

        self.session.execute(
            op.insert(), [{"organization_id": a.id, "partner_id": b.id}, {"organization_id": b.id, "partner_id": a.id}]
        )
        self.session.commit()

    def user(self, role: str = "coordinator", *, email: str | None = None, name: str | None = None, orgs=()) -> User:
        n = next(_seq)
        user = User(email=email or f"{role}{n}@example.fi", name=name or f"{role.title()} {n}", role=role)
        user.set_password(PASSWORD)
        user.organizations = list(orgs)
        return self._save(user)

    def admin(self, **kw) -> User:
        return self.user("admin", **kw)

    def coordinator(self, *, org: Organization | None = None, **kw) -> User:
        org = org or self.organization()
        return self.user("coordinator", orgs=[org], **kw)

    def helper(
        self,
        *,
        org: Organization | None = None,
        age: int = 17,
        status: str = "approved",
        lat: float = 64.2263,
        lon: float = 27.7290,
        consent: bool = True,
        **fields,
    ) -> HelperProfile:
        org = org or self.default_organization()
        n = next(_seq)
        user = self.user("helper", name=fields.pop("name", f"Nuori {n}"))
        today = date.today()
        profile = HelperProfile(
            user=user,
            organization=org,
            first_name=fields.pop("first_name", f"Nuori{n}"),
            last_name=fields.pop("last_name", "Testinen"),
            birth_date=date(today.year - age, 1, 1) - timedelta(days=1),
            phone=fields.pop("phone", f"+3584010{n:05d}"),
            municipality=self.municipality(),
            lat=lat,
            lon=lon,
            geocode_status="ok",
            transport="bike",
            max_distance_km=fields.pop("max_distance_km", 10.0),
            task_types=fields.pop("task_types", ["shopping", "post", "walk", "company"]),
            availability=fields.pop(
                "availability", [[d, p] for d in range(7) for p in ("morning", "afternoon", "evening")]
            ),
            languages=fields.pop("languages", ["fi"]),
            status=status,
            approved_at=utcnow() if status == "approved" else None,
            **fields,
        )
        if age < 18 and consent:
            from app.models import GuardianConsent

            profile.guardian_name = "Huoltaja Testinen"
            profile.guardian_phone = f"+3584011{n:05d}"
            profile.consents.append(
                GuardianConsent(
                    guardian_name=profile.guardian_name,
                    guardian_phone=profile.guardian_phone,
                    token_hash=f"factory-{n}".ljust(64, "0"),
                    sms_code=str(1000 + n),
                    text_version="test",
                    status="given",
                    requested_at=utcnow(),
                    given_at=utcnow(),
                    given_via="link",
                )
            )
        return self._save(profile)

    def elder(self, *, org: Organization | None = None, with_relative: bool = False, **fields) -> Elder:
        org = org or self.default_organization()
        n = next(_seq)
        elder = Elder(
            organization=org,
            first_name=fields.pop("first_name", "Aili"),
            last_name=fields.pop("last_name", f"Vanhanen{n}"),
            phone=fields.pop("phone", f"+3584020{n:05d}"),
            street_address=fields.pop("street_address", "Kauppakatu 1"),
            postcode="87100",
            municipality=self.municipality(),
            lat=fields.pop("lat", 64.2270),
            lon=fields.pop("lon", 27.7300),
            geocode_status="approximate",
            access_notes=fields.pop("access_notes", "Ovikoodi 1234"),
            health_notes=fields.pop("health_notes", "Diabetes, muista välipala"),
            consent_given=True,
            consent_method="verbal",
            consent_at=utcnow(),
            **fields,
        )
        if with_relative:
            elder.contacts.append(
                ContactPerson(name="Tytär Tiina", relation="daughter", phone=f"+3584030{n:05d}", may_contact=True)
            )
        return self._save(elder)
