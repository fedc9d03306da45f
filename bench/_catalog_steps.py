"""Steps of ``bench/catalog.py``, each run in its own process against one database.

``python bench/_catalog_steps.py STEP WORKDIR`` with ``DATABASE_URL`` set; prints one JSON
line ``RESULT={...}`` with the step's seconds and the process's peak resident memory.
"""

from __future__ import annotations

import csv
import json
import os
import random
import resource
import sys
import time
from decimal import Decimal
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "magpie.settings.dev")
os.environ.setdefault("DEBUG", "0")  # DEBUG keeps every query in memory
os.environ["MAGPIE_PAGE_CACHE_SECONDS"] = "0"  # measure rendering, not the cache

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402

PRODUCTS = int(os.environ.get("BENCH_PRODUCTS", "100000"))
LEAVES = [
    ("antriebe", ["motoren", "umrichter", "bremsen"]),
    ("lager", ["kugel", "rollen", "gleit"]),
]
CHOICES = {"material": ["steel", "stainless", "brass", "polymer"], "ip": ["ip54", "ip55", "ip65"]}
NUMBERS = ["power", "voltage", "speed", "bore", "outer", "width", "weight_net", "torque",
           "temperature", "efficiency"]  # fmt: skip
ATTRIBUTES = (
    [(code, "number", "") for code in NUMBERS]
    + [(code, "choice", "") for code in CHOICES]
    + [("atex", "boolean", ""), ("standard", "text", ""), ("since", "date", "")]
)  # 15 attributes
HEADER = [
    "sku", "name_de", "name_en", "short_description_de", "short_description_en",
    "description_de", "description_en", "brand", "status", "categories", "weight_kg",
    "lead_time_days", *[f"attr:{code}" for code, _kind, _unit in ATTRIBUTES],
]  # fmt: skip


def peak_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def setup(work: Path) -> dict[str, object]:
    """Attribute definitions, categories with attribute sets, two price lists, a warehouse,
    a catalog page; and the CSV files of products, prices and stock."""
    from wagtail.models import Page, Site

    from magpie_catalog.models import (
        Attribute,
        AttributeOption,
        Category,
        CategoryAttribute,
        PriceList,
        Warehouse,
    )
    from magpie_catalog.pages import CatalogPage

    with transaction.atomic():
        for position, (code, kind, unit) in enumerate(ATTRIBUTES):
            attribute = Attribute.objects.create(
                code=code, label_de=code.title(), label_en=code.title(), type=kind,
                unit=unit, position=position,
            )  # fmt: skip
            for option in CHOICES.get(code, []):
                AttributeOption.objects.create(attribute=attribute, code=option, label_de=option)
        everything = Category.add_root(name_de="Alle Produkte", name_en="All products", slug="alle")
        for slug, children in LEAVES:
            parent = everything.add_child(name_de=slug.title(), slug=slug)
            parent = Category.objects.get(pk=parent.pk)
            for child in children:
                leaf = parent.add_child(name_de=child.title(), slug=child)
                for code in ("power", "material", "ip", "atex"):
                    CategoryAttribute.objects.create(
                        category=leaf, attribute=Attribute.objects.get(code=code), required=True
                    )
                parent = Category.objects.get(pk=parent.pk)
        PriceList.objects.create(code="list-chf", name="Liste CHF", currency="CHF")
        PriceList.objects.create(code="list-eur", name="List EUR", currency="EUR")
        Warehouse.objects.create(code="thun", name="Thun")
        site = Site.objects.get(is_default_site=True)
        root = Page.objects.get(pk=site.root_page_id)
        catalog = root.add_child(instance=CatalogPage(title="Katalog", slug="katalog"))
    leaves = [child for _slug, children in LEAVES for child in children]
    rng = random.Random(7)
    with (
        (work / "products.csv").open("w", newline="", encoding="utf-8") as products,
        (work / "prices.csv").open("w", newline="", encoding="utf-8") as prices,
        (work / "stock.csv").open("w", newline="", encoding="utf-8") as stock,
    ):
        p, q, s = csv.writer(products), csv.writer(prices), csv.writer(stock)
        p.writerow(HEADER)
        q.writerow(["price_list", "sku", "min_quantity", "amount", "currency"])
        s.writerow(["warehouse", "sku", "on_hand", "reserved"])
        for n in range(PRODUCTS):
            sku = f"BX-{n:06d}"
            values = [rng.randint(1, 900) for _ in NUMBERS]
            values += [rng.choice(CHOICES[code]) for code in CHOICES]
            values += [rng.choice(["true", "false"]), f"DIN {rng.randint(100, 999)}", "2024-05-01"]
            p.writerow(
                [
                    sku, f"Produkt {n}", f"Product {n}", "Kurzbeschreibung", "Short description",
                    "<p>Beschreibung</p>", "<p>Description</p>", f"Marke {n % 20}", "active",
                    rng.choice(leaves), f"{rng.randint(1, 5000) / 100}", rng.randint(0, 30),
                    *values,
                ]
            )  # fmt: skip
            amount = Decimal(rng.randint(500, 500000)) / 100
            q.writerow(["list-chf", sku, 1, amount, "CHF"])
            q.writerow(
                ["list-eur", sku, 1, (amount * Decimal("1.05")).quantize(Decimal("0.01")), "EUR"]
            )
            on_hand = rng.randint(0, 100)
            s.writerow(["thun", sku, on_hand, rng.randint(0, on_hand)])
    return {"catalog_url": catalog.url, "products": PRODUCTS}


