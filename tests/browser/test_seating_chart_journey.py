"""The seating chart on the plan review, at 1280 px: the organiser drags a person onto an empty
seat at another table, moves someone with the keyboard alone (pick up, arrow, put down), sees a
refused swap explained beside the person it concerns, and swaps two people through the forms'
type-ahead pickers. Every page, and the chart after each change, is checked with axe."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import (
    Assignment,
    Event,
    Organisation,
    Plan,
    PlanKind,
    PlanStatus,
    Registration,
    RegistrationStatus,
    SessionKind,
)
from app.services.planning.translation import table_metrics
from app.services.tokens import new_token
from tests.browser import axe
from tests.browser.harness import KeyboardUser, MouseUser
from tests.browser.steps import pick, sign_in

ORGANISATIONS = [
    ("Riverside City Council", "Local government"),
    ("Riverside NHS Trust", "Health"),
    ("Northshire Police", "Policing"),
    ("Riverside Housing", "Housing"),
    ("Citizens Advice Riverside", "Voluntary"),
]


@pytest.fixture
def plan_url(live_app, learning_day) -> str:
    """22 people at five tables of six (two tables of five, three of four in each round), a
    draft plan dealing them round the tables; Ada needs an accessible table and sits at the
    accessible Table 1 every round."""
    with live_app.app_context():
        event = db.session.scalar(select(Event).where(Event.slug == learning_day))
        organisations = {o.name: o for o in db.session.scalars(select(Organisation)) if o.name}
        people = []
        for n in range(22):
            name, sector = ORGANISATIONS[n % len(ORGANISATIONS)]
            organisation = organisations.get(name) or Organisation(name=name, sector=sector)
            organisations[name] = organisation
            people.append(
                Registration(
                    event=event,
                    token=new_token(),
                    name="Ada Lovelace" if n == 0 else f"Person {n:02d}",
                    email=f"person{n}@example.org",
                    organisation=organisation,
                    profession="Manager",
                    consent=True,
                    status=RegistrationStatus.CONFIRMED,
                    needs_accessible_table=n == 0,
                )
            )
        db.session.add_all(people)
        tables = event.tables
        plan = Plan(event=event, kind=PlanKind.TABLES, status=PlanStatus.DRAFT)
        for r, session in enumerate(event.sessions_of(SessionKind.TABLE_ROUND)):
            for i, person in enumerate(people):
                table = tables[(i + r * (i // len(tables))) % len(tables)]
                plan.assignments.append(
                    Assignment(registration=person, session=session, table=table)
                )
        db.session.add(plan)
        db.session.flush()
        plan.metrics = table_metrics(plan)
        db.session.commit()
        url = f"/organise/events/{learning_day}/plans/{plan.id}"
        db.session.remove()
    return url


def chart_of(page, title: str):
    return page.locator("section.round").filter(
        has=page.get_by_role("heading", name=title, level=2)
    )


def tables_in(round_) -> dict[str, list[str]]:
    """Table label → the names seated there, as the chart shows them."""
    return {
        group.get_attribute("data-label"): [
            name.strip() for name in group.locator(".seat.chip .name").all_inner_texts()
        ]
        for group in round_.locator("article.group").all()
    }


def table_of(round_, name: str) -> str:
    return next(label for label, names in tables_in(round_).items() if name in names)


def chip_of(round_, name: str):
    return round_.locator(".seat.chip").filter(has=round_.page.locator(".name", has_text=name))


def drag(page, source, target) -> None:
    """Press on `source`, move in small steps onto `target`, let go (as a hand on a mouse)."""
    # Both in sight: the target's table at the top of the window (the source is in its row).
    target.evaluate("el => el.closest('article').scrollIntoView({block: 'start'})")
    start, end = source.bounding_box(), target.bounding_box()
    height = page.viewport_size["height"]
    assert 0 <= start["y"] < height and 0 <= end["y"] < height, (start, end)
    page.mouse.move(start["x"] + 10, start["y"] + start["height"] / 2)
    page.mouse.down()
    page.mouse.move(start["x"] + 20, start["y"] + start["height"] / 2, steps=4)
    page.mouse.move(end["x"] + end["width"] / 2, end["y"] + end["height"] / 2, steps=15)
    page.mouse.up()


def announced(page, text: str) -> None:
    """Wait until the chart's live region (read out by screen readers) says `text`."""
    page.wait_for_function(
        "text => document.getElementById('chart-announce').textContent.includes(text)", arg=text
    )


def check_chart(journey) -> None:
    """axe on the chart as it stands after a change made in place (no new page to check)."""
    found = axe.all_violations(journey.page)
    assert not axe.serious(found), axe.describe(journey.path, axe.serious(found))
    journey.assert_healthy()


