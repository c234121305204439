"""WSGI entry point: ``flask --app wsgi ...`` and ``gunicorn wsgi:app``."""

from app import create_app, ready_to_serve
from config import config_from_env

app = ready_to_serve(create_app(config_from_env()))
