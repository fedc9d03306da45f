"""People: companies and customer groups (contacts and consent follow with lead management)."""

from __future__ import annotations

from typing import Any

_UNSET = object()


def visitor_company(request: Any) -> Any:
    """The company the visitor of ``request`` buys for, or ``None`` (anonymous, consumer).

    Asks the ``visitor_company`` hook once per request and keeps the answer on the request.
    A page that shows a company's prices or stock must not land in the shared page cache:
    callers that render such a page call :func:`magpie.pagecache.never_cache_page`.
    """
    if request is None:
        return None
    company = getattr(request, "_magpie_company", _UNSET)
    if company is _UNSET:
        from magpie.plugins import hook

        company = hook("visitor_company", request)(request=request)
        request._magpie_company = company
    return company
