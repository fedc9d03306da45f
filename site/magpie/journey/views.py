"""The JS API: ``POST /journey/events/`` records a client event (a download, a click)."""

from __future__ import annotations

import json
import logging
from urllib.parse import urlsplit

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from magpie.journey.middleware import is_bot
from magpie.journey.recording import MAX_DATA_BYTES, record

logger = logging.getLogger("magpie.journey")

#: The types a browser may send.
CLIENT_TYPES = frozenset({"download", "client_event", "video_play", "cta_click"})
#: The largest request body accepted (bytes).
MAX_BODY_BYTES = MAX_DATA_BYTES


def _error(message: str, status: int) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


def _same_origin(request: HttpRequest) -> bool:
    origin = request.headers.get("Origin") or request.headers.get("Referer") or ""
    if not origin or origin == "null":
        return False
    try:
        host = urlsplit(origin).netloc.lower()
        return bool(host) and host == request.get_host().lower()
    except Exception:  # DisallowedHost, a malformed URL
        return False


def _referer_path(request: HttpRequest) -> str:
    try:
        parts = urlsplit(request.headers.get("Referer", ""))
    except ValueError:
        return ""
    return parts.path + ("?" + parts.query if parts.query else "")


@csrf_exempt
@never_cache
@require_POST
def client_event(request: HttpRequest) -> HttpResponse:
    """Record ``{"type": …, "path": …, "referrer": …, "data": {…}}`` as a touchpoint.

    Same origin only (403), at most 4 KB (413), a client type (400); 204 when recorded and
    also when the visitor may not be tracked (nothing is stored then).
    """
    if not _same_origin(request):
        return _error("Cross-origin requests are not accepted.", 403)
    try:
        length = int(request.headers.get("Content-Length") or 0)
    except ValueError:
        length = 0
    if length > MAX_BODY_BYTES:
        return _error(f"The event is larger than {MAX_BODY_BYTES} bytes.", 413)
    body = request.read(MAX_BODY_BYTES + 1)
    if len(body) > MAX_BODY_BYTES:
        return _error(f"The event is larger than {MAX_BODY_BYTES} bytes.", 413)
    try:
        payload = json.loads(body or b"null")
    except (ValueError, UnicodeDecodeError):
        return _error("The event must be a JSON object.", 400)
    if not isinstance(payload, dict):
        return _error("The event must be a JSON object.", 400)
    kind = payload.get("type")
    if kind not in CLIENT_TYPES:
        return _error("Unknown event type; allowed: " + ", ".join(sorted(CLIENT_TYPES)) + ".", 400)
    data = payload.get("data")
    path = payload.get("path")
    referrer = payload.get("referrer")
    if data is not None and not isinstance(data, dict):
        return _error("The event's data must be a JSON object.", 400)
    if (path is not None and not isinstance(path, str)) or (
        referrer is not None and not isinstance(referrer, str)
    ):
        return _error("path and referrer must be strings.", 400)
    if is_bot(request):
        return HttpResponse(status=204)
    try:
        record(
            kind,
            request=request,
            data=data,
            path=path if path is not None else _referer_path(request),
            referrer=referrer if referrer is not None else "",
        )
    except ValueError as error:
        return _error(str(error), 400)
    return HttpResponse(status=204)
