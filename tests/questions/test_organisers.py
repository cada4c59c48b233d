"""Organisers' question pages, the rules on answered questions, the attendee list's answers
and filters, and the answer columns of the CSV and XLSX exports."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, insert, select

from tests import factories as f
from tests.accounts import helpers as h
from tests.conftest import csrf_from
from tests.organisers import bulk
from tests.questions.helpers import question
from webapp.bookings.models import Booking, Participant
from webapp.db import db
from webapp.organisations.audit import AuditEntry
from webapp.questions import services
from webapp.questions.models import Answer, Question, QuestionKind, QuestionScope

EN = {"Accept-Language": "en"}


@pytest.fixture
def answered(app):
    """An event with one question of each kind (and one per participant), two bookings that
    answered, and a third that did not."""
    org = f.organisation()
    organiser = h.user(org)
    event = f.event(org, capacity=None)
    qs = {
        kind: question(organiser, event.id, kind, text=f"Q {kind.value}") for kind in QuestionKind
    }
    track = question(
        organiser, event.id, QuestionKind.SINGLE_CHOICE, scope=QuestionScope.PARTICIPANT,
        text="Track", options=[("Export", "Export"), ("Energi", "Energy")],
    )  # fmt: skip
    first, second, silent = f.book(event, 2), f.book(event, 1), f.book(event, 1)
    services.save_answers(
        first,
        {
            qs[QuestionKind.SHORT_TEXT].id: "=REF 1",
            qs[QuestionKind.LONG_TEXT].id: "Lång\ntext",
            qs[QuestionKind.SINGLE_CHOICE].id: "o1",
            qs[QuestionKind.MULTIPLE_CHOICE].id: "o1,o2",
            qs[QuestionKind.YES_NO].id: "yes",
            qs[QuestionKind.NUMBER].id: "12.5",
            qs[QuestionKind.DATE].id: "2027-03-15",
        },
        [(first.participants[0], {track.id: "o1"}), (first.participants[1], {track.id: "o2"})],
    )
    services.save_answers(
        second,
        {qs[QuestionKind.SINGLE_CHOICE].id: "o2", qs[QuestionKind.YES_NO].id: "no"},
        [(second.participants[0], {track.id: "o2"})],
    )
    db.session.commit()
    return {
        "org": org,
        "organiser": organiser,
        "event": event,
        "qs": qs,
        "track": track,
        "bookings": (first, second, silent),
    }


# --- rules -------------------------------------------------------------------------------


def test_a_kind_change_is_refused_once_answers_exist(answered):
    q = answered["qs"][QuestionKind.SINGLE_CHOICE]
    data = services.QuestionData(
        kind=QuestionKind.SHORT_TEXT, scope=q.scope, required=True, text_sv="x", text_en="x"
    )
    with pytest.raises(services.QuestionError) as refused:
        services.update_question(answered["organiser"], q.id, data)
    assert refused.value.field == "kind"
    db.session.rollback()
    assert db.session.get(Question, q.id).kind == QuestionKind.SINGLE_CHOICE


def test_a_chosen_option_cannot_be_taken_away_but_may_be_reworded(answered):
    q = answered["qs"][QuestionKind.SINGLE_CHOICE]
    base = dict(kind=q.kind, scope=q.scope, required=True, text_sv="Spår", text_en="Track")
    with pytest.raises(services.QuestionError):
        services.update_question(
            answered["organiser"], q.id, services.QuestionData(**base, options=[("A", "A")])
        )
    db.session.rollback()
    services.update_question(
        answered["organiser"],
        q.id,
        services.QuestionData(**base, options=[("Spår Ett", "Track One"), ("Två", "Two")]),
    )
    db.session.commit()
    assert [o["key"] for o in db.session.get(Question, q.id).options] == ["o1", "o2"]


SECTORS = [
    ("Tillverkning", "Manufacturing"),
    ("Handel & service", "Trade & services"),
    ("Offentlig sektor", "Public sector"),
    ("Övrigt", "Other"),
]


@pytest.fixture
def sectors(client, app):
    """A several-choices question (keys o1–o4 in the order of SECTORS) that three bookings
    answered: Tillverkning + Handel & service, Handel & service, Övrigt. Nobody chose
    Offentlig sektor. The organiser is logged in."""
    org = f.organisation()
    organiser = h.user(org)
    event = f.event(org, capacity=None)
    q = question(organiser, event.id, QuestionKind.MULTIPLE_CHOICE, text="Sector", options=SECTORS)
    bookings = [f.book(event, 1) for _ in range(3)]
    for booking, value in zip(bookings, ["o1,o2", "o2", "o4"], strict=True):
        services.save_answers(booking, {q.id: value})
    db.session.commit()
    h.login_session(client, organiser)
    return {"organiser": organiser, "event": event, "q": q, "bookings": bookings}


def _sector_cells(client, sectors) -> list[str]:
    """The Sector column of the English CSV export, one cell per booking in order."""
    response = client.get(f"/organisers/events/{sectors['event'].id}/attendees.csv", headers=EN)
    rows = csv.DictReader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=";")
    return [row["Sector"] for row in rows]


ANSWERED_SECTORS = ["Manufacturing, Trade & services", "Trade & services", "Other"]


def _edit_options(client, sectors, options: list[tuple[str, str]], language=EN):
    q = sectors["q"]
    edit = f"/organisers/questions/{q.id}/edit"
    token = csrf_from(client.get(edit).text)
    return client.post(
        edit,
        data={
            "csrf_token": token,
            "text_sv": q.text_sv,
            "text_en": q.text_en,
            "kind": q.kind.value,
            "scope": q.scope.value,
            "required": "y",
            "options_sv": "\n".join(sv for sv, _en in options),
            "options_en": "\n".join(en for _sv, en in options),
        },  # fmt: skip
        headers=language,
    )


def _stored(sectors) -> list[tuple[str, str]]:
    db.session.expire_all()
    return [(o["key"], o["sv"]) for o in db.session.get(Question, sectors["q"].id).options]


def test_reordering_the_options_keeps_every_answer_with_its_option(client, sectors):
    assert _sector_cells(client, sectors) == ANSWERED_SECTORS
    reordered = [SECTORS[1], SECTORS[0], SECTORS[3], SECTORS[2]]
    assert _edit_options(client, sectors, reordered).status_code == 303
    assert _stored(sectors) == [
        ("o2", "Handel & service"), ("o1", "Tillverkning"),
        ("o4", "Övrigt"), ("o3", "Offentlig sektor"),
    ]  # fmt: skip
    # Each answer still shows the options it chose, in the list, its filter and the export.
    assert _sector_cells(client, sectors) == ANSWERED_SECTORS
    url = f"/organisers/events/{sectors['event'].id}/attendees"
    page = client.get(url, headers=EN).text
    assert "Sector: Manufacturing, Trade &amp; services" in page
    chose_other = client.get(f"{url}?answer-{sectors['q'].id}=o4", headers=EN).text
    first, _second, third = sectors["bookings"]
    assert third.company.name in chose_other and first.company.name not in chose_other


def test_reordering_and_rewording_at_once_moves_no_answer(client, sectors):
    # Two swapped, one only in another case, and Övrigt reworded where it stands.
    options = [SECTORS[1], ("tillverkning", "Manufacturing"), SECTORS[2], ("Annat", "Else")]
    assert _edit_options(client, sectors, options).status_code == 303
    assert _stored(sectors) == [
        ("o2", "Handel & service"), ("o1", "tillverkning"),
        ("o3", "Offentlig sektor"), ("o4", "Annat"),
    ]  # fmt: skip
    assert _sector_cells(client, sectors) == [*ANSWERED_SECTORS[:2], "Else"]


def test_an_option_nobody_chose_can_be_removed_and_a_new_one_gets_a_new_key(client, sectors):
    options = [SECTORS[0], SECTORS[1], SECTORS[3], ("Utbildning", "Education")]
    assert _edit_options(client, sectors, options).status_code == 303
    assert _stored(sectors) == [
        ("o1", "Tillverkning"), ("o2", "Handel & service"),
        ("o4", "Övrigt"), ("o5", "Utbildning"),
    ]  # fmt: skip
    assert _sector_cells(client, sectors) == ANSWERED_SECTORS


@pytest.mark.parametrize(
    ("language", "message"),
    [
        (EN, "“Handel &amp; service” has been chosen in 2 answers, so it cannot be removed. "
             "Keep it, or hide the question and add a new one instead."),
        ({"Accept-Language": "sv"}, "”Handel &amp; service” har valts i 2 svar, så det kan "
                                    "inte tas bort. Behåll det, eller dölj frågan och lägg "
                                    "till en ny i stället."),
    ],
)  # fmt: skip
def test_removing_a_chosen_option_is_refused_on_its_field_and_changes_nothing(
    client, sectors, language, message
):
    before = _stored(sectors)
    response = _edit_options(client, sectors, [SECTORS[0], SECTORS[3]], language)
    assert response.status_code == 409
    assert 'id="options_sv-error"' in response.text and message in response.text
    assert _stored(sectors) == before
    assert _sector_cells(client, sectors) == ANSWERED_SECTORS
    edit_page = client.get(f"/organisers/questions/{sectors['q'].id}/edit", headers=EN).text
    assert "reworded where they stand" in edit_page


def test_deletion_is_refused_once_answers_exist_and_hiding_keeps_them(client, answered):
    q = answered["qs"][QuestionKind.YES_NO]
    h.login_session(client, answered["organiser"])
    page = client.get(f"/organisers/events/{answered['event'].id}/questions", headers=EN)
    token = csrf_from(page.text)
    assert f"/organisers/questions/{q.id}/delete" not in page.text  # no button offered
    refused = client.post(
        f"/organisers/questions/{q.id}/delete",
        data={"csrf_token": token, "confirmed": "yes"},
        headers=EN,
        follow_redirects=True,
    )
    assert "so it cannot be deleted. Hide it instead." in refused.text
    assert db.session.get(Question, q.id) is not None
    client.post(f"/organisers/questions/{q.id}/hide", data={"csrf_token": token, "hidden": "1"})
    db.session.expire_all()
    assert db.session.get(Question, q.id).hidden
    export = client.get(f"/organisers/events/{answered['event'].id}/attendees.csv", headers=EN)
    rows = list(csv.DictReader(io.StringIO(export.data.decode("utf-8-sig")), delimiter=";"))
    assert [r["Q yes_no"] for r in rows] == ["Yes", "Yes", "No", ""]
    actions = db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert "question.hidden" in actions and "question.deleted" not in actions


def test_an_unanswered_question_is_deleted_after_confirming(client, answered):
    q = question(answered["organiser"], answered["event"].id, QuestionKind.NUMBER, text="Spare")
    db.session.commit()
    h.login_session(client, answered["organiser"])
    token = csrf_from(client.get(f"/organisers/events/{answered['event'].id}/questions").text)
    url = f"/organisers/questions/{q.id}/delete"
    asked = client.post(url, data={"csrf_token": token}, headers=EN)
    assert asked.status_code == 200 and "Delete the question" in asked.text
    done = client.post(url, data={"csrf_token": token, "confirmed": "yes"})
    assert done.status_code == 303
    assert db.session.get(Question, q.id) is None


def _on_the_questions_page(client):
    """A new event's organiser, logged in: the event, its questions page and a CSRF token."""
    org = f.organisation()
    organiser = h.user(org)
    event = f.event(org)
    db.session.commit()
    h.login_session(client, organiser)
    url = f"/organisers/events/{event.id}/questions"
    return event, url, csrf_from(client.get(url, headers=EN).text)


