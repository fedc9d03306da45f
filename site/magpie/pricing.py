"""Prices: the value object and the host's entry point to the ``resolve_price`` hook.

Money is :class:`~decimal.Decimal` with an ISO 4217 currency, never float; whether an
amount includes tax is explicit.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils import timezone


class PriceError(LookupError):
    """No price could be found (unknown currency, no valid price list)."""


@dataclass(frozen=True)
class Price:
    """A unit price for a quantity, as one price list states it."""

    amount: Decimal
    currency: str
    includes_tax: bool
    price_list: str = ""
    min_quantity: int = 1

    def total(self, quantity: int) -> Decimal:
        """The amount for ``quantity`` units."""
        return self.amount * quantity


def check_currency(code: str) -> str:
    """Return ``code`` upper-cased if it is one of ``MAGPIE_CURRENCIES``; raise otherwise."""
    upper = (code or "").upper()
    if upper not in settings.MAGPIE_CURRENCIES:
        known = ", ".join(settings.MAGPIE_CURRENCIES)
        raise PriceError(f"Unknown currency {code!r}; Magpie is configured for {known}.")
    return upper


def get_price(
    product: Any,
    quantity: int = 1,
    *,
    variant: Any = None,
    company: Any = None,
    currency: str | None = None,
    at: datetime.datetime | None = None,
    request: Any = None,
    site: Any = None,
) -> Price | None:
    """The price ``company`` (or an anonymous visitor) pays per unit for ``quantity``.

    Asks the ``resolve_price`` hook of the plugins enabled on the request's (or given) site;
    the first answer wins. Returns ``None`` when no plugin knows a price. A plugin's error
    propagates: a wrong price must never be shown silently.
    """
    from magpie.plugins import hook

    if quantity < 1:
        raise ValueError("quantity must be at least 1")
    if currency is None:
        currency = getattr(company, "currency", None) or settings.MAGPIE_DEFAULT_CURRENCY
    return hook("resolve_price", request=request, site=site)(
        product=product,
        variant=variant,
        quantity=quantity,
        company=company,
        currency=check_currency(currency),
        at=at or timezone.now(),
    )


def get_prices(
    items: Sequence[tuple[Any, Any, int]],
    *,
    company: Any = None,
    currency: str | None = None,
    at: datetime.datetime | None = None,
    request: Any = None,
    site: Any = None,
) -> list[Price | None]:
    """The unit prices of many ``(product, variant, quantity)`` items at once, in order —
    the same answers as :func:`get_price` per item, in a few queries (a cart, an order).

    Plugins are asked in ``resolve_price`` order; a plugin with the batch hook
    ``resolve_prices`` gets every item still without a price in one call, one without it
    gets them one by one. An item keeps the first answer.
    """
    from magpie.plugins import disabled_for_request, disabled_plugins, get_host

    if any(quantity < 1 for _product, _variant, quantity in items):
        raise ValueError("quantity must be at least 1")
    if currency is None:
        currency = getattr(company, "currency", None) or settings.MAGPIE_DEFAULT_CURRENCY
    currency = check_currency(currency)
    at = at or timezone.now()
    disabled = disabled_for_request(request) if request is not None else disabled_plugins(site)
    host = get_host()
    batch = {impl.plugin_name: impl for impl in host.implementations("resolve_prices", disabled)}
    prices: list[Price | None] = [None] * len(items)
    common = {"company": company, "currency": currency, "at": at}
    for impl in host.implementations("resolve_price", disabled):
        todo = [i for i, price in enumerate(prices) if price is None]
        if not todo:
            break
        many = batch.get(impl.plugin_name)
        if many is not None:
            answers = many.function(
                **_args(many.argnames, items=[items[i] for i in todo], **common)
            )
            for i, answer in zip(todo, answers, strict=True):
                prices[i] = answer
            continue
        for i in todo:
            product, variant, quantity = items[i]
            prices[i] = impl.function(
                **_args(
                    impl.argnames, product=product, variant=variant, quantity=quantity, **common
                )
            )
    return prices


def _args(names: Sequence[str], **values: Any) -> dict[str, Any]:
    """The arguments a hook implementation asks for (pluggy lets it take a subset)."""
    return {name: values[name] for name in names}
