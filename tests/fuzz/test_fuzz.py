"""A bounded, property-based fuzzer over every form and both Twilio webhooks.

The crawler (tests/fuzz/crawler.py) finds every form each role is shown on
the demo data; hypothesis then generates what is sent: the page's own values
mixed with hostile ones (NUL and other control characters, integers beyond
2**31 and 2**63, blanks, very long texts, any Unicode). Ids in every route of
the url map are fuzzed too, and so are the query-string filters.

Properties, for every generated input:

- no answer is a 500 (an exception counts as one);
- every correctly signed inbound SMS is stored, sanitised (no control
  characters), and answered with a TwiML message.

``FUZZ_PROFILE=ci`` (the default, run by ``make test``): a seed-fixed sample.
``FUZZ_PROFILE=fuzz`` (``make fuzz``): 10,000 inputs from a fresh seed; set
``FUZZ_EXAMPLES`` for another number. The summary is printed (``-s``) and,
when ``FUZZ_REPORT`` names a file, written there as JSON.
"""

from __future__ import annotations

import itertools
import json
import os
import re
from collections import Counter
from dataclasses import dataclass
from urllib.parse import urlencode

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from twilio.request_validator import RequestValidator

from app.models import ContactPerson, Elder, HelperProfile, SmsMessage, User
from app.sms.signature import SIGNATURE_HEADER
from tests.conftest import FormClient
from tests.fuzz.crawler import Form, crawl, query_fields

PROFILES = {"ci": 300, "fuzz": 10_000}
PROFILE = os.environ.get("FUZZ_PROFILE", "ci")
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", PROFILES.get(PROFILE, PROFILES["ci"])))
TOKEN = "fuzz-auth-token"
BASE = "http://testserver"
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")

HOSTILE = [
    "",
    " ",
    "   ",
    "\x00",
    "a\x00b",
    "\x00" * 3,
    "\x01\x02\x1b[31m",
    "2147483647",
    "2147483648",
    "-2147483649",
    "9223372036854775808",
    "99999999999999999999999999",
    "-1",
    "0",
    "1e309",
    "nan",
    "inf",
    "0x10",
    "1.5",
    "2026-02-30",
    "9999-12-31",
    "0001-01-01",
    "31.12.2026",
    "25:61",
    "\u202eevil",
    "😀" * 3,
    "' OR 1=1 --",
    "<script>alert(1)</script>",
    "x" * 5000,
    "\r\n",
    "\t",
    "..\\..\\etc",
    "%00",
    "true",
]
ROLES = {
    "admin": "admin@demo.arjenpelastajat.fi",
    "coordinator": "kaisa.koordinaattori@demo.arjenpelastajat.fi",
    "helper": "aino.nuori@demo.arjenpelastajat.fi",
    "anonymous": None,
}
SMS_WORDS = ["KYLLÄ", "JA", "YES", "EI", "NEJ", "VALMIS", "KLAR", "PERU", "STOP", "LOPETA", "START", "APUA", "HJÄLP"]


def hostile() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(HOSTILE),
        st.text(max_size=40),
        st.integers(min_value=-(2**70), max_value=2**70).map(str),
        st.text(alphabet="\x00\x01\x1f\x7f ab1", max_size=12),
    )


def field_value(offered: list[str]) -> st.SearchStrategy[str]:
    if offered:
        return st.one_of(st.sampled_from(offered), st.sampled_from(offered), hostile())
    return st.one_of(st.just(""), hostile(), hostile())


@dataclass
class World:
    clients: dict[str, FormClient]
    tokens: dict[str, str]
    forms: list[Form]
    pages: dict[str, list[str]]
    id_routes: list[tuple[str, str, tuple[str, ...], str]]  # role, rule, int args, method
    query_names: list[str]
    phones: list[str]
    out_sids: list[str]
    user_ids: dict[str, int]


def _login(app, email: str | None) -> tuple[FormClient, str]:
    client = FormClient(app.test_client())
    if email:
        response = client.login(email, "arjenpelastajat")
        assert response.status_code == 302, f"demo login failed for {email}"
    return client, client.csrf_token("/auth/login" if email is None else "/")