def test_questions_are_added_edited_and_ordered_through_the_pages(client, app):
    event, url, token = _on_the_questions_page(client)
    base = {"csrf_token": token, "text_sv": "Vilket spår?", "text_en": "Which track?",
            "kind": "single_choice", "scope": "participant", "required": "y"}  # fmt: skip
    no_options = client.post(url, data=base, headers=EN)
    assert no_options.status_code == 422
    assert "A choice question needs at least one option." in no_options.text
    uneven = client.post(
        url, data={**base, "options_sv": "Ett\nTvå", "options_en": "One"}, headers=EN
    )
    assert "Give as many English options as Swedish ones" in uneven.text
    assert db.session.scalar(select(func.count(Question.id))) == 0
    added = client.post(url, data={**base, "options_sv": "Export\nEnergi", "options_en": ""})
    assert added.status_code == 303
    second = client.post(
        url, data={**base, "kind": "yes_no", "text_sv": "Ställa ut?", "text_en": "Exhibit?"}
    )
    assert second.status_code == 303
    track, exhibit = services.questions_for(event.id)
    assert track.options == [
        {"key": "o1", "sv": "Export", "en": ""},
        {"key": "o2", "sv": "Energi", "en": ""},
    ]  # no English given: shown in Swedish, marked so
    client.post(f"/organisers/questions/{exhibit.id}/move", data={"csrf_token": token, "to": "up"})
    assert [q.id for q in services.questions_for(event.id)] == [exhibit.id, track.id]
    edit = f"/organisers/questions/{track.id}/edit"
    assert "Energi" in client.get(edit, headers=EN).text
    three = {"options_sv": "Export\nEnergi\nDigitalt", "options_en": "Export\nEnergy\nDigital"}
    changed = client.post(edit, data={**base, **three})
    assert changed.status_code == 303
    db.session.expire_all()
    assert [o["en"] for o in db.session.get(Question, track.id).options] == [
        "Export", "Energy", "Digital"
    ]  # fmt: skip
    swedish = client.get(url).text
    assert "Frågor vid anmälan" in swedish and "Vilket spår?" in swedish
    actions = db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions.count("question.added") == 2 and "question.moved" in actions
    assert "question.edited" in actions


