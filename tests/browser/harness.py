"""What the browser journeys stand on: the app served on loopback, a checked browser tab, and two
ways of using it — with the mouse, and with the keyboard alone."""

from __future__ import annotations

import re
import threading
from datetime import datetime
from pathlib import Path

from flask import Flask, got_request_exception
from werkzeug.serving import WSGIRequestHandler, make_server

from tests.browser import axe


class QuietHandler(WSGIRequestHandler):
    """No line per request on the console: a journey makes hundreds."""

    def log_request(self, *args, **kwargs) -> None:
        pass


class LiveServer:
    """The app on a free loopback port, served by a thread like `flask run --with-threads`."""

    def __init__(self, app: Flask):
        self.app = app
        self.errors: list[str] = []
        got_request_exception.connect(self._record, app, weak=False)
        self._server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
        # Requests still sending their mail after the response are waited for at stop().
        self._server.daemon_threads = False
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        # The site's address, on which its mail and calendar links are built.
        app.config["PUBLIC_URL"] = self.url
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def _record(self, sender, exception, **extra) -> None:
        self.errors.append(f"{type(exception).__name__}: {exception}")

    def start(self) -> LiveServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)
        got_request_exception.disconnect(self._record, self.app)
        executor = self.app.extensions.get("convene_solve_executor")
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)


class Journey:
    """A browser tab that checks each page it reaches: a screenshot kept as a test artefact,
    axe's serious and critical accessibility problems, script errors, CSP refusals, and any
    response or server error."""

    def __init__(self, page, server: LiveServer, artefacts: Path):
        self.page = page
        self.server = server
        self.artefacts = artefacts
        self.steps = 0
        self.problems: list[str] = []
        page.on("pageerror", lambda error: self.problems.append(f"script error: {error}"))
        page.on("console", self._console)
        page.on("response", self._response)

    def _console(self, message) -> None:
        # Chromium reports what a Content-Security-Policy blocks as console errors.
        if message.type == "error" and "Content Security Policy" in message.text:
            self.problems.append(f"CSP refused something on {self.page.url}: {message.text}")

    def _response(self, response) -> None:
        if response.status >= 500:
            self.problems.append(f"{response.status} from {response.url}")

    def url(self, path: str) -> str:
        return self.server.url + path

    @property
    def path(self) -> str:
        """The address shown, without the server and any #fragment (a skip link leaves one)."""
        return self.page.url.removeprefix(self.server.url).split("#")[0]

    def goto(self, path: str) -> None:
        """Open an address directly, as from a bookmark or a link in an email."""
        self.page.goto(self.url(path))
        self.arrived()

    def arrived(self) -> None:
        """Check the page now shown, once per document loaded."""
        from playwright.sync_api import Error as PlaywrightError  # only once Chromium is found

        for _ in range(5):
            try:
                self._check()
                return
            except PlaywrightError as error:
                # A page that reloads itself (the solve progress page, when the solve ends)
                # can replace the document mid-check: check the new one.
                if "context was destroyed" not in str(error):
                    raise
        raise AssertionError(f"{self.path} kept reloading while it was being checked")

    def _check(self) -> None:
        self.page.wait_for_load_state("load")
        if self.page.evaluate("() => window.__conveneChecked === true"):
            self.assert_healthy()
            return
        shot = self.screenshot(self.page.title().split(" · ")[0])
        found = axe.all_violations(self.page)
        self.page.evaluate("() => { window.__conveneChecked = true; }")
        if advice := [v for v in found if v not in axe.serious(found)]:
            # Moderate and minor findings do not fail the journey; keep them to read.
            with open(self.artefacts / "axe-advice.txt", "a", encoding="utf-8") as report:
                report.write(
                    f"{shot.name}\n{axe.describe(self.path, advice, 'moderate or minor')}\n\n"
                )
        assert not axe.serious(found), axe.describe(self.path, axe.serious(found))
        self.assert_healthy()

    def assert_reflows(self, width: int = 320) -> None:
        """At 320 CSS pixels wide (a phone, or 400% zoom) the page reads without scrolling
        sideways (WCAG 1.4.10); a screenshot shows it."""
        size = self.page.viewport_size
        self.page.set_viewport_size({"width": width, "height": size["height"]})
        try:
            self.screenshot(f"{self.page.title().split(' · ')[0]} at {width}px")
            overflow = self.page.evaluate(
                """width => [...document.querySelectorAll('body *')]
                    .filter(el => el.getBoundingClientRect().right > width + 1)
                    .filter(el => !el.closest('.visually-hidden, .skip-link'))
                    .slice(0, 5).map(el => el.outerHTML.slice(0, 120))""",
                width,
            )
            assert not overflow, f"{self.path} is wider than {width}px: {overflow}"
        finally:
            self.page.set_viewport_size(size)

    def assert_healthy(self) -> None:
        problems = self.problems + [f"server error: {e}" for e in self.server.errors]
        assert not problems, "\n".join(problems)

    def screenshot(self, name: str) -> Path:
        self.steps += 1
        slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:60] or "page"
        path = self.artefacts / f"{self.steps:02d}-{slug}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


