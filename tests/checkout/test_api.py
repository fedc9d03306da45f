"""The shop API (``/shop/api/v1/``): token authentication, catalog, cart, options, placing
orders idempotently, order status, company isolation, JSON errors; and the API tokens page.

Runs on SQLite and PostgreSQL (``shop`` from ``tests/checkout/conftest.py``: BOLT 100 units
2.50 CHF / 2.20 EUR, MOTOR 10 units 480 CHF / 430 EUR, CABLE 50 units; companies ``shop.ch``
(CHF) and ``shop.de`` (EUR) with a user per role and a billing and a shipping address).
"""

from __future__ import annotations

import datetime
import hashlib
import json
import re
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from magpie_checkout.api_auth import create_token
from magpie_checkout.models import (
    ApiToken,
    Cart,
    CartLine,
    CompanyMember,
    Document,
    Order,
    Shipment,
    ShipmentLine,
    StockReservation,
)
from tests.checkout.conftest import on_hand
from tests.checkout.shop_fixtures import cart_lines, client_for, make_order

pytestmark = pytest.mark.django_db

API = "/shop/api/v1"


class ApiClient:
    """A test client sending ``Authorization: Bearer <key>`` and JSON bodies."""

    def __init__(self, key: str | None) -> None:
        self.client = Client(HTTP_ACCEPT_LANGUAGE="en")
        self.key = key

    def _headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        headers = dict(extra or {})
        if self.key is not None:
            headers["Authorization"] = f"Bearer {self.key}"
        return headers

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(API + path, params, headers=self._headers())

    def send(self, method: str, path: str, body: Any = None, headers: Any = None) -> Any:
        call = getattr(self.client, method)
        data = json.dumps(body) if body is not None else None
        return call(
            API + path, data=data, content_type="application/json", headers=self._headers(headers)
        )

    def post(self, path: str, body: Any = None, headers: Any = None) -> Any:
        return self.send("post", path, body, headers)

    def patch(self, path: str, body: Any = None) -> Any:
        return self.send("patch", path, body)

    def delete(self, path: str) -> Any:
        return self.send("delete", path)


def token_for(user: Any, name: str = "ERP") -> tuple[ApiToken, str]:
    """A new token of ``user`` (an active member) and its key."""
    return create_token(CompanyMember.objects.get(user=user), name)


def api_for(user: Any) -> ApiClient:
    return ApiClient(token_for(user)[1])


def order_body(account: Any, **overrides: Any) -> dict[str, Any]:
    body = {
        "shipping_method": "flat_rate",
        "payment_method": "prepayment",
        "billing_address_id": account.billing.pk,
        "shipping_address_id": account.shipping.pk,
        "po_number": "PO-API-1",
        "terms_accepted": True,
    }
    body.update(overrides)
    return body


def messages_of(response: Any) -> list[str]:
    detail = response.json()["detail"]
    return [entry["msg"] for entry in detail] if isinstance(detail, list) else [detail]


@pytest.fixture
def buyer(shop: SimpleNamespace) -> ApiClient:
    """The Swiss buyer's API client."""
    return api_for(shop.ch.buyer)


# -- authentication -------------------------------------------------------------------------


def test_a_token_key_is_shown_once_and_stored_only_as_its_hash(shop: SimpleNamespace) -> None:
    token, key = token_for(shop.ch.buyer, "ERP")
    assert re.fullmatch(r"mgp_[A-Za-z0-9_-]{43}", key)
    stored = ApiToken.objects.get(pk=token.pk)
    assert stored.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert stored.prefix == key[:12]
    assert stored.company == shop.ch.company
    assert key not in json.dumps(list(ApiToken.objects.values()), default=str)
    assert token_for(shop.ch.buyer)[1] != key


def test_the_api_acts_as_the_tokens_user_for_its_company(
    shop: SimpleNamespace, buyer: ApiClient
) -> None:
    response = buyer.get("/me")
    assert response.status_code == 200
    me = response.json()
    assert me["email"] == shop.ch.buyer.email
    assert me["role"] == "buyer"
    assert me["company"] == {
        "name": "Alpenwerk AG",
        "country": "CH",
        "currency": "CHF",
        "vat_id": "",
    }
    assert me["token"]["name"] == "ERP"
    assert response["Cache-Control"] == "private, no-store, max-age=0"


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer",
        "Bearer mgp_unknown",
        "Basic dXNlcjpwdw==",
        "Token x",
        "Bearer " + "x" * 500,
    ],
)
def test_missing_or_bad_keys_answer_401(shop: SimpleNamespace, authorization: str | None) -> None:
    client = Client()
    headers = {"Authorization": authorization} if authorization is not None else {}
    for path in ("/me", "/products", "/cart", "/orders", "/addresses"):
        response = client.get(API + path, headers=headers)
        assert response.status_code == 401, (authorization, path)
        assert response["Content-Type"] == "application/json; charset=utf-8"
        assert "detail" in response.json()
        assert response["WWW-Authenticate"].startswith("Bearer")
    placed = client.post(
        API + "/orders", data="{}", content_type="application/json", headers=headers
    )
    assert placed.status_code == 401


