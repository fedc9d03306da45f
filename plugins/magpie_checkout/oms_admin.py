"""Order management in the Wagtail admin: Shop → Orders and Shop → Payment terms.

* Orders (:class:`OrderViewSet`): the list with filters (state, company, channel, date
  range) and a search by order number, PO number and company name; the detail page
  (:class:`OrderDetailView`) with lines, totals, addresses, payment and shipping, approval,
  the timeline, shipments, invoices and credit notes (PDF download) and returns; and the
  action forms, each a POST to :class:`OrderActionView`, which calls the matching
  :mod:`magpie_checkout.oms` function. A refused step (:class:`oms.TransitionError`) is
  shown as an error message and changes nothing.
* Payment terms (:class:`CompanyTermsViewSet`): invoice allowed, credit limit and payment
  days of each company.

Permissions (every view checks its own; a user without it gets 403):

================================  ==========================================
Screen or action                  Permission (``magpie_checkout.``)
================================  ==========================================
Order list, detail, PDF download  ``view_order``
Confirm, start fulfilment, ship,  ``fulfil_order``
cancel
Issue invoice, complete,          ``bill_order``
register return
Add a note                        ``change_order``
Enter and upload orders           ``enter_order`` (see :mod:`.phone_orders`)
Payment terms                     ``view/add/change/delete_companyterms``
================================  ==========================================

An action is offered only when :func:`oms.allowed_actions` lists it for the order's state
and the user has its permission.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.defaults import permission_denied
from django.views.generic import TemplateView
from wagtail.admin import messages
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet
from wagtail.admin.ui.tables import Column, DateColumn, StatusTagColumn, TitleColumn
from wagtail.admin.views.generic import CreateView, DeleteView, EditView, IndexView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.admin.widgets.button import HeaderButton

from magpie.people.models import Company
from magpie_checkout import documents, oms
from magpie_checkout.models import (
    Channel,
    CompanyTerms,
    Document,
    Order,
    OrderLine,
    OrderState,
    Return,
    Shipment,
)

ORDERS = "magpie_checkout_orders"
TERMS = "magpie_checkout_terms"
VIEW = "magpie_checkout.view_order"
FULFIL = "magpie_checkout.fulfil_order"
BILL = "magpie_checkout.bill_order"
NOTE = "magpie_checkout.change_order"
ENTER = "magpie_checkout.enter_order"

#: The permission each action of the detail page needs.
ACTION_PERMISSIONS: dict[str, str] = {
    "confirm": FULFIL,
    "start_fulfilment": FULFIL,
    "ship": FULFIL,
    "cancel": FULFIL,
    "invoice": BILL,
    "complete": BILL,
    "return": BILL,
    "note": NOTE,
}
ACTION_LABELS: dict[str, Any] = {
    "confirm": gettext_lazy("Confirm"),
    "start_fulfilment": gettext_lazy("Start fulfilment"),
    "ship": gettext_lazy("Ship"),
    "invoice": gettext_lazy("Issue invoice"),
    "complete": gettext_lazy("Complete"),
    "cancel": gettext_lazy("Cancel order"),
    "return": gettext_lazy("Register return"),
    "note": gettext_lazy("Add note"),
}
#: States shown with the primary (highlighted) status tag: the ones staff must act on.
ACTIVE_STATES = {
    OrderState.PLACED,
    OrderState.CONFIRMED,
    OrderState.IN_FULFILMENT,
    OrderState.PARTIALLY_SHIPPED,
    OrderState.SHIPPED,
}
SHIPPING_LABELS = {
    "flat_rate": gettext_lazy("Standard delivery"),
    "weight": gettext_lazy("Delivery by weight"),
    "pickup": gettext_lazy("Pickup"),
}
#: Timeline entries by kind (kinds of other plugins show as they are).
EVENT_LABELS = {
    "placed": gettext_lazy("Placed"),
    "approved": gettext_lazy("Approved"),
    "rejected": gettext_lazy("Rejected"),
    "confirmed": gettext_lazy("Confirmed"),
    "fulfilment_started": gettext_lazy("Fulfilment started"),
    "shipped": gettext_lazy("Shipped"),
    "invoiced": gettext_lazy("Invoiced"),
    "completed": gettext_lazy("Completed"),
    "cancelled": gettext_lazy("Cancelled"),
    "returned": gettext_lazy("Return"),
    "note": gettext_lazy("Note"),
    "email": gettext_lazy("Email"),
}
PAYMENT_LABELS = {
    "invoice": gettext_lazy("Invoice (on account)"),
    "prepayment": gettext_lazy("Prepayment by bank transfer"),
}


def denied(request: HttpRequest) -> HttpResponse:
    """A real 403 (Wagtail's admin would redirect a raised ``PermissionDenied`` to the
    dashboard)."""
    return permission_denied(request, PermissionDenied())


def detail_url(order: Order | int) -> str:
    """The admin detail page of ``order``."""
    return reverse(f"{ORDERS}:detail", args=[getattr(order, "pk", order)])


def offered_actions(user: Any, order: Order) -> list[str]:
    """The actions of :func:`oms.allowed_actions` that ``user`` may take on ``order``, and
    ``note`` for users who may write notes."""
    actions = [
        action
        for action in oms.allowed_actions(order)
        if action in ACTION_PERMISSIONS and user.has_perm(ACTION_PERMISSIONS[action])
    ]
    if user.has_perm(NOTE):
        actions.append("note")
    return actions


def safe_link(url: str) -> str:
    """``url`` if it is an http(s) link, else "" (a tracking link is shown as a link only
    then)."""
    url = (url or "").strip()
    return url if url.lower().startswith(("https://", "http://")) else ""


# -- list -----------------------------------------------------------------------------------


class OrderFilterSet(WagtailFilterSet):
    """Filters of Shop → Orders: state, company, channel and date range."""

    state = django_filters.MultipleChoiceFilter(
        label=gettext_lazy("State"),
        choices=OrderState.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    company = django_filters.ModelChoiceFilter(
        label=gettext_lazy("Company"),
        queryset=lambda request: Company.objects.filter(
            pk__in=Order.objects.values("company_id")
        ).order_by("name"),
    )
    channel = django_filters.ChoiceFilter(label=gettext_lazy("Channel"), choices=Channel.choices)
    created_at = django_filters.DateFromToRangeFilter(
        label=gettext_lazy("Date"), widget=DateRangePickerWidget
    )

    class Meta:
        model = Order
        fields = ["state", "company", "channel", "created_at"]


def _gross(order: Order) -> str:
    return f"{order.currency} {order.gross_total}"


class OrderIndexView(IndexView):
    """Shop → Orders (``view_order``); "Enter order" and "Upload order" for ``enter_order``."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.has_perm(VIEW):
            return denied(request)
        return super().dispatch(request, *args, **kwargs)

    def get_base_queryset(self) -> QuerySet:
        return super().get_base_queryset().select_related("company")

    def get_edit_url(self, instance: Order) -> str | None:
        # Orders are not edited through a form: the number links to the detail page.
        return detail_url(instance)

    def get_delete_url(self, instance: Order) -> str | None:
        return None

    def get_copy_url(self, instance: Order) -> str | None:
        return None

    def get_add_url(self) -> str | None:
        return None

    @cached_property
    def header_buttons(self) -> list[Any]:
        buttons = []
        if self.request.user.has_perm(ENTER):
            buttons.append(
                HeaderButton(
                    _("Enter order"), url=reverse(f"{ORDERS}:enter"), icon_name="plus", priority=10
                )
            )
            buttons.append(
                HeaderButton(
                    _("Upload order"),
                    url=reverse(f"{ORDERS}:upload"),
                    icon_name="upload",
                    priority=20,
                )
            )
        return buttons


