"""Placing an order: :func:`place_order`, one transaction, idempotent, never overselling.

What :func:`place_order` does, in this order, inside one transaction:

1. locks the cart row (a double click waits here for the first click's transaction) and
   returns the order its idempotency key already made, if any;
2. validates the input (terms, addresses of the cart's company, PO number, delivery date,
   note, channel) and every line (active product, whole quantity ≥ 1);
3. prices every line again through :func:`magpie.pricing.get_price` for the company in its
   currency now (a missing or expired price names the SKU);
4. checks the chosen shipping and payment methods against what the ``shipping_methods`` and
   ``payment_methods`` hooks offer now (a tampered code is refused), and takes the VAT from
   the ``order_tax`` hook;
5. asks every plugin's ``validate_order``;
6. reserves the stock of all lines at once (:func:`magpie_catalog.stock.reserve`, rows in a
   fixed order, conditional updates: never more than on hand);
7. writes the order, its lines, their reservations and the timeline entry, empties the
   cart, and — last, so the lock is short — takes the order number
   (:func:`magpie_checkout.numbering.next_number`), then emits ``order.placed`` (or
   ``order.approval_requested`` when a requester is over budget).

Any refusal raises :class:`OrderError` with every message, and nothing is written: no
order, no reservation, no number. A placed order's journey touchpoint ``order_placed``
(with its net value) is written in the same transaction: the order and its touchpoint
exist together.
"""

from __future__ import annotations

import datetime
import logging
import uuid
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from magpie.bulk import execute_together, insert_statement
from magpie.events import outbox
from magpie.pricing import PriceError, get_prices
from magpie_checkout import budgets
from magpie_checkout.models import (
    Address,
    Cart,
    CartLine,
    Channel,
    CompanyMember,
    CompanyTerms,
    Order,
    OrderEvent,
    OrderLine,
    OrderState,
    StockReservation,
)
from magpie_checkout.numbering import next_number
from magpie_checkout.payment import rf_reference
from magpie_checkout.tax import CENT, TaxError, rate_of, seller_country, tax_amount

logger = logging.getLogger("magpie.checkout")

UNIT = Decimal("0.0001")
PO_MAX = 60
NOTE_MAX = 2000
KEY_MAX = 64


class OrderError(Exception):
    """The order was refused; ``messages`` says why (all of it, for the buyer)."""

    def __init__(self, messages: list[str] | str) -> None:
        self.messages = [messages] if isinstance(messages, str) else list(messages)
        super().__init__("; ".join(str(m) for m in self.messages))


# -- pricing a cart -------------------------------------------------------------------------


@dataclass
class QuotedLine:
    """A cart line priced now: unit net (4 places) and line net (2 places, half up)."""

    product: Any
    variant: Any
    quantity: int
    sku: str
    name: str
    unit_net: Decimal
    line_net: Decimal
    price_list: str


@dataclass
class Quote:
    """A cart priced for a company: its lines, goods net, weight and what is wrong."""

    company: Any
    currency: str
    lines: list[QuotedLine] = field(default_factory=list)
    goods_net: Decimal = Decimal("0.00")
    weight_kg: Decimal | None = Decimal("0")
    missing_weight: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    #: The order's gross total once shipping and tax are known (the credit-limit check).
    gross: Decimal | None = None

    @property
    def credit_amount(self) -> Decimal:
        """What the credit-limit check counts: the gross total if known, else goods net."""
        return self.gross if self.gross is not None else self.goods_net


