"""The shop's REST API (django-ninja) at ``/shop/api/``: catalog read, cart, shipping and
payment options, placing an order and order status, authenticated by a company user's API
token (``Authorization: Bearer <key>``, :mod:`magpie_checkout.api_auth`).

* Paths are versioned: ``/shop/api/v1/…``. The OpenAPI schema is served at
  ``/shop/api/openapi.json``; there is no interactive docs page (ninja's loads Swagger UI
  from a CDN, which the project does not use for visitors) — see ``docs/checkout-api.md``.
* A token acts as its user for its company: the company's currency and prices apply, its
  orders and addresses are the only ones visible (another company's ids answer 404), and
  the member's role applies as on the web (a requester's order may await approval).
* The API uses the user's own cart — the same one the web shop shows when the user logs in
  (carts are kept per user and site).
* Orders arrive with the channel ``api``; ``POST /v1/orders`` needs an ``Idempotency-Key``
  header: the same key answers the same order (200 instead of 201).
* Every error is JSON ``{"detail": …}``: a message, or for 422 a list of
  ``{"loc", "msg", "type"}`` entries (one per bad field or cart line). Unknown paths
  answer a JSON 404, wrong methods a JSON 405.
"""

from __future__ import annotations

import logging
from decimal import ROUND_HALF_UP, Decimal
from functools import wraps
from typing import Annotated, Any, Literal

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Prefetch, Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.urls import re_path
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from ninja import Header, NinjaAPI, Status
from ninja.errors import AuthenticationError, HttpError, ValidationError
from pydantic import Field

from magpie.pagecache import never_cache_page
from magpie.pricing import Price, PriceError, get_price
from magpie_checkout import accounts
from magpie_checkout import cart as carts
from magpie_checkout.api_auth import ApiContext, TokenAuth
from magpie_checkout.api_schemas import (
    AddressOut,
    CartAddIn,
    CartOut,
    ErrorOut,
    Id,
    MeOut,
    OrderNumber,
    OrderOut,
    OrderPage,
    PaymentOptionOut,
    PlaceOrderIn,
    ProductDetailOut,
    ProductPage,
    QuantityIn,
    SearchText,
    ShippingOptionOut,
    SkuPath,
)
from magpie_checkout.models import (
    Address,
    Cart,
    CartLine,
    Channel,
    Document,
    Order,
    OrderState,
    Shipment,
    ShipmentLine,
)

logger = logging.getLogger("magpie_checkout.api")

CENT = Decimal("0.01")
UNIT = Decimal("0.0001")
#: Idempotency keys of API orders are stored with this prefix (web forms use their own).
KEY_NAMESPACE = "api:"
#: The unit every product is sold in (the catalog has no sales unit of its own yet).
SALES_UNIT = "piece"
PAGE_SIZE_MAX = 100
PAGE_MAX = 100_000
#: The name of every view's body parameter (left out of a 422's ``loc``).
BODY_PARAMETER = "payload"


# -- the API object: JSON for every error, nothing cached -----------------------------------


