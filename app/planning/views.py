"""Organiser planning pages: start solves, watch them, review and edit plans, publish."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)

from app.extensions import db
from app.formatting import plural
from app.models import (
    JobState,
    Plan,
    PlanKind,
    PlanStatus,
    Registration,
    SeatingRule,
    SessionKind,
    SolveJob,
)
from app.organise.access import event_or_404
from app.planning.forms import (
    LockForm,
    MoveForm,
    PublishForm,
    SeatingRuleForm,
    SolveForm,
    SwapForm,
    TableSolveForm,
)
from app.services.planning import (
    chart,
    edits,
    jobs,
    plans,
    publishing,
    rules,
    summaries,
    translation,
)
from app.services.planning.review import drift, review, seat_changes
from app.services.planning.summaries import worsened
from app.shared import ActionForm, database_id, organisers_only

bp = Blueprint("planning", __name__)


@bp.before_request
def require_organiser() -> Response | None:
    """Every planning page needs a signed-in organiser."""
    return organisers_only()


def _plan(event, plan_id: int) -> Plan:
    plan = db.session.get(Plan, plan_id)
    if plan is None or plan.event_id != event.id:
        abort(404)
    return plan


def _job(event, job_id: int) -> SolveJob:
    jobs.expire_lapsed(event)  # a job whose process died is shown as ended, never "running"
    job = db.session.get(SolveJob, job_id)
    if job is None or job.event_id != event.id:
        abort(404)
    return job


@bp.get("/events/<slug>/planning")
def overview(slug: str):
    event = event_or_404(slug)
    jobs.expire_lapsed(event)
    people = translation.attendees(event)
    published = {plan.kind: plan for plan in plans.published_plans(event)}
    return render_template(
        "planning/overview.html",
        event=event,
        tables_form=TableSolveForm(),
        breakouts_form=SolveForm(),
        rule_form=SeatingRuleForm(people=people),
        rules=translation.seating_rules(event),
        action=ActionForm(),
        plans={kind: plans.plans(event, kind) for kind in PlanKind},
        jobs={kind: jobs.latest_job(event, kind) for kind in PlanKind},
        published={kind: published.get(kind) for kind in PlanKind},
        attendee_count=len(people),
        PlanKind=PlanKind,
        SessionKind=SessionKind,
    )


@bp.post("/events/<slug>/planning/<any(tables, breakouts):kind>")
def start(slug: str, kind: str):
    """A plan made afresh. When plans of this kind exist it starts again from scratch, which
    throws away their seats and locks, so it asks first (the settings carried over)."""
    event = event_or_404(slug)
    form = TableSolveForm() if kind == "tables" else SolveForm()
    if not form.validate_on_submit():
        for field, errors in form.errors.items():
            flash(f"{getattr(form, field).label.text}: {' '.join(errors)}", "error")
        return redirect(url_for(".overview", slug=slug))
    existing = plans.plans(event, PlanKind(kind))
    if existing and request.form.get("from_scratch") != "yes":
        return render_template(
            "planning/confirm_scratch.html",
            event=event,
            kind=PlanKind(kind),
            form=form,
            latest=existing[0],
            locked=sum(a.locked for a in existing[0].assignments),
        )
    params = {"time_limit": form.time_limit.data, "seed": form.seed.data}
    if kind == "tables":
        params["weights"] = {
            name: getattr(form, name).data
            for name in ("same_org", "repeats", "sector", "profession")
        }
    return _start(event, PlanKind(kind), params)


@bp.post("/events/<slug>/plans/<int:plan_id>/<any(resolve, repair):mode>")
def resolve(slug: str, plan_id: int, mode: str):
    """A new plan from this one: locked seats kept, everyone else moved only where a rule or a
    registration change forces it (both modes are the same repair; "repair" is the older
    address of the button)."""
    event = event_or_404(slug)
    plan = _plan(event, plan_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    base = jobs.latest_job_for_plan(plan)
    params = dict(base.params) if base else {"time_limit": 30, "seed": 0}
    params.update(base_plan_id=plan.id, mode="repair")
    return _start(event, plan.kind, params)


def _start(event, kind: PlanKind, params: dict):
    try:
        job = jobs.start(event, kind, params)
    except jobs.JobError as error:
        flash(str(error), "error")
        return redirect(url_for(".overview", slug=event.slug))
    return redirect(url_for(".job", slug=event.slug, job_id=job.id))


@bp.get("/events/<slug>/jobs/<int:job_id>")
def job(slug: str, job_id: int):
    event = event_or_404(slug)
    job = _job(event, job_id)
    return render_template(
        "planning/job.html",
        event=event,
        job=job,
        summary=summaries.job_summary(job),
        action=ActionForm(),
        JobState=JobState,
    )


@bp.get("/events/<slug>/jobs/<int:job_id>.json")
def job_status(slug: str, job_id: int):
    event = event_or_404(slug)
    job = _job(event, job_id)
    return jsonify(
        state=job.state.value,
        **summaries.job_summary(job).as_json(),
        time_limit=job.params.get("time_limit"),
        error=job.error,
        cancel_requested=job.cancel_requested,
        plan_url=url_for(".plan", slug=slug, plan_id=job.plan_id) if job.plan_id else None,
    )


@bp.post("/events/<slug>/jobs/<int:job_id>/cancel")
def cancel(slug: str, job_id: int):
    event = event_or_404(slug)
    job = _job(event, job_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    jobs.cancel(job)
    if job.state == JobState.RUNNING:
        flash(f"Cancelling: {jobs.kept(event)}.", "info")
    else:  # cancelled at once, or it had ended already
        flash(job.error or f"This plan had already {job.state.value}.", "info")
    return redirect(url_for(".job", slug=slug, job_id=job.id))


@bp.get("/events/<slug>/plans/<int:plan_id>")
def plan(slug: str, plan_id: int):
    event = event_or_404(slug)
    plan = _plan(event, plan_id)
    chart.load(plan)
    # After a move or swap sent by the plain forms: what it did, beside the person moved.
    moved = request.args.getlist("moved", type=int)
    session_id = request.args.get("session", type=int)
    effects = None
    if moved and session_id:
        lines = chart.seat_effects(plan, session_id, moved)
        effects = {"session_id": session_id, "registration_id": moved[0], "lines": lines}
    return _plan_page(event, plan, effects=effects)


def _plan_page(
    event,
    plan: Plan,
    refusal: dict | None = None,
    chosen: dict | None = None,
    effects: dict | None = None,
):
    """The plan review; after a refused edit, with the reason beside the person it concerns and
    the form as it was sent; after one made, with its effects beside the person."""
    return render_template(
        "planning/plan.html",
        event=event,
        plan=plan,
        review=review(plan),
        drift=drift(plan),
        changes=seat_changes(plan),
        worse_than_solved=worsened(plan.metrics.get("as_solved", {}), plan.metrics),
        action=ActionForm(),
        refusal=refusal,
        chosen=chosen or {},
        effects=effects,
        PlanStatus=PlanStatus,
        PlanKind=PlanKind,
    ), (422 if refusal else 200)


def _mover(form) -> int:
    """The person an edit is about: the one moved, or the first of a swap."""
    return form.registration_id.data if "registration_id" in form else form.first_id.data


def _refusal(form, message: str) -> dict:
    who = db.session.get(Registration, _mover(form))
    return {
        "session_id": form.session_id.data,
        "registration_id": _mover(form),
        "name": who.name if who else "them",
        "message": message,
    }


EDITED = {
    "move": "Moved. The seat is locked, so re-solving keeps it.",
    "swap": "Swapped. Both seats are locked, so re-solving keeps them.",
}


@bp.post("/events/<slug>/plans/<int:plan_id>/<any(move, swap, lock):edit>")
def edit(slug: str, plan_id: int, edit: str):
    event = event_or_404(slug)
    plan = _plan(event, plan_id)
    form = {"move": MoveForm, "swap": SwapForm, "lock": LockForm}[edit]()
    if not form.validate_on_submit():
        abort(400)
    worse: list[str] = []
    try:
        if edit == "move":
            worse = edits.move(
                plan, form.registration_id.data, form.session_id.data, form.target_id.data
            )
        elif edit == "swap":
            worse = edits.swap(plan, form.first_id.data, form.second_id.data, form.session_id.data)
        else:
            edits.set_locked(
                plan, form.registration_id.data, form.session_id.data, bool(form.locked.data)
            )
    except edits.EditError as error:
        # Shown in place, beside the person and the form that was sent: never a redirect that
        # leaves the reason at the top of a long page.
        chosen = {name: f.data for name, f in form._fields.items() if name != "csrf_token"}
        return _plan_page(event, plan, _refusal(form, str(error)), chosen)
    done = EDITED.get(edit) or ("Locked." if form.locked.data else "Unlocked.")
    if worse:
        flash(f"{done} This made the plan worse: {'; '.join(worse)}.", "warning")
    else:
        flash(done, "success")
    session_id, who = form.session_id.data, _mover(form)
    shown = {}  # the page then says what a move or swap did, beside the person
    if edit != "lock":
        moved = [who, form.second_id.data] if edit == "swap" else [who]
        shown = {"moved": moved, "session": session_id}
    return redirect(
        url_for(".plan", slug=slug, plan_id=plan_id, **shown) + f"#seat-{session_id}-{who}"
    )


@bp.post("/events/<slug>/plans/<int:plan_id>/chart/<any(move, swap):edit>")
def chart_edit(slug: str, plan_id: int, edit: str):
    """A change made on the seating chart: checked against the hard rules, saved if it keeps
    them, and answered with the round and the measures drawn again (refusal or effects shown
    beside the person) for the page to put in place."""
    event = event_or_404(slug)
    plan = _plan(event, plan_id)
    form = MoveForm() if edit == "move" else SwapForm()
    if not form.validate_on_submit():  # (a missing CSRF token is refused before this)
        return jsonify(ok=False, message="Choose a person and where to put them."), 400
    session_id = form.session_id.data
    chart.load(plan)
    if edit == "move":
        args = (form.registration_id.data, session_id, form.target_id.data)
        outcome = chart.check_move(plan, *args)
        save = edits.move
    else:
        args = (form.first_id.data, form.second_id.data, session_id)
        outcome = chart.check_swap(plan, *args)
        save = edits.swap
    refusal, worse = outcome.refusal, []
    if not refusal:
        try:
            with chart.kept_in_memory():
                worse = save(plan, *args, checked=True)
        except edits.EditError as error:
            refusal = str(error)
            chart.load(plan)  # again: the refusal's rollback expired what was read
    who = _mover(form)
    rounds = review(plan, session_id)
    if not rounds:
        return jsonify(ok=False, message=refusal or "No such session in this plan."), 404
    context = {
        "event": event,
        "plan": plan,
        "action": ActionForm(),
        "chosen": {},
        "PlanStatus": PlanStatus,
        "PlanKind": PlanKind,
    }
    summary = refusal or EDITED[edit]
    if worse:
        summary += f" This made the plan worse: {'; '.join(worse)}."

    return jsonify(
        ok=not refusal,
        message=summary,
        effects=[] if refusal else outcome.effects,
        focus=f"seat-{session_id}-{who}",
        round_html=render_template(
            "planning/_round.html",
            s=rounds[0],
            refusal=_refusal(form, refusal) if refusal else None,
            effects=None
            if refusal
            else {"session_id": session_id, "registration_id": who, "lines": outcome.effects},
            **context,
        ),
        measures_html=render_template("planning/_plan_measures.html", **context),
    ), (409 if refusal else 200)


def _other_draft(event, plan: Plan) -> Plan | None:
    """The other kind's newest plan, while it is a draft: what may be published alongside."""
    other = PlanKind.BREAKOUTS if plan.kind == PlanKind.TABLES else PlanKind.TABLES
    newest = next(iter(plans.plans(event, other)), None)
    return newest if newest is not None and newest.status == PlanStatus.DRAFT else None