def quote_cart(
    cart: Cart,
    company: Any,
    *,
    at: datetime.datetime | None = None,
    lines: list[CartLine] | None = None,
    request: Any = None,
) -> Quote:
    """Price every line of ``cart`` for ``company`` in its currency at ``at`` (now).

    Problems (inactive product, bad quantity, no price) are collected in ``errors``, one
    message per line naming the SKU; the quote is cached on the cart for the shipping and
    payment hooks (:func:`cart_quote`).
    """
    currency = (getattr(company, "currency", "") or cart.currency or "").upper()
    quote = Quote(company=company, currency=currency)
    if lines is None:
        lines = list(cart.lines.select_related("product", "variant").order_by("pk"))
    at = at or timezone.now()
    context = request if request is not None else _SiteContext(cart.site_id)
    seller_rate: Decimal | None = None
    pending: list[tuple[Any, Any, Any, str]] = []  # (line, product, variant, sku) to price
    for line in lines:
        product, variant = line.product, line.variant
        sku = variant.sku if variant is not None else product.sku
        quantity = line.quantity
        if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 1:
            quote.errors.append(
                _("%(sku)s: the quantity must be a whole number of at least 1.") % {"sku": sku}
            )
            continue
        if product.status != "active" or (variant is not None and variant.product_id != product.pk):
            quote.errors.append(_("%(sku)s can no longer be ordered.") % {"sku": sku})
            continue
        pending.append((line, product, variant, sku))
    try:  # every line in one go: a few queries, not a few per line
        prices = get_prices(
            [(product, variant, line.quantity) for line, product, variant, _sku in pending],
            company=company,
            currency=currency,
            at=at,
            request=context,
        )
    except PriceError as error:
        quote.errors.extend(f"{sku}: {error}" for _line, _product, _variant, sku in pending)
        pending, prices = [], []
    for (line, product, variant, sku), price in zip(pending, prices, strict=True):
        quantity = line.quantity
        if price is None:
            quote.errors.append(
                _("%(sku)s has no valid price in %(currency)s.")
                % {"sku": sku, "currency": currency}
            )
            continue
        if price.currency != currency:
            quote.errors.append(
                _("%(sku)s is priced in %(found)s, not in %(currency)s.")
                % {"sku": sku, "found": price.currency, "currency": currency}
            )
            continue
        unit = Decimal(price.amount)
        if price.includes_tax:  # a gross list: its tax is the seller's domestic VAT
            if seller_rate is None:
                seller_rate = rate_of(seller_country())
            unit = unit * 100 / (100 + seller_rate)
        unit = unit.quantize(UNIT, rounding=ROUND_HALF_UP)
        line_net = (unit * quantity).quantize(CENT, rounding=ROUND_HALF_UP)
        name = product.name_de or product.name_en or sku
        quote.lines.append(
            QuotedLine(
                product, variant, quantity, sku, name[:200], unit, line_net, price.price_list
            )
        )
        quote.goods_net += line_net
        if product.weight_kg is None:
            quote.missing_weight.append(sku)
        else:
            quote.weight_kg = (quote.weight_kg or Decimal(0)) + product.weight_kg * quantity
    if quote.missing_weight:
        quote.weight_kg = None
    cart._magpie_quote = quote
    return quote


def cart_quote(cart: Cart, company: Any) -> Quote:
    """The quote :func:`quote_cart` cached on ``cart``, or a new one."""
    quote = getattr(cart, "_magpie_quote", None)
    if quote is None or quote.company != company:
        quote = quote_cart(cart, company)
    return quote


# -- options from hooks ---------------------------------------------------------------------


class _SiteContext:
    """Stands in for a request when there is none: the site's disabled plugins, from the
    outbox's shared cache of them (emptied whenever a plugin is switched on or off), read
    once per placement (``magpie.plugins.hook`` reads them from here, not per call)."""

    def __init__(self, site_id: int) -> None:
        from magpie.events.outbox import disabled_for_site

        self.site_id = site_id
        self._magpie_disabled_plugins = disabled_for_site(site_id)


def _hook(name: str, request: Any, site_id: int) -> Any:
    """Hook ``name`` for the plugins enabled on the request's site (or ``site_id``)."""
    from magpie.plugins import disabled_for_request, get_host

    context = request if request is not None else _SiteContext(site_id)
    return get_host().hook_for(name, disabled_for_request(context))