def _json_errors(view: Any) -> Any:
    """Wrap one of the API's URL views: per-client answers (never cached), JSON 404 and 405
    instead of Django's HTML pages, and no CSRF check (no cookie authenticates here)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        never_cache_page(request)
        try:
            response = view(request, *args, **kwargs)
        except Http404:
            response = JsonResponse({"detail": _("Not found.")}, status=404)
        if isinstance(response, HttpResponseNotAllowed):
            allowed = response["Allow"]
            response = JsonResponse({"detail": _("Method not allowed.")}, status=405)
            response["Allow"] = allowed
        add_never_cache_headers(response)
        response["Cache-Control"] = "private, no-store, max-age=0"
        # Answered against the API's own URLconf: no language-prefix redirect of a 404.
        request.urlconf = "magpie_checkout.api_urls"
        return response

    wrapped.csrf_exempt = True  # type: ignore[attr-defined]
    return wrapped


def _not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


class ShopApi(NinjaAPI):
    """:class:`~ninja.NinjaAPI` whose URLs answer JSON for every error, including unknown
    paths and wrong methods (Django would answer HTML, or redirect to a language prefix)."""

    def _get_urls(self) -> list[Any]:
        urls = list(super()._get_urls())
        urls.append(re_path(r"^", _not_found, name="not-found"))
        for pattern in urls:
            pattern.callback = _json_errors(pattern.callback)
        return urls


api = ShopApi(
    title="Magpie shop API",
    version="1",
    description=(
        "The B2B shop for company users: catalog, cart, orders. Authenticate with "
        "`Authorization: Bearer <key>` (keys are created in the shop's account area, "
        "API tokens). Money is decimal strings in the company's currency, net of VAT."
    ),
    urls_namespace="magpie_checkout_api",
    auth=TokenAuth(),
    docs_url=None,
)


@api.exception_handler(AuthenticationError)
def _unauthorized(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = api.create_response(
        request,
        {"detail": _("A valid API token is required (Authorization: Bearer <key>).")},
        status=401,
    )
    response["WWW-Authenticate"] = 'Bearer realm="shop"'
    return response


@api.exception_handler(ValidationError)
def _invalid_input(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    """422 with every problem; a body's ``loc`` starts ``["body", <field>…]`` (without the
    name of the view's parameter that ninja puts in between)."""
    errors = []
    for error in exc.errors:
        loc = list(error.get("loc") or [])
        if len(loc) > 1 and loc[0] == "body" and loc[1] == BODY_PARAMETER:
            del loc[1]
        errors.append({**error, "loc": loc})
    return api.create_response(request, {"detail": errors}, status=422)


@api.exception_handler(PermissionDenied)
def _forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return api.create_response(
        request, {"detail": str(exc) or _("You may not do this.")}, status=403
    )


@api.exception_handler(Exception)
def _server_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.exception("Shop API error on %s %s", request.method, request.path)
    return api.create_response(request, {"detail": _("Internal error.")}, status=500)


AUTH: dict[int, Any] = {401: ErrorOut}
READ: dict[int, Any] = {401: ErrorOut, 422: ErrorOut}
BUYING: dict[int, Any] = {401: ErrorOut, 403: ErrorOut, 422: ErrorOut}
#: Operations with a JSON body also answer 400 to a body that is not JSON.
WITH_BODY: dict[int, Any] = {400: ErrorOut, **BUYING}


# -- helpers --------------------------------------------------------------------------------


def _ctx(request: HttpRequest) -> ApiContext:
    return request.auth  # type: ignore[attr-defined,no-any-return]


def _buyer(request: HttpRequest) -> ApiContext:
    """The context of a member who may order (403 otherwise)."""
    context = _ctx(request)
    if not accounts.can_order(context.member):
        raise HttpError(403, _("Your role may not order."))
    return context


def _invalid(loc: list[Any], message: str, kind: str) -> dict[str, Any]:
    return {"loc": loc, "msg": str(message), "type": kind}


def _net_unit(price: Price | None) -> Decimal | None:
    """A price's unit amount net of VAT (a gross list's tax is the seller's domestic VAT), to
    the cent when it has no more places, else to 4 places (as orders keep it)."""
    if price is None:
        return None
    amount = Decimal(price.amount)
    if price.includes_tax:
        from magpie_checkout.tax import rate_of, seller_country

        amount = amount * 100 / (100 + rate_of(seller_country()))
    unit = amount.quantize(UNIT, rounding=ROUND_HALF_UP)
    cents = unit.quantize(CENT, rounding=ROUND_HALF_UP)
    return cents if cents == unit else unit


def _price(
    request: HttpRequest, product: Any, variant: Any = None, quantity: int = 1
) -> Price | None:
    """The company's price through :func:`magpie.pricing.get_price` (``None``: on request)."""
    company = _ctx(request).company
    try:
        return get_price(
            product,
            quantity,
            variant=variant,
            company=company,
            currency=company.currency or None,
            request=request,
        )
    except PriceError:
        return None


