"""Steps of ``bench/checkout.py``, each run in its own process against one database.

``python bench/_checkout_steps.py STEP WORKDIR`` with ``DATABASE_URL`` set; prints one JSON
line ``RESULT={...}``.

* ``setup``: a catalog of ``BENCH_CHECKOUT_PRODUCTS`` products (``bulk_create``) with a CHF
  price list and stock (one million units each; the scarce product ``SCARCE-1`` has
  ``BENCH_CHECKOUT_SCARCE`` units), and one company per client with a buyer, a billing and a
  shipping address and a cart; writes ``setup.json``.
* ``load``: one worker process — ``BENCH_CHECKOUT_THREADS`` clients (threads, each with its
  own database connection), released at ``BENCH_CHECKOUT_START_AT``; each fills its cart
  with 5 lines (after a refusal, emptying it first) and calls
  :func:`magpie_checkout.placement.place_order` directly through the
  ORM (no HTTP: the shop's checkout view is not part of this step), ``BENCH_CHECKOUT_ORDERS``
  times. A client's first order and a share of the others hold one unit of the scarce
  product; a share of the orders is submitted twice at once with the same idempotency key
  (a second thread), and both answers must name the same order.
* ``verify``: what the database says afterwards — units of the scarce product sold and
  reserved, oversold rows, orders, distinct idempotency keys, and whether the order numbers
  are gap-free.
"""

from __future__ import annotations

import json
import os
import random
import sys
import threading
import time
from decimal import Decimal
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "magpie.settings.dev")
os.environ.setdefault("DEBUG", "0")  # DEBUG keeps every query in memory

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402

PRODUCTS = int(os.environ.get("BENCH_CHECKOUT_PRODUCTS", "1000"))
SCARCE = int(os.environ.get("BENCH_CHECKOUT_SCARCE", "50"))
CLIENTS = int(os.environ.get("BENCH_CHECKOUT_CLIENTS", "200"))
THREADS = int(os.environ.get("BENCH_CHECKOUT_THREADS", "50"))
ORDERS = int(os.environ.get("BENCH_CHECKOUT_ORDERS", "10"))
SCARCE_SHARE = float(os.environ.get("BENCH_CHECKOUT_SCARCE_SHARE", "0.2"))
DOUBLE_SHARE = float(os.environ.get("BENCH_CHECKOUT_DOUBLE_SHARE", "0.1"))
LINES = 5
SCARCE_SKU = "SCARCE-1"


