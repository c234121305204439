"""The one home of test data: a factory per entity and the Helsinki-time helpers.

Tests get the factories as the ``make`` fixture (tests/conftest.py): ``make.elder()``,
``make.helper()``, ``make.coordinator()``, ``make.errand()``, ``make.assignment()``,
``make.offer()``, ``make.request()``, ``make.encounter()``, ``make.checkin()``...
Each returns a saved, committed object with sensible defaults; keyword arguments
override them. Rows are written straight to the database, in any state: the rules
of the services are tested through the services (``make.request`` is the one
factory that goes through one, the coordinator's intake).

Times: the models store aware UTC datetimes; ``helsinki(2026, 12, 7, 10, 0)`` is
that wall-clock time in Helsinki, ``in_days(3, 14)`` 14:00 Helsinki time three
days from today, ``local_today()`` today's date in Helsinki.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa

from app import rollups
from app.encounters import wellbeing
from app.errands.requests import RequestInput, create_request
from app.i18n import HELSINKI
from app.models import (
    Activity,
    Assignment,
    CheckIn,
    ContactPerson,
    Elder,
    Encounter,
    EncounterParticipant,
    Errand,
    HelperProfile,
    HelpRequest,
    Municipality,
    Offer,
    Organization,
    SharedPlace,
    TaskType,
    User,
    Village,
    utcnow,
)

PASSWORD = "correct horse battery"
_seq = itertools.count(1)
ALL_SLOTS = [[d, p] for d in range(7) for p in ("morning", "afternoon", "evening")]


# -- Helsinki time ------------------------------------------------------------


ROLLED_UP = (Errand, Assignment, HelpRequest, Encounter, EncounterParticipant, CheckIn)
"""What the report rollups count: a factory writing one tells them."""


def helsinki(year: int, month: int, day: int, hour: int = 12, minute: int = 0) -> datetime:
    """A Helsinki wall-clock time as the models store it: aware, in UTC."""
    return datetime(year, month, day, hour, minute, tzinfo=HELSINKI).astimezone(UTC)


def local_today() -> date:
    """Today's date in Helsinki."""
    return datetime.now(HELSINKI).date()


def in_days(days: int, hour: int = 12, minute: int = 0) -> datetime:
    """``hour:minute`` Helsinki time ``days`` days from today (negative: ago), as aware UTC."""
    day = local_today() + timedelta(days=days)
    return helsinki(day.year, day.month, day.day, hour, minute)


# -- the factories --------------------------------------------------------------


