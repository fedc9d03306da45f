"""Small factories for catalog tests: a bilingual site with a catalog page, and products.

``catalog_page`` builds the site (German home as root, its English translation, a
:class:`~magpie_catalog.pages.CatalogPage` in both languages); ``make_product`` and friends
create catalog rows with sensible defaults.
"""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest


def make_png(
    color: tuple[int, int, int] = (200, 30, 40), size: tuple[int, int] = (60, 40)
) -> bytes:
    """A small PNG image."""
    from PIL import Image as PILImage

    buffer = io.BytesIO()
    PILImage.new("RGB", size, color).save(buffer, format="PNG")
    return buffer.getvalue()


def make_image(title: str = "Product photo") -> Any:
    """A Wagtail image with a generated PNG file."""
    from django.core.files.images import ImageFile
    from wagtail.images import get_image_model

    image = get_image_model()(title=title)
    image.file = ImageFile(io.BytesIO(make_png()), name=f"{title.lower().replace(' ', '-')}.png")
    image.save()
    return image


def make_document(title: str = "Datasheet") -> Any:
    """A Wagtail document with a tiny PDF-like file."""
    from django.core.files.base import ContentFile
    from wagtail.documents import get_document_model

    document = get_document_model()(title=title)
    document.file.save(f"{title.lower().replace(' ', '-')}.pdf", ContentFile(b"%PDF-1.4\n%%EOF\n"))
    return document


def make_category(slug: str, name_de: str, name_en: str = "", parent: Any = None, **fields: Any):
    """A category at the root of the tree or below ``parent``."""
    from magpie_catalog.models import Category

    values = {"slug": slug, "name_de": name_de, "name_en": name_en, **fields}
    if parent is None:
        return Category.add_root(**values)
    return Category.objects.get(pk=parent.pk).add_child(**values)


def make_attribute(code: str, type: str, label_de: str, label_en: str = "", **fields: Any):
    """An attribute; ``options=[(code, de, en), …]`` adds choice options."""
    from magpie_catalog.models import Attribute, AttributeOption

    options = fields.pop("options", [])
    attribute = Attribute.objects.create(
        code=code, type=type, label_de=label_de, label_en=label_en or label_de, **fields
    )
    for position, (option_code, de, en) in enumerate(options):
        AttributeOption.objects.create(
            attribute=attribute, code=option_code, label_de=de, label_en=en, position=position
        )
    return attribute


def make_product(sku: str, name_de: str = "", *, categories: Any = (), **fields: Any):
    """An active product (unless ``status`` says otherwise) in ``categories``."""
    from magpie_catalog.models import Product

    fields.setdefault("status", Product.Status.ACTIVE)
    fields.setdefault("name_en", f"{name_de or sku} (en)")
    product = Product.objects.create(sku=sku, name_de=name_de or sku, **fields)
    if categories:
        product.categories.set(categories)
    return product


def make_price_list(code: str = "public-chf", *, currency: str = "CHF", **fields: Any):
    """A price list, for everyone unless told otherwise."""
    from magpie_catalog.models import PriceList

    fields.setdefault("name", code)
    return PriceList.objects.create(code=code, currency=currency, **fields)


def set_price(price_list: Any, product: Any, amount: str, min_quantity: int = 1, variant=None):
    """A price entry."""
    from magpie_catalog.models import PriceEntry

    return PriceEntry.objects.create(
        price_list=price_list,
        product=product,
        variant=variant,
        min_quantity=min_quantity,
        amount=Decimal(amount),
    )


def set_stock(product: Any, warehouse: Any, on_hand: int, reserved: int = 0, variant=None):
    """A stock level."""
    from magpie_catalog.models import StockLevel

    return StockLevel.objects.create(
        product=product, warehouse=warehouse, variant=variant, on_hand=on_hand, reserved=reserved
    )


