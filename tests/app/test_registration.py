"""The attendee's journey: register, see and change the registration, cancel, waiting list."""

from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import (
    Event,
    EventStatus,
    Organisation,
    OutgoingMail,
    Registration,
    RegistrationStatus,
    WaitlistPolicy,
)
from app.models.types import utcnow
from app.services.messaging.outbox import queue
from app.services.messaging.transport import outbox_messages
from tests.conftest import future

URL = "/events/learning-day/register"


def form(**overrides) -> dict:
    data = {
        "name": "Amara Okafor",
        "email": "Amara@Example.org",
        "organisation": "Riverside City Council",
        "sector": "",
        "profession": "Social worker",
        "role": "Team manager",
        "access_needs": "",
        "dietary_needs": "Vegetarian",
        "consent": "y",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def text(response) -> str:
    return response.get_data(as_text=True)


def outbox(app):
    return outbox_messages(app.config["MAIL_OUTBOX_DIR"])


def plain(message) -> str:
    """The plain-text body, whatever else the message carries (e.g. a calendar invite)."""
    return message.get_body(("plain",)).get_content()


def registrations() -> list[Registration]:
    db.session.expire_all()
    return list(db.session.scalars(select(Registration).order_by(Registration.id)))


def register(client, **overrides):
    return client.submit(URL, form(**overrides))


def token_of(response) -> str:
    match = re.fullmatch(r"/r/([A-Za-z0-9_-]+)", response.headers["Location"])
    assert match, response.headers["Location"]
    return match.group(1)


def breakout_ids(event: Event) -> list[int]:
    return [b.id for s in event.sessions for b in s.breakouts]


def slot_field(event: Event, rank: int) -> str:
    slot = next(s for s in event.sessions if s.breakouts)
    return f"pref_{slot.id}_{rank}"


def test_public_event_page_links_to_the_form(client, event):
    page = text(client.get("/events/learning-day"))
    assert 'href="/events/learning-day/register"' in page


def test_form_shows_every_field_and_the_privacy_notice(client, event):
    page = text(client.get(URL))
    for name in ("name", "email", "organisation", "sector", "profession", "role"):
        assert f'name="{name}"' in page
    for name in ("access_needs", "dietary_needs", "needs_accessible_table", "consent"):
        assert f'name="{name}"' in page
    assert slot_field(event, 1) in page and "Sharing data" in page
    assert '<option value="Riverside City Council">' in page  # pick an existing organisation
    assert 'href="/privacy"' in page
    privacy = client.get("/privacy")
    assert privacy.status_code == 200 and "Your rights" in text(privacy)


def test_registering_stores_redirects_and_mails_the_manage_link(client, event, app):
    sharing, homelessness = breakout_ids(event)
    response = register(
        client,
        needs_accessible_table="y",
        **{slot_field(event, 1): str(homelessness), slot_field(event, 2): str(sharing)},
    )
    assert response.status_code == 302
    token = token_of(response)
    [registration] = registrations()
    assert registration.token == token and len(token) >= 43
    assert registration.status == RegistrationStatus.CONFIRMED
    assert registration.email == "amara@example.org"
    assert registration.organisation.name == "Riverside City Council"
    assert registration.needs_accessible_table and registration.consent
    assert [(p.breakout_id, p.rank) for p in registration.preferences] == [
        (homelessness, 1),
        (sharing, 2),
    ]
    [message] = outbox(app)
    assert message["To"] == "amara@example.org"
    assert "registered" in message["Subject"] and "Learning Day" in message["Subject"]
    assert f"/r/{token}" in plain(message)

    page = client.get(f"/r/{token}")
    assert page.status_code == 200
    assert page.headers["Referrer-Policy"] == "no-referrer"
    body = text(page)
    assert "Confirmed" in body and "Amara Okafor" in body and "Vegetarian" in body
    assert "Homelessness" in body and "Needs an accessible table" in body
    assert "Round one" in body  # their programme


def test_a_new_organisation_is_created_with_its_sector(client, event):
    response = register(client, organisation="Northshire Mind", sector="Voluntary and community")
    assert response.status_code == 302
    organisation = db.session.scalar(
        select(Organisation).where(Organisation.name == "Northshire Mind")
    )
    assert organisation.sector == "Voluntary and community"


def test_picking_an_existing_organisation_ignores_case(client, event):
    register(client, organisation="  riverside   city council ")
    [registration] = registrations()
    assert registration.organisation.name == "Riverside City Council"
    assert db.session.scalar(select(func.count(Organisation.id))) == 2


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"name": ""}, "Enter your name."),
        ({"name": None}, "Enter your name."),
        ({"email": ""}, "Enter your email."),
        ({"email": "not-an-email"}, "Enter a valid email address"),
        ({"email": "a@b@example.org"}, "Enter a valid email address"),
        ({"organisation": ""}, "Enter your organisation."),
        ({"profession": "   "}, "Enter your profession."),
        ({"organisation": "Brand New Trust"}, "is new to us: give its sector."),
        ({"consent": None}, "only register you if you agree"),
        ({"name": "x" * 201}, "Must be at most 200 characters (this is 201)."),
        ({"role": "r" * 201}, "Must be at most 200 characters"),
        ({"access_needs": "a" * 2001}, "Must be at most 2000 characters"),
        ({"dietary_needs": "d" * 1001}, "Must be at most 1000 characters"),
        ({"sector": "s" * 101, "organisation": "New Org"}, "Must be at most 100 characters"),
        ({"name": "Amara\x00Okafor"}, "Contains control characters"),
    ],
)
def test_bad_input_is_shown_beside_the_field_and_nothing_is_stored(
    client, event, app, overrides, message
):
    response = register(client, **overrides)
    assert response.status_code == 200
    body = text(response)
    assert message in body
    assert "Please correct what is marked below" in body
    assert 'aria-invalid="true"' in body
    assert registrations() == [] and outbox(app) == []
    if overrides.get("dietary_needs", "").startswith("d"):
        return
    assert "Vegetarian" in body  # what was typed is kept


