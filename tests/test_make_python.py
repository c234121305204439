"""`make` takes the first of python3.13, python3.12, python3.11, python3 that is
Python 3.11 or newer, and stops with a clear message when there is none."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MAKE = shutil.which("make")
REAL_PYTHON = os.path.realpath(sys.executable)

pytestmark = pytest.mark.skipif(MAKE is None, reason="make is not installed")


def fake_python(bin_dir: Path, name: str, *, old: bool) -> None:
    """A Python that is 3.10 (answers every call with its version and fails) or the real one."""
    script = '#!/bin/sh\necho "Python 3.10.12"\nexit 1\n' if old else f'#!/bin/sh\nexec "{REAL_PYTHON}" "$@"\n'
    path = bin_dir / name
    path.write_text(script)
    path.chmod(0o755)


def make_python(bin_dir: Path, *args: str) -> subprocess.CompletedProcess:
    (bin_dir / "head").symlink_to(shutil.which("head"))
    return subprocess.run(
        [MAKE, "-s", "--no-print-directory", "-C", str(ROOT), "python", *args],
        env={"PATH": str(bin_dir)},  # only the fake Pythons are found
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_newest_python_that_is_at_least_3_11_is_used(tmp_path):
    fake_python(tmp_path, "python3.13", old=True)
    fake_python(tmp_path, "python3.12", old=False)
    fake_python(tmp_path, "python3", old=True)
    result = make_python(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("Using python3.12 (Python 3.")


def test_no_python_3_11_stops_with_a_clear_message(tmp_path):
    fake_python(tmp_path, "python3", old=True)
    result = make_python(tmp_path)
    assert result.returncode != 0
    assert "Python 3.11 or newer is needed: none of python3.13 python3.12 python3.11 python3" in result.stdout


def test_an_older_python_named_on_the_command_line_is_refused(tmp_path):
    fake_python(tmp_path, "python3", old=True)
    result = make_python(tmp_path, "PYTHON=python3")
    assert result.returncode != 0
    assert "Python 3.11 or newer is needed: python3 is Python 3.10.12." in result.stdout
