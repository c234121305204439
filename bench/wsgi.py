"""WSGI entry point for the load benchmark: ``gunicorn bench.wsgi:app`` on the
data set named by ``BENCH_APP_DATABASE_URL`` (set by :mod:`bench.pages`); with
``BENCH_REDIS_URL`` the app runs as one of several nodes (``REDIS_URL``)."""

import logging
import os

from app import ready_to_serve
from bench.common import build_app

redis_url = os.environ.get("BENCH_REDIS_URL", "")
app = ready_to_serve(build_app(os.environ["BENCH_APP_DATABASE_URL"], **({"REDIS_URL": redis_url} if redis_url else {})))
logging.getLogger().setLevel(logging.WARNING)
