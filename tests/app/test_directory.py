"""The directory of organisations and sectors: what people type resolves to one organisation,
likely duplicates are suggested with their reason, and organisers merge, rename and split them
(from the pages and the shell) with nothing lost and every change recorded."""

from __future__ import annotations

import json
import threading

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import (
    Event,
    EventStatus,
    Organisation,
    OrganisationChange,
    PlanKind,
    Registration,
    RegistrationStatus,
    SessionKind,
)
from app.services.organisations import directory, sectors
from app.services.organisations.names import initials, normal_form
from app.services.organisations.suggestions import suggest
from app.services.planning import jobs, translation
from app.services.registration import capacity, details, lifecycle
from app.services.tokens import new_token
from tests.app.test_api_registration import URL as API_REGISTER
from tests.app.test_api_registration import person
from tests.app.test_organise import event_form


@pytest.mark.parametrize(
    ("typed", "same_as"),
    [
        ("Swale BC", "Swale Borough Council"),
        ("swale   borough  council.", "Swale Borough Council"),
        ("Kent Constabulary", "Kent Police"),
        ("Medway NHS FT", "Medway NHS Foundation Trust"),
        ("Kent CC", "Kent County Council"),
        ("Health & Care Partnership", "Health and Care Partnership"),
        ("The Department for Work and Pensions", "Department for Work and Pensions"),
        ("Zoë’s Café", "Zoes Cafe"),
    ],
)
def test_names_people_type_have_one_normal_form(typed, same_as):
    assert normal_form(typed) == normal_form(same_as)


def test_different_bodies_keep_different_forms():
    assert normal_form("Kent County Council") != normal_form("Kent Police")
    assert normal_form("Swale Borough Council") != normal_form("Swanley Borough Council")
    assert "sbc" in initials("Swale Borough Council") == initials("Swale BC")
    assert "hmpps" in initials("HM Prison and Probation Service")
    assert "ukhsa" in initials("UK Health Security Agency")


def add(name: str, sector: str = "Local government", people: int = 0, event=None):
    """An organisation as registrants left it (under exactly this name), with `people`."""
    organisation = Organisation(
        name=name, key=normal_form(name), sector=sectors.resolve(sector).name
    )
    db.session.add(organisation)
    for _ in range(people):
        attend(event, organisation, f"{new_token()[:12]}@example.org")
    db.session.commit()
    return organisation


def attend(event, organisation: Organisation, email: str) -> Registration:
    """A confirmed registration from `organisation`, typed under its name."""
    registration = Registration(
        event=event,
        token=new_token(),
        name=f"{organisation.name} person {email.partition('@')[0]}",
        email=email,
        organisation=organisation,
        organisation_typed=organisation.name,
        profession="Officer",
        status=RegistrationStatus.CONFIRMED,
    )
    db.session.add(registration)
    return registration


def suggested() -> dict[str, tuple[str, str]]:
    return {s.source.name: (s.into.name, s.reason) for s in suggest()}


def test_each_kind_of_likely_duplicate_is_suggested_with_its_reason(event):
    add("Swale Borough Council", people=3, event=event)
    for variant in ("swale borough council ", "Swale Council", "Swael Borough Council"):
        db.session.add(
            Organisation(name=variant, key=normal_form(variant), sector="Local government")
        )
    add("Kent County Council", people=2, event=event)
    db.session.add(Organisation(name="KCC", key="kcc", sector="Local government"))
    add("Kent Police", "Police", people=1, event=event)
    add("NHS Cumbria Integrated Care Board", "NHS", people=2, event=event)
    add("Cumbria ICB", "NHS", people=1, event=event)
    add("Swanley Borough Council", people=1, event=event)  # another place: never suggested
    db.session.commit()
    found = suggested()
    assert found["swale borough council "][0] == "Swale Borough Council"
    assert "same name once case" in found["swale borough council "][1]
    assert (
        found["Swale Council"]
        == (
            "Swale Borough Council",
            found["Swale Council"][1],
        )
        and "shortened" in found["Swale Council"][1]
    )
    assert found["Swael Borough Council"] == (
        "Swale Borough Council",
        "spelt the same but for one letter",
    )
    assert found["KCC"] == ("Kent County Council", "KCC is the initials of Kent County Council")
    assert found["Cumbria ICB"][0] == "NHS Cumbria Integrated Care Board"
    assert "Swanley Borough Council" not in found and "Kent Police" not in found
    assert all(into != "Swanley Borough Council" for into, _ in found.values())