def test_a_kind_change_through_the_page_is_refused_on_its_field(client, answered):
    q = answered["qs"][QuestionKind.SINGLE_CHOICE]
    h.login_session(client, answered["organiser"])
    edit = f"/organisers/questions/{q.id}/edit"
    token = csrf_from(client.get(edit).text)
    response = client.post(
        edit,
        data={
            "csrf_token": token,
            "text_sv": "Fråga",
            "text_en": "Question",
            "kind": "short_text",
            "scope": "booking",
        },  # fmt: skip
        headers=EN,
    )
    assert response.status_code == 409
    assert 'id="kind-error"' in response.text and "its kind cannot change" in response.text
    db.session.expire_all()
    assert db.session.get(Question, q.id).kind == QuestionKind.SINGLE_CHOICE


def test_viewers_may_not_change_questions(client, answered):
    viewer = h.user(answered["org"], "viewer")
    db.session.commit()
    with pytest.raises(services.NotAllowed):
        services.add_question(
            viewer,
            answered["event"].id,
            services.QuestionData(
                kind=QuestionKind.SHORT_TEXT, scope=QuestionScope.BOOKING, required=False,
                text_sv="x", text_en="x",
            ),
        )  # fmt: skip


# --- the attendee list and the exports -----------------------------------------------------


