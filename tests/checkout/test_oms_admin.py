"""Order management in the Wagtail admin: the order list and its filters, the detail page,
every action through its admin POST, PDFs, phone and upload orders, payment terms, and the
staff groups (Sales, Warehouse, Accounting) with what each may and may not do.

Orders are placed through :func:`place_order` (so they hold real stock reservations) and
changed only through the admin, as staff would.
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from django.utils import timezone

from magpie_checkout.models import (
    Cart,
    CompanyTerms,
    Document,
    Order,
    OrderEvent,
    Return,
    Shipment,
)
from tests.checkout.conftest import make_cart, on_hand, place
from tests.checkout.shop_fixtures import client_for, csv_file, xlsx_file

pytestmark = pytest.mark.django_db

ORDERS = "/admin/shop/orders/"


# -- helpers --------------------------------------------------------------------------------


def staff(group: str | None, email: str | None = None) -> Any:
    """A staff user in ``group`` (the group as ``migrate`` created it); without a group the
    user may only enter the admin."""
    user = get_user_model().objects.create_user(
        email or f"{(group or 'nobody').lower()}@staff.example",
        email or f"{(group or 'nobody').lower()}@staff.example",
        "pw",
        first_name=group or "Nobody",
        last_name="Staff",
    )
    if group:
        user.groups.add(Group.objects.get(name=group))
    else:
        user.user_permissions.add(Permission.objects.get(codename="access_admin"))
    return user


@pytest.fixture
def sales() -> Any:
    return client_for(staff("Sales"))


@pytest.fixture
def warehouse() -> Any:
    return client_for(staff("Warehouse"))


@pytest.fixture
def accounting() -> Any:
    return client_for(staff("Accounting"))


def placed(shop: Any, account: Any = None, lines: list[tuple[str, int]] | None = None, **kw: Any):
    """An order placed through ``place_order`` by the account's buyer."""
    account = account or shop.ch
    lines = lines or [("BOLT", 10), ("MOTOR", 2)]
    Cart.objects.filter(user=account.buyer).delete()
    cart = make_cart(
        shop.site,
        account.buyer,
        account.company,
        [(shop.products[sku], quantity) for sku, quantity in lines],
    )
    return place(cart, account.buyer, account, **kw)


def detail(order: Order) -> str:
    return f"{ORDERS}{order.pk}/"


def action(order: Order, name: str) -> str:
    return f"{ORDERS}{order.pk}/action/{name}/"


def html_of(response: Any) -> str:
    return response.content.decode()


def ship_data(order: Order, units: dict[str, int], **fields: str) -> dict[str, Any]:
    """The ship form's POST data: ``units`` by SKU (other lines 0)."""
    data: dict[str, Any] = {f"ship-{k}": v for k, v in fields.items()}
    for line in order.lines.all():
        data[f"ship-line-{line.pk}"] = units.get(line.sku, 0)
    return data


def return_data(order: Order, units: dict[str, int], reason: str, restock: bool) -> dict:
    data: dict[str, Any] = {"return-reason": reason}
    if restock:
        data["return-restock"] = "on"
    for line in order.lines.all():
        if line.shipped_quantity > line.returned_quantity:
            data[f"return-line-{line.pk}"] = units.get(line.sku, 0)
    return data


def state_of(order: Order) -> str:
    return Order.objects.get(pk=order.pk).state


# -- groups and permissions -----------------------------------------------------------------


def test_the_staff_groups_exist_after_migrate_with_their_permissions() -> None:
    def codenames(name: str) -> set[str]:
        return set(Group.objects.get(name=name).permissions.values_list("codename", flat=True))

    sales, warehouse, accounting = (
        codenames("Sales"),
        codenames("Warehouse"),
        codenames("Accounting"),
    )
    assert {
        "access_admin",
        "view_order",
        "add_order",
        "enter_order",
        "view_companymember",
        "view_companyregistration",
        "change_companyregistration",
    } <= sales
    assert not {"fulfil_order", "bill_order", "change_companyterms"} & sales
    assert {"access_admin", "view_order", "fulfil_order"} <= warehouse
    assert not {"bill_order", "enter_order", "change_companyterms"} & warehouse
    assert {"access_admin", "view_order", "bill_order", "view_companyterms"} <= accounting
    assert "change_companyterms" in accounting
    assert not {"fulfil_order", "enter_order"} & accounting


