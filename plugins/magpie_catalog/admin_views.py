"""Catalog admin: viewsets, views, panels and the price permission policy.

Screens (registered in :mod:`magpie_catalog.wagtail_hooks`):

* Catalog → Products, Categories, Attributes, Brands, Price lists, Prices, Warehouses, Stock.

Permissions: every view checks the model's permission through Wagtail's permission policies.
Price lists and prices additionally need ``magpie_catalog.change_product_prices``
(:class:`PricePermissionPolicy`), so a user without it neither sees nor changes prices.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import IntegrityError
from django.db.models import F, Q, QuerySet
from django.http import HttpResponse
from django.utils.safestring import mark_safe
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.panels import (
    FieldPanel,
    FieldRowPanel,
    InlinePanel,
    MultiFieldPanel,
    ObjectList,
    Panel,
    TabbedInterface,
)
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.generic import chooser as chooser_views
from wagtail.admin.views.generic.models import CreateView, EditView, IndexView
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.admin.viewsets.chooser import ChooserViewSet
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.log_actions import log
from wagtail.permission_policies import ModelPermissionPolicy

from magpie_catalog.completeness import missing, update_completeness
from magpie_catalog.forms import (
    EXTRA_FIELD,
    CategoryForm,
    PriceEntryForm,
    ProductForm,
    SkuSearchFilterForm,
    StockLevelForm,
    attribute_field_name,
    is_attribute_field,
)
from magpie_catalog.models import (
    LANGUAGES,
    Attribute,
    Brand,
    Category,
    CategoryAttribute,
    PriceEntry,
    PriceList,
    Product,
    StockLevel,
    Variant,
    Warehouse,
)

#: The permission that price screens and price fields require, besides the model's own.
PRICE_PERMISSION = "magpie_catalog.change_product_prices"
#: Hook name under which other modules add items to the Catalog menu.
CATALOG_MENU_HOOK = "register_magpie_catalog_menu_item"

LANGUAGE_NAMES = {"de": gettext_lazy("German"), "en": gettext_lazy("English")}

#: Friendly messages for database constraints a concurrent change can still break.
CONSTRAINT_MESSAGES = {
    "catalog_stock_reserved_within_on_hand": gettext_lazy(
        "Reserved units cannot exceed units on hand, and neither can be negative."
    ),
    "catalog_stock_unique": gettext_lazy(
        "This warehouse already has a stock level for this product or variant."
    ),
    "catalog_price_unique": gettext_lazy(
        "This price list already has a price for this product or variant from this quantity."
    ),
    "catalog_pricelist_scope_target": gettext_lazy(
        "Choose exactly the customer group or company that matches who the list is for."
    ),
    "catalog_pricelist_validity": gettext_lazy("'Valid from' must be before 'valid until'."),
    "catalog_relation_not_self": gettext_lazy("A product cannot be related to itself."),
    "catalog_relation_unique": gettext_lazy(
        "A product is related to another product once per kind."
    ),
}


# -- permissions ------------------------------------------------------------------------------


class PricePermissionPolicy(ModelPermissionPolicy):
    """The model's own permission *and* ``change_product_prices`` for every action.

    One rule for all price screens: without the price permission a user has no access to
    price lists or prices at all, whatever else their groups grant.
    """

    def user_has_permission(self, user: Any, action: str) -> bool:
        """Whether ``user`` may perform ``action`` on the policy's price model."""
        return user.has_perm(PRICE_PERMISSION) and super().user_has_permission(user, action)

    def users_with_any_permission(self, actions: list[str]) -> QuerySet:
        """Active users with one of ``actions`` who also hold the price permission."""
        app_label, codename = PRICE_PERMISSION.split(".")
        permission = Permission.objects.filter(
            content_type__app_label=app_label, codename=codename
        ).first()
        pricing = Q(is_superuser=True)
        if permission is not None:
            pricing |= Q(user_permissions=permission) | Q(groups__permissions=permission)
        price_users = get_user_model().objects.filter(pricing, is_active=True).values("pk")
        return super().users_with_any_permission(actions).filter(pk__in=price_users)


# -- shared view behaviour ----------------------------------------------------------------------


