"""Catalog admin screens: products with typed attributes, completeness, categories, prices,
stock, and who may do what (product managers, pricing, Wagtail's editors).

Forms are posted as the browser would: the test loads the add/edit page, reads the form's
fields from the HTML and changes a few of them.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from wagtail.test.utils import WagtailTestUtils
from wagtail.test.utils.form_data import querydict_from_html

from magpie_catalog.models import (
    Category,
    CategoryAttribute,
    PriceEntry,
    PriceList,
    Product,
    ProductImage,
    StockLevel,
    Warehouse,
)

from .conftest import make_image, make_price_list, make_product, set_price, set_stock

pytestmark = pytest.mark.django_db


def form_data(response: Any, **changes: Any) -> dict[str, list[str]]:
    """The editor form's current values from ``response`` with ``changes`` applied."""
    assert response.status_code == 200, response.status_code
    html = response.content.decode()
    data = querydict_from_html(html, form_id="w-editor-form")
    values = {
        key: [_as_browser_sends(v) for v in data.getlist(key)]
        for key in data
        if "__prefix__" not in key
    }
    # A checked checkbox without a value attribute is sent as "on" by browsers.
    form = WagtailTestUtils.get_soup(html).find("form", attrs={"id": "w-editor-form"})
    for box in form.find_all("input", type="checkbox", checked=True):
        if "value" not in box.attrs and "__prefix__" not in box.attrs.get("name", ""):
            values[box.attrs["name"]] = ["on"]
    values.setdefault("marketing-count", ["0"])  # the StreamField widget is drawn by JS
    for key, value in changes.items():
        values[key] = [str(v) for v in value] if isinstance(value, list) else [str(value)]
    return values


def _as_browser_sends(value: str) -> str:
    """An empty rich text editor posts ``null`` (Draftail), not a blank paragraph."""
    if value.lstrip().startswith("{") and '"blocks"' in value:
        state = json.loads(value)
        if not any(block.get("text") for block in state["blocks"]):
            return "null"
    return value


def url(viewset: str, view: str, *args: Any) -> str:
    return reverse(f"{viewset}:{view}", args=args)


def edit_product(client: Any, product: Product, **changes: Any) -> Any:
    edit_url = url("magpie_catalog_products", "edit", product.pk)
    return client.post(edit_url, form_data(client.get(edit_url), **changes))


def errors_of(response: Any) -> str:
    """The text of the page, to look for error messages in."""
    return response.content.decode()


def denied(response: Any) -> bool:
    """Wagtail answers a missing permission with 403 or a redirect to the dashboard."""
    return response.status_code == 403 or (
        response.status_code == 302 and response.url.rstrip("/").endswith("/admin")
    )


# -- products -----------------------------------------------------------------------------------


