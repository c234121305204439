"""A generated authorization test: every rule of the URL map x every role
(anonymous, helper, coordinator, admin) x objects of the user's own and of
another organization, with GET and POST (POST with a valid CSRF token).

:data:`MATRIX` declares, per endpoint, who may open it; an endpoint without an
entry fails the test (so a new route must say who may open it, here too).
A refused request must answer as refused (anonymous: to the login page; others:
403 or 404, or the endpoint's declared refusal) and leave the whole database
exactly as it was (every row of every table compared before and after). No
request, allowed or not, may end in a 500.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import sqlalchemy as sa

from app.extensions import db as _db
from app.models import (
    ActivitySignup,
    Callback,
    ContactPerson,
    CoordinatorAlert,
    SmsMessage,
    TaskType,
    utcnow,
)
from tests.conftest import CSRF_RE, FormClient
from tests.factories import in_days

ROLES = ("anonymous", "helper", "coordinator", "admin")

# Who may open an endpoint. On an endpoint with objects in its URL, "own" means
# objects of the user's own organization (a helper: their own assignment, their
# organization's errand, themselves); "other" objects of another organization.
PUBLIC = "public"  # everyone, every object (the view checks its own token or signature)
LOGIN = "login"  # every signed-in role
HELPER = "helper"  # helpers (on objects: their own only)
COORD = "coordinator"  # coordinators (own organization's objects) and admins (all)
ADMIN = "admin"  # admins only
PERSON = "person"  # helpers (their own), coordinators (own organization's), admins (all)
SIGNED = "signed"  # Twilio's webhooks: a request without a valid signature is refused (403) for everyone


@dataclass(frozen=True)
class Entry:
    access: str
    #: Statuses a signed-in user's refused request may get besides 403 and 404
    #: (e.g. the helper's accept button redirects back to the board with a message).
    refused: frozenset[int] = field(default_factory=frozenset)
    #: Objects a POST names in its form (sent with the CSRF token), besides those in the URL.
    fields: tuple[str, ...] = ()


E = Entry
BACK = frozenset({302})

MATRIX: dict[str, Entry] = {
    "static": E(PUBLIC),
    "main.index": E(PUBLIC),
    "main.healthz": E(PUBLIC),
    "main.set_language": E(PUBLIC),
    "main.coordinator_home": E(COORD),
    "main.helper_home": E(HELPER),
    "auth.login": E(PUBLIC),
    "auth.logout": E(LOGIN),
    "calls.list_calls": E(COORD),
    "calls.new_call": E(COORD),
    "calls.new_callback": E(COORD),
    "calls.callback_action": E(COORD),
    "activities.calendar": E(COORD),
    "activities.new": E(COORD),
    "activities.new_place": E(COORD),
    "activities.show": E(COORD),
    "activities.edit": E(COORD),
    "activities.approve": E(COORD),
    "activities.cancel": E(COORD),
    "activities.add_person": E(COORD),
    "activities.cancel_signup": E(COORD),
    "activities.invite": E(COORD),
    "activities.take_attendance": E(PERSON),  # helpers: the activity they run
    "activities.helper_list": E(HELPER),
    "activities.join": E(HELPER),
    "activities.leave": E(HELPER),
    "activities.propose": E(HELPER),
    "activities.organization_feed": E(PUBLIC),
    "admin.index": E(ADMIN),
    "admin.edit_coordinator": E(ADMIN),
    "admin.set_coordinator_active": E(ADMIN),
    "admin.new_coordinator": E(ADMIN),
    "admin.edit_organization": E(ADMIN),
    "admin.partners": E(ADMIN),
    "admin.remove_partner": E(ADMIN),
    "admin.new_organization": E(ADMIN),
    "admin.task_types": E(ADMIN),
    "admin.audit_log": E(ADMIN),
    "admin.set_task_type_active": E(ADMIN),
    "elders.list_elders": E(COORD),
    "elders.show_elder": E(COORD),
    "elders.edit_elder": E(COORD),
    "elders.place_elder": E(COORD),
    "elders.set_status": E(COORD),
    "elders.new_elder": E(COORD),
    "encounters.list_encounters": E(LOGIN),
    "encounters.show": E(PERSON),
    "encounters.feedback": E(PERSON, fields=("participant",)),
    "encounters.helper_checkin": E(HELPER),
    "encounters.due_checkins": E(COORD),
    "encounters.checkin_elder": E(COORD),
    "encounters.override_elder": E(COORD),
    "encounters.clear_override_elder": E(COORD),
    "encounters.elder_stage": E(COORD),
    "encounters.checkin_helper": E(COORD),
    "encounters.override_helper": E(COORD),
    "encounters.clear_override_helper": E(COORD),
    "encounters.helper_stage": E(PERSON),
    "encounters.log_new": E(LOGIN),
    "encounters.pair": E(PERSON),
    "encounters.override_pair": E(COORD),
    "encounters.clear_override_pair": E(COORD),
    "errands.board": E(HELPER),
    "errands.calendar_feed": E(PUBLIC),
    "errands.errand_detail": E(COORD),
    "errands.helper_accept": E(HELPER, refused=BACK),
    "errands.helper_decline": E(HELPER, refused=BACK),
    "errands.assign_direct": E(COORD),
    "errands.errand_cancel": E(COORD),
    "errands.errand_no_show": E(COORD),
    "errands.offer_selected": E(COORD),
    "errands.offer_top": E(COORD),
    "errands.alert_resolve": E(COORD),
    "errands.day": E(COORD),
    "errands.week": E(COORD),
    "helpers.my_weeks": E(HELPER),
    "helpers.add_away": E(HELPER),
    "helpers.remove_away": E(HELPER),
    "helpers.set_limits": E(HELPER),
    "planning.week_plan_home": E(COORD),
    "planning.week_plan": E(COORD),
    "planning.solve": E(COORD),
    "planning.change_line": E(COORD),
    "planning.send": E(COORD),
    "errands.my_errands": E(HELPER),
    "errands.helper_done": E(HELPER),
    "errands.helper_withdraw": E(HELPER),
    "errands.calendar_rotate": E(HELPER),
    "errands.request_detail": E(COORD),
    "errands.request_cancel": E(COORD),
    "errands.new_request": E(COORD),
    "helpers.list_helpers": E(COORD),
    "helpers.helper_detail": E(COORD),
    "helpers.approve": E(COORD),
    "helpers.resend_consent": E(COORD),
    "helpers.record_withdrawal": E(COORD),
    "helpers.correct_profile": E(COORD),
    "helpers.reinstate": E(COORD),
    "helpers.suspend": E(COORD),
    "helpers.consent_page": E(PUBLIC),
    "helpers.consent_withdraw": E(PUBLIC),
    "helpers.my_status": E(HELPER),
    "helpers.edit_profile": E(HELPER),
    "helpers.pause": E(HELPER),
    "helpers.resume": E(HELPER),
    "helpers.register": E(PUBLIC),
    "privacy.export_elder": E(COORD),
    "privacy.export_elder_file": E(COORD),
    "privacy.export_contact": E(COORD),
    "privacy.export_contact_file": E(COORD),
    "privacy.export_helper": E(COORD),
    "privacy.export_helper_file": E(COORD),
    "privacy.erase_elder_page": E(COORD),
    "privacy.erase_contact_page": E(COORD),
    "privacy.delete_account": E(HELPER),
    "reports.index": E(COORD),
    "reports.my_certificate": E(HELPER),
    "reports.certificate_pdf": E(HELPER),
    "reports.helper_certificate": E(COORD),
    "reports.export_csv": E(COORD),
    "reports.helpers": E(COORD),
    "sms.log": E(COORD),
    "sms.alert_list": E(COORD),
    "sms.resolve_alert": E(COORD),
    "sms.inbound": E(SIGNED, refused=frozenset({403})),
    "sms.inbox": E(COORD),
    "sms.mark_handled": E(COORD),
    "sms.send": E(COORD),
    "sms.status_callback": E(SIGNED, refused=frozenset({403})),
    "sms.call": E(COORD),
    "sms.voice_twiml": E(SIGNED, refused=frozenset({403})),
    "sms.voice_gather": E(SIGNED, refused=frozenset({403})),
    "sms.voice_status": E(SIGNED, refused=frozenset({403})),
}


def allowed(entry: Entry, role: str, case: str) -> bool:
    """The matrix's answer: may ``role`` open the endpoint on a ``case`` object
    (``own``, ``other``, or ``none`` when the URL holds no object)?"""
    access = entry.access
    if access == PUBLIC:
        return True
    if access == SIGNED or role == "anonymous":
        return False
    if access == LOGIN:
        return True
    if access == ADMIN:
        return role == "admin"
    if role == "admin":
        return access in (COORD, PERSON)
    if access == HELPER:
        return role == "helper" and case != "other"
    if access == COORD:
        return role == "coordinator" and case != "other"
    if access == PERSON:
        return case != "other"
    raise AssertionError(access)


# --------------------------------------------------------------------------
# The world: two organizations of the same municipality, no partnership
# --------------------------------------------------------------------------


def _world(db, make) -> dict:
    own = make.organization(name="Oma yhdistys")
    other = make.organization(name="Toinen yhdistys")
    admin = make.admin()
    coordinator = make.coordinator(org=own)
    other_coordinator = make.coordinator(org=other)
    helpers = {"own": make.helper(org=own, age=19), "other": make.helper(org=other, age=19)}
    elders = {"own": make.elder(org=own), "other": make.elder(org=other)}
    errands, assignments, encounters, alerts, messages, contacts, callbacks = {}, {}, {}, {}, {}, {}, {}
    activities, signups = {}, {}
    for case, org in (("own", own), ("other", other)):
        helper, elder = helpers[case], elders[case]
        errands[case] = make.errand(elder, in_days(4, 14))
        held = make.errand(elder, in_days(5, 12))
        assignments[case] = make.assignment(held, helper, assigned_at=utcnow() - timedelta(days=1))
        encounter = make.encounter(helper, elder, org=org, kind="company_walk", days_ago=2, municipality_id=None)
        alerts[case] = CoordinatorAlert(organization_id=org.id, kind="no_helper", message="Ei auttajaa")
        messages[case] = SmsMessage(
            direction="in",
            kind="unknown",
            to_phone="+358451230000",
            from_phone=elder.phone,
            body="Hei",
            status="received",
            organization_id=org.id,
            elder_id=elder.id,
        )
        contacts[case] = ContactPerson(elder_id=elder.id, name="Liisa Sukulainen", phone="+358401112233")
        callbacks[case] = Callback(organization_id=org.id, elder_id=elder.id, due_at=in_days(0, 14))
        db.session.add_all([alerts[case], messages[case], contacts[case], callbacks[case]])
        db.session.flush()
        encounters[case] = encounter
        activities[case] = make.activity(org=org, runner_helper_id=helper.id)
        signups[case] = ActivitySignup(activity_id=activities[case].id, elder_id=elder.id, side="old", slot=1)
        db.session.add(signups[case])
    db.session.commit()
    task_type = db.session.scalar(sa.select(TaskType).order_by(TaskType.id))
    objects = {
        "user_id": {"own": coordinator.id, "other": other_coordinator.id},
        "org_id": {"own": own.id, "other": other.id},
        "partner_id": {"own": other.id, "other": own.id},
        "task_type_id": {"own": task_type.id, "other": task_type.id},
        "elder_id": {c: e.id for c, e in elders.items()},
        "helper_id": {c: h.id for c, h in helpers.items()},
        "errand_id": {c: e.id for c, e in errands.items()},
        "request_id": {c: e.request_id for c, e in errands.items()},
        "assignment_id": {c: a.id for c, a in assignments.items()},
        "encounter_id": {c: e.id for c, e in encounters.items()},
        "participant": {c: e.participants[0].id for c, e in encounters.items()},
        "alert_id": {c: a.id for c, a in alerts.items()},
        "message_id": {c: m.id for c, m in messages.items()},
        "contact_id": {c: p.id for c, p in contacts.items()},
        "callback_id": {c: cb.id for c, cb in callbacks.items()},
        "activity_id": {c: a.id for c, a in activities.items()},
        "signup_id": {c: s.id for c, s in signups.items()},
        "organization_id": {"own": own.id, "other": other.id},
        "fmt": {"own": "json", "other": "json"},
        "token": {"own": "no-such-token", "other": "no-such-token"},
        "filename": {"own": "css/app.css", "other": "css/app.css"},
    }
    users = {"helper": helpers["own"].user, "coordinator": coordinator, "admin": admin}
    return {"objects": objects, "users": users}


def _dump(db) -> list:
    """Every row of every table, in primary-key order."""
    out = []
    with db.engine.connect() as conn:
        for table in db.metadata.sorted_tables:
            order = list(table.primary_key.columns) or list(table.columns)
            rows = conn.execute(sa.select(table).order_by(*order)).all()
            out.append((table.name, [tuple(r) for r in rows]))
    return out


def _url(rule, case: str, objects: dict) -> str:
    values = {arg: objects[arg][case] for arg in rule.arguments}
    return rule.build(values, append_unknown=False)[1]


def _token(client: FormClient, role: str) -> str:
    html = client.get("/auth/login" if role == "anonymous" else "/").get_data(as_text=True)
    match = CSRF_RE.search(html)
    assert match, f"no CSRF token for {role}"
    return match.group(1)


def _signed_in(app, role: str, users: dict) -> tuple[FormClient, str]:
    client = FormClient(app.test_client())
    if role != "anonymous":
        response = client.login(users[role].email)
        assert response.status_code == 302, f"{role} could not sign in"
    return client, _token(client, role)


def _is_login_redirect(response) -> bool:
    return response.status_code in (301, 302, 303) and "/auth/login" in response.headers.get("Location", "")


def test_every_route_has_a_matrix_entry(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    missing = sorted(endpoints - MATRIX.keys())
    assert not missing, f"routes without an entry in the authorization matrix: {missing}"
    assert not sorted(MATRIX.keys() - endpoints), "matrix entries for routes that no longer exist"


def test_every_route_x_role_x_organization(app, db, make):
    world = _world(db, make)
    objects, users = world["objects"], world["users"]
    rules = sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint))
    problems: list[str] = []
    counted = {"routes": 0, "requests": 0, "refused": 0}
    for role in ROLES:
        client, token = _signed_in(app, role, users)
        for rule in rules:
            entry = MATRIX.get(rule.endpoint)
            if entry is None:
                continue  # reported by test_every_route_has_a_matrix_entry
            if role == ROLES[0]:
                counted["routes"] += 1
            cases = ("own", "other") if set(rule.arguments) - {"token", "filename"} else ("none",)
            for case in cases:
                url = _url(rule, "own" if case == "none" else case, objects)
                for method in sorted(rule.methods & {"GET", "POST"}):
                    may = allowed(entry, role, case)
                    before = None if may else _dump(_db)
                    if method == "GET":
                        response = client.get(url)
                    else:
                        data = {name: objects[name]["own" if case == "none" else case] for name in entry.fields}
                        response = client.post(url, data={**data, "csrf_token": token})
                    counted["requests"] += 1
                    what = f"{role} {method} {url} ({rule.endpoint}, {case})"
                    if response.status_code >= 500:
                        problems.append(f"{what}: {response.status_code}")
                        continue
                    if may:
                        # Allowed: a page, a redirect, or (a POST with no fields) the form's own errors.
                        fine = response.status_code < 400 or (method == "POST" and response.status_code in (400, 422))
                        if entry.access == PUBLIC and rule.arguments:
                            fine = fine or response.status_code == 404  # an unknown token or file
                        if not fine or _is_login_redirect(response):
                            problems.append(f"{what}: refused ({response.status_code}) but the matrix allows it")
                    else:
                        counted["refused"] += 1
                        if role == "anonymous" and entry.access != SIGNED:
                            ok = _is_login_redirect(response) or response.status_code == 401
                        else:
                            ok = response.status_code in ({403, 404} | entry.refused)
                        if not ok:
                            problems.append(f"{what}: {response.status_code}, expected a refusal")
                        if _dump(_db) != before:
                            problems.append(f"{what}: refused, but the database changed")
                    if rule.endpoint == "auth.logout" and role != "anonymous":
                        client, token = _signed_in(app, role, users)  # signed out: sign in again
                    if rule.endpoint == "privacy.delete_account" and method == "POST" and may:
                        client, token = _signed_in(app, role, users)
    print(
        f"authorization matrix: {counted['routes']} routes x {len(ROLES)} roles x own/other: "
        f"{counted['requests']} requests, {counted['refused']} refused"
    )
    assert not problems, "\n".join(problems)
