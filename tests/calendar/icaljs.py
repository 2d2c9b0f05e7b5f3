"""Mozilla's ical.js (the parser inside Thunderbird), run through node, as a second reader of
Convene's calendar files. Installed on first use from this folder's package-lock.json."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.npm import npm_ci_once

JS_DIR = Path(__file__).resolve().parent / "js"
INSTALLED = JS_DIR / "node_modules" / "ical.js" / "package.json"


def ensure_installed() -> None:
    """Skip when node or npm is missing; install ical.js once."""
    if shutil.which("node") is None:
        pytest.skip("node is needed to check calendar files with ical.js (Thunderbird's)")
    npm_ci_once(JS_DIR, INSTALLED, "to install ical.js, the second reader of calendar files")


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
