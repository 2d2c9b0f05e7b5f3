"""The plan review's seating chart: its JSON endpoints check each move or swap against the hard
rules, save it or refuse it, and answer with the round and measures drawn again; the no-JS
forms show a refusal beside the person; the person pickers list where everyone sits."""

from __future__ import annotations

import re

import pytest

from app.extensions import db
from app.models import Assignment, Event, Plan, PlanKind, PlanStatus, SessionKind, User
from app.services.planning import jobs
from app.services.planning.translation import table_metrics
from tests.app.planning_helpers import add_attendees
from tests.conftest import PASSWORD


def dealt_plan(event: Event) -> Plan:
    """A draft table plan dealing everyone round the tables, a different deal each round."""
    tables = event.tables
    people = sorted(event.registrations, key=lambda r: r.id)
    plan = Plan(event=event, kind=PlanKind.TABLES, status=PlanStatus.DRAFT)
    for r, session in enumerate(event.sessions_of(SessionKind.TABLE_ROUND)):
        for i, registration in enumerate(people):
            table = tables[(i + r * (i // len(tables))) % len(tables)]
            plan.assignments.append(
                Assignment(registration=registration, session=session, table=table)
            )
    db.session.add(plan)
    db.session.flush()
    plan.metrics = table_metrics(plan)
    db.session.commit()
    return plan


def where(plan: Plan, session_id: int) -> dict[int, int]:
    db.session.expire_all()
    return {a.registration_id: a.table_id for a in plan.assignments if a.session_id == session_id}


def at(places: dict[int, int], table_id: int) -> list[int]:
    return sorted(r for r, t in places.items() if t == table_id)


@pytest.fixture
def plan(event) -> Plan:
    # 43 people at ten tables of six: three tables of five and seven of four in each round.
    add_attendees(event, 43)
    return dealt_plan(event)


@pytest.fixture
def first_round(event):
    return event.sessions_of(SessionKind.TABLE_ROUND)[0]


def chart_post(client, plan: Plan, edit: str, data: dict):
    url = f"/organise/events/{plan.event.slug}/plans/{plan.id}"
    return client.submit(f"{url}/chart/{edit}", data, form_url=url)


def chip(html: str, session_id: int, registration_id: int) -> str:
    """The chart's chip for one person in one round."""
    match = re.search(rf'<li id="seat-{session_id}-{registration_id}".*?</li>', html, re.S)
    assert match, f"no chip for {registration_id} in round {session_id}"
    return match.group(0)


def test_a_move_on_the_chart_is_saved_and_the_round_and_measures_come_back(
    signed_in, plan, first_round
):
    places = where(plan, first_round.id)
    sizes = {t.id: len(at(places, t.id)) for t in plan.event.tables}
    big = next(t for t, n in sizes.items() if n == 5)
    small = next(t for t, n in sizes.items() if n == 4)
    mover = at(places, big)[0]

    response = chart_post(
        signed_in,
        plan,
        "move",
        {"registration_id": mover, "target_id": small, "session_id": first_round.id},
    )
    assert response.status_code == 200
    answer = response.get_json()
    assert answer["ok"] is True and answer["message"].startswith("Moved. The seat is locked")
    assert answer["focus"] == f"seat-{first_round.id}-{mover}"
    assert where(plan, first_round.id)[mover] == small
    assert plan.metrics["edited"] is True
    # The round comes back drawn with the person at their new table, effects beside them.
    html = answer["round_html"]
    table = re.search(rf'data-group="{small}".*?</article>', html, re.S).group(0)
    assert f'id="seat-{first_round.id}-{mover}"' in table
    assert answer["effects"] and all(e in html for e in answer["effects"])
    # The measures come back from the same partial as the page's.
    assert "<caption>" in answer["measures_html"]


def test_a_swap_reports_its_effects(signed_in, plan, first_round, event):
    places = where(plan, first_round.id)
    people = {r.id: r for r in event.registrations}
    a = at(places, event.tables[0].id)[0]
    b = at(places, event.tables[1].id)[0]

    answer = chart_post(
        signed_in, plan, "swap", {"first_id": a, "second_id": b, "session_id": first_round.id}
    ).get_json()
    assert answer["ok"] is True and answer["message"].startswith("Swapped. Both seats are locked")
    after = where(plan, first_round.id)
    assert after[a] == places[b] and after[b] == places[a]

    # Effects computed here from the seating: colleagues at the new table, people met before.
    round_two = event.sessions_of(SessionKind.TABLE_ROUND)[1]
    later = where(plan, round_two.id)
    for who in (a, b):
        mates = [p for p in at(after, after[who]) if p != who]
        colleagues = [p for p in mates if people[p].organisation_id == people[who].organisation_id]
        again = [p for p in mates if later[p] == later[who]]
        said = [e for e in answer["effects"] if e.startswith(people[who].name + " ")]
        assert any("from the same organisation" in e for e in said) == bool(colleagues)
        expected = {
            f"{people[who].name} meets {people[p].name} again (together in Round two too)."
            for p in again
        }
        assert {e for e in said if " again " in e} == expected


def test_a_refused_move_says_why_beside_the_person_and_changes_nothing(
    signed_in, plan, first_round, event
):
    needs = event.registrations[0]
    needs.needs_accessible_table = True
    event.tables[0].accessible = True
    db.session.commit()
    places = where(plan, first_round.id)
    # Seat them at the accessible table first: a swap that keeps the rules.
    if places[needs.id] != event.tables[0].id:
        other = at(places, event.tables[0].id)[0]
        answer = chart_post(
            signed_in,
            plan,
            "swap",
            {"first_id": needs.id, "second_id": other, "session_id": first_round.id},
        ).get_json()
        assert answer["ok"], answer["message"]
        assert any("is accessible, as " + needs.name + " needs" in e for e in answer["effects"])
    before = where(plan, first_round.id)
    stranger = at(before, event.tables[5].id)[0]

    response = chart_post(
        signed_in,
        plan,
        "swap",
        {"first_id": needs.id, "second_id": stranger, "session_id": first_round.id},
    )
    assert response.status_code == 409
    answer = response.get_json()
    assert answer["ok"] is False
    assert answer["message"] == f"{needs.name} needs an accessible table."
    assert where(plan, first_round.id) == before
    shown = chip(answer["round_html"], first_round.id, needs.id)
    assert f"Not changed: {needs.name} needs an accessible table." in shown
    assert "Needs an accessible table" in shown
    assert "Accessible table" in answer["round_html"]  # the table's own mark

    # A move that would unbalance the tables is refused with that reason.
    full = next(t.id for t in event.tables if len(at(before, t.id)) == 5)
    mover = next(p for p in at(before, event.tables[9].id) if p != needs.id)
    answer = chart_post(
        signed_in,
        plan,
        "move",
        {"registration_id": mover, "target_id": full, "session_id": first_round.id},
    ).get_json()
    assert answer["ok"] is False and "must stay balanced" in answer["message"]
    assert where(plan, first_round.id) == before


def test_the_chart_endpoints_need_the_pages_csrf_token_and_an_organiser_of_the_event(
    client, plan, first_round, event
):
    places = where(plan, first_round.id)
    a = at(places, event.tables[0].id)[0]
    b = at(places, event.tables[1].id)[0]
    url = f"/organise/events/{event.slug}/plans/{plan.id}/chart/swap"
    data = {"first_id": a, "second_id": b, "session_id": first_round.id}

    assert client.submit(url, data, form_url="/login").status_code == 302  # to the sign-in page

    other = User(email="other@example.org")
    other.set_password(PASSWORD)
    db.session.add(other)
    db.session.commit()
    client.submit("/login", {"email": other.email, "password": PASSWORD})
    assert client.submit(url, data, form_url="/account/password").status_code == 404
    assert where(plan, first_round.id) == places

    db.session.get(Event, event.id).organisers.append(other)
    db.session.commit()
    response = client.post(url, data={**data, "csrf_token": "forged"})
    assert response.status_code == 400
    assert "The form had expired" in response.get_data(as_text=True)
    assert where(plan, first_round.id) == places
    # With the page's token, the same organiser's swap is made.
    assert client.submit(url, data, form_url="/account/password").status_code == 200
    assert where(plan, first_round.id)[a] == places[b]


def test_without_javascript_a_refusal_is_shown_beside_the_person_and_the_form_kept(
    signed_in, plan, first_round, event
):
    url = f"/organise/events/{event.slug}/plans/{plan.id}"
    page = signed_in.get(url).get_data(as_text=True)
    # The pickers say where everyone sits; each table says how full it is.
    first = sorted(event.registrations, key=lambda r: r.name.lower())[0]
    table = where(plan, first_round.id)[first.id]
    number = next(t.number for t in event.tables if t.id == table)
    assert re.search(
        rf'<option value="{first.id}">{first.name} \({first.organisation.name}, Table {number}\)',
        page,
    )
    before = where(plan, first_round.id)
    full = next(t.id for t in event.tables if len(at(before, t.id)) == 5)
    mover = at(before, next(t.id for t in event.tables if len(at(before, t.id)) == 4))[0]

    response = signed_in.submit(
        f"{url}/move",
        {"registration_id": mover, "target_id": full, "session_id": first_round.id},
        form_url=url,
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Not changed: " in chip(html, first_round.id, mover)
    summary = re.search(rf'id="refusal-summary-{first_round.id}".*?</div>', html, re.S).group(0)
    assert "must stay balanced" in summary
    assert f'href="#seat-{first_round.id}-{mover}"' in summary
    # The form shows what was chosen.
    assert f'<option value="{mover}" selected>' in html
    assert f'<option value="{full}" selected>' in html
    assert where(plan, first_round.id) == before


def test_a_breakout_move_says_which_choice_it_is(signed_in, event):
    add_attendees(event, 6)  # each ranks both breakouts, in turn
    job = jobs.create(event, PlanKind.BREAKOUTS, {"time_limit": 2, "seed": 1})
    jobs.run(job.id)
    db.session.refresh(job)
    plan = job.plan
    [slot] = event.sessions_of(SessionKind.BREAKOUT_SLOT)
    seat = plan.assignments[0]
    person = seat.registration
    target = next(b for b in slot.breakouts if b.id != seat.breakout_id)
    room = target.capacity - sum(a.breakout_id == target.id for a in plan.assignments) - 1
    rank = next(p.rank for p in person.preferences if p.breakout_id == target.id)

    answer = chart_post(
        signed_in,
        plan,
        "move",
        {"registration_id": person.id, "target_id": target.id, "session_id": slot.id},
    ).get_json()
    assert answer["ok"] is True
    choice = {1: "first", 2: "second"}[rank]
    assert answer["effects"] == [f"{person.name} goes to “{target.title}”, their {choice} choice."]
    db.session.expire_all()
    assert next(a for a in plan.assignments if a.registration_id == person.id).breakout == target
    assert f"Room for {room} more" in answer["round_html"]
    page = signed_in.get(f"/organise/events/{event.slug}/plans/{plan.id}").get_data(as_text=True)
    assert f"Room for {room} more" in page and "breakout to breakout" in page


def test_a_seat_is_locked_from_its_chip_without_javascript(signed_in, plan, first_round):
    url = f"/organise/events/{plan.event.slug}/plans/{plan.id}"
    page = signed_in.get(url).get_data(as_text=True)
    who = next(iter(where(plan, first_round.id)))
    button = re.search(r"<button[^>]*>Lock<", chip(page, first_round.id, who)).group(0)
    assert f'form="lock-{first_round.id}"' in button and f'value="{who}"' in button
    form = re.search(rf'<form [^>]*id="lock-{first_round.id}".*?</form>', page, re.S).group(0)
    fields = dict(re.findall(r'name="([^"]+)" value="([^"]+)"', form))
    assert fields["locked"] == "1" and fields["session_id"] == str(first_round.id)
    action = re.search(r'action="([^"]+)"', form).group(1)

    response = signed_in.post(action, data={**fields, "registration_id": who})
    assert response.status_code == 302
    db.session.expire_all()
    seat = next(
        a for a in plan.assignments if a.registration_id == who and a.session_id == first_round.id
    )
    assert seat.locked
    page = signed_in.get(url).get_data(as_text=True)
    assert f'form="unlock-{first_round.id}"' in chip(page, first_round.id, who)


def test_without_javascript_a_swap_made_says_what_it_did_beside_the_person(
    signed_in, plan, first_round, event
):
    url = f"/organise/events/{event.slug}/plans/{plan.id}"
    before = where(plan, first_round.id)
    a, b = at(before, event.tables[0].id)[0], at(before, event.tables[1].id)[0]
    response = signed_in.submit(
        f"{url}/swap", {"first_id": a, "second_id": b, "session_id": first_round.id}, form_url=url
    )
    assert response.status_code == 302
    assert response.location.endswith(f"#seat-{first_round.id}-{a}")
    html = signed_in.get(response.location).get_data(as_text=True)
    assert "Swapped." in html
    effects = re.search(r'<span class="effects">(.*?)</span></span>', chip(html, first_round.id, a))
    people = {r.id: r.name for r in event.registrations}
    assert effects and people[a] in effects.group(1) and people[b] in effects.group(1)
    assert where(plan, first_round.id)[a] == before[b]


def test_a_breach_already_in_the_round_blocks_only_edits_that_add_one(
    signed_in, plan, first_round, event
):
    # Someone marked as needing an accessible table after the plan was made, seated elsewhere:
    # the round already breaks a rule, and unrelated edits must still go through.
    event.tables[0].accessible = True
    places = where(plan, first_round.id)
    needs = next(r for r in event.registrations if places[r.id] != event.tables[0].id)
    needs.needs_accessible_table = True
    db.session.commit()
    others = [t for t in event.tables[1:] if t.id != places[needs.id]]
    a = next(p for p in at(places, others[0].id) if p != needs.id)
    b = next(p for p in at(places, others[1].id) if p != needs.id)

    answer = chart_post(
        signed_in, plan, "swap", {"first_id": a, "second_id": b, "session_id": first_round.id}
    ).get_json()
    assert answer["ok"] is True, answer["message"]
    url = f"/organise/events/{event.slug}/plans/{plan.id}"
    response = signed_in.submit(
        f"{url}/swap", {"first_id": a, "second_id": b, "session_id": first_round.id}, form_url=url
    )
    assert response.status_code == 302
    assert where(plan, first_round.id)[a] == places[a]  # swapped there and back

    # An edit that adds a breach of its own is still refused.
    full = next(t.id for t in event.tables if len(at(places, t.id)) == 5)
    mover = next(p for t in event.tables if len(at(places, t.id)) == 4 for p in at(places, t.id))
    response = chart_post(
        signed_in,
        plan,
        "move",
        {"registration_id": mover, "target_id": full, "session_id": first_round.id},
    )
    assert response.status_code == 409
    assert "balanced" in response.get_json()["message"]
