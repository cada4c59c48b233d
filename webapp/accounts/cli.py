"""``flask users create``: make the first administrator (or any user) from the shell."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from webapp.accounts import services
from webapp.accounts.models import Role
from webapp.db import db
from webapp.organisations.models import Organisation


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
