"""A deterministic Kainuu demo world for ``flask --app wsgi seed-demo``.

Everything is looked up by a natural key before it is created, so running the
command again changes nothing. Dates are relative to the day it is run so the
demo's errands are always coming up. Its secrets are not deterministic: calendar
tokens, consent tokens and codes, and errand codes are random (``secrets``), so no
demo link or code can be guessed from this file. The demo logins share the
documented password :data:`DEMO_PASSWORD`, which is why ``seed-demo`` refuses to
run in production.
"""

from __future__ import annotations

import random
import secrets
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa

from app import rollups
from app.activities.demo import seed_activities
from app.encounters.demo import seed_encounters
from app.errands import notifications
from app.errands.calendar import new_token
from app.errands.requests import ShortCodes
from app.errands.states import transition
from app.extensions import db
from app.helpers.consent import hash_token
from app.i18n import HELSINKI
from app.models import (
    Assignment,
    AvailabilityException,
    Callback,
    CallLog,
    ContactPerson,
    Elder,
    Errand,
    ErrandEvent,
    GuardianConsent,
    HelperProfile,
    HelpRequest,
    Municipality,
    Offer,
    Organization,
    User,
    Village,
    WeekPlan,
    utcnow,
)
from app.models.org import organization_partnerships
from app.places import ensure_places, ensure_task_types
from app.planning.service import solve_week
from app.scheduling.reminders import elder_reminder_key
from app.vocabulary import ELDER_PROFILES, YOUTH_PROFILES

DEMO_PASSWORD = "arjenpelastajat"
DEMO_LOGINS = [
    ("admin", "admin@demo.arjenpelastajat.fi", DEMO_PASSWORD),
    ("coordinator", "kaisa.koordinaattori@demo.arjenpelastajat.fi", DEMO_PASSWORD),
    ("coordinator", "pekka.koordinaattori@demo.arjenpelastajat.fi", DEMO_PASSWORD),
    ("helper", "aino.nuori@demo.arjenpelastajat.fi", DEMO_PASSWORD),
]

ORGANIZATIONS = [
    ("Kainuun 4H-yhdistys", "4h", ["Kajaani", "Paltamo", "Ristijärvi", "Sotkamo"]),
    ("Kajaanin seurakunta", "parish", ["Kajaani"]),
    ("Kuhmon kotipalvelu", "home_care", ["Kuhmo"]),
    ("Suomussalmen nuorisovaltuusto", "youth_council", ["Suomussalmi", "Hyrynsalmi"]),
    ("Sotkamon ystäväpalvelu", "friend_service", ["Sotkamo"]),
    ("Paltamon eläkeläiset ry", "pensioners", ["Paltamo"]),
    ("Tönäri", "association", ["Kajaani", "Sotkamo"]),
    ("Karoliinan kamari", "association", ["Kajaani"]),
    ("Nuorten elämää", "association", ["Kuhmo", "Suomussalmi"]),
]

#: Partnerships (app.policy): the 4H shares its helpers with the parish
#: and the friend service where it serves the same municipalities, and back.
PARTNERSHIPS = [
    ("Kainuun 4H-yhdistys", "Kajaanin seurakunta"),
    ("Kainuun 4H-yhdistys", "Sotkamon ystäväpalvelu"),
    ("Kainuun 4H-yhdistys", "Tönäri"),
]

COORDINATORS = [
    (
        "kaisa.koordinaattori@demo.arjenpelastajat.fi",
        "Kaisa Koordinaattori",
        ["Kainuun 4H-yhdistys", "Kajaanin seurakunta"],
    ),
    ("pekka.koordinaattori@demo.arjenpelastajat.fi", "Pekka Koordinaattori", ["Kuhmon kotipalvelu", "Nuorten elämää"]),
    ("sari.koordinaattori@demo.arjenpelastajat.fi", "Sari Koordinaattori", ["Suomussalmen nuorisovaltuusto"]),
    (
        "olli.koordinaattori@demo.arjenpelastajat.fi",
        "Olli Koordinaattori",
        ["Sotkamon ystäväpalvelu", "Tönäri", "Paltamon eläkeläiset ry"],
    ),
]

