"""Orders staff enter for a company: by phone (channel ``phone``) or from a file the
company sent (channel ``upload``), in Shop → Orders → "Enter order" / "Upload order".

Three steps, each on the same URL:

1. choose the company (a chooser with a search by name);
2. the ordering company user, billing and shipping address, PO number, requested delivery
   date, note, and the lines — SKU and quantity rows checked like the quick order
   (:func:`magpie_checkout.quickorder.check_rows`), or a CSV/XLSX file read like the shop's
   upload (:func:`magpie_checkout.upload.read_upload`) with its per-row report. Any bad row:
   the report, and nothing is placed;
3. the lines priced for the company, shipping and payment as the hooks offer them
   (:func:`placement.shipping_options` / :func:`placement.payment_options`), then "Place
   order".

Step 2's input travels to step 3 in a signed token (nothing is stored in between). The
order is placed through :func:`magpie_checkout.placement.place_order` with
``entered_by`` = the staff user, ``terms_accepted`` (staff took the order under the
company's terms) and a random idempotency key of the page (a double click places one
order), from a temporary cart of the company (no user, no cookie) that is deleted in the
same transaction. A refusal (:class:`OrderError`) is shown with every reason and writes
nothing. Everything needs ``magpie_checkout.enter_order``.
"""

from __future__ import annotations

import datetime
import secrets
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.core import signing
from django.db import transaction
from django.db.models import Case, Q, When
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView
from wagtail.admin import messages
from wagtail.admin.forms.choosers import BaseFilterForm
from wagtail.admin.views.generic import chooser as chooser_views
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.viewsets.chooser import ChooserViewSet
from wagtail.admin.widgets import AdminDateInput

from magpie.people.models import Company
from magpie_checkout import quickorder, upload
from magpie_checkout.models import Address, Cart, CartLine, Channel
from magpie_checkout.oms_admin import ENTER, ORDERS, VIEW, denied, detail_url
from magpie_checkout.placement import (
    OrderError,
    payment_options,
    place_order,
    quote_cart,
    shipping_options,
)

TOKEN_SALT = "magpie_checkout.enter_order"
TOKEN_MAX_AGE = 3600
CHOOSER = "magpie_checkout_company_chooser"
#: Who may open the company chooser: staff entering orders, and staff editing payment terms.
CHOOSER_PERMISSIONS = (
    ENTER,
    "magpie_checkout.add_companyterms",
    "magpie_checkout.change_companyterms",
)


# -- company chooser ------------------------------------------------------------------------


class CompanySearchForm(BaseFilterForm):
    """Chooser filter: companies by name or VAT ID (plain SQL)."""

    q = forms.CharField(
        label=gettext_lazy("Search term"),
        required=False,
        widget=forms.TextInput(attrs={"placeholder": gettext_lazy("Name or VAT ID")}),
    )

    def filter(self, objects: Any) -> Any:
        objects = super().filter(objects)
        query = (self.cleaned_data.get("q") or "").strip()
        if query:
            objects = objects.filter(Q(name__icontains=query) | Q(vat_id__icontains=query))
            self.is_searching = True
            self.search_query = query
        return objects


class _ChooserPermission:
    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not any(request.user.has_perm(p) for p in CHOOSER_PERMISSIONS):
            return denied(request)
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]


class CompanyChooseView(_ChooserPermission, chooser_views.ChooseView):
    filter_form_class = CompanySearchForm
    ordering = ["name", "pk"]


class CompanyChooseResultsView(_ChooserPermission, chooser_views.ChooseResultsView):
    filter_form_class = CompanySearchForm
    ordering = ["name", "pk"]


class CompanyChosenView(_ChooserPermission, chooser_views.ChosenView):
    pass


class CompanyChooserViewSet(ChooserViewSet):
    """A company chooser for the order entry (not the default widget of company fields)."""

    model = Company
    icon = "site"
    choose_one_text = gettext_lazy("Choose a company")
    choose_another_text = gettext_lazy("Choose another company")
    choose_view_class = CompanyChooseView
    choose_results_view_class = CompanyChooseResultsView
    chosen_view_class = CompanyChosenView
    register_widget = False
    url_prefix = "shop/choose-company"


