"""``flask setup`` (first run) and ``flask users create`` (any user) from the shell."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from webapp.accounts import services
from webapp.accounts.models import Role
from webapp.db import db
from webapp.errors import RuleViolation
from webapp.organisations.models import Organisation
from webapp.organisations.services import OrganisationData, organisation_count


@click.group("users")
def users_command() -> None:
    """Organiser accounts."""


@users_command.command("create")
@click.option("--email", required=True, help="Login email address.")
@click.option("--name", required=True, help="The person's name.")
@click.option("--organisation", "slug", required=True, help="Slug of the organisation.")
@click.option(
    "--role",
    type=click.Choice([r.value for r in Role]),
    default=Role.ADMIN.value,
    show_default=True,
)
@click.password_option(
    "--password",
    help="Prompted for (hidden, twice) when left out.",
)
@with_appcontext
def create_user_command(email: str, name: str, slug: str, role: str, password: str) -> None:
    """Create a user with a role in an organisation."""
    if len(password) < services.MIN_PASSWORD_LENGTH:
        raise click.BadParameter(
            f"use at least {services.MIN_PASSWORD_LENGTH} characters", param_hint="--password"
        )
    organisation = db.session.scalars(select(Organisation).where(Organisation.slug == slug)).first()
    if organisation is None:
        raise click.BadParameter(
            f"no organisation with the slug {slug!r}", param_hint="--organisation"
        )
    try:
        user = services.create_user(email, name, password)
        services.add_member(organisation.id, user, Role(role))
    except services.AccountError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo(f"Created {user.email} as {role} of {organisation.name}.")


@click.command("setup")
@click.option("--organisation-name", prompt="Organisation name", help="Shown on every page.")
@click.option(
    "--organisation-slug",
    prompt="Organisation address (a-z, 0-9, hyphens)",
    help="Used in URLs and feeds, e.g. teknikparken-vast.",
)
@click.option("--email", prompt="Administrator's email", help="The first administrator's login.")
@click.option("--name", prompt="Administrator's name", help="The first administrator's name.")
@click.password_option("--password", help="Prompted for (hidden, twice) when left out.")
@with_appcontext
def setup_command(
    organisation_name: str, organisation_slug: str, email: str, name: str, password: str
) -> None:
    """First run: create the first organisation and its administrator (a site administrator).

    Refuses once an organisation exists: site administrators create further organisations
    in the browser, and `flask users create` adds people to an existing one.
    """
    if organisation_count() > 0:
        raise click.ClickException(
            "Träffpunkt is set up already (an organisation exists). Log in as a site "
            "administrator to create organisations, or use `flask users create` to add a user."
        )
    data = OrganisationData(name=organisation_name.strip(), slug=organisation_slug.strip())
    try:
        user = services.setup(data, email, name, password)
    except RuleViolation as error:
        db.session.rollback()
        hint = {"slug": "--organisation-slug", "password": "--password"}.get(error.field or "")
        if hint:
            raise click.BadParameter(str(error), param_hint=hint) from None
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo(
        f"Created {data.name} ({data.slug}) and its administrator {user.email}. "
        "Log in at /organisers/login."
    )
