"""Guardian consent for helpers aged 13-17.

How it works
------------
* :func:`request_consent` creates a :class:`GuardianConsent` row and queues
  one SMS to the guardian (Finnish, or Swedish when the helper uses the app
  in Swedish). The SMS carries a 4-digit code for a reply ("KYLLÄ 1234") and
  a link with a one-time token. Only the token's sha256 is stored.
* The guardian answers by the link (:func:`give_consent` with ``via="link"``)
  or by replying to the SMS (:func:`handle_guardian_sms`, called by the SMS
  webhook). The token/code works once: a given consent cannot be given again,
  and a withdrawn or refused one cannot be revived (a new request is needed).
* A consent can be withdrawn (after it was given) or refused (before), by the
  same link, by replying "EI", or by a coordinator recording a phone call.
  Withdrawing stops the helper at once: their future errands go back to
  matching.
* Only the newest request counts: a new request marks older open or given
  ones ``superseded`` (their link and code stop working).

Statuses: ``requested`` → ``given`` → ``withdrawn``; ``requested`` →
``refused``; any open one → ``superseded``. Each step is audit-logged.

Functions flush; the caller (route or webhook) commits once.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.audit import record
from app.errands.lifecycle import release_helper
from app.extensions import db
from app.models import GuardianConsent, HelperProfile, User, utcnow
from app.phones import PhoneError, parse_phone
from app.sms import keywords
from app.sms.outbox import queue_sms
from app.sms.people import helper_language

#: The version of the consent text below; stored on every consent row.
CONSENT_TEXT_VERSION = "2026-1"

#: The consent text, by version. Paragraphs take ``child`` (first name) and ``org``.
CONSENT_TEXTS = {
    "2026-1": (
        _l(
            "%(child)s has signed up as a young helper in Everyday rescuers. Young people help older people in "
            "their own neighbourhood with small everyday things: carrying the shopping, fetching the post, "
            "keeping company on a walk."
        ),
        _l("Because %(child)s is under 18, a guardian's consent is needed before they can be offered errands."),
        _l(
            "What you agree to: %(child)s may take errands offered by the coordinators of %(org)s. Helpers under "
            "18 are offered errands only between 8:00 and 20:00. A coordinator meets every helper and approves "
            "them before the first errand, and a helper can always say no to an errand."
        ),
        _l(
            "What we store: %(child)s's name, date of birth, phone number, home area and the errands they do, "
            "and your name, your phone number and this consent (when and how it was given, and the version of "
            "this text)."
        ),
        _l(
            "You can withdraw the consent at any time: on this page, by replying EI and the code to the SMS, or "
            "by calling the coordinator. After that %(child)s is no longer offered errands."
        ),
    ),
}

YES_WORDS = keywords.words_for("accept")
NO_WORDS = keywords.words_for("decline")
_REPLY_RE = re.compile(r"^\s*([A-Za-zÄÖÅäöå]+)[\s.,!:;-]*(\d{4})?[\s.!]*$")

OPEN_STATUSES = ("requested", "given")


class ConsentError(Exception):
    """A consent step that cannot be taken. ``code``: already_given | closed | no_guardian."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def guardian_language(profile: HelperProfile) -> str:
    """Guardians get Finnish, or Swedish when the helper uses the app in Swedish."""
    return helper_language(profile)


def consent_paragraphs(consent: GuardianConsent) -> list[str]:
    """The consent text of the row's version, in the current language."""
    helper = consent.helper
    texts = CONSENT_TEXTS.get(consent.text_version, CONSENT_TEXTS[CONSENT_TEXT_VERSION])
    org = helper.organization.name if helper.organization else _("the organization")
    return [str(p) % {"child": helper.first_name, "org": org} for p in texts]


def consent_link(token: str) -> str:
    return f"{current_app.config['PUBLIC_BASE_URL']}/helpers/consent/{token}"


#: The only text from the sign-up form that goes into the guardian's SMS: the
#: child's first name, its first word, letters only, at most this long.
SMS_FIRST_NAME_MAX = 20


