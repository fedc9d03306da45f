"""The JS API: ``POST /journey/events/`` records client events (a download, a click).

One event is a JSON object; a batch is ``{"events": [event, …]}`` (at most
:data:`MAX_BATCH_EVENTS`), recorded at once with :func:`record_many`.
"""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import urlsplit

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from magpie.journey.middleware import is_bot
from magpie.journey.recording import MAX_DATA_BYTES, record_many

logger = logging.getLogger("magpie.journey")

#: The types a browser may send.
CLIENT_TYPES = frozenset({"download", "client_event", "video_play", "cta_click"})
#: The largest body of one event (bytes).
MAX_BODY_BYTES = MAX_DATA_BYTES
#: The most events one batch may carry, and the largest body of a batch (bytes).
MAX_BATCH_EVENTS = 25
MAX_BATCH_BYTES = 32 * 1024


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


def _checked_event(payload: Any, where: str) -> tuple[dict[str, Any] | None, str]:
    """``(record_many item, "")`` for a well-formed client event, else ``(None, message)``."""
    if not isinstance(payload, dict):
        return None, f"{where} must be a JSON object."
    kind = payload.get("type")
    if not isinstance(kind, str) or kind not in CLIENT_TYPES:
        allowed = ", ".join(sorted(CLIENT_TYPES))
        return None, f"{where}: unknown event type; allowed: {allowed}."
    data = payload.get("data")
    path = payload.get("path")
    referrer = payload.get("referrer")
    if data is not None and not isinstance(data, dict):
        return None, f"{where}: the event's data must be a JSON object."
    if (path is not None and not isinstance(path, str)) or (
        referrer is not None and not isinstance(referrer, str)
    ):
        return None, f"{where}: path and referrer must be strings."
    return {"type": kind, "data": data, "path": path, "referrer": referrer}, ""


@csrf_exempt
@never_cache
@require_POST
def client_event(request: HttpRequest) -> HttpResponse:
    """Record ``{"type": …, "path": …, "referrer": …, "data": {…}}`` as a touchpoint, or a
    batch ``{"events": [{…}, …]}`` of at most 25 such events at once.

    Same origin only (403); one event at most 4 KB, a batch at most 32 KB (413); client
    types only, well-formed fields (400: then nothing of the batch is stored); 204 when
    recorded and also when the visitor may not be tracked (nothing is stored then).
    """
    if not _same_origin(request):
        return _error("Cross-origin requests are not accepted.", 403)
    try:
        length = int(request.headers.get("Content-Length") or 0)
    except ValueError:
        length = 0
    if length > MAX_BATCH_BYTES:
        return _error(f"The request is larger than {MAX_BATCH_BYTES} bytes.", 413)
    body = request.read(MAX_BATCH_BYTES + 1)
    if len(body) > MAX_BATCH_BYTES:
        return _error(f"The request is larger than {MAX_BATCH_BYTES} bytes.", 413)
    try:
        payload = json.loads(body or b"null")
    except (ValueError, UnicodeDecodeError):
        return _error("The event must be a JSON object.", 400)
    if not isinstance(payload, dict):
        return _error("The event must be a JSON object.", 400)
    if "events" in payload:
        events = payload["events"]
        if not isinstance(events, list) or not events:
            return _error("events must be a non-empty list of event objects.", 400)
        if len(events) > MAX_BATCH_EVENTS:
            return _error(f"A batch carries at most {MAX_BATCH_EVENTS} events.", 413)
        where = "Event {}"
    else:
        if len(body) > MAX_BODY_BYTES:
            return _error(f"The event is larger than {MAX_BODY_BYTES} bytes.", 413)
        events, where = [payload], "The event"
    items = []
    for index, event in enumerate(events):
        item, message = _checked_event(event, where.format(index))
        if item is None:
            return _error(message, 400)
        if item["path"] is None:
            item["path"] = _referer_path(request)
        if item["referrer"] is None:
            item["referrer"] = ""
        items.append(item)
    if is_bot(request):
        return HttpResponse(status=204)
    try:
        record_many(items, request=request)
    except ValueError as error:
        return _error(str(error), 400)
    return HttpResponse(status=204)