def test_breakout_choices_must_be_distinct_and_offered(client, event):
    sharing, _ = breakout_ids(event)
    same_twice = {slot_field(event, 1): str(sharing), slot_field(event, 2): str(sharing)}
    assert "Choose each breakout only once." in text(register(client, **same_twice))
    forged = register(client, **{slot_field(event, 1): "99999"})
    assert forged.status_code == 200 and "Not a valid choice" in text(forged)
    assert registrations() == []


def test_missing_csrf_token_is_refused(client, event):
    response = client.post(URL, data=form())
    assert response.status_code == 400
    assert registrations() == []


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"status": EventStatus.CLOSED}, "Registration for this event is closed."),
        ({"registration_opens_at": future(days=5)}, "Registration opens on"),
        ({"registration_closes_at": future(days=-1)}, "Registration for this event has closed."),
        ({"starts_at": future(days=-1), "ends_at": future(days=1)}, "has closed"),
    ],
)
def test_registration_only_while_open(client, event, app, change, message):
    token = client.csrf_token(URL)  # the form was loaded while registration was open
    for name, value in change.items():
        setattr(event, name, value)
    db.session.commit()
    assert message in text(client.get(URL))
    assert 'name="consent"' not in text(client.get(URL))
    response = client.post(URL, data={**form(), "csrf_token": token})
    assert response.status_code == 403
    assert message in text(response)
    assert registrations() == [] and outbox(app) == []


def test_draft_events_take_no_registrations(client, event):
    event.status = EventStatus.DRAFT
    db.session.commit()
    assert client.get(URL).status_code == 404
    assert client.get("/events/nowhere/register").status_code == 404


def test_a_full_event_puts_people_on_the_waiting_list_in_order(client, event, app):
    event.capacity = 1
    db.session.commit()
    register(client, email="first@example.org")
    second = register(client, email="second@example.org", name="Second Person")
    third = register(client, email="third@example.org", name="Third Person")
    statuses = [(r.email, r.status) for r in registrations()]
    assert statuses == [
        ("first@example.org", RegistrationStatus.CONFIRMED),
        ("second@example.org", RegistrationStatus.WAITLISTED),
        ("third@example.org", RegistrationStatus.WAITLISTED),
    ]
    assert "waiting list" in outbox(app)[-1]["Subject"]
    assert "number 1 on the waiting list" in text(client.get(second.headers["Location"]))
    assert "number 2 on the waiting list" in text(client.get(third.headers["Location"]))


