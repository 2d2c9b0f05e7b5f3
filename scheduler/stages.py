"""Lexicographic CP-SAT: stages solved one after another on one model, each stage's value then
kept as a constraint, within shares of one time limit, with progress and cancelling.

Used by the mentoring matcher and the peer-team builder; the breakout planner, which runs its
own stages over two models, shares the `StageWatch`. Progress is reported with the
breakout planner's `Progress` shape: at the start of every stage and about twice a second while
CP-SAT runs (from a helper thread, never two calls at once); `on_progress` returning True
cancels the run, which then keeps the best solution found so far.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from ortools.sat.python import cp_model

from scheduler.breakout_problem import Progress, ProgressCallback

__all__ = ["Progress", "ProgressCallback", "StageRun", "StageWatch", "StagedSolve"]


@dataclass
class StageRun:
    """What one stage did: CP-SAT's status name, its objective and bound, and seconds."""

    stage: str
    status: str
    objective: int | None = None
    bound: int | None = None
    seconds: float = 0.0

    def record(self) -> dict:
        return {
            "stage": self.stage,
            "status": self.status,
            "objective": self.objective,
            "bound": self.bound,
            "seconds": self.seconds,
        }


@dataclass
class StagedSolve:
    """Solves `model` stage by stage (`stage_names` in order, for progress counts). Each stage
    gets the time left divided by the stages still to run. `values` holds the last solution
    found ({variable index: value}) and is kept as the hint of the next stage. `presolve`
    False skips CP-SAT's presolve, for models it spends the whole budget presolving."""

    model: cp_model.CpModel
    stage_names: tuple[str, ...]
    time_limit: float
    seed: int = 0
    workers: int = 2
    on_progress: ProgressCallback | None = None
    presolve: bool = True
    started: float = field(default_factory=time.monotonic)
    runs: list[StageRun] = field(default_factory=list)
    cancelled: bool = False
    values: dict[int, int] | None = None

    def remaining(self) -> float:
        return self.started + self.time_limit - time.monotonic()

    @property
    def proven(self) -> bool:
        """Whether every stage so far was solved to proven optimality."""
        return all(run.status == "optimal" for run in self.runs)

    def accept(
        self, name: str, objective: cp_model.LinearExprT, value: int, values: dict[int, int]
    ) -> StageRun:
        """Record a stage already solved to its proven bound (e.g. a flow's solution that meets
        it: CP-SAT would spend seconds presolving to find the same) and keep its value;
        `values` {variable index: value} is that solution, complete."""
        self.model.add(objective >= value)
        self.values = values
        run = StageRun(name, "optimal", value, value, 0.0)
        self.runs.append(run)
        return run

    def solve(self, name: str, objective: cp_model.LinearExprT, maximize: bool = True) -> StageRun:
        """Optimise `objective` with the earlier stages' values kept; then keep this one's."""
        number = len(self.runs) + 1
        watch = StageWatch(
            self,
            lambda objective: Progress(
                stage=name,
                stage_number=number,
                stage_count=len(self.stage_names),
                elapsed=time.monotonic() - self.started,
                time_limit=self.time_limit,
                objective=objective,
            ),
        )
        watch.report()
        remaining = self.remaining()
        if remaining <= 0 or self.cancelled:
            run = StageRun(name, "not_run")
            self.runs.append(run)
            return run
        if maximize:
            self.model.maximize(objective)
        else:
            self.model.minimize(objective)
        solver = cp_model.CpSolver()
        solver.parameters.random_seed = self.seed
        solver.parameters.num_workers = self.workers
        # Symmetry detection cost 2 of the 4-6 s presolve on 400 peers and found nothing
        # the search needed.
        solver.parameters.symmetry_level = 0
        solver.parameters.cp_model_presolve = self.presolve
        solver.parameters.max_time_in_seconds = remaining / (len(self.stage_names) - number + 1)
        status = watch.run(solver, self.model)
        found = status in (cp_model.OPTIMAL, cp_model.FEASIBLE)
        run = StageRun(
            name,
            solver.status_name(status).lower(),
            round(solver.objective_value) if found else None,
            round(solver.best_objective_bound) if found else None,
            round(solver.wall_time, 2),
        )
        self.runs.append(run)
        if found:
            # The whole solution at once: one call per variable took seconds on 60,000.
            solution = list(solver.response_proto.solution)
            self.values = dict(enumerate(solution))
            if maximize:
                self.model.add(objective >= run.objective)
            else:
                self.model.add(objective <= run.objective)
            self.model.clear_hints()
            hint = self.model.proto.solution_hint
            hint.vars.extend(range(len(solution)))
            hint.values.extend(solution)
        return run

    def value(self, var: cp_model.IntVar) -> int:
        """`var` in the last solution found (raises if there is none)."""
        if self.values is None:
            raise LookupError("no solution found yet")
        return self.values[var.index]


class Cancellable(Protocol):
    """What a watch reports to: the progress callback and the flag a True answer sets."""

    on_progress: ProgressCallback | None
    cancelled: bool


class StageWatch(cp_model.CpSolverSolutionCallback):
    """One CP-SAT stage's progress, reported at its start and twice a second while CP-SAT runs
    (from a helper thread, never two calls at once); a True answer from `on_progress` cancels
    the run. `progress` makes the report from the best objective found so far."""

    def __init__(self, owner: Cancellable, progress: Callable[[int | None], Progress]) -> None:
        super().__init__()
        self.owner = owner
        self.progress = progress
        self.objective: int | None = None

    def on_solution_callback(self) -> None:
        self.objective = round(self.objective_value)

    def report(self, solver: cp_model.CpSolver | None = None) -> None:
        owner = self.owner
        if owner.on_progress is None or owner.cancelled:
            return
        if owner.on_progress(self.progress(self.objective)):
            owner.cancelled = True
            if solver is not None:
                solver.stop_search()

    def run(self, solver: cp_model.CpSolver, model: cp_model.CpModel) -> int:
        if self.owner.on_progress is None:
            return solver.solve(model, self)
        done = threading.Event()
        poller = threading.Thread(target=self._poll, args=(solver, done), daemon=True)
        poller.start()
        try:
            return solver.solve(model, self)
        finally:
            done.set()
            poller.join()

    def _poll(self, solver: cp_model.CpSolver, done: threading.Event) -> None:
        while not done.wait(0.5):
            self.report(solver)
