"""Links that leave the site (mail, calendar files) are built on PUBLIC_URL, never on the Host
header of a request, which whoever sends the request chooses; other Host headers are refused."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

import config
from app import create_app
from app.extensions import db
from app.models import OutgoingMail
from app.services.messaging.transport import outbox_messages
from tests.app.test_api_registration import URL as API_REGISTER
from tests.app.test_api_registration import person
from tests.conftest import make_config

PUBLIC = "https://convene.example.org"
# A second name the site answers to, e.g. the one a reverse proxy uses inside the network.
INTERNAL = "convene.internal"


@pytest.fixture
def public_app(app):
    app.config["PUBLIC_URL"] = PUBLIC
    app.config["TRUSTED_HOSTS"] = [*app.config["TRUSTED_HOSTS"], INTERNAL]
    return app


def mail_count() -> int:
    return db.session.scalar(select(func.count(OutgoingMail.id)))


def test_a_forged_host_cannot_steal_a_private_link(client, event, app):
    """The attack: re-register a victim's email with our own Host, so that the "you are already
    registered" mail carries their private link on our site."""
    assert client.post(API_REGISTER, json=person()).status_code == 201
    before = mail_count()
    response = client.post(API_REGISTER, json=person(), headers={"Host": "evil.example"})
    assert response.status_code == 400
    assert response.is_json
    assert mail_count() == before
    for message in outbox_messages(app.config["MAIL_OUTBOX_DIR"]):
        assert "evil.example" not in message.as_string()


def test_forwarded_hosts_from_a_trusted_proxy_are_checked_too(tmp_path):
    settings = make_config(tmp_path)
    settings.TRUSTED_PROXIES = 1
    client = create_app(settings).test_client()
    assert client.get("/login", headers={"X-Forwarded-Host": "evil.example"}).status_code == 400
    assert client.get("/login", headers={"X-Forwarded-Host": "localhost"}).status_code == 200


def test_mail_links_use_the_public_address_whatever_host_was_asked(public_app, client, event):
    client.post(API_REGISTER, json=person(), base_url=f"http://{INTERNAL}")
    response = client.post(API_REGISTER, json=person(), base_url=f"http://{INTERNAL}")
    assert response.status_code == 409
    confirmation, already_registered = outbox_messages(public_app.config["MAIL_OUTBOX_DIR"])
    for message in (confirmation, already_registered):
        body = message.get_body(("plain",)).get_content()
        assert f"{PUBLIC}/r/" in body
        assert INTERNAL not in body


def test_the_public_programme_file_links_to_the_public_address(public_app, client, event):
    response = client.get(f"/events/{event.slug}/programme.ics", base_url=f"http://{INTERNAL}")
    assert response.status_code == 200
    calendar = response.get_data(as_text=True)
    assert f"URL:{PUBLIC}/events/{event.slug}" in calendar
    assert INTERNAL not in calendar


def test_a_development_server_answers_only_its_own_names(tmp_path, monkeypatch):
    monkeypatch.delenv("PUBLIC_URL", raising=False)
    monkeypatch.delenv("TRUSTED_HOSTS", raising=False)
    monkeypatch.setenv("CONVENE_INSTANCE_PATH", str(tmp_path))
    settings = config.DevelopmentConfig()
    settings.SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'dev.sqlite3'}"
    client = create_app(settings).test_client()
    assert settings.PUBLIC_URL == config.DEVELOPMENT_URL
    for name in ("127.0.0.1:5000", "localhost:5000"):
        assert client.get("/login", base_url=f"http://{name}").status_code == 200
    assert client.get("/login", base_url="http://evil.example:5000").status_code == 400
