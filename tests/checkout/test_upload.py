"""Upload of sku,quantity files: a per-row report first, nothing added until confirmed."""

from __future__ import annotations

import re
from typing import Any

import pytest

from magpie_checkout import upload
from magpie_checkout.models import CartLine
from tests.checkout.shop_fixtures import cart_lines, client_for, csv_file, xlsx_file

pytestmark = pytest.mark.django_db


def check(client: Any, file: Any) -> Any:
    return client.post("/shop/quick-order/upload/", {"file": file})


def token_of(html: str) -> str:
    return re.search(r'name="token" value="([^"]+)"', html).group(1)


def test_a_csv_is_reported_first_and_added_on_confirmation(shop: Any) -> None:
    client = client_for(shop.ch.buyer)
    response = check(client, csv_file("sku,quantity\nBOLT,10\nNOPE,1\nCABLE,0\nMOTOR,2\n"))
    assert response.status_code == 200
    html = response.content.decode()
    assert not CartLine.objects.exists(), "nothing is added before the buyer confirms"
    for fragment in ("Unknown article number.", "The quantity must be at least 1.", "NOPE"):
        assert fragment in html
    assert "2 rows can be added." in html and "2 rows with errors are left out." in html
    assert "<td>3</td><td>NOPE</td>" in html, "rows are numbered as in a spreadsheet"

    confirmed = client.post("/shop/quick-order/upload/confirm/", {"token": token_of(html)})
    assert confirmed.status_code == 302
    assert cart_lines(shop.ch.buyer) == {"BOLT": 10, "MOTOR": 2}


def test_semicolons_a_bom_and_extra_columns_are_read(shop: Any) -> None:
    text = "\ufeffName;Quantity;SKU\nBolzen;5;bolt\n;;\nKabel;3;CABLE\n"
    rows = upload.read_upload(csv_file(text))
    assert rows == [(2, "bolt", "5"), (4, "CABLE", "3")]


def test_an_xlsx_file_is_read(shop: Any) -> None:
    client = client_for(shop.de.buyer)
    html = check(client, xlsx_file([["SKU", "quantity"], ["BOLT", 4], ["CABLE", 2.0]]))
    html = html.content.decode()
    assert "2 rows can be added." in html
    client.post("/shop/quick-order/upload/confirm/", {"token": token_of(html)})
    assert cart_lines(shop.de.buyer) == {"BOLT": 4, "CABLE": 2}


def test_fractional_quantities_in_a_workbook_are_errors(shop: Any) -> None:
    rows = upload.read_upload(xlsx_file([["sku", "quantity"], ["BOLT", 2.5]]))
    assert rows == [(2, "BOLT", "2.5")]


@pytest.mark.parametrize(
    "file, message",
    [
        (csv_file("article,qty\nBOLT,1\n"), "must name the columns sku and quantity"),
        (csv_file(""), "file is empty."),
        (csv_file("sku,quantity\n"), "no rows below the header"),
        (csv_file("sku,quantity\nBÖLT,1\n", encoding="latin-1"), "must be UTF-8"),
        (csv_file("x" * (1024 * 1024 + 1)), "larger than 1 MB"),
        (csv_file("PK\x03\x04 broken zip", name="order.xlsx"), "cannot be read"),
        (csv_file("sku,quantity\n" + "BOLT,1\n" * 1001), "more than 1000 rows"),
    ],
)
def test_bad_files_get_a_clear_message_and_add_nothing(shop: Any, file: Any, message: str) -> None:
    client = client_for(shop.ch.buyer)
    response = check(client, file)
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html and "Nothing was added." in html
    assert 'name="token"' not in html
    assert not CartLine.objects.exists()


def test_a_tampered_or_missing_token_adds_nothing(shop: Any) -> None:
    client = client_for(shop.ch.buyer)
    html = check(client, csv_file("sku,quantity\nBOLT,1\n")).content.decode()
    token = token_of(html)
    forged = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    response = client.post("/shop/quick-order/upload/confirm/", {"token": forged}, follow=True)
    assert "upload the file again" in response.content.decode()
    client.post("/shop/quick-order/upload/confirm/", {})
    assert not CartLine.objects.exists()


def test_exactly_a_thousand_rows_are_accepted(shop: Any) -> None:
    rows = upload.read_upload(csv_file("sku,quantity\n" + "BOLT,1\n" * 1000))
    assert len(rows) == 1000


def test_checking_many_rows_costs_a_fixed_number_of_queries(
    shop: Any, django_assert_max_num_queries: Any
) -> None:
    from magpie_catalog.models import Product, StockLevel, Variant
    from magpie_checkout import quickorder

    products = Product.objects.bulk_create(
        Product(sku=f"P-{i:03d}", name_de="x", status="active") for i in range(300)
    )
    StockLevel.objects.bulk_create(
        StockLevel(product=p, warehouse=shop.warehouse, on_hand=5) for p in products
    )
    Variant.objects.create(product=products[0], sku="P-000-RED")
    rows = [(n + 2, f"p-{n:03d}", "7") for n in range(300)] + [(400, "P-000-RED", "1")]
    with django_assert_max_num_queries(3):
        report = quickorder.check_rows(rows)
    assert report.all_valid and len(report.rows) == 301
    assert {row.available for row in report.rows[:300]} == {5}
    assert report.rows[0].status == "warning" and report.rows[-1].variant.sku == "P-000-RED"
