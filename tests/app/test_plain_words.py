"""Planning said in plain words: counts of people, tables and choices with the best possible
beside each, correct plurals, and the solver's settings kept under "Advanced"."""

from __future__ import annotations

import re

from app.formatting import plural
from app.models import PlanKind
from app.services.planning import summaries
from tests.app.planning_helpers import add_attendees
from tests.app.test_publishing import make_plan

TABLE_METRICS = {
    "same_org_pairs": {"value": 1, "bound": 0},
    "repeat_pairs": {"value": 2, "bound": 0},
    "sector_mix": {"value": 0.95, "distinct": 38, "bound": 40},
    "profession_mix": {"value": 1.0, "distinct": 40, "bound": 40},
    "balance": {"value": 1, "bound": 1},
    "objective": 4003,
    "bound": 3000,
    "moves": 3,
}


def visible_text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_plural_agrees_with_the_count():
    assert plural(1, "attendee") == "1 attendee"
    assert plural(0, "table") == "0 tables"
    assert plural(2, "person", "people") == "2 people"
    assert plural(1, "person", "people") == "1 person"


def test_table_measures_are_counts_beside_the_best_possible_never_scores():
    figures = summaries.table_figures(TABLE_METRICS)
    said = [(f.text, f.best) for f in figures]
    assert said == [
        ("1 pair of tablemates from the same organisation", "0 pairs"),
        ("2 repeat meetings: two people at the same table a second time", "0 repeat meetings"),
        ("38 different sectors at the tables, counted table by table over every round", "40"),
        ("40 different professions at the tables, counted table by table over every round", "40"),
        ("Largest difference in size between tables in a round: 1 person", "1 person"),
        ("3 seats changed from the earlier plan", ""),
    ]
    assert "4003" not in str(figures) and "3000" not in str(figures)


def test_breakout_choices_are_counted_first_second_and_unchosen():
    one_slot = {"people": 53, "rank_counts": [43, 8, 0], "unranked_assignments": 2, "unplaced": 0}
    assert summaries.choices_text(one_slot) == (
        "43 got their first choice, 8 their second, 2 a breakout they did not choose"
    )
    two_slots = {"people": 3, "rank_counts": [4, 1], "unranked_assignments": 1, "unplaced": 0}
    assert summaries.choices_text(two_slots) == (
        "Of 6 places: 4 first choices, 1 second choice, 1 not from the person's choices"
    )


def test_planning_page_keeps_solver_settings_under_advanced_and_says_plurals(signed_in, event):
    add_attendees(event, 1)
    page = signed_in.get(f"/organise/events/{event.slug}/planning").get_data(as_text=True)
    text = visible_text(page)
    assert "1 confirmed attendee ·" in text and "1 breakout slot" in text
    for details in re.findall(r"<details.*?</details>", page, re.S):
        page = page.replace(details, "")
    outside = visible_text(page)
    assert "Advanced" not in outside  # its summary went with it: the settings were inside
    for word in ("seed", "Seed", "Time limit", "Time to spend", "Variation", "objective"):
        assert word not in outside
    assert "Time to spend planning (seconds)" in text and "Variation" in text


def test_breakout_plan_shows_who_got_which_choice(signed_in, event):
    people = add_attendees(event, 6)
    plan = make_plan(event, PlanKind.BREAKOUTS)
    page = signed_in.get(f"/organise/events/{event.slug}/plans/{plan.id}").get_data(as_text=True)
    text = visible_text(page)
    counts = plan.metrics["plan"]["rank_counts"]
    assert f"{counts[0]} got their first choice" in text
    choices = {a.registration_id: a.breakout_id for a in plan.assignments}
    for person in people:
        ranked = [p.breakout_id for p in person.preferences]
        got = summaries.ordinal(ranked.index(choices[person.id]) + 1).capitalize()
        # Their own seat's note: nothing that says "choice" between their name and it.
        assert re.search(rf"{person.name} (?:(?!choice).)* {got} choice", text)
    for word in ("objective", "bound", "worst_off", "Solver"):
        assert word not in text