def test_the_same_email_twice_gets_its_link_again_never_a_second_registration(client, event, app):
    first = register(client, name="Amara Okafor", dietary_needs="Halal")
    token = token_of(first)
    again = register(client, email=" AMARA@example.org", name="Someone Else")
    assert again.status_code == 200
    body = text(again)
    assert "already registered" in body
    assert "Halal" not in body and "Amara Okafor" not in body and token not in body
    assert len(registrations()) == 1
    _confirmation, reminder = outbox(app)
    assert reminder["To"] == "amara@example.org"
    assert f"/r/{token}" in plain(reminder)


@pytest.mark.parametrize(
    "path",
    ["/r/{t}", "/r/{t}/edit", "/r/{t}/cancel", "/r/{t}/claim", "/r/short", "/r/%00", "/r/a.b"],
)
def test_a_forged_token_is_a_plain_404(client, event, path):
    register(client)
    forged = "A" * 43
    response = client.get(path.format(t=forged))
    assert response.status_code == 404
    assert "There is nothing at this address." in text(response)
    assert "Learning Day" not in text(response)
    assert client.post(path.format(t=forged)).status_code in (400, 404, 405)


def test_changing_own_details(client, event, app):
    token = token_of(register(client))
    sharing, _ = breakout_ids(event)
    edit_url = f"/r/{token}/edit"
    page = text(client.get(edit_url))
    assert 'value="Amara Okafor"' in page and 'name="email"' not in page
    bad = client.submit(edit_url, form(name="", email=None, consent=None))
    assert "Enter your name." in text(bad)
    response = client.submit(
        edit_url,
        form(
            email="attacker@example.org",
            role="Head of service",
            organisation="Riverside NHS Trust",
            consent=None,
            **{slot_field(event, 1): str(sharing)},
        ),
    )
    assert response.status_code == 302 and response.headers["Location"] == f"/r/{token}"
    [registration] = registrations()
    assert registration.role == "Head of service"
    assert registration.email == "amara@example.org"  # the email is not changed this way
    assert registration.organisation.name == "Riverside NHS Trust"
    assert [p.breakout_id for p in registration.preferences] == [sharing]
    assert registration.consent


def test_cancelling_asks_first_and_auto_promotes_the_first_waiting(client, event, app):
    event.capacity = 1
    db.session.commit()
    token = token_of(register(client))
    register(client, email="waiting@example.org", name="Wendy Waiting")
    register(client, email="later@example.org", name="Larry Later")
    confirm_page = client.get(f"/r/{token}/cancel")
    assert "Yes, cancel my registration" in text(confirm_page)
    assert registrations()[0].status == RegistrationStatus.CONFIRMED  # asking changes nothing
    response = client.submit(f"/r/{token}/cancel")
    assert response.status_code == 302
    first, wendy, larry = registrations()
    assert first.status == RegistrationStatus.CANCELLED and first.cancelled_at
    assert wendy.status == RegistrationStatus.CONFIRMED
    assert larry.status == RegistrationStatus.WAITLISTED
    subjects = {(m["To"], m["Subject"].split(":")[0]) for m in outbox(app)}
    assert ("waiting@example.org", "A place is yours") in subjects
    assert ("amara@example.org", "Registration cancelled") in subjects
    assert "Cancelled" in text(client.get(f"/r/{token}"))


def test_leaving_the_waiting_list(client, event):
    event.capacity = 1
    db.session.commit()
    register(client)
    token = token_of(register(client, email="waiting@example.org"))
    assert "Leave the waiting list" in text(client.get(f"/r/{token}"))
    client.submit(f"/r/{token}/cancel")
    assert registrations()[1].status == RegistrationStatus.CANCELLED