def baseline(work: Path) -> dict[str, object]:
    """The same rows with plain ``bulk_create`` (no validation, no upsert)."""
    from magpie_catalog.models import (
        Brand,
        Category,
        PriceEntry,
        PriceList,
        Product,
        StockLevel,
        Warehouse,
    )

    started = time.perf_counter()
    categories = dict(Category.objects.values_list("slug", "pk"))
    brands: dict[str, int] = {}
    kinds = {code: kind for code, kind, _unit in ATTRIBUTES}
    through = Product.categories.through
    with transaction.atomic():
        with (work / "products.csv").open(encoding="utf-8") as handle:
            rows = csv.DictReader(handle)
            batch: list[tuple[Product, str]] = []

            def flush() -> None:
                created = Product.objects.bulk_create([product for product, _ in batch])
                through.objects.bulk_create(
                    through(product_id=product.pk, category_id=categories[slug])
                    for product, (_, slug) in zip(created, batch, strict=True)
                )
                batch.clear()

            for row in rows:
                if row["brand"] not in brands:
                    brands[row["brand"]] = Brand.objects.create(
                        name=row["brand"], slug=row["brand"].lower().replace(" ", "-")
                    ).pk
                attributes = {}
                for code, kind in kinds.items():
                    raw = row[f"attr:{code}"]
                    attributes[code] = (
                        float(raw)
                        if kind == "number"
                        else raw == "true"
                        if kind == "boolean"
                        else raw
                    )
                product = Product(
                    sku=row["sku"], name_de=row["name_de"], name_en=row["name_en"],
                    short_description_de=row["short_description_de"],
                    short_description_en=row["short_description_en"],
                    description_de=row["description_de"], description_en=row["description_en"],
                    brand_id=brands[row["brand"]], status=row["status"],
                    weight_kg=Decimal(row["weight_kg"]), lead_time_days=int(row["lead_time_days"]),
                    attributes=attributes,
                )  # fmt: skip
                batch.append((product, row["categories"]))
                if len(batch) == 2000:
                    flush()
            if batch:
                flush()
        ids = dict(Product.objects.values_list("sku", "pk"))
        lists = dict(PriceList.objects.values_list("code", "pk"))
        with (work / "prices.csv").open(encoding="utf-8") as handle:
            PriceEntry.objects.bulk_create(
                (
                    PriceEntry(
                        price_list_id=lists[row["price_list"]],
                        product_id=ids[row["sku"]],
                        min_quantity=int(row["min_quantity"]),
                        amount=Decimal(row["amount"]),
                    )  # fmt: skip
                    for row in csv.DictReader(handle)
                ),
                batch_size=2000,
            )
        warehouses = dict(Warehouse.objects.values_list("code", "pk"))
        with (work / "stock.csv").open(encoding="utf-8") as handle:
            StockLevel.objects.bulk_create(
                (
                    StockLevel(
                        warehouse_id=warehouses[row["warehouse"]],
                        product_id=ids[row["sku"]],
                        on_hand=int(row["on_hand"]),
                        reserved=int(row["reserved"]),
                    )  # fmt: skip
                    for row in csv.DictReader(handle)
                ),
                batch_size=2000,
            )
    return {"seconds": round(time.perf_counter() - started, 2), "rows": PRODUCTS}


def import_(work: Path) -> dict[str, object]:
    """The real import, one file after the other as ``magpie manage import_products`` takes
    them: validation, upsert, categories, completeness, events; each file one transaction."""
    from magpie_catalog.importing import import_book, read_path

    started = time.perf_counter()
    seconds = {}
    for kind in ("products", "prices", "stock"):
        began = time.perf_counter()
        report = import_book(read_path(work / f"{kind}.csv", kind))
        if not report.ok:
            raise SystemExit("import failed: " + "; ".join(str(p) for p in report.errors[:5]))
        seconds[kind] = round(time.perf_counter() - began, 2)
    return {
        "seconds": round(time.perf_counter() - started, 2),
        "rows": PRODUCTS,
        "by_file": seconds,
    }


def listing(work: Path) -> dict[str, object]:
    """Render category listings over every product (page cache off): p50/p95 in ms."""
    from django.test import Client

    from magpie_catalog.models import Category

    url = json.loads((work / "setup.json").read_text())["catalog_url"] + "alle/"
    assert Category.objects.filter(slug="alle").exists()
    client = Client(HTTP_HOST="localhost")
    variants = ["", "?sort=price", "?sort=name", "?page=3", "?sort=newest", "?f.material=steel"]
    status = client.get(url).status_code
    if status != 200:
        raise SystemExit(f"GET {url} answered {status}")
    for variant in variants:  # warm up
        client.get(url + variant)
    timings = []
    for i in range(int(os.environ.get("BENCH_LISTING_REQUESTS", "120"))):
        started = time.perf_counter()
        response = client.get(url + variants[i % len(variants)])
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    timings.sort()
    queries = connection.queries_log  # empty unless DEBUG; kept for symmetry
    return {
        "url": url,
        "requests": len(timings),
        "p50_ms": round(timings[len(timings) // 2], 1),
        "p95_ms": round(timings[int(len(timings) * 0.95) - 1], 1),
        "max_ms": round(timings[-1], 1),
        "queries_logged": len(queries),
    }


STEPS = {"setup": setup, "baseline": baseline, "import": import_, "listing": listing}

if __name__ == "__main__":
    step, workdir = sys.argv[1], Path(sys.argv[2])
    result = STEPS[step](workdir)
    result["peak_mb"] = peak_mb()
    if step == "setup":
        (workdir / "setup.json").write_text(json.dumps(result))
    print("RESULT=" + json.dumps(result), flush=True)
