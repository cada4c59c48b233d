"""Login, logout, passwords, invitations and members (the organisers' side of accounts)."""

from __future__ import annotations

import hashlib

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required, login_user, logout_user

from webapp.accounts import emails, services
from webapp.accounts.forms import (
    AcceptInvitationForm,
    ConfirmForm,
    InviteForm,
    LoginForm,
    PasswordChangeForm,
    ResetForm,
    ResetRequestForm,
    RoleForm,
)
from webapp.accounts.models import Membership, Role
from webapp.confirming import ORGANISER_LAYOUT, ask
from webapp.db import db
from webapp.errors import one_transaction
from webapp.extensions import limiter, login_manager
from webapp.http_cache import has_session_cookie
from webapp.i18n import safe_next
from webapp.organisations.forms import NewOrganisationForm
from webapp.organisations.models import Organisation

bp = Blueprint("accounts", __name__, url_prefix="/organisers")


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _address_limit() -> str:
    return current_app.config["LOGIN_ADDRESS_RATE_LIMIT"]


def _address_and_account() -> str:
    # Counted per client address *and* account: wrong passwords typed elsewhere for an
    # organiser's address never lock the organiser out (see the README, Rate limits).
    email = services.normalise_email(request.form.get("email", ""))
    account = hashlib.sha256(email.encode()).hexdigest()[:32]
    return f"account:{get_remote_address()}:{account}"


def _failed(response) -> bool:
    """A login that did not get in (a success redirects with 303)."""
    return response.status_code != 303


@bp.route("/login", methods=["GET", "POST"])
# Per address only the attempts that failed count: colleagues behind one address must not
# use up each other's allowance by getting in. Per account every attempt counts, when it
# is made: counted only after the answer, guesses sent at once could slip past the limit.
@limiter.limit(_address_limit, methods=["POST"], deduct_when=_failed)
@limiter.limit(_login_limit, methods=["POST"], key_func=_address_and_account)
def login():
    target = safe_next(request.values.get("next") or url_for("event_admin.index"))
    if current_user.is_authenticated:
        return redirect(target)
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data)
        if user is not None:
            services.start_session(user)
            db.session.commit()
            # Permanent: the cookie and the signed session expire after
            # PERMANENT_SESSION_LIFETIME (a sliding window, renewed by each request).
            session.permanent = True
            login_user(user)
            return redirect(target, code=303)
        db.session.rollback()
        flash(_("The email address or the password is not correct."), "error")
        return render_template("organisers/accounts/login.html", form=form, next=target), 401
    status = 422 if form.errors else 200
    return render_template("organisers/accounts/login.html", form=form, next=target), status


def _end_browser_session(message: str):
    logout_user()
    session.clear()
    flash(message, "success")
    return redirect(url_for("events.index"), code=303)


@bp.post("/logout")
def logout():
    if not ConfirmForm().validate_on_submit():
        abort(400)
    identity = session.get("_user_id")
    if identity:
        services.end_session(identity)
        db.session.commit()
    return _end_browser_session(_("You have logged out."))


@bp.post("/logout/everywhere")
@login_required
def logout_everywhere():
    if not ConfirmForm().validate_on_submit():
        abort(400)
    services.end_all_sessions(current_user)
    db.session.commit()
    return _end_browser_session(_("You have logged out on every device."))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = PasswordChangeForm()
    if form.validate_on_submit():
        with one_transaction(form) as attempt:
            services.change_password(current_user, form.current.data, form.password.data)
            # Every login ended with the old password: this browser gets a new one.
            services.start_session(current_user._get_current_object())
        if attempt.ok:
            login_user(current_user._get_current_object())
            flash(_("Your password has been changed."), "success")
            return redirect(url_for("event_admin.index"), code=303)
    status = 422 if form.errors else 200
    return render_template(
        "organisers/accounts/password.html",
        form=form,
        logout_form=ConfirmForm(),
        sessions=services.session_count(current_user),
    ), status


