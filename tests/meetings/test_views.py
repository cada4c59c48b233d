"""The meeting pages and emails: a request and its answer through the manage link, bad
input in Swedish, the organisers' grid, moves and cancellations, printable agendas, the
cascade when a booking is cancelled (emails over the real SMTP server), the feed and the
report."""

from __future__ import annotations

from datetime import timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import func, select

from tests.accounts import helpers as h
from tests.conftest import csrf_from
from tests.meetings.conftest import make_world
from webapp.bookings.calendar import participant_feed_token
from webapp.bookings.services import manage_token
from webapp.db import db
from webapp.meetings import services
from webapp.meetings.models import Meeting, MeetingProfile, MeetingStatus
from webapp.notifications import dispatch
from webapp.notifications.models import MessageKind, OutboxMessage
from webapp.organisations.audit import AuditEntry


def _page(world, i: int) -> str:
    return f"/bookings/{manage_token(world.bookings[i])}/meetings?participant={world.person(i).id}"


def _mails(smtp_server, address: str) -> list:
    """The meeting emails (not the booking's own) that reached ``address``."""
    return [r for r in smtp_server.to(address) if "möte" in str(r.message["Subject"]).lower()]


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _post(client, page: str, url: str, data: dict | None = None):
    token = csrf_from(client.get(page).text)
    return client.post(url, data={"csrf_token": token, **(data or {})})


def _request_url(world, a: int, b: int) -> str:
    token = manage_token(world.bookings[a])
    return (
        f"/bookings/{token}/meetings/request/{world.person(b).id}?participant={world.person(a).id}"
    )


def _ask(client, world, a: int, b: int, message: str = "Vi vill prata solceller.", slot: int = 0):
    url = _request_url(world, a, b)
    return _post(client, url, url, {"slot": str(world.slots[slot].id), "message": message})


def _answer(client, world, b: int, meeting_id: int, verb: str = "accept"):
    token = manage_token(world.bookings[b])
    return _post(
        client,
        _page(world, b),
        f"/bookings/{token}/meetings/{meeting_id}/{verb}?participant={world.person(b).id}",
    )


def test_the_manage_page_links_to_the_meetings_and_they_show_profiles_not_emails(client, world):
    manage = client.get(f"/bookings/{manage_token(world.bookings[0])}").text
    assert "Möten med andra deltagare" in manage
    page = client.get(_page(world, 0)).text
    assert "Visad 1" in page and "Erbjuder 1" in page and "Söker 2" in page
    for other in (1, 2):
        assert world.person(other).email not in page
        assert world.bookings[other].contact_email not in page


def test_a_request_and_its_acceptance_exchange_contact_details_and_emails(
    client, world, smtp_server
):
    response = _ask(client, world, 0, 1)
    assert response.status_code == 303
    meeting = db.session.scalars(select(Meeting)).one()
    assert meeting.message == "Vi vill prata solceller."
    # Before the answer neither side sees the other's address.
    assert world.person(0).email not in client.get(_page(world, 1)).text
    assert world.person(1).email not in client.get(_page(world, 0)).text
    dispatch.dispatch_due()
    [asked] = _mails(smtp_server, world.person(1).email)
    assert "Visad 0" in asked.part("text/plain") and world.person(0).email not in asked.part(
        "text/plain"
    )

    assert _answer(client, world, 1, meeting.id).status_code == 303
    db.session.expire_all()
    assert db.session.get(Meeting, meeting.id).status == MeetingStatus.ACCEPTED
    assert world.person(1).email in client.get(_page(world, 0)).text
    assert world.person(0).email in client.get(_page(world, 1)).text
    dispatch.dispatch_due()
    [accepted] = _mails(smtp_server, world.person(0).email)
    text = accepted.part("text/plain")
    assert "Möte accepterat" in str(accepted.message["Subject"])
    assert world.person(1).email in text and "Bord 1" in text


def test_a_declined_request_emails_the_requester_without_an_address(client, world, smtp_server):
    _ask(client, world, 0, 1)
    meeting = db.session.scalars(select(Meeting)).one()
    _answer(client, world, 1, meeting.id, "decline")
    dispatch.dispatch_due()
    [declined] = _mails(smtp_server, world.person(0).email)
    assert "avböjt" in str(declined.message["Subject"])
    assert world.person(1).email not in declined.part("text/plain")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"message": "x" * 10_000}, "Högst 1000 tecken."),
        ({"slot": "999999"}, "Välj en av evenemangets mötestider."),
        ({"slot": "inte-ett-tal"}, "Välj en tid."),
    ],
)
def test_bad_requests_are_answered_in_swedish_and_store_nothing(client, world, data, message):
    url = _request_url(world, 0, 1)
    form = {"slot": str(world.slots[0].id), "message": "Hej", **data}
    response = _post(client, url, url, form)
    assert response.status_code in (409, 422)
    assert message in response.text
    assert _count(Meeting) == 0


