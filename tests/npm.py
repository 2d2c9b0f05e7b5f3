"""Test-only JavaScript tools (ical.js, axe-core), installed on first use with `npm ci` from the
package-lock.json committed beside them."""

from __future__ import annotations

import fcntl
import shutil
import subprocess
from pathlib import Path

import pytest


def npm_ci_once(folder: Path, marker: Path, why: str) -> None:
    """Run `npm ci` in `folder` unless `marker` exists; skip (saying `why` npm is needed) when
    npm is missing. A file lock keeps parallel test runs from installing at the same time."""
    if marker.exists():
        return
    if shutil.which("npm") is None:
        pytest.skip(f"npm is needed {why}")
    with open(folder / ".install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if marker.exists():
            return
        result = subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if result.returncode != 0:
            pytest.fail(f"npm ci in {folder} failed:\n{result.stdout}\n{result.stderr}")
