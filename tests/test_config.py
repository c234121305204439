"""Every documented setting is real: the README's table and ``config.SETTINGS``
agree, wrong values stop the app with a clear message, and values from the
environment take effect end to end (environment -> Config -> create_app -> job)."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from datetime import time, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from app import create_app
from app.errands.requests import RequestInput, create_request, local_today
from app.extensions import db as _db
from app.models import Errand, SmsMessage, TaskType, utcnow
from app.scheduling.jobs import job_purge, job_reminders
from app.sms.dispatcher import current_backend, dispatch_outbox
from app.sms.outbox import queue_sms
from config import (
    SETTINGS,
    Config,
    ConfigError,
    DevelopmentConfig,
    Flag,
    Integer,
    Number,
    Secret,
    TestConfig,
    Text,
    config_from_env,
    shared_through_redis,
    validated,
)
from tests.factories import helsinki
from tests.fakes.twilio_server import FakeTwilio
from tests.sms.support import TWILIO_FROM

ROOT = Path(__file__).resolve().parent.parent
STRONG_SECRET = "k" * 40


def readme_variables() -> set[str]:
    """The variables of the README's configuration table (in backticks in the first column)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    names: set[str] = set()
    for line in section.splitlines():
        if line.startswith("|") and not line.startswith("|---"):
            first_cell = line.split("|")[1]
            names.update(re.findall(r"`([A-Z][A-Z0-9_]*)`", first_cell))
    return names


# -- the README and Config agree ---------------------------------------------


def test_readme_table_and_config_settings_agree_in_both_directions():
    documented = readme_variables()
    declared = {s.name for s in SETTINGS}
    assert len(documented) > 40  # the table was found and parsed
    assert sorted(documented - declared) == [], "in the README's table but not read by Config (config.SETTINGS)"
    assert sorted(declared - documented) == [], "read by Config (config.SETTINGS) but not in the README's table"


def test_settings_are_declared_once():
    names = [s.name for s in SETTINGS]
    keys = [k for s in SETTINGS for k in s.config_keys]
    assert len(names) == len(set(names))
    assert len(keys) == len(set(keys))