YOUNG_FIRST = [
    "Aino",
    "Eetu",
    "Venla",
    "Onni",
    "Helmi",
    "Leevi",
    "Siiri",
    "Elias",
    "Lilja",
    "Niilo",
    "Emma",
    "Aatu",
    "Ella",
    "Veeti",
    "Iida",
    "Joona",
    "Nella",
    "Oiva",
    "Pihla",
    "Rasmus",
    "Sofia",
    "Topias",
    "Viivi",
    "Akseli",
    "Minea",
    "Eino",
    "Kerttu",
    "Lauri",
    "Saana",
    "Hugo",
]
YOUNG_LAST = [
    "Heikkinen",
    "Komulainen",
    "Kemppainen",
    "Pulkkinen",
    "Huotari",
    "Karppinen",
    "Leinonen",
    "Tolonen",
    "Väisänen",
    "Oikarinen",
]
OLD_FIRST = [
    "Aili",
    "Toivo",
    "Martta",
    "Eino",
    "Hilja",
    "Vilho",
    "Lempi",
    "Arvo",
    "Impi",
    "Väinö",
    "Elsa",
    "Veikko",
    "Saima",
    "Pentti",
    "Kaarina",
    "Reino",
    "Tyyne",
    "Erkki",
    "Irja",
    "Lauri",
]
OLD_LAST = [
    "Kilpeläinen",
    "Moilanen",
    "Kyllönen",
    "Juntunen",
    "Seppänen",
    "Pikkarainen",
    "Kinnunen",
    "Korhonen",
    "Karjalainen",
    "Ylönen",
]
TRANSPORT_KM = {"foot": 2.0, "bike": 6.0, "moped": 15.0, "car": 30.0}
PARTS = ["morning", "afternoon", "evening"]


def _get_or_create(model, defaults: dict | None = None, **keys):
    obj = db.session.scalar(sa.select(model).filter_by(**keys))
    if obj is None:
        obj = model(**keys, **(defaults or {}))
        db.session.add(obj)
        db.session.flush()
        return obj, True
    return obj, False


def _user(email: str, name: str, role: str) -> tuple[User, bool]:
    user, created = _get_or_create(User, {"name": name, "role": role, "password_hash": ""}, email=email)
    if created:
        user.set_password(DEMO_PASSWORD)
    return user, created


def _local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=HELSINKI).astimezone(UTC)


