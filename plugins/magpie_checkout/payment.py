"""The checkout's own payment methods, and structured payment references.

* ``invoice`` — on account, for a company with :class:`~magpie_checkout.models.CompanyTerms`
  that allow it and a credit limit: its open orders (not completed, cancelled, rejected or
  returned; gross) plus this order must stay within the limit.
* ``prepayment`` — by bank transfer, with an ISO 11649 creditor reference
  (``RF`` + two check digits + the order number's digits, :func:`rf_reference`), which
  Swiss QR-bills (SCOR) and SEPA transfers both carry.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Sum
from django.utils.translation import gettext as _

#: Order states that no longer count against the credit limit.
CLOSED_STATES = ("completed", "cancelled", "rejected", "returned")


@dataclass(frozen=True)
class PaymentOption:
    """A way to pay; ``available`` with a ``reason`` when not."""

    code: str
    label: str
    available: bool = True
    reason: str = ""
    description: str = ""


# -- ISO 11649 creditor reference -----------------------------------------------------------


def _numeric(text: str) -> int:
    return int("".join(str(int(char, 36)) for char in text))


def rf_reference(body: str) -> str:
    """The creditor reference ``RFxx<body>`` for ``body`` (1–21 letters or digits)."""
    body = re.sub(r"[^0-9A-Za-z]", "", body).upper()
    if not 1 <= len(body) <= 21:
        raise ValueError("A creditor reference holds 1 to 21 letters or digits.")
    check = 98 - _numeric(body + "RF00") % 97
    return f"RF{check:02d}{body}"


def rf_valid(reference: str) -> bool:
    """Whether ``reference`` (spaces allowed) is a valid ISO 11649 creditor reference."""
    text = re.sub(r"\s", "", reference or "").upper()
    if not re.fullmatch(r"RF\d{2}[0-9A-Z]{1,21}", text):
        return False
    return _numeric(text[4:] + text[:4]) % 97 == 1


def format_rf(reference: str) -> str:
    """The reference in groups of four, as printed on a payment slip."""
    return " ".join(reference[i : i + 4] for i in range(0, len(reference), 4))


# -- credit limit ---------------------------------------------------------------------------


def open_orders_total(company: Any) -> Decimal:
    """The gross total of the company's open orders."""
    from magpie_checkout.models import Order

    total = (
        Order.objects.filter(company=company)
        .exclude(state__in=CLOSED_STATES)
        .aggregate(total=Sum("gross_total"))["total"]
    )
    return total or Decimal("0.00")


def invoice_option(company: Any, amount: Decimal, currency: str) -> PaymentOption:
    """Invoice payment for an order of ``amount`` (gross), within the credit limit."""
    from magpie_checkout.models import CompanyTerms

    label = _("Invoice (on account)")
    terms = CompanyTerms.objects.filter(company=company).first() if company else None
    if terms is None or not terms.invoice_allowed or terms.credit_limit is None:
        return PaymentOption(
            "invoice", label, False, _("Your company has no terms for payment on invoice.")
        )
    open_total = open_orders_total(company)
    if open_total + amount > terms.credit_limit:
        return PaymentOption(
            "invoice",
            label,
            False,
            _(
                "Over the credit limit: %(open)s %(currency)s open and %(amount)s %(currency)s "
                "for this order exceed %(limit)s %(currency)s."
            )
            % {
                "open": open_total,
                "amount": amount,
                "limit": terms.credit_limit,
                "currency": currency,
            },
        )
    return PaymentOption(
        "invoice",
        label,
        description=_("Payable within %(days)d days.") % {"days": terms.payment_terms_days},
    )


def first_party_methods(cart: Any, company: Any, wanted: str | None = None) -> list[PaymentOption]:
    """Invoice (within the credit limit) and prepayment by bank transfer; only the
    ``wanted`` one when given (no credit-limit queries for a prepaid order)."""
    from magpie_checkout.placement import cart_quote

    options = []
    if wanted in (None, "invoice"):
        quote = cart_quote(cart, company)
        options.append(invoice_option(company, quote.credit_amount, quote.currency))
    if wanted in (None, "prepayment"):
        options.append(
            PaymentOption(
                "prepayment",
                _("Prepayment by bank transfer"),
                description=_("We ship when your payment with the order's reference arrives."),
            )
        )
    return options
