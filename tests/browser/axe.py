"""Deque's axe-core, run inside the page under test, to find accessibility problems a person would
meet. Installed on first use from js/package-lock.json, as tests/calendar/js is."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from tests.npm import npm_ci_once

JS_DIR = Path(__file__).resolve().parent / "js"
AXE_SOURCE = JS_DIR / "node_modules" / "axe-core" / "axe.min.js"

# Problems that stop or seriously hinder someone; axe's "moderate" and "minor" are reported by
# axe itself as advice and do not fail a journey.
FAILING_IMPACTS = ("serious", "critical")

# What runs in the page: the whole document, every rule axe has (WCAG 2.x A/AA and best practice).
RUN_AXE = """() => axe.run(document, {resultTypes: ['violations']})
  .then(r => r.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
    nodes: v.nodes.map(n => ({target: n.target.join(' '), html: n.html, summary: n.failureSummary}))
})))"""


def ensure_installed() -> None:
    """Skip when npm is missing; install axe-core once."""
    npm_ci_once(JS_DIR, AXE_SOURCE, "to install axe-core for the accessibility checks")


@cache
def source() -> str:
    return AXE_SOURCE.read_text(encoding="utf-8")


def all_violations(page) -> list[dict]:
    """Everything axe finds on the page as it is now, whatever its impact.

    axe is evaluated through the DevTools protocol rather than added as a <script>, so the app's
    Content-Security-Policy stays in force for the page and is not what the check measures."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(source())
    return page.evaluate(RUN_AXE)


def violations(page) -> list[dict]:
    """axe's serious and critical violations on the page as it is now."""
    return serious(all_violations(page))


def serious(found: list[dict]) -> list[dict]:
    return [v for v in found if v["impact"] in FAILING_IMPACTS]


def describe(url: str, found: list[dict], what: str = "serious or critical") -> str:
    """A readable report: each rule broken, why it matters, and the elements that break it."""
    lines = [f"{len(found)} {what} accessibility problem(s) on {url}:"]
    for v in found:
        lines.append(f"- [{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']})")
        for node in v["nodes"][:8]:
            html = node["html"] if len(node["html"]) <= 160 else node["html"][:157] + "..."
            lines.append(f"    at {node['target']}: {html}")
            for reason in (node["summary"] or "").splitlines():
                if reason.strip():
                    lines.append(f"      {reason.strip()}")
        if len(v["nodes"]) > 8:
            lines.append(f"    ... and {len(v['nodes']) - 8} more element(s)")
    return "\n".join(lines)