def _flatten(results: Any) -> list[Any]:
    found: list[Any] = []
    for result in results or []:
        found.extend(result or [])
    return found


def shipping_options(
    cart: Cart, address: dict[str, str], company: Any, request: Any = None
) -> list[Any]:
    """Every enabled plugin's shipping options for ``cart`` to ``address``."""
    caller = _hook("shipping_methods", request, cart.site_id)
    return _flatten(caller(cart=cart, address=address, company=company))


def payment_options(
    cart: Cart, company: Any, request: Any = None, wanted: str | None = None
) -> list[Any]:
    """Every enabled plugin's payment options for ``cart`` (only the ``wanted`` one where
    a plugin takes the hint, see the ``payment_methods`` hook)."""
    caller = _hook("payment_methods", request, cart.site_id)
    return _flatten(caller(cart=cart, company=company, wanted=wanted))


def _choose(options: list[Any], code: str, not_offered: str) -> tuple[Any | None, str]:
    """The option ``code`` if offered and available, else ``None`` and why (``not_offered``
    is the whole message, with ``%(code)r``)."""
    for option in options:
        if getattr(option, "code", None) == code:
            if not getattr(option, "available", True):
                reason = getattr(option, "reason", "") or _("not available")
                return None, f"{getattr(option, 'label', code)}: {reason}"
            return option, ""
    return None, not_offered % {"code": code}


@dataclass
class Totals:
    """An order's money for one shipping choice: goods and shipping net, the ``order_tax``
    hook's answer (``rate``, ``reverse_charge``, ``country``), VAT and gross."""

    goods_net: Decimal
    shipping_net: Decimal
    net: Decimal
    tax: Any
    tax_total: Decimal
    gross: Decimal


def order_totals(
    quote: Quote,
    shipping: Any,
    ship_to: dict[str, str],
    company: Any,
    request: Any = None,
    site_id: int | None = None,
) -> Totals:
    """The totals :func:`place_order` charges for ``quote`` shipped by the option
    ``shipping`` to the address ``ship_to`` (the checkout page shows the same). VAT goes by
    the destination (for pickup, the seller's country), once on the whole net. Raises
    :class:`OrderError` when the shipping price is in another currency or no VAT rule
    answers."""
    currency = quote.currency
    shipping_net = Decimal(shipping.net).quantize(CENT, rounding=ROUND_HALF_UP)
    if getattr(shipping, "currency", currency) != currency:
        raise OrderError(_("The shipping price is not in %(c)s.") % {"c": currency})
    country = seller_country() if shipping.code == "pickup" else ship_to["country"]
    try:
        tax = _hook("order_tax", request, site_id)(
            company=company, country=country, currency=currency
        )
    except TaxError as error:
        raise OrderError(str(error)) from None
    if tax is None:
        raise OrderError(_("No VAT rule answers for %(c)s.") % {"c": country})
    net = quote.goods_net + shipping_net
    tax_total = tax_amount(net, Decimal(tax.rate))
    return Totals(quote.goods_net, shipping_net, net, tax, tax_total, net + tax_total)


# -- input ----------------------------------------------------------------------------------


def _address_id(value: Any) -> int | None:
    if isinstance(value, Address):
        return value.pk
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@dataclass
class _Found:
    """What :func:`_look_up` finds for a placement, in one query."""

    site_id: int
    company_id: int | None
    user_id: int | None
    #: The order this idempotency key already placed for the company, if any.
    existing: int | None
    #: The user's active membership of the company (id, role; all of it for a requester).
    member: CompanyMember | None
    #: The contact of the user's email on the cart's site (id, company, source).
    contact: Any
    #: The chosen addresses if they are the company's (the fields an order copies).
    billing: Address | None
    shipping: Address | None
    #: The new order's id, taken from its sequence (PostgreSQL; ``None`` elsewhere).
    order_id: int | None


