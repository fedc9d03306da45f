"""Request and response schemas of the shop API (:mod:`magpie_checkout.api`).

Money is sent as decimal strings (``"2.50"``), never floats. Every text input refuses NUL
characters and text that is not valid Unicode (a clear 422, never a database error), and
every number has the bounds the database can hold.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Annotated, Any

from django.utils.translation import gettext as _
from ninja import Field, Schema
from pydantic import AfterValidator, BeforeValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

from magpie_checkout.cart import MAX_QUANTITY, CartError, parse_quantity

#: The largest id a path or body may name (a 64-bit integer column).
ID_MAX = 2**63 - 1
#: Lines one "add to cart" request may carry.
MAX_LINES = 200


def _clean_text(value: str) -> str:
    if "\x00" in value:
        raise PydanticCustomError("text", _("The text must not contain NUL characters."))
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise PydanticCustomError("text", _("The text is not valid Unicode.")) from None
    return value


def _quantity(value: Any) -> int:
    if isinstance(value, bool) or isinstance(value, (dict, list)):
        raise PydanticCustomError("quantity", _("The quantity must be a whole number."))
    try:
        return parse_quantity(value)
    except CartError as error:
        raise PydanticCustomError("quantity", str(error)) from None


_clean = AfterValidator(_clean_text)
#: Text without NUL characters or lone surrogates (length limits come first, so their
#: messages speak of characters).
Text = Annotated[str, _clean]
SkuText = Annotated[str, Field(min_length=1, max_length=64), _clean]
SkuPath = Annotated[str, Field(max_length=200), _clean]
SearchText = Annotated[str, Field(max_length=100), _clean]
OrderNumber = Annotated[str, Field(max_length=40), _clean]
MethodCode = Annotated[str, Field(max_length=40), _clean]
PoNumber = Annotated[str, Field(max_length=60), _clean]
NoteText = Annotated[str, Field(max_length=2000), _clean]
#: A whole number from 1 to 99,999, checked with the shop's own messages.
Quantity = Annotated[
    Any,
    BeforeValidator(_quantity),
    WithJsonSchema({"type": "integer", "minimum": 1, "maximum": MAX_QUANTITY}),
]
Id = Annotated[int, Field(ge=1, le=ID_MAX)]


class ErrorOut(Schema):
    """Every error: ``detail`` is a message, or a list of ``{loc, msg, type}`` entries."""

    detail: Any


# -- identity -------------------------------------------------------------------------------


class CompanyOut(Schema):
    name: str
    country: str
    currency: str
    vat_id: str


class TokenOut(Schema):
    name: str
    prefix: str


class MeOut(Schema):
    """Who the token acts as."""

    email: str
    name: str
    role: str
    company: CompanyOut
    token: TokenOut


# -- catalog --------------------------------------------------------------------------------


class TierOut(Schema):
    """A quantity tier: the unit price from ``min_quantity`` units on."""

    min_quantity: int
    unit_net: Decimal


class ProductOut(Schema):
    """A product in a listing, priced for the token's company."""

    sku: str
    name: str
    short_description: str
    unit: str = Field(description="Products are sold in whole units of this.")
    currency: str
    unit_net: Decimal | None = Field(
        description="The net price of one unit for the company; null: price on request."
    )
    available: int = Field(description="Units available now (on hand, not reserved).")
    in_stock: bool


class VariantOut(Schema):
    sku: str
    options: dict[str, Any]
    unit_net: Decimal | None
    available: int


class ProductDetailOut(ProductOut):
    """A product with its description, tiers, availability and variants."""

    description_html: str
    brand: str | None
    weight_kg: Decimal | None
    lead_time_days: int = Field(description="Days until delivery (from stock, or to restock).")
    tiers: list[TierOut]
    variants: list[VariantOut]


class ProductPage(Schema):
    count: int
    page: int
    page_size: int
    items: list[ProductOut]


# -- cart -----------------------------------------------------------------------------------


class CartLineOut(Schema):
    id: int
    sku: str
    name: str
    quantity: int
    unit_net: Decimal | None
    line_net: Decimal | None
    available: int
    short: bool = Field(description="More ordered than available now.")


class CartOut(Schema):
    """The user's cart (the same cart the web shop shows them)."""

    id: str | None
    currency: str
    lines: list[CartLineOut]
    net_total: Decimal
    price_missing: bool = Field(description="A line has no price (it cannot be ordered).")


class CartLineIn(Schema):
    sku: SkuText
    quantity: Quantity


class CartAddIn(Schema):
    """Lines to add (summed with lines of the same SKU): all of them, or none."""

    lines: Annotated[list[CartLineIn], Field(min_length=1, max_length=MAX_LINES)]


class QuantityIn(Schema):
    quantity: Quantity


class ShippingOptionOut(Schema):
    code: str
    label: str
    net: Decimal
    currency: str
    description: str
    available: bool
    reason: str


class PaymentOptionOut(Schema):
    code: str
    label: str
    description: str
    available: bool
    reason: str


# -- addresses and orders -------------------------------------------------------------------


class AddressOut(Schema):
    id: int
    kind: str
    label: str
    company_name: str
    name: str
    street: str
    street2: str
    postal_code: str
    city: str
    country: str
    is_default: bool


class PlaceOrderIn(Schema):
    """Place the cart's order. Omitted addresses: the company's default of each kind."""

    shipping_method: MethodCode
    payment_method: MethodCode
    billing_address_id: Id | None = None
    shipping_address_id: Id | None = None
    po_number: PoNumber = ""
    requested_delivery_date: datetime.date | None = None
    note: NoteText = ""
    terms_accepted: bool


class OrderLineOut(Schema):
    position: int
    sku: str
    name: str
    quantity: int
    unit_net: Decimal
    line_net: Decimal
    shipped_quantity: int
    returned_quantity: int


class ShipmentLineOut(Schema):
    sku: str
    quantity: int


class ShipmentOut(Schema):
    carrier: str
    tracking_number: str
    tracking_url: str
    shipped_at: datetime.datetime
    lines: list[ShipmentLineOut]


class DocumentOut(Schema):
    kind: str
    number: str
    issued_at: datetime.datetime
    due_date: datetime.date | None
    currency: str
    net_total: Decimal
    tax_total: Decimal
    gross_total: Decimal


class OrderSummaryOut(Schema):
    number: str
    state: str
    channel: str
    created_at: datetime.datetime
    currency: str
    net_total: Decimal
    gross_total: Decimal
    po_number: str


class OrderOut(OrderSummaryOut):
    """An order with its lines, totals, shipments and documents."""

    placed_by: str | None
    tax_total: Decimal
    shipping_net: Decimal
    vat_rate: Decimal
    tax_country: str
    reverse_charge: bool
    shipping_method: str
    payment_method: str
    payment_reference: str
    requested_delivery_date: datetime.date | None
    note: str
    billing_address: dict[str, Any]
    shipping_address: dict[str, Any]
    lines: list[OrderLineOut]
    shipments: list[ShipmentOut]
    documents: list[DocumentOut]


class OrderPage(Schema):
    count: int
    page: int
    page_size: int
    items: list[OrderSummaryOut]
