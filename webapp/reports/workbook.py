"""A report as an XLSX workbook (one sheet per table, and the participant list) and CSV.

The participant sheet is the list funders ask projects to keep: one row per person on a
confirmed booking of an event held in the period, with the project, event, its kind and
held session dates, the company (register data), the person and their attended sessions
and hours. Hours are numbers; an attendance rate is a share between 0 and 1 (empty while
nothing is marked).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from flask_babel import gettext as _

from webapp import xlsx
from webapp.bookings.exports import Cell, gender_name, hours, to_csv_bytes
from webapp.bookings.models import Gender
from webapp.companies.models import SizeClass
from webapp.events.models import EventKind
from webapp.i18n import format_date, format_datetime
from webapp.reports import labels
from webapp.reports.figures import COMPANY_DIMENSIONS, ParticipantRow
from webapp.reports.services import Report


def participant_header() -> list[str]:
    return [
        _("Project"), _("Event"), _("Kind"), _("Session dates"), _("Company"),
        _("Organisation number"), _("County"), _("Size class"), _("Participant"), _("Email"),
        _("Gender"), _("Sessions attended"), _("Hours"),
    ]  # fmt: skip


def participant_rows(
    rows: list[ParticipantRow], dates: dict[int, list[datetime]]
) -> Iterator[list[Cell]]:
    """The participant sheet's rows, in participant_header() order."""
    formatted = {
        event_id: ", ".join(format_date(moment) for moment in moments)
        for event_id, moments in dates.items()
    }
    # Labels are looked up once per distinct value: a translation lookup per cell would
    # cost more than writing the cell.
    kinds = {kind: kind.label for kind in EventKind}
    sizes = {size: labels.size(size) for size in SizeClass}
    genders = {gender: gender_name(gender) for gender in (*Gender, None)}
    counties: dict[str | None, str] = {}
    for row in rows:
        county = counties.get(row.county)
        if county is None:
            county = counties[row.county] = labels.county(row.county)
        yield [
            row.project or "", row.event, kinds[row.kind], formatted.get(row.event_id, ""),
            row.company, row.org_number, county, sizes[row.size_class], row.name, row.email,
            genders[row.gender], row.sessions, hours(row.minutes),
        ]  # fmt: skip


def participants_csv(rows: list[ParticipantRow], dates: dict[int, list[datetime]]) -> bytes:
    return to_csv_bytes(participant_header(), participant_rows(rows, dates))


def _summary(report: Report, generated: datetime) -> list[list[Cell]]:
    fig, scope = report.figures, report.scope
    project = scope.project
    lines: list[list[Cell]] = [
        [_("Report"), scope.name],
        [_("Period"), f"{report.period.first.isoformat()} – {report.period.last.isoformat()}"],
    ]
    if project is not None:
        lines.append([_("Lead organisation"), scope.organisation.name])
        if project.funder:
            lines.append([_("Funder"), project.funder])
        if project.funder_reference:
            lines.append([_("Funder's reference"), project.funder_reference])
    lines += [
        [_("Generated"), format_datetime(generated)],
        [_("RCO01 Enterprises supported"), fig.companies_total.attended],
        [_("Companies with a confirmed booking"), fig.companies_total.total],
        [_("RCO04 Enterprises with non-financial support"), fig.companies_total.attended],
        [_("Participants (unique persons)"), fig.persons_total],
        [_("Participations"), fig.participations_total],
        [_("Participant hours"), hours(fig.minutes_total)],
        [_("Events held"), sum(k.held for k in fig.kinds)],
        [_("Sessions held"), fig.sessions_total],
        [_("Cancelled events"), sum(k.cancelled for k in fig.kinds)],
        [_("Evaluation answers"), fig.responses_total],
        [_("Average overall rating (1–5)"), _rounded(fig.overall_average)],
        [_("Average usefulness for the company (1–5)"), _rounded(fig.usefulness_average)],
        *([label, value] for label, value in report.extra),
    ]
    return lines


def _rounded(value: float | None) -> Cell:
    """An average as a number with two decimals; empty without answers."""
    return "" if value is None else round(value, 2)