def test_revoked_tokens_and_inactive_users_or_members_are_refused(shop: SimpleNamespace) -> None:
    from magpie_checkout.api_auth import revoke_token

    token, key = token_for(shop.ch.buyer)
    assert ApiClient(key).get("/me").status_code == 200
    revoke_token(shop.ch.buyer, token.pk)
    assert ApiClient(key).get("/me").status_code == 401

    _token, member_key = token_for(shop.ch.approver)
    CompanyMember.objects.filter(user=shop.ch.approver).update(active=False)
    assert ApiClient(member_key).get("/me").status_code == 401
    assert ApiClient(member_key).get("/products").status_code == 401

    _token, user_key = token_for(shop.ch.admin)
    shop.ch.admin.is_active = False
    shop.ch.admin.save(update_fields=["is_active"])
    assert ApiClient(user_key).get("/me").status_code == 401


def test_a_token_of_a_company_its_user_no_longer_belongs_to_is_refused(
    shop: SimpleNamespace,
) -> None:
    _token, key = token_for(shop.ch.buyer)
    CompanyMember.objects.filter(user=shop.ch.buyer).update(company=shop.de.company)
    assert ApiClient(key).get("/me").status_code == 401


def test_last_used_is_written_at_most_once_a_minute(shop: SimpleNamespace) -> None:
    token, key = token_for(shop.ch.buyer)
    client = ApiClient(key)
    assert ApiToken.objects.get(pk=token.pk).last_used_at is None
    client.get("/me")
    first = ApiToken.objects.get(pk=token.pk).last_used_at
    assert first is not None
    client.get("/me")
    client.get("/products")
    assert ApiToken.objects.get(pk=token.pk).last_used_at == first
    earlier = timezone.now() - datetime.timedelta(minutes=2)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=earlier)
    client.get("/me")
    assert ApiToken.objects.get(pk=token.pk).last_used_at > earlier


def test_the_token_check_writes_nothing_when_recently_used(shop: SimpleNamespace) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _token, key = token_for(shop.ch.buyer)
    client = ApiClient(key)
    client.get("/me")
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/me").status_code == 200
    writes = [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith("UPDATE")]
    assert writes == []


# -- errors ---------------------------------------------------------------------------------


def test_unknown_paths_and_methods_answer_json(buyer: ApiClient) -> None:
    missing = buyer.get("/nothing-here")
    assert missing.status_code == 404
    assert missing.json() == {"detail": "Not found."}
    assert buyer.client.get("/shop/api/").status_code == 404
    wrong = buyer.send("put", "/products", {})
    assert wrong.status_code == 405
    assert "detail" in wrong.json()
    assert "GET" in wrong["Allow"]
    broken = buyer.client.post(
        API + "/cart/lines",
        data="{not json",
        content_type="application/json",
        headers=buyer._headers(),
    )
    assert broken.status_code == 400
    assert "detail" in broken.json()
    for junk in (b"[" * 100_000, b"\xff\xfe{", b'{"lines": [{"sku": "\\ud800", "quantity": 1}]}'):
        response = buyer.client.post(
            API + "/cart/lines",
            data=junk,
            content_type="application/json",
            headers=buyer._headers(),
        )
        assert response.status_code in (400, 422), junk[:20]
        assert "detail" in response.json()


def test_the_schema_is_served_and_the_cdn_docs_page_is_not(shop: SimpleNamespace) -> None:
    client = Client()
    schema = client.get("/shop/api/openapi.json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    for path in (
        "/shop/api/v1/products",
        "/shop/api/v1/products/{sku}",
        "/shop/api/v1/cart",
        "/shop/api/v1/cart/lines",
        "/shop/api/v1/cart/lines/{line_id}",
        "/shop/api/v1/cart/shipping-options",
        "/shop/api/v1/cart/payment-options",
        "/shop/api/v1/orders",
        "/shop/api/v1/orders/{number}",
        "/shop/api/v1/addresses",
    ):
        assert path in paths
    assert schema.json()["components"]["securitySchemes"]["TokenAuth"]["scheme"] == "bearer"
    docs = client.get("/shop/api/docs")
    assert docs.status_code == 404
    assert b"cdn" not in docs.content.lower()