def test_running_the_group_setup_again_only_adds_permissions() -> None:
    from magpie_checkout.staff_groups import ensure_groups

    sales = Group.objects.get(name="Sales")
    extra = Permission.objects.get(codename="view_companyterms")
    sales.permissions.add(extra)
    sales.permissions.remove(Permission.objects.get(codename="enter_order"))
    ensure_groups()
    codenames = set(sales.permissions.values_list("codename", flat=True))
    assert "view_companyterms" in codenames, "a permission an administrator gave stays"
    assert "enter_order" in codenames, "a missing permission is added again"
    assert Group.objects.filter(name="Sales").count() == 1


def test_order_and_terms_permissions_are_offered_in_the_group_editor() -> None:
    admin = get_user_model().objects.create_superuser("root", "root@example.com", "pw")
    html = html_of(client_for(admin).get(reverse("wagtailusers_groups:add")))
    for codename in (
        "view_order",
        "enter_order",
        "fulfil_order",
        "bill_order",
        "view_companyterms",
    ):
        permission = Permission.objects.get(codename=codename)
        assert f'value="{permission.pk}"' in html, codename


# -- list -----------------------------------------------------------------------------------


def test_the_order_list_filters_and_searches(shop: Any, warehouse: Any) -> None:
    ch = placed(shop, po_number="PO-ALPEN-1")
    de = placed(shop, shop.de, [("CABLE", 1)], po_number="PO-SCHRAUBEN-9")
    Order.objects.filter(pk=de.pk).update(channel="phone", state="shipped")
    old = placed(shop, shop.ch, [("BOLT", 1)])
    Order.objects.filter(pk=old.pk).update(created_at=timezone.now() - datetime.timedelta(days=40))

    def numbers(query: str = "") -> set[str]:
        response = warehouse.get(ORDERS + query)
        assert response.status_code == 200
        found = re.findall(r"\d{4}-\d{6}", html_of(response))
        return set(found) & {ch.number, de.number, old.number}

    listing = html_of(warehouse.get(ORDERS))
    assert "Alpenwerk AG" in listing and "Schrauben GmbH" in listing
    assert f"CHF {ch.gross_total}" in listing and f"EUR {de.gross_total}" in listing
    assert "w-status" in listing and "Placed" in listing and "Shipped" in listing
    assert f'href="{detail(ch)}"' in listing, "the number links to the detail page"
    assert numbers() == {ch.number, de.number, old.number}
    assert numbers("?state=shipped") == {de.number}
    assert numbers("?state=placed&state=shipped") == {ch.number, de.number, old.number}
    assert numbers(f"?company={shop.ch.company.pk}") == {ch.number, old.number}
    assert numbers("?channel=phone") == {de.number}
    since = (timezone.localdate() - datetime.timedelta(days=7)).isoformat()
    assert numbers(f"?created_at_from={since}") == {ch.number, de.number}
    assert numbers(f"?created_at_to={since}") == {old.number}
    assert numbers("?q=PO-SCHRAUBEN") == {de.number}
    assert numbers(f"?q={ch.number}") == {ch.number}
    assert numbers("?q=alpenwerk") == {ch.number, old.number}


def test_enter_and_upload_buttons_are_for_sales_only(shop: Any, sales: Any, warehouse: Any):
    assert f"{ORDERS}enter/" in html_of(sales.get(ORDERS))
    assert f"{ORDERS}upload/" in html_of(sales.get(ORDERS))
    assert f"{ORDERS}enter/" not in html_of(warehouse.get(ORDERS))


# -- detail ---------------------------------------------------------------------------------


