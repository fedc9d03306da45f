"""The account area's API tokens page (``/shop/account/api-tokens/``): a company user
creates named tokens (the key is shown once) and revokes them.

SKELETON — lands with the API work.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse


def tokens(request: HttpRequest) -> HttpResponse:
    """List, create and revoke the user's API tokens."""
    raise NotImplementedError