def sms_first_name(name: str) -> str:
    """A first name fit for an SMS the platform sends to a number typed by a
    stranger: the first word, only letters, hyphens and apostrophes, bounded."""
    first = (name or "").strip().split(" ")[0] if (name or "").strip() else ""
    kept = "".join(ch for ch in first if ch.isalpha() or ch in "-'")
    return kept[:SMS_FIRST_NAME_MAX]


def consent_sms_body(profile: HelperProfile, consent: GuardianConsent, token: str) -> str:
    """The guardian's SMS in their language: who, what, how to answer. It holds
    no text from the form but the child's first name (:func:`sms_first_name`)."""
    with force_locale(guardian_language(profile)):
        return _(
            "Hello! %(child)s has signed up as a helper in Everyday rescuers, where young people help older "
            "people nearby with small everyday things. Reply YES %(code)s to give your consent, or read more "
            "and answer here: %(link)s",
            child=sms_first_name(profile.first_name) or _("Your child"),
            code=consent.sms_code,
            link=consent_link(token),
        )


def _new_code(guardian_phone: str) -> str:
    """A 4-digit code not used by this guardian's other open requests."""
    taken = set(
        db.session.scalars(
            sa.select(GuardianConsent.sms_code).where(
                GuardianConsent.guardian_phone == guardian_phone, GuardianConsent.status.in_(OPEN_STATUSES)
            )
        )
    )
    while True:
        code = f"{1000 + secrets.randbelow(9000)}"
        if code not in taken:
            return code


def request_consent(profile: HelperProfile, *, by: User | None = None) -> tuple[GuardianConsent, str]:
    """Ask the helper's guardian (``profile.guardian_name/phone``) for consent.

    Older open requests and given consents of the helper are superseded. Queues
    the SMS (kind ``guardian_consent``) and returns the row and the plain token
    (shown nowhere else; only its hash is stored).
    """
    if not profile.guardian_name or not profile.guardian_phone:
        raise ConsentError("no_guardian")
    now = utcnow()
    for old in profile.consents:
        if old.status in OPEN_STATUSES:
            old.status = "superseded"
            old.withdrawn_at = now
            old.withdrawn_via = "superseded"
    token = secrets.token_urlsafe(32)
    consent = GuardianConsent(
        guardian_name=profile.guardian_name,
        guardian_phone=profile.guardian_phone,
        token_hash=hash_token(token),
        sms_code=_new_code(profile.guardian_phone),
        text_version=CONSENT_TEXT_VERSION,
        status="requested",
        requested_at=now,
    )
    profile.consents.append(consent)
    db.session.flush()
    queue_sms(
        consent.guardian_phone,
        consent_sms_body(profile, consent, token),
        kind="guardian_consent",
        language=guardian_language(profile),
        dedupe_key=f"consent:{consent.id}",
        helper_id=profile.id,
        organization_id=profile.organization_id,
        sent_by_id=by.id if by is not None else None,
    )
    record("guardian_consent_requested", consent, actor=by, helper_id=profile.id, version=consent.text_version)
    return consent, token


def find_by_token(token: str) -> GuardianConsent | None:
    if not token or len(token) > 200:
        return None
    return db.session.scalar(sa.select(GuardianConsent).where(GuardianConsent.token_hash == hash_token(token)))


def give_consent(consent: GuardianConsent, *, via: str) -> None:
    """Record the guardian's yes. Raises ConsentError("already_given" | "closed")."""
    if consent.status == "given":
        raise ConsentError("already_given")
    if consent.status != "requested":
        raise ConsentError("closed")
    consent.status = "given"
    consent.given_at = utcnow()
    consent.given_via = via
    db.session.flush()
    record("guardian_consent_given", consent, helper_id=consent.helper_id, via=via)


def withdraw_consent(consent: GuardianConsent, *, via: str, by: User | None = None, note: str | None = None) -> str:
    """Record the guardian's no: a given consent is ``withdrawn``, an open request ``refused``.

    The helper's future errands go back to matching (:func:`app.errands.lifecycle.release_helper`)
    and their pending offers close. Returns the new status.
    Raises ConsentError("closed") when the consent is no longer open.
    """
    if consent.status not in OPEN_STATUSES:
        raise ConsentError("closed")
    consent.status = "withdrawn" if consent.status == "given" else "refused"
    consent.withdrawn_at = utcnow()
    consent.withdrawn_via = via
    db.session.flush()
    record(f"guardian_consent_{consent.status}", consent, actor=by, helper_id=consent.helper_id, via=via, note=note)
    helper = consent.helper
    if helper.status != "deleted":
        release_helper(
            helper,
            by=by,
            actor_kind="coordinator" if by is not None else ("sms" if via == "sms" else "system"),
            reason="guardian consent withdrawn",
        )
    return consent.status