def _environment_reads(path: Path) -> list[str]:
    """``os.environ``/``os.getenv`` uses in a module, as "file:line"."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        is_os = isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "os"
        if is_os and node.attr in {"environ", "getenv", "environb"}:
            found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def test_the_environment_is_read_only_through_the_settings_table():
    """No module of the app reads the environment itself, and config.py reads it in
    one place (config_from_env), so every variable goes through SETTINGS."""
    app_reads = [hit for path in sorted((ROOT / "app").rglob("*.py")) for hit in _environment_reads(path)]
    assert app_reads == []
    config_reads = _environment_reads(ROOT / "config.py")
    assert len(config_reads) == 1, config_reads
    source = (ROOT / "config.py").read_text(encoding="utf-8").splitlines()
    line = int(config_reads[0].split(":")[1])
    assert "env = os.environ if environ is None else environ" in source[line - 1]


def test_area_settings_modules_have_no_defaults_of_their_own():
    for module in ("app/scheduling/settings.py", "app/sms/settings.py"):
        text = (ROOT / module).read_text(encoding="utf-8")
        assert "DEFAULTS" not in text and "current_app.config[key]" in text


def test_every_default_is_valid_and_typed():
    values = validated({k: getattr(TestConfig, k) for s in SETTINGS for k in s.config_keys})
    assert values["REMINDER_DAY_BEFORE_HOUR"] == 18 and isinstance(values["REMINDER_DAY_BEFORE_HOUR"], int)
    assert values["SMS_RATE_PER_SECOND"] == 5.0 and isinstance(values["SMS_RATE_PER_SECOND"], float)
    assert (values["SMS_QUIET_START_HOUR"], values["SMS_QUIET_END_HOUR"]) == (21, 8)
    assert values["TWILIO_TIMEOUT"] == 10.0 and values["SMS_BATCH_SIZE"] == 20
    for setting in SETTINGS:
        for key in setting.config_keys:
            assert hasattr(Config, key), key


# -- reading the environment ---------------------------------------------------


def test_values_from_the_environment_are_typed():
    cfg = config_from_env(
        {
            "SECRET_KEY": STRONG_SECRET,
            "REMINDER_DAY_BEFORE_HOUR": "20",
            "SMS_RATE_PER_SECOND": " 2.5 ",
            "SESSION_COOKIE_SECURE": "off",
            "DATABASE_URL": "postgres://u@db/arjen",
            "PUBLIC_BASE_URL": "https://apu.example.fi/",
            "SMS_BATCH_SIZE": "",  # empty counts as not set
        }
    )
    assert issubclass(cfg, Config) and cfg.ENV_NAME == "production"
    assert cfg.REMINDER_DAY_BEFORE_HOUR == 20 and isinstance(cfg.REMINDER_DAY_BEFORE_HOUR, int)
    assert cfg.SMS_RATE_PER_SECOND == 2.5
    assert cfg.SESSION_COOKIE_SECURE is False and cfg.REMEMBER_COOKIE_SECURE is False
    assert cfg.SQLALCHEMY_DATABASE_URI == "postgresql+psycopg://u@db/arjen"
    assert cfg.PUBLIC_BASE_URL == "https://apu.example.fi"
    assert cfg.SMS_BATCH_SIZE == 20


def test_app_env_picks_the_base_and_the_environment_still_wins():
    dev = config_from_env({"APP_ENV": "development"})
    assert issubclass(dev, DevelopmentConfig) and dev.SESSION_COOKIE_SECURE is False
    dev_secure = config_from_env({"APP_ENV": "development", "SESSION_COOKIE_SECURE": "1", "SECRET_KEY": "local"})
    assert dev_secure.SESSION_COOKIE_SECURE is True and dev_secure.SECRET_KEY == "local"
    with pytest.raises(ConfigError, match=r"APP_ENV='staging' is not allowed: expected one of production, development"):
        config_from_env({"APP_ENV": "staging"})


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        (
            "REMINDER_DAY_BEFORE_HOUR",
            "25",
            "REMINDER_DAY_BEFORE_HOUR='25' is not allowed: expected a whole number from 0 to 23",
        ),
        ("SMS_RATE_PER_SECOND", "abc", "SMS_RATE_PER_SECOND='abc' is not allowed: expected a number above 0"),
        ("SMS_BATCH_SIZE", "2.5", "SMS_BATCH_SIZE='2.5' is not allowed: expected a whole number from 1 to 1000"),
        ("TWILIO_TIMEOUT", "0", "TWILIO_TIMEOUT='0' is not allowed: expected a number above 0 and at most 120"),
        ("SMS_RETENTION_DAYS", "-1", "SMS_RETENTION_DAYS='-1' is not allowed: expected a whole number, 1 or more"),
        ("SESSION_COOKIE_SECURE", "maybe", "SESSION_COOKIE_SECURE='maybe' is not allowed: expected on/off"),
        ("SMS_BACKEND", "email", "SMS_BACKEND='email' is not allowed: expected one of outbox, twilio"),
        ("GEOCODER", "google", "GEOCODER='google' is not allowed: expected one of offline, nominatim"),
        ("MAP_TILE_URL", "http://tiles.example/{z}/{x}/{y}.png", "MAP_TILE_URL="),
        ("PUBLIC_BASE_URL", "apu.example.fi", "PUBLIC_BASE_URL='apu.example.fi' is not allowed: expected https://"),
        ("DATABASE_URL", "arjen.db", "DATABASE_URL='arjen.db' is not allowed: expected an SQLAlchemy URL"),
        (
            "ESCALATION_GRACE_MINUTES",
            "nan",
            "ESCALATION_GRACE_MINUTES='nan' is not allowed: expected a number 0 or more",
        ),
    ],
)
def test_a_wrong_value_names_the_variable_and_what_is_allowed(variable, value, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        config_from_env({"SECRET_KEY": STRONG_SECRET, variable: value})


def test_every_wrong_value_is_reported_at_once():
    with pytest.raises(ConfigError) as info:
        config_from_env({"SECRET_KEY": STRONG_SECRET, "REMINDER_CALL_HOUR": "x", "SMS_MAX_ATTEMPTS": "0"})
    assert "REMINDER_CALL_HOUR='x'" in str(info.value) and "SMS_MAX_ATTEMPTS='0'" in str(info.value)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"SMS_QUIET_START_HOUR": "6", "SMS_QUIET_END_HOUR": "8"}, "quiet hours run over midnight"),
        (
            {"SMS_RETRY_BASE_SECONDS": "600", "SMS_RETRY_MAX_SECONDS": "60"},
            "SMS_RETRY_BASE_SECONDS, SMS_RETRY_MAX_SECONDS",
        ),
        ({"ESCALATION_FIRST_HOURS": "12", "ESCALATION_SECOND_HOURS": "24"}, "ESCALATION_FIRST_HOURS"),
        ({"SMS_BACKEND": "twilio", "TWILIO_ACCOUNT_SID": "AC1"}, "SMS_BACKEND=twilio needs TWILIO_ACCOUNT_SID"),
        ({"VOICE_BACKEND": "twilio", "TWILIO_ACCOUNT_SID": "AC1"}, "VOICE_BACKEND=twilio needs TWILIO_ACCOUNT_SID"),
        ({"VOICE_QUIET_HOURS": "8-21"}, "VOICE_QUIET_HOURS='8-21' is not allowed"),
    ],
)
def test_rules_between_settings(env, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        config_from_env({"SECRET_KEY": STRONG_SECRET, **env})


def test_production_refuses_a_missing_or_weak_secret_key_and_never_shows_it():
    with pytest.raises(ConfigError, match="SECRET_KEY is not set"):
        config_from_env({})
    for weak in ("short-secret", "dev-only-not-secret"):
        with pytest.raises(ConfigError, match="SECRET_KEY is too weak for production") as info:
            config_from_env({"SECRET_KEY": weak})
        assert weak not in str(info.value)
    assert config_from_env({"SECRET_KEY": STRONG_SECRET}).SECRET_KEY == STRONG_SECRET
    assert config_from_env({"APP_ENV": "development"}).SECRET_KEY == "dev-only-not-secret"


def test_create_app_checks_and_types_a_subclass_too():
    class Wrong(TestConfig):
        REMINDER_DAY_BEFORE_HOUR = 25
        SMS_SEND_CONCURRENCY = "many"

    with pytest.raises(ConfigError) as info:
        create_app(Wrong)
    assert "REMINDER_DAY_BEFORE_HOUR=25 is not allowed: expected a whole number from 0 to 23" in str(info.value)
    assert "SMS_SEND_CONCURRENCY='many'" in str(info.value)


def test_a_wrong_value_stops_the_real_entry_point_with_the_message(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SMS_", "REMINDER_", "TEST_"))}
    env.update(
        APP_ENV="production",
        SECRET_KEY=STRONG_SECRET,
        DATABASE_URL=f"sqlite:///{tmp_path / 'x.db'}",
        REMINDER_DAY_BEFORE_HOUR="25",
        SMS_RATE_PER_SECOND="abc",
    )
    done = subprocess.run(
        [sys.executable, "-c", "import wsgi"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode != 0
    assert "ConfigError: The configuration is not valid" in done.stderr
    assert "REMINDER_DAY_BEFORE_HOUR='25' is not allowed: expected a whole number from 0 to 23" in done.stderr
    assert "SMS_RATE_PER_SECOND='abc' is not allowed" in done.stderr


# -- settings from the environment take effect end to end ----------------------


@pytest.fixture()
def env_app(app, db):
    """An app built the way wsgi.py builds it, from an environment, on the test database."""
    made = []

    def build(**variables: str):
        env = {
            "APP_ENV": "testing",
            "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
            "SCHEDULER_LOCK_FILE": app.config["SCHEDULER_LOCK_FILE"],
            **variables,
        }
        built = create_app(config_from_env(env))
        made.append(built)
        return built

    yield build
    for built in made:
        with built.app_context():
            _db.engine.dispose()


@pytest.fixture()
def assigned_errand(db, make):
    """An errand on Wednesday 9 June 2027 at 10 with a helper assigned long before."""
    org = make.organization()
    elder = make.elder(org=org, contact_channel="sms_self")
    helper = make.helper(org=org)
    starts = helsinki(2027, 6, 9, 10)
    errand = make.errand(elder, starts)
    make.assignment(errand, helper, assigned_at=starts - timedelta(days=5))
    return errand


def test_reminder_day_before_hour_from_the_environment(db, env_app, assigned_errand):
    at_20 = env_app(REMINDER_DAY_BEFORE_HOUR="20")
    assert at_20.config["REMINDER_DAY_BEFORE_HOUR"] == 20
    with at_20.app_context():
        assert job_reminders(helsinki(2027, 6, 8, 18, 0)) == 0  # the default hour: nothing yet
        assert job_reminders(helsinki(2027, 6, 8, 19, 59)) == 0
        assert job_reminders(helsinki(2027, 6, 8, 20, 0)) == 2  # helper and older person
    kinds = db.session.scalars(sa.select(SmsMessage.kind).order_by(SmsMessage.kind)).all()
    assert kinds == ["reminder_elder_day", "reminder_helper_day"]


def test_quiet_hours_from_the_environment(db, env_app, make):
    elder = make.elder()
    message = queue_sms(elder.phone, "Vahvistus", kind="elder_confirmation", elder_id=elder.id)
    db.session.commit()
    at_22 = helsinki(2030, 1, 15, 22, 30)
    late_quiet = env_app(SMS_QUIET_START_HOUR="23", SMS_QUIET_END_HOUR="7", SMS_RATE_PER_SECOND="1000")
    with late_quiet.app_context():
        assert dispatch_outbox(at_22).sent == 1  # 22.30 is not quiet when quiet hours start at 23
    db.session.refresh(message)
    assert message.status == "sent"

    second = queue_sms(elder.phone, "Toinen", kind="elder_confirmation", elder_id=elder.id)
    db.session.commit()
    with late_quiet.app_context():
        dispatch_outbox(helsinki(2030, 1, 15, 23, 30))
    db.session.refresh(second)
    assert second.status == "held" and second.not_before == helsinki(2030, 1, 16, 7)  # released at 07, not 08


def test_retention_days_from_the_environment(db, env_app):
    now = utcnow()
    message = queue_sms("+358401000001", "Vanha viesti", kind="manual")
    db.session.flush()
    message.status = "delivered"
    message.created_at = now - timedelta(days=40)
    db.session.commit()
    assert job_purge(now) == 0  # the default 365 days keeps it
    db.session.refresh(message)
    assert message.body == "Vanha viesti"
    with env_app(SMS_RETENTION_DAYS="30").app_context():
        assert job_purge(now) == 1
    db.session.refresh(message)
    assert message.body == ""


def test_batch_size_from_the_environment(db, env_app):
    for n in range(25):
        queue_sms(f"+35840100{n:04d}", "Hei", kind="manual")
    db.session.commit()
    with env_app(SMS_BATCH_SIZE="2", SMS_RATE_PER_SECOND="1000").app_context():
        first = dispatch_outbox(helsinki(2030, 1, 15, 12)).sent
    assert 0 < first < 25  # a round takes a bounded number of batches of 2; the default (20) would send all 25
    waiting = db.session.scalar(sa.select(sa.func.count()).select_from(SmsMessage).where(SmsMessage.status == "queued"))
    assert waiting == 25 - first


def test_twilio_timeout_from_the_environment(db, env_app):
    """The real twilio client against a fake Twilio that answers after 1 s."""
    with FakeTwilio(delay_seconds=1.0) as fake:
        twilio = {
            "SMS_BACKEND": "twilio",
            "TWILIO_ACCOUNT_SID": fake.account_sid,
            "TWILIO_AUTH_TOKEN": fake.auth_token,
            "TWILIO_FROM": TWILIO_FROM,
            "TWILIO_API_BASE_URL": fake.base_url,
            "SMS_RATE_PER_SECOND": "1000",
        }
        impatient = env_app(TWILIO_TIMEOUT="0.3", **twilio)
        patient = env_app(TWILIO_TIMEOUT="5", **twilio)
        first = queue_sms("+358401000001", "Hei", kind="manual")
        db.session.commit()
        with impatient.app_context():
            assert current_backend().timeout == 0.3
            report = dispatch_outbox(helsinki(2030, 1, 15, 12))
        db.session.refresh(first)
        assert report.sent == 0 and first.last_error_code == "timeout"

        second = queue_sms("+358401000002", "Hei", kind="manual")
        db.session.commit()
        with patient.app_context():
            assert current_backend().timeout == 5.0
            dispatch_outbox(helsinki(2030, 1, 15, 12))
        db.session.refresh(second)
        assert second.status == "sent" and second.last_error_code is None


def test_errand_horizon_from_the_environment_also_when_a_request_is_taken(db, env_app, make):
    """A weekly request taken on the phone gets its dated errands ERRAND_HORIZON_DAYS ahead, not a fixed 21."""
    coordinator = make.coordinator()
    elder = make.elder(org=coordinator.organizations[0])
    today = local_today(utcnow())
    task = db.session.scalar(sa.select(TaskType).filter_by(code="walk"))
    weekly = RequestInput(
        elder_id=elder.id,
        task_type_id=task.id,
        date_from=today + timedelta(days=1),
        time_from=time(11, 0),
        recurrence="weekly",
        recurrence_until=today + timedelta(weeks=20),
    )
    with env_app(ERRAND_HORIZON_DAYS="50").app_context():
        req = create_request(weekly, taken_by=_db.session.merge(coordinator, load=False))
        _db.session.commit()
        request_id = req.id
    count = db.session.scalar(sa.select(sa.func.count(Errand.id)).where(Errand.request_id == request_id))
    assert count == 8  # days 1, 8, ..., 50 ahead (21 days would give 3)


def test_kinds_convert_environment_strings_and_python_values_alike():
    assert Integer(0, 23).convert(" 7 ") == Integer(0, 23).convert(7) == Integer(0, 23).convert(7.0) == 7
    assert Number().convert("0.5") == Number().convert(0.5) == 0.5
    assert Flag().convert("YES") is Flag().convert(True) is True
    assert Secret(many=True).convert("new-key, old-key,") == ("new-key", "old-key")
    assert Secret(many=True).convert("") == ()
    for kind, wrong in [(Integer(0, 23), True), (Number(), "inf"), (Flag(), 2), (Text(("a",)), 1)]:
        with pytest.raises(ValueError):
            kind.convert(wrong)


# -- several app nodes: REDIS_URL and the pool ------------------------------------------


def test_redis_url_shares_the_report_cache_and_the_limits_unless_they_are_given():
    unset = {"REDIS_URL": "", "CACHE_TYPE": "", "RATELIMIT_STORAGE_URI": ""}
    assert shared_through_redis(unset) == {"CACHE_TYPE": "FileSystemCache", "RATELIMIT_STORAGE_URI": "memory://"}
    url = "redis://cache.internal:6379/2"
    assert shared_through_redis(unset | {"REDIS_URL": url}) == {
        "CACHE_TYPE": "RedisCache",
        "CACHE_REDIS_URL": url,
        "RATELIMIT_STORAGE_URI": url,
    }
    given = {"REDIS_URL": url, "CACHE_TYPE": "SimpleCache", "RATELIMIT_STORAGE_URI": "redis://other:6379/5"}
    assert shared_through_redis(given) == {"CACHE_TYPE": "SimpleCache", "RATELIMIT_STORAGE_URI": "redis://other:6379/5"}


def test_an_app_with_redis_url_keeps_its_report_cache_and_limits_in_redis(tmp_path):
    """Redis is not reached when the app starts (its clients connect on first use)."""
    from app import abuse
    from app.extensions import cache

    env = {
        "APP_ENV": "development",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'nodes.db'}",
        "REDIS_URL": "redis://127.0.0.1:1/9",
        "DB_POOL_SIZE": "3",
        "DB_MAX_OVERFLOW": "0",
    }
    built = create_app(config_from_env(env))
    assert built.config["CACHE_TYPE"] == "RedisCache" and built.config["CACHE_REDIS_URL"] == env["REDIS_URL"]
    assert built.config["RATELIMIT_STORAGE_URI"] == env["REDIS_URL"]
    assert (built.config["DB_POOL_SIZE"], built.config["DB_MAX_OVERFLOW"]) == (3, 0)
    with built.test_request_context("/"):
        assert type(abuse.limiter().storage).__name__ == "RedisStorage"
        assert type(cache.cache).__name__ == "RedisCache"
    plain = create_app(config_from_env({k: v for k, v in env.items() if k != "REDIS_URL"}))
    assert plain.config["CACHE_TYPE"] == "FileSystemCache" and plain.config["RATELIMIT_STORAGE_URI"] == "memory://"
    with pytest.raises(ConfigError, match="REDIS_URL"):
        config_from_env(env | {"REDIS_URL": "http://127.0.0.1:6379"})


def test_voice_settings_from_the_environment(db, env_app, make):
    """VOICE_QUIET_HOURS, VOICE_NAME_FI and VOICE_MACHINE_DETECTION take effect (issue 16)."""
    elder = make.elder(phone="+35886155432", phone_kind="landline", contact_channel="voice")
    call = queue_sms(elder.phone, "Hei", kind="manual", elder_id=elder.id, channel="voice")
    db.session.commit()
    with FakeTwilio() as fake:
        built = env_app(
            VOICE_QUIET_HOURS="22-7",
            VOICE_BACKEND="twilio",
            TWILIO_ACCOUNT_SID=fake.account_sid,
            TWILIO_AUTH_TOKEN=fake.auth_token,
            TWILIO_VOICE_FROM="+358931234567",
            TWILIO_API_BASE_URL=fake.base_url,
            VOICE_MACHINE_DETECTION="on",
            VOICE_NAME_FI="Polly.Suvi-Neural",
        )
        assert built.config["VOICE_QUIET_HOURS"] == (22, 7)
        with built.app_context():
            assert dispatch_outbox(helsinki(2030, 1, 15, 21, 30)).sent == 1  # 21.30 is not quiet from 22
        [placed] = fake.calls
    assert placed["machine_detection"] == "Enable" and placed["from"] == "+358931234567"
    db.session.refresh(call)
    assert call.status == "sent"
