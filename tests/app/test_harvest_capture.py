"""Capture at the table: the QR code on the table tent opens the table's page, cards are taken
from a phone with nothing that names anyone, and bad input or a closed harvest loses nothing."""

from __future__ import annotations

import logging

import pypdfium2
import pytest
import zxingcpp

from app.extensions import db
from app.models import Assignment, Card, CardStatus, Plan, PlanKind, PlanStatus, SessionKind
from app.services.harvest import capture
from tests.app.planning_helpers import add_attendees


def decoded_qr_codes(pdf: bytes) -> list[str]:
    """Every QR code on every page of the PDF, read back as a phone camera would."""
    found = []
    document = pypdfium2.PdfDocument(pdf)
    for page in document:
        image = page.render(scale=3).to_pil()
        found += [result.text for result in zxingcpp.read_barcodes(image)]
    return found


@pytest.fixture
def points(event):
    return capture.capture_points(event)


def test_every_table_in_every_round_and_every_breakout_has_a_stable_address(event, points):
    rounds = event.sessions_of(SessionKind.TABLE_ROUND)
    breakouts = [b for s in event.sessions_of(SessionKind.BREAKOUT_SLOT) for b in s.breakouts]
    assert len(points) == len(rounds) * len(event.tables) + len(breakouts)
    assert len({p.token for p in points}) == len(points)
    assert all(len(p.token) >= 43 for p in points)
    assert [p.token for p in capture.capture_points(event)] == [p.token for p in points]


def test_the_table_tent_qr_code_opens_that_tables_page(signed_in, event, points, app):
    response = signed_in.get(f"/organise/events/{event.slug}/print/table-tents.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    codes = decoded_qr_codes(response.data)
    rounds = event.sessions_of(SessionKind.TABLE_ROUND)
    # Each table's tent shows a code per round on both faces.
    assert len(codes) == 2 * len(rounds) * len(event.tables)
    public = app.config["PUBLIC_URL"].rstrip("/")
    assert all(code.startswith(f"{public}/t/") for code in codes)
    first = codes[0][len(public) :]
    page = signed_in.get(first).get_data(as_text=True)
    point = capture.point_for_token(first.rsplit("/", 1)[1])
    assert f"Table {point.table.number}: what did you learn?" in page
    assert point.session.title in page


def test_the_facilitator_sheet_carries_each_rounds_code(signed_in, event, points, app):
    attendees = add_attendees(event, 12)
    plan = Plan(event=event, kind=PlanKind.TABLES, status=PlanStatus.PUBLISHED)
    rounds = event.sessions_of(SessionKind.TABLE_ROUND)
    for session in rounds:
        for i, person in enumerate(attendees):
            table = event.tables[i % 2]
            plan.assignments.append(Assignment(registration=person, session=session, table=table))
    db.session.add(plan)
    db.session.commit()
    response = signed_in.get(f"/organise/events/{event.slug}/print/facilitator-sheets.pdf")
    codes = decoded_qr_codes(response.data)
    public = app.config["PUBLIC_URL"].rstrip("/")
    opened = {capture.point_for_token(code.rsplit("/", 1)[1]) for code in codes}
    # A sheet for every table, with a code for each of its rounds.
    assert {(p.session_id, p.table.number) for p in opened} == {
        (s.id, t.number) for s in rounds for t in event.tables
    }
    assert all(code.startswith(f"{public}/t/") for code in codes)


def send(client, token: str, **fields):
    data = {"answer-what": "Referrals got lost between teams.", **fields}
    return client.submit(f"/t/{token}", data)


def test_a_table_sends_several_cards_without_signing_in(client, event, points):
    point = points[0]
    response = send(
        client,
        point.token,
        **{
            "answer-did_not_work": "The shared inbox.",
            "tags": "Data, referrals, data",
            "action-0": "Map the referral route",
            "owner-0": "Housing officers",
        },
    )
    assert response.status_code == 302 and "saved=1" in response.location
    assert "Card saved" in client.get(response.location).text
    send(client, point.token, **{"answer-now_what": "Meet monthly."})
    cards = db.session.scalars(db.select(Card).order_by(Card.id)).all()
    assert len(cards) == 2
    first = cards[0]
    assert first.status == CardStatus.PENDING
    assert (first.session_id, first.table_id, first.breakout_id) == (
        point.session_id,
        point.table_id,
        None,
    )
    assert first.answers == {
        "what": "Referrals got lost between teams.",
        "did_not_work": "The shared inbox.",
    }
    assert first.tags == ["data", "referrals"]
    assert first.commitments == [{"action": "Map the referral route", "owner": "Housing officers"}]


def test_a_card_keeps_nothing_about_who_wrote_it(client, event, points, caplog):
    point = points[1]
    client.set_cookie("session_marker", "someone")
    with caplog.at_level(logging.INFO):
        send(client, point.token, headers={"User-Agent": "Phone of Priya"})
    columns = set(Card.__table__.columns.keys())
    assert columns == {
        "id",
        "event_id",
        "session_id",
        "table_id",
        "breakout_id",
        "answers",
        "tags",
        "commitments",
        "status",
        "theme_id",
        "created_at",
        "updated_at",
    }
    row = db.session.execute(db.select(Card.__table__)).one()._asdict()
    assert "Priya" not in repr(row) and "127.0.0.1" not in repr(row)
    assert point.token not in caplog.text


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"answer-what": "   "}, "Write something for at least one question."),
        ({"answer-what": "x" * 4001}, "Each answer can be at most 4,000 characters."),
        ({"tags": ",".join(f"t{i}" for i in range(11))}, "Give at most 10 tags."),
    ],
)
def test_bad_cards_are_refused_with_what_was_typed_kept(client, event, points, fields, message):
    response = send(client, points[0].token, **{"action-0": "Kept words", **fields})
    assert response.status_code == 422
    assert message in response.text and "Kept words" in response.text
    assert db.session.scalar(db.select(db.func.count(Card.id))) == 0


