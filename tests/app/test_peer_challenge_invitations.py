"""Inviting past registrants to a peer-challenge round: a consent of its own, asked beside the
one for mentoring schemes and secondments (which never mentioned peer challenges), changeable on
the registrant's page; only those who gave it are invited, once, with the peer and host links."""

from __future__ import annotations

import pytest

from app.extensions import db
from app.models import Invitation, MailKind, OutgoingMail, Registration
from app.services.programmes import invitations
from app.services.programmes import peer_challenge_teams as teams
from app.services.programmes.mentoring_messages import invitation_message as mentoring_invitation
from app.services.programmes.peer_challenge_messages import invitation_message
from app.services.programmes.programmes import ProgrammeError, join_token
from app.services.registration import lifecycle
from tests.app.peer_challenge_helpers import add_host, add_peer, make_round
from tests.app.programme_helpers import make_programme
from tests.app.test_programmes_invitations import FORM, make_past, register


def queued(kind: MailKind) -> list[OutgoingMail]:
    return list(db.session.scalars(db.select(OutgoingMail).where(OutgoingMail.kind == kind.value)))


def test_the_peer_challenge_consent_is_its_own_and_off_unless_ticked(client, event):
    url = f"/events/{event.slug}/register"
    form = client.get(url).get_data(as_text=True)
    assert "Tell me about peer challenges" in form
    assert "Tell me about mentoring schemes and secondments" in form
    client.submit(url, {**FORM, "hear_of_programmes": "y"})
    client.submit(url, {**FORM, "email": "peer@example.org", "hear_of_peer_challenges": "y"})
    found = {
        r.email: (r.hear_of_programmes, r.hear_of_peer_challenges)
        for r in db.session.scalars(db.select(Registration))
    }
    assert found == {"rita@example.org": (True, False), "peer@example.org": (False, True)}
    rita = db.session.scalar(db.select(Registration).where(Registration.email == FORM["email"]))
    page = f"/r/{rita.token}"
    assert "Tell me about peer challenges" in client.get(page).get_data(as_text=True)
    client.submit(f"{page}/peer-challenges", form_url=page)
    db.session.refresh(rita)
    assert (rita.hear_of_programmes, rita.hear_of_peer_challenges) == (True, True)
    assert "Stop telling me about peer challenges" in client.get(page).get_data(as_text=True)
    client.submit(f"{page}/peer-challenges", form_url=page)
    db.session.refresh(rita)
    assert (rita.hear_of_programmes, rita.hear_of_peer_challenges) == (True, False)
    lifecycle.erase(rita)
    assert rita.hear_of_peer_challenges is False


def test_only_those_who_asked_to_hear_of_peer_challenges_are_invited(signed_in, organiser, event):
    make_past(event)
    peer_yes = register(event, "Pat Peer", "pat@example.org", hear=False)
    peer_yes.hear_of_peer_challenges = True
    register(event, "Mo Mentoring", "mo@example.org", hear=True)  # mentoring and secondments only
    db.session.commit()
    programme = make_round(organiser)
    url = f"/organise/programmes/{programme.id}/peer-challenge/invite"
    assert "Invite your past events" in signed_in.get(
        f"/organise/programmes/{programme.id}"
    ).get_data(as_text=True)
    ask = signed_in.get(url).get_data(as_text=True)
    assert "1 person would be invited" in ask and "Pat Peer" in ask and "Mo Mentoring" not in ask
    assert signed_in.submit(url).status_code == 302
    (sent,) = queued(MailKind.PEER_CHALLENGE_INVITATION)
    assert sent.registration_id == peer_yes.id and sent.options == {"programme_id": programme.id}
    assert queued(MailKind.PROGRAMME_INVITATION) == []
    assert db.session.get(Invitation, (programme.id, "pat@example.org")) is not None
    assert invitations.invite(programme, organiser) == 0
    text = invitation_message(peer_yes, programme.id).get_content()
    assert "you asked to hear about peer challenges" in text.replace("\n", " ")
    for side in ("peer", "host"):
        assert f"/peer-challenge/join/{join_token(programme, side)}" in text
    assert f"/r/{peer_yes.token}" in text
    # The mentoring side's invitation is for its own kinds and consent only.
    mentoring = make_programme(organiser, name="Mentors")
    assert [r.email for r in invitations.invitable(mentoring, organiser)] == ["mo@example.org"]
    assert mentoring_invitation(peer_yes, programme.id) is None
    peer_yes.hear_of_peer_challenges = False
    db.session.commit()
    assert invitation_message(peer_yes, programme.id) is None


def test_a_published_round_invites_nobody(app, organiser, event):
    make_past(event)
    pat = register(event, "Pat Peer", "pat@example.org", hear=False)
    pat.hear_of_peer_challenges = True
    db.session.commit()
    programme = make_round(organiser)
    west = add_host(programme, "Westshire Council", "Local government", {"officer": 1})
    teams.put(programme, west, add_peer(programme, "Eve Officer", "Medway NHS", "NHS", "officer"))
    teams.publish(programme)
    with pytest.raises(ProgrammeError, match="The teams are published"):
        invitations.invite(programme, organiser)
