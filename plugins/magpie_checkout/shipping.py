"""The checkout's own shipping methods: flat rate, weight-based and pickup.

Configured by settings (all optional):

``MAGPIE_CHECKOUT_FLAT_RATE``
    Net price per currency, default ``{"CHF": "15.00", "EUR": "15.00"}``.
``MAGPIE_CHECKOUT_FREE_SHIPPING_FROM``
    Goods net per currency from which the flat rate is free, default 500 CHF / 500 EUR
    (``None``: never free).
``MAGPIE_CHECKOUT_WEIGHT_BANDS``
    ``[(up to kg, {currency: net}), …]`` in ascending order, default up to 5 kg 9.00,
    up to 30 kg 19.00, up to 100 kg 49.00; heavier: not offered (freight on request).
    A cart with a product without weight cannot ship by weight (the reason names it).
``MAGPIE_CHECKOUT_PICKUP``
    Where goods are picked up (e.g. ``"Werk Thun, Industriestrasse 1"``); empty: no pickup.

Options are :class:`ShippingOption` values; an unavailable one says why in ``reason``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

FLAT_RATE = {"CHF": "15.00", "EUR": "15.00"}
FREE_FROM = {"CHF": "500.00", "EUR": "500.00"}
WEIGHT_BANDS = [
    ("5", {"CHF": "9.00", "EUR": "9.00"}),
    ("30", {"CHF": "19.00", "EUR": "19.00"}),
    ("100", {"CHF": "49.00", "EUR": "49.00"}),
]


@dataclass(frozen=True)
class ShippingOption:
    """A way to ship an order: ``net`` in ``currency``; ``available`` with a ``reason``."""

    code: str
    label: str
    net: Decimal
    currency: str
    description: str = ""
    available: bool = True
    reason: str = ""


def _setting(name: str, default: Any) -> Any:
    return getattr(settings, name, default)


def _amount(table: dict[str, Any] | None, currency: str) -> Decimal | None:
    if not table or currency not in table or table[currency] is None:
        return None
    return Decimal(str(table[currency]))


def flat_rate(goods_net: Decimal, currency: str) -> ShippingOption | None:
    """The flat rate, free from the configured goods value; ``None`` without a price."""
    price = _amount(_setting("MAGPIE_CHECKOUT_FLAT_RATE", FLAT_RATE), currency)
    if price is None:
        return None
    free_from = _amount(_setting("MAGPIE_CHECKOUT_FREE_SHIPPING_FROM", FREE_FROM), currency)
    description = ""
    if free_from is not None:
        description = _("Free from %(amount)s %(currency)s net.") % {
            "amount": free_from,
            "currency": currency,
        }
        if goods_net >= free_from:
            price = Decimal("0.00")
    return ShippingOption("flat_rate", _("Standard delivery"), price, currency, description)


def by_weight(
    weight_kg: Decimal | None, missing: list[str], currency: str
) -> ShippingOption | None:
    """The weight band of ``weight_kg``; unavailable when a product has no weight (``missing``
    names them) or the order is heavier than the last band."""
    bands = _setting("MAGPIE_CHECKOUT_WEIGHT_BANDS", WEIGHT_BANDS)
    if not bands:
        return None
    label = _("Delivery by weight")

    def unavailable(reason: str) -> ShippingOption:
        return ShippingOption(
            "weight", label, Decimal("0.00"), currency, available=False, reason=reason
        )

    if missing:
        return unavailable(
            _("No weight is known for %(skus)s.") % {"skus": ", ".join(sorted(missing)[:5])}
        )
    weight = weight_kg or Decimal(0)
    for limit, prices in bands:
        if weight <= Decimal(str(limit)):
            price = _amount(prices, currency)
            if price is None:
                return None
            description = _("%(weight)s kg, up to %(limit)s kg") % {
                "weight": weight.normalize(),
                "limit": limit,
            }
            return ShippingOption("weight", label, price, currency, description)
    return unavailable(
        _("Heavier than %(limit)s kg (%(weight)s kg): freight on request.")
        % {"limit": bands[-1][0], "weight": weight.normalize()}
    )


def pickup(currency: str) -> ShippingOption | None:
    """Pickup at the configured location, free; ``None`` when none is configured."""
    location = _setting("MAGPIE_CHECKOUT_PICKUP", "")
    if not location:
        return None
    return ShippingOption("pickup", _("Pickup"), Decimal("0.00"), currency, str(location))


def first_party_methods(cart: Any, address: Any, company: Any) -> list[ShippingOption]:
    """Flat rate, weight-based and pickup for ``cart`` (priced for ``company``)."""
    from magpie_checkout.placement import cart_quote

    quote = cart_quote(cart, company)
    options = [
        flat_rate(quote.goods_net, quote.currency),
        by_weight(quote.weight_kg, quote.missing_weight, quote.currency),
        pickup(quote.currency),
    ]
    return [option for option in options if option is not None]
