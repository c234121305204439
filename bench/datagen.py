"""A synthetic, deterministic national data set at any size.

Helpers and older residents live where Finns live (dense towns, sparse
villages, a thin rural background; see :mod:`bench.geography`); requests of
every task type become errands in every state over the past year and the next
four weeks, with offers, assignments and their history; done errands and
shared activities are logged as encounters with participants and feedback;
some people have quarterly well-being check-ins.

Rows are written in bulk: SQLAlchemy Core ``insert()`` executemany batches on
SQLite, ``COPY`` through psycopg on PostgreSQL. Primary keys are assigned here
(continuing after the largest existing id), so parents and children are
written without a round trip per row; PostgreSQL sequences are moved past them
at the end. Every helper's account shares one precomputed password hash.

Command line (creates the schema with the real migrations first)::

    python -m bench.datagen --helpers 100000 --elders 20000 [--database-url URL]
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import time as clock
from array import array
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from app import demo, rollups
from app.encounters.wellbeing import score as wellbeing_score
from app.extensions import db
from app.i18n import HELSINKI
from app.models import (
    Assignment,
    CheckIn,
    ContactPerson,
    Elder,
    Encounter,
    EncounterParticipant,
    Errand,
    ErrandEvent,
    GuardianConsent,
    HelperProfile,
    HelpRequest,
    Municipality,
    Offer,
    Organization,
    StageOverride,
    TaskType,
    User,
    Village,
    helper_masks,
    task_bits,
)
from app.models.org import ORGANIZATION_KINDS, organization_municipalities, organization_partnerships
from app.models.user import user_organizations
from app.places import ensure_places, ensure_task_types, gazetteer_places
from app.vocabulary import ELDER_PROFILES, YOUTH_PROFILES
from bench.common import BENCH_EMAIL_DOMAIN, BENCH_PASSWORD
from bench.geography import CENTRES, Geography, Grid, VillagePoint

DEFAULT_SEED = 20151205  # the concept is dated 12.5.2015
BATCH = 10_000

# The demo's first names, and a few more for a country-sized data set.
YOUNG_FIRST = [*demo.YOUNG_FIRST, "Alva", "Linnea", "Oliver", "Edvin"]  # noqa: E501
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
    "Sirkka",
    "Ragnar",
    "Gunnel",
]  # noqa: E501
LAST = [
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
    "Kilpeläinen",
    "Moilanen",
    "Kyllönen",
    "Juntunen",
    "Korhonen",
    "Virtanen",
    "Mäkinen",
    "Nieminen",
    "Mäkelä",
    "Hämäläinen",
    "Laine",
    "Koskinen",
    "Lindqvist",
    "Nyström",
]  # noqa: E501
STREETS = [
    "Kauppakatu",
    "Koulukatu",
    "Kirkkotie",
    "Rantatie",
    "Koivukuja",
    "Mäntytie",
    "Kuusitie",
    "Pihlajatie",
    "Asemakatu",
    "Puistotie",
    "Myllytie",
    "Järvitie",
]  # noqa: E501
PARTS = ("morning", "afternoon", "evening")
TRANSPORT_KM = {"foot": (1.5, 3.0), "bike": (4.0, 8.0), "moped": (8.0, 15.0), "car": (15.0, 30.0)}
PAST_STATES = (("done", 75), ("cancelled", 10), ("expired", 8), ("no_show", 4), ("withdrawn", 3))
TODAY_STATES = (("assigned", 45), ("offered", 20), ("open", 15), ("done", 10), ("cancelled", 6), ("no_show", 4))
FUTURE_STATES = (("open", 35), ("offered", 25), ("assigned", 35), ("cancelled", 5))
ACTIVITY_TITLES = (
    "Kahvihetki kirjastolla",
    "Yhteislaulut seurakuntatalolla",
    "Pelipäivä nuorisotalolla",
    "Kävelyryhmä",
    "Kännykkäkahvila",
    "Leivontailta",
    "Muistelupiiri",
    "Talkoot pihalla",
)


@dataclass(frozen=True)
class Spec:
    helpers: int
    elders: int | None = None
    seed: int = DEFAULT_SEED
    today: date | None = None
    errands_per_elder: float = 6.0

    @property
    def elder_count(self) -> int:
        if self.elders is not None:
            return self.elders
        return max(10, min(self.helpers // 5, 40_000))

    @property
    def day(self) -> date:
        return self.today or datetime.now(HELSINKI).date()


@dataclass
class World:
    """What was generated: row counts, and people and records the benchmarks use."""

    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    helper_email: str = ""
    coordinator_email: str = ""
    admin_email: str = ""
    password: str = BENCH_PASSWORD
    report_municipality_id: int = 0
    report_municipality: str = ""
    day: str = ""
    errand_page_ids: list[int] = field(default_factory=list)
    matching_errand_ids: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _weighted(rng: random.Random, pairs: tuple[tuple[str, int], ...]) -> str:
    r = rng.random() * sum(w for _, w in pairs)
    for value, w in pairs:
        r -= w
        if r < 0:
            return value
    return pairs[-1][0]


def _local(d: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(d, time(hour, minute), HELSINKI).astimezone(UTC)


class BulkWriter:
    """Buffers rows per table and writes them in dependency order (COPY on PostgreSQL)."""

    def __init__(self, conn: sa.Connection, order: list[sa.Table], batch: int = BATCH) -> None:
        self.conn = conn
        self.pg = conn.dialect.name == "postgresql"
        self.order = order
        self.batch = batch
        self.buffers: dict[str, list[dict]] = {t.name: [] for t in order}
        self.counts: dict[str, int] = {t.name: 0 for t in order}

    def add(self, table: sa.Table, row: dict) -> None:
        buf = self.buffers[table.name]
        buf.append(row)
        if len(buf) >= self.batch:
            self.flush()

    def flush(self) -> None:
        for table in self.order:
            rows = self.buffers[table.name]
            if rows:
                self._write(table, rows)
                self.counts[table.name] += len(rows)
                self.buffers[table.name] = []

    @staticmethod
    def _fill_defaults(table: sa.Table, rows: list[dict]) -> None:
        """Give columns this generator does not know (added to a model later) their model default,
        the same for every row (COPY bypasses SQLAlchemy's defaults)."""
        missing = {}
        for column in table.columns:
            if column.key in rows[0] or column.default is None:
                continue
            default = column.default
            if default.is_scalar:
                missing[column.key] = default.arg
            elif default.is_callable:
                missing[column.key] = default.arg(None)
        if missing:
            for row in rows:
                for key, value in missing.items():
                    row.setdefault(key, value)

    def _write(self, table: sa.Table, rows: list[dict]) -> None:
        self._fill_defaults(table, rows)
        if not self.pg:
            self.conn.execute(table.insert(), rows)
            return
        columns = list(rows[0])
        self._encrypt(table, columns, rows)
        is_json = [isinstance(table.c[c].type, sa.JSON) for c in columns]
        cols_sql = ", ".join(f'"{c}"' for c in columns)
        raw = self.conn.connection.driver_connection
        with raw.cursor() as cur, cur.copy(f'COPY "{table.name}" ({cols_sql}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row([json.dumps(row[c]) if j else row[c] for c, j in zip(columns, is_json, strict=True)])

    @staticmethod
    def _encrypt(table: sa.Table, columns: list[str], rows: list[dict]) -> None:
        """COPY bypasses the column types too: encrypt the encrypted notes here, once per distinct text."""
        from app.crypto import EncryptedText, encrypt

        for c in columns:
            if isinstance(table.c[c].type, EncryptedText):
                tokens: dict[str, str] = {}
                for row in rows:
                    text = row[c]
                    if text:
                        if text not in tokens:
                            tokens[text] = encrypt(text)
                        row[c] = tokens[text]

    def fix_sequences(self) -> None:
        if not self.pg:
            return
        for table in self.order:
            if "id" in table.c and self.counts[table.name]:
                self.conn.execute(
                    sa.text(
                        f"SELECT setval(pg_get_serial_sequence('\"{table.name}\"', 'id'), "
                        f'(SELECT max(id) FROM "{table.name}"))'
                    )
                )


def _next_id(conn: sa.Connection, table: sa.Table) -> int:
    return int(conn.scalar(sa.select(sa.func.coalesce(sa.func.max(table.c.id), 0)))) + 1


class Generator:
    def __init__(self, spec: Spec, progress: Callable[[str], None] | None = None) -> None:
        self.spec = spec
        self.rng = random.Random(spec.seed)
        self.today = spec.day
        self.progress = progress or (lambda _msg: None)
        self.world = World(day=self.today.isoformat())

    # -- reference data -----------------------------------------------------

    def _places(self) -> None:
        """Municipalities: the shipped gazetteer plus the synthetic towns; villages likewise."""
        ensure_places()
        ensure_task_types()
        munis = {m.name: m for m in db.session.scalars(sa.select(Municipality))}
        for c in CENTRES:
            if c.name not in munis:
                munis[c.name] = Municipality(name=c.name, name_sv=c.name_sv, region=c.region, lat=c.lat, lon=c.lon)
                db.session.add(munis[c.name])
        db.session.flush()
        self.muni_ids = [munis[c.name].id for c in CENTRES]
        centre_index = {c.name: i for i, c in enumerate(CENTRES)}
        real_villages = []
        for place in gazetteer_places():
            ci = centre_index.get(place["name"])
            if ci is None:
                continue
            for v in place.get("villages", []):
                real_villages.append(VillagePoint(v["name"], ci, v["lat"], v["lon"], 1.0, v.get("postcode")))
        self.geo = Geography(self.rng, real_villages)
        existing = {(v.municipality_id, v.name): v.id for v in db.session.scalars(sa.select(Village))}
        for vp in self.geo.villages:
            key = (self.muni_ids[vp.centre], vp.name)
            if key not in existing:
                village = Village(municipality_id=key[0], name=vp.name, postcode=vp.postcode, lat=vp.lat, lon=vp.lon)
                db.session.add(village)
                db.session.flush()
                existing[key] = village.id
        self.village_ids = [existing[(self.muni_ids[vp.centre], vp.name)] for vp in self.geo.villages]
        self.task_types = {t.code: t.id for t in db.session.scalars(sa.select(TaskType))}
        self.task_codes = sorted(self.task_types)
        self.task_bits = task_bits(db.session.connection())  # for the helpers' task_mask (COPY bypasses the ORM)

    def _organizations(self, w: BulkWriter, conn: sa.Connection) -> None:
        org_t, user_t = Organization.__table__, User.__table__
        oid, uid = _next_id(conn, org_t), _next_id(conn, user_t)
        self.orgs_by_centre: list[list[int]] = []
        self.coordinator_by_org: dict[int, int] = {}
        created = self._created(800)
        kinds = ORGANIZATION_KINDS
        k = 0
        for ci, c in enumerate(CENTRES):
            ids = []
            for n in range(1 + c.population // 150_000):
                kind = kinds[k % len(kinds)]
                k += 1
                suffix = f" {n + 1}" if n else ""
                w.add(
                    org_t,
                    {
                        "id": oid,
                        "name": f"Arjen pelastajat {c.name}{suffix} ({kind})",
                        "kind": kind,
                        "phone": f"+3589{1000000 + oid:07d}",
                        "email": f"org{oid}@{BENCH_EMAIL_DOMAIN}",
                        "is_active": True,
                        "created_at": created,
                    },
                )
                w.add(organization_municipalities, {"organization_id": oid, "municipality_id": self.muni_ids[ci]})
                ids.append(oid)
                oid += 1
            self.orgs_by_centre.append(ids)
            # The organizations of one town share their helpers: explicit partnerships
            # (app.policy), both directions.
            for a in ids:
                for b in ids:
                    if a != b:
                        w.add(organization_partnerships, {"organization_id": a, "partner_id": b, "created_at": created})

        def user(email: str, name: str, role: str, orgs: Iterable[int]) -> int:
            nonlocal uid
            w.add(user_t, self._user_row(uid, email, name, role, None, created))
            for o in orgs:
                w.add(user_organizations, {"user_id": uid, "organization_id": o})
            uid += 1
            return uid - 1

        self.world.admin_email = f"bench.admin@{BENCH_EMAIL_DOMAIN}"
        user(self.world.admin_email, "Bench Admin", "admin", ())
        for ids in self.orgs_by_centre:
            for o in ids:
                self.coordinator_by_org[o] = user(
                    f"coordinator{o}@{BENCH_EMAIL_DOMAIN}", f"Koordinaattori {o}", "coordinator", [o]
                )
        helsinki = self.orgs_by_centre[0]
        self.world.coordinator_email = f"bench.coordinator@{BENCH_EMAIL_DOMAIN}"
        user(self.world.coordinator_email, "Bench Koordinaattori", "coordinator", helsinki)
        self.world.report_municipality_id = self.muni_ids[0]
        self.world.report_municipality = CENTRES[0].name
        self.next_user_id = uid
        w.flush()

    def _user_row(self, uid: int, email: str, name: str, role: str, phone: str | None, created: datetime) -> dict:
        return {
            "id": uid,
            "email": email,
            "password_hash": self.password_hash,
            "name": name,
            "role": role,
            "phone": phone,
            "locale": None,
            "active": True,
            "session_version": 1,
            "last_login_at": None,
            "created_at": created,
        }

    def _created(self, max_days_ago: int) -> datetime:
        return _local(self.today - timedelta(days=self.rng.randint(30, max_days_ago)), self.rng.randint(8, 17))

    # -- people ----------------------------------------------------------------

    def _helpers(self, w: BulkWriter, conn: sa.Connection) -> None:
        rng, n = self.rng, self.spec.helpers
        hp_t, gc_t, user_t = HelperProfile.__table__, GuardianConsent.__table__, User.__table__
        hid0, gid = _next_id(conn, hp_t), _next_id(conn, gc_t)
        self.hid0 = hid0
        self.h_lat, self.h_lon = array("d"), array("d")
        self.h_max = array("f")
        self.h_ok = bytearray(n)  # 1 when the helper can be matched (approved, consent for minors)
        self.h_centre = array("H")
        self.grid = Grid()
        self.helpers_by_centre: list[list[int]] = [[] for _ in CENTRES]
        for i in range(n):
            hid, uid = hid0 + i, self.next_user_id + i
            if i == 0:  # the helper the board benchmark logs in as: central Helsinki, all tasks, all times
                c = CENTRES[0]
                lat, lon, ci, vi = c.lat + 0.004, c.lon + 0.003, 0, None
                age, status, transport, max_km = 19, "approved", "bike", 8.0
                tasks = list(self.task_codes)
                avail = [[d, p] for d in range(7) for p in PARTS]
                langs = ["fi", "sv", "en"]
            else:
                place = self.geo.draw(rng, town_share=0.75, village_share=0.2)
                lat, lon, ci, vi = place.lat, place.lon, place.centre, place.village
                age = rng.choices(
                    (13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 27, 29),
                    (6, 7, 9, 10, 10, 9, 8, 7, 6, 5, 4, 4, 3, 2, 1),
                )[0]  # noqa: E501
                status = _weighted(rng, (("approved", 85), ("pending", 10), ("suspended", 5)))
                transport = rng.choices(("foot", "bike", "moped", "car"), (30, 45, 10, 15 if age >= 18 else 0))[0]
                lo, hi = TRANSPORT_KM[transport]
                max_km = round(rng.uniform(lo, hi), 1)
                tasks = [t for t in self.task_codes if rng.random() < 0.55] or [rng.choice(self.task_codes)]
                avail = self._availability(age)
                sv = rng.random() < CENTRES[ci].swedish_share * 1.2
                langs = (["sv", "fi"] if sv else ["fi"]) + (["en"] if rng.random() < 0.4 else [])
            minor = age < 18
            birth = self.today - timedelta(days=int(age * 365.25) + rng.randint(1, 360))
            created = self._created(700)
            consent_given = minor and (i == 0 or rng.random() < 0.9)
            first, last = rng.choice(YOUNG_FIRST), rng.choice(LAST)
            phone = f"+35840{1_000_000 + i % 9_000_000:07d}"
            email = f"helper{hid}@{BENCH_EMAIL_DOMAIN}" if i else f"bench.helper@{BENCH_EMAIL_DOMAIN}"
            if i == 0:
                self.world.helper_email = email
            urow = self._user_row(uid, email, f"{first} {last}", "helper", phone, created)
            urow["locale"] = "sv" if langs[0] == "sv" else None
            w.add(user_t, urow)
            org = rng.choice(self.orgs_by_centre[ci])
            approved = status != "pending"
            w.add(
                hp_t,
                {
                    "id": hid,
                    "user_id": uid,
                    "organization_id": org,
                    "first_name": first,
                    "last_name": last,
                    "birth_date": birth,
                    "phone": phone,
                    "municipality_id": self.muni_ids[ci],
                    "village_id": self.village_ids[vi] if vi is not None else None,
                    "address_text": f"{rng.choice(STREETS)} {rng.randint(1, 80)}",
                    "lat": lat,
                    "lon": lon,
                    "geocode_status": "ok" if rng.random() < 0.8 else "approximate",
                    "transport": transport,
                    "max_distance_km": max_km,
                    "task_types": tasks,
                    "availability": avail,
                    "languages": langs,
                    **helper_masks(tasks, avail, langs, self.task_bits),
                    "introduction": "Tykkään ulkoilla ja jutella." if rng.random() < 0.5 else "",
                    "slider_sociable": rng.randint(1, 5),
                    "slider_producer": rng.randint(1, 5),
                    "slider_others": rng.randint(1, 5),
                    "slider_digital": rng.randint(2, 5),
                    "suggested_profile": rng.choice(YOUTH_PROFILES),
                    "youth_profile": rng.choice(YOUTH_PROFILES) if rng.random() < 0.8 else None,
                    "profile_corrected_by_id": None,
                    "status": status,
                    "paused_until": self.today + timedelta(days=rng.randint(3, 40)) if rng.random() < 0.03 else None,
                    "approved_at": created + timedelta(days=3) if approved else None,
                    "approved_by_id": self.coordinator_by_org[org] if approved else None,
                    "identity_seen": approved,
                    "training_held": approved and rng.random() < 0.8,
                    "criminal_record_seen_on": birth + timedelta(days=18 * 366) if age >= 18 and approved else None,
                    "suspended_at": created + timedelta(days=60) if status == "suspended" else None,
                    "suspension_reason": "Ei saapunut sovittuun tehtävään." if status == "suspended" else None,
                    "guardian_name": f"Huoltaja {last}" if minor else None,
                    "guardian_phone": f"+35845{1_000_000 + i % 9_000_000:07d}" if minor else None,
                    "calendar_token": None,
                    "sms_opt_out": False,
                    "created_at": created,
                },
            )
            if minor:
                w.add(
                    gc_t,
                    {
                        "id": gid,
                        "helper_id": hid,
                        "guardian_name": f"Huoltaja {last}",
                        "guardian_phone": f"+35845{1_000_000 + i % 9_000_000:07d}",
                        "token_hash": f"bench{gid:059d}",
                        "sms_code": f"{rng.randint(0, 999999):06d}",
                        "text_version": "2026-01",
                        "status": "given" if consent_given else "requested",
                        "requested_at": created,
                        "given_at": created + timedelta(hours=5) if consent_given else None,
                        "given_via": rng.choice(("sms", "link")) if consent_given else None,
                        "withdrawn_at": None,
                        "withdrawn_via": None,
                    },
                )
                gid += 1
            self.h_lat.append(lat)
            self.h_lon.append(lon)
            self.h_max.append(max_km)
            self.h_centre.append(ci)
            ok = status == "approved" and (not minor or consent_given)
            self.h_ok[i] = 1 if ok else 0
            self.grid.add(lat, lon, i)
            if ok:
                self.helpers_by_centre[ci].append(i)
            if i and i % 100_000 == 0:
                self.progress(f"  helpers {i:,}")
        self.next_user_id += n
        w.flush()

    def _availability(self, age: int) -> list[list]:
        rng = self.rng
        out = []
        for d in range(7):
            weekend = d >= 5
            for p in PARTS:
                base = 0.55 if weekend else {"morning": 0.08 if age < 19 else 0.3, "afternoon": 0.45, "evening": 0.5}[p]
                if rng.random() < base:
                    out.append([d, p])
        return out or [[rng.randint(0, 6), "afternoon"]]

    def _elders(self, w: BulkWriter, conn: sa.Connection) -> None:
        rng, n = self.rng, self.spec.elder_count
        el_t, cp_t = Elder.__table__, ContactPerson.__table__
        eid0, cid = _next_id(conn, el_t), _next_id(conn, cp_t)
        self.eid0 = eid0
        self.elders: list[tuple] = []  # (lat, lon, centre, village, org, language, contact ids)
        self.elders_by_centre: list[list[int]] = [[] for _ in CENTRES]
        for i in range(n):
            place = self.geo.draw(rng, town_share=0.62, village_share=0.3)
            ci = place.centre
            centre = CENTRES[ci]
            org = rng.choice(self.orgs_by_centre[ci])
            lang = "sv" if rng.random() < centre.swedish_share else "fi"
            mobile = rng.random() < 0.7
            channel = rng.choices(("sms_self", "sms_relative", "coordinator_call"), (35 if mobile else 0, 30, 35))[0]
            status = _weighted(rng, (("active", 90), ("paused", 5), ("ended", 5)))
            consent_at = self._created(720)
            last = rng.choice(LAST)
            w.add(
                el_t,
                {
                    "id": eid0 + i,
                    "organization_id": org,
                    "first_name": rng.choice(OLD_FIRST),
                    "last_name": last,
                    "phone": f"+35850{1_000_000 + i:07d}" if mobile else f"+3589{2_000_000 + i:07d}",
                    "phone_kind": "mobile" if mobile else "landline",
                    "contact_channel": channel,
                    "language": lang,
                    "street_address": f"{rng.choice(STREETS)} {rng.randint(1, 120)}",
                    "postcode": f"{rng.randint(0, 99):02d}{rng.randint(0, 9)}00",
                    "municipality_id": self.muni_ids[ci],
                    "village_id": self.village_ids[place.village] if place.village is not None else None,
                    "lat": place.lat,
                    "lon": place.lon,
                    "geocode_status": "ok" if rng.random() < 0.85 else "approximate",
                    "access_notes": "Ovikoodi 1234" if rng.random() < 0.3 else None,
                    "elder_profile": rng.choice(ELDER_PROFILES) if rng.random() < 0.85 else None,
                    "slider_sociable": rng.randint(1, 5),
                    "slider_producer": rng.randint(1, 5),
                    "slider_others": rng.randint(1, 5),
                    "slider_digital": rng.randint(1, 3),
                    "prefers_continuity": rng.random() < 0.6,
                    "preferences": "Mieluiten iltapäivisin." if rng.random() < 0.2 else None,
                    "health_notes": "Huono kuulo, puhu selkeästi." if rng.random() < 0.2 else None,
                    "consent_given": True,
                    "consent_method": rng.choice(("verbal", "written")),
                    "consent_taken_by_id": self.coordinator_by_org[org],
                    "consent_at": consent_at,
                    "status": status,
                    "sms_opt_out": rng.random() < 0.01,
                    "created_by_id": self.coordinator_by_org[org],
                    "created_at": consent_at,
                },
            )
            contacts = []
            for k in range(rng.choices((0, 1, 2), (45, 40, 15))[0]):
                w.add(
                    cp_t,
                    {
                        "id": cid,
                        "elder_id": eid0 + i,
                        "name": f"{rng.choice(YOUNG_FIRST)} {last}",
                        "relation": rng.choice(("daughter", "son", "neighbour", "grandchild")),
                        "phone": f"+35844{1_000_000 + (cid % 9_000_000):07d}",
                        "language": lang,
                        "may_contact": channel == "sms_relative" or rng.random() < 0.5,
                        "consent_at": consent_at,
                        "is_primary": k == 0,
                        "sms_opt_out": False,
                        "created_at": consent_at,
                    },
                )
                contacts.append(cid)
                cid += 1
            self.elders.append((place.lat, place.lon, ci, place.village, org, lang, contacts, status))
            self.elders_by_centre[ci].append(i)
        w.flush()

    # -- requests, errands, offers, assignments, history -----------------------

    def _near_helpers(self, lat: float, lon: float, k: int) -> list[int]:
        """Up to ``k`` distinct matchable helpers whose own distance limit reaches (lat, lon)."""
        rng = self.rng
        near = self.grid.near(lat, lon, at_least=12)
        if len(near) > 60:
            near = rng.sample(near, 60)
        coslat = math.cos(math.radians(lat))
        good = []
        for i in near:
            if not self.h_ok[i]:
                continue
            d = math.hypot(self.h_lat[i] - lat, (self.h_lon[i] - lon) * coslat) * 111.2
            if d <= self.h_max[i]:
                good.append(i)
        rng.shuffle(good)
        return good[:k]

    def _errands(self, w: BulkWriter, conn: sa.Connection) -> None:
        rng, today = self.rng, self.today
        hr_t, er_t, of_t = HelpRequest.__table__, Errand.__table__, Offer.__table__
        as_t, ev_t = Assignment.__table__, ErrandEvent.__table__
        enc_t, par_t = Encounter.__table__, EncounterParticipant.__table__
        rid, erid, ofid = _next_id(conn, hr_t), _next_id(conn, er_t), _next_id(conn, of_t)
        asid, self.evid = _next_id(conn, as_t), _next_id(conn, ev_t)
        self.encid, self.parid = _next_id(conn, enc_t), _next_id(conn, par_t)
        hid0 = self.hid0
        task_weights = {
            "shopping": 25,
            "company": 20,
            "walk": 15,
            "post": 10,
            "errand": 12,
            "outdoor": 8,
            "digital": 10,
        }
        codes = self.task_codes
        weights = [task_weights.get(c, 10) for c in codes]
        first_day, last_day = today - timedelta(days=365), today + timedelta(days=28)
        report_orgs = set(self.orgs_by_centre[0])
        page_ids: list[int] = []
        pool: list[int] = []  # future open/offered errands anywhere, sampled for the matching benchmark
        epe = self.spec.errands_per_elder
        for ei, (lat, lon, ci, vi, org, _lang, contacts, estatus) in enumerate(self.elders):
            eid = self.eid0 + ei
            coordinator = self.coordinator_by_org[org]
            regular: int | None = None
            target = min(60, max(1, round(rng.expovariate(1.0 / epe))))
            made = 0
            while made < target:
                code = rng.choices(codes, weights)[0]
                recurrence = _weighted(rng, (("none", 60), ("weekly", 30), ("biweekly", 10)))
                count = 1 if recurrence == "none" else rng.randint(4, 12)
                step = 14 if recurrence == "biweekly" else 7
                latest = today - timedelta(days=1) if estatus == "ended" else last_day
                start = first_day + timedelta(days=rng.randint(0, max(0, (latest - first_day).days)))
                days = [start + timedelta(days=step * k) for k in range(count)]
                days = [d for d in days if d <= latest][: target - made] or [start]
                hour = rng.choices(range(9, 19), (6, 9, 10, 9, 10, 11, 10, 8, 6, 3))[0]
                minute = rng.choice((0, 0, 15, 30, 30, 45))
                duration = rng.choices((30, 45, 60, 90, 120), (15, 15, 40, 20, 10))[0]
                needed = 2 if code == "outdoor" and rng.random() < 0.3 else 1
                by = rng.choices(("elder", "relative", "coordinator"), (55, 30 if contacts else 0, 15))[0]
                req_created = _local(days[0] - timedelta(days=rng.randint(1, 10)), rng.randint(9, 15))
                end_t = (datetime.combine(today, time(hour, minute)) + timedelta(minutes=duration)).time()
                w.add(
                    hr_t,
                    {
                        "id": rid,
                        "elder_id": eid,
                        "organization_id": org,
                        "task_type_id": self.task_types[code],
                        "requested_by": by,
                        "requested_by_contact_id": contacts[0] if by == "relative" else None,
                        "taken_by_id": coordinator,
                        "date_from": days[0],
                        "date_to": days[-1],
                        "time_from": time(hour, minute),
                        "time_to": end_t,
                        "flexible": rng.random() < 0.2,
                        "duration_minutes": duration,
                        "helpers_needed": needed,
                        "notes_for_helper": "Kauppalista on eteisen pöydällä." if code == "shopping" else None,
                        "preferred_helper_id": None,
                        "recurrence": recurrence,
                        "recurrence_until": days[-1] if recurrence != "none" else None,
                        "status": "active" if days[-1] >= today else "ended",
                        "created_at": req_created,
                    },
                )
                for d in days:
                    starts = _local(d, hour, minute)
                    ends = starts + timedelta(minutes=duration)
                    if d < today:
                        state = _weighted(rng, PAST_STATES)
                    elif d == today:
                        state = _weighted(rng, TODAY_STATES)
                    else:
                        state = _weighted(rng, FUTURE_STATES)
                    created = min(req_created, starts - timedelta(days=1))
                    assigned_states = ("assigned", "done", "no_show", "withdrawn")
                    helpers: list[int] = []
                    if state in assigned_states or state == "offered" or (state == "cancelled" and rng.random() < 0.3):
                        want = needed + rng.randint(1, 4)
                        helpers = self._near_helpers(lat, lon, want)
                        if regular is not None and regular not in helpers and rng.random() < 0.55:
                            helpers.insert(0, regular)
                    if len(helpers) < needed and state in assigned_states:
                        # Nobody near enough took it: it expired, or is still open.
                        state = "expired" if d < today else "open"
                        helpers = []
                    w.add(
                        er_t,
                        {
                            "id": erid,
                            "request_id": rid,
                            "elder_id": eid,
                            "organization_id": org,
                            "task_type_id": self.task_types[code],
                            "starts_at": starts,
                            "ends_at": ends,
                            "duration_minutes": duration,
                            "helpers_needed": needed,
                            "state": state,
                            "short_code": str(100 + erid % 9900),
                            "cancelled_by_id": coordinator if state == "cancelled" else None,
                            "cancelled_by_kind": rng.choice(("coordinator", "elder", "relative"))
                            if state == "cancelled"
                            else None,
                            "cancel_reason": "Sairastui." if state == "cancelled" else None,
                            "created_at": created,
                            "updated_at": created,
                        },
                    )

                    self._event(w, erid, None, "open", created, "coordinator", coordinator)
                    offered_at = created + timedelta(hours=2)
                    if helpers:
                        self._event(w, erid, "open", "offered", offered_at, "coordinator", coordinator)
                    takers = helpers[:needed] if state in assigned_states else []
                    for rank, hi in enumerate(helpers, start=1):
                        taker = hi in takers
                        if taker:
                            status = "accepted"
                        elif state == "offered":
                            status = "pending" if d >= today else "expired"
                        else:
                            status = rng.choice(("declined", "taken", "expired"))
                        w.add(
                            of_t,
                            {
                                "id": ofid,
                                "errand_id": erid,
                                "helper_id": hid0 + hi,
                                "status": status,
                                "rank": rank,
                                "score": round(100 - rank * 7 + rng.random() * 5, 2),
                                "sent_at": offered_at,
                                "expires_at": starts - timedelta(hours=12),
                                "responded_at": offered_at + timedelta(hours=3) if status != "pending" else None,
                                "responded_via": rng.choice(("web", "sms")) if status != "pending" else None,
                                "offered_by_id": coordinator,
                            },
                        )
                        ofid += 1
                    a_status = {"assigned": "active", "done": "done", "no_show": "no_show", "withdrawn": "withdrawn"}
                    for slot, hi in enumerate(takers, start=1):
                        st = a_status[state]
                        w.add(
                            as_t,
                            {
                                "id": asid,
                                "errand_id": erid,
                                "helper_id": hid0 + hi,
                                "slot": None if st == "withdrawn" else slot,
                                "status": st,
                                "assigned_at": offered_at + timedelta(hours=3),
                                "assigned_via": rng.choice(("board", "sms", "coordinator")),
                                "assigned_by_id": None,
                                "withdrawn_at": starts - timedelta(hours=20) if st == "withdrawn" else None,
                                "withdraw_reason": "Koeviikko." if st == "withdrawn" else None,
                                "done_at": ends if st == "done" else None,
                                "report_text": "Käytiin kaupassa ja juotiin kahvit." if st == "done" else None,
                                "report_minutes": duration + rng.choice((-15, 0, 0, 15, 30)) if st == "done" else None,
                                "receipt_cents": rng.randint(500, 6000)
                                if st == "done" and code == "shopping"
                                else None,
                                "report_note_for_coordinator": None,
                                "details_visible_until": ends + timedelta(hours=24),
                            },
                        )
                        asid += 1
                    if takers:
                        self._event(w, erid, "offered", "assigned", offered_at + timedelta(hours=3), "helper")
                        if regular is None or rng.random() < 0.1:
                            regular = takers[0]
                    if state in ("done", "no_show", "withdrawn", "cancelled", "expired"):
                        frm = "assigned" if takers else ("offered" if helpers else "open")
                        at = ends if state in ("done", "no_show") else starts - timedelta(hours=6)
                        self._event(w, erid, frm, state, at, "system")
                    if state == "done":
                        self._errand_encounter(w, erid, org, ci, vi, code, starts, duration, coordinator, takers, eid)
                    if state in ("open", "offered") and d > today:
                        if org in report_orgs and len(page_ids) < 100:
                            page_ids.append(erid)
                        pool.append(erid)
                    erid += 1
                    made += 1
                rid += 1
            if ei and ei % 20_000 == 0:
                self.progress(f"  elders with errands {ei:,}")
        self.world.errand_page_ids = page_ids
        self.world.matching_errand_ids = sorted(rng.sample(pool, min(200, len(pool))))
        w.flush()

    def _event(self, w: BulkWriter, erid: int, frm: str | None, to: str, at: datetime, kind: str, actor=None) -> None:
        w.add(
            ErrandEvent.__table__,
            {
                "id": self.evid,
                "errand_id": erid,
                "from_state": frm,
                "to_state": to,
                "actor_user_id": actor,
                "actor_kind": kind,
                "note": None,
                "at": at,
            },
        )
        self.evid += 1

    def _errand_encounter(self, w, erid, org, ci, vi, code, starts, duration, coordinator, takers, eid) -> None:
        rng = self.rng
        walk = code in ("walk", "company")
        w.add(
            Encounter.__table__,
            {
                "id": self.encid,
                "errand_id": erid,
                "organization_id": org,
                "kind": "company_walk" if walk else "home_help",
                "place_kind": "outdoors" if code == "walk" else "home",
                "place_name": None,
                "municipality_id": self.muni_ids[ci],
                "village_id": self.village_ids[vi] if vi is not None else None,
                "occurred_at": starts,
                "duration_minutes": duration,
                "initiated_by": rng.choices(("coordinator", "elder", "helper"), (70, 20, 10))[0],
                "led_by": "helper",
                "organised_by_participant": False,
                "title": None,
                "notes": None,
                "logged_by_id": coordinator,
                "created_at": starts + timedelta(minutes=duration + 30),
            },
        )
        people = [("helper_id", self.hid0 + hi) for hi in takers] + [("elder_id", eid)]
        for col, pid in people:
            self._participant(w, col, pid)
        self.encid += 1

    def _participant(self, w: BulkWriter, col: str, pid: int) -> None:
        rng = self.rng
        scored = rng.random() < 0.6
        w.add(
            EncounterParticipant.__table__,
            {
                "id": self.parid,
                "encounter_id": self.encid,
                "helper_id": pid if col == "helper_id" else None,
                "elder_id": pid if col == "elder_id" else None,
                "feedback_score": rng.choices((1, 2, 3, 4, 5), (2, 3, 10, 35, 50))[0] if scored else None,
                "feedback_comment": "Mukava tuokio." if scored and rng.random() < 0.2 else None,
                "feedback_via": rng.choice(("web", "sms", "coordinator")) if scored else None,
            },
        )
        self.parid += 1

    # -- shared activities, check-ins, overrides --------------------------------

    def _activities(self, w: BulkWriter) -> None:
        """Stage 2 and 3: shared spaces and self-organised activities in each town over the year."""
        rng, today = self.rng, self.today
        for ci, elders in enumerate(self.elders_by_centre):
            helpers = self.helpers_by_centre[ci]
            if len(elders) < 3 or len(helpers) < 2:
                continue
            orgs = self.orgs_by_centre[ci]
            for _ in range(max(1, len(elders) // 12)):
                when = _local(today - timedelta(days=rng.randint(1, 365)), rng.randint(10, 18))
                community = rng.random() < 0.3
                initiated = rng.choices(("coordinator", "elder", "helper", "participants"), (50, 20, 15, 15))[0]
                org = rng.choice(orgs)
                w.add(
                    Encounter.__table__,
                    {
                        "id": self.encid,
                        "errand_id": None,
                        "organization_id": org,
                        "kind": "community_event" if community else "shared_activity",
                        "place_kind": "shared_space",
                        "place_name": rng.choice(("Kirjasto", "Seurakuntatalo", "Nuorisotalo", "Kylätalo")),
                        "municipality_id": self.muni_ids[ci],
                        "village_id": None,
                        "occurred_at": when,
                        "duration_minutes": rng.choice((60, 90, 120, 180)),
                        "initiated_by": initiated,
                        "led_by": rng.choices(("coordinator", "helper", "elder", "together"), (40, 20, 15, 25))[0],
                        "organised_by_participant": initiated in ("elder", "helper", "participants")
                        and rng.random() < 0.6,
                        "title": rng.choice(ACTIVITY_TITLES),
                        "notes": None,
                        "logged_by_id": self.coordinator_by_org[org],
                        "created_at": when + timedelta(hours=3),
                    },
                )
                for ei in rng.sample(elders, min(len(elders), rng.randint(2, 8))):
                    self._participant(w, "elder_id", self.eid0 + ei)
                for hi in rng.sample(helpers, min(len(helpers), rng.randint(1, 5))):
                    self._participant(w, "helper_id", self.hid0 + hi)
                self.encid += 1
        w.flush()

    def _rollups(self, w: BulkWriter, conn: sa.Connection) -> None:
        w.flush()
        w.fix_sequences()
        if w.pg:
            # Statistics first: without them PostgreSQL planned the rebuild's join of every
            # encounter with its participants as a nested loop (13 minutes at 100,000 helpers).
            conn.execute(sa.text("ANALYZE"))
        rollups.rebuild_everything()

    def _check_ins(self, w: BulkWriter, conn: sa.Connection) -> None:
        rng, today = self.rng, self.today
        ck_t, so_t = CheckIn.__table__, StageOverride.__table__
        cid, sid = _next_id(conn, ck_t), _next_id(conn, so_t)
        end = _local(today, 12)

        def series(kind: str, pid: int, org: int, start: datetime) -> None:
            nonlocal cid
            at, lonely = start, rng.randint(4, 8)
            while at <= end:
                if kind == "elder":
                    lonely = max(3, min(9, lonely + rng.choice((-1, -1, 0, 0, 1))))
                    parts = [1, 1, 1]
                    for _ in range(lonely - 3):
                        parts[rng.randrange(3)] = min(3, parts[rng.randrange(3)] + 1)
                    answers = {
                        "ucla_companionship": parts[0],
                        "ucla_left_out": parts[1],
                        "ucla_isolated": parts[2],
                        "good_days": rng.randint(1, 7),
                    }
                else:
                    answers = {"meaningful_role": rng.randint(2, 5), "future_belief": rng.randint(2, 5)}
                w.add(
                    ck_t,
                    {
                        "id": cid,
                        "subject_kind": kind,
                        "helper_id": pid if kind == "helper" else None,
                        "elder_id": pid if kind == "elder" else None,
                        "taken_at": at,
                        "answers": answers,
                        "scores": wellbeing_score(kind, answers),
                        "taken_by_id": self.coordinator_by_org[org],
                        "via": "coordinator" if kind == "elder" else "web",
                    },
                )
                cid += 1
                at += timedelta(days=91)

        year_ago = _local(today - timedelta(days=365), 10)
        for ei, (_lat, _lon, _ci, _vi, org, *_rest) in enumerate(self.elders):
            if rng.random() < 0.4:
                series("elder", self.eid0 + ei, org, year_ago + timedelta(days=rng.randint(0, 300)))
            if rng.random() < 0.002:
                w.add(
                    so_t,
                    {
                        "id": sid,
                        "subject_kind": "elder",
                        "helper_id": None,
                        "elder_id": self.eid0 + ei,
                        "stage": rng.choice((2, 3)),
                        "reason": "Vetää itse kerhoa kylätalolla.",
                        "by_id": self.coordinator_by_org[org],
                        "at": end,
                        "active": True,
                    },
                )
                sid += 1
        for i in range(0, self.spec.helpers, 20):
            ci = self.h_centre[i]
            series("helper", self.hid0 + i, self.orgs_by_centre[ci][0], year_ago + timedelta(days=rng.randint(0, 300)))
        w.flush()

    # -- the whole run -----------------------------------------------------------

    def run(self) -> World:
        started = clock.perf_counter()
        self.password_hash = generate_password_hash(BENCH_PASSWORD)
        self._places()
        conn = db.session.connection()
        order = [
            Organization.__table__,
            organization_municipalities,
            organization_partnerships,
            User.__table__,
            user_organizations,
            HelperProfile.__table__,
            GuardianConsent.__table__,
            Elder.__table__,
            ContactPerson.__table__,
            HelpRequest.__table__,
            Errand.__table__,
            Offer.__table__,
            Assignment.__table__,
            ErrandEvent.__table__,
            Encounter.__table__,
            EncounterParticipant.__table__,
            CheckIn.__table__,
            StageOverride.__table__,
        ]
        w = BulkWriter(conn, order)
        steps: list[tuple[str, Callable[[], None]]] = [
            ("organizations and coordinators", lambda: self._organizations(w, conn)),
            (f"{self.spec.helpers:,} helpers", lambda: self._helpers(w, conn)),
            (f"{self.spec.elder_count:,} older residents", lambda: self._elders(w, conn)),
            ("requests, errands, offers, assignments", lambda: self._errands(w, conn)),
            ("shared activities", lambda: self._activities(w)),
            ("check-ins", lambda: self._check_ins(w, conn)),
        ]
        # The report rollups and stage changes from the rows written (the same rebuild as
        # ``flask rebuild-rollups``), after the sequences are in place.
        steps.append(("report rollups and stage changes", lambda: self._rollups(w, conn)))
        for label, step in steps:
            t0 = clock.perf_counter()
            step()
            self.progress(f"{label}: {clock.perf_counter() - t0:.1f} s")
        w.fix_sequences()
        db.session.commit()
        self.world.counts = {k: v for k, v in w.counts.items() if v}
        self.world.seconds = round(clock.perf_counter() - started, 1)
        return self.world


def generate(spec: Spec, progress: Callable[[str], None] | None = None) -> World:
    """Add a synthetic world of ``spec``'s size to the app's database (inside an app context) and commit."""
    return Generator(spec, progress).run()


def main(argv: list[str] | None = None) -> int:
    from flask_migrate import upgrade

    from bench.common import build_app, dataset_url, engine_name, reset_dataset

    parser = argparse.ArgumentParser(prog="python -m bench.datagen", description=__doc__.split("\n\n")[0])
    parser.add_argument("--helpers", type=int, default=10_000)
    parser.add_argument("--elders", type=int, default=None, help="default: helpers / 5, at most 40,000")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--errands-per-elder", type=float, default=6.0)
    parser.add_argument(
        "--database-url",
        default=None,
        help="an empty database to fill (default: the benchmark data set for this size, recreated)",
    )
    args = parser.parse_args(argv)
    spec = Spec(helpers=args.helpers, elders=args.elders, seed=args.seed, errands_per_elder=args.errands_per_elder)
    if args.database_url:
        url = args.database_url
    else:
        name = f"h{spec.helpers}_e{spec.elder_count}_s{spec.seed}"
        reset_dataset(name)
        url = dataset_url(name)
    app = build_app(url)
    with app.app_context():
        upgrade()
        world = generate(spec, progress=lambda m: print(m, flush=True))
    print(f"Generated in {world.seconds} s on {engine_name() if not args.database_url else url.split(':')[0]}:")
    for table, count in world.counts.items():
        print(f"  {table:<24} {count:>10,}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
