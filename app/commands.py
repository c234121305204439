"""Command-line commands: ``flask --app wsgi <command>``."""

from __future__ import annotations

import click
import sqlalchemy as sa

from app.extensions import db


def register(app) -> None:
    @app.cli.command("seed-demo")
    @click.option("--if-empty", is_flag=True, help="Only seed when the database has no users.")
    @click.option("--in-production", is_flag=True, help="Seed even with APP_ENV=production (demo logins!).")
    def seed_demo(if_empty: bool, in_production: bool) -> None:
        """Build the Kainuu demo world (safe to run again)."""
        from app.demo import DEMO_LOGINS, seed
        from app.models import User

        if app.config.get("ENV_NAME") == "production" and not in_production:
            raise click.ClickException(
                "The demo's logins share a published password: not seeded in production "
                "(use APP_ENV=development, or --in-production for a public demonstration server)."
            )
        if if_empty and db.session.scalar(sa.select(sa.func.count(User.id))):
            click.echo("Database already has data; demo not seeded.")
            return
        counts = seed()
        db.session.commit()
        click.echo("Demo ready: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
        for role, email, password in DEMO_LOGINS:
            click.echo(f"  {role:<12} {email:<40} {password}")

    @app.cli.command("create-admin")
    @click.argument("email")
    @click.option("--name", default="Admin")
    @click.password_option()
    def create_admin(email: str, name: str, password: str) -> None:
        """Create an admin account."""
        from app.auth.passwords import is_common_password
        from app.models import User

        if len(password) < 10 or is_common_password(password):
            raise click.BadParameter("use at least 10 characters, not a commonly used password", param_hint="password")
        user = User(email=email.lower(), name=name, role="admin")
        user.set_password(password)
        db.session.add(user)
        db.session.commit()
        click.echo(f"Admin {email} created.")

    @app.cli.command("notes-rotate-key")
    def notes_rotate_key() -> None:
        """Encrypt every stored note again with the newest key of NOTES_ENCRYPTION_KEYS."""
        from app.crypto import rotate_all

        count = rotate_all(db.session)
        db.session.commit()
        click.echo(f"Notes encrypted with the newest key: {count}.")

    # Areas that bring their own commands (the scheduler, ...) add them here.
    import importlib

    for area in ("scheduling",):
        try:
            module = importlib.import_module(f"app.{area}.commands")
        except ModuleNotFoundError as exc:
            if exc.name not in (f"app.{area}", f"app.{area}.commands"):
                raise
            continue
        module.register(app)
