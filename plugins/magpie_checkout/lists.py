"""Order lists (requisition lists) a company shares, and reordering a past order.

Every function takes the company the caller acts for; a list or order of another company
is never found (:func:`get_list` raises ``Http404``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from magpie_checkout import cart as carts
from magpie_checkout.models import Order, OrderList, OrderListLine


class ListError(ValueError):
    """Bad input for an order list (a clear message); nothing was changed."""


@dataclass
class CopyReport:
    """What a copy into the cart (list or reorder) added and what it could not add."""

    added: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)


def _name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise ListError(_("Give the list a name."))
    if len(name) > 200:
        raise ListError(_("The name is longer than 200 characters."))
    return name


def lists_of(company: Any):
    """The company's order lists, by name."""
    return OrderList.objects.filter(company=company).order_by("name", "pk")


def get_list(company: Any, pk: Any) -> OrderList:
    """The company's list ``pk``; another company's list answers 404."""
    return get_object_or_404(OrderList, pk=pk, company=company)


def create_list(company: Any, name: str, user: Any) -> OrderList:
    """A new, empty list of ``company``."""
    return OrderList.objects.create(company=company, name=_name(name), created_by=user)


def rename_list(order_list: OrderList, name: str) -> OrderList:
    """Rename a list."""
    order_list.name = _name(name)
    order_list.save(update_fields=["name", "updated_at"])
    return order_list


def delete_list(order_list: OrderList) -> None:
    """Delete a list and its lines."""
    order_list.delete()


def add_line(order_list: OrderList, product: Any, variant: Any, quantity: Any) -> OrderListLine:
    """Add a product (summed with its existing line). Raises
    :class:`~magpie_checkout.cart.CartError` for bad input."""
    quantity = carts.parse_quantity(quantity)
    carts.check_product(product, variant)
    with transaction.atomic():
        lines = OrderListLine.objects.select_for_update().filter(
            order_list=order_list, product=product
        )
        lines = lines.filter(variant=variant) if variant else lines.filter(variant__isnull=True)
        line = lines.first()
        if line is not None:
            line.quantity = min(line.quantity + quantity, carts.MAX_QUANTITY)
            line.save(update_fields=["quantity"])
        else:
            line = OrderListLine.objects.create(
                order_list=order_list, product=product, variant=variant, quantity=quantity
            )
        OrderList.objects.filter(pk=order_list.pk).update(updated_at=line_time())
    return line


def line_time() -> Any:
    from django.utils import timezone

    return timezone.now()


def remove_line(order_list: OrderList, line_id: Any) -> None:
    """Remove a line of ``order_list`` (a line of another list answers 404)."""
    get_object_or_404(OrderListLine, pk=line_id, order_list=order_list).delete()


def set_line_quantity(order_list: OrderList, line_id: Any, quantity: Any) -> OrderListLine:
    """Change the quantity of a line of ``order_list``."""
    line = get_object_or_404(OrderListLine, pk=line_id, order_list=order_list)
    line.quantity = carts.parse_quantity(quantity)
    line.save(update_fields=["quantity"])
    return line


def add_cart_to_list(cart: Any, order_list: OrderList) -> int:
    """Copy the cart's lines into the list (quantities summed). Returns the lines copied."""
    count = 0
    with transaction.atomic():
        for line in cart.lines.select_related("product", "variant"):
            if line.product.status != "active":
                continue
            add_line(order_list, line.product, line.variant, line.quantity)
            count += 1
    return count


def _copy_lines(lines: Any, cart: Any) -> CopyReport:
    report = CopyReport()
    with transaction.atomic():
        for product, variant, quantity, sku in lines:
            if product is None:
                report.skipped.append((sku, _("This product no longer exists.")))
                continue
            try:
                carts.add(cart, product, variant, quantity)
            except carts.CartError as exc:
                report.skipped.append((sku, str(exc)))
                continue
            report.added.append(sku)
    return report


def add_list_to_cart(order_list: OrderList, cart: Any) -> CopyReport:
    """Add the list's lines to the cart; products no longer active are reported."""
    lines = [
        (
            line.product,
            line.variant,
            line.quantity,
            line.variant.sku if line.variant_id else line.product.sku,
        )
        for line in order_list.lines.select_related("product", "variant")
    ]
    return _copy_lines(lines, cart)


def get_order(company: Any, number: str) -> Order:
    """The company's order ``number``; another company's order answers 404."""
    return get_object_or_404(Order, number=number, company=company)


def reorder(order: Order, cart: Any) -> CopyReport:
    """Add an order's lines (products still active) to the cart, with a report of what
    could not be added."""
    lines = []
    for line in order.lines.select_related("product", "variant").order_by("position"):
        variant = line.variant if line.variant_id else None
        if (
            line.variant_id is None
            and line.product_id
            and line.product.variants.exists()
            and (line.sku != line.product.sku)
        ):
            lines.append((None, None, line.quantity, line.sku))  # the variant was deleted
            continue
        lines.append((line.product, variant, line.quantity, line.sku))
    return _copy_lines(lines, cart)