@pytest.fixture
def catalog_media(settings: Any, tmp_path: Path) -> Path:
    """A fresh MEDIA_ROOT (images, renditions, documents)."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


@pytest.fixture
def catalog_page(db: None, catalog_media: Path) -> Any:
    """A live German ``CatalogPage`` at ``/de/katalog/`` with its English translation at
    ``/en/catalog/`` (``catalog_page.english``)."""
    from django.core.cache import cache
    from wagtail.models import Locale

    from magpie.testing.factories import create_home_page, create_site
    from magpie_catalog.pages import CatalogPage

    german, _ = Locale.objects.get_or_create(language_code="de")
    english, _ = Locale.objects.get_or_create(language_code="en")
    home = create_home_page("Start", locale=german)
    create_site(root_page=home, site_name="Testshop")
    home_en = home.copy_for_translation(english, copy_parents=True)
    home_en.title = "Home"
    home_en.save_revision().publish()
    page = CatalogPage(title="Katalog", slug="katalog", locale=german, page_size=24)
    home.add_child(instance=page)
    page.save_revision().publish()
    page_en = page.copy_for_translation(english)
    page_en.title, page_en.slug = "Catalog", "catalog"
    page_en.save_revision().publish()
    page.refresh_from_db()
    page.english = CatalogPage.objects.get(pk=page_en.pk)
    cache.clear()
    return page


@pytest.fixture
def catalog(catalog_page: Any) -> Any:
    """A small catalog below ``catalog_page``.

    Tree: ``antriebe`` (Drives) > ``motoren`` (Motors) and ``getriebe`` (Gearboxes);
    ``pumpen`` (Pumps) beside it. Attributes on ``antriebe``: ``material`` (choice),
    ``colors`` (multiple choice), ``power`` (number, kW), ``atex`` (yes/no). Products
    M-1…M-3 in motors, G-1 in gearboxes, P-1 in pumps, M-DRAFT (draft) in motors. A price
    list for everyone in CHF; stock in one warehouse.
    """
    from types import SimpleNamespace

    from magpie_catalog.models import (
        Brand,
        CategoryAttribute,
        ProductDocument,
        ProductImage,
        ProductRelation,
        Variant,
        Warehouse,
    )

    drives = make_category("antriebe", "Antriebe", "Drives")
    motors = make_category("motoren", "Motoren", "Motors", parent=drives)
    gears = make_category("getriebe", "Getriebe", "Gearboxes", parent=drives)
    pumps = make_category("pumpen", "Pumpen", "Pumps")
    power = make_attribute("power", "number", "Leistung", "Power", unit="kW", position=1)
    material = make_attribute(
        "material",
        "choice",
        "Werkstoff",
        "Material",
        position=2,
        options=[("steel", "Stahl", "Steel"), ("alu", "Aluminium", "Aluminium")],
    )
    colors = make_attribute(
        "colors",
        "multi_choice",
        "Farben",
        "Colours",
        position=3,
        options=[("red", "Rot", "Red"), ("blue", "Blau", "Blue"), ("grey", "Grau", "Grey")],
    )
    atex = make_attribute("atex", "boolean", "ATEX", "ATEX", position=4)
    note = make_attribute("note", "text", "Hinweis", "Note", position=5)
    for attribute in (power, material, colors, atex, note):
        CategoryAttribute.objects.create(category=drives, attribute=attribute)
    acme = Brand.objects.create(name="Acme", slug="acme")
    bolt = Brand.objects.create(name="Bolt", slug="bolt")
    m1 = make_product(
        "M-1",
        "Motor Alpha",
        categories=[motors],
        brand=acme,
        attributes={"power": 0.75, "material": "steel", "colors": ["red", "blue"], "atex": True},
        short_description_de="Kompakter Motor",
        short_description_en="Compact motor",
        description_de="<p>Ein <b>langer</b> Text</p>",
        lead_time_days=10,
    )
    m2 = make_product(
        "M-2",
        "Motor Beta",
        categories=[motors],
        brand=bolt,
        attributes={"power": 2.2, "material": "alu", "colors": ["blue"], "atex": False},
        lead_time_days=14,
    )
    m3 = make_product(
        "M-3",
        "Motor Gamma",
        categories=[motors],
        brand=acme,
        attributes={"power": 5.5, "material": "steel", "colors": ["grey"], "atex": False},
    )
    g1 = make_product(
        "G-1",
        "Getriebe Delta",
        categories=[gears],
        brand=bolt,
        attributes={"material": "steel", "colors": ["red"], "note": "Ölbad"},
    )
    p1 = make_product("P-1", "Pumpe Epsilon", categories=[pumps], attributes={"power": 1.1})
    draft = make_product("M-DRAFT", "Motor Entwurf", categories=[motors], status="draft")
    public = make_price_list("public-chf")
    set_price(public, m1, "120.00")
    set_price(public, m1, "110.00", min_quantity=10)
    set_price(public, m1, "99.50", min_quantity=50)
    set_price(public, m2, "80.00")
    set_price(public, g1, "300.00")
    set_price(public, p1, "55.00")
    warehouse = Warehouse.objects.create(code="main", name="Main", lead_time_days=2)
    set_stock(m1, warehouse, on_hand=5, reserved=1)
    set_stock(m2, warehouse, on_hand=3, reserved=3)  # all reserved: not in stock
    variant_a = Variant.objects.create(product=m1, sku="M-1-S", options={"material": "steel"})
    variant_b = Variant.objects.create(
        product=m1, sku="M-1-A", options={"material": "alu", "size": "L"}, position=1
    )
    set_stock(m1, warehouse, on_hand=2, variant=variant_a)
    ProductImage.objects.create(product=m1, image=make_image("Motor Alpha front"))
    ProductImage.objects.create(product=m1, image=make_image("Motor Alpha side"), position=1)
    ProductDocument.objects.create(product=m1, document=make_document("Datenblatt M-1"))
    ProductRelation.objects.create(product=m1, related=g1, kind="accessory")
    ProductRelation.objects.create(product=m1, related=m2, kind="alternative")
    ProductRelation.objects.create(product=m1, related=draft, kind="spare_part")
    return SimpleNamespace(
        page=catalog_page,
        drives=drives,
        motors=motors,
        gears=gears,
        pumps=pumps,
        attributes={"power": power, "material": material, "colors": colors, "atex": atex},
        brands={"acme": acme, "bolt": bolt},
        products={"M-1": m1, "M-2": m2, "M-3": m3, "G-1": g1, "P-1": p1, "M-DRAFT": draft},
        variants=[variant_a, variant_b],
        price_list=public,
        warehouse=warehouse,
    )


# -- admin screens (tests/catalog/test_admin.py) ----------------------------------------------


@pytest.fixture
def admin_catalog(db: None, catalog_media: Path) -> Any:
    """A small catalog for the admin tests, without pages.

    ``drives`` (root) with the attribute set ``power`` (number, kW, 0–1000, required) and
    ``material`` (choice steel/alu, optional); ``ip`` (text, pattern ``IP\\d\\d``) in no set;
    brand Acme; product ADM-1 in ``drives`` with German texts only and no image.
    """
    from types import SimpleNamespace

    from magpie_catalog.models import Brand, CategoryAttribute

    drives = make_category("admin-drives", "Antriebe", "Drives")
    power = make_attribute(
        "power", "number", "Leistung", "Power", unit="kW", min_value=0, max_value=1000
    )
    material = make_attribute(
        "material",
        "choice",
        "Werkstoff",
        "Material",
        options=[("steel", "Stahl", "Steel"), ("alu", "Aluminium", "Aluminium")],
    )
    ip = make_attribute("ip", "text", "Schutzart", "IP rating", pattern=r"IP\d\d")
    CategoryAttribute.objects.create(category=drives, attribute=power, required=True)
    CategoryAttribute.objects.create(category=drives, attribute=material)
    brand = Brand.objects.create(name="Acme", slug="acme")
    product = make_product(
        "ADM-1",
        "Motor Admin",
        categories=[drives],
        brand=brand,
        name_en="",
        short_description_de="Kurz",
        description_de="<p>Lang</p>",
    )
    return SimpleNamespace(
        drives=drives, power=power, material=material, ip=ip, brand=brand, product=product
    )


@pytest.fixture
def client_for(db: None) -> Any:
    """Log in a new staff user who belongs to the named groups: ``client_for("Pricing")``."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.test import Client

    counter = iter(range(1, 1000))

    def login(*group_names: str) -> Client:
        user = get_user_model().objects.create_user(
            username=f"user{next(counter)}", email="user@example.com", password="pw"
        )
        user.groups.add(*[Group.objects.get(name=name) for name in group_names])
        client = Client()
        client.force_login(user)
        return client

    return login
