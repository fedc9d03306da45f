"""Steps of ``bench/checkout.py``, each run in its own process against one database.

``python bench/_checkout_steps.py STEP WORKDIR`` with ``DATABASE_URL`` set; prints one JSON
line ``RESULT={...}``.

* ``setup``: a catalog of ``BENCH_CHECKOUT_PRODUCTS`` products (``bulk_create``) with a CHF
  price list and stock (one million units each; the scarce product ``SCARCE-1`` has
  ``BENCH_CHECKOUT_SCARCE`` units), and one company per client with a buyer, a billing and a
  shipping address and a cart; writes ``setup.json``.
* ``load``: ``BENCH_CHECKOUT_CLIENTS`` concurrent clients (threads of this process) against
  a server of ``BENCH_CHECKOUT_WORKERS`` worker processes (a process pool, each worker with
  its own database connection, one request at a time, as gunicorn runs the shop). Each
  client, ``BENCH_CHECKOUT_ORDERS`` times: asks the server to fill its cart with 5 lines
  (after a refusal, emptying it first), then to place the order —
  :func:`magpie_checkout.placement.place_order` through the ORM, no HTTP — and waits for
  the answer; its latency includes the wait for a free worker. A client's first order and
  a share of the others hold one unit of the scarce product; a share of the orders is
  submitted twice at once with the same idempotency key, and both answers must name the
  same order.
* ``verify``: what the database says afterwards — units of the scarce product sold and
  reserved, oversold rows, orders, distinct idempotency keys, and whether the order numbers
  are gap-free.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import sys
import threading
import time
import uuid
from decimal import Decimal
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "magpie.settings.dev")
os.environ.setdefault("DEBUG", "0")  # DEBUG keeps every query in memory

import django  # noqa: E402

django.setup()

from django.db import transaction  # noqa: E402

PRODUCTS = int(os.environ.get("BENCH_CHECKOUT_PRODUCTS", "1000"))
SCARCE = int(os.environ.get("BENCH_CHECKOUT_SCARCE", "50"))
CLIENTS = int(os.environ.get("BENCH_CHECKOUT_CLIENTS", "200"))
WORKERS = int(os.environ.get("BENCH_CHECKOUT_WORKERS", str((os.cpu_count() or 2) + 1)))
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


# -- load: the server's worker processes ---------------------------------------------------

_objects: dict[int, tuple[object, object, object, object]] = {}


def _start_worker(work: str) -> None:
    """A server worker's start: connect and load every client's user, cart and addresses
    (a web request would find them through the session; not part of what is measured)."""
    from django.contrib.auth import get_user_model
    from django.db import connection as db

    from magpie_checkout.models import Address, Cart

    clients = json.loads((Path(work) / "setup.json").read_text(encoding="utf-8"))["clients"]
    users = get_user_model().objects.in_bulk([c["user"] for c in clients])
    carts = Cart.objects.select_related("company").in_bulk([c["cart"] for c in clients])
    addresses = Address.objects.in_bulk([c[k] for c in clients for k in ("billing", "shipping")])
    for index, c in enumerate(clients):
        billing, shipping = addresses[c["billing"]], addresses[c["shipping"]]
        _objects[index] = (users[c["user"]], carts[uuid.UUID(c["cart"])], billing, shipping)
    db.ensure_connection()


def _started() -> int:
    time.sleep(0.5)  # one of these per worker: all of them are running before the clients
    return os.getpid()


def _refill(index: int, chosen: list[int], scarce: int, emptied: bool) -> float:
    """Put ``chosen`` in the client's cart (emptying it first if a refusal left it full);
    returns the CPU seconds it took."""
    from magpie_checkout.models import CartLine

    cpu = time.process_time()
    cart = _objects[index][1]
    if not emptied:
        CartLine.objects.filter(cart=cart).delete()
    CartLine.objects.bulk_create(
        CartLine(cart=cart, product_id=pk, quantity=1 if pk == scarce else 2) for pk in chosen
    )
    return time.process_time() - cpu


def _place(index: int, key: str) -> tuple[str, object, float, float]:
    """Place the client's cart: (outcome, order id or refusal, seconds, CPU seconds)."""
    from magpie_checkout.placement import OrderError, place_order

    user, cart, billing, shipping = _objects[index]
    cpu, began = time.process_time(), time.perf_counter()
    try:
        result: object = place_order(
            cart,
            user=user,
            shipping_method="flat_rate",
            payment_method="prepayment",
            billing_address=billing,
            shipping_address=shipping,
            terms_accepted=True,
            idempotency_key=key,
        ).pk
        outcome = "placed"
    except OrderError as error:
        result = ["refused", error.messages[0][:200]]
        outcome = "refused_sold_out" if SCARCE_SKU in error.messages[0] else "refused_other"
    except Exception as error:  # reported, never hidden
        result, outcome = ["error", repr(error)[:300]], "errors"
    return outcome, result, time.perf_counter() - began, time.process_time() - cpu