def test_the_detail_page_shows_the_order(shop: Any, warehouse: Any) -> None:
    order = placed(shop, po_number="PO-4711", note="Rampe 3 <b>bitte</b>")
    response = warehouse.get(detail(order))
    assert response.status_code == 200
    html = html_of(response)
    for fragment in (
        order.number,
        "Alpenwerk AG",
        "BOLT",
        "Motor DE",
        "PO-4711",
        "Rampe 3 &lt;b&gt;bitte&lt;/b&gt;",  # escaped
        "Werkstrasse 9",  # shipping address
        "Hauptstrasse 1",  # billing address
        f"CHF {order.gross_total}",
        f"CHF {order.net_total}",
        "Standard delivery",
        "Prepayment by bank transfer",
        order.payment_reference,
        "Buyer Alpenwerk AG",  # placed by
        'data-kind="placed"',  # the timeline's first entry
        "Not needed",  # approval
    ):
        assert fragment in html, fragment
    assert f'href="{ORDERS}?company={order.company_id}"' in html, "the company's orders"
    assert "/admin/customers/companies/" not in html, "no company link without the permission"
    assert 'data-action="confirm"' in html, "the Warehouse may confirm a placed order"
    assert 'data-action="invoice"' not in html


def test_the_detail_page_shows_approval_and_entry_by_staff(shop: Any, warehouse: Any) -> None:
    approver = shop.ch.approver
    order = placed(shop)
    Order.objects.filter(pk=order.pk).update(approved_by=approver, decided_at=timezone.now())
    html = html_of(warehouse.get(detail(order)))
    assert "Approved" in html and "Approver Alpenwerk AG" in html


def test_a_missing_order_is_404(warehouse: Any, shop: Any) -> None:
    assert warehouse.get(f"{ORDERS}999999/", follow=True).status_code == 404


# -- actions --------------------------------------------------------------------------------


def test_an_order_goes_from_placed_to_completed_through_the_admin(
    shop: Any, warehouse: Any, accounting: Any, django_capture_on_commit_callbacks: Any
) -> None:
    order = placed(shop)
    bolt = shop.products["BOLT"]
    assert on_hand(bolt) == (100, 10)

    with django_capture_on_commit_callbacks(execute=True):
        response = warehouse.post(action(order, "confirm"), follow=True)
    assert response.status_code == 200 and f"Order {order.number} is confirmed." in html_of(
        response
    )
    assert state_of(order) == "confirmed"

    with django_capture_on_commit_callbacks(execute=True):
        warehouse.post(action(order, "start_fulfilment"))
    assert state_of(order) == "in_fulfilment"

    # A partial shipment: 4 bolts with tracking.
    with django_capture_on_commit_callbacks(execute=True):
        response = warehouse.post(
            action(order, "ship"),
            ship_data(
                order,
                {"BOLT": 4},
                carrier="Post CH",
                tracking_number="99.00.123456",
                tracking_url="https://track.example/99.00.123456",
            ),
            follow=True,
        )
    assert "A shipment of 4 units" in html_of(response)
    assert state_of(order) == "partially_shipped"
    shipment = Shipment.objects.get(order=order)
    assert (shipment.carrier, shipment.tracking_number) == ("Post CH", "99.00.123456")
    assert on_hand(bolt) == (96, 6), "shipped units leave the warehouse"
    html = html_of(warehouse.get(detail(order)))
    assert 'href="https://track.example/99.00.123456"' in html
    # The ship form now offers the rest: 6 bolts and 2 motors open.
    assert 'name="ship-line-' in html and 'value="6"' in html

    with django_capture_on_commit_callbacks(execute=True):
        warehouse.post(action(order, "ship"), ship_data(order, {"BOLT": 6, "MOTOR": 2}))
    assert state_of(order) == "shipped"
    assert {line.sku: line.shipped_quantity for line in order.lines.all()} == {
        "BOLT": 10,
        "MOTOR": 2,
    }

    with django_capture_on_commit_callbacks(execute=True):
        response = accounting.post(action(order, "invoice"), follow=True)
    invoice = Document.objects.get(order=order, kind="invoice")
    assert f"Invoice {invoice.number}" in html_of(response)
    assert state_of(order) == "invoiced"
    pdf = accounting.get(f"{ORDERS}{order.pk}/documents/{invoice.pk}/pdf/")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF") and invoice.number in pdf["Content-Disposition"]
    # Every staff member who sees the order may download its documents.
    assert warehouse.get(f"{ORDERS}{order.pk}/documents/{invoice.pk}/pdf/").status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        accounting.post(action(order, "complete"))
    assert state_of(order) == "completed"

    events = list(OrderEvent.objects.filter(order=order).order_by("created_at", "pk"))
    assert events[0].kind == "placed"
    assert {e.to_state for e in events} >= {
        "confirmed",
        "in_fulfilment",
        "partially_shipped",
        "shipped",
        "invoiced",
        "completed",
    }
    html = html_of(warehouse.get(detail(order)))
    assert "Warehouse Staff" in html and "Accounting Staff" in html, "who did it"
    assert html.index('data-kind="placed"') < html.rindex("completed"), "oldest first"