def test_a_request_to_oneself_or_to_someone_already_booked_is_refused(client, world):
    assert client.get(_request_url(world, 0, 0)).status_code == 404 or _count(Meeting) == 0
    services.answer(
        world.bookings[2],
        world.person(2).id,
        services.request(
            world.bookings[1], world.person(1).id, world.person(2).id, world.slots[0].id, None
        ).id,
        True,
    )
    db.session.commit()
    url = _request_url(world, 0, 1)
    response = _post(client, url, url, {"slot": str(world.slots[0].id)})
    assert response.status_code == 409
    assert "Visad 1 har redan ett möte den tiden." in response.text
    assert _count(Meeting) == 1
    # Oneself through the service: the view never offers it, the rule still holds.
    with pytest.raises(services.MeetingError):
        services.request(
            world.bookings[0], world.person(0).id, world.person(0).id, world.slots[1].id, None
        )


def test_without_meetings_enabled_the_pages_are_not_there(client, world):
    services.set_enabled(world.organiser, world.event.id, False)
    db.session.commit()
    assert client.get(_page(world, 0)).status_code == 404
    assert (
        "Möten med andra deltagare"
        not in client.get(f"/bookings/{manage_token(world.bookings[0])}").text
    )


def test_a_profile_too_long_is_refused_on_its_field(client, world):
    token = manage_token(world.bookings[0])
    response = _post(
        client,
        _page(world, 0),
        f"/bookings/{token}/meetings/profile?participant={world.person(0).id}",
        {"display_name": "Anna", "company_name": "Solkraft AB", "offers": "x" * 600},
    )
    assert response.status_code == 422
    assert 'id="offers-error"' in response.text
    assert (
        db.session.scalar(
            select(MeetingProfile.offers).where(MeetingProfile.participant_id == world.person(0).id)
        )
        == "Erbjuder 0"
    )


def test_a_cancelled_booking_loses_its_meetings_and_the_other_side_is_emailed(
    client, world, smtp_server
):
    _ask(client, world, 0, 1)
    meeting = db.session.scalars(select(Meeting)).one()
    _answer(client, world, 1, meeting.id)
    dispatch.dispatch_due()
    token = manage_token(world.bookings[0])
    response = client.post(
        f"/bookings/{token}/cancel",
        data={"csrf_token": csrf_from(client.get(f"/bookings/{token}").text), "confirmed": "yes"},
    )
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Meeting, meeting.id).status == MeetingStatus.CANCELLED
    dispatch.dispatch_due()
    told = [
        r for r in smtp_server.to(world.person(1).email) if "inställt" in str(r.message["Subject"])
    ]
    assert len(told) == 1
    assert "deltar inte längre" in " ".join(told[0].part("text/plain").split())


def test_the_participants_feed_has_the_accepted_meeting_with_its_table(client, world):
    meeting = services.request(
        world.bookings[0], world.person(0).id, world.person(1).id, world.slots[1].id, None
    )
    services.answer(world.bookings[1], world.person(1).id, meeting.id, True)
    db.session.commit()
    url = f"/feeds/p/{participant_feed_token(world.person(0))}.ics"
    response = client.get(url)
    calendar = Calendar.from_ical(response.data)
    [entry] = [e for e in calendar.walk("VEVENT") if str(e["UID"]).startswith("meeting-")]
    assert str(entry["LOCATION"]) == "Bord 1"
    assert "Visad 1" in str(entry["SUMMARY"])
    assert entry.decoded("DTSTART") == world.slots[1].starts_at
    # The validators follow the meeting: a cancellation is a new body, kept as CANCELLED.
    etag = response.headers["ETag"]
    services.cancel_by_participant(world.bookings[1], world.person(1).id, meeting.id)
    db.session.commit()
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 200
    [entry] = [
        e
        for e in Calendar.from_ical(again.data).walk("VEVENT")
        if str(e["UID"]).startswith("meeting-")
    ]
    assert str(entry["STATUS"]) == "CANCELLED"


