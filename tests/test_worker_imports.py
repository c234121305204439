"""What a web worker holds from its start. It loads the PDF library (fpdf2 with its fonts,
~48 MB) and the week plan's solver stack (numpy, HiGHS, ~22 MB) only when it makes a PDF or
solves a plan, not at start: every page is served without them (README, "Performance": the
workers' memory). And what it made at start is kept out of the garbage collector's full
passes (``app.ready_to_serve``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("fpdf", "fontTools", "numpy", "highspy")

_SCRIPT = """
import json, sys
from app import create_app
from config import TestConfig
TestConfig.SQLALCHEMY_DATABASE_URI = DATABASE_URL
app = create_app(TestConfig)
with app.app_context():
    from flask_migrate import upgrade
    upgrade()
client = app.test_client()
pages = {path: client.get(path).status_code for path in ("/", "/auth/login", "/helpers/register")}
at_start = sorted({name.split(".")[0] for name in sys.modules} & set(HEAVY))
with app.test_request_context("/"):
    from app.reports.certificate import new_pdf
    new_pdf().add_page()
after_pdf = sorted({name.split(".")[0] for name in sys.modules} & set(HEAVY))
from app.planning import solver
solver.solve(solver.Instance((), ()), seconds=0.1)
after_plan = sorted({name.split(".")[0] for name in sys.modules} & set(HEAVY))
print(json.dumps({"pages": pages, "at_start": at_start, "after_pdf": after_pdf, "after_plan": after_plan}))
"""


def test_the_pdf_and_solver_libraries_load_only_when_used(tmp_path):
    database_url = f"sqlite:///{tmp_path / 'worker.db'}"
    done = subprocess.run(
        [sys.executable, "-c", f"HEAVY = {HEAVY!r}\nDATABASE_URL = {database_url!r}\n" + _SCRIPT],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert set(seen["pages"].values()) == {200}
    assert seen["at_start"] == []
    assert {"fpdf", "fontTools"} <= set(seen["after_pdf"])
    assert {"numpy", "highspy"} <= set(seen["after_plan"])


_FROZEN = """
import gc, json
import wsgi
frozen, tracked = gc.get_freeze_count(), len(gc.get_objects())
print(json.dumps({"frozen": frozen, "tracked": tracked}))
"""


def test_the_production_entry_point_keeps_its_start_out_of_full_collections(tmp_path):
    """``wsgi.py`` (what gunicorn and ``flask --app wsgi`` load): the objects made at start are
    frozen, so a full collection walks only what the worker made since."""
    env = {**os.environ, "APP_ENV": "testing", "DATABASE_URL": f"sqlite:///{tmp_path / 'w.db'}"}
    done = subprocess.run(
        [sys.executable, "-c", _FROZEN], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["frozen"] > 100_000  # the modules, the app, its routes and templates' code
    assert seen["tracked"] < seen["frozen"] / 10
