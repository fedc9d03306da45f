"""Carts of visitors and buyers.

A visitor's cart is found by a signed cookie (``magpie_cart``, the cart's id) — not the
session, so a visitor with a cart still gets cached catalog pages; the header's cart count
is fetched by script from a small JSON endpoint that is never cached. A logged-in user's
cart is theirs (one per site) and its currency is their company's. At login the visitor's
lines are added to the user's cart (:func:`merge_at_login`).

Prices shown in the cart are for display: placement asks for them again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from magpie.pricing import Price, get_price, get_prices
from magpie_checkout.accounts import company_of_request
from magpie_checkout.models import Cart, CartLine

logger = logging.getLogger("magpie_checkout.cart")

COOKIE = "magpie_cart"
COOKIE_SALT = "magpie_checkout.cart"
COOKIE_MAX_AGE = 60 * 60 * 24 * 30
#: The largest quantity of one line.
MAX_QUANTITY = 99_999
CENT = Decimal("0.01")


class CartError(ValueError):
    """Bad input for the cart (a clear message for the buyer); nothing was changed."""


# -- validation -----------------------------------------------------------------------------


def parse_quantity(value: Any) -> int:
    """A quantity typed by a buyer: a whole number from 1 to :data:`MAX_QUANTITY`."""
    text = str(value if value is not None else "").strip()
    if not text:
        raise CartError(_("Enter a quantity."))
    if not text.isdigit() and not (text.startswith("+") and text[1:].isdigit()):
        if (
            text.startswith("-")
            or text.replace(".", "", 1).replace(",", "", 1).lstrip("-").isdigit()
        ):
            raise CartError(
                _("The quantity must be a whole number of at least 1 (not %(value)s).")
                % {"value": text[:20]}
            )
        raise CartError(_("The quantity must be a whole number."))
    quantity = int(text)
    if quantity < 1:
        raise CartError(_("The quantity must be at least 1."))
    if quantity > MAX_QUANTITY:
        raise CartError(
            _("At most %(max)d units per line; for larger quantities ask for a quote.")
            % {"max": MAX_QUANTITY}
        )
    return quantity


def check_product(product: Any, variant: Any = None) -> None:
    """Raise :class:`CartError` unless ``product`` is active and ``variant`` (if any) is
    one of its variants."""
    if product is None or product.status != "active":
        raise CartError(_("This product cannot be ordered."))
    if variant is not None and variant.product_id != product.pk:
        raise CartError(_("This variant does not belong to the product."))


def find_sku(sku: str) -> tuple[Any, Any]:
    """The product and variant of an article number (product or variant SKU, any case), or
    ``(None, None)``."""
    from magpie_catalog.models import Product, Variant

    sku = (sku or "").strip()
    if not sku:
        return None, None
    product = Product.objects.filter(sku__iexact=sku).first()
    if product is not None:
        return product, None
    variant = Variant.objects.select_related("product").filter(sku__iexact=sku).first()
    if variant is not None:
        return variant.product, variant
    return None, None


def find_skus(skus: list[str]) -> dict[str, tuple[Any, Any]]:
    """:func:`find_sku` for many article numbers in two queries: ``{sku.lower(): (product,
    variant)}`` for those found."""
    from django.db.models.functions import Lower

    from magpie_catalog.models import Product, Variant

    wanted = {(sku or "").strip().lower() for sku in skus} - {""}
    found: dict[str, tuple[Any, Any]] = {}
    if not wanted:
        return found
    for product in Product.objects.annotate(sku_lower=Lower("sku")).filter(sku_lower__in=wanted):
        found[product.sku_lower] = (product, None)
    rest = wanted - found.keys()
    if rest:
        variants = (
            Variant.objects.select_related("product")
            .annotate(sku_lower=Lower("sku"))
            .filter(sku_lower__in=rest)
        )
        for variant in variants:
            found[variant.sku_lower] = (variant.product, variant)
    return found


def available_units(pairs: list[tuple[Any, Any]]) -> dict[tuple[int, int | None], int]:
    """Units available now (on hand minus reserved, all warehouses) of many ``(product,
    variant)`` pairs in one query, as :func:`magpie_catalog.stock.availability` counts them."""
    from django.db.models import Sum

    from magpie_catalog.models import StockLevel

    product_ids = {product.pk for product, _variant in pairs}
    units: dict[tuple[int, int | None], int] = {
        (product.pk, getattr(variant, "pk", None)): 0 for product, variant in pairs
    }
    if not product_ids:
        return units
    rows = (
        StockLevel.objects.filter(product_id__in=product_ids, on_hand__gt=F("reserved"))
        .values("product_id", "variant_id")
        .annotate(units=Sum(F("on_hand") - F("reserved")))
    )
    for row in rows:
        key = (row["product_id"], row["variant_id"])
        if key in units:
            units[key] = row["units"] or 0
    return units


# -- finding the cart -----------------------------------------------------------------------


def _site(request: Any) -> Any:
    from wagtail.models import Site

    site = getattr(request, "_checkout_site", None)
    if site is None:
        site = Site.find_for_request(request) or Site.objects.filter(is_default_site=True).first()
        request._checkout_site = site
    return site


def _cookie_cart_id(request: Any) -> str | None:
    try:
        return request.get_signed_cookie(COOKIE, default=None, salt=COOKIE_SALT)
    except signing.BadSignature:
        return None


def visitor_cart(request: Any) -> Cart | None:
    """The cart of the request's signed cookie (a visitor's cart of this site), or ``None``."""
    cart_id = _cookie_cart_id(request)
    if not cart_id:
        return None
    try:
        return Cart.objects.filter(pk=cart_id, site=_site(request), user__isnull=True).first()
    except (ValueError, signing.BadSignature):  # not a UUID
        return None
    except Exception:  # noqa: BLE001 - a malformed id on some backends
        logger.info("Ignoring a malformed cart cookie.")
        return None


def _currency(company: Any) -> str:
    return getattr(company, "currency", None) or settings.MAGPIE_DEFAULT_CURRENCY


def get_cart(request: Any, create: bool = False) -> Cart | None:
    """The request's cart: a logged-in user's (one per site), else the visitor's cookie cart.

    With ``create`` a missing cart is created; a new visitor cart's cookie is set by
    :func:`remember_cart` on the response. The cart's currency follows the user's company.
    """
    cached = getattr(request, "_checkout_cart", None)
    if cached is not None:
        return cached
    site = _site(request)
    user = getattr(request, "user", None)
    cart = None
    if user is not None and user.is_authenticated:
        company = company_of_request(request)
        currency = _currency(company)
        cart = Cart.objects.filter(site=site, user=user).first()
        if cart is None and create:
            try:
                with transaction.atomic():
                    cart = Cart.objects.create(
                        site=site, user=user, company=company, currency=currency
                    )
            except IntegrityError:  # created by a concurrent request
                cart = Cart.objects.get(site=site, user=user)
        if cart is not None and (
            cart.currency != currency or cart.company_id != getattr(company, "pk", None)
        ):
            cart.currency, cart.company = currency, company
            cart.save(update_fields=["currency", "company", "updated_at"])
    else:
        cart = visitor_cart(request)
        if cart is None and create:
            cart = Cart.objects.create(site=site, currency=_currency(None))
            request._checkout_new_cart = cart
    if cart is not None:
        request._checkout_cart = cart
    return cart


def remember_cart(request: Any, response: Any) -> Any:
    """Set the visitor cart cookie on ``response`` when this request created the cart."""
    cart = getattr(request, "_checkout_new_cart", None)
    if cart is not None:
        response.set_signed_cookie(
            COOKIE,
            str(cart.pk),
            salt=COOKIE_SALT,
            max_age=COOKIE_MAX_AGE,
            httponly=True,
            samesite="Lax",
            secure=request.is_secure(),
        )
    return response


def line_count(cart: Cart | None) -> int:
    """How many lines the cart has (the header's badge)."""
    return cart.lines.count() if cart is not None else 0


# -- changing the cart ----------------------------------------------------------------------


def add(cart: Cart, product: Any, variant: Any, quantity: Any) -> CartLine:
    """Add ``quantity`` units (summed with an existing line of the same product or variant).

    Raises :class:`CartError` for an inactive product, a foreign variant, or a quantity that
    is not a whole number from 1 to :data:`MAX_QUANTITY` (also after summing)."""
    quantity = parse_quantity(quantity)
    check_product(product, variant)
    lookup = {"cart": cart, "product": product, "variant": variant}
    if variant is None:
        lookup["variant__isnull"] = True
        del lookup["variant"]
    for _attempt in range(2):
        line = CartLine.objects.filter(**lookup).first()
        if line is not None:
            if line.quantity + quantity > MAX_QUANTITY:
                raise CartError(
                    _("At most %(max)d units per line; for larger quantities ask for a quote.")
                    % {"max": MAX_QUANTITY}
                )
            CartLine.objects.filter(pk=line.pk).update(quantity=F("quantity") + quantity)
            line.refresh_from_db(fields=["quantity"])
            Cart.objects.filter(pk=cart.pk).update(updated_at=timezone.now())
            return line
        try:
            with transaction.atomic():
                return CartLine.objects.create(
                    cart=cart, product=product, variant=variant, quantity=quantity
                )
        except IntegrityError:  # a concurrent add created the line: sum into it
            continue
    raise CartError(_("The cart changed at the same time; try again."))


def _line(cart: Cart, line_id: Any) -> CartLine:
    try:
        return CartLine.objects.select_related("product", "variant").get(pk=int(line_id), cart=cart)
    except (CartLine.DoesNotExist, TypeError, ValueError) as exc:
        raise CartError(_("This line is not in your cart.")) from exc


def set_quantity(cart: Cart, line_id: Any, quantity: Any) -> CartLine:
    """Set a line's quantity (a whole number from 1; remove a line with :func:`remove`)."""
    line = _line(cart, line_id)
    line.quantity = parse_quantity(quantity)
    line.save(update_fields=["quantity"])
    return line


def remove(cart: Cart, line_id: Any) -> None:
    """Remove a line of ``cart`` (a line of another cart is refused)."""
    _line(cart, line_id).delete()


def merge(source: Cart, target: Cart) -> None:
    """Add ``source``'s lines to ``target`` (quantities summed, capped at the maximum) and
    delete ``source``."""
    with transaction.atomic():
        for line in source.lines.select_related("product", "variant"):
            lookup: dict[str, Any] = {"cart": target, "product": line.product}
            if line.variant_id:
                lookup["variant"] = line.variant
            else:
                lookup["variant__isnull"] = True
            existing = CartLine.objects.filter(**lookup).first()
            if existing is not None:
                existing.quantity = min(existing.quantity + line.quantity, MAX_QUANTITY)
                existing.save(update_fields=["quantity"])
            else:
                CartLine.objects.create(
                    cart=target, product=line.product, variant=line.variant, quantity=line.quantity
                )
        source.delete()


def merge_at_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    """``user_logged_in``: the visitor's cart lines move into the user's cart."""
    if request is None:
        return
    try:
        source = visitor_cart(request)
        if source is None:
            return
        for attr in ("_checkout_cart", "_checkout_member", "_magpie_company"):
            if hasattr(request, attr):
                delattr(request, attr)
        target = get_cart(request, create=True)
        if target is not None and target.pk != source.pk:
            merge(source, target)
        request._checkout_forget_cookie = True
    except Exception:  # a login must never fail because of the cart
        logger.exception("Could not merge the visitor's cart at login.")


# -- display --------------------------------------------------------------------------------


@dataclass
class PricedLine:
    """A cart (or list) line with its display price."""

    line: Any
    price: Price | None
    unit_net: Decimal | None
    line_net: Decimal | None
    available: int | None = None

    @property
    def short(self) -> bool:
        """More ordered than available now (placement reserves only what is there)."""
        return self.available is not None and self.line.quantity > self.available

    @property
    def sku(self) -> str:
        return self.line.variant.sku if self.line.variant_id else self.line.product.sku


def price_of(
    product: Any, variant: Any, quantity: int, company: Any, currency: str, request: Any
) -> Price | None:
    """The display price of a line through :func:`magpie.pricing.get_price`."""
    return get_price(
        product, quantity, variant=variant, company=company, currency=currency, request=request
    )


def priced_lines(cart: Cart, request: Any) -> tuple[list[PricedLine], Decimal, bool]:
    """The cart's lines with unit and line net prices, the net total, and whether a line
    has no price (price on request)."""
    company = company_of_request(request)
    rows: list[PricedLine] = []
    total = Decimal("0.00")
    missing = False
    lines = list(cart.lines.select_related("product", "variant"))
    stock = available_units([(line.product, line.variant) for line in lines])
    prices = get_prices(  # the whole cart in a few queries, however many lines
        [(line.product, line.variant, line.quantity) for line in lines],
        company=company,
        currency=cart.currency,
        request=request,
    )
    for line, price in zip(lines, prices, strict=True):
        available = stock.get((line.product_id, line.variant_id), 0)
        if price is None:
            missing = True
            rows.append(PricedLine(line, None, None, None, available))
            continue
        line_net = price.total(line.quantity).quantize(CENT)
        total += line_net
        rows.append(PricedLine(line, price, price.amount, line_net, available))
    return rows, total, missing


def record_touchpoint(request: Any, type: str, **fields: Any) -> None:
    """Record a journey touchpoint; never fails the request."""
    try:
        from magpie.journey.recording import record

        record(type, request=request, **fields)
    except Exception:  # noqa: BLE001 - tracking must never break buying
        logger.warning("Could not record the %s touchpoint.", type, exc_info=True)


def record_cart_add(request: Any, cart: Cart, product: Any, variant: Any, quantity: int) -> None:
    """The ``cart_add`` touchpoint with the line's net value (when priced)."""
    value = None
    try:
        price = price_of(
            product, variant, quantity, company_of_request(request), cart.currency, request
        )
        value = price.total(quantity).quantize(CENT) if price else None
    except Exception:  # noqa: BLE001
        logger.warning("No price for the cart_add touchpoint.", exc_info=True)
    record_touchpoint(
        request,
        "cart_add",
        obj=product,
        value=value,
        currency=cart.currency if value is not None else "",
        data={"sku": variant.sku if variant else product.sku, "quantity": quantity},
    )
