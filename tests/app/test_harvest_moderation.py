"""Moderating the harvest: the identification check before approval, redaction, edits checked
again, themes with the 3-table breadth rule, suggestions, the CSV, and who may see it all."""

from __future__ import annotations

import csv
import io

import pytest
from flask import url_for

from app.extensions import db
from app.models import (
    CardStatus,
    MailKind,
    OutgoingMail,
    Plan,
    PlanStatus,
    User,
    UserRole,
    event_harvest_editors,
)
from app.services.harvest import themes
from tests.app.harvest_helpers import card
from tests.conftest import PASSWORD


def page(client, event) -> str:
    response = client.get(f"/organise/events/{event.slug}/harvest")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_a_card_naming_someone_cannot_be_approved_until_redacted(signed_in, event, seated):
    named = card(event, what="Priya Shah told us the referral form was lost twice.")
    text = page(signed_in, event)
    assert '<mark class="hit"' in text and "Replace with [a colleague]" in text

    url = f"/organise/events/{event.slug}/harvest/cards/{named.id}"
    refused = signed_in.submit(f"{url}/approve", form_url=f"/organise/events/{event.slug}/harvest")
    assert refused.status_code == 302
    db.session.refresh(named)
    assert named.status == CardStatus.PENDING
    assert "still mentions a name" in page(signed_in, event)

    signed_in.submit(f"{url}/redact-all", form_url=f"/organise/events/{event.slug}/harvest")
    db.session.refresh(named)
    assert "Priya" not in named.answers["what"] and "[a colleague]" in named.answers["what"]
    signed_in.submit(f"{url}/approve", form_url=f"/organise/events/{event.slug}/harvest")
    db.session.refresh(named)
    assert named.status == CardStatus.APPROVED


def test_one_mention_is_redacted_in_place(signed_in, event, seated):
    named = card(event, what="Omar Haddad and the Northshire Police team rebuilt the rota.")
    text = page(signed_in, event)
    assert "Replace with [a police force]" in text or "Replace with [a" in text
    start = named.answers["what"].index("Omar Haddad")
    url = f"/organise/events/{event.slug}/harvest/cards/{named.id}/redact"
    form = {"field": "what", "start": start, "end": start + len("Omar Haddad")}
    signed_in.submit(url, form, form_url=f"/organise/events/{event.slug}/harvest")
    db.session.refresh(named)
    assert named.answers["what"].startswith("[a colleague] and the")
    assert "Police" in named.answers["what"]  # the other mention waits for its own click


def test_an_edit_is_checked_again_and_sends_an_approved_card_back(signed_in, event, seated):
    approved = card(event, status=CardStatus.APPROVED)
    url = f"/organise/events/{event.slug}/harvest/cards/{approved.id}/edit"
    response = signed_in.submit(
        url, {"answer_what": "Ask person3@example.org for the template.", "tags": "Data, data"}
    )
    assert response.status_code == 302
    db.session.refresh(approved)
    assert approved.status == CardStatus.PENDING
    assert approved.tags == ["data"]
    assert "pending again" in page(signed_in, event)


def test_an_empty_edit_keeps_what_was_typed_and_says_why(signed_in, event, seated):
    written = card(event)
    url = f"/organise/events/{event.slug}/harvest/cards/{written.id}/edit"
    response = signed_in.submit(url, {"answer_what": "", "tags": "kept tag"})
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "A card needs at least one answer." in text and 'value="kept tag"' in text
    db.session.refresh(written)
    assert written.answers["what"].startswith("Sharing data")


def _sectors_seated(event, seated, tables: list[int]) -> int:
    """Sectors of the people at these tables in any round, counted from the rows themselves."""
    wanted = {event.tables[t - 1].id for t in tables}
    plan = db.session.scalar(db.select(Plan).where(Plan.status == PlanStatus.PUBLISHED))
    return len({a.registration.sector for a in plan.assignments if a.table_id in wanted})