def _currency(request: HttpRequest) -> str:
    from django.conf import settings

    return _ctx(request).company.currency or settings.MAGPIE_DEFAULT_CURRENCY


def _page(rows: Any, page: int, page_size: int) -> tuple[int, list[Any]]:
    count = rows.count()
    start = (page - 1) * page_size
    return count, list(rows[start : start + page_size])


# -- account --------------------------------------------------------------------------------


@api.get("/v1/me", response={200: MeOut, **AUTH}, tags=["account"])
def me(request: HttpRequest) -> dict[str, Any]:
    """Who the token acts as: the user, their role and company, and the token."""
    context = _ctx(request)
    user, company = context.user, context.company
    return {
        "email": user.email,
        "name": user.get_full_name(),
        "role": context.member.role,
        "company": {
            "name": company.name,
            "country": company.country or "",
            "currency": company.currency or "",
            "vat_id": company.vat_id or "",
        },
        "token": {"name": context.token.name, "prefix": context.token.prefix},
    }


@api.get("/v1/addresses", response={200: list[AddressOut], **READ}, tags=["account"])
def addresses(
    request: HttpRequest, kind: Literal["billing", "shipping"] | None = None
) -> list[Address]:
    """The company's billing and shipping addresses (their ids are what an order names)."""
    rows = Address.objects.filter(company=_ctx(request).company)
    if kind:
        rows = rows.filter(kind=kind)
    return list(rows.order_by("kind", "-is_default", "pk"))


# -- catalog --------------------------------------------------------------------------------


def _products(q: str) -> Any:
    from magpie_catalog.models import Product

    rows = Product.objects.filter(status=Product.Status.ACTIVE)
    q = q.strip()
    if q:
        matching = (
            Q(sku__icontains=q)
            | Q(name_de__icontains=q)
            | Q(name_en__icontains=q)
            | Q(variants__sku__icontains=q)
        )
        rows = rows.filter(pk__in=Product.objects.filter(matching).values("pk"))
    return rows.order_by("sku", "pk")


def _product_row(request: HttpRequest, product: Any, available: int) -> dict[str, Any]:
    return {
        "sku": product.sku,
        "name": product.name,
        "short_description": product.short_description,
        "unit": SALES_UNIT,
        "currency": _currency(request),
        "unit_net": _net_unit(_price(request, product)),
        "available": max(available, 0),
        "in_stock": available > 0,
    }


@api.get("/v1/products", response={200: ProductPage, **READ}, tags=["catalog"])
def products(
    request: HttpRequest,
    q: SearchText = "",
    page: Annotated[int, Field(ge=1, le=PAGE_MAX)] = 1,
    page_size: Annotated[int, Field(ge=1, le=PAGE_SIZE_MAX)] = 20,
) -> dict[str, Any]:
    """Active products, by SKU; ``q`` searches SKUs (also of variants) and names. Each is
    priced for the token's company (net, one unit) with the units available now."""
    count, rows = _page(_products(q), page, page_size)
    stock = carts.available_units([(product, None) for product in rows])
    return {
        "count": count,
        "page": page,
        "page_size": page_size,
        "items": [_product_row(request, p, stock.get((p.pk, None), 0)) for p in rows],
    }