def test_product_list_shows_completeness_columns_and_searches_by_sku(admin_client, admin_catalog):
    make_product("OTHER-9", "Anderes Ding")
    response = admin_client.get(url("magpie_catalog_products", "index"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "ADM-1" in html and "OTHER-9" in html
    assert "Vollständig (de)" in html and "Vollständig (en)" in html
    found = admin_client.get(url("magpie_catalog_products", "index"), {"q": "ADM"})
    assert "ADM-1" in found.content.decode() and "OTHER-9" not in found.content.decode()


def test_superuser_creates_a_product_with_attributes(admin_client, admin_catalog):
    add_url = url("magpie_catalog_products", "add")
    data = form_data(
        admin_client.get(add_url),
        sku="NEW-1",
        name_de="Neuer Motor",
        categories=[admin_catalog.drives.pk],
        brand=admin_catalog.brand.pk,
        status="active",
        **{"attr__power": "0,75 kW", "attr__material": "steel"},
    )
    response = admin_client.post(add_url, data)
    assert response.status_code == 302, errors_of(response)
    product = Product.objects.get(sku="NEW-1")
    assert product.attributes == {"power": 0.75, "material": "steel"}
    assert list(product.categories.all()) == [admin_catalog.drives]
    # Completeness was computed on save: de has a name and the required power, nothing else.
    assert product.completeness_de == 40  # name, power of 5 checks (short, long, image miss)
    assert product.completeness_en == 20  # only power


def test_superuser_edits_attributes_and_completeness_is_recomputed(admin_client, admin_catalog):
    product = admin_catalog.product
    ProductImage.objects.create(product=product, image=make_image())
    response = edit_product(
        admin_client,
        product,
        attr__power="5.5",
        attr__material="alu",
        attributes_extra="ip = IP55",
    )
    assert response.status_code == 302, errors_of(response)
    product.refresh_from_db()
    assert product.attributes == {"power": 5.5, "material": "alu", "ip": "IP55"}
    assert (product.completeness_de, product.completeness_en) == (100, 40)
    # The value set outside the attribute set now has its own (typed) field.
    page = admin_client.get(url("magpie_catalog_products", "edit", product.pk))
    assert 'name="attr__ip"' in page.content.decode()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        # The admin runs in German (LANGUAGE_CODE), so are the attribute messages.
        ({"attr__power": "fast"}, "«fast» ist keine Zahl"),
        ({"attr__power": "2000"}, "2000 liegt über dem Maximum"),
        ({"attr__material": "wood"}, "wood"),
        ({"attributes_extra": "bogus = 1"}, "bogus: unbekannter Attributcode «bogus»"),
        ({"attributes_extra": "ip = waterproof"}, "«waterproof» entspricht nicht dem Muster"),
        ({"attributes_extra": "no equals sign"}, "Bitte im Format Code = Wert angeben"),
    ],
)
def test_invalid_attribute_value_is_a_form_error_and_nothing_is_saved(
    admin_client, admin_catalog, changes, message
):
    product = admin_catalog.product
    before = Product.objects.get(pk=product.pk)
    response = edit_product(admin_client, product, name_de="Umbenannt", **changes)
    assert response.status_code == 200
    assert message in errors_of(response)
    after = Product.objects.get(pk=product.pk)
    assert (after.name_de, after.attributes, after.updated_at) == (
        before.name_de,
        before.attributes,
        before.updated_at,
    )


def test_unknown_attribute_field_in_the_post_is_rejected(admin_client, admin_catalog):
    response = edit_product(admin_client, admin_catalog.product, attr__nonsense="1")
    assert response.status_code == 200
    assert "unbekannter Attributcode «nonsense»" in errors_of(response)
    assert "nonsense" not in Product.objects.get(pk=admin_catalog.product.pk).attributes


def test_edit_view_shows_what_is_missing_per_language(admin_client, admin_catalog):
    update_url = url("magpie_catalog_products", "edit", admin_catalog.product.pk)
    assert edit_product(admin_client, admin_catalog.product).status_code == 302
    html = admin_client.get(update_url).content.decode()
    german = html[html.index('data-language="de"') : html.index('data-language="en"')]
    english = html[html.index('data-language="en"') :].split("</tr>")[0]
    # German texts are there; the image and the required power are missing.
    assert "60 %" in german and "Leistung" in german and "Kurzbeschreibung" not in german
    assert "0 %" in english and "Kurzbeschreibung" in english and "Name" in english


def test_completeness_filter_per_language(admin_client, admin_catalog):
    complete = make_product(
        "FULL-1",
        "Voll",
        name_en="Full",
        categories=[admin_catalog.drives],
        short_description_de="k",
        short_description_en="s",
        description_de="<p>l</p>",
        description_en="<p>l</p>",
        attributes={"power": 1},
    )
    ProductImage.objects.create(product=complete, image=make_image())
    german_only = make_product(
        "DE-1",
        "Nur deutsch",
        name_en="",
        short_description_de="k",
        description_de="<p>l</p>",
    )
    ProductImage.objects.create(product=german_only, image=make_image("b"))
    for product in (complete, german_only):
        assert edit_product(admin_client, product).status_code == 302
    complete.refresh_from_db()
    german_only.refresh_from_db()
    assert (complete.completeness_de, complete.completeness_en) == (100, 100)
    assert (german_only.completeness_de, german_only.completeness_en) == (100, 25)

    def listed(**params: str) -> set[str]:
        html = admin_client.get(url("magpie_catalog_products", "index"), params).content
        return {sku for sku in ("FULL-1", "DE-1", "ADM-1") if sku in html.decode()}

    assert listed(incomplete="en") == {"DE-1", "ADM-1"}
    assert listed(incomplete="de") == {"ADM-1"}
    assert listed(incomplete="any") == {"DE-1", "ADM-1"}
    assert listed() == {"FULL-1", "DE-1", "ADM-1"}


