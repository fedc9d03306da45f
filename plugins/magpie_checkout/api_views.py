"""The account area's API tokens page (``/shop/account/api-tokens/``): a company user
creates named tokens (the key is shown once, on the answer to the POST that created it) and
revokes them. Only the user's own tokens are listed or revoked; another user's token id
answers 404. See ``docs/checkout-api.md``.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from magpie_checkout.api_auth import MAX_ACTIVE_TOKENS, NAME_MAX, TokenError, create_token
from magpie_checkout.api_auth import revoke_token as revoke
from magpie_checkout.models import ApiToken
from magpie_checkout.views import _redirect, _render, member_required


@member_required()
@require_http_methods(["GET", "POST"])
def tokens(request: HttpRequest) -> HttpResponse:
    """List the user's API tokens; POST ``action=create`` with a ``name`` creates one (its
    key is shown on this answer only), ``action=revoke`` with ``token`` revokes one."""
    new_key = None
    error = None
    name = ""
    status = 200
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "create":
            name = request.POST.get("name", "")
            try:
                token, new_key = create_token(request.member, name)
            except TokenError as exc:
                error, status = str(exc), 400
            else:
                name = ""
                messages.success(
                    request, _("The token %(name)s was created.") % {"name": token.name}
                )
        elif action == "revoke":
            try:
                token = revoke(request.user, request.POST.get("token"))
            except TokenError as exc:
                raise Http404(str(exc)) from exc
            messages.success(request, _("The token %(name)s was revoked.") % {"name": token.name})
            return _redirect(request, "magpie_checkout:api_tokens")
        else:
            error, status = _("Unknown action."), 400
    rows = ApiToken.objects.filter(user=request.user).order_by("revoked_at", "-created_at", "-pk")
    return _render(
        request,
        "magpie_checkout/account/api_tokens.html",
        {
            "tokens": rows,
            "new_key": new_key,
            "error": error,
            "name": name[:NAME_MAX],
            "name_max": NAME_MAX,
            "max_tokens": MAX_ACTIVE_TOKENS,
        },
        status=status,
    )