def test_shipping_more_than_is_open_is_refused_and_changes_nothing(
    shop: Any, warehouse: Any
) -> None:
    order = placed(shop)
    warehouse.post(action(order, "confirm"))
    warehouse.post(action(order, "start_fulfilment"))
    response = warehouse.post(action(order, "ship"), ship_data(order, {"BOLT": 11}), follow=True)
    assert "Nothing was changed" in html_of(response)
    assert state_of(order) == "in_fulfilment"
    assert not Shipment.objects.exists()
    assert on_hand(shop.products["BOLT"]) == (100, 10)


def test_bad_form_input_is_shown_with_the_form_and_changes_nothing(
    shop: Any, warehouse: Any
) -> None:
    order = placed(shop)
    warehouse.post(action(order, "confirm"))
    warehouse.post(action(order, "start_fulfilment"))
    for units in ({"BOLT": -1}, {}, {"BOLT": "zwei"}):
        data = ship_data(order, {})
        data.update({f"ship-line-{line.pk}": units.get(line.sku, 0) for line in order.lines.all()})
        response = warehouse.post(action(order, "ship"), data)
        assert response.status_code == 400
        assert "Nothing was changed: correct the form below." in html_of(response)
    bad_link = ship_data(order, {"BOLT": 1}, tracking_url="javascript:alert(1)")
    assert warehouse.post(action(order, "ship"), bad_link).status_code == 400
    assert not Shipment.objects.exists() and state_of(order) == "in_fulfilment"


def test_an_action_the_state_does_not_allow_is_refused(shop: Any, accounting: Any) -> None:
    order = placed(shop)
    response = accounting.post(action(order, "invoice"), follow=True)
    assert "is not possible for order" in html_of(response)
    assert state_of(order) == "placed" and not Document.objects.exists()


def test_cancel_needs_a_reason_and_releases_the_stock(shop: Any, warehouse: Any) -> None:
    order = placed(shop)
    assert warehouse.post(action(order, "cancel"), {"cancel-reason": ""}).status_code == 400
    assert state_of(order) == "placed"
    response = warehouse.post(
        action(order, "cancel"), {"cancel-reason": "Customer called"}, follow=True
    )
    assert f"Order {order.number} is cancelled" in html_of(response)
    assert state_of(order) == "cancelled"
    assert on_hand(shop.products["BOLT"]) == (100, 0)
    assert "Customer called" in html_of(warehouse.get(detail(order)))


def test_a_return_with_restock_gets_a_credit_note(
    shop: Any, warehouse: Any, accounting: Any
) -> None:
    order = placed(shop)
    warehouse.post(action(order, "confirm"))
    warehouse.post(action(order, "start_fulfilment"))
    warehouse.post(action(order, "ship"), ship_data(order, {"BOLT": 10, "MOTOR": 2}))
    accounting.post(action(order, "invoice"))
    assert on_hand(shop.products["BOLT"]) == (90, 0)

    empty = accounting.post(action(order, "return"), return_data(order, {}, "Damaged", True))
    assert empty.status_code == 400 and not Return.objects.exists()

    response = accounting.post(
        action(order, "return"), return_data(order, {"BOLT": 3}, "Damaged", True), follow=True
    )
    assert "The return of order" in html_of(response)
    ret = Return.objects.get(order=order)
    assert ret.reason == "Damaged" and ret.restock
    assert ret.credit_note is not None and ret.credit_note.kind == "credit_note"
    assert {line.sku: line.returned_quantity for line in order.lines.all()}["BOLT"] == 3
    assert on_hand(shop.products["BOLT"]) == (93, 0), "restocked"
    html = html_of(accounting.get(detail(order)))
    assert ret.credit_note.number in html and "Damaged" in html