# -- catalog --------------------------------------------------------------------------------


def test_products_are_priced_in_the_companys_currency(shop: SimpleNamespace) -> None:
    ch = api_for(shop.ch.buyer).get("/products").json()
    de = api_for(shop.de.buyer).get("/products").json()
    assert ch["count"] == de["count"] == 3
    bolt_ch = next(item for item in ch["items"] if item["sku"] == "BOLT")
    bolt_de = next(item for item in de["items"] if item["sku"] == "BOLT")
    assert (bolt_ch["currency"], bolt_ch["unit_net"]) == ("CHF", "2.50")
    assert (bolt_de["currency"], bolt_de["unit_net"]) == ("EUR", "2.20")
    assert bolt_ch["available"] == 100
    assert bolt_ch["in_stock"] is True
    assert bolt_ch["unit"] == "piece"


def test_a_company_price_list_is_seen_by_its_company_only(shop: SimpleNamespace) -> None:
    from magpie_catalog.models import PriceEntry, PriceList

    contract = PriceList.objects.create(
        code="alpenwerk", name="Alpenwerk", currency="CHF", scope="company", company=shop.ch.company
    )
    PriceEntry.objects.create(price_list=contract, product=shop.products["MOTOR"], amount="399.00")
    assert api_for(shop.ch.buyer).get("/products/MOTOR").json()["unit_net"] == "399.00"
    assert api_for(shop.de.buyer).get("/products/MOTOR").json()["unit_net"] == "430.00"


def test_products_search_and_pages(shop: SimpleNamespace, buyer: ApiClient) -> None:
    from magpie_catalog.models import Product

    Product.objects.create(sku="DRAFT-1", name_de="Entwurf", status="draft")
    found = buyer.get("/products", q="mot").json()
    assert [item["sku"] for item in found["items"]] == ["MOTOR"]
    assert buyer.get("/products", q="Cable EN").json()["items"][0]["sku"] == "CABLE"
    assert buyer.get("/products", q="DRAFT").json()["count"] == 0
    first = buyer.get("/products", page=1, page_size=2).json()
    second = buyer.get("/products", page=2, page_size=2).json()
    assert first["count"] == 3
    assert [i["sku"] for i in first["items"]] + [i["sku"] for i in second["items"]] == [
        "BOLT",
        "CABLE",
        "MOTOR",
    ]
    assert buyer.get("/products", page=50).json()["items"] == []
    for bad in ({"page": 0}, {"page_size": 1000}, {"page": "x"}, {"q": "a" * 101}):
        response = buyer.get("/products", **bad)
        assert response.status_code == 422, bad
        assert response.json()["detail"][0]["loc"][0] == "query"


def test_product_detail_by_sku_with_tiers_and_variants(shop: SimpleNamespace) -> None:
    from magpie_catalog.models import PriceEntry, Variant

    bolt = shop.products["BOLT"]
    PriceEntry.objects.create(
        price_list=shop.lists["CHF"], product=bolt, min_quantity=50, amount="2.10"
    )
    Variant.objects.create(product=bolt, sku="BOLT-M8", options={"size": "M8"})
    client = api_for(shop.ch.buyer)
    detail = client.get("/products/bolt")
    assert detail.status_code == 200
    body = detail.json()
    assert body["sku"] == "BOLT"
    assert body["name"] == "Bolt EN"
    assert body["unit_net"] == "2.50"
    assert body["tiers"] == [
        {"min_quantity": 1, "unit_net": "2.50"},
        {"min_quantity": 50, "unit_net": "2.10"},
    ]
    assert body["available"] == 100
    assert body["lead_time_days"] == 1
    assert body["variants"] == [
        {"sku": "BOLT-M8", "options": {"size": "M8"}, "unit_net": "2.50", "available": 0}
    ]
    assert client.get("/products/BOLT-M8").json()["sku"] == "BOLT"
    for missing in ("NOPE", "x" * 100, "BOLT%00"):
        response = client.get("/products/" + missing)
        assert response.status_code in (404, 422), missing
        assert "detail" in response.json()


def test_a_gross_price_list_is_shown_net(shop: SimpleNamespace) -> None:
    from magpie_catalog.models import PriceEntry, PriceList

    gross = PriceList.objects.create(
        code="gross", name="Gross", currency="CHF", includes_tax=True, priority=10
    )
    PriceEntry.objects.create(price_list=gross, product=shop.products["CABLE"], amount="10.81")
    assert api_for(shop.ch.buyer).get("/products/CABLE").json()["unit_net"] == "10.00"


