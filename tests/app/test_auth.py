"""Sign-in, sign-out, and that every organiser page is behind it; that signing out ends a
session, password changes, and resets by an emailed link."""

import re
from datetime import timedelta
from urllib.parse import urljoin, urlsplit

import pytest

from app.extensions import db
from app.models import PasswordReset, User
from app.services.accounts.password_resets import RESETS_PER_HOUR
from app.services.messaging.transport import outbox_messages
from tests.app.browsers import Browser, browser, look_again
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


def browser_resolves(location: str, base: str = "http://localhost/login") -> tuple[str, str]:
    """Where a browser goes for this Location (WHATWG URL parsing: tabs and newlines dropped,
    leading and trailing spaces trimmed, a backslash read as a slash): (scheme, host)."""
    cleaned = "".join(c for c in location if c not in "\t\n\r").strip(" \x00-\x1f")
    target = urlsplit(urljoin(base, cleaned.replace("\\", "/")))
    if target.scheme in ("http", "https") and not target.netloc:
        # "https:x" from an http page: a browser reads "x" as the host.
        return target.scheme, target.path.lstrip("/").split("/")[0]
    return target.scheme, target.netloc


KEPT_NEXT = ["/organise/events/new", "/organise/events/new?tab=2", "/organise/?q=a%2Fb#top"]
REFUSED_NEXT = [
    "https://evil.example/steal",
    "//evil.example/steal",
    "////evil.example/phish",
    "///evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/%2F%2Fevil.example",
    "/%2f/evil.example",
    "/%5Cevil.example",
    "/%5C%5Cevil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "/\r\n/evil.example",
    "\t//evil.example",
    " //evil.example",
    "/%09/evil.example",
    "https:evil.example",
    "http:/evil.example",
    "HTTPS://evil.example",
    "javascript:alert(1)",
    "/.//evil.example",
    "/%2E//evil.example",
    "/./%2F/evil.example",
    "/../evil.example",
    "evil.example",
    "/\u2028/evil.example",
    "/\uff0f/evil.example",
]


def test_next_only_leads_within_the_site(signed_in):
    """Each variant as a signed-in organiser opening the sign-in page with it (the same check as
    after signing in, without a password hash per variant)."""
    wrong = {}
    for next_url in KEPT_NEXT + REFUSED_NEXT:
        location = signed_in.get("/login", query_string={"next": next_url}).headers["Location"]
        expected = next_url if next_url in KEPT_NEXT else "/organise/"
        if location != expected or browser_resolves(location) != ("http", "localhost"):
            wrong[next_url] = location
    assert wrong == {}


def test_the_browser_model_of_the_test_sees_the_attacks():
    """The check above means something only if it would catch the old answers."""
    assert browser_resolves("//evil.example/phish")[1] == "evil.example"
    assert browser_resolves("/\\evil.example")[1] == "evil.example"
    assert browser_resolves("/\t/evil.example")[1] == "evil.example"
    assert browser_resolves("https:evil.example")[1] == "evil.example"


def test_next_is_followed_after_signing_in(client, organiser):
    response = client.submit(
        "/login?next=////evil.example/phish", {"email": organiser.email, "password": PASSWORD}
    )
    assert response.headers["Location"] == "/organise/"


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


# --- sessions end when they should ---------------------------------------------------------

NEW_PASSWORD = "a brand new passphrase"


def copy_of_cookies(app, original: Browser) -> Browser:
    """Another browser holding a copy of `original`'s session cookie, as a thief would."""
    thief = browser(app, "203.0.113.66")
    thief.set_cookie("session", original.get_cookie("session").value)
    return thief


def test_a_copied_session_cookie_stops_working_after_sign_out(app, organiser):
    owner = browser(app)
    owner.sign_in(organiser.email)
    thief = copy_of_cookies(app, owner)
    assert thief.signed_in()  # a copy works while the sign-in lasts...
    owner.submit("/logout", form_url="/organise/")
    assert not owner.signed_in()
    assert not thief.signed_in()  # ...and not after it


def test_signing_out_leaves_the_organisers_other_browsers_signed_in(app, organiser):
    laptop, phone = browser(app), browser(app)
    laptop.sign_in(organiser.email)
    phone.sign_in(organiser.email)
    laptop.submit("/logout", form_url="/organise/")
    assert not laptop.signed_in()
    assert phone.signed_in()