def integrity_message(exc: IntegrityError) -> str:
    """A message for a database constraint violation, named after the constraint if known."""
    text = str(exc)
    for name, message in CONSTRAINT_MESSAGES.items():
        if name in text:
            return str(message)
    return _("The database refused the change (a duplicate or a broken rule): %(error)s") % {
        "error": text.splitlines()[0] if text else exc.__class__.__name__
    }


class SafeSaveMixin:
    """Turn a database constraint violation during save into a form error (never a 500).

    The generic views save inside ``transaction.atomic()``, so nothing of the failed save
    remains when the form is shown again.
    """

    def form_valid(self, form: Any) -> HttpResponse:
        try:
            return super().form_valid(form)
        except IntegrityError as exc:
            form.add_error(None, integrity_message(exc))
            self.produced_error_code = "validation_error"
            self.produced_error_message = self.get_error_message()
            return self.form_invalid(form)


class SafeCreateView(SafeSaveMixin, CreateView):
    """Create view that reports constraint violations as form errors."""


class SafeEditView(SafeSaveMixin, EditView):
    """Edit view that reports constraint violations as form errors."""


def percent_column(language: str) -> Column:
    """A listing column with a product's completeness in ``language``."""
    field = f"completeness_{language}"
    return Column(
        field,
        label=format_lazy("{} ({})", gettext_lazy("Complete"), language),
        sort_key=field,
        accessor=lambda product: f"{getattr(product, field)} %",
    )


# -- panels -------------------------------------------------------------------------------------


def describe_gap(gap: str, labels: dict[str, str]) -> str:
    """A human label for an item of :func:`magpie_catalog.completeness.missing`."""
    if gap.startswith("attribute:"):
        code = gap.split(":", 1)[1]
        return labels.get(code, code)
    return {
        "name": _("Name"),
        "short_description": _("Short description"),
        "description": _("Description"),
        "image": _("Image"),
    }.get(gap, gap)


def completeness_report(product: Product) -> list[dict[str, Any]]:
    """Score and missing items per language for a stored product."""
    stored = Product.objects.get(pk=product.pk)
    category_ids = list(stored.categories.values_list("pk", flat=True))
    required = set(
        CategoryAttribute.objects.filter(category_id__in=category_ids, required=True).values_list(
            "attribute__code", flat=True
        )
    )
    labels = {a.code: a.label for a in Attribute.objects.filter(code__in=required)}
    has_image = stored.images.exists()
    return [
        {
            "code": language,
            "name": LANGUAGE_NAMES.get(language, language),
            "score": getattr(stored, f"completeness_{language}"),
            "missing": [
                describe_gap(gap, labels) for gap in missing(stored, language, required, has_image)
            ],
        }
        for language in LANGUAGES
    ]


class CompletenessPanel(Panel):
    """Read-only: the product's completeness per language and what is missing."""

    class BoundPanel(Panel.BoundPanel):
        template_name = "magpie_catalog/admin/panels/completeness.html"

        def is_shown(self) -> bool:
            return bool(self.instance and self.instance.pk)

        def get_context_data(self, parent_context: Any = None) -> dict[str, Any]:
            context = super().get_context_data(parent_context)
            context["languages"] = completeness_report(self.instance)
            return context


class AttributeValuesPanel(Panel):
    """The product form's typed attribute fields and the extra ``code = value`` field."""

    class BoundPanel(Panel.BoundPanel):
        template_name = "magpie_catalog/admin/panels/attribute_values.html"

        def get_context_data(self, parent_context: Any = None) -> dict[str, Any]:
            context = super().get_context_data(parent_context)
            codes = getattr(self.form, "attribute_codes", [])
            context["fields"] = [self.form[attribute_field_name(code)] for code in codes]
            context["extra_field"] = self.form[EXTRA_FIELD]
            return context


class ProductTabs(TabbedInterface):
    """Tabs of the product form; the attribute fields are rendered by their own panel."""

    class BoundPanel(TabbedInterface.BoundPanel):
        def render_missing_fields(self) -> str:
            rendered = self.panel.get_form_options().get("fields", [])
            html = [
                str(self.form[name])
                for name in self.form.fields
                if name not in rendered and not is_attribute_field(name)
            ]
            return mark_safe("".join(html))  # noqa: S308 - rendered form widgets


# -- choosers -----------------------------------------------------------------------------------


class SkuChooseView(chooser_views.ChooseView):
    filter_form_class = SkuSearchFilterForm


class SkuChooseResultsView(chooser_views.ChooseResultsView):
    filter_form_class = SkuSearchFilterForm


