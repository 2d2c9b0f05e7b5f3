"""Security, tested the way an attacker would try it: forged posts, other organisers' addresses,
framing, guessing links and passwords, and floods. The route walks read app.url_map, so a page
added later is covered without touching this file.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from flask import Flask
from limits import parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter
from sqlalchemy import func, select

import config
from app import create_app
from app.extensions import db
from app.models import (
    Action,
    Card,
    Event,
    JobState,
    OrganisationAlias,
    Plan,
    PlanKind,
    Registration,
    RegistrationStatus,
    SeatingRule,
    SeatingRuleKind,
    Series,
    SessionKind,
    SolveJob,
    Statement,
    Theme,
    User,
    UserRole,
    event_harvest_editors,
)
from app.services.accounts import api_tokens
from app.services.organisations import sectors
from app.services.programmes import mentoring_review, peer_challenge_teams
from app.services.tokens import new_token
from tests.app.browsers import browser
from tests.app.peer_challenge_helpers import add_host, add_peer, make_round
from tests.app.programme_helpers import add_member, make_programme
from tests.app.test_api_registration import URL as API_REGISTER
from tests.app.test_api_registration import person
from tests.conftest import PASSWORD, Client, drop_everything, make_config

TEMPLATES = Path(__file__).resolve().parents[2] / "app" / "templates"
STATIC = Path(__file__).resolve().parents[2] / "app" / "static"


# --- the things a route walk needs ------------------------------------------------------------


@pytest.fixture
def world(event, organiser) -> dict:
    """One of everything an organiser address can name, all belonging to `event`."""
    people = []
    for i in range(2):
        registration = Registration(
            event=event,
            token=new_token(),
            name=f"Person {i}",
            email=f"person{i}@example.org",
            status=RegistrationStatus.CONFIRMED,
            consent=True,
        )
        db.session.add(registration)
        people.append(registration)
    db.session.flush()
    plan = Plan(event=event, kind=PlanKind.TABLES)
    job = SolveJob(event=event, kind=PlanKind.TABLES, state=JobState.SUCCEEDED)
    rule = SeatingRule(
        event=event,
        kind=SeatingRuleKind.KEEP_APART,
        first_id=min(p.id for p in people),
        second_id=max(p.id for p in people),
    )
    organisation = event.convenors[0]
    alias = OrganisationAlias(organisation=organisation, name="RCC", key="rcc")
    db.session.add_all([plan, job, rule, alias])
    db.session.commit()
    slot = event.sessions_of(SessionKind.BREAKOUT_SLOT)[0]
    theme = Theme(event=event, title="Data")
    card = Card(
        event=event, session_id=slot.id, breakout_id=slot.breakouts[0].id, answers={"a": "b"}
    )
    editor = User(email="editor@example.org", role=UserRole.HARVEST_EDITOR, password_hash="-")
    series = Series(name="Learning days", organisers=[organiser], events=[event])
    statement = Statement(event=event, theme=theme, text="Data sharing takes too long.")
    action = Action(event=event, source="plenary-1", what="Pool budgets", owner="Finance")
    db.session.add_all([theme, card, editor, series, statement, action])
    db.session.commit()
    db.session.execute(event_harvest_editors.insert().values(event_id=event.id, user_id=editor.id))
    db.session.commit()
    scheme = make_programme(organiser)
    mentor = add_member(scheme, "mentor", "Ann Mentor", "Kent Police", "Police and justice")
    mentee = add_member(scheme, "mentee", "Dan Mentee", "Medway NHS", "NHS and health")
    pair = mentoring_review.pair(scheme, mentor, mentee)
    peer_round = make_round(organiser)
    host = add_host(peer_round, "Westshire Council", "Local government", {"officer": 1})
    peer = add_peer(peer_round, "Oli Officer", "Kent Police", "Police and justice", "officer")
    place = peer_challenge_teams.put(peer_round, host, peer)
    return {
        "slug": event.slug,
        "session_id": slot.id,
        "breakout_id": slot.breakouts[0].id,
        "table_id": event.tables[0].id,
        "registration_id": people[0].id,
        "plan_id": plan.id,
        "job_id": job.id,
        "rule_id": rule.id,
        "token": people[0].token,
        "token_id": api_tokens.create(organiser, "walk")[0].id,
        "filename": "css/app.css",
        "organisation_id": organisation.id,
        "alias_id": alias.id,
        "sector_id": sectors.offered()[0].id,
        "card_id": card.id,
        "theme_id": theme.id,
        "user_id": editor.id,
        "series_id": series.id,
        "event_id": event.id,
        "statement_id": statement.id,
        "action_id": action.id,
        "programme_id": scheme.id,
        "member_id": mentor.id,
        "pair_id": pair.id,
        # a place of another programme's round: its addresses answer 404, never 500
        "place_id": place.id,
    }


def _first_choice(converter) -> str:
    """A value an `any(...)` converter accepts."""
    first = converter.regex.removeprefix("(?:").split("|")[0].rstrip(")")
    return re.sub(r"\\(.)", r"\1", first)


def address(rule, values: dict) -> str:
    filled = {}
    for name in rule.arguments:
        converter = rule._converters[name]
        filled[name] = (
            _first_choice(converter) if type(converter).__name__ == "AnyConverter" else values[name]
        )
    return rule.build(filled)[1]


def rules(app: Flask, *, prefix: str = "/", method: str | None = None):
    found = [
        r
        for r in app.url_map.iter_rules()
        if r.rule.startswith(prefix) and (method is None or method in r.methods)
    ]
    return sorted(found, key=lambda r: r.rule)


def from_address(app: Flask, remote_addr: str):
    """A test client whose requests come from another address."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = remote_addr
    return client