def test_sign_out_everywhere_ends_every_session(app, organiser):
    laptop, phone = browser(app), browser(app)
    laptop.sign_in(organiser.email)
    phone.sign_in(organiser.email)
    thief = copy_of_cookies(app, phone)
    page = laptop.get("/account/password").get_data(as_text=True)
    assert "Sign out everywhere" in page
    response = laptop.submit("/logout/everywhere", form_url="/account/password")
    assert response.headers["Location"] == "/login"
    assert [b.signed_in() for b in (laptop, phone, thief)] == [False, False, False]
    assert laptop.sign_in(organiser.email).status_code == 302  # the password still works


def test_changing_the_password_signs_out_every_other_browser(app, organiser):
    laptop, phone = browser(app), browser(app)
    laptop.sign_in(organiser.email)
    phone.sign_in(organiser.email)
    response = laptop.submit(
        "/account/password",
        {"current": PASSWORD, "password": NEW_PASSWORD, "again": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert "Every other browser is signed out" in laptop.get("/organise/").get_data(as_text=True)
    assert laptop.signed_in()
    assert not phone.signed_in()
    assert phone.sign_in(organiser.email, PASSWORD).status_code == 200  # the old one is refused
    assert phone.sign_in(organiser.email, NEW_PASSWORD).status_code == 302


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            {"current": "not my password", "again": NEW_PASSWORD},
            "That is not your current password.",
        ),
        ({"password": "too short", "again": "too short"}, "at least 12 characters"),
        ({"again": "something else entirely"}, "The two new passwords are not the same."),
        ({"password": PASSWORD, "again": PASSWORD}, "the same as the current one"),
        ({"current": ""}, "This field is required."),
    ],
)
def test_a_password_change_refuses_bad_input_and_says_why(app, organiser, fields, message):
    organiser_browser = browser(app)
    organiser_browser.sign_in(organiser.email)
    form = {"current": PASSWORD, "password": NEW_PASSWORD, "again": NEW_PASSWORD, **fields}
    response = organiser_browser.submit("/account/password", form)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert organiser_browser.signed_in()
    look_again()
    assert organiser.check_password(PASSWORD)


def test_the_password_page_needs_sign_in(client):
    response = client.get("/account/password")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


# --- a forgotten password -------------------------------------------------------------------

RESET_LINK = re.compile(r"http://localhost/reset-password/([A-Za-z0-9_-]+)")
SAME_ANSWER = "a link to choose a new password is on its way there. It works once, for an hour."


def mails(app) -> list:
    return outbox_messages(app.config["MAIL_OUTBOX_DIR"])


def ask_for_reset(app, email: str, address: str = "127.0.0.1"):
    someone = browser(app, address)
    response = someone.submit("/forgot-password", {"email": email})
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    return someone.get("/login").get_data(as_text=True)


def reset_link(app) -> str:
    [mail] = [m for m in mails(app) if m["Subject"] == "Choose a new Convene password"]
    match = RESET_LINK.search(mail.get_content())
    assert match, mail.get_content()
    return match.group(0).removeprefix("http://localhost")


def test_the_sign_in_page_offers_a_reset(client):
    assert 'href="/forgot-password"' in client.get("/login").get_data(as_text=True)