def to_xlsx(
    report: Report,
    rows: list[ParticipantRow],
    dates: dict[int, list[datetime]],
    generated: datetime,
) -> bytes:
    """The whole report: a summary, one sheet per table, then the participant sheet."""
    fig = report.figures
    book = xlsx.Workbook(f"{_('Report')}: {report.scope.name}", generated)
    book.add_sheet(_("Summary"), [_("Figure"), _("Value")], _summary(report, generated), (44, 40))
    counts = [_("Confirmed booking"), _("Attended at least one session")]
    for dimension in COMPANY_DIMENSIONS:
        book.add_sheet(
            str(labels.DIMENSION_SHEETS[dimension]),
            [str(labels.DIMENSION_HEADERS[dimension]), *counts],
            ([labels.key(dimension, c.key), c.total, c.attended] for c in fig.companies[dimension]),
            (40, 18, 18),
        )
    people = [_("Unique persons"), _("Participations")]
    counties = {c.county: labels.county(c.county) for c in fig.company_hours}
    sizes = {size: labels.size(size) for size in SizeClass}
    book.add_sheet(
        _("Participants by gender"), [_("Gender"), *people],
        ([labels.gender(g.key), g.persons, g.participations] for g in fig.by_gender), (24, 16, 16),
    )  # fmt: skip
    book.add_sheet(
        _("Participants by county"), [_("County"), *people],
        ([labels.county(c.key), c.persons, c.participations] for c in fig.by_county),
        (34, 16, 16),
    )  # fmt: skip
    book.add_sheet(
        _("Hours per company"),
        [_("Company"), _("Organisation number"), _("Country"), _("County"), _("Size class"),
         _("Participations"), _("Unique persons"), _("Sessions attended"), _("Hours")],
        ([c.name, c.org_number, c.country, counties[c.county], sizes[c.size_class],
          c.participations, c.persons, c.sessions, hours(c.minutes)] for c in fig.company_hours),
        (32, 16, 8, 24, 10, 12, 12, 12, 10),
    )  # fmt: skip
    book.add_sheet(
        _("Hours per month"), [_("Month"), _("Hours")],
        ([label, hours(minutes)] for label, minutes in fig.months), (10, 10),
    )  # fmt: skip
    book.add_sheet(
        _("Events by kind"),
        [_("Kind"), _("Events held"), _("Sessions held"), _("Cancelled events"),
         _("Seats offered"), _("Events with unlimited seats"), _("Seats taken"),
         _("Waiting list (bookings)"), _("Waiting list (participants)"), _("Hours")],
        ([k.kind.label, k.held, k.sessions, k.cancelled, k.seats_offered, k.unlimited,
          k.seats_taken, k.waiting_bookings, k.waiting_participants, hours(k.minutes)]
         for k in fig.kinds),
        (18, 12, 12, 12, 12, 12, 12, 12, 12, 10),
    )  # fmt: skip
    book.add_sheet(
        _("Attendance per event"),
        [_("Event"), _("Kind"), _("Project"), _("First session"), _("Last session"),
         _("Sessions held"), _("Sessions marked"), _("Companies"), _("Participations"),
         _("Present (marks)"), _("Attendance rate"), _("Hours"), _("Evaluation answers"),
         _("Overall (1–5)"), _("Usefulness (1–5)")],
        ([e.title, e.kind.label, e.project or "", format_date(e.first_session),
          format_date(e.last_session), e.sessions, e.marked_sessions, e.companies,
          e.participations, e.present,
          "" if e.attendance_rate is None else round(e.attendance_rate, 4), hours(e.minutes),
          e.responses, _rounded(e.overall_average), _rounded(e.usefulness_average)]
         for e in fig.events),
        (34, 16, 24, 11, 11, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10),
    )  # fmt: skip
    if report.aid:
        book.add_sheet(
            _("De minimis aid"),
            [_("Company"), _("Organisation number"), _("Grants"), _("Aid (SEK)"),
             _("Aid (EUR)"), _("Three-year total (EUR)"), _("Headroom (EUR)"),
             _("Total on")],
            ([a.company.name, a.company.org_number, a.grants, a.amount_sek, a.amount_eur,
              a.tally.total_eur, a.tally.headroom_eur, a.tally.on.isoformat()]
             for a in report.aid),
            (32, 16, 8, 14, 14, 18, 16, 11),
        )  # fmt: skip
    book.add_sheet(
        _("Participants"), participant_header(), participant_rows(rows, dates),
        (24, 30, 16, 24, 30, 15, 22, 10, 26, 32, 14, 10, 8),
    )  # fmt: skip
    return book.close()