def sign_in(client: Client, email: str) -> Client:
    response = client.submit("/login", {"email": email, "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return client


@pytest.fixture
def intruder(app: Flask) -> Client:
    """Another organiser, signed in, who organises nothing of `event`'s."""
    user = User(email="intruder@example.org", name="Ivy Intruder")
    user.set_password(PASSWORD)
    db.session.add(user)
    db.session.commit()
    app.test_client_class = Client
    return sign_in(app.test_client(), user.email)


# --- CSRF ---------------------------------------------------------------------------------------


def test_every_form_post_without_a_token_is_refused(app, signed_in, world):
    """Every address taking POST outside the JSON API refuses a post that lacks the token."""
    posts = [r for r in rules(app, method="POST") if not r.endpoint.startswith("api.")]
    assert len(posts) >= 20  # the walk really walks
    for rule in posts:
        url = address(rule, world)
        response = signed_in.post(url, data={"name": "forged", "email": "x@example.org"})
        assert response.status_code == 400, url
        assert "Please try again" in response.get_data(as_text=True), url
        forged = signed_in.post(url, data={"csrf_token": "forged-token"})
        assert forged.status_code == 400, url
    # Nothing changed: the event is still published, no registration was cancelled or erased.
    db.session.expire_all()
    assert db.session.scalar(select(Event)).status.value == "published"
    statuses = db.session.scalars(select(Registration.status)).all()
    assert statuses == [RegistrationStatus.CONFIRMED] * 2


def test_the_json_api_takes_no_form_posts_at_all(app, client, event):
    """Exempt from the form token, the API refuses anything a cross-site form can send."""
    for kind in ("application/x-www-form-urlencoded", "multipart/form-data", "text/plain"):
        response = client.post(API_REGISTER, data="name=x", content_type=kind)
        assert response.status_code == 415
    assert db.session.scalar(select(func.count(Registration.id))) == 0


def test_forms_still_work_over_https_without_a_referer(client, organiser):
    """Pages send no Referer (no-referrer), so the HTTPS form check must not ask for one."""
    page = client.get("/login", base_url="https://localhost")
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.get_data(as_text=True))
    response = client.post(
        "/login",
        data={"csrf_token": token.group(1), "email": organiser.email, "password": PASSWORD},
        base_url="https://localhost",
    )
    assert response.status_code == 302
    forged = client.post("/logout", data={"csrf_token": "nope"}, base_url="https://localhost")
    assert forged.status_code == 400


# --- who may see what -------------------------------------------------------------------------


def test_every_organiser_address_needs_sign_in(app, client, world):
    for rule in rules(app, prefix="/organise"):
        url = address(rule, world)
        if "GET" in rule.methods:
            response = client.get(url)
            assert response.status_code == 302, url
            assert response.headers["Location"].startswith("/login"), url
        if "POST" in rule.methods:
            token = client.csrf_token("/login")
            response = client.post(url, data={"csrf_token": token})
            assert response.status_code == 302, url
            assert response.headers["Location"].startswith("/login"), url


def test_another_organiser_gets_404_at_every_address_of_the_event(app, intruder, world):
    """Signed in, with a valid form token, at every address naming an event they don't organise
    (or an API token not theirs): 404, the same as an address that does not exist."""
    walked = 0
    token = intruder.csrf_token("/organise/events/new")
    for rule in rules(app, prefix="/organise"):
        if "slug" not in rule.arguments and "token_id" not in rule.arguments:
            continue
        url = address(rule, world)
        if "GET" in rule.methods:
            assert intruder.get(url).status_code == 404, url
        if "POST" in rule.methods:
            assert intruder.post(url, data={"csrf_token": token}).status_code == 404, url
        walked += 1
    assert walked >= 25
    db.session.expire_all()
    assert db.session.scalar(select(func.count(SeatingRule.id))) == 1
    assert db.session.scalar(select(Event)).status.value == "published"


def test_the_dashboard_lists_only_ones_own_events(intruder, event):
    page = intruder.get("/organise/").get_data(as_text=True)
    assert "Learning Day" not in page


def test_draft_events_are_hidden_from_the_public_and_other_organisers(client, intruder, event):
    event.status = event.status.DRAFT
    db.session.commit()
    for visitor in (client, intruder):
        assert visitor.get("/events/learning-day").status_code == 404
        assert visitor.get("/events/learning-day/programme.ics").status_code == 404
        assert visitor.get("/api/v1/events/learning-day").status_code == 404


def test_passwords_are_stored_as_scrypt_hashes(organiser):
    assert organiser.password_hash.startswith("scrypt:")
    assert PASSWORD not in organiser.password_hash


def test_outside_tests_passwords_are_hashed_at_scrypts_full_cost(tmp_path, monkeypatch):
    """Tests hash at a lower cost (config.TestingConfig); a real site never does."""
    monkeypatch.setenv("SECRET_KEY", "s" * 64)
    monkeypatch.setenv("PUBLIC_URL", "https://convene.example")
    monkeypatch.setenv("CONVENE_INSTANCE_PATH", str(tmp_path))
    settings = config.ProductionConfig()
    settings.SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'prod.sqlite3'}"
    with create_app(settings).app_context():
        user = User(email="someone@example.org")
        user.set_password(PASSWORD)
    assert user.password_hash.startswith("scrypt:32768:8:1$")
    assert user.check_password(PASSWORD)