def test_a_shared_acronym_is_resolved_by_the_address_its_people_write_from(event):
    staffs = add("Staffordshire County Council", event=event)
    add("Suffolk County Council", event=event)
    scc = add("SCC", event=event)
    attend(event, staffs, "ann@staffordshire.gov.uk")
    attend(event, scc, "ben@staffordshire.gov.uk")
    attend(event, scc, "cat@gmail.com")
    db.session.commit()
    into, reason = suggested()["SCC"]
    assert into == "Staffordshire County Council"
    assert reason.endswith("people both write from staffordshire.gov.uk")


def test_two_typos_of_one_name_and_a_city_council_typed_cc_are_suggested(event):
    add("Boradland NHS Foundation Trust", "NHS", people=2, event=event)
    add("Broadlnad NHS Foundation Trust", "NHS", people=1, event=event)
    add("Blaby City Council", people=2, event=event)
    add("Blaby CC", people=1, event=event)
    add("Kent County Council", people=1, event=event)
    add("Kent CC", people=1, event=event)
    add("Kent City Council", people=1, event=event)  # Kent CC is the county's: never this
    found = suggested()
    assert found["Broadlnad NHS Foundation Trust"] == (
        "Boradland NHS Foundation Trust",
        "the same letters in another order (a typo)",
    )
    assert found["Blaby CC"] == (
        "Blaby City Council",
        "CC can stand for City Council: Blaby City Council",
    )
    assert found["Kent CC"][0] == "Kent County Council"
    assert "Kent City Council" not in found
    assert all(into != "Kent City Council" for into, _ in found.values())


def test_an_acronym_of_two_organisations_is_not_suggested(event):
    add("Swale Borough Council")
    add("Sutton Borough Council")
    db.session.add(Organisation(name="SBC", key="sbc", sector="Local government"))
    db.session.commit()
    assert "SBC" not in suggested()


def test_merge_rename_split_round_trip_loses_nothing(app, event, organiser):
    into = add("Swale Borough Council", people=2, event=event)
    source = add("Swale BC (typo'd)", people=3, event=event)
    event.convenors.append(source)
    db.session.commit()
    source_name = source.name
    directory.merge(source, into, by=organiser)
    into = directory.existing_organisation("Swale Borough Council")
    assert (
        db.session.scalar(
            select(func.count(Organisation.id)).where(Organisation.name == source_name)
        )
        == 0
    )
    assert {r.organisation_id for r in event.registrations} == {into.id}
    assert [a.name for a in into.aliases] == [source_name]
    assert into in event.convenors
    assert directory.existing_organisation(source_name) == into  # typing it resolves there

    directory.rename(into, "Swale Council (Borough)", by=organiser)
    assert directory.existing_organisation("Swale Borough Council") == into  # old name kept

    [alias] = [a for a in into.aliases if a.name == source_name]
    back = directory.split(alias, by=organiser)
    people = {r.name: r.organisation for r in event.registrations}
    assert sum(o == back for o in people.values()) == 3
    assert sum(o == into for o in people.values()) == 2
    log = [c.action for c in db.session.scalars(select(OrganisationChange))]
    assert log == ["merge", "rename", "split"]
    assert all(c.user == organiser for c in db.session.scalars(select(OrganisationChange)))


def test_a_registration_checked_before_a_merge_lands_on_the_merged_organisation(app, event):
    into = add("Swale Borough Council", people=1, event=event)
    source = add("Swale Council", people=1, event=event)
    checked = details.check_details(
        event, person(email="late@example.org", organisation="Swale Council")
    )
    directory.merge(source, into)
    registration = Registration(event_id=event.id, token="t" * 40)
    with capacity.locked_event(event.id) as locked:
        details.apply_details(registration, checked)
        capacity.admit(locked, registration)
    assert registration.organisation.name == "Swale Borough Council"
    assert registration.organisation_typed == "Swale Council"


