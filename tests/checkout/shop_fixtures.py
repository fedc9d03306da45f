"""Helpers of the account, cart, quick-order, upload, list and isolation tests.

They build on ``tests/checkout/conftest.py``'s ``shop`` (a catalog and the companies
``shop.ch`` and ``shop.de`` with a user per role). Orders are created here as rows
(placement is tested elsewhere).
"""

from __future__ import annotations

import io
import itertools
from decimal import Decimal
from typing import Any

from django.test import Client

_numbers = itertools.count(1)


def visitor(**kwargs: Any) -> Client:
    """A test client of a visitor whose browser asks for English pages."""
    kwargs.setdefault("HTTP_ACCEPT_LANGUAGE", "en")
    return Client(**kwargs)


def client_for(user: Any, **kwargs: Any) -> Client:
    """A test client (English pages) logged in as ``user``."""
    client = visitor(**kwargs)
    client.force_login(user)
    return client


def make_order(account: Any, lines: list[tuple[Any, int]], **fields: Any) -> Any:
    """An order of ``account.company`` with ``(product, quantity)`` lines, written directly."""
    from magpie_checkout.models import Order, OrderLine

    company = account.company
    from wagtail.models import Site

    number = fields.pop("number", f"2026-{next(_numbers):06d}")
    net = Decimal("0")
    order = Order.objects.create(
        site=Site.objects.get(is_default_site=True),
        number=number,
        company=company,
        placed_by=fields.pop("placed_by", account.buyer),
        currency=company.currency,
        net_total=Decimal("0"),
        tax_total=Decimal("0"),
        gross_total=Decimal("0"),
        tax_country=company.country or "CH",
        vat_rate=Decimal("8.1"),
        idempotency_key=f"test-{number}",
        **fields,
    )
    for position, (product, quantity) in enumerate(lines, start=1):
        unit = Decimal("10.00")
        OrderLine.objects.create(
            order=order,
            position=position,
            product=product,
            sku=product.sku,
            name=product.name_de,
            quantity=quantity,
            unit_net=unit,
            line_net=unit * quantity,
        )
        net += unit * quantity
    order.net_total, order.gross_total = net, net * Decimal("1.081")
    order.save(update_fields=["net_total", "gross_total"])
    return order


def csv_file(text: str, name: str = "order.csv", encoding: str = "utf-8") -> Any:
    """An uploaded CSV file."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, text.encode(encoding), content_type="text/csv")


def xlsx_file(rows: list[list[Any]], name: str = "order.xlsx") -> Any:
    """An uploaded XLSX workbook with ``rows`` on its first sheet."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(
        name,
        buffer.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


def cart_lines(user: Any = None, cart: Any = None) -> dict[str, int]:
    """``{sku: quantity}`` of a user's cart (or the given cart)."""
    from magpie_checkout.models import Cart

    if cart is None:
        cart = Cart.objects.filter(user=user).first()
    if cart is None:
        return {}
    return {
        (line.variant.sku if line.variant_id else line.product.sku): line.quantity
        for line in cart.lines.select_related("product", "variant")
    }