def test_answers_are_shown_and_filtered_by_choice(client, answered):
    first, second, silent = answered["bookings"]
    event, qs = answered["event"], answered["qs"]
    h.login_session(client, answered["organiser"])
    url = f"/organisers/events/{event.id}/attendees"
    page = client.get(url, headers=EN).text
    assert "Q short_text: =REF 1" in page and "Track: Energy" in page
    assert f'name="answer-{qs[QuestionKind.SINGLE_CHOICE].id}"' in page
    chosen = client.get(f"{url}?answer-{qs[QuestionKind.SINGLE_CHOICE].id}=o2", headers=EN).text
    assert second.company.name in chosen
    assert first.company.name not in chosen and silent.company.name not in chosen
    # A participant's answer selects their booking; filters combine.
    by_track = client.get(f"{url}?answer-{answered['track'].id}=o2", headers=EN).text
    assert first.company.name in by_track and second.company.name in by_track
    both = f"{url}?answer-{answered['track'].id}=o2&answer-{qs[QuestionKind.YES_NO].id}=yes"
    combined = client.get(both, headers=EN).text
    assert first.company.name in combined and second.company.name not in combined
    # The exports follow the filter.
    assert f"answer-{qs[QuestionKind.YES_NO].id}=yes" in combined
    export = client.get(both.replace("/attendees?", "/attendees.csv?"), headers=EN)
    rows = list(csv.DictReader(io.StringIO(export.data.decode("utf-8-sig")), delimiter=";"))
    assert {r["Company"] for r in rows} == {first.company.name}
    # A participant's own answer filters the rows: only the one who chose that track.
    by_person = client.get(f"{url}.csv?answer-{answered['track'].id}=o2", headers=EN)
    people = list(csv.DictReader(io.StringIO(by_person.data.decode("utf-8-sig")), delimiter=";"))
    assert sorted(r["Participant"] for r in people) == sorted(
        [first.participants[1].name, second.participants[0].name]
    )
    # An option that is not offered filters nothing.
    assert silent.company.name in client.get(f"{url}?answer-{answered['track'].id}=zz").text
    booking_page = client.get(f"/organisers/bookings/{first.id}", headers=EN).text
    assert "Answers to the event" in booking_page and "2027-03-15" in booking_page