# -- cart -----------------------------------------------------------------------------------


def test_cart_add_get_change_and_remove(shop: SimpleNamespace, buyer: ApiClient) -> None:
    empty = buyer.get("/cart").json()
    assert empty["lines"] == [] and empty["net_total"] == "0.00" and empty["currency"] == "CHF"
    added = buyer.post(
        "/cart/lines", {"lines": [{"sku": "bolt", "quantity": 10}, {"sku": "MOTOR", "quantity": 1}]}
    )
    assert added.status_code == 200, added.content
    cart = added.json()
    assert [(line["sku"], line["quantity"]) for line in cart["lines"]] == [
        ("BOLT", 10),
        ("MOTOR", 1),
    ]
    assert cart["lines"][0]["unit_net"] == "2.50"
    assert cart["lines"][0]["line_net"] == "25.00"
    assert cart["net_total"] == "505.00"
    again = buyer.post("/cart/lines", {"lines": [{"sku": "BOLT", "quantity": "5"}]}).json()
    assert again["lines"][0]["quantity"] == 15
    bolt_line = again["lines"][0]["id"]
    changed = buyer.patch(f"/cart/lines/{bolt_line}", {"quantity": 40})
    assert changed.status_code == 200
    assert changed.json()["lines"][0]["quantity"] == 40
    removed = buyer.delete(f"/cart/lines/{bolt_line}")
    assert [line["sku"] for line in removed.json()["lines"]] == ["MOTOR"]
    assert buyer.delete(f"/cart/lines/{bolt_line}").status_code == 404
    assert buyer.delete("/cart").json()["lines"] == []
    assert cart_lines(shop.ch.buyer) == {}


def test_the_api_cart_is_the_users_web_cart(shop: SimpleNamespace, buyer: ApiClient) -> None:
    buyer.post("/cart/lines", {"lines": [{"sku": "CABLE", "quantity": 2}]})
    assert Cart.objects.filter(user=shop.ch.buyer).count() == 1
    page = client_for(shop.ch.buyer).get("/shop/cart/")
    assert "CABLE" in page.content.decode()


@pytest.mark.parametrize(
    ("quantity", "message"),
    [
        (0, "at least 1"),
        (-1, "whole number of at least 1"),
        (1.5, "whole number of at least 1"),
        ("abc", "whole number"),
        ("", "Enter a quantity"),
        (None, "Enter a quantity"),
        (True, "whole number"),
        (10**12, "At most 99999"),
        ([1], "whole number"),
    ],
)
def test_bad_quantities_answer_422_and_add_nothing(
    shop: SimpleNamespace, buyer: ApiClient, quantity: Any, message: str
) -> None:
    response = buyer.post(
        "/cart/lines",
        {"lines": [{"sku": "CABLE", "quantity": 1}, {"sku": "BOLT", "quantity": quantity}]},
    )
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert len(detail) == 1
    assert detail[0]["loc"] == ["body", "lines", 1, "quantity"]
    assert message in detail[0]["msg"]
    assert cart_lines(shop.ch.buyer) == {}


def test_unknown_inactive_and_short_skus_are_named_per_line(
    shop: SimpleNamespace, buyer: ApiClient
) -> None:
    from magpie_catalog.models import Product

    Product.objects.create(sku="OLD", name_de="Alt", status="discontinued")
    response = buyer.post(
        "/cart/lines",
        {
            "lines": [
                {"sku": "BOLT", "quantity": 5},
                {"sku": "NOPE-1", "quantity": 1},
                {"sku": "OLD", "quantity": 1},
                {"sku": "MOTOR", "quantity": 11},
                {"sku": "CABLE", "quantity": 30},
                {"sku": "CABLE", "quantity": 30},
            ]
        },
    )
    assert response.status_code == 422
    detail = response.json()["detail"]
    by_line = {entry["loc"][2]: entry for entry in detail}
    assert sorted(by_line) == [1, 2, 3, 5]
    assert "NOPE-1: unknown article number" in by_line[1]["msg"]
    assert by_line[1]["loc"] == ["body", "lines", 1, "sku"]
    assert "OLD" in by_line[2]["msg"]
    assert by_line[3]["msg"] == "MOTOR: 11 requested, only 10 available."
    assert by_line[3]["type"] == "stock"
    assert by_line[5]["msg"] == "CABLE: 60 requested, only 50 available."
    assert cart_lines(shop.ch.buyer) == {}