def test_product_cannot_be_related_to_itself(admin_client, admin_catalog):
    product = admin_catalog.product
    changes = {
        "relations-TOTAL_FORMS": "1",
        "relations-0-kind": "accessory",
        "relations-0-related": str(product.pk),
        "relations-0-position": "0",
        "relations-0-id": "",
        "relations-0-DELETE": "",
    }
    response = edit_product(admin_client, product, **changes)
    assert response.status_code == 200
    assert "kann nicht mit sich selbst verknüpft werden" in errors_of(response)
    assert not product.relations.exists()


# -- categories ---------------------------------------------------------------------------------


def test_create_root_and_child_category_with_attribute_set(admin_client, admin_catalog):
    add_url = url("magpie_catalog_categories", "add")
    root = form_data(admin_client.get(add_url), name_de="Pumpen", slug="pumpen", parent="")
    assert admin_client.post(add_url, root).status_code == 302
    pumps = Category.objects.get(slug="pumpen")
    assert pumps.is_root()

    child = form_data(
        admin_client.get(add_url),
        name_de="Kreiselpumpen",
        name_en="Centrifugal pumps",
        slug="kreiselpumpen",
        parent=pumps.pk,
        **{
            "attribute_set-TOTAL_FORMS": "1",
            "attribute_set-0-attribute": admin_catalog.power.pk,
            "attribute_set-0-required": "on",
            "attribute_set-0-id": "",
            "attribute_set-0-DELETE": "",
        },
    )
    response = admin_client.post(add_url, child)
    assert response.status_code == 302, errors_of(response)
    centrifugal = Category.objects.get(slug="kreiselpumpen")
    assert centrifugal.get_parent() == pumps and centrifugal.depth == 2
    assert list(
        CategoryAttribute.objects.filter(category=centrifugal).values_list(
            "attribute__code", "required"
        )
    ) == [("power", True)]
    assert Category.objects.get(pk=pumps.pk).numchild == 1

    # Moving the child to the top level goes through treebeard too.
    edit_url = url("magpie_catalog_categories", "edit", centrifugal.pk)
    response = admin_client.post(edit_url, form_data(admin_client.get(edit_url), parent=""))
    assert response.status_code == 302, errors_of(response)
    assert Category.objects.get(pk=centrifugal.pk).is_root()
    assert Category.objects.get(pk=pumps.pk).numchild == 0
    assert all(not problems for problems in Category.find_problems())

    admin_client.get(url("magpie_catalog_categories", "index"))  # shows the success message
    listing = admin_client.get(url("magpie_catalog_categories", "index")).content.decode()
    assert listing.index("Antriebe") < listing.index("Kreiselpumpen") < listing.index("Pumpen")


def test_category_cannot_move_below_itself(admin_client, admin_catalog):
    parent = admin_catalog.drives
    child = parent.add_child(name_de="Motoren", slug="motoren-x")
    edit_url = url("magpie_catalog_categories", "edit", parent.pk)
    response = admin_client.post(edit_url, form_data(admin_client.get(edit_url), parent=child.pk))
    assert response.status_code == 200
    assert Category.objects.get(pk=parent.pk).is_root()


def test_required_attribute_added_to_a_category_lowers_completeness(admin_client, admin_catalog):
    product = admin_catalog.product
    product.attributes = {"power": 3}
    product.save()
    assert edit_product(admin_client, product).status_code == 302
    assert Product.objects.get(pk=product.pk).completeness_de == 80
    link = CategoryAttribute.objects.get(category=admin_catalog.drives, attribute__code="material")
    edit_url = url("magpie_catalog_categories", "edit", admin_catalog.drives.pk)
    data = form_data(admin_client.get(edit_url))
    index = next(k for k, v in data.items() if k.endswith("-id") and v == [str(link.pk)])
    data[index.replace("-id", "-required")] = ["on"]
    assert admin_client.post(edit_url, data).status_code == 302
    assert CategoryAttribute.objects.get(pk=link.pk).required
    assert Product.objects.get(pk=product.pk).completeness_de == 67  # 4 of 6


# -- permissions and groups ---------------------------------------------------------------------


