"""Completeness per product and language: texts, an image, the required attributes."""

from __future__ import annotations

import pytest

from magpie_catalog.completeness import missing, update_completeness
from magpie_catalog.models import Attribute, Category, CategoryAttribute, Product


def test_an_empty_paragraph_counts_as_missing():
    product = Product(sku="X", name_de="X", short_description_de="Kurz", description_de="<p></p>")
    assert "description" in missing(product, "de", set(), has_image=True)
    product.description_de = "<p>Lang</p>"
    assert missing(product, "de", {"power"}, has_image=False) == ["image", "attribute:power"]


@pytest.mark.django_db
def test_scores_follow_the_categories_required_attributes():
    power = Attribute.objects.create(code="power", label_de="Leistung", type="number")
    motors = Category.add_root(name_de="Motoren", slug="motoren")
    CategoryAttribute.objects.create(category=motors, attribute=power, required=True)
    product = Product.objects.create(
        sku="GM-1",
        name_de="Motor",
        short_description_de="Kurz",
        description_de="<p>Lang</p>",
        name_en="Motor",
    )
    product.categories.add(motors)
    update_completeness([product.pk])
    product.refresh_from_db()
    # de: 3 texts of 3, no image, power missing → 3 of 5; en: only the name → 1 of 5
    assert (product.completeness_de, product.completeness_en) == (60, 20)
    Product.objects.filter(pk=product.pk).update(attributes={"power": 0.75})
    assert update_completeness([product.pk]) == 1
    product.refresh_from_db()
    assert product.completeness_de == 80
    assert update_completeness() == 0  # nothing changed since