def test_adding_counts_what_the_cart_holds_against_stock(
    shop: SimpleNamespace, buyer: ApiClient
) -> None:
    assert (
        buyer.post("/cart/lines", {"lines": [{"sku": "MOTOR", "quantity": 8}]}).status_code == 200
    )
    response = buyer.post("/cart/lines", {"lines": [{"sku": "MOTOR", "quantity": 3}]})
    assert response.status_code == 422
    assert messages_of(response) == ["MOTOR: 11 requested, only 10 available."]
    line = CartLine.objects.get(cart__user=shop.ch.buyer)
    assert line.quantity == 8
    above = buyer.patch(f"/cart/lines/{line.pk}", {"quantity": 11})
    assert above.status_code == 422
    for bad in (0, -3, 2.5, "x", None):
        assert buyer.patch(f"/cart/lines/{line.pk}", {"quantity": bad}).status_code == 422, bad
    line.refresh_from_db()
    assert line.quantity == 8


def test_bad_cart_bodies_answer_422(buyer: ApiClient) -> None:
    for body in (
        {},
        {"lines": []},
        {"lines": [{"sku": "", "quantity": 1}]},
        {"lines": [{"quantity": 1}]},
        {"lines": [{"sku": "BOLT\u0000", "quantity": 1}]},
        {"lines": [{"sku": "B" * 65, "quantity": 1}]},
        {"lines": "BOLT"},
        [1, 2],
    ):
        response = buyer.post("/cart/lines", body)
        assert response.status_code == 422, body
        assert isinstance(response.json()["detail"], list)


def test_schema_errors_name_the_field_like_the_shops_own(buyer: ApiClient) -> None:
    long_sku = buyer.post("/cart/lines", {"lines": [{"sku": "B" * 65, "quantity": 1}]})
    assert long_sku.json()["detail"] == [
        {
            "type": "string_too_long",
            "loc": ["body", "lines", 0, "sku"],
            "msg": "String should have at most 64 characters",
            "ctx": {"max_length": 64},
        }
    ]
    nul = buyer.post("/cart/lines", {"lines": [{"sku": "B\u0000", "quantity": 1}]})
    assert nul.json()["detail"][0]["loc"] == ["body", "lines", 0, "sku"]
    assert nul.json()["detail"][0]["msg"] == "The text must not contain NUL characters."


def test_another_users_cart_line_answers_404(shop: SimpleNamespace) -> None:
    de = api_for(shop.de.buyer)
    line = de.post("/cart/lines", {"lines": [{"sku": "BOLT", "quantity": 2}]}).json()["lines"][0]
    ch = api_for(shop.ch.buyer)
    assert ch.patch(f"/cart/lines/{line['id']}", {"quantity": 1}).status_code == 404
    assert ch.delete(f"/cart/lines/{line['id']}").status_code == 404
    assert ch.delete("/cart/lines/99999999999999999999").status_code == 422
    assert cart_lines(shop.de.buyer) == {"BOLT": 2}


def test_shipping_and_payment_options_for_the_cart(shop: SimpleNamespace, buyer: ApiClient) -> None:
    buyer.post("/cart/lines", {"lines": [{"sku": "BOLT", "quantity": 4}]})
    shipping = buyer.get("/cart/shipping-options")
    assert shipping.status_code == 200
    options = {option["code"]: option for option in shipping.json()}
    assert options["flat_rate"]["net"] == "15.00"
    assert options["flat_rate"]["currency"] == "CHF"
    assert options["flat_rate"]["available"] is True
    to_address = buyer.get("/cart/shipping-options", shipping_address_id=shop.ch.shipping.pk)
    assert to_address.json() == shipping.json()
    other = buyer.get("/cart/shipping-options", shipping_address_id=shop.de.shipping.pk)
    assert other.status_code == 404
    payment = buyer.get("/cart/payment-options")
    assert payment.status_code == 200
    assert {option["code"] for option in payment.json()} >= {"prepayment", "invoice"}


# -- placing orders -------------------------------------------------------------------------


