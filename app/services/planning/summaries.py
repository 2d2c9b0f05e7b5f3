"""A plan's measures and a solve's progress in plain words: counts of people, tables and choices,
each with the best possible beside it, never a solver score.

The one place this wording lives: the measures on the plan review (planning/_metrics.html, given
the plan's metrics alone), the job page and its JSON status, and the sentences saying what an
edit or a repair made worse all ask here, so a finished job shows exactly the figures of the
plan it made.

May import: models only.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from app.formatting import plural
from app.models import JobState, PlanKind, SolveJob
from app.models.types import utcnow

ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth")

# The breakout planner's steps (scheduler/breakouts.py), as a person would say what each does.
BREAKOUT_STEPS = {
    "worst_off": "sharing people's choices out fairly, so nobody is left with none",
    "keep_baseline": "keeping at least what first come, first served would give",
    "preferences": "giving as many people as possible their higher choices",
    "balance": "filling the emptiest breakouts",
    "mix": "mixing sectors and organisations in each breakout",
}

STATES = {
    JobState.QUEUED: "Waiting to start",
    JobState.RUNNING: "Running",
    JobState.SUCCEEDED: "Finished",
    JobState.FAILED: "Stopped",
    JobState.CANCELLED: "Cancelled",
}


# What the planner says of its plan, in words.
QUALITY = {
    "optimal": "the best possible",
    "feasible": "good; not proven the best possible in the time given",
}


def quality(solver_status: str) -> str:
    """The planner's verdict on a plan ("optimal", "feasible") in words."""
    return QUALITY.get(solver_status, solver_status)


@dataclass(frozen=True)
class Figure:
    """One measure said as a count (`text`), with the best possible (`best`) and, for breakouts,
    what first come, first served gives (`first_come`); empty where there is none."""

    text: str
    best: str = ""
    first_come: str = ""


def ordinal(number: int) -> str:
    """1 -> "first", 2 -> "second", ..., 10 -> "10th"."""
    return ORDINALS[number - 1] if 0 < number <= len(ORDINALS) else f"{number}th"


def plan_figures(kind: PlanKind | str, metrics: dict[str, Any]) -> list[Figure]:
    """A plan's measures (Plan.metrics) in words."""
    if PlanKind(kind) == PlanKind.TABLES:
        return table_figures(metrics)
    return breakout_figures(metrics)


def table_figures(metrics: dict[str, Any]) -> list[Figure]:
    """A table plan's measures (or a running solve's best so far) in words."""
    figures = []
    if same_org := metrics.get("same_org_pairs"):
        figures.append(
            Figure(
                f"{plural(same_org['value'], 'pair')} of tablemates from the same organisation",
                plural(same_org["bound"], "pair"),
            )
        )
    if repeats := metrics.get("repeat_pairs"):
        figures.append(
            Figure(
                f"{plural(repeats['value'], 'repeat meeting')}: "
                "two people at the same table a second time",
                plural(repeats["bound"], "repeat meeting"),
            )
        )
    if met_before := metrics.get("met_before_pairs"):
        figures.append(
            Figure(
                f"{plural(met_before['value'], 'pair')} of people who sat together at an earlier "
                "event of the series, seated together again",
                plural(met_before["bound"], "pair"),
            )
        )
    for name, what in (("sector_mix", "sector"), ("profession_mix", "profession")):
        if mix := metrics.get(name):
            figures.append(
                Figure(
                    f"{plural(mix['distinct'], 'different ' + what)} at the tables, "
                    "counted table by table over every round",
                    str(mix["bound"]),
                )
            )
    if balance := metrics.get("balance"):
        figures.append(
            Figure(
                "Largest difference in size between tables in a round: "
                + plural(balance["value"], "person", "people"),
                plural(balance["bound"], "person", "people"),
            )
        )
    moves = metrics.get("moves")
    if isinstance(moves, dict):  # a running repair reports moves beside their bound
        moves = moves.get("value")
    if moves is not None:
        figures.append(Figure(f"{plural(moves, 'seat')} changed from the earlier plan"))
    return figures


