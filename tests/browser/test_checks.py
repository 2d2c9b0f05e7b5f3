"""The journeys' checks catch what they are there to catch: a clean run means something."""

from __future__ import annotations

import pytest

from tests.browser import axe
from tests.browser.harness import KeyboardUser

BROKEN = """<!doctype html><html><head><title>Broken</title>
<style>.faint { color: #ccc; background: #fff; } button:focus { outline: none; }</style></head>
<body><main><h1>Broken</h1>
<p class="faint">Hard to read</p>
<input type="text" id="nameless">
<button type="button"><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="></button>
<button type="button" id="unringed">No focus ring</button>
</main></body></html>"""


def test_axe_reports_serious_problems_readably(journey):
    journey.page.set_content(BROKEN)
    found = axe.violations(journey.page)
    rules = {v["id"] for v in found}
    assert {"color-contrast", "label", "button-name", "html-has-lang"} <= rules
    report = axe.describe("/broken", found)
    assert "serious or critical accessibility problem(s) on /broken" in report
    assert "#nameless" in report and "Form elements must have labels" in report


def test_keyboard_user_fails_where_focus_cannot_be_seen(journey, date_layout):
    journey.page.set_content(BROKEN)
    user = KeyboardUser(journey, *date_layout)
    with pytest.raises(AssertionError, match="focus is not visible"):
        user.focus(journey.page.locator("#unringed"))