def test_staff_add_notes_to_the_timeline(shop: Any, warehouse: Any) -> None:
    order = placed(shop)
    response = warehouse.post(action(order, "note"), {"note-message": "Rampe 2 <heute>"})
    assert response.status_code == 302
    event = OrderEvent.objects.filter(order=order).exclude(kind="placed").get()
    assert event.message == "Rampe 2 <heute>" and event.user.first_name == "Warehouse"
    assert "Rampe 2 &lt;heute&gt;" in html_of(warehouse.get(detail(order)))
    assert warehouse.post(action(order, "note"), {"note-message": ""}).status_code == 400


# -- permissions ----------------------------------------------------------------------------


def test_the_warehouse_cannot_issue_invoices(shop: Any, warehouse: Any) -> None:
    order = placed(shop)
    warehouse.post(action(order, "confirm"))
    warehouse.post(action(order, "start_fulfilment"))
    warehouse.post(action(order, "ship"), ship_data(order, {"BOLT": 10, "MOTOR": 2}))
    html = html_of(warehouse.get(detail(order)))
    assert 'data-action="invoice"' not in html
    for name in ("invoice", "complete", "return"):
        assert warehouse.post(action(order, name)).status_code == 403
    assert state_of(order) == "shipped" and not Document.objects.exists()


def test_accounting_cannot_ship_or_confirm(shop: Any, accounting: Any) -> None:
    order = placed(shop)
    html = html_of(accounting.get(detail(order)))
    assert 'data-action="confirm"' not in html and 'data-action="ship"' not in html
    for name in ("confirm", "start_fulfilment", "cancel"):
        assert accounting.post(action(order, name), {"cancel-reason": "x"}).status_code == 403
    assert accounting.post(action(order, "ship"), ship_data(order, {"BOLT": 1})).status_code == 403
    assert state_of(order) == "placed" and not Shipment.objects.exists()


def test_sales_see_orders_but_cannot_fulfil_or_bill(shop: Any, sales: Any) -> None:
    order = placed(shop)
    assert sales.get(detail(order)).status_code == 200
    assert sales.post(action(order, "confirm")).status_code == 403
    assert sales.post(action(order, "invoice")).status_code == 403


def test_a_user_without_a_shop_group_gets_403_everywhere(shop: Any) -> None:
    order = placed(shop)
    nobody = client_for(staff(None))
    for url in (
        ORDERS,
        detail(order),
        f"{ORDERS}enter/",
        f"{ORDERS}upload/",
        f"{ORDERS}{order.pk}/documents/1/pdf/",
        "/admin/shop/payment-terms/",
        "/admin/shop/payment-terms/new/",
        "/admin/shop/choose-company/",
    ):
        assert nobody.get(url).status_code == 403, url
    for name in ("confirm", "ship", "invoice", "note", "cancel"):
        assert nobody.post(action(order, name)).status_code == 403, name
    assert nobody.post(f"{ORDERS}enter/", {"step": "place"}).status_code == 403
    assert state_of(order) == "placed" and not OrderEvent.objects.exclude(kind="placed").exists()
    # Without admin access at all: the login page.
    visitor = client_for(shop.ch.buyer)
    response = visitor.get(ORDERS)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_an_unknown_action_is_404(shop: Any, warehouse: Any) -> None:
    order = placed(shop)
    assert warehouse.post(action(order, "delete"), follow=True).status_code == 404


# -- payment terms --------------------------------------------------------------------------


def test_accounting_manages_payment_terms(shop: Any, accounting: Any, warehouse: Any) -> None:
    url = "/admin/shop/payment-terms/"
    response = accounting.post(
        url + "new/",
        {
            "company": shop.ch.company.pk,
            "invoice_allowed": "on",
            "credit_limit": "5000.00",
            "payment_terms_days": "30",
        },
    )
    assert response.status_code == 302
    terms = CompanyTerms.objects.get(company=shop.ch.company)
    assert terms.credit_limit == Decimal("5000.00") and terms.invoice_allowed
    listing = html_of(accounting.get(url + "?q=alpen"))
    assert "Alpenwerk AG" in listing and "5000" in listing
    negative = accounting.post(
        url + f"edit/{terms.pk}/",
        {"company": shop.ch.company.pk, "credit_limit": "-1", "payment_terms_days": "30"},
    )
    assert negative.status_code == 200
    assert CompanyTerms.objects.get(pk=terms.pk).credit_limit == Decimal("5000.00")
    assert warehouse.get(url).status_code == 403