def setup(work: Path) -> dict[str, object]:
    """Catalog, companies, buyers, addresses and carts, all with ``bulk_create``."""
    from django.contrib.auth import get_user_model
    from wagtail.models import Site

    from magpie.people.models import Company
    from magpie_catalog.models import PriceEntry, PriceList, Product, StockLevel, Warehouse
    from magpie_checkout.models import Address, Cart, CompanyMember

    started = time.perf_counter()
    site = Site.objects.get(is_default_site=True)
    with transaction.atomic():
        warehouse = Warehouse.objects.create(code="main", name="Main", lead_time_days=1)
        prices = PriceList.objects.create(code="public-chf", name="Public CHF", currency="CHF")
        products = Product.objects.bulk_create(
            Product(
                sku=SCARCE_SKU if i == 0 else f"P-{i:05d}",
                name_de=f"Produkt {i}",
                name_en=f"Product {i}",
                status="active",
                weight_kg=Decimal("0.250"),
            )
            for i in range(PRODUCTS)
        )
        PriceEntry.objects.bulk_create(
            PriceEntry(price_list=prices, product=p, amount=Decimal(10 + i % 90) + Decimal("0.5"))
            for i, p in enumerate(products)
        )
        StockLevel.objects.bulk_create(
            StockLevel(
                product=p, warehouse=warehouse, on_hand=SCARCE if p.sku == SCARCE_SKU else 10**6
            )
            for p in products
        )
        companies = Company.objects.bulk_create(
            Company(name=f"Kunde {i} AG", country="CH", currency="CHF") for i in range(CLIENTS)
        )
        users = get_user_model().objects.bulk_create(
            get_user_model()(
                username=f"buyer{i}@kunde{i}.example",
                email=f"buyer{i}@kunde{i}.example",
                password="!",
                first_name="Buyer",
                last_name=str(i),
            )
            for i in range(CLIENTS)
        )
        CompanyMember.objects.bulk_create(
            CompanyMember(company=c, user=u, role="buyer")
            for c, u in zip(companies, users, strict=True)
        )
        addresses = Address.objects.bulk_create(
            Address(
                company=c,
                kind=kind,
                company_name=c.name,
                street="Bahnhofstrasse 1",
                postal_code="8001",
                city="Zürich",
                country="CH",
                is_default=True,
            )  # fmt: skip
            for c in companies
            for kind in ("billing", "shipping")
        )
        carts = Cart.objects.bulk_create(
            Cart(site=site, user=u, company=c, currency="CHF")
            for c, u in zip(companies, users, strict=True)
        )
    clients = [
        {
            "user": users[i].pk,
            "company": companies[i].pk,
            "cart": str(carts[i].pk),
            "billing": addresses[2 * i].pk,
            "shipping": addresses[2 * i + 1].pk,
        }
        for i in range(CLIENTS)
    ]
    (work / "setup.json").write_text(
        json.dumps(
            {
                "clients": clients,
                "products": [p.pk for p in products[1:]],
                "scarce": products[0].pk,
            }
        ),
        encoding="utf-8",
    )
    return {
        "products": PRODUCTS,
        "clients": CLIENTS,
        "scarce_units": SCARCE,
        "seconds": round(time.perf_counter() - started, 1),
    }


def load(work: Path) -> dict[str, object]:
    """One worker process: THREADS clients placing ORDERS orders each."""
    from django.contrib.auth import get_user_model

    from magpie_checkout.models import Address, Cart, CartLine
    from magpie_checkout.placement import OrderError, place_order

    setup_data = json.loads((work / "setup.json").read_text(encoding="utf-8"))
    worker = int(os.environ["BENCH_CHECKOUT_WORKER"])
    mine = setup_data["clients"][worker * THREADS : (worker + 1) * THREADS]
    products, scarce = setup_data["products"], setup_data["scarce"]
    start_at = float(os.environ.get("BENCH_CHECKOUT_START_AT", "0"))
    latencies: list[float] = []
    counts = {"placed": 0, "refused_sold_out": 0, "refused_other": 0, "errors": 0}
    doubles = {"submitted": 0, "same_order": 0, "different": 0}
    lock = threading.Lock()
    messages: list[str] = []

    def client(index: int, spec: dict[str, object]) -> None:
        rng = random.Random(worker * 10_000 + index)
        try:
            user = get_user_model().objects.get(pk=spec["user"])
            cart = Cart.objects.select_related("company").get(pk=spec["cart"])
            billing = Address.objects.get(pk=spec["billing"])
            shipping = Address.objects.get(pk=spec["shipping"])
            while time.time() < start_at:
                time.sleep(0.01)
            emptied = True  # a placed order empties the cart; a refused one leaves it full
            for n in range(ORDERS):
                chosen = rng.sample(products, LINES)
                if n == 0 or rng.random() < SCARCE_SHARE:
                    chosen[0] = scarce
                if not emptied:
                    CartLine.objects.filter(cart=cart).delete()
                CartLine.objects.bulk_create(
                    CartLine(cart=cart, product_id=pk, quantity=1 if pk == scarce else 2)
                    for pk in chosen
                )
                key = f"w{worker}-c{index}-o{n}"
                kwargs = {
                    "user": user,
                    "shipping_method": "flat_rate",
                    "payment_method": "prepayment",
                    "billing_address": billing,
                    "shipping_address": shipping,
                    "terms_accepted": True,
                    "idempotency_key": key,
                }
                second: dict[str, object] = {}
                helper = None
                if rng.random() < DOUBLE_SHARE:
                    gate = threading.Barrier(2)

                    def again(gate: threading.Barrier = gate, box: dict = second) -> None:
                        try:
                            gate.wait()
                            box["result"] = place_order(cart, **kwargs).pk  # noqa: B023
                        except OrderError as error:
                            box["result"] = ("refused", error.messages[0][:80])
                        except Exception as error:  # reported, never hidden
                            box["result"] = ("error", repr(error)[:200])
                        finally:
                            connection.close()

                    helper = threading.Thread(target=again)
                    helper.start()
                    gate.wait()
                began = time.perf_counter()
                try:
                    result: object = place_order(cart, **kwargs).pk
                    outcome = "placed"
                except OrderError as error:
                    result = ("refused", error.messages[0][:80])
                    outcome = (
                        "refused_sold_out" if SCARCE_SKU in error.messages[0] else "refused_other"
                    )
                    if outcome == "refused_other":
                        with lock:
                            messages.append(error.messages[0][:200])
                elapsed = time.perf_counter() - began
                emptied = outcome == "placed"
                if helper is not None:
                    helper.join()
                with lock:
                    latencies.append(elapsed)
                    counts[outcome] += 1
                    if helper is not None:
                        doubles["submitted"] += 1
                        same = second.get("result") == result or (
                            isinstance(result, tuple) and isinstance(second.get("result"), tuple)
                        )
                        doubles["same_order" if same else "different"] += 1
                        if not same:
                            messages.append(f"double submit {key}: {result} vs {second}")
        except Exception as error:
            with lock:
                counts["errors"] += 1
                messages.append(repr(error)[:300])
        finally:
            connection.close()

    threads = [threading.Thread(target=client, args=(i, spec)) for i, spec in enumerate(mine)]
    cpu_before = time.process_time()
    began = time.time()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {
        "worker": worker,
        "clients": len(mine),
        "began": max(began, start_at),
        "ended": time.time(),
        "cpu_seconds": round(time.process_time() - cpu_before, 2),
        "latencies": [round(x, 5) for x in latencies],
        "counts": counts,
        "doubles": doubles,
        "messages": messages[:20],
    }


