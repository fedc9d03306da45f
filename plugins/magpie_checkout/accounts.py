"""Company accounts: who buys for which company, with which role.

* :func:`company_of_request` answers the host's ``visitor_company`` hook: the company of a
  logged-in user's active :class:`~magpie_checkout.models.CompanyMember` row.
* :func:`approve_registration` / :func:`reject_registration`: staff decide on a
  self-registration; approval creates the company, its first user (company admin, with a
  set-password email) and its billing address, and emits ``company.registered``.
* :func:`invite` / :func:`accept_invitation`: staff or a company admin invite a user with a
  role; the link is valid for 14 days and only for the invited email address.
"""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from magpie.people.models import VAT_ID_SHAPE, Company
from magpie_checkout.models import (
    Address,
    CompanyMember,
    CompanyRegistration,
    Invitation,
    Role,
)

logger = logging.getLogger("magpie_checkout.accounts")

#: How long an invitation link stays valid.
INVITATION_DAYS = 14
#: The currencies a company may buy in.
COMPANY_CURRENCIES = ("CHF", "EUR")

_UNSET = object()


class AccountError(ValidationError):
    """A registration, invitation or membership change that cannot be done (a clear
    message; nothing was changed)."""


# -- who is buying --------------------------------------------------------------------------


def member_of(user: Any) -> CompanyMember | None:
    """The active company membership of ``user`` (with its company), or ``None``."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    return CompanyMember.objects.select_related("company").filter(user=user, active=True).first()


def _user_loaded(request: Any) -> bool:
    """Has something set or read ``request.user`` already (a login, a test's
    ``RequestFactory`` user)?"""
    user = request.__dict__.get("user")
    if user is None:
        return False
    wrapped = getattr(user, "_wrapped", user)
    from django.utils.functional import empty

    return wrapped is not empty


def member_of_request(request: Any) -> CompanyMember | None:
    """:func:`member_of` for the request's user, read once per request."""
    if request is None:
        return None
    member = getattr(request, "_checkout_member", _UNSET)
    if member is _UNSET:
        cookies = getattr(request, "COOKIES", {})
        if settings.SESSION_COOKIE_NAME not in cookies and not _user_loaded(request):
            # No session: an anonymous visitor. Reading request.user would touch the
            # session and add "Vary: Cookie", keeping the page out of the page cache.
            request._checkout_member = None
            return None
        member = member_of(getattr(request, "user", None))
        request._checkout_member = member
    return member


def company_of_request(request: Any) -> Company | None:
    """The company the request's logged-in user buys for (``None`` for visitors and users
    without an active membership). Cached on the request."""
    member = member_of_request(request)
    return member.company if member else None


def can_order(member: CompanyMember | None) -> bool:
    """May this member put orders in (every active role may; a requester's order may need
    approval)?"""
    return bool(member and member.active)


def can_manage_users(member: CompanyMember | None) -> bool:
    """May this member manage the company's users, budgets and addresses (company admins)?"""
    return bool(member and member.active and member.role == Role.ADMIN)


def can_approve(member: CompanyMember | None) -> bool:
    """May this member approve requesters' orders (approvers and company admins)?"""
    return bool(member and member.active and member.role in (Role.ADMIN, Role.APPROVER))


# -- e-mail helpers -------------------------------------------------------------------------


def absolute_url(path: str, site: Any = None) -> str:
    """``path`` as an absolute link for emails: on ``site`` (the default site when none); a
    site still at ``http://localhost`` (a fresh install) links to ``MAGPIE_BASE_URL``
    (``WAGTAILADMIN_BASE_URL``) instead."""
    from wagtail.models import Site

    site = site or Site.objects.filter(is_default_site=True).first()
    root = site.root_url if site is not None else ""
    if not root or (root.startswith("http://localhost") and site.port == 80):
        root = getattr(settings, "WAGTAILADMIN_BASE_URL", "") or root
    return root.rstrip("/") + path


