"""Series of events: grouping, the series page, encounter history for the planner, and the
consent-gated list of the people an attendee sat with."""

from __future__ import annotations

import pytest

from app.extensions import db
from app.models import (
    Assignment,
    Card,
    CardStatus,
    Event,
    JobState,
    Organisation,
    Plan,
    PlanKind,
    PlanStatus,
    Registration,
    RegistrationStatus,
    Series,
    SessionKind,
    Theme,
    ThemeLink,
    User,
)
from app.services.planning import jobs, summaries, translation
from app.services.registration import lifecycle
from app.services.series.history import met_before
from app.services.tokens import new_token
from tests.app.planning_helpers import one_round_event
from tests.conftest import PASSWORD, future

SECTORS = [("Riverside City Council", "Local government"), ("Riverside NHS Trust", "Health")]


def make_event(organiser: User, slug: str, days: int, tables: int = 3, size: int = 4) -> Event:
    event = one_round_event(
        organiser, slug, future(days), tables=tables, size=size, capacity=40, hours=4
    )
    db.session.add(event)
    db.session.commit()
    return event


def organisation(name: str, sector: str) -> Organisation:
    found = db.session.scalar(db.select(Organisation).where(Organisation.name == name))
    return found or Organisation(name=name, sector=sector)


def register(event: Event, name: str, email: str, org: int = 0, share: bool = False):
    registration = Registration(
        event=event,
        token=new_token(),
        name=name,
        email=email,
        organisation=organisation(f"{SECTORS[org % 2][0]} {org}", SECTORS[org % 2][1]),
        consent=True,
        share_tablemates=share,
        status=RegistrationStatus.CONFIRMED,
    )
    db.session.add(registration)
    db.session.commit()
    return registration


def publish_tables(event: Event, tables: list[list[Registration]]) -> Plan:
    """A published tables plan seating `tables` (one list per table) in every table round."""
    plan = Plan(event=event, kind=PlanKind.TABLES, status=PlanStatus.PUBLISHED)
    for session in event.sessions_of(SessionKind.TABLE_ROUND):
        for table, people in zip(event.tables, tables, strict=False):
            for person in people:
                plan.assignments.append(
                    Assignment(registration=person, session=session, table=table)
                )
    db.session.add(plan)
    db.session.commit()
    return plan


def in_series(name: str, organiser: User, *events: Event) -> Series:
    series = Series(name=name, organisers=[organiser], events=list(events))
    db.session.add(series)
    db.session.commit()
    return series


def ids(pairs) -> set[frozenset[int]]:
    return {frozenset(pair) for pair in pairs}


def test_history_is_within_the_series_by_email_and_only_while_registrations_exist(app, organiser):
    march = make_event(organiser, "march", 10)
    elsewhere = make_event(organiser, "elsewhere", 12)
    june = make_event(organiser, "june", 40)
    in_series("Learning days", organiser, march, june)
    in_series("Another programme", organiser, elsewhere)

    ann, bob = register(march, "Ann", "ann@example.org"), register(march, "Bob", "bob@example.org")
    cat, dev = register(march, "Cat", "cat@example.org"), register(march, "Dev", "dev@example.org")
    eve = register(march, "Eve", "eve@example.org")
    publish_tables(march, [[ann, bob], [cat, dev], [eve]])
    # the same people sat differently at an event of another series: that is not history here
    others = [register(elsewhere, n, f"{n.lower()}@example.org") for n in ("Ann", "Cat", "Eve")]
    publish_tables(elsewhere, [others])

    # in June: Ann under another case of her address, Bob as "Robert" with his address, and a
    # namesake of Eve with another address (recognised by email, never by name)
    june_ann = register(june, "Ann", "ANN@Example.ORG")
    june_bob = register(june, "Robert", "bob@example.org")
    june_cat = register(june, "Cat", "cat@example.org")
    june_dev = register(june, "Dev", "dev@example.org")
    june_eve = register(june, "Eve", "eve.other@example.org")
    people = [june_ann, june_bob, june_cat, june_dev, june_eve]

    assert ids(met_before(june, people)) == {
        frozenset((june_ann.id, june_bob.id)),
        frozenset((june_cat.id, june_dev.id)),
    }
    problem = translation.table_problem(june)
    assert sorted(problem.met_before) == sorted(
        (translation.person_id(a), translation.person_id(b))
        for a, b in ((june_ann.id, june_bob.id), (june_cat.id, june_dev.id))
    )
    # nothing looks forward in time: March has no earlier events
    assert met_before(march, [ann, bob, cat, dev, eve]) == set()

    # erased in March: the pair is forgotten; a registration deleted outright likewise
    lifecycle.erase(dev)
    assert ids(met_before(june, people)) == {frozenset((june_ann.id, june_bob.id))}
    db.session.delete(bob)
    db.session.commit()
    assert met_before(june, people) == set()