def test_placing_an_order_by_api(shop: SimpleNamespace, buyer: ApiClient) -> None:
    buyer.post("/cart/lines", {"lines": [{"sku": "BOLT", "quantity": 10}]})
    body = order_body(shop.ch, note="Rampe 3", requested_delivery_date="2099-01-15")
    response = buyer.post("/orders", body, headers={"Idempotency-Key": "erp-4711"})
    assert response.status_code == 201, response.content
    order = response.json()
    assert order["channel"] == "api"
    assert order["state"] == "placed"
    assert order["currency"] == "CHF"
    assert order["net_total"] == "40.00"  # 25.00 goods + 15.00 flat rate
    assert order["po_number"] == "PO-API-1"
    assert order["note"] == "Rampe 3"
    assert order["requested_delivery_date"] == "2099-01-15"
    assert order["lines"][0]["sku"] == "BOLT" and order["lines"][0]["quantity"] == 10
    assert order["shipping_address"]["street"] == "Werkstrasse 9"
    assert order["payment_reference"].startswith("RF")
    assert order["placed_by"] == shop.ch.buyer.email
    stored = Order.objects.get(number=order["number"])
    assert stored.channel == "api" and stored.placed_by == shop.ch.buyer
    assert on_hand(shop.products["BOLT"]) == (100, 10)
    assert buyer.get("/cart").json()["lines"] == []


def test_the_same_idempotency_key_answers_the_same_order(
    shop: SimpleNamespace, buyer: ApiClient
) -> None:
    buyer.post("/cart/lines", {"lines": [{"sku": "MOTOR", "quantity": 2}]})
    first = buyer.post("/orders", order_body(shop.ch), headers={"Idempotency-Key": "k-1"})
    assert first.status_code == 201
    buyer.post("/cart/lines", {"lines": [{"sku": "MOTOR", "quantity": 2}]})
    again = buyer.post("/orders", order_body(shop.ch), headers={"Idempotency-Key": "k-1"})
    assert again.status_code == 200
    assert again.json()["number"] == first.json()["number"]
    assert Order.objects.count() == 1
    assert on_hand(shop.products["MOTOR"]) == (10, 2)
    assert cart_lines(shop.ch.buyer) == {"MOTOR": 2}  # the new cart stays for a new key
    colleague = api_for(shop.ch.approver)
    colleague.post("/cart/lines", {"lines": [{"sku": "BOLT", "quantity": 1}]})
    clash = colleague.post("/orders", order_body(shop.ch), headers={"Idempotency-Key": "k-1"})
    assert clash.status_code == 409
    assert Order.objects.count() == 1


def test_an_order_needs_an_idempotency_key(shop: SimpleNamespace, buyer: ApiClient) -> None:
    buyer.post("/cart/lines", {"lines": [{"sku": "BOLT", "quantity": 1}]})
    for headers in ({}, {"Idempotency-Key": ""}, {"Idempotency-Key": "x" * 61}):
        response = buyer.post("/orders", order_body(shop.ch), headers=headers)
        assert response.status_code == 422, headers
        assert response.json()["detail"][0]["loc"][0] == "header"
    assert not Order.objects.exists()


def test_addresses_default_to_the_companys_defaults(
    shop: SimpleNamespace, buyer: ApiClient
) -> None:
    buyer.post("/cart/lines", {"lines": [{"sku": "BOLT", "quantity": 1}]})
    body = order_body(shop.ch)
    del body["billing_address_id"], body["shipping_address_id"]
    response = buyer.post("/orders", body, headers={"Idempotency-Key": "defaults"})
    assert response.status_code == 201
    assert response.json()["billing_address"]["street"] == "Hauptstrasse 1"


@pytest.mark.parametrize(
    "change",
    [
        {"billing_address_id": "B"},
        {"shipping_address_id": "B"},
        {"billing_address_id": 99999999},
        {"billing_address_id": -1},
        {"billing_address_id": 10**30},
        {"shipping_method": "teleport"},
        {"payment_method": "bitcoin"},
        {"terms_accepted": False},
        {"requested_delivery_date": "2001-01-01"},
        {"requested_delivery_date": "tomorrow"},
        {"po_number": "P" * 61},
        {"note": "bad\u0000note"},
    ],
)
def test_refused_orders_write_nothing(
    shop: SimpleNamespace, buyer: ApiClient, change: dict[str, Any]
) -> None:
    buyer.post("/cart/lines", {"lines": [{"sku": "BOLT", "quantity": 3}]})
    for field, value in change.items():
        if value == "B":
            change[field] = getattr(shop.de, field.split("_")[0]).pk  # company B's address
    response = buyer.post(
        "/orders", order_body(shop.ch, **change), headers={"Idempotency-Key": "x1"}
    )
    assert response.status_code == 422, response.content
    assert response.json()["detail"]
    assert not Order.objects.exists()
    assert not StockReservation.objects.exists()
    assert on_hand(shop.products["BOLT"]) == (100, 0)
    assert cart_lines(shop.ch.buyer) == {"BOLT": 3}


