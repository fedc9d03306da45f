"""Price resolution: company > group > everyone, priority, tiers, validity, currency."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from magpie.people.models import Company, CustomerGroup
from magpie.pricing import PriceError, get_price, get_prices
from magpie_catalog.models import PriceEntry, PriceList, Product, Variant

pytestmark = pytest.mark.django_db


@pytest.fixture
def product():
    return Product.objects.create(sku="GM-075", name_de="Getriebemotor 0,75 kW", status="active")


@pytest.fixture
def resellers():
    return CustomerGroup.objects.create(code="resellers", name="Händler")


@pytest.fixture
def company(resellers):
    company = Company.objects.create(name="Muster AG", country="CH", currency="CHF")
    company.groups.add(resellers)
    return company


def price_list(code, scope="everyone", currency="CHF", priority=0, **kwargs):
    return PriceList.objects.create(
        code=code, name=code, currency=currency, scope=scope, priority=priority, **kwargs
    )


def entry(price_list, product, amount, min_quantity=1, variant=None):
    return PriceEntry.objects.create(
        price_list=price_list,
        product=product,
        variant=variant,
        min_quantity=min_quantity,
        amount=Decimal(amount),
    )


def test_everyone_list_for_anonymous_visitors(product):
    entry(price_list("list-chf"), product, "480.00")
    entry(price_list("list-eur", currency="EUR"), product, "510.00")
    price = get_price(product)
    assert (price.amount, price.currency, price.includes_tax) == (Decimal("480.00"), "CHF", False)
    assert get_price(product, currency="EUR").amount == Decimal("510.00")
    assert price.price_list == "list-chf"


def test_company_beats_group_beats_everyone(product, company, resellers):
    entry(price_list("list"), product, "480")
    group_list = price_list("resellers", scope="group", customer_group=resellers)
    entry(group_list, product, "430")
    assert get_price(product, company=company).amount == Decimal("430")
    company_list = price_list("muster", scope="company", company=company, priority=-5)
    entry(company_list, product, "400")
    assert get_price(product, company=company).amount == Decimal("400")
    other = Company.objects.create(name="Andere GmbH", currency="CHF")
    assert get_price(product, company=other).amount == Decimal("480")  # sees neither


def test_priority_decides_within_a_scope_and_empty_lists_are_skipped(product):
    entry(price_list("standard", priority=0), product, "480")
    entry(price_list("promo", priority=10), product, "450")
    price_list("empty", priority=99)  # holds no entry for the product
    assert get_price(product).price_list == "promo"


def test_quantity_tiers(product, company, resellers):
    tiers = price_list("resellers", scope="group", customer_group=resellers)
    for min_quantity, amount in ((1, "430"), (10, "410"), (50, "390")):
        entry(tiers, product, amount, min_quantity)
    amounts = {q: get_price(product, q, company=company).amount for q in (1, 9, 10, 49, 50, 500)}
    assert amounts == {
        1: Decimal("430"),
        9: Decimal("430"),
        10: Decimal("410"),
        49: Decimal("410"),
        50: Decimal("390"),
        500: Decimal("390"),
    }
    assert get_price(product, 50, company=company).min_quantity == 50
    with pytest.raises(ValueError):
        get_price(product, 0)


def test_validity_dates_and_inactive_lists(product):
    now = timezone.now()
    entry(price_list("list"), product, "480")
    entry(
        price_list(
            "spring-promo",
            priority=10,
            valid_from=now - datetime.timedelta(days=1),
            valid_until=now + datetime.timedelta(days=1),
        ),
        product,
        "440",
    )
    assert get_price(product).amount == Decimal("440")
    assert get_price(product, at=now + datetime.timedelta(days=2)).amount == Decimal("480")
    assert get_price(product, at=now - datetime.timedelta(days=2)).amount == Decimal("480")
    PriceList.objects.filter(code="spring-promo").update(active=False)
    assert get_price(product).amount == Decimal("480")


def test_variant_prices_win_over_product_prices(product):
    variant = Variant.objects.create(product=product, sku="GM-075-B5", options={"mounting": "B5"})
    listing = price_list("list")
    entry(listing, product, "480")
    entry(listing, product, "495", variant=variant)
    assert get_price(product, variant=variant).amount == Decimal("495")
    assert get_price(product).amount == Decimal("480")


def test_unknown_currency_is_refused(product):
    with pytest.raises(PriceError, match="Unknown currency 'USD'"):
        get_price(product, currency="USD")


def test_no_price_list_means_no_price(product):
    assert get_price(product) is None


def test_database_refuses_inconsistent_price_data(product):
    with pytest.raises(IntegrityError), transaction.atomic():
        price_list("broken", scope="group")  # a group list without a group
    listing = price_list("list")
    entry(listing, product, "480")
    with pytest.raises(IntegrityError), transaction.atomic():
        entry(listing, product, "470")  # the same tier twice
    with pytest.raises(IntegrityError), transaction.atomic():
        entry(listing, product, "-1", min_quantity=5)


def test_another_plugin_can_override_the_price_lists(product, monkeypatch):
    from magpie.hookspecs import hookimpl
    from magpie.plugins import get_host
    from magpie.pricing import Price

    class ContractPrices:
        @hookimpl
        def resolve_price(self, product, variant, quantity, company, currency, at):
            return Price(Decimal("1.00"), currency, False, "contract")

    entry(price_list("list"), product, "480")
    host = get_host()
    host.pm.register(ContractPrices(), name="contract-prices")
    try:
        assert get_price(product).price_list == "contract"
    finally:
        host.pm.unregister(name="contract-prices")
    assert get_price(product).price_list == "list"


def test_get_prices_answers_a_cart_like_get_price_in_two_queries(
    product, company, resellers, django_assert_max_num_queries
):
    """A cart of several products, a variant and quantity tiers, priced at once."""
    variant = Variant.objects.create(product=product, sku="GM-075-B5", options={"mounting": "B5"})
    plain = Product.objects.create(sku="GM-110", name_de="Getriebemotor 1,1 kW", status="active")
    unpriced = Product.objects.create(sku="GM-150", name_de="Getriebemotor 1,5 kW")
    listing = price_list("list")
    entry(listing, product, "480")
    entry(listing, product, "495", variant=variant)
    entry(listing, plain, "610")
    tiers = price_list("resellers", scope="group", customer_group=resellers)
    entry(tiers, product, "430")
    entry(tiers, product, "410", min_quantity=10)
    items = [(product, None, 1), (product, None, 12), (product, variant, 3), (plain, None, 5)]
    items.append((unpriced, None, 1))
    with django_assert_max_num_queries(3):  # the site's disabled plugins, lists, entries
        prices = get_prices(items, company=company)
    expected = [get_price(p, q, variant=v, company=company) for p, v, q in items]
    assert prices == expected
    assert [p.amount if p else None for p in prices] == [
        Decimal("430"),
        Decimal("410"),
        Decimal("430"),  # the group's list wins; it has no entry of its own for the variant
        Decimal("610"),
        None,
    ]
    assert get_prices([]) == []
    with pytest.raises(ValueError):
        get_prices([(product, None, 0)])


def test_a_plugin_without_the_batch_hook_still_answers_first_in_get_prices(product):
    from magpie.hookspecs import hookimpl
    from magpie.plugins import get_host
    from magpie.pricing import Price

    class ContractPrices:  # only the single form, for one product
        @hookimpl
        def resolve_price(self, product, quantity, currency):
            if product.sku == "GM-075":
                return Price(Decimal("1.00"), currency, False, "contract")
            return None

    other = Product.objects.create(sku="GM-110", name_de="Getriebemotor 1,1 kW", status="active")
    listing = price_list("list")
    entry(listing, product, "480")
    entry(listing, other, "610")
    host = get_host()
    host.pm.register(ContractPrices(), name="contract-prices")
    try:
        prices = get_prices([(product, None, 1), (other, None, 1)])
        assert [p.price_list for p in prices] == ["contract", "list"]
    finally:
        host.pm.unregister(name="contract-prices")
    assert [p.price_list for p in get_prices([(product, None, 1)])] == ["list"]


def test_the_sql_price_rule_and_applicable_lists_agree(product, company, resellers):
    """``resolve_many`` (SQL, every order) and ``applicable_lists`` (ORM, the listings) apply
    the same rule: the first applicable list holding the product gives its price."""
    from magpie_catalog.prices import applicable_lists, resolve_many

    now = timezone.now()
    other = Product.objects.create(sku="GM-110", name_de="Getriebemotor 1,1 kW", status="active")
    entry(price_list("list", priority=5), product, "480")
    entry(price_list("list-low", priority=1), other, "600")
    entry(price_list("resellers", scope="group", customer_group=resellers), other, "550")
    entry(price_list("muster", scope="company", company=company, priority=-5), product, "400")
    entry(price_list("expired", priority=99, valid_until=now), other, "1")
    entry(price_list("eur", currency="EUR", priority=99), product, "2")
    for buyer in (None, company, Company.objects.create(name="Andere GmbH", currency="CHF")):
        lists = list(applicable_lists(buyer, "CHF", now))
        for item in (product, other):
            holding = [pl for pl in lists if pl.entries.filter(product=item).exists()]
            price = resolve_many([(item, None, 1)], buyer, "CHF", now)[0]
            assert price.price_list == holding[0].code, (buyer, item.sku)