def set_password_url(user: Any, site: Any = None) -> str:
    """An absolute link where ``user`` sets a password (Django's password-reset token:
    valid once, for ``PASSWORD_RESET_TIMEOUT``)."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    path = reverse("magpie_checkout:set_password", args=[uid, token])
    return absolute_url(path, site)


def _mail(subject: str, body: str, to: str) -> None:
    send_mail(subject, body, None, [to], fail_silently=False)


# -- registration ---------------------------------------------------------------------------


def _check_vat_id(vat_id: str) -> str:
    vat_id = (vat_id or "").replace(" ", "").upper()
    if vat_id:
        try:
            VAT_ID_SHAPE(vat_id)
        except ValidationError as exc:
            raise AccountError(_("%(vat_id)s is not a valid VAT ID.") % {"vat_id": vat_id}) from exc
    return vat_id


def _new_user(email: str, first_name: str = "", last_name: str = "", password: str | None = None):
    User = get_user_model()
    email = email.strip().lower()
    if (
        User.objects.filter(username__iexact=email).exists()
        or User.objects.filter(email__iexact=email).exists()
    ):
        raise AccountError(_("A user with the email %(email)s exists already.") % {"email": email})
    user = User(username=email, email=email, first_name=first_name, last_name=last_name)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    return user


def approve_registration(registration: CompanyRegistration, staff_user: Any) -> Company:
    """Approve a pending registration: create the company, its admin user (unusable password
    and a set-password email after commit), its default billing address, and emit
    ``company.registered``. Raises :class:`AccountError` (nothing changed) when the
    registration was decided already, its VAT ID or currency is invalid, or the email is
    taken."""
    from magpie.events.outbox import emit

    with transaction.atomic():
        registration = CompanyRegistration.objects.select_for_update().get(pk=registration.pk)
        if registration.status != CompanyRegistration.Status.PENDING:
            raise AccountError(_("This registration has been decided already."))
        vat_id = _check_vat_id(registration.vat_id)
        currency = registration.currency.upper()
        if currency not in COMPANY_CURRENCIES:
            raise AccountError(_("A company buys in CHF or EUR."))
        country = registration.country.upper()
        company = Company.objects.create(
            name=registration.company_name,
            vat_id=vat_id,
            country=country,
            currency=currency,
            domains=[registration.email.rsplit("@", 1)[-1].lower()],
        )
        user = _new_user(registration.email, registration.first_name, registration.last_name)
        CompanyMember.objects.create(company=company, user=user, role=Role.ADMIN)
        Address.objects.create(
            company=company,
            kind=Address.Kind.BILLING,
            company_name=registration.company_name,
            name=f"{registration.first_name} {registration.last_name}".strip(),
            street=registration.street,
            postal_code=registration.postal_code,
            city=registration.city,
            country=country,
            is_default=True,
        )
        registration.status = CompanyRegistration.Status.APPROVED
        registration.company = company
        registration.decided_at = timezone.now()
        registration.decided_by = staff_user
        registration.save(update_fields=["status", "company", "decided_at", "decided_by"])
        emit(
            "company.registered",
            {
                "company": company.pk,
                "registration": registration.pk,
                "user": user.pk,
                "email": user.email,
                "country": country,
                "currency": currency,
            },
            site=registration.site,
        )
        link = set_password_url(user, registration.site)
        body = _(
            "Hello %(name)s,\n\nyour company account for %(company)s is ready. "
            "Set your password here to log in:\n\n%(link)s\n"
        ) % {"name": registration.first_name, "company": company.name, "link": link}
        transaction.on_commit(lambda: _mail(_("Your company account is ready"), body, user.email))
    return company


def reject_registration(
    registration: CompanyRegistration, staff_user: Any, reason: str
) -> CompanyRegistration:
    """Reject a pending registration with a reason (required; sent to the registrant)."""
    reason = (reason or "").strip()
    if not reason:
        raise AccountError(_("Give a reason for the rejection."))
    with transaction.atomic():
        registration = CompanyRegistration.objects.select_for_update().get(pk=registration.pk)
        if registration.status != CompanyRegistration.Status.PENDING:
            raise AccountError(_("This registration has been decided already."))
        registration.status = CompanyRegistration.Status.REJECTED
        registration.reason = reason[:300]
        registration.decided_at = timezone.now()
        registration.decided_by = staff_user
        registration.save(update_fields=["status", "reason", "decided_at", "decided_by"])
        body = _(
            "Hello %(name)s,\n\nwe cannot open a company account for %(company)s: %(reason)s\n"
        ) % {
            "name": registration.first_name,
            "company": registration.company_name,
            "reason": registration.reason,
        }
        email = registration.email
        transaction.on_commit(lambda: _mail(_("Your company account request"), body, email))
    return registration


# -- invitations ----------------------------------------------------------------------------


def invite(
    company: Company, email: str, role: str, invited_by: Any, site: Any = None
) -> Invitation:
    """Invite ``email`` to join ``company`` with ``role``: a 14-day link by email.

    Raises :class:`AccountError` for an unknown role or an email that already belongs to a
    company user."""
    email = (email or "").strip().lower()
    if role not in Role.values:
        raise AccountError(_("Unknown role."))
    taken = CompanyMember.objects.filter(
        Q(user__email__iexact=email) | Q(user__username__iexact=email)
    )
    if not email or taken.exists():
        raise AccountError(_("%(email)s is a company user already.") % {"email": email})
    with transaction.atomic():
        invitation = Invitation.objects.create(
            company=company,
            email=email,
            role=role,
            token=secrets.token_urlsafe(32),
            invited_by=invited_by,
            expires_at=timezone.now() + timedelta(days=INVITATION_DAYS),
        )
        link = absolute_url(reverse("magpie_checkout:invitation", args=[invitation.token]), site)
        body = _(
            "Hello,\n\nyou are invited to order for %(company)s. Accept the invitation "
            "(valid for %(days)d days):\n\n%(link)s\n"
        ) % {"company": company.name, "days": INVITATION_DAYS, "link": link}
        transaction.on_commit(
            lambda: _mail(_("Invitation to %(company)s") % {"company": company.name}, body, email)
        )
    return invitation


def open_invitation(token: str) -> Invitation:
    """The invitation of ``token`` if it can still be accepted, else :class:`AccountError`."""
    invitation = Invitation.objects.select_related("company").filter(token=token).first()
    if invitation is None:
        raise AccountError(_("This invitation link is not valid."))
    if invitation.accepted_at is not None:
        raise AccountError(_("This invitation has been accepted already."))
    if invitation.expires_at <= timezone.now():
        raise AccountError(_("This invitation has expired. Ask for a new one."))
    return invitation


def accept_invitation(token: str, user_or_new_user_data: Any) -> CompanyMember:
    """Accept an invitation as an existing (logged-in) user, or as a new user from a dict
    ``{"first_name", "last_name", "password"}`` (the email is the invitation's).

    Raises :class:`AccountError` (nothing changed) when the link is unknown, used or expired,
    the user's email is not the invited one, or the user belongs to a company already."""
    with transaction.atomic():
        invitation = open_invitation(token)
        invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if invitation.accepted_at is not None:
            raise AccountError(_("This invitation has been accepted already."))
        if isinstance(user_or_new_user_data, dict):
            data = user_or_new_user_data
            password = data.get("password") or ""
            try:
                validate_password(password)
            except ValidationError as exc:
                raise AccountError(exc.messages) from exc
            user = _new_user(
                invitation.email, data.get("first_name", ""), data.get("last_name", ""), password
            )
        else:
            user = user_or_new_user_data
            if (user.email or "").strip().lower() != invitation.email.lower():
                raise AccountError(
                    _("This invitation is for %(email)s; log in with that address.")
                    % {"email": invitation.email}
                )
            if CompanyMember.objects.filter(user=user).exists():
                raise AccountError(_("Your user belongs to a company already."))
        member = CompanyMember.objects.create(
            company=invitation.company, user=user, role=invitation.role
        )
        invitation.accepted_at = timezone.now()
        invitation.save(update_fields=["accepted_at"])
    return member


# -- company admin actions ------------------------------------------------------------------


def company_members(company: Company):
    """The company's users, admins first."""
    return (
        CompanyMember.objects.filter(company=company)
        .select_related("user")
        .order_by("-active", "role", "user__email")
    )


def update_member(
    admin: CompanyMember,
    member: CompanyMember,
    *,
    role: str,
    order_limit: Any = None,
    monthly_budget: Any = None,
    active: bool = True,
) -> CompanyMember:
    """Change a member's role, budget or state, as ``admin`` of the same company.

    An admin cannot demote or deactivate themselves (the company would lose its admin)."""
    if not can_manage_users(admin) or admin.company_id != member.company_id:
        raise AccountError(_("You may not change this user."))
    if role not in Role.values:
        raise AccountError(_("Unknown role."))
    if member.pk == admin.pk and (role != Role.ADMIN or not active):
        raise AccountError(_("You cannot remove your own admin role or deactivate yourself."))
    member.role = role
    member.order_limit = order_limit
    member.monthly_budget = monthly_budget
    member.active = active
    member.full_clean(exclude=["company", "user"])
    member.save(update_fields=["role", "order_limit", "monthly_budget", "active"])
    return member


def set_default_address(address: Address) -> None:
    """Make ``address`` the default of its kind (the previous default loses it)."""
    with transaction.atomic():
        Address.objects.filter(
            company=address.company_id, kind=address.kind, is_default=True
        ).exclude(pk=address.pk).update(is_default=False)
        Address.objects.filter(pk=address.pk).update(is_default=True)
        address.is_default = True