class OrderURLFinder:
    """Admin links to an order (e.g. from search results) go to its detail page."""

    def __init__(self, user: Any = None) -> None:
        self.user = user

    def construct_edit_url(self, instance: Order) -> str:
        return detail_url(instance)

    def get_edit_url(self, instance: Order) -> str | None:
        if self.user is not None and not self.user.has_perm(VIEW):
            return None
        return self.construct_edit_url(instance)


# -- detail ---------------------------------------------------------------------------------


class ShipForm(forms.Form):
    """Units to ship per open line (default: all open units), carrier and tracking."""

    carrier = forms.CharField(label=gettext_lazy("Carrier"), max_length=60, required=False)
    tracking_number = forms.CharField(
        label=gettext_lazy("Tracking number"), max_length=100, required=False
    )
    tracking_url = forms.URLField(
        label=gettext_lazy("Tracking link"), required=False, assume_scheme="https"
    )

    def __init__(self, order: Order, lines: list[OrderLine], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.line_fields: list[tuple[OrderLine, str]] = []
        for line in lines:
            open_units = line.quantity - line.shipped_quantity
            if open_units <= 0:
                continue
            name = f"line-{line.pk}"
            self.fields[name] = forms.IntegerField(
                label=f"{line.sku} – {line.name}",
                min_value=0,
                initial=open_units,
                required=False,
                widget=forms.NumberInput(
                    attrs={"min": 0, "max": open_units, "style": "max-width: 8rem"}
                ),
            )
            self.line_fields.append((line, name))

    def rows(self) -> list[tuple[OrderLine, Any, int]]:
        """``(line, bound field, open units)`` of every open line (the template's table)."""
        return [
            (line, self[name], line.quantity - line.shipped_quantity)
            for line, name in self.line_fields
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        quantities = {line.pk: data[name] for line, name in self.line_fields if data.get(name) or 0}
        if not quantities and not self.errors:
            raise ValidationError(_("Enter the units to ship of at least one line."))
        data["quantities"] = quantities
        return data


class ReturnForm(forms.Form):
    """Units that came back per shipped line, why, and whether they go back into stock."""

    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=300)
    restock = forms.BooleanField(
        label=gettext_lazy("Back into stock"), required=False, initial=True
    )

    def __init__(self, order: Order, lines: list[OrderLine], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.line_fields: list[tuple[OrderLine, str]] = []
        for line in lines:
            returnable = line.shipped_quantity - line.returned_quantity
            if returnable <= 0:
                continue
            name = f"line-{line.pk}"
            self.fields[name] = forms.IntegerField(
                label=f"{line.sku} – {line.name}",
                min_value=0,
                initial=0,
                required=False,
                widget=forms.NumberInput(
                    attrs={"min": 0, "max": returnable, "style": "max-width: 8rem"}
                ),
            )
            self.line_fields.append((line, name))
        # The line fields first, then reason and restock.
        self.order_fields([name for _line, name in self.line_fields] + ["reason", "restock"])

    def rows(self) -> list[tuple[OrderLine, Any, int]]:
        """``(line, bound field, returnable units)`` of every line with shipped units."""
        return [
            (line, self[name], line.shipped_quantity - line.returned_quantity)
            for line, name in self.line_fields
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        quantities = {line.pk: data[name] for line, name in self.line_fields if data.get(name) or 0}
        if not quantities and not self.errors:
            raise ValidationError(_("Enter the returned units of at least one line."))
        data["quantities"] = quantities
        return data


class CancelForm(forms.Form):
    """Why the order is cancelled (on the timeline)."""

    reason = forms.CharField(
        label=gettext_lazy("Reason"), max_length=300, widget=forms.Textarea(attrs={"rows": 2})
    )


class NoteForm(forms.Form):
    """A staff note on the order's timeline."""

    message = forms.CharField(
        label=gettext_lazy("Note"), max_length=500, widget=forms.Textarea(attrs={"rows": 3})
    )


FORMS: dict[str, type[forms.Form]] = {
    "ship": ShipForm,
    "return": ReturnForm,
    "cancel": CancelForm,
    "note": NoteForm,
}


class OrderDetailView(WagtailAdminTemplateMixin, TemplateView):
    """An order with everything about it, and the action forms the user may use."""

    template_name = "magpie_checkout/admin/order_detail.html"
    page_title = gettext_lazy("Order")
    header_icon = "list-ul"
    #: Bound forms that failed validation, shown again with their errors.
    bound_forms: dict[str, forms.Form]

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.has_perm(VIEW):
            return denied(request)
        self.order = get_object_or_404(Order.objects.select_related("company"), pk=kwargs["pk"])
        self.bound_forms = {}
        return super().dispatch(request, *args, **kwargs)

    def get_page_subtitle(self) -> str:
        return self.order.number

    def get_breadcrumbs_items(self) -> list[dict[str, Any]]:
        return [
            *self.breadcrumbs_items,
            {"url": reverse(f"{ORDERS}:index"), "label": _("Orders")},
            {"url": "", "label": _("Order"), "sublabel": self.order.number},
        ]

    @cached_property
    def header_buttons(self) -> list[Any]:  # type: ignore[override]
        """ "Orders of <company>" (the list filtered), and the company itself for users who
        may see companies."""
        order = self.order
        buttons = [
            HeaderButton(
                _("Orders of %(company)s") % {"company": order.company.name},
                url=f"{reverse(f'{ORDERS}:index')}?company={order.company_id}",
                icon_name="list-ul",
                priority=10,
            )
        ]
        user = self.request.user
        if user.has_perm("magpie_people.change_company"):
            buttons.append(
                HeaderButton(
                    _("Company"),
                    url=reverse("magpie_companies:edit", args=[order.company_id]),
                    icon_name="site",
                    priority=20,
                )
            )
        return buttons

    @cached_property
    def lines(self) -> list[OrderLine]:
        return list(self.order.lines.order_by("position"))

    def make_form(self, action: str) -> forms.Form:
        """The form of ``action``: the bound one that failed, or a new one."""
        if action in self.bound_forms:
            return self.bound_forms[action]
        form_class = FORMS[action]
        if action in ("ship", "return"):
            return form_class(self.order, self.lines, prefix=action)
        return form_class(prefix=action)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        order = self.order
        actions = offered_actions(self.request.user, order)
        shipments = list(
            Shipment.objects.filter(order=order)
            .select_related("created_by")
            .prefetch_related("lines__order_line")
        )
        for shipment in shipments:
            shipment.link = safe_link(shipment.tracking_url)
        document_list = list(Document.objects.filter(order=order).select_related("created_by"))
        for document in document_list:
            document.download_url = reverse(f"{ORDERS}:document", args=[order.pk, document.pk])
        returns = list(
            Return.objects.filter(order=order)
            .select_related("created_by", "credit_note")
            .prefetch_related("lines__order_line")
        )
        lines = [
            {
                "line": line,
                "open": line.quantity - line.shipped_quantity,
            }
            for line in self.lines
        ]
        buttons = [
            {"action": a, "label": ACTION_LABELS[a], "url": self.action_url(a)}
            for a in actions
            if a not in FORMS
        ]
        action_forms = {
            a: {"form": self.make_form(a), "label": ACTION_LABELS[a], "url": self.action_url(a)}
            for a in actions
            if a in FORMS
        }
        context.update(
            order=order,
            lines=lines,
            events=self.timeline(),
            shipments=shipments,
            documents=document_list,
            returns=returns,
            buttons=buttons,
            action_forms=action_forms,
            shipping_label=SHIPPING_LABELS.get(order.shipping_method, order.shipping_method),
            payment_label=PAYMENT_LABELS.get(order.payment_method, order.payment_method),
            goods_net=order.net_total - order.shipping_net,
            index_url=reverse(f"{ORDERS}:index"),
            state_primary=order.state in ACTIVE_STATES,
        )
        return context

    def timeline(self) -> list[dict[str, Any]]:
        """The order's events, oldest first, with readable kinds and states."""
        states = dict(OrderState.choices)
        return [
            {
                "event": event,
                "label": EVENT_LABELS.get(event.kind, event.kind),
                "from": states.get(event.from_state, event.from_state),
                "to": states.get(event.to_state, event.to_state),
            }
            for event in self.order.events.select_related("user").order_by("created_at", "pk")
        ]

    def action_url(self, action: str) -> str:
        return reverse(f"{ORDERS}:action", args=[self.order.pk, action])


class OrderActionView(OrderDetailView):
    """POST an action of the detail page: check the permission and the state, validate the
    form, call the :mod:`~magpie_checkout.oms` function; a refusal is an error message and
    changes nothing. GET leads back to the detail page."""

    http_method_names = ["get", "post"]

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        action = kwargs.get("action", "")
        if action not in ACTION_PERMISSIONS:
            raise Http404
        if not request.user.has_perm(VIEW) or not request.user.has_perm(ACTION_PERMISSIONS[action]):
            return denied(request)
        self.action = action
        return super().dispatch(request, *args, **kwargs)

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return HttpResponseRedirect(detail_url(self.order))

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        order, action = self.order, self.action
        if action != "note" and action not in oms.allowed_actions(order):
            messages.error(
                request,
                _("%(action)s is not possible for order %(number)s in the state %(state)s.")
                % {
                    "action": ACTION_LABELS[action],
                    "number": order.number,
                    "state": order.get_state_display(),
                },
            )
            return HttpResponseRedirect(detail_url(order))
        data: dict[str, Any] = {}
        if action in FORMS:
            if action in ("ship", "return"):
                form = FORMS[action](order, self.lines, request.POST, prefix=action)
            else:
                form = FORMS[action](request.POST, prefix=action)
            if not form.is_valid():
                self.bound_forms[action] = form
                messages.error(request, _("Nothing was changed: correct the form below."))
                return self.render_to_response(self.get_context_data(), status=400)
            data = form.cleaned_data
        try:
            message = self.perform(action, data)
        except oms.TransitionError as error:
            messages.error(
                request,
                _("Nothing was changed: %(error)s") % {"error": str(error) or _("refused")},
            )
            return HttpResponseRedirect(detail_url(order))
        messages.success(request, message)
        return HttpResponseRedirect(detail_url(order))

    def perform(self, action: str, data: dict[str, Any]) -> str:
        """Run ``action`` through :mod:`oms`; the success message."""
        order, user = self.order, self.request.user
        number = {"number": order.number}
        if action == "confirm":
            oms.confirm(order, user)
            return _("Order %(number)s is confirmed.") % number
        if action == "start_fulfilment":
            oms.start_fulfilment(order, user)
            return _("Fulfilment of order %(number)s has started.") % number
        if action == "ship":
            oms.ship(
                order,
                user,
                data["quantities"],
                carrier=data.get("carrier", ""),
                tracking_number=data.get("tracking_number", ""),
                tracking_url=data.get("tracking_url", ""),
            )
            units = sum(data["quantities"].values())
            return ngettext(
                "A shipment of %(units)d unit of order %(number)s is recorded.",
                "A shipment of %(units)d units of order %(number)s is recorded.",
                units,
            ) % {"units": units, **number}
        if action == "invoice":
            document = oms.issue_invoice(order, user)
            return _("Invoice %(document)s of order %(number)s is issued.") % {
                "document": document.number,
                **number,
            }
        if action == "complete":
            oms.complete(order, user)
            return _("Order %(number)s is completed.") % number
        if action == "cancel":
            oms.cancel(order, user, data["reason"])
            return _("Order %(number)s is cancelled; its reserved stock is released.") % number
        if action == "return":
            ret = oms.register_return(
                order, user, data["quantities"], reason=data["reason"], restock=data["restock"]
            )
            credit = getattr(ret, "credit_note", None)
            if credit is not None:
                return _(
                    "The return of order %(number)s is registered; credit note %(credit)s."
                ) % {
                    "credit": credit.number,
                    **number,
                }
            return _("The return of order %(number)s is registered.") % number
        oms.add_note(order, user, data["message"])
        return _("The note is added to order %(number)s.") % number


def document_pdf(request: HttpRequest, pk: int, document_pk: int) -> HttpResponse:
    """An invoice or credit note of an order as PDF (``view_order``)."""
    if not request.user.has_perm(VIEW):
        return denied(request)
    document = get_object_or_404(Document, pk=document_pk, order_id=pk)
    response = HttpResponse(documents.render_pdf(document), content_type="application/pdf")
    name = documents.filename(document).replace('"', "")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    return response


# -- viewsets -------------------------------------------------------------------------------


class OrderViewSet(ModelViewSet):
    """Shop → Orders: the list, the detail page with its actions, PDFs, and entering orders
    by phone or file (:mod:`magpie_checkout.phone_orders`). No generic add/edit/delete:
    orders change only through :mod:`magpie_checkout.oms` and placement."""

    model = Order
    icon = "list-ul"
    menu_label = gettext_lazy("Orders")
    menu_name = "orders"
    url_prefix = "shop/orders"
    name = ORDERS
    add_to_admin_menu = False
    copy_view_enabled = False
    #: Orders are written on every placement: no reference-index rows (and queries) for them.
    add_to_reference_index = False
    index_view_class = OrderIndexView
    filterset_class = OrderFilterSet
    search_fields = ["number", "po_number", "company__name"]
    search_backend_name = None
    list_per_page = 50
    ordering = ["-created_at", "-pk"]
    form_fields: list[str] = []  # never used: there is no add or edit view
    list_display = [
        TitleColumn(
            "number",
            label=gettext_lazy("Number"),
            sort_key="number",
            url_name=f"{ORDERS}:detail",
        ),
        Column("company", label=gettext_lazy("Company"), sort_key="company__name"),
        StatusTagColumn(
            "state",
            label=gettext_lazy("State"),
            accessor="get_state_display",
            primary=lambda order: order.state in ACTIVE_STATES,
            sort_key="state",
        ),
        Column("channel", label=gettext_lazy("Channel"), accessor="get_channel_display"),
        Column("gross_total", label=gettext_lazy("Gross"), accessor=_gross, sort_key="gross_total"),
        DateColumn("created_at", label=gettext_lazy("Date"), sort_key="created_at"),
    ]

    list_export = [
        "number",
        "company.name",
        "get_state_display",
        "get_channel_display",
        "currency",
        "net_total",
        "tax_total",
        "gross_total",
        "po_number",
        "created_at",
    ]
    export_headings = {
        "number": gettext_lazy("Number"),
        "company.name": gettext_lazy("Company"),
        "get_state_display": gettext_lazy("State"),
        "get_channel_display": gettext_lazy("Channel"),
        "currency": gettext_lazy("Currency"),
        "net_total": gettext_lazy("Net"),
        "tax_total": gettext_lazy("VAT"),
        "gross_total": gettext_lazy("Gross"),
        "po_number": gettext_lazy("PO number"),
        "created_at": gettext_lazy("Date"),
    }
    export_filename = "orders"

    def get_index_view_kwargs(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_index_view_kwargs(
            add_url_name=None,
            edit_url_name=None,
            delete_url_name=None,
            history_url_name=None,
            usage_url_name=None,
            **kwargs,
        )

    @property
    def url_finder_class(self) -> Any:  # type: ignore[override]
        return OrderURLFinder

    def get_permissions_to_register(self) -> QuerySet:
        """Order permissions in the group editor: view, add, change and the custom enter,
        fulfil and bill (delete is never used: orders are kept)."""
        return Permission.objects.filter(
            content_type__app_label="magpie_checkout",
            codename__in=[
                "view_order",
                "add_order",
                "change_order",
                "enter_order",
                "fulfil_order",
                "bill_order",
            ],
        )

    def get_urlpatterns(self) -> list[Any]:
        from magpie_checkout.phone_orders import EnterOrderView, UploadOrderView, sku_suggest

        return [
            path("", self.index_view, name="index"),
            path("results/", self.index_results_view, name="index_results"),
            path("<int:pk>/", OrderDetailView.as_view(), name="detail"),
            path("<int:pk>/action/<str:action>/", OrderActionView.as_view(), name="action"),
            path("<int:pk>/documents/<int:document_pk>/pdf/", document_pdf, name="document"),
            path("enter/", EnterOrderView.as_view(), name="enter"),
            path("upload/", UploadOrderView.as_view(), name="upload"),
            path("enter/skus.json", sku_suggest, name="skus"),
        ]


class Forbidden403:
    """Wagtail's generic views raise ``PermissionDenied`` (a redirect to the dashboard in
    the admin); these answer 403 like the other shop screens."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]
        except PermissionDenied:
            return denied(request)


class TermsIndexView(Forbidden403, IndexView):
    pass


class TermsCreateView(Forbidden403, CreateView):
    pass


class TermsEditView(Forbidden403, EditView):
    pass


class TermsDeleteView(Forbidden403, DeleteView):
    pass


class CompanyTermsViewSet(ModelViewSet):
    """Shop → Payment terms: whether a company may pay on invoice, its credit limit and its
    payment days."""

    model = CompanyTerms
    icon = "doc-full"
    menu_label = gettext_lazy("Payment terms")
    menu_name = "payment-terms"
    url_prefix = "shop/payment-terms"
    name = TERMS
    add_to_admin_menu = False
    copy_view_enabled = False
    index_view_class = TermsIndexView
    add_view_class = TermsCreateView
    edit_view_class = TermsEditView
    delete_view_class = TermsDeleteView
    list_display = ["company", "invoice_allowed", "credit_limit", "payment_terms_days"]
    list_filter = ["invoice_allowed"]
    search_fields = ["company__name"]
    search_backend_name = None
    ordering = ["company__name"]
    form_fields = ["company", "invoice_allowed", "credit_limit", "payment_terms_days"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return CompanyTerms.objects.select_related("company")

    def get_permissions_to_register(self) -> QuerySet:
        """All payment-terms permissions, view included (the list is read-only for it)."""
        return Permission.objects.filter(
            content_type__app_label="magpie_checkout", codename__endswith="_companyterms"
        )


def order_viewsets() -> list[Any]:
    """The viewsets of Shop → Orders and Shop → Payment terms."""
    return [OrderViewSet(), CompanyTermsViewSet()]