def test_an_empty_cart_or_stock_gone_refuses_the_order(
    shop: SimpleNamespace, buyer: ApiClient
) -> None:
    empty = buyer.post("/orders", order_body(shop.ch), headers={"Idempotency-Key": "e1"})
    assert empty.status_code == 422
    assert "Your cart is empty." in messages_of(empty)
    buyer.post("/cart/lines", {"lines": [{"sku": "MOTOR", "quantity": 5}]})
    from magpie_catalog.models import StockLevel

    StockLevel.objects.filter(product=shop.products["MOTOR"]).update(on_hand=3)
    short = buyer.post("/orders", order_body(shop.ch), headers={"Idempotency-Key": "e2"})
    assert short.status_code == 422
    assert any("MOTOR" in message for message in messages_of(short))
    assert not Order.objects.exists()


def test_a_requesters_order_over_the_limit_awaits_approval(shop: SimpleNamespace) -> None:
    CompanyMember.objects.filter(user=shop.ch.requester).update(order_limit=Decimal("100"))
    requester = api_for(shop.ch.requester)
    requester.post("/cart/lines", {"lines": [{"sku": "MOTOR", "quantity": 1}]})
    response = requester.post("/orders", order_body(shop.ch), headers={"Idempotency-Key": "r1"})
    assert response.status_code == 201
    assert response.json()["state"] == "awaiting_approval"
    assert Order.objects.get().state == "awaiting_approval"


def test_roles_that_may_not_order_get_403(shop: SimpleNamespace, monkeypatch: Any) -> None:
    from magpie_checkout import accounts

    client = api_for(shop.ch.buyer)
    monkeypatch.setattr(accounts, "can_order", lambda member: False)
    assert client.get("/cart").status_code == 403
    assert (
        client.post("/cart/lines", {"lines": [{"sku": "BOLT", "quantity": 1}]}).status_code == 403
    )
    placed = client.post("/orders", order_body(shop.ch), headers={"Idempotency-Key": "n"})
    assert placed.status_code == 403
    assert client.get("/products").status_code == 200
    assert client.get("/orders").status_code == 200


# -- orders and isolation -------------------------------------------------------------------


def test_order_status_with_shipments_and_documents(shop: SimpleNamespace, buyer: ApiClient) -> None:
    order = make_order(shop.ch, [(shop.products["BOLT"], 4), (shop.products["CABLE"], 1)])
    order.state = "shipped"
    order.save(update_fields=["state"])
    shipment = Shipment.objects.create(
        order=order,
        carrier="Post",
        tracking_number="99.00.123",
        tracking_url="https://post.example/t",
    )
    ShipmentLine.objects.create(
        shipment=shipment, order_line=order.lines.get(position=1), quantity=4
    )
    Document.objects.create(
        order=order, kind="invoice", number="R-2026-000001", currency="CHF",
        net_total=Decimal("50.00"), tax_total=Decimal("4.05"), gross_total=Decimal("54.05"),
    )  # fmt: skip
    listing = buyer.get("/orders").json()
    assert listing["count"] == 1
    assert listing["items"][0]["number"] == order.number
    assert buyer.get("/orders", state="shipped").json()["count"] == 1
    assert buyer.get("/orders", state="placed").json()["count"] == 0
    assert buyer.get("/orders", state="nonsense").status_code == 422
    detail = buyer.get(f"/orders/{order.number}").json()
    assert detail["state"] == "shipped"
    assert [line["sku"] for line in detail["lines"]] == ["BOLT", "CABLE"]
    assert detail["shipments"] == [
        {
            "carrier": "Post",
            "tracking_number": "99.00.123",
            "tracking_url": "https://post.example/t",
            "shipped_at": detail["shipments"][0]["shipped_at"],
            "lines": [{"sku": "BOLT", "quantity": 4}],
        }
    ]
    assert detail["documents"][0]["number"] == "R-2026-000001"
    assert detail["documents"][0]["gross_total"] == "54.05"


def test_company_a_never_sees_company_b(shop: SimpleNamespace) -> None:
    order_b = make_order(shop.de, [(shop.products["MOTOR"], 3)], po_number="PO-B-SECRET")
    make_order(shop.ch, [(shop.products["BOLT"], 1)])
    a = api_for(shop.ch.admin)
    assert a.get(f"/orders/{order_b.number}").status_code == 404
    listing = a.get("/orders")
    assert order_b.number not in listing.content.decode()
    assert "PO-B-SECRET" not in listing.content.decode()
    addresses = a.get("/addresses").json()
    assert {row["id"] for row in addresses} == {shop.ch.billing.pk, shop.ch.shipping.pk}
    assert a.get("/addresses", kind="billing").json()[0]["id"] == shop.ch.billing.pk
    assert (
        a.get("/cart/shipping-options", shipping_address_id=shop.de.shipping.pk).status_code == 404
    )
    b = api_for(shop.de.buyer)
    assert b.get(f"/orders/{order_b.number}").json()["po_number"] == "PO-B-SECRET"
    assert b.get("/orders").json()["count"] == 1