@cache
def _look_up_sql(vendor: str, lock: str) -> str:
    """The SQL of :func:`_look_up` (per database vendor; ``lock`` ends it)."""
    from magpie.people.models import Contact

    q = connection.ops.quote_name

    def table(model: Any) -> str:
        return q(model._meta.db_table)

    def column(model: Any, alias: str, name: str) -> str:
        return f"{alias}.{q(model._meta.get_field(name).column)}"

    def address(alias: str) -> str:
        return ", ".join(column(Address, alias, name) for name in ("id", *Address.COPIED_FIELDS))

    def joined(alias: str) -> str:
        return (
            f"LEFT JOIN {table(Address)} {alias} ON {column(Address, alias, 'id')} = "
            f"%({alias})s AND {column(Address, alias, 'company')} = %(company)s"
        )

    order_id = "NULL"
    if vendor == "postgresql":  # taken now, the order and its lines go in one statement
        order_id = (
            f"nextval(pg_get_serial_sequence('{Order._meta.db_table}', '{Order._meta.pk.column}'))"
        )
    return f"""
        SELECT {order_id}, {column(Cart, "c", "site")}, {column(Cart, "c", "company")},
               {column(Cart, "c", "user")},
               (SELECT {column(Order, "o", "id")} FROM {table(Order)} o
                WHERE {column(Order, "o", "company")} = %(company)s
                  AND {column(Order, "o", "idempotency_key")} = %(key)s),
               {column(CompanyMember, "m", "id")}, {column(CompanyMember, "m", "role")},
               {column(Contact, "p", "id")}, {column(Contact, "p", "company")},
               {column(Contact, "p", "source")},
               {address("b")}, {address("s")}
        FROM {table(Cart)} c
        LEFT JOIN {table(CompanyMember)} m ON {column(CompanyMember, "m", "user")} = %(user)s
            AND {column(CompanyMember, "m", "company")} = %(company)s
            AND {column(CompanyMember, "m", "active")} = %(active)s
        LEFT JOIN {table(Contact)} p ON {column(Contact, "p", "site")} = {column(Cart, "c", "site")}
            AND {column(Contact, "p", "email")} = %(email)s
        {joined("b")}
        {joined("s")}
        WHERE {column(Cart, "c", "id")} = %(cart)s
        {lock}
    """  # noqa: S608 - names from the models, values as parameters


def _look_up(
    cart: Cart, company: Any, user: Any, key: str, billing: Any, shipping: Any
) -> _Found | None:
    """Lock the cart's row and find, in the same query, what every placement needs: the
    order this key already placed, the user's membership, the contact of the user's email
    and the chosen addresses (only if they are the company's). ``None``: no such cart.

    One round trip instead of five: a placement is a few dozen statements, each a wait
    for the database and, under load, for the interpreter's lock.
    """
    from magpie.people.models import Contact

    features = connection.features
    lock = "FOR UPDATE OF c" if features.has_select_for_update_of else ""
    sql = _look_up_sql(connection.vendor, lock)
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            {
                "cart": Cart._meta.pk.get_db_prep_value(cart.pk, connection),
                "company": company.pk,
                "key": key,
                "user": getattr(user, "pk", None),
                "active": True,
                "email": (getattr(user, "email", "") or "").strip().lower(),
                "b": _address_id(billing),
                "s": _address_id(shipping),
            },
        )
        row = cursor.fetchone()
    if row is None:
        return None
    order_id, site_id, company_id, user_id, existing, member_id, role = row[:7]
    contact_id, contact_company, source = row[7:10]
    width = 1 + len(Address.COPIED_FIELDS)
    addresses = [row[10 : 10 + width], row[10 + width :]]
    member = None
    if member_id is not None:
        member = CompanyMember.from_db(
            connection.alias,
            ["id", "company_id", "user_id", "role", "active"],
            [member_id, company.pk, getattr(user, "pk", None), role, True],
        )
    contact = None
    if contact_id is not None:
        contact = Contact.from_db(
            connection.alias,
            ["id", "site_id", "company_id", "source"],
            [contact_id, site_id, contact_company, source],
        )
    billing_found, shipping_found = (
        None
        if values[0] is None
        else Address.from_db(
            connection.alias,
            ["id", "company_id", *Address.COPIED_FIELDS],
            [values[0], company.pk, *values[1:]],
        )
        for values in addresses
    )
    return _Found(
        site_id,
        company_id,
        user_id,
        existing,
        member,
        contact,
        billing_found,
        shipping_found,
        order_id,
    )


