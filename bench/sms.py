"""SMS dispatch: N messages due at once, sent by the real dispatcher
(:func:`app.sms.dispatcher.dispatch_outbox`) through the real twilio client
against the local fake Twilio (``tests.fakes.twilio_server.FakeTwilio``)
answering after 50 ms; then the same with the fake failing 20% of requests
with HTTP 500.

The dispatcher is called round after round, as the scheduler does, until
every message is sent or failed. When nothing is due because every remaining
message waits for its retry backoff, the waiting time is skipped on the
dispatcher's clock (it takes ``now``) instead of slept, and reported
separately: ``drain_s`` is the time to drain including those waits,
``busy_s`` the wall-clock time spent sending.

    python -m bench.sms [--messages 10000] [--rate 50] [--fail-rate 0.2]
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from collections import Counter
from datetime import timedelta

import sqlalchemy as sa

from bench import common
from bench.common import Result
from bench.datagen import Spec
from bench.dataset import ensure_dataset

LATENCY_S = 0.05
DEFAULT_RATE = 50.0
FROM_NUMBER = "+358401234567"


def _clear(db) -> None:
    from app.models import CoordinatorAlert, SmsMessage, SmsOptOut

    for model in (CoordinatorAlert, SmsOptOut, SmsMessage):
        db.session.execute(sa.delete(model))
    db.session.commit()


def _queue(db, n: int, run: str) -> None:
    from app.models import HelperProfile
    from app.sms.outbox import queue_sms

    helpers = db.session.execute(
        sa.select(HelperProfile.id, HelperProfile.phone).order_by(HelperProfile.id).limit(n)
    ).all()
    for i in range(n):
        helper_id, phone = helpers[i % len(helpers)]
        queue_sms(
            phone,
            f"Arjen pelastajat: uusi tehtävä lähelläsi, vastaa KYLLÄ {100 + i % 900} ({run} {i})",
            kind="manual",
            dedupe_key=f"bench:{run}:{i}",
            helper_id=helper_id,
        )
    db.session.commit()


def drain(messages: int, *, rate: float, fail_rate: float, helpers: int = 10_000, log=print) -> Result:
    from tests.fakes.twilio_server import FakeTwilio

    ds = ensure_dataset(Spec(helpers=helpers), log=log)
    label = "20% HTTP 500" if fail_rate else "no failures"
    with FakeTwilio(delay_seconds=LATENCY_S, fail_rate=fail_rate, seed=1) as fake:
        app = common.build_app(
            ds.url,
            SMS_BACKEND="twilio",
            TWILIO_ACCOUNT_SID=fake.account_sid,
            TWILIO_AUTH_TOKEN=fake.auth_token,
            TWILIO_FROM=FROM_NUMBER,
            TWILIO_API_BASE_URL=fake.base_url,
            SMS_RATE_PER_SECOND=rate,
        )
        with app.app_context():
            from app.extensions import db
            from app.models import SmsMessage, utcnow
            from app.sms.dispatcher import dispatch_outbox

            _clear(db)
            _queue(db, messages, "fail" if fail_rate else "ok")
            skipped = 0.0
            rounds = 0
            started = time.perf_counter()
            while True:
                now = utcnow() + timedelta(seconds=skipped)
                report = dispatch_outbox(now, limit=messages)
                rounds += 1
                db.session.remove()
                pending = db.session.scalar(
                    sa.select(sa.func.count(SmsMessage.id)).where(SmsMessage.status.in_(("queued", "held", "sending")))
                )
                if not pending:
                    break
                if report.sent + report.failed + report.retrying + report.unknown == 0:
                    next_due = db.session.scalar(
                        sa.select(sa.func.min(SmsMessage.next_attempt_at)).where(
                            SmsMessage.status.in_(("queued", "held", "sending"))
                        )
                    )
                    now = utcnow() + timedelta(seconds=skipped)
                    if next_due is not None and next_due > now:
                        skipped += (next_due - now).total_seconds() + 0.01
                db.session.remove()
            busy = time.perf_counter() - started
            statuses = dict(
                db.session.execute(sa.select(SmsMessage.status, sa.func.count()).group_by(SmsMessage.status)).all()
            )
            attempts = db.session.scalar(sa.select(sa.func.sum(SmsMessage.attempts))) or 0
            _clear(db)
            db.engine.dispose()
        accepted = fake.messages
        requests = len([r for r in fake.requests if r.method == "POST"])
    copies = Counter((m["to"], m["body"]) for m in accepted)
    duplicates = sum(c - 1 for c in copies.values() if c > 1)
    drain_s = busy + skipped
    figures = {
        "rate_set_per_s": rate,
        "drain_s": round(drain_s, 1),
        "busy_s": round(busy, 1),
        "achieved_per_s": round(messages / busy, 1) if busy else 0.0,
        "sent": statuses.get("sent", 0),
        "failed": statuses.get("failed", 0),
        "api_requests": requests,
        "attempts": int(attempts),
        "duplicates": duplicates,
        "rounds": rounds,
    }
    if skipped:
        figures["backoff_waits_s"] = round(skipped, 1)
    passed = duplicates == 0 and statuses.get("sent", 0) == messages
    log(f"  sms {label}: {messages:,} in {drain_s:.1f} s (busy {busy:.1f} s), duplicates {duplicates}")
    return Result(
        f"sms dispatch ({label})",
        common.engine_name(),
        f"{messages:,} messages, {int(LATENCY_S * 1000)} ms API",
        figures,
        "0 duplicates, all sent",
        passed,
    )


def run(messages: int = 10_000, *, rate: float = DEFAULT_RATE, fail_rate: float = 0.2, log=print) -> list[Result]:
    results = [drain(messages, rate=rate, fail_rate=0.0, log=log)]
    if fail_rate:
        results.append(drain(messages, rate=rate, fail_rate=fail_rate, log=log))
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.sms", description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=DEFAULT_RATE, help="SMS_RATE_PER_SECOND for the run")
    parser.add_argument("--fail-rate", type=float, default=0.2, help="share of API requests answered with 500")
    args = parser.parse_args(argv)
    logging.getLogger().setLevel(logging.WARNING)
    results = run(args.messages, rate=args.rate, fail_rate=args.fail_rate)
    common.save_results(results)
    print(common.format_table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
