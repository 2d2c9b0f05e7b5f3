"""Peer-challenge teams under real concurrency: organisers in several browsers filling the same
last place, or giving one peer more teams than offered, at the same moment, through the app
behind a real HTTP server (on SQLite and, when TEST_DATABASE_URL is set, PostgreSQL). The check
and the write of each change run under the round's lock (programmes.locked_programme), so no
slot is filled twice and no peer goes beyond what they offered."""

from __future__ import annotations

import re
import urllib.parse

from app.extensions import db
from app.models import PeerPlace
from tests.app import test_concurrency
from tests.app.peer_challenge_helpers import add_host, add_peer, make_round
from tests.app.test_concurrency import Browser, all_at_once
from tests.conftest import PASSWORD

# That module's app (rate limits off: every browser shares one loopback address) and server.
app, server = test_concurrency.app, test_concurrency.server

SECTORS = ("NHS and health", "Police and justice", "Fire and rescue", "Voluntary and community")


def signed_in_browser(base: str, email: str) -> Browser:
    browser = Browser(base)
    status, _ = browser.submit("/login", {"email": email, "password": PASSWORD})
    assert status == 302
    return browser


def post_from(browser: Browser, page: str, action: str, fields: dict) -> int:
    """Post a form of `page` (its CSRF token read from it) to `action`; the status."""
    status, body = browser.request("GET", page)
    assert status == 200
    token = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', body).group(1).decode()
    data = urllib.parse.urlencode({**fields, "csrf_token": token}).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    return browser.request("POST", action, data, headers)[0]


def places() -> list[PeerPlace]:
    db.session.rollback()  # see what the server's threads committed
    return list(db.session.scalars(db.select(PeerPlace)))


def test_organisers_filling_the_same_last_place_at_once_fill_it_once(server, organiser):
    programme = make_round(organiser)
    west = add_host(programme, "Westshire Council", "Local government", {"officer": 1})
    officers = [
        add_peer(programme, f"Peer{i} Officer", f"Trust {i}", SECTORS[i % 4], "officer")
        for i in range(6)
    ]
    page = f"/organise/programmes/{programme.id}"
    browsers = [signed_in_browser(server, organiser.email) for _ in officers]
    west_id, officer_ids = west.id, [m.id for m in officers]  # the threads have no app context

    def put(i: int) -> int:
        fields = {"host": west_id, "peer": officer_ids[i]}
        return post_from(browsers[i], page, f"{page}/peer-challenge/put", fields)

    assert all_at_once(len(officers), put) == [302] * len(officers)
    (place,) = places()
    assert place.host_id == west_id


def test_a_peer_offered_once_put_on_two_teams_at_once_goes_on_one(server, organiser):
    programme = make_round(organiser)
    hosts = [
        add_host(programme, f"{name} Council", "Local government", {"officer": 1})
        for name in ("Westshire", "Northshire", "Eastshire", "Southshire")
    ]
    eve = add_peer(programme, "Eve Officer", "Medway NHS", "NHS and health", "officer")
    page = f"/organise/programmes/{programme.id}"
    browsers = [signed_in_browser(server, organiser.email) for _ in hosts]
    host_ids, eve_id = [m.id for m in hosts], eve.id  # the threads have no app context

    def put(i: int) -> int:
        fields = {"host": host_ids[i], "peer": eve_id}
        return post_from(browsers[i], page, f"{page}/peer-challenge/put", fields)

    assert all_at_once(len(hosts), put) == [302] * len(hosts)
    assert [p.peer_id for p in places()] == [eve_id]