class ProductChooserViewSet(ChooserViewSet):
    """Product chooser (search by SKU or name); the widget for every FK to a product."""

    model = Product
    icon = "tag"
    choose_one_text = gettext_lazy("Choose a product")
    choose_another_text = gettext_lazy("Choose another product")
    choose_view_class = SkuChooseView
    choose_results_view_class = SkuChooseResultsView
    url_prefix = "catalog/choose-product"


class VariantChooserViewSet(ChooserViewSet):
    """Variant chooser (search by variant or product SKU)."""

    model = Variant
    icon = "tag"
    choose_one_text = gettext_lazy("Choose a variant")
    choose_another_text = gettext_lazy("Choose another variant")
    choose_view_class = SkuChooseView
    choose_results_view_class = SkuChooseResultsView
    url_prefix = "catalog/choose-variant"


# -- products -----------------------------------------------------------------------------------


class ProductFilterSet(WagtailFilterSet):
    """Filters of the product list."""

    status = django_filters.ChoiceFilter(
        choices=Product.Status.choices, label=gettext_lazy("Status")
    )
    brand = django_filters.ModelChoiceFilter(
        queryset=Brand.objects.all(), label=gettext_lazy("Brand")
    )
    categories = django_filters.ModelChoiceFilter(
        queryset=Category.objects.order_by("path"), label=gettext_lazy("Category")
    )
    incomplete = django_filters.ChoiceFilter(
        label=gettext_lazy("Incomplete in"),
        choices=[
            ("de", gettext_lazy("German")),
            ("en", gettext_lazy("English")),
            ("any", gettext_lazy("Any language")),
        ],
        method="filter_incomplete",
    )

    class Meta:
        model = Product
        fields = ["status", "brand", "categories"]

    def filter_incomplete(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        """Products whose completeness is below 100 % in the chosen language(s)."""
        if value == "any":
            condition = Q()
            for language in LANGUAGES:
                condition |= Q(**{f"completeness_{language}__lt": 100})
            return queryset.filter(condition)
        if value in LANGUAGES:
            return queryset.filter(**{f"completeness_{value}__lt": 100})
        return queryset


class CompletenessMixin:
    """Recompute the product's completeness after it and its parts are saved."""

    def save_instance(self) -> Product:
        instance = super().save_instance()
        update_completeness([instance.pk])
        instance.refresh_from_db(fields=["completeness_de", "completeness_en"])
        return instance


class ProductIndexView(IndexView):
    def get_base_queryset(self) -> QuerySet:
        return super().get_base_queryset().select_related("brand")


class ProductCreateView(CompletenessMixin, SafeCreateView):
    pass


class ProductEditView(CompletenessMixin, SafeEditView):
    pass


class ProductViewSet(ModelViewSet):
    """Products: list with completeness, tabbed edit form with typed attributes."""

    model = Product
    icon = "tag"
    menu_label = gettext_lazy("Products")
    url_prefix = "catalog/products"
    name = "magpie_catalog_products"
    index_view_class = ProductIndexView
    add_view_class = ProductCreateView
    edit_view_class = ProductEditView
    copy_view_enabled = False
    list_display = [
        "sku",
        "name_de",
        "brand",
        "status",
        percent_column("de"),
        percent_column("en"),
    ]
    filterset_class = ProductFilterSet
    search_fields = ["sku", "name_de", "name_en"]
    list_per_page = 50
    edit_handler = ProductTabs(
        [
            ObjectList(
                [
                    CompletenessPanel(heading=gettext_lazy("Completeness")),
                    FieldPanel("sku"),
                    FieldRowPanel([FieldPanel("name_de"), FieldPanel("name_en")]),
                    FieldRowPanel(
                        [FieldPanel("short_description_de"), FieldPanel("short_description_en")]
                    ),
                    FieldPanel("description_de"),
                    FieldPanel("description_en"),
                    FieldRowPanel([FieldPanel("brand"), FieldPanel("status")]),
                    FieldPanel("categories"),
                    FieldRowPanel([FieldPanel("weight_kg"), FieldPanel("lead_time_days")]),
                ],
                heading=gettext_lazy("General"),
            ),
            ObjectList(
                [AttributeValuesPanel(heading=gettext_lazy("Attribute values"))],
                heading=gettext_lazy("Attributes"),
            ),
            ObjectList(
                [
                    InlinePanel(
                        "images", heading=gettext_lazy("Images"), label=gettext_lazy("Image")
                    ),
                    InlinePanel(
                        "documents",
                        heading=gettext_lazy("Documents"),
                        label=gettext_lazy("Document"),
                    ),
                ],
                heading=gettext_lazy("Media"),
            ),
            ObjectList(
                [
                    InlinePanel(
                        "relations",
                        heading=gettext_lazy("Related products"),
                        label=gettext_lazy("Related product"),
                    )
                ],
                heading=gettext_lazy("Relations"),
            ),
            ObjectList(
                [
                    InlinePanel(
                        "variants", heading=gettext_lazy("Variants"), label=gettext_lazy("Variant")
                    )
                ],
                heading=gettext_lazy("Variants"),
            ),
            ObjectList([FieldPanel("marketing")], heading=gettext_lazy("Marketing")),
        ],
        base_form_class=ProductForm,
    )


# -- categories ---------------------------------------------------------------------------------


def indented_name(category: Category) -> str:
    """The category's name indented by its depth in the tree."""
    return "\u2003" * (category.depth - 1) + category.name_de


class CategoryIndexView(IndexView):
    """Categories in tree order, indented by depth."""

    def _get_title_column(self, field_name: str, *args: Any, **kwargs: Any) -> Column:
        kwargs["accessor"] = indented_name
        return super()._get_title_column(field_name, *args, **kwargs)

    def order_queryset(self, queryset: QuerySet) -> QuerySet:
        return queryset.order_by("path")


def _recompute_for_category(category_id: int) -> None:
    """Recompute completeness of the products in a category (its attribute set changed)."""
    product_ids = Product.categories.through.objects.filter(category_id=category_id).values_list(
        "product_id", flat=True
    )
    update_completeness(list(product_ids))


class CategoryCreateView(SafeCreateView):
    """Creates the node through treebeard: ``add_root`` or ``parent.add_child``."""

    def save_instance(self) -> Category:
        form = self.form
        instance = form.save(commit=False)  # attribute set rows are kept in memory
        parent = form.cleaned_data.get("parent")
        if parent is None:
            instance = Category.add_root(instance=instance)
        else:
            instance = Category.objects.get(pk=parent.pk).add_child(instance=instance)
        log(instance=instance, action="wagtail.create", user=self.request.user)
        return instance


class CategoryEditView(SafeEditView):
    """Saves the fields, then moves the node with treebeard when its parent changed."""

    def save_instance(self) -> Category:
        form = self.form
        stored = Category.objects.get(pk=self.object.pk)
        old_parent = stored.get_parent()
        new_parent = form.cleaned_data.get("parent")
        instance = form.save()
        old_id = old_parent.pk if old_parent else None
        new_id = new_parent.pk if new_parent else None
        node = Category.objects.get(pk=instance.pk)
        if old_id != new_id:
            if new_parent is None:
                node.move(Category.get_first_root_node(), "sorted-sibling")
            else:
                node.move(Category.objects.get(pk=new_id), "sorted-child")
        elif stored.name_de != instance.name_de:
            self._resort(node, old_parent)
        log(instance=instance, action="wagtail.edit", user=self.request.user)
        _recompute_for_category(instance.pk)
        return Category.objects.get(pk=instance.pk)

    @staticmethod
    def _resort(node: Category, parent: Category | None) -> None:
        """Put a renamed node back in name order among its siblings."""
        if parent is not None:
            node.move(Category.objects.get(pk=parent.pk), "sorted-child")
            return
        other = Category.get_root_nodes().exclude(pk=node.pk).first()
        if other is not None:
            node.move(other, "sorted-sibling")


class CategoryViewSet(ModelViewSet):
    """The category tree with each category's attribute set."""

    model = Category
    icon = "list-ul"
    menu_label = gettext_lazy("Categories")
    url_prefix = "catalog/categories"
    name = "magpie_catalog_categories"
    index_view_class = CategoryIndexView
    add_view_class = CategoryCreateView
    edit_view_class = CategoryEditView
    copy_view_enabled = False
    list_display = ["name_de", "name_en", "slug"]
    search_fields = ["name_de", "name_en", "slug"]
    list_per_page = 100
    edit_handler = ObjectList(
        [
            FieldPanel("parent"),
            FieldRowPanel([FieldPanel("name_de"), FieldPanel("name_en")]),
            FieldPanel("slug"),
            FieldRowPanel([FieldPanel("description_de"), FieldPanel("description_en")]),
            InlinePanel(
                "attribute_set",
                heading=gettext_lazy("Attribute set"),
                label=gettext_lazy("Attribute"),
                help_text=gettext_lazy(
                    "Attributes of products in this category; required ones count towards "
                    "completeness."
                ),
            ),
        ],
        base_form_class=CategoryForm,
    )


# -- attributes, brands -------------------------------------------------------------------------


class AttributeViewSet(ModelViewSet):
    """Attribute definitions with their options."""

    model = Attribute
    icon = "list-ol"
    menu_label = gettext_lazy("Attributes")
    url_prefix = "catalog/attributes"
    name = "magpie_catalog_attributes"
    copy_view_enabled = False
    list_display = ["code", "label_de", "type", "unit", "filterable"]
    list_filter = ["type", "filterable"]
    search_fields = ["code", "label_de", "label_en"]
    panels = [
        FieldPanel("code"),
        FieldRowPanel([FieldPanel("label_de"), FieldPanel("label_en")]),
        FieldRowPanel([FieldPanel("type"), FieldPanel("unit")]),
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("min_value"), FieldPanel("max_value")]),
                FieldPanel("pattern"),
            ],
            heading=gettext_lazy("Validation"),
        ),
        FieldRowPanel([FieldPanel("filterable"), FieldPanel("position")]),
        InlinePanel(
            "options",
            heading=gettext_lazy("Options (choice types)"),
            label=gettext_lazy("Option"),
        ),
    ]


