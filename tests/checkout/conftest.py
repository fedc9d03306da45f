"""Fixtures of the checkout tests: a site, a small catalog with CHF and EUR prices and
stock, a Swiss and a German company with users in every role and addresses, and helpers to
fill a cart and place its order.

``shop`` holds it all: ``shop.products["BOLT"]`` (weight 0.5 kg, 100 units, 2.50 CHF /
2.20 EUR), ``MOTOR`` (12 kg, 10 units, 480 CHF / 430 EUR), ``CABLE`` (no weight, 50 units,
19.90 CHF / 18 EUR); ``shop.ch`` and ``shop.de`` are companies with ``buyer``,
``requester``, ``approver`` and ``admin`` users and ``billing``/``shipping`` addresses.
"""

from __future__ import annotations

import itertools
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest

_counter = itertools.count(1)


@pytest.fixture(autouse=True)
def language(settings: Any) -> Any:
    """The checkout tests read the plugin's English messages; the site's default language
    is German (``test_translations`` asks for German explicitly)."""
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def make_user(email: str, **fields: Any) -> Any:
    """A user with ``email`` (the username too)."""
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_user(
        username=email, email=email, password="pw", **fields
    )


def make_company(name: str, country: str, currency: str, vat_id: str = "", site: Any = None):
    """A company with a buyer, a requester, an approver and an admin, and two addresses."""
    from magpie.people.models import Company
    from magpie_checkout.models import Address, CompanyMember

    company = Company.objects.create(name=name, country=country, currency=currency, vat_id=vat_id)
    slug = name.lower().replace(" ", "")
    users = {}
    for role in ("buyer", "requester", "approver", "admin"):
        user = make_user(f"{role}@{slug}.example", first_name=role.title(), last_name=name)
        CompanyMember.objects.create(company=company, user=user, role=role)
        users[role] = user
    billing = Address.objects.create(
        company=company, kind="billing", company_name=name, street="Hauptstrasse 1",
        postal_code="3600", city="Thun", country=country, is_default=True,
    )  # fmt: skip
    shipping = Address.objects.create(
        company=company, kind="shipping", company_name=name, name="Wareneingang",
        street="Werkstrasse 9", postal_code="3602", city="Thun", country=country,
        is_default=True,
    )  # fmt: skip
    return SimpleNamespace(company=company, billing=billing, shipping=shipping, **users)


def build_shop(site: Any) -> SimpleNamespace:
    """The catalog and the two companies (see the module's docstring)."""
    from magpie_catalog.models import PriceEntry, PriceList, Product, StockLevel, Warehouse

    warehouse = Warehouse.objects.create(code="thun", name="Thun", lead_time_days=1)
    chf = PriceList.objects.create(code="public-chf", name="Public CHF", currency="CHF")
    eur = PriceList.objects.create(code="public-eur", name="Public EUR", currency="EUR")
    products = {}
    for sku, weight, stock, price_chf, price_eur in (
        ("BOLT", "0.5", 100, "2.50", "2.20"),
        ("MOTOR", "12", 10, "480.00", "430.00"),
        ("CABLE", None, 50, "19.90", "18.00"),
    ):
        product = Product.objects.create(
            sku=sku, name_de=f"{sku.title()} DE", name_en=f"{sku.title()} EN", status="active",
            weight_kg=Decimal(weight) if weight else None,
        )  # fmt: skip
        StockLevel.objects.create(product=product, warehouse=warehouse, on_hand=stock)
        PriceEntry.objects.create(price_list=chf, product=product, amount=Decimal(price_chf))
        PriceEntry.objects.create(price_list=eur, product=product, amount=Decimal(price_eur))
        products[sku] = product
    return SimpleNamespace(
        site=site,
        warehouse=warehouse,
        lists={"CHF": chf, "EUR": eur},
        products=products,
        ch=make_company("Alpenwerk AG", "CH", "CHF"),
        de=make_company("Schrauben GmbH", "DE", "EUR", vat_id="DE123456789"),
    )


@pytest.fixture
def shop(magpie_site: Any) -> SimpleNamespace:
    """The checkout's test shop on the default site."""
    return build_shop(magpie_site)


def make_cart(site: Any, user: Any, company: Any, lines: list[tuple[Any, int]]) -> Any:
    """The cart of ``user`` buying for ``company`` with ``(product, quantity)`` lines."""
    from magpie_checkout.models import Cart, CartLine

    cart, _created = Cart.objects.get_or_create(
        site=site, user=user, defaults={"company": company, "currency": company.currency}
    )
    for product, quantity in lines:
        CartLine.objects.create(cart=cart, product=product, quantity=quantity)
    return cart


def place(cart: Any, user: Any, account: SimpleNamespace, **overrides: Any) -> Any:
    """``place_order`` with sensible defaults: flat rate, prepayment, the account's
    addresses, terms accepted, a fresh idempotency key."""
    from magpie_checkout.placement import place_order

    values: dict[str, Any] = {
        "user": user,
        "shipping_method": "flat_rate",
        "payment_method": "prepayment",
        "billing_address": account.billing,
        "shipping_address": account.shipping,
        "terms_accepted": True,
        "idempotency_key": f"key-{next(_counter)}",
    }
    values.update(overrides)
    return place_order(cart, **values)


def on_hand(product: Any) -> tuple[int, int]:
    """``(on_hand, reserved)`` of the product's stock row."""
    from magpie_catalog.models import StockLevel

    row = StockLevel.objects.get(product=product)
    return row.on_hand, row.reserved