def test_groups_are_created_with_the_agreed_permissions():
    managers = set(
        Group.objects.get(name="Product managers").permissions.values_list("codename", flat=True)
    )
    pricing = set(Group.objects.get(name="Pricing").permissions.values_list("codename", flat=True))
    assert {"access_admin", "change_product", "add_category", "change_stocklevel"} <= managers
    assert not {"change_product_prices", "change_pricelist", "change_priceentry"} & managers
    assert {"access_admin", "change_product_prices", "change_pricelist", "add_priceentry"} <= (
        pricing
    )
    assert "change_product" not in pricing


def test_price_permission_is_offered_in_the_group_editor(admin_client):
    permission = Permission.objects.get(codename="change_product_prices")
    html = admin_client.get(reverse("wagtailusers_groups:add")).content.decode()
    assert f'value="{permission.pk}"' in html


def test_pricing_user_edits_a_price_list_and_prices(client_for, admin_catalog):
    client = client_for("Pricing")
    public = make_price_list("public-chf", name="Öffentlich")
    entry = set_price(public, admin_catalog.product, "100.00")
    edit_url = url("magpie_catalog_price_lists", "edit", public.pk)
    response = client.post(edit_url, form_data(client.get(edit_url), name="Liste CHF"))
    assert response.status_code == 302, errors_of(response)
    assert PriceList.objects.get(pk=public.pk).name == "Liste CHF"

    entry_url = url("magpie_catalog_prices", "edit", entry.pk)
    response = client.post(entry_url, form_data(client.get(entry_url), amount="95.5000"))
    assert response.status_code == 302, errors_of(response)
    assert str(PriceEntry.objects.get(pk=entry.pk).amount) == "95.5000"

    listing = client.get(url("magpie_catalog_prices", "index"), {"price_list": public.pk})
    assert "ADM-1" in listing.content.decode()
    other = make_price_list("other-eur", currency="EUR")
    listing = client.get(url("magpie_catalog_prices", "index"), {"price_list": other.pk})
    assert "ADM-1" not in listing.content.decode()


def test_price_list_with_unknown_currency_is_a_form_error(client_for):
    client = client_for("Pricing")
    add_url = url("magpie_catalog_price_lists", "add")
    data = form_data(client.get(add_url), code="usd", name="USD", currency="USD")
    response = client.post(add_url, data)
    assert response.status_code == 200
    assert not PriceList.objects.filter(code="usd").exists()


@pytest.mark.parametrize("group", ["Editors", "Product managers"])
def test_editor_and_product_manager_cannot_see_or_change_prices(client_for, admin_catalog, group):
    client = client_for(group)
    public = make_price_list("public-chf", name="Öffentlich")
    entry = set_price(public, admin_catalog.product, "100.00")
    for viewset in ("magpie_catalog_price_lists", "magpie_catalog_prices"):
        assert denied(client.get(url(viewset, "index")))
        assert denied(client.get(url(viewset, "add")))
    assert denied(client.get(url("magpie_catalog_price_lists", "edit", public.pk)))
    response = client.post(
        url("magpie_catalog_prices", "edit", entry.pk),
        {"price_list": public.pk, "product": admin_catalog.product.pk, "min_quantity": 1,
         "amount": "1.00"},
    )  # fmt: skip
    assert denied(response)
    response = client.post(
        url("magpie_catalog_price_lists", "edit", public.pk),
        {"code": "public-chf", "name": "Gehackt", "currency": "CHF", "scope": "everyone",
         "priority": 0, "active": "on"},
    )  # fmt: skip
    assert denied(response)
    assert str(PriceEntry.objects.get(pk=entry.pk).amount) == "100.0000"
    assert PriceList.objects.get(pk=public.pk).name == "Öffentlich"
    dashboard = client.get(reverse("wagtailadmin_home")).content.decode()
    assert url("magpie_catalog_price_lists", "index") not in dashboard


def test_product_manager_edits_products(client_for, admin_catalog):
    client = client_for("Product managers")
    response = edit_product(client, admin_catalog.product, name_de="Neu", attr__power="7")
    assert response.status_code == 302, errors_of(response)
    product = Product.objects.get(pk=admin_catalog.product.pk)
    assert (product.name_de, product.attributes) == ("Neu", {"power": 7})
    assert client.get(url("magpie_catalog_categories", "index")).status_code == 200
    assert client.get(url("magpie_catalog_stock", "index")).status_code == 200


