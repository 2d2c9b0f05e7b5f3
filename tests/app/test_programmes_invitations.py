"""Invitations: registrants consent at registration (off unless ticked; changeable on their
page at any time), and organisers invite the consenting registrants of their past events, by
mail with the join links, each once."""

from __future__ import annotations

from datetime import timedelta

from app.extensions import db
from app.models import (
    Invitation,
    MailKind,
    Organisation,
    OutgoingMail,
    Registration,
    RegistrationStatus,
    User,
)
from app.services.programmes import invitations
from app.services.programmes.mentoring_messages import invitation_message
from app.services.programmes.programmes import join_token
from app.services.registration import lifecycle
from app.services.tokens import new_token
from tests.app.programme_helpers import make_programme
from tests.conftest import PASSWORD, future

FORM = {
    "name": "Rita Registrant",
    "email": "rita@example.org",
    "organisation": "Riverside City Council",
    "sector": "",
    "profession": "Planner",
    "consent": "y",
}


def test_the_consent_is_asked_at_registration_and_off_unless_ticked(client, event):
    url = f"/events/{event.slug}/register"
    assert "Tell me about mentoring schemes and secondments" in client.get(url).get_data(
        as_text=True
    )
    client.submit(url, FORM)
    client.submit(url, {**FORM, "email": "tick@example.org", "hear_of_programmes": "y"})
    found = {r.email: r.hear_of_programmes for r in db.session.scalars(db.select(Registration))}
    assert found == {"rita@example.org": False, "tick@example.org": True}


def test_a_registrant_changes_their_mind_on_their_page(client, event):
    client.submit(f"/events/{event.slug}/register", FORM)
    registration = db.session.scalar(db.select(Registration))
    page = f"/r/{registration.token}"
    assert "Tell me about them" in client.get(page).get_data(as_text=True)
    client.submit(f"{page}/programmes", form_url=page)
    db.session.refresh(registration)
    assert registration.hear_of_programmes is True
    client.submit(f"{page}/programmes", form_url=page)
    db.session.refresh(registration)
    assert registration.hear_of_programmes is False


def register(event, name: str, email: str, hear: bool) -> Registration:
    registration = Registration(
        event=event,
        token=new_token(),
        name=name,
        email=email,
        organisation=db.session.scalar(db.select(Organisation)),
        consent=True,
        hear_of_programmes=hear,
        status=RegistrationStatus.CONFIRMED,
    )
    db.session.add(registration)
    db.session.commit()
    return registration


def make_past(event) -> None:
    event.starts_at = future(-10)
    event.ends_at = event.starts_at + timedelta(hours=7)
    db.session.commit()


def invitations_queued() -> list[OutgoingMail]:
    return list(
        db.session.scalars(
            db.select(OutgoingMail).where(OutgoingMail.kind == MailKind.PROGRAMME_INVITATION.value)
        )
    )


def test_only_consenting_registrants_of_past_events_are_invited_once(signed_in, organiser, event):
    make_past(event)
    yes = register(event, "Yan Yes", "yan@example.org", hear=True)
    register(event, "Nell No", "nell@example.org", hear=False)
    programme = make_programme(organiser)
    url = f"/organise/programmes/{programme.id}/invite"
    ask = signed_in.get(url).get_data(as_text=True)
    assert "1 person would be invited" in ask and "Yan Yes" in ask and "Nell No" not in ask
    assert invitations_queued() == []
    signed_in.submit(url)
    (queued,) = invitations_queued()
    assert queued.registration_id == yes.id and queued.options == {"programme_id": programme.id}
    assert db.session.get(Invitation, (programme.id, "yan@example.org")) is not None
    again = signed_in.get(url).get_data(as_text=True)
    assert "Nobody is left to invite" in again
    assert invitations.invite(programme, organiser) == 0
    text = invitation_message(yes, programme.id).get_content()
    for side in ("mentor", "mentee"):
        assert f"/mentoring/join/{join_token(programme, side)}" in text
    yes.hear_of_programmes = False
    db.session.commit()
    assert invitation_message(yes, programme.id) is None


def test_future_events_and_other_organisers_events_are_not_used(app, organiser, event):
    register(event, "Fay Future", "fay@example.org", hear=True)  # the event is still to come
    programme = make_programme(organiser)
    assert invitations.invitable(programme, organiser) == []
    make_past(event)
    other = User(email="other@example.org", name="Other")
    other.set_password(PASSWORD)
    db.session.add(other)
    db.session.commit()
    assert invitations.invitable(make_programme(other, name="Theirs"), other) == []


def test_erasing_a_registration_forgets_that_it_was_invited(app, organiser, event):
    make_past(event)
    yes = register(event, "Yan Yes", "yan@example.org", hear=True)
    programme = make_programme(organiser)
    invitations.invite(programme, organiser)
    lifecycle.erase(yes)
    assert db.session.scalar(db.select(Invitation)) is None