def test_a_closed_harvest_says_so_and_keeps_the_text(client, event, points):
    capture.close_harvest(event)
    response = send(client, points[0].token, **{"answer-so_what": "Late but true"})
    assert response.status_code == 422
    assert "closed the harvest" in response.text and "Late but true" in response.text
    assert db.session.scalar(db.select(db.func.count(Card.id))) == 0
    capture.reopen_harvest(event)
    assert send(client, points[0].token).status_code == 302


def test_an_unknown_address_reveals_nothing(client, event, points):
    response = client.get("/t/" + "A" * 43)
    assert response.status_code == 404
    assert event.title not in response.text


def test_cards_are_rate_limited_per_table(app, client, event, points):
    app.config["RATELIMIT_CARDS_PER_TABLE"] = "3 per hour"
    for _ in range(3):
        assert send(client, points[2].token).status_code == 302
    assert send(client, points[2].token).status_code == 429
    assert send(client, points[3].token).status_code == 302


def test_the_organiser_picks_and_rewords_a_rounds_questions(signed_in, event, points):
    round_one = event.sessions_of(SessionKind.TABLE_ROUND)[0]
    address = f"/organise/events/{event.slug}/harvest/prompts"
    page = signed_in.get(address).text
    assert "What? So what? Now what?" in page and points[0].token in page
    prefix = f"s{round_one.id}"
    signed_in.submit(address, {"session": round_one.id, f"{prefix}-template": "what_went_wrong"})
    signed_in.submit(
        address,
        {
            "session": round_one.id,
            f"{prefix}-template": "what_went_wrong",
            f"{prefix}-label-cost": "What did it cost the people you serve?",
        },
    )
    table_page = signed_in.get(f"/t/{points[0].token}").text
    assert "The setback: what went wrong?" in table_page
    assert "What did it cost the people you serve?" in table_page
    assert "Now what?" not in table_page

    signed_in.submit(f"/organise/events/{event.slug}/harvest/close", form_url=address)
    assert "closed the harvest" in signed_in.get(f"/t/{points[0].token}").text
    signed_in.submit(f"/organise/events/{event.slug}/harvest/reopen", form_url=address)
    assert "closed the harvest" not in signed_in.get(f"/t/{points[0].token}").text
