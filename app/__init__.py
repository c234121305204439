"""Application factory for Arjen pelastajat."""

from __future__ import annotations

import gc
import logging
from collections import ChainMap
from collections.abc import Callable, Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

import flask.templating
import jinja2
import jinja2.runtime
from flask import Flask

from app.memo import keep
from config import Config, shared_through_redis, validated

TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "templates"
TRANSLATIONS_DIR = Path(__file__).resolve().parent.parent / "translations"


class _Template(jinja2.Template):
    """Jinja's template, whose :meth:`new_context` copies the globals into the render's
    variables in C: Jinja makes ``dict(globals, **vars)`` of the template's globals, a
    ``ChainMap`` of its own over the environment's, which looks each of the app's ~40 globals
    up through ``ChainMap.__getitem__`` in Python on every render. The same keys and values
    (the template's own globals over the environment's, the render's variables over both)."""

    def new_context(
        self, vars: dict[str, Any] | None = None, shared: bool = False, locals: Mapping[str, Any] | None = None
    ) -> jinja2.runtime.Context:
        chain = self.globals
        if not shared and type(chain) is ChainMap and len(chain.maps) == 2:
            own, environment = chain.maps
            if type(own) is dict and type(environment) is dict:
                vars = {**environment, **own, **(vars or {})}
                shared = True  # given as the context's variables as they are (a copy when ``locals``)
        return jinja2.runtime.new_context(self.environment, self.name, self.blocks, vars, shared, chain, locals)


class _Environment(flask.templating.Environment):
    template_class = _Template


class App(Flask):
    """Flask, with :meth:`ensure_sync`'s answer kept for each function: Flask asks it (an
    ``inspect.iscoroutinefunction`` test) of every before- and after-request function,
    context processor, view and teardown on every request, a dozen times a page, and the
    app's functions do not change while it runs. Its templates are :class:`_Template`."""

    jinja_environment = _Environment

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._synced: dict[Callable, Callable] = {}

    def ensure_sync(self, func: Callable) -> Callable:
        try:
            synced = self._synced.get(func)
        except TypeError:  # an unhashable callable
            return super().ensure_sync(func)
        if synced is None:
            synced = keep(self._synced, func, super().ensure_sync(func), limit=1024)
        return synced


def ready_to_serve(app: Flask) -> Flask:
    """A web worker's app, made once at its start: what exists now (the modules, the app,
    its routes, templates and settings) lives as long as the worker, so it is moved out of
    the garbage collector's way (``gc.freeze``). Otherwise every full collection walks it
    all again: ~100 ms a pass for ~195,000 objects on a 2-core host, a stall of whichever
    request it falls in, and one falls every few hundred requests (bench/README.md)."""
    gc.freeze()
    return app


def create_app(config_class: type[Config] = Config) -> Flask:
    app = App(__name__, template_folder=str(TEMPLATE_DIR), instance_relative_config=False)
    app.config.from_object(config_class)
    _check_config(app)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)

    from app import inputs
    from app.cookie_session import CookieSessions

    app.session_interface = CookieSessions()  # Flask's signed cookie, each one verified once per worker

    inputs.register(app)  # before the blueprints: the bounded int converter, the cleaning request
    register_extensions(app)
    register_rollups()
    register_blueprints(app)
    register_sms_handlers(app)
    register_errorhandlers(app)
    register_commands(app)
    register_template_helpers(app)
    register_security_headers(app)
    return app


def _check_config(app: Flask) -> None:
    """Every setting typed and within what it allows, or ``ConfigError`` naming the wrong ones."""
    app.config.update(validated(app.config))
    app.config.update(shared_through_redis(app.config))  # the report cache and the limits, with REDIS_URL
    app.config["REMEMBER_COOKIE_DURATION"] = timedelta(days=app.config["REMEMBER_COOKIE_DAYS"])
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("sqlite:///"):
        Path(uri.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)


def register_extensions(app: Flask) -> None:
    from app import db_setup
    from app.extensions import babel, cache, csrf, db, login_manager, migrate
    from app.i18n import select_locale, select_timezone

    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = db_setup.engine_options(
        app.config["SQLALCHEMY_DATABASE_URI"],
        app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {}),
        pool_size=app.config["DB_POOL_SIZE"],
        max_overflow=app.config["DB_MAX_OVERFLOW"],
    )
    db.init_app(app)
    with app.app_context():
        db_setup.configure_engine(db.engine, mmap_mb=app.config["SQLITE_MMAP_MB"])
    # Runs before Flask-SQLAlchemy's own teardown (teardowns run in reverse order).
    app.teardown_appcontext(db_setup.end_session)
    migrate.init_app(
        app,
        db,
        directory=str(Path(__file__).resolve().parent.parent / "migrations"),
        render_as_batch=True,
        compare_type=True,
    )
    csrf.init_app(app)
    from app.security import use_csrf_token

    use_csrf_token(app)
    cache.init_app(app)
    from app import abuse, crypto

    abuse.init_app(app)
    crypto.init_app(app)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS_DIR))
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)

    from app.auth.sessions import load_user, session_identifier

    login_manager.init_app(app)
    login_manager.user_loader(load_user)
    login_manager._session_identifier_generator = session_identifier  # the same value, made once per client
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "strong"
    from flask_babel import lazy_gettext as _l

    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.login_message_category = "info"


def register_blueprints(app: Flask) -> None:
    """Every area's pages, listed here so a reader sees the whole web surface in one place."""
    from app import (
        activities,
        admin,
        auth,
        calls,
        elders,
        encounters,
        errands,
        helpers,
        main,
        planning,
        privacy,
        reports,
        sms,
    )

    for area in (
        main,
        auth,
        admin,
        helpers,
        elders,
        errands,
        planning,
        sms,
        calls,
        encounters,
        activities,
        reports,
        privacy,
    ):
        app.register_blueprint(area.bp)


def register_sms_handlers(app: Flask) -> None:
    """Who acts on an incoming SMS: the sms area reads and routes, the areas above it act."""
    from app.activities import sms_commands as activity_answers
    from app.encounters import sms_feedback
    from app.errands import sms_commands
    from app.helpers.consent import handle_guardian_sms
    from app.planning import sms_commands as plan_commands
    from app.sms import inbound

    inbound.register(
        app,
        guardian=handle_guardian_sms,
        commands={
            "accept": (activity_answers.answer, sms_commands.helper_command),
            "accept_all": plan_commands.accept_all,
            "decline": (activity_answers.answer, sms_commands.helper_command),
            "done": sms_commands.helper_command,
            "cancel": sms_commands.cancel,
            "feedback": sms_feedback.handle,
        },
    )


def register_errorhandlers(app: Flask) -> None:
    from app.main.errors import register

    register(app)


def register_rollups() -> None:
    """The report rollups redo the stage changes of the people of a changed encounter (and
    their scope when a person changes), and build the check-in rows."""
    from app import rollups
    from app.encounters import checkin_rollups, stage_changes

    rollups.on_people_met(stage_changes.refresh)
    rollups.on_people_changed(stage_changes.rescope)
    rollups.on_checkins(checkin_rollups.rebuild)


def register_commands(app: Flask) -> None:
    from app.commands import register

    register(app)


def register_template_helpers(app: Flask) -> None:
    from app.i18n import register_template_helpers as register_i18n

    register_i18n(app)
    from app.ui import register_template_globals

    register_template_globals(app)
    from app.phones import display_phone

    app.jinja_env.globals["display_phone"] = display_phone  # the one way a number is shown, on every page
    app.jinja_env.filters["phone"] = display_phone


def register_security_headers(app: Flask) -> None:
    from app.headers import register

    register(app)