@api.get(
    "/v1/products/{path:sku}",
    response={200: ProductDetailOut, 404: ErrorOut, **READ},
    tags=["catalog"],
)
def product(request: HttpRequest, sku: SkuPath) -> dict[str, Any]:
    """One active product by its SKU or one of its variants' SKUs (any case): description,
    the company's net unit price and quantity tiers, availability, variants."""
    from wagtail.rich_text import expand_db_html

    from magpie_catalog.models import PriceEntry
    from magpie_catalog.stock import availability

    found, _variant = carts.find_sku(sku[:64]) if len(sku) <= 64 else (None, None)
    if found is None or found.status != "active":
        raise HttpError(404, _("No product with this SKU."))
    price = _price(request, found)
    tiers: list[dict[str, Any]] = []
    if price is not None and price.price_list:
        entries = PriceEntry.objects.filter(
            price_list__code=price.price_list, product=found, variant__isnull=True
        ).order_by("min_quantity")
        for entry in entries:
            tier = Price(
                entry.amount,
                price.currency,
                price.includes_tax,
                price.price_list,
                entry.min_quantity,
            )
            tiers.append({"min_quantity": entry.min_quantity, "unit_net": _net_unit(tier)})
    variants = list(found.variants.order_by("position", "sku")[:100])
    stock = carts.available_units([(found, v) for v in variants])
    here = availability(found)
    row = _product_row(request, found, here.available)
    row["unit_net"] = _net_unit(price)
    row.update(
        description_html=expand_db_html(found.description or ""),
        brand=found.brand.name if found.brand_id else None,
        weight_kg=found.weight_kg,
        lead_time_days=here.lead_time_days,
        tiers=tiers,
        variants=[
            {
                "sku": variant.sku,
                "options": variant.options if isinstance(variant.options, dict) else {},
                "unit_net": _net_unit(_price(request, found, variant)),
                "available": max(stock.get((found.pk, variant.pk), 0), 0),
            }
            for variant in variants
        ],
    )
    return row


# -- cart -----------------------------------------------------------------------------------


def _cart_out(request: HttpRequest, cart: Cart | None) -> dict[str, Any]:
    """The cart with each line priced for the company now (net, as placement prices it)."""
    currency = _currency(request)
    if cart is None:
        return {
            "id": None,
            "currency": currency,
            "lines": [],
            "net_total": Decimal("0.00"),
            "price_missing": False,
        }
    lines = list(cart.lines.select_related("product", "variant").order_by("added_at", "pk"))
    stock = carts.available_units([(line.product, line.variant) for line in lines])
    rows, total, missing = [], Decimal("0.00"), False
    for line in lines:
        unit = _net_unit(_price(request, line.product, line.variant, line.quantity))
        line_net = None
        if unit is None:
            missing = True
        else:
            line_net = (unit * line.quantity).quantize(CENT, rounding=ROUND_HALF_UP)
            total += line_net
        available = max(stock.get((line.product_id, line.variant_id), 0), 0)
        rows.append(
            {
                "id": line.pk,
                "sku": line.variant.sku if line.variant_id else line.product.sku,
                "name": line.product.name,
                "quantity": line.quantity,
                "unit_net": unit,
                "line_net": line_net,
                "available": available,
                "short": line.quantity > available,
            }
        )
    return {
        "id": str(cart.pk),
        "currency": cart.currency,
        "lines": rows,
        "net_total": total,
        "price_missing": missing,
    }


def _short(sku: str, requested: int, available: int) -> str:
    return _("%(sku)s: %(requested)d requested, only %(available)d available.") % {
        "sku": sku,
        "requested": requested,
        "available": available,
    }


@api.get("/v1/cart", response={200: CartOut, **BUYING}, tags=["cart"])
def cart_get(request: HttpRequest) -> dict[str, Any]:
    """The user's cart with net prices for the company and the units available now."""
    _buyer(request)
    return _cart_out(request, carts.get_cart(request))