class Factories:
    def __init__(self, session):
        self.session = session
        self._default_org: Organization | None = None
        self._codes = itertools.count(500)
        self._batch = False

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Inside the block the factories flush instead of committing; one commit at the
        end (for tests that write hundreds of rows)."""
        self._batch = True
        try:
            yield
        finally:
            self._batch = False
        self.session.commit()

    def default_organization(self) -> Organization:
        """The organization of helpers and older residents made without one: one per
        test, so that they meet under the organization rule (app.policy) as
        they would in one organization. Tests of the rule pass organizations."""
        if self._default_org is None:
            self._default_org = self.organization(name=f"Oletusyhdistys {next(_seq)}")
        return self._default_org

    def _save(self, obj):
        self.session.add(obj)
        if isinstance(obj, ROLLED_UP):
            # Written straight, not through the services: the report rollups are told here,
            # as the services tell them (they are redone before the commit).
            rollups.touch(obj)
            if isinstance(obj, Errand):
                rollups.touch(obj.request)
        if self._batch:
            self.session.flush()
        else:
            self.session.commit()
        return obj

    def task_type(self, code: str = "shopping") -> TaskType:
        return self.session.scalar(sa.select(TaskType).filter_by(code=code))

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
            availability=fields.pop("availability", ALL_SLOTS),
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

    def helpers(
        self,
        org: Organization,
        n: int,
        *,
        lat: float = 64.2263,
        lon: float = 27.7290,
        spread: float = 0.02,
        spots: Sequence[tuple[float, float, float]] | None = None,
        max_distance_km: float = 10.0,
    ) -> list[HelperProfile]:
        """``n`` approved adult helpers of ``org`` spread around a point, inserted at once
        (sharing one password hash); or, with ``spots``, one at each ``(lat, lon, max_distance_km)``."""
        password_hash = self.session.scalar(sa.select(User.password_hash).limit(1)) or "x"
        if spots is None:
            spots = [
                (lat + spread * ((i % 13) - 6) / 6, lon + spread * ((i % 7) - 3) / 3, max_distance_km) for i in range(n)
            ]
        profiles = []
        for spot_lat, spot_lon, km in spots:
            k = next(_seq)
            user = User(email=f"bulk{k}@example.fi", name=f"Bulk {k}", role="helper", password_hash=password_hash)
            profiles.append(
                HelperProfile(
                    user=user,
                    organization=org,
                    first_name=f"Apu{k}",
                    last_name="Joukko",
                    birth_date=date(1999, 5, 5),
                    phone=f"+35845{k:07d}",
                    lat=spot_lat,
                    lon=spot_lon,
                    geocode_status="ok",
                    transport="bike",
                    max_distance_km=km,
                    task_types=["shopping", "post", "walk", "company"],
                    availability=ALL_SLOTS,
                    languages=["fi"],
                    status="approved",
                    approved_at=utcnow(),
                )
            )
        self.session.add_all(profiles)
        self.session.commit()
        return profiles

    # -- requests and errands ------------------------------------------------------

    def coordinator_of(self, org: Organization) -> User:
        """The first coordinator of ``org`` (one is made if it has none)."""
        user = self.session.scalar(
            sa.select(User)
            .join(User.organizations)
            .where(Organization.id == org.id, User.role == "coordinator")
            .order_by(User.id)
            .limit(1)
        )
        return user or self.coordinator(org=org)

    def request(
        self,
        elder: Elder,
        *,
        day: date | None = None,
        hour: int = 12,
        minutes: int = 60,
        task: str = "shopping",
        taken_by: User | None = None,
        **fields,
    ) -> HelpRequest:
        """A request taken through the coordinator's intake (``create_request``), so its
        errands are made as the app makes them: one-off at ``hour``:00 Helsinki time on
        ``day`` (default the day after tomorrow), taken by a coordinator of the person's
        organization. ``fields``: any other ``RequestInput`` field (recurrence, notes...)."""
        request = create_request(
            RequestInput(
                elder_id=elder.id,
                task_type_id=self.task_type(task).id,
                date_from=day or local_today() + timedelta(days=2),
                time_from=time(hour, 0),
                duration_minutes=minutes,
                **fields,
            ),
            taken_by=taken_by or self.coordinator_of(elder.organization),
        )
        self.session.commit()
        return request

    def errand(
        self,
        elder: Elder | None = None,
        starts_at: datetime | None = None,
        *,
        org: Organization | None = None,
        task: str = "shopping",
        minutes: int = 60,
        helpers_needed: int = 1,
        state: str = "open",
        notes: str | None = None,
        created_at: datetime | None = None,
        requested_at: datetime | None = None,
        **fields,
    ) -> Errand:
        """An errand in any state with its one-day request, written straight to the database
        (the lifecycle's rules are tested through the lifecycle). Defaults: a new older
        person of ``org``, 14:00 Helsinki time in three days, an hour of shopping."""
        elder = elder or self.elder(org=org)
        starts_at = starts_at or in_days(3, 14)
        local = starts_at.astimezone(HELSINKI)
        task_type = self.task_type(task)
        request = HelpRequest(
            elder=elder,
            organization_id=elder.organization_id,
            task_type=task_type,
            date_from=local.date(),
            date_to=local.date(),
            time_from=local.time(),
            duration_minutes=minutes,
            helpers_needed=helpers_needed,
            notes_for_helper=notes,
        )
        if requested_at is not None:
            request.created_at = requested_at
        errand = Errand(
            request=request,
            elder=elder,
            organization_id=elder.organization_id,
            task_type=task_type,
            starts_at=starts_at,
            ends_at=starts_at + timedelta(minutes=minutes),
            duration_minutes=minutes,
            helpers_needed=helpers_needed,
            state=state,
            short_code=str(next(self._codes)),
            **fields,
        )
        if created_at is not None:
            errand.created_at = created_at
        return self._save(errand)

    def assignment(
        self,
        errand: Errand,
        helper: HelperProfile,
        *,
        status: str = "active",
        assigned_at: datetime | None = None,
        **fields,
    ) -> Assignment:
        """``helper`` on ``errand`` in the next slot (no slot once withdrawn). An active
        assignment makes an open or offered errand assigned."""
        assignment = Assignment(
            errand=errand,
            helper=helper,
            slot=fields.pop("slot", None if status == "withdrawn" else len(errand.assignments) + 1),
            status=status,
            assigned_at=assigned_at or utcnow(),
            **fields,
        )
        if status == "active" and errand.state in ("open", "offered"):
            errand.state = "assigned"
        return self._save(assignment)

    def offer(self, errand: Errand, helper: HelperProfile, *, status: str = "pending", **fields) -> Offer:
        """An offer of ``errand`` to ``helper`` (sent now unless ``sent_at``); the errand's
        state is left as it is."""
        return self._save(Offer(errand=errand, helper=helper, status=status, **fields))

    # -- shared activities ------------------------------------------------------------

    def place(self, name: str = "Kajaanin kaupunginkirjasto", municipality: str = "Kajaani", **fields) -> SharedPlace:
        return self._save(SharedPlace(municipality=self.municipality(municipality), name=name, **fields))

    def activity(
        self,
        *,
        org: Organization | None = None,
        place: SharedPlace | None = None,
        at: datetime | None = None,
        days: float = 3,
        minutes: int = 120,
        **fields,
    ) -> Activity:
        """An approved activity ``days`` from now (or ``at``), 2 hours, in ``place`` (a library in Kajaani)."""
        starts_at = at or utcnow() + timedelta(days=days)
        activity = Activity(
            organization=org or self.default_organization(),
            place=place or self.place(name=f"Kirjasto {next(_seq)}"),
            title=fields.pop("title", "Kahvihetki kirjastolla"),
            starts_at=starts_at,
            ends_at=starts_at + timedelta(minutes=minutes),
            status=fields.pop("status", "approved"),
            capacity_young=fields.pop("capacity_young", 3),
            capacity_old=fields.pop("capacity_old", 6),
            minimum=fields.pop("minimum", 2),
            **fields,
        )
        return self._save(activity)

    # -- encounters and check-ins ------------------------------------------------------

    def encounter(
        self,
        helpers: HelperProfile | Sequence[HelperProfile],
        elders: Elder | Sequence[Elder],
        *,
        at: datetime | None = None,
        days_ago: float = 1,
        kind: str = "home_help",
        place: str = "home",
        org: Organization | None = None,
        scores: Sequence[int | None] = (),
        **fields,
    ) -> Encounter:
        """An encounter of these helpers and older people ``days_ago`` days ago (or ``at``),
        in the first older person's organization and municipality (``org`` when there is
        none, or to override). ``scores``: the participants'
        feedback scores, helpers first, in order."""
        helpers = [helpers] if isinstance(helpers, HelperProfile) else list(helpers)
        elders = [elders] if isinstance(elders, Elder) else list(elders)
        first = elders[0] if elders else None
        encounter = Encounter(
            organization_id=org.id if org is not None else first.organization_id,
            kind=kind,
            place_kind=place,
            place_name=fields.pop("place_name", "Kirjasto" if place == "shared_space" else None),
            municipality_id=fields.pop("municipality_id", first.municipality_id if first else None),
            occurred_at=at or utcnow() - timedelta(days=days_ago),
            duration_minutes=fields.pop("duration_minutes", 60),
            initiated_by=fields.pop("initiated_by", "coordinator"),
            led_by=fields.pop("led_by", "helper"),
            **fields,
        )
        score_iter = iter(scores)
        for h in helpers:
            encounter.participants.append(EncounterParticipant(helper_id=h.id, feedback_score=next(score_iter, None)))
        for e in elders:
            encounter.participants.append(EncounterParticipant(elder_id=e.id, feedback_score=next(score_iter, None)))
        return self._save(encounter)

    def checkin(
        self,
        person: Elder | HelperProfile,
        answers: dict[str, int] | None = None,
        *,
        at: datetime | None = None,
        days_ago: float = 0,
        scores: dict | None = None,
        **fields,
    ) -> CheckIn:
        """A well-being check-in of an older person or a helper ``days_ago`` days ago (or
        ``at``); its scores are computed from ``answers`` unless given."""
        kind = "elder" if isinstance(person, Elder) else "helper"
        answers = answers or {}
        return self._save(
            CheckIn(
                subject_kind=kind,
                helper_id=person.id if kind == "helper" else None,
                elder_id=person.id if kind == "elder" else None,
                taken_at=at or utcnow() - timedelta(days=days_ago),
                answers=answers,
                scores=wellbeing.score(kind, answers) if scores is None else scores,
                **fields,
            )
        )