def verify(work: Path) -> dict[str, object]:
    """Stock of the scarce product, oversold rows, orders and their numbers."""
    from django.db.models import Count, F, Max, Sum

    from magpie_catalog.models import StockLevel
    from magpie_checkout.models import NumberSequence, Order, OrderLine, StockReservation

    setup_data = json.loads((work / "setup.json").read_text(encoding="utf-8"))
    scarce = StockLevel.objects.get(product_id=setup_data["scarce"])
    sold = (
        OrderLine.objects.filter(product_id=setup_data["scarce"]).aggregate(n=Sum("quantity"))["n"]
        or 0
    )
    orders = Order.objects.count()
    keys = Order.objects.values("company", "idempotency_key").distinct().count()
    per_key = (
        Order.objects.values("company", "idempotency_key")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
        .count()
    )
    last = NumberSequence.objects.aggregate(last=Max("last"))["last"] or 0
    numbers = sorted(int(n.split("-")[1]) for n in Order.objects.values_list("number", flat=True))
    reserved_total = StockReservation.objects.aggregate(n=Sum("quantity"))["n"] or 0
    lines_total = OrderLine.objects.aggregate(n=Sum("quantity"))["n"] or 0
    return {
        "scarce_on_hand": scarce.on_hand,
        "scarce_reserved": scarce.reserved,
        "scarce_units_sold": sold,
        "oversold_units": max(0, sold - scarce.on_hand),
        "rows_reserved_above_on_hand": StockLevel.objects.filter(reserved__gt=F("on_hand")).count(),
        "orders": orders,
        "distinct_keys": keys,
        "keys_with_more_than_one_order": per_key,
        "numbers_gap_free": numbers == list(range(1, orders + 1)) and last == orders,
        "reserved_units_match_lines": reserved_total == lines_total,
    }


STEPS = {"setup": setup, "load": load, "verify": verify}

if __name__ == "__main__":
    step, workdir = sys.argv[1], Path(sys.argv[2])
    result = STEPS[step](workdir)
    print("RESULT=" + json.dumps(result))