company_chooser = CompanyChooserViewSet(CHOOSER)


# -- forms ----------------------------------------------------------------------------------


class CompanyForm(forms.Form):
    """Step 1: the company the order is for."""

    company = forms.ModelChoiceField(
        label=gettext_lazy("Company"),
        queryset=Company.objects.all(),
        widget=company_chooser.widget_class(),
    )


def _address_label(address: Address) -> str:
    kind = address.get_kind_display()
    default = _(", default") if address.is_default else ""
    return f"{address} ({kind}{default})"


class OrderDetailsForm(forms.Form):
    """Step 2: who orders, where to, PO number, delivery date and note (and, for an upload,
    the file)."""

    user = forms.ModelChoiceField(label=gettext_lazy("Ordered by"), queryset=None)
    billing_address = forms.ModelChoiceField(label=gettext_lazy("Billing address"), queryset=None)
    shipping_address = forms.ModelChoiceField(label=gettext_lazy("Shipping address"), queryset=None)
    po_number = forms.CharField(label=gettext_lazy("PO number"), max_length=60, required=False)
    requested_delivery_date = forms.DateField(
        label=gettext_lazy("Requested delivery"), required=False, widget=AdminDateInput
    )
    note = forms.CharField(
        label=gettext_lazy("Note"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, company: Company, *args: Any, with_file: bool = False, **kw: Any) -> None:
        super().__init__(*args, **kw)
        users = get_user_model().objects.filter(
            company_membership__company=company, company_membership__active=True
        )
        self.fields["user"].queryset = users.select_related("company_membership").order_by(
            "last_name", "first_name", "pk"
        )
        self.fields["user"].label_from_instance = self._user_label
        addresses = Address.objects.filter(company=company)
        for kind in ("billing", "shipping"):
            field = self.fields[f"{kind}_address"]
            # The addresses of the field's kind first, the default on top.
            field.queryset = addresses.order_by(
                Case(When(kind=kind, then=0), default=1), "-is_default", "pk"
            )
            field.label_from_instance = _address_label
            default = addresses.filter(kind=kind, is_default=True).first()
            if default is not None:
                field.initial = default.pk
        if with_file:
            self.fields["file"] = forms.FileField(
                label=gettext_lazy("File (CSV or Excel, columns sku and quantity)")
            )

    @staticmethod
    def _user_label(user: Any) -> str:
        name = user.get_full_name() or user.get_username()
        member = getattr(user, "company_membership", None)
        # "Company admin (users, addresses, …)" → "Company admin"
        role = str(member.get_role_display()).split(" (")[0] if member is not None else ""
        return f"{name} <{user.email}>" + (f" – {role}" if role else "")

    def clean_requested_delivery_date(self) -> datetime.date | None:
        from django.utils import timezone

        value = self.cleaned_data.get("requested_delivery_date")
        if value is not None and value < timezone.localdate():
            raise forms.ValidationError(_("The requested delivery date is in the past."))
        return value


class PlaceForm(forms.Form):
    """Step 3: shipping and payment among the options offered now."""

    token = forms.CharField(widget=forms.HiddenInput)
    key = forms.CharField(widget=forms.HiddenInput, max_length=64)
    shipping_method = forms.ChoiceField(
        label=gettext_lazy("Shipping"), widget=forms.RadioSelect, choices=[]
    )
    payment_method = forms.ChoiceField(
        label=gettext_lazy("Payment"), widget=forms.RadioSelect, choices=[]
    )

    def __init__(self, shipping: list[Any], payment: list[Any], *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.fields["shipping_method"].choices = _choices(shipping)
        self.fields["payment_method"].choices = _choices(payment)
        for name, options in (("shipping_method", shipping), ("payment_method", payment)):
            available = [o.code for o in options if getattr(o, "available", True)]
            if len(available) == 1:
                self.fields[name].initial = available[0]


def _choices(options: list[Any]) -> list[tuple[str, str]]:
    choices = []
    for option in options:
        if not getattr(option, "available", True):
            continue
        label = str(option.label)
        net = getattr(option, "net", None)
        if net is not None:
            label += f" ({option.currency} {net})"
        description = getattr(option, "description", "")
        if description:
            label += f" – {description}"
        choices.append((option.code, label))
    return choices


# -- the views ------------------------------------------------------------------------------


def _site(request: HttpRequest) -> Any:
    from wagtail.models import Site

    return Site.find_for_request(request) or Site.objects.get(is_default_site=True)


def _company(value: Any) -> Company | None:
    try:
        return Company.objects.filter(pk=int(value)).first()
    except (TypeError, ValueError):
        return None


class EnterOrderView(WagtailAdminTemplateMixin, TemplateView):
    """Shop → Orders → Enter order (channel ``phone``): SKU and quantity rows."""

    channel = Channel.PHONE
    template_name = "magpie_checkout/admin/enter_order.html"
    page_title = gettext_lazy("Enter a phone order")
    header_icon = "plus"
    url_name = f"{ORDERS}:enter"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.has_perm(ENTER):
            return denied(request)
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self) -> list[dict[str, Any]]:
        return [
            *self.breadcrumbs_items,
            {"url": reverse(f"{ORDERS}:index"), "label": _("Orders")},
            {"url": "", "label": self.get_page_title()},
        ]

    # -- rendering

    def render_step(self, step: str, status: int = 200, **context: Any) -> HttpResponse:
        context.setdefault("action_url", reverse(self.url_name))
        context.setdefault("suggest_url", reverse(f"{ORDERS}:skus"))
        context.setdefault("upload", self.channel == Channel.UPLOAD)
        media = forms.Media()
        for form in (context.get("form"), context.get("company_form")):
            if form is not None:
                media += form.media
        return self.render_to_response(
            self.get_context_data(step=step, media=media, **context), status=status
        )

    def details_step(
        self, company: Company, form: OrderDetailsForm | None = None, **context: Any
    ) -> HttpResponse:
        status = context.pop("status", 200)
        if form is None:
            form = OrderDetailsForm(company, with_file=self.channel == Channel.UPLOAD)
        if self.channel == Channel.PHONE:
            context.setdefault("rows", self.blank_rows())
        return self.render_step("details", status, company=company, form=form, **context)

    @staticmethod
    def blank_rows(
        report: Any = None, rows: list[tuple[int, str, str]] | None = None, more: bool = False
    ) -> list:
        """The SKU/quantity rows of the form: what was typed (with each row's check), then
        empty rows up to :data:`quickorder.START_ROWS` (or that many more, with ``more``, up
        to :data:`quickorder.MAX_ROWS`)."""
        checked = {row.number: row for row in (report.rows if report else [])}
        typed = [
            {"index": number - 1, "sku": sku, "quantity": quantity, "check": checked.get(number)}
            for number, sku, quantity in (rows or [])
            if (sku or "").strip() or (quantity or "").strip()
        ]
        for index, row in enumerate(typed):  # renumbered: blank rows in between are dropped
            row["index"] = index
        wanted = len(typed) + quickorder.START_ROWS if more else quickorder.START_ROWS
        while len(typed) < min(wanted, quickorder.MAX_ROWS):
            typed.append({"index": len(typed), "sku": "", "quantity": "", "check": None})
        return typed

    # -- GET: step 1, or step 2 for ?company=

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        """Step 1 (choose a company), or step 2 for ``?company=<id>``."""
        if "company" in request.GET:
            form = CompanyForm(request.GET)
            if form.is_valid():
                return self.details_step(form.cleaned_data["company"])
            return self.render_step("company", 400, company_form=form)
        return self.render_step("company", company_form=CompanyForm())

    # -- POST: check (step 2 → 3) or place (step 3)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        """Step 2 → 3 (check the rows; any bad row: the report, nothing placed), "More rows",
        or placing (step 3)."""
        if request.POST.get("step") == "place":
            return self.place()
        company = _company(request.POST.get("company"))
        if company is None:
            messages.error(request, _("Choose a company."))
            return self.render_step("company", 400, company_form=CompanyForm())
        form = OrderDetailsForm(
            company, request.POST, request.FILES, with_file=self.channel == Channel.UPLOAD
        )
        if "more" in request.POST and self.channel == Channel.PHONE:
            # More empty rows; nothing is checked yet.
            form = OrderDetailsForm(company, initial=request.POST.dict())
            typed = quickorder.rows_from_post(request.POST)
            return self.details_step(company, form, rows=self.blank_rows(rows=typed, more=True))
        rows = self.read_rows(form)
        if not form.is_valid():
            return self.details_step(
                company, form, status=400, rows=self.blank_rows(rows=rows or [])
            )
        report = quickorder.check_rows(rows or [])
        if not report.all_valid:
            messages.error(
                request,
                _("Nothing was placed: correct the rows marked as errors.")
                if report.rows
                else _("Enter at least one article number and quantity."),
            )
            return self.details_step(
                company,
                form,
                status=400,
                report=report,
                rows=self.blank_rows(report, rows),
            )
        data = form.cleaned_data
        payload = {
            "company": company.pk,
            "user": data["user"].pk,
            "billing": data["billing_address"].pk,
            "shipping": data["shipping_address"].pk,
            "po": data["po_number"],
            "date": data["requested_delivery_date"].isoformat()
            if data["requested_delivery_date"]
            else "",
            "note": data["note"],
            "rows": [list(row) for row in rows],
            "channel": self.channel,
        }
        token = signing.dumps(payload, salt=TOKEN_SALT, compress=True)
        return self.review(payload, report, token, secrets.token_hex(16))

    def read_rows(self, form: OrderDetailsForm) -> list[tuple[int, str, str]] | None:
        """The typed rows (phone) or the file's rows (upload; a file that cannot be read is
        an error of the form's file field)."""
        if self.channel == Channel.PHONE:
            return quickorder.rows_from_post(self.request.POST)
        file = self.request.FILES.get("file")
        if file is None:
            return None
        try:
            return upload.read_upload(file)
        except upload.UploadError as error:
            form.add_error("file", str(error))
            return None

    # -- step 3

    def _cart(self, company: Company) -> Cart:
        return Cart(site=_site(self.request), company=company, currency=company.currency or "")

    def options(self, payload: dict[str, Any], report: Any) -> tuple[Any, list, list, Any]:
        """The quote of the rows for the company, and its shipping and payment options."""
        company = Company.objects.get(pk=payload["company"])  # checked by the caller
        cart = self._cart(company)
        lines = [
            CartLine(cart=cart, product=row.product, variant=row.variant, quantity=row.quantity)
            for row in report.rows
        ]
        quote = quote_cart(cart, company, lines=lines)
        address = Address.objects.filter(pk=payload["shipping"], company=company).first()
        shipping = shipping_options(cart, address.as_dict() if address else {}, company)
        payment = payment_options(cart, company)
        return quote, shipping, payment, company

    def review(
        self,
        payload: dict[str, Any],
        report: Any,
        token: str,
        key: str,
        form: PlaceForm | None = None,
        status: int = 200,
        errors: list[str] | None = None,
    ) -> HttpResponse:
        """Step 3: the priced lines, warnings and errors, shipping and payment choices."""
        quote, shipping, payment, company = self.options(payload, report)
        if form is None:
            form = PlaceForm(shipping, payment, initial={"token": token, "key": key})
        User = get_user_model()
        return self.render_step(
            "review",
            status,
            company=company,
            form=form,
            quote=quote,
            shipping_options=shipping,
            payment_options=payment,
            orderer=User.objects.filter(pk=payload["user"]).first(),
            billing=Address.objects.filter(pk=payload["billing"]).first(),
            shipping=Address.objects.filter(pk=payload["shipping"]).first(),
            payload=payload,
            errors=errors or quote.errors,
            warnings=[f"{row.sku}: {row.message}" for row in report.rows if row.message],
        )

    def place(self) -> HttpResponse:
        """Step 3's POST: check the token and the rows again, then place the order from a
        temporary cart in one transaction (see the module's docstring)."""
        request = self.request
        try:
            payload = signing.loads(
                request.POST.get("token", ""), salt=TOKEN_SALT, max_age=TOKEN_MAX_AGE
            )
        except signing.SignatureExpired:
            messages.error(request, _("The order form has expired; enter the order again."))
            return HttpResponseRedirect(reverse(self.url_name))
        except signing.BadSignature:
            messages.error(request, _("The order form was changed; enter the order again."))
            return HttpResponseRedirect(reverse(self.url_name))
        if payload.get("channel") != self.channel or _company(payload.get("company")) is None:
            messages.error(request, _("The order form was changed; enter the order again."))
            return HttpResponseRedirect(reverse(self.url_name))
        rows = [(int(n), str(s), str(q)) for n, s, q in payload["rows"]]
        report = quickorder.check_rows(rows)
        token = request.POST["token"]
        key = (request.POST.get("key") or "")[:64]
        if not report.all_valid:
            return self.review(
                payload,
                report,
                token,
                key,
                status=400,
                errors=[f"{r.sku}: {r.message}" for r in report.invalid],
            )
        quote, shipping, payment, company = self.options(payload, report)
        form = PlaceForm(shipping, payment, request.POST)
        if not form.is_valid():
            messages.error(request, _("Choose a shipping and a payment method."))
            return self.review(payload, report, token, key, form=form, status=400)
        User = get_user_model()
        user = User.objects.filter(pk=payload["user"]).first()
        date = payload.get("date") or None
        try:
            with transaction.atomic():
                cart = Cart.objects.create(
                    site=_site(request), company=company, currency=company.currency or ""
                )
                quickorder.add_all(cart, report)
                order = place_order(
                    cart,
                    user=user,
                    shipping_method=form.cleaned_data["shipping_method"],
                    payment_method=form.cleaned_data["payment_method"],
                    billing_address=payload["billing"],
                    shipping_address=payload["shipping"],
                    po_number=payload.get("po", ""),
                    requested_delivery_date=datetime.date.fromisoformat(date) if date else None,
                    note=payload.get("note", ""),
                    terms_accepted=True,
                    idempotency_key=form.cleaned_data["key"],
                    channel=self.channel,
                    entered_by=request.user,
                )
                cart.delete()
        except OrderError as error:
            messages.error(request, _("The order was not placed."))
            return self.review(
                payload,
                report,
                token,
                key,
                form=form,
                status=400,
                errors=[str(m) for m in error.messages],
            )
        except Exception as error:  # a cart error: nothing was written
            from magpie_checkout.cart import CartError

            if not isinstance(error, CartError):
                raise
            messages.error(request, str(error))
            return self.review(payload, report, token, key, form=form, status=400)
        messages.success(
            request,
            _("Order %(number)s of %(company)s is placed.")
            % {"number": order.number, "company": company.name},
        )
        if request.user.has_perm(VIEW):
            return HttpResponseRedirect(detail_url(order))
        return HttpResponseRedirect(reverse(self.url_name))


def sku_suggest(request: HttpRequest) -> HttpResponse:
    """``enter/skus.json?q=``: up to 10 active products by SKU prefix, for the SKU fields of
    the phone order (the shop's quick-order script fills a datalist from it)."""
    if not request.user.has_perm(ENTER):
        return denied(request)
    return JsonResponse({"products": quickorder.suggest(request.GET.get("q", ""))})


class UploadOrderView(EnterOrderView):
    """Shop → Orders → Upload order (channel ``upload``): a CSV/XLSX file of sku,quantity."""

    channel = Channel.UPLOAD
    page_title = gettext_lazy("Upload an order file")
    header_icon = "upload"
    url_name = f"{ORDERS}:upload"
