"""Where a person sits is one answer: the manage page, the JSON API, the calendar feed and the
printed itinerary all show the same table for each round, the facilitator's rule included."""

from __future__ import annotations

from datetime import timedelta

from icalendar import Calendar

from app.extensions import db
from app.models import (
    Assignment,
    Plan,
    PlanKind,
    PlanStatus,
    RegistrationStatus,
    SessionKind,
)
from app.models.types import utcnow
from app.services.planning import places
from tests.app.planning_helpers import add_attendees


def publish_tables(event, people, *, status=PlanStatus.PUBLISHED, at=None) -> Plan:
    """A tables plan seating person i at table (i mod 10) + 1 in every round, all of it typed
    in directly (no solve), published at `at`."""
    plan = Plan(event=event, kind=PlanKind.TABLES, status=status, metrics={})
    plan.published_at = (at or utcnow()) if status == PlanStatus.PUBLISHED else None
    for session in event.sessions_of(SessionKind.TABLE_ROUND):
        for i, person in enumerate(people):
            plan.assignments.append(
                Assignment(registration=person, session=session, table=event.tables[i % 10])
            )
    db.session.add(plan)
    db.session.commit()
    return plan


def shown_tables(client, person) -> dict[str, list[int]]:
    """The table numbers each surface shows this person, round by round."""
    rounds = [s.title for s in person.event.sessions_of(SessionKind.TABLE_ROUND)]
    api = client.get(f"/api/v1/registrations/{person.token}").get_json()
    feed = Calendar.from_ical(client.get(f"/r/{person.token}/invite.ics").data)
    manage = client.get(f"/r/{person.token}").get_data(as_text=True)
    itinerary = client.get(f"/r/{person.token}/itinerary").get_data(as_text=True)
    return {
        "api": [s["table"] for s in api["sessions"] if s["title"] in rounds],
        "calendar": [
            int(str(v["SUMMARY"]).rsplit(" ", 1)[1])
            for v in feed.walk("VEVENT")
            if str(v["SUMMARY"]).split(" – ")[0] in rounds
        ],
        "manage page": [manage.count(f"Table {n}<") for n in range(1, 11)],
        "itinerary": [itinerary.count(f"Table {n}<") for n in range(1, 11)],
    }


def test_every_surface_shows_the_seat_of_the_published_plan(client, event):
    people = add_attendees(event, 12)
    publish_tables(event, people)
    guest = people[3]  # table 4 in both rounds
    seen = shown_tables(client, guest)
    assert seen["api"] == [4, 4] and seen["calendar"] == [4, 4]
    assert seen["manage page"][3] == 2 and sum(seen["manage page"]) == 2
    assert seen["itinerary"][3] == 2 and sum(seen["itinerary"]) == 2


def test_a_facilitator_hosts_their_table_every_round_whatever_the_plan_lists(client, event):
    people = add_attendees(event, 12)
    host = people[0]  # the plan lists them at table 1
    event.tables[6].facilitator = host
    db.session.commit()
    publish_tables(event, people)
    seen = shown_tables(client, host)
    assert seen["api"] == [7, 7] and seen["calendar"] == [7, 7]
    assert seen["manage page"][6] == 2 and sum(seen["manage page"]) == 2
    assert seen["itinerary"][6] == 2 and sum(seen["itinerary"]) == 2
    assert {p.table.number for p in places.places(host).values()} == {7}


def test_drafts_are_never_shown_and_the_newest_published_plan_wins(client, event):
    people = add_attendees(event, 12)
    guest = people[3]
    publish_tables(event, people, status=PlanStatus.DRAFT)
    assert places.places(guest) == {}
    publish_tables(event, people, at=utcnow() - timedelta(hours=1))
    newer = publish_tables(event, list(reversed(people)))  # guest: 9th of 12 -> table 9
    assert {p.table.number for p in places.places(guest).values()} == {9}
    assert {a.plan_id for a in newer.assignments} == {newer.id}
    assert shown_tables(client, guest)["api"] == [9, 9]


def test_only_confirmed_people_have_places(event):
    people = add_attendees(event, 12)
    publish_tables(event, people)
    waiting = people[5]
    waiting.status = RegistrationStatus.WAITLISTED
    db.session.commit()
    assert places.places(waiting) == {} and places.schedule(waiting) == []