def test_offer_policy_offers_the_seat_and_passes_it_on_when_it_lapses(client, event, app):
    event.capacity = 1
    event.waitlist_policy = WaitlistPolicy.OFFER
    event.offer_hours = 24
    db.session.commit()
    token = token_of(register(client))
    wendy_token = token_of(register(client, email="wendy@example.org", name="Wendy"))
    larry_token = token_of(register(client, email="larry@example.org", name="Larry"))
    client.submit(f"/r/{token}/cancel")
    _, wendy, larry = registrations()
    assert wendy.status == RegistrationStatus.WAITLISTED
    assert wendy.offer_expires_at is not None
    assert timedelta(hours=23) < wendy.offer_expires_at - utcnow() <= timedelta(hours=24)
    offer = next(
        m for m in outbox(app) if m["To"] == "wendy@example.org" and "claim" in m["Subject"]
    )
    assert f"/r/{wendy_token}/claim" in plain(offer)
    # A held seat is not free: a newcomer waits.
    register(client, email="newcomer@example.org")
    assert registrations()[-1].status == RegistrationStatus.WAITLISTED

    # Wendy lets the offer lapse; the next touch of capacity passes it to Larry.
    wendy.offer_expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["expire-offers"])
    assert result.exit_code == 0, result.output
    _, wendy, larry, newcomer = registrations()
    assert wendy.status == RegistrationStatus.CANCELLED
    assert larry.offer_expires_at is not None
    assert newcomer.status == RegistrationStatus.WAITLISTED and newcomer.offer_expires_at is None
    assert "no longer open" in text(client.get(f"/r/{wendy_token}/claim"))
    lapsed = client.submit(f"/r/{wendy_token}/claim", form_url=f"/r/{wendy_token}")
    assert "no longer open" in text(client.get(lapsed.headers["Location"]))
    assert registrations()[1].status == RegistrationStatus.CANCELLED

    claim_page = client.get(f"/r/{larry_token}/claim")
    assert "Claim my place" in text(claim_page)
    client.submit(f"/r/{larry_token}/claim")
    assert registrations()[2].status == RegistrationStatus.CONFIRMED
    assert "Confirmed" in text(client.get(f"/r/{larry_token}"))


def test_a_lapsed_offer_is_withdrawn_when_anyone_next_registers(client, event):
    event.capacity = 1
    event.waitlist_policy = WaitlistPolicy.OFFER
    db.session.commit()
    token = token_of(register(client))
    register(client, email="wendy@example.org")
    client.submit(f"/r/{token}/cancel")
    wendy = registrations()[1]
    wendy.offer_expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    register(client, email="newcomer@example.org")
    _, wendy, newcomer = registrations()
    assert wendy.status == RegistrationStatus.CANCELLED
    assert newcomer.status == RegistrationStatus.CONFIRMED


def test_booking_again_after_cancelling(client, event):
    token = token_of(register(client))
    client.submit(f"/r/{token}/cancel")
    page = text(client.get(f"/r/{token}"))
    assert "Book again" in page
    client.submit(f"/r/{token}/rejoin", form_url=f"/r/{token}")
    assert registrations()[0].status == RegistrationStatus.CONFIRMED


def test_a_failed_request_stores_and_sends_nothing(client, event, app, monkeypatch):
    def queue_then_fail(kind, registration, **options):
        queue(kind, registration, **options)
        raise RuntimeError("disk full")

    monkeypatch.setattr("app.services.messaging.outbox.queue", queue_then_fail)
    with pytest.raises(RuntimeError):
        register(client)
    db.session.rollback()
    assert registrations() == []
    assert db.session.scalars(select(OutgoingMail)).all() == []
    assert outbox(app) == []


def test_racing_for_the_last_seat_confirms_exactly_one(app, client, event):  # client: Client class
    """Many browsers submit at the same moment for one remaining seat."""
    event.capacity = 1
    db.session.commit()
    racers = 16
    start = threading.Barrier(racers)
    statuses: list[int] = []
    errors: list[BaseException] = []

    def race(index: int) -> None:
        # Off the test's own thread each request gets its own app context (and CSRF token).
        browser = app.test_client()
        try:
            token = browser.csrf_token(URL)
            data = {**form(email=f"racer{index}@example.org"), "csrf_token": token}
            start.wait(timeout=60)
            statuses.append(browser.post(URL, data=data).status_code)
        except BaseException as exc:  # surfaced below
            errors.append(exc)
            start.abort()

    threads = [threading.Thread(target=race, args=(i,)) for i in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert statuses == [302] * racers
    everyone = registrations()
    assert len(everyone) == racers
    confirmed = [r for r in everyone if r.status == RegistrationStatus.CONFIRMED]
    assert len(confirmed) == 1
    assert len({r.waitlisted_at for r in everyone if r.waitlisted_at}) >= 1
    assert len(outbox(app)) == racers
