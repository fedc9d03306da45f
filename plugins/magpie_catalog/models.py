"""Product information: categories, attributes, products, variants, assets, prices, stock.

Products are plain Django models (not Wagtail pages) so 100k of them import quickly.
Texts are stored per language (``*_de``, ``*_en``); attribute values live in one JSON
object per product, validated against :class:`Attribute` definitions.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce, NullIf
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from treebeard.mp_tree import MP_Node
from wagtail.admin.panels import FieldPanel, FieldRowPanel
from wagtail.fields import RichTextField

from magpie.content.blocks import PluggableStreamField, host_blocks

LANGUAGES = ("de", "en")


def localized(obj: Any, field: str, language: str | None = None) -> str:
    """``obj.<field>_<language>``, falling back to the other language when empty."""
    language = (language or get_language() or "de")[:2]
    order = [language] + [code for code in LANGUAGES if code != language]
    for code in order:
        value = getattr(obj, f"{field}_{code}", "")
        if value:
            return value
    return ""


class Brand(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)

    class Meta:
        verbose_name = _("brand")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Attribute(ClusterableModel):
    """A typed product property (voltage, material, IP rating, …); options edited inline."""

    class Type(models.TextChoices):
        TEXT = "text", _("Text")
        NUMBER = "number", _("Number")
        BOOLEAN = "boolean", _("Yes/no")
        CHOICE = "choice", _("Choice")
        MULTI_CHOICE = "multi_choice", _("Multiple choice")
        DATE = "date", _("Date")

    code = models.SlugField(_("code"), max_length=50, unique=True)
    label_de = models.CharField(_("label (German)"), max_length=100)
    label_en = models.CharField(_("label (English)"), max_length=100, blank=True)
    type = models.CharField(_("type"), max_length=20, choices=Type.choices, default=Type.TEXT)
    unit = models.CharField(_("unit"), max_length=20, blank=True, help_text=_("e.g. mm, kW, V"))
    min_value = models.DecimalField(
        _("minimum"), max_digits=18, decimal_places=6, null=True, blank=True
    )
    max_value = models.DecimalField(
        _("maximum"), max_digits=18, decimal_places=6, null=True, blank=True
    )
    pattern = models.CharField(
        _("pattern"), max_length=200, blank=True, help_text=_("A regular expression for text")
    )
    filterable = models.BooleanField(_("filterable"), default=True)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("attribute")
        ordering = ["position", "code"]

    def __str__(self) -> str:
        return f"{self.label_de} ({self.code})"

    @property
    def label(self) -> str:
        return localized(self, "label")


class AttributeOption(models.Model):
    """One allowed value of a choice attribute."""

    attribute = ParentalKey(Attribute, on_delete=models.CASCADE, related_name="options")
    code = models.SlugField(_("code"), max_length=50)
    label_de = models.CharField(_("label (German)"), max_length=100)
    label_en = models.CharField(_("label (English)"), max_length=100, blank=True)
    position = models.PositiveIntegerField(default=0)

    panels = [FieldRowPanel([FieldPanel("code"), FieldPanel("label_de"), FieldPanel("label_en")])]

    class Meta:
        verbose_name = _("attribute option")
        ordering = ["position", "code"]
        constraints = [
            models.UniqueConstraint(fields=["attribute", "code"], name="catalog_option_unique")
        ]

    def __str__(self) -> str:
        return f"{self.attribute.code}={self.code}"

    @property
    def label(self) -> str:
        return localized(self, "label")


class Category(MP_Node, ClusterableModel):
    """A node of the category tree; its attribute set says which attributes apply."""

    name_de = models.CharField(_("name (German)"), max_length=120)
    name_en = models.CharField(_("name (English)"), max_length=120, blank=True)
    slug = models.SlugField(_("slug"), max_length=120, unique=True)
    description_de = models.TextField(_("description (German)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    attributes = models.ManyToManyField(
        Attribute, through="CategoryAttribute", blank=True, related_name="categories"
    )

    node_order_by = ["name_de"]

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self) -> str:
        return self.name_de

    @property
    def name(self) -> str:
        return localized(self, "name")


class CategoryAttribute(models.Model):
    """An attribute in a category's attribute set, required or optional."""

    category = ParentalKey(Category, on_delete=models.CASCADE, related_name="attribute_set")
    attribute = models.ForeignKey(Attribute, on_delete=models.CASCADE, related_name="+")
    required = models.BooleanField(_("required"), default=False)

    panels = [FieldRowPanel([FieldPanel("attribute"), FieldPanel("required")])]

    class Meta:
        verbose_name = _("category attribute")
        constraints = [
            models.UniqueConstraint(
                fields=["category", "attribute"], name="catalog_category_attribute_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.category} · {self.attribute.code}"


class Product(ClusterableModel):
    """A product with technical data in two languages; its parts are edited inline."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        ACTIVE = "active", _("Active")
        DISCONTINUED = "discontinued", _("Discontinued")

    sku = models.CharField(_("SKU"), max_length=64, unique=True)
    name_de = models.CharField(_("name (German)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    short_description_de = models.TextField(_("short description (German)"), blank=True)
    short_description_en = models.TextField(_("short description (English)"), blank=True)
    description_de = RichTextField(_("description (German)"), blank=True)
    description_en = RichTextField(_("description (English)"), blank=True)
    marketing = PluggableStreamField(host_blocks(), blank=True, verbose_name=_("marketing content"))
    brand = models.ForeignKey(
        Brand, null=True, blank=True, on_delete=models.SET_NULL, related_name="products"
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    categories = models.ManyToManyField(Category, blank=True, related_name="products")
    attributes = models.JSONField(_("attribute values"), default=dict, blank=True)
    weight_kg = models.DecimalField(
        _("weight (kg)"), max_digits=10, decimal_places=3, null=True, blank=True
    )
    lead_time_days = models.PositiveIntegerField(
        _("lead time (days)"), default=0, help_text=_("When out of stock")
    )
    completeness_de = models.PositiveSmallIntegerField(_("complete (de) %"), default=0)
    completeness_en = models.PositiveSmallIntegerField(_("complete (en) %"), default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        verbose_name = _("product")
        ordering = ["sku"]
        permissions = [("change_product_prices", "Can change product prices")]
        # Storefront listings (magpie_catalog.filters): the sort orders of active products,
        # so ORDER BY … LIMIT walks an index and stops after one page.
        indexes = [
            models.Index(
                Coalesce(NullIf(F("name_de"), Value("")), F("name_en")),
                F("sku"),
                condition=Q(status="active"),
                name="catalog_listing_name_de",
            ),
            models.Index(
                Coalesce(NullIf(F("name_en"), Value("")), F("name_de")),
                F("sku"),
                condition=Q(status="active"),
                name="catalog_listing_name_en",
            ),
            models.Index(
                fields=["-created_at", "-id"],
                condition=Q(status="active"),
                name="catalog_listing_newest",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sku} {self.name_de}"

    @property
    def name(self) -> str:
        return localized(self, "name")

    @property
    def short_description(self) -> str:
        return localized(self, "short_description")

    @property
    def description(self) -> str:
        return localized(self, "description")


class ProductImage(models.Model):
    product = ParentalKey(Product, on_delete=models.CASCADE, related_name="images")
    image = models.ForeignKey("wagtailimages.Image", on_delete=models.CASCADE, related_name="+")
    position = models.PositiveIntegerField(default=0)

    panels = [FieldRowPanel([FieldPanel("image"), FieldPanel("position")])]

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return f"{self.product.sku} image {self.position}"


class ProductDocument(models.Model):
    """A datasheet, manual or certificate."""

    product = ParentalKey(Product, on_delete=models.CASCADE, related_name="documents")
    document = models.ForeignKey("wagtaildocs.Document", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("kind"), max_length=50, default="datasheet")
    position = models.PositiveIntegerField(default=0)

    panels = [FieldRowPanel([FieldPanel("document"), FieldPanel("kind"), FieldPanel("position")])]

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return f"{self.product.sku} {self.kind}"


class ProductRelation(models.Model):
    class Kind(models.TextChoices):
        ACCESSORY = "accessory", _("Accessory")
        SPARE_PART = "spare_part", _("Spare part")
        ALTERNATIVE = "alternative", _("Alternative")

    product = ParentalKey(Product, on_delete=models.CASCADE, related_name="relations")
    related = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    position = models.PositiveIntegerField(default=0)

    panels = [FieldRowPanel([FieldPanel("kind"), FieldPanel("related"), FieldPanel("position")])]

    class Meta:
        ordering = ["kind", "position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["product", "related", "kind"], name="catalog_relation_unique"
            ),
            models.CheckConstraint(
                condition=~Q(product=F("related")), name="catalog_relation_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product.sku} → {self.related.sku} ({self.kind})"


class Variant(models.Model):
    """A buyable version of a product with its own SKU and option values (size, material)."""

    product = ParentalKey(Product, on_delete=models.CASCADE, related_name="variants")
    sku = models.CharField(_("SKU"), max_length=64, unique=True)
    options = models.JSONField(_("options"), default=dict, help_text='e.g. {"size": "M"}')
    position = models.PositiveIntegerField(default=0)

    panels = [FieldRowPanel([FieldPanel("sku"), FieldPanel("options"), FieldPanel("position")])]

    class Meta:
        verbose_name = _("variant")
        ordering = ["position", "sku"]

    def __str__(self) -> str:
        return self.sku


class PriceList(models.Model):
    """Prices in one currency for everyone, a customer group or a single company."""

    class Scope(models.TextChoices):
        EVERYONE = "everyone", _("Everyone")
        GROUP = "group", _("Customer group")
        COMPANY = "company", _("Company")

    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=100)
    currency = models.CharField(_("currency"), max_length=3)
    includes_tax = models.BooleanField(
        _("prices include tax (gross)"), default=False, help_text=_("Off: net prices (B2B)")
    )
    scope = models.CharField(_("for"), max_length=10, choices=Scope.choices, default="everyone")
    customer_group = models.ForeignKey(
        "magpie_people.CustomerGroup",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="price_lists",
    )
    company = models.ForeignKey(
        "magpie_people.Company",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="price_lists",
    )
    valid_from = models.DateTimeField(_("valid from"), null=True, blank=True)
    valid_until = models.DateTimeField(_("valid until"), null=True, blank=True)
    priority = models.IntegerField(
        _("priority"), default=0, help_text=_("Higher wins among lists of the same scope")
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("price list")
        ordering = ["-priority", "code"]
        constraints = [
            models.CheckConstraint(
                name="catalog_pricelist_scope_target",
                condition=(
                    Q(scope="everyone", customer_group__isnull=True, company__isnull=True)
                    | Q(scope="group", customer_group__isnull=False, company__isnull=True)
                    | Q(scope="company", customer_group__isnull=True, company__isnull=False)
                ),
            ),
            models.CheckConstraint(
                name="catalog_pricelist_validity",
                condition=Q(valid_from__isnull=True)
                | Q(valid_until__isnull=True)
                | Q(valid_from__lt=F("valid_until")),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.currency})"

    def clean(self) -> None:
        from django.conf import settings
        from django.core.exceptions import ValidationError
        from django.utils.translation import gettext

        from magpie.pricing import PriceError, check_currency

        try:
            self.currency = check_currency(self.currency)
        except PriceError:
            message = gettext("Unknown currency %(code)r; Magpie is configured for %(known)s.")
            known = ", ".join(settings.MAGPIE_CURRENCIES)
            raise ValidationError(
                {"currency": message % {"code": self.currency, "known": known}}
            ) from None
        targets = {"group": self.customer_group_id, "company": self.company_id}
        if self.scope in targets and not targets[self.scope]:
            raise ValidationError(
                gettext("Choose the %(scope)s this list is for.") % {"scope": self.scope}
            )

    def is_valid_at(self, when=None) -> bool:
        when = when or timezone.now()
        return (
            self.active
            and (self.valid_from is None or self.valid_from <= when)
            and (self.valid_until is None or when < self.valid_until)
        )


class PriceEntry(models.Model):
    """A unit price of a product (or one variant) from a minimum quantity on."""

    price_list = models.ForeignKey(PriceList, on_delete=models.CASCADE, related_name="entries")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="prices")
    variant = models.ForeignKey(
        Variant, null=True, blank=True, on_delete=models.CASCADE, related_name="prices"
    )
    min_quantity = models.PositiveIntegerField(
        _("from quantity"), default=1, validators=[MinValueValidator(1)]
    )
    amount = models.DecimalField(
        _("unit price"), max_digits=14, decimal_places=4, validators=[MinValueValidator(Decimal(0))]
    )

    class Meta:
        verbose_name = _("price")
        ordering = ["product", "variant", "min_quantity"]
        constraints = [
            models.UniqueConstraint(
                fields=["price_list", "product", "min_quantity"],
                condition=Q(variant__isnull=True),
                name="catalog_price_unique_product",
            ),
            models.UniqueConstraint(
                fields=["price_list", "variant", "min_quantity"],
                condition=Q(variant__isnull=False),
                name="catalog_price_unique_variant",
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="catalog_price_not_negative"),
            models.CheckConstraint(condition=Q(min_quantity__gte=1), name="catalog_price_min_qty"),
        ]
        indexes = [
            models.Index(fields=["product", "price_list", "min_quantity"]),
            # storefront listings sorted by price: one list's unit prices in price order
            models.Index(
                fields=["price_list", "min_quantity", "amount", "product"],
                condition=Q(variant__isnull=True),
                name="catalog_listing_price",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product.sku} ≥{self.min_quantity}: {self.amount}"


class Warehouse(models.Model):
    code = models.SlugField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=100)
    lead_time_days = models.PositiveIntegerField(
        _("delivery time (days)"), default=1, help_text=_("From this warehouse when in stock")
    )

    class Meta:
        verbose_name = _("warehouse")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class StockLevel(models.Model):
    """Units on hand and reserved of a product (or variant) in a warehouse.

    The database guarantees ``0 <= reserved <= on_hand``: a reservation that would oversell
    fails at the database, whatever the code above it does.
    """

    # Written on every delivery/stock move: keep it out of Wagtail's reference index.
    wagtail_reference_index_ignore = True

    warehouse = models.ForeignKey(Warehouse, on_delete=models.CASCADE, related_name="stock")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="stock")
    variant = models.ForeignKey(
        Variant, null=True, blank=True, on_delete=models.CASCADE, related_name="stock"
    )
    on_hand = models.IntegerField(_("on hand"), default=0)
    reserved = models.IntegerField(_("reserved"), default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("stock level")
        constraints = [
            models.UniqueConstraint(
                fields=["warehouse", "product"],
                condition=Q(variant__isnull=True),
                name="catalog_stock_unique_product",
            ),
            models.UniqueConstraint(
                fields=["warehouse", "variant"],
                condition=Q(variant__isnull=False),
                name="catalog_stock_unique_variant",
            ),
            models.CheckConstraint(
                condition=Q(reserved__gte=0) & Q(on_hand__gte=0) & Q(reserved__lte=F("on_hand")),
                name="catalog_stock_reserved_within_on_hand",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product.sku}@{self.warehouse.code}: {self.available}"

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


from magpie_catalog.pages import CatalogPage  # noqa: E402,F401