@api.post("/v1/cart/lines", response={200: CartOut, **WITH_BODY}, tags=["cart"])
def cart_add(request: HttpRequest, payload: CartAddIn) -> dict[str, Any]:
    """Add lines by SKU (product or variant) and quantity, summed with lines already in the
    cart. All lines are added, or none: an unknown or inactive SKU, or more than available
    now (counting what the cart holds), answers 422 naming each bad line."""
    _buyer(request)
    wanted = [(index, line.sku.strip(), line.quantity) for index, line in enumerate(payload.lines)]
    found = carts.find_skus([sku for _index, sku, _quantity in wanted])
    cart = carts.get_cart(request)
    held: dict[tuple[int, int | None], int] = {}
    if cart is not None:
        for line in cart.lines.all():
            held[(line.product_id, line.variant_id)] = line.quantity
    stock = carts.available_units(list(set(found.values())))
    errors: list[dict[str, Any]] = []
    totals: dict[tuple[int, int | None], int] = dict(held)
    for index, sku, quantity in wanted:
        product, variant = found.get(sku.lower(), (None, None))
        loc = ["body", "lines", index, "sku"]
        if product is None:
            errors.append(
                _invalid(loc, _("%(sku)s: unknown article number.") % {"sku": sku}, "sku")
            )
            continue
        try:
            carts.check_product(product, variant)
        except carts.CartError as error:
            errors.append(_invalid(loc, f"{sku}: {error}", "sku"))
            continue
        key = (product.pk, getattr(variant, "pk", None))
        totals[key] = totals.get(key, 0) + quantity
        quantity_loc = ["body", "lines", index, "quantity"]
        if totals[key] > carts.MAX_QUANTITY:
            message = _("At most %(max)d units per line; for larger quantities ask for a quote.")
            errors.append(_invalid(quantity_loc, message % {"max": carts.MAX_QUANTITY}, "quantity"))
        elif totals[key] > stock.get(key, 0):
            message = _short(sku, totals[key], max(stock.get(key, 0), 0))
            errors.append(_invalid(quantity_loc, message, "stock"))
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        cart = carts.get_cart(request, create=True)
        for index, sku, quantity in wanted:
            product, variant = found[sku.lower()]
            try:
                carts.add(cart, product, variant, quantity)
            except carts.CartError as error:
                raise ValidationError(
                    [_invalid(["body", "lines", index, "quantity"], str(error), "quantity")]
                ) from None
    for _index, sku, quantity in wanted:
        product, variant = found[sku.lower()]
        carts.record_cart_add(request, cart, product, variant, quantity)
    return _cart_out(request, cart)


def _own_line(cart: Cart | None, line_id: int) -> CartLine:
    line = None
    if cart is not None:
        line = (
            CartLine.objects.select_related("product", "variant")
            .filter(pk=line_id, cart=cart)
            .first()
        )
    if line is None:
        raise HttpError(404, _("This line is not in your cart."))
    return line


@api.patch(
    "/v1/cart/lines/{line_id}", response={200: CartOut, 404: ErrorOut, **WITH_BODY}, tags=["cart"]
)
def cart_set_quantity(request: HttpRequest, line_id: Id, payload: QuantityIn) -> dict[str, Any]:
    """Set a line's quantity (a whole number from 1, at most what is available now)."""
    _buyer(request)
    cart = carts.get_cart(request)
    line = _own_line(cart, line_id)
    available = carts.available_units([(line.product, line.variant)]).get(
        (line.product_id, line.variant_id), 0
    )
    sku = line.variant.sku if line.variant_id else line.product.sku
    if payload.quantity > available:
        message = _short(sku, payload.quantity, max(available, 0))
        raise ValidationError([_invalid(["body", "quantity"], message, "stock")])
    carts.set_quantity(cart, line.pk, payload.quantity)
    return _cart_out(request, cart)


@api.delete(
    "/v1/cart/lines/{line_id}", response={200: CartOut, 404: ErrorOut, **BUYING}, tags=["cart"]
)
def cart_remove(request: HttpRequest, line_id: Id) -> dict[str, Any]:
    """Remove a line from the cart."""
    _buyer(request)
    cart = carts.get_cart(request)
    line = _own_line(cart, line_id)
    line.delete()
    return _cart_out(request, cart)


@api.delete("/v1/cart", response={200: CartOut, **BUYING}, tags=["cart"])
def cart_clear(request: HttpRequest) -> dict[str, Any]:
    """Remove every line from the cart."""
    _buyer(request)
    cart = carts.get_cart(request)
    if cart is not None:
        CartLine.objects.filter(cart=cart).delete()
    return _cart_out(request, cart)