def _check_addresses(found: _Found, billing: Any, shipping: Any, errors: list[str]) -> None:
    """Say which of the chosen addresses is missing or not the company's."""
    problems = {  # (chosen, found, none chosen, not the company's)
        "billing": (
            billing,
            found.billing,
            _("Choose a billing address."),
            _("The billing address is not one of your company's."),
        ),
        "shipping": (
            shipping,
            found.shipping,
            _("Choose a shipping address."),
            _("The shipping address is not one of your company's."),
        ),
    }
    for chosen, address, missing, foreign in problems.values():
        if _address_id(chosen) is None:
            errors.append(missing)
        elif address is None:
            errors.append(foreign)


def _member(user: Any, company: Any, lock: bool = False) -> CompanyMember | None:
    rows = CompanyMember.objects.filter(user=user, company=company, active=True)
    if lock:
        rows = rows.select_for_update()
    return rows.first()


def _emptying(cart: Cart) -> tuple[str, list[Any]]:
    """The statement deleting the cart's lines (no signals hang on cart lines)."""
    quote = connection.ops.quote_name
    table, column = quote(CartLine._meta.db_table), quote(CartLine._meta.get_field("cart").column)
    return (
        f"DELETE FROM {table} WHERE {column} = %s",  # noqa: S608
        [Cart._meta.pk.get_db_prep_value(cart.pk, connection)],
    )


def _existing(company: Any, key: str) -> Order | None:
    """The order ``key`` already placed for ``company`` (a look-up by id first: nearly
    always there is none)."""
    found = Order.objects.filter(company=company, idempotency_key=key).values_list("pk")[:1]
    return Order.objects.get(pk=found[0][0]) if found else None


def _contact(site_id: int, user: Any, company: Any) -> Any:
    """The contact of the user's email on the site (created, linked to the company)."""
    from magpie.people.models import Contact

    email = (getattr(user, "email", "") or "").strip().lower()
    if not email:
        return None
    found = Contact.objects.filter(site_id=site_id, email=email).first()
    if found is not None:
        if found.company_id is None:
            Contact.objects.filter(pk=found.pk).update(company=company)
            found.company = company
        return found
    try:
        with transaction.atomic():
            contact, created = Contact.objects.get_or_create(
                site_id=site_id,
                email=email,
                defaults={
                    "company": company,
                    "first_name": (getattr(user, "first_name", "") or "")[:100],
                    "last_name": (getattr(user, "last_name", "") or "")[:100],
                },
            )
            if not created and contact.company_id is None:
                Contact.objects.filter(pk=contact.pk).update(company=company)
                contact.company = company
        return contact
    except Exception:  # the order never fails for the journey
        logger.exception("Could not find or create the contact of %s", email)
        return None


# -- placing --------------------------------------------------------------------------------


