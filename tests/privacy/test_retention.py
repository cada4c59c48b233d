"""The retention job on a world with past and future events: database rows, not pages."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from tests import factories as f
from tests.privacy.helpers import cells_containing, snapshot
from tests.reports import scenario
from webapp.bookings import services as bookings
from webapp.bookings.models import Attendance, Booking, Gender, Participant
from webapp.db import db
from webapp.notifications.models import MessageStatus, OutboxMessage
from webapp.organisations.audit import AuditEntry
from webapp.privacy import retention
from webapp.reports import services as reports
from webapp.reports.services import Period


def _book_with_needs(event, company: int) -> Booking:
    booking = bookings.register(
        event.id,
        f.company_data(company),
        bookings.ContactData(
            name=f"Kontakt {company}", email=f"kontakt{company}@example.se", phone="070-123 45 67"
        ),
        [
            bookings.ParticipantData(
                name=f"Deltagare {company}",
                email=f"deltagare{company}@example.se",
                dietary_needs="Vegan",
                accessibility_needs="Rullstol",
                gender=Gender.FEMALE,
            )
        ],
        consent_version="test",
        message="Vi kommer lite sent",
    )
    return booking


@pytest.fixture
def world(app):
    org = f.organisation(needs_retention_days=30)
    short = f.project(org, retention_years=1)
    soon = f.event(org, starts_at=datetime.now(UTC).replace(microsecond=0) + timedelta(days=5))
    old = f.event(org, project=short, starts_at=soon.starts_at + timedelta(days=1))
    later = f.event(org, starts_at=soon.starts_at + timedelta(days=800))
    past = {"soon": _book_with_needs(soon, 1), "old": _book_with_needs(old, 2)}
    future = _book_with_needs(later, 3)
    db.session.commit()
    return org, soon, old, later, past, future


def _sent_long_ago(now: datetime, days: int) -> None:
    for message in db.session.scalars(select(OutboxMessage)):
        message.status = MessageStatus.SENT
        message.sent_at = now - timedelta(days=days)
    db.session.commit()


def test_needs_and_messages_go_after_the_organisations_period_and_future_events_stay(world):
    org, soon, old, later, past, future = world
    now = old.ends_at + timedelta(days=31)
    before_future = _rows_of(future)
    done = retention.run(now)
    assert done.summary()["needs_participants"] == 2
    db.session.expire_all()
    for booking in past.values():
        row = db.session.get(Booking, booking.id)
        assert row.message is None
        for participant in row.participants:
            assert (participant.dietary_needs, participant.accessibility_needs) == (None, None)
    # The people are kept until their project's (or the default) period is over.
    assert db.session.get(Booking, past["soon"].id).contact_email == "kontakt1@example.se"
    assert _rows_of(future) == before_future
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "privacy.retention"))
    assert entry.one().details["needs_participants"] == 2


def _rows_of(booking: Booking) -> tuple:
    db.session.expire_all()
    row = db.session.get(Booking, booking.id)
    return (
        row.contact_name,
        row.contact_email,
        row.contact_phone,
        row.message,
        [(p.name, p.email, p.dietary_needs, p.accessibility_needs) for p in row.participants],
    )


def test_outbox_content_goes_after_ninety_days_keeping_kind_domain_status_and_times(world):
    org, soon, *_ = world
    now = soon.starts_at - timedelta(days=1)  # no event has ended: only the outbox rule
    _sent_long_ago(now, 91)
    before = {m.id: (m.kind, m.status, m.sent_at, m.created_at) for m in _messages()}
    retention.run(now)
    after = _messages()
    assert after and all(m.content_erased_at == now for m in after)
    for m in after:
        assert (m.kind, m.status, m.sent_at, m.created_at) == before[m.id]
        assert m.recipient_email == "@example.se"
        assert (m.recipient_name, m.payload, m.last_error) == ("", {}, None)
    assert not [c for c in cells_containing("kontakt1@") if c[0] == "outbox_messages"]


def test_a_message_sent_less_than_ninety_days_ago_is_kept(world):
    org, soon, *_ = world
    now = soon.starts_at - timedelta(days=1)
    _sent_long_ago(now, 89)
    retention.run(now)
    assert all(m.content_erased_at is None and "@example.se" in m.recipient_email[1:]
               for m in _messages())  # fmt: skip


def _messages() -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def test_people_of_events_past_their_projects_period_are_anonymised_not_deleted(world):
    org, soon, old, later, past, future = world
    now = old.ends_at + timedelta(days=366)
    retention.run(now)
    db.session.expire_all()
    anonymised = db.session.get(Booking, past["old"].id)
    assert anonymised.anonymised_at == now
    assert (anonymised.contact_name, anonymised.contact_phone, anonymised.message) == (
        "—",
        None,
        None,
    )
    assert anonymised.contact_email.endswith("@anonymised.invalid")
    person = anonymised.participants[0]
    assert person.name == "—" and person.email.endswith("@anonymised.invalid")
    assert person.gender == Gender.FEMALE and anonymised.company_id == past["old"].company_id
    # The event without a project keeps its people for the default ten years.
    kept = db.session.get(Booking, past["soon"].id)
    assert kept.anonymised_at is None and kept.contact_email == "kontakt1@example.se"
    for address in ("kontakt2@example.se", "deltagare2@example.se", "Kontakt 2", "Deltagare 2"):
        assert cells_containing(address) == [], address
    assert cells_containing("deltagare3@example.se"), "the future event's people stay"


def test_the_dry_run_prints_the_plan_and_changes_nothing(world, runner, app):
    org, soon, old, later, past, future = world
    _sent_long_ago(old.ends_at, 200)
    before = snapshot()
    result = runner.invoke(args=["retention", "run", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "would erase" in result.output
    assert snapshot() == before
    plan = retention.run(old.ends_at + timedelta(days=400), dry_run=True)
    assert plan.summary()["anonymised_participants"] == 1
    assert snapshot() == before
    result = runner.invoke(args=["retention", "run"])
    assert result.exit_code == 0 and "erased:" in result.output
    assert snapshot() != before


def test_a_second_run_finds_nothing_more_to_do(world):
    org, soon, old, *_ = world
    now = old.ends_at + timedelta(days=400)
    first = retention.run(now)
    assert any(first.summary().values())
    assert not any(retention.run(now).summary().values())


def test_the_daily_job_is_in_the_scheduler(app):
    from apscheduler.schedulers.background import BackgroundScheduler

    from webapp.notifications import scheduler

    configured = scheduler.configure(BackgroundScheduler(timezone="UTC"), app)
    job = configured.get_job("daily-retention")
    assert job is not None and job.func is retention.daily_job


def test_reports_figures_are_identical_before_and_after_anonymisation(app):
    world = scenario.build()
    period = Period(date(2026, 3, 1), date(2026, 4, 30))
    scopes = [
        reports.project_scope(world.organiser, world.project.id),
        reports.organisation_scope(world.organiser, world.home.id),
    ]
    before = [asdict(reports.report(scope, period).figures) for scope in scopes]
    attended = db.session.scalars(select(Attendance.present).order_by(Attendance.id)).all()
    done = retention.run(datetime(2037, 1, 1, tzinfo=UTC))
    assert done.summary()["anonymised_participants"] >= 8
    db.session.expire_all()
    assert all(p.anonymised_at for p in db.session.scalars(select(Participant)))
    after = [asdict(reports.report(scope, period).figures) for scope in scopes]
    assert after == before
    assert db.session.scalars(select(Attendance.present).order_by(Attendance.id)).all() == attended
    assert cells_containing("anna@alfa.example") == []


def test_registration_answers_go_with_their_person_but_choices_stay(world):
    from webapp.questions.models import Answer, Question, QuestionKind, QuestionScope

    org, soon, old, later, past, future = world
    booking = past["old"]

    def question(kind: QuestionKind, scope: QuestionScope) -> Question:
        row = Question(event_id=old.id, kind=kind, scope=scope, text_sv="Fråga", text_en="Question")
        db.session.add(row)
        db.session.flush()
        return row

    motivation = question(QuestionKind.LONG_TEXT, QuestionScope.BOOKING)
    diet = question(QuestionKind.SHORT_TEXT, QuestionScope.PARTICIPANT)
    exhibit = question(QuestionKind.YES_NO, QuestionScope.BOOKING)
    person = booking.participants[0]
    db.session.add_all(
        [
            Answer(question_id=motivation.id, booking_id=booking.id, value="Vi heter Kontakt 2"),
            Answer(
                question_id=diet.id,
                booking_id=booking.id,
                participant_id=person.id,
                value="Deltagare 2 vill ha fönsterplats",
            ),
            Answer(question_id=exhibit.id, booking_id=booking.id, value="yes"),
        ]
    )
    db.session.commit()
    retention.run(old.ends_at + timedelta(days=366))
    db.session.expire_all()
    kept = db.session.scalars(select(Answer)).all()
    assert [(a.question_id, a.value) for a in kept] == [(exhibit.id, "yes")]
    assert cells_containing("fönsterplats") == [] and cells_containing("Vi heter") == []
