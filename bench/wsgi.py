"""WSGI entry point for the load benchmark: ``gunicorn bench.wsgi:app`` on the
data set named by ``BENCH_APP_DATABASE_URL`` (set by :mod:`bench.pages`)."""

import logging
import os

from bench.common import build_app

app = build_app(os.environ["BENCH_APP_DATABASE_URL"])
logging.getLogger().setLevel(logging.WARNING)