def test_breadth_is_shown_only_from_three_tables(signed_in, event, seated):
    two = [card(event, t, status=CardStatus.APPROVED) for t in (1, 2)]
    theme = themes.create_theme(event, "Data sharing", two)
    db.session.commit()
    evidence = themes.evidence(theme)
    assert (evidence.cards, evidence.tables, evidence.sectors) == (2, 2, None)
    text = page(signed_in, event)
    assert "Fewer than 3 tables" in text and "sector" not in text.split("Data sharing")[1][:300]

    third = card(event, 3, round_index=1, status=CardStatus.APPROVED)
    themes.assign(third, theme)
    db.session.commit()
    evidence = themes.evidence(theme)
    assert evidence.tables == 3 and evidence.rounds == 2
    assert evidence.sectors == _sectors_seated(event, seated, [1, 2, 3]) == 6
    assert "came from 6 sectors" in page(signed_in, event)


def test_only_approved_cards_join_a_theme(event, seated):
    pending = card(event)
    with pytest.raises(ValueError, match="Only approved cards"):
        themes.assign(pending, themes.create_theme(event, "Anything", []))


def test_suggestions_group_cards_by_tag_and_by_words(signed_in, event, seated):
    words = [
        "Hospital discharge delays left people waiting for care packages.",
        "Discharge from hospital stalled while care packages were arranged.",
        "Care packages for hospital discharge came too late again.",
        "Our budget cycle does not match the voluntary sector's funding year.",
    ]
    made = [card(event, i + 1, status=CardStatus.APPROVED, what=w) for i, w in enumerate(words)]
    tagged = [card(event, 5 + i, status=CardStatus.APPROVED, what=f"Note {i}") for i in range(2)]
    for c in tagged:
        c.tags = ["housing"]
    db.session.commit()
    suggestions = themes.suggest(event)
    groups = [set(s.card_ids) for s in suggestions]
    assert {tagged[0].id, tagged[1].id} in groups
    assert {c.id for c in made[:3]} in groups
    assert all(made[3].id not in g for g in groups)

    discharge = next(s for s in suggestions if set(s.card_ids) == {c.id for c in made[:3]})
    assert "discharge" in discharge.title.lower() or "hospital" in discharge.title.lower()
    signed_in.submit(
        f"/organise/events/{event.slug}/harvest/themes",
        {"title": "Hospital discharge", "cards": " ".join(str(i) for i in discharge.card_ids)},
        form_url=f"/organise/events/{event.slug}/harvest",
    )
    theme = themes.themes_of(event)[0]
    assert theme.title == "Hospital discharge" and len(theme.cards) == 3
    assert {c.id for c in made[:3]} not in [set(s.card_ids) for s in themes.suggest(event)]


