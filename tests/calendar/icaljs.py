"""Mozilla's ical.js (the parser inside Thunderbird), run through node, as a second reader of
Convene's calendar files. Installed on first use from this folder's package-lock.json."""

from __future__ import annotations

import fcntl
import json
import shutil
import subprocess
from pathlib import Path

import pytest

JS_DIR = Path(__file__).resolve().parent / "js"
INSTALLED = JS_DIR / "node_modules" / "ical.js" / "package.json"


def ensure_installed() -> None:
    """Skip when node or npm is missing; install ical.js once (a lock keeps parallel runs apart)."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("node and npm are needed to check calendar files with ical.js (Thunderbird's)")
    with open(JS_DIR / ".install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if INSTALLED.exists():
            return
        result = subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=JS_DIR,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if result.returncode != 0:
            pytest.fail(f"npm ci in {JS_DIR} failed:\n{result.stdout}\n{result.stderr}")


def parse(*calendars: bytes | str) -> list[dict]:
    """What ical.js reads in each calendar text (see js/parse.mjs for the fields)."""
    texts = [c.decode("utf-8") if isinstance(c, bytes) else c for c in calendars]
    result = subprocess.run(
        ["node", "parse.mjs"],
        cwd=JS_DIR,
        input=json.dumps(texts),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, f"ical.js could not read the calendar:\n{result.stderr}"
    return json.loads(result.stdout)