def test_a_merge_racing_registrations_moves_or_resolves_every_one(app, event):
    into = add("Swale Borough Council", people=1, event=event)
    add("Swale Council", people=1, event=event)
    errors = []
    event_id = event.id

    def register(i: int) -> None:
        with app.app_context():
            try:
                lifecycle.register(
                    db.session.get(Event, event_id),
                    person(email=f"racer{i}@example.org", organisation="Swale Council"),
                )
            except Exception as error:  # reported below, with every other thread's
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=register, args=(i,)) for i in range(6)]
    for thread in threads[:3]:
        thread.start()
    directory.merge(directory.existing_organisation("Swale Council"), into)
    for thread in threads[3:]:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    db.session.expire_all()
    assert (
        db.session.scalar(
            select(func.count(Organisation.id)).where(Organisation.name == "Swale Council")
        )
        == 0
    )
    racers = db.session.scalars(select(Registration).where(Registration.email.like("racer%")))
    assert {r.organisation.name for r in racers} == {"Swale Borough Council"}


def test_the_api_names_the_sectors_when_one_is_unknown(client, event):
    response = client.post(API_REGISTER, json=person(organisation="New Body", sector="Widgets"))
    assert response.status_code == 422
    message = " ".join(response.get_json()["errors"]["sector"])
    assert "“Widgets” is not one of the sectors" in message
    assert all(s.name in message for s in sectors.offered())
    ok = client.post(API_REGISTER, json=person(organisation="New Body", sector="nhs"))
    assert ok.status_code == 201
    assert directory.existing_organisation("New Body").sector == "NHS and health"


def test_the_form_offers_canonical_names_only(client, event):
    real = add("Swale Borough Council", people=2, event=event)
    db.session.add(
        Organisation(
            name="Swael Borough Council",
            key=normal_form("Swael Borough Council"),
            sector="Local government",
        )
    )
    db.session.commit()
    directory.merge(add("SBC typo"), real)
    page = client.get(f"/events/{event.slug}/register").get_data(as_text=True)
    offered = page.split('<datalist id="organisations">')[1].split("</datalist>")[0]
    assert '<option value="Swale Borough Council">' in offered
    assert "SBC typo" not in offered  # an alias
    assert "Swael" not in offered  # a likely typo
    assert '<option value="NHS and health">NHS and health</option>' in page


def test_a_plans_measures_are_counted_again_after_a_merge(signed_in, event):
    one = add("Swale Borough Council", people=6, event=event)
    other = add("Swale BC!", people=6, event=event)
    job = jobs.create(event, PlanKind.TABLES, {"time_limit": 3, "seed": 0})
    jobs.run(job.id)
    db.session.refresh(job)
    plan = job.plan
    before = plan.metrics["same_org_pairs"]["value"]
    directory.merge(other, one)
    db.session.refresh(plan)
    after = plan.metrics["same_org_pairs"]["value"]
    assert plan.metrics["directory_changed"] is True
    rounds = event.sessions_of(SessionKind.TABLE_ROUND)
    assert (after >= before and after > 0) or len(rounds) == 0
    page = signed_in.get(f"/organise/events/{event.slug}/plans/{plan.id}").get_data(as_text=True)
    assert "The directory of organisations has changed since this plan was made" in page


def test_the_shell_lists_suggests_and_merges(app, event):
    add("Swale Borough Council", people=2, event=event)
    add("Swale Council", people=1, event=event)
    runner = app.test_cli_runner()
    listed = json.loads(runner.invoke(args=["organisations", "list", "--json"]).output)
    assert {
        "name": "Swale Council",
        "sector": "Local government",
        "aliases": [],
        "registrations": 1,
    } in listed
    found = json.loads(runner.invoke(args=["organisations", "suggest", "--json"]).output)
    assert found == [
        {"from": "Swale Council", "into": "Swale Borough Council", "reason": found[0]["reason"]}
    ]
    bad = runner.invoke(args=["organisations", "merge", "Nowhere Council", "Swale Borough Council"])
    assert bad.exit_code != 0 and "Nowhere Council" in bad.output
    assert len(directory.all_organisations()) == 4  # the event's two convenors and these two
    merged = runner.invoke(
        args=["organisations", "merge", "Swale Council", "Swale Borough Council"]
    )
    assert merged.exit_code == 0, merged.output
    assert json.loads(runner.invoke(args=["organisations", "suggest", "--json"]).output) == []
    lines = runner.invoke(args=["sectors", "list"]).output.splitlines()
    assert lines == [s.name for s in sectors.offered()] and "Police and justice" in lines