def test_planning_a_series_event_avoids_earlier_tablemates_and_says_so(signed_in, organiser):
    """12 people sat in three fours in March; in June, in four threes, nobody need sit with
    anyone they met: the plan reaches the bound of zero and the review says it in words."""
    march = make_event(organiser, "march", 10, tables=3, size=4)
    june = make_event(organiser, "june", 40, tables=4, size=3)
    in_series("Learning days", organiser, march, june)
    before = [register(march, f"P{i}", f"p{i}@example.org", org=i) for i in range(12)]
    publish_tables(march, [before[0:4], before[4:8], before[8:12]])
    for i in range(12):
        register(june, f"P{i}", f"P{i}@example.org", org=i)

    job = jobs.create(june, PlanKind.TABLES, {"time_limit": 5, "seed": 1})
    jobs.run(job.id)
    db.session.refresh(job)
    assert job.state == JobState.SUCCEEDED, job.error
    measure = job.plan.metrics["met_before_pairs"]
    assert measure == {"value": 0, "bound": 0}
    emails = {r.id: r.email.lower() for r in june.registrations}
    groups = {r.email: i // 4 for i, r in enumerate(before)}
    for a in job.plan.assignments:
        mates = [b for b in job.plan.assignments if b.table_id == a.table_id and b is not a]
        assert all(
            groups[emails[a.registration_id]] != groups[emails[b.registration_id]] for b in mates
        )

    page = signed_in.get(f"/organise/events/june/plans/{job.plan.id}").get_data(as_text=True)
    assert (
        "0 pairs of people who sat together at an earlier event of the series, "
        "seated together again" in page
    )
    [figure] = [
        f
        for f in summaries.table_figures({"met_before_pairs": {"value": 1, "bound": 0}})
        if "earlier event" in f.text
    ]
    assert figure.text.startswith("1 pair of people") and figure.best == "0 pairs"


def test_series_page_groups_events_and_links_themes(signed_in, organiser):
    march = make_event(organiser, "march", 10)
    june = make_event(organiser, "june", 40)
    for i in range(7):
        register(march, f"Council {i}", f"c{i}@example.org", org=0)
    for i in range(3):
        register(march, f"Health {i}", f"h{i}@example.org", org=1)
    data_theme = Theme(event=march, title="Sharing data")
    june_theme = Theme(event=june, title="Data sharing, again")
    db.session.add_all([data_theme, june_theme, Theme(event=june, title="Housing first")])
    session = march.sessions_of(SessionKind.TABLE_ROUND)[0]
    db.session.add(
        Card(
            event_id=march.id,
            session_id=session.id,
            table_id=march.tables[0].id,
            answers={"what": "Data took months to share."},
            status=CardStatus.APPROVED,
            theme=data_theme,
        )
    )
    db.session.commit()

    token = signed_in.csrf_token("/organise/series")
    response = signed_in.post("/organise/series", data={"csrf_token": token, "name": ""})
    assert "Give the series a name." in response.get_data(as_text=True)
    response = signed_in.post(
        "/organise/series", data={"csrf_token": token, "name": "Learning days"}
    )
    assert response.status_code == 302
    url = response.headers["Location"]
    series = db.session.scalar(db.select(Series))
    assert url == f"/organise/series/{series.id}"
    for event in (june, march):  # added out of order: the page lists them by date
        response = signed_in.post(
            f"{url}/events", data={"add-csrf_token": token, "add-event": str(event.id)}
        )
        assert response.status_code == 302, response.get_data(as_text=True)
    page = signed_in.get(url).get_data(as_text=True)
    assert page.index(">March</a>") < page.index(">June</a>")
    assert "10 people confirmed" in page
    assert "Local government: 7" in page
    assert "3 people in sectors with fewer than 5 here" in page and "Health: 3" not in page
    assert "Sharing data" in page and "(1 card)" in page and "Housing first" in page

    # an event already in the series cannot be added to another one
    other = signed_in.post("/organise/series", data={"csrf_token": token, "name": "Other"})
    response = signed_in.post(
        f"{other.headers['Location']}/events",
        data={"add-csrf_token": token, "add-event": str(march.id)},
    )
    assert response.status_code == 400

    # June's "Data sharing, again" is the same theme as March's: they share a row
    response = signed_in.post(
        f"{url}/themes/{june_theme.id}",
        data={
            f"t{june_theme.id}-csrf_token": token,
            f"t{june_theme.id}-same_as": str(data_theme.id),
        },
    )
    assert response.status_code == 302
    assert db.session.get(ThemeLink, june_theme.id).same_as_id == data_theme.id
    page = signed_in.get(url).get_data(as_text=True)
    row = page[page.index("Sharing data</strong>") :]
    row = row[: row.index("</tr>")]
    assert "Data sharing, again" in row and "recurs at 2 events" in row
    # a theme cannot be linked to a later one
    response = signed_in.post(
        f"{url}/themes/{data_theme.id}",
        data={
            f"t{data_theme.id}-csrf_token": token,
            f"t{data_theme.id}-same_as": str(june_theme.id),
        },
    )
    assert db.session.get(ThemeLink, data_theme.id) is None

    # taking June out asks first, then drops its theme links; the event itself stays
    remove = f"{url}/events/{june.id}/remove"
    ask = signed_in.get(remove).get_data(as_text=True)
    assert "Take “June” out of the series?" in ask and "1 link" in ask
    assert signed_in.post(remove, data={"csrf_token": token}).status_code == 302
    db.session.expire_all()
    assert [e.slug for e in db.session.get(Series, series.id).events] == ["march"]
    assert db.session.get(ThemeLink, june_theme.id) is None
    assert db.session.get(Event, june.id) is not None


def test_a_series_is_seen_by_its_organisers_only(client, organiser):
    series = in_series("Learning days", organiser, make_event(organiser, "march", 10))
    other = User(email="other@example.org", name="Other Organiser")
    other.set_password(PASSWORD)
    db.session.add(other)
    db.session.commit()
    client.submit("/login", {"email": other.email, "password": PASSWORD})
    assert client.get(f"/organise/series/{series.id}").status_code == 404
    assert client.get(f"/organise/series/{series.id}/events/1/remove").status_code == 404
    assert client.get(f"/organise/series/{series.id}/delete").status_code == 404
    assert "Learning days" not in client.get("/organise/series").get_data(as_text=True)
    # nor can they add their own event to it
    token = client.csrf_token("/organise/series")
    response = client.post(
        f"/organise/series/{series.id}/events", data={"add-csrf_token": token, "add-event": "1"}
    )
    assert response.status_code == 404
    # nor rename or delete it
    response = client.post(
        f"/organise/series/{series.id}/name",
        data={"rename-csrf_token": token, "rename-name": "Mine now"},
    )
    assert response.status_code == 404
    response = client.post(f"/organise/series/{series.id}/delete", data={"csrf_token": token})
    assert response.status_code == 404
    db.session.expire_all()
    assert db.session.get(Series, series.id).name == "Learning days"


def test_people_you_sat_with_only_with_consent(client, organiser):
    past = make_event(organiser, "past-day", -1)
    ann = register(past, "Ann Adeyemi", "ann@example.org", share=True)
    bob = register(past, "Bob Brennan", "bob@example.org", org=1, share=True)
    cat = register(past, "Cat Cole", "cat@example.org", share=False)
    far = register(past, "Far Away", "far@example.org", share=True)
    publish_tables(past, [[ann, bob, cat], [far]])

    page = client.get(f"/r/{ann.token}").get_data(as_text=True)
    section = page[page.index("People you sat with") :]
    assert "Bob Brennan" in section and "Riverside NHS Trust 1" in section
    assert "Cat Cole" not in page and "Far Away" not in page and "bob@example.org" not in page

    # Cat did not agree: she sees nobody, and is offered to agree
    page = client.get(f"/r/{cat.token}").get_data(as_text=True)
    assert "Ann Adeyemi" not in page and "Bob Brennan" not in page
    assert "Show me the people I sat with" in page
    token = client.csrf_token(f"/r/{cat.token}")
    client.post(f"/r/{cat.token}/tablemates", data={"csrf_token": token})
    page = client.get(f"/r/{cat.token}").get_data(as_text=True)
    assert "Ann Adeyemi" in page and "Bob Brennan" in page
    assert "Cat Cole" in client.get(f"/r/{ann.token}").get_data(as_text=True)

    # Bob withdraws: he is no longer listed to anyone, and sees nobody
    client.post(f"/r/{bob.token}/tablemates", data={"csrf_token": token})
    assert "Bob Brennan" not in client.get(f"/r/{ann.token}").get_data(as_text=True)
    page = client.get(f"/r/{bob.token}").get_data(as_text=True)
    assert "Ann Adeyemi" not in page

    # an erased registration is never listed
    lifecycle.erase(cat)
    assert "Cat Cole" not in client.get(f"/r/{ann.token}").get_data(as_text=True)


def test_the_registration_form_asks_for_consent_to_share_tablemates(client, event):
    url = f"/events/{event.slug}/register"
    page = client.get(url).get_data(as_text=True)
    assert "show me the people I sat with" in page
    fields = {
        "name": "Amara Okafor",
        "organisation": "Riverside City Council",
        "profession": "Social worker",
        "consent": "y",
    }
    client.submit(url, {**fields, "email": "amara@example.org", "share_tablemates": "y"})
    client.submit(url, {**fields, "email": "ben@example.org"})
    shares = {r.email: r.share_tablemates for r in db.session.scalars(db.select(Registration))}
    assert shares == {"amara@example.org": True, "ben@example.org": False}


@pytest.mark.parametrize("path", ["/organise/series", "/organise/series/1"])
def test_series_pages_need_sign_in(client, path):
    response = client.get(path)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_series_is_renamed_and_deleted_without_its_events(signed_in, organiser):
    march, june = make_event(organiser, "march", 10), make_event(organiser, "june", 40)
    series = in_series("Learning days", organiser, march, june)
    autumn, winter = make_event(organiser, "autumn", 60), make_event(organiser, "winter", 90)
    other = in_series("Another series", organiser, autumn, winter)
    themes = [Theme(event=e, title=f"Data at {e.slug}") for e in (march, june, autumn, winter)]
    db.session.add_all(themes)
    db.session.commit()
    db.session.add_all(
        [
            ThemeLink(theme_id=themes[1].id, same_as_id=themes[0].id),
            ThemeLink(theme_id=themes[3].id, same_as_id=themes[2].id),
        ]
    )
    db.session.commit()
    url = f"/organise/series/{series.id}"
    page = signed_in.get(url).get_data(as_text=True)
    assert page.count('id="name"') == 1 and "<form" not in page[: page.index("</title>")]
    token = signed_in.csrf_token(url)

    for typed, message in (("  ", "Give the series a name."), ("x" * 201, "at most 200")):
        response = signed_in.post(
            f"{url}/name", data={"rename-csrf_token": token, "rename-name": typed}
        )
        assert response.status_code == 400
        assert message in response.get_data(as_text=True)
        assert f'value="{typed}"' in response.get_data(as_text=True)  # kept as typed
    assert db.session.get(Series, series.id).name == "Learning days"
    response = signed_in.post(
        f"{url}/name", data={"rename-csrf_token": token, "rename-name": " Learning  days 2027 "}
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Series, series.id).name == "Learning days 2027"

    ask = signed_in.get(f"{url}/delete")
    text = ask.get_data(as_text=True)
    assert ask.status_code == 200 and "Delete the series “Learning days 2027”?" in text
    assert "Its 2 events stay as they are" in text and "1 link between" in text
    assert db.session.get(Series, series.id) is not None  # asking deletes nothing
    assert signed_in.post(f"{url}/delete", data={}).status_code == 400  # no CSRF token
    response = signed_in.post(f"{url}/delete", data={"csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"] == "/organise/series"
    db.session.expire_all()
    assert db.session.get(Series, series.id) is None
    assert {e.slug for e in db.session.scalars(db.select(Event))} == {
        "march",
        "june",
        "autumn",
        "winter",
    }
    assert db.session.get(ThemeLink, themes[1].id) is None  # its events' links went
    assert db.session.get(ThemeLink, themes[3].id) is not None  # another series' stayed
    assert [e.slug for e in db.session.get(Series, other.id).events] == ["autumn", "winter"]
    # its events are free to join another series
    response = signed_in.post(
        f"/organise/series/{other.id}/events",
        data={"add-csrf_token": token, "add-event": str(march.id)},
    )
    assert response.status_code == 302
    assert signed_in.get(url).status_code == 404