def place_order(
    cart: Cart,
    *,
    user: Any,
    shipping_method: str,
    payment_method: str,
    billing_address: Any,
    shipping_address: Any,
    po_number: str = "",
    requested_delivery_date: datetime.date | None = None,
    note: str = "",
    terms_accepted: bool,
    idempotency_key: str,
    channel: str = Channel.WEB,
    entered_by: Any = None,
    request: Any = None,
) -> Order:
    """Place the order of ``cart`` for ``user``'s company (see the module's docstring).

    Returns the new order — or the order this ``idempotency_key`` already placed for the
    company (a double click, a retry). Raises :class:`OrderError` with every reason when
    the order is refused; then nothing was written.
    """
    key = (idempotency_key or "").strip()
    if not key or len(key) > KEY_MAX:
        raise OrderError(_("The order form has expired; please reload the page."))
    company = cart.company
    if company is None:
        member = CompanyMember.objects.filter(user=user, active=True).select_related("company")
        found = member.first()
        company = found.company if found else None
    if company is None:
        raise OrderError(_("Only users of a company account can place orders."))
    try:
        with transaction.atomic():
            order = _place(
                cart,
                company,
                user=user,
                shipping_method=shipping_method,
                payment_method=payment_method,
                billing_address=billing_address,
                shipping_address=shipping_address,
                po_number=po_number,
                requested_delivery_date=requested_delivery_date,
                note=note,
                terms_accepted=terms_accepted,
                key=key,
                channel=channel,
                entered_by=entered_by,
                request=request,
            )
    except (IntegrityError, OrderError):
        # A concurrent request with the same key won: answer with its order.
        existing = _existing(company, key)
        if existing is not None:
            return existing
        raise
    return order