class BrandViewSet(ModelViewSet):
    """Brands."""

    model = Brand
    icon = "pick"
    menu_label = gettext_lazy("Brands")
    url_prefix = "catalog/brands"
    name = "magpie_catalog_brands"
    copy_view_enabled = False
    list_display = ["name", "slug"]
    search_fields = ["name"]
    form_fields = ["name", "slug"]


# -- prices -------------------------------------------------------------------------------------


def currency_widget() -> forms.Select:
    """A select of the configured currencies."""
    return forms.Select(choices=[(code, code) for code in settings.MAGPIE_CURRENCIES])


class PriceListViewSet(ModelViewSet):
    """Price lists; needs the price permission (see :class:`PricePermissionPolicy`)."""

    model = PriceList
    icon = "form"
    menu_label = gettext_lazy("Price lists")
    url_prefix = "catalog/price-lists"
    name = "magpie_catalog_price_lists"
    copy_view_enabled = False
    add_view_class = SafeCreateView
    edit_view_class = SafeEditView
    list_display = [
        "name",
        "code",
        "currency",
        "scope",
        "priority",
        "active",
        "valid_from",
        "valid_until",
    ]
    list_filter = ["currency", "scope", "active"]
    search_fields = ["code", "name"]
    panels = [
        FieldRowPanel([FieldPanel("code"), FieldPanel("name")]),
        FieldRowPanel(
            [FieldPanel("currency", widget=currency_widget()), FieldPanel("includes_tax")]
        ),
        MultiFieldPanel(
            [FieldPanel("scope"), FieldPanel("customer_group"), FieldPanel("company")],
            heading=gettext_lazy("For"),
        ),
        FieldRowPanel([FieldPanel("valid_from"), FieldPanel("valid_until")]),
        FieldRowPanel([FieldPanel("priority"), FieldPanel("active")]),
    ]


