"""API tokens of company users: creating, checking and revoking them.

A key is ``mgp_`` followed by 43 URL-safe characters (:func:`secrets.token_urlsafe` of 32
random bytes). Only its SHA-256 hash is stored (:class:`~magpie_checkout.models.ApiToken`),
with the first :data:`PREFIX_LENGTH` characters for display; the key itself is shown once,
when it is created.

:class:`TokenAuth` checks ``Authorization: Bearer <key>`` for the shop API: the token must
not be revoked, its user must be active and an active member of the token's company. The
request then acts as that user (``request.user``) for that company; ``request.auth`` is an
:class:`ApiContext`. ``last_used_at`` is written at most once per
:data:`LAST_USED_INTERVAL` per token (a conditional ``UPDATE``), not on every request.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja.security import HttpBearer

from magpie_checkout.models import ApiToken, CompanyMember

KEY_PREFIX = "mgp_"
#: How many leading characters of a key are kept for display (``mgp_`` and 8 more).
PREFIX_LENGTH = 12
#: ``last_used_at`` is refreshed when it is older than this (at most one write a minute).
LAST_USED_INTERVAL = timedelta(minutes=1)
#: Longer strings are not keys (refused before hashing).
KEY_MAX_LENGTH = 200
#: Active (not revoked) tokens a user may hold.
MAX_ACTIVE_TOKENS = 20
NAME_MAX = 100


class TokenError(ValueError):
    """A token cannot be created or revoked (a clear message; nothing was changed)."""


def hash_key(key: str) -> str:
    """The SHA-256 hex digest of ``key`` (what is stored and looked up)."""
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def new_key() -> str:
    """A new random key: ``mgp_`` + 43 URL-safe characters (256 bits)."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


def create_token(member: CompanyMember, name: str) -> tuple[ApiToken, str]:
    """Create a token for ``member``'s user and company; returns the token and its key (the
    only time the key is known). Raises :class:`TokenError` for an empty or long name or
    when the user holds :data:`MAX_ACTIVE_TOKENS` active tokens already."""
    name = (name or "").strip()
    if not name:
        raise TokenError(_("Give the token a name (what uses it)."))
    if len(name) > NAME_MAX:
        raise TokenError(_("The name has at most %(max)d characters.") % {"max": NAME_MAX})
    if "\x00" in name:
        raise TokenError(_("The name contains characters that are not allowed."))
    active = ApiToken.objects.filter(user=member.user, revoked_at__isnull=True).count()
    if active >= MAX_ACTIVE_TOKENS:
        raise TokenError(
            _("You have %(max)d active tokens; revoke one before creating another.")
            % {"max": MAX_ACTIVE_TOKENS}
        )
    key = new_key()
    token = ApiToken.objects.create(
        user=member.user,
        company=member.company,
        name=name,
        prefix=key[:PREFIX_LENGTH],
        key_hash=hash_key(key),
    )
    return token, key


def revoke_token(user: Any, token_id: Any) -> ApiToken:
    """Revoke one of ``user``'s tokens (another user's token is "not found")."""
    try:
        pk = int(token_id)
    except (TypeError, ValueError):
        raise TokenError(_("This token was not found.")) from None
    token = ApiToken.objects.filter(pk=pk, user=user).first()
    if token is None:
        raise TokenError(_("This token was not found."))
    if token.revoked_at is None:
        now = timezone.now()
        ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=now)
        token.revoked_at = now
    return token


@dataclass
class ApiContext:
    """Who an API request acts as: the token, its user's membership and company."""

    token: ApiToken
    member: CompanyMember

    @property
    def user(self) -> Any:
        return self.member.user

    @property
    def company(self) -> Any:
        return self.member.company


def authenticate_key(key: str) -> ApiContext | None:
    """The :class:`ApiContext` of a valid key, or ``None`` (unknown, revoked, inactive user
    or membership, or a membership of another company than the token's)."""
    key = (key or "").strip()
    if not key.startswith(KEY_PREFIX) or len(key) > KEY_MAX_LENGTH:
        return None
    token = (
        ApiToken.objects.filter(key_hash=hash_key(key), revoked_at__isnull=True)
        .select_related("user")
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    member = (
        CompanyMember.objects.select_related("company")
        .filter(user_id=token.user_id, company_id=token.company_id, active=True)
        .first()
    )
    if member is None:
        return None
    member.user = token.user
    touch(token)
    return ApiContext(token=token, member=member)


def touch(token: ApiToken, now: Any = None) -> bool:
    """Record that ``token`` was used, unless that was recorded less than a minute ago
    (no write then). Returns whether a row was written."""
    now = now or timezone.now()
    cutoff = now - LAST_USED_INTERVAL
    if token.last_used_at is not None and token.last_used_at > cutoff:
        return False
    written = (
        ApiToken.objects.filter(pk=token.pk)
        .filter(Q(last_used_at__isnull=True) | Q(last_used_at__lte=cutoff))
        .update(last_used_at=now)
    )
    token.last_used_at = now
    return bool(written)


class TokenAuth(HttpBearer):
    """``Authorization: Bearer <key>``: the request acts as the token's user and company."""

    def authenticate(self, request: HttpRequest, token: str) -> ApiContext | None:
        context = authenticate_key(token)
        if context is None:
            return None
        request.user = context.user
        request._checkout_member = context.member
        return context