def _place(
    cart: Cart,
    company: Any,
    *,
    user: Any,
    shipping_method: str,
    payment_method: str,
    billing_address: Any,
    shipping_address: Any,
    po_number: str,
    requested_delivery_date: datetime.date | None,
    note: str,
    terms_accepted: bool,
    key: str,
    channel: str,
    entered_by: Any,
    request: Any,
) -> Order:
    now = timezone.now()
    # 1. The cart's row: a second click of the same buyer waits here, then finds the order.
    found = _look_up(cart, company, user, key, billing_address, shipping_address)
    if found is None or not (
        found.company_id == company.pk
        or (found.company_id is None and found.user_id == getattr(user, "pk", None))
    ):
        raise OrderError(_("This cart does not belong to your company."))
    if found.existing is not None:
        return Order.objects.get(pk=found.existing)
    member = found.member
    if member is None:
        raise OrderError(_("You are not an active user of this company."))
    if member.role == "requester":  # budgets: one of this requester's orders at a time
        member = _member(user, company, lock=True)
    site_id = found.site_id

    # 2. Input.
    errors: list[str] = []
    if not terms_accepted:
        errors.append(_("Please accept the terms and conditions."))
    if channel not in Channel.values:
        errors.append(_("Unknown order channel %(channel)r.") % {"channel": channel})
    po_number = (po_number or "").strip()
    if len(po_number) > PO_MAX:
        errors.append(_("The PO number has at most %(max)d characters.") % {"max": PO_MAX})
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        errors.append(_("The note has at most %(max)d characters.") % {"max": NOTE_MAX})
    if requested_delivery_date is not None:
        if not isinstance(requested_delivery_date, datetime.date):
            errors.append(_("The requested delivery date is not a date."))
        elif requested_delivery_date < timezone.localdate(now):
            errors.append(_("The requested delivery date is in the past."))
    _check_addresses(found, billing_address, shipping_address, errors)
    billing, shipping = found.billing, found.shipping
    lines = list(cart.lines.select_related("product", "variant").order_by("pk"))
    if not lines:
        errors.append(_("Your cart is empty."))
    if errors:
        raise OrderError(errors)

    # 3. Prices now.
    context = request if request is not None else _SiteContext(site_id)
    quote = quote_cart(cart, company, at=now, lines=lines, request=context)
    if quote.errors:
        raise OrderError(quote.errors)
    currency = quote.currency

    # 4. Shipping, tax, payment.
    ship_to = shipping.as_dict()
    shipping_choice, problem = _choose(
        shipping_options(cart, ship_to, company, context),
        shipping_method,
        _("The shipping method %(code)r is not offered for this order."),
    )
    if shipping_choice is None:
        raise OrderError(problem)
    totals = order_totals(quote, shipping_choice, ship_to, company, context, site_id)
    tax, shipping_net = totals.tax, totals.shipping_net
    net_total, tax_total, gross_total = totals.net, totals.tax_total, totals.gross
    quote.gross = gross_total
    if payment_method == "invoice":  # the credit limit: one invoice order of a company at once
        list(CompanyTerms.objects.select_for_update().filter(company=company))
    payment_choice, problem = _choose(
        payment_options(cart, company, context, wanted=payment_method),
        payment_method,
        _("The payment method %(code)r is not offered for this order."),
    )
    if payment_choice is None:
        raise OrderError(problem)

    # 5. Approval and plugins' validation on the draft.
    reasons = budgets.approval_reasons(member, net_total, currency, now)
    state = OrderState.AWAITING_APPROVAL if reasons else OrderState.PLACED
    order = Order(
        site_id=site_id,
        number="~" + uuid.uuid4().hex[:19],  # replaced by the real number at the end
        company=company,
        placed_by=user,
        entered_by=entered_by,
        channel=channel,
        state=state,
        currency=currency,
        net_total=net_total,
        tax_total=tax_total,
        gross_total=gross_total,
        tax_country=tax.country,
        vat_rate=Decimal(tax.rate),
        reverse_charge=bool(tax.reverse_charge),
        shipping_method=shipping_choice.code,
        shipping_net=shipping_net,
        payment_method=payment_choice.code,
        po_number=po_number,
        requested_delivery_date=requested_delivery_date,
        note=note,
        billing_address=billing.as_dict(),
        shipping_address=ship_to,
        idempotency_key=key,
        terms_accepted_at=now,
    )
    order_lines = [
        OrderLine(
            position=position,
            product=line.product,
            variant=line.variant,
            sku=line.sku,
            name=line.name,
            quantity=line.quantity,
            unit_net=line.unit_net,
            line_net=line.line_net,
            price_list=line.price_list[:100],
        )
        for position, line in enumerate(quote.lines, start=1)
    ]
    order.draft_lines = order_lines
    messages = _flatten(_hook("validate_order", context, site_id)(order=order))
    if messages:
        raise OrderError([str(m) for m in messages])

    # 6. Stock, all lines at once, rows in a fixed order (product, variant, stock row).
    from magpie_catalog.stock import InsufficientStock, reserve

    ordered = sorted(order_lines, key=lambda ln: (ln.product_id, ln.variant_id or 0))
    try:
        taken = reserve([(ln.product, ln.variant, ln.quantity) for ln in ordered])
    except InsufficientStock as error:
        raise OrderError(
            _("%(sku)s: %(requested)d ordered, only %(available)d available.")
            % {"sku": error.sku, "requested": error.requested, "available": error.available}
        ) from None

    # 7. Write; the number last.
    contact = found.contact
    if contact is None or contact.company_id is None:  # new, or not linked yet
        contact = _contact(site_id, user, company)
    order.contact = contact
    if found.order_id is None:
        order.save(force_insert=True)
        for line in order_lines:
            line.order = order
        OrderLine.objects.bulk_create(order_lines)
    else:  # the id came with the look-up: the order and its lines in one round trip
        order.pk = found.order_id
        for line in order_lines:
            line.order = order
        keys = execute_together(
            [
                insert_statement(Order, [order]),
                insert_statement(OrderLine, order_lines, returning_keys=True),
            ]
        )
        for line, (pk,) in zip(order_lines, keys, strict=True):
            line.pk = pk
        for obj in (order, *order_lines):
            obj._state.adding, obj._state.db = False, connection.alias
    reservations: list[StockReservation] = []
    chunks = iter(taken)
    for line in ordered:
        needed = line.quantity
        while needed > 0:
            stock_level_id, units = next(chunks)
            reservations.append(
                StockReservation(line=line, stock_level_id=stock_level_id, quantity=units)
            )
            needed -= units
    placed = OrderEvent(
        order=order,
        kind="placed",
        to_state=state,
        message=(" ".join(reasons) if reasons else "")[:500],
        user=entered_by or user,
    )
    execute_together(  # one round trip on PostgreSQL
        [
            insert_statement(StockReservation, reservations),
            insert_statement(OrderEvent, [placed]),
            _emptying(cart),
        ]
    )

    order.number = next_number("order", timezone.localdate(now).year)
    if payment_choice.code == "prepayment":
        order.payment_reference = rf_reference(order.number)
    numbered = _numbering(order)  # sent with the event: one round trip on PostgreSQL
    if state == OrderState.PLACED:
        with outbox.batch():  # one delivery task for the order's event and the touchpoint's
            outbox.emit("order.placed", placed_payload(order, user), site=site_id, also=[numbered])
            # In the order's transaction: the order and its touchpoint exist together.
            _record_placed(order, request, savepoint=False)
    else:
        outbox.emit(
            "order.approval_requested",
            {**placed_payload(order, user), "reasons": reasons},
            site=site_id,
            also=[numbered],
        )
        transaction.on_commit(lambda: _send_approval_email(order))
    return order