def test_organiser_edits_the_seating_chart_by_mouse_keyboard_and_picker(
    journey, plan_url, live_app
):
    page = journey.page
    mouse, keyboard = MouseUser(journey), KeyboardUser(journey, ("day", "month", "year"), False)
    sign_in(mouse, journey)
    journey.goto(plan_url)
    measures = page.locator("#plan-measures").inner_text()
    round_one = chart_of(page, "Round one")
    assert round_one.locator("article.group.accessible").count() == 1
    ada = chip_of(round_one, "Ada Lovelace")
    assert "Needs an accessible table" in ada.inner_text()
    assert table_of(round_one, "Ada Lovelace") == "Table 1"

    # Drag someone from a table of five onto an empty seat at a table of four.
    places = tables_in(round_one)
    full = next(t for t, names in places.items() if len(names) == 5 and t != "Table 1")
    roomy = next(t for t, names in places.items() if len(names) == 4)
    mover = places[full][-1]
    target = round_one.locator(f'article[data-label="{roomy}"] .seat.empty').first
    drag(page, chip_of(round_one, mover), target)
    announced(page, "Moved.")
    round_one = chart_of(page, "Round one")
    assert table_of(round_one, mover) == roomy
    effects = chip_of(round_one, mover).locator(".effects")
    assert effects.is_visible() and mover in effects.inner_text()
    assert page.locator("#plan-measures").inner_text() != measures  # counted again
    journey.screenshot("dragged to another table")
    check_chart(journey)

    # With the keyboard: pick someone up, go to the next table, put them down on its empty seat.
    places = tables_in(round_one)
    labels = list(places)
    i = next(
        i
        for i, label in enumerate(labels)
        if len(places[label]) == 5
        and len(places[labels[(i + 1) % len(labels)]]) == 4
        and label != "Table 1"
    )
    walker, destination = places[labels[i]][0], labels[(i + 1) % len(labels)]
    keyboard.focus(chip_of(round_one, walker).get_by_role("button", name=walker, exact=True))
    page.keyboard.press("Space")
    announced(page, f"Picked up {walker}")
    page.keyboard.press("ArrowRight")
    announced(page, f"Move to an empty seat at {destination}")
    page.keyboard.press("Enter")
    announced(page, "Moved.")
    round_one = chart_of(page, "Round one")
    assert table_of(round_one, walker) == destination
    focused = page.evaluate("() => document.activeElement.closest('.seat').id")
    assert focused == chip_of(round_one, walker).get_attribute("id")  # focus stays with them
    check_chart(journey)

    # A swap that would take Ada from the accessible table: refused, and said beside her.
    stranger = tables_in(round_one)["Table 3"][0]
    drag(page, chip_of(round_one, "Ada Lovelace"), chip_of(round_one, stranger))
    announced(page, "Ada Lovelace needs an accessible table.")
    round_one = chart_of(page, "Round one")
    refusal = chip_of(round_one, "Ada Lovelace").locator(".refusal")
    assert refusal.is_visible()
    assert refusal.inner_text() == "Not changed: Ada Lovelace needs an accessible table."
    in_view = (
        "el => el.getBoundingClientRect().top >= 0 && el.getBoundingClientRect().top < innerHeight"
    )
    assert refusal.evaluate(in_view)  # where the organiser is looking, not at the page's top
    assert table_of(round_one, "Ada Lovelace") == "Table 1"
    assert table_of(round_one, stranger) == "Table 3"
    journey.screenshot("refused swap shown in place")
    check_chart(journey)

    # The swap form's pickers: type part of a name, choose from the matches, swap.
    round_two = chart_of(page, "Round two")
    first, second = tables_in(round_two)["Table 2"][0], tables_in(round_two)["Table 4"][0]
    keyboard.fill(round_two.get_by_role("combobox", name="Swap"), first.split()[-1])
    [match] = round_two.get_by_role("listbox", name="Swap").get_by_role("option").all()
    assert first in match.inner_text() and "Table 2" in match.inner_text()
    page.keyboard.press("Enter")
    mouse.fill(round_two.get_by_role("combobox", name="with"), second.split()[-1])
    round_two.get_by_role("listbox", name="with").get_by_role("option").first.click()
    assert (
        round_two.locator("select[name=second_id]")
        .evaluate("el => el.selectedOptions[0].label")
        .startswith(second)
    )
    journey.screenshot("swap chosen with the pickers")
    mouse.press(round_two.get_by_role("button", name="Swap", exact=True))
    round_two = chart_of(page, "Round two")
    assert table_of(round_two, first) == "Table 4"
    assert table_of(round_two, second) == "Table 2"

    # The seating rules' pickers and a table's facilitator picker type ahead too.
    journey.goto("/organise/events/learning-day/planning")
    pick(keyboard, page.get_by_role("combobox", name="First person"), "Ada Lovelace")
    pick(mouse, page.get_by_role("combobox", name="Second person"), "Person 03")
    mouse.press(page.get_by_role("button", name="Add rule"))
    assert page.get_by_role("status").filter(has_text="Rule added.").is_visible()
    rule = page.locator("#rules li").filter(has_text="Ada Lovelace").filter(has_text="Person 03")
    assert rule.count() == 1
    with live_app.app_context():
        event = db.session.scalar(select(Event).where(Event.slug == "learning-day"))
        table_two = next(t.id for t in event.tables if t.number == 2)
        db.session.remove()
    journey.goto(f"/organise/events/learning-day/tables/{table_two}/edit")
    pick(keyboard, page.get_by_role("combobox", name="Facilitator"), "Person 06")
    keyboard.press(page.get_by_role("button", name="Save table"))
    assert page.get_by_role("status").filter(has_text="Table 2 saved.").is_visible()
    assert page.get_by_role("row").filter(has_text="Person 06").count() == 1