class PriceEntryFilterSet(WagtailFilterSet):
    """Filters of the price listing: by list and by product SKU."""

    price_list = django_filters.ModelChoiceFilter(
        queryset=PriceList.objects.all(), label=gettext_lazy("Price list")
    )
    sku = django_filters.CharFilter(
        field_name="product__sku", lookup_expr="icontains", label=gettext_lazy("Product SKU")
    )

    class Meta:
        model = PriceEntry
        fields = ["price_list"]


class PriceEntryIndexView(IndexView):
    def get_base_queryset(self) -> QuerySet:
        return super().get_base_queryset().select_related("product", "variant", "price_list")


class PriceEntryViewSet(ModelViewSet):
    """Prices (entries of price lists) with tiers; needs the price permission."""

    model = PriceEntry
    icon = "decimal"
    menu_label = gettext_lazy("Prices")
    url_prefix = "catalog/prices"
    name = "magpie_catalog_prices"
    copy_view_enabled = False
    index_view_class = PriceEntryIndexView
    add_view_class = SafeCreateView
    edit_view_class = SafeEditView
    list_display = ["product", "variant", "price_list", "min_quantity", "amount"]
    filterset_class = PriceEntryFilterSet
    list_per_page = 50
    edit_handler = ObjectList(
        [
            FieldPanel("price_list"),
            FieldRowPanel([FieldPanel("product"), FieldPanel("variant")]),
            FieldRowPanel([FieldPanel("min_quantity"), FieldPanel("amount")]),
        ],
        base_form_class=PriceEntryForm,
    )