@pytest.fixture()
def world(app, db, monkeypatch) -> World:
    from app.demo import seed

    seed()
    db.session.commit()
    monkeypatch.setitem(app.config, "TWILIO_AUTH_TOKEN", TOKEN)
    clients, tokens, forms, pages = {}, {}, [], {}
    get_rules = [r for r in app.url_map.iter_rules() if "GET" in r.methods and not r.arguments]
    starts = [r.rule for r in get_rules if not r.rule.startswith("/static")]
    for role, email in ROLES.items():
        clients[role], tokens[role] = _login(app, email)
        found, seen = crawl(clients[role], role, ["/", *starts])
        forms += found
        pages[role] = seen
    id_routes = []
    for rule in app.url_map.iter_rules():
        ints = tuple(
            name for name, conv in rule._converters.items() if type(conv).__name__.endswith("IntegerConverter")
        )
        if ints:
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                id_routes.extend((role, rule.rule, ints, method) for role in ROLES)
    names = {n for role_pages in pages.values() for p in role_pages for n in query_fields(p)}
    names |= {n for f in forms if f.method == "get" for n in f.fields}
    names |= {"page", "helper", "elder", "show", "m", "date", "week", "handled", "resolved", "fresh"}
    phones = [p for (p,) in db.session.execute(sa.select(HelperProfile.phone).limit(5))]
    phones += [p for (p,) in db.session.execute(sa.select(Elder.phone).where(Elder.phone.is_not(None)).limit(5))]
    phones += [p for (p,) in db.session.execute(sa.select(ContactPerson.phone).limit(3))]
    sids = [
        s
        for (s,) in db.session.execute(
            sa.select(SmsMessage.provider_sid).where(SmsMessage.provider_sid.is_not(None)).limit(20)
        )
    ]
    assert len(forms) >= 20, "the crawler found too few forms: is the demo data there?"
    user_ids = {role: db.session.scalar(sa.select(User.id).filter_by(email=e)) for role, e in ROLES.items() if e}
    return World(clients, tokens, forms, pages, id_routes, sorted(names), phones, sids, user_ids)


