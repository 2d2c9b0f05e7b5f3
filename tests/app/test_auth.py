"""Sign-in, sign-out, and that every organiser page is behind it."""

import pytest

from app.extensions import db
from app.models import User
from tests.conftest import PASSWORD

ORGANISER_PAGES = [
    "/organise/",
    "/organise/events/new",
    "/organise/events/learning-day",
    "/organise/events/learning-day/edit",
    "/organise/events/learning-day/sessions/new",
    "/organise/events/learning-day/tables/new",
]


@pytest.mark.parametrize("url", ORGANISER_PAGES)
def test_organiser_pages_need_sign_in(client, event, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_organiser_posts_need_sign_in(client, event):
    response = client.post("/organise/events/learning-day/close")
    assert response.status_code in (302, 400)
    assert db.session.get(type(event), event.id).status.value == "published"


def test_sign_in_then_out(client, organiser):
    page = client.get("/login")
    assert b'name="email"' in page.data and b'name="password"' in page.data
    response = client.submit("/login", {"email": "ORG@example.org ", "password": PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == "/organise/"
    assert client.get("/organise/").status_code == 200
    client.submit("/logout", form_url="/organise/")
    assert client.get("/organise/").status_code == 302


def test_wrong_password_says_so_without_saying_which_part(client, organiser):
    for email in (organiser.email, "nobody@example.org"):
        response = client.submit("/login", {"email": email, "password": "wrong password!"})
        assert response.status_code == 200
        assert "The email or password is not right." in response.get_data(as_text=True)
        assert email.encode() in response.data  # what was typed is kept


def test_inactive_organiser_cannot_sign_in(client, organiser):
    organiser.active = False
    db.session.commit()
    response = client.submit("/login", {"email": organiser.email, "password": PASSWORD})
    assert response.status_code == 200
    assert client.get("/organise/").status_code == 302


def test_login_without_csrf_token_is_refused(client, organiser):
    response = client.post("/login", data={"email": organiser.email, "password": PASSWORD})
    assert response.status_code == 400
    assert "expired or was sent from elsewhere" in response.get_data(as_text=True)
    assert client.get("/organise/").status_code == 302


@pytest.mark.parametrize(
    ("next_url", "lands_on"),
    [
        ("/organise/events/new", "/organise/events/new"),
        ("https://evil.example/steal", "/organise/"),
        ("//evil.example/steal", "/organise/"),
        ("/\\evil.example", "/organise/"),
    ],
)
def test_next_only_leads_within_the_site(client, organiser, next_url, lands_on):
    response = client.submit(
        f"/login?next={next_url}", {"email": organiser.email, "password": PASSWORD}
    )
    assert response.headers["Location"] == lands_on


def test_passwords_are_stored_hashed(organiser):
    assert PASSWORD not in organiser.password_hash
    assert organiser.password_hash.startswith("scrypt:")


def test_create_organiser_command_with_password_from_stdin(app):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["create-organiser", "New@Example.org", "--password-stdin"],
        input="a long enough secret\n",
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(db.select(User).where(User.email == "new@example.org"))
    assert user is not None and user.check_password("a long enough secret")
    assert "a long enough secret" not in result.output


def test_create_organiser_command_generates_and_shows_a_password(app):
    result = app.test_cli_runner().invoke(args=["create-organiser", "gen@example.org"])
    assert result.exit_code == 0
    password = result.output.split("Password (shown once): ")[1].strip()
    user = db.session.scalar(db.select(User).where(User.email == "gen@example.org"))
    assert user.check_password(password)


@pytest.mark.parametrize(
    ("email", "password", "message"),
    [
        ("not-an-email", "a long enough secret", "not a valid email address"),
        ("org@example.org", "a long enough secret", "already exists"),
        ("short@example.org", "short", "at least 12 characters"),
    ],
)
def test_create_organiser_command_rejects_bad_input(app, organiser, email, password, message):
    result = app.test_cli_runner().invoke(
        args=["create-organiser", email, "--password-stdin"], input=password + "\n"
    )
    assert result.exit_code != 0
    assert message in result.output
