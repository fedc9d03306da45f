"""HTML fragments the checkout plugin puts into the host's template slots.

* ``product_actions`` (the catalog's product page): an "Add to cart" form. The product page
  is served from the shared page cache, so the form carries no CSRF token; its endpoint
  checks the request's origin instead. The catalog's variant select joins it through
  ``form="product-actions-form"``.
* ``header_actions``: a cart link whose count a script fetches per visitor.
"""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string


def render(slot: str, request: Any, context: dict[str, Any]) -> str | None:
    """The fragment for ``slot``, or ``None``."""
    if request is None:
        return None
    if slot == "product_actions":
        product = context.get("product")
        if product is None or getattr(product, "status", "active") != "active":
            return None
        return render_to_string(
            "magpie_checkout/slots/add_to_cart.html",
            {"product": product, "next": request.get_full_path()},
        )
    if slot == "header_actions":
        return render_to_string("magpie_checkout/slots/mini_cart.html", {})
    return None