def test_editor_cannot_edit_products(client_for, admin_catalog):
    client = client_for("Editors")
    assert denied(client.get(url("magpie_catalog_products", "index")))
    response = client.post(
        url("magpie_catalog_products", "edit", admin_catalog.product.pk), {"sku": "HACK"}
    )
    assert denied(response)
    assert Product.objects.get(pk=admin_catalog.product.pk).sku == "ADM-1"


# -- stock --------------------------------------------------------------------------------------


@pytest.fixture
def stock(admin_catalog: Any) -> StockLevel:
    warehouse = Warehouse.objects.create(code="main", name="Hauptlager")
    return set_stock(admin_catalog.product, warehouse, on_hand=10, reserved=2)


def test_stock_edit_with_reserved_above_on_hand_shows_an_error(client_for, stock):
    client = client_for("Product managers")
    edit_url = url("magpie_catalog_stock", "edit", stock.pk)
    response = client.post(edit_url, form_data(client.get(edit_url), on_hand=5, reserved=8))
    assert response.status_code == 200
    assert "darf den Bestand (5) nicht übersteigen" in errors_of(response)
    stock.refresh_from_db()
    assert (stock.on_hand, stock.reserved) == (10, 2)

    response = client.post(edit_url, form_data(client.get(edit_url), on_hand=12, reserved=8))
    assert response.status_code == 302, errors_of(response)
    stock.refresh_from_db()
    assert (stock.on_hand, stock.reserved) == (12, 8)


def test_database_constraint_surfaces_as_form_error(admin_client, stock, monkeypatch):
    """Should the form checks miss it (a concurrent change), the database constraint still
    holds and the user gets a form error instead of a server error."""
    from magpie_catalog.forms import StockLevelForm

    monkeypatch.setattr(StockLevelForm, "clean", lambda self: self.cleaned_data)
    monkeypatch.setattr(StockLevel, "validate_constraints", lambda self, exclude=None: None)
    edit_url = url("magpie_catalog_stock", "edit", stock.pk)
    response = admin_client.post(edit_url, form_data(admin_client.get(edit_url), reserved=11))
    assert response.status_code == 200
    assert "Die reservierte Menge darf den Bestand nicht übersteigen" in errors_of(response)
    stock.refresh_from_db()
    assert stock.reserved == 2


def test_stock_list_filters_by_availability(admin_client, stock, admin_catalog):
    other = make_product("OUT-1", "Leer")
    set_stock(other, stock.warehouse, on_hand=3, reserved=3)
    listing = admin_client.get(url("magpie_catalog_stock", "index"), {"availability": "out"})
    html = listing.content.decode()
    assert "OUT-1" in html and "ADM-1" not in html


# -- customers ----------------------------------------------------------------------------------


def test_customers_screens(admin_client):
    add_url = url("magpie_customer_groups", "add")
    response = admin_client.post(add_url, {"code": "resellers", "name": "Händler"})
    assert response.status_code == 302
    add_url = url("magpie_companies", "add")
    data = form_data(admin_client.get(add_url), name="Muster AG", currency="CHF", country="CH")
    response = admin_client.post(add_url, data)
    assert response.status_code == 302, errors_of(response)
    listing = admin_client.get(url("magpie_companies", "index")).content.decode()
    assert "Muster AG" in listing


def test_catalog_menu_shows_price_screens_only_with_the_price_permission(admin_client, client_for):
    prices = url("magpie_catalog_price_lists", "index")
    products = url("magpie_catalog_products", "index")
    dashboard = admin_client.get(reverse("wagtailadmin_home")).content.decode()
    assert prices in dashboard and products in dashboard
    manager = client_for("Product managers").get(reverse("wagtailadmin_home")).content.decode()
    assert products in manager and prices not in manager
    pricing = client_for("Pricing").get(reverse("wagtailadmin_home")).content.decode()
    assert prices in pricing and products not in pricing


def test_import_export_item_in_the_catalog_menu(admin_client, client_for):
    import_url = reverse("magpie_catalog_import")
    assert import_url in admin_client.get(reverse("wagtailadmin_home")).content.decode()
    manager = client_for("Product managers").get(reverse("wagtailadmin_home")).content.decode()
    assert import_url in manager
    pricing = client_for("Pricing").get(reverse("wagtailadmin_home")).content.decode()
    assert import_url not in pricing