def _alongside(event, plan: Plan, wanted: str | None) -> Plan | None:
    """The other kind's draft named by `wanted` (an id), if it is the one that may go along."""
    other = _other_draft(event, plan)
    if other is not None and database_id(wanted) == other.id:
        return other
    return None


@bp.get("/events/<slug>/plans/<int:plan_id>/publish")
def confirm_publish(slug: str, plan_id: int):
    """Asks first: who would be told, and the message one of them would get."""
    event = event_or_404(slug)
    plan = _plan(event, plan_id)
    if plan.status == PlanStatus.PUBLISHED:
        flash("This plan is already published.", "info")
        return redirect(url_for(".plan", slug=slug, plan_id=plan.id))
    other = _other_draft(event, plan)
    alongside = _alongside(event, plan, request.args.get("with"))
    chosen = (plan, alongside) if alongside else (plan,)
    return render_template(
        "planning/publish.html",
        event=event,
        plan=plan,
        other=other,
        alongside=alongside,
        preview=publishing.preview(*chosen),
        form=PublishForm(with_plan_id=alongside.id if alongside else ""),
        PlanKind=PlanKind,
    )


@bp.post("/events/<slug>/plans/<int:plan_id>/publish")
def publish(slug: str, plan_id: int):
    event = event_or_404(slug)
    plan = _plan(event, plan_id)
    form = PublishForm()
    if not form.validate_on_submit():
        abort(400)
    if plan.status == PlanStatus.PUBLISHED:
        flash("This plan is already published.", "info")
        return redirect(url_for(".plan", slug=slug, plan_id=plan.id))
    alongside = _alongside(event, plan, form.with_plan_id.data)
    if form.with_plan_id.data and alongside is None:
        flash("The other plan changed meanwhile; check what will be published again.", "error")
        return redirect(url_for(".confirm_publish", slug=slug, plan_id=plan.id))
    chosen = (plan, alongside) if alongside else (plan,)
    told = publishing.publish(*chosen)
    names = " and ".join(f"{_noun(p)} plan #{p.id}" for p in chosen)
    verb = "was" if len(told) == 1 else "were"
    flash(
        f"Published {names}. {plural(len(told), 'person', 'people')} {verb} told about "
        "their new or changed places.",
        "success",
    )
    return redirect(url_for(".plan", slug=slug, plan_id=plan.id))


def _noun(plan: Plan) -> str:
    return "table" if plan.kind == PlanKind.TABLES else "breakout"


@bp.post("/events/<slug>/planning/rules")
def add_rule(slug: str):
    event = event_or_404(slug)
    form = SeatingRuleForm(people=translation.attendees(event))
    if form.validate_on_submit():
        try:
            rules.add(event, form.kind.data, form.first.data, form.second.data)
        except rules.RuleError as error:
            flash(str(error), "error")
        else:
            flash("Rule added.", "success")
    else:
        for errors in form.errors.values():
            flash(" ".join(errors), "error")
    return redirect(url_for(".overview", slug=slug) + "#rules")


@bp.post("/events/<slug>/planning/rules/<int:rule_id>/delete")
def delete_rule(slug: str, rule_id: int):
    event = event_or_404(slug)
    rule = db.session.get(SeatingRule, rule_id)
    if rule is None or rule.event_id != event.id or not ActionForm().validate_on_submit():
        abort(404)
    rules.delete(rule)
    flash("Rule removed.", "success")
    return redirect(url_for(".overview", slug=slug) + "#rules")