def seed(today: date | None = None) -> dict[str, int]:
    rng = random.Random(12052015)  # the concept's date
    today = today or datetime.now(HELSINKI).date()
    ensure_places()
    tasks = {t.code: t for t in ensure_task_types()}
    munis = {m.name: m for m in db.session.scalars(sa.select(Municipality))}
    villages_by_muni: dict[int, list[Village]] = {}
    for v in db.session.scalars(sa.select(Village).order_by(Village.id)):
        villages_by_muni.setdefault(v.municipality_id, []).append(v)

    orgs: dict[str, Organization] = {}
    for name, kind, muni_names in ORGANIZATIONS:
        org, created = _get_or_create(Organization, {"kind": kind}, name=name)
        if created:
            org.municipalities = [munis[m] for m in muni_names if m in munis]
        orgs[name] = org
    db.session.flush()
    op = organization_partnerships
    for a, b in PARTNERSHIPS:
        for one, other in ((orgs[a], orgs[b]), (orgs[b], orgs[a])):
            there = sa.select(op.c.partner_id).where(op.c.organization_id == one.id, op.c.partner_id == other.id)
            if db.session.scalar(there) is None:
                db.session.execute(op.insert().values(organization_id=one.id, partner_id=other.id))

    _user("admin@demo.arjenpelastajat.fi", "Anna Admin", "admin")
    for email, name, org_names in COORDINATORS:
        user, created = _user(email, name, "coordinator")
        if created:
            user.organizations = [orgs[n] for n in org_names]
            user.phone = "+358401000" + str(100 + len(org_names))

    org_list = list(orgs.values())
    helpers: list[HelperProfile] = []
    for i in range(30):
        first, last = YOUNG_FIRST[i], YOUNG_LAST[i % len(YOUNG_LAST)]
        email = (
            "aino.nuori@demo.arjenpelastajat.fi"
            if i == 0
            else f"{first.lower()}.{last.lower()}@demo.arjenpelastajat.fi"
        )
        email = email.replace("ä", "a").replace("ö", "o")
        user, created = _user(email, f"{first} {last}", "helper")
        org = org_list[i % 5] if i else orgs["Kainuun 4H-yhdistys"]
        if not created:
            helpers.append(user.helper_profile)
            continue
        muni = org.municipalities[i % len(org.municipalities)]
        village = rng.choice(villages_by_muni.get(muni.id, [None]))
        place = village if village and village.lat else muni
        age = 13 + (i % 7)
        transport = ["foot", "bike", "moped", "car"][min(3, (age - 13) // 2)] if i % 4 else "bike"
        profile = HelperProfile(
            user=user,
            organization=org,
            first_name=first,
            last_name=last,
            birth_date=date(today.year - age, 1 + i % 12, 1 + i % 27),
            phone=f"+3584012{i:05d}",
            municipality=muni,
            village=village,
            lat=(place.lat or 64.2) + rng.uniform(-0.01, 0.01),
            lon=(place.lon or 27.7) + rng.uniform(-0.02, 0.02),
            geocode_status="ok",
            transport=transport,
            max_distance_km=TRANSPORT_KM[transport],
            task_types=rng.sample(sorted(tasks), k=3 + i % 3),
            availability=[[d, p] for d in range(7) for p in PARTS if (d < 5 and p != "morning") or d >= 5],
            languages=["fi", "sv"] if i % 6 == 0 else ["fi"],
            introduction=f"Hei, olen {first}, {age}-vuotias. Tykkään ulkoilusta ja autan mielelläni.",
            slider_sociable=1 + i % 5,
            slider_producer=1 + (i * 2) % 5,
            slider_others=1 + (i * 3) % 5,
            slider_digital=1 + (i * 4) % 5,
            youth_profile=YOUTH_PROFILES[i % 4],
            suggested_profile=YOUTH_PROFILES[i % 4],
            status="pending" if i in (7, 19, 26) else "approved",
            approved_at=None if i in (7, 19, 26) else utcnow() - timedelta(days=60 + i),
            identity_seen=i not in (7, 19, 26),
            training_held=i not in (7, 19, 26),
            calendar_token=new_token(),  # random: a demo feed link must not be guessable
        )
        if age < 18:
            profile.guardian_name = f"Huoltaja {last}"
            profile.guardian_phone = f"+3584013{i:05d}"
            given = i % 5 != 3
            profile.consents.append(
                GuardianConsent(
                    guardian_name=profile.guardian_name,
                    guardian_phone=profile.guardian_phone,
                    token_hash=hash_token(secrets.token_urlsafe(32)),
                    sms_code=f"{1000 + secrets.randbelow(9000)}",
                    text_version="2026-1",
                    status="given" if given else "requested",
                    requested_at=utcnow() - timedelta(days=70),
                    given_at=utcnow() - timedelta(days=69) if given else None,
                    given_via="sms" if given else None,
                )
            )
        db.session.add(profile)
        helpers.append(profile)
    db.session.flush()

    elders: list[Elder] = []
    kaisa = db.session.scalar(sa.select(User).filter_by(email=COORDINATORS[0][0]))
    for i in range(40):
        first, last = OLD_FIRST[i % 20], OLD_LAST[(i * 3) % 10]
        if i >= 20:
            last = last + "-" + OLD_LAST[i % 10]
        org = org_list[i % len(org_list)]
        existing = db.session.scalar(
            sa.select(Elder).filter_by(first_name=first, last_name=last, organization_id=org.id)
        )
        if existing:
            elders.append(existing)
            continue
        muni = org.municipalities[i % len(org.municipalities)]
        village = rng.choice(villages_by_muni.get(muni.id, [None]))
        place = village if village and village.lat else muni
        channel = ["sms_self", "sms_relative", "coordinator_call"][i % 3]
        elder = Elder(
            organization=org,
            first_name=first,
            last_name=last,
            birth_year=None if i % 7 == 6 else 1930 + (i * 8) % 21,  # most known (1930-1950), a few not
            phone=f"+3584020{i:05d}" if i % 4 else f"+35886{i:05d}",
            phone_kind="mobile" if i % 4 else "landline",
            # Every other landline gets automated calls (issue 16); the rest are called by a coordinator.
            contact_channel=channel if i % 4 else ("voice" if i % 8 == 4 else "coordinator_call"),
            language="sv" if i % 13 == 0 else "fi",
            street_address=f"{['Kauppakatu', 'Koulutie', 'Rantatie', 'Kirkkotie'][i % 4]} {1 + i}",
            postcode=village.postcode if village else None,
            municipality=muni,
            village=village,
            lat=(place.lat or 64.2) + rng.uniform(-0.01, 0.01),
            lon=(place.lon or 27.7) + rng.uniform(-0.02, 0.02),
            geocode_status="approximate",
            access_notes="Ovikello ei toimi, koputa." if i % 5 == 0 else None,
            elder_profile=ELDER_PROFILES[i % 5],
            prefers_continuity=i % 3 != 0,
            health_notes="Kuulo heikentynyt, puhu selkeästi." if i % 4 == 0 else None,
            consent_given=True,
            consent_method="verbal",
            consent_taken_by_id=kaisa.id if kaisa else None,
            consent_at=utcnow() - timedelta(days=80),
        )
        if channel == "sms_relative" or i % 2 == 0:
            elder.contacts.append(
                ContactPerson(
                    name=f"{['Tytär', 'Poika', 'Naapuri'][i % 3]} {last.split('-')[0]}",
                    relation=["daughter", "son", "neighbour"][i % 3],
                    phone=f"+3584030{i:05d}",
                    may_contact=True,
                    consent_at=utcnow() - timedelta(days=80),
                    is_primary=True,
                )
            )
        db.session.add(elder)
        elders.append(elder)
    db.session.flush()

    requests_created = _seed_requests(rng, today, elders, helpers, tasks)
    calls_created = _seed_calls(today, kaisa, elders, helpers)
    planned = _seed_week_plan(rng, today, elders, helpers, tasks, kaisa)

    encounter_counts = seed_encounters(rng, utcnow())
    activity_counts = seed_activities(rng, utcnow(), today)
    db.session.flush()
    rollups.rebuild_everything()  # the demo's rows are written straight: the report rollups from them
    return {
        **encounter_counts,
        **activity_counts,
        "organizations": len(orgs),
        "helpers": len(helpers),
        "elders": len(elders),
        "new requests": requests_created,
        "calls": calls_created,
        "week plan errands": planned,
    }


def _seed_calls(today: date, coordinator: User | None, elders: list[Elder], helpers: list[HelperProfile]) -> int:
    """Kaisa's phone morning: a few logged calls and an open callback at 14.00 (once)."""
    if coordinator is None or db.session.scalar(sa.select(CallLog.id).limit(1)) is not None:
        return 0
    mine = coordinator.organization_ids
    elder, other = [e for e in elders if e.organization_id in mine][:2]
    helper = next(h for h in helpers if h.organization_id in mine)
    relative = next((c for c in other.contacts), None)
    calls = [
        (8, 40, "elder", elder, None, elder.phone, "new_request", "request_taken", "Kauppa-asiat ensi tiistaina"),
        (9, 15, "relative", other, None, relative.phone if relative else other.phone, "change", "callback", ""),
        (9, 50, "helper", None, helper, helper.phone, "question", "handled", "Kysyi, missä ovikoodi on"),
        (10, 5, "other", None, None, "+35886155000", "question", "forwarded", "Kuhmon kotipalvelu: ohjattu Pekalle"),
    ]
    for hour, minute, kind, person, young, phone, topic, outcome, note in calls:
        call = CallLog(
            organization_id=(person or young).organization_id if (person or young) else sorted(mine)[0],
            coordinator_id=coordinator.id,
            caller_kind=kind,
            phone=phone,
            topic=topic,
            outcome=outcome,
            note=note,
            elder_id=person.id if person else None,
            helper_id=young.id if young else None,
            called_at=_local(today, hour, minute),
        )
        db.session.add(call)
        if outcome == "callback":
            db.session.flush()
            db.session.add(
                Callback(
                    organization_id=call.organization_id,
                    call_id=call.id,
                    elder_id=person.id,
                    phone=phone,
                    note="Tytär soittaa: siirretäänkö torstain kauppa-asia",
                    due_at=_local(today, 14),
                    created_by_id=coordinator.id,
                )
            )
    return len(calls)


def _open_errand(req: HelpRequest, starts: datetime, code: str) -> Errand:
    """The request's one hour errand, open, with its first history line (as the request was made)."""
    errand = Errand(
        request=req,
        elder=req.elder,
        organization_id=req.organization_id,
        task_type=req.task_type,
        starts_at=starts,
        ends_at=starts + timedelta(minutes=60),
        duration_minutes=60,
        state="open",
        short_code=code,
        created_at=req.created_at,
    )
    db.session.add(errand)
    db.session.flush()
    db.session.add(
        ErrandEvent(errand=errand, from_state=None, to_state="open", actor_kind="coordinator", at=req.created_at)
    )
    return errand


def _seed_requests(rng, today, elders, helpers, tasks) -> int:
    """Requests in several states: open, offered, assigned, done, cancelled."""
    if db.session.scalar(sa.select(sa.func.count(HelpRequest.id))):
        return 0
    approved = [h for h in helpers if h.status == "approved"]
    task_codes = sorted(tasks)
    created = 0
    queued_offers: list = []
    codes = ShortCodes()
    confirmations: list[Assignment] = []
    for i, elder in enumerate(elders[:32]):
        task = tasks[task_codes[i % len(task_codes)]]
        day = today + timedelta(days=(i % 9) - 3)
        hour = 10 + (i % 7)
        req = HelpRequest(
            elder=elder,
            organization_id=elder.organization_id,
            task_type=task,
            requested_by="relative" if i % 4 == 1 else "elder",
            requested_by_contact=elder.contacts[0] if i % 4 == 1 and elder.contacts else None,
            date_from=day,
            date_to=day,
            time_from=time(hour, 0),
            time_to=time(hour + 1, 0),
            duration_minutes=60,
            helpers_needed=1,
            notes_for_helper="Kauppalista on eteisen pöydällä." if task.code == "shopping" else None,
            recurrence="weekly" if i % 8 == 0 else "none",
            recurrence_until=day + timedelta(weeks=6) if i % 8 == 0 else None,
        )
        created_at = utcnow() - timedelta(days=4, hours=i % 5)
        req.created_at = created_at
        db.session.add(req)
        starts = _local(day, hour)
        errand = _open_errand(req, starts, codes.new())
        nearby = sorted(approved, key=lambda h: (h.lat - elder.lat) ** 2 + (h.lon - elder.lon) ** 2)[:3]
        past = day < today
        if past or i % 3 == 0 or i % 9 == 4:  # i % 9 == 4: assigned for tomorrow, so reminders show
            helper = nearby[0]
            assignment = Assignment(
                errand=errand,
                helper=helper,
                slot=1,
                assigned_via="board",
                status="done" if past else "active",
                done_at=starts + timedelta(minutes=70) if past else None,
                report_text="Kauppakassi vietiin ja juteltiin kahvilla." if past else None,
                report_minutes=65 if past else None,
                assigned_at=created_at + timedelta(hours=3 + i % 20),
            )
            db.session.add(assignment)
            transition(errand, "assigned", actor=None, actor_kind="helper")
            if past:
                transition(errand, "done", actor=None, actor_kind="helper")
        elif i % 3 == 1:
            for rank, helper in enumerate(nearby, start=1):
                db.session.add(
                    Offer(
                        errand=errand,
                        helper=helper,
                        rank=rank,
                        status="pending",
                        expires_at=starts - timedelta(hours=12),
                        sent_at=utcnow() - timedelta(hours=20),
                    )
                )
                queued_offers.append((errand, helper))
            transition(errand, "offered", actor=None, actor_kind="coordinator")
        elif i % 9 == 5:
            transition(errand, "cancelled", actor=None, actor_kind="relative")
            errand.cancelled_by_kind = "relative"
            errand.cancel_reason = "Omainen hoitaa asian itse."
        if errand.state == "assigned":
            confirmations.append(assignment)
        created += 1
    db.session.flush()
    # The texts these errands caused, so the SMS log shows offers and confirmations at once.
    for errand, helper in queued_offers:
        notifications.queue_offer(errand, helper)
    for assignment in confirmations:
        notifications.queue_confirmation(assignment)
        notifications.queue_elder_confirmation(assignment)
        _queue_reminder_call(assignment, today)
    return created


def _queue_reminder_call(assignment: Assignment, today: date) -> None:
    """Tomorrow's reminder call to a landline older person, as the scheduler makes it at 18
    (the same dedupe key), so the message log shows its spoken text at once."""
    errand = assignment.errand
    recipient = notifications.elder_recipient(errand.elder)
    tomorrow = errand.starts_at.astimezone(HELSINKI).date() == today + timedelta(days=1)
    if recipient is None or recipient.channel != "voice" or not tomorrow:
        return
    notifications.queue_for_older_person(
        recipient,
        "reminder_elder_day",
        errand,
        assignment.helper.first_name,
        dedupe_key=elder_reminder_key(errand.id, recipient),
    )


def _seed_week_plan(rng, today, elders, helpers, tasks, coordinator) -> int:
    """Next week for Kainuun 4H-yhdistys: afternoon errands that compete for the same few
    helpers (and one helper away on Tuesday, one with a limit of two errands a week), and
    the draft week plan made from them, so the coordinator sees what it gains over best first."""
    org = db.session.scalar(sa.select(Organization).filter_by(name="Kainuun 4H-yhdistys"))
    monday = today - timedelta(days=today.weekday()) + timedelta(days=7)
    if org is None or coordinator is None or db.session.scalar(sa.select(WeekPlan).filter_by(organization_id=org.id)):
        return 0
    mine = [e for e in elders if e.organization_id == org.id] + _lohtaja_neighbours(org, today, tasks)
    codes = ShortCodes()
    count = 0
    for i, elder in enumerate(mine * 3):
        # Three afternoons (Monday, Wednesday, Friday), everyone at about the same time.
        day = monday + timedelta(days=2 * (i // len(mine)))
        hour, minute = (16, 0) if i % 3 else (16, 30)
        task = tasks[sorted(tasks)[(i * 5) % len(tasks)]]
        created_at = utcnow() - timedelta(days=2, minutes=10 * (20 - i))
        req = HelpRequest(
            elder=elder,
            organization_id=org.id,
            task_type=task,
            requested_by="elder",
            date_from=day,
            date_to=day,
            time_from=time(hour, minute),
            time_to=time(hour + 1, minute),
            duration_minutes=60,
            helpers_needed=1,
        )
        req.created_at = created_at
        db.session.add(req)
        _open_errand(req, _local(day, hour, minute), codes.new())
        count += 1
    ours = [h for h in helpers if h.organization_id == org.id and h.status == "approved"]
    if ours:
        away = monday + timedelta(days=1)
        db.session.add(AvailabilityException(helper=ours[0], first_day=away, last_day=away, kind="exams"))
        ours[-1].max_errands_week = 2
    db.session.flush()
    solve_week(org.id, monday, by_user=coordinator)
    return count


#: Kajaani, Lohtaja: two neighbours 4 km apart, a helper who reaches both and one who walks to only one.
LOHTAJA = (64.2180, 27.7000)


def _lohtaja_neighbours(org: Organization, today: date, tasks: dict) -> list[Elder]:
    """Where best first goes wrong: Ville (on a bike) is the best helper for both Elsa and
    Hilma; Sanni (on foot) can reach only Elsa. Best first gives Elsa's errand to Ville and
    leaves Hilma's without anyone; the plan sends Sanni to Elsa and Ville to Hilma."""
    kajaani = db.session.scalar(sa.select(Municipality).filter_by(name="Kajaani"))
    lat, lon = LOHTAJA
    people = []
    for first, last, east_km in (("Elsa", "Lohtaja", 0.0), ("Hilma", "Rantanen", 4.0)):
        elder, created = _get_or_create(Elder, {"organization": org}, first_name=first, last_name=last)
        if created:
            elder.phone, elder.phone_kind, elder.contact_channel = f"+3584029{len(people):05d}", "mobile", "sms_self"
            elder.street_address, elder.municipality = "Lohtajantie " + str(3 + 10 * len(people)), kajaani
            elder.lat, elder.lon, elder.geocode_status = lat, lon + east_km * 0.0209, "approximate"
            elder.consent_given, elder.consent_method, elder.consent_at = True, "verbal", utcnow() - timedelta(days=30)
        people.append(elder)
    pair = (("Ville", "Kainulainen", 0.3, "bike"), ("Sanni", "Heikkinen", -3.5, "foot"))
    for n, (first, last, east_km, transport) in enumerate(pair):
        user, created = _user(f"{first.lower()}.{last.lower()}@demo.arjenpelastajat.fi", f"{first} {last}", "helper")
        if created:
            db.session.add(
                HelperProfile(
                    user=user,
                    organization=org,
                    first_name=first,
                    last_name=last,
                    birth_date=date(today.year - 20, 5, 1),
                    phone=f"+3584012{90 + n:05d}",
                    municipality=kajaani,
                    lat=lat,
                    lon=lon + east_km * 0.0209,
                    geocode_status="ok",
                    transport=transport,
                    max_distance_km=8.0 if transport == "bike" else 4.0,
                    task_types=sorted(tasks),
                    availability=[[d, p] for d in range(7) for p in PARTS],
                    languages=["fi"],
                    status="approved",
                    approved_at=utcnow() - timedelta(days=40),
                    identity_seen=True,
                    training_held=True,
                    calendar_token=new_token(),
                )
            )
    db.session.flush()
    return people