def _address(request: HttpRequest, address_id: int | None, kind: str) -> Address | None:
    """The company's address ``address_id``, or its default of ``kind`` (``None``: none)."""
    rows = Address.objects.filter(company=_ctx(request).company)
    if address_id is None:
        return rows.filter(kind=kind, is_default=True).first()
    return rows.filter(pk=address_id).first()


@api.get(
    "/v1/cart/shipping-options",
    response={200: list[ShippingOptionOut], 404: ErrorOut, **BUYING},
    tags=["cart"],
)
def shipping_options(
    request: HttpRequest, shipping_address_id: Id | None = None
) -> list[dict[str, Any]]:
    """The shipping methods for the cart to an address of the company (default: its default
    shipping address), with net prices; an unavailable one says why."""
    from magpie_checkout.placement import shipping_options as options_for

    context = _buyer(request)
    address = _address(request, shipping_address_id, Address.Kind.SHIPPING)
    if address is None:
        raise HttpError(404, _("No such shipping address of your company."))
    cart = carts.get_cart(request, create=True)
    options = options_for(cart, address.as_dict(), context.company, request)
    return [
        {
            "code": option.code,
            "label": str(option.label),
            "net": Decimal(option.net).quantize(CENT, rounding=ROUND_HALF_UP),
            "currency": option.currency,
            "description": str(getattr(option, "description", "") or ""),
            "available": bool(getattr(option, "available", True)),
            "reason": str(getattr(option, "reason", "") or ""),
        }
        for option in options
    ]


@api.get(
    "/v1/cart/payment-options", response={200: list[PaymentOptionOut], **BUYING}, tags=["cart"]
)
def payment_options(request: HttpRequest) -> list[dict[str, Any]]:
    """The payment methods for the cart (invoice within the credit limit, prepayment)."""
    from magpie_checkout.placement import payment_options as options_for

    context = _buyer(request)
    cart = carts.get_cart(request, create=True)
    return [
        {
            "code": option.code,
            "label": str(option.label),
            "description": str(getattr(option, "description", "") or ""),
            "available": bool(getattr(option, "available", True)),
            "reason": str(getattr(option, "reason", "") or ""),
        }
        for option in options_for(cart, context.company, request)
    ]


# -- orders ---------------------------------------------------------------------------------


def _orders(request: HttpRequest) -> Any:
    return Order.objects.filter(company=_ctx(request).company)


def _order_out(order: Order) -> dict[str, Any]:
    lines = list(order.lines.order_by("position"))
    skus = {line.pk: line.sku for line in lines}
    shipments = Shipment.objects.filter(order=order).prefetch_related(
        Prefetch("lines", queryset=ShipmentLine.objects.order_by("pk"))
    )
    placed_by = order.placed_by
    return {
        "number": order.number,
        "state": order.state,
        "channel": order.channel,
        "created_at": order.created_at,
        "currency": order.currency,
        "net_total": order.net_total,
        "tax_total": order.tax_total,
        "gross_total": order.gross_total,
        "shipping_net": order.shipping_net,
        "vat_rate": order.vat_rate,
        "tax_country": order.tax_country,
        "reverse_charge": order.reverse_charge,
        "po_number": order.po_number,
        "placed_by": placed_by.email if placed_by is not None else None,
        "shipping_method": order.shipping_method,
        "payment_method": order.payment_method,
        "payment_reference": order.payment_reference,
        "requested_delivery_date": order.requested_delivery_date,
        "note": order.note,
        "billing_address": order.billing_address or {},
        "shipping_address": order.shipping_address or {},
        "lines": lines,
        "shipments": [
            {
                "carrier": shipment.carrier,
                "tracking_number": shipment.tracking_number,
                "tracking_url": shipment.tracking_url,
                "shipped_at": shipment.created_at,
                "lines": [
                    {"sku": skus.get(line.order_line_id, ""), "quantity": line.quantity}
                    for line in shipment.lines.all()
                ],
            }
            for shipment in shipments
        ],
        "documents": list(Document.objects.filter(order=order).order_by("issued_at", "pk")),
    }


