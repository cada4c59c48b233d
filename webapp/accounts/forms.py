"""Login, password and membership forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, PasswordField, SelectChoice, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, EqualTo, Length

from webapp.accounts.models import Role
from webapp.accounts.services import MIN_PASSWORD_LENGTH
from webapp.formtools import AppForm, choices


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


def _email_field(label: object) -> EmailField:
    return EmailField(
        label,
        [
            DataRequired(message=_l("Enter your email address.")),
            Email(message=_l("Enter a valid email address.")),
            Length(max=254),
        ],
        filters=[_strip],
    )


def _new_password_fields() -> tuple[PasswordField, PasswordField]:
    password = PasswordField(
        _l("New password"),
        [
            DataRequired(message=_l("Choose a password.")),
            Length(
                min=MIN_PASSWORD_LENGTH,
                max=200,
                message=_l(
                    "The password must be %(min)s to %(max)s characters long.",
                    min=MIN_PASSWORD_LENGTH,
                    max=200,
                ),
            ),
        ],
        description=_l(
            "At least %(n)s characters. A few unrelated words work well.", n=MIN_PASSWORD_LENGTH
        ),
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        [
            DataRequired(message=_l("Repeat the password.")),
            EqualTo("password", message=_l("The two passwords differ.")),
        ],
    )
    return password, confirm


def role_choices() -> list[SelectChoice]:
    return choices((role.value, role.label) for role in (Role.VIEWER, Role.ORGANISER, Role.ADMIN))


class LoginForm(AppForm):
    email = _email_field(_l("Email"))
    password = PasswordField(_l("Password"), [DataRequired(message=_l("Enter your password."))])
    submit = SubmitField(_l("Log in"))


class PasswordChangeForm(AppForm):
    current = PasswordField(
        _l("Current password"), [DataRequired(message=_l("Enter your current password."))]
    )
    password, confirm = _new_password_fields()
    submit = SubmitField(_l("Change password"))


class ResetRequestForm(AppForm):
    email = _email_field(_l("Email"))
    submit = SubmitField(_l("Send a reset link"))


class ResetForm(AppForm):
    password, confirm = _new_password_fields()
    submit = SubmitField(_l("Set the new password"))


class AcceptInvitationForm(AppForm):
    """For an invited person without an account: their name and a password."""

    name = StringField(
        _l("Your name"),
        [DataRequired(message=_l("Enter your name.")), Length(max=200)],
        filters=[_strip],
    )
    password, confirm = _new_password_fields()
    submit = SubmitField(_l("Create my account and join"))


class InviteForm(AppForm):
    email = _email_field(_l("Colleague's email"))
    role = SelectField(_l("Role"), choices=role_choices, default=Role.ORGANISER.value)
    submit = SubmitField(_l("Send invitation"))


class RoleForm(AppForm):
    role = SelectField(_l("Role"), choices=role_choices)
    submit = SubmitField(_l("Change role"))


class ConfirmForm(AppForm):
    """A bare form for one-button actions: CSRF token only."""