def test_organisers_see_the_grid_move_and_cancel_with_emails_and_log(client, world, smtp_server):
    meeting = services.request(
        world.bookings[0], world.person(0).id, world.person(1).id, world.slots[0].id, None
    )
    services.answer(world.bookings[1], world.person(1).id, meeting.id, True)
    db.session.commit()
    dispatch.dispatch_due()
    h.login_session(client, world.organiser)
    grid = client.get(f"/organisers/events/{world.event.id}/meetings")
    assert grid.status_code == 200
    assert world.bookings[0].company.name in grid.text and "Ledigt" in grid.text
    target = world.slots[2]
    page = f"/organisers/meetings/{meeting.id}/move"
    moved = _post(client, page, page, {"slot": str(target.id), "table": str(target.tables[1].id)})
    assert moved.status_code == 303
    db.session.expire_all()
    assert db.session.get(Meeting, meeting.id).table_id == target.tables[1].id
    page = f"/organisers/meetings/{meeting.id}/cancel"
    assert _post(client, page, page, {"reason": "Lokalen behövs"}).status_code == 303
    db.session.expire_all()
    assert db.session.get(Meeting, meeting.id).status == MeetingStatus.CANCELLED
    dispatch.dispatch_due()
    for i in (0, 1):
        subjects = [str(r.message["Subject"]) for r in smtp_server.to(world.person(i).email)]
        assert any("flyttat" in s for s in subjects) and any("inställt" in s for s in subjects)
    actions = set(db.session.scalars(select(AuditEntry.action)))
    assert {"meetings.moved", "meetings.cancelled"} <= actions


def test_organisers_generate_slots_and_bad_input_is_on_its_field(client, world):
    h.login_session(client, world.organiser)
    page = f"/organisers/events/{world.event.id}/meetings"
    url = f"/organisers/events/{world.event.id}/meetings/slots"
    data = {
        "day": world.day.isoformat(),
        "first": "15:00",
        "last": "16:00",
        "minutes": "20",
        "tables": "3",
    }
    assert _post(client, page, url, data).status_code == 303
    assert len(services.slots(world.event.id)) == 6
    outside = _post(client, page, url, {**data, "first": "06:00", "last": "07:00"})
    assert outside.status_code == 409
    assert "Mötestiderna måste ligga inom evenemangets tillfällen." in outside.text
    bad = _post(client, page, url, {**data, "first": "25:99"})
    assert bad.status_code == 422 and 'id="first-error"' in bad.text
    assert len(services.slots(world.event.id)) == 6


def test_printable_agendas_per_participant_and_per_table(client, world):
    meeting = services.request(
        world.bookings[0], world.person(0).id, world.person(1).id, world.slots[0].id, None
    )
    services.answer(world.bookings[1], world.person(1).id, meeting.id, True)
    db.session.commit()
    h.login_session(client, world.viewer)
    agendas = client.get(f"/organisers/events/{world.event.id}/meetings/agendas").text
    assert world.person(0).name in agendas and world.person(1).name in agendas
    one = client.get(
        f"/organisers/events/{world.event.id}/meetings/agendas?participant={world.person(0).id}"
    ).text
    assert f'id="agenda-{world.person(1).id}"' not in one
    tables = client.get(f"/organisers/events/{world.event.id}/meetings/tables").text
    assert "Bord 1" in tables and "Bord 2" in tables and world.bookings[1].company.name in tables


def test_the_agenda_goes_out_the_day_before_with_every_accepted_meeting(app, world, smtp_server):
    for a, b, slot in ((0, 1, 0), (2, 0, 1)):
        meeting = services.request(
            world.bookings[a], world.person(a).id, world.person(b).id, world.slots[slot].id, None
        )
        services.answer(world.bookings[b], world.person(b).id, meeting.id, True)
    db.session.commit()
    [row] = db.session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.kind == MessageKind.MEETING_AGENDA,
            OutboxMessage.participant_id == world.person(0).id,
        )
    ).all()
    assert row.due_at < world.slots[0].starts_at - timedelta(hours=12)
    dispatch.dispatch_due(row.due_at + timedelta(minutes=1))
    [agenda] = [
        r
        for r in smtp_server.to(world.person(0).email)
        if "Dina möten" in str(r.message["Subject"])
    ]
    text = agenda.part("text/plain")
    assert "Visad 1" in text and "Visad 2" in text and world.person(2).email in text


