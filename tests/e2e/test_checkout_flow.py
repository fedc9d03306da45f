"""End to end, the buyer's checkout in Chromium: log in, quick order two SKUs, the cart,
the checkout (addresses, shipping, payment, PO number, terms; refused without the terms),
place the order — and land on the order's page, with exactly one order placed, also when the
same form is sent again.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from magpie_checkout.models import Order

# The transactional database is flushed after each test: restore Wagtail's root page and
# locale (written by migrations) for the next one.
pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def shop():
    """The checkout tests' shop (``tests/checkout/conftest.py``) on a fresh default site."""
    from magpie.testing.factories import create_site
    from tests.checkout.conftest import build_shop

    return build_shop(create_site())


def test_buyer_quick_orders_two_skus_and_checks_out(browser_page, shop):
    ch = shop.ch
    page = browser_page

    page.goto("/shop/login/")
    page.locator('input[name="username"]').fill(ch.buyer.username)
    page.locator('input[name="password"]').fill("pw")
    page.locator('form.shop-form button[type="submit"]').click()
    page.wait_for_url(re.compile(r"/shop/account/$"))

    page.goto("/shop/quick-order/")
    page.locator("#sku-0").fill("BOLT")
    page.locator("#quantity-0").fill("4")
    page.locator("#sku-1").fill("motor")  # any case
    page.locator("#quantity-1").fill("1")
    page.locator('form.quick-order button[type="submit"]:not([name="more"])').click()
    page.wait_for_url(re.compile(r"/shop/cart/$"))
    cart = page.locator("table.cart-table")
    expect(cart).to_contain_text("BOLT")
    expect(cart).to_contain_text("MOTOR")

    page.locator('.shop-actions a[href="/shop/checkout/"]').click()
    page.wait_for_url(re.compile(r"/shop/checkout/$"))
    expect(page.locator("table.checkout-lines")).to_contain_text("MOTOR")
    page.locator(f"#billing-{ch.billing.pk}").check()
    page.locator(f"#shipping-{ch.shipping.pk}").check()
    page.locator("#ship-weight").check()  # 4 × 0.5 kg + 12 kg = 14 kg: 19.00
    page.locator("#pay-prepayment").check()
    expect(page.locator("#pay-invoice")).to_be_disabled()  # no payment terms
    page.locator('input[name="po_number"]').fill("PO-E2E-1")
    # Without the terms the order is refused, with the error next to the checkbox.
    page.locator('button[name="place"]').click()
    expect(page.locator("#id_terms_accepted")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#id_terms_accepted_error")).to_be_visible()
    assert not Order.objects.exists()
    # The choices survived the refusal; accept the terms and place.
    expect(page.locator("#ship-weight")).to_be_checked()
    expect(page.locator('input[name="po_number"]')).to_have_value("PO-E2E-1")
    page.locator("#id_terms_accepted").check()
    form = page.evaluate(
        "() => Object.fromEntries(new FormData(document.querySelector('form.checkout-form')))"
    )
    page.locator('button[name="place"]').click()
    page.wait_for_url(re.compile(r"/shop/account/orders/\d{4}-\d{6}/$"))
    order = Order.objects.get()  # exactly one order
    expect(page.locator("[data-order-number]")).to_have_text(order.number)
    expect(page.locator(".shop-messages")).to_contain_text(order.number)
    assert (order.company, order.placed_by) == (ch.company, ch.buyer)
    assert (order.shipping_method, order.payment_method, order.po_number) == (
        "weight",
        "prepayment",
        "PO-E2E-1",
    )
    assert sorted(order.lines.values_list("sku", "quantity")) == [("BOLT", 4), ("MOTOR", 1)]
    expect(page.locator("[data-payment-reference]")).to_contain_text("RF")

    # The same form sent again with the browser's cookies (a retry, a second click that got
    # through): the same order, not a second one.
    again = page.request.post("/shop/checkout/", form={**form, "place": "1"}, max_redirects=0)
    assert again.status == 302
    assert again.headers["location"] == f"/shop/account/orders/{order.number}/"
    assert Order.objects.count() == 1