# -- load: the clients -----------------------------------------------------------------------


def _cpu_busy() -> tuple[float, float]:
    """(busy, total) jiffies of all CPUs from /proc/stat (Linux; zeros elsewhere)."""
    try:
        fields = [float(x) for x in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    except (OSError, ValueError):
        return (0.0, 0.0)
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0.0)
    return (sum(fields) - idle, sum(fields))


def load(work: Path) -> dict[str, object]:
    """CLIENTS concurrent clients (threads) against WORKERS server processes.

    Each client places ORDERS orders, one after the other: it asks the server to fill its
    cart, then to place the order, and waits for the answer. The server runs the requests
    in its worker processes, one at a time each — as a WSGI server such as gunicorn runs
    the shop — so requests wait for a free worker, and that wait is part of the latency.
    """
    from concurrent.futures import ProcessPoolExecutor

    setup_data = json.loads((work / "setup.json").read_text(encoding="utf-8"))
    products, scarce = setup_data["products"], setup_data["scarce"]
    clients = len(setup_data["clients"])
    latencies: list[float] = []
    service: list[float] = []
    counts = {"placed": 0, "refused_sold_out": 0, "refused_other": 0, "errors": 0}
    doubles = {"submitted": 0, "same_order": 0, "different": 0}
    cpu = {"place": 0.0, "refill": 0.0}
    lock = threading.Lock()
    messages: list[str] = []
    context = multiprocessing.get_context("spawn")  # no fork of a process with threads
    with ProcessPoolExecutor(
        WORKERS, mp_context=context, initializer=_start_worker, initargs=(str(work),)
    ) as server:
        pids = {future.result() for future in [server.submit(_started) for _ in range(WORKERS)]}
        gate = threading.Barrier(clients + 1)

        def client(index: int) -> None:
            rng = random.Random(index)
            emptied = True  # a placed order empties the cart; a refused one leaves it full
            gate.wait()
            for n in range(ORDERS):
                chosen = rng.sample(products, LINES)
                if n == 0 or rng.random() < SCARCE_SHARE:
                    chosen[0] = scarce
                refill_cpu = server.submit(_refill, index, chosen, scarce, emptied).result()
                key = f"c{index}-o{n}"
                twice = rng.random() < DOUBLE_SHARE
                began = time.perf_counter()
                futures = [server.submit(_place, index, key) for _ in range(2 if twice else 1)]
                answers = [future.result() for future in futures]
                elapsed = time.perf_counter() - began
                outcome, result, seconds, place_cpu = answers[0]
                emptied = outcome == "placed"
                with lock:
                    latencies.append(elapsed)
                    service.append(seconds)
                    counts[outcome] += 1
                    cpu["refill"] += refill_cpu
                    cpu["place"] += sum(answer[3] for answer in answers)
                    if outcome in ("refused_other", "errors"):
                        messages.append(str(result)[:300])
                    if twice:
                        doubles["submitted"] += 1
                        other = answers[1][1]
                        same = other == result or (
                            isinstance(result, list) and isinstance(other, list)
                        )
                        doubles["same_order" if same else "different"] += 1
                        if not same:
                            messages.append(f"double submit {key}: {result} vs {other}")

        threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
        for thread in threads:
            thread.start()
        gate.wait()  # every client is ready: go
        busy_before, began = _cpu_busy(), time.perf_counter()
        for thread in threads:
            thread.join()
        span, busy_after = time.perf_counter() - began, _cpu_busy()
    total = busy_after[1] - busy_before[1]
    return {
        "workers": len(pids),
        "clients": clients,
        "seconds": round(span, 2),
        "counts": counts,
        "latencies": [round(x, 5) for x in latencies],
        "service": [round(x, 5) for x in service],
        "doubles": doubles,
        "cpu_seconds": {key: round(value, 2) for key, value in cpu.items()},
        "machine_cpu_busy_share": round((busy_after[0] - busy_before[0]) / total, 2)
        if total > 0
        else None,
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