# --- cookies and headers ----------------------------------------------------------------------


def test_production_session_cookies_are_secure_httponly_and_samesite(tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "s" * 64)
    monkeypatch.setenv("PUBLIC_URL", "https://convene.example")
    monkeypatch.setenv("CONVENE_INSTANCE_PATH", str(tmp_path))
    settings = config.ProductionConfig()
    settings.SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'prod.sqlite3'}"
    app = create_app(settings)
    assert not app.testing
    response = app.test_client().get("/login", base_url="https://convene.example")
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def _pages(world) -> list[str]:
    return [
        "/",
        "/events/learning-day",
        "/events/learning-day/register",
        f"/r/{world['token']}",
        "/login",
        "/privacy",
        "/no/such/page",
        "/api/v1/events",
        "/api/v1/nothing",
        "/events/learning-day/programme.ics",
        "/static/css/app.css",
    ]


def test_every_answer_carries_the_security_headers(client, world):
    for url in _pages(world):
        response = client.get(url)
        headers = response.headers
        policy = headers["Content-Security-Policy"]
        script_src = re.search(r"script-src ([^;]+)", policy).group(1)
        assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src, url
        assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy, url
        assert headers["X-Frame-Options"] == "DENY", url
        assert headers["X-Content-Type-Options"] == "nosniff", url
        assert headers["Referrer-Policy"] == "no-referrer", url


def test_signed_in_pages_carry_them_too(signed_in, world):
    for url in ("/organise/", "/organise/events/learning-day", "/organise/api-tokens"):
        response = signed_in.get(url)
        assert response.status_code == 200
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
        assert response.headers["Referrer-Policy"] == "no-referrer"


def test_no_template_carries_inline_script_or_event_handlers():
    """The CSP forbids inline script; this keeps templates from quietly depending on it."""
    inline_script = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
    handler = re.compile(r"<[^>]+\son[a-z]+\s*=", re.IGNORECASE)
    javascript_url = re.compile(r"""(?:href|src|action)\s*=\s*["']?\s*javascript:""", re.I)
    style_attribute = re.compile(r"<[^>]+\sstyle\s*=", re.IGNORECASE)
    checked = 0
    for template in TEMPLATES.rglob("*.html"):
        text = template.read_text()
        for pattern in (inline_script, handler, javascript_url, style_attribute):
            assert not pattern.search(text), f"{template.relative_to(TEMPLATES)}: {pattern.pattern}"
        checked += 1
    assert checked >= 20
    for script in STATIC.rglob("*.js"):
        assert "eval(" not in script.read_text(), script


# --- rate limits (on, as in production) -------------------------------------------------------


