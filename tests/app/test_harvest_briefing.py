"""The briefing: gathered from approved cards only, refused while a card names someone, public
only once published, as a page and a PDF."""

from __future__ import annotations

import io

from pypdf import PdfReader

from app.extensions import db
from app.models import BriefingStatus, CardStatus, Registration, RegistrationStatus
from app.services.accounts import api_tokens
from app.services.harvest import briefing as briefings
from app.services.harvest import themes
from app.services.tokens import new_token
from tests.app.harvest_helpers import card
from tests.app.test_api import bearer, conforms

BRIEFING = "/organise/events/{slug}/harvest/briefing"


def test_the_briefing_is_gathered_from_approved_cards_only(event, seated):
    approved = [
        card(
            event,
            t,
            status=CardStatus.APPROVED,
            what=f"Table {t} saw referrals lost.",
            did_not_work=f"The shared inbox at table {t}.",
            now_what="Meet every month.",
        )
        for t in (1, 2, 3)
    ]
    approved[0].commitments = [{"action": "Map referrals", "owner": "Housing"}]
    approved[1].commitments = [
        {"action": "Share the form", "owner": "housing"},
        {"action": "Tell us", "owner": ""},
    ]
    card(event, 4, what="Pending: not yet checked", did_not_work="Pending setback")
    theme = themes.create_theme(event, "Referrals", approved)
    db.session.commit()

    content = briefings.content(event)
    assert content.convenors == [o.name for o in event.convenors]
    assert (content.attendees, content.sectors, content.tables, content.cards) == (36, 6, 3, 3)
    assert content.setbacks == [f"The shared inbox at table {t}." for t in (1, 2, 3)]
    assert content.differently == ["Meet every month."]
    assert "Pending setback" not in repr(content)
    [section] = content.themes
    assert section.theme.id == theme.id and section.evidence.sectors == 6
    assert 1 <= len(section.quotations) <= 3
    assert content.commitments == {
        "Housing": ["Map referrals", "Share the form"],
        briefings.NO_OWNER: ["Tell us"],
    }


def test_small_groups_are_not_counted(event, seated):
    for registration in seated[2:]:
        registration.status = RegistrationStatus.CANCELLED
    db.session.commit()
    content = briefings.content(event)
    assert content.attendees is None and content.sectors is None


def test_draft_approve_publish_and_the_public_page(signed_in, client, event, seated):
    card(event, 1, status=CardStatus.APPROVED, did_not_work="Funding cycles clashed.")
    address = BRIEFING.format(slug=event.slug)
    public = f"/events/{event.slug}/briefing"
    assert signed_in.get(address).status_code == 200
    assert client.get(public).status_code == 404

    signed_in.submit(address, {"summary": "Tables agreed.\n\nFunding is the knot."})
    signed_in.submit(f"{address}/publish", {"confirm": "yes"}, form_url=address)
    briefing = briefings.briefing_for(event)
    assert briefing.status == BriefingStatus.DRAFT  # approve comes first
    signed_in.submit(f"{address}/approve", form_url=address)
    signed_in.submit(f"{address}/publish", form_url=address)  # without the confirmation
    db.session.refresh(briefing)
    assert briefing.status == BriefingStatus.APPROVED
    signed_in.submit(f"{address}/publish", {"confirm": "yes"}, form_url=address)
    db.session.refresh(briefing)
    assert briefing.status == BriefingStatus.PUBLISHED

    page = client.get(public).get_data(as_text=True)
    assert "Funding cycles clashed." in page and "Funding is the knot." in page
    assert "Chatham House Rule" in page
    assert not any(r.name in page for r in seated)

    pdf = client.get(f"{public}.pdf")
    assert pdf.mimetype == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "Funding cycles clashed." in text and event.title in text

    signed_in.submit(f"{address}/draft", form_url=address)
    assert client.get(public).status_code == 404


def test_publishing_is_refused_while_a_card_names_someone(signed_in, event, seated):
    written = card(event, 1, status=CardStatus.APPROVED, what="Zanele Dube rebuilt the rota.")
    address = BRIEFING.format(slug=event.slug)
    signed_in.submit(f"{address}/approve", form_url=address)
    briefing = briefings.briefing_for(event)
    assert briefing.status == BriefingStatus.APPROVED
    # She registers after the card was approved: the card now identifies her.
    db.session.add(
        Registration(
            event=event,
            token=new_token(),
            name="Zanele Dube",
            email="zanele@example.org",
            consent=True,
            status=RegistrationStatus.CONFIRMED,
        )
    )
    db.session.commit()
    response = signed_in.submit(f"{address}/publish", {"confirm": "yes"}, form_url=address)
    db.session.refresh(briefing)
    assert briefing.status == BriefingStatus.APPROVED
    page = signed_in.get(response.location).get_data(as_text=True)
    assert f"(#{written.id}) now mention someone who registered" in page


def test_only_organisers_and_harvest_editors_reach_the_briefing(client, event, seated):
    address = BRIEFING.format(slug=event.slug)
    assert client.get(address).status_code == 302
    assert client.get(f"{address}.pdf").status_code == 302


def test_the_api_gives_approved_cards_and_themes_to_organisers(client, event, seated, organiser):
    approved = [card(event, t, status=CardStatus.APPROVED, what=f"Seen at {t}") for t in (1, 2)]
    approved[0].commitments = [{"action": "Map it", "owner": "Housing"}]
    card(event, 3, what="Pending words")
    themes.create_theme(event, "Seen", approved)
    db.session.commit()
    address = f"/api/v1/events/{event.slug}/harvest"
    assert client.get(address).status_code == 401
    token = api_tokens.create(organiser, "Harvest")[1]
    body = conforms(client.get(address, headers=bearer(token)), "/events/{slug}/harvest")
    assert [c["answers"][0]["text"] for c in body["cards"]] == ["Seen at 1", "Seen at 2"]
    assert (
        body["cards"][0]["table"] == 1 and body["cards"][0]["commitments"][0]["owner"] == "Housing"
    )
    assert "Pending words" not in str(body)
    [theme] = body["themes"]
    assert (theme["cards"], theme["tables"], theme["sectors"]) == (2, 2, None)


def test_attendees_are_told_and_shown_the_published_briefing(client, event, seated):
    registration = seated[0]
    manage = client.get(f"/r/{registration.token}").get_data(as_text=True)
    assert "without saying who said it" in manage
    assert f"/events/{event.slug}/briefing" not in manage
    briefing = briefings.briefing_for(event)
    briefings.approve(briefing)
    briefings.publish(briefing)
    assert f"/events/{event.slug}/briefing" in client.get(f"/r/{registration.token}").text