def test_the_directory_page_merges_only_after_asking(signed_in, event):
    keep = add("Swale Borough Council", people=2, event=event)
    typo = add("Swale Council", people=1, event=event)
    page = signed_in.get("/organise/organisations").get_data(as_text=True)
    assert "Likely duplicates" in page and "shortened" in page
    ask = f"/organise/organisations/merge?source_id={typo.id}&into_id={keep.id}"
    confirm = signed_in.get(ask).get_data(as_text=True)
    assert "Merge “Swale Council” into “Swale Borough Council”?" in confirm
    assert directory.existing_organisation("Swale Council").id == typo.id  # asked, not done
    done = signed_in.submit(
        "/organise/organisations/merge",
        {"source_id": typo.id, "into_id": keep.id},
        form_url=ask,
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "Merged “Swale Council” into “Swale Borough Council”" in done
    assert "org@example.org: Merged “Swale Council” (Local government)" in done
    assert directory.existing_organisation("Swale Council").id == keep.id


def test_sectors_are_added_renamed_and_retired_for_every_organisation(signed_in, event):
    body = add("Swale Borough Council", people=1, event=event)
    signed_in.submit("/organise/sectors", {"name": "Parish councils"})
    parish = sectors.resolve("parish councils")
    assert parish is not None
    council = sectors.resolve("Local government")
    signed_in.submit(
        f"/organise/sectors/{council.id}/rename",
        {f"s{council.id}-name": "Local authorities"},
        form_url="/organise/sectors",
    )
    db.session.expire_all()
    assert db.session.get(Organisation, body.id).sector == "Local authorities"
    assert sectors.resolve("local government").name == "Local authorities"  # old name kept
    signed_in.submit(f"/organise/sectors/{parish.id}/retire", {}, form_url="/organise/sectors")
    assert sectors.resolve("Parish councils") is None
    assert "Parish councils" not in [s.name for s in sectors.offered()]


# --- what the public may see, and who decides a sector -----------------------------------------


def offered_names(client, slug: str = "learning-day") -> str:
    """The public registration form's type-ahead, as the page sends it."""
    page = client.get(f"/events/{slug}/register").get_data(as_text=True)
    return page.split('<datalist id="organisations">')[1].split("</datalist>")[0]


def planned_sectors(event: Event) -> dict[str, str]:
    """Each attendee's sector as the planner is given it, by name: read afresh, in a transaction
    begun after what the requests committed."""
    db.session.commit()
    return {p.name: p.sector for p in translation.table_problem(event).people}


def test_a_draft_events_convenor_is_never_shown_to_the_public(app, signed_in, event):
    created = signed_in.submit(
        "/organise/events/new",
        event_form(new_convenor_name="Secret Partner Ltd", new_convenor_sector="Business"),
    )
    assert created.status_code == 302
    draft = db.session.scalar(select(Event).where(Event.slug == "housing-and-health-summit"))
    stranger = app.test_client()
    assert "Secret Partner Ltd" not in offered_names(stranger)
    assert "Riverside City Council" in offered_names(stranger)  # the published event's convenor
    # Nor does the API tell a stranger the name is known: it asks for the sector as for any
    # name it has never seen.
    for name in ("Secret Partner Ltd", "Never Heard Of Ltd"):
        answer = stranger.post(API_REGISTER, json=person(organisation=name, sector=""))
        assert answer.status_code == 422
        assert answer.get_json()["errors"]["sector"] == [f"“{name}” is new to us: give its sector."]
    for public in ("/", "/events/learning-day", "/api/v1/events", "/api/v1/events/learning-day"):
        assert "Secret Partner" not in stranger.get(public).get_data(as_text=True), public
    # The organiser's own pages still offer every organisation.
    someone = attend(event, event.convenors[0], "ann@example.org")
    db.session.commit()
    organiser_page = signed_in.get(f"/organise/events/learning-day/registrations/{someone.id}")
    assert '<option value="Secret Partner Ltd">' in organiser_page.get_data(as_text=True)

    draft.status = EventStatus.PUBLISHED
    db.session.commit()
    assert '<option value="Secret Partner Ltd">' in offered_names(stranger)


def test_the_first_registrant_does_not_choose_an_organisations_sector_for_everyone(
    app, signed_in, event
):
    stranger = app.test_client()
    attacker = stranger.post(
        API_REGISTER,
        json=person(
            name="Mallory",
            email="mallory@example.org",
            organisation="Acme Health Trust",
            sector="Policing and justice",
        ),
    )
    assert attacker.status_code == 201
    assert "Acme Health Trust" not in offered_names(stranger)  # a stranger's name, unconfirmed
    second = {
        "name": "Nadia Nurse",
        "email": "nadia@example.org",
        "organisation": "Acme Health Trust",
        "profession": "Nurse",
        "consent": "y",
    }
    url = "/events/learning-day/register"
    # Every request in a test shares the test's app context, where Flask-WTF keeps the CSRF
    # token it gave out (in g): the stranger's form posts get one of their own, as a browser
    # of their own would.
    with app.app_context():
        refused = stranger.submit(url, {**second, "sector": ""}).get_data(as_text=True)
        assert "“Acme Health Trust” is new to us: give its sector." in refused
        assert stranger.submit(url, {**second, "sector": "Health"}).status_code == 302

    acme = directory.existing_organisation("Acme Health Trust")
    assert not acme.sector_confirmed
    assert planned_sectors(event) == {
        "Mallory": "Police and justice",
        "Nadia Nurse": "NHS and health",
    }
    nadia = db.session.scalar(select(Registration).where(Registration.name == "Nadia Nurse"))
    assert stranger.get(f"/api/v1/registrations/{nadia.token}").get_json()["sector"] == (
        "NHS and health"
    )
    listed = signed_in.get("/organise/events/learning-day/registrations?sector=NHS+and+health")
    assert "Nadia Nurse" in listed.get_data(as_text=True)
    assert "Mallory" not in listed.get_data(as_text=True)

    page = signed_in.get("/organise/organisations").get_data(as_text=True)
    to_confirm = page.split('id="unconfirmed-heading"')[1].split("</section>")[0]
    assert "Acme Health Trust" in to_confirm
    assert 'Police and justice <span class="muted">(1)</span>' in to_confirm
    assert 'NHS and health <span class="muted">(1)</span>' in to_confirm
    confirmed = signed_in.submit(
        f"/organise/organisations/{acme.id}/confirm",
        {f"c{acme.id}-sector": "NHS and health"},
        form_url="/organise/organisations",
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "“Acme Health Trust” is confirmed in NHS and health." in confirmed
    assert "org@example.org: Confirmed “Acme Health Trust” in NHS and health." in confirmed
    assert (
        "Acme Health Trust"
        not in confirmed.split('id="unconfirmed-heading"')[1].split("</section>")[0]
    )

    assert planned_sectors(event) == {"Mallory": "NHS and health", "Nadia Nurse": "NHS and health"}
    assert '<option value="Acme Health Trust">' in offered_names(stranger)


def test_an_organisation_an_organiser_types_in_is_confirmed(signed_in, event):
    someone = attend(event, event.convenors[0], "ann@example.org")
    db.session.commit()
    url = f"/organise/events/learning-day/registrations/{someone.id}"
    saved = signed_in.submit(
        url,
        {
            "name": "Ann",
            "email": "ann@example.org",
            "organisation": "Northshire Fire Service",
            "sector": "Fire",
            "profession": "Station manager",
        },
    )
    assert saved.status_code == 302
    assert directory.existing_organisation("Northshire Fire Service").sector_confirmed
    assert planned_sectors(event)[someone.name] == "Fire and rescue"


def test_renaming_a_sector_renames_the_one_registrants_gave(signed_in, event):
    answer = signed_in.post(
        API_REGISTER,
        json=person(email="kim@example.org", organisation="Kim's Trust", sector="Housing"),
    )
    assert answer.status_code == 201
    housing = sectors.resolve("Housing")
    signed_in.submit(
        f"/organise/sectors/{housing.id}/rename",
        {f"s{housing.id}-name": "Homes"},
        form_url="/organise/sectors",
    )
    assert planned_sectors(event)["Bilal Hussain"] == "Homes"
