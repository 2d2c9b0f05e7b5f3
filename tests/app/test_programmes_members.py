"""Members of mentoring schemes and secondment rounds: joining through a side's link, the
member's own page, the published profiles the other side sees (and nothing more), and the
organisers' CSV import, edits and removals."""

from __future__ import annotations

from io import BytesIO

from app.extensions import db
from app.models import (
    MailKind,
    Member,
    MentoringPreference,
    OutgoingMail,
    ProgrammeKind,
    User,
)
from tests.app.programme_helpers import add_member, join_path, make_programme
from tests.conftest import PASSWORD

GOOD = {
    "name": "Maya Mentee",
    "email": "Maya@Example.org",
    "organisation": "Riverside Housing Trust",
    "sector": "Housing",
    "profession": "Housing officer",
    "topics": "leading change; data sharing",
    "bio": "Ten years in tenancy support.",
}


def mail_to(member: Member, kind: MailKind) -> list[OutgoingMail]:
    return list(
        db.session.scalars(
            db.select(OutgoingMail).where(
                OutgoingMail.member_id == member.id, OutgoingMail.kind == kind.value
            )
        )
    )


def test_a_mentee_joins_through_the_link_and_gets_her_private_page(client, organiser):
    programme = make_programme(organiser)
    mentor = add_member(programme, "mentor", "Sam Mentor", "Kent Police", "Police and justice")
    response = client.submit(join_path(programme, "mentee"), {**GOOD, f"choice-{mentor.id}": "1"})
    assert response.status_code == 302
    member = db.session.scalar(db.select(Member).where(Member.side == "mentee"))
    assert response.headers["Location"] == f"/mentoring/entry/{member.token}"
    assert member.email == "maya@example.org" and member.topics == [
        "leading change",
        "data sharing",
    ]
    assert member.organisation.name == "Riverside Housing Trust" and member.sector == "Housing"
    assert db.session.get(MentoringPreference, (member.id, mentor.id)).rank == 1
    assert len(mail_to(member, MailKind.PROGRAMME_JOINED)) == 1
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Your entry in Mentoring 2027" in page and 'value="Maya Mentee"' in page


