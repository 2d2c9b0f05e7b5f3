"""Journey 3: the organiser plans tables and breakouts for an event people have registered for,
watches each solve's progress page until it is done, swaps two people in the table plan,
publishes both plans and opens the printable table plan; then an attendee sees their table in
each round and their breakout on their own page — with the keyboard alone, every page checked."""

from __future__ import annotations

import re
from itertools import cycle

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Event, PlanKind, Registration, SessionKind
from app.services.planning.plans import published_plan
from app.services.registration import lifecycle
from tests.browser.steps import pick, sign_in

ORGANISATIONS = [
    ("Riverside City Council", "Local government"),
    ("Riverside NHS Trust", "Health"),
    ("Northshire Police", "Policing"),
    ("Riverside Housing", "Housing"),
    ("Citizens Advice Riverside", "Voluntary"),
    ("Valley ICB", "Health"),
]
PROFESSIONS = ["Social worker", "Nurse", "Analyst", "Manager", "Police inspector", "Adviser"]
SOLVE_SECONDS = "1"


@pytest.fixture
def registered(live_app, learning_day) -> str:
    """Twenty people registered through the registration service (the form's rules and mail),
    Ada Lovelace among them; returns Ada's private token."""
    with live_app.app_context():
        event = db.session.scalar(select(Event).where(Event.slug == learning_day))
        (slot,) = event.sessions_of(SessionKind.BREAKOUT_SLOT)
        ids = [b.id for b in slot.breakouts]
        people = [("Ada Lovelace", 1)] + [(f"Person {n:02d}", n) for n in range(2, 21)]
        orgs, professions = cycle(ORGANISATIONS), cycle(PROFESSIONS)
        for name, n in people:
            organisation, sector = next(orgs)
            lifecycle.register(
                event,
                {
                    "name": name,
                    "email": f"person{n}@example.org",
                    "organisation": organisation,
                    "sector": sector,
                    "profession": next(professions),
                    "preferences": ids if n % 2 else ids[::-1],
                    "consent": True,
                },
            )
        ada = db.session.scalar(select(Registration).where(Registration.name == "Ada Lovelace"))
        token = ada.token
        db.session.remove()
    return token


def solve(user, journey, kind: str) -> None:
    """From the planning page: start a short solve and watch its progress page until it is done
    (the page polls the job's JSON and reloads itself when the solve has finished)."""
    page = journey.page
    section = page.get_by_role("region", name=kind)
    assert not section.get_by_label("Variation").is_visible()  # behind "Advanced"
    user.disclose(section.get_by_text("Advanced", exact=True))
    user.fill(section.get_by_label("Time to spend planning (seconds)"), SOLVE_SECONDS)
    user.press(section.get_by_role("button", name=f"Plan {kind.lower()}"))
    noun = "table" if kind == "Tables" else "breakout"
    assert page.get_by_role("heading", name=f"Making a {noun} plan").is_visible()
    review = page.get_by_role("link", name="Review the plan")
    review.wait_for(timeout=30_000)
    journey.arrived()  # the reloaded page, finished
    assert page.locator("#job-state").inner_text() == "Finished"
    assert page.get_by_role("heading", name="The plan it made").is_visible()
    assert "objective" not in page.locator("main").inner_text()
    user.follow(review)


def seated(page, session_title: str) -> dict[str, str]:
    """Who sits where in one round of the plan review: name → table."""
    section = page.locator("section").filter(
        has=page.get_by_role("heading", name=session_title, level=2)
    )
    places = {}
    for group in section.locator("article.group").all():
        table = group.get_attribute("data-label")
        for name in group.locator(".seat .name").all_inner_texts():
            places[name] = table
    return places


def test_organiser_plans_publishes_and_prints_and_attendee_sees_tables(
    user, journey, registered, live_app
):
    page = journey.page
    sign_in(user, journey)
    user.follow(page.get_by_role("link", name="Learning Day"))
    user.follow(page.get_by_role("link", name="Planning"))
    assert page.get_by_text("20 confirmed attendees").is_visible()

    solve(user, journey, "Tables")
    assert page.get_by_role("heading", name="Table plan").is_visible()

    # Swap Ada with someone at another table in the first round.
    before = seated(page, "Round one")
    assert len(before) == 20
    other = next(name for name, table in before.items() if table != before["Ada Lovelace"])
    round_one = page.locator("section").filter(
        has=page.get_by_role("heading", name="Round one", level=2)
    )
    pick(user, round_one.get_by_role("combobox", name="Swap", exact=True), "Ada Lovelace")
    pick(user, round_one.get_by_role("combobox", name="with", exact=True), other)
    journey.screenshot("swap chosen")
    user.press(round_one.get_by_role("button", name="Swap", exact=True))
    assert page.get_by_role("status").filter(has_text="Swapped.").is_visible()
    after = seated(page, "Round one")
    assert after["Ada Lovelace"] == before[other]
    assert after[other] == before["Ada Lovelace"]

    table_plan = journey.path
    user.follow(page.get_by_role("link", name="Planning"))
    solve(user, journey, "Breakouts")
    assert page.get_by_text("Second choice").count() + page.get_by_text("First choice").count()

    # Publishing asks first: how many are told, one real message; both plans go out together.
    journey.goto(table_plan)
    user.follow(page.get_by_role("link", name="Publish this plan"))
    assert page.get_by_text("20 people will be emailed").is_visible()
    user.follow(page.get_by_role("link", name=re.compile(r"Publish breakout plan #\d+ too")))
    assert page.get_by_role("heading", name=re.compile(r"Publish table plan #\d+ and")).is_visible()
    preview = page.locator(".message-preview").inner_text()
    assert "Round one (" in preview and "Afternoon breakouts (" in preview
    user.press(page.get_by_role("button", name="Publish and email 20 people"))
    assert page.get_by_role("status").filter(has_text="20 people were told").is_visible()

    # The printable table plan, from the event page.
    user.follow(page.get_by_role("link", name="Learning Day"))
    user.follow(page.get_by_role("link", name="Table plan", exact=True))
    assert journey.path == "/organise/events/learning-day/print/table-plan"
    ada_rows = page.get_by_role("row").filter(has_text="Ada Lovelace")
    assert ada_rows.count() == 3  # one seat in each round

    with live_app.app_context():
        event = db.session.scalar(select(Event).where(Event.slug == "learning-day"))
        ada = db.session.scalar(select(Registration).where(Registration.token == registered))
        places = {}
        for kind in PlanKind:
            plan = published_plan(event, kind)
            for a in plan.assignments:
                if a.registration_id == ada.id:
                    where = f"Table {a.table.number}" if a.table else a.breakout.title
                    places[a.session.title] = where
        db.session.remove()
    assert places["Round one"] == after["Ada Lovelace"]

    # Ada opens her own page (the link in her mail) and finds her places.
    journey.goto(f"/r/{registered}")
    programme = page.get_by_role("table", name="Your sessions")
    for session, where in places.items():
        row = programme.get_by_role("row").filter(has_text=session)
        assert where in row.inner_text(), (session, where, row.inner_text())
    assert programme.get_by_text("to be announced").count() == 0
    assert set(places) == {"Round one", "Round two", "Round three", "Afternoon breakouts"}
