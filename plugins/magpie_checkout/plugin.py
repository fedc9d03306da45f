"""The checkout plugin's hook implementations (the entry point ``magpie.plugins: checkout``).

The catalog is required: carts and orders hold its products, and stock is reserved
through ``magpie_catalog.stock``.
"""

from __future__ import annotations

from typing import Any

from magpie.hookspecs import hookimpl

#: The domain events this plugin emits (documented in docs/checkout.md).
EMITS = (
    "order.placed",
    "order.status_changed",
    "order.approval_requested",
    "company.registered",
)


@hookimpl
def django_apps() -> list[str]:
    return ["magpie_checkout"]


@hookimpl
def touchpoint_types() -> list[str]:
    """Beside the host's ``cart_add``, ``checkout_started`` and ``order_placed``."""
    return ["quick_order", "reorder"]


@hookimpl
def url_patterns() -> list[Any]:
    """``/shop/…``: cart, quick order, upload, order lists, registration, account."""
    from magpie_checkout.urls import urlpatterns

    return urlpatterns


@hookimpl
def visitor_company(request: Any) -> Any:
    """A logged-in company user buys for their company (its prices, its stock view)."""
    from magpie_checkout.accounts import company_of_request

    return company_of_request(request)


@hookimpl(trylast=True)
def order_tax(company: Any, country: str, currency: str) -> Any:
    """VAT by destination: CH 8.1 %, DE 19 %, AT 20 %; reverse charge for cross-border
    EU B2B with a VAT ID of valid format."""
    from magpie_checkout.tax import order_tax as compute

    return compute(company, country, currency)


@hookimpl
def shipping_methods(cart: Any, address: dict[str, str], company: Any) -> list[Any]:
    """Flat rate, weight-based and pickup."""
    from magpie_checkout.shipping import first_party_methods

    return first_party_methods(cart, address, company)


@hookimpl
def payment_methods(cart: Any, company: Any, wanted: str | None) -> list[Any]:
    """Invoice (on account, within the credit limit) and prepayment by bank transfer."""
    from magpie_checkout.payment import first_party_methods

    return first_party_methods(cart, company, wanted)


@hookimpl
def render_slot(slot: str, request: Any, context: dict[str, Any]) -> str | None:
    """The add-to-cart form on product pages (``product_actions``) and the cart link in the
    header (``header_actions``)."""
    from magpie_checkout.slots import render

    return render(slot, request, context)


@hookimpl
def handle_event(event: Any) -> None:
    """``order.placed``: the buyer's order confirmation (see ``notifications``); the
    plugin's ``event_types`` hook asks the outbox for that type only."""
    from magpie_checkout.notifications import handle

    handle(event)


@hookimpl
def event_types() -> list[str]:
    """Only ``order.placed`` (without this, every event of the site would be queued for
    the checkout plugin)."""
    from magpie_checkout.notifications import WANTED

    return list(WANTED)