def test_the_join_form_shows_errors_and_keeps_what_was_typed(client, organiser):
    programme = make_programme(organiser)
    response = client.submit(
        join_path(programme, "mentor"),
        {**GOOD, "name": "", "email": "not-an-address", "sector": "", "capacity": "0"},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Enter your name." in page
    assert "Enter a valid email address" in page
    assert "“Riverside Housing Trust” is new to us: give its sector." in page
    assert "Give a number from 1 to 50." in page
    assert 'value="not-an-address"' in page and "Ten years in tenancy support." in page
    assert db.session.scalar(db.select(Member)) is None


def test_ranks_must_be_given_once_each(client, organiser):
    programme = make_programme(organiser)
    a = add_member(programme, "mentor", "Ann Mentor", "Kent Police", "Police and justice")
    b = add_member(programme, "mentor", "Bob Mentor", "Kent Fire", "Fire and rescue")
    response = client.submit(
        join_path(programme, "mentee"), {**GOOD, f"choice-{a.id}": "1", f"choice-{b.id}": "1"}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Give each rank (first, second…) to one person only." in page
    assert page.count('<option value="1" selected>') == 2  # the choices are kept
    assert db.session.scalar(db.select(Member).where(Member.side == "mentee")) is None


def test_not_acceptable_marks_are_stored_without_a_rank(client, organiser):
    programme = make_programme(organiser)
    a = add_member(programme, "mentor", "Ann Mentor", "Kent Police", "Police and justice")
    client.submit(join_path(programme, "mentee"), {**GOOD, f"choice-{a.id}": "no"})
    mentee = db.session.scalar(db.select(Member).where(Member.side == "mentee"))
    assert db.session.get(MentoringPreference, (mentee.id, a.id)).rank is None


def test_the_other_side_sees_the_published_profile_only(client, organiser):
    programme = make_programme(organiser)
    mentor = add_member(
        programme,
        "mentor",
        "Ann Mentor",
        "Kent Police",
        "Police and justice",
        topics=("policing",),
        bio="Chief inspector.",
    )
    mentor.sector_given = "Secret sector typed"
    db.session.commit()
    page = client.get(join_path(programme, "mentee")).get_data(as_text=True)
    assert "Ann Mentor" in page and "Kent Police" in page and "Chief inspector." in page
    assert "policing" in page and "Police and justice" in page
    assert mentor.email not in page and mentor.token not in page
    assert "Secret sector typed" not in page
    client.submit(join_path(programme, "mentee"), GOOD)
    mentee = db.session.scalar(db.select(Member).where(Member.side == "mentee"))
    entry = client.get(f"/mentoring/entry/{mentee.token}").get_data(as_text=True)
    assert "Ann Mentor" in entry and mentor.email not in entry
    mentors_view = client.get(join_path(programme, "mentor")).get_data(as_text=True)
    assert "Maya Mentee" in mentors_view and "maya@example.org" not in mentors_view


def test_joining_twice_sends_the_link_again_and_changes_nothing(client, organiser):
    programme = make_programme(organiser)
    client.submit(join_path(programme, "mentee"), GOOD)
    response = client.submit(join_path(programme, "mentee"), {**GOOD, "name": "Someone Else"})
    assert "Check your email" in response.get_data(as_text=True)
    (member,) = db.session.scalars(db.select(Member)).all()
    assert member.name == "Maya Mentee"
    assert len(mail_to(member, MailKind.PROGRAMME_JOINED)) == 2


def test_a_member_changes_her_entry_and_withdraws_after_being_asked(client, organiser):
    programme = make_programme(organiser)
    client.submit(join_path(programme, "mentee"), GOOD)
    member = db.session.scalar(db.select(Member))
    url = f"/mentoring/entry/{member.token}"
    response = client.submit(url, {**GOOD, "topics": "commissioning"})
    assert response.status_code == 302
    db.session.refresh(member)
    assert member.topics == ["commissioning"]
    bad = client.submit(url, {**GOOD, "profession": ""})
    assert bad.status_code == 400 and "Enter your profession." in bad.get_data(as_text=True)
    ask = client.get(f"{url}/withdraw").get_data(as_text=True)
    assert "Withdraw from Mentoring 2027?" in ask
    assert db.session.scalar(db.select(Member)) is not None
    done = client.submit(f"{url}/withdraw")
    assert "You have withdrawn" in done.get_data(as_text=True)
    assert db.session.scalar(db.select(Member)) is None
    assert client.get(url).status_code == 404


def test_forms_need_their_csrf_token(client, organiser):
    programme = make_programme(organiser)
    response = client.post(join_path(programme, "mentee"), data=GOOD)
    assert response.status_code == 400
    assert db.session.scalar(db.select(Member)) is None


def test_unknown_links_open_nothing(client, organiser):
    make_programme(organiser)
    assert client.get("/mentoring/join/nothing-here").status_code == 404
    assert client.get("/mentoring/entry/nothing-here").status_code == 404


def test_a_secondment_round_speaks_of_hosts_and_places(client, organiser):
    programme = make_programme(organiser, ProgrammeKind.SECONDMENT, "Secondments")
    page = client.get(join_path(programme, "mentor")).get_data(as_text=True)
    assert "Join Secondments as a host" in page and "Places you offer" in page


MENTORS_CSV = (
    "id,name,email,organisation,sector,profession,capacity,offers,prefs\n"
    "m1,Ann Mentor,ann@example.org,Kent Police,Police and justice,Inspector,2,housing;data,e1\n"
    "m2,Bob Mentor,bob@example.org,Kent Fire,Fire and rescue,Officer,1,leadership,!e2\n"
)
MENTEES_CSV = (
    "id,name,email,organisation,sector,profession,wants,bio\n"
    "e1,Cat Mentee,cat@example.org,Medway Council,Local government,Planner,housing,Hi\n"
    "e2,Dan Mentee,dan@example.org,Medway NHS,NHS and health,Nurse,leadership,\n"
)


def upload(signed_in, programme, mentors: str | None, mentees: str | None):
    data = {}
    if mentors is not None:
        data["mentors"] = (BytesIO(mentors.encode()), "MENTORS.csv")
    if mentees is not None:
        data["mentees"] = (BytesIO(mentees.encode()), "MENTEES.csv")
    url = f"/organise/programmes/{programme.id}/import"
    return signed_in.submit(url, data, content_type="multipart/form-data")


def test_the_import_reads_the_command_lines_files(signed_in, organiser):
    programme = make_programme(organiser)
    response = upload(signed_in, programme, MENTORS_CSV, MENTEES_CSV)
    assert response.status_code == 302
    members = {m.name: m for m in db.session.scalars(db.select(Member))}
    assert set(members) == {"Ann Mentor", "Bob Mentor", "Cat Mentee", "Dan Mentee"}
    assert members["Ann Mentor"].capacity == 2 and members["Ann Mentor"].topics == [
        "housing",
        "data",
    ]
    assert members["Cat Mentee"].bio == "Hi"
    ann, cat = members["Ann Mentor"], members["Cat Mentee"]
    assert db.session.get(MentoringPreference, (ann.id, cat.id)).rank == 1
    bob, dan = members["Bob Mentor"], members["Dan Mentee"]
    assert db.session.get(MentoringPreference, (bob.id, dan.id)).rank is None
    assert all(len(mail_to(m, MailKind.PROGRAMME_JOINED)) == 1 for m in members.values())
    page = signed_in.get(f"/organise/programmes/{programme.id}").get_data(as_text=True)
    assert "<h3>2 mentors</h3>" in page and "<td>ann@example.org</td>" in page


def test_a_bad_row_is_named_and_nothing_is_imported(signed_in, organiser):
    programme = make_programme(organiser)
    bad_capacity = MENTORS_CSV.replace(",2,housing", ",two,housing")
    response = upload(signed_in, programme, bad_capacity, MENTEES_CSV)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "MENTORS.csv: row 2 capacity must be a whole number, not &#39;two&#39;" in page
    assert db.session.scalar(db.select(Member)) is None
    no_email = MENTEES_CSV.replace("dan@example.org", "")
    page = upload(signed_in, programme, MENTORS_CSV, no_email).get_data(as_text=True)
    assert "MENTEES.csv row 3: email: Enter your email address." in page
    assert db.session.scalar(db.select(Member)) is None
    unknown = MENTORS_CSV.replace(",e1\n", ",e9\n")
    page = upload(signed_in, programme, unknown, MENTEES_CSV).get_data(as_text=True)
    assert "MENTORS.csv row 2: prefs name &#39;e9&#39;, who is not in the file." in page
    assert db.session.scalar(db.select(Member)) is None


def test_organisers_edit_and_remove_members(signed_in, organiser):
    programme = make_programme(organiser)
    member = add_member(programme, "mentor", "Ann Mentor", "Kent Police", "Police and justice")
    url = f"/organise/programmes/{programme.id}/members/{member.id}"
    response = signed_in.submit(
        url,
        {
            "name": "Ann Mentor-Smith",
            "email": member.email,
            "organisation": "Kent Police",
            "sector": "",
            "profession": "Inspector",
            "topics": "policing",
            "capacity": "3",
            "bio": "",
        },
    )
    assert response.status_code == 302
    db.session.refresh(member)
    assert member.name == "Ann Mentor-Smith" and member.capacity == 3
    assert "Remove Ann Mentor-Smith?" in signed_in.get(f"{url}/remove").get_data(as_text=True)
    signed_in.submit(f"{url}/remove")
    assert db.session.scalar(db.select(Member)) is None


def test_members_pages_are_only_for_the_programmes_organisers(client, signed_in, organiser):
    other = User(email="other@example.org", name="Other")
    other.set_password(PASSWORD)
    db.session.add(other)
    db.session.commit()
    programme = make_programme(other)
    member = add_member(programme, "mentor", "Ann Mentor", "Kent Police", "Police and justice")
    base = f"/organise/programmes/{programme.id}"
    assert signed_in.get(base).status_code == 404
    assert signed_in.get(f"{base}/members/{member.id}").status_code == 404
    assert signed_in.get(f"{base}/import").status_code == 404
    assert signed_in.get(f"{base}/publish").status_code == 404
    assert signed_in.get(f"{base}/invite").status_code == 404
    token = signed_in.csrf_token("/organise/programmes")
    for action in ("match", "pairs", f"members/{member.id}/no-rematch"):
        assert signed_in.post(f"{base}/{action}", data={"csrf_token": token}).status_code == 404


def test_members_pages_need_sign_in(client, organiser):
    programme = make_programme(organiser)
    member = add_member(programme, "mentor", "Ann Mentor", "Kent Police", "Police and justice")
    base = f"/organise/programmes/{programme.id}"
    for path in ("/import", f"/members/{member.id}", "/publish", "/invite", "/jobs/1"):
        response = client.get(base + path)
        assert response.status_code == 302 and "/login" in response.headers["Location"]