class Tally:
    def __init__(self) -> None:
        self.inputs = 0
        self.statuses: Counter = Counter()
        self.failures: list[str] = []
        self.routes_500: Counter = Counter()
        self.sms_problems: list[str] = []

    def record(self, route: str, status: int, detail: str = "") -> None:
        self.inputs += 1
        self.statuses[status // 100 * 100] += 1
        if PROFILE == "fuzz" and self.inputs % 1000 == 0:
            print(f"fuzz: {self.inputs} inputs, {sum(self.routes_500.values())} answered 500", flush=True)
        if status >= 500:
            self.routes_500[route] += 1
            if len(self.failures) < 50:
                self.failures.append(f"{status} {route}: {detail}")

    def summary(self) -> dict:
        return {
            "profile": PROFILE,
            "inputs": self.inputs,
            "statuses": dict(sorted(self.statuses.items())),
            "500s": sum(self.routes_500.values()),
            "routes_with_500": dict(self.routes_500),
            "inbound_sms_not_kept": len(self.sms_problems),
        }


def _send(client, method: str, url: str, data, route: str, tally: Tally, **kwargs):
    try:
        if method == "GET":
            response = client.get(url, query_string=data, **kwargs)
        else:
            response = client.post(url, data=data, **kwargs)
    except Exception as exc:  # TESTING propagates exceptions: each one would have been a 500
        tally.record(route, 500, f"{type(exc).__name__}: {str(exc)[:300]}")
        return None
    detail = response.get_data(as_text=True)[:200] if response.status_code >= 500 else ""
    tally.record(route, response.status_code, detail)
    return response


def _relogin(world: World, role: str, response) -> None:
    """A POST may have ended the fuzzing user's session (a suspension, the admin changing the
    coordinator's e-mail or deactivating them): put the user back as it was and log in again."""
    if role == "anonymous" or response is None or response.status_code != 302:
        return
    if "/auth/login" not in response.headers.get("Location", ""):
        return
    from app.extensions import db

    user = db.session.get(User, world.user_ids[role])
    user.email = ROLES[role]
    user.set_password("arjenpelastajat")
    user.active = True
    if user.helper_profile is not None:
        user.helper_profile.status = "approved"
    db.session.commit()
    world.clients[role], world.tokens[role] = _login(world.clients[role].application, ROLES[role])


# --------------------------------------------------------------------------
# One generated input of each kind
# --------------------------------------------------------------------------


def fuzz_form(data, world: World, tally: Tally) -> None:
    form = data.draw(st.sampled_from(world.forms), label="form")
    values: dict[str, object] = {}
    for name, f in form.fields.items():
        if name == "csrf_token":
            values[name] = world.tokens[form.role]
            continue
        if data.draw(st.integers(0, 9)) == 0:
            continue  # a field left out altogether
        if f.kind in ("checkbox", "select") and data.draw(st.booleans()):
            values[name] = data.draw(st.lists(field_value(f.values), max_size=3))
        else:
            values[name] = data.draw(field_value(f.values))
    method = form.method.upper()
    client = world.clients[form.role]
    route = f"{method} {form.key[1]} as {form.role}"
    response = _send(client, method, form.action, values, route, tally)
    _relogin(world, form.role, response)


def fuzz_id(data, world: World, tally: Tally) -> None:
    role, rule, ints, method = data.draw(st.sampled_from(world.id_routes), label="route")
    number = st.one_of(
        st.sampled_from([0, 1, 2, 2**31 - 1, 2**31, 2**32, 2**63, 2**64, 10**30]),
        st.integers(min_value=0, max_value=2**80),
    )
    url = rule
    for name in ints:
        url = re.sub(rf"<int:{name}>", str(data.draw(number)), url)
    url = re.sub(r"<[^>]+>", "x", url)
    payload = {"csrf_token": world.tokens[role]} if method == "POST" else None
    response = _send(world.clients[role], method, url, payload, f"{method} {rule} as {role}", tally)
    _relogin(world, role, response)


def fuzz_query(data, world: World, tally: Tally) -> None:
    role = data.draw(st.sampled_from([r for r in ROLES if world.pages[r]]), label="role")
    page = data.draw(st.sampled_from(world.pages[role])).split("?")[0]
    names = data.draw(st.lists(st.sampled_from(world.query_names), min_size=1, max_size=4, unique=True))
    query = {name: data.draw(field_value(["1", "2", "2026-12-05"])) for name in names}
    path = re.sub(r"/\d+", "/<id>", page)
    _send(world.clients[role], "GET", page, query, f"GET {path}?{','.join(sorted(names))} as {role}", tally)


_sid_counter = itertools.count(1)


def _signed(client, path: str, query: str, params: dict, tally: Tally, route: str):
    url = BASE + path + (f"?{query}" if query else "")
    signature = RequestValidator(TOKEN).compute_signature(url, params)
    target = path + (f"?{query}" if query else "")
    return _send(client, "POST", target, params, route, tally, headers={SIGNATURE_HEADER: signature})


def fuzz_inbound(data, world: World, tally: Tally) -> None:
    from app.extensions import db

    unique = f"SM{next(_sid_counter):032x}"
    sid_kind = data.draw(st.sampled_from(["unique", "unique", "suffix", "empty", "hostile"]), label="sid")
    sid = {"unique": unique, "suffix": unique + data.draw(hostile()), "empty": "", "hostile": None}[sid_kind]
    if sid is None:
        sid = data.draw(hostile())
    word = data.draw(st.sampled_from(SMS_WORDS))
    body = data.draw(
        st.one_of(
            st.just(word),
            st.builds(lambda w, n: f"{w} {n}", st.just(word), st.integers(0, 2**70)),
            st.sampled_from(["1", "5", "5 kiitos\x00", "KYLLÄ\x00 12", "Hei!"]),
            hostile(),
            st.text(max_size=2000),
        ),
        label="body",
    )
    params = {
        "MessageSid": sid,
        "AccountSid": "AC" + "0" * 32,
        "From": data.draw(field_value(world.phones)),
        "To": data.draw(st.one_of(st.just("+358451230000"), hostile())),
        "Body": body,
        "NumMedia": "0",
    }
    for extra in data.draw(st.lists(st.sampled_from(["SmsSid", "FromCity", "ApiVersion", "SmsStatus"]), max_size=2)):
        # Twilio's SmsSid is the MessageSid again (another value would be another message).
        params[extra] = sid if extra == "SmsSid" else data.draw(hostile())
    before = db.session.scalar(sa.select(sa.func.count()).select_from(SmsMessage).where(SmsMessage.direction == "in"))
    response = _signed(world.clients["anonymous"], "/sms/inbound", "", params, tally, "POST /sms/inbound")
    db.session.rollback()  # see what the request committed
    if response is None or response.status_code >= 500:
        tally.sms_problems.append(f"lost (500): {params!r}"[:400])
        return
    problem = _inbound_problem(db, response, params, sid_kind, unique, before)
    if problem:
        tally.sms_problems.append(f"{problem}: {params!r}"[:400])


def _inbound_problem(db, response, params: dict, sid_kind: str, unique: str, before: int) -> str | None:
    """Why this signed inbound SMS was not kept and answered, or None."""
    if response.status_code != 200 or "<Message>" not in response.get_data(as_text=True):
        return f"not answered ({response.status_code})"
    if sid_kind == "hostile":  # two hostile sids may be the same after cleaning: a repeat
        return None
    count = sa.select(sa.func.count()).select_from(SmsMessage).where(SmsMessage.direction == "in")
    if db.session.scalar(count) != before + 1:
        return "not stored"
    stored = db.session.scalars(
        sa.select(SmsMessage).where(SmsMessage.direction == "in").order_by(SmsMessage.id.desc()).limit(1)
    ).one()
    if CONTROL.search(stored.body) or CONTROL.search(stored.from_phone or ""):
        return "stored with control characters"
    if sid_kind != "empty" and not (stored.provider_sid or "").startswith(unique):
        return f"stored under another sid {stored.provider_sid!r}"
    kept = CONTROL.sub("", params["Body"])
    if stored.body != kept[: len(stored.body)] or len(stored.body) < min(len(kept), 1600):
        return "the text was not kept"
    return None


def fuzz_status(data, world: World, tally: Tally) -> None:
    sid = data.draw(st.one_of(st.sampled_from(world.out_sids or [""]), hostile()), label="sid")
    params = {
        "MessageSid": sid,
        "MessageStatus": data.draw(
            st.one_of(st.sampled_from(["queued", "sent", "delivered", "undelivered", "failed"]), hostile())
        ),
        "To": data.draw(field_value(world.phones)),
    }
    if data.draw(st.booleans()):
        params["ErrorCode"] = data.draw(st.one_of(st.just("30003"), hostile()))
        params["ErrorMessage"] = data.draw(hostile())
    m = data.draw(st.one_of(st.none(), st.integers(0, 2**70).map(str), hostile()))
    query = urlencode({"m": m}) if m is not None else ""
    _signed(world.clients["anonymous"], "/sms/status", query, params, tally, "POST /sms/status")


KINDS = [fuzz_form] * 6 + [fuzz_id] * 2 + [fuzz_query] * 2 + [fuzz_inbound] * 2 + [fuzz_status]


def test_fuzz_no_500_and_every_signed_sms_is_kept(app, world):
    tally = Tally()

    @settings(
        max_examples=EXAMPLES,
        derandomize=PROFILE == "ci",
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(st.data())
    def one_input(data):
        with app.app_context():
            data.draw(st.sampled_from(KINDS), label="kind")(data, world, tally)

    one_input()
    summary = summary_of(tally, world)
    print("\nfuzz summary:", json.dumps(summary, indent=1))
    if os.environ.get("FUZZ_REPORT"):
        with open(os.environ["FUZZ_REPORT"], "w", encoding="utf-8") as out:
            json.dump(summary, out, indent=1)
    assert tally.inputs >= EXAMPLES
    assert not tally.failures and not tally.sms_problems, "\n".join(tally.failures + tally.sms_problems[:20])


def summary_of(tally: Tally, world: World) -> dict:
    summary = tally.summary()
    summary["forms"] = len(world.forms)
    summary["id_routes"] = len({r[1] for r in world.id_routes})
    summary["engine"] = os.environ.get("TEST_DATABASE_URL", "sqlite").split("@")[-1]
    return summary
