"""The organisers' event form: event details and its sessions, edited without JavaScript.

Times are entered as an ISO date and a 24-hour time in Europe/Stockholm (the only zone
organisers think in) and handed to services in UTC. Plain text inputs are used for both,
rather than ``type=time`` and ``type=date``, whose widgets follow the browser's locale
(AM/PM, mm/dd/yyyy) whatever the label says; the label gives the format and the server
parses it (:class:`webapp.formtools.IsoDateField`).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    SubmitField,
    URLField,
)
from wtforms.validators import URL, DataRequired, Length, NumberRange, Optional, ValidationError

from webapp.events.management import EventData, SessionData
from webapp.events.models import DAY_MINUTES, Event, EventKind, default_reminder_plan
from webapp.formtools import (
    DATE_MESSAGE,
    AppForm,
    IsoDateField,
    PlainForm,
    TextArea,
    choices,
    parse_id,
)
from webapp.i18n import STOCKHOLM
from webapp.regions import COUNTIES, country_choices, county_choices

MAX_SESSIONS = 30
#: Reminders are less than a year before (a year or more is a typo, not a plan).
MAX_REMINDER_DAYS = 364
MAX_REMINDERS = 8
#: Empty reminder rows the form offers below the planned ones.
SPARE_REMINDER_ROWS = 2
EACH, FIRST = "each", "first"
_TIME = re.compile(r"^([01]?\d|2[0-3])[:.]([0-5]\d)$")


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


def parse_time(value: str | None) -> time | None:
    """``9:00``, ``09:00`` or ``09.00`` as a time; None when it is not a 24-hour time."""
    match = _TIME.match((value or "").strip())
    if not match:
        return None
    return time(int(match.group(1)), int(match.group(2)))


def to_utc(day: date, clock: time) -> datetime:
    """A Stockholm wall-clock date and time as an aware UTC datetime.

    On the October night the clock is turned back, 02:00–02:59 happens twice; the first
    (summer time) is meant. Times skipped in March are caught by :func:`exists`.
    """
    return datetime.combine(day, clock, tzinfo=STOCKHOLM).astimezone(UTC)


def exists(day: date, clock: time) -> bool:
    """Whether the wall-clock time happens in Stockholm that day (not in the March gap)."""
    local = datetime.combine(day, clock, tzinfo=STOCKHOLM)
    return local.astimezone(UTC).astimezone(STOCKHOLM).replace(tzinfo=None) == local.replace(
        tzinfo=None
    )


def _check_exists(day: date | None, text: str | None) -> None:
    clock = parse_time(text)
    if day and clock and not exists(day, clock):
        raise ValidationError(
            _l("That time does not exist on this day: the clocks go forward from 02:00 to 03:00.")
        )


def _validate_time(_form: Form, field: StringField) -> None:
    if field.data and parse_time(field.data) is None:
        raise ValidationError(_l("Enter a time as HH:MM on the 24-hour clock, e.g. 13:30."))


def _time_field(label: object, required: bool = True) -> StringField:
    validators = [DataRequired(message=_l("Enter a time."))] if required else [Optional()]
    return StringField(
        label,
        [*validators, _validate_time],
        filters=[_strip],
        render_kw={"inputmode": "numeric", "placeholder": _l("HH:MM"), "size": 5},
    )


FIRST_YEAR, LAST_YEAR = 2000, 2100


def _plausible_date(_form: Form, field: DateField) -> None:
    # A typo such as 0026-03-14 parses as a date, but is no event's (and year 1 in Stockholm
    # time has no UTC equivalent Python can hold).
    if field.data and not FIRST_YEAR <= field.data.year <= LAST_YEAR:
        raise ValidationError(
            _l("Enter a date between %(first)s and %(last)s.", first=FIRST_YEAR, last=LAST_YEAR)
        )


class SessionForm(PlainForm):
    """One session; a subform without its own CSRF token."""

    id = HiddenField()
    start_date = IsoDateField(
        _l("Date (YYYY-MM-DD)"), [DataRequired(message=DATE_MESSAGE), _plausible_date]
    )
    start_time = _time_field(_l("Starts (HH:MM)"))
    end_time = _time_field(_l("Ends (HH:MM)"))
    end_date = IsoDateField(
        _l("End date, if another day (optional, YYYY-MM-DD)"),
        [Optional(), _plausible_date],
        description=_l("For a session that goes on overnight or over several days."),
    )
    title = StringField(
        _l("Session title (optional)"), [Optional(), Length(max=200)], filters=[_strip]
    )
    title_en = StringField(
        _l("Session title in English (optional)"),
        [Optional(), Length(max=200, message=_l("At most %(max)d characters."))],
        filters=[_strip],
    )
    venue = StringField(
        _l("Venue, if not the event's (optional)"),
        [Optional(), Length(max=300)],
        filters=[_strip],
    )

    def validate_start_time(self, field: StringField) -> None:
        _check_exists(self.start_date.data, field.data)

    def validate_end_time(self, field: StringField) -> None:
        _check_exists(self.end_date.data or self.start_date.data, field.data)
        start = self.starts_at()
        end = self.ends_at()
        if start and end and end <= start:
            raise ValidationError(_l("The session must end after it starts."))

    def starts_at(self) -> datetime | None:
        clock = parse_time(self.start_time.data)
        return to_utc(self.start_date.data, clock) if self.start_date.data and clock else None

    def ends_at(self) -> datetime | None:
        clock = parse_time(self.end_time.data)
        day = self.end_date.data or self.start_date.data
        return to_utc(day, clock) if day and clock else None

    def to_data(self) -> SessionData:
        return SessionData(
            id=parse_id(self.id.data),
            starts_at=self.starts_at(),
            ends_at=self.ends_at(),
            title=self.title.data or None,
            title_en=self.title_en.data or None,
            venue=self.venue.data or None,
        )


class ReminderForm(PlainForm):
    """One reminder: days and hours before, before every session or the first only. A row
    left empty is no reminder."""

    days = IntegerField(
        _l("Days before"),
        [
            Optional(),
            NumberRange(
                min=0,
                max=MAX_REMINDER_DAYS,
                message=_l(
                    "Enter 0 to %(max)s days: a reminder is sent less than a year before.",
                    max=MAX_REMINDER_DAYS,
                ),
            ),
        ],
        render_kw={"inputmode": "numeric", "class": "short-number"},
    )
    hours = IntegerField(
        _l("Hours before"),
        [Optional(), NumberRange(min=0, max=23, message=_l("Enter 0 to 23 hours."))],
        render_kw={"inputmode": "numeric", "class": "short-number"},
    )
    scope = SelectField(
        _l("Before"),
        choices=choices(
            ((EACH, _l("every session")), (FIRST, _l("the first session only"))),
        ),
        default=EACH,
    )

    def is_empty(self) -> bool:
        return self.days.data is None and self.hours.data is None

    def minutes(self) -> int:
        return (self.days.data or 0) * DAY_MINUTES + (self.hours.data or 0) * 60

    def validate(self, extra_validators: dict | None = None) -> bool:
        """Field rules, then: a filled row is at least an hour before (here, because an
        empty optional field stops its own validator chain)."""
        valid = super().validate(extra_validators)
        if valid and not self.is_empty() and self.minutes() == 0:
            self.hours.errors = [
                *self.hours.errors,
                _l("A reminder must be at least an hour before: enter days or hours."),
            ]
            return False
        return valid

    def fill(self, minutes: int, scope: str) -> None:
        days, rest = divmod(minutes, DAY_MINUTES)
        self.days.data = days
        self.hours.data = rest // 60
        self.scope.data = scope


class EventForm(AppForm):
    """Create or edit an event; sessions are added and removed with submit buttons."""

    organisation = SelectField(_l("Organisation"), coerce=int)
    kind = SelectField(
        _l("Kind of event"),
        choices=choices(((k.value, k.lazy_label) for k in EventKind), empty="—"),
        validators=[DataRequired(message=_l("Choose the kind of event."))],
    )
    title = StringField(
        _l("Title"), [DataRequired(message=_l("Enter a title.")), Length(max=200)], filters=[_strip]
    )
    summary = StringField(
        _l("Summary (one or two sentences for the list)"),
        [Optional(), Length(max=500)],
        filters=[_strip],
    )
    description = TextArea(
        _l("Description"),
        [Optional(), Length(max=20000)],
        description=_l("Plain text; separate paragraphs with a blank line."),
    )
    # English twins of the fields above; the same limits (see Event.text).
    title_en = StringField(
        _l("Title in English (optional)"),
        [
            Optional(),
            Length(max=200, message=_l("The English title can be at most %(max)d characters.")),
        ],
        filters=[_strip],
    )
    summary_en = StringField(
        _l("Summary in English (optional)"),
        [Optional(), Length(max=500, message=_l("At most %(max)d characters."))],
        filters=[_strip],
    )
    description_en = TextArea(
        _l("Description in English (optional)"),
        [Optional(), Length(max=20000, message=_l("At most %(max)d characters."))],
        description=_l("Plain text; separate paragraphs with a blank line."),
    )
    venue_en = StringField(
        _l("Venue in English (optional)"),
        [Optional(), Length(max=300, message=_l("At most %(max)d characters."))],
        filters=[_strip],
        description=_l("Only where the name or directions differ in English."),
    )
    project = SelectField(_l("Project (optional)"), coerce=str, validators=[Optional()])
    venue = StringField(
        _l("Venue and street address"), [Optional(), Length(max=300)], filters=[_strip]
    )
    city = StringField(_l("City"), [Optional(), Length(max=100)], filters=[_strip])
    county = SelectField(_l("County (optional)"), validators=[Optional()])
    country = SelectField(_l("Country"), default="SE")
    online_url = URLField(
        _l("Online join link"),
        [Optional(), URL(message=_l("Enter a full link, https://…")), Length(max=500)],
        filters=[_strip],
        description=_l("Only sent to registered participants, never shown publicly."),
    )
    capacity = IntegerField(
        _l("Capacity (participants; empty for unlimited)"),
        [
            Optional(),
            NumberRange(min=0, max=100000, message=_l("Enter a number of seats, 0 or more.")),
        ],
    )
    max_per_company = IntegerField(
        _l("Most participants per company (optional)"),
        [Optional(), NumberRange(min=1, max=1000, message=_l("Enter 1 or more, or leave empty."))],
    )
    registration_opens_date = IsoDateField(
        _l("Registration opens: date (optional, YYYY-MM-DD)"),
        [Optional(), _plausible_date],
        description=_l("Empty: opens when published."),
    )
    registration_opens_time = _time_field(_l("Registration opens: time"), required=False)
    registration_closes_date = IsoDateField(
        _l("Registration closes: date (optional, YYYY-MM-DD)"),
        [Optional(), _plausible_date],
        description=_l("Empty: closes when the first session starts."),
    )
    registration_closes_time = _time_field(_l("Registration closes: time"), required=False)
    requires_approval = BooleanField(
        _l("Organisers select the companies (bookings wait for approval)")
    )
    practical_info = TextArea(
        _l("Practical information"),
        [Optional(), Length(max=5000)],
        description=_l(
            "What to bring, how to get there. Sent in the confirmation and every reminder, "
            "and shown on the booking's page."
        ),
        render_kw={"rows": 4},
    )
    practical_info_en = TextArea(
        _l("Practical information in English (optional)"),
        [Optional(), Length(max=5000)],
        description=_l("For bookings made in English; empty: the text above is sent."),
        render_kw={"rows": 4},
    )
    default_reminders = BooleanField(
        _l("The usual reminders for this kind of event"),
        description=_l(
            "A week and a day before; a webinar also an hour before; a workshop series the "
            "day before each session and a week before the first. Untick to plan them below."
        ),
    )
    reminders = FieldList(FormField(ReminderForm), min_entries=SPARE_REMINDER_ROWS + 1)
    sessions = FieldList(FormField(SessionForm), min_entries=1)
    add_session = SubmitField(_l("Add a session"))
    submit = SubmitField(_l("Save"))

    def __init__(
        self, *args: object, organisations: list, projects: list, **kwargs: object
    ) -> None:
        super().__init__(*args, **kwargs)
        self.organisation.choices = choices((o.id, o.name) for o in organisations)
        self.project.choices = choices(((str(p.id), p.name) for p in projects), empty="—")
        self.county.choices = choices(county_choices(), empty="—")
        self.country.choices = choices(country_choices())
        if not self.is_submitted():
            self.default_reminders.data = True

    # --- field rules ----------------------------------------------------------------

    def validate_county(self, field: SelectField) -> None:
        if field.data and field.data not in COUNTIES:
            raise ValidationError(_l("Choose a county from the list."))

    def validate_reminders(self, field: FieldList) -> None:
        if sum(not entry.form.is_empty() for entry in field.entries) > MAX_REMINDERS:
            raise ValidationError(_l("At most %(n)s reminders.", n=MAX_REMINDERS))

    def validate(self, extra_validators: dict | None = None) -> bool:
        """Field rules, then the rules that involve several fields.

        The latter run here rather than as ``validate_<field>`` methods because an empty
        optional field stops its own validator chain, and emptiness is what they check.
        """
        valid = super().validate(extra_validators)
        webinar = self.kind.data == EventKind.WEBINAR.value
        if webinar and not self.online_url.data:
            self.online_url.errors.append(_l("A webinar needs a join link."))
        if not webinar and not self.venue.data and not self.online_url.data:
            self.venue.errors.append(
                _l("Give a venue, or an online join link for an online event.")
            )
        for which in ("opens", "closes"):
            day = getattr(self, f"registration_{which}_date")
            clock = getattr(self, f"registration_{which}_time")
            if not day.errors and not clock.errors and bool(day.data) != bool(clock.data):
                clock.errors.append(_l("Give both the date and the time, or neither."))
        opens, closes = self._moment("opens"), self._moment("closes")
        if opens and closes and closes <= opens:
            self.registration_closes_time.errors.append(
                _l("Registration must close after it opens.")
            )
        return valid and not any(field.errors for field in self)

    def validate_sessions(self, field: FieldList) -> None:
        if len(field.entries) > MAX_SESSIONS:
            raise ValidationError(_l("At most %(n)s sessions.", n=MAX_SESSIONS))

    # --- conversion -----------------------------------------------------------------

    def reminder_plan(self) -> tuple[list[int], list[int]]:
        """(minutes before every session, minutes before the first only), largest first:
        the kind's defaults when ticked, else the rows filled in."""
        if self.default_reminders.data:
            return default_reminder_plan(EventKind(self.kind.data))
        rows = [entry.form for entry in self.reminders.entries if not entry.form.is_empty()]
        every = {row.minutes() for row in rows if row.scope.data != FIRST}
        first = {row.minutes() for row in rows if row.scope.data == FIRST} - every
        return sorted(every, reverse=True), sorted(first, reverse=True)

    def _moment(self, which: str) -> datetime | None:
        day = getattr(self, f"registration_{which}_date").data
        clock = parse_time(getattr(self, f"registration_{which}_time").data)
        return to_utc(day, clock) if day and clock else None

    def to_data(self) -> EventData:
        online = self.online_url.data or None
        every, first = self.reminder_plan()
        return EventData(
            kind=EventKind(self.kind.data),
            title=self.title.data,
            summary=self.summary.data or "",
            description=(self.description.data or "").strip(),
            venue=self.venue.data or None,
            title_en=self.title_en.data or None,
            summary_en=self.summary_en.data or None,
            description_en=(self.description_en.data or "").strip() or None,
            venue_en=self.venue_en.data or None,
            city=self.city.data or None,
            county=self.county.data or None,
            country=self.country.data,
            online_url=online,
            capacity=self.capacity.data,
            max_per_company=self.max_per_company.data,
            registration_opens_at=self._moment("opens"),
            registration_closes_at=self._moment("closes"),
            requires_approval=bool(self.requires_approval.data),
            reminder_offsets=every,
            first_reminder_offsets=first,
            practical_info=(self.practical_info.data or "").strip(),
            practical_info_en=(self.practical_info_en.data or "").strip(),
            project_id=parse_id(self.project.data),
            sessions=[entry.form.to_data() for entry in self.sessions.entries],
        )

    def fill_from(self, event: Event) -> None:
        """Show an existing event: its fields and live sessions, in Stockholm time."""
        self.organisation.data = event.organisation_id
        for name in (
            "title",
            "summary",
            "description",
            "venue",
            "title_en",
            "summary_en",
            "description_en",
            "venue_en",
            "city",
            "online_url",
            "capacity",
            "max_per_company",
            "requires_approval",
            "practical_info",
            "practical_info_en",
        ):
            getattr(self, name).data = getattr(event, name)
        self.kind.data = event.kind.value
        self.county.data = event.county or ""
        self.country.data = event.country
        self.project.data = str(event.project_id or "")
        self.default_reminders.data = False
        planned = [(m, EACH) for m in event.reminder_offsets or []] + [
            (m, FIRST) for m in event.first_reminder_offsets or []
        ]
        while len(self.reminders.entries) < len(planned) + SPARE_REMINDER_ROWS:
            self.reminders.append_entry()
        for entry, (minutes, scope) in zip(self.reminders.entries, planned, strict=False):
            entry.form.fill(minutes, scope)
        for which in ("opens", "closes"):
            moment = getattr(event, f"registration_{which}_at")
            if moment:
                local = moment.astimezone(STOCKHOLM)
                getattr(self, f"registration_{which}_date").data = local.date()
                getattr(self, f"registration_{which}_time").data = local.strftime("%H:%M")
        live = [s for s in event.sessions if s.cancelled_at is None]
        while len(self.sessions.entries) < len(live):
            self.sessions.append_entry()
        for entry, session in zip(self.sessions.entries, live, strict=False):
            start = session.starts_at.astimezone(STOCKHOLM)
            end = session.ends_at.astimezone(STOCKHOLM)
            entry.form.id.data = str(session.id)
            entry.form.start_date.data = start.date()
            entry.form.start_time.data = start.strftime("%H:%M")
            entry.form.end_time.data = end.strftime("%H:%M")
            entry.form.end_date.data = end.date() if end.date() != start.date() else None
            entry.form.title.data = session.title or ""
            entry.form.title_en.data = session.title_en or ""
            entry.form.venue.data = session.venue or ""