def test_a_reset_link_is_mailed_and_works_once(app, organiser):
    signed_in_elsewhere = browser(app)
    signed_in_elsewhere.sign_in(organiser.email)
    assert SAME_ANSWER in ask_for_reset(app, "ORG@example.org ")
    [mail] = mails(app)
    assert mail["To"] == organiser.email
    link = reset_link(app)

    someone = browser(app, "198.51.100.20")
    assert "Choose a new password" in someone.get(link).get_data(as_text=True)
    response = someone.submit(link, {"password": NEW_PASSWORD, "again": NEW_PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert "Your password is changed" in someone.get("/login").get_data(as_text=True)
    assert not signed_in_elsewhere.signed_in()  # every session ended
    assert someone.sign_in(organiser.email, PASSWORD).status_code == 200
    assert someone.sign_in(organiser.email, NEW_PASSWORD).status_code == 302

    again = browser(app, "198.51.100.21").get(link)
    assert again.status_code == 404
    assert "This link to choose a new password no longer works" in again.get_data(as_text=True)


def test_a_reset_asks_for_a_good_password(app, organiser):
    ask_for_reset(app, organiser.email)
    link, someone = reset_link(app), browser(app)
    response = someone.submit(link, {"password": "short", "again": "short"})
    assert response.status_code == 200
    assert "at least 12 characters" in response.get_data(as_text=True)
    response = someone.submit(link, {"password": NEW_PASSWORD, "again": "not the same at all"})
    assert "The two new passwords are not the same." in response.get_data(as_text=True)
    assert someone.get(link).status_code == 200  # still usable


def test_a_reset_answers_alike_whether_or_not_the_account_exists(app, organiser):
    assert SAME_ANSWER in ask_for_reset(app, "nobody@example.org")
    organiser.active = False
    db.session.commit()
    assert SAME_ANSWER in ask_for_reset(app, organiser.email)
    assert mails(app) == []


def test_a_reset_link_expires(app, organiser):
    ask_for_reset(app, organiser.email)
    link = reset_link(app)
    # An hour and a minute later:
    look_again()
    reset = db.session.scalar(db.select(PasswordReset))
    reset.expires_at = reset.created_at - timedelta(minutes=1)
    db.session.commit()
    response = browser(app).get(link)
    assert response.status_code == 404
    assert "more than an hour old" in response.get_data(as_text=True)


def test_a_reset_link_dies_when_the_password_changes_another_way(app, organiser):
    ask_for_reset(app, organiser.email)
    link, organiser_browser = reset_link(app), browser(app)
    organiser_browser.sign_in(organiser.email)
    organiser_browser.submit(
        "/account/password",
        {"current": PASSWORD, "password": NEW_PASSWORD, "again": NEW_PASSWORD},
    )
    assert browser(app).get(link).status_code == 404


@pytest.mark.parametrize("token", ["x", "A" * 43, "A" * 500])
def test_a_made_up_reset_link_is_not_found(app, organiser, token):
    ask_for_reset(app, organiser.email)
    response = browser(app).get(f"/reset-password/{token}")
    assert response.status_code == 404
    assert "Ask for a new link" in response.get_data(as_text=True)
    forged = browser(app).post(
        f"/reset-password/{token}",
        data={"csrf_token": browser(app).csrf_token("/login"), "password": NEW_PASSWORD},
    )
    assert forged.status_code in (400, 404)
    look_again()
    assert organiser.check_password(PASSWORD)


def test_no_working_reset_token_is_stored(app, organiser):
    """A copy of the database must not open the link: neither the reset row nor the outbox row
    holds the token."""
    ask_for_reset(app, organiser.email)
    token = reset_link(app).rsplit("/", 1)[1]
    with db.engine.connect() as connection:
        for table in ("password_reset", "outgoing_mail"):
            for row in connection.execute(db.text(f"SELECT * FROM {table}")):
                assert token not in repr(tuple(row)), table


def test_an_account_is_sent_only_a_few_reset_links_an_hour(app, organiser):
    for n in range(5):
        ask_for_reset(app, organiser.email, address=f"198.51.100.{n + 1}")
    assert len(mails(app)) == RESETS_PER_HOUR


def test_requests_for_reset_links_are_limited_per_address(app, organiser):
    limit = int(app.config["RATELIMIT_PASSWORD_RESET"].split()[0])
    someone = browser(app, "198.51.100.30")
    token = someone.csrf_token("/forgot-password")
    for n in range(limit):
        someone.post("/forgot-password", data={"csrf_token": token, "email": f"n{n}@example.org"})
    refused = someone.post("/forgot-password", data={"csrf_token": token, "email": "x@example.org"})
    assert refused.status_code == 429


def test_reset_organiser_password_command_signs_out_everywhere(app, organiser):
    organiser_browser = browser(app)
    organiser_browser.sign_in(organiser.email)
    look_again()  # the command runs in the test's app context, so with its database session
    result = app.test_cli_runner().invoke(
        args=["reset-organiser-password", "Org@Example.org", "--password-stdin"],
        input=NEW_PASSWORD + "\n",
    )
    assert result.exit_code == 0, result.output
    assert NEW_PASSWORD not in result.output
    assert not organiser_browser.signed_in()
    assert organiser_browser.sign_in(organiser.email, NEW_PASSWORD).status_code == 302


@pytest.mark.parametrize(
    ("email", "password", "message"),
    [
        ("nobody@example.org", NEW_PASSWORD, "there is no organiser with email nobody@example.org"),
        ("org@example.org", "short", "at least 12 characters"),
    ],
)
def test_reset_organiser_password_command_rejects_bad_input(
    app, organiser, email, password, message
):
    result = app.test_cli_runner().invoke(
        args=["reset-organiser-password", email, "--password-stdin"], input=password + "\n"
    )
    assert result.exit_code != 0
    assert message in result.output