def test_a_burst_of_sign_ins_from_one_address_is_answered_429(client, organiser, app):
    limit = int(app.config["RATELIMIT_LOGIN"].split()[0])
    token = client.csrf_token("/login")
    for i in range(limit):
        # A different account each time: the per-account backoff is tested separately.
        response = client.post(
            "/login", data={"csrf_token": token, "email": f"guess{i}@example.org", "password": "x"}
        )
        assert response.status_code == 200
    refused = client.post(
        "/login", data={"csrf_token": token, "email": organiser.email, "password": PASSWORD}
    )
    assert refused.status_code == 429
    assert "Too many requests" in refused.get_data(as_text=True)
    assert int(refused.headers["Retry-After"]) > 0
    elsewhere = from_address(app, "198.51.100.7")
    assert elsewhere.get("/login").status_code == 200


@pytest.mark.parametrize("email", ["org@example.org", "nobody@example.org"])
def test_wrong_passwords_from_one_address_make_it_wait(app, organiser, email):
    """From the fifth wrong password for an account from one address on, each try from there
    must wait, doubling, however right the next password is; an unknown account waits alike, so
    the answer shows no one exists."""
    guesser = browser(app, "203.0.113.1")

    def attempt(password: str):
        return guesser.sign_in(email, password)

    for _ in range(app.config["LOGIN_BACKOFF_AFTER"]):
        assert attempt("wrong password").status_code == 200
    blocked = attempt(PASSWORD)
    assert blocked.status_code == 429
    assert "Too many wrong passwords for this account" in blocked.get_data(as_text=True)
    assert "Try again in 1 second." in blocked.get_data(as_text=True)
    time.sleep(1.1)
    again = attempt("still wrong")
    assert again.status_code == 200  # tried, and counted: the next wait doubles
    assert "Try again in 2 seconds." in attempt(PASSWORD).get_data(as_text=True)
    if email == organiser.email:
        time.sleep(2.1)
        assert attempt(PASSWORD).status_code == 302  # and a success starts afresh
        again_later = browser(app, "203.0.113.1")
        assert again_later.sign_in(email, "wrong password").status_code == 200


def test_a_stranger_failing_from_one_address_cannot_lock_the_owner_out(app, organiser):
    """The old backoff counted per account whatever the address: a stranger's few wrong
    passwords every quarter of an hour kept the owner out for good."""
    stranger, owner = browser(app, "203.0.113.1"), browser(app, "198.51.100.2")
    for _ in range(app.config["LOGIN_BACKOFF_AFTER"] + 4):  # the last makes it wait 16 s
        stranger.sign_in(organiser.email, "a guess")
    assert stranger.sign_in(organiser.email).status_code == 429  # even with the right password
    assert owner.sign_in(organiser.email).status_code == 302
    assert owner.signed_in()
    assert stranger.sign_in(organiser.email).status_code == 429  # the owner cleared only theirs


def test_a_guesser_with_many_addresses_is_slowed_down_but_no_fresh_address_is(app, organiser):
    """Wrong passwords for one account from anywhere add up: past LOGIN_BACKOFF_ACCOUNT_AFTER,
    every address that has failed for the account waits, while one that has not still signs in.
    (Set low here, as a deployer may, to keep the test short.)"""
    app.config["LOGIN_BACKOFF_ACCOUNT_AFTER"] = 3  # six guesses: the last one makes them wait 8 s
    guessers = [browser(app, f"203.0.113.{n}") for n in range(1, 7)]
    for guesser in guessers:
        assert guesser.sign_in(organiser.email, "one guess each").status_code == 200
    refused = guessers[0].sign_in(organiser.email, "another guess")
    assert refused.status_code == 429
    assert "Too many wrong passwords for this account" in refused.get_data(as_text=True)
    assert browser(app, "198.51.100.2").sign_in(organiser.email).status_code == 302


@pytest.mark.parametrize(
    "pattern",
    ["/r/{}", "/r/{}/edit", "/r/{}/invite.ics", "/api/v1/registrations/{}", "/r/{}/itinerary"],
)
def test_guessing_private_links_is_cut_off(client, event, app, pattern):
    real = client.post(API_REGISTER, json=person()).get_json()["token"]
    limit = int(app.config["RATELIMIT_TOKEN_GUESSES"].split()[0])
    for _ in range(limit):
        assert client.get(pattern.format(new_token())).status_code == 404
    refused = client.get(pattern.format(new_token()))
    assert refused.status_code == 429
    # Once cut off, even a right guess learns nothing.
    assert client.get(pattern.format(real)).status_code == 429
    if pattern.startswith("/api/"):
        assert refused.get_json()["message"].startswith("Too many requests")
    else:
        assert "Too many requests" in refused.get_data(as_text=True)
    # Someone else, at another address, is not affected.
    other = from_address(app, "198.51.100.9")
    assert other.get(pattern.format(real)).status_code == 200