def _expected_answer_cells(answered, language="en"):
    track = "Track" if language == "en" else "Track (sv)"
    headers = [f"Q {k.value}" if language == "en" else f"Q {k.value} (sv)" for k in QuestionKind]
    headers.append(track)
    yes, no = ("Yes", "No") if language == "en" else ("Ja", "Nej")
    first_answers = ["=REF 1", "Lång\ntext", "Track A", "Track A, Track B", yes, "12.5",
                     "2027-03-15"]  # fmt: skip
    if language == "sv":
        first_answers = ["=REF 1", "Lång\ntext", "Spår A", "Spår A, Spår B", yes, "12,5",
                         "2027-03-15"]  # fmt: skip
    second = ["", "", "Track B" if language == "en" else "Spår B", "", no, "", ""]
    return headers, [
        [*first_answers, "Export"],
        [*first_answers, "Energy" if language == "en" else "Energi"],
        [*second, "Energy" if language == "en" else "Energi"],
        [""] * 8,
    ]


def test_the_xlsx_export_has_one_column_per_question_cell_by_cell(client, answered):
    h.login_session(client, answered["organiser"])
    response = client.get(f"/organisers/events/{answered['event'].id}/attendees.xlsx", headers=EN)
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = [
        [cell if cell is not None else "" for cell in row]
        for row in sheet.iter_rows(values_only=True)
    ]
    headers, expected = _expected_answer_cells(answered)
    assert rows[0][-8:] == headers
    assert [row[-8:] for row in rows[1:]] == expected


def test_the_csv_export_has_one_column_per_question_cell_by_cell(client, answered):
    h.login_session(client, answered["organiser"])
    response = client.get(f"/organisers/events/{answered['event'].id}/attendees.csv")  # Swedish
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=";"))
    headers, expected = _expected_answer_cells(answered, "sv")
    assert rows[0][-8:] == headers
    expected[0][0] = expected[1][0] = "'=REF 1"  # text is never run as a formula
    assert [row[-8:] for row in rows[1:]] == expected