# --------------------------------------------------------------------------
# SMS replies
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Reply:
    yes: bool
    code: str | None


def parse_reply(text: str) -> _Reply | None:
    """``"Kyllä 1234"`` → yes with code; ``"EI"`` → no; anything else → None."""
    match = _REPLY_RE.match(text or "")
    if not match:
        return None
    word = match.group(1).upper()
    if word in YES_WORDS:
        return _Reply(True, match.group(2))
    if word in NO_WORDS:
        return _Reply(False, match.group(2))
    return None


def _normal_phone(raw: str) -> str:
    try:
        return parse_phone(raw, allow_foreign=True).e164
    except PhoneError:
        return (raw or "").strip()


def handle_guardian_sms(from_phone: str, text: str) -> str | None:
    """Handle an inbound SMS that may be a guardian's answer to a consent request.

    Returns the reply text to send back (in the guardian's language), or None
    when the message is not a consent answer (the caller then tries other
    handlers, e.g. answers to errand offers).

    * A yes word (KYLLÄ/KYLLA/JOO/JA/YES), optionally with the code, from the
      phone of an open request gives the consent (``given_via="sms"``). With
      several open requests for this phone the code is required.
    * A no word (EI/NEJ/NO) with the code refuses an open request or withdraws
      a given consent. Without a code it refuses this phone's only open
      request; a given consent is withdrawn only with its code (the reply to
      the consent says so), because a bare "EI" may answer something else.
    * A code that matches none of this phone's consents, or a bare yes/no
      when nothing is waiting for an answer → None.

    Flushes; the caller commits.
    """
    reply = parse_reply(text)
    if reply is None:
        return None
    phone = _normal_phone(from_phone)
    consents = list(
        db.session.scalars(
            sa.select(GuardianConsent)
            .where(GuardianConsent.guardian_phone == phone, GuardianConsent.status.in_(OPEN_STATUSES))
            .order_by(GuardianConsent.requested_at, GuardianConsent.id)
        )
    )
    if not consents:
        return None
    if reply.code is not None:
        matching = [c for c in consents if c.sms_code == reply.code]
        if not matching:
            return None
        consent = matching[-1]
    else:
        # Without a code only an open request is answered: a bare "EI" or "KYLLÄ" from a
        # guardian whose consent is already given may well mean something else (an errand).
        candidates = [c for c in consents if c.status == "requested"]
        if not candidates:
            return None
        if len(candidates) > 1:
            return _say(candidates[-1], "code_needed_yes" if reply.yes else "code_needed_no")
        consent = candidates[0]

    if reply.yes:
        try:
            give_consent(consent, via="sms")
        except ConsentError:
            return _say(consent, "already_given")
        return _say(consent, "given")
    status = withdraw_consent(consent, via="sms")
    return _say(consent, status)


def _say(consent: GuardianConsent, what: str) -> str:
    helper = consent.helper
    with force_locale(guardian_language(helper)):
        child = helper.first_name
        texts = {
            "given": _(
                "Thank you! Your consent for %(child)s is recorded. To withdraw it later, reply NO %(code)s.",
                child=child,
                code=consent.sms_code,
            ),
            "already_given": _("Your consent for %(child)s has already been recorded. Thank you!", child=child),
            "code_needed_yes": _(
                "You have several consent requests. Please reply YES and the code from the message, "
                "for example YES %(code)s.",
                code=consent.sms_code,
            ),
            "code_needed_no": _(
                "You have several consent requests. Please reply NO and the code from the message, "
                "for example NO %(code)s.",
                code=consent.sms_code,
            ),
            "refused": _("Understood. %(child)s will not be offered errands without your consent.", child=child),
            "withdrawn": _(
                "Your consent has been withdrawn. %(child)s will no longer be offered errands.", child=child
            ),
        }
        return texts[what]