def _numbering(order: Order) -> tuple[str, list[Any]]:
    """The statement writing the order's number and payment reference."""
    quote = connection.ops.quote_name
    meta = Order._meta
    number, reference, pk = (
        quote(meta.get_field(name).column) for name in ("number", "payment_reference", "id")
    )
    return (
        f"UPDATE {quote(meta.db_table)} SET {number} = %s, {reference} = %s WHERE {pk} = %s",  # noqa: S608
        [order.number, order.payment_reference, order.pk],
    )


def placed_payload(order: Order, user: Any = None) -> dict[str, Any]:
    """The ``order.placed`` payload: the leads plugin's contract (order, company, contact,
    email, value, currency) plus number, channel and state."""
    user = user if user is not None else order.placed_by
    return {
        "order": order.pk,
        "number": order.number,
        "company": order.company_id,
        "contact": order.contact_id,
        "email": (getattr(user, "email", "") or "").lower(),
        "value": str(order.net_total),
        "gross": str(order.gross_total),
        "currency": order.currency,
        "channel": order.channel,
        "state": order.state,
    }


def _send_approval_email(order: Order) -> None:
    try:
        from magpie_checkout.approval import approval_email

        approval_email(order)
    except Exception:
        logger.exception("Could not send the approval email of order %s", order.number)


# -- journey --------------------------------------------------------------------------------


def record_order_placed(order: Order, request: Any = None) -> None:
    """Record the journey touchpoint ``order_placed`` (net value) for the order's contact,
    after the order's transaction (an approved order). Never raises: the order stands
    whatever the journey does. :func:`place_order` records it in the order's transaction.
    """
    try:
        _record_placed(order, request)
    except Exception:
        logger.exception("Could not record the order_placed touchpoint of %s", order.number)


def _record_placed(order: Order, request: Any = None, savepoint: bool = True) -> None:
    from magpie.journey.recording import record

    record(
        "order_placed",
        request=request,
        site=None if request is not None else order.site_id,
        contact=order.contact,
        obj=order,
        value=order.net_total,
        currency=order.currency,
        data={"number": order.number, "channel": order.channel},
        savepoint=savepoint,
    )


def start_checkout(cart: Cart, request: Any) -> None:
    """Record the touchpoint ``checkout_started`` (the checkout view calls this on its
    first display); with the cart's goods value when it could be priced. Never raises."""
    try:
        from magpie.journey.recording import record

        user = getattr(request, "user", None)
        contact = None
        if user is not None and getattr(user, "is_authenticated", False) and cart.company_id:
            contact = _contact(cart.site_id, user, cart.company)
        quote = getattr(cart, "_magpie_quote", None)
        record(
            "checkout_started",
            request=request,
            contact=contact,
            obj=cart,
            value=quote.goods_net if quote is not None else None,
            currency=quote.currency if quote is not None else cart.currency,
        )
    except Exception:
        logger.exception("Could not record the checkout_started touchpoint")