@bp.route("/password/reset", methods=["GET", "POST"])
@limiter.limit(_address_limit, methods=["POST"])
@limiter.limit(_login_limit, methods=["POST"], key_func=_address_and_account)
def request_reset():
    form = ResetRequestForm()
    if form.validate_on_submit():
        user = services.user_by_email(form.email.data)
        # The same work and the same answer whether or not the address has an account.
        emails.queue_password_reset(form.email.data, user if user and user.is_active else None)
        db.session.commit()
        flash(
            _(
                "If %(email)s has an account, a link to set a new password is on its way. "
                "It works for one hour.",
                email=form.email.data,
            ),
            "success",
        )
        return redirect(url_for("accounts.login"), code=303)
    status = 422 if form.errors else 200
    return render_template("organisers/accounts/reset_request.html", form=form), status


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@limiter.limit(_address_limit, methods=["POST"])
def reset_password(token: str):
    user = services.user_for_reset_token(token)
    if user is None:
        flash(_("The link has expired or has been used. Ask for a new one."), "error")
        return redirect(url_for("accounts.request_reset"), code=303)
    form = ResetForm()
    if form.validate_on_submit():
        services.set_password(user, form.password.data)
        db.session.commit()
        flash(_("Your password has been changed. Log in with the new password."), "success")
        return redirect(url_for("accounts.login"), code=303)
    status = 422 if form.errors else 200
    return render_template("organisers/accounts/reset.html", form=form), status


@bp.route("/invitations/<token>", methods=["GET", "POST"])
@limiter.limit(_address_limit, methods=["POST"])
def accept_invitation(token: str):
    invitation = services.invitation_for_token(token)
    if invitation is None:
        abort(404)
    existing = services.user_by_email(invitation.email)
    if existing is not None and current_user.is_authenticated and current_user.id != existing.id:
        # Someone else is logged in here: sending them to the login page would bounce them
        # straight back (they are logged in), so ask them to log out first.
        return render_template(
            "organisers/accounts/invitation.html",
            form=ConfirmForm(),
            invitation=invitation,
            existing=existing,
            wrong_user=True,
        ), 409
    if existing is not None and not current_user.is_authenticated:
        flash(_("Log in as %(email)s to accept the invitation.", email=invitation.email), "warning")
        return redirect(url_for("accounts.login", next=request.path))
    form = ConfirmForm() if existing is not None else AcceptInvitationForm()
    if form.validate_on_submit():
        with one_transaction() as attempt:
            if existing is not None:
                user = services.accept_invitation(invitation, user=current_user)
            else:
                user = services.accept_invitation(
                    invitation,
                    new_account=services.NewAccount(form.name.data, form.password.data),
                )
                services.start_session(user)
        if not attempt.ok:
            return redirect(url_for("events.index"), code=303)
        if not current_user.is_authenticated:
            session.permanent = True
            login_user(user)
        flash(
            _("Welcome to %(organisation)s.", organisation=invitation.organisation.name), "success"
        )
        return redirect(url_for("event_admin.index"), code=303)
    status = 422 if form.errors else 200
    return render_template(
        "organisers/accounts/invitation.html", form=form, invitation=invitation, existing=existing
    ), status


# --- members (admins) --------------------------------------------------------------------


def _organisation_for_admin(organisation_id: int) -> Organisation:
    organisation = db.get_or_404(Organisation, organisation_id)
    services.require_role(current_user, organisation.id, Role.ADMIN)
    return organisation


def _render_members(organisation: Organisation, invite_form: InviteForm, status: int = 200):
    return render_template(
        "organisers/accounts/members.html",
        organisation=organisation,
        members=services.members(current_user, organisation.id),
        invitations=services.pending_invitations(current_user, organisation.id),
        invite_form=invite_form,
        role_form=RoleForm(),
        confirm_form=ConfirmForm(),
        roles=Role,
    ), status


@bp.get("/organisations/<int:organisation_id>/members")
@login_required
def members(organisation_id: int):
    return _render_members(_organisation_for_admin(organisation_id), InviteForm())


@bp.post("/organisations/<int:organisation_id>/invitations")
@login_required
def invite(organisation_id: int):
    organisation = _organisation_for_admin(organisation_id)
    form = InviteForm()
    if not form.validate_on_submit():
        return _render_members(organisation, form, 422)
    with one_transaction(form, field="email") as attempt:
        invitation = services.invite(
            current_user, organisation.id, form.email.data, Role(form.role.data)
        )
        emails.queue_invitation(invitation, services.invitation_token(invitation))
    if not attempt.ok:
        return _render_members(organisation, form, 409)
    flash(_("An invitation has been sent to %(email)s.", email=invitation.email), "success")
    return redirect(url_for("accounts.members", organisation_id=organisation.id), code=303)