# -- phone and upload orders ----------------------------------------------------------------


def hidden(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert match, f"no hidden field {name}"
    return match.group(1)


def details_data(account: Any, **extra: Any) -> dict[str, Any]:
    data = {
        "step": "check",
        "company": account.company.pk,
        "user": account.buyer.pk,
        "billing_address": account.billing.pk,
        "shipping_address": account.shipping.pk,
        "po_number": "PO-PHONE-1",
        "note": "Telefonisch bestellt",
    }
    data.update(extra)
    return data


def test_sales_enter_a_phone_order(shop: Any, sales: Any, django_capture_on_commit_callbacks):
    url = f"{ORDERS}enter/"
    first = sales.get(url)
    assert first.status_code == 200 and "/admin/shop/choose-company/" in html_of(first)
    chooser = sales.get("/admin/shop/choose-company/?q=schrauben")
    assert chooser.status_code == 200 and "Schrauben GmbH" in chooser.json()["html"]
    second = html_of(sales.get(f"{url}?company={shop.ch.company.pk}"))
    assert "buyer@alpenwerkag.example" in second and 'name="sku-0"' in second
    assert f'value="{shop.ch.shipping.pk}" selected' in second, "the default address is chosen"

    review = sales.post(
        url,
        details_data(shop.ch, **{"sku-0": "BOLT", "quantity-0": "10", "sku-1": "motor",
                                 "quantity-1": "1", "sku-2": "", "quantity-2": ""}),
    )  # fmt: skip
    assert review.status_code == 200
    html = html_of(review)
    assert "Bolt DE" in html and "CHF 505.00" in html  # 25.00 + 480.00 goods
    assert not Order.objects.exists(), "nothing is placed before the last step"
    place_data = {
        "step": "place",
        "token": hidden(html, "token"),
        "key": hidden(html, "key"),
        "shipping_method": "flat_rate",
        "payment_method": "prepayment",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = sales.post(url, place_data)
    order = Order.objects.get()
    assert response.status_code == 302 and response["Location"] == detail(order)
    assert order.channel == "phone" and order.state == "placed"
    assert order.entered_by.email == "sales@staff.example"
    assert order.placed_by == shop.ch.buyer and order.company == shop.ch.company
    assert order.po_number == "PO-PHONE-1" and order.note == "Telefonisch bestellt"
    assert {line.sku: line.quantity for line in order.lines.all()} == {"BOLT": 10, "MOTOR": 1}
    assert on_hand(shop.products["MOTOR"]) == (10, 1)
    assert not Cart.objects.filter(user__isnull=True, company=shop.ch.company).exists()
    assert OrderEvent.objects.get(order=order, kind="placed").user.email == "sales@staff.example"
    # A double click places one order.
    again = sales.post(url, place_data)
    assert again.status_code == 302 and Order.objects.count() == 1
    assert not Cart.objects.filter(user__isnull=True).exists()
    assert "Sales Staff" in html_of(sales.get(detail(order))), "entered by"


def test_a_phone_order_with_a_bad_row_places_nothing(shop: Any, sales: Any) -> None:
    url = f"{ORDERS}enter/"
    response = sales.post(
        url,
        details_data(shop.ch, **{"sku-0": "BOLT", "quantity-0": "2", "sku-1": "NOPE",
                                 "quantity-1": "1", "sku-2": "CABLE", "quantity-2": "1.5"}),
    )  # fmt: skip
    assert response.status_code == 400
    html = html_of(response)
    assert "Unknown article number." in html and "whole number" in html
    assert 'value="NOPE"' in html, "the rows are shown again"
    assert 'name="token"' not in html
    assert not Order.objects.exists() and not Cart.objects.exists()


def test_a_refused_phone_order_writes_nothing(shop: Any, sales: Any) -> None:
    url = f"{ORDERS}enter/"
    html = html_of(sales.post(url, details_data(shop.ch, **{"sku-0": "MOTOR", "quantity-0": "11"})))
    assert "Only 10 available" in html, "more than in stock only warns at first"
    response = sales.post(
        url,
        {"step": "place", "token": hidden(html, "token"), "key": hidden(html, "key"),
         "shipping_method": "flat_rate", "payment_method": "prepayment"},
    )  # fmt: skip
    assert response.status_code == 400
    assert "The order was not placed." in html_of(response)
    assert "MOTOR: 11 ordered, only 10 available." in html_of(response)
    assert not Order.objects.exists() and not Cart.objects.exists()
    assert on_hand(shop.products["MOTOR"]) == (10, 0)


def test_a_tampered_or_foreign_step_is_refused(shop: Any, sales: Any) -> None:
    url = f"{ORDERS}enter/"
    html = html_of(sales.post(url, details_data(shop.ch, **{"sku-0": "BOLT", "quantity-0": "1"})))
    token = hidden(html, "token")
    tampered = sales.post(
        url,
        {"step": "place", "token": token[:-2] + "xx", "key": "k", "shipping_method": "flat_rate",
         "payment_method": "prepayment"},
        follow=True,
    )  # fmt: skip
    assert "The order form was changed" in html_of(tampered)
    # A phone order's form cannot be placed as an upload.
    upload = sales.post(
        f"{ORDERS}upload/",
        {"step": "place", "token": token, "key": "k", "shipping_method": "flat_rate",
         "payment_method": "prepayment"},
        follow=True,
    )  # fmt: skip
    assert "The order form was changed" in html_of(upload)
    # A payment method that is not offered (no invoice terms).
    refused = sales.post(
        url,
        {"step": "place", "token": token, "key": "k", "shipping_method": "flat_rate",
         "payment_method": "invoice"},
    )  # fmt: skip
    assert refused.status_code == 400
    # Another company's address.
    foreign = sales.post(
        url,
        details_data(shop.ch, billing_address=shop.de.billing.pk, **{"sku-0": "BOLT",
                                                                        "quantity-0": "1"}),
    )  # fmt: skip
    assert foreign.status_code == 400
    assert not Order.objects.exists()


def test_an_upload_with_one_bad_row_places_nothing(shop: Any, sales: Any) -> None:
    url = f"{ORDERS}upload/"
    response = sales.post(
        url,
        details_data(shop.de, file=csv_file("sku,quantity\nBOLT,5\nNOPE,1\nCABLE,2\n")),
    )
    assert response.status_code == 400
    html = html_of(response)
    assert "Unknown article number." in html and "NOPE" in html
    assert 'data-status="error"' in html and 'data-status="ok"' in html
    assert 'name="token"' not in html
    assert not Order.objects.exists() and not Cart.objects.exists()

    broken = sales.post(url, details_data(shop.de, file=csv_file("article;amount\nBOLT;5\n")))
    assert broken.status_code == 400 and "must name the columns" in html_of(broken)


def test_sales_place_an_uploaded_order(shop: Any, sales: Any) -> None:
    url = f"{ORDERS}upload/"
    review = sales.post(
        url,
        details_data(shop.de, file=xlsx_file([["SKU", "Quantity"], ["BOLT", 5], ["CABLE", 2]])),
    )
    assert review.status_code == 200
    html = html_of(review)
    response = sales.post(
        url,
        {"step": "place", "token": hidden(html, "token"), "key": hidden(html, "key"),
         "shipping_method": "flat_rate", "payment_method": "prepayment"},
    )  # fmt: skip
    order = Order.objects.get()
    assert response.status_code == 302
    assert order.channel == "upload" and order.currency == "EUR"
    assert order.entered_by.email == "sales@staff.example" and order.placed_by == shop.de.buyer
    assert {line.sku: line.quantity for line in order.lines.all()} == {"BOLT": 5, "CABLE": 2}


def test_warehouse_and_accounting_cannot_enter_orders(
    shop: Any, warehouse: Any, accounting: Any
) -> None:
    for client in (warehouse, accounting):
        assert client.get(f"{ORDERS}enter/").status_code == 403
        assert client.get(f"{ORDERS}upload/").status_code == 403
        response = client.post(
            f"{ORDERS}enter/", details_data(shop.ch, **{"sku-0": "BOLT", "quantity-0": "1"})
        )
        assert response.status_code == 403
    assert warehouse.get("/admin/shop/choose-company/").status_code == 403
    assert not Order.objects.exists()


def test_more_rows_keep_what_was_typed_and_check_nothing(shop: Any, sales: Any) -> None:
    data = details_data(shop.ch, more="1", **{"sku-0": "BOLT", "quantity-0": "2", "sku-1": "NOPE"})
    response = sales.post(f"{ORDERS}enter/", data)
    assert response.status_code == 200
    html = html_of(response)
    assert 'value="BOLT"' in html and 'value="NOPE"' in html and 'name="sku-11"' in html
    assert "Unknown article number." not in html and 'name="token"' not in html
    assert not Order.objects.exists()


def test_the_list_and_the_detail_page_do_not_query_per_row(shop: Any, warehouse: Any) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries(url: str) -> int:
        warehouse.get(url)  # messages shown, session settled
        with CaptureQueriesContext(connection) as captured:
            assert warehouse.get(url).status_code == 200
        return len(captured)

    first = placed(shop)
    for name in ("confirm", "start_fulfilment"):
        warehouse.post(action(first, name))
    warehouse.post(action(first, "ship"), ship_data(first, {"BOLT": 1}))
    few = queries(ORDERS), queries(detail(first))
    for _ in range(3):
        placed(shop, shop.de, [("BOLT", 1), ("CABLE", 1), ("MOTOR", 1)])
    warehouse.post(action(first, "ship"), ship_data(first, {"BOLT": 1, "MOTOR": 1}))
    warehouse.post(action(first, "ship"), ship_data(first, {"BOLT": 2}))
    warehouse.post(action(first, "note"), {"note-message": "x"})
    many = queries(ORDERS), queries(detail(first))
    assert many[0] == few[0], "the list: the same queries for 1 or 4 orders"
    assert many[1] == few[1], "the detail page: the same queries for 1 or 3 shipments"


def test_sku_suggestions_for_the_phone_order(shop: Any, sales: Any, warehouse: Any) -> None:
    found = sales.get(f"{ORDERS}enter/skus.json?q=mo")
    assert found.status_code == 200
    assert [p["sku"] for p in found.json()["products"]] == ["MOTOR"]
    page = html_of(sales.get(f"{ORDERS}enter/?company={shop.ch.company.pk}"))
    assert f'data-suggest="{ORDERS}enter/skus.json"' in page and "quick-order.js" in page
    assert warehouse.get(f"{ORDERS}enter/skus.json?q=mo").status_code == 403


def test_an_order_awaiting_approval_says_so_and_offers_only_cancel(
    shop: Any, warehouse: Any
) -> None:
    order = placed(shop)
    Order.objects.filter(pk=order.pk).update(state="awaiting_approval")
    html = html_of(warehouse.get(detail(order)))
    assert "Awaiting approval" in html
    assert 'data-action="cancel"' in html and 'data-action="confirm"' not in html
    assert 'data-action="ship"' not in html
    # Only companies with orders are offered by the company filter.
    from magpie.people.models import Company

    empty = Company.objects.create(name="Ohne Bestellung AG", country="CH", currency="CHF")
    listing = html_of(warehouse.get(ORDERS))
    assert re.search(r"<option[^>]*>Alpenwerk AG</option>", listing)
    assert empty.name not in listing


def test_the_filtered_list_is_exported_as_csv(shop: Any, accounting: Any) -> None:
    ch = placed(shop, po_number="PO-CSV-1")
    de = placed(shop, shop.de, [("CABLE", 1)])
    response = accounting.get(f"{ORDERS}?export=csv&company={shop.ch.company.pk}")
    assert response.status_code == 200 and "csv" in response["Content-Type"]
    text = b"".join(response.streaming_content).decode()
    assert text.splitlines()[0].startswith("Number,Company,State,Channel,Currency,Net")
    assert ch.number in text and "PO-CSV-1" in text and str(ch.gross_total) in text
    assert "Placed,Web shop,CHF" in text
    assert de.number not in text, "the export follows the filters"