# -- the tokens page ------------------------------------------------------------------------


def test_the_tokens_page_creates_shows_the_key_once_and_revokes(shop: SimpleNamespace) -> None:
    browser = Client(HTTP_ACCEPT_LANGUAGE="en", enforce_csrf_checks=True)
    browser.force_login(shop.ch.buyer)
    page = browser.get("/shop/account/api-tokens/")
    assert page.status_code == 200
    assert "No tokens yet." in page.content.decode()
    csrf = page.cookies["csrftoken"].value
    assert (
        browser.post("/shop/account/api-tokens/", {"action": "create", "name": "ERP"}).status_code
        == 403
    )
    created = browser.post(
        "/shop/account/api-tokens/",
        {"action": "create", "name": "ERP <script>", "csrfmiddlewaretoken": csrf},
    )
    assert created.status_code == 200
    html = created.content.decode()
    key = re.search(r'value="(mgp_[^"]+)"', html).group(1)
    assert "ERP &lt;script&gt;" in html and "<script>" not in html.split("ERP", 1)[1][:20]
    assert ApiClient(key).get("/me").status_code == 200
    later = browser.get("/shop/account/api-tokens/").content.decode()
    assert key not in later
    assert key[:12] in later
    token = ApiToken.objects.get(user=shop.ch.buyer)
    revoked = browser.post(
        "/shop/account/api-tokens/",
        {"action": "revoke", "token": token.pk, "csrfmiddlewaretoken": csrf},
    )
    assert revoked.status_code == 302
    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None
    assert ApiClient(key).get("/me").status_code == 401
    empty = browser.post(
        "/shop/account/api-tokens/", {"action": "create", "name": " ", "csrfmiddlewaretoken": csrf}
    )
    assert empty.status_code == 400
    assert ApiToken.objects.filter(user=shop.ch.buyer).count() == 1


def test_the_tokens_page_shows_and_revokes_only_own_tokens(shop: SimpleNamespace) -> None:
    other, _key = token_for(shop.ch.admin, "Admin's ERP")
    foreign, _key = token_for(shop.de.buyer, "Fremd")
    browser = client_for(shop.ch.buyer)
    page = browser.get("/shop/account/api-tokens/").content.decode()
    assert "Admin&#x27;s ERP" not in page and "Fremd" not in page
    for token in (other, foreign):
        response = browser.post(
            "/shop/account/api-tokens/", {"action": "revoke", "token": token.pk}, follow=True
        )
        assert response.status_code == 404
        assert ApiToken.objects.get(pk=token.pk).revoked_at is None
    junk = browser.post(
        "/shop/account/api-tokens/", {"action": "revoke", "token": "x"}, follow=True
    )
    assert junk.status_code == 404


def test_the_tokens_page_needs_a_company_user(shop: SimpleNamespace) -> None:
    from tests.checkout.conftest import make_user

    assert Client().get("/shop/account/api-tokens/").status_code == 302
    loner = make_user("loner@example.com")
    assert client_for(loner).get("/shop/account/api-tokens/").status_code == 403
    account = client_for(shop.ch.buyer).get("/shop/account/").content.decode()
    assert "/shop/account/api-tokens/" in account


# -- concurrency (PostgreSQL) ---------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_retries_with_one_key_make_one_order(magpie_site: Any) -> None:
    from tests.checkout.conftest import build_shop
    from tests.checkout.test_placement_concurrency import run_together

    shop = build_shop(magpie_site)
    _token, key = token_for(shop.ch.buyer)
    ApiClient(key).post("/cart/lines", {"lines": [{"sku": "MOTOR", "quantity": 2}]})

    def submit(_index: int) -> tuple[int, str]:
        response = ApiClient(key).post(
            "/orders", order_body(shop.ch), headers={"Idempotency-Key": "retry-storm"}
        )
        return response.status_code, response.json().get("number", "")

    results = run_together(6, submit)
    assert Order.objects.count() == 1
    number = Order.objects.get().number
    assert sorted(status for status, _number in results) == [200] * 5 + [201]
    assert {found for _status, found in results} == {number}
    assert on_hand(shop.products["MOTOR"]) == (10, 2)
