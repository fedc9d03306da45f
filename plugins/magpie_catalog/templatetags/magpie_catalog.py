"""Template helpers of the catalog storefront: ``{% load magpie_catalog %}``.

* ``{{ price|money }}`` — ``CHF 1’234.50`` in the active language's number format;
* ``{% price_label price %}`` — "excl. VAT" / "incl. VAT";
* ``{% product_json_ld %}`` — the product page's schema.org ``Product`` as JSON-LD.

Language links (switcher and hreflang) come from the host's ``{% language_links %}``,
which keeps the ``route_suffix`` the catalog page puts into the context.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from django import template
from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

register = template.Library()

_JSON_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}
IMAGE_SPEC = "max-1200x1200"


@register.filter
def money(price: Any) -> str:
    """A :class:`~magpie.pricing.Price` (or ``Decimal``) as ``CUR 1'234.50``."""
    if price is None or price == "":
        return ""
    amount = getattr(price, "amount", price)
    currency = getattr(price, "currency", "")
    try:
        amount = Decimal(amount)
    except Exception:
        return ""
    text = number_format(amount, decimal_pos=2, use_l10n=True, force_grouping=True)
    return f"{currency}\u00a0{text}" if currency else text


@register.simple_tag
def price_label(price: Any) -> str:
    """Whether ``price`` includes tax, for the visitor."""
    if price is None:
        return ""
    return _("incl. VAT") if getattr(price, "includes_tax", False) else _("excl. VAT")


def _absolute(request: Any, url: str) -> str:
    if url.startswith("/") and request is not None:
        return request.build_absolute_uri(url)
    return url


def product_ld(context: template.Context) -> dict[str, Any]:
    """The schema.org ``Product`` of the product page in ``context`` (a dict)."""
    product = context["product"]
    request = context.get("request")
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Product",
        "name": product.name,
        "sku": product.sku,
    }
    if context.get("canonical"):
        data["url"] = context["canonical"]
    description = product.short_description
    if description:
        data["description"] = description
    if product.brand_id:
        data["brand"] = {"@type": "Brand", "name": product.brand.name}
    images = [
        _absolute(request, image.get_rendition(IMAGE_SPEC).url)
        for image in context.get("images") or []
    ]
    if images:
        data["image"] = images
    price = context.get("price")
    availability = context.get("availability") or {}
    if price is not None:
        offer: dict[str, Any] = {
            "@type": "Offer",
            "price": str(Decimal(price.amount).quantize(Decimal("0.01"))),
            "priceCurrency": price.currency,
            "availability": availability.get("schema", "https://schema.org/OutOfStock"),
            "itemCondition": "https://schema.org/NewCondition",
            "priceSpecification": {
                "@type": "UnitPriceSpecification",
                "price": str(Decimal(price.amount).quantize(Decimal("0.01"))),
                "priceCurrency": price.currency,
                "valueAddedTaxIncluded": bool(price.includes_tax),
            },
        }
        if context.get("canonical"):
            offer["url"] = context["canonical"]
        data["offers"] = offer
    return data


@register.simple_tag(takes_context=True)
def product_json_ld(context: template.Context) -> SafeString:
    """``<script type="application/ld+json">`` with the product, safe inside HTML."""
    if context.get("product") is None:
        return mark_safe("")
    text = json.dumps(product_ld(context), ensure_ascii=False).translate(_JSON_ESCAPES)
    return format_html('<script type="application/ld+json">{}</script>', mark_safe(text))