class MouseUser:
    """Someone using the mouse (and typing into the fields they click)."""

    def __init__(self, journey: Journey):
        self.journey = journey
        self.page = journey.page

    def fill(self, field, value: str | datetime) -> None:
        if isinstance(value, datetime):
            value = value.strftime("%Y-%m-%dT%H:%M")
        field.fill(value)

    def select(self, field, label: str) -> None:
        field.select_option(label=label)

    def choose(self, field, labels: list[str]) -> None:
        """Pick several options of a multiple select, as Ctrl+click does."""
        field.select_option(label=labels)

    def check(self, field, checked: bool = True) -> None:
        field.set_checked(checked)

    def follow(self, link) -> None:
        with self.page.expect_navigation():
            link.click()
        self.journey.arrived()

    def press(self, button) -> None:
        """Press a button that sends a form."""
        with self.page.expect_navigation():
            button.click()
        self.journey.arrived()

    def jump(self, link) -> None:
        """Follow a link within the page (an error summary's link to its field)."""
        link.click()

    def disclose(self, summary) -> None:
        """Open a <details> by its <summary>."""
        summary.click()
        assert summary.evaluate("el => el.parentElement.open")

    def download(self, link):
        with self.page.expect_download() as info:
            link.click()
        return info.value


FOCUS_STATE = """() => {
    const el = document.activeElement;
    if (!el || el === document.body) return null;
    const style = getComputedStyle(el);
    const rect = el.getBoundingClientRect();
    const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
    const shadow = style.boxShadow && style.boxShadow !== 'none';
    const name = (el.getAttribute('aria-label') || el.innerText || el.value || el.name || '');
    return {
        what: el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + ' "' +
              name.trim().slice(0, 40) + '"',
        shown: rect.width > 0 && rect.height > 0 && rect.bottom > 0 && rect.right > 0 &&
               rect.top < innerHeight && rect.left < innerWidth,
        indicated: outline || shadow,
        skipLink: el.classList.contains('skip-link'),
    };
}"""

# Which way to Tab from the focused element to reach `el`: 1 forwards, -1 backwards, 0 arrived.
DIRECTION = """el => {
    const at = document.activeElement;
    if (at === el) return 0;
    if (!at || at === document.body) return 1;
    return at.compareDocumentPosition(el) & Node.DOCUMENT_POSITION_FOLLOWING ? 1 : -1;
}"""

# After a press of Tab: what has focus now (FOCUS_STATE), which way on to `el` (DIRECTION) and
# whether `el` is in the main content, read in one call: a journey presses Tab hundreds of times.
AFTER_TAB = f"""el => ({{
    state: ({FOCUS_STATE})(),
    direction: ({DIRECTION})(el),
    inMain: !!el.closest('main'),
}})"""


