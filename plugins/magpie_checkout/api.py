"""The shop's REST API (django-ninja) at ``/shop/api/``: catalog read, cart, placing an
order and order status, authenticated by a company user's API token
(:class:`~magpie_checkout.models.ApiToken`). Its OpenAPI schema is served at
``/shop/api/openapi.json`` and the interactive docs at ``/shop/api/docs``.

SKELETON — the endpoints land with the API work.
"""

from __future__ import annotations

from ninja import NinjaAPI

api = NinjaAPI(
    title="Magpie shop API",
    version="1",
    urls_namespace="magpie_checkout_api",
)