@api.get("/v1/orders", response={200: OrderPage, **READ}, tags=["orders"])
def orders(
    request: HttpRequest,
    state: OrderState | None = None,
    page: Annotated[int, Field(ge=1, le=PAGE_MAX)] = 1,
    page_size: Annotated[int, Field(ge=1, le=PAGE_SIZE_MAX)] = 20,
) -> dict[str, Any]:
    """The company's orders, newest first (optionally of one state)."""
    rows = _orders(request).order_by("-created_at", "-pk")
    if state:
        rows = rows.filter(state=state)
    count, items = _page(rows, page, page_size)
    return {"count": count, "page": page, "page_size": page_size, "items": items}


@api.get("/v1/orders/{number}", response={200: OrderOut, 404: ErrorOut, **READ}, tags=["orders"])
def order(request: HttpRequest, number: OrderNumber) -> dict[str, Any]:
    """One of the company's orders by number: state, lines, totals, shipments with
    tracking, invoice and credit note numbers. Another company's number answers 404."""
    found = _orders(request).select_related("placed_by").filter(number=number).first()
    if found is None:
        raise HttpError(404, _("No order with this number."))
    return _order_out(found)


@api.post(
    "/v1/orders",
    response={200: OrderOut, 201: OrderOut, 409: ErrorOut, **WITH_BODY},
    tags=["orders"],
)
def place(
    request: HttpRequest,
    payload: PlaceOrderIn,
    idempotency_key: Annotated[
        str, Header(alias="Idempotency-Key", pattern=r"^[!-~]{1,60}$", max_length=60)
    ],
) -> Status:
    """Place the cart's order (channel ``api``): prices, stock and methods are checked again,
    stock is reserved, the cart emptied. A requester over their limit or budget gets an
    order awaiting approval. The same ``Idempotency-Key`` (1–60 printable ASCII characters)
    answers the order it placed with 200; a new order answers 201. Refusals answer 422 with
    every reason; then nothing was written."""
    from magpie_checkout.placement import OrderError, place_order

    context = _buyer(request)
    key = KEY_NAMESPACE + idempotency_key
    with transaction.atomic():
        cart = carts.get_cart(request, create=True)
        # This user's placements one at a time: a retry waits here, then finds its order.
        Cart.objects.select_for_update().filter(pk=cart.pk).first()
        existing = _orders(request).filter(idempotency_key=key).first()
        if existing is not None:
            if existing.placed_by_id != context.user.pk:
                raise HttpError(409, _("This Idempotency-Key was used by another user."))
            return Status(200, _order_out(existing))
        billing = _address(request, payload.billing_address_id, Address.Kind.BILLING)
        shipping = _address(request, payload.shipping_address_id, Address.Kind.SHIPPING)
        errors = []
        if payload.billing_address_id is not None and billing is None:
            errors.append(
                _invalid(
                    ["body", "billing_address_id"],
                    _("The billing address is not one of your company's."),
                    "address",
                )
            )
        if payload.shipping_address_id is not None and shipping is None:
            errors.append(
                _invalid(
                    ["body", "shipping_address_id"],
                    _("The shipping address is not one of your company's."),
                    "address",
                )
            )
        if errors:
            raise ValidationError(errors)
        try:
            placed = place_order(
                cart,
                user=context.user,
                shipping_method=payload.shipping_method,
                payment_method=payload.payment_method,
                billing_address=billing,
                shipping_address=shipping,
                po_number=payload.po_number,
                requested_delivery_date=payload.requested_delivery_date,
                note=payload.note,
                terms_accepted=payload.terms_accepted,
                idempotency_key=key,
                channel=Channel.API,
                request=request,
            )
        except OrderError as error:
            raise ValidationError(
                [_invalid(["body"], message, "order") for message in error.messages]
            ) from None
    placed = Order.objects.select_related("placed_by").get(pk=placed.pk)
    if placed.placed_by_id != context.user.pk:  # a colleague's concurrent order with this key
        raise HttpError(409, _("This Idempotency-Key was used by another user."))
    return Status(201, _order_out(placed))
