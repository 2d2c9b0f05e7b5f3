"""Programmes: creating one, the list and the page, only for the programme's organisers."""

from __future__ import annotations

from app.extensions import db
from app.models import Programme, ProgrammeKind, User
from tests.conftest import PASSWORD


def other_organiser(client, email: str = "other@example.org") -> User:
    user = User(email=email, name="Other Organiser")
    user.set_password(PASSWORD)
    db.session.add(user)
    db.session.commit()
    return user


def test_the_pages_need_a_signed_in_organiser(client, organiser):
    assert client.get("/organise/programmes").status_code == 302
    assert client.get("/organise/programmes/1").status_code == 302


def test_an_organiser_creates_a_mentoring_scheme_and_sees_its_page(signed_in):
    dashboard = signed_in.get("/organise/").get_data(as_text=True)
    assert 'href="/organise/programmes"' in dashboard
    response = signed_in.submit(
        "/organise/programmes",
        {"kind": "mentoring", "name": "  Cross-sector   mentoring ", "description": "For 2027."},
    )
    assert response.status_code == 302
    programme = db.session.scalar(db.select(Programme))
    assert programme.kind == ProgrammeKind.MENTORING
    assert programme.name == "Cross-sector mentoring"
    assert response.headers["Location"] == f"/organise/programmes/{programme.id}"
    page = signed_in.get(response.headers["Location"]).get_data(as_text=True)
    assert "Cross-sector mentoring" in page and "Mentoring scheme" in page and "For 2027." in page
    listing = signed_in.get("/organise/programmes").get_data(as_text=True)
    assert f'href="/organise/programmes/{programme.id}"' in listing


def test_the_form_shows_its_errors_and_keeps_what_was_typed(signed_in):
    response = signed_in.submit(
        "/organise/programmes", {"kind": "", "name": "", "description": "Kept text"}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Choose the kind of programme." in page and "Give the programme a name." in page
    assert "Kept text" in page
    assert db.session.scalar(db.select(Programme)) is None


def test_the_form_needs_its_csrf_token(signed_in):
    response = signed_in.post("/organise/programmes", data={"kind": "mentoring", "name": "X"})
    assert response.status_code == 400
    assert db.session.scalar(db.select(Programme)) is None


def test_another_organiser_cannot_see_the_programme(signed_in, app):
    signed_in.submit("/organise/programmes", {"kind": "secondment", "name": "Secondments"})
    programme = db.session.scalar(db.select(Programme))
    other = other_organiser(signed_in)
    signed_in.post("/logout", data={"csrf_token": signed_in.csrf_token("/organise/")})
    signed_in.submit("/login", {"email": other.email, "password": PASSWORD})
    assert signed_in.get(f"/organise/programmes/{programme.id}").status_code == 404
    assert "Secondments" not in signed_in.get("/organise/programmes").get_data(as_text=True)