def test_the_project_report_counts_the_meetings(client, app):
    from tests import factories as f

    world = make_world()
    project = f.project(world.event.organisation)
    world.event.project_id = project.id
    meeting = services.request(
        world.bookings[0], world.person(0).id, world.person(1).id, world.slots[0].id, None
    )
    services.answer(world.bookings[1], world.person(1).id, meeting.id, True)
    services.request(
        world.bookings[2], world.person(2).id, world.person(0).id, world.slots[1].id, None
    )
    db.session.commit()
    h.login_session(client, world.organiser)
    year = world.day.year
    page = client.get(
        f"/organisers/reports/projects/{project.id}?first={year}-01-01&last={year}-12-31"
    ).text
    assert (
        "Begärda möten" in page and "Accepterade möten" in page and "Företag som har mötts" in page
    )


def test_pages_run_a_constant_number_of_queries(client, count_queries, app):
    world = make_world(people=3)
    h.login_session(client, world.organiser)

    def measure() -> tuple[int, int]:
        with count_queries() as participant:
            client.get(_page(world, 0))
        with count_queries() as grid:
            client.get(f"/organisers/events/{world.event.id}/meetings")
        return len(participant), len(grid)

    def meet(a: int, b: int, slot: int) -> None:
        m = services.request(
            world.bookings[a], world.person(a).id, world.person(b).id, world.slots[slot].id, None
        )
        services.answer(world.bookings[b], world.person(b).id, m.id, True)

    meet(1, 0, 0)
    db.session.commit()
    few = measure()
    from tests import factories as f

    for _ in range(4):
        booking = f.book(world.event, 1)
        services.save_profile(
            booking, booking.participants[0].id, services.prefill(booking.participants[0])
        )
        world.bookings.append(booking)
    meet(2, 0, 1)
    meet(3, 0, 2)
    meet(4, 5, 0)
    db.session.commit()
    assert measure() == few


@pytest.mark.parametrize(
    "app_config", [{"RATELIMIT_ENABLED": True, "PUBLIC_POST_LIMIT": "3 per minute"}]
)
def test_participant_posts_are_rate_limited(client, app):
    world = make_world()
    token = manage_token(world.bookings[0])
    url = f"/bookings/{token}/meetings/profile?participant={world.person(0).id}"
    statuses = [client.post(url, data={}).status_code for _ in range(5)]
    assert statuses[:3] != [429] * 3 and statuses[-1] == 429


@pytest.mark.parametrize("given", ["abc", "", "-1"])
def test_a_participant_that_is_not_one_is_404_not_the_first_participant(client, world, given):
    token = manage_token(world.bookings[0])
    page = f"/bookings/{token}/meetings"
    assert client.get(f"{page}?participant={given}").status_code == 404
    form = {"display_name": "Någon", "company_name": "Bolaget"}
    saved = _post(client, _page(world, 0), f"{page}/profile?participant={given}", form)
    assert saved.status_code == 404


def test_table_names_head_the_grid_and_a_name_given_twice_is_refused(client, world):
    h.login_session(client, world.organiser)
    page = f"/organisers/events/{world.event.id}/meetings"
    url = f"/organisers/events/{world.event.id}/meetings/slots"
    data = {"day": world.day.isoformat(), "first": "15:00", "last": "16:00", "minutes": "20"}
    twice = _post(client, page, url, {**data, "tables": "3", "table_names": "Vänern\nvänern"})
    assert twice.status_code in (409, 422) and 'id="table_names-error"' in twice.text
    assert "Varje bord behöver ett eget namn: Vänern, vänern finns två gånger." in twice.text
    # Nor may a name be an unnamed table's default ("Bord 3", "Table 3").
    for default in ("Bord 3", "table 3"):
        clash = _post(client, page, url, {**data, "tables": "3", "table_names": f"X\n{default}"})
        assert clash.status_code in (409, 422) and 'id="table_names-error"' in clash.text
    before = len(services.slots(world.event.id))
    assert _post(client, page, url, {**data, "tables": "2", "table_names": "Vänern\nVättern"})
    assert len(services.slots(world.event.id)) == before + 3
    grid = client.get(page).text
    # The world's own times have unnamed tables, so the columns keep their numbers and
    # the cells of the new times say their names.
    assert '<th scope="col">Bord 1</th>' in grid and "<small>Vänern</small>" in grid


def test_a_column_named_alike_at_every_time_is_headed_by_its_name(app):
    from types import SimpleNamespace as Row

    from webapp.meetings.views import _columns

    def at(*names):
        return Row(tables=[Row(name=n) for n in names])

    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert _columns([at("Vänern", None), at("Vänern", "Vättern")]) == ["Vänern", "Table 2"]
        assert _columns([at("Vänern"), at("Mälaren", "Hjälmaren")]) == ["Table 1", "Hjälmaren"]
        assert _columns([]) == []