def breakout_figures(metrics: dict[str, Any]) -> list[Figure]:
    """A breakout plan's measures in words, beside first come, first served's."""
    mine, theirs = metrics.get("plan"), metrics.get("first_come_first_served")
    if not mine:
        return []
    slots = _slots(mine)

    def compare(say) -> str:
        return say(theirs) if theirs else ""

    figures = [
        Figure(choices_text(mine), first_come=compare(choices_text)),
        Figure(
            f"{mine['ranked_assignments']} of {plural(_places(mine), 'place')} "
            "given from people's own choices",
            str(mine["ranked_upper_bound"]),
            compare(lambda m: str(m["ranked_assignments"])),
        ),
    ]
    if slots > 1:
        figures.append(
            Figure(
                f"{plural(mine['fully_served'], 'person', 'people')} "
                "got a breakout they chose in every slot",
                str(mine["fully_servable"]),
                compare(lambda m: str(m["fully_served"])),
            )
        )
        figures.append(
            Figure(
                "Everyone who chose got at least "
                f"{plural(mine['worst_off_ranked_slots'], 'breakout')} they chose "
                "(or as many as their choices allow)",
                first_come=compare(lambda m: plural(m["worst_off_ranked_slots"], "breakout")),
            )
        )
    if unranked := mine["people"] - mine["people_with_ranking"]:
        figures.append(Figure(f"{plural(unranked, 'person', 'people')} chose no breakouts"))
    if mine["unplaced"]:
        figures.append(Figure(f"{plural(mine['unplaced'], 'place')} without a breakout"))
    figures.append(
        Figure(
            f"{plural(mine['same_org_pairs'], 'pair')} of people from the same organisation "
            "in one breakout",
            plural(mine["same_org_pairs_lower_bound"], "pair"),
            compare(lambda m: plural(m["same_org_pairs"], "pair")),
        )
    )
    figures.append(
        Figure(
            f"Sectors mixed to {round(100 * mine['sector_mix'])}% of the most possible",
            "100%",
            compare(lambda m: f"{round(100 * m['sector_mix'])}%"),
        )
    )
    if cancelled := metrics.get("cancelled"):
        count = len(cancelled)
        figures.append(
            Figure(
                f"{plural(count, 'breakout')} cancelled for too few people; "
                f"{'its' if count == 1 else 'their'} people were placed elsewhere"
            )
        )
    return figures


def choices_text(figures: dict[str, Any]) -> str:
    """How many got their first choice, their second, ...: "43 got their first choice, 8 their
    second" (with several slots, counted in places: one per person and slot)."""
    counts = [(ordinal(rank), n) for rank, n in enumerate(figures["rank_counts"], 1) if n]
    unranked = figures["unranked_assignments"]
    if _slots(figures) > 1:
        parts = [f"{n} {word} {'choice' if n == 1 else 'choices'}" for word, n in counts]
        if unranked:
            parts.append(f"{unranked} not from the person's choices")
        return f"Of {plural(_places(figures), 'place')}: " + (", ".join(parts) or "none yet")
    parts = [
        f"{n} got their {word} choice" if i == 0 else f"{n} their {word}"
        for i, (word, n) in enumerate(counts)
    ]
    if unranked:
        parts.append(f"{unranked} a breakout they did not choose")
    return ", ".join(parts) or "Nobody has a breakout yet"


def _slots(figures: dict[str, Any]) -> int:
    people = figures["people"]
    return (_places(figures) + figures["unplaced"]) // people if people else 0


def _places(figures: dict[str, Any]) -> int:
    """Places given: one per person and slot where they have a breakout."""
    return sum(figures["rank_counts"]) + figures["unranked_assignments"]


@dataclass(frozen=True)
class JobSummary:
    """What the job page and its JSON status say: the state, seconds so far (or, once finished,
    the plan's own), what the figures are, and the figures."""

    state_text: str
    elapsed: float
    heading: str
    figures: list[Figure] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "figures": [asdict(f) for f in self.figures]}