def _membership_action(membership_id: int, action, success: object):
    """Run one member change as one transaction and go back to the members page."""
    membership = db.get_or_404(Membership, membership_id)
    organisation_id = membership.organisation_id
    services.require_role(current_user, organisation_id, Role.ADMIN)
    with one_transaction() as attempt:
        action(membership)
    if attempt.ok:
        flash(str(success), "success")
    if not services.has_role(current_user, organisation_id, Role.ADMIN):
        return redirect(url_for("event_admin.index"), code=303)
    return redirect(url_for("accounts.members", organisation_id=organisation_id), code=303)


@bp.post("/memberships/<int:membership_id>/role")
@login_required
def change_role(membership_id: int):
    form = RoleForm()
    if not form.validate_on_submit():
        abort(400)
    return _membership_action(
        membership_id,
        lambda m: services.change_role(current_user, m.id, Role(form.role.data)),
        _l("The role has been changed."),
    )


@bp.post("/memberships/<int:membership_id>/remove")
@login_required
def remove_member(membership_id: int):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    membership = db.get_or_404(Membership, membership_id)
    services.require_role(current_user, membership.organisation_id, Role.ADMIN)
    page = ask(
        _(
            "Remove %(name)s from %(organisation)s?",
            name=membership.user.name,
            organisation=membership.organisation.name,
        ),
        [
            _("They can no longer see or change this organisation's events."),
            _("Their account stays; an admin can invite them again."),
        ],
        _("Yes, remove"),
        url_for("accounts.members", organisation_id=membership.organisation_id),
        layout=ORGANISER_LAYOUT,
    )
    if page is not None:
        return page
    return _membership_action(
        membership_id,
        lambda m: services.remove_member(current_user, m.id),
        _l("The member has been removed."),
    )


def _account_action(organisation_id: int, user_id: int, action, success: object):
    _organisation_for_admin(organisation_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    with one_transaction() as attempt:
        action(current_user, organisation_id, user_id)
    if attempt.ok:
        flash(str(success), "success")
    return redirect(url_for("accounts.members", organisation_id=organisation_id), code=303)


@bp.post("/organisations/<int:organisation_id>/members/<int:user_id>/deactivate")
@login_required
def deactivate(organisation_id: int, user_id: int):
    return _account_action(
        organisation_id,
        user_id,
        services.deactivate_user,
        _l("The account is deactivated; its sessions have ended."),
    )


@bp.post("/organisations/<int:organisation_id>/members/<int:user_id>/reactivate")
@login_required
def reactivate(organisation_id: int, user_id: int):
    return _account_action(
        organisation_id, user_id, services.reactivate_user, _l("The account is active again.")
    )


# --- site administrators -----------------------------------------------------------------


@bp.route("/site/organisations", methods=["GET", "POST"])
@login_required
def site_organisations():
    organisations = services.all_organisations(current_user)
    form = NewOrganisationForm()
    if form.validate_on_submit():
        with one_transaction(form) as attempt:
            invitation = services.create_organisation_with_admin(
                current_user, form.to_data(), form.admin_email.data
            )
            emails.queue_invitation(invitation, services.invitation_token(invitation))
        if attempt.ok:
            flash(
                _(
                    "%(organisation)s has been created and %(email)s invited as its administrator.",
                    organisation=invitation.organisation.name,
                    email=invitation.email,
                ),
                "success",
            )
            return redirect(url_for("accounts.site_organisations"), code=303)
    status = 422 if form.errors else 200
    return render_template(
        "organisers/accounts/site_organisations.html", organisations=organisations, form=form
    ), status


def _not_allowed(_error: services.NotAllowed) -> tuple[str, int]:
    return render_template(
        "error.html", code=403, message=_("You do not have access to this page.")
    ), 403


def _load_login() -> None:
    # Load the user first thing: load_user may record the login as seen, which must commit
    # before the view writes anything of its own. Without a session or remember-me cookie
    # nobody is logged in, and a public page read from the cache need not ask.
    if request.endpoint != "static" and has_session_cookie():
        current_user._get_current_object()


def init_app(app: Flask) -> None:
    """Wire Flask-Login, the 403 answer to NotAllowed and the blueprint."""
    login_manager.init_app(app)
    login_manager.user_loader(services.load_user)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Log in to see this page.")
    login_manager.login_message_category = "warning"
    # Forms carry a CSRF token tied to the session; "strong" protection would log users out
    # on a changed IP address (mobile networks at the door), which the expiry covers better.
    login_manager.session_protection = "basic"
    app.before_request(_load_login)
    app.register_error_handler(services.NotAllowed, _not_allowed)
    app.jinja_env.globals["role_in"] = services.role_in
    app.register_blueprint(bp)