# -- stock --------------------------------------------------------------------------------------


class WarehouseViewSet(ModelViewSet):
    """Warehouses."""

    model = Warehouse
    icon = "home"
    menu_label = gettext_lazy("Warehouses")
    url_prefix = "catalog/warehouses"
    name = "magpie_catalog_warehouses"
    copy_view_enabled = False
    add_view_class = SafeCreateView
    edit_view_class = SafeEditView
    list_display = ["name", "code", "lead_time_days"]
    form_fields = ["code", "name", "lead_time_days"]


class StockLevelFilterSet(WagtailFilterSet):
    """Filters of the stock listing."""

    warehouse = django_filters.ModelChoiceFilter(
        queryset=Warehouse.objects.all(), label=gettext_lazy("Warehouse")
    )
    sku = django_filters.CharFilter(
        field_name="product__sku", lookup_expr="icontains", label=gettext_lazy("Product SKU")
    )
    availability = django_filters.ChoiceFilter(
        label=gettext_lazy("Availability"),
        choices=[
            ("out", gettext_lazy("Nothing available")),
            ("available", gettext_lazy("Available")),
        ],
        method="filter_availability",
    )

    class Meta:
        model = StockLevel
        fields = ["warehouse"]

    def filter_availability(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        """Rows with nothing (or something) left after reservations."""
        if value == "out":
            return queryset.filter(reserved__gte=F("on_hand"))
        if value == "available":
            return queryset.filter(reserved__lt=F("on_hand"))
        return queryset


class StockLevelIndexView(IndexView):
    def get_base_queryset(self) -> QuerySet:
        return super().get_base_queryset().select_related("product", "variant", "warehouse")


class StockLevelViewSet(ModelViewSet):
    """Stock levels; the reserved ≤ on hand rule is a form error, never a server error."""

    model = StockLevel
    icon = "clipboard-list"
    menu_label = gettext_lazy("Stock")
    url_prefix = "catalog/stock"
    name = "magpie_catalog_stock"
    copy_view_enabled = False
    index_view_class = StockLevelIndexView
    add_view_class = SafeCreateView
    edit_view_class = SafeEditView
    list_display = [
        "product",
        "variant",
        "warehouse",
        "on_hand",
        "reserved",
        Column("available", label=gettext_lazy("Available")),
    ]
    filterset_class = StockLevelFilterSet
    list_per_page = 50
    edit_handler = ObjectList(
        [
            FieldPanel("warehouse"),
            FieldRowPanel([FieldPanel("product"), FieldPanel("variant")]),
            FieldRowPanel([FieldPanel("on_hand"), FieldPanel("reserved")]),
        ],
        base_form_class=StockLevelForm,
    )


# -- menu groups --------------------------------------------------------------------------------


class CatalogViewSetGroup(ViewSetGroup):
    """Catalog menu; other modules add items with the ``register_magpie_catalog_menu_item``
    hook (e.g. Import / export)."""

    menu_label = gettext_lazy("Catalog")
    menu_icon = "tag"
    menu_order = 250
    submenu_hook = CATALOG_MENU_HOOK
    items = (
        ProductViewSet,
        CategoryViewSet,
        AttributeViewSet,
        BrandViewSet,
        PriceListViewSet,
        PriceEntryViewSet,
        WarehouseViewSet,
        StockLevelViewSet,
    )


__all__ = [
    "CATALOG_MENU_HOOK",
    "PRICE_PERMISSION",
    "CatalogViewSetGroup",
    "PricePermissionPolicy",
    "ProductChooserViewSet",
    "VariantChooserViewSet",
]
