"""One way an activity's message reaches a person: a helper's own mobile, or the older person's side
through their contact channel (:func:`app.errands.notifications.elder_recipient`: their mobile, a
relative's, or an automated call saying it (:func:`app.sms.voice_texts.activity_script`); nobody for
a coordinator's call or stopped messages). Through the outbox, so the language, quiet hours and
opt-outs are the dispatcher's."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from app.errands.notifications import elder_recipient, queue_to_recipient
from app.models import Activity, Elder, HelperProfile, SmsMessage
from app.sms.outbox import queue_sms
from app.sms.people import helper_language
from app.sms.voice_texts import activity_script


@dataclass(frozen=True)
class Queued:
    channel: str  # sms|sms_relative|voice
    phone: str
    message: SmsMessage | None  # None: the same message (dedupe key) was queued before


def queue_for(
    activity: Activity,
    person: HelperProfile | Elder,
    text: Callable[[str, bool], str],
    *,
    kind: str,
    dedupe_key: str,
    sent_by_id: int | None = None,
) -> Queued | None:
    """Queue ``text(language, to_older_side)`` to ``person``; None when no SMS reaches them."""
    if isinstance(person, HelperProfile):
        if person.sms_opt_out or not person.phone:
            return None
        language = helper_language(person)
        message = queue_sms(
            person.phone,
            text(language, False),
            kind=kind,
            language=language,
            dedupe_key=dedupe_key,
            helper_id=person.id,
            organization_id=activity.organization_id,
            sent_by_id=sent_by_id,
        )
        return Queued("sms", person.phone, message)
    recipient = elder_recipient(person)
    if recipient is None:
        return None
    message = queue_to_recipient(
        recipient,
        lambda: text(recipient.language, True),
        lambda: activity_script(kind, activity.title, activity.place.name, activity.starts_at, recipient.language),
        kind=kind,
        dedupe_key=dedupe_key,
        organization_id=activity.organization_id,
        sent_by_id=sent_by_id,
    )
    channel = "voice" if recipient.channel == "voice" else "sms_relative" if recipient.contact_id else "sms"
    return Queued(channel, recipient.phone, message)


def person_key(person: HelperProfile | Elder) -> str:
    """``h12`` for a helper, ``e34`` for an older resident (dedupe keys, the invite form)."""
    return f"{'h' if isinstance(person, HelperProfile) else 'e'}{person.id}"