def test_the_attendee_list_keeps_its_query_count_as_bookings_and_questions_grow(
    app, client, count_queries
):
    org = f.organisation()
    organiser = h.user(org)
    small, large = f.event(org, capacity=None), f.event(org, capacity=None)
    bulk.bookings(small, 5, offset=50_000)
    bulk.bookings(large, 400, participants_each=2, offset=60_000)
    for event, n in ((small, 1), (large, 12)):
        for i in range(n):
            kind = (QuestionKind.MULTIPLE_CHOICE, QuestionKind.SHORT_TEXT)[i % 2]
            scope = (QuestionScope.BOOKING, QuestionScope.PARTICIPANT)[i % 2]
            question(organiser, event.id, kind, scope=scope, text=f"Q{i}")
    rows = []
    for event in (small, large):
        questions = services.questions_for(event.id)
        for booking_id, participant_id in db.session.execute(
            select(Booking.id, Participant.id).join(Participant).where(Booking.event_id == event.id)
        ):
            for q in questions:
                scoped = q.scope == QuestionScope.PARTICIPANT
                rows.append({"question_id": q.id, "booking_id": booking_id,
                             "participant_id": participant_id if scoped else None,
                             "value": "o1" if q.kind.has_options else "svar",
                             "created_at": f.now()})  # fmt: skip
    db.session.execute(insert(Answer), rows)
    db.session.commit()
    h.login_session(client, organiser)
    counted = {}
    for event in (small, large):
        for url in ("attendees", "attendees.xlsx"):
            db.session.expire_all()
            with count_queries() as statements:
                response = client.get(f"/organisers/events/{event.id}/{url}?answer-x=1")
            assert response.status_code == 200
            counted[(event.id, url)] = len(statements)
    assert counted[(small.id, "attendees")] == counted[(large.id, "attendees")], counted
    assert counted[(small.id, "attendees.xlsx")] == counted[(large.id, "attendees.xlsx")]
    assert counted[(large.id, "attendees")] <= 12, counted


def test_partner_organisations_see_the_list_without_the_answers(client, answered):
    partner = f.organisation("Partnern")
    event = answered["event"]
    event.project_id = f.project(answered["org"], partners=[partner]).id
    reader = h.user(partner, "organiser")
    db.session.commit()
    h.login_session(client, reader)
    url = f"/organisers/events/{event.id}/attendees"
    page = client.get(url, headers=EN)
    assert page.status_code == 200
    assert "Track: Energy" not in page.text and "=REF 1" not in page.text
    export = client.get(url + ".csv", headers=EN).data.decode("utf-8-sig")
    assert "Track" not in export.splitlines()[0] and "=REF 1" not in export


def test_a_question_without_english_is_asked_in_swedish_on_english_pages(client, app):
    event, url, token = _on_the_questions_page(client)
    data = {"csrf_token": token, "text_sv": "Vilken bransch?", "text_en": "",
            "kind": "short_text", "scope": "booking"}  # fmt: skip
    assert client.post(url, data=data).status_code == 303
    (question,) = services.questions_for(event.id)
    assert question.text("en") == "Vilken bransch?" and question.text("en").lang == "sv"
    client.post("/organisers/logout", data={"csrf_token": token})
    form = client.get(f"/events/{event.id}/register", headers=EN).text
    # Marked as Swedish for screen readers; escaped like any other text.
    assert '<span lang="sv">Vilken bransch?</span> (optional)' in form
    swedish = client.get(f"/events/{event.id}/register", headers={"Accept-Language": "sv"}).text
    assert "Vilken bransch? (frivilligt)" in swedish and '<span lang="sv">Vilken' not in swedish


@pytest.mark.parametrize("kind", [QuestionKind.SINGLE_CHOICE, QuestionKind.MULTIPLE_CHOICE])
def test_an_option_without_english_is_marked_swedish_on_english_pages(client, kind):
    org = f.organisation()
    event = f.event(org=org)
    options = [("Ja, <gärna>", "Yes, <please>"), ("Bara på svenska", "")]
    question(h.user(org), event.id, kind, options=options)
    db.session.commit()
    form = client.get(f"/events/{event.id}/register", headers=EN).text
    # Escaped like any other text; only the option without English is marked (WCAG 3.1.2).
    assert "Yes, &lt;please&gt;</label>" in form
    assert '<span lang="sv">Bara på svenska</span></label>' in form
    assert 'lang="sv">Ja' not in form
    swedish = client.get(f"/events/{event.id}/register", headers={"Accept-Language": "sv"}).text
    assert "Bara på svenska</label>" in swedish and "Ja, &lt;gärna&gt;</label>" in swedish
    assert '<span lang="sv">' not in swedish
