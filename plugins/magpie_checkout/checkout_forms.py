"""The checkout page's form and what the page shows beside it.

* :class:`CheckoutForm` — what the buyer chooses and types: the two addresses (ids), the
  shipping and payment method (codes), PO number, requested delivery date, note, the terms
  checkbox and the form's idempotency key. It carries **no prices and no company**: the
  company is the logged-in user's, the prices are asked again by
  :func:`magpie_checkout.placement.place_order`, which is also the authority on the
  addresses (they must be the company's) and on the codes (they must be offered now).
* :func:`summary` — the cart priced for the company (:func:`placement.cart_quote`), the
  shipping and payment options of the hooks for the chosen address, and the totals (net,
  VAT with its rate or reverse charge, gross) for the chosen shipping method, computed as
  placement computes them.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from magpie_checkout import placement
from magpie_checkout.models import Address

#: Length of the random idempotency key of a displayed form (placement allows up to 64).
KEY_BYTES = 24


def new_key() -> str:
    """A fresh random idempotency key for one display of the checkout form."""
    return secrets.token_urlsafe(KEY_BYTES)


def _address_field(label: Any, message: Any) -> forms.IntegerField:
    """An address id; missing, malformed or non-positive all say ``message``."""
    return forms.IntegerField(
        label=label,
        min_value=1,
        error_messages={"required": message, "invalid": message, "min_value": message},
    )


class CheckoutForm(forms.Form):
    """The buyer's choices at checkout (rendered field by field by ``checkout.html``).

    Addresses and methods are only parsed here (an id, a code); whether they may be used is
    decided by :func:`~magpie_checkout.placement.place_order`, whose refusal the page shows.
    """

    billing_address = _address_field(
        gettext_lazy("Billing address"), gettext_lazy("Choose a billing address.")
    )
    shipping_address = _address_field(
        gettext_lazy("Shipping address"), gettext_lazy("Choose a shipping address.")
    )
    shipping_method = forms.CharField(
        label=gettext_lazy("Shipping"),
        max_length=40,
        error_messages={"required": gettext_lazy("Choose a shipping method.")},
    )
    payment_method = forms.CharField(
        label=gettext_lazy("Payment"),
        max_length=40,
        error_messages={"required": gettext_lazy("Choose a payment method.")},
    )
    po_number = forms.CharField(
        label=gettext_lazy("Your PO number"),
        max_length=placement.PO_MAX,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    requested_delivery_date = forms.DateField(
        label=gettext_lazy("Requested delivery date"),
        required=False,
        help_text=gettext_lazy("Optional; not in the past."),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    note = forms.CharField(
        label=gettext_lazy("Note for this order"),
        max_length=placement.NOTE_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    terms_accepted = forms.BooleanField(
        label=gettext_lazy("I accept the terms and conditions."),
        error_messages={"required": gettext_lazy("Please accept the terms and conditions.")},
    )
    idempotency_key = forms.CharField(
        max_length=placement.KEY_MAX,
        widget=forms.HiddenInput,
        error_messages={
            "required": gettext_lazy("The order form has expired; please reload the page."),
            "max_length": gettext_lazy("The order form has expired; please reload the page."),
        },
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["requested_delivery_date"].widget.attrs["min"] = today.isoformat()

    def clean_requested_delivery_date(self) -> Any:
        value = self.cleaned_data.get("requested_delivery_date")
        if value is not None and value < timezone.localdate():
            raise forms.ValidationError(_("The requested delivery date is in the past."))
        return value

    def clean_idempotency_key(self) -> str:
        return self.cleaned_data["idempotency_key"].strip()

    def place_kwargs(self) -> dict[str, Any]:
        """The cleaned values as :func:`~magpie_checkout.placement.place_order` takes them."""
        data = self.cleaned_data
        return {
            "billing_address": data["billing_address"],
            "shipping_address": data["shipping_address"],
            "shipping_method": data["shipping_method"],
            "payment_method": data["payment_method"],
            "po_number": data.get("po_number") or "",
            "requested_delivery_date": data.get("requested_delivery_date"),
            "note": data.get("note") or "",
            "terms_accepted": bool(data.get("terms_accepted")),
            "idempotency_key": data["idempotency_key"],
        }


class DecisionForm(forms.Form):
    """An approver's decision on an order: the optional reason of a rejection."""

    reason = forms.CharField(
        label=gettext_lazy("Reason (optional, shown to the requester)"),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean_reason(self) -> str:
        return (self.cleaned_data.get("reason") or "").strip()


# -- what the page shows --------------------------------------------------------------------


@dataclass
class Totals:
    """The order's totals for one shipping choice (``None`` amounts: not computable)."""

    goods_net: Decimal
    shipping_net: Decimal | None
    net: Decimal | None
    vat_rate: Decimal | None
    reverse_charge: bool
    tax: Decimal | None
    gross: Decimal | None
    problem: str = ""

    @property
    def vat_label(self) -> str:
        """``VAT 8.1 %``, ``VAT (reverse charge)`` or ``VAT``."""
        if self.reverse_charge:
            return _("VAT (reverse charge)")
        if self.vat_rate is None:
            return _("VAT")
        return _("VAT %(rate)s %%") % {"rate": rate_text(self.vat_rate)}


@dataclass
class Summary:
    """Everything the checkout page shows beside the form."""

    quote: Any
    billing_addresses: list[Address]
    shipping_addresses: list[Address]
    shipping_options: list[Any]
    payment_options: list[Any]
    selected: dict[str, Any]
    totals: Totals
    problems: list[str] = field(default_factory=list)

    @property
    def chosen_shipping(self) -> Any:
        """The shipping option the totals are computed for (or ``None``)."""
        return next(
            (o for o in self.shipping_options if o.code == self.selected.get("shipping_method")),
            None,
        )


def rate_text(rate: Decimal) -> str:
    """A VAT rate without trailing zeros (``8.1``, ``19``), localised."""
    from django.utils.formats import number_format

    rate = Decimal(rate)
    if rate == rate.to_integral_value():
        return number_format(rate.quantize(Decimal(1)))
    return number_format(rate.normalize())


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _default(addresses: list[Address], kind: str) -> Address | None:
    for address in addresses:
        if address.kind == kind and address.is_default:
            return address
    for address in addresses:
        if address.kind == kind:
            return address
    return addresses[0] if addresses else None


def _first_available(options: list[Any]) -> str:
    return next((o.code for o in options if getattr(o, "available", True)), "")


def summary(cart: Any, company: Any, request: Any, wanted: dict[str, Any]) -> Summary:
    """What the checkout page shows for ``cart`` of ``company``, with the buyer's choices
    ``wanted`` (posted values, or nothing on the first display: the defaults are then the
    company's default addresses and the first available methods)."""
    quote = placement.cart_quote(cart, company)
    addresses = list(Address.objects.filter(company=company).order_by("kind", "-is_default", "pk"))
    by_pk = {address.pk: address for address in addresses}
    billing_addresses = [a for a in addresses if a.kind == Address.Kind.BILLING] or addresses
    shipping_addresses = sorted(addresses, key=lambda a: (a.kind != Address.Kind.SHIPPING, a.pk))
    billing = by_pk.get(_int(wanted.get("billing_address"))) or _default(
        addresses, Address.Kind.BILLING
    )
    ship_to = by_pk.get(_int(wanted.get("shipping_address"))) or _default(
        addresses, Address.Kind.SHIPPING
    )
    problems = list(quote.errors)
    shipping = (
        placement.shipping_options(cart, ship_to.as_dict(), company, request) if ship_to else []
    )
    codes = {o.code for o in shipping if getattr(o, "available", True)}
    shipping_code = wanted.get("shipping_method") or ""
    if shipping_code not in codes:
        shipping_code = _first_available(shipping)
    chosen = next((o for o in shipping if o.code == shipping_code), None)
    totals = _totals(quote, chosen, ship_to, company, request)
    if totals.problem:
        problems.append(totals.problem)
    quote.gross = totals.gross  # the credit-limit check counts what this order would cost
    payment = placement.payment_options(cart, company, request)
    payment_code = wanted.get("payment_method") or ""
    if payment_code not in {o.code for o in payment if getattr(o, "available", True)}:
        payment_code = _first_available(payment)
    selected = {
        "billing_address": billing.pk if billing else None,
        "shipping_address": ship_to.pk if ship_to else None,
        "shipping_method": shipping_code,
        "payment_method": payment_code,
    }
    return Summary(
        quote=quote,
        billing_addresses=billing_addresses,
        shipping_addresses=shipping_addresses,
        shipping_options=shipping,
        payment_options=payment,
        selected=selected,
        totals=totals,
        problems=problems,
    )


def _totals(quote: Any, chosen: Any, ship_to: Address | None, company: Any, request: Any) -> Totals:
    """Net, VAT and gross as :func:`placement.place_order` computes them
    (:func:`placement.order_totals`)."""
    goods = quote.goods_net
    if chosen is None or ship_to is None:
        return Totals(goods, None, None, None, False, None, None)
    try:
        found = placement.order_totals(quote, chosen, ship_to.as_dict(), company, request)
    except placement.OrderError as error:
        return Totals(goods, None, None, None, False, None, None, " ".join(error.messages))
    rate, reverse = Decimal(found.tax.rate), bool(found.tax.reverse_charge)
    return Totals(goods, found.shipping_net, found.net, rate, reverse, found.tax_total, found.gross)