def job_summary(job: SolveJob) -> JobSummary:
    """A solve job in words: once it has made its plan, exactly that plan's figures."""
    state = STATES[job.state]
    plan = job.plan
    if job.state == JobState.SUCCEEDED and plan is not None:
        heading = "The plan it made"
        if plan.metrics.get("edited"):
            heading += " (edited by hand since)"
        elapsed = plan.metrics.get("elapsed", seconds_run(job))
        return JobSummary(state, elapsed, heading, plan_figures(plan.kind, plan.metrics))
    progress = job.progress or {}
    if job.state != JobState.RUNNING:
        return JobSummary(state, seconds_run(job), "")
    if metrics := progress.get("metrics"):
        return JobSummary(state, seconds_run(job), "Best plan so far", table_figures(metrics))
    if step := progress.get("stage"):
        doing = BREAKOUT_STEPS.get(step, step.replace("_", " "))
        heading = f"Step {progress['stage_number']} of {progress['stage_count']}: {doing}"
        return JobSummary(state, seconds_run(job), heading)
    return JobSummary(state, seconds_run(job), "Getting started")


def staged_job_summary(job: SolveJob, stage_words: dict[str, str]) -> JobSummary:
    """A matching job (mentoring or peer teams) in words: while it runs, which of its stages
    it is on, each named by `stage_words`."""
    state = STATES[job.state]
    if job.state != JobState.RUNNING:
        return JobSummary(state, seconds_run(job), "")
    progress = job.progress or {}
    if step := progress.get("stage"):
        doing = stage_words.get(step, step.replace("_", " "))
        heading = f"Step {progress['stage_number']} of {progress['stage_count']}: {doing}"
        return JobSummary(state, seconds_run(job), heading)
    return JobSummary(state, seconds_run(job), "Getting started")


def seconds_run(job: SolveJob) -> float:
    """Seconds the job has run: until now while it runs, until it ended once it has."""
    if job.started_at is None:
        return 0.0
    end = job.finished_at or utcnow()
    return round(max(0.0, (end - job.started_at).total_seconds()), 1)


# Each measure in words: (key, field, sentence for one, for any other number, whether more
# is worse). The sentences take {new} and {old}.
MEASURES = (
    (
        "same_org_pairs",
        "value",
        "1 pair of colleagues shares a table (was {old})",
        "{new} pairs of colleagues share a table (was {old})",
        True,
    ),
    (
        "repeat_pairs",
        "value",
        "1 pair of people meets again (was {old})",
        "{new} pairs of people meet again (was {old})",
        True,
    ),
    (
        "sector_mix",
        "distinct",
        "the tables mix fewer sectors ({new} counted table by table, was {old})",
        "the tables mix fewer sectors ({new} counted table by table, was {old})",
        False,
    ),
    (
        "profession_mix",
        "distinct",
        "the tables mix fewer professions ({new} counted table by table, was {old})",
        "the tables mix fewer professions ({new} counted table by table, was {old})",
        False,
    ),
    (
        "plan",
        "ranked_assignments",
        "1 place is one its person chose (was {old})",
        "{new} places are ones people chose (was {old})",
        False,
    ),
    (
        "plan",
        "fully_served",
        "1 person has a session they chose in every slot (was {old})",
        "{new} people have a session they chose in every slot (was {old})",
        False,
    ),
    (
        "plan",
        "same_org_pairs",
        "1 pair of colleagues shares a session (was {old})",
        "{new} pairs of colleagues share a session (was {old})",
        True,
    ),
)


def worsened(before: dict, after: dict) -> list[str]:
    """The measures that got worse from `before` to `after` (a plan's metrics, of either
    kind), each as "6 pairs of people meet again (was 0)"; empty when none did."""
    sentences = []
    for key, field_name, one, many, more_is_worse in MEASURES:
        old = (before.get(key) or {}).get(field_name)
        new = (after.get(key) or {}).get(field_name)
        if old is None or new is None or old == new or (new > old) != more_is_worse:
            continue
        sentences.append((one if new == 1 else many).format(new=new, old=old))
    return sentences
