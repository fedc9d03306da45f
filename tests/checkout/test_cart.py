"""The cart: visitors (signed cookie) and buyers (by user), adding from product pages,
quantities, merging at login, the header count and the ``cart_add`` touchpoint."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from magpie_checkout import cart as carts
from magpie_checkout.models import Cart, CartLine
from tests.catalog.conftest import catalog_media, catalog_page  # noqa: F401 - fixtures
from tests.checkout.shop_fixtures import cart_lines, client_for, visitor

pytestmark = pytest.mark.django_db

ORIGIN = {"HTTP_ORIGIN": "http://testserver"}


def add(client: Client, sku: str, quantity: Any = 1, **extra: Any) -> Any:
    return client.post("/shop/cart/add/", {"sku": sku, "quantity": quantity, **extra}, **ORIGIN)


def test_a_visitor_adds_to_the_cart_and_sees_prices(shop: Any) -> None:
    client = visitor()
    response = add(client, "BOLT", 4)
    assert response.status_code == 302 and response["Location"] == "/shop/cart/"
    assert carts.COOKIE in response.cookies
    # The cart lives in a signed cookie, not a session: catalog pages stay cacheable.
    assert "sessionid" not in response.cookies

    page = client.get("/shop/cart/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "BOLT" in html and "4 × BOLT added to the cart." in html
    assert "CHF&nbsp;2.50" in html and "CHF&nbsp;10.00" in html
    assert "no-store" in page["Cache-Control"]
    cart = Cart.objects.get()
    assert cart.user is None and cart.currency == "CHF"
    assert cart_lines(cart=cart) == {"BOLT": 4}

    add(client, "BOLT", 2)
    assert cart_lines(cart=cart) == {"BOLT": 6}, "the same product is summed into one line"


def test_another_visitor_never_sees_the_cart(shop: Any) -> None:
    first = visitor()
    add(first, "MOTOR", 1)
    second = visitor()
    page = second.get("/shop/cart/")
    assert "MOTOR" not in page.content.decode()
    assert "Your cart is empty." in page.content.decode()
    # A forged cookie value is not a cart.
    second.cookies[carts.COOKIE] = str(Cart.objects.get().pk)
    assert "MOTOR" not in second.get("/shop/cart/").content.decode()


def test_a_cross_site_add_is_refused(shop: Any) -> None:
    client = visitor()
    response = client.post(
        "/shop/cart/add/", {"sku": "BOLT", "quantity": 1}, HTTP_ORIGIN="https://evil.example"
    )
    assert response.status_code == 403
    assert not Cart.objects.exists()


@pytest.mark.parametrize(
    "quantity, message",
    [
        ("0", "The quantity must be at least 1."),
        ("-3", "whole number of at least 1"),
        ("1.5", "whole number of at least 1"),
        ("abc", "The quantity must be a whole number."),
        ("", "Enter a quantity."),
        ("100000", "At most 99999 units per line"),
    ],
)
def test_bad_quantities_get_a_clear_message_and_add_nothing(
    shop: Any, quantity: str, message: str
) -> None:
    client = visitor()
    response = add(client, "BOLT", quantity)
    assert response.status_code == 302
    page = client.get("/shop/cart/").content.decode()
    assert message in page
    assert not CartLine.objects.exists()
    assert not Cart.objects.exists(), "a refused add creates no cart"


def test_inactive_products_and_foreign_variants_are_refused(shop: Any) -> None:
    from magpie_catalog.models import Variant

    motor = shop.products["MOTOR"]
    motor.status = "discontinued"
    motor.save()
    client = visitor()
    add(client, "MOTOR", 1)
    assert "This product cannot be ordered." in client.get("/shop/cart/").content.decode()
    Variant.objects.create(product=shop.products["CABLE"], sku="CABLE-5M")
    add(client, "BOLT", 1, variant="CABLE-5M")
    assert not CartLine.objects.exists()
    with pytest.raises(carts.CartError, match="does not belong"):
        carts.check_product(shop.products["BOLT"], Variant.objects.get())


def test_a_variant_is_its_own_line(shop: Any) -> None:
    from magpie_catalog.models import Variant

    Variant.objects.create(product=shop.products["CABLE"], sku="CABLE-5M")
    Variant.objects.create(product=shop.products["CABLE"], sku="CABLE-10M")
    client = visitor()
    add(client, "CABLE", 1, variant="CABLE-5M")
    add(client, "CABLE", 2, variant="CABLE-10M")
    add(client, "CABLE", 3, variant="CABLE-5M")
    assert cart_lines(cart=Cart.objects.get()) == {"CABLE-5M": 4, "CABLE-10M": 2}


def test_a_buyer_has_one_cart_in_the_company_currency(shop: Any) -> None:
    client = client_for(shop.de.buyer)
    add(client, "MOTOR", 2)
    add(client, "BOLT", 10)
    cart = Cart.objects.get(user=shop.de.buyer)
    assert cart.currency == "EUR" and cart.company == shop.de.company
    html = client.get("/shop/cart/").content.decode()
    assert "EUR&nbsp;430.00" in html and "EUR&nbsp;882.00" in html
    # No visitor cart and no cookie for a logged-in buyer.
    assert Cart.objects.count() == 1


def test_quantities_are_changed_and_lines_removed(shop: Any) -> None:
    client = client_for(shop.ch.buyer)
    add(client, "BOLT", 1)
    add(client, "CABLE", 1)
    cart = Cart.objects.get(user=shop.ch.buyer)
    bolt = cart.lines.get(product__sku="BOLT")
    cable = cart.lines.get(product__sku="CABLE")
    client.post("/shop/cart/update/", {f"quantity-{bolt.pk}": "7", f"quantity-{cable.pk}": "2"})
    assert cart_lines(cart=cart) == {"BOLT": 7, "CABLE": 2}
    # One bad quantity: nothing changes.
    client.post("/shop/cart/update/", {f"quantity-{bolt.pk}": "9", f"quantity-{cable.pk}": "0"})
    assert cart_lines(cart=cart) == {"BOLT": 7, "CABLE": 2}
    client.post("/shop/cart/update/", {"remove": cable.pk})
    assert cart_lines(cart=cart) == {"BOLT": 7}


def test_a_line_of_another_cart_cannot_be_changed(shop: Any) -> None:
    other = client_for(shop.de.buyer)
    add(other, "MOTOR", 1)
    foreign = CartLine.objects.get()
    client = client_for(shop.ch.buyer)
    add(client, "BOLT", 1)
    client.post("/shop/cart/update/", {"remove": foreign.pk})
    client.post("/shop/cart/update/", {f"quantity-{foreign.pk}": "50"})
    foreign.refresh_from_db()
    assert foreign.quantity == 1


def test_the_visitor_cart_merges_into_the_user_cart_at_login(shop: Any) -> None:
    user = shop.ch.buyer
    client = client_for(user)
    add(client, "BOLT", 2)
    add(client, "CABLE", 1)
    client.logout()

    add(client, "BOLT", 3)
    add(client, "MOTOR", 1)
    visitor_cart = Cart.objects.get(user__isnull=True)
    response = client.post("/shop/login/", {"username": user.username, "password": "pw"})
    assert response.status_code == 302
    assert cart_lines(user) == {"BOLT": 5, "CABLE": 1, "MOTOR": 1}
    assert not Cart.objects.filter(pk=visitor_cart.pk).exists()
    assert Cart.objects.get(user=user).currency == "CHF"


def test_the_header_count_is_never_cached(shop: Any) -> None:
    client = visitor()
    assert client.get("/shop/cart/count.json").json() == {"count": 0}
    add(client, "BOLT", 1)
    add(client, "CABLE", 1)
    response = client.get("/shop/cart/count.json")
    assert response.json() == {"count": 2}
    assert "no-store" in response["Cache-Control"]


def test_the_cart_add_touchpoint_carries_the_net_value(shop: Any) -> None:
    from magpie.journey.consent import ACCEPTED, CONSENT_COOKIE
    from magpie.journey.models import Touchpoint

    client = visitor()
    client.cookies[CONSENT_COOKIE] = ACCEPTED
    add(client, "MOTOR", 2)
    touchpoint = Touchpoint.objects.get(type="cart_add")
    assert touchpoint.value == Decimal("960.00")
    assert touchpoint.currency == "CHF"


def test_a_failing_touchpoint_never_fails_adding(shop: Any, monkeypatch: Any) -> None:
    import magpie.journey.recording as recording

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("journey down")

    monkeypatch.setattr(recording, "record", broken)
    client = visitor()
    assert add(client, "BOLT", 1).status_code == 302
    assert cart_lines(cart=Cart.objects.get()) == {"BOLT": 1}


def test_product_pages_get_an_add_to_cart_form_without_a_token(shop: Any) -> None:
    from django.test import RequestFactory

    from magpie_checkout.slots import render

    request = RequestFactory().get("/de/katalog/p/BOLT/")
    html = render("product_actions", request, {"product": shop.products["BOLT"]})
    assert 'id="product-actions-form"' in html and 'action="/shop/cart/add/"' in html
    assert 'value="BOLT"' in html and "csrfmiddlewaretoken" not in html
    inactive = shop.products["MOTOR"]
    inactive.status = "draft"
    assert render("product_actions", request, {"product": inactive}) is None
    assert "data-cart-count" in render("header_actions", request, {})


@pytest.mark.usefixtures("catalog_page")
def test_the_product_page_form_adds_to_the_cart_and_the_page_stays_cached(settings: Any) -> None:
    from tests.catalog.conftest import make_price_list, make_product, set_price

    settings.MAGPIE_PAGE_CACHE_SECONDS = 600
    product = make_product("PUMP-7", "Pumpe 7")
    set_price(make_price_list(), product, "99.00")
    client = visitor()
    first = client.get("/de/katalog/p/PUMP-7/")
    html = first.content.decode()
    assert 'id="product-actions-form"' in html and 'name="sku" value="PUMP-7"' in html
    assert "csrfmiddlewaretoken" not in html
    assert 'data-cart-count="/shop/cart/count.json"' in html
    assert first["X-Magpie-Cache"] == "miss"
    added = client.post(
        "/shop/cart/add/",
        {"sku": "PUMP-7", "quantity": "2"},
        HTTP_REFERER="http://testserver/de/katalog/p/PUMP-7/",
        follow=True,  # the cart page shows (and so clears) the message
    )
    assert added.redirect_chain == [("/shop/cart/", 302)]
    assert cart_lines(cart=Cart.objects.get()) == {"PUMP-7": 2}
    # A browser drops the emptied messages cookie (the test client keeps it, empty).
    for name in [name for name, morsel in client.cookies.items() if not morsel.value]:
        del client.cookies[name]
    assert carts.COOKIE in client.cookies and "sessionid" not in client.cookies
    # A visitor with a cart still gets the shared cached page; the count comes by script.
    assert client.get("/de/katalog/p/PUMP-7/")["X-Magpie-Cache"] == "hit"
    assert client.get("/shop/cart/count.json").json() == {"count": 1}


def test_the_cart_shows_when_more_is_ordered_than_available(shop: Any) -> None:
    client = client_for(shop.ch.buyer)
    add(client, "MOTOR", 12)
    add(client, "BOLT", 5)
    html = client.get("/shop/cart/").content.decode()
    assert "Only 10 available now; the rest is delivered later." in html
    assert html.count("In stock") == 1


def test_the_cart_page_prices_every_line_in_the_same_few_queries(shop: Any) -> None:
    """A buyer with a long cart: the page's queries do not grow with its lines."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from magpie_catalog.models import PriceEntry, Product, StockLevel
    from tests.checkout.conftest import make_cart

    client = client_for(shop.ch.buyer)
    cart = make_cart(shop.site, shop.ch.buyer, shop.ch.company, [(shop.products["BOLT"], 2)])
    client.get("/shop/cart/")  # warm: sessions, site, settings

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/shop/cart/").status_code == 200
        return len(captured.captured_queries)

    few = queries()
    for n in range(20):
        product = Product.objects.create(sku=f"EXTRA-{n}", name_de=f"Teil {n}", status="active")
        StockLevel.objects.create(product=product, warehouse=shop.warehouse, on_hand=5)
        PriceEntry.objects.create(price_list=shop.lists["CHF"], product=product, amount=1)
        CartLine.objects.create(cart=cart, product=product, quantity=1)
    html = client.get("/shop/cart/").content.decode()
    assert "EXTRA-19" in html and "2.50" in html
    assert queries() == few
