"""Admin forms of the catalog: products with typed attribute fields, categories, stock.

The product form adds one field per attribute that applies to the product (the attribute
sets of its categories, plus every attribute it already has a value for) and validates all
values with :func:`magpie_catalog.attributes.clean_values`. A value that does not fit, or an
unknown attribute code, becomes a form error and nothing is saved.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.forms.choosers import BaseFilterForm
from wagtail.admin.widgets import AdminDateInput

from magpie_catalog.attributes import clean_values, load_definitions
from magpie_catalog.models import Attribute, Category, CategoryAttribute, Product

#: Prefix of the dynamic attribute fields on the product form (``attr__<code>``).
ATTR_PREFIX = "attr__"
#: The free-form field for values of attributes outside the product's attribute sets.
EXTRA_FIELD = "attributes_extra"


def attribute_field_name(code: str) -> str:
    """The product form field that holds the value of attribute ``code``."""
    return f"{ATTR_PREFIX}{code}"


def is_attribute_field(name: str) -> bool:
    """Whether ``name`` is one of the dynamic attribute fields (or the extra-values field)."""
    return name.startswith(ATTR_PREFIX) or name == EXTRA_FIELD


def attribute_form_field(attribute: Attribute | None, code: str, required: bool) -> forms.Field:
    """A form field typed after ``attribute``; a plain text field for an unknown ``code``.

    Fields are never ``required``: a missing required value lowers completeness instead of
    blocking the save (a product is edited step by step).
    """
    if attribute is None:
        return forms.CharField(
            label=code,
            required=False,
            help_text=_("Unknown attribute: clear the value to remove it."),
        )
    help_parts = [attribute.code]
    if attribute.unit:
        help_parts.append(_("unit: %(unit)s") % {"unit": attribute.unit})
    if required:
        help_parts.append(_("required for completeness"))
    common: dict[str, Any] = {
        "label": attribute.label,
        "required": False,
        "help_text": " · ".join(help_parts),
    }
    options = [(option.code, option.label) for option in attribute.options.all()]
    kind = attribute.type
    if kind == Attribute.Type.NUMBER:
        return forms.CharField(widget=forms.TextInput(attrs={"inputmode": "decimal"}), **common)
    if kind == Attribute.Type.BOOLEAN:
        return forms.NullBooleanField(widget=forms.NullBooleanSelect, **common)
    if kind == Attribute.Type.CHOICE:
        return forms.ChoiceField(choices=[("", "---------"), *options], **common)
    if kind == Attribute.Type.MULTI_CHOICE:
        return forms.MultipleChoiceField(
            choices=options, widget=forms.CheckboxSelectMultiple, **common
        )
    if kind == Attribute.Type.DATE:
        return forms.DateField(widget=AdminDateInput, **common)
    return forms.CharField(**common)


def _initial_value(attribute: Attribute | None, value: Any) -> Any:
    """A stored JSON value in the shape its form field expects."""
    if attribute is not None and attribute.type == Attribute.Type.MULTI_CHOICE:
        return value if isinstance(value, list) else [value]
    if isinstance(value, list):
        return " | ".join(str(item) for item in value)
    return value


class CategoryChoiceField(forms.ModelMultipleChoiceField):
    """Categories as checkboxes in tree order, indented by depth."""

    def label_from_instance(self, obj: Category) -> str:
        return "\u2003" * (obj.depth - 1) + obj.name_de


class ProductForm(WagtailAdminModelForm):
    """The product edit form: model fields plus one typed field per applicable attribute."""

    attributes_extra = forms.CharField(
        label=gettext_lazy("Other attribute values"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy(
            "Values of attributes outside this product's attribute sets, one per line as "
            "code = value (e.g. colour = red)."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "categories" in self.fields:
            field = self.fields["categories"]
            self.fields["categories"] = CategoryChoiceField(
                queryset=Category.objects.order_by("path"),
                required=False,
                widget=forms.CheckboxSelectMultiple,
                label=field.label,
                help_text=_("The attribute sets of these categories apply to the product."),
            )
        self.attribute_codes: list[str] = []
        self.required_codes: set[str] = set()
        self._add_attribute_fields()

    # -- which attributes apply -------------------------------------------------------------

    def _category_ids(self) -> set[int]:
        """The categories chosen in the submitted data, else the stored ones."""
        if self.is_bound:
            key = self.add_prefix("categories")
            raw = self.data.getlist(key) if hasattr(self.data, "getlist") else self.data.get(key)
            if raw is None:
                raw = []
            elif not isinstance(raw, list | tuple):
                raw = [raw]
            return {int(value) for value in raw if str(value).isdigit()}
        if self.instance.pk:
            return set(self.instance.categories.values_list("pk", flat=True))
        return set()

    def _submitted_codes(self) -> set[str]:
        """Attribute codes that arrive as ``attr__<code>`` fields in the submitted data."""
        if not self.is_bound:
            return set()
        prefix = self.add_prefix(ATTR_PREFIX)
        return {key[len(prefix) :] for key in self.data if key.startswith(prefix)}

    def _add_attribute_fields(self) -> None:
        category_ids = self._category_ids()
        in_sets: dict[int, bool] = {}
        for attribute_id, required in CategoryAttribute.objects.filter(
            category_id__in=category_ids
        ).values_list("attribute_id", "required"):
            in_sets[attribute_id] = in_sets.get(attribute_id, False) or required
        stored = dict(self.instance.attributes or {})
        codes = set(stored) | self._submitted_codes()
        attributes = {
            a.code: a
            for a in Attribute.objects.filter(Q(pk__in=in_sets) | Q(code__in=codes))
            .prefetch_related("options")
            .order_by("position", "code")
        }
        self.required_codes = {a.code for a in attributes.values() if in_sets.get(a.pk)}
        ordered = list(attributes) + sorted(codes - set(attributes))
        for code in ordered:
            attribute = attributes.get(code)
            name = attribute_field_name(code)
            self.fields[name] = attribute_form_field(attribute, code, code in self.required_codes)
            if code in stored:
                self.initial[name] = _initial_value(attribute, stored[code])
        self.attribute_codes = ordered

    # -- validation and saving --------------------------------------------------------------

    def _extra_values(self) -> dict[str, str]:
        """Parse the ``code = value`` lines of the extra field; report malformed lines."""
        values: dict[str, str] = {}
        text = self.cleaned_data.get(EXTRA_FIELD) or ""
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            code, sep, value = line.partition("=")
            code = code.strip()
            if not sep or not code:
                self.add_error(
                    EXTRA_FIELD,
                    _("Line %(n)d: write code = value.") % {"n": number},
                )
                continue
            if code in self.attribute_codes or code in values:
                self.add_error(
                    EXTRA_FIELD,
                    _("Line %(n)d: %(code)s is set twice.") % {"n": number, "code": code},
                )
                continue
            values[code] = value.strip()
        return values

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        raw: dict[str, Any] = {}
        for code in self.attribute_codes:
            name = attribute_field_name(code)
            if name in self._errors:
                continue  # the field itself rejected the input
            value = cleaned.get(name)
            if value in (None, "", []):
                continue
            raw[code] = value
        extra = self._extra_values()
        raw.update(extra)
        values, problems = clean_values(raw, load_definitions())
        for code, message in problems.items():
            if code in extra:
                self.add_error(EXTRA_FIELD, f"{code}: {message}")
            else:
                self.add_error(attribute_field_name(code), message)
        self.attribute_values = values
        return cleaned

    def is_valid(self) -> bool:
        """Validate the form and its inline formsets, then the rules across them."""
        valid = super().is_valid()
        return self._check_relations() and valid

    def _check_relations(self) -> bool:
        """A product cannot be related to itself (the database refuses it too)."""
        formset = self.formsets.get("relations")
        if formset is None or not self.instance.pk:
            return True
        ok = True
        for form in formset.forms:
            related = getattr(form, "cleaned_data", {}).get("related")
            if related is not None and related.pk == self.instance.pk:
                if "related" not in form.errors:
                    form.add_error("related", _("A product cannot be related to itself."))
                ok = False
        return ok

    def save(self, commit: bool = True) -> Product:
        self.instance.attributes = getattr(self, "attribute_values", self.instance.attributes)
        return super().save(commit=commit)


class CategoryForm(WagtailAdminModelForm):
    """A category with a parent chooser; saving goes through treebeard (see the views)."""

    parent = forms.ModelChoiceField(
        queryset=Category.objects.none(),
        required=False,
        label=gettext_lazy("Parent category"),
        empty_label=gettext_lazy("(top level)"),
        help_text=gettext_lazy("Leave empty for a top-level category."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = Category.objects.order_by("path")
        if self.instance.pk:
            # A category cannot move below itself or one of its descendants.
            choices = choices.exclude(path__startswith=self.instance.path)
            self.initial.setdefault("parent", self.instance.get_parent())
        self.fields["parent"].queryset = choices
        self.fields["parent"].label_from_instance = lambda obj: (
            "\u2003" * (obj.depth - 1) + obj.name_de
        )


class StockLevelForm(WagtailAdminModelForm):
    """Stock of a product in a warehouse; reserved units never exceed units on hand."""

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        on_hand, reserved = cleaned.get("on_hand"), cleaned.get("reserved")
        variant = cleaned.get("variant")
        product = cleaned.get("product")
        if on_hand is not None and on_hand < 0:
            self.add_error("on_hand", _("Units on hand cannot be negative."))
        if reserved is not None and reserved < 0:
            self.add_error("reserved", _("Reserved units cannot be negative."))
        elif on_hand is not None and reserved is not None and reserved > on_hand:
            # An error on the field also keeps Django from repeating the raw constraint name.
            self.add_error(
                "reserved",
                _("Reserved units (%(reserved)d) cannot exceed units on hand (%(on_hand)d).")
                % {"reserved": reserved, "on_hand": on_hand},
            )
        if variant is not None and product is not None and variant.product_id != product.pk:
            self.add_error("variant", _("This variant belongs to another product."))
        return cleaned


class PriceEntryForm(WagtailAdminModelForm):
    """A price of a product (or one of its variants) in a price list."""

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        variant, product = cleaned.get("variant"), cleaned.get("product")
        if variant is not None and product is not None and variant.product_id != product.pk:
            self.add_error("variant", _("This variant belongs to another product."))
        return cleaned


class SkuSearchFilterForm(BaseFilterForm):
    """Chooser filter: search products or variants by SKU or name (plain SQL)."""

    q = forms.CharField(
        label=gettext_lazy("Search term"),
        required=False,
        widget=forms.TextInput(attrs={"placeholder": gettext_lazy("SKU or name")}),
    )

    def filter(self, objects: Any) -> Any:
        objects = super().filter(objects)
        query = (self.cleaned_data.get("q") or "").strip()
        if query:
            condition = Q(sku__icontains=query)
            if objects.model is Product:
                condition |= Q(name_de__icontains=query) | Q(name_en__icontains=query)
            else:
                condition |= Q(product__sku__icontains=query)
            objects = objects.filter(condition)
            self.is_searching = True
            self.search_query = query
        return objects