def test_guessing_api_tokens_is_cut_off(client, event, app, organiser):
    _, secret = api_tokens.create(organiser, "real")
    limit = int(app.config["RATELIMIT_TOKEN_GUESSES"].split()[0])
    url = "/api/v1/events/learning-day/registrations"
    for _ in range(limit):
        guess = {"Authorization": f"Bearer cvn_{new_token()}"}
        assert client.get(url, headers=guess).status_code == 401
    assert client.get(url, headers={"Authorization": f"Bearer {secret}"}).status_code == 429


def test_using_a_real_link_often_is_not_guessing(client, event, app):
    token = client.post(API_REGISTER, json=person()).get_json()["token"]
    limit = int(app.config["RATELIMIT_TOKEN_GUESSES"].split()[0])
    for _ in range(limit * 2):
        assert client.get(f"/api/v1/registrations/{token}").status_code == 200


def test_one_office_address_can_register_sixty_people_in_a_minute(client, event):
    """A whole council registering from its one office address is not throttled."""
    for i in range(60):
        response = client.post(API_REGISTER, json=person(email=f"officer{i}@council.example"))
        assert response.status_code == 201, response.get_json()
    form_page = client.get("/events/learning-day/register")
    assert form_page.status_code == 200


def test_registrations_from_one_address_are_limited_when_configured_tighter(client, event, app):
    app.config["RATELIMIT_REGISTRATION_PER_ADDRESS"] = "5 per minute"
    for i in range(5):
        assert client.post(API_REGISTER, json=person(email=f"p{i}@example.org")).status_code == 201
    refused = client.post(API_REGISTER, json=person(email="p5@example.org"))
    assert refused.status_code == 429 and "Retry-After" in refused.headers
    assert refused.get_json()["message"].startswith("Too many requests")
    # The form shares the same allowance.
    token = client.csrf_token("/events/learning-day/register")
    form = client.post("/events/learning-day/register", data={"csrf_token": token})
    assert form.status_code == 429
    other = from_address(app, "198.51.100.20")
    assert other.post(API_REGISTER, json=person(email="p6@example.org")).status_code == 201


def test_one_email_address_cannot_be_flooded_with_mail(client, event, app):
    """Each repeat registration mails the existing link again: a flood for one address stops."""
    limit = int(app.config["RATELIMIT_REGISTRATION_PER_EMAIL"].split()[0])
    statuses = [
        client.post(API_REGISTER, json=person(email="victim@example.org")).status_code
        for _ in range(limit)
    ]
    assert statuses == [201] + [409] * (limit - 1)
    assert client.post(API_REGISTER, json=person(email="VICTIM@example.org")).status_code == 429
    assert client.post(API_REGISTER, json=person(email="someone@example.org")).status_code == 201


def test_limits_can_be_switched_off_for_load_tests(tmp_path):
    settings = make_config(tmp_path)
    settings.RATELIMIT_ENABLED = False
    app = create_app(settings)
    with app.app_context():
        drop_everything()
        db.create_all()
        client = app.test_client()
        for _ in range(100):
            assert client.get(f"/r/{new_token()}").status_code == 404
        drop_everything()
        db.engine.dispose()


def test_limits_are_counted_in_redis_when_configured(tmp_path):
    """With REDIS_URL the counts live in Redis, where every worker process sees them."""
    redis_url = config.Config.REDIS_URL
    if not redis_url:
        pytest.skip("REDIS_URL not set: no Redis to test")
    settings = make_config(tmp_path)
    settings.RATELIMIT_STORAGE_URI = redis_url
    settings.RATELIMIT_KEY_PREFIX = f"convene-test-{new_token()[:12]}"
    app = create_app(settings)
    limit = app.config["RATELIMIT_TOKEN_GUESSES"]
    with app.app_context():
        drop_everything()
        db.create_all()
        client = app.test_client()
        for _ in range(parse(limit).amount):
            assert client.get(f"/r/{new_token()}").status_code == 404
        assert client.get(f"/r/{new_token()}").status_code == 429
        # What another worker would see: a fresh connection to the same Redis.
        elsewhere = MovingWindowRateLimiter(storage_from_string(redis_url))
        key = (settings.RATELIMIT_KEY_PREFIX, "token-guess", "127.0.0.1")
        assert not elsewhere.test(parse(limit), *key)
        elsewhere.clear(parse(limit), *key)
        drop_everything()
        db.engine.dispose()