class KeyboardUser:
    """Someone using the keyboard alone: Tab and Shift+Tab to move, typing, arrows in selects,
    Space for checkboxes and buttons, Enter for links. Every element they land on must show
    that it has focus. The page is only read (which way to go, what a select holds), never
    clicked."""

    MAX_TABS = 200

    def __init__(self, journey: Journey, date_order: tuple[str, ...], twelve_hour: bool):
        self.journey = journey
        self.page = journey.page
        self.date_order = date_order
        self.twelve_hour = twelve_hour

    def focus(self, target) -> None:
        """Tab (or Shift+Tab) until `target` has focus, as a person would."""
        target.wait_for(state="visible")
        handle = target.element_handle()
        path = []
        went_back = False
        direction = handle.evaluate(DIRECTION)
        for _ in range(self.MAX_TABS):
            if direction == 0:
                break
            went_back = direction < 0
            self.page.keyboard.press("Tab" if direction > 0 else "Shift+Tab")
            after = handle.evaluate(AFTER_TAB)
            state, direction = after["state"], after["direction"]
            if state is None:
                continue
            path.append(state["what"])
            assert state["shown"] and state["indicated"], (
                f"focus is not visible on {state['what']} at {self.journey.path}"
            )
            if state["skipLink"] and after["inMain"]:
                # Straight into the content, as keyboard users do on each new page.
                self.page.keyboard.press("Enter")
                direction = handle.evaluate(DIRECTION)
        else:
            raise AssertionError(
                f"{self.MAX_TABS} presses of Tab never reached {target} on {self.journey.path};"
                f" focus went: {' → '.join(path[-30:])}"
            )
        if went_back and handle.evaluate("el => el.type === 'datetime-local'"):
            # Shift+Tab lands on the last part of a date field; come in at its first part.
            while handle.evaluate("el => document.activeElement === el"):
                self.page.keyboard.press("Shift+Tab")
            self.page.keyboard.press("Tab")

    def fill(self, field, value: str | datetime) -> None:
        self.focus(field)
        if isinstance(value, datetime):
            self._type_datetime(value)
            return
        self.page.keyboard.press("Control+A")
        if value:
            self.page.keyboard.type(value)
        else:
            self.page.keyboard.press("Delete")

    def _type_datetime(self, value: datetime) -> None:
        """Type into Chromium's date-time field part by part, in the order its locale shows."""
        parts = {"day": f"{value.day:02d}", "month": f"{value.month:02d}", "year": str(value.year)}
        for part in self.date_order:
            self.page.keyboard.type(parts[part])
            if part == "year":  # a year can have more digits: move on by hand
                self.page.keyboard.press("ArrowRight")
        if self.twelve_hour:
            hour = value.hour % 12 or 12
            self.page.keyboard.type(f"{hour:02d}{value.minute:02d}")
            self.page.keyboard.type("P" if value.hour >= 12 else "A")
        else:
            self.page.keyboard.type(f"{value.hour:02d}{value.minute:02d}")

    def select(self, field, label: str) -> None:
        """Arrow keys through a closed select until the option is chosen."""
        self.focus(field)
        labels = field.evaluate("el => [...el.options].map(o => o.label)")
        assert label in labels, f"no option {label!r} in {labels}"
        steps = labels.index(label) - field.evaluate("el => el.selectedIndex")
        for _ in range(abs(steps)):
            self.page.keyboard.press("ArrowDown" if steps > 0 else "ArrowUp")
        assert field.evaluate("el => el.selectedOptions[0].label") == label

    def choose(self, field, labels: list[str]) -> None:
        """In a multiple select: Ctrl+arrows move without choosing, Ctrl+Space chooses."""
        self.focus(field)
        options = field.evaluate("el => [...el.options].map(o => o.label)")
        self.page.keyboard.press("Control+Home")
        at = 0
        for label in sorted(labels, key=options.index):
            for _ in range(options.index(label) - at):
                self.page.keyboard.press("Control+ArrowDown")
            at = options.index(label)
            if not field.evaluate("(el, i) => el.options[i].selected", at):
                self.page.keyboard.press("Control+Space")
        chosen = field.evaluate("el => [...el.selectedOptions].map(o => o.label)")
        assert sorted(chosen) == sorted(labels), f"chose {chosen}, wanted {labels}"

    def check(self, field, checked: bool = True) -> None:
        self.focus(field)
        if field.is_checked() != checked:
            self.page.keyboard.press("Space")
        assert field.is_checked() == checked

    def follow(self, link) -> None:
        self.focus(link)
        with self.page.expect_navigation():
            self.page.keyboard.press("Enter")
        self.journey.arrived()

    def press(self, button) -> None:
        self.focus(button)
        with self.page.expect_navigation():
            self.page.keyboard.press("Space")
        self.journey.arrived()

    def jump(self, link) -> None:
        """Follow an in-page link: focus must land on what it points at, so the next key
        acts there (an error summary's link puts the cursor in the field at fault)."""
        self.focus(link)
        target = link.get_attribute("href").removeprefix("#")
        self.page.keyboard.press("Enter")
        focused = self.page.evaluate("() => document.activeElement.id")
        assert focused == target, f"following #{target} left focus on #{focused}"

    def disclose(self, summary) -> None:
        """Open a <details> from its <summary> with Enter."""
        self.focus(summary)
        self.page.keyboard.press("Enter")
        assert summary.evaluate("el => el.parentElement.open")

    def download(self, link):
        self.focus(link)
        with self.page.expect_download() as info:
            self.page.keyboard.press("Enter")
        return info.value


def date_field_layout(browser) -> tuple[tuple[str, ...], bool]:
    """The order of the parts of Chromium's date-time field, and whether it has AM/PM: both
    follow the browser's locale, so find them by typing into one."""
    context = browser.new_context()
    page = context.new_page()
    try:
        for order, twelve in (
            (("month", "day", "year"), True),
            (("day", "month", "year"), False),
            (("day", "month", "year"), True),
            (("year", "month", "day"), False),
            (("month", "day", "year"), False),
        ):
            page.set_content('<input type="datetime-local" id="probe" autofocus>')
            page.focus("#probe")
            parts = {"day": "02", "month": "01", "year": "2030"}
            for part in order:
                page.keyboard.type(parts[part])
                if part == "year":
                    page.keyboard.press("ArrowRight")
            page.keyboard.type("0304P" if twelve else "1504")
            if page.eval_on_selector("#probe", "el => el.value") == "2030-01-02T15:04":
                return order, twelve
    finally:
        context.close()
    raise AssertionError("could not work out how to type into Chromium's date-time fields")
