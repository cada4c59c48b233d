"""``flask demo``: a realistic set of organisations, events and bookings to look at."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

import click
from flask.cli import with_appcontext
from sqlalchemy import func, select

from webapp.accounts import services as accounts
from webapp.accounts.models import Role
from webapp.aid.models import AidBasis, AidGrantor, AidScheme, EurRate
from webapp.bookings import services as bookings
from webapp.bookings.models import Booking, Gender
from webapp.companies.models import SizeClass
from webapp.db import db, utcnow
from webapp.events.models import (
    Event,
    EventKind,
    EventSession,
    EventStatus,
)
from webapp.events.services import sync_span
from webapp.i18n import STOCKHOLM
from webapp.organisations.models import Organisation, PrivacyNotice, Project
from webapp.organisations.services import DEFAULT_NOTICE_EN, DEFAULT_NOTICE_SV
from webapp.questions import services as questions


def _at(day: date, clock: str) -> datetime:
    """A Stockholm wall-clock time as an aware datetime."""
    return datetime.combine(day, time.fromisoformat(clock), tzinfo=STOCKHOLM)


def _event(sessions: list[tuple], **fields: object) -> Event:
    """A published event; each session is (day, start, end) or (day, start, end, title)."""
    event = Event(status=EventStatus.PUBLISHED, **fields)
    event.sessions = [
        EventSession(starts_at=_at(s[0], s[1]), ends_at=_at(s[0], s[2]), title=(s[3:] or [None])[0])
        for s in sessions
    ]
    sync_span(event)
    return event


_COMPANIES = [
    bookings.CompanyData("SE", "556036-0793", "Norrfors Mekaniska AB", SizeClass.SMALL, "23"),
    bookings.CompanyData("SE", "556677-8899", "Solbacka Energi AB", SizeClass.MICRO, "14"),
    bookings.CompanyData("SE", "556074-7569", "Kustplast i Halland AB", SizeClass.MEDIUM, "13"),
    bookings.CompanyData("NO", "974 760 673", "Fjordvind AS", SizeClass.SMALL),
]


def _people(*names: str) -> list[bookings.ParticipantData]:
    genders = [Gender.FEMALE, Gender.MALE, Gender.UNDISCLOSED]
    return [
        bookings.ParticipantData(
            name=name,
            email=name.lower().replace(" ", ".").replace("å", "a").replace("ö", "o")
            + "@example.se",
            role="Produktionschef" if i == 0 else None,
            gender=genders[i % 3],
        )
        for i, name in enumerate(names)
    ]


def load_demo(today: date | None = None) -> None:
    """Add the demo data relative to ``today``; the caller commits."""
    today = today or utcnow().astimezone(STOCKHOLM).date()
    west = Organisation(
        name="Västkustens Teknikpark",
        slug="vastkustens-teknikpark",
        county="14",
        contact_email="event@teknikpark.example.se",
    )
    energy = Organisation(
        name="Energikontor Mitt",
        slug="energikontor-mitt",
        county="23",
        contact_email="info@energikontor.example.se",
    )
    cluster = Organisation(
        name="Skåne Cleantech-kluster",
        slug="skane-cleantech",
        county="12",
        contact_email="hej@cleantech.example.se",
    )
    project = Project(
        name="Grön omställning i småföretag 2026–2028",
        slug="gron-omstallning",
        organisation=energy,
        partners=[west, cluster],
        funder="Europeiska regionala utvecklingsfonden",
        funder_reference="20301234",
    )
    db.session.add_all([west, energy, cluster, project])
    db.session.flush()
    db.session.add_all(
        PrivacyNotice(
            organisation_id=o.id, version=1, text_sv=DEFAULT_NOTICE_SV, text_en=DEFAULT_NOTICE_EN
        )
        for o in (west, energy, cluster)
    )

    d = lambda days: today + timedelta(days=days)  # noqa: E731 - reads better inline
    trip = _event(
        [(d(45), "08:00", "20:00"), (d(46), "08:30", "18:00"), (d(47), "08:30", "15:00")],
        kind=EventKind.STUDY_TRIP,
        organisation=energy,
        project=project,
        title="Studieresa: vätgas i Hamburgs hamn",
        summary="Tre dagar med företag som redan använder vätgas i produktion och logistik.",
        description="Vi besöker vätgasproducenter och hamnens logistikföretag.\n\n"
        "Resa, hotell och måltider ingår. Organisatören väljer ut deltagande företag.",
        venue="Hamburg Hafen",
        city="Hamburg",
        country="DE",
        capacity=12,
        max_per_company=2,
        requires_approval=True,
        registration_closes_at=_at(d(20), "23:59"),
    )
    webinar = _event(
        [(d(10), "09:00", "10:30")],
        kind=EventKind.WEBINAR,
        organisation=west,
        project=project,
        title="Webbinarium: energikartläggning för små företag",
        summary="Så gör du en energikartläggning och söker stöd för den.",
        description="En energirådgivare går igenom kartläggningens steg och stödet från "
        "Energimyndigheten.",
        online_url="https://meet.example.se/j/energikartlaggning",
        capacity=100,
    )
    conference = _event(
        [
            (d(30), "09:00", "17:00", "Dag 1: marknad och finansiering"),
            (d(31), "09:00", "15:30", "Dag 2: teknik och samarbete"),
        ],
        kind=EventKind.CONFERENCE,
        organisation=cluster,
        project=project,
        title="Cleantechkonferensen 2027",
        summary="Två dagar om cirkulär produktion, energi och finansiering för små och "
        "medelstora företag.",
        venue="Slagthuset, Jörgen Kocksgatan 7A",
        city="Malmö",
        county="12",
        capacity=300,
        max_per_company=5,
        # An international conference: its English text shows on English pages and in
        # English emails (the description has none yet, so the organiser's form says so).
        title_en="South Baltic Cleantech Conference 2027",
        summary_en="Two days on circular production, energy and finance for small and "
        "medium-sized companies.",
    )
    for session, english in zip(
        conference.sessions,
        ("Day 1: markets and finance", "Day 2: technology and cooperation"),
        strict=True,
    ):
        session.title_en = english
    series = _event(
        [
            (d(14 + 7 * i), "13:00", "16:00", title)
            for i, title in enumerate(
                ["Nuläge och kartläggning", "Affärsmodeller", "Leverantörskedjan", "Handlingsplan"]
            )
        ],
        kind=EventKind.WORKSHOP_SERIES,
        organisation=west,
        title="Verkstadsserie: cirkulära affärsmodeller",
        summary="Fyra eftermiddagar där företaget tar fram sin egen plan. Serien bokas som helhet.",
        venue="Teknikparken, Lindholmspiren 5",
        city="Göteborg",
        county="14",
        capacity=8,
        max_per_company=3,
    )
    past = _event(
        [(d(-30), "07:30", "09:00")],
        kind=EventKind.CONFERENCE,
        organisation=energy,
        title="Frukostmöte: solceller på industritak",
        summary="Erfarenheter från tre företag som byggt egna solcellsparker.",
        venue="Energikontoret, Storgatan 12",
        city="Östersund",
        county="23",
        capacity=40,
    )
    db.session.add_all([trip, webinar, conference, series, past])
    db.session.flush()
    # The study trip is de minimis aid: its registration asks the declaration, approving a
    # company grants the aid and emails the certificate.
    db.session.add_all(
        [
            EurRate(project_id=project.id, valid_from=d(-60), sek_per_eur=Decimal("11.4852")),
            AidScheme(event_id=trip.id, basis=AidBasis.PER_PARTICIPANT, amount_sek=35000),
            AidGrantor(organisation_id=energy.id, org_number="222000-1354"),
        ]
    )

    def book(event: Event, company: int, names: tuple[str, ...], when: datetime) -> None:
        bookings.register(
            event.id,
            _COMPANIES[company],
            bookings.ContactData(names[0], _people(names[0])[0].email),
            _people(*names),
            consent_version="2026-11",
            language="sv",
            now=when,
        )

    before_past = _at(d(-40), "10:00")
    book(past, 0, ("Anna Lindqvist", "Johan Berg"), before_past)
    book(past, 1, ("Sara Nilsson",), before_past)
    now = utcnow()
    book(webinar, 0, ("Anna Lindqvist",), now)
    book(webinar, 2, ("Erik Holm", "Lena Ek"), now)
    book(conference, 1, ("Sara Nilsson", "Per Öberg"), now)
    book(conference, 3, ("Ingrid Dahl",), now)
    # The trip asks its default motivation question; the first company answered it.
    questions.on_event_created(trip)
    book(trip, 0, ("Johan Berg",), now)
    first = db.session.scalars(select(Booking).where(Booking.event_id == trip.id)).one()
    (motivation,) = questions.questions_for(trip.id)
    questions.save_answers(first, {motivation.id: "Vi planerar en vätgasdriven truckflotta."})
    # Selected: the aid is granted and the certificate is in the outbox.
    bookings.approve(first.id)
    book(trip, 2, ("Erik Holm", "Lena Ek"), now)
    book(series, 2, ("Erik Holm", "Lena Ek", "Maja Kron"), now)
    book(series, 0, ("Anna Lindqvist", "Johan Berg", "Ola Stål"), now)
    book(series, 1, ("Sara Nilsson", "Per Öberg", "Kim Ljung"), now)  # 9 > 8 seats: waits
    _directory_profiles()
    _demo_users(energy, west)


def _directory_profiles() -> None:
    """Two companies that published a profile in the company directory (the others were
    invited and have not)."""
    from webapp.companies.models import Company
    from webapp.directory import services as directory

    texts = {
        "Solbacka Energi AB": directory.ProfileData(
            offers="Solcellsanläggningar för lantbruk och industri, från förstudie till drift.",
            seeks="Installatörer i Norge och Finland, och lantbruk som vill sänka elkostnaden.",
            description="Litet energibolag i Västra Götaland som bygger och sköter solparker.",
            description_en="A small energy company in western Sweden building solar parks.",
            website="https://solbacka.example.se",
            languages=["sv", "en"],
            industry="D",
            county="14",
            country="SE",
        ),
        "Fjordvind AS": directory.ProfileData(
            offers="Service på små vindkraftverk och drönarinspektion av blad.",
            seeks="Svenska partner för service i fjällen.",
            description_en="Wind turbine service from the Norwegian west coast.",
            website="https://fjordvind.example.no",
            languages=["no", "sv", "en"],
            industry="M",
            country="NO",
        ),
    }
    for company in db.session.scalars(select(Company).where(Company.name.in_(list(texts)))):
        profile = directory.profile_of_company(company.id)
        if profile is not None:
            directory.save(profile, texts[company.name], publish=True)


#: Organiser logins of the demo (email, name, password, organisation slug, role). The
#: passwords are public: demo databases only.
DEMO_USERS = (
    ("admin@demo.traffpunkt.se", "Alva Admin", "demo-admin-2026", "energikontor-mitt", "admin"),
    (
        "organiser@demo.traffpunkt.se",
        "Oskar Organisatör",
        "demo-organiser-2026",
        "vastkustens-teknikpark",
        "organiser",
    ),
)


def _demo_users(*organisations: Organisation) -> None:
    """The organiser accounts of DEMO_USERS, so the organiser side can be tried at once."""
    by_slug = {o.slug: o for o in organisations}
    db.session.flush()
    for index, (email, name, password, slug, role) in enumerate(DEMO_USERS):
        user = accounts.create_user(email, name, password)
        # The demo admin is a site administrator too, so that page can be tried.
        user.is_site_admin = index == 0
        accounts.add_member(by_slug[slug].id, user, Role(role))


@click.command("demo")
@click.option("--if-empty", is_flag=True, help="Do nothing when there are events already.")
@with_appcontext
def demo_command(if_empty: bool) -> None:
    """Load demo organisations, events and bookings."""
    if db.session.scalar(select(func.count(Event.id))):
        if if_empty:
            click.echo("The database already has events; demo data not loaded.")
            return
        raise click.ClickException("The database already has events; use an empty database.")
    load_demo()
    db.session.commit()
    click.echo("Demo data loaded: 3 organisations, 1 project, 5 events and some bookings.")
    click.echo("Organiser logins (demo only) at /organisers/login:")
    for email, _name, password, slug, role in DEMO_USERS:
        click.echo(f"  {email} / {password}  ({role}, {slug})")