def test_csv_has_approved_cards_only_and_no_formulas(signed_in, event, seated):
    card(event, 1, status=CardStatus.APPROVED, what='=HYPERLINK("http://x")', now_what="Plan")
    card(event, 2, what="Pending words stay out")
    response = signed_in.get(f"/organise/events/{event.slug}/harvest.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert [r["answer"] for r in rows] == ['\'=HYPERLINK("http://x")', "Plan"]
    assert rows[0]["table"] == "1" and rows[0]["prompt"].startswith("What?")
    assert "Pending" not in response.get_data(as_text=True)


def test_forms_need_their_csrf_token(signed_in, event, seated):
    written = card(event)
    url = f"/organise/events/{event.slug}/harvest/cards/{written.id}/reject"
    assert signed_in.post(url).status_code == 400
    db.session.refresh(written)
    assert written.status == CardStatus.PENDING


def _sign_in(client, email: str, role: UserRole = UserRole.ORGANISER) -> User:
    user = User(email=email, role=role)
    user.set_password(PASSWORD)
    db.session.add(user)
    db.session.commit()
    client.submit("/login", {"email": email, "password": PASSWORD})
    return user


def test_only_the_events_organisers_and_harvest_editors_moderate(app, client, event, seated):
    card(event)
    address = f"/organise/events/{event.slug}/harvest"
    assert client.get(address).status_code == 302  # to sign in

    stranger = _sign_in(client, "other@example.org")
    assert client.get(address).status_code == 404
    assert client.get(f"{address}.csv").status_code == 404
    client.post("/logout", data={"csrf_token": client.csrf_token("/")})

    editor = _sign_in(client, "editor@example.org", UserRole.HARVEST_EDITOR)
    assert client.get(address).status_code == 404
    db.session.execute(event_harvest_editors.insert().values(event_id=event.id, user_id=editor.id))
    db.session.commit()
    assert "What the tables learned" in client.get(address).get_data(as_text=True)
    assert stranger.id != editor.id


ORGANISER_BLUEPRINTS = {
    "organise",
    "organisations",
    "planning",
    "printing",
    "organise_registrations",
}


def test_a_harvest_editor_reaches_no_organiser_page(app, client, event, seated):
    editor = _sign_in(client, "editor@example.org", UserRole.HARVEST_EDITOR)
    db.session.execute(event_harvest_editors.insert().values(event_id=event.id, user_id=editor.id))
    db.session.commit()
    walked = 0
    for rule in app.url_map.iter_rules():
        blueprint = rule.endpoint.partition(".")[0]
        if "GET" not in rule.methods or blueprint not in ORGANISER_BLUEPRINTS | {"api_tokens"}:
            continue
        values = {arg: 1 for arg in rule.arguments}
        values.update({k: v for k, v in {"slug": event.slug}.items() if k in rule.arguments})
        for arg in rule.arguments - {"slug"}:
            converter = rule._converters[arg].__class__.__name__
            values[arg] = 1 if "Integer" in converter or "DatabaseId" in converter else "table-plan"
        with app.test_request_context():
            address = url_for(rule.endpoint, **values)
        response = client.get(address)
        walked += 1
        if rule.endpoint == "organise.dashboard":
            assert response.status_code == 302 and response.location.endswith("/organise/harvests")
        else:
            assert response.status_code == 403, address
    assert walked > 20
    landing = client.get("/organise/harvests").get_data(as_text=True)
    assert event.title in landing
    assert "Your harvests</a>" in landing and ">Organise</a>" not in landing
    assert "What the tables learned" in client.get(f"/organise/events/{event.slug}/harvest").text


def test_an_organiser_gives_the_harvest_to_an_editor(signed_in, event, seated, app):
    address = f"/organise/events/{event.slug}/harvest/editors"
    response = signed_in.submit(address, {"email": "New.Editor@Example.org"})
    assert response.status_code == 302
    editor = db.session.scalar(db.select(User).where(User.email == "new.editor@example.org"))
    assert editor.role == UserRole.HARVEST_EDITOR
    mail = db.session.scalars(db.select(OutgoingMail)).all()
    assert [m.kind for m in mail] == [MailKind.PASSWORD_RESET]
    again = signed_in.submit(address, {"email": "new.editor@example.org"})
    assert "can already moderate" in again.get_data(as_text=True)
    bad = signed_in.submit(address, {"email": "not an address"})
    assert "not a valid email address" in bad.get_data(as_text=True)


def test_the_cli_gives_the_harvest_to_an_editor(app, event):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["create-harvest-editor", "ed@example.org", "--event", event.slug])
    assert result.exit_code == 0, result.output
    assert "Created harvest editor ed@example.org" in result.output
    missing = runner.invoke(args=["create-harvest-editor", "ed@example.org", "--event", "nope"])
    assert missing.exit_code != 0 and "there is no event 'nope'" in missing.output


def test_a_theme_is_renamed_and_summed_up_for_the_briefing(signed_in, event, seated):
    theme = themes.create_theme(event, "Data", [card(event, status=CardStatus.APPROVED)])
    db.session.commit()
    address = f"/organise/events/{event.slug}/harvest/themes/{theme.id}"
    signed_in.submit(
        address,
        {f"t{theme.id}-title": "Sharing data", f"t{theme.id}-summary": "Agreements took months."},
        form_url=f"/organise/events/{event.slug}/harvest",
    )
    db.session.refresh(theme)
    assert (theme.title, theme.summary) == ("Sharing data", "Agreements took months.")
    signed_in.submit(
        address,
        {f"t{theme.id}-title": "  ", f"t{theme.id}-summary": "x"},
        form_url=f"/organise/events/{event.slug}/harvest",
    )
    db.session.refresh(theme)
    assert theme.title == "Sharing data"
